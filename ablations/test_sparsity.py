"""Section: sparse models (l1, FTRL with l1, magnitude pruning).

Each test is one claim of dnnkit/catalog/sparsity.py; the claim's sentence is in its docstring. The design and
the pilot numbers that fixed it are in that catalog's docstring.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dnnkit.evidence.timing import ratio_summary
from dnnkit.nn.models import build_mlp
from dnnkit.nn.regularization import penalty
from dnnkit.nn.sparse_inference import to_csr
from dnnkit.nn.sparsity import (
    GradualPruning,
    prune_smallest,
    pruning_curve,
    softmax_regression,
    sparsity,
    sparsity_before_drop,
)
from dnnkit.train.experiment import replace_fit
from dnnkit.train.training import evaluate


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


def _pruned_acc(runs, split, fraction: float) -> list[float]:
    """Each seed's validation accuracy after one-shot global magnitude pruning of `fraction`, no fine-tuning."""
    return [evaluate(prune_smallest(r.model, fraction), split.X_val, split.y_val)[1] for r in runs.results]


@pytest.mark.claim("pruning-degrades-accuracy")
def test_pruning_degrades_accuracy(claim, digits500):
    """This will not typically lead to a very sparse model, and it may degrade the model's performance."""
    k = claim.knobs
    runs = claim.train({"normal": k.net}, digits500, k.fit)["normal"]
    split = claim.on_device(digits500)
    dense = runs.values("val_acc")
    pruned = {f: _pruned_acc(runs, split, f) for f in k.fractions}
    claim.note(unpruned_val_acc=_rounded(dense), **{f"pruned_{f:.0%}_val_acc": _rounded(v) for f, v in pruned.items()})
    gate, *others = k.fractions
    degraded = [d - k.drop for d in dense]  # "degraded": more than the declared drop below the unpruned net
    for f in (gate, *others):
        claim.decide(pruned[f], degraded, arms=(f"pruned {f:.0%}", f"unpruned - {k.drop}"),
                     label=f"val accuracy, {f:.0%} pruned (one-shot, no fine-tuning) vs unpruned - {k.drop}",
                     sensitivity=None if f == gate else f"a milder pruned fraction than the gating {gate:.0%}")


@pytest.mark.claim("l1-sparser-than-pruning")
def test_l1_sparser_than_pruning(claim, digits500):
    """For more sparsity, you can apply l1 regularization during training, which pushes the optimizer towards
    sparsity."""
    k = claim.knobs
    l1 = claim.spec.arms[0]
    fits = {l1: replace_fit(k.fit, penalty=penalty(l1=k.l1)), "plain": k.fit}
    runs = claim.train(dict.fromkeys(fits, k.net), digits500, fits)
    val = claim.on_device(digits500)
    curves = {arm: [pruning_curve(r.model, val.X_val, val.y_val, k.fractions) for r in runs[arm].results]
              for arm in fits}
    reference = [float(c["acc"].iloc[0]) for c in curves["plain"]]  # the plain net's unpruned accuracy, per seed
    reached = {arm: [sparsity_before_drop(c, ref, k.iso_tolerance) for c, ref in zip(cs, reference, strict=True)]
               for arm, cs in curves.items()}
    claim.note(sparsity_at_iso_accuracy=_rounded(reached), plain_unpruned_val_acc=_rounded(reference),
               unpruned_val_acc={arm: _rounded([c["acc"].iloc[0] for c in cs]) for arm, cs in curves.items()})
    claim.decide(reached[l1], reached["plain"], arms=(l1, "plain"),
                 label=f"sparsity with val accuracy >= plain unpruned - {k.iso_tolerance}")


