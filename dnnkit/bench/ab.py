"""Same-runner A/B of two commits: the base commit in a git worktree and this checkout, each side in its own worker
processes (dnnkit.bench.worker; two per side by default), their kernels timed in interleaved rounds and decided with
the in-run gate's sign test (fail at a ratio > 1.10 with p < 0.01); or, with `instructions`, their instruction
counts under valgrind's callgrind (fail at > 5% more).

Why: CI runners are rarely the machine a baseline was recorded on, so absolute times from another day say more
about the host than the code (asv continuous, used by SciPy and pandas, also times both commits on one runner).
Unlike asv's sequential runs, every round times base and head back to back, in alternating order, so load drift
hits both alike. Each side runs in its own processes because one Python process cannot import two versions of a
package; only one worker runs at a time.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from ..evidence.regression import GATE_ALPHA, GATE_RATIO, GateResult, evaluate_gate

# Instruction counts are near deterministic: identical code gave x1.0000 on a 1M-element relu and an MLP forward,
# 20% more work x1.19 and x1.27 (Cachegrind, benchmarks/cachegrind_counts.py), so a count more than 5% up fails. Blind to caches, memory
# bandwidth and frequency: an option for a few CPU kernels, not a replacement for time.
INSTRUCTION_RATIO = 1.05
COUNT_CALLS = 20

WORKER = Path(__file__).with_name("worker.py")
# glibc moves its mmap threshold up after the first large free, so two processes that ran the same code can differ
# in whether each large tensor is a fresh mmap (page faults on every call) or reused heap: identical relu kernels
# measured 1.3x apart across two workers. Fixed thresholds switch that history off (PYTHONHASHSEED: dict order).
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(256 << 20),
              "PYTHONHASHSEED": "0"}
DEFAULT_BENCH = "ablations/bench_kernels.py"


class ABError(RuntimeError):
    """Something the user must fix (unknown ref, not a git checkout, a side that cannot run its benchmarks)."""


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ABError(f"git {' '.join(args)} failed in {root}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout.strip()


@contextmanager
def base_worktree(head_root: Path, ref: str) -> Iterator[tuple[Path, str]]:
    """A detached git worktree of `ref` (its path and commit), removed afterwards."""
    proc = subprocess.run(["git", "-C", str(head_root), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                          capture_output=True, text=True, check=False)
    commit = proc.stdout.strip() if proc.returncode == 0 and ref else ""
    if not commit:
        raise ABError(f"--base {ref!r} is not a commit of {head_root} (a branch, tag or SHA is allowed; in CI fetch "
                      "it first, e.g. git fetch origin main)")
    with tempfile.TemporaryDirectory(prefix="dnnkit-bench-base-") as tmp:
        path = Path(tmp) / "base"
        git(head_root, "worktree", "add", "--detach", str(path), commit)
        try:
            yield path, commit
        finally:
            subprocess.run(["git", "-C", str(head_root), "worktree", "remove", "--force", str(path)],
                           capture_output=True, check=False)


@dataclass
class Worker:
    """A running worker: its name, pipes, kernels (node ids) and the tests it could not offer (why)."""

    side: str
    proc: subprocess.Popen
    send: IO[str]
    recv: IO[str]
    log: Path
    kernels: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    timer: str = ""

    def ask(self, **request: Any) -> dict[str, Any]:
        self.send.write(json.dumps(request) + "\n")
        self.send.flush()
        line = self.recv.readline()
        if not line:
            raise ABError(f"{self.side} stopped; its log:\n{_tail(self.log)}")
        answer = json.loads(line)
        if "error" in answer:
            raise ABError(f"{self.side}, kernel {request.get('id')}: {answer['error']}")
        return answer

    def close(self) -> None:
        try:
            self.send.write(json.dumps({"op": "quit"}) + "\n")
            self.send.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


def launch_worker(name: str, root: Path, bench: str, pytest_args: Sequence[str], logdir: Path,
                  instructions: bool = False) -> Worker:
    """Start a worker in `root`; it runs the benchmark tests once before it answers (`ready` waits for that).
    With `instructions`, under valgrind's callgrind with collection off until a count switches it on."""
    if not (root / bench).exists():
        raise ABError(f"{name} has no {bench} (at {root}); pass --bench with the benchmark file's path")
    to_worker, from_coord = os.pipe()
    from_worker, to_coord = os.pipe()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])]),
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
           "MKL_NUM_THREADS": os.environ.get("MKL_NUM_THREADS", "1"), **MALLOC_ENV}
    env.pop("PYTEST_XDIST_WORKER", None)
    # -n 0 rather than -p no:xdist: plugins (dnnkit's among them) may implement xdist's hooks.
    serial = ["-n", "0"] if importlib.util.find_spec("xdist") is not None else []
    log = logdir / f"{name.replace(' ', '-')}.log"
    prefix: list[str] = []
    if instructions:
        if shutil.which("valgrind") is None:
            raise ABError("--instructions needs valgrind on PATH (Debian/Ubuntu: apt install valgrind)")
        env["DNNKIT_BENCH_CALLGRIND_OUT"] = str(log.with_suffix(".callgrind"))
        prefix = ["valgrind", "--tool=callgrind", "--collect-atstart=no", "--dump-instr=no",
                  f"--callgrind-out-file={env['DNNKIT_BENCH_CALLGRIND_OUT']}"]
    with log.open("w") as out:
        proc = subprocess.Popen([*prefix, sys.executable, str(WORKER), str(to_worker), str(to_coord), bench,
                                 "--benchmark-disable", *serial, "-p", "no:cacheprovider", "-q", *pytest_args],
                                cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                pass_fds=(to_worker, to_coord))
    os.close(to_worker)
    os.close(to_coord)
    return Worker(name, proc, os.fdopen(from_coord, "w"), os.fdopen(from_worker), log)


