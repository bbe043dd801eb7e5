"""Batched multi-seed training: the K seeds of one MLPConfig train together as one stacked ensemble.

Every state_dict entry of the K models is stacked into a [K, ...] tensor and the forward pass runs all members at
once (torch.baddbmm for the Linear layers, one batch_norm call over K*C channels, per-member dropout masks). Each
member reproduces its sequential `training.fit` run: init from its own "init" stream (the K models are built
exactly as `build_mlp` builds them), the same batches (`epoch_permutation` of its own data seed), the same dropout
masks (its own "dropout" stream, drawn in the same order as nn.Dropout draws them), and the same optimizer maths:
the loss is the sum over members of each member's mean loss, so every gradient is per member, and the optimizers
allowed here are elementwise, so one optimizer over the stacked tensors updates each member as its own optimizer
would. Clipping by norm is computed per member. Each member keeps `fit`'s own `epochs.EpochBook`; a member that
stops (patience, target, divergence) is removed from the ensemble with its optimizer state, so it stops updating and
costs nothing afterwards.

dnnkit's own regularizers run batched too: a `regularization.Penalty` (l1/l2) adds each member's penalty to its
loss, a `regularization.MaxNorm` after-step constraint rescales each member's rows. What cannot be matched exactly
raises `Unsupported` before any training (the harness then trains sequentially): optimizers not known to be
elementwise, other penalties and after-step callbacks (arbitrary code on one nn.Module), checkpoints,
ReduceLROnPlateau (it steps on each member's own validation loss), PReLU/RReLU, and dropout off the CPU (CUDA's
fused dropout draws from a Philox stream a per-member generator cannot reproduce).

Bitwise equality. On CPU every member's weights, history and stopping epochs come out bitwise equal to its
sequential run (tests/test_ensemble.py checks optimizers, layers, regularizers, stopping rules and odd shapes), so
even chaotic runs (a rate at the edge of divergence) and verdicts match. That takes care in three places where a
stacked kernel would round differently from the per-run one: MKL's GEMM for operands that are not 64-byte aligned
(each member's block is padded to a 64-byte boundary), ATen's bmm for tiny or degenerate products (run per
member), and the scalar tails of ATen's vectorized elementwise and batch-norm-backward loops (run per member when a
member's size leaves one). An optimizer runs the implementation its FitConfig asks for: torch's default
(single-tensor) one over the stacked tensors, or, with optimizer_params={"fused": True} (adam, adamw), torch's fused
kernel fed per member where a member's size leaves the kernel a scalar tail (_FusedStep), so each member equals its
own fit with that same setting (the fused kernel rounds differently from the default one: a FitConfig knob, not a
silent switch). On other devices expect equality to float tolerance instead.

Speed. A plain Linear+activation MLP (ELU, ReLU, leaky ReLU, tanh, sigmoid; no batch norm, dropout or penalty)
skips autograd: _plain_step runs the forward and the backward kernels autograd would run, by hand. Each epoch
gathers every member's batches once. What remains per step is mostly the GEMMs (benchmarks/README.md).

Cores. Members are independent, so `workers=n` splits them into n sub-ensembles: n - 1 in forked child processes
and one in this process, each on one torch thread (required: a child forked after OpenMP threads ran can hang, and
n single-thread processes use n cores without OpenMP's spin-waiting). Every member's result is the one the single
ensemble gives. The speed-up is bounded by the per-member work, not by Python (benchmarks/README.md).
"""

from __future__ import annotations

import math
import multiprocessing
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from ..nn.models import MLP, MLPConfig, build_mlp
from ..nn.regularization import MaxNorm, Penalty, layer_weights
from ..seeds import RunSeeds
from .epochs import EpochBook
from .inputs import check_fit_inputs
from .training import FitConfig, FitResult, epoch_permutation

ELEMENTWISE_OPTIMIZERS = frozenset({"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamax", "nadam",
                                    "adamw", "ftrl"})
# Stateless and elementwise: applying one module to a [K, b, C] tensor is applying it to each member.
_ELEMENTWISE = (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.SELU, nn.Sigmoid, nn.Tanh, nn.GELU, nn.SiLU, nn.Mish, nn.Identity)
# torch's fused Adam/AdamW kernel, run per member where it must be (see _StackedFusedAdam); fused kernels of the
# other optimizers are not wired here (given a non-contiguous stacked tensor they would update the wrong elements).
_FUSED = frozenset({"adam", "adamw"})
_FUSED_VECTOR = 16  # floats per AVX-512 vector (a multiple of AVX2's 8): the fused kernel's vector loop step
_VECTOR_BLOCK = 64  # a multiple of ATen's elementwise block (2 x the widest float vector, AVX-512: 32)
_ALPHA = 1.7580993408473766  # SELU's alpha * lambda: AlphaDropout's saturation value, as ATen writes it


class Unsupported(Exception):
    """This experiment cannot train as an ensemble that matches its sequential runs; the message says why."""


