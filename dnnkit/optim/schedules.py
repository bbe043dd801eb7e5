"""The chapter's learning-rate schedules, each a factory returning `schedule(optimizer, steps_per_epoch)`.

Plug one into `FitConfig(schedule=..., schedule_per_step=...)`. t is the scheduler's step count: epochs when the
fit steps the schedule once per epoch (the default), batches with `schedule_per_step=True`; s is in the same
unit. η0 is the optimizer's learning rate (FitConfig.lr). All are torch schedulers (LambdaLR or torch's own
classes), so their state goes into checkpoints and a resumed run continues at the right step.
`make_schedule(name, **params)` builds one by name; an unknown name or an out-of-range value raises ValueError
naming the value and what is allowed.

- power(s, c):               η(t) = η0 / (1 + t/s)^c
- exponential(s):            η(t) = η0 · 0.1^(t/s)   (torch's ExponentialLR takes a per-step γ = 0.1^(1/s))
- piecewise_constant(b, v):  η(t) = v[i] for b[i-1] <= t < b[i] (v has one more entry than b); absolute rates
- performance(factor, patience): ReduceLROnPlateau on the validation loss, once per epoch (fit passes val_loss;
  keep schedule_per_step=False)
- one_cycle(max_lr, ...):    the chapter's 1cycle (Géron's OneCycleScheduler): linear from max_lr/10 up to max_lr
  at the middle of the first (1 - last_fraction) of training, linear back down to max_lr/10, then linear down to
  max_lr/10/1000 over the last ~10% of the steps. Exact, via LambdaLR.
- torch_one_cycle(max_lr, ...): torch's OneCycleLR set up to match (anneal_strategy="linear", three_phase=True,
  pct_start = half of the pre-tail part, cycle_momentum=False). Differences from one_cycle, measured in
  tests/test_optim_schedules.py: torch's phase ends sit one step earlier (it counts phases on steps 0..total-1 and
  ends phase 1 at step pct·total - 1, phase 2 at 2·pct·total - 2), so it peaks one step sooner, its ramps are
  slightly steeper and its tail one step longer: rates differ by at most two steps' increments of the chapter's
  ramp; torch reaches the final rate at the last step (one_cycle reaches it at `total`, one step after the last
  one, so its last used rate is about start/tail_length); and torch raises if stepped more than total_steps times. Torch's defaults differ more: cosine annealing, peak at 30%, two phases,
  final rate initial/1e4, and momentum (or Adam's beta1) cycled between 0.85 and 0.95 — not the chapter's.

`rates_used(schedule, steps, lr=...)` replays a schedule without training: the rate each of `steps` optimizer steps
uses (performance scheduling reads one validation loss per step from `metrics`). ReduceLROnPlateau counts like
torch, not Keras: with patience p it cuts at the (p+1)-th evaluation in a row without improvement (torch's "ignore
the first p"; Keras's ReduceLROnPlateau cuts at the p-th), and an improvement is a loss below best x (1 - 1e-4)
(torch's default relative threshold).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import torch
from torch.optim import lr_scheduler

Schedule = Callable[[torch.optim.Optimizer, int], object]


def _is_number(value: object) -> bool:
    """A finite real number and not a bool (True would pass as 1)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _positive(name: str, value: float, what: str = "a finite number > 0") -> None:
    if not (_is_number(value) and value > 0):
        raise ValueError(f"schedule: {name}={value!r} is out of range; allowed: {what}")


def _count(name: str, value: int, low: int, what: str) -> None:
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= low):
        raise ValueError(f"schedule: {name}={value!r} is out of range; allowed: {what}")


def power(s: float, c: float = 1.0) -> Schedule:
    """η0 / (1 + t/s)^c (the chapter's power scheduling; c = 1 is Keras's InverseTimeDecay)."""
    _positive("s", s)
    _positive("c", c)
    return lambda optimizer, steps_per_epoch: lr_scheduler.LambdaLR(optimizer, lambda t: (1 + t / s) ** -c)


def exponential(s: float) -> Schedule:
    """η0 · 0.1^(t/s): the rate drops 10x every s steps (ExponentialLR with per-step γ = 0.1^(1/s))."""
    _positive("s", s)
    return lambda optimizer, steps_per_epoch: lr_scheduler.LambdaLR(optimizer, lambda t: 0.1 ** (t / s))


