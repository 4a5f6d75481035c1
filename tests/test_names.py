"""Every node has a name (x1, h3, out) written by its sphere in hall and lecture, and the
captions use the same names, so "e.g. h3" or "of h3 -> out" is found without counting
nodes; the nodes a caption names are lit in the picture and in the caption alike."""

from dataclasses import replace

import numpy as np
import pytest

from nnviz3d.frames import (
    OUTPUT_END,
    _extent,
    _outline_gap,
    frame_state,
    name_above,
    name_box,
    name_size,
    named_in,
    names_shown,
    project,
)
from nnviz3d.hud import found_terms, term_colour
from nnviz3d.layout import make_layout
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import THEMES
from nnviz3d.scene import load_scene

W, H = 1280, 720
DARK = THEMES["dark"]
NAMES = ["x1", "x2", "x3", "h1", "h2", "h3", "h4", "out"]


@pytest.fixture(scope="module", params=["lecture", "hall"])
def run(request):
    scene = load_scene()
    scene = replace(scene, render=replace(scene.render, layout=request.param))
    return prepare(scene, epochs=(1, 2000))


def _step(tl, kind, layer=None):
    steps = (s for s in tl.steps if s.epoch == 1 and s.kind == kind)
    return next(s for s in steps if layer is None or s.layer == layer)


def _names(fs):
    return {t.text: t for t in fs.texts if t.text in NAMES}


def test_a_node_is_named_as_a_lecturer_counts():
    lay = make_layout((3, 4, 1), 4)
    assert [lay.node_name(*lay.position_of(n)) for n in range(lay.n_nodes)] == NAMES
    deep = make_layout((2, 3, 3, 2), 4)
    names = [deep.node_name(*deep.position_of(n)) for n in range(deep.n_nodes)]
    assert names == ["x1", "x2", "h1_1", "h1_2", "h1_3", "h2_1", "h2_2", "h2_3", "out1", "out2"]
    assert all(deep.node_id(*deep.position_of(n)) == n for n in range(deep.n_nodes))


def test_a_name_is_found_as_a_word():
    assert named_in("Output node out: z = 1", NAMES) == {"out"}
    assert named_in("the output follows input 1", NAMES) == set()  # not the "out" of "output"
    assert named_in("The largest change, of h3 -> out: 0.4", NAMES) == {"h3", "out"}
    assert named_in("l1_error = l2_delta · syn1.T, e.g. h3: -0.118", NAMES) == {"h3"}


def test_the_captions_name_nodes_as_the_picture_does(run):
    _, tl = run
    assert _step(tl, "node", 1).caption.startswith("Hidden node h1: z = ")
    assert _step(tl, "node", 2).caption.startswith("Output node out: z = ")
    assert ", e.g. h3: -0.118 × -0.945 ≈ +0.112" in _step(tl, "error", 1).caption.replace("\n", " ")
    assert _step(tl, "worked", 1).caption.startswith("The largest change, of h3 -> out: ")
    assert _step(tl, "worked", 0).caption.startswith("The largest change, of x2 -> h3: ")


@pytest.mark.parametrize(("kind", "layer", "lit"), [("error", 1, {"h3"}), ("worked", 1, {"h3", "out"})])
def test_the_nodes_a_caption_names_are_lit_in_the_picture_and_the_caption(run, kind, layer, lit):
    _, tl = run
    step = _step(tl, kind, layer)
    fs = frame_state(tl, tl.frames_of(step.index)[-1], W, H)
    names = _names(fs)
    assert set(names) == set(NAMES)  # every node, once
    assert {n for n, t in names.items() if t.color == DARK.accent and t.bold} == lit
    assert all(t.color == DARK.muted and not t.bold for n, t in names.items() if n not in lit)
    caption = step.caption
    found = found_terms(step.terms, caption)
    coloured = {caption[a:b]: term_colour(DARK, step.terms[i][1], caption[a:b]) for i, a, b in found}
    assert all(coloured[n] == DARK.accent for n in lit)


