"""Claims about a model of our own, declared and tested with dnnkit's pytest plugin (see examples/README.md).

Each claim is declared before its first run (kind, metric, direction, margin); the `claim` fixture trains the arms
over derived seeds, records every run, and decides with the test the kind prescribes. The harness fails a test
whose verdict is not the declared one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import torch
from torch import nn

from dnnkit import Claim
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.train.training import FitConfig, fit


class TinyResNet(nn.Module):
    """Our model: a deep stack of residual ReLU blocks (stands in for whatever your repository trains)."""

    def __init__(self, n_inputs: int, n_outputs: int, width: int = 64, blocks: int = 8, residual: bool = True):
        super().__init__()
        self.residual = residual
        self.stem = nn.Linear(n_inputs, width)
        self.blocks = nn.ModuleList(nn.Linear(width, width) for _ in range(blocks))
        self.head = nn.Linear(width, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.stem(x))
        for block in self.blocks:
            h = h + torch.relu(block(h)) if self.residual else torch.relu(block(h))
        return self.head(h)


def tiny_resnet(seeds, **kwargs) -> TinyResNet:
    """Built from the run's init seed, so arms that share a seed share their initial weights."""
    torch.manual_seed(seeds.init)
    return TinyResNet(64, 10, **kwargs)


FIT = FitConfig(epochs=4, batch_size=64)
SMALL = MLPConfig(n_inputs=64, n_outputs=10, depth=2, width=64)
MINE = "examples/test_my_model.py"

CLAIMS = [
    Claim(id="skips-help-deep-nets", section="my model", source=MINE,
          sentence="Skip connections let our 8-block net train: it beats the same stack without them.",
          kind="directional", metric="final validation accuracy, digits, Adam 1e-3, 4 epochs", direction="greater",
          arms=("residual", "plain"), delta=0.02),
    Claim(id="more-data-helps", section="my model", source=MINE,
          sentence="Our small MLP trained on all of digits' training set beats the same net trained on 50 per class.",
          kind="directional", metric="final validation accuracy, Adam 1e-3, 4 epochs", direction="greater",
          arms=("all", "50 per class"), delta=0.02),
    Claim(id="big-batches-cheaper-per-example", section="my model", source=MINE,
          sentence="On the CPU one training step on 256 examples costs far less than 8 steps on 32.",
          kind="timing", metric="seconds per 256 examples trained, interleaved rounds", direction="faster",
          arms=("batch 256", "8 x batch 32"), min_effect=0.5, seeds={"quick": 20, "full": 40}),
    Claim(id="resume-is-exact", section="my model", source=MINE,
          sentence="Training resumed from a checkpoint ends exactly where an uninterrupted run does.",
          kind="exact", metric="final validation loss, bitwise", direction="holds", arms=("resumed", "straight")),
]


@pytest.mark.claim("skips-help-deep-nets")
def test_skips_help_deep_nets(claim, digits):
    """Skip connections let our 8-block net train: it beats the same stack without them."""
    runs = claim.train_models({"residual": tiny_resnet, "plain": lambda s: tiny_resnet(s, residual=False)},
                              digits, FIT)
    claim.decide(runs["residual"].values("val_acc"), runs["plain"].values("val_acc"))


@pytest.mark.claim("more-data-helps")
def test_more_data_helps(claim, digits, digits500):
    """Our small MLP trained on all of digits' training set beats the same net trained on 50 per class."""
    runs = claim.train({"all": SMALL, "50 per class": SMALL}, {"all": digits, "50 per class": digits500}, FIT)
    claim.decide(runs["all"].values("val_acc"), runs["50 per class"].values("val_acc"))


@pytest.mark.claim("big-batches-cheaper-per-example")
def test_big_batches_cheaper_per_example(claim, digits):
    """On the CPU one training step on 256 examples costs far less than 8 steps on 32."""
    model = build_mlp(SMALL, device=claim.device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    X, y = claim.on_device(digits).X_train[:256], claim.on_device(digits).y_train[:256]

    def steps(size: int) -> None:
        for i in range(0, 256, size):
            opt.zero_grad()
            nn.functional.cross_entropy(model(X[i:i + size]), y[i:i + size]).backward()
            opt.step()

    t = claim.time({"batch 256": lambda: steps(256), "8 x batch 32": lambda: steps(32)}, rounds=claim.n_seeds,
                   grad=True)
    claim.decide(t["batch 256"], t["8 x batch 32"])


@pytest.mark.claim("resume-is-exact")
def test_resume_is_exact(claim, digits):
    """Training resumed from a checkpoint ends exactly where an uninterrupted run does."""
    split, straight, resumed = claim.on_device(digits), [], []
    for s in claim.seeds():
        with tempfile.TemporaryDirectory() as tmp:
            straight.append(fit(build_mlp(SMALL, generator=s.generator("init")), split, FIT, s))
            fit(build_mlp(SMALL, generator=s.generator("init")), split, FitConfig(epochs=2, batch_size=64,
                checkpoint_dir=tmp, checkpoint_every=2), s)
            resumed.append(fit(build_mlp(SMALL, generator=s.generator("init")), split, FIT, s,
                               resume_from=Path(tmp) / "epoch-0002.pt"))
    claim.record("straight", claim.seeds(), straight)
    claim.record("resumed", claim.seeds(), resumed)
    claim.decide([a.history["val_loss"].iloc[-1] == b.history["val_loss"].iloc[-1]
                  for a, b in zip(resumed, straight, strict=True)])
