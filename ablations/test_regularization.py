"""Section: avoiding overfitting through regularization (l2, dropout, alpha dropout, MC dropout, max-norm, early
stopping).

Each test is one claim of dnnkit/catalog/regularization.py; the claim's sentence is in its docstring. The setups
(DIGITS, OVERFIT) and the pilot numbers that fixed them are in that catalog's docstring.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import stats
from torch import nn

from dnnkit.catalog.regularization import OverfitSetup, RealData
from dnnkit.data import Split, load_mnist1d, load_mnist5k
from dnnkit.evidence.timing import ratio_summary
from dnnkit.nn.diagnostics import activation_stats
from dnnkit.nn.mc_dropout import mc_dropout_mode, mc_dropout_predict, mc_dropout_samples, nll, seeded_rng
from dnnkit.nn.models import build_mlp
from dnnkit.nn.regularization import max_norm, penalty, top_k_dropout, unit_norms, weight_norm
from dnnkit.train.experiment import ArmRuns, replace_fit, train_arm
from dnnkit.train.hand_loop import hand_loop
from dnnkit.train.holdout import split_validation
from dnnkit.train.training import FitResult, evaluate, fit


@functools.cache
def mnist1d_split(n_train: int, n_val: int, seed: int) -> Split:
    """The overfitting setup's data: MNIST-1D (generated offline), drawn with the seed base; one draw per size."""
    return load_mnist1d(n_train=n_train, n_val=n_val, seed=seed)


def overfit_data(setup: OverfitSetup, data_seed: int) -> Split:
    """OVERFIT's MNIST-1D split for this seed base (its sizes are the setup's knobs)."""
    return mnist1d_split(setup.n_train, setup.n_val, data_seed)


@functools.cache
def _real_split(per_class: int, seed: int) -> Split:
    return load_mnist5k(per_class=per_class, seed=seed)


def real_data(claim, real: RealData) -> Split:
    """REAL DATA for this seed base: MNIST-5k with real.per_class training images per digit (sensitivity only)."""
    return _real_split(real.per_class, claim.data_seed)


def real_why(real: RealData) -> str:
    return (f"the same comparison on MNIST-5k ({real.per_class} real 28x28 images per digit) instead of the stand-in, "
            "where accuracies sit near the ceiling (issue 17): shown, never gating")


def gap(result: FitResult, k: int) -> float:
    """Mean of the last k epochs' val minus train cross-entropy, both in eval mode (+inf if the run diverged)."""
    if result.diverged:
        return math.inf
    tail = result.history.tail(k)
    return float((tail["val_loss"] - tail["train_loss_eval"]).mean())


def overfit_evidence(claim, runs: dict[str, ArmRuns], setup: OverfitSetup) -> dict[str, list[float]]:
    """Per arm, each seed's generalization gap; notes the gaps with the validation loss and accuracy behind them."""
    gaps = {arm: [gap(r, setup.gap_epochs) for r in ar.results] for arm, ar in runs.items()}
    claim.note(gap=_rounded(gaps), val_loss={arm: _rounded(ar.values("val_loss")) for arm, ar in runs.items()},
               val_acc={arm: _rounded(ar.values("val_acc")) for arm, ar in runs.items()},
               train_acc={arm: _rounded(ar.values("train_acc")) for arm, ar in runs.items()})
    return gaps


def not_worse_on_validation(claim, runs: dict[str, ArmRuns], arm: str, reference: str, margin: float,
                            sensitivity: str | None = None, on: str = ""):
    """A narrower gap counts as less overfitting only if validation accuracy did not pay for it: `arm`'s final
    validation accuracy + margin above `reference`'s (paired non-inferiority). Underfitting narrows the gap too."""
    acc = {a: runs[a].values("val_acc") for a in (arm, reference)}
    return claim.decide([v + margin for v in acc[arm]], acc[reference], kind="paired", direction="greater",
                        delta=margin, arms=(f"{arm} + {margin}", reference), sensitivity=sensitivity,
                        label=f"validation accuracy not worse by more than {margin} (non-inferiority){on}")


