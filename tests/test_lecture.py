# ruff: noqa: RUF001  (Japanese captions use full-width punctuation)
"""Issue 3's lecture visuals as data: beads, halos, cards, plots, pacing, languages."""

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from nnviz3d.errors import SceneError, UserError
from nnviz3d.fonts import INSTALL_HINT, find_japanese_font
from nnviz3d.frames import frame_state, halo_radius, signal_positions
from nnviz3d.pipeline import prepare
from nnviz3d.render_vtk import VtkFrameRenderer
from nnviz3d.scene import load_scene
from nnviz3d.timeline import fmt_signed, magnification
from nnviz3d.timeline.story import FIRST_EXAMPLE_SLOW
from tests.helpers import study

SUBSET_FONT = Path(__file__).parent / "fixtures" / "NotoSansCJKjp-subset.otf"
MONO_SUBSET_FONT = Path(__file__).parent / "fixtures" / "NotoSansMonoCJKjp-subset.otf"


@pytest.fixture(scope="module")
def scene():
    return load_scene()


@pytest.fixture(scope="module")
def story(scene):
    return prepare(scene)


def test_forward_beads_travel_the_incoming_weights_in_order(story):
    trace, tl = story
    lay = tl.layout
    s = next(s for s in tl.steps if s.kind == "node" and s.layer == 1 and s.node == 1 and s.record == 2)
    assert [sig.edge for sig in s.signals] == [lay.edge_id(0, i, 1) for i in range(3)]
    u = trace.updates[(1, 1)]
    x, w = u.inputs[2], u.weights_before[0][:, 1]
    assert [sig.value for sig in s.signals] == pytest.approx(list(x * w))
    assert all(sig.forward for sig in s.signals)
    start = signal_positions(s, lay, 0.0)
    mid = signal_positions(s, lay, 0.5)
    end = signal_positions(s, lay, 1.0)
    np.testing.assert_allclose(start, lay.nodes[list(lay.layer_nodes(0))])
    np.testing.assert_allclose(end, np.repeat(lay.nodes[[lay.node_id(1, 1)]], 3, axis=0))
    np.testing.assert_allclose(mid, (start + end) / 2)


def test_deltas_travel_backwards(story):
    trace, tl = story
    lay = tl.layout
    s = next(s for s in tl.steps if s.kind == "error" and s.epoch == 1)
    assert s.signals and not any(sig.forward for sig in s.signals)
    assert {sig.edge for sig in s.signals} == set(lay.layer_edges(1))
    # a backward bead starts at the output end of its weight
    first = signal_positions(s, lay, 0.0)
    np.testing.assert_allclose(first, lay.nodes[lay.edge_to[[sig.edge for sig in s.signals]]])
    u = trace.updates[(1, 1)]
    flow = (-u.deltas[1])[0, 0]  # record 1's delta: the picture's numbers are record 1's
    h3 = next(sig for sig in s.signals if sig.edge == lay.edge_id(1, 2, 0))
    # sent back first: the caption's example (h3's -0.945, a negative weight), then the one
    # its weight shrinks most (h4's 0.341), then the others top to bottom (reviews 49a and
    # 49b read h4 first as out of order; 54a saw no shrink happen as motion)
    assert [sig.edge for sig in s.signals] == [h3.edge, *(lay.edge_id(1, n, 0) for n in (3, 0, 1))]
    assert h3.value == pytest.approx(flow * u.weights_before[1][2, 0])
    assert s.values["l1_error[0,2]"] == pytest.approx(h3.value)  # its l1_error
    assert s.node_notes[2] == (lay.node_id(1, 2), "-0.118 × -0.945 ≈ +0.112")  # beside hidden node 3


def test_halos_show_the_batch_delta_of_each_node(scene):
    trace, tl = prepare(study(scene))  # a study detail: hall and lecture write the deltas instead
    u = trace.updates[(1, 1)]
    lay = tl.layout
    s = next(s for s in tl.steps if s.kind == "delta" and s.epoch == 1 and s.layer == 2)
    out = lay.node_id(2, 0)
    assert s.visual.halos[out] == pytest.approx((-u.deltas[1]).sum())
    assert np.isnan(s.visual.halos[lay.node_id(1, 0)])  # not yet: l1_delta comes later
    assert "-0.4737 × 0.2493 = -0.1181" in s.panel[1]  # the seed's own check
    values = np.array([1e-4, 1e-3, 1e-2, 1e-1])
    assert np.all(np.diff(halo_radius(values)) > 0)
    fs = frame_state(tl, tl.frames_of(s.index)[-1], 320, 180)
    assert fs.halo_radii[out] == pytest.approx(halo_radius(np.array([s.visual.halos[out]]))[0])
    colours = fs.halo_colors[out]
    assert tuple(colours) == pytest.approx(
        fs.theme.positive if s.visual.halos[out] >= 0 else fs.theme.negative
    )


