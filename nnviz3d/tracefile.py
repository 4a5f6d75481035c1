"""A training trace in one ``.npz`` file: the contract between recording and rendering.

Whatever trained the network (the built-in trainer, a PyTorch loop, your own numpy lines),
the renderer reads only this. The file is a plain numpy archive, loaded with
``allow_pickle=False``: every entry is a numeric array, or a 0-d unicode array for text.
Its schema (format version 1) is in the README, "The trace file".

Writing is atomic: the archive is written beside its path and renamed into place, so a
failed or interrupted ``train`` leaves the previous file (if any) and no partial one.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from nnviz3d.errors import UserError
from nnviz3d.functions import Sampler
from nnviz3d.recorder import EpochSummaries, NetworkSpec, Trace, UpdateRecord

FORMAT = "nnviz3d-trace"
VERSION = 1

#: UpdateRecord fields that hold one array per weight layer (``None`` where a network has no biases)
_LISTS = (
    "weights_before", "biases_before", "preactivations", "activations", "activation_grads", "deltas",
    "weight_gradients", "bias_gradients", "weights_after", "biases_after",
)  # fmt: skip
_ARRAYS = ("record_indices", "inputs", "targets", "output_errors")
_SCALARS = ("loss", "mean_abs_error")


def _text(value: str) -> np.ndarray:
    return np.array(value)  # a 0-d unicode array: no pickle needed to read it back


def _put_list(out: dict[str, np.ndarray], key: str, arrays) -> None:
    if arrays is None:
        return
    for i, a in enumerate(arrays):
        out[f"{key}.{i}"] = np.asarray(a)


def trace_arrays(trace: Trace, video: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
    """The archive's entries (see the module docstring); ``video`` holds how the trace was
    meant to be shown (title, shown epochs, ...), stored as JSON in ``video``."""
    spec = trace.spec
    meta = {
        "layers": list(spec.layers),
        "activations": list(spec.activations),
        "loss": spec.loss,
        "reduction": spec.reduction,
        "learning_rate": spec.learning_rate,
        "bias": spec.biases is not None,
        "epochs": spec.epochs,
        "batch_size": spec.batch_size,
        "shuffle": spec.shuffle,
        "shuffle_seed": spec.shuffle_seed,
        "arithmetic": spec.arithmetic,
        "sampler": None
        if spec.sampler is None
        else {k: getattr(spec.sampler, k) for k in ("expression", "lo", "hi", "samples", "seed")},
        "diverged_at": trace.diverged_at,
        "updates": sorted([e, b] for e, b in trace.updates),
    }
    out: dict[str, np.ndarray] = {
        "format": _text(FORMAT),
        "version": np.array(VERSION),
        "network": _text(json.dumps(meta)),
        "video": _text(json.dumps(video or {})),
        "spec.inputs": spec.inputs,
        "spec.targets": spec.targets,
    }
    _put_list(out, "spec.weights", spec.weights)
    _put_list(out, "spec.biases", spec.biases)
    if spec.test_inputs is not None:
        out["spec.test_inputs"], out["spec.test_targets"] = spec.test_inputs, spec.test_targets
    for f in fields(EpochSummaries):
        value = getattr(trace.summaries, f.name)
        if value is not None:
            out[f"summaries.{f.name}"] = np.asarray(value)
    _put_list(out, "final.weights", trace.final_weights)
    _put_list(out, "final.biases", trace.final_biases)
    for (epoch, batch), u in trace.updates.items():
        at = f"update.{epoch}.{batch}"
        for name in _ARRAYS:
            out[f"{at}.{name}"] = np.asarray(getattr(u, name))
        for name in _SCALARS:
            out[f"{at}.{name}"] = np.array(getattr(u, name))
        for name in _LISTS:
            _put_list(out, f"{at}.{name}", getattr(u, name))
    return out


def save_trace(trace: Trace, path: str | Path, video: dict[str, Any] | None = None) -> None:
    """Write ``trace`` to ``path`` atomically (uncompressed: the arrays are small and a
    compressed archive would cost seconds for nothing)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise UserError(f"{path}: the folder {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, **trace_arrays(trace, video))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class _Archive:
    """Reads entries by name; a missing one is a damaged file, named as such."""

    def __init__(self, path: Path, data) -> None:
        self.path, self.data = path, data

    def __contains__(self, key: str) -> bool:
        return key in self.data.files

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self.data.files:
            raise UserError(f"{self.path}: not a complete nnviz3d trace (missing {key!r})")
        return self.data[key]

    def optional(self, key: str) -> np.ndarray | None:
        return self.data[key] if key in self.data.files else None

    def text(self, key: str) -> str:
        value = self[key]
        if value.dtype.kind != "U" or value.shape != ():
            raise UserError(f"{self.path}: not a valid nnviz3d trace ({key!r} is not text)")
        return str(value)

    def many(self, key: str, n: int) -> list[np.ndarray]:
        return [self[f"{key}.{i}"] for i in range(n)]


def load_trace(path: str | Path) -> tuple[Trace, dict[str, Any]]:
    """The trace in ``path`` and how it was meant to be shown (the ``video`` dict).

    A file that is not a trace, is truncated or damaged, or was written by a newer
    nnviz3d is a :class:`UserError` naming the file and the problem."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such trace file")
    with open(path, "rb") as fh:  # ours to close, whatever np.load makes of the bytes
        try:
            data = np.load(fh, allow_pickle=False)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            # numpy's own words for a pickle suggest loading it unsafely: not advice to pass on
            why = "it holds pickled Python objects" if "pickle" in str(exc) else str(exc)
            raise UserError(f"{path}: not an nnviz3d trace (not a .npz archive: {why})") from None
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise UserError(f"{path}: not an nnviz3d trace (a single .npy array, not a .npz archive)")
        with data:
            try:
                return _read(_Archive(path, data))
            except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, TypeError) as exc:
                raise UserError(
                    f"{path}: not a complete nnviz3d trace (truncated or damaged: {exc})"
                ) from None


def _read(a: _Archive) -> tuple[Trace, dict[str, Any]]:
    if "format" not in a or a.text("format") != FORMAT:
        raise UserError(f"{a.path}: not an nnviz3d trace (no 'format' entry saying {FORMAT!r})")
    version = int(a["version"])
    if version > VERSION:
        raise UserError(
            f"{a.path}: written by a newer nnviz3d (trace format {version}; this one reads format "
            f"{VERSION}): upgrade nnviz3d"
        )
    meta = json.loads(a.text("network"))
    video = json.loads(a.text("video"))
    n_w = len(meta["layers"]) - 1
    bias = bool(meta["bias"])
    sampler = None if meta["sampler"] is None else Sampler(**meta["sampler"])
    spec = NetworkSpec(
        layers=tuple(int(n) for n in meta["layers"]),
        activations=tuple(meta["activations"]),
        loss=meta["loss"],
        reduction=meta["reduction"],
        learning_rate=float(meta["learning_rate"]),
        weights=tuple(a.many("spec.weights", n_w)),
        biases=tuple(a.many("spec.biases", n_w)) if bias else None,
        inputs=a["spec.inputs"],
        targets=a["spec.targets"],
        epochs=int(meta["epochs"]),
        batch_size=int(meta["batch_size"]),
        shuffle=bool(meta["shuffle"]),
        shuffle_seed=int(meta["shuffle_seed"]),
        sampler=sampler,
        test_inputs=a.optional("spec.test_inputs"),
        test_targets=a.optional("spec.test_targets"),
        arithmetic=str(meta.get("arithmetic", "numpy")),  # (a file from before it was kept)
    )
    summaries = EpochSummaries(
        **{
            f.name: a[f"summaries.{f.name}"]
            for f in fields(EpochSummaries)
            if f"summaries.{f.name}" in a or f.default is not None
        }
    )
    updates = {}
    for epoch, batch in meta["updates"]:
        at = f"update.{epoch}.{batch}"
        values: dict[str, Any] = {name: a[f"{at}.{name}"] for name in _ARRAYS}
        values.update({name: float(a[f"{at}.{name}"]) for name in _SCALARS})
        for name in _LISTS:
            values[name] = None if (name.startswith("bias") and not bias) else a.many(f"{at}.{name}", n_w)
        updates[(int(epoch), int(batch))] = UpdateRecord(epoch=int(epoch), batch=int(batch), **values)
    trace = Trace(
        spec=spec,
        updates=updates,
        summaries=summaries,
        diverged_at=meta["diverged_at"],
        final_weights=tuple(a.many("final.weights", n_w)),
        final_biases=tuple(a.many("final.biases", n_w)) if bias else None,
    )
    return trace, video
