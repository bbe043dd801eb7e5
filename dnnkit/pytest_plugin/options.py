"""The plugin's options checked and resolved from a pytest config (device, ensemble workers, results and data
dirs); usage errors as pytest's, raised before the first test runs.

Apart from plugin.py so that the session module reads them without importing the hooks (no plugin <-> session
cycle)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..evidence.devices import resolve_device as _resolve_device
from ..evidence.devices import worker_device
from ..results.storage import unwritable_dir_reason


def workers_option(config: pytest.Config) -> int | None:
    """--ensemble-workers as a count, None for 'auto'; anything else is a usage error."""
    choice = str(config.getoption("--ensemble-workers", default="auto"))
    if choice == "auto":
        return None
    if not choice.isdigit() or int(choice) < 1:
        raise pytest.UsageError(f"--ensemble-workers {choice} is not allowed: give 'auto' or an integer >= 1")
    return int(choice)


def resolve_ensemble_workers(config: pytest.Config, device: str) -> int:
    """--ensemble-workers resolved: a count >= 1, or for 'auto' the usable cores when nothing else splits them."""
    choice = workers_option(config)
    if choice is not None:
        return choice
    import multiprocessing

    serial = not hasattr(config, "workerinput") and config.getoption("numprocesses", default=None) in (None, 0)
    if (not serial or device != "cpu" or config.getoption("--torch-threads") != 1
            or "fork" not in multiprocessing.get_all_start_methods()):
        return 1
    from ..evidence.provenance import usable_cores

    return usable_cores()


def resolve_device(config: pytest.Config) -> str:
    """--device resolved (dnnkit.devices.resolve_device), and in an xdist worker on CUDA the worker's own GPU
    (worker_device: gwK on cuda:(K mod G)); asking for CUDA without one is a usage error."""
    try:
        device = _resolve_device(config.getoption("--device", default="auto"))
        worker_id = getattr(config, "workerinput", {}).get("workerid")
        if device == "cuda" and worker_id is not None:
            import torch

            device = worker_device(device, worker_id, torch.cuda.device_count())
        return device
    except ValueError as err:
        raise pytest.UsageError(str(err)) from None


def check_options(config: pytest.Config) -> list[str]:
    """Every dnnkit option checked before the first test runs: a UsageError naming the value and what is allowed.

    Returns warnings (options given but unused). The results dir is probed on the controller only (xdist workers
    write no files)."""
    threads = config.getoption("--torch-threads")
    if threads < 1:
        raise pytest.UsageError(f"--torch-threads {threads} is not allowed: give an integer >= 1")
    seeds = config.getoption("--seeds")
    if seeds is not None and seeds < 2:
        raise pytest.UsageError(f"--seeds {seeds} is not allowed: a verdict needs at least 2 seeds per arm")
    seed_base = config.getoption("--seed-base")
    if seed_base < 0:
        raise pytest.UsageError(f"--seed-base {seed_base} is not allowed: give an integer >= 0")
    workers_option(config)
    resolve_device(config)
    warnings = []
    data_dir = config.getoption("--data-dir")
    if data_dir is not None:
        if not Path(data_dir).is_dir():
            what = "is not a directory" if Path(data_dir).exists() else "does not exist"
            raise pytest.UsageError(f"--data-dir {data_dir} {what}: give the directory that holds the MNIST (IDX) / "
                                    "CIFAR-10 (python batches) files")
        if config.getoption("--profile") == "quick":
            warnings.append(f"--data-dir {data_dir} is unused: the quick profile trains on the offline stand-ins "
                            "(real data is read with --profile full)")
    results_dir = config.getoption("--results-dir")
    if results_dir is not None and not hasattr(config, "workerinput"):
        reason = unwritable_dir_reason(results_dir)
        if reason is not None:
            raise pytest.UsageError(f"--results-dir {results_dir} is not usable ({reason}): give a writable "
                                    "directory (created if missing)")
    return warnings
