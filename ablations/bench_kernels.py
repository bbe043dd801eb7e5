"""Kernel benchmarks (pytest-benchmark), grouped so that each comparison table reads as one question.

Run serially (pytest-benchmark switches itself off under xdist):
    python -m pytest ablations/bench_kernels.py -n 0 --benchmark-only --benchmark-json=results/benchmarks/latest.json
or `tox -e bench`, which also compares against the committed baseline. Under `-n 2 --benchmark-disable` every test
here runs its kernel once, as a smoke test.

Timing (ablations/conftest.py): inputs are built before the timed call, `run_bench` warms up and calibrates the
block size (rounds of >= 5 ms); the timer is the process's CPU time on a 1-thread CPU run (load from other jobs does
not count) and otherwise wall time synchronized with the accelerator at round boundaries. Single numbers across runs are noise on shared machines; what decides a timing claim is an interleaved
in-run comparison (`dnnkit.timing`, `dnnkit.regression.gate`), as in the `regression gate` group below.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dnnkit.evidence import regression
from dnnkit.nn.activations import ACTIVATIONS, make_activation
from dnnkit.nn.batchnorm import fold_batchnorm
from dnnkit.nn.models import MLP, MLPConfig, build_mlp

pytestmark = pytest.mark.bench

WIDTH = 256
BATCH = 256
GATE_ROUNDS = 30


def _size(device: torch.device, cpu: int, cuda: int) -> int:
    """A problem size per device: kernels should take >= 50 us, and a GPU does 1M elements in a few us."""
    return cuda if device.type == "cuda" else cpu


def _randn(*shape: int, device: torch.device, seed: int = 0) -> torch.Tensor:
    # Drawn on the CPU from a seeded generator, so every device benchmarks the same numbers.
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)).to(device)


def _labels(n: int, device: torch.device, classes: int = 10, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, classes, (n,), generator=torch.Generator().manual_seed(seed)).to(device)


def _mlp(device: torch.device, *, n_inputs: int = WIDTH, depth: int = 5, width: int = WIDTH, **config: Any) -> MLP:
    cfg = MLPConfig(n_inputs=n_inputs, n_outputs=10, depth=depth, width=width, **config)
    return build_mlp(cfg, generator=torch.Generator().manual_seed(0), device=device)


def _inference(fn: Callable[..., torch.Tensor], *args: Any) -> Callable[[], torch.Tensor]:
    """fn(*args) without autograd bookkeeping: what inference costs."""

    def call() -> torch.Tensor:
        with torch.inference_mode():
            return fn(*args)

    return call


# ------------------------------------------------------------------------------------------------------------
# activations
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_forward(run_bench, bench_device, name: str) -> None:
    """Forward of every registered activation on a large tensor (inference)."""
    x = _randn(_size(bench_device, 1 << 20, 1 << 24), device=bench_device)
    act = make_activation(name).to(bench_device).eval()
    out = run_bench(_inference(act, x), group="activation forward (1M elements CPU, 16M CUDA)")
    assert out.shape == x.shape and torch.isfinite(out).all()


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_forward_backward(run_bench, bench_device, name: str) -> None:
    """Forward and backward (gradient w.r.t. the input) of every registered activation, in train mode."""
    x = _randn(_size(bench_device, 1 << 20, 1 << 24), device=bench_device).requires_grad_()
    grad_out = torch.ones_like(x)
    act = make_activation(name).to(bench_device).train()

    def forward_backward() -> torch.Tensor:
        # autograd.grad rather than backward(): nothing accumulates in x.grad between calls.
        return torch.autograd.grad(act(x), x, grad_out)[0]

    grad = run_bench(forward_backward, group="activation forward+backward (1M elements CPU, 16M CUDA)")
    assert grad.shape == x.shape and torch.isfinite(grad).all()


# ------------------------------------------------------------------------------------------------------------
# dropout and MC dropout
# ------------------------------------------------------------------------------------------------------------

# mode -> (dropout rate of the net, train mode?)
DROPOUT_MODES = {"none": (0.0, False), "train": (0.5, True), "eval": (0.5, False)}


@pytest.mark.parametrize("mode", list(DROPOUT_MODES))
def test_dropout_forward(run_bench, bench_device, mode: str) -> None:
    """A 5x256 ReLU MLP's forward without dropout, with dropout in train mode, and with dropout in eval mode."""
    rate, train = DROPOUT_MODES[mode]
    model = _mlp(bench_device, activation="relu", dropout=rate).train(train)
    x = _randn(BATCH, WIDTH, device=bench_device)
    out = run_bench(_inference(model, x), group=f"dropout: 5x{WIDTH} MLP forward, batch {BATCH}")
    assert out.shape == (BATCH, 10)


