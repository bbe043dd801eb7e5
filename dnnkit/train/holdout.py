"""A held-out test set carved from the validation split, for claims whose arms choose something on validation data
(early stopping, a hyperparameter search): they choose on the validation part and are scored on the test part."""

from __future__ import annotations

from dataclasses import replace

import torch

from ..data import Split


def split_validation(split: Split, test_fraction: float = 0.5, seed: int = 0) -> Split:
    """A copy of `split` whose validation rows are divided at random (generator seeded with `seed`) into a smaller
    validation set and a test set of round(test_fraction * n_val) rows. ValueError if the split already has a test
    set or a part would be empty."""
    if split.X_test is not None:
        raise ValueError(f"split {split.name!r} already has a test set")
    n = len(split.X_val)
    n_test = round(test_fraction * n) if isinstance(test_fraction, float) and 0 < test_fraction < 1 else 0
    if not 0 < n_test < n:
        raise ValueError(f"test_fraction={test_fraction!r} leaves an empty part of {n} validation rows; allowed: a "
                         "float in (0, 1) giving at least one row to each part")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).to(split.X_val.device)
    test, val = perm[:n_test], perm[n_test:]
    return replace(split, X_val=split.X_val[val], y_val=split.y_val[val], X_test=split.X_val[test],
                   y_test=split.y_val[test], description=f"{split.description}; validation split in {n - n_test} "
                   f"validation / {n_test} test rows")
