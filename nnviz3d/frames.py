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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from nnviz3d.fonts import advance_em
from nnviz3d.hud import (
    CHAIN_BOX,
    CHAIN_DIAGRAM,
    CHAIN_FLIGHT,
    EPILOGUE_KINDS,
    EQUALS,
    MIN_TEXT,
    MOVING_KINDS,
    NUDGE_BOX,
    activation_cells,
    caption_parts,
    caption_parts_shown,
    chain_appear,
    found_terms,
    overlay,
    rate_colour,
    rate_number,
    record_marks,
    sheets_shown,
    sign_spans,
    spans_of,
    square_frame,
    wrap,
)
from nnviz3d.hud_scenes import shape
from nnviz3d.layout import (
    DESCENT_REGION,
    EPILOGUE_MAP_END,
    EPILOGUE_REGION,
    GRID_ABOVE,
    NETWORK_REGIONS,
    SUMMARY_REGION,
    Layout,
    network_region,
    strongest_inputs,
)
from nnviz3d.primitives import (
    THEMES,
    Camera,
    FrameState,
    Label3D,
    Polyline2D,
    Rect2D,
    Text2D,
    Theme,
    fit_size,
    ring,
    text_width_em,
)
from nnviz3d.text import LANGUAGES, message
from nnviz3d.timeline import Signal, Step, Timeline, Visual
from nnviz3d.timeline.model import (
    DIM,
    NUDGE,
    TIMES,
    WANT_ROOM,
    errors_drawn,
    fmt_sig,
    fmt_signed,
    glimpse_at,
    nudge_at,
)

__all__ = [
    "THEMES",
    "Camera",
    "FrameState",
    "Label3D",
    "Polyline2D",
    "Rect2D",
    "Text2D",
    "Theme",
    "fit_size",
    "frame_state",
    "project",
    "text_width_em",
]

#: what stands between a product and its result in a note: "=", or the rounding's "~"
RESULT_SIGNS = frozenset({"=", *(message(lang, "approx") for lang in LANGUAGES)})

TWEEN_SECONDS = 0.7  # how long values take to move at the start of a step
BACKWARD_TWEEN_SECONDS = 1.4  # the deltas' tubes and arrows: slow enough to follow
SENT_BACK_SECONDS = 2.4  # the deltas sent back together (the first iteration: the example first, slower)
BEADS_ARRIVE = 2 / 3  # of a node step's tween: the products on the weights, then the sum

NODE_R_MIN, NODE_R_MAX, GHOST_R = 0.10, 0.55, 0.16
NEUTRAL_R = 0.3  # an update's spheres, which stand for no one value
EDGE_R_MIN, EDGE_R_MAX = 0.024, 0.11
BEAD_R_MIN, BEAD_R_MAX = 0.035, 0.2


# -- value -> geometry: monotone maps ------------------------------------------------
def node_radius(value: np.ndarray) -> np.ndarray:
    """Sphere radius grows with |value| (tanh keeps huge values on screen)."""
    v = np.nan_to_num(np.abs(value), nan=0.0, posinf=1e6)
    return NODE_R_MIN + (NODE_R_MAX - NODE_R_MIN) * np.tanh(v / 0.7)


def edge_radius(weight: np.ndarray) -> np.ndarray:
    """Cylinder radius grows with log(1 + |weight|): trained weights of 3 and 9 still look
    different, and every |weight| below 10 has its own thickness."""
    w = np.nan_to_num(np.abs(weight), nan=0.0, posinf=1e6)
    return EDGE_R_MIN + (EDGE_R_MAX - EDGE_R_MIN) * np.minimum(1.0, np.log1p(2 * w) / np.log1p(20))


def bead_radius(value: np.ndarray, signed: bool) -> np.ndarray:
    """Record beads: activations linear-ish; deltas on a log scale (1e-5 .. 1) so the
    shrinking updates of late epochs stay visible. NaN (hidden) gives radius 0."""
    v = np.abs(value)
    scaled = np.clip((np.log10(np.maximum(v, 1e-12)) + 5) / 5, 0, 1) if signed else np.tanh(v / 0.7)
    r = BEAD_R_MIN + (BEAD_R_MAX - BEAD_R_MIN) * scaled
    return np.where(np.isnan(value), 0.0, r)


HALO_R_MIN, HALO_R_MAX = 0.62, 1.0
SIGNAL_R_MIN, SIGNAL_R_MAX = 0.06, 0.2
MARK_R = 0.24


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


def _steady(t: float) -> float:
    """A gentler start and stop than :func:`_ease` (smoothstep): a motion to be followed,
    not a jump (the ease's middle third made two thirds of a turn in 0.4 s)."""
    t = min(max(t, 0.0), 1.0)
    return t * t * (3 - 2 * t)


def _unease(progress: float) -> float:
    """The share of a tween's time at which :func:`_ease` reaches ``progress``: motions
    timed one after another within a step (its tubes) keep their own pace and easing."""
    p = min(max(progress, 0.0), 1.0)
    return (p / 4) ** (1 / 3) if p < 0.5 else 1 - (2 * (1 - p)) ** (1 / 3) / 2


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
    halo_r: np.ndarray
    halo_c: np.ndarray
    mark_r: np.ndarray


def _geometry(
    visual: Visual, step: Step | None, timeline: Timeline, theme: Theme, vmax: float, accent: Step | None
) -> _Geometry:
    """``visual`` drawn for ``step`` (its marks), with ``accent``'s node highlighted."""
    layout = timeline.layout
    bg = np.array(theme.background_bottom)
    # NaN means "not computed yet", except in a diverged run, where it is the value itself:
    # drawn at the size limit in the warning colour (the labels say nan)
    invalid = ~np.isfinite(visual.node_values) if visual.diverged else np.zeros(layout.n_nodes, bool)
    known = ~np.isnan(visual.node_values) | invalid
    # an update's spheres carry no value (it sums every record's): neutral, at a middle
    # size, not the dots of a value not yet computed (two reviews: the stage jumped)
    ghost = NEUTRAL_R if step is not None and step.phase == "update" else GHOST_R
    node_r = np.where(known, node_radius(np.where(invalid, np.inf, visual.node_values)), ghost)
    node_r = node_r * layout.node_scale
    node_c = np.where(known[:, None], np.array(theme.node), np.array(theme.ghost))
    node_c[invalid] = theme.invalid
    if accent is not None and accent.kind == "node" and accent.layer is not None and accent.node is not None:
        node_c[layout.node_id(accent.layer, accent.node)] = theme.accent
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
    # a weight outside the step steps back by more than brightness (which keeps 3:1 against
    # the background): thinner and greyer, so the step's weights are what the eye finds
    out_of_focus = np.clip((1.0 - visual.edge_focus) / (1.0 - DIM), 0.0, 1.0)[:, None]
    # (the hall's weights stay wider and keep their sign's colour: two reviews could not
    # tell blue from orange in 1-2 px greyed lines from the back rows; but not in the
    # backward pass, whose signs are the deltas' and the weights it sends them along:
    # three reviews found syn0's saturated weights running through the hidden errors; nor in
    # the nudge, whose one weight is the picture: review 30a found it hardly stood out of
    # twelve coloured ones)
    keeps_colour = timeline.screen == "hall" and not (
        step is not None and (step.phase == "backward" or step.kind == "nudge")
    )
    floor = EDGE_R_MIN_HALL if keeps_colour else EDGE_R_MIN
    edge_r = np.maximum(edge_r * (1.0 - OUT_OF_FOCUS_THINNER * out_of_focus[:, 0]), floor)
    grey = np.repeat(_same_luminance_grey(edge_c)[:, None], 3, axis=1)
    edge_c = edge_c + (grey - edge_c) * (0.0 if keeps_colour else OUT_OF_FOCUS_GREYER) * out_of_focus
    edge_c = _blend(edge_c, bg, np.maximum(visual.edge_focus, theme.edge_dim))

    halo_r = halo_radius(visual.halos)
    halo_c = _sign_colors(np.nan_to_num(visual.halos), theme)
    mark_r = np.zeros(layout.n_edges)
    if step is not None and step.marked_edges and timeline.screen == "study":
        mark_r[list(step.marked_edges)] = MARK_R
    return _Geometry(
        node_r, node_c, bead_r, bead_c, edge_r, edge_c, halo_r, halo_c, mark_r,
    )  # fmt: skip


#: how much thinner and greyer a weight outside the step is drawn (a lecturer: "dim what
#: is not in play"; its brightness is held at 3:1 contrast)
OUT_OF_FOCUS_THINNER = 0.45
EDGE_R_MIN_HALL = 0.045  # the hall's thinnest weight: about 5 px across at 720p
OUT_OF_FOCUS_GREYER = 0.9


def _same_luminance_grey(colours: np.ndarray) -> np.ndarray:
    """The sRGB grey level of each colour's relative luminance (WCAG's): greying a colour
    towards it keeps its contrast against the background."""
    linear = np.where(colours <= 0.03928, colours / 12.92, ((colours + 0.055) / 1.055) ** 2.4)
    y = linear @ np.array([0.2126, 0.7152, 0.0722])
    return np.where(y <= 0.0031308, y * 12.92, 1.055 * y ** (1 / 2.4) - 0.055)


def _lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    return a + (b - a) * t


def _step_overlay(
    timeline: Timeline,
    step: Step,
    theme: Theme,
    width: int,
    height: int,
    progress: float,
    stage: float | None,
):
    """The step's 2D layer, made once per step, size and part of the caption written (hall
    and lecture build the formula up during the tween; study writes it whole) and part
    built of a panel built in parts (``stage``, :func:`chain_stage`): its text
    measuring and wrapping was 40% of a frame state. Kept on the timeline itself (the last
    few), so a new timeline never sees another's."""
    cache = timeline.__dict__.setdefault("_overlays", {})
    shown = None if timeline.screen == "study" else caption_parts_shown(step, progress)
    # its panel moves (drawn each frame), or is built in parts (drawn at each)
    moving = progress if step.kind in MOVING_KINDS else stage
    if step.kind == "nudge":
        moving = nudge_clock(progress)
    key = (step.index, theme.name, width, height, shown, moving)
    if key not in cache:
        if len(cache) >= 8:
            cache.pop(next(iter(cache)))
        cache[key] = overlay(timeline, step, theme, width, height, shown, moving)
    return cache[key]


def term_flights(
    timeline: Timeline,
    step: Step,
    texts: tuple[Text2D, ...],
    camera: Camera,
    theme: Theme,
    aspect: float,
    progress: float,
) -> tuple[Text2D, ...]:
    """The caption's numbers that the picture shows fly from there (an input from its
    node, a weight from its middle) into their place in the formula while their part is
    written: 3Blue1Brown's numbers moving from the diagram into the equation. Hall and
    lecture; the caption is the overlay's text with spans."""
    at = next((i for i, t in enumerate(texts) if t.spans), None)
    parts = caption_parts(step)
    if progress >= 1.0 or timeline.screen == "study" or at is None or parts < 2:
        return texts
    if step.senders:  # deltas sent back: a recap's numbers flew over the ones they came from
        return texts  # (reviews 53b, 53c, 53d); the first iteration's tokens write their own
    caption = texts[at]
    anchors = {
        (s, e): step.terms[i][2]
        for i, s, e in found_terms(step.terms, caption.text)
        if len(step.terms[i]) > 2
    }
    if not anchors:
        return texts
    # the flying numbers of each part, one after another (two that start close together
    # would cross as one blur), each to its slot, which waits dimmed in the formula
    part_of = {key: len(EQUALS.findall(caption.text[: key[0]])) for key in anchors}
    mates = {p: sorted(k for k in part_of if part_of[k] == p) for p in set(part_of.values())}
    background = np.array(theme.background_top)
    spans = []
    for span in caption.spans:
        s, e, colour = span[:3]
        if (s, e) in anchors and colour is not None:
            part = part_of[(s, e)]  # written at part / (parts - 1) of the tween
            i, m = mates[part].index((s, e)), len(mates[part])
            t = progress * (parts - 1) - part  # 0..1 over the part
            t = min(1.0, max(0.0, (t - i / (m + 1)) * (m + 1) / 2))  # its window of the part
            x, y = (project(camera, np.array([anchors[(s, e)]]), aspect)[0] + 1) / 2
            slot = tuple(float(c) for c in np.array(colour) * SLOT_DIM + background * (1 - SLOT_DIM))
            span = (s, e, colour, (float(x), float(y), _ease(t), slot))
        spans.append(span)
    return (*texts[:at], replace(caption, spans=tuple(spans)), *texts[at + 1 :])


SLOT_DIM = 0.3  # a flying number's place in the formula, until it lands: its colour this strong


def _tween_seconds(timeline: Timeline, step: Step) -> float:
    """A step tweens longer while the camera turns to or from the records' sheets, and
    while the backward pass's tubes and arrows grow (the motion is that step's point)."""
    prev_step = timeline.steps[step.index - 1] if step.index else None
    moves = sheets_shown(timeline, prev_step) != sheets_shown(timeline, step)
    if moves:
        return CAMERA_MOVE_SECONDS
    if step.kind == "node" or step.kind in MOVING_KINDS:  # moving for most of their time:
        return max(TWEEN_SECONDS, 0.8 * step.duration)  # the first example's slow nodes, a roll downhill
    if step.senders:  # the deltas sent back, each scaled by its weight, then the formula
        return max(SENT_BACK_SECONDS, 0.9 * step.duration)
    if step.montage:  # a glance's way through real iterations, then its own held
        return max(TWEEN_SECONDS, MONTAGE_SHARE * step.duration)
    return BACKWARD_TWEEN_SECONDS if step.kind in ("error", "delta") else TWEEN_SECONDS


def nudge_clock(progress: float) -> float:
    """The nudge's swing at the tween's ``progress``: on the step's own time (the sine eases
    itself; the tween's ease squeezed its way down into a sixth of the step). Its panel, its
    weight's cylinder and its values on the network all read this one clock."""
    return _unease(progress)


def _nudged_radii(radii: np.ndarray, step: Step, layout: Layout, progress: float) -> np.ndarray:
    """The weights' radii with the nudged one as thick as the weight is now (its chain's
    first link runs from the weight's start node to its end node), at the tween's
    ``progress`` (its time: the nudge's own clock, as its panel's)."""
    c = step.chain
    start, end = c.anchors[0][1], c.anchors[1][1]
    edge = int(np.flatnonzero((layout.edge_from == start) & (layout.edge_to == end))[0])
    was, now = c.values[0], c.nudged(nudge_at(nudge_clock(progress)))[0]
    out = radii.copy()
    out[edge] *= float(edge_radius(np.array(now)) / edge_radius(np.array(was)))
    return out


def frame_key(timeline: Timeline, frame: int) -> tuple[int, int]:
    """``frame_state(timeline, frame, ...).key`` without building the state: frames with
    one key look the same, so a held frame costs no state at all (about 7 ms a frame)."""
    step = timeline.step_at(frame)
    tween = tween_progress(step, frame, timeline.fps, _tween_seconds(timeline, step))
    return step.index, _sub_key(step, frame, tween)


def _sub_key(step: Step, frame: int, tween: tuple[float, int]) -> int:
    """The frame's place in its step as its key says it: the tween's frame (``tween``, as
    :func:`tween_progress` gives it), then (held) the part of a step built in parts that
    is drawn, or each frame of its rates' flight."""
    progress, sub = tween
    stage = chain_stage(step, frame)
    if stage is None or progress < 1.0:
        return sub
    if chain_flight(step, frame) is not None:  # flying: every frame its own
        return sub + 16 + frame - step.first_frame
    return sub + sum(stage >= a for a in chain_appear(len(step.chain.rates)))  # held: a key per part


def _share_of_step(step: Step, frame: int) -> float:
    """How far into its step ``frame`` is, its last frame 1 (the chain's parts' clock)."""
    return (frame - step.first_frame + 1) / max(1, step.n_frames)


def chain_stage(step: Step, frame: int) -> float | None:
    """The chain rule's shot builds over its whole length, a part at each of chain_appear:
    the last part's start reached (its frames between are held); None for other steps."""
    if step.kind != "chain" or step.chain is None:
        return None
    t = _share_of_step(step, frame)
    return max((a for a in chain_appear(len(step.chain.rates)) if t >= a), default=0.0)


def chain_flight(step: Step, frame: int) -> float | None:
    """How far through the chain's flight from the network to the chain (0..1) it is,
    during CHAIN_FLIGHT; None before and after, and for other steps (each flier's own
    eased share of it: :func:`flown_share`)."""
    if step.kind != "chain" or step.chain is None:
        return None
    t, (start, end) = _share_of_step(step, frame), CHAIN_FLIGHT
    return (t - start) / (end - start) if start <= t < end else None


#: how far into the background the network has faded when the chain's flight lands
NETWORK_FADE = 0.8
#: of the chain's flight: the rates fly first, then the names (flying together, "x 0.250"
#: passed over "out" and "x 0.215" over h2, review 76b), a little overlap between them
RATES_FLY, NAMES_FLY = (0.0, 0.55), (0.45, 1.0)


def flown_share(flight: float, window: tuple[float, float]) -> float:
    """How far (0..1, eased) a flier is on its way at ``flight`` of the flight, flying
    during ``window`` of it."""
    start, end = window
    return _ease(min(1.0, max(0.0, (flight - start) / (end - start))))


def _screen_box(text: Text2D, width: int, height: int) -> tuple[float, float, float, float]:
    """A screen text's box (x0, y0, x1, y1) in 0..1, by its anchor and alignment: its widest
    line across, its lines down."""
    lines = text.text.count("\n") + 1
    wide, tall = text_width_em(text.text) * text.size / width, lines * 1.15 * text.size / height
    left = {"left": text.x, "right": text.x - wide, "center": text.x - wide / 2}[text.align]
    low = {"bottom": text.y, "top": text.y - tall, "center": text.y - tall / 2}[text.valign]
    return left, low, left + wide, low + tall


def _flown(
    step: Step,
    rates: tuple[Text2D, ...],
    drawn: tuple[Text2D, ...],
    size: tuple[int, int],
    t: float,
    avoid: tuple[tuple[float, float, float, float], ...] = (),
) -> tuple[Text2D, ...]:
    """The rates on their way from the network (``rates``, as told there, one per link in
    order) to the chain's diagram, where they are written when it is drawn (``drawn``: the
    step's overlay's texts at CHAIN_DIAGRAM, cached as the held frames after it use it):
    the chain grows out of the picture (review 61a: the chain row replaced the network).
    Each flies straight, or bowed to one side where straight it would pass over one of the
    boxes ``avoid`` (the names by their nodes: review 76b saw "x 0.250" over out's)."""
    width, height = size
    c = step.chain
    # each rate alone ("-> loss" stays behind), and where the diagram writes it: the panel
    # writes the rates in the links' order
    links = list(zip(c.kinds, c.rates, strict=True))[: len(rates)]
    words = [f"{TIMES} {rate_number(kind, v)}" for kind, v in links]
    spots = [q for q in drawn if CHAIN_BOX[0] <= q.x <= CHAIN_BOX[2] and q.text in words]
    out = []
    for r, word, q in zip(rates, words, spots, strict=False):
        x0, _, x1, top = _screen_box(replace(r, text=word), width, height)
        way = (((x0 + x1) / 2, top), (q.x, q.y))
        sizes = (r.size, q.size)
        bow = _flight_bow(word, way, sizes, avoid, size) if avoid else 0.0
        x, y, grown = _on_way(way, sizes, bow, t, size)
        out.append(Text2D(word, x, y, grown, r.color, align="center"))
    return tuple(out)


def _on_way(
    way: tuple[tuple[float, float], tuple[float, float]],
    sizes: tuple[int, int],
    bow: float,
    u: float,
    size: tuple[int, int],
) -> tuple[float, float, int]:
    """Where a rate flying ``way`` (from, to: screen 0..1) stands at ``u`` (0..1) of it, bowed
    ``bow`` of its length to one side (square on screen), and its type's size then."""
    width, height = size
    start, end = np.array(way[0]), np.array(way[1])
    along = end - start
    side = np.array([-along[1] * width / height, along[0] * height / width])
    x, y = start + along * u + side * bow * 4 * u * (1 - u)
    return float(x), float(y), round(sizes[0] + (sizes[1] - sizes[0]) * u)


@lru_cache(maxsize=64)
def _flight_bow(
    word: str,
    way: tuple[tuple[float, float], tuple[float, float]],
    sizes: tuple[int, int],
    avoid: tuple[tuple[float, float, float, float], ...],
    size: tuple[int, int],
) -> float:
    """The first of FLIGHT_BOWS whose way passes over the fewest of the boxes ``avoid``: the
    same for every frame of a flight (its ends and the names by their nodes stand still),
    found once."""
    width, height = size

    def crossings(bow: float) -> int:
        boxes = []
        for u in np.linspace(0.0, 1.0, 24):
            x, y, grown = _on_way(way, sizes, bow, float(u), size)
            text = Text2D(word, x, y, grown, (1.0, 1.0, 1.0), align="center")
            boxes.append(_screen_box(text, width, height))
        return sum(_box_gap(a, b) < 0 for a in boxes for b in avoid)

    return min(FLIGHT_BOWS, key=crossings)


