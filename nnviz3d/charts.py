"""The inset charts: error or accuracy per iteration, the fit, weight statistics, paths.

Each chart takes its box (x0, y0, x1, y1 in 0..1 of the frame) and returns its texts,
rectangles and polylines; nothing is drawn past the current iteration. The box is the
chart's nominal plot area; the chart draws in :func:`chart_extent` of it (the box and a
margin round it, behind a translucent panel) and lays everything out from that: the
title on top, the y axis's name and the cursor's value under it, the y ticks in a
gutter on the left, the x ticks and the x axis's name (with the note on what the accent
ticks mark) at the bottom. Every text is sized from the frame height and placed from its
estimated width (``text_width_em``, ``LINE`` times its size tall), so no two texts
overlap and none leaves the extent; what does not fit (a middle tick label, the note)
is left out rather than set smaller.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nnviz3d.primitives import Polyline2D, Rect2D, Text2D, Theme, fit_size, line_breaks, text_width_em
from nnviz3d.timeline import FitCurve, Step, Timeline, fmt

Box = tuple[float, float, float, float]

LINE = 1.25  # a line of text is at most this many times its size tall (glyphs and leading)
MARGIN = (0.008, 0.04, 0.008, 0.045)  # the extent round the box: left, bottom, right, top


@dataclass(frozen=True)
class ChartStyle:
    """How a chart writes: its colours, the frame size in pixels, and its title's type
    (one size and line count for the charts side by side, so their plots line up)."""

    theme: Theme
    w: int
    h: int
    title_size: int
    title_lines: int = 1

    @property
    def tick(self) -> int:
        """Tick labels, axis names and the note."""
        return tick_size(self.h)

    @property
    def value(self) -> int:
        """The cursor's value, a little larger."""
        return self.tick + 2

    @property
    def pad(self) -> float:
        """The inner padding in pixels."""
        return padding(self.h)


def tick_size(h: int) -> int:
    return max(9, round(h * 0.016))


def padding(h: int) -> float:
    return h * 0.006


@dataclass(frozen=True)
class Axes:
    """The plain words round a chart: what the x and y axes are, and what the accent
    ticks on the x axis mark (empty: nothing is marked)."""

    x: str
    y: str
    note: str = ""


def chart_extent(box: Box) -> Box:
    """Where a chart of plot area ``box`` draws: its panel, all of its texts included."""
    x0, y0, x1, y1 = box
    left, bottom, right, top = MARGIN
    return x0 - left, y0 - bottom, x1 + right, y1 + top


def _px(text: str, size: int) -> float:
    return text_width_em(text) * size


def wrap(text: str, size: int, width_px: float) -> list[str]:
    """``text`` in as few lines of at most ``width_px`` as it goes: breaks at spaces, and
    between wide (CJK) characters, never before closing punctuation."""
    breaks = line_breaks(text)
    lines, start = [], 0
    for a, b in itertools.pairwise(breaks):
        if start < a and _px(text[start:b].strip(), size) > width_px:
            lines.append(text[start:a].strip())
            start = a
    lines.append(text[start:].strip())
    if len(lines) == 2:  # as even as they go, the longer line on top when it is nearly so
        widest = {i: max(_px(text[:i].strip(), size), _px(text[i:].strip(), size)) for i in breaks[1:-1]}
        at = max(i for i, v in widest.items() if v <= min(1.1 * min(widest.values()), width_px))
        lines = [text[:at].strip(), text[at:].strip()]
    return lines


def _header_px(h: int, title_size: int, title_lines: int) -> float:
    """From the top of the extent to the plot: the title, the y name's row, half a y label."""
    tick = tick_size(h)
    return padding(h) + title_lines * title_size * LINE + (tick + 2 + tick / 2) * LINE


def _footer_px(h: int, rows: int) -> float:
    """From the bottom of the extent to the plot: the x axis's tick row (and its name's)."""
    return 2 * padding(h) + rows * tick_size(h) * LINE


