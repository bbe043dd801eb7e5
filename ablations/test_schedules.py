"""Section: learning-rate scheduling (exponential, performance, power, piecewise constant, 1cycle) and the LR finder.

Each test is one claim of dnnkit/catalog/schedules.py; the claim's sentence is in its docstring. The designs (data,
net, budget, the schedules' own settings, the rate grid and the pilot numbers behind every chosen rate) are declared
in that catalog's docstring.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
import pytest
import torch

from dnnkit import data
from dnnkit.data import Split
from dnnkit.nn.models import build_mlp
from dnnkit.optim import schedules
from dnnkit.seeds import run_seeds
from dnnkit.train import checkpoints
from dnnkit.train.experiment import ArmRuns, replace_fit, train_arm
from dnnkit.train.lr_finder import find_lr
from dnnkit.train.training import FitConfig
from dnnkit.train.training import fit as train


@pytest.fixture(scope="module")
def mnist1d(data_seed: int) -> Callable[[int, int], Split]:
    """MNIST-1D (n_train, n_val) drawn with the seed base, one draw per size: digits leaves schedules no room (every
    arm ends at 96.5-96.8%)."""
    return functools.cache(lambda n_train, n_val: data.load_mnist1d(n_train=n_train, n_val=n_val, seed=data_seed))


def schedule_fit(k, arm: str) -> FitConfig:
    """The budget's fit for one arm: its own rate, and its schedule with the chapter's settings scaled to the budget."""
    lr, budget = (k.constant_rate if arm == "constant" else k.schedule_rate), k.fit.epochs
    settings = {
        "constant": lambda: {},
        "exponential": lambda: {"schedule": schedules.exponential(s=k.exponential_s * budget)},
        "performance": lambda: {"schedule": schedules.performance(
            factor=k.performance_factor, patience=round(k.performance_patience * budget))},
        "power": lambda: {"schedule": schedules.power(s=k.power_s * budget, c=k.power_c)},
        "piecewise": lambda: {"schedule": schedules.piecewise_constant(
            [round(until * budget) for until in k.piecewise_until], [lr, *(lr / d for d in k.piecewise_divisors)])},
        "1cycle": lambda: {"schedule": schedules.one_cycle(max_lr=lr, epochs=budget), "schedule_per_step": True},
    }
    return replace_fit(k.fit, lr=lr, **settings[arm]())


def train_schedules(claim, mnist1d, k, arms: tuple[str, ...]) -> dict[str, ArmRuns]:
    """Train each schedule at its own rate over the claim's seeds; note the final validation accuracies."""
    fits = {arm: schedule_fit(k, arm) for arm in arms}
    runs = claim.train({arm: k.net for arm in arms}, mnist1d(k.n_train, k.n_val), fits)
    claim.note(rates={arm: fit.lr for arm, fit in fits.items()},
               final_val_acc={arm: [round(v, 4) for v in r.values("val_acc", "last")] for arm, r in runs.items()})
    return runs


@pytest.mark.claim("schedules-speed-convergence")
def test_schedules_speed_convergence(claim, mnist1d):
    """Exponential decay, performance scheduling and 1cycle speed up convergence: each reaches a better model within
    the same number of epochs than the best constant learning rate."""
    k = claim.knobs
    runs = train_schedules(claim, mnist1d, k, ("constant", "exponential", "performance", "1cycle"))
    constant, best_constant, target = runs["constant"], f"constant {k.constant_rate}", k.fit.target[1]
    for arm in ("exponential", "performance", "1cycle"):
        claim.decide(runs[arm].values("val_acc", "last"), constant.values("val_acc", "last"), arms=(arm, best_constant),
                     label=f"final val acc after {k.fit.epochs} epochs: {arm} above the best constant rate")
    # The first reading of "speed up convergence", left for the final accuracy after pilots (catalog docstring).
    for arm in ("exponential", "performance", "1cycle"):
        claim.decide(runs[arm].epochs_to_target(), constant.epochs_to_target(), kind="time_to_target",
                     direction="less", delta=1.0, arms=(arm, best_constant),
                     label=f"epochs to val acc {target}: {arm} sooner than the best constant rate",
                     sensitivity="time to target, the claim's first reading, set aside after pilots: 1cycle's warm-up "
                                 f"reached {target} later than the constant rate (8-9 vs 6-7 epochs) yet ended higher")