def unsupported_reason(config: object, fit_config: FitConfig, device: str | torch.device = "cpu") -> str | None:
    """Why (config, fit_config) cannot train as an ensemble, or None if it can (schedules are checked at setup)."""
    if not isinstance(config, MLPConfig):
        return f"model config {type(config).__name__} is not an MLPConfig"
    if fit_config.optimizer not in ELEMENTWISE_OPTIMIZERS:
        return f"optimizer {fit_config.optimizer!r} is not known to be elementwise"
    # Exact types: a subclass may override __call__, which the batched form would silently ignore.
    if fit_config.penalty is not None and type(fit_config.penalty) is not Penalty:
        return "FitConfig.penalty is a callable on one nn.Module (regularization.Penalty has a batched form)"
    if not all(type(c) is MaxNorm for c in fit_config.after_step):
        return "FitConfig.after_step callbacks act on one nn.Module (regularization.MaxNorm has a batched form)"
    if fit_config.checkpoint_dir is not None:
        return "checkpoints are written per run"
    if fit_config.param_groups is not None:
        return "FitConfig.param_groups picks parameters of one nn.Module"
    if fit_config.optimizer_params.get("fused") and fit_config.optimizer not in _FUSED:
        return f"fused=True with optimizer {fit_config.optimizer!r} (the ensemble runs fused kernels for adam, adamw)"
    if config.activation in ("prelu", "rrelu"):
        return f"activation {config.activation!r} has parameters or draws random slopes"
    has_dropout = any(config.dropout_rates()) or config.input_dropout > 0
    if has_dropout and torch.device(device).type != "cpu":
        return "dropout masks off the CPU come from a fused Philox kernel that per-member generators cannot reproduce"
    return None


# ------------------------------------------------------------------------------------------ the stacked net

def _layers(model: MLP) -> list[tuple[str, nn.Module]]:
    """MLP.forward's modules in call order, with their state_dict prefixes."""
    layers = [(f"input.{i}", m) for i, m in enumerate(model.input)]
    for j, block in enumerate(model.hidden):
        layers += [(f"hidden.{j}.{i}", m) for i, m in enumerate(block)]
    return [*layers, ("head", model.head)]


