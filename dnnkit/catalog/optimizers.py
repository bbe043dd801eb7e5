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
the chosen rates are constants in ablations/test_optimizers.py. Pilot numbers:

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
  lr / (sqrt(s) + eps); s = AdaGrad's sum of squared gradients, RMSProp's moving average of them) from the end of
  epoch 1 to the last step: AdaGrad -0.12 to -0.22 decades, RMSProp +1.7 to +2.3.
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

from ..evidence.claims import Amendment, Claim

SECTION = "optimizers"
GERON = "Geron, Hands-On ML, ch. 11 (Faster Optimizers: momentum, Nesterov accelerated gradient)"
GERON_ADAPTIVE = "Geron, Hands-On ML, ch. 11 (Faster Optimizers: AdaGrad, RMSProp, Adam and Nadam)"
GERON_ADAMW = ("Geron, Hands-On ML, ch. 11 (Adam and Nadam optimization: AdamW); Loshchilov & Hutter 2019, "
               "Decoupled Weight Decay Regularization")
SEEDS = {"quick": 12, "full": 30}
MLP_SEEDS = {"quick": 8, "full": 20}
BOWL = "2-D quadratic bowl, condition number 100, 3000-step budget"
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
        kind="time_to_target", metric=f"steps until f stays <= 1e-6 f(x0) ({BOWL}); each arm at its best grid rate",
        direction="less", arms=("momentum 0.9", "plain GD"), delta=10.0, design="paired", seeds=SEEDS,
    ),
    Claim(
        id="nesterov-beats-momentum", section=SECTION, source=GERON,
        sentence="Nesterov accelerated gradient is generally faster than regular momentum optimization: it needs "
                 "no more steps, and fewer on the elongated bowl, because it measures the gradient slightly "
                 "ahead in the direction of the momentum, which dampens oscillations.",
        kind="time_to_target", metric=f"steps until f stays <= 1e-6 f(x0) ({BOWL}); each arm at its best grid rate",
        direction="less", arms=("nesterov 0.9", "momentum 0.9"), delta=10.0, design="paired", seeds=SEEDS,
    ),
    Claim(
        id="momentum-near-one-oscillates", section=SECTION, source=GERON,
        sentence="With momentum close to 1 the optimizer overshoots, comes back and oscillates many times before "
                 "stabilizing at the minimum: momentum 0.99999 crosses the minimum far more often and needs far "
                 "more steps than 0.9 (which is a good default).",
        kind="time_to_target", metric=f"steps until f stays <= 1e-6 f(x0) ({BOWL}; +inf if never); then the number "
                                      "of zero crossings along the long axis before that",
        direction="greater", arms=("momentum 0.99999", "momentum 0.9"), delta=10.0, design="paired", seeds=SEEDS,
        amendments=(MLP_MOMENTUM,),
    ),
    Claim(
        id="adagrad-stops-early", section=SECTION, source=GERON_ADAPTIVE,
        sentence="AdaGrad's effective learning rate decays toward 0 (it divides by the root of all past squared "
                 "gradients), so on a deep-net task it stops too early: it stalls above the loss that RMSProp and "
                 "Adam reach.",
        kind="paired",
        metric="log10 of the final-epoch mean training loss (first 512 digits training examples, 64-6x32-10 ELU/He, "
               "batch 128, 30 epochs = 120 steps), each optimizer at its own grid rate (AdaGrad 0.1, RMSProp 0.01, "
               "Adam 0.01); one sub-decision per rival; the mechanism as a third: log10(effective step at the last "
               "step / at the end of epoch 1), AdaGrad below RMSProp (paired, less, delta 0.1)",
        direction="greater", arms=("adagrad", "rmsprop / adam"), delta=0.25, design="paired", seeds=MLP_SEEDS,
    ),
    Claim(
        id="adaptive-beats-sgd-ill-conditioned", section=SECTION, source=GERON_ADAPTIVE,
        sentence="On a badly scaled problem RMSProp, Adam and Nadam, which scale each parameter's step by its own "
                 "gradient history, reach a target loss in fewer steps than plain SGD.",
        kind="time_to_target",
        metric="epochs until the epoch-mean training loss <= 0.35 (+inf if not within 30 epochs); 4-class Gaussian "
               "blobs, 10 features with scales spanning 1e-3 to 1, unstandardized; 10-32-4 ELU/He, batch 64; each "
               "optimizer at its own grid rate (SGD 1.0, RMSProp 0.03, Adam 0.1, Nadam 0.1); one sub-decision per "
               "adaptive optimizer",
        direction="less", arms=("rmsprop / adam / nadam", "sgd"), delta=2.0, design="paired", seeds=MLP_SEEDS,
        amendments=(BLOBS_TARGET,),
    ),
    Claim(
        id="adamw-decouples-weight-decay", section=SECTION, source=GERON_ADAMW,
        sentence="AdamW's weight decay shrinks the weights independently of the gradient's scale, while L2 "
                 "regularization added to the loss under Adam is divided away by Adam's adaptive denominator, so "
                 "its effect depends on how large the loss's gradients are.",
        kind="paired",
        metric="log(parameter L2 norm after training with the data loss's gradient scaled by 100 / the same with "
               "scale 1), paired by seed; digits, 64-2x32-10 ELU/He, batch 64, 10 epochs, lr 1e-3; Adam+L2 lambda "
               "0.1, AdamW lambda 3 (equal shrinkage at scale 1 on pilots); sub-decision: AdamW's log norms at the "
               "two scales equivalent within +-0.01 (TOST, paired)",
        direction="greater", arms=("Adam + L2", "AdamW"), delta=0.05, design="paired", seeds=MLP_SEEDS,
    ),
)
