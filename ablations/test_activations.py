"""Section: nonsaturating activation functions (ReLU, leaky ReLU, ELU, SELU) versus saturating sigmoid.

Each test is one claim of dnnkit/catalog/activations.py; the claim's sentence is in its docstring.
Design choices were made on pilot seeds (role "pilot", seed bases 0 and 7); their numbers are quoted where used.
"""

from __future__ import annotations

import math
from functools import partial
from itertools import pairwise

import pytest
import torch

from dnnkit.activations import make_activation
from dnnkit.diagnostics import activation_stats, dead_units, gradient_norms, saturation
from dnnkit.experiment import at_init, replace_fit, select_lr
from dnnkit.models import MLPConfig, build_mlp
from dnnkit.stats import CONFIRMED
from dnnkit.timing import interleaved_rounds, ratio_summary
from dnnkit.training import FitConfig

# Pilots: Adam lr 0.01 left 8-11% of ReLU units dead, lr 0.03 33-41% (SGD lr 0.5 only 1-4%); leaky ReLU 0 at both.
DYING_NET = MLPConfig(n_inputs=64, n_outputs=10, depth=5, width=100, activation="relu")
DYING_LR = 0.03
DEEP = MLPConfig(n_inputs=64, n_outputs=10, depth=20, width=100)
SELU_BAND = {"abs_mean": 0.2, "std_low": 0.7, "std_high": 1.3}  # declared in the catalog (Theorem 1, widened)


@pytest.mark.claim("leaky-relu-never-zero-gradient")
def test_leaky_relu_never_zero_gradient(claim):
    """For z < 0 the gradient of leaky ReLU is alpha, never 0 (so leaky units never die); the gradient of ELU is
    alpha*exp(z), positive."""
    leaky, elu, relu = make_activation("leaky_relu"), make_activation("elu"), make_activation("relu")
    alpha = leaky.negative_slope
    held_leaky, held_elu, relu_zero = [], [], []
    for s in claim.seeds():
        z = -(torch.randn(4096, generator=s.generator("init")) * 5).abs() - 1e-6
        grads = {name: _grad(f, z) for name, f in (("leaky", leaky), ("elu", elu), ("relu", relu))}
        held_leaky.append(bool((grads["leaky"] == alpha).all()))
        held_elu.append(bool((grads["elu"] > 0).all()) and torch.allclose(grads["elu"], torch.exp(z)))
        relu_zero.append(float((grads["relu"] == 0).float().mean()))
    claim.note(leaky_alpha=alpha, relu_zero_gradient_fraction=relu_zero)
    a = claim.decide(held_leaky, label="leaky ReLU gradient == alpha for every z < 0", arms=("leaky_relu", "B"))
    b = claim.decide(held_elu, label="ELU gradient == exp(z) > 0 for every z < 0", arms=("elu", "B"))
    assert (a.verdict, b.verdict) == (CONFIRMED, CONFIRMED), claim.decisions


def _grad(f, z: torch.Tensor) -> torch.Tensor:
    x = z.clone().requires_grad_()
    (g,) = torch.autograd.grad(f(x).sum(), x)
    return g


@pytest.mark.claim("dying-relu")
def test_dying_relu(claim, digits):
    """With a large learning rate a ReLU net ends with a substantial fraction of dead units (outputting 0 for every
    training example); leaky ReLU, ELU and SELU have (almost) none."""
    fit = FitConfig(epochs=claim.pick(5, 10), batch_size=64, optimizer="adam", lr=DYING_LR)
    arms = {"relu": DYING_NET, "leaky_relu": DYING_NET.replace(activation="leaky_relu"),
            "elu": DYING_NET.replace(activation="elu"),
            "selu": DYING_NET.replace(activation="selu", weight_init="lecun_normal")}
    runs = claim.train(arms, digits, fit)

    def dead(model) -> tuple[int, float]:
        table = dead_units(model, digits.X_train)
        return int(table["dead"].sum()), float(table["dead"].sum() / table["units"].sum())

    measured = {arm: [dead(r.model) for r in runs[arm].results] for arm in arms}
    claim.note(dead_units_per_seed={arm: [n for n, _ in v] for arm, v in measured.items()},
               val_acc={arm: [round(a, 3) for a in runs[arm].values("val_acc")] for arm in arms})
    frac = {arm: [f for _, f in v] for arm, v in measured.items()}
    delta = claim.spec.delta
    verdicts = [claim.decide(frac["relu"], [f + delta for f in frac[other]], arms=("relu", f"{other} + delta"),
                             label=f"ReLU dead fraction above {other}'s + {delta}").verdict
                for other in ("leaky_relu", "elu", "selu")]
    assert verdicts == [CONFIRMED] * 3, claim.decisions


