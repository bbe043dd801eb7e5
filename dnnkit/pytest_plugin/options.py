"""The plugin's options resolved from a pytest config (device, ensemble workers); usage errors as pytest's.

Apart from plugin.py so that the session module reads them without importing the hooks (no plugin <-> session
cycle)."""

from __future__ import annotations

import pytest

from ..evidence.devices import resolve_device as _resolve_device


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
    """--device resolved (dnnkit.devices.resolve_device); asking for CUDA without one is a usage error."""
    try:
        return _resolve_device(config.getoption("--device", default="auto"))
    except ValueError as err:
        raise pytest.UsageError(str(err)) from None
