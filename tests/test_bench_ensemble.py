"""benchmarks/bench_ensemble.py end to end at a tiny size: the record it writes, its kernel floor and the ceiling
that floor implies, and its refusal of bad options."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_ensemble.py"


@pytest.fixture
def bench():
    spec = importlib.util.spec_from_file_location("bench_ensemble", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    threads = torch.get_num_threads()
    yield module
    torch.set_num_threads(threads)  # the benchmark pins one thread, as each xdist worker runs


def test_the_record_keeps_each_step_beside_its_floor(bench, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "ensemble.json"
    bench.main(["--k", "2", "--epochs", "1", "--fit-epochs", "1", "--batch-size", "256", "--rounds", "2",
                "--workers", "2", "--out", str(out)])
    record = json.loads(out.read_text())
    assert set(record["ratios"]) == {
        "sequential / ensemble (K=2, batch 256)", "sequential / ensemble, fused Adam (K=2, batch 256)",
        "sequential / ensemble over 2 processes, fused Adam (K=2, batch 256, wall clock)", "fit / hand loop"}
    step = record["steps"]["K=2, batch 256"]
    kernels = step["floor_kernels_ms"]
    assert set(kernels) == {"gemm", "validation_gemm", "activation", "optimizer_adam", "optimizer_adam_fused"}
    assert all(ms > 0 for ms in kernels.values())
    shared = kernels["gemm"] + kernels["validation_gemm"] + kernels["activation"]
    assert step["floor_ms_per_step"] == pytest.approx(shared + kernels["optimizer_adam"])
    assert step["floor_fused_ms_per_step"] == pytest.approx(shared + kernels["optimizer_adam_fused"])
    # The ceiling is K sequential member steps over the floor: the ratio a step of nothing but the floor would give.
    sequential = 2 * step["sequential_fit_ms_per_member_step"]
    assert step["ceiling_ratio"] == pytest.approx(sequential / step["floor_ms_per_step"])
    assert step["ceiling_ratio_fused"] == pytest.approx(sequential / step["floor_fused_ms_per_step"])
    # Over 2 processes each trains one member: the ceiling is the K sequential steps over one member's floor.
    assert step["ceiling_ratio_processes_fused"] == pytest.approx(sequential / step["floor_fused_share_ms_per_step"])
    printed = capsys.readouterr().out
    assert "beside its kernel floor" in printed and "one process gains at most" in printed


@pytest.mark.parametrize("argv, message", [(["--rounds", "1"], "--rounds 1 is not allowed"),
                                           (["--k", "0"], "--k 0 is not allowed"),
                                           (["--scaling", "--k", "1"], "needs --k >= 2")])
def test_bad_options_are_refused_with_what_is_allowed(bench, argv, message, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        bench.main(argv)
    assert message in capsys.readouterr().err
