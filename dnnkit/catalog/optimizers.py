"""Claims of the section "Faster Optimizers": momentum and Nesterov on an ill-conditioned quadratic bowl (and, for
momentum near 1, also on an MLP); AdaGrad, RMSProp, Adam, Nadam and AdamW on small MLPs.

Design shared by the bowl claims (declared before the evidence run): dnnkit.quadratic.Bowl(kappa=100, dim=2), i.e.
f(x) = 1/2 (x_0^2 + 100 x_1^2); starting points uniform on the unit circle, one per seed, drawn from
claim.seeds()[i].generator("init") and shared by the arms (common random numbers); 3000 steps; "steps to
tolerance" = steps until f stays <= 1e-6 f(x0) (+inf if not within the budget). Each arm takes its own rate
from the grid lr = c / lambda_max, c in (0.1, 0.2, 0.5, 1, 1.5, 2, 3), chosen on 4 pilot starting points
(claim.pilot_seeds) by median steps, then median final f. The deterministic quadratic makes runs microseconds,
so 12 seeds per arm in quick.

Known limit, seen on pilot runs and left out of the evidence: on a kappa=1000 bowl, momentum at c=2 beat Nesterov
at c=1 (about 138 vs 194 steps), because Nesterov's stability limit (lr * lambda_max < 1.36) falls between grid
points 1 and 1.5 while momentum's (3.8) does not. "No more steps" is therefore checked on kappa 100 and 10 only;
with this grid it would not hold at kappa 1000 — a grid artifact, but a real caveat to the claim's "generally".
Since issue 15 both set-aside setups are sensitivity sub-decisions (shown, not gating): the kappa-1000 bowl (each arm
at its grid rate from the same pilots) and the digits MLP of momentum-near-one-oscillates, Nesterov and momentum both
at beta 0.9 and momentum's grid rate 0.1, epochs to val acc 0.9 (time to target, less, delta 1 epoch).

The MLP claims below train with dnnkit's fit loop. Every arm takes its own rate from a declared grid, chosen on pilot
seeds (seed base 7, role "pilot", the claim's own id, reps 0-3) by the claim's own metric (median over the pilots);
the chosen rates are the claims' knobs below. Pilot numbers:

- momentum-near-one-oscillates, MLP amendment: digits (standardized), 64-2x32-10 ELU/He, batch 64, 12 epochs, SGD
  with momentum. Grids: beta 0.9 {1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3}, beta 0.99999 {1e-5, 3e-5, 1e-4, 3e-4, 1e-3,
  0.01, 0.1}; best = fewest median epochs to val acc 0.9, then final val loss. Median epochs (20-epoch pilots):
  beta 0.9: inf, 9.5, 3.5, 2, 1, inf (0.3 stays at chance); beta 0.99999: inf, inf, inf, 15, 8.5, 3.5, inf. Chosen: 0.9 at
  0.1, 0.99999 at 0.01 (it reaches 0.9, then the training loss climbs back to ~8: the overshoot). On 8 pilot seeds
  at 12 epochs: epochs to 0.9 = 1 (one seed 2) vs 3-4; sign changes of the successive differences of the per-epoch
  training loss 0 (one seed 2) vs 1-3.
- adagrad-stops-early: the first 512 digits training examples (so that the end of training, where gradients are
  small and the claim's mechanism acts, falls inside a quick budget), 64-6x32-10 ELU/He, batch 128, 30 epochs = 120
  steps. Grids: AdaGrad {0.01, 0.03, 0.1, 0.3}; RMSProp (rho 0.9) and Adam {3e-4, 1e-3, 3e-3, 0.01, 0.03}; best =
  lowest median log10 final training loss. AdaGrad -1.77, -2.60, -2.61, -0.18 -> 0.1; RMSProp -0.24, -1.82, -3.92,
  -4.24, -0.78 -> 0.01; Adam -0.10, -1.03, -2.42, -3.82, -1.06 -> 0.01. Pilot gaps (AdaGrad minus the other, in
  decades) +1.5 to +2.0 vs RMSProp and +1.2 to +1.6 vs Adam on all 4 seeds. Effective step (median over weights of
  lr / (sqrt(s) + eps); s = AdaGrad's sum of squared gradients, RMSProp's moving average of them; eps torch's own,
  1e-10 for AdaGrad, 1e-8 for RMSProp) from the end of epoch 1 to the last step: AdaGrad -0.12 to -0.22 decades,
  RMSProp +1.7 to +2.3.
  Caveat seen on pilots: on the full digits training set (batch 128) AdaGrad was ahead at 10 epochs, mixed at 30-40
  and behind on every seed only from ~50 epochs (600 steps); on MNIST-1D (2000 examples, 8x64, batch 64, 20 epochs)
  AdaGrad's final loss (0.09) was lower than RMSProp's (0.25) and Adam's (0.18). The claim is about the long run; the
  evidence is taken where the run gets there. Since issue 15 the full digits training set (same net, batch, 30 epochs
  and rates) is a sensitivity sub-decision pair (AdaGrad above RMSProp, above Adam): shown, not gating. MNIST-1D is
  not run: its 20-epoch, 8x64 setup would cost more than the claim itself (its pilot numbers are above).
- adaptive-beats-sgd-ill-conditioned: make_blobs_classification(1000 samples, 10 features, 4 classes, seed 0 on the
  pilots (the evidence draws it with the seed base since issue 15),
  class_sep 2, scale_spread 3) multiplied by 10^-1.5, so feature scales span 1e-3 to 1 (std 0.003 to 2.5),
  unstandardized; 10-32-4 ELU/He, batch 64, at most 30 epochs; target: epoch-mean training loss <= 0.15. Grids: SGD
  {0.01, 0.03, 0.1, 0.3, 1, 3, 10}; RMSProp, Adam, Nadam {1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3}; best = fewest median
  epochs to target, then lowest final training loss. SGD reached the target at no rate within 30 epochs (1.0 ended at
  0.15-0.17, one seed at epoch 28; 3 and 10 diverge) -> 1.0; RMSProp 0.03 (8-9 epochs), Adam 0.1 (5), Nadam 0.1 (5-6).
  Since issue 15 the blobs follow the seed base and the target is 0.35 (amendment BLOBS_TARGET, pilot numbers there);
  the rates are unchanged.
  Without the rescaling (scales 0.03 to 30) the largest features gave every arm an initial loss near 20 and noisy
  curves (class_sep 2, 30 epochs: SGD at 0.03 ended at 0.135, the adaptive arms at their best rates at 0.04-0.10):
  that setup measured the huge inputs as much as the conditioning.
- adamw-decouples-weight-decay: digits, 64-2x32-10 ELU/He, batch 64, 10 epochs, lr 1e-3. The gradient scale is set by
  multiplying the gradient of the data loss by c in {1, 100} (a backward-only scaling of the logits: the same update
  as training on c x cross-entropy, while Adam+L2's penalty term is not scaled). Decay strengths chosen on 3 pilot
  seeds so that both shrink the weights alike at c = 1: parameter norm without decay 12.8; Adam+L2 (torch Adam's
  weight_decay, i.e. the gradient of lambda/2 ||w||^2 added to the loss's) lambda 0.001, 0.01, 0.1 -> 12.6, 11.5,
  7.5; AdamW lambda 0.3, 1, 3 -> 12.1, 10.6, 7.45. Chosen: Adam+L2 0.1, AdamW 3. Pilot log(norm at c=100 / norm at
  c=1): Adam+L2 +0.51, +0.52, +0.51; AdamW 0.0000 on all 3 (and so was Adam without decay: Adam is invariant to
  the gradient's scale up to eps).

Part B (coverage issue 21; declared after pilots on seed bases 100 and 101, before any evidence run). Every arm takes
its own rate from its declared grid on pilot seeds (dnnkit.train.own_rates.own_fit_rates: fewest median epochs to
the fit's target if it has one, then the lowest median final validation loss). Pilot numbers:
- momentum-terminal-velocity: float64, lr 0.01, beta 0.9, 16 coordinates, 200 steps. The worst relative step error
  against the closed form was 1.3e-14 to 1.8e-14 (tolerance 4 x eps x 200 = 1.8e-13); the last step lay 7.06e-10 from
  the terminal velocity, which is beta^200 = 7.06e-10 exactly as the closed form says.
- momentum-0.9-good-default: digits 64-2x32-10, batch 128, 10 epochs (the suggested 3 x 100 net cost too much with a
  5 x 5 pilot grid; batch 128 halves the steps). Rates: beta 0.5 -> 0.3, 0.8 -> 0.1, 0.9 -> 0.1, 0.95 -> 0.03,
  0.99 -> 3e-3 (base 101; the grid first ended at 0.1, where beta 0.5, 0.8 and 0.9 sat at its edge on base 100).
  Best rival by pilot validation loss: beta 0.8 (base 100, batch 64), 0.95 (base 101). Beta 0.9 + 0.5 pt above it
  on 12 seeds: p 0.001 and 0.0005; the control (beta 0.9 at rate / 10) 1.5-3 pt below beta 0.9 (p 0.0002).
- adam-default-betas-ok: same net and budget; 3 x 3 betas at rates (3e-3, 0.01, 0.03), 2 pilot seeds. Every pair chose
  0.01 on base 101; best rival (0.9, 0.99) (base 101) and (0.8, 0.99) (base 100, first grid (1e-3, 3e-3, 0.01)).
  Non-inferior within 0.5 pt: p 0.0002 and 0.012; the control at rate / 10 (Adam at 1e-3) 4-10 pt below.
- rmsprop-beats-adagrad: MNIST-1D (first 2000 training examples), 40-2x64-10 ELU, batch 64, 10 epochs. Rates:
  RMSProp 3e-3, AdaGrad 0.03 on both bases. AdaGrad was AHEAD on every seed of both bases: validation accuracy 0.45-0.49
  against 0.43-0.47 (base 100: 0.447-0.491 vs 0.433-0.467), final training loss 10^0.00-10^0.02 against
  10^0.02-10^0.04. Both nets are still far from fitting (training loss ~1.05): the end of training, where AdaGrad's
  decayed steps stall it (adagrad-stops-early, digits), is not reached within a quick budget here. Declared refuted.
- nadam-beats-adam: same data and net, target val accuracy 0.5; rates (3e-4, 1e-3, 3e-3, 0.01) each; all three took
  0.01 (fewest pilot epochs to the target), although Nadam's pilot validation loss was lowest at 3e-3 (1.42 vs 1.60
  at 0.01): hence the sensitivity at each optimizer's lowest-validation-loss rate. Adam ahead in validation accuracy on
  both bases (median 0.52-0.53 vs 0.50-0.51; p of "Nadam above" 0.99 and 0.9995); epochs to 0.5: Nadam never reached
  it on 5 of 12 seeds (base 101), Adam on every seed. RMSProp above Nadam: inconclusive (p 0.79-0.95). Declared refuted.
- adamw-beats-adam-l2: digits, first 300 training examples, 64-2x64-10 ELU, batch 32, 40 epochs, lr 3e-3. Chosen
  decays: AdamW 1 and 0.1, Adam + L2 0.01 and 1e-3 (bases 100 and 101). Validation accuracy equal within 0.3 pt on
  both bases (absent; p 0.97 and 0.94). Declared not refuted.
- adaptive-less-lr-tuning: digits 64-2x32-10, batch 128, 5 epochs, rates 1e-4 to 3 in x3 steps. Rates within 1 pt of
  each seed's best: Adam 1-3 (median 2), AdaGrad 1-3 (median 2), SGD 1-2 (median 1-1.5); Adam above SGD p 0.16
  (absent, base 100, batch 64) and 0.035 (confirmed, base 101); AdaGrad above SGD p 0.09 on both (absent). The
  adaptive optimizers' plateaus are one x3 step wider at most at this budget. Declared not refuted.
- adaptive-generalize-worse ("can lead to solutions that generalize poorly on some datasets": a claim that such data
  sets exist) is decided on the data set Wilson et al. (2017, sec. 3.3) built for it: 50 training examples, 253
  features, labels +1 with probability 0.6; 500 full-batch steps of the squared loss from zero weights, float64; test
  accuracy on 1,000 new points. Momentum (0.9) against Adam, AdaGrad and RMSProp, each at the rate of its grid with
  the lowest pilot training loss (2 pilot seeds). Pilot (lead, seeds 0-11 of a script, before the declaration): every
  optimizer fits the training set exactly (loss < 1e-23 at its best rate); momentum classifies every new point
  correctly (weights 0.90-0.94 on x_1), the three adaptive ones end with equal weights 0.25 on x_1..x_3 and call every
  point +1 (test accuracy 0.59-0.63, the share of +1 labels), at every rate of their grids. The natural-data version
  is a sensitivity, not gating: B's pilot on MNIST-1D (first 1,000 training examples), momentum vs Adam each at its
  own rate, 30 then 20 epochs: validation accuracy flipped between bases (base 100: momentum ahead, 0.40-0.45 vs
  0.37-0.41; base 101: Adam ahead, 0.41-0.45 vs 0.38-0.43) while Adam fit the training set better on both. The
  declared test on pilot bases 100 and 101 (12 seeds): momentum 1.0 on every seed, each adaptive optimizer 0.58-0.65
  (p 2.4e-4 each); the MNIST-1D sensitivity (20 epochs, chosen rates momentum 0.01, Adam 3e-3) refuted on both:
  Adam 2.5 and 3.0 points ahead.
"""

