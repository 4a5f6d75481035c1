"""The butterfly effect (seed 003): the same network from initial weights rounded to fewer
decimals, trained side by side, summarised per run."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from nnviz3d.recorder import Trace, train
from nnviz3d.scene import Scene


@dataclass(frozen=True)
class Run:
    """One comparison run: its label, its trace, and where it ended."""

    label: str
    decimals: int | None  # None: the scene's own weights
    trace: Trace
    final_loss: float
    final_accuracy: float
    final_argmax: list[int]


def comparison_runs(scene: Scene) -> list[Run]:
    """The scene's run, then one per ``[compare] round`` entry."""
    runs = []
    last = scene.network.epochs
    for decimals in (None, *scene.compare_round):
        spec = scene.network
        if decimals is not None:
            spec = replace(
                spec,
                weights=tuple(np.round(w, decimals) for w in spec.weights),
                biases=None if spec.biases is None else tuple(np.round(b, decimals) for b in spec.biases),
            )
        trace = train(spec, [last])
        outputs = trace.updates[(last, spec.n_batches)].outputs
        label = "as given" if decimals is None else f"rounded to {decimals} decimals"
        runs.append(
            Run(
                label,
                decimals,
                trace,
                float(trace.summaries.loss[-1]),
                float(trace.summaries.accuracy[-1]),
                outputs.argmax(axis=1).tolist(),
            )
        )
    return runs