@pytest.mark.claim("ftrl-l1-very-sparse")
def test_ftrl_l1_very_sparse(claim, digits500):
    """Apply Dual Averaging, often called Follow the Regularized Leader (FTRL) ... When used with l1 regularization,
    this technique often leads to very sparse models."""
    k = claim.knobs
    fits = {"FTRL + l1": k.ftrl, "Adam + l1": replace_fit(k.adam_l1, penalty=penalty(l1=k.l1))}
    linear = lambda s: softmax_regression(k.net.n_inputs, k.net.n_outputs, s.generator("init"))  # noqa: E731
    delta = claim.spec.delta
    for model in ("MLP", "softmax regression"):
        named = {f"{arm}, {model}": fit for arm, fit in fits.items()}
        runs = (claim.train(dict.fromkeys(named, k.net), digits500, named) if model == "MLP"
                else claim.train_models(dict.fromkeys(named, linear), digits500, named))
        zero = {arm: [sparsity(r.model)["zero_fraction"] for r in runs[f"{arm}, {model}"].results] for arm in fits}
        acc = {arm: runs[f"{arm}, {model}"].values("val_acc") for arm in fits}
        claim.note(**{f"exact_zero_fraction ({model})": _rounded(zero), f"val_acc ({model})": _rounded(acc)})
        claim.decide(zero["FTRL + l1"], [v + delta for v in zero["Adam + l1"]],
                     arms=("FTRL + l1", "Adam + l1 + delta"), label=f"exact zeros, {model}: FTRL above Adam + {delta}")
        claim.decide([a + k.acc_margin for a in acc["FTRL + l1"]], acc["Adam + l1"], delta=k.acc_margin,
                     arms=(f"FTRL + {k.acc_margin}", "Adam + l1"),
                     label=f"val accuracy, {model}: FTRL not worse by more than {k.acc_margin} (non-inferiority)")


@pytest.mark.claim("iterative-pruning-beats-one-shot")
def test_iterative_pruning_beats_one_shot(claim, digits500):
    """Use TensorFlow Model Optimization Toolkit (TF-MOT) to iteratively remove connections during training."""
    k = claim.knobs
    gradual = GradualPruning(k.sparsity, k.begin_step, k.end_step, every=k.every, power=k.power)
    runs = claim.train({"gradual": k.net, "normal": k.net}, digits500,
                       {"gradual": replace_fit(k.fit, after_step=[gradual]), "normal": k.fit})
    split = claim.on_device(digits500)
    one_shot = _pruned_acc(runs["normal"], split, k.sparsity)
    reached = [sparsity(r.model)["zero_fraction"] for r in runs["gradual"].results]
    claim.note(gradual_sparsity=_rounded(reached, 4), gradual_val_acc=_rounded(runs["gradual"].values("val_acc")),
               one_shot_val_acc=_rounded(one_shot), unpruned_val_acc=_rounded(runs["normal"].values("val_acc")))
    claim.decide(runs["gradual"].values("val_acc"), one_shot,
                 label=f"val accuracy at {k.sparsity:.0%} sparsity: gradual vs one-shot")


@pytest.mark.claim("sparse-model-faster")
def test_sparse_model_faster(claim, digits):
    """If you need a blazingly fast model at runtime ... you may prefer to end up with a sparse model."""
    k, s = claim.knobs, claim.seeds(n=1)[0]
    dense = prune_smallest(build_mlp(k.net, generator=s.generator("init"), device=claim.device).eval(), k.sparsity)
    csr = to_csr(dense)
    X = claim.on_device(digits).X_train[:k.batch]
    with torch.no_grad():
        gap = float((csr(X) - dense(X)).abs().max())
        timed = {}
        for batch, rows in ((k.batch, X), (k.latency_batch, X[:k.latency_batch])):
            timed[batch] = claim.time({"CSR": lambda r=rows: csr(r), "dense": lambda r=rows: dense(r)},
                                      rounds=claim.n_seeds, label=f"forward, batch {batch}")
    claim.note(max_abs_output_difference=gap, zero_fraction=sparsity(dense)["zero_fraction"],
               torch_threads=torch.get_num_threads(),
               **{f"batch_{b}": ratio_summary(t["CSR"], t["dense"]) for b, t in timed.items()})
    claim.decide(timed[k.batch]["CSR"], timed[k.batch]["dense"], label=f"forward, batch {k.batch}: CSR / dense")
    claim.decide(timed[k.latency_batch]["CSR"], timed[k.latency_batch]["dense"],
                 label=f"forward, batch {k.latency_batch}: CSR / dense",
                 sensitivity="latency at batch 1, where per-call overhead dominates the tiny products")


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
