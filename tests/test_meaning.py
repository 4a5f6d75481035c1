"""What the pictures and numbers mean: colours by sign, themes, channel order, size maps,
number formatting and captions, checked against literal values and real pixels.

Each test here was written to fail for one deliberate bug that passed every other test (a
mutation run): weight colours with the sign swapped, the two palettes swapped, the renderer
reversing RGB, ``edge_radius`` without ``abs``, and ``fmt`` changes that tests computing their
expected strings with ``fmt`` itself cannot see.
"""

from dataclasses import replace

import numpy as np
import pytest

from nnviz3d import frames
from nnviz3d.frames import THEMES, frame_state, project
from nnviz3d.pipeline import prepare
from nnviz3d.render_vtk import VtkFrameRenderer
from nnviz3d.scene import load_scene
from nnviz3d.timeline import fmt, fmt_input

W, H = 640, 360  # thick enough cylinders (1-2 px radius) to sample their colour


@pytest.fixture(scope="module")
def tl():
    return prepare(load_scene(), epochs=(1,), fps=6)[1]


@pytest.fixture(scope="module")
def renderer():
    r = VtkFrameRenderer(W, H)
    yield r
    r.close()


@pytest.fixture(scope="module")
def init_frames(tl, renderer):
    """(step, state, pixels) of the last frame of each "init" step (syn0, syn1) per theme."""
    out = {}
    for step in (s for s in tl.steps if s.kind == "init"):
        for theme in ("dark", "light"):
            fs = frame_state(tl, tl.frames_of(step.index)[-1], W, H, theme)
            out[step.layer, theme] = (step, fs, renderer.render(fs).astype(int))
    assert sorted(out) == [(0, "dark"), (0, "light"), (1, "dark"), (1, "light")]
    return out


# -- pixels of cylinders ------------------------------------------------------------------
def _pixels(fs, points) -> np.ndarray:
    """(row, col) in pixels of world points: NDC -1..1 with y up."""
    ndc = project(fs.camera, np.asarray(points, float), fs.width / fs.height)
    return np.stack([(1 - ndc[:, 1]) / 2 * fs.height, (ndc[:, 0] + 1) / 2 * fs.width], axis=1)


def _segment_distance(p, a, b) -> float:
    ab = b - a
    t = np.clip((p - a) @ ab / max(float(ab @ ab), 1e-12), 0.0, 1.0)
    return float(np.linalg.norm(p - (a + t * ab)))


def _clear_points(fs, min_gap_px: float = 4.0) -> dict[int, tuple[int, int]]:
    """For each cylinder, the pixel on its axis farthest from every other cylinder and
    sphere (their projected radii included); only cylinders with ``min_gap_px`` to spare."""
    c, d, length, radius = fs.cylinder_centers, fs.cylinder_directions, fs.cylinder_lengths, fs.cylinder_radii
    a = _pixels(fs, c - d * length[:, None] / 2)
    b = _pixels(fs, c + d * length[:, None] / 2)
    mid = c.mean(axis=0)
    unit = _pixels(fs, [mid, mid + np.array([0.0, 1.0, 0.0])])
    scale = float(np.linalg.norm(unit[1] - unit[0]))  # pixels per world unit near the network
    drawn = fs.sphere_radii > 0
    spheres = _pixels(fs, fs.sphere_centers[drawn])
    sphere_r = fs.sphere_radii[drawn] * scale
    found = {}
    for e in range(len(c)):
        best_gap, best = -np.inf, None
        for t in np.linspace(-0.3, 0.3, 25):
            p = _pixels(fs, [c[e] + d[e] * length[e] * t])[0]
            gaps = [_segment_distance(p, a[f], b[f]) - radius[f] * scale for f in range(len(c)) if f != e]
            gaps += list(np.linalg.norm(spheres - p, axis=1) - sphere_r)
            gap = min(gaps) - radius[e] * scale
            if gap > best_gap:
                best_gap, best = gap, p
        if best_gap >= min_gap_px:
            found[e] = tuple(int(v) for v in np.round(best))
    return found


