"""Calibration kernels: a fixed matmul and a fixed elementwise op, timed in every benchmark run, so that each kernel's
time is also recorded relative to what this host does with plain torch (extra_info["x_calibration"]).

Both are torch alone, never dnnkit code, so a slowdown of dnnkit's kernels does not move them: a cross-host
comparison (`baseline_compare`) holds the suite as a whole against them, where its per-kernel host factor (the
median kernel) would hide a slowdown of every kernel. A matmul (compute bound) and an elementwise op (memory bound)
because hosts differ in both ways: on two hosts of one kind a float32 MLP differed 1.4x and a 1M-element relu 2.1x.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from .timing import default_timer, interleaved_rounds

GROUP = "calibration"
ROUNDS = 20
# name -> (CPU size, CUDA size): matmul side n (n x n @ n x n), elementwise element count.
SIZES = {"matmul": (256, 4096), "elementwise": (1 << 20, 1 << 24)}


def calibration_kernels(device: str | torch.device = "cpu") -> dict[str, Callable[[], torch.Tensor]]:
    """name -> a call of the fixed kernel on inputs built here (seeded, so every host times the same numbers)."""
    dev = torch.device(device)
    gen = torch.Generator().manual_seed(0)
    n = SIZES["matmul"][dev.type == "cuda"]
    a, b = torch.randn(n, n, generator=gen).to(dev), torch.randn(n, n, generator=gen).to(dev)
    x = torch.randn(SIZES["elementwise"][dev.type == "cuda"], generator=gen).to(dev)
    return {"matmul": lambda: torch.mm(a, b), "elementwise": lambda: torch.add(x, x, alpha=0.5).mul_(x)}


def time_calibration(device: str | torch.device = "cpu", rounds: int = ROUNDS) -> dict[str, list[float]]:
    """Per-round seconds per call of each calibration kernel, interleaved, with dnnkit's timer for `device`."""
    return interleaved_rounds(calibration_kernels(device), rounds=rounds, device=device,
                              timer=default_timer(device))


def benchmark_entries(times: dict[str, list[float]], timer_name: str) -> list[dict[str, Any]]:
    """The calibration timings as pytest-benchmark JSON entries (group `GROUP`), so a baseline stores them."""
    out = []
    for name, t in times.items():
        arr = np.asarray(t)
        q1, q3 = np.quantile(arr, [0.25, 0.75])
        stats = {"min": float(arr.min()), "max": float(arr.max()), "mean": float(arr.mean()),
                 "stddev": float(arr.std(ddof=1)) if arr.size > 1 else 0.0, "median": float(np.median(arr)),
                 "iqr": float(q3 - q1), "q1": float(q1), "q3": float(q3), "rounds": int(arr.size),
                 "iterations": 1, "ops": float(1 / np.median(arr)), "total": float(arr.sum()), "data": list(t)}
        out.append({"group": GROUP, "name": f"calibration[{name}]", "fullname": f"dnnkit::calibration[{name}]",
                    "params": {"kernel": name}, "param": name, "extra_info": {"timer": timer_name},
                    "options": {"timer": timer_name}, "stats": stats})
    return out


def yardstick(times: dict[str, list[float]]) -> float:
    """One number per run: the geometric mean of the calibration kernels' medians (seconds)."""
    return float(np.exp(np.mean([np.log(np.median(t)) for t in times.values()])))
