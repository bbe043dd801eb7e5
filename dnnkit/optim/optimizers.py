"""Optimizers by name with validated hyperparameters; torch's own classes underneath."""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Iterable

import torch

from .ftrl import Ftrl

_RANGES = {
    "momentum": (0.0, 1.0, "0 <= momentum <= 1"),
    "weight_decay": (0.0, math.inf, "weight_decay >= 0"),
    "alpha": (0.0, 1.0, "0 <= alpha <= 1"),
    "eps": (0.0, math.inf, "eps >= 0"),
    "initial_accumulator_value": (0.0, math.inf, "initial_accumulator_value >= 0"),
}


def _is_number(value: object) -> bool:
    """A real number, not a bool (True would pass as momentum 1) and not NaN."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isnan(value)


def _check(name: str, params: dict) -> None:
    for key, value in params.items():
        if key in _RANGES:
            lo, hi, text = _RANGES[key]
            if not (_is_number(value) and lo <= value <= hi):
                raise ValueError(f"optimizer {name!r}: {key}={value!r} is out of range; allowed: {text}")
        if key == "betas":
            pair = tuple(value) if isinstance(value, (tuple, list)) else ()
            if len(pair) != 2 or not all(_is_number(b) and 0 <= b < 1 for b in pair):
                raise ValueError(f"optimizer {name!r}: betas={value!r}; allowed: two values in [0, 1)")
    if name == "nesterov" and params.get("momentum", 0.9) == 0:
        # torch's own message ("requires a momentum and zero dampening") does not say what is allowed.
        raise ValueError("optimizer 'nesterov': momentum=0 is not allowed; allowed: 0 < momentum <= 1")


def _sgd(params, lr, momentum=0.0, **kw):
    return torch.optim.SGD(params, lr=lr, momentum=momentum, **kw)


OPTIMIZERS = {
    "sgd": lambda p, lr, **kw: _sgd(p, lr, **kw),
    "momentum": lambda p, lr, momentum=0.9, **kw: _sgd(p, lr, momentum=momentum, **kw),
    "nesterov": lambda p, lr, momentum=0.9, **kw: _sgd(p, lr, momentum=momentum, nesterov=True, **kw),
    "adagrad": lambda p, lr, **kw: torch.optim.Adagrad(p, lr=lr, **kw),
    "rmsprop": lambda p, lr, alpha=0.9, **kw: torch.optim.RMSprop(p, lr=lr, alpha=alpha, **kw),
    "adam": lambda p, lr, **kw: torch.optim.Adam(p, lr=lr, **kw),
    "adamax": lambda p, lr, **kw: torch.optim.Adamax(p, lr=lr, **kw),
    "nadam": lambda p, lr, **kw: torch.optim.NAdam(p, lr=lr, **kw),
    "adamw": lambda p, lr, **kw: torch.optim.AdamW(p, lr=lr, **kw),
    "ftrl": lambda p, lr, **kw: Ftrl(p, lr=lr, **kw),
}


# The class behind each name, and the arguments a name fixes itself (nesterov=True): what optimizer_params may hold.
CLASSES = {"sgd": torch.optim.SGD, "momentum": torch.optim.SGD, "nesterov": torch.optim.SGD,
           "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
           "adamax": torch.optim.Adamax, "nadam": torch.optim.NAdam, "adamw": torch.optim.AdamW, "ftrl": Ftrl}
_FIXED = {"nesterov": {"nesterov"}}


def hyperparameter_names(name: str) -> list[str]:
    """The keyword hyperparameters optimizer `name` takes (its class's arguments but params, lr and fixed ones)."""
    taken = {"params", "lr", *_FIXED.get(name, ())}
    return [p for p in inspect.signature(CLASSES[name]).parameters if p not in taken]


def check_name(name: object) -> None:
    """ValueError unless `name` is a known optimizer name."""
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; allowed: {', '.join(sorted(OPTIMIZERS))}")


def check_lr(name: str, lr: object) -> None:
    """ValueError unless `lr` is a finite number > 0 (not a bool or a string)."""
    if not (isinstance(lr, numbers.Real) and not isinstance(lr, bool) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"optimizer {name!r}: learning rate {lr!r} is not allowed; it must be a finite number > 0")


def check_hyperparameters(name: str, hyper: dict) -> None:
    """ValueError for an unknown hyperparameter name (before torch's TypeError) or a value out of range."""
    allowed = hyperparameter_names(name)
    unknown = sorted(set(hyper) - set(allowed))
    if unknown:
        raise ValueError(f"optimizer {name!r} got bad hyperparameters: unknown {unknown}; allowed: {', '.join(allowed)}")
    _check(name, hyper)


def make_optimizer(name: str, params: Iterable, lr: float, **hyper) -> torch.optim.Optimizer:
    """An optimizer by name ('sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamax', 'nadam', 'adamw',
    'ftrl').

    RMSProp's decay defaults to 0.9 (the chapter's rho; torch's default alpha is 0.99).
    """
    check_name(name)
    check_lr(name, lr)
    check_hyperparameters(name, hyper)
    try:
        return OPTIMIZERS[name](params, float(lr), **hyper)
    except TypeError as err:
        raise ValueError(f"optimizer {name!r} got bad hyperparameters {hyper}: {err}") from None
