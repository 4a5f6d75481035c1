"""The maths of a small fully connected network: activations, losses, initial weights.

Everything here is plain numpy on float64 and mirrors the iamtrask code operation for
operation (``np.dot``, ``1/(1+exp(-z))``, ``a*(1-a)``), so that the numbers the animation
shows are bit-for-bit the numbers the original 11-line program prints. Weight matrices
are stored ``(n_in, n_out)`` like iamtrask's ``syn0``; rows of every activation matrix are
the records of a batch.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


def _sigmoid(z: Array) -> Array:
    return 1 / (1 + np.exp(-z))


def _sigmoid_grad(z: Array, a: Array, da: Array) -> Array:
    # iamtrask's nonlin(x, deriv=True) is x*(1-x) evaluated on the activation.
    return da * (a * (1 - a))


def _tanh_grad(z: Array, a: Array, da: Array) -> Array:
    return da * (1 - a * a)


def _relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def _relu_grad(z: Array, a: Array, da: Array) -> Array:
    return da * (z > 0)


def _identity_grad(z: Array, a: Array, da: Array) -> Array:
    return da


def _softmax(z: Array) -> Array:
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _softmax_grad(z: Array, a: Array, da: Array) -> Array:
    # Row-wise Jacobian-vector product of softmax: a * (da - <da, a>).
    return a * (da - (da * a).sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class Activation:
    """A nonlinearity with its backward rule (dL/dz from z, a and dL/da)."""

    name: str
    forward: Callable[[Array], Array]
    backward: Callable[[Array, Array, Array], Array]
    formula: str


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", _sigmoid, _sigmoid_grad, "1/(1+exp(-z))"),
    "tanh": Activation("tanh", np.tanh, _tanh_grad, "tanh(z)"),
    "relu": Activation("relu", _relu, _relu_grad, "max(z, 0)"),
    "identity": Activation("identity", lambda z: z, _identity_grad, "z"),
    "softmax": Activation("softmax", _softmax, _softmax_grad, "exp(z)/sum(exp(z))"),
}

#: how a network's products and exponentials are computed: "numpy" as numpy does on this
#: machine (np.dot through BLAS, np.exp), bit for bit what a numpy program prints here;
#: "portable" the same bits on every machine (see :func:`portable_dot`)
ARITHMETICS = ("numpy", "portable")


def portable_dot(a: Array, b: Array) -> Array:
    """``a @ b`` as ``a[:, 0] b[0] + a[:, 1] b[1] + ...``, term by term from the first, so
    every machine rounds it alike: BLAS picks kernels per processor (Haswell's, SkylakeX's)
    and they add a dot product's terms in orders of their own. Seed 003's author found his
    run differed between two laptops; its chaotic scene (xor_butterfly) on BLAS learned XOR
    on an Intel Xeon and not on an AMD EPYC. One numpy operation per term: for small
    networks only."""
    out = a[:, 0, None] * b[None, 0, :]
    for k in range(1, a.shape[1]):
        out = out + a[:, k, None] * b[None, k, :]
    return out


_LIBM_EXP = np.frompyfunc(math.exp, 1, 1)
_EXP_MAX = math.log(np.finfo(np.float64).max)


def _portable_exp(x: Array) -> Array:
    """exp from the C library (``math.exp``): numpy's own runs a different, AVX-512 code
    on the processors that have it, which can round the last bit differently."""
    x = np.asarray(x, dtype=np.float64)
    big = x > _EXP_MAX  # (math.exp raises where it overflows; numpy's gives inf)
    out = _LIBM_EXP(np.where(big, 0.0, x)).astype(np.float64)
    return np.where(big, np.inf, out)


def _portable_sigmoid(z: Array) -> Array:
    return 1 / (1 + _portable_exp(-z))


def _portable_softmax(z: Array) -> Array:
    shifted = _portable_exp(z - z.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


_LIBM_TANH = np.frompyfunc(math.tanh, 1, 1)


def forward_of(name: str, arithmetic: str = "numpy") -> Callable[[Array], Array]:
    """An activation's forward function in ``arithmetic`` (:data:`ARITHMETICS`)."""
    if arithmetic == "portable":
        portable = {
            "sigmoid": _portable_sigmoid,
            "softmax": _portable_softmax,
            "tanh": lambda z: _LIBM_TANH(np.asarray(z, dtype=np.float64)).astype(np.float64),
        }
        if name in portable:
            return portable[name]
    return ACTIVATIONS[name].forward


LOSSES = ("squared", "cross_entropy")
REDUCTIONS = ("sum", "mean")
INIT_SCHEMES = ("iamtrask", "explicit", "normal", "uniform", "he_normal")

