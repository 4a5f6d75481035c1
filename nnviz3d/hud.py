"""The 2D layer around the network: a table of regions per layout, one function per panel.

A layout names the panels it shows and the box (x0, y0, x1, y1 in 0..1 of the frame,
from the bottom left) each one gets; a panel draws its texts, rectangles and lines in
that box and nowhere else. Adding a panel is one function here and one row in the
layouts that show it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from nnviz3d.charts import error_chart, fit_chart, lines_chart, run_chart, trajectory_chart
from nnviz3d.primitives import Polyline2D, Rect2D, Text2D, Theme, fit_size, text_width_em
from nnviz3d.text import message
from nnviz3d.timeline import Step, Timeline, fmt

Box = tuple[float, float, float, float]

MIN_CODE_PX = 8  # the smallest type of the code panel
PANEL_HEIGHT = 0.30  # the values panel's share of the frame height (the network starts above)


@dataclass(frozen=True)
class Hud:
    """What every panel may read: the step on screen, the whole timeline, the frame size."""

    timeline: Timeline
    step: Step
    theme: Theme
    width: int
    height: int

    @property
    def lang(self) -> str:
        return self.timeline.lang

    def t(self, key: str, **values: object) -> str:
        return message(self.timeline.lang, key, **values)


@dataclass
class Overlay:
    """The primitives the panels have drawn so far, in drawing order."""

    texts: list[Text2D] = field(default_factory=list)
    rects: list[Rect2D] = field(default_factory=list)
    lines: list[Polyline2D] = field(default_factory=list)


Panel = Callable[[Hud, Box, Overlay], None]
PANELS: dict[str, Panel] = {}


def panel(name: str) -> Callable[[Panel], Panel]:
    def register(draw: Panel) -> Panel:
        PANELS[name] = draw
        return draw

    return register


def overlay(
    timeline: Timeline, step: Step, theme: Theme, width: int, height: int, layout: str = "study"
) -> tuple[tuple[Text2D, ...], tuple[Rect2D, ...], tuple[Polyline2D, ...]]:
    """The 2D layer of one frame: every panel of ``layout`` in its region."""
    hud = Hud(timeline, step, theme, width, height)
    out = Overlay()
    for name, box in LAYOUTS[layout](hud):
        PANELS[name](hud, box, out)
    return tuple(out.texts), tuple(out.rects), tuple(out.lines)


# -- the layouts -------------------------------------------------------------------------
def _records_rows(hud: Hud) -> tuple[int, float]:
    n_rows = len(hud.step.records)
    return n_rows, (min(0.045, 0.36 / (n_rows + 1)) if n_rows else 0.0)


def _code_floor(hud: Hud) -> float:
    """Where the code panel at its smallest type reaches up to."""
    return 0.07 + len(hud.timeline.code) * MIN_CODE_PX * 1.3 / hud.height


def study_regions(hud: Hud) -> list[tuple[str, Box]]:
    """Every panel, as in a study video on a laptop: records, legend and code down the
    left, the values bottom right, two charts bottom centre."""
    n_rows, row_h = _records_rows(hud)
    legend_top = min(0.58, 0.80 - (n_rows + 1) * row_h - 0.01)
    legend_bottom = _legend_bottom(hud, legend_top, _code_floor(hud))
    return [
        ("header", (0.015, 0.82, 0.985, 0.985)),
        ("caption", (0.015, 0.84, 0.985, 0.89)),
        ("records", (0.015, 0.80 - (n_rows + 1) * row_h, 0.30, 0.80)),
        ("legend", (0.015, _code_floor(hud), 0.275, legend_top)),
        ("code", (0.006, 0.008, 0.306, legend_bottom - 0.04)),
        ("values", (0.70, 0.008, 0.993, 0.02 + PANEL_HEIGHT)),
        ("progress_chart", (0.325, 0.05, 0.495, 0.22)),
        ("detail_chart", (0.525, 0.05, 0.695, 0.22)),
        ("card", (0.0, 0.40, 1.0, 0.66)),
        ("epilogue_chart", (0.31, 0.0, 0.99, 0.28)),
    ]


LAYOUTS: dict[str, Callable[[Hud], list[tuple[str, Box]]]] = {"study": study_regions}


# -- the panels --------------------------------------------------------------------------
@panel("header")
def header(hud: Hud, box: Box, out: Overlay) -> None:
    """The scene's title (left), the iteration and the display error (right)."""
    step, timeline, theme, h, lang = hud.step, hud.timeline, hud.theme, hud.height, hud.lang
    x0, y0, x1, y1 = box
    out.texts.append(
        Text2D(timeline.title, x0, y1, fit_size(timeline.title, round(h * 0.03), hud.width * 0.55),
               theme.muted, bold=True)
    )  # fmt: skip
    if step.epoch and timeline.n_batches > 1:
        it = message(lang, "epoch_batch", e=step.epoch, n=timeline.total_epochs, b=step.batch,
                     nb=timeline.n_batches)  # fmt: skip
    elif step.epoch:
        it = message(lang, "iteration", e=step.epoch, n=timeline.total_epochs)
    else:
        it = message(lang, "before_training")
    out.texts.append(Text2D(it, x1, y1, round(h * 0.032), theme.text, bold=True, align="right"))
    de = message(lang, "display_error_none")
    if step.display_error is not None and timeline.n_batches > 1:  # one batch's error, not the epoch's
        de = message(
            lang, "batch_error_hud", e=step.display_error_epoch, b=step.batch, v=fmt(step.display_error, 5)
        )
    elif step.display_error is not None:
        de = message(lang, "display_error_hud", e=step.display_error_epoch, v=fmt(step.display_error, 5))
    out.texts.append(Text2D(de, x1, y1 - 0.05, round(h * 0.028), theme.accent, align="right"))
    if step.visual.diverged:  # under the caption, right: the legend column is full already
        warn = message(lang, "legend_invalid")
        out.texts.append(Text2D(warn, x1, y0, round(h * 0.026), theme.invalid, align="right"))


