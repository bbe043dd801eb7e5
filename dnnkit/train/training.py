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

from ..nn.fields import bad, check_bool, check_callable, check_int, check_mapping, is_number
from ..optim import optimizers
from ..optim.optimizers import make_optimizer
from ..seeds import RunSeeds, derive_seed
from .checkpoints import read_checkpoint, restore_checkpoint, save_checkpoint
from .epochs import HIGHER_IS_BETTER, EpochBook, EpochRules
from .epochs import reached_target as reached_target  # re-exported: training.reached_target stays importable
from .inputs import check_fit_inputs, model_widths


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
        # Every field checked here, at construction: a bad value fails where it is written, not when fit starts.
        for key in ("epochs", "batch_size", "eval_batch_size"):
            check_int("FitConfig", key, getattr(self, key))
        check_int("FitConfig", "checkpoint_every", self.checkpoint_every, optional=True)
        for key in ("schedule_per_step", "progress"):
            check_bool("FitConfig", key, getattr(self, key))
        for key in ("clip_norm", "clip_value"):
            value = getattr(self, key)
            if value is not None and not (is_number(value) and value > 0):
                raise ValueError(f"FitConfig.{key}={value!r}; it must be None or a finite number > 0")
        self._check_optimizer()
        for key in ("schedule", "penalty", "param_groups"):
            check_callable("FitConfig", key, getattr(self, key))
        if isinstance(self.after_step, (str, bytes)) or not isinstance(self.after_step, Sequence) or not all(
                callable(c) for c in self.after_step):
            raise bad("FitConfig", "after_step", self.after_step, "a sequence (list or tuple) of callables")
        if self.checkpoint_dir is not None and (not isinstance(self.checkpoint_dir, (str, Path))
                                                or str(self.checkpoint_dir) == ""):
            raise bad("FitConfig", "checkpoint_dir", self.checkpoint_dir, "None or a non-empty str or Path")
        self.epoch_rules()  # checks patience, restore_best, target, stop_at_target and eval_train

    def _check_optimizer(self) -> None:
        """The optimizer name, learning rate and hyperparameter names and ranges, as make_optimizer checks them."""
        for key, check in (("optimizer", lambda: optimizers.check_name(self.optimizer)),
                           ("lr", lambda: optimizers.check_lr(self.optimizer, self.lr)),
                           ("optimizer_params", lambda: check_mapping("FitConfig", "optimizer_params",
                                                                      self.optimizer_params)),
                           ("optimizer_params", lambda: optimizers.check_hyperparameters(self.optimizer,
                                                                                          self.optimizer_params))):
            try:
                check()
            except ValueError as err:
                message = str(err)
                raise ValueError(message if message.startswith("FitConfig.") else f"FitConfig.{key}: {message}") \
                    from None

    def epoch_rules(self) -> EpochRules:
        """The end-of-epoch settings (history columns, early stopping, target) that `fit` and the ensemble apply."""
        return EpochRules(self.eval_train, self.patience, self.restore_best, self.target, self.stop_at_target)

    def make_scheduler(self, optimizer: torch.optim.Optimizer, n_train: int) -> Any | None:
        """The LR scheduler of `schedule` for an epoch of n_train examples in batches of batch_size, or None."""
        return self.schedule(optimizer, math.ceil(n_train / self.batch_size)) if self.schedule else None


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

    @classmethod
    def from_book(cls, model: nn.Module, book: EpochBook) -> FitResult:
        """The result of a finished run (after `book.finish()`)."""
        return cls(model, pd.DataFrame(book.rows), book.diverged, book.best_epoch, book.epochs_to_target,
                   book.train_time, book.best_row)

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


