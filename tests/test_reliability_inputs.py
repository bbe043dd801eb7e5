"""A catalogue of bad inputs to the configs, to fit's inputs and to resume/load (issue 23).

Each case asserts the error class, that the message names the bad value (or file) and what is allowed, and that
nothing was written: no checkpoint directory created, no checkpoint rewritten. Tiny nets, at most 2 epochs.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import types
from pathlib import Path

import pytest
import torch
from torch import nn

from dnnkit.data import Split
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.seeds import run_seeds
from dnnkit.studies.transfer import load_mlp, save_mlp
from dnnkit.train.checkpoints import FORMAT, load_checkpoint, save_checkpoint
from dnnkit.train.ensemble import fit_ensemble
from dnnkit.train.training import FitConfig, fit

N_FEATURES, N_CLASSES = 8, 3
SEEDS = run_seeds(0, "reliability-inputs", 0)


def make_split(n_train: int = 48, n_val: int = 24) -> Split:
    g = torch.Generator().manual_seed(0)
    X = torch.randn(n_train + n_val, N_FEATURES, generator=g)
    y = torch.randint(0, N_CLASSES, (n_train + n_val,), generator=g)
    return Split(X[:n_train], y[:n_train], X[n_train:], y[n_train:], None, None, N_CLASSES, "tiny", "random")


def tiny(**changes) -> MLPConfig:
    return MLPConfig(**{"n_inputs": N_FEATURES, "n_outputs": N_CLASSES, "depth": 1, "width": 6, **changes})


def model(config: MLPConfig | None = None):
    return build_mlp(config or tiny(), generator=SEEDS.generator("init"))


def assert_clear(err: pytest.ExceptionInfo, *named: str) -> None:
    """The message names every string in `named` (the field, the bad value or file) and says what is allowed."""
    message = str(err.value)
    for part in named:
        assert part in message, f"{part!r} not named in: {message}"
    assert re.search(r"allowed|must|give|pass|resume with|needs", message), f"nothing said allowed in: {message}"
    assert "\n" not in message, message


def files_under(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(folder.rglob("*"))}


# ------------------------------------------------------------------------------------------ FitConfig

NAN, INF = float("nan"), float("inf")
FIT_CASES = [
    ("epochs", 0), ("epochs", -1), ("epochs", True), ("epochs", 2.0), ("epochs", "3"),
    ("batch_size", 0), ("batch_size", True), ("batch_size", "32"), ("batch_size", 1.5),
    ("lr", 0), ("lr", -1e-3), ("lr", NAN), ("lr", INF), ("lr", "0.1"), ("lr", True),
    ("optimizer", "lbfgs"), ("optimizer", None), ("optimizer", "Adam"),
    ("patience", 0), ("patience", -2), ("patience", "3"), ("patience", True), ("patience", 2.5),
    ("restore_best", "no"), ("restore_best", 1), ("restore_best", None),
    ("stop_at_target", "yes"), ("stop_at_target", 1),
    ("eval_train", "no"), ("eval_train", 0),
    ("checkpoint_every", 0), ("checkpoint_every", -1), ("checkpoint_every", True), ("checkpoint_every", "5"),
    ("eval_batch_size", 0), ("eval_batch_size", -5), ("eval_batch_size", True), ("eval_batch_size", "4096"),
    ("clip_norm", 0.0), ("clip_norm", True), ("clip_norm", "1"), ("clip_value", INF), ("clip_value", -1.0),
    ("schedule", "step"), ("penalty", 1), ("param_groups", "all"),
    ("after_step", print), ("after_step", ["x"]), ("after_step", "max_norm"),
    ("schedule_per_step", "yes"), ("progress", 1),
    ("optimizer_params", [("momentum", 0.9)]), ("optimizer_params", None),
]


@pytest.mark.parametrize("field, value", FIT_CASES, ids=[f"{f}={v!r}" for f, v in FIT_CASES])
def test_fit_config_field_is_checked_at_construction(field, value, tmp_path):
    with pytest.raises(ValueError) as err:
        FitConfig(**{field: value}, checkpoint_dir=tmp_path / "ck")
    assert_clear(err, f"FitConfig.{field}", repr(value))
    assert not (tmp_path / "ck").exists()


TARGET_CASES = [
    (("val_acc",), "('val_acc',)"), (("accuracy", 0.9), "'accuracy'"), (("val_acc", "0.9"), "'0.9'"),
    (("val_acc", NAN), "nan"), ("val_acc", "'val_acc'"), (("val_acc", True), "True"),
    (("val_acc", 0.9, 1), "('val_acc', 0.9, 1)"), ((3, 0.9), "3"),
]


@pytest.mark.parametrize("target, shown", TARGET_CASES, ids=[s for _, s in TARGET_CASES])
def test_fit_config_target_is_a_metric_and_a_finite_number(target, shown):
    with pytest.raises(ValueError) as err:
        FitConfig(target=target)
    assert_clear(err, "FitConfig.target", shown)


def test_fit_config_train_target_needs_eval_train():
    with pytest.raises(ValueError) as err:
        FitConfig(target=("train_acc", 0.9))
    assert_clear(err, "FitConfig.target", "'train_acc'", "eval_train=True")


PARAM_CASES = [
    ("sgd", {"betas": (0.9, 0.99)}, "'betas'"), ("adam", {"momentum": 0.9}, "'momentum'"),
    ("sgd", {"momentum": 1.5}, "momentum=1.5"), ("adam", {"weight_decay": -1.0}, "weight_decay=-1.0"),
    ("adam", {"betas": (0.9, 1.0)}, "betas=(0.9, 1.0)"), ("nesterov", {"momentum": 0}, "momentum=0"),
]


@pytest.mark.parametrize("optimizer, params, shown", PARAM_CASES, ids=[s for _, _, s in PARAM_CASES])
def test_fit_config_optimizer_params_are_checked_at_construction(optimizer, params, shown):
    with pytest.raises(ValueError) as err:
        FitConfig(optimizer=optimizer, optimizer_params=params)
    assert_clear(err, "FitConfig.optimizer_params", shown)


@pytest.mark.parametrize("value", [3, ""])
def test_fit_config_checkpoint_dir(value):
    with pytest.raises(ValueError) as err:
        FitConfig(checkpoint_dir=value)
    assert_clear(err, "FitConfig.checkpoint_dir", repr(value))


def test_valid_fit_configs_still_pass():
    FitConfig(optimizer="momentum", optimizer_params={"momentum": 0.5, "weight_decay": 1e-4, "dampening": 0.0})
    FitConfig(target=["val_loss", 1], patience=1, checkpoint_every=1, after_step=(), eval_batch_size=1)
    FitConfig(optimizer="ftrl", optimizer_params={"l1": 0.1}, lr=1)


# ------------------------------------------------------------------------------------------ MLPConfig

MLP_CASES = [
    ("n_inputs", 0), ("n_inputs", True), ("n_inputs", "64"), ("n_inputs", 2.0),
    ("n_outputs", 0), ("n_outputs", False), ("depth", -1), ("depth", True), ("width", 0), ("width", "100"),
    ("dropout", 1.0), ("dropout", -0.1), ("dropout", "0.5"), ("dropout", True), ("dropout", NAN),
    ("input_dropout", 1.0), ("input_dropout", "0.1"), ("input_dropout", True),
    ("alpha_dropout", "no"), ("alpha_dropout", 1), ("input_batch_norm", "yes"),
    ("batch_norm", "middle"), ("batch_norm", True),
    ("bn_momentum", 0.0), ("bn_momentum", "0.1"), ("bn_momentum", True), ("bn_momentum", NAN),
    ("activation", "swish"), ("activation", 3), ("activation_params", None), ("activation_params", [1]),
    ("weight_init", "bogus"), ("weight_init", None), ("weight_init_params", [1]),
    ("bias_init", "nope"), ("bias_init_params", "x"),
]


@pytest.mark.parametrize("field, value", MLP_CASES, ids=[f"{f}={v!r}" for f, v in MLP_CASES])
def test_mlp_config_field_is_checked_at_construction(field, value):
    with pytest.raises(ValueError) as err:
        tiny(**{field: value})
    assert_clear(err, f"MLPConfig.{field}", repr(value))


@pytest.mark.parametrize("changes, shown", [
    ({"dropout": (0.1, "x")}, "'x'"), ({"dropout": (0.1, 0.2), "depth": 1}, "2 rates for depth 1"),
    ({"activation": "elu", "activation_params": {"alpha": -1.0}}, "alpha=-1.0"),
    ({"weight_init": "normal", "weight_init_params": {"std": -1.0}}, "std=-1.0"),
])
def test_mlp_config_parameters_of_named_parts(changes, shown):
    with pytest.raises(ValueError) as err:
        tiny(**changes)
    assert_clear(err, "MLPConfig.", shown)


# ------------------------------------------------------------------------------------------ fit's inputs


def _broken(kind: str):
    """A split with one bad part (set after construction: Split checks itself only when built) and the config of
    the model it is given to, plus the strings the error must name."""
    split, config = make_split(), tiny()
    if kind == "empty train":
        split.X_train, split.y_train = split.X_train[:0], split.y_train[:0]
        return split, config, ("training split is empty", "X_train has 0 rows")
    if kind == "empty val":
        split.X_val, split.y_val = split.X_val[:0], split.y_val[:0]
        return split, config, ("validation split is empty", "X_val has 0 rows")
    if kind == "y_train longer":
        split.y_train = torch.cat([split.y_train, split.y_train[:5]])
        return split, config, ("X_train has 48 rows", "y_train has 53 labels")
    if kind == "y_train shorter":
        split.y_train = split.y_train[:40]
        return split, config, ("X_train has 48 rows", "y_train has 40 labels")
    if kind == "y_val mismatch":
        split.y_val = split.y_val[:3]
        return split, config, ("X_val has 24 rows", "y_val has 3 labels")
    if kind == "model input width":
        return split, tiny(n_inputs=5), ("takes 5 input features", "X_train has 8")
    if kind == "X_val width":
        split.X_val = split.X_val[:, :4]
        return split, config, ("X_val has 4 features", "X_train has 8")
    if kind == "train labels":
        split.y_train = split.y_train.clone()
        split.y_train[0] = 7
        return split, config, ("y_train", "[7]", "0..2")
    if kind == "val labels":
        split.y_val = split.y_val.clone()
        split.y_val[0] = -1
        return split, config, ("y_val", "[-1]", "0..2")
    if kind == "nan features":
        split.X_train = split.X_train.clone()
        split.X_train[2, 1] = math.nan
        return split, config, ("X_train", "NaN", "(2, 1)")
    raise AssertionError(kind)


INPUT_CASES = ["empty train", "empty val", "y_train longer", "y_train shorter", "y_val mismatch", "model input width",
               "X_val width", "train labels", "val labels", "nan features"]


@pytest.mark.parametrize("path", ["fit", "ensemble"])
@pytest.mark.parametrize("kind", INPUT_CASES)
def test_fit_checks_its_inputs_before_training(kind, path, tmp_path):
    split, config, named = _broken(kind)
    with pytest.raises(ValueError) as err:
        if path == "fit":
            fit(model(config), split, FitConfig(epochs=1, checkpoint_dir=tmp_path / "ck"), SEEDS)
        else:
            fit_ensemble(config, split, FitConfig(epochs=1), [SEEDS, SEEDS])
    assert_clear(err, *named)
    assert list(tmp_path.iterdir()) == []


def test_fit_names_the_input_width_of_any_model(tmp_path):
    net = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, N_CLASSES))
    with pytest.raises(ValueError) as err:
        fit(net, make_split(), FitConfig(epochs=1, checkpoint_dir=tmp_path / "ck"), SEEDS)
    assert_clear(err, "takes 5 input features", "X_train has 8")
    assert not (tmp_path / "ck").exists()


def test_fit_accepts_a_plain_namespace_split():
    s = make_split()
    view = types.SimpleNamespace(X_train=s.X_train, y_train=s.y_train, X_val=s.X_val, y_val=s.y_val)
    assert len(fit(model(), view, FitConfig(epochs=1), SEEDS).history) == 1


# ------------------------------------------------------------------------------------------ resume and load


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Checkpoint folders of tiny 2-epoch runs: sgd, adam with a schedule, and adam stopped early (patience 1)."""
    root = tmp_path_factory.mktemp("runs")
    split = make_split()
    fit(model(), split, FitConfig(epochs=2, optimizer="sgd", lr=0.1, checkpoint_dir=root / "sgd", checkpoint_every=1),
        SEEDS)
    step = lambda opt, n: torch.optim.lr_scheduler.StepLR(opt, 1, 0.5)  # noqa: E731
    fit(model(), split, FitConfig(epochs=2, schedule=step, checkpoint_dir=root / "sched", checkpoint_every=1), SEEDS)
    return root


