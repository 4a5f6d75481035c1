"""Frame states: pure data, tested without rendering."""

import numpy as np
import pytest

from nnviz3d.frames import (
    EDGE_R_MIN,
    OUT_OF_FOCUS_THINNER,
    bead_radius,
    edge_radius,
    fit_size,
    frame_state,
    node_radius,
)
from nnviz3d.pipeline import prepare
from nnviz3d.scene import load_scene
from tests.helpers import study


@pytest.fixture(scope="module")
def tl():
    return prepare(study(load_scene()), epochs=(1, 2))[1]


def test_size_maps_are_monotone():
    v = np.linspace(0, 5, 200)
    assert np.all(np.diff(node_radius(v)) > 0)
    assert np.all(np.diff(edge_radius(v)) > 0)
    assert np.all(np.diff(bead_radius(np.logspace(-5, 0, 50), signed=True)) > 0)
    assert np.array_equal(node_radius(-v), node_radius(v))
    assert bead_radius(np.array([np.nan]), signed=True)[0] == 0


def test_values_tween_smoothly_then_hold(tl):
    s = next(s for s in tl.steps if s.kind == "node")
    node = tl.layout.node_id(s.layer, s.node)
    frames = list(tl.frames_of(s.index))
    radii = [frame_state(tl, f, 320, 180).sphere_radii[node] for f in frames]
    target = node_radius(np.array([s.visual.node_values[node]]))[0]
    assert radii[-1] == pytest.approx(target)
    assert radii[0] < target  # starts from the ghost size and grows
    steps = np.diff(radii)
    assert np.all(steps >= -1e-12)
    moving = steps[steps > 1e-12]
    assert len(moving) >= 3 and moving[0] < moving.max()  # eased, not a jump
    keys = [frame_state(tl, f, 320, 180).key for f in frames]
    assert keys[-1] == keys[-2]  # held frames share a key (and pixels)


def test_weight_cylinders_follow_the_update(tl):
    s = next(s for s in tl.steps if s.kind == "update" and s.layer == 0)
    last = frame_state(tl, tl.frames_of(s.index)[-1], 320, 180)
    focused = s.visual.edge_focus == 1.0  # syn0's: the others are drawn thinner, out of play
    assert focused[:12].all() and not focused[12:].any()
    np.testing.assert_allclose(last.cylinder_radii[focused], edge_radius(s.visual.weights[focused]))
    thinner = np.maximum(edge_radius(s.visual.weights[~focused]) * (1 - OUT_OF_FOCUS_THINNER), EDGE_R_MIN)
    np.testing.assert_allclose(last.cylinder_radii[~focused], thinner)
    prev = tl.steps[s.index - 1]
    first = frame_state(tl, tl.frames_of(prev.index)[-1], 320, 180)
    assert not np.allclose(first.cylinder_radii[:12], last.cylinder_radii[:12])


def test_labels_and_hud_show_recorded_numbers(tl):
    s = next(s for s in tl.steps if s.kind == "display_error")
    fs = frame_state(tl, tl.frames_of(s.index)[-1], 1280, 720)
    texts = [t.text for t in fs.texts]
    assert "mean |error| (it. 1)  0.49641" in texts
    assert "iteration 1 / 60000" in texts
    assert s.caption in [t.replace("\n", " ") for t in texts]  # (wrapped in study's caption line)
    # the executing line is marked and drawn in the accent colour, the others are not
    accent = fs.theme.accent
    marker = next(t for t in fs.texts if t.text == ">")
    line = [t for t in fs.texts if t.mono and t.y == marker.y and t.text != ">"]
    assert "".join(t.text for t in line).replace(" ", "") == "print(np.mean(np.abs(l2_error)))"
    assert all(t.color == accent and t.bold for t in line)
    assert not any(t.text == "for" and t.color == accent for t in fs.texts)
    # each record's inputs, output and target sit in one row beside its squares
    row = sorted((t for t in fs.texts if abs(t.y - _row_y(fs, "0.474")) < 1e-9), key=lambda t: t.x)
    assert [t.text for t in row] == ["0 0 1", "0.474", "0"]


def test_texts_fit_the_frame(tl):
    for width, height in ((1280, 720), (1920, 1080), (640, 360)):
        for s in tl.steps[::5]:
            fs = frame_state(tl, tl.frames_of(s.index)[-1], width, height)
            for t in fs.texts:
                assert 0 <= t.x <= 1 and 0 <= t.y <= 1
                est = (0.62 if t.mono else 0.56) * t.size * max(len(line) for line in t.text.split("\n"))
                assert est <= width * 0.99, t.text


def test_fit_size_shrinks_long_text():
    assert fit_size("x" * 10, 30, 1000) == 30
    assert fit_size("x" * 200, 30, 1000) < 30


def _row_y(fs, text):
    return next(t.y for t in fs.texts if t.text == text)


def test_the_highlight_moves_to_the_steps_node_at_once(tl):
    """The node a node-by-node step computes is lit from the step's first frame, and the
    step before's node is not: two reviews saw h4 still lit while the caption named out."""
    from nnviz3d.primitives import THEMES

    accent = np.array(THEMES["dark"].accent)
    out = next(s for s in tl.steps if s.kind == "node" and s.layer == 2 and s.epoch == 1)
    before = tl.steps[out.index - 1]
    assert before.kind == "node" and before.layer == 1  # h4's step, just before
    lay = tl.layout
    first = frame_state(tl, out.first_frame, 1280, 720)
    last_before = frame_state(tl, before.first_frame + before.n_frames - 1, 1280, 720)
    h4, o = lay.node_id(1, before.node), lay.node_id(2, out.node)
    assert np.allclose(last_before.sphere_colors[h4], accent)
    r, g, b = first.sphere_colors[h4]
    assert max(r, g, b) - min(r, g, b) < 0.1  # grey again
    r, g, b = first.sphere_colors[o]  # magenta (dimmed while its value is still coming)
    assert r > 2 * g and b > 2 * g
