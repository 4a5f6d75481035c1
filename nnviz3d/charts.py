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
