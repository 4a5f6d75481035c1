"""Record a PyTorch training loop: ``nnviz3d.torch.Recorder(model)``.

::

    from nnviz3d.torch import Recorder
    rec = Recorder(model, show="1-3,1998-2000")
    for epoch in range(1, n + 1):
        for x, t in batches:
            with rec.step(x, t, epoch=epoch) as h:   # forward, loss, backward, step inside
                loss = loss_fn(model(x), t)
                opt.zero_grad(); loss.backward(); opt.step()
                h.loss = loss                        # optional: captured from loss.backward()
    rec.save("run.npz")                              # nnviz3d render --trace run.npz

The model is an ``nn.Sequential`` of ``nn.Linear`` layers, each optionally followed by
one activation module (Sigmoid, Tanh, ReLU, Identity, Softmax; none is the identity).
How each number is taken:

- z, each Linear's output, through a forward hook; dLoss/dz through a hook on that tensor
  (not ``register_full_backward_hook``, which warns on the first layer);
- a, the activation module's output (z itself where there is none);
- the weights before and after the step, copied; torch keeps them (out, in), the trace
  (in, out) like iamtrask's syn0.

The loss, its reduction and the learning rate are recognised from the first step's numbers
(dLoss/dz at the output against 1/2 sum of squares and cross-entropy, summed or averaged;
``MSELoss``, a mean of squares without the 1/2, is recorded as 1/2 sum of squares averaged
over the batch with the learning rate times 2/n_out, which moves the weights alike;
the change of the weights against the gradient), so plain SGD is expected: momentum,
Adam or weight decay are refused by the chain-rule check with the array that disagrees.
Everything is kept in the model's dtype; float32 runs are checked to 1e-4 relative.
The loss is ``h.loss`` where given, else the scalar ``.backward()`` was called on inside the
step (captured by wrapping ``torch.Tensor.backward`` for the block's duration); neither:
not recorded (``inspect`` shows null).
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from nnviz3d.errors import UserError
from nnviz3d.mlp import ACTIVATIONS, output_delta
from nnviz3d.record import TOLERANCE, close_enough
from nnviz3d.record import Recorder as _Recorder

ACTIVATION_MODULES: dict[type, str] = {
    nn.Sigmoid: "sigmoid",
    nn.Tanh: "tanh",
    nn.ReLU: "relu",
    nn.Identity: "identity",
    nn.Softmax: "softmax",
}


@dataclass
class StepHandle:
    """What ``rec.step`` yields: set ``loss`` to your loss tensor (or float) to record it."""

    loss: Any = None


def _layers(model: nn.Module) -> list[tuple[nn.Linear, nn.Module | None, str]]:
    """(Linear, its activation module or None, activation name) per layer; anything else
    is refused, naming the module and where it is."""
    if not isinstance(model, nn.Sequential):
        raise UserError(f"nnviz3d.torch.Recorder: expected an nn.Sequential, got {type(model).__name__}")
    out: list[tuple[nn.Linear, nn.Module | None, str]] = []
    modules = list(model.named_children())
    i = 0
    while i < len(modules):
        name, m = modules[i]
        if not isinstance(m, nn.Linear):
            what = (
                "an activation without a Linear before it"
                if type(m) in ACTIVATION_MODULES
                else "not supported"
            )
            if isinstance(m, nn.Dropout):  # the usual reason to meet this: say what to do
                what += " (it zeroes random nodes at every step; record a run trained without it)"
            raise UserError(
                f"nnviz3d.torch.Recorder: model[{name}] is {type(m).__name__}: {what} "
                "(an nn.Sequential of nn.Linear, each optionally followed by Sigmoid, Tanh, ReLU, Identity "
                "or Softmax)"
            )
        act, act_name = None, "identity"
        if i + 1 < len(modules) and type(modules[i + 1][1]) in ACTIVATION_MODULES:
            act = modules[i + 1][1]
            act_name = ACTIVATION_MODULES[type(act)]
            if isinstance(act, nn.Softmax) and act.dim not in (1, -1):
                raise UserError(f"nnviz3d.torch.Recorder: model[{modules[i + 1][0]}] is a Softmax over dim "
                                f"{act.dim}; the records are rows, so it must be dim=1")  # fmt: skip
            i += 1
        out.append((m, act, act_name))
        i += 1
    if not out:
        raise UserError("nnviz3d.torch.Recorder: the model has no nn.Linear layer")
    biased = {lin.bias is not None for lin, _, _ in out}
    if len(biased) > 1:
        raise UserError("nnviz3d.torch.Recorder: some Linear layers have a bias and some do not")
    return out


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


class Recorder:
    """Hooks an ``nn.Sequential`` and records every :meth:`step` (see the module docstring)."""

    def __init__(self, model: nn.Module, show: str = "1-3", title: str = "nnviz3d: a PyTorch run") -> None:
        self.model = model
        self.layers_info = _layers(model)
        self.show, self.title = show, title
        self.layers = [self.layers_info[0][0].in_features] + [
            lin.out_features for lin, _, _ in self.layers_info
        ]
        self.activations = [name for _, _, name in self.layers_info]
        self.bias = self.layers_info[0][0].bias is not None
        self._inner: _Recorder | None = None
        self._factor = 1.0  # torch's dLoss/dz over the recorded loss's (2/n_out for MSELoss)
        self._z: list[torch.Tensor | None] = [None] * len(self.layers_info)
        self._a: list[torch.Tensor | None] = [None] * len(self.layers_info)
        self._dz: list[torch.Tensor | None] = [None] * len(self.layers_info)
        self._active = False
        self._hooks = []
        for k, (lin, act, _) in enumerate(self.layers_info):
            self._hooks.append(lin.register_forward_hook(self._on_linear(k)))
            if act is not None:
                self._hooks.append(act.register_forward_hook(self._on_activation(k)))

    def _on_linear(self, k: int):
        def hook(module, inputs, output):
            if not self._active:
                return
            self._z[k] = output
            if self._a[k] is None and self.layers_info[k][1] is None:
                self._a[k] = output  # no activation module: a = z

            if output.requires_grad:

                def grad(g, k=k):
                    self._dz[k] = g

                output.register_hook(grad)

        return hook

    def _on_activation(self, k: int):
        def hook(module, inputs, output):
            if self._active:
                self._a[k] = output

        return hook

    def _weights(self) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
        ws = [_np(lin.weight).T.copy() for lin, _, _ in self.layers_info]  # (in, out), like syn0
        bs = [_np(lin.bias) for lin, _, _ in self.layers_info] if self.bias else None
        return ws, bs

    @contextlib.contextmanager
    def step(self, x: torch.Tensor, t: torch.Tensor, epoch: int) -> Iterator[StepHandle]:
        """One update of ``epoch`` (from 1): the forward pass, the loss, ``backward()`` and
        the optimizer's step all happen inside."""
        handle = StepHandle()
        w0, b0 = self._weights()
        n = len(self.layers_info)
        self._z, self._a, self._dz = [None] * n, [None] * n, [None] * n
        self._active = True
        # the loss is captured where it can be found: the one scalar ``.backward()`` is
        # called on inside the block (a second call, gradient accumulation, is ambiguous)
        captured: list[float] = []
        original = torch.Tensor.backward

        def backward(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
            if tensor.numel() == 1:
                captured.append(float(tensor.detach()))
            return original(tensor, *args, **kwargs)

        torch.Tensor.backward = backward  # type: ignore[method-assign]
        try:
            yield handle
        finally:
            self._active = False
            torch.Tensor.backward = original  # type: ignore[method-assign]
        missing = [k for k in range(n) if self._z[k] is None or self._a[k] is None]
        if missing:
            raise UserError(
                f"nnviz3d.torch.Recorder: layer {missing[0] + 1} was not run inside rec.step(...)"
            )
        lost = [k for k in range(n) if self._dz[k] is None]
        if lost:
            raise UserError(f"nnviz3d.torch.Recorder: no gradient reached layer {lost[0] + 1}: call "
                            "loss.backward() inside rec.step(...)")  # fmt: skip
        w1, b1 = self._weights()
        x_np, t_np = _np(x), _np(t)
        if t_np.ndim == 1:  # class indices -> one-hot, as a scene's targets are written
            t_np = np.eye(self.layers[-1], dtype=_np(self._a[-1]).dtype)[t_np.astype(int)]
        acts = [_np(a) for a in self._a]
        dzs = [_np(d) for d in self._dz]
        loss = handle.loss
        if isinstance(loss, torch.Tensor):
            loss = float(loss.detach())
        if loss is None and len(captured) == 1:
            loss = captured[0]
        if self._inner is None:
            self._inner = self._recognise(x_np, t_np, acts, dzs, w0, w1, b0)
        # neither given nor captured: not recorded (NaN; ``inspect`` shows null) -- the recognised
        # loss may not be the one the user computed. MSELoss's mean of squares is the recorded
        # 1/2 squares x factor
        loss = math.nan if loss is None else float(loss) / self._factor
        if self._factor != 1.0:  # MSELoss: recorded as 1/2 sum of squares, the rate scaled to match
            dzs = [d / self._factor for d in dzs]
        self._inner.record(epoch, x_np, t_np, w0, acts, dzs, w1, biases_before=b0, biases_after=b1, loss=loss)

    def _recognise(self, x, t, acts, dzs, w0, w1, b0=None) -> _Recorder:
        """The loss, reduction and learning rate that explain the first step's numbers."""
        tol = TOLERANCE.get(acts[-1].dtype, 1e-9)
        out = ACTIVATIONS[self.activations[-1]]
        z = (acts[-2] if len(acts) > 1 else x) @ w0[-1] + (b0[-1] if b0 is not None else 0)
        found = None
        for loss in ("squared", "cross_entropy"):
            if loss == "cross_entropy" and out.name not in ("sigmoid", "softmax"):
                continue
            # torch's MSELoss is the mean of squares over every output, without the 1/2:
            # the same gradient as 1/2 sum of squares averaged over the batch, times 2/n_out
            factors = [1.0] if loss == "cross_entropy" else [1.0, 2.0 / t.shape[1]]
            for (reduction, scale), factor in itertools.product(
                (("sum", 1.0), ("mean", 1.0 / len(x))), factors
            ):
                _, dz = output_delta(loss, out, z, acts[-1], t, scale)
                if close_enough(dzs[-1], (factor * dz).astype(dzs[-1].dtype), tol):
                    found = (loss, reduction)
                    self._factor = factor
                    break
            if found:
                break
        if found is None:
            raise UserError(
                "nnviz3d.torch.Recorder: the loss's gradient at the output is neither 1/2 sum of squares nor "
                f"cross-entropy (after {out.name}), summed or averaged over the batch"
            )
        grad = (acts[-2] if len(acts) > 1 else x).T @ (dzs[-1] / self._factor)
        big = np.unravel_index(int(np.argmax(np.abs(grad))), grad.shape)
        lr = float((w0[-1][big] - w1[-1][big]) / grad[big]) if grad[big] != 0 else 1.0
        lr = float(np.format_float_positional(lr, precision=6, unique=False, fractional=False, trim="-"))
        return _Recorder(
            self.layers, self.activations, loss=found[0], reduction=found[1], learning_rate=lr,
            show=self.show, title=self.title,
        )  # fmt: skip

    def trace(self):
        if self._inner is None:
            raise UserError("nnviz3d.torch.Recorder: nothing recorded yet (no rec.step(...) ran)")
        return self._inner.trace()

    def save(self, path: str | Path) -> Path:
        """Write the trace that ``nnviz3d render --trace PATH`` shows."""
        if self._inner is None:
            raise UserError("nnviz3d.torch.Recorder: nothing recorded yet (no rec.step(...) ran)")
        return self._inner.save(path)

    def close(self) -> None:
        """Remove the hooks from the model."""
        for h in self._hooks:
            h.remove()
        self._hooks.clear()