def title_fit(titles: Sequence[str], box: Box, w: int, h: int) -> tuple[int, int]:
    """The size and line count that every title of ``titles`` fits in a chart of plot
    area ``box``: one line if they all fit at the tick size or larger; else two, where
    that leaves the plot half the box's height or one line would not fit at all; else
    one line, smaller."""
    x0, y0, x1, y1 = chart_extent(box)
    width = (x1 - x0) * w - 2 * padding(h)
    base = max(tick_size(h), round(h * 0.019))
    one = min(fit_size(t, base, width) for t in titles)
    if one >= tick_size(h):
        return one, 1
    size = base
    while size > 8 and any(len(wrap(t, size, width)) > 2 for t in titles):
        size -= 1
    plot = (y1 - y0) * h - _header_px(h, size, 2) - _footer_px(h, 2)
    overflows = any(_px(t, one) > width for t in titles)  # even at the smallest type
    return (size, 2) if overflows or plot >= 0.5 * (box[3] - box[1]) * h else (one, 1)


# -- the update on screen ----------------------------------------------------------------
def last_update_shown(timeline: Timeline, step: Step) -> int:
    """The last epoch whose weight update is on screen at ``step`` (0: none yet).

    Epoch e's update happens at the end of its backward pass: it is on screen from the
    last ``update`` step of epoch e on (where the video shows no update of epoch e, from
    its last step on). The epochs before the step's own are all done, the skipped ones
    included (the card that jumps over them says so)."""
    if step.epoch is None:
        return 0
    own = [s.index for s in timeline.steps if s.epoch == step.epoch]
    updates = [i for i in own if timeline.steps[i].kind == "update"]
    done_at = updates[-1] if updates else own[-1]
    return step.epoch if step.index >= done_at else step.epoch - 1


# -- the scales --------------------------------------------------------------------------
def _label(value: float, decimals: int) -> str:
    return np.format_float_positional(round(value, decimals) + 0.0, trim="-")


def linear_ticks(lo: float, hi: float, max_intervals: int) -> tuple[float, float, list[tuple[float, str]]]:
    """A linear axis over ``lo``..``hi``: (lo, hi, ticks) at the multiples of a round step
    (1, 2, 2.5 or 5 times a power of ten) that lie in it, the range stretched a little
    (at most 8 %) to reach a round number at either end; 1 to ``max_intervals`` steps,
    about three preferred, the smallest and largest as near the ends as they go."""
    if not hi - lo > 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    span = hi - lo
    tol = 0.08 * span
    target = min(3, max(1, max_intervals))
    best = None
    top_power = math.floor(math.log10(span)) + 1
    for k in range(top_power, top_power - 4, -1):  # larger steps first: they win ties
        for m in (5.0, 2.5, 2.0, 1.0):
            step = m * 10.0**k
            a, b = math.ceil((lo - tol) / step - 1e-9), math.floor((hi + tol) / step + 1e-9)
            if not 1 <= b - a <= max(1, max_intervals):
                continue
            bottom, top = min(lo, a * step), max(hi, b * step)
            score = 1 - (b - a) * step / (top - bottom) + 0.05 * abs(b - a - target)
            if best is None or score < best[0] - 1e-9:
                best = (score, step, a, b, m, bottom, top)
    if best is None:  # no round step fits: the ends themselves
        return lo, hi, [(lo, fmt(lo, 2)), (hi, fmt(hi, 2))]
    _, step, a, b, m, bottom, top = best
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) + (1 if m == 2.5 else 0)
    return bottom, top, [(i * step, _label(i * step, decimals)) for i in range(a, b + 1)]


def power_label(k: int, plain: bool) -> str:
    """10 to the ``k``: 0.1, 1, 10, 100 in ``plain`` numbers, else 1e-2, 1e-1, 1e0."""
    return _label(10.0**k, max(0, -k)) if plain else f"1e{k}"


def log_ticks(lo: float, hi: float, max_intervals: int) -> tuple[float, float, list[tuple[float, str]]]:
    """A log axis over log10 values ``lo``..``hi``: (lo, hi, ticks) at the powers of ten
    inside it (widened to whole powers when fewer than two are), thinned to at most
    ``max_intervals`` steps; the smallest and largest always stay. Written as plain
    numbers when they all lie in 0.1..100, else all as 1e-k."""
    a, b = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
    if b - a < 1:
        lo, hi = min(lo, math.floor(lo + 1e-9)), max(hi, math.ceil(hi - 1e-9))
        if hi - lo < 1:
            hi = lo + 1
        a, b = round(lo), round(hi)
    every = max(1, math.ceil((b - a) / max(1, max_intervals)))
    powers = sorted({*(k for k in range(a, b + 1) if (k - a) % every == 0 and b - k >= every), a, b})
    plain = a >= -1 and b <= 2
    return lo, hi, [(float(k), power_label(k, plain)) for k in powers]


