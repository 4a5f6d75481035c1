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
from dataclasses import dataclass

import numpy as np

from nnviz3d.layout import Layout
from nnviz3d.timeline import Step, Timeline, Visual, fmt

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
    camera: Camera


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


def _ease(t: float) -> float:
    """Smooth start and stop (cubic ease-in-out)."""
    t = min(max(t, 0.0), 1.0)
    return 4 * t**3 if t < 0.5 else 1 - (-2 * t + 2) ** 3 / 2


def _blend(color: np.ndarray, background: np.ndarray, focus: np.ndarray) -> np.ndarray:
    f = focus[:, None]
    return color * f + background[None, :] * (1 - f)


@dataclass(frozen=True)
class _Geometry:
    """The tweenable part of a frame, for one Visual."""

    node_r: np.ndarray
    node_c: np.ndarray
    bead_r: np.ndarray
    bead_c: np.ndarray
    edge_r: np.ndarray
    edge_c: np.ndarray
    square_s: np.ndarray
    square_c: np.ndarray


def _geometry(visual: Visual, step: Step | None, layout: Layout, theme: Theme, vmax: float) -> _Geometry:
    bg = np.array(theme.background_bottom)
    known = ~np.isnan(visual.node_values)
    node_r = np.where(known, node_radius(visual.node_values), GHOST_R)
    node_c = np.where(known[:, None], np.array(theme.node), np.array(theme.ghost))
    if step is not None and step.kind == "node" and step.layer is not None and step.node is not None:
        node_c[layout.node_id(step.layer, step.node)] = theme.accent
    node_c = _blend(node_c, bg, visual.node_focus)

    sats = visual.satellites
    bead_r = bead_radius(sats, visual.satellite_signed).ravel()
    if visual.satellite_signed:
        bead_c = np.where((sats >= 0).ravel()[:, None], np.array(theme.positive), np.array(theme.negative))
    else:
        bead_c = np.tile(np.array(theme.node), (sats.size, 1))
    bead_focus = np.repeat(visual.node_focus, sats.shape[1]) if sats.size else np.zeros(0)
    bead_c = _blend(bead_c, bg, np.maximum(bead_focus, 0.6)) if sats.size else np.zeros((0, 3))

    w = visual.weights
    edge_r = edge_radius(w)
    edge_c = np.where((w >= 0)[:, None], np.array(theme.positive), np.array(theme.negative))
    edge_c = _blend(edge_c, bg, visual.edge_focus)

    outs = visual.outputs  # (records, n_out)
    n_rec, n_out = outs.shape
    sides_out = np.where(np.isnan(outs), 0.0, _square_side(outs, layout, vmax))
    square_s = sides_out.ravel()
    square_c = np.tile(np.array(theme.node), (n_rec * n_out, 1))
    if visual.current_record is not None and n_rec:
        rows = np.full(n_rec, 0.55)
        rows[visual.current_record] = 1.0
        square_c = _blend(square_c, bg, np.repeat(rows, n_out))
    return _Geometry(node_r, node_c, bead_r, bead_c, edge_r, edge_c, square_s, square_c)


def _square_side(values: np.ndarray, layout: Layout, vmax: float) -> np.ndarray:
    """Side of an output/target square: proportional to |value| up to ``vmax``."""
    v = np.nan_to_num(np.abs(values), nan=0.0, posinf=vmax)
    return layout.square_size * np.minimum(v, 1.6 * vmax) / vmax


def _lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    return a + (b - a) * t


