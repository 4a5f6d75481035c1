"""What the trained nodes compute, big: after the epilogue, before the summary, each hidden
node's output over the two varying inputs as a map, and the output's, across the frame (the
fast forward draws them 58 px beside their nodes; reviews 73a, 73b asked for the payoff)."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from nnviz3d.frames import frame_state
from nnviz3d.hud import overlay
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import THEMES
from nnviz3d.scene import load_scene
from tests.helpers import runs_tiling

SCENES = Path(__file__).parent.parent / "scenes"
W, H = 1280, 720
DARK = THEMES["dark"]


@pytest.fixture(scope="module")
def default():
    return prepare(load_scene())


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_the_maps_come_after_the_epilogue_and_are_the_trained_networks_own(default):
    trace, tl = default
    kinds = [s.kind for s in tl.steps]
    assert kinds.count("features") == 1
    at = kinds.index("features")
    assert kinds[at - 1] == "epilogue" and kinds[at + 1] == "summary"
    step = tl.steps[at]
    assert step.headline == "What the 4 hidden nodes learned"
    assert step.epoch == 60000 and step.feature_axes == ("x1", "x2")
    # each cell is the trained network's own value there: x1 across, x2 up, x3 = 1
    syn0, syn1 = (np.asarray(w) for w in trace.final_weights)
    maps, n = step.feature_maps, step.feature_maps.shape[1]
    assert n == 61  # finer than the small maps' 31 cells (review 74b: blocky at this size)
    for i, j in ((0, 0), (0, n - 1), (n - 1, 0), (n - 1, n - 1), (7, 19)):
        x = np.array([i / (n - 1), j / (n - 1), 1.0])
        hidden = _sigmoid(x @ syn0)
        out = _sigmoid(hidden @ syn1)[0]
        for k in range(4):
            assert maps[tl.layout.node_id(1, k)][i, j] == pytest.approx(hidden[k], abs=1e-12)
        assert maps[tl.layout.node_id(2, 0)][i, j] == pytest.approx(out, abs=1e-12)
    corners = maps[tl.layout.node_id(2, 0)][[0, 0, -1, -1], [0, -1, 0, -1]]
    assert corners[1] > 0.9 and corners[2] > 0.9 and corners[0] < 0.1 and corners[3] < 0.1  # XOR


@pytest.mark.parametrize("layout", ["lecture", "hall", "study"])
def test_the_maps_are_big_and_named_and_the_network_gives_way(default, layout):
    _, tl = default
    tl = replace(tl, screen=layout)
    step = next(s for s in tl.steps if s.kind == "features")
    texts, rects, lines = overlay(tl, step, DARK, W, H)
    frames = [p for p in lines if len(p.points) == 5 and p.points[0] == p.points[-1]]
    sides = sorted((max(x for x, _ in p.points) - min(x for x, _ in p.points)) * W for p in frames)
    assert len(sides) == 5
    assert sides[0] >= 150 and sides[-1] >= 2 * sides[0] * 0.9  # the hidden maps, the output's larger
    names = {t.text: t for t in texts if t.text in ("h1", "h2", "h3", "h4")}
    assert set(names) == {"h1", "h2", "h3", "h4"} and all(t.size >= 16 for t in names.values())
    axes = [t.text for t in texts if t.text in ("x1 →", "x2 ↑")]
    assert sorted(axes) == ["x1 →", "x1 →", "x2 ↑", "x2 ↑"]  # the hidden grid's and the output's
    biggest = max(frames, key=lambda p: max(x for x, _ in p.points) - min(x for x, _ in p.points))
    (mx0, my0), (mx1, my1) = biggest.points[0], biggest.points[2]  # the output's map
    teal = [r for r in rects if r.color == DARK.target]
    centres = {(round((r.x0 + r.x1) / 2, 6), round((r.y0 + r.y1) / 2, 6)) for r in teal}
    on_map = {(x, y) for x, y in centres if mx0 - 0.01 <= x <= mx1 + 0.01 and my0 - 0.02 <= y <= my1 + 0.02}
    assert len(on_map) == 4  # the four training records at its corners (filled: a target of 1)
    assert len(centres - on_map) == 2  # and the key's two beside it (review 75a: unexplained)
    assert {"target 1", "target 0"} <= {t.text for t in texts}
    state = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
    assert len(state.sphere_centers) == 0 and len(state.cylinder_centers) == 0  # the maps are the picture


def test_a_network_without_maps_has_no_such_step():
    _, tl = prepare(load_scene(SCENES / "fit_square.toml"))
    assert "features" not in [s.kind for s in tl.steps]


def test_the_big_maps_are_drawn_smooth_between_their_samples(default):
    """Reviews 31a and 31b found the features step's 400-px map of out blocky (61 samples,
    6.5-px cells): drawn in cells of at most MAP_CELL_PX, between the samples as the map
    runs (bilinear), its corners the samples themselves, neighbouring cells a small step
    apart."""
    from nnviz3d.hud import MAP_CELL_PX

    _, tl = default
    step = next(s for s in tl.steps if s.kind == "features")
    _, rects, lines = overlay(tl, step, DARK, W, H)
    frames = [p for p in lines if len(p.points) == 5 and p.points[0] == p.points[-1]]
    biggest = max(frames, key=lambda p: max(x for x, _ in p.points) - min(x for x, _ in p.points))
    (mx0, my0), (mx1, my1) = biggest.points[0], biggest.points[2]
    cells = [
        r
        for r in rects
        if mx0 - 1e-9 <= r.x0 and r.x1 <= mx1 + 1e-9 and my0 - 1e-9 <= r.y0 and r.y1 <= my1 + 1e-9
    ]
    cells = [r for r in cells if r.color != DARK.target and r.opacity == 1.0]
    assert max((r.x1 - r.x0) * W for r in cells) <= MAP_CELL_PX + 1e-6
    columns = sorted({round(r.x0, 9) for r in cells})
    n = len(columns)
    assert n >= (mx1 - mx0) * W / MAP_CELL_PX
    m = step.feature_maps[tl.layout.node_id(2, 0)]
    bg, ink = np.array(DARK.background_bottom), np.array(DARK.node)
    first = min(cells, key=lambda r: (r.x0, r.y0))  # x1 = 0, x2 = 0: the sample itself
    assert np.allclose(first.color, bg + (ink - bg) * m[0, 0], atol=0.5 / 255)
    # each column's run of one colour is one rectangle, in the renderer's own colours (whole
    # 255ths): the same pixels as a rectangle a cell, a fraction of the rectangles
    by_column = runs_tiling(cells, along_x=False, lo=my0, hi=my1)
    assert all(np.allclose(np.array(r.color) * 255, np.round(np.array(r.color) * 255)) for r in cells)
    assert len(cells) < 0.8 * n * n
    # neighbours across a small step apart: the colour at each cell's middle
    cw, ch = (mx1 - mx0) / n, (my1 - my0) / n
    grid = np.zeros((n, n, 3))
    for i, column in enumerate(by_column[c] for c in columns):
        for r in column:
            grid[i, round((r.y0 - my0) / ch) : round((r.y1 - my0) / ch)] = r.color
    assert cw * W <= MAP_CELL_PX + 1e-6
    assert np.abs(np.diff(grid, axis=0)).max() < 0.04  # (a 61-sample cell's edge was up to 0.1 of the scale)
