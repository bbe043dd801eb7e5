"""Section: Batch Normalization — faster convergence, larger learning rates, robustness to a poor init, moving
statistics at test time, folding BN into the previous layer for faster predictions; and (part B) what a BN layer
outputs, its place, its cost per prediction and per epoch, wall time, regularization (and its batch-size and dropout
interactions), covariate shift, the final model, depth, and SELU in its place.

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
from dnnkit.evidence.timing import ratio_summary
from dnnkit.nn.batchnorm import (
    batchnorm_io,
    float_sum_tolerance,
    fold_batchnorm,
    randomize_affine,
    standardization_errors,
)
from dnnkit.nn.covariate_shift import covariate_shift
from dnnkit.nn.models import MLPConfig, build_mlp
from dnnkit.train.epoch_cost import epoch_runner, in_reference_epochs
from dnnkit.train.experiment import ArmRuns, replace_fit, select_lr
from dnnkit.train.generalization import gap_reduction, gaps, per_class_subset, per_seed_gain
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
            t = claim.time({"folded": partial(folded[0], xb), "unfolded": partial(models[0], xb)}, rounds=k.rounds,
                           min_block_s=k.block_ms / 1000, timer=timer, label=f"eval forward, batch {batch} ({clock})")
            ratios[f"{clock}, batch {batch}"] = ratio_summary(t["folded"], t["unfolded"])
            claim.decide(t["folded"], t["unfolded"], label=f"eval forward, batch {batch} ({clock}), faster by > "
                         f"{min_effect:.0%}", min_effect=min_effect, sensitivity=why)
    claim.note(max_abs_difference=[f"{d:.1e}" for d in max_diff], folded_over_unfolded=ratios,
               torch_threads=torch.get_num_threads())


# ---------------------------------------------------------------------------------------------- part B (issue 21)


def bn_and_plain(claim, net: MLPConfig, split, fit, tag: str = "") -> tuple[ArmRuns, ArmRuns]:
    """The net with BN before every activation and without it, same seeds (init and data order), trained by the
    claim; `fit` is one FitConfig or a Mapping {"BN": ..., "plain": ...}."""
    names = {"BN": f"BN{tag}", "plain": f"plain{tag}"}
    fits = {names[arm]: f for arm, f in fit.items()} if isinstance(fit, dict) else fit
    runs = claim.train({names["BN"]: net.replace(batch_norm="before"), names["plain"]: net}, split, fits)
    return runs[names["BN"]], runs[names["plain"]]


def rounded(values, digits: int = 3) -> list[float]:
    return [round(v, digits) for v in values]


@pytest.mark.claim("bn-output-standardized")
def test_bn_output_standardized(claim, digits):
    """[BN] calculates mean and stdev for each batch ... Output = gamma times rescaled inputs + shift."""
    k = claim.knobs
    X = claim.on_device(digits).X_train
    exact, near_gamma, control, worst = [], [], [], []
    for s in claim.seeds():
        model = randomize_affine(build_mlp(k.net, generator=s.generator("init"), device=claim.device),
                                 s.generator("init"), k.gamma_low, k.gamma_high, k.beta_std)
        idx = torch.randperm(len(X), generator=s.generator("data"))[:2 * k.batch].to(X.device)
        errs = [(standardization_errors(bn, x, y), len(x)) for part in (idx[:k.batch], idx[k.batch:])
                for bn, x, y in batchnorm_io(model, X[part])]
        tol = [float_sum_tolerance(n, e["scale"]) for e, n in errs]
        exact.append(all(e["mean_vs_beta"] <= t and e["std_vs_exact"] <= t for (e, _), t in zip(errs, tol, strict=True)))
        near_gamma.append(all(e["std_vs_gamma"] <= e["eps_bound"] + t for (e, _), t in zip(errs, tol, strict=True)))
        worst.append({key: max(e[key] / t for (e, _), t in zip(errs, tol, strict=True))
                      for key in ("mean_vs_beta", "std_vs_exact")})
        evals = [standardization_errors(bn, x, y)["mean_vs_beta"] for bn, x, y in
                 batchnorm_io(model, X[idx[:k.batch]], training=False)]
        control.append(max(evals))
    claim.note(worst_error_over_tolerance={key: [f"{w[key]:.2g}" for w in worst] for key in worst[0]},
               eval_mode_mean_vs_beta=rounded(control))
    claim.decide(exact, arms=("train-mode BN output", "B"),
                 label="mean == beta and biased std == |gamma| sigma/sqrt(sigma^2 + eps), within float32 rounding")
    claim.decide(near_gamma, arms=("train-mode BN output", "B"), label="std == |gamma| within eps's shrinkage")
    claim.decide([c > k.control_min for c in control], arms=("eval-mode control", "B"),
                 label=f"control: eval mode misses beta by more than {k.control_min}")


@pytest.mark.claim("bn-slows-inference")
def test_bn_slows_inference(claim, digits):
    """[BN has] slower predictions due to extra computations."""
    k, dev = claim.knobs, claim.device
    s, X = claim.seeds(n=1)[0], claim.on_device(digits).X_train
    # Same init stream: BN has no random parameters, so both nets get the same Linear weights.
    nets = {"with BN": k.net, "without BN": k.net.replace(batch_norm=None, input_batch_norm=False)}
    models = {arm: build_mlp(cfg, generator=s.generator("init"), device=dev).eval() for arm, cfg in nets.items()}
    ratios = {}
    for batch in k.batches:
        xb = X[:batch]
        t = claim.time({arm: partial(m, xb) for arm, m in models.items()}, rounds=k.rounds,
                       min_block_s=k.block_ms / 1000, label=f"eval forward, batch {batch}")
        ratios[f"batch {batch}"] = ratio_summary(t["with BN"], t["without BN"])
        claim.decide(t["with BN"], t["without BN"], label=f"eval forward, batch {batch}")
    claim.note(with_over_without=ratios, torch_threads=torch.get_num_threads())


@pytest.mark.claim("bn-position-either")
def test_bn_position_either(claim, digits):
    """Zero-center and normalize [the] input before or after [the] activation."""
    k, delta = claim.knobs, claim.spec.delta
    arms = {"BN before": k.net.replace(batch_norm="before"), "BN after": k.net.replace(batch_norm="after"),
            "plain (control)": k.net}
    runs = claim.train(arms, digits, k.fit)
    acc = {arm: runs[arm].values("val_acc") for arm in arms}
    claim.note(val_acc={arm: rounded(v) for arm, v in acc.items()})
    claim.decide(acc["BN before"], acc["BN after"], label=f"BN before within +-{delta} of BN after")
    # The positive control: the plain net differs from BN by more than delta at the same seeds (so +-delta can fail).
    claim.decide([v - delta for v in acc["BN before"]], acc["plain (control)"], kind="paired", direction="greater",
                 delta=delta, arms=("BN before", "plain (control)"),
                 control=True, label=f"positive control: BN before above the plain net by more than {delta}")


@pytest.mark.claim("bn-regularizes")
def test_bn_regularizes(claim, digits):
    """BN also has a slight regularization effect."""
    k = claim.knobs
    bn, plain = bn_and_plain(claim, k.net, per_class_subset(digits, k.per_class, claim.data_seed), k.fit)
    claim.note(loss_gap={r.arm: rounded(gaps(r)) for r in (bn, plain)},
               accuracy_gap={r.arm: rounded(gaps(r, "accuracy")) for r in (bn, plain)},
               val_acc={r.arm: rounded(r.values("val_acc")) for r in (bn, plain)})
    claim.decide(gaps(bn), gaps(plain), label="generalization gap in loss (val - train cross-entropy)")
    claim.decide(bn.values("val_loss"), plain.values("val_loss"), label="validation cross-entropy")


@pytest.mark.claim("bn-regularization-fades-large-batch")
def test_bn_regularization_fades_large_batch(claim, digits):
    """But, if miniBatch Size is large, say, 512, this effect goes away."""
    k = claim.knobs
    small, reduction, notes = per_class_subset(digits, k.per_class, claim.data_seed), {}, {}
    for fit in (k.small, k.large):
        bn, plain = bn_and_plain(claim, k.net, small, fit, f", batch {fit.batch_size}")
        reduction[fit.batch_size] = gap_reduction(bn, plain)
        notes |= {r.arm: {"loss_gap": rounded(gaps(r)), "val_acc": rounded(r.values("val_acc"))} for r in (bn, plain)}
    claim.note(gap_reduction={f"batch {b}": rounded(v) for b, v in reduction.items()}, runs=notes)
    claim.decide(reduction[k.small.batch_size], reduction[k.large.batch_size],
                 label=f"BN's gap reduction at batch {k.small.batch_size} above batch {k.large.batch_size}")


@pytest.mark.claim("bn-reduces-need-for-dropout")
def test_bn_reduces_need_for_dropout(claim, digits):
    """[BN] acts like a regularizer, reducing the need for other regularization techniques (such as dropout)."""
    k, delta = claim.knobs, claim.spec.delta
    small = per_class_subset(digits, k.per_class, claim.data_seed)
    bn, plain = bn_and_plain(claim, k.net, small, k.fit)
    bn_drop, plain_drop = bn_and_plain(claim, k.net.replace(dropout=k.dropout), small, k.fit, f" + dropout {k.dropout}")
    gain = {"with BN": per_seed_gain(bn_drop, bn, "val_loss"), "without BN": per_seed_gain(plain_drop, plain, "val_loss")}
    claim.note(val_acc={r.arm: rounded(r.values("val_acc")) for r in (bn, plain, bn_drop, plain_drop)},
               dropout_gain_val_loss={arm: rounded(v) for arm, v in gain.items()})
    claim.decide(bn_drop.values("val_acc"), bn.values("val_acc"), arms=(bn_drop.arm, bn.arm),
                 label=f"BN + dropout within +-{delta} of BN alone")
    claim.decide(gain["with BN"], gain["without BN"], kind="directional", direction="less", delta=0.02,
                 arms=("dropout's gain with BN", "without BN"), label="dropout's gain in val loss smaller with BN")


@pytest.mark.claim("bn-reduces-covariate-shift")
def test_bn_reduces_covariate_shift(claim, digits):
    """[BN] makes weights, later or deeper than your network, say the weight on layer 10, more robust to changes to
    weights in earlier layers."""
    k = claim.knobs
    split = claim.on_device(digits)
    bn, plain = bn_and_plain(claim, k.net, split, k.fit)
    batches = [torch.randperm(len(split.X_train), generator=s.generator("data"))[:k.examples].to(split.X_train.device)
               for s in claim.seeds()]
    shift = {r.arm: [covariate_shift(m.model, split.X_train[i], split.y_train[i], layer=k.layer, rho=k.rho)
                     for m, i in zip(r.results, batches, strict=True)] for r in (bn, plain)}
    claim.note(**{key: {arm: [f"{v[key]:.3g}" for v in vs] for arm, vs in shift.items()}
                  for key in ("moment_shift", "grad_change", "grad_cosine")})
    for key, what in (("moment_shift", f"layer {k.layer}'s input moments"),
                      ("grad_change", f"layer {k.layer}'s gradient (Santurkar et al.)")):
        claim.decide([v[key] for v in shift["BN"]], [v[key] for v in shift["plain"]], label=f"shift of {what}")


@pytest.mark.claim("bn-better-final-model")
def test_bn_better_final_model(claim, digits):
    """Now try adding Batch Normalization ... Does it produce a better model?"""
    k = claim.knobs
    bn, plain = bn_and_plain(claim, k.net, digits, {arm: replace_fit(k.fit, lr=k.lr[arm]) for arm in ("BN", "plain")})
    claim.note(lr=k.lr, best_val_acc={r.arm: rounded(r.values("val_acc", "best")) for r in (bn, plain)})
    claim.decide(bn.values("val_acc", "best"), plain.values("val_acc", "best"), label="best validation accuracy")


@pytest.mark.claim("bn-helps-deep-not-shallow")
def test_bn_helps_deep_not_shallow(claim, digits):
    """Normalization: None if shallow; batch norm if deep."""
    k = claim.knobs
    gain, loss = {}, {}
    for depth in (k.deep, k.shallow):
        bn, plain = bn_and_plain(claim, k.net.replace(depth=depth), digits, k.fit, f", depth {depth}")
        gain[depth] = per_seed_gain(bn, plain, "val_loss")
        loss |= {r.arm: rounded(r.values("val_loss")) for r in (bn, plain)}
    claim.note(val_loss=loss, bn_gain={f"depth {d}": rounded(g) for d, g in gain.items()})
    claim.decide(gain[k.deep], gain[k.shallow], label=f"BN's gain in val loss, depth {k.deep} above depth {k.shallow}")


def epoch_seconds(claim, k, split) -> dict[str, list[float]]:
    """Seconds per training epoch of the BN and the plain net (one seed's init, each arm at its rate), interleaved."""
    s, split = claim.seeds(n=1)[0], claim.on_device(split)
    nets = {"BN": k.net.replace(batch_norm="before"), "plain": k.net}
    runners = {arm: epoch_runner(build_mlp(cfg, generator=s.generator("init"), device=claim.device), split,
                                 replace_fit(k.fit, lr=k.lr[arm]), s.data) for arm, cfg in nets.items()}
    t = claim.time(runners, rounds=k.rounds, grad=True, label="seconds per training epoch")
    claim.note(bn_over_plain_per_epoch=ratio_summary(t["BN"], t["plain"]), torch_threads=torch.get_num_threads())
    return t


@pytest.mark.claim("bn-slower-epochs")
def test_bn_slower_epochs(claim, digits):
    """Each epoch takes much more time when you use batch normalization."""
    t = epoch_seconds(claim, claim.knobs, digits)
    claim.decide(t["BN"], t["plain"], label="seconds per training epoch")


@pytest.mark.claim("bn-shorter-wall-time")
def test_bn_shorter_wall_time(claim, digits):
    """All in all, wall time will usually be shorter (with batch normalization)."""
    k = claim.knobs
    bn, plain = bn_and_plain(claim, k.net, digits, {arm: replace_fit(k.fit, lr=k.lr[arm]) for arm in ("BN", "plain")})
    t = epoch_seconds(claim, k, digits)
    wall = {r.arm: in_reference_epochs(r.epochs_to_target(), t[r.arm], t["plain"]) for r in (bn, plain)}
    claim.note(epochs_to_target={r.arm: r.epochs_to_target() for r in (bn, plain)},
               time_in_plain_epochs={arm: rounded(v, 2) for arm, v in wall.items()})
    claim.decide(wall["BN"], wall["plain"], label=f"training time to val loss < {k.fit.target[1]}, in plain epochs")
    claim.decide(bn.epochs_to_target(), plain.epochs_to_target(), label="epochs alone",
                 sensitivity="epochs ignore BN's cost per epoch (bn-slower-epochs): shown to separate the two")


@pytest.mark.claim("selu-replaces-bn-deep")
def test_selu_replaces_bn_deep(claim, digits):
    """Try replacing Batch Normalization with SELU, and make the necessary adjustments to ensure the network
    self-normalizes."""
    k, delta = claim.knobs, claim.spec.delta
    arms = {"SELU": k.net.replace(activation="selu", weight_init="lecun_normal"),
            "ELU + BN": k.net.replace(batch_norm="before"), "plain ELU (control)": k.net}
    rate = {"SELU": k.lr["SELU"], "ELU + BN": k.lr["BN"], "plain ELU (control)": k.lr["plain"]}
    runs = claim.train(arms, digits, {arm: replace_fit(k.fit, lr=rate[arm]) for arm in arms})
    best = {arm: runs[arm].values("val_acc", "best") for arm in arms}
    claim.note(lr=rate, best_val_acc={arm: rounded(v) for arm, v in best.items()},
               epochs_to_target={arm: runs[arm].epochs_to_target() for arm in arms})
    claim.decide(best["SELU"], best["ELU + BN"], label=f"SELU within +-{delta} of ELU + BN (best val accuracy)")
    claim.decide([v - delta for v in best["ELU + BN"]], best["plain ELU (control)"], kind="directional",
                 direction="greater", delta=delta, arms=("ELU + BN", "plain ELU (control)"),
                 control=True, label=f"positive control: ELU + BN above the plain net by more than {delta}")
    claim.decide(runs["SELU"].epochs_to_target(), runs["ELU + BN"].epochs_to_target(), kind="time_to_target",
                 direction="less", delta=1.0, label=f"epochs to val accuracy {k.fit.target[1]}")
