"""The matplotlib reference renderer of the speed benchmark writes a real, exact-size MP4."""

import pytest

pytest.importorskip("matplotlib")

from benchmarks.mpl_reference import render_reference
from nnviz3d.pipeline import prepare
from nnviz3d.scene import default_scene_path, load_scene
from tests.test_render_encode import decode


def test_reference_video_has_exact_size_and_frames(tmp_path):
    _, timeline = prepare(load_scene(default_scene_path()), epochs=(1,))
    out = tmp_path / "ref.mp4"
    assert render_reference(timeline, out, 320, 180, range(10, 13)) == 3
    w, h, stream, frames = decode(out)
    assert (w, h) == (320, 180) and "h264" in stream
    assert len(frames) == 3 and frames.std() > 5  # three frames, not blank
