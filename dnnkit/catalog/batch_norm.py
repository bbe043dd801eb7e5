"""Claims of the section "Batch Normalization".

Shared design (declared before the evidence runs; pilots on claim.pilot_seeds and on seeds of base 100, never the
evidence seeds). The deep net is 10 hidden layers x 100 ELU units, He normal, on digits, Adam, batch 64; the BN arm
adds BatchNorm1d before each activation (the BN paper's and the chapter's second placement). The plain arm is the
same net without BN, with the same init stream and data order (common random numbers).

BN momentum: PyTorch 0.1 (= Keras 0.9), not the chapter's Keras 0.99. Keras's moving averages span ~100 steps,
about 6% of an MNIST epoch (1719 steps at batch 32) but 4 epochs of digits (23 steps at batch 64): eval-mode
accuracy would then measure the lag of the moving statistics, not training. Pilots (4 seeds, target 0.9, each arm
at its best Adam rate): with 0.99 BN took 2-4 epochs vs plain 2-3; with 0.9 the averages span ~10 steps.

* bn-faster-convergence: target val accuracy 0.95, at most 10 epochs quick (30 full), stop at target; each arm at
  its own rate from (1e-3, 3e-3, 1e-2) by select_lr on 2 pilot seeds (fewest median epochs to target). Pilot
  (6 seeds, 15-epoch cap): plain at 3e-3 needed 4-11 epochs (median 8.5), BN at 3e-3 needed 2-3. 16 seeds quick
  since issue 15 (amendment BN_SEEDS: the power check on pilot bases 100-104).
* bn-allows-larger-lr: Adam grid (0.01, 0.03, 0.1), 5 epochs; "stalls" = val accuracy < 0.5 after the budget. The
  rate is the grid's smallest at which the plain net stalled on all 4 pilot seeds: 0.01 -> plain 0.84-0.93;
  0.03 -> plain 0.10-0.59 (3 of 4 stalled), BN 0.91-0.96; 0.1 -> plain 0.10 on all 4, BN 0.84-0.91.
* bn-less-init-sensitive: Adam's default rate 1e-3 for both arms (the claim is about one recipe surviving a bad
  init), 5 epochs. Pilots (4 seeds): ELU with N(0, 0.01) weights: plain 0.10-0.20 (0.19-0.35 at lr 3e-3), BN
  0.91-0.96; sigmoid with N(0, 1): plain 0.57-0.63 (0.69-0.76 at 3e-3), BN 0.89-0.94.
* bn-eval-uses-moving-stats and bn-folding-same-output-faster use the chapter's first BN model: BN on the inputs
  and after every hidden layer's activation, 5 x 100 ELU, trained 2 epochs (so the moving statistics are not the
  initial (0, 1)). Folding pilots under load (40 rounds): folded/unfolded median ratio 0.17-0.56 at batch 1,
  0.82-0.90 at batch 256-1024 (BN's elementwise work is a small share of a large batch's forward). The first
  evidence run (seed base 0) timed with the wall clock under a load average of ~5 on 2 cores: batch 1024 was
  inconclusive (22 of 40 rounds faster, interquartile ratio 0.20-4.3). dnnkit.timing now times single-threaded CPU
  work with the process clock, which other processes' load does not inflate: then 40 of 40 rounds faster at batch
  1024 (median ratio 0.84-0.88, 3 repeats), 40 of 40 at batch 1 (0.50-0.54). That timer change came after the
  inconclusive run: it is the amendment FOLDING_TIMER, and the wall clock's decisions are shown as sensitivities.

Pilot run of these tests at seed base 7 (8 seeds): epochs to 0.95: BN median 2.5 vs plain 7 (rates 1e-3 and 3e-3);
Adam lr 0.1: BN 0.88-0.94, plain 0.10 on all 8; N(0, 0.01): BN 0.93-0.97 vs plain 0.10-0.21; sigmoid N(0, 1): BN
0.89-0.93 vs plain 0.46-0.60; eval logits unchanged by companions (<= 2e-6) vs 1.1-2.5 in train mode; folded outputs
within 8.2e-6 of the model's.

Part B (issue 21): designs fixed on pilot base 100 (8 seeds per arm, 12 for the paired bn-position-either) before
evidence base 0; the learning rates of the 20 x 100 nets on 2 pilot seeds of bases 100 and 101.

Shared: BN momentum 0.1 (PyTorch; Keras 0.9) as above. Keras's 0.99 (PyTorch 0.01) lags on digits' 23 steps per
epoch: in the rate pilots the 20 x 100 BN net with it reached best val accuracy 0.936/0.950 (base 100) and
0.958/0.956 (101) in 8 epochs vs 0.964/0.944 and 0.972/0.975 with 0.1, and its first-epoch accuracy was 0.26-0.39
(the moving statistics still near their (0, 1) start): bn-better-final-model, the Keras exercise, shows the
chapter's default costs about a point here; the full profile's longer runs leave it less to lag.
Rates of the 20 x 100 nets (select_lr's rule on 2 pilot seeds, bases 100-101, grid 1e-3, 3e-3, 8 epochs): BN 1e-3
(epochs to val loss < 0.2: 2-5 at 1e-3, 3-5 at 3e-3), plain 3e-3 (never reached; median final val loss 0.36 vs 0.42
at 1e-3; best accuracy tied 0.934 vs 0.933), SELU 1e-3 (best accuracy 0.947/0.953 vs 0.919/0.942 at 3e-3).

bn-output-standardized: the tolerance is the worst-case rounding of a 256-term float32 sum, 256 x 2^-23 x (max|gamma|
+ max|beta|); the largest error seen was 0.019 of it (mean) and 0.0061 (std) over 8 seeds x 3 layers x 2 batches;
eval mode missed beta by 6.4-11.7 (moving statistics at their start): confirmed.
bn-slows-inference: chapter BN model / no BN, median per-round ratio 2.12 at batch 1 (the extra module calls), 1.16
[1.10, 1.20] at batch 1024 (BN's elementwise work): confirmed at both.
bn-position-either: val accuracy after 4 epochs, BN before minus after +0.74 pt [0.48, 1.00] (12 paired seeds):
inconclusive against +-1 pt; the positive control (BN before vs plain, 0.928-0.953) +1.25 pt beyond +-1 pt, p 0.004.
bn-reduces-covariate-shift: moment shift of layer 8's input BN 0.012-0.015 vs plain 0.17-0.25; gradient change
||G - G'||/||G|| BN 1.05-1.61 vs plain 1.66-7.18 (confirmed, p 8e-5 both). Santurkar et al. found BN's internal
covariate shift no smaller in their (absolute-step) measure; with the step scaled to each layer's weight norm (rho
0.01) it is smaller here.
bn-helps-deep-not-shallow: BN's gain in val loss at depth 20: 0.06-0.81 (median 0.11); at depth 2 it hurts: -0.026 to
-0.044 (BN's depth-2 val loss 0.235-0.273 vs plain 0.192-0.229): confirmed, p 8e-5.
bn-slower-epochs: BN/plain seconds per training epoch 1.54 [1.43, 1.60], 12 of 12 rounds: confirmed.
bn-regularizes: on 300 images (30 per class) 30 epochs took 38 s under load; 20 epochs (pilot 2): loss gap BN
0.206-0.246 vs plain 0.203-0.298, HL -0.032 [-0.060, -0.001], p 0.032; val loss 0.223 vs 0.261 (30 epochs: -0.049,
p 0.014). SMALL_SET's dropout 0.2 is bn-reduces-need-for-dropout's rate; bn-regularizes does not use it.
bn-regularization-fades-large-batch: the first design (whole digits split, batch 16 for 6 epochs vs 512 for 60) took
128 s under load and BN barely regularized there (gap reduction at batch 16 -0.010 to 0.044, at 512 0.005-0.058;
inconclusive): the claim's premise (a BN effect to fade) holds on the small set, so it runs there, batch 16 vs the
whole 300-image set as one batch (512 > 300), Adam 1e-3 both (100 full-batch steps fit the set: train accuracy
1.0); reduction at batch 16 0.014-0.077 vs 0.027-0.071 full batch.
bn-reduces-need-for-dropout: 20 epochs: val accuracy BN 0.936-0.950, BN + dropout 0.933-0.961, plain 0.919-0.942,
plain + dropout 0.928-0.947 (30 epochs gave the same picture: +0.38 pt [-0.41, 1.17]). The small set leaves the arms
room to differ (no ceiling).
bn-better-final-model: 8 epochs confirmed (+2.2 pt, p 8e-5); 6 epochs: BN 0.950-0.975 vs plain 0.908-0.950, +2.2 pt
[1.4, 3.3], p 0.0002.
bn-shorter-wall-time: BN reached val loss < 0.2 in 3-6 epochs (4.7-9.4 plain epochs of time at 1.56x per epoch);
plain reached it on 1 of 8 seeds within the cap (8 epochs; 10 in the first pilot, the same): confirmed, p 0.0002.
selu-replaces-bn-deep: 6 epochs (8 gave the same: SELU -1.6 pt [-2.4, -0.8]): best val accuracy SELU 0.933-0.961,
ELU + BN 0.942-0.978, plain 0.911-0.950; epochs to 0.93 SELU 2-6, BN 2-5.
Pilot base 101 after the declarations (all 12 as declared): bn-position-either confirmed (+0.12 pt [-0.27, 0.50]; the
control, BN before minus 1 pt above plain, confirmed p 0.028); bn-regularizes not reproduced (gap -0.023 [-0.050, 0.007]);
bn-regularization-fades-large-batch not reproduced; bn-reduces-need-for-dropout not reproduced (the equivalence
confirmed, the interaction inconclusive); selu-replaces-bn-deep refuted; the others confirmed. Quick cost (process
CPU seconds per test at load ~6 on 2 cores, base 101): 0.1, 2.1, 5.5, 4.5, 10.8, 9.4, 1.2, 5.1, 4.3, 4.9, 8.3, 6.6
(in the order of PART_B_CLAIMS below: 62.5 s together).
"""