def test_late_updates_are_magnified_and_stated(story):
    _, tl = story
    updates = [s for s in tl.steps if s.kind == "update"]
    late = [s for s in updates if s.epoch == 2000]
    # one magnification for the whole video, from iteration 1's largest change (0.00677:
    # x10), so the late updates look as small as they are next to the first ones; the only
    # one (the late arrows are not magnified: tests/test_wants.py)
    assert {s.magnify for s in updates} == {10.0}
    assert late and all(
        s.caption.endswith(", weight changes drawn 10× larger (the whole video)") for s in late
    )
    assert {s.loss_curve.magnify for s in tl.steps if s.loss_curve is not None} == {10.0}
    first = next(s for s in updates if s.epoch == 1 and s.layer == 0)
    assert np.max(np.abs(late[-1].change)) < np.max(np.abs(first.change)) / 20
    assert magnification(np.array([0.3, -0.1])) == 1
    assert magnification(np.array([2e-4])) == 1000


def test_cards_and_plots(scene):
    _, tl = prepare(study(scene))
    cards = [s.card[0] for s in tl.steps if s.card]
    assert cards[:3] == [tl.title, "Iteration 1: forward pass", "Iteration 1: backward pass"]
    assert "... 997 iterations after iteration 1000:" in cards
    s = next(s for s in tl.steps if s.kind == "end" and s.epoch == 1999)
    fs = frame_state(tl, tl.frames_of(s.index)[-1], 1280, 720)
    cursor = [
        p
        for p in fs.polylines
        if p.color == fs.theme.accent and p.points[0][1] < 0.1 and p.points[-1][1] - p.points[0][1] > 0.08
    ]
    assert len(cursor) == 2  # one cursor per inset, at the current iteration
    assert "0.02414" in [t.text for t in fs.texts]  # the error plot's value at iteration 1999


def test_durations_and_speed_come_from_the_scene(scene):
    quick = replace(scene, render=replace(scene.render, speed=2.0, durations=(("node", 3.0),)))
    _, base = prepare(scene, epochs=(1,))
    _, fast = prepare(quick, epochs=(1,))
    node_base = next(s for s in base.steps if s.kind == "node" and s.record == 1)  # record 2
    node_fast = next(s for s in fast.steps if s.kind == "node" and s.record == 1)
    assert node_fast.duration == pytest.approx(1.5)
    init_base = next(s for s in base.steps if s.kind == "init")
    init_fast = next(s for s in fast.steps if s.kind == "init")
    assert init_fast.duration == pytest.approx(init_base.duration / 2)
    assert node_base.duration < 1.2
    # the first example (record 1 of the first shown iteration) plays its nodes slowly
    first = [s for s in fast.steps if s.kind == "node" and s.record == 0]
    assert len(first) == 5 and all(s.duration == pytest.approx(1.5 * FIRST_EXAMPLE_SLOW) for s in first)
    _, two = prepare(scene, epochs=(1, 2))  # only the first shown iteration's record 1
    slow = [s for s in two.steps if s.kind == "node" and s.duration > 1.2]
    assert [(s.epoch, s.record) for s in slow] == [(1, 0)] * 5


def test_default_video_is_a_class_length(story):
    _, tl = story
    assert (
        120 <= tl.duration <= 350
    )  # about five and a half minutes (a slow first example; the chain rule 18 s)


def test_bad_durations_are_rejected(tmp_path):
    text = (Path(__file__).parent.parent / "scenes" / "iamtrask.toml").read_text()
    p = tmp_path / "s.toml"
    p.write_text(text + "\n[render.durations]\nnod = 2.0\n")
    with pytest.raises(SceneError, match=r"\[render.durations\] nod: unknown step kind"):
        load_scene(p)