@pytest.mark.claim("l2-shrinks-weights")
def test_l2_shrinks_weights(claim, digits500):
    """With l2 regularization the weights end up smaller (weight decay) than without it, at a similar accuracy."""
    k = claim.knobs
    real = real_data(claim, k.real_data)
    for split, on, why in ((digits500, "", None), (real, ", MNIST-5k", real_why(k.real_data))):
        l2, plain = f"l2 {k.l2}{on}", f"no penalty{on}"
        fits = {l2: replace_fit(k.fit, penalty=penalty(l2=k.l2)), plain: k.fit}
        runs = claim.train(dict.fromkeys(fits, k.net.replace(n_inputs=split.n_features)), split, fits)
        norms = {arm: [weight_norm(r.model) for r in runs[arm].results] for arm in fits}
        acc = {arm: runs[arm].values("val_acc") for arm in fits}
        claim.note(**{f"weight_norm{on}": _rounded(norms), f"val_acc{on}": _rounded(acc)})
        claim.decide(norms[l2], norms[plain], label=f"L2 norm of all Linear weights{on}", sensitivity=why,
                     arms=(l2, plain))
        claim.decide(acc[l2], acc[plain], kind="equivalence", delta=k.accuracy_tolerance, sensitivity=why,
                     arms=(l2, plain), label=f"validation accuracy within {k.accuracy_tolerance} (TOST){on}")


@pytest.mark.claim("dropout-slows-convergence")
def test_dropout_slows_convergence(claim, digits500):
    """Dropout does slow down training (convergence), in general roughly by a factor of two."""
    k = claim.knobs
    dropout, target = f"dropout {k.dropout}", k.fit.target[1]
    arms = {dropout: k.net.replace(dropout=k.dropout), "no dropout": k.net}
    runs = claim.train(arms, digits500, k.fit)
    epochs = {arm: runs[arm].epochs_to_target() for arm in arms}
    slower = claim.decide(epochs[dropout], epochs["no dropout"],
                          label=f"epochs until the eval-mode training loss <= {target}")
    claim.note(**{f"epochs_to_train_loss_{target:g}".replace(".", "_"): epochs},
               ratio_of_median_epochs=slower.effect["median_ratio"])


@pytest.mark.claim("dropout-no-inference-cost")
def test_dropout_no_inference_cost(claim, digits):
    """Dropout has no impact on inference speed, since it is only turned on during training: in eval mode a net with
    dropout layers infers as fast as the same net without them."""
    k, dev, X = claim.knobs, claim.device, digits.X_train.to(claim.device)

    def nets(s) -> dict[str, nn.Module]:  # same init stream: same weights, dropout modules have none
        return {arm: build_mlp(cfg, generator=s.generator("init"), device=dev).eval()
                for arm, cfg in (("with", k.net.replace(dropout=k.dropout)), ("without", k.net))}

    with torch.no_grad():
        identical = [torch.equal(*(m(X) for m in nets(s).values())) for s in claim.seeds(n=k.bitwise_seeds)]
    timed = nets(claim.seeds(n=1)[0])
    rounds = claim.time({arm: lambda m=m: m(X) for arm, m in timed.items()}, rounds=claim.n_seeds,
                        label=f"eval forward, batch {len(X)}")
    # Context: at batch 1 the dropout modules' call overhead is visible next to tiny matrix products.
    few = X[:k.context_batch]
    small = claim.time({arm: lambda m=m: m(few) for arm, m in timed.items()}, rounds=k.context_rounds,
                       label=f"eval forward, batch {k.context_batch} (context)")
    claim.note(**{f"batch_{len(X)}": ratio_summary(rounds["with"], rounds["without"]),
                  f"batch_{k.context_batch}_context": ratio_summary(small["with"], small["without"])},
               torch_threads=torch.get_num_threads())
    claim.decide(identical, kind="exact", arms=("with == without", "B"),
                 label=f"eval-mode outputs bitwise equal ({k.bitwise_seeds} seeds)")
    claim.decide(rounds["with"], rounds["without"], label=f"eval forward, batch {len(X)}: with / without dropout")


