"""Recording someone else's training: your own numpy loop, and a PyTorch model (issue 10)."""

import importlib.util
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from nnviz3d import ChainRuleError, Recorder, UserError
from nnviz3d.recorder import train
from nnviz3d.scene import load_scene
from nnviz3d.tracefile import load_trace

ROOT = Path(__file__).resolve().parents[1]
SHOWN = (1, 2, 3, 1998, 1999, 2000)
FIELDS = ("weights_before", "preactivations", "activations", "activation_grads", "deltas", "weight_gradients",
          "weights_after")  # fmt: skip


def _largest_difference(ref, got) -> float:
    worst = 0.0
    assert ref.updates.keys() == got.updates.keys()
    for key, u in ref.updates.items():
        v = got.updates[key]
        for name in FIELDS:
            for a, b in zip(getattr(u, name), getattr(v, name), strict=True):
                worst = max(worst, float(np.max(np.abs(a - b))))
        worst = max(worst, abs(u.loss - v.loss), abs(u.mean_abs_error - v.mean_abs_error))
    for name in ("loss", "mean_abs_error", "weight_stats", "update_size"):
        worst = max(worst, float(np.max(np.abs(getattr(ref.summaries, name) - getattr(got.summaries, name)))))
    return worst


@pytest.fixture(scope="module")
def builtin():
    """The built-in trainer on seed 000, 2000 iterations."""
    return train(replace(load_scene().network, epochs=2000), SHOWN)


def _example():
    spec = importlib.util.spec_from_file_location("iamtrask_numpy", ROOT / "examples" / "iamtrask_numpy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_eleven_line_loop_records_exactly_what_the_builtin_trainer_computes(tmp_path, builtin):
    out = tmp_path / "own.npz"
    _example().main(str(out), 2000)
    got, video = load_trace(out)
    assert _largest_difference(builtin, got) == 0.0  # the same arithmetic, bit for bit
    assert video["epochs"] == list(SHOWN)
    assert got.updates[(1, 1)].activations[0][0, 0] == pytest.approx(0.44856632, abs=1e-8)  # seed 000


def _iamtrask_step(syn0, syn1, X, y, bug=None):
    l1 = 1 / (1 + np.exp(-(X @ syn0)))
    l2 = 1 / (1 + np.exp(-(l1 @ syn1)))
    l2_delta = (y - l2) * l2 * (1 - l2)
    if bug == "slope":  # the classic slip: the slope of z instead of the activation's
        l1_delta = l2_delta.dot(syn1.T) * (X @ syn0) * (1 - X @ syn0)
    else:
        l1_delta = l2_delta.dot(syn1.T) * l1 * (1 - l1)
    new1 = syn1 + l1.T.dot(l2_delta)
    new0 = syn0 + X.T.dot(l1_delta) * (2 if bug == "update" else 1)
    return l1, l2, l1_delta, l2_delta, new0, new1


def test_a_buggy_backprop_is_caught_and_named():
    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    np.random.seed(1)
    syn0, syn1 = 2 * np.random.random((3, 4)) - 1, 2 * np.random.random((4, 1)) - 1
    for bug, words in (
        ("slope", "deltas[0] (l1_delta) disagrees"),
        ("update", "weights_after[0] (syn0) disagrees"),
    ):
        rec = Recorder([3, 4, 1], ["sigmoid", "sigmoid"], X, y)
        l1, l2, d1, d2, n0, n1 = _iamtrask_step(syn0, syn1, X, y, bug)
        with pytest.raises(ChainRuleError, match=re.escape(words)) as info:
            rec.record(1, X, y, [syn0, syn1], [l1, l2], [d1, d2], [n0, n1])
        assert "epoch 1 batch 1" in str(info.value) and "by " in str(info.value)
        # an update that is not the rule's says what the rule is
        assert ("only plain SGD" in str(info.value)) == (bug == "update")
    rec = Recorder([3, 4, 1], ["sigmoid", "sigmoid"], X, y)  # and a correct step passes, either sign
    l1, l2, d1, d2, n0, n1 = _iamtrask_step(syn0, syn1, X, y)
    u = rec.record(1, X, y, [syn0, syn1], [l1, l2], [-d1, -d2], [n0, n1])
    np.testing.assert_allclose(u.deltas[1], -d2)  # stored as dLoss/dz


def test_the_recorder_refuses_what_it_cannot_show():
    with pytest.raises(UserError, match="unknown activation 'gelu'"):
        Recorder([2, 1], ["gelu"], np.zeros((1, 2)), np.zeros((1, 1)))
    with pytest.raises(UserError, match=r"inputs must be \(records, 3\)"):
        Recorder([3, 1], ["sigmoid"], np.zeros((4, 2)), np.zeros((4, 1)))
    with pytest.raises(UserError, match="nothing recorded yet"):
        Recorder([3, 1], ["sigmoid"]).trace()


def test_the_builtin_trainer_reports_through_the_same_interface(builtin):
    """``train(..., recorder=rec)`` reports every update to ``nnviz3d.Recorder``, which
    checks each one and summarises each epoch: the same trace, bit for bit."""
    spec = replace(load_scene().network, epochs=2000)
    rec = Recorder(spec.layers, spec.activations, spec.inputs, spec.targets, show="1-3,1998-2000")
    trace = train(spec, SHOWN, recorder=rec)
    assert _largest_difference(trace, rec.trace()) == 0.0
    assert _largest_difference(builtin, rec.trace()) == 0.0
