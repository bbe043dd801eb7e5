"""Section: dropout, alpha dropout and MC dropout (coverage part C; the earlier dropout claims are in
test_regularization.py).

Each test is one claim of dnnkit/catalog/dropout.py; the claim's sentence is in its docstring. The setups and the
pilot numbers that fixed them are in that catalog's docstring.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from dnnkit import data
from dnnkit.catalog.dropout import Data
from dnnkit.evidence.timing import ratio_summary
from dnnkit.nn.dropout_probes import (
    band_center,
    draw_masks,
    dropout_backward_error,
    expected_calibration_error,
    knockout_accuracy_drop,
    repeated_rows,
)
from dnnkit.nn.mc_dropout import mc_dropout_mode, mc_dropout_predict, mc_dropout_samples, nll, seeded_rng
from dnnkit.nn.models import build_mlp
from dnnkit.nn.regularization import top_k_dropout
from dnnkit.train.dropout_rates import best_dropout_rate
from dnnkit.train.experiment import epoch_ratios


@functools.cache
def _mnist1d(n_train: int, n_val: int, seed: int) -> data.Split:
    return data.load_mnist1d(n_train=n_train, n_val=n_val, seed=seed)


def dataset(claim, which: Data, digits500: data.Split) -> data.Split:
    """The claim's data for this profile: the plugin's digits500, or MNIST-1D of the declared sizes (full profile)."""
    if which.dataset == "digits500":
        return digits500
    return claim.on_device(_mnist1d(which.n_train, which.n_val, claim.data_seed))


def decide_band(claim, values: list[float], band: tuple[float, float], label: str):
    """Inside the band [low, high]: TOST of the per-seed values against the band's centre within its half-width."""
    centre, half = band_center(*band)
    return claim.decide(values, [centre] * len(values), kind="equivalence", design="paired", delta=half,
                        arms=(claim.spec.arms[0], f"band centre {centre:g}"), label=label)


def held_out(digits: data.Split, data_seed: int, per_class: int) -> data.Split:
    """Train on `per_class` training images per digit (the digits500 draw when per_class is 50); hold out every other
    image: the training rows not drawn plus the validation rows (more rows than the validation split alone)."""
    idx = data.n_per_class(digits.y_train, per_class, generator=torch.Generator().manual_seed(data_seed))
    rest = torch.ones(len(digits.y_train), dtype=torch.bool, device=digits.y_train.device)
    rest[idx] = False
    return replace(digits, X_train=digits.X_train[idx], y_train=digits.y_train[idx],
                   X_val=torch.cat([digits.X_train[rest], digits.X_val]),
                   y_val=torch.cat([digits.y_train[rest], digits.y_val]),
                   description=f"{digits.description}, {per_class} train examples per class, the rest held out")


def passes(claim, runs, X, y, k: int, bins: int = 15) -> dict[str, dict[str, list[float]]]:
    """Per seed: probabilities' NLL, accuracy (and the eval pass's predictions' agreement) and ECE over `bins`
    confidence bins of the eval-mode pass, one stochastic pass and the mean of k MC passes, each seed's masks from
    its own dropout stream."""
    out = {name: {"nll": [], "acc": [], "agree": [], "ece": []} for name in ("eval", "one", "mc")}
    for s, r in zip(claim.seeds(), runs.results, strict=True):
        gen = s.generator("dropout", X.device)
        with torch.no_grad():
            probs = {"eval": F.softmax(r.model.eval()(X), dim=-1)}
        probs["one"] = mc_dropout_samples(r.model, X, 1, generator=gen)[0]
        probs["mc"] = mc_dropout_predict(r.model, X, k, generator=gen)[0]
        for name, p in probs.items():
            out[name]["nll"].append(nll(p, y))
            out[name]["acc"].append(float((p.argmax(1) == y).float().mean()))
            out[name]["agree"].append(float((p.argmax(1) == probs["eval"].argmax(1)).float().mean()))
            out[name]["ece"].append(expected_calibration_error(p, y, bins))
    return out


def _rounded(values, digits: int = 4):
    if isinstance(values, dict):
        return {k: _rounded(v, digits) for k, v in values.items()}
    return [round(float(v), digits) for v in values]


