"""Batch normalization helpers: fold BatchNorm1d layers into the neighbouring Linear layers for inference.

Momentum convention. PyTorch updates the moving statistics as
    running = (1 - momentum) * running + momentum * batch_statistic
so PyTorch's momentum is the weight of the NEW batch. Keras writes the same update with its momentum as the
weight of the OLD value: PyTorch ``momentum=0.01`` (dnnkit's default, ``MLPConfig.bn_momentum``) is Keras's
``momentum=0.99``; PyTorch's own default 0.1 is Keras 0.9. The moving mean starts at 0 and the moving variance at 1,
and the variance folded into the moving average is the UNBIASED batch variance (divisor n - 1), while the batch
is normalized with the biased one (divisor n) in train mode.

Folding. In eval mode a BatchNorm1d is the affine map y = s * x + t with
    s = gamma / sqrt(running_var + eps),    t = beta - running_mean * s,
so it merges into an adjacent Linear layer (W, b):
  * BN directly after the Linear (``batch_norm="before"`` the activation):  W' = diag(s) W,  b' = s * b + t;
  * BN after the activation (``batch_norm="after"``) or on the inputs (``input_batch_norm``): it is folded into
    the NEXT Linear (the next hidden Linear, or the head):  W' = W diag(s),  b' = b + W t.
Dropout between a BN and the next Linear is the identity in eval mode and is removed too.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

_EVAL_IDENTITY = (nn.Dropout, nn.AlphaDropout, nn.Identity)


def keras_to_torch_momentum(keras_momentum: float) -> float:
    """PyTorch's BatchNorm momentum for a Keras momentum (Keras 0.99 -> PyTorch 0.01)."""
    if not 0 <= keras_momentum < 1:
        raise ValueError(f"keras_momentum={keras_momentum!r}; allowed: 0 <= keras_momentum < 1")
    return 1.0 - keras_momentum


def bn_scale_shift(bn: nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
    """(s, t) of a BatchNorm1d's eval-mode map y = s * x + t, in float64."""
    if not bn.track_running_stats or bn.running_mean is None or bn.running_var is None:
        raise ValueError(f"cannot fold {bn}: it has no running statistics (track_running_stats=False); "
                         "eval-mode BatchNorm is an affine map only with moving statistics")
    mean, var = bn.running_mean.double(), bn.running_var.double()
    gamma = bn.weight.double() if bn.affine else torch.ones_like(mean)
    beta = bn.bias.double() if bn.affine else torch.zeros_like(mean)
    s = gamma / torch.sqrt(var + bn.eps)
    return s, beta - mean * s


@torch.no_grad()
def _fold_into_previous(linear: nn.Linear, s: torch.Tensor, t: torch.Tensor) -> None:
    w = linear.weight.double()
    b = linear.bias.double() if linear.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
    new_w, new_b = s[:, None] * w, s * b + t
    _assign(linear, new_w, new_b)


@torch.no_grad()
def _fold_into_next(linear: nn.Linear, s: torch.Tensor, t: torch.Tensor) -> None:
    w = linear.weight.double()
    b = linear.bias.double() if linear.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
    new_w, new_b = w * s[None, :], b + w @ t
    _assign(linear, new_w, new_b)


def _assign(linear: nn.Linear, w: torch.Tensor, b: torch.Tensor) -> None:
    dtype = linear.weight.dtype
    linear.weight.copy_(w.to(dtype))
    if linear.bias is None:
        linear.bias = nn.Parameter(b.to(dtype=dtype, device=linear.weight.device))
    else:
        linear.bias.copy_(b.to(dtype))


def _flatten(model: nn.Module) -> list[tuple[nn.Module, str, nn.Module]]:
    """The leaf modules of an MLP in forward order, each with its parent and attribute name (for replacement)."""
    out: list[tuple[nn.Module, str, nn.Module]] = []

    def walk(parent: nn.Module) -> None:
        for name, child in parent.named_children():
            if isinstance(child, (nn.Sequential, nn.ModuleList)):
                walk(child)
            else:
                out.append((parent, name, child))

    # MLP.forward runs input -> hidden blocks -> head: named_children follows that registration order.
    walk(model)
    return out


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """An inference-only deep copy of an MLP with every BatchNorm1d merged into a Linear layer (see module doc).

    The copy is returned in eval mode; its outputs equal the original's eval-mode outputs up to float rounding
    (the fold is computed in float64). BN and dropout modules are replaced by nn.Identity, so the copy has no
    BatchNorm module; note that its ``hidden_outputs`` are then pre-BN for ``batch_norm="after"``.
    Raises ValueError for a BN that has no Linear to fold into (e.g. a BN after the last hidden block's
    activation with something other than dropout before the head).
    """
    folded = copy.deepcopy(model).eval()
    leaves = _flatten(folded)
    for i, (parent, name, module) in enumerate(leaves):
        if not isinstance(module, nn.BatchNorm1d):
            continue
        s, t = bn_scale_shift(module)
        prev = next((m for _, _, m in reversed(leaves[:i]) if not isinstance(m, _EVAL_IDENTITY)), None)
        if isinstance(prev, nn.Linear):
            _fold_into_previous(prev, s, t)
        else:
            nxt = next((m for _, _, m in leaves[i + 1:] if not isinstance(m, _EVAL_IDENTITY)), None)
            if not isinstance(nxt, nn.Linear):
                raise ValueError(f"cannot fold BatchNorm at {name!r}: neither directly preceded nor followed "
                                 f"(up to dropout) by a Linear layer (next module: {type(nxt).__name__})")
            _fold_into_next(nxt, s, t)
        setattr(parent, name, nn.Identity())  # also replaces an entry of an nn.Sequential (same _modules key)
        leaves[i] = (parent, name, nn.Identity())
    for parent, name, module in leaves:  # dropout is the identity at inference
        if isinstance(module, (nn.Dropout, nn.AlphaDropout)):
            setattr(parent, name, nn.Identity())
    for p in folded.parameters():
        p.requires_grad_(False)
    return folded.eval()
