"""The screen layouts: the network is the picture, and its text is read from the back row.

Sizes are measured on rendered pixels: each distinct type size of a frame is rendered as
a capital "H" alone and its ink counted, so the check holds for the font actually used.
"""

import itertools
import re
from dataclasses import replace

import numpy as np
import pytest

from nnviz3d.frames import (
    NODE_R_MAX,
    THEMES,
    _grid_beside,
    _outline_gap,
    frame_state,
    project,
    sheet_offsets,
    sheets_shown,
)
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import Label3D, Text2D, text_width_em
from nnviz3d.render_vtk import VtkFrameRenderer
from nnviz3d.scene import load_scene
from nnviz3d.timeline import fmt_sig

LAYOUTS = ("hall", "lecture", "study")


@pytest.fixture(scope="module")
def timelines():
    scene = load_scene()
    out = {}
    for layout in LAYOUTS:
        s = replace(scene, render=replace(scene.render, layout=layout))
        out[layout] = prepare(s, epochs=(1, 2000))[1]
    return out


def _steps(tl):
    """A node step, the output delta, the hidden error, an update, a late update, and
    (hall and lecture) a compact step whose records stand as sheets in depth."""
    pick = [
        next(s for s in tl.steps if s.kind == "node" and s.record == 0 and s.layer == 1 and s.node == 0),
        next(s for s in tl.steps if s.kind == "delta" and s.epoch == 1 and s.layer == 2),
        next(s for s in tl.steps if s.kind == "error" and s.epoch == 1),
        next(s for s in tl.steps if s.kind == "update" and s.epoch == 1 and s.layer == 0),
        next(s for s in tl.steps if s.kind == "update" and s.epoch == 2000 and s.layer == 1),
        next(s for s in tl.steps if s.kind == "output_error" and s.epoch == 2000),
    ]
    return pick


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_network_spans_most_of_the_frame(timelines, layout):
    """Every layout: the nodes (with room for their largest sphere) cover at least 55% of
    the width and 50% of the height of a 16:9 frame, and stay inside it."""
    tl = timelines[layout]
    lay = tl.layout
    for w, h in ((1280, 720), (1920, 1080)):
        for step in _steps(tl):
            fs = frame_state(tl, tl.frames_of(step.index)[-1], w, h)
            nodes = lay.nodes
            if sheets_shown(tl, step):  # every record's sheet: the network drawn four times
                nodes = np.concatenate([nodes + o for o in sheet_offsets(lay, 1.0)])
            r = NODE_R_MAX * np.resize(lay.node_scale, len(nodes))[:, None]
            pts = np.concatenate([nodes - r * [1, 1, 0], nodes + r * [1, 1, 0]])
            ndc = project(fs.camera, pts, w / h)
            span = (ndc.max(axis=0) - ndc.min(axis=0)) / 2
            assert span[0] >= 0.55 and span[1] >= 0.50, (layout, step.kind, span)
            assert ndc.min() >= -1 and ndc.max() <= 1


def _cap_heights(renderer, fs, sizes: set[tuple[int, bool]], world: bool) -> dict[tuple[int, bool], int]:
    """Rendered height in pixels of a capital H at each (size, bold), in ``fs``'s fonts."""
    blank = replace(
        fs,
        sphere_radii=fs.sphere_radii * 0,
        cylinder_radii=fs.cylinder_radii * 0,
        halo_radii=fs.halo_radii * 0,
        ghost_radii=fs.ghost_radii * 0,
        rects=(),
        polylines=(),
        labels=(),
        texts=(),
    )
    out = {}
    for size, bold in sorted(sizes):
        if world:
            probe = replace(
                blank, labels=(Label3D("H", tuple(fs.camera.focal_point), size, (1.0, 1.0, 1.0)),)
            )
        else:
            probe = replace(blank, texts=(Text2D("H", 0.5, 0.5, size, (1.0, 1.0, 1.0), bold=bold),))
        img = renderer.render(probe).astype(int).sum(axis=2)
        bg = np.median(img)
        rows = np.flatnonzero((img > bg + 200).any(axis=1))
        out[(size, bold)] = int(rows.max() - rows.min() + 1)
    return out


@pytest.mark.parametrize("layout", ["hall", "lecture"])
@pytest.mark.parametrize(("w", "h"), [(1280, 720), (1920, 1080)])
def test_text_is_read_from_the_back_row(timelines, layout, w, h):
    """At 720p the caption and the numbers on the network have capitals of at least 24 px
    and no text is under 16 px; at 1080p 1.5 times those."""
    tl = timelines[layout]
    scale = h / 720
    renderer = VtkFrameRenderer(w, h, "fxaa")
    try:
        for step in _steps(tl):
            fs = frame_state(tl, tl.frames_of(step.index)[-1], w, h)
            caption = [t for t in fs.texts if t.text.replace("\n", " ").startswith(step.caption[:12])]
            assert caption, step.caption
            texts = _cap_heights(renderer, fs, {(t.size, t.bold) for t in fs.texts}, world=False)
            labels = _cap_heights(renderer, fs, {(lb.size, False) for lb in fs.labels}, world=True)
            for t in fs.texts:
                assert texts[(t.size, t.bold)] >= 16 * scale, (t.text, t.size)
            for t in caption:
                assert texts[(t.size, t.bold)] >= 24 * scale, (t.text, t.size)
            for lb in fs.labels:  # the numbers on the network
                assert labels[(lb.size, False)] >= 24 * scale, (lb.text, lb.size)
            # (but where the lecture's grid beside writes the changes of weights that cross)
            assert fs.labels or (layout == "lecture" and _grid_beside(tl.layout, step)), (
                "numbers on the network"
            )
    finally:
        renderer.close()


