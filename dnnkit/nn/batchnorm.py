"""Batch normalization helpers: fold BatchNorm1d layers into the neighbouring Linear layers for inference, and
read what a BN layer computed in one pass (its inputs and outputs, and how far the output is from gamma times the
standardized inputs plus beta).

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


# ------------------------------------------------------------------------------ what a BN layer computes

def batchnorm_io(model: nn.Module, X: torch.Tensor, *, training: bool = True
                 ) -> list[tuple[nn.BatchNorm1d, torch.Tensor, torch.Tensor]]:
    """(layer, input, output) of every BatchNorm1d of `model` for one forward pass of X, in call order.

    training=True runs the pass in train mode (each BN normalizes with the batch's own statistics) on a deep copy,
    so the model's moving statistics are not touched; training=False runs it in eval mode (moving statistics).
    """
    probe = copy.deepcopy(model).train(training)
    seen: list[tuple[nn.BatchNorm1d, torch.Tensor, torch.Tensor]] = []
    hooks = [m.register_forward_hook(lambda mod, inp, out: seen.append((mod, inp[0].detach(), out.detach())))
             for m in probe.modules() if isinstance(m, nn.BatchNorm1d)]
    if not hooks:
        raise ValueError(f"{type(model).__name__} has no BatchNorm1d layer")
    try:
        with torch.no_grad():
            probe(X)
    finally:
        for h in hooks:
            h.remove()
    return seen


def standardization_errors(bn: nn.BatchNorm1d, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    """How far a train-mode BN output y (for the batch x) is from "gamma times the standardized inputs plus beta".

    Measured in float64 per feature over the batch: `mean_vs_beta` = max |mean(y) - beta|; `std_vs_exact` = max
    |std(y) - |gamma| sigma / sqrt(sigma^2 + eps)| (biased std, sigma the batch's biased std of x: what BN computes
    exactly); `std_vs_gamma` = max |std(y) - |gamma||, which eps alone moves by at most `eps_bound` = max |gamma|
    (1 - sigma / sqrt(sigma^2 + eps)); `scale` = max(|gamma|) + max(|beta|) (the size the rounding scales with).
    """
    x64, y64 = x.double(), y.double()
    gamma = bn.weight.detach().double() if bn.affine else torch.ones(x.shape[1], dtype=torch.float64)
    beta = bn.bias.detach().double() if bn.affine else torch.zeros(x.shape[1], dtype=torch.float64)
    sigma = x64.std(0, unbiased=False)
    shrink = sigma / torch.sqrt(sigma ** 2 + bn.eps)
    std_y = y64.std(0, unbiased=False)
    return {"mean_vs_beta": float((y64.mean(0) - beta).abs().max()),
            "std_vs_exact": float((std_y - gamma.abs() * shrink).abs().max()),
            "std_vs_gamma": float((std_y - gamma.abs()).abs().max()),
            "eps_bound": float((gamma.abs() * (1 - shrink)).max()),
            "scale": float(gamma.abs().max() + beta.abs().max())}


def float_sum_tolerance(n: int, scale: float, dtype: torch.dtype = torch.float32) -> float:
    """The worst-case rounding of an n-term sum in `dtype` of values of size `scale`: n * eps(dtype) * scale
    (the classic bound on recursive summation), the tolerance of an exact property measured on BN's output."""
    if n < 1 or not scale >= 0:
        raise ValueError(f"float_sum_tolerance needs n >= 1 and scale >= 0, got n={n!r}, scale={scale!r}")
    return n * torch.finfo(dtype).eps * scale


@torch.no_grad()
def randomize_affine(model: nn.Module, generator: torch.Generator, gamma_low: float, gamma_high: float,
                     beta_std: float) -> nn.Module:
    """Give every BatchNorm1d of `model` gamma ~ U(gamma_low, gamma_high) and beta ~ N(0, beta_std^2) (at init they
    are 1 and 0, which would make "the output's std is gamma" and "its mean is beta" trivially equal to 1 and 0)."""
    if not 0 <= gamma_low <= gamma_high or not beta_std >= 0:
        raise ValueError(f"randomize_affine: need 0 <= gamma_low <= gamma_high and beta_std >= 0, got gamma in "
                         f"[{gamma_low!r}, {gamma_high!r}], beta_std={beta_std!r}")
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d) and m.affine:
            gamma = gamma_low + (gamma_high - gamma_low) * torch.rand(m.num_features, generator=generator)
            m.weight.copy_(gamma.to(m.weight.device))
            m.bias.copy_((torch.randn(m.num_features, generator=generator) * beta_std).to(m.bias.device))
    return model
