"""The catalog and the ablation modules keep the protocol: no xfail and no verdict asserts in claim tests (the harness
checks verdicts against declarations), every declared expectation gives its reason, every amendment names its own
fresh seed base, and every design number lives in the claim's knobs, stated in its declared text (no training
here)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from dnnkit.catalog import CLAIMS as CATALOG
from dnnkit.evidence.claims import EVIDENCE_BASES, FIRST_AMENDMENT_BASE, PILOT_BASES, Amendment, registry
from dnnkit.evidence.knobs import unstated

MODULES = sorted((Path(__file__).resolve().parents[1] / "ablations").glob("test_*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_claim_tests_carry_no_xfail_and_assert_no_verdict(path: Path) -> None:
    tree = ast.parse(path.read_text())
    assert "xfail" not in {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    asserts = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Assert)]
    assert not [a for a in asserts if "verdict" in a or "CONFIRMED" in a or "REFUTED" in a]


def test_amendments_are_decided_on_fresh_distinct_bases() -> None:
    bases = [a.base for c in registry().values() for a in c.amendments if isinstance(a, Amendment)]
    assert len(bases) == len(set(bases))
    assert min(bases) >= FIRST_AMENDMENT_BASE
    assert not set(bases) & (set(EVIDENCE_BASES) | set(PILOT_BASES))


def test_declared_expectations_say_why_and_when() -> None:
    for claim in registry().values():
        if claim.expect is not None:
            assert len(claim.expect.why) > 40, claim.id  # the numbers that showed it, not a word
            assert re.search(r"\d{4}-\d{2}-\d{2}", claim.expect.declared), claim.id


KNOBBED = [c for c in registry().values() if c.knobs is not None]


@pytest.mark.parametrize("claim", KNOBBED, ids=lambda c: c.id)
def test_declared_text_states_every_knob(claim) -> None:
    """The catalog's prose and the experiment's numbers cannot drift apart: each knob's value is in the claim's text
    (built from the knobs with f-strings) or in its catalog's design notes (written by hand, checked here)."""
    notes = sys.modules[type(claim.knobs).__module__].__doc__ or ""
    assert unstated(claim.knobs, f"{claim.declared_text()} {notes}") == []


def test_every_catalog_claim_declares_its_knobs() -> None:
    assert [c.id for c in CATALOG if c.knobs is None] == []


def _design_literals(path: Path) -> list[str]:
    """Module-level assignments holding numbers, configs built in the module, and profile picks: design numbers
    that belong in the claim's knobs."""
    tree = ast.parse(path.read_text())
    found = [ast.unparse(node)[:60] for node in _module_level_assignments(tree)
             if any(isinstance(c, ast.Constant) and isinstance(c.value, (int, float)) and not isinstance(c.value, bool)
                    for c in ast.walk(node.value))]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name in ("MLPConfig", "FitConfig") or name.endswith(".pick"):
                found.append(ast.unparse(node)[:60])
    return found


def _module_level_assignments(tree: ast.Module) -> list[ast.Assign | ast.AnnAssign]:
    return [n for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_ablation_modules_take_design_numbers_from_knobs(path: Path) -> None:
    assert _design_literals(path) == []
