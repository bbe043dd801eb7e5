"""What an activation-latency comparison times: each activation alone on one tensor, and one MLP forward per
activation with the same weights, so that only the nonlinearity differs between candidates.

The callables take no arguments and their inputs are built here, before any timing (dnnkit.evidence.timing times
the calls only). The timing itself and its test live in dnnkit.evidence; this module only builds the candidates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import torch

from .activations import make_activation
from .models import MLPConfig, build_mlp


@dataclass(frozen=True)
class LatencyCandidates:
    """Per activation name: a call of the activation alone (`kernel`) and a call of the whole net (`forward`)."""

    kernel: dict[str, Callable[[], torch.Tensor]]
    forward: dict[str, Callable[[], torch.Tensor]]


def latency_candidates(activations: Sequence[str], net: MLPConfig | None, *, log2_elements: int, batch: int | None = None,
                       data: torch.Generator, init: Callable[[], torch.Generator],
                       device: str | torch.device = "cpu") -> LatencyCandidates:
    """Candidates for interleaved timing: each activation (registry name, default parameters) on one float32 tensor
    of 2^log2_elements N(0, 1) values, and `net` with that activation in eval mode on a batch of `batch` inputs
    (no `forward` candidates when net is None).

    The inputs come from `data`; every net draws its weights from a fresh generator `init()` (a seed's init stream:
    lambda: seeds.generator("init")) with `net`'s own weight init, so the nets are identical but for the activation
    (a matched init per activation would change the matmuls' inputs, not their cost). ValueError names a bad size
    or an empty / repeated list of activations.
    """
    names = list(activations)
    if not names or len(set(names)) != len(names):
        raise ValueError(f"activations {names!r}: give one or more distinct registry names")
    sizes = [("log2_elements", log2_elements, 30)] + ([("batch", batch, 1 << 20)] if net is not None else [])
    for key, value, top in sizes:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= top:
            raise ValueError(f"latency_candidates: {key}={value!r}; allowed: an int in 1..{top}")
    x = torch.randn(2 ** log2_elements, generator=data).to(device)
    kernel = {name: partial(make_activation(name), x) for name in names}
    forward = {}
    if net is not None:
        X = torch.randn(batch, net.n_inputs, generator=data).to(device)
        for name in names:
            model = build_mlp(net.replace(activation=name, activation_params={}), generator=init(), device=device)
            forward[name] = partial(model.eval(), X)
    return LatencyCandidates(kernel, forward)
