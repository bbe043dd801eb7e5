"""Section: nonsaturating activation functions (ReLU, leaky ReLU, ELU, SELU) versus saturating sigmoid.

Each test is one claim of dnnkit/catalog/activations.py; the claim's sentence is in its docstring.
Design choices were made on pilot seeds (role "pilot", seed bases 0 and 7); their numbers are quoted where used.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from functools import partial
from itertools import pairwise

import pytest
import torch

from dnnkit.evidence.timing import interleaved_rounds, ratio_summary
from dnnkit.nn.activations import make_activation
from dnnkit.nn.diagnostics import activation_stats, dead_units, gradient_norms, saturation
from dnnkit.nn.models import build_mlp
from dnnkit.train.experiment import at_init, replace_fit, select_lr


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
    claim.decide(frac[large], frac[default],
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
    kernel = interleaved_rounds({act: partial(f, x) for act, f in alone.items()}, rounds=rounds, device=dev)
    whole = interleaved_rounds({act: partial(m, X) for act, m in nets.items()}, rounds=rounds, device=dev)
    claim.note(activation_alone=ratio_summary(kernel["elu"], kernel["relu"]),
               whole_mlp=ratio_summary(whole["elu"], whole["relu"]), torch_threads=torch.get_num_threads())
    # Each decision tests the median ratio ELU/ReLU against 1 + min_effect (0.1, declared); the raw ratios are above.
    claim.decide(kernel["elu"], kernel["relu"], label=f"activation alone, 2^{k.log2_elements} elements")
    claim.decide(whole["elu"], whole["relu"], label=f"whole {k.net.depth}x{k.net.width} MLP forward, batch {k.batch}")

