"""Activation registry: every hidden-layer nonlinearity the chapter discusses, by name, with validated parameters.

Conventions: leaky ReLU's default slope is 0.2 (the chapter's example; PyTorch's default is 0.01, Keras's 0.3);
ELU's alpha defaults to 1 (smooth at 0); SELU's constants are fixed by its self-normalizing derivation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn


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
    "silu": ActivationSpec(lambda: nn.SiLU(), {}, "smooth"),
}


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
