"""Repo-specific fixtures: the data sets the ablations share. The claim harness itself is dnnkit's pytest plugin."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from dnnkit import data


@pytest.fixture(scope="session")
def digits(data_seed: int) -> data.Split:
    """scikit-learn's digits (offline stand-in for MNIST), standardized on the training split; the split is drawn
    with the seed base (dnnkit's `data_seed` fixture), so a fresh base is a fresh split."""
    return data.load_digits(seed=data_seed)


@pytest.fixture(scope="session")
def digits_raw(data_seed: int) -> data.Split:
    """The same split with raw pixel values 0..16."""
    return data.load_digits(seed=data_seed, standardize=False)


@pytest.fixture(scope="session")
def digits500(digits: data.Split, data_seed: int) -> data.Split:
    """50 training examples per class, one draw per seed base; the full validation split (a set small enough to
    overfit)."""
    idx = data.n_per_class(digits.y_train, 50, generator=torch.Generator().manual_seed(data_seed))
    return replace(digits, X_train=digits.X_train[idx], y_train=digits.y_train[idx],
                   description=digits.description + ", 50 train examples per class")
