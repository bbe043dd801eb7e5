"""Mini-batch gradient descent on softmax (multinomial logistic) regression, one member per seed trained together:
batch-size and learning-rate sweeps at the granularity of single steps, which the epoch-level fit loop cannot give
(a batch of 1 takes a whole training set's worth of steps per epoch).

Members are [K, d, C] weights updated with hand-written gradients (the model is linear, so no autograd is needed:
the gradient of the mean cross-entropy with respect to the logits is (softmax - onehot) / batch, see
dnnkit.nn.softmax_ce), each with its own init (N(0, init_std^2) from its seed's init stream) and its own data order
(a fresh permutation per epoch from its data stream; the last batch of an epoch is the remainder). Momentum follows
torch.optim.SGD (v = beta v + g; w -= lr v). The objective is the mean cross-entropy on the whole training set plus
l2/2 ||W||^2 (weights only), recorded every `record_every` steps and after the last; recording is not training.

`step_function` gives one training step of a single model at a batch size, for interleaved timing (claim.time):
seconds to a target = steps to the target x seconds per step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..nn.fields import is_int, is_number
from ..seeds import RunSeeds


@dataclass(frozen=True)
class SweepConfig:
    """One arm of a sweep: batch size (None: the whole training set), rate, steps, momentum, L2, recording."""

    batch_size: int | None
    lr: float
    steps: int
    momentum: float = 0.0
    l2: float = 0.0
    record_every: int = 1
    init_std: float = 0.01

    def __post_init__(self) -> None:
        if self.batch_size is not None and not (is_int(self.batch_size) and self.batch_size >= 1):
            raise ValueError(f"SweepConfig.batch_size={self.batch_size!r}; it must be None (full batch) or an int >= 1")
        if not (is_number(self.lr) and self.lr > 0):
            raise ValueError(f"SweepConfig.lr={self.lr!r}; it must be a finite number > 0")
        if not (is_int(self.steps) and self.steps >= 1 and is_int(self.record_every) and self.record_every >= 1):
            raise ValueError(f"SweepConfig steps={self.steps!r}, record_every={self.record_every!r}; both ints >= 1")
        if not (is_number(self.momentum) and 0 <= self.momentum < 1 and is_number(self.l2) and self.l2 >= 0
                and is_number(self.init_std) and self.init_std >= 0):
            raise ValueError(f"SweepConfig momentum={self.momentum!r} (allowed [0, 1)), l2={self.l2!r} and "
                             f"init_std={self.init_std!r} (allowed finite numbers >= 0)")


@dataclass
class SweepRun:
    """The members' objective on the training set at the recorded steps ([K, records]) and the final weights."""

    steps: np.ndarray  # the step after which each record was taken (0 = at init)
    loss: np.ndarray  # [K, records]; a diverged member reads +inf from then on
    weights: torch.Tensor  # [K, d, C]
    bias: torch.Tensor  # [K, C]

    def steps_to(self, target: float) -> list[float]:
        """Per member, the first recorded step whose objective is <= target (+inf if none)."""
        hit = self.loss <= target
        return [float(self.steps[np.argmax(h)]) if h.any() else math.inf for h in hit]

    def window(self, fraction: float) -> np.ndarray:
        """The records of the last `fraction` of the steps ([K, n]); ValueError unless fraction is in (0, 1] and the
        window holds at least 2 records (what detrended_std fits a line to)."""
        if not (is_number(fraction) and 0 < fraction <= 1):
            raise ValueError(f"SweepRun.window fraction={fraction!r}; it must be a number in (0, 1]")
        window = self.loss[:, self.steps > self.steps[-1] * (1 - fraction)]
        if window.shape[1] < 2:
            raise ValueError(f"SweepRun.window({fraction!r}) holds {window.shape[1]} record(s) of steps "
                             f"{self.steps.tolist()}; it needs at least 2 (a larger fraction or a smaller record_every)")
        return window


