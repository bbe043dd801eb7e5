"""Section: the vanishing/exploding gradients problems, Glorot and He initialization.

Each test is one claim of dnnkit/catalog/initialization.py; the claim's sentence is in its docstring.
"""

from __future__ import annotations

import math

import pytest
import torch

from dnnkit import data
from dnnkit.nn.diagnostics import (
    activation_stats,
    gradient_norms,
    one_unit_twin,
    symmetry,
    symmetry_tolerance,
)
from dnnkit.nn.models import build_mlp
from dnnkit.train.experiment import at_init, replace_fit, select_lr
from dnnkit.train.training import evaluate


def log_ratio(first: float, last: float) -> float:
    return abs(math.log10(last / first))


@pytest.mark.claim("zero-init-symmetry")
def test_zero_init_symmetry(claim, digits):
    """With all weights zero, or all equal to one constant drawn from He init, every hidden layer's units stay
    identical after training; He init breaks the symmetry."""
    k = claim.knobs
    runs = claim.train({"zeros": k.net.replace(weight_init="zeros"), "he_constant": k.net.replace(weight_init="he_constant"),
                        "he_normal": k.net}, digits, k.fit)
    # Exact max-abs differences between units' rows, and whether each layer is within the float32 tolerance.
    tables = {arm: [symmetry(r.model) for r in runs[arm].results] for arm in runs}
    claim.note(max_unit_difference={arm: [float(t["max_unit_distance"].max()) for t in ts] for arm, ts in tables.items()},
               over_tolerance={arm: [float((t["max_unit_distance"] / t["tolerance"]).fillna(0).max()) for t in ts]
                               for arm, ts in tables.items()})
    held = [bool(z["symmetric"].all() and c["symmetric"].all() and not h["symmetric"].any())
            for z, c, h in zip(tables["zeros"], tables["he_constant"], tables["he_normal"], strict=True)]
    claim.decide(held, label="zeros and he_constant stay symmetric in every layer, he_normal in none")


@pytest.mark.claim("symmetric-init-like-one-neuron")
def test_symmetric_init_like_one_neuron(claim, digits):
    """If all the weights are the same, it's like having just one neuron per layer, but much slower; random
    initialization beats it."""
    k = claim.knobs
    runs = claim.train({"constant": k.net.replace(weight_init="he_constant"), "he_normal": k.net,
                        "width 1": k.net.replace(width=1)}, digits, k.fit)
    split = claim.on_device(digits)
    constant = [r.model.eval() for r in runs["constant"].results]
    twins = [one_unit_twin(m) for m in constant]  # the exact rescaling: a width-1 net, the same function
    with torch.no_grad():
        logits = [(m(split.X_val), t(split.X_val)) for m, t in zip(constant, twins, strict=True)]
    # Same float32 tolerance as for weights, relative to the logits' scale: 4 layers of sums of <= 64 terms, each
    # off by <= ~64 eps relative, stay below 1024 eps (measured on bases 0-4: at most a quarter of it).
    gaps = [float((a - b).abs().max() / symmetry_tolerance(float(a.abs().max()))) for a, b in logits]
    acc = {"constant": [evaluate(m, split.X_val, split.y_val)[1] for m in constant],
           "twin": [evaluate(t, split.X_val, split.y_val)[1] for t in twins]}
    # "But much slower": the constant net pays for every unit of every layer to compute what the twin computes.
    params = [sum(p.numel() for p in m.parameters()) for m in (constant[0], twins[0])]
    claim.note(logit_gap_over_tolerance=[round(g, 4) for g in gaps], parameters_constant_vs_twin=params,
               val_acc={**{k: [round(a, 3) for a in v] for k, v in acc.items()},
                        **{arm: [round(a, 3) for a in runs[arm].values("val_acc")] for arm in ("he_normal", "width 1")}})
    claim.decide([g <= 1 for g in gaps], kind="exact", arms=("constant init 3x50", "B"),
                 label="the constant net's validation logits equal its width-1 twin's (float32 tolerance)")
    claim.decide(acc["constant"], acc["twin"], label="validation accuracy: constant net vs its width-1 twin")
    claim.decide(runs["he_normal"].values("val_acc"), acc["constant"], kind="directional", direction="greater",
                 delta=k.he_margin, arms=("he_normal", "constant init"),
                 label="random (He) init beats the constant init (validation accuracy)")
    # The to-do's setup, a width-1 net trained from its own He init, is another optimization path to a similar
    # function: on pilot bases 100-104 (8 seeds) TOST within 3 points held on 3/5 (paired), so it cannot gate.
    claim.decide(acc["constant"], runs["width 1"].values("val_acc"), arms=("constant init 3x50", "width 1 trained"),
                 label="constant net vs a width-1 net trained from He init (TOST)",
                 sensitivity="a width-1 net trained from its own He init at the same rate (the to-do's setup) is "
                             "not the same function; equivalence within 3 points held on 3 of 5 pilot bases at 8 "
                             "seeds: underpowered")


