"""Unit tests of the dropout section's components: dnnkit.nn.dropout_probes (masks, repeats, the backward rule,
knockout, ECE, bands) and dnnkit.train.dropout_rates (the best rate of a grid on pilot seeds)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dnnkit import data
from dnnkit.nn.dropout_probes import (
    FLOAT32_EPS,
    band_center,
    draw_masks,
    dropout_backward_error,
    expected_calibration_error,
    knockout_accuracy_drop,
    repeated_rows,
)
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.seeds import run_seeds
from dnnkit.train import dropout_rates
from dnnkit.train.dropout_rates import best_dropout_rate
from dnnkit.train.training import FitConfig


def test_draw_masks_shape_rate_and_reproducibility():
    masks = draw_masks(200, 8, (30, 20), 0.25, torch.Generator().manual_seed(0))
    assert masks.shape == (1600, 50) and masks.dtype == torch.bool
    assert abs(float(masks.float().mean()) - 0.75) < 0.01
    again = draw_masks(200, 8, (30, 20), 0.25, torch.Generator().manual_seed(0))
    assert torch.equal(masks, again)


@pytest.mark.parametrize("kwargs", [dict(steps=0), dict(batch=True), dict(rate=1.0), dict(rate=-0.1),
                                    dict(widths=()), dict(widths=(4, 0))])
def test_draw_masks_refuses_bad_arguments(kwargs):
    args = dict(steps=2, batch=2, widths=(4,), rate=0.5, generator=torch.Generator())
    with pytest.raises(ValueError):
        draw_masks(**{**args, **kwargs})


def test_repeated_rows_counts_exact_duplicates():
    rows = torch.tensor([[1, 0, 1], [0, 0, 1], [1, 0, 1], [1, 0, 1], [0, 1, 1]], dtype=torch.bool)
    assert repeated_rows(rows) == 2
    assert repeated_rows(rows[[0, 1, 4]]) == 0
    # rows that differ only beyond the first byte of packed bits still count as distinct
    wide = torch.zeros(2, 20, dtype=torch.bool)
    wide[1, 19] = True
    assert repeated_rows(wide) == 0
    with pytest.raises(ValueError, match="bool"):
        repeated_rows(rows.float())


def test_few_units_repeat_and_many_do_not():
    g = torch.Generator().manual_seed(1)
    assert repeated_rows(draw_masks(100, 10, (4,), 0.5, g)) > 900  # 16 possible masks, 1000 draws
    assert repeated_rows(draw_masks(100, 10, (128,), 0.5, g)) == 0


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_backward_matches_the_forward_mask(rate):
    g = torch.Generator().manual_seed(3)
    z = torch.randn(32, 64, generator=g)
    x = torch.sign(z) * (z.abs() + 0.1)
    state = torch.random.get_rng_state()
    out = dropout_backward_error(x, torch.randn(32, 64, generator=g), rate, torch.Generator().manual_seed(4))
    assert torch.equal(torch.random.get_rng_state(), state)  # the global stream is left alone
    assert out["relative_error"] <= 2 * FLOAT32_EPS
    assert out["control_relative_error"] > 2 * FLOAT32_EPS
    assert abs(out["kept_share"] - (1 - rate)) < 0.05


def test_dropout_backward_refuses_zeros_rate_zero_and_shape_mismatch():
    x = torch.ones(4, 4)
    with pytest.raises(ValueError, match="zeros"):
        dropout_backward_error(torch.zeros(4, 4), x, 0.5)
    with pytest.raises(ValueError, match="rate 0"):
        dropout_backward_error(x, x, 0.0)
    with pytest.raises(ValueError, match="shape"):
        dropout_backward_error(x, torch.ones(4, 3), 0.5)


def _model_and_data():
    model = build_mlp(MLPConfig(n_inputs=6, n_outputs=3, depth=2, width=16), generator=torch.Generator().manual_seed(0))
    X = torch.randn(50, 6, generator=torch.Generator().manual_seed(1))
    return model, X, model.eval()(X).argmax(1).detach()


def test_knockout_drop_is_zero_at_rate_zero():
    model, X, y = _model_and_data()
    y = y.clone()
    y[:10] = (y[:10] + 1) % 3  # 10 of 50 labels wrong: the accuracy is 0.8, not 1 by construction
    out = knockout_accuracy_drop(model, model.hidden[0], X, y, rate=0.0, draws=3, generator=torch.Generator())
    assert out["accuracy"] == pytest.approx(0.8, abs=1e-6)  # a float32 mean
    assert out["knocked_accuracy"] == out["accuracy"] and out["drop"] == 0.0


def test_knockout_leaves_the_model_as_it_was():
    model, X, y = _model_and_data()
    before = model.eval()(X).detach()
    model.train()
    # rate > 0: a hook left behind would change the outputs (at rate 0 it is the identity)
    knockout_accuracy_drop(model, model.hidden[0], X, y, rate=0.5, draws=3, generator=torch.Generator().manual_seed(0))
    assert model.training  # mode restored
    assert not model.hidden[0]._forward_hooks
    assert torch.equal(model.eval()(X), before)


def test_knockout_drop_grows_with_the_rate():
    model, X, y = _model_and_data()
    drops = [knockout_accuracy_drop(model, model.hidden[0], X, y, rate=r, draws=20,
                                    generator=torch.Generator().manual_seed(2))["drop"] for r in (0.1, 0.9)]
    assert 0 <= drops[0] < drops[1]


def test_knockout_refuses_a_foreign_layer_and_bad_draws():
    model, X, y = _model_and_data()
    with pytest.raises(ValueError, match="submodule"):
        knockout_accuracy_drop(model, nn.Linear(2, 2), X, y, rate=0.2, draws=1, generator=torch.Generator())
    with pytest.raises(ValueError, match="draws"):
        knockout_accuracy_drop(model, model.hidden[0], X, y, rate=0.2, draws=0, generator=torch.Generator())


def test_ece_by_hand():
    # confidences 0.9 (right), 0.9 (wrong), 0.6 (right), 1.0 (right): bins (0.53, 0.6], (0.87, 0.93], (0.93, 1]
    probs = torch.tensor([[0.9, 0.1], [0.9, 0.1], [0.4, 0.6], [1.0, 0.0]])
    y = torch.tensor([0, 1, 1, 0])
    expected = 2 / 4 * abs(0.5 - 0.9) + 1 / 4 * abs(1 - 0.6) + 1 / 4 * abs(1 - 1.0)
    assert math.isclose(expected_calibration_error(probs, y, bins=15), expected, abs_tol=1e-6)  # float32 inputs
    assert expected_calibration_error(torch.tensor([[1.0, 0.0]] * 3), torch.tensor([1, 1, 1])) == 1.0
    with pytest.raises(ValueError):
        expected_calibration_error(probs, y[:3])


def test_band_center():
    assert band_center(1.5, 3.0) == (2.25, 0.75)
    with pytest.raises(ValueError):
        band_center(2.0, 1.0)


def test_best_dropout_rate_picks_from_the_grid():
    split = data.make_blobs_classification(200, 5, 3, seed=0)
    net = MLPConfig(n_inputs=5, n_outputs=3, depth=1, width=16)
    seeds = [run_seeds(0, "unit", r, "pilot") for r in range(2)]
    best, table = best_dropout_rate(net, split, FitConfig(epochs=2, batch_size=32), (0.0, 0.9), seeds)
    assert best in (0.0, 0.9) and set(table) == {0.0, 0.9}
    assert table[best] == max(table.values())
    with pytest.raises(ValueError, match="grid"):
        best_dropout_rate(net, split, FitConfig(epochs=1), (), seeds)
    with pytest.raises(ValueError, match="metric"):
        best_dropout_rate(net, split, FitConfig(epochs=1), (0.1,), seeds, metric="f1")


class _FixedRuns:
    """What train_arm returns, reduced to the per-seed final values best_dropout_rate reads."""

    def __init__(self, values: dict[str, list[float]]):
        self._values = values

    def values(self, metric: str) -> list[float]:
        return self._values[metric]


# Per dropout rate, fixed per-seed finals (medians: val_loss 0.6, 0.3, 0.3, 0.9; val_acc 0.7, 0.9, 0.9, 0.4), so
# the choice is known in advance: 0.2 and 0.5 tie in both metrics.
_FIXED = {0.0: {"val_loss": [0.5, 0.6, 0.7], "val_acc": [0.7, 0.6, 0.8]},
          0.2: {"val_loss": [0.3, 0.1, 0.4], "val_acc": [0.9, 0.95, 0.5]},
          0.5: {"val_loss": [0.2, 0.3, 0.35], "val_acc": [0.9, 0.85, 0.99]},
          0.8: {"val_loss": [0.9, 0.9, 0.9], "val_acc": [0.4, 0.1, 0.5]}}


@pytest.mark.parametrize("metric, rates, expected", [
    ("val_loss", (0.0, 0.2, 0.5, 0.8), 0.2),  # lower is better
    ("val_loss", (0.8, 0.5, 0.2, 0.0), 0.5),  # the tie goes to the first in grid order
    ("val_loss", (0.0, 0.8), 0.0),
    ("val_acc", (0.0, 0.2, 0.5, 0.8), 0.2),  # higher is better
    ("val_acc", (0.8, 0.5, 0.2, 0.0), 0.5),
    ("val_acc", (0.0, 0.8), 0.0),
])
def test_best_dropout_rate_direction_and_ties(monkeypatch, metric, rates, expected):
    trained = []

    def fake_train_arm(name, net, split, fit, seeds):
        trained.append(net.dropout)
        return _FixedRuns(_FIXED[net.dropout])

    monkeypatch.setattr(dropout_rates, "train_arm", fake_train_arm)
    net = MLPConfig(n_inputs=5, n_outputs=3, depth=1, width=16)
    best, table = best_dropout_rate(net, None, FitConfig(epochs=1), rates, [run_seeds(0, "unit", 0, "pilot")],
                                    metric=metric)
    assert best == expected
    assert trained == list(rates)
    assert table == {r: sorted(_FIXED[r][metric])[1] for r in rates}
