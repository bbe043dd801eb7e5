"""An ill-conditioned quadratic bowl for optimizer claims: f(x) = 1/2 sum_i lambda_i x_i^2.

The curvatures are log-spaced from 1 (the long, flat "main" axis, index 0) to kappa (the steep axis, last index),
so kappa is the condition number. The gradient is lambda * x, set directly on the parameter (no autograd), and
the step is taken by dnnkit's own optimizers (`make_optimizer`, torch's classes underneath), so the claims test
the optimizers the toolkit ships. Everything runs in float64.

x0 may be one point of shape (dim,) or a batch of starting points of shape (n, dim): the optimizers of interest
(SGD, momentum, Nesterov, RMSProp, Adam...) are elementwise, so a batch is n independent runs in one (exact).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .optimizers import make_optimizer


@dataclass(frozen=True)
class Bowl:
    """f(x) = 1/2 sum lambda_i x_i^2 with curvatures log-spaced in [1, kappa]; axis 0 is the flat main axis."""

    kappa: float = 100.0
    dim: int = 2

    def __post_init__(self) -> None:
        if not (math.isfinite(self.kappa) and self.kappa >= 1):
            raise ValueError(f"Bowl: kappa={self.kappa!r}; the condition number must be a finite number >= 1")
        if not (isinstance(self.dim, int) and self.dim >= 1):
            raise ValueError(f"Bowl: dim={self.dim!r}; it must be an integer >= 1")

    @property
    def curvatures(self) -> torch.Tensor:
        if self.dim == 1:
            return torch.ones(1, dtype=torch.float64)
        return torch.logspace(0.0, math.log10(self.kappa), self.dim, dtype=torch.float64)

    def value(self, x: torch.Tensor) -> torch.Tensor:
        """f at x (shape (..., dim)) -> shape (...)."""
        return 0.5 * (self.curvatures * x.to(torch.float64) ** 2).sum(-1)

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return self.curvatures * x

    def random_start(self, generator: torch.Generator, n: int | None = None, radius: float = 1.0) -> torch.Tensor:
        """Starting points uniform on the sphere of `radius` (shape (dim,) or (n, dim))."""
        shape = (self.dim,) if n is None else (n, self.dim)
        x = torch.randn(shape, generator=generator, dtype=torch.float64)
        return radius * x / x.norm(dim=-1, keepdim=True)

    # Theory (Polyak 1964; e.g. Goh, "Why momentum really works", 2017) — shown beside grid choices.
    def optimal_gd_lr(self) -> float:
        """The rate minimizing plain GD's worst-axis contraction: 2 / (lambda_min + lambda_max)."""
        return 2.0 / (1.0 + self.kappa)

    def optimal_heavy_ball(self) -> tuple[float, float]:
        """(lr, momentum) minimizing heavy-ball momentum's contraction: 4/(1+sqrt k)^2, ((sqrt k - 1)/(sqrt k + 1))^2."""
        r = math.sqrt(self.kappa)
        return 4.0 / (1.0 + r) ** 2, ((r - 1.0) / (r + 1.0)) ** 2


def run_optimizer(name: str, lr: float, steps: int, x0: torch.Tensor, *, bowl: Bowl | None = None,
                  **hyper) -> torch.Tensor:
    """The trajectory of optimizer `name` on the bowl: tensor of shape (steps + 1, *x0.shape), row 0 = x0.

    A step whose iterate is not finite (divergence) leaves NaN/inf in the trajectory; it never raises.
    """
    if not (isinstance(steps, int) and steps >= 0):
        raise ValueError(f"run_optimizer: steps={steps!r}; it must be an integer >= 0")
    bowl = bowl or Bowl()
    x0 = torch.as_tensor(x0, dtype=torch.float64)
    if x0.shape[-1] != bowl.dim or x0.dim() not in (1, 2):
        raise ValueError(f"run_optimizer: x0 has shape {tuple(x0.shape)}; expected ({bowl.dim},) or (n, {bowl.dim})")
    x = torch.nn.Parameter(x0.clone())
    opt = make_optimizer(name, [x], lr, **hyper)
    lam = bowl.curvatures
    out = torch.empty((steps + 1, *x0.shape), dtype=torch.float64)
    out[0] = x0
    with torch.no_grad():
        for t in range(1, steps + 1):
            x.grad = lam * x
            opt.step()
            out[t] = x
    return out