def _mc_dropout_probs(model: nn.Module, x: torch.Tensor, k: int) -> torch.Tensor:
    """Mean softmax over K stochastic passes; the caller has put dropout in train mode and everything else in eval."""
    return torch.stack([model(x).softmax(-1) for _ in range(k)]).mean(0)


@pytest.mark.parametrize("k", [1, 10, 100])
def test_mc_dropout(run_bench, bench_device, k: int) -> None:
    """MC dropout with K = 1, 10, 100 passes (cost should grow linearly in K)."""
    model = _mlp(bench_device, activation="relu", dropout=0.5).eval()
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.train()
    x = _randn(32, WIDTH, device=bench_device)
    probs = run_bench(_inference(_mc_dropout_probs, model, x, k), group="MC dropout: K passes, 5x256 MLP, batch 32",
                      rounds=5 if k >= 100 else 20, passes=k)
    assert torch.allclose(probs.sum(-1), torch.ones(32, device=bench_device), atol=1e-4)


# ------------------------------------------------------------------------------------------------------------
# batch norm folding
# ------------------------------------------------------------------------------------------------------------


def _bn_model(device: torch.device) -> MLP:
    """3 Linear+BN(+ELU) blocks with non-trivial moving statistics (a few train-mode passes on shifted data)."""
    model = _mlp(device, depth=3, batch_norm="before", bn_momentum=0.5)
    with torch.no_grad():
        for seed in range(5):
            model(_randn(BATCH, WIDTH, device=device, seed=seed) * 2 + 0.5)
    return model.eval()


@pytest.mark.parametrize("batch", [1, BATCH])
@pytest.mark.parametrize("variant", ["bn", "folded"])
def test_bn_folding(run_bench, bench_device, variant: str, batch: int) -> None:
    """Linear+BatchNorm blocks vs the same blocks folded into the Linear layers, at batch 1 and 256."""
    model = _bn_model(bench_device)
    net = model if variant == "bn" else fold_batchnorm(model)
    x = _randn(batch, WIDTH, device=bench_device, seed=9)
    out = run_bench(_inference(net, x), group=f"BN folding: 3 Linear+BN blocks of {WIDTH}, batch {batch}")
    with torch.no_grad():
        assert torch.allclose(out, model(x), atol=1e-4)


# ------------------------------------------------------------------------------------------------------------
# inference dtype
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16"])
def test_inference_dtype(run_bench, bench_device, dtype: str) -> None:
    """A 5x512 MLP's inference in float32 vs bfloat16 (and float16 on CUDA)."""
    if dtype == "float16" and bench_device.type != "cuda":
        pytest.skip("float16 inference is benchmarked on CUDA only (no CUDA device here): CPU float16 matmuls "
                    "are not a deployment target; bfloat16 is the CPU half-precision format")
    torch_dtype = getattr(torch, dtype)
    model = _mlp(bench_device, width=512, n_inputs=512).to(torch_dtype).eval()
    x = _randn(BATCH, 512, device=bench_device).to(torch_dtype)
    out = run_bench(_inference(model, x), group=f"inference dtype: 5x512 MLP, batch {BATCH}")
    assert out.dtype == torch_dtype and torch.isfinite(out).all()


# ------------------------------------------------------------------------------------------------------------
# training throughput by batch size (Ng's vectorization argument for mini-batches)
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [1, 32, 256, 1024])
def test_training_step(run_bench, bench_device, batch: int) -> None:
    """One Adam step (forward, loss, backward, update) of a 5x100 ELU MLP on 64 inputs; samples/s in extra_info."""
    model = _mlp(bench_device, n_inputs=64, width=100)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = _randn(batch, 64, device=bench_device), _labels(batch, bench_device)

    def step() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.detach()

    loss = run_bench(step, group="training step by batch size (see samples_per_s)", samples=batch)
    assert torch.isfinite(loss)


