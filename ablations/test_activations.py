"""Section: activation functions: ReLU and its variants, ELU, SELU, GELU, Swish (SiLU) and Mish versus sigmoid.

Each test is one claim of dnnkit/catalog/activations.py; the claim's sentence is in its docstring.
Design choices were made on pilot seeds (role "pilot", seed bases 0 and 7; for the claims of issue 20, pilot bases
100-104); their numbers are quoted in the catalog's docstring or where used.
"""

from __future__ import annotations

import math
from dataclasses import asdict, replace
from functools import partial
from itertools import pairwise

import numpy as np
import pytest
import torch

from dnnkit.data import n_per_class
from dnnkit.evidence.timing import ratio_summary
from dnnkit.nn.activation_latency import latency_candidates
from dnnkit.nn.activations import make_activation, matched_init
from dnnkit.nn.diagnostics import activation_stats, dead_units, gradient_norms, saturation
from dnnkit.nn.exact_zeros import exact_zero_share
from dnnkit.nn.models import build_mlp
from dnnkit.nn.residual import residual_hidden_outputs
from dnnkit.train.experiment import at_init, replace_fit, select_lr
from dnnkit.train.own_rates import own_rates
from dnnkit.train.training import evaluate


@pytest.mark.claim("leaky-relu-never-zero-gradient")
def test_leaky_relu_never_zero_gradient(claim):
    """For z < 0 the gradient of leaky ReLU is alpha, never 0 (so leaky units never die); the gradient of ELU is
    alpha*exp(z), positive."""
    k = claim.knobs
    leaky, elu, relu = make_activation("leaky_relu"), make_activation("elu"), make_activation("relu")
    alpha = leaky.negative_slope
    held_leaky, held_elu, relu_zero = [], [], []
    for s in claim.seeds():
        z = (-(torch.randn(k.inputs, generator=s.generator("init")) * k.scale).abs() - k.shift).to(claim.device)
        grads = {name: _grad(f, z) for name, f in (("leaky", leaky), ("elu", elu), ("relu", relu))}
        held_leaky.append(bool((grads["leaky"] == alpha).all()))
        held_elu.append(bool((grads["elu"] > 0).all()) and torch.allclose(grads["elu"], torch.exp(z)))
        relu_zero.append(float((grads["relu"] == 0).float().mean()))
    claim.note(leaky_alpha=alpha, relu_zero_gradient_fraction=relu_zero)
    claim.decide(held_leaky, label="leaky ReLU gradient == alpha for every z < 0", arms=("leaky_relu", "B"))
    claim.decide(held_elu, label="ELU gradient == exp(z) > 0 for every z < 0", arms=("elu", "B"))


def _grad(f, z: torch.Tensor) -> torch.Tensor:
    x = z.clone().requires_grad_()
    (g,) = torch.autograd.grad(f(x).sum(), x)
    return g


@pytest.mark.claim("dying-relu")
def test_dying_relu(claim, digits):
    """With a large learning rate a ReLU net ends with a substantial fraction of dead units (outputting 0 for every
    training example); leaky ReLU, ELU and SELU have (almost) none."""
    k = claim.knobs
    large, default = f"relu lr {k.fit.lr:g}", f"relu lr {k.default_lr:g}"
    # The chapter's point is the rate: the same ReLU net, same seeds, at 30x Adam's default rate and at the default.
    runs = claim.train({large: k.net}, digits, k.fit)
    runs |= claim.train({default: k.net}, digits, replace_fit(k.fit, lr=k.default_lr))
    # Context, not evidence: the other activations cannot output an exact 0, so none of their units can die.
    runs |= claim.train({act: k.net.replace(activation=act, weight_init="lecun_normal" if act == "selu" else "he_normal")
                         for act in ("leaky_relu", "elu", "selu")}, digits, k.fit)
    X = claim.on_device(digits).X_train
    dead = {arm: [dead_units(r.model, X)[["dead", "units"]].sum() for r in runs[arm].results] for arm in runs}
    frac = {arm: [float(t["dead"] / t["units"]) for t in ts] for arm, ts in dead.items()}
    claim.note(dead_units_per_seed={arm: [int(t["dead"]) for t in ts] for arm, ts in dead.items()},
               val_acc={arm: [round(a, 3) for a in runs[arm].values("val_acc")] for arm in runs})
    # "Substantial": more than delta above the default rate's fraction, so the reference is shifted by it.
    claim.decide(frac[large], [f + claim.spec.delta for f in frac[default]],
                 label=f"ReLU dead fraction at lr {k.fit.lr:g} above lr {k.default_lr:g} + {claim.spec.delta}")


