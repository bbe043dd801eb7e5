"""Components of coverage part B (optimizers and mini-batch claims): momentum's terminal velocity on torch's SGD, the
softmax cross-entropy logit gradient, per-fit learning rates, and the seed-batched softmax-regression sweep (checked
against a hand-written autograd loop, step for step)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dnnkit import data
from dnnkit.nn.models import MLPConfig
from dnnkit.nn.softmax_ce import autograd_logit_gradient, closed_form_logit_gradient, gradient_tolerance
from dnnkit.optim.momentum_velocity import closed_form_steps, momentum_steps, terminal_velocity
from dnnkit.optim.overparameterized import (
    fit_least_squares,
    lowest_loss_rate,
    new_points,
    sign_accuracy,
    wilson_problem,
)
from dnnkit.seeds import run_seeds
from dnnkit.train.batch_sweep import (
    SweepConfig,
    SweepRun,
    detrended_std,
    objective,
    select_rate,
    step_function,
    train_members,
    tuned_sweep,
)
from dnnkit.train.hparam_importance import HyperparameterSpace, binned_r2
from dnnkit.train.own_rates import OwnRates, best_arm, own_fit_rates, select_fit
from dnnkit.train.training import FitConfig


def seeds(n: int, role: str = "t") -> list:
    return [run_seeds(0, "part-b", i, role) for i in range(n)]


# -- momentum


def test_momentum_steps_follow_the_closed_form_and_reach_terminal_velocity() -> None:
    g = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    steps = momentum_steps(g, lr=0.1, beta=0.9, steps=300)
    assert torch.allclose(steps, closed_form_steps(g, 0.1, 0.9, 300), rtol=0, atol=1e-13)
    assert torch.allclose(steps[0], 0.1 * g)  # the first step is plain SGD's
    assert torch.allclose(steps[-1], terminal_velocity(g, 0.1, 0.9), rtol=1e-12)
    assert torch.allclose(terminal_velocity(g, 0.1, 0.9), g)  # 0.1 / (1 - 0.9) = 1


def test_momentum_steps_refuses_no_steps() -> None:
    with pytest.raises(ValueError, match="steps"):
        momentum_steps(torch.ones(2), 0.1, 0.9, 0)


# -- softmax cross-entropy


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_softmax_ce_gradient_is_softmax_minus_onehot_over_batch(dtype) -> None:
    g = torch.Generator().manual_seed(0)
    z = (torch.randn(32, 7, generator=g, dtype=torch.float64) * 5).to(dtype)
    y = torch.randint(0, 7, (32,), generator=g)
    diff = (autograd_logit_gradient(z, y) - closed_form_logit_gradient(z, y)).abs().max()
    assert float(diff) <= gradient_tolerance(dtype, 32, 4)
    assert gradient_tolerance(torch.float32, 32, 4) == 4 * torch.finfo(torch.float32).eps / 32


@pytest.mark.parametrize("args, named", [((torch.float32, 0, 4), "batch=0"), ((torch.float32, 32, 0), "ulps=0"),
                                         ((torch.float32, 2.0, 4), "batch=2.0"), ((torch.int64, 32, 4), "dtype=torch.int64")])
def test_gradient_tolerance_refuses_bad_arguments(args, named) -> None:
    with pytest.raises(ValueError, match=re.escape(named)):
        gradient_tolerance(*args)


def test_a_wrong_formula_lands_outside_the_tolerance() -> None:
    z, y = torch.randn(16, 5, generator=torch.Generator().manual_seed(1)), torch.arange(16) % 5
    wrong = torch.softmax(z, 1) - F.one_hot(y, 5)  # not divided by the batch
    assert float((autograd_logit_gradient(z, y) - wrong).abs().max()) > gradient_tolerance(torch.float32, 16, 4)


# -- per-fit rates


@pytest.fixture(scope="module")
def small_digits():
    split = data.load_digits(seed=0)
    from dataclasses import replace
    return replace(split, X_train=split.X_train[:200], y_train=split.y_train[:200])


def test_own_fit_rates_chooses_each_arms_rate_from_its_grid(small_digits) -> None:
    net = MLPConfig(n_inputs=64, n_outputs=10, depth=1, width=8)
    fits = {"sgd": FitConfig(epochs=2, batch_size=64, optimizer="sgd"), "adam": FitConfig(epochs=2, batch_size=64)}
    grids = {"sgd": (1e-4, 0.3), "adam": (1e-6, 0.01)}
    rates = own_fit_rates(net, small_digits, fits, grids, seeds(2, "pilot"))
    assert rates.lr == {"sgd": 0.3, "adam": 0.01}  # the tiny rates barely move the net
    assert rates.fits["adam"].lr == 0.01 and rates.fits["adam"].optimizer == "adam"
    with pytest.raises(ValueError, match="grid"):
        own_fit_rates(net, small_digits, fits, {"sgd": (), "adam": (0.01,)}, seeds(1))


def test_best_arm_reads_each_arms_chosen_row_by_epochs_then_validation_loss() -> None:
    def row(lr, epochs, loss):
        return {"lr": lr, "median_epochs_to_target": epochs, "median_val_loss": loss}
    tables = {"a": [row(0.01, 1.0, 0.01), row(0.1, 3.0, 0.5)],  # its unchosen 0.01 row would beat every arm
              "b": [row(0.01, 3.0, 0.4)],  # a's epochs, lower loss: the best
              "c": [row(0.1, 5.0, 0.1)],  # more epochs: a lower loss does not make up for them
              "d": [row(0.1, math.inf, 0.05)]}  # never reached the target
    lr = {"a": 0.1, "b": 0.01, "c": 0.1, "d": 0.1}
    rates = OwnRates(lr, {arm: FitConfig(lr=r) for arm, r in lr.items()}, tables)
    assert best_arm(rates) == "b"
    assert best_arm(rates, ["a", "c", "d"]) == "a" and best_arm(rates, ["d", "c"]) == "c"
    assert best_arm(rates, ["d"]) == "d"
    with pytest.raises(ValueError, match="at least one arm"):
        best_arm(rates, [])


def test_select_fit_picks_the_lowest_median_validation_loss(small_digits) -> None:
    net = MLPConfig(n_inputs=64, n_outputs=10, depth=1, width=8)
    variants = {"decay 0": FitConfig(epochs=3, batch_size=64, lr=0.01),
                "decay 100": FitConfig(epochs=3, batch_size=64, lr=0.01, optimizer="adamw",
                                       optimizer_params={"weight_decay": 100.0})}
    chosen, table = select_fit(net, small_digits, variants, seeds(2, "pilot"))
    assert chosen == "decay 0" and [r["variant"] for r in table] == list(variants)
    with pytest.raises(ValueError, match="variants"):
        select_fit(net, small_digits, {}, seeds(1))


# -- the batch sweep


def hand_loop(X, y, C, config: SweepConfig, s) -> list[float]:
    """One member with autograd and torch.optim.SGD: the reference the batched sweep must match."""
    W = (torch.randn(X.shape[1], C, generator=s.generator("init"), dtype=X.dtype) * config.init_std).requires_grad_()
    b = torch.zeros(C, dtype=X.dtype, requires_grad=True)
    opt = torch.optim.SGD([W, b], lr=config.lr, momentum=config.momentum)
    gen = s.generator("data")
    n, bs = len(X), config.batch_size or len(X)
    per_epoch = math.ceil(n / bs)
    losses, order = [], None

    def objective() -> float:
        with torch.no_grad():
            return float(F.cross_entropy(X @ W + b, y) + 0.5 * config.l2 * W.pow(2).sum())

    losses.append(objective())
    for t in range(config.steps):
        if t % per_epoch == 0:
            order = torch.randperm(n, generator=gen) if bs < n else torch.arange(n)
        idx = order[(t % per_epoch) * bs:(t % per_epoch + 1) * bs]
        loss = F.cross_entropy(X[idx] @ W + b, y[idx]) + 0.5 * config.l2 * W.pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(objective())
    return losses


@pytest.mark.parametrize("batch_size, momentum", [(7, 0.0), (7, 0.9), (None, 0.5)])
def test_sweep_matches_a_hand_written_autograd_loop(batch_size, momentum) -> None:
    g = torch.Generator().manual_seed(3)
    X, y = torch.randn(30, 5, generator=g, dtype=torch.float64), torch.randint(0, 3, (30,), generator=g)
    config = SweepConfig(batch_size, 0.2, 12, momentum=momentum, l2=0.01, record_every=1, init_std=0.1)
    ss = seeds(3)
    run = train_members(X, y, 3, config, ss)
    assert run.loss.shape == (3, 13) and list(run.steps) == list(range(13))
    for i, s in enumerate(ss):
        assert np.allclose(run.loss[i], hand_loop(X, y, 3, config, s), rtol=0, atol=1e-12)


def test_sweep_records_every_k_steps_and_the_last() -> None:
    X, y = torch.randn(20, 4), torch.arange(20) % 2
    run = train_members(X, y, 2, SweepConfig(4, 0.1, 10, record_every=4), seeds(2))
    assert list(run.steps) == [0, 4, 8, 10]
    assert run.window(0.5).shape == (2, 2)  # steps 8 and 10 lie in the last half


def test_steps_to_target_and_divergence() -> None:
    X = torch.randn(40, 4, generator=torch.Generator().manual_seed(0))
    y = (X[:, 0] > 0).long()  # separable: the loss can go low
    run = train_members(X, y, 2, SweepConfig(None, 0.5, 50, record_every=5), seeds(2))
    assert all(0 < s <= 50 for s in run.steps_to(0.6)) and run.steps_to(-1.0) == [math.inf, math.inf]
    wild = train_members(X * 1e3, (1 - y), 2, SweepConfig(None, 1e6, 30, l2=1.0), seeds(2))
    assert np.isinf(wild.loss[:, -1]).all()  # diverged members read +inf to the end
    below = wild.loss[np.isfinite(wild.loss)].min() / 2  # under every finite record: only a diverged one could reach it
    assert wild.steps_to(below) == [math.inf, math.inf]
    hand = SweepRun(np.arange(4), np.array([[2.0, np.nan, np.inf, 1.0]]), wild.weights[:1], wild.bias[:1])
    assert hand.steps_to(1.5) == [3.0] and hand.steps_to(0.5) == [math.inf]  # NaN and +inf reach no target


def test_sweep_run_window_refuses_a_bad_fraction_or_too_few_records() -> None:
    X, y = torch.randn(20, 4), torch.arange(20) % 2
    run = train_members(X, y, 2, SweepConfig(None, 0.1, 10, record_every=5), seeds(2))  # records at 0, 5, 10
    assert run.window(1.0).shape == (2, 2)  # steps 5 and 10: the window starts after step 0
    for bad in (0.0, -0.5, 1.5, math.nan, "0.5"):
        with pytest.raises(ValueError, match=re.escape(f"fraction={bad!r}")):
            run.window(bad)
    with pytest.raises(ValueError, match="at least 2"):
        run.window(0.1)  # only step 10 lies in the last tenth
    with pytest.raises(ValueError, match="at least one seed"):
        train_members(X, y, 2, SweepConfig(None, 0.1, 10), [])


@pytest.mark.parametrize("key, value", [("batch_size", 0), ("batch_size", True), ("batch_size", 2.0), ("lr", -1.0),
                                        ("lr", "0.1"), ("lr", math.inf), ("steps", 0), ("steps", 5.0),
                                        ("record_every", 0), ("momentum", 1.0), ("momentum", "0.9"), ("l2", -1.0),
                                        ("l2", math.nan), ("init_std", None)])
def test_sweep_config_refuses_bad_values(key, value) -> None:
    with pytest.raises(ValueError, match=re.escape(f"{key}={value!r}")):
        SweepConfig(**{"batch_size": 1, "lr": 0.1, "steps": 5, key: value})


def test_detrended_std_ignores_a_trend_and_sees_wander() -> None:
    line = np.linspace(1, 0.5, 50)[None]
    wiggle = line + 0.1 * np.sign(np.sin(np.arange(50)))[None]
    assert detrended_std(line)[0] < 1e-12 and detrended_std(wiggle)[0] > 0.05
    assert detrended_std(np.array([[1.0, np.inf, 0.5]]))[0] == math.inf


def test_select_rate_and_tuned_sweep_pick_the_fastest_rate() -> None:
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(60, 5, generator=g), torch.randint(0, 3, (60,), generator=g)
    config = SweepConfig(None, 0.01, 40, record_every=2)
    lr, table = select_rate(X, y, 3, config, (1e-4, 0.5), seeds(2, "pilot"), target=1.0)
    assert lr == 0.5 and [r["lr"] for r in table] == [1e-4, 0.5]
    sweep = tuned_sweep(X, y, 3, {"full": config}, {"full": (1e-4, 0.5)}, seeds(2, "pilot"), seeds(3), 1.0)
    assert sweep.lr == {"full": 0.5} and sweep.runs["full"].loss.shape[0] == 3


def test_step_function_is_train_members_step_and_cycles_past_an_epoch() -> None:
    g = torch.Generator().manual_seed(0)
    X = torch.randn(50, 4, generator=g)
    y = (X[:, 0] > 0).long()  # a learnable rule, so a few epochs lower the objective at any batch size
    seed = run_seeds(0, "step-function", 0)
    full = SweepConfig(None, 0.1, 5, momentum=0.9)
    step = step_function(X, y, 2, full, seed.generator("init"))
    for _ in range(full.steps):
        W, b = step()
    run = train_members(X, y, 2, full, [seed])
    assert torch.equal(W, run.weights) and torch.equal(b, run.bias)  # full batch: the same draws, the same steps
    for bs in (1, 16):
        step = step_function(X, y, 2, SweepConfig(bs, 0.1, 1), torch.Generator().manual_seed(1))
        start = objective(X, y, *(t.clone() for t in step()), 0.0)
        for _ in range(3 * math.ceil(50 / bs)):  # three epochs: past the end of its permutation
            W, b = step()
        assert objective(X, y, W, b, 0.0) < start


# --------------------------------------------------------------- Wilson et al.'s over-parameterized problem

def test_wilson_problem_is_the_papers_construction():
    X, y = wilson_problem(6, 0.6, torch.Generator().manual_seed(0))
    assert X.shape == (6, 3 + 5 * 6) and X.dtype == torch.float64
    assert torch.equal(X[:, 0], y) and (X[:, 1:3] == 1).all()
    own = X[:, 3:].reshape(6, 6, 5)  # example i's block is block i
    for i in range(6):
        assert own[i, i].sum() == (1 if y[i] > 0 else 5) and own[i].sum() == own[i, i].sum()
    X_new, y_new = new_points(4, 0.6, torch.Generator().manual_seed(1))
    assert X_new.shape == (4, 3) and torch.equal(X_new[:, 0], y_new)
    with pytest.raises(ValueError, match=r"p=0.4: the share of \+1 labels must be in \(0.5, 1\)"):
        wilson_problem(6, 0.4, torch.Generator())
    with pytest.raises(ValueError, match="n=0"):
        wilson_problem(0, 0.6, torch.Generator())


def test_a_stacked_run_is_each_problems_own_run_and_adaptive_methods_call_every_point_positive():
    gens = [torch.Generator().manual_seed(s) for s in range(3)]
    probs = [wilson_problem(20, 0.6, g) for g in gens]
    X, y = torch.stack([p[0] for p in probs]), torch.stack([p[1] for p in probs])
    for opt, lr in (("momentum", 0.1), ("adam", 0.01)):
        w, loss = fit_least_squares(X, y, opt, lr, 300)
        for i, (Xi, yi) in enumerate(probs):
            wi, li = fit_least_squares(Xi, yi, opt, lr, 300)
            # the batched and the single matrix-vector kernels round differently: equal to float64 rounding
            torch.testing.assert_close(w[i], wi, rtol=1e-9, atol=1e-12)
            torch.testing.assert_close(loss[i], li, rtol=1e-6, atol=1e-20)
        assert (loss < 1e-12).all()  # both fit the training set
    w_adam, _ = fit_least_squares(X, y, "adam", 0.01, 300)
    # about equal weight on x_1, x_2 and x_3: the paper's solution for adaptive methods
    assert (w_adam[:, :3] - 0.25).abs().max() < 5e-3
    X_new, y_new = new_points(500, 0.6, torch.Generator().manual_seed(9))
    assert sign_accuracy(X_new, w_adam[0], y_new) == (y_new > 0).double().mean()
    assert sign_accuracy(X_new, fit_least_squares(X, y, "momentum", 0.1, 300)[0][0], y_new) == 1.0
    assert lowest_loss_rate(X, y, "adam", (1e-4, 0.01), 300) == 0.01
    assert fit_least_squares(X, y, "momentum", 5.0, 500)[1].isnan().all()  # the rate diverges to a NaN loss
    assert lowest_loss_rate(X, y, "momentum", (5.0, 0.1), 500) == 0.1  # a diverged run ranks last, even first
    with pytest.raises(ValueError, match="non-empty rate grid"):
        lowest_loss_rate(X, y, "adam", (), 300)


# --------------------------------------------------------------- random hyperparameter search

SPACE = {"log10_lr": (-4.0, 0.0), "momentum": (0.0, 0.99), "depths": (1, 2), "widths": (16,),
         "log10_decay_epochs": (0.0, 2.0), "batch_sizes": (32, 64)}


@pytest.mark.parametrize("key, value", [("log10_lr", (0.0, -4.0)), ("log10_lr", (-4.0,)), ("log10_lr", (-4.0, math.nan)),
                                        ("momentum", (0.0, 1.5)), ("momentum", (-0.1, 0.9)), ("momentum", (0.9, 0.5)),
                                        ("log10_decay_epochs", (2.0, 0.0)), ("depths", ()), ("widths", (16, 0)),
                                        ("batch_sizes", (32.0,)), ("depths", [1, 2])])
def test_hyperparameter_space_refuses_bad_ranges_and_choices(key, value) -> None:
    HyperparameterSpace(**SPACE)  # the valid space builds
    with pytest.raises(ValueError, match=re.escape(f"HyperparameterSpace.{key}={value!r}")):
        HyperparameterSpace(**{**SPACE, key: value})


@pytest.mark.parametrize("outcome, factor", [([1.0, math.nan, 2.0], [1, 2, 3]), ([1.0, 2.0, 3.0], [1, math.nan, 3])])
def test_binned_r2_refuses_a_nan(outcome, factor) -> None:
    # +inf (a diverged run) takes the worst ranks [1, 2, 3.5, 3.5]: bin means 1.5 and 3.5 about 2.5, 4 of 4.5
    assert binned_r2([1.0, 2.0, math.inf, math.inf], [1, 2, 3, 4], 2) == pytest.approx(8 / 9)
    with pytest.raises(ValueError, match=r"NaN .* at \[1\]"):
        binned_r2(outcome, factor, 2)