from dataclasses import dataclass, replace

from ..evidence.claims import Amendment, Claim, Expect
from ..evidence.knobs import QuickFull, fmt, sci
from ..nn.models import MLPConfig
from ..train.training import FitConfig

SECTION = "batch_norm"
GERON = "Geron, Hands-On ML, ch. 11 (Batch Normalization)"
IOFFE = "Geron ch. 11; Ioffe & Szegedy 2015, Batch Normalization"


# momentum 0.1 (Keras 0.9): averages over ~10 of digits' 23 steps per epoch (see above)
DEEP = MLPConfig(n_inputs=64, n_outputs=10, depth=10, width=100, activation="elu", bn_momentum=0.1)
ADAM = FitConfig(epochs=5, batch_size=64, optimizer="adam", lr=1e-3)


@dataclass(frozen=True)
class Convergence:
    """bn-faster-convergence: the deep net trained to a target, each arm at its own Adam rate of a grid."""

    net: MLPConfig
    fit: QuickFull[FitConfig]  # epochs: the cap on epochs to target, per profile
    lr_grid: tuple[float, ...]
    pilot_seeds: int  # select_lr's seeds per grid rate


@dataclass(frozen=True)
class LargeRate:
    """bn-allows-larger-lr: the deep net at one large Adam rate, picked from a grid on pilots."""

    net: MLPConfig
    fit: FitConfig  # lr: the grid's smallest rate at which the plain net stalled on every pilot seed
    lr_grid: tuple[float, ...]
    stalled: float  # val accuracy below it after the budget = stalled (noted per arm)


