"""Claims of the section "Dropout", "Alpha dropout" and "Monte Carlo (MC) Dropout" (coverage part C, issue 20).

The dropout claims declared earlier (dropout-slows-convergence, dropout-no-inference-cost, mc-dropout-cost-linear,
mc-dropout-improves-predictions, inverted-dropout-keeps-expectation, dropout-reduces-overfitting,
alpha-dropout-keeps-self-normalization) stay in dnnkit/catalog/regularization.py; these add the ones of section 10
of the to-do list.

Setups (declared before the evidence runs; arms share init, data order and dropout streams, so paired designs are
valid and paired claims run 12 seeds):
- DIGITS500: scikit-learn digits, 50 training examples per class (500 train, 360 val; the plugin's digits500),
  a 2 x 128 ELU net with He normal init, Adam lr 1e-3, batch 64 (the DIGITS setup of regularization.py).
- the chapter's 5 x 100 net for dropout-top-layers-enough; a SELU 20 x 100 LeCun net on 30 training images per
  class (300 train) for alpha-dropout-regularizes-selu.
- the full profile runs the accuracy claims on MNIST-1D (1000 train / 1000 val, 3 x 256, 40 epochs), where pilots
  showed dropout changing accuracy by several points; the quick profile cannot afford it (12 s a rate for 8 seeds).

Pilot numbers (pilot seed bases 100-104, 12 seeds, before any evidence run; ranges over the five bases):
- dropout-slowdown-about-2x: epochs to the eval-mode training loss 0.1: 17-23 with dropout 0.5, 7-10 without;
  per-seed ratios 2.11-2.63 on every base (confirmed 5/5). Dropout 0.2: ratios 1.11-1.38 (below the band: shown as
  a sensitivity). The suggestion's band [1.5, 3] is kept; the existing dropout-slows-convergence decides the fact.
- dropout-rate-10-to-50: the in-band rate chosen on 2 pilot seeds was 0.1, 0.1, 0.2, 0.3, 0.1. It beats 0.7 on
  every base (+3.9 to +6.2 points); it beats no dropout on 100 and 101 only (+0.35, +0.21 points), elsewhere
  -0.25 to +0.28 points (inconclusive or absent): the best rate of the grid lay in the band on 7-11 of 12 seeds.
  Digits sits near its ceiling; the full profile runs MNIST-1D, where a pilot (base 100, 8 seeds, 40 epochs) gave
  0.439 without dropout, 0.477 / 0.487 / 0.476 at 0.1 / 0.2 / 0.3, 0.350 at 0.5 and 0.255 at 0.7.
- dropout-top-layers-enough: first declared as an equivalence (TOST within +-0.01); on pilot base 100 the top-2 arm
  was 1.7 points above dropout on all 5 layers, so the TOST was refuted on the side the sentence favours. 'Only the
  top layers' claims they are enough, so the gate is non-inferiority, and the TOST is shown as a sensitivity.
  Top 2 vs all: +1.7 to +2.1 points on every base (all-layer dropout converges slower in 25 epochs), the control
  (0.7 on all) 53-55 points below: confirmed 5/5.
- dropout-approximates-ensemble: at dropout 0.5 the eval pass's NLL (0.14-0.26) is 0.10-0.14 below the 100-mask
  average's (0.29-0.35) on every seed of every base: the average of sub-networks is less confident than the
  weight-scaled net, not equal to it; same class on >= 98% of images on 9-12 of 12 seeds. At dropout 0.2 the gap
  is 0.02-0.03 (inconclusive or refuted) with >= 98% agreement on every seed. One stochastic pass: NLL 0.34-0.39
  above the eval pass (the positive control) on every base.
- dropout-reduces-coadaptation: knocking out 20% of layer 1 costs 0.0-1.7 points for the dropout-0.5 net against
  0.9-2.9 without; paired difference -0.8 to -1.3 points: confirmed 5/5 (the dropout net's own accuracy is 0-1
  point lower).
- dropout-backward-same-mask: worst relative error 2.5e-8 to 5.4e-8 (tolerance 2 eps = 2.4e-7); a fresh mask
  misses by orders of magnitude: confirmed 5/5 (the float64 reference makes the error one float32 rounding).
- dropout-off-at-test: eval pass 0.917-0.953 vs one stochastic pass 0.78-0.89 (+10 to +13 points): confirmed 5/5.
- dropout-1-2pt-boost: the rate chosen on pilot seeds was 0.3, 0.2, 0.2, 0.1, 0.1; the gain over no dropout
  -0.35 to +0.23 points (absent or inconclusive), so the band [1, 2] points is refuted on every base: digits has no
  2 points of headroom for dropout at 500 images. On MNIST-1D (full profile) the pilot's gain was ~5 points,
  above the band.
- dropout-masks-never-repeat: no repeat among 80,000 masks of 256 units on any seed; the 16-unit control repeats
  33,600-34,000 times per seed: confirmed 5/5. 640,000 masks per seed (batch 64) took 2.4 s a seed (bernoulli on
  164M values), so the quick profile draws batch 8 (the same 10,000 steps).
- mc-dropout-better-calibrated: first measured on the 360 validation rows: ECE lower with MC on base 100, higher on
  101 (refuted), absent on 102 (per-seed ECE 0.013-0.037 both ways: 360 rows in 15 bins are noisy). The held-out
  set is now every digits image not trained on (1297 rows), decided again on all 5 pilot bases: ECE lower with MC
  by 0.0141, 0.0079, 0.0076, 0.0063 (confirmed on 100-103) and 0.0009 on 104 (absent); NLL lower on every base
  (-0.012 to -0.032).
- mc-pass-slight-overhead: one MC pass 2.93-3.20x an eval pass on every base (bernoulli masks on the CPU), the
  2 x 1024 net 1.53-1.61x: 'slower' confirmed, 'slightly' (below 1.5x) refuted 5/5.
- alpha-dropout-regularizes-selu: alpha dropout 0.1 after each of the 20 layers cost 24-29 points of validation
  accuracy (0.44-0.84 vs 0.85-0.94) and the fit itself (eval-mode training accuracy 0.49-0.85 vs 0.91-1.0): in 30
  epochs the net underfits, refuted on every base (102 rerun after a note needed eval_train: -24.2 points).
Quick cost: ~40 CPU-seconds for the 12 claims together (per-test process CPU time on pilot base 101 under load
9 on 2 cores: 3.0 + 6.6 + 4.3 + 5.3 + 2.2 + 0.0 + 1.0 + 2.8 + 2.7 + 2.5 + 1.7 + 8.9; the held-out calibration set
added ~4 s).
"""

