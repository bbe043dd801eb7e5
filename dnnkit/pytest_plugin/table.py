"""The claims table: rich in the terminal, markdown for results/claims.md. Both read the same records."""

from __future__ import annotations

import math
import shutil
from typing import Any

VERDICT_STYLE = {"confirmed": "green", "refuted": "red", "not reproduced": "yellow", None: "magenta"}


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


def _gating(decisions: list[dict]) -> list[dict]:
    return [d for d in decisions if d.get("role") != "sensitivity"]


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


def sensitivity_text(record: dict) -> str:
    """'label: verdict' of each sensitivity sub-decision (setups not chosen, shown beside the verdict)."""
    parts = []
    for d in record.get("decisions", []):
        if d.get("role") == "sensitivity":
            dec = d["decision"]
            parts.append(f"{d['label']}: {dec['verdict']}" + (f" ({dec['reason']})" if dec.get("reason") else ""))
    return "; ".join(parts) or "-"


def stability_text(record: dict) -> str:
    """'k/n agree' over seed bases (and how many of those are the declared verdict), from dnnkit stability."""
    st = record.get("stability")
    if not st:
        return "-"
    short = {"confirmed": "C", "refuted": "R", "not reproduced": "N", None: "E"}
    per_base = " ".join(f"{b}:{short.get(v, '?')}" for b, v in st["verdicts"].items())
    text = f"{st['agree']}/{st['bases']} ({per_base})"
    if st.get("as_expected") is not None and st["as_expected"] < st["bases"]:
        text += f"; declared verdict on {st['as_expected']}/{st['bases']}"
    if st["agree"] < st.get("stable_at", 4):
        text += " UNSTABLE"
    return text


def _deciding(decisions: list[dict]) -> dict:
    """The sub-decision that sets the claim's verdict: the first not confirmed, else the one with the largest p."""
    decisions = _gating(decisions) or decisions
    failing = [d for d in decisions if d["decision"]["verdict"] != "confirmed"]
    if failing:
        return failing[0]
    return max(decisions, key=lambda d: d["decision"]["p_value"] if isinstance(d["decision"].get("p_value"), float) else -1)


def rows(records: list[dict], compact: bool = False) -> list[dict[str, str]]:
    """One row per claim: effects (compact: only the deciding sub-decision), the claim-level p, q (BH) and Holm."""
    out = []
    for r in records:
        decisions = r.get("decisions", [])
        gating = _gating(decisions)
        shown = [_deciding(decisions)] if compact and decisions else gating
        effects = "; ".join((f"{d['label']}: " if len(gating) > 1 else "") + effect_text(d["decision"]) for d in shown)
        if compact and len(gating) > 1:
            effects += f" (+{len(gating) - 1} more)"
        out.append({
            "claim": r["id"], "section": r["claim"]["section"], "kind": r["claim"]["kind"], "verdict": verdict_text(r),
            "expected": expected_text(r), "as_expected": as_expected_text(r), "sensitivity": sensitivity_text(r),
            "stability": stability_text(r),
            "effect": effects or "-", "p": num(r.get("p_value")), "q_bh": num(r.get("q_bh")), "p_holm": num(r.get("p_holm")),
            "seeds": str(r.get("n_seeds")), "time_s": f"{r.get('wall_s', 0):.1f}", "outcome": r.get("outcome", "-"),
        })
    return out