#: how far a rate's way may bow to one side, in shares of its length (straight first)
FLIGHT_BOWS = (0.0, 0.15, -0.15, 0.3, -0.3, 0.45, -0.45)


def _names_flown(
    step: Step,
    theme: Theme,
    names: list[Text2D],
    drawn: tuple[Text2D, ...],
    size: tuple[int, int],
    t: float,
) -> list[Text2D]:
    """The nodes' names while the rates fly: a name the chain writes (``drawn``, its bold
    names across CHAIN_BOX) flies with them from its node to its place in the chain,
    growing to the chain's size, so the chain is seen to be the network's path laid out
    straight (reviews 67-71: continuous morphs, not the chain replacing the picture); the
    other names fade into the background as the network is left behind."""
    width, height = size
    chain = set(step.chain.names)
    spots = {q.text: q for q in drawn if q.bold and q.text in chain and CHAIN_BOX[0] <= q.x <= CHAIN_BOX[2]}
    bg = np.array(theme.background_bottom)
    out = []
    for name in names:
        q = spots.get(name.text)
        if q is None:
            faded = tuple(float(v) for v in np.array(name.color) + (bg - np.array(name.color)) * t)
            out.append(replace(name, color=faded))
            continue
        x0, y0, x1, y1 = _screen_box(name, width, height)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        colour = tuple(float(a + (b - a) * t) for a, b in zip(name.color, q.color, strict=True))
        out.append(
            Text2D(
                name.text,
                cx + (q.x - cx) * t,
                cy + (q.y - cy) * t,
                round(name.size + (q.size - name.size) * t),
                colour,
                bold=True,
                align="center",
                valign="center",
            )
        )
    return out


def chain_rates(
    timeline: Timeline, step: Step, theme: Theme, camera: Camera, width: int, height: int, stage: float | None
) -> tuple[tuple[Text2D, ...], tuple[Rect2D, ...]]:
    """The chain rule's rates told where they stand on the network, one after another: the
    weight's start value over its first stretch, a node's slope beside it (right of a hidden
    node, under the output, whose name is over it), a weight between over its middle, and
    the output's error right of it, on to the loss; the one just told the biggest. Each on
    a backdrop over the weights crossing there."""
    c, layout = step.chain, timeline.layout
    if c is None:
        return (), ()
    reached = chain_appear(len(c.rates))[: len(c.rates)]
    told = [m for m, at in enumerate(reached) if stage is None or stage >= at]
    size = round(height * MIN_TEXT.get(timeline.screen, MIN_TEXT["lecture"]) * 1.25)
    out, backdrops = [], []
    last = len(layout.layers) - 1
    for m in told:
        kind, value = c.kinds[m], c.rates[m]
        where, index = c.anchors[m]
        colour = rate_colour(theme, kind, value)
        text = f"{TIMES} {rate_number(kind, value)}"
        big = m == told[-1] and (stage is None or stage < CHAIN_DIAGRAM)
        here = size + (round(size * 0.25) if big else 0)
        if where == "edge":
            a, b = layout.nodes[layout.edge_from[index]], layout.nodes[layout.edge_to[index]]
            point, align, valign = (a + b) / 2 + np.array([0.0, 0.12, 0.0]), "center", "bottom"
        else:
            reach = NODE_R_MAX * layout.node_scale[index] + NAME_GAP
            centre = layout.nodes[index]
            if where == "input":  # on the weight's first stretch: left of an input, off the frame
                ahead = layout.nodes[c.anchors[1][1]] - centre  # towards the weight's end node
                point, align, valign = centre + 0.45 * ahead + np.array([0.0, 0.12, 0.0]), "center", "bottom"
            elif where == "beyond":
                point, align, valign = centre + np.array([reach, 0.0, 0.0]), "left", "center"
                text = f"{text} \u2192 {c.names[-1]}"
            elif layout.node_layer[index] == last:
                point, align, valign = centre - np.array([0.0, reach, 0.0]), "center", "top"
            else:
                point, align, valign = centre + np.array([reach, -0.05, 0.0]), "left", "top"
        x, y = (project(camera, point, width / height)[0] + 1) / 2
        if where == "beyond":  # in the frame: smaller where the hall's type would run off it
            here = max(size, fit_size(text, here, (0.985 - x) * width))
        spans = ((0, len(text) - len(c.names[-1]) - 3, colour),) if where == "beyond" else ()
        label = Text2D(text, x, y, here, colour, bold=big, align=align, valign=valign, spans=spans)
        out.append(label)
        backdrops.append(_backdrop(label, theme, width, height))
    return tuple(out), tuple(backdrops)


def _backdrop(label: Text2D, theme: Theme, width: int, height: int) -> Rect2D:
    """A number on the network on the background's colour, masking the weights crossing
    under it (a fifth of an em wider each side)."""
    x0, y0, x1, y1 = _screen_box(label, width, height)
    pad = 0.2 * label.size / width
    return Rect2D(x0 - pad, y0, x1 + pad, y1, theme.background_bottom, 0.85)


def nudged_values(
    timeline: Timeline,
    step: Step,
    theme: Theme,
    camera: Camera,
    size: tuple[int, int],
    progress: float,
    radii: np.ndarray,
    panels: tuple[Rect2D, ...],
) -> tuple[tuple[Text2D, ...], tuple[Rect2D, ...]]:
    """The nudge on the network itself (review 64a: "the network barely reacts, only the
    panel moves"): the weight's value now by it, and under the output its value and the
    record's loss now, all changing with the weight, each on a backdrop, clear of the
    weights, spheres and names. The panel beside says by how much."""
    c = step.chain
    width, height = size
    decimals = 3

    def written(dw: float) -> tuple[str, str]:
        now = c.nudged(dw)
        # the record's own loss, said so (reviews 67a, 68a, 69b, 70a, 70b read it as the
        # batch's, 0.4952 in the descent after it)
        loss = message(timeline.lang, "nudge_loss", v=f"{now[-1]:.{decimals + 1}f}")
        whose = message(timeline.lang, "nudge_whose", r=c.record + 1)
        return f"w = {now[0]:.{decimals}f}", f"{c.names[-2]} = {now[-2]:.{decimals}f}\n{loss}\n{whose}"

    # placed once for the whole step, for its widest values (a place of their own each
    # frame, they jumped about as the weight moved)
    weight, follows = written(nudge_at(nudge_clock(progress)))
    key = (id(timeline), id(step), width, height)
    held = _NUDGE_PLACES.get(key)
    if held is None or held[0] is not timeline or held[1] is not step:  # (ids are reused)
        if len(_NUDGE_PLACES) > 16:
            _NUDGE_PLACES.clear()
        places = _nudge_places(timeline, step, theme, camera, size, radii, panels, written)
        held = _NUDGE_PLACES[key] = (timeline, step, places)
    weight_at, follows_at = held[2]
    texts = (replace(weight_at, text=weight), replace(follows_at, text=follows))
    return texts, tuple(_backdrop(label, theme, width, height) for label in texts)


#: where the nudge's numbers stand, by timeline, step and size: found once a step (a search
#: of some hundred places, 10 ms, was a fifth of each of its frames), the same for each frame
_NUDGE_PLACES: dict[tuple, tuple[Timeline, Step, tuple[Text2D, Text2D]]] = {}


def _nudge_places(
    timeline: Timeline,
    step: Step,
    theme: Theme,
    camera: Camera,
    size: tuple[int, int],
    radii: np.ndarray,
    panels: tuple[Rect2D, ...],
    written: Callable[[float], tuple[str, str]],
) -> tuple[Text2D, Text2D]:
    """The nudge's two blocks of numbers, placed for their widest values."""
    c, layout = step.chain, timeline.layout
    width, height = size
    # a quarter over the smallest type in a lecture; the hall's smallest is as large, and
    # larger would leave no room clear of the weights for the three lines under out
    grow = 1.0 if timeline.screen == "hall" else 1.25
    text_size = round(height * MIN_TEXT.get(timeline.screen, MIN_TEXT["lecture"]) * grow)
    start, end, out = c.anchors[0][1], c.anchors[1][1], c.anchors[-1][1]
    extremes = [written(dw) for dw in (0.0, NUDGE, -NUDGE)]
    widest = [max((e[k] for e in extremes), key=text_width_em) for k in (0, 1)]
    aspect = width / height
    pitch = text_size / height
    region = _clear_region(timeline, step)
    boxes, segments = network_obstacles(timeline, step, camera, size, radii)
    # (each node's sphere, then its name) a name kept an em clear: review 79a read
    # `w = -0.845` just right of h2's name as h2's
    em = name_size(height, timeline.screen) / width
    names = tuple((x0 - em, y0, x1 + em, y1) for x0, y0, x1, y1 in boxes[1::2])
    boxes = (*boxes[0::2], *names, *((r.x0, r.y0, r.x1, r.y1) for r in panels))  # and the overlay's panels
    # the output's value and the record's loss (the bigger block, placed first): under the
    # output, ending at its sphere's right (its name is over it, the panel beside), lower
    # where a weight crosses there, else over its name; clear of every weight, sphere and name
    reach = NODE_R_MAX * layout.node_scale[out]
    under = layout.nodes[out] + np.array([reach, -reach - NAME_GAP, 0.0])
    (ox, oy), (ux, uy) = (project(camera, np.stack([layout.nodes[out], under]), aspect) + 1) / 2
    lift = (ux - ox) * aspect + 2.2 * name_size(height, timeline.screen) / height
    heights = [*((uy - k * pitch, "top") for k in np.arange(0, 3, 0.25)), (oy + lift, "bottom")]
    places = [(ux - shift, y, valign) for shift in np.arange(0.005, 0.05, 0.005) for y, valign in heights]
    spots = [Text2D(widest[1], x, y, text_size, theme.text, align="right", valign=v) for x, y, v in places]
    follows_at, _ = _first_clear(spots, boxes, size, region, segments)
    # the weight's value by it, clear of it (review 66b: just over its middle the box hid
    # the weight being nudged, which rises to out under it) and of the others (review 75b: a
    # box over h2 -> out)
    ends = project(camera, layout.nodes[[start, end]], aspect)
    (sx, sy), (ex, ey) = (ends + 1) / 2
    shares = sorted(np.arange(0.15, 0.8, 0.05), key=lambda f: abs(f - 0.5))  # the middle first
    along = [(sx + f * (ex - sx), sy + f * (ey - sy)) for f in shares]
    taken = _screen_box(follows_at, width, height)
    least = round(height * MIN_TEXT.get(timeline.screen, MIN_TEXT["lecture"]))
    for scale in (1.0, 0.9, 0.8):  # smaller where there is no room between the weights
        type_size = max(least, round(text_size * scale))
        spots = [
            Text2D(
                widest[0],
                x,
                y + dy * type_size / height * side,
                type_size,
                theme.text,
                align="center",
                valign="bottom" if side > 0 else "top",
            )
            for dy in np.arange(0.2, 2.0, 0.1)
            for x, y in along
            for side in (1, -1)
        ]
        weight_at, covered = _first_clear(spots, (*boxes, taken), size, region, segments)
        if not covered:
            break
    return weight_at, follows_at


def network_obstacles(
    timeline: Timeline, step: Step, camera: Camera, size: tuple[int, int], radii: np.ndarray
) -> tuple[tuple[tuple[float, float, float, float], ...], np.ndarray]:
    """What a number written on the network must not cover, on screen (0..1, y up): each
    sphere (``radii``: as drawn, world units) and its name (boxes), and each weight drawn
    (segments)."""
    layout = timeline.layout
    width, height = size
    aspect = width / height
    px = _px_per_unit(camera, width, height)
    centres = (project(camera, layout.nodes, aspect) + 1) / 2
    reach = np.maximum(radii, RING_R * layout.node_scale) * px  # pixels, as drawn now
    gap = NAME_GAP * px
    tall = 1.2 * name_size(height, timeline.screen)
    last = layout.node_layer == len(layout.layers) - 1  # a lone output's name over it
    boxes = []
    for node, ((x, y), r, up) in enumerate(zip(centres, reach, last, strict=True)):
        boxes.append((x - r / width, y - r / height, x + r / width, y + r / height))
        wide = text_width_em(layout.name_of(node)) * tall / 1.2 / width
        low = y + (r + gap) / height if up else y - (r + gap + tall) / height
        boxes.append((x - wide / 2, low, x + wide / 2, low + tall / height))
    return tuple(boxes), edge_segments(layout, step, centres)


def edge_segments(layout: Layout, step: Step, centres: np.ndarray, into: int | None = None) -> np.ndarray:
    """Each weight drawn (``into``: those into that node) as a segment between its nodes'
    ``centres`` (on screen, or the nodes' own x, y): (n, 2, 2)."""
    shown = visible_edges(layout, step.visual.weights)
    if into is not None:
        shown = shown[layout.edge_to[shown] == into]
    return np.stack([centres[layout.edge_from[shown]], centres[layout.edge_to[shown]]], axis=1)


def _clear_region(timeline: Timeline, step: Step) -> tuple[float, float, float, float]:
    """Where the nudge's numbers may stand: the step's region of the frame, left of the
    panel beside, down to the frame's foot (the code line's panel is an obstacle, as wide as
    its line: below the network's right the room is free)."""
    x0, _, x1, y1 = step_region(timeline, step)
    return x0, 0.02, min(x1, NUDGE_BOX[0] - 0.005), y1


def _first_clear(
    spots: list[Text2D],
    boxes: tuple[tuple[float, float, float, float], ...],
    size: tuple[int, int],
    region: tuple[float, float, float, float],
    segments: np.ndarray | None = None,
    margin: tuple[float, float] = (0.2, 0.05),
) -> tuple[Text2D, int]:
    """The first of ``spots`` whose text, with its backdrop's ``margin`` (ems), stands inside
    ``region`` clear of every box and segment (screen 0..1); else the one that covers the
    fewest (and how many it covers)."""
    width, height = size
    pad_x, pad_y = margin[0] * spots[0].size / width, margin[1] * spots[0].size / height  # a backdrop's
    pads = np.array([-pad_x, -pad_y, pad_x, pad_y])
    found = np.array([_screen_box(spot, width, height) for spot in spots]) + pads
    x0, y0, x1, y1 = found.T
    hits = 100 * ((x0 < region[0]) | (x1 > region[2]) | (y0 < region[1]) | (y1 > region[3]))
    if boxes:
        b = np.asarray(boxes, dtype=float)
        apart = (b[None, :, 0] >= x1[:, None]) | (x0[:, None] >= b[None, :, 2])
        apart |= (b[None, :, 1] >= y1[:, None]) | (y0[:, None] >= b[None, :, 3])
        hits = hits + np.count_nonzero(~apart, axis=1)
    if segments is not None and len(segments):
        hits = hits + np.count_nonzero(_segments_hit(found, segments), axis=1)
    best = int(np.argmin(hits))  # the first of the fewest: the first clear where one is
    return spots[best], int(hits[best])


