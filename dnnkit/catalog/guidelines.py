"""Claims of the section "Summary and Practical Guidelines": the default configuration, the self-normalizing one,
and the low-latency recipe (fold BN, a cheap activation, reduced precision).

Design notes (declared before the evidence runs; pilots on seed bases 100-101, 2026-12-07):
- Data: digits 50/class (500 train; the 360 validation rows halved at random into 180 validation / 180 test rows,
  test fraction 0.5, dnnkit.train.holdout.split_validation): the arms that choose something on validation data (early
  stopping, the random search, the LR finder's pilot) are scored on the test half.
- The chapter's default configuration (its table "Default DNN configuration"): He init, ELU, no batch norm for a
  shallow net (5 x 100 here) and batch norm for a deep one (20 x 100: BN before each activation), early stopping
  (patience 5 on validation loss, restore best), momentum optimization (SGD, momentum 0.9), 1cycle per step peaking
  at the rate the LR finder suggests (the smoothed loss minimum / 10, rates 1e-6 to 10 over 100 batches, on one
  pilot seed; its default of one epoch is 8 batches here, which on pilot base 100 suggested 1e-6 for the deep BN
  and sigmoid nets), batch 64.
- default-config-competitive: the random search draws activation (relu, leaky_relu, elu, selu, tanh, each with its
  matched init), optimizer (sgd, momentum, nesterov, rmsprop, adam, nadam), rate log-uniform in [1e-4, 0.1], batch
  norm (none or before the activation) and dropout (0 or 0.2) for the same 5 x 100 net and 20 epochs; each
  candidate trains on 2 pilot seeds and the best by median validation accuracy is retrained on the evidence seeds.
  The chapter-scale search (20 configs) runs in the full profile; the quick profile draws 6 (declared smaller).
  Pilots in its expectation; the finder suggested 0.020 and 0.024 (the 8-batch finder had suggested 0.1).
- self-normalizing-config-competitive: 10 epochs. Pilots (12 seeds): SELU 0.87-0.96 against the deep BN default's
  0.78-0.92, mean +5.5 and +6.8 points (12 of 12 and 11 of 12 seeds: confirmed both); the sigmoid control 0.07-0.12,
  76-77 points below the default. Finder rates: SELU 0.0034-0.0046, default 0.020-0.024, sigmoid 1e-6 (base 100:
  it never trains) and 0.012.
- low-latency-recipe and reduced-precision-faster: 5 x 100 nets trained 10 epochs (Adam 3e-3, batch 64) on 8 seeds;
  one trained pair timed (30 interleaved rounds, CPU time, 1 thread), on the CPU. Leaky ReLU's slope 0.2 (the
  chapter's example; Keras's default 0.3). Pilots of reduced-precision-faster (base 100): int8 / float32 0.62 at
  batch 1437, 2.18 at batch 1 (quantizing activations on the fly); validation accuracy within 0.3 points (TOST
  confirmed). Quick single-process measure: a 5 x 100 ELU net forward took 55 us (float32) and 120 us (int8) at
  batch 1, 2638 and 1636 us at batch 1437; BN + ELU 97 us and the folded leaky ReLU net 54 us at batch 1.
"""

from dataclasses import dataclass, replace

from ..evidence.claims import Amendment, Claim, Expect
from ..evidence.knobs import QuickFull, fmt
from ..nn.models import MLPConfig
from ..train.random_search import SearchSpace
from ..train.training import FitConfig

SECTION = "guidelines"
NOTES = "Geron ch. 11 notes (seed 002: default DNN configuration, self-normalizing net, low latency)"
PART_C = "2026-12-07, pilot bases 100-101, before the evidence run (worktree wt-D of 87ef806)"

DEFAULT_NET = MLPConfig(n_inputs=64, n_outputs=10, depth=5, width=100, activation="elu", weight_init="he_normal")
DEFAULT_FIT = FitConfig(epochs=20, batch_size=64, optimizer="momentum", lr=0.01, patience=5, restore_best=True)


@dataclass(frozen=True)
class DefaultCompetes:
    """default-config-competitive: the default net and fit (the rate is the finder's), the search space, how many
    configs (quick: a declared smaller search), pilot seeds per candidate, the test fraction, the margin."""

    net: MLPConfig
    fit: FitConfig
    space: SearchSpace
    n_configs: QuickFull[int]
    pilot_seeds: int
    finder_steps: int
    test_fraction: float
    margin: float


@dataclass(frozen=True)
class SelfNormalizing:
    """self-normalizing-config-competitive: the deep SELU net against the deep default net (BN), the shared recipe
    (each arm's own finder rate), the positive control's activation, the test fraction, the margin."""

    sn_net: MLPConfig
    default_net: MLPConfig
    control_net: MLPConfig
    fit: FitConfig
    finder_steps: int
    test_fraction: float
    margin: float


