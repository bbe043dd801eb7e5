"""Sparse models: a sparsity measure, magnitude pruning, and the accuracy-vs-sparsity curve of pruning.

The chapter's three ways to a sparse model: zero the tiny weights after training (`prune_smallest`), train with
a strong l1 penalty (`dnnkit.regularization.penalty(l1=...)`), or FTRL with l1 (`dnnkit.ftrl.Ftrl`). Weights are
chosen as in dnnkit.regularization (`layers`: "weights" = every Linear weight, "hidden", or "all").
"""

from __future__ import annotations

import copy
import math
import weakref
from collections.abc import Sequence

import pandas as pd
import torch
from torch import nn

from ..train.training import evaluate
from .regularization import layer_weights

SCOPES = ("global", "layer")


@torch.no_grad()
def sparsity(model: nn.Module, eps: float = 0.0, layers: str = "weights") -> dict[str, float]:
    """Fraction of the chosen weights that are exactly 0, and fraction with |w| <= eps (eps=0: the same)."""
    if not (isinstance(eps, (int, float)) and math.isfinite(eps) and eps >= 0):
        raise ValueError(f"eps={eps!r} is not allowed; it must be a finite number >= 0")
    w = torch.cat([t.detach().flatten() for t in layer_weights(model, layers)])
    return {"zero_fraction": float((w == 0).float().mean()), "small_fraction": float((w.abs() <= eps).float().mean()),
            "eps": float(eps), "n_weights": int(w.numel())}


def _check_fraction(fraction: float) -> None:
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction <= 1:
        raise ValueError(f"fraction={fraction!r} is not allowed; it must be a number in [0, 1]")


def _zero_smallest(tensors: Sequence[torch.Tensor], fraction: float) -> None:
    flat = torch.cat([t.flatten() for t in tensors])
    k = round(fraction * flat.numel())
    if k == 0:
        return
    # Exactly k weights, the smallest |w| (a stable sort breaks ties by position, so the count never drifts).
    drop = torch.zeros_like(flat, dtype=torch.bool)
    drop[torch.argsort(flat.abs(), stable=True)[:k]] = True
    for t, mask in zip(tensors, drop.split([t.numel() for t in tensors]), strict=True):
        t.masked_fill_(mask.view_as(t), 0.0)


@torch.no_grad()
def prune_smallest(model: nn.Module, fraction: float, layers: str = "weights", scope: str = "global") -> nn.Module:
    """A copy of `model` with the `fraction` of chosen weights of smallest magnitude set to exactly 0.

    scope "global": one magnitude threshold over all chosen weights (the chapter's "get rid of the tiny weights");
    "layer": the same fraction in every layer. The original model is left untouched.
    """
    _check_fraction(fraction)
    if scope not in SCOPES:
        raise ValueError(f"scope={scope!r} is not allowed; allowed: {', '.join(map(repr, SCOPES))}")
    pruned = copy.deepcopy(model)
    weights = layer_weights(pruned, layers)
    for group in ([weights] if scope == "global" else [[w] for w in weights]):
        _zero_smallest(group, fraction)
    return pruned


def pruning_curve(model: nn.Module, X: torch.Tensor, y: torch.Tensor, fractions: Sequence[float],
                  layers: str = "weights", scope: str = "global") -> pd.DataFrame:
    """Accuracy and loss on (X, y) after pruning each fraction of the smallest weights (no retraining)."""
    rows = []
    for fraction in sorted(fractions):
        pruned = prune_smallest(model, fraction, layers, scope)
        loss, acc = evaluate(pruned, X, y)
        rows.append({"fraction": float(fraction), "sparsity": sparsity(pruned, layers=layers)["zero_fraction"],
                     "loss": loss, "acc": acc})
    return pd.DataFrame(rows)


def sparsity_before_drop(curve: pd.DataFrame, reference_acc: float, tolerance: float) -> float:
    """The largest sparsity reached before accuracy first falls more than `tolerance` below `reference_acc`
    (0 if even the first point does): how sparse pruning gets "before accuracy drops"."""
    if not (math.isfinite(tolerance) and tolerance >= 0):
        raise ValueError(f"tolerance={tolerance!r} is not allowed; it must be a finite number >= 0")
    reached = 0.0
    for row in curve.sort_values("fraction").itertuples():
        if row.acc < reference_acc - tolerance:
            break
        reached = max(reached, float(row.sparsity))
    return reached


