"""One worker per GPU: under `-n N --device cuda`, xdist worker gwK trains on cuda:(K mod G) of the G visible GPUs
and says so in each claim record. Checked on the CPU: the assignment is a pure function of the worker id and the
device count, and the plugin's resolution is fed a fake worker config and a faked torch.cuda."""

from __future__ import annotations

import pytest
import torch

from dnnkit.evidence.claims import get_claim
from dnnkit.evidence.devices import worker_device
from dnnkit.pytest_plugin.fixture import ClaimRun
from dnnkit.pytest_plugin.options import resolve_device


@pytest.mark.parametrize(("worker", "gpus", "expected"), [
    ("gw0", 1, "cuda:0"), ("gw1", 1, "cuda:0"),  # more workers than GPUs: they share it
    ("gw0", 2, "cuda:0"), ("gw1", 2, "cuda:1"), ("gw2", 2, "cuda:0"), ("gw3", 2, "cuda:1"),
    ("gw7", 8, "cuda:7"), ("gw11", 4, "cuda:3"),
])
def test_worker_k_trains_on_gpu_k_mod_g(worker: str, gpus: int, expected: str) -> None:
    assert worker_device("cuda", worker, gpus) == expected


def test_one_worker_per_gpu_when_workers_equal_gpus() -> None:
    assert [worker_device("cuda", f"gw{k}", 4) for k in range(4)] == ["cuda:0", "cuda:1", "cuda:2", "cuda:3"]


@pytest.mark.parametrize(("device", "worker"), [("cpu", "gw3"), ("cuda", None), ("cuda:1", "gw0")])
def test_serial_runs_the_cpu_and_an_explicit_gpu_keep_their_device(device: str, worker: str | None) -> None:
    assert worker_device(device, worker, 4) == device


@pytest.mark.parametrize(("worker", "gpus", "message"), [
    ("master", 2, "xdist worker id 'master' is not allowed; allowed: gw0, gw1, ..."),
    ("gwx", 2, "xdist worker id 'gwx' is not allowed"),
    ("gw0", 0, "--device cuda with 0 visible CUDA device"),
])
def test_bad_worker_ids_and_no_gpu_are_refused(worker: str, gpus: int, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        worker_device("cuda", worker, gpus)


class _Config:
    """The option resolve_device reads, as a pytest.Config of an xdist worker (or the controller) answers it."""

    def __init__(self, choice: str, worker: str | None = None):
        self.choice = choice
        if worker is not None:
            self.workerinput = {"workerid": worker}

    def getoption(self, name: str, default=None):
        return self.choice


@pytest.fixture
def three_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 3)


@pytest.mark.usefixtures("three_gpus")
def test_the_plugin_gives_each_worker_its_gpu_and_the_record_names_it() -> None:
    assert [resolve_device(_Config("cuda", f"gw{k}")) for k in range(5)] == [
        "cuda:0", "cuda:1", "cuda:2", "cuda:0", "cuda:1"]
    assert resolve_device(_Config("auto", "gw2")) == "cuda:2"  # auto that resolves to CUDA too
    assert resolve_device(_Config("cuda")) == "cuda"  # serial, or the controller (it trains nothing)
    assert resolve_device(_Config("cpu", "gw1")) == "cpu"
    # The claim fixture builds its ClaimRun on the resolved device; the record's device field carries it.
    run = ClaimRun(get_claim("bias-zero-ok"), profile="quick", n_seeds=2, seed_base=0,
                   device=resolve_device(_Config("cuda", "gw4")), nodeid="t")
    assert run.to_record()["device"] == "cuda:1"


def test_a_worker_asking_for_cuda_without_one_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(pytest.UsageError, match="--device cuda was asked for"):
        resolve_device(_Config("cuda", "gw0"))
