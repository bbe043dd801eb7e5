"""Weight regularizers set in one place for every layer: l1/l2 penalties, max-norm, and top-k dropout rates.

The chapter advises `functools.partial` so that one regularizer is applied to all layers without repeating it
(and without forgetting one). Here that one place is a `Penalty` object given to `FitConfig.penalty` and a
`MaxNorm` object given to `FitConfig.after_step`; both name which parameters they act on with `layers`:

- "weights": the weight matrix of every Linear layer, head included (as the chapter's RegularizedDense partial
  is used for the output layer too);
- "hidden": the weight matrices of the hidden Linear layers only (head excluded);
- "all": every parameter (biases and BatchNorm scales too), which is what an optimizer's weight_decay touches.

Conventions: Keras's, not PyTorch's. l2(λ) adds λ·Σw² (no 1/2), so its gradient is 2λw and equals torch's
`weight_decay=2λ` on the same parameters (`as_weight_decay`); that is coupled L2 (what Adam's weight_decay does),
not AdamW's decoupled decay. `nn.Linear.weight` is [out, in], so a unit's incoming weights are a row and max-norm
acts on dim=1 (Keras's kernel is [in, out] and its max_norm uses axis=0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

LAYER_SETS = ("weights", "hidden", "all")


def _check_layers(layers: str) -> None:
    if layers not in LAYER_SETS:
        raise ValueError(f"layers={layers!r} is not allowed; allowed: {', '.join(map(repr, LAYER_SETS))}")


def _check_strength(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"penalty {name}={value!r} is not allowed; it must be a finite number >= 0")


def layer_weights(model: nn.Module, layers: str = "weights") -> list[torch.Tensor]:
    """The parameters a regularizer acts on, in module order (see the module docstring for `layers`)."""
    _check_layers(layers)
    if layers == "all":
        return list(model.parameters())
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(f"{type(model).__name__} has no nn.Linear layer to regularize")
    if layers == "hidden":
        # The head is the model's `head` when it has one (dnnkit's MLP), else the last Linear.
        head = getattr(model, "head", linears[-1])
        linears = [m for m in linears if m is not head]
    return [m.weight for m in linears]


@dataclass(frozen=True)
class Penalty:
    """l1·Σ|w| + l2·Σw² over the chosen parameters: one callable for `FitConfig.penalty`, set once for all layers."""

    l1: float = 0.0
    l2: float = 0.0
    layers: str = "weights"

    def __post_init__(self) -> None:
        _check_strength("l1", self.l1)
        _check_strength("l2", self.l2)
        _check_layers(self.layers)

    def __call__(self, model: nn.Module) -> torch.Tensor:
        weights = layer_weights(model, self.layers)
        total = next(model.parameters()).new_zeros(())  # a selection with no weight penalizes nothing
        for w in weights:
            if self.l1:
                total = total + self.l1 * w.abs().sum()
            if self.l2:
                total = total + self.l2 * w.square().sum()
        return total


def penalty(l1: float = 0.0, l2: float = 0.0, layers: str = "weights") -> Penalty:
    """An l1/l2 penalty for `FitConfig.penalty` (Keras's l1_l2: l1·Σ|w| + l2·Σw²), e.g. penalty(l2=1e-3)."""
    return Penalty(l1=l1, l2=l2, layers=layers)


def as_weight_decay(l2: float) -> dict[str, float]:
    """`optimizer_params` giving the same updates as penalty(l2=l2, layers="all"): torch adds wd·w, Keras 2·l2·w."""
    _check_strength("l2", l2)
    return {"weight_decay": 2.0 * l2}


@dataclass(frozen=True)
class MaxNorm:
    """After each step, rescale every unit's incoming weight vector w to ||w||₂ <= r (w <- w·r/||w|| if larger).

    An `after_step` callback: it adds nothing to the loss. dim=1 is a unit's incoming weights for nn.Linear.
    """

    r: float
    dim: int = 1
    layers: str = "weights"

    def __post_init__(self) -> None:
        if isinstance(self.r, bool) or not isinstance(self.r, (int, float)) or not math.isfinite(self.r) or self.r <= 0:
            raise ValueError(f"max-norm r={self.r!r} is not allowed; it must be a finite number > 0")
        if self.dim not in (0, 1):
            raise ValueError(f"max-norm dim={self.dim!r} is not allowed; allowed: 1 (a unit's incoming weights of "
                             "nn.Linear, [out, in]) or 0 (its outgoing weights)")
        _check_layers(self.layers)

    @torch.no_grad()
    def __call__(self, model: nn.Module) -> None:
        for w in layer_weights(model, self.layers):
            if w.ndim < 2:
                continue  # biases and BN scales have no incoming-weight vectors
            norms = w.norm(dim=self.dim, keepdim=True)
            # Units already within the ball keep their weights bit for bit (scale exactly 1).
            w.mul_(torch.where(norms > self.r, self.r / norms, torch.ones_like(norms)))


def max_norm(r: float, dim: int = 1, layers: str = "weights") -> MaxNorm:
    """A max-norm constraint for `FitConfig.after_step`, e.g. FitConfig(after_step=[max_norm(1.0)])."""
    return MaxNorm(r=r, dim=dim, layers=layers)


@torch.no_grad()
def unit_norms(model: nn.Module, layers: str = "weights", dim: int = 1) -> list[torch.Tensor]:
    """Per layer, the L2 norm of every unit's incoming weight vector (what max-norm bounds)."""
    return [w.norm(dim=dim) for w in layer_weights(model, layers) if w.ndim >= 2]


@torch.no_grad()
def weight_norm(model: nn.Module, layers: str = "weights") -> float:
    """The L2 norm of all chosen weights taken as one vector (what an l2 penalty shrinks)."""
    return math.sqrt(sum(float(w.square().sum()) for w in layer_weights(model, layers)))


def top_k_dropout(depth: int, k: int, rate: float) -> tuple[float, ...]:
    """Per-layer dropout rates for MLPConfig.dropout with dropout on the top k hidden layers only (the common
    practice the chapter mentions: "usually only dropout on the top 1-3 layers")."""
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth={depth!r} is not allowed; it must be an int >= 1")
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= depth:
        raise ValueError(f"k={k!r} is not allowed; it must be an int in [0, depth={depth}]")
    if not (isinstance(rate, (int, float)) and 0 <= rate < 1):
        raise ValueError(f"dropout rate {rate!r} is not allowed; rates must lie in [0, 1)")
    return (0.0,) * (depth - k) + (float(rate),) * k
