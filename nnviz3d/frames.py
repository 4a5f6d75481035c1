"""Per-frame scene state: what one frame shows, as plain arrays and strings.

A :class:`FrameState` is everything the renderer needs and nothing it must decide:
sphere centres, radii and colours, cylinders, squares, text with its place and size,
the camera. Geometry tweens (eased) from the previous step's :class:`Visual` to the
current one; numbers in text never tween, because every number on screen must be one
the training computed. Two frames with equal ``key`` have equal states, which lets the
pipeline reuse the pixels of held frames.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, replace

import numpy as np

from nnviz3d.layout import Layout, strongest_inputs
from nnviz3d.text import columns, message, pad_columns
from nnviz3d.timeline import FitCurve, Step, Timeline, Visual, fmt

TWEEN_SECONDS = 0.7  # how long values take to move at the start of a step

NODE_R_MIN, NODE_R_MAX, GHOST_R = 0.10, 0.55, 0.16
EDGE_R_MIN, EDGE_R_MAX = 0.014, 0.11
BEAD_R_MIN, BEAD_R_MAX = 0.035, 0.2


@dataclass(frozen=True)
class Theme:
    """Colours (RGB 0..1). Weights: blue positive, orange negative (colour-blind safe)."""

    name: str
    background_top: tuple[float, float, float]
    background_bottom: tuple[float, float, float]
    text: tuple[float, float, float]
    muted: tuple[float, float, float]
    accent: tuple[float, float, float]
    positive: tuple[float, float, float]
    negative: tuple[float, float, float]
    node: tuple[float, float, float]
    ghost: tuple[float, float, float]
    target: tuple[float, float, float]
    backward: tuple[float, float, float]  # deltas travelling back
    panel: tuple[float, float, float]  # backdrop of text panels
    code: tuple[float, float, float]
    keyword: tuple[float, float, float]
    number: tuple[float, float, float]
    invalid: tuple[float, float, float] = (0.86, 0.16, 0.55)  # NaN/inf of a diverged run


THEMES = {
    "dark": Theme(
        "dark",
        background_top=(0.10, 0.12, 0.17),
        background_bottom=(0.03, 0.04, 0.06),
        text=(0.93, 0.94, 0.96),
        muted=(0.55, 0.60, 0.68),
        accent=(1.0, 0.83, 0.23),
        positive=(0.30, 0.62, 1.0),
        negative=(1.0, 0.55, 0.15),
        node=(0.90, 0.91, 0.93),
        ghost=(0.30, 0.33, 0.40),
        target=(0.36, 0.85, 0.74),
        backward=(0.78, 0.55, 1.0),
        panel=(0.0, 0.0, 0.0),
        code=(0.78, 0.82, 0.88),
        keyword=(0.78, 0.55, 1.0),
        number=(1.0, 0.70, 0.45),
    ),
    "light": Theme(
        "light",
        background_top=(0.99, 0.99, 1.0),
        background_bottom=(0.90, 0.92, 0.95),
        text=(0.08, 0.09, 0.12),
        muted=(0.38, 0.42, 0.50),
        accent=(0.80, 0.45, 0.0),
        positive=(0.10, 0.40, 0.85),
        negative=(0.90, 0.42, 0.0),
        node=(0.35, 0.38, 0.45),
        ghost=(0.78, 0.80, 0.84),
        target=(0.05, 0.55, 0.45),
        backward=(0.50, 0.20, 0.75),
        panel=(1.0, 1.0, 1.0),
        code=(0.15, 0.17, 0.22),
        keyword=(0.50, 0.20, 0.75),
        number=(0.75, 0.35, 0.0),
    ),
}


@dataclass(frozen=True)
class Text2D:
    """Screen text: ``x``, ``y`` in 0..1 from the bottom-left; ``size`` in pixels."""

    text: str
    x: float
    y: float
    size: int
    color: tuple[float, float, float]
    mono: bool = False
    bold: bool = False
    align: str = "left"  # left | right | center
    valign: str = "top"  # top | bottom | center


@dataclass(frozen=True)
class Label3D:
    """Text anchored at a world point (value labels beside nodes and squares)."""

    text: str
    position: tuple[float, float, float]
    size: int
    color: tuple[float, float, float]
    backdrop: tuple[float, float, float] | None = None  # a panel behind it, over busy geometry


@dataclass(frozen=True)
class Rect2D:
    """A filled screen rectangle (panel backdrops, the executing code line, cards)."""

    x0: float
    y0: float
    x1: float
    y1: float
    color: tuple[float, float, float]
    opacity: float


@dataclass(frozen=True)
class Polyline2D:
    """A screen polyline in 0..1 coordinates (inset plots)."""

    points: tuple[tuple[float, float], ...]
    color: tuple[float, float, float]
    width: float


@dataclass(frozen=True)
class Camera:
    position: tuple[float, float, float]
    focal_point: tuple[float, float, float]
    view_up: tuple[float, float, float]
    view_angle: float
    window_center: tuple[float, float]


@dataclass(frozen=True)
class FrameState:
    """Everything one frame shows. Arrays are float64 (colours 0..1)."""

    key: tuple[int, int]
    width: int
    height: int
    theme: Theme
    sphere_centers: np.ndarray
    sphere_radii: np.ndarray
    sphere_colors: np.ndarray
    halo_centers: np.ndarray  # translucent shells: node deltas, circled weights
    halo_radii: np.ndarray
    halo_colors: np.ndarray
    cylinder_centers: np.ndarray
    cylinder_directions: np.ndarray
    cylinder_lengths: np.ndarray
    cylinder_radii: np.ndarray
    cylinder_colors: np.ndarray
    square_centers: np.ndarray
    square_sides: np.ndarray
    square_colors: np.ndarray
    labels: tuple[Label3D, ...]
    texts: tuple[Text2D, ...]
    rects: tuple[Rect2D, ...]
    polylines: tuple[Polyline2D, ...]
    camera: Camera
    font_file: str | None = None
    mono_font_file: str | None = None  # code and tables (None: font_file, or Courier)


# -- value -> geometry: monotone maps ------------------------------------------------
def node_radius(value: np.ndarray) -> np.ndarray:
    """Sphere radius grows with |value| (tanh keeps huge values on screen)."""
    v = np.nan_to_num(np.abs(value), nan=0.0, posinf=1e6)
    return NODE_R_MIN + (NODE_R_MAX - NODE_R_MIN) * np.tanh(v / 0.7)


def edge_radius(weight: np.ndarray) -> np.ndarray:
    """Cylinder radius grows with |weight|."""
    w = np.nan_to_num(np.abs(weight), nan=0.0, posinf=1e6)
    return EDGE_R_MIN + (EDGE_R_MAX - EDGE_R_MIN) * np.tanh(w / 1.2)


def bead_radius(value: np.ndarray, signed: bool) -> np.ndarray:
    """Record beads: activations linear-ish; deltas on a log scale (1e-5 .. 1) so the
    shrinking updates of late epochs stay visible. NaN (hidden) gives radius 0."""
    v = np.abs(value)
    scaled = np.clip((np.log10(np.maximum(v, 1e-12)) + 5) / 5, 0, 1) if signed else np.tanh(v / 0.7)
    r = BEAD_R_MIN + (BEAD_R_MAX - BEAD_R_MIN) * scaled
    return np.where(np.isnan(value), 0.0, r)


HALO_R_MIN, HALO_R_MAX = 0.62, 1.0
MIN_CODE_PX = 8  # the smallest type of the code panel
SIGNAL_R_MIN, SIGNAL_R_MAX = 0.06, 0.2
MARK_R = 0.24
ERROR_COLUMN = 2.1  # world units from the output/target numbers to the error column
FOLLOW = 0.16  # how far the camera leans towards the active part (fraction of the offset)


def halo_radius(value: np.ndarray) -> np.ndarray:
    """A delta's halo: log-scaled |value| (1e-5 .. 1) outside the largest node; NaN hides it."""
    v = np.abs(value)
    scaled = np.clip((np.log10(np.maximum(v, 1e-12)) + 5) / 5, 0, 1)
    return np.where(np.isnan(value), 0.0, HALO_R_MIN + (HALO_R_MAX - HALO_R_MIN) * scaled)


