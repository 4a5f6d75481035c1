"""The panel sets of the shipped scenes that are not iamtrask, in hall and lecture.

``layout.scene_shape`` names a scene's shape from the timeline alone; each shape here has
its region table and its panels (registered in ``hud.PANELS``), judged by the lecture's
measures: the picture spans most of the frame, no type under ``Hud.min_size``, numbers
that matter at caption size.

- "grids" (digits, MNIST): a layer of hundreds of nodes cannot be drawn as spheres that a
  hall can see, nor can 9,200 weights. The one example that flows through the batch is
  drawn instead: its input as an image, each hidden layer's values as a heatmap (one
  square per node, deltas in blue and orange during the backward pass), the outputs as
  bars with the predicted digit and the target.
- "fit" (fit_square, fit_linear, fit_cubic): the learned curve against the target, a third
  of the frame, with labelled axes and the batch's records on it.
- "hand" (handcalc_322): one record computed by hand; its values and the step's matrices
  at caption size beside the network.
"""

from __future__ import annotations

import math

import numpy as np

from nnviz3d.hud import (
    CAPTION_BOX,
    CARD_BOX,
    LINE,
    STATUS_BOX,
    Box,
    Hud,
    Overlay,
    change_names,
    name_cells,
    names_width,
    panel,
    wrap,
)
from nnviz3d.layout import scene_shape
from nnviz3d.primitives import Polyline2D, Rect2D, Text2D, fit_size, text_width_em
from nnviz3d.timeline import Timeline, fmt, fmt_input, fmt_sig, fmt_signed

STATUS, CAPTION, CARD = STATUS_BOX, CAPTION_BOX, CARD_BOX  # the lecture layout's own
#: the right column beside a narrowed network (layout.NARROW_NETWORK_REGION): a third of
#: the frame
SIDE_X0, SIDE_X1 = 0.645, 0.985
#: grids: where the image, the heatmaps and the bars go (between the caption and the code)
FLOW = (0.015, 0.15, 0.985, 0.775)
BARS_WIDTH = 0.17
FLOW_GAP = 0.015


def shape(timeline: Timeline) -> str:
    """The timeline's scene shape (see layout.scene_shape)."""
    lay = timeline.layout
    return scene_shape(timeline.screen, lay.layers, lay.n_records, timeline.fit_curve is not None)


def regions(hud: Hud, screen: str) -> list[tuple[str, Box]] | None:
    """The region table of the timeline's shape in ``screen`` (hall or lecture); None for
    the 3D network's own tables in hud.py."""
    kind = shape(hud.timeline)
    if kind == "grids":
        return grid_regions(hud, screen)
    if kind == "fit":
        return fit_regions(hud, screen)
    if kind == "hand":
        return hand_regions(hud, screen)
    return None


def grid_regions(hud: Hud, screen: str) -> list[tuple[str, Box]]:
    """No 3D network: the image, the heatmaps and the bars from left to right, as the
    values flow; hall and lecture alike (the panels carry the step's numbers)."""
    x0, y0, x1, y1 = FLOW
    bars = x1 - BARS_WIDTH
    if hud.timeline.layout.layers[-1] > 16:  # too many outputs for bars: a heatmap too
        flow = [("heatmaps", FLOW)]
    else:
        flow = [("heatmaps", (x0, y0, bars - FLOW_GAP, y1)), ("output_bars", (bars, y0, x1, y1))]
    return [
        ("status", STATUS),
        ("caption", CAPTION),
        *flow,
        ("code_line", (0.015, 0.015, 0.985, 0.13)),
        ("card", CARD),
    ]


def fit_regions(hud: Hud, screen: str) -> list[tuple[str, Box]]:
    """The network on the left, the fit plot on the right: a third of the frame."""
    rows = [("status", STATUS), ("caption", CAPTION), ("fit_plot", (SIDE_X0, 0.16, SIDE_X1, 0.745))]
    if screen == "hall":
        rows.append(("code_line", (0.015, 0.015, 0.985, 0.13)))
    else:
        update = hud.step.kind == "update" and hud.step.change is not None
        rows += [
            ("code_line", (0.015, 0.015, SIDE_X0 - 0.015, 0.13)),
            *([("change_size", (SIDE_X0, 0.015, SIDE_X1, 0.13))] if update else []),
        ]
    return [*rows, ("card", CARD)]


