"""The butterfly effect (seed 003): the same network from initial weights rounded to fewer
decimals, trained side by side, summarised per run."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from nnviz3d.errors import UserError
from nnviz3d.recorder import NetworkSpec, Trace, train
from nnviz3d.scene import Scene

if TYPE_CHECKING:
    from nnviz3d.timeline import Timeline


@dataclass(frozen=True)
class Run:
    """One comparison run: its label, its trace, and where it ended."""

    label: str
    decimals: int | None  # None: the scene's own weights
    trace: Trace
    final_loss: float
    final_accuracy: float
    final_argmax: list[int]


def run_specs(scene: Scene) -> list[tuple[int | None, str, NetworkSpec]]:
    """(decimals, label, spec) of the scene's own run and of each ``[compare] round`` run."""
    runs = []
    for decimals in (None, *scene.compare_round):
        spec = scene.network
        if decimals is not None:
            spec = replace(
                spec,
                weights=tuple(np.round(w, decimals) for w in spec.weights),
                biases=None if spec.biases is None else tuple(np.round(b, decimals) for b in spec.biases),
            )
        runs.append((decimals, "as given" if decimals is None else f"rounded to {decimals} decimals", spec))
    return runs


def comparison_runs(scene: Scene) -> list[Run]:
    """The scene's run, then one per ``[compare] round`` entry."""
    runs = []
    last = scene.network.epochs
    for decimals, label, spec in run_specs(scene):
        trace = train(spec, [last])
        outputs = trace.updates[(last, spec.n_batches)].outputs
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


def keyframes(n_epochs: int, count: int = 36) -> tuple[int, ...]:
    """Epochs spread evenly on a log scale from 1 to ``n_epochs`` (early change is fast)."""
    points = np.unique(np.round(np.logspace(0, np.log10(max(n_epochs, 1)), count)).astype(int))
    return tuple(int(p) for p in points)


def comparison_trained(scene: Scene) -> list[tuple[str, Trace, Timeline]]:
    """(label, trace, timeline) of every run: one training-at-a-glance timeline per run,
    all with the same steps on the same frames (a title card, then one step per epoch of
    :func:`keyframes`), which is what lets ``render`` tile them."""
    from nnviz3d.timeline import build_evolution_timeline

    frames = keyframes(scene.network.epochs)
    runs = []
    given = scene.network
    for _, label, spec in run_specs(scene):
        run_scene = replace(scene, network=spec)
        trace = train(spec, frames)
        timeline = build_evolution_timeline(run_scene, trace, frames, label)
        path = {e: trace.updates[(e, 1)].weights_before[0].copy() for e in frames}
        biases = None
        if spec.biases is not None:
            biases = {e: trace.updates[(e, 1)].biases_before[-1].copy() for e in frames}
        moved = [np.abs(a - b).ravel() for a, b in zip(spec.weights, given.weights, strict=True)]
        if spec.biases is not None and given.biases is not None:
            moved += [np.abs(a - b).ravel() for a, b in zip(spec.biases, given.biases, strict=True)]
        change = float(np.max(np.concatenate(moved))) if moved else 0.0
        timeline = replace(timeline, trajectory=path, bias_path=biases, comparison=(label, change))
        runs.append((label, trace, timeline))
    return runs


def comparison_timelines(scene: Scene) -> list[Timeline]:
    """One training-at-a-glance timeline per run, all with the same steps and frames."""
    return [timeline for _, _, timeline in comparison_trained(scene)]


def select_run(scene: Scene, number: int) -> tuple[str | None, NetworkSpec]:
    """(label, network) of run ``number`` (from 1, in the order the split screen tiles them:
    the scene's own weights first); a scene without ``[compare]`` has the one run, label None."""
    if not scene.compare_round:
        if number != 1:
            raise UserError(f"--run: {scene.path} has one run (no [compare] round = [...]), got {number}")
        return None, scene.network
    runs = run_specs(scene)
    if not 1 <= number <= len(runs):
        names = ", ".join(f"{i} {label}" for i, (_, label, _) in enumerate(runs, 1))
        raise UserError(f"--run: {number} is outside 1..{len(runs)} ({names})")
    _, label, spec = runs[number - 1]
    return label, spec