@dataclass(frozen=True)
class PoorInit:
    """bn-less-init-sensitive: the deep net at Adam's default rate from two poor initializations."""

    net: MLPConfig
    fit: FitConfig
    tiny_std: float  # ELU with N(0, tiny_std) weights
    sigmoid_std: float  # sigmoid with N(0, sigmoid_std) weights
    stalled: float


@dataclass(frozen=True)
class ChapterModel:
    """The chapter's first BN model (BN on the inputs and after every hidden activation) and its short training,
    shared by bn-eval-uses-moving-stats and bn-folding-same-output-faster."""

    net: MLPConfig
    fit: FitConfig  # 2 epochs: the moving statistics are no longer the initial (0, 1)


@dataclass(frozen=True)
class MovingStats:
    """bn-eval-uses-moving-stats: one example's logits alone and among two sets of batch companions."""

    model: ChapterModel
    companions: int  # the other examples in the example's batch (a batch of 64)
    eval_atol: float  # eval mode: equal within eval_atol + eval_rtol x max |logit|
    eval_rtol: float
    train_min_diff: float  # train mode: the batched logits differ by more than this (max abs)


@dataclass(frozen=True)
class Folding:
    """bn-folding-same-output-faster: the folded model's tolerance and the timing protocol."""

    model: ChapterModel
    rtol: float
    atol: float
    rounds: QuickFull[int]
    # 10 ms blocks: at the 2 ms default one batch-1024 forward is one block, too short to average out BN's ~10% share.
    block_ms: int
    # Smallest speed-up asserted per batch: the claim's 10% at batch 1 (latency); 5% at batch 1024, where BN's
    # elementwise work is a small share of the forward (pilot ratios 0.82-0.90; amendment FOLDING_BATCH_1024).
    min_effect: dict[int, float]


TO_TARGET = FitConfig(epochs=10, batch_size=64, optimizer="adam", target=("val_acc", 0.95), stop_at_target=True)
CONVERGENCE = Convergence(net=DEEP, fit=QuickFull(TO_TARGET, replace(TO_TARGET, epochs=30)),
                          lr_grid=(1e-3, 3e-3, 1e-2), pilot_seeds=2)
LARGE_RATE = LargeRate(net=DEEP, fit=replace(ADAM, lr=0.1), lr_grid=(0.01, 0.03, 0.1), stalled=0.5)
POOR_INIT = PoorInit(net=DEEP, fit=ADAM, tiny_std=0.01, sigmoid_std=1.0, stalled=0.5)
CHAPTER_MODEL = ChapterModel(
    net=MLPConfig(n_inputs=64, n_outputs=10, depth=5, width=100, activation="elu", input_batch_norm=True,
                  batch_norm="after", bn_momentum=0.1),
    fit=replace(ADAM, epochs=2))
MOVING_STATS = MovingStats(model=CHAPTER_MODEL, companions=63, eval_atol=1e-6, eval_rtol=1e-5, train_min_diff=1e-3)
FOLDING = Folding(model=CHAPTER_MODEL, rtol=1e-5, atol=1e-5, rounds=QuickFull(40, 100), block_ms=10,
                  min_effect={1: 0.1, 1024: 0.05})

NET = (f"digits, {DEEP.depth} x {DEEP.width} {DEEP.activation.upper()} He normal, Adam, batch {ADAM.batch_size}, "
       f"BN (momentum {DEEP.bn_momentum}) before each activation vs none")
C, L, P, M, F = CONVERGENCE, LARGE_RATE, POOR_INIT, MOVING_STATS, FOLDING
(B1, E1), (B2, E2) = F.min_effect.items()