def iteration_label(e: int) -> str:
    """1, 10, 100, 1k, 10k, 2.5k, 60k: short enough for a tick."""
    if e >= 1000 and e % 100 == 0:
        return f"{e / 1000:g}k"
    return str(e)


# -- the frame every chart shares ----------------------------------------------------------
Ticks = Callable[[int], tuple[float, float, list[tuple[float, str]]]]


@dataclass
class Frame:
    """A chart's panel, title, axes and labels, and where its plot is."""

    plot: Box
    y_lo: float
    y_hi: float
    texts: list[Text2D]
    rects: list[Rect2D]
    lines: list[Polyline2D]

    def px(self, fraction: float) -> float:
        x0, _, x1, _ = self.plot
        return x0 + (x1 - x0) * fraction

    def py(self, value: float) -> float:
        _, y0, _, y1 = self.plot
        return y0 + (y1 - y0) * (value - self.y_lo) / (self.y_hi - self.y_lo)


def _title(title: str, style: ChartStyle, ext: Box) -> tuple[list[Text2D], float]:
    """The title's lines from the top of ``ext``, and where the next row starts."""
    x0, _, x1, y1 = ext
    width = (x1 - x0) * style.w - 2 * style.pad
    size = style.title_size
    while size > 8 and len(wrap(title, size, width)) > style.title_lines:
        size -= 1
    lines = wrap(title, size, width)
    if len(lines) > style.title_lines:  # too long even at the smallest type: the rest on the last line
        lines = [*lines[: style.title_lines - 1], " ".join(lines[style.title_lines - 1 :])]
    size = min(size, *(fit_size(line, size, width) for line in lines))
    step = max(size, style.title_size) * LINE / style.h
    top = y1 - style.pad / style.h
    y = top - (style.title_lines - len(lines)) * step / 2  # a short title: in the middle
    texts = [
        Text2D(line, x0 + style.pad / style.w, y - i * step, size, style.theme.muted)
        for i, line in enumerate(lines)
    ]
    return texts, top - style.title_lines * step


def _thin(items: list[tuple[float, float, float]], gap: float) -> list[int]:
    """Of (position, low edge, high edge) sorted by position, the ones that keep ``gap``
    between neighbours: the first and the last always stay."""
    if len(items) <= 2:
        return list(range(len(items)))
    keep = [0]
    for i in range(1, len(items) - 1):
        if items[i][1] - items[keep[-1]][2] >= gap and items[-1][1] - items[i][2] >= gap:
            keep.append(i)
    return [*keep, len(items) - 1]


