"""Diagnostics read off a model on a batch: gradient norms, activation statistics, symmetry, dead and saturated units."""

from __future__ import annotations

import math

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


# The float32 tolerance of "symmetric". Two units with identical rows get identical updates except where a
# reduction (a matmul over the batch or the layer, a sum in the optimizer) sums their two columns in a different
# blocking; a float32 sum of k terms is then off by at most ~k * eps relative (Higham's gamma_k, eps = 2^-23 =
# torch.finfo(torch.float32).eps = 1.19e-7), with k <= 128 here (batch 64, rows of <= 101 entries). A symmetric
# net does not amplify such a difference (measured on pilot base 100, 3x50 and 3x100 he_constant, 1,700 Adam
# steps: 0 to 16 eps x scale), so the bound is one step's 128 eps times a safety factor 8: 1024 eps x the layer's
# largest |weight| = 1.2e-4 x scale. Distinct units of a random init differ by ~1e7 eps x scale, far outside it.
SYMMETRY_ULPS = 1024
FLOAT32_EPS = torch.finfo(torch.float32).eps


def symmetry_tolerance(scale: float) -> float:
    """The largest max-abs difference between two rows that still counts as symmetric, for weights of size `scale`."""
    return SYMMETRY_ULPS * FLOAT32_EPS * scale


@torch.no_grad()
def symmetry(model: nn.Module) -> pd.DataFrame:
    """Per hidden Linear, exactly: the largest and the smallest max-abs difference between two units' incoming
    weight rows (bias appended), and the layer's weight scale (largest |entry|), so 0 means bitwise-identical units.

    Computed in float64 from the float32 values, so a difference of one float32 ulp is seen (no cdist: its
    sqrt(|a|^2 + |b|^2 - 2ab) form reports ~1e-3 between identical rows). `symmetric` compares the largest
    difference with symmetry_tolerance(scale); `relative_distance` is the largest difference / scale.
    """
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)][:-1]
    rows = []
    for i, m in enumerate(linears):
        w = m.weight if m.bias is None else torch.cat([m.weight, m.bias[:, None]], 1)
        w = w.detach().to("cpu", torch.float64)
        # The largest over pairs of max_k |w_ik - w_jk| is max_k (max_i w_ik - min_i w_ik); the smallest needs
        # the pairs (one row against the rows after it; NaN for a one-unit layer, which has no pair).
        largest = (w.max(0).values - w.min(0).values).max().item()
        smallest = min(((w[i + 1:] - w[i]).abs().amax(1).min().item() for i in range(len(w) - 1)), default=math.nan)
        scale = w.abs().max().item()
        rows.append({"layer": i, "max_unit_distance": largest, "min_unit_distance": smallest, "scale": scale,
                     "relative_distance": largest / scale if scale else 0.0,
                     "tolerance": symmetry_tolerance(scale), "symmetric": largest <= symmetry_tolerance(scale)})
    return pd.DataFrame(rows)


@torch.no_grad()
def one_unit_twin(model: nn.Module) -> nn.Module:
    """The width-1 net computing what a symmetric MLP computes (every hidden layer's units identical).

    Unit 0 stands for its layer: the first layer keeps unit 0's incoming row; each later layer (the head included)
    sees the same value h from all n units of the layer below, so its weight on the twin's one unit is the sum of
    its n incoming weights (sum_j W_ij h = h sum_j W_ij), the exact rescaling. Biases are kept. Raises ValueError
    if the model is not symmetric (symmetry(model)["symmetric"]).
    """
    from .models import build_mlp

    c = model.config
    if c.batch_norm or c.input_batch_norm or any(c.dropout_rates()) or c.input_dropout:
        raise ValueError("one_unit_twin supports plain Linear + activation stacks (no batch norm, no dropout)")
    if not symmetry(model)["symmetric"].all():
        raise ValueError("one_unit_twin needs a symmetric model (identical units in every hidden layer)")
    twin = build_mlp(model.config.replace(width=1), device=next(model.parameters()).device)
    linears, twin_linears = model.linears(), twin.linears()
    for i, (m, t) in enumerate(zip(linears, twin_linears, strict=True)):
        w = m.weight if i == 0 else m.weight.sum(1, keepdim=True)
        t.weight.copy_(w[:1] if i < len(linears) - 1 else w)
        t.bias.copy_(m.bias[:1] if i < len(linears) - 1 else m.bias)
    return twin.eval()


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
