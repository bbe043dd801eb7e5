"""Section: sparse models (l1, FTRL with l1, magnitude pruning).

Each test is one claim of dnnkit/catalog/sparsity.py; the claim's sentence is in its docstring. The design and
the pilot numbers that fixed it are in that catalog's docstring.
"""

from __future__ import annotations

import numpy as np
import pytest

from dnnkit.nn.regularization import penalty
from dnnkit.nn.sparsity import pruning_curve, sparsity, sparsity_before_drop
from dnnkit.train.experiment import replace_fit


@pytest.mark.claim("l1-gives-sparsity")
def test_l1_gives_sparsity(claim, digits500):
    """Applying a strong l1 regularization during training pushes the optimizer to zero out as many weights as it
    can: it leaves a much larger fraction of near-zero weights than l2 or no penalty; FTRL (dual averaging) with l1
    gives exact zeros."""
    k = claim.knobs
    fits = {"no penalty": k.fit, "l2 1e-3": replace_fit(k.fit, penalty=penalty(l2=k.l2)),
            "l1 1e-3": replace_fit(k.fit, penalty=penalty(l1=k.l1)), "FTRL + l1": k.ftrl}
    runs = claim.train(dict.fromkeys(fits, k.net), digits500, fits)
    measured = {arm: [sparsity(r.model, k.near_zero) for r in runs[arm].results] for arm in fits}
    near = {arm: [m["small_fraction"] for m in ms] for arm, ms in measured.items()}
    zero = {arm: [m["zero_fraction"] for m in ms] for arm, ms in measured.items()}
    claim.note(near_zero_fraction=_rounded(near), exact_zero_fraction=_rounded(zero),
               val_acc={arm: _rounded(runs[arm].values("val_acc")) for arm in fits})
    delta = claim.spec.delta
    for other in ("l2 1e-3", "no penalty"):
        claim.decide(near["l1 1e-3"], [v + delta for v in near[other]], arms=("l1 1e-3", f"{other} + delta"),
                     label=f"|w| <= {k.near_zero}: l1 above {other} + {delta}")
    claim.decide(zero["FTRL + l1"], [v + delta for v in zero["l1 1e-3"]], arms=("FTRL + l1", "Adam + l1 + delta"),
                 label=f"exact zeros: FTRL + l1 above Adam + l1 + {delta}")


@pytest.mark.claim("pruning-small-weights")
def test_pruning_small_weights(claim, digits500):
    """Training the model as usual and then setting the tiny weights to 0 will not typically lead to a very sparse
    model, and it may degrade the model's performance."""
    k = claim.knobs
    fits = {"normal": k.fit, "l1 1e-3": replace_fit(k.fit, penalty=penalty(l1=k.l1))}
    runs = claim.train(dict.fromkeys(fits, k.net), digits500, fits)
    val = claim.on_device(digits500)
    curves = {arm: [pruning_curve(r.model, val.X_val, val.y_val, k.fractions) for r in runs[arm].results]
              for arm in fits}
    dense = {arm: [float(c["acc"].iloc[0]) for c in cs] for arm, cs in curves.items()}
    reached = {arm: [sparsity_before_drop(c, float(c["acc"].iloc[0]), k.acc_tolerance) for c in cs]
               for arm, cs in curves.items()}
    pruned = [float(c.loc[c["fraction"] == k.checked_fraction, "acc"].iloc[0]) for c in curves["normal"]]
    claim.note(accuracy_vs_sparsity={arm: _median_curve(cs, k.fractions) for arm, cs in curves.items()},
               accuracy_vs_sparsity_per_seed={arm: [_rounded(c["acc"]) for c in cs] for arm, cs in curves.items()},
               sparsity_before_drop=_rounded(reached), unpruned_val_acc=_rounded(dense))
    claim.decide(reached["normal"], reached["l1 1e-3"],
                 label=f"sparsity before accuracy drops > {k.acc_tolerance}: pruning vs l1 training")
    claim.decide(dense["l1 1e-3"], dense["normal"], kind="equivalence", delta=k.dense_margin,
                 arms=("l1 1e-3 unpruned", "normal unpruned"), label="unpruned val accuracy: l1 vs normal")
    at = f"{k.checked_fraction:.0%}"
    claim.decide(pruned, dense["normal"], direction="less", delta=k.checked_drop, arms=(f"pruned {at}", "unpruned"),
                 label=f"val accuracy of the normally trained net pruned to {at} vs unpruned")


def _rounded(values, digits: int = 3):
    if isinstance(values, dict):
        return {k: _rounded(v, digits) for k, v in values.items()}
    return [round(float(v), digits) for v in values]


def _median_curve(curves, fractions) -> list[dict[str, float]]:
    """Per pruned fraction, the median sparsity and validation accuracy over seeds (the curve the table shows)."""
    acc = np.median([c["acc"].to_numpy() for c in curves], axis=0)
    sp = np.median([c["sparsity"].to_numpy() for c in curves], axis=0)
    return [{"fraction": f, "sparsity": round(float(s), 3), "median_val_acc": round(float(a), 3)}
            for f, s, a in zip(fractions, sp, acc, strict=True)]