def chart_frame(
    box: Box,
    title: str,
    axes: Axes,
    style: ChartStyle,
    y_ticks: Ticks,
    x_ticks: Sequence[tuple[float, str]],
    value: str | None = None,
    marks: Sequence[float] = (),
) -> Frame:
    """Lay a chart out in its extent and draw everything but the data: the panel, the
    title, the y axis's name, the cursor's ``value`` (right, accent), the axes with their
    tick labels (``y_ticks(max_intervals)`` gives the y range and its ticks; ``x_ticks``
    are (fraction of the width, label)), the x axis's name, the accent ``marks`` (as
    fractions of the width) and the note that says what they mark."""
    theme, w, h, tick, pad = style.theme, style.w, style.h, style.tick, style.pad
    ext = chart_extent(box)
    ex0, ey0, ex1, ey1 = ext
    texts, top = _title(title, style, ext)
    rects = [Rect2D(*ext, theme.panel, 0.55)]
    lines: list[Polyline2D] = []
    plot_y1 = ey1 - _header_px(h, style.title_size, style.title_lines) / h
    note = f"| {axes.note}" if marks and axes.note else ""  # a legend: the accent tick, and what it marks

    def layout(rows: int) -> tuple[Box, tuple[float, float, list[tuple[float, str]]], float]:
        """The plot area with ``rows`` rows of text under it, the y axis, the y labels' gap."""
        plot_y0 = ey0 + _footer_px(h, rows) / h
        # the y range and its labels, as many as the height holds, in a gutter on the left
        y_axis = y_ticks(max(1, int((plot_y1 - plot_y0) * h / (tick * LINE * 1.5))))
        first_half = _px(x_ticks[0][1], tick) / 2 if x_ticks and x_ticks[0][0] == 0 else 0.0
        gap = max(pad, first_half + pad / 2)  # the first x label sits under the y labels' gap
        gutter = max((_px(label, tick) for _, label in y_axis[2]), default=0.0) + gap
        last_half = _px(x_ticks[-1][1], tick) / 2 if x_ticks and x_ticks[-1][0] == 1 else 0.0
        return (ex0 + (pad + gutter) / w, plot_y0, ex1 - (pad + last_half) / w, plot_y1), y_axis, gap

    def x_labels(plot: Box) -> list[tuple[float, float, float]]:
        x0, _, x1, _ = plot
        return [
            (p, p - _px(s, tick) / 2 / w, p + _px(s, tick) / 2 / w)
            for p, s in ((x0 + (x1 - x0) * f, s) for f, s in x_ticks)
        ]

    # the x axis's name goes between the x tick labels where it fits (no note), else under them
    plot, y_axis, gap = layout(1)
    xs = x_labels(plot)
    kept = [xs[i] for i in _thin(xs, pad / w)]
    name_w = _px(axes.x, tick) / w
    centre = (plot[0] + plot[2]) / 2
    inline = not note and all(
        b[2] + pad / w <= centre - name_w / 2 or centre + name_w / 2 + pad / w <= b[1] for b in kept
    )
    if not inline:
        plot, y_axis, gap = layout(2)
        xs = x_labels(plot)
    frame = Frame(plot, *y_axis[:2], texts, rects, lines)
    x0, y0, x1, y1 = plot
    lines.append(Polyline2D(((x0, y1), (x0, y0), (x1, y0)), theme.muted, 1.0))

    # under the title: the y axis's name (left) and the cursor's value (right)
    width = (ex1 - ex0) * w - 2 * pad
    reserve = _px("0.00e-00", style.value) + pad
    texts.append(Text2D(axes.y, ex0 + pad / w, top, fit_size(axes.y, tick, width - reserve), theme.muted))
    if value is not None:
        texts.append(Text2D(value, ex1 - pad / w, top, style.value, theme.accent, align="right"))

    half = tick * LINE / 2 / h
    y_labels = y_axis[2]
    ys = [(frame.py(v), frame.py(v) - half, frame.py(v) + half) for v, _ in y_labels]
    for i in _thin(ys, 0.2 * half):
        y = ys[i][0]
        lines.append(Polyline2D(((x0 - 0.6 * pad / w, y), (x0, y)), theme.muted, 1.0))
        texts.append(
            Text2D(y_labels[i][1], x0 - gap / w, y, tick, theme.muted, align="right", valign="center")
        )
    ticks_top = y0 - pad / h
    for i in _thin(xs, pad / w):
        texts.append(Text2D(x_ticks[i][1], xs[i][0], ticks_top, tick, theme.muted, align="center"))

    if inline:
        texts.append(Text2D(axes.x, centre, ticks_top, tick, theme.muted, align="center"))
    else:
        name_top = ticks_top - tick * LINE / h
        room = ex1 - pad / w - x0  # the note (right) goes where the name (left) leaves it room
        if note and name_w + (_px(note, tick) + 2 * pad) / w <= room:
            texts.append(Text2D(note, ex1 - pad / w, name_top, tick, theme.accent, align="right"))
        texts.append(Text2D(axes.x, x0, name_top, fit_size(axes.x, tick, room * w), theme.muted))
    for f in marks:
        lines.append(Polyline2D(((frame.px(f), y0), (frame.px(f), y0 + 0.012)), theme.accent, 2.0))
    return frame


def _drawn(frame: Frame) -> tuple[list[Text2D], list[Rect2D], list[Polyline2D]]:
    return frame.texts, frame.rects, frame.lines


