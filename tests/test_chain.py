"""The chain rule, told for each worked weight and one record: w moves z, z moves the node's
output, that moves the next z (by the weight between), ... the output moves the loss; each
link with its rate, the links that make a delta bracketed with the code's name (the product
backpropagation keeps and reuses), the rates multiplied into the record's dloss/dw, the
records' shares summed into the gradient, and the change the update makes of it."""

import math
import signal
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from nnviz3d.frames import frame_key, frame_state
from nnviz3d.hud import CHAIN_BOX, chain_appear, overlay, wrap
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import THEMES, text_width_em
from nnviz3d.scene import load_scene
from nnviz3d.timeline.kinds import chains

W, H = 1280, 720
DARK = THEMES["dark"]


@pytest.fixture(scope="module")
def run():
    return prepare(load_scene(), epochs=(1, 2, 2000))


def _chains(tl):
    return [s for s in tl.steps if s.kind == "chain"]


def test_a_chain_follows_each_worked_change_of_iteration_1(run):
    _, tl = run
    kinds = [s.kind for s in tl.steps]
    assert kinds.count("chain") == 2
    first, second = (s.index for s in _chains(tl))
    assert kinds[first - 1] == "worked" and kinds[first + 1] == "descent"  # syn1's: then downhill
    assert kinds[second - 1] == "worked" and tl.steps[second - 1].layer == 0  # syn0's
    assert [s.layer for s in _chains(tl)] == [1, 0] and {s.epoch for s in _chains(tl)} == {1}
    one, two = _chains(tl)
    assert (
        one.caption == "Chain rule, record 1: nudge h3 -> out and each link moves the next, down to the loss"
    )
    assert two.caption.startswith("Chain rule, record 2: nudge x2 -> h3")  # record 1's x2 is 0
    assert list(np.flatnonzero(two.visual.edge_focus == 1.0)) == [tl.layout.edge_id(0, 1, 2)]


def test_syn1s_chain_is_record_1s_rates_and_its_delta(run):
    """Seed 000: h3 = 0.45968497, out = 0.47372957 (target 0), l2_delta -0.11810546,
    syn1's change at h3 -0.00676932."""
    trace, tl = run
    c = _chains(tl)[0].chain
    assert (c.start, c.end, c.record) == ("h3", "out", 0)
    assert c.names == ("w", "z(out)", "out", "loss") and c.kinds == ("value", "slope", "error")
    value, slope, error = c.rates
    assert value == pytest.approx(0.45968497, abs=1e-8)
    assert slope == pytest.approx(0.47372957 * (1 - 0.47372957), abs=1e-8)
    assert error == pytest.approx(0.47372957 - 0, abs=1e-8)  # out - y: the error turned over
    ((first, last, name, product),) = c.deltas
    assert (first, last, name) == (1, 2, "l2_delta") and product == pytest.approx(0.11810546, abs=1e-8)
    assert c.share == pytest.approx(math.prod(c.rates), abs=1e-15)
    u = trace.epoch_updates(1)[0]
    assert np.allclose(c.shares, u.activations[0][:, 2] * u.deltas[1][:, 0], atol=1e-15)
    assert sum(c.shares) == pytest.approx(c.gradient, abs=1e-15)
    assert c.gradient == pytest.approx(0.00676932, abs=1e-8) and c.change == pytest.approx(
        -0.00676932, abs=1e-8
    )
    descent = next(s for s in tl.steps if s.kind == "descent")
    assert descent.loss_curve.slope == pytest.approx(c.gradient, abs=1e-15)


def test_syn0s_chain_runs_through_both_layers_and_reuses_l2_delta(run):
    """x2 -> h3 for record 2 ([0, 1, 1], target 1; seed 000: h3 0.31236398, out 0.48895696,
    l2_delta +0.12769844; syn0's x2 -> h3 goes from -0.62747958 to -0.63773812): the links
    from out's slope on are -l2_delta, from h3's slope on -l1_delta, the recorded ones."""
    trace, tl = run
    c = _chains(tl)[1].chain
    assert (c.start, c.end, c.record) == ("x2", "h3", 1)
    assert c.names == ("w", "z(h3)", "h3", "z(out)", "out", "loss")
    assert c.kinds == ("input", "slope", "weight", "slope", "error")
    h3, out = 0.31236398, 0.48895696
    expected = (1.0, h3 * (1 - h3), -0.94522481, out * (1 - out), out - 1)
    assert c.rates == pytest.approx(expected, abs=1e-8)
    u = trace.epoch_updates(1)[0]
    inner, outer = c.deltas
    assert inner[:3] == (3, 4, "l2_delta") and inner[3] == pytest.approx(-0.12769844, abs=1e-8)
    assert outer[:3] == (1, 4, "l1_delta") and outer[3] == pytest.approx(u.deltas[0][1, 2], abs=1e-15)
    assert c.share == pytest.approx(u.deltas[0][1, 2], abs=1e-15)  # x2 is 1: the share is h3's dloss/dz
    assert sum(c.shares) == pytest.approx(c.gradient, abs=1e-15)
    assert c.change == pytest.approx(-0.63773812 - -0.62747958, abs=1e-8) == -c.gradient


