"""FTRL-proximal (McMahan et al., "Ad Click Prediction: a View from the Trenches", KDD 2013) as Keras's `Ftrl`.

Per coordinate, with gradient g, accumulator n (starts at initial_accumulator_value), p = learning_rate_power:

    n_new  = n + g^2
    sigma  = (n_new^(-p) - n^(-p)) / lr
    z     += g - sigma * w
    w      = (sign(z) * l1 - z) / (n_new^(-p) / lr + 2 * l2)   if |z| > l1   else 0
    n      = n_new

(the TensorFlow/Keras kernel; p = -0.5 gives the paper's per-coordinate rate lr / sqrt(n)). Strong l1 sets
weights to exact zeros: the point of FTRL for sparse models. Keras's beta and l2_shrinkage options are not
implemented (beta = 0, no shrinkage). Only dense gradients are supported.
"""

from __future__ import annotations

import math

import torch


def _check(name: str, value: float, ok: bool, allowed: str) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and ok):
        raise ValueError(f"Ftrl: {name}={value!r} is out of range; allowed: {allowed}")


class Ftrl(torch.optim.Optimizer):
    """FTRL-proximal with Keras's hyperparameters and defaults (learning_rate 0.001, power -0.5, accumulator 0.1)."""

    def __init__(self, params, lr: float = 0.001, learning_rate_power: float = -0.5,
                 initial_accumulator_value: float = 0.1, l1: float = 0.0, l2: float = 0.0) -> None:
        _check("lr", lr, isinstance(lr, (int, float)) and lr > 0, "a finite number > 0")
        _check("learning_rate_power", learning_rate_power, learning_rate_power <= 0, "a finite number <= 0")
        _check("initial_accumulator_value", initial_accumulator_value, initial_accumulator_value >= 0,
               "a finite number >= 0")
        _check("l1", l1, l1 >= 0, "a finite number >= 0")
        _check("l2", l2, l2 >= 0, "a finite number >= 0")
        defaults = {"lr": lr, "learning_rate_power": learning_rate_power,
                    "initial_accumulator_value": initial_accumulator_value, "l1": l1, "l2": l2}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, p, l1, l2 = group["lr"], group["learning_rate_power"], group["l1"], group["l2"]
            for w in group["params"]:
                if w.grad is None:
                    continue
                if w.grad.is_sparse:
                    raise ValueError("Ftrl: sparse gradients are not supported; use dense parameters")
                g = w.grad
                state = self.state[w]
                if not state:
                    state["accumulator"] = torch.full_like(w, group["initial_accumulator_value"])
                    state["linear"] = torch.zeros_like(w)
                n, z = state["accumulator"], state["linear"]
                n_new = n + g * g
                sigma = (n_new.pow(-p) - n.pow(-p)) / lr
                z.add_(g - sigma * w)
                quadratic = n_new.pow(-p) / lr + 2.0 * l2
                w.copy_(torch.where(z.abs() > l1, (torch.sign(z) * l1 - z) / quadratic, torch.zeros_like(w)))
                n.copy_(n_new)
        return loss
