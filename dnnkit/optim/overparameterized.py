"""Wilson et al. (2017)'s over-parameterized least-squares problem: a data set on which adaptive methods generalize
worse than SGD by construction ("The Marginal Value of Adaptive Gradient Methods in Machine Learning", sec. 3.3).

Each example i has label y_i = +1 (probability p) or -1, and features: x_i1 = y_i, x_i2 = x_i3 = 1, then a block of
5 features of its own, of which the first 1 (y = +1) or 5 (y = -1) are 1. With more features than examples every
optimizer can fit the training set exactly; from zero weights, gradient descent (with or without momentum) stays in
the span of the examples and puts its weight on x_1, which generalizes, while AdaGrad, RMSProp and Adam move every
feature at about the same speed and end with equal weights on x_1, x_2 and x_3, so every new point is called +1.
A new point's own features were never seen (their weights stay 0), so only its first three features matter.

Runs are batched over seeds: problems of one size stack into [K, n, d], the loss is a sum of per-seed means and the
optimizers of interest are elementwise, so one stacked run is K independent runs (float64 throughout; equal to each
problem's own run up to the rounding of the batched matrix product).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .optimizers import make_optimizer

SHARED = 3  # x_1 = y, x_2 = x_3 = 1: the features every example has
BLOCK = 5  # features of each example's own


def wilson_problem(n: int, p: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n training examples: X of shape [n, 3 + 5 n] and labels y in {-1, +1} (float64)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n={n!r}: the number of examples must be an int >= 1")
    if not 0.5 < p < 1:
        raise ValueError(f"p={p!r}: the share of +1 labels must be in (0.5, 1), as in Wilson et al.")
    y = torch.where(torch.rand(n, generator=generator, dtype=torch.float64) < p, 1.0, -1.0).to(torch.float64)
    X = torch.zeros(n, SHARED + BLOCK * n, dtype=torch.float64)
    X[:, 0], X[:, 1], X[:, 2] = y, 1.0, 1.0
    for i in range(n):
        start = SHARED + BLOCK * i
        X[i, start:start + (1 if y[i] > 0 else BLOCK)] = 1.0
    return X, y


def new_points(n: int, p: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n unseen points of the same distribution: their first three features (the rest meet zero weights)."""
    X, y = wilson_problem(n, p, generator)
    return X[:, :SHARED].clone(), y


def fit_least_squares(X: torch.Tensor, y: torch.Tensor, optimizer: str, lr: float, steps: int,
                      **hyper) -> tuple[torch.Tensor, torch.Tensor]:
    """Full-batch training of w (zeros) on 1/2 mean (X w - y)^2 with dnnkit's optimizer `optimizer`; X may be
    [K, n, d] (K independent problems). Returns the weights and each problem's final training loss."""
    if steps < 1:
        raise ValueError(f"steps={steps!r}: must be >= 1")
    w = torch.zeros(*X.shape[:-2], X.shape[-1], dtype=X.dtype, requires_grad=True)
    opt = make_optimizer(optimizer, [w], lr, **hyper)
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        per_problem = 0.5 * ((X @ w.unsqueeze(-1)).squeeze(-1) - y).pow(2).mean(-1)
        per_problem.sum().backward()
        opt.step()
    with torch.no_grad():
        loss = 0.5 * ((X @ w.unsqueeze(-1)).squeeze(-1) - y).pow(2).mean(-1)
    return w.detach(), loss


def lowest_loss_rate(X: torch.Tensor, y: torch.Tensor, optimizer: str, grid: Sequence[float], steps: int) -> float:
    """The rate of `grid` whose run ends with the lowest median training loss over the stacked problems (pilots); a
    diverged run (NaN or inf median) ranks last, as +inf."""
    if not grid:
        raise ValueError("lowest_loss_rate needs a non-empty rate grid")

    def median_loss(lr: float) -> float:
        median = fit_least_squares(X, y, optimizer, lr, steps)[1].median().item()
        return median if math.isfinite(median) else math.inf  # min() would keep a NaN that comes first

    return min(grid, key=median_loss)


def sign_accuracy(X: torch.Tensor, w: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Share of points whose sign(x . w) is their label (a zero score counts as wrong), per problem."""
    scores = (X @ w[..., : X.shape[-1]].unsqueeze(-1)).squeeze(-1)
    return (torch.sign(scores) == y).to(torch.float64).mean(-1)