# ------------------------------------------------------------------------------------------------------------
# transfer learning: frozen layers recomputed every step vs cached once
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["recomputed", "cached"])
def test_frozen_layers(run_bench, bench_device, variant: str) -> None:
    """One epoch (512 samples, batch 32) training the top layer + head over 4 frozen hidden layers."""
    source = _mlp(bench_device, n_inputs=64, width=100)
    body = nn.Sequential(source.input, *source.hidden[:4]).eval().requires_grad_(False)
    head = nn.Sequential(copy.deepcopy(source.hidden[4]), nn.Linear(100, 5)).to(bench_device)
    opt = torch.optim.Adam(head.parameters(), lr=1e-3)
    x, y = _randn(512, 64, device=bench_device), _labels(512, bench_device, classes=5)
    batches = torch.randperm(512, generator=torch.Generator().manual_seed(2)).to(bench_device).split(32)
    with torch.no_grad():
        cached = body(x)  # paid once per training run, not per epoch: outside the timed call

    def epoch() -> torch.Tensor:
        for idx in batches:
            if variant == "cached":
                h = cached[idx]
            else:
                with torch.no_grad():
                    h = body(x[idx])
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(head(h), y[idx])
            loss.backward()
            opt.step()
        return loss.detach()

    loss = run_bench(epoch, group="transfer: one epoch over 4 frozen layers", samples=512)
    assert torch.isfinite(loss)


# ------------------------------------------------------------------------------------------------------------
# the in-run regression gate: candidate vs reference, interleaved, fails at ratio > 1.10 with p < 0.01
# ------------------------------------------------------------------------------------------------------------


def _functional_mlp(model: MLP) -> Callable[[torch.Tensor], torch.Tensor]:
    """The same ReLU MLP as plain F.linear/F.relu calls: the floor any module wrapper is measured against."""
    params = [(lin.weight, lin.bias) for lin in model.linears()]

    def forward(x: torch.Tensor) -> torch.Tensor:
        for w, b in params[:-1]:
            x = F.relu(F.linear(x, w, b))
        return F.linear(x, *params[-1])

    return forward


def _gate_case(case: str, device: torch.device) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """(candidate, reference) of one gate; each pair must stay within 10% (the candidate may be faster)."""
    x = _randn(BATCH, WIDTH, device=device, seed=3)
    if case == "folded BN vs BN":
        model = _bn_model(device)
        return _inference(fold_batchnorm(model), x), _inference(model, x)
    if case == "dropout eval vs no dropout":
        return (_inference(_mlp(device, activation="relu", dropout=0.5).eval(), x),
                _inference(_mlp(device, activation="relu").eval(), x))
    if case == "MLP module vs functional":
        # Batch 1024: module dispatch (~17 calls) stays a few % of the forward; at 256 it was 7%, too near 10%.
        x = _randn(4 * BATCH, WIDTH, device=device, seed=3)
        model = _mlp(device, activation="relu").eval()
        return _inference(model, x), _inference(_functional_mlp(model), x)
    raise ValueError(f"unknown gate case {case!r}")


@pytest.mark.parametrize("case", ["folded BN vs BN", "dropout eval vs no dropout", "MLP module vs functional"])
def test_regression_gate(run_bench, benchmark, bench_device, case: str) -> None:
    """dnnkit's fast paths must not be more than 10% slower than their reference, decided in-run and interleaved."""
    candidate, reference = _gate_case(case, bench_device)
    run_bench(candidate, group="regression gate: candidate timings")
    # Disabled benchmarking (xdist) only smoke-tests the path: 2 rounds cannot reach p < 0.01.
    rounds = GATE_ROUNDS if benchmark.enabled else 2
    result = regression.gate(candidate, reference, name=case, rounds=rounds, device=bench_device,
                             warmup=3 if benchmark.enabled else 0, inner=None if benchmark.enabled else 1)
    benchmark.extra_info["gate"] = result.to_dict()
    assert not result.regressed, result.summary()
