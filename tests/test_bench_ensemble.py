"""benchmarks/bench_ensemble.py end to end at a tiny size: the record it writes, its kernel floor and the ceiling
that floor implies, and its refusal of bad options."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
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
                "--workers", "4", "--out", str(out)])  # 4 > K: 2 processes run
    record = json.loads(out.read_text())
    assert set(record["ratios"]) == {
        "sequential / ensemble (K=2, batch 256)", "sequential / ensemble, fused Adam (K=2, batch 256)",
        "sequential / ensemble over 2 processes (K=2, batch 256, wall clock)",
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
    assert step["processes"] == 2
    assert step["ceiling_ratio_processes"] == pytest.approx(sequential / step["floor_share_ms_per_step"])
    assert step["ceiling_ratio_processes_fused"] == pytest.approx(sequential / step["floor_fused_share_ms_per_step"])
    printed = capsys.readouterr().out
    assert "beside its kernel floor" in printed and "one process gains at most" in printed


def test_the_floor_times_the_gemms_a_training_step_and_its_validation_run(bench, monkeypatch) -> None:
    """The floor's GEMMs are not a model of the step but its very products: the same shapes, transposes and biases
    that _plain_step and evaluate_members hand to _bmm, once per timed call."""
    from dnnkit.nn.models import build_mlp
    from dnnkit.train import ensemble

    calls: list[tuple] = []
    real = ensemble._bmm

    def spy(a, b, bias=None):
        calls.append((tuple(a.shape), tuple(a.stride()[1:]), tuple(b.shape), tuple(b.stride()[1:]), bias is None))
        return real(a, b, bias)

    monkeypatch.setattr(ensemble, "_bmm", spy)
    k, batch, n_val = 3, 8, 20
    net = ensemble.StackedMLP([build_mlp(bench.NET, generator=torch.Generator().manual_seed(i)) for i in range(k)])
    ensemble._plain_step(net, net.plan, torch.randn(k, batch, bench.NET.n_inputs), torch.randint(0, 10, (k, batch)))
    step = Counter(calls)
    calls.clear()
    ensemble.evaluate_members(net, torch.randn(n_val, bench.NET.n_inputs), torch.randint(0, 10, (n_val,)))
    validation = Counter(calls)
    calls.clear()
    bench.kernel_floor(k, batch, n_train=100, n_val=n_val, reps=1)
    timed_calls = 2  # the warm-up call and reps=1
    assert Counter(calls) == Counter({c: n * timed_calls for c, n in (step + validation).items()})


@pytest.mark.parametrize("argv, message", [(["--rounds", "1"], "--rounds 1 is not allowed"),
                                           (["--k", "0"], "--k 0 is not allowed"),
                                           (["--scaling", "--k", "1"], "needs --k >= 2")])
def test_bad_options_are_refused_with_what_is_allowed(bench, argv, message, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        bench.main(argv)
    assert message in capsys.readouterr().err
