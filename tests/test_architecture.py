"""The layers hold: nothing in dnnkit imports the pytest plugin (it sits on top), the plugin imports nothing from
the report (the command sits beside it), each layer subpackage imports only the layers its docstring allows
(nn < optim < train < evidence < results < studies), and the modules of dnnkit import each other without a cycle.

Read from the source with ast, so a lazy import inside a function is seen by the layer rules too; the cycle check
takes module-level imports only (a function-level import runs after both modules exist, the usual way to break a
load-time cycle)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import dnnkit

PACKAGE = Path(dnnkit.__file__).parent
PLUGIN = "dnnkit.pytest_plugin"
REPORT = "dnnkit.report"


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources(root: Path = PACKAGE) -> dict[str, tuple[Path, ast.Module]]:
    """Module name -> (path, parsed tree) for every .py file under the package."""
    return {module_name(p, root): (p, ast.parse(p.read_text(), filename=str(p))) for p in sorted(root.rglob("*.py"))}


def _module_level(tree: ast.Module) -> Iterator[ast.stmt]:
    """Statements run when the module is imported: the body, and inside top-level if/try (not TYPE_CHECKING)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop(0)
        if isinstance(node, ast.If):
            if "TYPE_CHECKING" in ast.unparse(node.test):
                stack[:0] = node.orelse
                continue
            stack[:0] = [*node.body, *node.orelse]
        elif isinstance(node, ast.Try):
            stack[:0] = [*node.body, *node.orelse, *node.finalbody, *(s for h in node.handlers for s in h.body)]
        else:
            yield node