from dataclasses import dataclass, replace

from ..evidence.claims import Claim, Expect
from ..evidence.knobs import QuickFull, fmt
from ..nn.models import MLPConfig
from ..train.training import FitConfig

SECTION = "dropout"
GERON_EX = "Geron ch. 11 exercise answers (seed 001: does dropout slow down training? MC dropout?)"
NOTES = "Geron ch. 11 notes (seed 002: dropout, MC dropout, alpha dropout)"
NG = "Ng, Improving Deep Neural Networks: dropout notes (seed 003)"
PART_C = "2026-12-07 at 87ef806 (issue 20 part C, pilot bases 100-104, before evidence bases 0-4)"

NET = MLPConfig(n_inputs=64, n_outputs=10, depth=2, width=128)  # DIGITS500's net
FIT = FitConfig(epochs=25, batch_size=64, lr=1e-3)
WIDE_1D = MLPConfig(n_inputs=40, n_outputs=10, depth=3, width=256)  # the full profile's MNIST-1D net
FIT_1D = FitConfig(epochs=40, batch_size=64, lr=1e-3)


@dataclass(frozen=True)
class Slowdown:
    """dropout-slowdown-about-2x: epochs to an eval-mode training-loss target with/without dropout; the band."""

    net: MLPConfig
    fit: FitConfig
    dropout: float
    band: tuple[float, float]
    sensitivity_dropout: float


@dataclass(frozen=True)
class Data:
    """Which offline set a claim trains on, and its sizes (dataset "digits500" or "mnist1d")."""

    dataset: str
    n_train: int
    n_val: int


