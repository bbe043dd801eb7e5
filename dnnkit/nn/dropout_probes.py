"""Probes of what dropout does, for the claims of the dropout section: the masks it draws, the gradient it passes
back, how much a trained net leans on single units, and how calibrated its probabilities are.

- `draw_masks`: the keep masks of `steps` training steps at batch `batch`, drawn with bernoulli_ from a dropout
  generator as dnnkit.ensemble and nn.Dropout draw them on the CPU (one call per layer for all steps); one row per
  example and step, the concatenation of every dropout layer's mask: the sub-network that example trained.
- `repeated_rows`: how many rows of a bool matrix repeat an earlier row (a hash set of the packed bits).
- `dropout_backward_error`: the largest difference between the gradient nn.Dropout passes back and the inverted-
  dropout rule (the forward's own mask / keep_prob times the upstream gradient), computed in float64, relative to
  the largest reference value; float32 rounds twice (the 1/keep scale and the product), so 2 float32 eps bound it.
- `knockout_accuracy_drop`: eval-mode accuracy minus the accuracy with a random share of one hidden layer's units
  zeroed (the rest rescaled by 1/keep, inverted dropout), averaged over draws: how much the net relies on
  particular units of that layer (co-adaptation).
- `expected_calibration_error`: ECE with equal-width confidence bins (Guo et al. 2017; 15 bins is their default).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .mc_dropout import seeded_rng

FLOAT32_EPS = float(torch.finfo(torch.float32).eps)


def _check_rate(rate: float, what: str = "dropout rate") -> None:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise ValueError(f"{what} {rate!r} is not allowed; rates must lie in [0, 1)")


def _check_count(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}={value!r} is not allowed; it must be an int >= 1")


@torch.no_grad()
def draw_masks(steps: int, batch: int, widths: tuple[int, ...], rate: float,
               generator: torch.Generator) -> torch.Tensor:
    """Keep masks (True = kept) of `steps` training steps of a net whose dropout layers have `widths` units, batch
    `batch`: shape [steps * batch, sum(widths)], each layer's masks drawn from `generator` in one call."""
    _check_count(steps, "steps")
    _check_count(batch, "batch")
    _check_rate(rate)
    if not widths or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in widths):
        raise ValueError(f"widths={widths!r}: give one positive int per dropout layer")
    # One bernoulli_ per layer over all steps: the per-step draws of training, in one call (same distribution, same
    # generator; a per-step loop cost ~0.2 ms a step on the CPU).
    layers = [torch.empty(steps * batch, w).bernoulli_(1 - rate, generator=generator).bool() for w in widths]
    return torch.cat(layers, dim=1)


def repeated_rows(masks: torch.Tensor) -> int:
    """How many rows of a 2-D bool tensor equal an earlier row (0: every row is unique). Rows are packed to bytes
    and counted with a hash set, so it is exact and linear in the rows."""
    if masks.ndim != 2 or masks.dtype != torch.bool:
        raise ValueError(f"masks must be a 2-D bool tensor, got {masks.dtype} of shape {tuple(masks.shape)}")
    packed = np.packbits(masks.cpu().numpy(), axis=1)
    seen: set[bytes] = set()
    for row in packed:
        seen.add(row.tobytes())
    return len(packed) - len(seen)


def dropout_backward_error(x: torch.Tensor, upstream: torch.Tensor, rate: float,
                           generator: torch.Generator | None = None) -> dict[str, float]:
    """Run nn.Dropout(rate) in training mode on `x` (every entry nonzero) and backpropagate `upstream`; compare the
    gradient at its input with mask / (1 - rate) * upstream, the mask read off the forward output (y / x is 0 or
    1/keep). Returns the largest absolute difference relative to the largest |reference| (float64), the same with a
    freshly drawn mask in place of the forward's (a control: another mask must not fit), and the kept share."""
    _check_rate(rate)
    if rate == 0:
        raise ValueError("rate 0 drops nothing: there is no mask to check")
    if x.shape != upstream.shape:
        raise ValueError(f"x {tuple(x.shape)} and upstream {tuple(upstream.shape)} must have one shape")
    if bool((x == 0).any()):
        raise ValueError("x has zeros: the mask could not be read off the forward output; give nonzero inputs")
    x = x.detach().clone().requires_grad_(True)
    module = nn.Dropout(rate).train()
    with seeded_rng(generator, x.device):
        y = module(x)
    y.backward(upstream)
    keep = 1 - rate
    mask = (y.detach() != 0).double()
    ref = mask / keep * upstream.double()
    other = (torch.rand(x.shape, generator=generator) < keep).double() / keep * upstream.double()
    scale = float(ref.abs().max())
    grad = x.grad.double()
    return {"relative_error": float((grad - ref).abs().max()) / scale,
            "control_relative_error": float((grad - other).abs().max()) / scale,
            "kept_share": float(mask.mean())}


def _knock_hook(rate: float, generator: torch.Generator):
    keep = 1 - rate

    def hook(module, inputs, output):
        mask = (torch.rand(output.shape[1:], generator=generator, device=output.device) < keep).to(output.dtype)
        return output * mask / keep  # the same units knocked out for every example of the draw

    return hook


@torch.no_grad()
def knockout_accuracy_drop(model: nn.Module, layer: nn.Module, X: torch.Tensor, y: torch.Tensor, *, rate: float,
                           draws: int, generator: torch.Generator) -> dict[str, float]:
    """Eval-mode accuracy, and its mean drop when a random `rate` share of `layer`'s output units is zeroed (the
    others scaled by 1/keep, as inverted dropout does), over `draws` draws of the knocked-out units (one set per
    draw, for all examples). `layer` is a submodule of `model` (e.g. model.hidden[0])."""
    _check_rate(rate, "knockout rate")
    _check_count(draws, "draws")
    if not any(m is layer for m in model.modules()):
        raise ValueError("layer is not a submodule of model")
    was_training = model.training
    model.eval()
    try:
        base = float((model(X).argmax(1) == y).float().mean())
        handle = layer.register_forward_hook(_knock_hook(rate, generator))
        try:
            knocked = [float((model(X).argmax(1) == y).float().mean()) for _ in range(draws)]
        finally:
            handle.remove()
    finally:
        model.train(was_training)
    return {"accuracy": base, "knocked_accuracy": float(np.mean(knocked)), "drop": base - float(np.mean(knocked))}


def expected_calibration_error(probs: torch.Tensor, y: torch.Tensor, bins: int = 15) -> float:
    """ECE: sum over equal-width confidence bins of (share of examples in the bin) x |accuracy - mean confidence|,
    the confidence being the top class probability; bins are (i/bins, (i+1)/bins], the first one closed at 0."""
    _check_count(bins, "bins")
    if probs.ndim != 2 or y.shape != probs.shape[:1]:
        raise ValueError(f"probs must be [n, classes] and y [n], got {tuple(probs.shape)} and {tuple(y.shape)}")
    conf, pred = probs.double().max(1)
    correct = (pred == y).double()
    idx = torch.clamp(torch.ceil(conf * bins).long() - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        inside = idx == b
        if bool(inside.any()):
            total += float(inside.double().mean()) * abs(float(correct[inside].mean() - conf[inside].mean()))
    return total


def band_center(low: float, high: float) -> tuple[float, float]:
    """A band [low, high] as (center, half-width): an equivalence test against the center within the half-width
    decides "inside the band"."""
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"band [{low!r}, {high!r}] must have finite low < high")
    return (low + high) / 2, (high - low) / 2
