"""`dnnkit bench --base REF` (dnnkit.bench.ab, worker, cli): same-runner A/B of two commits. The decisions are
tested on injected timings (no timing assertion here); one run on a throw-away git repository checks the
mechanics: the base worktree, both workers, kernels new, removed and skipped, and the worktree's removal."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from dnnkit.bench import ab, cli
from dnnkit.evidence.regression import GateResult


class FakeWorker:
    """A worker whose kernels take `base_s * slowdown` seconds per call, with multiplicative noise."""

    def __init__(self, side: str, slowdown: dict[str, float], seed: int, log: list[str]) -> None:
        self.side, self.slowdown, self.log = side, slowdown, log
        self.rng = np.random.default_rng(seed)

    def ask(self, **req) -> dict:
        if req["op"] == "calibrate":
            return {"inner": 4 if self.side == "head2" else 2}
        if req["op"] == "time":
            self.log.append(f"{self.side}:{req['inner']}")
            return {"s": 1e-3 * self.slowdown.get(req["id"], 1.0) * float(np.exp(self.rng.normal(0, 0.05)))}
        return {"ok": True}


def _measure(slowdown: dict[str, float], rounds: int = 30) -> tuple[dict[str, GateResult], list[str]]:
    log: list[str] = []
    bases = [FakeWorker("base", {}, 1, log), FakeWorker("base2", {}, 3, log)]
    heads = [FakeWorker("head", slowdown, 2, log), FakeWorker("head2", slowdown, 4, log)]
    pairs = ab.time_pairs(["same", "slowed"], bases, heads, rounds=rounds, min_block_s=1e-3)  # type: ignore[arg-type]
    return {r.name: r for r in ab.decide(pairs)}, log


def test_a_20_percent_slowdown_fails_and_identical_code_passes() -> None:
    results, _ = _measure({"slowed": 1.2})
    assert results["slowed"].regressed and results["slowed"].ratio == pytest.approx(1.2, rel=0.05)
    assert not results["same"].regressed


def test_a_5_percent_slowdown_stays_below_the_gate() -> None:
    results, _ = _measure({"slowed": 1.05})
    assert not results["slowed"].regressed


def test_rounds_alternate_sides_and_processes_and_share_the_largest_block() -> None:
    _, log = _measure({}, rounds=8)
    assert log[:16] == ["base:4", "head:4", "head:4", "base:4", "base2:4", "head2:4", "head2:4", "base2:4"] * 2


def _result(regressed: bool) -> ab.ABResult:
    gate = GateResult(name="bench.py::test_k", ratio=1.25 if regressed else 1.01, ci_low=1.2, ci_high=1.3,
                      p_value=1e-6 if regressed else 0.4, rounds=30, slower_rounds=30 if regressed else 16,
                      candidate_us=125.0, reference_us=100.0)
    return ab.ABResult("main", "a" * 40, "b" * 40, True, 30, 2, "process CPU time", [gate],
                       {"bench.py::test_new": "new in head (not in base)"})


@pytest.mark.parametrize("regressed", [True, False])
def test_cli_base_output_and_exit_status(regressed: bool, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    monkeypatch.setattr(ab, "run_ab", lambda *a, **k: _result(regressed))
    assert cli.main(["--base", "main", "--json", str(tmp_path / "ab.json")]) == int(regressed)
    out = capsys.readouterr().out
    assert "mode: same-runner A/B, base main (aaaaaaaaaa) vs head bbbbbbbbbb + uncommitted changes" in out
    assert "test_new: new in head (not in base)" in out
    verdict = "FAIL (same-runner A/B): 1 of 1 kernels regressed: test_k x1.25" if regressed else "PASS (same-runner"
    assert verdict in out and "Traceback" not in out
    assert (tmp_path / "ab.json").read_text().count('"regressed": true') == int(regressed)


def test_cli_base_error_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    def fail(*args, **kwargs):
        raise ab.ABError("--base 'nope' is not a commit")

    monkeypatch.setattr(ab, "run_ab", fail)
    assert cli.main(["--base", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "dnnkit bench: error: --base 'nope' is not a commit"


def test_too_few_rounds_or_processes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ab.ABError, match="needs >= 8 rounds"):
        ab.run_ab(tmp_path, "HEAD", rounds=4)
    with pytest.raises(ab.ABError, match="--processes 0 is not allowed"):
        ab.run_ab(tmp_path, "HEAD", processes=0)


BENCH_BASE = '''
import pytest


def work(n):
    return sum(range(n))


def test_kept(benchmark):
    assert benchmark(work, 3000) == sum(range(3000))


def test_removed(benchmark):
    benchmark.pedantic(work, args=(3000,), rounds=3)


def test_gpu_only(benchmark):
    pytest.skip("needs a GPU")
'''


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_ab_on_a_git_repository(tmp_path: Path) -> None:
    """Base commit: kept, removed, gpu_only; head (uncommitted): kept, added. Only `kept` is timed on both sides."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "bench_k.py").write_text(BENCH_BASE)
    _git(repo, "init", "-q")
    _git(repo, "add", "bench_k.py")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "base")
    (repo / "bench_k.py").write_text(BENCH_BASE.replace("def test_removed", "def test_added"))
    with pytest.raises(ab.ABError, match="is not a commit"):
        ab.run_ab(repo, "no-such-branch", bench="bench_k.py")
    result = ab.run_ab(repo, "HEAD", bench="bench_k.py", rounds=8, min_block_s=1e-3,
                       pytest_args=["-p", "no:dnnkit"])
    assert [r.name for r in result.results] == ["bench_k.py::test_kept"] and result.results[0].rounds == 8
    assert result.head_dirty and result.base_commit == result.head_commit
    assert result.skipped["bench_k.py::test_added"] == "new in head (not in base)"
    assert result.skipped["bench_k.py::test_removed"] == "only in base (removed or renamed in head)"
    assert result.skipped["bench_k.py::test_gpu_only"].startswith("head: skipped: ") and result.processes == 2
    worktrees = subprocess.run(["git", "-C", str(repo), "worktree", "list"], capture_output=True, text=True).stdout
    assert len(worktrees.splitlines()) == 1  # the base worktree is gone


