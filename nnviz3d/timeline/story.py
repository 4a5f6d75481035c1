"""The order of the lecture, and the builder that plays it over a training trace.

:func:`story` lists the beats of seed 000's walk-through from the scene alone (no
training): title, the initialisations, the loop, then for each shown iteration either
every record node by node or every layer for the whole batch, the error, the backward
pass and the updates. :func:`build_timeline` plays those beats over a trace through the
step kinds of ``kinds.py``; :func:`story_seconds` adds up their durations, which is the
length estimate the CLI checks before it trains anything. With ``[render] epilogue`` the
story goes on to the end: log-spaced iterations up to the last, compactly, then a summary.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from nnviz3d.layout import MAX_SATELLITES, make_layout, region_aspect, scene_shape
from nnviz3d.mlp import forward, overflow_allowed
from nnviz3d.text import message
from nnviz3d.timeline.code import code_listing
from nnviz3d.timeline.kinds import DURATIONS, KINDS, Beat, chains, has_feature_maps
from nnviz3d.timeline.model import (
    DIM,
    MAX_PANEL_COLS,
    MAX_PANEL_ROWS,
    NODE_DIM,
    TIMES,
    FitCurve,
    Step,
    Timeline,
    Visual,
    fmt,
    fmt_input,
    magnification,
    matrix_decimals,
    montage_epochs,
)

if TYPE_CHECKING:
    from nnviz3d.recorder import NetworkSpec, Trace, UpdateRecord
    from nnviz3d.scene import Scene


# -- the story: which beats, in which order ------------------------------------------
def shown_batches(spec: NetworkSpec, chosen: tuple[int, ...] | None) -> list[int]:
    """The batches (from 1) of a shown epoch that the video plays."""
    return [b for b in range(1, spec.n_batches + 1) if chosen is None or b in chosen]


def batch_records(spec: NetworkSpec, batch: int) -> int:
    """How many records batch ``batch`` (from 1) holds; the last one may be short."""
    n = len(spec.inputs)
    return min(spec.batch_size, n - (batch - 1) * spec.batch_size)


def _decades(after: int, before: int) -> list[int]:
    """The powers of ten strictly between two iterations."""
    return [10**k for k in range(1, len(str(before))) if after < 10**k < before]


def epilogue_epochs(scene: Scene, shown: tuple[int, ...]) -> tuple[int, ...]:
    """The epilogue's iterations: 10, 100, 1000, ... after the last shown one, and the last
    of the run; none when the scene has no epilogue."""
    if not scene.render.epilogue:
        return ()
    last = scene.network.epochs
    after = max(shown, default=0)
    return tuple(e for e in [*_decades(after, last), last] if e > after)


def _one_two_five(after: int, before: int) -> list[int]:
    """1, 2 and 5 times each power of ten strictly between two iterations (10, 20, 50, 100, ...)."""
    return [m * 10**k for k in range(1, len(str(before))) for m in (1, 2, 5) if after < m * 10**k < before]


def timelapse_epochs(scene: Scene, shown: tuple[int, ...]) -> dict[int, tuple[int, ...]]:
    """The fast forward into each shown epoch that follows a gap (with the epilogue on): 1, 2
    and 5 times the powers of ten skipped over, so that the cut from iteration 3 to 1998
    shows the outputs and the error on their way (10, 20, 50, ..., 1000): the network
    learning XOR between 100 and 1000, where three decades showed it learnt at a jump
    (review 60b asked for the learning seen as it happens)."""
    if not scene.render.epilogue:
        return {}
    lapses = {}
    for before, epoch in zip((0, *shown), shown, strict=False):
        if steps := _one_two_five(before, epoch):
            lapses[epoch] = tuple(steps)
    return lapses


def needed_epochs(scene: Scene, shown: tuple[int, ...]) -> tuple[int, ...]:
    """Every epoch a trace must hold whole for the video: the shown ones, the fast forwards'
    and the epilogue's."""
    lapses = [e for decades in timelapse_epochs(scene, shown).values() for e in decades]
    return tuple(sorted({*shown, *lapses, *epilogue_epochs(scene, shown)}))