def ready(worker: Worker) -> Worker:
    """Wait for the worker's list of kernels (and of tests it could not offer)."""
    hello = worker.recv.readline()
    if not hello:
        worker.proc.wait()
        raise ABError(f"{worker.side} could not run its benchmarks (exit {worker.proc.returncode}); its log:\n"
                      f"{_tail(worker.log)}")
    info = json.loads(hello)
    worker.kernels, worker.skipped, worker.timer = info["kernels"], info["skipped"], info["timer"]
    return worker


@dataclass
class ABResult:
    """Every kernel both sides offer with its verdict (the timing gate's, or instruction counts'), and every kernel
    left out (why)."""

    base_ref: str
    base_commit: str
    head_commit: str
    head_dirty: bool
    rounds: int
    processes: int
    timer: str
    results: list[GateResult] | list[CountResult]
    skipped: dict[str, str]

    @property
    def mode(self) -> str:
        counted = bool(self.results) and isinstance(self.results[0], CountResult)
        return "same-runner A/B, instruction counts" if counted else "same-runner A/B"

    @property
    def regressions(self) -> list[GateResult] | list[CountResult]:
        return [r for r in self.results if r.regressed]  # type: ignore[return-value]

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "base_ref": self.base_ref, "base_commit": self.base_commit,
                "head_commit": self.head_commit, "head_dirty": self.head_dirty, "rounds": self.rounds,
                "processes_per_side": self.processes,
                "timer": self.timer, "results": [r.to_dict() for r in self.results], "skipped": self.skipped,
                "regressed": [r.name for r in self.regressions]}


