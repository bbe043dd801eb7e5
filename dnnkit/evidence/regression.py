"""Catching kernel regressions on shared, noisy machines (facts: shared/research/benchmarking.md).

Two checks, trusted to different degrees:

* The in-run gate (`gate`): a candidate and a reference timed interleaved in one process, round by round; it fails
  only when the median per-round ratio exceeds 1.10 AND a one-sided sign test on the log ratios gives p < 0.01.
  Interleaving cancels load drift, so it catches a real 20% slowdown and passes identical code.
* The stored-baseline comparison (`compare_benchmarks`): two pytest-benchmark JSON files from separate runs.
  Identical code differed by up to 2x between runs on these machines, so it flags a benchmark only at >= 2x
  (github-action-benchmark's default alert); everything below is reported, never failed.

`python -m dnnkit.regression BASELINE CURRENT` (or `dnnkit bench --compare`) prints the stored comparison in the mode
the two machines allow (same or cross fingerprint: dnnkit.evidence.baseline_compare) and exits 1 on a regression.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import stats
from .timing import interleaved_rounds

GATE_RATIO = 1.10
GATE_ALPHA = 0.01
STORED_FAIL_RATIO = 2.0
STAT_FIELDS = ("min", "max", "mean", "median")
CLOCKS = ("auto", "cpu", "wall")
# machine_info entries that decide whether two benchmark files are comparable at all.
MACHINE_KEYS = ("cpu_brand", "device", "gpu", "torch", "torch_threads", "python_version", "machine")


@dataclass(frozen=True)
class GateResult:
    """The in-run verdict on candidate vs reference: median per-round time ratio, its CI and the sign test."""

    name: str
    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    rounds: int
    slower_rounds: int
    candidate_us: float
    reference_us: float
    threshold: float = GATE_RATIO
    alpha: float = GATE_ALPHA

    @property
    def regressed(self) -> bool:
        """Slower beyond the threshold AND significantly slower: both, so neither noise nor a 2% drift fails CI."""
        return self.ratio > self.threshold and self.p_value < self.alpha

    def summary(self) -> str:
        verdict = "REGRESSION" if self.regressed else "ok"
        level = round((1 - 2 * self.alpha) * 100)
        return (f"{self.name or 'candidate'} vs reference: ratio {self.ratio:.3f} "
                f"[{self.ci_low:.3f}, {self.ci_high:.3f}] ({level}% CI), p(slower) {self.p_value:.2g}, "
                f"{self.slower_rounds}/{self.rounds} rounds slower, {self.candidate_us:.1f} vs {self.reference_us:.1f} us; "
                f"fails at ratio > {self.threshold:g} with p < {self.alpha:g}: {verdict}")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "regressed": self.regressed}


def _check_gate_args(threshold: float, alpha: float) -> None:
    if not isinstance(threshold, (int, float)) or not math.isfinite(threshold) or threshold <= 1:
        raise ValueError(f"threshold={threshold!r} is not allowed; it must be a ratio > 1 (1.10 = 10% slower)")
    if not isinstance(alpha, (int, float)) or not 0 < alpha < 0.5:
        raise ValueError(f"alpha={alpha!r} is not allowed; it must lie in (0, 0.5)")


def evaluate_gate(t_candidate: Sequence[float], t_reference: Sequence[float], *, name: str = "",
                  threshold: float = GATE_RATIO, alpha: float = GATE_ALPHA) -> GateResult:
    """The gate's verdict on already measured interleaved rounds (seconds per call, one pair per round)."""
    _check_gate_args(threshold, alpha)
    d = stats.decide_timing(t_candidate, t_reference, direction="slower", margin=threshold - 1, alpha=alpha)
    e = d.effect
    return GateResult(name=name, ratio=e["median_ratio"], ci_low=e["ci_low"], ci_high=e["ci_high"],
                      p_value=float(d.p_value), rounds=int(e["rounds"]), slower_rounds=int(e["slower_rounds"]),
                      candidate_us=float(np.median(t_candidate) * 1e6), reference_us=float(np.median(t_reference) * 1e6),
                      threshold=threshold, alpha=alpha)


_TIMERS: dict[str, Callable[[], float] | None] = {"auto": None, "cpu": time.process_time, "wall": time.perf_counter}


def measure(fns: Mapping[str, Callable[[], Any]], *, rounds: int = 30, inner: int | None = None, warmup: int = 3,
            min_block_s: float = 2e-3, device: str | torch.device | None = None,
            clock: str = "auto") -> dict[str, list[float]]:
    """Per-round seconds per call of each candidate, interleaved (`timing.interleaved_rounds`).

    clock="cpu" counts this process's CPU time instead of wall time: time the scheduler gives to other jobs does
    not count. On a 2-core machine at load 7, a 20% slowdown measured by wall time reached p < 0.01 in 1 of 3
    tries (per-round ratios 0.2 to 4.5); by CPU time in 3 of 3, with A/A ratios within 1.00 +- 0.02.
    "auto" is `timing.default_timer`: CPU time on the CPU with one torch thread (more threads would add their
    spinning), else wall time synchronized per block (CUDA work happens off the CPU).
    """
    if clock not in _TIMERS:
        raise ValueError(f"clock={clock!r} is not allowed; allowed: {', '.join(CLOCKS)}")
    return interleaved_rounds(fns, rounds=rounds, inner=inner, warmup=warmup, min_block_s=min_block_s,
                              device=device, timer=_TIMERS[clock])


