"""The network glides between the places the steps give it (beside the loss curve and the
landscape, over the run's chart at a glance, back to its own region): a move, not a cut
(reviews 67-71 asked for continuous morphs instead of layout swaps)."""

import itertools
from dataclasses import replace

import numpy as np
import pytest

from nnviz3d.frames import GLIDE_SECONDS, frame_state, project, step_region
from nnviz3d.layout import DESCENT_REGION, EPILOGUE_REGION, NETWORK_REGIONS
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import THEMES
from nnviz3d.scene import load_scene

W, H = 1280, 720
DARK_BG = THEMES["dark"].background_bottom


@pytest.fixture(scope="module")
def run():
    return prepare(load_scene(), epochs=(1, 2, 2000))


@pytest.fixture(scope="module")
def default():
    return prepare(load_scene())


def _box(tl, frame):
    """The projected nodes' box on screen (x0, y0, x1, y1 in 0..1 of the frame)."""
    state = frame_state(tl, frame, W, H)
    ndc = (project(state.camera, tl.layout.nodes, W / H) + 1) / 2
    return np.array([ndc[:, 0].min(), ndc[:, 1].min(), ndc[:, 0].max(), ndc[:, 1].max()])


def _inside(box, region, tol=0.01):
    x0, y0, x1, y1 = region
    return box[0] >= x0 - tol and box[1] >= y0 - tol and box[2] <= x1 + tol and box[3] <= y1 + tol


def test_back_from_the_landscape_the_network_grows_into_its_region(run):
    _, tl = run
    kinds = [s.kind for s in tl.steps]
    step = tl.steps[kinds.index("landscape") + 1]
    assert step_region(tl, step) == NETWORK_REGIONS["lecture"]
    frames = tl.frames_of(step.index)
    n_glide = round(GLIDE_SECONDS * tl.fps)
    boxes = [_box(tl, f) for f in frames[: n_glide + 1]]
    widths = [b[2] - b[0] for b in boxes]
    before = _box(tl, frames[0] - 1)  # the landscape's last frame: small at the left
    assert _inside(before, DESCENT_REGION)
    # the first frame has moved only a little from it, then it grows frame by frame ...
    assert widths[0] < (before[2] - before[0]) + 0.05
    assert all(b > a for a, b in itertools.pairwise(widths[:n_glide]))
    assert len({frame_state(tl, f, W, H).key for f in frames[:n_glide]}) == n_glide  # each drawn
    # ... until it stands in its own region, as wide as a step that starts there
    assert _inside(boxes[-1], NETWORK_REGIONS["lecture"])
    assert widths[-1] > 2 * (before[2] - before[0]) * 0.9


def test_into_a_glance_it_cuts(default):
    """Into a glance its chart and table stand at once: the network gliding in over them
    read as a glitch (reviews 72b, 73a, 73b), so it stands in its place from the first frame,
    its maps with it."""
    _, tl = default
    step = next(s for s in tl.steps if s.kind == "timelapse")
    assert step_region(tl, step) == EPILOGUE_REGION
    assert tl.steps[step.index - 1].kind not in ("timelapse", "epilogue", "summary")
    frames = tl.frames_of(step.index)
    assert _inside(_box(tl, frames[0]), EPILOGUE_REGION)

    def maps(frame):  # the maps' cells: many small opaque rectangles
        return sum(1 for r in frame_state(tl, frame, W, H).rects if r.x1 - r.x0 < 0.01 and r.opacity == 1.0)

    assert maps(frames[0]) > 100


def test_no_glide_out_of_the_chain_or_a_card(run):
    """The chain rule ends on its chain alone and a card is a clean slide: the network
    after either appears where its step draws it."""
    _, tl = run
    descent = next(s for s in tl.steps if s.kind == "descent")
    assert tl.steps[descent.index - 1].kind == "chain"
    assert _inside(_box(tl, descent.first_frame), DESCENT_REGION)
    after_card = next(
        s for s in tl.steps[1:] if tl.steps[s.index - 1].card is not None and s.card is None and s.index > 1
    )
    box = _box(tl, after_card.first_frame)
    assert np.allclose(box, _box(tl, after_card.first_frame + round(GLIDE_SECONDS * tl.fps) + 1), atol=1e-9)


