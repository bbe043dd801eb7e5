"""One claim record (an entry of claims.json) as text: numbers, effects, verdicts against the expectation.

The terminal table, claims.md and `dnnkit --claim` all read records through these, so they say the same thing.
"""

from __future__ import annotations

import math
from typing import Any

SHORT_VERDICT = {"confirmed": "C", "refuted": "R", "not reproduced": "N", None: "E"}


def num(value: Any, digits: int = 3) -> str:
    """A number for a table: '-' for none, scientific when tiny or huge, else `digits` significant digits."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    if isinstance(value, float) and value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e4):
        return f"{value:.2e}"
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def effect_text(decision: dict) -> str:
    """'name estimate [lo, hi]' of one decision's effect."""
    effect = decision.get("effect", {})
    level = effect.get("ci_level")
    ci = f" [{num(effect.get('ci_low'))}, {num(effect.get('ci_high'))}]" if "ci_low" in effect else ""
    level_text = f" ({num(float(level) * 100, 3)}% CI)" if isinstance(level, (int, float)) and level < 1 else ""
    text = f"{decision.get('effect_name', 'effect')} {num(effect.get('estimate'))}{ci}{level_text}"
    # An infinite shift (a run that never reached the target) says little: the medians, the ratio and how many
    # runs reached the target say what happened.
    extras = []
    if "median_a" in effect and "median_b" in effect:
        extras.append(f"medians {num(effect['median_a'])} vs {num(effect['median_b'])}")
    if "median_ratio" in effect and "ratio" not in decision.get("effect_name", ""):
        extras.append(f"ratio {num(effect['median_ratio'])}")
    if "reached_a" in effect and "reached_b" in effect:
        extras.append(f"reached {effect['reached_a']} vs {effect['reached_b']}")
    return text + (f"; {', '.join(extras)}" if extras else "")


def short_effect(decision: dict) -> str:
    """'estimate [lo, hi]' without the effect's name: the terminal table's cell."""
    effect = decision.get("effect", {})
    ci = f" [{num(effect.get('ci_low'))}, {num(effect.get('ci_high'))}]" if "ci_low" in effect else ""
    return f"{num(effect.get('estimate'))}{ci}" if "estimate" in effect else "-"


def gating(decisions: list[dict]) -> list[dict]:
    """The sub-decisions that set the verdict (sensitivity checks and positive controls are shown, not gating)."""
    return [d for d in decisions if d.get("role") not in ("sensitivity", "control")]


def deciding(decisions: list[dict]) -> dict:
    """The sub-decision that sets the claim's verdict: the first not confirmed, else the one with the largest p."""
    decisions = gating(decisions) or decisions
    failing = [d for d in decisions if d["decision"]["verdict"] != "confirmed"]
    if failing:
        return failing[0]
    return max(decisions, key=lambda d: d["decision"]["p_value"] if isinstance(d["decision"].get("p_value"), float) else -1)


def expected_text(record: dict) -> str:
    """What the claim declared a run at this scale decides: the chapter's 'confirmed' or its expectation."""
    expect = (record.get("claim") or {}).get("expect")
    if not expect:
        return "confirmed"
    verdicts = set(expect["verdicts"])
    return "not refuted" if verdicts == {"confirmed", "not reproduced"} else " or ".join(expect["verdicts"])


def as_expected_text(record: dict) -> str:
    if record.get("verdict") is None:
        return "no verdict"
    if record.get("as_expected") is None:
        return "-"
    if not record["as_expected"]:
        return "NO"
    return "yes" if expected_text(record) == "confirmed" else "yes (declared at this scale)"


def verdict_text(record: dict) -> str:
    verdict = record.get("verdict") or "error"
    if record.get("reason"):
        verdict += f" ({record['reason']})"
    if record.get("bh_flag"):
        verdict += " [not robust to multiplicity]"
    return verdict


def verdict_against_expectation(record: dict, marks: tuple[str, str] = ("✓", "✗")) -> str:
    """'confirmed ✓', 'not reproduced ✓ (declared)' or 'refuted ✗ (expected confirmed)': the table's verdict cell."""
    ok, bad = marks
    verdict = record.get("verdict") or "error"
    if record.get("verdict") is None or record.get("as_expected") is False:
        return f"{verdict} {bad} (expected {expected_text(record)})"
    if record.get("as_expected") is None:
        return verdict  # a record from before expectations were checked
    return f"{verdict} {ok}" + ("" if expected_text(record) == "confirmed" else " (declared)")


def sensitivity_text(record: dict) -> str:
    """'label: verdict' of each sensitivity sub-decision (setups not chosen, shown beside the verdict)."""
    parts = []
    for d in record.get("decisions", []):
        if d.get("role") == "sensitivity":
            dec = d["decision"]
            parts.append(f"{d['label']}: {dec['verdict']}" + (f" ({dec['reason']})" if dec.get("reason") else ""))
    return "; ".join(parts) or "-"


def unstable(record: dict) -> bool:
    """Whether the modal verdict over seed bases holds on fewer bases than the stability threshold."""
    st = record.get("stability")
    return bool(st) and st["agree"] < st.get("stable_at", 4)


def stability_text(record: dict) -> str:
    """'k/n agree' over seed bases (and how many of those are the declared verdict), from dnnkit stability."""
    st = record.get("stability")
    if not st:
        return "-"
    per_base = " ".join(f"{b}:{SHORT_VERDICT.get(v, '?')}" for b, v in st["verdicts"].items())
    text = f"{st['agree']}/{st['bases']} ({per_base})"
    if st.get("as_expected") is not None and st["as_expected"] < st["bases"]:
        text += f"; declared verdict on {st['as_expected']}/{st['bases']}"
    if unstable(record):
        text += " UNSTABLE"
    return text