def test_missing_japanese_font_says_what_to_install(monkeypatch):
    import nnviz3d.fonts as fonts

    monkeypatch.setattr(fonts, "_fontconfig_japanese", list)
    monkeypatch.setattr(fonts, "KNOWN_PATHS", ())
    with pytest.raises(UserError) as err:
        find_japanese_font()
    assert str(err.value) == INSTALL_HINT and "fonts-noto-cjk" in INSTALL_HINT
    with pytest.raises(UserError, match=r"font file '/no/such\.ttf' not found"):
        find_japanese_font("/no/such.ttf")


def test_japanese_captions_render_real_glyphs(scene):
    # a subset of Noto Sans CJK ships with the tests, so this runs without any CJK font
    ja = replace(scene, render=replace(scene.render, lang="ja", font=str(SUBSET_FONT)))
    _, tl = prepare(ja, epochs=(1,))
    assert tl.font == str(SUBSET_FONT) and tl.steps[4].caption == "1 回目：順伝播"
    s = next(s for s in tl.steps if s.kind == "node")
    assert s.caption.startswith("隠れノード h1")
    frame = tl.frames_of(s.index)[-1]
    renderer = VtkFrameRenderer(640, 360)
    try:
        good = renderer.render(frame_state(tl, frame, 640, 360))
        tofu = renderer.render(frame_state(replace(tl, font=None), frame, 640, 360))
    finally:
        renderer.close()
    band = slice(int(360 * 0.06), int(360 * 0.14))  # the caption line
    ink_good = (good[band].max(axis=2) > 128).sum()
    ink_tofu = (tofu[band].max(axis=2) > 128).sum()
    assert ink_good > 200
    # the same caption without a CJK font is boxes or nothing: a different picture
    assert np.abs(good[band].astype(int) - tofu[band].astype(int)).sum() > 50 * 255
    assert ink_good != ink_tofu


@pytest.mark.parametrize("font", [SUBSET_FONT, MONO_SUBSET_FONT], ids=["sans", "mono"])
def test_the_subset_font_covers_every_japanese_caption(font):
    """Regenerate tests/fixtures with make_font_subsets.py when the Japanese texts gain
    characters."""
    from nnviz3d.text import MESSAGES

    data = font.read_bytes()
    assert data[:4] == b"OTTO"  # an OpenType (CFF) font
    used = {c for text in MESSAGES["ja"].values() for c in text if ord(c) > 127}
    cmap = _cmap(data)
    assert used <= cmap, sorted(used - cmap)
    assert {chr(c) for c in range(0x20, 0x7F)} <= cmap


def _cmap(data: bytes) -> set[str]:
    """The characters a font maps (format 4 and 12 cmap subtables), read without fontTools."""
    import struct

    n_tables = struct.unpack(">H", data[4:6])[0]
    tables = {data[12 + 16 * i : 16 + 16 * i]: struct.unpack(">II", data[20 + 16 * i : 28 + 16 * i])
              for i in range(n_tables)}  # fmt: skip
    base = tables[b"cmap"][0]
    chars: set[str] = set()
    n_sub = struct.unpack(">H", data[base + 2 : base + 4])[0]
    for i in range(n_sub):
        offset = struct.unpack(">I", data[base + 8 + 8 * i : base + 12 + 8 * i])[0]
        sub = base + offset
        fmt = struct.unpack(">H", data[sub : sub + 2])[0]
        if fmt == 12:
            groups = struct.unpack(">I", data[sub + 12 : sub + 16])[0]
            for g in range(groups):
                start, end, _ = struct.unpack(">III", data[sub + 16 + 12 * g : sub + 28 + 12 * g])
                chars.update(chr(c) for c in range(start, end + 1))
        elif fmt == 4:
            segs = struct.unpack(">H", data[sub + 6 : sub + 8])[0] // 2
            ends = struct.unpack(f">{segs}H", data[sub + 14 : sub + 14 + 2 * segs])
            starts = struct.unpack(f">{segs}H", data[sub + 16 + 2 * segs : sub + 16 + 4 * segs])
            chars.update(
                chr(c) for s, e in zip(starts, ends, strict=True) for c in range(s, e + 1) if c != 0xFFFF
            )
    return chars