def test_hall_shows_only_caption_network_code_line_and_outputs(timelines):
    tl = timelines["hall"]
    step = _steps(tl)[0]
    fs = frame_state(tl, tl.frames_of(step.index)[-1], 1280, 720)
    texts = [t.text for t in fs.texts]
    assert "l1 = nonlin(np.dot(l0,syn0))".replace(" ", "") in "".join(
        t.text for t in fs.texts if t.mono and t.y < 0.15
    ).replace(" ", "")
    assert not any("syn0 = 2*np.random" in t for t in texts)  # not the whole listing
    assert not any(t.startswith("blue: positive") for t in texts)  # no legend, a key of one line
    assert "0 0 1" in texts and "?" in texts  # record 1 against its target, output not yet known


def test_study_keeps_every_panel(timelines):
    tl = timelines["study"]
    step = _steps(tl)[0]
    fs = frame_state(tl, tl.frames_of(step.index)[-1], 1280, 720)
    texts = [t.text for t in fs.texts]
    assert any(t.startswith("blue: positive") for t in texts)  # the legend
    assert sum(1 for t in fs.texts if t.mono and "np.random" in t.text) or any("random" in t for t in texts)
    assert "0 0 1" in texts  # the records with their outputs and targets


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_dimmed_weights_keep_3_to_1_contrast(timelines, theme):
    """A weight outside the step is blended towards the background, but keeps a contrast
    ratio of at least 3:1 (WCAG's relative luminance) against both background colours."""

    def luminance(c):
        c = np.asarray(c, float)
        c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * c[..., 0] + 0.7152 * c[..., 1] + 0.0722 * c[..., 2]

    tl = timelines["lecture"]
    step = _steps(tl)[0]  # hidden node 1: three weights in focus, the others dimmed
    fs = frame_state(tl, tl.frames_of(step.index)[-1], 640, 360, theme)
    t = THEMES[theme]
    dimmed = np.array([i for i in range(tl.layout.n_edges) if i not in step.highlighted_edges])
    colours = fs.cylinder_colors[dimmed]
    for bg in (t.background_top, t.background_bottom):
        lo = np.minimum(luminance(colours), luminance(bg))
        hi = np.maximum(luminance(colours), luminance(bg))
        assert ((hi + 0.05) / (lo + 0.05)).min() >= 3.0


def test_the_halls_backward_pass_greys_and_thins_the_weights_it_does_not_use(timelines):
    """The hall keeps an idle weight's sign colour and width in the forward pass (two
    reviews could not tell greyed blue from orange from the back rows); in the backward
    pass syn0 steps back as in the lecture, greyed at its luminance (3:1 kept) and thinner
    (three reviews: its saturated weights ran through the hidden errors worked out)."""
    tl = timelines["hall"]
    lay = tl.layout
    syn0 = np.array(list(lay.layer_edges(0)))

    def syn0_of(step):
        fs = frame_state(tl, tl.frames_of(step.index)[-1], 1280, 720)
        colours = fs.cylinder_colors[syn0]
        return colours.max(axis=1) - colours.min(axis=1), fs.cylinder_radii[syn0]

    forward = next(s for s in tl.steps if s.kind == "node" and s.epoch == 1 and s.layer == 2)
    error = next(s for s in tl.steps if s.kind == "error" and s.epoch == 1)
    (chroma_f, radii_f), (chroma_b, radii_b) = syn0_of(forward), syn0_of(error)
    assert set(syn0).isdisjoint(forward.highlighted_edges) and set(syn0).isdisjoint(error.highlighted_edges)
    assert np.all(chroma_b < 0.6 * chroma_f)  # greyed
    assert radii_b.mean() < 0.8 * radii_f.mean()  # and thinner


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_the_highlight_is_neither_a_weight_blue_nor_orange(theme):
    t = THEMES[theme]

    def hue(c):
        import colorsys

        return colorsys.rgb_to_hsv(*c)[0] * 360

    for other in (t.positive, t.negative):
        d = abs(hue(t.accent) - hue(other)) % 360
        assert min(d, 360 - d) >= 60, (t.accent, other)


def test_numbers_on_the_picture_carry_their_sign(timelines):
    tl = timelines["lecture"]
    error = _steps(tl)[2]
    texts = [v.split()[-1] for _, v in error.node_notes]  # beside the hidden nodes they arrive at
    assert texts == ["+0.0698", "-0.0893", "+0.112", "-0.0403"]  # record 1: l2_delta x syn1 = l1_error
    assert error.node_notes[0][1] == "-0.118 × -0.591 ≈ +0.0698"  # worked out, each
    update = _steps(tl)[4]
    assert all(v[0] in "+-" for _, v in update.edge_values)


