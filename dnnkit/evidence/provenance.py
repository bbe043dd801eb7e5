"""Where a result came from (versions, hardware, commit, date) and JSON-safe copies of evidence.

Shared by the pytest plugin and the exercise recipes, so both record the same facts the same way.
"""

from __future__ import annotations

import datetime as dt
import math
import platform
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import __version__


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one; a container may allow fewer than
    os.cpu_count())."""
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def git_commit(root: str | Path | None = None) -> str:
    """HEAD of the repository at `root` (default: dnnkit's checkout), '-dirty' if tracked files changed."""
    root = root or Path(__file__).resolve().parents[2]  # dnnkit/evidence/provenance.py -> the checkout
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                             timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return (sha or "unknown") + ("-dirty" if sha and dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine(device: str, root: str | Path | None = None) -> dict[str, Any]:
    """Versions, hardware, threads, commit and date of a run on `device`."""
    import numpy
    import scipy
    import torch

    on_gpu = str(device).startswith("cuda") and torch.cuda.is_available()
    gpu = torch.cuda.get_device_name(torch.device(device)) if on_gpu else None
    return {
        "dnnkit": __version__, "torch": torch.__version__, "python": platform.python_version(),
        "numpy": numpy.__version__, "scipy": scipy.__version__, "cpu": cpu_model(), "gpu": gpu, "device": device,
        "torch_threads": torch.get_num_threads(), "git_commit": git_commit(root),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def json_safe(value: Any) -> Any:
    """JSON-safe copy: non-finite floats become strings so the record survives json.dumps(allow_nan=False)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [json_safe(v) for v in sorted(value, key=repr)]
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy arrays and scalars, torch tensors
        return json_safe(value.tolist())
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
