"""What `fit` and `fit_ensemble` are given, checked before any training: the split's tensors (finite, non-empty,
as many labels as rows, one feature width), the model's input width against the features and the labels against
its output head. Both paths call `check_fit_inputs`, so a bad input fails the same way on either, before anything is
trained or written."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..data import check_features, check_labels


def check_fit_inputs(split, widths: Callable[[], tuple[int | None, int]], caller: str = "fit") -> None:
    """ValueError naming the bad part of `split` for a model whose widths() are (input features or None when not
    known, output classes), asked once the split's own tensors are known to be good. `split` may be a Split or any
    object with X_train, y_train, X_val and y_val."""
    for part in ("train", "val"):
        X, y = getattr(split, f"X_{part}"), getattr(split, f"y_{part}")
        check_features(X, f"X_{part}")
        if not isinstance(y, torch.Tensor):
            raise TypeError(f"{caller}: y_{part} must be a torch.Tensor, got {type(y).__name__}")
        if len(X) == 0:
            raise ValueError(f"{caller}: the {'training' if part == 'train' else 'validation'} split is empty "
                             f"(X_{part} has 0 rows); allowed: at least 1 example")
        if X.shape[0] != y.shape[0]:
            raise ValueError(f"{caller}: X_{part} has {X.shape[0]} rows but y_{part} has {y.shape[0]} labels; they must "
                             "be equal (one label per row)")
    width = split.X_train.shape[1]
    n_inputs, n_outputs = widths()
    if split.X_val.shape[1] != width:
        raise ValueError(f"{caller}: X_val has {split.X_val.shape[1]} features but X_train has {width}; they must be "
                         "equal")
    if n_inputs is not None and n_inputs != width:
        raise ValueError(f"{caller}: the model takes {n_inputs} input features but X_train has {width}; build the "
                         f"model with n_inputs={width} (or pass the features it was built for)")
    for part in ("train", "val"):
        try:
            check_labels(getattr(split, f"y_{part}"), n_outputs)
        except ValueError as err:
            raise ValueError(f"{caller}: y_{part}: {err}") from None


def model_widths(model: nn.Module, X: torch.Tensor) -> tuple[int | None, int]:
    """(input features, output classes) of any model: an MLP's config, else its first and last Linear layers; the
    output width of a model without a Linear head from one eval-mode forward pass on two rows of X."""
    config = getattr(model, "config", None)
    n_inputs = getattr(config, "n_inputs", None)
    leaves = [m for m in model.modules() if not list(m.children()) and list(m.parameters(recurse=False))]
    if n_inputs is None and leaves and isinstance(leaves[0], nn.Linear):
        n_inputs = leaves[0].in_features
    head = getattr(model, "head", None)
    if isinstance(head, nn.Linear):
        return n_inputs, head.out_features
    if n_inputs is not None and n_inputs != X.shape[1]:
        return n_inputs, 0  # check_fit_inputs names the width mismatch before the output width matters
    was_training = model.training
    try:
        with torch.no_grad():
            n_out = int(model.eval()(X[:2]).shape[-1])
    except RuntimeError as err:  # a shape error inside torch: say which input it was
        raise ValueError(f"fit: the model's forward pass fails on X_train of shape {tuple(X.shape)}: {err}") from None
    finally:
        model.train(was_training)
    return n_inputs, n_out
