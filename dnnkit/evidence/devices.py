"""Where claims and exercises train: a --device choice ('auto', 'cpu', 'cuda', 'cuda:N') resolved against what
torch sees. Free of pytest: the plugin turns the ValueError into a usage error, the exercises' CLI into its own."""

from __future__ import annotations

DEVICES = ("auto", "cpu", "cuda")


def check_device(choice: str) -> str:
    """`choice` if it names a device this package can resolve (auto, cpu, cuda, cuda:N); ValueError otherwise."""
    if choice not in DEVICES and not str(choice).startswith("cuda:"):
        raise ValueError(f"device {choice!r} is not allowed; allowed: {', '.join(DEVICES)} or cuda:N")
    return choice


def resolve_device(choice: str = "auto") -> str:
    """'auto' -> 'cuda' when available, else 'cpu'; a CUDA device asked for must exist (ValueError otherwise)."""
    import torch

    check_device(choice)
    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"--device {choice} was asked for, but torch.cuda.is_available() is False (torch sees no "
                         "CUDA device); use --device cpu")
    return choice


def worker_device(device: str, worker_id: str | None, device_count: int) -> str:
    """The device of one xdist worker: with `device` 'cuda' and G visible GPUs, worker gwK trains on cuda:(K mod G)
    (one worker per GPU, more workers than GPUs round-robin); a serial run (worker_id None), the CPU or an explicit
    cuda:N keeps `device`. ValueError for a worker id other than 'gw<K>' or a count < 1 on CUDA."""
    if device != "cuda" or worker_id is None:
        return device
    if not worker_id.startswith("gw") or not worker_id[2:].isdigit():
        raise ValueError(f"xdist worker id {worker_id!r} is not allowed; allowed: gw0, gw1, ...")
    if device_count < 1:
        raise ValueError(f"--device cuda with {device_count} visible CUDA device(s); use --device cpu")
    return f"cuda:{int(worker_id[2:]) % device_count}"