def piecewise_constant(boundaries: Sequence[int], values: Sequence[float]) -> Schedule:
    """values[0] before boundaries[0], values[i] from boundaries[i-1] on (absolute rates, like Keras's
    PiecewiseConstantDecay); η0 is replaced by values[0] at t = 0."""
    boundaries, values = list(boundaries), [float(v) for v in values]
    if len(values) != len(boundaries) + 1:
        raise ValueError(f"piecewise_constant: {len(values)} values for {len(boundaries)} boundaries; "
                         "allowed: exactly one more value than boundaries")
    if any(not isinstance(b, int) or b <= 0 for b in boundaries) or boundaries != sorted(set(boundaries)):
        raise ValueError(f"piecewise_constant: boundaries={boundaries!r}; allowed: strictly increasing integers > 0")
    for v in values:
        _positive("value", v, "finite learning rates > 0")

    def factory(optimizer, steps_per_epoch):
        base = [group["lr"] for group in optimizer.param_groups]

        def rate(i):
            return lambda t: values[sum(t >= b for b in boundaries)] / base[i]

        return lr_scheduler.LambdaLR(optimizer, [rate(i) for i in range(len(base))])

    return factory


def performance(factor: float = 0.5, patience: int = 5, min_lr: float = 0.0) -> Schedule:
    """Multiply the rate by `factor` when the validation loss has not improved for `patience` epochs."""
    if not (_is_number(factor) and 0 < factor < 1):
        raise ValueError(f"performance: factor={factor!r}; allowed: 0 < factor < 1")
    if not (isinstance(patience, int) and not isinstance(patience, bool) and patience >= 0):
        raise ValueError(f"performance: patience={patience!r}; allowed: an integer >= 0")
    if not (_is_number(min_lr) and min_lr >= 0):
        raise ValueError(f"performance: min_lr={min_lr!r}; allowed: a finite number >= 0")
    return lambda optimizer, steps_per_epoch: lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=factor, patience=patience, min_lr=min_lr)


def one_cycle_rate(t: int, total: int, max_lr: float, start_lr: float | None = None, last_steps: int | None = None,
                   last_lr: float | None = None) -> float:
    """The chapter's 1cycle rate at step t of `total` (Géron's OneCycleScheduler, verbatim arithmetic)."""
    start_lr = max_lr / 10 if start_lr is None else start_lr
    last_steps = total // 10 + 1 if last_steps is None else last_steps
    last_lr = start_lr / 1000 if last_lr is None else last_lr
    half = (total - last_steps) // 2

    def lerp(t0, t1, r0, r1):
        return (r1 - r0) * (t - t0) / (t1 - t0) + r0

    if t < half:
        return lerp(0, half, start_lr, max_lr)
    if t < 2 * half:
        return lerp(half, 2 * half, max_lr, start_lr)
    return max(lerp(2 * half, total, start_lr, last_lr), last_lr)


def _total(epochs: int, steps_per_epoch: int, per_step: bool, last_steps: int | None = None) -> int:
    total = epochs * (steps_per_epoch if per_step else 1)
    if total < 4:
        raise ValueError(f"one_cycle: {total} scheduler steps are too few for a cycle; allowed: >= 4")
    if last_steps is not None and last_steps > total - 2:
        raise ValueError(f"one_cycle: last_steps={last_steps} leaves no room for the cycle in {total} steps; "
                         f"allowed: 1 <= last_steps <= {total - 2}")
    return total


def _check_cycle(max_lr: float, epochs: int, **optional: float | None) -> None:
    _positive("max_lr", max_lr)
    if not (isinstance(epochs, int) and not isinstance(epochs, bool) and epochs > 0):
        raise ValueError(f"one_cycle: epochs={epochs!r}; allowed: an integer > 0")
    for name, value in optional.items():
        if value is not None:
            _positive(name, value)