@panel("caption")
def caption(hud: Hud, box: Box, out: Overlay) -> None:
    """What this step does, with its numbers plugged in (cards say it in the middle)."""
    step = hud.step
    if step.card is not None:
        return
    x0, _, x1, y1 = box
    size = fit_size(step.caption, round(hud.height * 0.034), hud.width * (x1 - x0))
    out.texts.append(Text2D(step.caption, x0, y1, size, hud.theme.text, bold=True))


@panel("records")
def records(hud: Hud, box: Box, out: Overlay) -> None:
    """The training records, the current one marked."""
    step, theme, h = hud.step, hud.theme, hud.height
    n_rows, row_h = _records_rows(hud)
    rec_size = min(round(h * 0.024), int(row_h * h * 0.8)) if n_rows else round(h * 0.024)
    if not step.records:
        return
    x0, _, _, top = box
    width_x = max(len(x) for x, _ in step.records)
    head = f"{hud.t('records_header'):>4}  {'X':<{width_x}}   y"
    out.texts.append(Text2D(head, x0, top, rec_size, theme.muted, mono=True))
    for i, (x, t) in enumerate(step.records):
        current = step.visual.current_record == i
        line = f"{'>' if current else ' '} {i + 1:>2}  {x:<{width_x}}   {t}"
        out.texts.append(
            Text2D(line, x0, top - (i + 1) * row_h, rec_size, theme.accent if current else theme.text,
                   mono=True, bold=current)
        )  # fmt: skip