@pytest.mark.claim("sigmoid-saturation-vanishing")
def test_sigmoid_saturation_vanishing(claim, digits):
    """A deep sigmoid net with N(0,1) weights saturates (a large fraction of units near 0 or 1) and its lowest
    layers' gradients vanish; He-initialized ReLU-family nets do not."""
    X, y = digits.X_train[:512], digits.y_train[:512]

    def decades(model) -> float:  # log10(bottom / top hidden layer); the head is not "deep"
        norms = gradient_norms(model, X, y)["grad_norm"].to_numpy()[:-1]
        return math.log10(norms[0] / norms[-1])

    seeds = claim.seeds()
    sigmoid = DEEP.replace(activation="sigmoid", weight_init="normal", weight_init_params={"std": 1.0})
    glorot = DEEP.replace(activation="sigmoid", weight_init="glorot_normal")
    sat = {arm: at_init(cfg, seeds, lambda m: float(saturation(m, X)["saturated_fraction"].mean()))
           for arm, cfg in (("sigmoid N(0,1)", sigmoid), ("sigmoid Glorot", glorot))}
    saturates = claim.decide(sat["sigmoid N(0,1)"], sat["sigmoid Glorot"], direction="greater", delta=0.1,
                             arms=("sigmoid N(0,1)", "sigmoid Glorot"), label="saturated fraction (mean over layers)")
    grads = {"sigmoid N(0,1)": at_init(sigmoid, seeds, decades)}
    for act in ("relu", "leaky_relu", "elu"):
        grads[f"{act} He"] = at_init(DEEP.replace(activation=act), seeds, decades)
    # Not a claim, context: sigmoid with Glorot does not saturate but each layer scales gradients by ~0.25
    # (sigma' <= 1/4), so its bottom layer sees ~12 decades less (pilots: -10.7 to -12.0).
    grads["sigmoid Glorot (context)"] = at_init(glorot, seeds, decades)
    claim.note(saturated_fraction={k: [round(v, 3) for v in vs] for k, vs in sat.items()},
               log10_bottom_over_top={k: [round(v, 2) for v in vs] for k, vs in grads.items()})
    vanish = [claim.decide(grads["sigmoid N(0,1)"], grads[f"{act} He"], arms=("sigmoid N(0,1)", f"{act} He"),
                           label=f"bottom/top gradient decades: sigmoid N(0,1) below {act} He").verdict
              for act in ("relu", "leaky_relu", "elu")]
    assert [saturates.verdict, *vanish] == [CONFIRMED] * 4, claim.decisions