# -- the charts ----------------------------------------------------------------------------
def error_chart(box: Box, series: np.ndarray, timeline: Timeline, epoch: int | None, title: str, axes: Axes,
                style: ChartStyle, logy: bool):  # fmt: skip
    """``series`` per epoch on a log-x axis over the whole run (to its last epoch), drawn
    up to ``epoch`` only (0 or None: nothing yet, no cursor), shown epochs ticked."""
    n = len(series)
    if n == 0:
        return [], [Rect2D(*chart_extent(box), style.theme.panel, 0.55)], []
    span = math.log10(n) if n > 1 else 1.0
    samples = np.unique(np.round(np.logspace(0, math.log10(n), 240)).astype(int))
    values = series[samples - 1]
    finite = np.isfinite(values) & ((values > 0) if logy else True)
    vals = np.log10(values[finite]) if logy else values[finite]
    if vals.size:
        lo, hi = float(vals.min()), float(vals.max())
    else:  # nothing finite (a diverged run): an empty axis
        lo, hi = (-1.0, 0.0) if logy else (0.0, 1.0)
    if logy:
        y_ticks: Ticks = lambda rows: log_ticks(lo, hi, rows)  # noqa: E731
    else:
        y_ticks = lambda rows: linear_ticks(min(lo, 0.0), hi, rows)  # noqa: E731

    def fx(e: float) -> float:
        return math.log10(e) / span if n > 1 else 0.5

    x_ticks = [(fx(e), iteration_label(e)) for e in (1, 10, 100, 1000, 10000, 100000) if e < n]
    x_ticks.append((fx(n), iteration_label(n)))
    here = None
    if epoch is not None and 1 <= epoch <= n and np.isfinite(series[epoch - 1]):
        here = float(series[epoch - 1])
        if logy and here <= 0:
            here = None
    value = None if here is None else (f"{here:.2e}" if logy else fmt(here, 5))
    marks = [fx(e) for e in timeline.shown_epochs if 1 <= e <= n]
    frame = chart_frame(box, title, axes, style, y_ticks, x_ticks, value, marks)

    # the curve is drawn up to the current iteration only: no spoilers of the future
    upto = epoch or 0
    pts = tuple(
        (frame.px(fx(e)), frame.py(v)) for e, v in zip(samples[finite], vals, strict=True) if e <= upto
    )
    if here is not None:
        pts = (*pts, (frame.px(fx(epoch)), frame.py(math.log10(here) if logy else here)))
        _, y0, _, y1 = frame.plot
        frame.lines.append(
            Polyline2D(((frame.px(fx(epoch)), y0), (frame.px(fx(epoch)), y1)), style.theme.accent, 2.0)
        )
    if len(pts) > 1:
        frame.lines.insert(1, Polyline2D(pts, style.theme.text, 2.0))
    return _drawn(frame)


def fit_chart(box: Box, fit: FitCurve, epoch: int | None, title: str, axes: Axes, style: ChartStyle):
    """The true function and the network's curve at the current (or last shown) epoch."""
    shown = sorted(fit.predictions)
    at = max((e for e in shown if epoch is not None and e <= epoch), default=shown[0])
    prediction = fit.predictions[at]
    ys = np.concatenate([fit.truth, prediction[np.isfinite(prediction)]])
    lo, hi = float(ys.min()), float(ys.max())
    x_ticks = [(0.0, fmt(float(fit.x[0]), 1)), (1.0, fmt(float(fit.x[-1]), 1))]
    frame = chart_frame(
        box, title, axes, style, lambda rows: linear_ticks(lo, hi, rows), x_ticks, f"it. {at}"
    )
    xs = (fit.x - fit.x[0]) / (fit.x[-1] - fit.x[0])

    def points(values: np.ndarray) -> tuple[tuple[float, float], ...]:
        v = np.clip(values, frame.y_lo, frame.y_hi)
        return tuple((frame.px(float(a)), frame.py(float(b))) for a, b in zip(xs, v, strict=True))

    frame.lines.append(Polyline2D(points(fit.truth), style.theme.target, 2.0))
    frame.lines.append(Polyline2D(points(np.nan_to_num(prediction, nan=frame.y_lo)), style.theme.text, 2.0))
    return _drawn(frame)


