"""3Blue1Brown's "wants": in the error and backward steps an arrow beside each node says
which way, and how much, the record's value (its error) or its input z (its delta) should
move -- up and blue to rise, down and orange to fall, on one scale for the whole video
(a late iteration's as small as they are, round the outline of iteration 1's output error)."""

import itertools
import re
from dataclasses import replace

import numpy as np
import pytest

from nnviz3d.frames import WANT_MAX, WANT_MIN, WANT_WIDTH, frame_state, project, want_arrows
from nnviz3d.hud import overlay
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import THEMES
from nnviz3d.scene import load_scene
from nnviz3d.timeline.model import fmt_signed

W, H = 1280, 720


@pytest.fixture(scope="module")
def run():
    return prepare(load_scene(), epochs=(1, 2000))


def _step(tl, epoch, kind, layer=None, record=None):
    return next(
        s
        for s in tl.steps
        if s.epoch == epoch
        and s.kind == kind
        and (layer is None or s.layer == layer)
        and (record is None or s.record == record)
    )


def test_the_wants_are_the_recorded_errors_and_deltas_of_record_1(run):
    trace, tl = run
    u = trace.epoch_updates(1)[0]
    lay = tl.layout
    out = lay.node_id(2, 0)
    # l2_error = y - l2 of each record, in its node-by-node step
    for r in range(4):
        (node, value), *_ = _step(tl, 1, "output_error", record=r).wants
        assert node == out
        assert value == pytest.approx(float(u.targets[r, 0] - u.outputs[r, 0]), abs=1e-12)
    assert _step(tl, 1, "output_error", record=0).wants[0][1] == pytest.approx(-0.47372, abs=1e-5)
    # l2_delta, l1_error = l2_delta . syn1.T and l1_delta of record 1 (iamtrask's signs)
    assert _step(tl, 1, "delta", 2).wants == ((out, pytest.approx(float(-u.deltas[1][0, 0]), abs=1e-12)),)
    hidden = [lay.node_id(1, j) for j in range(4)]
    error = _step(tl, 1, "error", 1).wants
    assert [n for n, _ in error] == hidden
    np.testing.assert_allclose([v for _, v in error], -u.activation_grads[0][0], atol=1e-12)
    np.testing.assert_allclose([v for _, v in error], [0.0698, -0.0893, 0.112, -0.0403], atol=5e-4)
    delta = _step(tl, 1, "delta", 1).wants
    np.testing.assert_allclose([v for _, v in delta], -u.deltas[0][0], atol=1e-12)
    # the compact steps of iteration 2000 compute every record at once: no single want
    assert _step(tl, 2000, "output_error").wants == ()


def test_one_scale_per_layer_for_the_whole_video(run):
    _, tl = run
    scales = tl.want_scales
    for layer, scale in scales.items():
        wants = [abs(v) for s in tl.steps if s.layer == layer for _, v in s.wants]
        assert scale == max(wants)
    # the output layer's largest is record 4's error in iteration 1: 0 - 0.5447
    assert scales[2] == pytest.approx(0.54470, abs=1e-5)


def _arrows(tl, step):
    """(shaft, second piece) per want: the shaft's tip is its second point; the second is
    a solid arrow's head or a hollow arrow's outline. A delta's: (its fill, its error's
    hollow outline) -- a delta is drawn as the fill of its error's hollow arrow."""
    frame = step.first_frame + step.n_frames - 1
    state = frame_state(tl, frame, W, H)
    arrows = want_arrows(tl, step, state.theme, state.camera, W, H)
    assert set(arrows) <= set(state.polylines)  # drawn in the frame
    arrows = tuple(a for a in arrows if a.color != state.theme.muted)  # (a late output error's grey outline)
    if step.kind == "delta" and step.want_from:  # (the hollow's inside, its outline, the fill)
        return state, arrows[2::3], arrows[1::3]
    if step.senders:  # the senders' arrows first, as their delta step left them
        arrows = arrows[3 * len(step.senders) :]
    shafts, seconds = arrows[0::2], arrows[1::2]
    if step.kind != "delta":  # hollow: the inside stops at the head, the outline's 4th point is the tip
        assert all(s.points[1][1] != o.points[3][1] for s, o in zip(shafts, seconds, strict=True))
        shafts = tuple(
            replace(s, points=(s.points[0], o.points[3])) for s, o in zip(shafts, seconds, strict=True)
        )
    return state, shafts, seconds


def _length(shaft) -> float:
    return abs(shaft.points[1][1] - shaft.points[0][1])


@pytest.mark.parametrize("kind", ["error", "delta"])
def test_arrows_point_the_way_of_their_sign_errors_in_its_colour_deltas_in_purple(run, kind):
    _, tl = run
    step = _step(tl, 1, kind, 1)
    state, shafts, seconds = _arrows(tl, step)
    theme = THEMES["dark"]
    assert len(shafts) == 4
    for (node, value), shaft, second in zip(step.wants, shafts, seconds, strict=True):
        (x0, y0), (x1, y1) = shaft.points
        assert x0 == x1
        assert (y1 > y0) == (value > 0)  # the tip is the second point
        colour = theme.positive if value > 0 else theme.negative
        if kind == "delta":  # filling its error's hollow arrow, in the backward pass's purple
            assert shaft.color == theme.backward and second.color == colour
            assert shaft.points[0][1] == second.points[0][1]  # from the hollow's tail
            assert shaft.width > 1.3 * WANT_WIDTH * H / 720  # the hollow's inside: wider than a solid arrow
        else:  # hollow: an inside in the background's colour, as wide as a delta's fill
            # (a thin dark line down it read as a crack), and a coloured outline whose point is the tip
            assert shaft.color != theme.panel and second.color == colour
            assert np.mean(shaft.color) < 0.2 and shaft.width > 1.3 * WANT_WIDTH * H / 720
            assert shaft.points[1] in second.points
            assert len(second.points) == 8 and second.points[0] == second.points[-1]
        # beside its own node: left of it, level with it
        (nx, ny), *_ = (project(state.camera, tl.layout.nodes[[node]], W / H) + 1) / 2
        assert nx - 0.08 < x0 < nx
        if kind == "error":  # (a delta's fill stands in its error's arrow, from its tail)
            assert (y0 + y1) / 2 == pytest.approx(ny, abs=2e-3)  # within 1.5 px (a long lens)


def test_the_length_is_the_amount_and_a_delta_is_its_error_times_the_slope(run):
    trace, tl = run
    u = trace.epoch_updates(1)[0]
    error, delta = _step(tl, 1, "error", 1), _step(tl, 1, "delta", 1)
    _, e_shafts, _ = _arrows(tl, error)
    _, d_shafts, _ = _arrows(tl, delta)
    scale = tl.want_unit  # one scale for every arrow: the output's largest error, 0.5447
    assert scale == tl.want_scales[2] == max(tl.want_scales.values())
    e_len = [_length(s) for s in e_shafts]
    values = [abs(v) for _, v in error.wants]
    unit = max(e_len) / (WANT_MAX * max(values) / scale)  # one node spacing
    for length, value in zip(e_len, values, strict=True):
        assert length == pytest.approx(unit * max(WANT_MIN, WANT_MAX * value / scale), rel=1e-9)
    # hidden node 3 (error +0.112, slope 0.248): its delta's arrow is its error's x the slope
    a = u.activations[0][0, 2]
    assert _length(d_shafts[2]) / e_len[2] == pytest.approx(a * (1 - a), rel=1e-9)
    assert _length(d_shafts[2]) / e_len[2] == pytest.approx(0.248, abs=1e-3)
    # one scale for every layer (three reviews read arrows on scales of their own, a
    # layer's, as wants to compare): out's 0.474 is drawn four times h3's 0.112
    out_error = _step(tl, 1, "output_error")
    _, o_shafts, _ = _arrows(tl, out_error)
    assert _length(o_shafts[0]) / max(e_len) == pytest.approx(0.4737 / 0.11161, rel=1e-3)
    # iteration 2000 is drawn on the same scale, not magnified, as long as it is inside
    # iteration 1's outline: the output's error 0.0198 is 0.036 of the 0.5447 drawn longest
    late_step = _step(tl, 2000, "delta", 2)
    _, _, outlines = _arrows(tl, late_step)
    value, error = abs(late_step.wants[0][1]), abs(dict(late_step.want_from)[late_step.wants[0][0]])
    assert value == pytest.approx(0.000385, abs=5e-7)
    assert WANT_MAX * error / tl.want_unit == pytest.approx(0.1091, abs=1e-4)
    whole = abs(outlines[0].points[3][1] - outlines[0].points[0][1])
    assert whole == pytest.approx(unit * WANT_MAX * error / tl.want_unit, rel=1e-9)
    assert value / error == pytest.approx(0.0194, abs=1e-4)  # the output's slope, saturated


