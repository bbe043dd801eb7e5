"""The gradient of the mean softmax cross-entropy with respect to the logits: autograd's and the closed form
dZ = (softmax(Z) - onehot(Y)) / batch (Ng's notes: "dZ = Y_hat - Y", per example), and the tolerance their difference
may take in a dtype."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .fields import is_int


def autograd_logit_gradient(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """d mean(cross_entropy(logits, labels)) / d logits, by autograd (PyTorch's own F.cross_entropy)."""
    z = logits.detach().clone().requires_grad_()
    (grad,) = torch.autograd.grad(F.cross_entropy(z, labels), z)
    return grad


def closed_form_logit_gradient(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(softmax(logits) - onehot(labels)) / batch."""
    onehot = F.one_hot(labels, logits.shape[1]).to(logits.dtype)
    return (torch.softmax(logits, dim=1) - onehot) / logits.shape[0]


def gradient_tolerance(dtype: torch.dtype, batch: int, ulps: int) -> float:
    """`ulps` units in the last place of 1 (the largest |softmax - onehot| entry), divided by the batch: entries of
    both gradients lie in [-1/batch, 1/batch], so a few roundings of each give at most a few eps / batch apart.
    ValueError unless dtype is a floating dtype and batch and ulps are ints >= 1."""
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise ValueError(f"gradient_tolerance dtype={dtype!r}; allowed: a floating torch.dtype (e.g. torch.float32)")
    for name, value in (("batch", batch), ("ulps", ulps)):
        if not (is_int(value) and value >= 1):
            raise ValueError(f"gradient_tolerance {name}={value!r}; allowed: an int >= 1 (not a bool)")
    return ulps * torch.finfo(dtype).eps / batch