def test_an_update_writes_each_weight_before_and_after_largest_change_first(timelines):
    """Iteration 1's syn1 update: seed 000's syn1 -0.5911, 0.7562, -0.9452, 0.3409 moves by
    -0.0045, -0.0067, -0.0068, -0.0046 (the change grid): to 3 digits 0.756 - 0.0067 would
    not be 0.750, so 4 decimals, where before + change as written misses after as written
    by a unit of the last digit at most (0.3409 - 0.0046 against 0.3364).
    Each stands in two lines beside the hidden node its weight leaves: they all meet at the
    output, where along the weights they crossed one another."""
    tl = timelines["lecture"]
    update = next(s for s in tl.steps if s.kind == "update" and s.layer == 1)
    lay = tl.layout
    assert update.edge_values == (
        (lay.edge_id(1, 2, 0), "-0.9452 \u2192 -0.9520"),
        (lay.edge_id(1, 1, 0), "+0.7562 \u2192 +0.7495"),
        (lay.edge_id(1, 3, 0), "+0.3409 \u2192 +0.3364"),
        (lay.edge_id(1, 0, 0), "-0.5911 \u2192 -0.5956"),
    )
    grid = {1: "-0.0067", 0: "-0.0045", 2: "-0.0068", 3: "-0.0046"}
    for edge, text in update.edge_values:  # the grid's change is itself rounded: within 1 unit
        before, after = text.split(" \u2192 ")
        assert abs(float(before) + float(grid[lay.edge_from[edge] - 3]) - float(after)) <= 1.0001e-4
    fs = frame_state(tl, tl.frames_of(update.index)[-1], 1280, 720)
    for edge, text in update.edge_values:
        before, after = text.split(" \u2192 ")
        node = lay.nodes[lay.edge_from[edge]]
        top, bottom = (next(lb for lb in fs.labels if lb.text == t) for t in (before, f"\u2192 {after}"))
        assert top.position[0] == bottom.position[0] > node[0]  # right of the hidden node
        assert top.position[1] > node[1] > bottom.position[1]  # one over the other, level with it
    syn0 = next(s for s in tl.steps if s.kind == "update" and s.layer == 0)
    # syn0's weights cross: its three largest changes alone, as the grid writes them
    assert [v for _, v in syn0.edge_values] == ["-0.0103", "-0.0061", "-0.0050"]


def test_a_node_of_value_zero_is_a_ring(timelines):
    tl = timelines["lecture"]
    step = _steps(tl)[0]  # record 1 = [0, 0, 1]: two inputs are 0
    fs = frame_state(tl, tl.frames_of(step.index)[-1], 1280, 720)
    rings = [p for p in fs.polylines if len(p.points) == 33]
    assert len(rings) == 2
    centres = project(fs.camera, tl.layout.nodes[:2], 1280 / 720)
    for ring, (x, y) in zip(rings, (centres + 1) / 2, strict=True):
        pts = np.array(ring.points)
        assert np.allclose(pts.mean(axis=0), (x, y), atol=0.01)


def test_the_change_history_shows_the_iterations_run_so_far(timelines):
    """The lecture's update column: one row per shown update of the matrix so far, a bar
    and a number each; a later iteration's row comes with it (no row before it exists).
    The first update has no history (one bar says nothing): its change matrix stands at
    the column's top."""
    from nnviz3d.hud import overlay

    tl = timelines["lecture"]  # iterations 1 and 2000
    theme = THEMES["dark"]
    first, last = (s for s in tl.steps if s.kind == "update" and s.layer == 1)
    sizes = [float(np.max(np.abs(s.change))) for s in (first, last)]
    assert sizes[0] == pytest.approx(0.0067693163, abs=1e-9) and sizes[1] < sizes[0] / 10

    def history(step):
        texts, rects, _ = overlay(tl, step, theme, 1280, 720)
        title = next(
            (t for t in texts if t.text.replace("\n", " ") == "largest |change| of syn1, per iteration"), None
        )
        if title is None:
            return None, [t for t in texts if t.text == "syn1 change"]
        inside = [t.text for t in texts if t.x >= title.x and t.y < title.y and t.y > title.y - 0.3]
        bars = [
            r for r in rects if r.x0 >= title.x and title.y - 0.3 < r.y0 < title.y and r.color == theme.muted
        ]
        return inside, bars

    words, grid = history(first)
    assert words is None and len(grid) == 1 and grid[0].y > 0.7  # the change matrix, at the top
    words, bars = history(last)
    assert words[:4] == ["1", "0.00677", "... 2000", fmt_sig(sizes[1])] and len(bars) == 2  # the gap marked
    assert bars[1].x1 - bars[1].x0 < (bars[0].x1 - bars[0].x0) / 10  # the shrinking, seen