@pytest.mark.claim("mc-dropout-cost-linear")
def test_mc_dropout_cost_linear(claim, digits):
    """MC dropout runs K stochastic forward passes at inference, so predicting with K samples costs about K single
    passes (10 samples slow prediction down by a factor of 10 or more)."""
    knobs, dev, s = claim.knobs, claim.device, claim.seeds(n=1)[0]
    k, X = knobs.k, digits.X_train.to(dev)
    model = build_mlp(knobs.net.replace(dropout=knobs.dropout), generator=s.generator("init"), device=dev)
    deterministic = copy.deepcopy(model).eval()
    with seeded_rng(s.generator("dropout"), dev), mc_dropout_mode(model):
        t = claim.time({"mc": lambda: mc_dropout_predict(model, X, k),
                        "one pass": lambda: F.softmax(model(X), dim=-1),
                        "eval pass": lambda: F.softmax(deterministic(X), dim=-1)},
                       rounds=claim.n_seeds, label=f"K={k} MC passes, one stochastic pass, one eval pass")
    k_passes = [k * x for x in t["one pass"]]
    claim.note(k=k, mc_vs_k_passes=ratio_summary(t["mc"], k_passes),
               one_mc_pass_vs_one_eval_pass=ratio_summary(t["one pass"], t["eval pass"]),
               mc_prediction_vs_one_eval_pass=ratio_summary(t["mc"], t["eval pass"]),
               torch_threads=torch.get_num_threads())
    claim.decide(t["mc"], k_passes, label=f"mc_dropout_predict(K={k}) / ({k} x one stochastic pass)")


def mc_vs_deterministic(claim, runs: ArmRuns, split: Split, k: int) -> dict[str, dict[str, list[float]]]:
    """Per seed, validation NLL and accuracy of the mean of k MC-dropout passes ("mc") and of the eval pass ("det")."""
    X, y = split.X_val, split.y_val
    out = {"nll": {"mc": [], "det": []}, "acc": {"mc": [], "det": []}}
    for s, r in zip(claim.seeds(), runs.results, strict=True):
        with torch.no_grad():
            det = F.softmax(r.model.eval()(X), dim=-1)
        mc, _ = mc_dropout_predict(r.model, X, k, generator=s.generator("dropout"))
        for name, probs in (("mc", mc), ("det", det)):
            out["nll"][name].append(nll(probs, y))
            out["acc"][name].append(float((probs.argmax(1) == y).float().mean()))
    return out


# Why the setups after the claim's own (knobs.arms) were set aside on pilots: MC dropout raised NLL there (catalog
# docstring); an underfit, underconfident net gains nothing from averaging. Kept as sensitivity checks, shown beside
# the verdict.
SET_ASIDE_WHY = {
    "dropout 0.5, lr 1e-3": "set aside on pilots: at dropout 0.5 and the Adam default lr 1e-3 the net underfits in 30 "
                            "epochs and MC averaging raised NLL (0.21 -> 0.30)",
    "dropout 0.2, lr 1e-3": "set aside on pilots: at the Adam default lr 1e-3 dropout 0.2 needed 100 epochs before MC "
                            "averaging lowered NLL; 30 epochs are the claim's budget",
}