def test_a_name_stays_put_under_its_sphere_whatever_its_value(run):
    """Hidden and input names under their spheres, the lone output's over it; each at the
    same place in every step of the iteration (the camera does not move between them)."""
    _, tl = run
    lay = tl.layout
    places = set()
    for step in (s for s in tl.steps if s.epoch == 1 and names_shown(tl, s) and s.kind not in ("compact",)):
        fs = frame_state(tl, tl.frames_of(step.index)[-1], W, H)
        if fs.camera != frame_state(tl, tl.frames_of(_step(tl, "node", 1).index)[-1], W, H).camera:
            continue  # the records' sheets: another view
        centres = (project(fs.camera, lay.nodes, W / H) + 1) / 2
        # the lone output's ends where the number over it ends (right of its centre)
        ends = (project(fs.camera, lay.nodes + np.array([OUTPUT_END, 0, 0]), W / H) + 1) / 2
        for node, name in enumerate(NAMES):
            t = _names(fs)[name]
            over = name_above(lay, node)
            x = ends[node, 0] if over else centres[node, 0]
            assert t.x == pytest.approx(x, abs=2 / W) and t.align == ("right" if over else "center")
            assert (t.y > centres[node, 1]) == over == (name == "out")
            places.add((name, round(t.x, 9), round(t.y, 9)))
    assert len(places) == len(NAMES)


