"""Checkpoints: atomic writes (temp file + rename) and loads that never execute code (weights_only=True)."""

from __future__ import annotations

import os
import re
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


# Version of the checkpoint layout; 0 = written before the field existed (read best-effort).
FORMAT = 1
WRITTEN_BY = "a file written by save_checkpoint, fit(checkpoint_dir=...) or save_mlp"


def save_checkpoint(path: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer | None = None,
                    scheduler: Any | None = None, **extra: Any) -> Path:
    """Save model, optimizer and schedule state (so a resumed run continues at the right step) plus plain extras.

    The optimizer's and scheduler's class names are saved beside their states, so that a resume with another type
    fails with both names instead of deep inside torch. Everything stays loadable with weights_only=True.
    """
    import io

    state: dict[str, Any] = {"format": FORMAT, "model": model.state_dict(), "extra": extra}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
        state["optimizer_class"] = type(optimizer).__name__
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
        state["scheduler_class"] = type(scheduler).__name__
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)


def read_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """A checkpoint's contents, loaded with weights_only=True (no code runs); a clear error naming the file for a
    missing file, a directory, a corrupt or truncated file, another program's file or a newer format."""
    path = Path(path)
    if path.is_dir():
        inside = sorted(p.name for p in path.glob("*.pt"))
        raise IsADirectoryError(f"checkpoint {str(path)!r} is a directory; give a checkpoint file"
                                + (f" (in it: {', '.join(inside[:5])}{' ...' if len(inside) > 5 else ''})" if inside
                                   else " (it holds no .pt files)"))
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist; allowed: an existing {WRITTEN_BY}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch's weights-only unpickler raises many types (KeyError, IndexError...) on garbage
        refused = re.search(r"GLOBAL ([\w.]+)", str(err))
        if refused:  # torch's own text advises weights_only=False, which would run the file's code: not repeated
            raise ValueError(f"checkpoint {str(path)!r} holds an object a weights-only load refuses "
                             f"({refused.group(1)}): not loaded, no code was run; allowed: {WRITTEN_BY} (tensors and "
                             "plain values)") from None
        first = next((line.strip() for line in str(err).splitlines() if line.strip()), type(err).__name__)
        raise ValueError(f"checkpoint {str(path)!r} is corrupt or truncated ({first}); allowed: {WRITTEN_BY}") from None
    if not isinstance(state, dict) or not isinstance(state.get("model"), dict):
        raise ValueError(f"checkpoint {str(path)!r} is not a dnnkit checkpoint (no 'model' entry); allowed: {WRITTEN_BY}")
    version = state.get("format", 0)
    if isinstance(version, bool) or not isinstance(version, int) or not 0 <= version <= FORMAT:
        raise ValueError(f"checkpoint {str(path)!r} has format {version!r}; this dnnkit reads formats 0..{FORMAT} "
                         "(a newer dnnkit wrote it?)")
    if not isinstance(state.get("extra", {}), dict):
        raise ValueError(f"checkpoint {str(path)!r} is not a dnnkit checkpoint (its 'extra' entry is not a dict); "
                         f"allowed: {WRITTEN_BY}")
    return state


def architecture_differences(expected: dict[str, Any], found: dict[str, Any]) -> list[str]:
    """What differs between a model's state dict (expected) and a checkpoint's (found): missing and unexpected
    entries and shape mismatches, as 'name: checkpoint (a, b), model (c, d)' lines; empty when they match."""
    def shape(t: Any) -> tuple:
        return tuple(getattr(t, "shape", ()))

    return ([f"{k}: missing from the checkpoint" for k in expected if k not in found]
            + [f"{k}: in the checkpoint, not in the model" for k in found if k not in expected]
            + [f"{k}: checkpoint {shape(found[k])}, model {shape(expected[k])}" for k in expected
               if k in found and shape(found[k]) != shape(expected[k])])


def _optimizer_differences(state: dict[str, Any], optimizer: torch.optim.Optimizer) -> str | None:
    """Why the checkpoint's optimizer state does not fit `optimizer`, or None. Uses the saved class name where
    there is one; an older checkpoint is compared by its parameter groups' sizes and hyperparameter names."""
    mine = type(optimizer).__name__
    theirs = state.get("optimizer_class")
    if theirs is not None and theirs != mine:
        return f"it holds the state of a {theirs} optimizer and this run's optimizer is {mine}"
    saved, own = state["optimizer"].get("param_groups", []), optimizer.state_dict()["param_groups"]
    sizes = [len(g.get("params", [])) for g in saved], [len(g["params"]) for g in own]
    if sizes[0] != sizes[1]:
        return (f"its optimizer has parameter groups of sizes {sizes[0]} and this run's {mine} has {sizes[1]} "
                "(other frozen layers or param_groups?)")
    for group, ours in zip(saved, own, strict=True):
        # Flags (bool/None: foreach, fused, maximize...) come and go with torch versions and torch fills them in.
        missing = sorted(k for k, v in ours.items() if k != "params" and k not in group
                         and not isinstance(v, bool) and v is not None)
        if missing:
            return (f"its optimizer state lacks {missing}, which this run's {mine} needs: it was written by another "
                    f"optimizer type (its hyperparameters: {sorted(k for k in group if k != 'params')})")
    return None