def _most_saturated(img: np.ndarray, rc: tuple[int, int], half: int = 2) -> np.ndarray:
    """The most saturated pixel (max - min channel) of a small square around ``rc``:
    the cylinder's own colour, not its specular highlight or anti-aliased edge."""
    r, c = rc
    patch = img[r - half : r + half + 1, c - half : c + half + 1].reshape(-1, 3)
    return patch[np.argmax(patch.max(axis=1) - patch.min(axis=1))]


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_weight_colours_in_the_state_follow_the_sign(init_frames, theme):
    """Blue (b > r) for positive weights, orange (r > b) for negative, dimmed or not; the
    weights being initialised wear exactly the theme's positive/negative colour."""
    t = THEMES[theme]
    assert t.positive[2] > t.positive[0] and t.negative[0] > t.negative[2]
    for layer in (0, 1):
        step, fs, _ = init_frames[layer, theme]
        w = step.visual.weights
        assert len(fs.cylinder_colors) == len(w)  # a small network draws every weight
        col = fs.cylinder_colors
        nonzero = w != 0
        assert (w > 0.3).any() and (w < -0.3).any()
        np.testing.assert_array_equal(np.sign(col[:, 2] - col[:, 0])[nonzero], np.sign(w[nonzero]))
        focused = step.visual.edge_focus == 1.0
        assert focused.sum() >= 4
        for mask, colour in ((focused & (w > 0), t.positive), (focused & (w < 0), t.negative)):
            assert mask.any()
            np.testing.assert_allclose(col[mask], np.broadcast_to(colour, col[mask].shape))


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_rendered_weights_are_blue_when_positive_and_orange_when_negative(init_frames, theme):
    """The real init frames of syn0 and syn1: at a pixel of each weight being initialised
    (one no other cylinder or node covers), the hue follows the weight's sign."""
    checked = []
    for layer in (0, 1):
        step, fs, img = init_frames[layer, theme]
        w = step.visual.weights
        clear = _clear_points(fs)
        for e in np.flatnonzero((step.visual.edge_focus == 1.0) & (w != 0)):
            assert e in clear, f"weight {e} has no pixel clear of the others"
            r, g, b = _most_saturated(img, clear[e])
            assert max(r, g, b) - min(r, g, b) > 60, (e, (r, g, b))  # the cylinder, not background
            if w[e] > 0:
                assert b > r + 50, f"positive weight {e} ({w[e]:+.3f}) drawn {(r, g, b)}, not blue"
            else:
                assert r > b + 50, f"negative weight {e} ({w[e]:+.3f}) drawn {(r, g, b)}, not orange"
            checked.append(w[e])
    checked = np.array(checked)
    assert len(checked) == 16 and (checked > 0.7).any() and (checked < -0.9).any()


@pytest.mark.parametrize("channel", [0, 1, 2], ids=["red", "green", "blue"])
def test_renderer_keeps_the_channel_order_of_cylinder_colours(init_frames, renderer, channel):
    """Cylinders coloured pure red (green, blue) come out red (green, blue), not reversed."""
    _, fs, _ = init_frames[1, "dark"]
    pure = np.zeros(3)
    pure[channel] = 1.0
    state = replace(fs, cylinder_colors=np.tile(pure, (len(fs.cylinder_colors), 1)))
    img = renderer.render(state).astype(int)
    clear = _clear_points(state)
    assert len(clear) == len(fs.cylinder_colors)
    for e, rc in clear.items():
        px = _most_saturated(img, rc)
        others = np.delete(px, channel)
        assert px[channel] > others.max() + 60, f"cylinder {e} drawn {tuple(px)} for {tuple(pure)}"


# -- themes ---------------------------------------------------------------------------------
def _luma(rgb) -> float:
    return float(np.dot(rgb, [0.299, 0.587, 0.114]))


def test_theme_palettes_are_what_their_names_say():
    dark, light = THEMES["dark"], THEMES["light"]
    assert dark.name == "dark" and light.name == "light"
    for part in ("background_top", "background_bottom"):
        assert _luma(getattr(dark, part)) < 0.25 < 0.8 < _luma(getattr(light, part))
    assert _luma(dark.background_bottom) < _luma(light.background_bottom)
    assert _luma(dark.text) > 0.8 and _luma(light.text) < 0.2  # text contrasts with its background


