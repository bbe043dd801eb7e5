"""The bad-input catalogue (issue 23): one table of bad inputs to the plugin's options, the configs, fit's inputs,
checkpoints and resume, data files, malicious pickles, the report and the command lines, and one test that runs
each.

A case is *clear* when the call raises the expected error class with a one-line message that names the bad value
(or file) and what is allowed, shows no traceback to a command-line user, and leaves its workspace exactly as found:
the same file names, sizes and sha256 hashes, no temp file, no marker of a malicious pickle. Every case runs in a
fresh workspace (the current directory while it runs); the trained runs and the good result set it copies from are
built once per module.
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import hashlib
import io
import json
import math
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from old_checkpoints import strip_to_format_0
from torch import nn

from dnnkit import __version__
from dnnkit.data import Split, cifar10_split, load_cifar10, load_mnist_idx, mnist_split
from dnnkit.evidence.claimrun import ClaimRun
from dnnkit.evidence.claims import get_claim
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.report import main as dnnkit_main
from dnnkit.results import storage
from dnnkit.seeds import run_seeds
from dnnkit.studies.exercises.__main__ import main as exercises_main
from dnnkit.studies.transfer import load_mlp
from dnnkit.train.checkpoints import load_checkpoint, read_checkpoint, save_checkpoint
from dnnkit.train.ensemble import fit_ensemble
from dnnkit.train.training import FitConfig, fit

pytest_plugins = ["pytester"]

N_FEATURES, N_CLASSES = 8, 3
SEEDS = run_seeds(0, "bad-inputs", 0)
NAN, INF = float("nan"), float("inf")
MARKER = "MARKER"  # what a malicious pickle would create in the workspace if it ran
INNER_ARGS = ("-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:benchmark", "-p", "no:xdist")
META = {"dnnkit": __version__, "torch": "x", "python": "3", "device": "cpu", "git_commit": "abc", "profile": "quick",
        "seed_base": 0}


# ------------------------------------------------------------------------------------------ the table


@dataclass
class Ctx:
    """What a case's call sees: its workspace (also the current directory), the module's shared artefacts and, for
    option cases, the pytester that runs an inner pytest session in the workspace."""

    path: Path
    shared: Any
    pytester: pytest.Pytester | None = None


@dataclass(frozen=True)
class Case:
    """One bad input. `named`: the bad value or file as the message shows it; `allowed`: the words saying what is
    allowed. Both may hold `{ws}`, the workspace path. `setup` writes the files the case reads, before the
    snapshot; every path a case reads or could write lies in its workspace, and the whole workspace must be left
    exactly as found. `error=None` marks the one input the issue's fix made valid (a finished run resumed): it must
    return normally and write nothing."""

    id: str
    category: str
    call: Callable[[Ctx], Any]
    error: type[BaseException] | None
    named: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()
    setup: Callable[[Ctx], None] | None = None
    skip: Callable[[], str | None] | None = None


class CommandFailed(Exception):
    """A command line (dnnkit, dnnkit stability, python -m dnnkit.exercises) exited non-zero; the message is the
    error line it printed last on stderr, after the exit status."""


class OptionRefused(Exception):
    """An inner pytest session stopped with a usage error; the message is its one ERROR block."""


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Every file and folder under root: name -> (size, sha256); folders as (0, 'dir')."""
    out = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.is_dir():
            out[name + "/"] = (0, "dir")
        else:
            out[name] = (path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())
    return out


def run_command(main: Callable[[list[str]], int], argv: list[str]) -> int:
    """Run a command line in this process as a user would: no traceback may escape or be printed; a non-zero exit
    raises CommandFailed with the error line the command printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_info:
            code = exit_info.code
    printed = out.getvalue() + err.getvalue()
    assert "Traceback" not in printed, printed
    if code in (0, None):
        return 0
    lines = [line for line in err.getvalue().splitlines() if line.strip()]
    assert lines, f"exit status {code} and nothing said on stderr; stdout: {out.getvalue()}"
    raise CommandFailed(f"exit {code}: {lines[-1]}")


def dnnkit_cmd(*argv: str) -> Callable[[Ctx], Any]:
    return lambda ctx: run_command(dnnkit_main, [a.format(ws=ctx.path) for a in argv])


def exercises_cmd(*argv: str) -> Callable[[Ctx], Any]:
    out = () if "--out" in argv else ("--out", "{ws}/out")
    return lambda ctx: run_command(exercises_main, [*(a.format(ws=ctx.path) for a in (*argv, *out)),
                                                    "--no-progress", "--no-plots"])


def pytest_with(*args: str) -> Callable[[Ctx], Any]:
    """The bad options given to an inner pytest session (in this process) of a test that would write a marker."""
    def call(ctx: Ctx) -> None:
        result = ctx.pytester.runpytest_inprocess(*INNER_ARGS, *(a.format(ws=ctx.path) for a in args))
        printed = "\n".join(result.outlines + result.errlines)
        assert "INTERNALERROR" not in printed and "Traceback" not in printed, printed
        assert result.ret == pytest.ExitCode.USAGE_ERROR, printed
        errors = [i for i, line in enumerate(result.errlines) if line.startswith("ERROR:")]
        assert len(errors) == 1, printed
        raise OptionRefused(" ".join(line.strip() for line in result.errlines[errors[0]:] if line.strip()))
    return call


def _cuda_present() -> str | None:
    return "CUDA is available here: --device cuda is a good option" if torch.cuda.is_available() else None


# ------------------------------------------------------------------------------------------ shared artefacts


def make_split(n_train: int = 48, n_val: int = 24) -> Split:
    g = torch.Generator().manual_seed(0)
    X = torch.randn(n_train + n_val, N_FEATURES, generator=g)
    y = torch.randint(0, N_CLASSES, (n_train + n_val,), generator=g)
    return Split(X[:n_train], y[:n_train], X[n_train:], y[n_train:], None, None, N_CLASSES, "tiny", "random")


def tiny(**changes: Any) -> MLPConfig:
    return MLPConfig(**{"n_inputs": N_FEATURES, "n_outputs": N_CLASSES, "depth": 1, "width": 6, **changes})


def model(config: MLPConfig | None = None) -> nn.Module:
    return build_mlp(config or tiny(), generator=SEEDS.generator("init"))


@contextlib.contextmanager
def unchanged(net: nn.Module) -> Iterator[nn.Module]:
    """Fails (on the way out, error or not) when the model's parameters or buffers changed: a refused checkpoint
    must restore nothing."""
    before = {k: v.clone() for k, v in net.state_dict().items()}
    try:
        yield net
    finally:
        assert all(torch.equal(before[k], v) for k, v in net.state_dict().items()), "the model was changed"


def _good_result_set(where: Path) -> None:
    run = ClaimRun(get_claim("large-init-high-loss"), profile="quick", n_seeds=5, seed_base=0, device="cpu",
                   nodeid="t.py::test_x")
    run.decide([10, 11, 12, 13, 14], [1, 2, 3, 4, 5], label="loss")
    storage.write_results(where, [{**run.to_record(), "outcome": "passed"}], META)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Built once per module: checkpoint folders of tiny 2-epoch runs (sgd; adam with a StepLR schedule) and a good
    result set."""
    root = tmp_path_factory.mktemp("shared")
    split = make_split()
    fit(model(), split, FitConfig(epochs=2, optimizer="sgd", lr=0.1, checkpoint_dir=root / "sgd", checkpoint_every=1),
        SEEDS)
    step = lambda opt, n: torch.optim.lr_scheduler.StepLR(opt, 1, 0.5)  # noqa: E731
    fit(model(), split, FitConfig(epochs=2, schedule=step, checkpoint_dir=root / "sched", checkpoint_every=1), SEEDS)
    _good_result_set(root / "good")
    return type("Shared", (), {"runs": root, "good": root / "good",
                               "good_payload": json.loads((root / "good" / "claims.json").read_text())})


