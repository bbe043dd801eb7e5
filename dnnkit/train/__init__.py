"""Layer 3, training: fit and its per-epoch bookkeeping, the seed ensemble, checkpoints, experiment helpers
(arms, learning-rate selection), the learning-rate finder and gradient clipping. May import dnnkit.nn,
dnnkit.optim, dnnkit.data and dnnkit.seeds;
nothing that judges the results."""
