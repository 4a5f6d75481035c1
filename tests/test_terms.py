"""A colour per term: the caption writes each number in the colour the picture gives it
(a weight in its sign's blue or orange, a delta in the backward pass's purple, a slope
in yellow, a node's new value in the accent), and the renderer draws the coloured pieces exactly
where the whole line would put them."""

import itertools
import os
import re
from dataclasses import replace

import numpy as np
import pytest

from nnviz3d.frames import frame_state
from nnviz3d.hud import overlay, spans_of
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import THEMES, Label3D, Text2D
from nnviz3d.scene import load_scene

W, H = 1280, 720
DARK = THEMES["dark"]


@pytest.fixture(scope="module")
def run():
    return prepare(load_scene(), epochs=(1, 2000))


def _step(tl, kind, layer=None, record=None):
    return next(
        s
        for s in tl.steps
        if s.epoch == 1
        and s.kind == kind
        and (layer is None or s.layer == layer)
        and (record in (None, s.record))
    )


def _caption_pieces(tl, step) -> dict[str, tuple]:
    """The coloured pieces of the caption drawn for ``step`` in the lecture: text -> colour."""
    texts, _, _ = overlay(tl, step, DARK, W, H)
    caption = next(t for t in texts if t.spans)
    return {caption.text[s:e]: colour for s, e, colour in caption.spans}


def test_a_node_writes_its_weights_in_their_signs_colours_and_its_value_in_the_accent(run):
    _, tl = run
    step = _step(tl, "node", layer=2, record=0)  # the output node of record 1
    # to 4 decimals: to 3 the products add up to -0.106, not z = -0.105
    assert "0.4486×(-0.5911) + 0.5194×(0.7562)" in step.caption
    pieces = _caption_pieces(tl, step)
    assert pieces["-0.5911"] == DARK.negative
    assert pieces["0.7562"] == DARK.positive
    assert pieces["0.474"] == DARK.accent  # sigmoid(z): the node's value, magenta on the node too
    assert pieces["0.4486"] == DARK.text  # the inputs: the nodes' white numbers (a span to fly in)


def test_the_chain_rule_colours_error_slope_and_delta(run):
    _, tl = run
    step = _step(tl, "delta", layer=2)
    assert "= -0.474 × 0.249 ≈ -0.118" in step.caption
    pieces = _caption_pieces(tl, step)
    assert pieces == {
        "l2_delta": DARK.backward,
        "l2*(1-l2)": DARK.slope,
        "-0.474": DARK.negative,  # the error: its hollow arrow points down, orange
        "0.249": DARK.slope,  # the slope: the tangent's colour in the sigmoid panel
        "-0.118": DARK.backward,  # the delta: its number on the node, its arrow, its tubes
    }


def test_a_hidden_error_colours_the_delta_sent_back_the_weight_and_what_arrives(run):
    _, tl = run
    step = _step(tl, "error", layer=1)
    assert "-0.118 × -0.945 ≈ +0.112" in step.caption
    pieces = _caption_pieces(tl, step)
    assert pieces["-0.118"] == DARK.backward
    assert pieces["-0.945"] == DARK.negative
    assert pieces["+0.112"] == DARK.positive


def test_the_output_error_colours_the_target_and_the_error(run):
    _, tl = run
    step = _step(tl, "output_error", record=1)  # record 2: target 1
    assert step.caption.endswith("= 1 - 0.489 = +0.511")  # as the picture writes them
    pieces = _caption_pieces(tl, step)
    assert pieces == {"1": DARK.target, "0.489": DARK.text, "+0.511": DARK.positive}  # output: white


def test_a_term_is_a_whole_token_found_in_order():
    terms = (("1", "target"), ("-0.5", "weight"), ("2", "target"))
    text = "l1 = 1 + l2*(-0.5) - 0.52 + 2"
    spans = spans_of(DARK, terms, text)
    assert [text[s:e] for s, e, _ in spans] == ["1", "-0.5", "2"]
    assert spans[0][0] == text.index("= 1") + 2  # not the 1 of l1
    assert spans[2][0] == len(text) - 1  # not the 2 of l2 or of 0.52
    assert spans_of(DARK, (("0", "weight"), ("7", "target")), "a 0 b") == ()  # no sign, not there


