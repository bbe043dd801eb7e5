"""Does an instruction count (valgrind's Cachegrind) separate a 20% slowdown from identical code? And at what cost?

Valgrind 3.19 cannot switch Cachegrind's counting on around one call, so the count of one kernel call is a
difference: a process that calls the kernel N1 + calls times minus one that calls it N1 times (same import, same
setup), divided by the calls. Each kernel runs as `base` twice (two processes: what identical code gives) and as `slow`
(20% more work: 1.2x the elements or rows); one N1-call process serves all three (the setup is the same). Run:

    python benchmarks/cachegrind_counts.py                 # relu and mlp; prints the counts and the cost
    python benchmarks/cachegrind_counts.py --kernels relu --out /tmp/cachegrind.json

Needs valgrind on PATH (Debian/Ubuntu: `apt install valgrind`); torch on one thread.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# kernel -> (size of the base variant, size of the 20%-slower variant, calls in the difference): elements of a
# relu, rows of an MLP batch. The whole process (torch's import) varies by ~1M instructions between runs, so 10
# calls of a 560k-instruction relu gave identical code x0.74; the calls make the kernel's share >= ~300M.
KERNELS = {"relu": (1 << 20, int(1.2 * (1 << 20)), 500), "mlp": (256, 307, 30), "train_step": (32, 38, 100)}
N1 = 10

CHILD = r"""
import sys, torch
torch.set_num_threads(1)
from dnnkit.nn.activations import make_activation
from dnnkit.nn.models import MLPConfig, build_mlp
import torch.nn.functional as F
kernel, size, full, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
g = torch.Generator().manual_seed(0)
# Inputs of the larger variant's size, sliced: every variant's process does the same setup work.
if kernel == "relu":
    act, x = make_activation("relu").eval(), torch.randn(full, generator=g)[:size]
    def fn():
        with torch.inference_mode():
            return act(x)
elif kernel == "mlp":
    model = build_mlp(MLPConfig(n_inputs=256, n_outputs=10, depth=5, width=256, activation="relu"), generator=g).eval()
    x = torch.randn(full, 256, generator=g)[:size]
    def fn():
        with torch.inference_mode():
            return model(x)
else:
    model = build_mlp(MLPConfig(n_inputs=64, n_outputs=10, depth=5, width=100), generator=g)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(full, 64, generator=g)[:size], torch.randint(0, 10, (full,), generator=g)[:size]
    def fn():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
fn(); fn()  # warm-up in every process alike: lazy init is not the kernel
for _ in range(calls):
    fn()
"""


def instructions(kernel: str, size: int, calls: int, workdir: Path) -> tuple[int, float]:
    """Total instructions (Ir) of one process that calls `kernel` `calls` times, and its wall seconds."""
    out = workdir / f"cg.{kernel}.{size}.{calls}.{time.monotonic_ns()}"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONPATH": str(ROOT),
           "PYTHONHASHSEED": "0"}
    t0 = time.perf_counter()
    proc = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out}",
                           sys.executable, "-c", CHILD, kernel, str(size), str(KERNELS[kernel][1]), str(calls)],
                          capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - t0
    match = re.search(r"I\s+refs:\s+([\d,]+)", proc.stderr)
    if proc.returncode != 0 or match is None:
        raise RuntimeError(f"valgrind run of {kernel} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return int(match.group(1).replace(",", "")), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", nargs="+", default=["relu", "mlp"], choices=list(KERNELS))
    parser.add_argument("--out", type=Path, default=None, help="write the counts and costs as JSON here")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not on PATH (Debian/Ubuntu: apt install valgrind)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kernel in args.kernels:
            base_size, slow_size, calls = KERNELS[kernel]
            n2 = N1 + calls
            # The setup is the same in every process (see CHILD), so one N1-call process serves all three.
            runs = [instructions(kernel, size, n, Path(tmp))
                    for size, n in ((base_size, N1), (base_size, n2), (base_size, n2), (slow_size, n2))]
            (i1, _), (base1, _), (base2, _), (slow, _) = runs
            per_call = [(i - i1) / calls for i in (base1, base2, slow)]
            row = {"kernel": kernel, "base_ir": per_call[0], "base_again_ir": per_call[1], "slow_ir": per_call[2],
                   "identical_ratio": per_call[1] / per_call[0], "slow_ratio": per_call[2] / per_call[0],
                   "seconds_per_process": [round(s, 1) for _, s in runs]}
            rows.append(row)
            print(f"{kernel}: {per_call[0]:,.0f} instructions/call; identical code x{row['identical_ratio']:.4f}; "
                  f"20% more work x{row['slow_ratio']:.4f}; seconds per valgrind process "
                  f"{row['seconds_per_process']}", flush=True)
    if args.out is not None:
        args.out.write_text(json.dumps({"rows": rows, "n1": N1, "kernels": KERNELS,
                                        "valgrind": shutil.which("valgrind")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
