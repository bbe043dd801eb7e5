"""Section: mini-batch gradient descent and hyperparameters (Ng's notes): batch size 1 against the full batch, seconds
to a target per batch size, small data sets, and the gradient of softmax cross-entropy.

Each test is one claim of dnnkit/catalog/minibatch.py; the claim's sentence is in its docstring. The designs and the
pilot numbers behind them are in that catalog's docstring.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dnnkit.data import first_examples
from dnnkit.nn.softmax_ce import autograd_logit_gradient, closed_form_logit_gradient, gradient_tolerance
from dnnkit.optim.schedules import exponential
from dnnkit.train.batch_sweep import (
    SweepConfig,
    TunedSweep,
    detrended_std,
    step_function,
    train_members,
    tuned_sweep,
)
from dnnkit.train.experiment import replace_fit
from dnnkit.train.hparam_importance import HyperparameterSpace, binned_r2, sample_hyperparameters


def _cpu(split):
    """The training part on the CPU, and the number of classes: the sweeps run there."""
    return split.X_train.cpu(), split.y_train.cpu(), split.n_classes


@pytest.mark.claim("sgd-batch1-noisy")
def test_sgd_batch1_noisy(claim, digits):
    """Stochastic gradient descent won't ever converge, it'll always just kind of oscillate and wander around the
    region of the minimum."""
    k = claim.knobs
    X, y, C = _cpu(digits)
    runs = {arm: train_members(X, y, C, SweepConfig(bs, k.lr, k.steps, l2=k.l2, record_every=k.record_every),
                               claim.seeds()) for arm, bs in (("batch 1", 1), ("full batch", None))}
    wander = {arm: detrended_std(r.window(k.window)).tolist() for arm, r in runs.items()}
    claim.note(wander={a: [f"{v:.2e}" for v in vs] for a, vs in wander.items()},
               final_objective={a: [round(v, 4) for v in r.loss[:, -1]] for a, r in runs.items()},
               objective_curves={a: {"steps": r.steps.tolist(), "objective": r.loss[0].tolist()}
                                 for a, r in runs.items()})
    claim.decide(wander["batch 1"], wander["full batch"],
                 label=f"wander of the training objective over the last {k.window:.0%} of the steps")


def seconds_to_target(claim, split, k) -> tuple[dict[str, list[float]], TunedSweep]:
    """Every arm at its own pilot rate: per seed, steps to the target x that seed's timing round of one step. The
    sweep and its timing run on the CPU (one core's vectorization is what the claims compare)."""
    X, y, C = _cpu(split)
    seeds = claim.seeds()
    sweep = tuned_sweep(X, y, C, k.arms, k.grids, claim.pilot_seeds(k.pilot_seeds), seeds, k.target)
    steps = {arm: run.steps_to(k.target) for arm, run in sweep.runs.items()}
    gen = seeds[0].generator("init")
    times = claim.time({arm: step_function(X, y, C, c, gen) for arm, c in sweep.configs.items()},
                       rounds=max(k.rounds, len(seeds)), label="one training step per batch size")
    seconds = {arm: [s * t for s, t in zip(steps[arm], times[arm], strict=False)] for arm in steps}
    claim.note(lr=sweep.lr, steps_to_target=steps,
               pilot_median_steps={a: {f"{r['lr']:g}": r["median_steps_to_target"] for r in t}
                                   for a, t in sweep.tables.items()},
               median_step_us={a: round(float(np.median(t)) * 1e6, 1) for a, t in times.items()},
               ms_to_target={a: [round(v * 1e3, 3) for v in vs] for a, vs in seconds.items()})
    return seconds, sweep


@pytest.mark.claim("minibatch-fastest-wallclock")
def test_minibatch_fastest_wallclock(claim, digits):
    """In practice, batch size is between [1, m]: get a lot vectorization, faster learning."""
    k = claim.knobs
    seconds, _ = seconds_to_target(claim, digits, k)
    ms = {arm: [v * 1e3 for v in vs] for arm, vs in seconds.items()}
    for rival in ("batch 1", "full batch"):
        claim.decide(ms["batch 32"], ms[rival], arms=("batch 32", rival),
                     label=f"milliseconds to objective {k.target:g}: batch 32 below {rival}")


@pytest.mark.claim("small-data-full-batch-ok")
def test_small_data_full_batch_ok(claim, digits):
    """If small data set: just use batch gradient descent."""
    k = claim.knobs
    seconds, sweep = seconds_to_target(claim, digits, k)
    full, *minis = k.arms
    # The best mini-batch size by the pilots' median steps x the median timed step.
    step_s = {arm: float(np.median(claim.timings["one training step per batch size"][arm])) for arm in minis}
    pilot = {arm: min(r["median_steps_to_target"] for r in sweep.tables[arm]) * step_s[arm] for arm in minis}
    best = min(minis, key=pilot.get)
    claim.note(best_minibatch=best, pilot_seconds={a: f"{v:.2e}" for a, v in pilot.items()})
    log = {arm: [math.log(v) for v in seconds[arm]] for arm in (full, best)}
    claim.decide(log[full], [v + math.log(k.margin) for v in log[best]], arms=(full, f"{best} x {k.margin:g}"),
                 label=f"log seconds to objective {k.target:g}: full batch below ln {k.margin:g} + the best mini-batch")


@pytest.mark.claim("softmax-ce-gradient")
def test_softmax_ce_gradient(claim):
    """For the backprop in DL with softmax, the gradient of the cost with respect to the logits is dZ = Y_hat - Y
    (per example; the mean cost divides it by the batch)."""
    k = claim.knobs
    held, worst = [], {}
    for s in claim.seeds():
        ok = True
        for name in k.dtypes:
            dtype = getattr(torch, name)
            g = s.generator("init")
            z = (torch.randn(k.batch, k.classes, generator=g, dtype=torch.float64) * k.scale).to(dtype)
            y = torch.randint(0, k.classes, (k.batch,), generator=g)
            diff = float((autograd_logit_gradient(z, y) - closed_form_logit_gradient(z, y)).abs().max())
            tol = gradient_tolerance(dtype, k.batch, k.ulps)
            worst[name] = max(worst.get(name, 0.0), diff / tol)
            ok = ok and diff <= tol
        held.append(ok)
    claim.note(worst_difference_in_tolerances=worst)
    claim.decide(held, label="autograd's logit gradient == (softmax - onehot) / batch within the dtype tolerance")


@pytest.mark.claim("lr-most-important-hparam")
def test_lr_most_important_hparam(claim, digits):
    """What are the parameters more important in DL and have to be tuned? - learning rate - momentum rate - mini-batch
    size - number of hidden units - number of layers - learning rate decay (the list is headed by the learning
    rate)."""
    k = claim.knobs
    split = claim.on_device(first_examples(digits, k.train_n))
    r2 = {name: [] for name in HyperparameterSpace.NAMES}
    for i, s in enumerate(claim.seeds()):
        configs = sample_hyperparameters(k.space, k.configs, s.generator("init"))
        arms = {f"search {i} config {j}": c for j, c in enumerate(configs)}
        runs = claim.train({a: k.net.replace(depth=c["depth"], width=c["width"]) for a, c in arms.items()}, split,
                           {a: replace_fit(k.fit, lr=c["lr"], epochs=k.epochs, batch_size=c["batch_size"],
                                           optimizer_params={"momentum": c["momentum"]},
                                           schedule=exponential(c["decay_epochs"])) for a, c in arms.items()},
                           seeds=[s])
        loss = [runs[a].values("val_loss", "last")[0] for a in arms]
        for name in HyperparameterSpace.NAMES:
            r2[name].append(binned_r2(loss, [c[name] for c in configs], k.bins))
    others = [max(r2[n][i] for n in HyperparameterSpace.NAMES if n != "lr") for i in range(len(r2["lr"]))]
    claim.note(r2={n: [round(v, 3) for v in vs] for n, vs in r2.items()},
               search=f"{k.configs} configurations x {k.epochs} epochs on {k.train_n} examples ({claim.profile})")
    claim.decide(r2["lr"], others, label="R^2 of the learning rate above the largest other hyperparameter's")