def time_pairs(kernels: Sequence[str], bases: Sequence[Worker], heads: Sequence[Worker], *, rounds: int,
               min_block_s: float, warmup: int = 2,
               progress: Callable[[str], None] = lambda _: None) -> dict[str, tuple[list, list]]:
    """kernel -> (head seconds per call, base seconds per call), one pair per round.

    Round r times pair (r // 2) % P of the P worker pairs, base first on even rounds and head first on odd ones:
    each process's own luck (allocator state, buffer alignment) then spreads over the rounds instead of biasing
    all of them. Every worker uses the block size the slowest of them needs.
    """
    out = {}
    everyone = [*bases, *heads]
    for i, kernel in enumerate(kernels, 1):
        for w in everyone:
            w.ask(op="warmup", id=kernel, calls=warmup)
        inner = max(w.ask(op="calibrate", id=kernel, min_block_s=min_block_s)["inner"] for w in everyone)
        t: dict[str, list[float]] = {"base": [], "head": []}
        for r in range(rounds):
            pair = (r // 2) % len(bases)
            order = (("base", bases[pair]), ("head", heads[pair]))
            for side, w in (order if r % 2 == 0 else order[::-1]):
                t[side].append(w.ask(op="time", id=kernel, inner=inner)["s"])
        out[kernel] = (t["head"], t["base"])
        progress(f"[{i}/{len(kernels)}] {kernel}")
    return out


@dataclass(frozen=True)
class CountResult:
    """One kernel's instructions per call on both sides and the verdict: head/base above the threshold fails."""

    name: str
    base_ir: float
    head_ir: float
    threshold: float = INSTRUCTION_RATIO

    @property
    def ratio(self) -> float:
        return self.head_ir / self.base_ir if self.base_ir > 0 else float("inf")

    @property
    def regressed(self) -> bool:
        return self.ratio > self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "regressed": self.regressed}


def count_pairs(kernels: Sequence[str], base: Worker, head: Worker, *, calls: int = COUNT_CALLS,
                progress: Callable[[str], None] = lambda _: None) -> list[CountResult]:
    """Instructions per call of each kernel on both sides (after two warm-up calls), and the verdicts."""
    out = []
    for i, kernel in enumerate(kernels, 1):
        ir = []
        for w in (base, head):
            w.ask(op="warmup", id=kernel, calls=2)
            ir.append(w.ask(op="count", id=kernel, calls=calls)["ir"])
        out.append(CountResult(kernel, *ir))
        progress(f"[{i}/{len(kernels)}] {kernel}")
    return out


def _offered(workers: Sequence[Worker]) -> tuple[list[str], dict[str, str]]:
    """Kernels every worker of one side offers, and the reasons for the others (the first worker's words)."""
    skipped: dict[str, str] = {}
    for w in workers:
        skipped = {**w.skipped, **skipped}
    kernels = [k for k in workers[0].kernels if all(k in w.kernels for w in workers) and k not in skipped]
    return kernels, skipped


def decide(pairs: dict[str, tuple[list[float], list[float]]], *, threshold: float = GATE_RATIO,
           alpha: float = GATE_ALPHA) -> list[GateResult]:
    """The gate's verdict per kernel on measured rounds: head is the candidate, base the reference."""
    return [evaluate_gate(h, b, name=k, threshold=threshold, alpha=alpha) for k, (h, b) in pairs.items()]


