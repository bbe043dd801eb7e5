"""The claim registry: each claim's sentence, source and statistical design, declared before any run.

Section catalogs live in dnnkit/catalog/<section>.py, each defining CLAIMS; they are discovered by module name.
A change to a declared field after results were seen goes into `amendments` with its reason.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from .knobs import as_data, check_knobs

VERDICTS = ("confirmed", "refuted", "not reproduced")
# Seed bases: the evidence of the committed table and its stability column; pilot bases for design runs (seeds
# per claim, the form of an assertion) that the evidence never uses; amendments are decided on bases above both.
EVIDENCE_BASES = (0, 1, 2, 3, 4)
PILOT_BASES = (100, 101, 102, 103, 104)
FIRST_AMENDMENT_BASE = 200

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
class Expect:
    """What a run at this scale is expected to decide, declared when it differs from the chapter's prediction.

    verdicts: the allowed verdicts; ("confirmed", "not reproduced") reads "not refuted", the assertion of a claim
    that cannot be powered at quick scale. why: the reason, with the numbers that showed it. declared: when and
    at which commit it was declared (before the evidence it is checked against).
    """

    verdicts: tuple[str, ...]
    why: str
    declared: str

    def __post_init__(self) -> None:
        bad = [v for v in self.verdicts if v not in VERDICTS]
        if not self.verdicts or bad:
            raise ValueError(f"Expect.verdicts {self.verdicts!r}: give one or more of {', '.join(VERDICTS)}")
        if not self.why.strip() or not self.declared.strip():
            raise ValueError("Expect needs a reason (why) and when it was declared (declared: date and commit)")

    @classmethod
    def not_refuted(cls, why: str, declared: str) -> Expect:
        """The assertion that holds on every base when the effect cannot be powered: confirmed or not reproduced."""
        return cls(("confirmed", "not reproduced"), why, declared)

    def label(self) -> str:
        return "not refuted" if set(self.verdicts) == {"confirmed", "not reproduced"} else " or ".join(self.verdicts)


@dataclass(frozen=True)
class Amendment:
    """A change to a declared field after results were seen: what changed, why, and the fresh seed base
    (>= FIRST_AMENDMENT_BASE, never used before) on which the amended claim is decided again."""

    date: str
    what: str
    why: str
    base: int

    def __post_init__(self) -> None:
        if not isinstance(self.base, int) or self.base < FIRST_AMENDMENT_BASE:
            raise ValueError(f"Amendment.base {self.base!r}: an amendment is decided on a fresh seed base >= "
                             f"{FIRST_AMENDMENT_BASE} (evidence bases are {EVIDENCE_BASES}, pilot bases {PILOT_BASES})")

    def text(self) -> str:
        return f"{self.date}: {self.what} Why: {self.why} Decided again on seed base {self.base}."


def margin_amendment(comparison: str, base: int) -> Amendment:
    """The amendment of a comparison whose metric says "by more than the margin" but whose test compared the arms
    unshifted (delta then only bounds the absent band): the reference is now shifted by the declared margin."""
    return Amendment(
        date="2026-12-07",
        what=f"{comparison}: the declared margin is now applied (the reference shifted by it); the test compared the "
             "arms unshifted, the margin only bounding the absent band.",
        why="a review of the tests against their declarations found the metric says 'by more than' the margin while "
            "the computation tested a difference above 0 (the defect the relu-good-default and "
            "selu-conditions-required amendments fixed). The margin is the declared one, not re-tuned; on the "
            "evidence bases the effect was far beyond it.",
        base=base)


@dataclass(frozen=True)
class Claim:
    """One testable sentence of the chapter with its pre-declared kind, metric, direction, margin and seeds.

    direction reads "arm A is <direction> than arm B on <metric>" (A and B are arms[0] and arms[1]).
    delta is in metric units: the margin for equivalence, and the "absent" band of a not-reproduced verdict.
    min_effect (timing claims only) is the smallest relative effect the claim asserts: "slower" means a median
    A/B time ratio above 1 + min_effect, "faster" below 1 / (1 + min_effect), "equal" within that band.
    The chapter predicts "confirmed"; `expect` declares a different verdict expected at this scale, and why.
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
    min_effect: float | None = None
    expect: Expect | None = None
    amendments: tuple[Amendment | str, ...] = ()
    knobs: Any = None

    def __post_init__(self) -> None:
        check_knobs(self.knobs, f"claim {self.id!r}")
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id!r}: unknown kind {self.kind!r}; allowed: {', '.join(KINDS)}")
        if self.direction not in DIRECTIONS[self.kind]:
            raise ValueError(f"claim {self.id!r}: direction {self.direction!r} is not allowed for kind {self.kind!r}; "
                             f"allowed: {', '.join(DIRECTIONS[self.kind])}")
        if self.design not in ("independent", "paired"):
            raise ValueError(f"claim {self.id!r}: design {self.design!r}; allowed: independent, paired")
        if self.kind in ("directional", "paired", "time_to_target", "equivalence") and (self.delta is None or self.delta < 0):
            raise ValueError(f"claim {self.id!r}: kind {self.kind!r} needs a margin delta >= 0 in metric units")
        if self.kind == "timing" and (not isinstance(self.min_effect, (int, float)) or not self.min_effect > 0):
            raise ValueError(f"claim {self.id!r}: a timing claim needs min_effect > 0, the smallest relative effect "
                             f"it asserts (0.1 = 10%); got {self.min_effect!r}")
        if self.kind != "timing" and self.min_effect is not None:
            raise ValueError(f"claim {self.id!r}: min_effect is for timing claims only (kind {self.kind!r} uses delta)")
        if self.expect is not None and not isinstance(self.expect, Expect):
            raise ValueError(f"claim {self.id!r}: expect must be a dnnkit.claims.Expect, got {self.expect!r}")

    @property
    def expected_verdicts(self) -> tuple[str, ...]:
        """The verdicts the harness accepts: the declared expectation, else the chapter's ("confirmed")."""
        return self.expect.verdicts if self.expect else ("confirmed",)

    def as_dict(self) -> dict:
        d = self._declaration()
        d["amendments"] = [a.text() if isinstance(a, Amendment) else a for a in self.amendments]
        d["amendment_bases"] = [a.base for a in self.amendments if isinstance(a, Amendment)]
        d["fingerprint"] = self.fingerprint()
        return d

    def _declaration(self, compact: bool = True) -> dict:
        # a claim without knobs keeps the fingerprint it had before knobs existed
        d = asdict(dataclasses.replace(self, knobs=None))
        if self.knobs is None:
            d.pop("knobs")
        else:
            d["knobs"] = as_data(self.knobs, compact=compact)
        return d

    def declared_text(self) -> str:
        """The claim's own prose, which (with its catalog's design notes) must state every knob."""
        return " ".join([self.sentence, self.metric, *self.arms, self.expect.why if self.expect else ""])

    def fingerprint(self) -> str:
        """A hash of the declaration without its amendments: a changed fingerprint with no new amendment is a
        change after the fact (dnnkit --compare lists it). The knobs are hashed with it."""
        d = self._declaration(compact=False)
        d.pop("amendments")
        return hashlib.blake2b(json.dumps(d, sort_keys=True, default=str).encode(), digest_size=8).hexdigest()