from dataclasses import dataclass

from ..evidence.claims import Amendment, Claim, Expect
from ..evidence.knobs import fmt
from ..nn.models import MLPConfig
from ..train.training import FitConfig

SECTION = "optimizers"
GERON = "Geron, Hands-On ML, ch. 11 (Faster Optimizers: momentum, Nesterov accelerated gradient)"
GERON_ADAPTIVE = "Geron, Hands-On ML, ch. 11 (Faster Optimizers: AdaGrad, RMSProp, Adam and Nadam)"
GERON_ADAMW = ("Geron, Hands-On ML, ch. 11 (Adam and Nadam optimization: AdamW); Loshchilov & Hutter 2019, "
               "Decoupled Weight Decay Regularization")
SEEDS = {"quick": 12, "full": 30}
MLP_SEEDS = {"quick": 8, "full": 20}


@dataclass(frozen=True)
class BowlDesign:
    """The bowl claims' shared design: the bowl (dnnkit.optim.quadratic.Bowl), the step budget, "settled", and the
    rate grid with its pilots."""

    kappa: float  # condition number
    dim: int
    steps: int
    tol: float  # settled: f stays <= tol * f(x0)
    grid_c: tuple[float, ...]  # lr = c / lambda_max
    pilots: int  # pilot starting points on which each arm's rate is chosen


