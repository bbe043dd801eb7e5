"""Claims of the section "Learning Rate Scheduling" (and its learning-rate finder).

Design of the two schedule claims (declared before their evidence run): MNIST-1D (2000 train / 1000 val, generated
offline, seed 0, standardized on train), 40-2x64-10 ELU/He, SGD with momentum 0.9, batch 128, a fixed budget of 15
epochs; the metric is the final (last-epoch) validation accuracy. Digits was tried first and has no room: at 10
epochs every schedule and the best constant rate ended at 96.5-96.8% (4 pilot seeds). The schedules' own
hyperparameters are the chapter's (25-epoch Keras examples) scaled to the budget E = 15: exponential s = 0.8 E (the
chapter's s = 20 of 25), stepped per epoch; performance = ReduceLROnPlateau(factor 0.5, patience 0.2 E = 3) on the
validation loss; power s = 0.25 E, c = 1, per epoch; piecewise constant eta0 until 0.2 E, eta0/2 until 0.6 E, then
eta0/10 (the chapter's [5, 15] boundaries of 25 with 0.01, 0.005, 0.001); 1cycle = dnnkit.schedules.one_cycle (the
chapter's, per batch, peak max_lr at the middle of the first ~90%, start and end of the cycle max_lr/10, then down
to max_lr/10/1000).

Every arm's rate (eta0, or max_lr for 1cycle) comes from the same grid {0.03, 0.06, 0.1, 0.2, 0.3, 0.6, 1.0}, chosen
once on 8 pilot seeds (seed base 7, role "pilot", id "schedules-speed-convergence", reps 0-7) by the median final
validation accuracy, and shared by both claims. Pilot medians (rates in grid order):
  constant     .467 .490 .507 .503 .440 .096 .095  -> 0.1
  exponential  .390 .442 .477 .511 .511 .111 -inf  -> 0.3
  performance  .467 .497 .524 .529 .536 .099 -inf  -> 0.3
  power        .407 .454 .491 .514 .517 .113 -inf  -> 0.3
  piecewise    .407 .457 .498 .510 .519 .101 .101  -> 0.3
  1cycle       .425 .475 .512 .532 .540 .100 .103  -> 0.3
Paired differences against the best constant rate on those 8 pilots (mean, wins): exponential +0.009 (5/8),
performance +0.029 (8/8), 1cycle +0.037 (8/8), power +0.016 (6/8), piecewise +0.015 (6/8). So exponential decay
is expected to be borderline at this scale; a 25-epoch pilot gave the same picture (+0.011, 6/8). Epochs to a
target accuracy were not used: 1cycle's warm-up makes it reach 0.45 later than the constant rate (8-9 vs 6-7
epochs on 4 pilots) although it ends higher, so "speeds up convergence" is read as "ends better at a fixed budget",
the issue's second reading.

lr-finder-trains: digits (standardized), 64-2x32-10 ELU/He, plain SGD (the chapter's find_learning_rate runs on
SGD), batch 32. Per seed, dnnkit.lr_finder.find_lr (rate from 1e-4 growing to 10 over one epoch, stopped when the
smoothed loss explodes; suggestion = the rate at the smoothed loss's minimum / 10) on the seed's freshly
initialized net; then the same initialization trains at the suggestion and at 10x it, at most 10 epochs, stopping
at the target val acc 0.95. Pilots (6 seeds): suggestions 0.12-0.21; the suggestion reached 0.95 in 2-4 epochs on
all 6, 10x diverged on all 6 (0.1x reached 91-94%, never 0.95 in 10 epochs).
"""

from ..claims import Claim

SECTION = "schedules"
GERON = "Geron, Hands-On ML, ch. 11 (Learning Rate Scheduling)"
BUDGET = ("final validation accuracy after 15 epochs (MNIST-1D 2000/1000, 40-2x64-10 ELU/He, SGD momentum 0.9, "
          "batch 128), each arm at its own grid rate (constant 0.1, every schedule 0.3)")
SEEDS = {"quick": 8, "full": 20}

CLAIMS = (
    Claim(
        id="schedules-speed-convergence", section=SECTION, source=GERON,
        sentence="Exponential decay, performance scheduling and 1cycle speed up convergence: each reaches a better "
                 "model within the same number of epochs than the best constant learning rate.",
        kind="paired", metric=f"{BUDGET}; one sub-decision per schedule against the best constant rate of the grid",
        direction="greater", arms=("exponential / performance / 1cycle", "best constant rate"), delta=0.01,
        design="paired", seeds=SEEDS,
    ),
    Claim(
        id="one-cycle-best", section=SECTION, source=GERON + "; the chapter's default configuration table: 1cycle",
        sentence="1cycle scheduling matches or beats the other learning-rate schedules at an equal number of "
                 "epochs (the chapter recommends it by default).",
        kind="paired",
        metric=f"{BUDGET}; non-inferiority with margin 0.01: 1cycle vs (other schedule - 0.01), one-sided, one "
               "sub-decision per schedule (exponential, performance, power, piecewise constant)",
        direction="greater", arms=("1cycle", "other schedule - margin"), delta=0.01, design="paired", seeds=SEEDS,
    ),
    Claim(
        id="lr-finder-trains", section=SECTION, source=GERON + " (finding a good learning rate; exercise: search "
                                                         "for the right rate whenever the architecture changes)",
        sentence="The learning rate the LR finder suggests (about 10 times below the rate where the loss starts to "
                 "climb) trains the net to the target; ten times that rate diverges or does clearly worse.",
        kind="time_to_target",
        metric="epochs until val acc >= 0.95 (digits, 64-2x32-10 ELU/He, plain SGD, batch 32, at most 10 epochs; "
               "+inf if never or diverged), the seed's suggestion vs 10x it on the same init; sub-decision: the "
               "suggestion reaches the target on every seed (exact)",
        direction="less", arms=("suggested rate", "10x suggested rate"), delta=1.0, design="paired", seeds=SEEDS,
    ),
)
