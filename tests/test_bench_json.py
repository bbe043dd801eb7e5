"""Benchmark JSON written under dnnkit's plugin (dnnkit.pytest_plugin.benchmarks) carries the machine fingerprint
and the calibration kernels, with each kernel's time relative to them: an inner pytest session writes one."""

from __future__ import annotations

import json

import pytest

from dnnkit.evidence import baseline_compare, calibration, fingerprint

pytest_plugins = ["pytester"]

INNER_BENCH = """
def kernel():
    return sum(range(5_000))


def test_kernel(benchmark):
    benchmark.pedantic(kernel, rounds=5, iterations=2)
"""


def test_benchmark_json_has_fingerprint_and_calibration(pytester: pytest.Pytester,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)  # else the inner session disables benchmarking
    pytester.makepyfile(bench_inner=INNER_BENCH)
    result = pytester.runpytest_subprocess("-n", "0", "-p", "no:cacheprovider", "bench_inner.py",
                                           "--benchmark-only", "--benchmark-json=out.json")
    assert result.ret == 0, result.stdout.str()
    payload = json.loads((pytester.path / "out.json").read_text())
    info = payload["machine_info"]
    assert info["fingerprint_id"] == fingerprint.fingerprint_id(info["fingerprint"])
    assert {"cpu_flags", "caches", "torch", "torch_threads"} <= set(info["fingerprint"])
    by_group: dict[str, list[dict]] = {}
    for bench in payload["benchmarks"]:
        by_group.setdefault(bench["group"] or "", []).append(bench)
    cal = {b["name"]: b["stats"]["median"] for b in by_group.pop(calibration.GROUP)}
    assert set(cal) == {"calibration[matmul]", "calibration[elementwise]"} and all(v > 0 for v in cal.values())
    (kernel,) = [b for group in by_group.values() for b in group]
    yardstick = (cal["calibration[matmul]"] * cal["calibration[elementwise]"]) ** 0.5
    assert kernel["extra_info"]["x_calibration"] == pytest.approx(kernel["stats"]["median"] / yardstick)
    assert info["calibration_s"] == pytest.approx(yardstick)
    # A file compared with itself: the same fingerprint, so the absolute mode.
    assert baseline_compare.compare(payload, payload).mode.mode == baseline_compare.SAME
