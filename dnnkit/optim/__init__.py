"""Layer 2, the optimizers: optimizer factory, FTRL, learning-rate schedules and the
quadratic bowl the optimizer claims run on. May import dnnkit.nn (and torch); nothing above."""
