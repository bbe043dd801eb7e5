"""A current benchmark run against a stored baseline, in the mode the two machines allow.

* same-fingerprint: both files come from one machine kind (`fingerprint`); medians are compared as they are and a
  kernel fails at >= 2x (separate runs on one shared machine differed by up to 2x).
* cross-fingerprint: the hosts differ, so absolute times say more about the host than the code (identical kernels
  ran 1.2x to 17.6x slower on a second host of the same kind). Each kernel's ratio (current/baseline) is divided by
  the host factor, the median kernel's ratio, and a kernel fails when that normalized ratio reaches 3.5x. When both
  runs carry the calibration kernels (plain torch: a matmul and an elementwise op, `calibration`), the suite as a
  whole is also held against them, so a slowdown of every kernel cannot hide in the host factor.
  Measured on unchanged kernels (medians; H1 results/benchmarks/baseline.json, H2 the second host's run, H3 a
  third run of this machine kind, 2026-12-02), worst normalized ratio either way: H1-H2 1.69, H1-H3 1.90, H2-H3
  3.05 (silu forward: the CPUs' transcendental paths differ). With a matmul and an elementwise kernel as the yardstick
  instead of the median kernel: 1.87, 2.26, 3.60; so the median kernel normalizes, and 3.5x is the smallest round
  threshold above what unchanged code gave. Half-precision kernels are not compared when native half-precision
  arithmetic differs or is unknown (bfloat16 ran 17.6x slower on H2 than on H1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import fingerprint as fp
from .calibration import GROUP as CALIBRATION_GROUP
from .regression import STAT_FIELDS, STORED_FAIL_RATIO

SAME = "same-fingerprint"
CROSS = "cross-fingerprint"
MODES = ("auto", SAME, CROSS)
CROSS_FAIL_RATIO = 3.5
# Unchanged kernels on three hosts: the worst normalized ratio of any kernel, either direction (module docstring).
CROSS_HOST_WORST = 3.05
MIN_KERNELS_FOR_MEDIAN = 5  # below this, "the median kernel" is one of the kernels judged, not a yardstick
MIN_COVERAGE = 0.8


@dataclass(frozen=True)
class ModeChoice:
    """The comparison mode for two files and why: the fingerprint keys that differ, or that they agree."""

    mode: str
    reason: str
    diff: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class KernelChange:
    """One kernel in both files: absolute ratio (current/baseline), the ratio divided by the host factor (cross mode
    only), and whether the ratio the mode decides on reached the fail ratio."""

    name: str
    group: str | None
    baseline_s: float
    current_s: float
    ratio: float
    normalized: float | None
    regressed: bool

    @property
    def decided(self) -> float:
        return self.ratio if self.normalized is None else self.normalized


@dataclass
class BaselineVerdict:
    """The whole comparison: its mode, how the host factor was measured (cross mode), every compared kernel and
    every one left out (why)."""

    mode: ModeChoice
    stat: str
    fail_ratio: float
    host_note: str
    host_factor: float | None
    suite_shift: float | None
    kernels: list[KernelChange]
    skipped: dict[str, str]
    baseline_machine: str
    current_machine: str
    current_total: int

    @property
    def regressions(self) -> list[KernelChange]:
        return [k for k in self.kernels if k.regressed]

    @property
    def coverage(self) -> float:
        """Share of the current run's kernels that were compared."""
        return len(self.kernels) / self.current_total if self.current_total else 0.0

    @property
    def suite_regressed(self) -> bool:
        """The whole suite slowed against the calibration kernels by the fail ratio or more (cross mode)."""
        return self.suite_shift is not None and self.suite_shift >= self.fail_ratio

    @property
    def passed(self) -> bool:
        return not self.regressions and not self.suite_regressed and self.coverage >= MIN_COVERAGE


def select_mode(baseline_info: dict[str, Any], current_info: dict[str, Any]) -> ModeChoice:
    """same-fingerprint when both machines agree on every fingerprint key they record, else cross-fingerprint.

    Files written before the fingerprint carry only py-cpuinfo's brand, core count and caches and dnnkit's torch
    keys; when those agree the old behaviour (absolute comparison) stays, when they differ the hosts differ.
    """
    (fa, full_a), (fb, full_b) = fp.fingerprint_of(baseline_info), fp.fingerprint_of(current_info)
    if not (full_a and full_b):
        fa, fb = fp.legacy_fingerprint(baseline_info), fp.legacy_fingerprint(current_info)
    diff = fp.fingerprint_diff(fa, fb)
    if diff:
        keys = ", ".join(f"{k} {a!r} -> {b!r}" for k, (a, b) in diff.items())
        return ModeChoice(CROSS, f"fingerprints differ: {keys}", diff)
    if full_a and full_b:
        return ModeChoice(SAME, f"same fingerprint {fp.fingerprint_id(fa)}")
    return ModeChoice(SAME, "no full fingerprint in " + ("either file" if not (full_a or full_b) else
                                                          "the baseline" if not full_a else "the current run")
                      + "; the machine keys both record agree")


