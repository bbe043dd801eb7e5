"""Unit tests of FTRL, the learning-rate schedules, the LR finder and the quadratic bowl."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dnnkit import data
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.optim import schedules
from dnnkit.optim.ftrl import Ftrl
from dnnkit.optim.optimizers import make_optimizer
from dnnkit.optim.quadratic import Bowl, run_optimizer, sign_changes, steps_to_tolerance
from dnnkit.train.lr_finder import find_lr
from dnnkit.train.training import FitConfig, fit

# ------------------------------------------------------------------------------------------------ FTRL


def ftrl_reference(w, targets, steps, lr, power, acc0, l1, l2):
    """FTRL-proximal in plain floats (Keras/TF kernel) on loss = 1/2 sum (w_i - target_i)^2."""
    w, n, z, out = list(w), [acc0] * len(w), [0.0] * len(w), []
    for _ in range(steps):
        for i in range(len(w)):
            g = w[i] - targets[i]
            n_new = n[i] + g * g
            sigma = (n_new ** -power - n[i] ** -power) / lr
            z[i] += g - sigma * w[i]
            quad = n_new ** -power / lr + 2 * l2
            w[i] = (math.copysign(l1, z[i]) - z[i]) / quad if abs(z[i]) > l1 else 0.0
            n[i] = n_new
        out.append(list(w))
    return out


@pytest.mark.parametrize("power, l1, l2", [(-0.5, 0.0, 0.0), (-0.5, 0.05, 0.1), (-0.3, 0.02, 0.0), (0.0, 0.0, 0.2)])
def test_ftrl_matches_hand_reference(power, l1, l2):
    w0, targets = [0.5, -1.0, 2.0], [1.5, 0.3, -2.0]
    ref = ftrl_reference(w0, targets, 6, lr=0.3, power=power, acc0=0.1, l1=l1, l2=l2)
    w = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float64))
    opt = Ftrl([w], lr=0.3, learning_rate_power=power, initial_accumulator_value=0.1, l1=l1, l2=l2)
    t = torch.tensor(targets, dtype=torch.float64)
    for expected in ref:
        opt.zero_grad()
        (0.5 * ((w - t) ** 2).sum()).backward()
        opt.step()
        assert w.detach().tolist() == pytest.approx(expected, rel=1e-12, abs=1e-14)


def test_ftrl_strong_l1_gives_exact_zeros():
    torch.manual_seed(0)
    X = torch.randn(200, 20)
    y = X[:, :3] @ torch.tensor([2.0, -1.5, 1.0])  # only 3 of 20 features matter
    w = torch.nn.Parameter(torch.zeros(20))
    opt = Ftrl([w], lr=0.5, l1=10.0)  # l1 acts on the cumulative objective: it must beat sum |g|
    for _ in range(200):
        opt.zero_grad()
        (0.5 * ((X @ w - y) ** 2).mean()).backward()
        opt.step()
    assert (w[3:] == 0).all()  # exact zeros, not small values
    assert (w[:3] != 0).all()
    opt_huge = Ftrl([w], lr=0.5, l1=1e6)
    opt_huge.zero_grad()
    (0.5 * ((X @ w - y) ** 2).mean()).backward()
    opt_huge.step()
    assert (w == 0).all()


@pytest.mark.parametrize("kw, name", [({"lr": 0.0}, "lr"), ({"lr": -1.0}, "lr"), ({"learning_rate_power": 0.5}, "learning_rate_power"),
                                      ({"initial_accumulator_value": -0.1}, "initial_accumulator_value"),
                                      ({"l1": -1.0}, "l1"), ({"l2": float("nan")}, "l2")])
def test_ftrl_rejects_bad_hyperparameters(kw, name):
    with pytest.raises(ValueError, match=rf"{name}=.*allowed"):
        Ftrl([torch.nn.Parameter(torch.zeros(2))], **kw)


# ------------------------------------------------------------------------------------------- schedules


def lrs(schedule, steps, lr=0.1, steps_per_epoch=1):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = schedule(opt, steps_per_epoch)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def test_power_exponential_piecewise_follow_the_chapter():
    ts = range(40)
    assert lrs(schedules.power(s=10, c=1), 40) == pytest.approx([0.1 / (1 + t / 10) for t in ts])
    assert lrs(schedules.power(s=5, c=2.5), 40) == pytest.approx([0.1 / (1 + t / 5) ** 2.5 for t in ts])
    assert lrs(schedules.exponential(s=20), 40) == pytest.approx([0.1 * 0.1 ** (t / 20) for t in ts])
    piece = lrs(schedules.piecewise_constant([5, 15], [0.01, 0.005, 0.001]), 40)
    assert piece == pytest.approx([0.01 if t < 5 else 0.005 if t < 15 else 0.001 for t in ts])


def test_performance_schedule_halves_after_patience():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = schedules.performance(factor=0.5, patience=2)(opt, 1)
    seen = []
    for val_loss in [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.9, 0.9, 0.9]:
        sched.step(val_loss)
        seen.append(opt.param_groups[0]["lr"])
    assert seen == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025])


def chapter_one_cycle(t, iterations, max_rate):
    """Geron's OneCycleScheduler (ch. 11), written out independently."""
    start, last_its = max_rate / 10, iterations // 10 + 1
    last = start / 1000
    half = (iterations - last_its) // 2
    if t < half:
        return start + (max_rate - start) * t / half
    if t < 2 * half:
        return max_rate + (start - max_rate) * (t - half) / half
    return max(start + (last - start) * (t - 2 * half) / (iterations - 2 * half), last)