def signal_radius(value: np.ndarray) -> np.ndarray:
    """A travelling bead: input x weight (or delta x weight), log-scaled."""
    v = np.abs(np.nan_to_num(value, nan=0.0, posinf=1e6))
    scaled = np.clip((np.log10(np.maximum(v, 1e-12)) + 4) / 4.3, 0, 1)
    return np.where(v > 0, SIGNAL_R_MIN + (SIGNAL_R_MAX - SIGNAL_R_MIN) * scaled, 0.0)


def _ease(t: float) -> float:
    """Smooth start and stop (cubic ease-in-out)."""
    t = min(max(t, 0.0), 1.0)
    return 4 * t**3 if t < 0.5 else 1 - (-2 * t + 2) ** 3 / 2


def _blend(color: np.ndarray, background: np.ndarray, focus: np.ndarray) -> np.ndarray:
    f = focus[:, None]
    return color * f + background[None, :] * (1 - f)


def _sign_colors(values: np.ndarray, theme: Theme) -> np.ndarray:
    return np.where((values >= 0)[:, None], np.array(theme.positive), np.array(theme.negative))


@dataclass(frozen=True)
class _Geometry:
    """The tweenable part of a frame, for one step's Visual."""

    node_r: np.ndarray
    node_c: np.ndarray
    bead_r: np.ndarray
    bead_c: np.ndarray
    edge_r: np.ndarray
    edge_c: np.ndarray
    square_s: np.ndarray
    square_c: np.ndarray
    halo_r: np.ndarray
    halo_c: np.ndarray
    mark_r: np.ndarray
    camera_dx: np.ndarray


def _geometry(visual: Visual, step: Step | None, timeline: Timeline, theme: Theme, vmax: float) -> _Geometry:
    layout = timeline.layout
    bg = np.array(theme.background_bottom)
    # NaN means "not computed yet", except in a diverged run, where it is the value itself:
    # drawn at the size limit in the warning colour (the labels say nan)
    invalid = ~np.isfinite(visual.node_values) if visual.diverged else np.zeros(layout.n_nodes, bool)
    known = ~np.isnan(visual.node_values) | invalid
    node_r = np.where(known, node_radius(np.where(invalid, np.inf, visual.node_values)), GHOST_R)
    node_r = node_r * layout.node_scale
    node_c = np.where(known[:, None], np.array(theme.node), np.array(theme.ghost))
    node_c[invalid] = theme.invalid
    if step is not None and step.kind == "node" and step.layer is not None and step.node is not None:
        node_c[layout.node_id(step.layer, step.node)] = theme.accent
    node_c = _blend(node_c, bg, visual.node_focus)

    sats = visual.satellites
    bead_r = bead_radius(sats, visual.satellite_signed).ravel()
    if visual.satellite_signed:
        bead_c = _sign_colors(sats.ravel(), theme)
    else:
        bead_c = np.tile(np.array(theme.node), (sats.size, 1))
    bead_focus = np.repeat(visual.node_focus, sats.shape[1]) if sats.size else np.zeros(0)
    bead_c = _blend(bead_c, bg, np.maximum(bead_focus, 0.6)) if sats.size else np.zeros((0, 3))

    w = visual.weights
    bad = ~np.isfinite(w)
    edge_r = edge_radius(np.where(bad, np.inf, w)) * layout.edge_scale
    edge_c = _sign_colors(w, theme)
    edge_c[bad] = theme.invalid
    edge_c = _blend(edge_c, bg, visual.edge_focus)

    outs = visual.outputs  # (records, n_out)
    n_rec, n_out = outs.shape
    nan_out = np.isnan(outs).ravel()
    square_s = _square_side(np.where(np.isnan(outs), np.inf, outs), layout, vmax).ravel()
    square_s[nan_out & (not visual.diverged)] = 0.0  # not computed yet
    square_c = np.tile(np.array(theme.node), (n_rec * n_out, 1))
    square_c[nan_out] = theme.invalid
    if visual.current_record is not None and n_rec:
        rows = np.full(n_rec, 0.55)
        rows[visual.current_record] = 1.0
        square_c = _blend(square_c, bg, np.repeat(rows, n_out))

    halo_r = halo_radius(visual.halos)
    halo_c = _sign_colors(np.nan_to_num(visual.halos), theme)
    mark_r = np.zeros(layout.n_edges)
    if step is not None and step.marked_edges:
        mark_r[list(step.marked_edges)] = MARK_R
    dx = 0.0
    if step is not None and step.focus_x is not None and timeline.camera == "follow":
        lo, hi = layout.bounds()
        dx = FOLLOW * (step.focus_x - (lo[0] + hi[0]) / 2)
    return _Geometry(
        node_r, node_c, bead_r, bead_c, edge_r, edge_c, square_s, square_c, halo_r, halo_c, mark_r,
        np.array([dx]),
    )  # fmt: skip