def test_the_delta_notes_colour_the_error_and_the_slope(run):
    _, tl = run
    step = _step(tl, "delta", layer=1)
    frame = step.first_frame + step.n_frames - 1
    state = frame_state(tl, frame, W, H)
    # "error x slope" over "~ delta" beside each node, read left to right: its error in its
    # sign's colour, the slope in the slope's, the delta in the backward pass's purple
    notes = [lb for lb in state.labels if " × " in lb.text or lb.text[:2] in ("= ", "≈ ")]
    assert [lb.text for lb in notes] == [
        "+0.0698 × 0.247", "≈ +0.0173", "-0.0893 × 0.250", "≈ -0.0223",
        "+0.112 × 0.248", "≈ +0.0277", "-0.0403 × 0.242", "≈ -0.00973",
    ]  # fmt: skip
    first = {lb.text[s:e]: c for lb in notes[:2] for s, e, c in lb.spans}
    # the picture's 3 digits, "~" where 0.0698 x 0.247 misses the delta +0.0173 as written
    assert first == {"+0.0698": DARK.positive, "0.247": DARK.slope, "+0.0173": DARK.backward}
    assert notes[0].position[0] == notes[1].position[0] and notes[0].position[1] > notes[1].position[1]
    # the delta is the note's: not written again left of its node
    assert [lb.text for lb in state.labels].count("+0.0173") == 0


@pytest.fixture(scope="module")
def renderer():
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    from nnviz3d.render_vtk import VtkFrameRenderer

    r = VtkFrameRenderer(W, H)
    yield r
    r.close()


def _bare(run):
    """A frame with nothing but what a test puts in it."""
    _, tl = run
    state = frame_state(tl, 0, W, H)
    return replace(state, texts=(), labels=(), rects=(), polylines=(), sphere_radii=state.sphere_radii * 0)


@pytest.mark.parametrize("font", [None, "cjk"])
def test_coloured_pieces_sit_exactly_where_the_whole_text_puts_them(run, renderer, font):
    from nnviz3d.fonts import find_japanese_font

    bare = replace(_bare(run), font_file=find_japanese_font() if font else None)
    text = "z = 0.449×(-0.591) + 0.519×(0.756)\n+ 0.460×(-0.945) = -0.1052\nsigmoid(z) = 0.4737"
    terms = ("-0.591", "0.756", "0.4737")
    spans = tuple((text.index(t), text.index(t) + len(t), (1.0, 1.0, 1.0)) for t in terms)
    whole = Text2D(text, 0.02, 0.9, 34, (1.0, 1.0, 1.0), bold=True)
    a = renderer.render(replace(bare, texts=(whole,)))
    b = renderer.render(replace(bare, texts=(replace(whole, spans=spans),)))
    assert a.std() > 1  # something was drawn
    assert np.array_equal(a, b)  # in one colour, the pieces are the whole text, pixel for pixel
    # in their own colour: magenta where "-0.591" is, white elsewhere
    red = tuple((s, e, (1.0, 0.0, 1.0)) for s, e, _ in spans)
    c = renderer.render(replace(bare, texts=(replace(whole, spans=red),)))
    changed = np.abs(c.astype(int) - a.astype(int)).max(axis=2) > 40
    assert changed.any()
    assert (c[changed][:, 1] < c[changed][:, 0]).all()  # the changed pixels are magenta
    assert np.nonzero(changed)[0].max() < 0.1 * H + 3 * 40  # within the text's three lines