def losses(trajectory: torch.Tensor, bowl: Bowl | None = None) -> torch.Tensor:
    """f along a trajectory: shape (steps + 1,) or (steps + 1, n)."""
    return (bowl or Bowl()).value(trajectory)


def steps_to_tolerance(trajectory: torch.Tensor, tol: float = 1e-6, bowl: Bowl | None = None) -> np.ndarray | float:
    """Steps until f(x_t) <= tol * f(x_0) holds for good: the first t after which f stays under the tolerance
    for the rest of the trajectory; +inf if it does not end there (never reached, diverged, or still oscillating).

    "Stays" matters for underdamped runs: an oscillating iterate can pass close to the minimum and leave again
    (momentum 0.99999 on a 2-D bowl dips under 1e-6 * f(x0) after ~200 steps and climbs back out).
    Returns a float for one trajectory, an array of n floats for a batched one.
    """
    if not (0 < tol < 1):
        raise ValueError(f"steps_to_tolerance: tol={tol!r}; allowed: 0 < tol < 1 (relative to f(x0))")
    f = losses(trajectory, bowl).numpy()
    single = f.ndim == 1
    f = f.reshape(len(f), -1)
    with np.errstate(invalid="ignore"):
        bad = ~(f <= tol * f[0])  # NaN counts as not converged
    last_bad = len(f) - 1 - bad[::-1].argmax(0)  # index of the last step above tolerance
    first = np.where(bad[-1], np.inf, np.where(bad.any(0), last_bad + 1, 0).astype(float))
    return float(first[0]) if single else first


def sign_changes(trajectory: torch.Tensor, axis: int = 0, until: float | np.ndarray | None = None,
                 atol: float = 1e-12) -> np.ndarray | int:
    """How often x[axis] crosses zero along the trajectory (overshoots of the minimum on that axis).

    Entries with |x| <= atol * |x0| are treated as "at the minimum" and skipped (no spurious crossings in float
    noise); `until` (e.g. steps_to_tolerance) counts only crossings up to that step (inf = the whole run).
    """
    x = trajectory[..., axis].numpy()
    single = x.ndim == 1
    x = x.reshape(len(x), -1)
    scale = np.abs(x[0])
    limits = np.broadcast_to(np.asarray(np.inf if until is None else until, dtype=float), scale.shape)
    counts = []
    for j in range(x.shape[1]):
        stop = len(x) if not np.isfinite(limits[j]) else int(limits[j]) + 1
        col = x[:stop, j]
        col = col[np.isfinite(col) & (np.abs(col) > atol * scale[j])]
        counts.append(int(np.count_nonzero(np.signbit(col[1:]) != np.signbit(col[:-1]))))
    return counts[0] if single else np.array(counts)


def best_rate(name: str, grid, x0: torch.Tensor, *, steps: int, tol: float = 1e-6, bowl: Bowl | None = None,
              **hyper) -> tuple[float, list[dict]]:
    """An optimizer's own rate from a declared grid, chosen on pilot starting points (never the evidence ones).

    Best = fewest median steps to tolerance, then the lowest median final f (so a grid on which nothing converges
    still picks its least bad rate). Returns (rate, one row per grid rate).
    """
    table = []
    for lr in grid:
        tr = run_optimizer(name, lr, steps, x0, bowl=bowl, **hyper)
        final = losses(tr[-1:], bowl).numpy().ravel()
        table.append({"lr": float(lr), "median_steps": float(np.median(steps_to_tolerance(tr, tol, bowl))),
                      "median_final_f": float(np.median(np.nan_to_num(final, nan=np.inf)))})
    best = min(table, key=lambda row: (row["median_steps"], row["median_final_f"]))
    return best["lr"], table