class StackedMLP:
    """K MLPs of one config as [K, ...] tensors keyed by state_dict name, with a batched forward pass."""

    def __init__(self, models: Sequence[MLP]):
        first = models[0]
        # Weights padded so that each member's matrix is 64-byte aligned, as its own run's weight is (see _aligned).
        states = [m.state_dict(keep_vars=True) for m in models]
        self.params = {name: nn.Parameter(_aligned(torch.stack([state[name].detach() for state in states])))
                       for name, _ in first.named_parameters()}
        self.buffers = {name: torch.stack([state[name] for state in states]) for name, _ in first.named_buffers()}
        self.ops = [self._op(prefix, module) for prefix, module in _layers(first)]
        self.plan = _plain_plan(first)

    @property
    def k(self) -> int:
        return next(iter(self.params.values())).shape[0]

    def _op(self, prefix: str, module: nn.Module) -> Callable[[torch.Tensor, bool, list], torch.Tensor]:
        p, buf = self.params, self.buffers
        if isinstance(module, nn.Linear):
            return lambda x, training, gens: _StackedLinear.apply(x, p[f"{prefix}.weight"], p[f"{prefix}.bias"])
        if isinstance(module, nn.BatchNorm1d):
            momentum, eps = module.momentum, module.eps

            def batch_norm(x, training, gens):
                args = (p[f"{prefix}.weight"], p[f"{prefix}.bias"], buf[f"{prefix}.running_mean"],
                        buf[f"{prefix}.running_var"])
                if not training:
                    return _batch_norm_eval(x, *args, eps)
                if x.shape[1] < 2:  # F.batch_norm refuses this in fit; the raw aten op would return garbage
                    raise ValueError("Expected more than 1 value per channel when training, got input size "
                                     f"{tuple(x[0].shape)}")
                buf[f"{prefix}.num_batches_tracked"].add_(1)
                return _StackedBatchNorm.apply(x, *args, momentum, eps)
            return batch_norm
        if isinstance(module, (nn.Dropout, nn.AlphaDropout)):
            rate, alpha = module.p, isinstance(module, nn.AlphaDropout)

            def dropout(x, training, gens):
                return _dropout(x, rate, alpha, gens) if training and rate > 0 else x
            return dropout
        if isinstance(module, _ELEMENTWISE):
            return partial(_elementwise, module)
        raise Unsupported(f"layer {prefix} ({type(module).__name__}) has no batched form")

    def forward(self, x: torch.Tensor, training: bool, gens: Sequence[torch.Generator] = ()) -> torch.Tensor:
        """Logits [K, b, n_out] for inputs [K, b, n_in] (or [b, n_in] shared by every member)."""
        if x.dim() == 2:
            x = x.expand(self.k, *x.shape)
        for op in self.ops:
            x = op(x, training, gens)
        return x

    def member_state(self, i: int) -> dict[str, torch.Tensor]:
        """Member i's state_dict (copies)."""
        state = {name: t.detach()[i].clone() for name, t in self.params.items()}
        state.update({name: t[i].clone() for name, t in self.buffers.items()})
        return state

    def keep(self, rows: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        """Drop the members not in `rows`, with their optimizer state (the Parameter objects stay the optimizer's)."""
        for param in self.params.values():
            old_shape = param.shape
            param.data = _aligned(param.data[rows])
            param.grad = None
            state = optimizer.state.get(param, {})
            for key, value in state.items():
                if torch.is_tensor(value) and value.dim() > 0:
                    if value.shape != old_shape:
                        raise Unsupported(f"optimizer state {key!r} of shape {tuple(value.shape)} is not per element")
                    state[key] = value[rows]
        for name, t in self.buffers.items():
            self.buffers[name] = t[rows]


# ------------------------------------------------------------------------------------------ the hand-written step

# Activations the hand-written step runs, with the backward autograd runs for each (torch's derivatives.yaml) as
# f(module) -> f(grad, input, output). Exact types and not in place: the forward is module(x) itself.
_BACKWARD = {
    nn.ELU: lambda m: lambda g, x, y: torch.ops.aten.elu_backward(g, m.alpha, 1, 1, False, x),
    nn.ReLU: lambda m: lambda g, x, y: torch.ops.aten.threshold_backward(g, y, 0),
    nn.LeakyReLU: lambda m: lambda g, x, y: torch.ops.aten.leaky_relu_backward(g, x, m.negative_slope, False),
    nn.Tanh: lambda m: lambda g, x, y: torch.ops.aten.tanh_backward(g, y),
    nn.Sigmoid: lambda m: lambda g, x, y: torch.ops.aten.sigmoid_backward(g, y),
}


@dataclass
class _PlainLayer:
    weight: str  # state_dict names
    bias: str
    act: nn.Module | None = None  # the activation after the Linear (None: the head)
    backward: Callable | None = None


def _plain_plan(model: MLP) -> list[_PlainLayer] | None:
    """The MLP as Linear(+activation) layers when it is only that (no batch norm, dropout or other activation), for
    the hand-written step; None otherwise (the autograd path runs it)."""
    plan: list[_PlainLayer] = []
    for prefix, m in _layers(model):
        if type(m) is nn.Linear and m.bias is not None:
            plan.append(_PlainLayer(f"{prefix}.weight", f"{prefix}.bias"))
        elif type(m) in _BACKWARD and not getattr(m, "inplace", False) and plan and plan[-1].act is None:
            plan[-1].act, plan[-1].backward = m, _BACKWARD[type(m)](m)
        elif type(m) is not nn.Identity:
            return None
    return plan


def _per_member(fn: Callable[..., torch.Tensor], *tensors: torch.Tensor) -> torch.Tensor:
    """fn over the stacked tensors, or member by member when a member's size leaves a scalar tail (see _elementwise)."""
    if tensors[0][0].numel() % _VECTOR_BLOCK:
        return torch.stack([fn(*member) for member in zip(*(t.unbind(0) for t in tensors), strict=True)])
    return fn(*tensors)


@torch.no_grad()
def _plain_step(net: StackedMLP, plan: list[_PlainLayer], x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Forward and backward of a plain MLP by hand, for loss = sum over members of each member's mean cross-entropy:
    the kernels autograd runs on the autograd path (the same _bmm products as _StackedLinear, the activations'
    backward kernels, _log_softmax_backward_data), without the graph bookkeeping. Sets every parameter's .grad as
    autograd's AccumulateGrad stores it; returns the log-probabilities [K, b, n_out]."""
    params = net.params
    saved = []
    h = x
    for layer in plan:
        h_in = _aligned(h)
        z = _bmm(h_in, params[layer.weight].transpose(1, 2), params[layer.bias])
        h = z if layer.act is None else _per_member(layer.act, z)
        saved.append((h_in, z, h))
    log_p = F.log_softmax(h, dim=2)
    # d loss / d log_p: MeanBackward gives each row 1/b (float32 division), NllLossBackward puts its negative on the
    # target class.
    k, b = target.shape
    inv_b = torch.ones((), dtype=log_p.dtype, device=x.device).div_(b).item()
    g = torch.zeros_like(log_p).scatter_(2, target.unsqueeze(2), -inv_b)
    g = torch._log_softmax_backward_data(g, log_p, 2, log_p.dtype)
    for i in range(len(plan) - 1, -1, -1):
        layer, (h_in, z, out) = plan[i], saved[i]
        if layer.act is not None:
            g = _per_member(layer.backward, g, z, out)
        g = _aligned(g)
        weight, bias = params[layer.weight], params[layer.bias]
        grad_w = _bmm(g.transpose(1, 2), h_in)
        # AccumulateGrad keeps a gradient laid out as its parameter, or contiguous for a padded parameter.
        weight.grad = grad_w if weight.is_contiguous() or grad_w.is_contiguous() else grad_w.contiguous()
        bias.grad = g.sum(1)
        if i:
            g = _bmm(g, weight)
    return log_p


def _elementwise(module: nn.Module, x: torch.Tensor, training: bool, gens) -> torch.Tensor:
    """module(x), per member when a member's size leaves a scalar tail in ATen's vectorized loop.

    ATen computes the last numel % (2 x vector width) elements with scalar code, which may round differently from
    the vector code (exp in ELU, SELU, GELU...); the stacked tensor would put those elements in vector lanes.
    """
    if x.dim() == 3 and x[0].numel() % _VECTOR_BLOCK:
        return torch.stack([module(member) for member in x.unbind(0)])
    return module(x)


def _aligned(t: torch.Tensor) -> torch.Tensor:
    """t, or a copy of it in which every member's block starts on a 64-byte boundary, as a fresh tensor does.

    MKL's GEMM takes other code paths (that round differently) for operands that are not 64-byte aligned, and a
    member's block inside a stacked tensor is aligned only when its size is a multiple of 64 bytes.
    """
    step = 64 // t.element_size()
    if t.stride(0) % step == 0 and t.data_ptr() % 64 == 0:
        return t
    return _empty_aligned(t.shape, t).copy_(t)


def _empty_aligned(shape: Sequence[int], like: torch.Tensor) -> torch.Tensor:
    """An uninitialized [K, ...] tensor whose members are contiguous blocks starting on 64-byte boundaries."""
    step = 64 // like.element_size()
    block = math.prod(shape[1:])
    if block % step == 0:  # no padding needed: a fresh tensor (the allocator aligns it to 64 bytes)
        return like.new_empty(shape)
    stride = -(-block // step) * step
    inner = [math.prod(shape[i + 1:]) for i in range(1, len(shape))]
    return like.new_empty(shape[0] * stride).as_strided(tuple(shape), (stride, *inner))


def _bmm(a: torch.Tensor, b: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """bias + a @ b per member, computed as F.linear's addmm / mm computes it for one member.

    Operands and result are 64-byte aligned per member (see _aligned). Below 400 multiply-adds per member ATen's
    bmm switches to its own naive loop, which sums in another order than BLAS, and BLAS treats a product with a
    dimension of 1 as a matrix-vector product: such products run per member.
    """
    k, m, n = a.shape[0], a.shape[1], b.shape[2]
    if a.shape[2] * m * n < 400 or min(a.shape[2], m, n) == 1:
        if bias is None:
            return torch.stack([x @ y for x, y in zip(a, b, strict=True)])
        return torch.stack([torch.addmm(c, x, y) for c, x, y in zip(bias, a, b, strict=True)])
    out = _empty_aligned((k, m, n), a)
    if bias is None:
        return torch.bmm(_aligned(a), _aligned(b), out=out)
    return torch.baddbmm(bias.unsqueeze(1), _aligned(a), _aligned(b), out=out)


class _StackedLinear(torch.autograd.Function):
    """K nn.Linear layers at once, with the GEMMs autograd runs for F.linear (same operand order and layout).

    Autograd's own baddbmm backward would return the weight gradient transposed and copy it into .grad each step.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        x = _aligned(x)
        ctx.save_for_backward(x, weight)
        return _bmm(x, weight.transpose(1, 2), bias)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, weight = ctx.saved_tensors
        grad = _aligned(grad)
        grad_x = _bmm(grad, weight) if ctx.needs_input_grad[0] else None
        grad_w = _bmm(grad.transpose(1, 2), x) if ctx.needs_input_grad[1] else None
        grad_b = grad.sum(1) if ctx.needs_input_grad[2] else None
        return grad_x, grad_w, grad_b


class _StackedBatchNorm(torch.autograd.Function):
    """K BatchNorm1d layers: one batch_norm call over K*C channels forward (per-channel statistics, so each member
    gets its own batch and running statistics), and the backward per member.

    The backward kernel vectorizes across channels and handles the last C % width channels with scalar code that
    rounds differently; one call per member keeps every member's gradient bitwise its sequential run's.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, momentum: float, eps: float):
        k, b, c = x.shape
        if c == 1:  # ATen reduces a single channel along another path than a channel among many: one call each
            parts = [torch.ops.aten.native_batch_norm(xi.contiguous(), w, bi, rm, rv, True, momentum, eps)
                     for xi, w, bi, rm, rv in zip(x, weight, bias, running_mean, running_var, strict=True)]
            out, mean, invstd = (torch.stack(t) for t in zip(*parts, strict=True))
        else:
            # Channels K*C: per-channel statistics are per-member statistics; running statistics update in place.
            flat = x.transpose(0, 1).reshape(b, k * c)
            out, mean, invstd = torch.ops.aten.native_batch_norm(flat, weight.reshape(-1), bias.reshape(-1),
                                                                 running_mean.view(-1), running_var.view(-1), True,
                                                                 momentum, eps)
            # Member-major and contiguous, as the next elementwise op must see each member's [b, C] block.
            out = out.view(b, k, c).transpose(0, 1).contiguous()
        ctx.save_for_backward(x, weight, mean.view(k, c), invstd.view(k, c))
        ctx.eps = eps
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight, mean, invstd = ctx.saved_tensors
        parts = [torch.ops.aten.native_batch_norm_backward(g.contiguous(), xi, w, None, None, m, s, True, ctx.eps,
                                                           [True, True, True])
                 for g, xi, w, m, s in zip(grad, x, weight, mean, invstd, strict=True)]
        grad_x, grad_w, grad_b = (torch.stack(t) for t in zip(*parts, strict=True))
        return grad_x, grad_w, grad_b, None, None, None, None


def _batch_norm_eval(x, weight, bias, running_mean, running_var, eps: float) -> torch.Tensor:
    """Eval-mode BatchNorm1d of every member (moving statistics), as one call over K*C channels."""
    k, b, c = x.shape
    if c == 1:
        return torch.stack([F.batch_norm(xi.contiguous(), rm, rv, w, bi, False, 0.0, eps)
                            for xi, w, bi, rm, rv in zip(x, weight, bias, running_mean, running_var, strict=True)])
    out = F.batch_norm(x.transpose(0, 1).reshape(b, k * c), running_mean.view(-1), running_var.view(-1),
                       weight.reshape(-1), bias.reshape(-1), False, 0.0, eps)
    return out.view(b, k, c).transpose(0, 1).contiguous()


def _dropout(x: torch.Tensor, rate: float, alpha: bool, gens: Sequence[torch.Generator]) -> torch.Tensor:
    """ATen's CPU dropout / alpha dropout, each member's mask drawn from its own generator as nn.Dropout draws it."""
    noise = torch.empty_like(x)
    for i, gen in enumerate(gens):
        noise[i].bernoulli_(1 - rate, generator=gen)
    if not alpha:
        return x * noise.div_(1 - rate)
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * rate + 1) * (1 - rate))
    shift = noise.add(-1).mul_(_ALPHA * a).add_(_ALPHA * a * rate)
    return (x * noise.mul_(a)).add_(shift)


@torch.no_grad()
def evaluate_members(net: StackedMLP, X: torch.Tensor, y: torch.Tensor, batch_size: int = 4096,
                     ) -> tuple[list[float], list[float]]:
    """Each member's mean cross-entropy and accuracy in eval mode, chunked as `training.evaluate` chunks."""
    k = net.k
    loss_sum = torch.zeros(k, dtype=torch.float64, device=X.device)
    correct = torch.zeros(k, dtype=torch.long, device=X.device)
    for start in range(0, len(X), batch_size):
        logits = net.forward(X[start:start + batch_size], training=False)
        target = y[start:start + batch_size]
        # One call per member: the sum in cross_entropy's own order, so the value is the one `evaluate` returns.
        loss_sum += torch.stack([F.cross_entropy(member, target, reduction="sum") for member in logits.unbind(0)])
        correct += (logits.argmax(2) == target).sum(1)
    return (loss_sum / len(X)).tolist(), (correct.double() / len(X)).tolist()


# ------------------------------------------------------------------------------------------ per-member bookkeeping

@dataclass
class _Member:
    """One seed's run inside the ensemble: its model (given its final weights at the end), its dropout generator and
    the same EpochBook `fit` keeps."""

    index: int
    model: MLP
    gen: torch.Generator
    book: EpochBook
    final_state: dict[str, torch.Tensor] | None = None  # the weights when it stopped

    def result(self) -> FitResult:
        state = self.book.finish()
        self.model.load_state_dict(self.final_state if state is None else state)
        self.model.eval()
        return FitResult.from_book(self.model, self.book)


def _clip_norm_per_member(params: Sequence[nn.Parameter], max_norm: float) -> None:
    """nn.utils.clip_grad_norm_ applied to each member separately (the norm of the stacked grads would mix them)."""
    grads = [p.grad for p in params if p.grad is not None]
    norms = torch.stack([torch.linalg.vector_norm(g.flatten(1), dim=1) for g in grads], dim=1)
    total = torch.linalg.vector_norm(norms, dim=1)
    coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.view(-1, *([1] * (g.dim() - 1))))


