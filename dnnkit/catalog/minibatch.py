"""Claims of Ng's notes on mini-batch gradient descent and hyperparameters (seed 003): batch size 1 against the
full batch, where mini-batches win in seconds, small data sets, and the gradient of softmax cross-entropy.

Design notes (declared before the evidence runs; pilots on seed bases 100-104):
- The batch-size claims train softmax (multinomial logistic) regression on digits (standardized), a convex problem
  with a finite minimum (L2 1e-3 on the weights): dnnkit.train.batch_sweep trains one member per seed together, at
  the granularity of single steps, which the epoch-level fit loop cannot give at batch size 1. Weights start at
  N(0, 0.01^2) from each seed's init stream; each seed has its own data order. The objective (mean cross-entropy on
  the whole training set + L2) is recorded every few steps (not timed).
- Seconds to a target = steps to the target (every evidence seed) x the seconds of one training step of a single
  model at that batch size, timed interleaved (claim.time, 12 rounds; seed i takes round i's time, so the timing
  noise reaches the evidence). Each batch size takes its own rate from its grid on 3 pilot seeds (fewest median
  steps to the target, then the lowest median final objective). The sweep is batched over seeds, so its own wall
  time is not any run's time: hence steps x timed step.
- Pilots, first design (bases 100 and 101; evidence seeds of the pilot base): sgd-batch1-noisy as declared: wander
  0.003-0.022 at batch 1 against 0.0004 on every seed of the full batch. minibatch-fastest-wallclock with target 0.1:
  batch 1 reached it at no rate of (0.003, 0.01, 0.03, 0.1) within 3000 steps (its noise floor at a constant rate lies
  above 0.1: the claim of sgd-batch1-noisy), so "faster than batch 1" was decided by censoring alone; the target is
  0.15, which batch 1 reaches. Full batch took the grid's top rate (10), so the grid goes to 30. One step: batch 1
  35-65 us, batch 32 53-90 us, full batch (1,437) 506-708 us (the machine was loaded).
  small-data-full-batch-ok (target 0.1): full batch + momentum took rate 0.3 and 74-80 pilot steps; batch 128 (rate 3)
  54-58 steps at 81-107 us a step against 517-534 us: log seconds -3.3 to -2.9 against -5.3 to -4.5 (+ ln 1.25),
  refuted on both bases. Batch 8 (pilot seconds 4-5x batch 128's) was dropped from the candidates to save time.
- Pilots, declared design (base 102): minibatch-fastest-wallclock at target 0.15: rates batch 1 0.03, batch 32 1,
  full batch 10 (30 diverges); steps 1370-1850, 46-56 and 10; 2.0-4.4 ms for batch 32 against 45-85 ms (batch 1)
  and 5.0-6.4 ms (full batch): confirmed. small-data-full-batch-ok: full batch + momentum 78-80 steps at 637 us
  against batch 128's 52-66 at 126 us: log seconds -3.0 to -2.7 against -4.9 to -4.4 (+ ln 1.25): refuted.
- softmax-ce-gradient: the worst difference was 0.125 of the tolerance (4 x eps / 64) in float32 and in float64 on
  every seed of bases 100 and 101.
- lr-most-important-hparam: the chapter's search (40 configurations x 5 epochs) is run only in the full profile. The
  quick profile runs 32 configurations x 2 epochs on the first 500 training examples (about 6 CPU-seconds for 8
  searches); the first quick design, 16 configurations x 3 epochs, gave inconclusive (base 100, p 0.09: with 16
  configurations in 4 bins a hyperparameter that does nothing still explains ~3/15 = 0.2 of the variance by chance,
  and the largest of five such shares is larger). At 32 configurations (base 101): lr's R^2 0.33-0.89 against the
  largest other's 0.08-0.28, on all 8 searches (p 0.004).
"""

from dataclasses import dataclass

from ..evidence.claims import Claim, Expect
from ..evidence.knobs import QuickFull, fmt
from ..nn.models import MLPConfig
from ..train.batch_sweep import SweepConfig
from ..train.hparam_importance import HyperparameterSpace
from ..train.training import FitConfig

SECTION = "minibatch"
NG = "Ng, Improving Deep Neural Networks, week 2 notes: mini-batch gradient descent (seed 003)"
NG_HP = "Ng, Improving Deep Neural Networks, week 3 notes: hyperparameter tuning (seed 003)"
NG_SOFTMAX = "Ng, Improving Deep Neural Networks, week 3 notes: softmax regression (seed 003)"
PART_B = "2026-12-07, before the evidence run (worktree wt-B of 87ef806)"


@dataclass(frozen=True)
class BatchOneNoisy:
    """sgd-batch1-noisy: batch 1 and the full batch at one constant rate, the wander measure and its margin."""

    l2: float
    lr: float
    steps: int
    record_every: int
    window: float  # the last fraction of the steps over which the wander is measured
    delta: float