BN_SEEDS = Amendment(
    date="2026-12-02",
    what="seeds per arm 8 -> 16 quick (20 -> 30 full); the test's non-strict xfail removed.",
    why="at 8 seeds the verdict flipped with the seed base (issue 15: not reproduced at base 0, p .091; confirmed at "
        "1-3, p .0016/.00047/.00039). Power check on pilot bases 100-104 (20 seeds each, the first n kept): 8 seeds "
        "confirmed on 4 of 5 bases (p .0001-.12), 12 on 5 of 5 (largest p .026), 16 on 5 of 5 (largest p .0036).",
    base=220,
)
FOLDING_TIMER = Amendment(
    date="2026-12-02",
    what="timer: the wall clock -> dnnkit.timing.default_timer, the process CPU clock for single-threaded CPU work "
         "(wall clock elsewhere, e.g. CUDA); the wall clock's decisions are kept as sensitivity sub-decisions.",
    why="the first evidence run (seed base 0, load average ~5 on 2 cores) was inconclusive at batch 1024 with the "
        "wall clock (22 of 40 rounds faster, interquartile ratio 0.20-4.3): other processes' load inflated its blocks. "
        "The change was made after that run without an amendment (issue 15).",
    base=221,
)
FOLDING_BATCH_1024 = Amendment(
    date="2026-12-02",
    what="the batch-1024 timing sub-decision asserts a speed-up of more than 5% (min_effect 0.05, median ratio "
         "below 1/1.05); batch 1 keeps the claim's 10%.",
    why="issue 15 set min_effect 0.1 on every timing claim, but at batch 1024 BN's elementwise work is a small share "
        "of the forward: the design pilots measured ratios 0.82-0.90, and on pilot bases 100-104 the median ratio "
        "was 0.892-0.908 (interquartile up to 0.921), so 'faster by more than 10%' sat on its threshold (not "
        "reproduced on 3 of 5 bases) while 'by more than 5%' held on all.",
    base=225,
)

CLAIMS = (
    Claim(
        id="bn-faster-convergence", section=SECTION, source=IOFFE,
        sentence="A deep network with Batch Normalization converges faster: it reaches a target validation accuracy "
                 "in fewer epochs than the same network without it.",
        kind="time_to_target",
        metric=f"epochs until val accuracy >= {C.fit.quick.target[1]} (+inf if not within {C.fit.quick.epochs} epochs "
               f"quick / {C.fit.full.epochs} full); {NET}; each arm at its own rate from "
               f"({', '.join(map(sci, C.lr_grid))}), chosen on {C.pilot_seeds} pilot seeds",
        direction="less", arms=("BN", "plain"), delta=1.0, seeds={"quick": 16, "full": 30}, amendments=(BN_SEEDS,),
        knobs=CONVERGENCE,
    ),
    Claim(
        id="bn-allows-larger-lr", section=SECTION, source=GERON,
        sentence="Batch Normalization lets you use much larger learning rates: at a rate where the plain network "
                 "diverges or stalls, the network with BN trains.",
        kind="directional",
        metric=f"val accuracy after {L.fit.epochs} epochs (diverged = -inf) at Adam lr {L.fit.lr}, the smallest rate "
               f"of ({', '.join(map(str, L.lr_grid))}) at which the plain net stalled (< {L.stalled}) on every pilot "
               f"seed; {NET}",
        direction="greater", arms=("BN", "plain"), delta=0.1, knobs=LARGE_RATE,
    ),
    Claim(
        id="bn-less-init-sensitive", section=SECTION, source=GERON,
        sentence="Batch Normalization makes networks much less sensitive to the weight initialization: with a poor "
                 "initialization (tiny N(0, 0.01) weights, or sigmoid with N(0, 1) weights) the network with BN "
                 "still trains while the plain one does not.",
        kind="directional",
        metric=f"val accuracy after {P.fit.epochs} epochs, Adam lr {sci(P.fit.lr)} (both arms); two sub-decisions: "
               f"ELU with N(0, {P.tiny_std}) weights and sigmoid with N(0, {P.sigmoid_std:g}) weights, {P.net.depth} x "
               f"{P.net.width} on digits, BN (momentum {P.net.bn_momentum}) before each activation vs none",
        direction="greater", arms=("BN", "plain"), delta=0.1, knobs=POOR_INIT,
    ),
    Claim(
        id="bn-eval-uses-moving-stats", section=SECTION, source=GERON,
        sentence="At test time Batch Normalization uses the moving averages of the mean and standard deviation "
                 "estimated during training, so one example's prediction does not depend on the rest of its batch; "
                 "in training mode it does (the batch's own statistics are used).",
        kind="exact",
        metric=f"per seed: one validation example's logits alone, with {M.companions} random companions, and with "
               f"{M.companions} others; eval mode: all three equal within {fmt(M.eval_atol)} + {fmt(M.eval_rtol)} x max "
               f"|logit|; train mode: the two batched logits differ by more than {sci(M.train_min_diff)} (max abs); "
               f"chapter BN model (input BN + BN {M.model.net.batch_norm} each of {M.model.net.depth} x "
               f"{M.model.net.width} {M.model.net.activation.upper()}), trained {M.model.fit.epochs} epochs",
        direction="holds", arms=("eval mode", "train mode"), knobs=MOVING_STATS,
    ),
    Claim(
        id="bn-folding-same-output-faster", section=SECTION, source=GERON,
        sentence="For low latency, fold the Batch Normalization layers into the previous layers: the folded model "
                 "gives the same outputs and makes faster predictions (BN otherwise adds computations at "
                 "prediction time).",
        kind="timing",
        metric=f"exact sub-decision: fold_batchnorm's eval outputs on the digits validation set equal the model's "
               f"(rtol {fmt(F.rtol)}, atol {fmt(F.atol)}) on every seed; timing: seconds per eval forward, interleaved "
               f"rounds ({F.rounds.quick} quick, {F.rounds.full} full) of >= {F.block_ms} ms blocks, 1 torch thread, "
               f"batch {B1} (faster by > {E1:.0%}) and batch {B2} (by > {E2:.0%}); chapter BN model trained "
               f"{F.model.fit.epochs} epochs; median per-round ratio folded/unfolded",
        direction="faster", arms=("folded", "unfolded"), min_effect=0.1, amendments=(FOLDING_TIMER, FOLDING_BATCH_1024),
        knobs=FOLDING,
    ),
)