def test_rendered_background_is_dark_or_light_by_theme(init_frames):
    """The top-left corner holds no text: there the frame is the theme's background."""
    means = {}
    for theme in ("dark", "light"):
        _, fs, img = init_frames[0, theme]
        corner = img[:5, :5].reshape(-1, 3)
        assert corner.std(axis=0).max() < 2  # uniform: background only
        np.testing.assert_allclose(corner.mean(axis=0), np.array(fs.theme.background_top) * 255, atol=3)
        # and a vertical gradient down to the bottom's colour (drawn by one quad, not VTK's
        # gradient background: the same picture for a third of its cost)
        bottom = img[-3:, :3].reshape(-1, 3).mean(axis=0)
        np.testing.assert_allclose(bottom, np.array(fs.theme.background_bottom) * 255, atol=3)
        middle = img[img.shape[0] // 2, :3].mean(axis=0)
        halfway = (np.array(fs.theme.background_top) + np.array(fs.theme.background_bottom)) / 2 * 255
        np.testing.assert_allclose(middle, halfway, atol=3)
        means[theme] = corner.mean()
    assert means["dark"] < 60 and means["light"] > 200, means


# -- size maps --------------------------------------------------------------------------------
MAGNITUDES = np.concatenate([[0.0], np.logspace(-14, 8, 221), [1e300, np.inf]])

SIZE_MAPS = {
    # name: (function, smallest and largest radius for a finite non-zero value, radius of NaN)
    "node_radius": (frames.node_radius, frames.NODE_R_MIN, frames.NODE_R_MAX, None),
    "edge_radius": (frames.edge_radius, frames.EDGE_R_MIN, frames.EDGE_R_MAX, None),
    "bead_radius_signed": (
        lambda v: frames.bead_radius(v, signed=True),
        frames.BEAD_R_MIN,
        frames.BEAD_R_MAX,
        0.0,
    ),
    "bead_radius_unsigned": (
        lambda v: frames.bead_radius(v, signed=False),
        frames.BEAD_R_MIN,
        frames.BEAD_R_MAX,
        0.0,
    ),
    "halo_radius": (frames.halo_radius, frames.HALO_R_MIN, frames.HALO_R_MAX, 0.0),
    "signal_radius": (frames.signal_radius, frames.SIGNAL_R_MIN, frames.SIGNAL_R_MAX, 0.0),
}


@pytest.mark.parametrize("name", list(SIZE_MAPS))
def test_size_maps_depend_only_on_magnitude(name):
    """Size is |value|: f(-x) == f(x); it never shrinks as |x| grows; a finite non-zero
    value gets a finite positive size within the map's limits; NaN as each docstring says."""
    f, lo, hi, nan_radius = SIZE_MAPS[name]
    pos = f(MAGNITUDES)
    neg = f(-MAGNITUDES)
    np.testing.assert_array_equal(neg, pos)
    assert np.all(np.diff(pos) >= 0), "not monotone in |x|"
    assert pos[-2] > pos[1], "constant"
    inner = pos[1:-1]  # finite and non-zero
    assert np.all(np.isfinite(inner)) and np.all(inner > 0)
    assert np.all(inner >= lo - 1e-15) and np.all(inner <= hi + 1e-15)
    for x in (0.0, 0.3, 1.7):
        assert f(np.array([-x]))[0] == f(np.array([x]))[0] >= 0
    assert pos[-1] == pytest.approx(hi)  # huge values stay on screen at the limit
    nan = f(np.array([np.nan]))[0]
    if nan_radius is None:
        assert np.isfinite(nan) and nan >= 0
    else:
        assert nan == nan_radius


def test_edge_radius_of_negative_weights_matches_positive_ones():
    w = np.array([-1.0, -0.5, -0.01, 0.01, 0.5, 1.0])
    r = frames.edge_radius(w)
    assert np.all(r >= frames.EDGE_R_MIN)
    np.testing.assert_array_equal(r[:3], r[3:][::-1])


# -- numbers on screen ------------------------------------------------------------------------
FMT_CASES = [
    ((0.44856632,), {}, "0.4486"),
    ((-0.2065, 4), {}, "-0.2065"),
    ((-0.20646505,), {}, "-0.2065"),
    ((0.00677, 5), {"sign": True}, "+0.00677"),
    ((-0.1181054552,), {"sign": True}, "-0.1181"),
    ((0.4964100319, 5), {}, "0.49641"),
    ((-0.99977125, 3), {}, "-1.000"),
    ((1234.56789, 2), {}, "1234.57"),
    ((2.5, 1), {}, "2.5"),
    ((0.0,), {}, "0.0000"),
    ((-0.0,), {}, "0.0000"),
    ((-0.00001,), {}, "0.0000"),  # no "-0.0000": a value that rounds to zero has no sign
    ((0.0,), {"sign": True}, "+0.0000"),
    ((float("nan"),), {}, "nan"),
    ((float("inf"),), {}, "inf"),
    ((float("-inf"),), {}, "-inf"),
    ((float("nan"), 5), {"sign": True}, "nan"),
]


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    FMT_CASES,
    ids=[", ".join([*map(repr, a), *(f"{k}={v}" for k, v in kw.items())]) for a, kw, _ in FMT_CASES],
)
def test_fmt_writes_these_exact_strings(args, kwargs, expected):
    assert fmt(*args, **kwargs) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0"), (1, "1"), (1.0, "1"), (-2.0, "-2"), (0.5, "0.500"), (0.1234, "0.123")],
)
def test_fmt_input_writes_these_exact_strings(value, expected):
    assert fmt_input(value) == expected