def test_a_late_update_writes_enough_digits_to_see_the_change(timelines):
    """Iteration 2000 moves syn1 by under 0.0004: 3 significant digits of -4.99 would show
    no change, so each label goes to its change's first digit."""
    tl = timelines["lecture"]
    late = next(s for s in tl.steps if s.kind == "update" and s.layer == 1 and s.epoch == 2000)
    for edge, text in late.edge_values:
        before, after = (float(v) for v in text.split(" \u2192 "))
        assert before != after, text
        i = tl.layout.edge_from[edge] - tl.layout.layer_nodes(1)[0]
        change = float(late.change[i, 0])
        assert after - before == pytest.approx(
            change, abs=1.5 * 10 ** -len(text.split(" \u2192 ")[1].split(".")[1])
        )


def test_a_node_step_sleeves_the_weights_it_multiplies(timelines):
    """Hidden node 1 of record 1: its three incoming weights (and only they) sit in a
    translucent white sleeve wider than the weight, so the numbers along them are theirs."""
    tl = timelines["lecture"]
    step = _steps(tl)[0]
    fs = frame_state(tl, tl.frames_of(step.index)[-1], 1280, 720)
    incoming = [tl.layout.edge_id(0, i, 0) for i in range(3)]
    assert sorted(step.highlighted_edges) == sorted(incoming)
    assert len(fs.ghost_radii) == 3
    assert np.all(fs.ghost_colors == np.array(THEMES["dark"].text))
    mids = (tl.layout.nodes[tl.layout.edge_from[incoming]] + tl.layout.nodes[tl.layout.edge_to[incoming]]) / 2
    assert np.allclose(np.sort(fs.ghost_centers, axis=0), np.sort(mids, axis=0))
    assert np.all(fs.ghost_radii > fs.cylinder_radii[incoming])
    study = timelines["study"]
    s = _steps(study)[0]
    assert len(frame_state(study, study.frames_of(s.index)[-1], 1280, 720).ghost_radii) == 0


def test_the_hall_says_what_the_numbers_on_the_weights_are(timelines):
    """A reviewer read the hall's -0.265 (input × weight) as the weight itself when its
    key had room only for the colours: the numbers' meaning comes first."""
    from nnviz3d.hud import overlay

    tl = timelines["hall"]
    step = _steps(tl)[0]
    words = [t.text for t in overlay(tl, step, THEMES["dark"], 1280, 720)[0]]
    assert "number on a weight: input × weight" in words


def test_the_end_of_an_iteration_lights_no_weight_and_changes_are_written_in_white(timelines):
    """Every weight lit at once at the end read as a jump in the weights; a change written
    in its sign's colour on a weight of the other sign read as the weight's sign."""
    tl = timelines["lecture"]
    end = next(s for s in tl.steps if s.kind == "end")
    assert (end.visual.edge_focus < 1.0).all()
    hall = timelines["hall"]
    syn0 = next(s for s in hall.steps if s.kind == "update" and s.layer == 0)
    fs = frame_state(hall, hall.frames_of(syn0.index)[-1], 1280, 720)
    changes = [lb for lb in fs.labels if lb.text in {v for _, v in syn0.edge_values}]
    assert len(changes) == 3 and all(not lb.spans and lb.color == fs.theme.text for lb in changes)


def test_the_lectures_grid_alone_writes_the_changes_of_weights_that_cross(timelines):
    """syn0's twelve weights cross: three numbers slanted along them, over their sleeves,
    were read as chaos while the grid beside wrote all twelve. The lecture leaves them to
    the grid; syn1's weights meet at out and keep their before -> after beside h1..h4."""
    tl = timelines["lecture"]
    syn0 = next(s for s in tl.steps if s.kind == "update" and s.layer == 0)
    fs = frame_state(tl, tl.frames_of(syn0.index)[-1], 1280, 720)
    assert syn0.edge_values and not [lb for lb in fs.labels if lb.text in {v for _, v in syn0.edge_values}]
    syn1 = next(s for s in tl.steps if s.kind == "update" and s.layer == 1)
    fs = frame_state(tl, tl.frames_of(syn1.index)[-1], 1280, 720)
    assert sum(lb.text.startswith("\u2192 ") for lb in fs.labels) == 4


def test_an_output_square_fills_its_frame_by_the_value(timelines):
    """The area, not the side, is the value: a side of 0.471 looked a quarter full."""
    tl = timelines["lecture"]
    end = next(s for s in tl.steps if s.kind == "end")
    fs = frame_state(tl, tl.frames_of(end.index)[-1], 1280, 720)
    key = next(t.y for t in fs.texts if t.text == "output")  # the table's key row: its squares apart
    rows = [r for r in fs.rects if abs((r.y0 + r.y1) / 2 - key) > 0.01]
    grey = sorted(
        (
            (r.x1 - r.x0) * 1280 * (r.y1 - r.y0) * 720
            for r in rows
            if r.color == fs.theme.node and r.opacity == 1.0
        ),
    )
    teal = [(r.x1 - r.x0) * 1280 * (r.y1 - r.y0) * 720 for r in rows if r.color == fs.theme.target]
    outputs = sorted(float(v) for v in end.visual.outputs[:, 0])  # 0.471 0.487 0.541 0.543
    full = max(teal)  # a target of 1 fills its frame
    assert len(grey) == 4 and grey == pytest.approx([full * v for v in outputs], rel=0.02)


