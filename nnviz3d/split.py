"""The split screen of a comparison ([compare] runs: XOR from weights rounded to 7, 4, 3
decimals) in hall and lecture: each run's network in a tile of its own under its name
and score, one chart with every run's loss per iteration, and the words in the whole
frame's type (a quarter of a 720p frame would otherwise have 360p's type).

Pure data like ``frames``: :func:`split_layout` places the tiles, :func:`split_state` is
the frame around them (the tiles are each run's ``frame_state`` at tile size, with the
``tile`` screen: the network only). ``pipeline.FrameSource`` renders and pastes them.
Study keeps its four whole frames side by side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from nnviz3d.hud import BIG_TEXT as HUD_BIG_TEXT
from nnviz3d.hud import MIN_TEXT as HUD_MIN_TEXT
from nnviz3d.hud import wrap
from nnviz3d.primitives import THEMES, Camera, FrameState, Polyline2D, Rect2D, Text2D, Theme, fit_size
from nnviz3d.text import message
from nnviz3d.timeline import Timeline, fmt

Box = tuple[float, float, float, float]

MIN_TEXT, BIG_TEXT = HUD_MIN_TEXT["lecture"], HUD_BIG_TEXT["lecture"]  # of the whole frame's height
HEADER_Y = 0.875  # the title and the iteration above it; the tiles and the chart under it
TILES_X1 = 0.625  # the tiles' block on the left; the chart on the right
#: the right column's two plot areas (titles above them, ticks around) and the legend
LOSS_CHART = (0.69, 0.615, 0.975, 0.80)
GAP_CHART = (0.69, 0.33, 0.975, 0.515)
LEGEND_TOP = 0.255


@dataclass(frozen=True)
class SplitLayout:
    """Where each run goes: ``cells`` (0..1 from the bottom left: its name, its score and
    its tile under them), ``tiles`` as pixel boxes (column, row from the top, width,
    height; every tile the same size)."""

    cells: tuple[Box, ...]
    tiles: tuple[tuple[int, int, int, int], ...]
    label_height: float  # of the frame: the name and score lines over each tile

    @property
    def tile_size(self) -> tuple[int, int]:
        return self.tiles[0][2], self.tiles[0][3]


def split_layout(n: int, width: int, height: int) -> SplitLayout:
    """Up to four runs in a 2x2 block (one or two: side by side) left of the chart."""
    cols = 1 if n == 1 else 2
    rows = 1 if n <= 2 else 2
    big, small = round(height * BIG_TEXT), round(height * MIN_TEXT)
    label_h = (big * 1.2 + small * 1.35) / height
    cell_w, cell_h = TILES_X1 / cols, (HEADER_Y - 0.01) / rows
    tile_w = int((cell_w - 0.01) * width) // 2 * 2
    tile_h = int((cell_h - label_h - 0.01) * height) // 2 * 2
    cells, tiles = [], []
    for i in range(n):
        r, c = divmod(i, cols)
        x0, y1 = c * cell_w + 0.005, HEADER_Y - r * cell_h
        cells.append((x0, y1 - cell_h, x0 + cell_w - 0.01, y1))
        top = round((1 - (y1 - label_h)) * height)
        tiles.append((round(x0 * width), min(top, height - tile_h), tile_w, tile_h))
    return SplitLayout(tuple(cells), tuple(tiles), label_h)


def tile_timeline(timeline: Timeline) -> Timeline:
    """A run as its tile draws it: the network only (``hud.LAYOUTS['tile']`` has no panels)."""
    return replace(timeline, screen="tile")


def run_colours(theme: Theme) -> tuple[tuple[float, float, float], ...]:
    """One colour per run, in the tiles' names, the chart and its legend."""
    return (theme.text, theme.accent, theme.target, theme.backward)


def run_label(timeline: Timeline, index: int) -> str:
    if timeline.comparison is not None:
        return timeline.comparison[0]
    return timeline.title if index == 0 else f"{index + 1}"