def recorded_epochs(scene: Scene, shown: tuple[int, ...]) -> tuple[int, ...]:
    """Every epoch the trainer keeps whole: the needed ones, and the iterations each glance
    passes through on its way from the iteration shown before it (its montage; a trace
    recorded without them shows the glance without it)."""
    montage = [e for before, epoch in glance_pairs(scene, shown) for e in montage_epochs(before, epoch)]
    return tuple(sorted({*needed_epochs(scene, shown), *montage}))


def glance_pairs(scene: Scene, shown: tuple[int, ...]) -> list[tuple[int, int]]:
    """(the iteration shown before it, its own) for each glance whose beat before shows an
    iteration (not a card: the epilogue's first comes after its card, a clean slide), as
    the story plays them: what the builder's glances find before them (kinds._montage)."""
    pairs, before = [], None
    for beat in story(scene, shown):
        if beat.kind in ("timelapse", "epilogue") and before is not None:
            pairs.append((before, beat.epoch))
        before = beat.epoch if beat.kind != "card" else None
    return pairs


def showing(scene: Scene, epochs: tuple[int, ...] | None) -> Scene:
    """``scene`` showing exactly ``epochs``, without the epilogue (what ``--epochs`` means);
    the scene as it is when ``epochs`` is None."""
    if not epochs:
        return scene
    return replace(scene, render=replace(scene.render, epochs=tuple(epochs), epilogue=False))


def worked_out(spec: NetworkSpec, batch: int) -> bool:
    """Whether an update's largest change is worked out number by number (in the first
    node-by-node iteration, for a small batch of a small network without biases: the sum
    fits a caption)."""
    return spec.biases is None and batch_records(spec, batch) <= 8 and max(spec.layers) <= 8


def panels_shape(scene: Scene) -> str:
    """Which set of panels hall and lecture give the scene's network (layout.scene_shape)."""
    spec = scene.network
    records = min(spec.batch_size, len(spec.inputs))
    return scene_shape(
        scene.render.layout,
        spec.layers,
        records if records <= MAX_SATELLITES else 0,
        spec.sampler is not None,
    )


def story(scene: Scene, epochs: tuple[int, ...]) -> Iterator[Beat]:
    """Seed 000's walk-through for the shown ``epochs``, then the scene's epilogue."""
    spec = scene.network
    n_w = len(spec.layers) - 1
    yield Beat("title")
    for k in range(n_w):
        yield Beat("init", layer=k)
    yield Beat("loop")
    batches = shown_batches(spec, scene.render.batches)
    # gradient descent's shot of its own: hall and lecture, where the network is the picture
    descends = scene.render.layout in ("hall", "lecture") and panels_shape(scene) == "network"
    previous = 0
    lapses = timelapse_epochs(scene, epochs)
    for epoch in epochs:
        for lapse in lapses.get(epoch, ()):
            yield Beat("timelapse", lapse, batches[0])
        if epoch != previous + 1:
            yield Beat("skip", epoch, batches[0], after=max(lapses.get(epoch, ()), default=None))
        for batch in batches:
            if epoch in scene.render.full:
                yield Beat("card", epoch, batch, text="card_forward")
                for r in range(batch_records(spec, batch)):
                    yield Beat("input", epoch, batch, record=r)
                    for k in range(1, n_w + 1):
                        for j in range(spec.layers[k]):
                            first = epoch == epochs[0] and batch == batches[0] and r == 0
                            slow = FIRST_EXAMPLE_SLOW if first else 1.0
                            yield Beat("node", epoch, batch, record=r, layer=k, node=j, slow=slow)
                    yield Beat("output_error", epoch, batch, record=r)
                yield Beat("card", epoch, batch, text="card_backward")
            else:
                for k in range(n_w + 1):
                    yield Beat("layer", epoch, batch, layer=k)
                yield Beat("output_error", epoch, batch)
            yield Beat("display_error", epoch, batch)
            for k in range(n_w, 0, -1):
                if k < n_w:  # the first deltas sent back one by one, slowly
                    slow = SENT_BACK_SLOW if epoch == epochs[0] and batch == batches[0] else 1.0
                    yield Beat("error", epoch, batch, layer=k, slow=slow)
                yield Beat("delta", epoch, batch, layer=k)
            for k in range(n_w - 1, -1, -1):
                yield Beat("update", epoch, batch, layer=k)
                if epoch == min(scene.render.full, default=0) and worked_out(spec, batch):
                    yield Beat("worked", epoch, batch, layer=k)
                    once = batch == batches[0] and descends
                    if once and chains(spec, k):  # one record's share of it, rate by rate
                        if k == n_w - 1:  # first, once: the nudge the chain's rates explain
                            yield Beat("nudge", epoch, batch, layer=k)
                        yield Beat("chain", epoch, batch, layer=k)
                    if k == n_w - 1 and once:  # once: why the change goes its way
                        yield Beat("descent", epoch, batch, layer=k)
                        if spec.layers[k] * spec.layers[k + 1] > 1:  # and for two weights at once
                            yield Beat("landscape", epoch, batch, layer=k)
        yield Beat("end", epoch, batches[-1])
        previous = epoch
    if scene.render.epilogue:
        later = epilogue_epochs(scene, epochs)
        if later:
            yield Beat("card", later[0], text="card_epilogue" if len(later) > 1 else "card_epilogue_last")
        for epoch in later:
            yield Beat("epilogue", epoch, batches[0])
        if has_feature_maps(spec, spec.layers):  # what the nodes learned, big: the payoff
            yield Beat("features", spec.epochs, batches[0])
        yield Beat("summary", spec.epochs, batches[0])


