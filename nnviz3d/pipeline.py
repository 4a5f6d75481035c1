"""Scene file -> trace -> timeline -> frame states -> pixels -> encoder, for the CLI."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from nnviz3d.encode import SEGMENT_CODECS, Mp4Writer
from nnviz3d.errors import UserError
from nnviz3d.fonts import find_bold_face, find_bold_mono_face, find_japanese_font, find_japanese_mono_font
from nnviz3d.frames import frame_key, frame_state
from nnviz3d.recorder import Trace
from nnviz3d.scene import Scene
from nnviz3d.timeline import Timeline, build_timeline, needed_epochs, recorded_epochs, showing
from nnviz3d.trace_cache import cached_train


@dataclass(frozen=True)
class RenderStats:
    frames: int
    rendered: int  # frames whose pixels were drawn (held frames re-use the last ones)
    seconds: float
    video_seconds: float
    processes: int = 1  # rendering side by side (--jobs); 0: a Dask cluster's workers

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else float("inf")

    def summary(self, path: Path) -> str:
        return (
            f"{path}: {self.frames} frames ({self.video_seconds:.1f} s of video), "
            f"rendered in {self.seconds:.1f} s{self._by()} = {self.fps:.1f} frames/s, "
            f"{self.video_seconds / self.seconds:.2f}x real time "
            f"({self.rendered} drawn, {self.frames - self.rendered} held)"
        )

    def _by(self) -> str:
        if self.processes == 0:
            return " on the Dask cluster"
        return f" by {self.processes} processes" if self.processes > 1 else ""


def prepare(
    scene: Scene, epochs: tuple[int, ...] | None = None, fps: int | None = None
) -> tuple[Trace, Timeline]:
    """Train (keeping the shown epochs and the epilogue's whole) and build the timeline.

    ``epochs`` shows exactly those epochs, without the epilogue, as ``--epochs`` does."""
    scene = showing(scene, epochs)
    shown = scene.render.epochs
    if fps is not None and fps != scene.render.fps:
        scene = replace(scene, render=replace(scene.render, fps=fps))
    fonts = resolve_fonts(scene)
    if scene.recorded is not None:  # --trace: shown as recorded, nothing trained
        check_held(scene, needed_epochs(scene, shown))  # (a glance's montage where it holds one)
        trace = scene.recorded
    else:
        trace = cached_train(scene.network, recorded_epochs(scene, shown), scene.render.batches)
    timeline = build_timeline(scene, trace)
    return trace, replace(timeline, **fonts)


def check_held(scene: Scene, needed) -> None:
    """A trace's video can show only the epochs the trace holds whole: name the first one
    missing, and how to record it (``train`` for a scene, ``show=`` for a recorder)."""
    if scene.recorded is None:
        return
    held = sorted({e for e, _ in scene.recorded.updates})
    missing = [e for e in needed if e not in held]
    if missing:
        want = _ranges(needed)
        raise UserError(
            f"{scene.path}: epoch {missing[0]} is not held whole in the trace (it holds {_ranges(held)}); "
            f"record it: 'nnviz3d train SCENE --epochs {want}', or Recorder(..., show=\"{want}\")"
        )


def _ranges(epochs) -> str:
    """(1, 2, 3, 1998, 1999, 2000) -> "1-3,1998-2000": an epoch list as --epochs takes it."""
    parts: list[str] = []
    for e in sorted(epochs):
        if parts and parts[-1].split("-")[-1] == str(e - 1):
            parts[-1] = f"{parts[-1].split('-')[0]}-{e}"
        else:
            parts.append(str(e))
    return ",".join(parts)


def resolve_font(scene: Scene) -> str | None:
    """The font file every text element uses: the scene's or --font's, a Japanese one
    found on the system for ``lang = "ja"``, else None (VTK's own fonts)."""
    if scene.render.lang == "ja":
        return find_japanese_font(scene.render.font)
    if scene.render.font:
        return find_japanese_font(scene.render.font)  # checks the file exists
    return None


def resolve_fonts(scene: Scene) -> dict[str, str | None]:
    """The timeline's ``font`` (see :func:`resolve_font`) and ``mono_font``: the code and
    tables' monospaced font (Noto Sans Mono CJK JP) whenever text goes through a font file
    or ``[render] mono_font`` / ``--mono-font`` names one; None keeps the shipped Latin mono
    face (no font) or draws code and tables in the proportional ``font`` (no monospaced CJK
    face anywhere)."""
    font = resolve_font(scene)
    explicit = scene.render.mono_font
    mono = find_japanese_mono_font(font, explicit) if font or explicit else None
    bold_mono = find_bold_mono_face(explicit or font) if mono else None
    return {"font": font, "mono_font": mono, "bold_font": find_bold_face(font), "mono_bold_font": bold_mono}


@dataclass(frozen=True)
class Video:
    """What ``render`` draws, and so what ``frame``, ``steps`` and ``inspect`` describe.

    One timeline; or, for a scene with ``[compare] round``, one timeline per run (the
    scene's own weights first, "as given", then each rounding), tiled by
    :class:`FrameSource` in that order. The runs' timelines have the same steps with the
    same frames (a title card, then one step per log-spaced iteration; checked here), so a
    step or frame index means the same moment in every tile."""

    timelines: tuple[Timeline, ...]
    traces: tuple[Trace, ...]
    labels: tuple[str, ...]  # the runs' names, tiled in this order; () without [compare]

    def __post_init__(self) -> None:
        spans = {tuple((s.first_frame, s.n_frames) for s in t.steps) for t in self.timelines}
        if len(spans) != 1:
            raise ValueError("the tiled timelines do not share their step boundaries")

    @property
    def timeline(self) -> Timeline:
        """The first run's timeline: its steps and frames are every tile's."""
        return self.timelines[0]

    @property
    def tiled(self) -> bool:
        return len(self.timelines) > 1

    @property
    def n_frames(self) -> int:
        return self.timeline.n_frames

    def tiles(self) -> list[str]:
        """Where each run is drawn: "top left", ... (one entry, "whole", without tiling)."""
        cols, rows = tile_grid(len(self.timelines))
        if cols == rows == 1:
            return ["whole"]
        names = []
        for i in range(len(self.timelines)):
            r, c = divmod(i, cols)
            side = ("left", "right")[c]
            names.append(side if rows == 1 else f"{('top', 'bottom')[r]} {side}")
        return names

    def describe_tiling(self) -> str:
        """One line naming the runs and where each is drawn (empty without tiling)."""
        if not self.tiled:
            return ""
        cols, rows = tile_grid(len(self.timelines))
        runs = ", ".join(f"{r['run']} {r['label']} ({r['tile']})" for r in self.runs_at(0))
        return f"split screen of {len(self.timelines)} runs, {cols}x{rows}: {runs}"

    def runs_at(self, step: int) -> list[dict]:
        """Every tiled run at step ``step``: number (from 1), label, tile, caption, values."""
        return [
            {"run": k + 1, "label": label, "tile": tile, "caption": t.steps[step].caption,
             "values": t.steps[step].values}
            for k, (label, tile, t) in enumerate(zip(self.labels, self.tiles(), self.timelines, strict=True))
        ]  # fmt: skip

    def frame_of(
        self,
        frame: int | None = None,
        step: int | None = None,
        names: tuple[str, str] = ("--frame", "--step"),
    ) -> int:
        """A frame index checked against the video, or the last frame of step ``step``;
        ``names``: what the caller calls the two (the command line's flags, the API's
        arguments), for the error."""
        if step is not None:
            if not 0 <= step < len(self.timeline.steps):
                raise UserError(f"{names[1]}: {step} is outside 0..{len(self.timeline.steps) - 1}")
            return self.timeline.frames_of(step)[-1]
        assert frame is not None
        if not 0 <= frame < self.n_frames:
            raise UserError(f"{names[0]}: {frame} is outside 0..{self.n_frames - 1}")
        return frame

    def source(self, scene: Scene) -> FrameSource:
        """The frame source ``render`` uses for this video at the scene's picture settings."""
        st = scene.render
        timelines = list(self.timelines) if self.tiled else self.timeline
        return FrameSource(timelines, st.width, st.height, st.theme, st.antialias)


def prepare_video(scene: Scene) -> Video:
    """Train and build what ``render`` draws for ``scene`` (see :class:`Video`)."""
    if not scene.compare_round:
        trace, timeline = prepare(scene)
        return Video((timeline,), (trace,), ())
    from nnviz3d.compare import comparison_trained

    fonts = resolve_fonts(scene)
    runs = comparison_trained(scene)
    return Video(
        tuple(replace(t, **fonts) for _, _, t in runs),
        tuple(trace for _, trace, _ in runs),
        tuple(label for label, _, _ in runs),
    )


def tile_grid(n: int) -> tuple[int, int]:
    """(columns, rows) of the split screen of ``n`` timelines: 1, 2 side by side, else 2x2."""
    return (1 if n == 1 else 2), (1 if n <= 2 else 2)


class FrameSource:
    """Pixels of any frame, re-using the previous frame's pixels while a step holds.

    Several timelines of equal length are tiled (2 side by side, 3-4 in a 2x2 grid): the
    split screen of a comparison. In hall and lecture each tile is only its run's network,
    pasted into a frame that holds the names, the scores and one shared chart
    (``split.py``); study tiles the runs' whole frames."""

    def __init__(
        self,
        timelines: Timeline | list[Timeline],
        width: int,
        height: int,
        theme: str,
        antialias: str = "fxaa",
    ) -> None:
        from nnviz3d.render_vtk import VtkFrameRenderer

        self.timelines = timelines if isinstance(timelines, list) else [timelines]
        self.width, self.height, self.theme = width, height, theme
        n = len(self.timelines)
        self.cols, self.rows = tile_grid(n)
        self.tile_w = (width // self.cols) // 2 * 2
        self.tile_h = (height // self.rows) // 2 * 2
        self.split = None  # hall and lecture: networks in tiles, the words and chart around them
        if n > 1 and self.timelines[0].screen != "study":
            from nnviz3d.split import split_layout, tile_timeline

            self.split = split_layout(n, width, height)
            self.tile_w, self.tile_h = self.split.tile_size
            self._tiled = [tile_timeline(t) for t in self.timelines]
            self._base = VtkFrameRenderer(width, height, antialias)
            self._base_key: tuple[int, int] | None = None
            self._base_pixels: np.ndarray | None = None
        self.renderer = VtkFrameRenderer(self.tile_w, self.tile_h, antialias)
        self._keys: list[tuple[int, int] | None] = [None] * n
        self._tiles: list[np.ndarray | None] = [None] * n
        self._frame = np.zeros((height, width, 3), np.uint8)
        self.drawn = 0

    @property
    def n_frames(self) -> int:
        return min(t.n_frames for t in self.timelines)

    def pixels(self, frame: int) -> np.ndarray:
        if self.split is not None:
            return self._split_pixels(frame)
        if self._refresh_tiles(self.timelines, frame):
            self.drawn += 1
            if len(self.timelines) == 1:
                self._frame = self._tiles[0]
            else:
                self._frame = np.zeros((self.height, self.width, 3), np.uint8)
                for i, tile in enumerate(self._tiles):
                    r, c = divmod(i, self.cols)
                    self._frame[
                        r * self.tile_h : (r + 1) * self.tile_h, c * self.tile_w : (c + 1) * self.tile_w
                    ] = tile
        return self._frame

    def repeats(self, frame: int) -> bool:
        """Whether ``frame`` is ``frame - 1`` again: no tile's key changes (nor, then, the
        split screen's frame around them, which changes only with the step)."""
        timelines = self._tiled if self.split is not None else self.timelines
        return frame > 0 and all(frame_key(t, frame) == frame_key(t, frame - 1) for t in timelines)

    def _refresh_tiles(self, timelines, frame: int) -> bool:
        """Draw every tile whose state changed since its last drawing; True if any did."""
        changed = False
        for i, timeline in enumerate(timelines):
            key = frame_key(timeline, frame)
            if key != self._keys[i] or self._tiles[i] is None:
                state = frame_state(timeline, frame, self.tile_w, self.tile_h, self.theme)
                self._tiles[i] = self.renderer.render(state)
                self._keys[i] = state.key
                changed = True
        return changed

    def _split_pixels(self, frame: int) -> np.ndarray:
        """The split screen: the frame around the tiles, each run's network pasted in."""
        from nnviz3d.split import split_state

        changed = False
        base = split_state(self.timelines, frame, self.width, self.height, self.theme)
        if base.key != self._base_key or self._base_pixels is None:
            self._base_pixels = self._base.render(base)
            self._base_key = base.key
            changed = True
        card = self.timelines[0].step_at(frame).card is not None  # a card fills the frame
        if not card:
            changed |= self._refresh_tiles(self._tiled, frame)
        if changed:
            self.drawn += 1
            self._frame = self._base_pixels.copy()
            for i, (x, y, w, h) in enumerate(self.split.tiles):
                if not card:
                    self._frame[y : y + h, x : x + w] = self._tiles[i]
        return self._frame

    def close(self) -> None:
        self.renderer.close()
        if self.split is not None:
            self._base.close()


#: frames per independently encoded segment. Fixed, so that the video's bytes do not depend
#: on how many processes rendered it (--jobs): each segment starts on a keyframe and the
#: segments are joined without re-encoding.
SEGMENT_FRAMES = 300


def segments(n_frames: int, size: int = SEGMENT_FRAMES) -> list[tuple[int, int]]:
    """``[start, stop)`` frame ranges covering the video."""
    return [(a, min(a + size, n_frames)) for a in range(0, n_frames, size)]


@dataclass(frozen=True)
class _Job:
    """What a render process needs; pickled once per process (the spawn start method)."""

    timelines: Timeline | list[Timeline]
    width: int
    height: int
    theme: str
    antialias: str
    folder: Path
    codec: str = "h264"
    first_frame: int = 0  # a clip's first frame: PNG frames are numbered from it


_worker_source: FrameSource | None = None
_worker_job: _Job | None = None


def encode_frames(source: FrameSource, frames: range, path: Path, **options) -> None:
    """Frames ``frames`` of ``source`` into one file (``options`` go to the writer), each
    frame that repeats the one before it not encoded again."""
    repeats = [source.repeats(f) for f in frames]
    with Mp4Writer(
        path, source.width, source.height, source.timelines[0].fps, repeats=repeats, **options
    ) as writer:
        for f in frames:
            writer.write(source.pixels(f))


def _render_segment(source: FrameSource, job: _Job, index: int, span: tuple[int, int]) -> tuple[int, int]:
    """Encode frames ``span`` to the segment file ``index``; returns (frames, drawn)."""
    drawn = source.drawn
    if job.codec == "png":  # numbered from the clip's start, straight into the frames folder
        path = job.folder / "frames" / "frame%06d.png"
        path.parent.mkdir(exist_ok=True)
    else:
        path = job.folder / f"segment{index:05d}.{SEGMENT_CODECS[job.codec][1]}"
    first = span[0] - job.first_frame
    encode_frames(source, range(*span), path, faststart=False, codec=job.codec, start_number=first)
    return span[1] - span[0], source.drawn - drawn


def _worker_init(job: _Job) -> None:
    import signal

    global _worker_source, _worker_job
    # Ctrl-C reaches the whole process group: the parent alone handles it (it ends us)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_job = job
    _worker_source = FrameSource(job.timelines, job.width, job.height, job.theme, job.antialias)


def _stop_segment(signum: int, frame: object) -> None:
    """SIGTERM while a segment renders: unwind like Ctrl-C, so that our ffmpeg is killed
    and its file removed, but end without the traceback multiprocessing prints for any
    exception but SystemExit."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: let the clean-up finish
    raise SystemExit(1)


def _worker_segment(task: tuple[int, tuple[int, int]]) -> tuple[int, int]:
    """One segment in a render process. Only here does SIGTERM (the parent ending the
    pool) unwind; starting up or between segments there is nothing to clean, and an
    exception raised then (in an import, in the pool's own code, at exit) would print
    a traceback, so the signal ends the process as it does by default."""
    import signal

    assert _worker_source is not None and _worker_job is not None
    signal.signal(signal.SIGTERM, _stop_segment)
    try:
        return _render_segment(_worker_source, _worker_job, *task)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@dataclass(frozen=True)
class Output:
    """What ``render_video`` writes besides pixels: the format, which frames (a clip),
    and what is muxed in (chapters as ffmetadata, subtitles as ``(lang, srt)``)."""

    fmt: str = "mp4"  # mp4 | webm | gif | png (a folder of frames)
    frames: range | None = None  # None: the whole video
    chapters: str | None = None
    subtitles: tuple[tuple[str, str], ...] = ()
    gif_width: int = 640


#: the codec each format's segments are encoded with (a GIF is made from H.264 segments)
_SEGMENT_CODEC = {"mp4": "h264", "webm": "vp9", "gif": "h264", "png": "png"}


def render_video(
    timeline: Timeline | list[Timeline],
    out: Path,
    width: int,
    height: int,
    theme: str = "dark",
    antialias: str = "fxaa",
    progress: bool | None = None,
    jobs: int | str = "auto",
    output: Output = Output(),
    dask: object = None,
) -> RenderStats:
    """Render every frame (or ``output.frames``) to ``out``; it appears only when complete.

    The video is encoded in fixed segments that are joined without re-encoding, so
    ``jobs`` processes (``auto``: :func:`auto_jobs`) can render segments side by side and
    the file is the same for any ``jobs``. Segments live in a hidden folder beside ``out``
    that is always removed; a folder of PNG frames is made in it and renamed into place
    whole. ``dask`` (``local:N`` or a scheduler's address) renders the segments on a Dask
    cluster instead."""
    import shutil
    import tempfile

    from tqdm import tqdm

    from nnviz3d.encode import concat_segments, place_folder, write_gif

    start = time.perf_counter()
    timelines = timeline if isinstance(timeline, list) else [timeline]
    fps = timelines[0].fps
    frames = output.frames or range(min(t.n_frames for t in timelines))
    n = len(frames)
    spans = [(frames.start + a, frames.start + b) for a, b in segments(n)]
    jobs = min(auto_jobs() if jobs == "auto" else int(jobs), len(spans))
    show = sys.stderr.isatty() if progress is None else progress
    try:
        folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".segments", dir=out.parent))
    except OSError as exc:
        raise UserError(f"cannot write beside {out}: {exc.strerror}") from None
    codec = _SEGMENT_CODEC[output.fmt]
    job = _Job(timeline, width, height, theme, antialias, folder, codec, frames.start)
    drawn = 0
    try:
        with tqdm(total=n, unit="frame", disable=not show, dynamic_ncols=True, leave=False) as bar:
            if dask is not None:  # an address, or a client already connected (render-many)
                from nnviz3d.farm import dask_client, render_segments

                if isinstance(dask, str):
                    with dask_client(dask) as client:
                        drawn = render_segments(client, job, spans, folder, bar.update)
                else:
                    drawn = render_segments(dask, job, spans, folder, bar.update)
            elif jobs <= 1:
                source = FrameSource(timeline, width, height, theme, antialias)
                try:
                    for i, span in enumerate(spans):
                        count, new = _render_segment(source, job, i, span)
                        drawn += new
                        bar.update(count)
                finally:
                    source.close()
            else:
                drawn = _render_parallel(job, spans, jobs, bar)
        parts = [folder / f"segment{i:05d}.{SEGMENT_CODECS[codec][1]}" for i in range(len(spans))]
        if output.fmt == "png":
            place_folder(folder / "frames", out)
        elif output.fmt == "gif":
            concat_segments(parts, folder / "joined.mp4")
            write_gif(folder / "joined.mp4", out, fps, output.gif_width)
        else:
            concat_segments(parts, out, fmt=output.fmt, chapters=output.chapters, subtitles=output.subtitles)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    processes = 0 if dask is not None else jobs
    return RenderStats(n, drawn, time.perf_counter() - start, n / fps, processes)


#: the most processes ``--jobs auto`` starts: each holds its own trace, timeline and VTK
#: window (about 310 MB for the default video at 720p)
AUTO_JOBS_MAX = 8


def auto_jobs() -> int:
    """Render processes for ``--jobs auto``: one per CPU this process may run on, at most
    :data:`AUTO_JOBS_MAX`. On 2 cores, 2 processes render the default video 1.24x faster
    than one (llvmpipe already draws with both, but a frame's Python, VTK and encoder work
    runs beside the other process's drawing)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, AUTO_JOBS_MAX))


def _render_parallel(job: _Job, spans: list[tuple[int, int]], jobs: int, bar) -> int:
    """Segments in ``jobs`` processes; any failure or interruption ends them all."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # no fork of a process that holds threads
    pool = context.Pool(jobs, initializer=_worker_init, initargs=(job,), maxtasksperchild=None)
    drawn = 0
    try:
        for count, new in pool.imap_unordered(_worker_segment, list(enumerate(spans))):
            drawn += new
            bar.update(count)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
    return drawn


#: videos longer than this need --yes: a typo in --epochs should not start hours of work
MAX_MINUTES_WITHOUT_YES = 30
#: a conservative rendering speed for the estimate (frames per second, this kind of machine)
ESTIMATE_FPS = 20.0


def estimate_seconds(scene: Scene, epochs: tuple[int, ...] | None = None) -> float:
    """Length of the video in seconds, from its story alone (before any training)."""
    from nnviz3d.timeline import story_seconds

    return story_seconds(scene, epochs)


def check_size(scene: Scene, yes: bool) -> None:
    """Refuse, with the numbers, a video that would take very long unless told ``yes``."""
    if scene.recorded is not None:  # an epoch the trace lacks is the first thing to say
        check_held(scene, needed_epochs(scene, scene.render.epochs))
    seconds = estimate_seconds(scene)
    if seconds / 60 > MAX_MINUTES_WITHOUT_YES and not yes:
        frames = round(seconds * scene.render.fps)
        render_minutes = frames / ESTIMATE_FPS / 60
        raise UserError(
            f"this video would be about {frames} frames ({seconds / 60:.0f} min of video, roughly "
            f"{render_minutes:.0f} min to render); show fewer epochs, or pass --yes to render it anyway"
        )
