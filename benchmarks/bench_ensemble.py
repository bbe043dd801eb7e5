"""Benchmark: K seeds as one batched ensemble versus K sequential fits, and dnnkit's fit versus a hand-written loop.

    python benchmarks/bench_ensemble.py [--k 16] [--epochs 2] [--fit-epochs 6] [--batch-size 32] [--rounds 7]
                                        [--workers N] [--out PATH]

Workload: the 5 x 100 ELU MLP (He init) on scikit-learn's digits (1437 training rows), Adam lr 1e-3. Every number
printed is a ratio of candidates timed interleaved in this one process (round r runs them in an order rotated by r,
dnnkit.timing.interleaved_rounds), so load drifting on a shared machine hits every candidate alike. Torch runs one
thread (as each pytest-xdist worker does); the clock is the process's CPU time, which other processes' load does not
inflate (wall-clock ratios are recorded too). The whole-machine row splits the ensemble over --workers processes
(one core each) and is timed on the wall clock, against the same one-process sequential runs. Goals (issue 8):
ensemble >= 5x faster than sequential on 2 cores; fit's overhead over the hand-written loop <= 5%.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from dnnkit import data  # noqa: E402
from dnnkit.evidence.provenance import machine, usable_cores  # noqa: E402
from dnnkit.evidence.timing import interleaved_rounds, ratio_summary  # noqa: E402
from dnnkit.nn.models import MLPConfig, build_mlp  # noqa: E402
from dnnkit.seeds import run_seeds  # noqa: E402
from dnnkit.train.ensemble import fit_ensemble  # noqa: E402
from dnnkit.train.experiment import train_arm  # noqa: E402
from dnnkit.train.training import FitConfig, fit  # noqa: E402

NET = MLPConfig(n_inputs=64, n_outputs=10, depth=5, width=100, activation="elu")
GOALS = {"ensemble_speedup": 5.0, "fit_overhead": 0.05}


def hand_loop(split: data.Split, epochs: int, batch_size: int, lr: float, seed: int) -> None:
    """The minimal PyTorch loop a practitioner writes: shuffle, slice, step; evaluate the validation set per epoch."""
    model = build_mlp(NET, generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    order = torch.Generator().manual_seed(seed)
    X, y = split.X_train, split.y_train
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(X), generator=order)
        for start in range(0, len(X), batch_size):
            idx = perm[start:start + batch_size]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(split.X_val)
            F.cross_entropy(logits, split.y_val).item(), (logits.argmax(1) == split.y_val).float().mean().item()


def timed(fns: dict[str, Callable[[], object]], rounds: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Interleaved rounds of whole training jobs: CPU seconds per job (the ratio's clock) and wall seconds alongside."""
    wall: dict[str, list[float]] = {name: [] for name in fns}

    def job(name: str, fn: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            t0 = time.perf_counter()
            with torch.enable_grad():  # interleaved_rounds times under no_grad; training needs autograd
                fn()
            wall[name].append(time.perf_counter() - t0)
        return run

    cpu = interleaved_rounds({name: job(name, fn) for name, fn in fns.items()}, rounds=rounds, inner=1, warmup=1,
                             timer=time.process_time)
    return cpu, {name: times[-rounds:] for name, times in wall.items()}  # drop the warmup calls


def summary(cpu: dict[str, list[float]], wall: dict[str, list[float]], a: str, b: str,
            clock: str = "cpu") -> dict[str, float]:
    """Median per-round ratio a/b (on `clock`, with quartiles) and the same ratio on the wall clock."""
    out = ratio_summary(*((cpu if clock == "cpu" else wall)[name] for name in (a, b)))
    out["median_ratio_wall"] = float(np.median(np.asarray(wall[a]) / np.asarray(wall[b])))
    out["clock"] = clock
    return out


def provenance() -> dict[str, object]:
    """dnnkit's run provenance (versions, CPU, threads, commit, date) plus the cores and the load at the start."""
    return {**machine("cpu"), "cores": usable_cores(),
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}


def run(k: int, epochs: int, batch_size: int, rounds: int, workers: int, fit_epochs: int) -> dict[str, object]:
    torch.set_num_threads(1)
    split = data.load_digits(seed=0)
    fc = FitConfig(epochs=epochs, batch_size=batch_size, optimizer="adam", lr=1e-3)
    seeds = [run_seeds(0, "bench-ensemble", rep) for rep in range(k)]
    # 1. K seeds: sequential fits vs one ensemble (the harness's default), the ensemble with a fused Adam, and the
    #    ensemble split over `workers` processes (children's CPU time is not this process's: wall clock for that one).
    jobs = {
        "sequential": lambda: train_arm("seq", NET, split, fc, seeds, mode="sequential"),
        "ensemble": lambda: train_arm("ens", NET, split, fc, seeds, mode="ensemble"),
        "ensemble, fused Adam": lambda: fit_ensemble(NET, split, fc, seeds, exact=False),
    }
    if workers > 1:
        jobs[f"ensemble, {workers} processes"] = lambda: train_arm("ens", NET, split, fc, seeds, mode="ensemble",
                                                                    workers=workers)
        jobs[f"ensemble, {workers} processes, fused Adam"] = lambda: fit_ensemble(NET, split, fc, seeds, exact=False,
                                                                                  workers=workers)
    ens_cpu, ens_wall = timed(jobs, rounds)
    machine_rows = {
        f"sequential / ensemble over {workers} processes (whole machine, wall clock)":
            summary(ens_cpu, ens_wall, "sequential", f"ensemble, {workers} processes", clock="wall"),
        f"sequential / ensemble over {workers} processes, fused Adam (wall clock)":
            summary(ens_cpu, ens_wall, "sequential", f"ensemble, {workers} processes, fused Adam", clock="wall"),
    } if workers > 1 else {}
    # 2. One seed: dnnkit's fit vs the hand-written loop (same model, data, batch size, optimizer, per-epoch eval),
    #    over more epochs than the ensemble jobs: a one-seed job of 2 epochs (~0.1 s) is mostly timer jitter.
    s = seeds[0]
    one = FitConfig(epochs=fit_epochs, batch_size=batch_size, optimizer="adam", lr=1e-3)
    fit_cpu, fit_wall = timed({
        "fit": lambda: fit(build_mlp(NET, generator=s.generator("init")), split, one, s),
        "hand loop": lambda: hand_loop(split, fit_epochs, batch_size, 1e-3, s.init),
    }, rounds * 2)
    per_member = {name: [t / k / epochs for t in ts] for name, ts in ens_cpu.items()}
    hand_epoch = [t / fit_epochs for t in fit_cpu["hand loop"]]
    return {
        "workload": {"k": k, "epochs": epochs, "fit_epochs": fit_epochs, "batch_size": batch_size, "rounds": rounds,
                     "workers": workers,
                     "net": "5x100 ELU, He init",
                     "data": f"digits, {len(split.X_train)} train / {len(split.X_val)} val", "optimizer": "adam 1e-3"},
        "provenance": provenance(),
        "goals": GOALS,
        "ratios": {
            "sequential / ensemble": summary(ens_cpu, ens_wall, "sequential", "ensemble"),
            "sequential / ensemble (fused Adam)": summary(ens_cpu, ens_wall, "sequential", "ensemble, fused Adam"),
            **machine_rows,
            "fit / hand loop": summary(fit_cpu, fit_wall, "fit", "hand loop"),
            # Not paired (different rounds): a ratio of medians, for scale.
            "ensemble per member-epoch / hand loop per epoch": {
                "median_ratio": float(np.median(per_member["ensemble"]) / np.median(hand_epoch)),
                "median_a_us": float(np.median(per_member["ensemble"]) * 1e6),
                "median_b_us": float(np.median(hand_epoch) * 1e6)},
        },
        "seconds_cpu": {**ens_cpu, **fit_cpu},
        "seconds_wall": {**ens_wall, **fit_wall},
    }


def scaling(ks: list[int], epochs: int, batch_size: int, rounds: int) -> dict[str, object]:
    """CPU time per training step of a K-member ensemble for each K (interleaved), and the least-squares line
    step(K) = fixed + per_member * K next to a sequential fit's step: per_member / sequential step bounds what any
    K can gain on one core."""
    torch.set_num_threads(1)
    split = data.load_digits(seed=0)
    fc = FitConfig(epochs=epochs, batch_size=batch_size, optimizer="adam", lr=1e-3)
    steps = epochs * -(-len(split.X_train) // batch_size)
    seeds = [run_seeds(0, "bench-ensemble", rep) for rep in range(max(ks))]
    s = seeds[0]
    jobs = {f"K={k}": (lambda k=k: fit_ensemble(NET, split, fc, seeds[:k])) for k in ks}
    jobs["fit"] = lambda: fit(build_mlp(NET, generator=s.generator("init")), split, fc, s)
    cpu, _ = timed(jobs, rounds)
    per_step = {name: float(np.median(times)) / steps * 1e3 for name, times in cpu.items()}
    slope, intercept = np.polyfit(ks, [per_step[f"K={k}"] for k in ks], 1)
    return {"ms_per_step": per_step, "fixed_ms": float(intercept), "per_member_ms": float(slope),
            "sequential_ms": per_step["fit"], "one_core_bound": per_step["fit"] / float(slope)}


def show(result: dict[str, object]) -> None:
    """The ratios as the `dnnkit` report shows them (plus the wall-clock ratio of each row, for reference)."""
    from dnnkit.report import print_harness_speed

    print_harness_speed(result, title="bench_ensemble.py")
    walls = ", ".join(f"{name}: {r['median_ratio_wall']:.2f}" for name, r in result["ratios"].items()
                      if "median_ratio_wall" in r)
    print(f"wall-clock ratios: {walls}")


def write_json(result: dict[str, object], path: Path) -> None:
    """Atomic write (temp file + rename): an interrupted run leaves the previous file whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as tmp:
        json.dump(result, tmp, indent=2)
    os.replace(tmp.name, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=16, help="seeds trained together (default 16)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per K-seed training job (default 2)")
    parser.add_argument("--fit-epochs", type=int, default=6, help="epochs of the one-seed fit / hand loop jobs (default 6)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=7,
                        help="interleaved rounds (the fit comparison runs twice as many)")
    parser.add_argument("--workers", type=int, default=usable_cores(),
                        help="processes for the whole-machine row (default: the usable cores; 1 skips that row)")
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks/ensemble.json"))
    parser.add_argument("--scaling", action="store_true",
                        help="instead: CPU time per step for K = 1, 2, 4, ..., --k and the fixed + per-member cost line")
    args = parser.parse_args(argv)
    for name in ("k", "epochs", "fit_epochs", "batch_size", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} {getattr(args, name)} is not allowed; it must be >= 1")
    if args.rounds < 2:
        parser.error(f"--rounds {args.rounds} is not allowed; it must be >= 2")
    if args.scaling and args.k < 2:
        parser.error(f"--scaling with --k {args.k} is not allowed: fitting the cost line needs --k >= 2")
    if args.scaling:
        ks = sorted({2 ** i for i in range(args.k.bit_length()) if 2 ** i <= args.k} | {args.k})
        cost = scaling(ks, args.epochs, args.batch_size, args.rounds)
        for name, ms in cost["ms_per_step"].items():
            print(f"{name:>6}: {ms:.2f} ms per step")
        print(f"ensemble step = {cost['fixed_ms']:.2f} ms + {cost['per_member_ms']:.3f} ms x K; a sequential fit step "
              f"costs {cost['sequential_ms']:.2f} ms, so one core gains at most {cost['one_core_bound']:.1f}x "
              "however large K is")
        return
    result = run(args.k, args.epochs, args.batch_size, args.rounds, args.workers, args.fit_epochs)
    show(result)
    write_json(result, args.out)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
