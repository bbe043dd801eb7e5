"""Section: the vanishing/exploding gradients problems, Glorot and He initialization.

Each test is one claim of dnnkit/catalog/initialization.py; the claim's sentence is in its docstring.
"""

from __future__ import annotations

import math

import pytest

from dnnkit import data
from dnnkit.diagnostics import activation_stats, gradient_norms, symmetry
from dnnkit.experiment import at_init, replace_fit, select_lr
from dnnkit.models import MLPConfig, build_mlp
from dnnkit.stats import CONFIRMED
from dnnkit.training import FitConfig, evaluate

SMALL = MLPConfig(n_inputs=64, n_outputs=10, depth=3, width=50, activation="elu")
DEEP = MLPConfig(n_inputs=64, n_outputs=10, depth=20, width=100)
FIT = FitConfig(epochs=10, batch_size=64)
SYMMETRIC = 1e-2  # relative distance between units; rounding in 200+ Adam steps leaves ~1e-3 on symmetric nets


def log_ratio(first: float, last: float) -> float:
    return abs(math.log10(last / first))


@pytest.mark.claim("zero-init-symmetry")
@pytest.mark.xfail(strict=False, reason=(
    "borderline at quick scale (8 seeds, 3x50 ELU, 10 epochs on digits): symmetry held on 8/8 seeds and He beat the "
    "symmetric net by 76 points (p=7.8e-5), but the symmetric net is so close to the one-unit net that 'no better "
    "than one unit' against the declared 2-point margin is inconclusive on seed base 0 (HL shift vs one-unit + 0.02: "
    "-0.02 [-0.037, 0.008], p=0.11) and confirmed on seed base 1: underpowered, so the verdict may flip between bases"))
def test_zero_init_symmetry(claim, digits):
    """With all weights zero, or all equal to one constant drawn from He init, every hidden layer's units stay
    identical after training and the net is no better than a one-unit-per-layer net; He init breaks the symmetry."""
    runs = claim.train({"zeros": SMALL.replace(weight_init="zeros"), "he_constant": SMALL.replace(weight_init="he_constant"),
                        "he_normal": SMALL, "one unit per layer": SMALL.replace(width=1)}, digits, FIT)
    distance = {arm: [symmetry(r.model)["relative_distance"].max() for r in runs[arm].results] for arm in runs}
    claim.note(relative_unit_distance={arm: [round(d, 5) for d in ds] for arm, ds in distance.items()})
    held = [z < SYMMETRIC and c < SYMMETRIC and h > SYMMETRIC
            for z, c, h in zip(distance["zeros"], distance["he_constant"], distance["he_normal"], strict=True)]
    symmetric_kept = claim.decide(held, label="zeros and he_constant stay symmetric, he_normal does not")
    acc = {arm: runs[arm].values("val_acc") for arm in runs}
    no_better = claim.decide(acc["he_constant"], [a + claim.spec.delta for a in acc["one unit per layer"]],
                             kind="directional", direction="less", arms=("he_constant", "one unit + delta"),
                             label="symmetric net below a one-unit net + delta (accuracy)")
    he_wins = claim.decide(acc["he_normal"], acc["he_constant"], kind="directional", direction="greater",
                           arms=("he_normal", "he_constant"), label="He init beats the symmetric net (accuracy)")
    assert (symmetric_kept.verdict, no_better.verdict, he_wins.verdict) == (CONFIRMED,) * 3, claim.decisions


@pytest.mark.claim("bias-zero-ok")
def test_bias_zero_ok(claim, digits):
    """It is perfectly fine to initialize the bias terms to zero: zero biases with random weights train as well as
    random biases, and the symmetry is still broken."""
    runs = claim.train({"zero bias": SMALL, "random bias": SMALL.replace(bias_init="he_normal")}, digits, FIT)
    equal = claim.decide(runs["zero bias"].values("val_acc"), runs["random bias"].values("val_acc"))
    broken = claim.decide([symmetry(r.model)["relative_distance"].min() > SYMMETRIC for r in runs["zero bias"].results],
                          kind="exact", label="zero-bias units are not symmetric after training")
    assert (equal.verdict, broken.verdict) == (CONFIRMED, CONFIRMED), claim.decisions