@pytest.mark.claim("mc-dropout-improves-predictions")
def test_mc_dropout_improves_predictions(claim, digits500):
    """MC dropout can boost the performance of a trained dropout model without retraining it: averaging K stochastic
    passes gives a lower negative log-likelihood (and no worse accuracy) on held-out data than one deterministic
    pass."""
    k = claim.knobs
    runs = claim.train({arm: k.net.replace(dropout=p) for arm, (p, _) in k.arms.items()}, digits500,
                       {arm: replace_fit(k.fit, lr=lr) for arm, (_, lr) in k.arms.items()})
    split = claim.on_device(digits500)
    measured = {arm: mc_vs_deterministic(claim, runs[arm], split, k.k) for arm in k.arms}
    claim.note(**{f"val_{m} ({arm})": _rounded(v[m], 4) for arm, v in measured.items() for m in ("nll", "acc")})
    main, *set_aside = k.arms
    nlls, accs, margin = measured[main]["nll"], measured[main]["acc"], k.accuracy_margin
    claim.decide(nlls["mc"], nlls["det"], label=f"validation NLL: MC mean of {k.k} passes vs eval pass")
    claim.decide([a + margin for a in accs["mc"]], accs["det"], direction="greater", delta=margin,
                 arms=(f"MC accuracy + {margin}", "deterministic accuracy"),
                 label=f"validation accuracy not worse by more than {margin} (non-inferiority)")
    for arm in set_aside:
        claim.decide(measured[arm]["nll"]["mc"], measured[arm]["nll"]["det"], sensitivity=SET_ASIDE_WHY[arm],
                     label=f"validation NLL, MC vs eval pass, under {arm} ({k.fit.epochs} epochs)")
    real, (p, lr) = claim.on_device(real_data(claim, k.real_data)), k.arms[main]
    on_real = claim.train({f"{main}, MNIST-5k": k.net.replace(n_inputs=real.n_features, dropout=p)}, real,
                          replace_fit(k.fit, lr=lr))
    m = mc_vs_deterministic(claim, on_real[f"{main}, MNIST-5k"], real, k.k)
    claim.note(**{f"val_{name} ({main}, MNIST-5k)": _rounded(m[name], 4) for name in ("nll", "acc")})
    claim.decide(m["nll"]["mc"], m["nll"]["det"], sensitivity=real_why(k.real_data),
                 label=f"validation NLL: MC mean of {k.k} passes vs eval pass, MNIST-5k")
    claim.decide([a + margin for a in m["acc"]["mc"]], m["acc"]["det"], direction="greater", delta=margin,
                 arms=(f"MC accuracy + {margin}", "deterministic accuracy"), sensitivity=real_why(k.real_data),
                 label=f"validation accuracy not worse by more than {margin} (non-inferiority), MNIST-5k")


@torch.no_grad()
def expectation_slope(model: nn.Module, X: torch.Tensor, n_masks: int, generator: torch.Generator, *,
                      rescaled: bool = True) -> float:
    """Slope of the mean train-mode output on the eval-mode output (1 = same expectation). rescaled=False undoes
    inverted dropout's 1/keep_prob, i.e. plain dropout."""
    e = model.eval()(X)
    undo = [] if rescaled else [m.register_forward_hook(lambda m, i, o: o * (1 - m.p))
                                for m in model.modules() if isinstance(m, nn.Dropout)]
    try:
        mean = mc_dropout_samples(model, X, n_masks, generator, logits=True).mean(0)
    finally:
        for hook in undo:
            hook.remove()
    return float((mean * e).sum() / (e * e).sum())


@pytest.mark.claim("inverted-dropout-keeps-expectation")
def test_inverted_dropout_keeps_expectation(claim, digits500):
    """Inverted dropout divides the kept activations by keep_prob during training, so the expected value of the
    train-mode output equals the eval-mode output."""
    k = claim.knobs
    arm = f"top-layer dropout {k.dropout}"
    net = k.net.replace(dropout=top_k_dropout(k.net.depth, k.top_layers, k.dropout))
    runs = claim.train({arm: net}, digits500, k.fit)
    X, seeds = claim.on_device(digits500).X_val, claim.seeds()
    slopes = {rescaled: [expectation_slope(r.model, X, k.n_masks, s.generator("dropout"), rescaled=rescaled)
                         for s, r in zip(seeds, runs[arm].results, strict=True)] for rescaled in (True, False)}
    claim.note(slope_inverted=_rounded(slopes[True], 4), slope_without_rescaling=_rounded(slopes[False], 4))
    claim.decide(slopes[True], [1.0] * len(seeds), label="slope of mean train-mode logits on eval logits vs 1")
    claim.decide(slopes[False], slopes[True], kind="paired", direction="less", delta=k.rescale_delta,
                 arms=("without 1/keep_prob", "inverted"), label="dropout without rescaling shrinks it")


