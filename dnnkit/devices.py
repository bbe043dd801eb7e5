"""Where claims train: a --device choice ('auto', 'cpu', 'cuda') resolved against what torch sees."""

from __future__ import annotations

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(choice: str = "auto") -> str:
    """'auto' is CUDA when available, else CPU; CUDA asked for without one (or an unknown choice) is a ValueError."""
    import torch

    if choice not in DEVICE_CHOICES:
        raise ValueError(f"device {choice!r} is not one of {', '.join(DEVICE_CHOICES)}")
    if choice == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but torch.cuda.is_available() is False")
    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return choice
