"""How fast each layer learns: the size of a layer's weight change relative to its weights, ||W_after - W_before||
/ ||W_before|| (Frobenius), per Linear layer, bottom first and head last.

Read off two models of one architecture (the same net before and after some training), so any training path
(dnnkit's loop, the seed ensemble) can be measured; the spread between layers is what "layers learn at widely
different speeds" is about.
"""

from __future__ import annotations

import math

import pandas as pd
import torch
from torch import nn


def _linears(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


@torch.no_grad()
def relative_updates(before: nn.Module, after: nn.Module) -> pd.DataFrame:
    """Per Linear layer: ||dW|| / ||W_before|| between two models of one architecture (float64 of the weights)."""
    old, new = _linears(before), _linears(after)
    if len(old) != len(new) or any(a.weight.shape != b.weight.shape for a, b in zip(old, new, strict=False)):
        raise ValueError(f"relative_updates needs two models of one architecture; got Linear shapes "
                         f"{[tuple(m.weight.shape) for m in old]} and {[tuple(m.weight.shape) for m in new]}")
    rows = []
    for i, (a, b) in enumerate(zip(old, new, strict=True)):
        w0, w1 = a.weight.detach().cpu().double(), b.weight.detach().cpu().double()
        norm = w0.norm().item()
        if norm == 0:
            raise ValueError(f"layer {i} has all-zero weights before: its relative update is undefined")
        rows.append({"layer": i, "weight_norm": norm, "update_norm": (w1 - w0).norm().item(),
                     "relative_update": (w1 - w0).norm().item() / norm})
    return pd.DataFrame(rows)


def update_spread_decades(table: pd.DataFrame) -> float:
    """log10(largest / smallest relative update over the layers of `table`): how many decades apart the fastest
    and the slowest layer learn (inf when a layer did not move at all)."""
    rel = table["relative_update"]
    if len(rel) < 2:
        raise ValueError("the spread needs at least two layers")
    low = float(rel.min())
    return math.inf if low == 0 else math.log10(float(rel.max()) / low)
