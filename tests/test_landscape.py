"""The landscape: after the one-weight descent, the loss over two weights at once as a map
with its contour lines; the gradient stands at right angles to the contour through the
point and the step rolls the other way, downhill (reviews 62-66: "a 2-D loss landscape")."""

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest

from nnviz3d.frames import frame_state
from nnviz3d.hud import DASHED_STROKE, map_levels, overlay
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import THEMES
from nnviz3d.scene import load_scene
from tests.helpers import runs_tiling

W, H = 1280, 720
DARK = THEMES["dark"]


@pytest.fixture(scope="module")
def run():
    return prepare(load_scene(), epochs=(1, 2, 2000))


def _iamtrask_loss(syn1_h3: float, syn1_h2: float) -> float:
    """The batch's loss (1/2 sum of squared errors) of iamtrask's own network at its seed,
    before its first update, with two of syn1's weights set: not the trace's numbers."""
    np.random.seed(1)
    x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    y = np.array([[0, 1, 1, 0]]).T
    syn0 = 2 * np.random.random((3, 4)) - 1
    syn1 = 2 * np.random.random((4, 1)) - 1
    syn1[2, 0], syn1[1, 0] = syn1_h3, syn1_h2
    l1 = 1 / (1 + np.exp(-np.dot(x, syn0)))
    l2 = 1 / (1 + np.exp(-np.dot(l1, syn1)))
    return float(0.5 * np.sum((y - l2) ** 2))


def _landscape(tl):
    return next(s for s in tl.steps if s.kind == "landscape")


def test_the_landscape_plays_once_after_the_descent_for_the_two_largest_changes_into_out(run):
    _, tl = run
    kinds = [s.kind for s in tl.steps]
    assert kinds.count("landscape") == 1
    at = kinds.index("landscape")
    assert tl.steps[at - 1].kind == "descent" and tl.steps[at + 1].kind == "update"
    step = tl.steps[at]
    assert (step.epoch, step.layer) == (1, 1)
    m = step.loss_map
    # syn1's changes in iteration 1: -0.00451 -0.00669 -0.00677 -0.00455: h3's, then h2's
    assert m.names == ("h3 -> out", "h2 -> out")
    assert step.caption == (
        "Two weights: each step goes straight downhill: each step crosses the contour lines of "
        "the loss over h3 -> out and h2 -> out at right angles, so the path bends along the valley"
    )
    assert step.values["syn1_change[2,0]"] == pytest.approx(-0.006769316348954946, abs=1e-15)
    assert step.values["syn1_change[1,0]"] == pytest.approx(-0.00669325, abs=1e-8)
    lit = np.flatnonzero(step.visual.edge_focus == 1.0)
    assert sorted(lit) == sorted([tl.layout.edge_id(1, 2, 0), tl.layout.edge_id(1, 1, 0)])
    ja = prepare(replace(load_scene(), render=replace(load_scene().render, lang="ja")), epochs=(1,))[1]
    assert _landscape(ja).headline == "2つの重み\uff1a一歩ずつまっすぐ坂を下る"


