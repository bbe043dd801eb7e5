"""Each arm at its own learning rate: one select_lr per arm on pilot seeds, and the arm's fit at the rate it chose.

The shape of every fair comparison between activations or inits that change the best rate (DESIGN pitfall 2): the
rates come from a declared grid and pilot seeds that are never the evidence seeds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..nn.models import MLPConfig
from ..seeds import RunSeeds
from .experiment import per_arm, replace_fit, select_lr
from .training import FitConfig


@dataclass(frozen=True)
class OwnRates:
    """Per arm: the chosen rate, the fit at that rate, and the pilot table select_lr chose it from."""

    lr: dict[str, float]
    fits: dict[str, FitConfig]
    tables: dict[str, list[dict]]

    def pilot_summary(self, metric: str = "median_val_loss", digits: int = 3) -> dict[str, dict[str, float]]:
        """Per arm, the pilot metric at each rate of the grid (what a claim notes beside its evidence)."""
        return {arm: {f"{row['lr']:g}": round(row[metric], digits) for row in table} for arm, table in self.tables.items()}


def own_rates(arms: Mapping[str, MLPConfig], split, fit: FitConfig | Mapping[str, FitConfig],
              grid: Sequence[float] | Mapping[str, Sequence[float]], pilot_seeds: Sequence[RunSeeds]) -> OwnRates:
    """Choose each arm's rate from `grid` with select_lr on `pilot_seeds` (fewest epochs to the fit's target, then
    lowest median final validation loss). `split`, `fit` and `grid` are one for all arms, or a Mapping arm -> its
    own. ValueError for an empty grid or no pilot seeds."""
    pilot_seeds = list(pilot_seeds)
    grids = {arm: list(per_arm(grid, arm, "grid")) for arm in arms}
    if not all(grids.values()) or not pilot_seeds:
        shown = grids if isinstance(grid, Mapping) else list(grid)
        raise ValueError(f"own_rates needs a non-empty rate grid and pilot seeds; got grid {shown!r} and "
                         f"{len(pilot_seeds)} pilot seeds")
    fits = {arm: per_arm(fit, arm, "fit") for arm in arms}
    lr, tables = {}, {}
    for arm, config in arms.items():
        lr[arm], tables[arm] = select_lr(config, per_arm(split, arm, "split"), fits[arm], grids[arm], pilot_seeds)
    return OwnRates(lr, {arm: replace_fit(fits[arm], lr=rate) for arm, rate in lr.items()}, tables)


def own_fit_rates(net: MLPConfig, split, fits: Mapping[str, FitConfig],
                  grid: Sequence[float] | Mapping[str, Sequence[float]], pilot_seeds: Sequence[RunSeeds]) -> OwnRates:
    """The same net trained by several fits (optimizers, their hyperparameters), each at its own rate: own_rates
    with the fit (and the grid, if given per arm) varying instead of the net."""
    if not fits:
        raise ValueError("own_fit_rates needs at least one fit (arm)")
    return own_rates(dict.fromkeys(fits, net), split, fits, grid, pilot_seeds)


def best_arm(rates: OwnRates, among: Sequence[str] | None = None) -> str:
    """The arm whose pilot row at its chosen rate is best by select_lr's rule (fewest median epochs to target, then
    lowest median final validation loss), among `among` (default: every arm)."""
    def row(arm: str) -> dict:
        return next(r for r in rates.tables[arm] if r["lr"] == rates.lr[arm])
    arms = list(among if among is not None else rates.lr)
    if not arms:
        raise ValueError("best_arm needs at least one arm")
    return min(arms, key=lambda a: (row(a)["median_epochs_to_target"], row(a)["median_val_loss"]))


def select_fit(net: MLPConfig, split, variants: Mapping[str, FitConfig], pilot_seeds: Sequence[RunSeeds]
               ) -> tuple[str, list[dict]]:
    """The variant (a fit: a weight decay, betas...) with the lowest median final validation loss on `pilot_seeds`,
    and the pilot table (one row per variant: median final validation loss and accuracy)."""
    import numpy as np

    from .experiment import train_arm

    variants, pilot_seeds = dict(variants), list(pilot_seeds)
    if not variants or not pilot_seeds:
        raise ValueError(f"select_fit needs variants and pilot seeds; got {list(variants)} and {len(pilot_seeds)} seeds")
    table = []
    for name, fit in variants.items():
        runs = train_arm(name, net, split, fit, pilot_seeds)
        table.append({"variant": name, "median_val_loss": float(np.median(runs.values("val_loss", "last"))),
                      "median_val_acc": float(np.median(runs.values("val_acc", "last")))})
    return min(table, key=lambda r: r["median_val_loss"])["variant"], table