def copy_run(name: str) -> Callable[[Ctx], None]:
    return lambda ctx: shutil.copytree(ctx.shared.runs / name, ctx.path / name)


# ------------------------------------------------------------------------------------------ options

def _unwritable(ctx: Ctx) -> None:
    if os.geteuid() != 0:
        locked = ctx.path / "locked"
        locked.mkdir()
        locked.chmod(0o500)


def _unwritable_dir() -> str:
    # root writes through any mode bits: /proc refuses a new folder to anyone
    return "/proc/dnnkit-results" if os.geteuid() == 0 else "locked/results"


def _option_files(ctx: Ctx) -> None:
    (ctx.path / "test_ran.py").write_text(f"def test_ran():\n    open({MARKER!r}, 'w').close()\n")
    (ctx.path / "afile").write_text("not a directory\n")
    _unwritable(ctx)


def option_cases() -> list[Case]:
    usable = ("give a writable directory",)
    table = [
        ("threads-0", ["--torch-threads", "0"], ("--torch-threads 0",), ("give an integer >= 1",)),
        ("threads-negative", ["--torch-threads", "-2"], ("--torch-threads -2",), ("give an integer >= 1",)),
        ("threads-not-int", ["--torch-threads", "two"], ("'two'",), ("invalid int value",)),
        ("seeds-1", ["--seeds", "1"], ("--seeds 1",), ("at least 2 seeds",)),
        ("seeds-0", ["--seeds", "0"], ("--seeds 0",), ("at least 2 seeds",)),
        ("seed-base-negative", ["--seed-base", "-1"], ("--seed-base -1",), ("give an integer >= 0",)),
        ("ensemble-workers-0", ["--ensemble-workers", "0"], ("--ensemble-workers 0",), ("'auto' or an integer >= 1",)),
        ("ensemble-workers-word", ["--ensemble-workers", "many"], ("--ensemble-workers many",),
         ("'auto' or an integer >= 1",)),
        ("ensemble-workers-with-threads", ["--ensemble-workers", "2", "--torch-threads", "2"],
         ("--ensemble-workers 2", "(got 2)"), ("needs --torch-threads 1",)),
        ("device-tpu", ["--device", "tpu"], ("'tpu'",), ("choose from 'auto', 'cpu', 'cuda'",)),
        ("profile-unknown", ["--profile", "huge"], ("'huge'",), ("choose from 'quick', 'full'",)),
        ("results-dir-file", ["--results-dir", "afile"], ("--results-dir afile", "it is a file"), usable),
        ("results-dir-under-file", ["--results-dir", "afile/sub"], ("--results-dir afile/sub",), usable),
        ("results-dir-unwritable", ["--results-dir", _unwritable_dir()], (f"--results-dir {_unwritable_dir()}",),
         usable),
        ("data-dir-missing", ["--data-dir", "missing"], ("--data-dir missing", "does not exist"),
         ("give the directory that holds",)),
        ("data-dir-missing-absolute", ["--data-dir", "{ws}/missing"], ("--data-dir {ws}/missing", "does not exist"),
         ("give the directory that holds",)),
        ("data-dir-full-profile-missing", ["--profile", "full", "--data-dir", "missing"],
         ("--data-dir missing", "does not exist"), ("give the directory that holds",)),
        ("data-dir-file", ["--data-dir", "afile"], ("--data-dir afile", "is not a directory"),
         ("give the directory that holds",)),
    ]
    cases = [Case(f"option-{name}", "options", pytest_with(*args), OptionRefused, named, allowed,
                  setup=_option_files) for name, args, named, allowed in table]
    cases.append(Case("option-device-cuda-without-cuda", "options", pytest_with("--device", "cuda"), OptionRefused,
                      ("--device cuda",), ("use --device cpu",), setup=_option_files, skip=_cuda_present))
    return cases


# ------------------------------------------------------------------------------------------ configs

TRUE_OR_FALSE = "allowed: True or False"
FIT_FIELDS: list[tuple[str, list[Any], str]] = [
    ("epochs", [0, -1, True, 2.0, "3"], "allowed: an int >= 1"),
    ("batch_size", [0, True, "32", 1.5], "allowed: an int >= 1"),
    ("lr", [0, -1e-3, NAN, INF, "0.1", True], "it must be a finite number > 0"),
    ("optimizer", ["lbfgs", None, "Adam"], "allowed: adagrad, adam, adamax"),
    ("patience", [0, -2, "3", True, 2.5], "allowed: None or an int >= 1"),
    ("restore_best", ["no", 1, None], TRUE_OR_FALSE),
    ("stop_at_target", ["yes", 1], TRUE_OR_FALSE),
    ("eval_train", ["no", 0], TRUE_OR_FALSE),
    ("checkpoint_every", [0, -1, True, "5"], "allowed: None or an int >= 1"),
    ("eval_batch_size", [0, -5, True, "4096"], "allowed: an int >= 1"),
    ("clip_norm", [0.0, True, "1"], "it must be None or a finite number > 0"),
    ("clip_value", [INF, -1.0], "it must be None or a finite number > 0"),
    ("schedule", ["step"], "allowed: None or a callable"),
    ("penalty", [1], "allowed: None or a callable"),
    ("param_groups", ["all"], "allowed: None or a callable"),
    ("after_step", [print, ["x"], "max_norm"], "allowed: a sequence (list or tuple) of callables"),
    ("schedule_per_step", ["yes"], TRUE_OR_FALSE),
    ("progress", [1], TRUE_OR_FALSE),
    ("optimizer_params", [[("momentum", 0.9)], None], "allowed: a dict of parameter names to values"),
    ("checkpoint_dir", [3, ""], "allowed: None or a non-empty str or Path"),
]
PAIR = "allowed: None or a (metric, threshold) pair"
TARGETS: list[tuple[Any, str, str]] = [
    (("val_acc",), "('val_acc',)", PAIR), ("val_acc", "'val_acc'", PAIR), (("val_acc", 0.9, 1), "('val_acc', 0.9, 1)", PAIR),
    (("accuracy", 0.9), "'accuracy'", "allowed: val_acc, train_acc"), ((3, 0.9), "metric 3", "allowed: val_acc"),
    (("val_acc", "0.9"), "'0.9'", "allowed: a finite number as the threshold"),
    (("val_acc", NAN), "nan", "allowed: a finite number as the threshold"),
    (("val_acc", True), "True", "allowed: a finite number as the threshold"),
    (("train_acc", 0.9), "'train_acc'", "needs eval_train=True"),
]
OPTIMIZER_PARAMS: list[tuple[str, dict, str, str]] = [
    ("sgd", {"betas": (0.9, 0.99)}, "unknown ['betas']", "allowed: momentum, dampening"),
    ("adam", {"momentum": 0.9}, "unknown ['momentum']", "allowed: betas, eps"),
    ("sgd", {"momentum": 1.5}, "momentum=1.5", "allowed: 0 <= momentum <= 1"),
    ("adam", {"weight_decay": -1.0}, "weight_decay=-1.0", "allowed: weight_decay >= 0"),
    ("adam", {"betas": (0.9, 1.0)}, "betas=(0.9, 1.0)", "allowed: two values in [0, 1)"),
    ("nesterov", {"momentum": 0}, "momentum=0", "allowed: 0 < momentum <= 1"),
]
POSITIVE_INT = "it must be a positive integer"
RATE = "rates must lie in [0, 1)"
INITS = "allowed: constant, glorot_normal"
A_DICT = "allowed: a dict of parameter names to values"
MLP_FIELDS: list[tuple[str, list[Any], str]] = [
    ("n_inputs", [0, True, "64", 2.0], POSITIVE_INT), ("n_outputs", [0, False], POSITIVE_INT),
    ("depth", [-1, True], POSITIVE_INT), ("width", [0, "100"], POSITIVE_INT),
    ("dropout", [1.0, -0.1, "0.5", True, NAN], RATE), ("input_dropout", [1.0, "0.1", True], RATE),
    ("alpha_dropout", ["no", 1], TRUE_OR_FALSE), ("input_batch_norm", ["yes"], TRUE_OR_FALSE),
    ("batch_norm", ["middle", True], "allowed: None, 'before', 'after'"),
    ("bn_momentum", [0.0, "0.1", True, NAN], "allowed: 0 < bn_momentum <= 1"),
    ("activation", ["swish", 3], "allowed: elu, gelu"), ("activation_params", [None, [1]], A_DICT),
    ("weight_init", ["bogus", None], INITS), ("weight_init_params", [[1]], A_DICT),
    ("bias_init", ["nope"], INITS), ("bias_init_params", ["x"], A_DICT),
]
MLP_PARTS: list[tuple[dict, str, str]] = [
    ({"dropout": (0.1, "x")}, "'x'", RATE),
    ({"dropout": (0.1, 0.2), "depth": 1}, "2 rates for depth 1", "give one per hidden layer"),
    ({"activation": "elu", "activation_params": {"alpha": -1.0}}, "alpha=-1.0", "allowed"),
    ({"weight_init": "normal", "weight_init_params": {"std": -1.0}}, "std=-1.0", "allowed"),
]


