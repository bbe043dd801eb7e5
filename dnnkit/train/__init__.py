"""Layer 3, training: fit and its per-epoch bookkeeping, the seed ensemble, checkpoints, experiment helpers
(arms, learning-rate selection) and gradient clipping. May import dnnkit.nn, dnnkit.optim and dnnkit.data;
nothing that judges the results."""
