"""Record a training run that someone else's code does: the hook between any trainer and
the renderer.

Your loop calls :meth:`Recorder.record` once per update with what it computed (the
inputs, the activations, the deltas, the weights before and after); the recorder checks
the chain rule on them, keeps the shown epochs whole as :class:`UpdateRecord` and every
epoch's summary, and writes the same :class:`Trace` file that ``nnviz3d train`` writes.
``nnviz3d.torch.Recorder`` fills it from a PyTorch model's hooks.

A student's buggy backprop is caught, not drawn: the recorder recomputes each layer from
the weights and the activations it is given and names the first array that disagrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnviz3d.errors import UserError
from nnviz3d.mlp import ACTIVATIONS, LOSSES, REDUCTIONS, output_delta, overflow_allowed, per_record_loss
from nnviz3d.recorder import NetworkSpec, SummaryBuilder, Trace, UpdateRecord
from nnviz3d.scene import MAX_EPOCHS, parse_epoch_spec


class ChainRuleError(UserError):
    """What a recorded update says does not follow from its own weights and activations."""


#: relative tolerance of the chain-rule check, by the dtype the arrays come in
TOLERANCE = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}


def _f(a) -> np.ndarray:
    """A copy: loops update their weights in place (``syn1 += ...``) after recording them."""
    return np.array(a, copy=True)


@dataclass
class _Epoch:
    """What the summary of the epoch being recorded needs, gathered over its updates."""

    number: int
    outputs: np.ndarray | None  # (records, n_out) with a dataset; else gathered below
    gathered: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)  # x, t, out
    weights: list[np.ndarray] = field(default_factory=list)
    biases: list[np.ndarray] | None = None


class Recorder:
    """Collects one training run, update by update.

    ``layers`` and ``activations`` describe the network (activation names as in a scene:
    sigmoid, tanh, relu, identity, softmax); ``inputs`` and ``targets`` are the whole
    training set, rows = records, so that an epoch's outputs are known per record;
    ``loss`` is ``squared`` (1/2 sum of squares) or ``cross_entropy``, ``reduction``
    ``sum`` or ``mean`` over a batch, ``learning_rate`` that of plain gradient descent.
    ``show`` names the epochs kept whole ("1-3,1998-2000"); the others keep a summary."""

    def __init__(
        self,
        layers,
        activations,
        inputs=None,
        targets=None,
        *,
        loss: str = "squared",
        reduction: str = "sum",
        learning_rate: float = 1.0,
        show: str = "1-3",
        title: str = "nnviz3d: a recorded run",
        check: bool = True,
    ) -> None:
        self.layers = tuple(int(n) for n in layers)
        self.activations = tuple(activations)
        if len(self.activations) != len(self.layers) - 1:
            raise UserError(f"Recorder: {len(self.layers)} layers need {len(self.layers) - 1} activations")
        unknown = [a for a in self.activations if a not in ACTIVATIONS]
        if unknown:
            raise UserError(f"Recorder: unknown activation {unknown[0]!r} (use {', '.join(ACTIVATIONS)})")
        if loss not in LOSSES or reduction not in REDUCTIONS:
            raise UserError(f"Recorder: loss must be one of {LOSSES}, reduction one of {REDUCTIONS}")
        # the training set, rows = records; None: each epoch's batches in the order they come
        # (a shuffling loader), the first epoch's standing for the data set
        self.inputs = None if inputs is None else _f(inputs)
        self.targets = None if targets is None else _f(targets)
        if self.inputs is not None:
            if self.inputs.ndim != 2 or self.inputs.shape[1] != self.layers[0]:
                raise UserError(
                    f"Recorder: inputs must be (records, {self.layers[0]}), got {self.inputs.shape}"
                )
            if self.targets is None or self.targets.shape != (len(self.inputs), self.layers[-1]):
                shape = None if self.targets is None else self.targets.shape
                raise UserError(
                    f"Recorder: targets must be ({len(self.inputs)}, {self.layers[-1]}), got {shape}"
                )
        self.loss, self.reduction, self.learning_rate = loss, reduction, float(learning_rate)
        self.show = set(parse_epoch_spec(show, MAX_EPOCHS, "show"))
        self.title, self.check = title, check
        self.updates: dict[tuple[int, int], UpdateRecord] = {}
        self._epoch: _Epoch | None = None
        self._batch = 0
        self._first: tuple[list[np.ndarray], list[np.ndarray] | None, int] | None = None
        self._rows: list[tuple[Any, ...]] = []
        self._last_epoch = 0

    # -- one update --------------------------------------------------------------------
    def record(
        self,
        epoch: int,
        inputs,
        targets,
        weights_before,
        activations,
        deltas,
        weights_after,
        *,
        biases_before=None,
        biases_after=None,
        record_indices=None,
        loss: float | None = None,
    ) -> UpdateRecord:
        """One update of ``epoch`` (from 1; batches count from 1 in call order).

        ``weights_*``: one ``(n_in, n_out)`` matrix per layer (iamtrask's syn0, syn1);
        ``activations``: each layer's output (l1, l2, ...; not the input); ``deltas``:
        each layer's error signal, either dLoss/dz or iamtrask's ``l{k}_delta`` (its
        negative: the sign is recognised from the output layer). ``record_indices``: the
        rows of the training set in this batch (default: all, in order)."""
        if epoch < self._last_epoch or epoch < 1:
            raise UserError(
                f"Recorder: epoch {epoch} after epoch {self._last_epoch} (epochs count up from 1)"
            )
        if self._epoch is None or epoch != self._epoch.number:
            self._close_epoch()
            outputs = None if self.targets is None else np.full(self.targets.shape, np.nan)
            self._epoch = _Epoch(epoch, outputs)
            self._batch = 0
        self._batch += 1
        self._last_epoch = epoch
        n_w = len(self.layers) - 1
        x, t = _f(inputs), _f(targets)
        if record_indices is not None:
            rows = _f(record_indices).astype(int)
        else:  # all records in order, or (no data set given) the next ones of the epoch
            start = sum(len(g[0]) for g in self._epoch.gathered) if self.targets is None else 0
            rows = np.arange(start, start + len(x))
        w0 = [_f(w) for w in weights_before]
        w1 = [_f(w) for w in weights_after]
        acts = [_f(a) for a in activations]
        given = [_f(d) for d in deltas]
        b0 = None if biases_before is None else [_f(b) for b in biases_before]
        b1 = None if biases_after is None else [_f(b) for b in biases_after]
        for name, arrays in (
            ("weights_before", w0),
            ("weights_after", w1),
            ("activations", acts),
            ("deltas", given),
        ):
            if len(arrays) != n_w:
                raise UserError(
                    f"Recorder: {name} needs one array per weight layer ({n_w}), got {len(arrays)}"
                )
        u = self._update(epoch, self._batch, rows, x, t, w0, b0, acts, given, w1, b1, loss)
        if self._first is None:
            self._first = ([w.copy() for w in w0], None if b0 is None else [b.copy() for b in b0], len(x))
        ep = self._epoch
        if ep.outputs is not None:
            ep.outputs[rows] = acts[-1]
        else:
            ep.gathered.append((x, t, acts[-1]))
        ep.weights, ep.biases = w1, b1
        if epoch in self.show:
            self.updates[(epoch, self._batch)] = u
        return u

    def add(self, update: UpdateRecord) -> None:
        """An update a trainer built whole (the built-in one's :class:`~nnviz3d.recorder.UpdateSink`
        interface): checked and kept like any :meth:`record`."""
        self.record(
            update.epoch, update.inputs, update.targets, update.weights_before, update.activations,
            update.deltas, update.weights_after, biases_before=update.biases_before,
            biases_after=update.biases_after, record_indices=update.record_indices, loss=update.loss,
        )  # fmt: skip

    def _update(self, epoch, batch, rows, x, t, w0, b0, acts, given, w1, b1, loss) -> UpdateRecord:
        n_w = len(self.layers) - 1
        dtype = acts[-1].dtype
        tol = TOLERANCE.get(np.dtype(dtype), 1e-9)
        scale = 1.0 / len(x) if self.reduction == "mean" else 1.0
        with overflow_allowed():
            zs, a = [], x
            for k in range(n_w):
                z = a @ w0[k] + (b0[k] if b0 is not None else 0)
                zs.append(z)
                expected = ACTIVATIONS[self.activations[k]].forward(z)
                self._agree(f"activations[{k}] (l{k + 1})", acts[k], expected, tol, epoch, batch)
                a = acts[k]
            out = ACTIVATIONS[self.activations[-1]]
            da, dz = output_delta(self.loss, out, zs[-1], acts[-1], t, scale)
            sign = 1.0
            if self.check and not close_enough(given[-1], dz, tol) and close_enough(-given[-1], dz, tol):
                sign = -1.0  # iamtrask's l{k}_delta: -dLoss/dz
            deltas = [sign * d for d in given]
            das = [None] * n_w
            das[-1] = da
            self._agree(f"deltas[{n_w - 1}] (l{n_w}_delta)", deltas[-1], dz, tol, epoch, batch)
            for k in range(n_w - 1, 0, -1):
                das[k - 1] = deltas[k] @ w0[k].T
                expected = ACTIVATIONS[self.activations[k - 1]].backward(zs[k - 1], acts[k - 1], das[k - 1])
                self._agree(f"deltas[{k - 1}] (l{k}_delta)", deltas[k - 1], expected, tol, epoch, batch)
            grads = [(acts[k - 1] if k else x).T @ deltas[k] for k in range(n_w)]
            for k in range(n_w):
                self._agree(f"weights_after[{k}] (syn{k})", w1[k], w0[k] - self.learning_rate * grads[k], tol,
                            epoch, batch)  # fmt: skip
            gb = None if b0 is None else [d.sum(axis=0) for d in deltas]
            if loss is None:
                loss = float(per_record_loss(self.loss, out.name, acts[-1], t).sum() * scale)
        err = t - acts[-1]
        return UpdateRecord(
            epoch=epoch,
            batch=batch,
            record_indices=rows,
            inputs=x,
            targets=t,
            weights_before=w0,
            biases_before=b0,
            preactivations=zs,
            activations=acts,
            output_errors=err,
            loss=float(loss),
            mean_abs_error=float(np.mean(np.abs(err))),
            activation_grads=das,
            deltas=deltas,
            weight_gradients=grads,
            bias_gradients=gb,
            weights_after=w1,
            biases_after=b1,
        )

    def _agree(
        self, name: str, got: np.ndarray, expected: np.ndarray, tol: float, epoch: int, batch: int
    ) -> None:
        """The chain-rule check: ``got`` must equal what the rule gives, to ``tol``."""
        if not self.check:
            return
        if got.shape != expected.shape:
            raise ChainRuleError(
                f"epoch {epoch} batch {batch}: {name} has shape {got.shape}, "
                f"the chain rule gives {expected.shape}"
            )
        if not close_enough(got, expected, tol):
            diff = np.abs(got - expected)
            i = np.unravel_index(int(np.nanargmax(diff)), diff.shape)
            raise ChainRuleError(
                f"epoch {epoch} batch {batch}: {name} disagrees with the chain rule by {float(diff[i]):.3g} "
                f"at {tuple(int(v) for v in i)} (got {float(got[i]):.6g}, expected {float(expected[i]):.6g})"
                + (
                    "; only plain SGD (w -= rate x gradient) is supported: no momentum, Adam or weight decay"
                    if name.startswith("weights_after")
                    else ""
                )
            )

    # -- epochs and the result ----------------------------------------------------------
    def _close_epoch(self) -> None:
        ep = self._epoch
        if ep is None:
            return
        if ep.outputs is not None:
            outputs, targets, inputs = ep.outputs, None, None
        else:
            inputs, targets, outputs = (np.concatenate(part) for part in zip(*ep.gathered, strict=True))
            if self._rows and len(outputs) != len(self._rows[0][0]):
                raise UserError(
                    f"Recorder: epoch {ep.number} saw {len(outputs)} records, epoch 1 saw "
                    f"{len(self._rows[0][0])} (every epoch must see the whole data set once)"
                )
        biases = None if ep.biases is None else [b.copy() for b in ep.biases]
        self._rows.append((outputs, [w.ravel().copy() for w in ep.weights], biases, inputs, targets))
        self._epoch = None

    def trace(self) -> Trace:
        """The run so far as a :class:`Trace`: its spec, the kept updates, the summaries."""
        self._close_epoch()
        if self._first is None:
            raise UserError("Recorder: nothing recorded yet")
        weights, biases, batch_size = self._first
        gathered = self.inputs is None  # the data set is what the first epoch saw, in its order
        inputs = self._rows[0][3] if gathered else self.inputs
        targets = self._rows[0][4] if gathered else self.targets
        spec = NetworkSpec(
            layers=self.layers,
            activations=self.activations,
            loss=self.loss,
            reduction=self.reduction,
            learning_rate=self.learning_rate,
            weights=tuple(weights),
            biases=tuple(biases) if biases is not None else None,
            inputs=inputs,
            targets=targets,
            epochs=len(self._rows),
            batch_size=batch_size,
        )
        builder = SummaryBuilder(spec, len(self._rows))
        outputs = np.stack([r[0] for r in self._rows])
        ws = [np.stack([r[1][k] for r in self._rows]) for k in range(len(weights))]
        bs = None if biases is None else [np.stack([r[2][k] for r in self._rows]) for k in range(len(biases))]
        per_epoch = np.stack([r[4] for r in self._rows]) if gathered else None  # each epoch's order
        builder.add(outputs, per_epoch, ws, bs)
        last = self._rows[-1]
        final_w = tuple(w.reshape(s.shape) for w, s in zip(last[1], weights, strict=True))
        return Trace(
            spec=spec,
            updates=dict(self.updates),
            summaries=builder.build(),
            diverged_at=builder.diverged_at,
            final_weights=final_w,
            final_biases=tuple(last[2]) if last[2] is not None else None,
        )

    def save(self, path: str | Path) -> Path:
        """Write the trace that ``nnviz3d render --trace PATH`` shows."""
        from nnviz3d.tracefile import save_trace

        trace = self.trace()
        shown = sorted({e for e, _ in trace.updates})
        save_trace(
            trace, path, {"title": self.title, "epochs": shown, "full": shown[:3], "init_scheme": "explicit"}
        )
        return Path(path)


def close_enough(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """``a`` equals ``b`` to ``tol`` relative to b's largest magnitude (at least 1)."""
    if a.shape != b.shape:
        return False
    scale = max(1.0, float(np.nanmax(np.abs(b))) if b.size else 1.0)
    return bool(np.all(np.abs(a - b) <= tol * scale) or np.array_equal(a, b, equal_nan=True))
