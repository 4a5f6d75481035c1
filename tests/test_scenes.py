"""The shipped scenes beyond iamtrask tell their seed's story with the right numbers."""

from pathlib import Path

import numpy as np
import pytest

from nnviz3d.compare import comparison_runs
from nnviz3d.errors import SceneError
from nnviz3d.functions import FunctionError, parse_function
from nnviz3d.pipeline import prepare
from nnviz3d.recorder import train
from nnviz3d.scene import load_scene
from tests.helpers import study

SCENES = Path(__file__).resolve().parent.parent / "scenes"


def test_xor_butterfly_rounding_at_the_7th_decimal_changes_the_outcome():
    scene = load_scene(SCENES / "xor_butterfly.toml")
    runs = comparison_runs(scene)
    assert [r.decimals for r in runs] == [None, 7, 4, 3]
    given, seventh, fourth, third = runs
    w = scene.network.weights[0]
    assert np.max(np.abs(np.round(w, 7) - w)) < 5e-8  # a tiny nudge...
    assert abs(given.final_loss - seventh.final_loss) > 0.25  # ...and a different ending
    assert given.final_argmax != seventh.final_argmax
    # the numbers the scene file documents
    # (in portable arithmetic: the same on every machine -- on BLAS this run learned on an
    # Intel Xeon and not on an AMD EPYC)
    assert given.final_loss == pytest.approx(0.494677, abs=1e-6)
    assert given.final_argmax == [0, 1, 1, 1]
    assert seventh.final_loss == pytest.approx(0.833443, abs=1e-6)
    assert seventh.final_argmax == [0, 0, 0, 0]
    assert fourth.final_argmax == [0, 0, 0, 0] and third.final_argmax == [0, 1, 1, 1]


def test_fit_square_learns_the_curve():
    scene = load_scene(SCENES / "fit_square.toml")
    trace, timeline = prepare(scene)
    assert trace.summaries.loss[-100:].mean() < 0.1  # 1/2 sum of squares over 8 samples
    assert trace.summaries.loss[:10].mean() > 20
    curve = timeline.fit_curve
    rms = {e: float(np.sqrt(np.mean((p - curve.truth) ** 2))) for e, p in curve.predictions.items()}
    assert rms[1000] < 0.15 < 2.0 < rms[1]
    assert list(rms.values()) == sorted(rms.values(), reverse=True)  # it keeps approaching
    np.testing.assert_allclose(curve.truth, curve.x**2)


def test_fit_square_draws_fresh_seeded_inputs_every_iteration():
    scene = load_scene(SCENES / "fit_square.toml")
    a = train(scene.network, [1, 2])
    b = train(scene.network, [1, 2])
    x1, x2 = a.updates[(1, 1)].inputs, a.updates[(2, 1)].inputs
    assert not np.array_equal(x1, x2)
    assert np.all((x1 >= 0) & (x1 <= 3))
    np.testing.assert_array_equal(x1, b.updates[(1, 1)].inputs)
    np.testing.assert_array_equal(a.updates[(1, 1)].targets, x1**2)
    np.testing.assert_array_equal(a.summaries.loss, b.summaries.loss)


def test_handcalc_video_shows_the_seed_values():
    scene = load_scene(SCENES / "handcalc_322.toml")
    _, tl = prepare(scene)
    captions = [s.caption for s in tl.steps if s.epoch == 1]
    # 3 significant digits, as on the picture (the seed's 0.64565629 and 5.01106834)
    assert any(c.endswith("sigmoid(z) = 0.646") and "= 0.600;" in c for c in captions)
    assert any(c.endswith("identity(z) = 5.01") for c in captions)
    assert any("(loss E = 1/2 sum of squared errors = 10.42644)" in c for c in captions)
    update = next(s for s in tl.steps if s.epoch == 1 and s.kind == "update" and s.layer == 1)
    assert update.values["syn1[0,0]"] == pytest.approx(0.85907221, abs=1e-6)
    assert update.values["syn1_change[1,1]"] == pytest.approx(-0.1 * 3.0826056, abs=1e-6)
    # every gradient the seed lists, on screen (its matrices are ours transposed)
    assert update.values["dE/dsyn1[1,1]"] == pytest.approx(3.0826056, abs=1e-5)
    assert update.panel[0] == "gradient dE/dsyn1 =" and "+3.0826" in update.panel[2]
    first = next(s for s in tl.steps if s.epoch == 1 and s.kind == "update" and s.layer == 0)
    assert first.values["dE/dsyn0[2,1]"] == pytest.approx(10.89230728, abs=1e-5)