def run_ab(head_root: Path, base_ref: str, *, bench: str = DEFAULT_BENCH, rounds: int = 30,
           processes: int = 2, min_block_s: float = 5e-3, pytest_args: Sequence[str] = (),
           instructions: bool = False, progress: Callable[[str], None] = lambda _: None) -> ABResult:
    """Time the kernels of `bench` at `base_ref` (a git worktree) and in `head_root`, interleaved over `processes`
    worker processes per side, and decide each kernel with the in-run gate. With `instructions`, count each
    kernel's instructions per call instead (one callgrind worker per side; slow: select a few kernels)."""
    if not isinstance(rounds, int) or rounds < 8:
        raise ABError(f"--rounds {rounds!r} is too few: the sign test needs >= 8 rounds to reach p < 0.01")
    processes = 1 if instructions else processes  # counts do not depend on a process's luck
    if not isinstance(processes, int) or not 1 <= processes <= rounds // 2:
        raise ABError(f"--processes {processes!r} is not allowed: 1 to rounds/2 ({rounds // 2}) per side")
    head_root = Path(git(head_root, "rev-parse", "--show-toplevel"))
    head_commit = git(head_root, "rev-parse", "HEAD")
    dirty = bool(git(head_root, "status", "--porcelain", "--untracked-files=no"))
    with base_worktree(head_root, base_ref) as (base_root, base_commit), \
            tempfile.TemporaryDirectory(prefix="dnnkit-bench-logs-") as logs:
        progress(f"base {base_ref} ({base_commit[:10]}) in {base_root}; head {head_root} ({head_commit[:10]}"
                 f"{', uncommitted changes' if dirty else ''}); starting {processes} worker(s) per side")
        workers: dict[str, list[Worker]] = {"base": [], "head": []}
        try:
            # All start at once: their first pass over the tests is not timed.
            for i in range(processes):
                for side, root in (("base", base_root), ("head", head_root)):
                    workers[side].append(launch_worker(f"{side} worker {i + 1}", root, bench, pytest_args,
                                                       Path(logs), instructions))
            for w in (*workers["base"], *workers["head"]):
                ready(w)
            (base_k, base_skip), (head_k, head_skip) = _offered(workers["base"]), _offered(workers["head"])
            how = "callgrind instruction counts" if instructions else workers["head"][0].timer
            progress(f"{len(base_k)} kernels in base, {len(head_k)} in head ({how})")
            skipped = {**{k: f"base: {why}" for k, why in base_skip.items()},
                       **{k: f"head: {why}" for k, why in head_skip.items()}}
            skipped.update({k: "new in head (not in base)" for k in head_k if k not in base_k})
            skipped.update({k: "only in base (removed or renamed in head)" for k in base_k if k not in head_k})
            common = [k for k in head_k if k in base_k]
            if instructions:
                results: list = count_pairs(common, workers["base"][0], workers["head"][0], progress=progress)
            else:
                results = decide(time_pairs(common, workers["base"], workers["head"], rounds=rounds,
                                            min_block_s=min_block_s, progress=progress))
        finally:
            for w in (*workers["base"], *workers["head"]):
                w.close()
    return ABResult(base_ref, base_commit, head_commit, dirty, rounds, processes, how, results, skipped)


def _line(r: GateResult | CountResult) -> str:
    flag = "  REGRESSION" if r.regressed else ""
    name = r.name.split("::", 1)[-1]
    if isinstance(r, CountResult):
        return f"  {name}: x{r.ratio:.4f} instructions, {r.base_ir:,.0f} -> {r.head_ir:,.0f} per call{flag}"
    return (f"  {name}: x{r.ratio:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}], p(slower) {r.p_value:.2g}, "
            f"{r.slower_rounds}/{r.rounds} rounds slower, {r.reference_us:.1f} -> {r.candidate_us:.1f} us{flag}")


def format_ab(result: ABResult) -> str:
    """Mode, commits, one line per kernel (ratio head/base and the evidence), what was left out, and the result."""
    head = result.head_commit[:10] + (" + uncommitted changes" if result.head_dirty else "")
    counted = result.mode.endswith("instruction counts")
    how = (f"{COUNT_CALLS} calls per kernel under callgrind; a kernel fails at instructions head/base > "
           f"{INSTRUCTION_RATIO:g}" if counted else
           f"{result.rounds} interleaved rounds per kernel over {result.processes} process(es) per side, timer: "
           f"{result.timer}; a kernel fails at ratio head/base > {GATE_RATIO:g} with sign-test p < {GATE_ALPHA:g}")
    lines = [f"mode: {result.mode}, base {result.base_ref} ({result.base_commit[:10]}) vs head {head}; {how}"]
    lines += [_line(r) for r in sorted(result.results, key=lambda r: -r.ratio)]
    if result.skipped:
        lines.append(f"  not compared ({len(result.skipped)}):")
        lines += [f"    {k.split('::', 1)[-1]}: {why}" for k, why in sorted(result.skipped.items())]
    total = len(result.results) + len(result.skipped)
    if result.regressions:
        worst = ", ".join(f"{r.name.split('::', 1)[-1]} x{r.ratio:.2f}"
                          + ("" if isinstance(r, CountResult) else f" (p {r.p_value:.2g})")
                          for r in sorted(result.regressions, key=lambda r: -r.ratio))
        lines.append(f"FAIL ({result.mode}): {len(result.regressions)} of {len(result.results)} kernels "
                     f"regressed: {worst}")
    else:
        lines.append(f"PASS ({result.mode}): none of {len(result.results)} kernels (of {total}) regressed")
    return "\n".join(lines)