def imported(node: ast.stmt, module: str, is_package: bool, known: set[str]) -> list[str]:
    """The absolute names of the modules an import statement loads (a `from X import name` of a submodule names
    the submodule)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    return [f"{source}.{a.name}" if f"{source}.{a.name}" in known else source for a in node.names]


def import_edges(mods: dict[str, tuple[Path, ast.Module]], module_level: bool) -> dict[str, set[str]]:
    """Module -> the dnnkit modules it imports (at module level only, or anywhere)."""
    known = set(mods)
    graph: dict[str, set[str]] = {}
    for name, (path, tree) in mods.items():
        nodes = _module_level(tree) if module_level else ast.walk(tree)
        targets = set()
        for node in nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                targets |= {t for t in imported(node, name, path.name == "__init__.py", known) if t in known}
        graph[name] = targets - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None (depth-first search, sorted for a stable answer)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def layer_violations(mods: dict[str, tuple[Path, ast.Module]]) -> list[str]:
    """Imports of the plugin from outside it, and of the report from inside the plugin (anywhere in a module)."""
    out = []
    for name, targets in import_edges(mods, module_level=False).items():
        inside = name == PLUGIN or name.startswith(PLUGIN + ".")
        for target in sorted(targets):
            if not inside and (target == PLUGIN or target.startswith(PLUGIN + ".")):
                out.append(f"{name} imports {target}: nothing in dnnkit imports the pytest plugin")
            if inside and (target == REPORT or target.startswith(REPORT + ".")):
                out.append(f"{name} imports {target}: the plugin imports nothing from the report")
    return out


# Layer -> the layers it may import (its own included; the package root and dnnkit._moved are open to all). A
# module's layer is its first name under dnnkit: a subpackage, or a top-level module (data, plots, report).
# The plugin and the report may import every layer (the plugin-only rules are above).
ALLOWED: dict[str, set[str]] = {
    "data": {"data"},
    "seeds": {"seeds"},
    "nn": {"nn"},
    "optim": {"nn", "optim"},
    "train": {"nn", "optim", "data", "seeds", "train"},
    "evidence": {"nn", "optim", "data", "seeds", "train", "evidence"},
    "catalog": {"nn", "optim", "data", "seeds", "train", "evidence", "studies", "catalog"},
    "results": {"nn", "optim", "data", "seeds", "train", "evidence", "results"},
    "plots": {"nn", "optim", "data", "seeds", "train", "evidence", "results", "plots"},
    "studies": {"nn", "optim", "data", "seeds", "train", "evidence", "results", "plots", "studies"},
}
OPEN = {"dnnkit", "dnnkit._moved"}

# Imports that break the rules today, named so that a new one fails and a removed one must leave this list
# (each is a placement to revisit, not a rule to relax):
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("dnnkit.nn.sparsity", "dnnkit.train.training"): "pruning_curve scores each pruned net with training.evaluate",
    ("dnnkit.evidence.claims", "dnnkit.catalog"): "registry() reads dnnkit's own catalog (a lazy import)",
}


def layer_of(module: str) -> str | None:
    """The layer a dnnkit module belongs to (None for the package root and dnnkit._moved)."""
    return None if module in OPEN else module.split(".")[1]


def layer_rule_violations(mods: dict[str, tuple[Path, ast.Module]]) -> dict[tuple[str, str], str]:
    """(importer, imported) -> the broken rule, for every import (anywhere in a module) a layer may not make."""
    out = {}
    for name, targets in import_edges(mods, module_level=False).items():
        allowed = ALLOWED.get(layer_of(name) or "")
        if allowed is None:
            continue  # the root, the plugin, the report: no layer rule of their own
        for target in sorted(targets):
            if target not in OPEN and layer_of(target) not in allowed:
                out[(name, target)] = f"{layer_of(name)} may import only {', '.join(sorted(allowed))}"
    return out


def test_layers_import_only_the_layers_below() -> None:
    found = layer_rule_violations(sources())
    new = {edge: rule for edge, rule in found.items() if edge not in KNOWN_EXCEPTIONS}
    gone = sorted(set(KNOWN_EXCEPTIONS) - set(found))
    assert new == {}, "imports against the layer rules: " + "; ".join(f"{a} -> {b} ({r})" for (a, b), r in new.items())
    assert gone == [], f"no longer broken, remove from KNOWN_EXCEPTIONS: {gone}"


def test_every_dnnkit_module_has_a_layer_rule_or_is_on_top() -> None:
    layers = {layer_of(name) for name in sources()} - {None}
    assert layers - set(ALLOWED) == {"pytest_plugin", "report", "stability", "bench"}


def test_nothing_in_dnnkit_imports_the_plugin_and_the_plugin_not_the_report() -> None:
    assert layer_violations(sources()) == []


def test_no_import_cycle_between_dnnkit_modules() -> None:
    cycle = find_cycle(import_edges(sources(), module_level=True))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def _fake_package(tmp_path: Path, files: dict[str, str]) -> dict[str, tuple[Path, ast.Module]]:
    root = tmp_path / "dnnkit"
    for rel, text in {"__init__.py": "", "pytest_plugin/__init__.py": "", **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return sources(root)


def test_the_checks_see_violations_and_cycles(tmp_path: Path) -> None:
    mods = _fake_package(tmp_path, {
        "a.py": "from . import b\n", "b.py": "from .c import x\n", "c.py": "import dnnkit.a\nx = 1\n",
        "lazy.py": "def f():\n    from .pytest_plugin import plugin\n",
        "report.py": "", "pytest_plugin/plugin.py": "from .. import report\nfrom . import session\n",
        "pytest_plugin/session.py": "def f():\n    from .plugin import g\n",
        "typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n",
    })
    assert find_cycle(import_edges(mods, module_level=True)) == ["dnnkit.a", "dnnkit.b", "dnnkit.c", "dnnkit.a"]
    assert layer_violations(mods) == [
        "dnnkit.lazy imports dnnkit.pytest_plugin.plugin: nothing in dnnkit imports the pytest plugin",
        "dnnkit.pytest_plugin.plugin imports dnnkit.report: the plugin imports nothing from the report"]
    # A function-level import is no load-time cycle (plugin <-> session here); TYPE_CHECKING imports never run.
    edges = import_edges(mods, module_level=True)
    assert edges["dnnkit.pytest_plugin.session"] == set() and edges["dnnkit.typed"] == set()
    assert find_cycle({"x": {"y"}, "y": set()}) is None


def test_the_layer_check_sees_an_upward_import_even_a_lazy_one(tmp_path: Path) -> None:
    mods = _fake_package(tmp_path, {
        "nn/__init__.py": "", "nn/models.py": "import torch\nfrom . import init\n", "nn/init.py": "",
        "optim/__init__.py": "", "optim/opt.py": "from ..nn import models\n",
        "train/__init__.py": "", "train/fit.py": "from ..optim.opt import x\nfrom .. import data\n",
        "data.py": "def f():\n    from .train import fit\n",
        "nn/bad.py": "def f():\n    from dnnkit.train.fit import g\n",
    })
    assert layer_rule_violations(mods) == {
        ("dnnkit.data", "dnnkit.train.fit"): "data may import only data",
        ("dnnkit.nn.bad", "dnnkit.train.fit"): "nn may import only nn"}
