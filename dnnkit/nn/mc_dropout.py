"""MC dropout (Gal & Ghahramani 2016, as in the chapter): average K stochastic passes of a trained dropout net.

Only the dropout modules run in training mode; every other module, BatchNorm in particular, stays in eval mode
(a BN layer in training mode would normalize with the batch's statistics and update its running averages, which
the chapter's `training=True` trick on the whole model gets wrong for BN nets). Every module's mode is restored
afterwards, whatever it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

DROPOUT_TYPES = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.FeatureAlphaDropout)


@contextlib.contextmanager
def mc_dropout_mode(model: nn.Module) -> Iterator[int]:
    """Dropout modules in training mode, all others in eval mode; yields how many dropout modules there are and
    restores every module's own mode on exit."""
    modes = [(m, m.training) for m in model.modules()]
    n_dropout = 0
    try:
        model.eval()
        for m in model.modules():
            if isinstance(m, DROPOUT_TYPES):
                m.train()
                n_dropout += 1
        yield n_dropout
    finally:
        for m, mode in modes:
            m.training = mode


@contextlib.contextmanager
def seeded_rng(generator: torch.Generator | None, device: torch.device | str = "cpu") -> Iterator[None]:
    """Dropout draws from torch's global generator: with `generator`, reseed it from that stream inside a fork, so the
    masks are reproducible and the caller's global RNG state is left as it was. None: use the global RNG as is."""
    if generator is None:
        yield
        return
    device = torch.device(device)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device)))
        yield


def _check_samples(n_samples: int) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples={n_samples!r} is not allowed; MC dropout needs an int >= 1 stochastic passes")


@torch.no_grad()
def mc_dropout_samples(model: nn.Module, X: torch.Tensor, n_samples: int,
                       generator: torch.Generator | None = None, *, logits: bool = False) -> torch.Tensor:
    """Class probabilities (or raw outputs, with logits=True) of `n_samples` stochastic passes,
    shape [n_samples, len(X), n_classes]."""
    _check_samples(n_samples)
    with seeded_rng(generator, X.device), mc_dropout_mode(model) as n_dropout:
        if n_dropout == 0:
            raise ValueError(f"{type(model).__name__} has no dropout module, so MC dropout would repeat one "
                             "deterministic pass; build the model with dropout > 0")
        outputs = torch.stack([model(X) for _ in range(n_samples)])
    return outputs if logits else F.softmax(outputs, dim=-1)


def mc_dropout_predict(model: nn.Module, X: torch.Tensor, n_samples: int,
                       generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean class probabilities over `n_samples` MC-dropout passes and their standard deviation across passes
    (population std, numpy's default as in the chapter: 0 for a single pass)."""
    probs = mc_dropout_samples(model, X, n_samples, generator)
    return probs.mean(0), probs.std(0, correction=0)


def nll(probs: torch.Tensor, y: torch.Tensor, floor: float = 1e-12) -> float:
    """Mean negative log-likelihood of labels `y` under predicted probabilities (floored: log 0 is -inf)."""
    return float(-probs.gather(1, y[:, None]).clamp_min(floor).log().mean())
