"""Compact steps (every record at once) stand the records as parallel sheets in depth, and
the camera turns between the frontal node-by-node view and the sheets."""

from dataclasses import replace

import numpy as np
import pytest

from nnviz3d import frames
from nnviz3d.frames import (
    CAMERA_MOVE_SECONDS,
    FRONTAL_AZIMUTH,
    SHEET_AZIMUTH,
    SHEET_GAP,
    frame_state,
    node_radius,
    project,
    sheet_offsets,
    sheets_shown,
)
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import text_width_em
from nnviz3d.scene import load_scene

W, H = 1280, 720


@pytest.fixture(scope="module")
def scene():
    return load_scene()


@pytest.fixture(scope="module")
def lecture(scene):
    return prepare(scene, epochs=(1, 2000))


def _azimuth(camera) -> float:
    """Degrees the camera stands to the right of the network's front (+z)."""
    d = np.array(camera.position) - np.array(camera.focal_point)
    return float(np.degrees(np.arctan2(d[0], d[2])))


def _compact(tl, kind, layer=None):
    return next(
        s for s in tl.steps if s.epoch == 2000 and s.kind == kind and (layer is None or s.layer == layer)
    )


def test_only_the_steps_that_compute_every_record_at_once_are_sheets(lecture):
    _, tl = lecture
    shown = [s for s in tl.steps if sheets_shown(tl, s)]
    assert [(s.kind, s.layer) for s in shown] == [
        ("layer", 0),
        ("layer", 1),
        ("layer", 2),
        ("output_error", 2),
    ]
    assert all(s.epoch == 2000 for s in shown)  # iteration 1 goes node by node, record by record


def test_study_hall_and_big_batches_keep_one_network(scene):
    for layout in ("study", "hall"):  # the hall's big numbers need the one network's room
        other = replace(scene, render=replace(scene.render, layout=layout))
        _, tl = prepare(other, epochs=(2000,))
        assert not any(sheets_shown(tl, s) for s in tl.steps)
    fit = load_scene("scenes/fit_square.toml")
    _, tl = prepare(fit, epochs=(fit.render.epochs[-1],))
    assert not any(sheets_shown(tl, s) for s in tl.steps)  # more records than sheets


def test_each_sheet_holds_its_records_values(lecture):
    """Beside record 1's nodes stand records 2-4's, each sphere sized by that record's own
    activation as training computed it."""
    trace, tl = lecture
    step = _compact(tl, "layer", 1)
    fs = frame_state(tl, tl.frames_of(step.index)[-1], W, H)
    lay = tl.layout
    (u,) = [u for (epoch, _), u in trace.updates.items() if epoch == 2000]
    hidden = list(lay.layer_nodes(1))
    for r in range(4):
        at = lay.nodes[hidden] + sheet_offsets(lay, 1.0)[r]
        for node, point, value in zip(hidden, at, u.activations[0][r], strict=True):
            # (the forward pass's beads end on the nodes too, arrived: radius 0)
            hit = np.flatnonzero(np.all(np.isclose(fs.sphere_centers, point), axis=1) & (fs.sphere_radii > 0))
            assert len(hit) == 1, (r, node)
            assert fs.sphere_radii[hit[0]] == pytest.approx(node_radius(np.array([value]))[0])


def test_the_sheets_are_named_and_carry_their_outputs(lecture):
    _, tl = lecture
    step = _compact(tl, "output_error")
    fs = frame_state(tl, tl.frames_of(step.index)[-1], W, H)
    names = [t.text for t in fs.texts if t.text.startswith("record ")]
    # each with its inputs and target, as the outputs table has them
    assert names == [
        "record 1: 0 0 1 -> 0",
        "record 2: 0 1 1 -> 1",
        "record 3: 1 0 1 -> 1",
        "record 4: 1 1 1 -> 0",
    ]
    errors = [lb.text for lb in fs.labels]
    # iteration 2000's errors y - l2 (outputs 0.0198, 0.975, 0.978, 0.0297), signs written
    assert errors[-4:] == ["-0.0198", "+0.0255", "+0.0215", "-0.0297"]
    layer = _compact(tl, "layer", 2)
    fs = frame_state(tl, tl.frames_of(layer.index)[-1], W, H)
    assert [lb.text for lb in fs.labels][-4:] == ["0.0198", "0.975", "0.978", "0.0297"]  # the outputs
    # two a row, record 1 top left: 2 right of 1, 3 under 1, 4 right of 3
    at = [(t.x, t.y) for t in fs.texts if t.text.startswith("record ")]
    near = {"abs": 0.004}  # within 3 px (a long lens: nearly level)
    assert at[1][0] > at[0][0] + 0.2 and at[1][1] == pytest.approx(at[0][1], **near)
    assert at[2][1] < at[0][1] - 0.2 and at[2][0] == pytest.approx(at[0][0], **near)
    assert at[3] == (pytest.approx(at[1][0], **near), pytest.approx(at[2][1], **near))


