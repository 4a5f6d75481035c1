"""The chain rule, once, for record 1 and the worked weight: w moves z, z moves out, out
moves the loss, each link with its rate; the rates multiply into the record's share of
dloss/dw, and the four records' shares add up to the gradient the descent goes down."""

import math
import signal
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from nnviz3d.hud import CHAIN_APPEAR, DESCENT_CURVE_BOX, overlay, wrap
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import THEMES, text_width_em
from nnviz3d.scene import load_scene
from nnviz3d.timeline.kinds import chains

W, H = 1280, 720
DARK = THEMES["dark"]


@pytest.fixture(scope="module")
def run():
    return prepare(load_scene(), epochs=(1, 2, 2000))


def _chain(tl):
    return next(s for s in tl.steps if s.kind == "chain")


def test_the_chain_rule_comes_between_the_worked_change_and_the_descent(run):
    _, tl = run
    kinds = [s.kind for s in tl.steps]
    assert kinds.count("chain") == 1
    at = kinds.index("chain")
    assert kinds[at - 1] == "worked" and kinds[at + 1] == "descent"
    step = tl.steps[at]
    assert step.epoch == 1 and step.layer == 1
    assert step.caption.startswith("Chain rule, record 1: a nudge to h3 -> out moves z")
    assert list(np.flatnonzero(step.visual.edge_focus == 1.0)) == [tl.layout.edge_id(1, 2, 0)]


def test_the_chains_rates_are_record_1s_and_multiply_into_the_gradient(run):
    """Seed 000's numbers: h3 = 0.45968497, out = 0.47372957 (target 0), l2_delta
    -0.11810546, syn1's change at h3 -0.00676932."""
    trace, tl = run
    c = _chain(tl).chain
    assert (c.start, c.end, c.record) == ("h3", "out", 0)
    value, slope, error = c.rates
    assert value == pytest.approx(0.45968497, abs=1e-8)
    assert slope == pytest.approx(0.47372957 * (1 - 0.47372957), abs=1e-8)
    assert error == pytest.approx(0.47372957 - 0, abs=1e-8)  # out - y: dloss/dout, the error turned over
    assert slope * error == pytest.approx(0.11810546, abs=1e-8)  # -l2_delta of record 1
    assert c.share == pytest.approx(math.prod(c.rates), abs=1e-15)
    assert c.share == pytest.approx(0.45968497 * 0.11810546, abs=1e-8)
    u = trace.epoch_updates(1)[0]
    shares = u.activations[0][:, 2] * u.deltas[1][:, 0]
    assert np.allclose(c.shares, shares, atol=1e-15) and c.shares[0] == pytest.approx(c.share, abs=1e-15)
    assert sum(c.shares) == pytest.approx(c.gradient, abs=1e-15)
    assert c.gradient == pytest.approx(0.00676932, abs=1e-8)  # syn1's change at h3, turned over
    descent = next(s for s in tl.steps if s.kind == "descent")
    assert descent.loss_curve.slope == pytest.approx(c.gradient, abs=1e-15)


def _panel_texts(tl, step, progress):
    texts, _, _ = overlay(tl, step, DARK, W, H, progress=progress)
    x0, y0, x1, y1 = DESCENT_CURVE_BOX
    return [t for t in texts if x0 - 0.01 <= t.x <= x1 + 0.01 and y0 - 0.01 <= t.y <= y1 + 0.01]


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_the_chain_is_built_link_by_link_and_ends_with_its_sums(run, layout):
    _, tl = run
    tl = replace(tl, screen=layout)
    step = _chain(tl)
    before = [t.text for t in _panel_texts(tl, step, CHAIN_APPEAR[0] / 2)]
    assert {"w", "z", "out", "loss"} <= set(before)  # the chain's names stand from the start
    assert not any(t.startswith("×") for t in before)  # no rate yet
    first = [t.text for t in _panel_texts(tl, step, (CHAIN_APPEAR[0] + CHAIN_APPEAR[1]) / 2)]
    assert "× 0.460" in first and "× 0.249" not in first and "h3's value" in first
    end = _panel_texts(tl, step, 1.0)
    words = [t.text for t in end]
    assert {"× 0.460", "× 0.249", "× 0.474", "h3's value", "out(1-out)", "out - y"} <= set(words)
    product = next(t for t in end if t.text.startswith("= "))
    assert product.text == "= 0.460 × 0.249 × 0.474 ≈ +0.0543"
    pieces = {product.text[a:b]: c for a, b, c in product.spans}
    # each rate coloured as the picture colours it: a value, the sigmoid's slope, a signed error
    colours = {"0.460": DARK.text, "0.249": DARK.slope, "0.474": DARK.positive, "+0.0543": DARK.gradient}
    assert pieces == colours
    total = next(t for t in end if t.text.startswith("4 records"))
    assert total.text == "4 records: +0.00677 = the gradient"
    # the rates over the chain in the video's type, every word in the panel's box
    x0, y0, x1, _ = DESCENT_CURVE_BOX
    for t in end:
        wide = max(text_width_em(line) for line in t.text.split("\n")) * t.size / W
        left = t.x - (wide / 2 if t.align == "center" else 0)
        assert left >= x0 - 1e-9 and left + wide <= x1 + 0.01, t.text
        assert t.y - t.size * (t.text.count("\n") + 1) / H >= y0 - 0.005, t.text


def test_the_chain_speaks_japanese():
    loaded = load_scene()
    font = str(Path(__file__).parent / "fixtures" / "NotoSansCJKjp-subset.otf")  # no system font needed
    _, tl = prepare(replace(loaded, render=replace(loaded.render, lang="ja", font=font)), epochs=(1,))
    words = [t.text for t in _panel_texts(tl, _chain(tl), 1.0)]
    assert "h3 の値" in words and "損失" in words
    assert any(w.startswith("4 レコードの合計 +0.00677") for w in words)


def test_the_chain_is_shown_only_where_its_rates_are_the_pictures():
    spec = load_scene().network
    assert chains(spec)
    assert not chains(replace(spec, loss="cross_entropy"))
    assert not chains(replace(spec, reduction="mean"))
    assert not chains(replace(spec, activations=(*spec.activations[:-1], "tanh")))


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
    from nnviz3d.frames import frame_key, frame_state

    _, tl = run
    step = _chain(tl)
    frames = list(tl.frames_of(step.index))
    keys = [frame_key(tl, f) for f in frames]
    parts = []
    for f in frames:
        state = frame_state(tl, f, 320, 180)
        assert state.key == frame_key(tl, f)
        rates = sum(t.text.startswith("× ") for t in state.texts)
        parts.append(rates + any(t.text.startswith("= 0.460") for t in state.texts)
                     + any(t.text.startswith("4 records") for t in state.texts))  # fmt: skip
    assert parts == sorted(parts) and parts[-1] == 5  # one part after another, all at the end
    first = [i / len(frames) for i in range(1, len(parts)) if parts[i] > parts[i - 1]]
    assert first == pytest.approx(CHAIN_APPEAR, abs=1.5 / len(frames))  # each at its share of the step
    # once the tween is over, one key per part (nothing yet, then five): held between
    tween = keys[-1][1] - len(CHAIN_APPEAR)
    after = [k for k in keys if k[1] >= tween]
    assert len(set(after)) == 6 and len(after) > 0.8 * len(keys)