@dataclass
class _Regularizers:
    """FitConfig's Penalty and MaxNorm constraints, bound to the stacked parameters they act on (by state_dict name)."""

    penalty: Penalty | None
    penalty_names: list[str]
    max_norms: list[tuple[MaxNorm, list[str]]]

    @classmethod
    def bind(cls, fc: FitConfig, model: MLP) -> _Regularizers:
        names = {id(p): name for name, p in model.named_parameters()}

        def chosen(layers: str) -> list[str]:
            return [names[id(w)] for w in layer_weights(model, layers)]
        return cls(fc.penalty, chosen(fc.penalty.layers) if fc.penalty else [],
                   [(c, chosen(c.layers)) for c in fc.after_step])

    def penalties(self, net: StackedMLP) -> torch.Tensor | None:
        """Each member's Penalty value (the same sums, in the same order, as Penalty.__call__ on its model)."""
        if self.penalty is None:
            return None
        total = next(iter(net.params.values())).new_zeros(net.k)
        for name in self.penalty_names:
            w = net.params[name]
            dims = tuple(range(1, w.dim()))
            if self.penalty.l1:
                total = total + self.penalty.l1 * w.abs().sum(dims)
            if self.penalty.l2:
                total = total + self.penalty.l2 * w.square().sum(dims)
        return total

    @torch.no_grad()
    def after_step(self, net: StackedMLP) -> None:
        """MaxNorm.__call__ on every member: row (dim 1) or column (dim 0) norms of each member's weight matrices."""
        for constraint, names in self.max_norms:
            for name in names:
                w = net.params[name]
                if w.dim() < 3:
                    continue
                norms = w.norm(dim=constraint.dim + 1, keepdim=True)
                w.mul_(torch.where(norms > constraint.r, constraint.r / norms, torch.ones_like(norms)))


