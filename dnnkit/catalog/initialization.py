"""Claims of the section "The Vanishing/Exploding Gradients Problems: Glorot and He initialization".

Design notes (the numbers each claim's knobs hold, where its metric does not state them):
- The small net of the training claims: 3 x 50 ELU, He normal init, zero biases, digits, Adam (lr 1e-3), batch 64,
  10 epochs. large-init-high-loss uses it with ReLU: He normal vs N(0, 1) weights (std 1.0), then validation
  accuracy after the 10 epochs, N(0, 1) below He (directional, delta 0.01: the absent band, as in the metric).
- The deep net of the at-init claims: 20 x 100, gradients and activations measured on the first 512 training
  examples. std-normal-unstable-gradients: N(0, 1) weights (std 1.0); "within an order of magnitude" is below 1
  decade. matched-init-preserves-variance: the small-init mismatch for tanh is N(0, 0.01) (std 0.01).
- input-normalization-speeds-training: 2,000 examples (Gaussian blobs), 20 features, 5 classes, feature scales over
  4 orders of magnitude (scale_spread 4.0), standardized or raw; a 2 x 32 ReLU net, plain SGD, batch 64, up to 30
  epochs quick / 60 full, stopped at the 0.9 target; each arm's rate from the grid (1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0)
  on the pilot seeds.

Coverage part A (issue 20), declared after pilots on seed bases 100-104 (8 seeds; 12 for bias-one-init-ok), before
any evidence run; the pilot numbers below are ranges over the five bases.
- zero-init-no-better-than-logistic: MNIST-1D (digits leaves no room: a logistic regression reaches ~96%). Pilots:
  logistic regression 0.309-0.333; zero-init sigmoid net 0.08-0.21 (its units stay identical: a width-1 bottleneck),
  zero-init tanh net 0.082-0.092 (tanh(0) = 0 passes no gradient to any weight: only the head's bias learns); the
  positive control (He normal ELU, same budget) 0.418-0.474, above the linear model on every seed of every base.
  10 epochs (20 suggested) after the first pilot base took 38 s at 20; the ordering was the same.
- zero-bias-symmetry-still-broken: 10 epochs (20 suggested; cost). Pilots: the closest two units of any layer
  differ by 3,770-5,110 tolerances (He normal, zero biases); he_constant with zero biases: 0 (bitwise identical).
- bias-one-init-ok: 12 seeds, paired. Pilots: depth 3 TOST confirmed on 4 of 5 bases (mean differences -0.7 to
  +0.2 points), depth 10 on 2 of 5 (differences 0.0 to +0.9 points, per-pair sd 1.1-2.1 points); the positive
  control (N(0, 1) weights) is 22-24 points below on every base, so the arms had room to differ. Declared not
  refuted: at 12 seeds the depth-10 comparison cannot be powered within 1 point.
- glorot-fan-avg-compromise: at init, no training. The three rules draw the same normal numbers (common random
  numbers), so only the scale differs. Pilots: worst per-layer distortion 0.40-0.43 decades for Glorot against
  0.61-0.65 (fan_in) and 0.61-0.67 (fan_out); Glorot between the other two in every layer on every seed.
- layers-learn-at-different-speeds: plain SGD, as the chapter's gradients are. Pilots: 6.55-7.17 decades between
  the fastest (head) and slowest (first) layer for sigmoid + Glorot against 0.52-1.01 for ReLU + He; with Adam
  0.12-0.57 against 0.10-0.25 (Adam scales each step by its own gradient: a sensitivity, not gating).
- test-uses-train-statistics: pilots 0.961-0.989 with the training statistics against 0.872-0.936 with each
  batch of 8's own (paired differences 5.6-7.4 points; every seed on every base).
- input-normalization-matters-more-for-sgd: 2,000 blobs, 20 features, 5 classes (as input-normalization-speeds-training)
  at a milder spread, 1 decade (scale_spread 1.0), with the target at 0.8 validation accuracy: at 1-3 decades plain SGD
  never reached 0.9 on raw inputs within 30 epochs and Adam on at most 3 of 8 seeds (pilot 100), and 0.9 sits at the data's ceiling (best
  validation accuracy 0.85-0.90 standardized), so the ratio had no room. Slowdown = epochs to 0.8 raw / standardized,
  +inf when raw never gets there in 20 epochs (a standardized run that never gets there makes the seed's slowdown 1:
  no evidence either way). Grids: SGD (0.01, 0.1, 1, 10), Adam (1e-4, 1e-3, 1e-2, 0.1). Pilots, 8 seeds: median
  slowdowns SGD 3.5 / 2.8 / 3.25 against Adam 1.4 / 2.0 / 2.0 on bases 100 / 101 / 102 (101-102 from a pilot script
  with a 30-epoch cap; chosen rates SGD 1.0 standardized and 0.1 raw, Adam 0.01 both); Adam's slowdown below SGD's
  on the same seed on 20 of 24. At 2 decades (the sensitivity) SGD on raw inputs reached 0.8 on 1 of 24 seeds, Adam's
  slowdown 3.3-8.0.
- glorot-speeds-training: 12 epochs quick (30 first piloted on base 100: the N(0, 1) net still had a training
  loss of 0.12-0.31 after 30). Pilots: Glorot reaches 0.1 in 3-4 epochs; N(0, 1) never within 12 (loss 1.23-1.81).
"""