def _segments_hit(boxes: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Which segments ((s, 2, 2): ends, x and y) cross which boxes ((n, 4)): (n, s). Each
    segment clipped to a box's x span gives its y range there; it meets the box where that
    range meets the box's y span."""
    x0, y0, x1, y1 = (boxes[:, k, None] for k in range(4))
    a, b = segments[None, :, 0], segments[None, :, 1]
    ax, ay, bx, by = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    dx = bx - ax
    with np.errstate(divide="ignore", invalid="ignore"):
        t0 = np.where(dx != 0, (x0 - ax) / dx, -np.inf)
        t1 = np.where(dx != 0, (x1 - ax) / dx, np.inf)
    lo = np.clip(np.minimum(t0, t1), 0.0, 1.0)
    hi = np.clip(np.maximum(t0, t1), 0.0, 1.0)
    inside_x = (np.maximum(ax, bx) >= x0) & (np.minimum(ax, bx) <= x1)
    ya, yb = ay + (by - ay) * lo, ay + (by - ay) * hi
    return inside_x & (hi >= lo) & (np.maximum(ya, yb) >= y0) & (np.minimum(ya, yb) <= y1)


#: how long the network takes to glide from where the step before drew it to where this
#: step draws it (beside the loss curve and back): within every step's tween
#: (TWEEN_SECONDS at least), so each of its frames has a key of its own
GLIDE_SECONDS = 0.6


def step_region(timeline: Timeline, step: Step) -> tuple[float, float, float, float]:
    """Where a step draws the network (before the records' sheets spread it): small beside
    the loss curve in the descent and the landscape, over the run's chart at a glance, else
    the screen layout's own region."""
    if timeline.screen == "study":
        return network_region(timeline.screen, shape(timeline))
    if step.kind == "summary":
        return SUMMARY_REGION
    if step.kind in EPILOGUE_KINDS:
        return EPILOGUE_REGION
    if step.kind in ("descent", "landscape"):  # small beside the curve, its weight lit
        return DESCENT_REGION
    return network_region(timeline.screen, shape(timeline))


def region_glide(timeline: Timeline, step: Step, prev_step: Step | None, frame: int) -> float:
    """How far (eased, 0..1) the network has glided into the step's region from the step
    before's: a move, not a cut, between the network and the shots that shrink it (reviews
    67-71: "continuous morphs instead of layout swaps"); 1 where the regions are one, or
    where either step is a card (a clean slide: nothing to glide from or to), the step
    before ended without the network (the chain rule's chain, alone across the frame), or
    one of them is a glance and the other not (its panels are drawn at once)."""
    if prev_step is None or step.card is not None or prev_step.card is not None:
        return 1.0
    if prev_step.kind == "chain" and prev_step.chain is not None:  # it ended on its chain alone
        return 1.0
    if (step.kind in EPILOGUE_KINDS) != (prev_step.kind in EPILOGUE_KINDS):
        # into or out of a glance: its chart and table stand at once, and the network gliding
        # in over them read as a glitch (reviews 72b, 73a, 73b)
        return 1.0
    if step_region(timeline, step) == step_region(timeline, prev_step):
        return 1.0
    n_glide = max(1, min(step.n_frames, round(GLIDE_SECONDS * timeline.fps)))
    return _ease(min(1.0, (frame - step.first_frame + 1) / n_glide))


def tween_progress(step: Step, frame: int, fps: int, seconds: float = TWEEN_SECONDS) -> tuple[float, int]:
    """Eased progress of the step's tween at ``frame`` and a hold-aware frame key."""
    n_tween = max(1, min(step.n_frames, round(seconds * fps)))
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
    prev_step = timeline.steps[step.index - 1] if step.index else None
    # the records' sheets in depth: 0 = one network seen from the front, 1 = spread out; the
    # camera turns between the two views while the step's values tween
    spread0, spread1 = float(sheets_shown(timeline, prev_step)), float(sheets_shown(timeline, step))
    tween = tween_progress(step, frame, timeline.fps, _tween_seconds(timeline, step))
    progress = tween[0]
    spread = _lerp(spread0, spread1, progress)
    prev_visual = prev_step.visual if prev_step else timeline.initial_visual
    vmax = timeline.target_scale
    # (study writes every panel at once, its header the step's iteration: no way shown)
    on_way = morphing(timeline, step, prev_step, progress) and timeline.screen != "study"
    glimpse = glimpse_at(step, progress) if on_way else None
    if glimpse is not None:  # a real iteration on the glance's way: its own weights, not a blend
        now = replace(step.visual, weights=glimpse.weights, outputs=glimpse.outputs)
        g = _geometry(now, step, timeline, theme, vmax, step)
    else:
        # the highlight moves to the step's node at once, as its caption does (two reviews
        # saw the step before's node still lit while the caption named the next)
        g0 = _geometry(prev_visual, prev_step, timeline, theme, vmax, step)
        g1 = _geometry(step.visual, step, timeline, theme, vmax, step)
        pairs = zip(vars(g0).values(), vars(g1).values(), strict=True)
        g = _Geometry(*(_lerp(a, b, progress) for a, b in pairs))
    sheet_r = sheet_c = None
    if spread > 0:  # every record's values, a sheet each; record 1's are the front nodes'
        (r0, c0), (r1, c1) = _sheet_look(prev_visual, layout, theme), _sheet_look(step.visual, layout, theme)
        sheet_r, sheet_c = _lerp(r0, r1, progress), _lerp(c0, c1, progress)
        g = replace(g, node_r=_lerp(g.node_r, sheet_r[0], spread), node_c=_lerp(g.node_c, sheet_c[0], spread))
    elif step.all_records and timeline.screen == "hall" and layout.n_records >= 2:
        # the hall keeps one network for all records at once: its spheres are record 1's
        # (the outputs panel has every record's output)
        r1, c1 = (a[0] for a in _sheet_look(step.visual, layout, theme))
        r0, c0 = g0.node_r, g0.node_c
        if prev_step is not None and prev_step.all_records:
            r0, c0 = (a[0] for a in _sheet_look(prev_visual, layout, theme))
        g = replace(g, node_r=_lerp(r0, r1, progress), node_c=_lerp(c0, c1, progress))

    nudging = step.kind == "nudge" and step.chain is not None and timeline.screen != "study"
    if nudging:  # the weight as thick as it is now
        g = replace(g, edge_r=_nudged_radii(g.edge_r, step, layout, progress))

    a = layout.nodes[layout.edge_from]
    b = layout.nodes[layout.edge_to]
    d = b - a
    lengths = np.linalg.norm(d, axis=1)
    mids = (a + b) / 2
    shown = visible_edges(layout, step.visual.weights)

    # spheres: nodes, record beads (study: too small for a hall, the outputs panel and
    # the values carry the per-record numbers there), then the beads along the weights
    in_scene = timeline.screen == "study"
    # a node step's beads arrive as the formula's sum is written (its third part of four)
    travel = min(1.0, progress / BEADS_ARRIVE) if step.kind == "node" else progress
    sig_c, sig_r, sig_col = _signals(step, layout, theme, travel, backward=in_scene)
    beads = layout.satellites.reshape(-1, 3) if in_scene else np.zeros((0, 3))
    centers = np.concatenate([layout.nodes, beads, sig_c])
    radii = np.concatenate([g.node_r, g.bead_r if in_scene else np.zeros(0), sig_r])
    colors = np.concatenate([g.node_c, g.bead_c if in_scene else np.zeros((0, 3)), sig_col])
    back_edges = _no_cylinders()
    if sheet_r is not None:  # the records behind record 1, and the same weights in each sheet
        offsets = sheet_offsets(layout, spread)
        back_dim = 1.0 if SHEETS_SIDE_BY_SIDE else BACK_SHEET_DIM  # side by side: all alike
        centers = np.concatenate([centers, *(layout.nodes + o for o in offsets[1:])])
        radii = np.concatenate([radii, *(sheet_r[1:] * spread)])
        colors = np.concatenate(
            [
                colors,
                *(
                    _blend(c, np.array(theme.background_bottom), np.full(len(c), back_dim))
                    for c in sheet_c[1:]
                ),
            ]
        )
        back_edges = _sheet_edges(g, offsets, shown, mids, d / lengths[:, None], lengths, spread, theme)

    # the backward pass: tubes along the weights, as thick as what each carries back
    flow = (
        _backward_flow(step, layout, theme, progress, flow_scale(timeline, step))
        if not in_scene
        else _no_cylinders()
    )
    # an update: the weights as they were, a translucent sleeve around the new ones
    ghost = _no_cylinders()
    if step.kind == "update" and step.change is not None and not in_scene:
        ghost = _update_sleeves(step, prev_visual, layout, theme, mids, d / lengths[:, None], lengths)
    elif step.kind == "node" and not in_scene and timeline.screen != "study":
        ghost = _focus_sleeves(step, step.visual, layout, theme, mids, d / lengths[:, None], lengths)

    # halos: node deltas, then the circled weights
    marks = mark_positions(step, layout)
    mark_at = mids.copy()
    if len(marks):
        mark_at[[e for e, _ in step.edge_labels]] = marks
    halo_centers = np.concatenate([layout.nodes, mark_at])
    # a node's halo (its delta summed over the batch) is a study detail: hall and lecture
    # write the deltas on the nodes
    halo_radii = np.concatenate([g.halo_r if in_scene else 0 * g.halo_r, g.mark_r])
    halo_colors = np.concatenate([g.halo_c, np.tile(np.array(theme.accent), (layout.n_edges, 1))])

    # the outputs against the targets are a panel of the overlay (hud "outputs")
    written = caption_progress(step, progress)
    stage = chain_stage(step, frame)
    if glimpse is not None:  # the iteration on the way, for the panels (hud.glance_morph)
        stage = (step.montage.index(glimpse) + 0.5) / len(step.montage)
    elif on_way:  # the maps still on their way: said, and how far
        stage = math.floor(progress * MORPH_STAGES) / MORPH_STAGES
    texts, rects, polylines = _step_overlay(timeline, step, theme, width, height, written, stage)
    epilogue = step.kind in EPILOGUE_KINDS and not in_scene  # the run's chart below
    region = step_region(timeline, step)
    glide = region_glide(timeline, step, prev_step, frame)
    if glide < 1.0:  # from where the step before drew it
        region = tuple(_lerp(np.array(step_region(timeline, prev_step)), np.array(region), glide))
    if spread > 0:  # the sheets take the room down to the code line and up to the panels
        region = tuple(_lerp(np.array(region), np.array(SHEETS_REGIONS[timeline.screen]), spread))
    camera = fit_camera(layout, width, height, timeline.screen, region, spread)
    texts = term_flights(timeline, step, texts, camera, theme, width / height, written)
    slide = step.card is not None and not in_scene  # a card is a clean slide: nothing shows through
    # the network is drawn as panels (hud_scenes.py), or the shot is a panel's alone (the
    # chain rule: its chain is the picture, across the frame)
    diagram = step.kind == "chain" and not in_scene and (stage is None or stage >= CHAIN_DIAGRAM)
    # (what the trained nodes compute is drawn as maps alone, big: hud's gallery)
    panels_only = shape(timeline) == "grids" or diagram or step.kind == "features"
    sheet_labels: tuple[Label3D, ...] = ()
    if step.feature_maps is not None and not in_scene and not slide and glide == 1.0 and not panels_only:
        # the maps are drawn at a glance (a fast forward, the epilogue): the output's reaches
        # up to the outputs panel beside the network; once it stands there (sized by the
        # network's spacing, they filled the frame while it glided in)
        right_end = EPILOGUE_MAP_END if epilogue else region[2]
        if glimpse is not None and glimpse.feature_maps is not None:
            maps = glimpse.feature_maps
        else:
            maps = _maps_now(step, prev_step, progress)
        cells, frames, axes = _feature_tiles(timeline, step, maps, theme, camera, (width, height), right_end)
        rects, polylines, texts = rects + cells, polylines + frames, texts + axes
    labels, carried = ((), ()) if slide else _labels(timeline, step, theme, camera, (width, height), progress)
    told = step.kind == "chain" and not in_scene and not diagram  # its rates on the network
    flight = chain_flight(step, frame) if told else None
    drawn = ()  # the chain as its diagram writes it: where the flights land
    by_nodes: tuple[tuple[float, float, float, float], ...] = ()  # the chain's names by their nodes
    if flight is not None:
        drawn = _step_overlay(timeline, step, theme, width, height, written, CHAIN_DIAGRAM)[0]
    if (names_shown(timeline, step) or told) and spread < 0.5:  # a sheet is too small for names
        names, backdrops = node_names(
            timeline, step, theme, camera, width, height, _caption_drawn(step, texts)
        )
        names, backdrops = _names_clear_of(names, backdrops, labels, camera, (width, height), timeline.font)
        if flight is not None:  # the chain's names fly into it with its rates, the others fade
            by_nodes = tuple(_screen_box(n, width, height) for n in names if n.text in step.chain.names)
            flown = flown_share(flight, NAMES_FLY)
            names, backdrops = _names_flown(step, theme, names, drawn, (width, height), flown), []
        texts, rects = texts + tuple(names), rects + tuple(backdrops)
    if nudging:
        at = (width, height)
        values, backdrops = nudged_values(timeline, step, theme, camera, at, progress, g.node_r, rects)
        texts, rects = texts + values, rects + backdrops
    if told:
        rates, backdrops = chain_rates(timeline, step, theme, camera, width, height, stage)
        if flight is not None:  # on their way to the chain
            flown = flown_share(flight, RATES_FLY)
            rates, backdrops = _flown(step, rates, drawn, (width, height), flown, by_nodes), ()
        texts, rects = texts + rates, rects + backdrops
    if not slide and not panels_only:
        polylines = polylines + _zero_rings(step.visual, layout, theme, camera, width, height)
        if not in_scene and spread == 0:
            polylines += want_arrows(timeline, step, theme, camera, width, height, progress, carried)
            texts += first_arrow_tag(timeline, step, theme, camera, width, height)
        if sheet_r is not None:
            outlines, sheet_labels, names, backdrops = _sheet_frames(
                timeline,
                step,
                theme,
                camera,
                width,
                height,
                spread,
                errors=step.kind == "output_error",
            )
            polylines, texts, rects = polylines + outlines, texts + names, rects + backdrops
    if flight is not None:  # the network fades as its path flies out of it into the chain,
        # so that the rates and names landing on the chain's row (where h1 stood) stand over
        # nothing (review 76b: "x 0.215" over h2, "x 0.250" over out)
        fade = NETWORK_FADE * flown_share(flight, RATES_FLY)  # faded as the rates land
        bg = np.array(theme.background_bottom)
        colors, radii = colors.copy(), radii.copy()
        colors[: layout.n_nodes] += (bg - colors[: layout.n_nodes]) * fade
        radii[: layout.n_nodes] *= 1.0 - fade  # (a faded sphere still shines)
        g = replace(g, edge_c=g.edge_c + (bg - g.edge_c) * fade)
    state = FrameState(
        key=(step.index, _sub_key(step, frame, tween)),
        width=width,
        height=height,
        theme=theme,
        sphere_centers=centers,
        sphere_radii=radii,
        sphere_colors=colors,
        halo_centers=halo_centers,
        halo_radii=halo_radii,
        halo_colors=halo_colors,
        cylinder_centers=np.concatenate([mids[shown], flow[0], back_edges[0]]),
        cylinder_directions=np.concatenate([(d / lengths[:, None])[shown], flow[1], back_edges[1]]),
        cylinder_lengths=np.concatenate([lengths[shown], flow[2], back_edges[2]]),
        cylinder_radii=np.concatenate([g.edge_r[shown], flow[3], back_edges[3]]),
        cylinder_colors=np.concatenate([g.edge_c[shown], flow[4], back_edges[4]]),
        ghost_centers=ghost[0],
        ghost_directions=ghost[1],
        ghost_lengths=ghost[2],
        ghost_radii=ghost[3],
        ghost_colors=ghost[4],
        labels=_on_background(
            labels + sheet_labels,
            theme,
            camera,
            width / height,
        ),
        texts=texts,
        rects=rects,
        polylines=polylines,
        camera=camera,
        font_file=timeline.font,
        mono_font_file=timeline.mono_font,
        bold_font_file=timeline.bold_font,
        mono_bold_font_file=timeline.mono_bold_font,
    )
    return without_network(state) if panels_only else state


def background_at(theme: Theme, y: float) -> tuple[float, float, float]:
    """The frame's background at height ``y`` (0 bottom, 1 top): its vertical gradient."""
    y = min(max(y, 0.0), 1.0)
    bottom, top = np.array(theme.background_bottom), np.array(theme.background_top)
    return tuple(float(c) for c in bottom + (top - bottom) * y)


def _on_background(
    labels: tuple[Label3D, ...], theme: Theme, camera: Camera, aspect: float
) -> tuple[Label3D, ...]:
    """The numbers on the picture on backdrops of the background's own colour where they
    stand: the weights under a number are masked, but no black box is drawn around it
    (3Blue1Brown's numbers float; a lecturer's review asked to drop the boxes)."""
    boxed = [i for i, lb in enumerate(labels) if lb.backdrop == theme.panel]
    if not boxed:
        return labels
    ys = (project(camera, np.array([labels[i].position for i in boxed]), aspect)[:, 1] + 1) / 2
    out = list(labels)
    for i, y in zip(boxed, ys, strict=True):
        out[i] = replace(out[i], backdrop=background_at(theme, float(y)))
    return tuple(out)


def without_network(state: FrameState) -> FrameState:
    """The frame without its 3D network: hall and lecture draw a network whose layers are
    too big for nodes (digits: 9,200 weights) as panels instead (hud_scenes.py)."""
    none3, none = np.zeros((0, 3)), np.zeros(0)
    return replace(
        state,
        sphere_centers=none3, sphere_radii=none, sphere_colors=none3,
        halo_centers=none3, halo_radii=none, halo_colors=none3,
        cylinder_centers=none3, cylinder_directions=none3, cylinder_lengths=none, cylinder_radii=none,
        cylinder_colors=none3,
        ghost_centers=none3, ghost_directions=none3, ghost_lengths=none, ghost_radii=none, ghost_colors=none3,
        labels=(),
    )  # fmt: skip


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


def _no_cylinders() -> tuple[np.ndarray, ...]:
    return np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0), np.zeros(0), np.zeros((0, 3))


FLOW_R_MAX = 0.13  # the thickest backward tube (the largest |delta x weight| of its step)
GHOST_PAD = 0.02  # the old weight's sleeve is at least this much wider, so it shows as a rim
SLEEVE_R = 0.2  # the sleeve of the largest change of the video's first update


def _update_sleeves(step: Step, before: Visual, layout: Layout, theme: Theme, mids, units, lengths):
    """During an update, a translucent sleeve around each weight of the matrix, as wide as
    the old weight and wider by |change| on one scale for the whole video (the first
    update's largest change gives SLEEVE_R): thick in iteration 1, a thin rim by iteration
    2000. It is grey: blue and orange say a weight's sign and nothing else."""
    edges = np.array(step.highlighted_edges, dtype=int)
    change = np.asarray(step.change).ravel()
    if len(edges) != len(change):
        return _no_cylinders()
    old = before.weights[edges]
    scale = step.change_scale or float(np.max(np.abs(change))) or 1.0
    strength = np.clip(np.abs(np.nan_to_num(change, nan=scale)) / scale, 0, 1)
    radius = edge_radius(np.where(np.isfinite(old), old, np.inf)) * layout.edge_scale + GHOST_PAD
    radius = radius + SLEEVE_R * strength
    # the weights written out before -> after keep the bright grey; where only some are (a
    # crowd of them), the others' sleeves are dimmer, so each number is seen on its weight
    written = np.isin(edges, [e for e, _ in step.edge_values]) | (len(step.edge_values) == 0)
    bg = np.array(theme.background_bottom)
    colours = np.where(
        written[:, None], np.array(theme.muted), _blend(np.array([theme.muted]), bg, np.array([0.45]))
    )
    return mids[edges], units[edges], lengths[edges], radius, colours


FOCUS_PAD = 0.09  # the sleeve around a weight the step is about, wider than the weight


def _focus_sleeves(step: Step, visual: Visual, layout: Layout, theme: Theme, mids, units, lengths):
    """The weights a node-by-node step multiplies, in a translucent sleeve of the text's
    colour (white on dark, dark grey on light): the numbers written along them are then
    read as theirs, where the dimmed others cross them (blue and orange still say each
    weight's sign; magenta over blue would read as the backward pass's purple)."""
    edges = np.array(step.highlighted_edges, dtype=int)
    if not len(edges):
        return _no_cylinders()
    w = visual.weights[edges]
    radius = edge_radius(np.where(np.isfinite(w), w, np.inf)) * layout.edge_scale + FOCUS_PAD
    colours = np.tile(np.array(theme.text), (len(edges), 1))
    return mids[edges], units[edges], lengths[edges], radius, colours


def flow_scale(timeline: Timeline, step: Step) -> float | None:
    """The |delta x weight| drawn FLOW_R_MAX wide in ``step``: the scale of the want arrows,
    one for the video, so iteration 1998's tubes are seen to be thinner than iteration 1's
    (a review found them as thick, each step's largest drawn as wide)."""
    return timeline.want_unit if timeline.want_scales.get(step.layer) else None


def _backward_flow(
    step: Step, layout: Layout, theme: Theme, progress: float, scale: float | None = None
) -> tuple[np.ndarray, ...]:
    """What each weight sends back (delta x weight): a tube growing from the weight's
    output end towards its input end, its radius proportional to |value| (``scale`` is
    FLOW_R_MAX wide; none: the largest of the step), in the backward pass's own colour,
    beside its weight: blue and orange stay the weights' signs (a lecturer's review found
    tubes coloured by their value read as weights that had changed sign); the signed
    number at its node says its sign."""
    back = [s for s in step.signals if not s.forward]
    if not back:
        return _no_cylinders()
    edges = np.array([s.edge for s in back])
    values = np.abs(np.nan_to_num(np.array([s.value for s in back]), nan=0.0, posinf=1e6))
    biggest = scale or float(values.max()) or 1.0
    start = layout.nodes[layout.edge_to[edges]]
    end = layout.nodes[layout.edge_from[edges]]
    windows, time = tube_windows(step), _unease(progress)
    travelled = np.array([_ease((time - a) / (b - a)) for a, b in (windows[e] for e in edges)])
    grown = start + (end - start) * np.maximum(travelled, 1e-3)[:, None]
    toward_camera = np.array([0.0, 0.0, 0.04])
    vec = grown - start
    length = np.linalg.norm(vec, axis=1)
    unit = vec / np.maximum(length, 1e-9)[:, None]
    radius = np.where(values > 0, np.clip(FLOW_R_MAX * values / biggest, 0.012, FLOW_R_MAX), 0.0)
    # beside its weight, not around it: both keep their own colour (purple over orange read
    # as a salmon of no meaning), the tube on the weight's upper side
    side = np.stack([-unit[:, 1], unit[:, 0], np.zeros(len(unit))], axis=1)
    side *= np.where(side[:, 1:2] < 0, -1.0, 1.0) / np.maximum(np.linalg.norm(side, axis=1), 1e-9)[:, None]
    weight_r = edge_radius(np.nan_to_num(step.visual.weights[edges], nan=0.0)) * layout.edge_scale
    centres = (start + grown) / 2 + toward_camera + side * (weight_r + radius + FLOW_GAP)[:, None]
    colours = np.tile(np.array(theme.backward), (len(back), 1))
    return centres, unit, length, radius, colours


FLOW_GAP = 0.02  # between a weight and the tube that runs beside it
#: the tubes set off one after another (this much of the tween's time apart) and have all
#: arrived at TUBES_ARRIVE of it; a node's want arrow grows once its tubes have arrived, and
#: the caption's numbers fly after (from half the tween: they would cross the deltas sent back)
TUBE_STAGGER, TUBES_ARRIVE = 0.05, 0.5


def tube_windows(step: Step) -> dict[int, tuple[float, float]]:
    """When, in the step's tween (0..1 of its time), each weight's tube sets off and
    arrives: one after another, so each cause is seen before its effect. Deltas sent back
    as arrows go together; in a slow step (the first iteration's) the first (the caption's
    example) alone and slowly, then the others together (reviews 49a and 49b: four one
    at a time, the example second, read as out of order)."""
    back = [s.edge for s in step.signals if not s.forward]
    if _sends_slowly(step) and len(back) > 1:  # the example first, then the most shrunk
        alone = min(len(back) - 1, len(ALONE_SHARES))
        ends = np.cumsum(ALONE_SHARES[:alone]) * SLOW_ARRIVE
        windows = {e: (a, b - 0.01) for e, a, b in zip(back, [0.0, *ends[:-1]], ends, strict=False)}
        first, span = float(ends[-1]), SLOW_ARRIVE - float(ends[-1])
        # the others a cascade in which each token has come to its chip before the next
        # sets off (together, their numbers ran into each other where the weights meet)
        there, n = TOKEN_PHASES[2], len(back) - alone
        rest = _together(back[alone:], there / (1 + there * (n - 1)), cap=False)
        return {**windows, **{e: (first + a * span, first + b * span) for e, (a, b) in rest.items()}}
    stagger = (SENT_STAGGER if step.senders else TUBE_STAGGER) / TUBES_ARRIVE
    return {e: (a * TUBES_ARRIVE, b * TUBES_ARRIVE) for e, (a, b) in _together(back, stagger).items()}


def _together(edges: list[int], stagger: float, cap: bool = True) -> dict[int, tuple[float, float]]:
    """Tubes sent together, each setting off a little after the one before (a cascade, not
    one blur): (set off, arrive) in 0..1 of their time."""
    if cap:
        stagger = min(stagger, 1 / (2 * max(1, len(edges))))
    travel = 1 - stagger * (len(edges) - 1)
    return {e: (i * stagger, i * stagger + travel) for i, e in enumerate(edges)}


#: an error step this long sends its example's delta back first, alone; deltas sent back together
#: set off this much of the tween apart (a cascade, not one blur)
ONE_FIRST_SECONDS, SENT_STAGGER = 6.0, 0.03


def _sends_slowly(step: Step) -> bool:
    """Whether ``step`` sends deltas back slowly (the first iteration's): its example first,
    alone, as tokens (:func:`_sent_tokens`); else quickly, together, as a recap."""
    return bool(step.senders) and step.duration >= ONE_FIRST_SECONDS


#: of the tubes' time in a slow step, the first (the example's) alone, then the second (the
#: one its weight shrinks most) alone; the others together share what is left
ALONE_SHARES = (0.42, 0.28)
#: of a slow step's tween, when its last token has landed: the tokens take their time (at half
#: the tween, review 53d found three crammed into 1.4 s each, then 8 s with nothing moving)
SLOW_ARRIVE = 0.85


def caption_progress(step: Step, progress: float) -> float:
    """How far the caption is written (as :func:`caption_parts_shown` reads it): with the
    tween; in the first iteration's slow send-back, with its example's token -- its formula
    as the token takes its weight in, its result as the product is made (review 53d: the
    caption said "l1_error" until the motion was over)."""
    n = caption_parts(step)
    back = [s.edge for s in step.signals if not s.forward]
    if progress >= 1.0 or not _sends_slowly(step) or n < 2 or not back:
        return progress
    begin, end = tube_windows(step)[back[0]]
    t = (_unease(progress) - begin) / max(1e-9, end - begin)
    written = 1 if t < TOKEN_PHASES[1] else n - 1 if t < TOKEN_PHASES[2] else n
    return (written - 1) / (n - 1)


