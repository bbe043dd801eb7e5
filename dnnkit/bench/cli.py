"""`dnnkit bench`: the CI regression check for kernel benchmarks, as a readable verdict and an exit status.

    dnnkit bench --base origin/main              same-runner A/B: base commit vs this checkout, interleaved
    dnnkit bench --base origin/main --instructions -k relu   the same by instruction counts (valgrind)
    dnnkit bench --compare BASELINE CURRENT      stored benchmark JSON, same- or cross-fingerprint mode

Exit status: 0 pass, 1 a kernel regressed (or too few kernels could be compared), 2 a usage error (bad file, unknown
ref, a side that cannot run its benchmarks); never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ..evidence import baseline_compare
from ..evidence.regression import STAT_FIELDS, STORED_FAIL_RATIO, load_benchmark_json
from . import ab


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dnnkit bench", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--base", metavar="REF", help="git ref of the base commit (a branch, tag or SHA)")
    what.add_argument("--compare", nargs=2, metavar=("BASELINE", "CURRENT"), type=Path,
                      help="two pytest-benchmark JSON files (--benchmark-json)")
    ab_opts = parser.add_argument_group("--base (same-runner A/B)")
    ab_opts.add_argument("--bench", default=ab.DEFAULT_BENCH, help="benchmark file, relative to the repository root")
    ab_opts.add_argument("--rounds", type=int, default=30, help="interleaved rounds per kernel (>= 8)")
    ab_opts.add_argument("--processes", type=int, default=2,
                         help="worker processes per side, rounds spread over them (a process's allocator and "
                              "buffer alignment can shift one kernel 10-20%%)")
    ab_opts.add_argument("--instructions", action="store_true",
                         help="compare instruction counts (valgrind's callgrind; fails at > 5%% more) instead of "
                              "time: deterministic, blind to caches and memory, minutes per kernel: use with -k")
    ab_opts.add_argument("-k", dest="select", default=None, help="pytest -k expression selecting kernels")
    ab_opts.add_argument("--json", type=Path, default=None, help="also write the verdicts as JSON here")
    cmp_opts = parser.add_argument_group("--compare (stored baseline)")
    cmp_opts.add_argument("--mode", default="auto", choices=baseline_compare.MODES,
                          help="auto: same-fingerprint when the machines' fingerprints agree, else cross-fingerprint")
    cmp_opts.add_argument("--stat", default="median", choices=STAT_FIELDS)
    cmp_opts.add_argument("--fail-ratio", type=float, default=STORED_FAIL_RATIO,
                          help="same-fingerprint threshold (default %(default)g: separate runs differ up to 2x)")
    cmp_opts.add_argument("--cross-fail-ratio", type=float, default=baseline_compare.CROSS_FAIL_RATIO,
                          help="cross-fingerprint threshold on calibration-relative times (default %(default)g)")
    return parser


def compare_files(baseline: Path, current: Path, *, mode: str = "auto", stat: str = "median",
                  fail_ratio: float = STORED_FAIL_RATIO,
                  cross_fail_ratio: float = baseline_compare.CROSS_FAIL_RATIO) -> tuple[str, int]:
    """(report, exit status) of a stored comparison; ValueError for unreadable files or bad settings."""
    verdict = baseline_compare.compare(load_benchmark_json(baseline), load_benchmark_json(current), mode=mode,
                                       stat=stat, same_fail_ratio=fail_ratio, cross_fail_ratio=cross_fail_ratio)
    return baseline_compare.format_verdict(verdict), 0 if verdict.passed else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.compare:
        try:
            text, status = compare_files(*args.compare, mode=args.mode, stat=args.stat, fail_ratio=args.fail_ratio,
                                         cross_fail_ratio=args.cross_fail_ratio)
        except ValueError as err:
            parser.error(str(err))
        print(text)
        return status
    try:
        result = ab.run_ab(Path.cwd(), args.base, bench=args.bench, rounds=args.rounds, processes=args.processes,
                           pytest_args=["-k", args.select] if args.select else [], instructions=args.instructions,
                           progress=lambda line: print(f"dnnkit bench: {line}", file=sys.stderr, flush=True))
    except ab.ABError as err:
        # Not a usage mistake: no usage text, the reason alone (exit 2 as for a usage error).
        print(f"dnnkit bench: error: {err}", file=sys.stderr)
        return 2
    print(ab.format_ab(result))
    if args.json is not None:
        args.json.write_text(json.dumps(result.to_dict(), indent=2))
    return 1 if result.regressions else 0