def initial_visual(timeline: Timeline) -> Visual:
    """What the screen holds before the first step: nothing computed, no weights."""
    v = timeline.steps[0].visual
    return Visual(
        node_values=np.full_like(v.node_values, np.nan),
        satellites=np.full_like(v.satellites, np.nan),
        satellite_signed=False,
        weights=np.zeros_like(v.weights),
        node_focus=np.ones_like(v.node_focus),
        edge_focus=np.ones_like(v.edge_focus),
        outputs=np.full_like(v.outputs, np.nan),
        current_record=None,
    )


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
    prev_visual = prev_step.visual if prev_step else initial_visual(timeline)
    targets_vmax = _targets_vmax(timeline)
    g0 = _geometry(prev_visual, prev_step, layout, theme, targets_vmax)
    g1 = _geometry(step.visual, step, layout, theme, targets_vmax)
    g = _Geometry(*(_lerp(a, b, progress) for a, b in zip(vars(g0).values(), vars(g1).values(), strict=True)))

    # spheres: nodes then record beads
    centers = np.concatenate([layout.nodes, layout.satellites.reshape(-1, 3)])
    radii = np.concatenate([g.node_r, g.bead_r])
    colors = np.concatenate([g.node_c, g.bead_c])
    a = layout.nodes[layout.edge_from]
    b = layout.nodes[layout.edge_to]
    d = b - a
    lengths = np.linalg.norm(d, axis=1)
    # squares: outputs (left column) then targets (right column)
    out_centers = layout.square_rows.reshape(-1, 3)
    tgt_centers = out_centers + np.array([layout.square_size * 1.3, 0, 0])
    tgt_values = _targets(timeline)
    bg = np.array(theme.background_bottom)
    tgt_c = np.tile(np.array(theme.target), (len(tgt_centers), 1))
    cur = step.visual.current_record
    if cur is not None and len(tgt_centers):
        n_out = layout.layers[-1]
        rows = np.full(layout.n_records, 0.55)
        rows[cur] = 1.0
        tgt_c = _blend(tgt_c, bg, np.repeat(rows, n_out))
    square_centers = np.concatenate([out_centers, tgt_centers])
    square_sides = np.concatenate([g.square_s, _square_side(tgt_values, layout, targets_vmax)])
    square_colors = np.concatenate([g.square_c, tgt_c])
    return FrameState(
        key=(step.index, sub),
        width=width,
        height=height,
        theme=theme,
        sphere_centers=centers,
        sphere_radii=radii,
        sphere_colors=colors,
        cylinder_centers=(a + b) / 2,
        cylinder_directions=d / lengths[:, None],
        cylinder_lengths=lengths,
        cylinder_radii=g.edge_r,
        cylinder_colors=g.edge_c,
        square_centers=square_centers,
        square_sides=square_sides,
        square_colors=square_colors,
        labels=_labels(timeline, step, theme, height),
        texts=_texts(timeline, step, theme, width, height),
        camera=fit_camera(layout, width, height),
    )


def _targets(timeline: Timeline) -> np.ndarray:
    rows = [list(map(float, t.split())) for _, t in timeline.records]
    return np.array(rows, dtype=float).ravel() if rows else np.zeros(0)


def _targets_vmax(timeline: Timeline) -> float:
    t = _targets(timeline)
    return float(max(1.0, np.max(np.abs(t)))) if t.size else 1.0


# -- text -------------------------------------------------------------------------------
def fit_size(text: str, base: int, max_width_px: float, mono: bool = False) -> int:
    """Largest font size <= base at which ``text`` fits ``max_width_px``."""
    per_char = 0.62 if mono else 0.56
    longest = max((len(line) for line in text.split("\n")), default=1) or 1
    return max(8, min(base, int(max_width_px / (per_char * longest))))


def _labels(timeline: Timeline, step: Step, theme: Theme, height: int) -> tuple[Label3D, ...]:
    layout = timeline.layout
    size = max(10, round(height * 0.024))
    out: list[Label3D] = []
    for node, text in enumerate(step.node_labels):
        if text:
            x, y, z = layout.nodes[node]
            color = (
                theme.accent if step.kind == "node" and node in step.highlighted_nodes[-1:] else theme.text
            )
            out.append(Label3D(text, (x - 0.25, y + NODE_R_MAX + 0.12, z), size, color))
    outs = step.visual.outputs
    n_out = layout.layers[-1]
    if layout.n_records:
        sq = layout.square_size
        top = layout.square_rows[0, 0] + np.array([-0.2 * sq, 0.75 * sq, 0])
        out.append(Label3D(f"l{len(layout.layers) - 1}", tuple(top), size, theme.muted))
        out.append(Label3D("y", tuple(top + np.array([1.35 * sq, 0, 0])), size, theme.muted))
    for rec in range(layout.n_records):
        for o in range(n_out):
            c = layout.square_rows[rec, o]
            right = c + np.array([layout.square_size * 1.3 + layout.square_size * 0.75, 0, 0])
            value = outs[rec, o]
            target = timeline.records[rec][1].split()[o]
            text = f"{fmt(value) if not np.isnan(value) else '   ?  '}   {target}"
            color = theme.text if step.visual.current_record in (None, rec) else theme.muted
            out.append(Label3D(text, (right[0], right[1] - 0.12, right[2]), size, color))
    return tuple(out)


