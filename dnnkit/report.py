"""`python -m dnnkit.report` (also the `dnnkit` command): the results as tables, what changed between two result
sets, one claim's full detail, the markdown that results/ commits, and the plots. The result files themselves
(records, tables, storage, comparison) are dnnkit.results; this module is the command around them.

    dnnkit                          claims table (results/claims.json), benchmark table (results/benchmarks/) and
                                    the harness's speed (results/benchmarks/ensemble.json, benchmarks/bench_ensemble.py)
    dnnkit --claim ID               one claim in full: declaration, every comparison with its per-seed values,
                                    stability per seed base, notes (from results/claims.json)
    dnnkit --compare OLD NEW        verdict flips and effect-size changes between two claims.json (or their dirs)
    dnnkit --markdown [DIR]         write claims.md and benchmarks.md (default DIR: the results dir)
    dnnkit --plots [DIR]            write the PNG figures (needs matplotlib: pip install -e ".[plots]")
    dnnkit stability --bases 0-4    the ablation suite over seed bases, merged with a stability column
                                    (dnnkit.stability; fails when any verdict differs from its declaration)
    dnnkit merge SHARDS... --out D  the result sets of one run split over machines (shards) as the one set a
                                    single run writes, BH and Holm across the union (dnnkit.results.merge)
    dnnkit bench --base REF         kernel benchmarks of REF vs this checkout, interleaved on this runner
    dnnkit bench --compare OLD NEW  two benchmark JSON files, same- or cross-fingerprint mode (dnnkit.bench)

Benchmark times are shown with their ratios (to the fastest of their group, and to the committed baseline when
there is one): on shared machines a single time is noise, a ratio measured in one run is evidence.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from . import plots
from .evidence import baseline_compare, fingerprint, regression
from .results import detail, table
from .results.markdown import markdown
from .results.merge import (  # noqa: F401 (dnnkit.report's names from before the results package)
    ClaimChange,
    IncompatibleResults,
    ResultComparison,
    SpecChange,
    check_compatible,
    compare_results,
    spec_change,
)
from .results.progress import progress_line, seeds_of  # noqa: F401 (as above)
from .results.records import num
from .results.storage import load_results, write_claims
from .train.checkpoints import atomic_write_text

DEFAULT_RESULTS = "results"
BENCH_DIR = "benchmarks"
BASELINE_NAME = "baseline.json"
LATEST_NAME = "latest.json"
HARNESS_NAME = "ensemble.json"


def _console(width: int | None = None):
    from rich.console import Console

    return Console(width=width or max(140, shutil.get_terminal_size((140, 40)).columns))


# ------------------------------------------------------------------------------------------------------------
# benchmarks
# ------------------------------------------------------------------------------------------------------------


def _time(seconds: float) -> str:
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        return str(seconds)
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _bench_name(bench: dict) -> str:
    """The parameter when there is one (the group already says what is measured), else the test name."""
    param = bench.get("param")
    return str(param) if param not in (None, "") else bench["name"]


def bench_rows(payload: dict, baseline: dict | None = None) -> list[dict[str, str]]:
    """One row per benchmark, grouped: median, IQR, rounds, x fastest of the group, x baseline, samples/s, gate."""
    changes = {}
    if baseline is not None:
        changes = {c.name: c for c in regression.compare_benchmarks(baseline, payload).changes}
    groups: dict[str, list[dict]] = {}
    for bench in payload["benchmarks"]:
        groups.setdefault(bench.get("group") or "(no group)", []).append(bench)
    rows = []
    for group, benches in sorted(groups.items()):
        fastest = min(b["stats"]["median"] for b in benches)
        for b in sorted(benches, key=lambda b: b["stats"]["median"]):
            s, extra = b["stats"], b.get("extra_info") or {}
            change = changes.get(b["fullname"])
            gate = extra.get("gate")
            rows.append({
                "group": group, "benchmark": _bench_name(b), "median": _time(s["median"]), "iqr": _time(s["iqr"]),
                "rounds": f"{s['rounds']} x {s.get('iterations', 1)}",
                "x_fastest": f"{s['median'] / fastest:.2f}" if fastest > 0 else "-",
                "x_baseline": (f"{change.ratio:.2f}" + (" REGRESSION" if change.regressed else "")) if change else "-",
                "samples_per_s": f"{extra['samples_per_s']:.3g}" if "samples_per_s" in extra else "-",
                "gate": (f"x{gate['ratio']:.3f} p={gate['p_value']:.2g} "
                         f"{'REGRESSION' if gate['regressed'] else 'ok'}") if isinstance(gate, dict) else "-",
            })
    return rows


BENCH_COLUMNS = (("benchmark", "benchmark"), ("median", "median"), ("iqr", "IQR"), ("rounds", "rounds x calls"),
                 ("x_fastest", "x fastest in group"), ("x_baseline", "x baseline"), ("samples_per_s", "samples/s"),
                 ("gate", "in-run gate"))
OPTIONAL_COLUMNS = ("x_baseline", "samples_per_s", "gate")  # shown only in groups where some row has them


def _grouped(rows: list[dict[str, str]]) -> dict[str, tuple[list[dict[str, str]], list[tuple[str, str]]]]:
    """group -> (its rows, the columns worth showing for it)."""
    out: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        out.setdefault(row["group"], []).append(row)
    return {g: (rs, [(k, h) for k, h in BENCH_COLUMNS if k not in OPTIONAL_COLUMNS or any(r[k] != "-" for r in rs)])
            for g, rs in out.items()}


def _machine_line(payload: dict) -> str:
    m = regression.machine_summary(payload)
    timer = (payload.get("machine_info") or {}).get("timer")
    line = (f"{m['cpu_brand']}, device {m['device']}{' (' + m['gpu'] + ')' if m.get('gpu') else ''}, torch {m['torch']}, "
            f"{m['torch_threads']} thread(s), Python {m['python_version']}" + (f", timer: {timer}" if timer else ""))
    info = payload.get("machine_info") or {}
    if isinstance(info.get("fingerprint"), dict):
        line += f"; fingerprint {info.get('fingerprint_id')}: {fingerprint.describe(info['fingerprint'])}"
    return line


def print_benchmarks(payload: dict, baseline: dict | None = None, title: str = "dnnkit kernel benchmarks") -> None:
    """One rich table per benchmark group, under a line naming the machine."""
    from rich.table import Table

    console = _console()
    console.print(f"[bold]{title}[/] - {_machine_line(payload)}")
    for group, (rows, columns) in _grouped(bench_rows(payload, baseline)).items():
        t = Table(title=group, title_justify="left")
        for _, header in columns:
            t.add_column(header, overflow="fold")
        for row in rows:
            regressed = "REGRESSION" in row["x_baseline"] or "REGRESSION" in row["gate"]
            t.add_row(*[f"[red]{row[k]}[/]" if regressed else row[k] for k, _ in columns])
        console.print(t)
    if baseline is not None:
        choice = baseline_compare.select_mode(baseline.get("machine_info") or {}, payload.get("machine_info") or {})
        console.print("x baseline: median now / median of the committed baseline; fails CI only at >= "
                      f"{regression.STORED_FAIL_RATIO:g}x (separate runs on shared machines differ by up to 2x).")
        if choice.mode == baseline_compare.CROSS:
            console.print(f"[yellow]baseline from another machine[/] ({choice.reason}): absolute ratios mean little; "
                          "`dnnkit bench --compare BASELINE CURRENT` compares across fingerprints")


def benchmarks_markdown(payload: dict, baseline: dict | None = None) -> str:
    """results/benchmarks.md: the machine, then one table per benchmark group with its ratios."""
    lines = ["# dnnkit kernel benchmarks", "", f"Machine: {_machine_line(payload)}.",
             f"Commit `{(payload.get('commit_info') or {}).get('id')}`, {payload.get('datetime')}.", "",
             "x fastest: median / the fastest median of its group (measured in the same run: the figure to read). "
             "x baseline: median / the committed baseline's median (separate runs: noise up to 2x on shared "
             "machines). In-run gate: candidate vs reference timed interleaved, fails at ratio > "
             f"{regression.GATE_RATIO:g} with p < {regression.GATE_ALPHA:g}."]
    for group, (rows, columns) in _grouped(bench_rows(payload, baseline)).items():
        lines += ["", f"## {group}", "", "| " + " | ".join(h for _, h in columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(row[k].replace("|", "/") for k, _ in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------------------
# the harness's own speed (benchmarks/bench_ensemble.py)
# ------------------------------------------------------------------------------------------------------------

HARNESS_COLUMNS = (("comparison", "comparison"), ("ratio", "median ratio"), ("iqr", "IQR"), ("clock", "clock"),
                   ("a_s", "median A (s)"), ("b_s", "median B (s)"), ("goal", "goal"))


def _harness_goal(name: str, ratio: float, goals: dict, own: float | None = None) -> str:
    """The issue's goal for this row and whether the ratio meets it (rows without a goal: empty). A row may carry
    its own goal (a minimum ratio) under "goal"; older records name it by the row's prefix."""
    if own is not None:
        return f">= {own:g}x: {'met' if ratio >= own else 'not met'}"
    if name.startswith("sequential / ensemble over") and "ensemble_speedup" in goals:
        goal = float(goals["ensemble_speedup"])
        return f">= {goal:g}x: {'met' if ratio >= goal else 'not met'}"
    if name.startswith("fit / hand loop") and "fit_overhead" in goals:
        goal = 1 + float(goals["fit_overhead"])
        return f"<= {goal:.2f}: {'met' if ratio <= goal else 'not met'}"
    return ""