@pytest.mark.claim("dropout-slowdown-about-2x")
def test_dropout_slowdown_about_2x(claim, digits500):
    """Yes, dropout does slow down training, in general roughly by a factor of two."""
    k = claim.knobs
    arms = {f"dropout {p}": k.net.replace(dropout=p) for p in (k.dropout, k.sensitivity_dropout)}
    runs = claim.train({**arms, "no dropout": k.net}, digits500, k.fit)
    epochs = {arm: r.epochs_to_target() for arm, r in runs.items()}
    ratios = {arm: epoch_ratios(epochs[arm], epochs["no dropout"]) for arm in arms}
    claim.note(epochs_to_target=epochs, ratios=_rounded(ratios, 3))
    main, other = arms
    decide_band(claim, ratios[main], k.band, f"epochs ratio, {main} / none, inside {list(k.band)}")
    centre, half = band_center(*k.band)
    claim.decide(ratios[other], [centre] * len(ratios[other]), kind="equivalence", design="paired", delta=half,
                 arms=(f"epochs ratio, {other} / none", f"band centre {centre:g}"),
                 label=f"epochs ratio, {other} / none, inside {list(k.band)}",
                 sensitivity="the factor depends on the rate: the chapter names none, 0.5 is the classic default")


@pytest.mark.claim("dropout-rate-10-to-50")
def test_dropout_rate_10_to_50(claim, digits500):
    """Dropout rate typically set between 10-50%."""
    k = claim.knobs
    split = dataset(claim, k.data, digits500)
    in_band = [r for r in k.rates if k.band[0] <= r <= k.band[1]]
    best, table = best_dropout_rate(k.net, split, k.fit, in_band, claim.pilot_seeds(k.pilot_seeds))
    runs = claim.train({f"dropout {r:g}": k.net.replace(dropout=r) for r in k.rates}, split, k.fit)
    acc = {arm: r.values("val_acc") for arm, r in runs.items()}
    argmax = [max(k.rates, key=lambda r: acc[f"dropout {r:g}"][i]) for i in range(claim.n_seeds)]
    claim.note(pilot_median_val_acc=table, chosen_in_band=best, val_acc=_rounded(acc),
               seeds_best_rate_in_band=sum(k.band[0] <= r <= k.band[1] for r in argmax), best_rate_per_seed=argmax)
    for outside in (k.rates[-1], k.rates[0]):
        claim.decide(acc[f"dropout {best:g}"], acc[f"dropout {outside:g}"],
                     arms=(f"dropout {best:g} (in band)", f"dropout {outside:g}"),
                     label=f"validation accuracy, best in-band rate {best:g} vs {outside:g}")


@pytest.mark.claim("dropout-top-layers-enough")
def test_dropout_top_layers_enough(claim, digits500):
    """In practice usually only dropout on top 1-3 layers."""
    k = claim.knobs
    top, every = claim.spec.arms
    arms = {top: k.net.replace(dropout=top_k_dropout(k.net.depth, k.top, k.dropout)),
            every: k.net.replace(dropout=k.dropout), "control": k.net.replace(dropout=k.control_dropout)}
    runs = claim.train(arms, digits500, k.fit)
    acc = {arm: r.values("val_acc") for arm, r in runs.items()}
    claim.note(val_acc=_rounded(acc))
    delta = claim.spec.delta
    claim.decide([a + delta for a in acc[top]], acc[every], arms=(f"{top} + delta", every),
                 label="validation accuracy, top layers not worse than all by more than delta (non-inferiority)")
    claim.decide(acc[top], acc[every], kind="equivalence", label="validation accuracy, top layers vs all (TOST)",
                 sensitivity="the to-do's equivalence reading; 'enough' asks only that the top layers lose nothing")
    claim.decide(acc[every], [c + delta for c in acc["control"]], arms=(every, f"dropout {k.control_dropout} on all + delta"),
                 control=True,
                 label=f"positive control: dropout {k.control_dropout} on all lies more than delta below")


@pytest.mark.claim("dropout-approximates-ensemble")
def test_dropout_approximates_ensemble(claim, digits500):
    """10k training steps, 10k NNs: the end NN approximates an ensemble of smaller NNs; multiply weights by the keep
    probability after training (inverted dropout scales during training instead)."""
    k = claim.knobs
    main, other = f"dropout {k.dropout}", f"dropout {k.sensitivity_dropout}"
    runs = claim.train({main: k.net.replace(dropout=k.dropout), other: k.net.replace(dropout=k.sensitivity_dropout)},
                       digits500, k.fit)
    split = claim.on_device(digits500)
    p = {arm: passes(claim, runs[arm], split.X_val, split.y_val, k.k) for arm in runs}
    claim.note(val_nll={arm: {n: _rounded(v["nll"]) for n, v in pa.items()} for arm, pa in p.items()},
               agreement_with_eval={arm: {n: _rounded(v["agree"]) for n, v in pa.items() if n != "eval"}
                                    for arm, pa in p.items()})
    for arm, why in ((main, None), (other, f"the rate is a choice: the chapter names none, {k.dropout} is the classic one")):
        on = "" if why is None else f" ({arm})"
        claim.decide(p[arm]["eval"]["nll"], p[arm]["mc"]["nll"], sensitivity=why,
                     label=f"validation NLL, eval pass vs mean of {k.k} masks (TOST){on}")
        claim.decide([a >= k.agreement for a in p[arm]["mc"]["agree"]], kind="exact", sensitivity=why,
                     arms=("eval vs MC argmax", "B"), label=f"same predicted class on >= {k.agreement:.0%}{on}")
    claim.decide(p[main]["one"]["nll"], [v + claim.spec.delta for v in p[main]["eval"]["nll"]], kind="paired",
                 direction="greater", arms=("one stochastic pass", "eval pass + delta"),
                 control=True,
                 label="positive control: one sub-network's NLL lies more than delta above the eval pass's")


