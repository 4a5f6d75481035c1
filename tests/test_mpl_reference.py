"""The matplotlib reference renderer of the speed benchmark writes a real, exact-size MP4."""

import pytest

pytest.importorskip("matplotlib")

import imageio_ffmpeg

from benchmarks.mpl_reference import render_reference
from nnviz3d.pipeline import prepare
from nnviz3d.scene import default_scene_path, load_scene


def test_reference_video_has_exact_size_and_frames(tmp_path):
    _, timeline = prepare(load_scene(default_scene_path()), epochs=(1,))
    out = tmp_path / "ref.mp4"
    assert render_reference(timeline, out, 320, 180, range(10, 13)) == 3
    assert out.exists() and out.stat().st_size > 0
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    assert tuple(meta["size"]) == (320, 180)
    frames = list(reader)
    assert len(frames) == 3
    assert all(len(f) == 320 * 180 * 3 for f in frames)