_LOG_FLOOR = 1e-300


def overflow_allowed() -> np.errstate:
    """numpy's floating-point warnings off: a diverging run overflows by design, and its
    NaN/inf are recorded and shown, not warned about (training, timeline, checks)."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore")


def forward(activations: tuple[str, ...], weights, biases, x: Array) -> Array:
    """The network's outputs for inputs ``x`` (rows = records), nothing recorded.

    A diverged network's overflow is expected here (its NaN/inf are shown, not hidden)."""
    a = x
    with overflow_allowed():
        for i, name in enumerate(activations):
            z = np.dot(a, weights[i])
            if biases is not None:
                z = z + biases[i]
            a = ACTIVATIONS[name].forward(z)
    return a


def loss_value(loss: str, output_activation: str, outputs: Array, targets: Array, reduction: str) -> float:
    """The scalar loss of one batch (sum or mean over its records)."""
    per_record = per_record_loss(loss, output_activation, outputs, targets)
    total = float(per_record.sum())
    return total / len(outputs) if reduction == "mean" else total


def per_record_loss(loss: str, output_activation: str, outputs: Array, targets: Array) -> Array:
    """Loss of each record (rows may carry a leading chunk axis)."""
    if loss == "squared":
        return 0.5 * ((outputs - targets) ** 2).sum(axis=-1)
    if output_activation == "sigmoid":
        y = np.clip(outputs, _LOG_FLOOR, 1 - 1e-16)
        return -(targets * np.log(y) + (1 - targets) * np.log1p(-y)).sum(axis=-1)
    return -(targets * np.log(np.maximum(outputs, _LOG_FLOOR))).sum(axis=-1)


def output_delta(
    loss: str, activation: Activation, z: Array, a: Array, targets: Array, scale: float
) -> tuple[Array, Array]:
    """dL/da and dL/dz at the output layer; ``scale`` is 1 (sum) or 1/N (mean).

    Cross-entropy after softmax or sigmoid uses the fused, numerically safe form a - t.
    """
    if loss == "squared":
        da = a - targets if scale == 1.0 else (a - targets) * scale
        return da, activation.backward(z, a, da)
    if activation.name == "sigmoid":
        y = np.clip(a, _LOG_FLOOR, 1 - 1e-16)
        da = (y - targets) / (y * (1 - y)) * scale
    else:
        da = -targets / np.maximum(a, _LOG_FLOOR) * scale
    dz = a - targets if scale == 1.0 else (a - targets) * scale
    return da, dz


def initial_parameters(
    layers: list[int],
    scheme: str,
    *,
    seed: int = 1,
    scale: float = 1.0,
    bias: bool = False,
    weights: list[Array] | None = None,
    biases: list[Array] | None = None,
) -> tuple[list[Array], list[Array] | None]:
    """Initial weights ``(n_in, n_out)`` per layer and biases (None without bias).

    ``iamtrask`` reproduces ``np.random.seed(seed)`` followed by
    ``2*np.random.random((n_in, n_out)) - 1`` layer by layer. ``uniform`` draws biases from
    the same interval as the weights (seed 002); the other schemes start biases at zero.
    """
    shapes = list(itertools.pairwise(layers))
    if scheme == "explicit":
        assert weights is not None
        ws = [np.array(w, dtype=np.float64) for w in weights]
    elif scheme == "iamtrask":
        np.random.seed(seed)
        ws = [2 * np.random.random(shape) - 1 for shape in shapes]
    elif scheme == "he_normal":  # seed 001: N(0, 2/n_in), for ReLU layers
        rng = np.random.default_rng(seed)
        ws = [rng.standard_normal(shape) * np.sqrt(2.0 / shape[0]) for shape in shapes]
    elif scheme == "normal":
        rng = np.random.default_rng(seed)
        ws = [scale * rng.standard_normal(shape) for shape in shapes]
    elif scheme == "uniform":
        rng = np.random.default_rng(seed)
        ws = [rng.uniform(-scale, scale, shape) for shape in shapes]
        if bias and biases is None:  # seed 002: weights and biases alike
            return ws, [rng.uniform(-scale, scale, n_out) for _, n_out in shapes]
    else:  # pragma: no cover - the scene loader rejects unknown schemes
        raise ValueError(f"unknown init scheme {scheme!r}")
    if not bias:
        return ws, None
    if biases is not None:
        return ws, [np.array(b, dtype=np.float64) for b in biases]
    return ws, [np.zeros(n_out) for _, n_out in shapes]