def test_handcalc_title_card_says_what_the_video_shows():
    """Title and subtitle agree with each other and with the iterations shown (1 and 2)."""
    from nnviz3d.frames import frame_state

    scene = load_scene(SCENES / "handcalc_322.toml")
    _, tl = prepare(scene)
    title, subtitle = tl.steps[0].card
    assert title == "3-2-2 by hand: two steps of gradient descent"
    assert subtitle == "3-2-2 network, 2 iterations: the forward pass, the error, and backpropagation"
    assert sorted({s.epoch for s in tl.steps if s.epoch is not None}) == [1, 2] == list(tl.shown_epochs)
    assert tl.steps[3].caption == "Start the training loop: 2 iterations over the one record"
    assert tl.steps[-1].caption == (
        "End of iteration 2: mean |error| 0.46353 before the update, 0.46074 after. "
        "The new weights give record 1 0.0574 0.1359 (was 0.0531 0.1261, target 0 1)"
    )
    on_screen = {t.text.replace("\n", " ") for t in frame_state(tl, tl.frames_of(0)[-1], 1280, 720).texts}
    assert {title, subtitle} <= on_screen  # (a long subtitle takes two lines at the smallest type)


@pytest.mark.parametrize(
    ("text", "x", "y"),
    [("x^2", 3.0, 9.0), ("x^3 - 2.5*x^2", 2.0, -2.0), ("sin(x) + 1", 0.0, 1.0), ("-x", 2.0, -2.0)],
)
def test_function_expressions(text, x, y):
    assert parse_function(text)(np.array([x]))[0] == pytest.approx(y)


@pytest.mark.parametrize("text", ["__import__('os')", "x.real", "open", "x if × else 1", "lambda: 1", "x^"])
def test_function_expressions_refuse_code(text):
    with pytest.raises(FunctionError):
        parse_function(text)


def test_function_scene_errors(tmp_path):
    text = (SCENES / "fit_square.toml").read_text()
    for old, new, message in [
        ('function = "x^2"', 'function = "x^^2"', r"\[data\] function: cannot read"),
        ("interval = [0, 3]", "interval = [3, 0]", r"\[data\] interval: must be \[low, high\]"),
        ('function = "x^2"', 'function = "1/x"', "not finite"),
        ("layers = [1, 10, 1]", "layers = [2, 10, 1]", "one input and one output"),
    ]:
        p = tmp_path / "s.toml"
        p.write_text(text.replace(old, new))
        with pytest.raises(SceneError, match=message):
            load_scene(p)


@pytest.mark.parametrize(
    ("name", "start", "end", "final_rms"),
    [("fit_linear", 0.7, 0.02, 1000), ("fit_cubic", 1.6, 0.15, 3000)],
)
def test_other_function_scenes_approach_their_curve(name, start, end, final_rms):
    """Seed 002's network learns x and the cubic to within a small RMS error."""
    _, timeline = prepare(load_scene(SCENES / f"{name}.toml"))
    curve = timeline.fit_curve
    rms = {e: float(np.sqrt(np.mean((p - curve.truth) ** 2))) for e, p in curve.predictions.items()}
    assert rms[1] > start and rms[final_rms] < end
    assert rms[final_rms] == min(rms.values())  # it ends closest (the cubic wanders on the way)