class _FusedStep:
    """Mixin: step() runs torch's fused Adam/AdamW kernel (torch._fused_adam_ / _fused_adamw_, as Adam(fused=True)
    calls it) so that every member gets bitwise the update its own `fit` with optimizer_params={"fused": True} gets.

    The kernel indexes raw memory (a non-contiguous tensor gets the wrong elements updated: torch's own fused Adam over
    the padded stacked tensors is wrong) and computes a tensor's last numel % 16 elements in scalar double-precision
    code that rounds differently from its vector loop. So a stacked tensor goes whole only when it is contiguous, each
    member's size is a multiple of the vector and torch runs one thread (several threads split the loop elsewhere);
    otherwise each member's own contiguous block goes as its own tensor, exactly as its run passes it. One kernel call
    per step either way.
    """

    @torch.no_grad()
    def step(self, closure=None):
        if closure is not None:
            raise ValueError("the ensemble's fused optimizer takes no closure")
        for group in self.param_groups:
            keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if group["amsgrad"] else ("exp_avg", "exp_avg_sq")
            lists: list[list[torch.Tensor]] = [[] for _ in range(2 + len(keys))]  # params, grads, *state
            steps: list[torch.Tensor] = []
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:  # as Adam._init_group initializes a fused group
                    state["step"] = torch.zeros((), dtype=torch.float32, device=p.device)
                    state.update({key: torch.zeros_like(p) for key in keys})
                state["step"] += 1  # torch: _foreach_add_(state_steps, 1), one step tensor per parameter
                whole, blocks = self._blocks(p, state, keys)
                grads = [p.grad] if whole else p.grad.unbind(0)
                if not grads[0].is_contiguous():  # members' gradients share one layout: the first one stands for all
                    raise Unsupported("a member's gradient is not one contiguous block")
                lists[0] += blocks[0]
                lists[1] += grads
                for out, part in zip(lists[2:], blocks[1:], strict=True):
                    out += part
                steps += [state["step"]] * len(grads)
            if not steps:
                continue
            params, grads, exp_avgs, exp_avg_sqs, *max_exp_avg_sqs = lists
            fused = torch._fused_adamw_ if group["decoupled_weight_decay"] else torch._fused_adam_
            beta1, beta2 = group["betas"]
            fused(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs[0] if max_exp_avg_sqs else [], steps,
                  amsgrad=group["amsgrad"], lr=group["lr"], beta1=beta1, beta2=beta2,
                  weight_decay=group["weight_decay"], eps=group["eps"], maximize=group["maximize"], grad_scale=None,
                  found_inf=None)

    def _blocks(self, p: torch.Tensor, state: dict, keys: Sequence[str]) -> tuple[bool, list[list[torch.Tensor]]]:
        """(whole, [p's blocks, each state tensor's blocks]): the stacked tensors whole, or their per-member views.
        Cached: the parameter and its state change storage only when members are dropped (keep), and shape then."""
        cache = self.__dict__.setdefault("_block_cache", {})
        key = (p.shape, p.data_ptr(), torch.get_num_threads())
        if p not in cache or cache[p][0] != key:
            tensors = [p, *(state[k] for k in keys)]
            whole = key[2] == 1 and p[0].numel() % _FUSED_VECTOR == 0 and all(t.is_contiguous() for t in tensors)
            blocks = [[t] if whole else list(t.unbind(0)) for t in tensors]
            if not all(b[0].is_contiguous() for b in blocks):
                raise Unsupported("a member's parameter or optimizer state is not one contiguous block")
            cache[p] = (key, whole, blocks)
        return cache[p][1], cache[p][2]


