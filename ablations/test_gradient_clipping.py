"""Section: gradient clipping against exploding gradients, and what clipping by value does to the gradient's direction.

The claim is in dnnkit/catalog/gradient_clipping.py, whose docstring holds the design and the pilot numbers.
"""

from __future__ import annotations

import math

import pytest

from dnnkit.nn.models import MLPConfig
from dnnkit.train.clipping import ClippingProbe
from dnnkit.train.experiment import replace_fit
from dnnkit.train.training import FitConfig

DEEP = MLPConfig(n_inputs=64, n_outputs=10, depth=10, width=100, activation="elu")
# lr 0.1: the smallest pilot rate at which the unclipped net diverged on every pilot seed
EXPLODING = FitConfig(epochs=5, batch_size=64, optimizer="sgd", lr=0.1, optimizer_params={"momentum": 0.9},
                      target=("val_acc", 0.9))
CLIP = 1.0  # the chapter's clipnorm=1.0 and clipvalue=1.0


@pytest.mark.claim("clipping-tames-exploding-gradients")
def test_clipping_tames_exploding_gradients(claim, digits):
    """Gradient clipping mitigates the exploding gradients problem: in a setup whose gradients explode, clipping by
    norm keeps the loss finite and reaches the target accuracy while the unclipped run diverges; clipping by value can
    change the gradient's orientation, clipping by norm preserves it."""
    probe = ClippingProbe(clip_value=CLIP, clip_norm=CLIP)
    fits = {"clip by norm 1.0": replace_fit(EXPLODING, clip_norm=CLIP), "unclipped": replace_fit(EXPLODING, after_step=(probe,))}
    runs = claim.train({arm: DEEP for arm in fits}, digits, fits)
    clipped, raw = runs["clip by norm 1.0"], runs["unclipped"]
    # Each seed's exploding gradient: the largest one before the loss became NaN whose norm float32 can still hold
    # (beyond ~1.8e19 torch's total norm is inf and clip_grad_norm_ zeroes the gradient: a caveat, noted below).
    peaks = [max((step for step in trace if math.isfinite(step["torch_norm"])), key=lambda step: step["raw_norm"])
             for trace in probe.traces]
    claim.note(val_acc={arm: [round(a, 3) for a in r.values("val_acc", "last")] for arm, r in runs.items()},
               diverged={arm: [x.diverged for x in r.results] for arm, r in runs.items()},
               unclipped_grad_norm_first_step=[round(t[0]["raw_norm"], 1) for t in probe.traces],
               unclipped_grad_norm_peak=[f"{p['raw_norm']:.2e}" for p in peaks], unclipped_steps=[len(t) for t in probe.traces],
               fraction_components_clipped_by_value=[round(p["fraction_components_clipped"], 3) for p in peaks],
               steps_with_float32_norm_overflow=[sum(math.isinf(step["torch_norm"]) for step in t) for t in probe.traces])
    claim.decide(clipped.epochs_to_target(), raw.epochs_to_target(), label="epochs to val accuracy 0.9")
    claim.decide([not x.diverged and math.isfinite(x.history["train_loss"].max()) for x in clipped.results],
                 kind="exact", arms=("clip by norm 1.0", "B"), label="clipped loss finite on every seed")
    cos_value, cos_norm = [p["cos_value"] for p in peaks], [p["cos_norm"] for p in peaks]
    claim.decide(cos_value, cos_norm, kind="paired", direction="less", delta=0.01,
                 arms=("clip by value 1.0", "clip by norm 1.0"), label="cosine to the raw exploding gradient")
    claim.decide([c >= 1 - 1e-9 for c in cos_norm], kind="exact", arms=("clip by norm 1.0", "B"),
                 label="clipping by norm keeps the direction (cosine 1)")
