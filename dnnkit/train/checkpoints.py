"""Checkpoints: atomic writes (temp file + rename) and loads that never execute code (weights_only=True)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

TEMP_PREFIX = ".tmp-"
STALE_AFTER_S = 15 * 60  # no write takes this long: an older temp is an orphan whatever its name says


def temp_prefix(name: str) -> str:
    """`.tmp-NAME-PID-`: the writer's pid in the name lets a later write tell an orphan from a live writer's temp."""
    return f"{TEMP_PREFIX}{name}-{os.getpid()}-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: the pid exists under another user
        return True
    return True


def remove_stale_temps(directory: str | Path) -> list[Path]:
    """Remove the `.tmp-*` files and folders a killed writer left in `directory`; return what was removed.

    Stale: the pid in the name (see temp_prefix) is not a live process, or the temp is older than STALE_AFTER_S
    (names without a pid, from older versions). This process's own temps are never touched."""
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        parts = entry.name.rsplit("-", 2)  # mkstemp's random tail has no '-'
        pid = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
        if pid == os.getpid():
            continue
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S
            if not ((pid is not None and not _pid_alive(pid)) or old):
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except FileNotFoundError:  # another writer cleaned it first
            continue
        except OSError:  # not ours to remove (permissions): leave it
            continue
        removed.append(Path(entry.path))
    return removed


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write to a temp file in the target directory, fsync, rename: readers never see half a file. Orphan temps of
    killed earlier writers in that directory are removed first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temp_prefix(path.name))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates 0600; give the file the permissions a plain open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def save_checkpoint(path: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer | None = None,
                    scheduler: Any | None = None, **extra: Any) -> Path:
    """Save model, optimizer and schedule state (so a resumed run continues at the right step) plus plain extras."""
    import io

    state = {"model": model.state_dict(), "extra": extra}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)


def load_checkpoint(path: str | Path, model: torch.nn.Module | None = None,
                    optimizer: torch.optim.Optimizer | None = None, scheduler: Any | None = None,
                    map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint with weights_only=True and restore what is passed; ValueError for a corrupt file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch's weights-only unpickler raises many types (KeyError, IndexError...) on garbage
        raise ValueError(f"checkpoint {str(path)!r} is corrupt or truncated, or holds non-tensor objects: {err}") from None
    if not isinstance(state, dict) or "model" not in state:
        raise ValueError(f"checkpoint {str(path)!r} is not a dnnkit checkpoint (no 'model' entry)")
    # Check everything asked for is there before changing anything: nothing half-restored.
    for key, target in (("optimizer", optimizer), ("scheduler", scheduler)):
        if target is not None and key not in state:
            raise ValueError(f"checkpoint {str(path)!r} has no {key} state to restore")
    if model is not None:
        model.load_state_dict(state["model"])
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    return state
