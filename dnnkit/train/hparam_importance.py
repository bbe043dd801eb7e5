"""Random hyperparameter draws (Ng's list: rate, momentum, depth, width, decay, batch size), and how much of the
result each hyperparameter explains.

`sample_hyperparameters` draws configurations from a `HyperparameterSpace` (log-uniform rate and decay, uniform
momentum, choices of depth, width and batch size) with one torch.Generator, so a search is a pure function of its
seed. `binned_r2` is the one-way (ANOVA) R^2 of an outcome across quantile bins of one hyperparameter: the share of
the outcome's variance between the bins' means. The outcome is ranked first (a diverged run's +inf loss becomes the worst rank, not a NaN).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import rankdata

from ..nn.fields import bad, is_int, is_number


@dataclass(frozen=True)
class HyperparameterSpace:
    """The ranges a random search draws from."""

    log10_lr: tuple[float, float]
    momentum: tuple[float, float]
    depths: tuple[int, ...]
    widths: tuple[int, ...]
    log10_decay_epochs: tuple[float, float]  # s of dnnkit.optim.schedules.exponential: the rate drops 10x every s
    batch_sizes: tuple[int, ...]

    NAMES = ("lr", "momentum", "depth", "width", "decay_epochs", "batch_size")

    def __post_init__(self) -> None:
        # A reversed range would draw outside what was declared; an empty choice would fail only when drawn.
        for name in ("log10_lr", "momentum", "log10_decay_epochs"):
            lo_hi = getattr(self, name)
            if not (isinstance(lo_hi, tuple) and len(lo_hi) == 2 and all(is_number(v) for v in lo_hi)
                    and lo_hi[0] <= lo_hi[1]):
                raise bad("HyperparameterSpace", name, lo_hi, "a (low, high) tuple of finite numbers, low <= high")
        if not 0 <= self.momentum[0] <= self.momentum[1] <= 1:
            raise bad("HyperparameterSpace", "momentum", self.momentum, "a (low, high) range within [0, 1]")
        for name in ("depths", "widths", "batch_sizes"):
            options = getattr(self, name)
            if not (isinstance(options, tuple) and options and all(is_int(v) and v >= 1 for v in options)):
                raise bad("HyperparameterSpace", name, options, "a non-empty tuple of ints >= 1")


def sample_hyperparameters(space: HyperparameterSpace, n: int, generator: torch.Generator) -> list[dict[str, float]]:
    """n configurations, each a dict keyed by HyperparameterSpace.NAMES."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n={n!r}; it must be an int >= 1")
    u = torch.rand(n, 6, generator=generator, dtype=torch.float64).numpy()

    def between(col: int, lo_hi: tuple[float, float]) -> np.ndarray:
        return lo_hi[0] + u[:, col] * (lo_hi[1] - lo_hi[0])

    def choice(col: int, options: Sequence[int]) -> np.ndarray:
        return np.asarray(options)[np.minimum((u[:, col] * len(options)).astype(int), len(options) - 1)]

    columns = {"lr": 10 ** between(0, space.log10_lr), "momentum": between(1, space.momentum),
               "depth": choice(2, space.depths), "width": choice(3, space.widths),
               "decay_epochs": 10 ** between(4, space.log10_decay_epochs), "batch_size": choice(5, space.batch_sizes)}
    return [{name: (int(v[i]) if name in ("depth", "width", "batch_size") else float(v[i]))
             for name, v in columns.items()} for i in range(n)]


def binned_r2(outcome: Sequence[float], factor: Sequence[float], bins: int) -> float:
    """One-way R^2 of the ranked outcome across `bins` quantile bins of `factor` (ties in factor share a bin); a
    ValueError for a NaN, which has no rank (a diverged run should read +inf)."""
    raw, x = np.asarray(outcome, dtype=float), np.asarray(factor, dtype=float)
    if np.isnan(raw).any() or np.isnan(x).any():
        raise ValueError(f"binned_r2 got NaN in the outcome at {np.flatnonzero(np.isnan(raw)).tolist()} or the "
                         f"factor at {np.flatnonzero(np.isnan(x)).tolist()}; allowed: numbers (+inf for a diverged run)")
    y = rankdata(raw)
    if y.size != x.size or y.size < 2 or bins < 2:
        raise ValueError(f"binned_r2 needs outcome and factor of one length >= 2 and bins >= 2; got {y.size}, "
                         f"{x.size}, {bins}")
    labels = rankdata(x, method="min") - 1  # 0..n-1, ties share the lowest rank
    groups = np.floor(labels * bins / x.size).astype(int)
    total = float(((y - y.mean()) ** 2).sum())
    if total == 0 or math.isclose(total, 0.0):
        return 0.0
    between = sum(float((groups == g).sum()) * (float(y[groups == g].mean()) - float(y.mean())) ** 2
                  for g in np.unique(groups))
    return between / total