def arrivals(step: Step, layout: Layout) -> dict[int, float]:
    """When (0..1 of the tween's time) the last tube into each node has arrived."""
    out: dict[int, float] = {}
    for edge, (_, end) in tube_windows(step).items():
        node = int(layout.edge_from[edge])
        out[node] = max(out.get(node, 0.0), end)
    return out


def _signals(step: Step, layout: Layout, theme: Theme, progress: float, backward: bool = True):
    """Beads travelling along the weights; ``backward``: the backward pass's too (study;
    hall and lecture draw it as tubes)."""
    n = len(step.signals)
    if not n:
        return np.zeros((0, 3)), np.zeros(0), np.zeros((0, 3))
    positions = signal_positions(step, layout, progress)
    values = np.array([s.value for s in step.signals])
    # visible while travelling; gone once arrived, so held frames stay identical
    fade = 0.0 if progress >= 1.0 else math.sin(math.pi * min(1.0, progress * 1.15)) ** 0.35
    forward = np.array([s.forward for s in step.signals])
    radii = signal_radius(values) * fade * (forward | backward)
    colors = np.where(forward[:, None], _sign_colors(values, theme), np.array(theme.backward))
    return positions, radii, colors


def _labels(
    timeline: Timeline, step: Step, theme: Theme, camera: Camera, frame: tuple[int, int], progress: float = 1
) -> tuple[tuple[Label3D, ...], tuple[Carried, ...]]:
    """The numbers on the network, and the want arrows the tokens sent back carry. What a
    weight carries (its beads, its tube) is written on it when it has arrived, at the end
    of the step's tween; so is a number the step works out (a node's value, z, delta), as
    the caption writes its result."""
    width, height = frame
    layout = timeline.layout
    study = timeline.screen == "study"
    size = _label_size(timeline.screen, height)
    px_per_unit = _px_per_unit(camera, width, height)
    beside = False
    names = names_shown(timeline, step)
    # labels must not run into the next node's: cap the size by the on-screen node spacing
    spacing = node_spacing(layout, camera, width / height)
    if spacing is not None:
        gap_px = spacing * height
        # hall and lecture keep the numbers big: where a label over its sphere would run into
        # the next node's (a column of 10), or into the name under the node above it, the
        # labels stand beside the spheres instead
        beside = not study and (gap_px * 0.42 < size or names)
        size = max(8, min(size, int(gap_px * (BESIDE_ROOM if beside else 0.42))))
    out: list[Label3D] = []
    taken: list[tuple[float, float, float, float]] = []  # the labels' boxes over their spheres
    valued: set[int] = set()  # the nodes whose value stands right of them
    sending = {int(layout.edge_from[edge]) for edge, _ in step.edge_values}
    over_last: dict[int, int] = {}  # the output layer's labels over their spheres: where in out, in taken
    names_at = {}  # the nodes' names: the numbers keep clear of them
    if names:
        tag = name_size(height, timeline.screen)
        names_at = {node: name_box(layout, node, tag, px_per_unit) for node in range(layout.n_nodes)}
        taken += names_at.values()
    wanted = {node for node, value in step.wants if np.isfinite(value) and value != 0}  # an arrow beside
    # a number the step works out appears when its picture has arrived, with the caption's result
    before = timeline.steps[step.index - 1].node_labels if step.index and progress < 1 else step.node_labels
    for node, text in enumerate(step.node_labels):
        if text and (node >= len(before) or before[node] == text):
            x, y, z = layout.nodes[node]
            active = step.kind == "node" and node in step.highlighted_nodes[-1:]
            # just above its own sphere, so it cannot be read as the next node's
            value = step.visual.node_values[node]
            lift = _reach(value, layout.node_scale[node]) + 0.1
            lift = _over_name(layout, names_at, node, lift)
            # the backward pass writes deltas on the nodes: in its purple, as the caption does
            colour = theme.accent if active else theme.backward if step.phase == "backward" else theme.text
            if study:
                out.append(Label3D(text, (x - 0.25, y + lift, z), size, colour))
            elif (beside and _value_right(layout, node, names_at, wanted | sending)) or (
                step.kind == "summary" and _lone_output(layout, node)
            ):  # right of its sphere, level with it (the summary's answer too: over out it
                # stood on h2's weight, read as a weight, review 58a)
                at = (_note_start(layout, node, step.visual.node_values, own=True), y, z)
                out.append(Label3D(text, at, size, colour, theme.panel, "left", "center"))
                w, h = _extent(text, size, px_per_unit)
                taken.append((at[0], y - h / 2, at[0] + w, y + h / 2))
                valued.add(node)
            elif beside and layout.layers[layout.node_layer[node]] > 1:  # left of its sphere
                left = x - lift - 0.12  # its backdrop clear of the sphere (and of a 0's ring)
                if node in wanted:  # and of the node's want arrow, which stands there
                    left = min(left, x - NODE_R_MAX * layout.node_scale[node] - WANT_AT - WANT_CLEAR)
                w = _extent(text, size, px_per_unit)[0]
                side = "right"
                # off the frame: against its edge where it still ends about at the sphere's
                # rim (the hall's x3, at 1, had its "1" on its outgoing weights, read as
                # one of theirs), else right of it (handcalc's inputs by the frame's edge)
                short = (
                    (FRAME_MARGIN - _across(camera, (left - w, y, z), width / height)) * width / px_per_unit
                )
                if short > 0 and left + short < x - 0.8 * (lift - 0.1):
                    left += short
                elif short > 0:
                    left, side = x + lift + 0.12, "left"
                span = (left - w, left) if side == "right" else (left, left + w)
                level = y + _off_weights_in(layout, step, node, span, _extent(text, size, px_per_unit)[1])
                out.append(Label3D(text, (left, level, z), size, colour, theme.panel, side, "center"))
            else:  # centred over its sphere, so that none runs into the panels beside the network
                last = layout.node_layer[node] == len(layout.layers) - 1  # beside the panels: ends at it
                anchor = (x + OUTPUT_END, y + lift, z) if last else (x, y + lift, z)
                w, h = _extent(text, size, px_per_unit)
                if not last:  # within the frame: fit's x1 by the left edge had "0.809" cut to ".809"
                    sx = _across(camera, (x - w / 2, y, z), width / height)
                    anchor = (x + max(0.0, FRAME_MARGIN - sx) * width / px_per_unit, y + lift, z)
                # a delta over the tubes it sends back: on a backdrop, purple over purple
                backdrop = theme.panel if step.phase == "backward" else None
                out.append(Label3D(text, anchor, size, colour, backdrop, align="right" if last else "center"))
                left = anchor[0] - w if last else anchor[0] - w / 2
                taken.append((left, y + lift, left + w, y + lift + h))
                if last:  # (it may rise to make room for the hidden errors beside their nodes)
                    over_last[len(out) - 1] = len(taken) - 1
    if step.all_records and timeline.screen == "hall" and not sheets_shown(timeline, step):
        out += _record_one_outputs(timeline, step, theme, size, names_at)
    if not study:  # hall and lecture label every change along its weight instead
        whole = step
        arrive = BEADS_ARRIVE if step.kind == "node" else 1.0
        carried = progress >= arrive or not step.signals  # beads and tubes: their number when there
        results = progress >= 1.0  # a node's z, its error x slope: with the result
        pending: frozenset[int] = frozenset()
        if step.multipliers and not results:  # a delta sent back: its note as it lands
            landed = {node for node, came in arrivals(step, layout).items() if _unease(progress) >= came}
            # (its operands as its token's product sets off to it: the cause before the effect)
            pending = _products_on_their_way(step, layout, progress) - landed
            step = replace(step, node_notes=tuple(n for n in step.node_notes if n[0] in landed | pending))
            results = True
        elif not results:  # (error x slope before it, where the note ends with it)
            step = replace(step, node_notes=tuple(n for n in step.node_notes if _operands(n[1])))
        if timeline.screen == "lecture" and _grid_beside(layout, step):
            step = replace(step, edge_values=())
        along = min(size, round(height * ALONG_SIZE.get(timeline.screen, 1.0)))
        form, notes_at = None, {}
        if step.multipliers:  # the hidden errors worked out: all in one form that fits
            rising = [taken[i] for i in over_last.values()]
            fixed = [box for i, box in enumerate(taken) if i not in over_last.values()]
            keep, note_size, rise = _error_note_form(whole, layout, names_at, (size, along), px_per_unit,
                                                     timeline.font, fixed, rising)  # fmt: skip
            form = (keep, note_size)
            for i, j in over_last.items():
                (lx, ly, lz), (x0, y0, x1, y1) = out[i].position, taken[j]
                out[i], taken[j] = (
                    replace(out[i], position=(lx, ly + rise, lz)),
                    (x0, y0 + rise, x1, y1 + rise),
                )
            notes_at = {
                node: _note_boxes(
                    layout, node, whole.visual.node_values, text, *form, px_per_unit, timeline.font
                )
                for node, text in whole.node_notes
            }
        values = _value_labels(
            step, layout, theme, size, study, px_per_unit, beside, taken, carried, names_at, along, results,
            form, pending, frozenset(valued),
        )  # fmt: skip
        # a note in two lines carries its weight: the weight's "× w" is taken into it (and
        # may stand where it will be); the result alone leaves the "× w" on its weight
        keeps_weight = form is not None and form[0] == 2
        standing = _multipliers(step, layout, theme, along, px_per_unit, out, notes_at, keeps_weight)
        tokens, chips, carried = _sent_tokens(
            step, layout, theme, along, px_per_unit, progress, standing, form, (*out, *values),
            list(names_at.values()), _arrow_heights(timeline, step, theme, camera, frame, px_per_unit),
            keeps_weight,
        )  # fmt: skip
        if keeps_weight:  # in the notes written (or being written) now
            written = {node for node, _ in step.node_notes}
            gone = {id(chip) for chip, (edge, _) in zip(standing, step.multipliers, strict=True)
                    if int(layout.edge_from[edge]) in written}  # fmt: skip
            chips = [chip for chip in chips if id(chip) not in gone]
        return (*out, *values, *tokens, *chips), tuple(carried)
    for (_, text), anchor in zip(step.edge_labels, mark_positions(step, layout), strict=True):
        x, y, z = anchor
        out.append(Label3D(text, (x - 0.3, y + MARK_R + 0.05, z + 0.3), size, theme.accent, theme.panel))
    return tuple(out) + _value_labels(step, layout, theme, size, study, px_per_unit), ()


def _value_right(layout: Layout, node: int, names_at: dict[int, tuple], kept_left: set[int]) -> bool:
    """Whether a node's value (standing beside it) stands right of it, where it goes on
    along its weights, as its output: left of it, two reviews read h1's 0.449 as a number
    on an incoming weight. Not an input's (nothing comes in), nor in a lone node's layer
    (its value stands over it), nor where a crowded layer's names stand right of the
    spheres, nor for the nodes ``kept_left`` (a want arrow stands left of them; the
    output's step writes four products along their weights, which need the room by the
    hidden nodes), nor where the next layer has several nodes whose values stand beside
    them (handcalc's "0.646 2.18" read as one weight's numbers)."""
    layer = int(layout.node_layer[node])
    y = float(layout.nodes[node][1])
    named_beside = node in names_at and names_at[node][1] < y < names_at[node][3]
    return (
        0 < layer < len(layout.layers) - 1
        and layout.layers[layer] > 1
        and layout.layers[layer + 1] == 1
        and node not in kept_left
        and not named_beside
    )


def _off_weights_in(layout: Layout, step: Step, node: int, span: tuple[float, float], tall: float) -> float:
    """How far over (+) or under an output node a value left of it stands (world y, its
    box ``span`` wide and ``tall``): level where that box misses every weight coming in;
    else the nearest of a few heights, over it first for a node over its layer's middle,
    that does; 0 where none does. Handcalc's outputs stood on their incoming weights, level
    with them, and read as those weights' numbers (three reviews, the last 30a)."""
    if layout.node_layer[node] != len(layout.layers) - 1 or layout.layers[-1] < 2:
        return 0.0
    weights = edge_segments(layout, step, layout.nodes[:, :2], into=node)
    y = float(layout.nodes[node][1])
    middle = float(np.mean([layout.nodes[n][1] for n in layout.layer_nodes(len(layout.layers) - 1)]))
    away = 1.0 if y >= middle else -1.0
    pad = 0.1 * tall
    for dy in (
        0.0,
        *(away * k * tall for k in (0.7, 0.85, 1.0)),
        *(-away * k * tall for k in (0.7, 0.85, 1.0)),
    ):
        box = np.array([[span[0] - pad, y + dy - tall / 2 - pad, span[1] + pad, y + dy + tall / 2 + pad]])
        if not len(weights) or not _segments_hit(box, weights).any():
            return dy
    return 0.0


def _lone_output(layout: Layout, node: int) -> bool:
    """Whether ``node`` is the one node of the output layer."""
    return layout.node_layer[node] == len(layout.layers) - 1 and layout.layers[-1] == 1


def _over_name(layout: Layout, names_at: dict[int, tuple], node: int, lift: float) -> float:
    """How far over its node a label stands: ``lift``, or over the node's name where that
    is over the node (a lone output's)."""
    if node in names_at and name_above(layout, node):
        return names_at[node][3] - layout.nodes[node, 1] + 0.05
    return lift


def _record_one_outputs(
    timeline: Timeline, step: Step, theme: Theme, size: int, names_at: dict[int, tuple]
) -> list[Label3D]:
    """The hall's one network for all records at once: record 1's output (its error, in the
    error step) beside each output node, named (the outputs panel has every record's)."""
    layout, visual = timeline.layout, step.visual
    out = []
    for o, node in enumerate(layout.layer_nodes(len(layout.layers) - 1)):
        v = visual.satellites[node, 0] if visual.satellites.shape[1] else np.nan
        if not np.isfinite(v):
            continue
        text = fmt_sig(v)
        if step.kind == "output_error":
            text = fmt_signed(float(visual.targets[0, o] - visual.outputs[0, o]))
        x, y, z = layout.nodes[node]
        lift = max(node_radius(np.array([v]))[0], RING_R) * layout.node_scale[node] + 0.1
        lift = _over_name(layout, names_at, node, lift)
        label = message(timeline.lang, "record_one_value", v=text)
        # over the node, ending at it: clear of the outputs panel beside the network
        out.append(
            Label3D(label, (x + OUTPUT_END, y + lift, z), size, theme.text, theme.panel, align="right")
        )
    return out


def _value_labels(
    step: Step,
    layout: Layout,
    theme: Theme,
    size: int,
    study: bool,
    px_per_unit: float,
    beside: bool = False,
    taken: list[tuple[float, float, float, float]] | None = None,
    carried: bool = True,
    names_at: dict[int, tuple[float, float, float, float]] | None = None,
    along_size: int | None = None,
    results: bool = True,
    note_form: tuple[int, int] | None = None,
    pending: frozenset[int] = frozenset(),
    valued: frozenset[int] = frozenset(),
) -> tuple[Label3D, ...]:
    """The numbers a step writes on the picture: a node's z under it (``beside``: right of
    it, when the labels stand beside the spheres), and what each weight carries (input x
    weight, delta x weight, a change) a little along it (those, and a note under one node,
    at ``along_size``, else ``size``). The notes of the nodes ``pending`` without their
    result line: their token is bringing it; the z of a node ``valued`` (its value stands
    right of it) under that value."""
    out = []
    placed = list(taken or [])  # boxes (x0, y0, x1, y1) in world units: the node labels' first
    # one note goes under its sphere; a column of them (a layer's error x slope) beside
    # the spheres, where the labels above the next node cannot run into them
    column = len({layout.node_layer[node] for node, _ in step.node_notes}) < len(step.node_notes)
    for node, text in step.node_notes:  # under the sphere: the node's z
        x, y, z = layout.nodes[node]
        w, h = _extent(text, size, px_per_unit)
        # error x slope coloured as in the caption; a z in its sign's colour
        spans = spans_of(theme, step.terms, text) or sign_spans(theme, text)
        if step.multipliers and layout.layers[layout.node_layer[node]] > 1:
            # a delta sent back: the hidden node's error, right of it, on the side it came
            # from and where its delta's note follows (two reviews read it left of the node,
            # on the input weights, as syn0's): delta × weight over ≈ error, or the result
            # alone (its operands the delta over out and the "× w" on its weight)
            keep, note_size = note_form or (2, size)
            at = (_note_start(layout, node, step.visual.node_values), y, z)
            stack = _stacked(_note_kept(text, keep), at, "left", note_size, px_per_unit, theme, step.terms)
            # (the whole note as its product lands: its operands stood where the product
            # flies in, and review 57a read "-0.1-0.0403 41")
            for label in () if node in pending else stack:
                out.append(label)
                (lx, ly, _), (w, h) = label.position, _extent(label.text, note_size, px_per_unit)
                placed.append((lx, ly - h / 2, lx + w, ly + h / 2))
            continue
        if column or (beside and layout.layers[layout.node_layer[node]] > 1):  # a lone node: under it
            right = _note_start(layout, node, step.visual.node_values, own=node in valued) - x
            name = (names_at or {}).get(node)
            if name is not None and name[1] < y < name[3]:  # a crowded layer's name beside it: after it
                right = max(right, name[2] + 0.5 * size / px_per_unit - x)  # (half an em: a lit name is bold)
            # in two lines where one would run into the next layer's nodes or names: "error x
            # slope" over "~ delta" (a note that ends with its result), else "= error" over
            # "x slope"; at the size every number on the network keeps, or where even two
            # lines are too wide (the hall's big type), at its numbers-along-weights size
            room = _room_right(layout, node, names_at) - x - right
            lines, note_size = [text], size
            if w > room:
                lines = _note_lines(text)
                widest = max(_extent(line, size, px_per_unit)[0] for line in lines)
                note_size = size if widest <= room else min(size, along_size or size)
            # before the result: its operands, where they stand with it (one line: level)
            shown = len(lines) if results else 1
            if not results and len(lines) == 1:
                lines = [_operands(text) or text]
            # under the node's value where that stands right of it, where the nodes under it
            # have no value yet (over it, h4's z ran into h3's value)
            pitch = _stack_pitch(note_size, px_per_unit)
            level = (
                y - VALUE_CLEAR * size / px_per_unit - (len(lines) - 1) / 2 * pitch if node in valued else y
            )
            if name is not None and level != y and name[1] < level < name[3]:  # by its name: after it
                right = max(right, name[2] + 0.5 * size / px_per_unit - x)
            stack = _stacked(lines, (x + right, level, z), "left", note_size, px_per_unit, theme, step.terms)
            for label in stack[:shown]:
                out.append(label)
                (lx, ly, _), (w, h) = label.position, _extent(label.text, note_size, px_per_unit)
                placed.append((lx, ly - h / 2, lx + w, ly + h / 2))
            continue
        # (the hall's: in its smaller type, as the numbers along the weights that meet there)
        small = along_size or size
        w, h = _extent(text, small, px_per_unit)
        drop = NODE_R_MAX * layout.node_scale[node] + 0.15 + size * 0.012
        if node in (names_at or {}) and not name_above(layout, node):  # under the node's name
            drop = max(drop, y - names_at[node][1] + 0.05 + h)
        last = layout.node_layer[node] == len(layout.layers) - 1
        anchor = (x + OUTPUT_END, y - drop, z) if last else (x - 0.5, y - drop, z)
        align = "right" if last else "left"
        out.append(Label3D(text, anchor, small, theme.text, theme.panel, align=align, spans=spans))
        left = anchor[0] - w if last else anchor[0]
        placed.append((left, y - drop, left + w, y - drop + h))  # the numbers along weights keep clear
    values = step.edge_values if carried and not (study and step.edge_labels) else ()
    if len(values) > MAX_EDGE_LABELS:  # a crowd of numbers is read by nobody: the largest
        values = sorted(values, key=lambda ev: -abs(float(ev[1])))[:KEEP_EDGE_LABELS]
    right_end = float(np.nanmax(layout.nodes[:, 0], initial=0.0)) + NODE_R_MAX  # the panels start there
    # the numbers written along weights, slanted: their outlines (corners), and what they keep
    # clear of -- the boxes of the numbers and names already written, and every sphere at
    # its largest (a number is never written over a node)
    outlines = []
    if not study:
        r = NODE_R_MAX * layout.node_scale
        spheres = [(x - q, y - q, x + q, y + q) for (x, y, _), q in zip(layout.nodes, r, strict=True)]
        outlines = [_box_corners(box) for box in placed + spheres]
    if step.kind == "update" and (beside_ends := _fanned(layout, [e for e, _ in values])):
        # an update's before -> after is too wide to lie along weights that meet at one node:
        # each beside the node its weight leaves from (or arrives at), before over -> after
        # (in the smaller type of the numbers along weights where two stacks would touch:
        # the hall's, whose -> +0.7495 ran into the -0.9452 under it)
        ys = sorted(float(layout.nodes[node][1]) for node, _ in beside_ends)
        pitch = min(np.diff(ys), default=np.inf)
        # two lines and a quarter line clear (their backdrops stand out of the text's box)
        stack = _stack_pitch(size, px_per_unit) + 1.25 * _extent("", size, px_per_unit)[1]
        stack_size = size if stack < pitch else min(size, along_size or size)
        for (_, text), (node, start) in zip(values, beside_ends, strict=True):
            x, y, z = layout.nodes[node]
            gap = NODE_R_MAX * layout.node_scale[node] + 0.1
            before, arrow, after = text.partition(" \u2192 ")
            at = (x + gap if start else x - gap, y, z + 0.2)
            lines = [before, f"{arrow.strip()} {after}"] if arrow else [text]
            out += _stacked(lines, at, "left" if start else "right", stack_size, px_per_unit, theme)
        return tuple(out)
    for edge, text in values:  # input x weight, delta x weight, a change: along its weight
        a, b = layout.nodes[layout.edge_from[edge]], layout.nodes[layout.edge_to[edge]]
        if not study:  # on the weight, slanted with it
            start = NODE_R_MAX * layout.node_scale[layout.edge_from[edge]]  # its input's sphere
            small = along_size or size
            extent = _extent(text, small, px_per_unit)
            out.append(_along(text, a, b, extent, outlines, right_end, step, theme, small, start))
            continue
        w, h = _extent(text, size, px_per_unit)
        # the first place along the weight whose box is clear of those already written
        # and ends before the network does: over the weight, else under it
        x, y, z = a + (b - a) * EDGE_VALUE_AT[0]
        best, best_gap = (x, y, z, (x, y, x + w, y + h)), -np.inf  # nan positions: the first place
        for drop, t in [(d, t) for d in (0.0, h + 0.24) for t in EDGE_VALUE_AT]:
            x, y, z = a + (b - a) * t
            box = (x, y - drop, x + w, y - drop + h)
            gap = min((_box_gap(box, q) for q in placed), default=9.0)
            gap = min(gap, right_end - box[2])
            if gap > 0:
                best = (x, y, z, box)
                break
            if gap > best_gap:
                best, best_gap = (x, y, z, box), gap
        x, y, z, box = best
        placed.append(box)
        # each number in its sign's colour, as the caption writes it (and its sign written out);
        # a change in white: on a weight of the other sign its colour read as the weight's
        spans = () if step.phase == "update" else sign_spans(theme, text)
        out.append(Label3D(text, (x, box[1] + 0.12, z + 0.2), size, theme.text, theme.panel, spans=spans))
    return tuple(out)