@dataclass(frozen=True)
class RateGrid:
    """A dropout-rate grid searched on pilot seeds, and the band the claim tests. dropout-rate-10-to-50: the band of
    rates (the pilots choose the in-band rate); dropout-1-2pt-boost: the band of the best rate's gain over none."""

    data: QuickFull[Data]
    net: QuickFull[MLPConfig]
    fit: QuickFull[FitConfig]
    rates: tuple[float, ...]
    band: tuple[float, float]
    pilot_seeds: int


@dataclass(frozen=True)
class TopLayers:
    """dropout-top-layers-enough: dropout on the top k hidden layers vs on all, and the positive control's rate."""

    net: MLPConfig
    fit: FitConfig
    dropout: float
    top: int
    control_dropout: float


@dataclass(frozen=True)
class Ensemble:
    """dropout-approximates-ensemble: the trained dropout net, K masks averaged, the agreement floor."""

    net: MLPConfig
    fit: FitConfig
    dropout: float
    k: int
    agreement: float
    sensitivity_dropout: float


@dataclass(frozen=True)
class Coadaptation:
    """dropout-reduces-coadaptation: the knocked-out share of the first hidden layer, the draws, the trained rate."""

    net: MLPConfig
    fit: FitConfig
    dropout: float
    knockout: float
    draws: int


@dataclass(frozen=True)
class Backward:
    """dropout-backward-same-mask: the rates checked, the input's shape and its distance from 0, the tolerance in
    float32 eps."""

    rates: tuple[float, ...]
    rows: int
    units: int
    offset: float
    tolerance_eps: float


@dataclass(frozen=True)
class OffAtTest:
    """dropout-off-at-test: the trained dropout net, one stochastic pass vs the eval pass."""

    net: MLPConfig
    fit: FitConfig
    dropout: float


@dataclass(frozen=True)
class Masks:
    """dropout-masks-never-repeat: steps, batch, the droppable units (the DIGITS500 net's), the rate, the control."""

    steps: int
    batch: QuickFull[int]
    widths: tuple[int, ...]
    rate: float
    control_widths: tuple[int, ...]


@dataclass(frozen=True)
class Calibration:
    """mc-dropout-better-calibrated: the trained net (dropout, lr), K passes, the ECE bins."""

    net: MLPConfig
    fit: FitConfig
    dropout: float
    k: int
    bins: int
    nll_delta: float
    per_class: int


@dataclass(frozen=True)
class PassCost:
    """mc-pass-slight-overhead: the timed net, its dropout, what "slightly" allows, and the wide sensitivity net."""

    net: MLPConfig
    dropout: float
    slight: float
    rounds_context: int
    wide: MLPConfig


@dataclass(frozen=True)
class AlphaReg:
    """alpha-dropout-regularizes-selu: the SELU net, the training images per class, the alpha dropout rate."""

    net: MLPConfig
    fit: FitConfig
    per_class: int
    dropout: float


DIGITS500 = Data("digits500", 500, 360)
MNIST1D = Data("mnist1d", 1000, 1000)
SLOWDOWN = Slowdown(net=NET, fit=replace(FIT, epochs=40, eval_train=True, target=("train_loss_eval", 0.1),
                                         stop_at_target=True),
                    dropout=0.5, band=(1.5, 3.0), sensitivity_dropout=0.2)
RATE_BAND = RateGrid(data=QuickFull(DIGITS500, MNIST1D), net=QuickFull(NET, WIDE_1D), fit=QuickFull(FIT, FIT_1D),
                     rates=(0.0, 0.1, 0.2, 0.3, 0.5, 0.7), band=(0.1, 0.5), pilot_seeds=2)
BOOST = RateGrid(data=QuickFull(DIGITS500, MNIST1D), net=QuickFull(NET, WIDE_1D), fit=QuickFull(FIT, FIT_1D),
                 rates=(0.1, 0.2, 0.3, 0.5), band=(0.01, 0.02), pilot_seeds=2)
