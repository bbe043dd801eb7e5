"""Random search over the chapter's hyperparameters (activation with its matched init, optimizer, learning rate,
batch norm, dropout), scored on pilot seeds: what the chapter's default configuration competes against.

`sample_configs` draws n candidates from a `SearchSpace` with its own generator (a pure function of the seed);
`random_search` trains each on the pilot seeds and returns the best by median final validation accuracy, with the
table it chose from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..nn.activations import MATCHED_INIT
from ..nn.fields import is_int, is_number
from ..nn.models import BN_POSITIONS, MLPConfig
from ..optim.optimizers import check_name
from ..seeds import RunSeeds
from .experiment import replace_fit, train_arm
from .training import FitConfig


@dataclass(frozen=True)
class SearchSpace:
    """Each field: the values drawn uniformly; the rate is log-uniform in [lr_low, lr_high]."""

    activations: tuple[str, ...]
    optimizers: tuple[str, ...]
    lr_low: float
    lr_high: float
    batch_norm: tuple[str | None, ...]
    dropout: tuple[float, ...]

    def __post_init__(self) -> None:
        # Every value is checked here, so a bad one fails at construction and not only when a draw happens to hit it.
        for name in ("activations", "optimizers", "batch_norm", "dropout"):
            if not getattr(self, name):
                raise ValueError(f"SearchSpace.{name} is empty; give at least one value")
        unknown = [a for a in self.activations if not isinstance(a, str) or a not in MATCHED_INIT]
        if unknown:
            raise ValueError(f"SearchSpace.activations {unknown!r}; allowed: {', '.join(MATCHED_INIT)}")
        for opt in self.optimizers:
            try:
                check_name(opt)
            except ValueError as err:
                raise ValueError(f"SearchSpace.optimizers: {err}") from None
        unknown = [b for b in self.batch_norm if b not in BN_POSITIONS]
        if unknown:
            raise ValueError(f"SearchSpace.batch_norm {unknown!r}; allowed: None, 'before', 'after'")
        bad = [p for p in self.dropout if not (is_number(p) and 0 <= p < 1)]
        if bad:
            raise ValueError(f"SearchSpace.dropout {bad!r}; allowed: rates in [0, 1) (numbers, not bools or strings)")
        if not (is_number(self.lr_low) and is_number(self.lr_high) and 0 < self.lr_low < self.lr_high):
            raise ValueError(f"SearchSpace lr_low={self.lr_low!r}, lr_high={self.lr_high!r}; allowed: "
                             "0 < lr_low < lr_high < inf (numbers, not bools or strings)")


@dataclass(frozen=True)
class Candidate:
    name: str
    net: MLPConfig
    fit: FitConfig


def sample_configs(space: SearchSpace, net: MLPConfig, fit: FitConfig, n: int, seed: int) -> list[Candidate]:
    """n candidates drawn from `space` around `net` and `fit` (depth, width, epochs, batch size stay theirs)."""
    if not (is_int(n) and n >= 1):
        raise ValueError(f"n={n!r}; allowed: an int >= 1 (not a bool)")
    g = torch.Generator().manual_seed(seed)

    def pick(values: Sequence):
        return values[int(torch.randint(len(values), (1,), generator=g))]

    out = []
    for i in range(n):
        act, opt, bn, p = pick(space.activations), pick(space.optimizers), pick(space.batch_norm), pick(space.dropout)
        u = float(torch.rand((), generator=g))
        lr = float(math.exp(math.log(space.lr_low) + u * (math.log(space.lr_high) - math.log(space.lr_low))))
        name = f"#{i} {act} {opt} lr {lr:.2g} bn {bn or 'none'} dropout {p:g}"
        out.append(Candidate(name, net.replace(activation=act, weight_init=MATCHED_INIT[act], batch_norm=bn,
                                               dropout=p), replace_fit(fit, optimizer=opt, lr=lr)))
    return out


def random_search(candidates: Sequence[Candidate], split, pilot_seeds: Sequence[RunSeeds]
                  ) -> tuple[Candidate, list[dict]]:
    """Train each candidate on the pilot seeds; the best by median final validation accuracy (ties: the first)."""
    if not candidates or not pilot_seeds:
        raise ValueError("random_search needs at least one candidate and one pilot seed")
    table = []
    for c in candidates:
        runs = train_arm(c.name, c.net, split, c.fit, pilot_seeds)
        table.append({"name": c.name, "median_val_acc": float(np.median(runs.values("val_acc")))})
    best = max(range(len(candidates)), key=lambda i: table[i]["median_val_acc"])
    return candidates[best], table


def found_one_cycle(net: MLPConfig, split, fit: FitConfig, seed: RunSeeds, steps: int) -> tuple[FitConfig, float]:
    """The chapter's default schedule: the LR finder (dnnkit.lr_finder.find_lr over `steps` batches, the fit's
    optimizer and batch size, on the model `seed` initializes; one epoch of a small set is too few steps to sweep
    1e-6 to 10) suggests a rate, and 1cycle (dnnkit.schedules.one_cycle, per step)
    peaks at it over the fit's epochs. Returns the fit with that schedule and the rate."""
    from ..nn.models import build_mlp
    from ..optim.schedules import one_cycle
    from .lr_finder import find_lr

    model = build_mlp(net, generator=seed.generator("init"), device=split.X_train.device)
    found = find_lr(model, split, optimizer=fit.optimizer, batch_size=fit.batch_size, seeds=seed, steps=steps,
                    **fit.optimizer_params)
    return replace_fit(fit, schedule=one_cycle(found.suggestion, fit.epochs), schedule_per_step=True), found.suggestion
