"""How much a later layer's world moves when the earlier layers' weights change ("internal covariate shift").

Two measures for a dense net (dnnkit's MLP), one batch, in train mode (BN normalizes with the batch's statistics,
as during training), after a controlled change to the weights of the layers before `layer` (1-based: the hidden
Linear whose input and weights are watched):

* `moment_shift`: the change of the per-unit mean and standard deviation of `layer`'s input, each divided by the
  unit's standard deviation before the change, averaged over units and summed (the distribution the later layer
  sees, the sentence of the chapter's notes: "the weight on layer 10 [is] more robust to changes to weights in
  earlier layers");
* `grad_change`: Santurkar et al. (2018, "How Does Batch Normalization Help Optimization?", section 2.2): the
  gradient of `layer`'s weights on the batch before and after the earlier layers took their step, ||G - G'|| /
  ||G|| (relative, since BN changes the gradients' scale), and the cosine between them.

The change: every earlier hidden Linear weight moves by `rho` times its own norm along its negative gradient
(W <- W - rho ||W|| g / ||g||), the same relative step in both arms whatever their gradient scales (a plain
optimizer step would move a BN net and a plain net by different amounts).
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn


def _hidden_linears(model: nn.Module) -> list[nn.Linear]:
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return linears[:-1]  # the head is not a hidden layer


def _layer_input(model: nn.Module, X: torch.Tensor, layer: int) -> torch.Tensor:
    """The input of hidden layer `layer` (1-based): X after the input block and hidden blocks 1..layer-1."""
    x = model.input(X)
    for block in model.hidden[:layer - 1]:
        x = block(x)
    return x


def _check(model: nn.Module, layer: int, rho: float) -> list[nn.Linear]:
    linears = _hidden_linears(model)
    if not hasattr(model, "hidden") or not isinstance(layer, int) or not 2 <= layer <= len(linears):
        raise ValueError(f"layer={layer!r}: a hidden layer with earlier layers, 2..{len(linears)} (1-based) of a "
                         "dnnkit MLP")
    if not rho >= 0:
        raise ValueError(f"rho={rho!r}: the relative size of the earlier layers' step, >= 0")
    return linears


def covariate_shift(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, layer: int, rho: float
                    ) -> dict[str, float]:
    """moment_shift, grad_change and grad_cosine of hidden layer `layer` when hidden layers 1..layer-1 step by
    `rho` (see the module doc); the model itself is left unchanged (a copy takes the step)."""
    _check(model, layer, rho)
    net = copy.deepcopy(model).train()
    linears = _hidden_linears(net)
    watched, earlier = linears[layer - 1], linears[:layer - 1]

    def look() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        net.zero_grad(set_to_none=True)
        F.cross_entropy(net(X), y).backward()
        with torch.no_grad():
            h = _layer_input(net, X, layer).double()
        return h.mean(0), h.std(0, unbiased=False), watched.weight.grad.detach().double().clone(), \
            [lin.weight.grad.detach().clone() for lin in earlier]

    mean0, std0, g0, grads = look()
    with torch.no_grad():
        for lin, g in zip(earlier, grads, strict=True):
            norm = g.norm()
            if norm > 0:
                lin.weight -= rho * lin.weight.norm() * g / norm
    mean1, std1, g1, _ = look()
    scale = std0.clamp_min(torch.finfo(torch.float64).tiny)
    return {"moment_shift": float(((mean1 - mean0).abs() / scale).mean() + ((std1 - std0).abs() / scale).mean()),
            "grad_change": float((g1 - g0).norm() / g0.norm()),
            "grad_cosine": float((g1 * g0).sum() / (g1.norm() * g0.norm()))}