TOP_LAYERS = TopLayers(net=NET.replace(depth=5, width=100), fit=FIT, dropout=0.3, top=2, control_dropout=0.7)
ENSEMBLE = Ensemble(net=NET, fit=FIT, dropout=0.5, k=100, agreement=0.98, sensitivity_dropout=0.2)
COADAPTATION = Coadaptation(net=NET, fit=FIT, dropout=0.5, knockout=0.2, draws=50)
BACKWARD = Backward(rates=(0.2, 0.5), rows=64, units=128, offset=0.1, tolerance_eps=2.0)
OFF_AT_TEST = OffAtTest(net=NET, fit=FIT, dropout=0.5)
MASKS = Masks(steps=10_000, batch=QuickFull(8, 64), widths=(128, 128), rate=0.5, control_widths=(16,))
CALIBRATION = Calibration(net=NET, fit=replace(FIT, epochs=30, lr=3e-3), dropout=0.2, k=100, bins=15, nll_delta=0.01,
                          per_class=50)
PASS_COST = PassCost(net=MLPConfig(n_inputs=64, n_outputs=10, depth=5, width=100), dropout=0.2, slight=0.5,
                     rounds_context=10, wide=MLPConfig(n_inputs=64, n_outputs=10, depth=2, width=1024))
ALPHA_REG = AlphaReg(net=MLPConfig(n_inputs=64, n_outputs=10, depth=20, width=100, activation="selu",
                                   weight_init="lecun_normal"),
                     fit=replace(FIT, epochs=30, batch_size=32, eval_train=True), per_class=30, dropout=0.1)

DIGITS = (f"digits 50/class (500 train, 360 val), {NET.depth}x{NET.width} ELU He, Adam lr {fmt(FIT.lr)}, batch "
          f"{FIT.batch_size}")
DIGITS_NO_LR = f"digits 50/class (500 train, 360 val), {NET.depth}x{NET.width} ELU He, Adam, batch {FIT.batch_size}"
FULL_1D = (f"full profile: MNIST-1D (dataset {MNIST1D.dataset}) {MNIST1D.n_train} train / {MNIST1D.n_val} val, {WIDE_1D.depth}x{WIDE_1D.width} "
           f"ELU He, {FIT_1D.epochs} epochs")
SL, RB, BO, TL, EN, CO, BW, OT, MK, CA, PC, AR = (SLOWDOWN, RATE_BAND, BOOST, TOP_LAYERS, ENSEMBLE, COADAPTATION,
                                                  BACKWARD, OFF_AT_TEST, MASKS, CALIBRATION, PASS_COST, ALPHA_REG)


def _rates(rates: tuple[float, ...]) -> str:
    return ", ".join(f"{r:g}" for r in rates)