@dataclass(frozen=True)
class LowLatency:
    """low-latency-recipe: the BN net with ELU against the BN-folded leaky ReLU net (same training), the timed
    batch (latency) and the throughput batch of the sensitivity, the ratio, the accuracy margin."""

    net: MLPConfig
    leaky_slope: float
    fit: FitConfig
    train_seeds: int
    batch: int
    throughput_batch: int
    min_effect: float
    acc_margin: float


@dataclass(frozen=True)
class ReducedPrecision:
    """reduced-precision-faster: the trained float32 net against its int8 dynamic quantization, the timed batch and
    the latency batch of the sensitivity, the ratio, the accuracy margin."""

    net: MLPConfig
    fit: FitConfig
    train_seeds: int
    batch: int
    latency_batch: int
    min_effect: float
    acc_margin: float


DEFAULT_COMPETES = DefaultCompetes(
    net=DEFAULT_NET, fit=DEFAULT_FIT,
    space=SearchSpace(activations=("relu", "leaky_relu", "elu", "selu", "tanh"),
                      optimizers=("sgd", "momentum", "nesterov", "rmsprop", "adam", "nadam"), lr_low=1e-4,
                      lr_high=0.1, batch_norm=(None, "before"), dropout=(0.0, 0.2)),
    n_configs=QuickFull(6, 20), pilot_seeds=2, finder_steps=100, test_fraction=0.5, margin=0.01)
SELF_NORMALIZING = SelfNormalizing(
    sn_net=DEFAULT_NET.replace(depth=20, activation="selu", weight_init="lecun_normal"),
    default_net=DEFAULT_NET.replace(depth=20, batch_norm="before"),
    control_net=DEFAULT_NET.replace(depth=20, activation="sigmoid", weight_init="glorot_normal"),
    fit=replace(DEFAULT_FIT, epochs=10), finder_steps=100,
    test_fraction=0.5, margin=0.01)
_TRAINED = FitConfig(epochs=10, batch_size=64, optimizer="adam", lr=3e-3)
LOW_LATENCY = LowLatency(net=DEFAULT_NET.replace(batch_norm="before"), leaky_slope=0.2, fit=_TRAINED, train_seeds=8,
                         batch=1, throughput_batch=1437, min_effect=0.2, acc_margin=0.005)
REDUCED_PRECISION = ReducedPrecision(net=DEFAULT_NET, fit=_TRAINED, train_seeds=8, batch=1437, latency_batch=1,
                                     min_effect=0.1, acc_margin=0.005)
DC, SN, LL, RP = DEFAULT_COMPETES, SELF_NORMALIZING, LOW_LATENCY, REDUCED_PRECISION
DIGITS = "digits 50/class (500 train, 180 validation / 180 test)"
TRAINED = (f"{DIGITS.replace(', 180 validation / 180 test', ', 360 val')}, Adam lr {fmt(_TRAINED.lr)}, batch "
           f"{_TRAINED.batch_size}, {_TRAINED.epochs} epochs")

