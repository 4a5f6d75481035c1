"""Pixels and video files: deterministic frames, exact sizes, nothing half-written."""

import re
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from nnviz3d.encode import EncoderError, Mp4Writer, check_output_path
from nnviz3d.errors import UserError
from nnviz3d.frames import frame_state, project
from nnviz3d.pipeline import FrameSource, prepare
from nnviz3d.render_vtk import VtkFrameRenderer
from nnviz3d.scene import load_scene


@pytest.fixture(scope="module")
def tl():
    return prepare(load_scene(), epochs=(1,), fps=6)[1]


@pytest.fixture(scope="module")
def renderer():
    r = VtkFrameRenderer(320, 180)
    yield r
    r.close()


def _project(fs, point):
    """Pixel (row, col) of a world point under the frame's camera."""
    x, y = project(fs.camera, np.asarray(point), fs.width / fs.height)[0]
    return round((1 - (y + 1) / 2) * fs.height), round((x + 1) / 2 * fs.width)


def test_frame_has_size_and_is_deterministic(tl, renderer):
    s = next(s for s in tl.steps if s.kind == "node")
    fs = frame_state(tl, tl.frames_of(s.index)[-1], 320, 180)
    a = renderer.render(fs)
    b = renderer.render(fs)
    fresh = VtkFrameRenderer(320, 180)
    try:
        c = fresh.render(fs)
    finally:
        fresh.close()
    assert a.shape == (180, 320, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b) and np.array_equal(a, c)
    assert a.std() > 5  # not a blank frame


def test_a_frame_does_not_depend_on_the_frames_before_it(tl):
    """Pools of text and line actors grow as frames need them; their stacking must not
    change a frame's pixels, or a segment rendered in another process (--jobs) differs."""
    late = next(s for s in tl.steps if s.kind == "update")
    frame = tl.frames_of(late.index)[-1]
    fresh = FrameSource(tl, 256, 144, "dark")
    used = FrameSource(tl, 256, 144, "dark")
    try:
        a = fresh.pixels(frame).copy()
        for f in range(0, frame, 3):  # a history of other frames first
            used.pixels(f)
        b = used.pixels(frame)
    finally:
        fresh.close()
        used.close()
    assert np.array_equal(a, b)


def test_highlighted_node_is_brighter_than_dimmed_nodes(tl, renderer):
    s = next(s for s in tl.steps if s.kind == "node" and s.layer == 1 and s.node == 3)
    fs = frame_state(tl, tl.frames_of(s.index)[-1], 320, 180)
    img = renderer.render(fs).astype(int)
    lay = tl.layout
    active = _project(fs, lay.nodes[lay.node_id(1, 3)])
    dimmed = _project(fs, lay.nodes[lay.node_id(1, 0)])

    def patch(rc):
        r, c = rc
        return img[r - 1 : r + 2, c - 1 : c + 2].mean()

    # nodes out of focus dim only a little (NODE_DIM), so brightness is not read as value
    assert patch(active) > 1.15 * patch(dimmed)
    r, c = active
    red, _, blue = img[r - 1 : r + 2, c - 1 : c + 2].reshape(-1, 3).mean(axis=0)
    assert red > 150 and blue > 100  # the active node wears the (magenta) accent colour


def test_text_regions_are_not_empty(tl, renderer):
    fs = frame_state(tl, 0, 320, 180)
    img = renderer.render(fs).astype(int)
    band = img[int(180 * 0.30) : int(180 * 0.70)]  # the title card's middle
    assert (band.max(axis=2) > 150).sum() > 50  # the title drawn


