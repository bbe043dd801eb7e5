"""Diagnostics read off a model on a batch: gradient norms, activation statistics, symmetry, dead and saturated units."""

from __future__ import annotations

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn


def gradient_norms(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> pd.DataFrame:
    """Per Linear layer (bottom first, head last): the L2 norm of the loss gradient w.r.t. its weights on (X, y)."""
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(X), y).backward()
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    rows = [{"layer": i, "grad_norm": m.weight.grad.norm().item()} for i, m in enumerate(linears)]
    model.zero_grad(set_to_none=True)
    return pd.DataFrame(rows)


@torch.no_grad()
def activation_stats(model: nn.Module, X: torch.Tensor) -> pd.DataFrame:
    """Per hidden layer: mean, std and variance of its outputs over the batch and the units."""
    outs = model.hidden_outputs(X)
    return pd.DataFrame(
        [{"layer": i, "mean": h.mean().item(), "std": h.std().item(), "var": h.var().item()} for i, h in enumerate(outs)]
    )


@torch.no_grad()
def symmetry(model: nn.Module) -> pd.DataFrame:
    """Per hidden Linear: the largest distance between two units' incoming weight vectors (0 = units identical)."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)][:-1]
    rows = []
    for i, m in enumerate(linears):
        w = m.weight if m.bias is None else torch.cat([m.weight, m.bias[:, None]], 1)
        distance = torch.cdist(w, w).max().item()
        norm = w.norm(dim=1).max().item()
        # Relative to the rows' size: float rounding in training leaves ~1e-3 between units that are symmetric.
        rows.append({"layer": i, "max_unit_distance": distance, "relative_distance": distance / norm if norm else 0.0})
    return pd.DataFrame(rows)


@torch.no_grad()
def dead_units(model: nn.Module, X: torch.Tensor) -> pd.DataFrame:
    """Per hidden layer: units whose output is exactly 0 for every example of X (a dead ReLU never recovers)."""
    rows = []
    for i, h in enumerate(model.hidden_outputs(X)):
        dead = (h == 0).all(dim=0)
        rows.append({"layer": i, "dead": int(dead.sum()), "units": h.shape[1], "fraction": dead.float().mean().item()})
    return pd.DataFrame(rows)


@torch.no_grad()
def saturation(model: nn.Module, X: torch.Tensor, low: float = 0.05, high: float = 0.95) -> pd.DataFrame:
    """Per hidden layer: fraction of sigmoid outputs below `low` or above `high` (tanh: |h| > 2*high - 1)."""
    rows = []
    for i, h in enumerate(model.hidden_outputs(X)):
        if h.min() < 0:  # tanh range
            frac = (h.abs() > 2 * high - 1).float().mean().item()
        else:
            frac = ((h < low) | (h > high)).float().mean().item()
        rows.append({"layer": i, "saturated_fraction": frac})
    return pd.DataFrame(rows)
