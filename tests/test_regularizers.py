"""Unit tests of dnnkit.regularization, dnnkit.mc_dropout and dnnkit.sparsity."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import torch
from torch import nn

from dnnkit.data import make_blobs_classification
from dnnkit.nn.mc_dropout import mc_dropout_mode, mc_dropout_predict, mc_dropout_samples, nll
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.nn.regularization import (
    as_weight_decay,
    layer_weights,
    max_norm,
    penalty,
    top_k_dropout,
    unit_norms,
    weight_norm,
)
from dnnkit.nn.sparsity import prune_smallest, pruning_curve, sparsity, sparsity_before_drop
from dnnkit.optim.optimizers import make_optimizer
from dnnkit.train.training import FitConfig, fit

NET = MLPConfig(n_inputs=6, n_outputs=3, depth=2, width=8)


def net(seed: int = 0, **changes) -> nn.Module:
    return build_mlp(NET.replace(**changes), generator=torch.Generator().manual_seed(seed))


# ------------------------------------------------------------------------------------------------ penalties


def test_penalty_is_keras_l1_l2_over_every_linear_weight():
    model = net()
    weights = [m.weight for m in model.linears()]
    expected = sum(0.1 * w.abs().sum() + 0.01 * w.square().sum() for w in weights)
    assert torch.allclose(penalty(l1=0.1, l2=0.01)(model), expected)
    assert penalty()(model).item() == 0.0


def test_penalty_layer_sets():
    model = net()
    assert [w.shape for w in layer_weights(model, "hidden")] == [w.weight.shape for w in model.linears()[:-1]]
    assert len(layer_weights(model, "weights")) == 3
    assert len(layer_weights(model, "all")) == len(list(model.parameters()))
    head_only = penalty(l2=1.0, layers="weights")(model) - penalty(l2=1.0, layers="hidden")(model)
    assert torch.allclose(head_only, model.head.weight.square().sum())


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_l2_penalty_equals_optimizer_weight_decay(optimizer):
    """penalty(l2=λ, layers="all") and weight_decay=2λ give the same updates (coupled L2)."""
    X, y = torch.randn(16, 6, generator=torch.Generator().manual_seed(1)), torch.arange(16) % 3
    models = [net(3), net(3)]
    opts = [make_optimizer(optimizer, models[0].parameters(), 0.1),
            make_optimizer(optimizer, models[1].parameters(), 0.1, **as_weight_decay(0.05))]
    reg = penalty(l2=0.05, layers="all")
    for _ in range(3):
        for i, (model, opt) in enumerate(zip(models, opts, strict=True)):
            loss = nn.functional.cross_entropy(model(X), y) + (reg(model) if i == 0 else 0.0)
            opt.zero_grad()
            loss.backward()
            opt.step()
    for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("kw", [{"l1": -0.1}, {"l2": -1e-3}, {"l1": math.nan}, {"l2": math.inf}, {"l1": "0.1"}])
def test_penalty_rejects_bad_strengths(kw):
    name, value = next(iter(kw.items()))
    with pytest.raises(ValueError, match=f"penalty {name}=.*finite number >= 0"):
        penalty(**kw)


def test_bad_layer_set_is_named():
    with pytest.raises(ValueError, match="layers='head'.*'weights', 'hidden', 'all'"):
        penalty(l2=0.1, layers="head")
    with pytest.raises(ValueError, match="finite number >= 0"):
        as_weight_decay(-1.0)


# ------------------------------------------------------------------------------------------------ max-norm


def test_max_norm_bounds_every_unit_and_leaves_small_rows_untouched():
    model = net()
    with torch.no_grad():
        model.hidden[0][0].weight.mul_(10)  # first layer's rows far above r
        model.head.weight.mul_(1e-3)  # head rows far below r
    head_before = model.head.weight.clone()
    max_norm(0.5)(model)
    for norms in unit_norms(model):
        assert float(norms.max()) <= 0.5 * (1 + 1e-6)
    assert torch.allclose(unit_norms(model)[0], torch.full((8,), 0.5))
    assert torch.equal(model.head.weight, head_before)


def test_max_norm_dim0_and_hidden_only():
    model = net()
    with torch.no_grad():
        for m in model.linears():
            m.weight.mul_(10)
    max_norm(0.3, dim=0, layers="hidden")(model)
    assert float(model.hidden[0][0].weight.detach().norm(dim=0).max()) <= 0.3 * (1 + 1e-6)
    assert float(model.head.weight.detach().norm(dim=1).max()) > 0.3


def test_max_norm_as_fit_callback_holds_after_training():
    split = make_blobs_classification(120, 6, 3, seed=0)
    model = net()
    fit(model, split, FitConfig(epochs=3, batch_size=16, lr=0.05, after_step=[max_norm(0.2)]))
    assert max(float(n.max()) for n in unit_norms(model)) <= 0.2 * (1 + 1e-6)


@pytest.mark.parametrize("r", [0, -1.0, math.nan, math.inf, True])
def test_max_norm_rejects_bad_radius(r):
    with pytest.raises(ValueError, match="max-norm r=.*finite number > 0"):
        max_norm(r)


def test_max_norm_rejects_bad_dim():
    with pytest.raises(ValueError, match="dim=2"):
        max_norm(1.0, dim=2)


def test_weight_norm_is_the_norm_of_all_weights():
    model = net()
    flat = torch.cat([m.weight.detach().flatten() for m in model.linears()])
    assert math.isclose(weight_norm(model), float(flat.norm()), rel_tol=1e-6)


# ------------------------------------------------------------------------------------------------ dropout rates


def test_top_k_dropout_and_mlp():
    assert top_k_dropout(5, 2, 0.3) == (0.0, 0.0, 0.0, 0.3, 0.3)
    assert top_k_dropout(3, 0, 0.5) == (0.0, 0.0, 0.0)
    model = build_mlp(NET.replace(dropout=top_k_dropout(2, 1, 0.5)))
    assert [any(isinstance(m, nn.Dropout) for m in block) for block in model.hidden] == [False, True]


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5])
def test_dropout_rate_outside_unit_interval_is_rejected(rate):
    with pytest.raises(ValueError, match=r"dropout rate .* \[0, 1\)"):
        MLPConfig(n_inputs=4, n_outputs=2, depth=2, dropout=rate)
    with pytest.raises(ValueError, match=r"dropout rate .* \[0, 1\)"):
        MLPConfig(n_inputs=4, n_outputs=2, depth=2, input_dropout=rate)
    with pytest.raises(ValueError, match=r"dropout rate .* \[0, 1\)"):
        top_k_dropout(3, 1, rate)


@pytest.mark.parametrize("k", [-1, 4, 1.5])
def test_top_k_dropout_rejects_bad_k(k):
    with pytest.raises(ValueError, match="k=.*depth=3"):
        top_k_dropout(3, k, 0.2)


# ------------------------------------------------------------------------------------------------ MC dropout


def bn_dropout_net(**changes) -> nn.Module:
    return net(batch_norm="before", dropout=0.3, **changes)


def test_mc_dropout_keeps_batchnorm_in_eval_and_dropout_on():
    model = bn_dropout_net()
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    drops = [m for m in model.modules() if isinstance(m, nn.Dropout)]
    seen: list[tuple[str, bool]] = []
    for m in bns + drops:
        m.register_forward_pre_hook(lambda mod, _: seen.append((type(mod).__name__, mod.training)))
    stats_before = [b.running_mean.clone() for b in bns]
    X = torch.randn(32, 6, generator=torch.Generator().manual_seed(0))
    mc_dropout_predict(model, X, 4)
    assert seen and all(not training for kind, training in seen if kind == "BatchNorm1d")
    assert all(training for kind, training in seen if kind == "Dropout")
    # Eval-mode BN neither uses nor updates batch statistics.
    assert all(torch.equal(a, b.running_mean) for a, b in zip(stats_before, bns, strict=True))


@pytest.mark.parametrize("start", ["train", "eval", "mixed"])
def test_mc_dropout_restores_every_module_mode(start):
    model = bn_dropout_net()
    model.train(start == "train")
    if start == "mixed":
        model.hidden[0].eval()  # e.g. a frozen block kept in eval while the rest trains
    before = [m.training for m in model.modules()]
    mc_dropout_predict(model, torch.randn(8, 6), 3)
    assert [m.training for m in model.modules()] == before


def test_mc_dropout_mode_restores_modes_after_an_exception():
    model = bn_dropout_net().train()
    with pytest.raises(RuntimeError), mc_dropout_mode(model):
        raise RuntimeError("boom")
    assert all(m.training for m in model.modules())


def test_mc_dropout_statistics_and_reproducibility():
    model = net(dropout=0.5)
    X = torch.randn(10, 6, generator=torch.Generator().manual_seed(0))
    samples = mc_dropout_samples(model, X, 7, torch.Generator().manual_seed(5))
    mean, std = mc_dropout_predict(model, X, 7, torch.Generator().manual_seed(5))
    assert samples.shape == (7, 10, 3) and torch.allclose(samples.sum(-1), torch.ones(7, 10))
    assert torch.allclose(mean, samples.mean(0)) and torch.allclose(std, samples.std(0, correction=0))
    assert float(std.max()) > 0  # the passes really differ
    state = torch.get_rng_state()
    again, _ = mc_dropout_predict(model, X, 7, torch.Generator().manual_seed(5))
    assert torch.equal(again, mean)
    assert torch.equal(torch.get_rng_state(), state)  # a seeded call leaves the global RNG alone
    _, one_std = mc_dropout_predict(model, X, 1)
    assert torch.equal(one_std, torch.zeros_like(one_std))


def test_mc_dropout_counts_alpha_dropout():
    model = build_mlp(NET.replace(activation="selu", weight_init="lecun_normal", dropout=0.2, alpha_dropout=True))
    _, std = mc_dropout_predict(model, torch.randn(5, 6), 5, torch.Generator().manual_seed(0))
    assert float(std.max()) > 0


@pytest.mark.parametrize("k", [0, -3, 2.5, True])
def test_mc_dropout_rejects_bad_sample_count(k):
    with pytest.raises(ValueError, match="n_samples=.*int >= 1"):
        mc_dropout_predict(net(dropout=0.2), torch.randn(2, 6), k)


def test_mc_dropout_without_dropout_is_an_error():
    model = net().train()
    with pytest.raises(ValueError, match="no dropout module"):
        mc_dropout_predict(model, torch.randn(2, 6), 3)
    assert all(m.training for m in model.modules())


def test_nll():
    probs = torch.tensor([[0.5, 0.5], [0.0, 1.0]])
    assert math.isclose(nll(probs, torch.tensor([0, 1])), -math.log(0.5) / 2, rel_tol=1e-6)
    assert math.isfinite(nll(probs, torch.tensor([0, 0])))  # log 0 floored, not -inf


# ------------------------------------------------------------------------------------------------ sparsity


def test_sparsity_fractions():
    model = net()
    with torch.no_grad():
        for m in model.linears():
            m.weight.copy_(torch.linspace(-1, 1, m.weight.numel()).view_as(m.weight))
        model.head.weight.zero_()
    s = sparsity(model, eps=0.5)
    w = torch.cat([m.weight.flatten() for m in model.linears()])
    assert s["n_weights"] == w.numel()
    assert math.isclose(s["zero_fraction"], float((w == 0).float().mean()))
    assert math.isclose(s["small_fraction"], float((w.abs() <= 0.5).float().mean()))
    assert sparsity(model)["small_fraction"] == s["zero_fraction"]  # eps = 0: exactly zero
    with pytest.raises(ValueError, match="eps=-0.1"):
        sparsity(model, eps=-0.1)


@pytest.mark.parametrize("scope", ["global", "layer"])
def test_prune_smallest_zeroes_exactly_the_smallest(scope):
    model = net()
    pruned = prune_smallest(model, 0.4, scope=scope)
    assert sparsity(model)["zero_fraction"] == 0.0  # original untouched
    groups = ([[m.weight for m in pruned.linears()]] if scope == "global" else [[m.weight] for m in pruned.linears()])
    originals = ([[m.weight for m in model.linears()]] if scope == "global" else [[m.weight] for m in model.linears()])
    for group, orig in zip(groups, originals, strict=True):
        w, w0 = (torch.cat([t.detach().flatten() for t in ts]) for ts in (group, orig))
        zeroed = w == 0
        assert int(zeroed.sum()) == round(0.4 * w.numel())
        assert float(w0[zeroed].abs().max()) <= float(w0[~zeroed].abs().min())  # the smallest ones went
        assert torch.equal(w[~zeroed], w0[~zeroed])
    assert torch.equal(pruned.head.bias, model.head.bias)


def test_prune_extremes_and_bad_input():
    model = net()
    assert sparsity(prune_smallest(model, 0.0))["zero_fraction"] == 0.0
    assert sparsity(prune_smallest(model, 1.0))["zero_fraction"] == 1.0
    for bad in (-0.1, 1.5, math.nan):
        with pytest.raises(ValueError, match=r"fraction=.*\[0, 1\]"):
            prune_smallest(model, bad)
    with pytest.raises(ValueError, match="scope='row'"):
        prune_smallest(model, 0.5, scope="row")


def test_pruning_curve_and_sparsity_before_drop():
    split = make_blobs_classification(200, 6, 3, seed=0)
    model = net()
    fit(model, split, FitConfig(epochs=5, batch_size=32, lr=0.01))
    curve = pruning_curve(model, split.X_val, split.y_val, [0.0, 0.5, 0.9, 1.0])
    assert list(curve["sparsity"]) == pytest.approx([0.0, 0.5, 0.9, 1.0], abs=0.01)
    table = pd.DataFrame({"fraction": [0.0, 0.2, 0.4, 0.6], "sparsity": [0.0, 0.2, 0.4, 0.6],
                          "acc": [0.9, 0.895, 0.85, 0.9]})
    # Stops at the first drop beyond the tolerance, even if a later point recovers.
    assert sparsity_before_drop(table, 0.9, 0.01) == pytest.approx(0.2)
    assert sparsity_before_drop(table, 0.95, 0.01) == 0.0
    with pytest.raises(ValueError, match="tolerance"):
        sparsity_before_drop(table, 0.9, -0.01)


def test_penalty_on_a_selection_without_weights_is_zero():
    model = nn.Sequential(nn.Linear(3, 2))
    from dnnkit.nn.regularization import penalty as make_penalty

    assert make_penalty(l2=1e-3, layers="hidden")(model).item() == 0.0
