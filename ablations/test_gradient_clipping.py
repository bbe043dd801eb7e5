"""Section: gradient clipping against exploding gradients, and what clipping by value does to the gradient's direction.

The claim is in dnnkit/catalog/gradient_clipping.py, whose docstring holds the design and the pilot numbers.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from dnnkit.nn.models import build_mlp
from dnnkit.nn.unrolled import growth_decades, mlp_gradient_norms, rnn_gradient_norms, tanh_mlp, tanh_rnn
from dnnkit.train.clipping import ClippingProbe, clip_gradients, clipping_effect, loss_gradients
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


@pytest.mark.claim("clip-value-changes-direction")
def test_clip_value_changes_direction(claim, digits):
    """Clipping by value may change the orientation of the gradient vector; clipping by norm preserves it."""
    k = claim.knobs
    example = torch.tensor(k.example)
    clipped = clip_gradients([example], clip_value=k.clip)[0]
    cos = float(F.cosine_similarity(clipped.double(), example.double(), dim=0))
    claim.note(example_clipped=clipped.tolist(), example_cosine=cos)
    # Compared in float32, the dtype clipped: 0.9 is 0.899999976 there, and clipping must leave it untouched.
    expected = torch.tensor([k.example[0], k.clip])
    claim.decide([bool(torch.equal(clipped, expected)) and cos < k.cosine_bound], arms=("the chapter's example", "B"),
                 label=f"clip by value maps the example to [{k.example[0]}, {k.clip}], cosine below {k.cosine_bound}")
    split = claim.on_device(digits)
    X, y = split.X_train[:k.examples], split.y_train[:k.examples]
    effects = [clipping_effect(loss_gradients(build_mlp(k.net, generator=s.generator("init"), device=claim.device), X, y),
                               clip_value=k.clip, clip_norm=k.clip) for s in claim.seeds()]
    claim.note(**{key: [e[key] for e in effects] for key in ("raw_norm", "cos_value", "cos_norm", "norm_clipped_norm",
                                                             "fraction_components_clipped")})
    claim.decide([e["cos_value"] < 1 - k.same_direction_tol for e in effects], arms=("clip by value", "B"),
                 label="clipping by value turns each seed's gradient")
    limit = k.clip * (1 + k.norm_ulps * torch.finfo(torch.float32).eps)
    claim.decide([e["cos_norm"] >= 1 - k.same_direction_tol and e["norm_clipped_norm"] <= limit for e in effects],
                 arms=("clip by norm", "B"), label="clipping by norm keeps the direction, norm at most the threshold")


@pytest.mark.claim("exploding-gradients-mostly-rnn")
def test_exploding_gradients_mostly_rnn(claim):
    """The exploding gradients problem is mostly encountered in recurrent neural networks."""
    k = claim.knobs

    def growth(gain: float, every_step: bool) -> dict[str, list[float]]:
        out = {"rnn": [], "mlp": []}
        for s in claim.seeds():
            g = s.generator("init")
            cell, layers = tanh_rnn(k.n_inputs, k.width, gain, g), tanh_mlp(k.n_inputs, k.width, k.steps, gain, g)
            xs = torch.randn(k.steps, k.batch, k.n_inputs, generator=g)
            readout = torch.randn(k.width, generator=g)
            if not every_step:
                xs[1:] = 0
            out["rnn"].append(growth_decades(rnn_gradient_norms(cell, xs, readout)))
            out["mlp"].append(growth_decades(mlp_gradient_norms(layers, xs[0], readout)))
        return out

    main = growth(k.gain, every_step=True)
    first_only = growth(k.gain, every_step=False)
    larger = growth(k.sensitivity_gain, every_step=True)
    claim.note(growth_decades={"inputs every step": main, "input at the first step only": first_only,
                               f"gain {k.sensitivity_gain}": larger})
    claim.decide(main["rnn"], main["mlp"], label="growth of the gradient norm backwards: RNN through time vs MLP")
    claim.decide(first_only["rnn"], first_only["mlp"], label="input at the first step only",
                 sensitivity="without inputs after the first step the RNN is the MLP with one shared matrix: the "
                             "difference is weight sharing alone")
    claim.decide(larger["rnn"], larger["mlp"], label=f"recurrent / hidden gain {k.sensitivity_gain}",
                 sensitivity="a larger gain, where both gradients grow")
