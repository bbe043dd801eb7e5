"""Each arm at its own learning rate: one select_lr per arm on pilot seeds, and the arm's fit at the rate it chose.

The shape of every fair comparison between activations or inits that change the best rate (DESIGN pitfall 2): the
rates come from a declared grid and pilot seeds that are never the evidence seeds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..nn.models import MLPConfig
from ..seeds import RunSeeds
from .experiment import replace_fit, select_lr
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


def own_rates(arms: Mapping[str, MLPConfig], split, fit: FitConfig, grid: Sequence[float],
              pilot_seeds: Sequence[RunSeeds]) -> OwnRates:
    """Choose each arm's rate from `grid` with select_lr on `pilot_seeds` (fewest epochs to the fit's target, then
    lowest median final validation loss). ValueError for an empty grid or no pilot seeds."""
    grid, pilot_seeds = list(grid), list(pilot_seeds)
    if not grid or not pilot_seeds:
        raise ValueError(f"own_rates needs a non-empty rate grid and pilot seeds; got grid {grid!r} and "
                         f"{len(pilot_seeds)} pilot seeds")
    lr, tables = {}, {}
    for arm, config in arms.items():
        lr[arm], tables[arm] = select_lr(config, split, fit, grid, pilot_seeds)
    return OwnRates(lr, {arm: replace_fit(fit, lr=rate) for arm, rate in lr.items()}, tables)
