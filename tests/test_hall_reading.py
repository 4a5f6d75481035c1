"""What a lecturer's students read off the frames of the default video: the bias named where
its term is, and the status line's error never an earlier iteration's (review 55d)."""

from dataclasses import replace

import pytest

from nnviz3d.hud import overlay
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import THEMES
from nnviz3d.scene import load_scene

W, H = 1280, 720
DARK = THEMES["dark"]


@pytest.fixture(scope="module")
def story():
    return prepare(load_scene(), epochs=(1, 1998))


def _status(tl, step) -> str:
    """The words of the status line (the frame's top row)."""
    return " ".join(t.text for t in overlay(tl, step, DARK, W, H)[0] if t.y > 0.95)


def test_the_constant_input_is_named_the_bias_where_its_term_is_added(story):
    """iamtrask has no biases of its own: x3 is 1 in every record, so its weights are the
    hidden nodes' biases. The first record's input and hidden steps say so."""
    _, tl = story
    first = [s for s in tl.steps if s.epoch == 1 and s.record == 0 and s.kind in ("input", "node")]
    gloss = "; x3 is 1 in every record: its weights work as the hidden nodes' biases"
    assert [s.gloss for s in first if s.layer in (0, 1)] == [gloss] * 5
    assert all(s.gloss == "" for s in first if s.layer == 2)  # the output's inputs are hidden values
    later = [s for s in tl.steps if s.epoch == 1 and s.record == 1 and s.kind in ("input", "node")]
    assert later and all(s.gloss == "" for s in later)
    h1 = next(s for s in first if s.kind == "node")
    drawn = [t.text for t in overlay(tl, h1, DARK, W, H)[0]]
    # written as it is said: a node's name keeps its small letter ("X3 is 1" read as a new name)
    assert "x3 is 1 in every record: its weights work as the hidden nodes' biases" in drawn


def test_a_scene_whose_inputs_vary_names_no_bias():
    scene = load_scene()
    inputs = scene.network.inputs.copy()
    inputs[0, 2] = 0.0  # x3 is no longer 1 in every record
    _, tl = prepare(replace(scene, network=replace(scene.network, inputs=inputs)), epochs=(1,))
    assert not any("bias" in s.gloss for s in tl.steps)


def test_the_status_line_writes_only_this_iterations_error(story):
    """Through iteration 1998's forward pass no error is written ("mean |error| at iteration
    1997" read as 1998's); from its error step on, 1998's own."""
    _, tl = story
    steps = [s for s in tl.steps if s.epoch == 1998]
    at = next(i for i, s in enumerate(steps) if s.kind == "display_error")
    assert at > 2
    for s in steps[:at]:
        assert "error" not in _status(tl, s), (s.index, s.kind)
    assert "mean |error| 0.02415" in _status(tl, steps[at])


def test_the_captions_example_is_written_as_its_note_on_the_picture():
    """The hidden error worked out in the caption has the digits of the same product beside
    its node: iteration 2000 wrote "-0.0003846 × -8.826" over the note's "-0.000385 × -8.83"."""
    _, tl = prepare(load_scene(), epochs=(1, 1998, 1999, 2000))
    steps = [s for s in tl.steps if s.kind == "error"]
    assert [s.epoch for s in steps] == [1, 1998, 1999, 2000]
    for s in steps:
        example = s.headline.split("e.g. h3: ")[1].split(" (")[0]
        h3 = tl.layout.node_id(1, 2)
        note = dict(s.node_notes)[h3]
        assert example == note, (s.epoch, example, note)
    assert "-0.000385 × -8.83 ≈ +0.00339" in steps[-1].headline
