"""The story to the end: the fast forward over the cut from iteration 3 to 1998, the
epilogue's log-spaced iterations after 2000, and the summary."""

import itertools
import json
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from nnviz3d.cli import main
from nnviz3d.frames import THEMES, frame_state, project
from nnviz3d.hud import overlay
from nnviz3d.mlp import forward
from nnviz3d.pipeline import estimate_seconds, prepare
from nnviz3d.scene import load_scene, scene_from_dict
from nnviz3d.timeline import fmt, fmt_sig, story, story_seconds
from tests.helpers import study

ROOT = Path(__file__).resolve().parent.parent
TIMELAPSE = [10, 20, 50, 100, 200, 500, 1000]  # between iterations 3 and 1998: 1, 2, 5 x 10^k
EPILOGUE = [10000, 60000]  # after 2000
GLANCE = TIMELAPSE + EPILOGUE
DARK = THEMES["dark"]


@pytest.fixture(scope="module")
def default():
    return prepare(load_scene())


def test_default_timeline_ends_with_the_epilogue_then_the_summary(default):
    _, tl = default
    kinds = [s.kind for s in tl.steps]
    assert kinds[-1] == "summary" and kinds.count("summary") == 1
    # the epilogue, then what the trained nodes compute, big (test_features.py), then the summary
    assert kinds[-2] == "features"
    tail = tl.steps[-2 - len(EPILOGUE) : -2]
    assert [s.kind for s in tail] == ["epilogue"] * len(EPILOGUE)
    assert [s.epoch for s in tail] == EPILOGUE
    card = tl.steps[-3 - len(EPILOGUE)]
    assert card.kind == "card" and card.caption == "To the end at a glance: iteration 10000 to 60000"
    assert tl.steps[-1].epoch == 60000
    # compact: one step per iteration, never node by node
    assert not any(s.kind == "node" and s.epoch in GLANCE for s in tl.steps)
    assert all(s.duration == 2.0 for s in tail)


def test_the_cut_from_3_to_1998_is_a_fast_forward(default):
    """After iteration 3 ends, iterations 10, 100 and 1000 pass at a glance (on the big
    chart, with the outputs against the targets), then the card of iteration 1998, which
    counts from the fast-forward's last (reviews 56a, 56b: "1994 iterations later" right
    after iteration 1000 was a jump unexplained)."""
    trace, tl = default
    kinds = [s.kind for s in tl.steps]
    first = kinds.index("timelapse")
    lapse = tl.steps[first : first + len(TIMELAPSE)]
    assert tl.steps[first - 1].kind == "end" and tl.steps[first - 1].epoch == 3
    assert [s.kind for s in lapse] == ["timelapse"] * 7 and [s.epoch for s in lapse] == TIMELAPSE
    after = tl.steps[first + len(TIMELAPSE)]
    assert after.kind == "skip"
    assert after.caption == (
        "... 997 iterations after iteration 1000: iteration 1998, step by step again,"
        " to see how small the steps have become"
    )
    assert after.values["skipped_iterations"] == 997.0  # 1001 to 1997
    assert after.card == (
        "... 997 iterations after iteration 1000:",
        "iteration 1998, step by step again, to see how small the steps have become",
    )
    assert kinds.count("timelapse") == 7
    assert lapse[3].caption == (
        "Fast forward to iteration 100: mean |error| 0.45874; "
        "outputs 0.367 0.524 0.578 0.570 vs targets 0 1 1 0"
    )
    for s in lapse:
        u = trace.updates[(s.epoch, 1)]
        assert s.values["mean_abs_error"] == trace.summaries.mean_abs_error[s.epoch - 1]
        assert np.array_equal(s.visual.outputs, u.outputs)
        assert np.array_equal(s.visual.weights, np.concatenate([w.ravel() for w in u.weights_before]))
    # the big chart of the whole run, drawn up to the step's iteration
    texts = overlay(tl, lapse[3], THEMES["dark"], 1280, 720)[0]
    assert "mean |error| per iteration (log scales)" in [t.text for t in texts]
    assert "0.45874" in [t.text for t in texts] and "0.04303" not in [t.text for t in texts]