@pytest.mark.claim("one-cycle-best")
def test_one_cycle_best(claim, mnist1d):
    """1cycle scheduling matches or beats the other learning-rate schedules at an equal number of epochs (the chapter
    recommends it by default)."""
    k = claim.knobs
    others = ("exponential", "performance", "power", "piecewise")
    runs = train_schedules(claim, mnist1d, k.budget, ("1cycle", *others))
    accuracy = {arm: r.values("val_acc", "last") for arm, r in runs.items()}
    for other in others:
        # Non-inferiority: shift the rival down by the margin and test "greater" (no 'absent' band for this test).
        claim.decide(accuracy["1cycle"], [v - k.margin for v in accuracy[other]], delta=0.0,
                     arms=("1cycle", f"{other} - {k.margin}"),
                     label=f"final val acc: 1cycle no worse than {other} (margin {k.margin})")
    for other in others:
        claim.decide(accuracy["1cycle"], accuracy[other], arms=("1cycle", other),
                     label=f"final val acc: 1cycle better than {other}",
                     sensitivity="the chapter's strict reading (1cycle better than each), softened to 'no worse "
                                 "than' after pilots")


def train_per_seed_rate(claim, arm: str, split: Split, k, rates: list[float]) -> ArmRuns:
    """The finder's net trained once per claim seed, seed i at rates[i] (its own finder's suggestion); runs
    recorded."""
    seeds = claim.seeds()
    results = [train(build_mlp(k.net, generator=s.generator("init"), device=claim.device), split,
                     replace_fit(k.fit, lr=lr), s) for s, lr in zip(seeds, rates, strict=True)]
    runs = ArmRuns(arm, k.net, k.fit, seeds, results, extra={"lr": rates})
    claim.record_runs(runs)
    return runs


def best_grid_rate(claim, split: Split, k) -> tuple[float, dict[float, float]]:
    """The grid rate with the best median final val accuracy on the pilot seeds (never the evidence seeds)."""
    pilots = claim.pilot_seeds(k.pilot_seeds)
    median = {lr: float(np.median(train_arm(f"lr={lr:g}", k.net, split, replace_fit(k.fit, lr=lr),
                                            pilots).values("val_acc", "last"))) for lr in k.grid}
    return max(median, key=median.get), median


@pytest.mark.claim("lr-finder-trains")
def test_lr_finder_trains(claim, digits):
    """The learning rate the LR finder suggests (about 10 times below the rate where the loss starts to climb)
    trains the net as well as the best rate of a grid searched by hand."""
    digits = claim.on_device(digits)  # the finder and the per-seed runs train outside claim.train
    k = claim.knobs
    found = [find_lr(build_mlp(k.net, generator=s.generator("init"), device=claim.device), digits,
                     optimizer=k.fit.optimizer, lr_min=k.lr_min, lr_max=k.lr_max, batch_size=k.fit.batch_size, seeds=s)
             for s in claim.seeds()]
    suggested = [f.suggestion for f in found]
    best, pilot_median = best_grid_rate(claim, digits, k)
    finder = train_per_seed_rate(claim, "suggested rate", digits, k, suggested)
    grid = claim.train({f"best grid rate ({best:g})": k.net}, digits, replace_fit(k.fit, lr=best))
    acc = {"suggested rate": finder.values("val_acc", "last"),
           **{arm: r.values("val_acc", "last") for arm, r in grid.items()}}
    claim.note(suggested_lr=[f"{lr:.4g}" for lr in suggested], finder_steps=[len(f.frame) for f in found],
               best_grid_rate=best, pilot_median_val_acc={f"{lr:g}": round(v, 4) for lr, v in pilot_median.items()},
               final_val_acc={arm: [round(v, 4) for v in vs] for arm, vs in acc.items()})
    claim.decide(*acc.values(), arms=tuple(acc),
                 label=f"final val acc after {k.fit.epochs} epochs: suggestion within {k.margin} of the best "
                       "grid rate")


def draw(generator: torch.Generator, bounds: tuple, *, log: bool = False) -> float | int:
    """One value from `bounds` (low, high): a uniform integer (both ends included) when they are ints, else uniform
    (log-uniform with log=True)."""
    low, high = bounds
    u = float(torch.rand((), generator=generator, dtype=torch.float64))
    if isinstance(low, int) and isinstance(high, int):
        return low + min(int(u * (high - low + 1)), high - low)
    return math.exp(math.log(low) + u * (math.log(high) - math.log(low))) if log else low + u * (high - low)


def within(rates: list[float], exact: list[float], tolerance: list[float]) -> bool:
    """Every rate within its tolerance (relative to the exact value) of the exact rate."""
    return all(abs(r - e) <= tol * abs(e) for r, e, tol in zip(rates, exact, tolerance, strict=True))


