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
"""

from dataclasses import dataclass, replace

from ..evidence.claims import Amendment, Claim
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
