"""One claim's full detail as text, for `dnnkit --claim ID`: the sentence, the declaration, every sub-decision
(gating and sensitivity) with its effect, CI, p and per-seed values, the stability per seed base, the notes."""

from __future__ import annotations

import difflib
import textwrap

from .records import (
    effect_text,
    expected_text,
    num,
    stability_text,
    verdict_against_expectation,
)


class UnknownClaim(LookupError):
    """A claim id that is not in the result set; the message names close matches and how to list the ids."""


def find_record(payload: dict, claim_id: str, where: str = "the result set") -> dict:
    """The record of `claim_id` in a loaded claims.json, or UnknownClaim naming close matches."""
    by_id = {r["id"]: r for r in payload.get("claims", [])}
    if claim_id in by_id:
        return by_id[claim_id]
    close = difflib.get_close_matches(claim_id, list(by_id), n=5, cutoff=0.5)
    close += [i for i in sorted(by_id) if claim_id and claim_id.lower() in i.lower() and i not in close][:5]
    hint = f"close matches: {', '.join(close)}" if close else "no close match"
    raise UnknownClaim(f"no claim {claim_id!r} in {where} ({len(by_id)} claims; {hint}); the claims table lists "
                       "every id: run `dnnkit` (with --results DIR for another result set)")


def _wrap(text: str, indent: str = "  ", width: int = 118) -> list[str]:
    return textwrap.wrap(str(text), width=width, initial_indent=indent, subsequent_indent=indent + "  ") or [indent]


def _declaration(claim: dict, fingerprint: str | None) -> list[str]:
    margin = [f"delta {num(claim.get('delta'))}"] if claim.get("delta") is not None else []
    margin += [f"min_effect {num(claim['min_effect'])}"] if claim.get("min_effect") is not None else []
    arms = claim.get("arms") or []
    head = (f"kind {claim.get('kind')}, direction {claim.get('direction')}, design {claim.get('design')}"
            + (", " + ", ".join(margin) if margin else "") + (f"; arms {', '.join(arms)}" if arms else ""))
    knobs = _flat(claim.get("knobs")) if claim.get("knobs") else []
    return [f"declaration (fingerprint {fingerprint or '-'}):", *_wrap(head),
            *_wrap(f"metric: {claim.get('metric')}"),
            *(_wrap("knobs: " + "; ".join(knobs)) if knobs else []), *_wrap(f"source: {claim.get('source')}")]


def _flat(data: object, path: str = "") -> list[str]:
    """Knobs as name=value lines: nested configs dotted, quick/full values side by side."""
    if isinstance(data, dict) and set(data) == {"quick", "full"}:
        return [f"{path}={data['quick']!r} quick / {data['full']!r} full"]
    if isinstance(data, dict) and data:
        return [line for k, v in data.items() for line in _flat(v, f"{path}.{k}" if path else str(k))]
    return [f"{path}={data!r}"]


def _expectation(record: dict) -> list[str]:
    expect = (record.get("claim") or {}).get("expect")
    if not expect:
        return ["expected: confirmed (the chapter's prediction)"]
    return [f"expected: {expected_text(record)} (declared {expect.get('declared')})",
            *_wrap(f"why: {expect.get('why')}")]


def _decision(d: dict) -> list[str]:
    dec = d["decision"]
    role = {"sensitivity": f"sensitivity, not gating: {d.get('sensitivity')}",
            "control": "positive control, needed for confirmed"}.get(d.get("role"), "gating")
    verdict = dec.get("verdict") + (f" ({dec['reason']})" if dec.get("reason") else "")
    lines = [f"  {d.get('label', '-')} [{role}]: {verdict}",
             *_wrap(f"{dec.get('test')}; statistic {num(dec.get('statistic'))}, p {num(dec.get('p_value'))}",
                    "    "),
             *_wrap(f"effect: {effect_text(dec)}", "    ")]
    for arm, values in (d.get("values") or {}).items():
        shown = ", ".join(num(v, 4) if not isinstance(v, bool) else str(v) for v in values)
        lines += _wrap(f"{arm} ({len(values)}): {shown}", "    ")
    return lines


def _stability(record: dict) -> list[str]:
    st = record.get("stability")
    if not st:
        return []
    lines = [f"stability over seed bases: {stability_text(record)}"]
    lines += [f"  base {b}: {v or 'error'}" for b, v in st["verdicts"].items()]
    lines += [f"  amendment base {b}: {v or 'error'}" for b, v in (st.get("amendment_bases") or {}).items()]
    return lines


def claim_detail(record: dict, meta: dict | None = None, marks: tuple[str, str] = ("✓", "✗")) -> str:
    """Everything claims.json holds about one claim, as indented plain text."""
    claim = record.get("claim") or {}
    meta = meta or {}
    lines = [f"{record['id']} ({claim.get('section')}): {verdict_against_expectation(record, marks)}",
             *_wrap(f'"{claim.get("sentence")}"'),
             *_wrap(f"test {record.get('test')} {record.get('outcome', '')}; {record.get('n_seeds')} seeds per "
                    f"arm ({record.get('mode')}); profile {record.get('profile', meta.get('profile'))}, seed base "
                    f"{record.get('seed_base', meta.get('seed_base'))}, {record.get('device', meta.get('device'))}, "
                    f"{float(record.get('wall_s') or 0):.1f} s", indent=""),
             *_declaration(claim, record.get("fingerprint")), *_expectation(record)]
    amendments = claim.get("amendments") or []
    if amendments:
        lines.append("amendments:")
        for amendment in amendments:
            lines += _wrap(f"- {amendment}")
    verdict = (record.get("verdict") or "error") + (f" ({record['reason']})" if record.get("reason") else "")
    lines.append(f"verdict {verdict}: p {num(record.get('p_value'))} (the largest over the gating comparisons), "
                 f"q (BH) {num(record.get('q_bh'))}, p (Holm) {num(record.get('p_holm'))}"
                 + ("; not robust to multiplicity (q >= 0.05)" if record.get("bh_flag") else ""))
    decisions = record.get("decisions") or []
    lines.append(f"comparisons ({len(decisions)}):" if decisions else "comparisons: none recorded")
    for d in decisions:
        lines += _decision(d)
    lines += _stability(record)
    notes = record.get("notes") or {}
    if notes:
        lines.append("notes:")
        for key, value in notes.items():
            lines += _wrap(f"{key} = {value}")
    return "\n".join(lines)