# ---------------------------------------------------------------------------------------------- part B (issue 21)

PART_B = "2026-12-07 (issue 21 part B, pilot bases 100-104, before evidence base 0)"
NOTES_002 = "Geron ch. 11 notes (seed 002)"
NG_003 = "Ng's course notes (seed 003)"
EXERCISE_004 = "Geron ch. 11 exercise 8 (seed 004)"
BOOK = "Geron, Hands-On ML, ch. 11 (Batch Normalization); book only"


@dataclass(frozen=True)
class Standardized:
    """bn-output-standardized: the net whose BN layers are read (at init, with gamma and beta drawn per seed), the
    batch size, gamma's range, beta's std, and the control's threshold (eval mode is not standardized by the batch)."""

    net: MLPConfig
    batch: int
    gamma_low: float
    gamma_high: float
    beta_std: float
    control_min: float


@dataclass(frozen=True)
class InferenceCost:
    """bn-slows-inference: the chapter BN model against the same net without BN (same Linear weights), eval
    forward at each batch size, interleaved rounds of >= block_ms blocks."""

    net: MLPConfig
    batches: tuple[int, ...]
    rounds: int
    block_ms: int


@dataclass(frozen=True)
class Placement:
    """bn-position-either: BN before vs after the activation (same init), and the plain net as positive control."""

    net: MLPConfig
    fit: FitConfig


@dataclass(frozen=True)
class SmallSet:
    """bn-regularizes and bn-reduces-need-for-dropout: a net that can overfit a small per-class training subset."""

    net: MLPConfig
    fit: FitConfig  # eval_train: the final training loss and accuracy in eval mode, for the gap
    per_class: int
    dropout: float  # bn-reduces-need-for-dropout's rate (unused by bn-regularizes)


@dataclass(frozen=True)
class BatchSizes:
    """bn-regularization-fades-large-batch: BN's gap reduction at a small and a large batch (each with its epochs)."""

    net: MLPConfig
    small: FitConfig
    per_class: int  # the small training subset both batch sizes train on (the large batch is all of it)
    large: FitConfig


@dataclass(frozen=True)
class CovariateShift:
    """bn-reduces-covariate-shift: the trained net, the watched layer (1-based), the earlier layers' relative
    step rho, and the batch the measures use."""

    net: MLPConfig
    fit: FitConfig
    layer: int
    rho: float
    examples: int


@dataclass(frozen=True)
class DeepPair:
    """bn-better-final-model and selu-replaces-bn-deep: the deep net, the fit, each arm's Adam rate (chosen from
    the grid on pilot seeds of bases 100-101, see the design notes) and, where given, the positive control."""

    net: MLPConfig
    fit: FitConfig
    lr: dict[str, float]
    grid: tuple[float, ...]


@dataclass(frozen=True)
class DepthGain:
    """bn-helps-deep-not-shallow: BN's gain in validation loss at two depths, same width, fit and rate."""

    net: MLPConfig
    deep: int
    shallow: int
    fit: FitConfig


@dataclass(frozen=True)
class EpochSeconds:
    """bn-slower-epochs and bn-shorter-wall-time: the deep net, the fit (its target for the wall time), each arm's
    rate, and the interleaved rounds timing one training epoch per arm."""

    net: MLPConfig
    fit: FitConfig
    lr: dict[str, float]
    rounds: int


_DEEP20 = MLPConfig(n_inputs=64, n_outputs=10, depth=20, width=100, bn_momentum=0.1)
_RATES20 = {"BN": 1e-3, "plain": 3e-3, "SELU": 1e-3}  # chosen on pilot seeds, bases 100-101 (design notes)
STANDARDIZED = Standardized(net=MLPConfig(n_inputs=64, n_outputs=10, depth=3, width=100, batch_norm="before",
                                          bn_momentum=0.1),
                            batch=256, gamma_low=0.5, gamma_high=2.0, beta_std=1.0, control_min=0.01)
INFERENCE = InferenceCost(net=CHAPTER_MODEL.net, batches=(1, 1024), rounds=20, block_ms=10)
PLACEMENT = Placement(net=MLPConfig(n_inputs=64, n_outputs=10, depth=10, width=100, bn_momentum=0.1),
                      fit=FitConfig(epochs=4, batch_size=64))
SMALL_SET = SmallSet(net=MLPConfig(n_inputs=64, n_outputs=10, depth=3, width=256, activation="relu", bn_momentum=0.1),
                     fit=FitConfig(epochs=20, batch_size=16, eval_train=True), per_class=30, dropout=0.2)