def hand_regions(hud: Hud, screen: str) -> list[tuple[str, Box]]:
    """One record by hand: its values so far (the sigmoid's slope while deltas are made)
    and, in lecture, the step's matrices, both at caption size."""
    from nnviz3d.hud import _slope_points

    top = "slope" if hud.step.kind == "delta" and _slope_points(hud) else "sheet"
    rows = [("status", STATUS), ("caption", CAPTION), (top, (SIDE_X0 + 0.01, 0.45, SIDE_X1, 0.745))]
    if screen == "hall":
        rows.append(("code_line", (0.015, 0.015, 0.985, 0.13)))
    else:
        update = hud.step.kind == "update" and hud.step.change is not None
        rows += [
            ("change_cells" if update else "big_values", (SIDE_X0 + 0.01, 0.15, SIDE_X1, 0.43)),
            ("code_line", (0.015, 0.015, SIDE_X0 - 0.015, 0.13)),
            *([("change_size", (SIDE_X0 + 0.01, 0.015, SIDE_X1, 0.13))] if update else []),
        ]
    return [*rows, ("card", CARD)]


# -- grids: the image, the heatmaps, the bars -----------------------------------------------
def grid_shape(n: int) -> tuple[int, int]:
    """(rows, columns) of a layer of ``n`` values drawn as squares: a square image when n
    is a square number (the 8x8 digit, the 28x28 MNIST digit), else nearly square."""
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def _blend(a: tuple, b: tuple, t: float) -> tuple[float, float, float]:
    t = min(max(float(t), 0.0), 1.0)
    return tuple(float(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _active_layers(hud: Hud) -> set[int]:
    """The layers the step is about: its layer, both ends of an updated matrix, the output
    while the error is made."""
    step, last = hud.step, len(hud.timeline.layout.layers) - 1
    if step.kind in ("output_error", "display_error"):
        return {last}
    if step.layer is None or step.card is not None:
        return set()
    if step.kind in ("update", "init"):
        return {step.layer, step.layer + 1}
    return {step.layer}


def heatmap_boxes(hud: Hud, box: Box) -> list[tuple[int, Box]]:
    """(layer, box) of every heatmap: the input and the hidden layers (and an output layer
    too big for bars), side by side, widths in proportion to their columns so that every
    square is about the same size."""
    layers = hud.timeline.layout.layers
    shown = list(range(len(layers) - 1)) + ([len(layers) - 1] if layers[-1] > 16 else [])
    cols = [grid_shape(layers[k])[1] for k in shown]
    x0, y0, x1, y1 = box
    room = x1 - x0 - FLOW_GAP * (len(shown) - 1)
    out, x = [], x0
    for k, c in zip(shown, cols, strict=True):
        w = room * c / sum(cols)
        out.append((k, (x, y0, x + w, y1)))
        x += w + FLOW_GAP
    return out


@panel("heatmaps")
def heatmaps(hud: Hud, box: Box, out: Overlay) -> None:
    """One square per node, for the example on screen: the input as an image (white ink),
    a hidden layer's activations from dark to white (its largest value is written under
    it); once a layer's delta is known (the backward pass), its delta summed over the batch
    in blue (+) and orange (-)."""
    step, theme, w, h = hud.step, hud.theme, hud.width, hud.height
    if step.card is not None:
        return
    lay = hud.timeline.layout
    size = hud.min_size
    active = _active_layers(hud)
    bg = theme.background_bottom
    boxes = heatmap_boxes(hud, box)
    title_h, foot_h = size * 1.45 / h, size * 1.45 / h
    # one square size for every grid: the largest that fits each box
    cell_px = min(
        min(
            (bx1 - bx0) * w / grid_shape(lay.layers[k])[1],
            (by1 - by0 - title_h - foot_h) * h / grid_shape(lay.layers[k])[0],
        )
        for k, (bx0, by0, bx1, by1) in boxes
    )
    # every grid hangs from one line under the titles, level with the bars' title
    shortest = min(grid_shape(lay.layers[k])[0] for k, _ in boxes) * cell_px / h
    gy1 = box[3] - title_h
    for k, (bx0, _by0, bx1, _by1) in boxes:
        rows, cols = grid_shape(lay.layers[k])
        nodes = list(lay.layer_nodes(k))
        values = step.visual.node_values[nodes]
        halos = step.visual.halos[nodes]
        signed = k > 0 and bool(np.isfinite(halos).any())
        shown = halos if signed else values
        gw, gh = cols * cell_px / w, rows * cell_px / h
        gx0 = (bx0 + bx1) / 2 - gw / 2
        if k == 0:
            title = hud.t("grid_input")
        elif signed:
            title = hud.t("grid_delta", k=k)
        else:
            title = hud.t("grid_layer", k=k, n=lay.layers[k])
        colour = theme.accent if k in active else theme.muted
        out.texts.append(
            Text2D(
                title,
                (bx0 + bx1) / 2,
                gy1 + title_h,
                fit_size(title, size, (bx1 - bx0) * w + 2 * FLOW_GAP * w),
                colour,
                bold=k in active,
                align="center",
            )
        )
        finite = np.abs(shown[np.isfinite(shown)])
        biggest = float(finite.max()) if finite.size else 0.0
        scale = biggest or 1.0
        out.rects.append(
            Rect2D(gx0 - 3 / w, gy1 - gh - 3 / h, gx0 + gw + 3 / w, gy1 + 3 / h, theme.panel, 0.6)
        )
        for j, v in enumerate(shown):
            r, c = divmod(j, cols)
            cx0, cy1 = gx0 + c * cell_px / w, gy1 - r * cell_px / h
            if np.isnan(v) and not step.visual.diverged:
                colour_j = _blend(bg, theme.ghost, 0.35)  # not computed yet
            elif not np.isfinite(v):
                colour_j = theme.invalid
            elif signed:
                colour_j = _blend(
                    bg, theme.positive if v >= 0 else theme.negative, 0.12 + 0.88 * abs(v) / scale
                )
            else:
                ink = theme.text if k == 0 else theme.node
                colour_j = _blend(bg, ink, abs(v) / scale)
            out.rects.append(
                Rect2D(
                    cx0 + 1 / w,
                    cy1 - cell_px / h + 1 / h,
                    cx0 + cell_px / w - 1 / w,
                    cy1 - 1 / h,
                    colour_j,
                    1.0,
                )
            )
        if k in active:
            frame = (
                (gx0 - 4 / w, gy1 + 4 / h),
                (gx0 + gw + 4 / w, gy1 + 4 / h),
                (gx0 + gw + 4 / w, gy1 - gh - 4 / h),
                (gx0 - 4 / w, gy1 - gh - 4 / h),
                (gx0 - 4 / w, gy1 + 4 / h),
            )
            out.lines.append(Polyline2D(frame, theme.accent, 2.0))
        if finite.size and signed:  # the full colours' values: +max in blue, -max in orange
            big = fmt_sig(biggest)
            half = (text_width_em(f"+{big}") + 0.6) * size / w
            for text, colour, x in (
                (f"+{big}", theme.positive, -half / 2),
                (f"-{big}", theme.negative, half / 2),
            ):
                out.texts.append(
                    Text2D(text, (bx0 + bx1) / 2 + x, gy1 - gh - 0.012, size, colour, align="center")
                )
        elif finite.size:
            label = hud.t("grid_max", v=fmt_sig(biggest))
            out.texts.append(
                Text2D(label, (bx0 + bx1) / 2, gy1 - gh - 0.012, size, theme.muted, align="center")
            )
        # the values flow on to the next layer (the last heatmap into the bars)
        if k != boxes[-1][0] or lay.layers[-1] <= 16:
            _arrow(out, bx1 + FLOW_GAP * 0.15, bx1 + FLOW_GAP * 0.85, gy1 - shortest / 2, theme.muted, w, h)


def _arrow(out: Overlay, xa: float, xb: float, y: float, colour: tuple, w: int, h: int) -> None:
    head = (xb - xa) * 0.45
    out.lines.append(Polyline2D(((xa, y), (xb, y)), colour, 2.0))
    out.lines.append(
        Polyline2D(
            ((xb - head, y + head * w / h * 0.8), (xb, y), (xb - head, y - head * w / h * 0.8)), colour, 2.0
        )
    )


@panel("output_bars")
def output_bars(hud: Hud, box: Box, out: Overlay) -> None:
    """The output layer of the example on screen: a bar per class as long as its value
    (1 = the whole width), the value written beside it; the largest is the prediction
    (accent), the target's row is green; both said at caption size underneath."""
    step, theme, w, h = hud.step, hud.theme, hud.width, hud.height
    if step.card is not None:
        return
    lay = hud.timeline.layout
    k = len(lay.layers) - 1
    x0, y0, x1, y1 = box
    size, big = hud.min_size, hud.big_size
    values = step.visual.node_values[list(lay.layer_nodes(k))]
    target = step.visual.example_target
    computed = bool(np.isfinite(values).all()) or step.visual.diverged
    predicted = int(np.nanargmax(values)) if computed and np.isfinite(values).any() else None
    one_hot = target is not None and len(target) == len(values) and set(np.unique(target)) <= {0.0, 1.0}
    truth = int(np.argmax(target)) if one_hot and target.sum() == 1 else None  # classes: the target's
    predicted = predicted if truth is not None else None  # values without classes: no prediction
    title = wrap(hud.t("bars_title", k=k), size, (x1 - x0) * w)  # two lines rather than small type
    colour = theme.accent if k in _active_layers(hud) else theme.muted
    out.texts.append(Text2D(title, x0, y1, size, colour, bold=colour == theme.accent))
    bottom = y0 + 2 * big * 1.25 / h  # the prediction and the target under the bars
    top = y1 - size * (1.5 + LINE * title.count("\n")) / h
    row = (top - bottom) / len(values)
    label_w = (text_width_em(str(len(values) - 1)) + 0.8) * size / w
    num_w = text_width_em("0.00") * size / w + 0.01
    bar_x0, bar_x1 = x0 + label_w, x1 - num_w
    out.rects.append(Rect2D(x0 - 0.006, bottom - 0.006, x1, top + 0.004, theme.panel, 0.45))
    for i, v in enumerate(values):
        yc = top - (i + 0.5) * row
        is_target = i == truth
        tint = theme.accent if i == predicted else theme.node
        out.texts.append(
            Text2D(
                str(i),
                x0,
                yc,
                size,
                theme.target if is_target else theme.text,
                bold=is_target,
                valign="center",
            )
        )
        half = min(row * 0.36, size * 0.5 / h)
        if is_target:  # the target's row: a green frame the length of a value of 1
            frame = (
                (bar_x0, yc - half - 2 / h),
                (bar_x1, yc - half - 2 / h),
                (bar_x1, yc + half + 2 / h),
                (bar_x0, yc + half + 2 / h),
                (bar_x0, yc - half - 2 / h),
            )
            out.lines.append(Polyline2D(frame, theme.target, 2.0))
        if not np.isfinite(v):
            text = "nan" if step.visual.diverged else "?"
            out.texts.append(Text2D(text, x1, yc, size, theme.muted, align="right", valign="center"))
            continue
        length = (bar_x1 - bar_x0) * min(max(float(v), 0.0), 1.0)
        if length > 0.5 / w:
            out.rects.append(Rect2D(bar_x0, yc - half, bar_x0 + length, yc + half, tint, 1.0))
        out.texts.append(
            Text2D(
                fmt(float(v), 2),
                x1,
                yc,
                size,
                tint if i == predicted else theme.text,
                align="right",
                valign="center",
            )
        )
    said = []
    if predicted is not None and truth is not None:  # a class is predicted (else: values, no classes)
        said.append((hud.t("bars_predicted", d=predicted), theme.accent))
    if truth is not None:
        said.append((hud.t("bars_target", d=truth), theme.target))
    for n, (text, colour) in enumerate(said):
        y = bottom - 0.008 - n * big * 1.2 / h
        out.texts.append(Text2D(text, x0, y, fit_size(text, big, (x1 - x0) * w), colour, bold=True))


# -- fit: the learned curve against the target -----------------------------------------------
def fit_range(timeline: Timeline) -> tuple[float, float]:
    """One y range for the whole video (the plot must not rescale under the viewer): the
    target's, widened to the learned curves up to half the target's span either side."""
    fit = timeline.fit_curve
    lo, hi = float(np.min(fit.truth)), float(np.max(fit.truth))
    span = (hi - lo) or 1.0
    curves = np.concatenate([p[np.isfinite(p)] for p in fit.predictions.values()] + [fit.truth])
    lo = max(float(curves.min()), lo - span / 2)
    hi = min(float(curves.max()), hi + span / 2)
    return lo, hi if hi > lo else lo + 1.0


def _ticks(lo: float, hi: float, most: int = 5) -> list[float]:
    """Round values (steps of 1, 2 or 5 times a power of ten) between lo and hi, at most
    ``most`` + 1 of them (0 among them when it is inside)."""
    base = 10 ** math.floor(math.log10((hi - lo) or 1.0)) / 10
    step = next(base * f for f in (1, 2, 5, 10, 20, 50, 100) if (hi - lo) / (base * f) <= most)
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


@panel("fit_plot")
def fit_plot(hud: Hud, box: Box, out: Overlay) -> None:
    """The target function (green) and the network's curve (white) at the shown epoch,
    on labelled axes, with the batch's records: each record's target (green square) and,
    once computed, its output (white square) joined by its error (the record being
    computed in the accent colour)."""
    step, timeline, theme, w, h = hud.step, hud.timeline, hud.theme, hud.width, hud.height
    fit = timeline.fit_curve
    if fit is None or step.card is not None:
        return
    x0, y0, x1, y1 = box
    size = hud.min_size
    shown = sorted(fit.predictions)
    at = max((e for e in shown if step.epoch is not None and e <= step.epoch), default=shown[0])
    # the legend on top, the axes under it
    entries = [(hud.t("fit_target"), theme.target), (hud.t("fit_network", e=at), theme.text)]
    widths = [0.03 + (text_width_em(text) + 1.0) * size / w for text, _ in entries]
    # one line where it fits, else one entry a line (the hall's type ran "it. 1" off the frame)
    rows = 1 if x0 + sum(widths) - size / w <= x1 else len(entries)
    x, top = x0, y1
    for (text, colour), width in zip(entries, widths, strict=True):
        mid = top - size * 0.45 / h
        out.lines.append(Polyline2D(((x, mid), (x + 0.025, mid)), colour, 4.0))
        out.texts.append(Text2D(text, x + 0.03, top, size, colour))
        x, top = (x + width, top) if rows == 1 else (x0, top - size * 1.3 / h)
    lo, hi = fit_range(timeline)
    y_ticks = _ticks(lo, hi, 6)
    tick_w = max(text_width_em(fmt_sig(t, 2)) for t in y_ticks) * size / w
    px0, px1 = x0 + tick_w + 0.012, x1 - 0.01 - size * 1.2 / w  # room for the "x" after the axis
    py0, py1 = y0 + size * 2.7 / h, y1 - size * (1.9 + 1.3 * (rows - 1)) / h
    out.rects.append(Rect2D(x0 - 0.006, y0, x1, y1 + 0.008, theme.panel, 0.45))
    xlo, xhi = float(fit.x[0]), float(fit.x[-1])

    def at_xy(xv: float, yv: float) -> tuple[float, float]:
        yv = min(max(yv, lo), hi)
        return px0 + (px1 - px0) * (xv - xlo) / (xhi - xlo), py0 + (py1 - py0) * (yv - lo) / (hi - lo)

    out.lines.append(Polyline2D(((px0, py1), (px0, py0), (px1, py0)), theme.muted, 2.0))
    for t in y_ticks:
        _, y = at_xy(xlo, t)
        out.lines.append(Polyline2D(((px0 - 0.006, y), (px0, y)), theme.muted, 2.0))
        out.texts.append(
            Text2D(fmt_sig(t, 2), px0 - 0.009, y, size, theme.muted, align="right", valign="center")
        )
    for t in _ticks(xlo, xhi):
        x, _ = at_xy(t, lo)
        out.lines.append(Polyline2D(((x, py0 - 0.01), (x, py0)), theme.muted, 2.0))
        out.texts.append(Text2D(fmt_sig(t, 2), x, py0 - 0.014, size, theme.muted, align="center"))
    out.texts.append(Text2D("x", px1 + 0.008, py0, size, theme.text, bold=True, valign="center"))
    out.texts.append(Text2D("y", px0 + 0.008, py1 + 0.004, size, theme.text, bold=True, valign="top"))
    prediction = fit.predictions[at]
    out.lines.append(
        Polyline2D(
            tuple(at_xy(float(a), float(b)) for a, b in zip(fit.x, fit.truth, strict=True)), theme.target, 3.0
        )
    )
    finite = np.isfinite(prediction)
    if not finite.any():  # a diverged network has no curve to draw: say what it computes
        middle = ((px0 + px1) / 2, (py0 + py1) / 2)
        out.texts.append(
            Text2D("nan", *middle, hud.big_size, theme.invalid, bold=True, align="center", valign="center")
        )
    out.lines.append(
        Polyline2D(
            tuple(at_xy(float(a), float(b)) for a, b in zip(fit.x[finite], prediction[finite], strict=True)),
            theme.text,
            3.0,
        )
    )
    outputs, targets = step.visual.outputs, step.visual.targets
    side_w, side_h = 5 / w, 5 / h
    for i, (x_text, _) in enumerate(step.records):
        try:
            xv = float(x_text)
        except ValueError:
            continue
        current = step.visual.current_record == i
        tx, ty = at_xy(xv, float(targets[i, 0]))
        if i < len(outputs) and np.isfinite(outputs[i, 0]):
            ox, oy = at_xy(xv, float(outputs[i, 0]))
            out.lines.append(
                Polyline2D(
                    ((tx, ty), (ox, oy)), theme.accent if current else theme.muted, 3.0 if current else 2.0
                )
            )
            out.rects.append(Rect2D(ox - side_w, oy - side_h, ox + side_w, oy + side_h, theme.text, 1.0))
        grow = 1.6 if current else 1.0
        out.rects.append(
            Rect2D(
                tx - side_w * grow,
                ty - side_h * grow,
                tx + side_w * grow,
                ty + side_h * grow,
                theme.accent if current else theme.target,
                1.0,
            )
        )


# -- hand: one record's numbers at caption size ---------------------------------------------
def _row_size(hud: Hud, texts: list[str], width_px: float, mono: bool | float = False) -> int:
    """Caption size, or smaller (never under min_size) when the longest text is too wide."""
    widest = max((text_width_em(t, mono) for t in texts), default=1.0) or 1.0
    return max(hud.min_size, min(hud.big_size, int(width_px / widest)))


@panel("sheet")
def sheet(hud: Hud, box: Box, out: Overlay) -> None:
    """The hand calculation so far, at caption size: each layer's values (? until
    computed, 4 decimals as in the captions) and the target under the output, the step's
    layers in the accent colour."""
    step, theme, w, h = hud.step, hud.theme, hud.width, hud.height
    if step.card is not None:
        return
    lay = hud.timeline.layout
    x0, y0, x1, y1 = box
    rows: list[tuple[str, list[str], tuple]] = []
    active = _active_layers(hud) if step.epoch is not None else set()  # nothing computed before
    for k in range(len(lay.layers)):
        values = step.visual.node_values[list(lay.layer_nodes(k))]
        show = fmt_input if k == 0 else (lambda v: fmt(v, 4))  # the inputs as given, as in the captions
        cells = ["?" if np.isnan(v) and not step.visual.diverged else show(float(v)) for v in values]
        rows.append((f"l{k}", cells, theme.accent if k in active else theme.text))
    if len(step.visual.targets):
        rows.append(("y", [fmt_input(float(t)) for t in step.visual.targets[0]], theme.target))
    name_em = max(text_width_em(name) for name, _, _ in rows) + 0.8

    def fits(size: int) -> bool:
        room = (x1 - x0) * w - name_em * size
        wide = all(
            text_width_em(c) * size + 0.5 * size <= room / len(cells) for _, cells, _ in rows for c in cells
        )
        return wide and len(rows) * size * 1.3 <= (y1 - y0) * h

    size = next((s for s in range(hud.big_size, hud.min_size, -1) if fits(s)), hud.min_size)
    line = size * 1.3 / h
    out.rects.append(Rect2D(x0 - 0.006, y1 - len(rows) * line - 0.012, x1, y1 + 0.008, theme.panel, 0.45))
    for i, (name, cells, colour) in enumerate(rows):
        y = y1 - i * line
        out.texts.append(
            Text2D(name, x0, y, size, theme.muted if colour == theme.text else colour, bold=True)
        )
        col_w = (x1 - x0 - name_em * size / w) / max(1, len(cells))
        for j, cell in enumerate(cells):  # right-aligned columns: the output under its target
            right = x0 + name_em * size / w + (j + 1) * col_w - 0.006
            out.texts.append(Text2D(cell, right, y, size, colour, bold=colour != theme.text, align="right"))


@panel("big_values")
def big_values(hud: Hud, box: Box, out: Overlay) -> None:
    """The step's matrices and checks (hud's values panel) with the numbers at caption
    size: the title in the smallest type, the rows as big as the box allows."""
    step, theme, w, h = hud.step, hud.theme, hud.width, hud.height
    if not step.panel or step.card is not None:
        return
    x0, y0, x1, y1 = box
    mono = hud.timeline.mono_em
    title, rows = step.panel[0], list(step.panel[1:])
    small = fit_size(title, hud.min_size, (x1 - x0) * w, mono=mono)
    size = _row_size(hud, rows, (x1 - x0) * w - 12, mono)
    top = y1 - small * 1.45 / h
    fits = max(1, int((top - y0) * h / (size * 1.3)))
    if len(rows) > fits:
        rows = [*rows[: fits - 1], "..."]
    out.rects.append(
        Rect2D(x0 - 0.006, top - len(rows) * size * 1.3 / h - 0.01, x1, y1 + 0.008, theme.panel, 0.55)
    )
    out.texts.append(Text2D(title, x0, y1, max(small, hud.min_size), theme.accent, mono=True))
    for i, row in enumerate(rows):
        out.texts.append(
            Text2D(row, x1 - 0.006, top - i * size * 1.3 / h, size, theme.text, mono=True, align="right")
        )


@panel("change_cells")
def change_cells(hud: Hud, box: Box, out: Overlay) -> None:
    """The update's change matrix as in hud's changes panel (rows: from, columns: to, one
    colour scale for the video), its numbers at caption size."""
    step, theme, w, h = hud.step, hud.theme, hud.width, hud.height
    if step.change is None:
        return
    x0, y0, x1, y1 = box
    m = np.asarray(step.change)
    rows, cols = m.shape
    k = step.layer
    title = hud.t("changes_title", k=k)
    small = fit_size(title, hud.min_size, (x1 - x0) * w)
    out.rects.append(Rect2D(x0 - 0.006, y0, x1, y1 + 0.008, theme.panel, 0.45))
    out.texts.append(Text2D(title, x0, y1, max(small, hud.min_size), theme.muted))
    top = y1 - hud.min_size * (1.5 + LINE) / h  # under the title and the column names
    names = change_names(hud)
    left = x0 + names_width(names[0], hud.min_size, w)
    cell_w = (x1 - left - 0.004) / cols
    cell_h = min((top - y0 - 0.01) / rows, hud.big_size * 1.5 / h)
    name_cells(hud, names, (x0, left, top), (cell_w, cell_h), hud.min_size, out)
    texts = [fmt_signed(float(v), 2) for v in m.ravel()]
    size = min(_row_size(hud, texts, cell_w * w - 10), int(cell_h * h / 1.2))
    scale = step.change_scale or float(np.max(np.abs(m))) or 1.0
    bg = theme.panel
    for (i, j), text in zip(np.ndindex(rows, cols), texts, strict=True):
        v = float(m[i, j])
        strength = min(1.0, abs(v) / scale) if np.isfinite(v) else 1.0
        colour = _blend(bg, theme.positive if v >= 0 else theme.negative, 0.15 + 0.6 * strength)
        cx0, cy1 = left + j * cell_w, top - i * cell_h
        out.rects.append(Rect2D(cx0 + 0.002, cy1 - cell_h + 0.003, cx0 + cell_w - 0.002, cy1, colour, 1.0))
        out.texts.append(
            Text2D(
                text,
                cx0 + cell_w / 2,
                cy1 - cell_h / 2,
                size,
                theme.text,
                mono=True,
                bold=True,
                align="center",
                valign="center",
            )
        )