@pytest.mark.parametrize("size", [(1280, 720), (640, 360)])
def test_legend_and_code_panel_do_not_overlap(size):
    """A quarter of the split screen is 640x360: the code panel at its smallest type must
    not run into the legend (it did), and comments go when the listing is too wide."""
    scene = study(load_scene(Path(__file__).resolve().parent.parent / "scenes" / "xor_butterfly.toml"))
    _, tl = prepare(scene, epochs=(1,))
    step = next(s for s in tl.steps if s.kind == "delta")
    w, h = size
    fs = frame_state(tl, tl.frames_of(step.index)[-1], w, h)
    panel = next(r for r in fs.rects if r.x0 < 0.01 and r.y0 < 0.01)  # the code panel
    legend = [t for t in fs.texts if t.x == 0.015 and t.y < 0.7 and not t.mono]
    assert legend and all(t.y > panel.y1 for t in legend)
    code = [t.text for t in fs.texts if t.mono]
    assert any("#" in c for c in code) == (w >= 1280)


def test_deltas_show_the_chain_rule_with_their_numbers(story):
    """A delta is error × slope: the output's with its numbers in the caption, a hidden
    layer's beside each node, read left to right: error × slope ~ delta."""
    trace, tl = story
    out = next(s for s in tl.steps if s.kind == "delta" and s.layer == 2 and s.epoch == 1)
    assert "= -0.474 × 0.249 ≈ -0.118:" in out.caption  # record 1: 0 - 0.4737, 0.4737 * 0.5263
    hidden = next(s for s in tl.steps if s.kind == "delta" and s.layer == 1 and s.epoch == 1)
    # 3 significant digits as every number of the picture, "≈" where the factors as written
    # do not give the delta as written: 0.0698 x 0.247 is 0.01724, the delta 0.01727
    # (+0.0173); 0.0893 x 0.250 is 0.0223, as written, but its neighbours' "≈" is its own
    assert [text for _, text in hidden.node_notes] == [
        "+0.0698 × 0.247 ≈ +0.0173", "-0.0893 × 0.250 ≈ -0.0223",
        "+0.112 × 0.248 ≈ +0.0277", "-0.0403 × 0.242 ≈ -0.00973",
    ]  # fmt: skip
    u = trace.updates[(1, 1)]
    a = u.activations[0][0]
    for (node, text), delta in zip(hidden.node_notes, -u.deltas[0][0], strict=True):
        error, slope, sign, written = text.replace(" × ", " ").split()
        closes = fmt_signed(float(error) * float(slope)) == written
        # one sign for the four: "≈", as three of them do not close
        assert closes or sign == "≈"
        assert sign == "≈" and hidden.node_labels[node] == ""
        assert float(error) * float(slope) == pytest.approx(delta, rel=5e-3)
        assert float(written) == pytest.approx(delta, rel=5e-3)  # 3 digits
    assert [float(t.split()[2]) for _, t in hidden.node_notes] == pytest.approx(a * (1 - a), rel=5e-3)


def test_a_caption_reads_its_formula_first_and_its_gloss_smaller_under_it(story):
    """The explanation after a formula goes on its own line, smaller and muted; steps
    --json and inspect still see one caption (formula + gloss)."""
    from nnviz3d.hud import overlay
    from nnviz3d.primitives import THEMES

    _, tl = story
    step = next(s for s in tl.steps if s.kind == "delta" and s.layer == 2 and s.epoch == 1)
    assert step.headline == "l2_delta = l2_error × the slope l2*(1-l2) = -0.474 × 0.249 ≈ -0.118"
    assert step.gloss == ": how much the node's input should move   (record 1 shown, the update sums all 4)"
    assert step.caption == step.headline + step.gloss
    texts, _, _ = overlay(replace(tl, screen="lecture"), step, THEMES["dark"], 1280, 720)
    head = next(t for t in texts if t.text.replace("\n", " ").startswith("l2_delta = l2_error"))
    gloss = next(t for t in texts if t.text.startswith("How much the node's input should move"))
    assert head.bold and not gloss.bold and gloss.color == THEMES["dark"].muted
    assert gloss.size < head.size and gloss.size >= 16 * 1.4  # a 16 px capital at least
    lines = head.text.count("\n") + 1
    assert gloss.y < head.y - lines * head.size / 720  # under the formula, not over it