class Declarations:
    """The claims a run knows, each with the place that declared it (a module's or conftest's CLAIMS list, or a
    Claim passed to the marker). One id, one declaration: a second, different Claim with the same id is an error
    naming both places; the same Claim reached twice (one catalog imported by two conftests) is one declaration."""

    def __init__(self) -> None:
        self.claims: dict[str, Claim] = {}
        self.places: dict[str, str] = {}

    def add(self, claim: Claim, where: str) -> None:
        if not isinstance(claim, Claim):
            raise TypeError(f"{where}: {claim!r} is not a dnnkit.claims.Claim; CLAIMS lists and "
                            "@pytest.mark.claim(...) take Claim objects (or, for the marker, a declared id)")
        known = self.claims.get(claim.id)
        if known is not None and known != claim:
            raise ValueError(f"claim id {claim.id!r} is declared twice, differently: in {self.places[claim.id]} "
                             f"and in {where}; give one of them another id")
        if known is None:
            self.claims[claim.id] = claim
            self.places[claim.id] = where

    def add_all(self, claims: Iterable[Claim], where: str) -> None:
        if isinstance(claims, (str, Claim)) or not isinstance(claims, Iterable):
            raise TypeError(f"{where}: CLAIMS must be a list or tuple of dnnkit.claims.Claim, got {claims!r}")
        for claim in claims:
            self.add(claim, where)

    def __contains__(self, claim_id: object) -> bool:
        return claim_id in self.claims

    def get(self, claim_id: str) -> Claim:
        """A declared claim by id; for an unknown one, a ValueError that says how to declare it."""
        if claim_id not in self.claims:
            raise ValueError(unknown_claim_message(claim_id, self.claims))
        return self.claims[claim_id]


def unknown_claim_message(claim_id: object, known: Iterable[str]) -> str:
    import difflib

    known = sorted(known)
    close = difflib.get_close_matches(str(claim_id), known, n=3)
    return (f"unknown claim id {claim_id!r}"
            + (f" (did you mean {', '.join(close)}?)" if close else "")
            + "; declare it with a dnnkit.claims.Claim in a CLAIMS list of the test module or of a conftest.py, "
              "or pass the Claim itself to the marker: @pytest.mark.claim(Claim(...)); dnnkit's own claims are "
              f"`from dnnkit.catalog import CLAIMS`. {len(known)} declared in this run"
            + (f": {', '.join(known[:12])}{', ...' if len(known) > 12 else ''}" if known else ""))


def registry() -> dict[str, Claim]:
    """dnnkit's own catalog by id (the chapter's claims, `dnnkit.catalog.CLAIMS`)."""
    from ..catalog import CLAIMS

    declared = Declarations()
    declared.add_all(CLAIMS, "dnnkit.catalog")
    return declared.claims


def get_claim(claim_id: str) -> Claim:
    """A claim of dnnkit's own catalog by id; ValueError says how to declare an unknown one."""
    claims = registry()
    if claim_id not in claims:
        raise ValueError(unknown_claim_message(claim_id, claims))
    return claims[claim_id]