from dataclasses import dataclass, replace

from ..evidence.claims import Amendment, Claim, Expect
from ..evidence.knobs import QuickFull, fmt
from ..nn.models import MLPConfig
from ..train.training import FitConfig

SECTION = "initialization"
GERON = "Geron, Hands-On ML, ch. 11 (exercise 1-2 answers, seeds 000/001)"
NG = "Ng, Improving Deep Neural Networks: initialization notes (seed 003)"

SMALL = MLPConfig(n_inputs=64, n_outputs=10, depth=3, width=50, activation="elu")
DEEP = MLPConfig(n_inputs=64, n_outputs=10, depth=20, width=100)
FIT = FitConfig(epochs=10, batch_size=64)


@dataclass(frozen=True)
class Trained:
    """zero-init-symmetry and bias-zero-ok: the small net each arm trains (arms change only its init)."""

    net: MLPConfig
    fit: FitConfig


@dataclass(frozen=True)
class OneNeuron:
    """symmetric-init-like-one-neuron: the small net, and the delta (absent band) of "He init beats the constant
    one"."""

    net: MLPConfig
    fit: FitConfig
    he_margin: float


@dataclass(frozen=True)
class LargeInit:
    """large-init-high-loss: the small ReLU net, the large weights' std, and the accuracy comparison's delta (its
    absent band) after training."""

    net: MLPConfig
    fit: FitConfig
    large_std: float
    acc_margin: float


@dataclass(frozen=True)
class AtInit:
    """std-normal-unstable-gradients and matched-init-preserves-variance: the deep net measured at init, on how many
    training examples, the std of each N(0, std) arm, and (gradients) the spread allowed to a matched init."""

    net: MLPConfig
    examples: int
    std: float
    within_decades: float | None = None


@dataclass(frozen=True)
class InputScales:
    """input-normalization-speeds-training: blobs on very different feature scales, the net, the rate grid."""

    samples: int
    features: int
    classes: int
    scale_spread: float  # orders of magnitude between feature scales: digits' pixels share one range
    net: MLPConfig
    fit: QuickFull[FitConfig]
    grid: tuple[float, ...]


@dataclass(frozen=True)
class ScalesByOptimizer:
    """input-normalization-matters-more-for-sgd: the blobs of InputScales at a milder spread (and a sensitivity
    spread), the target both optimizers can reach on raw inputs, and each optimizer's rate grid."""

    samples: int
    features: int
    classes: int
    scale_spread: float
    sensitivity_spread: float
    net: MLPConfig
    fits: dict[str, QuickFull[FitConfig]]  # optimizer -> its fit (target, epoch cap)
    grids: dict[str, tuple[float, ...]]  # optimizer -> its rate grid