def _shared_logits(X: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Every member's logits on the same inputs as one matrix product ([K, n, C]); much faster than K small ones."""
    K, d, C = W.shape
    return (X @ W.permute(1, 0, 2).reshape(d, K * C)).reshape(-1, K, C).transpose(0, 1) + b[:, None, :]


def objective(X: torch.Tensor, y: torch.Tensor, W: torch.Tensor, b: torch.Tensor, l2: float) -> torch.Tensor:
    """Per member, mean cross-entropy over (X, y) plus l2/2 ||W||^2 ([K])."""
    logits = _shared_logits(X, W, b)  # [K, n, C]
    ce = torch.logsumexp(logits, dim=2) - logits.gather(2, y.expand(W.shape[0], -1)[..., None]).squeeze(2)
    return ce.mean(dim=1) + 0.5 * l2 * W.pow(2).sum(dim=(1, 2))


def _gradients(Xb: torch.Tensor, yb: torch.Tensor, W: torch.Tensor, b: torch.Tensor, l2: float
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradients of the mean cross-entropy (+ L2) per member; Xb [K, b, d] each member's batch, or [n, d] one batch
    shared by every member (full batch: one matrix product for all)."""
    shared = Xb.dim() == 2
    logits = _shared_logits(Xb, W, b) if shared else torch.bmm(Xb, W) + b[:, None, :]
    dz = torch.softmax(logits, dim=2)
    dz.scatter_add_(2, yb[..., None], torch.full(yb[..., None].shape, -1, dtype=dz.dtype))
    dz /= Xb.shape[-2]
    if shared:
        K, n, C = dz.shape
        gW = (Xb.T @ dz.transpose(0, 1).reshape(n, K * C)).reshape(-1, K, C).transpose(0, 1)
    else:
        gW = torch.bmm(Xb.transpose(1, 2), dz)
    return gW + l2 * W, dz.sum(dim=1)


def _update(Xb: torch.Tensor, yb: torch.Tensor, W: torch.Tensor, b: torch.Tensor, vW: torch.Tensor, vb: torch.Tensor,
            config: SweepConfig) -> None:
    """One (momentum) gradient step on a batch, in place: the step train_members and step_function share."""
    gW, gb = _gradients(Xb, yb, W, b, config.l2)
    if config.momentum:
        vW.mul_(config.momentum).add_(gW)
        vb.mul_(config.momentum).add_(gb)
        gW, gb = vW, vb
    W.sub_(config.lr * gW)
    b.sub_(config.lr * gb)


def train_members(X: torch.Tensor, y: torch.Tensor, n_classes: int, config: SweepConfig,
                  seeds: Sequence[RunSeeds]) -> SweepRun:
    """Train one softmax regression per seed with `config`; the objective recorded as the class docstring says."""
    if not seeds:
        raise ValueError("train_members needs at least one seed (one member per seed); got none")
    n, d = X.shape
    K = len(seeds)
    bs = n if config.batch_size is None else min(config.batch_size, n)
    W = torch.stack([torch.randn(d, n_classes, generator=s.generator("init"), dtype=X.dtype) * config.init_std
                     for s in seeds])
    b = torch.zeros(K, n_classes, dtype=X.dtype)
    vW, vb = torch.zeros_like(W), torch.zeros_like(b)
    gens = [s.generator("data") for s in seeds]
    per_epoch = math.ceil(n / bs)
    full = bs == n
    order = None
    records, losses = [0], [objective(X, y, W, b, config.l2)]
    for t in range(config.steps):
        if full:
            Xb, yb = X, y.expand(K, -1)
        else:
            if t % per_epoch == 0:
                order = torch.stack([torch.randperm(n, generator=g) for g in gens])
            idx = order[:, (t % per_epoch) * bs:(t % per_epoch + 1) * bs]
            Xb, yb = X[idx], y[idx]
        _update(Xb, yb, W, b, vW, vb, config)
        if (t + 1) % config.record_every == 0 or t + 1 == config.steps:
            records.append(t + 1)
            losses.append(objective(X, y, W, b, config.l2))
    loss = torch.stack(losses, dim=1).numpy().astype(float)
    loss[np.maximum.accumulate(~np.isfinite(loss), axis=1)] = np.inf  # diverged: +inf from then on
    return SweepRun(np.asarray(records), loss, W, b)


def select_rate(X: torch.Tensor, y: torch.Tensor, n_classes: int, config: SweepConfig, grid: Sequence[float],
                pilot_seeds: Sequence[RunSeeds], target: float) -> tuple[float, list[dict]]:
    """The rate of `grid` with the fewest median steps to `target` on the pilot seeds, then the lowest median final
    objective; with the pilot table."""
    from dataclasses import replace

    table = []
    for lr in grid:
        run = train_members(X, y, n_classes, replace(config, lr=lr), pilot_seeds)
        table.append({"lr": lr, "median_steps_to_target": float(np.median(run.steps_to(target))),
                      "median_final_loss": float(np.median(run.loss[:, -1]))})
    best = min(table, key=lambda r: (r["median_steps_to_target"], r["median_final_loss"]))
    return best["lr"], table


def step_function(X: torch.Tensor, y: torch.Tensor, n_classes: int, config: SweepConfig,
                  generator: torch.Generator) -> Callable[[], tuple[torch.Tensor, torch.Tensor]]:
    """One training step of a single model (train_members' step with K = 1), cycling through a fixed permutation;
    each call returns the weights and bias it updated ([1, d, C], [1, C]), so a test can check the step."""
    n, d = X.shape
    bs = n if config.batch_size is None else min(config.batch_size, n)
    W = torch.randn(1, d, n_classes, generator=generator, dtype=X.dtype) * config.init_std
    b = torch.zeros(1, n_classes, dtype=X.dtype)
    vW, vb = torch.zeros_like(W), torch.zeros_like(b)
    order = torch.randperm(n, generator=generator)[None]
    per_epoch = math.ceil(n / bs)
    state = {"t": 0}

    def step() -> tuple[torch.Tensor, torch.Tensor]:
        t = state["t"] % per_epoch
        state["t"] += 1
        if bs == n:
            Xb, yb = X, y[None]
        else:
            idx = order[:, t * bs:(t + 1) * bs]
            Xb, yb = X[idx], y[idx]
        _update(Xb, yb, W, b, vW, vb, config)
        return W, b

    return step


def detrended_std(values: np.ndarray) -> np.ndarray:
    """Per row, the standard deviation of the residuals from a least-squares line (a curve that only keeps sloping
    down gives ~0; one that wanders gives its wander). +inf for a row with a non-finite value."""
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape[0], np.inf)
    x = np.arange(values.shape[1], dtype=float)
    for i, row in enumerate(values):
        if np.isfinite(row).all():
            slope, intercept = np.polyfit(x, row, 1)
            out[i] = float(np.std(row - (slope * x + intercept)))
    return out


@dataclass
class TunedSweep:
    """Arms of a sweep, each at its own rate: the chosen rates, the pilot tables and the evidence runs."""

    lr: dict[str, float]
    tables: dict[str, list[dict]]
    configs: dict[str, SweepConfig]
    runs: dict[str, SweepRun]


def tuned_sweep(X: torch.Tensor, y: torch.Tensor, n_classes: int, arms: dict[str, SweepConfig],
                grids: dict[str, Sequence[float]], pilot_seeds: Sequence[RunSeeds], seeds: Sequence[RunSeeds],
                target: float) -> TunedSweep:
    """Each arm's rate from its grid on the pilot seeds (select_rate), then the arm at that rate on `seeds`."""
    from dataclasses import replace

    lr, tables, configs, runs = {}, {}, {}, {}
    for arm, config in arms.items():
        lr[arm], tables[arm] = select_rate(X, y, n_classes, config, grids[arm], pilot_seeds, target)
        configs[arm] = replace(config, lr=lr[arm])
        runs[arm] = train_members(X, y, n_classes, configs[arm], seeds)
    return TunedSweep(lr, tables, configs, runs)