def kernel_dtype(bench: dict[str, Any]) -> str | None:
    """The half-precision dtype a benchmark runs in, read from its parameters (None for other kernels)."""
    values = [str(v) for v in (bench.get("params") or {}).values()]
    values.append(str((bench.get("extra_info") or {}).get("dtype", "")))
    for dtype in fp.HALF_PRECISION_FLAGS:
        if any(v in (dtype, f"torch.{dtype}") for v in values):
            return dtype
    return None


def _half_precision_reason(dtype: str, base_fp: dict[str, Any], cur_fp: dict[str, Any]) -> str | None:
    """Why a half-precision kernel cannot be compared across these hosts (None: both have native support or
    both lack it)."""
    a, b = fp.has_native(base_fp, dtype), fp.has_native(cur_fp, dtype)
    flags = "/".join(fp.HALF_PRECISION_FLAGS[dtype])
    if a is None or b is None:
        where = "the baseline's" if a is None else "the current run's"
        return (f"{dtype} kernel: native {dtype} arithmetic ({flags}) unknown in {where} fingerprint, and its "
                "speed hinges on it (17.6x between two hosts of one kind)")
    if a != b:
        return f"{dtype} kernel: native {dtype} arithmetic ({flags}) {'yes' if a else 'no'} -> {'yes' if b else 'no'}"
    return None


def _median(bench: dict[str, Any], stat: str) -> float:
    return float(bench["stats"][stat])


def _host_factor(old: dict[str, dict], new: dict[str, dict], ratios: dict[str, float],
                 stat: str) -> tuple[float | None, float | None, str]:
    """(host factor, suite shift, a line saying how they were measured).

    The host factor is how much slower the current host runs this suite: the median kernel's ratio (measured to
    spread less across hosts than a matmul and an elementwise kernel), or the calibration kernels' when there are
    too few kernels for a median. The suite shift is the median kernel's ratio over the calibration kernels'
    (None without calibration kernels in both runs): a slowdown of the whole suite shows there.
    """
    cal = sorted(n for n in set(old) & set(new)
                 if CALIBRATION_GROUP in (old[n].get("group"), new[n].get("group")))
    cal_ratios = [_median(new[n], stat) / _median(old[n], stat) for n in cal]
    cal_factor = (float(np.exp(np.mean(np.log(cal_ratios))))
                  if cal_ratios and all(r > 0 and math.isfinite(r) for r in cal_ratios) else None)
    cal_names = ", ".join(n.split("::")[-1] for n in cal)
    if len(ratios) >= MIN_KERNELS_FOR_MEDIAN:
        factor = float(np.median(list(ratios.values())))
        if cal_factor is None:
            return factor, None, (f"host factor x{factor:.2f} (the median of {len(ratios)} kernels; no calibration "
                                  "kernels in both files, so a slowdown of the whole suite would not show)")
        shift = factor / cal_factor
        return factor, shift, (f"host factor x{factor:.2f} (the median of {len(ratios)} kernels); calibration "
                               f"kernels ({cal_names}) x{cal_factor:.2f}, so the suite as a whole moved x{shift:.2f}")
    if cal_factor is not None:
        return cal_factor, None, f"host factor x{cal_factor:.2f} from the calibration kernels ({cal_names})"
    return None, None, (f"no calibration kernels in both files and fewer than {MIN_KERNELS_FOR_MEDIAN} kernels to "
                        "take a median of: nothing can be compared across hosts")