@dataclass(frozen=True)
class MomentumMLP:
    """The digits MLP of the momentum claims (amendment MLP_MOMENTUM; a sensitivity of nesterov-beats-momentum)."""

    net: MLPConfig
    fit: FitConfig
    rates: dict[float, float]  # beta -> its grid rate, chosen on pilots (module docstring)
    delta: float  # of both MLP sub-decisions: 1 epoch, 1 sign change


@dataclass(frozen=True)
class MomentumVsPlain:
    """momentum-beats-plain-gd: momentum's beta on the shared bowl."""

    bowl: BowlDesign
    beta: float


@dataclass(frozen=True)
class NesterovVsMomentum:
    """nesterov-beats-momentum: both at one beta; "no more steps" also on a milder bowl; the sensitivities' steeper
    bowl and digits MLP."""

    bowl: BowlDesign
    beta: float
    mild_kappa: float
    steep_kappa: float  # set aside after pilots: a sensitivity
    mlp: MomentumMLP  # a sensitivity, both at momentum 0.9's grid rate


@dataclass(frozen=True)
class NearOne:
    """momentum-near-one-oscillates: the two betas on the shared bowl, the crossings' delta, and the MLP half."""

    bowl: BowlDesign
    near_one: float
    default: float
    crossings_delta: float
    mlp: MomentumMLP


@dataclass(frozen=True)
class AdagradStall:
    """adagrad-stops-early: the small-data net, each optimizer's grid rate, and the effective-step trackers."""

    net: MLPConfig
    fit: FitConfig
    train_n: int  # first training examples kept, so the end of training falls inside a quick budget (pilots)
    rates: dict[str, float]  # chosen on pilots (module docstring)
    rmsprop_rho: float  # dnnkit's RMSProp decay, which the tracker mirrors
    adagrad_eps: float  # torch's eps for each optimizer
    rmsprop_eps: float
    mechanism_delta: float


@dataclass(frozen=True)
class IllConditioned:
    """adaptive-beats-sgd-ill-conditioned: the badly scaled blobs, the net, the targets and each optimizer's rate."""

    n_samples: int
    n_features: int
    n_classes: int
    class_sep: float
    scale_spread: float  # decades spanned by the feature scales
    log10_shift: float  # every feature scaled by 10^-1.5: no huge features (pilots without it: module docstring)
    net: MLPConfig
    fit: FitConfig  # target 0.35 since amendment BLOBS_TARGET
    first_target: float  # the first target, 0.15: a sensitivity since amendment BLOBS_TARGET
    rates: dict[str, float]  # chosen on pilots (module docstring)


