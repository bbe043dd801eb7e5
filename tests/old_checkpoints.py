"""Checkpoints as an older dnnkit wrote them, for the resume-compatibility tests (good and bad inputs alike)."""

from __future__ import annotations

from pathlib import Path

import torch


def strip_to_format_0(path: Path, *extra_keys: str) -> None:
    """Rewrite a checkpoint as an older dnnkit wrote it: no format, no class names, none of `extra_keys`."""
    state = torch.load(path, weights_only=True)
    for key in ("format", "optimizer_class", "scheduler_class"):
        state.pop(key, None)
    for key in extra_keys:
        state["extra"].pop(key, None)
    torch.save(state, path)