def check_restorable(path: str | Path, state: dict[str, Any], model: torch.nn.Module | None = None,
                     optimizer: torch.optim.Optimizer | None = None, scheduler: Any | None = None) -> None:
    """ValueError saying what differs when the checkpoint's states do not fit the objects given; checked before any
    of them changes, so a refused checkpoint leaves nothing half-restored."""
    name = repr(str(path))
    for key, target in (("optimizer", optimizer), ("scheduler", scheduler)):
        if target is not None and key not in state:
            raise ValueError(f"checkpoint {name} has no {key} state to restore")
    if model is not None:
        diff = architecture_differences(model.state_dict(), state["model"])
        if diff:
            raise ValueError(f"checkpoint {name} holds another architecture than this model ({len(diff)} "
                             f"difference(s)): {'; '.join(diff[:4])}{' ...' if len(diff) > 4 else ''}; allowed: a model of the "
                             "architecture that wrote it")
    if optimizer is not None:
        why = _optimizer_differences(state, optimizer)
        if why:
            raise ValueError(f"checkpoint {name} does not fit this run's optimizer: {why}; allowed: an optimizer of "
                             "the type that wrote it")
    if scheduler is not None:
        theirs = state.get("scheduler_class")
        if theirs is not None and theirs != type(scheduler).__name__:
            raise ValueError(f"checkpoint {name} holds the state of a {theirs} schedule and this run's schedule is a "
                             f"{type(scheduler).__name__}; allowed: a schedule of the type that wrote it")


def restore_checkpoint(path: str | Path, state: dict[str, Any], model: torch.nn.Module | None = None,
                       optimizer: torch.optim.Optimizer | None = None, scheduler: Any | None = None) -> None:
    """Check (check_restorable), then load the checkpoint's states into what is passed."""
    check_restorable(path, state, model, optimizer, scheduler)
    if model is not None:
        model.load_state_dict(state["model"])
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])


def load_checkpoint(path: str | Path, model: torch.nn.Module | None = None,
                    optimizer: torch.optim.Optimizer | None = None, scheduler: Any | None = None,
                    map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint with weights_only=True and restore what is passed; ValueError for a corrupt file or one
    that does not fit (another architecture, optimizer or schedule type), before anything changes."""
    state = read_checkpoint(path, map_location)
    restore_checkpoint(path, state, model, optimizer, scheduler)
    return state


def restart_schedule(path: str | Path, out: str | Path) -> Path:
    """Write to `out` a copy of checkpoint `path` whose learning-rate schedule starts over: what a resume without the
    schedule's step count does (a Keras schedule of the epoch, resumed without fit's initial_epoch). The schedule's
    step count goes back to 0 and every optimizer group's rate back to the schedule's base rate (η0: the rate at
    step 0 of exponential, power and any schedule whose factor at step 0 is 1). Model, optimizer moments and the
    run's epoch are kept, so fit(resume_from=out) continues the same epochs with the rate back at η0.

    Only step-counting schedules (LambdaLR, ExponentialLR, ...) have a count to lose: a checkpoint without a
    schedule, or with ReduceLROnPlateau (driven by the losses, not a count), is a ValueError naming it."""
    import io

    state = read_checkpoint(path)
    name = repr(str(path))
    if "scheduler" not in state or "optimizer" not in state:
        raise ValueError(f"checkpoint {name} holds no schedule state to restart; allowed: a checkpoint of a run with "
                         "a step-counting schedule (fit with FitConfig.schedule)")
    scheduler = dict(state["scheduler"])
    if "last_epoch" not in scheduler or "base_lrs" not in scheduler:
        raise ValueError(f"checkpoint {name} holds a {state.get('scheduler_class', '?')} schedule, which counts no "
                         "steps; allowed: a step-counting schedule (LambdaLR, ExponentialLR, ...)")
    base = [float(lr) for lr in scheduler["base_lrs"]]
    scheduler.update(last_epoch=0, _step_count=1, _last_lr=list(base))
    optimizer = dict(state["optimizer"])
    groups = optimizer["param_groups"]
    if len(groups) != len(base):
        raise ValueError(f"checkpoint {name}: {len(groups)} optimizer groups for {len(base)} schedule base rates")
    optimizer["param_groups"] = [{**group, "lr": lr} for group, lr in zip(groups, base, strict=True)]
    buffer = io.BytesIO()
    torch.save({**state, "scheduler": scheduler, "optimizer": optimizer}, buffer)
    atomic_write_bytes(out, buffer.getvalue())
    return Path(out)
