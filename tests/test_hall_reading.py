"""What a lecturer's students read off the frames of the default video: the bias named where
its term is, and the status line's error never an earlier iteration's (review 55d)."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from nnviz3d.hud import overlay
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import THEMES
from nnviz3d.scene import load_scene

W, H = 1280, 720
SCENES = Path(__file__).parent.parent / "scenes"
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


def test_the_hall_says_under_its_records_table_that_the_numbers_are_record_1s(story):
    """The hall's caption had no room for "(record 1 shown, the update sums all 4)" where its
    formula took three lines (reviews 55d, 56a, 56b): where the records table stands beside
    the network it is written under the table, and not again in the caption; the lecture's
    too (reviews 56a, 56b: "cut the grey sub-captions")."""
    scene = load_scene()
    _, hall = prepare(replace(scene, render=replace(scene.render, layout="hall")), epochs=(1,))
    error = next(s for s in hall.steps if s.kind == "error")
    texts = overlay(hall, error, DARK, W, H)[0]
    note = [t for t in texts if t.text == "numbers: record 1\nupdate: all 4 summed"]
    assert len(note) == 1 and note[0].x > 0.69  # in the right column, under the table
    table = [t for t in texts if t.text.startswith("1 1 1")]
    assert table and note[0].y < min(t.y for t in table)
    assert not any("record 1 shown" in t.text for t in texts)
    _, tl = story
    lecture = next(s for s in tl.steps if s.kind == "error" and s.epoch == 1)
    words = [t.text for t in overlay(tl, lecture, DARK, W, H)[0]]
    assert "numbers: record 1\nupdate: all 4 summed" in words
    assert not any("record 1 shown" in w for w in words)
    # where no records table stands (the hidden deltas' step: the sigmoid beside), in the caption
    delta = next(s for s in tl.steps if s.kind == "delta" and s.layer == 1 and s.epoch == 1)
    words = [t.text for t in overlay(tl, delta, DARK, W, H)[0]]
    assert any("record 1 shown" in w for w in words) and not any("numbers: record 1" in w for w in words)


@pytest.mark.parametrize("screen", ["lecture", "hall"])
def test_a_hidden_nodes_value_stands_right_of_it_and_its_z_under_that(screen):
    """h1's sigmoid, 0.449, stands right of h1, level with it, where it goes on along its
    weights (reviews 56a and 56b read it, left of h1, as a number on an incoming weight);
    the step's z stands under it, apart, and neither is left of the node. In the output's
    step, whose products run along those weights from the hidden nodes, the values stand
    left of them as before."""
    from nnviz3d.frames import frame_state, project

    scene = load_scene()
    _, tl = prepare(replace(scene, render=replace(scene.render, layout=screen)), epochs=(1,))
    lay = tl.layout
    h1, h2 = lay.node_id(1, 0), lay.node_id(1, 1)
    step = next(s for s in tl.steps if s.kind == "node" and s.layer == 1 and s.node == 0 and s.epoch == 1)
    fs = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
    (value,) = [lb for lb in fs.labels if lb.text == "0.449"]
    (z,) = [lb for lb in fs.labels if lb.text == "z = -0.206"]
    (vx, vy), (zx, zy), (nx, ny), (_, y2) = [
        (p[:2] + 1) / 2 * [W, H] for p in project(fs.camera, np.array([value.position, z.position,
                                                                        lay.nodes[h1], lay.nodes[h2]]), W / H)
    ]  # fmt: skip
    rim = lay.nodes[h1] + np.array([fs.sphere_radii[h1], 0.0, 0.0])
    r = (project(fs.camera, rim[None], W / H)[0, 0] + 1) / 2 * W - nx
    assert value.align == z.align == "left" and vx > nx + r and zx > nx + r
    assert abs(vy - ny) < 1 and y2 < zy < vy - 1.1 * value.size  # under it, a line and more apart
    out_step = next(s for s in tl.steps if s.kind == "node" and s.layer == 2 and s.epoch == 1)
    fs = frame_state(tl, out_step.first_frame + out_step.n_frames - 1, W, H)
    (value,) = [lb for lb in fs.labels if lb.text == "0.449"]
    assert value.align == "right" and value.position[0] < lay.nodes[h1][0]


def test_the_halls_inputs_write_their_values_left_of_them():
    """x3's sphere, at 1, is large: its "1" went right of it, onto its outgoing weights, as
    one of their numbers; against the frame's edge it stays left of the sphere's middle."""
    from nnviz3d.frames import frame_state

    scene = load_scene()
    _, tl = prepare(replace(scene, render=replace(scene.render, layout="hall")), epochs=(1,))
    lay = tl.layout
    step = next(s for s in tl.steps if s.kind == "node" and s.layer == 1 and s.epoch == 1)
    fs = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
    for j, text in enumerate(("0", "0", "1")):
        node = lay.node_id(0, j)
        (label,) = [
            lb for lb in fs.labels if lb.text == text and abs(lb.position[1] - lay.nodes[node][1]) < 1e-9
        ]
        assert label.align == "right" and label.position[0] < lay.nodes[node][0], (j, label)


def test_the_worked_changes_key_says_what_its_lit_weight_carries(story):
    """The update's worked change lights one weight and writes its change on it, the others
    dimmed to thin lines: its key says so, not "thickness = |weight|" (reviews 56a, 56b)."""
    _, tl = story
    worked = [s for s in tl.steps if s.kind == "worked"]
    assert worked
    for step in worked:
        drawn = [t.text for t in overlay(tl, step, DARK, W, H)[0]]
        assert "number on the lit weight: its change" in drawn
        assert not any("thick" in text for text in drawn)


def test_where_the_next_layer_writes_its_values_beside_it_a_hidden_value_stays_left():
    """handcalc's two outputs write their values left of them: its hidden values right of
    their nodes stood on the same weights ("0.646 2.18" read as one weight's numbers)."""
    from nnviz3d.frames import frame_state

    _, tl = prepare(load_scene(SCENES / "handcalc_322.toml"))
    lay = tl.layout
    step = next(s for s in tl.steps if s.kind == "output_error")
    fs = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
    for j in range(2):
        node = lay.node_id(1, j)
        (label,) = [lb for lb in fs.labels if lb.text == step.node_labels[node]]
        assert label.position[0] < lay.nodes[node][0], (j, label)


@pytest.mark.parametrize("screen", ["lecture", "hall"])
def test_handcalcs_output_values_stand_off_their_incoming_weights(screen):
    """Three reviews (the last 30a) read handcalc's outputs (2.18, 5.01), written left of
    their spheres level with them, as numbers on the weights coming in from h1 and h2: each
    stands over (out1, the upper) or under (out2) those weights, its box crossing none of
    them, still left of and beside its own sphere, in the forward, error and delta steps."""
    from nnviz3d.frames import _extent, _px_per_unit, frame_state

    scene = load_scene(SCENES / "handcalc_322.toml")
    _, tl = prepare(replace(scene, render=replace(scene.render, layout=screen)))
    lay = tl.layout
    outs = [lay.node_id(2, j) for j in range(2)]
    for kind in ("output_error", "delta"):
        step = next(s for s in tl.steps if s.kind == kind and s.epoch == 1 and s.layer in (None, 2))
        fs = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
        px = _px_per_unit(fs.camera, W, H)
        for j, node in enumerate(outs):
            (label,) = [lb for lb in fs.labels if lb.text == step.node_labels[node] and lb.align == "right"]
            w, h = _extent(label.text, label.size, px)
            x1, y = label.position[0], label.position[1]
            x, cy = lay.nodes[node][:2]
            assert x1 < x and x - x1 < 1.2 and (y > cy if j == 0 else y < cy), (kind, j)  # beside it
            for src in lay.layer_nodes(1):
                (ax, ay), (bx, by) = lay.nodes[src][:2], (x, cy)
                for u in np.linspace(0, 1, 400):
                    px_, py_ = ax + u * (bx - ax), ay + u * (by - ay)
                    assert not (x1 - w < px_ < x1 and y - h / 2 < py_ < y + h / 2), (kind, j, src)


def test_a_notes_backdrop_hides_the_weight_under_it(story):
    """h3's error worked out right of it lies on its weight to out: through a backdrop of
    0.7 the orange weight struck through "-0.118 × -0.945" (review 57a). Along the weight,
    under the note's first operands, the frame is the backdrop's colour."""
    from nnviz3d.fonts import LATIN_FONT, advance_em
    from nnviz3d.frames import frame_state, project
    from nnviz3d.render_vtk import VtkFrameRenderer

    _, tl = story
    lay = tl.layout
    step = next(s for s in tl.steps if s.kind == "error" and s.epoch == 1)
    fs = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
    (note,) = [lb for lb in fs.labels if lb.text == "-0.118 × -0.945"]
    renderer = VtkFrameRenderer(W, H)
    try:
        pixels = renderer.render(fs).astype(int)
    finally:
        renderer.close()
    h3, out = lay.nodes[lay.node_id(1, 2)], lay.nodes[lay.node_id(2, 0)]
    (ax, ay), (bx, by), (nx, _) = [
        ((p[0] + 1) / 2 * W, (1 - p[1]) / 2 * H)
        for p in project(fs.camera, np.array([h3, out, note.position]), W / H)
    ]
    x1 = nx + advance_em("-0.118 × ", LATIN_FONT) * note.size
    cols = np.arange(int(nx) + 2, int(x1) - 2)
    rows = np.round(ay + (by - ay) * (cols - ax) / (bx - ax)).astype(int)
    under = pixels[rows, cols]
    panel = np.array(note.backdrop) * 255
    assert len(cols) > 60
    assert np.median(np.abs(under - panel).max(axis=1)) < 30, np.median(under, axis=0)


def test_a_small_two_line_note_keeps_its_backdrops_off_the_line_over_it():
    """A backdrop stands a few pixels out of its text whatever the size: at the study's
    16 px, the result line's backdrop (opaque) hid the operands' baseline, "-0 118" (review
    58a). Where the room under the digits is less than those pixels, the lines stand
    further apart; the lecture's 34 px keep 0.9 of the type."""
    from nnviz3d.frames import frame_state, project

    scene = load_scene()
    for screen in ("study", "lecture"):
        _, tl = prepare(replace(scene, render=replace(scene.render, layout=screen)), epochs=(1,))
        step = next(s for s in tl.steps if s.kind == "error" and s.epoch == 1)
        fs = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
        (top,) = [lb for lb in fs.labels if lb.text == "-0.118 × -0.945"]
        (under,) = [lb for lb in fs.labels if lb.text == "≈ +0.112"]
        ys = (project(fs.camera, np.array([top.position, under.position]), W / H)[:, 1] + 1) / 2 * H
        gap = ys[0] - ys[1] - 0.9 * top.size
        assert (gap > 2.5) if screen == "study" else abs(gap) < 0.5, (screen, gap, top.size)


@pytest.mark.parametrize("screen", ["lecture", "hall"])
def test_the_summarys_answer_stands_right_of_out(screen):
    """The unseen input's 0.558 stood over out, on h2's weight to it, and was read as a
    weight (review 58a): in the summary it stands right of out, level with it, in the frame."""
    from nnviz3d.fonts import LATIN_FONT, advance_em
    from nnviz3d.frames import frame_state, project

    scene = load_scene()
    _, tl = prepare(replace(scene, render=replace(scene.render, layout=screen)))
    (out,) = tl.layout.layer_nodes(2)
    step = next(s for s in tl.steps if s.kind == "summary")
    fs = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
    (answer,) = [lb for lb in fs.labels if lb.text == "0.558"]
    (ax, ay), (ox, oy) = (
        project(fs.camera, np.array([answer.position, tl.layout.nodes[out]]), W / H)[:, :2] + 1
    ) / 2
    assert answer.align == "left" and ax > ox and abs(ay - oy) * H < 1
    assert ax * W + advance_em("0.558", LATIN_FONT) * answer.size < W


@pytest.mark.parametrize("screen", ["lecture", "hall"])
def test_handcalcs_arrows_and_names_keep_off_its_panels(screen):
    """handcalc's outputs' arrows stood over its values table's "y" (review 71b), and in
    the hall's type x3's name ran under the code line: the narrowed network leaves both
    their room."""
    from dataclasses import replace

    from nnviz3d.frames import _screen_box, frame_state
    from nnviz3d.hud_scenes import SIDE_X0

    _, tl = prepare(load_scene(SCENES / "handcalc_322.toml"))
    tl = replace(tl, screen=screen)
    step = next(s for s in tl.steps if s.kind == "output_error")
    fs = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
    arrows = [p for p in fs.polylines if p.color in (DARK.negative, DARK.positive)]
    assert len(arrows) >= 2
    assert max(x for p in arrows for x, _ in p.points) < SIDE_X0  # a gap before the table
    (x3,) = [t for t in fs.texts if t.text == "x3"]
    code = max(r.y1 for r in fs.rects if r.y0 == pytest.approx(0.015) and r.x0 < 0.02)  # its panel's top
    assert _screen_box(x3, W, H)[1] > code + 0.005


def test_a_name_is_lit_only_where_the_caption_drawn_says_it(story):
    """At iteration 1998 the hidden deltas' gloss names h4 (its slope is nearly 0); the
    hall's big type has no room for that gloss, and h4 stood lit for words that were not
    there (review 72b). Lit as the caption is drawn: in the lecture h4, in the hall none."""
    from dataclasses import replace

    from nnviz3d.frames import frame_state

    _, tl = story
    step = next(s for s in tl.steps if s.epoch == 1998 and s.kind == "delta" and s.layer == 1)
    assert "h4's slope" in step.gloss
    lit = {}
    for screen in ("lecture", "hall"):
        state = frame_state(replace(tl, screen=screen), step.first_frame + step.n_frames - 1, W, H)
        words = " ".join(t.text for t in state.texts)
        lit[screen] = ({t.text for t in state.texts if t.bold and t.text in ("h1", "h2", "h3", "h4")}, words)
    assert lit["lecture"][0] == {"h4"} and "h4's slope" in lit["lecture"][1]
    assert lit["hall"][0] == set() and "h4's slope" not in lit["hall"][1]


def test_the_small_network_beside_the_landscape_names_its_weights_in_the_hall_too(story):
    """The landscape's small network names the two weights' ends (h2, h3, out); the hall's
    caption draws its headline alone, which names none of them, and the names went with the
    gloss when names were lit by the caption as drawn (review 75b: hall_s043 unnamed)."""
    from dataclasses import replace

    from nnviz3d.frames import frame_state

    _, tl = story
    step = next(s for s in tl.steps if s.kind == "landscape")
    for screen in ("lecture", "hall"):
        state = frame_state(replace(tl, screen=screen), step.first_frame + step.n_frames - 1, W, H)
        names = {t.text for t in state.texts if t.text in ("x1", "x2", "x3", "h1", "h2", "h3", "h4", "out")}
        assert names == {"h2", "h3", "out"}, screen