def evolution_story(scene: Scene, epochs: tuple[int, ...], label: str) -> Iterator[Beat]:
    """Training at a glance: a title, then one short step per shown epoch."""
    yield Beat("title", text=label)
    first_batch = shown_batches(scene.network, scene.render.batches)[0]
    for epoch in epochs:
        yield Beat("evolve", epoch, first_batch, text=label)


#: the first shown record's node steps last this many times a node step's duration: the
#: numbers flying into the formula and the beads can be followed once, slowly
FIRST_EXAMPLE_SLOW = 3.5
#: the first shown iteration's errors sent back last this many times an error step: the
#: example's delta travels first, alone, scaled by its weight and held there a moment
SENT_BACK_SLOW = 5.5


def beat_seconds(beat: Beat, durations: dict[str, float], speed: float) -> float:
    """How long ``beat`` plays: its kind's seconds, slowed for the first example, at the
    scene's speed (the builder's steps and :func:`story_seconds` alike)."""
    return durations[beat.kind] * beat.slow / speed


def durations(scene: Scene) -> dict[str, float]:
    """Seconds per kind at speed 1: the kinds' own, with the scene's [render.durations]."""
    return {**DURATIONS, **dict(scene.render.durations)}


def story_seconds(scene: Scene, epochs: tuple[int, ...] | None = None) -> float:
    """The video's length from its story alone, before any training (``epochs``: exactly
    those, as in :func:`showing`)."""
    d = durations(scene)
    if scene.compare_round:  # the split screen: every run at the same log-spaced iterations
        from nnviz3d.compare import keyframes

        beats = evolution_story(scene, keyframes(scene.network.epochs), "")
    else:
        scene = showing(scene, epochs)
        beats = story(scene, scene.render.epochs)
    fps = scene.render.fps  # each step lasts whole frames, as the builder rounds it
    return sum(max(1, round(beat_seconds(beat, d, scene.render.speed) * fps)) for beat in beats) / fps


def build_timeline(scene: Scene, trace: Trace, epochs: tuple[int, ...] | None = None) -> Timeline:
    """Seed 000's story for the scene's shown epochs and epilogue, or exactly ``epochs``
    (see :func:`showing`); ``trace`` must hold :func:`recorded_epochs` whole.

    A diverged run's products overflow here too; they are shown as inf/nan, not warned."""
    scene = showing(scene, epochs)
    shown = scene.render.epochs
    with overflow_allowed():
        later = tuple(e for e in recorded_epochs(scene, shown) if e not in shown)
        return Builder(scene, trace, shown, later).play(story(scene, shown))