def _legend_lines(hud: Hud) -> list[tuple[str, tuple[float, float, float]]]:
    step, theme, lang = hud.step, hud.theme, hud.lang
    legend = [
        (message(lang, "legend_positive"), theme.positive),
        (message(lang, "legend_negative"), theme.negative),
        (message(lang, "legend_thickness"), theme.muted),
        (message(lang, "legend_size"), theme.muted),
    ]
    if hud.timeline.layout.n_records:
        legend.append((message(lang, "legend_squares"), theme.muted))
    if step.visual.satellite_signed or not np.all(np.isnan(step.visual.halos)):
        legend.append((message(lang, "legend_signs"), theme.muted))
    if step.visual.satellite_signed:
        legend.append((message(lang, "legend_beads_log"), theme.muted))
    elif not np.all(np.isnan(step.visual.satellites)):
        legend.append((message(lang, "legend_beads"), theme.muted))
    return legend


def _legend_step(hud: Hud) -> float:
    return round(hud.height * 0.02) * 1.35 / hud.height


def _legend_rows(hud: Hud, top: float, floor: float) -> list[tuple[str, tuple[float, float, float], float]]:
    """The legend's lines with their heights; in a small frame (a quarter of the split
    screen) the lines under ``floor`` give way from the last grey one, colours stay."""
    rows = []
    y = top
    for text, color in _legend_lines(hud):
        if y < floor and color == hud.theme.muted:
            break
        rows.append((text, color, y))
        y -= _legend_step(hud)
    return rows


def _legend_bottom(hud: Hud, top: float, floor: float) -> float:
    y = top
    for _ in _legend_rows(hud, top, floor):
        y -= _legend_step(hud)
    return y


@panel("legend")
def legend(hud: Hud, box: Box, out: Overlay) -> None:
    """What colour, thickness and size mean."""
    x0, y0, x1, y1 = box
    size = round(hud.height * 0.02)
    for text, color, y in _legend_rows(hud, y1, y0):
        out.texts.append(Text2D(text, x0, y, fit_size(text, size, hud.width * (x1 - x0)), color))


_TOKEN = re.compile(r"(#.*$)|(\b(?:for|in|range|print|def|return)\b)|(\b\d+(?:\.\d+)?\b)|([^#\w]+)|(\w+)")


def code_runs(line: str) -> list[tuple[int, str, str]]:
    """(column, text, kind) runs of one code line: comment, keyword, number, punct, name."""
    runs = []
    for m in _TOKEN.finditer(line):
        kind = ("comment", "keyword", "number", "punct", "name")[m.lastindex - 1]
        runs.append((m.start(), m.group(0), kind))
    return runs


@panel("code")
def code(hud: Hud, box: Box, out: Overlay) -> None:
    """The iamtrask-style code, syntax coloured, the executing line on a highlight bar."""
    step, theme, timeline, width, h = hud.step, hud.theme, hud.timeline, hud.width, hud.height
    x0, y0, x1, y1 = box
    listing = timeline.code
    if width * (x1 - x0) / text_width_em(max(listing, key=len) + "  ", True) < MIN_CODE_PX:
        # too narrow for the whole listing at the smallest type: the comments go
        listing = tuple(re.sub(r"\s+#.*$", "", line) for line in listing)
    size = fit_size(max(listing, key=len) + "  ", round(h * 0.021), width * (x1 - x0), mono=True)
    size = max(MIN_CODE_PX, min(size, int(y1 / len(listing) * h / 1.3)))
    line_h = size * 1.3 / h
    top = 0.02 + line_h * len(listing)
    code_w = (len(max(listing, key=len)) + 3) * 0.6 * size / width
    out.rects.append(Rect2D(x0, y0, x0 + code_w, top + 0.01, theme.panel, 0.55))
    char_w = 0.6 * size / width  # Courier advances 0.6 em
    colors = {"comment": theme.muted, "keyword": theme.keyword, "number": theme.number,
              "punct": theme.muted, "name": theme.code}  # fmt: skip
    for i, line in enumerate(listing):
        y = top - i * line_h
        active = i in step.code_lines
        if active:
            out.rects.append(Rect2D(x0, y - line_h * 0.98, x0 + (len(line) + 3) * char_w, y + 0.002,
                                    theme.accent, 0.22))  # fmt: skip
            out.texts.append(Text2D(">", x0 + 0.004, y, size, theme.accent, mono=True, bold=True))
        # a proportional font (a CJK font file) cannot place tokens by column: whole lines
        runs = [(0, line, "name")] if timeline.font else code_runs(line)
        for col, text, kind in runs:
            if kind == "punct" and not text.strip():
                continue
            color = theme.accent if active else colors[kind]
            out.texts.append(
                Text2D(text, x0 + 0.004 + (col + 2) * char_w, y, size, color, mono=True, bold=active)
            )


