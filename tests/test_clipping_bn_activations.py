"""Unit tests of the gradient-clipping helpers (dnnkit/clipping.py) behind the gradient-clipping claim."""

from __future__ import annotations

import math

import pytest
import torch

from dnnkit.data import Split
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.seeds import run_seeds
from dnnkit.train import clipping as C
from dnnkit.train.training import FitConfig, fit


def test_chapter_example_value_clipping_turns_the_vector_norm_clipping_does_not():
    g = [torch.tensor([0.9, 100.0])]
    by_value = C.clip_gradients(g, clip_value=1.0)[0]
    by_norm = C.clip_gradients(g, clip_norm=1.0)[0]
    assert torch.equal(by_value, torch.tensor([0.9, 1.0]))
    assert math.isclose(by_norm.norm().item(), 1.0, rel_tol=1e-5)
    effect = C.clipping_effect(g, clip_value=1.0, clip_norm=1.0)
    assert effect["cos_norm"] == pytest.approx(1.0, abs=1e-12)
    # [0.9, 1] vs [0.9, 100]: the value-clipped gradient points about 41 degrees away
    assert effect["cos_value"] == pytest.approx((0.81 + 100) / (math.hypot(0.9, 1) * math.hypot(0.9, 100)), rel=1e-6)
    assert effect["fraction_components_clipped"] == 0.5
    assert torch.equal(g[0], torch.tensor([0.9, 100.0])), "inputs must not be clipped in place"


def test_small_gradients_pass_unchanged():
    g = [torch.tensor([0.1, -0.2]), torch.tensor([[0.05]])]
    for kw in ({"clip_value": 1.0}, {"clip_norm": 1.0}, {"clip_value": 1.0, "clip_norm": 1.0}):
        assert all(torch.allclose(a, b) for a, b in zip(C.clip_gradients(g, **kw), g, strict=True))


@pytest.mark.parametrize("kw", [{"clip_value": -1.0}, {"clip_value": 0}, {"clip_norm": float("inf")},
                                {"clip_norm": float("nan")}, {"clip_value": True}, {"clip_norm": "1"}, {}])
def test_bad_thresholds_raise_value_error(kw):
    with pytest.raises(ValueError, match="clip_value|clip_norm"):
        C.clip_gradients([torch.ones(3)], **kw)


def test_loss_gradients_match_backward_and_leave_grad_empty():
    model = build_mlp(MLPConfig(n_inputs=6, n_outputs=3, depth=2, width=5), generator=torch.Generator().manual_seed(0))
    X, y = torch.randn(16, 6, generator=torch.Generator().manual_seed(1)), torch.arange(16) % 3
    grads = C.loss_gradients(model, X, y)
    assert all(p.grad is None for p in model.parameters())
    torch.nn.functional.cross_entropy(model(X), y).backward()
    assert all(torch.allclose(g, p.grad) for g, p in zip(grads, model.parameters(), strict=True))


@pytest.mark.parametrize("kw", [{"clip_norm": 0.05}, {"clip_value": 0.01}])
def test_clip_gradients_is_what_fit_applies(kw):
    """One plain-SGD step of `fit` (lr 1, one full batch) moves the weights by exactly minus the clipped gradient."""
    cfg = MLPConfig(n_inputs=6, n_outputs=3, depth=2, width=5)
    g = torch.Generator().manual_seed(2)
    X, y = torch.randn(12, 6, generator=g), torch.arange(12) % 3
    split = Split(X, y, X, y, None, None, 3, "toy", "toy")
    model = build_mlp(cfg, generator=torch.Generator().manual_seed(0))
    before = [p.detach().clone() for p in model.parameters()]
    expected = C.clip_gradients(C.loss_gradients(model, X, y), **kw)
    fit(model, split, FitConfig(epochs=1, batch_size=12, optimizer="sgd", lr=1.0, **kw), run_seeds(0, "t", 0))
    for p, p0, e in zip(model.parameters(), before, expected, strict=True):
        assert torch.allclose(p0 - p.detach(), e, atol=1e-6)


def test_float32_norm_overflow_zeroes_norm_clipped_gradient():
    """A caveat the claim works around: past ~1.8e19, torch's float32 total norm is inf and clipping zeroes the gradient."""
    g = [torch.full((100,), 1e19)]  # true norm 1e20
    effect = C.clipping_effect(g, clip_value=1.0, clip_norm=1.0)
    assert effect["raw_norm"] == pytest.approx(1e20) and math.isinf(effect["torch_norm"])
    assert effect["norm_clipped_norm"] == 0.0
    fine = C.clipping_effect([torch.full((100,), 1e17)], clip_value=1.0, clip_norm=1.0)
    assert fine["torch_norm"] == pytest.approx(1e18, rel=1e-5) and fine["cos_norm"] == pytest.approx(1.0)


def test_probe_records_one_trace_per_run_and_skips_nonfinite_steps():
    probe = C.ClippingProbe(clip_value=1.0, clip_norm=1.0)
    a, b = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)
    for model, fill in ((a, 3.0), (a, float("nan")), (b, 0.5)):
        for p in model.parameters():
            p.grad = torch.full_like(p, fill)
        probe(model)
    assert [len(t) for t in probe.traces] == [1, 1]
    assert probe.traces[0][0]["cos_norm"] == pytest.approx(1.0) and probe.traces[0][0]["raw_norm"] == pytest.approx(3 * 3 ** 0.5)
    with pytest.raises(ValueError, match="clip_value"):
        C.ClippingProbe(clip_value=-1.0, clip_norm=1.0)
