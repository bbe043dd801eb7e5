"""Unit tests of dnnkit.data: standardization, label handling, offline sets, and the checked file loaders."""

from __future__ import annotations

import gzip
import pickle
import random
import struct

import numpy as np
import pytest
import torch

from dnnkit import data as D

# ------------------------------------------------------------------------------------ standardize


def test_standardize_uses_training_statistics_only():
    g = torch.Generator().manual_seed(0)
    X_tr = torch.randn(500, 4, generator=g) * torch.tensor([1.0, 5.0, 0.1, 2.0]) + 3.0
    X_va = torch.randn(200, 4, generator=g) * 2.0 + 7.0  # shifted: its mean must NOT become 0
    Z_tr, (Z_va,), mean, scale = D.standardize(X_tr, X_va, clip=None)
    assert torch.allclose(Z_tr.mean(0), torch.zeros(4), atol=1e-5)
    assert torch.allclose(Z_tr.std(0, unbiased=False), torch.ones(4), atol=1e-4)
    assert torch.allclose(mean, X_tr.mean(0), atol=1e-5)
    assert torch.allclose(Z_va, (X_va - mean) / scale, atol=1e-4)
    assert (Z_va.mean(0).abs() > 0.5).all()
    assert Z_tr.dtype == torch.float32


def test_standardize_constant_column_gets_scale_one():
    X_tr = torch.randn(100, 3)
    X_tr[:, 1] = 4.0
    X_va = torch.randn(50, 3)
    X_va[:, 1] = 9.0  # with std + 1e-6 this would become ~5e6
    Z_tr, (Z_va,), _, scale = D.standardize(X_tr, X_va, clip=None)
    assert scale[1] == 1.0
    assert torch.all(Z_tr[:, 1] == 0.0)
    assert torch.allclose(Z_va[:, 1], torch.full((50,), 5.0))
    assert torch.isfinite(Z_va).all()


def test_standardize_clips_near_constant_columns_and_none_passes_through():
    X_tr = torch.zeros(1000, 2)
    X_tr[0, 0] = 1.0  # near-constant column: std ~0.03
    X_tr[:, 1] = torch.randn(1000)
    X_va = torch.tensor([[16.0, 0.0]])
    Z_tr, (Z_va, none), _, _ = D.standardize(X_tr, X_va, None, clip=10.0)
    assert none is None
    assert Z_va[0, 0] == 10.0 and Z_tr.abs().max() <= 10.0
    _, (raw,), _, _ = D.standardize(X_tr, X_va, clip=None)
    assert raw[0, 0] > 400
    with pytest.raises(ValueError, match="clip"):
        D.standardize(X_tr, clip=0.0)


# --------------------------------------------------------------------------------- quick-profile sets


def test_digits_shapes_classes_description():
    s = D.load_digits(seed=0)
    assert s.X_train.shape == (1437, 64) and s.X_val.shape == (360, 64) and s.X_test is None
    assert s.X_train.dtype == torch.float32 and s.y_train.dtype == torch.int64
    assert s.n_classes == 10 and s.n_features == 64 and s.name == "digits"
    assert set(s.y_train.tolist()) == set(range(10)) and set(s.y_val.tolist()) == set(range(10))
    assert "1437 train / 360 val" in s.description and "standardized on train" in s.description
    assert s.X_train.mean().abs() < 0.01 and s.X_val.abs().max() <= D.DEFAULT_CLIP
    raw = D.load_digits(seed=0, standardize=False)
    assert raw.X_train.min() == 0 and raw.X_train.max() == 16 and "unstandardized" in raw.description
    assert torch.equal(raw.y_train, s.y_train)
    assert not torch.equal(D.load_digits(seed=1).y_train, s.y_train)


def test_digits_label_subsets_relabel_5_to_9():
    low, high = D.load_digits(labels=range(5)), D.load_digits(labels=range(5, 10))
    assert low.n_classes == high.n_classes == 5
    assert sorted(high.y_train.unique().tolist()) == [0, 1, 2, 3, 4]
    assert "5-9 relabeled 0-4" in high.description
    raw = D.load_digits(labels=range(5, 10), relabel=False)
    assert sorted(raw.y_train.unique().tolist()) == [5, 6, 7, 8, 9] and raw.n_classes == 10