def _value_id(value: Any) -> str:
    return getattr(value, "__name__", None) or repr(value)


def config_cases() -> list[Case]:
    cases = []
    for name, values, allowed in FIT_FIELDS:
        for value in values:
            # checkpoint_dir inside the workspace: a config taken by mistake would show as a new folder
            kwargs = {name: value} if name == "checkpoint_dir" else {name: value, "checkpoint_dir": "ck"}
            cases.append(Case(f"fit-config-{name}={_value_id(value)}", "configs",
                              lambda ctx, kwargs=kwargs: fit(model(), make_split(), FitConfig(**kwargs), SEEDS),
                              ValueError, (f"FitConfig.{name}", repr(value)), (allowed,)))
    for target, shown, allowed in TARGETS:
        cases.append(Case(f"fit-config-target={target!r}", "configs",
                          lambda ctx, target=target: FitConfig(target=target, checkpoint_dir="ck"),
                          ValueError, ("FitConfig.target", shown), (allowed,)))
    for optimizer, params, shown, allowed in OPTIMIZER_PARAMS:
        cases.append(Case(f"fit-config-{optimizer}-params={params!r}", "configs",
                          lambda ctx, o=optimizer, p=params: FitConfig(optimizer=o, optimizer_params=p),
                          ValueError, ("FitConfig.optimizer_params", f"'{optimizer}'", shown), (allowed,)))
    for name, values, allowed in MLP_FIELDS:
        for value in values:
            cases.append(Case(f"mlp-config-{name}={value!r}", "configs", lambda ctx, n=name, v=value: tiny(**{n: v}),
                              ValueError, (f"MLPConfig.{name}", repr(value)), (allowed,)))
    for changes, shown, allowed in MLP_PARTS:
        cases.append(Case(f"mlp-config-{'-'.join(f'{k}={v!r}' for k, v in changes.items())}", "configs",
                          lambda ctx, c=changes: tiny(**c), ValueError, ("MLPConfig.", shown), (allowed,)))
    return cases


# ------------------------------------------------------------------------------------------ fit's inputs


def _broken(kind: str) -> tuple[Split, MLPConfig, tuple[str, ...], str]:
    """A split with one bad part (set after construction: Split checks itself only when built), the config of the
    model it is given to, the strings naming the bad part and the words saying what is allowed."""
    split, config = make_split(), tiny()
    rows = "they must be equal (one label per row)"
    if kind == "empty-train":
        split.X_train, split.y_train = split.X_train[:0], split.y_train[:0]
        return split, config, ("training split is empty", "X_train has 0 rows"), "allowed: at least 1 example"
    if kind == "empty-val":
        split.X_val, split.y_val = split.X_val[:0], split.y_val[:0]
        return split, config, ("validation split is empty", "X_val has 0 rows"), "allowed: at least 1 example"
    if kind == "y_train-longer":
        split.y_train = torch.cat([split.y_train, split.y_train[:5]])
        return split, config, ("X_train has 48 rows", "y_train has 53 labels"), rows
    if kind == "y_train-shorter":
        split.y_train = split.y_train[:40]
        return split, config, ("X_train has 48 rows", "y_train has 40 labels"), rows
    if kind == "y_val-mismatch":
        split.y_val = split.y_val[:3]
        return split, config, ("X_val has 24 rows", "y_val has 3 labels"), rows
    if kind == "model-input-width":
        return split, tiny(n_inputs=5), ("takes 5 input features", "X_train has 8"), "build the model with n_inputs=8"
    if kind == "X_val-width":
        split.X_val = split.X_val[:, :4]
        return split, config, ("X_val has 4 features", "X_train has 8"), "they must be equal"
    if kind == "train-labels":
        split.y_train = split.y_train.clone()
        split.y_train[0] = 7
        return split, config, ("y_train", "labels [7]"), "allowed: 0..2"
    if kind == "val-labels":
        split.y_val = split.y_val.clone()
        split.y_val[0] = -1
        return split, config, ("y_val", "labels [-1]"), "allowed: 0..2"
    if kind == "nan-features":
        split.X_train = split.X_train.clone()
        split.X_train[2, 1] = math.nan
        return split, config, ("X_train", "NaN", "(2, 1)"), "only finite values are allowed"
    raise AssertionError(kind)


INPUT_KINDS = ["empty-train", "empty-val", "y_train-longer", "y_train-shorter", "y_val-mismatch", "model-input-width",
               "X_val-width", "train-labels", "val-labels", "nan-features"]


def _fit_broken(kind: str, path: str) -> Callable[[Ctx], Any]:
    def call(ctx: Ctx) -> None:
        split, config, _, _ = _broken(kind)
        if path == "fit":
            fit(model(config), split, FitConfig(epochs=1, checkpoint_dir="ck", checkpoint_every=1), SEEDS)
        else:
            fit_ensemble(config, split, FitConfig(epochs=1, checkpoint_dir="ck", checkpoint_every=1), [SEEDS, SEEDS])
    return call