def test_a_late_iteration_is_not_magnified_and_its_errors_are_drawn_as_long_as_they_are(run):
    """One magnification in the video, the weight changes': iteration 2000's arrows (out's
    error 0.0198, the hidden ones 0.002-0.003) are drawn on iteration 1's scale, not x20
    with a badge (every review of rounds 74-79 read the arrows' x1 -> x20 beside the
    changes' x20 as a second scale); inside iteration 1's outlines, as long as they are
    (a mark at the least): at the shortest arrow the hidden ones were half their outlines
    where they had shrunk thirtyfold (reviews 32a, 32b)."""
    from nnviz3d.frames import WANT_TRUE_LEAST

    _, tl = run
    early, late = _step(tl, 1, "error", 1), _step(tl, 2000, "error", 1)
    _, e_shafts, _ = _arrows(tl, early)
    _, _, l_outlines = _arrows(tl, late)
    unit = max(_length(s) for s in e_shafts) / (WANT_MAX * max(abs(v) for _, v in early.wants) / tl.want_unit)
    for outline, (_, value) in zip(l_outlines, late.wants, strict=True):
        true = WANT_MAX * abs(value) / tl.want_unit
        assert true < 0.02  # a thirtieth of iteration 1's
        tip, tail = outline.points[3][1], outline.points[0][1]
        assert abs(tip - tail) == pytest.approx(unit * max(WANT_TRUE_LEAST, true), rel=1e-9)
        assert (tip > tail) == (value > 0)
    for screen in ("lecture", "hall", "study"):
        timeline = replace(tl, screen=screen)
        for step in (late, _step(tl, 2000, "delta", 2), early):
            texts = [t.text for t in overlay(timeline, step, THEMES["dark"], W, H)[0]]
            texts += [t.text for t in frame_state(timeline, step.first_frame + step.n_frames - 1, W, H).texts]
            assert not [t for t in texts if "×20" in t or "error arrows" in t or t.startswith("×")]


def test_a_late_error_stands_in_the_grey_outline_of_iteration_1s(run):
    """Seed 000's author wanted the shrinking seen: round each of iteration 2000's errors
    (out's 0.0198, the hidden ones 0.002-0.003, drawn the shortest) stands the outline of
    iteration 1's (out's 0.474, the hidden 0.0403-0.112), in grey, as long as it was on the
    one scale (review 31b: the hidden ones, at the shortest length, looked as large as
    iteration 1's), with "grey: iteration 1's error, 24× as long" under out's alone (0.474 over
    0.0198); none in iteration 1."""
    _, tl = run
    theme = THEMES["dark"]
    lay = tl.layout
    out = lay.node_id(2, 0)
    first_out, first_hidden = _step(tl, 1, "output_error"), _step(tl, 1, "error", 1)
    (then,) = [v for n, v in first_out.wants if n == out]
    assert then == pytest.approx(-0.4737, abs=1e-4)
    lengths = {}  # iteration 1's error arrows, as drawn
    for step in (first_out, first_hidden):
        _, _, outlines = _arrows(tl, step)
        for (node, _), o in zip(step.wants, outlines, strict=True):
            lengths[node] = (abs(o.points[3][1] - o.points[0][1]), o.points[3][1] > o.points[0][1])
    for step, nodes in (
        (_step(tl, 2000, "delta", 2), [out]),
        (_step(tl, 2000, "error", 1), [out, *lay.layer_nodes(1)]),
    ):
        state = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
        grey = [p for p in state.polylines if p.color == theme.muted and len(p.points) == 8]
        assert len(grey) == len(nodes)
        centres = (project(state.camera, lay.nodes, W / H) + 1) / 2
        for node in nodes:  # each level with its node, beside it, as long and as pointed as then
            (ghost,) = [
                g for g in grey if abs((g.points[3][1] + g.points[0][1]) / 2 - centres[node][1]) < 2e-3
            ]
            tip, tail = ghost.points[3][1], ghost.points[0][1]
            assert (
                abs(tip - tail) == pytest.approx(lengths[node][0], rel=1e-9)
                and (tip > tail) == lengths[node][1]
            )
            xs = [x for x, _ in ghost.points]
            assert (min(xs) > centres[node][0]) == (node == out)  # out's right of it, the hidden left
        (tag,) = [
            t for t in state.texts if t.text.replace("\n", " ") == "grey: iteration 1's error, 24× as long"
        ]
        (ghost,) = [g for g in grey if min(x for x, _ in g.points) > centres[out][0]]
        assert tag.color == theme.muted and tag.y < min(y for _, y in ghost.points)
        # under it from its left edge rightwards, right of out: clear of the network's numbers
        assert tag.align == "left" and tag.x == pytest.approx(min(x for x, _ in ghost.points))
        assert tag.x > centres[out][0]
    for step in (first_out, first_hidden, _step(tl, 1, "delta", 2)):
        state = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
        assert not [t for t in state.texts if "iteration 1's" in t.text]
        assert not [p for p in state.polylines if p.color == theme.muted and len(p.points) == 8]


def test_the_key_names_the_arrows_and_study_draws_none(run):
    _, tl = run
    step = _step(tl, 1, "delta", 1)
    texts = [t.text for t in overlay(tl, step, THEMES["dark"], W, H)[0]]
    assert "purple fill = error × slope" in texts
    _, study = prepare(
        replace(load_scene(), render=replace(load_scene().render, layout="study")), epochs=(1,)
    )
    s = _step(study, 1, "delta", 1)
    state = frame_state(study, s.first_frame + s.n_frames - 1, W, H)
    arrows = want_arrows(study, s, state.theme, state.camera, W, H)
    assert arrows and not set(arrows) & set(state.polylines)
    assert not [t.text for t in state.texts if t.text.startswith("purple fill")]


def test_the_worked_change_is_each_records_push_and_they_add_up(run):
    trace, tl = run
    u = trace.epoch_updates(1)[0]
    step = _step(tl, 1, "worked", 1)  # syn1's largest change: h3 -> out
    expected = u.activations[0][:, 2] * -u.deltas[1][:, 0]
    pushes = step.bars.values[:-1]
    np.testing.assert_allclose(pushes, expected, atol=1e-15)
    change = u.weights_after[1][2, 0] - u.weights_before[1][2, 0]
    assert step.bars.values[-1] == change  # the row they make: the change itself
    assert sum(pushes) == pytest.approx(change, abs=1e-15)
    np.testing.assert_allclose(pushes, [-0.0543, 0.0399, 0.0270, -0.0193], atol=5e-5)
    assert step.bars.names == ("record 1", "record 2", "record 3", "record 4", "change (sum)")


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_the_bars_panel_draws_a_bar_per_record_and_their_sum(run, layout):
    _, tl = run
    tl = replace(tl, screen=layout)
    step = _step(tl, 1, "worked", 1)
    texts = overlay(tl, step, THEMES["dark"], W, H)[0]
    words = [t.text for t in texts]
    # short names under a title that says records: "record 1" left the bars 28 px a side
    # in the lecture's column, too short to compare from a lecture room
    names = ["1", "2", "3", "4", "sum"]
    for name in names:
        assert name in words
    # to 4 digits, where to 3 they would add up to -0.0067: the sum a student checks closes
    parts = ["-0.05429", "+0.03989", "+0.02698", "-0.01935"]
    for number in [*parts, "-0.00677"]:
        assert number in words
    assert f"{sum(float(p) for p in parts):.5f}" == "-0.00677"
    theme = THEMES["dark"]
    bars = _bar_rows(overlay(tl, step, theme, W, H), theme, 0.60)
    assert len(bars) == 5
    values = list(step.bars.values)
    _assert_from_zero(bars, values)
    # inside its column (the lecture's reaches down beside the short code line of an update)
    floor = 0.04 if layout == "lecture" else 0.14
    assert max(b.y1 for b in bars) < 0.76 and min(b.y0 for b in bars) > floor
    least = 60 if layout == "lecture" else 40  # (the hall's big numbers leave less room)
    assert max(b.x1 - b.x0 for b in bars) * W >= least  # the largest push seen from the back


def _bar_rows(drawn, theme, x_min: float) -> list:
    """The signed bars of a bars panel right of ``x_min``, top row first."""
    bars = [r for r in drawn[1] if r.color in (theme.positive, theme.negative) and r.opacity == 1.0]
    bars = [r for r in bars if r.x0 >= x_min and r.x1 - r.x0 != pytest.approx(12 / W)]  # not the curve's dot
    return sorted(bars, key=lambda r: -r.y0)


def _assert_from_zero(bars, values) -> None:
    """Each term a bar from the zero line, right and blue for +, left and orange for -, as
    long as it is, and the sum under them the same way: the terms pulling against each other
    are seen beside their short sum (three reviews read a running total's bars, each from
    where the one above ended, as signs: a + left of the zero line)."""
    theme = THEMES["dark"]
    centre = bars[0].x1 if values[0] < 0 else bars[0].x0
    for bar, v in zip(bars, values, strict=True):
        assert bar.color == (theme.positive if v > 0 else theme.negative)
        assert (bar.x0 if v > 0 else bar.x1) == centre
    lengths = [bar.x1 - bar.x0 for bar in bars]
    for length, v in zip(lengths, values, strict=True):
        assert length / lengths[0] == pytest.approx(abs(v) / abs(values[0]), rel=1e-9)


