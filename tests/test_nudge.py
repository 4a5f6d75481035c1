"""The nudge before the first chain rule: the worked weight moved a little, back and forth,
and the record run forward again, so z, out and the loss are seen moving with it (review
62a: "a live nudge: wiggle w, watch z, out and the loss move"), each by its own amount,
the values exact (the chain's rates then say how much each link passes on)."""

from dataclasses import replace

import numpy as np
import pytest

from nnviz3d.frames import frame_key, frame_state, project
from nnviz3d.hud import NUDGE_BOX, overlay
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import THEMES, text_width_em
from nnviz3d.scene import load_scene
from nnviz3d.timeline.model import NUDGE, nudge_at

W, H = 1280, 720
DARK = THEMES["dark"]


@pytest.fixture(scope="module")
def run():
    return prepare(load_scene(), epochs=(1, 2, 2000))


def _nudge(tl):
    (step,) = [s for s in tl.steps if s.kind == "nudge"]
    return step


def _iamtrask_record_1(dw: float) -> tuple[float, float, float]:
    """The iamtrask network's record 1 with syn1's h3 -> out moved by ``dw``, computed here
    from its own code (not from the trace): z(out), out and 1/2 (out - y)^2."""
    x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
    np.random.seed(1)
    syn0 = 2 * np.random.random((3, 4)) - 1
    syn1 = 2 * np.random.random((4, 1)) - 1
    l1 = 1 / (1 + np.exp(-x.dot(syn0)))
    syn1[2, 0] += dw
    z = float(l1[0].dot(syn1)[0])
    out = 1 / (1 + np.exp(-z))
    return z, out, 0.5 * (out - 0.0) ** 2


def test_the_nudge_comes_once_before_the_first_chain(run):
    _, tl = run
    kinds = [s.kind for s in tl.steps]
    at = kinds.index("nudge")
    assert kinds.count("nudge") == 1 and kinds[at - 1] == "worked" and kinds[at + 1] == "chain"
    assert _nudge(tl).caption == "Nudge h3 -> out a little, record 1: watch z(out), out and loss move with it"
    lay = tl.layout  # the chain's way lit: h3 -> out
    assert list(np.flatnonzero(_nudge(tl).visual.edge_focus == 1.0)) == [lay.edge_id(1, 2, 0)]


def test_the_nudged_values_are_the_network_run_again(run):
    """Exact, not the rates' estimate: z(out), out and the loss of record 1 with the weight
    moved by 0.1 (and by nothing: the recorded values; seed 000: syn1's h3 -> out
    -0.94522481, out 0.47372957)."""
    _, tl = run
    c = _nudge(tl).chain
    assert c.values[0] == pytest.approx(-0.94522481, abs=1e-8)
    assert c.values[2] == pytest.approx(0.47372957, abs=1e-8)
    assert c.nudged(0.0) == pytest.approx(c.values, abs=1e-15)
    for dw in (NUDGE, -NUDGE, 0.37):
        w, z, out, loss = c.nudged(dw)
        assert w == pytest.approx(c.values[0] + dw, abs=1e-15)
        assert (z, out, loss) == pytest.approx(_iamtrask_record_1(dw), abs=1e-12)


def test_a_tiny_nudge_moves_each_by_the_chains_rates(run):
    """The nudge's ratios are the chain's rates (the derivative is the limit of the nudge),
    through both layers for syn0's chain, which has no nudge shot of its own."""
    _, tl = run
    for c in (_nudge(tl).chain, *(s.chain for s in tl.steps if s.kind == "chain")):
        eps = 1e-7
        moved = np.array(c.nudged(eps)) - np.array(c.values)
        ratios = moved[1:] / moved[:-1]
        assert ratios == pytest.approx(c.rates, rel=1e-5)
        assert moved[-1] / eps == pytest.approx(c.share, rel=1e-5)


def test_the_weight_goes_up_down_and_up_ending_nudged():
    assert nudge_at(0.0) == 0.0 and nudge_at(1.0) == pytest.approx(NUDGE, abs=1e-12)
    shares = np.linspace(0, 1, 201)
    moves = np.array([nudge_at(t) for t in shares])
    assert moves.max() == pytest.approx(NUDGE, abs=1e-3) and moves.min() == pytest.approx(-NUDGE, abs=1e-3)
    assert np.argmax(moves > 0) < np.argmax(moves < 0)  # up first