def compare(baseline: dict[str, Any], current: dict[str, Any], *, stat: str = "median", mode: str = "auto",
            same_fail_ratio: float = STORED_FAIL_RATIO,
            cross_fail_ratio: float = CROSS_FAIL_RATIO) -> BaselineVerdict:
    """Compare two pytest-benchmark payloads (`regression.load_benchmark_json`) in the mode their machines allow."""
    if stat not in STAT_FIELDS:
        raise ValueError(f"stat={stat!r} is not allowed; allowed: {', '.join(STAT_FIELDS)}")
    if mode not in MODES:
        raise ValueError(f"mode={mode!r} is not allowed; allowed: {', '.join(MODES)}")
    for name, value in (("same_fail_ratio", same_fail_ratio), ("cross_fail_ratio", cross_fail_ratio)):
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 1:
            raise ValueError(f"{name}={value!r} is not allowed; it must be a ratio > 1 (2.0 = twice as slow)")
    base_info, cur_info = baseline.get("machine_info") or {}, current.get("machine_info") or {}
    choice = select_mode(base_info, cur_info)
    if mode != "auto" and mode != choice.mode:
        choice = ModeChoice(mode, f"chosen by the caller (automatic: {choice.mode}, {choice.reason})", choice.diff)
    cross = choice.mode == CROSS
    old = {b["fullname"]: b for b in baseline["benchmarks"]}
    new = {b["fullname"]: b for b in current["benchmarks"]}
    skipped = {n: "not in the baseline (new kernel)" for n in sorted(set(new) - set(old))}
    base_fp, cur_fp = fp.fingerprint_of(base_info)[0], fp.fingerprint_of(cur_info)[0]
    ratios: dict[str, float] = {}
    for name in sorted(set(old) & set(new)):
        a, b = _median(old[name], stat), _median(new[name], stat)
        dtype = kernel_dtype(new[name])
        if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
            skipped[name] = f"no positive {stat} time in both files ({a!r}, {b!r})"
        elif cross and new[name].get("group") == CALIBRATION_GROUP:
            skipped[name] = "calibration kernel: the yardstick of the cross-fingerprint comparison"
        elif cross and dtype and (why := _half_precision_reason(dtype, base_fp, cur_fp)):
            skipped[name] = why
        else:
            ratios[name] = b / a
    factor, shift, host_note = None, None, "none: absolute times, one machine kind"
    if cross:
        factor, shift, host_note = _host_factor(old, new, ratios, stat)
        if factor is None:
            skipped.update({n: "no host factor to divide by (see above)" for n in ratios})
            ratios = {}
    fail_ratio = float(cross_fail_ratio if cross else same_fail_ratio)
    kernels = []
    for name, ratio in ratios.items():
        normalized = ratio / factor if factor is not None else None
        decided = ratio if normalized is None else normalized
        kernels.append(KernelChange(name, new[name].get("group"), _median(old[name], stat), _median(new[name], stat),
                                    ratio, normalized, decided >= fail_ratio))
    return BaselineVerdict(mode=choice, stat=stat, fail_ratio=fail_ratio, host_note=host_note,
                           host_factor=factor, suite_shift=shift, kernels=kernels, skipped=skipped,
                           baseline_machine=fp.describe(base_fp), current_machine=fp.describe(cur_fp),
                           current_total=len(new))


def _short(name: str) -> str:
    return name.split("::", 1)[-1]


def format_verdict(v: BaselineVerdict, *, all_kernels: bool = True) -> str:
    """The verdict as a reader wants it: mode and why, the machines, what was compared, regressions, the result."""
    lines = [f"stored-baseline comparison, mode: {v.mode.mode} ({v.mode.reason})",
             f"  baseline machine: {v.baseline_machine}", f"  current machine:  {v.current_machine}"]
    if v.mode.mode == CROSS:
        lines.append(f"  compares each kernel's {v.stat} ratio divided by the host factor; {v.host_note}; fails "
                     f"at >= {v.fail_ratio:g}x (unchanged kernels on three hosts: up to {CROSS_HOST_WORST:g}x)")
    else:
        lines.append(f"  compares absolute {v.stat} times; fails at >= {v.fail_ratio:g}x (separate runs on one "
                     "shared machine differ by up to 2x)")
    lines.append(f"  compared {len(v.kernels)} of {v.current_total} kernels of this run ({v.coverage:.0%})")
    shown = sorted(v.kernels, key=lambda k: -k.decided) if all_kernels else v.regressions
    for k in shown:
        rel = f"x{k.normalized:.2f} normalized, x{k.ratio:.2f} absolute" if k.normalized is not None \
            else f"x{k.ratio:.2f}"
        flag = "  REGRESSION" if k.regressed else ""
        lines.append(f"    {_short(k.name)}: {k.baseline_s * 1e6:.1f} -> {k.current_s * 1e6:.1f} us, {rel}{flag}")
    if v.skipped:
        lines.append(f"  not compared ({len(v.skipped)}):")
        lines += [f"    {_short(n)}: {why}" for n, why in v.skipped.items()]
    if v.suite_regressed:
        lines.append(f"FAIL ({v.mode.mode}): the whole suite slowed x{v.suite_shift:.2f} against the calibration "
                     f"kernels (fails at >= {v.fail_ratio:g}x)")
    elif v.regressions:
        worst = ", ".join(f"{_short(k.name)} x{k.decided:.2f}" for k in sorted(v.regressions, key=lambda k: -k.decided))
        lines.append(f"FAIL ({v.mode.mode}): {len(v.regressions)} kernel(s) regressed by >= {v.fail_ratio:g}x: {worst}")
    elif v.coverage < MIN_COVERAGE:
        lines.append(f"FAIL ({v.mode.mode}): compared only {v.coverage:.0%} of this run's kernels (< "
                     f"{MIN_COVERAGE:.0%}); record a new baseline on this runner")
    else:
        lines.append(f"PASS ({v.mode.mode}): no kernel regressed by >= {v.fail_ratio:g}x")
    return "\n".join(lines)
