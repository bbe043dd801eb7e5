"""Batch normalization: folding into Linear layers, the moving-statistics update, and train/eval batch dependence."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dnnkit.nn.batchnorm import fold_batchnorm, keras_to_torch_momentum
from dnnkit.nn.models import MLPConfig, build_mlp

# momentum 0.3 so a few batches move the running statistics far from their (0, 1) start
BASE = MLPConfig(n_inputs=12, n_outputs=5, depth=3, width=16, activation="elu", bn_momentum=0.3)


def _trained_stats_model(config: MLPConfig, seed: int) -> nn.Module:
    """A random net with random gamma/beta and non-trivial running statistics (a few train-mode batches)."""
    g = torch.Generator().manual_seed(seed)
    model = build_mlp(config, generator=g)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.weight.copy_(torch.rand(m.num_features, generator=g) * 2 + 0.2)
                m.bias.copy_(torch.randn(m.num_features, generator=g))
        model.train()
        for _ in range(5):  # shifted, scaled inputs so the moving stats move away from (0, 1)
            model(torch.randn(64, config.n_inputs, generator=g) * 3 + 1.5)
    return model.eval()


CASES = {
    "before": BASE.replace(batch_norm="before"),
    "after": BASE.replace(batch_norm="after"),
    "input": BASE.replace(input_batch_norm=True),
    "input+before+dropout": BASE.replace(input_batch_norm=True, batch_norm="before", dropout=0.3),
    "input+after+dropout": BASE.replace(input_batch_norm=True, batch_norm="after", dropout=0.3, activation="relu"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fold_matches_eval_outputs(case, seed):
    config = CASES[case]
    model = _trained_stats_model(config, seed)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    assert bns and all(not torch.allclose(m.running_mean, torch.zeros_like(m.running_mean)) for m in bns)
    folded = fold_batchnorm(model)
    assert not any(isinstance(m, nn.BatchNorm1d) for m in folded.modules())
    assert not folded.training
    assert model.training is False  # the original is untouched (a deep copy was folded)
    assert any(isinstance(m, nn.BatchNorm1d) for m in model.modules())
    x = torch.randn(200, config.n_inputs, generator=torch.Generator().manual_seed(100 + seed)) * 2 + 0.5
    with torch.no_grad():
        expected, got = model(x), folded(x)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_fold_without_bn_is_identity_copy():
    model = build_mlp(BASE, generator=torch.Generator().manual_seed(0)).eval()
    x = torch.randn(10, BASE.n_inputs)
    with torch.no_grad():
        torch.testing.assert_close(fold_batchnorm(model)(x), model(x))


def test_fold_refuses_bn_without_running_stats():
    model = build_mlp(BASE.replace(batch_norm="before"), generator=torch.Generator().manual_seed(0))
    model.hidden[0][1] = nn.BatchNorm1d(BASE.width, track_running_stats=False)
    with pytest.raises(ValueError, match="running statistics"):
        fold_batchnorm(model)


def test_moving_statistics_after_one_batch():
    """AlgoPerf's bug class: check the moving-average update against values computed by hand."""
    m = 0.01  # dnnkit's default = Keras momentum 0.99
    assert keras_to_torch_momentum(0.99) == pytest.approx(m)
    model = build_mlp(BASE.replace(input_batch_norm=True, bn_momentum=m), generator=torch.Generator().manual_seed(0))
    bn = model.input[0]
    assert bn.momentum == m
    x = torch.randn(32, BASE.n_inputs, generator=torch.Generator().manual_seed(1)) * 4 + 2
    model.train()
    with torch.no_grad():
        model(x)
    xs = x.double().numpy()
    n = xs.shape[0]
    batch_mean = xs.sum(axis=0) / n
    unbiased_var = ((xs - batch_mean) ** 2).sum(axis=0) / (n - 1)
    np.testing.assert_allclose(bn.running_mean.numpy(), (1 - m) * 0.0 + m * batch_mean, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(bn.running_var.numpy(), (1 - m) * 1.0 + m * unbiased_var, rtol=1e-5, atol=1e-7)
    biased_var = ((xs - batch_mean) ** 2).sum(axis=0) / n
    assert not np.allclose(bn.running_var.numpy(), (1 - m) + m * biased_var, rtol=1e-6, atol=0)
    assert int(bn.num_batches_tracked) == 1


def test_keras_momentum_rejects_out_of_range():
    with pytest.raises(ValueError, match="keras_momentum"):
        keras_to_torch_momentum(1.0)


@pytest.mark.parametrize("position", ["before", "after"])
def test_eval_prediction_independent_of_batch_train_dependent(position):
    model = _trained_stats_model(BASE.replace(batch_norm=position), 0)
    g = torch.Generator().manual_seed(5)
    x0 = torch.randn(1, BASE.n_inputs, generator=g)
    batch_a = torch.cat([x0, torch.randn(31, BASE.n_inputs, generator=g)])
    batch_b = torch.cat([x0, torch.randn(31, BASE.n_inputs, generator=g) * 3 - 1])
    with torch.no_grad():
        model.eval()
        alone = model(x0)[0]
        torch.testing.assert_close(model(batch_a)[0], alone, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(model(batch_b)[0], alone, rtol=1e-5, atol=1e-6)
        model.train()
        in_a, in_b = model(batch_a)[0], model(batch_b)[0]
    assert (in_a - in_b).abs().max() > 1e-2