def _square_side(values: np.ndarray, layout: Layout, vmax: float) -> np.ndarray:
    """Side of an output/target square: proportional to |value| up to ``vmax``."""
    v = np.nan_to_num(np.abs(values), nan=0.0, posinf=vmax)
    return layout.square_size * np.minimum(v, vmax) / vmax


def _lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    return a + (b - a) * t


def tween_progress(step: Step, frame: int, fps: int) -> tuple[float, int]:
    """Eased progress of the step's tween at ``frame`` and a hold-aware frame key."""
    n_tween = max(1, min(step.n_frames, round(TWEEN_SECONDS * fps)))
    local = frame - step.first_frame
    if local + 1 >= n_tween:
        return 1.0, n_tween
    return _ease((local + 1) / n_tween), local + 1


def frame_state(
    timeline: Timeline, frame: int, width: int, height: int, theme_name: str = "dark"
) -> FrameState:
    """The state of frame ``frame`` at ``width`` x ``height``."""
    theme = THEMES[theme_name]
    step = timeline.step_at(frame)
    layout = timeline.layout
    progress, sub = tween_progress(step, frame, timeline.fps)
    prev_step = timeline.steps[step.index - 1] if step.index else None
    prev_visual = prev_step.visual if prev_step else timeline.initial_visual
    vmax = timeline.target_scale
    g0 = _geometry(prev_visual, prev_step, timeline, theme, vmax)
    g1 = _geometry(step.visual, step, timeline, theme, vmax)
    g = _Geometry(*(_lerp(a, b, progress) for a, b in zip(vars(g0).values(), vars(g1).values(), strict=True)))

    a = layout.nodes[layout.edge_from]
    b = layout.nodes[layout.edge_to]
    d = b - a
    lengths = np.linalg.norm(d, axis=1)
    mids = (a + b) / 2
    shown = visible_edges(layout, step.visual.weights)

    # spheres: nodes, record beads, then the beads travelling along the weights
    sig_c, sig_r, sig_col = _signals(step, layout, theme, progress)
    centers = np.concatenate([layout.nodes, layout.satellites.reshape(-1, 3), sig_c])
    radii = np.concatenate([g.node_r, g.bead_r, sig_r])
    colors = np.concatenate([g.node_c, g.bead_c, sig_col])

    # halos: node deltas, then the circled weights
    marks = mark_positions(step, layout)
    mark_at = mids.copy()
    if len(marks):
        mark_at[[e for e, _ in step.edge_labels]] = marks
    halo_centers = np.concatenate([layout.nodes, mark_at])
    halo_radii = np.concatenate([g.halo_r, g.mark_r])
    halo_colors = np.concatenate([g.halo_c, np.tile(np.array(theme.accent), (layout.n_edges, 1))])

    # squares: outputs (left column) then targets (right column)
    out_centers = layout.square_rows.reshape(-1, 3)
    tgt_centers = out_centers + np.array([layout.square_size * 1.3, 0, 0])
    bg = np.array(theme.background_bottom)
    tgt_c = np.tile(np.array(theme.target), (len(tgt_centers), 1))
    cur = step.visual.current_record
    if cur is not None and len(tgt_centers):
        rows = np.full(layout.n_records, 0.55)
        rows[cur] = 1.0
        tgt_c = _blend(tgt_c, bg, np.repeat(rows, layout.layers[-1]))
    texts, rects, polylines = _overlay(timeline, step, theme, width, height)
    camera = fit_camera(layout, width, height)
    shift = np.array([float(g.camera_dx[0]), 0.0, 0.0])
    camera = replace(
        camera,
        position=tuple(np.array(camera.position) + shift),
        focal_point=tuple(np.array(camera.focal_point) + shift),
    )
    texts = texts + tuple(_square_texts(timeline, step, theme, camera, width, height))
    return FrameState(
        key=(step.index, sub),
        width=width,
        height=height,
        theme=theme,
        sphere_centers=centers,
        sphere_radii=radii,
        sphere_colors=colors,
        halo_centers=halo_centers,
        halo_radii=halo_radii,
        halo_colors=halo_colors,
        cylinder_centers=mids[shown],
        cylinder_directions=(d / lengths[:, None])[shown],
        cylinder_lengths=lengths[shown],
        cylinder_radii=g.edge_r[shown],
        cylinder_colors=g.edge_c[shown],
        square_centers=np.concatenate([out_centers, tgt_centers]),
        square_sides=np.concatenate([g.square_s, _square_side(step.visual.targets.ravel(), layout, vmax)]),
        square_colors=np.concatenate([g.square_c, tgt_c]),
        labels=_labels(timeline, step, theme, camera, width, height),
        texts=texts,
        rects=rects,
        polylines=polylines,
        camera=camera,
        font_file=timeline.font,
        mono_font_file=timeline.mono_font,
    )


#: a network with more weights than this draws only each node's strongest incoming ones
CULL_ABOVE = 600
KEEP_PER_NODE = 6


def visible_edges(layout: Layout, weights: np.ndarray) -> np.ndarray:
    """Indices of the cylinders drawn: all of them in a small network; in a big one, the
    KEEP_PER_NODE largest |weight| into every node (the rule the legend states)."""
    if layout.n_edges <= CULL_ABOVE:
        return np.arange(layout.n_edges)
    keep = []
    for k in range(len(layout.layers) - 1):
        n_in, n_out = layout.layers[k], layout.layers[k + 1]
        w = np.abs(np.nan_to_num(weights[layout.layer_edges(k)].reshape(n_in, n_out)))
        rows = strongest_inputs(w, KEEP_PER_NODE)
        keep.append(layout.edge_offsets[k] + (rows * n_out + np.arange(n_out)).ravel())
    return np.sort(np.concatenate(keep))


