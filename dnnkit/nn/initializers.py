"""Weight and bias initializers by name, each drawing from an explicit torch.Generator (no global RNG).

Weights are PyTorch's [out, in]: fan_in is dim 1, fan_out dim 0. The normal variants are untruncated
(PyTorch's kaiming_normal_ convention; Keras truncates at 2 std). The He initializers take a `gain`, a factor on
their standard deviation sqrt(2 / fan_in) (1: plain He), e.g. get_initializer("he_normal", gain=0.5).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

Initializer = Callable[[torch.Tensor, torch.Generator | None], None]


def _fans(t: torch.Tensor) -> tuple[int, int]:
    if t.dim() < 2:
        # A bias has no fan-in of its own: use its length so variance-scaled inits stay well defined.
        return t.numel(), t.numel()
    return t.shape[1], t.shape[0]


def _normal(std_of: Callable[[int, int], float]) -> Initializer:
    def init(t: torch.Tensor, g: torch.Generator | None) -> None:
        fan_in, fan_out = _fans(t)
        t.normal_(0.0, std_of(fan_in, fan_out), generator=g)

    return init


def _uniform(std_of: Callable[[int, int], float]) -> Initializer:
    def init(t: torch.Tensor, g: torch.Generator | None) -> None:
        fan_in, fan_out = _fans(t)
        limit = math.sqrt(3.0) * std_of(fan_in, fan_out)
        t.uniform_(-limit, limit, generator=g)

    return init


def _he_std(fan_in: int, fan_out: int) -> float:
    return math.sqrt(2.0 / fan_in)


def _glorot_std(fan_in: int, fan_out: int) -> float:
    return math.sqrt(2.0 / (fan_in + fan_out))


def _lecun_std(fan_in: int, fan_out: int) -> float:
    return math.sqrt(1.0 / fan_in)


def _check_gain(name: str, gain: float) -> float:
    if isinstance(gain, bool) or not isinstance(gain, (int, float)) or not (math.isfinite(gain) and gain > 0):
        raise ValueError(f"initializer {name!r}: gain={gain!r} is not allowed; gain must be a finite number > 0 "
                         "(a factor on the He standard deviation sqrt(2 / fan_in); 1 is plain He)")
    return float(gain)


def _he(name: str, draw: Callable[[Callable[[int, int], float]], Initializer]) -> Callable[..., Initializer]:
    """He normal/uniform with a gain on the standard deviation (gain 1 multiplies by 1.0: bitwise plain He)."""

    def make(gain: float = 1.0) -> Initializer:
        gain = _check_gain(name, gain)
        return draw(lambda fan_in, fan_out: gain * _he_std(fan_in, fan_out))

    return make


def _he_constant(gain: float = 1.0) -> Initializer:
    """One value drawn from He normal (times `gain`), shared by every weight: the first exercise's trap (symmetry
    is kept)."""
    gain = _check_gain("he_constant", gain)

    def init(t: torch.Tensor, g: torch.Generator | None) -> None:
        fan_in, _ = _fans(t)
        value = torch.empty(1).normal_(0.0, gain * _he_std(fan_in, 0), generator=g).item()
        t.fill_(value)

    return init


def _check_nonneg(name: str, key: str, value: float) -> float:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"initializer {name!r}: {key}={value!r} is not allowed; {key} must be a finite number >= 0")
    return value


def _constant(value: float = 0.0) -> Initializer:
    if not math.isfinite(value):
        raise ValueError(f"initializer 'constant': value={value!r} must be finite")

    def init(t: torch.Tensor, g: torch.Generator | None) -> None:
        t.fill_(value)

    return init


def _plain_normal(std: float = 1.0) -> Initializer:
    std = _check_nonneg("normal", "std", std)

    def init(t: torch.Tensor, g: torch.Generator | None) -> None:
        t.normal_(0.0, std, generator=g)

    return init


def _plain_uniform(limit: float = 0.05) -> Initializer:
    limit = _check_nonneg("uniform", "limit", limit)

    def init(t: torch.Tensor, g: torch.Generator | None) -> None:
        t.uniform_(-limit, limit, generator=g)

    return init


INITIALIZERS: dict[str, Callable[..., Initializer]] = {
    "zeros": lambda: _constant(0.0),
    "constant": _constant,
    "normal": _plain_normal,
    "uniform": _plain_uniform,
    "glorot_normal": lambda: _normal(_glorot_std),
    "glorot_uniform": lambda: _uniform(_glorot_std),
    "he_normal": _he("he_normal", _normal),
    "he_uniform": _he("he_uniform", _uniform),
    "lecun_normal": lambda: _normal(_lecun_std),
    "lecun_uniform": lambda: _uniform(_lecun_std),
    "he_constant": _he_constant,
}


def get_initializer(name: str, **params: float) -> Initializer:
    """An initializer by name, e.g. get_initializer('normal', std=0.01); ValueError names a bad name or value."""
    if name not in INITIALIZERS:
        raise ValueError(f"unknown initializer {name!r}; allowed: {', '.join(sorted(INITIALIZERS))}")
    try:
        return INITIALIZERS[name](**params)
    except TypeError as err:
        raise ValueError(f"initializer {name!r} got bad parameters {params}: {err}") from None
