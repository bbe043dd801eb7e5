"""Layer 4, evidence: claims and their run context, seeds, statistical tests, timing, provenance, device
resolution, the benchmark regression gate and the verdict-stability check: what turns runs into verdicts.
May import dnnkit.train and everything below it (nn, optim, data); free of pytest."""