def harness_rows(payload: dict) -> list[dict[str, str]]:
    """One row per ratio of a bench_ensemble.py record: median, IQR, which clock, the two medians, the goal."""
    rows = []
    for name, r in payload["ratios"].items():
        rows.append({"comparison": name, "ratio": f"{r['median_ratio']:.2f}",
                     "iqr": f"{r['q25_ratio']:.2f}-{r['q75_ratio']:.2f}" if "q25_ratio" in r else "(ratio of medians)",
                     "clock": r.get("clock", "cpu"), "a_s": f"{r['median_a_us'] / 1e6:.3f}",
                     "b_s": f"{r['median_b_us'] / 1e6:.3f}",
                     "goal": _harness_goal(name, r["median_ratio"], payload.get("goals") or {}, r.get("goal"))})
    return rows


STEP_COLUMNS = (("config", "K, batch"), ("sequential", "sequential fit (ms per member step)"),
                ("exact", "exact ensemble step / floor (ms)"), ("fused", "fused Adam step / floor (ms)"),
                ("gemm", "GEMMs alone (ms)"), ("ceiling", "most one process can gain: exact / fused"),
                ("ceiling_processes", "most the processes can gain: exact / fused"))


def harness_step_rows(payload: dict) -> list[dict[str, str]]:
    """Per (K, batch) of a bench_ensemble.py record: each ensemble step beside its kernel floor, and the ratio over
    sequential fits that floor allows (K x sequential step / floor); records without floors give no rows."""
    rows = []
    for tag, st in (payload.get("steps") or {}).items():
        if "floor_ms_per_step" not in st:
            continue
        rows.append({"config": tag, "sequential": f"{st['sequential_fit_ms_per_member_step']:.2f}",
                     "exact": f"{st['ensemble_ms_per_step']:.2f} / {st['floor_ms_per_step']:.2f}",
                     "fused": f"{st['ensemble_fused_ms_per_step']:.2f} / {st['floor_fused_ms_per_step']:.2f}",
                     "gemm": f"{st['gemm_floor_ms_per_step']:.2f}",
                     "ceiling": f"{st['ceiling_ratio']:.2f}x / {st['ceiling_ratio_fused']:.2f}x",
                     "ceiling_processes": (f"{st['ceiling_ratio_processes']:.2f}x / "
                                           f"{st['ceiling_ratio_processes_fused']:.2f}x"
                                           if "ceiling_ratio_processes" in st else "")})
    return rows