def test_the_chains_names_fly_from_their_nodes_into_the_chain(run):
    """While the chain rule's rates fly from the network to the chain, the names the chain
    writes (h3, out) fly with them from their nodes to their places in it; the others fade."""
    from nnviz3d.frames import chain_flight

    _, tl = run
    step = next(s for s in tl.steps if s.kind == "chain" and "h3" in s.chain.names)
    frames = [f for f in tl.frames_of(step.index) if chain_flight(step, f) is not None]
    assert len(frames) >= 10
    names = ("h3", "out", "x1", "h1")

    def where(frame):
        return {t.text: t for t in frame_state(tl, frame, W, H).texts if t.text in names}

    # (the names fly after the rates: three quarters through the flight, on their way)
    at = frames[3 * len(frames) // 4]
    start, mid = where(frames[0]), where(at)
    after = frame_state(tl, frames[-1] + 2, W, H)  # the diagram drawn: its names, bold, in the chain
    landed = {t.text: t for t in after.texts if t.bold and t.text in ("h3", "out")}
    for name in ("h3", "out"):
        a, b, q = start[name], mid[name], landed[name]
        assert b.bold and b.align == "center" and b.valign == "center"
        t = chain_flight(step, at)
        assert 0.6 < t < 0.9
        # on its way: between where it stood by its node and its place in the chain
        assert min(a.y, q.y) - 0.01 < b.y < max(a.y, q.y) + 0.01
        assert abs(b.y - q.y) < abs(a.y - q.y) and abs(b.x - q.x) < abs(a.x - q.x) + 0.02
    for name in ("x1", "h1"):  # not in the chain: fading towards the background
        gap = [np.linalg.norm(np.array(t[name].color) - np.array(DARK_BG)) for t in (start, mid)]
        assert gap[1] < gap[0] - 0.1


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_the_chains_rates_and_names_never_fly_over_each_other(run, layout):
    """Review 76b: mid-flight "x 0.215" stood over h3's name and "x 0.250" over out's. The
    rates fly first, then the names, and the network fades and its spheres shrink as the
    rates land on the chain's row (where h1 stood): no flying rate's box meets a chain
    name's, in either chain, at any frame of the flight."""
    from nnviz3d.frames import chain_flight
    from nnviz3d.primitives import text_width_em

    tl = replace(run[1], screen=layout)
    for step in [s for s in tl.steps if s.kind == "chain"][:2]:
        frames = [f for f in tl.frames_of(step.index) if chain_flight(step, f) is not None]
        radii = [frame_state(tl, frames[0], W, H).sphere_radii[: tl.layout.n_nodes].max()]
        frames = frames[1:]  # (the first as the network told them: their flight from there)
        for f in frames:
            state = frame_state(tl, f, W, H)

            def box(t):
                wide = text_width_em(t.text) * t.size / W * (1.1 if t.bold else 1.0)
                left = {"left": t.x, "right": t.x - wide, "center": t.x - wide / 2}[t.align]
                tall = 1.15 * t.size / H
                low = {"top": t.y - tall, "bottom": t.y, "center": t.y - tall / 2}[t.valign]
                return left, low, left + wide, low + tall

            rates = [box(t) for t in state.texts if t.text.startswith("\u00d7")]
            names = [box(t) for t in state.texts if t.bold and t.text in step.chain.names]
            assert rates and names
            for a in rates:
                for b in names:
                    assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (layout, f, a, b)
            radii.append(state.sphere_radii[: tl.layout.n_nodes].max())
        assert radii[-1] < 0.35 * radii[0]  # the network shrunk away under the chain's row
