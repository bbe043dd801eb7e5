"""The best dropout rate of a declared grid, chosen on pilot seeds (never the evidence seeds), as own_rates chooses
learning rates: each rate trains the same net (dropout after every hidden layer) on the pilot seeds, and the rate
with the best median final value of the metric wins (ties: the first in grid order)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..nn.models import MLPConfig
from ..seeds import RunSeeds
from .experiment import train_arm
from .training import FitConfig

HIGHER_IS_BETTER = {"val_acc": True, "train_acc": True, "val_loss": False, "train_loss": False}


def best_dropout_rate(net: MLPConfig, split, fit: FitConfig, rates: Sequence[float], pilot_seeds: Sequence[RunSeeds],
                      metric: str = "val_acc") -> tuple[float, dict[float, float]]:
    """(the best rate, {rate: median final metric on the pilot seeds}). ValueError for an empty grid, no pilot
    seeds or a metric whose better direction is unknown."""
    rates, pilot_seeds = list(rates), list(pilot_seeds)
    if not rates or not pilot_seeds:
        raise ValueError(f"best_dropout_rate needs a non-empty grid and pilot seeds; got {rates!r} and "
                         f"{len(pilot_seeds)} pilot seeds")
    if metric not in HIGHER_IS_BETTER:
        raise ValueError(f"metric {metric!r}; allowed: {', '.join(HIGHER_IS_BETTER)}")
    table = {}
    for rate in rates:
        runs = train_arm(f"pilot dropout {rate:g}", net.replace(dropout=rate), split, fit, pilot_seeds)
        table[rate] = float(np.median(runs.values(metric)))
    sign = 1 if HIGHER_IS_BETTER[metric] else -1
    best = max(rates, key=lambda r: sign * table[r])  # max keeps the first of equal values
    return best, table
