"""Regularization effects as per-seed numbers: a small per-class training subset, the generalization gap of a run,
and the per-seed gain of a treatment over its control (the unit of the interaction claims: "BN's gain at depth 20
minus its gain at depth 2", "dropout's gain with BN vs without").
"""

from __future__ import annotations

from dataclasses import replace

import torch

from ..data import n_per_class
from .experiment import ArmRuns
from .training import FitResult


def per_class_subset(split, per_class: int, seed: int):
    """The split with `per_class` random training examples per class (drawn with `seed`: the data seed of the
    run), the validation split whole."""
    idx = n_per_class(split.y_train, per_class, generator=torch.Generator().manual_seed(seed))
    return replace(split, X_train=split.X_train[idx], y_train=split.y_train[idx],
                   description=f"{split.description}, {per_class} train examples per class")


def loss_gap(result: FitResult) -> float:
    """Validation cross-entropy minus training cross-entropy (both in eval mode, final epoch): the generalization
    gap in loss. Needs FitConfig(eval_train=True); a diverged run's gap is +inf."""
    return result.metric("val_loss") - result.metric("train_loss_eval")


def accuracy_gap(result: FitResult) -> float:
    """Training accuracy (eval mode) minus validation accuracy at the final epoch; needs eval_train=True."""
    return result.metric("train_acc") - result.metric("val_acc")


def per_seed_gain(treated: ArmRuns, control: ArmRuns, metric: str) -> list[float]:
    """Per seed, how much the treatment improved `metric` over its control on the same seed: control - treated for
    a loss, treated - control for an accuracy (so a gain is always > 0)."""
    if [s.as_dict() for s in treated.seeds] != [s.as_dict() for s in control.seeds]:
        raise ValueError(f"per_seed_gain pairs runs by seed: arms {treated.arm!r} and {control.arm!r} ran on "
                         "different seeds")
    a, b = treated.values(metric), control.values(metric)
    sign = 1 if metric.endswith("acc") else -1
    return [sign * (x - y) for x, y in zip(a, b, strict=True)]


def gap_reduction(treated: ArmRuns, control: ArmRuns, which: str = "loss") -> list[float]:
    """Per seed, how much the treatment narrowed the generalization gap: the control's gap minus the treated run's
    on the same seed (> 0: the treatment regularizes)."""
    per_seed_gain(treated, control, "val_loss")  # the same seeds, or a ValueError
    return [c - t for c, t in zip(gaps(control, which), gaps(treated, which), strict=True)]


def gaps(runs: ArmRuns, which: str = "loss") -> list[float]:
    """The generalization gap (`which`: "loss" or "accuracy") of each of an arm's runs."""
    if which not in ("loss", "accuracy"):
        raise ValueError(f"gap {which!r}; allowed: loss, accuracy")
    f = loss_gap if which == "loss" else accuracy_gap
    return [f(r) for r in runs.results]


__all__ = ("per_class_subset", "loss_gap", "accuracy_gap", "per_seed_gain", "gap_reduction", "gaps")
