"""Components of the batch-norm claims of part B: what a BN layer outputs (and the tolerance it is checked with),
covariate-shift measures, epoch cost and time to target in reference epochs, generalization gaps and per-seed gains,
and the MLP's BN placement and momentum convention."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dnnkit.data import make_blobs_classification
from dnnkit.nn.batchnorm import (
    batchnorm_io,
    float_sum_tolerance,
    keras_to_torch_momentum,
    randomize_affine,
    standardization_errors,
)
from dnnkit.nn.covariate_shift import covariate_shift
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.seeds import run_seeds
from dnnkit.train.epoch_cost import epoch_runner, in_reference_epochs
from dnnkit.train.experiment import train_arm
from dnnkit.train.generalization import gap_reduction, gaps, per_class_subset, per_seed_gain
from dnnkit.train.training import FitConfig, fit

NET = MLPConfig(n_inputs=10, n_outputs=4, depth=4, width=16, batch_norm="before", bn_momentum=0.1)


@pytest.fixture(scope="module")
def blobs():
    return make_blobs_classification(400, 10, 4, seed=3)


def _model(config=NET, seed=0):
    g = torch.Generator().manual_seed(seed)
    return randomize_affine(build_mlp(config, generator=g), g, 0.5, 2.0, 1.0)


def test_bn_placement_before_and_after_the_activation():
    before = build_mlp(NET)
    after = build_mlp(NET.replace(batch_norm="after"))
    assert [type(m) for m in before.hidden[0]] == [nn.Linear, nn.BatchNorm1d, nn.ELU]
    assert [type(m) for m in after.hidden[0]] == [nn.Linear, nn.ELU, nn.BatchNorm1d]
    assert not any(isinstance(m, nn.BatchNorm1d) for m in build_mlp(NET.replace(batch_norm=None)).modules())


def test_keras_momentum_099_is_torch_001_and_moving_stats_follow_keras_rule():
    assert keras_to_torch_momentum(0.99) == pytest.approx(0.01)
    bn = build_mlp(NET.replace(bn_momentum=keras_to_torch_momentum(0.99))).hidden[0][1]
    x = torch.randn(64, NET.width) * 3 + 2
    bn.train()(x)
    # Keras: moving = 0.99 * moving + 0.01 * batch (the moving variance takes the unbiased batch variance)
    assert torch.allclose(bn.running_mean, 0.01 * x.mean(0), atol=1e-6)
    assert torch.allclose(bn.running_var, 0.99 + 0.01 * x.var(0, unbiased=True), atol=1e-5)


def test_randomize_affine_moves_gamma_and_beta_within_range():
    model = _model()
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    assert bns and all(((m.weight >= 0.5) & (m.weight <= 2.0)).all() for m in bns)
    assert all(m.bias.abs().max() > 0 for m in bns)
    with pytest.raises(ValueError, match="gamma_low"):
        randomize_affine(build_mlp(NET), torch.Generator(), 2.0, 1.0, 1.0)


def test_batchnorm_io_train_mode_standardizes_and_leaves_the_model_alone(blobs):
    model = _model()
    before = [m.running_mean.clone() for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    seen = batchnorm_io(model, blobs.X_train[:128])
    assert len(seen) == NET.depth
    for bn, x, y in seen:
        e = standardization_errors(bn, x, y)
        tol = float_sum_tolerance(len(x), e["scale"])
        assert e["mean_vs_beta"] <= tol and e["std_vs_exact"] <= tol
        assert e["std_vs_gamma"] <= e["eps_bound"] + tol
    after = [m.running_mean for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True))  # the probe ran on a copy


def test_standardization_errors_see_a_wrong_output_and_eval_mode(blobs):
    model = _model()
    bn, x, y = batchnorm_io(model, blobs.X_train[:128])[0]
    e = standardization_errors(bn, x, y + 1e-3)  # a shifted output misses beta by the shift
    assert e["mean_vs_beta"] == pytest.approx(1e-3, rel=1e-2)
    bn, x, y = batchnorm_io(model, blobs.X_train[:128], training=False)[0]  # moving stats (0, 1): not standardized
    assert standardization_errors(bn, x, y)["mean_vs_beta"] > 1e-2
    with pytest.raises(ValueError, match="no BatchNorm1d"):
        batchnorm_io(build_mlp(NET.replace(batch_norm=None)), blobs.X_train[:8])


def test_eps_bound_is_the_shrinkage_of_small_variance_features():
    bn = nn.BatchNorm1d(3, eps=1e-1).train()
    x = torch.randn(512, 3) * torch.tensor([1e-1, 1.0, 10.0])
    e = standardization_errors(bn, x, bn(x).detach())
    assert e["std_vs_exact"] <= float_sum_tolerance(512, e["scale"])
    assert 0.1 < e["std_vs_gamma"] <= e["eps_bound"] + 1e-6  # the 0.1-std feature shrinks by ~30%


def test_float_sum_tolerance_is_n_eps_scale():
    assert float_sum_tolerance(256, 2.0) == pytest.approx(256 * 2 ** -23 * 2.0)
    assert float_sum_tolerance(4, 1.0, torch.float64) == pytest.approx(4 * 2 ** -52)
    with pytest.raises(ValueError):
        float_sum_tolerance(0, 1.0)


def test_covariate_shift_zero_step_changes_nothing_and_model_is_untouched(blobs):
    model = _model(NET.replace(depth=5))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    X, y = blobs.X_train[:64], blobs.y_train[:64]
    still = covariate_shift(model, X, y, layer=4, rho=0.0)
    assert still["moment_shift"] == 0 and still["grad_change"] == 0 and still["grad_cosine"] == pytest.approx(1.0)
    moved = covariate_shift(model, X, y, layer=4, rho=0.05)
    assert moved["moment_shift"] > 0 and moved["grad_change"] > 0
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in state.items())
    for bad in (1, 6):
        with pytest.raises(ValueError, match="layer"):
            covariate_shift(model, X, y, layer=bad, rho=0.01)


def test_covariate_shift_bn_keeps_the_later_layers_input_moments(blobs):
    X, y = blobs.X_train[:128], blobs.y_train[:128]
    plain = covariate_shift(build_mlp(NET.replace(batch_norm=None, depth=5), generator=torch.Generator().manual_seed(1)),
                            X, y, layer=5, rho=0.2)
    bn = covariate_shift(build_mlp(NET.replace(depth=5), generator=torch.Generator().manual_seed(1)),
                         X, y, layer=5, rho=0.2)
    assert bn["moment_shift"] < plain["moment_shift"]


@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_epoch_runner_trains_one_epoch_per_call(blobs, optimizer):
    net, s = NET.replace(batch_norm=None), run_seeds(0, "epoch-runner", 0)
    model, reference = (build_mlp(net, generator=torch.Generator().manual_seed(0)) for _ in range(2))
    w0 = model.head.weight.clone()
    config = FitConfig(epochs=2, batch_size=50, optimizer=optimizer, lr=1e-2)
    run = epoch_runner(model, blobs, config, s.data)
    run()
    w1 = model.head.weight.clone()
    run()
    assert not torch.equal(w0, w1) and not torch.equal(w1, model.head.weight)
    fit(reference, blobs, config, s)  # two epochs of fit from the same init and data seed: the same weights, bit for bit
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), reference.state_dict().values(), strict=True))


@pytest.mark.parametrize("field, value", [("clip_norm", 1e-3), ("clip_value", 0.1), ("penalty", lambda m: 0.0),
                                          ("after_step", [lambda m: None]), ("param_groups", lambda m: []),
                                          ("schedule", lambda opt, steps: None)])
def test_epoch_runner_refuses_what_it_does_not_implement(blobs, field, value):
    model = build_mlp(NET.replace(batch_norm=None))
    with pytest.raises(ValueError, match=rf"FitConfig {field}=.*; it supports optimizer, lr"):
        epoch_runner(model, blobs, FitConfig(batch_size=50, **{field: value}))


def test_in_reference_epochs_scales_by_the_median_ratio_and_keeps_inf():
    assert in_reference_epochs([2.0, math.inf], [3.0, 3.0, 30.0], [2.0, 2.0, 2.0]) == [3.0, math.inf]
    with pytest.raises(ValueError, match="rounds"):
        in_reference_epochs([1.0], [1.0], [])


def test_gaps_gains_and_subset(blobs):
    seeds = [run_seeds(0, "t", i) for i in range(2)]
    fit = FitConfig(epochs=2, batch_size=50, eval_train=True)
    plain = train_arm("plain", NET.replace(batch_norm=None), blobs, fit, seeds)
    bn = train_arm("bn", NET, blobs, fit, seeds)
    assert gaps(plain) == pytest.approx([r.metric("val_loss") - r.metric("train_loss_eval") for r in plain.results])
    assert gaps(plain, "accuracy") == pytest.approx([r.metric("train_acc") - r.metric("val_acc") for r in plain.results])
    assert gap_reduction(bn, plain) == pytest.approx([p - b for p, b in zip(gaps(plain), gaps(bn), strict=True)])
    assert per_seed_gain(bn, plain, "val_acc") == pytest.approx(
        [b - p for b, p in zip(bn.values("val_acc"), plain.values("val_acc"), strict=True)])
    assert per_seed_gain(bn, plain, "val_loss") == pytest.approx(
        [p - b for b, p in zip(bn.values("val_loss"), plain.values("val_loss"), strict=True)])
    other = train_arm("other", NET, blobs, fit, [run_seeds(1, "t", i) for i in range(2)])
    with pytest.raises(ValueError, match="different seeds"):
        per_seed_gain(bn, other, "val_loss")
    with pytest.raises(ValueError, match="gap"):
        gaps(bn, "nll")
    sub = per_class_subset(blobs, 5, seed=0)
    assert sub.y_train.bincount().tolist() == [5, 5, 5, 5] and len(sub.X_val) == len(blobs.X_val)