def _harness_title(payload: dict) -> str:
    w = payload["workload"]
    seeds = f"K={'/'.join(map(str, w['ks']))}" if "ks" in w else f"K={w['k']}"
    batch = "/".join(map(str, w.get("batch_sizes", [w["batch_size"]])))
    return (f"{seeds} seeds, {w['net']}, {w['data']}, batch {batch}, {w['epochs']} epochs, "
            f"{w['rounds']} interleaved rounds, 1 torch thread per process")


def _harness_table(title: str, columns: tuple, rows: list[dict[str, str]]):
    """A rich table of `rows` under `columns` (the first left-aligned, numbers right); a row whose goal is not met
    is red."""
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    for i, (_, header) in enumerate(columns):
        t.add_column(header, justify="left" if i == 0 else "right", overflow="fold")
    for row in rows:
        style = "red" if row.get("goal", "").endswith("not met") else None
        t.add_row(*[f"[{style}]{row[k]}[/]" if style else row[k] for k, _ in columns])
    return t


def _markdown_table(columns: tuple, rows: list[dict[str, str]]) -> list[str]:
    return ["| " + " | ".join(h for _, h in columns) + " |", "|" + "---|" * len(columns),
            *("| " + " | ".join(row[k] for k, _ in columns) + " |" for row in rows)]


