"""The learning-rate finder of the chapter (Smith 2015; fastai's lr_find): grow the rate exponentially from lr_min
to lr_max over one epoch, record the loss, stop when it explodes, suggest a rate.

Suggestion: the rate at the minimum of the smoothed loss divided by 10 (the chapter: "the optimal learning rate
will be a bit lower than the point at which the loss starts to climb, typically about 10 times lower than the
turning point"), clipped to [lr_min, lr_max]. The smoothed loss is an exponential moving average with bias
correction (weight `smoothing`). The model's weights are restored afterwards (the optimizer is thrown away).
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import torch.nn.functional as F
from torch import nn

from ..optim.optimizers import make_optimizer
from ..seeds import RunSeeds
from .training import epoch_permutation


@dataclass
class LRFinderResult:
    frame: pd.DataFrame  # columns: step, lr, loss, smoothed_loss
    suggestion: float
    stopped_early: bool


def find_lr(model: nn.Module | Callable[[], nn.Module], split, *, optimizer: str = "adam", lr_min: float = 1e-6,
            lr_max: float = 10.0, steps: int | None = None, batch_size: int = 32, seeds: RunSeeds | None = None,
            smoothing: float = 0.98, explode: float = 4.0, **optimizer_params) -> LRFinderResult:
    """Exponentially growing rate over `steps` batches (default: one epoch); see the module docstring."""
    rates_ok = all(isinstance(r, numbers.Real) and not isinstance(r, bool) for r in (lr_min, lr_max))
    if not (rates_ok and 0 < lr_min < lr_max and math.isfinite(lr_max)):
        raise ValueError(f"find_lr: lr_min={lr_min!r}, lr_max={lr_max!r}; allowed: 0 < lr_min < lr_max < inf")
    if not (isinstance(batch_size, int) and not isinstance(batch_size, bool) and batch_size > 0):
        raise ValueError(f"find_lr: batch_size={batch_size!r}; allowed: an integer > 0")
    if not (0 <= smoothing < 1):
        raise ValueError(f"find_lr: smoothing={smoothing!r}; allowed: 0 <= smoothing < 1")
    if not explode > 1:
        raise ValueError(f"find_lr: explode={explode!r}; allowed: a factor > 1")
    X, y = split.X_train, split.y_train
    per_epoch = math.ceil(len(X) / batch_size)
    steps = per_epoch if steps is None else steps
    if not (isinstance(steps, int) and steps >= 2):
        raise ValueError(f"find_lr: steps={steps!r}; allowed: an integer >= 2")
    if not isinstance(model, nn.Module):
        model = model()
    saved = copy.deepcopy(model.state_dict())
    was_training = model.training
    opt = make_optimizer(optimizer, model.parameters(), lr_min, **optimizer_params)
    growth = (lr_max / lr_min) ** (1 / (steps - 1))
    data_seed = seeds.data if seeds is not None else 0
    rows, avg, best, stopped = [], 0.0, math.inf, False
    model.train()
    try:
        for step in range(steps):
            epoch, offset = divmod(step, per_epoch)
            if offset == 0:
                perm = epoch_permutation(len(X), data_seed, epoch + 1).to(X.device)
            idx = perm[offset * batch_size:(offset + 1) * batch_size]
            lr = lr_min * growth ** step
            for group in opt.param_groups:
                group["lr"] = lr
            loss = F.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            value = loss.item()
            avg = smoothing * avg + (1 - smoothing) * value
            smooth = avg / (1 - smoothing ** (step + 1))
            rows.append({"step": step, "lr": lr, "loss": value, "smoothed_loss": smooth})
            if not math.isfinite(smooth) or smooth > explode * best:
                stopped = True
                break
            best = min(best, smooth)
    finally:
        model.load_state_dict(saved)
        model.train(was_training)
    frame = pd.DataFrame(rows)
    finite = frame[frame["smoothed_loss"].map(math.isfinite)]
    turning = float(finite.loc[finite["smoothed_loss"].idxmin(), "lr"]) if len(finite) else lr_min
    return LRFinderResult(frame, min(max(turning / 10, lr_min), lr_max), stopped)