def _panel_texts(tl, step, progress):
    texts, _, _ = overlay(tl, step, DARK, W, H, progress=progress)
    x0, y0, x1, y1 = CHAIN_BOX
    return [t for t in texts if x0 - 0.01 <= t.x <= x1 + 0.01 and y0 - 0.01 <= t.y <= y1 + 0.01]


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_the_chain_is_built_link_by_link_and_ends_with_its_sums(run, layout):
    _, tl = run
    tl = replace(tl, screen=layout)
    step = _chains(tl)[0]
    appear = chain_appear(3)
    before = [t.text for t in _panel_texts(tl, step, appear[0] / 2)]
    assert {"w", "z(out)", "out", "loss"} <= set(before)  # the chain's names stand from the start
    assert not any(t.startswith("×") for t in before)  # no rate yet
    first = [t.text for t in _panel_texts(tl, step, (appear[0] + appear[1]) / 2)]
    assert "× 0.460" in first and "× 0.249" not in first and "h3's value" in first
    end = _panel_texts(tl, step, 1.0)
    words = [t.text for t in end]
    assert {"× 0.460", "× 0.249", "× 0.474", "h3's value", "out(1-out)", "out - y"} <= set(words)
    assert "-l2_delta = +0.118" in words  # the bracket under the links that make it
    product = next(t for t in end if t.text.startswith("dloss/dw = "))
    assert product.text == "dloss/dw = 0.460 × 0.249 × 0.474 ≈ +0.0543"
    pieces = {product.text[a:b]: c for a, b, c in product.spans}
    # each rate coloured as the picture colours it: a value, the sigmoid's slope, a signed error
    colours = {"0.460": DARK.text, "0.249": DARK.slope, "0.474": DARK.positive, "+0.0543": DARK.gradient}
    assert pieces == colours
    total = next(t for t in end if t.text.startswith("4 records"))
    # the record's share is the worked change's term turned over: the change says so
    assert (
        total.text.replace("\n", " ")
        == "4 records: +0.00677 = the gradient, so change = -gradient = -0.00677"
    )
    pieces = {total.text[a:b].replace("\n", " "): c for a, b, c in total.spans}
    assert pieces == {"+0.00677": DARK.gradient, "change = -gradient = -0.00677": DARK.negative}


@pytest.mark.parametrize("layout", ["lecture", "hall"])
@pytest.mark.parametrize("which", [0, 1])
def test_every_word_of_the_chain_stands_in_its_box_apart_from_the_others(run, layout, which):
    _, tl = run
    tl = replace(tl, screen=layout)
    step = _chains(tl)[which]
    x0, y0, x1, _ = CHAIN_BOX
    boxes = []
    for t in _panel_texts(tl, step, 1.0):
        lines = t.text.split("\n")
        wide = max(text_width_em(line) for line in lines) * t.size / W
        left = t.x - (wide / 2 if t.align == "center" else 0)
        tall = t.size * len(lines) / H
        top = t.y + (tall / 2 if t.valign == "center" else 0)
        assert left >= x0 - 1e-9 and left + wide <= x1 + 0.01, t.text
        assert top - tall >= y0 - 0.005, t.text
        assert t.size >= round(H * (0.039 if layout == "lecture" else 0.05)), t.text  # the layout's least
        boxes.append((left, top - tall, left + wide, top, t.text))
    for a, b in ((a, b) for n, a in enumerate(boxes) for b in boxes[n + 1 :]):
        apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] + 0.002 or b[3] <= a[1] + 0.002
        assert apart, (a[4], b[4])


def test_the_chain_is_its_shot_alone_with_no_network(run):
    """Across the frame, the caption naming the weight: the 3D network and its names would
    leave the chain of six nodes no room (the hall's type did not fit beside it)."""
    _, tl = run
    step = _chains(tl)[1]
    state = frame_state(tl, tl.frames_of(step.index)[-1], W, H)
    assert len(state.sphere_centers) == 0 and len(state.cylinder_centers) == 0
    assert not any(t.text in ("x1", "x3", "h1", "h2", "h4") for t in state.texts)  # not in the chain


