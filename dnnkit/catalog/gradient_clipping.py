"""Claims of the section "Gradient Clipping".

Design (declared before the evidence run; pilots on claim.pilot_seeds(4), seed bases 0 and 7). An exploding setup
is a deep net trained at a rate too large for it: 10 x 100 ELU, He normal, digits, SGD with momentum 0.9, batch 64,
5 epochs. The rate 0.1 is the smallest of (0.03, 0.1, 0.3, 1.0) at which the unclipped net diverged on every pilot
seed: at 0.03 it trained (val accuracy 0.89-0.95); at 0.1 its gradient norm grew from ~22 to 4e6-7e11 within 10-11
steps, then the loss was NaN. Clipped by norm 1.0 (the chapter's clipnorm=1.0) at 0.1 it reached 0.9 in 1-4 epochs
(final 0.89-0.94); at 0.3 clipping kept the loss finite but reached only 0.68-0.90.

Direction: on each seed's exploding gradient (the largest finite raw gradient of the unclipped run, recorded by
dnnkit.clipping.ClippingProbe), clipping by value 1.0 (the chapter's clipvalue=1.0) versus by norm 1.0, both with
torch.nn.utils' own clip_grad_value_ / clip_grad_norm_. Pilots: cosine to the raw gradient 0.16-0.20 by value
(42-56% of the components clipped), 1.0 by norm.

Caveat found on the seed-base-7 pilot: torch computes the total norm in the gradients' dtype, and past ~1.8e19 the
float32 sum of squares overflows; clip_grad_norm_ then returns inf and zeroes the gradient (3 of 8 seeds' last finite
gradients were 2e19-9e35). The exploding gradient compared is therefore the largest one whose float32 norm is finite.
Pilot at base 7 (8 seeds): clipped reached 0.9 on all (median 3 epochs, final 0.90-0.95), unclipped diverged on all
within 10-14 steps (gradient norm 13-24 -> 4e4-3e15); cosine by value 0.10-0.48, by norm 1.0 (to 5e-15).
"""

from dataclasses import dataclass

from ..evidence.claims import Claim
from ..evidence.knobs import fmt
from ..nn.models import MLPConfig
from ..train.training import FitConfig

SECTION = "gradient_clipping"
GERON = "Geron, Hands-On ML, ch. 11 (Gradient Clipping)"


@dataclass(frozen=True)
class Exploding:
    """clipping-tames-exploding-gradients: a deep net at a rate too large for it, and the clip thresholds."""

    net: MLPConfig
    fit: FitConfig  # lr: the smallest pilot rate at which the unclipped net diverged on every pilot seed
    clip: float  # the chapter's clipnorm=1.0 and clipvalue=1.0
    cosine_delta: float
    same_direction_tol: float


EXPLODING = Exploding(
    net=MLPConfig(n_inputs=64, n_outputs=10, depth=10, width=100, activation="elu"),
    fit=FitConfig(epochs=5, batch_size=64, optimizer="sgd", lr=0.1, optimizer_params={"momentum": 0.9},
                  target=("val_acc", 0.9)),
    clip=1.0, cosine_delta=0.01, same_direction_tol=1e-9,
)
E = EXPLODING

CLAIMS = (
    Claim(
        id="clipping-tames-exploding-gradients", section=SECTION, source=GERON,
        sentence="Gradient clipping mitigates the exploding gradients problem: in a setup whose gradients explode, "
                 "clipping by norm keeps the loss finite and reaches the target accuracy while the unclipped run "
                 "diverges; clipping by value can change the gradient's orientation, clipping by norm preserves it.",
        kind="time_to_target",
        metric=f"epochs until val accuracy >= {E.fit.target[1]} (+inf if never or diverged), {E.net.depth} x "
               f"{E.net.width} {E.net.activation.upper()} He, digits, SGD momentum "
               f"{E.fit.optimizer_params['momentum']} lr {E.fit.lr}, batch {E.fit.batch_size}, {E.fit.epochs} epochs; "
               f"sub-decisions: the clipped loss is finite on every seed (exact); on each seed's largest finite "
               f"unclipped gradient, cosine(clip by value {E.clip}, raw) below cosine(clip by norm {E.clip}, raw) "
               f"(paired, delta {E.cosine_delta}) and the latter >= 1 - {fmt(E.same_direction_tol)} on every seed (exact)",
        direction="less", arms=(f"clip by norm {E.clip}", "unclipped"), delta=1.0, knobs=EXPLODING,
    ),
)