def test_a_gloss_with_no_room_under_a_two_line_formula_stands_after_its_last_line(story):
    """Reviews 49 and 50: the error step's "(record 1 shown, the update sums all 4)" was
    dropped where the formula took two lines (it now stands under the records table). A
    gloss with no room under its formula, as h1's bias note under "sigmoid(z) = 0.449",
    stands after the last line, on its baseline, within the frame."""
    from nnviz3d.fonts import LATIN_BOLD_FONT, LATIN_FONT, advance_em
    from nnviz3d.hud import overlay
    from nnviz3d.primitives import THEMES

    _, tl = story
    step = next(s for s in tl.steps if s.kind == "node" and s.layer == 1 and s.epoch == 1)
    note = "x3 is 1 in every record: its weights work as the hidden nodes' biases"
    assert step.gloss.strip() == "; " + note
    texts, _, _ = overlay(replace(tl, screen="lecture"), step, THEMES["dark"], 1280, 720)
    head = next(t for t in texts if t.text.startswith("Hidden node h1"))
    (gloss,) = [t for t in texts if t.text == note]
    last = head.text.split("\n")[-1]
    assert head.text.count("\n") == 1 and last.startswith("sigmoid(z) = 0.449")  # two lines
    assert gloss.color == THEMES["dark"].muted and gloss.size < head.size
    end_of_line = head.x * 1280 + advance_em(last, LATIN_BOLD_FONT) * head.size
    assert end_of_line < gloss.x * 1280 < end_of_line + head.size  # after it
    assert gloss.x * 1280 + advance_em(gloss.text, LATIN_FONT) * gloss.size < 1270  # in the frame
    top = head.y * 720 - head.size * 1.2  # the last line's top (the formula's lines 1.2 sizes apart)
    assert top - head.size * 0.5 < gloss.y * 720 < top  # on its line, a little lower (baselines meet)


def test_a_long_formula_breaks_before_an_equals_sign_never_inside_a_side():
    """'l2*(1-l2) = -0.474 × 0.249' on a line of its own would read as a false equation."""
    from nnviz3d.hud import formula_lines
    from nnviz3d.primitives import text_width_em

    text = "l2_delta = l2_error × the slope l2*(1-l2) = -0.474 × 0.249 ≈ -0.118"
    width = text_width_em(text) * 34 * 0.7  # too narrow for one line
    lines = formula_lines(text, 34, width)
    assert lines == "l2_delta = l2_error × the slope l2*(1-l2)\n= -0.474 × 0.249 ≈ -0.118"
    assert formula_lines(text, 34, text_width_em(text) * 34 + 1) == text  # it fits: one line
    assert formula_lines("no formula here", 34, 10) is None
    assert formula_lines("a = " + "x" * 80, 34, 300) is None  # one side alone too wide: plain wrap
    # a rounded product's "≈" breaks as an "=" does (review 44: "-0.118 ×" over "-0.945 ≈")
    first = "l1_error = l2_delta · syn1.T, e.g. h3: -0.118 × -0.945"
    second = "≈ +0.112 (a negative weight flips the sign)"
    text = f"{first} {second}"
    assert formula_lines(text, 46, text_width_em(text) * 46 * 0.6) == f"{first}\n{second}"


def test_the_slope_panel_names_the_range_of_a_layers_slopes(story):
    """Four tangents too close to label one by one: one label gives their range (node 1's
    alone read as every node's)."""
    from nnviz3d.hud import overlay
    from nnviz3d.primitives import THEMES

    _, tl = story
    hidden = next(s for s in tl.steps if s.kind == "delta" and s.layer == 1 and s.epoch == 1)
    words = [t.text for t in overlay(replace(tl, screen="lecture"), hidden, THEMES["dark"], 1280, 720)[0]]
    assert "slopes 0.242 to 0.250" in words and not any(w.startswith("slope 0.") for w in words)
    out = next(s for s in tl.steps if s.kind == "delta" and s.layer == 2 and s.epoch == 1)
    words = [t.text for t in overlay(replace(tl, screen="lecture"), out, THEMES["dark"], 1280, 720)[0]]
    assert "slope 0.249" in words


def test_every_update_keeps_the_mean_error_beside_its_key(story):
    """The top line of each update says what its grey sleeve is and the mean |error| as
    every backward step before it does (review 47b: the error vanished from the English
    updates, whose key was longer, and stayed in the Japanese)."""
    from nnviz3d.frames import THEMES
    from nnviz3d.hud import overlay

    _, tl = story
    updates = [s for s in tl.steps if s.kind == "update"]
    assert len(updates) >= 4
    for step in updates:
        words = [t.text for t in overlay(tl, step, THEMES["dark"], 1280, 720)[0]]
        assert any(w.startswith("mean |error| ") for w in words)
        # its key said where the updates start (the top line's key where it is new)
        first = tl.steps[step.index - 1].kind != "update"
        assert ("grey rim = change" in words) == first, step.index


