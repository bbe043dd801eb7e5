"""Activation registry: every hidden-layer nonlinearity the chapter discusses, by name, with validated parameters.

Conventions: leaky ReLU's default slope is 0.2 (the chapter's example; PyTorch's default is 0.01, Keras's 0.3:
`keras_params` gives Keras's); ELU's alpha defaults to 1 (smooth at 0); SELU's constants are fixed by its
self-normalizing derivation. GELU is PyTorch's exact (erf) form; "gelu_sigmoid" is the chapter's approximation
z * sigmoid(1.702 z). `matched_init` names the weight init the chapter pairs with each activation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

# The constant of the chapter's sigmoid approximation of GELU, z * sigmoid(1.702 z) (Hendrycks & Gimpel 2016).
GELU_SIGMOID_SCALE = 1.702


class SigmoidGELU(nn.Module):
    """GELU approximated as z * sigmoid(1.702 z): the chapter's "much faster to compute" form."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(GELU_SIGMOID_SCALE * x)


@dataclass(frozen=True)
class ActivationSpec:
    """How to build one activation and which parameters it accepts (name -> (default, allowed-range text, check))."""

    build: Callable[..., nn.Module]
    params: dict[str, tuple[float, str, Callable[[float], bool]]]
    family: str  # "relu" (can die), "saturating" (sigmoid/tanh), or "smooth"


def _positive(x: float) -> bool:
    return x > 0


def _unit_interval(x: float) -> bool:
    return 0 <= x < 1


ACTIVATIONS: dict[str, ActivationSpec] = {
    "sigmoid": ActivationSpec(lambda: nn.Sigmoid(), {}, "saturating"),
    "tanh": ActivationSpec(lambda: nn.Tanh(), {}, "saturating"),
    "relu": ActivationSpec(lambda: nn.ReLU(), {}, "relu"),
    "leaky_relu": ActivationSpec(
        lambda alpha: nn.LeakyReLU(alpha), {"alpha": (0.2, "0 <= alpha < 1", _unit_interval)}, "relu"
    ),
    "rrelu": ActivationSpec(
        lambda lower, upper: nn.RReLU(lower, upper),
        {"lower": (1 / 8, "0 <= lower < 1", _unit_interval), "upper": (1 / 3, "0 <= upper < 1", _unit_interval)},
        "relu",
    ),
    "prelu": ActivationSpec(lambda init: nn.PReLU(init=init), {"init": (0.25, "0 <= init < 1", _unit_interval)}, "relu"),
    "elu": ActivationSpec(lambda alpha: nn.ELU(alpha), {"alpha": (1.0, "alpha > 0", _positive)}, "smooth"),
    "selu": ActivationSpec(lambda: nn.SELU(), {}, "smooth"),
    "gelu": ActivationSpec(lambda: nn.GELU(), {}, "smooth"),
    "silu": ActivationSpec(lambda: nn.SiLU(), {}, "smooth"),  # Swish with beta = 1
    "mish": ActivationSpec(lambda: nn.Mish(), {}, "smooth"),
    "gelu_sigmoid": ActivationSpec(lambda: SigmoidGELU(), {}, "smooth"),
}

# The weight init the chapter pairs with each activation: Glorot for the saturating ones, He for ReLU and its
# variants (ELU, GELU, Swish and Mish included), LeCun normal for SELU (needed for self-normalization).
MATCHED_INIT: dict[str, str] = {
    "sigmoid": "glorot_normal", "tanh": "glorot_normal", "relu": "he_normal", "leaky_relu": "he_normal",
    "rrelu": "he_normal", "prelu": "he_normal", "elu": "he_normal", "selu": "lecun_normal", "gelu": "he_normal",
    "silu": "he_normal", "mish": "he_normal", "gelu_sigmoid": "he_normal",
}

# Keras's defaults where they differ from PyTorch's: LeakyReLU(alpha=0.3) (PyTorch 0.01, this registry 0.2);
# ELU's alpha is 1 in all three.
KERAS_DEFAULTS: dict[str, dict[str, float]] = {"leaky_relu": {"alpha": 0.3}, "elu": {"alpha": 1.0}}


def _validated(name: str, params: dict[str, float]) -> tuple[ActivationSpec, dict[str, float]]:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; allowed: {', '.join(sorted(ACTIVATIONS))}")
    spec = ACTIVATIONS[name]
    unknown = set(params) - set(spec.params)
    if unknown:
        allowed = ", ".join(spec.params) or "none"
        raise ValueError(f"activation {name!r} got unknown parameter(s) {sorted(unknown)}; allowed: {allowed}")
    values = {}
    for key, (default, allowed_text, check) in spec.params.items():
        value = params.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not check(value):
            raise ValueError(f"activation {name!r}: {key}={value!r} is out of range; allowed: {allowed_text}")
        values[key] = value
    if name == "rrelu" and values["lower"] > values["upper"]:
        raise ValueError(f"activation 'rrelu': lower={values['lower']} must not exceed upper={values['upper']}")
    return spec, values


def make_activation(name: str, **params: float) -> nn.Module:
    """A fresh activation module by registry name; raises ValueError naming a bad name or parameter."""
    spec, values = _validated(name, params)
    return spec.build(**values)


def activation_family(name: str) -> str:
    """'relu', 'saturating' or 'smooth': which diagnostic (dead units, saturation) applies."""
    return _validated(name, {})[0].family


def matched_init(name: str) -> str:
    """The weight initializer the chapter pairs with activation `name` (MATCHED_INIT); ValueError for a bad name."""
    _validated(name, {})
    return MATCHED_INIT[name]


def keras_params(name: str) -> dict[str, float]:
    """Activation parameters that reproduce Keras's default for `name` (empty where the registry's default is
    Keras's), e.g. {"alpha": 0.3} for leaky ReLU."""
    spec, _ = _validated(name, {})
    return {k: v for k, v in KERAS_DEFAULTS.get(name, {}).items() if spec.params[k][0] != v}
