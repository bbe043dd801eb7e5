"""PNG figures of a result set (results/claims.json + runs.csv): what people would rather look at than read.

matplotlib is an optional extra (`pip install -e ".[plots]"`); without it `write_plots` raises `PlotsUnavailable`
and `plots_or_hint` returns the line that says how to get the plots. Every figure reads whatever claims exist by id
or by the shape of their notes and is skipped, with its reason, when they are missing; figures are written
atomically, without pyplot (no global backend is switched for the caller).
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .results.storage import load_results
from .train.checkpoints import atomic_write_bytes

PLOTS_HINT = ('plots need matplotlib, which is not installed: pip install -e ".[plots]", '
              "then python -m dnnkit.report --plots (or rerun with --results-dir)")

# figure file -> (title, claim ids whose per-epoch runs it draws, in order)
LEARNING_CURVES: dict[str, tuple[str, tuple[str, ...]]] = {
    "curves_batch_norm.png": ("Batch norm vs none", ("bn-faster-convergence", "bn-allows-larger-lr",
                                                     "bn-less-init-sensitive")),
    "curves_optimizers.png": ("Optimizers", ("adagrad-stops-early", "adaptive-beats-sgd-ill-conditioned",
                                             "adamw-decouples-weight-decay")),
    "curves_schedules.png": ("Learning-rate schedules", ("schedules-speed-convergence", "one-cycle-best",
                                                         "lr-finder-trains")),
    "curves_dropout.png": ("Dropout vs none", ("dropout-slows-convergence", "dropout-reduces-overfitting")),
}
CURVE_METRICS = (("train_loss", "training loss", True), ("val_acc", "validation accuracy", False))
_EVERY = re.compile(r"^(?P<label>.*?)\s*mean/std every (?P<k>\d+) layers?$")
_ACC_KEYS = ("accuracy", "val_acc", "median_val_acc", "acc", "test_acc")


class PlotsUnavailable(RuntimeError):
    """matplotlib is missing; the message says how to install it."""


@dataclass
class PlotReport:
    """What one call wrote and what it skipped (figure -> reason)."""

    written: list[Path] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [f"dnnkit: {len(self.written)} plot(s) written: " + ", ".join(str(p) for p in self.written)]
        lines += [f"  skipped {name}: {why}" for name, why in self.skipped.items()]
        return "\n".join(lines)


def _matplotlib() -> tuple[Any, Any]:
    """(Figure, FigureCanvasAgg), imported lazily; PlotsUnavailable with the install hint when missing."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotsUnavailable(PLOTS_HINT) from None
    return Figure, FigureCanvasAgg


def have_matplotlib() -> bool:
    try:
        _matplotlib()
    except PlotsUnavailable:
        return False
    return True