def build_evolution_timeline(scene: Scene, trace: Trace, epochs: tuple[int, ...], label: str) -> Timeline:
    """Training at a glance for one comparison run."""
    with overflow_allowed():
        return Builder(scene, trace, epochs).play(evolution_story(scene, epochs, label))


# -- the builder: the state the beats share -------------------------------------------
class Builder:
    """What the screen holds between steps, and the helpers every kind of step uses.

    The kinds read and change ``visual``, ``labels``, ``values`` and the display error;
    :meth:`add` freezes them into a :class:`Step`."""

    def __init__(
        self,
        scene: Scene,
        trace: Trace,
        epochs: tuple[int, ...],
        later: tuple[int, ...] = (),
    ) -> None:
        self.scene, self.trace, self.epochs = scene, trace, epochs
        self.later = later  # the epochs shown at a glance: the fast forwards' and the epilogue's
        spec = scene.network
        self.spec = spec
        self.lang = scene.render.lang
        self.n_w = len(spec.layers) - 1
        records = min(spec.batch_size, len(spec.inputs))
        shape = panels_shape(scene)
        aspect = region_aspect(scene.render.layout, scene.render.width / scene.render.height, shape)
        self.layout = make_layout(spec.layers, records, aspect, beads=scene.render.layout == "study")
        self.shape = shape  # the panels hall and lecture show (layout.scene_shape)
        self.code, self.where = code_listing(scene)
        self.durations = durations(scene)
        self.steps: list[Step] = []
        lay = self.layout
        r = lay.n_records
        self.visual = Visual(
            node_values=np.full(lay.n_nodes, np.nan),
            satellites=np.full((lay.n_nodes, r), np.nan),
            satellite_signed=False,
            weights=np.zeros(lay.n_edges),
            node_focus=np.ones(lay.n_nodes),
            edge_focus=np.ones(lay.n_edges),
            outputs=np.full((r, spec.layers[-1]), np.nan),
            current_record=None,
            halos=np.full(lay.n_nodes, np.nan),
            targets=spec.targets[:r].copy(),
        )
        self.initial_visual = self.visual
        self.records = self.records_text(spec.inputs, spec.targets)
        self.labels: list[str] = [""] * lay.n_nodes
        self.values = np.full(lay.n_nodes, np.nan)  # a record's values as its nodes compute
        self.display_error: float | None = None
        self.display_error_epoch: int | None = None
        self.epoch: int | None = None
        self.batch_no: int | None = None
        self.update: UpdateRecord | None = None
        self.beat = Beat("title")

    def play(self, beats: Iterator[Beat]) -> Timeline:
        for beat in beats:
            self.beat = beat
            self.epoch = beat.epoch
            self.batch_no = beat.batch
            if beat.kind != "skip" and beat.batch is not None:
                self.enter_update(beat.epoch, beat.batch)
            KINDS[beat.kind].build(self, beat)
        return self.finish()

    def enter_update(self, epoch: int, batch: int) -> None:
        """The records, targets and divergence of the update the beats are about."""
        if self.update is not None and (self.update.epoch, self.update.batch) == (epoch, batch):
            return
        self.update = next(u for u in self.trace.epoch_updates(epoch) if u.batch == batch)
        u = self.update
        self.records = self.records_text(u.inputs, u.targets)
        self.visual = replace(
            self.visual,
            targets=u.targets[: self.layout.n_records].copy(),
            diverged=self.trace.diverged_at is not None and epoch >= self.trace.diverged_at,
            example_target=None if self.layout.n_records else u.targets[0].copy(),
        )

    def change_scale(self) -> tuple[float, float]:
        """(magnification, reference size) of weight changes for the whole video: from the
        largest change of the first shown update, so that later, smaller updates look smaller."""
        if not hasattr(self, "_change_scale"):
            first = self.trace.epoch_updates(self.epochs[0])[0]
            pairs = zip(first.weights_after, first.weights_before, strict=True)
            changes = np.concatenate([(a - b).ravel() for a, b in pairs])
            finite = np.abs(changes[np.isfinite(changes)])
            biggest = float(finite.max()) if finite.size else 0.0
            drawn = magnification(np.array([biggest]))
            self._change_scale = (drawn, biggest)
        return self._change_scale

    def error_scale(self) -> float:
        """The largest output error of the shown iterations: the errors' bars are drawn on
        one scale for the whole video, so the late ones look as small as they are."""
        if not hasattr(self, "_error_scale"):
            errors = [np.abs(u.output_errors) for e in self.epochs for u in self.trace.epoch_updates(e)]
            finite = [float(np.max(a[np.isfinite(a)])) for a in errors if np.isfinite(a).any()]
            self._error_scale = max(finite, default=0.0)
        return self._error_scale

    def epoch_before(self, epoch: int) -> int:
        """The shown epoch before ``epoch`` (0 before the first)."""
        earlier = [e for e in self.epochs if e < epoch]
        return max(earlier, default=0)

    # -- helpers -------------------------------------------------------------------
    def t(self, key: str, **values: object) -> str:
        return message(self.lang, key, **values)

    def records_text(self, inputs: np.ndarray, targets: np.ndarray) -> tuple[tuple[str, str], ...]:
        r = self.layout.n_records
        return tuple(
            (" ".join(fmt_input(v) for v in x), " ".join(fmt_input(v) for v in t))
            for x, t in zip(inputs[:r], targets[:r], strict=True)
        )

    def flat_weights(self, weights: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([w.ravel() for w in weights])

    def focus(self, nodes: list[int] | None, edges: list[int] | None) -> dict:
        lay = self.layout
        if nodes is None and edges is None:
            return {"node_focus": np.ones(lay.n_nodes), "edge_focus": np.ones(lay.n_edges)}
        nf = np.full(lay.n_nodes, NODE_DIM)
        ef = np.full(lay.n_edges, DIM)
        nf[list(nodes or [])] = 1.0
        ef[list(edges or [])] = 1.0
        return {"node_focus": nf, "edge_focus": ef}

    def clear_values(self) -> None:
        lay = self.layout
        self.labels = [""] * lay.n_nodes
        self.visual = replace(
            self.visual,
            node_values=np.full(lay.n_nodes, np.nan),
            satellites=np.full_like(self.visual.satellites, np.nan),
            outputs=np.full_like(self.visual.outputs, np.nan),
            current_record=None,
            halos=np.full(lay.n_nodes, np.nan),
        )

    def add(
        self,
        caption: str,
        code: tuple[str, ...] = (),
        gloss: str = "",
        panel: tuple[str, ...] = (),
        values: dict[str, float] | None = None,
        record: int | None = None,
        layer: int | None = None,
        node: int | None = None,
        nodes: list[int] | None = None,
        edges: list[int] | None = None,
        extras: dict | None = None,
        **visual_changes: object,
    ) -> None:
        """A step of the current beat's kind; ``visual_changes`` are what it leaves on screen.
        Its caption is ``caption + gloss``: the gloss explains, the hud draws it smaller."""
        kind = KINDS[self.beat.kind]
        self.visual = replace(self.visual, **{**self.focus(nodes, edges), **visual_changes})
        self.steps.append(
            Step(
                index=len(self.steps),
                kind=kind.name,
                phase=kind.phase,
                epoch=self.epoch,
                batch=self.batch_no,
                record=record,
                layer=layer,
                node=node,
                caption=caption + gloss,
                gloss=gloss,
                code_lines=tuple(self.where[c] for c in code),
                panel=panel,
                node_labels=tuple(self.labels),
                values=dict(values or {}),
                visual=self.visual,
                display_error=self.display_error,
                display_error_epoch=self.display_error_epoch,
                duration=beat_seconds(self.beat, self.durations, self.scene.render.speed),
                highlighted_nodes=tuple(sorted(nodes or ())),
                highlighted_edges=tuple(sorted(edges or ())),
                records=self.records,
                **(extras or {}),
            )
        )

    def matrix_panel(self, title: str, m: np.ndarray, sign: bool = True, digits: int = 4) -> tuple[str, ...]:
        rows = [title]
        m = np.atleast_2d(m)
        whole = bool(np.all(np.isfinite(m)) and np.all(m == np.round(m)))  # inputs: 0 and 1, not 1.0000
        if not whole:  # a matrix of small numbers keeps 3 digits of its largest (iteration
            # 1998's l1_delta printed -0.0000246 as "-0.0000": review 55d)
            digits = max(digits, matrix_decimals(m))
        for row in m[:MAX_PANEL_ROWS]:
            cells = [fmt_input(v) if whole else fmt(v, digits, sign) for v in row[:MAX_PANEL_COLS]]
            if len(row) > MAX_PANEL_COLS:
                cells.append("...")
            rows.append("  ".join(cells))
        if len(m) > MAX_PANEL_ROWS:
            rows.append(f"... ({len(m)} rows)")
        return tuple(rows)

    def delta_panel(self, k: int, error: np.ndarray, delta: np.ndarray, u: UpdateRecord) -> tuple[str, ...]:
        """``error x slope = delta`` per record with the numbers, as the seed checks it."""
        if error.shape[1] > 1 or self.spec.activations[k - 1] != "sigmoid":
            return self.matrix_panel(self.t("panel_rows", name=f"l{k}_delta"), delta)
        a = u.activations[k - 1]
        scale = delta / np.where(error == 0, 1, error) / np.where(a * (1 - a) == 0, 1, a * (1 - a))
        rows = [f"l{k}_delta = l{k}_error {TIMES} l{k}*(1-l{k})"]
        d = matrix_decimals(delta)
        for i in range(min(len(delta), MAX_PANEL_ROWS)):
            extra = "" if abs(scale[i, 0] - 1) < 1e-9 else f" {TIMES} {fmt(scale[i, 0], 4)}"
            rows.append(
                f"{fmt(error[i, 0], 4, True)} {TIMES} {fmt(a[i, 0] * (1 - a[i, 0]), 4)}{extra}"
                f" = {fmt(delta[i, 0], d, True)}"
            )
        if len(delta) > 1:  # the update uses the batch's deltas summed: the number on the node
            rows.append(self.t("panel_sum", v=fmt(float(delta[:, 0].sum()), d, True)))
        return tuple(rows)

    # -- the finished timeline -------------------------------------------------------
    def finish(self) -> Timeline:
        spec, lay = self.spec, self.layout
        steps, frame = [], 0
        fps = self.scene.render.fps
        for s in self.steps:
            n = max(1, round(s.duration * fps))
            steps.append(replace(s, first_frame=frame, n_frames=n))
            frame += n
        summaries = self.trace.summaries
        return Timeline(
            steps=tuple(steps),
            initial_visual=self.initial_visual,
            fps=fps,
            code=tuple(self.code),
            layout=lay,
            title=self.scene.title,
            total_epochs=spec.epochs,
            target_scale=self.target_scale(),
            n_batches=spec.n_batches,
            fit_curve=self.fit_curve(),
            lang=self.lang,
            font=None,
            screen=self.scene.render.layout,
            display_errors=summaries.mean_abs_error,
            update_sizes=summaries.update_size,
            losses=summaries.loss,
            weight_stats=summaries.weight_stats,
            bias_stats=summaries.bias_stats,
            accuracy=(summaries.accuracy, summaries.test_accuracy)
            if summaries.test_accuracy is not None
            else None,
            shown_epochs=tuple(sorted({*self.epochs, *self.later})),
        )

    def target_scale(self) -> float:
        """The largest |value| a square shows (targets and outputs alike), so that every
        square is proportional to its value and none outgrows its row."""
        epochs = (*self.epochs, *self.later)
        shown = [m for e in epochs for u in self.trace.epoch_updates(e) for m in (u.targets, u.outputs)]
        finite = [np.abs(m[np.isfinite(m)]) for m in shown]
        biggest = max((float(f.max()) for f in finite if f.size), default=1.0)
        return max(1.0, biggest)

    def fit_curve(self) -> FitCurve | None:
        sampler = self.spec.sampler
        if sampler is None:
            return None
        x = np.linspace(sampler.lo, sampler.hi, 121)[:, None]
        predictions = {}
        for epoch in sorted({*self.epochs, *self.later}):
            u = self.trace.epoch_updates(epoch)[0]
            predictions[epoch] = forward(self.spec.activations, u.weights_before, u.biases_before, x)[:, 0]
        return FitCurve(x[:, 0], sampler.function(x)[:, 0], predictions)