def mark_positions(step: Step, layout: Layout) -> np.ndarray:
    """Where each circled weight's marker and label sit: along its cylinder, at the first of
    a few fractions that keeps it clear of the markers already placed."""
    placed: list[np.ndarray] = []
    for edge, _ in step.edge_labels:
        a, b = layout.nodes[layout.edge_from[edge]], layout.nodes[layout.edge_to[edge]]
        options = [a + (b - a) * t for t in (0.5, 0.35, 0.65, 0.25, 0.75, 0.15, 0.85)]

        def clearance(p: np.ndarray) -> float:
            # a label is about 1.3 units wide and 0.5 high: how far it is from overlapping
            gaps = [max(abs(p[0] - q[0]) / 1.4, abs(p[1] - q[1]) / 0.8) for q in placed]
            return min(gaps, default=9.0)

        best = next((p for p in options if clearance(p) >= 1.0), max(options, key=clearance))
        placed.append(best)
    return np.array(placed).reshape(-1, 3)


def signal_positions(step: Step, layout: Layout, progress: float) -> np.ndarray:
    """Where the travelling beads are: forward from the input end, backward from the output end."""
    if not step.signals:
        return np.zeros((0, 3))
    edges = np.array([s.edge for s in step.signals])
    forward = np.array([s.forward for s in step.signals])[:, None]
    start = np.where(forward, layout.nodes[layout.edge_from[edges]], layout.nodes[layout.edge_to[edges]])
    end = np.where(forward, layout.nodes[layout.edge_to[edges]], layout.nodes[layout.edge_from[edges]])
    return start + (end - start) * progress


def _signals(step: Step, layout: Layout, theme: Theme, progress: float):
    n = len(step.signals)
    if not n:
        return np.zeros((0, 3)), np.zeros(0), np.zeros((0, 3))
    positions = signal_positions(step, layout, progress)
    values = np.array([s.value for s in step.signals])
    # visible while travelling; gone once arrived, so held frames stay identical
    fade = 0.0 if progress >= 1.0 else math.sin(math.pi * min(1.0, progress * 1.15)) ** 0.35
    radii = signal_radius(values) * fade
    forward = np.array([s.forward for s in step.signals])
    colors = np.where(forward[:, None], _sign_colors(values, theme), np.array(theme.backward))
    return positions, radii, colors


# -- text -------------------------------------------------------------------------------
def text_width_em(text: str, mono: bool | float = False) -> float:
    """Estimated width of the longest line in ems (CJK characters are a full em); ``mono``:
    True for Courier (0.6 em a character), or the mono font's ASCII advance in ems."""
    per_char = (0.6 if mono is True else float(mono)) if mono else 0.56
    widths = [
        sum(1.0 if unicodedata.east_asian_width(c) in "WF" else per_char for c in line)
        for line in text.split("\n")
    ]
    return max(widths, default=0.0)


def fit_size(text: str, base: int, max_width_px: float, mono: bool | float = False) -> int:
    """Largest font size <= base at which ``text`` fits ``max_width_px``."""
    em = text_width_em(text, mono) or 1.0
    return max(8, min(base, int(max_width_px / em)))


def _square_texts(
    timeline: Timeline, step: Step, theme: Theme, camera: Camera, width: int, height: int
) -> list[Text2D]:
    """Each record's output, target and error in columns beside its pair of squares.

    Placed in pixels from the projected squares, so the columns never run into each other
    however far the camera is."""
    layout = timeline.layout
    if not layout.n_records:
        return []
    n_out = layout.layers[-1]
    sq = layout.square_size
    rows = layout.square_rows.reshape(-1, 3)
    anchors = rows + np.array([1.3 * sq + 0.5 * sq, 0.0, 0.0])
    ndc = project(
        camera, np.concatenate([anchors, rows[:1] + np.array([0.0, 0.5 * sq, 0.0])]), width / height
    )
    xs = (ndc[:, 0] + 1) / 2
    ys = (ndc[:, 1] + 1) / 2
    gap = abs(ys[0] - ys[1]) * height if len(rows) > 1 else height * 0.05
    size = max(8, min(round(height * 0.024), int(gap * 0.75)))
    col = size * 3.9 / width  # one column of "-0.4737" and some air
    pad = size * 0.6 / width
    outs = step.visual.outputs.ravel()
    texts = []
    last = layout.layers[-1] and len(layout.layers) - 1
    top_y = ys[-1] + size * 0.4 / height
    heads = (message(timeline.lang, f"table_{part}", k=last) for part in ("output", "target", "error"))
    for c, head in enumerate(heads):
        texts.append(Text2D(head, xs[0] + pad + c * col, top_y, size, theme.muted, valign="bottom"))
    for i in range(len(rows)):
        rec = i // n_out
        current = step.visual.current_record in (None, rec)
        value, target = outs[i], float(step.visual.targets.ravel()[i])
        y = ys[i]
        color = theme.text if current else theme.muted
        target_text = step.records[rec][1].split()[i % n_out]
        computed = not np.isnan(value) or step.visual.diverged  # a diverged run's NaN is a value
        cells = [fmt(value) if computed else "?", target_text]
        for c, text in enumerate(cells):
            texts.append(Text2D(text, xs[i] + pad + c * col, y, size, color, valign="center"))
        if computed:
            hue = theme.accent if current else theme.muted
            texts.append(Text2D(fmt(target - value, sign=True), xs[i] + pad + 2 * col, y, size, hue,
                                valign="center"))  # fmt: skip
    return texts


def _labels(
    timeline: Timeline, step: Step, theme: Theme, camera: Camera, width: int, height: int
) -> tuple[Label3D, ...]:
    layout = timeline.layout
    size = max(10, round(height * 0.024))
    # labels must not run into the next node's: cap the size by the on-screen node spacing
    biggest = int(np.argmax(layout.layers))
    if layout.layers[biggest] > 1:
        first, second = layout.layer_nodes(biggest)[:2]
        ndc = project(camera, layout.nodes[[first, second]], width / height)
        gap_px = abs(ndc[0, 1] - ndc[1, 1]) * height / 2
        size = max(8, min(size, int(gap_px * 0.42)))
    out: list[Label3D] = []
    for node, text in enumerate(step.node_labels):
        if text:
            x, y, z = layout.nodes[node]
            active = step.kind == "node" and node in step.highlighted_nodes[-1:]
            # just above its own sphere, so it cannot be read as the next node's
            value = step.visual.node_values[node]
            lift = node_radius(np.array([value]))[0] * layout.node_scale[node] + 0.1
            out.append(Label3D(text, (x - 0.25, y + lift, z), size, theme.accent if active else theme.text))
    for (_, text), anchor in zip(step.edge_labels, mark_positions(step, layout), strict=True):
        x, y, z = anchor
        out.append(Label3D(text, (x - 0.3, y + MARK_R + 0.05, z + 0.3), size, theme.accent, theme.panel))
    return tuple(out)