def save_png(fig: Any, path: Path, dpi: int = 110) -> Path:
    """Render `fig` and write it atomically (no half-written PNG)."""
    _, canvas_cls = _matplotlib()
    canvas_cls(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    atomic_write_bytes(path, buffer.getvalue())
    return path


def new_figure(n_panels: int, rows: int = 1, width: float = 4.6, height: float = 3.4) -> tuple[Any, np.ndarray]:
    """A matplotlib Figure (no pyplot state) and its rows x n_panels axes."""
    figure_cls, _ = _matplotlib()
    fig = figure_cls(figsize=(width * n_panels, height * rows))
    axes = np.atleast_2d(fig.subplots(rows, n_panels, squeeze=False))
    return fig, axes


def _numbers(values: Any) -> list[float] | None:
    """A list of finite-or-not floats (JSON's "inf" strings included), or None if `values` is not one."""
    if not isinstance(values, list) or not values:
        return None
    out = []
    for v in values:
        if isinstance(v, bool):
            return None
        if isinstance(v, (int, float)):
            out.append(float(v))
        elif v in ("inf", "-inf", "nan"):
            out.append(float(v))
        else:
            return None
    return out


# ------------------------------------------------------------------------------------------------------------
# learning curves (runs.csv)
# ------------------------------------------------------------------------------------------------------------


def _band(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per (arm, epoch): median and quartiles over the seeds (a diverged run's inf stays out of the band)."""
    values = frame[["arm", "epoch", metric]].replace([np.inf, -np.inf], np.nan)
    grouped = values.groupby(["arm", "epoch"])[metric]
    return pd.DataFrame({"q25": grouped.quantile(0.25), "median": grouped.median(),
                         "q75": grouped.quantile(0.75)}).reset_index()


def plot_learning_curves(runs: pd.DataFrame, out_dir: Path, report: PlotReport) -> None:
    for name, (title, claim_ids) in LEARNING_CURVES.items():
        present = [c for c in claim_ids if not runs.empty and (runs["claim"] == c).any()]
        if not present:
            report.skipped[name] = f"no per-epoch runs of {', '.join(claim_ids)} in runs.csv"
            continue
        metrics = [m for m in CURVE_METRICS if m[0] in runs.columns]
        fig, axes = new_figure(len(present), rows=len(metrics))
        for col, claim_id in enumerate(present):
            frame = runs[runs["claim"] == claim_id]
            for row, (metric, label, log) in enumerate(metrics):
                ax = axes[row, col]
                for arm, band in _band(frame, metric).groupby("arm", sort=False):
                    line = ax.plot(band["epoch"], band["median"], label=str(arm))[0]
                    ax.fill_between(band["epoch"], band["q25"], band["q75"], alpha=0.2, color=line.get_color())
                if log and (frame[metric].replace([np.inf, -np.inf], np.nan).dropna() > 0).all():
                    ax.set_yscale("log")
                ax.set_xlabel("epoch")
                ax.set_ylabel(label)
                ax.set_title(claim_id if row == 0 else "", fontsize=9)
                ax.grid(alpha=0.3)
            axes[0, col].legend(fontsize=7)
        fig.suptitle(f"{title}: median over seeds, band = quartiles")
        report.written.append(save_png(fig, out_dir / name))


# ------------------------------------------------------------------------------------------------------------
# figures from claim notes
# ------------------------------------------------------------------------------------------------------------


def _notes(claims: list[dict]) -> Iterable[tuple[str, str, Any]]:
    for record in claims:
        for key, value in (record.get("notes") or {}).items():
            yield record["id"], key, value


def _per_arm(value: Any) -> dict[str, list[float]] | None:
    """{arm: [numbers]} or None."""
    if not isinstance(value, dict) or not value:
        return None
    out = {str(arm): _numbers(v) for arm, v in value.items()}
    return out if all(v is not None for v in out.values()) else None


def plot_dead_units(claims: list[dict], out_dir: Path, report: PlotReport) -> None:
    name = "dead_units.png"
    found = [(cid, key, arms) for cid, key, v in _notes(claims) if "dead" in key.lower()
             and (arms := _per_arm(v)) is not None]
    if not found:
        report.skipped[name] = "no claim notes with dead-unit counts per activation (e.g. dying-relu)"
        return
    fig, axes = new_figure(len(found))
    for ax, (cid, key, arms) in zip(axes[0], found, strict=True):
        rng = np.random.default_rng(0)  # horizontal jitter only, so the figure is reproducible
        for i, values in enumerate(arms.values()):
            ax.scatter(i + rng.uniform(-0.15, 0.15, len(values)), values, s=14, alpha=0.7)
            ax.hlines(np.median(values), i - 0.3, i + 0.3, color="black")
        ax.set_xticks(range(len(arms)), list(arms), rotation=20)
        ax.set_ylabel(key.replace("_", " "))
        ax.set_title(f"{cid}: one dot per seed, bar = median", fontsize=9)
        ax.grid(alpha=0.3, axis="y")
    report.written.append(save_png(fig, out_dir / name))


def _layer_std_series(claims: list[dict]) -> list[tuple[str, list[int], list[float], bool]]:
    """(label, 1-based layers, std per layer, is_selu_claim) from notes "<label> mean/std every k layers" (pairs)
    and "<...>by_layer<...>" ({arm: per-layer values}; a key naming the variance is square-rooted)."""
    series = []
    for cid, key, value in _notes(claims):
        match = _EVERY.match(key)
        if match and isinstance(value, list) and all(isinstance(p, list) and len(p) == 2 for p in value):
            k = int(match["k"])
            stds = _numbers([p[1] for p in value])
            if stds is not None:
                label = f"{cid}: {match['label'].replace(' seed0', '')}"
                series.append((label, [i * k + 1 for i in range(len(stds))], stds, "selu" in cid))
        elif "by_layer" in key and (arms := _per_arm(value)) is not None:
            variance = "var" in key.lower()
            for arm, values in arms.items():
                stds = [math.sqrt(v) if variance and v >= 0 else v for v in values]
                series.append((f"{cid}: {arm}", list(range(1, len(stds) + 1)), stds, "selu" in arm.lower()))
    return series


def plot_activation_std(claims: list[dict], out_dir: Path, report: PlotReport) -> None:
    name = "activation_std_by_layer.png"
    series = _layer_std_series(claims)
    if not series:
        report.skipped[name] = "no per-layer activation statistics in claim notes (e.g. selu-self-normalizes)"
        return
    fig, axes = new_figure(1, width=7.5, height=4.5)
    ax = axes[0, 0]
    for label, layers, stds, selu in series:
        ax.plot(layers, stds, "-" if selu else "--", marker="o" if selu else None, markersize=3, label=label)
    ax.axhline(1.0, color="black", lw=0.8)
    if all(s > 0 for _, _, stds, _ in series for s in stds):
        ax.set_yscale("log")
    ax.set_xlabel("hidden layer")
    ax.set_ylabel("std of the layer's outputs (seed 0, at init)")
    ax.set_title("Per-layer activation std: SELU (solid) vs others (dashed)", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    report.written.append(save_png(fig, out_dir / name))


def _curve(value: Any) -> tuple[list[float], list[float]] | None:
    """(sparsity, accuracy) from {"sparsity": [...], "accuracy": [...]}, [{"sparsity": s, "accuracy": a}, ...] or
    [[s, a], ...]; None for anything else."""
    if isinstance(value, dict) and "sparsity" in value:
        acc_key = next((k for k in _ACC_KEYS if k in value), None)
        s, a = _numbers(value["sparsity"]), _numbers(value.get(acc_key))
        return (s, a) if s is not None and a is not None and len(s) == len(a) else None
    if isinstance(value, list) and value and all(isinstance(p, dict) and "sparsity" in p for p in value):
        acc_key = next((k for k in _ACC_KEYS if k in value[0]), None)
        pairs = _numbers([p["sparsity"] for p in value]), _numbers([p.get(acc_key) for p in value])
        return pairs if None not in pairs else None
    if isinstance(value, list) and value and all(isinstance(p, list) and len(p) == 2 for p in value):
        s, a = _numbers([p[0] for p in value]), _numbers([p[1] for p in value])
        return (s, a) if s is not None and a is not None else None
    return None


def _sparsity_series(claims: list[dict]) -> list[tuple[str, list[float], list[float], bool]]:
    """(label, sparsity, accuracy, is_curve): curves from notes keys naming sparsity, and per-seed scatter when a
    claim notes {arm: sparsity per seed} next to {arm: accuracy per seed} for the same arms."""
    out = []
    for record in claims:
        notes = record.get("notes") or {}
        for key, value in notes.items():
            if "sparsity" not in key.lower():
                continue
            curve = _curve(value)
            if curve is not None:
                out.append((f"{record['id']}: {key}", *curve, True))
                continue
            if isinstance(value, dict) and all(_curve(v) is not None for v in value.values()) and value:
                out += [(f"{record['id']}: {arm}", *_curve(v), True) for arm, v in value.items()]
                continue
            sparsity = _per_arm(value)
            acc = next((_per_arm(notes[k]) for k in notes if k.lower() in _ACC_KEYS and _per_arm(notes[k])), None)
            if sparsity and acc:
                out += [(f"{record['id']}: {arm}", s, acc[arm], False) for arm, s in sparsity.items()
                        if arm in acc and len(acc[arm]) == len(s)]
    return out


def plot_sparsity(claims: list[dict], out_dir: Path, report: PlotReport) -> None:
    name = "sparsity_vs_accuracy.png"
    series = _sparsity_series(claims)
    if not series:
        report.skipped[name] = ("no sparsity/accuracy evidence in claim notes (e.g. pruning-small-weights noting "
                                "accuracy_vs_sparsity={'sparsity': [...], 'accuracy': [...]})")
        return
    fig, axes = new_figure(1, width=6.5, height=4.5)
    ax = axes[0, 0]
    for label, sparsity, accuracy, is_curve in series:
        if is_curve:
            order = np.argsort(sparsity)
            ax.plot(np.asarray(sparsity)[order], np.asarray(accuracy)[order], marker="o", markersize=3, label=label)
        else:
            ax.scatter(sparsity, accuracy, s=14, label=label)
    ax.set_xlabel("sparsity (fraction of zero weights)")
    ax.set_ylabel("accuracy")
    ax.set_title("Sparsity vs accuracy", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    report.written.append(save_png(fig, out_dir / name))


def _objective_series(claims: list[dict]) -> list[tuple[str, dict[str, tuple[list[float], list[float]]]]]:
    """(claim id, {arm: (steps, objective)}) from notes "objective_curves" = {arm: {"steps": [...], "objective":
    [...]}} (one seed's training objective per arm, e.g. sgd-batch1-noisy)."""
    out = []
    for record in claims:
        value = (record.get("notes") or {}).get("objective_curves")
        if not isinstance(value, dict) or not value:
            continue
        arms = {}
        for arm, curve in value.items():
            steps = _numbers(curve.get("steps")) if isinstance(curve, dict) else None
            objective = _numbers(curve.get("objective")) if isinstance(curve, dict) else None
            if steps is not None and objective is not None and len(steps) == len(objective):
                arms[arm] = (steps, objective)
        if arms:
            out.append((record["id"], arms))
    return out


def plot_objective_curves(claims: list[dict], out_dir: Path, report: PlotReport) -> None:
    """One panel per claim: the training objective per step of each arm (batch size), log scale: batch 1 wanders
    around the minimum, the full batch slides into it."""
    name = "minibatch_objective.png"
    series = _objective_series(claims)
    if not series:
        report.skipped[name] = ("no objective curves in claim notes (e.g. sgd-batch1-noisy noting "
                                "objective_curves={arm: {'steps': [...], 'objective': [...]}})")
        return
    fig, axes = new_figure(len(series), width=6.5, height=4.0)
    for ax, (claim_id, arms) in zip(axes.flat, series, strict=False):  # the grid may have spare axes
        for arm, (steps, objective) in arms.items():
            ax.plot(steps, objective, linewidth=1, label=arm)
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("training objective (first seed)")
        ax.set_title(claim_id, fontsize=10)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    report.written.append(save_png(fig, out_dir / name))


# ------------------------------------------------------------------------------------------------------------
# entry points
# ------------------------------------------------------------------------------------------------------------


def _read_runs(results_dir: Path) -> pd.DataFrame:
    path = results_dir / "runs.csv"
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame()
    try:
        return pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise ValueError(f"cannot read {str(path)!r}: {err}") from None


def write_plots(results_dir: str | Path, out_dir: str | Path | None = None) -> PlotReport:
    """Draw every figure the result set has evidence for; PNGs go to `out_dir` (default: the results dir)."""
    _matplotlib()
    results_dir = Path(results_dir)
    out = Path(out_dir) if out_dir is not None else results_dir
    claims = load_results(results_dir)["claims"]
    runs = _read_runs(results_dir)
    report = PlotReport()
    for draw in (plot_dead_units, plot_activation_std, plot_sparsity, plot_objective_curves):
        draw(claims, out, report)
    plot_learning_curves(runs, out, report)
    return report


def plots_or_hint(results_dir: str | Path) -> str:
    """For the end of a run: which plots were written (and skipped), or how to get them without matplotlib."""
    try:
        return write_plots(results_dir).summary()
    except PlotsUnavailable as err:
        return f"dnnkit: {err}"
    except (ValueError, OSError, json.JSONDecodeError) as err:
        return f"dnnkit: no plots: {err}"
