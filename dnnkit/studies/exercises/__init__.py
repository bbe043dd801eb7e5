"""The chapter's exercises as one-command recipes: ``python -m dnnkit.exercises NAME``.

Each recipe runs an exercise step by step over several seeds and writes ``NAME.json``, ``NAME.md`` (a table with
every number the exercise asks for, the chapter notebook's single-seed number beside it, and multi-seed
verdicts for each "does it help?") and learning-curve PNGs to the output folder.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .common import Options, Report

# name -> (module, one line for --list); modules are imported only when their recipe runs.
RECIPES: dict[str, tuple[str, str]] = {
    "mnist-0-4": ("dnnkit.studies.exercises.mnist_0_4",
                  "exercise 8 (files 000/001): 5x100 ELU He + Adam on digits 0-4; CV tuning; + BN; + dropout"),
    "mnist-5-9-transfer": ("dnnkit.studies.exercises.mnist_5_9_transfer",
                           "exercise 9 (files 000/001): reuse the 0-4 net for 5-9 with 100 images per digit"),
    "cifar10-deep": ("dnnkit.studies.exercises.cifar10_deep",
                     "exercise 8 a-f (file 004): 20x100 ELU/Nadam, + BN, SELU, alpha + MC dropout, 1cycle"),
}


def recipe_module(name: str):
    """The module that implements recipe ``name`` (it has NAME, TITLE and run(options, ...))."""
    if name not in RECIPES:
        raise ValueError(f"unknown exercise {name!r}; allowed: {', '.join(RECIPES)}")
    return importlib.import_module(RECIPES[name][0])


def run(name: str, options: Options) -> Report:
    """Run one recipe with ``options`` and write its results; returns the report."""
    report = recipe_module(name).run(options)
    report.write()
    return report
