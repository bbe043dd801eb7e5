"""Momentum's terminal velocity, measured on torch's own SGD: on a loss with a constant gradient g (a linear loss
g . theta) the momentum buffer obeys v_t = beta v_(t-1) + g, so the step after t updates is lr g (1 - beta^t) / (1 - beta),
which tends to the terminal velocity lr g / (1 - beta) (Geron, ch. 11: "equal to that gradient multiplied by the learning
rate eta multiplied by 1 / (1 - beta)").

torch.optim.SGD's momentum is the chapter's form with the rate applied after the buffer (dampening 0): the buffer is
v_t = beta v_(t-1) + g_t and the update theta -= lr v_t, the same steps as Keras's m <- beta m - lr g, theta += m, for a
constant rate.
"""

from __future__ import annotations

import torch


def momentum_steps(grad: torch.Tensor, lr: float, beta: float, steps: int) -> torch.Tensor:
    """The update vectors theta_(t-1) - theta_t of torch's SGD with momentum `beta` on the linear loss grad . theta,
    for t = 1..steps ([steps, *grad.shape]), in grad's dtype (theta starts at 0)."""
    if steps < 1:
        raise ValueError(f"steps={steps!r}; it must be >= 1")
    theta = torch.zeros_like(grad, requires_grad=True)
    opt = torch.optim.SGD([theta], lr=lr, momentum=beta)
    out = torch.empty((steps, *grad.shape), dtype=grad.dtype)
    for t in range(steps):
        before = theta.detach().clone()
        opt.zero_grad()
        (grad * theta).sum().backward()
        opt.step()
        out[t] = before - theta.detach()
    return out


def closed_form_steps(grad: torch.Tensor, lr: float, beta: float, steps: int) -> torch.Tensor:
    """lr g (1 - beta^t) / (1 - beta) for t = 1..steps: what momentum_steps must equal."""
    t = torch.arange(1, steps + 1, dtype=grad.dtype).reshape(-1, *([1] * grad.dim()))
    return lr * grad * (1 - beta ** t) / (1 - beta)


def terminal_velocity(grad: torch.Tensor, lr: float, beta: float) -> torch.Tensor:
    """The chapter's terminal velocity: lr g / (1 - beta)."""
    return lr * grad / (1 - beta)