@dataclass(frozen=True)
class SecondsToTarget:
    """minibatch-fastest-wallclock and small-data-full-batch-ok: the arms (batch size, step budget, recording), each
    one's rate grid, the target objective, the pilots and the timing rounds."""

    arms: dict[str, SweepConfig]  # lr: the grid's first rate, replaced by the pilots' choice
    grids: dict[str, tuple[float, ...]]
    target: float
    pilot_seeds: int
    rounds: int
    margin: float  # small-data-full-batch-ok: "no slower than margin x the best mini-batch"; ms for the other


@dataclass(frozen=True)
class SoftmaxGradient:
    """softmax-ce-gradient: the logits drawn per seed (batch, classes, scale), the dtypes and their ulps budget."""

    batch: int
    classes: int
    scale: float
    dtypes: tuple[str, ...]
    ulps: int


BATCH_ONE = BatchOneNoisy(l2=1e-3, lr=0.05, steps=300, record_every=2, window=0.2, delta=1e-3)
SECONDS = SecondsToTarget(
    arms={"batch 1": SweepConfig(1, 0.01, 2000, l2=1e-3, record_every=10),
          "batch 32": SweepConfig(32, 0.3, 300, l2=1e-3, record_every=2),
          "full batch": SweepConfig(None, 1.0, 100, l2=1e-3, record_every=2)},
    grids={"batch 1": (0.01, 0.03, 0.1), "batch 32": (0.3, 1.0, 3.0), "full batch": (1.0, 3.0, 10.0, 30.0)},
    target=0.15, pilot_seeds=3, rounds=12, margin=0.5,
)
FULL_BATCH = SecondsToTarget(
    arms={"full batch + momentum": SweepConfig(None, 0.03, 120, momentum=0.9, l2=1e-3, record_every=2),
          "batch 32": SweepConfig(32, 0.1, 400, l2=1e-3, record_every=2),
          "batch 128": SweepConfig(128, 0.3, 200, l2=1e-3, record_every=2)},
    grids={"full batch + momentum": (0.03, 0.1, 0.3, 1.0),
           "batch 32": (0.1, 0.3, 1.0, 3.0), "batch 128": (0.3, 1.0, 3.0, 10.0)},
    target=0.1, pilot_seeds=3, rounds=12, margin=1.25,
)
@dataclass(frozen=True)
class LrImportance:
    """lr-most-important-hparam: the search space, the search's size per profile (the chapter's 40 configurations
    of 5 epochs on all of digits in full; a declared smaller search in quick), the bins and the margin."""

    space: HyperparameterSpace
    net: MLPConfig  # depth and width come from each configuration
    fit: FitConfig  # rate, momentum, decay, batch size and epochs come from each configuration and the profile
    configs: QuickFull[int]
    epochs: QuickFull[int]
    train_n: QuickFull[int]
    bins: int
    delta: float


LR_IMPORTANCE = LrImportance(
    space=HyperparameterSpace(log10_lr=(-4.0, 0.0), momentum=(0.0, 0.99), depths=(1, 2, 3), widths=(16, 32, 64),
                      log10_decay_epochs=(0.0, 2.0), batch_sizes=(32, 64, 128)),
    net=MLPConfig(n_inputs=64, n_outputs=10, activation="elu"), fit=FitConfig(optimizer="momentum"),
    configs=QuickFull(32, 40), epochs=QuickFull(2, 5), train_n=QuickFull(500, 1437), bins=4, delta=0.05,
)
SOFTMAX_GRADIENT = SoftmaxGradient(batch=64, classes=10, scale=5.0, dtypes=("float32", "float64"), ulps=4)


def _arms(k: SecondsToTarget) -> str:
    return "; ".join(f"{arm}: {c.steps} steps, recorded every {c.record_every}, rates {', '.join(map(fmt, k.grids[arm]))}"
                     f"{f', momentum {c.momentum:g}' if c.momentum else ''}" for arm, c in k.arms.items())


SWEEP = (f"softmax regression on digits (L2 {fmt(SECONDS.arms['batch 32'].l2)}, init N(0, "
         f"{SECONDS.arms['batch 32'].init_std:g}^2)), plain SGD")