#: the numbers along weights in the hall: its smallest type (capitals 26 px at 720p, over
#: the 24 px every number on the network keeps), where the four weights converging on one
#: node leave no room for its big type (a lecturer's review: a number over the node)
ALONG_SIZE = {"hall": MIN_TEXT["hall"]}
#: a number written along its weight slants with it up to this steep (degrees); on a
#: steeper weight it stays level, centred on it (a lecturer's review found 40 degrees hard to read)
MAX_SLANT = 30.0


def _along(
    text: str,
    a: np.ndarray,
    b: np.ndarray,
    extent: tuple[float, float],
    outlines: list[np.ndarray],
    right_end: float,
    step: Step,
    theme: Theme,
    size: int,
    clear_of: float = 0.0,
) -> Label3D:
    """The number a weight carries, written on the weight and slanted with it, so that
    where weights cross it is read as the one it lies along (reviews read a level number
    between two crossing weights as either's): at the first place along the weight
    (EDGE_VALUE_AT), on it or else beside it, whose outline is clear of those already
    there (``outlines``, which it joins) and ends before the network does
    (``right_end``); where none is, the clearest."""
    w, h = extent
    d = b - a
    angle = math.degrees(math.atan2(d[1], d[0]))  # the camera is nearly frontal: as on screen
    angle = angle if abs(angle) <= MAX_SLANT else 0.0
    along = np.array([math.cos(math.radians(angle)), math.sin(math.radians(angle))])
    up = np.array([-along[1], along[0]])
    corners = np.array(
        [along * sx * w / 2 + up * sy * h / 2 for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    )
    best, best_gap = None, -np.inf
    # on the weight, as near its input's end as clears that sphere (where weights that meet
    # at one node are furthest apart), else further along; else just over or under it
    length = float(np.linalg.norm(d[:2])) or 1.0
    first = min((clear_of + w / 2 + 0.1) / length, 0.5)  # (a long number on a short weight: its middle)
    ts = [t for t in (first, *EDGE_VALUE_AT) if t >= first]
    for shift, t in [(s, t) for s in (0.0, 0.6 * h, -0.6 * h) for t in ts]:
        x, y, z = a + d * t
        x, y = np.array([x, y]) + up * shift
        outline = corners + np.array([x, y])
        gap = min((_outline_gap(outline, q) for q in outlines), default=9.0)
        gap = min(gap, right_end - float(outline[:, 0].max()))
        if gap > best_gap or best is None:
            best, best_gap = ((x, y, z), outline), gap
        if gap > 0:
            break
    (x, y, z), outline = best
    outlines.append(outline)
    # the digits' middle on the weight (a text's box reaches lower than digits do)
    x, y = np.array([x, y]) - up * h / 12
    # each number in its sign's colour, as the caption writes it (and its sign written out);
    # a change in white: on a weight of the other sign its colour read as the weight's
    spans = () if step.phase == "update" else sign_spans(theme, text)
    colour = spans[0][2] if spans else theme.text
    return Label3D(
        text, (float(x), float(y), z + 0.2), size, colour, theme.panel, "center", "center", angle=angle
    )


def _multipliers(
    step: Step,
    layout: Layout,
    theme: Theme,
    size: int,
    px_per_unit: float,
    around: tuple[Label3D, ...],
    notes_at: dict[int, list[tuple[float, float, float, float]]] | None = None,
    own_note: bool = False,
) -> list[Label3D]:
    """An error step's weights, "× -0.945", each on its weight, upright and in its sign's
    colour: what the delta sent back along it is multiplied by (two reviews: the weights
    of the hidden errors were on screen nowhere but the caption); at the first place along
    it (MULTIPLIER_AT) clear of the labels ``around`` and of each other (the hall's big
    numbers beside the hidden nodes hid them), and of the hidden errors' notes as they
    will stand (``notes_at``, by node; but for the note of its own node where ``own_note``:
    that note takes the chip in). The tokens sent back move them (:func:`_sent_tokens`)."""
    if not step.multipliers:
        return []
    boxes = [_label_box(lb, px_per_unit) for lb in around]

    notes = [
        [q for node, qs in (notes_at or {}).items() if not (own_note and node == layout.edge_from[edge])
         for q in qs]
        for edge, _ in step.multipliers
    ]  # fmt: skip

    def placed(t: float) -> tuple[float, list[np.ndarray]]:
        """The chips at ``t`` along their weights, and how clear they are of the labels
        around, of each other and of the notes (negative: overlapping)."""
        ats, mine = [], []
        for edge, text in step.multipliers:
            a, b = layout.nodes[layout.edge_from[edge]], layout.nodes[layout.edge_to[edge]]
            w, h = _extent(text, size, px_per_unit)
            at = a + (b - a) * t
            ats.append(at)
            mine.append((at[0] - w / 2, at[1] - h / 2, at[0] + w / 2, at[1] + h / 2))
        gaps = [_box_gap(box, q) for i, box in enumerate(mine) for q in [*boxes, *mine[:i], *notes[i]]]
        return min(gaps, default=9.0), ats

    # all at one place along their weights (a stair of chips read as random), the first clear
    tries = [placed(t) for t in MULTIPLIER_AT]
    gap, ats = next((p for p in tries if p[0] > 0), max(tries, key=lambda p: p[0]))
    if gap <= 0 and notes_at and not own_note and not _sends_slowly(step):
        # the hidden errors' results where no place is clear (iteration 1998, a recap that
        # sends no tokens to take them in): the caption's example has the weight; chips
        # over the results were read as theirs
        return []
    out = []
    for (_, text), (x, y, z) in zip(step.multipliers, ats, strict=True):
        spans = sign_spans(theme, text)
        colour = spans[0][2] if spans else theme.text
        # upright on a backdrop that hides the weights under it (two reviews: slanted and
        # crossed by the weights, they were hard to read)
        out.append(
            Label3D(
                text,
                (x, y, z + 0.2),
                size,
                colour,
                theme.panel,
                "center",
                "center",
            )
        )
    return out


def _sent_tokens(
    step: Step,
    layout: Layout,
    theme: Theme,
    size: int,
    px_per_unit: float,
    progress: float,
    chips: list[Label3D],
    form: tuple[int, int] | None,
    around: tuple[Label3D, ...],
    names: list[tuple[float, float, float, float]],
    tall: Callable[[float], float],
    keeps_weight: bool = False,
) -> tuple[list[Label3D], list[Label3D], list[Carried]]:
    """Each delta sent back as its number on a token, in the first iteration (a slow
    step), the weights' "× w" (``chips``) as they take part, and the want arrows the tokens
    carry: (tokens, chips, arrows).

    The token, "-0.118" and beside it the delta's want arrow (as the output's purple
    fill), comes out of the sender's sphere, along its weight up to its chip, and takes the
    chip in: one pill "-0.118 × -0.945", the product written on the wire, moves to its place
    (clear of the numbers around, with room for its arrow); its arrow goes round the pill,
    over its top, scaled by |w| and turned over by a negative weight on the way: the hidden
    node's error, hollow. The pill becomes one number, "≈ +0.112" in its sign's colour, held
    beside the turned arrow, which moves on to stand by its node and goes on to land in the
    node's note as its result (the note's operands are there as it sets off), its arrow
    becoming the node's; the chip is back in its place. Five reviews asked for a labelled
    token seen to be scaled at its weight; review 52a saw it vanish into the chip, "the
    multiplication happens off screen"; 53a a token passing under a chip as both
    unreadable, and "no arrow turns over". A recap (iteration 1998) sends no tokens: four
    at once covered the nodes (review 51a)."""
    on_way = _tokens_on_their_way(step, layout, progress)
    if not on_way:
        return [], chips, []
    there, under, made, leaves = TOKEN_PHASES
    keep, note_size = form or (2, size)
    carried: list[Carried] = []
    at_chip = {edge: i for i, (edge, _) in enumerate(step.multipliers)}
    chips, hidden, out = list(chips), set(), []
    clear_of = [_label_box(lb, px_per_unit) for lb in around] + names
    gap = TOKEN_GAP * size / px_per_unit
    for edge, before, after in step.sent_values:
        t = on_way.get(edge)
        if t is None or edge not in at_chip:
            continue
        chip = chips[at_chip[edge]]
        source, target = int(layout.edge_to[edge]), int(layout.edge_from[edge])
        a, b = layout.nodes[source], layout.nodes[target]

        def on_weight(x: float, a=a, b=b) -> np.ndarray:
            return np.array([x, a[1] + (b[1] - a[1]) * (x - a[0]) / (b[0] - a[0]), a[2]])

        w, chip_w = _extent(before, size, px_per_unit)[0], _extent(chip.text, size, px_per_unit)[0]
        # the pair, one pill "-0.118 × -0.945", centred where the chip stands (beside it, the
        # token ran into the node), between the nodes' spheres, clear of the labels around
        delta = next(d for node, d, _ in step.senders if node == source)
        product = delta * float(step.visual.weights[edge])
        pill, reach = f"{before} {chip.text}", PAIR_CLEAR + gap
        # as large as the room between the spheres lets it be (hall's large numbers made it
        # wider than that, and its arrow stood over h3's sphere and h2's name)
        room = a[0] - b[0] - 2 * reach - CARRY_ROOM
        pill_size = max(
            round(size * PILL_LEAST), min(size, int(size * room / _extent(pill, size, px_per_unit)[0]))
        )
        pill_w, pill_h = _extent(pill, pill_size, px_per_unit)
        others = [_label_box(c, px_per_unit) for c in chips if c is not chip]
        held = (CARRY_ROOM, tall(product))  # the room of the arrow it holds
        spot = _pair_spot(
            on_weight,
            chip.position[0],
            (b[0] + reach + CARRY_ROOM, a[0] - reach),
            pill_w,
            pill_h,
            [*clear_of, *others],
            held,
        )  # fmt: skip (room left of it for its arrow)
        # the product, narrower than the pill, goes on towards its node, as near as is clear:
        # where the pill filled the gap, h4's stood by h3 and was read as h3's (review 54b)
        made_text, made_size = f"\u2248 {after}", round(size * PRODUCT_GROW)
        made_w, made_h = _extent(made_text, made_size, px_per_unit)
        near = _pair_spot(on_weight, a[0], (b[0] + reach + CARRY_ROOM, a[0] - reach), made_w, made_h,
                          [*clear_of, *others], held, b)  # fmt: skip
        # round the pill over its top, or under it where a number stands over it (h4's went
        # over h3's "× -0.945", just above it)
        over = _way_round(spot, (pill_w, pill_h), CARRY_RISE + tall(delta) / 2,
                          [*clear_of, *others])  # fmt: skip
        # its number, and beside it the want arrow it carries, which a negative weight turns
        # over (review 53a: "the sign flip is only a colour swap; no arrow turns over")
        text, colour, value_size, spans = before, theme.backward, size, ()
        arrow = Carried((0.0, 0.0, 0.0), delta, theme.backward, False)  # the delta's, solid
        turn = 0.0  # how far (0..1) the arrow has gone round the pill
        # its colour turns with it where the weight turns it over; where nothing turns it, it
        # stays the delta's until it lands (reviews 54d and 54e read purple becoming orange
        # on the way, for a positive weight, as a flip)
        turned_to = _sign_colour(theme, product) if product * delta < 0 else theme.backward
        if t < there:  # out of the sender's sphere, up to the chip's output end
            u = _ease(t / there)
            at = _lerp(np.asarray(a, dtype=float), on_weight(chip.position[0] + chip_w / 2 + gap + w / 2), u)
            value_size = round(size * (TOKEN_BORN + (1 - TOKEN_BORN) * min(1.0, 3 * u)))  # it grows out
        elif t < made:  # the token takes the chip in: one pill, the product written, to its place
            u = _ease(min(1.0, (t - there) / (under - there)))
            came = (chip.position[0] + chip_w / 2 + gap + w / 2 + chip.position[0]) / 2
            at = _lerp(on_weight(came), spot, u)
            text, spans = pill, ((0, len(before), theme.backward), (len(before) + 1, len(pill), chip.color))
            value_size = pill_size
            hidden.add(at_chip[edge])
            # its arrow goes round the pill, over its top, to the hidden node's side: scaled by
            # |w| on the way and, by a negative weight, turned over -- a half turn seen, then
            # held beside the product (review 53d: "a colour swap, not an event"; 54a: "the
            # arrow arrives before the number"); the hidden node's error, hollow
            turn = _steady(min(1.0, max(0.0, (t - under) / (made - under))))
            size_of = abs(delta) + (abs(product) - abs(delta)) * turn
            arrow = Carried(
                (0.0, 0.0, 0.0),
                size_of if delta > 0 else -size_of,
                _mix(theme.backward, turned_to, turn),
                turn >= HOLLOW_FROM,
                # half way round it points back, towards the hidden node (turned the other
                # way it pointed at out: review 54b read it as the forward pass)
                angle=np.pi * turn * np.sign(delta) if product * delta < 0 else 0.0,
            )
            if turn >= 1.0:
                arrow = Carried((0.0, 0.0, 0.0), product, turned_to, True)
        else:  # one: "≈ +0.112" where the pair stood; then on to land as the note's result
            colour = _sign_colour(theme, product)
            text, value_size = made_text, made_size
            at = _lerp(spot, near, _ease(min(1.0, (t - made) / (leaves - made))))
            arrow = Carried((0.0, 0.0, 0.0), product, turned_to, True)
            if t >= leaves:  # its arrow becomes the node's hollow one, in its sign's colour
                u = _ease((t - leaves) / (1.0 - leaves))
                arrow = replace(arrow, dock=(target, u), colour=_mix(turned_to, colour, u))
                dy = _stack_offsets(keep, note_size, px_per_unit)[-1]
                land_x = (
                    _note_start(layout, target, step.visual.node_values)
                    + _extent(after, note_size, px_per_unit)[0] / 2
                )
                at, text = _lerp(at, np.array([land_x, b[1] + dy, b[2]]), u), after
                value_size = round(value_size + (note_size - value_size) * u)
            # the chip is back in its place once the product has left it (where the note does
            # not take it in)
            if (
                keeps_weight
                or abs(at[0] - chip.position[0]) < (_extent(text, value_size, px_per_unit)[0] + chip_w) / 2
            ):
                hidden.add(at_chip[edge])
        position = (float(at[0]), float(at[1]), float(at[2]) + 0.3)
        backdrop = _mix(theme.panel, colour, TOKEN_TINT)
        out.append(Label3D(text, position, value_size, colour, backdrop, "center", "center", spans))
        # before the weight, on the token's sender's side; past it, on the hidden node's,
        # round the pill's top between: turned over where the weight is, not at the output
        # (review 53c)
        round_by = np.pi * turn
        side = float(np.cos(round_by)) if not arrow.hollow or turn > 0 else -1.0
        half_w, half_h = (e / 2 for e in _extent(text, value_size, px_per_unit))
        away, rise = side * (half_w + CARRY_GAP), over * np.sin(round_by) * (half_h + CARRY_RISE)
        carried.append(replace(arrow, at=(position[0] + away, position[1] + rise, position[2]), side=side))
    return out, [c for i, c in enumerate(chips) if i not in hidden], carried


@dataclass(frozen=True)
class Carried:
    """A want arrow a token sent back carries beside it (:func:`_sent_tokens`): at ``at``
    (world, beside the token on its ``side``), as long as ``value`` on the arrows' one scale,
    pointing its sign's way, turned by ``angle``; ``dock``: the node whose arrow it becomes,
    and how far (0..1) it has come to it."""

    at: tuple[float, float, float]
    value: float
    colour: Colour
    hollow: bool
    dock: tuple[int, float] | None = None
    side: float = 1.0  # right of the token (+1), or left of it (-1)
    angle: float = 0.0  # turned (radians, anticlockwise) about its centre


#: world units between a token and the want arrow it carries; the room the arrow takes; how
#: far over the pill's top it goes round
CARRY_GAP, CARRY_ROOM, CARRY_RISE = 0.08, 0.45, 0.1
PILL_LEAST = 0.75  # the smallest a pill is written, of its token's size
HOLLOW_FROM = 0.85  # of its turn, when the arrow a token carries is drawn hollow (solid, the turn is seen)


def _way_round(
    at: np.ndarray,
    extent: tuple[float, float],
    reach: float,
    clear_of: list[tuple[float, float, float, float]],
) -> float:
    """Which way a carried arrow goes round a pill of ``extent`` at ``at``: over it (+1),
    or under it (-1) where the band ``reach`` tall over it is not clear of ``clear_of`` and
    the one under it is."""
    (w, h), (x, y) = extent, at[:2]
    above = (x - w / 2, y + h / 2, x + w / 2, y + h / 2 + reach)
    below = (x - w / 2, y - h / 2 - reach, x + w / 2, y - h / 2)

    def clear(box: tuple[float, float, float, float]) -> bool:
        return all(_box_gap(box, q) > 0 for q in clear_of)

    return -1.0 if not clear(above) and clear(below) else 1.0


def _arrow_heights(
    timeline: Timeline, step: Step, theme: Theme, camera: Camera, frame: tuple[int, int], px_per_unit: float
) -> Callable[[float], float]:
    """How tall (world units) the want arrow of a value is drawn in ``step``."""
    pen = _WantPen.of(timeline, theme, camera, *frame)
    return lambda value: pen.length_of(value) * frame[1] / px_per_unit


def _pair_spot(
    on_weight: Callable[[float], np.ndarray],
    x: float,
    between: tuple[float, float],
    width: float,
    height: float,
    clear_of: list[tuple[float, float, float, float]],
    room: tuple[float, float] = (0.0, 0.0),
    near: np.ndarray | None = None,
) -> np.ndarray:
    """Where a delta and its weight's "× w" stand as a pair ``width`` wide: level, centred on
    the weight at ``x`` (the chip's place) if it is clear of the boxes ``clear_of``, else
    the nearest place clear of them, towards the hidden node first, then a little off the
    weight (out's delta over it was in h1's pair's way); between the nodes' spheres
    (``between``: the ends' x), with ``room`` (wide, tall) on its left for the arrow it
    carries there (review 53d: h3's, up from the pill, covered h2's name); or, given a point
    ``near``, the place clear of them nearest to it."""
    lo, hi = between[0] + width / 2, between[1] - width / 2
    x = float(np.clip(x, lo, hi)) if lo <= hi else (lo + hi) / 2
    places = [
        on_weight(float(cx)) + np.array([0.0, dy * height, 0.0])
        for dy in (0.0, -0.5, 0.5, -1.0, 1.0, -1.5, 1.5, -2.0, 2.0)
        for cx in (np.arange(x, lo - 1e-9, -PAIR_STEP) if lo <= hi else [x])
    ]
    if near is not None:  # the nearest to it first
        places.sort(key=lambda at: float(np.hypot(at[0] - near[0], at[1] - near[1])))
    best, least = on_weight(x), -np.inf
    for at in places:
        box = (at[0] - width / 2, at[1] - height / 2, at[0] + width / 2, at[1] + height / 2)
        held = (box[0] - room[0], at[1] - room[1] / 2, box[0], at[1] + room[1] / 2)
        gap = min((min(_box_gap(box, q), _box_gap(held, q)) for q in clear_of), default=np.inf)
        if gap > 0:
            return at
        if gap > least:
            best, least = at, gap
    return best


#: of a token's time: at its chip (the pill formed); the pill in its place; one number; off
#: to the note
TOKEN_PHASES = (0.2, 0.28, 0.62, 0.76)
#: how much of a token's colour tints its backdrop (a token, not one more number written on
#: the picture); ems between a token and its chip; its size as it leaves its sphere; the
#: product's size against the pair's
TOKEN_TINT, TOKEN_GAP, TOKEN_BORN, PRODUCT_GROW = 0.3, 0.35, 0.6, 1.15
#: world units between the pair and a node's centre; steps in which it moves over to be clear
PAIR_CLEAR, PAIR_STEP = 0.3, 0.05


def _tokens_on_their_way(step: Step, layout: Layout, progress: float) -> dict[int, float]:
    """How far (0..1) each delta sent back as a token (:func:`_sent_tokens`) is on its way
    now, by its weight; only those on their way."""
    if progress >= 1.0 or not step.sent_values or not _sends_slowly(step):
        return {}
    time, out = _unease(progress), {}
    for signal, (begin, end) in _packet_windows(step, layout):
        if end > begin and 0.0 < (t := (time - begin) / (end - begin)) < 1.0:
            out[signal.edge] = t
    return out


def _products_on_their_way(step: Step, layout: Layout, progress: float) -> frozenset[int]:
    """The hidden nodes to which a token sent back is bringing its product now, from its
    chip."""
    on_way = _tokens_on_their_way(step, layout, progress)
    return frozenset(int(layout.edge_from[edge]) for edge, t in on_way.items() if t >= TOKEN_PHASES[3])


def _px_per_unit(camera: Camera, width: int, height: int) -> float:
    """How many pixels one world unit across spans on screen, at the camera's focus."""
    centre = np.array(camera.focal_point)
    ends = project(camera, np.stack([centre, centre + np.array([1.0, 0.0, 0.0])]), width / height)
    return max(1e-6, abs(ends[1, 0] - ends[0, 0]) * width / 2)


def _label_box(
    label: Label3D, px_per_unit: float, em: float | None = None, tall: float = 1.2
) -> tuple[float, float, float, float]:
    """A level label's box in world units (x0, y0, x1, y1), by its anchor, its alignment
    and its text's extent (a slanted one's, as if level): the estimate that keeps labels
    apart, or ``em`` wide and ``tall`` high (ems) where it is measured in its face."""
    w, h = _extent(label.text, label.size, px_per_unit)
    if em is not None:
        w, h = em * label.size / px_per_unit, tall * label.size / px_per_unit
    x, y, _ = label.position
    x0 = {"left": x, "center": x - w / 2, "right": x - w}[label.align]
    y0 = y - h / 2 if label.valign == "center" else y
    return (x0, y0, x0 + w, y0 + h)


def _box_corners(box: tuple[float, ...]) -> np.ndarray:
    x0, y0, x1, y1 = box
    return np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])