@pytest.mark.claim("dropout-reduces-coadaptation")
def test_dropout_reduces_coadaptation(claim, digits500):
    """Your neurons thus become less sensitive to the activation of one other specific neuron."""
    k = claim.knobs
    trained, plain = claim.spec.arms
    runs = claim.train({trained: k.net.replace(dropout=k.dropout), plain: k.net}, digits500, k.fit)
    split = claim.on_device(digits500)
    drops = {arm: [] for arm in runs}
    for arm, r in runs.items():
        for s, res in zip(claim.seeds(), r.results, strict=True):
            out = knockout_accuracy_drop(res.model, res.model.hidden[0], split.X_val, split.y_val, rate=k.knockout,
                                         draws=k.draws, generator=s.generator("dropout", split.X_val.device))
            drops[arm].append(out["drop"])
    claim.note(accuracy_drop=_rounded(drops), val_acc=_rounded({arm: r.values("val_acc") for arm, r in runs.items()}))
    claim.decide(drops[trained], drops[plain], label=f"validation accuracy drop, {k.knockout:.0%} of layer 1 knocked out")


@pytest.mark.claim("dropout-backward-same-mask")
def test_dropout_backward_same_mask(claim):
    """In backpropagation, you will have to shut down the same neurons, by reapplying the same mask to dA1 (and divide
    by keep_prob)."""
    k = claim.knobs
    tol = k.tolerance_eps * torch.finfo(torch.float32).eps
    held, control, worst = [], [], []
    for s in claim.seeds():
        g = s.generator("init")
        z = torch.randn(k.rows, k.units, generator=g)
        x = torch.sign(z) * (z.abs() + k.offset)  # no zeros: the mask is read off the output
        upstream = torch.randn(k.rows, k.units, generator=g)
        errors = [dropout_backward_error(x, upstream, rate, s.generator("dropout")) for rate in k.rates]
        held.append(all(e["relative_error"] <= tol for e in errors))
        control.append(all(e["control_relative_error"] > tol for e in errors))
        worst.append(max(e["relative_error"] for e in errors))
    claim.note(worst_relative_error=worst, tolerance=tol)
    claim.decide(held, label=f"gradient == mask / keep_prob x upstream within {k.tolerance_eps:g} float32 eps")
    claim.decide(control, arms=("a fresh mask", "B"), label="control: a fresh mask misses the tolerance")


@pytest.mark.claim("dropout-off-at-test")
def test_dropout_off_at_test(claim, digits500):
    """You only use dropout during training. Don't use dropout (randomly eliminate nodes) during test time."""
    k = claim.knobs
    runs = claim.train({"net": k.net.replace(dropout=k.dropout)}, digits500, k.fit)
    split = claim.on_device(digits500)
    p = passes(claim, runs["net"], split.X_val, split.y_val, 1)
    claim.note(val_acc={n: _rounded(p[n]["acc"]) for n in ("eval", "one")},
               val_nll={n: _rounded(p[n]["nll"]) for n in ("eval", "one")})
    claim.decide(p["eval"]["acc"], p["one"]["acc"], label="validation accuracy, eval pass vs one stochastic pass")


@pytest.mark.claim("dropout-1-2pt-boost")
def test_dropout_1_2pt_boost(claim, digits500):
    """Even state-of-the-art NN get 1-2% accuracy boost from dropout."""
    k = claim.knobs
    split = dataset(claim, k.data, digits500)
    best, table = best_dropout_rate(k.net, split, k.fit, k.rates, claim.pilot_seeds(k.pilot_seeds))
    runs = claim.train({"best rate": k.net.replace(dropout=best), "no dropout": k.net}, split, k.fit)
    acc = {arm: r.values("val_acc") for arm, r in runs.items()}
    gain = [a - b for a, b in zip(acc["best rate"], acc["no dropout"], strict=True)]
    claim.note(pilot_median_val_acc=table, chosen_rate=best, val_acc=_rounded(acc), gain=_rounded(gain))
    claim.decide(acc["best rate"], acc["no dropout"], label=f"validation accuracy, dropout {best:g} vs none")
    decide_band(claim, gain, k.band, f"accuracy gain inside {list(k.band)}")