def input_cases() -> list[Case]:
    cases = []
    for kind in INPUT_KINDS:
        _, _, named, allowed = _broken(kind)
        for path in ("fit", "ensemble"):
            cases.append(Case(f"fit-input-{kind}-{path}", "fit inputs", _fit_broken(kind, path), ValueError, named,
                              (allowed,)))
    other = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, N_CLASSES))
    cases.append(Case("fit-input-any-model-input-width", "fit inputs",
                      lambda ctx: fit(other, make_split(), FitConfig(epochs=1, checkpoint_dir="ck"), SEEDS),
                      ValueError, ("takes 5 input features", "X_train has 8"), ("build the model with n_inputs=8",)))
    return cases


# ------------------------------------------------------------------------------------------ checkpoints and resume

FROM_SAVE = "allowed: a file written by save_checkpoint"


def _old_run(name: str, checkpoint: str, *extra_keys: str) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        copy_run(name)(ctx)
        strip_to_format_0(ctx.path / name / checkpoint, *extra_keys)
    return setup


def _resume(checkpoint: str, net: Callable[[], nn.Module] = model, **config: Any) -> Callable[[Ctx], Any]:
    def call(ctx: Ctx) -> None:
        with unchanged(net()) as target:
            fit(target, make_split(), FitConfig(**{"epochs": 2, "checkpoint_dir": "out", **config}), SEEDS,
                resume_from=ctx.path / checkpoint)
    return call


def _resume_finished(ctx: Ctx) -> None:
    """Accepted since the issue: a finished run's final.pt resumes as complete, with the history it stored."""
    stored = load_checkpoint(ctx.path / "sgd" / "final.pt")["extra"]["rows"]
    result = fit(model(), make_split(), FitConfig(epochs=2, optimizer="sgd", lr=0.1, checkpoint_dir="sgd",
                                                  checkpoint_every=1), SEEDS, resume_from=ctx.path / "sgd" / "final.pt")
    assert result.history["epoch"].tolist() == [row["epoch"] for row in stored] == [1, 2]


