"""Pretraining when labels are few: an autoencoder on unlabeled data, or an auxiliary task with cheap labels
("are these two digits the same?"), then reuse of the pretrained lower layers under a new head.

Both helpers return an :class:`~dnnkit.models.MLP` whose hidden layers are the pretrained ones, so
:func:`dnnkit.transfer.reuse_layers` turns them into a classifier exactly like a supervised source net.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..data import Split, check_features, n_per_class
from ..nn.models import MLP, MLPConfig, build_mlp, init_weights
from ..optim.optimizers import make_optimizer
from ..seeds import RunSeeds, derive_seed
from ..train.training import FitConfig, epoch_permutation
from .transfer import (
    ExerciseData,
    TransferRun,
    accuracy,
    exercise_data,
    fit_transfer,
    reuse_layers,
    source_config,
)


@dataclass
class PretrainResult:
    """A pretrained encoder (an MLP; its hidden layers are the part to reuse) and how its training went."""

    encoder: MLP
    losses: list[float]
    diverged: bool
    train_time_s: float


def _train_loop(module: nn.Module, n: int, batch_loss: Callable[[torch.Tensor], torch.Tensor], *, epochs: int,
                batch_size: int, lr: float, data_seed: int, optimizer: str = "adam") -> tuple[list[float], bool, float]:
    """Mini-batches of indices 0..n-1 in fit's per-epoch order; `batch_loss(idx)` gives the loss of one batch.

    fit trains classifiers only (cross-entropy on a Split); reconstruction and pair losses need this loop.
    A non-finite loss stops the run and marks it diverged (a result, not a crash).
    """
    if not isinstance(epochs, int) or epochs < 1 or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"epochs={epochs!r} and batch_size={batch_size!r} must be positive integers")
    opt = make_optimizer(optimizer, module.parameters(), lr)
    device = next(module.parameters()).device
    losses, train_time = [], 0.0
    module.train()
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        perm = epoch_permutation(n, data_seed, epoch).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            loss = batch_loss(idx)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
        losses.append(total.item() / n)
        train_time += time.perf_counter() - t0
        if not math.isfinite(losses[-1]):
            return losses, True, train_time
    module.eval()
    return losses, False, train_time


def _body(encoder: MLP, x: torch.Tensor) -> torch.Tensor:
    x = encoder.input(x)
    for block in encoder.hidden:
        x = block(x)
    return x


# ------------------------------------------------------------------------------------------ autoencoder


class Autoencoder(nn.Module):
    """Encoder = an MLP whose head is the linear code layer; decoder = `decoder_depth` ELU layers back to the input.

    Reconstruction is mean squared error on the (standardized) inputs.
    """

    def __init__(self, config: MLPConfig, code_size: int, decoder_depth: int = 1):
        super().__init__()
        if decoder_depth < 0:
            raise ValueError(f"decoder_depth={decoder_depth!r}; it must be >= 0")
        self.encoder = MLP(config.replace(n_outputs=code_size))
        layers: list[nn.Module] = []
        fan_in = code_size
        for _ in range(decoder_depth):
            layers += [nn.Linear(fan_in, config.width), nn.ELU()]
            fan_in = config.width
        layers.append(nn.Linear(fan_in, config.n_inputs))
        self.decoder = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def pretrain_autoencoder(config: MLPConfig, X: torch.Tensor, seeds: RunSeeds, *, code_size: int = 32,
                         decoder_depth: int = 1, epochs: int = 20, batch_size: int = 64,
                         lr: float = 1e-3) -> PretrainResult:
    """Train an autoencoder on unlabeled inputs ``X``; its encoder's hidden layers are what gets reused."""
    check_features(X, "X (unlabeled inputs)")
    if X.shape[1] != config.n_inputs:
        raise ValueError(f"X has {X.shape[1]} features but the config expects n_inputs={config.n_inputs}")
    if code_size < 1:
        raise ValueError(f"code_size={code_size!r}; it must be a positive integer")
    ae = Autoencoder(config, code_size, decoder_depth)
    gen = seeds.generator("init")
    init_weights(ae.encoder, ae.encoder.config, gen)
    init_weights(ae.decoder, config, gen)  # decoder Linears take the config's (He) init too
    ae = ae.to(X.device)
    losses, diverged, t = _train_loop(ae, len(X), lambda idx: F.mse_loss(ae(X[idx]), X[idx]), epochs=epochs,
                                      batch_size=batch_size, lr=lr, data_seed=seeds.data)
    return PretrainResult(ae.encoder, losses, diverged, t)


# ------------------------------------------------------------------------------------- auxiliary task