@pytest.mark.claim("dropout-masks-never-repeat")
def test_dropout_masks_never_repeat(claim):
    """Unique NN at each training step, 2^N possible networks, means next to impossible for same NN to be sampled
    twice."""
    k = claim.knobs
    repeats, control = [], []
    for s in claim.seeds():
        repeats.append(repeated_rows(draw_masks(k.steps, k.batch, k.widths, k.rate, s.generator("dropout"))))
        control.append(repeated_rows(draw_masks(k.steps, k.batch, k.control_widths, k.rate, s.generator("dropout"))))
    claim.note(repeats=repeats, control_repeats=control, masks_per_seed=k.steps * k.batch)
    claim.decide([r == 0 for r in repeats], label=f"no mask repeats among {k.steps * k.batch:,} ({sum(k.widths)} units)")
    claim.decide([r > 0 for r in control], arms=(f"{sum(k.control_widths)} units", "B"),
                 label=f"control: masks of {sum(k.control_widths)} units repeat")


@pytest.mark.claim("mc-dropout-better-calibrated")
def test_mc_dropout_better_calibrated(claim, digits, data_seed):
    """Connection between dropout networks and Bayesian inference: MC dropout's averaged predictions are better
    calibrated than the deterministic pass."""
    k = claim.knobs
    split = claim.on_device(held_out(digits, data_seed, k.per_class))
    runs = claim.train({"net": k.net.replace(dropout=k.dropout)}, split, k.fit)
    p = passes(claim, runs["net"], split.X_val, split.y_val, k.k, k.bins)
    claim.note(held_out_rows=len(split.y_val), val_ece={n: _rounded(p[n]["ece"]) for n in ("eval", "mc")},
               val_nll={n: _rounded(p[n]["nll"]) for n in ("eval", "mc")})
    claim.decide(p["mc"]["ece"], p["eval"]["ece"], label=f"held-out ECE ({k.bins} bins), MC vs eval pass")
    claim.decide(p["mc"]["nll"], p["eval"]["nll"], delta=k.nll_delta, label="held-out NLL, MC vs eval pass")


@pytest.mark.claim("mc-pass-slight-overhead")
def test_mc_pass_slight_overhead(claim, digits):
    """MC Dropout is exactly like dropout during training, but it is still active during inference, so each inference
    is slowed down slightly."""
    k, dev, s = claim.knobs, claim.device, claim.seeds(n=1)[0]
    X = digits.X_train.to(dev)

    def rounds(net, n: int, label: str) -> dict[str, list[float]]:
        model = build_mlp(net.replace(dropout=k.dropout), generator=s.generator("init"), device=dev)
        eval_model = build_mlp(net.replace(dropout=k.dropout), generator=s.generator("init"), device=dev).eval()
        with seeded_rng(s.generator("dropout"), dev), mc_dropout_mode(model):
            return claim.time({"mc": lambda: model(X), "eval": lambda: eval_model(X)}, rounds=n, label=label)

    t = rounds(k.net, claim.n_seeds, "one MC pass vs one eval pass")
    wide = rounds(k.wide, k.rounds_context, f"{k.wide.depth}x{k.wide.width}: one MC pass vs one eval pass")
    claim.note(ratio=ratio_summary(t["mc"], t["eval"]), wide_ratio=ratio_summary(wide["mc"], wide["eval"]),
               torch_threads=torch.get_num_threads())
    claim.decide(t["mc"], t["eval"], label="one MC pass slower than one eval pass")
    claim.decide(t["mc"], t["eval"], direction="equal", min_effect=k.slight,
                 label=f"'slightly': the median ratio's CI below 1 + {k.slight}")
    claim.decide(wide["mc"], wide["eval"], direction="equal", min_effect=k.slight,
                 label=f"{k.wide.depth}x{k.wide.width}: the median ratio's CI below 1 + {k.slight}",
                 sensitivity="a wide net, where the matrix products outweigh drawing the masks")


@pytest.mark.claim("alpha-dropout-regularizes-selu")
def test_alpha_dropout_regularizes_selu(claim, digits, data_seed):
    """Regularization: alpha dropout if needed (self-normalizing configuration: LeCun init, SELU)."""
    k = claim.knobs
    idx = data.n_per_class(digits.y_train, k.per_class, generator=torch.Generator().manual_seed(data_seed))
    small = replace(digits, X_train=digits.X_train[idx], y_train=digits.y_train[idx])
    alpha, plain = claim.spec.arms
    runs = claim.train({alpha: k.net.replace(dropout=k.dropout, alpha_dropout=True), plain: k.net}, small, k.fit)
    acc = {arm: r.values("val_acc") for arm, r in runs.items()}
    claim.note(val_acc=_rounded(acc), val_loss=_rounded({arm: r.values("val_loss") for arm, r in runs.items()}),
               train_acc=_rounded({arm: r.values("train_acc") for arm, r in runs.items()}))
    claim.decide(acc[alpha], acc[plain], label="validation accuracy, alpha dropout vs none")