@pytest.mark.claim("bias-zero-ok")
def test_bias_zero_ok(claim, digits):
    """It is perfectly fine to initialize the bias terms to zero: zero biases with random weights train as well as
    random biases, and the symmetry is still broken."""
    k = claim.knobs
    runs = claim.train({"zero bias": k.net, "random bias": k.net.replace(bias_init="he_normal")}, digits, k.fit)
    claim.decide(runs["zero bias"].values("val_acc"), runs["random bias"].values("val_acc"))
    # Broken = even the closest two units of every layer differ by more than the float32 tolerance (exact max-abs).
    tables = [symmetry(r.model) for r in runs["zero bias"].results]
    broken = [bool((t["min_unit_distance"] > t["tolerance"]).all()) for t in tables]
    claim.decide(broken, kind="exact", label="zero-bias units are not symmetric after training")


@pytest.mark.claim("std-normal-unstable-gradients")
def test_std_normal_unstable_gradients(claim, digits):
    """A deep sigmoid/tanh net with N(0,1) weights has gradient norms that vanish or explode geometrically from the
    top layer to the bottom; Glorot (tanh) and He (ReLU) keep the bottom-to-top ratio within an order of magnitude."""
    k = claim.knobs
    split = claim.on_device(digits)
    X, y = split.X_train[:k.examples], split.y_train[:k.examples]

    def spread(model) -> float:
        norms = gradient_norms(model, X, y)["grad_norm"].to_numpy()[:-1]  # hidden layers; the head is not "deep"
        return log_ratio(norms[-1], norms[0])

    seeds = claim.seeds()
    normal = {"weight_init": "normal", "weight_init_params": {"std": k.std}}
    arms = {"sigmoid N(0,1)": k.net.replace(activation="sigmoid", **normal),
            "tanh N(0,1)": k.net.replace(activation="tanh", **normal),
            "tanh Glorot": k.net.replace(activation="tanh", weight_init="glorot_normal"),
            "ReLU He": k.net.replace(activation="relu", weight_init="he_normal"),
            "sigmoid Glorot": k.net.replace(activation="sigmoid", weight_init="glorot_normal")}
    decades = {arm: at_init(cfg, seeds, spread, device=claim.device) for arm, cfg in arms.items()}
    claim.note(decades_bottom_to_top={arm: [round(v, 2) for v in vs] for arm, vs in decades.items()})
    for bad in ("sigmoid N(0,1)", "tanh N(0,1)"):
        claim.decide(decades[bad], decades["tanh Glorot"], arms=(bad, "tanh Glorot"))
    within = k.within_decades
    claim.decide([g < within and r < within for g, r in zip(decades["tanh Glorot"], decades["ReLU He"], strict=True)],
                 kind="exact", label="Glorot/tanh and He/ReLU within one decade")
    # The chapter pairs Glorot with the logistic too; but sigma' <= 1/4 shrinks the gradient at every layer, so
    # sigmoid + Glorot loses ~11-12 decades over 20 layers. The claim's comparison is tanh + Glorot; this is shown.
    why = "the chapter's own sigmoid + Glorot pairing, set aside: sigma' <= 1/4 per layer loses 11-12 decades"
    claim.decide([v < within for v in decades["sigmoid Glorot"]], kind="exact", arms=("sigmoid Glorot", "B"),
                 label="sigmoid + Glorot within one decade", sensitivity=why)
    claim.decide(decades["sigmoid N(0,1)"], decades["sigmoid Glorot"], arms=("sigmoid N(0,1)", "sigmoid Glorot"),
                 label="sigmoid: N(0,1) spreads more decades than Glorot", sensitivity=why)


