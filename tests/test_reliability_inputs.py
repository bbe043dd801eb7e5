"""The good inputs beside the bad-input catalogue (tests/test_bad_inputs.py, issue 23): valid configs still pass,
old checkpoints of the same run still resume, a finished run resumes as complete with its stored history, and new
checkpoints carry what a resume checks. Tiny nets, at most 2 epochs.
"""

from __future__ import annotations

import shutil
import types
from pathlib import Path

import pytest
import torch
from old_checkpoints import strip_to_format_0

from dnnkit.data import Split
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.seeds import run_seeds
from dnnkit.studies.transfer import load_mlp, save_mlp
from dnnkit.train.checkpoints import FORMAT, load_checkpoint
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


def files_under(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(folder.rglob("*"))}


def test_valid_fit_configs_still_pass():
    FitConfig(optimizer="momentum", optimizer_params={"momentum": 0.5, "weight_decay": 1e-4, "dampening": 0.0})
    FitConfig(target=["val_loss", 1], patience=1, checkpoint_every=1, after_step=(), eval_batch_size=1)
    FitConfig(optimizer="ftrl", optimizer_params={"l1": 0.1}, lr=1)


def test_fit_accepts_a_plain_namespace_split():
    s = make_split()
    view = types.SimpleNamespace(X_train=s.X_train, y_train=s.y_train, X_val=s.X_val, y_val=s.y_val)
    assert len(fit(model(), view, FitConfig(epochs=1), SEEDS).history) == 1


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


def test_resume_of_an_old_checkpoint_of_the_same_run_still_works(runs, tmp_path):
    folder = _copy(runs, "sgd", tmp_path)
    strip_to_format_0(folder / "epoch-0001.pt", "optimizer_name", "epochs")
    res = fit(model(), make_split(), FitConfig(epochs=2, optimizer="sgd", lr=0.1), SEEDS,
              resume_from=folder / "epoch-0001.pt")
    assert res.history["epoch"].tolist() == [2]


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


def test_new_checkpoints_carry_format_and_class_names(runs):
    state = load_checkpoint(runs / "sched" / "final.pt")
    assert state["format"] == FORMAT and state["optimizer_class"] == "Adam" and state["scheduler_class"] == "StepLR"
    extra = state["extra"]
    assert extra["optimizer_name"] == "adam" and extra["epochs"] == 2 and extra["complete"] is True
    assert [row["epoch"] for row in extra["rows"]] == [1, 2]
    assert "complete" not in load_checkpoint(runs / "sched" / "epoch-0001.pt")["extra"]


def test_load_mlp_round_trip_still_works(tmp_path):
    net = model(tiny(dropout=(0.1,)))
    again = load_mlp(save_mlp(tmp_path / "m.pt", net))
    assert all(torch.equal(a, b) for a, b in zip(again.state_dict().values(), net.state_dict().values(), strict=True))

