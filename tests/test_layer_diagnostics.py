"""The components of the initialization and clipping claims: variance flow under the fan rules, per-layer update
sizes, the logistic-regression baseline and the unrolled RNN/MLP gradient norms."""

from __future__ import annotations

import math

import pytest
import torch

from dnnkit import data
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.nn.unrolled import growth_decades, mlp_gradient_norms, rnn_gradient_norms, tanh_mlp, tanh_rnn
from dnnkit.nn.update_sizes import relative_updates, update_spread_decades
from dnnkit.nn.variance_flow import linear_stack, variance_ratios
from dnnkit.train.logistic import logistic_regression_accuracy


def _g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize(("mode", "forward", "backward"), [("fan_in", 1.0, 4.0), ("fan_out", 0.25, 1.0),
                                                           ("fan_avg", 0.4, 1.6)])
def test_variance_ratios_follow_the_fan_rule(mode, forward, backward):
    # 64 -> 256: forward scales by fan_in * s^2, backward by fan_out * s^2 (s^2 = 1/64, 1/256, 2/320).
    table = variance_ratios(linear_stack([64, 256], mode, _g()), torch.randn(8192, 64, generator=_g(1)), _g(2))
    assert table.loc[0, "forward"] == pytest.approx(forward, rel=0.1)
    assert table.loc[0, "backward"] == pytest.approx(backward, rel=0.1)


def test_linear_stack_refuses_bad_input():
    with pytest.raises(ValueError, match="unknown fan mode 'fan_max'"):
        linear_stack([4, 4], "fan_max")
    with pytest.raises(ValueError, match="widths"):
        linear_stack([4], "fan_in")


def test_relative_updates_measure_each_layer():
    config = MLPConfig(n_inputs=4, n_outputs=2, depth=2, width=3)
    before, after = build_mlp(config, generator=_g()), build_mlp(config, generator=_g())
    with torch.no_grad():
        after.linears()[1].weight.mul_(1.5)  # layer 1 moves by half its norm, the others not at all
    table = relative_updates(before, after)
    assert table["relative_update"].tolist() == pytest.approx([0.0, 0.5, 0.0])
    assert update_spread_decades(table) == math.inf
    with torch.no_grad():
        after.linears()[0].weight.mul_(1.005)
        after.linears()[2].weight.mul_(1.005)
    assert update_spread_decades(relative_updates(before, after)) == pytest.approx(2.0, abs=1e-6)


def test_relative_updates_refuse_different_architectures():
    a = build_mlp(MLPConfig(n_inputs=4, n_outputs=2, depth=2, width=3), generator=_g())
    b = build_mlp(MLPConfig(n_inputs=4, n_outputs=2, depth=2, width=5), generator=_g())
    with pytest.raises(ValueError, match="one architecture"):
        relative_updates(a, b)


def test_logistic_regression_is_linear_baseline_and_refuses_bad_values():
    split = data.make_blobs_classification(400, 4, 2, seed=0, class_sep=3.0)
    acc = logistic_regression_accuracy(split)
    assert 0.9 < acc <= 1.0 and acc == logistic_regression_accuracy(split)  # separable, deterministic
    with pytest.raises(ValueError, match="C=0"):
        logistic_regression_accuracy(split, C=0)
    with pytest.raises(ValueError, match="max_iter"):
        logistic_regression_accuracy(split, max_iter=0)


def test_unrolled_rnn_matches_a_shared_weight_mlp():
    """With the input at the first step only and the MLP's hidden layers set to the recurrent matrix, the RNN is
    that MLP: the gradient norms agree (float32 rounding only)."""
    cell, layers = tanh_rnn(8, 16, 1.0, _g()), tanh_mlp(8, 16, 5, 1.0, _g(1))
    with torch.no_grad():
        layers[0].weight.copy_(cell.weight_ih)
        for layer in layers[1:]:
            layer.weight.copy_(cell.weight_hh)
    xs = torch.zeros(5, 4, 8)
    xs[0] = torch.randn(4, 8, generator=_g(2))
    readout = torch.randn(16, generator=_g(3))
    assert rnn_gradient_norms(cell, xs, readout) == pytest.approx(mlp_gradient_norms(layers, xs[0], readout), rel=1e-5)


def test_growth_decades_and_bad_input():
    assert growth_decades([100.0, 10.0, 1.0]) == pytest.approx(2.0)
    assert growth_decades([0.01, 1.0]) == pytest.approx(-2.0)
    with pytest.raises(ValueError, match="gain"):
        tanh_rnn(4, 4, 0.0, _g())
    with pytest.raises(ValueError, match="xs must be"):
        rnn_gradient_norms(tanh_rnn(4, 4, 1.0, _g()), torch.zeros(3, 2, 5), torch.zeros(4))