_TOKEN = re.compile(r"(#.*$)|(\b(?:for|in|range|print|def|return)\b)|(\b\d+(?:\.\d+)?\b)|([^#\w]+)|(\w+)")


def code_runs(line: str) -> list[tuple[int, str, str]]:
    """(column, text, kind) runs of one code line: comment, keyword, number, punct, name."""
    runs = []
    for m in _TOKEN.finditer(line):
        kind = ("comment", "keyword", "number", "punct", "name")[m.lastindex - 1]
        runs.append((m.start(), m.group(0), kind))
    return runs


def _overlay(
    timeline: Timeline, step: Step, theme: Theme, width: int, height: int
) -> tuple[tuple[Text2D, ...], tuple[Rect2D, ...], tuple[Polyline2D, ...]]:
    """The 2D layer: HUD, caption, records, legend, code, values panel, plots, cards."""
    h = height
    lang = timeline.lang
    texts: list[Text2D] = []
    rects: list[Rect2D] = []
    lines: list[Polyline2D] = []
    panel_bg = theme.panel

    texts.append(
        Text2D(timeline.title, 0.015, 0.985, fit_size(timeline.title, round(h * 0.03), width * 0.55),
               theme.muted, bold=True)
    )  # fmt: skip
    if step.epoch and timeline.n_batches > 1:
        it = message(lang, "epoch_batch", e=step.epoch, n=timeline.total_epochs, b=step.batch,
                     nb=timeline.n_batches)  # fmt: skip
    elif step.epoch:
        it = message(lang, "iteration", e=step.epoch, n=timeline.total_epochs)
    else:
        it = message(lang, "before_training")
    texts.append(Text2D(it, 0.985, 0.985, round(h * 0.032), theme.text, bold=True, align="right"))
    de = message(lang, "display_error_none")
    if step.display_error is not None and timeline.n_batches > 1:  # one batch's error, not the epoch's
        de = message(
            lang, "batch_error_hud", e=step.display_error_epoch, b=step.batch, v=fmt(step.display_error, 5)
        )
    elif step.display_error is not None:
        de = message(lang, "display_error_hud", e=step.display_error_epoch, v=fmt(step.display_error, 5))
    texts.append(Text2D(de, 0.985, 0.935, round(h * 0.028), theme.accent, align="right"))
    if step.visual.diverged:  # under the caption, right: the legend column is full already
        warn = message(lang, "legend_invalid")
        texts.append(Text2D(warn, 0.985, 0.82, round(h * 0.026), theme.invalid, align="right"))
    if step.card is None:
        cap_size = fit_size(step.caption, round(h * 0.034), width * 0.97)
        texts.append(Text2D(step.caption, 0.015, 0.89, cap_size, theme.text, bold=True))

    # training records (left)
    n_rows = len(step.records)
    row_h = min(0.045, 0.36 / (n_rows + 1)) if n_rows else 0.0
    rec_size = min(round(h * 0.024), int(row_h * h * 0.8)) if n_rows else round(h * 0.024)
    if step.records:
        rec, head_x = pad_columns(message(lang, "records_header"), 4), message(lang, "records_x")
        width_x = max(columns(head_x), *(len(x) for x, _ in step.records))  # a kanji: 2 columns
        header = f"{rec}  {pad_columns(head_x, width_x, right=False)}   {message(lang, 'records_y')}"
        texts.append(Text2D(header, 0.015, 0.80, rec_size, theme.muted, mono=True))
        for i, (x, t) in enumerate(step.records):
            current = step.visual.current_record == i
            line = f"{'>' if current else ' '} {i + 1:>2}  {x:<{width_x}}   {t}"
            texts.append(
                Text2D(line, 0.015, 0.80 - (i + 1) * row_h, rec_size, theme.accent if current else theme.text,
                       mono=True, bold=current)
            )  # fmt: skip

    # legend (left, under the records)
    lsize = round(h * 0.02)
    legend = [
        (message(lang, "legend_positive"), theme.positive),
        (message(lang, "legend_negative"), theme.negative),
        (message(lang, "legend_thickness"), theme.muted),
        (message(lang, "legend_size"), theme.muted),
    ]
    if timeline.layout.n_records:
        legend.append((message(lang, "legend_squares"), theme.muted))
    if step.visual.satellite_signed or not np.all(np.isnan(step.visual.halos)):
        legend.append((message(lang, "legend_signs"), theme.muted))
    if step.visual.satellite_signed:
        legend.append((message(lang, "legend_beads_log"), theme.muted))
    elif not np.all(np.isnan(step.visual.satellites)):
        legend.append((message(lang, "legend_beads"), theme.muted))
    ly = min(0.58, 0.80 - (n_rows + 1) * row_h - 0.01)
    # in a small frame (a quarter of the split screen) the code panel at its smallest type
    # reaches up into the legend: the legend gives way from its last line, colours stay
    code_floor = 0.07 + len(timeline.code) * MIN_CODE_PX * 1.3 / h
    for text, color in legend:
        if ly < code_floor and color == theme.muted:
            break
        texts.append(Text2D(text, 0.015, ly, fit_size(text, lsize, width * 0.26), color))
        ly -= lsize * 1.35 / h

    # code panel (bottom left), syntax coloured, the executing line on a highlight bar
    code = timeline.code
    if width * 0.30 / text_width_em(max(code, key=len) + "  ", timeline.mono_em) < MIN_CODE_PX:
        # too narrow for the whole listing at the smallest type: the comments go
        code = tuple(re.sub(r"\s+#.*$", "", line) for line in code)
    code_size = fit_size(max(code, key=len) + "  ", round(h * 0.021), width * 0.30, mono=timeline.mono_em)
    room = ly - 0.04  # the code panel stays under the legend
    code_size = max(MIN_CODE_PX, min(code_size, int(room / len(code) * h / 1.3)))
    line_h = code_size * 1.3 / h
    top = 0.02 + line_h * len(code)
    code_w = (len(max(code, key=len)) + 3) * timeline.mono_advance_px(code_size) / width
    rects.append(Rect2D(0.006, 0.008, 0.006 + code_w, top + 0.01, panel_bg, 0.55))
    char_w = timeline.mono_advance_px(code_size) / width  # Courier 0.6 em, Noto Mono CJK 0.5
    colors = {"comment": theme.muted, "keyword": theme.keyword, "number": theme.number,
              "punct": theme.muted, "name": theme.code}  # fmt: skip
    for i, line in enumerate(code):
        y = top - i * line_h
        active = i in step.code_lines
        if active:
            rects.append(Rect2D(0.006, y - line_h * 0.98, 0.006 + (len(line) + 3) * char_w, y + 0.002,
                                theme.accent, 0.22))  # fmt: skip
            texts.append(Text2D(">", 0.01, y, code_size, theme.accent, mono=True, bold=True))
        # a proportional font (a CJK font file) cannot place tokens by column: whole lines
        runs = [(0, line, "name")] if timeline.font and not timeline.mono_font else code_runs(line)
        for col, text, kind in runs:
            if kind == "punct" and not text.strip():
                continue
            color = theme.accent if active else colors[kind]
            texts.append(Text2D(text, 0.01 + (col + 2) * char_w, y, code_size, color, mono=True, bold=active))

    # values panel (bottom right)
    if step.panel:
        longest = max(step.panel, key=lambda s: text_width_em(s, timeline.mono_em))
        psize = fit_size(longest, round(h * 0.022), width * 0.28, mono=timeline.mono_em)
        # and it must stay under the network: at most PANEL_HEIGHT of the frame
        psize = max(8, min(psize, int(PANEL_HEIGHT / len(step.panel) * h / 1.3)))
        ph = psize * 1.3 / h
        ptop = 0.02 + ph * len(step.panel)
        pw = text_width_em(longest, timeline.mono_em) * psize / width
        rects.append(Rect2D(0.985 - pw - 0.01, 0.008, 0.993, ptop + 0.01, panel_bg, 0.55))
        for i, line in enumerate(step.panel):
            texts.append(Text2D(line, 0.985, ptop - i * ph, psize, theme.text if i else theme.accent,
                                mono=True, align="right"))  # fmt: skip

    # inset plots (bottom centre)
    # the cursor marks the last iteration whose error has been computed on screen
    epoch = step.display_error_epoch
    fit = timeline.fit_curve
    second = message(lang, "plot_fit") if fit is not None else message(lang, "plot_update")
    first = message(lang, "plot_error_epoch" if timeline.n_batches > 1 else "plot_error")
    titles = (first, second)
    title_size = min(fit_size(t, round(h * 0.019), width * 0.18) for t in titles)
    for box, series, title, logy in (
        ((0.325, 0.05, 0.495, 0.22), timeline.display_errors, titles[0], False),
        ((0.525, 0.05, 0.695, 0.22), timeline.update_sizes, titles[1], True),
    ):
        if fit is not None and series is timeline.update_sizes:
            t, r, pl = _fit_plot(box, fit, step.epoch, title, title_size, theme, h)
        elif timeline.accuracy is not None:
            train_acc, test_acc = timeline.accuracy
            if series is timeline.display_errors:
                lines_ = [(train_acc, theme.text), (test_acc, theme.target)]
                name = message(lang, "plot_accuracy")
            else:  # seed 001: min, mean, max, std of the current layer's weights (thick) and biases
                # the weights that feed the step's layer (an update step names its matrix itself)
                if step.layer is None:
                    k = 0
                elif step.kind in ("update", "init"):
                    k = step.layer
                else:
                    k = max(0, step.layer - 1)
                colours = (theme.negative, theme.text, theme.positive, theme.target)
                lines_ = [(timeline.weight_stats[:, k, i], c) for i, c in enumerate(colours)]
                if timeline.bias_stats is not None:
                    lines_ += [(timeline.bias_stats[:, k, i], c) for i, c in enumerate(colours)]
                name = message(lang, "plot_weights", k=k)
            t, r, pl = _lines_plot(box, lines_, epoch, name, title_size, theme, h)
        elif timeline.trajectory is not None and series is timeline.display_errors:
            t, r, pl = _trajectory_plot(box, timeline.trajectory, step.epoch, message(lang, "plot_path"),
                                        title_size, theme, h)  # fmt: skip
        elif timeline.bias_path is not None and series is timeline.update_sizes:
            epochs = sorted(timeline.bias_path)
            b = np.array([timeline.bias_path[e] for e in epochs])
            at = sum(1 for e in epochs if step.epoch is not None and e <= step.epoch)
            colours = [theme.positive, theme.negative, theme.target, theme.accent]
            lines_ = [(b[:, j], colours[j % len(colours)]) for j in range(b.shape[1])]
            t, r, pl = _lines_plot(box, lines_, at, message(lang, "plot_bias"), title_size, theme, h,
                                   last=str(epochs[-1]))  # fmt: skip
        else:
            t, r, pl = _plot(box, series, timeline, epoch, title, title_size, theme, h, logy)
        texts += t
        rects += r
        lines += pl

    # cards: a band across the middle with a big title
    if step.card is not None:
        title, subtitle = step.card
        rects.append(Rect2D(0.0, 0.40, 1.0, 0.66, panel_bg, 0.95))
        texts.append(Text2D(title, 0.5, 0.60, fit_size(title, round(h * 0.06), width * 0.92), theme.text,
                            bold=True, align="center"))  # fmt: skip
        if subtitle:
            texts.append(Text2D(subtitle, 0.5, 0.49, fit_size(subtitle, round(h * 0.03), width * 0.92),
                                theme.muted, align="center"))  # fmt: skip
    return tuple(texts), tuple(rects), tuple(lines)