def test_the_change_grid_is_grey_as_light_as_each_change_is_large(timelines):
    """Blue and orange on the weights are the weights' signs; the change grid beside them
    coloured its cells by the change's sign, and the x3 -> h1 weight stood orange beside its
    blue cell (reviews 41b, 42a, 42b). Its cells are one grey, as light as the change is
    large on the video's one scale (syn0's largest, -0.0103, the lightest), the weakest still
    a cell (CELL_FLOOR), the sign written; a change and its opposite alike; the numbers keep
    4.5:1 over the lightest."""
    from nnviz3d.hud import CELL_FLOOR, CELL_INK, overlay

    dark = THEMES["dark"]
    tl = timelines["lecture"]
    syn0 = next(s for s in tl.steps if s.kind == "update" and s.layer == 0)
    texts, rects, _ = overlay(tl, syn0, dark, 1280, 720)

    def box(number):
        cell = next(t for t in texts if t.text == number)
        return next(r for r in rects if r.x0 < cell.x < r.x1 and r.y0 < cell.y < r.y1 and r.opacity == 1.0)

    bg = np.array(dark.panel)
    ink = bg + (np.array(dark.muted) - bg) * CELL_INK
    weak, strong = box("+0.0008"), box("-0.0103")
    assert np.allclose(
        weak.color, bg + (ink - bg) * (CELL_FLOOR + (1 - CELL_FLOOR) * 0.0008 / 0.0103), atol=0.01
    )
    assert np.allclose(strong.color, ink, atol=1e-9)
    for r in (weak, strong):  # grey: no channel stands out as blue or orange does
        assert max(r.color) - min(r.color) < 0.1
    plus, minus = box("+0.0008"), box("-0.0010")  # near sizes, opposite signs: near shades
    assert abs(sum(plus.color) - sum(minus.color)) < 0.1

    def lum(c):
        c = np.array(c)
        c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return float(c @ [0.2126, 0.7152, 0.0722])

    for theme in THEMES.values():
        b = np.array(theme.panel)
        lightest = b + (np.array(theme.muted) - b) * CELL_INK
        hi, lo = sorted((lum(theme.text), lum(lightest)), reverse=True)
        assert (hi + 0.05) / (lo + 0.05) >= 4.5


@pytest.mark.parametrize("kind", ["delta", "update"])
def test_the_halls_two_line_numbers_stand_apart_node_by_node(timelines, kind):
    """A hidden layer's l1_delta (= error over × slope) and syn1's update (before over ->
    after) stand in two lines beside each node in the hall's big type: a node's two lines
    are one block, and a clear gap (a quarter of the type) parts it from the next node's
    (review 26 read the stacks, a line apart, as running into each other)."""
    tl = timelines["hall"]
    step = next(s for s in tl.steps if s.kind == kind and s.epoch == 1 and s.layer == 1)
    w, h = 1280, 720
    fs = frame_state(tl, tl.frames_of(step.index)[-1], w, h)
    by_x: dict[float, list[Label3D]] = {}
    for lb in fs.labels:
        by_x.setdefault(round(lb.position[0], 6), []).append(lb)
    column = sorted(max(by_x.values(), key=len), key=lambda lb: -lb.position[1])
    assert len(column) == 8, [lb.text for lb in column]  # 4 nodes, two lines each
    ys = (project(fs.camera, np.array([lb.position for lb in column]), w / h)[:, 1] + 1) / 2 * h
    pitch = -np.diff(ys)
    size = column[0].size
    within, between = pitch[0::2], pitch[1::2]
    assert np.all(within < size)  # one block: the backdrops meet
    assert np.all(between - size >= 0.25 * size), (within, between)


