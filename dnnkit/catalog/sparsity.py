"""Claims of the section "Sparse models" (chapter exercise 6): l1, FTRL with l1, and pruning the tiny weights.

Design shared by both claims (declared before the evidence run): digits, 50 examples per class drawn once from
the training split (500 train; the full 360-example validation split), standardized on the full training split;
a 2 x 100 ELU net, He normal init; Adam lr 0.01, batch 64, 20 epochs; arms share init and data order (paired).
Penalties use Keras's convention (dnnkit.regularization.penalty: l1*sum|w| + l2*sum w^2) on every Linear weight,
head included. Sparsity is measured over those same weights (dnnkit.sparsity.sparsity). Pruned fractions: 0, 0.1,
0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99.

Pilot numbers (pilot seeds, seed base 0, 3-4 seeds), which fixed the design:
- Adam lr 1e-3 for 10 epochs moves each weight at most ~0.08 (80 steps x lr), so l1 could not reach zero from He
  init (|w| ~ 0.18): 10% of weights below 0.01 with l1 1e-3. At lr 0.01, 20 epochs: |w| <= 0.01 for 81-83% of
  weights with l1 1e-3, 15-16% with l2 1e-3, 5% with no penalty, all at val acc 0.94-0.96. l1 3e-3: 95%.
- Adam never gives exact zeros (0.0% with any penalty). FTRL (dnnkit.ftrl.Ftrl, Keras's FTRL-proximal):
  lr 0.5, l1 0.03 gave 50-59% exact zeros at val acc 0.93-0.94; lr 0.1, l1 0.03: 41-53% at 0.85-0.90; l1 0.1:
  93-99% zeros with accuracy collapsing on some seeds. Without l1, FTRL zeroes 2.3% of the weights: the
  first-layer weights of always-zero pixels, whose gradient is always 0, so z stays 0 and w = 0.
- Pruning (global magnitude threshold, no retraining), 4 pilot seeds: a normally trained net kept its accuracy
  within 1 point up to 50-60% sparsity and fell to 0.35-0.57 at 90%; the l1 1e-3 net stayed within 1 point of
  the normal net's accuracy up to 90-95%.
"""

from dataclasses import dataclass, replace

from ..evidence.claims import Amendment, Claim
from ..nn.models import MLPConfig
from ..train.training import FitConfig

SECTION = "sparsity"
GERON = "Geron, Hands-On ML, ch. 11 (exercise 6: three ways to produce a sparse model)"

NET = MLPConfig(n_inputs=64, n_outputs=10, depth=2, width=100)
FIT = FitConfig(epochs=20, batch_size=64, optimizer="adam", lr=0.01)  # lr 0.01, 20 epochs: see the pilots above
SETUP = (f"digits 50/class (500 train, 360 val), {NET.depth}x{NET.width} {NET.activation.upper()} He, Adam lr "
         f"{FIT.lr}, batch {FIT.batch_size}, {FIT.epochs} epochs")


@dataclass(frozen=True)
class L1Sparsity:
    """l1-gives-sparsity: the shared net and fit, the l1 and l2 strengths (Keras convention), the bound of "near
    zero", and FTRL's fit (pilots above)."""

    net: MLPConfig
    fit: FitConfig
    l1: float
    l2: float
    near_zero: float  # |w| <= near_zero
    ftrl: FitConfig


@dataclass(frozen=True)
class Pruning:
    """pruning-small-weights: the shared net and fit, the l1 net's strength, the pruned fractions, the accuracy drop
    that ends a net's sparsity, the unpruned nets' equivalence margin, and the fraction checked for degradation."""

    net: MLPConfig
    fit: FitConfig
    l1: float
    fractions: tuple[float, ...]
    acc_tolerance: float
    dense_margin: float
    checked_fraction: float
    checked_drop: float


L1_SPARSITY = L1Sparsity(net=NET, fit=FIT, l1=1e-3, l2=1e-3, near_zero=0.01,
                         ftrl=replace(FIT, optimizer="ftrl", lr=0.5, optimizer_params={"l1": 0.03}))
PRUNING = Pruning(net=NET, fit=FIT, l1=1e-3,
                  fractions=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99),
                  acc_tolerance=0.01, dense_margin=0.02, checked_fraction=0.9, checked_drop=0.05)
_F = L1_SPARSITY.ftrl

CLAIMS = (
    Claim(
        id="l1-gives-sparsity", section=SECTION, source=GERON,
        sentence="Applying a strong l1 regularization during training pushes the optimizer to zero out as many "
                 "weights as it can: it leaves a much larger fraction of near-zero weights than l2 or no penalty; "
                 "FTRL (dual averaging) with l1 gives exact zeros.",
        kind="paired",
        metric=f"fraction of Linear weights with |w| <= {L1_SPARSITY.near_zero} after training ({SETUP}); l1 = l2 = "
               "1e-3 (Keras convention); 'much larger' = more than delta above each other arm (compared as l1 vs "
               "other + delta). FTRL sub-decision: fraction of exactly-zero weights, FTRL (lr "
               f"{_F.lr}, l1 {_F.optimizer_params['l1']}, {_F.epochs} epochs) vs Adam + l1, also against + delta",
        direction="greater", arms=("l1 1e-3", "l2 1e-3 / no penalty / Adam + l1 (vs FTRL)"), delta=0.2,
        design="paired", knobs=L1_SPARSITY,
    ),
    Claim(
        id="pruning-small-weights", section=SECTION, source=GERON,
        sentence="Training the model as usual and then setting the tiny weights to 0 will not typically lead to a "
                 "very sparse model, and it may degrade the model's performance.",
        kind="paired",
        metric=f"sparsity reached before validation accuracy first falls more than {PRUNING.acc_tolerance} below "
               f"the net's own unpruned accuracy ({SETUP}; global magnitude pruning of all Linear weights, no "
               "retraining, fractions 0, 0.1, ..., 0.8, 0.85, 0.9, 0.95, 0.98, 0.99); compared with the same pruning "
               "of an l1 1e-3 net (the chapter's route to more sparsity). Sub-decisions: the two unpruned nets' "
               f"validation accuracies are equivalent within {PRUNING.dense_margin} (TOST, paired: l1 does not buy "
               "sparsity with accuracy); validation accuracy of the normally trained net at "
               f"{PRUNING.checked_fraction:.0%} pruned below its unpruned accuracy (paired, delta "
               f"{PRUNING.checked_drop})",
        direction="less", arms=("prune after normal training", "prune after l1 training"), delta=0.1,
        design="paired", knobs=PRUNING,
        amendments=(
            Amendment(
                date="2026-12-02",
                what="Reference accuracy changed from 'the same seed's unpruned normally trained net' to 'the net's "
                     "own unpruned accuracy', with an added TOST sub-decision that the two unpruned nets are equally "
                     "accurate (first recorded as a text amendment, then decided on seed base 0, the base it was "
                     "designed on; issue 15 moved its decision to a fresh base).",
                why="Seen on the first evidence run (seed base 0): l1 nets 1.1-1.4 points below the normal net on 2 "
                    "of 8 seeds got sparsity 0 at any pruning fraction, so the metric measured the l1 net's dense "
                    "accuracy, not how far it can be pruned.",
                base=241,
            ),
        ),
    ),
)
