"""The MNIST idx reader on tiny files the test writes, and the data-set error messages."""

import gzip
import struct

import numpy as np
import pytest

from nnviz3d.datasets import load_mnist, normalise, one_hot, read_idx
from nnviz3d.errors import UserError


def write_idx(path, array, gz=False):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.tobytes()
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(data)


def make_mnist(folder, gz, n_train=6):
    rng = np.random.default_rng(0)
    names = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": np.resize(np.array([5, 0, 4, 1, 9, 2], dtype=np.uint8), n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": np.array([7, 2, 1], dtype=np.uint8),
    }
    for name, array in names.items():
        write_idx(folder / (name + (".gz" if gz else "")), array, gz)
    return names


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reader_round_trips(tmp_path, gz):
    names = make_mnist(tmp_path, gz)
    train_x, train_t, test_x, test_t = load_mnist(tmp_path)
    np.testing.assert_array_equal(test_t.argmax(axis=1), names["t10k-labels-idx1-ubyte"])
    assert train_x.shape == (6, 784) and test_x.shape == (3, 784)
    assert train_x.min() == 0 and train_x.max() == 1
    np.testing.assert_array_equal(train_t.argmax(axis=1), names["train-labels-idx1-ubyte"])
    raw = names["train-images-idx3-ubyte"].reshape(6, -1).astype(float)
    np.testing.assert_allclose(train_x, (raw - raw.min()) / (raw.max() - raw.min()))
    assert load_mnist(tmp_path, limit=4)[0].shape == (4, 784)


def test_idx_errors(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(UserError, match="bad magic number"):
        read_idx(bad)
    short = tmp_path / "short"
    write_idx(short, np.zeros((4, 3), dtype=np.uint8))
    short.write_bytes(short.read_bytes()[:-2])
    with pytest.raises(UserError, match="truncated"):
        read_idx(short)
    with pytest.raises(UserError, match="not found"):
        load_mnist(tmp_path / "nowhere")
    with pytest.raises(UserError, match="train-images-idx3-ubyte"):
        load_mnist(tmp_path)


def test_normalise_and_one_hot():
    np.testing.assert_array_equal(normalise(np.full((2, 2, 2), 7)), np.zeros((2, 4)))
    np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])


def test_digits_without_scikit_learn_says_what_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    from nnviz3d.datasets import load_digits

    with pytest.raises(UserError, match=r"pip install -e '\.\[digits\]'"):
        load_digits()


def test_mnist_scene_from_a_data_dir(tmp_path, capsys):
    from pathlib import Path

    from nnviz3d.cli import main

    make_mnist(tmp_path, gz=True, n_train=250)  # 3 mini-batches of 100
    scene = str(Path(__file__).resolve().parent.parent / "scenes" / "mnist.toml")
    assert main(["inspect", scene, "--data-dir", str(tmp_path), "--epoch", "1", "--gradcheck"]) == 0
    assert "1 batch 1: 45360 parameters" in capsys.readouterr().out
    assert main(["steps", scene, "--data-dir", str(tmp_path / "missing")]) == 2
    assert "MNIST folder" in capsys.readouterr().err