@pytest.mark.parametrize(
    ("layout", "epoch", "lines"), [("hall", 1, 8), ("lecture", 1, 8), ("hall", 2000, 4), ("lecture", 2000, 4)]
)
def test_the_hidden_errors_stand_right_of_their_nodes_clear_of_out(timelines, layout, epoch, lines):
    """Each hidden error worked out, delta × weight over ≈ error, stands right of its node,
    on the side its delta came from (reviews 56a and 56b read them left of the nodes, on the
    input weights, as syn0's), level with it, clear of the other nodes' notes, of out's
    sphere, its name and its delta (which rises for them); iteration 2000's -0.000385 ×
    -4.99 is too wide there, so its notes are the results alone, all four alike, without
    their "=". Widths are the shipped face's own (Pillow reads its advances)."""
    from PIL import ImageFont

    from nnviz3d.fonts import LATIN_FONT

    tl = timelines[layout]
    lay = tl.layout
    step = next(s for s in tl.steps if s.kind == "error" and s.epoch == epoch)
    w, h = 1280, 720
    fs = frame_state(tl, tl.frames_of(step.index)[-1], w, h)

    def px(points):  # on screen, pixels (y down)
        xy = (project(fs.camera, np.array(points, dtype=float), w / h)[:, :2] + 1) / 2
        return np.column_stack([xy[:, 0] * w, (1 - xy[:, 1]) * h])

    hidden = list(lay.layer_nodes(1))
    (out,) = lay.layer_nodes(2)
    notes = [lb for lb in fs.labels if lb.align == "left" and re.match(r"[-+≈=]", lb.text)]
    assert len(notes) == lines, [lb.text for lb in notes]  # four errors, in one form
    assert not [lb for lb in fs.labels if lb.position[0] < lay.nodes[hidden[0]][0] and "×" in lb.text]
    if lines == 4:  # the results alone, without a relation sign: "= +0.00192" equalled nothing
        assert all(re.fullmatch(r"[-+]\d\.\d+", lb.text) for lb in notes), [lb.text for lb in notes]
    else:
        assert [lb.text.split()[0] for lb in notes[1::2]] == ["≈"] * 4
    assert len({lb.size for lb in notes}) == 1 and sum("×" in lb.text for lb in notes) == lines - 4
    centres = px(lay.nodes)
    r_out = px([lay.nodes[out] + [fs.sphere_radii[out], 0, 0]])[0][0] - centres[out][0]
    (delta,) = [lb for lb in fs.labels if lb.align == "right" and lb.text == step.node_labels[out]]
    (dx, dy) = px([delta.position])[0]
    dw = ImageFont.truetype(str(LATIN_FONT), delta.size).getlength(delta.text)
    walls = [
        (centres[out][0] - r_out, centres[out][1] - r_out, centres[out][0] + r_out, centres[out][1] + r_out),
        (dx - dw, dy - 0.75 * delta.size, dx, dy),  # (its digits stand on its anchor)
    ]
    assert delta.valign == "bottom"
    boxes = []
    for lb, (x, y) in zip(notes, px([lb.position for lb in notes]), strict=True):
        width = ImageFont.truetype(str(LATIN_FONT), lb.size).getlength(lb.text)
        box = (x, y - 0.5 * lb.size, x + width, y + 0.5 * lb.size)  # the digits' height
        node = min(hidden, key=lambda n: abs(centres[n][1] - y))  # level with its node, right of it
        r = px([lay.nodes[node] + [fs.sphere_radii[node], 0, 0]])[0][0] - centres[node][0]
        assert box[0] > centres[node][0] + r and abs(y - centres[node][1]) < lb.size, (lb.text, box)
        for q in walls:
            assert box[2] < q[0] or q[2] < box[0] or box[3] < q[1] or q[3] < box[1], (lb.text, box, q)
        boxes.append((node, box))
    for i, (n, p) in enumerate(boxes):  # no two nodes' notes touch
        for m, q in boxes[:i]:
            assert n == m or p[3] < q[1] or q[3] < p[1], (p, q)
    assert min(lb.size for lb in notes) >= 24 * 1.2  # still at least the numbers' 24 px capitals


@pytest.mark.parametrize("layout", ["hall", "lecture"])
def test_a_number_on_a_weight_lies_along_it(timelines, layout):
    """The output node's four inputs × weights: each number on its own weight, slanted
    with it on screen, so that where weights cross it is read as the one it lies along."""
    tl = timelines[layout]
    lay = tl.layout
    step = next(s for s in tl.steps if s.kind == "node" and s.layer == 2 and s.epoch == 1 and s.record == 0)
    w, h = 1280, 720
    fs = frame_state(tl, tl.frames_of(step.index)[-1], w, h)
    assert [text for _, text in step.edge_values] == ["-0.265", "0.393", "-0.435", "0.202"]
    for edge, text in step.edge_values:
        label = next(lb for lb in fs.labels if lb.text == text)
        a, b = lay.nodes[lay.edge_from[edge]], lay.nodes[lay.edge_to[edge]]
        pa, pb, pl = (project(fs.camera, np.array([a, b, label.position]), w / h) + 1) / 2 * [w, h]
        d = pb - pa
        assert label.angle == pytest.approx(np.degrees(np.arctan2(d[1], d[0])), abs=1.5)
        across = abs(d[0] * (pl - pa)[1] - d[1] * (pl - pa)[0]) / np.linalg.norm(d)
        along = float(np.dot(pl - pa, d) / np.dot(d, d))
        assert across < 0.2 * label.size and 0.1 < along < 0.75, (text, across, along)
        dark = THEMES["dark"]
        assert label.color == (dark.negative if text.startswith("-") else dark.positive)
    # and none runs into another, into the z under the node, or over a sphere (at its largest)
    written = [
        lb for lb in fs.labels if lb.text in dict(step.edge_values).values() or lb.text.startswith("z =")
    ]
    outlines = []
    for lb in written:
        centre = (project(fs.camera, np.array([lb.position]), w / h)[0] + 1) / 2 * [w, h]
        width, height = text_width_em(lb.text) * lb.size, 1.2 * lb.size
        if lb.align == "right":  # the z: ending at its anchor
            centre = centre - [width / 2, 0]
        a = np.radians(lb.angle)
        u, n = np.array([np.cos(a), np.sin(a)]), np.array([-np.sin(a), np.cos(a)])
        outlines.append(
            np.array(
                [
                    centre + u * sx * width / 2 + n * sy * height / 2
                    for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))
                ]
            )
        )
    for i, a in enumerate(outlines):
        assert all(_outline_gap(a, b) > 0 for b in outlines[i + 1 :]), written[i].text
    ends = (project(fs.camera, lay.nodes + np.array([NODE_R_MAX, 0, 0]), w / h) + 1) / 2 * [w, h]
    centres = (project(fs.camera, lay.nodes, w / h) + 1) / 2 * [w, h]
    for (cx, cy), (ex, _) in zip(centres, ends, strict=True):
        r = ex - cx
        disc = np.array([(cx - r, cy - r), (cx + r, cy - r), (cx + r, cy + r), (cx - r, cy + r)])
        assert all(_outline_gap(o, disc) > -0.3 * r for o in outlines[:4])  # a sphere's box: corners aside