@pytest.mark.claim("matched-init-preserves-variance")
def test_matched_init_preserves_variance(claim, digits):
    """He init for ReLU, Glorot for tanh and LeCun for SELU keep the activation variance roughly constant across
    depth; a mismatched pairing collapses or explodes it."""
    k = claim.knobs
    X = claim.on_device(digits).X_train[:k.examples]

    def drift(model) -> float:
        var = activation_stats(model, X)["var"].to_numpy()
        return log_ratio(var[0], var[-1])

    seeds = claim.seeds()
    pairs = {"relu": ("he_normal", "lecun_normal"), "tanh": ("glorot_normal", "normal"), "selu": ("lecun_normal", "he_normal")}
    per_layer = {}
    for act, (matched, mismatched) in pairs.items():
        good_cfg = k.net.replace(activation=act, weight_init=matched)
        # "normal" at std 0.01 is the small-init mismatch for tanh (the chapter's N(0, 0.01) default of old).
        bad_cfg = k.net.replace(activation=act, weight_init=mismatched,
                                weight_init_params={"std": k.std} if mismatched == "normal" else {})
        good, bad = (at_init(cfg, seeds, drift, device=claim.device) for cfg in (good_cfg, bad_cfg))
        claim.decide(good, bad, arms=(f"{act} {matched}", f"{act} {mismatched}"))
        model = build_mlp(good_cfg, generator=seeds[0].generator("init"), device=claim.device)
        per_layer[act] = [round(v, 3) for v in activation_stats(model, X)["var"]]
    claim.note(matched_variance_by_layer_seed0=per_layer)


@pytest.mark.claim("large-init-high-loss")
def test_large_init_high_loss(claim, digits):
    """Initializing weights to very large random values gives a very high cost at the beginning and trains worse
    than He initialization."""
    k = claim.knobs
    split = claim.on_device(digits)
    arms = {"N(0, 1) weights": k.net.replace(weight_init="normal", weight_init_params={"std": k.large_std}),
            "he_normal": k.net}
    seeds = claim.seeds()
    initial = {arm: at_init(cfg, seeds, lambda m: evaluate(m, split.X_val, split.y_val)[0], device=claim.device)
               for arm, cfg in arms.items()}
    claim.decide(initial["N(0, 1) weights"], initial["he_normal"], label="initial validation loss")
    runs = claim.train(arms, split, k.fit, seeds)
    claim.decide(runs["N(0, 1) weights"].values("val_acc"), runs["he_normal"].values("val_acc"), direction="less",
                 delta=k.acc_margin, label=f"validation accuracy after {k.fit.epochs} epochs")


@pytest.mark.claim("input-normalization-speeds-training")
def test_input_normalization_speeds_training(claim):
    """Standardized inputs make the cost easier to optimize: with features on very different scales, gradient descent
    on standardized inputs reaches a target accuracy in fewer epochs than on raw inputs."""
    k = claim.knobs
    # The premise needs features on different scales (digits' pixels share one range): 4 orders of magnitude here.
    # The data set is drawn from the seed base, like every split.
    splits = {std: claim.on_device(data.make_blobs_classification(k.samples, k.features, k.classes, seed=claim.data_seed,
                                                                  scale_spread=k.scale_spread, standardize=std))
              for std in (True, False)}
    epochs = {}
    for arm, std in (("standardized", True), ("raw", False)):
        lr, table = select_lr(k.net, splits[std], k.fit, k.grid, claim.pilot_seeds())
        claim.note(**{f"{arm} lr": lr, f"{arm} lr grid": table})
        runs = claim.train({arm: k.net}, splits[std], replace_fit(k.fit, lr=lr))
        epochs[arm] = runs[arm].epochs_to_target()
    claim.decide(epochs["standardized"], epochs["raw"])