def split_state(
    timelines: list[Timeline], frame: int, width: int, height: int, theme_name: str
) -> FrameState:
    """Everything of a split-screen frame but the networks: the title and the iteration,
    each run's name and score over its tile, the chart of every run's loss and its legend;
    a card fills the frame."""
    theme = THEMES[theme_name]
    first = timelines[0]
    step = first.step_at(frame)
    lang = first.lang
    big, small = round(height * BIG_TEXT), round(height * MIN_TEXT)
    texts: list[Text2D] = []
    rects: list[Rect2D] = []
    lines: list[Polyline2D] = []
    colours = run_colours(theme)
    if step.card is not None:
        title = step.card[0]
        labels = ", ".join(run_label(t, i) for i, t in enumerate(timelines))
        subtitle = message(lang, "compare_sub", labels=labels)
        title_size = fit_size(title, round(height * 0.06), width * 0.92)
        texts.append(Text2D(title, 0.5, 0.62, title_size, theme.text, bold=True, align="center"))
        texts.append(
            Text2D(wrap(subtitle, small, width * 0.9), 0.5, 0.50, small, theme.muted, align="center")
        )
        return _state(step.index, width, height, theme, texts, rects, lines, first)
    # the header: what this is, and when
    iteration = message(lang, "iteration", e=step.epoch, n=first.total_epochs) if step.epoch else ""
    texts.append(Text2D(iteration, 0.985, 0.985, big, theme.text, bold=True, align="right"))
    room = width * 0.97 - (len(iteration) * 0.6 + 2) * big
    texts.append(Text2D(first.title, 0.015, 0.985, max(small, fit_size(first.title, big, room)), theme.text,
                        bold=True))  # fmt: skip
    targets = " ".join(str(int(t)) for t in np.argmax(step.visual.targets, axis=1))
    # what differs from the lecture's network first (reviews 56a, 57a: "the same network"
    # read as iamtrask's, whose loss never peaks at 4)
    shape = "-".join(str(n) for n in first.layout.layers)
    note = message(lang, "compare_note", t=targets, shape=shape)
    texts.append(
        Text2D(note, 0.015, 0.985 - big * 1.3 / height, fit_size(note, small, width * 0.97), theme.muted)
    )
    # each run: its name in its colour, its score at this iteration
    layout = split_layout(len(timelines), width, height)
    for i, (timeline, cell) in enumerate(zip(timelines, layout.cells, strict=True)):
        s = timeline.step_at(frame)
        x0, _, x1, y1 = cell
        label = run_label(timeline, i)
        size = max(small, fit_size(label, big, (x1 - x0 + 0.01) * width))  # to the next cell's edge
        texts.append(Text2D(label, x0, y1, size, colours[i % 4], bold=True))
        if "loss" in s.values:
            argmax = " ".join(str(int(a)) for a in np.argmax(s.visual.outputs, axis=1))
            score = message(lang, "compare_score", loss=fmt(s.values["loss"], 4), argmax=argmax)
            texts.append(Text2D(score, x0, y1 - big * 1.2 / height, small, theme.text))
    _chart(timelines, step.epoch, theme, width, height, texts, lines, rects)
    return _state(step.index, width, height, theme, texts, rects, lines, first)


