"""Seed-base stability: the quick suite over several seed bases, merged into one claims table with a stability column.

One seed base is one draw (seeds, data split and pilot choices all derive from it), so a verdict is trusted when it
holds across bases. `dnnkit stability --bases 0-4` runs the ablation suite once per base (each a normal pytest run
that writes `results/bases/base-B/`), then runs every amended claim once more on the fresh base its amendment names,
and writes `results/claims.json` / `claims.md` from the first base with, per claim, the verdict at every base and how
many agree. It exits non-zero when any run failed, which includes any verdict other than the claim's declared one:
one command proves both stability and expectations.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .evidence.claims import EVIDENCE_BASES
from .results import storage, table
from .results.merge import STABLE_AT
from .results.merge import merge_bases as merge

BASES_DIR = "bases"


def parse_bases(text: str) -> list[int]:
    """'0-4' or '0,1,7' (or a mix) as a sorted list of distinct non-negative bases."""
    bases: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if lo > hi:
                    raise ValueError
                bases.update(range(lo, hi + 1))
            else:
                bases.add(int(part))
        except ValueError:
            raise ValueError(f"--bases {text!r}: give bases as '0-4' or '0,1,2' (non-negative integers, "
                             f"low-high ranges)") from None
    if not bases or min(bases) < 0:
        raise ValueError(f"--bases {text!r}: give at least one non-negative seed base")
    if len(bases) < 2:
        raise ValueError(f"--bases {text!r}: stability needs at least two bases")
    return sorted(bases)


def pytest_command(base: int, out: Path, workers: int, tests: Sequence[str], options: Sequence[str]) -> list[str]:
    """The README's ablation command at one seed base, writing its own result set."""
    dist = ["-n", str(workers), "--dist", "loadgroup"] if workers > 1 else ["-n", "0"]
    return [sys.executable, "-m", "pytest", *tests, *dist, "--benchmark-disable", "-p", "no:cacheprovider",
            "--seed-base", str(base), "--results-dir", str(out), *options]


def test_id(record: dict) -> str:
    """A record's test as pytest can select it: under `--dist loadgroup` xdist reports node ids with an "@group"
    suffix, which pytest cannot select."""
    return record["test"].split("@")[0]


def amendment_runs(result: dict) -> dict[int, list[str]]:
    """Fresh amendment base -> test node ids of the claims amended there."""
    runs: dict[int, list[str]] = collections.defaultdict(list)
    for record in result["claims"]:
        for base in record["claim"].get("amendment_bases") or []:
            runs[int(base)].append(test_id(record))
    return dict(runs)


def _say(message: str) -> None:
    print(message, flush=True)  # before the subprocess's own output, which goes straight to the terminal


def _run(cmd: list[str], log) -> int:
    log(f"+ {' '.join(cmd)}")
    return subprocess.run(cmd, check=False).returncode


def _reusable(out: Path, commit: str | None, tests: Sequence[str] | None = None) -> dict | None:
    """A result set already written at this commit in which every claim test passed (a resumed run keeps it)."""
    try:
        payload = storage.load_results(out)
    except ValueError:
        return None
    claims = payload["claims"]
    if commit is None or payload["meta"].get("git_commit") != commit or not claims:
        return None
    if not all(r.get("outcome") == "passed" and r.get("as_expected") for r in claims):
        return None
    if tests is not None and sorted({test_id(r) for r in claims}) != sorted(set(tests)):
        return None
    return payload


def _commit() -> str | None:
    from .evidence.provenance import git_commit

    return git_commit(Path.cwd())


