"""How gradient clipping changes a gradient: its direction (cosine to the raw gradient) and its size.

Clipping by norm rescales the whole gradient vector, so its direction is kept; clipping by value clips each
component on its own, which can turn the vector (the chapter's example: [0.9, 100.0] -> [0.9, 1.0]).
Both use torch's own utilities, the ones `fit` applies (``torch.nn.utils.clip_grad_value_`` / ``clip_grad_norm_``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def _check_threshold(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name}={value!r}; it must be a finite number > 0")
    return float(value)


def clip_gradients(grads: Sequence[torch.Tensor], *, clip_value: float | None = None,
                   clip_norm: float | None = None) -> list[torch.Tensor]:
    """Clipped copies of `grads` (value first, then norm: the order `fit` applies them); the inputs are untouched."""
    return _clip(grads, clip_value, clip_norm)[0]


def _clip(grads: Sequence[torch.Tensor], clip_value: float | None,
          clip_norm: float | None) -> tuple[list[torch.Tensor], float | None]:
    """Clipped copies and, when clipping by norm, the total norm torch computed (in the gradients' dtype)."""
    if clip_value is None and clip_norm is None:
        raise ValueError("clipping needs clip_value or clip_norm (or both)")
    # torch's utilities clip .grad in place: give them stand-in parameters holding copies.
    holders = [nn.Parameter(torch.empty_like(g)) for g in grads]
    for p, g in zip(holders, grads, strict=True):
        p.grad = g.detach().clone()
    total = None
    if clip_value is not None:
        nn.utils.clip_grad_value_(holders, _check_threshold("clip_value", clip_value))
    if clip_norm is not None:
        total = float(nn.utils.clip_grad_norm_(holders, _check_threshold("clip_norm", clip_norm)))
    return [p.grad for p in holders], total


def flat(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """All tensors as one float64 vector (the gradient as the optimizer sees it)."""
    return torch.cat([t.detach().reshape(-1).double() for t in tensors])


def loss_gradients(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
    """The cross-entropy gradient of every trainable parameter on (X, y); the model's .grad is left empty."""
    params = [p for p in model.parameters() if p.requires_grad]
    return list(torch.autograd.grad(F.cross_entropy(model(X), y), params))


def clipping_effect(grads: Sequence[torch.Tensor], *, clip_value: float, clip_norm: float) -> dict[str, float]:
    """Cosine between each clipped gradient and the raw one, with the norms and the fraction of clipped components.

    torch_norm is the total norm clip_grad_norm_ computed: in float32 it overflows to inf once the true norm passes
    ~1.8e19 (the sum of squares exceeds float32's range), and the "clipped" gradient is then all zeros.
    """
    raw = flat(grads)
    by_value = flat(clip_gradients(grads, clip_value=clip_value))
    clipped, torch_norm = _clip(grads, None, clip_norm)
    by_norm = flat(clipped)
    return {
        "raw_norm": float(raw.norm()),
        "torch_norm": torch_norm,
        "cos_value": float(F.cosine_similarity(by_value, raw, dim=0)),
        "cos_norm": float(F.cosine_similarity(by_norm, raw, dim=0)),
        "value_clipped_norm": float(by_value.norm()),
        "norm_clipped_norm": float(by_norm.norm()),
        "fraction_components_clipped": float((raw.abs() > clip_value).double().mean()),
    }


class ClippingProbe:
    """A `fit` after_step callback recording `clipping_effect` on every step's raw gradient, one trace per run.

    Use it on an unclipped run: `fit` clips before the step, so with clip_norm/clip_value set the probe would see
    clipped gradients. Steps whose gradient is not finite are skipped (that is where a run diverges).
    """

    def __init__(self, *, clip_value: float, clip_norm: float):
        self.clip_value = _check_threshold("clip_value", clip_value)
        self.clip_norm = _check_threshold("clip_norm", clip_norm)
        self._traces: dict[int, list[dict[str, float]]] = {}

    def __call__(self, model: nn.Module) -> None:
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        trace = self._traces.setdefault(id(model), [])  # a new model object = a new run (seeds train in order)
        if all(torch.isfinite(g).all() for g in grads):
            trace.append(clipping_effect(grads, clip_value=self.clip_value, clip_norm=self.clip_norm))

    @property
    def traces(self) -> list[list[dict[str, float]]]:
        """Per run, in training order: one dict per step with a finite gradient."""
        return list(self._traces.values())
