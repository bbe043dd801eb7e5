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
"""

from dataclasses import dataclass

from ..evidence.claims import Amendment, Claim
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
B, A, IC, D = BOWL_DESIGN, ADAGRAD_STALL, ILL_CONDITIONED, DECOUPLED_DECAY
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
