"""The story of the video: a training trace turned into an ordered list of steps.

Each :class:`Step` is one beat of seed 000's walk-through (initialise syn0, hidden node 3
of record 2, l1_delta, the syn0 update, ...) with its caption, the line(s) of the
iamtrask-style code it corresponds to, what is highlighted, the numbers it shows, and a
:class:`Visual` -- the values the scene holds once the step has played. Frames are
derived later by tweening from one step's visual to the next, so this module decides
*what* is shown and *when*, never how it looks. Names follow iamtrask for every network:
layer ``l{k}``, weights ``syn{k}``, ``l{k}_error``, ``l{k}_delta``.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from nnviz3d.fonts import mono_advance_em
from nnviz3d.layout import Layout, make_layout, strongest_inputs
from nnviz3d.mlp import forward, overflow_allowed
from nnviz3d.recorder import Trace, UpdateRecord
from nnviz3d.scene import Scene
from nnviz3d.text import message

#: seconds each kind of step lasts at speed 1 (a lecturer can read every caption)
DURATIONS: dict[str, float] = {
    "title": 4.0,
    "card": 1.6,
    "init": 2.6,
    "loop": 2.2,
    "skip": 3.0,
    "input": 1.1,
    "node": 0.85,
    "layer": 2.2,
    "output_error": 1.4,
    "display_error": 2.6,
    "delta": 2.5,
    "error": 2.5,
    "update": 2.6,
    "end": 1.6,
    "evolve": 0.45,
}

DIM = 0.3  # brightness of what is not part of the current step
MAX_PANEL_ROWS = 6
MAX_PANEL_COLS = 6


def fmt(value: float, digits: int = 4, sign: bool = False) -> str:
    """The one way numbers are written on screen (rounded from the recorded float)."""
    if not np.isfinite(value):
        return "nan" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    text = f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"
    return "0." + "0" * digits if text in ("-0." + "0" * digits,) else text


def fmt_input(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else fmt(value, 3)


@dataclass(frozen=True)
class Visual:
    """The values on screen once a step has played (NaN = not computed / not shown)."""

    node_values: np.ndarray  # (n_nodes,)
    satellites: np.ndarray  # (n_nodes, n_records)
    satellite_signed: bool  # deltas/errors (coloured by sign) rather than activations
    weights: np.ndarray  # (n_edges,)
    node_focus: np.ndarray  # (n_nodes,) brightness, 1 = in focus
    edge_focus: np.ndarray  # (n_edges,)
    outputs: np.ndarray  # (n_records, n_out) shown outputs, NaN until computed
    current_record: int | None  # 0-based row of the batch being processed
    halos: np.ndarray  # (n_nodes,) a node's delta summed over the batch, NaN = no halo
    targets: np.ndarray  # (n_records, n_out) the targets of the records on screen
    diverged: bool = False  # training has blown up: NaN here is a value, not "not computed"


@dataclass(frozen=True)
class Signal:
    """A bead that travels along one weight during a step: forward input x weight, or a
    delta flowing back through a weight. ``value`` sets its size and sign its colour."""

    edge: int
    forward: bool
    value: float


@dataclass(frozen=True)
class Step:
    """One beat of the animation; ``first_frame``/``n_frames`` place it in the video."""

    index: int
    kind: str
    phase: str
    epoch: int | None
    batch: int | None
    record: int | None  # 0-based record of the batch
    layer: int | None
    node: int | None
    caption: str
    code_lines: tuple[int, ...]
    panel: tuple[str, ...]
    node_labels: tuple[str, ...]
    values: dict[str, float]
    visual: Visual
    display_error: float | None
    display_error_epoch: int | None
    duration: float
    first_frame: int = 0
    n_frames: int = 0
    highlighted_nodes: tuple[int, ...] = ()
    highlighted_edges: tuple[int, ...] = field(default=(), repr=False)
    card: tuple[str, str] | None = None  # a big centred title and subtitle
    signals: tuple[Signal, ...] = ()
    marked_edges: tuple[int, ...] = ()  # weights circled because they visibly change
    edge_labels: tuple[tuple[int, str], ...] = ()
    magnify: float = 1.0  # weight changes drawn this many times their size
    focus_x: float | None = None  # world x the camera leans towards (None: centre)
    records: tuple[tuple[str, str], ...] = ()  # (inputs, targets) text of the records on screen


@dataclass(frozen=True)
class FitCurve:
    """The network's output over the input interval at each shown epoch, and the truth."""

    x: np.ndarray
    truth: np.ndarray
    predictions: dict[int, np.ndarray]  # epoch -> outputs on x, with that epoch's weights