@panel("values")
def values(hud: Hud, box: Box, out: Overlay) -> None:
    """The step's matrices and checks, right-aligned in a monospaced block."""
    step, theme, width, h = hud.step, hud.theme, hud.width, hud.height
    if not step.panel:
        return
    x0, y0, x1, y1 = box
    right = x1 - 0.008
    longest = max(step.panel, key=lambda s: text_width_em(s, True))
    size = fit_size(longest, round(h * 0.022), width * (x1 - x0 - 0.013), mono=True)
    # and it must stay under the network: at most the box's height
    size = max(8, min(size, int((y1 - 0.02) / len(step.panel) * h / 1.3)))
    ph = size * 1.3 / h
    top = 0.02 + ph * len(step.panel)
    pw = text_width_em(longest, True) * size / width
    out.rects.append(Rect2D(right - pw - 0.01, y0, x1, top + 0.01, theme.panel, 0.55))
    for i, line in enumerate(step.panel):
        out.texts.append(Text2D(line, right, top - i * ph, size, theme.text if i else theme.accent,
                                mono=True, align="right"))  # fmt: skip


def _chart_titles(hud: Hud) -> tuple[str, str]:
    timeline = hud.timeline
    second = hud.t("plot_fit") if timeline.fit_curve is not None else hud.t("plot_update")
    first = hud.t("plot_error_epoch" if timeline.n_batches > 1 else "plot_error")
    return first, second


def _chart_title_size(hud: Hud) -> int:
    return min(fit_size(t, round(hud.height * 0.019), hud.width * 0.18) for t in _chart_titles(hud))


def _add(out: Overlay, drawn: tuple[list, list, list]) -> None:
    texts, rects, lines = drawn
    out.texts += texts
    out.rects += rects
    out.lines += lines


@panel("progress_chart")
def progress_chart(hud: Hud, box: Box, out: Overlay) -> None:
    """Training so far: the display error, the accuracies, or the weights' path (XOR)."""
    step, timeline, theme, h = hud.step, hud.timeline, hud.theme, hud.height
    size = _chart_title_size(hud)
    if timeline.accuracy is not None:
        train_acc, test_acc = timeline.accuracy
        series = [(train_acc, theme.text), (test_acc, theme.target)]
        drawn = lines_chart(box, series, step.display_error_epoch, hud.t("plot_accuracy"), size, theme, h)
    elif timeline.trajectory is not None:
        drawn = trajectory_chart(box, timeline.trajectory, step.epoch, hud.t("plot_path"), size, theme, h)
    else:
        title = _chart_titles(hud)[0]
        epoch = step.display_error_epoch  # the last iteration whose error is on screen
        drawn = error_chart(box, timeline.display_errors, timeline, epoch, title, size, theme, h, False)
    _add(out, drawn)


