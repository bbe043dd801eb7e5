"""Every module path dnnkit had before the layer subpackages still imports, and a moved one is the very module object
of its new home (dnnkit._moved), so code and monkeypatches written against the old paths keep working."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dnnkit

# Old path -> new path, written out here (not read from dnnkit._moved) so a wrong row in its table fails.
MOVED = {
    "dnnkit.activations": "dnnkit.nn.activations",
    "dnnkit.batchnorm": "dnnkit.nn.batchnorm",
    "dnnkit.diagnostics": "dnnkit.nn.diagnostics",
    "dnnkit.initializers": "dnnkit.nn.initializers",
    "dnnkit.mc_dropout": "dnnkit.nn.mc_dropout",
    "dnnkit.models": "dnnkit.nn.models",
    "dnnkit.regularization": "dnnkit.nn.regularization",
    "dnnkit.sparsity": "dnnkit.nn.sparsity",
    "dnnkit.ftrl": "dnnkit.optim.ftrl",
    "dnnkit.lr_finder": "dnnkit.train.lr_finder",
    "dnnkit.optimizers": "dnnkit.optim.optimizers",
    "dnnkit.quadratic": "dnnkit.optim.quadratic",
    "dnnkit.schedules": "dnnkit.optim.schedules",
    "dnnkit.checkpoints": "dnnkit.train.checkpoints",
    "dnnkit.clipping": "dnnkit.train.clipping",
    "dnnkit.ensemble": "dnnkit.train.ensemble",
    "dnnkit.epochs": "dnnkit.train.epochs",
    "dnnkit.experiment": "dnnkit.train.experiment",
    "dnnkit.training": "dnnkit.train.training",
    "dnnkit.claimrun": "dnnkit.evidence.claimrun",
    "dnnkit.claims": "dnnkit.evidence.claims",
    "dnnkit.devices": "dnnkit.evidence.devices",
    "dnnkit.provenance": "dnnkit.evidence.provenance",
    "dnnkit.regression": "dnnkit.evidence.regression",
    "dnnkit.stats": "dnnkit.evidence.stats",
    "dnnkit.timing": "dnnkit.evidence.timing",
    "dnnkit.pretraining": "dnnkit.studies.pretraining",
    "dnnkit.transfer": "dnnkit.studies.transfer",
    "dnnkit.exercises": "dnnkit.studies.exercises",
    "dnnkit.exercises.__main__": "dnnkit.studies.exercises.__main__",
    "dnnkit.exercises.cifar10_deep": "dnnkit.studies.exercises.cifar10_deep",
    "dnnkit.exercises.common": "dnnkit.studies.exercises.common",
    "dnnkit.exercises.mnist_0_4": "dnnkit.studies.exercises.mnist_0_4",
    "dnnkit.exercises.mnist_5_9_transfer": "dnnkit.studies.exercises.mnist_5_9_transfer",
}

# Paths that did not move.
STAYED = [
    "dnnkit", "dnnkit.data", "dnnkit.seeds", "dnnkit.stability", "dnnkit.plots", "dnnkit.report",
    "dnnkit.catalog", "dnnkit.catalog.activations", "dnnkit.catalog.batch_norm", "dnnkit.catalog.gradient_clipping",
    "dnnkit.catalog.initialization", "dnnkit.catalog.optimizers", "dnnkit.catalog.regularization",
    "dnnkit.catalog.schedules", "dnnkit.catalog.sparsity", "dnnkit.catalog.transfer",
    "dnnkit.pytest_plugin", "dnnkit.pytest_plugin.datasets", "dnnkit.pytest_plugin.fixture",
    "dnnkit.pytest_plugin.options", "dnnkit.pytest_plugin.plugin", "dnnkit.pytest_plugin.session",
    "dnnkit.pytest_plugin.storage", "dnnkit.pytest_plugin.table",
    "dnnkit.results", "dnnkit.results.detail", "dnnkit.results.markdown", "dnnkit.results.merge",
    "dnnkit.results.progress", "dnnkit.results.records", "dnnkit.results.storage", "dnnkit.results.table",
]

ROOT = str(Path(dnnkit.__file__).parent.parent)


def _python(*args: str) -> subprocess.CompletedProcess:
    """Run this interpreter with this checkout's dnnkit first on the path (not some other installed copy)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, *filter(None, [os.environ.get("PYTHONPATH")])]))
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_is_the_module_of_its_new_home(old: str) -> None:
    new = MOVED[old]
    module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert sys.modules[old] is sys.modules[new]
    assert module.__name__ == new and module.__spec__.name == new  # the module keeps its real name and spec
    assert new.startswith("dnnkit.") and not Path(dnnkit.__file__).parent.joinpath(*old.split(".")[1:]).exists()


@pytest.mark.parametrize("name", STAYED)
def test_a_path_that_stayed_imports(name: str) -> None:
    assert importlib.import_module(name).__name__ == name


def test_the_alias_table_is_exactly_the_moves() -> None:
    from dnnkit import _moved

    assert {old: new for old, new in MOVED.items() if old.count(".") == 1} == _moved.MOVED
    assert _moved.new_path("dnnkit.exercises.common") == "dnnkit.studies.exercises.common"
    assert _moved.new_path("dnnkit.data") is None and _moved.new_path("dnnkit.trainingx") is None


def test_from_imports_and_monkeypatching_either_name_reach_one_module(monkeypatch: pytest.MonkeyPatch) -> None:
    from dnnkit.training import fit

    from dnnkit import training
    from dnnkit.train import training as real

    assert training is real and fit is real.fit and dnnkit.training is real
    monkeypatch.setattr("dnnkit.training.fit", "patched")
    assert real.fit == "patched"
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("dnnkit.training.nothing_here")


def test_an_old_path_imported_first_in_a_fresh_process_is_still_one_module() -> None:
    code = ("import sys, dnnkit.training as t, dnnkit.exercises.common as c; "
            "assert sys.modules['dnnkit.training'] is sys.modules['dnnkit.train.training'] is t; "
            "assert t.__spec__.name == 'dnnkit.train.training' and c.__name__ == 'dnnkit.studies.exercises.common'; "
            "import dnnkit.train.training as r; assert r is t; "
            "assert sum(m.endswith('training') for m in sys.modules if m.startswith('dnnkit')) == 2")
    done = _python("-c", code)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("args", [("-m", "dnnkit.exercises", "--list"), ("-m", "dnnkit.report", "--help"),
                                  ("-m", "dnnkit.regression", "--help")])
def test_the_commands_run_under_their_old_module_paths(args: tuple[str, ...]) -> None:
    done = _python(*args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