def same_class_pairs(y: torch.Tensor, n_pairs: int, *, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    """``n_pairs`` index pairs (i, j) into ``y``, half of the same class and half of different classes, with the
    target 1 = same. i != j for same-class pairs whenever the class has two or more members."""
    if n_pairs < 2:
        raise ValueError(f"n_pairs={n_pairs!r}; it must be >= 2")
    y_cpu = y.detach().cpu()
    classes = torch.unique(y_cpu)
    if len(classes) < 2:
        raise ValueError(f"pairs need at least two classes, got {classes.tolist()}")
    members = [(y_cpu == c).nonzero().squeeze(1) for c in classes]
    cls_of = torch.searchsorted(classes, y_cpu)
    first = torch.randint(len(y_cpu), (n_pairs,), generator=generator)
    same = torch.arange(n_pairs) % 2 == 0
    # Different pairs: a class offset of 1..C-1 never lands on the anchor's own class.
    offset = torch.randint(1, len(classes), (n_pairs,), generator=generator)
    partner_cls = torch.where(same, cls_of[first], (cls_of[first] + offset) % len(classes))
    u = torch.rand(n_pairs, generator=generator)
    second = torch.empty(n_pairs, dtype=torch.long)
    for c, idx in enumerate(members):
        rows = (partner_cls == c).nonzero().squeeze(1)
        pos = (u[rows] * len(idx)).long().clamp_max(len(idx) - 1)
        pick = idx[pos]
        if len(idx) > 1:  # step to the next member rather than pair an image with itself
            pick = torch.where(pick == first[rows], idx[(pos + 1) % len(idx)], pick)
        second[rows] = pick
    return first.to(y.device), second.to(y.device), same.long().to(y.device)


class SiameseNet(nn.Module):
    """Two inputs through one shared encoder body; a linear head on [|f1 - f2|, f1 * f2] says "same" or "not"."""

    def __init__(self, encoder: MLP):
        super().__init__()
        self.encoder = encoder
        self.pair_head = nn.Linear(2 * encoder.config.width, 2)

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        f1, f2 = _body(self.encoder, torch.cat([x1, x2])).chunk(2)
        return self.pair_head(torch.cat([(f1 - f2).abs(), f1 * f2], 1))


def pretrain_pairs(config: MLPConfig, X: torch.Tensor, y: torch.Tensor, seeds: RunSeeds, *, n_pairs: int = 8192,
                   epochs: int = 5, batch_size: int = 64, lr: float = 1e-3) -> PretrainResult:
    """Train a siamese net on "are these two the same class?" pairs drawn from (X, y); reuse its encoder.

    The chapter's auxiliary task: pair labels are cheap (e.g. photos known to show one person), class labels
    of the target task are not. ``y`` only decides sameness; its classes need not be the target's.
    """
    check_features(X, "X (auxiliary inputs)")
    if X.shape[1] != config.n_inputs:
        raise ValueError(f"X has {X.shape[1]} features but the config expects n_inputs={config.n_inputs}")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels")
    gen = seeds.generator("init")
    # The encoder's own head is never used by the pairs net (a 1-unit placeholder).
    encoder = build_mlp(config.replace(n_outputs=1), generator=gen)
    net = SiameseNet(encoder)
    init_weights(net.pair_head, config, gen)
    net = net.to(X.device)
    i, j, same = same_class_pairs(y, n_pairs, generator=seeds.generator("data"))

    def batch_loss(idx: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(net(X[i[idx]], X[j[idx]]), same[idx])

    losses, diverged, t = _train_loop(net, n_pairs, batch_loss, epochs=epochs, batch_size=batch_size, lr=lr,
                                      data_seed=seeds.data)
    return PretrainResult(encoder, losses, diverged, t)


# --------------------------------------------------------------------------------- the few-labels study


@dataclass(frozen=True)
class PretrainingConfig:
    """Design of the few-labels comparisons (chosen on pilot seeds; see dnnkit/catalog/transfer.py)."""

    n_labels_per_digit: int
    fine_tune: FitConfig
    ae_epochs: int
    ae_code: int
    pair_epochs: int
    n_pairs: int

    @classmethod
    def for_profile(cls, profile: str = "quick") -> PretrainingConfig:
        if profile not in ("quick", "full"):
            raise ValueError(f"profile {profile!r}; allowed: quick, full")
        quick = profile == "quick"
        return cls(n_labels_per_digit=10, fine_tune=FitConfig(epochs=300, batch_size=32, lr=1e-3, patience=10),
                   ae_epochs=20 if quick else 50, ae_code=32, pair_epochs=2 if quick else 10,
                   n_pairs=8192 if quick else 65536)


def few_labels(split: Split, n: int, generator: torch.Generator) -> Split:
    """The same split with only ``n`` labeled training examples per class (indices into the split's own labels)."""
    idx = n_per_class(split.y_train, n, generator=generator)
    return replace(split, X_train=split.X_train[idx], y_train=split.y_train[idx],
                   description=f"{split.description}; {n} labeled per class")


def finetune_arms(encoders: dict[str, MLP | None], split: Split, fit_config: FitConfig, seeds: RunSeeds,
                  ) -> dict[str, TransferRun]:
    """Each arm's classifier (pretrained encoder's hidden layers + a fresh head, or random init for None) trained
    on ``split`` with every layer trainable; the heads, data order and budget are shared (common random numbers)."""
    out = {}
    config = source_config(split.n_features)
    for arm, encoder in encoders.items():
        if encoder is None:
            model = build_mlp(config, generator=seeds.generator("init"), device=split.X_train.device)
        else:
            model = reuse_layers(encoder, len(encoder.hidden), split.n_classes, generator=seeds.generator("init"))
        out[arm] = fit_transfer(model, split, fit_config, seeds)
    return out


@dataclass
class PretrainingRuns:
    """One seed of the few-labels study: each arm's fine-tuning run, its test accuracy, and pretraining facts."""

    seeds: RunSeeds
    labeled: Split
    runs: dict[str, TransferRun]
    test_acc: dict[str, float]
    facts: dict[str, float]

    def summary(self) -> dict[str, float]:
        out = {"n_labeled": float(len(self.labeled.y_train)), **self.facts}
        for arm, run in self.runs.items():
            out[f"{arm}_test_acc"] = self.test_acc[arm]
            out[f"{arm}_epochs"] = run.epochs
            out[f"{arm}_time_s"] = run.total_time_s
        return out


def run_pretraining(seeds: RunSeeds, *, profile: str = "quick", data: ExerciseData | None = None,
                    config: PretrainingConfig | None = None, arms: Iterable[str] = ("random", "autoencoder", "pairs"),
                    data_dir: str | Path | None = None, device: str | torch.device = "cpu",
                    dataset: str = "digits") -> PretrainingRuns:
    """Few labels of 5-9, three starts: random init, an autoencoder on every training image of the exercise (0-4
    and the 5-9 sample, labels unused), a siamese "same digit?" net on 0-4 pairs (no 5-9 information). The data is
    the exercise's for the seed (``dataset`` or ``data_dir`` as in dnnkit.studies.transfer.exercise_data)."""
    config = config or PretrainingConfig.for_profile(profile)
    data = data or exercise_data(seeds.data, data_dir=data_dir, generator=seeds.generator("data"), device=device,
                                 dataset=dataset)
    pool = data.target
    labeled = few_labels(pool, config.n_labels_per_digit,
                         torch.Generator().manual_seed(derive_seed(seeds.data, "few-labels")))
    net = source_config(pool.n_features)
    encoders: dict[str, MLP | None] = {}
    facts: dict[str, float] = {}
    arms = tuple(arms)
    unknown = set(arms) - {"random", "autoencoder", "pairs"}
    if unknown:
        raise ValueError(f"unknown arm(s) {sorted(unknown)}; allowed: random, autoencoder, pairs")
    if "random" in arms:
        encoders["random"] = None
    if "autoencoder" in arms:
        unlabeled = torch.cat([data.source.X_train, pool.X_train])
        ae = pretrain_autoencoder(net, unlabeled, seeds, code_size=config.ae_code, epochs=config.ae_epochs)
        encoders["autoencoder"] = ae.encoder
        facts.update(ae_final_mse=ae.losses[-1], ae_time_s=ae.train_time_s, ae_diverged=float(ae.diverged),
                     n_unlabeled=float(len(unlabeled)))
    if "pairs" in arms:
        pairs = pretrain_pairs(net, data.source.X_train, data.source.y_train, seeds, n_pairs=config.n_pairs,
                               epochs=config.pair_epochs)
        encoders["pairs"] = pairs.encoder
        facts.update(pairs_final_loss=pairs.losses[-1], pairs_time_s=pairs.train_time_s,
                     pairs_diverged=float(pairs.diverged))
    runs = finetune_arms(encoders, labeled, config.fine_tune, seeds)
    test = {arm: accuracy(r.result.model, pool.X_test, pool.y_test) for arm, r in runs.items()}
    return PretrainingRuns(seeds, labeled, runs, test, facts)