@pytest.fixture
def in_depth(monkeypatch):
    """The sheets as they stood before stop 15: in depth, the camera turning to them."""
    monkeypatch.setattr(frames, "SHEETS_SIDE_BY_SIDE", False)


def test_side_by_side_the_camera_stays_frontal_and_the_sheets_do_not_overlap(lecture):
    _, tl = lecture
    first = _compact(tl, "layer", 0)
    move = round(CAMERA_MOVE_SECONDS * tl.fps)
    states = [frame_state(tl, first.first_frame + k, W, H) for k in range(-1, move + 2)]
    assert all(_azimuth(f.camera) == pytest.approx(FRONTAL_AZIMUTH, abs=0.01) for f in states)
    assert len({f.key for f in states[1:-2]}) == move  # the sheets slide apart: every frame drawn
    fs = frame_state(tl, tl.frames_of(_compact(tl, "layer", 2).index)[-1], W, H)
    lay = tl.layout
    boxes = []
    for o in sheet_offsets(lay, 1.0):
        px = (project(fs.camera, frames.sheet_outline(lay, o), W / H) + 1) / 2 * [W, H]
        boxes.append((*px.min(axis=0), *px.max(axis=0)))
    for a in range(4):
        assert boxes[a][0] >= 0 and boxes[a][2] <= W  # the whole width: no panel beside them
        for b in range(a + 1, 4):
            x0, y0, x1, y1 = boxes[a]
            u0, v0, u1, v1 = boxes[b]
            assert x1 < u0 or u1 < x0 or y1 < v0 or v1 < y0, (a, b)  # apart on screen
    assert min(b[2] - b[0] for b in boxes) > 0.38 * W  # each sheet more than a third of the width
    # each output's value stands inside its own sheet, right of its node
    for label, box in zip(fs.labels[-4:], boxes, strict=True):
        x, y = (project(fs.camera, np.array([label.position]), W / H)[0] + 1) / 2 * [W, H]
        assert box[0] < x and x + text_width_em(label.text) * label.size < box[2], label.text
        assert box[1] < y < box[3]
    # each sheet's outline level and upright on screen (a slant of 2 px drew unsmoothed steps)
    frames_drawn = [q for q in fs.polylines if len(q.points) == 5 and q.width == 2.0]
    assert len(frames_drawn) == 4
    for q in frames_drawn:
        for (ax, ay), (bx, by) in zip(q.points, q.points[1:], strict=False):
            assert ax == bx or ay == by
    # the outputs table and the numbers panel give the sheets their room (the sheets say it all)
    assert not any(t.text in ("y", "?") or t.text.startswith("l2 (") for t in fs.texts)


def test_the_camera_turns_into_the_sheets_and_back(lecture, in_depth):
    _, tl = lecture
    first = _compact(tl, "layer", 0)
    back = tl.steps[_compact(tl, "output_error").index + 1]
    move = round(CAMERA_MOVE_SECONDS * tl.fps)
    before = frame_state(tl, first.first_frame - 1, W, H)
    during = [frame_state(tl, first.first_frame + k, W, H) for k in range(move)]
    after = frame_state(tl, first.first_frame + move + 2, W, H)
    azimuths = [_azimuth(f.camera) for f in [before, *during, after]]
    assert azimuths[0] == pytest.approx(FRONTAL_AZIMUTH, abs=0.01)
    assert azimuths[-1] == pytest.approx(SHEET_AZIMUTH, abs=0.01)
    assert np.all(np.diff(azimuths) >= 0) and len({round(a, 3) for a in azimuths[1:-1]}) == move
    assert len({f.key for f in during}) == move  # every frame of the move is drawn, none held
    end = frame_state(tl, tl.frames_of(back.index)[-1], W, H)
    assert _azimuth(end.camera) == pytest.approx(FRONTAL_AZIMUTH, abs=0.01)
    assert len(end.sphere_radii) < len(after.sphere_radii)  # one network again


def test_the_sheets_stand_in_depth_on_screen(lecture, in_depth):
    """Seen from the turned camera, a record's sheet is up and to the right of the one
    before it, far enough for its name to clear the previous one's."""
    _, tl = lecture
    step = _compact(tl, "layer", 2)
    fs = frame_state(tl, tl.frames_of(step.index)[-1], W, H)
    node = tl.layout.nodes[0]
    pts = node + np.array([[0.0, 0.0, -SHEET_GAP * r] for r in range(4)])
    px = (project(fs.camera, pts, W / H) + 1) / 2 * [W, H]
    steps = np.diff(px, axis=0)
    assert np.all(steps[:, 0] > 40) and np.all(steps[:, 1] > round(0.035 * H))