def print_harness_speed(payload: dict, title: str = "dnnkit harness speed") -> None:
    """The batched ensemble and the fit loop against their baselines, as ratios measured in one run."""
    _console().print(_harness_table(f"{title}: {_harness_title(payload)}", HARNESS_COLUMNS, harness_rows(payload)))
    steps = harness_step_rows(payload)
    if steps:
        _console().print(_harness_table("per training step (CPU ms): the ensemble beside its kernel floor",
                                        STEP_COLUMNS, steps))


def harness_markdown(payload: dict) -> str:
    """The harness-speed section of benchmarks.md."""
    prov = payload.get("provenance") or {}
    lines = ["## Harness speed (benchmarks/bench_ensemble.py)", "", f"{_harness_title(payload)}; "
             f"commit `{prov.get('git_commit')}`, {prov.get('date')}, {prov.get('cpu')}.", "",
             *_markdown_table(HARNESS_COLUMNS, harness_rows(payload))]
    steps = harness_step_rows(payload)
    if steps:
        lines += ["", "Per training step (CPU ms, evaluation included): each ensemble step beside its floor, the "
                  "kernels every member needs however it is batched (GEMMs, validation GEMMs, activation forward and "
                  "backward, the optimizer step), timed alone. K x a sequential step / the floor is the most one "
                  "process can gain; over N processes, the floor of the largest share of the members (N processes "
                  "side by side at no cost).", "", *_markdown_table(STEP_COLUMNS, steps)]
    return "\n".join(lines) + "\n"


def load_harness_json(path: str | Path) -> dict:
    """A bench_ensemble.py record, or a ValueError naming the file and what is missing."""
    import json

    try:
        payload = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: not a readable bench_ensemble.py record ({err})") from None
    if not isinstance(payload, dict) or not {"workload", "ratios"} <= payload.keys():
        raise ValueError(f"{path}: not a bench_ensemble.py record (needs 'workload' and 'ratios')")
    return payload


# ------------------------------------------------------------------------------------------------------------
# comparing two result sets (the comparison itself: dnnkit.results.merge)
# ------------------------------------------------------------------------------------------------------------


