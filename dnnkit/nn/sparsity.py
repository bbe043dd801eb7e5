"""Sparse models: a sparsity measure, magnitude pruning, and the accuracy-vs-sparsity curve of pruning.

The chapter's three ways to a sparse model: zero the tiny weights after training (`prune_smallest`), train with
a strong l1 penalty (`dnnkit.regularization.penalty(l1=...)`), or FTRL with l1 (`dnnkit.ftrl.Ftrl`). Weights are
chosen as in dnnkit.regularization (`layers`: "weights" = every Linear weight, "hidden", or "all").
"""

from __future__ import annotations

import copy
import math
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