BATCH_SIZES = BatchSizes(net=SMALL_SET.net, small=SMALL_SET.fit, per_class=SMALL_SET.per_class,
                         large=FitConfig(epochs=100, batch_size=300, eval_train=True))
COVARIATE = CovariateShift(net=PLACEMENT.net, fit=FitConfig(epochs=2, batch_size=64), layer=8, rho=0.01,
                           examples=256)
FINAL_MODEL = DeepPair(net=_DEEP20, fit=FitConfig(epochs=6, batch_size=64),
                       lr={"BN": _RATES20["BN"], "plain": _RATES20["plain"]}, grid=(1e-3, 3e-3))
SELU_FOR_BN = DeepPair(net=_DEEP20, fit=FitConfig(epochs=6, batch_size=64, target=("val_acc", 0.93)),
                       lr=_RATES20, grid=(1e-3, 3e-3))
DEPTH_GAIN = DepthGain(net=MLPConfig(n_inputs=64, n_outputs=10, width=100, bn_momentum=0.1), deep=20, shallow=2,
                       fit=FitConfig(epochs=4, batch_size=64))
EPOCH_SECONDS = EpochSeconds(net=_DEEP20, fit=FitConfig(batch_size=64), lr={"BN": _RATES20["BN"], "plain": _RATES20["plain"]},
                             rounds=12)
WALL_TIME = EpochSeconds(net=_DEEP20, fit=FitConfig(epochs=8, batch_size=64, target=("val_loss", 0.2),
                                                    stop_at_target=True),
                         lr={"BN": _RATES20["BN"], "plain": _RATES20["plain"]}, rounds=12)
_ST, _IN, _PL, _SS, _BS, _CV = STANDARDIZED, INFERENCE, PLACEMENT, SMALL_SET, BATCH_SIZES, COVARIATE
_FM, _SB, _DG, _ES, _WT = FINAL_MODEL, SELU_FOR_BN, DEPTH_GAIN, EPOCH_SECONDS, WALL_TIME
_NET20 = (f"digits, {_DEEP20.depth} x {_DEEP20.width} ELU He normal, Adam, batch 64, BN (momentum "
          f"{_DEEP20.bn_momentum}) before each activation")


def _rates(lr: dict[str, float]) -> str:
    return ", ".join(f"{arm} {sci(rate)}" for arm, rate in lr.items())


