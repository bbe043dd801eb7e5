"""Inference with sparse weights: every nn.Linear of a (pruned) model as a CSR matrix product.

The chapter: "if you need a blazingly fast model at runtime ... you may prefer to end up with a sparse model".
`to_csr` makes the sparse twin of a model (eval mode, no gradients); its outputs equal the dense model's up to
float32 rounding of the summation order (tested in tests/test_part_c_regularization.py).
"""

from __future__ import annotations

import copy
import warnings

import torch
from torch import nn


class CsrLinear(nn.Module):
    """y = x W^T + b with W stored as a torch.sparse_csr tensor ([out, in], as nn.Linear's weight). W and b are
    buffers, so .to(device or dtype) moves them and state_dict() saves them."""

    def __init__(self, linear: nn.Linear):
        super().__init__()
        with warnings.catch_warnings():  # "Sparse CSR tensor support is in beta state"
            warnings.simplefilter("ignore", UserWarning)
            self.register_buffer("weight", linear.weight.detach().to_sparse_csr())
        self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().clone())
        self.in_features, self.out_features = linear.in_features, linear.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.sparse.mm(self.weight, x.t()).t()
        return out if self.bias is None else out + self.bias

    def density(self) -> float:
        return self.weight.values().numel() / (self.out_features * self.in_features)


@torch.no_grad()
def to_csr(model: nn.Module) -> nn.Module:
    """An eval-mode copy of `model` with every nn.Linear replaced by a CsrLinear (exact zeros are not stored)."""
    twin = copy.deepcopy(model).eval()

    def swap(parent: nn.Module) -> None:
        for name, child in parent.named_children():
            if isinstance(child, nn.Linear):
                setattr(parent, name, CsrLinear(child))
            else:
                swap(child)

    swap(twin)
    for p in twin.parameters():
        p.requires_grad_(False)
    return twin
