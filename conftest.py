"""Repo-specific fixtures: the data sets the ablations share. The claim harness itself is dnnkit's pytest plugin."""

from __future__ import annotations

import pytest

from dnnkit import data


@pytest.fixture(scope="session")
def digits(request: pytest.FixtureRequest) -> data.Split:
    """scikit-learn's digits (offline stand-in for MNIST), standardized on the training split."""
    return data.load_digits(seed=0)


@pytest.fixture(scope="session")
def digits_raw() -> data.Split:
    """The same split with raw pixel values 0..16."""
    return data.load_digits(seed=0, standardize=False)
