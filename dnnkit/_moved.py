"""Old module paths from before the layer subpackages (``dnnkit.training``, ``dnnkit.models`` ...) as aliases.

One import finder instead of thirty shim files: importing an old name (or anything under it, such as
``dnnkit.exercises.common``) gives the very module object of its new home, so ``sys.modules`` holds one module
under both names and monkeypatching either name patches the same module. ``python -m`` with an old name runs the
new module's code. dnnkit's own code imports the new paths; these names are for code written before the move.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType

# old dotted path -> new dotted path; a name under an old path maps to the same name under the new one.
MOVED: dict[str, str] = {
    "dnnkit.models": "dnnkit.nn.models",
    "dnnkit.initializers": "dnnkit.nn.initializers",
    "dnnkit.activations": "dnnkit.nn.activations",
    "dnnkit.batchnorm": "dnnkit.nn.batchnorm",
    "dnnkit.regularization": "dnnkit.nn.regularization",
    "dnnkit.mc_dropout": "dnnkit.nn.mc_dropout",
    "dnnkit.sparsity": "dnnkit.nn.sparsity",
    "dnnkit.diagnostics": "dnnkit.nn.diagnostics",
    "dnnkit.optimizers": "dnnkit.optim.optimizers",
    "dnnkit.ftrl": "dnnkit.optim.ftrl",
    "dnnkit.schedules": "dnnkit.optim.schedules",
    "dnnkit.lr_finder": "dnnkit.train.lr_finder",
    "dnnkit.quadratic": "dnnkit.optim.quadratic",
    "dnnkit.training": "dnnkit.train.training",
    "dnnkit.epochs": "dnnkit.train.epochs",
    "dnnkit.ensemble": "dnnkit.train.ensemble",
    "dnnkit.checkpoints": "dnnkit.train.checkpoints",
    "dnnkit.experiment": "dnnkit.train.experiment",
    "dnnkit.clipping": "dnnkit.train.clipping",
    "dnnkit.claims": "dnnkit.evidence.claims",
    "dnnkit.claimrun": "dnnkit.evidence.claimrun",
    "dnnkit.stats": "dnnkit.evidence.stats",
    "dnnkit.timing": "dnnkit.evidence.timing",
    "dnnkit.provenance": "dnnkit.evidence.provenance",
    "dnnkit.devices": "dnnkit.evidence.devices",
    "dnnkit.regression": "dnnkit.evidence.regression",
    "dnnkit.transfer": "dnnkit.studies.transfer",
    "dnnkit.pretraining": "dnnkit.studies.pretraining",
    "dnnkit.exercises": "dnnkit.studies.exercises",
}


def new_path(name: str) -> str | None:
    """The new dotted path of an old one (``dnnkit.exercises.common`` -> ``dnnkit.studies.exercises.common``)."""
    head, sep, tail = name, "", ""
    while head not in MOVED:
        if "." not in head:
            return None
        head, _, last = head.rpartition(".")
        tail = f"{last}{sep}{tail}"
        sep = "."
    return MOVED[head] + (f".{tail}" if tail else "")


class _AliasSpec(importlib.machinery.ModuleSpec):
    """An old name's spec whose parent is the new module's (``python -m OLD`` resolves relative imports there)."""

    def __init__(self, name: str, loader: _AliasLoader, real: importlib.machinery.ModuleSpec) -> None:
        super().__init__(name, loader, is_package=real.submodule_search_locations is not None)
        self.submodule_search_locations = real.submodule_search_locations
        self._real_parent = real.parent

    @property
    def parent(self) -> str | None:
        return self._real_parent


class _AliasLoader(importlib.abc.Loader):
    """Loads an old name as the module object of its new home (imported once, shared by both names)."""

    def __init__(self, new: str) -> None:
        self.new = new
        self.real_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.new)
        self.real_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system set __spec__ to the alias spec; the module keeps the spec of its real name.
        module.__spec__ = self.real_spec

    def get_code(self, fullname: str):
        """The new module's code, for ``python -m OLD`` (runpy runs a module's code, not its object)."""
        spec = importlib.util.find_spec(self.new)
        return spec.loader.get_code(self.new)


class _MovedFinder(importlib.abc.MetaPathFinder):
    """Finds old dnnkit module paths (and nothing else) on sys.meta_path."""

    def find_spec(self, fullname: str, path=None, target=None) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith("dnnkit.") or (new := new_path(fullname)) is None:
            return None
        real = importlib.util.find_spec(new)
        if real is None:
            return None
        return _AliasSpec(fullname, _AliasLoader(new), real)


def install() -> None:
    """Put the finder first on sys.meta_path (once): before the path finder, which would load a second copy."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder())
