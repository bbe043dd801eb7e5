"""The chapter's low-latency recipe: fold BatchNorm into the previous layers (dnnkit.batchnorm.fold_batchnorm), use
a cheap activation (leaky ReLU), and reduce the float precision (`quantize_int8`: PyTorch's dynamic int8
quantization of every nn.Linear, weights int8 per tensor, activations quantized on the fly; CPU only)."""

from __future__ import annotations

import copy
import warnings

import torch
from torch import nn

from .batchnorm import fold_batchnorm


def quantize_int8(model: nn.Module) -> nn.Module:
    """An eval-mode CPU copy of `model` with every nn.Linear replaced by a dynamically quantized int8 Linear
    (torch.ao.quantization.quantize_dynamic, qint8). The original is left untouched (and where it was)."""
    twin = copy.deepcopy(model).to("cpu").eval()
    with warnings.catch_warnings():  # torch.ao.quantization's deprecation notice (moving to torchao)
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(twin, {nn.Linear}, dtype=torch.qint8)


def low_latency(model: nn.Module) -> nn.Module:
    """The inference copy of the recipe's first half: every BatchNorm folded into its Linear (eval mode)."""
    return fold_batchnorm(model)