def test_the_numbers_on_the_weights_keep_clear_of_the_names(run):
    """A number along a weight (slanted with it) is placed where its outline misses every
    name's box (in world units, as the labels are placed), in the steps that write numbers
    on the weights."""
    _, tl = run
    lay = tl.layout
    checked = 0
    for step in (s for s in tl.steps if s.epoch == 1 and s.kind in ("node", "worked")):
        fs = frame_state(tl, tl.frames_of(step.index)[-1], W, H)
        ends = project(fs.camera, np.array([[0.0, 0, 0], [1.0, 0, 0]]), W / H)
        px_per_unit = abs(ends[1, 0] - ends[0, 0]) * W / 2
        boxes = [name_box(lay, n, name_size(H), px_per_unit) for n in range(lay.n_nodes)]
        along = {text for _, text in step.edge_values}
        for lb in fs.labels:
            if lb.text not in along or lb.align != "center":
                continue
            w, h = _extent(lb.text, lb.size, px_per_unit)
            a = np.radians(lb.angle)
            u, n = np.array([np.cos(a), np.sin(a)]), np.array([-np.sin(a), np.cos(a)])
            centre = np.array(lb.position[:2]) + n * h / 12  # (drawn a little low: digits centred)
            outline = np.array(
                [centre + u * sx * w / 2 + n * sy * h / 2 for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
            )
            for x0, y0, x1, y1 in boxes:
                box = np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
                assert _outline_gap(outline, box) >= -1e-9, (step.index, lb.text)
            checked += 1
    assert checked > 10


def test_no_names_on_cards_or_beside_maps_and_the_study_layout_names_beside_its_spheres():
    """Reviews 66-68 met "h3" in the study layout's captions and no names on its network:
    it names every node too, beside its sphere (its beads stand under them), in its notes'
    type; the output over its sphere."""
    scene = load_scene()
    _, lecture = prepare(scene, epochs=(1,))
    assert not any(names_shown(lecture, s) for s in lecture.steps if s.card is not None)
    assert not any(names_shown(lecture, s) for s in lecture.steps if s.kind in ("epilogue", "summary"))
    study = replace(scene, render=replace(scene.render, layout="study"))
    _, tl = prepare(study, epochs=(1,))
    assert not any(names_shown(tl, s) for s in tl.steps if s.card is not None)
    step = _step(tl, "error")
    fs = frame_state(tl, tl.frames_of(step.index)[-1], W, H)
    names = _names(fs)
    assert sorted(names) == sorted(NAMES)
    at = (project(fs.camera, tl.layout.nodes, W / H) + 1) / 2
    for node, name in enumerate(NAMES):
        t = names[name]
        assert t.size == round(H * 0.026)
        if name == "out":  # over its sphere
            assert t.valign == "bottom" and t.y > at[node][1]
        else:  # left of its sphere, level with it
            assert t.align == "right" and t.x < at[node][0] and t.y == pytest.approx(at[node][1], abs=0.01)
    assert names["h3"].color == THEMES["dark"].accent  # the caption's "e.g. h3", lit


def test_the_updates_before_and_after_stacks_keep_apart(run):
    """syn1's before -> after stand beside the hidden nodes in two lines each; where the
    type is too big for two lines between nodes (the hall's), they take the smaller type of
    the numbers along weights: "-> +0.7495" had run into the "-0.9452" under it."""
    from nnviz3d.frames import _box_gap

    _, tl = run
    step = next(s for s in tl.steps if s.epoch == 1 and s.kind == "update" and s.layer == 1)
    fs = frame_state(tl, tl.frames_of(step.index)[-1], W, H)
    ends = project(fs.camera, np.array([[0.0, 0, 0], [1.0, 0, 0]]), W / H)
    px_per_unit = abs(ends[1, 0] - ends[0, 0]) * W / 2
    befores_written = {"-0.5911", "+0.7562", "-0.9452", "+0.3409"}
    lines = [lb for lb in fs.labels if lb.text in befores_written or "\u2192" in lb.text]
    assert len(lines) == 8
    boxes = []
    for lb in lines:
        w, h = _extent(lb.text, lb.size, px_per_unit)
        x, y = lb.position[:2]
        boxes.append((x, y - h / 2, x + w, y + h / 2))
    pairs = list(zip(boxes, lines, strict=True))
    befores = sorted((b for b, lb in pairs if "\u2192" not in lb.text), key=lambda b: b[1])
    afters = sorted((b for b, lb in pairs if "\u2192" in lb.text), key=lambda b: b[1])
    for after, before in zip(afters[1:], befores[:-1], strict=True):  # an after over the next before
        # (clear by a fifth of a line at least: the backdrops stand out of the boxes)
        assert _box_gap(after, before) > 0.2 * (after[3] - after[1])


def test_the_names_and_weights_are_big_enough_for_the_screen(run):
    """The hall writes node names in its own smallest type (two reviews could not read
    lecture's x1..h4 from the back rows) and, in the forward pass, draws every weight at
    least EDGE_R_MIN_HALL wide in its sign's colour, not greyed out of focus (the backward
    pass greys and thins those it does not use: tests/test_layouts.py)."""
    from nnviz3d.frames import EDGE_R_MIN, EDGE_R_MIN_HALL
    from nnviz3d.hud import MIN_TEXT

    _, tl = run
    step = _step(tl, "node", 2)  # the input weights are out of focus here
    fs = frame_state(tl, tl.frames_of(step.index)[-1], W, H)
    names = _names(fs)
    assert {t.size for t in names.values()} == {round(H * MIN_TEXT[tl.screen])}
    syn0 = list(tl.layout.layer_edges(0))
    floor = EDGE_R_MIN_HALL if tl.screen == "hall" else EDGE_R_MIN
    assert fs.cylinder_radii[syn0].min() >= floor - 1e-12
    if tl.screen == "hall":
        r, g, b = fs.cylinder_colors[syn0].T
        assert (np.maximum(np.maximum(r, g), b) - np.minimum(np.minimum(r, g), b)).min() > 0.2  # coloured
    # the nudge's one weight is the picture: the others grey out in the hall too (review
    # 30a: it hardly stood out of twelve coloured ones)
    nudge = next(s for s in tl.steps if s.kind == "nudge")
    fs = frame_state(tl, tl.frames_of(nudge.index)[-1], W, H)
    lit = tl.layout.edge_id(1, 2, 0)  # h3 -> out
    r, g, b = fs.cylinder_colors.T
    chroma = np.maximum(np.maximum(r, g), b) - np.minimum(np.minimum(r, g), b)
    assert chroma[lit] > 0.3 and np.delete(chroma, lit).max() < 0.5 * chroma[lit]
