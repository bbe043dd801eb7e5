"""Unit tests of the components behind the coverage part B claims of learning-rate scheduling and transfer learning:
replaying a schedule (dnnkit.schedules.rates_used), restarting a checkpoint's schedule (checkpoints.restart_schedule),
resuming with and without the schedule state, and the transfer helpers continue_unfrozen, fine_tune_phases, other
class partitions (exercise_data's labels) and partition_gain."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest
import torch

from dnnkit import data
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.optim import schedules
from dnnkit.seeds import run_seeds
from dnnkit.studies.transfer import (
    ExerciseConfig,
    continue_unfrozen,
    exercise_data,
    fine_tune_phases,
    fit_transfer,
    param_groups,
    partition_gain,
    reuse_layers,
    unfreeze,
)
from dnnkit.train.checkpoints import read_checkpoint, restart_schedule
from dnnkit.train.training import FitConfig, fit

EPS = float(np.finfo(np.float64).eps)

# ------------------------------------------------------------------------------------------ rates_used


def test_rates_used_exponential_drops_tenfold_every_s_steps() -> None:
    rates = schedules.rates_used(schedules.exponential(s=7), 7 * 5 + 1, lr=0.3)
    assert rates[0] == 0.3
    for k in range(6):
        assert abs(rates[7 * k] - 0.3 / 10 ** k) <= 8 * EPS * 0.3 / 10 ** k


def test_rates_used_replays_torch_schedulers_and_power() -> None:
    gamma = 0.1 ** (1 / 4)
    rates = schedules.rates_used(None, 9, lr=1.0, torch_scheduler=lambda o: torch.optim.lr_scheduler.ExponentialLR(
        o, gamma=gamma))
    assert rates[8] == pytest.approx(0.01, rel=1e-12)
    power = schedules.rates_used(schedules.power(s=2.0, c=1.0), 5, lr=1.0)
    assert power == pytest.approx([1 / (1 + t / 2) for t in range(5)], rel=1e-15)


def test_rates_used_performance_cuts_at_the_patience_plus_first_bad_evaluation() -> None:
    # torch's counting: patience 2 ignores two bad evaluations and cuts after the third.
    losses = [5.0, 4.0, 4.0, 4.0, 4.0, 3.0, 3.5, 3.0, 3.0, 3.0]
    rates = schedules.rates_used(schedules.performance(factor=0.5, patience=2), len(losses), lr=1.0, metrics=losses)
    assert rates == [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25]


def test_rates_used_one_cycle_ends_one_tail_step_short_of_its_final_rate() -> None:
    # 240 steps: a tail of 25 steps; the last rate used is about start / 25, not start / 1000.
    rates = schedules.rates_used(schedules.one_cycle(1.0, 15), 240, lr=1.0, steps_per_epoch=16)
    assert rates[0] == pytest.approx(0.1) and max(rates) == pytest.approx(1.0)
    assert rates.index(max(rates)) == (240 - 25) // 2
    assert 0.1 / 30 < rates[-1] < 0.1 / 20


@pytest.mark.parametrize("kwargs, match", [
    ({"steps": 0}, "steps=0"),
    ({"steps": 3, "lr": -1.0}, "lr=-1.0"),
    ({"steps": 3, "schedule": schedules.performance()}, "needs metrics"),
    ({"steps": 3, "schedule": schedules.performance(), "metrics": [1.0]}, "1 metrics for 3 steps"),
])
def test_rates_used_refuses_bad_input(kwargs, match) -> None:
    args = {"schedule": schedules.exponential(2), "lr": 0.1, **kwargs}
    with pytest.raises(ValueError, match=match):
        schedules.rates_used(args.pop("schedule"), args.pop("steps"), **args)


# ------------------------------------------------------------------------------- resume and restart_schedule


@pytest.fixture(scope="module")
def digits_split():
    return data.load_digits(seed=0)


NET = MLPConfig(n_inputs=64, n_outputs=10, depth=1, width=16, activation="elu")


def _run(split, tmp_path, **fit_changes):
    config = FitConfig(epochs=4, batch_size=128, optimizer="momentum", optimizer_params={"momentum": 0.9}, lr=0.3,
                       schedule=schedules.exponential(s=2), checkpoint_every=2, **fit_changes)
    seeds = run_seeds(0, "part-b-resume", 0)
    full = fit(build_mlp(NET, generator=seeds.generator("init")), split, replace(config, checkpoint_dir=tmp_path),
               seeds)
    return config, seeds, full


def test_resume_with_schedule_state_is_bitwise_the_uninterrupted_run(digits_split, tmp_path) -> None:
    config, seeds, full = _run(digits_split, tmp_path)
    resumed = fit(build_mlp(NET, generator=seeds.generator("init")), digits_split, config, seeds,
                  resume_from=tmp_path / "epoch-0002.pt")
    for a, b in zip(full.model.state_dict().values(), resumed.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert resumed.history["lr"].tolist() == full.history["lr"].tolist()[2:]


def test_restart_schedule_sends_the_rate_back_to_eta0(digits_split, tmp_path) -> None:
    config, seeds, full = _run(digits_split, tmp_path)
    out = restart_schedule(tmp_path / "epoch-0002.pt", tmp_path / "restarted.pt")
    state = read_checkpoint(out)
    assert state["scheduler"]["last_epoch"] == 0
    assert [g["lr"] for g in state["optimizer"]["param_groups"]] == [0.3]
    assert state["extra"]["epoch"] == 2  # the run's epoch is kept: fit continues epochs 3-4
    original = read_checkpoint(tmp_path / "epoch-0002.pt")
    assert original["scheduler"]["last_epoch"] == 2  # the source checkpoint is untouched
    resumed = fit(build_mlp(NET, generator=seeds.generator("init")), digits_split, config, seeds, resume_from=out)
    assert resumed.history["epoch"].tolist() == [3, 4]
    assert resumed.history["lr"].tolist() == pytest.approx([0.3, 0.3 * 0.1 ** 0.5], rel=1e-12)
    assert full.history["lr"].tolist()[2] == pytest.approx(0.03, rel=1e-12)


def test_restart_schedule_refuses_checkpoints_without_a_step_count(digits_split, tmp_path) -> None:
    seeds = run_seeds(0, "part-b-resume", 1)
    fit(build_mlp(NET, generator=seeds.generator("init")), digits_split,
        FitConfig(epochs=2, batch_size=256, checkpoint_dir=tmp_path / "plain", checkpoint_every=1), seeds)
    with pytest.raises(ValueError, match="no schedule state"):
        restart_schedule(tmp_path / "plain" / "epoch-0001.pt", tmp_path / "x.pt")
    fit(build_mlp(NET, generator=seeds.generator("init")), digits_split,
        FitConfig(epochs=2, batch_size=256, schedule=schedules.performance(), checkpoint_dir=tmp_path / "plateau",
                  checkpoint_every=1), seeds)
    with pytest.raises(ValueError, match="ReduceLROnPlateau schedule, which counts no steps"):
        restart_schedule(tmp_path / "plateau" / "epoch-0001.pt", tmp_path / "y.pt")
    assert not (tmp_path / "x.pt").exists() and not (tmp_path / "y.pt").exists()


# ------------------------------------------------------------------------------------------- transfer helpers


@pytest.fixture(scope="module")
def trained_transfer():
    """A small 0-4 source net (3 x 32) and a 5-9 target on digits, with step 2's frozen net trained briefly."""
    ex = data.load_digits(labels=range(5), seed=0)
    target = data.load_digits(labels=range(5, 10), seed=0)
    seeds = run_seeds(0, "part-b-transfer", 0)
    source = build_mlp(MLPConfig(n_inputs=64, n_outputs=5, depth=3, width=32, activation="elu"),
                       generator=seeds.generator("init"))
    fit(source, ex, FitConfig(epochs=2, batch_size=64), seeds)
    frozen = reuse_layers(source, 3, 5, freeze=True, generator=seeds.generator("init"))
    fit_transfer(frozen, target, FitConfig(epochs=2, batch_size=64, lr=1e-2), seeds, cache=True)
    return source, frozen, target, seeds


