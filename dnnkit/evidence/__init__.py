"""Layer 4, evidence: claims and their run context, statistical tests, timing, provenance, device resolution and
the benchmark regression gate, the machine fingerprint and calibration kernels, and the stored-baseline
comparison modes: what turns runs into verdicts. May import dnnkit.train and everything below it
(nn, optim, data, seeds); free of pytest."""