def print_claims(records: list[dict], meta: dict) -> None:
    """The end-of-run table in the terminal."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(160, shutil.get_terminal_size((160, 40)).columns))
    t = Table(title=f"dnnkit claims - profile {meta.get('profile')}, seed base {meta.get('seed_base')}, "
                    f"{meta.get('device')}", show_lines=False)
    stability = any(r.get("stability") for r in records)
    cols = ("claim", "expected", "verdict", "as expected", "sensitivity", *(("stability",) if stability else ()),
            "effect [CI]", "p", "q (BH)", "seeds", "time s")
    for col in cols:
        t.add_column(col, overflow="fold")
    for r, row in zip(records, rows(records, compact=True), strict=True):
        style = VERDICT_STYLE.get(r.get("verdict"), "magenta")
        ok = "green" if row["as_expected"].startswith("yes") else "red"
        t.add_row(row["claim"], row["expected"], f"[{style}]{row['verdict']}[/]", f"[{ok}]{row['as_expected']}[/]",
                  row["sensitivity"], *((row["stability"],) if stability else ()), row["effect"], row["p"],
                  row["q_bh"], row["seeds"], row["time_s"])
    console.print(t)
    unexpected = [r["id"] for r in records if r.get("as_expected") is False]
    if unexpected:
        console.print(f"[red]verdicts other than declared (these tests failed):[/] {', '.join(unexpected)}")
    untested = meta.get("untested_claims") or []
    m = sum(1 for r in records if isinstance(r.get("p_value"), float))
    console.print(f"q: Benjamini-Hochberg over the {m} claims with a p-value in this run; p is one-sided, decided at 0.05 per claim.")
    if untested:
        console.print(f"[yellow]claims with no test:[/] {', '.join(untested)}")


def markdown(records: list[dict], meta: dict) -> str:
    """results/claims.md: a summary table, then each claim's sentence, design and per-seed evidence."""
    lines = [
        "# dnnkit claims",
        "",
        f"Profile **{meta.get('profile')}**, seed base {meta.get('seed_base')}, device {meta.get('device')} "
        f"({meta.get('gpu') or meta.get('cpu')}), torch {meta.get('torch')}, Python {meta.get('python')}, "
        f"dnnkit {meta.get('dnnkit')}, commit `{meta.get('git_commit')}`, {meta.get('date')}.",
        "",
        "Expected: what the claim declares a run at this scale decides (the chapter predicts `confirmed`; a "
        "declared expectation says why not); a test fails when its verdict is not the declared one. Sensitivity: "
        "setups the claim did not choose, decided and shown, not gating. p: one-sided p of the claim (the largest "
        "over its gating sub-comparisons), decided at 0.05 per claim; q: Benjamini-Hochberg and Holm adjusted "
        "across the claims of this run.",
        *([f"Stability: verdicts over seed bases {meta['stability']['bases']} (fresh seeds, data split and pilot "
           f"choices per base; C confirmed, N not reproduced, R refuted); {meta['stability']['stable']} of "
           f"{meta['stability']['claims']} claims keep one verdict on at least {meta['stability']['stable_at']} of "
           f"{len(meta['stability']['bases'])} bases."] if meta.get("stability") else []),
        "",
    ]
    keys = ["claim", "section", "kind", "expected", "verdict", "as_expected", "sensitivity",
            *(["stability"] if meta.get("stability") else []), "effect", "p", "q_bh", "p_holm", "seeds", "time_s"]
    heads = {"as_expected": "as expected", "effect": "effect [CI]", "q_bh": "q (BH)", "p_holm": "p (Holm)",
             "seeds": "seeds/arm", "time_s": "time s"}
    lines += ["| " + " | ".join(heads.get(k, k) for k in keys) + " |", "|" + "---|" * len(keys)]
    for row in rows(records):
        lines.append("| " + " | ".join(row[k].replace("|", "/") for k in keys) + " |")
    if meta.get("untested_claims"):
        lines += ["", f"Claims with no test: {', '.join(meta['untested_claims'])}."]
    lines += ["", "## Evidence", ""]
    for r in records:
        c = r["claim"]
        lines += [f"### {r['id']} ({c['section']})", "", f"> {c['sentence']}", "",
                  f"Source: {c['source']}. Kind **{c['kind']}**, metric {c['metric']}, direction {c['direction']}, "
                  f"design {c['design']}, margin δ = {num(c.get('delta'))}"
                  + (f", minimum effect {num(c['min_effect'])}" if c.get("min_effect") else "")
                  + f"; fingerprint `{r.get('fingerprint', '-')}`; {r['n_seeds']} seeds per arm "
                  f"({r['mode']}); test `{r['test']}` {r.get('outcome', '')}.", ""]
        for amendment in c.get("amendments") or []:
            lines.append(f"- amendment: {amendment}")
        if c.get("expect"):
            e = c["expect"]
            lines += [f"Expected at this scale: **{expected_text(r)}** (declared {e['declared']}): {e['why']}", ""]
        if r.get("stability"):
            lines += [f"Stability over seed bases: {stability_text(r)}.", ""]
        for d in r.get("decisions", []):
            dec = d["decision"]
            role = f" *(sensitivity, not gating: {d['sensitivity']})*" if d.get("role") == "sensitivity" else ""
            lines.append(f"- **{d['label']}**{role}: {dec['verdict']}{' (' + dec['reason'] + ')' if dec.get('reason') else ''}; "
                         f"{dec['test']}; statistic {num(dec.get('statistic'))}, p {num(dec.get('p_value'))}; "
                         f"{effect_text(dec)}")
            for arm, values in d["values"].items():
                lines.append(f"  - {arm}: " + ", ".join(num(v, 4) if not isinstance(v, bool) else str(v) for v in values))
        if r.get("notes"):
            lines.append("- notes: " + "; ".join(f"{k} = {v}" for k, v in r["notes"].items()))
        lines.append("")
    return "\n".join(lines)