def _delta(c: ClaimChange) -> str:
    if c.old_effect is None or c.new_effect is None:
        return "-"
    if "ratio" in c.effect_name and c.old_effect > 0:
        text = f"x{c.new_effect / c.old_effect:.3g}"
    else:
        text = f"{c.new_effect - c.old_effect:+.3g}"
    return text + (" (outside old CI)" if c.outside_old_ci else "")


COMPARE_COLUMNS = ("claim", "comparison", "verdict", "effect", "old -> new", "change", "p old -> new")


def _compare_cells(c: ClaimChange) -> list[str]:
    verdict = f"{c.old_verdict} -> {c.new_verdict}" if c.flipped else c.new_verdict
    return [c.claim, c.label or "-", verdict, c.effect_name or "-", f"{num(c.old_effect)} -> {num(c.new_effect)}",
            _delta(c), f"{num(c.old_p)} -> {num(c.new_p)}"]


def _set_line(meta: dict) -> str:
    return (f"commit {meta.get('git_commit')}, {meta.get('date')}, profile {meta.get('profile')}, "
            f"seed base {meta.get('seed_base')}, {meta.get('device')}, dnnkit {meta.get('dnnkit')}")


def print_comparison(cmp: ResultComparison) -> None:
    from rich.table import Table

    console = _console()
    console.print(f"old: {_set_line(cmp.old_meta)}\nnew: {_set_line(cmp.new_meta)}")
    for w in cmp.warnings:
        console.print(f"[yellow]note:[/] {w}")
    t = Table(title=f"dnnkit: what changed ({len(cmp.flips)} verdict flip(s))")
    for col in COMPARE_COLUMNS:
        t.add_column(col, overflow="fold", no_wrap=col in ("claim", "verdict"))
    for c in cmp.changes:
        cells = _compare_cells(c)
        if c.flipped:
            style = table.VERDICT_STYLE.get(c.new_verdict.split(" (")[0], "magenta")
            cells[2] = f"[bold {style}]{cells[2]} (FLIP)[/]"
        t.add_row(*cells)
    console.print(t)
    if cmp.added:
        console.print(f"new claims: {', '.join(cmp.added)}")
    if cmp.removed:
        console.print(f"claims no longer in the set: {', '.join(cmp.removed)}")
    for line in _spec_lines(cmp):
        console.print(line.replace("CHANGED WITHOUT AN AMENDMENT", "[bold red]CHANGED WITHOUT AN AMENDMENT[/]"))


def _spec_lines(cmp: ResultComparison) -> list[str]:
    lines = []
    for c in cmp.spec_changes:
        if c.amended:
            lines.append(f"declaration of {c.claim} changed ({c.old_fingerprint} -> {c.new_fingerprint}), amended: "
                         + " / ".join(c.new_amendments))
        else:
            lines.append(f"declaration of {c.claim} CHANGED WITHOUT AN AMENDMENT ({c.old_fingerprint} -> "
                         f"{c.new_fingerprint})")
    if cmp.unfingerprinted:
        lines.append(f"no declaration fingerprint in one set (made before fingerprints): {', '.join(cmp.unfingerprinted)}")
    return lines


def comparison_markdown(cmp: ResultComparison) -> str:
    lines = ["# dnnkit: what changed", "", f"- old: {_set_line(cmp.old_meta)}", f"- new: {_set_line(cmp.new_meta)}"]
    lines += [f"- note: {w}" for w in cmp.warnings]
    lines += ["", f"Verdict flips: {', '.join(cmp.flips) or 'none'}.", "",
              "| " + " | ".join(COMPARE_COLUMNS) + " |", "|" + "---|" * len(COMPARE_COLUMNS)]
    for c in cmp.changes:
        cells = _compare_cells(c)
        if c.flipped:
            cells[2] = f"**{cells[2]} (flip)**"
        lines.append("| " + " | ".join(x.replace("|", "/") for x in cells) + " |")
    if cmp.added:
        lines += ["", f"New claims: {', '.join(cmp.added)}."]
    if cmp.removed:
        lines += ["", f"Claims no longer in the set: {', '.join(cmp.removed)}."]
    spec = _spec_lines(cmp)
    if spec:
        lines += ["", "Declarations:", ""] + [f"- {line}" for line in spec]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------------------
