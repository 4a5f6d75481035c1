"""The Python API: what the command line does, as calls that return objects (and show
themselves in Jupyter) and raise :class:`nnviz3d.UserError` instead of exiting.

::

    import nnviz3d
    scene = nnviz3d.load_scene("scenes/fit_square.toml")
    trace = nnviz3d.train(scene)
    video = nnviz3d.render(trace, out="renders/fit.mp4", resolution="640x360")
    video                      # in Jupyter: the video, inline
    nnviz3d.frame(scene, step=10)   # in Jupyter: the PNG
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nnviz3d.errors import UserError
from nnviz3d.outputs import PNG_COMPRESSION
from nnviz3d.recorder import Trace
from nnviz3d.scene import Scene, configured, scene_from_trace
from nnviz3d.scene import load_scene as _load_scene

#: what render() and frame() take besides the source, as the command line's flags
SETTINGS = {"epilogue", "resolution", "fps", "theme", "lang", "layout", "antialias", "font", "mono_font"}
#: a video up to this size is embedded in the notebook; a bigger one is linked by its path
EMBED_BYTES = 25_000_000

Source = Scene | Trace | str | Path | Any  # or a Recorder (anything with .trace())


def load_scene(path: str | Path | None = None, data_dir: str | None = None) -> Scene:
    """A scene file, validated (None: the built-in iamtrask scene)."""
    return _load_scene(path, data_dir)


def train(scene: Scene | str | Path | None = None) -> Trace:
    """Train the scene's network, keeping the epochs its video shows (and its epilogue's)
    whole: the trace ``render`` shows."""
    from nnviz3d.recorder import train as _train
    from nnviz3d.timeline import recorded_epochs

    if not isinstance(scene, Scene):
        scene = load_scene(scene)
    return _train(scene.network, recorded_epochs(scene, scene.render.epochs), scene.render.batches)


def _scene(source: Source) -> Scene:
    """A scene from a scene, a trace, a recorder, or a file (.npz: a trace; else a scene)."""
    if source is None or isinstance(source, Scene):
        return source if source is not None else load_scene()
    if isinstance(source, Trace):
        return scene_from_trace(source, {}, "trace")
    if hasattr(source, "trace") and callable(source.trace):  # a Recorder
        title = getattr(source, "title", "recorded")
        return scene_from_trace(source.trace(), {"title": title}, "recorded")
    path = Path(source)
    if path.suffix == ".npz":
        from nnviz3d.tracefile import load_trace

        return scene_from_trace(*load_trace(path), path)
    return load_scene(path)


def _configure(source: Source, settings: dict[str, Any]) -> Scene:
    epochs = settings.pop("epochs", None)
    if epochs is not None and not isinstance(epochs, str):
        epochs = ",".join(str(int(e)) for e in epochs)  # a list of epochs, or "1-3,1998-2000"
    unknown = set(settings) - SETTINGS
    if unknown:
        raise UserError(f"unknown setting {sorted(unknown)[0]!r}")
    return configured(_scene(source), epochs=epochs, **settings)


@dataclass(frozen=True)
class Video:
    """A rendered video file. In Jupyter it shows itself: embedded when small, else linked."""

    path: Path
    frames: int
    seconds: float
    width: int
    height: int

    def _repr_html_(self) -> str:
        size = self.path.stat().st_size
        if size <= EMBED_BYTES:
            data = base64.b64encode(self.path.read_bytes()).decode("ascii")
            src = f"data:video/mp4;base64,{data}"
        else:
            src = html.escape(str(self.path))
        return (
            f'<video controls width="{min(self.width, 960)}" src="{src}"></video>'
            f"<div>{html.escape(str(self.path))}: {self.frames} frames, {self.seconds:.1f} s</div>"
        )


@dataclass(frozen=True)
class Frame:
    """One frame as an (height, width, 3) uint8 RGB array; shows itself as a PNG."""

    pixels: np.ndarray
    index: int
    caption: str

    def _repr_png_(self) -> bytes:
        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(self.pixels).save(buffer, format="PNG", compress_level=PNG_COMPRESSION)
        return buffer.getvalue()

    def save(self, path: str | Path) -> Path:
        Path(path).write_bytes(self._repr_png_())
        return Path(path)


def render(
    source: Source = None, out: str | Path | None = None, *, jobs: int | str = "auto", **settings: Any
) -> Video:
    """Render ``source`` (a scene, a trace, a recorder, or a file) to ``out`` (default: the
    scene's output). ``settings``: ``epochs`` ("1-3" or a list), ``epilogue``,
    ``resolution`` ("1920x1080"), ``fps``, ``theme``, ``lang``, ``layout``, ``antialias``,
    ``font``, ``mono_font``. ``jobs``: render processes, ``"auto"`` one per CPU (at most
    8); the file is the same for any number. The file appears only when complete."""
    from nnviz3d.encode import check_output_path
    from nnviz3d.pipeline import check_size, prepare_video, render_video

    scene = _configure(source, dict(settings))
    path = Path(out) if out is not None else Path(scene.render.output)
    check_output_path(path, create_parent=out is None)
    check_size(scene, False)
    video = prepare_video(scene)
    st = scene.render
    stats = render_video(list(video.timelines) if video.tiled else video.timeline, path, st.width, st.height,
                         st.theme, st.antialias, progress=False, jobs=jobs)  # fmt: skip
    return Video(path, stats.frames, stats.video_seconds, st.width, st.height)


def frame(
    source: Source = None, *, step: int | None = None, index: int | None = None, **settings: Any
) -> Frame:
    """One frame of the video ``render`` would make: the last of step ``step``, or frame
    ``index``."""
    from nnviz3d.pipeline import prepare_video

    if (step is None) == (index is None):
        raise UserError("frame: give step=N or index=K")
    scene = _configure(source, dict(settings))
    video = prepare_video(scene)
    k = video.frame_of(frame=index, step=step, names=("frame: index", "frame: step"))
    src = video.source(scene)
    try:
        pixels = np.array(src.pixels(k), copy=True)
    finally:
        src.close()
    return Frame(pixels, k, video.timeline.step_at(k).caption)
