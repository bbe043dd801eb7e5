"""Gradient norms through time and through depth: a tanh RNN unrolled over T steps (torch's nn.RNNCell, one weight
matrix shared by every step) against a T-layer tanh MLP (a fresh matrix per layer), both drawn with one init rule.

The two differ in one thing: the RNN multiplies its backward signal by the same recurrent matrix at every step,
the MLP by independent ones. The growth of ||dL/dh|| from the last step (layer) back to the first is what
"exploding gradients" measures; a readout drawn with the weights turns the last hidden state into the loss.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def _glorot(weight: torch.Tensor, gain: float, generator: torch.Generator) -> None:
    nn.init.xavier_normal_(weight, gain=gain, generator=generator)


def _check(width: int, steps: int, n_inputs: int, gain: float) -> None:
    for name, value in (("width", width), ("steps", steps), ("n_inputs", n_inputs)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}={value!r}; it must be a positive integer")
    if isinstance(gain, bool) or not isinstance(gain, (int, float)) or not (math.isfinite(gain) and gain > 0):
        raise ValueError(f"gain={gain!r}; it must be a finite number > 0 (a factor on the Glorot std)")


@torch.no_grad()
def tanh_rnn(n_inputs: int, width: int, gain: float, generator: torch.Generator) -> nn.RNNCell:
    """A tanh RNN cell, input and recurrent weights Glorot normal (recurrent times `gain`), zero biases."""
    _check(width, 1, n_inputs, gain)
    cell = nn.RNNCell(n_inputs, width, nonlinearity="tanh")
    _glorot(cell.weight_ih, 1.0, generator)
    _glorot(cell.weight_hh, gain, generator)
    cell.bias_ih.zero_()
    cell.bias_hh.zero_()
    return cell


@torch.no_grad()
def tanh_mlp(n_inputs: int, width: int, depth: int, gain: float, generator: torch.Generator) -> nn.ModuleList:
    """`depth` Linear layers n_inputs -> width -> ... -> width, Glorot normal (width x width ones times `gain`),
    zero biases: the RNN's unrolled shape with a fresh matrix per layer (tanh is applied by mlp_gradient_norms)."""
    _check(width, depth, n_inputs, gain)
    layers = nn.ModuleList([nn.Linear(n_inputs if i == 0 else width, width) for i in range(depth)])
    for i, layer in enumerate(layers):
        _glorot(layer.weight, 1.0 if i == 0 else gain, generator)
        layer.bias.zero_()
    return layers


def _norms(hidden: list[torch.Tensor], readout: torch.Tensor) -> list[float]:
    for h in hidden:
        h.retain_grad()
    (hidden[-1] @ readout).sum().backward()
    return [h.grad.norm().item() for h in hidden]


def rnn_gradient_norms(cell: nn.RNNCell, xs: torch.Tensor, readout: torch.Tensor) -> list[float]:
    """||dL/dh_t|| for t = 1..T of the cell unrolled over xs [T, batch, n_inputs] from h_0 = 0, L = sum(h_T @ readout)."""
    if xs.dim() != 3 or xs.shape[2] != cell.input_size:
        raise ValueError(f"xs must be [steps, batch, {cell.input_size}], got {tuple(xs.shape)}")
    h = torch.zeros(xs.shape[1], cell.hidden_size, dtype=xs.dtype)
    hidden = []
    for x in xs:
        h = cell(x, h)
        hidden.append(h)
    return _norms(hidden, readout)


def mlp_gradient_norms(layers: nn.ModuleList, x: torch.Tensor, readout: torch.Tensor) -> list[float]:
    """||dL/dh_l|| for l = 1..depth of tanh(Linear) layers applied to x [batch, n_inputs], L = sum(h_depth @ readout)."""
    hidden = []
    for layer in layers:
        x = torch.tanh(layer(x))
        hidden.append(x)
    return _norms(hidden, readout)


def growth_decades(norms: list[float]) -> float:
    """log10(||dL/dh|| at the first step or layer / at the last): > 0 explodes backwards, < 0 vanishes."""
    if len(norms) < 2 or norms[-1] <= 0:
        raise ValueError("growth needs at least two gradient norms and a non-zero last one")
    return math.inf if norms[0] == math.inf else math.log10(norms[0] / norms[-1]) if norms[0] > 0 else -math.inf