@pytest.mark.claim("sigmoid-saturation-vanishing")
def test_sigmoid_saturation_vanishing(claim, digits):
    """A deep sigmoid net with N(0,1) weights saturates (a large fraction of units near 0 or 1) and its lowest
    layers' gradients vanish; He-initialized ReLU-family nets do not."""
    k = claim.knobs
    split = claim.on_device(digits)
    X, y = split.X_train[:k.examples], split.y_train[:k.examples]

    def decades(model) -> float:  # log10(bottom / top hidden layer); the head is not "deep"
        norms = gradient_norms(model, X, y)["grad_norm"].to_numpy()[:-1]
        return math.log10(norms[0] / norms[-1])

    seeds = claim.seeds()
    sigmoid = k.net.replace(activation="sigmoid", weight_init="normal", weight_init_params={"std": k.std})
    glorot = k.net.replace(activation="sigmoid", weight_init="glorot_normal")
    at = partial(at_init, seeds=seeds, device=claim.device)
    sat = {arm: at(cfg, measure=lambda m: float(saturation(m, X)["saturated_fraction"].mean()))
           for arm, cfg in (("sigmoid N(0,1)", sigmoid), ("sigmoid Glorot", glorot))}
    claim.decide(sat["sigmoid N(0,1)"], sat["sigmoid Glorot"], direction="greater", delta=k.saturation_margin,
                 arms=("sigmoid N(0,1)", "sigmoid Glorot"), label="saturated fraction (mean over layers)")
    grads = {"sigmoid N(0,1)": at(sigmoid, measure=decades)}
    for act in ("relu", "leaky_relu", "elu"):
        grads[f"{act} He"] = at(k.net.replace(activation=act), measure=decades)
    # Not a claim, context: sigmoid with Glorot does not saturate but each layer scales gradients by ~0.25
    # (sigma' <= 1/4), so its bottom layer sees ~12 decades less (pilots: -10.7 to -12.0).
    grads["sigmoid Glorot (context)"] = at(glorot, measure=decades)
    claim.note(saturated_fraction={k: [round(v, 3) for v in vs] for k, vs in sat.items()},
               log10_bottom_over_top={k: [round(v, 2) for v in vs] for k, vs in grads.items()})
    for act in ("relu", "leaky_relu", "elu"):
        claim.decide(grads["sigmoid N(0,1)"], grads[f"{act} He"], arms=("sigmoid N(0,1)", f"{act} He"),
                     label=f"bottom/top gradient decades: sigmoid N(0,1) below {act} He")