def test_the_outputs_table_writes_an_output_with_the_captions_result(timelines):
    """The output node's step: its row of the table says "?" while the caption builds the
    sum, and the output once the caption writes it (review 28 saw 0.474 in the table
    before the formula had it)."""
    from nnviz3d.hud import caption_parts, overlay

    tl = timelines["lecture"]
    step = next(s for s in tl.steps if s.kind == "node" and s.layer == 2 and s.epoch == 1 and s.record == 0)
    theme = THEMES["dark"]
    n = caption_parts(step)
    early = [t.text for t in overlay(tl, step, theme, 1280, 720, shown=1)[0]]
    done = [t.text for t in overlay(tl, step, theme, 1280, 720, shown=n)[0]]
    assert "0.474" not in early and early.count("?") == 4
    assert "0.474" in done and done.count("?") == 3


def test_the_outputs_table_names_each_column_pair_once(timelines):
    """ "output l2" over the outputs' numbers and squares together, "target y" over the
    targets' squares and numbers: each name once (three reviews read "X l2 l2 y" as four
    columns)."""
    from nnviz3d.hud import overlay

    tl = timelines["lecture"]
    step = next(s for s in tl.steps if s.kind == "node" and s.layer == 2 and s.epoch == 1 and s.record == 0)
    texts, _, lines = overlay(tl, step, THEMES["dark"], 1280, 720)
    head_y = next(t.y for t in texts if t.text == "X")
    heads = [t for t in texts if t.y == head_y and t.mono]
    # in words where they fit, as the Japanese table (two reviews: "X l2 y" unexplained)
    assert [t.text for t in heads] == ["X", "output l2", "target y"]
    for a, b in itertools.pairwise(heads):  # apart by a character at least
        a_end = a.x + (len(a.text) * 0.6 * a.size / 1280) * (0.5 if a.align == "center" else 1.0)
        assert a_end + 0.6 * a.size / 1280 <= b.x - len(b.text) * 0.6 * b.size / 1280 / 2 + 1e-9
    squares = sorted({round(p.points[0][0], 6) for p in lines if len(p.points) == 5 and p.width == 1.0})
    number = next(t for t in texts if t.text == "0.474")
    assert number.x < heads[1].x < squares[1]  # between the output's number and its square's right
    assert squares[1] < heads[2].x  # over the target's square and number


def test_the_lectures_idle_weights_are_grey(timelines):
    """In the lecture a weight the step does not use is greyed all but fully (at its
    luminance: 3:1 kept), so the step's own blue and orange are the only colours on the
    weights (a review: "fade everything outside the step")."""
    tl = timelines["lecture"]
    syn0 = np.array(list(tl.layout.layer_edges(0)))
    error = next(s for s in tl.steps if s.kind == "error" and s.epoch == 1)
    assert set(syn0).isdisjoint(error.highlighted_edges)
    fs = frame_state(tl, tl.frames_of(error.index)[-1], 1280, 720)
    colours = fs.cylinder_colors[syn0]
    sign = np.array([fs.theme.positive, fs.theme.negative])
    chroma = colours.max(axis=1) - colours.min(axis=1)
    assert np.all(chroma < 0.2 * (sign.max(axis=1) - sign.min(axis=1)).min())


@pytest.mark.parametrize("layout", ["hall", "lecture"])
def test_a_delta_and_its_weight_fit_between_the_spheres_with_room_for_their_arrow(timelines, layout):
    """The pill "-0.118 × -0.945" stands between h3's sphere and out's, with room on its
    left for the arrow it holds: the hall's large numbers made it wider than the gap, and
    its arrow stood over h3's sphere and h2's name (it is written a little smaller there)."""
    from nnviz3d.frames import (
        CARRY_ROOM,
        PAIR_CLEAR,
        TOKEN_GAP,
        TOKEN_PHASES,
        TOKEN_TINT,
        _label_box,
        _mix,
        _px_per_unit,
    )
    from tests.test_wants import _token_times

    tl, theme, (W, H) = timelines[layout], THEMES["dark"], (1280, 720)
    lay = tl.layout
    step = next(s for s in tl.steps if s.epoch == 1 and s.kind == "error" and s.layer == 1)
    seen = 0
    # the chips' size, where all four stand (each is taken into its node's note in turn)
    chip = next(lb for lb in frame_state(tl, step.first_frame, W, H).labels if lb.text.startswith("× "))
    for j in range(4):
        edge = lay.edge_id(1, j, 0)
        for f, t in _token_times(tl, step, edge):
            if not TOKEN_PHASES[1] <= t < TOKEN_PHASES[2]:
                continue
            state = frame_state(tl, f, W, H)
            ppu = _px_per_unit(state.camera, W, H)
            (pill,) = [
                lb for lb in state.labels
                if lb.backdrop == _mix(theme.panel, lb.color, TOKEN_TINT) and " × " in lb.text
            ]  # fmt: skip
            x0, _, x1, _ = _label_box(pill, ppu)
            reach = PAIR_CLEAR + TOKEN_GAP * chip.size / ppu
            hidden, out = lay.nodes[lay.node_id(1, j), 0], lay.nodes[lay.node_id(2, 0), 0]
            assert hidden + reach + CARRY_ROOM - 0.02 <= x0 and x1 <= out - reach + 0.02, (layout, j)
            seen += 1
    assert seen >= 12


