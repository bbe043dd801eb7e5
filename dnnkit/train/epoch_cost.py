"""What an epoch of training costs in seconds, and time to target in seconds as well as in epochs.

`epoch_runner` returns a callable that trains a model for one epoch as `training.fit` does for a plain FitConfig
(shuffled tensor slices, cross-entropy, the FitConfig's optimizer; no evaluation and no dropout seeding; schedules,
clipping, penalties, after-step callbacks and parameter groups are refused, not ignored): the unit the interleaved
timer (RunContext.time, grad=True) measures for "each epoch takes more time". The ensemble's recorded training
seconds are a share of one batched step and the wall clock of a loaded machine drifts, so a claim about seconds to a
target combines each seed's epochs to the target (from its run) with the arm's seconds per epoch measured interleaved
against the reference arm: `in_reference_epochs` expresses it in epochs of the reference arm, which hosts can compare.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch.nn.functional as F
from torch import nn

from ..optim.optimizers import make_optimizer
from .training import FitConfig, epoch_permutation

# Fields that change what an epoch of fit computes but that epoch_runner does not implement.
UNSUPPORTED = ("schedule", "schedule_per_step", "clip_norm", "clip_value", "penalty", "after_step", "param_groups")


def epoch_runner(model: nn.Module, split, fit_config: FitConfig, data_seed: int = 0) -> Callable[[], None]:
    """One training epoch of `model` on split.X_train per call (the model keeps training from call to call); a
    ValueError for a FitConfig that sets a field of UNSUPPORTED (fit would apply it, this loop would not)."""
    unsupported = {key: getattr(fit_config, key) for key in UNSUPPORTED if getattr(fit_config, key)}
    if unsupported:
        shown = ", ".join(f"{key}={value!r}" for key, value in unsupported.items())
        raise ValueError(f"epoch_runner does not implement FitConfig {shown}; it supports optimizer, lr, "
                         f"optimizer_params and batch_size (leave {', '.join(UNSUPPORTED)} unset)")
    X, y = split.X_train, split.y_train
    optimizer = make_optimizer(fit_config.optimizer, [p for p in model.parameters() if p.requires_grad],
                               fit_config.lr, **fit_config.optimizer_params)
    epoch = [0]

    def run() -> None:
        epoch[0] += 1
        model.train()
        perm = epoch_permutation(len(X), data_seed, epoch[0]).to(X.device)
        for start in range(0, len(X), fit_config.batch_size):
            idx = perm[start:start + fit_config.batch_size]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    return run


def in_reference_epochs(epochs_to_target: Sequence[float], seconds: Sequence[float],
                        reference_seconds: Sequence[float]) -> list[float]:
    """Each seed's time to target in epochs of the reference arm: its epochs times the median per-round ratio of
    this arm's seconds per epoch over the reference's (interleaved rounds); +inf (never reached) stays +inf."""
    if len(seconds) != len(reference_seconds) or not len(seconds):
        raise ValueError(f"in_reference_epochs needs the same number (>= 1) of interleaved rounds per arm, got "
                         f"{len(seconds)} and {len(reference_seconds)}")
    ratio = float(np.median(np.asarray(seconds, dtype=float) / np.asarray(reference_seconds, dtype=float)))
    return [e * ratio if math.isfinite(e) else math.inf for e in epochs_to_target]

