"""The ablations' claims (dnnkit's catalog), and benchmark plumbing for ablations/bench_*.py: the device, a calibrated pedantic runner, and machine_info.

The runner is what keeps the timings honest: inputs are built by the test before it is called, a few warm-up
calls come first (lazy init, allocator, cuDNN autotune), the block size is calibrated so one round lasts at least
`MIN_BLOCK_S`, and the timer reads at round boundaries only.

The timer: on the CPU with one torch thread, this process's CPU time (time.process_time): time the scheduler gives
to other jobs on a shared machine does not count (measured at load 7 on 2 cores: wall-time rounds of one kernel
varied 0.2x to 4.5x, CPU-time rounds +-3%). Otherwise torch.utils.benchmark's timer: wall time, synchronizing the
accelerator before each reading, i.e. once per round of calls, never inside each call.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch.utils.benchmark.utils.timer import timer as sync_timer

from dnnkit import __version__
from dnnkit.catalog import CLAIMS as CATALOG
from dnnkit.evidence.timing import calibrate_inner, default_timer
from dnnkit.pytest_plugin.options import resolve_device

# The ablations declare dnnkit's catalog the way a user's repository declares its own claims: a CLAIMS list in a
# conftest.py (or a test module), which the plugin picks up at collection.
CLAIMS = CATALOG

ROUNDS = 20
MIN_BLOCK_S = 5e-3
WARMUP_CALLS = 2
# py-cpuinfo fields that stay put between runs of one machine (hz_actual moves every run and made every
# comparison warn that the machine differed).
STABLE_CPU_KEYS = ("brand_raw", "vendor_id_raw", "arch", "bits", "count", "l2_cache_size", "l3_cache_size")


def _bench_device(config: pytest.Config) -> torch.device:
    """The dnnkit plugin's --device, resolved the same way, so benchmarks follow the claims."""
    return torch.device(resolve_device(config))


def bench_timer(config: pytest.Config) -> Callable[[], float]:
    """dnnkit.timing's rule (CPU time of the process on a 1-thread CPU run), else wall time synchronized with the
    accelerator before each reading."""
    timer = default_timer(_bench_device(config))
    return timer if timer is time.process_time else sync_timer


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    timer = None
    for item in items:
        # A test's own @pytest.mark.benchmark wins (get_closest_marker); the rest get the timer chosen here.
        if item.get_closest_marker("bench") and not item.get_closest_marker("benchmark"):
            timer = timer or bench_timer(config)
            item.add_marker(pytest.mark.benchmark(timer=timer))


@pytest.hookimpl(optionalhook=True)  # a valid conftest even when pytest-benchmark is not installed
def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict) -> None:
    """Record what decides a kernel's speed (torch, threads, device) and drop what changes between runs of one box."""
    device = _bench_device(config)
    machine_info["torch"] = torch.__version__
    machine_info["torch_threads"] = torch.get_num_threads()
    machine_info["device"] = device.type
    machine_info["gpu"] = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    machine_info["dnnkit"] = __version__
    machine_info["timer"] = "process CPU time" if bench_timer(config) is time.process_time else "wall, synchronized"
    cpu = machine_info.get("cpu")
    if isinstance(cpu, dict):
        machine_info["cpu"] = {k: cpu[k] for k in STABLE_CPU_KEYS if k in cpu}
        machine_info["cpu_brand"] = cpu.get("brand_raw") or platform.processor()
    # The host name differs on every fresh CI machine; the CPU model, not the name, makes runs comparable.
    machine_info.pop("node", None)


@pytest.fixture
def bench_device(request: pytest.FixtureRequest) -> torch.device:
    return _bench_device(request.config)


@pytest.fixture
def run_bench(benchmark, bench_device: torch.device) -> Callable[..., Any]:
    """run_bench(fn, group=..., samples=None, rounds=ROUNDS, **extra): time fn() in pedantic mode; its last result.

    Disabled benchmarking (xdist, --benchmark-disable) calls fn once: a smoke test of the same code.
    `samples` (examples processed per call) adds samples_per_s to the JSON's extra_info; `extra` goes there too.
    """

    def run(fn: Callable[[], Any], *, group: str, samples: int | None = None, rounds: int = ROUNDS,
            **extra: Any) -> Any:
        benchmark.group = group
        benchmark.extra_info.update(extra)
        if samples is not None:
            benchmark.extra_info["samples"] = samples
        if not benchmark.enabled:
            return benchmark.pedantic(fn)
        for _ in range(WARMUP_CALLS):
            fn()
        inner = calibrate_inner(fn, MIN_BLOCK_S, bench_device)
        result = benchmark.pedantic(fn, rounds=rounds, iterations=inner, warmup_rounds=1)
        if samples is not None:
            benchmark.extra_info["samples_per_s"] = samples / benchmark.stats.stats.median
        return result

    return run
