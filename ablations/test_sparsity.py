"""Section: sparse models (l1, FTRL with l1, magnitude pruning).

Each test is one claim of dnnkit/catalog/sparsity.py; the claim's sentence is in its docstring. The design and
the pilot numbers that fixed it are in that catalog's docstring.
"""

from __future__ import annotations

import numpy as np
import pytest

from dnnkit.nn.models import MLPConfig
from dnnkit.nn.regularization import penalty
from dnnkit.nn.sparsity import pruning_curve, sparsity, sparsity_before_drop
from dnnkit.train.experiment import replace_fit
from dnnkit.train.training import FitConfig

NET = MLPConfig(n_inputs=64, n_outputs=10, depth=2, width=100)
FIT = FitConfig(epochs=20, batch_size=64, optimizer="adam", lr=0.01)
L1, L2 = penalty(l1=1e-3), penalty(l2=1e-3)
FTRL_L1 = replace_fit(FIT, optimizer="ftrl", lr=0.5, optimizer_params={"l1": 0.03})
NEAR_ZERO = 0.01  # |w| <= 0.01: near zero (declared in the catalog)
FRACTIONS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99)
ACC_TOLERANCE = 0.01


@pytest.mark.claim("l1-gives-sparsity")
def test_l1_gives_sparsity(claim, digits500):
    """Applying a strong l1 regularization during training pushes the optimizer to zero out as many weights as it
    can: it leaves a much larger fraction of near-zero weights than l2 or no penalty; FTRL (dual averaging) with l1
    gives exact zeros."""
    fits = {"no penalty": FIT, "l2 1e-3": replace_fit(FIT, penalty=L2), "l1 1e-3": replace_fit(FIT, penalty=L1),
            "FTRL + l1": FTRL_L1}
    runs = claim.train(dict.fromkeys(fits, NET), digits500, fits)
    measured = {arm: [sparsity(r.model, NEAR_ZERO) for r in runs[arm].results] for arm in fits}
    near = {arm: [m["small_fraction"] for m in ms] for arm, ms in measured.items()}
    zero = {arm: [m["zero_fraction"] for m in ms] for arm, ms in measured.items()}
    claim.note(near_zero_fraction=_rounded(near), exact_zero_fraction=_rounded(zero),
               val_acc={arm: _rounded(runs[arm].values("val_acc")) for arm in fits})
    delta = claim.spec.delta
    for other in ("l2 1e-3", "no penalty"):
        claim.decide(near["l1 1e-3"], [v + delta for v in near[other]], arms=("l1 1e-3", f"{other} + delta"),
                     label=f"|w| <= {NEAR_ZERO}: l1 above {other} + {delta}")
    claim.decide(zero["FTRL + l1"], [v + delta for v in zero["l1 1e-3"]], arms=("FTRL + l1", "Adam + l1 + delta"),
                 label=f"exact zeros: FTRL + l1 above Adam + l1 + {delta}")


@pytest.mark.claim("pruning-small-weights")
def test_pruning_small_weights(claim, digits500):
    """Training the model as usual and then setting the tiny weights to 0 will not typically lead to a very sparse
    model, and it may degrade the model's performance."""
    fits = {"normal": FIT, "l1 1e-3": replace_fit(FIT, penalty=L1)}
    runs = claim.train(dict.fromkeys(fits, NET), digits500, fits)
    val = claim.on_device(digits500)
    curves = {arm: [pruning_curve(r.model, val.X_val, val.y_val, FRACTIONS) for r in runs[arm].results] for arm in fits}
    dense = {arm: [float(c["acc"].iloc[0]) for c in cs] for arm, cs in curves.items()}
    reached = {arm: [sparsity_before_drop(c, float(c["acc"].iloc[0]), ACC_TOLERANCE) for c in cs]
               for arm, cs in curves.items()}
    acc_at_90 = [float(c.loc[c["fraction"] == 0.9, "acc"].iloc[0]) for c in curves["normal"]]
    claim.note(accuracy_vs_sparsity={arm: _median_curve(cs) for arm, cs in curves.items()},
               accuracy_vs_sparsity_per_seed={arm: [_rounded(c["acc"]) for c in cs] for arm, cs in curves.items()},
               sparsity_before_drop=_rounded(reached), unpruned_val_acc=_rounded(dense))
    claim.decide(reached["normal"], reached["l1 1e-3"],
                 label=f"sparsity before accuracy drops > {ACC_TOLERANCE}: pruning vs l1 training")
    claim.decide(dense["l1 1e-3"], dense["normal"], kind="equivalence", delta=0.02,
                 arms=("l1 1e-3 unpruned", "normal unpruned"), label="unpruned val accuracy: l1 vs normal")
    claim.decide(acc_at_90, dense["normal"], direction="less", delta=0.05, arms=("pruned 90%", "unpruned"),
                 label="val accuracy of the normally trained net pruned to 90% vs unpruned")


def _rounded(values, digits: int = 3):
    if isinstance(values, dict):
        return {k: _rounded(v, digits) for k, v in values.items()}
    return [round(float(v), digits) for v in values]


def _median_curve(curves) -> list[dict[str, float]]:
    """Per pruned fraction, the median sparsity and validation accuracy over seeds (the curve the table shows)."""
    acc = np.median([c["acc"].to_numpy() for c in curves], axis=0)
    sp = np.median([c["sparsity"].to_numpy() for c in curves], axis=0)
    return [{"fraction": f, "sparsity": round(float(s), 3), "median_val_acc": round(float(a), 3)}
            for f, s, a in zip(FRACTIONS, sp, acc, strict=True)]