CLAIMS = (
    Claim(
        id="sgd-batch1-noisy", section=SECTION, source=NG,
        sentence="Stochastic gradient descent won't ever converge, it'll always just kind of oscillate and wander "
                 "around the region of the minimum.",
        kind="directional",
        metric=f"{SWEEP.replace('plain SGD', 'constant rate')} {BATCH_ONE.lr:g}, L2 {fmt(BATCH_ONE.l2)}, "
               f"{BATCH_ONE.steps} steps, objective recorded every {BATCH_ONE.record_every} steps: the standard "
               f"deviation of the training objective around its least-squares line over the last "
               f"{BATCH_ONE.window:.0%} of the steps (a curve that keeps going down reads ~0), batch 1 above the full "
               f"batch (directional, delta {fmt(BATCH_ONE.delta)})",
        direction="greater", arms=("batch 1", "full batch"), delta=BATCH_ONE.delta, knobs=BATCH_ONE,
    ),
    Claim(
        id="minibatch-fastest-wallclock", section=SECTION, source=NG,
        sentence="In practice, batch size is between [1, m]: get a lot vectorization, faster learning.",
        kind="time_to_target",
        metric=f"milliseconds to a training objective <= {SECONDS.target:g} ({SWEEP}): steps to it on each seed x "
               f"one step's time at that batch size, timed interleaved ({SECONDS.rounds} rounds); each batch size "
               f"at its own rate chosen on {SECONDS.pilot_seeds} pilot seeds ({_arms(SECONDS)}); batch 32 below "
               f"batch 1 and below the full batch (two sub-decisions, delta {SECONDS.margin:g} ms)",
        direction="less", arms=("batch 32", "batch 1 / full batch"), delta=SECONDS.margin, knobs=SECONDS,
    ),
    Claim(
        id="small-data-full-batch-ok", section=SECTION, source=NG,
        sentence="If small data set: just use batch gradient descent.",
        kind="paired",
        metric=f"log seconds to a training objective <= {FULL_BATCH.target:g} ({SWEEP}, 1,437 training examples: "
               f"a small set), as in minibatch-fastest-wallclock ({FULL_BATCH.rounds} timing rounds): full-batch "
               f"gradient descent with momentum against the best mini-batch size (the lowest median pilot seconds "
               f"on {FULL_BATCH.pilot_seeds} pilot seeds), each at its own rate ({_arms(FULL_BATCH)}); "
               f"non-inferiority: full batch no slower than {FULL_BATCH.margin:g} x the best (log full < log best + "
               f"ln {FULL_BATCH.margin:g}, paired by seed)",
        direction="less", arms=("full batch + momentum", f"best mini-batch x {FULL_BATCH.margin:g}"), delta=0.0,
        design="paired", knobs=FULL_BATCH,
        expect=Expect(("refuted",), why=(
            "pilot bases 100 and 101: full-batch GD with momentum needed about as many steps as batch 128 (74-80 "
            "against 54-58) while one full-batch step cost 5-6x as much on one CPU thread (517-534 us against 81-107 "
            "us), so it was 6-9x slower, far beyond 1.25x, on every seed: at 1,437 examples a mini-batch still wins"),
            declared=PART_B),
    ),
    Claim(
        id="lr-most-important-hparam", section=SECTION, source=NG_HP,
        sentence="What are the parameters more important in DL and have to be tuned? - learning rate - momentum rate "
                 "- mini-batch size - number of hidden units - number of layers - learning rate decay (the list is "
                 "headed by the learning rate).",
        kind="paired",
        metric=(lambda k, sp: (
            f"per seed, one random search of digits MLPs (ELU/He, SGD with momentum; quick profile: "
            f"{k.configs.quick} configurations of {k.epochs.quick} epochs on the first {k.train_n.quick} training "
            f"examples, a declared smaller search; full profile: the chapter's {k.configs.full} configurations of "
            f"{k.epochs.full} epochs on all {k.train_n.full}), each configuration drawn with log10 lr uniform in "
            f"[{sp.log10_lr[0]:g}, {sp.log10_lr[1]:g}], momentum uniform in [{sp.momentum[0]:g}, {sp.momentum[1]:g}], "
            f"depth in {sp.depths}, width in {sp.widths}, batch size in {sp.batch_sizes}, and an exponential decay "
            f"(10x every s epochs) with log10 s uniform in [{sp.log10_decay_epochs[0]:g}, {sp.log10_decay_epochs[1]:g}]"
            f": the one-way R^2 of the ranked final validation loss across {k.bins} quantile bins of each "
            f"hyperparameter; the learning rate's R^2 above the largest other one (paired, delta {k.delta:g})"))(
            LR_IMPORTANCE, LR_IMPORTANCE.space),
        direction="greater", arms=("learning rate", "largest other hyperparameter"), delta=LR_IMPORTANCE.delta,
        design="paired", knobs=LR_IMPORTANCE,
    ),
    Claim(
        id="softmax-ce-gradient", section=SECTION, source=NG_SOFTMAX,
        sentence="For the backprop in DL with softmax, the gradient of the cost with respect to the logits is "
                 "dZ = Y_hat - Y (per example; the mean cost divides it by the batch).",
        kind="exact",
        metric=f"per seed, logits N(0, {SOFTMAX_GRADIENT.scale:g}^2) of a batch of {SOFTMAX_GRADIENT.batch} x "
               f"{SOFTMAX_GRADIENT.classes} classes with random labels: max |autograd gradient of PyTorch's mean "
               f"cross-entropy - (softmax - onehot) / batch| <= {SOFTMAX_GRADIENT.ulps} x eps(dtype) / batch, in "
               f"{' and '.join(SOFTMAX_GRADIENT.dtypes)} (both gradients' entries lie in [-1/batch, 1/batch])",
        direction="holds", arms=("autograd", "Y_hat - Y"), knobs=SOFTMAX_GRADIENT,
    ),
)
