"""Section: learning-rate scheduling (exponential, performance, power, piecewise constant, 1cycle) and the LR finder.

Each test is one claim of dnnkit/catalog/schedules.py; the claim's sentence is in its docstring. The designs (data,
net, budget, the schedules' own settings, the rate grid and the pilot numbers behind every chosen rate) are declared
in that catalog's docstring.
"""

from __future__ import annotations

import pytest

from dnnkit import data, schedules
from dnnkit.data import Split
from dnnkit.experiment import ArmRuns, replace_fit
from dnnkit.lr_finder import find_lr
from dnnkit.models import MLPConfig, build_mlp
from dnnkit.stats import CONFIRMED
from dnnkit.training import FitConfig
from dnnkit.training import fit as train

EPOCHS = 15
NET = MLPConfig(n_inputs=40, n_outputs=10, depth=2, width=64, activation="elu")
FIT = FitConfig(epochs=EPOCHS, batch_size=128, optimizer="momentum", optimizer_params={"momentum": 0.9})
# The chapter's 25-epoch settings scaled to the budget; each arm's rate chosen on pilots (catalog docstring).
SCHEDULES = {
    "constant": lambda lr: {},
    "exponential": lambda lr: {"schedule": schedules.exponential(s=0.8 * EPOCHS)},
    "performance": lambda lr: {"schedule": schedules.performance(factor=0.5, patience=round(0.2 * EPOCHS))},
    "power": lambda lr: {"schedule": schedules.power(s=0.25 * EPOCHS, c=1.0)},
    "piecewise": lambda lr: {"schedule": schedules.piecewise_constant(
        [round(0.2 * EPOCHS), round(0.6 * EPOCHS)], [lr, lr / 2, lr / 10])},
    "1cycle": lambda lr: {"schedule": schedules.one_cycle(max_lr=lr, epochs=EPOCHS), "schedule_per_step": True},
}
RATES = {"constant": 0.1, "exponential": 0.3, "performance": 0.3, "power": 0.3, "piecewise": 0.3, "1cycle": 0.3}
MARGIN = 0.01  # one-cycle-best's non-inferiority margin in validation accuracy (declared in the catalog)

FINDER_NET = MLPConfig(n_inputs=64, n_outputs=10, depth=2, width=32, activation="elu")
FINDER_FIT = FitConfig(epochs=10, batch_size=32, optimizer="sgd", target=("val_acc", 0.95), stop_at_target=True)


@pytest.fixture(scope="module")
def mnist1d() -> Split:
    """MNIST-1D, 2000 train / 1000 val: digits leaves schedules no room (every arm ends at 96.5-96.8%)."""
    return data.load_mnist1d(n_train=2000, n_val=1000, seed=0)


def final_accuracy(claim, split: Split, arms: tuple[str, ...]) -> dict[str, list[float]]:
    """Train each schedule at its own rate over the claim's seeds; final validation accuracy per seed (-inf if
    the run diverged)."""
    fits = {arm: replace_fit(FIT, lr=RATES[arm], **SCHEDULES[arm](RATES[arm])) for arm in arms}
    runs = claim.train({arm: NET for arm in arms}, split, fits)
    accuracy = {arm: runs[arm].values("val_acc", "last") for arm in arms}
    claim.note(rates={arm: RATES[arm] for arm in arms},
               final_val_acc={arm: [round(v, 4) for v in vs] for arm, vs in accuracy.items()})
    return accuracy


@pytest.mark.claim("schedules-speed-convergence")
@pytest.mark.xfail(strict=True, reason=(
    "exponential decay does not end better than the best constant rate at this scale (MNIST-1D, 15 epochs): paired "
    "difference in final val acc +0.0001 (seed base 0, p 0.50) and -0.003 (base 1, p 0.68), +0.009 on 8 pilot seeds "
    "(5/8 wins; +0.011 with 25 epochs), all under the 0.01 margin. Performance scheduling (+0.015 and +0.022) and "
    "1cycle (+0.025 and +0.018) are confirmed on both bases; only the exponential sub-comparison fails"))