def test_a_name_a_number_runs_into_gives_way_unless_the_caption_says_it():
    """In the hall, iteration 1998's hidden notes ("-0.00216 × 0.140") reach out's name:
    "0.140out" (review 55a). A name the step's numbers run into is not drawn, unless the
    caption says it (then it is lit, and stays); names clear of the numbers stay; the lone
    output's, over its sphere, first rises out of their way (review 30a: hall_s137 had no
    "out")."""
    from nnviz3d.frames import _box_gap, _label_box, _px_per_unit

    scene = load_scene()
    _, tl = prepare(replace(scene, render=replace(scene.render, layout="hall")), epochs=(1998,))
    step = next(s for s in tl.steps if s.kind == "delta" and s.layer == 1)
    fs = frame_state(tl, step.first_frame + step.n_frames - 1, 1280, 720)
    words = {t.text for t in fs.texts}
    assert {"x1", "x2", "x3", "h1", "h2", "h3", "h4", "out"} <= words
    ppu = _px_per_unit(fs.camera, 1280, 720)
    boxes = []
    for label in fs.labels:
        x0, y0, x1, y1 = _label_box(label, ppu)
        ends = (project(fs.camera, np.array([[x0, y0, 0.0], [x1, y1, 0.0]]), 1280 / 720) + 1) / 2
        boxes.append((*ends.min(axis=0), *ends.max(axis=0)))
    names = [t for t in fs.texts if t.text in ("x1", "x2", "x3", "h1", "h2", "h3", "h4")]
    backdrops = [r for r in fs.rects if any(r.x0 < t.x < r.x1 and r.y0 <= t.y <= r.y1 for t in names)]
    assert len(backdrops) == len(names)
    assert all(_box_gap((r.x0, r.y0, r.x1, r.y1), b) > 0 for r in backdrops for b in boxes)
    (out,) = [t for t in fs.texts if t.text == "out"]
    (rect,) = [r for r in fs.rects if r.x0 < out.x - 0.01 < r.x1 and r.y0 <= out.y <= r.y1]
    lay = tl.layout
    centre = (project(fs.camera, lay.nodes[[lay.node_id(2, 0)]], 1280 / 720)[0] + 1) / 2
    assert rect.y0 > centre[1] + 0.05  # over its sphere, risen
    for b in boxes:  # no number runs into it more than a quarter of its type both ways
        across = (min(rect.x1, b[2]) - max(rect.x0, b[0])) * 1280
        down = (min(rect.y1, b[3]) - max(rect.y0, b[1])) * 720
        assert not (across > 0.25 * out.size and down > 0.25 * out.size)
    # a lit name stays whatever runs into it: h3, the caption's example, in the error step
    error = next(s for s in tl.steps if s.kind == "error" and s.layer == 1)
    lit = [
        t for t in frame_state(tl, error.first_frame + error.n_frames - 1, 1280, 720).texts if t.text == "h3"
    ]
    assert lit and lit[0].bold and lit[0].color == THEMES["dark"].accent


@pytest.mark.parametrize("layout", ["hall", "lecture"])
def test_the_outputs_table_is_faint_while_the_hidden_errors_are_sent_back(timelines, layout):
    """Review 30b: "dim or hide panels not in use". While the hidden errors are sent back,
    the records' outputs (the forward pass's and the output error's subject) and the
    record note stand faint, three fifths of the way to the background; the caption, the
    status and the code line keep their colours."""
    from nnviz3d.hud import ASIDE_FADE, overlay

    tl = timelines[layout]
    theme = THEMES["dark"]
    error = next(s for s in tl.steps if s.kind == "error" and s.epoch == 1)
    before = next(s for s in tl.steps if s.kind == "display_error" and s.epoch == 1)
    faint = {t.text: t for t in overlay(tl, error, theme, 1280, 720)[0]}
    full = {t.text: t for t in overlay(tl, before, theme, 1280, 720)[0]}
    bg = np.array(theme.background_top)
    row = next(k for k in full if k.startswith("0.489"))  # record 2's output, in the table
    assert np.allclose(
        np.array(faint[row].color), np.array(full[row].color) * (1 - ASIDE_FADE) + bg * ASIDE_FADE
    )
    assert np.linalg.norm(np.array(faint[row].color) - bg) < 0.5 * np.linalg.norm(
        np.array(full[row].color) - bg
    )
    caption = next(t for t in faint.values() if t.text.startswith("l1_error"))
    assert caption.color == theme.text
    assert faint["iteration 1 / 60000"].color == theme.text