def test_the_map_is_iamtrasks_own_loss_and_its_gradient(run):
    _, tl = run
    m = _landscape(tl).loss_map
    n = len(m.wx)
    assert m.loss.shape == (n, n) and n % 2 == 1
    assert m.w0 == pytest.approx((-0.94522481, 0.75623487), abs=1e-8)
    # centred between the point and the path's end, the valley's lowest, both well inside it
    # (centred on the point, the lowest stood at the edge and the contour's far tip read as
    # the bowl's bottom: reviews 78b, 33b)
    end = m.path[-1]
    middle = (np.array(m.w0) + end) / 2
    assert (m.wx[n // 2], m.wy[n // 2]) == pytest.approx(tuple(middle), abs=1e-12)
    side = m.wx[-1] - m.wx[0]
    for x, y in (m.w0, end):
        assert min(x - m.wx[0], m.wx[-1] - x, y - m.wy[0], m.wy[-1] - y) >= 0.149 * side
    assert m.wx[-1] - m.wx[0] == pytest.approx(m.wy[-1] - m.wy[0], abs=1e-12)  # one span both ways
    rng = np.random.default_rng(3)
    for iy, ix in [(n // 2, n // 2), (0, 0), (n - 1, n - 1), *rng.integers(0, n, (6, 2)).tolist()]:
        assert m.loss[iy, ix] == pytest.approx(_iamtrask_loss(m.wx[ix], m.wy[iy]), abs=1e-12)
    assert m.loss0 == pytest.approx(_iamtrask_loss(*m.w0), abs=1e-12)
    descent = next(s for s in tl.steps if s.kind == "descent").loss_curve
    assert m.loss0 == pytest.approx(descent.loss0, abs=1e-12)
    h = 1e-6
    for axis in range(2):
        hi, lo = list(m.w0), list(m.w0)
        hi[axis] += h
        lo[axis] -= h
        slope = (_iamtrask_loss(*hi) - _iamtrask_loss(*lo)) / (2 * h)
        assert m.gradient[axis] == pytest.approx(slope, abs=1e-8)
        assert m.change[axis] == pytest.approx(-m.gradient[axis], abs=1e-15)  # learning rate 1
    # the valley's floor is in view: the map's lowest loss is not on its edge
    iy, ix = np.unravel_index(int(np.argmin(m.loss)), m.loss.shape)
    assert 0 < iy < n - 1 and 0 < ix < n - 1
    assert m.loss.min() < m.loss0 - 1e-4


def _drawn(tl, progress, width=W, height=H):
    step = _landscape(tl)
    texts, rects, lines = overlay(tl, step, DARK, width, height, progress=progress)
    return step.loss_map, texts, rects, lines


def _band_cells(rects):
    """The map's bands' rectangles: opaque, in one of its shades (not the ball's, the
    point's or the key's row of shades under the words)."""
    from nnviz3d.hud import MAP_BANDS, _map_shade

    shades = {tuple(c) for c in _map_shade(DARK, np.arange(MAP_BANDS) / (MAP_BANDS - 1)).tolist()}
    cells = [r for r in rects if r.opacity == 1.0 and r.color in shades]
    top = max(r.y1 for r in cells)  # (the key's row stands level with the square's foot, right of it)
    left = min(r.x0 for r in cells if r.y1 == top)
    right = max(r.x1 for r in cells if r.y1 == top)
    return [r for r in cells if left - 1e-9 <= r.x0 and r.x1 <= right + 1e-9]


def _shade_at_samples(m, cells):
    """The shade (its colour's sum) drawn at each of the map's samples, ``[iy, ix]``."""
    x0, y0 = min(r.x0 for r in cells), min(r.y0 for r in cells)
    x1, y1 = max(r.x1 for r in cells), max(r.y1 for r in cells)
    n = len(m.wx)
    out = np.full((n, n), np.nan)
    for iy in range(n):
        for ix in range(n):
            x, y = x0 + (x1 - x0) * (ix + 0.5) / n, y0 + (y1 - y0) * (iy + 0.5) / n
            (cell,) = [r for r in cells if r.x0 <= x < r.x1 and r.y0 <= y < r.y1]
            out[iy, ix] = sum(cell.color)
    return out


def _px(point, width=W, height=H):
    return np.array([point[0] * width, point[1] * height])


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_the_gradient_stands_at_right_angles_to_the_points_contour(run, layout):
    """Only true where a weight's unit is as long across as up, and where the arrow uses the
    two gradients: the contour line through the point meets the gradient at 90 degrees."""
    tl = replace(run[1], screen=layout)
    _, _, _, lines = _drawn(tl, 1.0)
    # the point's contour, dashed: the dash nearest the point, within a dash and a gap of it
    through = [
        np.array([_px(q) for q in p.points])
        for p in lines
        if p.color == DARK.muted and p.width == DASHED_STROKE
    ]
    shaft = next(p for p in lines if p.color == DARK.gradient and len(p.points) == 2)
    start, end = _px(shaft.points[0]), _px(shaft.points[1])
    dash = min(through, key=lambda d: np.linalg.norm(d - start, axis=1).min())
    assert np.linalg.norm(dash - start, axis=1).min() < 10.0  # the contour goes through the point
    tangent = dash[-1] - dash[0]
    way = end - start
    cos = abs(tangent @ way) / (np.linalg.norm(tangent) * np.linalg.norm(way))
    assert cos < math.sin(math.radians(6))
    # uphill: the arrow points the gradient's way (both components positive: right and up)
    assert way[0] > 0 and way[1] > 0
    # and the path leaves the point the other way
    trail = next(p for p in lines if p.color == DARK.text and p.width == 4.0)
    first = _px(trail.points[1]) - _px(trail.points[0])
    assert first @ way / (np.linalg.norm(first) * np.linalg.norm(way)) < -0.99


def test_the_path_is_gradient_descent_on_the_map_and_bends_along_the_valley(run):
    _, tl = run
    m = _landscape(tl).loss_map
    assert tuple(m.path[0]) == pytest.approx(m.w0, abs=1e-15)
    assert tuple(m.path[1] - m.path[0]) == pytest.approx(m.change, abs=1e-12)  # the update's own step
    # each step is -gradient of the map's loss (iamtrask's code, the two weights alone)
    h = 1e-6
    for t in (1, 10, 100, len(m.path) // 2):
        a, b = m.path[t]
        slope = [
            (_iamtrask_loss(a + h, b) - _iamtrask_loss(a - h, b)) / (2 * h),
            (_iamtrask_loss(a, b + h) - _iamtrask_loss(a, b - h)) / (2 * h),
        ]
        assert m.path[t + 1] - m.path[t] == pytest.approx(-np.array(slope), abs=1e-8)
    losses = [_iamtrask_loss(*p) for p in m.path[:: max(1, len(m.path) // 60)]]
    assert np.all(np.diff(losses) < 0)  # downhill all the way
    # it ends where the map is flat, at its lowest point (within a cell), not where the
    # first step was heading: the way bends by more than 30 degrees
    iy, ix = np.unravel_index(int(np.argmin(m.loss)), m.loss.shape)
    cell = m.wx[1] - m.wx[0]
    assert abs(m.path[-1][0] - m.wx[ix]) <= cell and abs(m.path[-1][1] - m.wy[iy]) <= cell
    whole, first = m.path[-1] - m.path[0], m.path[1] - m.path[0]
    assert whole @ first / (np.linalg.norm(whole) * np.linalg.norm(first)) < math.cos(math.radians(30))
    assert 100 < len(m.path) - 1 < 6000


def test_the_ball_walks_the_path_during_the_shot_and_the_map_stays(run):
    _, tl = run
    m = _landscape(tl).loss_map

    def ball(progress):
        _, texts, rects, _ = _drawn(tl, progress)
        discs = [r for r in rects if r.color == DARK.text and r.opacity == 1.0]
        centre = np.array([(min(r.x0 for r in discs) + max(r.x1 for r in discs)) / 2,
                           (min(r.y0 for r in discs) + max(r.y1 for r in discs)) / 2])  # fmt: skip
        # the steps walked so far, in the key's line of what the path is
        counts = [t.text.replace("\n", " ") for t in texts if t.text.replace("\n", " ").startswith("white:")]
        return centre, counts

    (a, none), (b, some), (c, all_) = ball(0.0), ball(0.5), ball(1.0)
    assert none == ["white: the steps if only these two weights learned"]
    assert all_ == [f"white: {len(m.path) - 1} steps if only these two weights learned"]
    assert len(some) == 1 and 0 < int(some[0].split()[1]) < len(m.path) - 1
    assert np.linalg.norm(c - a) > 0.05 and np.linalg.norm(b - a) > 0.01
    assert c[0] < a[0] and c[1] > a[1]  # it ends left and up: along the valley to its floor
    _, _, first, _ = _drawn(tl, 0.0)
    _, _, last, _ = _drawn(tl, 1.0)
    cells = _band_cells(first)
    assert len(cells) > 100
    assert set(cells) <= set(last)  # the bands stay; only the ball moves
    step = _landscape(tl)
    frames = tl.frames_of(step.index)
    keys = {frame_state(tl, f, W, H).key for f in (frames[0], frames[len(frames) // 2], frames[-1])}
    assert len(keys) == 3


def test_the_bands_are_shaded_low_to_high_and_the_key_says_which_end_is_low(run):
    _, tl = run
    m, texts, rects, _ = _drawn(tl, 1.0)
    words = {t.text for t in texts}
    assert {"low loss", "high", "h3 -> out →", "h2 -> out ↑"} <= words
    flat = {t.replace("\n", " ") for t in words}
    key = {
        "white: 1792 steps if only these two weights learned",
        "green arrow: uphill",
        "dashed: the loss where they start",
    }
    assert key <= flat
    assert {"-0.945", "0.756"} <= words  # the point's two weights on the axes
    assert {"-1.5", "-0.5", "0", "0.5", "1", "1.5"} <= words  # and round values (not the ends: 1.54)
    assert not {"-1.73", "1.54", "-0.0238"} & words
    # the map's bands: lower loss, darker (dark theme), read at each sample's place (its
    # cell's middle) on the square; one band apart at most where the loss runs between
    # samples (the bands are drawn as it runs, review 34), the same band almost everywhere
    shade = _shade_at_samples(m, _band_cells(rects))
    lowest = np.unravel_index(int(np.argmin(m.loss)), m.loss.shape)
    highest = np.unravel_index(int(np.argmax(m.loss)), m.loss.shape)
    assert shade[lowest] < shade[highest]
    assert shade[lowest] == shade.min() and shade[highest] == shade.max()
    band = np.clip(
        np.searchsorted(np.quantile(m.loss, np.linspace(0, 1, 10)), m.loss, side="right") - 1, 0, 8
    )
    levels = np.unique(shade)
    drawn = np.searchsorted(levels, shade)
    assert np.all(np.abs(drawn - band) <= 1) and np.mean(drawn == band) > 0.9
    levels = map_levels(m.loss, m.loss0)
    assert m.loss0 in levels and len(levels) >= 8


def test_the_status_line_writes_no_mean_error_beside_the_loss_map(run):
    _, tl = run
    texts, _, _ = overlay(tl, _landscape(tl), DARK, W, H)
    assert not any("mean |error|" in t.text for t in texts)


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_no_words_stand_on_the_map_and_its_key_keeps_the_path_and_the_arrow(run, layout):
    """The gradient's name and the path's count stood on the map on dark backdrops that cut
    bands out of its contours (reviews 69b, 71a, 72b): they are in the key beside it, and
    the map's square carries no text and no backdrop. The hall's narrower key drops the
    title and the dashed line's words before the path's and the arrow's."""
    tl = replace(run[1], screen=layout)
    _, texts, rects, _ = _drawn(tl, 1.0)
    cells = _band_cells(rects)
    x0, y0 = min(r.x0 for r in cells), min(r.y0 for r in cells)
    x1, y1 = max(r.x1 for r in cells), max(r.y1 for r in cells)
    for t in texts:
        if t.align == "left" and t.valign == "top":  # (the axes' numbers stand outside it)
            assert not (x0 < t.x < x1 and y0 < t.y < y1), t.text
    backdrops = [r for r in rects if r.opacity < 1.0 and r.x0 > x0 and r.x1 < x1 and r.y0 > y0 and r.y1 < y1]
    assert backdrops == []
    flat = {t.text.replace("\n", " ") for t in texts}
    said = (
        "white: 1792 steps if only these two weights learned"
        if layout == "lecture"
        else "white: these two alone, 1792 steps"
    )
    assert said in flat and "green arrow: uphill" in flat


def test_heads_on_the_path_show_its_way(run):
    """Review 76b read the ball at the path's end as its start: three heads on the white
    path, at a quarter, half and three quarters of it, each pointing the way it was walked
    (from the start, the grey point, to the ball); none yet where the ball has not been."""
    _, tl = run
    _, _, _, lines = _drawn(tl, 1.0)
    heads = [p for p in lines if p.color == DARK.text and len(p.points) == 3]
    assert len(heads) == 3
    path = [p for p in lines if p.color == DARK.text and p.width == 4.0 and len(p.points) > 20]
    assert len(path) == 1
    trail = np.array(path[0].points)
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(trail * (W, H), axis=0).T))])
    for head in heads:
        wing_a, tip, wing_b = (np.array(q) for q in head.points)
        at = int(np.argmin(np.linalg.norm(trail - tip, axis=1)))
        assert np.linalg.norm((trail[at] - tip) * (W, H)) < 3.0  # on the path
        share = along[at] / along[-1]
        assert min(abs(share - s) for s in (0.25, 0.5, 0.75)) < 0.05
        ahead = trail[min(len(trail) - 1, at + 3)] - trail[max(0, at - 3)]
        assert (tip - (wing_a + wing_b) / 2) @ ahead > 0  # pointing the way walked
    _, _, _, early = _drawn(tl, 0.3)
    assert len([p for p in early if p.color == DARK.text and len(p.points) == 3]) == 1


def test_no_solid_contour_runs_along_the_dashed_one(run):
    """Reviews 76a, 77a, 77b: the dashed contour of the loss where the weights start lay on
    a solid one and read as solid. No other level lies within half of the start's band's
    width (in loss) of it; the bands and the other levels stay."""
    from nnviz3d.hud import CONTOUR_CLEAR, MAP_BANDS

    _, tl = run
    m = _landscape(tl).loss_map
    levels = map_levels(m.loss, m.loss0)
    inner = np.quantile(m.loss[np.isfinite(m.loss)], np.linspace(0, 1, MAP_BANDS + 1))[1:-1]
    i = int(np.searchsorted(inner, m.loss0))
    width = inner[i] - inner[i - 1]
    others = levels[levels != m.loss0]
    assert m.loss0 in levels and len(others) >= 6
    assert np.all(np.abs(others - m.loss0) > CONTOUR_CLEAR * width)
    assert np.min(np.abs(inner - m.loss0)) < CONTOUR_CLEAR * width  # (one was there: left out)


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_the_bands_tile_the_square_in_cells_of_a_few_pixels(run, layout):
    """Review 34: a cell a sample, 6 px at 720p, drew the bands' edges as stairs beside the
    smooth contours. The bands are drawn as the loss runs between the samples, in rows of
    at most MAP_CELL_PX, each row's run of one band one rectangle: they tile the square,
    without gaps or overlaps, in a few thousand rectangles at most."""
    from nnviz3d.hud import MAP_CELL_PX

    tl = replace(run[1], screen=layout)
    _, _, rects, _ = _drawn(tl, 1.0)
    cells = _band_cells(rects)
    x0, y0 = min(r.x0 for r in cells), min(r.y0 for r in cells)
    x1, y1 = max(r.x1 for r in cells), max(r.y1 for r in cells)
    assert max((r.y1 - r.y0) * H for r in cells) <= MAP_CELL_PX + 1e-9
    assert sum((r.x1 - r.x0) * (r.y1 - r.y0) for r in cells) == pytest.approx((x1 - x0) * (y1 - y0), rel=1e-9)
    rows = runs_tiling(cells, along_x=True, lo=x0, hi=x1)  # one rectangle a run
    assert len(rows) * 1.0 >= (y1 - y0) * H / MAP_CELL_PX and len(cells) < 4000


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_the_lowest_point_is_ringed_and_named_where_the_path_ends(run, layout):
    """Review 34: the valley's floor is one flat shade and nothing said where its bottom
    is. A ring stands round the path's end from the shot's start (the ball comes to rest in
    it), named "lowest" over it, and it is the lowest: iamtrask's own loss there is under
    every sample of the map. The contours stop short of the name."""
    tl = replace(run[1], screen=layout)
    m, texts, _, lines = _drawn(tl, 0.0)
    assert _iamtrask_loss(*m.path[-1]) < m.loss.min()
    rings = [p for p in lines if p.color == DARK.text and len(p.points) == 33]
    assert len(rings) == 1
    ring = np.array([_px(q) for q in rings[0].points])
    centre = (ring.max(axis=0) + ring.min(axis=0)) / 2
    from nnviz3d.hud import _map_points

    cells = _band_cells(_drawn(tl, 0.0)[2])
    square = (
        min(r.x0 for r in cells),
        min(r.y0 for r in cells),
        max(r.x1 for r in cells),
        max(r.y1 for r in cells),
    )
    end = _px(_map_points(m, square, m.path[-1:])[0])
    assert np.linalg.norm(centre - end) < 1.0
    radius = np.linalg.norm(ring - centre, axis=1)
    assert np.ptp(radius) < 0.5 and radius.mean() > 11.0  # round, wider than the ball (11 px)
    (word,) = [t for t in texts if t.text == "lowest"]
    assert (word.align, word.valign) == ("center", "bottom")
    assert abs(word.x * W - centre[0]) < 1.0 and word.y * H > centre[1] + radius.mean()
    from nnviz3d.fonts import LATIN_FONT, advance_em

    half = advance_em("lowest", LATIN_FONT) * word.size / 2
    for p in lines:
        if p.color == DARK.muted:
            q = np.array([_px(a) for a in p.points])
            near = (
                (np.abs(q[:, 0] - word.x * W) < half)
                & (q[:, 1] > word.y * H)
                & (q[:, 1] < word.y * H + word.size)
            )
            assert not near.any()
    _, _, _, end_lines = _drawn(tl, 1.0)
    assert rings[0] in end_lines


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_the_axes_numbers_stand_apart(run, layout):
    """Review 34: in the hall the point's -0.945 and the round -0.5 ran together
    ("-0.945-0.5"). Each axis's numbers keep clear of the point's: across, their ends a
    third of an em apart at least; up, their middles more than a line apart."""
    tl = replace(run[1], screen=layout)
    _, texts, _, _ = _drawn(tl, 1.0)
    numbers = [t for t in texts if t.text.lstrip("-").replace(".", "").isdigit()]
    across = sorted((t for t in numbers if t.align == "center"), key=lambda t: t.x)
    up = sorted((t for t in numbers if t.align == "right"), key=lambda t: t.y)
    assert "-0.945" in [t.text for t in across] and "0.756" in [t.text for t in up]
    assert len(across) >= 2 and len(up) >= 2
    from nnviz3d.fonts import LATIN_FONT, advance_em

    for a, b in itertools.pairwise(across):
        gap = (b.x - a.x) * W - (advance_em(a.text, LATIN_FONT) + advance_em(b.text, LATIN_FONT)) * a.size / 2
        assert gap >= a.size / 3, (a.text, b.text)
    for a, b in itertools.pairwise(up):
        assert (b.y - a.y) * H > 1.1 * a.size, (a.text, b.text)
