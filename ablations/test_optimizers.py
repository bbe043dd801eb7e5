"""Section: faster optimizers (momentum, Nesterov) on an ill-conditioned quadratic bowl.

Each test is one claim of dnnkit/catalog/optimizers.py; the claim's sentence is in its docstring. The design
(bowl, budget, tolerance, rate grid, pilot seeds) is declared in that catalog's docstring.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dnnkit.quadratic import Bowl, best_rate, run_optimizer, sign_changes, steps_to_tolerance
from dnnkit.stats import CONFIRMED

BOWL = Bowl(kappa=100.0, dim=2)
STEPS, TOL = 3000, 1e-6
GRID_C = (0.1, 0.2, 0.5, 1.0, 1.5, 2.0, 3.0)  # lr = c / lambda_max


def grid(bowl: Bowl) -> list[float]:
    return [c / bowl.kappa for c in GRID_C]


def starts(seeds, bowl: Bowl = BOWL) -> torch.Tensor:
    """One starting point per seed on the unit circle, from that seed's init stream."""
    return torch.stack([bowl.random_start(s.generator("init")) for s in seeds])


def arm_steps(claim, arm: str, name: str, bowl: Bowl = BOWL, **hyper) -> tuple[np.ndarray, torch.Tensor]:
    """The arm at its own best grid rate (chosen on pilot starts): steps to tolerance per evidence seed."""
    lr, table = best_rate(name, grid(bowl), starts(claim.pilot_seeds(4), bowl), steps=STEPS, tol=TOL, bowl=bowl, **hyper)
    claim.note(**{f"{arm} lr (kappa {bowl.kappa:g})": lr, f"{arm} pilot grid (kappa {bowl.kappa:g})": table})
    trajectory = run_optimizer(name, lr, STEPS, starts(claim.seeds(), bowl), bowl=bowl, **hyper)
    return steps_to_tolerance(trajectory, TOL, bowl), trajectory


@pytest.mark.claim("momentum-beats-plain-gd")
def test_momentum_beats_plain_gd(claim):
    """Momentum optimization escapes from plateaus much faster than gradient descent: on an elongated bowl, gradient
    descent goes down the steep slope quickly but takes a very long time down the valley, while momentum
    (beta = 0.9) rolls down the valley faster and faster."""
    momentum, _ = arm_steps(claim, "momentum 0.9", "momentum", momentum=0.9)
    plain, _ = arm_steps(claim, "plain GD", "sgd")
    claim.note(theory_optimal_gd_lr=BOWL.optimal_gd_lr())
    assert claim.decide(momentum.tolist(), plain.tolist()).verdict == CONFIRMED, claim.decisions


@pytest.mark.claim("nesterov-beats-momentum")
def test_nesterov_beats_momentum(claim):
    """Nesterov accelerated gradient is generally faster than regular momentum optimization: it needs no more steps,
    and fewer on the elongated bowl, because it measures the gradient slightly ahead in the direction of the
    momentum, which dampens oscillations."""
    nag, _ = arm_steps(claim, "nesterov 0.9", "nesterov", momentum=0.9)
    hb, _ = arm_steps(claim, "momentum 0.9", "momentum", momentum=0.9)
    fewer = claim.decide(nag.tolist(), hb.tolist(), label="fewer steps on the elongated bowl (kappa 100)")
    # "No more steps": also on a milder bowl (kappa 10), per seed, each at its best grid rate.
    mild = Bowl(kappa=10.0, dim=2)
    nag10, _ = arm_steps(claim, "nesterov 0.9", "nesterov", mild, momentum=0.9)
    hb10, _ = arm_steps(claim, "momentum 0.9", "momentum", mild, momentum=0.9)
    claim.note(steps_kappa10={"nesterov": nag10.tolist(), "momentum": hb10.tolist()})
    no_more = claim.decide([bool(a <= b) for a, b in zip([*nag, *nag10], [*hb, *hb10], strict=True)], kind="exact",
                           label="Nesterov needs no more steps than momentum on every seed (kappa 100 and 10)")
    assert (fewer.verdict, no_more.verdict) == (CONFIRMED, CONFIRMED), claim.decisions


@pytest.mark.claim("momentum-near-one-oscillates")
def test_momentum_near_one_oscillates(claim):
    """With momentum close to 1 the optimizer overshoots, comes back and oscillates many times before stabilizing at
    the minimum: momentum 0.99999 crosses the minimum far more often and needs far more steps than 0.9 (which is
    a good default)."""
    near_one, tr_near = arm_steps(claim, "momentum 0.99999", "momentum", momentum=0.99999)
    default, tr_default = arm_steps(claim, "momentum 0.9", "momentum", momentum=0.9)
    slower = claim.decide(near_one.tolist(), default.tolist(), label="steps to tolerance (+inf if never)")
    # Zero crossings of the long (flat) axis until the run settles (the whole budget if it never does).
    crossings = {arm: sign_changes(tr, axis=0, until=steps).tolist()
                 for arm, tr, steps in (("near one", tr_near, near_one), ("default", tr_default, default))}
    more = claim.decide(crossings["near one"], crossings["default"], kind="directional", direction="greater",
                        delta=1.0, arms=("momentum 0.99999", "momentum 0.9"),
                        label="zero crossings of the long axis before settling")
    assert (slower.verdict, more.verdict) == (CONFIRMED, CONFIRMED), claim.decisions
