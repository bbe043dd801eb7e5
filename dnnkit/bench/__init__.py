"""`dnnkit bench`: benchmark regressions in CI. `--base REF` times the base commit's and this checkout's kernels in
interleaved rounds on one runner (ab, worker); `--compare BASELINE CURRENT` compares two stored benchmark files in
the mode their machine fingerprints allow (dnnkit.evidence.baseline_compare). Sits on top, beside the report."""
