"""Section: Batch Normalization — faster convergence, larger learning rates, robustness to a poor init, moving
statistics at test time, and folding BN into the previous layer for faster predictions.

Each test is one claim of dnnkit/catalog/batch_norm.py; the claim's sentence is in its docstring. The shared
design and the pilot numbers behind every choice are in that catalog's docstring.
"""

from __future__ import annotations

import copy
import time
from functools import partial

import pytest
import torch
from torch import nn

from dnnkit.evidence.knobs import fmt, sci
from dnnkit.evidence.timing import interleaved_rounds, ratio_summary
from dnnkit.nn.batchnorm import fold_batchnorm
from dnnkit.nn.models import MLPConfig
from dnnkit.train.experiment import replace_fit, select_lr
from dnnkit.train.training import FitConfig

WALL_CLOCK = ("the timer the claim was first decided with (wall clock): other processes' load inflates its "
              "blocks, so on a loaded machine it is noisy (base 0, load ~5 on 2 cores: batch 1024 inconclusive)")


def with_and_without_bn(config: MLPConfig) -> dict[str, MLPConfig]:
    """The two arms: BN before every activation, and the same net without it (same init and data streams)."""
    return {"BN": config.replace(batch_norm="before"), "plain": config}


def accuracy_gap(claim, split, config: MLPConfig, fit: FitConfig, what: str, stalled: float) -> None:
    """Train the net with and without BN on the claim's seeds; decide BN's val accuracy above plain's + delta."""
    runs = claim.train({f"{arm} ({what})": cfg for arm, cfg in with_and_without_bn(config).items()}, split, fit)
    acc = {arm: r.values("val_acc") for arm, r in runs.items()}
    claim.note(**{f"val_acc {arm}": [round(a, 3) for a in v] for arm, v in acc.items()},
               **{f"diverged {arm}": sum(x.diverged for x in r.results) for arm, r in runs.items()},
               **{f"stalled (< {stalled}) {arm}": sum(a < stalled for a in v) for arm, v in acc.items()})
    bn, plain = acc.values()
    claim.decide(bn, plain, arms=tuple(acc), label=f"val accuracy, {what}")


@pytest.mark.claim("bn-faster-convergence")
def test_bn_faster_convergence(claim, digits):
    """A deep network with Batch Normalization converges faster: it reaches a target validation accuracy in fewer
    epochs than the same network without it."""
    digits = claim.on_device(digits)  # select_lr trains outside claim.train
    k = claim.knobs
    arms = with_and_without_bn(k.net)
    pilots = {arm: select_lr(cfg, digits, k.fit, k.lr_grid, claim.pilot_seeds(k.pilot_seeds))
              for arm, cfg in arms.items()}
    runs = claim.train(arms, digits, {arm: replace_fit(k.fit, lr=lr) for arm, (lr, _) in pilots.items()})
    claim.note(lr={arm: lr for arm, (lr, _) in pilots.items()},
               pilot_median_epochs={arm: {f"{row['lr']:g}": row["median_epochs_to_target"] for row in table}
                                    for arm, (_, table) in pilots.items()})
    claim.decide(runs["BN"].epochs_to_target(), runs["plain"].epochs_to_target())


@pytest.mark.claim("bn-allows-larger-lr")
def test_bn_allows_larger_lr(claim, digits):
    """Batch Normalization lets you use much larger learning rates: at a rate where the plain network diverges or
    stalls, the network with BN trains."""
    k = claim.knobs
    accuracy_gap(claim, digits, k.net, k.fit, f"Adam lr {k.fit.lr:g}", k.stalled)


@pytest.mark.claim("bn-less-init-sensitive")
def test_bn_less_init_sensitive(claim, digits):
    """Batch Normalization makes networks much less sensitive to the weight initialization: with a poor
    initialization (tiny N(0, 0.01) weights, or sigmoid with N(0, 1) weights) the network with BN still trains while
    the plain one does not."""
    k = claim.knobs
    tiny = k.net.replace(weight_init="normal", weight_init_params={"std": k.tiny_std})
    sigmoid = k.net.replace(activation="sigmoid", weight_init="normal", weight_init_params={"std": k.sigmoid_std})
    accuracy_gap(claim, digits, tiny, k.fit, f"ELU, N(0, {k.tiny_std}) weights", k.stalled)
    accuracy_gap(claim, digits, sigmoid, k.fit, f"sigmoid, N(0, {k.sigmoid_std:g}) weights", k.stalled)