# the command
# ------------------------------------------------------------------------------------------------------------


def _bench_paths(results: Path, bench: str | None, baseline: str | None) -> tuple[Path | None, Path | None]:
    """The benchmark JSON to show (given, else latest.json, else the baseline) and the baseline to divide by."""
    folder = results / BENCH_DIR
    base = Path(baseline) if baseline else folder / BASELINE_NAME
    if bench:
        current = Path(bench)
    else:
        current = next((p for p in (folder / LATEST_NAME, base) if p.exists()), None)
    if not base.exists() or (current is not None and current.resolve() == base.resolve()):
        base = None
    return current, base


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dnnkit", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", default=DEFAULT_RESULTS, help="the results directory (default: %(default)s)")
    p.add_argument("--bench", help="a pytest-benchmark JSON to show (default: results/benchmarks/latest.json, "
                                   "else the baseline)")
    p.add_argument("--baseline", help="the baseline JSON the benchmarks are divided by "
                                      "(default: results/benchmarks/baseline.json)")
    p.add_argument("--claim", metavar="ID", help="print one claim's full detail from the results' claims.json")
    p.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"),
                   help="verdict flips and effect changes between two claims.json files (or result dirs)")
    p.add_argument("--markdown", nargs="?", const="", metavar="DIR",
                   help="write claims.md and benchmarks.md (with --compare: changes.md) into DIR (default: --results)")
    p.add_argument("--plots", nargs="?", const="", metavar="DIR", help="write the PNG figures into DIR "
                                                                       "(default: --results)")
    p.add_argument("--fail-on-flip", action="store_true", help="with --compare: exit 1 if any verdict flipped")
    p.add_argument("--fail-on-unamended", action="store_true",
                   help="with --compare: exit 1 if any claim's declaration changed without an amendment")
    p.add_argument("--allow-incompatible", action="store_true",
                   help="with --compare: compare result sets of different dnnkit minor versions anyway")
    return p