def test_instruction_counts_fail_above_5_percent(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture) -> None:
    same, slowed = ab.CountResult("b.py::same", 1e6, 1e6), ab.CountResult("b.py::slowed", 1e6, 1.2e6)
    assert not same.regressed and slowed.regressed and not ab.CountResult("b.py::x", 1e6, 1.04e6).regressed
    seen: dict = {}

    def fake_run(*args, **kwargs):
        seen.update(kwargs)
        return ab.ABResult("main", "a" * 40, "b" * 40, False, 30, 1, "callgrind instruction counts",
                           [same, slowed], {})

    monkeypatch.setattr(ab, "run_ab", fake_run)
    assert cli.main(["--base", "main", "--instructions", "-k", "relu"]) == 1
    out = capsys.readouterr().out
    assert seen["instructions"] is True and seen["pytest_args"] == ["-k", "relu"]
    assert "mode: same-runner A/B, instruction counts" in out and "slowed: x1.2000 instructions" in out
    assert "FAIL (same-runner A/B, instruction counts): 1 of 2 kernels regressed: slowed x1.20" in out


def test_callgrind_dump_totals_are_read_from_the_newest_dump(tmp_path: Path) -> None:
    from dnnkit.bench.worker import last_dump_instructions

    out = tmp_path / "w.callgrind"
    (tmp_path / "w.callgrind.2").write_text("events: Ir\nfl=x\n1 5\ntotals: 2000\n")
    (tmp_path / "w.callgrind.10").write_text("events: Ir\nsummary: 3000\n")
    (tmp_path / "w.callgrind.log").write_text("not a dump")
    assert last_dump_instructions(out) == 3000
    with pytest.raises(RuntimeError, match="no callgrind dump"):
        last_dump_instructions(tmp_path / "other.callgrind")


@dataclass
class FakeCounter:
    """A worker (a dataclass, unhashable like the real one) answering instruction counts."""

    side: str
    ir: dict[str, float]

    def ask(self, **req) -> dict:
        return {"ir": self.ir[req["id"]]} if req["op"] == "count" else {"ok": True}


def test_count_pairs_decides_each_kernel() -> None:
    base = FakeCounter("base", {"same": 5e5, "slowed": 5e5})
    head = FakeCounter("head", {"same": 5e5, "slowed": 6e5})
    results = ab.count_pairs(["same", "slowed"], base, head)  # type: ignore[arg-type]
    assert [(r.name, r.ratio, r.regressed) for r in results] == [("same", 1.0, False), ("slowed", 1.2, True)]