class _StackedFusedAdam(_FusedStep, torch.optim.Adam):
    pass


class _StackedFusedAdamW(_FusedStep, torch.optim.AdamW):
    pass


def _make_optimizer(params: list[nn.Parameter], fit_config: FitConfig, exact: bool) -> torch.optim.Optimizer:
    """The optimizer `fit` builds, over the stacked tensors. Elementwise optimizers in their default (single-tensor)
    implementation update each member bitwise as its own run does. optimizer_params={"fused": True} (adam, adamw)
    runs torch's fused kernel per member as `fit` with the same setting runs it (_FusedStep): fewer passes over the
    stacked tensors, and still bitwise each member's run with that setting. exact=False picks the fused kernel for
    adam and adamw even when the FitConfig does not ask for it (members then match their default runs to float
    tolerance only)."""
    from ..optim.optimizers import check_hyperparameters, make_optimizer

    hyper = dict(fit_config.optimizer_params)
    if not exact and fit_config.optimizer in _FUSED and not {"fused", "foreach"} & set(hyper):
        hyper["fused"] = True
    if hyper.get("fused") and fit_config.optimizer in _FUSED:
        check_hyperparameters(fit_config.optimizer, hyper)
        cls = _StackedFusedAdamW if fit_config.optimizer == "adamw" else _StackedFusedAdam
        return cls(params, lr=float(fit_config.lr), **hyper)
    return make_optimizer(fit_config.optimizer, params, fit_config.lr, **hyper)