@dataclass(frozen=True)
class DecoupledDecay:
    """adamw-decouples-weight-decay: the net, each arm's optimizer and decay, the two gradient scales."""

    net: MLPConfig
    fit: FitConfig
    decay: dict[str, tuple[str, float]]  # arm -> (optimizer, weight decay): equal shrinkage at scale 1 on pilots
    loss_scales: tuple[float, float]  # the data loss's gradient x1 and x100
    equivalence_delta: float


BOWL_DESIGN = BowlDesign(kappa=100.0, dim=2, steps=3000, tol=1e-6, grid_c=(0.1, 0.2, 0.5, 1.0, 1.5, 2.0, 3.0), pilots=4)
MOMENTUM_MLP = MomentumMLP(
    net=MLPConfig(n_inputs=64, n_outputs=10, depth=2, width=32, activation="elu"),
    fit=FitConfig(epochs=12, batch_size=64, optimizer="momentum", target=("val_acc", 0.9)),
    rates={0.99999: 0.01, 0.9: 0.1}, delta=1.0,
)
MOMENTUM_VS_PLAIN = MomentumVsPlain(bowl=BOWL_DESIGN, beta=0.9)
NESTEROV_VS_MOMENTUM = NesterovVsMomentum(bowl=BOWL_DESIGN, beta=0.9, mild_kappa=10.0, steep_kappa=1000.0,
                                          mlp=MOMENTUM_MLP)
NEAR_ONE = NearOne(bowl=BOWL_DESIGN, near_one=0.99999, default=0.9, crossings_delta=1.0, mlp=MOMENTUM_MLP)
ADAGRAD_STALL = AdagradStall(
    net=MLPConfig(n_inputs=64, n_outputs=10, depth=6, width=32, activation="elu"),
    fit=FitConfig(epochs=30, batch_size=128), train_n=512, rates={"adagrad": 0.1, "rmsprop": 0.01, "adam": 0.01},
    rmsprop_rho=0.9, adagrad_eps=1e-10, rmsprop_eps=1e-8, mechanism_delta=0.1,
)
ILL_CONDITIONED = IllConditioned(
    n_samples=1000, n_features=10, n_classes=4, class_sep=2.0, scale_spread=3.0, log10_shift=-1.5,
    net=MLPConfig(n_inputs=10, n_outputs=4, depth=1, width=32, activation="elu"),
    fit=FitConfig(epochs=30, batch_size=64, target=("train_loss", 0.35)), first_target=0.15,
    rates={"sgd": 1.0, "rmsprop": 0.03, "adam": 0.1, "nadam": 0.1},
)
DECOUPLED_DECAY = DecoupledDecay(
    net=MLPConfig(n_inputs=64, n_outputs=10, depth=2, width=32, activation="elu"),
    fit=FitConfig(epochs=10, batch_size=64, lr=1e-3),
    decay={"Adam + L2": ("adam", 0.1), "AdamW": ("adamw", 3.0)}, loss_scales=(1.0, 100.0), equivalence_delta=0.01,
)
PART_B = "2026-12-07, before the evidence run (worktree wt-B of 87ef806)"
NG = "Ng, Improving Deep Neural Networks, week 2 notes: momentum and Adam (seed 003)"


@dataclass(frozen=True)
class TerminalVelocity:
    """momentum-terminal-velocity: torch's SGD with momentum on a linear loss, in float64."""

    lr: float
    beta: float
    steps: int
    dim: int
    ulps: int  # per step: the tolerance is ulps x eps(float64) x steps, relative to the terminal velocity


@dataclass(frozen=True)
class TunedOptimizers:
    """rmsprop-beats-adagrad, nadam-beats-adam: MNIST-1D (its first train_n training
    examples), one net and fit, each optimizer at its own rate from its grid on pilot seeds."""

    train_n: int
    net: MLPConfig
    fit: FitConfig
    grids: dict[str, tuple[float, ...]]
    pilot_seeds: int
    acc_delta: float
    second_delta: float  # of the second sub-decision: decades of training loss, or epochs to the target


@dataclass(frozen=True)
class DefaultVsBest:
    """momentum-0.9-good-default, adam-default-betas-ok: the default hyperparameters against the best of a grid
    (chosen on pilot seeds), each at its own rate; non-inferiority margin; the positive control runs the default at
    its rate / control_divisor."""

    train_n: int
    net: MLPConfig
    fit: FitConfig
    default: str
    variants: dict[str, dict]  # label -> optimizer_params
    grid: tuple[float, ...]
    pilot_seeds: int
    margin: float
    control_divisor: float


@dataclass(frozen=True)
class DecayForms:
    """adamw-beats-adam-l2: a small digits subset, each decay form's strength from its grid on pilot seeds."""

    train_n: int
    net: MLPConfig
    fit: FitConfig
    decays: dict[str, tuple[str, tuple[float, ...]]]  # arm -> (optimizer, weight_decay grid)
    pilot_seeds: int
    delta: float


@dataclass(frozen=True)
class AdaptiveGeneralization:
    """adaptive-generalize-worse: Wilson et al.'s over-parameterized least-squares problem (n training examples, a
    share p of +1 labels, new points to test on), the step budget, each optimizer's rate grid, and the MNIST-1D
    sensitivity (momentum against Adam, each at its own rate)."""

    n_train: int
    p: float
    n_test: int
    steps: int
    grids: dict[str, tuple[float, ...]]
    pilot_seeds: int
    delta: float
    natural: TunedOptimizers