def test_subset_labels_maps_sorted_labels_and_keeps_rows_aligned():
    y = torch.tensor([9, 5, 1, 7, 5, 6, 8, 0])
    X = y.float().unsqueeze(1)  # each row carries its original label
    Xs, ys = D.subset_labels(X, y, [9, 5, 7, 6, 8])
    assert Xs[:, 0].tolist() == [9, 5, 7, 5, 6, 8]
    assert ys.tolist() == [4, 0, 2, 0, 1, 3]
    _, yk = D.subset_labels(X, y, range(5, 10), relabel=False)
    assert yk.tolist() == [9, 5, 7, 5, 6, 8]
    with pytest.raises(ValueError, match=r"\[3\]"):
        D.subset_labels(X, y, [3, 5])


def test_n_per_class_indexes_the_passed_array():
    y = torch.tensor([0, 1, 2] * 10 + [2] * 5)
    X = torch.arange(len(y)).float().unsqueeze(1)
    idx = D.n_per_class(y, 4, generator=torch.Generator().manual_seed(3))
    assert torch.bincount(y[idx]).tolist() == [4, 4, 4]
    assert torch.equal(X[idx, 0].long(), idx)  # indices point into the very array passed
    assert len(set(idx.tolist())) == 12
    again = D.n_per_class(y, 4, generator=torch.Generator().manual_seed(3))
    other = D.n_per_class(y, 4, generator=torch.Generator().manual_seed(4))
    assert torch.equal(idx, again) and not torch.equal(idx, other)


def test_n_per_class_on_a_filtered_subset_pairs_images_with_their_labels():
    s = D.load_digits(standardize=False)
    X5, y5 = D.subset_labels(s.X_train, s.y_train, range(5, 10), relabel=False)
    idx = D.n_per_class(y5, 3, generator=torch.Generator().manual_seed(0))
    assert idx.max() < len(y5)
    # each chosen image is the one that carried this label before filtering
    full_pos = torch.isin(s.y_train, torch.arange(5, 10)).nonzero().squeeze(1)[idx]
    assert torch.equal(s.X_train[full_pos], X5[idx]) and torch.equal(s.y_train[full_pos], y5[idx])


def test_n_per_class_too_few_raises_unless_allowed():
    y = torch.tensor([0] * 10 + [1] * 2)
    with pytest.raises(ValueError, match=r"class 1 has 2 examples, fewer than the 5"):
        D.n_per_class(y, 5, generator=torch.Generator().manual_seed(0))
    idx = D.n_per_class(y, 5, generator=torch.Generator().manual_seed(0), allow_fewer=True)
    assert torch.bincount(y[idx]).tolist() == [5, 2]


def test_check_labels_names_values_and_head_size():
    with pytest.raises(ValueError) as err:
        D.check_labels(torch.tensor([0, 5, 6, 7, 8, 9, 9]), 5)
    msg = str(err.value)
    assert "[5, 6, 7, 8, 9]" in msg and "5-way" in msg and "0..4" in msg and "subset_labels" in msg
    D.check_labels(torch.tensor([0, 4]), 5)
    with pytest.raises(ValueError, match="integer"):
        D.check_labels(torch.tensor([0.0, 1.0]), 5)


def test_check_features_reports_nan_count_and_first_index():
    X = torch.zeros(4, 3)
    X[2, 1] = float("nan")
    X[3, 0] = float("inf")
    with pytest.raises(ValueError, match=r"2 NaN/inf value\(s\), first at index \(2, 1\)"):
        D.check_features(X, "X_train")
    with pytest.raises(ValueError, match="2-D floating-point"):
        D.check_features(torch.zeros(3), "X")
    with pytest.raises(ValueError, match="2-D floating-point"):
        D.check_features(torch.zeros(3, 2, dtype=torch.int64), "X")


def test_split_rejects_bad_labels_and_moves_device():
    X, y = torch.zeros(4, 2), torch.tensor([0, 1, 2, 7])
    with pytest.raises(ValueError, match="3-way"):
        D.Split(X, y, X, y, None, None, 3, "t", "t")
    s = D.load_digits().to("cpu")
    assert s.X_train.device.type == "cpu" and s.n_features == 64


def test_blobs_scale_spread_spans_orders_of_magnitude():
    s = D.make_blobs_classification(1200, 10, 4, seed=0, scale_spread=6)
    std = s.X_train.std(0)
    assert 1e5 < std.max() / std.min() < 1e7
    assert "unstandardized" in s.description and s.n_classes == 4
    z = D.make_blobs_classification(1200, 10, 4, seed=0, scale_spread=6, standardize=True)
    assert torch.allclose(z.X_train.std(0), torch.ones(10), atol=0.02)
    plain = D.make_blobs_classification(300, 5, 3, seed=1)
    assert "standardized on train" in plain.description and len(plain.y_val) == 60