@panel("detail_chart")
def detail_chart(hud: Hud, box: Box, out: Overlay) -> None:
    """The fit (function scenes), the current layer's weight statistics (digits), the
    output biases' path (XOR), or the largest weight change per iteration."""
    step, timeline, theme, h = hud.step, hud.timeline, hud.theme, hud.height
    size = _chart_title_size(hud)
    epoch = step.display_error_epoch
    if timeline.fit_curve is not None:
        drawn = fit_chart(box, timeline.fit_curve, step.epoch, _chart_titles(hud)[1], size, theme, h)
    elif timeline.accuracy is not None:
        # the weights that feed the step's layer (an update step names its matrix itself)
        if step.layer is None:
            k = 0
        elif step.kind in ("update", "init"):
            k = step.layer
        else:
            k = max(0, step.layer - 1)
        colours = (theme.negative, theme.text, theme.positive, theme.target)
        series = [(timeline.weight_stats[:, k, i], c) for i, c in enumerate(colours)]
        if timeline.bias_stats is not None:
            series += [(timeline.bias_stats[:, k, i], c) for i, c in enumerate(colours)]
        drawn = lines_chart(box, series, epoch, hud.t("plot_weights", k=k), size, theme, h)
    elif timeline.bias_path is not None:
        epochs = sorted(timeline.bias_path)
        b = np.array([timeline.bias_path[e] for e in epochs])
        at = sum(1 for e in epochs if step.epoch is not None and e <= step.epoch)
        colours = [theme.positive, theme.negative, theme.target, theme.accent]
        series = [(b[:, j], colours[j % len(colours)]) for j in range(b.shape[1])]
        drawn = lines_chart(box, series, at, hud.t("plot_bias"), size, theme, h, last=str(epochs[-1]))
    else:
        title = _chart_titles(hud)[1]
        drawn = error_chart(box, timeline.update_sizes, timeline, epoch, title, size, theme, h, True)
    _add(out, drawn)


@panel("card")
def card(hud: Hud, box: Box, out: Overlay) -> None:
    """A band across the middle with a big title (title cards, section cards)."""
    if hud.step.card is None:
        return
    title, subtitle = hud.step.card
    theme, width, h = hud.theme, hud.width, hud.height
    x0, y0, x1, y1 = box
    out.rects.append(Rect2D(x0, y0, x1, y1, theme.panel, 0.95))
    out.texts.append(Text2D(title, 0.5, y1 - 0.06, fit_size(title, round(h * 0.06), width * 0.92), theme.text,
                            bold=True, align="center"))  # fmt: skip
    if subtitle:
        out.texts.append(Text2D(subtitle, 0.5, y0 + 0.09, fit_size(subtitle, round(h * 0.03), width * 0.92),
                                theme.muted, align="center"))  # fmt: skip


@panel("epilogue_chart")
def epilogue_chart(hud: Hud, box: Box, out: Overlay) -> None:
    """The epilogue's big chart (epilogue and summary steps only): the mean |error| of every
    iteration, on log axes, up to the step's iteration, the epilogue's iterations dotted.

    Listed last, it takes its band: what the panels before it drew there gives way, except
    a panel reaching past the band's right end (the values panel), which keeps its place."""
    step, timeline = hud.step, hud.timeline
    if step.kind not in ("epilogue", "summary"):
        return
    x0, y0, x1, y1 = box
    right = min((r.x0 for r in out.rects if r.x1 > x1 and x0 < r.x0 < x1 and r.y0 < y1), default=x1)

    def inside(x: float, y: float) -> bool:
        return x0 <= x <= right and y0 <= y <= y1

    out.texts[:] = [t for t in out.texts if not inside(t.x, t.y)]
    out.rects[:] = [r for r in out.rects if not (inside(r.x0, r.y0) and inside(r.x1, r.y1))]
    out.lines[:] = [p for p in out.lines if not all(inside(x, y) for x, y in p.points)]
    marks = [s.epoch for s in timeline.steps if s.kind == "epilogue"]
    per_epoch = timeline.n_batches > 1
    title = hud.t("plot_epilogue_epoch" if per_epoch else "plot_epilogue")
    x_label = hud.t("axis_epoch" if per_epoch else "axis_iteration")
    area = (x0 + 0.005, y0 + 0.012, min(x1, right - 0.012), y1 - 0.008)
    _add(out, run_chart(area, timeline.display_errors, step.epoch, marks, title, x_label, hud.theme,
                        hud.width, hud.height))  # fmt: skip