def _compare(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        cmp = compare_results(load_results(args.compare[0]), load_results(args.compare[1]),
                              allow_incompatible=args.allow_incompatible)
    except ValueError as err:
        parser.error(str(err))
    print_comparison(cmp)
    if args.markdown is not None:
        path = Path(args.markdown or args.results) / "changes.md"
        atomic_write_text(path, comparison_markdown(cmp))
        print(f"dnnkit: wrote {path}")
    return 1 if (args.fail_on_flip and cmp.flips) or (args.fail_on_unamended and cmp.unamended) else 0


def _claim(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """`dnnkit --claim ID`: one record of --results in full; an unknown id is a usage error naming close ids."""
    try:
        payload = load_results(args.results)
        record = detail.find_record(payload, args.claim, where=str(args.results))
    except (ValueError, detail.UnknownClaim) as err:
        parser.error(str(err))
    utf = (getattr(sys.stdout, "encoding", None) or "utf-8").lower().startswith("utf")
    print(detail.claim_detail(record, payload.get("meta", {}), marks=("✓", "✗") if utf else ("ok", "x")))
    return 0


def merge_main(argv: Sequence[str]) -> int:
    """`dnnkit merge SHARD_DIRS... --out DIR`: shards of one run merged, written and shown as one set."""
    from .results.merge import merge_shard_dirs

    p = argparse.ArgumentParser(prog="dnnkit merge", description="Merge the result sets of one run split over "
                                "machines (each shard ran a disjoint part of the suite with its own --results-dir) "
                                "into the claims.json, claims.md and runs.csv a single run writes; BH and Holm are "
                                "recomputed across the union.")
    p.add_argument("shards", nargs="+", metavar="SHARD_DIR", help="a shard's results dir (or its claims.json)")
    p.add_argument("--out", required=True, metavar="DIR", help="where the merged set is written")
    args = p.parse_args(argv)
    try:
        merged = merge_shard_dirs(args.shards, args.out)
    except (OSError, ValueError) as err:
        p.error(str(err))
    table.print_claims(merged["claims"], merged["meta"])
    print(f"dnnkit merge: {len(merged['claims'])} claim record(s) from {len(args.shards)} shard(s) written to "
          f"{args.out}/ (claims.json, claims.md, runs.csv)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The `dnnkit` command (see the module docstring); returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["stability"]:
        from . import stability

        return stability.main(argv[1:])
    if argv[:1] == ["merge"]:
        return merge_main(argv[1:])
    if argv[:1] == ["bench"]:
        from .bench import cli

        return cli.main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    for option in ("markdown", "plots"):
        target = getattr(args, option)
        if target and Path(target).exists() and not Path(target).is_dir():
            parser.error(f"--{option} {target!r} is a file; give a directory to write into")
    try:
        return _run(args, parser)
    except (OSError, ValueError) as err:
        # A user sees what went wrong with which file, not a traceback.
        parser.error(str(err))
    return 2


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.compare:
        return _compare(args, parser)
    if args.claim is not None:
        return _claim(args, parser)
    results = Path(args.results)
    shown = 0
    claims = None
    if (results / "claims.json").exists() or results.suffix == ".json":
        try:
            claims = load_results(results)
        except ValueError as err:
            parser.error(str(err))
        table.print_claims(claims["claims"], claims.get("meta", {}))
        shown += 1
    current, base = _bench_paths(results, args.bench, args.baseline)
    payload = baseline = None
    if current is not None:
        try:
            payload = regression.load_benchmark_json(current)
            baseline = regression.load_benchmark_json(base) if base is not None else None
        except ValueError as err:
            parser.error(str(err))
        print_benchmarks(payload, baseline, title=f"dnnkit kernel benchmarks ({current})")
        shown += 1
    harness = None
    if (results / BENCH_DIR / HARNESS_NAME).exists():
        try:
            harness = load_harness_json(results / BENCH_DIR / HARNESS_NAME)
        except ValueError as err:
            parser.error(str(err))
        print_harness_speed(harness)
        shown += 1
    if args.markdown is not None:
        out = Path(args.markdown or args.results)
        if claims is not None:
            loaded = results if results.suffix == ".json" else results / "claims.json"
            if (out / "claims.json").exists() and (out / "claims.json").samefile(loaded):
                # Beside its own claims.json: rewrite the set, so the manifest's claims.md hash stays true.
                write_claims(out, claims["claims"], claims.get("meta", {}))
            else:
                atomic_write_text(out / "claims.md", markdown(claims["claims"], claims.get("meta", {})) + "\n")
            print(f"dnnkit: wrote {out / 'claims.md'}")
        if payload is not None or harness is not None:
            parts = [benchmarks_markdown(payload, baseline)] if payload is not None else ["# dnnkit benchmarks\n"]
            parts += [harness_markdown(harness)] if harness is not None else []
            atomic_write_text(out / "benchmarks.md", "\n".join(parts))
            print(f"dnnkit: wrote {out / 'benchmarks.md'}")
    if args.plots is not None:
        try:
            print(plots.write_plots(results, args.plots or None).summary())
        except plots.PlotsUnavailable as err:
            print(f"dnnkit: {err}")
        except ValueError as err:
            print(f"dnnkit: no plots: {err}")
    if not shown:
        print(f"dnnkit: nothing to show in {str(results)!r}: no claims.json and no benchmark JSON. Write them with\n"
              "  python -m pytest ablations -n 2 --benchmark-disable --results-dir results\n"
              "  python -m pytest ablations/bench_kernels.py -n 0 --benchmark-only "
              "--benchmark-json=results/benchmarks/latest.json")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