def _rows(tl, step, progress):
    texts, rects, _ = overlay(tl, step, DARK, W, H, progress=progress)
    x0, y0, x1, y1 = NUDGE_BOX
    inside = [t for t in texts if x0 - 0.01 <= t.x <= x1 + 0.01 and y0 <= t.y <= y1 + 0.01]
    bars = [r for r in rects if r.x0 >= x0 and r.x1 <= x1 and r.opacity == 1.0 and r.y1 - r.y0 < 0.05]
    return inside, bars


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_each_row_writes_its_move_and_draws_it_on_one_scale(run, layout):
    _, tl = run
    tl = replace(tl, screen=layout)
    step = _nudge(tl)
    texts, bars = _rows(tl, step, 1.0)  # nudged by +0.1
    words = [t.text for t in texts]
    for name, number in (("w", "+0.100"), ("z(out)", "+0.0460"), ("out", "+0.0115"), ("loss", "+0.00550")):
        assert name in words and number in words
        assert next(t for t in texts if t.text == number).color == DARK.positive
    assert "record 1: how far each moves" in [w.replace("\n", " ") for w in words]  # not the batch's loss
    assert len(bars) == 4  # w, z(out), out, loss: longest first, in the moves' ratios
    widths = np.array([b.x1 - b.x0 for b in sorted(bars, key=lambda b: -b.y0)]) * W
    moves = np.array(step.chain.nudged(NUDGE)) - np.array(step.chain.values)
    assert widths == pytest.approx(widths[0] * moves / moves[0], abs=1.0)
    assert widths[0] >= 120  # the whole nudge: a bar the back row sees
    boxes = []
    x0, y0, x1, _ = NUDGE_BOX
    for t in texts:  # every word in the panel, apart from the others and the bars
        wide = text_width_em(t.text) * t.size / W
        left = t.x - (wide if t.align == "right" else 0)
        assert x0 - 1e-9 <= left and left + wide <= x1 + 0.01 and t.y - t.size / H >= y0, t.text
        boxes.append((left, t.y - t.size / H, left + wide, t.y))
    boxes += [(b.x0, b.y0, b.x1, b.y1) for b in bars]
    for a, b in ((a, b) for n, a in enumerate(boxes) for b in boxes[n + 1 :]):
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] + 0.002 or b[3] <= a[1] + 0.002, (a, b)


def test_nudged_down_the_bars_turn_over_and_the_weight_thins_and_thickens(run):
    _, tl = run
    step = _nudge(tl)
    down = next(t for t in np.linspace(0, 1, 101) if nudge_at(t) < -0.09)
    texts, bars = _rows(tl, step, float(down))
    mid = (NUDGE_BOX[0] + NUDGE_BOX[2]) / 2
    assert all(b.x1 <= mid + 1e-9 and b.color == DARK.negative for b in bars)
    assert any(t.text.startswith("-0.09") for t in texts)
    # the weight's cylinder: h3 -> out is -0.945, so nudged up it is thinner, down thicker
    frames = list(tl.frames_of(step.index))
    edge = tl.layout.edge_id(1, 2, 0)
    radii = []
    for f in frames:
        state = frame_state(tl, f, 320, 180)
        radii.append(state.cylinder_radii[edge])
    assert min(radii) < radii[0] < max(radii) and radii[-1] < radii[0]
    # on the step's own clock: down for a quarter of it (the tween's ease gave it a sixth)
    assert sum(r > radii[0] for r in radii) >= 0.25 * len(radii)


def test_the_wiggle_is_drawn_frame_by_frame_then_held(run):
    _, tl = run
    step = _nudge(tl)
    frames = list(tl.frames_of(step.index))
    keys = [frame_key(tl, f) for f in frames]
    moving = round(0.8 * len(frames))
    assert len(set(keys[:moving])) >= moving - 1 and len(set(keys[moving + 1 :])) == 1


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_the_network_itself_shows_the_weight_out_and_the_loss_now(run, layout):
    """Review 64a: "the network barely reacts to the nudge; only the panel moves". The
    weight's value stands over its middle, out's and the loss's under out, all live, clear
    of the panel beside (seed 000: -0.94522 + 0.1, out 0.48520, loss 0.11771)."""
    _, tl = run
    tl = replace(tl, screen=layout)
    step = _nudge(tl)
    frames = list(tl.frames_of(step.index))
    end = frame_state(tl, frames[-1], W, H)
    words = {t.text: t for t in end.texts}
    w_label, follows = words["w = -0.845"], words["out = 0.485\nloss = 0.1177\n(record 1's)"]
    lay = tl.layout
    h3, out = (
        (project(end.camera, lay.nodes[[n]], W / H)[0] + 1) / 2
        for n in (lay.node_id(1, 2), lay.node_id(2, 0))
    )
    assert h3[0] < w_label.x < out[0]  # by the weight, between its ends
    assert follows.y < out[1] and follows.x + 1e-9 < NUDGE_BOX[0]  # under out, ending before the panel
    down = next(f for f in frames if nudge_at(((f - frames[0] + 1) / len(frames)) / 0.8) < -0.09)
    texts = [t.text for t in frame_state(tl, down, W, H).texts]
    assert any(t.startswith("w = -1.0") for t in texts)  # nudged down: more negative
    assert any(t.startswith("out = 0.46") for t in texts)