CLAIMS = (
    Claim(
        id="default-config-competitive", section=SECTION, source=NOTES,
        sentence="Default DNN configuration: He initialization, ELU, none if shallow / batch norm if deep, early "
                 "stopping, momentum optimization, 1cycle.",
        kind="paired",
        metric=f"test accuracy ({DIGITS}) of the default configuration ({DC.net.depth}x{DC.net.width} ELU He, no "
               f"BN, momentum 0.9, 1cycle at the LR finder's rate, early stopping patience {DC.fit.patience}, batch "
               f"{DC.fit.batch_size}, at most {DC.fit.epochs} epochs) vs the best of a random search of "
               f"{DC.n_configs.quick} configs quick / {DC.n_configs.full} full (the same net and epoch budget; "
               f"picked on {DC.pilot_seeds} pilot seeds each), paired; non-inferiority: default + {DC.margin} above "
               "the best",
        direction="greater", arms=(f"default + {DC.margin}", "best of the random search"), delta=DC.margin,
        design="paired", seeds={"quick": 12, "full": 20}, knobs=DEFAULT_COMPETES,
        expect=Expect.not_refuted(
            why="pilot bases 100 and 101 (12 seeds, 6 configs): the default's test accuracy minus the search's best "
                "(elu/sgd/BN lr 0.034 on 100, tanh/rmsprop lr 0.00029 on 101) was +1.8 points mean (11 of 12 "
                "seeds; confirmed) and -0.5 points (6 of 12; inconclusive): at 180 test rows and 12 seeds the "
                "1-point non-inferiority margin cannot be powered on every split",
            declared=PART_C),
    ),
    Claim(
        id="self-normalizing-config-competitive", section=SECTION, source=NOTES,
        sentence="DNN configuration for a self-normalizing net: LeCun initialization, SELU, no normalization "
                 "(self-normalization), alpha dropout if needed.",
        kind="paired",
        metric=f"test accuracy ({DIGITS}) of a {SN.sn_net.depth}x{SN.sn_net.width} SELU LeCun normal net without "
               f"BN vs the deep default ({SN.default_net.depth}x{SN.default_net.width} ELU He, BN before each "
               f"activation), both trained by the default recipe (momentum 0.9, 1cycle at each arm's own LR finder "
               f"rate, early stopping patience {SN.fit.patience}, batch {SN.fit.batch_size}, at most {SN.fit.epochs} "
               f"epochs), paired; non-inferiority: SELU + {SN.margin} above the default. Positive control (needed for confirmed, never refuting): "
               f"a {SN.control_net.depth}x{SN.control_net.width} {SN.control_net.activation} "
               f"{SN.control_net.weight_init.replace('_', ' ')} net by the same recipe lands below "
               f"the default by more than {SN.margin}",
        direction="greater", arms=(f"self-normalizing + {SN.margin}", "default (deep, BN)"), delta=SN.margin,
        design="paired", seeds={"quick": 12, "full": 20}, knobs=SELF_NORMALIZING,
        amendments=(Amendment(
            date="2026-12-07",
            what="The positive control (the sigmoid net vs the default) now shifts the default by the declared margin "
                 "(it compared the arms unshifted, the margin only bounding the absent band), and it is a control: "
                 "needed for 'confirmed', but a control going the other way no longer refutes the claim.",
            why="a review of the tests against their declarations: the metric says 'below the default by more than' "
                "the margin; and a gating control could refute the claim it controls. The margin is the declared "
                "one; on the evidence bases the control was 74 points below.",
            base=301),),
    ),
    Claim(
        id="low-latency-recipe", section=SECTION, source=NOTES,
        sentence="Need a low latency model: fold Batch Normalization layers into previous layers and use a faster "
                 "activation function like leaky ReLU.",
        kind="timing",
        metric=f"seconds per eval-mode forward call at batch {LL.batch} (latency) of the {LL.net.depth}x"
               f"{LL.net.width} leaky ReLU (slope {LL.leaky_slope}) net with its BN folded into the previous Linear "
               "(dnnkit.batchnorm.fold_batchnorm) vs the same net with ELU and its BN layers, both trained "
               f"({TRAINED}, BN before each activation, He normal), interleaved rounds, 1 torch thread: faster by "
               f"at least {LL.min_effect:.0%} (ratio <= 0.8). Sub-decision (equivalence, paired over "
               f"{LL.train_seeds} trained seeds): validation accuracy within {LL.acc_margin} (TOST). Sensitivity: the "
               f"timing at batch {LL.throughput_batch}",
        direction="faster", arms=("folded leaky ReLU", "BN + ELU"), min_effect=LL.min_effect,
        seeds={"quick": 30, "full": 90}, knobs=LOW_LATENCY,
        expect=Expect(
            verdicts=("refuted", "not reproduced"),
            why="the latency half holds (folded leaky ReLU / BN + ELU at batch 1: median 0.557 and 0.557 on pilot "
                "bases 100 and 101; 0.68-0.69 at batch 1437), but the leaky ReLU nets were less accurate: mean "
                "-1.0 points (inconclusive) and -2.4 points (refuted) against the 0.5-point TOST margin, validation "
                "accuracy 0.92-0.96 against 0.92-0.97",
            declared=PART_C),
    ),
    Claim(
        id="reduced-precision-faster", section=SECTION, source=NOTES + " (low-latency exception: reduce float "
        "precision)",
        sentence="Need a low latency model: reduce float precision.",
        kind="timing",
        metric=f"seconds per forward call on the CPU, batch {RP.batch} (the digits training rows), of the trained "
               f"{RP.net.depth}x{RP.net.width} ELU He net ({TRAINED}) with every Linear dynamically quantized to "
               "int8 (torch.ao.quantization.quantize_dynamic, dnnkit.nn.low_latency.quantize_int8) vs float32, "
               f"interleaved rounds, 1 torch thread: faster by at least {RP.min_effect:.0%}. Sub-decision "
               f"(equivalence, paired over {RP.train_seeds} trained seeds): validation accuracy within "
               f"{RP.acc_margin} (TOST). Sensitivity: the timing at batch {RP.latency_batch}",
        direction="faster", arms=("int8 dynamic", "float32"), min_effect=RP.min_effect,
        seeds={"quick": 30, "full": 90}, knobs=REDUCED_PRECISION,
    ),
)