def test_a_nodes_z_is_drawn_as_its_terms_and_their_sum(run):
    trace, tl = run
    u = trace.epoch_updates(1)[0]
    step = next(s for s in tl.steps if s.kind == "node" and s.epoch == 1 and s.layer == 2)  # out, record 1
    products = u.activations[0][0] * u.weights_before[1][:, 0]
    np.testing.assert_allclose(step.bars.values[:-1], products, atol=1e-15)
    assert step.bars.values[-1] == pytest.approx(float(u.preactivations[1][0, 0]), abs=1e-15)
    assert step.bars.names == ("h1", "h2", "h3", "h4", "z")
    assert step.bars.title == "z = sum of input × weight"
    texts = overlay(tl, step, THEMES["dark"], W, H)[0]
    words = [t.text for t in texts]
    for number in ["-0.265", "+0.393", "-0.435", "+0.202", "-0.105"]:  # as on the edges and the caption
        assert number in words
    theme = THEMES["dark"]
    bars = _bar_rows(overlay(tl, step, theme, W, H), theme, 0.70)
    assert len(bars) == 5
    _assert_from_zero(bars, list(step.bars.values))
    assert bars[-1].x1 - bars[-1].x0 < bars[2].x1 - bars[2].x0  # the terms cancel to a short z
    # under the outputs, down beside the code line: the lecture's column
    assert min(b.y0 for b in bars) > 0.04 and max(b.y1 for b in bars) < 0.39
    hidden = next(s for s in tl.steps if s.kind == "node" and s.epoch == 1 and s.layer == 1)  # h1: x = 0 0 1
    assert hidden.bars.names == ("x1", "x2", "x3", "z") and hidden.bars.values[:2] == (0.0, 0.0)
    assert "an input of 0 adds 0" in " ".join(
        t.text.replace("\n", " ") for t in overlay(tl, hidden, theme, W, H)[0]
    )


def test_only_the_first_example_draws_its_sum_as_bars(run):
    """The first example plays slowly so its sums can be built, as bars beside the caption;
    at a node's pace after it (0.85 s) the bars were the sum a third time, beside the
    caption's and the weights' numbers (reviews 42a, 42b: clutter): none there, the records'
    table alone beside the network."""
    _, tl = run
    nodes = [s for s in tl.steps if s.kind == "node"]
    first = [s for s in nodes if s.epoch == 1 and s.record == 0]
    later = [s for s in nodes if s not in first]
    assert len(first) == 5 and later
    assert all(s.bars is not None for s in first) and all(s.bars is None for s in later)
    theme = THEMES["dark"]
    step = next(s for s in later if s.layer == 2)
    texts, rects, _ = overlay(tl, step, theme, W, H)
    assert "z = sum of input × weight" not in [t.text for t in texts]
    assert _bar_rows((texts, rects, ()), theme, 0.70) == []


def test_the_display_error_is_each_records_error_and_the_mean_of_their_sizes(run):
    trace, tl = run
    u = trace.epoch_updates(1)[0]
    step = _step(tl, 1, "display_error")
    assert step.bars.title == "each record's l2_error"
    assert step.bars.names[-1] == "mean |error|"
    np.testing.assert_allclose(step.bars.values[:-1], u.targets[:, 0] - u.outputs[:, 0], atol=1e-15)
    assert step.bars.values[-1] == pytest.approx(float(np.mean(np.abs(step.bars.values[:-1]))), abs=1e-15)
    texts, rects, _ = overlay(tl, step, THEMES["dark"], W, H)
    words = [t.text for t in texts]
    for number in ["-0.474", "+0.511", "+0.456", "-0.545", "0.496"]:  # a mean of sizes has no sign
        assert number in words
    assert "+0.496" not in words
    theme = THEMES["dark"]
    bars = [r for r in rects if r.color in (theme.positive, theme.negative, theme.muted) and r.opacity == 1.0
            and r.x0 >= 0.70 and r.y0 >= 0.04]  # fmt: skip
    neg, pos = theme.negative, theme.positive
    assert [b.color for b in bars] == [neg, pos, pos, neg, theme.muted]
    assert all(b.x0 >= 0.70 and b.x1 <= 0.993 and b.y0 >= 0.04 and b.y1 <= 0.39 for b in bars)  # its box


def _iamtrask_loss(u, k, i, j, w):
    """1/2 sum of squared errors over the batch with weight (i, j) of syn{k} set to w."""
    syn = [m.copy() for m in u.weights_before]
    syn[k][i, j] = w
    l1 = 1 / (1 + np.exp(-(u.inputs @ syn[0])))
    l2 = 1 / (1 + np.exp(-(l1 @ syn[1])))
    return 0.5 * float(((u.targets - l2) ** 2).sum())


@pytest.mark.parametrize("k, ij", [(1, (2, 0)), (0, (1, 2))])
def test_the_worked_change_goes_downhill_on_its_weights_loss_curve(run, k, ij):
    trace, tl = run
    u = trace.epoch_updates(1)[0]
    step = _step(tl, 1, "worked", k)
    curve = step.loss_curve
    i, j = ij
    assert curve.name == {1: "h3 -> out", 0: "x2 -> h3"}[k]  # as the picture names the nodes
    assert curve.w0 == u.weights_before[k][i, j]
    assert curve.loss0 == pytest.approx(u.loss, abs=1e-12)  # the recorded loss, at the weight
    h = 1e-6  # the recorded gradient is the curve's slope there
    numeric = (_iamtrask_loss(u, k, i, j, curve.w0 + h) - _iamtrask_loss(u, k, i, j, curve.w0 - h)) / (2 * h)
    assert curve.slope == pytest.approx(numeric, abs=1e-8)
    assert curve.change == pytest.approx(-curve.slope, abs=1e-15)  # rate 1: downhill
    for w, e in zip(curve.w[::20], curve.loss[::20], strict=True):
        assert e == pytest.approx(_iamtrask_loss(u, k, i, j, w), abs=1e-12)
    # the span shows the bowl: twice the way to its lowest point within +-2 (syn1's weight:
    # the bottom 0.3 to its left), at least 0.3; syn0's falls all the way to -2
    span = curve.w[-1] - curve.w0
    assert curve.w[0] == pytest.approx(curve.w0 - span) and 0.3 <= span <= 2 + 1e-12
    bottom = curve.w[int(np.argmin(curve.loss))]
    if k == 1:
        assert span == pytest.approx(0.6) and curve.w[0] < bottom < curve.w0  # downhill: left
    else:
        assert span == pytest.approx(2.0) and bottom == curve.w[0]


def test_the_worked_change_shows_the_records_sum_alone(run):
    """Review 41a found the worked change "overloaded": a three-line sum, each record's bar
    and, over them, the loss as the weight varies with its tangent and step, which the
    descent shows full size three shots later. One idea a shot: the records' sum alone, its
    bars the whole column; the descent keeps the curve, its tangent and its step."""
    _, tl = run
    step = _step(tl, 1, "worked", 1)
    theme = THEMES["dark"]
    texts, _, lines = overlay(tl, step, theme, W, H)
    words = [t.text for t in texts]
    assert "each record's\ninput × delta" in words or "each record's input × delta" in words
    assert not any(w.startswith(("loss = ", "gradient dloss/dw", "change = -gradient")) for w in words)
    assert not any(p.color == theme.gradient for p in lines)  # no tangent
    descent = next(s for s in tl.steps if s.kind == "descent")
    said = [t.text for t in overlay(tl, descent, theme, W, H)[0]]
    assert "gradient +0.00677" in said and any(w.startswith("loss = 1/2 sum of squared") for w in said)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_hall_keeps_the_key_over_the_error_and_the_signs_in_pairs(lang):
    scene = load_scene()
    scene = replace(scene, render=replace(scene.render, layout="hall", lang=lang))
    _, tl = prepare(scene, epochs=(1, 2000))
    theme = THEMES["dark"]
    keys = {"en": ("hollow arrow = wanted change", "purple fill = error × slope"),
            "ja": ("白抜き矢印 = 値の望ましい変化", "紫の塗り = 誤差 × 傾き")}[lang]  # fmt: skip
    for step in tl.steps:
        texts = overlay(tl, step, theme, W, H)[0]
        words = [t.text for t in texts]
        if step.wants:
            assert keys[step.kind == "delta"] in words, (step.index, words[:4])
        blue = [t for t in texts if t.color == theme.positive and t.y > 0.9]
        orange = [t for t in texts if t.color == theme.negative and t.y > 0.9]
        assert len(blue) == len(orange), step.index  # "blue +" never without "orange -"


