"""The inset charts: error or accuracy per iteration, the fit, weight statistics, paths.

Each chart takes its box (x0, y0, x1, y1 in 0..1 of the frame) and returns its texts,
rectangles and polylines; nothing is drawn past the current iteration.
"""

from __future__ import annotations

import math

import numpy as np

from nnviz3d.primitives import Polyline2D, Rect2D, Text2D, Theme
from nnviz3d.timeline import FitCurve, Timeline, fmt


def error_chart(box, series, timeline: Timeline, epoch, title, size: int, theme: Theme, h: int, logy: bool):
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


def fit_chart(box, fit: FitCurve, epoch: int | None, title: str, size: int, theme: Theme, h: int):
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


def lines_chart(
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


def trajectory_chart(box, path: dict[int, np.ndarray], epoch: int | None, title: str, size: int,
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


def run_chart(box, series, epoch: int | None, marks, title: str, x_label: str, theme: Theme, w: int, h: int):
    """The epilogue's chart, big enough for a lecture hall: ``series`` (one value per epoch)
    on log x and log y axes with labelled decades, drawn up to ``epoch``; the ``marks``
    reached so far get a dot and their value, the current one in the accent colour."""
    x0, y0, x1, y1 = box
    rects = [Rect2D(x0, y0, x1, y1, theme.panel, 0.7)]
    title_size, tick = round(h * 0.03), max(9, round(h * 0.023))
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
    py0, py1 = y0 + 0.075, y1 - 0.03 - 1.5 * title_size / h

    def px(e: float) -> float:
        return px0 + (px1 - px0) * math.log10(e) / math.log10(n)

    def py(v: float) -> float:
        return py0 + (py1 - py0) * (math.log10(v) - lo) / (hi - lo)

    for d in range(lo, hi + 1):  # the decades: a faint line and the number
        y = py(10.0**d)
        lines.append(Polyline2D(((px0, y), (px1, y)), theme.ghost, 1.0))
        label = f"{10.0**d:g}" if d >= -4 else f"1e{d}"
        texts.append(Text2D(label, px0 - 0.008, y, tick, theme.muted, align="right", valign="center"))
    lines.append(Polyline2D(((px0, py1), (px0, py0), (px1, py0)), theme.muted, 2.0))
    decades = [10**k for k in range(len(str(n))) if 10**k <= n]
    for e in decades + ([n] if math.log10(n / decades[-1]) > 0.2 else []):
        lines.append(Polyline2D(((px(e), py0), (px(e), py0 - 0.01)), theme.muted, 2.0))
        texts.append(Text2D(str(e), px(e), py0 - 0.014, tick, theme.muted, align="center"))
    texts.append(Text2D(x_label, px1, py0 - 0.014 - 1.3 * tick / h, tick, theme.muted, align="right"))
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
    placed = list(dots.values())
    # the current value first, up and right of its dot or else in the plot's top right
    # corner (in its colour); then the earlier ones from the right, each up and right of
    # its dot, left out where it would cover a dot or a label (a narrow chart)
    for m in sorted(reached, key=lambda m: (m != upto, -m)):
        current = m == upto
        color, size = (theme.accent, round(tick * 1.3)) if current else (theme.text, tick)
        label = fmt(float(series[m - 1]), 5)
        width, height = len(label) * 0.6 * size / w, 1.15 * size / h
        left, bottom = dots[m][2] + 0.003, dots[m][3]
        spot = (left, bottom, left + width, bottom + height)
        if spot[2] > x1 - 0.005 or any(_overlap(spot, other) for other in placed):
            if not current:
                continue
            spot = (px1 - width, py1 - height, px1, py1)
        placed.append(spot)
        texts.append(Text2D(label, spot[0], spot[1], size, color, bold=current, valign="bottom"))
    return texts, rects, lines


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two boxes (x0, y0, x1, y1) overlap."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