def _texts(timeline: Timeline, step: Step, theme: Theme, width: int, height: int) -> tuple[Text2D, ...]:
    h = height
    out: list[Text2D] = []
    title_size = round(h * 0.03)
    out.append(
        Text2D(
            timeline.title,
            0.015,
            0.985,
            fit_size(timeline.title, title_size, width * 0.55),
            theme.muted,
            bold=True,
        )
    )
    # iteration and display error, top right
    it = f"iteration {step.epoch} / {timeline.total_epochs}" if step.epoch else "before training"
    out.append(Text2D(it, 0.985, 0.985, round(h * 0.032), theme.text, bold=True, align="right"))
    de = "display error  -"
    if step.display_error is not None:
        de = f"display error (it. {step.display_error_epoch})  {fmt(step.display_error, 5)}"
    out.append(Text2D(de, 0.985, 0.935, round(h * 0.028), theme.accent, align="right"))
    # caption
    cap_size = fit_size(step.caption, round(h * 0.034), width * 0.97)
    out.append(Text2D(step.caption, 0.015, 0.905, cap_size, theme.text, bold=True))
    # training records (left)
    rec_size = round(h * 0.024)
    if timeline.records:
        width_x = max(len(x) for x, _ in timeline.records)
        header = f"{'rec':>4}  {'X':<{width_x}}   y"
        out.append(Text2D(header, 0.015, 0.80, rec_size, theme.muted, mono=True))
        for i, (x, t) in enumerate(timeline.records):
            current = step.visual.current_record == i
            mark = ">" if current else " "
            line = f"{mark} {i + 1:>2}  {x:<{width_x}}   {t}"
            out.append(
                Text2D(
                    line,
                    0.015,
                    0.80 - (i + 1) * 0.045,
                    rec_size,
                    theme.accent if current else theme.text,
                    mono=True,
                    bold=current,
                )
            )
    # code panel (bottom left)
    code_size = fit_size(max(timeline.code, key=len), round(h * 0.02), width * 0.36, mono=True)
    line_h = code_size * 1.28 / h
    top = 0.015 + line_h * len(timeline.code)
    for i, line in enumerate(timeline.code):
        active = i in step.code_lines
        out.append(
            Text2D(
                ("> " if active else "  ") + line,
                0.012,
                top - i * line_h,
                code_size,
                theme.accent if active else theme.muted,
                mono=True,
                bold=active,
            )
        )
    # values panel (bottom right)
    if step.panel:
        longest = max(step.panel, key=len)
        psize = fit_size(longest, round(h * 0.022), width * 0.36, mono=True)
        ph = psize * 1.3 / h
        ptop = 0.015 + ph * len(step.panel)
        for i, line in enumerate(step.panel):
            out.append(
                Text2D(
                    line,
                    0.985,
                    ptop - i * ph,
                    psize,
                    theme.text if i else theme.accent,
                    mono=True,
                    align="right",
                )
            )
    # legend (right middle)
    lsize = round(h * 0.02)
    legend = [
        ("blue: positive weight", theme.positive),
        ("orange: negative weight", theme.negative),
        ("thickness = |weight|", theme.muted),
        ("sphere size = value", theme.muted),
    ]
    if step.visual.satellite_signed:
        legend.append(("beads: one per record, size ~ log|value|", theme.muted))
    elif not np.all(np.isnan(step.visual.satellites)):
        legend.append(("beads: one per record, size = value", theme.muted))
    ly = 0.56
    for text, color in legend:
        out.append(Text2D(text, 0.015, ly, lsize, color))
        ly -= lsize * 1.35 / h
    return tuple(out)


# -- camera ------------------------------------------------------------------------------
#: the part of the frame the network occupies (x0, y0, x1, y1 in 0..1)
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
    azimuth, elevation = math.radians(18), math.radians(10)
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