def lines_chart(box: Box, series, epoch: int | None, title: str, axes: Axes, style: ChartStyle,
                last: str | None = None):  # fmt: skip
    """Several per-epoch series on linear axes, drawn up to ``epoch`` (seed 001's charts)."""
    n = len(series[0][0])
    values = np.concatenate([v[np.isfinite(v)] for v, _ in series])
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    x_ticks = [(0.0, "1"), (1.0, last or str(n))]
    frame = chart_frame(box, title, axes, style, lambda rows: linear_ticks(lo, hi, rows), x_ticks)
    upto = min(n, epoch or 0)
    for index, (v, colour) in enumerate(series):
        width = 2.0 if index < 4 else 1.0  # the first four are weights, then biases, thinner
        pts = tuple(
            (frame.px(e / max(1, n - 1)), frame.py(float(v[e]))) for e in range(upto) if np.isfinite(v[e])
        )
        if len(pts) > 1:
            frame.lines.append(Polyline2D(pts, colour, width))
    return _drawn(frame)


def trajectory_chart(box: Box, path: dict[int, np.ndarray], epoch: int | None, title: str, style: ChartStyle):
    """Seed 003's parameter trajectory: each row of W1 is a point in 3D (its entries) moving
    over training, drawn as its three 2D projections side by side, up to the current epoch."""
    x0, y0, x1, y1 = box
    theme = style.theme
    rects = [Rect2D(*chart_extent(box), theme.panel, 0.55)]
    texts, below = _title(title, style, chart_extent(box))
    y1 = min(y1, below - style.pad / style.h)  # the plots start under the title
    epochs = sorted(path)
    stack = np.array([path[e] for e in epochs])  # (epochs, rows, entries)
    upto = [i for i, e in enumerate(epochs) if epoch is not None and e <= epoch]
    entries = stack.shape[2]
    pairs = [(a, b) for a in range(entries) for b in range(a + 1, entries)][:3] or [(0, 0)]
    colours = [theme.positive, theme.negative, theme.target, theme.accent]
    lines: list[Polyline2D] = []
    tick = style.tick
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