def _copy(runs: Path, name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(runs / name, target)
    return target


def _strip_to_format_0(path: Path, *extra_keys: str) -> None:
    """Rewrite a checkpoint as an older dnnkit wrote it: no format, no class names, none of `extra_keys`."""
    state = torch.load(path, weights_only=True)
    for key in ("format", "optimizer_class", "scheduler_class"):
        state.pop(key, None)
    for key in extra_keys:
        state["extra"].pop(key, None)
    torch.save(state, path)


def test_resume_with_another_optimizer_names_both(runs, tmp_path):
    folder = _copy(runs, "sgd", tmp_path)
    before = files_under(tmp_path)
    with pytest.raises(ValueError) as err:
        fit(model(), make_split(), FitConfig(epochs=2, checkpoint_dir=tmp_path / "out"), SEEDS,
            resume_from=folder / "epoch-0001.pt")
    assert_clear(err, "epoch-0001.pt", "'sgd'", "'adam'", "SGD")
    assert files_under(tmp_path) == before


def test_resume_of_an_old_checkpoint_with_another_optimizer_is_caught_best_effort(runs, tmp_path):
    folder = _copy(runs, "sgd", tmp_path)
    _strip_to_format_0(folder / "epoch-0001.pt", "optimizer_name")
    with pytest.raises(ValueError) as err:
        fit(model(), make_split(), FitConfig(epochs=2), SEEDS, resume_from=folder / "epoch-0001.pt")
    assert_clear(err, "epoch-0001.pt", "'betas'", "Adam", "another optimizer type")


def test_resume_of_an_old_checkpoint_of_the_same_run_still_works(runs, tmp_path):
    folder = _copy(runs, "sgd", tmp_path)
    _strip_to_format_0(folder / "epoch-0001.pt", "optimizer_name", "epochs")
    res = fit(model(), make_split(), FitConfig(epochs=2, optimizer="sgd", lr=0.1), SEEDS,
              resume_from=folder / "epoch-0001.pt")
    assert res.history["epoch"].tolist() == [2]


def test_resume_with_another_architecture_names_the_shapes(runs, tmp_path):
    folder = _copy(runs, "sgd", tmp_path)
    other = model(tiny(width=7))
    before = {k: v.clone() for k, v in other.state_dict().items()}
    with pytest.raises(ValueError) as err:
        fit(other, make_split(), FitConfig(epochs=2, optimizer="sgd", lr=0.1), SEEDS,
            resume_from=folder / "epoch-0001.pt")
    assert_clear(err, "epoch-0001.pt", "another architecture", "hidden.0.0.weight: checkpoint (6, 8), model (7, 8)")
    assert all(torch.equal(before[k], v) for k, v in other.state_dict().items())


def test_resume_of_a_finished_run_returns_its_history(runs, tmp_path):
    folder = _copy(runs, "sgd", tmp_path)
    fc = FitConfig(epochs=2, optimizer="sgd", lr=0.1, checkpoint_dir=folder, checkpoint_every=1)
    full = fit(model(), make_split(), fc, SEEDS)
    before = files_under(folder)
    again = fit(model(tiny()), make_split(), fc, SEEDS, resume_from=folder / "final.pt")
    assert files_under(folder) == before  # nothing trained, nothing rewritten
    assert again.history.equals(full.history)
    assert again.metric("val_acc") == full.metric("val_acc")
    assert all(torch.equal(a, b) for a, b in zip(again.model.state_dict().values(),
                                                  full.model.state_dict().values(), strict=True))


def test_resume_of_an_early_stopped_run_is_complete_even_with_more_epochs(tmp_path):
    split = make_split()
    fc = FitConfig(epochs=30, lr=0.5, patience=1, checkpoint_dir=tmp_path)
    full = fit(model(), split, fc, SEEDS)
    assert len(full.history) < 30, "precondition: the run stopped early"
    again = fit(model(), split, FitConfig(epochs=40, lr=0.5, patience=1), SEEDS, resume_from=tmp_path / "final.pt")
    assert again.history.equals(full.history) and again.best_epoch == full.best_epoch


def test_resume_of_an_old_finished_run_without_history_says_so(runs, tmp_path):
    folder = _copy(runs, "sgd", tmp_path)
    _strip_to_format_0(folder / "final.pt", "complete", "rows")
    with pytest.raises(ValueError) as err:
        fit(model(), make_split(), FitConfig(epochs=2, optimizer="sgd", lr=0.1), SEEDS, resume_from=folder / "final.pt")
    assert_clear(err, "final.pt", "epoch 2", "FitConfig.epochs=2", "epochs > 2")


def test_resume_of_a_checkpoint_past_the_configs_epochs(runs, tmp_path):
    folder = _copy(runs, "sgd", tmp_path)
    with pytest.raises(ValueError) as err:
        fit(model(), make_split(), FitConfig(epochs=1, optimizer="sgd", lr=0.1), SEEDS,
            resume_from=folder / "epoch-0002.pt")
    assert_clear(err, "epoch-0002.pt", "epoch 2", "FitConfig.epochs=1")


def test_resume_of_a_scheduled_run_without_its_schedule(runs, tmp_path):
    folder = _copy(runs, "sched", tmp_path)
    with pytest.raises(ValueError) as err:
        fit(model(), make_split(), FitConfig(epochs=2), SEEDS, resume_from=folder / "epoch-0001.pt")
    assert_clear(err, "epoch-0001.pt", "StepLR", "resume with the run's schedule")


def test_load_checkpoint_with_another_schedule_names_both(runs, tmp_path):
    folder = _copy(runs, "sched", tmp_path)
    net = model()
    opt = torch.optim.Adam(net.parameters())
    with pytest.raises(ValueError) as err:
        load_checkpoint(folder / "epoch-0001.pt", net, opt, torch.optim.lr_scheduler.ExponentialLR(opt, 0.9))
    message = str(err.value)
    assert "epoch-0001.pt" in message and "StepLR" in message and "ExponentialLR" in message


def test_load_checkpoint_with_another_optimizer_restores_nothing(runs, tmp_path):
    folder = _copy(runs, "sgd", tmp_path)
    net = model(tiny())
    before = {k: v.clone() for k, v in net.state_dict().items()}
    with pytest.raises(ValueError) as err:
        load_checkpoint(folder / "epoch-0002.pt", net, torch.optim.Adam(net.parameters()))
    assert_clear(err, "epoch-0002.pt", "SGD", "Adam")
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_load_checkpoint_on_a_directory(runs, tmp_path):
    folder = _copy(runs, "sgd", tmp_path)
    with pytest.raises(IsADirectoryError) as err:
        load_checkpoint(folder)
    assert_clear(err, repr(str(folder)), "is a directory", "give a checkpoint file", "final.pt")


@pytest.mark.parametrize("content, named", [
    (b"", "corrupt or truncated"), (b"hello world", "corrupt or truncated"), ("half", "corrupt or truncated"),
    ("notours", "not a dnnkit checkpoint"), ("newer", "format 99"), ("model-not-dict", "not a dnnkit checkpoint"),
])
def test_load_checkpoint_of_a_bad_file_names_it(content, named, runs, tmp_path):
    bad = tmp_path / "bad.pt"
    if content == "half":
        raw = (runs / "sgd" / "final.pt").read_bytes()
        bad.write_bytes(raw[: len(raw) // 2])
    elif content == "notours":
        torch.save({"weights": torch.zeros(2)}, bad)
    elif content == "newer":
        torch.save({"format": 99, "model": {}, "extra": {}}, bad)
    elif content == "model-not-dict":
        torch.save({"model": torch.zeros(2)}, bad)
    else:
        bad.write_bytes(content)
    before = files_under(tmp_path)
    with pytest.raises(ValueError) as err:
        load_checkpoint(bad, model())
    message = str(err.value)
    assert repr(str(bad)) in message and named in message
    assert files_under(tmp_path) == before


def test_load_checkpoint_of_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_checkpoint(tmp_path / "absent.pt")
    assert repr(str(tmp_path / "absent.pt")) in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_new_checkpoints_carry_format_and_class_names(runs):
    state = load_checkpoint(runs / "sched" / "final.pt")
    assert state["format"] == FORMAT and state["optimizer_class"] == "Adam" and state["scheduler_class"] == "StepLR"
    extra = state["extra"]
    assert extra["optimizer_name"] == "adam" and extra["epochs"] == 2 and extra["complete"] is True
    assert [row["epoch"] for row in extra["rows"]] == [1, 2]
    assert "complete" not in load_checkpoint(runs / "sched" / "epoch-0001.pt")["extra"]


@pytest.mark.parametrize("stored, named", [
    ({"n_inputs": N_FEATURES, "n_outputs": N_CLASSES, "depth": 1, "width": 6, "gating": True}, "['gating']"),
    ({"n_inputs": N_FEATURES, "depth": 1, "width": 6}, "['n_outputs']"),
    ({"n_inputs": N_FEATURES, "n_outputs": N_CLASSES, "depth": 1, "width": 6, "dropout": 2.0}, "dropout rate 2.0"),
    ([1, 2], "not a dict"),
])
def test_load_mlp_names_a_bad_stored_config(stored, named, tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", model(), mlp_config=stored)
    with pytest.raises(ValueError) as err:
        load_mlp(path)
    assert_clear(err, repr(str(path)), named)


def test_load_mlp_round_trip_still_works(tmp_path):
    net = model(tiny(dropout=(0.1,)))
    again = load_mlp(save_mlp(tmp_path / "m.pt", net))
    assert all(torch.equal(a, b) for a, b in zip(again.state_dict().values(), net.state_dict().values(), strict=True))


def test_nothing_written_by_the_catalogue_outside_tmp():
    assert not os.path.exists("ck")