def _plot(box, series, timeline: Timeline, epoch, title, size: int, theme: Theme, h: int, logy: bool):
    """A small chart: ``series`` per epoch on a log-x axis, shown epochs ticked, a cursor."""
    x0, y0, x1, y1 = box
    texts: list[Text2D] = []
    rects = [Rect2D(x0 - 0.008, y0 - 0.04, x1 + 0.008, y1 + 0.045, theme.panel, 0.55)]
    n = len(series)
    if n == 0:
        return texts, rects, []
    texts.append(Text2D(title, x0, y1 + 0.04, size, theme.muted))
    span = math.log10(n) if n > 1 else 1.0
    samples = np.unique(np.round(np.logspace(0, math.log10(max(n, 1)), 240)).astype(int))
    values = series[samples - 1]
    finite = np.isfinite(values) & ((values > 0) if logy else True)
    if not finite.any():
        return texts, rects, []
    vals = np.log10(values[finite]) if logy else values[finite]
    lo, hi = float(vals.min()), float(vals.max())
    if hi - lo < 1e-12:
        hi = lo + 1.0
    if not logy:
        lo = min(lo, 0.0)

    def px(e: float) -> float:
        return x0 + (x1 - x0) * (math.log10(e) / span if n > 1 else 0.5)

    def py(v: float) -> float:
        return y0 + (y1 - y0) * (v - lo) / (hi - lo)

    # the curve is drawn up to the current iteration only: no spoilers of the future
    upto = epoch if epoch is not None else 0
    pts = tuple((px(e), py(v)) for e, v in zip(samples[finite], vals, strict=True) if e <= upto)
    if epoch is not None and 1 <= epoch <= n and np.isfinite(series[epoch - 1]):
        here = float(series[epoch - 1])
        if not logy or here > 0:
            pts = (*pts, (px(epoch), py(math.log10(here) if logy else here)))
    lines = [Polyline2D(((x0, y1), (x0, y0), (x1, y0)), theme.muted, 1.0)]
    if len(pts) > 1:
        lines.append(Polyline2D(pts, theme.text, 2.0))
    for e in timeline.shown_epochs:
        lines.append(Polyline2D(((px(e), y0), (px(e), y0 + 0.012)), theme.accent, 2.0))
    tick_size = max(9, round(h * 0.016))
    for e, label in ((1, "1"), (10, "10"), (100, "100"), (1000, "1k"), (10000, "10k"), (100000, "100k")):
        if e <= n:
            texts.append(Text2D(label, px(e), y0 - 0.005, tick_size, theme.muted, align="center"))
    if epoch is not None and 1 <= epoch <= n and np.isfinite(series[epoch - 1]):
        lines.append(Polyline2D(((px(epoch), y0), (px(epoch), y1)), theme.accent, 2.0))
        v = float(series[epoch - 1])
        label = f"{v:.2e}" if logy else fmt(v, 5)
        texts.append(Text2D(label, x1, y1 + 0.005, tick_size + 2, theme.accent, align="right"))
    return texts, rects, lines