def test_the_fast_forwards_value_stands_clear_of_the_charts_title(default):
    """Iteration 10's mean |error| (0.49531) is near the chart's top: up and right of its
    dot it was written over "(log scales)" (review 54b); it stands where it covers no text."""
    from nnviz3d.primitives import text_width_em

    _, tl = default
    step = next(s for s in tl.steps if s.kind == "timelapse" and s.epoch == 10)
    w, h = 1280, 720
    texts = overlay(tl, step, THEMES["dark"], w, h)[0]

    def box(t):  # (x0, y0, x1, y1) in frame fractions, y up
        width, height = text_width_em(t.text) * t.size / w, 1.15 * t.size / h
        x0 = {"left": t.x, "center": t.x - width / 2, "right": t.x - width}[t.align]
        y0 = {"bottom": t.y, "center": t.y - height / 2, "top": t.y - height}[t.valign]
        return x0, y0, x0 + width, y0 + height

    (value,) = [t for t in texts if t.text == "0.49531" and t.bold]
    (title,) = [t for t in texts if t.text == "mean |error| per iteration (log scales)"]
    a, b = box(value), box(title)
    assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_an_earlier_value_stands_under_or_over_its_own_dot(default, layout):
    """Left of its dot, iteration 10's 0.49531 was read as iteration 3's (reviews 58b, 60b):
    each earlier value written stands centred under or over its dot, where it has room."""
    _, tl = default
    tl = replace(tl, screen=layout)
    step = next(s for s in tl.steps if s.kind == "epilogue" and s.epoch == 60000)
    texts, rects, _ = overlay(tl, step, THEMES["dark"], 1280, 720)
    dots = [r for r in rects if r.color == THEMES["dark"].text and r.opacity == 1.0 and r.x1 - r.x0 < 0.012]
    written = {t.text: t for t in texts if t.text in ("0.49531", "0.45874", "0.04303", "0.00859")}
    assert {"0.49531", "0.45874", "0.04303"} <= set(written)

    def centred(value):
        width = len(value.text) * 0.6 * value.size / 1280
        return any(abs(value.x + width / 2 - (d.x0 + d.x1) / 2) < 1e-9 for d in dots)

    # where there is room (under the plot's floor or by the current value there may not be)
    assert centred(written["0.49531"]) and centred(written["0.45874"])
    assert sum(map(centred, written.values())) >= len(written) - 1


def test_no_fast_forward_without_a_1_2_5_step_in_the_gap():
    scene = load_scene()
    scene = replace(scene, render=replace(scene.render, epochs=(1, 2, 5, 6)))
    assert [b.epoch for b in story(scene, scene.render.epochs) if b.kind == "timelapse"] == []
    scene = replace(scene, render=replace(scene.render, epochs=(20, 21, 150)))
    assert [b.epoch for b in story(scene, scene.render.epochs) if b.kind == "timelapse"] == [10, 50, 100]


def test_the_epilogue_iterations_are_recorded_whole(default):
    trace, _ = default
    for e in EPILOGUE:
        u = trace.updates[(e, 1)]
        assert u.mean_abs_error == trace.summaries.mean_abs_error[e - 1]
    assert trace.final_weights[0] is not None
    for w, after in zip(trace.final_weights, trace.updates[(60000, 1)].weights_after, strict=True):
        assert np.array_equal(w, after)


def test_epilogue_captions_give_the_trace_numbers(default):
    trace, tl = default
    errors = trace.summaries.mean_abs_error
    for s in (s for s in tl.steps if s.kind == "epilogue"):
        e = float(errors[s.epoch - 1])
        assert s.values["mean_abs_error"] == e
        outputs = trace.updates[(s.epoch, 1)].outputs.ravel()
        words = " ".join(fmt_sig(float(o)) for o in outputs)  # as the outputs table writes them
        assert s.caption == (
            f"Iteration {s.epoch}: mean |error| {fmt(e, 5)}; outputs {words} vs targets 0 1 1 0"
        )
        assert s.display_error == e and s.display_error_epoch == s.epoch
        assert np.array_equal(s.visual.outputs, trace.updates[(s.epoch, 1)].outputs)
    last = tl.steps[-3]  # (then the features, then the summary)
    assert last.values["mean_abs_error"] == pytest.approx(0.0031835307, abs=1e-9)
    assert last.caption == (
        "Iteration 60000: mean |error| 0.00318; outputs 0.00261 0.997 0.997 0.00387 vs targets 0 1 1 0"
    )
    tenk = next(s for s in tl.steps if s.kind == "epilogue" and s.epoch == 10000)
    assert tenk.values["mean_abs_error"] == pytest.approx(0.0085850251, abs=1e-9)
    assert tenk.caption.startswith(
        "Iteration 10000: mean |error| 0.00859; outputs 0.00702 0.991 0.992 0.0105"
    )
    # what the seed prints at j = 10000, which is iteration 10001
    assert errors[10001 - 1] == pytest.approx(0.0085845257, abs=1e-9)
    # the last frame's chart writes every iteration it dots, 10000's too (up and left of
    # its dot: up and right is the current value's place)
    texts = [t.text for t in frame_state(tl, tl.frames_of(last.index)[-1], 1280, 720).texts]
    assert {"0.49531", "0.45874", "0.04303", "0.00859", "0.00318"} <= set(texts)


def test_the_weights_thicken_and_the_outputs_grow_into_the_targets(default):
    _, tl = default
    steps = [s for s in tl.steps if s.kind in ("timelapse", "epilogue")]
    sizes = [float(np.abs(s.visual.weights).sum()) for s in steps]
    assert sizes == sorted(sizes) and sizes[-1] > 2 * sizes[0]
    gaps = [float(np.abs(s.visual.outputs - s.visual.targets).mean()) for s in steps]
    assert gaps == sorted(gaps, reverse=True) and gaps[-1] < 0.005


def test_unseen_input_is_the_final_network_run_forward(default):
    trace, tl = default
    s = tl.steps[-1]
    spec = trace.spec
    x = np.array([[1.0, 0.0, 0.0]])
    y = forward(spec.activations, list(trace.final_weights), None, x)[0, 0]
    assert s.values["unseen_l2[0]"] == y
    assert [s.values[f"unseen_l0[{j}]"] for j in range(3)] == [1.0, 0.0, 0.0]
    out_node = tl.layout.node_id(2, 0)
    assert s.visual.node_values[out_node] == y and s.node_labels[out_node] == fmt_sig(y)
    hidden = forward(spec.activations[:1], list(trace.final_weights), None, x)[0]
    assert np.array_equal(s.visual.node_values[list(tl.layout.layer_nodes(1))], hidden)
    assert f"Unseen input [1, 0, 0] \u2192 {fmt(y, 3)}" in s.caption
    assert np.array_equal(s.visual.weights, np.concatenate([w.ravel() for w in trace.final_weights]))


