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

from nnviz3d.frames import FLIGHT_BOWS, RATES_FLY, frame_key, frame_state
from nnviz3d.hud import CHAIN_BOX, CHAIN_DIAGRAM, CHAIN_FLIGHT, chain_appear, overlay, wrap
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import THEMES, text_width_em
from nnviz3d.scene import load_scene
from nnviz3d.text import message
from nnviz3d.timeline import fmt_input, fmt_sig
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
    assert kinds[first - 2 : first] == ["worked", "nudge"] and kinds[first + 1] == "descent"  # syn1's
    assert kinds[second - 1] == "worked" and tl.steps[second - 1].layer == 0  # syn0's
    assert [s.layer for s in _chains(tl)] == [1, 0] and {s.epoch for s in _chains(tl)} == {1}
    one, two = _chains(tl)
    assert (
        one.caption == "Chain rule, record 1: nudge h3 -> out and each link moves the next, down to the loss"
    )
    assert two.caption.startswith("Chain rule, record 2: nudge x2 -> h3")  # record 1's x2 is 0
    lay = tl.layout  # the chain's way through the network lit: x2 -> h3 -> out
    assert list(np.flatnonzero(two.visual.edge_focus == 1.0)) == [lay.edge_id(0, 1, 2), lay.edge_id(1, 2, 0)]


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
    assert c.meanings[2] == "h3 -> out"  # the weight between, named as the video names weights (62a)
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
def test_the_chain_is_drawn_whole_after_the_network_told_it_then_summed(run, layout):
    _, tl = run
    tl = replace(tl, screen=layout)
    step = _chains(tl)[0]
    appear = chain_appear(3)
    assert _panel_texts(tl, step, CHAIN_DIAGRAM - 0.01) == []  # the network tells the rates first
    whole = [t.text.replace("\n", " ") for t in _panel_texts(tl, step, CHAIN_DIAGRAM)]  # (the hall wraps)
    assert {"w", "z(out)", "out", "loss", "× 0.460", "× 0.249", "× 0.474"} <= set(whole)
    assert {"h3's value", "out(1-out)", "out - y = -l2_error"} <= set(whole)
    assert not any(w.startswith(("-l2_delta", "dloss/dw", "4 records")) for w in whole)
    end = _panel_texts(tl, step, 1.0)
    words = [t.text for t in end]
    assert "-l2_delta = +0.118" in words  # the bracket under the links that make it
    product = next(t for t in end if t.text.startswith("dloss/dw = "))
    assert product.text == "dloss/dw = 0.460 × 0.249 × 0.474 ≈ +0.0543"
    pieces = {product.text[a:b]: c for a, b, c in product.spans}
    # each rate coloured as the picture colours it: a value, the sigmoid's slope, a signed error
    colours = {"0.460": DARK.text, "0.249": DARK.slope, "0.474": DARK.positive, "+0.0543": DARK.gradient}
    assert pieces == colours
    total = next(t for t in end if t.text.startswith("4 records"))
    # the record's share is the worked change's term turned over: the change says so; each
    # record's share written out, cancelling down to the gradient (reviews 63a, 63b: +0.0543
    # against +0.00677 read as a contradiction), record 1's in the product's green
    assert total.text.replace("\n", " ") == (
        "4 records: +0.0543 - 0.0399 - 0.0270 + 0.0193 ≈ +0.00677 = the gradient, "
        "so change = -gradient = -0.00677"
    )
    pieces = {total.text[a:b].replace("\n", " "): c for a, b, c in total.spans}
    assert pieces == {
        "+0.0543": DARK.gradient,
        "+0.00677": DARK.gradient,
        "change = -gradient = -0.00677": DARK.negative,
    }
    assert appear[3:] == (CHAIN_DIAGRAM, *appear[4:]) and len(appear) == 3 + 4


