"""Gradient descent, once and big: after the first worked change, the loss as that weight
varies fills the frame beside a small network, and the weight's point rolls down it by
-rate × slope during the step (3Blue1Brown's picture of why the change goes its way)."""

import math
from dataclasses import replace

import numpy as np
import pytest

from nnviz3d.frames import frame_state, project
from nnviz3d.hud import DESCENT_CURVE_BOX, overlay
from nnviz3d.layout import DESCENT_REGION, NETWORK_REGIONS
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import THEMES, text_width_em
from nnviz3d.scene import load_scene

W, H = 1280, 720
DARK = THEMES["dark"]


@pytest.fixture(scope="module")
def run():
    return prepare(load_scene(), epochs=(1, 2, 2000))


def test_descent_plays_once_after_the_first_worked_change(run):
    _, tl = run
    kinds = [s.kind for s in tl.steps]
    assert kinds.count("descent") == 1
    at = kinds.index("descent")
    assert tl.steps[at - 1].kind == "chain"  # the chain rule: one record's share of it
    assert tl.steps[at - 2].kind == "nudge"  # before it, the nudge the chain explains
    worked = tl.steps[at - 3]
    assert worked.kind == "worked" and worked.epoch == 1 and worked.layer == 1
    assert worked.loss_curve is tl.steps[at].loss_curve  # its curve, not one made again
    step = tl.steps[at]
    assert step.caption.startswith(
        "Downhill: the loss's gradient along h3 -> out is +0.00677, so change = -gradient = -0.00677"
    )
    a, b = step.loss_curve, worked.loss_curve  # the same curve: the worked change's weight
    assert (a.name, a.w0, a.slope, a.change) == (b.name, b.w0, b.slope, b.change)
    assert a.name == "h3 -> out"
    assert np.array_equal(a.w, b.w) and np.array_equal(a.loss, b.loss)
    assert step.values["syn1_change[2,0]"] == pytest.approx(-step.values["dE/dsyn1[2,0]"], abs=1e-15)


def _ball(tl, step, progress):
    """The x of the rolling point's square (the change's colour, the bigger one), of its
    start, and the plot's width (its weight axis, the longest horizontal muted line)."""
    _, rects, lines = overlay(tl, step, DARK, W, H, progress=progress)
    ball = max((r for r in rects if r.color == DARK.negative and r.opacity == 1.0), key=lambda r: r.x1 - r.x0)
    start = next(r for r in rects if r.color == DARK.muted and r.opacity == 1.0)
    flat = [
        p for p in lines if p.color == DARK.muted and len(p.points) == 2 and p.points[0][1] == p.points[1][1]
    ]
    axis = max(flat, key=lambda p: p.points[1][0] - p.points[0][0])
    return (ball.x0 + ball.x1) / 2, (start.x0 + start.x1) / 2, axis.points[1][0] - axis.points[0][0]


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_the_point_rolls_downhill_during_the_step(run, layout):
    _, tl = run
    tl = replace(tl, screen=layout)
    step = next(s for s in tl.steps if s.kind == "descent")
    x0, start, graph = _ball(tl, step, 0.0)
    x_half, _, _ = _ball(tl, step, 0.5)
    x1, _, _ = _ball(tl, step, 1.0)
    assert x0 == pytest.approx(start)  # where the weight is
    assert x1 < x_half < x0  # the change is negative: left, downhill (the bowl's bottom is left)
    assert x_half == pytest.approx((x0 + x1) / 2, abs=0.02)  # along the curve at the tween's pace
    # the plot runs from past the bowl's bottom to a little past the weight: the step (the
    # change drawn x10) is a tenth of its width or more, where the worked step's is a twentieth
    assert graph > 0.4 and (x0 - x1) / graph > 0.1