def _chart(timelines, epoch, theme, width, height, texts, lines, rects) -> None:
    """Every run's loss per iteration on one log-x axis, drawn up to ``epoch``; under it how
    far each run's loss is from the first run's (log y: the butterfly's growth from a
    nudge in the 8th decimal); the legend says how each run's initial weights differ."""
    lang = timelines[0].lang
    small = round(height * MIN_TEXT)
    n = max(len(t.losses) for t in timelines if t.losses is not None)
    upto = min(epoch or 0, n)
    colours = run_colours(theme)
    x0, _, x1, _ = LOSS_CHART
    rects.append(Rect2D(x0 - 0.05, 0.01, 0.995, LOSS_CHART[3] + 0.075, theme.panel, 0.45))

    def px(e: float) -> float:
        return x0 + (x1 - x0) * math.log10(e) / math.log10(max(n, 2))

    es = np.arange(1, upto + 1)
    losses = [t.losses if t.losses is not None else np.full(n, np.nan) for t in timelines]
    top = max(float(np.nanmax(v)) for v in losses)
    curves = [(i, v[:upto]) for i, v in enumerate(losses)]
    _plot(LOSS_CHART, message(lang, "compare_chart"), curves, es, px, (0.0, float(math.ceil(top))), False,
          colours, theme, small, height, texts, lines)  # fmt: skip
    gaps = [(i, np.abs(v[:upto] - losses[0][:upto])) for i, v in enumerate(losses) if i]
    title = message(lang, "compare_gap", label=run_label(timelines[0], 0))
    _plot(GAP_CHART, title, gaps, es, px, (-8.0, 1.0), True, colours, theme, small, height, texts, lines)
    for chart in (LOSS_CHART, GAP_CHART):  # the iteration on screen
        if upto:
            lines.append(Polyline2D(((px(upto), chart[1]), (px(upto), chart[3])), theme.muted, 1.0))
    for e in sorted({1, 10, 100, 1000, 10000, n}):  # the shared iteration axis, labelled once
        if e <= n:
            for chart in (LOSS_CHART, GAP_CHART):
                lines.append(Polyline2D(((px(e), chart[1] - 0.012), (px(e), chart[1])), theme.muted, 2.0))
            texts.append(Text2D(str(e), px(e), GAP_CHART[1] - 0.016, small, theme.muted, align="center"))
    # the legend: each run's colour and name, and how far rounding moved its initial weights
    lx0, lx1 = x0 - 0.04, 0.985
    y = LEGEND_TOP
    texts.append(Text2D(message(lang, "compare_head"), lx0, y, small, theme.muted))
    texts.append(Text2D(message(lang, "compare_change"), lx1, y, small, theme.muted, align="right"))
    for i, timeline in enumerate(timelines):
        y -= small * 1.35 / height
        colour = colours[i % 4]
        change = timeline.comparison[1] if timeline.comparison is not None else 0.0
        mid = y - small * 0.5 / height
        lines.append(Polyline2D(((lx0, mid), (lx0 + 0.025, mid)), colour, 5.0))
        # (under "initial weights", "7 decimals" says it: "rounded to 7 decimals" ran into its value)
        name = run_label(timeline, i).removeprefix("rounded to ")
        texts.append(Text2D(name, lx0 + 0.033, y, small, colour))
        texts.append(Text2D(f"{change:.1e}" if change else "-", lx1, y, small, colour, align="right"))


def _plot(box, title, curves, es, px, y_range, log, colours, theme, small, height, texts, lines) -> None:
    """One chart of per-iteration curves (index, values) over the iterations ``es``; ``log``:
    the values' log10 on the y axis, ticks at powers of ten."""
    x0, y0, x1, y1 = box
    lo, hi = y_range
    texts.append(Text2D(title, x0 - 0.04, y1 + 0.065, small, theme.muted))

    def py(v: float) -> float:
        return y0 + (y1 - y0) * (min(max(v, lo), hi) - lo) / (hi - lo)

    lines.append(Polyline2D(((x0, y1), (x0, y0), (x1, y0)), theme.muted, 2.0))
    ticks = range(int(lo), int(hi) + 1, 4 if log else 1)
    for v in ticks:
        label = ("1" if v == 0 else f"1e{v}") if log else str(v)
        lines.append(Polyline2D(((x0 - 0.006, py(v)), (x0, py(v))), theme.muted, 2.0))
        texts.append(Text2D(label, x0 - 0.01, py(v), small, theme.muted, align="right", valign="center"))
    for i, values in reversed(curves):  # the first run on top
        with np.errstate(divide="ignore"):
            ys = np.log10(values) if log else values
        keep = np.isfinite(ys)
        pts = tuple((px(float(e)), py(float(v))) for e, v in zip(es[keep], ys[keep], strict=True))
        if len(pts) > 1:
            lines.append(Polyline2D(pts, colours[i % 4], 2.0))


def _state(index, width, height, theme, texts, rects, lines, timeline: Timeline) -> FrameState:
    none3, none = np.zeros((0, 3)), np.zeros(0)
    return FrameState(
        key=(index, 0),
        width=width,
        height=height,
        theme=theme,
        sphere_centers=none3, sphere_radii=none, sphere_colors=none3,
        halo_centers=none3, halo_radii=none, halo_colors=none3,
        cylinder_centers=none3, cylinder_directions=none3, cylinder_lengths=none, cylinder_radii=none,
        cylinder_colors=none3,
        labels=(),
        texts=tuple(texts),
        rects=tuple(rects),
        polylines=tuple(lines),
        camera=Camera((0.0, 0.0, 10.0), (0.0, 0.0, 0.0), (0.0, 1.0, 0.0), 30.0, (0.0, 0.0)),
        font_file=timeline.font,
        mono_font_file=timeline.mono_font,
        bold_font_file=timeline.bold_font,
        mono_bold_font_file=timeline.mono_bold_font,
    )  # fmt: skip