@pytest.mark.claim("exponential-schedule-tenfold-per-s")
def test_exponential_schedule_tenfold_per_s(claim):
    """Exponential: eta(t) = eta0 0.1^(t/s); the learning rate drops by a factor of 10 every s steps."""
    k, eps = claim.knobs, float(np.finfo(np.float64).eps)
    held: dict[str, list[bool]] = {"dnnkit": [], "torch": [], "control": []}
    drawn = []
    for s in claim.seeds():
        g = s.generator("init")
        eta0, steps = draw(g, k.lr_range, log=True), draw(g, k.s_range)
        t = [j * steps for j in range(k.decades + 1)]
        exact = [eta0 / 10 ** j for j in range(k.decades + 1)]  # 10**j: an exact integer
        ours = schedules.rates_used(schedules.exponential(steps), t[-1] + 1, lr=eta0)
        theirs = schedules.rates_used(None, t[-1] + 1, lr=eta0, torch_scheduler=lambda o, s=steps: (
            torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.1 ** (1 / s))))
        off = schedules.rates_used(schedules.exponential(steps), t[-1] + 1, lr=eta0 * (1 + k.control_off))
        held["dnnkit"].append(within([ours[i] for i in t], exact, [k.ulps * eps] * len(t)))
        held["torch"].append(within([theirs[i] for i in t], exact, [k.torch_ulps_per_step * (i + 2) * eps for i in t]))
        held["control"].append(not within([off[i] for i in t], exact, [k.ulps * eps] * len(t)))
        drawn.append({"eta0": f"{eta0:.4g}", "s": steps, "worst_rel_err_ulps": round(max(
            abs(ours[i] - e) / e / eps for i, e in zip(t, exact, strict=True)), 2)})
    claim.note(per_seed=drawn)
    claim.decide(held["dnnkit"], arms=("dnnkit exponential", "B"),
                 label=f"dnnkit's exponential: eta(k s) = eta0 10^-k within {k.ulps} eps64, k = 0..{k.decades}")
    claim.decide(held["torch"], arms=("torch ExponentialLR", "B"),
                 label=f"torch's ExponentialLR(gamma = 0.1^(1/s)): within {k.torch_ulps_per_step} (t + 2) eps64")
    claim.decide(held["control"], arms=(f"eta0 x {1 + k.control_off}", "B"),
                 label=f"control: a rate {k.control_off:.0%} off fails the check on every seed")


def plateau_script(generator: torch.Generator, k) -> list[float]:
    """Scripted validation losses: an improvement (a relative drop drawn from improve_by) with probability
    p_improve, else the best so far x (1 + u), u drawn from worsen_by."""
    best, losses = 1.0, []
    for _ in range(k.evaluations):
        if float(torch.rand((), generator=generator, dtype=torch.float64)) < k.p_improve:
            best = best * (1 - draw(generator, k.improve_by))
            losses.append(best)
        else:
            losses.append(best * (1 + draw(generator, k.worsen_by)))
    return losses


def plateau_reference(losses: list[float], lr: float, factor: float, patience: int) -> tuple[list[float], int]:
    """The rate each step uses under the sentence's rule (torch's counting: cut at the (patience + 1)-th evaluation
    in a row without improvement), and the number of cuts."""
    best, bad, cuts, out = math.inf, 0, 0, []
    for loss in losses:
        out.append(lr)
        best, bad = (loss, 0) if loss < best else (best, bad + 1)
        if bad > patience:
            lr, bad, cuts = lr * factor, 0, cuts + 1
    return out, cuts


@pytest.mark.claim("performance-schedule-cuts-on-plateau")
def test_performance_schedule_cuts_on_plateau(claim):
    """Performance scheduling: measure the validation error every N steps and reduce the learning rate by a factor
    of gamma when the error stops dropping."""
    k = claim.knobs
    held, cuts, keras_earlier = [], [], []
    for s in claim.seeds():
        losses = plateau_script(s.generator("init"), k)
        used = schedules.rates_used(schedules.performance(factor=k.factor, patience=k.patience), k.evaluations,
                                    lr=k.lr, metrics=losses)
        expected, n_cuts = plateau_reference(losses, k.lr, k.factor, k.patience)
        keras, _ = plateau_reference(losses, k.lr, k.factor, k.patience - 1)  # Keras cuts at the patience-th
        held.append(used == expected and n_cuts > 0)
        cuts.append(n_cuts)
        keras_earlier.append(next((i for i, (a, b) in enumerate(zip(keras, used, strict=True)) if a != b), None))
    claim.note(cuts_per_seed=cuts, first_step_where_keras_counting_differs=keras_earlier)
    claim.decide(held, label=f"rate x {k.factor} exactly at the ({k.patience} + 1)-th evaluation without improvement, "
                             "unchanged otherwise (bitwise), at least one cut per seed")


