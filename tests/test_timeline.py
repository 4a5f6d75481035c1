"""The timeline tells seed 000's story in order, and maps frames to steps and back."""

import numpy as np
import pytest

from nnviz3d.pipeline import prepare
from nnviz3d.scene import load_scene
from nnviz3d.timeline import fmt, fmt_sig


@pytest.fixture(scope="module")
def story():
    scene = load_scene()
    trace, timeline = prepare(scene)
    return scene, trace, timeline


def test_seed_000_order_for_a_full_iteration(story):
    _, _, tl = story
    kinds = [s.kind for s in tl.steps if s.epoch in (None, 1)]
    per_record = ["input", "node", "node", "node", "node", "node", "output_error"]
    expected = (
        ["title", "init", "init", "loop", "card"]
        + per_record * 4
        + [
            "card",
            "display_error",
            "delta",
            "error",
            "delta",
            "update",
            "worked",
            "nudge",
            "chain",
            "descent",
            "landscape",
            "update",
            "worked",
            "chain",
        ]
        + ["end"]
    )
    assert kinds == expected
    captions = [s.caption for s in tl.steps[:5]]
    assert captions[1].startswith("Initialise syn0 (3x4)")
    assert captions[2].startswith("Initialise syn1 (4x1)")
    assert tl.steps[0].card[0] == captions[0] == "Backpropagation, step by step"
    assert captions[4] == "Iteration 1: forward pass"
    backward = [s for s in tl.steps if s.epoch == 1 and s.phase in ("backward", "update")]
    assert [s.caption.split(" ")[0] for s in backward] == [
        "l2_delta",
        "l1_error",
        "l1_delta",
        "syn1",
        "The",
        "Nudge",
        "Chain",
        "Downhill:",
        "Two",
        "syn0",
        "The",
        "Chain",
    ]
    # to 5 digits: to 3 or 4 the four products would not add up to -0.00677 as written
    assert backward[4].caption.startswith("The largest change, of h3 -> out: 0.45968×(-0.11811) + ")


def test_node_steps_show_the_recorded_values(story):
    _, trace, tl = story
    u = trace.updates[(1, 1)]
    nodes = [s for s in tl.steps if s.epoch == 1 and s.kind == "node"]
    assert len(nodes) == 4 * 5
    for s in nodes:
        value = u.activations[s.layer - 1][s.record, s.node]
        assert s.values[f"l{s.layer}[{s.node}]"] == value
        assert s.headline.endswith(f"sigmoid(z) = {fmt_sig(value)}")
        node_id = tl.layout.node_id(s.layer, s.node)
        assert s.node_labels[node_id] == fmt_sig(value)
        assert s.visual.node_values[node_id] == value
    # seed 000: record 1, hidden node 1 is 0.44856632, displayed as 0.449 (as on the picture)
    first = nodes[0]
    assert (first.record, first.layer, first.node) == (0, 1, 0)
    assert "= -0.206;" in first.caption and first.headline.endswith("0.449")


def test_highlight_is_the_active_node_and_its_inputs(story):
    _, _, tl = story
    lay = tl.layout
    s = next(s for s in tl.steps if s.kind == "node" and s.layer == 1 and s.node == 2)
    assert set(s.highlighted_nodes) == {*lay.layer_nodes(0), lay.node_id(1, 2)}
    assert set(s.highlighted_edges) == {lay.edge_id(0, i, 2) for i in range(3)}
    focus = s.visual.node_focus
    assert focus[lay.node_id(1, 2)] == 1.0 and focus[lay.node_id(1, 0)] < 1.0


def test_backward_values_are_iamtrask_quantities(story):
    _, trace, tl = story
    u = trace.updates[(1, 1)]
    d2 = next(s for s in tl.steps if s.epoch == 1 and s.caption.startswith("l2_delta"))
    assert d2.values["l2_delta[0,0]"] == pytest.approx(-0.11810546, abs=1e-8)
    e1 = next(s for s in tl.steps if s.epoch == 1 and s.caption.startswith("l1_error"))
    assert e1.values["l1_error[0,2]"] == pytest.approx(0.11163621, abs=1e-8)
    up = next(s for s in tl.steps if s.epoch == 1 and s.caption.startswith("syn0"))
    # the update is drawn magnified by a stated factor (its largest change, 0.00677: x10);
    # the end of the iteration is true
    m = up.magnify
    assert m == 10 and "weight changes drawn 10× larger (the whole video)" in up.caption
    before, after = u.weights_before[0].ravel(), u.weights_after[0].ravel()
    np.testing.assert_allclose(up.visual.weights[:12], before + m * (after - before), rtol=1e-12)
    end = next(s for s in tl.steps if s.epoch == 1 and s.kind == "end")
    np.testing.assert_array_equal(end.visual.weights[:12], after)
    change = (after - before).reshape(3, 4)
    biggest = np.unravel_index(np.argmax(np.abs(change)), change.shape)
    assert up.marked_edges[0] == tl.layout.edge_id(0, *biggest)
    assert up.edge_labels[0][1] == fmt(change[biggest], 4, sign=True)
    de = next(s for s in tl.steps if s.epoch == 1 and s.kind == "display_error")
    assert de.values["display_error"] == pytest.approx(0.4964100319, abs=1e-10)


