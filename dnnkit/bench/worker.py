"""One side of `dnnkit bench --base`: runs a checkout's benchmark tests once, keeps each benchmarked callable, and
then times them on request of the coordinator (dnnkit.bench.ab), one block of calls at a time.

Run as a script inside the side's checkout (`python worker.py READ_FD WRITE_FD PYTEST_ARGS...`), with the side's
root first on PYTHONPATH: it must import that side's code, so it imports nothing from the dnnkit that started it.
pytest-benchmark's fixture is patched to remember `fn` and call it once, so any benchmark test works unchanged
(dnnkit's `run_bench`, plain `benchmark(fn)` or `benchmark.pedantic(fn)`); its assertions still run.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture


class Capture:
    """pytest plugin holding the callable each benchmark test handed to the `benchmark` fixture."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.kernels: dict[str, Callable[[], Any]] = {}
        self.skipped: dict[str, str] = {}
        self.threads: int | None = None

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.current = item.nodeid

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped:
            reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            self.skipped[report.nodeid] = f"skipped: {reason}"
            self.kernels.pop(report.nodeid, None)
        elif report.failed:
            self.skipped[report.nodeid] = f"the test failed ({report.when})"
            self.kernels.pop(report.nodeid, None)

    def remember(self, fn: Callable[[], Any]) -> Any:
        torch = sys.modules.get("torch")  # benchmarks of plain Python need no torch import
        self.threads = torch.get_num_threads() if torch is not None else 1
        if self.current is not None:
            self.kernels[self.current] = fn
        return fn()


CAPTURE = Capture()


def _call(fixture: BenchmarkFixture, function_to_benchmark: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    fixture._mode = "benchmark(...)"  # used, as pytest-benchmark records it (else it warns "not used at all")
    return CAPTURE.remember(functools.partial(function_to_benchmark, *args, **kwargs))


def _pedantic(fixture: BenchmarkFixture, target: Callable[..., Any], args: tuple = (), kwargs: dict | None = None,
              setup: Callable[[], Any] | None = None, **_: Any) -> Any:
    fixture._mode = "benchmark.pedantic(...)"
    if setup is not None:
        # Inputs rebuilt per round would be timed with the kernel: such a test is run, not compared.
        CAPTURE.skipped[CAPTURE.current or "?"] = "uses benchmark.pedantic(setup=...): per-round inputs"
        made = setup()
        args, kwargs = made if made is not None else (args, kwargs)
        return target(*args, **(kwargs or {}))
    return CAPTURE.remember(functools.partial(target, *args, **(kwargs or {})))


def _timer(threads: int) -> Callable[[], float]:
    """dnnkit's rule: the process's CPU time for one-thread CPU work, wall time synchronized with CUDA otherwise."""
    torch = sys.modules.get("torch")
    cuda = torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized()
    if threads == 1 and not cuda:
        return time.process_time

    def wall() -> float:
        if cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    return wall


def _block(fn: Callable[[], Any], inner: int, timer: Callable[[], float]) -> float:
    """Seconds per call over `inner` back-to-back calls; grad mode as the test left it (training kernels need it)."""
    t0 = timer()
    for _ in range(inner):
        fn()
    return (timer() - t0) / inner


def _count(fn: Callable[[], Any], calls: int) -> float:
    """Instructions per call, under `valgrind --tool=callgrind --collect-atstart=no`: collection is switched on for
    exactly these calls (torch's Callgrind client requests) and dumped to a file whose totals are read back."""
    import torch

    out = os.environ.get("DNNKIT_BENCH_CALLGRIND_OUT")
    if not out or not torch._C._valgrind_supported_platform():
        raise RuntimeError("instruction counts need the worker to run under valgrind's callgrind")
    torch._C._valgrind_toggle()
    for _ in range(calls):
        fn()
    torch._C._valgrind_toggle_and_dump_stats()
    return last_dump_instructions(Path(out)) / calls


def last_dump_instructions(out: Path) -> int:
    """The instruction total of callgrind's newest dump `out`.N (its `totals:` or `summary:` line)."""
    dumps = sorted((p for p in out.parent.glob(out.name + ".*") if p.suffix[1:].isdigit()),
                   key=lambda p: int(p.suffix[1:]))
    if not dumps:
        raise RuntimeError(f"no callgrind dump {out}.N was written")
    for line in dumps[-1].read_text().splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in the callgrind dump {dumps[-1]}")


def serve(read_fd: int, write_fd: int) -> None:
    """Answer the coordinator's JSON-line requests until it says quit (or closes the pipe)."""
    torch = sys.modules.get("torch")
    threads = CAPTURE.threads or 1
    if torch is not None:
        torch.set_num_threads(threads)  # as during the tests (dnnkit's plugin sets --torch-threads)
    timer = _timer(threads)
    out = os.fdopen(write_fd, "w", buffering=1)
    kernels = {k: v for k, v in CAPTURE.kernels.items() if k not in CAPTURE.skipped}
    out.write(json.dumps({"kernels": sorted(kernels), "skipped": CAPTURE.skipped, "threads": threads,
                          "timer": "process CPU time" if timer is time.process_time else "wall"}) + "\n")
    for line in os.fdopen(read_fd):
        req = json.loads(line)
        try:
            if req["op"] == "quit":
                break
            fn = kernels[req["id"]]
            if req["op"] == "warmup":
                for _ in range(int(req["calls"])):
                    fn()
                answer: dict[str, Any] = {"ok": True}
            elif req["op"] == "count":
                answer = {"ir": _count(fn, int(req["calls"]))}
            elif req["op"] == "calibrate":
                inner = 1
                while inner < 10_000 and _block(fn, inner, timer) * inner < float(req["min_block_s"]):
                    inner *= 2
                answer = {"inner": inner}
            else:
                answer = {"s": _block(fn, int(req["inner"]), timer)}
        except Exception as err:  # reported to the coordinator, which names the kernel and side
            answer = {"error": f"{type(err).__name__}: {err}"}
        out.write(json.dumps(answer) + "\n")


def main(argv: list[str]) -> int:
    read_fd, write_fd, pytest_args = int(argv[0]), int(argv[1]), argv[2:]
    BenchmarkFixture.__call__ = _call  # type: ignore[method-assign]
    BenchmarkFixture.pedantic = _pedantic  # type: ignore[method-assign]
    status = pytest.main(pytest_args, plugins=[CAPTURE])
    if status not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        print(f"dnnkit bench worker: pytest ended with {status!r}", file=sys.stderr)
        return int(status)
    serve(read_fd, write_fd)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