def run_chart(
    box, series, epoch: int | None, marks, title: str, x_label: str, theme: Theme, w: int, h: int,
    min_size: int = 9, written=None,
):  # fmt: skip
    """The epilogue's chart, big enough for a lecture hall: ``series`` (one value per epoch)
    on log x and log y axes with labelled decades, drawn up to ``epoch``; the ``marks``
    reached so far get a dot and their value (only those in ``written`` where it is given,
    and the current one, in the accent colour)."""
    x0, y0, x1, y1 = box
    rects = [Rect2D(x0, y0, x1, y1, theme.panel, 0.7)]
    title_size, tick = max(min_size, round(h * 0.03)), max(min_size, round(h * 0.023))
    texts = [Text2D(title, x0 + 0.012, y1 - 0.012, title_size, theme.text, bold=True)]
    lines: list[Polyline2D] = []
    n = len(series)
    positive = series[np.isfinite(series) & (series > 0)]
    if n < 2 or not positive.size:
        return texts, rects, lines
    lo, hi = math.floor(math.log10(positive.min())), math.ceil(math.log10(positive.max()))
    hi = max(hi, lo + 1)
    label_w = 6.5 * tick * 0.55 / w  # "0.0001" and some air
    px0, px1 = x0 + 0.012 + label_w, x1 - 0.03
    # the x axis: its numbers, its name close under them (at 0.075 of the height, the
    # name a line and a third under them, its descenders touched the frame's edge)
    py0, py1 = y0 + 0.095, y1 - 0.03 - 1.5 * title_size / h

    def px(e: float) -> float:
        return px0 + (px1 - px0) * math.log10(e) / math.log10(n)

    def py(v: float) -> float:
        return py0 + (py1 - py0) * (math.log10(v) - lo) / (hi - lo)

    # the decades: a faint line each, and their numbers where a line apart is room for them
    # (the hall's 0.1, 0.01 and 0.001 overlapped), else every other one, 1 among them
    every = math.ceil(tick / max(1e-9, (py1 - py0) / (hi - lo) * h))
    for d in range(lo, hi + 1):
        y = py(10.0**d)
        lines.append(Polyline2D(((px0, y), (px1, y)), theme.ghost, 1.0))
        if d % every:
            continue
        label = f"{10.0**d:g}" if d >= -4 else f"1e{d}"
        texts.append(Text2D(label, px0 - 0.008, y, tick, theme.muted, align="right", valign="center"))
    lines.append(Polyline2D(((px0, py1), (px0, py0), (px1, py0)), theme.muted, 2.0))
    decades = [10**k for k in range(len(str(n))) if 10**k <= n]
    for e in decades + ([n] if math.log10(n / decades[-1]) > 0.2 else []):
        lines.append(Polyline2D(((px(e), py0), (px(e), py0 - 0.01)), theme.muted, 2.0))
        texts.append(Text2D(str(e), px(e), py0 - 0.014, tick, theme.muted, align="center"))
    # the x axis's name, where it stands 8 px (at 720p) clear of the frame; the hall's type
    # leaves it no room, and its title says "per iteration"
    name_at = py0 - 0.014 - 1.1 * tick / h
    if name_at - 1.2 * tick / h >= 8 / 720:
        texts.append(Text2D(x_label, px1, name_at, tick, theme.muted, align="right"))
    upto = min(n, epoch or 0)
    samples = np.unique(np.round(np.logspace(0, math.log10(n), 400)).astype(int))
    samples = np.append(samples[samples < upto], upto) if upto else samples[:0]
    good = [e for e in samples if np.isfinite(series[e - 1]) and series[e - 1] > 0]
    pts = tuple((px(e), py(float(series[e - 1]))) for e in good)
    if len(pts) > 1:
        lines.append(Polyline2D(pts, theme.text, 3.0))
    finite = np.isfinite(series) & (series > 0)
    reached = [m for m in marks if 1 <= m <= upto and finite[m - 1]]
    dots = {}
    for m in reached:  # every dot first: labels must not cover one
        r = (7 if m == upto else 5) / h
        x, y = px(m), py(float(series[m - 1]))
        dots[m] = (x - r * h / w, y - r, x + r * h / w, y + r)
        rects.append(Rect2D(*dots[m], theme.accent if m == upto else theme.text, 1.0))
    # the title's line too: iteration 10's value, up and right of its dot near the top, was
    # written over "(log scales)" (review 54b)
    head = texts[0]  # (top-aligned at its anchor)
    title_box = (head.x, head.y - 1.15 * head.size / h, head.x + text_width_em(title) * head.size / w, head.y)
    placed = [*dots.values(), title_box]
    # the current value first, up and right of its dot, else down and right, or else in the
    # plot's top right corner (in its colour); then the earlier ones from the right, each up
    # and right of its dot, else down and right, up and left, down and left of it, or half a
    # line higher right or left, a place the curve does not cross first (two reviews saw the
    # curve strike "0.04303" through); left out where each would cover a dot or a label
    for m in sorted(reached, key=lambda m: (m != upto, -m)):
        current = m == upto
        if not current and written is not None and m not in written:
            continue
        color, size = (theme.accent, round(tick * 1.3)) if current else (theme.text, tick)
        label = fmt(float(series[m - 1]), 5)
        width, height = len(label) * 0.6 * size / w, 1.15 * size / h
        dx0, dy0, dx1, dy1 = dots[m]
        right, left = dx1 + 0.003, dx0 - 0.003 - width
        spots = [(right, dy1), (right, dy0 - height), (left, dy1), (left, dy0 - height),
                 (right, dy1 + height / 2), (left, dy1 + height / 2)]  # fmt: skip
        if not current:  # an earlier one under or over its dot first: left of it, 0.49531 at
            # iteration 10 was read as iteration 3's (reviews 58b, 60b)
            centre = (dx0 + dx1) / 2 - width / 2
            spots = [(centre, dy0 - height - 0.004), (centre, dy1 + 0.004), *spots]
        spots = [(a, b, a + width, b + height) for a, b in spots[: 2 if current else None]]
        free = [
            q
            for q in spots
            if q[0] >= px0 and q[2] <= x1 - 0.005 and q[1] >= py0 and not any(_overlap(q, o) for o in placed)
        ]
        if free:
            spot = next((q for q in free if not _crosses(q, pts)), free[0])
        elif current:
            spot = (px1 - width, py1 - height, px1, py1)
        else:
            continue
        placed.append(spot)
        texts.append(Text2D(label, spot[0], spot[1], size, color, bold=current, valign="bottom"))
    return texts, rects, lines


def _crosses(box: tuple[float, float, float, float], points: tuple[tuple[float, float], ...]) -> bool:
    """Whether a polyline (sampled densely, as the run charts' 400 points are) passes through
    ``box``."""
    return any(box[0] < x < box[2] and box[1] < y < box[3] for x, y in points)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two boxes (x0, y0, x1, y1) overlap."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