def test_a_labels_coloured_pieces_keep_its_place_and_backdrop(run, renderer):
    bare = _bare(run)
    _, tl = run
    anchor = tuple(float(v) for v in tl.layout.nodes[5])
    label = Label3D("= +0.0698 × 0.247", anchor, 28, DARK.text, DARK.panel, align="left", valign="center")
    white = ((2, 9, DARK.text), (12, 17, DARK.text))
    a = renderer.render(replace(bare, labels=(label,)))
    b = renderer.render(replace(bare, labels=(replace(label, spans=white),)))
    # pieces with backdrops: the same place; at most a seam of a pixel column per piece
    differ = np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 30
    assert differ.sum() < 2 * 40
    for align in ("center", "right"):
        one = replace(label, align=align)
        a = renderer.render(replace(bare, labels=(one,)))
        b = renderer.render(replace(bare, labels=(replace(one, spans=white),)))
        assert (np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 30).sum() < 2 * 40


def test_every_number_on_a_weight_is_in_its_signs_colour():
    from nnviz3d.hud import sign_spans

    text = "-0.627 -> +0.0715 or 0.393, 0 and l1"
    spans = sign_spans(DARK, text)
    assert [(text[s:e], c) for s, e, c in spans] == [
        ("-0.627", DARK.negative),
        ("+0.0715", DARK.positive),
        ("0.393", DARK.positive),
    ]


def test_slopes_have_a_colour_of_their_own(run):
    _, tl = run
    step = _step(tl, "delta", layer=1)
    texts, _, lines = overlay(tl, step, DARK, W, H)
    assert DARK.slope not in (DARK.accent, DARK.negative, DARK.positive, DARK.backward, DARK.target)
    assert any(t.color == DARK.slope and t.text.startswith("slopes 0.242 to 0.250") for t in texts)
    assert sum(line.color == DARK.slope for line in lines) == 4  # a tangent per hidden node


def test_what_a_weight_carries_is_written_when_it_has_arrived(run):
    _, tl = run
    for kind, layer in (("node", 2), ("error", 1)):
        step = _step(tl, kind, layer=layer, record=0 if kind == "node" else None)
        first = frame_state(tl, step.first_frame, W, H)
        last = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
        # input x weight on each weight; delta × weight = the hidden errors, beside their nodes
        carried = {text for _, text in step.edge_values} if kind == "node" else set()
        for _, note in () if kind == "node" else step.node_notes:  # "delta × w" over "= error"
            head, _, tail = note.rpartition(" ")
            carried |= {head.rsplit(" ", 1)[0], f"{head.rsplit(' ', 1)[1]} {tail}"}
        assert len(carried) == (4 if kind == "node" else 8)
        assert not carried & {lb.text for lb in first.labels}  # the beads and tubes on their way
        assert carried <= {lb.text for lb in last.labels}


def test_the_backward_pass_and_the_first_example_move_slowly_enough_to_follow(run):
    from nnviz3d.frames import BACKWARD_TWEEN_SECONDS, SENT_BACK_SECONDS, TWEEN_SECONDS, frame_key

    _, tl = run
    first = _step(tl, "node", layer=1, record=0)  # the first example: slow, moving most of it
    sent_back = _step(tl, "error", layer=1)  # the first iteration's deltas sent back: slow too
    for kind, seconds, record in (
        ("error", 0.9 * sent_back.duration, None),
        ("delta", BACKWARD_TWEEN_SECONDS, None),
        ("node", TWEEN_SECONDS, 1),
        ("node", 0.8 * first.duration, 0),
    ):
        step = _step(tl, kind, layer=1, record=record)
        keys = {frame_key(tl, f) for f in range(step.first_frame, step.first_frame + step.n_frames)}
        assert len(keys) == min(step.n_frames, round(seconds * tl.fps))  # one drawn frame per tween frame
    assert BACKWARD_TWEEN_SECONDS >= 2 * TWEEN_SECONDS and SENT_BACK_SECONDS > BACKWARD_TWEEN_SECONDS


def test_a_coloured_label_keeps_one_backdrop(run, renderer):
    bare = _bare(run)
    _, tl = run
    anchor = tuple(float(v) for v in tl.layout.nodes[5])
    label = Label3D("-0.627 -> -0.638", anchor, 28, DARK.text, DARK.panel)
    grey = replace(label, spans=((0, 6, DARK.text), (10, 16, DARK.text)))
    a = renderer.render(replace(bare, labels=(label,)))
    b = renderer.render(replace(bare, labels=(grey,)))
    # no darker seams where pieces meet (two backdrops of 0.7 overlapping differ by ~20):
    # the glyphs' edges blend a level or three apart
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 4