def test_the_tubes_sent_back_keep_one_colour_and_their_numbers_carry_the_sign(run):
    from nnviz3d.frames import _backward_flow

    _, tl = run
    step = _step(tl, 1, "error", 1)
    theme = THEMES["dark"]
    colours = _backward_flow(step, tl.layout, theme, 1.0)[4]
    back = [s for s in step.signals if not s.forward]
    assert len(back) == 4
    assert {tuple(c) for c in colours} == {theme.backward}  # blue and orange stay the weights' signs
    assert theme.backward not in (theme.positive, theme.negative)
    # what each weight carries back is the hidden node's error: written beside that node
    assert step.edge_values == ()
    notes = dict(step.node_notes)
    for s in back:
        node = tl.layout.edge_from[s.edge]
        assert notes[node].endswith(f" {fmt_signed(s.value)}") and notes[node][0] in "+-"  # d × w = e
    # node 3's weight is negative (-0.945): the output's down (-0.118) comes back up (+0.112)
    assert step.caption.startswith(
        "l1_error = l2_delta · syn1.T, e.g. h3: -0.118 × -0.945 ≈ +0.112 (a negative weight flips the sign)"
    )
    assert "flips" in step.headline and "flips" not in step.gloss  # in big type, kept by the hall


def test_an_update_shows_its_largest_change_beside_the_earlier_ones_on_one_linear_scale(run):
    _, tl = run
    step = _step(tl, 2000, "update", 0)
    theme = THEMES["dark"]
    texts, rects, _ = overlay(tl, step, theme, W, H)
    words = [t.text for t in texts]
    assert "largest |change| of\nsyn0, per iteration" in words
    assert [w for w in words if w in ("1", "... 2000")] == ["1", "... 2000"]  # the gap marked
    assert "0.0103" in words and "0.000291" in words  # iteration 1's and 2000's, unsigned
    # sizes without a sign: neutral bars (blue and orange say a sign)
    bars = [r for r in rects if r.color == theme.muted and r.opacity == 1.0 and r.y0 > 0.40]
    assert len(bars) == 2  # iterations 1 and 2000 (the run shows only those)
    first, last = (b.x1 - b.x0 for b in bars)
    expected = [float(np.max(np.abs(s.change))) for s in tl.steps
                if s.kind == "update" and s.layer == 0]  # fmt: skip
    assert last / first == pytest.approx(expected[1] / expected[0], rel=1e-9)
    assert last / first < 0.05  # the shrinking, seen


