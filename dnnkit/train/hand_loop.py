"""An independent re-implementation of one plain training loop, to check what `fit` logs and optimizes.

`hand_loop` trains a model the textbook way (same batches as `fit`: `epoch_permutation`; the same optimizer;
`after_step` callbacks after each step) and returns, per epoch, the mean plain cross-entropy of the batches and the
mean objective actually differentiated (cross-entropy + the config's penalty, if any). Against `fit` it shows which
of the two `fit` logs, and (final weights bitwise equal) that `fit` stepped along the gradient of that objective
and nothing else. Checkpoints, schedules, clipping and early stopping are not reproduced (ValueError if set).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..optim.optimizers import make_optimizer
from ..seeds import RunSeeds
from .training import FitConfig, epoch_permutation


@dataclass(frozen=True)
class HandLoop:
    """Per epoch: mean cross-entropy over the batches, and mean objective (cross-entropy + penalty)."""

    cross_entropy: list[float]
    objective: list[float]


def hand_loop(model: nn.Module, split, config: FitConfig, seeds: RunSeeds | None = None) -> HandLoop:
    """Train `model` in place as described in the module docstring."""
    unsupported = [name for name in ("schedule", "clip_norm", "clip_value", "patience", "param_groups",
                                     "checkpoint_dir") if getattr(config, name) is not None]
    if unsupported or (config.target is not None and config.stop_at_target):
        raise ValueError(f"hand_loop reproduces a plain loop only; unset {', '.join(unsupported) or 'stop_at_target'}")
    X, y = split.X_train, split.y_train
    data_seed = seeds.data if seeds else 0
    if seeds is not None:
        torch.manual_seed(seeds.dropout)
    optimizer = make_optimizer(config.optimizer, [p for p in model.parameters() if p.requires_grad], config.lr,
                               **config.optimizer_params)
    ce_epochs, objective_epochs = [], []
    model.train()
    for epoch in range(1, config.epochs + 1):
        perm = epoch_permutation(len(X), data_seed, epoch).to(X.device)
        ce_sum = torch.zeros((), device=X.device)
        objective_sum = torch.zeros((), device=X.device)
        for start in range(0, len(X), config.batch_size):
            idx = perm[start:start + config.batch_size]
            ce = F.cross_entropy(model(X[idx]), y[idx])
            objective = ce + config.penalty(model) if config.penalty is not None else ce
            optimizer.zero_grad(set_to_none=True)
            objective.backward()
            optimizer.step()
            for callback in config.after_step:
                callback(model)
            ce_sum += ce.detach() * len(idx)
            objective_sum += objective.detach() * len(idx)
        ce_epochs.append(ce_sum.item() / len(X))
        objective_epochs.append(objective_sum.item() / len(X))
    model.eval()
    return HandLoop(ce_epochs, objective_epochs)
