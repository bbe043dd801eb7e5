"""Experiments as pure functions of (config, seeds) -> results: train one arm over its seeds, or several arms.

This is the one place the harness trains models. By default an arm's seeds train together as one batched ensemble
(dnnkit.ensemble: each member bitwise equal to its sequential run on CPU); experiments the ensemble cannot match
train seed after seed. `ArmRuns.mode` records which path ran ("ensemble" or "sequential") and the evidence carries
it; `extra["ensemble_fallback"]` says why an arm fell back. DNNKIT_TRAIN_MODE=sequential (or ensemble) forces a
path for the whole process, e.g. to compare the two. `workers` splits an ensemble over that many processes (one
core each; the pytest plugin's --ensemble-workers); `ArmRuns.workers` records it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from ..nn.models import MLPConfig, build_mlp
from ..seeds import RunSeeds
from . import ensemble
from .training import FitConfig, FitResult, fit

TRAIN_MODES = ("auto", "ensemble", "sequential")


@dataclass
class ArmRuns:
    """One arm's runs, one per seed, in seed order."""

    arm: str
    config: MLPConfig
    fit_config: FitConfig
    seeds: list[RunSeeds]
    results: list[FitResult]
    mode: str = "sequential"
    extra: dict = field(default_factory=dict)
    workers: int = 1

    def values(self, metric: str, how: str = "final") -> list[float]:
        """One scalar per seed (diverged runs take the worst value)."""
        return [r.metric(metric, how) for r in self.results]

    def epochs_to_target(self) -> list[float]:
        return [r.epochs_to_target for r in self.results]


def _train_mode(mode: str | None) -> str:
    mode = mode or os.environ.get("DNNKIT_TRAIN_MODE") or "auto"
    if mode not in TRAIN_MODES:
        raise ValueError(f"training mode {mode!r} (argument or DNNKIT_TRAIN_MODE); allowed: {', '.join(TRAIN_MODES)}")
    return mode


def train_arm(arm: str, config: MLPConfig, split, fit_config: FitConfig, seeds: Sequence[RunSeeds],
              on_run: Callable[[int], None] | None = None, mode: str | None = None, workers: int = 1) -> ArmRuns:
    """Train one configuration once per seed; init comes from each seed's init stream.

    mode "auto" (the default) trains the seeds as one ensemble when `ensemble.unsupported_reason` allows it and
    there are at least two seeds, else sequentially; "ensemble" insists (ValueError if it cannot); "sequential"
    never batches. Results are the same either way (bitwise on CPU), only faster as an ensemble. workers > 1 splits
    the ensemble over that many processes (ensemble.fit_ensemble); sequential arms ignore it.
    """
    mode = _train_mode(mode)
    ensemble.check_workers(workers)
    seeds = list(seeds)
    reason = None
    if mode != "sequential":
        device = split.X_train.device
        reason = ("a single seed" if mode == "auto" and len(seeds) < 2
                  else ensemble.unsupported_reason(config, fit_config, device))
        if reason is None:
            try:
                results = ensemble.fit_ensemble(config, split, fit_config, seeds, workers=workers)
            except ensemble.Unsupported as err:
                reason = str(err)
            else:
                for i in range(len(seeds)) if on_run else ():
                    on_run(i)
                return ArmRuns(arm, config, fit_config, seeds, results, mode="ensemble",
                               workers=min(workers, len(seeds)))
        if mode == "ensemble":
            raise ValueError(f"arm {arm!r} cannot train as an ensemble: {reason}")
    results = []
    for i, s in enumerate(seeds):
        model = build_mlp(config, generator=s.generator("init"), device=split.X_train.device)
        results.append(fit(model, split, fit_config, s))
        if on_run:
            on_run(i)
    return ArmRuns(arm, config, fit_config, seeds, results, extra={"ensemble_fallback": reason} if reason else {})


def train_arms(arms: Mapping[str, MLPConfig], split, fit_config: FitConfig | Mapping[str, FitConfig],
               seeds: Sequence[RunSeeds], on_run: Callable[[int], None] | None = None,
               mode: str | None = None, workers: int = 1) -> dict[str, ArmRuns]:
    """Train every arm on the same seeds (common random numbers: same init stream and data order)."""
    out = {}
    for name, config in arms.items():
        fc = fit_config[name] if isinstance(fit_config, Mapping) else fit_config
        out[name] = train_arm(name, config, split, fc, seeds, on_run, mode, workers)
    return out


def at_init(config: MLPConfig, seeds: Sequence[RunSeeds], measure: Callable[[torch.nn.Module], float],
            device: str | torch.device = "cpu") -> list[float]:
    """Build the model for each seed and measure it untrained (gradient norms, activation statistics...)."""
    return [measure(build_mlp(config, generator=s.generator("init"), device=device)) for s in seeds]


def select_lr(config: MLPConfig, split, fit_config: FitConfig, grid: Sequence[float], pilot_seeds: Sequence[RunSeeds],
              ) -> tuple[float, list[dict]]:
    """Each arm's own learning rate from a declared grid, chosen on pilot seeds that are not the evidence seeds.

    Best = fewest median epochs to the fit's target (if one is set), then best median final validation loss;
    a shared fixed rate would rig comparisons between arms (DESIGN pitfall 2).
    """
    import numpy as np

    table = []
    for lr in grid:
        runs = train_arm(f"lr={lr:g}", config, split, replace_fit(fit_config, lr=lr), pilot_seeds)
        table.append({"lr": lr, "median_epochs_to_target": float(np.median(runs.epochs_to_target())),
                      "median_val_loss": float(np.median(runs.values("val_loss", "last")))})
    best = min(table, key=lambda row: (row["median_epochs_to_target"], row["median_val_loss"]))
    return best["lr"], table


def per_arm(value: Any, arm: str, what: str, kind: type | tuple[type, ...] = Mapping) -> Any:
    """`value` itself, or its entry for `arm` when it is given per arm (a Mapping keyed by arm)."""
    if not isinstance(value, kind):
        return value
    if arm not in value:
        raise ValueError(f"{what} is given per arm but has no entry for arm {arm!r} (it has {', '.join(map(repr, value))})")
    return value[arm]


def epoch_ratios(slow: Sequence[float], fast: Sequence[float]) -> list[float]:
    """Per seed, epochs to target of one arm over another's (a slowdown): +inf when only `slow` never got there;
    1.0 when `fast` never did either way (no evidence of a slowdown on that seed)."""
    if len(slow) != len(fast):
        raise ValueError(f"epoch_ratios pairs seeds: got {len(slow)} and {len(fast)} values")
    return [1.0 if math.isinf(f) else s / f for s, f in zip(slow, fast, strict=True)]


def replace_fit(fit_config: FitConfig, **changes) -> FitConfig:
    """A copy of a FitConfig with some fields changed."""
    from dataclasses import replace

    return replace(fit_config, **changes)