@pytest.mark.claim("dropout-reduces-overfitting")
def test_dropout_reduces_overfitting(claim, data_seed):
    """Dropout is a regularization technique: in a setup that overfits (small training set, wide net), dropout
    narrows the gap between training and validation performance."""
    k = claim.knobs
    setup, dropout = k.setup, f"dropout {k.dropout}"
    arms = {dropout: setup.net.replace(dropout=k.dropout), "no dropout": setup.net}
    runs = claim.train(arms, overfit_data(setup, data_seed), setup.fit)
    gaps = overfit_evidence(claim, runs, setup)
    claim.decide(gaps[dropout], gaps["no dropout"], label="val - train cross-entropy (eval mode)")
    not_worse_on_validation(claim, runs, dropout, "no dropout", k.val_margin)
    real, why = real_data(claim, k.real_data), real_why(k.real_data)
    on_real = claim.train({f"{arm}, MNIST-5k": net.replace(n_inputs=real.n_features) for arm, net in arms.items()},
                          real, setup.fit)
    real_gaps = {arm: [gap(r, setup.gap_epochs) for r in ar.results] for arm, ar in on_real.items()}
    claim.note(gap_mnist5k=_rounded(real_gaps),
               val_acc_mnist5k={arm: _rounded(ar.values("val_acc")) for arm, ar in on_real.items()})
    claim.decide(real_gaps[f"{dropout}, MNIST-5k"], real_gaps["no dropout, MNIST-5k"], sensitivity=why,
                 arms=(f"{dropout}, MNIST-5k", "no dropout, MNIST-5k"),
                 label="val - train cross-entropy (eval mode), MNIST-5k")
    not_worse_on_validation(claim, on_real, f"{dropout}, MNIST-5k", "no dropout, MNIST-5k", k.val_margin,
                            sensitivity=why, on=", MNIST-5k")


@pytest.mark.claim("alpha-dropout-keeps-self-normalization")
def test_alpha_dropout_keeps_self_normalization(claim, digits):
    """To regularize a self-normalizing SELU net use alpha dropout: it preserves the mean and standard deviation of
    its inputs, whereas ordinary dropout pulls them away from 0 and 1."""
    k = claim.knobs
    alpha, plain = f"alpha dropout {k.net.dropout}", f"dropout {k.net.dropout}"
    arms = {alpha: k.net.replace(alpha_dropout=True), plain: k.net}

    X = claim.on_device(digits).X_train

    def train_mode_stats(cfg, s):
        model = build_mlp(cfg, generator=s.generator("init"), device=claim.device).train()
        with seeded_rng(s.generator("dropout"), claim.device):
            return activation_stats(model, X)

    stats = {arm: [train_mode_stats(cfg, s) for s in claim.seeds()] for arm, cfg in arms.items()}
    worst = {arm: [float(np.maximum(t["mean"].abs(), (t["std"] - 1).abs()).max()) for t in ts]
             for arm, ts in stats.items()}
    band = k.band
    in_band = [bool((t["mean"].abs() < band.abs_mean).all() and t["std"].between(
        band.std_low, band.std_high, inclusive="neither").all()) for t in stats[alpha]]
    claim.note(band=dataclasses.asdict(band), worst_layer_deviation=_rounded(worst),
               **{f"{arm} seed0 top-layer mean/std": (round(float(ts[0]["mean"].iloc[-1]), 3),
                                                      round(float(ts[0]["std"].iloc[-1]), 3))
                  for arm, ts in stats.items()})
    claim.decide(in_band, label="alpha dropout: every layer in the band", arms=(alpha, "B"))
    claim.decide(worst[alpha], worst[plain], kind="paired", direction="less",
                 arms=(alpha, plain), label="worst-layer deviation from mean 0 / std 1")


@pytest.mark.claim("max-norm-bounds-weights")
def test_max_norm_bounds_weights(claim, data_seed):
    """Max-norm regularization constrains every neuron's incoming weights to ||w||_2 <= r, rescaling them after each
    training step; reducing r increases the amount of regularization and reduces overfitting."""
    k = claim.knobs
    setup, radius = k.setup, {f"r = {r:g}": r for r in k.radii}
    tight, loose = radius
    fits = {arm: replace_fit(setup.fit, after_step=[max_norm(r)]) for arm, r in radius.items()}
    runs = claim.train(dict.fromkeys(fits, setup.net), overfit_data(setup, data_seed), fits)
    largest = {arm: [max(float(n.max()) for n in unit_norms(r.model)) for r in runs[arm].results] for arm in fits}
    claim.note(largest_unit_norm={arm: _rounded(v, 6) for arm, v in largest.items()})
    claim.decide([n <= radius[arm] * (1 + k.bound_tol) for arm in fits for n in largest[arm]],
                 label="every unit's incoming-weight norm <= r (both arms, every seed)",
                 arms=(f"{tight} and {radius[loose]:g}", "B"))
    gaps = overfit_evidence(claim, runs, setup)
    claim.decide(gaps[tight], gaps[loose], kind="paired", direction="less",
                 arms=(tight, loose), label="val - train cross-entropy (eval mode)")
    not_worse_on_validation(claim, runs, tight, loose, k.val_margin)