def test_the_weights_colours_are_keyed_beside_the_backward_pass_and_the_update(story):
    """Review 52a asked for "a permanent blue/orange key": the error step (the deltas sent
    back, where a negative weight flips the sign) and each update say which colour is +,
    beside the mean |error|; blue + and orange - are never apart."""
    from nnviz3d.frames import THEMES
    from nnviz3d.hud import overlay

    _, tl = story
    theme = THEMES["dark"]
    said = []  # (seconds into the video, step) where blue + and orange - are said
    for step in tl.steps:
        texts = {t.text: t for t in overlay(tl, step, theme, 1280, 720)[0]}
        # (an update's says they are the weights': "weight: blue +", reviews 43a, 43b)
        plus = texts.get("blue +") or texts.get("weight: blue +")
        assert (plus is not None) == ("orange -" in texts), step.index  # never apart
        if plus is not None:
            assert plus.color == theme.positive and texts["orange -"].color == theme.negative
            assert plus.x < texts["orange -"].x
            said.append((step.first_frame / tl.fps, step))
    # said where the weights' colours first matter and again at least each KEY_AGAIN seconds
    # of steps that colour by sign (reviews 76a, 77a, 77b: a legend on every frame, one more
    # small text; review 52a: a key to come back to)
    from nnviz3d.hud import KEY_AGAIN

    assert said and said[0][1].index <= 3
    times = [t for t, _ in said]
    assert len(said) >= 5 and max(b - a for a, b in itertools.pairwise(times)) < 3 * KEY_AGAIN


def test_a_panel_of_small_numbers_keeps_three_digits_of_its_largest():
    """Iteration 1998's l1_delta matrix printed -0.0000246 as "-0.0000" and l2_delta's
    -0.000385 as "-0.0004" (review 55d): a matrix whose largest value is under 0.001 takes
    the decimals that give that value three significant digits; iteration 1 keeps four."""
    from dataclasses import replace

    from nnviz3d.pipeline import prepare
    from nnviz3d.scene import load_scene

    scene = load_scene()
    _, tl = prepare(replace(scene, render=replace(scene.render, layout="study")), epochs=(1, 1998))
    panels = {(s.epoch, s.layer): s.panel for s in tl.steps if s.kind == "delta"}
    assert panels[(1998, 1)][1] == "+0.000478  -0.000302  +0.000290  -0.000025"
    assert panels[(1998, 2)][1] == "-0.0198 × 0.0194 = -0.000385"
    assert panels[(1998, 2)][-1] == "sum over the batch = -0.000156"
    assert panels[(1, 1)][1] == "+0.0173  -0.0223  +0.0277  -0.0097"
    assert panels[(1, 2)][1] == "-0.4737 × 0.2493 = -0.1181"


def test_the_errors_bars_keep_one_scale_for_the_whole_video(story):
    """Iteration 2000's errors (0.03 at most) drew longer than iteration 1's (0.5) on scales
    of their own (review 60a): one scale, iteration 1's largest |l2_error| (0.545), for all."""
    _, tl = story
    shown = [s for s in tl.steps if s.kind == "display_error" and s.bars is not None]
    assert {s.epoch for s in shown} >= {1, 2000}
    assert len({s.bars.scale for s in shown}) == 1 and shown[0].bars.scale == pytest.approx(
        0.54470837, abs=1e-8
    )

    def longest(step):  # the longest signed bar drawn, in pixels
        from nnviz3d.hud import overlay
        from nnviz3d.primitives import THEMES

        _, rects, _ = overlay(tl, step, THEMES["dark"], 1280, 720)
        signs = (THEMES["dark"].positive, THEMES["dark"].negative)
        return max((r.x1 - r.x0) * 1280 for r in rects if r.color in signs and r.opacity == 1.0)

    first, last = (next(s for s in shown if s.epoch == e) for e in (1, 2000))
    assert longest(last) < 0.2 * longest(first)  # (a wider room beside the short names "1".."4")


