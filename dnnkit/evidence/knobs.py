"""A claim's design knobs: one small frozen dataclass per claim holding every number its experiment uses, each
declared once, with `QuickFull` where the quick and the full profile differ.

The catalog builds its metric text from the knobs (f-strings) and a test checks the other way: every knob's value
is stated in the claim's declared text (`unstated`), so the prose and the experiment cannot drift apart. The
claim test reads them resolved for its profile (`claim.knobs`), never from literals of its own.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
# Widths that follow from the data set the text names (64 for digits, 10 classes): not restated.
FOLLOW_FROM_DATA = frozenset({"n_inputs", "n_outputs"})


@dataclass(frozen=True)
class QuickFull(Generic[T]):
    """A knob whose value depends on the profile: the quick suite's (2 CPU cores, minutes) and the full one's."""

    quick: T
    full: T

    def at(self, profile: str) -> T:
        if profile not in ("quick", "full"):
            raise ValueError(f"profile {profile!r}; allowed: quick, full")
        return self.full if profile == "full" else self.quick


def check_knobs(knobs: Any, where: str) -> None:
    """Refuse knobs that are not a dataclass instance (a dict or a class would make the check below vacuous)."""
    if knobs is not None and (not dataclasses.is_dataclass(knobs) or isinstance(knobs, type)):
        raise ValueError(f"{where}: knobs must be a dataclass instance (one field per design number), "
                         f"got {knobs!r}")


def for_profile(knobs: T, profile: str) -> T:
    """The knobs with every QuickFull replaced by its value for `profile` (nested dataclasses too)."""
    def resolve(value: Any) -> Any:
        if isinstance(value, QuickFull):
            return resolve(value.at(profile))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {f.name: resolve(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
            return dataclasses.replace(value, **{k: v for k, v in changes.items() if v is not getattr(value, k)})
        if isinstance(value, tuple):
            return type(value)(resolve(v) for v in value) if not hasattr(value, "_fields") else value
        if isinstance(value, Mapping):
            return {k: resolve(v) for k, v in value.items()}
        return value
    return resolve(knobs)


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted name, value) of every number or word a knob holds. A nested config's fields left at their class
    defaults are not knobs of the claim; booleans, None and callables are not stated as numbers."""
    if isinstance(value, QuickFull):
        yield from leaves(value.quick, f"{path}.quick")
        yield from leaves(value.full, f"{path}.full")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for name, v in declared_fields(value, nested=bool(path)):
            yield from leaves(v, f"{path}.{name}" if path else name)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from leaves(k, f"{path}[key]")
            yield from leaves(v, f"{path}[{k}]")
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            yield from leaves(v, f"{path}[{i}]")
    elif isinstance(value, (int, float, str)) and not isinstance(value, bool):
        yield path, value


def declared_fields(value: Any, nested: bool, compact: bool = True) -> list[tuple[str, Any]]:
    """A knobs dataclass's fields; for a nested config (an MLPConfig in the knobs), when compact, only those set
    away from their class defaults and not following from the data (n_inputs, n_outputs): what the claim chose."""
    out = []
    for f in dataclasses.fields(value):
        v = getattr(value, f.name)
        if nested and compact:
            if f.name in FOLLOW_FROM_DATA:
                continue
            default = f.default if f.default is not dataclasses.MISSING else (
                f.default_factory() if f.default_factory is not dataclasses.MISSING else dataclasses.MISSING)
            if default is not dataclasses.MISSING and _same(v, default):
                continue
        out.append((f.name, v))
    return out


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - tensors and the like: compare as different
        return False


# History columns as the prose names them.
COLUMN_WORDS = {"val_acc": ("val accuracy", "validation accuracy"), "train_acc": ("training accuracy",),
                "val_loss": ("val loss", "validation loss"), "train_loss": ("training loss", "train loss")}


def sci(value: float) -> str:
    """A rate or tolerance in the chapter's e-notation: 1e-3, 3e-3, 1e-9 (no padded exponent)."""
    mantissa, exponent = f"{value:e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def fmt(value: float) -> str:
    """A number as the catalog writes it: 0.1, 64, and e-notation below 1e-3 (3e-4, 1e-9)."""
    return sci(value) if value != 0 and abs(value) < 1e-3 else f"{value:g}"


def spellings(value: int | float | str) -> set[str]:
    """How a value may be written in prose: 0.001 as "0.001" or "1e-3", 1.0 as "1.0" or "1", he_normal as
    "he normal", val_acc as "val accuracy" (case-insensitive)."""
    if isinstance(value, str):
        low = value.lower()
        return {low, low.replace("_", " "), low.replace("_", "-"), *COLUMN_WORDS.get(low, ())}
    if not math.isfinite(value):
        return {str(value)}
    forms = {f"{value:g}", str(value)}
    if float(value).is_integer():
        forms |= {str(int(value)), f"{int(value):,}"}
    forms.add(sci(value))
    if 0 < abs(value) < 1:
        forms.add(f"{value * 100:g}%")
    return forms


def is_stated(value: int | float | str, text: str) -> bool:
    """Whether `text` states `value` as a whole token (0.1 is not found inside 0.15 or 10.1)."""
    lowered = text.lower()
    return any(re.search(rf"(?<![\w.]){re.escape(form)}(?![\w]|\.\d)", lowered) for form in spellings(value))


def unstated(knobs: Any, text: str) -> list[str]:
    """The knobs (name=value) that `text` does not state: the declaration's prose misses a number of the design."""
    return [f"{name}={value!r}" for name, value in leaves(knobs) if not is_stated(value, text)]


def as_data(knobs: Any, nested: bool = False, compact: bool = True) -> Any:
    """The knobs as plain JSON-able data (callables by qualified name): compact for claims.json (nested configs:
    the fields the claim set), whole for the fingerprint (a changed config default changes the experiment too)."""
    def walk(value: Any, nested: bool) -> Any:
        if isinstance(value, QuickFull):
            return {"quick": walk(value.quick, True), "full": walk(value.full, True)}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {name: walk(v, True) for name, v in declared_fields(value, nested, compact)}
        if isinstance(value, Mapping):
            return {str(k): walk(v, nested) for k, v in value.items()}
        if isinstance(value, (tuple, list)):
            return [walk(v, nested) for v in value]
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, functools.partial):
            return {"partial": walk(value.func, nested), "args": walk(value.args, nested),
                    "keywords": walk(value.keywords, nested)}
        if callable(value):
            return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', type(value).__name__)}"
        return repr(value)
    return walk(knobs, nested)