def test_digits_scene_trains_and_draws_a_culled_grid():
    from nnviz3d.frames import KEEP_PER_NODE, frame_state, visible_edges

    scene = load_scene(SCENES / "digits.toml")
    assert scene.network.layers == (64, 50, 100, 10) and scene.network.inputs.shape == (1438, 64)
    # the 3D grids are the study view's (hall and lecture draw panels: test_scenes_lecture.py)
    trace, tl = prepare(study(scene))
    acc = trace.summaries.test_accuracy
    assert len(acc) == 10 and acc[-1] > acc[0] and acc[-1] > 0.5
    # only the chosen batches of the shown epochs are kept whole
    assert sorted(trace.updates) == [(1, 1), (1, 2), (10, 1), (10, 2)]
    lay = tl.layout
    assert len(set(lay.nodes[list(lay.layer_nodes(0)), 2])) == 8  # the 8x8 image as a grid
    s = next(s for s in tl.steps if s.kind == "layer" and s.layer == 0)
    u = trace.updates[(1, 1)]
    np.testing.assert_array_equal(s.visual.node_values[list(lay.layer_nodes(0))], u.inputs[0])
    shown = visible_edges(lay, s.visual.weights)
    assert len(shown) == KEEP_PER_NODE * (50 + 100 + 10)
    w0 = np.abs(u.weights_before[0])
    kept0 = shown[shown < 64 * 50]
    j = 7  # the strongest incoming weights of hidden node 7 are the ones drawn
    drawn_into_j = sorted(int(e) // 50 for e in kept0 if e % 50 == j)
    assert drawn_into_j == sorted(np.argsort(-w0[:, j])[:KEEP_PER_NODE].tolist())
    fs = frame_state(tl, tl.frames_of(s.index)[-1], 640, 360)
    assert len(fs.cylinder_radii) == len(shown)


def test_xor_split_screen_shows_every_run_in_step():
    from nnviz3d.compare import comparison_timelines, keyframes
    from nnviz3d.pipeline import FrameSource

    scene = load_scene(SCENES / "xor_butterfly.toml")
    timelines = comparison_timelines(scene)
    assert len(timelines) == 4 and len({t.n_frames for t in timelines}) == 1
    # every run has the same steps on the same frames: a step is one moment in every tile
    bounds = {tuple((s.first_frame, s.n_frames, s.epoch, s.kind) for s in t.steps) for t in timelines}
    assert len(bounds) == 1
    frames = keyframes(500)
    assert frames[0] == 1 and frames[-1] == 500 and list(frames) == sorted(set(frames))
    last = [t.steps[-1] for t in timelines]
    assert "loss 0.4947" in last[0].caption and "argmax [0, 1, 1, 1]" in last[0].caption
    assert last[1].caption.startswith("rounded to 7 decimals") and "loss 0.8334" in last[1].caption
    source = FrameSource(timelines, 320, 180, "dark")
    try:
        image = source.pixels(timelines[0].n_frames - 1)
    finally:
        source.close()
    assert image.shape == (180, 320, 3)
    quadrants = [image[:90, :160], image[:90, 160:], image[90:, :160], image[90:, 160:]]
    assert all(q.std() > 5 for q in quadrants)  # four pictures, none blank


def test_seed_001_and_003_charts_are_drawn_from_the_recorded_numbers():
    from nnviz3d.compare import comparison_timelines
    from nnviz3d.frames import frame_state

    trace, tl = prepare(study(load_scene(SCENES / "digits.toml")))
    train_acc, test_acc = tl.accuracy
    np.testing.assert_array_equal(test_acc, trace.summaries.test_accuracy)
    np.testing.assert_array_equal(train_acc, trace.summaries.accuracy)
    assert tl.weight_stats.shape == (10, 3, 4) and tl.bias_stats.shape == (10, 3, 4)
    one_batch = train(load_scene(SCENES / "fit_square.toml").network, [5])
    b = one_batch.updates[(5, 1)].biases_after[0]
    np.testing.assert_allclose(one_batch.summaries.bias_stats[4, 0], [b.min(), b.mean(), b.max(), b.std()])
    update = next(s for s in tl.steps if s.kind == "update" and s.layer == 1 and s.epoch == 10)
    fs = frame_state(tl, tl.frames_of(update.index)[-1], 1280, 720)
    titles = {t.text for t in fs.texts}
    assert {"accuracy: train white, test green", "syn1, b1: min mean max std"} <= titles
    # the chart's lines: syn1's min, mean, max, std (thick), then b1's (thin)
    chart = [p for p in fs.polylines if p.width in (1.0, 2.0) and len(p.points) == 10]
    assert len(chart) >= 8
    xor = comparison_timelines(study(load_scene(SCENES / "xor_butterfly.toml")))[0]
    assert sorted(xor.trajectory)[-1] == 500 and xor.trajectory[500].shape == (2, 3)