def _outline_gap(p: np.ndarray, q: np.ndarray) -> float:
    """How far apart two convex outlines (corners in order) are along the axis that parts
    them best (negative: they overlap); for two level boxes, ``_box_gap``. Outlines whose
    level bounds are apart (most pairs) are answered by those bounds: a positive gap."""
    level = _box_gap((*p.min(axis=0), *p.max(axis=0)), (*q.min(axis=0), *q.max(axis=0)))
    if level > 0:
        return float(level)
    best = float(level)
    for poly in (p, q):
        sides = np.roll(poly, -1, axis=0) - poly
        for axis in np.stack([-sides[:, 1], sides[:, 0]], axis=1):
            axis = axis / (np.linalg.norm(axis) or 1.0)
            pa, qa = p @ axis, q @ axis
            best = max(best, float(qa.min() - pa.max()), float(pa.min() - qa.max()))
    return best


#: a two-line stack's lines this many times the type's size apart; the pixels by which a
#: backdrop stands out of its text
STACK_PITCH, STACK_PAD = 0.9, 6
#: a node's z this many times the type's size under its value right of it (backdrops apart)
VALUE_CLEAR = 1.25


def _operands(note: str) -> str | None:
    """A note before its result is computed: "error x slope" of one that ends "~ delta"
    (the error stood there the step before, and stays), else nothing."""
    lines = _note_lines(note)
    return lines[0] if len(lines) == 2 and lines[1][:1] in RESULT_SIGNS else None


def _note_lines(text: str) -> list[str]:
    """A note in two lines: "error x slope" over "~ delta" where it ends with its result,
    "= error" over "x slope" where the result stands elsewhere (over its node)."""
    head, times, tail = text.partition(f" {TIMES} ")
    if not times:
        return [text]
    factors = tail.rsplit(" ", 2)
    if len(factors) == 3 and factors[1] in RESULT_SIGNS:
        return [f"{head} {TIMES} {factors[0]}", f"{factors[1]} {factors[2]}"]
    return [head, f"{TIMES} {tail}"]


def _stacked(
    lines: list[str],
    at: tuple[float, float, float],
    align: str,
    size: int,
    px_per_unit: float,
    theme: Theme,
    terms: tuple[tuple, ...] = (),
) -> list[Label3D]:
    """One line level with ``at``, or two over and under it, their backdrops one block: a
    number too wide for the room beside a node; each number coloured as the caption's
    ``terms`` colour it, else by its sign. The lines are closer than the text's line
    (0.9 of its size) so that a stack is seen as one, apart from the next node's: in the
    hall's type, stacks a line apart ran into each other (review 26)."""
    x, y, z = at
    return [
        Label3D(
            line,
            (x, y + dy, z),
            size,
            theme.text,
            theme.panel,
            align,
            "center",
            spans_of(theme, terms, line) or sign_spans(theme, line),
        )
        for line, dy in zip(lines, _stack_offsets(len(lines), size, px_per_unit), strict=True)
    ]


def _stack_pitch(size: int, px_per_unit: float) -> float:
    """World units between the lines of a :func:`_stacked` note: 0.9 of the type's size,
    and where the room under the digits (a fifth of the size) is less than the few pixels
    by which a backdrop stands out of its text, the difference (at the study's 16 px, each
    line's backdrop, opaque, hid the digits' foot of the line over it: "-0 118", review 58a)."""
    return (STACK_PITCH * size + max(0.0, STACK_PAD - 0.2 * size)) / px_per_unit


def _stack_offsets(n_lines: int, size: int, px_per_unit: float) -> tuple[float, ...]:
    """How far over (+) or under its anchor each line of a :func:`_stacked` note stands."""
    half = _stack_pitch(size, px_per_unit) / 2
    return (half, -half) if n_lines > 1 else (0.0,)


def _room_right(layout: Layout, node: int, names_at: dict | None) -> float:
    """Where, right of ``node``, the next layer begins: its nearest sphere at its largest
    or its name's box, whichever reaches further left (the panels, where there is none)."""
    nxt = layout.node_layer[node] + 1
    if nxt >= len(layout.layers):
        return float(np.nanmax(layout.nodes[:, 0], initial=0.0)) + NODE_R_MAX
    lefts = [layout.nodes[n][0] - NODE_R_MAX * layout.node_scale[n] for n in layout.layer_nodes(nxt)]
    lefts += [(names_at or {})[n][0] for n in layout.layer_nodes(nxt) if n in (names_at or {})]
    return min(lefts)  # (backdrops may touch)


def _note_start(layout: Layout, node: int, values: np.ndarray, own: bool = False) -> float:
    """Where a note right of ``node`` begins (world x): just clear of its layer's largest
    sphere as drawn (``values``: every node's), so that four notes fit between a layer and
    the next's labels (at the largest sphere possible, h2's error ran into out's delta),
    and a layer's notes start in one column; or (``own``) of its own sphere, for the value
    a node sends on, which stands by it as the nodes under it are yet to be computed."""
    layer = [node] if own else list(layout.layer_nodes(layout.node_layer[node]))
    scale = float(layout.node_scale[node])
    reach = max(
        (_reach(float(values[n]), scale) for n in layer if np.isfinite(values[n])), default=scale * NODE_R_MAX
    )
    return float(layout.nodes[node][0] + reach + NOTE_GAP)


#: world units between a sphere and the note beside it
NOTE_GAP = 0.12


def _note_boxes(
    layout: Layout,
    node: int,
    values: np.ndarray,
    note: str,
    keep: int,
    size: int,
    px_per_unit: float,
    font: str | None,
) -> list[tuple[float, float, float, float]]:
    """The boxes (world) of a hidden error's note right of ``node`` in the form ``keep``
    lines at ``size``; widths are the face's own advances."""
    x0, y, h = _note_start(layout, node, values), float(layout.nodes[node][1]), 1.2 * size / px_per_unit
    lines = _note_kept(note, keep)
    return [
        (x0, y + dy - h / 2, x0 + advance_em(line, font) * size / px_per_unit, y + dy + h / 2)
        for line, dy in zip(lines, _stack_offsets(len(lines), size, px_per_unit), strict=True)
    ]


def _error_note_form(
    step: Step,
    layout: Layout,
    names_at: dict | None,
    sizes: tuple[int, int],
    px_per_unit: float,
    font: str | None,
    taken: list[tuple[float, float, float, float]],
    rising: list[tuple[float, float, float, float]] = (),
) -> tuple[int, int, float]:
    """How an error step writes its hidden errors right of their nodes, on the side their
    deltas came from (two reviews read them left of the nodes, on the input weights, as
    syn0's), where their deltas' notes follow: how many lines (2: delta × weight over
    ≈ error; 1: the result alone, the weight left on its weight) and at what size, one form
    for all, the first in which every note ends before the next layer's spheres and names
    and no two nodes' notes touch nor any of the labels ``taken``, nor the labels ``rising``
    (out's delta over it) once they rise by the last number returned (world units; at most
    their height: one under them stood closer to its node); in the hall's big type, in the
    type of the numbers along weights."""
    notes = [(node, text) for node, text in step.node_notes if layout.layers[layout.node_layer[node]] > 1]
    values = step.visual.node_values
    tries = [(keep, size) for keep in (2, 1) for size in dict.fromkeys(sizes)]
    for keep, size in tries:
        stacks = [
            (node, _note_boxes(layout, node, values, text, keep, size, px_per_unit, font))
            for node, text in notes
        ]
        ends = all(box[2] < _room_right(layout, node, names_at) for node, boxes in stacks for box in boxes)
        apart = all(
            _box_gap(p, q) > 0
            for i, (_, mine) in enumerate(stacks)
            for _, theirs in stacks[:i]
            for p in mine
            for q in theirs
        )
        boxes = [p for _, mine in stacks for p in mine]
        clear = all(_box_gap(p, q) > 0 for p in boxes for q in taken)
        tall = max((q[3] - q[1] for q in rising), default=0.0)
        rise = next(
            (
                dy
                for dy in np.linspace(0.0, tall, 41)
                if all(_box_gap(p, (q[0], q[1] + dy, q[2], q[3] + dy)) > 0 for p in boxes for q in rising)
            ),
            None,
        )
        if ends and apart and clear and rise is not None:
            return keep, size, float(rise)
    return (*tries[-1], 0.0)


def _note_kept(note: str, keep: int) -> list[str]:
    """The lines of an error step's note that its form keeps: both (delta × weight over
    "≈ error"), or the result alone, without its relation sign (review 46a: iteration
    1998's "= +0.00192" had nothing on its left to equal)."""
    lines = (_note_lines(note) if _operands(note) else [note])[-keep:]
    if len(lines) == 1 and (parts := lines[0].split(" ", 1))[0] in RESULT_SIGNS and len(parts) == 2:
        return [parts[1]]
    return lines


def _grid_beside(layout: Layout, step: Step) -> bool:
    """An update of weights that cross (syn0 of 3-4-1), whose every change the lecture's grid
    beside the network writes: numbers slanted along a few of twelve crossing weights, over
    their sleeves, were read as chaos (two reviews); weights that meet at one node keep their
    before -> after beside the nodes."""
    edges = [e for e, _ in step.edge_values]
    return step.kind == "update" and step.change is not None and bool(edges) and not _fanned(layout, edges)


def _fanned(layout: Layout, edges: list[int]) -> list[tuple[int, bool]]:
    """For weights that all meet at one node from distinct others, each weight's other node
    and whether the weight starts there (else it ends there); [] where they do not."""
    starts, ends = [layout.edge_from[e] for e in edges], [layout.edge_to[e] for e in edges]
    if len(edges) > 1 and len(set(ends)) == 1 and len(set(starts)) == len(edges):
        return [(int(n), True) for n in starts]
    if len(edges) > 1 and len(set(starts)) == 1 and len(set(ends)) == len(edges):
        return [(int(n), False) for n in ends]
    return []


def node_spacing(layout: Layout, camera: Camera, aspect: float) -> float | None:
    """On screen, the fraction of the frame height between two neighbouring nodes of the
    biggest layer (None: no layer has two nodes): what numbers, maps and arrows beside the
    nodes are sized by."""
    biggest = int(np.argmax(layout.layers))
    if layout.layers[biggest] < 2:
        return None
    first, second = layout.layer_nodes(biggest)[:2]
    ndc = project(camera, layout.nodes[[first, second]], aspect)
    return float(abs(ndc[0, 1] - ndc[1, 1]) / 2)


def _label_size(screen: str, height: int) -> int:
    """The font size of the numbers on the network (before the node spacing caps it)."""
    return max(
        10, round(height * (0.024 if screen == "study" else LABEL_SIZE.get(screen, LABEL_SIZE["lecture"])))
    )


def _extent(text: str, size: int, px_per_unit: float) -> tuple[float, float]:
    """Width and height, in world units, of ``text`` written at ``size`` on the picture."""
    return text_width_em(text) * size / px_per_unit, 1.2 * size / px_per_unit


def _box_gap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """How far apart two boxes are (negative: by how much they overlap)."""
    return max(b[0] - a[2], a[0] - b[2], b[1] - a[3], a[1] - b[3])


# -- the records as parallel sheets in depth ----------------------------------------------
#: world units between two records' sheets, front (record 1) to back
SHEET_GAP = 3.0
#: where the sheets stand on screen (their captions are one line; hall's bigger numbers
#: beside the outputs need more room before the outputs panel)
SHEETS_REGIONS = {"lecture": (0.015, 0.095, 0.985, 0.75), "hall": (0.015, 0.095, 0.56, 0.68)}
#: room around the nodes inside a sheet's outline; right of the output nodes, room for
#: their values (world units: a sheet is about 35 px a unit at 720p)
SHEET_PAD, SHEET_VALUE_ROOM = 0.8, 3.6
#: the camera turns this far (degrees) to look along the sheets
SHEET_AZIMUTH, SHEET_ELEVATION = 22.0, 16.0
#: how long the camera takes to turn between the frontal view and the sheets
CAMERA_MOVE_SECONDS = 1.5
#: brightness of the sheets behind record 1's, which stays the one the numbers are on
BACK_SHEET_DIM = 0.75


#: the records' sheets side by side, two a row (record 1 top left). In depth (False: each
#: behind the one before, the camera turning to look along them) they were judged
#: illegible from the back rows by three lecturer reviews in a row (stop 15): the back
#: sheets' nodes and weights pile up behind the front one's
SHEETS_SIDE_BY_SIDE = True
#: world units between two sheets side by side: room for the left one's output, and for
#: the lower one's name (2.4 until the outputs cleared their rings: labels then reached the next sheet)
SHEET_SPACING_X, SHEET_SPACING_Y = 1.2, 1.2