@pytest.mark.parametrize("layout", ["lecture", "hall"])
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_numbers_on_the_network_cover_no_weight_sphere_or_name(run, layout, lang):
    """Review 75b: the box of "w = -0.845" stood over h2 -> out, and out's value and loss
    over h4 -> out. Every weight drawn, sampled along its length, stays outside both boxes
    through the wiggle, as do the spheres and the names; the boxes apart, left of the panel,
    over the code line, and in one place all the step. (The hall's weights leave its large
    type no room between them: there the weight's value may cross one other weight, never
    its own.)"""
    _, tl = run
    tl = replace(tl, screen=layout, lang=lang)
    step = _nudge(tl)
    frames = list(tl.frames_of(step.index))
    lay = tl.layout
    seen = set()
    for f in [*frames[:: max(1, len(frames) // 6)], frames[-1]]:
        state = frame_state(tl, f, W, H)
        values = [t for t in state.texts if t.text.startswith(("w = ", "out = "))]
        assert len(values) == 2
        seen.add(tuple((t.x, t.y) for t in values))
        centres = (project(state.camera, lay.nodes, W / H) + 1) / 2
        boxes = []
        for t in values:
            lines = t.text.split("\n")
            wide = max(text_width_em(line) for line in lines) * t.size / W
            left = {"left": t.x, "right": t.x - wide, "center": t.x - wide / 2}[t.align]
            tall = len(lines) * 1.15 * t.size / H
            low = {"top": t.y - tall, "bottom": t.y, "center": t.y - tall / 2}[t.valign]
            boxes.append((left, low, left + wide, low + tall))
        nudged = lay.edge_id(1, 2, 0)
        for which, (x0, y0, x1, y1) in enumerate(boxes):
            assert x1 < NUDGE_BOX[0] and y0 > 0.02, (layout, lang)
            crossed = set()
            for e in range(lay.n_edges):
                a, b = centres[lay.edge_from[e]], centres[lay.edge_to[e]]
                for u in np.linspace(0, 1, 200):
                    px, py = a + u * (b - a)
                    if x0 < px < x1 and y0 < py < y1:
                        crossed.add(e)
            allowed = 1 if layout == "hall" and which == 0 else 0
            assert nudged not in crossed and len(crossed) <= allowed, (layout, lang, which, crossed)
            for n, (cx, cy) in enumerate(centres):
                assert not (x0 < cx < x1 and y0 < cy < y1), (layout, lang, n)
        (a0, b0, a1, b1), (c0, d0, c1, d1) = boxes
        assert a1 <= c0 or c1 <= a0 or b1 <= d0 or d1 <= b0
        names = [t for t in state.texts if t.text in {lay.name_of(n) for n in range(lay.n_nodes)}]
        for name in names:
            for x0, y0, x1, y1 in boxes:
                assert not (x0 < name.x < x1 and y0 < name.y < y1), (layout, lang, name.text)
            # the weight's value an em clear of a name level with it (review 79a read
            # `w = -0.845` just right of h2's name as h2's)
            wide, tall = text_width_em(name.text) * name.size / W, name.size / H
            left = {"left": name.x, "right": name.x - wide, "center": name.x - wide / 2}[name.align]
            low = {"top": name.y - tall, "bottom": name.y, "center": name.y - tall / 2}[name.valign]
            x0, y0, x1, y1 = boxes[0]
            if y0 < low + tall and low < y1:
                gap = max(x0 - (left + wide), left - x1)
                assert gap > 0.9 * name.size / W, (layout, lang, name.text, gap * W)
    assert len(seen) == 1  # placed once: the numbers change, their places do not


def test_the_nudge_says_its_ratio_is_about_the_slope(run):
    """Review 68b: "+0.00550 / 0.1 = 0.055 ~ 0.0543 is never said": under the rows, the
    loss's move over the weight's, live, in the gradient's green, the chain's rate after it."""
    _, tl = run
    step = _nudge(tl)
    texts, _, _ = overlay(tl, step, DARK, W, H, progress=1.0)
    _, _, loss = _iamtrask_record_1(NUDGE)
    ratio = (loss - _iamtrask_record_1(0.0)[2]) / NUDGE
    assert f"{ratio:+.3g}" == "+0.055"
    said = next(t for t in texts if "dloss/dw" in t.text)
    assert said.text.replace("\n", " ") == "loss's move / w's = +0.0550 \u2248 record 1's dloss/dw"
    assert said.color == DARK.gradient
    x0, y0, _, _ = NUDGE_BOX
    assert said.y - said.size * (said.text.count("\n") + 1) / H >= y0 - 0.005 and said.x >= x0
    # none while the weight stands at its own value (0 / 0)
    texts, _, _ = overlay(tl, step, DARK, W, H, progress=0.0)
    assert not any("dloss/dw" in t.text for t in texts)
    # and the chain after it: its product is the derivative the ratio nears
    chain = tl.steps[step.index + 1].chain
    assert chain.share == pytest.approx(ratio, rel=0.02)


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_the_nudges_bars_and_ratio_keep_to_the_panel_and_off_its_words(run, layout):
    """Review 70b: in the hall's type the ratio ran out under the panel and each bar into the
    next row's words; there the bars stand on their rows' lines, between names and numbers."""
    from nnviz3d.hud import LINE

    tl = replace(run[1], screen=layout)
    step = _nudge(tl)
    texts, rects, _ = overlay(tl, step, DARK, W, H, progress=1.0)
    x0 = NUDGE_BOX[0]
    words = [t for t in texts if t.x >= x0 - 0.01 and t.y < 0.76]
    boxes = []
    for t in words:
        lines = t.text.split("\n")
        wide = max(text_width_em(line) for line in lines) * t.size / W * (1.1 if t.bold else 1.0)
        left = t.x - (wide if t.align == "right" else 0)
        boxes.append((left, t.y - len(lines) * t.size * LINE / H, left + wide, t.y))
    ratio = next(t for t in words if "dloss/dw" in t.text)
    panel = next(r for r in rects if r.color == DARK.panel and r.x0 < x0 < r.x1)  # the panel's backdrop
    assert ratio.y - (ratio.text.count("\n") + 1) * ratio.size * LINE / H >= panel.y0 - 0.005
    bars = [r for r in rects if r.color in (DARK.positive, DARK.negative) and r.x0 >= x0 - 0.01]
    assert len(bars) == 4
    for r in bars:
        for bx0, by0, bx1, by1 in boxes:
            assert not (r.x0 < bx1 and bx0 < r.x1 and r.y0 < by1 and by0 < r.y1), layout


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_the_chain_after_the_nudge_says_why_its_product_is_not_the_nudges_ratio(run, layout):
    """Review 30a: the nudge measured +0.0550, the chain's rates multiply to +0.0543, and no
    frame said why. The chain after the nudge says it under its sums, muted, inside its
    panel (the hall's type leaves no room: there it is not said); the other chain does not."""
    _, tl = run
    tl = replace(tl, screen=layout)
    nudge = _nudge(tl)
    chain = tl.steps[nudge.index + 1]
    assert chain.kind == "chain" and chain.chain == nudge.chain
    c = nudge.chain
    moved = c.nudged(NUDGE)
    ratio = (moved[-1] - c.values[-1]) / NUDGE
    assert ratio == pytest.approx(0.0550, abs=5e-5) and c.share == pytest.approx(0.0543, abs=5e-5)
    texts, rects, _ = overlay(tl, chain, THEMES["dark"], W, H)
    said = [t for t in texts if t.text.replace("\n", " ").startswith("(the nudge measured +0.0550:")]
    if layout == "lecture":
        (note,) = said
        assert (
            note.text.replace("\n", " ")
            == "(the nudge measured +0.0550: a move of 0.1 is not infinitely small)"
        )
        assert note.color == THEMES["dark"].muted
        panel = max(
            (r for r in rects if r.x0 < note.x < r.x1 and r.y0 < note.y < r.y1), key=lambda r: r.y1 - r.y0
        )
        assert note.y - (note.text.count("\n") + 1) * note.size * 1.2 / H >= panel.y0 - 0.01  # inside it
    else:
        assert said == []
    other = next(s for s in tl.steps if s.kind == "chain" and s.index != chain.index)
    assert not [t for t in overlay(tl, other, THEMES["dark"], W, H)[0] if "nudge measured" in t.text]