def test_the_formula_builds_up_while_the_picture_moves(run):
    """Hall and lecture write a caption part by part (split at each "="): the
    definition first, the numbers plugged in, the result when the picture has arrived."""
    from nnviz3d.hud import caption_parts, caption_parts_shown

    _, tl = run
    step = _step(tl, "delta", layer=2)  # l2_delta = ... l2*(1-l2) = -0.474 x 0.249 ≈ -0.118
    assert caption_parts(step) == 4
    assert [caption_parts_shown(step, p) for p in (0.01, 0.34, 0.67, 0.99, 1.0)] == [1, 2, 3, 3, 4]
    frames = range(step.first_frame, step.first_frame + step.n_frames)
    written = []
    for f in frames:
        caption = next(t for t in frame_state(tl, f, W, H).texts if t.spans)
        hidden = [s for s, _, colour, *_ in caption.spans if colour is None]
        written.append(caption.text[: hidden[0]] if hidden else caption.text)
    assert written[0] == "l2_delta "
    assert written[-1] == step.headline  # whole at the end, and held
    assert all(a == b[: len(a)] for a, b in itertools.pairwise(written))  # only ever grows
    assert len(set(written)) == 4


def test_a_worked_out_number_appears_with_the_result(run):
    _, tl = run
    step = _step(tl, "delta", layer=1)
    first = frame_state(tl, step.first_frame, W, H)
    last = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
    deltas = {"+0.0173", "-0.0223", "+0.0277", "-0.00973"}
    assert not [lb for lb in first.labels if lb.text[2:] in deltas]
    # error x slope stands from the start, where the delta will be written under it
    assert "+0.0698 × 0.247" in {lb.text for lb in first.labels}
    assert {f"{lb.text[:2]}{d}" for lb in last.labels for d in deltas if lb.text[2:] == d} == {
        "≈ +0.0173", "≈ -0.0223", "≈ +0.0277", "≈ -0.00973",
    }  # fmt: skip


def test_the_tubes_sent_back_run_beside_their_weights(run):
    """Purple beside each weight of the error step, not around it: the weight keeps its
    sign's colour (purple over orange read as a salmon of no meaning)."""
    _, tl = run
    step = _step(tl, "error", layer=1)
    state = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
    purple = np.all(np.isclose(state.cylinder_colors, DARK.backward), axis=1)
    assert purple.sum() == 4  # a tube per syn1 weight
    lay = tl.layout
    back = [sig.edge for sig in step.signals if not sig.forward]  # the tubes' order
    for centre, e in zip(state.cylinder_centers[purple], back, strict=True):
        a, b = lay.nodes[lay.edge_from[e]], lay.nodes[lay.edge_to[e]]
        axis = (b - a) / np.linalg.norm(b - a)
        off = (centre - a) - np.dot(centre - a, axis) * axis  # from the weight's axis
        assert 0.05 < np.linalg.norm(off[:2]) < 0.4 and off[1] > 0  # above it, clear of it


def test_the_weights_written_out_keep_the_bright_sleeve(run):
    """syn0's update writes 3 of its 12 weights before -> after: their sleeves stay bright,
    the others' dimmer, so each number is seen on its own weight."""
    _, tl = run
    step = _step(tl, "update", layer=0)
    state = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
    bright = np.all(np.isclose(state.ghost_colors, DARK.muted), axis=1)
    assert len(state.ghost_colors) == 12 and bright.sum() == len(step.edge_values) == 3
    assert (state.ghost_colors[~bright].sum(axis=1) < np.sum(DARK.muted)).all()
    syn1 = _step(tl, "update", layer=1)  # every weight written: every sleeve bright
    state = frame_state(tl, syn1.first_frame + syn1.n_frames - 1, W, H)
    assert np.all(np.isclose(state.ghost_colors, DARK.muted))


