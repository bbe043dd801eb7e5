"""Interleaved timing rounds: the measurements behind timing claims and the in-run regression gate.

Measuring all of A and then all of B is biased on a shared machine (load drifts between the blocks), so each
round times every candidate once, in an order rotated per round; a claim then tests the per-round ratios.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch


def _sync(device: str | torch.device | None) -> None:
    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def default_timer(device: str | torch.device | None = None) -> Callable[[], float]:
    """The process's CPU clock for single-threaded CPU work (other processes' load does not inflate it: on a
    loaded 2-core machine it turned an inconclusive timing verdict into a tight one); wall clock otherwise."""
    if (device is None or torch.device(device).type == "cpu") and torch.get_num_threads() == 1:
        return time.process_time
    return time.perf_counter


def time_block(fn: Callable[[], Any], inner: int, device: str | torch.device | None = None,
               timer: Callable[[], float] | None = None) -> float:
    """Seconds per call of `fn`, averaged over `inner` back-to-back calls (synchronized once per block on CUDA)."""
    timer = timer or default_timer(device)
    _sync(device)
    t0 = timer()
    for _ in range(inner):
        fn()
    _sync(device)
    return (timer() - t0) / inner


def calibrate_inner(fn: Callable[[], Any], min_block_s: float = 2e-3, device: str | torch.device | None = None,
                    max_inner: int = 10_000, timer: Callable[[], float] | None = None) -> int:
    """Calls per block so that one block lasts at least `min_block_s` (tiny kernels are dominated by timer noise)."""
    inner = 1
    while inner < max_inner and time_block(fn, inner, device, timer) * inner < min_block_s:
        inner *= 2
    return inner


def interleaved_rounds(fns: Mapping[str, Callable[[], Any]], *, rounds: int = 30, inner: int | None = None,
                       warmup: int = 3, min_block_s: float = 2e-3,
                       device: str | torch.device | None = None,
                       timer: Callable[[], float] | None = None, grad: bool = False) -> dict[str, list[float]]:
    """Per-round seconds per call of each candidate, measured interleaved: round r runs the candidates in an order
    rotated by r, so no candidate always goes first. Inputs must be built outside `fns` (only the call is timed).

    inner=None calibrates one block size shared by all candidates (the largest any of them needs), so every block
    lasts at least `min_block_s`. The calls run under torch.no_grad (inference costs no autograd graph), or with
    gradients enabled when `grad` is True: a whole training step (forward, backward, optimizer step).
    """
    if len(fns) < 1:
        raise ValueError("interleaved_rounds needs at least one candidate")
    if not isinstance(rounds, int) or rounds < 2:
        raise ValueError(f"rounds must be an int >= 2, got {rounds!r}")
    if inner is not None and (not isinstance(inner, int) or inner < 1):
        raise ValueError(f"inner must be None (calibrate) or an int >= 1, got {inner!r}")
    if not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0, got {warmup!r}")
    if not isinstance(grad, bool):
        raise ValueError(f"grad must be True (time training steps) or False (no_grad), got {grad!r}")
    names = list(fns)
    with torch.set_grad_enabled(grad):
        for _ in range(warmup):
            for name in names:
                fns[name]()
        if inner is None:
            inner = max(calibrate_inner(fns[name], min_block_s, device, timer=timer) for name in names)
        out: dict[str, list[float]] = {name: [] for name in names}
        for r in range(rounds):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                out[name].append(time_block(fns[name], inner, device, timer))
    return out


def ratio_summary(t_a: list[float], t_b: list[float]) -> dict[str, float]:
    """Median per-round ratio A/B and its spread (what a timing table shows, never one raw time)."""
    r = np.asarray(t_a) / np.asarray(t_b)
    return {"median_ratio": float(np.median(r)), "q25_ratio": float(np.quantile(r, 0.25)),
            "q75_ratio": float(np.quantile(r, 0.75)), "rounds": int(r.size),
            "median_a_us": float(np.median(t_a) * 1e6), "median_b_us": float(np.median(t_b) * 1e6)}