def run(bases: Sequence[int], results_dir: Path, workers: int = 2, tests: Sequence[str] = ("ablations",),
        options: Sequence[str] = (), log=_say, reuse: bool = False) -> int:
    """Run every base, then the amendment bases; write the merged set; 0 only if every run passed.

    reuse=True resumes an interrupted run: a base whose result set was written at the current commit with every
    claim test passed is kept, not run again."""
    results_dir = Path(results_dir)
    if results_dir.exists() and not results_dir.is_dir():
        raise ValueError(f"--results-dir {str(results_dir)!r} is a file; give a directory")
    commit = _commit() if reuse else None
    status, per_base = {}, {}
    for base in bases:
        out = results_dir / BASES_DIR / f"base-{base}"
        kept = _reusable(out, commit) if reuse else None
        if kept is not None:
            log(f"dnnkit stability: base {base} reused ({out}, commit {commit[:10]}, every claim test passed)")
            status[base], per_base[base] = 0, kept
            continue
        status[base] = _run(pytest_command(base, out, workers, tests, options), log)
        if not (out / "claims.json").exists():
            log(f"dnnkit stability: base {base} wrote no claims.json (pytest exit {status[base]}); stopping")
            return status[base] or 1
        per_base[base] = storage.load_results(out)
    amended: dict[int, dict] = {}
    for base, amended_tests in sorted(amendment_runs(per_base[bases[0]]).items()):
        out = results_dir / BASES_DIR / f"base-{base}"
        kept = _reusable(out, commit, amended_tests) if reuse else None
        if kept is not None:
            log(f"dnnkit stability: amendment base {base} reused ({out})")
            status[base], amended[base] = 0, kept
            continue
        status[base] = _run(pytest_command(base, out, min(workers, len(amended_tests)), sorted(set(amended_tests)),
                                            options), log)
        if (out / "claims.json").exists():
            amended[base] = storage.load_results(out)
    merged = merge(per_base, amended)
    # runs.csv of the first base is the long table of the committed set; the other bases keep their claims.json.
    runs_csv = (results_dir / BASES_DIR / f"base-{bases[0]}" / "runs.csv").read_text()
    storage.write_claims(results_dir, merged["claims"], merged["meta"], runs_csv=runs_csv)
    failed = {b: s for b, s in status.items() if s != 0}
    table.print_claims(merged["claims"], merged["meta"])
    meta = merged["meta"]["stability"]
    log(f"dnnkit stability: {meta['stable']} of {meta['claims']} claims keep one verdict on >= {STABLE_AT} of "
        f"{len(bases)} bases; written to {results_dir}/ (claims.json, claims.md, runs.csv; per base in {BASES_DIR}/)")
    if failed:
        log("dnnkit stability: FAILED at seed bases " + ", ".join(f"{b} (pytest exit {s})" for b, s in failed.items())
            + ": a verdict differed from its claim's declaration, or a test failed")
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dnnkit stability", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bases", default=f"{EVIDENCE_BASES[0]}-{EVIDENCE_BASES[-1]}",
                   help="seed bases, e.g. 0-4 (the evidence bases, default) or 100-104 (pilot bases, for design)")
    p.add_argument("--results-dir", default="results", help="where the merged set goes (default: %(default)s)")
    p.add_argument("-n", "--workers", type=int, default=2, help="pytest-xdist workers per run (default: 2)")
    p.add_argument("--reuse", action="store_true",
                   help="resume: keep the result sets of bases already written at this commit with every test passed")
    p.add_argument("--tests", nargs="+", default=["ablations"], metavar="PATH",
                   help="test paths or node ids to run at every base (default: ablations)")
    p.add_argument("pytest_options", nargs=argparse.REMAINDER,
                   help="after --: pytest options for every run (e.g. -- --profile full)")
    args = p.parse_args(argv)
    try:
        bases = parse_bases(args.bases)
    except ValueError as err:
        p.error(str(err))
    if args.workers < 1:
        p.error(f"--workers {args.workers}: give an integer >= 1")
    options = [a for a in args.pytest_options if a != "--"]
    try:
        return run(bases, Path(args.results_dir), args.workers, args.tests, options, reuse=args.reuse)
    except ValueError as err:
        p.error(str(err))
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