def polynomial_sparsity(step: int, final_sparsity: float, begin_step: int, end_step: int, power: float = 3.0,
                        initial_sparsity: float = 0.0) -> float:
    """TF-MOT's PolynomialDecay pruning schedule (Zhu & Gupta 2017): the target sparsity after `step` optimizer
    steps, s = s_f + (s_i - s_f) * (1 - (step - begin) / (end - begin))^power, s_i before begin, s_f after end."""
    if not (0 <= begin_step < end_step):
        raise ValueError(f"begin_step={begin_step!r}, end_step={end_step!r}; allowed: 0 <= begin_step < end_step")
    _check_fraction(final_sparsity)
    _check_fraction(initial_sparsity)
    progress = min(max((step - begin_step) / (end_step - begin_step), 0.0), 1.0)
    return final_sparsity + (initial_sparsity - final_sparsity) * (1.0 - progress) ** power


class GradualPruning:
    """A `FitConfig.after_step` callback that prunes while training (TF-MOT's prune_low_magnitude with a
    PolynomialDecay schedule): every `every` steps from begin_step to end_step it zeroes the globally smallest |w|
    of the chosen weights up to polynomial_sparsity(step), and after every step it re-applies the masks, so pruned
    weights stay exactly 0 while the others keep training. State (step count, masks) is kept per model, so one
    FitConfig serves every seed of an arm; training is sequential (the batched ensemble takes MaxNorm only)."""

    def __init__(self, final_sparsity: float, begin_step: int, end_step: int, every: int = 1, power: float = 3.0,
                 layers: str = "weights"):
        polynomial_sparsity(begin_step, final_sparsity, begin_step, end_step, power)  # validates the schedule
        if not (isinstance(every, int) and not isinstance(every, bool) and every >= 1):
            raise ValueError(f"every={every!r} is not allowed; it must be an integer >= 1")
        self.final_sparsity, self.begin_step, self.end_step = final_sparsity, begin_step, end_step
        self.every, self.power, self.layers = every, power, layers
        self._state: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return (f"GradualPruning(final_sparsity={self.final_sparsity}, begin_step={self.begin_step}, end_step="
                f"{self.end_step}, every={self.every}, power={self.power})")

    @torch.no_grad()
    def __call__(self, model: nn.Module) -> None:
        state = self._state.setdefault(model, {"step": 0, "masks": None})
        state["step"] += 1
        step, weights = state["step"], layer_weights(model, self.layers)
        due = self.begin_step <= step <= self.end_step and ((step - self.begin_step) % self.every == 0
                                                           or step == self.end_step)
        if due:
            target = polynomial_sparsity(step, self.final_sparsity, self.begin_step, self.end_step, self.power)
            flat = torch.cat([w.flatten() for w in weights])
            keep = torch.ones_like(flat, dtype=torch.bool)
            keep[torch.argsort(flat.abs(), stable=True)[:round(target * flat.numel())]] = False
            state["masks"] = [m.view_as(w) for m, w in zip(keep.split([w.numel() for w in weights]), weights,
                                                           strict=True)]
        if state["masks"] is not None:
            for w, mask in zip(weights, state["masks"], strict=True):
                w.mul_(mask)


def softmax_regression(n_inputs: int, n_outputs: int, generator: torch.Generator | None = None) -> nn.Module:
    """A linear classifier (one nn.Linear, logits out): the model FTRL-proximal with l1 was made for. Weights are
    Glorot uniform from `generator` (Keras's Dense default), biases zero."""
    layer = nn.Linear(n_inputs, n_outputs)
    with torch.no_grad():
        bound = math.sqrt(6.0 / (n_inputs + n_outputs))
        layer.weight.copy_(torch.rand(n_outputs, n_inputs, generator=generator) * 2 * bound - bound)
        layer.bias.zero_()
    return nn.Sequential(layer)