def test_compact_epochs_show_layers_at_once_and_skips_are_announced(story):
    _, trace, tl = story
    late = [s for s in tl.steps if s.epoch == 1998]
    assert late[0].kind == "skip" and "997 iterations after iteration 1000" in late[0].caption
    assert [s.kind for s in late[1:4]] == ["layer", "layer", "layer"]
    assert not any(s.kind == "node" for s in tl.steps if s.epoch and s.epoch >= 1998)
    l1 = late[2]
    u = trace.updates[(1998, 1)]
    assert l1.values["l1[3,2]"] == u.activations[0][3, 2]
    ends = [s for s in tl.steps if s.kind == "end"]
    assert [s.epoch for s in ends] == [1, 2, 3, 1998, 1999, 2000]
    assert ends[-1].values["display_error"] == pytest.approx(0.0241308819, abs=1e-9)


def test_the_outputs_table_fills_when_the_output_is_computed(story):
    """A row's output shows from the step that lights the output node (or computes the
    output layer for all records), never a "?" beside an output node that has its number."""
    _, trace, tl = story
    lay = tl.layout
    n_w = len(lay.layers) - 1
    for s in tl.steps:
        if s.epoch != 1 or s.kind != "node" or s.layer != n_w:
            continue
        u = trace.updates[(1, 1)]
        before = tl.steps[s.index - 1].visual.outputs
        assert np.isnan(before[s.record, s.node])
        assert s.visual.outputs[s.record, s.node] == u.outputs[s.record, s.node]
        assert np.isnan(s.visual.outputs[s.record + 1 :]).all()
    out_layer = next(s for s in tl.steps if s.epoch == 1998 and s.kind == "layer" and s.layer == n_w)
    assert np.isnan(tl.steps[out_layer.index - 1].visual.outputs).all()
    np.testing.assert_array_equal(out_layer.visual.outputs, trace.updates[(1998, 1)].outputs)


def test_frames_map_to_steps_and_back(story):
    _, _, tl = story
    assert tl.steps[0].first_frame == 0
    for a, b in zip(tl.steps, tl.steps[1:], strict=False):
        assert b.first_frame == a.first_frame + a.n_frames
    for s in tl.steps[::7]:
        frames = tl.frames_of(s.index)
        assert tl.step_at(frames[0]) is s and tl.step_at(frames[-1]) is s
    with pytest.raises(IndexError):
        tl.step_at(tl.n_frames)
    assert 120 <= tl.duration <= 350  # a length a class will watch (the chain rule's two shots: 18 s)


def test_speed_and_fps_scale_the_frame_count():
    scene = load_scene()
    _, slow = prepare(scene, epochs=(1,), fps=10)
    _, fast = prepare(scene, epochs=(1,), fps=20)
    assert fast.n_frames == pytest.approx(2 * slow.n_frames, rel=0.05)
    assert [s.caption for s in slow.steps] == [s.caption for s in fast.steps]


def test_a_loss_averaged_over_the_batch_divides_the_output_delta_and_says_so():
    from dataclasses import replace

    from nnviz3d.hud import Hud, _slope_points
    from nnviz3d.primitives import THEMES

    scene = load_scene()
    scene = replace(scene, network=replace(scene.network, reduction="mean"))
    trace, tl = prepare(scene, epochs=(1,))
    u = trace.epoch_updates(1)[0]
    step = next(s for s in tl.steps if s.kind == "delta" and s.layer == 2)
    e, a = float(u.output_errors[0, 0]), float(u.activations[1][0, 0])
    d = e * a * (1 - a) / 4
    assert float(-u.deltas[1][0, 0]) == pytest.approx(d, abs=1e-15)
    assert step.caption.startswith(
        f"l2_delta = l2_error × the slope l2*(1-l2) / 4 = {fmt_sig(e)} × {fmt_sig(a * (1 - a))} / 4 "
        f"≈ {fmt_sig(d)}: "
    )
    literal = "l2_delta = l2_error × the slope l2*(1-l2) / 4 = -0.474 × 0.249 / 4 ≈ -0.0295"
    assert step.caption.startswith(literal)
    out = tl.layout.node_id(2, 0)
    assert dict(step.node_notes)[out] == "≈ -0.474 × 0.249 / 4"
    hidden = next(s for s in tl.steps if s.kind == "delta" and s.layer == 1)
    assert "/ 4" not in hidden.caption and not any("/" in t for _, t in hidden.node_notes)  # carried already
    # cross-entropy: the slope cancels, so no slope inset is drawn for the output's delta
    ce = replace(scene, network=replace(scene.network, loss="cross_entropy"))
    _, tl = prepare(ce, epochs=(1,))
    step = next(s for s in tl.steps if s.kind == "delta" and s.layer == 2)
    assert step.caption.startswith(
        "l2_delta = l2_error × 1 / 4 (cross-entropy cancels the slope; the loss averages 4 records)"
    )
    assert _slope_points(Hud(tl, step, THEMES["dark"], 1280, 720)) == []