# -- camera ------------------------------------------------------------------------------
#: the part of the frame the network occupies (x0, y0, x1, y1 in 0..1)
PANEL_HEIGHT = 0.30  # the values panel's share of the frame height (the network starts above)
NETWORK_REGION = (0.30, 0.27, 0.97, 0.83)
VIEW_ANGLE = 26.0


def project(camera: Camera, points: np.ndarray, aspect: float) -> np.ndarray:
    """Normalised device coordinates (-1..1, y up) of world points under ``camera``.

    The pinhole model VTK uses, window centre included; tests use it to find a node's pixels.
    """
    pos, focal = np.array(camera.position), np.array(camera.focal_point)
    fwd = (focal - pos) / np.linalg.norm(focal - pos)
    right = np.cross(fwd, camera.view_up)
    right /= np.linalg.norm(right)
    up = np.cross(right, fwd)
    rel = np.atleast_2d(points) - pos
    depth = rel @ fwd
    t = math.tan(math.radians(camera.view_angle / 2))
    x = (rel @ right) / (depth * t * aspect) - camera.window_center[0]
    y = (rel @ up) / (depth * t) - camera.window_center[1]
    return np.stack([x, y], axis=1)


def fit_camera(layout: Layout, width: int, height: int) -> Camera:
    """A slightly turned view whose projection of the layout fills NETWORK_REGION.

    The distance and the window centre come from projecting the corners of the layout's
    box, never from the glyphs' bounds (which include scale arrays).
    """
    lo, hi = layout.bounds()
    center = (lo + hi) / 2
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    x0, y0, x1, y1 = NETWORK_REGION
    aspect = width / height
    azimuth, elevation = math.radians(layout.azimuth), math.radians(10)
    direction = np.array(
        [
            math.sin(azimuth) * math.cos(elevation),
            math.sin(elevation),
            math.cos(azimuth) * math.cos(elevation),
        ]
    )
    dist = float(np.linalg.norm(hi - lo)) * 2
    wc = (0.0, 0.0)
    for _ in range(4):  # projected size is nearly proportional to 1/distance
        cam = Camera(tuple(center + direction * dist), tuple(center), (0.0, 1.0, 0.0), VIEW_ANGLE, (0.0, 0.0))
        ndc = project(cam, corners, aspect)
        span = ndc.max(axis=0) - ndc.min(axis=0)
        ratio = max(span[0] / (2 * (x1 - x0)), span[1] / (2 * (y1 - y0)))
        dist *= ratio
        mid = (ndc.max(axis=0) + ndc.min(axis=0)) / 2
        wc = (float(mid[0] - (x0 + x1 - 1)), float(mid[1] - (y0 + y1 - 1)))
    return Camera(tuple(center + direction * dist), tuple(center), (0.0, 1.0, 0.0), VIEW_ANGLE, wc)


def _fit_plot(box, fit: FitCurve, epoch: int | None, title: str, size: int, theme: Theme, h: int):
    """The true function and the network's curve at the current (or last shown) epoch."""
    x0, y0, x1, y1 = box
    rects = [Rect2D(x0 - 0.008, y0 - 0.04, x1 + 0.008, y1 + 0.045, theme.panel, 0.55)]
    texts = [Text2D(title, x0, y1 + 0.04, size, theme.muted)]
    shown = sorted(fit.predictions)
    at = max((e for e in shown if epoch is not None and e <= epoch), default=shown[0])
    prediction = fit.predictions[at]
    ys = np.concatenate([fit.truth, prediction[np.isfinite(prediction)]])
    lo, hi = float(ys.min()), float(ys.max())
    if hi - lo < 1e-12:
        hi = lo + 1.0
    xs = (fit.x - fit.x[0]) / (fit.x[-1] - fit.x[0])

    def points(values: np.ndarray) -> tuple[tuple[float, float], ...]:
        v = np.clip(values, lo, hi)
        return tuple(
            (x0 + (x1 - x0) * float(a), y0 + (y1 - y0) * float((b - lo) / (hi - lo)))
            for a, b in zip(xs, v, strict=True)
        )

    lines = [
        Polyline2D(((x0, y1), (x0, y0), (x1, y0)), theme.muted, 1.0),
        Polyline2D(points(fit.truth), theme.target, 2.0),
        Polyline2D(points(np.nan_to_num(prediction, nan=lo)), theme.text, 2.0),
    ]
    tick = max(9, round(h * 0.016))
    texts.append(Text2D(fmt(float(fit.x[0]), 1), x0, y0 - 0.005, tick, theme.muted, align="center"))
    texts.append(Text2D(fmt(float(fit.x[-1]), 1), x1, y0 - 0.005, tick, theme.muted, align="center"))
    texts.append(Text2D(f"it. {at}", x1, y1 + 0.005, tick + 2, theme.accent, align="right"))
    return texts, rects, lines