def test_continue_unfrozen_trains_a_copy_with_only_the_top_layers(trained_transfer) -> None:
    _, frozen, target, seeds = trained_transfer
    before = copy.deepcopy(frozen.state_dict())
    run = continue_unfrozen(frozen, target, FitConfig(epochs=2, batch_size=64, lr=1e-3), seeds, n_top=1)
    for key, value in frozen.state_dict().items():  # the model passed is unchanged
        assert torch.equal(value, before[key])
    after = run.result.model.state_dict()
    assert torch.equal(after["hidden.1.0.weight"], before["hidden.1.0.weight"])  # below the top: still frozen
    assert not torch.equal(after["hidden.2.0.weight"], before["hidden.2.0.weight"])  # the top layer trained
    assert run.cached_layers == 2


def test_continue_unfrozen_with_slow_lr_is_the_exercises_step5(trained_transfer) -> None:
    _, frozen, target, seeds = trained_transfer
    config = FitConfig(epochs=2, batch_size=64, lr=1e-2)
    run = continue_unfrozen(frozen, target, config, seeds, n_top=2, slow_lr=1e-3)
    model = copy.deepcopy(frozen)  # the exercise's step 5 as it was written inline
    unfreeze(model, [-2, -1])
    groups = param_groups(model, config.lr, slow=list(model.hidden[-2:]), slow_lr=1e-3)
    inline = fit_transfer(model, target, config, seeds, cache=True, groups=groups)
    for a, b in zip(run.result.model.state_dict().values(), inline.result.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("n_top", [0, 3, True])
def test_continue_unfrozen_refuses_bad_n_top(trained_transfer, n_top) -> None:
    _, frozen, target, seeds = trained_transfer
    with pytest.raises(ValueError, match="allowed: 1..2"):
        continue_unfrozen(frozen, target, FitConfig(epochs=1), seeds, n_top=n_top)


def test_fine_tune_phases_freezes_then_unfreezes(trained_transfer) -> None:
    source, _, target, seeds = trained_transfer
    reused = {k: v.clone() for k, v in source.state_dict().items() if k.startswith("hidden")}
    frozen_only, runs = fine_tune_phases(source, target, seeds, [(2, 1e-2, True)])
    assert len(runs) == 1 and runs[0].cached_layers == 3
    for key, value in reused.items():  # a frozen phase leaves the reused layers as they were
        assert torch.equal(frozen_only.state_dict()[key], value)
    both, runs = fine_tune_phases(source, target, seeds, [(2, 1e-2, True), (2, 1e-3, False)])
    assert [r.epochs for r in runs] == [2, 2] and runs[1].cached_layers == 0
    assert any(not torch.equal(both.state_dict()[k], v) for k, v in reused.items())
    for key, value in source.state_dict().items():  # the source is never trained
        if key in reused:
            assert torch.equal(value, reused[key])
    # The fresh head is the exercise's: drawn from the seeds' init stream.
    head = reuse_layers(source, 3, 5, generator=seeds.generator("init")).head.weight
    fresh, _ = fine_tune_phases(source, target, seeds, [(1, 1e-12, True)])
    assert torch.allclose(fresh.head.weight, head, atol=1e-9)
    with pytest.raises(ValueError, match="no phases"):
        fine_tune_phases(source, target, seeds, [])


# ------------------------------------------------------------------------------------ other class partitions


def test_exercise_data_takes_another_partition_and_keeps_the_exercises_names() -> None:
    default = exercise_data(0, dataset="digits")
    assert "source 0-4" in default.note and "target 5-9" in default.note and default.target.name == "digits5-9"
    odd = exercise_data(0, dataset="digits", source_labels=(0, 2, 4, 6, 8), target_labels=(9, 7, 5, 3, 1))
    assert "source 0,2,4,6,8" in odd.note and "target 1,3,5,7,9" in odd.note
    assert odd.source.n_classes == odd.target.n_classes == 5
    assert set(odd.target.y_train.tolist()) == set(range(5))  # relabeled in sorted order
    assert len(odd.target.y_train) == 5 * 100


@pytest.mark.parametrize("source, target, match", [
    ((0, 1, 2, 3, 4), (4, 5, 6, 7, 8), "share digits \\[4\\]"),
    ((0, 1, 2, 3, 10), (5, 6, 7, 8, 9), "two or more digits in 0..9"),
    ((0,), (5, 6, 7, 8, 9), "two or more digits"),
])
def test_exercise_data_refuses_bad_partitions(source, target, match) -> None:
    with pytest.raises(ValueError, match=match):
        exercise_data(0, dataset="digits", source_labels=source, target_labels=target)


def test_partition_gain_refuses_a_partition_the_five_way_net_cannot_take() -> None:
    with pytest.raises(ValueError, match="5 digits each"):
        partition_gain(run_seeds(0, "part-b-partition", 0), (0, 1, 2, 3), (5, 6, 7, 8), phases=[(1, 1e-2, True)])


def test_partition_gain_is_recipe_minus_scratch() -> None:
    tiny = ExerciseConfig(source_fit=FitConfig(epochs=2, batch_size=64, lr=1e-3),
                          target_fit=FitConfig(epochs=2, batch_size=64, lr=1e-2), unfreeze_fit=FitConfig(epochs=1),
                          slow_lr=1e-3, scratch_lr=1e-3, n_per_digit=20)
    seeds = run_seeds(0, "part-b-partition", 0)
    gain = partition_gain(seeds, (1, 3, 5, 7, 9), (0, 2, 4, 6, 8), phases=[(1, 1e-2, True), (1, 1e-3, False)],
                          config=tiny)
    assert gain.source_labels == (1, 3, 5, 7, 9) and gain.target_labels == (0, 2, 4, 6, 8)
    assert gain.gain == gain.recipe_test_acc - gain.scratch_test_acc
    assert 0 <= gain.scratch_test_acc <= 1 and 0 <= gain.recipe_test_acc <= 1
    assert sorted(gain.results) == ["recipe", "scratch"] and len(gain.results["recipe"].history) == 1
    again = partition_gain(seeds, (1, 3, 5, 7, 9), (0, 2, 4, 6, 8), phases=[(1, 1e-2, True), (1, 1e-3, False)],
                           config=tiny)
    assert (again.recipe_test_acc, again.scratch_test_acc) == (gain.recipe_test_acc, gain.scratch_test_acc)