def test_the_numbers_fly_from_the_picture_into_the_formula(run):
    """A node's worked example: its input and weight fly from the picture (the input from
    its node) into their place, while their part of the formula is written."""
    from nnviz3d.frames import project

    _, tl = run
    step = next(s for s in tl.steps if s.epoch == 1 and s.kind == "node" and s.layer == 1)
    lay = tl.layout
    flying = {}
    for f in range(step.first_frame, step.first_frame + step.n_frames):
        state = frame_state(tl, f, W, H)
        caption = next(t for t in state.texts if t.spans)
        for s, e, _, *flight in caption.spans:
            if flight and flight[0] is not None and 0 < flight[0][2] < 1:
                flying.setdefault((caption.text[s:e], s), []).append((flight[0], state.camera))
    assert {"0", "1", "-0.166"} <= {text for text, _ in flying}  # x1 = 0, x3 = 1, x1's weight into h1
    x3 = lay.nodes[lay.node_id(0, 2)]
    ones = [pieces for (text, _), pieces in flying.items() if text == "1"]
    (x, y, _, slot), camera = ones[-1][0]  # x3's, the last input
    assert sum(slot) < sum(DARK.text) / 2  # its slot: dim
    assert (x, y) == pytest.approx(tuple((project(camera, x3[None, :], W / H)[0] + 1) / 2))
    for pieces in flying.values():
        ts = [t for (_, _, t, _), _ in pieces]
        assert ts == sorted(ts)  # never back
    assert max(len(p) for p in flying.values()) >= 5  # on its way over several frames
    last = frame_state(tl, step.first_frame + step.n_frames - 1, W, H)
    assert all(len(span) == 3 for t in last.texts for span in t.spans)  # landed: no flight left


def _written(text) -> str:
    """What of a caption is drawn: its characters outside the spans not written yet."""
    hidden = {i for s, e, colour, *_ in text.spans if colour is None for i in range(s, e)}
    return "".join(c for i, c in enumerate(text.text) if i not in hidden)


def test_the_hidden_errors_example_is_written_as_its_token_goes(run):
    """In the first iteration, the caption's example is written with the token that works it
    out: "l1_error" while out's delta comes along h3's weight; the formula with its numbers
    once the token has taken the weight in ("-0.118 × -0.945"); the result when the pill has
    become one number (review 53d: the caption said "l1_error" until the motion was over,
    not built while it happened). Nothing flies into it: the token brings its numbers."""
    from nnviz3d.frames import TOKEN_PHASES
    from tests.test_wants import _token_times

    _, tl = run
    step = _step(tl, "error", layer=1)
    _, under, made, _ = TOKEN_PHASES
    seen = set()
    for f, t in _token_times(tl, step, tl.layout.edge_id(1, 2, 0)):  # h3's: the example's
        state = frame_state(tl, f, W, H)
        caption = next(t for t in state.texts if t.spans)
        written = _written(caption)
        assert all(len(span) == 3 for span in caption.spans)  # no flight
        formula = "l2_delta · syn1.T, e.g. h3: -0.118 × -0.945" in written
        result = "\u2248 +0.112 (a negative weight flips the sign)" in written.replace("\n", " ")
        assert written.startswith("l1_error")
        if t < under - 0.02:
            assert not formula and not result
            seen.add("name")
        elif under + 0.02 < t < made - 0.02:
            assert formula and not result
            seen.add("formula")
        elif t > made + 0.02:
            assert formula and result
            seen.add("result")
    assert seen == {"name", "formula", "result"}


def test_a_flying_piece_is_drawn_between_its_origin_and_its_place(run, renderer):
    bare = _bare(run)
    text = "z = 0.449×(-0.591)"
    s = text.index("-0.591")
    base = Text2D(text, 0.05, 0.9, 34, (1.0, 1.0, 1.0), bold=True)

    def magenta_at(t: float) -> np.ndarray:  # the piece's pixels when it has flown t of the way
        span = (s, s + 6, (1.0, 0.0, 1.0), (0.5, 0.4, t, (0.3, 0.0, 0.3)))
        im = renderer.render(replace(bare, texts=(replace(base, spans=(span,)),)))
        return np.argwhere((im[:, :, 0] > 150) & (im[:, :, 1] < 80) & (im[:, :, 2] > 150))

    landed, start = magenta_at(1.0), magenta_at(0.0)
    assert landed.size and landed[:, 0].max() < 0.1 * H + 40  # in the caption's line
    assert start[:, 0].min() > 0.1 * H + 40  # bright only where it flies (its slot is dim)
    # at its origin: the piece's top-left at (0.5, 0.4) of the frame (y from the bottom)
    assert start[:, 0].min() == pytest.approx(0.6 * H, abs=8)
    assert start[:, 1].min() == pytest.approx(0.5 * W, abs=8)


