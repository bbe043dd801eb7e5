"""One run's end-of-epoch bookkeeping, shared by `training.fit` and every member of `ensemble.fit_ensemble`.

After each epoch a run appends its history row, stops if the loss is not finite (diverged), records the first epoch
that reaches the target, tracks the best val_loss (with its weights when early stopping restores them) and counts
epochs without improvement. Written once here, so that a new stopping rule changes both training paths alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..nn.fields import bad, check_bool, check_int, is_number

# train_loss is the running mean over an epoch's batches (train mode: dropout on); train_loss_eval and train_acc
# are measured after the epoch in eval mode and need eval_train=True.
HIGHER_IS_BETTER = {"val_acc": True, "train_acc": True, "val_loss": False, "train_loss": False,
                    "train_loss_eval": False}


def reached_target(metric: str, value: float, threshold: float) -> bool:
    """Has `value` of `metric` reached `threshold`: at least it for accuracies (>=), below it for losses (<)?"""
    return value >= threshold if HIGHER_IS_BETTER[metric] else value < threshold


@dataclass(frozen=True)
class EpochRules:
    """FitConfig's end-of-epoch settings, checked once (`FitConfig.epoch_rules()` builds them)."""

    eval_train: bool = False
    patience: int | None = None
    restore_best: bool = True
    target: tuple[str, float] | None = None
    stop_at_target: bool = False

    def __post_init__(self) -> None:
        for key in ("eval_train", "restore_best", "stop_at_target"):
            check_bool("FitConfig", key, getattr(self, key))
        check_int("FitConfig", "patience", self.patience, optional=True)
        if self.target is not None:
            self._check_target(self.target)

    def _check_target(self, target: object) -> None:
        """None or a (metric, threshold) pair: a metric of the history and a finite number."""
        if not (isinstance(target, (tuple, list)) and len(target) == 2):
            raise bad("FitConfig", "target", target, f"None or a (metric, threshold) pair, metric one of "
                      f"{', '.join(HIGHER_IS_BETTER)}, e.g. ('val_acc', 0.9)")
        metric, threshold = target
        if not isinstance(metric, str) or metric not in HIGHER_IS_BETTER:
            raise ValueError(f"FitConfig.target metric {metric!r}; allowed: {', '.join(HIGHER_IS_BETTER)}")
        if not is_number(threshold):
            raise bad("FitConfig", "target", target, f"a finite number as the threshold of {metric!r} (got "
                      f"{threshold!r})")
        if metric in ("train_acc", "train_loss_eval") and not self.eval_train:
            raise ValueError(f"FitConfig.target ({metric!r}, ...) needs eval_train=True (it is measured in eval "
                             "mode after each epoch)")

    @property
    def keep_best(self) -> bool:
        """Snapshot the best epoch's weights: only early stopping restores them."""
        return self.patience is not None and self.restore_best


@dataclass
class EpochBook:
    """The history and the stopping facts of one run, updated by `record` once per epoch."""

    rules: EpochRules
    rows: list[dict[str, float]] = field(default_factory=list)
    best_loss: float = math.inf
    best_epoch: int | None = None
    best_row: dict[str, float] | None = None
    best_state: dict[str, Any] | None = None
    bad_epochs: int = 0
    epochs_to_target: float = math.inf
    diverged: bool = False
    train_time: float = 0.0

    # The fields a checkpoint saves, so that a resumed run continues early stopping and the target where it was.
    CHECKPOINTED = ("best_loss", "bad_epochs", "epochs_to_target", "best_state", "best_epoch", "best_row")

    @classmethod
    def resume(cls, rules: EpochRules, extra: dict[str, Any]) -> EpochBook:
        """A book continued from a checkpoint's `extra` (as `checkpointed()` wrote it); missing fields start fresh."""
        return cls(rules, best_loss=float(extra.get("best_loss", math.inf)), bad_epochs=int(extra.get("bad_epochs", 0)),
                   epochs_to_target=float(extra.get("epochs_to_target", math.inf)), best_state=extra.get("best_state"),
                   best_epoch=int(extra["best_epoch"]) if extra.get("best_epoch") is not None else None,
                   best_row=extra.get("best_row"))

    def checkpointed(self) -> dict[str, Any]:
        """The bookkeeping a checkpoint stores (see `resume`)."""
        return {name: getattr(self, name) for name in self.CHECKPOINTED}

    def record(self, epoch: int, seconds: float, train_loss: float, val_loss: float, val_acc: float, lr: float,
               train_eval: tuple[float, float] | None, snapshot: Callable[[], dict[str, Any]]) -> bool:
        """Append the epoch's history row and update divergence, target, best and patience; True when the run stops.

        `seconds` is the epoch's training time (evaluation excluded); `train_eval` is (train_loss_eval, train_acc)
        when eval_train; `snapshot()` copies the weights, called only for a new best that early stopping restores.
        A diverged run stops before the rest is updated (check `diverged`).
        """
        self.train_time += seconds
        row = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "val_acc": val_acc, "lr": lr,
               "train_time_s": self.train_time}
        if train_eval is not None:
            row["train_loss_eval"], row["train_acc"] = train_eval
        self.rows.append(row)
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
            self.diverged = True
            return True
        rules = self.rules
        if rules.target and math.isinf(self.epochs_to_target):
            metric, threshold = rules.target
            if reached_target(metric, row[metric], threshold):
                self.epochs_to_target = float(epoch)
        if val_loss < self.best_loss:
            self.best_loss, self.best_epoch, self.best_row, self.bad_epochs = val_loss, epoch, dict(row), 0
            if rules.keep_best:
                self.best_state = snapshot()
        else:
            self.bad_epochs += 1
        if rules.stop_at_target and not math.isinf(self.epochs_to_target):
            return True
        return rules.patience is not None and self.bad_epochs >= rules.patience

    def finish(self) -> dict[str, Any] | None:
        """The weights to end the run with: the best epoch's when early stopping kept them (and the run did not
        diverge), else None (keep the last weights; best_epoch is then None, as no best weights were restored)."""
        if self.best_state is not None and not self.diverged:
            return self.best_state
        self.best_epoch = None
        return None