def test_the_frames_of_the_descent_move_and_show_a_small_network(run):
    _, tl = run
    step = next(s for s in tl.steps if s.kind == "descent")
    frames = tl.frames_of(step.index)
    first, mid, last = (frame_state(tl, f, W, H) for f in (frames[0], frames[len(frames) // 2], frames[-1]))
    assert len({first.key, mid.key, last.key}) == 3  # drawn again while it rolls
    ndc = project(last.camera, tl.layout.nodes, W / H)
    x, y = (ndc[:, 0] + 1) / 2, (ndc[:, 1] + 1) / 2
    x0, y0, x1, y1 = DESCENT_REGION
    assert x.min() >= x0 - 0.01 and x.max() <= x1 + 0.01 and y.min() >= y0 - 0.01 and y.max() <= y1 + 0.01
    assert x1 < DESCENT_CURVE_BOX[0] < NETWORK_REGIONS["lecture"][2]  # the curve takes the network's room
    # only the weight's two ends are named (the others would crowd the small network)
    names = [t.text for t in last.texts if t.text in ("x1", "x2", "x3", "h1", "h2", "h3", "h4", "out")]
    assert sorted(names) == ["h3", "out"]
    lit = np.flatnonzero(step.visual.edge_focus == 1.0)
    assert list(lit) == [tl.layout.edge_id(1, 2, 0)]


def test_the_loss_slope_has_a_colour_of_its_own_and_the_plot_its_values(run):
    """dloss/dw is not the sigmoid's slope: green, not yellow (two reviewers read the two
    as one derivative); the big plot writes the loss at the weight and at the bottom."""
    import colorsys

    _, tl = run
    step = next(s for s in tl.steps if s.kind == "descent")
    texts, _, lines = overlay(tl, step, DARK, W, H)
    caption = next(t for t in texts if t.spans and t.text.startswith("Downhill"))
    pieces = {caption.text[a:b]: c for a, b, c in caption.spans}
    assert pieces["+0.00677"] == DARK.gradient and pieces["-0.00677"] == DARK.negative
    hue = [colorsys.rgb_to_hsv(*c)[0] * 360 for c in (DARK.gradient, DARK.slope)]
    assert abs(hue[0] - hue[1]) >= 40
    assert any(p.color == DARK.gradient and len(p.points) == 2 for p in lines)  # the tangent
    curve = step.loss_curve
    words = [t.text for t in texts]
    assert f"{curve.loss0:.4f}" == "0.4952" and "0.4952" in words
    assert "0.4943" in words  # the bowl's bottom, in view
    # one weight's slice of the loss, said so: the others stay as they are
    assert any(w.replace("\n", " ").endswith("vs h3 -> out (other weights held)") for w in words)
    # and the weight axis: the weight where it is (-0.945) and at the bottom, found by numpy
    # here from the iteration's own weights, not by the 81 samples of the plot (-1.22)
    u = run[0].updates[(1, 1)]

    def loss(v: float) -> float:
        w1 = u.weights_before[1].copy()
        w1[2, 0] = v
        l1 = 1 / (1 + np.exp(-(u.inputs @ u.weights_before[0])))
        l2 = 1 / (1 + np.exp(-(l1 @ w1)))
        return float(0.5 * np.sum((u.targets - l2) ** 2))

    grid = np.linspace(-1.3, -1.1, 200001)
    losses = [loss(v) for v in grid[::1000]]
    near = grid[::1000][int(np.argmin(losses))]
    fine = np.linspace(near - 0.001, near + 0.001, 2001)
    bottom = fine[int(np.argmin([loss(v) for v in fine]))]
    assert curve.bottom[0] == pytest.approx(bottom, abs=2e-6) and curve.bottom[1] == pytest.approx(
        loss(bottom), abs=1e-12
    )
    assert f"{bottom:.3g}" == "-1.21" and {"-0.945", "-1.21"} <= set(words)


def test_beside_the_loss_the_status_line_writes_no_other_error(run):
    """The loss as one weight varies (1/2 sum of squared errors) is not the mean |error|
    the status line writes elsewhere: beside that plot it is left out (review 28 read
    0.49641 and 0.4952 side by side as one quantity)."""
    _, tl = run
    for step in tl.steps:
        words = " ".join(t.text for t in overlay(tl, step, DARK, W, H)[0] if t.y > 0.9)
        if step.loss_curve is not None:
            assert "mean |error|" not in words, step.index
        elif step.kind == "delta" and step.epoch == 1:
            assert "mean |error| 0.49641" in words  # elsewhere it stays


def test_the_big_plot_rolls_a_ball_along_one_way_travelled(run):
    """The way travelled along the curve ends at a ball where the step lands (review 28: a
    second arrow under the curve, for the same step; review 58: the square point and the
    arrow's head made one blob); a smaller grey ball stays where the weight was."""
    _, tl = run
    step = next(s for s in tl.steps if s.kind == "descent")
    _, rects, lines = overlay(tl, step, DARK, W, H, progress=1.0)
    orange = [p for p in lines if p.color == DARK.negative]
    trail = [p for p in orange if len(p.points) > 3]
    assert len(trail) == 1 and len(orange) == 1  # no arrow besides, no head

    def ball(colour):
        rows = [r for r in rects if r.color == colour and r.opacity == 1.0]
        x0, x1 = min(r.x0 for r in rows) * W, max(r.x1 for r in rows) * W
        y0, y1 = min(r.y0 for r in rows) * H, max(r.y1 for r in rows) * H
        area = sum((r.x1 - r.x0) * W * (r.y1 - r.y0) * H for r in rows)
        return (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, area

    x, y, wide, tall, area = ball(DARK.negative)
    assert (x / W, y / H) == pytest.approx(trail[0].points[-1], abs=1e-6)  # where the way ends
    assert wide == pytest.approx(tall, rel=0.1) and area == pytest.approx(math.pi * (wide / 2) ** 2, rel=0.08)
    assert wide >= 24  # seen from the back of a hall
    gx, gy, grey, _, _ = ball(DARK.muted)
    assert (gx / W, gy / H) == pytest.approx(trail[0].points[0], abs=1e-6) and grey < wide


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_the_tangent_is_named_by_its_slope_clear_of_the_axis(run, layout):
    """The green tangent's slope is the caption's gradient: written over the point, on the
    bowl's open side, clear of the loss axis and inside the panel."""
    _, tl = run
    tl = replace(tl, screen=layout)
    step = next(s for s in tl.steps if s.kind == "descent")
    texts, rects, lines = overlay(tl, step, DARK, W, H, progress=1.0)
    label = next(t for t in texts if t.text == "gradient +0.00677")
    assert label.color == DARK.gradient
    start = next(r for r in rects if r.color == DARK.muted and r.opacity == 1.0)
    assert label.y > start.y1  # over the point
    axis = next(p for p in lines if p.color == DARK.muted and p.points[0][0] == p.points[1][0])
    wide = text_width_em(label.text) * label.size / W
    assert label.x > axis.points[0][0] and label.x + wide <= DESCENT_CURVE_BOX[2]


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_the_small_networks_names_stand_clear_of_the_other_spheres_and_the_weight_lit(run, layout):
    """Under its sphere, h3's name stood on h4 in the small network (reviews 44a and 44b):
    the names the caption says stand beside their spheres, h3 left of it, out over it, each
    clear of every sphere at its largest and of the lit weight h3 -> out."""
    from PIL import ImageFont

    from nnviz3d.fonts import LATIN_BOLD_FONT
    from nnviz3d.frames import NODE_R_MAX

    _, tl = run
    tl = replace(tl, screen=layout)
    step = next(s for s in tl.steps if s.kind == "descent")
    lay = tl.layout
    fs = frame_state(tl, tl.frames_of(step.index)[-1], W, H)
    names = {t.text: t for t in fs.texts if t.text in ("h3", "out")}
    assert set(names) == {"h3", "out"}

    def px(points):  # pixels, y down
        xy = (project(fs.camera, np.array(points, dtype=float), W / H) + 1) / 2
        return np.column_stack([xy[:, 0] * W, (1 - xy[:, 1]) * H])

    r = (px([lay.nodes[0] + [NODE_R_MAX * lay.node_scale[0], 0, 0]]) - px([lay.nodes[0]]))[0, 0]
    centres = px(lay.nodes)
    h3, out = lay.node_id(1, 2), lay.node_id(2, 0)
    ends = centres[[h3, out]]
    for text in names.values():
        width = ImageFont.truetype(LATIN_BOLD_FONT, text.size).getlength(text.text)
        x, y = text.x * W, (1 - text.y) * H
        x0 = {"left": x, "right": x - width, "center": x - width / 2}[text.align]
        y0 = {"top": y, "bottom": y - text.size, "center": y - text.size / 2}[text.valign]
        box = (x0, y0, x0 + width, y0 + text.size)
        for cx, cy in centres:  # clear of every sphere's square
            assert box[2] < cx - r or cx + r < box[0] or box[3] < cy - r or cy + r < box[1], (text.text, box)
        for u in np.linspace(0, 1, 41):  # and of the lit weight
            wx, wy = ends[0] + (ends[1] - ends[0]) * u
            assert not (box[0] < wx < box[2] and box[1] < wy < box[3]), (text.text, box)


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_the_rolled_step_says_it_is_the_change_drawn_10_times(run, layout):
    """The ball's way is the change x10 (the video's one magnification), said in the
    update's words ("change ×10"; a bare "20×" read as a third magnification, review 72a),
    over the ball once it has rolled: under it the longer words ran into the weight axis's
    name (the hall's "change ×20 weight")."""
    _, tl = run
    tl = replace(tl, screen=layout)
    step = next(s for s in tl.steps if s.kind == "descent")
    start = [t.text for t in overlay(tl, step, DARK, W, H, progress=0.0)[0]]
    assert "change ×10" not in start  # the ball has not moved: nothing to magnify yet
    texts, rects, _ = overlay(tl, step, DARK, W, H, progress=1.0)
    label = next(t for t in texts if t.text == "change ×10")
    ball = max((r for r in rects if r.color == DARK.negative and r.opacity == 1.0), key=lambda r: r.x1 - r.x0)
    assert label.valign == "bottom" and label.y > ball.y1 - 0.01  # over the ball
    assert label.align == "right" and label.x <= (ball.x0 + ball.x1) / 2  # the bowl's side: left
    weight = next(t for t in texts if t.text == "weight")
    wide = text_width_em(label.text) * label.size / W
    assert label.x <= weight.x - text_width_em("weight") * weight.size / W or label.y > weight.y + 0.01
    assert label.x - wide > DESCENT_CURVE_BOX[0]