CLAIMS = (
    Claim(
        id="dropout-slowdown-about-2x", section=SECTION, source=GERON_EX,
        sentence="Yes, dropout does slow down training, in general roughly by a factor of two.",
        kind="equivalence",
        metric=f"per seed, the ratio of epochs until the eval-mode training cross-entropy first reaches "
               f"{SL.fit.target[1]} (history column {SL.fit.target[0]}) with dropout {SL.dropout} after both hidden layers to the epochs without dropout "
               f"(same init and batch order; {DIGITS}, {SL.fit.epochs}-epoch budget, +inf if never); 'roughly two' "
               f"= the band [{SL.band[0]}, {SL.band[1]}]: TOST of the ratios against the band's centre within its "
               f"half-width (paired with the constant centre). Sensitivity (not gating): the same at dropout "
               f"{SL.sensitivity_dropout}",
        direction="equivalent", arms=(f"epochs ratio, dropout {SL.dropout} / none", "band centre"),
        delta=(SL.band[1] - SL.band[0]) / 2, design="paired", seeds={"quick": 12, "full": 20}, knobs=SLOWDOWN,
    ),
    Claim(
        id="dropout-rate-10-to-50", section=SECTION, source=NOTES + "; Geron ch. 11 (seed 000: 'typically 0.5')",
        sentence="Dropout rate typically set between 10-50%.",
        kind="paired",
        metric=f"final validation accuracy over the rates ({_rates(RB.rates)}) ({DIGITS}, {RB.fit.quick.epochs} "
               f"epochs; {FULL_1D}): the in-band rate (in [{RB.band[0]}, {RB.band[1]}]) with the best median "
               f"validation accuracy on {RB.pilot_seeds} pilot seeds beats the rate above the band ({RB.rates[-1]}) "
               f"and no dropout ({RB.rates[0]}); two paired sub-decisions, both gating. Noted: on how many seeds "
               "the best rate of the grid lies in the band",
        direction="greater", arms=("best in-band rate", "rate outside the band"), delta=0.005, design="paired",
        seeds={"quick": 12, "full": 20}, knobs=RATE_BAND,
        expect=Expect.not_refuted(
            why="the in-band rate beats 0.7 on every pilot base 100-104 (+3.9 to +6.2 points) but beats no dropout "
                "only on 100 and 101 (+0.35, +0.21 points); on 102-104 -0.25 to +0.28 points (inconclusive or "
                "absent): digits at 500 images leaves dropout almost no room over none",
            declared=PART_C),
    ),
    Claim(
        id="dropout-top-layers-enough", section=SECTION, source=NOTES,
        sentence="In practice usually only dropout on top 1-3 layers.",
        kind="paired",
        metric=f"final validation accuracy, {TL.net.depth}x{TL.net.width} ELU He net on digits 50/class, Adam lr "
               f"{fmt(TL.fit.lr)}, batch {TL.fit.batch_size}, {TL.fit.epochs} epochs: dropout {TL.dropout} after the "
               f"top {TL.top} hidden layers only is not worse than after all {TL.net.depth} by more than delta "
               "(non-inferiority: top + delta above all, paired). Noted: the TOST within +-delta. Positive control "
               f"(gating): dropout {TL.control_dropout} after all layers at the same seeds lies more than delta below "
               "dropout on all layers (paired, shifted by delta)",
        direction="greater", arms=(f"dropout {TL.dropout} on top {TL.top}", f"dropout {TL.dropout} on all"),
        delta=0.01, design="paired", seeds={"quick": 12, "full": 20}, knobs=TOP_LAYERS,
    ),
    Claim(
        id="dropout-approximates-ensemble", section=SECTION, source=NOTES,
        sentence="10k training steps, 10k NNs: the end NN approximates an ensemble of smaller NNs; multiply weights by "
                 "the keep probability after training (inverted dropout scales during training instead).",
        kind="equivalence",
        metric=f"a net trained with dropout {EN.dropout} after both hidden layers ({DIGITS}, {EN.fit.epochs} "
               f"epochs): validation NLL of the eval-mode (weight-scaled) pass vs of the mean of K = {EN.k} "
               f"MC-dropout passes (the ensemble), TOST paired within delta; sub-decision (exact): the two predict "
               f"the same class on at least {EN.agreement:.0%} of validation images on every seed. Positive control "
               "(gating): one stochastic pass (a single sub-network) lies more than delta above the eval pass's NLL. "
               f"Sensitivity (not gating): the same at dropout {EN.sensitivity_dropout}",
        direction="equivalent", arms=("eval pass (weight scaling)", f"mean of {EN.k} masks"), delta=0.02,
        design="paired", seeds={"quick": 12, "full": 20}, knobs=ENSEMBLE,
        expect=Expect(
            ("refuted",),
            why="on pilot bases 100-104 the eval pass's NLL was 0.10-0.14 below the 100-mask average's on every "
                "seed (the averaged sub-networks are less confident than the weight-scaled net), and the argmax "
                "agreed on >= 98% of images on only 9-12 of 12 seeds; at dropout 0.2 the gap shrinks to 0.02-0.03",
            declared=PART_C),
    ),
    Claim(
        id="dropout-reduces-coadaptation", section=SECTION, source=NG,
        sentence="Your neurons thus become less sensitive to the activation of one other specific neuron.",
        kind="paired",
        metric=f"mean drop in validation accuracy when a random {CO.knockout:.0%} of the first hidden layer's "
               f"units are zeroed at test time (the rest scaled by 1/keep), over {CO.draws} draws, for a net trained "
               f"with dropout {CO.dropout} after both hidden layers vs the same net trained without ({DIGITS}, "
               f"{CO.fit.epochs} epochs)",
        direction="less", arms=(f"trained with dropout {CO.dropout}", "trained without dropout"), delta=0.005,
        design="paired", seeds={"quick": 12, "full": 20}, knobs=COADAPTATION,
    ),
    Claim(
        id="dropout-backward-same-mask", section=SECTION, source=NG,
        sentence="In backpropagation, you will have to shut down the same neurons, by reapplying the same mask to dA1 "
                 "(and divide by keep_prob).",
        kind="exact",
        metric=f"nn.Dropout in training mode on a {BW.rows}x{BW.units} float32 input (N(0, 1) pushed {BW.offset} "
               f"away from 0) at rates {_rates(BW.rates)}: the gradient at its input vs mask / keep_prob x the "
               "upstream gradient, the mask read off the forward output, computed in float64; max absolute "
               f"difference / max |reference| at most {BW.tolerance_eps:g} float32 eps (two float32 roundings: the "
               "1/keep scale and the product) on every seed and rate. Control (gating): a fresh mask of the same "
               "rate misses that tolerance on every seed",
        direction="holds", arms=("gradient at the dropout input", "B"), knobs=BACKWARD,
    ),
    Claim(
        id="dropout-off-at-test", section=SECTION, source=NG,
        sentence="You only use dropout during training. Don't use dropout (randomly eliminate nodes) during test time.",
        kind="paired",
        metric=f"validation accuracy of a net trained with dropout {OT.dropout} after both hidden layers ({DIGITS}, "
               f"{OT.fit.epochs} epochs): the eval-mode pass vs one stochastic (train-mode dropout) pass; NLL noted",
        direction="greater", arms=("dropout off (eval)", "dropout on, one pass"), delta=0.01, design="paired",
        seeds={"quick": 12, "full": 20}, knobs=OFF_AT_TEST,
    ),
    Claim(
        id="dropout-1-2pt-boost", section=SECTION, source=NOTES,
        sentence="Even state-of-the-art NN get 1-2% accuracy boost from dropout.",
        kind="paired",
        metric=f"final validation accuracy ({DIGITS}, {BO.fit.quick.epochs} epochs; {FULL_1D}): dropout after "
               f"every hidden layer at the rate of ({_rates(BO.rates)}) with the best median validation accuracy on "
               f"{BO.pilot_seeds} pilot seeds vs no dropout (paired): the gain is positive (fact) and inside "
               f"[{BO.band[0]}, {BO.band[1]}] (size: TOST against the band's centre within its half-width); both "
               "gating",
        direction="greater", arms=("best rate", "no dropout"), delta=0.005, design="paired",
        seeds={"quick": 12, "full": 20}, knobs=BOOST,
        expect=Expect(
            ("refuted",),
            why="on pilot bases 100-104 the best rate's gain over no dropout was -0.35 to +0.23 points (the fact "
                "absent or inconclusive), so the 1-2 point band was refuted on every base: digits at 500 images "
                "has no such headroom",
            declared=PART_C),
    ),
    Claim(
        id="dropout-masks-never-repeat", section=SECTION, source=NOTES,
        sentence="Unique NN at each training step, 2^N possible networks, means next to impossible for same NN to be "
                 "sampled twice.",
        kind="exact",
        metric=f"the keep masks of {MK.steps:,} training steps at batch {MK.batch.quick} (quick; {MK.batch.full} "
               f"full) of a net with {sum(MK.widths)} droppable units ({len(MK.widths)} hidden layers of "
               f"{MK.widths[0]}) at rate {MK.rate}, drawn from each seed's dropout stream: no example's mask repeats "
               f"any other (hash set of the packed bits) on every seed. Control (gating): with {MK.control_widths[0]} "
               "droppable units the same draws repeat on every seed (the check sees repeats when there are some)",
        direction="holds", arms=("masks of one run", "B"), knobs=MASKS,
    ),
    Claim(
        id="mc-dropout-better-calibrated", section=SECTION, source=NOTES + " (Gal & Ghahramani 2016)",
        sentence="Connection between dropout networks and Bayesian inference: MC dropout's averaged predictions are "
                 "better calibrated than the deterministic pass.",
        kind="paired",
        metric=f"expected calibration error ({CA.bins} equal-width confidence bins) on every digits image not trained "
               f"on (the 937 training rows outside the {CA.per_class} per class plus the 360 validation rows: 1297), "
               f"mean of K = {CA.k} MC-dropout passes vs the eval-mode pass of the same net ({DIGITS_NO_LR}, lr "
               f"{fmt(CA.fit.lr)}, "
               f"dropout {CA.dropout} after both hidden layers, {CA.fit.epochs} epochs); sub-decision (gating): "
               f"NLL on the same held-out rows lower too (paired, delta {CA.nll_delta})",
        direction="less", arms=(f"MC dropout, K = {CA.k}", "deterministic eval pass"), delta=0.005, design="paired",
        seeds={"quick": 12, "full": 20}, knobs=CALIBRATION,
        expect=Expect.not_refuted(
            why="on the 1297 held-out rows MC lowered ECE by 0.0141, 0.0079, 0.0076 and 0.0063 on pilot bases "
                "100-103 (confirmed) but by 0.0009 on 104 (absent); NLL was lower on all five. The gain depends on "
                "how overconfident the deterministic net is on the split",
            declared=PART_C),
    ),
    Claim(
        id="mc-pass-slight-overhead", section=SECTION, source=GERON_EX,
        sentence="MC Dropout is exactly like dropout during training, but it is still active during inference, so each "
                 "inference is slowed down slightly.",
        kind="timing",
        metric=f"seconds per forward call of a {PC.net.depth}x{PC.net.width} ELU net with dropout {PC.dropout}, X = "
               "the 1437 digits training rows, 1 torch thread, interleaved rounds (process CPU time): one MC pass "
               "(dropout on, dnnkit.mc_dropout_mode) vs one eval pass. Fact: slower (median ratio above 1 + "
               f"min_effect); size ('slightly'), gating: the 90% CI of the median ratio below 1 + {PC.slight} "
               f"(timing 'equal' within {PC.slight}, whose lower side holds trivially). Sensitivity (not gating): "
               f"a {PC.wide.depth} x {PC.wide.width} net, where the matrix products dominate; {PC.rounds_context} "
               "rounds",
        direction="slower", arms=("one MC pass", "one eval pass"), min_effect=0.05,
        seeds={"quick": 20, "full": 60}, knobs=PASS_COST,  # rounds of interleaved timing
        expect=Expect(
            ("refuted",),
            why="one MC pass took 2.93-3.20x an eval pass on every pilot base 100-104 (drawing Bernoulli masks "
                "on the CPU costs more than the 5 x 100 matrix products; DESIGN pitfall 6): slower, confirmed, but "
                "not slightly, refuted; the 2 x 1024 net 1.53-1.61x",
            declared=PART_C),
    ),
    Claim(
        id="alpha-dropout-regularizes-selu", section=SECTION, source=NOTES + " (self-normalizing net configuration)",
        sentence="Regularization: alpha dropout if needed (self-normalizing configuration: LeCun init, SELU).",
        kind="paired",
        metric=f"final validation accuracy of a SELU {AR.net.depth}x{AR.net.width} LeCun normal net on digits with "
               f"{AR.per_class} training images per class ({AR.per_class * 10} train, 360 val), Adam lr "
               f"{fmt(AR.fit.lr)}, batch {AR.fit.batch_size}, {AR.fit.epochs} epochs: alpha dropout {AR.dropout} "
               "after every hidden layer vs none; validation NLL and eval-mode training accuracy noted",
        direction="greater", arms=(f"alpha dropout {AR.dropout}", "no dropout"), delta=0.005, design="paired",
        seeds={"quick": 12, "full": 20}, knobs=ALPHA_REG,
        expect=Expect(
            ("refuted",),
            why="alpha dropout 0.1 after each of the 20 SELU layers cost 24-29 points of validation accuracy on "
                "every pilot base 100-104 (0.44-0.84 vs 0.85-0.94), and underfit the 300 images (eval-mode "
                "training accuracy 0.49-0.85 vs 0.91-1.0) in the 30-epoch budget",
            declared=PART_C),
    ),
)