def decode(path: Path, fps: int | None = None):
    """(width, height, codec line, frames) of a video, through the bundled ffmpeg: at the
    rate ffmpeg guesses from the frames' durations, or sampled at ``fps``. (A frame held
    for exactly one frame after every new one, all along, reads as half the rate.)"""
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    info = subprocess.run([exe, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    stream = next(line for line in info.splitlines() if "Video:" in line)
    w, h = map(int, re.search(r", (\d+)x(\d+)", stream).groups())
    rate = ["-r", str(fps)] if fps else []
    raw = subprocess.run(
        [exe, "-v", "error", "-i", str(path), *rate, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return w, h, stream, np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def test_mp4_has_exact_size_and_all_frames(tmp_path):
    out = tmp_path / "v.mp4"
    w, h = 200, 106  # not multiples of 16: must not be rescaled
    rng = np.random.default_rng(0)
    with Mp4Writer(out, w, h, 10) as writer:
        for _ in range(12):
            writer.write(rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
    width, height, stream, frames = decode(out)
    assert (width, height) == (w, h)
    assert "h264" in stream and "yuv420p" in stream
    assert len(frames) == 12
    assert not list(tmp_path.glob(".*part"))


def packets(path: Path) -> int:
    """How many frames the encoder was given (one packet each), counted without decoding."""
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    crc = subprocess.run(
        [exe, "-v", "error", "-i", str(path), "-map", "0:v", "-c", "copy", "-f", "framecrc", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sum(1 for line in crc.splitlines() if line and not line.startswith("#"))


def _runs(repeats: list[bool], h: int = 48, w: int = 64) -> list[np.ndarray]:
    """Frames for ``repeats``: each new frame a flat colour far from the one before."""
    frames: list[np.ndarray] = []
    for i, again in enumerate(repeats):
        colour = np.array([(37 * i) % 200 + 40, (91 * i) % 200 + 40, (53 * i) % 200 + 40], np.uint8)
        frames.append(frames[-1] if again else np.broadcast_to(colour, (h, w, 3)).copy())
    return frames


#: a segment's frames: new ones, runs of repeats, and a run of repeats at the end
REPEATS = [False, True, True, False, False, True, True, True, False, True, True]


def test_repeated_frames_are_not_encoded_and_last_their_time(tmp_path):
    """A repeated frame is not sent to the encoder (an MP4 frame has its own duration), but
    every frame decodes where it was: a segment ending on repeats keeps its length."""
    out = tmp_path / "v.mp4"
    frames = _runs(REPEATS)
    with Mp4Writer(out, 64, 48, 30, repeats=REPEATS) as writer:
        for f in frames:
            writer.write(f)
    assert packets(out) == REPEATS.count(False) + 1  # and the last frame, to end the segment
    decoded = decode(out)[3]
    assert len(decoded) == len(frames)
    for i, (a, b) in enumerate(zip(decoded, frames, strict=True)):
        assert np.abs(a.astype(int) - b).mean() < 3, f"frame {i} is not where it was written"


def test_a_segment_of_150_runs_of_repeats_keeps_every_frame_in_place(tmp_path):
    """A frame held for one frame, 150 times in a 300-frame segment (a 2 fps video): the
    timestamps' expression is too long for ffmpeg unless nested. Every frame lasting two
    frames, ffmpeg guesses 1 fps; sampled at 2 fps, every frame is in its place."""
    repeats = [i % 2 == 1 for i in range(300)]
    frames = _runs(repeats)
    with Mp4Writer(tmp_path / "v.mp4", 64, 48, 2, repeats=repeats) as writer:
        for f in frames:
            writer.write(f)
    decoded = decode(tmp_path / "v.mp4", fps=2)[3]
    assert len(decoded) == 300 and packets(tmp_path / "v.mp4") == 151
    assert max(np.abs(a.astype(int) - b).mean() for a, b in zip(decoded, frames, strict=True)) < 3


def test_segments_of_repeated_frames_join_to_every_frame(tmp_path):
    """The joined video of segments that skip repeats has every frame in its place (with
    B-frames, an MP4 of such frames would end early; the encoder is told to use none)."""
    from nnviz3d.encode import concat_segments

    parts, written = [], []
    for k in range(3):
        frames = _runs(REPEATS)[k:] + _runs([False])  # each segment its own colours
        repeats = [*REPEATS[k:], False]
        parts.append(tmp_path / f"s{k}.mp4")
        with Mp4Writer(parts[-1], 64, 48, 30, repeats=repeats, faststart=False) as writer:
            for f in frames:
                writer.write(f)
        written += frames
    concat_segments(parts, tmp_path / "joined.mp4")
    decoded = decode(tmp_path / "joined.mp4")[3]
    assert len(decoded) == len(written)
    diffs = [np.abs(a.astype(int) - b).mean() for a, b in zip(decoded, written, strict=True)]
    assert max(diffs) < 3, diffs


def test_a_writer_told_of_repeats_must_get_that_many_frames(tmp_path):
    out = tmp_path / "v.mp4"
    with (
        pytest.raises(ValueError, match="2 frames written, 11 announced"),
        Mp4Writer(out, 64, 48, 30, repeats=REPEATS) as writer,
    ):
        for f in _runs(REPEATS)[:2]:
            writer.write(f)
    assert not out.exists() and not list(tmp_path.iterdir())


def test_interrupted_write_leaves_no_file_and_keeps_the_old_one(tmp_path):
    out = tmp_path / "v.mp4"
    out.write_bytes(b"previous video")
    with pytest.raises(KeyboardInterrupt), Mp4Writer(out, 64, 48, 10) as writer:
        writer.write(np.zeros((48, 64, 3), np.uint8))
        raise KeyboardInterrupt
    assert out.read_bytes() == b"previous video"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.mp4"]


def test_encoder_failure_is_reported(tmp_path):
    out = tmp_path / "v.mp4"
    writer = Mp4Writer(out, 64, 48, 10)
    writer._proc.kill()  # ffmpeg dies mid-render
    writer._proc.wait()
    with pytest.raises(EncoderError, match="ffmpeg"):
        for _ in range(200):
            writer.write(np.zeros((48, 64, 3), np.uint8))
        writer.commit()
    writer.abort()
    assert not out.exists() and not list(tmp_path.iterdir())


def test_output_path_checks(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        check_output_path(tmp_path / "missing" / "v.mp4")
    with pytest.raises(UserError, match="is a directory"):
        check_output_path(tmp_path)
    check_output_path(tmp_path / "new" / "v.mp4", create_parent=True)
    assert (tmp_path / "new").is_dir()


def test_held_frames_are_not_redrawn(tl):
    source = FrameSource(tl, 160, 90, "dark")
    try:
        s = tl.steps[5]
        frames = list(tl.frames_of(s.index))
        images = [source.pixels(f).copy() for f in frames]
    finally:
        source.close()
    assert source.drawn < len(frames)
    assert np.array_equal(images[-1], images[-2])


def test_a_frame_repeats_the_one_before_exactly_when_it_is_not_drawn(tl):
    """What the encoder skips (``repeats``) is what the source does not draw again."""
    source = FrameSource(tl, 64, 36, "dark")
    try:
        frames = range(tl.steps[4].first_frame, tl.steps[8].first_frame)
        previous = source.pixels(frames[0] - 1).copy()
        for f in frames:
            before = source.drawn
            pixels = source.pixels(f).copy()
            assert source.repeats(f) == (source.drawn == before), f
            if source.repeats(f):
                assert np.array_equal(pixels, previous)
            previous = pixels
    finally:
        source.close()


def test_ffmpeg_binary_runs():
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    assert subprocess.run([exe, "-version"], capture_output=True).returncode == 0


def test_fxaa_in_the_shapes_box_gives_the_whole_frames_picture(monkeypatch):
    """The 3D layer is anti-aliased only in the box that holds its shapes (FXAA costs per
    pixel of its viewport); the picture is the one a whole-frame pass gives."""
    import nnviz3d.render_vtk as rv

    _, lecture = prepare(load_scene(), epochs=(1,))
    frames = [lecture.frames_of(i)[-1] for i in (6, 36, 39)]
    states = [frame_state(lecture, f, 640, 360) for f in frames]
    boxes = [rv._shapes_box(s) for s in states]
    assert all(b is not None and (b[2] - b[0]) * (b[3] - b[1]) < 0.6 for b in boxes)  # a part of the frame
    for s, (x0, y0, x1, y1) in zip(states, boxes, strict=True):
        ndc = project(s.camera, s.sphere_centers, 640 / 360)
        assert np.all((ndc[:, 0] + 1) / 2 > x0) and np.all((ndc[:, 0] + 1) / 2 < x1)
        assert np.all((ndc[:, 1] + 1) / 2 > y0) and np.all((ndc[:, 1] + 1) / 2 < y1)
    boxed = VtkFrameRenderer(640, 360, "fxaa")
    pictures = [boxed.render(s).astype(int) for s in states]
    boxed.close()
    monkeypatch.setattr(rv, "_shapes_box", lambda state: None)  # the whole frame, as before
    whole = VtkFrameRenderer(640, 360, "fxaa")
    for s, picture in zip(states, pictures, strict=True):
        diff = np.abs(whole.render(s).astype(int) - picture)
        assert diff.mean() < 0.05 and (diff.max(axis=2) > 48).sum() < 20
    whole.close()


def test_a_frames_key_is_known_without_building_its_state(tl):
    """Held frames are found by their key alone (no frame state built for them)."""
    from nnviz3d.frames import frame_key

    for f in range(0, tl.n_frames, 7):
        assert frame_key(tl, f) == frame_state(tl, f, 64, 36).key


@pytest.mark.parametrize("rows", [720, 1080, 2160])
def test_the_spheres_and_weights_have_as_many_sides_as_the_picture_shows(tl, rows):
    """Issue 12: 40 x 28 triangles a sphere cost 9 ms of a 50 ms frame at 720p and looked
    the same as 24 x 16. Each frame size keeps the largest node's outline (a polygon of
    theta sides) within 0.35 px of its circle, and the thickest weight's within 0.2 px."""
    from nnviz3d.frames import _px_per_unit
    from nnviz3d.render_vtk import detail

    (theta, _), sides = detail(rows)
    width = rows * 16 // 9
    node = weight = 0.0
    for f in range(0, tl.n_frames, 97):
        state = frame_state(tl, f, width, rows)
        px = _px_per_unit(state.camera, width, rows)
        node = max(node, float(state.sphere_radii.max(initial=0)) * px)
        weight = max(weight, float(state.cylinder_radii.max(initial=0)) * px)
    assert node > 20 * rows / 720 and weight > 3  # (the largest really are measured)
    assert node * (1 - np.cos(np.pi / theta)) < 0.35
    assert weight * (1 - np.cos(np.pi / sides)) < 0.2
    if rows < 2160:  # and no more than it needs: a frame of twice the rows would not do
        (fewer, _), _ = detail(rows)
        assert 2 * node * (1 - np.cos(np.pi / fewer)) > 0.35