@dataclass(frozen=True)
class Timeline:
    """All steps of a video and the frame <-> step mapping."""

    steps: tuple[Step, ...]
    initial_visual: Visual  # the screen before the first step: nothing computed, no weights
    fps: int
    code: tuple[str, ...]
    layout: Layout
    title: str
    total_epochs: int
    target_scale: float  # the largest |target| shown (squares are sized against it)
    n_batches: int  # updates per epoch
    fit_curve: FitCurve | None  # function-fitting scenes: the learned curve per epoch
    lang: str
    font: str | None  # font file for every text element (None: VTK's own fonts)
    camera: str  # follow | static
    display_errors: np.ndarray  # mean |error| of every epoch (the inset plot)
    update_sizes: np.ndarray  # max |weight change| of every epoch
    shown_epochs: tuple[int, ...]
    #: seed 001's view: train and held-out accuracy per epoch (None without held-out data)
    accuracy: tuple[np.ndarray, np.ndarray] | None = None
    #: seed 003's view: the rows of the first weight matrix at each shown epoch
    trajectory: dict[int, np.ndarray] | None = None
    #: and the output layer's biases at each shown epoch
    bias_path: dict[int, np.ndarray] | None = None
    #: (min, mean, max, std) of each weight matrix and bias vector at the end of every epoch
    weight_stats: np.ndarray | None = None
    bias_stats: np.ndarray | None = None
    #: a monospaced font file for code and tables (Noto Sans Mono CJK JP); None: they use
    #: ``font`` (a proportional font: whole code lines, no syntax colours) or VTK's Courier
    mono_font: str | None = None

    @property
    def mono_em(self) -> float:
        """Advance of an ASCII character of the code and tables' font, in ems: the mono
        font's own (0.5 for Noto Sans Mono CJK, kanji one em), else Courier's 0.6."""
        return mono_advance_em(self.mono_font) if self.mono_font else 0.6

    def mono_advance_px(self, size: int) -> float:
        """Pixels from one column of code to the next at font size ``size``: FreeType
        rounds the mono font's advance to whole pixels (Noto's 0.5 em is 7 px at 13 px)."""
        return math.floor(self.mono_em * size + 0.5) if self.mono_font else 0.6 * size

    @cached_property
    def _starts(self) -> list[int]:
        return [s.first_frame for s in self.steps]

    @property
    def n_frames(self) -> int:
        last = self.steps[-1]
        return last.first_frame + last.n_frames

    @property
    def duration(self) -> float:
        return self.n_frames / self.fps

    def step_at(self, frame: int) -> Step:
        """The step that frame ``frame`` belongs to."""
        if not 0 <= frame < self.n_frames:
            raise IndexError(f"frame {frame} is outside 0..{self.n_frames - 1}")
        return self.steps[bisect.bisect_right(self._starts, frame) - 1]

    def frames_of(self, step_index: int) -> range:
        """The frames that show step ``step_index``."""
        s = self.steps[step_index]
        return range(s.first_frame, s.first_frame + s.n_frames)