def test_a_saturated_hidden_node_is_said_where_its_delta_is_made(story):
    """Review 71a: at iteration 1998 h4's slope is 0.0108 (it barely learns) and no caption
    said so; iteration 1's slopes (0.242 to 0.250) say nothing of it."""
    _, tl = story
    late = next(s for s in tl.steps if s.epoch == 1998 and s.kind == "delta" and s.layer == 1)
    slopes = [late.values[f"l1[0,{j}]"] * (1 - late.values[f"l1[0,{j}]"]) for j in range(4)]
    assert f"{min(slopes):.3g}" == "0.0108" and int(np.argmin(slopes)) == 3
    # record 1's slope, said as record 1's: over all four records h4's weights change the
    # most in iteration 1998 (review 72b read "it barely learns" as the node's, not the record's)
    assert late.gloss.startswith(
        ": on record 1 h4's slope 0.0108 is nearly 0 (its value 0.989 is near 1),"
        " so this record barely moves its weights"
    )
    early = next(s for s in tl.steps if s.epoch == 1 and s.kind == "delta" and s.layer == 1)
    assert "barely moves" not in early.caption


def test_the_lecture_table_says_which_square_is_the_output_and_which_the_target(story):
    """Reviews 71-73: the table's grey and green squares were explained only in the study
    layout's legend. In the lecture layout its last row says so: a grey square, "output",
    a green one, "target", under the records' rows; the hall draws no squares, nor the key.
    (In the step that shows the four errors: the table is faint while the hidden errors are
    sent back.)"""
    from nnviz3d.hud import overlay
    from nnviz3d.primitives import THEMES

    dark = THEMES["dark"]
    _, tl = story
    step = next(s for s in tl.steps if s.kind == "display_error" and s.epoch == 1)
    texts, rects, _ = overlay(replace(tl, screen="lecture"), step, dark, 1280, 720)
    output = next(t for t in texts if t.text == "output")
    target = next(t for t in texts if t.text == "target")
    assert output.y == pytest.approx(target.y) and output.x < target.x
    last_row = min(t.y for t in texts if t.mono and t.text == "1 1 1")
    assert output.y < last_row - 0.02  # under the records
    for word, colour in ((output, dark.node), (target, dark.target)):
        level = [r for r in rects if abs((r.y0 + r.y1) / 2 - word.y) < 0.005]
        square = next(r for r in level if r.color == colour and r.x1 <= word.x)
        assert word.x - square.x1 < 0.02 and (square.y1 - square.y0) * 720 >= 15  # just before its word
    hall = [t.text for t in overlay(replace(tl, screen="hall"), step, dark, 1280, 720)[0]]
    assert "output" not in hall and "target" not in hall


def test_the_top_lines_key_is_said_where_it_is_new(story):
    """Reviews 76a, 77a, 77b: the top line's legend on every frame, small, was one more text
    to read. Each of its items is said in the step where it is new (the step before, or a
    card, had it not) and again each KEY_AGAIN seconds while it stays: the first node step
    says the signs' colours, the next do not, in lecture and hall; what the numbers on the
    weights are stays on every node step."""
    from nnviz3d.frames import THEMES
    from nnviz3d.hud import overlay

    _, tl = story
    theme = THEMES["dark"]

    def said(step):
        return {t.text for t in overlay(tl, step, theme, 1280, 720)[0]}

    nodes = [s for s in tl.steps if s.kind == "node" and s.epoch == 1][:2]
    # what the numbers on the weights are stays with them (review 78a: s010's products,
    # unkeyed, read as weights); the signs' colours are said where they are new
    assert all("number on a weight: input × weight" in said(node) for node in nodes)
    assert "blue +" in said(tl.steps[nodes[0].index - 1]) and "blue +" not in said(nodes[1])
    assert "thick = large |weight|, sphere = value" not in said(nodes[1])
    error = next(s for s in tl.steps if s.kind == "error" and s.epoch == 1)
    after = tl.steps[error.index + 1]
    assert "hollow arrow = wanted change" in said(error) and "blue +" not in said(error)
    assert after.kind == "delta" and "purple fill = error × slope" in said(after)
    hall = replace(tl, screen="hall")
    words = {t.text for t in overlay(hall, nodes[1], theme, 1280, 720)[0]}
    assert "blue +" not in words
    study = replace(tl, screen="study")  # (its legend panel is every frame's)
    assert overlay(study, nodes[1], theme, 1280, 720)[0]