def test_summary_says_what_the_outputs_follow(default):
    """The data decides: iamtrask's rounded outputs 0 1 1 0 are no single input column but
    the XOR of inputs 1 and 2 (input 3 is 1 in every record); [1, 0, 0] gets about 0.56."""
    _, tl = default
    caption = tl.steps[-1].caption
    assert caption.startswith("Learned: output 1 when inputs 1 and 2 differ (XOR).")
    assert caption.endswith("\u2192 0.558: neither 0 nor 1, input 3 was always 1")


@pytest.mark.parametrize(
    ("targets", "rule"),
    [
        ([[0], [0], [1], [1]], "the output follows input 1"),  # iamtrask's 2-layer data
        ([[1], [0], [1], [0]], "the output is the opposite of input 2"),
        ([[0], [0], [0], [1]], "output 1 when inputs 1 and 2 are both 1 (AND)"),
    ],
)
def test_the_rule_is_computed_from_the_data(targets, rule):
    data = tomllib.loads((ROOT / "scenes" / "iamtrask.toml").read_text())
    data["data"]["targets"] = targets
    data["training"]["epochs"] = 3000
    data["render"]["epochs"] = "1"
    _, tl = prepare(scene_from_dict(data))
    assert tl.steps[-1].kind == "summary"
    assert tl.steps[-1].caption.startswith(f"Learned: {rule}.")
    assert [s.epoch for s in tl.steps if s.kind == "epilogue"] == [10, 100, 1000, 3000]
    assert not any(s.kind == "timelapse" for s in tl.steps)


def test_summary_links_the_lines_of_an_iteration_to_what_was_seen(default):
    """Every line of the loop's body, the forward pass's too, and the two updates in one row
    (four reviews: the forward pass missing, "the update" twice)."""
    _, tl = default
    s = tl.steps[-1]
    assert s.panel == (
        "the code \u2192 what you saw",
        "l1 = ...          \u2192 the hidden values    ",
        "l2 = ...          \u2192 the output           ",
        "l2_error = y - l2 \u2192 the error            ",
        "l2_delta = ...    \u2192 output error × slope",  # (× is two columns wide)
        "l1_error = ...    \u2192 the error sent back  ",
        "l1_delta = ...    \u2192 hidden error × slope",
        "syn1, syn0 += ... \u2192 the weights move     ",
    )
    # and the lecture draws it, in its readable type (a block too wide would be dropped)
    texts = overlay(tl, s, THEMES["dark"], 1280, 720)[0]
    assert [t.text for t in texts if t.mono] == list(s.panel)
    highlighted = [tl.code[i].strip() for i in s.code_lines]
    assert highlighted == [
        "l2_error = y - l2",
        "l2_delta = l2_error * nonlin(l2,deriv=True)",
        "l1_error = l2_delta.dot(syn1.T)",
        "l1_delta = l1_error * nonlin(l1,deriv=True)",
        "syn1 += l1.T.dot(l2_delta)",
        "syn0 += l0.T.dot(l1_delta)",
    ]


def test_summary_works_for_other_shapes():
    """Two hidden layers and biases: every line comes from that network's own listing."""
    scene = load_scene(ROOT / "scenes" / "digits.toml")
    scene = replace(scene, render=replace(scene.render, epochs=(1,), epilogue=True))
    _, tl = prepare(scene)
    s = tl.steps[-1]
    assert (
        s.kind == "summary"
        and s.panel[1].startswith("l1 = ...")
        and s.panel[3].endswith("\u2192 the output           ")
    )
    assert s.panel[4].startswith("l3_error = y - l3")
    assert any(row.startswith("l2_error = ...") for row in s.panel)
    assert any(row.startswith("b0 += ...") for row in s.panel)
    assert "held-out record 1 \u2192 class" in s.caption and "its label is" in s.caption