def _lines_plot(
    box, series, epoch: int | None, title: str, size: int, theme: Theme, h: int, last: str | None = None
):
    """Several per-epoch series on linear axes, drawn up to ``epoch`` (seed 001's charts)."""
    x0, y0, x1, y1 = box
    rects = [Rect2D(x0 - 0.008, y0 - 0.04, x1 + 0.008, y1 + 0.045, theme.panel, 0.55)]
    texts = [Text2D(title, x0, y1 + 0.04, size, theme.muted)]
    n = len(series[0][0])
    values = np.concatenate([v[np.isfinite(v)] for v, _ in series])
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    if hi - lo < 1e-12:
        hi = lo + 1.0
    upto = min(n, epoch or 0)
    lines = [Polyline2D(((x0, y1), (x0, y0), (x1, y0)), theme.muted, 1.0)]
    for index, (v, colour) in enumerate(series):
        width = 2.0 if index < 4 else 1.0  # the first four are weights, then biases, thinner
        pts = tuple(
            (x0 + (x1 - x0) * (e / max(1, n - 1)), y0 + (y1 - y0) * (float(v[e]) - lo) / (hi - lo))
            for e in range(upto)
            if np.isfinite(v[e])
        )
        if len(pts) > 1:
            lines.append(Polyline2D(pts, colour, width))
    tick = max(9, round(h * 0.016))
    texts.append(Text2D(fmt(lo, 2), x0 - 0.004, y0, tick, theme.muted, align="right", valign="center"))
    texts.append(Text2D(fmt(hi, 2), x0 - 0.004, y1, tick, theme.muted, align="right", valign="center"))
    texts.append(Text2D("1", x0, y0 - 0.005, tick, theme.muted, align="center"))
    texts.append(Text2D(last or str(n), x1, y0 - 0.005, tick, theme.muted, align="center"))
    return texts, rects, lines


def _trajectory_plot(box, path: dict[int, np.ndarray], epoch: int | None, title: str, size: int,
                     theme: Theme, h: int):  # fmt: skip
    """Seed 003's parameter trajectory: each row of W1 is a point in 3D (its entries) moving
    over training, drawn as its three 2D projections side by side, up to the current epoch."""
    x0, y0, x1, y1 = box
    rects = [Rect2D(x0 - 0.008, y0 - 0.04, x1 + 0.008, y1 + 0.045, theme.panel, 0.55)]
    texts = [Text2D(title, x0, y1 + 0.04, size, theme.muted)]
    epochs = sorted(path)
    stack = np.array([path[e] for e in epochs])  # (epochs, rows, entries)
    upto = [i for i, e in enumerate(epochs) if epoch is not None and e <= epoch]
    entries = stack.shape[2]
    pairs = [(a, b) for a in range(entries) for b in range(a + 1, entries)][:3] or [(0, 0)]
    colours = [theme.positive, theme.negative, theme.target, theme.accent]
    lines: list[Polyline2D] = []
    tick = max(9, round(h * 0.015))
    # left: the 3D polyline itself, in a fixed oblique view with its three axes
    cube_x1 = x0 + (x1 - x0) * 0.36
    if entries >= 3:
        lo, hi = stack.min(axis=(0, 1)), stack.max(axis=(0, 1))
        unit = (stack - lo) / np.maximum(hi - lo, 1e-9)  # each entry scaled to 0..1

        def oblique(p: np.ndarray) -> tuple[float, float]:
            u = 0.62 * p[0] + 0.38 * p[2] * 0.8
            v = 0.62 * p[1] + 0.38 * p[2] * 0.6
            return x0 + 0.004 + (cube_x1 - x0 - 0.008) * u, y0 + (y1 - y0) * v

        origin = np.zeros(3)
        for axis in range(3):
            tip = np.zeros(3)
            tip[axis] = 1.0
            lines.append(Polyline2D((oblique(origin), oblique(tip)), theme.muted, 1.0))
        for row in range(stack.shape[1]):
            pts = tuple(oblique(unit[i, row, :3]) for i in upto)
            if len(pts) > 1:
                lines.append(Polyline2D(pts, colours[row % len(colours)], 2.0))
        texts.append(Text2D("3D", (x0 + cube_x1) / 2, y0 - 0.005, tick, theme.muted, align="center"))
    else:
        cube_x1 = x0
    width = (x1 - cube_x1) / len(pairs)
    for p, (a, b) in enumerate(pairs):
        px0, px1 = cube_x1 + p * width + 0.004, cube_x1 + (p + 1) * width - 0.004
        lines.append(Polyline2D(((px0, y1), (px0, y0), (px1, y0)), theme.muted, 1.0))
        xs, ys = stack[:, :, a], stack[:, :, b]
        lo_x, lo_y = xs.min(), ys.min()
        span_x, span_y = max(xs.max() - lo_x, 1e-9), max(ys.max() - lo_y, 1e-9)
        for row in range(stack.shape[1]):
            pts = tuple(
                (
                    px0 + (px1 - px0) * (xs[i, row] - lo_x) / span_x,
                    y0 + (y1 - y0) * (ys[i, row] - lo_y) / span_y,
                )
                for i in upto
            )
            if len(pts) > 1:
                lines.append(Polyline2D(pts, colours[row % len(colours)], 2.0))
        texts.append(Text2D(f"{a},{b}", (px0 + px1) / 2, y0 - 0.005, tick, theme.muted, align="center"))
    return texts, rects, lines