def code_listing(scene: Scene) -> tuple[list[str], dict[str, int]]:
    """iamtrask-style code for this network, and where each part of the loop is."""
    spec = scene.network
    n_w = len(spec.layers) - 1
    out = n_w
    lines: list[str] = []
    where: dict[str, int] = {}

    def add(key: str, text: str) -> None:
        where[key] = len(lines)
        lines.append(text)

    for k in range(n_w):
        shape = f"({spec.layers[k]},{spec.layers[k + 1]})"
        if scene.init_scheme == "iamtrask":
            add(f"init{k}", f"syn{k} = 2*np.random.random({shape}) - 1")
        elif scene.init_scheme == "explicit":
            add(f"init{k}", f"syn{k} = np.array(...)  # given {shape}")
        else:
            add(f"init{k}", f"syn{k} = {scene.init_scheme} random {shape}")
    add("loop", f"for j in range({spec.epochs}):")
    add("input", "  l0 = X")
    for k in range(1, n_w + 1):
        f = _fname(spec.activations[k - 1])
        b = f" + b{k - 1}" if spec.biases is not None else ""
        add(f"layer{k}", f"  l{k} = {f}(np.dot(l{k - 1},syn{k - 1}){b})")
    add("error", f"  l{out}_error = y - l{out}")
    add("display", f"  print(np.mean(np.abs(l{out}_error)))")
    for k in range(n_w, 0, -1):
        if k < n_w:
            add(f"error{k}", f"  l{k}_error = l{k + 1}_delta.dot(syn{k}.T)")
        add(f"delta{k}", f"  l{k}_delta = {_delta_expr(scene, k)}")
    lr = spec.learning_rate
    lr_text = "" if lr == 1 else f"{lr:g} * "
    for k in range(n_w - 1, -1, -1):
        add(f"update{k}", f"  syn{k} += {lr_text}l{k}.T.dot(l{k + 1}_delta)")
        if spec.biases is not None:
            add(f"bias{k}", f"  b{k} += {lr_text}l{k + 1}_delta.sum(0)")
    return lines, where


def _fname(activation: str) -> str:
    return "nonlin" if activation == "sigmoid" else activation


def _delta_expr(scene: Scene, k: int) -> str:
    spec = scene.network
    act = spec.activations[k - 1]
    err = f"l{k}_error"
    if k == len(spec.layers) - 1 and spec.reduction == "mean":
        err = f"({err} / len(X))"
    if k == len(spec.layers) - 1 and spec.loss == "cross_entropy":
        return f"{err}  # {act} + cross-entropy"
    if act == "sigmoid":
        return f"{err} * nonlin(l{k},deriv=True)"
    if act == "identity":
        return err
    return f"{err} * {act}'(l{k})"


def build_timeline(scene: Scene, trace: Trace, epochs: tuple[int, ...] | None = None) -> Timeline:
    """Seed 000's story for the shown ``epochs`` (default: the scene's).

    A diverged run's products overflow here too; they are shown as inf/nan, not warned."""
    with overflow_allowed():
        return _Builder(scene, trace, epochs or scene.render.epochs).build()


def build_evolution_timeline(scene: Scene, trace: Trace, epochs: tuple[int, ...], label: str) -> Timeline:
    """Training at a glance for one comparison run (see :meth:`_Builder.build_evolution`)."""
    with overflow_allowed():
        return _Builder(scene, trace, epochs).build_evolution(label)


def magnification(change: np.ndarray) -> float:
    """The power of ten that makes the largest weight change visible (at least 0.05)."""
    biggest = float(np.max(np.abs(change))) if change.size else 0.0
    if biggest <= 0 or not np.isfinite(biggest) or biggest >= 0.02:
        return 1.0
    return float(10 ** math.ceil(math.log10(0.05 / biggest)))