@pytest.mark.parametrize("epochs, spe", [(10, 7), (3, 50), (20, 1)])
def test_one_cycle_follows_the_chapter_and_torch_is_within_one_step(epochs, spe):
    total = epochs * spe
    ours = lrs(schedules.one_cycle(max_lr=0.5, epochs=epochs), total, steps_per_epoch=spe)
    assert ours == pytest.approx([chapter_one_cycle(t, total, 0.5) for t in range(total)])
    assert max(ours) == pytest.approx(0.5) and ours[-1] < 0.05  # the tail falls below the start rate...
    assert schedules.one_cycle_rate(total, total, 0.5) == pytest.approx(0.05 / 1000)  # ...to 3 orders lower at the end
    theirs = lrs(schedules.torch_one_cycle(max_lr=0.5, epochs=epochs), total, steps_per_epoch=spe)
    # torch ends each phase one step earlier (peak one step sooner, tail one step longer, reaching the final rate
    # at the last step): measured, the rates differ by at most two steps' increments of the chapter's ramp.
    increment = (0.5 - 0.05) / ((total - (total // 10 + 1)) // 2)
    assert np.max(np.abs(np.array(ours) - np.array(theirs))) <= 2 * increment + 1e-12
    assert int(np.argmax(theirs)) == int(np.argmax(ours)) - 1
    assert theirs[0] == pytest.approx(0.05) and max(theirs) == pytest.approx(0.5) and theirs[-1] == pytest.approx(0.05 / 1000)


@pytest.mark.parametrize("bad", [lambda: schedules.power(s=0), lambda: schedules.exponential(s=-1),
                                 lambda: schedules.piecewise_constant([5, 3], [1, 2, 3]),
                                 lambda: schedules.piecewise_constant([5], [1.0]),
                                 lambda: schedules.performance(factor=1.5), lambda: schedules.one_cycle(max_lr=0, epochs=3)])
def test_schedules_reject_bad_values(bad):
    with pytest.raises(ValueError, match="allowed"):
        bad()


@pytest.mark.parametrize("bad, pattern", [
    (lambda: schedules.performance(min_lr=-1e-3), r"min_lr=-0\.001; allowed: a finite number >= 0"),
    (lambda: schedules.performance(factor="0.5"), r"factor='0\.5'; allowed: 0 < factor < 1"),
    (lambda: schedules.performance(patience=True), r"patience=True; allowed: an integer >= 0"),
    (lambda: schedules.exponential(s=True), r"s=True is out of range"),
    (lambda: schedules.power(s=10, c=float("nan")), r"c=nan is out of range"),
    (lambda: schedules.one_cycle(max_lr=-0.1, epochs=3), r"max_lr=-0\.1 is out of range; allowed: a finite number > 0"),
    (lambda: schedules.one_cycle(max_lr=0.1, epochs=0), r"epochs=0; allowed: an integer > 0"),
    (lambda: schedules.one_cycle(max_lr=0.1, epochs=3, start_lr=-0.01), r"start_lr=-0\.01 is out of range"),
    (lambda: schedules.one_cycle(max_lr=0.1, epochs=3, last_steps=0), r"last_steps=0 is out of range"),
    (lambda: schedules.torch_one_cycle(max_lr=0.1, epochs=3, div_factor=-1.0), r"div_factor=-1\.0 is out of range"),
    (lambda: schedules.torch_one_cycle(max_lr=0.1, epochs=3, last_fraction=1.5), r"last_fraction=1\.5 .*0 < last_fraction < 1"),
])
def test_schedules_name_the_bad_value(bad, pattern):
    with pytest.raises(ValueError, match=pattern):
        bad()


def test_one_cycle_tail_must_leave_room_for_the_cycle():
    factory = schedules.one_cycle(max_lr=0.1, epochs=2, last_steps=9)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match=r"last_steps=9 leaves no room for the cycle in 10 steps; allowed: 1 <= last_steps <= 8"):
        factory(opt, 5)


def test_make_schedule_by_name():
    assert lrs(schedules.make_schedule("exponential", s=20), 30) == pytest.approx(lrs(schedules.exponential(s=20), 30))
    assert lrs(schedules.make_schedule("one_cycle", max_lr=0.5, epochs=3), 30, steps_per_epoch=10) == pytest.approx(
        lrs(schedules.one_cycle(max_lr=0.5, epochs=3), 30, steps_per_epoch=10))
    with pytest.raises(ValueError, match=r"unknown schedule 'cosine'; allowed: exponential, one_cycle, performance, "
                                         r"piecewise_constant, power, torch_one_cycle"):
        schedules.make_schedule("cosine")
    with pytest.raises(ValueError, match=r"schedule 'power' got bad parameters \{'gamma': 0\.5\}"):
        schedules.make_schedule("power", gamma=0.5)
    with pytest.raises(ValueError, match=r"s=-1 is out of range"):
        schedules.make_schedule("power", s=-1)


# ------------------------------------------------------------------------------------------ optimizers


@pytest.mark.parametrize("name, hyper, pattern", [
    ("momentum", {"momentum": "0.9"}, r"momentum='0\.9' is out of range; allowed: 0 <= momentum <= 1"),
    ("sgd", {"momentum": True}, r"momentum=True is out of range"),
    ("nesterov", {"momentum": float("nan")}, r"momentum=nan is out of range"),
    ("nesterov", {"momentum": 1.01}, r"momentum=1\.01 is out of range; allowed: 0 <= momentum <= 1"),
    ("nesterov", {"momentum": 0.0}, r"optimizer 'nesterov': momentum=0 is not allowed; allowed: 0 < momentum <= 1"),
    ("adam", {"betas": 0.9}, r"betas=0\.9; allowed: two values in \[0, 1\)"),
    ("adamw", {"betas": (0.9, 0.999, 0.5)}, r"betas=\(0\.9, 0\.999, 0\.5\); allowed: two values in \[0, 1\)"),
    ("nadam", {"betas": (-0.1, 0.999)}, r"betas=\(-0\.1, 0\.999\); allowed"),
    ("adamax", {"betas": (0.9, float("nan"))}, r"betas=\(0\.9, nan\); allowed"),
    ("rmsprop", {"alpha": 1.5}, r"alpha=1\.5 is out of range; allowed: 0 <= alpha <= 1"),
    ("adagrad", {"weight_decay": float("nan")}, r"weight_decay=nan is out of range; allowed: weight_decay >= 0"),
])
def test_optimizer_hyperparameters_name_the_bad_value(name, hyper, pattern):
    with pytest.raises(ValueError, match=pattern):
        make_optimizer(name, [torch.nn.Parameter(torch.zeros(2))], 0.01, **hyper)


@pytest.mark.parametrize("lr", [-0.01, 0.0, float("inf"), True, "0.01"])
def test_optimizer_rejects_bad_learning_rates(lr):
    with pytest.raises(ValueError, match=r"learning rate .* is not allowed; it must be a finite number > 0"):
        make_optimizer("adam", [torch.nn.Parameter(torch.zeros(2))], lr)


def test_optimizer_edges_of_the_allowed_ranges_build():
    p = [torch.nn.Parameter(torch.zeros(2))]
    assert make_optimizer("momentum", p, 0.1, momentum=1.0).param_groups[0]["momentum"] == 1.0
    assert make_optimizer("sgd", p, 0.1, momentum=0).param_groups[0]["momentum"] == 0
    assert make_optimizer("adam", p, 0.1, betas=[0.0, 0.0]).param_groups[0]["betas"] == (0.0, 0.0)
    with pytest.raises(ValueError, match=r"unknown optimizer 'lamb'; allowed: adagrad, adam, adamax, adamw, ftrl, momentum, "
                                         r"nadam, nesterov, rmsprop, sgd"):
        make_optimizer("lamb", p, 0.1)


@pytest.fixture(scope="module")
def small_digits():
    split = data.load_digits(seed=0)
    return data.Split(split.X_train[:400], split.y_train[:400], split.X_val[:200], split.y_val[:200], None, None,
                      10, "digits-small", "400 digits")


NET = MLPConfig(n_inputs=64, n_outputs=10, depth=1, width=16, activation="relu")


@pytest.mark.parametrize("schedule, per_step", [(schedules.exponential(s=3), False),
                                                (schedules.one_cycle(max_lr=0.05, epochs=6), True)])
def test_resumed_run_continues_the_schedule(tmp_path, small_digits, schedule, per_step):
    cfg = FitConfig(epochs=6, batch_size=100, optimizer="momentum", lr=0.05, schedule=schedule,
                    schedule_per_step=per_step, checkpoint_dir=tmp_path, checkpoint_every=1)
    full = fit(build_mlp(NET, generator=torch.Generator().manual_seed(0)), small_digits, cfg)
    resumed = fit(build_mlp(NET, generator=torch.Generator().manual_seed(1)), small_digits, cfg,
                  resume_from=tmp_path / "epoch-0003.pt")
    assert resumed.history["epoch"].tolist() == [4, 5, 6]
    assert resumed.history["lr"].tolist() == pytest.approx(full.history["lr"].tolist()[3:], rel=1e-12)
    assert resumed.history["val_loss"].tolist() == pytest.approx(full.history["val_loss"].tolist()[3:], rel=1e-5)


# ------------------------------------------------------------------------------------------- LR finder


def test_find_lr_on_digits_restores_weights_and_suggests_in_range(small_digits):
    model = build_mlp(NET, generator=torch.Generator().manual_seed(0))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    res = find_lr(model, small_digits, lr_min=1e-5, lr_max=10.0, batch_size=8)
    assert 1e-5 <= res.suggestion <= 10.0
    assert list(res.frame.columns) == ["step", "lr", "loss", "smoothed_loss"]
    assert res.frame["lr"].is_monotonic_increasing and len(res.frame) <= 50
    assert res.stopped_early  # at lr up to 10, Adam's loss explodes before the end of the epoch
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    with pytest.raises(ValueError, match="lr_min"):
        find_lr(model, small_digits, lr_min=1.0, lr_max=0.1)


@pytest.mark.parametrize("kw, pattern", [
    ({"lr_min": "1e-5"}, r"lr_min='1e-5', lr_max=10\.0; allowed: 0 < lr_min < lr_max < inf"),
    ({"lr_min": -1e-5}, r"lr_min=-1e-05"), ({"lr_max": float("inf")}, r"lr_max=inf"),
    ({"batch_size": 0}, r"batch_size=0; allowed: an integer > 0"), ({"smoothing": 1.0}, r"smoothing=1\.0"),
    ({"explode": 1.0}, r"explode=1\.0; allowed: a factor > 1"), ({"steps": 1}, r"steps=1; allowed: an integer >= 2"),
    ({"optimizer": "lbfgs"}, r"unknown optimizer 'lbfgs'"),
])
def test_find_lr_rejects_bad_settings(small_digits, kw, pattern):
    with pytest.raises(ValueError, match=pattern):
        find_lr(build_mlp(NET, generator=torch.Generator().manual_seed(0)), small_digits, **kw)


# -------------------------------------------------------------------------------------- quadratic bowl


def test_quadratic_bowl_tools():
    bowl = Bowl(kappa=100.0, dim=2)
    x0 = torch.tensor([[1.0, 1.0], [0.6, -0.8]], dtype=torch.float64)
    tr = run_optimizer("sgd", bowl.optimal_gd_lr(), 2000, x0, bowl=bowl)
    # At 2/(1+kappa) both axes contract by (kappa-1)/(kappa+1) per step, monotone on the long axis.
    steps = steps_to_tolerance(tr, 1e-6, bowl)
    rate = (bowl.kappa - 1) / (bowl.kappa + 1)
    assert np.all(steps == math.ceil(math.log(1e-6) / (2 * math.log(rate))))
    assert (sign_changes(tr, axis=0) == 0).all() and (sign_changes(tr, axis=1) > 100).all()  # steep axis flips
    diverged = run_optimizer("sgd", 0.05, 50, x0[0], bowl=bowl)
    assert steps_to_tolerance(diverged, 1e-6, bowl) == math.inf
    with pytest.raises(ValueError, match="x0"):
        run_optimizer("sgd", 0.01, 5, torch.zeros(3), bowl=bowl)
