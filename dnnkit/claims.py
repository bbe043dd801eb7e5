"""The claim registry: each claim's sentence, source and statistical design, declared before any run.

Section catalogs live in dnnkit/catalog/<section>.py, each defining CLAIMS; they are discovered by module name.
A change to a declared field after results were seen goes into `amendments` with its reason.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import asdict, dataclass, field

KINDS = ("directional", "paired", "time_to_target", "equivalence", "exact", "timing")
DIRECTIONS = {
    "directional": ("greater", "less"),
    "paired": ("greater", "less"),
    "time_to_target": ("less", "greater"),
    "equivalence": ("equivalent",),
    "exact": ("holds",),
    "timing": ("slower", "faster", "equal"),
}


@dataclass(frozen=True)
class Claim:
    """One testable sentence of the chapter with its pre-declared kind, metric, direction, margin and seeds.

    direction reads "arm A is <direction> than arm B on <metric>" (A and B are arms[0] and arms[1]).
    delta is in metric units: the margin for equivalence, and the "absent" band of a not-reproduced verdict.
    """

    id: str
    section: str
    sentence: str
    source: str
    kind: str
    metric: str
    direction: str
    arms: tuple[str, ...]
    delta: float | None = None
    design: str = "independent"
    seeds: dict[str, int] = field(default_factory=lambda: {"quick": 8, "full": 20})
    amendments: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id!r}: unknown kind {self.kind!r}; allowed: {', '.join(KINDS)}")
        if self.direction not in DIRECTIONS[self.kind]:
            raise ValueError(f"claim {self.id!r}: direction {self.direction!r} is not allowed for kind {self.kind!r}; "
                             f"allowed: {', '.join(DIRECTIONS[self.kind])}")
        if self.design not in ("independent", "paired"):
            raise ValueError(f"claim {self.id!r}: design {self.design!r}; allowed: independent, paired")
        if self.kind in ("directional", "paired", "time_to_target", "equivalence") and (self.delta is None or self.delta < 0):
            raise ValueError(f"claim {self.id!r}: kind {self.kind!r} needs a margin delta >= 0 in metric units")

    def as_dict(self) -> dict:
        return asdict(self)


def _load() -> dict[str, Claim]:
    from . import catalog

    registry: dict[str, Claim] = {}
    for info in sorted(pkgutil.iter_modules(catalog.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{catalog.__name__}.{info.name}")
        for claim in getattr(module, "CLAIMS", ()):
            if claim.id in registry:
                raise ValueError(f"claim id {claim.id!r} is declared twice (catalog {info.name!r})")
            registry[claim.id] = claim
    return registry


_REGISTRY: dict[str, Claim] | None = None


def registry() -> dict[str, Claim]:
    """Every declared claim by id (catalogs are imported once)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _load()
    return _REGISTRY


def get_claim(claim_id: str) -> Claim:
    """A claim by id; ValueError lists the known ids for an unknown one."""
    claims = registry()
    if claim_id not in claims:
        raise ValueError(f"unknown claim id {claim_id!r}; known ids: {', '.join(sorted(claims))}")
    return claims[claim_id]
