"""Scene file -> trace -> timeline -> frame states -> pixels -> encoder, for the CLI."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from nnviz3d.encode import Mp4Writer
from nnviz3d.fonts import find_japanese_font
from nnviz3d.frames import frame_state
from nnviz3d.recorder import Trace, train
from nnviz3d.scene import Scene
from nnviz3d.timeline import Timeline, build_timeline


@dataclass(frozen=True)
class RenderStats:
    frames: int
    rendered: int  # frames whose pixels were drawn (held frames re-use the last ones)
    seconds: float
    video_seconds: float

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else float("inf")

    def summary(self, path: Path) -> str:
        return (
            f"{path}: {self.frames} frames ({self.video_seconds:.1f} s of video), "
            f"rendered in {self.seconds:.1f} s = {self.fps:.1f} frames/s, "
            f"{self.video_seconds / self.seconds:.2f}x real time "
            f"({self.rendered} drawn, {self.frames - self.rendered} held)"
        )


def prepare(
    scene: Scene, epochs: tuple[int, ...] | None = None, fps: int | None = None
) -> tuple[Trace, Timeline]:
    """Train (keeping the shown epochs whole) and build the timeline."""
    shown = epochs or scene.render.epochs
    if fps is not None and fps != scene.render.fps:
        scene = replace(scene, render=replace(scene.render, fps=fps))
    font = resolve_font(scene)
    trace = train(scene.network, shown, scene.render.batches)
    timeline = build_timeline(scene, trace, shown)
    return trace, replace(timeline, font=font) if font else timeline


def resolve_font(scene: Scene) -> str | None:
    """The font file every text element uses: the scene's or --font's, a Japanese one
    found on the system for ``lang = "ja"``, else None (VTK's own fonts)."""
    if scene.render.lang == "ja":
        return find_japanese_font(scene.render.font)
    if scene.render.font:
        return find_japanese_font(scene.render.font)  # checks the file exists
    return None


class FrameSource:
    """Pixels of any frame, re-using the previous frame's pixels while a step holds."""

    def __init__(self, timeline: Timeline, width: int, height: int, theme: str) -> None:
        from nnviz3d.render_vtk import VtkFrameRenderer

        self.timeline, self.width, self.height, self.theme = timeline, width, height, theme
        self.renderer = VtkFrameRenderer(width, height)
        self._key: tuple[int, int] | None = None
        self._pixels: np.ndarray | None = None
        self.drawn = 0

    def pixels(self, frame: int) -> np.ndarray:
        state = frame_state(self.timeline, frame, self.width, self.height, self.theme)
        if state.key != self._key or self._pixels is None:
            self._pixels = self.renderer.render(state)
            self._key = state.key
            self.drawn += 1
        return self._pixels

    def close(self) -> None:
        self.renderer.close()


def render_video(
    timeline: Timeline,
    out: Path,
    width: int,
    height: int,
    theme: str = "dark",
    progress: bool | None = None,
) -> RenderStats:
    """Render every frame of ``timeline`` to ``out``; the file appears only when complete."""
    from tqdm import tqdm

    start = time.perf_counter()
    n = timeline.n_frames
    source = FrameSource(timeline, width, height, theme)
    show = sys.stderr.isatty() if progress is None else progress
    try:
        with (
            Mp4Writer(out, width, height, timeline.fps) as writer,
            tqdm(total=n, unit="frame", disable=not show, dynamic_ncols=True, leave=False) as bar,
        ):
            for f in range(n):
                writer.write(source.pixels(f))
                bar.update(1)
    finally:
        source.close()
    return RenderStats(n, source.drawn, time.perf_counter() - start, n / timeline.fps)