@dataclass(frozen=True)
class LinearBaseline:
    """zero-init-no-better-than-logistic: zero-init nets (each hidden activation) against a logistic regression on
    MNIST-1D, the margin they may not exceed it by, and the random-init positive control."""

    net: MLPConfig
    activations: tuple[str, ...]
    fit: FitConfig
    margin: float
    lr_C: float
    lr_max_iter: int


@dataclass(frozen=True)
class ZeroBiasBroken:
    """zero-bias-symmetry-still-broken: the net trained with zero biases (He weights, and a constant-weight control)."""

    net: MLPConfig
    fit: FitConfig


@dataclass(frozen=True)
class BiasOne:
    """bias-one-init-ok: the depths compared, the bias value, the large-init positive control's std."""

    net: MLPConfig
    depths: tuple[int, ...]
    bias: float
    control_std: float
    fit: FitConfig


@dataclass(frozen=True)
class FanModes:
    """glorot-fan-avg-compromise: a linear stack with alternating widths, measured at init on the digits inputs."""

    widths: tuple[int, ...]
    margin_decades: float


@dataclass(frozen=True)
class LayerSpeeds:
    """layers-learn-at-different-speeds: the deep net trained one epoch, each arm's activation and init."""

    net: MLPConfig
    fit: FitConfig
    adam_lr: float


@dataclass(frozen=True)
class TestStatistics:
    """test-uses-train-statistics: the trained net, and the size of the batches standardized with their own statistics."""

    net: MLPConfig
    fit: FitConfig
    batch: int
    margin: float


@dataclass(frozen=True)
class GlorotSpeed:
    """glorot-speeds-training: the tanh net, the N(0, std) arm, the training-loss target and budget."""

    net: MLPConfig
    large_std: float
    fit: QuickFull[FitConfig]


TRAINED = Trained(net=SMALL, fit=FIT)
ONE_NEURON = OneNeuron(net=SMALL, fit=FIT, he_margin=0.02)
LARGE_INIT = LargeInit(net=SMALL.replace(activation="relu"), fit=FIT, large_std=1.0, acc_margin=0.01)
UNSTABLE_GRADIENTS = AtInit(net=DEEP, examples=512, std=1.0, within_decades=1.0)
MATCHED_INIT = AtInit(net=DEEP, examples=512, std=0.01)  # N(0, 0.01): the chapter's small default of old, for tanh
_SCALES_FIT = FitConfig(epochs=30, batch_size=64, optimizer="sgd", target=("val_acc", 0.9), stop_at_target=True)
INPUT_SCALES = InputScales(
    samples=2000, features=20, classes=5, scale_spread=4.0,
    net=MLPConfig(n_inputs=20, n_outputs=5, depth=2, width=32, activation="relu"),
    fit=QuickFull(_SCALES_FIT, replace(_SCALES_FIT, epochs=60)), grid=(1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0),
)

_BY_OPT_FIT = FitConfig(epochs=20, batch_size=64, target=("val_acc", 0.8), stop_at_target=True)
SCALES_BY_OPTIMIZER = ScalesByOptimizer(
    samples=2000, features=20, classes=5, scale_spread=1.0, sensitivity_spread=2.0, net=INPUT_SCALES.net,
    fits={opt: QuickFull(replace(_BY_OPT_FIT, optimizer=opt), replace(_BY_OPT_FIT, optimizer=opt, epochs=40))
          for opt in ("sgd", "adam")},
    grids={"sgd": (1e-2, 1e-1, 1.0, 10.0), "adam": (1e-4, 1e-3, 1e-2, 1e-1)},
)

LINEAR_BASELINE = LinearBaseline(
    net=MLPConfig(n_inputs=40, n_outputs=10, depth=3, width=100, weight_init="zeros"), activations=("sigmoid", "tanh"),
    fit=FitConfig(epochs=10, batch_size=64), margin=0.01, lr_C=1.0, lr_max_iter=1000)
ZERO_BIAS = ZeroBiasBroken(net=MLPConfig(n_inputs=64, n_outputs=10, depth=3, width=100, activation="relu"),
                           fit=FitConfig(epochs=10, batch_size=64))