@pytest.mark.claim("one-cycle-shape")
def test_one_cycle_shape(claim):
    """1cycle: the rate grows linearly up to eta1, then decreases linearly to eta0, with the last few epochs dropping
    the rate several orders of magnitude."""
    k, eps = claim.knobs, float(np.finfo(np.float64).eps)
    budget_steps = math.ceil(k.budget.n_train / k.budget.fit.batch_size)
    shape, tail, tail_budget, facts = [], [], [], []
    for s in claim.seeds():
        g = s.generator("init")
        max_lr, epochs, steps = draw(g, k.max_lr_range, log=True), draw(g, k.epochs_range), draw(g, k.steps_range)
        eta0 = max_lr / 10
        rates = schedules.rates_used(schedules.one_cycle(max_lr, epochs), epochs * steps, lr=max_lr,
                                     steps_per_epoch=steps)
        half = (len(rates) - (len(rates) // 10 + 1)) // 2  # the middle of the steps before the tail
        line = ([eta0 + (max_lr - eta0) * t / half for t in range(half + 1)]
                + [max_lr + (eta0 - max_lr) * t / half for t in range(1, half + 1)])
        shape.append(max(abs(r - e) for r, e in zip(rates, line, strict=False)) <= k.ulps * eps * max_lr
                     and rates.index(max(rates)) == half)
        falling = rates[2 * half:]
        tail.append(rates[-1] <= eta0 / k.tail_drop and all(b <= a for a, b in zip(falling, falling[1:], strict=False)))
        short = schedules.rates_used(schedules.one_cycle(max_lr, k.budget.fit.epochs),
                                     k.budget.fit.epochs * budget_steps, lr=max_lr, steps_per_epoch=budget_steps)
        tail_budget.append(short[-1] <= eta0 / k.tail_drop)
        facts.append({"max_lr": f"{max_lr:.4g}", "steps": len(rates), "peak_step": half,
                      "last_rate_over_eta0": f"{rates[-1] / eta0:.3g}",
                      "budget_last_rate_over_eta0": f"{short[-1] / eta0:.3g}"})
    claim.note(per_seed=facts)
    claim.decide(shape, label=f"linear from eta0 up to eta1 at the middle of the pre-tail steps and back to eta0 "
                              f"(within {k.ulps} eps64 x eta1)")
    claim.decide(tail, arms=("tail", "B"), label=f"the last rate used is at most eta0 / {k.tail_drop:g}")
    claim.decide(tail_budget, arms=("tail at the schedules' budget", "B"),
                 label=f"the tail at {k.budget.fit.epochs} epochs x {budget_steps} steps",
                 sensitivity="the schedules claims' own budget, far fewer steps than the chapter's example: the tail "
                             "is total // 10 + 1 steps long and one_cycle reaches its final rate one step after the "
                             "last, so the last rate used is about eta0 / tail length")


@pytest.mark.claim("resume-needs-schedule-state")
def test_resume_needs_schedule_state(claim, mnist1d, tmp_path):
    """If the schedule function uses the epoch argument and the epoch is not saved, the learning rate could get large
    on resume (set fit()'s initial_epoch manually)."""
    k = claim.knobs
    split, seeds = claim.on_device(mnist1d(k.n_train, k.n_val)), claim.seeds()
    config = replace_fit(k.fit, schedule=schedules.exponential(s=k.s))
    runs: dict[str, list] = {"uninterrupted": [], "schedule state restored": [], "schedule restarted": []}
    for i, s in enumerate(seeds):
        def net(s=s):
            return build_mlp(k.net, generator=s.generator("init"), device=claim.device)
        full = train(net(), split, replace_fit(config, checkpoint_dir=tmp_path / f"{i}"), s)
        point = tmp_path / f"{i}" / f"epoch-{k.fit.checkpoint_every:04d}.pt"
        runs["uninterrupted"].append(full)
        runs["schedule state restored"].append(train(net(), split, config, s, resume_from=point))
        restarted = checkpoints.restart_schedule(point, tmp_path / f"{i}-restarted.pt")
        runs["schedule restarted"].append(train(net(), split, config, s, resume_from=restarted))
    for arm, results in runs.items():
        claim.record(arm, seeds, results, fit_config=config)
    after = k.fit.checkpoint_every + 1

    def first_resumed(result, column):
        return float(result.history.set_index("epoch").loc[after, column])

    def later(result):
        return result.history.set_index("epoch").loc[after:, ["train_loss", "val_loss", "val_acc", "lr"]]

    identical = [all(torch.equal(a, b) for a, b in zip(f.model.state_dict().values(), r.model.state_dict().values(),
                                                        strict=True)) and later(f).equals(later(r))
                 for f, r in zip(runs["uninterrupted"], runs["schedule state restored"], strict=True)]
    loss = {arm: [first_resumed(r, "train_loss") for r in results] for arm, results in runs.items()}
    claim.note(first_resumed_epoch_lr={arm: [first_resumed(r, "lr") for r in results] for arm, results in runs.items()},
               first_resumed_epoch_train_loss={arm: [round(v, 4) for v in vs] for arm, vs in loss.items()})
    claim.decide(identical, kind="exact", arms=("resumed with schedule state == uninterrupted", "B"),
                 label="resumed with its schedule state: bitwise the uninterrupted run (weights, later losses)")
    claim.decide(loss["schedule restarted"], loss["schedule state restored"],
                 label=f"training loss in epoch {after}: schedule restarted above schedule state restored")
    claim.decide([r.metric("val_acc", "last") for r in runs["schedule restarted"]],
                 [r.metric("val_acc", "last") for r in runs["schedule state restored"]], direction="less",
                 arms=("schedule restarted", "schedule state restored"),
                 label=f"final val acc after {k.fit.epochs} epochs: schedule restarted below",
                 sensitivity="the lasting cost of the restart, not the sentence's immediate one")


# exp-and-performance-comparable and exponential-faster-than-performance read one set of runs, trained once per
# process (seeds derived from EXP_VS_PERFORMANCE, not from either claim's id); the two tests share an xdist group.
EXP_VS_PERFORMANCE = "schedules-exp-vs-performance"
_SHARED: dict[tuple, dict[str, ArmRuns]] = {}


def exp_vs_performance(claim, mnist1d) -> dict[str, ArmRuns]:
    """Exponential and performance on the schedules' budget at their grid rate, and a constant rate (the positive
    control's); recorded in this claim's evidence."""
    k, control = claim.knobs.budget, claim.knobs.control_rate
    key = (claim.seed_base, claim.n_seeds, claim.profile, str(claim.device), claim.data_seed)
    if key in _SHARED:
        for runs in _SHARED[key].values():
            claim.record_runs(runs)
    else:
        seeds = [run_seeds(claim.seed_base, EXP_VS_PERFORMANCE, rep) for rep in range(claim.n_seeds)]
        fits = {"exponential": schedule_fit(k, "exponential"), "performance": schedule_fit(k, "performance"),
                f"constant {control}": replace_fit(schedule_fit(k, "constant"), lr=control)}
        _SHARED[key] = claim.train({arm: k.net for arm in fits}, mnist1d(k.n_train, k.n_val), fits, seeds=seeds)
    runs = _SHARED[key]
    claim.note(final_val_acc={arm: [round(v, 4) for v in r.values("val_acc", "last")] for arm, r in runs.items()},
               epochs_to_target={arm: r.epochs_to_target() for arm, r in runs.items()})
    return runs


@pytest.mark.xdist_group(EXP_VS_PERFORMANCE)
@pytest.mark.claim("exp-and-performance-comparable")
def test_exp_and_performance_comparable(claim, mnist1d):
    """Both performance scheduling and exponential scheduling performed well (comparably)."""
    k = claim.knobs
    runs = exp_vs_performance(claim, mnist1d)
    acc = {arm: r.values("val_acc", "last") for arm, r in runs.items()}
    claim.decide(acc["exponential"], acc["performance"],
                 label=f"final val acc: exponential within {k.margin} of performance (paired TOST)")
    claim.decide(acc["performance"], [v + k.margin for v in acc[f"constant {k.control_rate}"]], kind="paired",
                 direction="greater", delta=0.0, arms=("performance", f"constant {k.control_rate} + {k.margin}"),
                 control=True,
                 label=f"positive control: performance above the constant rate {k.control_rate} by more than {k.margin}")


@pytest.mark.xdist_group(EXP_VS_PERFORMANCE)
@pytest.mark.claim("exponential-faster-than-performance")
def test_exponential_faster_than_performance(claim, mnist1d):
    """Exponential scheduling converged slightly faster to the optimal solution than performance scheduling."""
    runs = exp_vs_performance(claim, mnist1d)
    claim.decide(runs["exponential"].epochs_to_target(), runs["performance"].epochs_to_target(),
                 label=f"epochs to val acc {claim.knobs.budget.fit.target[1]}: exponential sooner than performance")
