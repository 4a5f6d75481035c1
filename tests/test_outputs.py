"""Issue 11: what a lecturer takes away -- formats, clips, presets, subtitles, chapters,
the narration script, the contact sheet -- and that each is as atomic as the MP4."""

import itertools
import os
import re
import stat
import subprocess
from pathlib import Path

import imageio.v3 as iio
import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from nnviz3d import chapters as story
from nnviz3d.cli import main
from nnviz3d.errors import UserError
from nnviz3d.outputs import output_format
from nnviz3d.pipeline import prepare_video
from nnviz3d.scene import configured, load_scene
from tests.test_render_encode import decode

DRAFT = ["-q", "draft"]


@pytest.fixture(scope="module")
def draft():
    """The default video at -q draft, as the CLI makes it: its timeline and a frame source."""
    scene = configured(load_scene(), "--", resolution="640x360", fps=15, antialias="none")
    video = prepare_video(scene)
    source = video.source(scene)
    yield video.timeline, source
    source.close()


def _ffmpeg_info(path: Path) -> str:
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    return subprocess.run([exe, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr


def _clip_frames(tl, a: int, b: int) -> range:
    return range(tl.steps[a].first_frame, tl.steps[b].first_frame + tl.steps[b].n_frames)


# -- formats ---------------------------------------------------------------------------
def test_the_format_comes_from_the_flag_or_the_extension():
    assert output_format(Path("talk.mp4"), None) == "mp4"
    assert output_format(Path("talk.WEBM"), None) == "webm"
    assert output_format(Path("talk.gif"), "gif") == "gif"
    assert output_format(Path("frames"), "png") == "png"
    for out, fmt, words in (
        ("a.txt", None, "its extension '.txt' names no format"),
        ("talk", None, "no extension"),
        ("a.mp4", "bogus", "unknown format 'bogus'"),
        ("a.mp4", "gif", "--format gif needs a name ending in .gif"),
        ("a.png", "png", "writes a folder of frames"),
    ):
        with pytest.raises(UserError, match=re.escape(words)):
            output_format(Path(out), fmt)


def test_bad_output_is_refused_in_one_line_before_any_rendering(tmp_path, capsys, monkeypatch):
    import nnviz3d.pipeline

    def no_render(*a, **k):
        raise AssertionError("rendering started")

    monkeypatch.setattr(nnviz3d.pipeline, "render_video", no_render)
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "keep.txt").write_text("mine")
    cases = [
        (["--out", str(tmp_path / "a.txt")], "names no format"),
        (["--out", "/dev/full"], "not a regular file"),
        (["--out", "/dev/full", "--format", "mp4"], "needs a name ending in .mp4"),
        (["--format", "png", "--out", str(tmp_path / "notes.txt")], "is a file"),
        (["--format", "png", "--out", str(tmp_path / "folder")], "other files than frames"),
        (["--out", str(tmp_path / "folder")], "is a folder"),
        (["--format", "tiff", "--out", str(tmp_path / "a.mp4")], "unknown format"),
        (["--steps", "150-999", "--out", str(tmp_path / "a.mp4")], "outside the video's steps 0..167"),
        (["--steps", "9-3", "--out", str(tmp_path / "a.mp4")], "runs backwards"),
        (["--chapter", "2-sideways", "--out", str(tmp_path / "a.mp4")], "no chapter '2-sideways'"),
        (["--subtitles", "fr", "--out", str(tmp_path / "a.mp4")], "--subtitles"),
    ]
    for args, words in cases:
        assert main(["render", *args]) == 2, args
        err = capsys.readouterr().err
        assert words in err and err.count("\n") == 1, (args, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_png_clip_is_a_folder_of_the_videos_exact_frames(tmp_path, draft):
    tl, source = draft
    out = tmp_path / "frames"
    assert main(["render", *DRAFT, "--steps", "35-36", "--format", "png", "--out", str(out), "--quiet"]) == 0
    frames = _clip_frames(tl, 35, 36)
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"frame{i:06d}.png" for i in range(len(frames))]
    for i in (0, len(frames) // 2, len(frames) - 1):  # lossless: the very pixels of the video's frame
        assert np.array_equal(iio.imread(out / names[i]), source.pixels(frames.start + i))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_webm_is_vp9_yuv420p_with_every_frame(tmp_path, draft):
    tl, _ = draft
    out = tmp_path / "clip.webm"
    assert main(["render", *DRAFT, "--steps", "38", "--out", str(out), "--quiet"]) == 0
    w, h, stream, frames = decode(out)
    assert (w, h) == (640, 360) and "vp9" in stream and "yuv420p" in stream
    assert len(frames) == tl.steps[38].n_frames


def test_a_gif_has_its_own_palette_and_no_more_than_the_fps_and_width(tmp_path, draft):
    tl, source = draft
    out = tmp_path / "clip.gif"
    args = ["render", *DRAFT, "--steps", "35", "--out", str(out), "--gif-width", "480", "--quiet"]
    assert main(args) == 0
    with Image.open(out) as im:
        assert im.format == "GIF" and im.size == (480, 270) and im.info["loop"] == 0
        durations = []
        for k in range(im.n_frames):
            im.seek(k)
            durations.append(im.info["duration"])
        last = np.asarray(im.convert("RGB"))
    assert min(durations) >= 1000 / 15  # 15 fps at most (a GIF counts in 1/100 s: 70 ms)
    assert abs(sum(durations) / 1000 - tl.steps[35].n_frames / 15) < 0.15  # as long as the step
    want = np.asarray(Image.fromarray(source.pixels(tl.frames_of(35)[-1])).resize((480, 270)))
    assert np.abs(last.astype(int) - want).mean() < 12  # the step's last frame, in 256 colours


# -- clips, subtitles, chapters, script -----------------------------------------------
def test_a_clip_with_subtitles_chapters_and_a_script(tmp_path, draft):
    tl, _ = draft
    out = tmp_path / "clip.mp4"
    args = ["render", *DRAFT, "--steps", "30-40", "--out", str(out), "--subtitles", "all", "--script"]
    assert main([*args, "--quiet"]) == 0
    frames = _clip_frames(tl, 30, 40)
    decoded = decode(out)[3]
    assert len(decoded) == len(frames)
    info = _ffmpeg_info(out)
    # the subtitle tracks, in both languages, and the chapters the clip spans
    assert re.search(r"\(eng\): Subtitle: mov_text", info) and re.search(r"\(jpn\): Subtitle: mov_text", info)
    titles = re.findall(r"Chapter #\d+:\d+: start ([\d.]+), end ([\d.]+)\s+Metadata:\s+title\s+: (.+)", info)
    assert [t for _, _, t in titles] == [
        "Iteration 1: forward pass", "Iteration 1: backward pass", "Iteration 1: update",
    ]  # fmt: skip
    start_of_backward = (tl.steps[33].first_frame - frames.start) / 15
    assert abs(float(titles[1][0]) - start_of_backward) < 0.002
    # the side files: a cue per step, timed from the clip's start, the captions verbatim
    srt = (tmp_path / "clip.en.srt").read_text(encoding="utf-8")
    cues = srt.strip().split("\n\n")
    assert len(cues) == 11
    first = cues[0].splitlines()
    end = f"{tl.steps[30].n_frames / 15:06.3f}".replace(".", ",")
    assert first[0] == "1" and first[1] == f"00:00:00,000 --> 00:00:{end}"
    assert first[2] == tl.steps[30].caption
    assert cues[5].splitlines()[2] == tl.steps[35].caption
    vtt = (tmp_path / "clip.en.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n") and "00:00:00.000 --> " in vtt and tl.steps[35].caption in vtt
    ja = (tmp_path / "clip.ja.srt").read_text(encoding="utf-8")
    assert "傾き" in ja and ja.count("-->") == 11
    script = (tmp_path / "clip.en.md").read_text(encoding="utf-8")
    assert "## Iteration 1: backward pass" in script
    assert f"(step 35, {tl.steps[35].n_frames / 15:.1f} s): {tl.steps[35].caption}" in script
    assert "`l2_delta[0,0] = -0.1181054552`" in script  # the numbers, as inspect has them
    # the video stream is the same with and without the tracks: copied, not re-encoded
    plain = tmp_path / "plain.mp4"
    assert main(["render", *DRAFT, "--steps", "30-40", "--out", str(plain), "--quiet"]) == 0
    assert _h264(out) == _h264(plain)


def _h264(path: Path) -> bytes:
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    cmd = [exe, "-v", "error", "-i", str(path), "-map", "0:v", "-c", "copy", "-f", "h264", "-"]
    return subprocess.run(cmd, capture_output=True, check=True).stdout


def test_a_chapter_clip_is_that_chapters_frames(tmp_path, draft):
    tl, _ = draft
    c = story.find_chapter(tl, "1-backward")
    assert (c.first_step, c.last_step) == (33, 37)
    out = tmp_path / "c.mp4"
    assert main(["render", *DRAFT, "--chapter", "1-backward", "--out", str(out), "--quiet"]) == 0
    assert len(decode(out)[3]) == c.end_frame - c.start_frame == len(_clip_frames(tl, 33, 37))


def test_chapters_cover_the_video_in_order_with_names_for_chapter(draft):
    tl, _ = draft
    cs = story.chapters(tl)
    assert [c.name for c in cs[:5]] == ["title", "init", "1-forward", "1-backward", "1-update"]
    assert [c.name for c in cs[-3:]] == ["2000-update", "epilogue", "summary"]
    names = [c.name for c in cs]
    assert names[names.index("3-update") + 1 : names.index("1998-forward")] == ["timelapse"]
    lapse = cs[names.index("timelapse")]
    assert lapse.title == "Fast forward"
    lapsed = [s.epoch for s in tl.steps[lapse.first_step : lapse.last_step + 1]]
    assert lapsed == [10, 20, 50, 100, 200, 500, 1000]
    assert cs[0].start_frame == 0 and cs[-1].end_frame == tl.n_frames
    for a, b in itertools.pairwise(cs):
        assert a.end_frame == b.start_frame and a.last_step + 1 == b.first_step
    assert len({c.name for c in cs}) == len(cs)
    meta = story.ffmetadata(tl)
    assert meta.count("[CHAPTER]") == len(cs) and "title=Iteration 1: forward pass" in meta


def test_quality_presets_set_what_is_not_given(tmp_path):
    from nnviz3d.cli import _parser, _scene

    def picture(*args):
        r = _scene(_parser().parse_args(["render", *args])).render
        return r.width, r.height, r.fps, r.antialias

    assert picture("-q", "draft") == (640, 360, 15, "none")
    assert picture("-q", "low")[:2] == (854, 480) and picture("-q", "low")[2:] == picture()[2:]
    assert picture("-q", "high")[:2] == (1920, 1080)
    assert picture("-q", "4k")[:2] == (3840, 2160)
    assert picture("-q", "draft", "--resolution", "800x450", "--fps", "24", "--antialias", "fxaa") == (
        800, 450, 24, "fxaa",
    )  # fmt: skip


# -- atomicity: a dying ffmpeg at the last step leaves the old file and no temp file ----
def _dying_ffmpeg(tmp_path: Path, trigger: str, sig: str) -> Path:
    """An ffmpeg that works, except that it dies (``sig``) when its arguments hold ``trigger``."""
    fake = tmp_path / "bin" / "ffmpeg"
    fake.parent.mkdir()
    real = imageio_ffmpeg.get_ffmpeg_exe()
    fake.write_text(
        f'#!/bin/sh\ncase " $* " in *" {trigger} "*) kill -{sig} $$ ;; esac\nexec "{real}" "$@"\n'
    )
    fake.chmod(0o755)
    return fake


@pytest.mark.parametrize(
    ("fmt", "extra", "trigger", "sig"),
    [
        ("mp4", [], "concat", "KILL"),  # the join of the segments
        ("mp4", ["--subtitles"], "ffmetadata", "SEGV"),  # the join that muxes chapters and subtitles
        ("mp4", ["--subtitles"], "mov_text", "KILL"),
        ("webm", [], "concat", "SEGV"),
        ("gif", [], "-loop", "KILL"),  # the palette pass that makes the GIF
        ("png", [], "image2", "SEGV"),  # the frames themselves
    ],
)
def test_a_dying_ffmpeg_keeps_the_old_output_and_leaves_no_temp_file(tmp_path, monkeypatch, capsys,
                                                                      fmt, extra, trigger, sig):  # fmt: skip
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(_dying_ffmpeg(tmp_path, trigger, sig)))
    if fmt == "png":
        out = work / "frames"
        out.mkdir()
        (out / "frame000000.png").write_bytes(b"old frame")
    else:
        out = work / f"talk.{fmt}"
        out.write_bytes(b"old video")
    args = ["render", *DRAFT, "--steps", "36", "--format", fmt, "--out", str(out), "--quiet", *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "ffmpeg" in err and err.count("\n") == 1, err
    if fmt == "png":
        assert [p.name for p in out.iterdir()] == ["frame000000.png"]
        assert (out / "frame000000.png").read_bytes() == b"old frame"
    else:
        assert out.read_bytes() == b"old video"
    assert sorted(p.name for p in work.iterdir()) == [out.name]  # no temp file, no side file


# -- the contact sheet -----------------------------------------------------------------
def test_the_contact_sheet_has_a_thumbnail_and_caption_per_step(tmp_path):
    pdf = tmp_path / "sheet.pdf"
    assert main(["sheet", *DRAFT, "--epochs", "1", "--out", str(pdf)]) == 0
    steps = 46  # iteration 1 with the title and the initialisation (no epilogue with --epochs)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.read_bytes().count(b"/Type /Page\n") == -(-steps // 9)
    png = tmp_path / "sheet.png"
    assert main(["sheet", *DRAFT, "--epochs", "1", "--out", str(png)]) == 0
    with Image.open(png) as im:
        page = np.asarray(im.convert("RGB"))
    assert page.shape[1] == 1754
    # 15 rows of thumbnails: frames on a white page, a tall band without white per row
    # (a line of caption text is white around its letters, and short)
    framed = np.concatenate([[0], ((page[:, 60:574].min(axis=2) > 235).mean(axis=1) < 0.5).astype(int), [0]])
    starts, ends = np.nonzero(np.diff(framed) == 1)[0], np.nonzero(np.diff(framed) == -1)[0]
    bands = (ends - starts)[(ends - starts) > 100]
    assert len(bands) == -(-steps // 3) and np.all(np.abs(bands - 296) <= 2)  # 526 x 296 thumbnails
    assert main(["sheet", "--out", str(tmp_path / "sheet.jpg")]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sheet.pdf", "sheet.png"]
    before = png.stat().st_mtime_ns  # a sheet .png is a file, replaced like one (not a folder)
    assert main(["sheet", *DRAFT, "--epochs", "1", "--out", str(png)]) == 0
    assert png.stat().st_mtime_ns != before