def test_the_learned_rule_marks_the_training_records_at_its_corners():
    _, tl = prepare(load_scene())  # with the epilogue and the summary
    step = next(s for s in tl.steps if s.kind == "epilogue" and s.epoch == 60000)
    assert step.feature_records == ((0.0, 0.0, 0.0), (0.0, 1.0, 1.0), (1.0, 0.0, 1.0), (1.0, 1.0, 0.0))
    state = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
    theme = THEMES["dark"]
    rings = [r for r in state.rects if r.color == theme.target and abs((r.y1 - r.y0) * H - 16) < 1e-6]
    assert len(rings) == 4
    centres = sorted(((r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2) for r in rings)
    (bl, tl_), (br, tr) = sorted(centres[:2], key=lambda c: c[1]), sorted(centres[2:], key=lambda c: c[1])
    assert bl[0] == pytest.approx(tl_[0]) and br[0] == pytest.approx(tr[0]) and br[0] > bl[0]
    assert bl[1] == pytest.approx(br[1]) and tl_[1] == pytest.approx(tr[1]) and tl_[1] > bl[1]
    # filled for a target of 1 (input 1 = 0, input 2 = 1: top left; 1, 0: bottom right)
    inner = {((r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2): r.color for r in state.rects
             if abs((r.y1 - r.y0) * H - 10) < 1e-6}  # fmt: skip
    filled = sorted(c for c, colour in inner.items() if colour == theme.target)
    assert [pytest.approx(c) for c in filled] == sorted([tl_, br])


def test_the_change_grid_writes_every_change_turned_so_the_numbers_fit(run):
    """syn0's 3x4 changes are too wide in three columns at the smallest type: the grid
    lies 4x3 (rows h1-h4, columns x1-x3) and writes every change to 4 decimals, as syn1's table does; the
    tiny changes of iteration 2000 (6 decimals) do not fit: colours only."""
    trace, tl = run
    tl = replace(tl, screen="lecture")
    step = _step(tl, 1, "update", 0)
    words = [t.text for t in overlay(tl, step, THEMES["dark"], W, H)[0]]
    assert "syn0.T change" in words
    assert all(name in words for name in ["h1", "h2", "h3", "h4", "x1", "x2", "x3"])  # rows, columns
    change = trace.epoch_updates(1)[0].weights_after[0] - trace.epoch_updates(1)[0].weights_before[0]
    cells = [w for w in words if re.fullmatch(r"[+-]0\.\d{4}", w)]
    assert cells == [("+" if v > 0 else "-") + f"{abs(v):.4f}" for v in change.T.ravel()]
    assert "-0.0103" in cells  # the largest, x2 -> h3
    late = _step(tl, 2000, "update", 0)
    words = [t.text for t in overlay(tl, late, THEMES["dark"], W, H)[0]]
    assert "syn0 change" in words and not [w for w in words if re.fullmatch(r"[+-]0\.\d{6}", w)]


def test_the_table_at_the_end_of_an_iteration_shows_what_the_new_weights_give(run):
    from nnviz3d.mlp import forward

    trace, tl = run
    end = _step(tl, 1, "end")
    u = trace.epoch_updates(1)[0]
    new = forward(("sigmoid", "sigmoid"), u.weights_after, None, u.inputs)
    np.testing.assert_array_equal(end.visual.outputs, new)
    first = end.values["outputs_after[0,0]"]
    assert first == end.values["record1_after[0]"] == pytest.approx(0.47070, abs=5e-5)
    words = [t.text for t in overlay(replace(tl, screen="lecture"), end, THEMES["dark"], W, H)[0]]
    assert {"0.471", "0.487", "0.541", "0.543"} <= set(words)


def test_the_output_arrow_stands_right_of_the_output_clear_of_its_weights(run):
    """The weights converge on the output from the left: its arrow stands on its right,
    the hidden nodes' on their left (test above)."""
    _, tl = run
    step = _step(tl, 1, "output_error", record=0)
    state, shafts, _ = _arrows(tl, step)
    (node, _), shaft = step.wants[0], shafts[0]
    (nx, ny), *_ = (project(state.camera, tl.layout.nodes[[node]], W / H) + 1) / 2
    assert nx < shaft.points[0][0] < nx + 0.08
    assert (shaft.points[0][1] + shaft.points[1][1]) / 2 == pytest.approx(ny, abs=2e-3)


def test_a_deltas_arrow_grows_out_of_its_errors_shrunk_by_the_slope(run):
    """The chain rule as motion: a delta step starts with each node's error arrow (hollow, in
    its sign's colour, the error's length) filled in purple, and the fill shrinks to the
    delta's length; the hollow stays, so the delta is seen as a share of its error."""
    _, tl = run
    step = _step(tl, 1, "delta", 1)
    theme = THEMES["dark"]
    errors = dict(step.want_from)
    assert set(errors) == {n for n, _ in step.wants} and len(errors) == 4
    first = frame_state(tl, step.first_frame, W, H)
    last = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)

    hollows = [p for p in last.polylines if len(p.points) == 8]  # hollow outlines, to the end
    assert len(hollows) == 4 and {p.color for p in hollows} <= {theme.positive, theme.negative}
    start = [p for p in first.polylines if p.color == theme.backward and len(p.points) == 2]
    end = [p for p in last.polylines if p.color == theme.backward and len(p.points) == 2]
    assert len(start) == len(end) == 4

    def height(p):
        ys = [y for _, y in p.points]
        return max(ys) - min(ys)

    def middle(p):
        ys = [y for _, y in p.points]
        return (max(ys) + min(ys)) / 2

    # node by node (top to bottom): the fill at first as long as its error's shaft, at the end
    # the delta's, a quarter of the error (slope ~0.25) unless held at the shortest length
    for a, b, hollow in zip(*(sorted(p, key=middle) for p in (start, end, hollows)), strict=True):
        assert height(b) <= height(a) < height(hollow)
        assert a.points[0] == b.points[0] and a.points[0][1] == hollow.points[0][1]  # from its tail
    assert sum(map(height, start)) > 1.5 * sum(map(height, end))  # (a short arrow is most of it head)


def test_in_the_error_step_each_arrow_comes_when_its_tube_arrives(run):
    """Cause before effect: the tubes set off one after another; a hidden node's hollow
    arrow (its error, what the tube brings) is drawn only once its tube has arrived (the
    output's, which sends, stands from the start)."""
    from nnviz3d.frames import (
        SENT_BACK_SECONDS,
        _backward_flow,
        _labels,
        _tween_seconds,
        _unease,
        _WantPen,
        arrivals,
        tube_windows,
        tween_progress,
    )

    _, tl = run
    step = _step(tl, 1, "error", 1)
    windows = tube_windows(step)
    starts = [a for a, _ in windows.values()]
    # the first iteration's: the caption's example (h3's -0.945, a flip) first, alone and
    # slowly, then the one its weight shrinks most (h4's 0.341: review 54a, "the shrink never
    # happens as motion"), alone, then the others together, a little apart (reviews 49a
    # and 49b: one at a time, h4 first, read as out of order beside the caption's h3)
    assert starts == sorted(starts) and len(set(starts)) == 4 and starts[0] == 0
    (_, first_end), (second_start, second_end), *rest = windows.values()
    assert first_end < second_start and all(second_end < a for a, _ in rest)  # each alone
    assert all(a2 < b for (_, b), (a2, _) in itertools.pairwise(rest))  # the others together
    assert first_end > second_end - second_start > max(b - a for a, b in rest)  # slowest first
    lay = tl.layout
    assert list(windows) == [lay.edge_id(1, n, 0) for n in (2, 3, 0, 1)]
    # the tokens take their time (landing by half the tween, three were crammed into 1.4 s
    # each, then 8 s stood still: review 53d), yet are home with time left to read
    assert 0.75 <= max(b for _, b in windows.values()) <= 0.9
    theme = THEMES["dark"]
    early = _backward_flow(step, tl.layout, theme, 0.2)[2]  # the tubes' lengths at 0.2
    assert early[0] > early[-1]  # the first has gone further than the last
    came = arrivals(step, tl.layout)
    seconds = _tween_seconds(tl, step)
    assert seconds > SENT_BACK_SECONDS  # the first iteration's, slow
    assert len(step.senders) == 1
    for local in range(0, round(seconds * tl.fps), 3):
        f = step.first_frame + local
        progress, _ = tween_progress(step, f, tl.fps, seconds)
        state = frame_state(tl, f, W, H)
        outlines = [p for p in state.polylines if len(p.points) == 8]  # the hollow arrows
        due = sum(_unease(progress) >= came[n] for n, _ in step.wants)
        # (and those the tokens carry, the hidden errors on their way)
        carried = _labels(tl, step, theme, state.camera, (W, H), progress)[1]
        pen = _WantPen.of(tl, theme, state.camera, W, H)
        on_way = sum(c.hollow and pen.length_of(c.value) > 0.002 and not _behind(pen, c) for c in carried)
        assert len(outlines) == 1 + due + on_way


def _behind(pen, carried) -> bool:
    """Whether a carried arrow docking at its node stands behind the node's sphere now (not
    drawn): on its way from beside its token to its node's place."""
    if carried.dock is None:
        return False
    node, u = carried.dock
    x = pen.point(np.array(carried.at))[0] + carried.side * pen.half_head
    return pen.behind(node, x + (pen.slot(node)[0] - x) * u)


def test_a_saturated_slopes_number_stands_clear_of_the_curve(run):
    """Iteration 2000's output sits where the sigmoid is flat (l2 = 0.0198, slope 0.0194):
    its number, beyond the tangent's end, would lie on the curve; it stands in the corner
    the curve leaves empty, over the curve's low half (review 28)."""
    _, tl = run
    step = _step(tl, 2000, "delta", 2)
    texts = overlay(tl, step, THEMES["dark"], W, H)[0]
    label = next(t for t in texts if t.text == "slope 0.0194")
    zero = next(t for t in texts if t.text == "0" and t.align == "right")  # the curve's 0, left of it
    one = next(t for t in texts if t.text == "1" and t.align == "right")
    assert label.align == "left" and label.x < zero.x + 0.05  # at the plot's left
    assert zero.y + 0.6 * (one.y - zero.y) < label.y < one.y  # high: where the sigmoid is still near 0
    # and a leader in the slope's colour runs from under it down to the tangent's point (a
    # review read the number, over the sigmoid's steep middle, as the slope there)
    theme = THEMES["dark"]
    _, rects, lines = overlay(tl, step, theme, W, H)
    point = next(r for r in rects if r.color == theme.slope)
    px, py = (point.x0 + point.x1) / 2, (point.y0 + point.y1) / 2
    # dotted: a solid one read as a vertical tangent (review 49b)
    dashes = [p for p in lines if p.color == theme.slope and len(p.points) == 2 and p.width < 4]
    assert len(dashes) >= 3 and len({p.points[0][0] for p in dashes}) == 1
    ys = sorted(y for p in dashes for _, y in p.points)
    gaps = np.diff(sorted({y for p in dashes for _, y in p.points}))
    (x1, _), y0, y1 = dashes[0].points[1], ys[-1], ys[0]  # from under the label down to the point
    assert y0 < label.y - 0.5 * label.size / H and abs(x1 - px) < 1e-9 and 0 < y1 - py < 12 / H
    assert gaps.min() > 2 / H  # dashes apart: gaps between them


def test_the_tubes_sent_back_are_on_one_scale_for_the_video(run):
    """A tube's width is |delta × weight| on the receiving layer's scale for the whole video
    (over the iteration's magnification, as its want arrows): iteration 2000 sends back a
    hundredth of iteration 1's, and its tubes are seen to be thinner, not as thick (a review
    found each step's largest drawn as wide as iteration 1's)."""
    from nnviz3d.frames import FLOW_R_MAX, _backward_flow, flow_scale

    _, tl = run
    theme = THEMES["dark"]
    radii = {}
    for epoch in (1, 2000):
        step = _step(tl, epoch, "error", 1)
        radii[epoch] = _backward_flow(step, tl.layout, theme, 1.0, flow_scale(tl, step))[3]
        values = np.abs([s.value for s in step.signals if not s.forward])
        scale = tl.want_unit
        expected = np.clip(FLOW_R_MAX * values / scale, 0.012, FLOW_R_MAX)
        np.testing.assert_allclose(radii[epoch], expected, rtol=1e-12)
    # iteration 1's h3 (0.112) on the scale of every arrow, out's 0.5447
    assert radii[1].max() == pytest.approx(FLOW_R_MAX * 0.11161 / 0.54470, rel=1e-3)
    assert radii[2000].max() < 0.5 * radii[1].max()


def test_a_nodes_terms_and_z_come_with_the_caption_parts_that_say_them(run):
    """The panel names its rows at once; the terms' bars come with "= the terms", z's with
    "= z" (a review found z in the panel while the caption still built the formula)."""
    _, tl = run
    step = next(s for s in tl.steps if s.kind == "node" and s.epoch == 1 and s.layer == 2)
    theme = THEMES["dark"]
    counts = []
    for shown in (1, 2, 3, 4):
        texts, rects, _ = overlay(tl, step, theme, W, H, shown=shown)
        words = [t.text for t in texts]
        assert all(name in words for name in ("h1", "h2", "h3", "h4", "z"))
        counts.append((len(_bar_rows((texts, rects, ()), theme, 0.70)), "-0.105" in words, "+0.393" in words))
    # (the caption writes -0.105 from its third part on, the panel with it)
    assert counts == [(0, False, False), (4, False, True), (5, True, True), (5, True, True)]


def test_the_end_of_an_iteration_leaves_its_errors_to_the_caption(run):
    """The caption says the mean |error| before the update and after it: the status line's
    error (the one before) beside them was read as the error after."""
    _, tl = run
    end = _step(tl, 1, "end")
    words = [t.text for t in overlay(tl, end, THEMES["dark"], W, H)[0]]
    assert "0.49641 before the update, 0.49630 after" in " ".join(w.replace("\n", " ") for w in words)
    assert not [w for w in words if w.startswith("mean |error|")]
    error_step = _step(tl, 1, "delta", 1)
    assert "mean |error| 0.49641" in [t.text for t in overlay(tl, error_step, THEMES["dark"], W, H)[0]]


def test_the_deltas_sent_back_continue_the_arrows_before_and_after(run):
    """The error step begins with out's arrow as its delta step left it, and the hidden
    errors' hollow arrows it ends with are those the delta step after it fills: no arrow
    jumps between the steps."""
    _, tl = run
    theme = THEMES["dark"]
    error = _step(tl, 1, "error", 1)
    before, after = tl.steps[error.index - 1], tl.steps[error.index + 1]
    assert (before.kind, before.layer, after.kind, after.layer) == ("delta", 2, "delta", 1)

    def arrows(step, progress):
        camera = frame_state(tl, step.first_frame, W, H).camera
        return want_arrows(tl, step, theme, camera, W, H, progress)

    out = arrows(before, 1.0)
    assert len(out) == 3 and arrows(error, 0.0) == out  # the output's hollow arrow and its fill
    hollows, filled = arrows(error, 1.0)[3:], arrows(after, 0.0)
    assert len(hollows) == 8 and len(filled) == 12
    assert hollows[0::2] == filled[0::3] and hollows[1::2] == filled[1::3]  # insides, outlines


def _tokens(tl, step, frame):
    """The tokens of an error step's frame (numbers on a backdrop tinted by their colour),
    and its labels by their text."""
    from nnviz3d.frames import TOKEN_TINT, _mix

    theme = THEMES["dark"]
    labels = frame_state(tl, frame, W, H).labels
    tokens = [lb for lb in labels if lb.backdrop == _mix(theme.panel, lb.color, TOKEN_TINT)]
    return tokens, labels


def _token_times(tl, step, edge):
    """(frame, t) over the step's tween: t, how far (0..1) the delta sent along ``edge`` is
    on its way."""
    from nnviz3d.frames import _packet_windows, _tween_seconds, _unease, tween_progress

    ((begin, end),) = [w for s, w in _packet_windows(step, tl.layout) if s.edge == edge]
    seconds = _tween_seconds(tl, step)
    for local in range(round(seconds * tl.fps)):
        f = step.first_frame + local
        progress, _ = tween_progress(step, f, tl.fps, seconds)
        yield f, (_unease(progress) - begin) / (end - begin)


def _carried_along(tl, step, frame, edge):
    """The frame's state, the numbers on its network, and the want arrow carried by the token
    sent back along ``edge``."""
    from nnviz3d.frames import _labels, _tokens_on_their_way, _tween_seconds, tween_progress

    state = frame_state(tl, frame, W, H)
    progress = tween_progress(step, frame, tl.fps, _tween_seconds(tl, step))[0]
    labels, carried = _labels(tl, step, THEMES["dark"], state.camera, (W, H), progress)
    on_way = _tokens_on_their_way(step, tl.layout, progress)
    return state, labels, carried[[e for e, _, _ in step.sent_values if e in on_way].index(edge)]


def test_each_delta_is_sent_back_as_its_number_which_its_weights_chip_multiplies(run):
    """Out's delta (-0.118) is sent back along each weight of syn1 as a token with its
    number, in the backward pass's purple; it comes up to the weight's "x w" and takes it
    in ("-0.118 × -0.945": the product written on the wire), the pill becomes one
    "≈ +0.112" in its sign's colour (turned over by a negative weight), which then lands
    where the hidden node's note writes that result, right of the node (five reviews: a
    labelled token that is seen to be scaled at its weight; 52a: the gate was unseen; 56a
    and 56b: the results left of the nodes read as syn0's)."""
    from nnviz3d.frames import TOKEN_PHASES, _extent, _note_start, _px_per_unit, _stack_offsets

    trace, tl = run
    theme, lay = THEMES["dark"], tl.layout
    step = _step(tl, 1, "error", 1)
    weights = trace.epoch_updates(1)[0].weights_before[1][:, 0]
    ((_, delta, _),) = step.senders
    products = ("+0.0698", "-0.0893", "+0.112", "-0.0403")  # -0.11811 x w, 3 digits
    assert [(e, d) for e, d, _ in step.sent_values] == [(lay.edge_id(1, j, 0), "-0.118") for j in range(4)]
    assert tuple(p for _, _, p in step.sent_values) == products
    assert [fmt_signed(delta * w) for w in weights] == list(products)
    there, _, made, leaves = TOKEN_PHASES
    chips = dict(step.multipliers)
    out_x = lay.nodes[lay.node_id(2, 0)][0]
    state = frame_state(tl, step.first_frame, W, H)
    ppu = _px_per_unit(state.camera, W, H)
    rest = {lb.text: lb.position for lb in state.labels}
    rest_colour = {lb.text: lb.color for lb in state.labels}
    for j, product in enumerate(products):
        edge, hidden = lay.edge_id(1, j, 0), lay.node_id(1, j)
        seen = {"to the chip": [], "pair": 0, "one": 0, "from it": []}
        chip_w = _extent(chips[edge], 34, ppu)[0]
        for f, t in _token_times(tl, step, edge):
            if not 0 < t < 1:
                continue
            tokens, labels = _tokens(tl, step, f)
            chip = [lb for lb in labels if lb.text == chips[edge]]
            mine = [lb for lb in tokens if lb.text in ("-0.118", product, f"\u2248 {product}")]
            if t < there:
                (token,) = mine
                assert token.text == "-0.118" and token.color == theme.backward
                assert chip[0].position == rest[chips[edge]]  # still in its place
                assert chip[0].position[0] < token.position[0] <= out_x + 1.0  # on the output's side
                seen["to the chip"].append(token.position)
            elif there <= t < made:  # one pill: "-0.118 × -0.945", the delta purple, the chip taken in
                (token,) = mine = [lb for lb in tokens if lb.text == f"-0.118 {chips[edge]}"]
                assert not chip and token.spans[0] == (0, 6, theme.backward)
                assert token.spans[1][2] == rest_colour[chips[edge]]  # the weight in its sign's colour
                seen["pair"] += 1
            elif made <= t < leaves:  # one number where the pair stood, in the sign's colour
                (token,) = [lb for lb in mine if lb.text != "-0.118"]  # (the next may have set off)
                assert token.text == f"\u2248 {product}" and not chip
                assert token.color == (theme.positive if product[0] == "+" else theme.negative)
                seen["one"] += 1
            elif t >= leaves:
                (token,) = [lb for lb in mine if lb.text == product]
                assert token.color == (theme.positive if product[0] == "+" else theme.negative)
                seen["from it"].append(token.position)
        assert seen["pair"] >= 3 and seen["one"] >= 3, seen
        assert len(seen["to the chip"]) >= 3 and len(seen["from it"]) >= 3, seen
        came = rest[chips[edge]][0] + chip_w / 2 + 0.35 * 34 / ppu + _extent("-0.118", 34, ppu)[0] / 2
        assert seen["to the chip"][-1][0] == pytest.approx(came, abs=0.08)  # up to the chip's output end
        assert seen["to the chip"][0][0] == pytest.approx(out_x, abs=0.08)  # out of out's sphere
        # and lands where the note writes its result: the second line, right of the node
        start = _note_start(lay, hidden, step.visual.node_values) + _extent(product, 34, ppu)[0] / 2
        last = seen["from it"][-1]
        assert last[0] == pytest.approx(start, abs=0.05) and last[0] > lay.nodes[hidden][0]
        assert last[1] == pytest.approx(lay.nodes[hidden][1] + _stack_offsets(2, 34, ppu)[-1], abs=0.05)
    # the example first, alone; then the one its weight shrinks most (h4, × 0.341), alone;
    # then the others one at a time, each a product before the next sets off
    starts = {}
    for j in (2, 3, 0, 1):
        edge = lay.edge_id(1, j, 0)
        starts[j] = next(f for f, t in _token_times(tl, step, edge) if t > 0)
    assert starts[2] < starts[3] < starts[0] < starts[1]


def test_a_recap_sends_no_tokens(run):
    """In iteration 2000 the four deltas go together and quickly: four tokens at once, out
    of chips near the hidden nodes, covered the nodes and their names (review 51a)."""
    _, tl = run
    step = _step(tl, 2000, "error", 1)
    assert {p for _, _, p in step.sent_values} == {"+0.00192", "-0.00215", "+0.00339", "-0.00227"}
    assert not any(_tokens(tl, step, f)[0] for f in tl.frames_of(step.index))


def test_a_weights_chip_is_taken_into_its_nodes_note(run):
    """The chip stands on its weight, on its backdrop (nothing is seen under its digits),
    until its token takes it into the pill; from then on it is written in its node's note,
    "-0.118 × -0.945" over "≈ +0.112", not again on the weight, where the notes of the
    nodes under it come to stand."""
    from nnviz3d.frames import TOKEN_PHASES

    _, tl = run
    step = _step(tl, 1, "error", 1)
    h3 = tl.layout.edge_id(1, 2, 0)
    text = dict(step.multipliers)[h3]
    rest = next(lb for lb in frame_state(tl, step.first_frame, W, H).labels if lb.text == text)
    before, gone = 0, 0
    for f, t in _token_times(tl, step, h3):
        chip = [lb for lb in frame_state(tl, f, W, H).labels if lb.text == text]
        if t < TOKEN_PHASES[0]:
            assert chip == [rest]
            before += 1
        else:
            assert not chip
            gone += 1
    assert before >= 10 and gone >= 10
    assert rest.backdrop is not None and max(rest.backdrop) < 0.15  # the dark background's
    texts = [lb.text for lb in frame_state(tl, tl.frames_of(step.index)[-1], W, H).labels]
    assert "-0.118 × -0.945" in texts and "≈ +0.112" in texts and text not in texts


def test_each_weight_says_what_it_multiplies_the_delta_by_on_itself(run):
    """The error step writes each syn1 weight on it as a multiplier ("x -0.945"), in its
    sign's colour, from the start (the deltas are scaled there); the first iteration's step
    is slow (its example sent back alone), later ones are not; at its end each is written in
    its node's note."""
    _, tl = run
    theme = THEMES["dark"]
    step = _step(tl, 1, "error", 1)
    for frame in (step.first_frame,):
        labels = {lb.text: lb for lb in frame_state(tl, frame, W, H).labels}
        for edge, text in step.multipliers:
            label = labels[text]
            a, b = tl.layout.nodes[tl.layout.edge_from[edge]], tl.layout.nodes[tl.layout.edge_to[edge]]
            assert a[0] < label.position[0] < b[0]  # between the hidden node and out
            t = (label.position[0] - a[0]) / (b[0] - a[0])
            assert label.position[1] == pytest.approx(a[1] + t * (b[1] - a[1]), abs=1e-9)  # on the weight
            assert label.color == (theme.negative if "-" in text else theme.positive)
    late = _step(tl, 2000, "error", 1)
    assert [t for _, t in late.multipliers] == ["× -4.99", "× 5.60", "× -8.83", "× 5.91"]
    assert step.duration > 2 * late.duration


@pytest.mark.parametrize("epoch", [1, 2000])
def test_the_weights_chips_stand_clear_of_the_numbers_around_them(run, epoch):
    """Each "× w" of an error step is clear of the numbers over the nodes and of the other
    chips: iteration 2000's out delta, -0.000385, is wide, and its chip × -4.99 ran into it
    (review 47b) until the chips could stand nearer the hidden nodes. Where the hidden
    errors are the results alone (iteration 2000), and no place is clear of them, no chip
    is written: over the results, they were read as theirs."""
    from nnviz3d.frames import _box_gap, _label_box, _px_per_unit

    _, tl = run
    step = _step(tl, epoch, "error", 1)
    state = frame_state(tl, step.first_frame, W, H)
    chips = {text for _, text in step.multipliers}
    if epoch == 2000:
        assert not chips & {lb.text for lb in state.labels}
        return
    ppu = _px_per_unit(state.camera, W, H)
    boxes = {lb.text: _label_box(lb, ppu) for lb in state.labels}
    # out's delta over it, in the backward pass's purple
    (delta,) = [
        lb
        for lb in state.labels
        if lb.color == THEMES["dark"].backward and lb.text == step.node_labels[-1] and lb.align == "right"
    ]
    for chip in chips:
        assert _box_gap(boxes[chip], boxes[delta.text]) > 0, (chip, delta.text)
        for other in chips - {chip}:
            assert _box_gap(boxes[chip], boxes[other]) > 0, (chip, other)


def test_a_layers_tangents_on_the_sigmoid_do_not_cross(run):
    """Iteration 2000's hidden layer puts four tangents on one small sigmoid; at +-1.4 in z
    their ends crossed each other as hooks (review 47a): several share the curve at +-0.7."""
    _, tl = run
    theme = THEMES["dark"]
    step = _step(tl, 2000, "delta", 1)
    lines = overlay(tl, step, theme, W, H)[2]
    tangents = [p.points for p in lines if p.color == theme.slope and p.width == 4.0]
    assert len(tangents) == 4

    def cross(a, b):  # the two segments (in pixels) properly intersect
        (p, q), (r, s) = np.array(a) * (W, H), np.array(b) * (W, H)

        def side(o, u, v):
            return np.sign((u[0] - o[0]) * (v[1] - o[1]) - (u[1] - o[1]) * (v[0] - o[0]))

        return side(p, q, r) != side(p, q, s) and side(r, s, p) != side(r, s, q)

    assert not any(cross(a, b) for a, b in itertools.combinations(tangents, 2))


def test_a_delta_and_its_weight_stand_as_a_pair_clear_of_the_numbers_around(run):
    """Where h1's weight meets out's delta written over out, the pill "-0.118 × -0.591"
    moves over (then off its weight) until it is clear: it was written over "-0.118". And
    the room on its left, where it holds the arrow it carries, is clear of the nodes' names
    (review 53d: h3's arrow covered "h2")."""
    from nnviz3d.frames import (
        CARRY_ROOM,
        TOKEN_PHASES,
        _arrow_heights,
        _box_gap,
        _label_box,
        _px_per_unit,
        name_box,
        name_size,
    )

    _, tl = run
    lay = tl.layout
    step = _step(tl, 1, "error", 1)
    chips = dict(step.multipliers)
    camera = frame_state(tl, step.first_frame, W, H).camera
    ppu = _px_per_unit(camera, W, H)
    ws = step.visual.weights[[lay.edge_id(1, j, 0) for j in range(4)]]
    for j in range(4):
        edge = lay.edge_id(1, j, 0)
        pairs = 0
        for f, t in _token_times(tl, step, edge):
            if not TOKEN_PHASES[1] <= t < TOKEN_PHASES[2]:
                continue
            tokens, labels = _tokens(tl, step, f)
            (pill,) = [lb for lb in tokens if lb.text == f"-0.118 {chips[edge]}"]
            rest = [lb for lb in labels if lb is not pill]
            box = _label_box(pill, ppu)
            assert all(_box_gap(box, _label_box(lb, ppu)) > 0 for lb in rest), (j, pill.text)
            tall = _arrow_heights(tl, step, THEMES["dark"], camera, (W, H), ppu)(-0.11811 * ws[j])
            middle = (box[1] + box[3]) / 2
            held = (box[0] - CARRY_ROOM, middle - tall / 2, box[0], middle + tall / 2)  # the arrow's
            names = [name_box(lay, n, name_size(H), ppu) for n in range(lay.n_nodes)]
            assert all(_box_gap(held, name) > 0 for name in names), (j, pill.text)
            pairs += 1
        assert pairs >= 3


def test_a_token_carries_its_want_arrow_which_its_weight_scales_and_turns_over(run):
    """Beside the token, the delta's solid purple arrow (down: -0.118) goes round the pill
    over its top, from the output's side to the hidden node's, and on the way becomes the
    hidden node's hollow arrow: |w| times as long, and by a negative weight turned over --
    a half turn that is seen (h3: up, blue), not by a positive one (h4: a third as long,
    orange, still down); then it goes to the node's place (review 53a: "no arrow turns
    over"; 53b: "nothing grows or shrinks by |w|"; 53d: "a colour swap, not an event")."""
    from nnviz3d.frames import TOKEN_PHASES, _WantPen

    _, tl = run
    theme, lay = THEMES["dark"], tl.layout
    step = _step(tl, 1, "error", 1)
    _, under, made, leaves = TOKEN_PHASES
    for j, w in ((2, -0.9452), (3, 0.3409)):
        edge, node = lay.edge_id(1, j, 0), lay.node_id(1, j)
        seen = {"delta": 0, "turning": [], "error": 0, "docked": 0, "held": 0}
        colours_landing = []
        product = -0.11811 * w
        for f, t in _token_times(tl, step, edge):
            if not 0 < t < 1:
                continue
            state, _, arrow = _carried_along(tl, step, f, edge)
            if t < under:
                assert arrow.value == pytest.approx(-0.11811, abs=1e-4)
                assert (arrow.colour, arrow.hollow, arrow.angle) == (theme.backward, False, 0)
                assert arrow.side == 1.0  # on the output's side of the token: before the weight
                seen["delta"] += 1
            elif t < made:
                seen["turning"].append(arrow)
            else:
                assert arrow.value == pytest.approx(product, rel=1e-3) and arrow.hollow
                assert arrow.side == -1.0 and arrow.angle == 0  # on the hidden node's: past the weight
                # a flip's in its new sign's colour; else the delta's until it lands, then its
                # node's error's (reviews 54d and 54e read a colour change on the way as a flip)
                sign = theme.positive if product > 0 else theme.negative
                if t < leaves:
                    assert arrow.colour == (sign if w < 0 else theme.backward)
                    seen["held"] += 1
                else:
                    assert arrow.dock[0] == node
                    seen["docked"] += 1
                    colours_landing.append(arrow.colour)
                seen["error"] += 1
        assert seen["delta"] >= 3 and seen["error"] >= 3 and seen["docked"] >= 3
        turning = seen["turning"]
        sides = [a.side for a in turning]  # round the pill: from its output's side to its node's
        assert sides == sorted(sides, reverse=True) and sides[0] > 0.9 and sides[-1] < -0.9
        # over its top, or under it (h4's: h3's chip stands over it)
        assert max(abs(a.at[1] - turning[0].at[1]) for a in turning) > 0.05
        sizes = [abs(a.value) for a in turning]  # scaled by |w| on the way
        # (the last frame before the product is made is all but turned)
        assert sizes[0] == pytest.approx(0.11811, rel=0.05) and sizes[-1] == pytest.approx(
            abs(product), rel=0.01
        )
        assert sizes == sorted(sizes, reverse=True)
        # (turned whole, it is the product's); clockwise, the down arrow: half way round it
        # points back to the hidden node, not at out (review 54b read that as the forward pass)
        angles = [-a.angle for a in turning if a.value < 0]
        if w < 0:  # a half turn, seen: many frames on the way, then held
            assert angles == sorted(angles) and angles[0] < 0.1 * np.pi and angles[-1] > 0.9 * np.pi
            assert sum(0.1 * np.pi < a < 0.9 * np.pi for a in angles) >= 10
            assert seen["held"] >= 10  # then held, turned, beside the product
        else:  # a positive weight turns nothing
            assert set(angles) == {0.0} and all(a.value < 0 for a in turning)
        colours = [a.colour for a in turning]
        assert colours[0] == pytest.approx(theme.backward, abs=0.05)
        assert colours[-1] == pytest.approx(theme.positive if w < 0 else theme.backward, abs=0.01)
        # landing, its node's error's colour (h4's orange: from purple only now)
        assert colours_landing[-1] == pytest.approx(theme.positive if w < 0 else theme.negative, abs=0.02)
        if w > 0:
            assert colours_landing[0] == pytest.approx(theme.backward, abs=0.05)
        pen = _WantPen.of(tl, theme, state.camera, W, H)
        # scaled by |w|, never below the shortest arrow
        scaled = max(WANT_MIN, WANT_MAX * 0.11811 * abs(w) / tl.want_unit) / (
            WANT_MAX * 0.11811 / tl.want_unit
        )
        assert pen.length_of(-0.11811 * w) / pen.length_of(-0.11811) == pytest.approx(scaled, rel=1e-9)
        assert scaled == pytest.approx(abs(w), rel=0.02)  # (h4's 0.0403, 0.22 spacings: not the shortest)


def test_a_carried_arrow_is_drawn_turned_about_its_centre(run):
    """The arrow a token carries is drawn turned by its angle about its centre, on the
    screen's pixels: out's delta (down) a quarter turn clockwise points left, back to the
    hidden nodes, and keeps its length; a half turn points it up."""
    from nnviz3d.frames import Carried

    _, tl = run
    theme = THEMES["dark"]
    step = _step(tl, 1, "error", 1)
    camera = frame_state(tl, step.first_frame, W, H).camera
    at = tuple(float(v) for v in tl.layout.nodes[tl.layout.node_id(2, 0)])

    def shaft(angle: float) -> np.ndarray:  # (tail, tip) in pixels
        carried = Carried(at, -0.11811, theme.backward, False, angle=angle)
        lines = want_arrows(tl, step, theme, camera, W, H, 1.0, (carried,))
        return np.array(lines[-2].points) * (W, H)

    (tx, ty), (px, py) = shaft(0.0)
    length = ty - py
    assert length > 20 and abs(px - tx) < 1e-6  # down
    (tx, ty), (px, py) = shaft(-np.pi / 2)
    assert tx - px == pytest.approx(length, rel=1e-6) and abs(py - ty) < 1e-6  # left, as long
    (tx, ty), (px, py) = shaft(-np.pi)
    assert py - ty == pytest.approx(length, rel=1e-6)  # up


def test_a_product_stands_by_its_own_node_before_it_goes_there(run):
    """Once the pill is one number ("≈ -0.0403"), it moves on towards its hidden node and
    stands nearer it than any other node: where the pill filled the gap between the
    spheres, h4's product stood by h3 and was read as h3's (review 54b)."""
    from nnviz3d.frames import TOKEN_PHASES, TOKEN_TINT, _mix

    _, tl = run
    lay, theme = tl.layout, THEMES["dark"]
    step = _step(tl, 1, "error", 1)
    _, _, made, leaves = TOKEN_PHASES
    hidden = [lay.node_id(1, j) for j in range(4)]
    for j in range(4):
        edge, node = lay.edge_id(1, j, 0), lay.node_id(1, j)
        product = dict((e, p) for e, _, p in step.sent_values)[edge]
        standing = 0
        for f, t in _token_times(tl, step, edge):
            if not made + 0.75 * (leaves - made) <= t < leaves:  # (moved there by then)
                continue
            labels = frame_state(tl, f, W, H).labels
            tokens = [lb for lb in labels if lb.backdrop == _mix(theme.panel, lb.color, TOKEN_TINT)]
            (token,) = [lb for lb in tokens if product in lb.text]
            x, y, _ = token.position
            nearest = min(hidden, key=lambda n: np.hypot(*(lay.nodes[n][:2] - (x, y))))
            assert nearest == node, (j, token.text)
            standing += 1
        assert standing >= 2


def test_a_carried_arrow_goes_round_its_pill_clear_of_the_weights_chips(run):
    """The arrow a token carries goes round its pill over its top, or under it where a
    weight's "× w" stands just over it (h4's pill stands under h3's "× -0.945": its arrow
    went through it); its centre is never on another chip."""
    from nnviz3d.frames import TOKEN_PHASES, TOKEN_TINT, _label_box, _mix, _px_per_unit

    _, tl = run
    theme, lay = THEMES["dark"], tl.layout
    step = _step(tl, 1, "error", 1)
    _, under, made, _ = TOKEN_PHASES
    ways = {}
    for j in range(4):
        edge = lay.edge_id(1, j, 0)
        rises = []
        for f, t in _token_times(tl, step, edge):
            if not under < t < made:
                continue
            state, labels, arrow = _carried_along(tl, step, f, edge)
            ppu = _px_per_unit(state.camera, W, H)
            chips = [_label_box(lb, ppu) for lb in labels if lb.text.startswith("× ")]
            x, y, _ = arrow.at
            assert not any(x0 < x < x1 and y0 < y < y1 for x0, y0, x1, y1 in chips), (j, t)
            tokens = [lb for lb in labels if lb.backdrop == _mix(theme.panel, lb.color, TOKEN_TINT)]
            (pill,) = [lb for lb in tokens if lb.text.startswith("-0.118 × ")]
            rises.append(y - pill.position[1])
        ways[j] = max(rises, key=abs)
    assert len(ways) == 4


def test_a_note_is_written_whole_as_its_product_lands(run):
    """While h4's product flies in, nothing of h4's note is written where it comes (its
    operands there read "-0.1-0.0403 41": review 57a); once it lands, the whole note."""
    from nnviz3d.frames import TOKEN_PHASES

    _, tl = run
    lay = tl.layout
    step = _step(tl, 1, "error", 1)
    h4 = lay.edge_id(1, 3, 0)
    flying, landed = 0, 0
    for f, t in _token_times(tl, step, h4):
        texts = {lb.text for lb in frame_state(tl, f, W, H).labels}
        if TOKEN_PHASES[3] <= t < 1:
            assert "-0.118 × 0.341" not in texts and "≈ -0.0403" not in texts
            flying += 1
        elif t >= 1:
            assert {"-0.118 × 0.341", "≈ -0.0403"} <= texts
            landed += 1
    assert flying >= 3 and landed >= 1


def test_a_landing_arrow_passes_behind_its_nodes_sphere_not_over_it(run):
    """Review 30a: as h4's error landed, its hollow arrow crossed h4's sphere on its way to
    the node's left, its dark inside "a black square and red outline on h4". Through the
    error step of iteration 1, no point of a want arrow stands on a hidden node's sphere (as
    drawn), while every node's arrow is drawn at the end."""
    _, tl = run
    step = _step(tl, 1, "error", 1)
    lay = tl.layout
    hidden = list(lay.layer_nodes(1))
    theme = THEMES["dark"]
    crossings = 0
    for f in tl.frames_of(step.index):
        state = frame_state(tl, f, W, H)
        assert np.allclose(state.sphere_centers[hidden], lay.nodes[hidden])  # (the nodes' spheres)
        centres = (project(state.camera, lay.nodes[hidden], W / H) + 1) / 2
        drawn = np.asarray(state.sphere_radii)[hidden][:, None] * np.array([1.0, 0.0, 0.0])
        rim = (project(state.camera, lay.nodes[hidden] + drawn, W / H) + 1) / 2
        radii = (rim[:, 0] - centres[:, 0]) * W  # pixels
        colours = {theme.positive, theme.negative, theme.backward}
        arrows = [p for p in state.polylines if p.color in colours and len(p.points) in (2, 3, 8)]
        for p in arrows:
            for x, y in p.points:
                d = np.hypot((x - centres[:, 0]) * W, (y - centres[:, 1]) * H)
                crossings += int(np.any(d < radii - 4))  # (grazing its rim, a token's turning arrow)
    assert crossings == 0
    _, shafts, _ = _arrows(tl, step)  # (drawn in the step's last frame: _arrows checks)
    assert len(shafts) == 4


def test_the_outline_tag_keeps_to_the_frame_in_the_halls_japanese(run):
    """The hall's Japanese tag under out's outline (36 px, "grey: iteration 1's arrow, 24
    times as long") ran off the frame's right edge: it wraps to the room there."""
    from nnviz3d.primitives import text_width_em

    _, tl = run
    step = _step(tl, 2000, "error", 1)
    for screen, lang in (("hall", "ja"), ("hall", "en"), ("lecture", "ja")):
        timeline = replace(tl, screen=screen, lang=lang)
        state = frame_state(timeline, step.first_frame + step.n_frames - 1, W, H)
        (tag,) = [t for t in state.texts if "24" in t.text and ("grey" in t.text or "灰色" in t.text)]
        assert tag.x + text_width_em(tag.text) * tag.size / W <= 1.0, (screen, lang)