@dataclass(frozen=True)
class RateWidth:
    """adaptive-less-lr-tuning: per seed, how many rates of the shared grid land within `within` of that seed's best
    validation accuracy, per optimizer."""

    net: MLPConfig
    fit: FitConfig
    grid: tuple[float, ...]
    within: float
    delta: float  # grid points


TERMINAL_VELOCITY = TerminalVelocity(lr=0.01, beta=0.9, steps=200, dim=16, ulps=4)
MNIST1D_NET = MLPConfig(n_inputs=40, n_outputs=10, depth=2, width=64, activation="elu")
ADAGRAD_VS_RMSPROP = TunedOptimizers(
    train_n=2000, net=MNIST1D_NET, fit=FitConfig(epochs=10, batch_size=64),
    grids={"rmsprop": (3e-4, 1e-3, 3e-3, 0.01), "adagrad": (0.01, 0.03, 0.1, 0.3)}, pilot_seeds=3,
    acc_delta=0.01, second_delta=0.1,
)
NADAM_VS_ADAM = TunedOptimizers(
    train_n=2000, net=MNIST1D_NET, fit=FitConfig(epochs=10, batch_size=64, target=("val_acc", 0.5)),
    grids={"nadam": (3e-4, 1e-3, 3e-3, 0.01), "adam": (3e-4, 1e-3, 3e-3, 0.01), "rmsprop": (3e-4, 1e-3, 3e-3, 0.01)},
    pilot_seeds=3, acc_delta=0.005, second_delta=1.0,
)
DIGITS_NET = MLPConfig(n_inputs=64, n_outputs=10, depth=2, width=32, activation="elu")
MOMENTUM_DEFAULT = DefaultVsBest(
    train_n=1437, net=DIGITS_NET, fit=FitConfig(epochs=10, batch_size=128, optimizer="momentum"),
    default="beta 0.9", variants={f"beta {b:g}": {"momentum": b} for b in (0.5, 0.8, 0.9, 0.95, 0.99)},
    grid=(3e-3, 0.01, 0.03, 0.1, 0.3),
    pilot_seeds=2, margin=0.005, control_divisor=10.0,
)
ADAM_DEFAULT = DefaultVsBest(
    train_n=1437, net=DIGITS_NET, fit=FitConfig(epochs=10, batch_size=128), default="betas (0.9, 0.999)",
    variants={f"betas ({b1:g}, {b2:g})": {"betas": (b1, b2)} for b1 in (0.8, 0.9, 0.95) for b2 in (0.99, 0.999, 0.9999)},
    grid=(3e-3, 0.01, 0.03), pilot_seeds=2, margin=0.005, control_divisor=10.0,
)
DECAY_FORMS = DecayForms(
    train_n=300, net=MLPConfig(n_inputs=64, n_outputs=10, depth=2, width=64, activation="elu"),
    fit=FitConfig(epochs=40, batch_size=32, lr=3e-3),
    decays={"AdamW": ("adamw", (0.01, 0.1, 1.0, 3.0)), "Adam + L2": ("adam", (1e-4, 1e-3, 0.01, 0.1))},
    pilot_seeds=3, delta=0.005,
)
ADAPTIVE_GENERALIZATION = AdaptiveGeneralization(
    n_train=50, p=0.6, n_test=1000, steps=500,
    grids={"momentum": (0.01, 0.1, 1.0), "adam": (1e-3, 0.01, 0.1), "adagrad": (0.01, 0.1, 1.0),
           "rmsprop": (1e-3, 0.01, 0.1)},
    pilot_seeds=2, delta=0.05,
    natural=TunedOptimizers(train_n=1000, net=MNIST1D_NET, fit=FitConfig(epochs=20, batch_size=64),
                            grids={"momentum": (3e-3, 0.01, 0.03, 0.1), "adam": (3e-4, 1e-3, 3e-3, 0.01)},
                            pilot_seeds=2, acc_delta=0.01, second_delta=0.0),
)
RATE_WIDTH = RateWidth(
    net=MLPConfig(n_inputs=64, n_outputs=10, depth=2, width=32, activation="elu"), fit=FitConfig(epochs=5, batch_size=128),
    grid=(1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0), within=0.01, delta=1.0,
)
TV, RB, NA, MD, AD, DF, RW = (TERMINAL_VELOCITY, ADAGRAD_VS_RMSPROP, NADAM_VS_ADAM, MOMENTUM_DEFAULT, ADAM_DEFAULT,
                              DECAY_FORMS, RATE_WIDTH)


def _net(k) -> str:
    return (f"{k.net.n_inputs}-{k.net.depth}x{k.net.width}-{k.net.n_outputs} {k.net.activation.upper()}/He, batch "
            f"{k.fit.batch_size}, {k.fit.epochs} epochs")


def _grids(k: TunedOptimizers | AdaptiveGeneralization) -> str:
    return "; ".join(f"{opt} {{{', '.join(map(fmt, g))}}}" for opt, g in k.grids.items())


B, A, IC, D = BOWL_DESIGN, ADAGRAD_STALL, ILL_CONDITIONED, DECOUPLED_DECAY
AG = ADAPTIVE_GENERALIZATION
BOWL = f"{B.dim}-D quadratic bowl, condition number {B.kappa:g}, {B.steps}-step budget"
SETTLED = f"steps until f stays <= {fmt(B.tol)} f(x0)"
MLP_MOMENTUM = ("2026-11-23 (issue 4, before its evidence run): an MLP sub-comparison added, because the issue's claim "
                "reads 'on an ill-conditioned quadratic and on an MLP' and the bowl alone tested half of it. Digits, "
                "64-2x32-10 ELU/He, batch 64, 12 epochs, each beta at its own grid rate (0.9: 0.1, 0.99999: 0.01; "
                "pilots in this module's docstring); two sub-decisions on the claim's seeds: epochs to val acc 0.9 "
                "(+inf if never; time to target, greater, delta 1 epoch) and sign changes of the successive "
                "differences of the per-epoch training loss (directional, greater, delta 1).")