@pytest.mark.parametrize("layout", ["lecture", "hall"])
@pytest.mark.parametrize("which", [0, 1])
def test_the_network_tells_each_rate_where_it_stands_one_after_another(run, layout, which):
    """Before the chain is drawn, its rates on the network (reviews 59b, 60b: the chain rule
    played out on the network itself): the start's value over the weight's first stretch, a
    hidden slope right of its node, the output's under it, a weight between over its middle,
    the error right of the output on to the loss; the newest the biggest, each in the frame
    on a backdrop, the chain's way lit."""
    _, tl = run
    tl = replace(tl, screen=layout)
    step = _chains(tl)[which]
    c = step.chain
    appear = chain_appear(len(c.rates))
    frames = tl.frames_of(step.index)
    lay = tl.layout
    way = [lay.edge_id(1, 2, 0)] if which == 0 else [lay.edge_id(0, 1, 2), lay.edge_id(1, 2, 0)]
    assert list(np.flatnonzero(step.visual.edge_focus == 1.0)) == way
    for m in range(len(c.rates)):
        at = appear[m] + (appear[m + 1] - appear[m]) / 2
        f = frames[0] + int(at * len(frames))
        state = frame_state(tl, f, W, H)
        assert len(state.sphere_centers) > 0  # the network is the picture
        rates = [t for t in state.texts if t.text.startswith("× ") and t.y < 0.76]
        assert len(rates) == m + 1
        newest = max(rates, key=lambda t: t.size)
        number = fmt_input(c.rates[m]) if c.kinds[m] == "input" else fmt_sig(c.rates[m])
        assert newest.text.split(" ")[1] == number
        assert all(t.size < newest.size for t in rates if t is not newest)
        for t in rates:
            wide = text_width_em(t.text) * t.size / W
            left = t.x - {"left": 0, "center": wide / 2, "right": wide}[t.align]
            assert left >= 0 and left + wide <= 1.0, t.text
    last = frame_state(tl, frames[0] + int(CHAIN_DIAGRAM * len(frames)) + 1, W, H)
    assert len(last.sphere_centers) == 0  # then the chain alone
    ends = [lay.node_id(1, 2), lay.node_id(2, 0)] if which == 0 else [lay.node_id(0, 1), lay.node_id(1, 2)]
    assert set(np.flatnonzero(step.visual.node_focus == 1.0)) >= set(ends)


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
    summed = "4 レコードの合計 +0.0543 - 0.0399 - 0.0270 + 0.0193 ≈ +0.00677 \uff1d 勾配"
    assert any(w.replace("\n", " ").startswith(summed) for w in words)


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
    """Built over its 9 s, each part drawn once: the frames between two parts share a key
    (held, not drawn again); only the rates' flight to the chain is drawn frame by frame."""
    _, tl = run
    step = _chains(tl)[0]
    appear = chain_appear(3)
    frames = list(tl.frames_of(step.index))
    keys = [frame_key(tl, f) for f in frames]
    for f in frames[:: max(1, len(frames) // 40)]:
        assert frame_state(tl, f, 320, 180).key == frame_key(tl, f)
    share = [(f - frames[0] + 1) / len(frames) for f in frames]
    flying = [k for k, t in zip(keys, share, strict=True) if CHAIN_FLIGHT[0] <= t < CHAIN_FLIGHT[1]]
    assert len(set(flying)) == len(flying) > 10  # every frame of the flight its own
    changes = [share[i] for i in range(1, len(keys)) if keys[i] != keys[i - 1]]
    held = [t for t in changes if t > 0.15 and not CHAIN_FLIGHT[0] <= t < CHAIN_FLIGHT[1]]
    assert held == pytest.approx([a for a in appear if a > 0.15], abs=1.5 / len(frames))
    assert len(set(keys)) < len(frames) / 2


def test_the_rates_fly_from_the_network_into_the_chain(run):
    """The chain grows out of the picture (review 61a: it replaced the network): between
    the network's telling and the chain's drawing, each rate moves from its place on the
    network to its place in the chain, the same words on the way."""
    _, tl = run
    step = _chains(tl)[1]
    frames = list(tl.frames_of(step.index))

    def rates(share):
        state = frame_state(tl, frames[0] + int(share * len(frames)), W, H)
        return {t.text.split(" \u2192")[0]: t for t in state.texts if t.text.startswith("× ")}

    # (the rates fly in the first part of the flight, RATES_FLY, the names after them)
    middle = CHAIN_FLIGHT[0] + (CHAIN_FLIGHT[1] - CHAIN_FLIGHT[0]) * sum(RATES_FLY) / 2
    before, during, after = rates(CHAIN_FLIGHT[0] - 0.02), rates(middle), rates(0.99)
    assert set(before) == set(during) == set(after) == {"× 1", "× 0.215", "× -0.945", "× 0.250", "× -0.511"}

    def centre(t):
        wide = text_width_em(t.text) * t.size / W
        return t.x + {"left": wide / 2, "center": 0.0, "right": -wide / 2}[t.align]

    moved = 0
    for word, t in during.items():
        a, b = centre(before[word]), centre(after[word])
        # between its two places (a way bowed round a name by its node strays aside: at most
        # FLIGHT_BOWS' largest share of its length, on screen)
        slack = max(map(abs, FLIGHT_BOWS)) * np.hypot(a - b, (before[word].y - after[word].y) * H / W)
        assert min(a, b) - 0.01 - slack <= centre(t) <= max(a, b) + 0.01 + slack, word
        moved += abs(a - b) > 0.02 and min(abs(centre(t) - a), abs(centre(t) - b)) > 0.005
    assert moved >= 3  # on their way, not at either end


def test_the_chains_key_names_only_the_signs(run):
    """No weight is drawn thick nor a sphere big over the chain: its key says only what
    blue and orange mean (review 62a: the Japanese key's "太さ, 球" over it, where the
    English one had no room for them)."""
    loaded = load_scene()
    font = str(Path(__file__).parent / "fixtures" / "NotoSansCJKjp-subset.otf")
    _, ja = prepare(replace(loaded, render=replace(loaded.render, lang="ja", font=font)), epochs=(1,))
    from nnviz3d.hud import Hud, _key_items

    for tl in (run[1], ja):
        step = _chains(tl)[1]
        items = [text for text, _ in _key_items(Hud(tl, step, DARK, W, H))]
        assert items == [message(tl.lang, "key_positive"), message(tl.lang, "key_negative")]
        texts, _, _ = overlay(tl, step, DARK, W, H, progress=1.0)
        top = " ".join(t.text for t in texts if t.y > 0.93)
        assert not any(word in top for word in ("thick", "sphere", "太", "球"))


def test_the_records_shares_are_seen_adding_up_to_the_gradient(run):
    """Reviews 63a, 64a: "show the batch sum visually: four small nudges adding up to one".
    Under the sum, a waterfall: each record's share a step from where the one before ended,
    a row each, then the gradient from 0; record 1's long step out, the others' back."""
    _, tl = run
    step = _chains(tl)[0]
    texts, rects, lines = overlay(tl, step, DARK, W, H, progress=1.0)
    total = next(t for t in texts if t.text.startswith("4 records"))
    # the records' green a quarter of the way to the background (half-way, reviews 31a and
    # 31b found them too dark from the back): 3:1 against the panel at least
    dim = tuple(float(v) for v in 0.75 * np.array(DARK.gradient) + 0.25 * np.array(DARK.background_bottom))

    def luminance(c) -> float:
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    assert (luminance(dim) + 0.05) / (luminance(DARK.panel) + 0.05) >= 3.0
    colours = (dim, DARK.gradient)
    painted = [r for r in rects if r.color in colours and r.opacity == 1.0]
    by_row: dict[float, list] = {}
    for r in painted:  # each row an arrow: its body, then its head in slices
        by_row.setdefault(round((r.y0 + r.y1) / 2, 9), []).append(r)
    rows = [by_row[y] for y in sorted(by_row, reverse=True)]  # top row first
    c = step.chain
    assert len(rows) == len(c.shares) + 1
    bars = [max(row, key=lambda r: r.x1 - r.x0) for row in rows]  # the bodies
    spans = [(min(r.x0 for r in row), max(r.x1 for r in row)) for row in rows]
    zero = next(  # the axis's 0: a vertical line down through every row
        p
        for p in lines
        if p.points[0][0] == p.points[1][0] and p.points[0][1] >= bars[0].y1 > bars[-1].y0 >= p.points[1][1]
    )
    x0 = zero.points[0][0]
    scale = (spans[0][1] - spans[0][0]) / c.shares[0]  # record 1's step: from 0, to the right
    assert spans[0][0] == pytest.approx(x0, abs=1e-9) and scale > 0
    end = 0.0
    for row, bar, span, share in zip(rows, bars, spans, [*c.shares, None], strict=True):
        value = share if share is not None else c.gradient
        start = end if share is not None else 0.0
        a, b = sorted((x0 + start * scale, x0 + (start + value) * scale))
        assert span == pytest.approx((a, b), abs=1e-9)  # as long as its share, head and all
        assert bar.color == (dim if share is not None else DARK.gradient)  # the sum's bright
        # its head (its narrowest slice) at its end, the way it goes: record 2's and 3's left
        # (reviews 73a, 73b: in one green the subtracting records read as adding)
        point = min(row, key=lambda r: r.y1 - r.y0)
        assert (
            (point.x1 == pytest.approx(b, abs=1e-9))
            if value > 0
            else (point.x0 == pytest.approx(a, abs=1e-9))
        )
        end += share or 0.0
    assert end == pytest.approx(c.gradient, abs=1e-15)
    x_lo, y_lo, x_hi, _ = CHAIN_BOX
    assert all(x_lo <= r.x0 and r.x1 <= x_hi and r.y0 >= y_lo for r in bars)
    # beside the sum it draws, not under it (there its rows were 13 px: reviews 72a, 72b)
    from nnviz3d.primitives import text_width_em

    right = max(text_width_em(line) for line in total.text.split("\n")) * total.size / W
    assert min(a for a, _ in spans) > total.x + right * 0.9  # (the heads too)
    assert min(r.y1 - r.y0 for r in bars) * H >= 18  # rows a hall could tell apart
    # its key over it (review 65a: unlabelled, the bars could not be decoded) and each row
    # named, its record's number or the sum, level with it, left of it (review 72a)
    key = next(t for t in texts if t.text == "running total")
    assert bars[0].y1 < key.y - key.size / H
    for bar, name in zip(bars, ["1", "2", "3", "4", "sum"], strict=True):
        label = next(t for t in texts if t.text == name and t.valign == "center" and t.x < bar.x0)
        assert label.y == pytest.approx((bar.y0 + bar.y1) / 2, abs=0.005) and label.size >= 16


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_a_chain_told_for_a_later_record_says_why(run, layout):
    """Review 77a: the chain rule's record switched from 1 (syn1's) to 2 (syn0's x2 -> h3)
    with the reason only in small type two steps before: record 1's x2 is 0, so its link
    passes nothing on. The chain's title says it; syn1's, for record 1, says only whose."""
    tl = replace(run[1], screen=layout)
    one, two = _chains(tl)[:2]
    titles = []
    for step in (one, two):
        texts, _, _ = overlay(tl, step, DARK, W, H, progress=1.0)
        titles.append(next(t.text.replace("\n", " ") for t in texts if t.text.startswith("record")))
    assert titles == ["record 1: each link's rate", "record 2, the first whose x2 is not 0: each link's rate"]
    x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    assert x[0, 1] == 0 and x[1, 1] == 1  # (x2 of records 1 and 2: the seed's inputs)


def test_the_descents_and_the_landscapes_keys_name_only_the_signs(run):
    """Review 79b: beside the descent's small network its key said "thick = large |weight|,
    sphere = value", irrelevant there: like the chain's, the descent's and the landscape's
    keys name only the signs' colours."""
    from nnviz3d.hud import Hud, _key_items

    _, tl = run
    for kind in ("descent", "landscape"):
        step = next(s for s in tl.steps if s.kind == kind)
        items = [text for text, _ in _key_items(Hud(tl, step, DARK, W, H))]
        assert items == ["blue +", "orange -"], kind


def test_the_end_of_an_iteration_keys_nothing(run):
    """Review 41a: at the end of an iteration every weight is greyed and every sphere a dot
    (nothing of the network in play), yet the key said "thick = large |weight|, sphere =
    value": it says nothing there; the next iteration's steps key what they draw."""
    from nnviz3d.hud import Hud, _key_items

    _, tl = run
    ends = [s for s in tl.steps if s.kind == "end"]
    assert ends
    for step in ends:
        assert _key_items(Hud(tl, step, DARK, W, H)) == []
    following = tl.steps[ends[0].index + 2]  # (after the next iteration's card)
    assert _key_items(Hud(tl, following, DARK, W, H)) != []


def test_an_updates_key_says_the_colours_are_the_weights_signs(run):
    """Reviews 43a and 43b read "blue +" beside "grey rim = size of change" as "increased":
    an update's key says the colours are the weights' signs (`weight: blue +`, `orange -`),
    the two said together wherever one of them is (the first is new in an update where
    `orange -` was said a step before: it stood alone)."""
    from nnviz3d.hud import overlay

    _, tl = run
    for step in [s for s in tl.steps if s.kind == "update"]:
        words = [t.text for t in overlay(tl, step, DARK, W, H)[0]]
        assert "blue +" not in words
        assert ("weight: blue +" in words) == ("orange -" in words), step.index
    first = next(s for s in tl.steps if s.kind == "update")
    words = [t.text for t in overlay(tl, first, DARK, W, H)[0]]
    assert {"grey rim = change", "weight: blue +", "orange -"} <= set(words)