# ------------------------------------------------------------------------------------------ the fit loop

def fit_ensemble(config: MLPConfig, split, fit_config: FitConfig, seeds: Sequence[RunSeeds], *,
                 exact: bool = True, workers: int = 1) -> list[FitResult]:
    """Train one model per seed as one ensemble; result i equals `fit(build_mlp(config, seeds[i] init), ...)`.

    Raises Unsupported (before any training) when the runs cannot be matched; `unsupported_reason` says why up front.
    exact=False trades bitwise equality for a fused optimizer kernel (see _make_optimizer). workers > 1 (CPU only)
    trains the members as that many sub-ensembles in parallel processes (see _fit_in_processes).
    """
    if isinstance(config, MLPConfig):  # the split first, so that a bad one fails alike here and in fit
        check_fit_inputs(split, lambda: (config.n_inputs, config.n_outputs), "fit_ensemble")
    device = split.X_train.device
    reason = unsupported_reason(config, fit_config, device)
    if reason:
        raise Unsupported(reason)
    if not seeds:
        raise ValueError("fit_ensemble needs at least one RunSeeds; got none")
    X, y = split.X_train, split.y_train
    workers = min(check_workers(workers, device), len(seeds))
    if workers > 1:
        return _fit_in_processes(config, split, fit_config, list(seeds), exact, workers)
    # fit seeds the global generator with the dropout seed; each member draws from its own generator instead.
    rules = fit_config.epoch_rules()
    members = [_Member(i, build_mlp(config, generator=s.generator("init"), device=device),
                       s.generator("dropout", device), EpochBook(rules)) for i, s in enumerate(seeds)]
    net = StackedMLP([m.model for m in members])
    regularizers = _Regularizers.bind(fit_config, members[0].model)
    params = list(net.params.values())
    optimizer = _make_optimizer(params, fit_config, exact)
    scheduler = fit_config.make_scheduler(optimizer, len(X))
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        raise Unsupported("ReduceLROnPlateau steps on each member's own validation loss")
    active = list(members)
    for epoch in range(1, fit_config.epochs + 1):
        t0 = time.perf_counter()
        perms = torch.stack([epoch_permutation(len(X), seeds[m.index].data, epoch) for m in active]).to(device)
        loss_sum = _train_epoch(net, optimizer, scheduler, X, y, perms, fit_config, [m.gen for m in active],
                                regularizers)
        train_loss = [v / len(X) for v in loss_sum.tolist()]
        share = (time.perf_counter() - t0) / len(active)
        lr = optimizer.param_groups[0]["lr"]
        val_loss, val_acc = evaluate_members(net, split.X_val, split.y_val, fit_config.eval_batch_size)
        train_eval = evaluate_members(net, X, y, fit_config.eval_batch_size) if rules.eval_train else None
        stopped = []
        for i, m in enumerate(active):
            stop = m.book.record(epoch, share, train_loss[i], val_loss[i], val_acc[i], lr,
                                 (train_eval[0][i], train_eval[1][i]) if train_eval else None,
                                 snapshot=partial(net.member_state, i))
            if stop or epoch == fit_config.epochs:
                m.final_state = net.member_state(i)
                stopped.append(i)
        if scheduler is not None and not fit_config.schedule_per_step:
            scheduler.step()
        if stopped:
            keep = [i for i in range(len(active)) if i not in stopped]
            active = [active[i] for i in keep]
            if not active:
                break
            net.keep(torch.tensor(keep, device=device), optimizer)
    # Leave the global generators where the last sequential run would have left them (fit seeds them per run).
    torch.manual_seed(seeds[-1].dropout)
    if device.type == "cpu":
        torch.set_rng_state(members[-1].gen.get_state())
    return [m.result() for m in members]


