"""Section: gradient clipping against exploding gradients, and what clipping by value does to the gradient's direction.

The claim is in dnnkit/catalog/gradient_clipping.py, whose docstring holds the design and the pilot numbers.
"""

from __future__ import annotations

import math

import pytest

from dnnkit.train.clipping import ClippingProbe
from dnnkit.train.experiment import replace_fit


@pytest.mark.claim("clipping-tames-exploding-gradients")
def test_clipping_tames_exploding_gradients(claim, digits):
    """Gradient clipping mitigates the exploding gradients problem: in a setup whose gradients explode, clipping by
    norm keeps the loss finite and reaches the target accuracy while the unclipped run diverges; clipping by value can
    change the gradient's orientation, clipping by norm preserves it."""
    k = claim.knobs
    probe = ClippingProbe(clip_value=k.clip, clip_norm=k.clip)
    by_norm, by_value = f"clip by norm {k.clip}", f"clip by value {k.clip}"
    fits = {by_norm: replace_fit(k.fit, clip_norm=k.clip), "unclipped": replace_fit(k.fit, after_step=(probe,))}
    runs = claim.train({arm: k.net for arm in fits}, digits, fits)
    clipped, raw = runs[by_norm], runs["unclipped"]
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
    claim.decide(clipped.epochs_to_target(), raw.epochs_to_target(), label=f"epochs to val accuracy {k.fit.target[1]}")
    claim.decide([not x.diverged and math.isfinite(x.history["train_loss"].max()) for x in clipped.results],
                 kind="exact", arms=(by_norm, "B"), label="clipped loss finite on every seed")
    cos_value, cos_norm = [p["cos_value"] for p in peaks], [p["cos_norm"] for p in peaks]
    claim.decide(cos_value, cos_norm, kind="paired", direction="less", delta=k.cosine_delta,
                 arms=(by_value, by_norm), label="cosine to the raw exploding gradient")
    claim.decide([c >= 1 - k.same_direction_tol for c in cos_norm], kind="exact", arms=(by_norm, "B"),
                 label="clipping by norm keeps the direction (cosine 1)")