def fit(model: nn.Module, split, config: FitConfig, seeds: RunSeeds | None = None, *,
        resume_from: str | Path | None = None) -> FitResult:
    """Train `model` on split.X_train/y_train, evaluating on split.X_val/y_val after each epoch."""
    check_fit_inputs(split, lambda: model_widths(model, split.X_train))
    X, y = split.X_train, split.y_train
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
    scheduler = config.make_scheduler(optimizer, len(X))
    start_epoch = 0
    book = EpochBook(config.epoch_rules())
    if resume_from is not None:
        state = read_checkpoint(resume_from)
        extra = state["extra"]
        _check_resume(resume_from, state, config, scheduler)
        if _already_complete(resume_from, extra, config):
            # Nothing left to train: the finished run's final weights and the history it stored.
            restore_checkpoint(resume_from, state, model)
            model.eval()
            return FitResult(model, pd.DataFrame(extra["rows"]), bool(extra.get("diverged", False)),
                             extra.get("best_epoch"), float(extra.get("epochs_to_target", math.inf)),
                             float(extra.get("train_time", 0.0)), extra.get("best_row"))
        restore_checkpoint(resume_from, state, model, optimizer, scheduler)
        start_epoch = int(extra.get("epoch", 0))
        data_seed = int(extra.get("data_seed", data_seed))
        if "rng_state" in extra:  # dropout masks continue where the interrupted run left off
            torch.set_rng_state(extra["rng_state"])
        # Early-stopping and target bookkeeping continue too, with the best weights seen before the checkpoint.
        book = EpochBook.resume(book.rules, extra)

    def checkpoint(name: str, epoch: int, **final: Any) -> None:
        # optimizer_name and epochs let a resume check that the checkpoint belongs to its run (_check_resume).
        save_checkpoint(Path(config.checkpoint_dir) / name, model, optimizer, scheduler, epoch=epoch,
                        data_seed=data_seed, rng_state=torch.get_rng_state(), optimizer_name=config.optimizer,
                        epochs=config.epochs, **book.checkpointed(), **final)

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
        seconds = time.perf_counter() - t0
        val_loss, val_acc = evaluate(model, split.X_val, split.y_val, config.eval_batch_size)
        train_eval = evaluate(model, X, y, config.eval_batch_size) if book.rules.eval_train else None
        stop = book.record(epoch, seconds, train_loss, val_loss, val_acc, optimizer.param_groups[0]["lr"], train_eval,
                           snapshot=lambda: copy.deepcopy(model.state_dict()))
        if progress:
            progress[0].update(progress[1], advance=1, description=f"epoch {epoch} val_acc {val_acc:.3f}")
        if book.diverged:
            break
        # After the bookkeeping (which reads neither the rate nor the scheduler), before the checkpoint saves it.
        if scheduler is not None and not config.schedule_per_step:
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(val_loss)
            else:
                scheduler.step()
        if config.checkpoint_dir and config.checkpoint_every and epoch % config.checkpoint_every == 0:
            checkpoint(f"epoch-{epoch:04d}.pt", epoch)
        if stop:
            break
    if progress:
        progress[0].stop()
    best_state = book.finish()
    if best_state is not None:
        model.load_state_dict(best_state)
    if config.checkpoint_dir:
        # The finished run's history too: resuming final.pt returns it ("already complete") instead of training.
        checkpoint("final.pt", book.rows[-1]["epoch"] if book.rows else start_epoch, complete=True, rows=book.rows,
                   diverged=book.diverged, train_time=book.train_time)
    model.eval()
    return FitResult.from_book(model, book)


def _already_complete(path: str | Path, extra: dict[str, Any], config: FitConfig) -> bool:
    """Is the checkpoint a finished run with nothing left to train: a final.pt whose run stopped by itself (early
    stopping, target, divergence) or reached config.epochs? A ValueError when a checkpoint is past config.epochs
    but holds no history to return (a periodic checkpoint, or a final.pt of an older dnnkit)."""
    epoch = int(extra.get("epoch", 0))
    if extra.get("complete") and isinstance(extra.get("rows"), list):
        if epoch > config.epochs:  # returning it would hand back more epochs than this config trains
            raise ValueError(f"checkpoint {str(path)!r} is a finished run of {epoch} epochs, more than FitConfig.epochs="
                             f"{config.epochs}; allowed: FitConfig.epochs >= {epoch} (the run as it finished) or a "
                             f"checkpoint at epoch <= {config.epochs}")
        return epoch >= config.epochs or epoch < int(extra.get("epochs", epoch)) or bool(extra.get("diverged"))
    if epoch >= config.epochs:
        raise ValueError(f"checkpoint {str(path)!r} is at epoch {epoch}, so a run of FitConfig.epochs={config.epochs} "
                         f"has nothing left to train and the checkpoint stores no history to return; allowed: "
                         f"epochs > {epoch} to continue it, or a final.pt written by this dnnkit")
    return False


def _check_resume(path: str | Path, state: dict[str, Any], config: FitConfig, scheduler: Any | None) -> None:
    """ValueError when the checkpoint was written by a run of another optimizer or schedule (beyond the
    structural checks of checkpoints.check_restorable, which also cover checkpoints without these fields)."""
    theirs = state["extra"].get("optimizer_name")
    if theirs is not None and theirs != config.optimizer:
        raise ValueError(f"checkpoint {str(path)!r} was written by a run with optimizer {theirs!r} "
                         f"({state.get('optimizer_class', '?')}); this FitConfig asks for {config.optimizer!r}: resume "
                         f"with FitConfig.optimizer={theirs!r} (its state cannot continue another optimizer)")
    if scheduler is None and "scheduler" in state:
        raise ValueError(f"checkpoint {str(path)!r} holds a {state.get('scheduler_class', 'learning-rate')} schedule "
                         "and this FitConfig has none; resume with the run's schedule")


def _progress(enabled: bool, total: int):
    if not enabled:
        return None
    from rich.progress import Progress

    bar = Progress(transient=True)
    bar.start()
    return bar, bar.add_task("training", total=total)
