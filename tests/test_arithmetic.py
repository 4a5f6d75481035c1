"""Portable arithmetic: a chaotic run (seed 003's butterfly) gives the same bits on every
machine -- products summed term by term from the first, exp and tanh from the C library --
while the default stays numpy's, bit for bit what a numpy program prints on this machine."""

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from nnviz3d.errors import UserError
from nnviz3d.mlp import _portable_exp, forward_of, portable_dot
from nnviz3d.recorder import train
from nnviz3d.scene import load_scene, scene_from_dict
from nnviz3d.tracefile import load_trace, save_trace

ROOT = Path(__file__).resolve().parent.parent


def test_a_portable_product_adds_its_terms_in_order_from_the_first():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((4, 9)), rng.standard_normal((9, 3))
    got = portable_dot(a, b)
    for i in range(4):
        for j in range(3):
            total = a[i, 0] * b[0, j]
            for k in range(1, 9):
                total = total + a[i, k] * b[k, j]  # (Python floats: IEEE doubles, no FMA)
            assert got[i, j] == total  # bit for bit
    np.testing.assert_allclose(got, a @ b, rtol=1e-13)
    assert portable_dot(a[:, :1], b[:1]).tolist() == (a[:, :1] * b[:1]).tolist()  # one term


def test_portable_exp_is_the_c_librarys_and_overflows_as_numpy_does():
    z = np.array([[-745.2, -1.5, 0.0, 0.3], [1.0, 709.7, 710.0, np.inf]])
    got = _portable_exp(z)
    assert got[0].tolist() == [math.exp(v) for v in z[0]]
    assert got[1, :2].tolist() == [math.exp(1.0), math.exp(709.7)]
    assert np.isinf(got[1, 2:]).all()  # (math.exp raises there)
    assert np.isnan(_portable_exp(np.array([np.nan])))[0] and _portable_exp(np.array([-np.inf]))[0] == 0
    sig = forward_of("sigmoid", "portable")(np.array([[0.25, -3.0]]))
    assert sig.tolist() == [[1 / (1 + math.exp(-0.25)), 1 / (1 + math.exp(3.0))]]
    soft = forward_of("softmax", "portable")(np.array([[1.0, 2.0]]))
    e = math.exp(1.0 - 2.0)
    assert soft.tolist() == [[e / (e + 1.0), 1.0 / (e + 1.0)]]
    assert forward_of("tanh", "portable")(np.array([0.5])).tolist() == [math.tanh(0.5)]
    assert forward_of("sigmoid") is forward_of("sigmoid", "numpy")  # numpy's, by default


def test_the_butterfly_trains_in_portable_arithmetic_and_iamtrask_in_numpys():
    """The butterfly's first update is what term-by-term sums and the C library's exp give
    (pure Python, here); iamtrask keeps np.dot, bit for bit its own program's numbers."""
    scene = load_scene(ROOT / "scenes" / "xor_butterfly.toml")
    spec = scene.network
    assert spec.arithmetic == "portable" and load_scene().network.arithmetic == "numpy"
    u = train(replace(spec, epochs=1), [1]).updates[(1, 1)]
    x, w0, w1, b0 = spec.inputs.tolist(), spec.weights[0].tolist(), spec.weights[1].tolist(), spec.biases[0]
    for r in range(4):
        z = [sum_in_order([x[r][k] * w0[k][j] for k in range(2)]) + b0[j] for j in range(3)]
        hidden = [1 / (1 + math.exp(-v)) for v in z]
        assert u.activations[0][r].tolist() == hidden
        z2 = [sum_in_order([hidden[k] * w1[k][j] for k in range(3)]) + spec.biases[1][j] for j in range(2)]
        top = max(z2)
        e = [math.exp(v - top) for v in z2]
        assert u.activations[1][r].tolist() == [v / sum_in_order(e) for v in e]
    # iamtrask: np.dot's numbers
    iam = load_scene().network
    first = train(replace(iam, epochs=1), [1]).updates[(1, 1)]
    np.testing.assert_array_equal(first.activations[0], 1 / (1 + np.exp(-np.dot(iam.inputs, iam.weights[0]))))


def sum_in_order(terms: list[float]) -> float:
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def test_the_arithmetic_is_checked_and_kept_in_a_trace_file(tmp_path):
    raw = {"network": {"layers": [2, 1], "activations": ["sigmoid"], "arithmetic": "fast"},
           "data": {"inputs": [[0, 1]], "targets": [[1]]}}  # fmt: skip
    wrong = r"\[network\] arithmetic: must be one of numpy, portable; got .fast."
    with pytest.raises(UserError, match=wrong):
        scene_from_dict(raw)
    spec = replace(load_scene(ROOT / "scenes" / "xor_butterfly.toml").network, epochs=3)
    path = tmp_path / "run.npz"
    save_trace(train(spec, [3]), path)
    assert load_trace(path)[0].spec.arithmetic == "portable"