def _steps(capsys, *args):
    assert main(["steps", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_epochs_on_the_command_line_show_exactly_those(capsys):
    rows = _steps(capsys, "--epochs", "1-2")
    assert not any(r["kind"] in ("epilogue", "summary") for r in rows)
    assert {r["epoch"] for r in rows} <= {None, 1, 2}
    rows = _steps(capsys, "--epochs", "1-2", "--epilogue")
    assert [r["epoch"] for r in rows if r["kind"] == "epilogue"] == [10, 100, 1000, 10000, 60000]  # decades
    assert rows[-1]["kind"] == "summary" and rows[-1]["phase"] == "summary"
    assert rows[-1]["code"][0] == "l2_error = y - l2"


def test_the_length_estimate_includes_the_epilogue(default):
    _, tl = default
    scene = load_scene()
    assert story_seconds(scene) == pytest.approx(tl.duration, rel=0.01)
    assert story_seconds(scene) - story_seconds(scene, scene.render.epochs) == pytest.approx(
        7 * 3.0 + 1.6 + 2 * 2.0 + 5.0 + 8.0
    )
    beats = list(story(scene, scene.render.epochs))
    assert [b.kind for b in beats[-5:]] == ["card", *["epilogue"] * 2, "features", "summary"]
    other = replace(scene, render=replace(scene.render, epochs=(1, 2), epilogue=True))
    _, tl2 = prepare(other)
    assert estimate_seconds(other) == pytest.approx(tl2.duration, rel=0.01)


def test_the_epilogue_is_a_scene_setting(tmp_path, capsys):
    assert load_scene().render.epilogue is True
    assert load_scene(ROOT / "scenes" / "handcalc_322.toml").render.epilogue is False
    bad = tmp_path / "bad.toml"
    bad.write_text(
        (ROOT / "scenes" / "iamtrask.toml").read_text().replace("epilogue = true", 'epilogue = "yes"')
    )
    assert main(["steps", str(bad)]) == 2
    assert "[render] epilogue: expected true or false, got str" in capsys.readouterr().err


def test_the_chart_replaces_the_small_charts_in_the_epilogue():
    _, tl = prepare(study(load_scene()))  # the study layout has the small charts
    theme = THEMES["dark"]

    def texts(step):
        return [t.text for t in overlay(tl, step, theme, 1280, 720)[0]]

    before = texts(next(s for s in tl.steps if s.kind == "end" and s.epoch == 2000))
    assert "mean |error| per iteration" in before and "largest weight change" in before
    assert "mean |error| per iteration (log scales)" not in before
    ends = []
    for s in (s for s in tl.steps if s.kind in ("timelapse", "epilogue", "summary")):
        drawn = texts(s)
        assert "mean |error| per iteration (log scales)" in drawn and "iteration" in drawn
        assert "mean |error| per iteration" not in drawn and "largest weight change" not in drawn
        assert fmt(float(tl.display_errors[s.epoch - 1]), 5) in drawn  # the current value
        curve = max(overlay(tl, s, theme, 1280, 720)[2], key=lambda p: (p.width, len(p.points)))
        ends.append(curve.points[-1][0])
    assert ends[:5] == sorted(ends[:5])  # drawn up to the current iteration only
    summary = texts(tl.steps[-1])
    assert "the code \u2192 what you saw" in summary  # the values panel keeps its place


def test_japanese_summary_keeps_the_code_column_aligned():
    """Kanji are not two ASCII columns wide to the pixel: the Japanese rows put the words
    first, so that the right-aligned panel lines up the arrows and the code."""
    scene = load_scene()
    _, tl = prepare(replace(scene, render=replace(scene.render, lang="ja")))
    rows = tl.steps[-1].panel[1:]
    assert rows[0].strip().startswith("隠れ層の値 ← l1 = ...")
    assert rows[2].strip().startswith("誤差 ← l2_error = y - l2")
    tails = [row.split(" ← ")[1] for row in rows]
    assert len({len(t) for t in tails}) == 1 and all(t.isascii() for t in tails)


def test_feature_maps_show_what_each_node_computes(default):
    """Beside each node in the epilogue: its activation over inputs 1 and 2 (input 3 = 1,
    as in every record). The output's map at the corners is the recorded outputs of the
    four records at that iteration: XOR, learned."""
    trace, tl = default
    lay = tl.layout
    out = lay.node_id(2, 0)
    for step in (s for s in tl.steps if s.kind == "epilogue"):
        u = next(u for (epoch, _), u in trace.updates.items() if epoch == step.epoch)
        maps = step.feature_maps
        corners = [maps[out][0, 0], maps[out][0, -1], maps[out][-1, 0], maps[out][-1, -1]]
        assert corners == pytest.approx(list(u.outputs[:, 0]), abs=1e-12)  # records 001 011 101 111
        hidden = [maps[lay.node_id(1, j)][-1, 0] for j in range(4)]  # input [1, 0, 1] = record 3
        assert hidden == pytest.approx(list(u.activations[0][2]), abs=1e-12)
        assert np.all(np.isnan(maps[list(lay.layer_nodes(0))]))
    last = next(s for s in tl.steps if s.kind == "epilogue" and s.epoch == 60000)
    corners = last.feature_maps[out][[0, 0, -1, -1], [0, -1, 0, -1]]
    assert np.all(corners[[0, 3]] < 0.01) and np.all(corners[[1, 2]] > 0.99)


def _map_tiles(fs):
    """The feature maps' squares (x0, y0, x1, y1) in node order, the output's last: each is
    framed by a closed outline one pixel wide, 45 px a side at least (the records table's
    squares are smaller)."""
    boxes = [
        (p.points[0][0], p.points[0][1], p.points[2][0], p.points[2][1])
        for p in fs.polylines
        if len(p.points) == 5 and p.points[0] == p.points[-1] and p.width == 1.0 and p.color == DARK.muted
    ]
    return [b for b in boxes if (b[3] - b[1]) * fs.height >= 45]


def _map_drawn(fs, box, n):
    """The colour (its sum) drawn in ``box`` at the middles of an ``n`` x ``n`` grid of
    cells, ``[i, j]``: i-th across (input 1), j-th up (input 2): the map's own rectangles,
    not the training records' marks on it, however the map is cut into rectangles."""
    x0, y0, x1, y1 = box
    cells = [
        r
        for r in fs.rects
        if x0 - 1e-9 <= r.x0 and r.x1 <= x1 + 1e-9 and y0 - 1e-9 <= r.y0 and r.y1 <= y1 + 1e-9
        and r.opacity == 1.0 and r.color not in (DARK.target, DARK.panel)
    ]  # fmt: skip
    rx0, ry0, rx1, ry1 = (np.array([getattr(r, a) for r in cells]) for a in ("x0", "y0", "x1", "y1"))
    shade = np.array([sum(r.color) for r in cells])
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            x, y = x0 + (x1 - x0) * (i + 0.5) / n, y0 + (y1 - y0) * (j + 0.5) / n
            hit = np.flatnonzero((rx0 <= x) & (x < rx1) & (ry0 <= y) & (y < ry1))
            out[i, j] = shade[hit[0]]
    return out


def test_the_maps_change_smoothly_from_one_fast_forward_to_the_next(default):
    """Two reviews: the maps were 10 x 10 blocks, swapped at each step. They are 30 cells a
    side now, and on the glance's way from the iteration before's they are the maps of the
    real iterations it passes through (the first, 216's, as the iamtrask code computes it)."""
    _, tl = default
    before, step = [s for s in tl.steps if s.kind == "timelapse" and s.epoch in (200, 500)]
    n = step.feature_maps.shape[1]
    assert n >= 30

    def out_cells(frame):
        fs = frame_state(tl, frame, 1280, 720)
        return _map_drawn(fs, _map_tiles(fs)[-1], n).ravel()

    frames = list(tl.frames_of(step.index))
    first, last = out_cells(frames[0]), out_cells(frames[-1])
    was, now = out_cells(tl.frames_of(before.index)[-1]), last
    middle = next(f for f in frames if 0.3 < (f - frames[0]) / 10 < 0.7)  # within the tween
    mid = out_cells(middle)
    moved = np.abs(now - was) > 0.05
    assert moved.sum() > n * n / 10  # the map changes a lot from 200 to 500
    assert np.allclose(first[~moved], was[~moved], atol=0.06)
    assert np.abs(mid - was).mean() > 0.01 and np.abs(mid - now).mean() > 0.01  # on its way
    assert np.abs(first - was).mean() < np.abs(first - now).mean()  # it starts from the last one
    # the first map on the way is iteration 216's, the network's own over the input square
    glimpse = step.montage[0]
    syn0, syn1 = _iamtrask_weights_at(glimpse.epoch)
    g = np.linspace(0.0, 1.0, n)
    x = np.stack([*np.meshgrid(g, g, indexing="ij"), np.ones((n, n))], axis=-1).reshape(-1, 3)
    out = 1 / (1 + np.exp(-(1 / (1 + np.exp(-x.dot(syn0)))).dot(syn1)))
    assert glimpse.epoch == 216
    assert np.allclose(glimpse.feature_maps[tl.layout.node_id(2, 0)], out.reshape(n, n), atol=1e-9)


def test_feature_maps_are_drawn_beside_their_nodes(default):
    _, tl = default
    step = next(s for s in tl.steps if s.kind == "epilogue" and s.epoch == 60000)
    fs = frame_state(tl, tl.frames_of(step.index)[-1], 1280, 720)
    n = step.feature_maps.shape[1]
    # 4 hidden maps, then the output's
    tiles = _map_tiles(fs)
    assert len(tiles) == 5
    assert all(abs((x1 - x0) * 1280 - (y1 - y0) * 720) < 0.5 for x0, y0, x1, y1 in tiles)  # square on screen
    # the output's map: its top-left (input 1 = 0, input 2 = 1) bright, bottom-left dark
    left, bottom, right, top = tiles[-1]
    drawn = _map_drawn(fs, tiles[-1], n)
    assert drawn[1, n - 2] > 2.0 and drawn[1, 1] < 0.6  # (the corners bear the records' marks)
    x = project(fs.camera, tl.layout.nodes[[tl.layout.node_id(2, 0)]], 1280 / 720)[0, 0]
    assert left > (x + 1) / 2  # right of the output node
    side = (top - bottom) * 720  # the learned rule is the picture's payoff: large
    assert side >= 150, side
    words = {t.text: t for t in fs.texts}
    # read as a plot: x1 across under it between 0 and 1, x2 up right of it, its name over it
    assert words["x1"].y < bottom and left < words["x1"].x < right
    assert words["x2"].x > right and bottom < words["x2"].y < top
    assert words["out"].y > top and left < words["out"].x < right
    near = [t for t in fs.texts if left - 1e-9 <= t.x < right + 0.02 and bottom - 0.05 < t.y < top + 0.01]
    ticks = sorted((t.x, t.y, t.text) for t in near if t.text in ("0", "1"))
    assert [t for _, _, t in ticks] == ["0", "1", "0", "1"]  # under: 0 left, 1 right; right: 0 low, 1 high
    assert ticks[2][1] < ticks[3][1] and ticks[2][0] > right
    # each hidden map stands on its node (review 76b: beside it, it covered the node's
    # outgoing weights), named just beside it, level with it, where no weight crosses the name
    from nnviz3d.primitives import text_width_em

    centres = (project(fs.camera, tl.layout.nodes, 1280 / 720) + 1) / 2
    for k, name in enumerate(["h1", "h2", "h3", "h4"]):
        x0, y0, x1, y1 = tiles[k]
        cx, cy = centres[tl.layout.node_id(1, k)]
        assert abs((x0 + x1) / 2 - cx) < 1e-6 and abs((y0 + y1) / 2 - cy) < 1e-6
        t = words[name]
        assert (x1 < t.x < x1 + 0.01 and t.align == "left") or (x0 - 0.01 < t.x < x0 and t.align == "right")
        assert y0 - 1e-9 <= t.y <= y1 + 1e-9
        wide, tall = text_width_em(name) * t.size / 1280, 1.15 * t.size / 720
        left = t.x if t.align == "left" else t.x - wide
        low = {"top": t.y - tall, "bottom": t.y, "center": t.y - tall / 2}[t.valign]
        for e in range(tl.layout.n_edges):
            a, b = centres[tl.layout.edge_from[e]], centres[tl.layout.edge_to[e]]
            for u in np.linspace(0, 1, 200):
                px, py = a + u * (b - a)
                assert not (left < px < left + wide and low < py < low + tall), (name, e)


def test_no_feature_maps_without_two_varying_inputs():
    scene = load_scene(ROOT / "scenes" / "fit_square.toml")
    _, tl = prepare(replace(scene, render=replace(scene.render, epochs=(1,), epilogue=True)))
    assert all(s.feature_maps is None for s in tl.steps)


def test_the_squares_key_names_the_inputs_held_fixed(default):
    """The squares are drawn with input 3 at 1 (every record's); the summary's unseen
    input [1, 0, 0] has it at 0, so the key must say what the squares assume. The summary
    itself draws no squares: its nodes carry the unseen input's values."""
    _, tl = default
    last = tl.steps[-3]  # (then the features, then the summary)
    assert last.kind == "epilogue" and last.epoch == 60000
    assert last.feature_key == "maps over x1, x2 (x3 = 1): black 0, white 1"
    # said with every glance's maps (the top line's other items only where they are new)
    for step in (s for s in tl.steps if s.kind in ("timelapse", "epilogue")):
        words = [t.text for t in overlay(tl, step, THEMES["dark"], 1280, 720)[0]]
        assert step.feature_key == last.feature_key and last.feature_key in words
    summary = tl.steps[-1]
    assert summary.kind == "summary" and summary.feature_maps is None and not summary.feature_key


def test_each_fast_forward_is_a_chapter_of_its_own():
    from nnviz3d.chapters import chapters, find_chapter

    scene = load_scene()
    _, tl = prepare(replace(scene, render=replace(scene.render, epochs=(1, 50, 2000))))
    names = [c.name for c in chapters(tl)]
    assert names[names.index("1-update") + 1 : names.index("2000-forward")] == [
        "timelapse", "50-forward", "50-backward", "50-update", "timelapse~2",
    ]  # fmt: skip
    second = find_chapter(tl, "timelapse~2")
    assert [s.epoch for s in tl.steps[second.first_step : second.last_step + 1]] == [100, 200, 500, 1000]


def test_a_node_that_learned_to_stay_off_is_a_ring(default):
    """The summary's unseen input leaves hidden nodes 3 and 4 at 0.0018 and 0.015: dots
    that would read as a network of two hidden nodes without their rings."""
    _, tl = default
    step = next(s for s in tl.steps if s.kind == "summary")
    values = step.visual.node_values
    fs = frame_state(tl, tl.frames_of(step.index)[-1], 1280, 720)
    rings = [p for p in fs.polylines if len(p.points) == 33]
    tiny = np.flatnonzero(np.abs(values) < 0.05)
    assert {round(float(values[n]), 4) for n in tiny} >= {0.0018, 0.0148}
    assert len(rings) == len(tiny)


def test_the_error_charts_numbers_stand_clear_of_the_curve(default):
    """Every number written beside a point of the epilogue's error chart keeps off the curve
    (two reviews saw it strike "0.04303" through), and none is left out at 720p."""
    from nnviz3d.charts import _crosses

    _, tl = default
    last = tl.steps[-3]  # (then the features, then the summary)
    assert last.kind == "epilogue" and last.epoch == 60000
    texts, _, lines = overlay(tl, last, THEMES["dark"], 1280, 720)
    curve = max((p for p in lines if len(p.points) > 50), key=lambda p: len(p.points))
    values = {"0.49531", "0.45874", "0.04303", "0.00859", "0.00318"}
    labels = [t for t in texts if t.text in values and t.valign == "bottom"]
    assert {t.text for t in labels} == values
    for t in labels:
        width, height = len(t.text) * 0.6 * t.size / 1280, 1.15 * t.size / 720
        assert not _crosses((t.x, t.y, t.x + width, t.y + height), curve.points), t.text


@pytest.mark.parametrize("layout", ["lecture", "hall"])
def test_the_error_charts_axes_numbers_stand_apart_and_in_the_frame(default, layout):
    """The decades' numbers are a line apart at least (the hall's 0.1, 0.01 and 0.001 ran
    into each other: it numbers every other decade), and every text of the chart stands
    8 px clear of the frame's bottom (the x axis's name touched it); the lecture names its
    x axis."""
    tl = default[1]
    if layout != "lecture":
        scene = load_scene()
        tl = prepare(replace(scene, render=replace(scene.render, layout=layout)))[1]
    last = [s for s in tl.steps if s.kind == "epilogue"][-1]
    texts, _, _ = overlay(tl, last, THEMES["dark"], 1280, 720)
    decades = sorted(
        (t for t in texts if t.text in {"1", "0.1", "0.01", "0.001", "0.0001"} and t.valign == "center"),
        key=lambda t: t.y,
    )
    assert len(decades) >= 2 and decades[-1].text == "1"
    for low, high in itertools.pairwise(decades):
        assert (high.y - low.y) * 720 >= low.size, (low.text, high.text)
    for t in texts:
        bottom = t.y * 720 - {"top": 1.2, "center": 0.6, "bottom": 0.0}[t.valign] * t.size
        assert bottom >= 8, t.text
    assert (layout == "lecture") <= any(t.text == "iteration" for t in texts)


def test_the_summarys_weights_out_of_an_input_of_0_are_dimmed(default):
    """The unseen input [1, 0, 0]: x2's and x3's weights carry nothing to its answer (review
    60b saw them as strong as x1's); every other weight keeps its full colour."""
    from nnviz3d.timeline.model import DIM

    _, tl = default
    summary = tl.steps[-1]
    lay = tl.layout
    x = [lay.node_id(0, i) for i in range(3)]
    values = summary.visual.node_values[x]
    assert list(values) == [1.0, 0.0, 0.0]
    focus = summary.visual.edge_focus
    from_zero = np.isin(lay.edge_from, x[1:])
    assert np.all(focus[from_zero] == DIM) and np.all(focus[~from_zero] == 1.0)


def _iamtrask_at(iterations: int) -> tuple[np.ndarray, list[float]]:
    """Seed 000's network trained here, from its own code (not the trace): the outputs
    after ``iterations`` iterations (before that iteration's update, as the video shows an
    iteration) and the mean |error| of each iteration up to it."""
    x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
    y = np.array([[0, 1, 1, 0]], dtype=float).T
    np.random.seed(1)
    syn0 = 2 * np.random.random((3, 4)) - 1
    syn1 = 2 * np.random.random((4, 1)) - 1
    errors = []
    for _ in range(iterations):
        l1 = 1 / (1 + np.exp(-x.dot(syn0)))
        l2 = 1 / (1 + np.exp(-l1.dot(syn1)))
        errors.append(float(np.mean(np.abs(y - l2))))
        l2_delta = (y - l2) * l2 * (1 - l2)
        l1_delta = l2_delta.dot(syn1.T) * l1 * (1 - l1)
        syn1 += l1.T.dot(l2_delta)
        syn0 += x.T.dot(l1_delta)
    return l2[:, 0], errors


def _iamtrask_weights_at(iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """syn0 and syn1 as iteration ``iterations`` starts (after iterations - 1 updates)."""
    x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
    y = np.array([[0, 1, 1, 0]], dtype=float).T
    np.random.seed(1)
    syn0 = 2 * np.random.random((3, 4)) - 1
    syn1 = 2 * np.random.random((4, 1)) - 1
    for _ in range(iterations - 1):
        l1 = 1 / (1 + np.exp(-x.dot(syn0)))
        l2 = 1 / (1 + np.exp(-l1.dot(syn1)))
        l2_delta = (y - l2) * l2 * (1 - l2)
        l1_delta = l2_delta.dot(syn1.T) * l1 * (1 - l1)
        syn1 += l1.T.dot(l2_delta)
        syn0 += x.T.dot(l1_delta)
    return syn0, syn1


def test_a_glance_runs_through_real_iterations_on_its_way(default):
    """Reviews asked for "a continuous training montage" and "the decision map evolving";
    review 75a met iteration 500's numbers over maps still at 200. On its way from 200 a
    fast forward to 500 shows, frame by frame, real iterations between them, log-spaced and
    rising: the header's iteration and mean |error|, the table's outputs, the weights'
    thicknesses and the chart's end are each that iteration's, the iamtrask code's own; the
    caption says where it goes; then 500's numbers, held for the other half of the step."""
    _, tl = default
    step = next(s for s in tl.steps if s.kind == "timelapse" and s.epoch == 500)
    assert [g.epoch for g in step.montage] == [216, 233, 251, 271, 293, 316, 341, 368, 398, 429, 463]
    frames = tl.frames_of(step.index)
    seen, ends = [], []
    lay = tl.layout
    for f in frames:
        state = frame_state(tl, f, 1280, 720)
        texts = [t.text for t in state.texts]
        header = next(t for t in texts if t.startswith("iteration"))
        epoch = int(header.split()[1])
        if epoch == 500:
            break
        assert "Fast forward to iteration 500" in texts and 200 < epoch < 500, header
        outputs, errors = _iamtrask_at(epoch)
        assert f"mean |error| {errors[-1]:.5f}" in texts
        assert all(f"{v:#.3g}" in texts for v in outputs), (epoch, texts)
        syn0, syn1 = _iamtrask_weights_at(epoch)
        weights = np.concatenate([syn0.ravel(), syn1.ravel()])  # (x_i -> h_j row-major, then h -> out)
        radii = state.cylinder_radii[: lay.n_edges]
        assert np.array_equal(np.argsort(radii, kind="stable"), np.argsort(np.abs(weights), kind="stable"))
        curve = max((p for p in state.polylines if len(p.points) > 50), key=lambda p: len(p.points))
        ends.append(curve.points[-1][0])
        seen.append(epoch)
    assert len(set(seen)) >= 8 and seen == sorted(seen)
    assert ends == sorted(ends)  # the chart drawn on with them
    assert len(seen) <= 0.55 * len(frames)  # then it stands at its own
    last = [t.text for t in frame_state(tl, frames[-1], 1280, 720).texts]
    outputs_500, errors = _iamtrask_at(500)
    assert any(t.startswith("Fast forward to iteration 500: mean |error| 0.09960") for t in last)
    assert f"{errors[-1]:.5f}" == "0.09960" and all(f"{v:#.3g}" in last for v in outputs_500)


def test_a_glance_after_a_card_has_no_way(default):
    """The epilogue's first glance follows its card, a clean slide: it stands at its own from
    its first frame; the next one runs from it."""
    _, tl = default
    first, second = (s for s in tl.steps if s.kind == "epilogue")
    assert first.montage == () and second.montage[0].epoch > first.epoch

    def header(frame):
        state = frame_state(tl, frame, 1280, 720)
        return next(t.text for t in state.texts if t.text.startswith("iteration"))

    assert header(tl.frames_of(first.index)[0]) == f"iteration {first.epoch} / 60000"
    assert header(tl.frames_of(second.index)[0]) == f"iteration {second.montage[0].epoch} / 60000"


def test_the_first_glance_runs_from_iteration_3(default):
    """Reviews 76a, 76b: at the first glance's first frames (iteration 10, after iteration
    3) its header and table gave iteration 10 while the weights were still iteration 3's.
    It runs through iterations 4 to 9, each with its own numbers, then 10's."""
    _, tl = default
    step = next(s for s in tl.steps if s.kind == "timelapse")
    assert step.epoch == 10 and [g.epoch for g in step.montage] == [4, 5, 6, 7, 8, 9]
    frames = tl.frames_of(step.index)
    texts = [t.text for t in frame_state(tl, frames[0], 1280, 720).texts]
    assert "iteration 4 / 60000" in texts and "Fast forward to iteration 10" in texts
    shown = ["0.466", "0.485", "0.537", "0.540"]
    after_3, _ = _iamtrask_at(4)
    assert np.allclose(after_3, [float(v) for v in shown], atol=5e-4)
    assert all(v in texts for v in shown)
    texts = [t.text for t in frame_state(tl, frames[-1], 1280, 720).texts]
    at_10, errors = _iamtrask_at(10)
    assert any(t.startswith(f"Fast forward to iteration 10: mean |error| {errors[-1]:.5f}") for t in texts)
    assert all(f"{v:#.3g}" in texts for v in at_10)


def test_the_fast_forwards_map_of_out_is_drawn_smooth(default):
    """The output's map in a fast forward, 200 px a side, was its 31 samples in 6.5-px
    blocks, a staircase in the hall: it is drawn as it runs between its samples (bilinear),
    in columns of at most MAP_CELL_PX, its neighbours a small step apart; the hidden maps,
    57 px, keep a cell a sample."""
    from nnviz3d.hud import MAP_CELL_PX

    _, tl = default
    step = next(s for s in tl.steps if s.kind == "timelapse" and s.epoch == 500)
    fs = frame_state(tl, tl.frames_of(step.index)[-1], 1280, 720)
    n = step.feature_maps.shape[1]
    tiles = _map_tiles(fs)
    x0, y0, x1, y1 = tiles[-1]
    side = (x1 - x0) * 1280
    assert side >= 150
    cells = [
        r
        for r in fs.rects
        if x0 - 1e-9 <= r.x0 and r.x1 <= x1 + 1e-9 and y0 - 1e-9 <= r.y0 and r.y1 <= y1 + 1e-9
        and r.opacity == 1.0 and r.color not in (DARK.target, DARK.panel)
    ]  # fmt: skip
    assert max((r.x1 - r.x0) * 1280 for r in cells) <= MAP_CELL_PX + 1e-6
    fine = len({round(r.x0, 9) for r in cells})
    assert fine >= side / MAP_CELL_PX > n
    drawn = _map_drawn(fs, tiles[-1], fine)
    assert np.abs(np.diff(drawn, axis=0)).max() < 0.12 and np.abs(np.diff(drawn, axis=1)).max() < 0.12
    # the map's middle (inputs 1 and 2 at 0.5) is its middle sample's
    m = step.feature_maps[tl.layout.node_id(2, 0)]
    bg, ink = np.array(DARK.background_bottom), np.array(DARK.node)
    middle = sum(bg + (ink - bg) * m[n // 2, n // 2])
    assert drawn[fine // 2, fine // 2] == pytest.approx(middle, abs=0.05)
    for box in tiles[:-1]:
        hidden = {round(r.x0, 9) for r in fs.rects if box[0] - 1e-9 <= r.x0 and r.x1 <= box[2] + 1e-9
                  and box[1] - 1e-9 <= r.y0 and r.y1 <= box[3] + 1e-9 and r.opacity == 1.0}  # fmt: skip
        assert len(hidden) == n