@pytest.mark.claim("early-stopping-restores-best")
def test_early_stopping_restores_best(claim, data_seed):
    """Early stopping with restored best weights returns the model of the best epoch: its validation loss equals the
    best epoch's and is no higher than the last epoch's."""
    k = claim.knobs
    arm, setup = "restored model", k.setup
    fit = replace_fit(setup.fit, epochs=k.epochs, patience=k.patience, restore_best=True, eval_train=False)
    mnist1d = overfit_data(setup, data_seed)
    runs = claim.train({arm: setup.net}, mnist1d, fit)
    split = claim.on_device(mnist1d)
    facts = []
    for r in runs[arm].results:
        restored = evaluate(r.model, split.X_val, split.y_val)[0]
        best, last = float(r.history["val_loss"].min()), float(r.history["val_loss"].iloc[-1])
        facts.append({"restored": restored, "best": best, "last": last, "best_epoch": r.best_epoch,
                      "epochs_run": len(r.history)})
    claim.note(per_seed=[{name: round(v, 5) if isinstance(v, float) else v for name, v in f.items()} for f in facts])
    claim.decide([math.isclose(f["restored"], f["best"], rel_tol=k.rel_tol) and f["restored"] <= f["last"]
                  for f in facts], label="restored val loss == best epoch's and <= last epoch's")


@pytest.mark.claim("max-norm-adds-no-loss-term")
def test_max_norm_adds_no_loss_term(claim, digits500):
    """Doesn't add regularization loss to loss function."""
    k, split = claim.knobs, claim.on_device(digits500)
    fits = {"max-norm": replace_fit(k.fit, after_step=[max_norm(k.r)]),
            "l2 control": replace_fit(k.fit, penalty=penalty(l2=k.control_l2))}
    held = {arm: [] for arm in fits}
    excess = {arm: [] for arm in fits}
    for s in claim.seeds():
        for arm, fc in fits.items():
            logged = fit(build_mlp(k.net, generator=s.generator("init"), device=claim.device), split, fc, s)
            hand_model = build_mlp(k.net, generator=s.generator("init"), device=claim.device)
            hand = hand_loop(hand_model, split, fc, s)
            losses = logged.history["train_loss"].tolist()
            same_weights = all(torch.equal(a, b) for a, b in zip(logged.model.state_dict().values(),
                                                                 hand_model.state_dict().values(), strict=True))
            excess[arm].append(max(a - b for a, b in zip(losses, hand.cross_entropy, strict=True)))
            held[arm].append(same_weights and (losses == hand.cross_entropy if arm == "max-norm" else
                                               losses == hand.objective and all(
                                                   a > b for a, b in zip(losses, hand.cross_entropy, strict=True))))
    claim.note(logged_minus_cross_entropy_max={arm: [float(v) for v in vs] for arm, vs in excess.items()})
    claim.decide(held["max-norm"], arms=("max-norm", "B"),
                 label="max-norm: fit logs the plain cross-entropy and ends on the hand loop's weights (bitwise)")
    claim.decide(held["l2 control"], arms=("l2 control", "B"),
                 label="control: with l2, fit logs cross-entropy + penalty, above the plain cross-entropy")