def one_cycle(max_lr: float, epochs: int, *, per_step: bool = True, start_lr: float | None = None,
              last_steps: int | None = None, last_lr: float | None = None) -> Schedule:
    """The chapter's 1cycle over `epochs` (per batch by default: set FitConfig.schedule_per_step to match).

    Overrides the optimizer's rate (η0 is not used). Defaults: start max_lr/10, tail of total//10 + 1 steps,
    final rate start/1000.
    """
    _check_cycle(max_lr, epochs, start_lr=start_lr, last_lr=last_lr)
    if last_steps is not None:
        _count("last_steps", last_steps, 1, "an integer >= 1")

    def factory(optimizer, steps_per_epoch):
        total = _total(epochs, steps_per_epoch, per_step, last_steps)
        base = [group["lr"] for group in optimizer.param_groups]

        def rate(i):
            return lambda t: one_cycle_rate(t, total, max_lr, start_lr, last_steps, last_lr) / base[i]

        return lr_scheduler.LambdaLR(optimizer, [rate(i) for i in range(len(base))])

    return factory


def torch_one_cycle(max_lr: float, epochs: int, *, per_step: bool = True, div_factor: float = 10.0,
                    final_div_factor: float = 1000.0, last_fraction: float | None = None) -> Schedule:
    """torch's OneCycleLR configured as close to the chapter's 1cycle as it goes (see the module docstring)."""
    _check_cycle(max_lr, epochs, div_factor=div_factor, final_div_factor=final_div_factor)
    if last_fraction is not None and not (_is_number(last_fraction) and 0 < last_fraction < 1):
        raise ValueError(f"schedule: last_fraction={last_fraction!r} is out of range; allowed: 0 < last_fraction < 1")

    def factory(optimizer, steps_per_epoch):
        total = _total(epochs, steps_per_epoch, per_step)
        tail = total // 10 + 1 if last_fraction is None else round(last_fraction * total)
        pct = ((total - tail) // 2) / total
        return lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=total, pct_start=pct,
                                       anneal_strategy="linear", three_phase=True, div_factor=div_factor,
                                       final_div_factor=final_div_factor, cycle_momentum=False)

    return factory


def rates_used(schedule: Schedule | Callable[[torch.optim.Optimizer, int], object], steps: int, *, lr: float,
               steps_per_epoch: int = 1, metrics: Sequence[float] | None = None,
               torch_scheduler: Callable[[torch.optim.Optimizer], object] | None = None) -> list[float]:
    """The learning rate each of `steps` optimizer steps uses under `schedule` (a factory of this module), replayed
    on a one-parameter SGD optimizer with rate `lr` (η0), stepping the scheduler after each optimizer step as fit
    does. `metrics` (one value per step) feeds a ReduceLROnPlateau; `torch_scheduler(optimizer)` replays a torch
    scheduler built directly instead of `schedule` (pass schedule=None). Rates are Python floats (float64)."""
    _count("steps", steps, 1, "an integer >= 1")
    _positive("lr", lr)
    if metrics is not None and len(metrics) < steps:
        raise ValueError(f"rates_used: {len(metrics)} metrics for {steps} steps; allowed: one metric per step")
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=lr)
    scheduler = torch_scheduler(optimizer) if torch_scheduler is not None else schedule(optimizer, steps_per_epoch)
    plateau = isinstance(scheduler, lr_scheduler.ReduceLROnPlateau)
    if plateau and metrics is None:
        raise ValueError("rates_used: a performance (ReduceLROnPlateau) schedule needs metrics, one per step")
    out = []
    for t in range(steps):
        out.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()  # no gradient: nothing moves; keeps torch's "step the optimizer first" order
        scheduler.step(metrics[t]) if plateau else scheduler.step()
    return out


SCHEDULES: dict[str, Callable[..., Schedule]] = {
    "power": power, "exponential": exponential, "piecewise_constant": piecewise_constant, "performance": performance,
    "one_cycle": one_cycle, "torch_one_cycle": torch_one_cycle,
}


def make_schedule(name: str, **params) -> Schedule:
    """A schedule factory by name ('power', 'exponential', 'piecewise_constant', 'performance', 'one_cycle',
    'torch_one_cycle') with its parameters, validated."""
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; allowed: {', '.join(sorted(SCHEDULES))}")
    try:
        return SCHEDULES[name](**params)
    except TypeError as err:
        raise ValueError(f"schedule {name!r} got bad parameters {params}: {err}") from None