def _bad_checkpoint(kind: str) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        bad = ctx.path / "bad.pt"
        if kind == "empty":
            bad.write_bytes(b"")
        elif kind == "text":
            bad.write_bytes(b"hello world")
        elif kind == "truncated":
            raw = (ctx.shared.runs / "sgd" / "final.pt").read_bytes()
            bad.write_bytes(raw[: len(raw) // 2])
        elif kind == "not-ours":
            torch.save({"weights": torch.zeros(2)}, bad)
        elif kind == "newer-format":
            torch.save({"format": 99, "model": {}, "extra": {}}, bad)
        elif kind == "bool-format":
            torch.save({"format": True, "model": {}, "extra": {}}, bad)
        elif kind == "model-not-dict":
            torch.save({"model": torch.zeros(2)}, bad)
        elif kind == "extra-not-dict":
            torch.save({"model": {}, "extra": [1]}, bad)
        elif kind == "numpy-array":
            torch.save({"model": {}, "extra": {"x": np.zeros(2)}}, bad)
        else:
            raise AssertionError(kind)
    return setup


def _stored_config(stored: Any) -> Callable[[Ctx], None]:
    return lambda ctx: save_checkpoint(ctx.path / "m.pt", model(), mlp_config=stored) and None


def _load_into_adam(name: str) -> Callable[[Ctx], Any]:
    def call(ctx: Ctx) -> None:
        with unchanged(model()) as net:
            load_checkpoint(ctx.path / name, net, torch.optim.Adam(net.parameters()))
    return call


def _load_with_schedule(ctx: Ctx) -> None:
    with unchanged(model()) as net:
        opt = torch.optim.Adam(net.parameters())
        load_checkpoint(ctx.path / "sched" / "epoch-0001.pt", net, opt, torch.optim.lr_scheduler.ExponentialLR(opt, 0.9))


def checkpoint_cases() -> list[Case]:
    ck = "checkpoints"
    small = {"n_inputs": N_FEATURES, "n_outputs": N_CLASSES, "depth": 1, "width": 6}
    cases = [
        Case("resume-sgd-checkpoint-with-adam-config", ck, _resume("sgd/epoch-0001.pt"), ValueError,
             ("epoch-0001.pt", "'sgd'", "'adam'", "SGD"), ("resume with FitConfig.optimizer='sgd'",), copy_run("sgd")),
        Case("resume-old-sgd-checkpoint-with-adam", ck, _resume("sgd/epoch-0001.pt"), ValueError,
             ("epoch-0001.pt", "'betas'", "Adam"), ("another optimizer type",),
             _old_run("sgd", "epoch-0001.pt", "optimizer_name")),
        Case("resume-other-architecture", ck, _resume("sgd/epoch-0001.pt", lambda: model(tiny(width=7)),
                                                      optimizer="sgd", lr=0.1),
             ValueError, ("epoch-0001.pt", "hidden.0.0.weight: checkpoint (6, 8), model (7, 8)"),
             ("allowed: a model of the architecture that wrote it",), copy_run("sgd")),
        Case("resume-finished-run-final-pt", ck, _resume_finished, None, setup=copy_run("sgd")),
        Case("resume-old-finished-run-without-history", ck, _resume("sgd/final.pt", optimizer="sgd", lr=0.1),
             ValueError, ("final.pt", "epoch 2", "FitConfig.epochs=2"), ("epochs > 2",),
             _old_run("sgd", "final.pt", "complete", "rows")),
        Case("resume-past-the-configs-epochs", ck, _resume("sgd/epoch-0002.pt", epochs=1, optimizer="sgd", lr=0.1),
             ValueError, ("epoch-0002.pt", "epoch 2", "FitConfig.epochs=1"), ("allowed",), copy_run("sgd")),
        Case("resume-finished-run-with-fewer-epochs", ck, _resume("sgd/final.pt", epochs=1, optimizer="sgd", lr=0.1),
             ValueError, ("final.pt", "finished run of 2 epochs", "FitConfig.epochs=1"), ("allowed: FitConfig.epochs >= 2",),
             copy_run("sgd")),
        Case("resume-scheduled-run-without-schedule", ck, _resume("sched/epoch-0001.pt"), ValueError,
             ("epoch-0001.pt", "StepLR"), ("resume with the run's schedule",), copy_run("sched")),
        Case("resume-from-a-directory", ck, _resume("sgd"), IsADirectoryError, ("'{ws}/sgd'", "is a directory"),
             ("give a checkpoint file", "final.pt"), copy_run("sgd")),
        Case("resume-from-a-missing-file", ck, _resume("absent.pt"), FileNotFoundError, ("'{ws}/absent.pt'",),
             ("allowed",)),
        Case("load-checkpoint-other-schedule", ck, _load_with_schedule, ValueError,
             ("epoch-0001.pt", "StepLR", "ExponentialLR"), ("allowed: a schedule of the type that wrote it",),
             copy_run("sched")),
        Case("load-checkpoint-other-optimizer", ck, _load_into_adam("sgd/epoch-0002.pt"), ValueError,
             ("epoch-0002.pt", "SGD", "Adam"), ("allowed: an optimizer of the type that wrote it",), copy_run("sgd")),
        Case("load-checkpoint-directory", ck, lambda ctx: load_checkpoint(ctx.path / "sgd"), IsADirectoryError,
             ("'{ws}/sgd'", "is a directory"), ("give a checkpoint file", "final.pt"), copy_run("sgd")),
        Case("load-checkpoint-empty-directory", ck, lambda ctx: load_checkpoint(ctx.path / "empty"),
             IsADirectoryError, ("'{ws}/empty'", "holds no .pt files"), ("give a checkpoint file",),
             lambda ctx: (ctx.path / "empty").mkdir()),
        Case("load-checkpoint-missing", ck, lambda ctx: load_checkpoint(ctx.path / "absent.pt"), FileNotFoundError,
             ("'{ws}/absent.pt'", "does not exist"), ("allowed",)),
    ]
    for kind, named in [("empty", "corrupt or truncated"), ("text", "corrupt or truncated"),
                        ("truncated", "corrupt or truncated"), ("not-ours", "not a dnnkit checkpoint"),
                        ("newer-format", "format 99"), ("bool-format", "format True"),
                        ("model-not-dict", "not a dnnkit checkpoint"), ("extra-not-dict", "'extra' entry"),
                        ("numpy-array", "numpy")]:
        allowed = "this dnnkit reads formats 0..1" if "format" in kind else FROM_SAVE
        cases.append(Case(f"load-checkpoint-{kind}", ck, lambda ctx: load_checkpoint(ctx.path / "bad.pt", model()),
                          ValueError, ("'{ws}/bad.pt'", named), (allowed,), _bad_checkpoint(kind)))
    cases.append(Case("load-mlp-corrupt", ck, lambda ctx: load_mlp(ctx.path / "bad.pt"), ValueError,
                      ("'{ws}/bad.pt'", "corrupt or truncated"), (FROM_SAVE,), _bad_checkpoint("truncated")))
    for name, stored, named in [("unknown-field", {**small, "gating": True}, "['gating']"),
                                ("missing-field", {"n_inputs": N_FEATURES, "depth": 1, "width": 6}, "['n_outputs']"),
                                ("bad-value", {**small, "dropout": 2.0}, "dropout rate 2.0"),
                                ("not-a-dict", [1, 2], "not a dict")]:
        cases.append(Case(f"load-mlp-stored-config-{name}", ck, lambda ctx: load_mlp(ctx.path / "m.pt"), ValueError,
                          ("'{ws}/m.pt'", named), ("pass config=" if name == "missing-field" else "allowed",),
                          _stored_config(stored)))
    cases.append(Case("load-mlp-without-stored-config", ck, lambda ctx: load_mlp(ctx.path / "sgd" / "final.pt"),
                      ValueError, ("final.pt", "stores no MLPConfig"), ("pass config=",), copy_run("sgd")))
    return cases


# ------------------------------------------------------------------------------------------ malicious pickles


class _System:
    """Unpickling calls os.system: it would create the marker through a shell."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch '{self.marker}'",)


class _Open(_System):
    """Unpickling calls open(marker, 'w')."""

    def __reduce__(self):
        return open, (str(self.marker), "w")


class _Touch(_System):
    """Unpickling calls pathlib.Path.touch (protocol 4 pickles a method by its qualified name)."""

    def __reduce__(self):
        return Path.touch, (Path(self.marker),)


class _Codec(_System):
    """Unpickling calls _codecs.encode, which CIFAR's loader allows for latin1 only."""

    def __reduce__(self):
        import codecs

        return codecs.encode, ("abc", "rot13")


PAYLOADS = {"system": (_System, f"{os.system.__module__}.system"), "open": (_Open, "io.open"), "touch": (_Touch, "getattr")}


def _evil_checkpoint(name: str, payload: str, where: str = "extra") -> Callable[[Ctx], None]:
    """A torch checkpoint (zip) with the malicious object in `where`, or a bare pickle of it (`where='raw'`)."""
    def setup(ctx: Ctx) -> None:
        path = ctx.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        evil = PAYLOADS[payload][0](ctx.path / MARKER)
        if where == "raw":
            path.write_bytes(pickle.dumps(evil, protocol=2))
        elif where == "model":
            torch.save({"format": 1, "model": {"w": evil}, "extra": {}}, path)
        else:
            torch.save({"format": 1, "model": {}, "extra": {"note": evil}}, path)
    return setup


CIFAR_BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def _cifar_batch(n: int = 2, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {b"batch_label": b"x", b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"labels": [int(v) for v in rng.integers(0, 10, n)], b"filenames": [b"a.png"] * n}


def _cifar(bad_name: str | None = None, content: Any = None, *, protocol: int = 2,
           raw: bytes | None = None) -> Callable[[Ctx], None]:
    """A cifar-10-batches-py folder of 2-image batches in which `bad_name` holds `content` (pickled; a callable is
    given the workspace's marker path) or the bytes `raw`; content=None and raw=None removes the file."""
    def setup(ctx: Ctx) -> None:
        folder = ctx.path / "cifar" / "cifar-10-batches-py"
        folder.mkdir(parents=True)
        for i, name in enumerate(CIFAR_BATCHES):
            (folder / name).write_bytes(pickle.dumps(_cifar_batch(seed=i), protocol=2))
        if bad_name is None:
            return
        target = folder / bad_name
        if raw is not None:
            target.write_bytes(raw)
        elif content is None:
            target.unlink()
        else:
            value = content(ctx.path / MARKER) if callable(content) else content
            target.write_bytes(pickle.dumps(value, protocol=protocol))
    return setup


def pickle_cases() -> list[Case]:
    cases = []
    ck_allowed = ("no code was run", FROM_SAVE)
    loaders = {
        "load_checkpoint": lambda ctx, f: load_checkpoint(ctx.path / f),
        "read_checkpoint": lambda ctx, f: read_checkpoint(ctx.path / f),
        "load_mlp": lambda ctx, f: load_mlp(ctx.path / f),
        "fit-resume": lambda ctx, f: fit(model(), make_split(), FitConfig(epochs=2, checkpoint_dir="run"), SEEDS,
                                         resume_from=ctx.path / f),
    }
    plan = [("load_checkpoint", "system", "extra"), ("load_checkpoint", "open", "model"),
            ("read_checkpoint", "touch", "extra"), ("read_checkpoint", "system", "raw"),
            ("load_mlp", "open", "extra"), ("load_mlp", "system", "model"), ("load_mlp", "touch", "raw"),
            ("fit-resume", "system", "extra"), ("fit-resume", "open", "raw"), ("fit-resume", "touch", "model")]
    for loader, payload, where in plan:
        name = "run/final.pt" if loader == "fit-resume" else "evil.pt"
        cases.append(Case(f"pickle-checkpoint-{loader}-{payload}-in-{where}", "malicious pickles",
                          lambda ctx, load=loaders[loader], f=name: load(ctx, f), ValueError,
                          (f"'{{ws}}/{name}'", PAYLOADS[payload][1]), ck_allowed,
                          _evil_checkpoint(name, payload, where)))
    cifar_allowed = ("no code was run", "allowed: a CIFAR-10 python batch")
    for batch, payload, loader in [("data_batch_1", "system", load_cifar10), ("data_batch_3", "open", cifar10_split),
                                   ("test_batch", "system", cifar10_split), ("data_batch_5", "open", load_cifar10)]:
        cases.append(Case(f"pickle-cifar-{batch}-{payload}-{loader.__name__}", "malicious pickles",
                          lambda ctx, load=loader: load(ctx.path / "cifar"), ValueError,
                          (batch, PAYLOADS[payload][1]), cifar_allowed, _cifar(batch, PAYLOADS[payload][0])))
    cases += [
        Case("pickle-cifar-path-touch", "malicious pickles", lambda ctx: load_cifar10(ctx.path / "cifar"), ValueError,
             ("data_batch_2", "pathlib.Path.touch"), cifar_allowed, _cifar("data_batch_2", _Touch, protocol=4)),
        Case("pickle-cifar-inside-the-data-dict", "malicious pickles", lambda ctx: load_cifar10(ctx.path / "cifar"),
             ValueError, ("data_batch_4", PAYLOADS["system"][1]), cifar_allowed,
             _cifar("data_batch_4", lambda m: {**_cifar_batch(), b"labels": _System(m)})),
        Case("pickle-cifar-inside-an-object-array", "malicious pickles", lambda ctx: load_cifar10(ctx.path / "cifar"),
             ValueError, ("data_batch_1", PAYLOADS["system"][1]), cifar_allowed,
             _cifar("data_batch_1", lambda m: {b"data": np.array([_System(m)], dtype=object), b"labels": [0]})),
        Case("pickle-cifar-codecs-encode-not-latin1", "malicious pickles", lambda ctx: load_cifar10(ctx.path / "cifar"),
             ValueError, ("data_batch_1", "'rot13'"), cifar_allowed, _cifar("data_batch_1", _Codec)),
        Case("pickle-cifar-via-the-exercises-command", "malicious pickles",
             exercises_cmd("cifar10-deep", "--profile", "full", "--data-dir", "{ws}/cifar"), CommandFailed,
             ("data_batch_1", PAYLOADS["system"][1]), cifar_allowed, _cifar("data_batch_1", _System)),
    ]
    return cases


def test_the_malicious_payloads_are_live(tmp_path: Path) -> None:
    """Guards the pickle cases: each payload, unpickled without restriction, does write its marker."""
    for payload, (kind, _) in PAYLOADS.items():
        marker = tmp_path / f"{payload}.marker"
        pickle.loads(pickle.dumps(kind(marker), protocol=4))
        assert marker.exists(), payload
    marker = tmp_path / "torch.marker"
    torch.save({"model": {}, "extra": {"note": _System(marker)}}, tmp_path / "evil.pt")
    torch.load(tmp_path / "evil.pt", weights_only=False)
    assert marker.exists()


# ------------------------------------------------------------------------------------------ data files


def _idx(magic: int, dims: tuple[int, ...], payload: bytes | None = None) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    body = payload if payload is not None else bytes(i % 10 if magic == 2049 else i % 256 for i in range(math.prod(dims)))
    return header + body


MNIST_FILES = {"train-images-idx3-ubyte": (2051, (12, 28, 28)), "train-labels-idx1-ubyte": (2049, (12,)),
               "t10k-images-idx3-ubyte": (2051, (4, 28, 28)), "t10k-labels-idx1-ubyte": (2049, (4,))}


def _mnist(name: str | None = None, raw: bytes | None = None, *, gz: bool = False) -> Callable[[Ctx], None]:
    """The four IDX files (12 train and 4 test images) in ws/mnist, with `name` replaced by `raw` (None: removed);
    gz=True writes `name` as NAME.gz instead."""
    def setup(ctx: Ctx) -> None:
        folder = ctx.path / "mnist"
        folder.mkdir()
        for file, (magic, dims) in MNIST_FILES.items():
            (folder / file).write_bytes(_idx(magic, dims))
        if name is None:
            return
        (folder / name).unlink()
        if raw is not None:
            (folder / (name + ".gz" if gz else name)).write_bytes(raw)
    return setup


def _gz(raw: bytes) -> bytes:
    return gzip.compress(raw)


def data_cases() -> list[Case]:
    files = "pass --data-dir DIR where DIR holds the four MNIST"
    good_images = _idx(2051, (12, 28, 28))
    mnist = [
        ("bad-magic", "train-images-idx3-ubyte", _idx(2049, (12, 28, 28)), False, ("magic number 2049",),
         "expected 2051"),
        ("labels-magic-in-images", "t10k-labels-idx1-ubyte", _idx(2051, (4,)), False, ("magic number 2051",),
         "expected 2049"),
        ("truncated-payload", "train-images-idx3-ubyte", good_images[:-100], False, ("size is 9324 bytes",),
         "expected 9424"),
        ("longer-payload", "t10k-labels-idx1-ubyte", _idx(2049, (4,)) + b"\x00", False, ("size is 13 bytes",),
         "expected 12"),
        ("truncated-header", "train-images-idx3-ubyte", good_images[:10], False, ("10 bytes", "16-byte header"),
         "the file is truncated"),
        ("too-short", "train-labels-idx1-ubyte", b"\x00\x00", False, ("2 bytes",), "allowed: an IDX file"),
        ("wrong-count", "train-labels-idx1-ubyte", _idx(2049, (11,)), False, ("12 images", "11 labels"),
         "allowed: one label per image"),
        ("label-10", "t10k-labels-idx1-ubyte", _idx(2049, (4,), bytes([1, 10, 2, 3])), False, ("label 10",),
         "allowed 0..9"),
        ("test-image-size", "t10k-images-idx3-ubyte", _idx(2051, (4, 27, 27)), False, ("of (27, 27)", "(28, 28) pixels"),
         "allowed: one image size"),
        ("corrupt-gzip", "train-images-idx3-ubyte", b"not gzip at all", True, ("cannot read",),
         "allowed: an IDX file"),
        ("truncated-gzip", "train-labels-idx1-ubyte", _gz(_idx(2049, (12,)))[:-12], True, ("cannot read",),
         "allowed: an IDX file"),
        ("truncated-inside-gzip", "t10k-images-idx3-ubyte", _gz(_idx(2051, (4, 28, 28))[:-5]), True,
         ("decompressed size is 3147 bytes",), "expected 3152"),
        ("missing-file", "t10k-labels-idx1-ubyte", None, False, ("t10k-labels-idx1-ubyte", "not found"), files),
        ("missing-first-file", "train-images-idx3-ubyte", None, False, ("train-images-idx3-ubyte", "not found"), files),
    ]
    cases = []
    for name, file, raw, gz, named, allowed in mnist:
        shown = f"{{ws}}/mnist/{file}{'.gz' if gz else ''}"
        for loader in (load_mnist_idx, mnist_split):
            cases.append(Case(f"mnist-{name}-{loader.__name__}", "data files",
                              lambda ctx, load=loader: load(ctx.path / "mnist"),
                              FileNotFoundError if raw is None else ValueError, (shown, *named), (allowed,),
                              _mnist(file, raw, gz=gz)))
    cases.append(Case("mnist-unknown-kind", "data files", lambda ctx: load_mnist_idx(ctx.path / "mnist", kind="digits"),
                      ValueError, ("'digits'",), ("must be 'mnist' or 'fashion'",), _mnist()))
    cifar_batch = "allowed: a CIFAR-10 python batch"
    cifar = [
        ("data-wrong-shape", "data_batch_2", {b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]},
         ("(2, 100)",), "data must be a uint8 array [N, 3072]"),
        ("data-float", "data_batch_1", {b"data": np.zeros((2, 3072)), b"labels": [0, 1]}, ("float64",),
         "data must be a uint8 array [N, 3072]"),
        ("data-a-list", "test_batch", {b"data": [[0] * 3072], b"labels": [0]}, ("list",),
         "data must be a uint8 array [N, 3072]"),
        ("label-10", "data_batch_3", {**_cifar_batch(), b"labels": [3, 10]}, ("labels span 3..10",), "allowed 0..9"),
        ("label-negative", "test_batch", {**_cifar_batch(), b"labels": [-1, 4]}, ("labels span -1..4",),
         "allowed 0..9"),
        ("label-count", "data_batch_5", {**_cifar_batch(), b"labels": [1, 2, 3]}, ("2 images", "shape (3,)"),
         "allowed: one integer label per image"),
        ("labels-text", "data_batch_1", {**_cifar_batch(), b"labels": [b"cat", b"dog"]}, ("dtype |S3",),
         "allowed: one integer label per image"),
        ("not-a-dict", "data_batch_4", [1, 2, 3], ("got list",), cifar_batch),
        ("no-labels", "data_batch_2", {b"data": np.zeros((2, 3072), np.uint8)}, ("lack 'data' and/or 'labels'",),
         cifar_batch),
    ]
    for name, file, content, named, allowed in cifar:
        cases.append(Case(f"cifar-{name}", "data files", lambda ctx: load_cifar10(ctx.path / "cifar"), ValueError,
                          (file, *named), (allowed,), _cifar(file, content)))
    whole = pickle.dumps(_cifar_batch(), protocol=2)
    for name, file, raw, named in [("truncated-pickle", "data_batch_1", whole[: len(whole) // 2], "truncated"),
                                   ("empty-file", "test_batch", b"", "Ran out of input"),
                                   ("not-a-pickle", "data_batch_2", b"\x89PNG\r\n", "not a valid CIFAR-10 batch")]:
        cases.append(Case(f"cifar-{name}", "data files", lambda ctx: cifar10_split(ctx.path / "cifar"), ValueError,
                          (file, named), (cifar_batch,), _cifar(file, raw=raw)))
    cases.append(Case("cifar-dir-without-batches", "data files", lambda ctx: load_cifar10(ctx.path / "cifar"),
                      FileNotFoundError, ("{ws}/cifar/cifar-10-batches-py/data_batch_1", "not found"),
                      ("the extracted CIFAR-10 folder cifar-10-batches-py/",), lambda ctx: (ctx.path / "cifar").mkdir()))
    for file in ("data_batch_3", "test_batch"):
        cases.append(Case(f"cifar-missing-{file}", "data files", lambda ctx: load_cifar10(ctx.path / "cifar"),
                          FileNotFoundError, (f"{{ws}}/cifar/cifar-10-batches-py/{file}", "not found"),
                          ("the extracted CIFAR-10 folder cifar-10-batches-py/",), _cifar(file)))
    loaders = {"mnist_split": mnist_split, "cifar10_split": cifar10_split, "load_mnist_idx": load_mnist_idx,
               "load_cifar10": load_cifar10}
    for loader_name, loader in loaders.items():
        cases.append(Case(f"data-dir-is-a-file-{loader_name}", "data files",
                          lambda ctx, load=loader: load(ctx.path / "train-images-idx3-ubyte"), NotADirectoryError,
                          ("data directory {ws}/train-images-idx3-ubyte is a file",), ("give the directory",),
                          lambda ctx: (ctx.path / "train-images-idx3-ubyte").write_bytes(b"\x00" * 16)))
        cases.append(Case(f"data-dir-missing-{loader_name}", "data files",
                          lambda ctx, load=loader: load(ctx.path / "missing"), FileNotFoundError,
                          ("data directory {ws}/missing does not exist",), ("pass --data-dir DIR",)))
    return cases


# ------------------------------------------------------------------------------------------ the report


def _set(payload: dict, path: str, value: object) -> dict:
    out = copy.deepcopy(payload)
    keys = path.split(".")
    node = out
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = keys[-1]
    if value is KeyError:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


BAD_FIELDS = [
    ("meta", KeyError, "meta is None"),
    ("meta", "x", "meta is 'x'"),
    ("claims", {"a": 1}, "claims is 'dict'"),
    ("claims.0", 3, "claims[0] is 'int'"),
    ("claims.0.id", KeyError, "claims[0].id is None"),
    ("claims.0.id", "", "claims[0].id is ''"),
    ("claims.0.claim", KeyError, "claim is None"),
    ("claims.0.claim.section", 5, "claim.section is 5"),
    ("claims.0.claim.kind", None, "claim.kind is None"),
    ("claims.0.claim.sentence", KeyError, "claim.sentence is None"),
    ("claims.0.verdict", "maybe", "verdict is 'maybe'"),
    ("claims.0.decisions", "x", "decisions is 'str'"),
    ("claims.0.decisions.0.label", KeyError, "decisions[0].label is None"),
    ("claims.0.decisions.0.label", 7, "decisions[0].label is 7"),
    ("claims.0.decisions.0.decision", KeyError, "decisions[0].decision is None"),
    ("claims.0.decisions.0.decision.verdict", KeyError, "decision.verdict is None"),
    ("claims.0.decisions.0.decision.test", 1.5, "decision.test is 1.5"),
    ("claims.0.decisions.0.values", [1], "values/effect is [1]"),
]


def _bad_set(field_path: str, value: object) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        shutil.copytree(ctx.shared.good, ctx.path / "good")
        (ctx.path / "bad").mkdir()
        (ctx.path / "bad" / "claims.json").write_text(json.dumps(_set(ctx.shared.good_payload, field_path, value)))
    return setup


def _report_files(ctx: Ctx) -> None:
    shutil.copytree(ctx.shared.good, ctx.path / "good")
    (ctx.path / "not-json.json").write_text("{not json")
    (ctx.path / "other-schema.json").write_text('{"schema": 2, "claims": []}')
    (ctx.path / "not-bench.json").write_text('{"benchmarks": [{"name": "x"}]}')


def report_cases() -> list[Case]:
    commands = {"show": ("--results", "bad"), "compare": ("--compare", "good", "bad"),
                "claim": ("--results", "bad", "--claim", "large-init-high-loss")}
    cases = []
    for field_path, value, named in BAD_FIELDS:
        for command, argv in commands.items():
            cases.append(Case(f"report-{command}-{field_path}={'missing' if value is KeyError else repr(value)}",
                              "report", dnnkit_cmd(*argv), CommandFailed,
                              ("exit 2", "is not a valid dnnkit result set", named), ("allowed:",),
                              _bad_set(field_path, value)))
    usage = [
        ("results-missing-file", ("--results", "missing.json"), ("'missing.json'", "cannot read dnnkit results"),
         "give a results directory"),
        ("compare-missing-dir", ("--compare", "good", "nothing-here"), ("nothing-here", "cannot read dnnkit results"),
         "give a results directory"),
        ("markdown-on-a-file", ("--results", "good", "--markdown", "good/claims.md"),
         ("--markdown 'good/claims.md' is a file",), "give a directory"),
        ("plots-on-a-file", ("--results", "good", "--plots", "good/runs.csv"), ("--plots 'good/runs.csv' is a file",),
         "give a directory"),
        ("results-not-json", ("--results", "not-json.json"), ("not-json.json", "cannot read dnnkit results"),
         "give a results directory"),
        ("results-other-schema", ("--results", "other-schema.json"), ("other-schema.json", "schema 1"),
         "allowed: a results directory"),
        ("claim-unknown-id", ("--results", "good", "--claim", "no-such-claim"), ("'no-such-claim'",), "the claims table lists every id"),
        ("bench-missing", ("--results", "good", "--bench", "missing-bench.json"),
         ("'missing-bench.json'", "cannot read benchmark JSON"),
         "give a file written by pytest --benchmark-json"),
        ("bench-not-a-benchmark", ("--results", "good", "--bench", "not-bench.json"),
         ("'not-bench.json'", "is not a pytest-benchmark JSON file"), "expected a 'benchmarks' list"),
    ]
    for name, argv, named, allowed in usage:
        cases.append(Case(f"report-{name}", "report", dnnkit_cmd(*argv), CommandFailed, ("exit 2", *named), (allowed,),
                          _report_files))
    return cases


# ------------------------------------------------------------------------------------------ the other commands


def command_cases() -> list[Case]:
    bases = "give bases as '0-4' or '0,1,2'"
    stability = [
        ("bases-reversed", ("--bases", "4-0"), ("--bases '4-0'",), bases),
        ("bases-word", ("--bases", "all"), ("--bases 'all'",), bases),
        ("bases-empty", ("--bases", ""), ("--bases ''",), bases),
        ("bases-negative", ("--bases=-1,2",), ("--bases '-1,2'",), bases),
        ("bases-one", ("--bases", "3"), ("--bases '3'",), "at least two bases"),
        ("workers-0", ("--bases", "0-1", "-n", "0"), ("--workers 0",), "give an integer >= 1"),
        ("results-dir-file", ("--bases", "0-1", "--results-dir", "afile"), ("--results-dir 'afile' is a file",),
         "give a directory"),
    ]
    cases = [Case(f"stability-{name}", "commands", dnnkit_cmd("stability", *argv), CommandFailed, named, (allowed,),
                  lambda ctx: (ctx.path / "afile").write_text("x")) for name, argv, named, allowed in stability]
    exercises = [
        ("unknown-name", ("bogus",), ("'bogus'",), "choose from 'mnist-0-4'"),
        ("profile-unknown", ("mnist-0-4", "--profile", "huge"), ("'huge'",), "choose from 'quick', 'full'"),
        ("seeds-0", ("mnist-0-4", "--seeds", "0"), ("seeds=0",), "allowed: an integer >= 1"),
        ("seeds-word", ("mnist-0-4", "--seeds", "five"), ("'five'",), "invalid int value"),
        ("threads-negative", ("mnist-0-4", "--threads", "-1"), ("threads=-1",), "allowed: None"),
        ("device-tpu", ("mnist-0-4", "--device", "tpu"), ("'tpu'",), "allowed: auto, cpu, cuda or cuda:N"),
        ("full-without-data-dir", ("mnist-0-4", "--profile", "full"), ("--profile full needs --data-dir",),
         "the full profile reads real data from --data-dir DIR"),
        ("data-dir-missing", ("mnist-0-4", "--profile", "full", "--data-dir", "{ws}/missing"),
         ("data directory {ws}/missing does not exist",), "pass --data-dir DIR"),
        ("data-dir-a-file", ("mnist-5-9-transfer", "--profile", "full", "--data-dir", "{ws}/afile"),
         ("data directory {ws}/afile is a file",), "give the directory"),
        ("out-a-file", ("mnist-0-4", "--out", "{ws}/afile"), ("--out '{ws}/afile'", "it is a file"),
         "allowed: a writable directory"),
        ("out-under-a-file", ("mnist-5-9-transfer", "--out", "{ws}/afile/tables"),
         ("--out '{ws}/afile/tables'",), "allowed: a writable directory"),
        ("cifar-missing-test-batch", ("cifar10-deep", "--profile", "full", "--data-dir", "{ws}/cifar"),
         ("test_batch", "not found"), "pass --data-dir DIR"),
    ]
    for name, argv, named, allowed in exercises:
        def setup(ctx: Ctx, name: str = name) -> None:
            (ctx.path / "afile").write_text("x")
            if name.startswith("cifar"):
                _cifar("test_batch")(ctx)
        cases.append(Case(f"exercises-{name}", "commands", exercises_cmd(*argv), CommandFailed, named, (allowed,),
                          setup))
    cases.append(Case("exercises-device-cuda-without-cuda", "commands", exercises_cmd("mnist-0-4", "--device", "cuda"),
                      CommandFailed, ("--device cuda",), ("use --device cpu",), skip=_cuda_present))
    return cases


CASES = option_cases() + config_cases() + input_cases() + checkpoint_cases() + pickle_cases() + data_cases() \
    + report_cases() + command_cases()


# ------------------------------------------------------------------------------------------ the test


@pytest.fixture(autouse=True)
def _no_outer_xdist_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under an outer `pytest -n`, the inner sessions must not inherit the outer worker's xdist variables."""
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_bad_input_is_refused_clearly_and_changes_nothing(case: Case, shared: Any, request: pytest.FixtureRequest,
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reason = case.skip() if case.skip else None
    if reason:
        pytest.skip(reason)
    if case.category == "options":
        pytester = request.getfixturevalue("pytester")
        ctx = Ctx(pytester.path, shared, pytester)
    else:
        ctx = Ctx(tmp_path / "ws", shared)
        ctx.path.mkdir()
    monkeypatch.chdir(ctx.path)  # relative paths in a case resolve here, and a stray write lands in the snapshot
    if case.setup:
        case.setup(ctx)
    before = snapshot(ctx.path)
    threads = torch.get_num_threads()
    try:
        if case.error is None:
            case.call(ctx)
        else:
            with pytest.raises(case.error) as err:
                case.call(ctx)
    finally:
        torch.set_num_threads(threads)  # an inner session or a command may set it; the next case starts as this one
    assert not (ctx.path / MARKER).exists(), "a malicious pickle ran"
    assert snapshot(ctx.path) == before, "the workspace changed"
    if case.error is None:
        return
    message = str(err.value)
    assert "\n" not in message, f"not one line: {message!r}"
    for part in (*case.named, *case.allowed):
        part = part.format(ws=ctx.path)
        assert part in message, f"{part!r} not in: {message}"


def test_the_catalogue_covers_every_kind_of_input() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    counts = {category: sum(c.category == category for c in CASES) for category in dict.fromkeys(c.category for c in CASES)}
    assert len(CASES) >= 100 and all(n >= 5 for n in counts.values()), counts
    assert set(counts) == {"options", "configs", "fit inputs", "checkpoints", "malicious pickles", "data files",
                           "report", "commands"}
