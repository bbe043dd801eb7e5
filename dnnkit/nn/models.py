"""The MLP builder: one config dataclass holds every knob of a dense net (nanoGPT's GPTConfig style)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
from torch import nn

from .activations import make_activation
from .fields import check_bool, check_mapping, is_int, is_number
from .initializers import get_initializer

BN_POSITIONS = (None, "before", "after")


@dataclass
class MLPConfig:
    """A dense classifier: n_inputs -> depth x [Linear, (BN), activation, (BN), (dropout)] -> n_outputs logits.

    batch_norm: None, "before" or "after" the activation. BatchNorm1d uses PyTorch's momentum convention:
    momentum=0.01 here is Keras's momentum 0.99 (running = 0.99 * running + 0.01 * batch).
    dropout: one rate for every hidden layer, or a tuple with one rate per hidden layer (0 = none).
    """

    n_inputs: int
    n_outputs: int
    depth: int = 5
    width: int = 100
    activation: str = "elu"
    activation_params: dict[str, float] = field(default_factory=dict)
    weight_init: str = "he_normal"
    weight_init_params: dict[str, float] = field(default_factory=dict)
    bias_init: str = "zeros"
    bias_init_params: dict[str, float] = field(default_factory=dict)
    batch_norm: str | None = None
    input_batch_norm: bool = False
    bn_momentum: float = 0.01
    dropout: float | tuple[float, ...] = 0.0
    alpha_dropout: bool = False
    input_dropout: float = 0.0

    def replace(self, **changes) -> MLPConfig:
        """A copy with some fields changed (dataclasses.replace, validated)."""
        return replace(self, **changes)

    def dropout_rates(self) -> tuple[float, ...]:
        if isinstance(self.dropout, (tuple, list)):
            return tuple(float(r) for r in self.dropout)
        return (float(self.dropout),) * self.depth

    def __post_init__(self) -> None:
        for key in ("n_inputs", "n_outputs", "depth", "width"):
            value = getattr(self, key)
            if not is_int(value) or value <= 0:
                raise ValueError(f"MLPConfig.{key}={value!r} is not allowed; it must be a positive integer (not a bool)")
        if self.batch_norm not in BN_POSITIONS:
            raise ValueError(f"MLPConfig.batch_norm={self.batch_norm!r}; allowed: None, 'before', 'after'")
        for key in ("input_batch_norm", "alpha_dropout"):
            check_bool("MLPConfig", key, getattr(self, key))
        if not (is_number(self.bn_momentum) and 0 < self.bn_momentum <= 1):
            raise ValueError(f"MLPConfig.bn_momentum={self.bn_momentum!r}; allowed: 0 < bn_momentum <= 1")
        self._check_dropout()
        # Fail at config time, not deep inside a training run; each message says which field it is about.
        for key, build in (("activation", lambda: make_activation(self.activation, **self.activation_params)),
                           ("weight_init", lambda: get_initializer(self.weight_init, **self.weight_init_params)),
                           ("bias_init", lambda: get_initializer(self.bias_init, **self.bias_init_params))):
            check_mapping("MLPConfig", f"{key}_params", getattr(self, f"{key}_params"))
            try:
                build()
            except ValueError as err:
                raise ValueError(f"MLPConfig.{key}: {err}") from None

    def _check_dropout(self) -> None:
        """One rate or one per hidden layer, each a number (not a bool or a string) in [0, 1)."""
        given = self.dropout if isinstance(self.dropout, (tuple, list)) else (self.dropout,)
        for key, rates in (("dropout", given), ("input_dropout", (self.input_dropout,))):
            for rate in rates:
                if not (is_number(rate) and 0 <= rate < 1):
                    raise ValueError(f"MLPConfig.{key}: dropout rate {rate!r} is not allowed; rates must lie in "
                                     "[0, 1) (numbers, not bools or strings)")
        rates = self.dropout_rates()
        if len(rates) != self.depth:
            raise ValueError(f"MLPConfig.dropout has {len(rates)} rates for depth {self.depth}; give one per hidden layer")


class MLP(nn.Module):
    """Hidden blocks in a ModuleList (so layers can be reused, frozen or inspected one by one) and a linear head."""

    def __init__(self, config: MLPConfig):
        super().__init__()
        self.config = config
        c = config
        layers: list[nn.Module] = []
        if c.input_batch_norm:
            layers.append(nn.BatchNorm1d(c.n_inputs, momentum=c.bn_momentum))
        if c.input_dropout:
            layers.append(self._dropout(c.input_dropout))
        self.input = nn.Sequential(*layers)
        self.hidden = nn.ModuleList()
        fan_in = c.n_inputs
        for rate in c.dropout_rates():
            block: list[nn.Module] = [nn.Linear(fan_in, c.width)]
            if c.batch_norm == "before":
                block.append(nn.BatchNorm1d(c.width, momentum=c.bn_momentum))
            block.append(make_activation(c.activation, **c.activation_params))
            if c.batch_norm == "after":
                block.append(nn.BatchNorm1d(c.width, momentum=c.bn_momentum))
            if rate:
                block.append(self._dropout(rate))
            self.hidden.append(nn.Sequential(*block))
            fan_in = c.width
        self.head = nn.Linear(fan_in, c.n_outputs)

    def _dropout(self, rate: float) -> nn.Module:
        return nn.AlphaDropout(rate) if self.config.alpha_dropout else nn.Dropout(rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input(x)
        for block in self.hidden:
            x = block(x)
        return self.head(x)

    def hidden_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Each hidden block's output (after activation, BN and dropout) for one forward pass."""
        outputs = []
        x = self.input(x)
        for block in self.hidden:
            x = block(x)
            outputs.append(x)
        return outputs

    def linears(self) -> list[nn.Linear]:
        """The Linear layers in order, head last."""
        return [m for m in self.modules() if isinstance(m, nn.Linear)]


@torch.no_grad()
def init_weights(model: nn.Module, config: MLPConfig, generator: torch.Generator | None) -> None:
    """Apply the config's weight and bias initializers to every Linear layer, in layer order (reproducible)."""
    w_init = get_initializer(config.weight_init, **config.weight_init_params)
    b_init = get_initializer(config.bias_init, **config.bias_init_params)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    # All weights first, then all biases: arms that differ only in bias init get identical weights.
    for linear in linears:
        w_init(linear.weight, generator)
    for linear in linears:
        if linear.bias is not None:
            b_init(linear.bias, generator)


def build_mlp(config: MLPConfig, *, generator: torch.Generator | None = None, device: str | torch.device = "cpu") -> MLP:
    """Build and initialize an MLP; pass a seeded generator for a reproducible init."""
    model = MLP(config)
    init_weights(model, config, generator)
    return model.to(device)