BLOBS_TARGET = Amendment(
    date="2026-12-02",
    what="target training loss 0.15 -> 0.35 (no stop at the target: 30 epochs), the blobs drawn with the seed base "
         "instead of seed 0; epochs to 0.15 kept as sensitivity sub-decisions.",
    why="0.15 was set on the seed-0 draw; other draws of the same problem are harder. Pilot bases 100-104 (4 pilot "
        "seeds, each arm at its grid rate): at 0.15 no arm reached the target on 3 of 4 seeds at base 100 (SGD on no "
        "seed of any base); at 0.35 every adaptive arm reached it on every seed by epoch 10 (2-10), SGD at 6-13 or "
        "never.",
    base=224,
)

CLAIMS = (
    Claim(
        id="momentum-beats-plain-gd", section=SECTION, source=GERON,
        sentence="Momentum optimization escapes from plateaus much faster than gradient descent: on an elongated "
                 "bowl, gradient descent goes down the steep slope quickly but takes a very long time down the "
                 "valley, while momentum (beta = 0.9) rolls down the valley faster and faster.",
        kind="time_to_target", metric=f"{SETTLED} ({BOWL}); each arm at its best grid rate",
        direction="less", arms=(f"momentum {MOMENTUM_VS_PLAIN.beta}", "plain GD"), delta=10.0, design="paired",
        seeds=SEEDS, knobs=MOMENTUM_VS_PLAIN,
    ),
    Claim(
        id="nesterov-beats-momentum", section=SECTION, source=GERON,
        sentence="Nesterov accelerated gradient is generally faster than regular momentum optimization: it needs "
                 "no more steps, and fewer on the elongated bowl, because it measures the gradient slightly "
                 "ahead in the direction of the momentum, which dampens oscillations.",
        kind="time_to_target", metric=f"{SETTLED} ({BOWL}); each arm at its best grid rate",
        direction="less", arms=(f"nesterov {NESTEROV_VS_MOMENTUM.beta}", f"momentum {NESTEROV_VS_MOMENTUM.beta}"),
        delta=10.0, design="paired", seeds=SEEDS, knobs=NESTEROV_VS_MOMENTUM,
    ),
    Claim(
        id="momentum-near-one-oscillates", section=SECTION, source=GERON,
        sentence="With momentum close to 1 the optimizer overshoots, comes back and oscillates many times before "
                 "stabilizing at the minimum: momentum 0.99999 crosses the minimum far more often and needs far "
                 "more steps than 0.9 (which is a good default).",
        kind="time_to_target", metric=f"{SETTLED} ({BOWL}; +inf if never); then the number of zero crossings along "
                                      "the long axis before that",
        direction="greater", arms=(f"momentum {NEAR_ONE.near_one}", f"momentum {NEAR_ONE.default}"), delta=10.0,
        design="paired", seeds=SEEDS, amendments=(MLP_MOMENTUM,), knobs=NEAR_ONE,
    ),
    Claim(
        id="adagrad-stops-early", section=SECTION, source=GERON_ADAPTIVE,
        sentence="AdaGrad's effective learning rate decays toward 0 (it divides by the root of all past squared "
                 "gradients), so on a deep-net task it stops too early: it stalls above the loss that RMSProp and "
                 "Adam reach.",
        kind="paired",
        metric=f"log10 of the final-epoch mean training loss (first {A.train_n} digits training examples, "
               f"{A.net.n_inputs}-{A.net.depth}x{A.net.width}-{A.net.n_outputs} {A.net.activation.upper()}/He, batch "
               f"{A.fit.batch_size}, {A.fit.epochs} epochs = {A.fit.epochs * -(-A.train_n // A.fit.batch_size)} steps), "
               f"each optimizer at its own grid rate (AdaGrad {A.rates['adagrad']}, RMSProp {A.rates['rmsprop']}, "
               f"Adam {A.rates['adam']}); one sub-decision per rival; the mechanism as a third: log10(effective step "
               f"at the last step / at the end of epoch 1), AdaGrad below RMSProp (paired, less, delta "
               f"{A.mechanism_delta})",
        direction="greater", arms=("adagrad", "rmsprop / adam"), delta=0.25, design="paired", seeds=MLP_SEEDS,
        knobs=ADAGRAD_STALL,
    ),
    Claim(
        id="adaptive-beats-sgd-ill-conditioned", section=SECTION, source=GERON_ADAPTIVE,
        sentence="On a badly scaled problem RMSProp, Adam and Nadam, which scale each parameter's step by its own "
                 "gradient history, reach a target loss in fewer steps than plain SGD.",
        kind="time_to_target",
        metric=f"epochs until the epoch-mean training loss <= {IC.fit.target[1]} (+inf if not within {IC.fit.epochs} "
               f"epochs); {IC.n_classes}-class Gaussian blobs, {IC.n_features} features with scales spanning 1e-3 to "
               f"1, unstandardized; {IC.net.n_inputs}-{IC.net.width}-{IC.net.n_outputs} {IC.net.activation.upper()}/He, "
               f"batch {IC.fit.batch_size}; each optimizer at its own grid rate (SGD {IC.rates['sgd']}, RMSProp "
               f"{IC.rates['rmsprop']}, Adam {IC.rates['adam']}, Nadam {IC.rates['nadam']}); one sub-decision per "
               "adaptive optimizer",
        direction="less", arms=("rmsprop / adam / nadam", "sgd"), delta=2.0, design="paired", seeds=MLP_SEEDS,
        amendments=(BLOBS_TARGET,), knobs=ILL_CONDITIONED,
    ),
    Claim(
        id="adamw-decouples-weight-decay", section=SECTION, source=GERON_ADAMW,
        sentence="AdamW's weight decay shrinks the weights independently of the gradient's scale, while L2 "
                 "regularization added to the loss under Adam is divided away by Adam's adaptive denominator, so "
                 "its effect depends on how large the loss's gradients are.",
        kind="paired",
        metric=f"log(parameter L2 norm after training with the data loss's gradient scaled by {D.loss_scales[1]:g} "
               f"/ the same with scale {D.loss_scales[0]:g}), paired by seed; digits, {D.net.n_inputs}-{D.net.depth}x"
               f"{D.net.width}-{D.net.n_outputs} {D.net.activation.upper()}/He, batch {D.fit.batch_size}, "
               f"{D.fit.epochs} epochs, lr 1e-3; Adam+L2 lambda {D.decay['Adam + L2'][1]:g}, AdamW lambda "
               f"{D.decay['AdamW'][1]:g} (equal shrinkage at scale 1 on pilots); sub-decision: AdamW's log norms at "
               f"the two scales equivalent within +-{D.equivalence_delta} (TOST, paired)",
        direction="greater", arms=tuple(D.decay), delta=0.05, design="paired", seeds=MLP_SEEDS,
        knobs=DECOUPLED_DECAY,
    ),
)