def gate(candidate: Callable[[], Any], reference: Callable[[], Any], *, name: str = "", rounds: int = 30,
         inner: int | None = None, warmup: int = 3, min_block_s: float = 2e-3,
         device: str | torch.device | None = None, clock: str = "auto", threshold: float = GATE_RATIO,
         alpha: float = GATE_ALPHA) -> GateResult:
    """Time `candidate` and `reference` interleaved in this process and decide whether the candidate regressed.

    Both run under torch.no_grad (see `timing.interleaved_rounds`); build their inputs outside the callables.
    With fewer than 8 rounds the sign test cannot reach p < 0.01, so such a call only smoke-tests the path.
    """
    _check_gate_args(threshold, alpha)
    times = measure({"candidate": candidate, "reference": reference}, rounds=rounds, inner=inner, warmup=warmup,
                    min_block_s=min_block_s, device=device, clock=clock)
    return evaluate_gate(times["candidate"], times["reference"], name=name, threshold=threshold, alpha=alpha)


# ----------------------------------------------------------------------------------------------------------
# stored baselines (pytest-benchmark JSON)
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchChange:
    """One benchmark in both files: the chosen statistic before and after, and their ratio (current/baseline)."""

    name: str
    group: str | None
    baseline_s: float
    current_s: float
    ratio: float
    regressed: bool


@dataclass
class BenchComparison:
    """Every benchmark of two runs: matched changes, and names present in only one of the files."""

    stat: str
    fail_ratio: float
    changes: list[BenchChange] = field(default_factory=list)
    only_baseline: list[str] = field(default_factory=list)
    only_current: list[str] = field(default_factory=list)
    machine_diff: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def regressions(self) -> list[BenchChange]:
        return [c for c in self.changes if c.regressed]


def load_benchmark_json(path: str | Path) -> dict:
    """A pytest-benchmark JSON (from --benchmark-json or --benchmark-save); ValueError if it is not one."""
    path = Path(path)
    try:
        payload = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"cannot read benchmark JSON {str(path)!r}: {err}; give a file written by pytest "
                         "--benchmark-json") from None
    benches = payload.get("benchmarks") if isinstance(payload, dict) else None
    if not isinstance(benches, list) or not all(isinstance(b, dict) and "stats" in b and "fullname" in b
                                                for b in benches):
        raise ValueError(f"{str(path)!r} is not a pytest-benchmark JSON file (expected a 'benchmarks' list whose "
                         "entries have 'fullname' and 'stats')")
    return payload


def machine_summary(payload: dict) -> dict[str, Any]:
    """The machine facts that make two benchmark files comparable (CPU model, device, torch, threads, Python)."""
    info = payload.get("machine_info") or {}
    cpu = info.get("cpu")
    brand = cpu.get("brand_raw") if isinstance(cpu, dict) else cpu
    out = {"cpu_brand": info.get("cpu_brand", brand)}
    out.update({k: info.get(k) for k in MACHINE_KEYS if k != "cpu_brand"})
    return out


def compare_benchmarks(baseline: dict, current: dict, *, stat: str = "median",
                       fail_ratio: float = STORED_FAIL_RATIO) -> BenchComparison:
    """Match benchmarks by full name and flag those whose `stat` grew by `fail_ratio` or more."""
    if stat not in STAT_FIELDS:
        raise ValueError(f"stat={stat!r} is not allowed; allowed: {', '.join(STAT_FIELDS)}")
    if not isinstance(fail_ratio, (int, float)) or not math.isfinite(fail_ratio) or fail_ratio <= 1:
        raise ValueError(f"fail_ratio={fail_ratio!r} is not allowed; it must be a ratio > 1 (2.0 = twice as slow)")
    old = {b["fullname"]: b for b in baseline["benchmarks"]}
    new = {b["fullname"]: b for b in current["benchmarks"]}
    out = BenchComparison(stat=stat, fail_ratio=float(fail_ratio),
                          only_baseline=sorted(set(old) - set(new)), only_current=sorted(set(new) - set(old)))
    for name in sorted(set(old) & set(new)):
        a, b = float(old[name]["stats"][stat]), float(new[name]["stats"][stat])
        ratio = b / a if a > 0 else (1.0 if b == 0 else math.inf)
        out.changes.append(BenchChange(name, new[name].get("group"), a, b, ratio, ratio >= fail_ratio))
    ma, mb = machine_summary(baseline), machine_summary(current)
    out.machine_diff = {k: (ma[k], mb[k]) for k in ma if ma[k] != mb[k]}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: compare two pytest-benchmark JSON files in the mode their machines allow (`baseline_compare`); exit
    status 1 when a kernel regressed (`dnnkit bench --compare` is the same)."""
    from . import baseline_compare

    parser = argparse.ArgumentParser(prog="python -m dnnkit.regression", description=main.__doc__)
    parser.add_argument("baseline", help="the committed baseline JSON (results/benchmarks/baseline.json)")
    parser.add_argument("current", help="the JSON of this run (--benchmark-json)")
    parser.add_argument("--stat", default="median", choices=STAT_FIELDS)
    parser.add_argument("--mode", default="auto", choices=baseline_compare.MODES)
    parser.add_argument("--fail-ratio", type=float, default=STORED_FAIL_RATIO, help="same-fingerprint threshold")
    parser.add_argument("--cross-fail-ratio", type=float, default=baseline_compare.CROSS_FAIL_RATIO,
                        help="cross-fingerprint threshold (on ratios divided by the host factor)")
    args = parser.parse_args(argv)
    try:
        verdict = baseline_compare.compare(load_benchmark_json(args.baseline), load_benchmark_json(args.current),
                                           stat=args.stat, mode=args.mode, same_fail_ratio=args.fail_ratio,
                                           cross_fail_ratio=args.cross_fail_ratio)
    except ValueError as err:
        parser.error(str(err))
    print(baseline_compare.format_verdict(verdict))
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
