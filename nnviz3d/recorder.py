"""Train a small MLP by plain gradient descent and record what the animation needs.

Every update of the epochs that will be shown is kept whole (:class:`UpdateRecord`);
all other epochs leave only a few numbers each (:class:`EpochSummaries`). The detailed
and the summary-only paths run the *same* arithmetic, so a shown epoch is exactly the
epoch the training computed. Per-epoch summaries are computed in chunks from small
buffers, which keeps the 60000-iteration iamtrask run well under a second and the memory
independent of how many epochs are not shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from nnviz3d.functions import Sampler
from nnviz3d.mlp import (
    ACTIVATIONS,
    Array,
    forward,
    forward_of,
    output_delta,
    overflow_allowed,
    per_record_loss,
    portable_dot,
)

#: floats the summary buffers may hold at once (about 16 MB)
_BUFFER_BUDGET = 2_000_000


@dataclass(frozen=True)
class NetworkSpec:
    """What defines the network and how it is trained (already validated)."""

    layers: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    reduction: str
    learning_rate: float
    weights: tuple[Array, ...]
    biases: tuple[Array, ...] | None
    inputs: Array
    targets: Array
    epochs: int
    batch_size: int
    shuffle: bool = False
    shuffle_seed: int = 0
    #: fresh random inputs every epoch (function fitting); ``inputs``/``targets`` then hold
    #: the first epoch's draw
    sampler: Sampler | None = None
    #: held-out records whose accuracy is measured at the end of every epoch (seed 001)
    test_inputs: Array | None = None
    test_targets: Array | None = None
    #: "numpy" or "portable" (mlp.ARITHMETICS): the same bits on every machine
    arithmetic: str = "numpy"

    @property
    def n_batches(self) -> int:
        return -(-len(self.inputs) // self.batch_size)


@dataclass(frozen=True)
class UpdateRecord:
    """One gradient-descent update, whole: the state before, every intermediate, after.

    Lists hold one entry per weight layer. ``deltas`` are dLoss/dz (rows = records);
    iamtrask's ``l2_delta`` is ``-deltas[-1]`` and its ``l1_error`` is
    ``-activation_grads[0]``. ``output_errors`` is iamtrask's ``l2_error`` (target - output).
    """

    epoch: int
    batch: int
    record_indices: Array
    inputs: Array
    targets: Array
    weights_before: list[Array]
    biases_before: list[Array] | None
    preactivations: list[Array]
    activations: list[Array]
    output_errors: Array
    loss: float
    mean_abs_error: float
    activation_grads: list[Array]
    deltas: list[Array]
    weight_gradients: list[Array]
    bias_gradients: list[Array] | None
    weights_after: list[Array]
    biases_after: list[Array] | None

    @property
    def outputs(self) -> Array:
        return self.activations[-1]


@dataclass(frozen=True)
class EpochSummaries:
    """One row per epoch (index 0 is epoch 1), for every epoch trained.

    ``weight_stats[e, layer]`` is (min, mean, max, std) of that weight matrix at the end
    of the epoch. ``accuracy`` is NaN when the targets are neither 0/1 nor one-hot.
    """

    loss: Array
    mean_abs_error: Array
    accuracy: Array
    weight_stats: Array
    update_size: Array  # max |weight change| over all weights during the epoch
    test_accuracy: Array | None = None  # accuracy on the held-out records, end of each epoch
    bias_stats: Array | None = None  # like weight_stats, for each bias vector (None without bias)


@dataclass(frozen=True)
class Trace:
    """The result of a training run: the spec, the shown updates, the summaries."""

    spec: NetworkSpec
    updates: dict[tuple[int, int], UpdateRecord]
    summaries: EpochSummaries
    #: the first epoch whose outputs or weights were NaN or infinite (None: training stayed finite).
    #: A diverging run is still shown, because watching it blow up is a lesson too.
    diverged_at: int | None = None
    #: the weights and biases after the last update of the last epoch (what training leaves)
    final_weights: tuple[Array, ...] = ()
    final_biases: tuple[Array, ...] | None = None

    def epoch_updates(self, epoch: int) -> list[UpdateRecord]:
        """The recorded updates of ``epoch`` (all its batches, or the chosen ones)."""
        return [
            self.updates[(epoch, b)] for b in range(1, self.spec.n_batches + 1) if (epoch, b) in self.updates
        ]


class UpdateSink(Protocol):
    """Where a trainer reports its updates, each in the shape of :class:`UpdateRecord`.

    The built-in trainer's default keeps the shown ones in a dict; ``nnviz3d.Recorder``
    (which also records your own loop and PyTorch's) takes every update, checks the chain
    rule on it and summarises each epoch itself."""

    def add(self, update: UpdateRecord) -> None: ...


def train(
    spec: NetworkSpec,
    detailed_epochs: Iterable[int] = (),
    detailed_batches: Iterable[int] | None = None,
    recorder: UpdateSink | None = None,
) -> Trace:
    """Run all ``spec.epochs`` epochs; keep every update of ``detailed_epochs`` whole.

    ``detailed_batches`` (counted from 1) limits that to some batches of each such epoch:
    a 600-batch MNIST epoch is shown through a few of its updates. Training that diverges
    runs to the end with its NaN and infinite values, and says where in ``diverged_at``.
    ``recorder``: every update is also reported to it, in order (slower: each one is built
    whole), as any other trainer reports to ``nnviz3d.Recorder``.
    """
    with overflow_allowed():
        batches = None if detailed_batches is None else set(detailed_batches)
        return _train(spec, set(detailed_epochs), batches, recorder)


def _train(
    spec: NetworkSpec,
    detailed_epochs: set[int],
    detailed_batches: set[int] | None,
    recorder: UpdateSink | None,
) -> Trace:
    detailed = {e for e in detailed_epochs if 1 <= e <= spec.epochs}
    acts = [ACTIVATIONS[name] for name in spec.activations]
    weights = [w.copy() for w in spec.weights]
    biases = [b.copy() for b in spec.biases] if spec.biases is not None else None
    x_all, t_all = spec.inputs, spec.targets
    n, n_out = t_all.shape
    lr = spec.learning_rate
    scale_mean = spec.reduction == "mean"
    rng = np.random.default_rng(spec.shuffle_seed)
    full_batch = spec.batch_size >= n and not spec.shuffle
    order = np.arange(n)
    n_params = sum(w.size for w in weights)
    chunk = max(1, min(1024, _BUFFER_BUDGET // (n_params + n * n_out)))
    out_buf = np.empty((chunk, n, n_out))
    sampler = spec.sampler
    sample_rng = np.random.default_rng(sampler.seed) if sampler else None
    t_buf = np.empty((chunk, n, n_out)) if sampler else None
    w_bufs = [np.empty((chunk, w.size)) for w in weights]
    b_bufs = [np.empty((chunk, b.size)) for b in biases] if biases is not None else None
    summaries = SummaryBuilder(spec, chunk)
    test_acc = np.empty(spec.epochs) if spec.test_inputs is not None else None
    updates: dict[tuple[int, int], UpdateRecord] = {}

    n_layers = len(acts)
    forwards = [forward_of(act.name, spec.arithmetic) for act in acts]
    backwards = [act.backward for act in acts]
    n_batches = spec.n_batches
    batch_size = spec.batch_size
    dot = portable_dot if spec.arithmetic == "portable" else np.dot
    for epoch in range(1, spec.epochs + 1):
        slot = (epoch - 1) % chunk
        if spec.shuffle:
            order = rng.permutation(n)
        if sampler:
            x_all, t_all = sampler.draw(sample_rng)
            t_buf[slot] = t_all
        keep = epoch in detailed
        for b in range(n_batches):
            if full_batch:
                rows, x, t = order, x_all, t_all
            else:
                rows = order[b * batch_size : (b + 1) * batch_size]
                x, t = x_all[rows], t_all[rows]
            scale = 1.0 / len(rows) if scale_mean else 1.0
            # forward
            zs = [None] * n_layers
            As = [None] * n_layers
            a = x
            for i in range(n_layers):
                z = dot(a, weights[i])
                if biases is not None:
                    z = z + biases[i]
                a = forwards[i](z)
                zs[i] = z
                As[i] = a
            if full_batch:
                out_buf[slot] = a
            else:
                out_buf[slot, rows] = a
            # backward: dz is dLoss/dz of layer i, da is dLoss/da
            das = [None] * n_layers
            dzs = [None] * n_layers
            da, dz = output_delta(spec.loss, acts[-1], zs[-1], a, t, scale)
            das[-1] = da
            dzs[-1] = dz
            for i in range(n_layers - 1, 0, -1):
                da = dot(dz, weights[i].T)
                dz = backwards[i - 1](zs[i - 1], As[i - 1], da)
                das[i - 1] = da
                dzs[i - 1] = dz
            # gradients and the update (lr == 1 skips an exact multiply by one)
            grads_w = [None] * n_layers
            new_w = [None] * n_layers
            for i in range(n_layers):
                g = dot((As[i - 1] if i else x).T, dzs[i])
                grads_w[i] = g
                new_w[i] = weights[i] - (g if lr == 1.0 else lr * g)
            if biases is not None:
                grads_b = [d.sum(axis=0) for d in dzs]
                new_b = [bb - lr * g for bb, g in zip(biases, grads_b, strict=True)]
            else:
                grads_b = new_b = None
            kept = keep and (detailed_batches is None or b + 1 in detailed_batches)
            if kept or recorder is not None:
                err = t - a
                update = UpdateRecord(
                    epoch=epoch,
                    batch=b + 1,
                    record_indices=np.array(rows),
                    inputs=x,
                    targets=t,
                    weights_before=weights,
                    biases_before=biases,
                    preactivations=zs,
                    activations=As,
                    output_errors=err,
                    loss=float(per_record_loss(spec.loss, acts[-1].name, a, t).sum() * scale),
                    mean_abs_error=float(np.mean(np.abs(err))),
                    activation_grads=das,
                    deltas=dzs,
                    weight_gradients=grads_w,
                    bias_gradients=grads_b,
                    weights_after=new_w,
                    biases_after=new_b,
                )
                if kept:
                    updates[(epoch, b + 1)] = update
                if recorder is not None:
                    recorder.add(update)
            weights, biases = new_w, new_b
        for buf, w in zip(w_bufs, weights, strict=True):
            buf[slot] = w.ravel()
        if b_bufs is not None:
            for buf, bias in zip(b_bufs, biases, strict=True):
                buf[slot] = bias
        if test_acc is not None:
            test_acc[epoch - 1] = _accuracy(spec, weights, biases)
        if slot == chunk - 1 or epoch == spec.epochs:
            targets = t_buf[: slot + 1] if sampler else None
            summaries.add(
                out_buf[: slot + 1],
                targets,
                [buf[: slot + 1] for buf in w_bufs],
                None if b_bufs is None else [buf[: slot + 1] for buf in b_bufs],
            )
    built = summaries.build()
    if test_acc is not None:
        built = replace(built, test_accuracy=test_acc)
    return Trace(
        spec=spec,
        updates=updates,
        summaries=built,
        diverged_at=summaries.diverged_at,
        final_weights=tuple(weights),
        final_biases=tuple(biases) if biases is not None else None,
    )


def _accuracy(spec: NetworkSpec, weights, biases) -> float:
    """Share of held-out records whose largest output is the target's class."""
    a = forward(spec.activations, weights, biases, spec.test_inputs)
    return float(np.mean(a.argmax(axis=1) == spec.test_targets.argmax(axis=1)))


class SummaryBuilder:
    """Turns chunks of buffered outputs and weights into per-epoch summary rows.

    Public: every recorder (the built-in trainer, :class:`nnviz3d.Recorder`, the PyTorch
    one) reports its epoch ends here, so a summary means the same whoever trained."""

    def __init__(self, spec: NetworkSpec, chunk: int) -> None:
        self.spec = spec
        t = spec.targets
        binary = spec.sampler is None and bool(np.all((t == 0) | (t == 1)))
        self.accuracy_kind = (
            "onehot"
            if binary and t.shape[1] > 1 and np.all(t.sum(axis=1) == 1)
            else "binary"
            if binary
            else None
        )
        self.labels = t.argmax(axis=1) if self.accuracy_kind == "onehot" else None
        self.parts: list[tuple[Array, Array, Array, Array, Array, Array | None]] = []
        self.last = [w.ravel().copy() for w in spec.weights]  # weights before the chunk
        self.epochs_done = 0
        self.diverged_at: int | None = None

    def add(
        self, outputs: Array, targets: Array | None, weights: list[Array], biases: list[Array] | None = None
    ) -> None:
        """``targets`` per epoch when they change every epoch, else the scene's."""
        spec = self.spec
        t = spec.targets[None] if targets is None else targets
        per_record = per_record_loss(spec.loss, spec.activations[-1], outputs, t)
        loss = per_record.sum(axis=1)
        if spec.reduction == "mean":
            loss = loss / t.shape[1]  # the mean over the epoch's records
        mae = np.abs(t - outputs).mean(axis=(1, 2))
        if self.accuracy_kind == "onehot":
            labels = self.labels[None] if targets is None else t.argmax(axis=2)  # per-epoch order
            acc = (outputs.argmax(axis=2) == labels).mean(axis=1)
        elif self.accuracy_kind == "binary":
            acc = ((outputs >= 0.5) == (t == 1)).mean(axis=(1, 2))
        else:
            acc = np.full(len(outputs), np.nan)
        stats = np.stack(
            [np.stack([w.min(1), w.mean(1), w.max(1), w.std(1)], axis=1) for w in weights],
            axis=1,
        )
        update = np.zeros(len(outputs))
        for i, w in enumerate(weights):
            steps = np.abs(np.diff(np.concatenate([self.last[i][None], w]), axis=0))
            update = np.maximum(update, steps.max(axis=1))
            self.last[i] = w[-1].copy()
        if self.diverged_at is None:
            bad = ~(np.isfinite(outputs).all(axis=(1, 2)) & np.isfinite(stats).all(axis=(1, 2)))
            if bad.any():
                self.diverged_at = self.epochs_done + int(np.argmax(bad)) + 1
        self.epochs_done += len(outputs)
        bias_stats = None
        if biases is not None:
            bias_stats = np.stack(
                [np.stack([b.min(1), b.mean(1), b.max(1), b.std(1)], axis=1) for b in biases], axis=1
            )
        self.parts.append((loss, mae, acc, stats, update, bias_stats))

    def build(self) -> EpochSummaries:
        return EpochSummaries(
            loss=np.concatenate([p[0] for p in self.parts]),
            mean_abs_error=np.concatenate([p[1] for p in self.parts]),
            accuracy=np.concatenate([p[2] for p in self.parts]),
            weight_stats=np.concatenate([p[3] for p in self.parts]),
            update_size=np.concatenate([p[4] for p in self.parts]),
            bias_stats=None if self.parts[0][5] is None else np.concatenate([p[5] for p in self.parts]),
        )