@pytest.mark.claim("max-norm-smaller-r-less-overfitting")
def test_max_norm_smaller_r_less_overfitting(claim, data_seed):
    """Reduce r, regularization up, overfitting down."""
    k = claim.knobs
    setup, radius = k.setup, {f"r = {r:g}": r for r in k.radii}
    fits = {arm: replace_fit(setup.fit, after_step=[max_norm(r)] if math.isfinite(r) else [])
            for arm, r in radius.items()}
    runs = claim.train(dict.fromkeys(fits, setup.net), overfit_data(setup, data_seed), fits)
    gaps = overfit_evidence(claim, runs, setup)
    acc = {arm: runs[arm].values("val_acc") for arm in fits}
    r_values = list(radius.values())
    rho = {name: [float(stats.spearmanr(r_values, [v[arm][i] for arm in fits]).statistic)
                  for i in range(claim.n_seeds)] for name, v in (("gap", gaps), ("val_acc", acc))}
    claim.note(spearman_rho=_rounded(rho))
    zeros = [0.0] * claim.n_seeds
    claim.decide(rho["gap"], zeros, label="Spearman rho(r, gap) per seed, above 0")
    claim.decide(rho["val_acc"], zeros, direction="less", arms=("rho(r, val accuracy)", "0"),
                 label="Spearman rho(r, validation accuracy) per seed, below 0 (accuracy rises as r shrinks)",
                 sensitivity="a smaller r may narrow the gap by underfitting: does validation accuracy rise too?")


def _regularizer_grid(k) -> dict[str, tuple[dict, dict]]:
    """Each candidate regularizer of early-stopping-competitive-regularizer: name -> (net changes, fit changes)."""
    grid = {f"l2 {v:g}": ({}, {"penalty": penalty(l2=v)}) for v in k.l2}
    grid |= {f"dropout {v:g}": ({"dropout": v}, {}) for v in k.dropout}
    grid |= {f"max-norm r = {v:g}": ({}, {"after_step": [max_norm(v)]}) for v in k.max_norm}
    return grid


@pytest.mark.claim("early-stopping-competitive-regularizer")
def test_early_stopping_competitive_regularizer(claim, data_seed):
    """Early stopping one of best regularization."""
    k = claim.knobs
    setup = k.setup
    split = claim.on_device(split_validation(overfit_data(setup, data_seed), k.test_fraction, seed=data_seed))
    budget = replace_fit(setup.fit, epochs=k.epochs, eval_train=False)
    grid = _regularizer_grid(k)
    pilots = {name: float(np.median(train_arm(name, setup.net.replace(**net), split, replace_fit(budget, **fc),
                                              claim.pilot_seeds(k.pilot_seeds)).values("val_acc", "last")))
              for name, (net, fc) in grid.items()}
    best = max(pilots, key=pilots.get)
    net, fc = grid[best]
    runs = claim.train({"early stopping": setup.net, best: setup.net.replace(**net)}, split,
                       {"early stopping": replace_fit(budget, patience=k.patience, restore_best=True),
                        best: replace_fit(budget, **fc)})
    test = {arm: [evaluate(r.model, split.X_test, split.y_test)[1] for r in ar.results] for arm, ar in runs.items()}
    claim.note(pilot_median_val_acc={n: round(v, 3) for n, v in pilots.items()}, best_regularizer=best,
               test_acc=_rounded(test),
               stopped_at=[len(r.history) for r in runs["early stopping"].results])
    claim.decide([a + k.margin for a in test["early stopping"]], test[best],
                 label=f"test accuracy: early stopping + {k.margin} vs {best}")


@pytest.mark.claim("max-norm-stabilizes-gradients")
def test_max_norm_stabilizes_gradients(claim, digits500):
    """Max-norm regularization can also help alleviate the unstable gradients problems (if you are not using Batch
    Normalization)."""
    k = claim.knobs
    constrained = claim.spec.arms[0]
    runs = claim.train({constrained: k.net, "no constraint": k.net}, digits500,
                       {constrained: replace_fit(k.fit, after_step=[max_norm(k.r)]), "no constraint": k.fit})
    loss = {arm: runs[arm].values("val_loss") for arm in runs}
    acc = runs[constrained].values("val_acc")
    claim.note(val_loss=_rounded(loss), val_acc={arm: _rounded(runs[arm].values("val_acc")) for arm in runs},
               diverged={arm: [r.diverged for r in ar.results] for arm, ar in runs.items()})
    claim.decide(loss[constrained], loss["no constraint"], label="final validation loss (+inf if diverged)")
    claim.decide(acc, [k.chance + k.learn_margin] * len(acc), direction="greater", delta=0.0,
                 arms=(constrained, "chance + margin"), label="max-norm net's validation accuracy above chance")


def _rounded(values, digits: int = 3):
    if isinstance(values, dict):
        return {k: _rounded(v, digits) for k, v in values.items()}
    return [round(float(v), digits) for v in values]
