"""The fit loop: mini-batches are tensor slices on the device (no per-sample DataLoader), history is a DataFrame.

Early stopping restores the best weights; checkpoints are periodic and final, written atomically; a NaN/inf loss
stops the run and marks it diverged (a result, not a crash). Training time excludes evaluation time.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from .checkpoints import load_checkpoint, save_checkpoint
from .optimizers import make_optimizer
from .seeds import RunSeeds, derive_seed

# train_loss is the running mean over an epoch's batches (train mode: dropout on); train_loss_eval and train_acc
# are measured after the epoch in eval mode and need eval_train=True.
HIGHER_IS_BETTER = {"val_acc": True, "train_acc": True, "val_loss": False, "train_loss": False,
                    "train_loss_eval": False}


@dataclass
class FitConfig:
    """Every knob of a training run in one place."""

    epochs: int = 20
    batch_size: int = 32
    optimizer: str = "adam"
    lr: float = 1e-3
    optimizer_params: dict[str, Any] = field(default_factory=dict)
    # Early stopping on val_loss: stop after `patience` epochs without improvement, then restore the best weights.
    patience: int | None = None
    restore_best: bool = True
    clip_norm: float | None = None
    clip_value: float | None = None
    # Stop as soon as target is reached, e.g. ("val_acc", 0.9); epochs_to_target is recorded either way.
    target: tuple[str, float] | None = None
    stop_at_target: bool = False
    # Evaluate the training split in eval mode each epoch (for generalization gaps); costs one extra pass.
    eval_train: bool = False
    # schedule(optimizer, steps_per_epoch) -> an LR scheduler; stepped per batch when schedule_per_step.
    schedule: Callable[[torch.optim.Optimizer, int], Any] | None = None
    schedule_per_step: bool = False
    penalty: Callable[[nn.Module], torch.Tensor] | None = None
    after_step: Sequence[Callable[[nn.Module], None]] = ()
    checkpoint_dir: str | Path | None = None
    checkpoint_every: int | None = None
    # Optimizer parameter groups, e.g. a lower rate for unfrozen reused layers: model -> [{"params": [...], "lr": ...}].
    # None: every parameter with requires_grad, at `lr` (frozen parameters stay out of the optimizer).
    param_groups: Callable[[nn.Module], list[dict[str, Any]]] | None = None
    progress: bool = False
    eval_batch_size: int = 4096

    def __post_init__(self) -> None:
        for key in ("epochs", "batch_size"):
            if not isinstance(getattr(self, key), int) or getattr(self, key) <= 0:
                raise ValueError(f"FitConfig.{key}={getattr(self, key)!r}; it must be a positive integer")
        for key in ("clip_norm", "clip_value"):
            value = getattr(self, key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not (math.isfinite(value) and value > 0)):
                raise ValueError(f"FitConfig.{key}={value!r}; it must be None or a finite number > 0")
        if self.patience is not None and self.patience < 1:
            raise ValueError(f"FitConfig.patience={self.patience!r}; it must be None or >= 1")
        if self.target is not None and self.target[0] not in HIGHER_IS_BETTER:
            raise ValueError(f"FitConfig.target metric {self.target[0]!r}; allowed: {', '.join(HIGHER_IS_BETTER)}")
        if self.target is not None and self.target[0] in ("train_acc", "train_loss_eval") and not self.eval_train:
            raise ValueError(f"FitConfig.target ({self.target[0]!r}, ...) needs eval_train=True (it is measured in eval "
                             "mode after each epoch)")


@dataclass
class FitResult:
    """What a run produced: the trained model, its per-epoch history, and the run-level facts the claims use."""

    model: nn.Module
    history: pd.DataFrame
    diverged: bool
    best_epoch: int | None
    epochs_to_target: float
    train_time_s: float
    best_row: dict | None = None  # the best epoch's metrics, kept when a resumed run's best predates its history

    def metric(self, name: str, how: str = "final", k: int = 3) -> float:
        """One scalar per run: 'final' (after restoring the best weights if asked), 'best', 'last', or 'mean_last_k'.

        A diverged run gets the worst value (-inf accuracy, +inf loss) so rank tests keep it in.
        """
        if name not in HIGHER_IS_BETTER or (name not in self.history and not self.diverged):
            raise ValueError(f"metric {name!r} is not in this run's history; allowed: "
                             f"{', '.join(m for m in HIGHER_IS_BETTER if m in self.history)} (train_acc needs eval_train=True)")
        worst = -math.inf if HIGHER_IS_BETTER[name] else math.inf
        if self.diverged:
            return worst
        column = self.history[name].to_numpy(dtype=float)
        if how == "final":
            if self.best_epoch is None:
                return float(column[-1])
            # Index by epoch number: a resumed run's history starts after its checkpoint's epoch.
            at_best = self.history.loc[self.history["epoch"] == self.best_epoch, name]
            if not at_best.empty:
                return float(at_best.iloc[0])
            if self.best_row is not None and name in self.best_row:
                return float(self.best_row[name])
            raise ValueError(f"the best epoch ({self.best_epoch}) predates this resumed run's history and its {name!r} "
                             "was not saved in the checkpoint; use how='last' or 'best'")
        if how == "best":
            return float(np.nanmax(column) if HIGHER_IS_BETTER[name] else np.nanmin(column))
        if how == "last":
            return float(column[-1])
        if how == "mean_last_k":
            return float(np.mean(column[-k:]))
        raise ValueError(f"unknown reduction {how!r}; allowed: final, best, last, mean_last_k")


@torch.no_grad()
def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int = 4096) -> tuple[float, float]:
    """Mean cross-entropy and accuracy in eval mode (BN uses moving statistics, dropout is off)."""
    was_training = model.training
    model.eval()
    loss_sum, correct = 0.0, 0
    for start in range(0, len(X), batch_size):
        logits = model(X[start:start + batch_size])
        target = y[start:start + batch_size]
        loss_sum += F.cross_entropy(logits, target, reduction="sum").item()
        correct += (logits.argmax(1) == target).sum().item()
    model.train(was_training)
    return loss_sum / len(X), correct / len(X)


def epoch_permutation(n: int, data_seed: int, epoch: int) -> torch.Tensor:
    """The shuffle of one epoch, a pure function of (data seed, epoch): a resumed run sees the same batches."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(derive_seed(data_seed, epoch)))