def test_mnist1d_offline_sizes_no_files_and_rng_untouched(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.random.seed(123)
    random.seed(123)
    expected_np, expected_py = np.random.rand(), random.random()
    np.random.seed(123)
    random.seed(123)
    s = D.load_mnist1d(n_train=395, n_val=102, seed=1)
    assert np.random.rand() == expected_np and random.random() == expected_py
    assert s.X_train.shape == (395, 40) and s.X_val.shape == (102, 40) and s.n_classes == 10
    assert set(s.y_train.tolist()) == set(range(10))
    assert list(tmp_path.iterdir()) == []
    again = D.load_mnist1d(n_train=395, n_val=102, seed=1)
    assert torch.equal(s.X_train, again.X_train)


# ------------------------------------------------------------------------------------ IDX (MNIST)


def _idx_bytes(arr: np.ndarray, magic: int) -> bytes:
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in arr.shape) + arr.tobytes()


def _write_mnist(folder, *, gz: bool, n_train=30, n_test=10, rows=28, cols=28):
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": (rng.integers(0, 256, (n_train, rows, cols), dtype=np.uint8), 2051),
        "train-labels-idx1-ubyte": (np.arange(n_train, dtype=np.uint8) % 10, 2049),
        "t10k-images-idx3-ubyte": (rng.integers(0, 256, (n_test, rows, cols), dtype=np.uint8), 2051),
        "t10k-labels-idx1-ubyte": (np.arange(n_test, dtype=np.uint8)[::-1] % 10, 2049),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, (arr, magic) in arrays.items():
        raw = _idx_bytes(arr, magic)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return [a for a, _ in arrays.values()]


@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path, gz):
    arrays = _write_mnist(tmp_path, gz=gz)
    out = D.load_mnist_idx(tmp_path, kind="fashion")
    for got, want in zip(out, arrays, strict=True):
        assert np.array_equal(got.numpy(), want)
    assert out[0].dtype == torch.uint8 and out[1].dtype == torch.int64


def test_idx_torchvision_layout_and_mnist_split(tmp_path):
    _write_mnist(tmp_path / "MNIST" / "raw", gz=True, n_train=100, n_test=20)
    s = D.mnist_split(tmp_path, n_val=20, seed=0)
    assert s.X_train.shape == (80, 784) and s.X_val.shape == (20, 784) and s.X_test.shape == (20, 784)
    assert torch.bincount(s.y_val).tolist() == [2] * 10  # stratified
    assert "80 train / 20 val" in s.description and s.name == "mnist"






# ------------------------------------------------------------------------------------------ CIFAR


def _write_cifar(folder, n=20, protocol=2, legacy_numpy_names=False):
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"batch_label": name.encode(), b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 b"labels": [int(v) for v in rng.integers(0, 10, n)]}
        raw = pickle.dumps(batch, protocol=protocol)
        if legacy_numpy_names:  # how the original (numpy 1.x, Python 2) batches name the helpers
            raw = raw.replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
        (folder / name).write_bytes(raw)
        batches[name] = batch
    return batches


@pytest.mark.parametrize(("protocol", "legacy"), [(2, True), (2, False), (5, False)])
def test_cifar_round_trip(tmp_path, protocol, legacy):
    batches = _write_cifar(tmp_path / "cifar-10-batches-py", protocol=protocol, legacy_numpy_names=legacy)
    X_tr, y_tr, X_te, y_te = D.load_cifar10(tmp_path)
    assert X_tr.shape == (100, 3, 32, 32) and X_tr.dtype == torch.uint8 and y_tr.dtype == torch.int64
    want = np.concatenate([batches[f"data_batch_{i}"][b"data"] for i in range(1, 6)])
    assert np.array_equal(X_tr.reshape(100, -1).numpy(), want)
    assert y_te.tolist() == batches["test_batch"][b"labels"]
    assert np.array_equal(X_te.reshape(20, -1).numpy(), batches["test_batch"][b"data"])


def test_cifar10_split(tmp_path):
    _write_cifar(tmp_path / "cifar-10-batches-py", n=40)
    s = D.cifar10_split(tmp_path, n_val=50, n_train=100, seed=0)
    assert s.X_train.shape == (100, 3072) and s.X_val.shape == (50, 3072) and s.X_test.shape == (40, 3072)
    assert s.X_train.dtype == torch.float32 and s.n_classes == 10
