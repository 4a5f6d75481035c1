"""Backpropagation checked against central differences (what seeds 001 and 002 do by hand).

The recorded gradients of one update are compared with ``(L(w+h) - L(w-h)) / 2h`` for
every weight and bias, with the loss recomputed from scratch by a separate forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz3d.mlp import forward, overflow_allowed, per_record_loss
from nnviz3d.recorder import NetworkSpec, UpdateRecord


@dataclass(frozen=True)
class GradCheck:
    """The worst disagreement between backpropagation and central differences."""

    max_relative: float
    max_absolute: float
    worst: str  # which parameter, e.g. "syn0[2,1]"
    n_params: int


def batch_loss(spec: NetworkSpec, weights, biases, x: np.ndarray, t: np.ndarray) -> float:
    a = forward(spec.activations, weights, biases, x)
    total = float(per_record_loss(spec.loss, spec.activations[-1], a, t).sum())
    return total / len(x) if spec.reduction == "mean" else total


def gradient_check(spec: NetworkSpec, u: UpdateRecord, h: float = 1e-6) -> GradCheck:
    """Compare every gradient of update ``u`` with a central difference of step ``h``."""
    weights = [w.copy() for w in u.weights_before]
    biases = [b.copy() for b in u.biases_before] if u.biases_before is not None else None
    params = [(f"syn{k}", weights[k], u.weight_gradients[k]) for k in range(len(weights))]
    if biases is not None and u.bias_gradients is not None:
        params += [(f"b{k}", biases[k], u.bias_gradients[k]) for k in range(len(biases))]
    worst_rel, worst_abs, worst = 0.0, 0.0, ""
    n = 0
    # gradients far below the largest one (ReLU's dead units, tiny deltas) are judged by
    # their absolute difference: their relative one is rounding noise
    floor = max(1e-8, 1e-3 * max(float(np.max(np.abs(g))) for _, _, g in params))
    with overflow_allowed():
        for name, array, grad in params:
            for idx in np.ndindex(*array.shape):
                saved = array[idx]
                array[idx] = saved + h
                plus = batch_loss(spec, weights, biases, u.inputs, u.targets)
                array[idx] = saved - h
                minus = batch_loss(spec, weights, biases, u.inputs, u.targets)
                array[idx] = saved
                numeric = (plus - minus) / (2 * h)
                analytic = float(grad[idx])
                diff = abs(numeric - analytic)
                rel = diff / max(abs(numeric), abs(analytic), floor)
                n += 1
                if rel > worst_rel or not worst:
                    worst_rel, worst = rel, f"{name}[{','.join(map(str, idx))}]"
                worst_abs = max(worst_abs, diff)
    return GradCheck(worst_rel, worst_abs, worst, n)
