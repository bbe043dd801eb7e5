"""The run's per-claim progress lines: a bar of each finished claim's seeds, written as its report arrives."""

from __future__ import annotations

import io


def seeds_of(record: dict) -> tuple[int, int]:
    """(seed runs done, declared total) of a finished claim record: seeds per arm x arms."""
    arms = record.get("claim", {}).get("arms") or [None]
    total = int(record.get("n_seeds") or 0) * len(arms)
    if record.get("outcome") == "failed":
        return min(len(record.get("runs") or []), total), total
    # A test that finished has done all its seeds (claims measured at init record no training runs at all).
    return total, total


def progress_line(record: dict, claims_done: int, claims_total: int | None = None, *, color: bool = True,
                  width: int = 120) -> str:
    """One progress line for a finished claim: a bar of its seeds done / total, time, verdict, and the run's count
    of claims done (of claims_total when known).

    Written by the plugin's controller as each claim's report arrives, so it works under xdist, where a worker's
    seeds reach the controller together with the test's report. A live, redrawn display was tried and dropped: it
    fought pytest's own progress output (pytest writes partial lines; cursor moves garbled both).
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    done, total = seeds_of(record)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=color, color_system="standard" if color else None)
    progress = Progress(TextColumn("{task.description:<40}"), BarColumn(bar_width=30, finished_style="green"),
                        MofNCompleteColumn(), TextColumn("{task.fields[unit]}"), console=console, auto_refresh=False)
    of = f"/{claims_total}" if claims_total else ""
    verdict = record.get("verdict") or record.get("outcome") or ""
    progress.add_task(f"[{claims_done}{of}] {record.get('id', '?')}", total=max(total, 1), completed=done,
                      unit=f"seeds  {float(record.get('wall_s') or 0):.1f} s  {verdict}")
    console.print(progress.get_renderable())
    return buffer.getvalue().rstrip("\n")
