"""results/claims.md: the summary table with every gating comparison, then each claim's sentence, design and
per-seed evidence. The detail the one-line terminal table leaves out lives here (and behind `dnnkit --claim`)."""

from __future__ import annotations

from .records import (
    as_expected_text,
    deciding,
    effect_text,
    expected_text,
    gating,
    num,
    sensitivity_text,
    stability_text,
    verdict_text,
)


def rows(records: list[dict], compact: bool = False) -> list[dict[str, str]]:
    """One row per claim: effects (compact: only the deciding sub-decision), the claim-level p, q (BH) and Holm."""
    out = []
    for r in records:
        decisions = r.get("decisions", [])
        gates = gating(decisions)
        shown = [deciding(decisions)] if compact and decisions else gates
        effects = "; ".join((f"{d['label']}: " if len(gates) > 1 else "") + effect_text(d["decision"]) for d in shown)
        if compact and len(gates) > 1:
            effects += f" (+{len(gates) - 1} more)"
        out.append({
            "claim": r["id"], "section": r["claim"]["section"], "kind": r["claim"]["kind"], "verdict": verdict_text(r),
            "expected": expected_text(r), "as_expected": as_expected_text(r), "sensitivity": sensitivity_text(r),
            "stability": stability_text(r),
            "effect": effects or "-", "p": num(r.get("p_value")), "q_bh": num(r.get("q_bh")), "p_holm": num(r.get("p_holm")),
            "seeds": str(r.get("n_seeds")), "time_s": f"{r.get('wall_s', 0):.1f}", "outcome": r.get("outcome", "-"),
        })
    return out


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
        *([f"Merged from {len(meta['shards'])} shards (`dnnkit merge`): " + "; ".join(
            f"{s.get('dir')} ({s.get('claims_run')} claims, {s.get('device')}, {s.get('date')})" for s in meta["shards"])
           + "."] if meta.get("shards") else []),
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
            role = (f" *(sensitivity, not gating: {d['sensitivity']})*" if d.get("role") == "sensitivity"
                    else " *(positive control: needed for confirmed)*" if d.get("role") == "control" else "")
            lines.append(f"- **{d['label']}**{role}: {dec['verdict']}{' (' + dec['reason'] + ')' if dec.get('reason') else ''}; "
                         f"{dec['test']}; statistic {num(dec.get('statistic'))}, p {num(dec.get('p_value'))}; "
                         f"{effect_text(dec)}")
            for arm, values in d["values"].items():
                lines.append(f"  - {arm}: " + ", ".join(num(v, 4) if not isinstance(v, bool) else str(v) for v in values))
        if r.get("notes"):
            lines.append("- notes: " + "; ".join(f"{k} = {v}" for k, v in r["notes"].items()))
        lines.append("")
    return "\n".join(lines)