def test_schedules_speed_convergence(claim, mnist1d):
    """Exponential decay, performance scheduling and 1cycle speed up convergence: each reaches a better model within
    the same number of epochs than the best constant learning rate."""
    accuracy = final_accuracy(claim, mnist1d, ("constant", "exponential", "performance", "1cycle"))
    verdicts = [claim.decide(accuracy[arm], accuracy["constant"], arms=(arm, "constant 0.1"),
                             label=f"final val acc after {EPOCHS} epochs: {arm} above the best constant rate").verdict
                for arm in ("exponential", "performance", "1cycle")]
    assert verdicts == [CONFIRMED] * 3, claim.decisions


@pytest.mark.claim("one-cycle-best")
def test_one_cycle_best(claim, mnist1d):
    """1cycle scheduling matches or beats the other learning-rate schedules at an equal number of epochs (the chapter
    recommends it by default)."""
    others = ("exponential", "performance", "power", "piecewise")
    accuracy = final_accuracy(claim, mnist1d, ("1cycle", *others))
    # Non-inferiority: shift the rival down by the margin and test "greater" (no 'absent' band for this test).
    verdicts = [claim.decide(accuracy["1cycle"], [v - MARGIN for v in accuracy[other]], delta=0.0,
                             arms=("1cycle", f"{other} - {MARGIN}"),
                             label=f"final val acc: 1cycle no worse than {other} (margin {MARGIN})").verdict
                for other in others]
    assert verdicts == [CONFIRMED] * len(others), claim.decisions


def train_per_seed_rate(claim, arm: str, split: Split, rates: list[float]) -> ArmRuns:
    """FINDER_NET trained once per claim seed, seed i at rates[i] (its own finder's suggestion); runs recorded."""
    seeds = claim.seeds()
    results = [train(build_mlp(FINDER_NET, generator=s.generator("init")), split, replace_fit(FINDER_FIT, lr=lr), s)
               for s, lr in zip(seeds, rates, strict=True)]
    runs = ArmRuns(arm, FINDER_NET, FINDER_FIT, seeds, results, extra={"lr": rates})
    claim.record_runs(runs)
    return runs


@pytest.mark.claim("lr-finder-trains")
def test_lr_finder_trains(claim, digits):
    """The learning rate the LR finder suggests (about 10 times below the rate where the loss starts to climb) trains
    the net to the target; ten times that rate diverges or does clearly worse."""
    found = [find_lr(build_mlp(FINDER_NET, generator=s.generator("init")), digits, optimizer="sgd", lr_min=1e-4,
                     lr_max=10.0, batch_size=FINDER_FIT.batch_size, seeds=s) for s in claim.seeds()]
    suggested = [f.suggestion for f in found]
    runs = {arm: train_per_seed_rate(claim, arm, digits, [k * lr for lr in suggested])
            for arm, k in (("suggested rate", 1), ("10x suggested rate", 10))}
    epochs = {arm: r.epochs_to_target() for arm, r in runs.items()}
    claim.note(suggested_lr=[f"{lr:.4g}" for lr in suggested], finder_steps=[len(f.frame) for f in found],
               diverged={arm: [r.diverged for r in rs.results] for arm, rs in runs.items()},
               final_val_acc={arm: [round(v, 3) for v in rs.values("val_acc", "last")] for arm, rs in runs.items()})
    faster = claim.decide(epochs["suggested rate"], epochs["10x suggested rate"],
                          label="epochs to val acc 0.95: suggestion vs 10x (+inf if never or diverged)")
    reaches = claim.decide([e <= FINDER_FIT.epochs for e in epochs["suggested rate"]], kind="exact",
                           arms=("suggested rate", "B"), label="the suggestion reaches val acc 0.95 within 10 epochs")
    assert (faster.verdict, reaches.verdict) == (CONFIRMED, CONFIRMED), claim.decisions