# Coverage part B (issue 21): declared after pilots on seed bases 100-104, before any evidence run (design notes in
# this module's docstring, "Part B").
CLAIMS = (
    *CLAIMS,
    Claim(
        id="momentum-terminal-velocity", section=SECTION, source=GERON,
        sentence="If the gradient remains constant, the terminal velocity (i.e., the maximum size of the weight "
                 "updates) is equal to that gradient multiplied by the learning rate eta multiplied by 1 / (1 - beta).",
        kind="exact",
        metric=f"torch.optim.SGD (momentum beta {TV.beta:g}, lr {TV.lr:g}) on the linear loss g . theta in float64, "
               f"g ~ N(0, I) of dimension {TV.dim} per seed, {TV.steps} steps: every step equals lr g (1 - beta^t) / "
               f"(1 - beta) within {TV.ulps} x eps(float64) x {TV.steps} relative to lr |g| / (1 - beta) (max over "
               "coordinates), and the last step lies within beta^steps (+ that tolerance) of the terminal velocity "
               "lr g / (1 - beta); the steps never exceed it",
        direction="holds", arms=("momentum steps", "lr g / (1 - beta)"), knobs=TERMINAL_VELOCITY,
    ),
    Claim(
        id="momentum-0.9-good-default", section=SECTION, source=NG,
        sentence="Generally, we use [beta = 0.9], which means we're averaging over last 10 iteration gradients.",
        kind="paired",
        metric=f"final validation accuracy, digits (all {MD.train_n} training examples), {_net(MD)}, SGD with "
               f"momentum: beta 0.9 against the best other beta of ({', '.join(MD.variants)}) by the pilots' median "
               f"validation loss, every beta at its own rate from {{{', '.join(map(fmt, MD.grid))}}} on {MD.pilot_seeds} pilot "
               f"seeds; non-inferiority: beta 0.9's accuracy + {MD.margin:g} above the best's (paired); positive "
               f"control: beta 0.9 at its rate / {MD.control_divisor:g} below beta 0.9 by more than the margin",
        direction="greater", arms=(MD.default, "best beta"), delta=MD.margin, design="paired",
        seeds={"quick": 12, "full": 20}, knobs=MOMENTUM_DEFAULT,
    ),
    Claim(
        id="adam-default-betas-ok", section=SECTION, source=NG,
        sentence="Adam hyperparameters: alpha needs to be tuned; beta1 = 0.9 (first moment) and beta2 = 0.999 "
                 "(second moment) can be left at their defaults.",
        kind="paired",
        metric=f"final validation accuracy, digits (all {AD.train_n} training examples), {_net(AD)}, Adam: "
               f"betas (0.9, 0.999) against the best other pair of the 3 x 3 grid ({', '.join(AD.variants)}) by the "
               f"pilots' median validation loss, every pair at its own rate from "
               f"{{{', '.join(map(fmt, AD.grid))}}} on {AD.pilot_seeds} pilot seeds; non-inferiority: the default's "
               f"accuracy + {AD.margin:g} above the best's (paired); positive control: the default at its rate / "
               f"{AD.control_divisor:g} below it by more than the margin",
        direction="greater", arms=(AD.default, "best betas"), delta=AD.margin, design="paired",
        seeds={"quick": 12, "full": 20}, knobs=ADAM_DEFAULT,
    ),
    Claim(
        id="rmsprop-beats-adagrad", section=SECTION, source=GERON_ADAPTIVE,
        sentence="Except on very simple problems, this optimizer [RMSProp] almost always performs much better than "
                 "AdaGrad.",
        kind="paired",
        metric=f"final validation accuracy, MNIST-1D (first {RB.train_n} training examples; not a very simple "
               f"problem), {_net(RB)}, each optimizer at its own rate ({_grids(RB)}; {RB.pilot_seeds} pilot seeds): "
               f"RMSProp above AdaGrad (paired, delta {RB.acc_delta:g}); second sub-decision: log10 final training "
               f"loss, RMSProp below AdaGrad (paired, delta {RB.second_delta:g})",
        direction="greater", arms=("rmsprop", "adagrad"), delta=RB.acc_delta, design="paired",
        seeds={"quick": 12, "full": 20}, knobs=ADAGRAD_VS_RMSPROP,
        expect=Expect(("refuted",), why=(
            "pilot bases 100 and 101, 12 seeds: AdaGrad (rate 0.03) ahead of RMSProp (3e-3) on every seed, validation "
            "accuracy 0.45-0.49 vs 0.43-0.47 and final training loss 10^0.00-10^0.02 vs 10^0.02-10^0.04: within 10 "
            "epochs neither net is near the end of training, where AdaGrad's decayed step would stall it"),
            declared=PART_B),
    ),
    Claim(
        id="nadam-beats-adam", section=SECTION, source=GERON_ADAPTIVE,
        sentence="Nadam generally outperforms Adam but is sometimes outperformed by RMSProp.",
        kind="paired",
        metric=f"final validation accuracy, MNIST-1D (first {NA.train_n} training examples), {_net(NA)}, each "
               f"optimizer at its own rate ({_grids(NA)}; {NA.pilot_seeds} pilot seeds): Nadam above Adam (paired, "
               f"delta {NA.acc_delta:g}); second: epochs to val accuracy {NA.fit.target[1]:g}, Nadam fewer (time to "
               f"target, delta {NA.second_delta:g} epoch); rates by fewest median pilot epochs to the target, then "
               f"validation loss; sensitivities (shown, not gating): RMSProp above Nadam ('sometimes'), and Nadam "
               f"above Adam with each at its lowest-pilot-validation-loss rate",
        direction="greater", arms=("nadam", "adam"), delta=NA.acc_delta, design="paired",
        seeds={"quick": 12, "full": 20}, knobs=NADAM_VS_ADAM,
        expect=Expect(("refuted",), why=(
            "pilot bases 100 and 101, 12 seeds, every optimizer at rate 0.01 (fewest pilot epochs to 0.5): Adam "
            "ahead in validation accuracy (medians 0.52-0.53 vs 0.50-0.51, p of 'Nadam above' 0.99 and 0.9995) and "
            "Nadam missed the 0.5 target on 5 of 12 seeds (base 101) where Adam reached it on all"),
            declared=PART_B),
    ),
    Claim(
        id="adamw-beats-adam-l2", section=SECTION, source=GERON_ADAMW,
        sentence="Combining Adam with l2 regularization results in models that often don't generalize as well as "
                 "those produced by SGD with weight decay; AdamW fixes this issue.",
        kind="paired",
        metric=f"final validation accuracy, digits (first {DF.train_n} training examples), {_net(DF)}, lr "
               f"{fmt(DF.fit.lr)}: AdamW against Adam + L2 (torch Adam's weight_decay), each strength from its grid "
               f"({'; '.join(f'{a} {{{chr(44).join(map(fmt, g))}}}' for a, (_, g) in DF.decays.items())}) by the median "
               f"validation loss on {DF.pilot_seeds} pilot seeds; AdamW above (paired, delta {DF.delta:g})",
        direction="greater", arms=tuple(DF.decays), delta=DF.delta, design="paired",
        seeds={"quick": 12, "full": 20}, knobs=DECAY_FORMS,
        expect=Expect.not_refuted(
            "pilot bases 100 and 101, 12 seeds, each decay from its grid (AdamW 1 / 0.1, Adam + L2 0.01 / 1e-3): "
            "validation accuracy equal within 0.3 pt on both bases (absent, p 0.97 and 0.94): on 300 digits the "
            "two decay forms generalize alike", PART_B),
    ),
    Claim(
        id="adaptive-less-lr-tuning", section=SECTION, source=GERON_ADAPTIVE,
        sentence="Adaptive learning rate methods require less tuning of the learning rate hyperparameter eta.",
        kind="paired",
        metric=f"per seed, the number of rates of ({', '.join(map(fmt, RW.grid))}) (x3 steps) whose final "
               f"validation accuracy lies within {RW.within:g} of that seed's best rate, digits, {_net(RW)}: Adam "
               f"above plain SGD and AdaGrad above plain SGD (paired, delta {RW.delta:g} rate)",
        direction="greater", arms=("adam / adagrad", "sgd"), delta=RW.delta, design="paired",
        seeds={"quick": 12, "full": 20}, knobs=RATE_WIDTH,
        expect=Expect.not_refuted(
            "pilot bases 100 and 101, 12 seeds: rates within 1 pt of the seed's best, Adam 1-3, AdaGrad 1-3, SGD "
            "1-2; Adam above SGD p 0.16 (absent) and 0.035, AdaGrad above SGD p 0.09 on both (absent): at most one x3 "
            "step wider, which 12 seeds do not resolve", PART_B),
    ),
    Claim(
        id="adaptive-generalize-worse", section=SECTION,
        source=GERON_ADAPTIVE + "; Wilson et al. 2017, The Marginal Value of Adaptive Gradient Methods",
        sentence="Adaptive optimization methods (including RMSProp, Adam and Nadam optimization) can lead to solutions "
                 "that generalize poorly on some datasets.",
        kind="paired",
        metric=f"test accuracy on {AG.n_test} new points of Wilson et al.'s over-parameterized problem ({AG.n_train} "
               f"training examples, +1 labels with probability {AG.p:g}, one drawn per seed), {AG.steps} full-batch "
               f"steps of the squared loss from zero weights, each optimizer at the rate of its grid "
               f"({_grids(AG)}) with the lowest "
               f"training loss on {AG.pilot_seeds} pilot seeds: momentum (0.9) above Adam, AdaGrad and RMSProp (paired, "
               f"delta {AG.delta:g}, each gating); sensitivity: MNIST-1D (first {AG.natural.train_n} training "
               f"examples), {_net(AG.natural)}, momentum vs Adam ({_grids(AG.natural)}; {AG.natural.pilot_seeds} pilot "
               f"seeds), final validation accuracy (delta {AG.natural.acc_delta:g})",
        direction="greater", arms=("momentum", "adaptive"), delta=AG.delta, design="paired",
        seeds={"quick": 12, "full": 20}, knobs=ADAPTIVE_GENERALIZATION,
    ),
)
