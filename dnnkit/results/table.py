"""The end-of-run claims table in the terminal: one line per claim, read at a glance.

Each row is the claim id, its verdict against the expectation, the stability over seed bases (when merged), the
deciding comparison's effect and CI, p and q. Cells are truncated, never wrapped; the per-comparison detail is in
claims.md and behind `dnnkit --claim ID`.
"""

from __future__ import annotations

import io
import shutil

from .records import deciding, num, short_effect, unstable, verdict_against_expectation

VERDICT_STYLE = {"confirmed": "green", "refuted": "red", "not reproduced": "yellow", None: "magenta"}
TABLE_WIDTH = 120  # the table's width, or the terminal's when narrower
GAP = 2  # columns are separated by two spaces (rich's collapsed padding)
HEADERS = {"claim": "claim", "verdict": "verdict", "stability": "bases", "effect": "effect [CI]", "p": "p",
           "q": "q (BH)"}
# Columns give up width in these steps (column, down to) when the rows would not fit: the effect's tail first, then
# the longest ids (`dnnkit --claim` finds an id from its start), then the verdict's expectation, then all further.
SHRINK = (("effect", 18), ("claim", 34), ("verdict", 30), ("effect", 12), ("verdict", 14), ("claim", 12))


def table_width() -> int:
    """120 columns, or the terminal's width when it is narrower (at least 60)."""
    return max(60, min(TABLE_WIDTH, shutil.get_terminal_size((TABLE_WIDTH, 40)).columns))


def p_text(value) -> str:
    """A p- or q-value in at most 7 characters: two significant digits, scientific below 0.001."""
    if not isinstance(value, float) or value == 0 or value != value:
        return num(value)
    return f"{value:.1e}" if abs(value) < 1e-3 else f"{value:.2g}"


def cells(record: dict, marks: tuple[str, str] = ("✓", "✗")) -> dict[str, str]:
    """The row of one record as plain text, keyed like HEADERS."""
    decisions = record.get("decisions") or []
    st = record.get("stability")
    return {
        "claim": record["id"],
        "verdict": verdict_against_expectation(record, marks),
        "stability": f"{st['agree']}/{st['bases']}" + ("!" if unstable(record) else "") if st else "-",
        "effect": short_effect(deciding(decisions)["decision"]) if decisions else "-",
        "p": p_text(record.get("p_value")),
        "q": p_text(record.get("q_bh")) + ("!" if record.get("bh_flag") else ""),
    }


def column_widths(rows: list[dict[str, str]], keys: list[str], width: int) -> dict[str, int]:
    """Each column's natural width, shrunk in SHRINK order until the row fits `width` with its gaps."""
    widths = {k: max([len(HEADERS[k])] + [len(r[k]) for r in rows]) for k in keys}
    excess = sum(widths.values()) + GAP * (len(keys) - 1) - width
    for key, floor in SHRINK:
        if excess <= 0:
            break
        if key in widths:
            cut = min(excess, max(0, widths[key] - floor))
            widths[key] -= cut
            excess -= cut
    return widths


def claims_table(records: list[dict], meta: dict, width: int, marks: tuple[str, str] = ("✓", "✗")):
    """The rich Table: one row per record, no cell wraps."""
    from rich import box
    from rich.table import Table

    rows = [cells(r, marks) for r in records]
    keys = ["claim", "verdict", *(["stability"] if any(r.get("stability") for r in records) else []),
            "effect", "p", "q"]
    widths = column_widths(rows, keys, width)
    t = Table(title=f"dnnkit claims - profile {meta.get('profile')}, seed base {meta.get('seed_base')}, "
                    f"{meta.get('device')}", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
              collapse_padding=True, title_justify="left")
    for key in keys:
        t.add_column(HEADERS[key], no_wrap=True, overflow="ellipsis", width=widths[key],
                     justify="right" if key in ("stability", "p", "q") else "left")
    for record, row in zip(records, rows, strict=True):
        ok = record.get("as_expected") is not False and record.get("verdict") is not None
        style = VERDICT_STYLE.get(record.get("verdict"), "magenta") if ok else "bold red"
        row = {**row, "verdict": f"[{style}]{_escape(row['verdict'])}[/]"}
        if unstable(record):
            row["stability"] = f"[yellow]{row['stability']}[/]"
        t.add_row(*[row[k] if k in ("verdict", "stability") else _escape(row[k]) for k in keys])
    return t


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def footer(records: list[dict], meta: dict) -> list[str]:
    """What the table's marks mean, which tests failed their declaration, where the detail is."""
    lines = []
    unexpected = [r["id"] for r in records if r.get("as_expected") is False]
    if unexpected:
        lines.append(f"[red]verdicts other than declared (these tests failed):[/] {', '.join(unexpected)}")
    m = sum(1 for r in records if isinstance(r.get("p_value"), float))
    lines.append(f"p: one-sided, decided at 0.05 per claim; q: Benjamini-Hochberg over the {m} claims with a p in "
                 "this run.")
    if any(r.get("bh_flag") for r in records):
        lines.append("q!: confirmed at p < 0.05 but q >= 0.05, not robust to multiplicity.")
    if any(r.get("stability") for r in records):
        stable_at = (meta.get("stability") or {}).get("stable_at", 4)
        lines.append(f"bases: seed bases agreeing on the modal verdict; !: fewer than {stable_at} (unstable).")
    lines.append("effect [CI]: the deciding comparison; every comparison in claims.md, or: dnnkit --claim ID")
    untested = meta.get("untested_claims") or []
    if untested:
        lines.append(f"[yellow]claims with no test:[/] {', '.join(untested)}")
    return lines


def _marks(console) -> tuple[str, str]:
    """✓/✗ where the output can encode them, else ok/x."""
    return ("✓", "✗") if console.encoding.lower().startswith("utf") else ("ok", "x")


def print_claims(records: list[dict], meta: dict, console=None) -> None:
    """The end-of-run table in the terminal, then its footer."""
    from rich.console import Console

    console = console or Console(width=table_width())
    console.print(claims_table(records, meta, console.width, _marks(console)))
    for line in footer(records, meta):
        console.print(line)


def render_claims(records: list[dict], meta: dict, width: int = TABLE_WIDTH) -> str:
    """The table and footer as plain text at `width` (tests, and anything that captures the output)."""
    from rich.console import Console

    buffer = io.StringIO()
    print_claims(records, meta, Console(file=buffer, width=width, color_system=None, force_terminal=False))
    return buffer.getvalue()
