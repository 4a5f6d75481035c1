"""Real data sets for the larger scenes: MNIST from its idx files, and scikit-learn's 8x8
digits (shipped inside scikit-learn, so a demo runs with nothing downloaded).

Inputs are min-max normalised to [0, 1] and labels become one-hot rows, as in seed 001.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from nnviz3d.errors import UserError

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def read_idx(path: Path) -> np.ndarray:
    """An idx file (plain or .gz) as an array of its declared type and shape."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:
        raise UserError(f"cannot read {path}: {exc}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise UserError(f"{path} is not an idx file (bad magic number)")
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise UserError(f"{path} is truncated (no room for its {ndim} dimensions)")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[data[2]])
    count = int(np.prod(shape)) if shape else 0
    body = data[4 + 4 * ndim :]
    if len(body) != count * dtype.itemsize:
        raise UserError(f"{path} is truncated: {len(body)} bytes of data, {count * dtype.itemsize} expected")
    return np.frombuffer(body, dtype=dtype).reshape(shape)


def _find(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise UserError(f"MNIST file {stem}[.gz] not found in {str(folder)!r}")


def normalise(images: np.ndarray) -> np.ndarray:
    """Min-max to [0, 1] over the whole set (a constant set becomes zeros)."""
    x = images.reshape(len(images), -1).astype(np.float64)
    lo, hi = x.min(), x.max()
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def one_hot(labels: np.ndarray, n_classes: int = 10) -> np.ndarray:
    return np.eye(n_classes)[labels.astype(int)]


def load_mnist(folder: str | Path, limit: int | None = None) -> tuple[np.ndarray, ...]:
    """(train_x, train_t, test_x, test_t) from the four standard idx files in ``folder``."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise UserError(f"MNIST folder {str(folder)!r} not found (set [data] dir or --data-dir)")
    arrays = {key: read_idx(_find(folder, stem)) for key, stem in MNIST_FILES.items()}
    for part in ("train", "test"):
        if len(arrays[f"{part}_images"]) != len(arrays[f"{part}_labels"]):
            raise UserError(f"MNIST {part} images and labels differ in count")
    train_x, train_t = arrays["train_images"][:limit], arrays["train_labels"][:limit]
    return (
        normalise(train_x),
        one_hot(train_t),
        normalise(arrays["test_images"]),
        one_hot(arrays["test_labels"]),
    )


def load_digits(limit: int | None = None, test_fraction: float = 0.2) -> tuple[np.ndarray, ...]:
    """scikit-learn's 8x8 digits, split deterministically into train and test."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise UserError(
            "the digits scene needs scikit-learn: pip install -e '.[digits]' (or pip install scikit-learn)"
        ) from None
    bunch = sklearn_digits()
    x, labels = normalise(bunch.images), bunch.target
    n_test = round(len(x) * test_fraction)
    train_x, train_t = x[n_test:][:limit], one_hot(labels[n_test:][:limit])
    return train_x, train_t, x[:n_test], one_hot(labels[:n_test])
