"""How a stack of linear layers scales the variance of its signals, forward (activations) and backward (gradients),
under the three fan rules: LeCun (fan_in), its mirror (fan_out) and Glorot's compromise (fan_avg).

A layer with weight variance s^2 multiplies the forward variance by fan_in * s^2 and the backward variance by
fan_out * s^2; a rule can hold one of them at 1 only where fan_in != fan_out, which is the chapter's "can't
guarantee both if inputs != neurons". The weights are drawn with torch.nn.init's own initializers.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch
from torch import nn

# Fan mode -> how torch.nn.init draws a [out, in] weight with that variance (normal, untruncated).
FAN_MODES = {
    "fan_in": lambda w, g: nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="linear", generator=g),
    "fan_out": lambda w, g: nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="linear", generator=g),
    "fan_avg": lambda w, g: nn.init.xavier_normal_(w, generator=g),
}


def linear_stack(widths: Sequence[int], mode: str, generator: torch.Generator | None = None) -> nn.Sequential:
    """Bias-free Linear layers widths[0] -> widths[1] -> ... (no activation), weights drawn by the fan `mode`."""
    if mode not in FAN_MODES:
        raise ValueError(f"unknown fan mode {mode!r}; allowed: {', '.join(FAN_MODES)}")
    widths = list(widths)
    if len(widths) < 2 or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in widths):
        raise ValueError(f"widths {widths!r}: give at least two positive integers (input width, then each layer's)")
    layers = [nn.Linear(a, b, bias=False) for a, b in zip(widths[:-1], widths[1:], strict=True)]
    with torch.no_grad():
        for layer in layers:
            FAN_MODES[mode](layer.weight, generator)
    return nn.Sequential(*layers)


def variance_ratios(stack: nn.Sequential, X: torch.Tensor, generator: torch.Generator | None = None) -> pd.DataFrame:
    """Per layer: Var(output) / Var(input) of the forward pass on X, and Var(gradient w.r.t. input) / Var(gradient
    w.r.t. output) of the backward pass of a loss whose gradient at the top is standard normal (drawn from
    `generator`): what the layer does to each signal's variance (1 = preserved)."""
    signals = [X.detach().requires_grad_(True)]
    for layer in stack:
        out = layer(signals[-1])
        out.retain_grad()
        signals.append(out)
    top = torch.randn(signals[-1].shape, generator=generator, dtype=signals[-1].dtype)
    signals[-1].backward(top.to(signals[-1].device))
    rows = []
    for i, layer in enumerate(stack):
        x_in, x_out = signals[i], signals[i + 1]
        rows.append({"layer": i, "fan_in": layer.in_features, "fan_out": layer.out_features,
                     "forward": (x_out.var() / x_in.var()).item(), "backward": (x_in.grad.var() / x_out.grad.var()).item()})
    stack.zero_grad(set_to_none=True)
    return pd.DataFrame(rows)