def test_captions_of_iteration_1_are_the_seeds_numbers(tl):
    """Literal captions of seed 000's first iteration (record 1 is the first record)."""

    def step(kind, **where):
        return next(
            s
            for s in tl.steps
            if s.kind == kind and s.epoch == 1 and all(getattr(s, k) == v for k, v in where.items())
        )

    hidden = step("node", record=0, layer=1, node=0)
    assert hidden.headline == (
        "Hidden node h1: z = 0×(-0.166) + 0×(-0.706) + 1×(-0.206) = -0.206;   sigmoid(z) = 0.449"
    )
    assert hidden.node_labels[:4] == ("0", "0", "1", "0.449")  # 3 significant digits on the picture
    assert hidden.edge_values == ((0, "0"), (4, "0"), (8, "-0.206"))  # input x weight along each weight
    assert hidden.node_notes == ((3, "z = -0.206"),)
    assert step("node", record=0, layer=1, node=3).headline == (
        "Hidden node h4: z = 0×(-0.395) + 0×(-0.309) + 1×(0.370) = 0.370;   sigmoid(z) = 0.592"
    )
    assert step("node", record=0, layer=2, node=0).caption == (
        # to 3 decimals the terms add up to -0.1058, not the recorded z, -0.10519: to 4 they do
        "Output node out: z = 0.4486×(-0.5911) + 0.5194×(0.7562) + 0.4597×(-0.9452)"
        " + 0.5916×(0.3409) = -0.105;   sigmoid(z) = 0.474"
    )
    assert step("output_error", record=0).caption == "l2_error = y - l2 = 0 - 0.474 = -0.474"
    assert step("output_error", record=1).caption == "l2_error = y - l2 = 1 - 0.489 = +0.511"
    shown = step("display_error")
    assert shown.caption.startswith("mean |error| = mean(abs(l2_error)) over the batch = 0.49641: ")
    assert shown.panel == ("l2_error =", "-0.4737", "+0.5110", "+0.4562", "-0.5447")
    assert step("delta", layer=2).panel[1:] == (
        "-0.4737 × 0.2493 = -0.1181",
        "+0.5110 × 0.2499 = +0.1277",
        "+0.4562 × 0.2481 = +0.1132",
        "-0.5447 × 0.2480 = -0.1351",
        "sum over the batch = -0.0123",  # the number on the output node
    )
    assert step("update", layer=1).panel[-5:] == ("new syn1 =", "-0.5956", "+0.7495", "-0.9520", "+0.3364")
    assert step("end").caption == (
        "End of iteration 1: mean |error| 0.49641 before the update, 0.49630 after. "
        "The new weights give record 1 0.4707 (was 0.4737, target 0)"
    )  # the update moved record 1's output towards its target, and the mean |error| down
    # (after the update: the next iteration's error before its own, as the trace has it)
    trace = prepare(load_scene(), epochs=(2,), fps=6)[0]
    assert step("end").values["display_error_after"] == pytest.approx(
        float(trace.updates[(2, 1)].mean_abs_error), abs=1e-12
    )
    assert step("end").values["record1_after[0]"] == pytest.approx(0.47070349, abs=1e-8)
    fs = frame_state(tl, tl.frames_of(shown.index)[-1], 1280, 720)
    assert "mean |error| 0.49641" in [t.text for t in fs.texts]  # the lecture layout's status line
