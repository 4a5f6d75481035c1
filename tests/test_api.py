"""The Python API: the command line's work as calls that return objects and raise."""

import numpy as np
import pytest

import nnviz3d
from nnviz3d import api


@pytest.fixture(scope="module")
def trace():
    return nnviz3d.train(nnviz3d.load_scene())


def test_train_keeps_the_scenes_shown_epochs_whole(trace):
    needed = [1, 2, 3, 10, 20, 50, 100, 200, 500, 1000, 1998, 1999, 2000, 10000, 60000]
    held = sorted({e for e, _ in trace.updates})
    assert set(needed) <= set(held)
    # and the iterations each glance passes through on its way (3 to 10, ..., 500 to 1000;
    # 10000 to 60000), none after 1000 before 1998 nor between 2000 and 10000
    montage = [e for e in held if e not in needed]
    assert montage[:6] == [4, 5, 6, 7, 8, 9] and 216 in montage and 51678 in montage
    assert not [e for e in montage if 1000 < e < 10000]
    assert trace.updates[(1, 1)].activations[0][0, 0] == pytest.approx(0.44856632, abs=1e-8)  # seed 000


def test_frame_is_the_videos_frame_and_shows_as_png(trace, tmp_path):
    from nnviz3d.cli import main

    f = nnviz3d.frame(trace, step=10, resolution="320x180", epochs=[1])
    assert f.pixels.shape == (180, 320, 3) and f.pixels.dtype == np.uint8
    assert f.caption.startswith("Output node out: z = 0.4486×(-0.5911)")
    png = f._repr_png_()
    assert png.startswith(b"\x89PNG")
    # the same pixels as `nnviz3d frame --step 10` of the scene
    assert main(["frame", "--step", "10", "--epochs", "1", "--resolution", "320x180", "--out",
                 str(tmp_path / "cli.png")]) == 0  # fmt: skip
    import imageio.v3 as iio

    assert np.array_equal(iio.imread(tmp_path / "cli.png"), f.pixels)


def test_render_returns_a_video_that_jupyter_shows(tmp_path, monkeypatch):
    video = nnviz3d.render("scenes/iamtrask.toml", out=tmp_path / "v.mp4", epochs="1", resolution="320x180",
                           fps=5)  # fmt: skip
    assert video.path == tmp_path / "v.mp4" and video.frames > 100 and video.width == 320
    assert video._repr_html_().startswith('<video controls width="320" src="data:video/mp4;base64,')
    monkeypatch.setattr(api, "EMBED_BYTES", 0)  # a big video is linked, not embedded
    assert f'src="{tmp_path / "v.mp4"}"' in video._repr_html_()


def test_errors_are_exceptions_not_exits(trace, tmp_path):
    with pytest.raises(nnviz3d.UserError, match="unknown setting 'colour'"):
        nnviz3d.render(trace, out=tmp_path / "x.mp4", colour="red")
    with pytest.raises(nnviz3d.UserError, match="fps: must be between 1 and 240"):
        nnviz3d.frame(trace, step=1, fps=0)
    with pytest.raises(nnviz3d.UserError, match="give step=N or index=K"):
        nnviz3d.frame(trace)
    with pytest.raises(nnviz3d.UserError, match="scene file not found"):
        nnviz3d.load_scene(tmp_path / "nope.toml")
    with pytest.raises(nnviz3d.UserError, match="no such trace file"):
        nnviz3d.frame(tmp_path / "nope.npz", step=1)
    with pytest.raises(nnviz3d.UserError, match="epoch 2001 is not held whole"):
        nnviz3d.frame(trace, step=1, epochs=[2001])
    # the API's own words, never the command line's flags
    for call, words in (
        (lambda: nnviz3d.frame(trace, step=10_000), r"^frame: step: 10000 is outside 0\.\.\d+$"),
        (lambda: nnviz3d.frame(trace, index=-1), r"^frame: index: -1 is outside 0\.\.\d+$"),
        (lambda: nnviz3d.frame(trace, step=1, fps=0), r"^fps: must"),
        (lambda: nnviz3d.frame(trace, step=1, layout="big"), r"^layout: must be one of"),
    ):
        with pytest.raises(nnviz3d.UserError, match=words) as caught:
            call()
        assert "--" not in str(caught.value)