def trained_chapter_bn(claim, split, chapter) -> list[nn.Module]:
    """The chapter's BN model trained briefly per seed, so its moving statistics are no longer the initial (0, 1)."""
    runs = claim.train({"chapter BN model": chapter.net}, split, chapter.fit)
    return [r.model.eval() for r in runs["chapter BN model"].results]


@torch.no_grad()
def companion_effect(model: nn.Module, X: torch.Tensor, g: torch.Generator, n: int) -> dict[str, float]:
    """How much one example's logits move when its n batch companions change (and vs. the example alone)."""
    idx = torch.randperm(len(X), generator=g)
    x, batch_a, batch_b = X[idx[:1]], X[idx[:1 + n]], torch.cat([X[idx[:1]], X[idx[1 + n:1 + 2 * n]]])
    out = {"eval_alone_vs_a": (model(x) - model(batch_a)[:1]).abs().max().item(),
           "eval_a_vs_b": (model(batch_a)[:1] - model(batch_b)[:1]).abs().max().item()}
    train_copy = copy.deepcopy(model).train()  # a copy: train-mode passes would move the moving statistics
    out["train_a_vs_b"] = (train_copy(batch_a)[:1] - train_copy(batch_b)[:1]).abs().max().item()
    out["logit_scale"] = model(x).abs().max().item()
    return out


@pytest.mark.claim("bn-eval-uses-moving-stats")
def test_bn_eval_uses_moving_stats(claim, digits):
    """At test time Batch Normalization uses the moving averages of the mean and standard deviation estimated during
    training, so one example's prediction does not depend on the rest of its batch; in training mode it does (the
    batch's own statistics are used)."""
    digits = claim.on_device(digits)  # the validation examples meet the trained models on the claim's device
    k = claim.knobs
    effects = [companion_effect(m, digits.X_val, s.generator("data"), k.companions)
               for m, s in zip(trained_chapter_bn(claim, digits, k.model), claim.seeds(), strict=True)]
    claim.note(**{key: [f"{e[key]:.2e}" for e in effects] for key in effects[0]})
    tol = [k.eval_atol + k.eval_rtol * e["logit_scale"] for e in effects]
    claim.decide([max(e["eval_alone_vs_a"], e["eval_a_vs_b"]) <= t for e, t in zip(effects, tol, strict=True)],
                 arms=("eval mode", "B"), label="eval mode: logits equal alone and with either batch")
    claim.decide([e["train_a_vs_b"] > k.train_min_diff for e in effects], arms=("train mode", "B"),
                 label=f"train mode: logits change with the batch companions (> {sci(k.train_min_diff)})")


@pytest.mark.claim("bn-folding-same-output-faster")
def test_bn_folding_same_output_faster(claim, digits):
    """For low latency, fold the Batch Normalization layers into the previous layers: the folded model gives the
    same outputs and makes faster predictions (BN otherwise adds computations at prediction time)."""
    digits = claim.on_device(digits)
    k = claim.knobs
    models = trained_chapter_bn(claim, digits, k.model)
    folded = [fold_batchnorm(m) for m in models]
    X = digits.X_val
    with torch.no_grad():
        same = [torch.allclose(f(X), m(X), rtol=k.rtol, atol=k.atol)
                and not any(isinstance(x, nn.BatchNorm1d) for x in f.modules()) for f, m in zip(folded, models, strict=True)]
        max_diff = [(f(X) - m(X)).abs().max().item() for f, m in zip(folded, models, strict=True)]
    claim.decide(same, kind="exact", arms=("folded", "B"), label=f"folded outputs equal the model's ({fmt(k.rtol)})")
    ratios = {}
    # The declared timer (dnnkit.timing.default_timer: the process clock for 1-thread CPU work), and as a
    # sensitivity the wall clock the claim was first timed with (amendment in the catalog).
    for clock, timer, why in (("default timer", None, None), ("wall clock", time.perf_counter, WALL_CLOCK)):
        for batch, min_effect in k.min_effect.items():
            xb = digits.X_train[:batch]
            t = interleaved_rounds({"folded": partial(folded[0], xb), "unfolded": partial(models[0], xb)},
                                   rounds=k.rounds, min_block_s=k.block_ms / 1000, device=claim.device, timer=timer)
            ratios[f"{clock}, batch {batch}"] = ratio_summary(t["folded"], t["unfolded"])
            claim.decide(t["folded"], t["unfolded"], label=f"eval forward, batch {batch} ({clock}), faster by > "
                         f"{min_effect:.0%}", min_effect=min_effect, sensitivity=why)
    claim.note(max_abs_difference=[f"{d:.1e}" for d in max_diff], folded_over_unfolded=ratios,
               torch_threads=torch.get_num_threads())