class _Builder:
    def __init__(self, scene: Scene, trace: Trace, epochs: tuple[int, ...]) -> None:
        self.scene, self.trace, self.epochs = scene, trace, epochs
        spec = scene.network
        self.spec = spec
        self.lang = scene.render.lang
        self.n_w = len(spec.layers) - 1
        self.batch = min(spec.batch_size, len(spec.inputs))
        self.layout = make_layout(spec.layers, self.batch)
        self.code, self.where = code_listing(scene)
        self.durations = {**DURATIONS, **dict(scene.render.durations)}
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
        self.display_error: float | None = None
        self.display_error_epoch: int | None = None
        self.epoch: int | None = None
        self.batch_no: int | None = None

    # -- helpers -------------------------------------------------------------------
    def t(self, key: str, **values: object) -> str:
        return message(self.lang, key, **values)

    def layer_x(self, layer: float) -> float:
        return float(layer) * (self.layout.nodes[-1, 0] / max(1, self.n_w))

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
        nf = np.full(lay.n_nodes, DIM)
        ef = np.full(lay.n_edges, DIM)
        nf[list(nodes or [])] = 1.0
        ef[list(edges or [])] = 1.0
        return {"node_focus": nf, "edge_focus": ef}

    def add(
        self,
        kind: str,
        phase: str,
        caption: str,
        code: tuple[str, ...] = (),
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
        self.visual = replace(self.visual, **self.focus(nodes, edges), **visual_changes)
        duration = self.durations[kind] / self.scene.render.speed
        self.steps.append(
            Step(
                index=len(self.steps),
                kind=kind,
                phase=phase,
                epoch=self.epoch,
                batch=self.batch_no,
                record=record,
                layer=layer,
                node=node,
                caption=caption,
                code_lines=tuple(self.where[c] for c in code),
                panel=panel,
                node_labels=tuple(self.labels),
                values=dict(values or {}),
                visual=self.visual,
                display_error=self.display_error,
                display_error_epoch=self.display_error_epoch,
                duration=duration,
                highlighted_nodes=tuple(sorted(nodes or ())),
                highlighted_edges=tuple(sorted(edges or ())),
                records=self.records,
                **(extras or {}),
            )
        )

    def matrix_panel(self, title: str, m: np.ndarray, sign: bool = True, digits: int = 4) -> tuple[str, ...]:
        rows = [title]
        m = np.atleast_2d(m)
        for row in m[:MAX_PANEL_ROWS]:
            cells = [fmt(v, digits, sign) for v in row[:MAX_PANEL_COLS]]
            if len(row) > MAX_PANEL_COLS:
                cells.append("...")
            rows.append("  ".join(cells))
        if len(m) > MAX_PANEL_ROWS:
            rows.append(f"... ({len(m)} rows)")
        return tuple(rows)

    def card(self, title: str, subtitle: str = "", kind: str = "card", **kw: object) -> None:
        self.add(kind, "card", title, extras={"card": (title, subtitle)}, nodes=[], edges=[], **kw)

    # -- the story -----------------------------------------------------------------
    def build(self) -> Timeline:
        spec, lay = self.spec, self.layout
        layers = "-".join(str(n) for n in spec.layers)
        self.card(
            self.scene.title,
            self.t("title_sub", layers=layers, epochs=spec.epochs),
            kind="title",
        )
        weights = list(spec.weights)
        shown = np.zeros(lay.n_edges)
        for k, w in enumerate(weights):
            shown[list(lay.layer_edges(k))] = w.ravel()
            how = "2*random - 1" if self.scene.init_scheme == "iamtrask" else self.scene.init_scheme
            self.add(
                "init",
                "init",
                self.t("init", k=k, k1=k + 1, rows=w.shape[0], cols=w.shape[1], how=how),
                code=(f"init{k}",),
                panel=self.matrix_panel(self.t("panel_matrix", name=f"syn{k}"), w),
                values={f"syn{k}[{i},{j}]": float(w[i, j]) for i, j in np.ndindex(*w.shape)},
                layer=k,
                nodes=[*lay.layer_nodes(k), *lay.layer_nodes(k + 1)],
                edges=list(lay.layer_edges(k)),
                extras={"focus_x": self.layer_x(k + 0.5)},
                weights=shown.copy(),
            )
        records = self.t("records_all", n=len(spec.inputs)) if len(spec.inputs) > 1 else self.t("records_one")
        self.add("loop", "loop", self.t("loop", epochs=spec.epochs, records=records), code=("loop",))
        previous = 0
        for epoch in self.epochs:
            self.epoch = epoch
            updates = self.trace.epoch_updates(epoch)
            self.batch_no = updates[0].batch
            if epoch != previous + 1:
                self.skip(previous, epoch, updates[0])
            full = epoch in self.scene.render.full
            for u in updates:
                self.batch_no = u.batch
                self.records = self.records_text(u.inputs, u.targets)
                self.visual = replace(
                    self.visual,
                    targets=u.targets[: lay.n_records].copy(),
                    diverged=self.trace.diverged_at is not None and epoch >= self.trace.diverged_at,
                )
                if full:
                    self.card(self.t("card_forward", epoch=epoch))
                    self.forward_full(u)
                    self.card(self.t("card_backward", epoch=epoch))
                else:
                    self.forward_compact(u)
                self.backward(u)
            self.end_epoch(epoch)
            previous = epoch
        return self.finish()

    def build_evolution(self, label: str) -> Timeline:
        """Training at a glance (the butterfly-effect comparison): one short step per shown
        epoch, every layer for every record at once, the run's name and score in the caption."""
        lay, n_w, r = self.layout, self.n_w, self.layout.n_records
        self.card(self.scene.title, label, kind="title")
        for epoch in self.epochs:
            self.epoch = epoch
            u = self.trace.epoch_updates(epoch)[0]
            self.batch_no = u.batch
            self.records = self.records_text(u.inputs, u.targets)
            sats = np.full_like(self.visual.satellites, np.nan)
            for k in range(n_w + 1):
                m = u.inputs if k == 0 else u.activations[k - 1]
                if r:
                    sats[list(lay.layer_nodes(k))] = m[:r].T
            self.display_error = float(u.mean_abs_error)
            self.display_error_epoch = epoch
            argmax = u.outputs.argmax(axis=1).tolist()
            accuracy = float(np.mean(u.outputs.argmax(axis=1) == u.targets.argmax(axis=1)))
            self.add(
                "evolve",
                "forward",
                self.t(
                    "evolve",
                    label=label,
                    epoch=epoch,
                    loss=fmt(u.loss, 4),
                    acc=f"{accuracy:.0%}",
                    argmax=argmax,
                ),
                code=("loop",),
                values={"loss": float(u.loss), "accuracy": accuracy},
                weights=self.flat_weights(u.weights_before),
                satellites=sats,
                outputs=u.outputs[:r].copy(),
                targets=u.targets[:r].copy(),
            )
        return self.finish()

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
            camera=self.scene.render.camera,
            display_errors=summaries.mean_abs_error,
            update_sizes=summaries.update_size,
            weight_stats=summaries.weight_stats,
            bias_stats=summaries.bias_stats,
            accuracy=(summaries.accuracy, summaries.test_accuracy)
            if summaries.test_accuracy is not None
            else None,
            shown_epochs=tuple(self.epochs),
        )

    def target_scale(self) -> float:
        """The largest |value| a square shows (targets and outputs alike), so that every
        square is proportional to its value and none outgrows its row."""
        shown = [m for e in self.epochs for u in self.trace.epoch_updates(e) for m in (u.targets, u.outputs)]
        finite = [np.abs(m[np.isfinite(m)]) for m in shown]
        biggest = max((float(f.max()) for f in finite if f.size), default=1.0)
        return max(1.0, biggest)

    def fit_curve(self) -> FitCurve | None:
        sampler = self.spec.sampler
        if sampler is None:
            return None
        x = np.linspace(sampler.lo, sampler.hi, 121)[:, None]
        predictions = {}
        for epoch in self.epochs:
            u = self.trace.epoch_updates(epoch)[0]
            predictions[epoch] = forward(self.spec.activations, u.weights_before, u.biases_before, x)[:, 0]
        return FitCurve(x[:, 0], sampler.function(x)[:, 0], predictions)

    def skip(self, previous: int, epoch: int, u: UpdateRecord) -> None:
        gap = epoch - previous - 1
        self.clear_values()
        if previous:
            self.display_error = float(self.trace.summaries.mean_abs_error[epoch - 2])
            self.display_error_epoch = epoch - 1
        text = self.t("skip", gap=gap, epoch=epoch)
        self.add(
            "skip",
            "loop",
            text,
            code=("loop",),
            values={"skipped_iterations": float(gap)},
            nodes=[],
            edges=[],
            extras={"card": (text, "")},
            weights=self.flat_weights(u.weights_before),
        )

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

    def forward_full(self, u: UpdateRecord) -> None:
        lay, n_w = self.layout, self.n_w
        self.clear_values()
        n_records = len(self.spec.inputs)
        for r in range(len(u.inputs)):
            x = u.inputs[r]
            values = np.full(lay.n_nodes, np.nan)
            values[list(lay.layer_nodes(0))] = x
            self.labels = [""] * lay.n_nodes
            for j, v in enumerate(x):
                self.labels[lay.node_id(0, j)] = fmt_input(v)
            row = int(u.record_indices[r]) + 1
            self.add(
                "input",
                "forward",
                self.t(
                    "input",
                    row=row,
                    n=n_records,
                    x=", ".join(fmt_input(v) for v in x),
                    t=", ".join(fmt_input(v) for v in u.targets[r]),
                ),
                code=("input",),
                values={f"l0[{j}]": float(v) for j, v in enumerate(x)},
                record=r,
                layer=0,
                nodes=list(lay.layer_nodes(0)),
                edges=[],
                extras={"focus_x": self.layer_x(0)},
                node_values=values.copy(),
                current_record=r if r < lay.n_records else None,
            )
            for k in range(1, n_w + 1):
                prev = u.activations[k - 2][r] if k > 1 else x
                w = u.weights_before[k - 1]
                act = self.spec.activations[k - 1]
                for j in range(self.spec.layers[k]):
                    z = float(u.preactivations[k - 1][r, j])
                    a = float(u.activations[k - 1][r, j])
                    values[lay.node_id(k, j)] = a
                    self.labels[lay.node_id(k, j)] = fmt(a)
                    terms = " + ".join(
                        f"{fmt_input(p)}*({fmt(wij, 3)})" for p, wij in zip(prev, w[:, j], strict=True)
                    )
                    if len(prev) > 4:
                        terms = self.t("sum_of", n=len(prev))
                    if u.biases_before is not None:
                        terms += f" + ({fmt(float(u.biases_before[k - 1][j]), 3)})"
                    if k == n_w:
                        name = self.t("output", j=j + 1)
                    else:
                        name = self.t("hidden_of" if n_w > 2 else "hidden", j=j + 1, k=k)
                    incoming = [lay.edge_id(k - 1, i, j) for i in range(self.spec.layers[k - 1])]
                    self.add(
                        "node",
                        "forward",
                        self.t("node", name=name, terms=terms, z=fmt(z), act=act, a=fmt(a)),
                        code=(f"layer{k}",),
                        values={f"l{k}[{j}]": a, f"z{k}[{j}]": z},
                        record=r,
                        layer=k,
                        node=j,
                        nodes=[*lay.layer_nodes(k - 1), lay.node_id(k, j)],
                        edges=incoming,
                        extras={
                            "signals": tuple(
                                Signal(e, True, float(p * wij))
                                for e, p, wij in zip(incoming, prev, w[:, j], strict=True)
                            ),
                            "focus_x": self.layer_x(k - 0.5),
                        },
                        node_values=values.copy(),
                    )
            outputs = self.visual.outputs.copy()
            if r < lay.n_records:
                outputs[r] = u.outputs[r]
            err = u.output_errors[r]
            terms = ", ".join(
                f"{fmt_input(t)} - {fmt(o)} = {fmt(e, sign=True)}"
                for t, o, e in zip(u.targets[r], u.outputs[r], err, strict=True)
            )
            self.add(
                "output_error",
                "forward",
                self.t("output_error", k=n_w, terms=terms),
                code=("error",),
                values={f"l{n_w}_error[{o}]": float(e) for o, e in enumerate(err)},
                record=r,
                layer=n_w,
                nodes=list(lay.layer_nodes(n_w)),
                edges=[],
                extras={"focus_x": self.layer_x(n_w + 0.4)},
                outputs=outputs,
            )

    def forward_compact(self, u: UpdateRecord) -> None:
        lay, n_w = self.layout, self.n_w
        self.clear_values()
        n = len(u.inputs)
        sats = self.visual.satellites.copy()
        r = lay.n_records
        example = np.full(lay.n_nodes, np.nan)  # too many records for beads: one flows through
        for k in range(0, n_w + 1):
            m = u.inputs if k == 0 else u.activations[k - 1]
            if r:
                sats[list(lay.layer_nodes(k))] = m[:r].T
            else:
                example[list(lay.layer_nodes(k))] = m[0]
            signals: tuple[Signal, ...] = ()
            if k:
                prev = u.inputs if k == 1 else u.activations[k - 2]
                w = u.weights_before[k - 1]
                mean_in = prev.mean(axis=0)
                flow = mean_in[:, None] * w
                signals = tuple(
                    Signal(lay.edge_id(k - 1, i, j), True, float(flow[i, j])) for i, j in _strongest(flow)
                )
            caption = self.t("compact_input", n=n) if k == 0 else self.t("compact_layer", k=k, n=n)
            if not r:
                caption += self.t("example", row=int(u.record_indices[0]) + 1)
            self.add(
                "layer",
                "forward",
                caption,
                code=("input",) if k == 0 else (f"layer{k}",),
                panel=self.matrix_panel(self.t("panel_rows", name=f"l{k}"), m, sign=False),
                values=_matrix_values(f"l{k}", m),
                layer=k,
                nodes=list(lay.layer_nodes(k)) + (list(lay.layer_nodes(k - 1)) if k else []),
                edges=list(lay.layer_edges(k - 1)) if k else [],
                extras={"signals": signals, "focus_x": self.layer_x(max(0, k - 0.5))},
                satellites=sats.copy(),
                satellite_signed=False,
                node_values=example.copy() if not r else self.visual.node_values,
            )
        outputs = self.visual.outputs.copy()
        outputs[:] = u.outputs[:r]
        self.add(
            "output_error",
            "forward",
            self.t("compact_error", k=n_w, n=n),
            code=("error",),
            panel=self.matrix_panel(self.t("panel_matrix", name=f"l{n_w}_error"), u.output_errors),
            values=_matrix_values(f"l{n_w}_error", u.output_errors),
            layer=n_w,
            nodes=list(lay.layer_nodes(n_w)),
            edges=[],
            extras={"focus_x": self.layer_x(n_w + 0.4)},
            outputs=outputs,
        )

    def backward(self, u: UpdateRecord) -> None:
        lay, n_w, r = self.layout, self.n_w, self.layout.n_records
        self.display_error = float(u.mean_abs_error)
        self.display_error_epoch = u.epoch
        self.add(
            "display_error",
            "error",
            self.t("display_error", k=n_w, e=fmt(u.mean_abs_error, 5), loss=fmt(u.loss, 5)),
            code=("display",),
            panel=self.matrix_panel(self.t("panel_matrix", name=f"l{n_w}_error"), u.output_errors),
            values={"display_error": float(u.mean_abs_error), "loss": float(u.loss)},
            nodes=list(lay.layer_nodes(n_w)),
            edges=[],
            extras={"focus_x": self.layer_x(n_w + 0.4)},
        )
        sats = np.full_like(self.visual.satellites, np.nan)
        halos = np.full(lay.n_nodes, np.nan)
        self.labels = [""] * lay.n_nodes  # the beads and the panel carry the numbers now
        for k in range(n_w, 0, -1):
            if k < n_w:
                err = -u.activation_grads[k - 1]
                if r:
                    sats[list(lay.layer_nodes(k))] = err[:r].T
                later_delta = -u.deltas[k]
                w = u.weights_before[k]
                flow = later_delta.mean(axis=0)
                self.add(
                    "error",
                    "backward",
                    self.t("error_hidden", k=k, k1=k + 1),
                    code=(f"error{k}",),
                    panel=self.matrix_panel(self.t("panel_rows", name=f"l{k}_error"), err),
                    values=_matrix_values(f"l{k}_error", err),
                    layer=k,
                    nodes=[*lay.layer_nodes(k), *lay.layer_nodes(k + 1)],
                    edges=list(lay.layer_edges(k)),
                    extras={
                        "signals": tuple(
                            Signal(lay.edge_id(k, i, j), False, float(flow[j] * w[i, j]))
                            for i, j in _strongest(flow[None, :] * w)
                        ),
                        "focus_x": self.layer_x(k + 0.5),
                    },
                    satellites=sats.copy(),
                    satellite_signed=True,
                )
            delta = -u.deltas[k - 1]
            if r:
                sats[list(lay.layer_nodes(k))] = delta[:r].T
            halos[list(lay.layer_nodes(k))] = delta.sum(axis=0)
            act = self.spec.activations[k - 1]
            slope_key = {"sigmoid": "slope_sigmoid", "identity": "slope_identity"}.get(act, "slope_other")
            error = u.output_errors if k == n_w else -u.activation_grads[k - 1]
            self.add(
                "delta",
                "backward",
                self.t("delta", k=k, slope=self.t(slope_key, k=k, act=act)),
                code=(f"delta{k}",),
                panel=self.delta_panel(k, error, delta, u),
                values=_matrix_values(f"l{k}_delta", delta),
                layer=k,
                nodes=list(lay.layer_nodes(k)),
                edges=[],
                extras={"focus_x": self.layer_x(k)},
                satellites=sats.copy(),
                satellite_signed=True,
                halos=halos.copy(),
            )
        weights = self.flat_weights(u.weights_before)
        lr = self.spec.learning_rate
        lr_text = "" if lr == 1 else f"{lr:g} * "
        for k in range(n_w - 1, -1, -1):
            change = u.weights_after[k] - u.weights_before[k]
            edges = list(lay.layer_edges(k))
            m = magnification(change)
            weights[edges] = (u.weights_before[k] + m * change).ravel()
            biggest = float(np.max(np.abs(change)))
            order = np.argsort(-np.abs(change).ravel(), kind="stable")[: min(3, change.size)]
            marked = tuple(edges[i] for i in order)
            caption = self.t("update", k=k, k1=k + 1, lr=lr_text, big=fmt(biggest, 5))
            if m != 1:
                caption += self.t("magnified", m=f"{m:g}")
            digits = 4 if biggest >= 1e-3 else 6
            self.add(
                "update",
                "update",
                caption,
                code=(f"update{k}",) + ((f"bias{k}",) if self.spec.biases is not None else ()),
                panel=(
                    self.matrix_panel(self.t("panel_gradient", k=k), u.weight_gradients[k], digits=digits)
                    if lr != 1
                    else ()
                )
                + self.matrix_panel(self.t("panel_change", k=k), change, digits=digits)
                + self.matrix_panel(self.t("panel_new", k=k), u.weights_after[k]),
                values={
                    **_matrix_values(f"dE/dsyn{k}", u.weight_gradients[k]),
                    **_matrix_values(f"syn{k}_change", change),
                    **_matrix_values(f"syn{k}", u.weights_after[k]),
                    "magnify": m,
                },
                layer=k,
                nodes=[*lay.layer_nodes(k), *lay.layer_nodes(k + 1)],
                edges=edges,
                extras={
                    "marked_edges": marked,
                    "edge_labels": tuple(
                        (edges[i], fmt(float(change.ravel()[i]), digits, sign=True)) for i in order
                    ),
                    "magnify": m,
                    "focus_x": self.layer_x(k + 0.5),
                },
                weights=weights.copy(),
            )
        self.true_weights = self.flat_weights(u.weights_after)

    def delta_panel(self, k: int, error: np.ndarray, delta: np.ndarray, u: UpdateRecord) -> tuple[str, ...]:
        """``error x slope = delta`` per record with the numbers, as the seed checks it."""
        if error.shape[1] > 1 or self.spec.activations[k - 1] != "sigmoid":
            return self.matrix_panel(self.t("panel_rows", name=f"l{k}_delta"), delta)
        a = u.activations[k - 1]
        scale = delta / np.where(error == 0, 1, error) / np.where(a * (1 - a) == 0, 1, a * (1 - a))
        rows = [f"l{k}_delta = l{k}_error x l{k}*(1-l{k})"]
        for i in range(min(len(delta), MAX_PANEL_ROWS)):
            extra = "" if abs(scale[i, 0] - 1) < 1e-9 else f" x {fmt(scale[i, 0], 4)}"
            rows.append(
                f"{fmt(error[i, 0], 4, True)} x {fmt(a[i, 0] * (1 - a[i, 0]), 4)}{extra}"
                f" = {fmt(delta[i, 0], 4, True)}"
            )
        return tuple(rows)

    def end_epoch(self, epoch: int) -> None:
        self.labels = [""] * self.layout.n_nodes
        self.visual = replace(
            self.visual,
            satellites=np.full_like(self.visual.satellites, np.nan),
            satellite_signed=False,
            halos=np.full(self.layout.n_nodes, np.nan),
        )
        self.add(
            "end",
            "end",
            self.t("end", epoch=epoch, e=fmt(self.display_error or 0.0, 5)),
            code=("loop",),
            values={"display_error": float(self.display_error or 0.0)},
            weights=self.true_weights,
        )


MAX_SIGNALS_PER_NODE = 6


def _strongest(flow: np.ndarray) -> list[tuple[int, int]]:
    """(i, j) of the weights that carry a signal bead: all in a small layer, else the
    largest |flow| into each node."""
    n_in, n_out = flow.shape
    if n_in * n_out <= 64:
        return [(i, j) for i in range(n_in) for j in range(n_out)]
    rows = strongest_inputs(np.abs(flow), MAX_SIGNALS_PER_NODE)
    return [(int(i), j) for j in range(n_out) for i in rows[:, j]]


def _matrix_values(name: str, m: np.ndarray) -> dict[str, float]:
    if m.size > 64:
        return {}
    return {f"{name}[{i},{j}]": float(m[i, j]) for i, j in np.ndindex(*m.shape)}
