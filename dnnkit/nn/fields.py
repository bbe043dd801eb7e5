"""Checks for config fields, shared by MLPConfig and FitConfig: each bad value is a ValueError that names the field,
the value and what is allowed (bools are not integers, strings are not numbers)."""

from __future__ import annotations

import math
import numbers


def is_int(value: object) -> bool:
    """An int that is not a bool (True would pass as 1 epoch)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """A finite real number, not a bool and not a string."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def bad(owner: str, name: str, value: object, allowed: str) -> ValueError:
    """The one message format: 'FitConfig.epochs=True; allowed: an int >= 1 (not a bool)'."""
    return ValueError(f"{owner}.{name}={value!r}; allowed: {allowed}")


def check_int(owner: str, name: str, value: object, *, minimum: int = 1, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not (is_int(value) and value >= minimum):
        raise bad(owner, name, value, f"{'None or ' if optional else ''}an int >= {minimum} (not a bool)")


def check_bool(owner: str, name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise bad(owner, name, value, "True or False")


def check_mapping(owner: str, name: str, value: object) -> None:
    """A dict of keyword parameters with string keys."""
    if not (isinstance(value, dict) and all(isinstance(k, str) for k in value)):
        raise bad(owner, name, value, "a dict of parameter names to values")


def check_callable(owner: str, name: str, value: object, *, optional: bool = True) -> None:
    if (optional and value is None) or callable(value):
        return
    raise bad(owner, name, value, f"{'None or ' if optional else ''}a callable")