@pytest.mark.claim("selu-self-normalizes")
def test_selu_self_normalizes(claim, digits, digits_raw):
    """A deep dense SELU net with LeCun normal weights and standardized inputs keeps every layer's activation mean
    near 0 and standard deviation near 1; with non-standardized inputs or He init the statistics drift."""
    net = MLPConfig(n_inputs=64, n_outputs=10, depth=claim.pick(50, 100), width=100, activation="selu",
                    weight_init="lecun_normal")
    arms = {"lecun standardized": (net, digits.X_train), "lecun raw inputs": (net, digits_raw.X_train),
            "he standardized": (net.replace(weight_init="he_normal"), digits.X_train)}
    seeds = claim.seeds()
    stats = {arm: [activation_stats(build_mlp(cfg, generator=s.generator("init")), X) for s in seeds]
             for arm, (cfg, X) in arms.items()}

    def in_band(t) -> bool:
        return bool((t["mean"].abs() < SELU_BAND["abs_mean"]).all() and (t["std"] > SELU_BAND["std_low"]).all()
                    and (t["std"] < SELU_BAND["std_high"]).all())

    def worst(t) -> float:
        return float(((t["std"] - 1).abs()).combine(t["mean"].abs(), max).max())

    dev = {arm: [worst(t) for t in ts] for arm, ts in stats.items()}
    every = max(1, len(stats["lecun standardized"][0]) // 10)  # every k-th layer, seed 0, compact
    claim.note(band=SELU_BAND, worst_layer_deviation={a: [round(v, 3) for v in vs] for a, vs in dev.items()},
               **{f"{arm} seed0 mean/std every {every} layers": [(round(m, 2), round(s, 2)) for m, s in
                  zip(ts[0]["mean"][::every], ts[0]["std"][::every], strict=True)] for arm, ts in stats.items()})
    normalized = claim.decide([in_band(t) for t in stats["lecun standardized"]],
                              label="LeCun + standardized inputs: every layer in the band", arms=("lecun standardized", "B"))
    drifts = [claim.decide(dev["lecun standardized"], dev[bad], kind="directional", direction="less",
                           arms=("lecun standardized", bad), label=f"worst-layer deviation below {bad}").verdict
              for bad in ("lecun raw inputs", "he standardized")]
    assert [normalized.verdict, *drifts] == [CONFIRMED] * 3, claim.decisions


# Each activation with the init the chapter pairs it with; the order is the chapter's ranking, best first.
RANKING = {"SELU": ("selu", "lecun_normal"), "ELU": ("elu", "he_normal"), "leaky ReLU": ("leaky_relu", "he_normal"),
           "ReLU": ("relu", "he_normal"), "tanh": ("tanh", "glorot_normal"), "sigmoid": ("sigmoid", "glorot_normal")}
RANK_NET = MLPConfig(n_inputs=64, n_outputs=10, depth=12, width=64)
RANK_GRID = (3e-4, 1e-3, 3e-3)


@pytest.mark.claim("activation-ranking")
@pytest.mark.xfail(strict=True, reason=(
    "expected at this scale: the chain breaks at ReLU > tanh, refuted (median val loss, tanh + Glorot vs ReLU + He: "
    "seed base 0 0.22 vs 0.35, base 7 0.20 vs 0.35, 15x64 pilot 0.22 vs 0.40); ELU > leaky ReLU and leaky ReLU > ReLU "
    "are inconclusive on base 0 (0.27 vs 0.29, 0.29 vs 0.35); SELU > ELU (0.18 vs 0.27) and tanh > sigmoid hold."))
def test_activation_ranking(claim, digits):
    """In general SELU > ELU > leaky ReLU > ReLU > tanh > sigmoid (logistic) for the hidden layers of a deep dense
    network."""
    fit = FitConfig(epochs=claim.pick(4, 20), batch_size=64, optimizer="adam")
    arms = {name: RANK_NET.replace(activation=act, weight_init=init) for name, (act, init) in RANKING.items()}
    pilots = {name: select_lr(cfg, digits, fit, RANK_GRID, claim.pilot_seeds()) for name, cfg in arms.items()}
    runs = claim.train(arms, digits, {name: replace_fit(fit, lr=lr) for name, (lr, _) in pilots.items()})
    loss = {name: runs[name].values("val_loss") for name in arms}
    claim.note(lr={name: lr for name, (lr, _) in pilots.items()},
               pilot_median_val_loss={name: {f"{row['lr']:g}": round(row["median_val_loss"], 3) for row in table}
                                      for name, (_, table) in pilots.items()},
               val_acc={name: [round(a, 3) for a in runs[name].values("val_acc")] for name in arms},
               val_loss={name: [round(v, 3) for v in vs] for name, vs in loss.items()})
    holds = {f"{a} > {b}": claim.decide(loss[a], loss[b], arms=(a, b), label=f"{a} below {b} in val loss").verdict
             for a, b in pairwise(arms)}
    claim.note(adjacent_pairs=holds)
    assert list(holds.values()) == [CONFIRMED] * len(holds), claim.decisions


@pytest.mark.claim("elu-slower-than-relu")
def test_elu_slower_than_relu(claim):
    """The main drawback of the ELU activation function is that it is slower to compute than ReLU (because of the
    exponential function)."""
    seed, dev, rounds = claim.seeds(n=1)[0], claim.device, claim.n_seeds
    g = seed.generator("data")
    x, X = torch.randn(2 ** 18, generator=g).to(dev), torch.randn(1024, 64, generator=g).to(dev)
    # The chapter's 5 x 100 net, same weights in both (same init stream): only the nonlinearity differs.
    nets = {act: build_mlp(DYING_NET.replace(activation=act), generator=seed.generator("init"), device=dev).eval()
            for act in ("elu", "relu")}
    alone = {act: make_activation(act) for act in ("elu", "relu")}
    kernel = interleaved_rounds({act: partial(f, x) for act, f in alone.items()}, rounds=rounds, device=dev)
    whole = interleaved_rounds({act: partial(m, X) for act, m in nets.items()}, rounds=rounds, device=dev)
    claim.note(activation_alone=ratio_summary(kernel["elu"], kernel["relu"]),
               whole_mlp=ratio_summary(whole["elu"], whole["relu"]), torch_threads=torch.get_num_threads())
    verdicts = [claim.decide(kernel["elu"], kernel["relu"], label="activation alone, 2^18 elements").verdict,
                claim.decide(whole["elu"], whole["relu"], label="whole 5x100 MLP forward, batch 1024").verdict]
    assert verdicts == [CONFIRMED] * 2, claim.decisions