@pytest.mark.claim("std-normal-unstable-gradients")
def test_std_normal_unstable_gradients(claim, digits):
    """A deep sigmoid/tanh net with N(0,1) weights has gradient norms that vanish or explode geometrically from the
    top layer to the bottom; Glorot (tanh) and He (ReLU) keep the bottom-to-top ratio within an order of magnitude."""
    X, y = digits.X_train[:512], digits.y_train[:512]

    def spread(model) -> float:
        norms = gradient_norms(model, X, y)["grad_norm"].to_numpy()[:-1]  # hidden layers; the head is not "deep"
        return log_ratio(norms[-1], norms[0])

    seeds = claim.seeds()
    arms = {"sigmoid N(0,1)": DEEP.replace(activation="sigmoid", weight_init="normal", weight_init_params={"std": 1.0}),
            "tanh N(0,1)": DEEP.replace(activation="tanh", weight_init="normal", weight_init_params={"std": 1.0}),
            "tanh Glorot": DEEP.replace(activation="tanh", weight_init="glorot_normal"),
            "ReLU He": DEEP.replace(activation="relu", weight_init="he_normal")}
    decades = {arm: at_init(cfg, seeds, spread) for arm, cfg in arms.items()}
    claim.note(decades_bottom_to_top={arm: [round(v, 2) for v in vs] for arm, vs in decades.items()})
    verdicts = [claim.decide(decades[bad], decades["tanh Glorot"], arms=(bad, "tanh Glorot")).verdict
                for bad in ("sigmoid N(0,1)", "tanh N(0,1)")]
    matched = claim.decide([g < 1 and r < 1 for g, r in zip(decades["tanh Glorot"], decades["ReLU He"], strict=True)],
                           kind="exact", label="Glorot/tanh and He/ReLU within one decade")
    assert [*verdicts, matched.verdict] == [CONFIRMED] * 3, claim.decisions


@pytest.mark.claim("matched-init-preserves-variance")
def test_matched_init_preserves_variance(claim, digits):
    """He init for ReLU, Glorot for tanh and LeCun for SELU keep the activation variance roughly constant across
    depth; a mismatched pairing collapses or explodes it."""
    X = digits.X_train[:512]

    def drift(model) -> float:
        var = activation_stats(model, X)["var"].to_numpy()
        return log_ratio(var[0], var[-1])

    seeds = claim.seeds()
    pairs = {"relu": ("he_normal", "lecun_normal"), "tanh": ("glorot_normal", "normal"), "selu": ("lecun_normal", "he_normal")}
    verdicts, per_layer = [], {}
    for act, (matched, mismatched) in pairs.items():
        good = at_init(DEEP.replace(activation=act, weight_init=matched), seeds, drift)
        # "normal" at std 0.01 is the small-init mismatch for tanh (the chapter's N(0, 0.01) default of old).
        bad_cfg = DEEP.replace(activation=act, weight_init=mismatched,
                               weight_init_params={"std": 0.01} if mismatched == "normal" else {})
        bad = at_init(bad_cfg, seeds, drift)
        verdicts.append(claim.decide(good, bad, arms=(f"{act} {matched}", f"{act} {mismatched}")).verdict)
        per_layer[act] = [round(v, 3) for v in activation_stats(build_mlp(DEEP.replace(activation=act, weight_init=matched),
                                                                          generator=seeds[0].generator("init")), X)["var"]]
    claim.note(matched_variance_by_layer_seed0=per_layer)
    assert verdicts == [CONFIRMED] * 3, claim.decisions


@pytest.mark.claim("large-init-high-loss")
def test_large_init_high_loss(claim, digits):
    """Initializing weights to very large random values gives a very high cost at the beginning and trains worse
    than He initialization."""
    arms = {"N(0, 1) weights": SMALL.replace(activation="relu", weight_init="normal", weight_init_params={"std": 1.0}),
            "he_normal": SMALL.replace(activation="relu")}
    seeds = claim.seeds()
    initial = {arm: at_init(cfg, seeds, lambda m: evaluate(m, digits.X_val, digits.y_val)[0]) for arm, cfg in arms.items()}
    high_loss = claim.decide(initial["N(0, 1) weights"], initial["he_normal"], label="initial validation loss")
    runs = claim.train(arms, digits, FIT, seeds)
    worse = claim.decide(runs["N(0, 1) weights"].values("val_acc"), runs["he_normal"].values("val_acc"), direction="less",
                         delta=0.01, label="validation accuracy after 10 epochs")
    assert (high_loss.verdict, worse.verdict) == (CONFIRMED, CONFIRMED), claim.decisions


@pytest.mark.claim("input-normalization-speeds-training")
def test_input_normalization_speeds_training(claim):
    """Standardized inputs make the cost easier to optimize: with features on very different scales, gradient descent
    on standardized inputs reaches a target accuracy in fewer epochs than on raw inputs."""
    # The premise needs features on different scales (digits' pixels share one range): 4 orders of magnitude here.
    splits = {std: data.make_blobs_classification(2000, 20, 5, seed=0, scale_spread=4.0, standardize=std)
              for std in (True, False)}
    net = MLPConfig(n_inputs=20, n_outputs=5, depth=2, width=32, activation="relu")
    fit = FitConfig(epochs=claim.pick(30, 60), batch_size=64, optimizer="sgd", target=("val_acc", 0.9), stop_at_target=True)
    grid = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
    epochs = {}
    for arm, std in (("standardized", True), ("raw", False)):
        lr, table = select_lr(net, splits[std], fit, grid, claim.pilot_seeds())
        claim.note(**{f"{arm} lr": lr, f"{arm} lr grid": table})
        runs = claim.train({arm: net}, splits[std], replace_fit(fit, lr=lr))
        epochs[arm] = runs[arm].epochs_to_target()
    assert claim.decide(epochs["standardized"], epochs["raw"]).verdict == CONFIRMED, claim.decisions