def reached_target(metric: str, value: float, threshold: float) -> bool:
    """Has `value` of `metric` reached `threshold`: at least it for accuracies (>=), below it for losses (<)?"""
    return value >= threshold if HIGHER_IS_BETTER[metric] else value < threshold


def fit(model: nn.Module, split, config: FitConfig, seeds: RunSeeds | None = None, *,
        resume_from: str | Path | None = None) -> FitResult:
    """Train `model` on split.X_train/y_train, evaluating on split.X_val/y_val after each epoch."""
    from .data import check_features, check_labels

    X, y = split.X_train, split.y_train
    check_features(X, "X_train")
    check_features(split.X_val, "X_val")
    head = getattr(model, "head", None)
    if isinstance(head, nn.Linear):
        n_out = head.out_features
    else:  # any other model: its output width from one eval-mode forward pass (a CPU run would die in an IndexError)
        was_training = model.training
        with torch.no_grad():
            n_out = int(model.eval()(X[:2]).shape[-1])
        model.train(was_training)
    check_labels(y, n_out)
    check_labels(split.y_val, n_out)
    device = X.device
    data_seed = seeds.data if seeds else 0
    if seeds is not None:
        # nn.Dropout draws from the global generator: seed it from the run's own dropout stream.
        torch.manual_seed(seeds.dropout)
    if config.param_groups is not None:
        # Materialized: a group's "params" may be a generator, which the ownership check would exhaust.
        params = [{**g, "params": list(g["params"])} if isinstance(g, dict) else {"params": [g]}
                  for g in config.param_groups(model)]
    else:
        params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("fit: the model has no trainable parameters (every layer is frozen)")
    if config.param_groups is not None:
        own = {id(p) for p in model.parameters()}
        if any(id(p) not in own for group in params for p in group["params"]):
            # A FitConfig built for another model would step that model's tensors and leave this one untrained.
            raise ValueError("FitConfig.param_groups returned parameters that are not this model's (build the groups "
                             "from the model passed to the callable)")
    optimizer = make_optimizer(config.optimizer, params, config.lr, **config.optimizer_params)
    steps_per_epoch = math.ceil(len(X) / config.batch_size)
    scheduler = config.schedule(optimizer, steps_per_epoch) if config.schedule else None
    start_epoch = 0
    rows: list[dict[str, float]] = []
    best_loss, best_state, best_epoch, best_row, bad_epochs = math.inf, None, None, None, 0
    epochs_to_target, diverged, train_time = math.inf, False, 0.0
    if resume_from is not None:
        extra = load_checkpoint(resume_from, model, optimizer, scheduler)["extra"]
        start_epoch = int(extra.get("epoch", 0))
        data_seed = int(extra.get("data_seed", data_seed))
        if "rng_state" in extra:  # dropout masks continue where the interrupted run left off
            torch.set_rng_state(extra["rng_state"])
        # Early-stopping and target bookkeeping continue too, with the best weights seen before the checkpoint.
        best_loss = float(extra.get("best_loss", math.inf))
        bad_epochs = int(extra.get("bad_epochs", 0))
        epochs_to_target = float(extra.get("epochs_to_target", math.inf))
        best_state = extra.get("best_state")
        best_epoch = int(extra["best_epoch"]) if extra.get("best_epoch") is not None else None
        best_row = extra.get("best_row")

    def checkpoint(name: str, epoch: int) -> None:
        save_checkpoint(Path(config.checkpoint_dir) / name, model, optimizer, scheduler, epoch=epoch,
                        data_seed=data_seed, rng_state=torch.get_rng_state(), best_loss=best_loss,
                        bad_epochs=bad_epochs, epochs_to_target=epochs_to_target, best_state=best_state,
                        best_epoch=best_epoch, best_row=best_row)

    progress = _progress(config.progress, config.epochs - start_epoch)
    model.train()
    for epoch in range(start_epoch + 1, config.epochs + 1):
        t0 = time.perf_counter()
        perm = epoch_permutation(len(X), data_seed, epoch).to(device)
        loss_sum = torch.zeros((), device=device)
        for start in range(0, len(X), config.batch_size):
            idx = perm[start:start + config.batch_size]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            if config.penalty is not None:
                loss = loss + config.penalty(model)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.clip_value is not None:
                nn.utils.clip_grad_value_(model.parameters(), config.clip_value)
            if config.clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
            optimizer.step()
            for callback in config.after_step:
                callback(model)
            if scheduler is not None and config.schedule_per_step:
                scheduler.step()
            loss_sum += loss.detach() * len(idx)
        train_loss = loss_sum.item() / len(X)
        train_time += time.perf_counter() - t0
        lr = optimizer.param_groups[0]["lr"]
        val_loss, val_acc = evaluate(model, split.X_val, split.y_val, config.eval_batch_size)
        row = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "val_acc": val_acc, "lr": lr,
               "train_time_s": train_time}
        if config.eval_train:
            row["train_loss_eval"], row["train_acc"] = evaluate(model, X, y, config.eval_batch_size)
        rows.append(row)
        if progress:
            progress[0].update(progress[1], advance=1, description=f"epoch {epoch} val_acc {val_acc:.3f}")
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
            diverged = True
            break
        if scheduler is not None and not config.schedule_per_step:
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(val_loss)
            else:
                scheduler.step()
        if config.target and math.isinf(epochs_to_target) and reached_target(config.target[0], row[config.target[0]], config.target[1]):
            epochs_to_target = float(epoch)
        if val_loss < best_loss:
            best_loss, best_epoch, best_row, bad_epochs = val_loss, epoch, dict(row), 0
            if config.patience is not None and config.restore_best:
                best_state = copy.deepcopy(model.state_dict())
        else:
            bad_epochs += 1
        if config.checkpoint_dir and config.checkpoint_every and epoch % config.checkpoint_every == 0:
            checkpoint(f"epoch-{epoch:04d}.pt", epoch)
        if config.stop_at_target and not math.isinf(epochs_to_target):
            break
        if config.patience is not None and bad_epochs >= config.patience:
            break
    if progress:
        progress[0].stop()
    if best_state is not None and not diverged:
        model.load_state_dict(best_state)
    else:
        best_epoch = None
    if config.checkpoint_dir:
        checkpoint("final.pt", rows[-1]["epoch"] if rows else start_epoch)
    model.eval()
    return FitResult(model, pd.DataFrame(rows), diverged, best_epoch, epochs_to_target, train_time, best_row)


def _progress(enabled: bool, total: int):
    if not enabled:
        return None
    from rich.progress import Progress

    bar = Progress(transient=True)
    bar.start()
    return bar, bar.add_task("training", total=total)