BIAS_ONE = BiasOne(net=MLPConfig(n_inputs=64, n_outputs=10, depth=3, width=100, activation="relu"), depths=(3, 10),
                   bias=1.0, control_std=1.0, fit=FitConfig(epochs=10, batch_size=64))
FAN_MODES = FanModes(widths=(64, 256) * 5 + (64,), margin_decades=0.1)
LAYER_SPEEDS = LayerSpeeds(net=DEEP.replace(depth=10), fit=FitConfig(epochs=1, batch_size=64, optimizer="sgd", lr=0.01),
                           adam_lr=1e-3)
TEST_STATISTICS = TestStatistics(net=SMALL.replace(width=100), fit=FIT, batch=8, margin=0.02)
_GLOROT_FIT = FitConfig(epochs=12, batch_size=32, target=("train_loss", 0.1), stop_at_target=True)
GLOROT_SPEED = GlorotSpeed(net=MLPConfig(n_inputs=64, n_outputs=10, depth=5, width=100, activation="tanh",
                                         weight_init="glorot_normal"),
                           large_std=1.0, fit=QuickFull(_GLOROT_FIT, replace(_GLOROT_FIT, epochs=60)))
LB = LINEAR_BASELINE

CLAIMS = (
    Claim(
        id="zero-init-symmetry", section=SECTION, source=GERON,
        sentence="With all weights zero, or all equal to one constant drawn from He init, every hidden layer's units "
                 "stay identical after training; He init breaks the symmetry.",
        kind="exact",
        metric=f"per hidden layer after training ({TRAINED.net.depth}x{TRAINED.net.width} "
               f"{TRAINED.net.activation.upper()}, Adam, {TRAINED.fit.epochs} epochs, digits): the largest max-abs "
               "difference between two units' incoming weight rows (+bias), exact (float64 of the float32 values); "
               "symmetric = at most SYMMETRY_ULPS (1024) x float32 eps x the layer's largest |weight| (dnnkit.diagnostics)",
        direction="holds", arms=("zeros", "he_constant", "he_normal"), knobs=TRAINED,
        amendments=(Amendment(
            date="2026-12-02",
            what="Split: the exact symmetry property stays here (sentence, metric and arms without the one-unit "
                 "net, delta 0.02 dropped); 'no better than a one-unit net' and 'He beats the symmetric net' moved "
                 "to symmetric-init-like-one-neuron. The measure is now exact (max-abs, no cdist) with a float32 "
                 "tolerance instead of relative cdist distance < 1e-2.",
            why="issue 15: cdist reported ~1e-3 between bitwise-identical rows (the 1e-2 tolerance was set from that "
                "floor), and the one-unit comparison was an underpowered shifted test glued to an exact claim "
                "(inconclusive on base 0, p 0.11).",
            base=201),),
    ),
    Claim(
        id="symmetric-init-like-one-neuron", section=SECTION, source=GERON,
        sentence="If all the weights are the same, it's like having just one neuron per layer, but much slower; "
                 "random initialization beats it.",
        kind="equivalence",
        metric=f"{ONE_NEURON.net.depth}x{ONE_NEURON.net.width} {ONE_NEURON.net.activation.upper()} net with every "
               f"weight of a layer one He-drawn constant, Adam, {ONE_NEURON.fit.epochs} epochs, digits; its exact "
               "width-1 twin (dnnkit.diagnostics.one_unit_twin: unit 0's row, later layers' weights summed over the "
               "n identical inputs): validation logits equal within 1024 float32 eps of their scale on every seed "
               "(exact) and validation accuracy equivalent within delta (paired); then validation accuracy, He normal "
               f"init vs the constant init (directional, delta {ONE_NEURON.he_margin}). Sensitivity: a width-1 net "
               "trained from its own He init (the to-do's setup) vs the constant net, TOST within delta",
        direction="equivalent", arms=(f"constant init {ONE_NEURON.net.depth}x{ONE_NEURON.net.width}", "width-1 twin"),
        delta=0.03,
        design="paired", knobs=ONE_NEURON,
    ),
    Claim(
        id="bias-zero-ok", section=SECTION, source=GERON + "; " + NG,
        sentence="It is perfectly fine to initialize the bias terms to zero: zero biases with random weights train as "
                 "well as random biases, and the symmetry is still broken.",
        kind="equivalence", metric="final validation accuracy (digits)", direction="equivalent",
        arms=("zero bias", "random bias"), delta=0.01, design="paired", knobs=TRAINED,
    ),
    Claim(
        id="std-normal-unstable-gradients", section=SECTION, source="Geron ch. 11 notes (seed 002); " + NG,
        sentence="A deep sigmoid/tanh net with N(0,1) weights has gradient norms that vanish or explode geometrically "
                 "from the top layer to the bottom; Glorot (tanh) and He (ReLU) keep the bottom-to-top ratio within "
                 "an order of magnitude.",
        kind="directional",
        metric=f"|log10(gradient norm of the bottom hidden layer / top hidden layer)| at init, {UNSTABLE_GRADIENTS.net.depth} layers",
        direction="greater", arms=("N(0,1)", "matched init"), delta=0.5, knobs=UNSTABLE_GRADIENTS,
    ),
    Claim(
        id="matched-init-preserves-variance", section=SECTION, source="Geron ch. 11 notes (seed 002)",
        sentence="He init for ReLU, Glorot for tanh and LeCun for SELU keep the activation variance roughly constant "
                 "across depth; a mismatched pairing collapses or explodes it.",
        kind="directional",
        metric=f"|log10(activation variance of the last / first hidden layer)| at init, {MATCHED_INIT.net.depth} layers",
        direction="less", arms=("matched", "mismatched"), delta=0.5, knobs=MATCHED_INIT,
    ),
    Claim(
        id="large-init-high-loss", section=SECTION, source=NG,
        sentence="Initializing weights to very large random values gives a very high cost at the beginning and "
                 "trains worse than He initialization.",
        kind="directional", metric="initial validation loss (nats); then validation accuracy after a fixed budget",
        direction="greater", arms=("N(0, 1) weights", "he_normal"), delta=0.5, knobs=LARGE_INIT,
    ),
    Claim(
        id="input-normalization-speeds-training", section=SECTION, source=NG + " (normalizing inputs)",
        sentence="Standardized inputs make the cost easier to optimize: with features on very different scales, "
                 "gradient descent on standardized inputs reaches a target accuracy in fewer epochs than on raw inputs.",
        kind="time_to_target",
        metric=f"epochs of plain SGD to {INPUT_SCALES.fit.quick.target[1]:.0%} validation accuracy (each arm at its "
               "best rate from a declared grid, chosen on pilot seeds)",
        direction="less", arms=("standardized", "raw"), delta=1.0, knobs=INPUT_SCALES,
    ),
    Claim(
        id="input-normalization-matters-more-for-sgd", section=SECTION, source=NG + " (normalizing inputs)",
        sentence="Normalizing the inputs makes the cost function easier to optimize, especially when using SGD "
                 "to optimize.",
        kind="directional",
        metric=f"per seed, the slowdown from raw inputs: epochs to {SCALES_BY_OPTIMIZER.fits['sgd'].quick.target[1]:.0%} "
               f"validation accuracy on raw inputs / on standardized inputs (feature scales spanning "
               f"{SCALES_BY_OPTIMIZER.scale_spread:g} decade; +inf if the raw run never gets there within "
               f"{SCALES_BY_OPTIMIZER.fits['sgd'].quick.epochs} epochs quick / {SCALES_BY_OPTIMIZER.fits['sgd'].full.epochs} "
               "full), plain SGD's against Adam's; each optimizer and input at its own best rate from its grid, "
               f"chosen on pilot seeds; sensitivity: scales spanning {SCALES_BY_OPTIMIZER.sensitivity_spread:g} decades",
        direction="greater", arms=("SGD slowdown", "Adam slowdown"), delta=0.5, knobs=SCALES_BY_OPTIMIZER,
    ),
    Claim(
        id="zero-init-no-better-than-logistic", section=SECTION, source=NG,
        sentence="With all weights initialized to zero, the network is no more powerful than a linear classifier "
                 "such as logistic regression.",
        kind="exact",
        metric=f"MNIST-1D validation accuracy of a {LB.net.depth}x{LB.net.width} net with weight init {LB.net.weight_init} "
               f"and zero biases ({' and '.join(LB.activations)} hidden units), Adam, {LB.fit.epochs} epochs, batch "
               f"{LB.fit.batch_size}, against scikit-learn's LogisticRegression (C {LB.lr_C}, lbfgs, max_iter "
               f"{LB.lr_max_iter}) on the same split (dnnkit.train.logistic): on every seed each zero-init net is at "
               f"most {LB.margin} above it; positive control: the same net with He normal weights and ELU units is more "
               f"than {LB.margin} above it on every seed",
        direction="holds", arms=("zero-init net", "logistic regression"), knobs=LINEAR_BASELINE,
    ),
    Claim(
        id="zero-bias-symmetry-still-broken", section=SECTION, source=NG,
        sentence="It is however okay to initialize the biases to zeros. Symmetry is still broken so long as W is "
                 "initialized randomly.",
        kind="exact",
        metric=f"per hidden layer after training ({ZERO_BIAS.net.depth}x{ZERO_BIAS.net.width} "
               f"{ZERO_BIAS.net.activation.upper()}, He normal weights, zero biases, Adam, {ZERO_BIAS.fit.epochs} "
               f"epochs, batch {ZERO_BIAS.fit.batch_size}, digits): the smallest max-abs difference between two units' "
               "incoming rows (+bias) is above the float32 tolerance (SYMMETRY_ULPS (1024) x float32 eps x the layer's "
               "largest |weight|, dnnkit.nn.diagnostics) in every layer on every seed; control: he_constant weights "
               "with zero biases stay within it in every layer",
        direction="holds", arms=("he_normal weights, zero biases", "he_constant weights, zero biases"),
        knobs=ZERO_BIAS,
    ),
    Claim(
        id="bias-one-init-ok", section=SECTION, source=GERON,
        sentence="It does not end up making much of a difference. It's been my practice to initialize the bias term "
                 "to 1.",
        kind="equivalence",
        metric=f"final validation accuracy (digits), {BIAS_ONE.net.activation.upper()} He normal, width "
               f"{BIAS_ONE.net.width}, depths {' and '.join(map(str, BIAS_ONE.depths))}, Adam, {BIAS_ONE.fit.epochs} "
               f"epochs, batch {BIAS_ONE.fit.batch_size}: every bias initialized to {BIAS_ONE.bias} vs to 0, paired "
               f"TOST within delta at each depth; positive control at depth {BIAS_ONE.depths[0]}: N(0, "
               f"{BIAS_ONE.control_std}) weights (zero biases) below zero biases by more than delta (paired)",
        direction="equivalent", arms=(f"biases {BIAS_ONE.bias}", "biases 0"), delta=0.01, design="paired",
        seeds={"quick": 12, "full": 20}, knobs=BIAS_ONE,
        expect=Expect.not_refuted(
            "pilot bases 100-104, 12 seeds: the TOST within 1 point held at depth 3 on 4 of 5 bases and at depth 10 "
            "on 2 of 5 (paired differences up to +0.9 points, per-pair sd up to 2.1 points), while the N(0, 1) "
            "control lay 22-24 points below on every base: the depth-10 equivalence cannot be powered here",
            "2026-12-02, before the evidence run (worktree of fceb293)"),
    ),
    Claim(
        id="glorot-fan-avg-compromise", section=SECTION, source="Geron ch. 11 notes (seed 002)",
        sentence="Can't guarantee both if inputs != neurons. Compromise: initialize connection weights randomly where "
                 "variance = 1/avg(fan in and fan out).",
        kind="directional",
        metric=f"at init, a bias-free linear stack with widths {', '.join(map(str, FAN_MODES.widths[:3]))}, ... "
               f"({len(FAN_MODES.widths) - 1} layers alternating {FAN_MODES.widths[0]} and {FAN_MODES.widths[1]}), "
               "on the digits training inputs (dnnkit.nn.variance_flow): per seed the worst |log10| per-layer variance "
               "ratio over the forward (activations) and backward (gradients) passes; Glorot (fan_avg) below LeCun "
               f"(fan_in) and below fan_out (directional, delta {FAN_MODES.margin_decades} decades); exact: in every layer "
               "Glorot's forward and its backward ratio lie strictly between the other two rules'",
        direction="less", arms=("fan_avg (Glorot)", "fan_in (LeCun)"), delta=FAN_MODES.margin_decades,
        knobs=FAN_MODES,
    ),
    Claim(
        id="layers-learn-at-different-speeds", section=SECTION, source="Geron ch. 11 notes (seeds 001, 002)",
        sentence="Deep neural networks suffer from unstable gradients; different layers may learn at widely different "
                 "speeds.",
        kind="directional",
        metric=f"{LAYER_SPEEDS.net.depth}x{LAYER_SPEEDS.net.width} net, digits, {LAYER_SPEEDS.fit.epochs} epoch of "
               f"plain {LAYER_SPEEDS.fit.optimizer.upper()} lr {LAYER_SPEEDS.fit.lr}, batch "
               f"{LAYER_SPEEDS.fit.batch_size}: decades between the fastest and the slowest Linear layer's relative "
               "update ||dW||/||W|| (dnnkit.nn.update_sizes), sigmoid with Glorot normal vs ReLU with He normal; "
               f"sensitivity: the same with Adam lr {fmt(LAYER_SPEEDS.adam_lr)}",
        direction="greater", arms=("sigmoid Glorot", "ReLU He"), delta=0.5, knobs=LAYER_SPEEDS,
    ),
    Claim(
        id="test-uses-train-statistics", section=SECTION, source=NG + " (normalizing inputs)",
        sentence="Use the same mean and variance values to normalize your testing data as well.",
        kind="paired",
        metric=f"validation accuracy of a trained {TEST_STATISTICS.net.depth}x{TEST_STATISTICS.net.width} "
               f"{TEST_STATISTICS.net.activation.upper()} net (He normal, Adam, {TEST_STATISTICS.fit.epochs} epochs, "
               f"batch {TEST_STATISTICS.fit.batch_size}, digits standardized with the training split's statistics): "
               "validation inputs standardized with the training statistics vs in batches of "
               f"{TEST_STATISTICS.batch} with their own (StandardScaler semantics: constant columns scale 1, clipped "
               f"like the training inputs), the same trained nets (paired, delta {TEST_STATISTICS.margin})",
        direction="greater", arms=("train statistics", f"own statistics per batch of {TEST_STATISTICS.batch}"),
        delta=TEST_STATISTICS.margin, design="paired", knobs=TEST_STATISTICS,
    ),
    Claim(
        id="glorot-speeds-training", section=SECTION, source="Geron, Hands-On ML, ch. 11 (book text)",
        sentence="Using Glorot initialization can speed up training considerably.",
        kind="time_to_target",
        metric=f"epochs until the training loss (running mean over an epoch's batches) is below "
               f"{GLOROT_SPEED.fit.quick.target[1]}, {GLOROT_SPEED.net.depth}x{GLOROT_SPEED.net.width} "
               f"{GLOROT_SPEED.net.activation}, Adam lr 1e-3, batch {GLOROT_SPEED.fit.quick.batch_size}, digits, at "
               f"most {GLOROT_SPEED.fit.quick.epochs} epochs quick / {GLOROT_SPEED.fit.full.epochs} full (+inf if "
               f"never): glorot_normal vs N(0, {GLOROT_SPEED.large_std}) weights",
        direction="less", arms=("glorot_normal", f"N(0, {GLOROT_SPEED.large_std})"), delta=1.0, knobs=GLOROT_SPEED,
    ),
)
