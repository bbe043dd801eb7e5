"""pytest-benchmark hooks: every benchmark JSON written under dnnkit's plugin carries the machine fingerprint and
the calibration kernels' timings (with each kernel's time relative to them), so a baseline can be compared with a
run from another host (dnnkit.evidence.baseline_compare). A user's repository gets both without a line of code."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ..evidence import calibration, fingerprint
from ..evidence.timing import default_timer
from .options import resolve_device

_calibration_key = pytest.StashKey[dict[str, list[float]]]()


@pytest.hookimpl(optionalhook=True)
def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict) -> None:
    """The fingerprint (what decides kernel speed) and its id; the ablations' conftest adds its own keys."""
    device = resolve_device(config)
    machine_info["fingerprint"] = fingerprint.machine_fingerprint(device)
    machine_info["fingerprint_id"] = fingerprint.fingerprint_id(machine_info["fingerprint"])


@pytest.hookimpl(optionalhook=True)
def pytest_benchmark_update_json(config: pytest.Config, benchmarks: list, output_json: dict[str, Any]) -> None:
    """Add the calibration kernels (timed once per run, after the benchmarks) and each kernel's x_calibration."""
    if not output_json.get("benchmarks"):
        return
    device = resolve_device(config)
    if _calibration_key not in config.stash:
        config.stash[_calibration_key] = calibration.time_calibration(device)
    times = config.stash[_calibration_key]
    timer_name = "process CPU time" if default_timer(device) is time.process_time else "wall"
    yardstick = calibration.yardstick(times)
    for bench in output_json["benchmarks"]:
        median = (bench.get("stats") or {}).get("median")
        if isinstance(median, (int, float)) and bench.get("group") != calibration.GROUP:
            bench.setdefault("extra_info", {})["x_calibration"] = median / yardstick
    output_json["benchmarks"] = [b for b in output_json["benchmarks"] if b.get("group") != calibration.GROUP]
    output_json["benchmarks"] += calibration.benchmark_entries(times, timer_name)
    output_json["machine_info"]["calibration_s"] = yardstick