@pytest.mark.claim("selu-self-normalizes")
def test_selu_self_normalizes(claim, digits, digits_raw):
    """A deep dense SELU net with LeCun normal weights and standardized inputs keeps every layer's activation mean
    near 0 and standard deviation near 1; with non-standardized inputs or He init the statistics drift."""
    k = claim.knobs
    net, band = k.net, k.band
    X, X_raw = claim.on_device(digits).X_train, claim.on_device(digits_raw).X_train
    arms = {"lecun standardized": (net, X), "lecun raw inputs": (net, X_raw),
            "he standardized": (net.replace(weight_init="he_normal"), X)}
    seeds = claim.seeds()
    stats = {arm: [activation_stats(build_mlp(cfg, generator=s.generator("init"), device=claim.device), X) for s in seeds]
             for arm, (cfg, X) in arms.items()}

    def in_band(t) -> bool:
        return bool((t["mean"].abs() < band.abs_mean).all() and (t["std"] > band.std_low).all()
                    and (t["std"] < band.std_high).all())

    def worst(t) -> float:
        return float(((t["std"] - 1).abs()).combine(t["mean"].abs(), max).max())

    dev = {arm: [worst(t) for t in ts] for arm, ts in stats.items()}
    every = max(1, len(stats["lecun standardized"][0]) // 10)  # every k-th layer, seed 0, compact
    claim.note(band=asdict(band), worst_layer_deviation={a: [round(v, 3) for v in vs] for a, vs in dev.items()},
               **{f"{arm} seed0 mean/std every {every} layers": [(round(m, 2), round(s, 2)) for m, s in
                  zip(ts[0]["mean"][::every], ts[0]["std"][::every], strict=True)] for arm, ts in stats.items()})
    claim.decide([in_band(t) for t in stats["lecun standardized"]],
                 label="LeCun + standardized inputs: every layer in the band", arms=("lecun standardized", "B"))
    for bad in ("lecun raw inputs", "he standardized"):
        claim.decide(dev["lecun standardized"], dev[bad], kind="directional", direction="less",
                     arms=("lecun standardized", bad), label=f"worst-layer deviation below {bad}")


@pytest.mark.claim("activation-ranking")
def test_activation_ranking(claim, digits):
    """In general SELU > ELU > leaky ReLU > ReLU > tanh > sigmoid (logistic) for the hidden layers of a deep dense
    network."""
    # Expected "refuted" at this scale (declared in the catalog): the chain breaks at ReLU > tanh.
    k = claim.knobs
    digits = claim.on_device(digits)
    # Each activation with the init the chapter pairs it with; the order is the chapter's ranking, best first.
    arms = {name: k.net.replace(activation=act, weight_init=init) for name, (act, init) in k.inits.items()}
    pilots = {name: select_lr(cfg, digits, k.fit, k.grid, claim.pilot_seeds(k.pilot_seeds)) for name, cfg in arms.items()}
    runs = claim.train(arms, digits, {name: replace_fit(k.fit, lr=lr) for name, (lr, _) in pilots.items()})
    loss = {name: runs[name].values("val_loss") for name in arms}
    claim.note(lr={name: lr for name, (lr, _) in pilots.items()},
               pilot_median_val_loss={name: {f"{row['lr']:g}": round(row["median_val_loss"], 3) for row in table}
                                      for name, (_, table) in pilots.items()},
               val_acc={name: [round(a, 3) for a in runs[name].values("val_acc")] for name in arms},
               val_loss={name: [round(v, 3) for v in vs] for name, vs in loss.items()})
    holds = {f"{a} > {b}": claim.decide(loss[a], loss[b], arms=(a, b), label=f"{a} below {b} in val loss").verdict
             for a, b in pairwise(arms)}
    claim.note(adjacent_pairs=holds)


@pytest.mark.claim("elu-slower-than-relu")
def test_elu_slower_than_relu(claim):
    """The main drawback of the ELU activation function is that it is slower to compute than ReLU (because of the
    exponential function)."""
    k = claim.knobs
    seed, dev, rounds = claim.seeds(n=1)[0], claim.device, claim.n_seeds
    g = seed.generator("data")
    x = torch.randn(2 ** k.log2_elements, generator=g).to(dev)
    X = torch.randn(k.batch, k.net.n_inputs, generator=g).to(dev)
    # The chapter's 5 x 100 net, same weights in both (same init stream): only the nonlinearity differs.
    nets = {act: build_mlp(k.net.replace(activation=act), generator=seed.generator("init"), device=dev).eval()
            for act in ("elu", "relu")}
    alone = {act: make_activation(act) for act in ("elu", "relu")}
    alone_label = f"activation alone, 2^{k.log2_elements} elements"
    whole_label = f"whole {k.net.depth}x{k.net.width} MLP forward, batch {k.batch}"
    kernel = claim.time({act: partial(f, x) for act, f in alone.items()}, rounds=rounds, label=alone_label)
    whole = claim.time({act: partial(m, X) for act, m in nets.items()}, rounds=rounds, label=whole_label)
    claim.note(activation_alone=ratio_summary(kernel["elu"], kernel["relu"]),
               whole_mlp=ratio_summary(whole["elu"], whole["relu"]), torch_threads=torch.get_num_threads())
    # Each decision tests the median ratio ELU/ReLU against 1 + min_effect (0.1, declared); the raw ratios are above.
    claim.decide(kernel["elu"], kernel["relu"], label=alone_label)
    claim.decide(whole["elu"], whole["relu"], label=whole_label)


@pytest.mark.claim("relu-exact-zeros")
def test_relu_exact_zeros(claim, digits):
    """If you have a situation where it's preferable to have neurons output exactly 0, then ReLU is a good choice."""
    k = claim.knobs
    arms = {act: k.net.replace(activation=act, weight_init=matched_init(act)) for act in ("relu", *k.others)}
    runs = claim.train(arms, digits, k.fit)
    X = claim.on_device(digits).X_train
    share = {arm: [exact_zero_share(r.model, X) for r in runs[arm].results] for arm in arms}
    claim.note(exact_zero_share={arm: [round(v, 4) for v in vs] for arm, vs in share.items()},
               val_acc={arm: [round(a, 3) for a in runs[arm].values("val_acc")] for arm in arms})
    claim.decide([v > k.relu_share for v in share["relu"]], label=f"ReLU: share of exact zeros above {k.relu_share}",
                 arms=("relu", "B"))
    for act in k.others:
        claim.decide([v == 0 for v in share[act]], label=f"{act}: no exact zeros", arms=(act, "B"))


def _latency(claim, k) -> None:
    """Time each compared activation against the reference (alone, then in the whole net) and decide each ratio."""
    s = claim.seeds(n=1)[0]
    c = latency_candidates((k.reference, *k.compared), k.net, log2_elements=k.log2_elements, batch=k.batch,
                           data=s.generator("data"), init=lambda: s.generator("init"), device=claim.device)
    settings = {f"activation alone, 2^{k.log2_elements} elements": c.kernel}
    if k.net is not None:
        settings[f"whole {k.net.depth}x{k.net.width} MLP forward, batch {k.batch}"] = c.forward
    for label, fns in settings.items():
        times = claim.time(fns, rounds=claim.n_seeds, label=label)
        claim.note(**{label: {name: ratio_summary(times[name], times[k.reference]) for name in k.compared}})
        for name in k.compared:
            claim.decide(times[name], times[k.reference], arms=(name, k.reference), label=f"{name}: {label}")
    claim.note(torch_threads=torch.get_num_threads())


@pytest.mark.claim("gelu-costlier-than-relu")
def test_gelu_costlier_than_relu(claim):
    """GELU is a bit more computationally intensive than ReLU (and so is Mish)."""
    _latency(claim, claim.knobs)


@pytest.mark.claim("leaky-relu-low-latency")
def test_leaky_relu_low_latency(claim):
    """If you care about runtime latency, then you may prefer leaky ReLU."""
    _latency(claim, claim.knobs)


@pytest.mark.claim("relu-fastest-activation")
def test_relu_fastest_activation(claim):
    """ReLU: if you care about speed. Most widely used so many libraries have optimizations for it."""
    _latency(claim, claim.knobs)


@pytest.mark.claim("gelu-sigmoid-approximation")
def test_gelu_sigmoid_approximation(claim):
    """GELU is approximately equal to z*sigmoid(1.702 z), which is much faster to compute."""
    k = claim.knobs
    gelu, approx = make_activation("gelu"), make_activation("gelu_sigmoid")
    error, control = [], []
    for s in claim.seeds():
        z = k.low + (k.high - k.low) * torch.rand(k.points, generator=s.generator("init"), dtype=torch.float64)
        error.append(float((gelu(z) - approx(z)).abs().max()))
        control.append(float((gelu(z) - z * torch.sigmoid(k.control_scale * z)).abs().max()))
    claim.note(max_abs_error=error, control_max_abs_error=control)
    claim.decide([e <= k.tolerance for e in error], label=f"max |GELU - z*sigmoid(1.702 z)| <= {k.tolerance}",
                 arms=("gelu_sigmoid", "B"))
    claim.decide([e > k.tolerance for e in control], label=f"control z*sigmoid({k.control_scale:g} z) misses it",
                 arms=("swish", "B"))
    s = claim.seeds(n=1)[0]
    c = latency_candidates(("gelu_sigmoid", "gelu"), None, log2_elements=k.log2_elements,
                           data=s.generator("data"), init=lambda: s.generator("init"), device=claim.device)
    times = claim.time(c.kernel, rounds=k.rounds, label=f"2^{k.log2_elements} elements")
    claim.note(sigmoid_form_over_gelu=ratio_summary(times["gelu_sigmoid"], times["gelu"]))
    claim.decide(times["gelu_sigmoid"], times["gelu"], kind="timing", direction="faster", min_effect=k.min_effect,
                 label="sigmoid form faster than GELU, alone")


def matched_pair_val_loss(claim, split, a: str, b: str) -> None:
    """Two activations, each with its matched init and its own rate from the knobs' grid on pilot seeds; decide A's
    validation loss below B's."""
    k, split = claim.knobs, claim.on_device(split)
    arms = {act: k.net.replace(activation=act, weight_init=matched_init(act)) for act in (a, b)}
    rates = own_rates(arms, split, k.fit, k.grid, claim.pilot_seeds(k.pilot_seeds))
    runs = claim.train(arms, split, rates.fits)
    claim.note(lr=rates.lr, pilot_median_val_loss=rates.pilot_summary(),
               val_acc={act: [round(v, 3) for v in runs[act].values("val_acc")] for act in arms})
    claim.decide(runs[a].values("val_loss"), runs[b].values("val_loss"), label="validation loss")


@pytest.mark.claim("relu-beats-sigmoid-deep")
def test_relu_beats_sigmoid_deep(claim, digits):
    """ReLU behaves better than sigmoid, does not saturate for +ve values."""
    matched_pair_val_loss(claim, digits, "relu", "sigmoid")


def _elu_vs_relu(claim, split, measure) -> dict[str, dict[str, list[float]]]:
    """measure(model, X) per seed for ELU and ReLU (same He init stream), at init and after the claim's fit."""
    k = claim.knobs
    split = claim.on_device(split)
    n = k.examples or len(split.X_train)
    X, y = split.X_train[:n], split.y_train[:n]
    arms = {act: k.net.replace(activation=act) for act in ("elu", "relu")}
    seeds = claim.seeds()
    runs = claim.train(arms, split, k.fit, seeds)
    return {act: {"init": at_init(cfg, seeds, lambda m: measure(m, X, y), device=claim.device),
                  "trained": [measure(r.model, X, y) for r in runs[act].results]} for act, cfg in arms.items()}


@pytest.mark.claim("elu-alleviates-vanishing")
def test_elu_alleviates_vanishing(claim, digits):
    """[ELU] can take on negative values ... This helps alleviate the vanishing gradients problem."""
    def decades(model, X, y) -> float:  # bottom vs top hidden layer; the head is not "deep"
        norms = gradient_norms(model, X, y)["grad_norm"].to_numpy()[:-1]
        return abs(math.log10(norms[0] / norms[-1]))

    values = _elu_vs_relu(claim, digits, decades)
    claim.note(decades={act: {when: [round(v, 3) for v in vs] for when, vs in d.items()} for act, d in values.items()})
    for when in ("init", "trained"):
        claim.decide(values["elu"][when], values["relu"][when], label=f"bottom/top gradient decades, {when}")


@pytest.mark.claim("elu-mean-closer-to-zero")
def test_elu_mean_closer_to_zero(claim, digits):
    """It can take on negative values, so the average output of the neurons in any given layer is typically closer
    to 0 than when using the ReLU activation function."""
    def mean_over_std(model, X, y) -> float:
        t = activation_stats(model.eval(), X)
        return float((t["mean"].abs() / t["std"]).mean())

    values = _elu_vs_relu(claim, digits, mean_over_std)
    claim.note(abs_mean_over_std={act: {when: [round(v, 3) for v in vs] for when, vs in d.items()}
                                  for act, d in values.items()})
    for when in ("init", "trained"):
        claim.decide(values["elu"][when], values["relu"][when], label=f"|mean| / std over layers, {when}")


@pytest.mark.claim("gelu-swish-mish-beat-selu")
def test_gelu_swish_mish_beat_selu(claim, digits):
    """Three more activation functions seem to outperform [SELU] quite consistently on most tasks: GELU, Swish, and
    Mish."""
    k = claim.knobs
    digits = claim.on_device(digits)
    arms = {act: k.net.replace(activation=act, weight_init=matched_init(act)) for act in ("selu", *k.challengers)}
    rates = own_rates(arms, digits, k.fit, k.grid, claim.pilot_seeds(k.pilot_seeds))
    runs = claim.train(arms, digits, rates.fits)
    loss = {act: runs[act].values("val_loss") for act in arms}
    claim.note(lr=rates.lr, pilot_median_val_loss=rates.pilot_summary(),
               val_loss={act: [round(v, 3) for v in vs] for act, vs in loss.items()},
               val_acc={act: [round(a, 3) for a in runs[act].values("val_acc")] for act in arms})
    for act in k.challengers:
        claim.decide(loss[act], loss["selu"], arms=(act, "selu"), label=f"{act} below SELU in validation loss")


@pytest.mark.claim("leaky-alpha-0.2-beats-0.01")
def test_leaky_alpha_0_2_beats_0_01(claim, digits):
    """Setting alpha = 0.2 (a huge leak) seemed to result in better performance than alpha = 0.01 (a small leak)."""
    k = claim.knobs
    digits = claim.on_device(digits)
    huge, small = f"alpha {k.huge:g}", f"alpha {k.small:g}"
    arms = {name: k.net.replace(activation="leaky_relu", activation_params={"alpha": a})
            for name, a in ((huge, k.huge), (small, k.small))}
    rates = own_rates(arms, digits, k.fit, k.grid, claim.pilot_seeds(k.pilot_seeds))
    runs = claim.train(arms, digits, rates.fits)
    claim.note(lr=rates.lr, pilot_median_val_loss=rates.pilot_summary(),
               val_acc={a: [round(v, 3) for v in runs[a].values("val_acc")] for a in arms},
               epochs_to_target={a: runs[a].epochs_to_target() for a in arms})
    claim.decide(runs[huge].values("val_loss"), runs[small].values("val_loss"), label="validation loss")
    claim.decide(runs[huge].epochs_to_target(), runs[small].epochs_to_target(), kind="time_to_target",
                 direction="less", delta=k.epochs_delta, label=f"epochs to val accuracy {k.fit.target[1]}")


@pytest.mark.claim("relu-good-default-simple-tasks")
def test_relu_good_default_simple_tasks(claim, digits):
    """ReLU remains a good default for simple tasks: it's often just as good as the more sophisticated activation
    functions."""
    _as_good_as_the_best(claim, digits, "relu")


@pytest.mark.claim("elu-good-default")
def test_elu_good_default(claim, digits):
    """The ELU function is a good default."""
    _as_good_as_the_best(claim, digits, "elu")


def _as_good_as_the_best(claim, split, subject: str) -> None:
    """TOST of `subject` against the best of the claim's rivals (chosen on pilot seeds by median val accuracy), with
    a positive control: the best rival must beat the control activation by more than delta at the same seeds."""
    k = claim.knobs
    split = claim.on_device(split)
    arms = {act: k.net.replace(activation=act, weight_init=matched_init(act)) for act in (subject, *k.rivals)}
    pilot = claim.train(arms, split, k.fit, seeds=claim.pilot_seeds(k.pilot_seeds, "best rival"))
    best = max(k.rivals, key=lambda act: float(np.median(pilot[act].values("val_acc"))))
    control = f"control {k.control}"
    runs = claim.train({subject: arms[subject], best: arms[best],
                        control: k.net.replace(activation=k.control, weight_init=matched_init(k.control))}, split, k.fit)
    acc = {arm: runs[arm].values("val_acc") for arm in runs}
    claim.note(best_rival=best, pilot_median_val_acc={a: round(float(np.median(r.values("val_acc"))), 4)
                                                      for a, r in pilot.items()},
               val_acc={a: [round(v, 4) for v in vs] for a, vs in acc.items()})
    delta = claim.spec.delta
    claim.decide(acc[subject], acc[best], arms=(subject, best), label=f"{subject} within +-{delta} of {best}")
    # The positive control: an arm known to differ lands outside +-delta at the same seeds (the margin can fail);
    # "by more than delta" is tested as best - delta against the control.
    claim.decide([v - delta for v in acc[best]], acc[control], kind="directional", direction="greater", delta=delta,
                 design="independent", arms=(best, control),
                 control=True, label=f"positive control: {best} above {k.control} by more than {delta}")


@pytest.mark.claim("elu-beats-selu-without-self-normalization")
def test_elu_beats_selu_without_self_normalization(claim, digits):
    """If the network's architecture prevents it from self-normalizing, then ELU may perform better than SELU."""
    matched_pair_val_loss(claim, digits, "elu", "selu")


@pytest.mark.claim("selu-conditions-required")
def test_selu_conditions_required(claim, digits, digits_raw):
    """Input features must be standardized ... Every hidden layer's weights must be LeCun normal initialized ...
    Network's architecture must be sequential."""
    k = claim.knobs
    X, X_raw = claim.on_device(digits).X_train, claim.on_device(digits_raw).X_train
    he = k.net.replace(weight_init="he_normal")

    def ln_stds(config, X, residual: bool = False) -> list[list[float]]:  # per seed, per layer: ln std
        def measure(m):
            outs = residual_hidden_outputs(m, X, k.skip_every) if residual else m.hidden_outputs(X)
            return [math.log(float(h.std())) for h in outs]
        return at_init(config, claim.seeds(), torch.no_grad()(measure), device=claim.device)

    layers = {"all conditions met": ln_stds(k.net, X), "he init": ln_stds(he, X), "raw inputs": ln_stds(k.net, X_raw),
              f"skip every {k.skip_every}": ln_stds(k.net, X, residual=True)}
    std = {arm: [math.exp(seed[-1]) for seed in per_seed] for arm, per_seed in layers.items()}
    worst = {arm: [max(abs(v) for v in seed) for seed in per_seed] for arm, per_seed in layers.items()}
    claim.note(top_layer_std={arm: [round(v, 3) for v in vs] for arm, vs in std.items()},
               worst_layer_abs_ln_std={arm: [round(v, 3) for v in vs] for arm, vs in worst.items()})
    claim.decide([k.std_low <= v <= k.std_high for v in std["all conditions met"]], arms=("all conditions met", "B"),
                 label=f"top-layer std in [{k.std_low}, {k.std_high}] with every condition met")
    ln = {arm: [abs(math.log(v)) for v in vs] for arm, vs in std.items()}
    # "Further by more than ln_delta": A - ln_delta against B (a directional test alone asks only for a shift > 0).
    for arm in list(std)[1:]:
        claim.decide([v - k.ln_delta for v in ln[arm]], ln["all conditions met"], kind="directional",
                     direction="greater", delta=k.ln_delta, arms=(arm, "all conditions met"),
                     label=f"{arm}: |ln std| of the top layer further from 0 by more than {k.ln_delta}")
    claim.decide([v - k.ln_delta for v in worst["raw inputs"]], worst["all conditions met"], kind="directional",
                 direction="greater", delta=k.ln_delta, arms=("raw inputs", "all conditions met"),
                 label=f"raw inputs: worst layer's |ln std| further by more than {k.ln_delta}",
                 sensitivity="the top layer is the declared measure; the drift the raw inputs cause may be undone by "
                             "depth, so the worst layer is shown beside it")


@pytest.mark.claim("default-alpha-ok")
def test_default_alpha_ok(claim, digits):
    """If you do not want to tweak yet another hyperparameter, you may just use the default alpha values used by
    Keras."""
    k = claim.knobs
    digits = claim.on_device(digits)

    def net(act: str, alpha: float):
        return k.net.replace(activation=act, activation_params={"alpha": alpha})

    best = {}
    for act, grid in k.grids.items():  # the best alpha other than Keras's, on pilot seeds (never the evidence ones)
        others = {a: net(act, a) for a in grid if a != k.defaults[act]}
        pilot = claim.train({f"{act} alpha {a:g}": cfg for a, cfg in others.items()}, digits, k.fit,
                            seeds=claim.pilot_seeds(k.pilot_seeds, "best alpha"))
        best[act] = max(others, key=lambda a: float(np.median(pilot[f"{act} alpha {a:g}"].values("val_acc"))))
    arms = {f"{act} alpha {a:g}": net(act, a) for act in k.grids for a in (k.defaults[act], best[act])}
    control = f"control {k.control}"
    arms[control] = k.net.replace(activation=k.control, weight_init=matched_init(k.control))
    runs = claim.train(arms, digits, k.fit)
    acc = {arm: runs[arm].values("val_acc") for arm in arms}
    claim.note(best_other_alpha=best, val_acc={a: [round(v, 4) for v in vs] for a, vs in acc.items()})
    delta = claim.spec.delta
    for act in k.grids:
        default, other = f"{act} alpha {k.defaults[act]:g}", f"{act} alpha {best[act]:g}"
        claim.decide(acc[default], acc[other], arms=(default, other), label=f"{default} within +-{delta} of {other}")
    leaky = f"leaky_relu alpha {k.defaults['leaky_relu']:g}"
    claim.decide([v - delta for v in acc[leaky]], acc[control], kind="directional", direction="greater", delta=delta,
                 design="independent", arms=(leaky, control),
                 control=True, label=f"positive control: {leaky} above {k.control} by more than {delta}")


@pytest.mark.claim("rrelu-regularizes")
def test_rrelu_regularizes(claim, digits500):
    """[Use] RReLU if your network is overfitting."""
    k = claim.knobs
    arms = {"rrelu": k.net.replace(activation="rrelu", activation_params={"lower": k.lower, "upper": k.upper}),
            "leaky_relu (mean slope)": k.net.replace(activation="leaky_relu",
                                                     activation_params={"alpha": (k.lower + k.upper) / 2})}
    split = claim.on_device(digits500)
    runs = claim.train(arms, split, k.fit)  # RReLU draws slopes: it trains seed by seed (no ensemble)
    gap = {arm: [evaluate(r.model, split.X_train, split.y_train)[1] - r.metric("val_acc") for r in runs[arm].results]
           for arm in arms}
    claim.note(val_acc={a: [round(v, 3) for v in runs[a].values("val_acc")] for a in arms},
               train_minus_val_acc={a: [round(v, 3) for v in vs] for a, vs in gap.items()})
    claim.decide(runs["rrelu"].values("val_loss"), runs["leaky_relu (mean slope)"].values("val_loss"),
                 label="validation loss")


@pytest.mark.claim("prelu-needs-large-data")
def test_prelu_needs_large_data(claim, digits):
    """[Use] PReLU if you have a huge training set."""
    k = claim.knobs
    idx = n_per_class(digits.y_train, k.small_per_class, generator=torch.Generator().manual_seed(claim.data_seed))
    splits = {"full": digits, "small": replace(digits, X_train=digits.X_train[idx], y_train=digits.y_train[idx])}
    nets = {"prelu": k.net.replace(activation="prelu", activation_params={"init": k.slope}),
            "leaky": k.net.replace(activation="leaky_relu", activation_params={"alpha": k.slope})}
    loss = {}
    for size, split in splits.items():  # PReLU learns its slopes: it trains seed by seed (no ensemble)
        runs = claim.train({f"{act} {size}": cfg for act, cfg in nets.items()}, split, k.fit)
        loss |= {arm: r.values("val_loss") for arm, r in runs.items()}
    gain = {size: [lk - pr for lk, pr in zip(loss[f"leaky {size}"], loss[f"prelu {size}"], strict=True)]
            for size in splits}
    claim.note(val_loss={a: [round(v, 3) for v in vs] for a, vs in loss.items()},
               gain={size: [round(v, 4) for v in vs] for size, vs in gain.items()},
               train_examples={size: len(split.X_train) for size, split in splits.items()})
    claim.decide(gain["full"], gain["small"], label="PReLU's gain over leaky ReLU, full split vs 200 images")