PART_B_CLAIMS = (
    Claim(
        id="bn-output-standardized", section=SECTION, source=NOTES_002,
        sentence="[BN] calculates mean and stdev for each batch ... Output = gamma times rescaled inputs + shift.",
        kind="exact",
        metric=f"per seed, every BN layer of a {_ST.net.depth} x {_ST.net.width} ELU net (BN {_ST.net.batch_norm} "
               f"each activation, momentum {_ST.net.bn_momentum}) at init with gamma ~ U({_ST.gamma_low}, "
               f"{_ST.gamma_high}) and beta ~ N(0, {_ST.beta_std:g}^2), two disjoint batches of {_ST.batch} digits "
               "training examples in train mode: the per-feature batch mean of the output equals beta and its biased "
               "std equals |gamma| sigma/sqrt(sigma^2 + eps) (sigma: the batch's biased std of the input), both within "
               f"the float32 rounding of a {_ST.batch}-term sum (batch x eps(float32) x (max|gamma| + max|beta|)); "
               "the std equals |gamma| itself within that plus eps's own shrinkage |gamma|(1 - sigma/sqrt(sigma^2 + "
               f"eps)); control: in eval mode (moving statistics) the output mean misses beta by more than "
               f"{_ST.control_min} on every seed",
        direction="holds", arms=("train-mode BN output", "B"), knobs=STANDARDIZED,
    ),
    Claim(
        id="bn-slows-inference", section=SECTION, source=NOTES_002,
        sentence="[BN has] slower predictions due to extra computations.",
        kind="timing",
        metric=f"seconds per eval forward, interleaved rounds ({_IN.rounds}) of >= {_IN.block_ms} ms blocks, 1 torch "
               f"thread: the chapter BN model (input BN + BN {_IN.net.batch_norm} each of {_IN.net.depth} x "
               f"{_IN.net.width} ELU) vs the same net without BN (same Linear weights); median per-round ratio, "
               f"slower by more than 5%, one sub-decision per batch ({', '.join(map(str, _IN.batches))})",
        direction="slower", arms=("with BN", "without BN"), min_effect=0.05, knobs=INFERENCE,
    ),
    Claim(
        id="bn-position-either", section=SECTION, source=NOTES_002 + " (+ seed 003: 'Mostly, do [z]')",
        sentence="Zero-center and normalize [the] input before or after [the] activation.",
        kind="equivalence", design="paired",
        metric=f"final validation accuracy after {_PL.fit.epochs} epochs, digits, {_PL.net.depth} x {_PL.net.width} "
               f"ELU He normal, Adam lr {sci(_PL.fit.lr)}, batch {_PL.fit.batch_size}, BN (momentum "
               f"{_PL.net.bn_momentum}) before vs after each activation, same init and data order (paired); TOST "
               "within +-delta; positive control: the plain net (no BN) at the same seeds, BN before vs plain "
               "outside +-delta (directional, paired)",
        direction="equivalent", arms=("BN before", "BN after"), delta=0.01, seeds={"quick": 12, "full": 30},
        expect=Expect.not_refuted(
            why="BN before the activation was ahead of BN after by +0.74 pt [0.48, 1.00] on pilot base 100 (12 paired "
                "seeds, 4 epochs): inside the 1 pt margin but the CI touches it (inconclusive); the positive control "
                "(BN before vs the plain net) lay 1.25 pt apart, beyond the margin (p 0.004).",
            declared=PART_B),
        knobs=PLACEMENT,
    ),
    Claim(
        id="bn-regularizes", section=SECTION, source=NG_003 + " (+ seed 002: 'batch normalization pretty good too')",
        sentence="BN also has a slight regularization effect.",
        kind="directional",
        metric=f"generalization gap in loss (final validation cross-entropy minus training cross-entropy, eval mode) "
               f"after {_SS.fit.epochs} epochs on {_SS.per_class} digits training images per class (300), "
               f"{_SS.net.depth} x {_SS.net.width} ReLU He normal, Adam lr {sci(_SS.fit.lr)}, batch "
               f"{_SS.fit.batch_size}, BN (momentum {_SS.net.bn_momentum}) before each activation vs none (same "
               "init); sub-decision: final validation cross-entropy lower with BN; the accuracy gap is noted",
        direction="less", arms=("BN", "plain"), delta=0.02, expect=Expect.not_refuted(
            why="a slight effect, as the sentence says: BN narrowed the loss gap by 0.032 [0.001, 0.060] at 20 epochs "
                "(p 0.032) and by 0.049 at 30 epochs (p 0.014) on pilot base 100, 8 seeds: too close to alpha to "
                "hold on every base.",
            declared=PART_B),
        knobs=SMALL_SET,
    ),
    Claim(
        id="bn-regularization-fades-large-batch", section=SECTION, source=NG_003,
        sentence="But, if miniBatch Size is large, say, 512, this effect goes away.",
        kind="directional",
        metric=f"BN's gap reduction per seed (plain's generalization gap in loss minus BN's, same seeds; gap = final "
               f"val minus training cross-entropy in eval mode) at batch {_BS.small.batch_size} ({_BS.small.epochs} "
               f"epochs) vs at batch {_BS.large.batch_size}, the whole training set ({_BS.large.epochs} epochs of one "
               f"full-batch step: the large-batch limit, with no batch-to-batch noise; 512 exceeds the set), on "
               f"{_BS.per_class} digits training images per class, "
               f"{_BS.net.depth} x {_BS.net.width} ReLU, Adam lr {sci(_BS.small.lr)}, BN momentum "
               f"{_BS.net.bn_momentum}: larger at the small batch",
        direction="greater", arms=(f"batch {_BS.small.batch_size}", f"batch {_BS.large.batch_size}"), delta=0.02,
        expect=Expect(
            ("not reproduced", "refuted"),
            why="BN narrows the gap as much with the whole set as one batch as at batch 16: median reduction 0.041 "
                "vs 0.038, shift -0.003 [-0.013, 0.011] on pilot base 100 (absent); at Adam 3e-3 the full-batch "
                "reduction was larger still (0.08-0.22). Here BN's effect does not come from batch noise.",
            declared=PART_B),
        knobs=BATCH_SIZES,
    ),
    Claim(
        id="bn-reduces-need-for-dropout", section=SECTION, source=BOOK + " (+ seed 002 calls BN a regularizer)",
        sentence="[BN] acts like a regularizer, reducing the need for other regularization techniques (such as "
                 "dropout).",
        kind="equivalence",
        metric=f"final validation accuracy after {_SS.fit.epochs} epochs on {_SS.per_class} digits training images per "
               f"class, {_SS.net.depth} x {_SS.net.width} ReLU He normal, Adam lr {sci(_SS.fit.lr)}, batch "
               f"{_SS.fit.batch_size}, BN (momentum {_SS.net.bn_momentum}) before each activation: BN + dropout "
               f"{_SS.dropout} after each hidden layer vs BN alone, TOST within +-delta; sub-decision (the "
               "interaction): dropout's gain in final validation cross-entropy per seed (same seeds) smaller with BN "
               "than without (directional, band 0.02)",
        direction="equivalent", arms=("BN + dropout", "BN alone"), delta=0.01, expect=Expect(
            ("not reproduced", "refuted"),
            why="on pilot base 100 BN + dropout was within +0.38 pt [-0.24, 1.01] of BN alone (inconclusive, p "
                "0.051), and dropout's gain in val loss was not smaller with BN: median +0.011 with BN vs -0.010 "
                "without (p 0.95 for the claim's direction).",
            declared=PART_B),
        knobs=SMALL_SET,
    ),
    Claim(
        id="bn-reduces-covariate-shift", section=SECTION, source=NG_003 + "; Santurkar et al. 2018",
        sentence="[BN] makes weights, later or deeper than your network, say the weight on layer 10, more robust to "
                 "changes to weights in earlier layers.",
        kind="directional",
        metric=f"after {_CV.fit.epochs} epochs (digits, {_CV.net.depth} x {_CV.net.width} ELU He normal, Adam lr "
               f"{sci(_CV.fit.lr)}, batch {_CV.fit.batch_size}, BN (momentum {_CV.net.bn_momentum}) before each "
               f"activation vs none), on {_CV.examples} training examples in train mode, layers 1-{_CV.layer - 1} "
               f"step by rho = {_CV.rho} of their weight norm along their negative gradient: (1) the shift of layer "
               f"{_CV.layer}'s input moments (per-unit |change of mean| + |change of std|, over the std before, mean "
               f"over units) smaller with BN; (2) Santurkar et al.'s internal covariate shift, the relative change "
               f"||G - G'|| / ||G|| of layer {_CV.layer}'s weight gradient, smaller with BN",
        direction="less", arms=("BN", "plain"), delta=0.01, knobs=COVARIATE,
    ),
    Claim(
        id="bn-better-final-model", section=SECTION, source=EXERCISE_004 + " (+ seed 002: 'Improves NN performance')",
        sentence="Now try adding Batch Normalization ... Does it produce a better model?",
        kind="directional",
        metric=f"best validation accuracy over {_FM.fit.epochs} epochs, {_NET20} vs none, each arm at its Adam rate "
               f"({_rates(_FM.lr)}) chosen from ({', '.join(map(sci, _FM.grid))}) on pilot seeds",
        direction="greater", arms=("BN", "plain"), delta=0.01, knobs=FINAL_MODEL,
    ),
    Claim(
        id="bn-helps-deep-not-shallow", section=SECTION, source=NOTES_002 + " (default DNN configuration)",
        sentence="Normalization: None if shallow; batch norm if deep.",
        kind="directional",
        metric=f"BN's gain per seed (plain's final validation cross-entropy minus BN's, same seeds) after "
               f"{_DG.fit.epochs} epochs, digits, {_DG.net.width}-unit ELU layers He normal, Adam lr "
               f"{sci(_DG.fit.lr)}, batch {_DG.fit.batch_size}, BN momentum {_DG.net.bn_momentum} before each "
               f"activation: at depth {_DG.deep} larger than at depth {_DG.shallow}",
        direction="greater", arms=(f"gain at depth {_DG.deep}", f"gain at depth {_DG.shallow}"), delta=0.02,
        knobs=DEPTH_GAIN,
    ),
    Claim(
        id="bn-slower-epochs", section=SECTION, source=BOOK + " (+ seed 004: 'How does it affect training speed?')",
        sentence="Each epoch takes much more time when you use batch normalization.",
        kind="timing",
        metric=f"seconds per training epoch (digits training split, batch {_ES.fit.batch_size}, Adam at each arm's "
               f"rate: {_rates(_ES.lr)}; evaluation excluded), {_NET20} vs none, {_ES.rounds} interleaved rounds, 1 "
               "torch thread; median per-round ratio BN/plain above 1.1",
        direction="slower", arms=("BN", "plain"), min_effect=0.1, knobs=EPOCH_SECONDS,
    ),
    Claim(
        id="bn-shorter-wall-time", section=SECTION, source=BOOK,
        sentence="All in all, wall time will usually be shorter (with batch normalization).",
        kind="time_to_target",
        metric=f"training time until val loss < {_WT.fit.target[1]} (at most {_WT.fit.epochs} epochs, +inf if "
               f"never), in epochs of the plain net: each seed's epochs to the target times the median per-round ratio "
               f"of the arm's seconds per training epoch over plain's ({_WT.rounds} interleaved rounds, 1 torch "
               f"thread); {_NET20} vs none, Adam at each arm's rate ({_rates(_WT.lr)}); sensitivity: epochs alone",
        direction="less", arms=("BN", "plain"), delta=1.0, knobs=WALL_TIME,
    ),
    Claim(
        id="selu-replaces-bn-deep", section=SECTION, source=EXERCISE_004,
        sentence="Try replacing Batch Normalization with SELU, and make the necessary adjustments to ensure the "
                 "network self-normalizes.",
        kind="equivalence",
        metric=f"best validation accuracy over {_SB.fit.epochs} epochs, digits (standardized), {_DEEP20.depth} x "
               f"{_DEEP20.width} dense: SELU with LeCun normal vs ELU He normal with BN (momentum "
               f"{_DEEP20.bn_momentum}) before each activation, Adam batch {_SB.fit.batch_size} at each arm's rate "
               f"({_rates(_SB.lr)}, chosen from ({', '.join(map(sci, _SB.grid))}) on pilot seeds); TOST within "
               f"+-delta; positive control: BN above the plain ELU net by more than delta (directional); "
               f"sub-decision: epochs to val accuracy {_SB.fit.target[1]} (+inf if never), SELU fewer than BN "
               "(time to target, band +-1 epoch)",
        direction="equivalent", arms=("SELU", "ELU + BN"), delta=0.01, expect=Expect(
            ("refuted", "not reproduced"),
            why="on pilot base 100 SELU's best val accuracy was 1.4 pt below ELU + BN [-2.4, -0.5] (inconclusive "
                "against +-1 pt) and it needed more epochs to 0.93 (median 3.5 vs 2.5: refuted); the positive "
                "control (BN 2.1 pt above the plain net, p 0.003) shows the margin can be missed.",
            declared=PART_B),
        knobs=SELU_FOR_BN,
    ),
)
CLAIMS = (*CLAIMS, *PART_B_CLAIMS)