def check_workers(workers: object, device: str | torch.device = "cpu") -> int:
    """`workers` if it is an int >= 1 this platform and device can use, else a ValueError saying what is allowed."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers={workers!r} is not allowed: it must be an int >= 1 (processes to split the members "
                         "over)")
    if workers > 1 and torch.device(device).type != "cpu":
        raise ValueError(f"workers={workers} forks processes, which CUDA state does not survive; on "
                         f"{torch.device(device)} use workers=1 (one ensemble already fills the GPU)")
    if workers > 1 and torch.get_num_threads() != 1:
        # A child forked after its parent's OpenMP threads ran can hang in its first parallel region, and a child
        # on fewer threads than its parent would round differently.
        raise ValueError(f"workers={workers} needs torch.set_num_threads(1) (now {torch.get_num_threads()}): each "
                         "process takes one core; use workers=1 to train on several threads in one process")
    if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
        raise ValueError(f"workers={workers} needs the 'fork' start method, which this platform does not offer; "
                         "use workers=1")
    return workers


def _fit_in_processes(config: MLPConfig, split, fit_config: FitConfig, seeds: list[RunSeeds], exact: bool,
                      workers: int) -> list[FitResult]:
    """fit_ensemble over `workers` contiguous slices of the seeds: the first ones in forked children, the last one
    here (so the global generators end where the last sequential run leaves them). Children send their results back
    pickled; a child's exception is raised here, and children still running when this process fails are stopped."""
    ctx = multiprocessing.get_context("fork")
    cuts = [round(i * len(seeds) / workers) for i in range(workers + 1)]
    chunks = [seeds[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    children = []
    try:
        for chunk in chunks[:-1]:
            receive, send = ctx.Pipe(duplex=False)
            child = ctx.Process(target=_child_fit, args=(send, config, split, fit_config, chunk, exact), daemon=True,
                                name="dnnkit-ensemble")
            child.start()
            send.close()
            children.append((child, receive))
        own = fit_ensemble(config, split, fit_config, chunks[-1], exact=exact)
        results = []
        for child, receive in children:
            results += _receive(child, receive)
        return results + own
    finally:
        for child, receive in children:
            if child.is_alive():
                child.terminate()
            child.join()
            receive.close()


def _child_fit(send, config: MLPConfig, split, fit_config: FitConfig, seeds: list[RunSeeds], exact: bool) -> None:
    """A forked child's whole job: train its slice and send ("ok", results) or ("error", exception), pickled."""
    try:
        torch.set_num_threads(1)  # re-applied in the child: OpenMP's thread state does not survive a fork whole
        payload = ("ok", fit_ensemble(config, split, fit_config, seeds, exact=exact))
    except BaseException as err:  # noqa: BLE001 - whatever stopped the child is the parent's error to raise
        payload = ("error", err)
    try:
        message = pickle.dumps(payload)
    except Exception:  # noqa: BLE001 - an exception that does not pickle still reaches the parent, as text
        message = pickle.dumps(("error", RuntimeError(f"{type(payload[1]).__name__}: {payload[1]}")))
    send.send_bytes(message)
    send.close()


def _receive(child, receive) -> list[FitResult]:
    """One child's results, or its exception raised here (a child that died without a word is a RuntimeError)."""
    try:
        status, value = pickle.loads(receive.recv_bytes())
    except EOFError:
        child.join()
        raise RuntimeError(f"ensemble worker process {child.pid} ended (exit code {child.exitcode}) before sending "
                           "its members' results") from None
    if status == "error":
        raise value
    return value


def _train_epoch(net: StackedMLP, optimizer, scheduler, X: torch.Tensor, y: torch.Tensor, perms: torch.Tensor,
                 fc: FitConfig, gens: list[torch.Generator], regularizers: _Regularizers) -> torch.Tensor:
    """One epoch of every active member; returns each member's sum of batch-mean losses times batch sizes."""
    k, n = perms.shape
    params = list(net.params.values())
    loss_sum = torch.zeros(k, device=X.device)
    # One gather per epoch, each member in its own order; a step's batch is then a slice (its rows are the rows X[idx]
    # gives, and each member's block stays one contiguous run for the GEMM).
    X_epoch = X.index_select(0, perms.flatten()).view(k, n, *X.shape[1:])
    y_epoch = y.index_select(0, perms.flatten()).view(k, n)
    # A plain Linear+activation MLP without a penalty skips autograd (_plain_step); anything else goes through it.
    plain = net.plan is not None and regularizers.penalty is None
    for start in range(0, n, fc.batch_size):
        x, target = X_epoch[:, start:start + fc.batch_size], y_epoch[:, start:start + fc.batch_size]
        b = target.shape[1]
        if plain:
            log_p, penalties = _plain_step(net, net.plan, x, target), None
        else:
            log_p = F.log_softmax(net.forward(x, training=True, gens=gens), dim=2)
            nll = F.nll_loss(log_p.flatten(0, 1), target.flatten(), reduction="none").view(k, b)
            # After the forward pass, as in fit: the order autograd sums a weight's gradient terms in follows it.
            penalties = regularizers.penalties(net)
            loss = nll.mean(1) if penalties is None else nll.mean(1) + penalties
            optimizer.zero_grad(set_to_none=True)
            # The sum of per-member losses: member i's gradient is exactly its own run's gradient.
            loss.sum().backward()
        if fc.clip_value is not None:
            nn.utils.clip_grad_value_(params, fc.clip_value)
        if fc.clip_norm is not None:
            _clip_norm_per_member(params, fc.clip_norm)
        optimizer.step()
        regularizers.after_step(net)
        if scheduler is not None and fc.schedule_per_step:
            scheduler.step()
        with torch.no_grad():  # the value fit records, with the mean summed in nll_loss's own order
            # (nll_loss_nd is what F.nll_loss calls: reduction 1 = mean, ignore_index -100; without its Python checks)
            losses = torch.stack([torch._C._nn.nll_loss_nd(lp, t, None, 1, -100)
                                  for lp, t in zip(log_p.unbind(0), target.unbind(0), strict=True)])
            loss_sum += (losses if penalties is None else losses + penalties) * b
    return loss_sum

