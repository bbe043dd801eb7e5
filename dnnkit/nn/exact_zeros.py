"""How many hidden outputs are exactly 0.0: the sparse representations ReLU gives and smooth activations do not."""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def exact_zero_shares(model: nn.Module, X: torch.Tensor) -> list[float]:
    """Per hidden layer (bottom first): the share of its outputs on X (examples x units) that compare equal to 0.0.

    Exact comparison on purpose: a tiny negative ELU output is not a zero. The model must have `hidden_outputs`
    (dnnkit's MLP); it is put in eval mode for the pass and returned to its previous mode.
    """
    if not hasattr(model, "hidden_outputs"):
        raise ValueError(f"exact_zero_shares needs a model with hidden_outputs (dnnkit's MLP), got {type(model).__name__}")
    was_training = model.training
    model.eval()
    try:
        return [float((h == 0).float().mean()) for h in model.hidden_outputs(X)]
    finally:
        model.train(was_training)


def exact_zero_share(model: nn.Module, X: torch.Tensor) -> float:
    """The share of exactly-zero outputs over all hidden layers together (each layer weighted by its outputs)."""
    outs_per_layer = [m.out_features for m in model.modules() if isinstance(m, nn.Linear)][:-1]
    shares = exact_zero_shares(model, X)
    return sum(s * n for s, n in zip(shares, outs_per_layer, strict=True)) / sum(outs_per_layer)