def _sheet_box(layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """A sheet's lowest and highest corners around the layout's nodes (record 1's sheet)."""
    lo, hi = layout.nodes.min(axis=0) - SHEET_PAD, layout.nodes.max(axis=0) + SHEET_PAD
    return lo, hi + np.array([SHEET_VALUE_ROOM, 0.0, 0.0])


def sheet_offsets(layout: Layout, spread: float) -> np.ndarray:
    """(n_records, 3): where each record's sheet stands from record 1's: side by side, two
    a row (or in depth, each SHEET_GAP behind the one before)."""
    n = max(layout.n_records, 1)
    if SHEETS_SIDE_BY_SIDE:
        lo, hi = _sheet_box(layout)
        step_x, step_y = hi[0] - lo[0] + SHEET_SPACING_X, hi[1] - lo[1] + SHEET_SPACING_Y
        r = np.arange(n)
        return np.stack([(r % 2) * step_x, -(r // 2) * step_y, 0.0 * r], axis=1) * spread
    depth = -SHEET_GAP * spread * np.arange(n)
    return np.stack([0 * depth, 0 * depth, depth], axis=1)


def sheet_outline(layout: Layout, offset: np.ndarray) -> np.ndarray:
    """(4, 3) corners of a record's sheet, counter-clockwise from the bottom left."""
    lo, hi = _sheet_box(layout)
    return np.array([[lo[0], lo[1], 0], [hi[0], lo[1], 0], [hi[0], hi[1], 0], [lo[0], hi[1], 0]]) + offset


def _sheet_look(visual: Visual, layout: Layout, theme: Theme) -> tuple[np.ndarray, np.ndarray]:
    """Each record's sphere radii and colours, (n_records, n_nodes[, 3]): its own values."""
    values = visual.satellites.T
    known = ~np.isnan(values)
    radii = np.where(known, node_radius(np.nan_to_num(values)), GHOST_R) * layout.node_scale
    colours = np.where(known[..., None], np.array(theme.node), np.array(theme.ghost))
    bg = np.array(theme.background_bottom)
    return radii, np.stack([_blend(c, bg, visual.node_focus) for c in colours])


def _sheet_edges(g: _Geometry, offsets, shown, mids, units, lengths, spread: float, theme: Theme):
    """The same weights in every sheet behind the first, thinner and dimmer: one matrix
    multiplies every record."""
    bg = np.array(theme.background_bottom)
    back = offsets[1:]
    n = len(back)
    colour = _blend(g.edge_c[shown], bg, np.full(len(shown), 1.0 if SHEETS_SIDE_BY_SIDE else 0.4))
    return (
        np.concatenate([mids[shown] + o for o in back]),
        np.tile(units[shown], (n, 1)),
        np.tile(lengths[shown], n),
        np.tile(g.edge_r[shown] * (1.0 if SHEETS_SIDE_BY_SIDE else 0.45) * spread, n),
        np.tile(colour, (n, 1)),
    )


def _sheet_frames(
    timeline: Timeline,
    step: Step,
    theme: Theme,
    camera: Camera,
    width: int,
    height: int,
    spread: float,
    errors: bool = False,
) -> tuple[tuple[Polyline2D, ...], tuple[Label3D, ...], tuple[Text2D, ...], tuple[Rect2D, ...]]:
    """An outline around each record's sheet, its name, its output (``errors``: its error,
    y - output) and the zero rings of its inputs: which sheet is which record is read off
    the picture, not guessed."""
    layout, visual = timeline.layout, step.visual
    bg = np.array(theme.background_bottom)
    colour = tuple(_blend(np.array([theme.muted]), bg, np.array([spread]))[0])
    size = _label_size(timeline.screen, height)
    outlines, labels, names, backdrops = [], [], [], []
    name_size = max(8, round(height * MIN_TEXT[timeline.screen]))
    offsets = sheet_offsets(layout, spread)
    values = visual.satellites.T
    out_nodes = list(layout.layer_nodes(len(layout.layers) - 1))
    for r, o in enumerate(offsets):
        corners = sheet_outline(layout, o)
        ndc = project(camera, corners, width / height)
        if SHEETS_SIDE_BY_SIDE:  # level and upright on screen: the nearly frontal camera's 2 px
            # of slant over a sheet's height drew its sides as unsmoothed steps
            (x0, y0), (x1, y1) = ndc.min(axis=0), ndc.max(axis=0)
            ndc = np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
        points = tuple((float((x + 1) / 2), float((y + 1) / 2)) for x, y in np.concatenate([ndc, ndc[:1]]))
        outlines.append(Polyline2D(points, colour, 2.0))
        sheet_values = values[r]
        zero = np.flatnonzero(near_zero(sheet_values))
        if len(zero):
            outlines.extend(_rings_at(layout.nodes[zero] + o, RING_R * layout.node_scale[zero],
                                      [theme.node] * len(zero), camera, width, height))  # fmt: skip
        if spread >= 0.999:
            # above the sheet's top left corner: which record, with its inputs and target as
            # the outputs table has them (the hall's big type: the number only)
            x, t = step.records[r] if r < len(step.records) and timeline.screen != "hall" else ("", "")
            name = (
                message(timeline.lang, "sheet_name_io", r=r + 1, x=x, y=t)
                if x
                else message(timeline.lang, "sheet_name", r=r + 1)
            )
            x, y = points[3]
            w, h = text_width_em(name) * name_size / width, 1.25 * name_size / height
            backdrops.append(Rect2D(x, y, x + w + 0.01, y + h, background_at(theme, y + h / 2), 0.85))
            names.append(Text2D(name, x + 0.005, y + 0.1 * h, name_size, theme.muted, valign="bottom"))
            for o_index, node in enumerate(out_nodes):
                v = sheet_values[node]
                if np.isfinite(v):
                    x, y, z = layout.nodes[node] + o
                    right = _reach(v, layout.node_scale[node])
                    if r == 0:  # record 1's nodes are the network's own: clear a lit one's halo
                        right = max(right, float(halo_radius(visual.halos[node : node + 1])[0]))
                    right += 0.15
                    text = fmt_sig(v)
                    if errors:  # the step's subject: y - output, its sign written out
                        e = float(visual.targets[r, o_index] - visual.outputs[r, o_index])
                        text = fmt_signed(e)
                    labels.append(Label3D(text, (x + right, y, z), size, theme.text, theme.panel,
                                          valign="center"))  # fmt: skip
    return tuple(outlines), tuple(labels), tuple(names), tuple(backdrops)


#: of a glance's time: its way through the iterations from the one shown before it (the
#: rest holds its own, for its numbers to be read)
MONTAGE_SHARE = 0.5
#: the glance's panels are drawn anew this many times while its maps morph (its chart grows
#: in as many steps)
MORPH_STAGES = 12


#: a feature map's side: this fraction of the on-screen spacing of a layer's nodes; the
#: output's (the learned rule, the picture's payoff) OUTPUT_SIDE of the frame's height,
#: as far as the room right of the output node allows
FEATURE_TILE, OUTPUT_SIDE = 0.8, 0.3


def morphing(timeline: Timeline, step: Step, before: Step | None, progress: float) -> bool:
    """Whether a glance is still on its way from the iteration before's (its maps morphing
    from that glance's, or its weights tweening from the iteration shown before it): its
    header then says from which iteration to which (review 69b, 70a: "iteration 500" stood
    over maps still at 200), and its numbers wait for it (reviews 76a, 76b: iteration 10's
    over weights still iteration 3's)."""
    return (
        step.kind in ("timelapse", "epilogue")
        and before is not None
        and before.card is None
        and before.epoch is not None
        and before.epoch != step.epoch
        and progress < 1.0
    )


def _maps_now(step: Step, before: Step | None, progress: float) -> np.ndarray:
    """The feature maps at ``progress`` of the step: from the step before's (a fast forward,
    the epilogue: each shows the maps of the iteration before it) to the step's own, so the
    maps are seen changing as the network learns, not swapped (two reviews: "continuous
    morphs ... the decision map evolving")."""
    maps = step.feature_maps
    was = before.feature_maps if before is not None else None
    if was is None or was.shape != maps.shape or progress >= 1.0:
        return maps
    return was + (maps - was) * progress


def _feature_tiles(
    timeline: Timeline,
    step: Step,
    maps: np.ndarray,
    theme: Theme,
    camera: Camera,
    frame: tuple[int, int],
    right_end: float,
) -> tuple[tuple[Rect2D, ...], tuple[Polyline2D, ...], tuple[Text2D, ...]]:
    """What each node computes: a small square map of its activation as the two varying
    inputs go from 0 to 1 (input 1 to the right, input 2 up), dark 0 to bright 1. A hidden
    node's stands on its sphere, the node seen as the feature it has become (beside it, the
    map covered its outgoing weights and its name's backdrop cut them, review 76b), its name
    where no weight passes; the output's, the learned rule, large right of it, its axes
    named, the training records on it."""
    layout = timeline.layout
    width, height = frame
    aspect = width / height
    gap = node_spacing(layout, camera, aspect) or 0.2  # (maps need two varying inputs: 2+ nodes)
    rects, frames, texts = [], [], []
    last = len(layout.layers) - 1
    size = max(10, round(height * MIN_TEXT.get(timeline.screen, 0.024)))
    named: list[tuple[int, tuple[float, float, float, float]]] = []  # (node, its tile) to name
    for node in range(layout.n_nodes):
        m = maps[node]
        if np.all(np.isnan(m)):
            continue
        output = layout.node_layer[node] == last
        side = OUTPUT_SIDE if output else min(FEATURE_TILE * gap, 0.12)
        right = layout.nodes[node] + np.array([NODE_R_MAX * layout.node_scale[node] + 0.15, 0.0, 0.0])
        (cx, cy), (rx, _) = (project(camera, np.stack([layout.nodes[node], right]), aspect) + 1) / 2
        # within the network's region, and the output's with room for its map's axis on the right
        axis = (max(map(text_width_em, step.feature_axes), default=0) * size / width + 0.008) if output else 0
        if output:
            side = max(0.02, min(side, (right_end + 0.01 - axis - rx) * aspect))
        w_side = side / aspect  # the same pixels across as up
        x0, y0 = (rx if output else cx - w_side / 2), cy - side / 2
        square = (x0, y0, x0 + w_side, y0 + side)
        # (at a cell a sample, the output's 200-px map of 31 was a staircase of 6.5-px
        # blocks in the fast forward: drawn as it runs between its samples)
        rects += activation_cells(m, square, theme, w_side * width)
        frames.append(square_frame(square, theme.muted, 1.0))
        if not output and side * height >= size:  # whose map it is (two reviews asked)
            named.append((node, square))
        if output:  # the training records on the learned rule, and what its axes are
            rects += record_marks(step.feature_records, square, theme, frame, 8.0)
            if step.feature_axes and side * height >= 4 * size:
                plot = (x0, y0, w_side, side)
                texts += _map_axes(step.feature_axes, layout.name_of(node), plot, size, theme)
    # each name beside its tile where no weight crosses it: left, right, over or under it
    segments = edge_segments(layout, step, (project(camera, layout.nodes, aspect) + 1) / 2)
    tiles = [box for _, box in named]
    for node, (x0, y0, x1, y1) in named:
        name, cy, pad = layout.name_of(node), (y0 + y1) / 2, 0.006
        spots = [
            Text2D(name, x, y, size, theme.muted, align=align, valign=valign)
            for x, y, align, valign in (
                (x0 - pad, y1, "right", "top"),
                (x0 - pad, y0, "right", "bottom"),
                (x1 + pad, y1, "left", "top"),
                (x1 + pad, y0, "left", "bottom"),
                (x0 - pad, cy, "right", "center"),
                (x1 + pad, cy, "left", "center"),
            )
        ]
        spot, _ = _first_clear(spots, tuple(tiles), frame, (0.0, 0.0, 1.0, 1.0), segments, (0.05, 0.0))
        texts.append(spot)
        tiles.append(_screen_box(spot, width, height))
    return tuple(rects), tuple(frames), tuple(texts)


def _map_axes(
    names: tuple[str, ...], title: str, box: tuple[float, float, float, float], size: int, theme: Theme
) -> list[Text2D]:
    """The output's map read as a plot: the input across named under it, between its ticks
    0 and 1; the input up named right of it (its left is the output node), between 1 at
    the top and 0 at the bottom; the node's name over it, as the hidden maps' beside them
    (two reviews found "input 2: 0 -> 1, up" cryptic)."""
    (across, up), (x0, y0, w, h) = names, box
    pad = 0.008
    under, right = y0 - pad, x0 + w + pad / 2
    return [
        Text2D("0", x0, under, size, theme.muted),
        Text2D(across, x0 + w / 2, under, size, theme.muted, align="center"),
        Text2D("1", x0 + w, under, size, theme.muted, align="right"),
        Text2D("1", right, y0 + h, size, theme.muted),
        Text2D(up, right, y0 + h / 2, size, theme.muted, valign="center"),
        Text2D("0", right, y0, size, theme.muted, valign="bottom"),
        Text2D(title, x0 + w / 2, y0 + h + pad, size, theme.muted, align="center", valign="bottom"),
    ]


#: a want's arrow: the longest (``Timeline.want_unit``, where the layers have room) and the
#: shortest (any want that is not 0: a head and a shaft, so its way is seen from the back
#: rows -- iteration 1998's, a fiftieth of iteration 1's, are all this long; at 0.1 they
#: were 10-px chevrons whose way six reviews could not tell; at 0.3 the hidden ones looked
#: as large as iteration 1's, review 31b), in node spacings
WANT_MAX, WANT_MIN, WANT_HEAD = WANT_ROOM, 0.2, 0.2
#: the shortest arrow drawn inside iteration 1's outline (:func:`_first_arrows`): a mark of
#: its sign's colour, as long as it is above this
WANT_TRUE_LEAST = 0.04
WANT_WIDTH = 7.0  # pixels at 720p: a delta's solid arrow; an error's hollow one is drawn thinner
#: world units from a sphere's largest size to its want arrow, and from the arrow to a
#: label left of it (the arrow's head is about 0.1 wide: a delta's label hid it)
WANT_AT, WANT_CLEAR = 0.3, 0.22


def want_arrows(
    timeline: Timeline,
    step: Step,
    theme: Theme,
    camera: Camera,
    width: int,
    height: int,
    progress: float = 1.0,
    carrying: tuple[Carried, ...] = (),
) -> tuple[Polyline2D, ...]:
    """3Blue1Brown's "wants": beside each node of the step, an arrow up (the value should
    rise: blue for an error) or down (orange), as long as how much -- on one scale for
    every arrow of the video (``Timeline.want_unit``), errors and deltas alike, so a delta
    is seen to be its error times the slope, and a late iteration's, a fiftieth of
    iteration 1's, as small as they are (its shortest arrow still shows its way). An
    error's arrow is hollow, a delta's solid, and a delta's stands inside its error's
    hollow arrow, from the same tail: it fills it, then shrinks by the slope to a quarter
    of it at most (two reviews found the delta's arrow alone, a quarter of its error's, too
    small to be seen; the hollow one around it says what it is a fraction of). The arrows
    grow with the step's tween; each is (shaft, head) polylines, the shaft first with the
    tip as its second point, or a hollow one's (inside, outline), the inside up to the
    head's base, the outline's fourth point the tip.

    An error step keeps its senders' arrows; each delta sent back along a weight, as a
    token with its number (:func:`_sent_tokens`), is the hollow arrow of the node at the
    other end when it lands, whole and empty (the next step fills it, and shrinks the fill
    by the slope)."""
    if not step.wants:
        return ()
    pen = _WantPen.of(timeline, theme, camera, width, height)
    sources = dict(step.want_from) if step.kind == "delta" else {}
    arrived = arrivals(step, pen.layout) if progress < 1.0 else {}  # the error step: after its tubes
    time = _unease(progress)
    carried = _carried(step, pen.layout)
    ghosts = _first_arrows(timeline, step, pen)[1]  # (each under its node's arrow, as it comes)
    # an error inside iteration 1's outline is drawn as long as it is, however short: at the
    # shortest arrow, the hidden ones were a half of their outlines where they had shrunk
    # thirtyfold (reviews 32a, 32b: "misleading"); its way is its number's sign
    honest = replace(pen, least=WANT_TRUE_LEAST)

    def under(node: int) -> tuple[_WantPen, list[Polyline2D]]:
        """The pen of ``node``'s error, and iteration 1's outline to draw under it, if any."""
        return (honest, [ghosts[node]]) if node in ghosts else (pen, [])

    out: list[Polyline2D] = []
    for node, delta, error in step.senders:  # as their delta step left them
        drawn, first = under(node)
        out += first
        out += drawn.filled(node, error, delta) if np.isfinite(error) else drawn.solid(node, delta)
    for node, value in step.wants:
        if not np.isfinite(value) or value == 0:
            continue
        error = sources.get(node, np.nan)
        if np.isfinite(error) and error != 0:
            # y - output and l1_error: hollow, what the node's value should do; its delta,
            # solid, what its z should do: filling the error's arrow, then shrunk by the slope
            drawn, first = under(node)
            out += first + drawn.filled(node, error, value, progress)
            continue
        grown = progress
        if node in carried:  # a delta sent back: its arrow, whole, as its token lands
            grown = 1.0 if time >= arrived.get(node, 0.0) else 0.0
        elif node in arrived:  # its error is what its tubes bring: it grows once they are there
            grown = min(1.0, max(0.0, (time - arrived[node]) / (1.0 - arrived[node])))
        if grown <= 0:
            continue
        hollow = step.kind != "delta"
        # an error's sign colour (as its number in the caption); a delta in the backward
        # pass's purple, as its number, its tubes and its caption term (the arrow's way is its sign)
        colour = _sign_colour(theme, value) if hollow else theme.backward
        drawn, first = under(node) if hollow else (pen, [])
        length, up = drawn.length_of(value) * grown, 1.0 if value > 0 else -1.0
        out += first + pen.centred(*pen.slot(node), length, up, colour, hollow)
    for arrow in carrying:  # beside the tokens sent back: scaled by their weights, turned over, docked
        x, y = pen.point(np.array(arrow.at))
        x += arrow.side * pen.half_head  # (its head's edge at the token's)
        if arrow.dock is not None:
            node, u = arrow.dock
            x, y = (a + (b - a) * u for a, b in zip((x, y), pen.slot(node), strict=True))
            if pen.behind(node, x):  # passing behind the sphere (over it, its hollow read as a
                continue  # black square on h4, review 30a)
        length = pen.length_of(arrow.value)
        if length > 0.002:
            up = 1.0 if arrow.value > 0 else -1.0
            out += [
                pen.turned(p, (x, y), arrow.angle)
                for p in pen.centred(x, y, length, up, arrow.colour, arrow.hollow)
            ]
    return tuple(out)


#: a later iteration's error shorter than this share of the first's is drawn inside the
#: first's outline
OUTLINE_BELOW = 0.5


def _first_arrows(timeline: Timeline, step: Step, pen: _WantPen) -> tuple[int | None, dict[int, Polyline2D]]:
    """Round a late iteration's errors, the outlines of the first shown iteration's, in grey,
    as long as they were (on the video's one scale): the shrinking seen without reading a
    number, as seed 000's author asked, where a magnified late arrow (x20) read as a second
    scale beside the changes' (every review of rounds 74-79); the hidden nodes' too (review
    31b: at the shortest length, theirs looked as large as iteration 1's). (that
    iteration, {node: outline})."""
    drawn = errors_drawn(step)
    if step.epoch is None or not drawn:
        return None, {}
    first, was = timeline.first_errors
    if step.epoch == first:
        return first, {}
    out = {}
    for node, error in drawn.items():
        then = was.get(node)
        if then is not None and abs(error) < OUTLINE_BELOW * abs(then):
            up = 1.0 if then > 0 else -1.0
            out[node] = pen.centred(*pen.slot(node), pen.length_of(then), up, pen.theme.muted, True)[-1]
    return first, out


def first_arrow_tag(
    timeline: Timeline, step: Step, theme: Theme, camera: Camera, width: int, height: int
) -> tuple[Text2D, ...]:
    """Under the first iteration's outline round the output's error (:func:`_first_arrows`),
    which iteration it is (once: the hidden nodes' outlines are the same grey)."""
    if step.epoch is None or timeline.screen == "study":
        return ()
    pen = _WantPen.of(timeline, theme, camera, width, height)
    first, outlines = _first_arrows(timeline, step, pen)
    size = round(height * MIN_TEXT.get(timeline.screen, MIN_TEXT["lecture"]))
    out = []
    last = len(timeline.layout.layers) - 1
    for node, outline in ((n, o) for n, o in outlines.items() if timeline.layout.node_layer[n] == last):
        now, then = errors_drawn(step)[node], timeline.first_errors[1][node]
        times = f"{abs(then / now):.0f}" if abs(then / now) >= 10 else f"{abs(then / now):.2g}"
        xs, ys = zip(*outline.points, strict=True)
        below = min(ys) - 0.012
        label = message(timeline.lang, "first_arrow", n=first, k=times)
        # from its left edge rightwards (centred, the hall's Japanese ran into h4's number),
        # in lines that keep to the frame
        label = wrap(label, size, (1.0 - FRAME_MARGIN - min(xs)) * width)
        out.append(Text2D(label, min(xs), below, size, theme.muted, align="left", valign="top"))
    return tuple(out)


def _carried(step: Step, layout: Layout) -> set[int]:
    """The nodes whose error is one sender's delta times one weight: the token sent back to
    each lands with its arrow (where several are sent to one node, they add up: its arrow
    grows once they have all come)."""
    into = Counter(int(layout.edge_from[s.edge]) for s, _ in _packet_windows(step, layout))
    return {node for node, n in into.items() if n == 1}


def _packet_windows(step: Step, layout: Layout) -> list[tuple[Signal, tuple[float, float]]]:
    """The signals of ``step`` that carry a sender's delta to a node with an arrow, and
    when (0..1 of the tween's time) each sets off and lands: as its tube."""
    senders = {node for node, _, _ in step.senders}
    wanted = {node for node, value in step.wants if np.isfinite(value) and value != 0}
    windows = tube_windows(step)
    return [
        (s, windows[s.edge])
        for s in step.signals
        if not s.forward
        and int(layout.edge_to[s.edge]) in senders
        and int(layout.edge_from[s.edge]) in wanted
    ]


#: where the weights' "× w" stand, from their input's end: the first of these places where
#: all are clear of the labels around them and of each other (nearer the hidden nodes too:
#: iteration 1998's wide -0.000385 over out ran into a chip at 0.44); the delta is scaled
#: as it passes under its chip
MULTIPLIER_AT = (0.5, 0.56, 0.44, 0.62, 0.38, 0.68, 0.32)


def _mix(a: Colour, b: Colour, u: float) -> Colour:
    """``a`` turning into ``b`` (``u`` 0..1)."""
    return tuple(float(x) for x in np.array(a) * (1 - u) + np.array(b) * u)


HOLLOW_SHAFT = 0.55  # a hollow arrow's shaft, half as wide as this much of its head's half
Colour = tuple[float, float, float]


@dataclass(frozen=True)
class _WantPen:
    """How the want arrows of one frame are drawn: their one length scale and their sizes
    on this screen (lengths in fractions of the height, x in fractions of the width)."""

    layout: Layout
    theme: Theme
    camera: Camera
    scale: float  # the |want| drawn WANT_MAX node spacings long
    gap: float  # a node spacing
    aspect: float
    px: float  # a solid arrow's line width, pixels
    width: int
    height: int
    least: float = WANT_MIN  # the shortest arrow, node spacings

    @classmethod
    def of(
        cls,
        timeline: Timeline,
        theme: Theme,
        camera: Camera,
        width: int,
        height: int,
    ) -> _WantPen:
        aspect = width / height
        gap = node_spacing(timeline.layout, camera, aspect) or 0.2
        px = WANT_WIDTH * height / 720
        return cls(timeline.layout, theme, camera, timeline.want_unit, gap, aspect, px, width, height)

    def length_of(self, value: float) -> float:
        return self.gap * max(self.least, WANT_MAX * min(1.0, abs(value) / self.scale))

    def behind(self, node: int, x: float) -> bool:
        """Whether an arrow at ``x`` (screen) would stand over ``node``'s sphere at its
        largest: its head's half width from it or nearer."""
        reach = np.array([NODE_R_MAX * self.layout.node_scale[node], 0.0, 0.0])
        left, _ = self.point(self.layout.nodes[node] - reach)
        right, _ = self.point(self.layout.nodes[node] + reach)
        return left - self.half_head < x < right + self.half_head

    def point(self, world: np.ndarray) -> tuple[float, float]:
        (x, y) = (project(self.camera, np.asarray(world)[None, :], self.aspect)[0] + 1) / 2
        return float(x), float(y)

    def centre(self, node: int) -> tuple[float, float]:
        return self.point(self.layout.nodes[node])

    def slot(self, node: int) -> tuple[float, float]:
        """Where a node's arrow stands: left of it; the output layer's right of it, clear of
        the weights converging on it."""
        layout = self.layout
        side = 1.0 if layout.node_layer[node] == len(layout.layers) - 1 else -1.0
        away = NODE_R_MAX * layout.node_scale[node] + WANT_AT
        return self.point(layout.nodes[node] + side * np.array([away, 0.0, 0.0]))

    def turned(self, line: Polyline2D, centre: tuple[float, float], angle: float) -> Polyline2D:
        """``line`` turned by ``angle`` (radians, anticlockwise) about ``centre``, on the
        screen's pixels (x and y are fractions of a width and a height that differ)."""
        if not angle:
            return line
        c, s = np.cos(angle), np.sin(angle)
        x0, y0 = centre
        points = []
        for x, y in line.points:
            dx, dy = (x - x0) * self.width, (y - y0) * self.height
            points.append((x0 + (c * dx - s * dy) / self.width, y0 + (s * dx + c * dy) / self.height))
        return replace(line, points=tuple(points))

    def head_length(self, length: float) -> float:
        """How long an arrow's head is: at most 0.6 of it."""
        return min(WANT_HEAD * self.gap, length * 0.6)

    @property
    def half_head(self) -> float:
        """Half the width of an arrow's head (screen fractions of the width): the same for
        every arrow, however short, so a small error's arrow still holds a fill that is seen
        (two reviews: 5 px of purple in h4's arrow)."""
        return WANT_HEAD * self.gap * 0.75 / self.aspect

    @property
    def inside(self) -> float:
        """The width in pixels of a hollow arrow's inside, within its outline: what a delta
        fills, and the background's colour where it does not (a thin dark line down the
        middle read as a crack)."""
        return max(self.px, 2 * HOLLOW_SHAFT * self.half_head * self.width - self.px * 0.6)

    def fill_length(self, whole: float, share: float) -> float:
        """How much of a hollow arrow ``whole`` long a fill of ``share`` of it takes: at most
        its shaft, up to the head."""
        return min(whole * share, whole - self.head_length(whole))

    def filled(self, node: int, error: float, value: float, progress: float = 1.0) -> list[Polyline2D]:
        """An error's hollow arrow and, from its tail, a delta's purple fill: as long as the
        arrow at first, shrunk by ``progress`` to the delta's share of it -- the slope, however
        short the arrow is held: iteration 1998's saturated h4 (slope 0.0108) fills a
        hundredth of its arrow (a review found fills at the shortest length, 40% of every
        arrow, contradicting the slopes written beside them)."""
        x, y = self.slot(node)
        up = 1.0 if value > 0 else -1.0
        whole = self.length_of(error)
        tail = y - up * whole / 2
        share = min(1.0, abs(value / error))
        length = self.fill_length(whole, 1.0 + (share - 1.0) * progress)
        colour = _sign_colour(self.theme, error)
        fill = Polyline2D(((x, tail), (x, tail + up * length)), self.theme.backward, self.inside)
        return [*self.arrow(x, tail, whole, up, colour, True), fill]

    def solid(self, node: int, value: float) -> list[Polyline2D]:
        """A delta's purple arrow, where its error has no hollow arrow."""
        return self.centred(*self.slot(node), self.length_of(value), 1.0 if value > 0 else -1.0,
                            self.theme.backward, False)  # fmt: skip

    def centred(
        self, x: float, y: float, length: float, up: float, colour: Colour, hollow: bool
    ) -> list[Polyline2D]:
        """:meth:`arrow`, centred on (x, y): as a want stands beside its node."""
        return self.arrow(x, y - up * length / 2, length, up, colour, hollow)

    def arrow(
        self, x: float, tail: float, length: float, up: float, colour: Colour, hollow: bool
    ) -> list[Polyline2D]:
        """One want's arrow from ``tail``, ``length`` long, pointing ``up`` (+1) or down: a
        solid shaft and head, or a hollow one's inside and outline."""
        tip = tail + up * length
        base = tip - up * self.head_length(length)
        hx, px = self.half_head, self.px
        if not hollow:
            return [
                Polyline2D(((x, tail), (x, tip)), colour, px),
                Polyline2D(((x - hx, base), (x, tip), (x + hx, base)), colour, px),
            ]
        sx = hx * HOLLOW_SHAFT  # an outline: the shaft's two sides and the head's triangle
        left_side = ((x - sx, tail), (x - sx, base), (x - hx, base))
        right_side = ((x + hx, base), (x + sx, base), (x + sx, tail), (x - sx, tail))
        return [
            # the hollow's inside in the background's colour (its gradient's middle): what is behind, hidden
            Polyline2D(((x, tail), (x, base)), background_at(self.theme, 0.5), self.inside),
            # thick enough for the back rows
            Polyline2D((*left_side, (x, tip), *right_side), colour, px * 0.6),
        ]


def _sign_colour(theme: Theme, value: float) -> tuple[float, float, float]:
    return theme.positive if value > 0 else theme.negative


#: a layer of more nodes than this is not named node by node (its names would be a crowd)
MAX_NAMED = 10
NAME_GAP = 0.06  # world units between a sphere's largest size (or its 0's ring) and its name


def names_shown(timeline: Timeline, step: Step) -> bool:
    """Every layout names every node by its sphere (x1, h3, out), as the captions name
    them, so "e.g. h3" is found without counting nodes (the study layout too: reviews
    66-68 met "h3" in its captions and no names). Not on a card, nor where the
    network is small beside its maps (the fast forward, the epilogue, the summary)."""
    return (
        timeline.screen in ("hall", "lecture", "study")  # a split screen's tiles are its network alone
        and step.card is None
        and step.feature_maps is None
        and step.kind not in EPILOGUE_KINDS
        and shape(timeline) != "grids"
        and step.kind != "chain"
        and max(timeline.layout.layers) <= MAX_NAMED
    )


def name_size(height: int, screen: str = "lecture") -> int:
    """A node name's font size: the screen's smallest text (the hall's had lecture's, and
    two reviews could not read x1..h4 from the back rows); the study layout's, its notes'."""
    return (
        round(height * STUDY_NAME)
        if screen == "study"
        else round(height * MIN_TEXT.get(screen, MIN_TEXT["lecture"]))
    )


#: the study layout's node names: the size of its notes beside the nodes
STUDY_NAME = 0.026


#: world units right of an output node where the numbers over and under it (and a lone
#: output's name) end: right-aligned there, they stay clear of the panels beside the network
OUTPUT_END = 0.15


def name_above(layout: Layout, node: int) -> bool:
    """A lone output is named over its sphere: under it, its z note would be pushed down
    into the weights that converge on it, and right of it the panels begin."""
    last = len(layout.layers) - 1
    return int(layout.node_layer[node]) == last and layout.layers[last] == 1


def name_offset(layout: Layout, node: int) -> float:
    """World units from a node's centre to its name's nearest edge: clear of its largest
    sphere and of the ring of a 0, so the name never moves while the value does."""
    return max(NODE_R_MAX, RING_R) * layout.node_scale[node] + NAME_GAP


def name_edge(layout: Layout, node: int) -> float:
    """The world y of a name's edge nearest its node (:func:`name_offset` over or under it)."""
    off = name_offset(layout, node)
    return layout.nodes[node, 1] + (off if name_above(layout, node) else -off)


#: the least room (a share of the frame's width) between a number on the network and the
#: frame's edge
FRAME_MARGIN = 0.008


def _across(camera: Camera, point: tuple[float, float, float], aspect: float) -> float:
    """Where across the frame (0 its left edge, 1 its right) a world point is seen."""
    return float((project(camera, np.array([point]), aspect)[0, 0] + 1) / 2)


#: a layer whose nodes stand closer than this share of what a name under a sphere needs
#: (its largest sphere, the gap, the name, the next largest sphere) names them beside their
#: spheres: iamtrask's hidden layer has 0.96 of it (names under, read as their own), fit's
#: ten hidden nodes 0.68 (under, "h1" stood by h2's number: review 55a read it as h2's)
NAMES_CROWDED = 0.8


def name_beside(layout: Layout, node: int, size: int, px_per_unit: float) -> bool:
    """Whether ``node``'s name stands right of its sphere, level with it (its layer is
    crowded: NAMES_CROWDED), rather than under it."""
    if name_above(layout, node):
        return False
    ys = np.sort(layout.nodes[layout.node_layer == layout.node_layer[node], 1])
    if len(ys) < 2:
        return False
    reach = max(NODE_R_MAX, RING_R) * layout.node_scale[node]
    need = 2 * reach + NAME_GAP + 1.2 * size / px_per_unit
    return float(np.min(np.diff(ys))) < NAMES_CROWDED * need


def name_box(layout: Layout, node: int, size: int, px_per_unit: float) -> tuple[float, float, float, float]:
    """The world box (x0, y0, x1, y1) a node's name takes at font ``size``."""
    x, edge = layout.nodes[node, 0], name_edge(layout, node)
    w = text_width_em(layout.name_of(node)) * size / px_per_unit
    h = 1.2 * size / px_per_unit
    if name_above(layout, node):  # ending where the number over it ends
        return x + OUTPUT_END - w, edge, x + OUTPUT_END, edge + h
    if name_beside(layout, node, size, px_per_unit):
        left, y = x + name_offset(layout, node), layout.nodes[node, 1]
        return left, y - h / 2, left + w, y + h / 2
    return x - w / 2, edge - h, x + w / 2, edge


def named_in(text: str, names: list[str]) -> set[str]:
    """The node names ``text`` mentions as words ("out", not the "out" of "output")."""
    return {n for n in names if found_terms(((n,),), text)}


def _caption_drawn(step: Step, texts: tuple[Text2D, ...]) -> str:
    """The step's caption as the overlay drew it: with its gloss where that found room, else
    its headline alone (the hall's big type drops the gloss, and h4 stood lit at iteration
    1998 for a gloss that was not there, review 72b)."""
    if not step.gloss:
        return step.caption
    gloss = " ".join(step.gloss.split()).lower()
    drawn = (" ".join(t.text.split()).lower() for t in texts if len(t.text) > 12)
    return step.caption if any(line in gloss for line in drawn) else step.headline


def node_names(
    timeline: Timeline,
    step: Step,
    theme: Theme,
    camera: Camera,
    width: int,
    height: int,
    caption: str | None = None,
) -> tuple[list[Text2D], list[Rect2D]]:
    """Each node's name by its sphere, on a backdrop over the weights that cross there;
    the nodes the caption (as drawn: ``caption``, else the step's) names in the accent
    colour and bold."""
    layout = timeline.layout
    names = [layout.name_of(node) for node in range(layout.n_nodes)]
    small = step.kind in ("descent", "landscape")  # the network small beside its curve: a crowd
    # (the small network names its lit weights' ends, which the whole caption says, whether
    # or not the hall's type drew the gloss that says them: without, it was left unnamed)
    named = named_in(step.caption if caption is None or small else caption, names)
    size = name_size(height, timeline.screen)
    # the study layout's beads stand under its spheres: its names beside them, every one
    study = timeline.screen == "study"
    last = layout.node_layer == len(layout.layers) - 1
    edges = layout.nodes.copy()
    if small or study:  # a name beside its sphere (under it, h3's stood on h4: reviews 44a, 44b),
        # the output's over it (left of it, it lay on the weight lit; right, on the curve's panel)
        reach = np.maximum(NODE_R_MAX, RING_R) * layout.node_scale + NAME_GAP
        edges[:, 0] -= np.where(last, 0.0, reach)
        edges[:, 1] += np.where(last, reach, 0.0)
    else:  # under its sphere; a lone output's over it, ending where the number over it ends
        edges[:, 1] = [name_edge(layout, node) for node in range(layout.n_nodes)]
        over = np.array([name_above(layout, node) for node in range(layout.n_nodes)])
        edges[over, 0] += OUTPUT_END
    ppu = _px_per_unit(camera, width, height)
    beside = np.array(
        [not (small or study) and name_beside(layout, n, size, ppu) for n in range(layout.n_nodes)]
    )
    if beside.any():  # a crowded layer's: right of the sphere, level with it
        edges[beside, 1] = layout.nodes[beside, 1]
        edges[beside, 0] += [name_offset(layout, n) for n in np.flatnonzero(beside)]
    at = (project(camera, edges, width / height) + 1) / 2
    texts, rects = [], []
    pad_x, pad_y = 0.25 * size / width, 0.1 * size / height
    for node, (name, (x, y)) in enumerate(zip(names, at, strict=True)):
        lit, above = name in named, name_above(layout, node) and not (small or study)
        if small and not lit:  # only the names the caption says
            continue
        w, h = text_width_em(name) * size / width, 1.15 * size / height
        if (small or study) and last[node]:
            align, valign, (y0, y1) = "center", "bottom", (y - pad_y, y + h)
        elif small or study:
            align, valign, (y0, y1) = "right", "center", (y - h / 2, y + h / 2)
        elif above:
            align, valign, (y0, y1) = "right", "bottom", (y - pad_y, y + h)
        elif beside[node]:
            align, valign, (y0, y1) = "left", "center", (y - h / 2, y + h / 2)
        else:
            align, valign, (y0, y1) = "center", "top", (y - h, y + pad_y)
        left = {"left": x, "right": x - w, "center": x - w / 2}[align]
        backdrop = background_at(theme, (y0 + y1) / 2)  # masks the weights under it, drawn as none
        rects.append(Rect2D(left - pad_x, y0, left + w + pad_x, y1, backdrop, 0.8))
        colour = theme.accent if lit else theme.muted
        texts.append(Text2D(name, x, y, size, colour, bold=lit, align=align, valign=valign))
    return texts, rects


def _names_clear_of(
    names: list[Text2D],
    backdrops: list[Rect2D],
    labels: tuple[Label3D, ...],
    camera: Camera,
    frame: tuple[int, int],
    font: str | None,
) -> tuple[list[Text2D], list[Rect2D]]:
    """The names (each with its backdrop) but those of nodes the step does not name that a
    number on the network runs into (the lone output's over its sphere first rises up to an
    em and a half out of the way): the hall's column of hidden notes at iteration 1998 reached "out",
    and "0.140" read as "0.140out" (review 55a). A name the caption says
    (bold, lit) always stays. The numbers are measured in their face (the estimate that
    keeps labels apart is wider: it would have hidden names a number only comes near)."""
    if not labels:
        return names, backdrops
    width, height = frame
    ppu = _px_per_unit(camera, width, height)
    boxes = []
    for label in labels:
        if label.angle:  # (the numbers along weights keep clear of the names already)
            continue
        x0, y0, x1, y1 = _label_box(label, ppu, advance_em(label.text, font), 1.0)
        z = label.position[2]
        ends = (project(camera, np.array([[x0, y0, z], [x1, y1, z]]), width / height) + 1) / 2
        boxes.append((*ends.min(axis=0), *ends.max(axis=0)))

    def runs_into(name: Text2D, rect: Rect2D, box: tuple[float, ...]) -> bool:
        """Into the name's backdrop by a quarter of its type both ways: "0.140out" went 20 px
        into out's; a number that only grazes a backdrop (3 px of h2's) leaves it be."""
        across = min(rect.x1, box[2]) - max(rect.x0, box[0])
        down = min(rect.y1, box[3]) - max(rect.y0, box[1])
        return across * width > NAME_RUN_INTO * name.size and down * height > NAME_RUN_INTO * name.size

    kept = []
    for name, rect in zip(names, backdrops, strict=True):
        # the lone output's name over its sphere (right-aligned) rises out of the way first,
        # up to an em and a half: the hall's "0.140" ran into "out", which went (review 30a)
        steps = np.arange(0.0, 1.51, 0.125) if name.align == "right" else (0.0,)
        rises = [k * name.size / height for k in steps]
        for dy in rises:
            moved = replace(rect, y0=rect.y0 + dy, y1=rect.y1 + dy)
            if name.bold or not any(runs_into(name, moved, box) for box in boxes):
                kept.append((replace(name, y=name.y + dy), moved))
                break
    return [n for n, _ in kept], [r for _, r in kept]


#: how far (a share of its type's size, both ways) a number may run into a name's backdrop
#: before the name gives way (:func:`_names_clear_of`)
NAME_RUN_INTO = 0.25


def _reach(value: float, scale: float) -> float:
    """How far a node's drawn shape reaches from its centre: its sphere, or the ring that
    marks a value near 0 -- what a number written beside or over it must clear."""
    radius = float(node_radius(np.array([value]))[0])
    return max(radius, RING_R) * scale if near_zero(value) else radius * scale


def near_zero(values: np.ndarray) -> np.ndarray:
    """Values whose sphere is about a dot (under NEAR_ZERO): ringed, so that an input of
    0, or a hidden node that has learned to stay off, is seen to be there, not missing."""
    return np.abs(values) < NEAR_ZERO


def _zero_rings(
    visual: Visual, layout: Layout, theme: Theme, camera: Camera, width: int, height: int
) -> tuple[Polyline2D, ...]:
    """A ring around every node whose value is (about) 0: its sphere is a dot."""
    zero = np.flatnonzero(near_zero(visual.node_values))
    if not len(zero):
        return ()
    bg = np.array(theme.background_bottom)
    colours = [_blend(np.array([theme.node]), bg, visual.node_focus[[node]])[0] for node in zero]
    return _rings_at(layout.nodes[zero], RING_R * layout.node_scale[zero], colours, camera, width, height)


def _rings_at(centres, r, colours, camera: Camera, width: int, height: int) -> tuple[Polyline2D, ...]:
    """Screen circles of world radius ``r`` around ``centres``."""
    n = len(centres)
    ndc = project(
        camera, np.concatenate([centres, centres + np.stack([0 * r, r, 0 * r], axis=1)]), width / height
    )
    at, top = (ndc[:n] + 1) / 2, (ndc[n:] + 1) / 2
    return tuple(
        ring(x, y, abs(yt - y) * height, width, height, tuple(colour))
        for (x, y), (_, yt), colour in zip(at, top, colours, strict=True)
    )


#: labels beside their spheres may be this fraction of the spacing of the nodes tall
BESIDE_ROOM = 0.8
RING_R = 0.3  # world radius of the ring drawn around a node whose value is (about) 0
NEAR_ZERO = 0.05  # |value| under which a node's sphere is a dot (its radius under 0.14)

#: a step with more numbers along its weights than this writes only the largest few (the
#: lecture layout's change matrix and the values panel hold them all)
MAX_EDGE_LABELS, KEEP_EDGE_LABELS = 6, 4
#: where along a weight (from its input end) the number it carries may be written, in
#: order of preference: the first that keeps clear of the numbers already written
EDGE_VALUE_AT = (0.3, 0.45, 0.2, 0.6, 0.12, 0.72)


# -- camera ------------------------------------------------------------------------------
VIEW_ANGLE = 26.0
#: hall and lecture look at the network nearly from the front through a long lens: little
#: perspective, so edges cross as on a slide and sizes compare across the picture
FRONTAL_VIEW_ANGLE, FRONTAL_AZIMUTH, FRONTAL_ELEVATION = 12.0, 4.0, 3.0
#: the numbers on the network in hall and lecture (fraction of the frame height): a capital
#: of about 24 px at 720p
LABEL_SIZE = {"lecture": 0.047, "hall": 0.064}


def project(camera: Camera, points: np.ndarray, aspect: float) -> np.ndarray:
    """Normalised device coordinates (-1..1, y up) of world points under ``camera``.

    The pinhole model VTK uses, window centre included; tests use it to find a node's pixels.
    """
    pos, basis, t = _camera_basis(camera)
    rel = np.atleast_2d(points) - pos
    right_up_fwd = rel @ basis  # (n, 3)
    depth = right_up_fwd[:, 2]
    x = right_up_fwd[:, 0] / (depth * t * aspect) - camera.window_center[0]
    y = right_up_fwd[:, 1] / (depth * t) - camera.window_center[1]
    return np.stack([x, y], axis=1)


@lru_cache(maxsize=64)
def _camera_basis(camera: Camera) -> tuple[np.ndarray, np.ndarray, float]:
    """The camera's position, its right, up and forward axes (columns) and the tangent of
    half its view angle: worked out once per camera (a frame projects a dozen times, and
    numpy's cross product of two 3-vectors costs more than the projection)."""
    pos, focal = np.array(camera.position), np.array(camera.focal_point)
    fwd = (focal - pos) / np.linalg.norm(focal - pos)
    right = np.cross(fwd, camera.view_up)
    right /= np.linalg.norm(right)
    up = np.cross(right, fwd)
    basis = np.column_stack([right, up, fwd])
    pos.flags.writeable = basis.flags.writeable = False  # shared by every caller of the cache
    return pos, basis, math.tan(math.radians(camera.view_angle / 2))


def fit_camera(
    layout: Layout,
    width: int,
    height: int,
    screen: str = "study",
    region: tuple | None = None,
    spread: float = 0.0,
) -> Camera:
    """A view whose projection of the layout fills the screen layout's network region
    (or ``region``): slightly turned for study, nearly frontal for hall and lecture.

    The distance and the window centre come from projecting the corners of the layout's
    box, never from the glyphs' bounds (which include scale arrays).
    """
    study = screen == "study"
    lo, hi = layout.bounds(beads=study)
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    if spread > 0:  # and the outlines of the records' sheets (the first's, the last's: the box)
        offsets = sheet_offsets(layout, spread)
        corners = np.concatenate([corners, *(sheet_outline(layout, o) for o in offsets[[0, -1]])])
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    center = (lo + hi) / 2
    x0, y0, x1, y1 = region or NETWORK_REGIONS[screen]
    aspect = width / height
    grid = max(layout.layers) > GRID_ABOVE  # grid layers need an oblique view to be seen at all
    angle = VIEW_ANGLE if grid else FRONTAL_VIEW_ANGLE
    turn = 0.0 if SHEETS_SIDE_BY_SIDE else spread  # towards the sheets' view (already eased)
    azimuth = math.radians(layout.azimuth if grid else _lerp(FRONTAL_AZIMUTH, SHEET_AZIMUTH, turn))
    elevation = math.radians(10 if grid else _lerp(FRONTAL_ELEVATION, SHEET_ELEVATION, turn))
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
        cam = Camera(tuple(center + direction * dist), tuple(center), (0.0, 1.0, 0.0), angle, (0.0, 0.0))
        ndc = project(cam, corners, aspect)
        span = ndc.max(axis=0) - ndc.min(axis=0)
        ratio = max(span[0] / (2 * (x1 - x0)), span[1] / (2 * (y1 - y0)))
        dist *= ratio
        mid = (ndc.max(axis=0) + ndc.min(axis=0)) / 2
        wc = (float(mid[0] - (x0 + x1 - 1)), float(mid[1] - (y0 + y1 - 1)))
    return Camera(tuple(center + direction * dist), tuple(center), (0.0, 1.0, 0.0), angle, wc)