def _closing(text: str) -> list[tuple[str, str, str]]:
    """(arithmetic as written, "=" or "~", result as written) in a caption or a note: each
    "=" or "~" with the numbers-only formula before it and the number after it."""
    parts = re.split(r"\s([=≈])\s", text)
    found = []
    for i in range(1, len(parts) - 1, 2):
        left = re.split(r"[:;,]\s", parts[i - 1])[-1].strip().replace(" × ", "*").replace("×", "*")
        right = re.match(r"[-+]?\d+\.\d+", parts[i + 1])
        if right and re.fullmatch(r"[-+*() .\d]+", left) and re.search(r"\*|\d \S* ?[-+] ", left):
            found.append((left, parts[i], right.group()))
    return found


def test_an_equals_sign_holds_for_the_numbers_as_written(run):
    """A sum or product of rounded numbers is written "=" only where it gives the result as
    written; elsewhere "≈" (the result is the recorded one): a student with a calculator
    is never told an equality that fails. The backward pass's products, of numbers to 3
    digits, all say "≈" (reviews 43a and 43b read h3's "= +0.112" beside "≈" as exact
    where the others were not; 56a and 56b, iteration 1998's "=" beside iteration 1's "≈")."""
    _, tl = run
    checked = {"=": 0, "≈": 0, "≈ though it closes": 0}
    for step in (s for s in tl.steps if s.epoch in (1, 1998)):
        signs = {text.split()[-2] for _, text in step.node_notes if text[:2] not in ("= ", "≈ ")}
        assert len(signs) <= 1, (step.index, step.node_notes)
        texts = [step.caption.replace("\n", " ")]
        labels = dict(enumerate(step.node_labels))  # a note "= error x slope": its delta over it
        notes = [(node, text) for node, text in step.node_notes if text[:2] in ("= ", "≈ ")]
        texts += [f"{text[2:]} {text[0]} {labels[node]}" for node, text in notes]
        texts += [text for _, text in step.node_notes if text[:2] not in ("= ", "≈ ")]
        for expr, sign, result in (found for text in texts for found in _closing(text)):
            decimals = len(result.split(".")[1])
            value = eval(expr)  # digits, signs, products and brackets only (checked above)
            closes = f"{value:.{decimals}f}" == f"{float(result):.{decimals}f}"
            assert closes or sign == "≈", (step.index, expr, sign, result, value)
            checked[sign if not closes or sign == "=" else "≈ though it closes"] += 1
    # the forward sums close with one more digit on their operands; the deltas' products keep
    # the picture's 3 digits and say "≈" where those do not close (3 of iteration 1's 4), and
    # so do their neighbours that close (h2's -0.0893 × 0.250, h3's -0.118 × -0.945)
    assert checked["="] >= 25 and checked["≈"] >= 3 and checked["≈ though it closes"] >= 2, checked


def test_a_recaps_deltas_sent_back_fly_no_numbers_into_the_formula(run):
    """In iteration 2000 the error step is quick and sends no tokens: its caption's numbers
    flying up from out and the weight were read as copies written over the originals
    (three reviews); they are written in place."""
    _, tl = run
    step = next(s for s in tl.steps if s.kind == "error" and s.epoch == 2000)
    assert step.senders
    for f in range(step.first_frame, step.first_frame + step.n_frames):
        caption = next(t for t in frame_state(tl, f, W, H).texts if t.spans)
        assert all(len(span) == 3 or span[3] is None for span in caption.spans)