def test_the_chain_speaks_japanese():
    loaded = load_scene()
    font = str(Path(__file__).parent / "fixtures" / "NotoSansCJKjp-subset.otf")  # no system font needed
    _, tl = prepare(replace(loaded, render=replace(loaded.render, lang="ja", font=font)), epochs=(1,))
    words = [t.text for t in _panel_texts(tl, _chains(tl)[0], 1.0)]
    assert "h3 の値" in words and "損失" in words
    assert "d損失/dw = 0.460 × 0.249 × 0.474 ≈ +0.0543" in words  # the loss named as the plot names it
    assert any(w.startswith("4 レコードの合計 +0.00677 \uff1d 勾配") for w in words)


def test_the_chain_is_told_only_where_it_is_the_whole_derivative():
    spec = load_scene().network
    assert chains(spec, 0) and chains(spec, 1)
    assert not chains(replace(spec, loss="cross_entropy"), 1)
    assert not chains(replace(spec, reduction="mean"), 1)
    assert not chains(replace(spec, activations=(*spec.activations[:-1], "tanh")), 1)
    wide = replace(spec, layers=(3, 4, 2))  # two outputs: two paths from a hidden weight to the loss
    assert chains(wide, 1) and not chains(wide, 0)


def test_wrapping_words_each_wider_than_the_measure_ends():
    """A narrow measure that puts every word on its own line cannot be narrowed further
    (the evening-out loop ran forever on "slope out(1-out)" in 228 px)."""
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("wrap did not end")))
    signal.alarm(5)
    try:
        assert wrap("slope out(1-out) again", 28, 60.0) == "slope\nout(1-out)\nagain"
    finally:
        signal.alarm(0)


def test_the_chains_parts_come_over_the_whole_step_and_its_frames_between_are_held(run):
    """Built over its 7 s, not in the first 1.5 s, and drawn once per part: the frames
    between two parts share a key (held, not drawn again)."""
    _, tl = run
    step = _chains(tl)[0]
    appear = chain_appear(3)
    frames = list(tl.frames_of(step.index))
    keys = [frame_key(tl, f) for f in frames]
    parts = []
    for f in frames:
        state = frame_state(tl, f, 320, 180)
        assert state.key == frame_key(tl, f)
        words = [t.text for t in state.texts]
        parts.append(
            sum(w.startswith("× ") for w in words)
            + any(w.startswith("-l2_delta") for w in words)
            + any(w.startswith("dloss/dw = ") for w in words)
            + any(w.startswith("4 records") for w in words)
        )
    assert parts == sorted(parts) and parts[-1] == len(appear)  # one part after another, all at the end
    first = [i / len(frames) for i in range(1, len(parts)) if parts[i] > parts[i - 1]]
    assert first == pytest.approx(appear, abs=1.5 / len(frames))  # each at its share of the step
    # once the tween is over, one key per part: held between
    tween = keys[-1][1] - len(appear)
    after = [k for k in keys if k[1] >= tween]
    assert len(appear) <= len(set(after)) <= len(appear) + 1 and len(after) > 0.8 * len(keys)


def test_the_link_just_told_is_lit_and_the_others_grey(run):
    """One place for the eye at a time (review 60a): the newest link's arrow in its rate's
    colour and thicker; the links before it grey, and all grey once the sums come."""
    _, tl = run
    step = _chains(tl)[1]
    appear = chain_appear(len(step.chain.rates))

    def arrows(progress):  # the chain's arrows (shafts: two points on the names' line)
        _, _, lines = overlay(tl, step, DARK, W, H, progress=progress)
        return [
            p for p in lines if len(p.points) == 2 and p.points[0][1] == p.points[1][1] and p.width >= 3.0
        ]

    for m in range(len(step.chain.rates)):
        shafts = sorted(arrows((appear[m] + (appear[m + 1])) / 2), key=lambda p: p.points[0][0])
        assert len(shafts) == m + 1
        assert [p.width for p in shafts] == [3.0] * m + [5.0]
        kind, rate = step.chain.kinds[m], step.chain.rates[m]
        sign = DARK.positive if rate > 0 else DARK.negative
        assert shafts[-1].color == {"input": DARK.text, "slope": DARK.slope}.get(kind, sign)
        assert all(p.color == DARK.muted for p in shafts[:-1])
    assert all(p.color == DARK.muted and p.width == 3.0 for p in arrows(1.0))
