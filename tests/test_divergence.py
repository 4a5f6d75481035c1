"""A network that diverges (learning rate 1e6) is still rendered: its NaN and inf are shown
as such, the geometry stays finite and clamped, and the user gets one warning line."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from nnviz3d.cli import main
from nnviz3d.frames import NODE_R_MAX, THEMES, frame_state
from nnviz3d.pipeline import prepare
from nnviz3d.scene import load_scene
from tests.helpers import study
from tests.test_render_encode import decode

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def diverging_scene(tmp_path_factory) -> Path:
    text = (ROOT / "scenes" / "fit_linear.toml").read_text()
    text = text.replace("learning_rate = 0.03", "learning_rate = 1e6")
    path = tmp_path_factory.mktemp("diverge") / "diverge.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def diverged(diverging_scene):
    scene = study(load_scene(diverging_scene))
    scene = dataclasses.replace(scene, render=dataclasses.replace(scene.render, epochs=(1, 40)))
    trace, timeline = prepare(scene)
    assert trace.diverged_at is not None and trace.diverged_at <= 40
    return trace, timeline


def _float_arrays(state):
    for f in dataclasses.fields(state):
        value = getattr(state, f.name)
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            yield f.name, value


def test_every_frame_of_a_diverged_run_has_finite_geometry(diverged):
    _, timeline = diverged
    frames = set()
    for step in timeline.steps:
        first = step.first_frame
        frames.update({first, first + step.n_frames // 4, first + step.n_frames - 1})
    for f in sorted(frames):
        state = frame_state(timeline, f, 320, 180)
        for name, array in _float_arrays(state):
            assert np.all(np.isfinite(array)), (f, name)
        for label in state.labels:
            assert np.all(np.isfinite(label.position)), f


def test_nan_values_are_shown_as_nan_and_drawn_at_the_limit(diverged):
    trace, timeline = diverged
    late = [s for s in timeline.steps if s.epoch == 40 and s.kind == "output_error"]
    assert late, "the diverged epoch shows its output error"
    step = late[-1]
    assert step.visual.diverged
    u = trace.updates[(40, 1)]
    assert not np.all(np.isfinite(u.outputs))
    state = frame_state(timeline, step.first_frame + step.n_frames - 1, 1280, 720)
    texts = [t.text for t in state.texts]
    assert texts.count("nan") >= int(np.isnan(u.outputs).sum())  # the outputs column says nan
    assert any("NaN or inf" in t for t in texts)  # and the legend says what magenta means
    theme = THEMES["dark"]
    layout = timeline.layout
    hidden = list(layout.layer_nodes(1))
    assert np.all(np.isnan(u.activations[0]))  # the hidden layer blew up too
    colors = state.sphere_colors[hidden]
    radii = state.sphere_radii[hidden] / np.asarray(layout.node_scale)[hidden]
    assert np.allclose(radii, NODE_R_MAX)
    # drawn in the warning colour (blended with the background where out of focus)
    assert np.all(colors[:, 0] > colors[:, 1]) and np.all(colors[:, 2] > colors[:, 1])
    assert theme.invalid[0] > theme.invalid[1]


def test_epochs_before_the_blow_up_are_drawn_normally(diverged):
    trace, timeline = diverged
    early = [s for s in timeline.steps if s.epoch == 1]
    assert early and not any(s.visual.diverged for s in early)
    assert trace.diverged_at > 1


def test_cli_renders_a_diverging_run_with_one_warning(diverging_scene, tmp_path, capsys):
    out = tmp_path / "diverged.mp4"
    args = ["render", str(diverging_scene), "--epochs", "1,40", "--out", str(out), "--quiet"]
    code = main([*args, "--resolution", "160x90", "--fps", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 0
    assert len(err) == 1 and err[0].startswith("nnviz3d: warning: training diverged at epoch ")
    w, h, _, frames = decode(out)
    assert (w, h) == (160, 90) and len(frames) > 10
