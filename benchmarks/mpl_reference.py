"""Reference renderer for the speed comparison: the same animation in plain matplotlib.

This is what a user would otherwise write: one mplot3d ``Axes3D`` (axis off) whose
artists are updated in place every frame, saved to MP4 through matplotlib's
``FFMpegWriter`` with the same H.264 settings nnviz3d's encoder uses. It exists only so
the benchmark (``benchmarks/render_bench.py``) can quote nnviz3d's speed against it at
the same resolution and frame count; it is not a product feature and need not look like
the VTK render.

Each frame's content comes from :func:`nnviz3d.frames.frame_state`: spheres and halos
are 3D scatters (marker area from the radius), weights a ``Line3DCollection`` (line
width from the cylinder radius), value labels 3D
texts, and every 2D overlay text a ``fig.text``. The 2D panel rectangles and inset-plot
polylines are drawn too, simply, as figure-level ``Rectangle`` and ``Line2D`` artists,
so both renderers do comparable work. The background is one flat colour (no gradient).
The camera is approximated: elevation, azimuth and view angle from the state's camera,
fixed axis limits from the layout's bounds, and the box centred and scaled (once, from
two projected points) where nnviz3d puts it, so the 2D texts beside the squares line up.
Frames must be non-empty and inside the timeline.
"""

from __future__ import annotations

import argparse
import math
import pathlib
import time
from collections.abc import Callable
from typing import TypeVar

import imageio_ffmpeg
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.animation import FFMpegWriter
from matplotlib.artist import Artist
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from mpl_toolkits.mplot3d import Axes3D, proj3d
from mpl_toolkits.mplot3d.art3d import Line3DCollection, Text3D

from nnviz3d.frames import FrameState, frame_state, project
from nnviz3d.timeline import Timeline

DPI = 100
#: the same encoder settings as nnviz3d.encode.Mp4Writer
FFMPEG_ARGS = ["-preset", "veryfast", "-tune", "animation", "-crf", "20", "-pix_fmt", "yuv420p"]
A = TypeVar("A", bound=Artist)


def _mpl(points: np.ndarray) -> np.ndarray:
    """World (x, y up, z towards the viewer) -> matplotlib (x, y into the screen, z up)."""
    p = np.asarray(points, dtype=float).reshape(-1, 3)
    return np.stack([p[:, 0], -p[:, 2], p[:, 1]], axis=1)


def _pool(artists: list[A], n: int, make: Callable[[], A]) -> list[A]:
    """The first ``n`` artists of a growing pool, the rest hidden."""
    while len(artists) < n:
        artists.append(make())
    for extra in artists[n:]:
        extra.set_visible(False)
    return artists[:n]


def _view(ax: Axes3D, state: FrameState) -> None:
    """Look from the direction of the state's camera."""
    d = _mpl(np.subtract(state.camera.position, state.camera.focal_point))[0]
    elev = math.degrees(math.asin(d[2] / np.linalg.norm(d)))
    ax.view_init(elev=elev, azim=math.degrees(math.atan2(d[1], d[0])))


def render_reference(
    timeline: Timeline, out: pathlib.Path, width: int, height: int, frames: range, theme: str = "dark"
) -> int:
    """Render ``frames`` of ``timeline`` to an H.264 MP4 at ``width`` x ``height``; return
    the number of frames written."""
    matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    first = frame_state(timeline, frames[0], width, height, theme)
    t = first.theme
    background = tuple((np.array(t.background_top) + np.array(t.background_bottom)) / 2)
    fig = plt.figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor=background)
    # The layout's box is centred and scaled where nnviz3d's camera puts it: a square axes
    # (mplot3d keeps them square) the size of the frame, centred on the projected centre.
    blo, bhi = timeline.layout.bounds()
    ndc = project(first.camera, np.stack([(blo + bhi) / 2, (blo + bhi) / 2 + (1, 0, 0)]), width / height)
    pix = (ndc + 1) / 2 * (width, height)
    side = max(width, height)
    ax = fig.add_axes((pix[0, 0] / width - side / width / 2, pix[0, 1] / height - side / height / 2,
                       side / width, side / height), projection="3d", computed_zorder=False)  # fmt: skip
    ax.set_axis_off()
    ax.patch.set_visible(False)
    lo, hi = (_mpl(b)[0] for b in (blo, bhi))
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), zlim=(lo[2], hi[2]))
    ax.set_proj_type("persp", focal_length=1 / math.tan(math.radians(first.camera.view_angle / 2)))
    _view(ax, first)

    def px_per_unit() -> float:  # on screen, at the middle of the layout
        fig.canvas.draw()
        mid = (lo + hi) / 2
        xs, ys, _ = proj3d.proj_transform(np.array([mid[0], mid[0] + 1]), [mid[1]] * 2, [mid[2]] * 2,
                                          ax.get_proj())  # fmt: skip
        px = ax.transData.transform(np.stack([xs, ys], axis=1))
        return float(np.linalg.norm(px[1] - px[0]))

    ax.set_box_aspect(hi - lo)
    ax.set_box_aspect(hi - lo, zoom=float(np.linalg.norm(pix[1] - pix[0])) / px_per_unit())
    pt_per_unit = px_per_unit() * 72 / DPI  # for marker sizes and line widths

    edges = ax.add_collection3d(Line3DCollection([], zorder=1), autolim=False)
    halos = ax.scatter([], [], [], alpha=0.25, depthshade=False, linewidths=0, zorder=2)
    spheres = ax.scatter([], [], [], depthshade=False, linewidths=0, zorder=3)
    texts: list[Text] = []
    labels: list[Text3D] = []
    rects: list[Rectangle] = []
    lines: list[Line2D] = []

    def new_text() -> Text:
        return fig.text(0, 0, "", parse_math=False)

    def new_label() -> Text3D:
        return ax.text(0, 0, 0, "", parse_math=False, zorder=5)

    def new_rect() -> Rectangle:
        return fig.add_artist(Rectangle((0, 0), 0, 0, transform=fig.transFigure, linewidth=0, zorder=1))

    def new_line() -> Line2D:
        return fig.add_artist(Line2D([], [], transform=fig.transFigure, zorder=2))

    def area(r: np.ndarray) -> np.ndarray:  # scatter sizes are marker areas in points^2
        return (2 * r * pt_per_unit) ** 2

    writer = FFMpegWriter(fps=timeline.fps, codec="libx264", extra_args=FFMPEG_ARGS)
    written = 0
    with writer.saving(fig, str(out), DPI):
        for f in frames:
            s = first if f == frames[0] else frame_state(timeline, f, width, height, theme)
            _view(ax, s)
            a = _mpl(s.cylinder_centers - s.cylinder_directions * s.cylinder_lengths[:, None] / 2)
            b = _mpl(s.cylinder_centers + s.cylinder_directions * s.cylinder_lengths[:, None] / 2)
            edges.set_segments(np.stack([a, b], axis=1))
            edges.set_linewidths(2 * s.cylinder_radii * pt_per_unit)
            edges.set_color(s.cylinder_colors)
            for sc, centers, size, colors in (
                (halos, s.halo_centers, area(s.halo_radii), s.halo_colors),
                (spheres, s.sphere_centers, area(s.sphere_radii), s.sphere_colors),
            ):
                sc._offsets3d = tuple(_mpl(centers).T)
                sc.set_sizes(size)
                sc.set_facecolor(colors)
            for art, lab in zip(_pool(labels, len(s.labels), new_label), s.labels, strict=True):
                art.set_position_3d(tuple(_mpl(lab.position)[0]))
                art.set(
                    text=lab.text,
                    fontsize=lab.size * 72 / DPI,
                    color=lab.color,
                    rotation=lab.angle,
                    visible=True,
                )
            for art, tx in zip(_pool(texts, len(s.texts), new_text), s.texts, strict=True):
                art.set(x=tx.x, y=tx.y, text=tx.text, fontsize=tx.size * 72 / DPI, color=tx.color,
                        family="monospace" if tx.mono else "sans-serif", ha=tx.align, va=tx.valign,
                        weight="bold" if tx.bold else "normal", visible=True)  # fmt: skip
            for art, r in zip(_pool(rects, len(s.rects), new_rect), s.rects, strict=True):
                art.set(xy=(r.x0, r.y0), width=r.x1 - r.x0, height=r.y1 - r.y0, visible=True)
                art.set(facecolor=r.color, alpha=r.opacity)
            for art, pl in zip(_pool(lines, len(s.polylines), new_line), s.polylines, strict=True):
                art.set_data(*zip(*pl.points, strict=True))
                art.set(color=pl.color, linewidth=pl.width * 72 / DPI, visible=True)
            writer.grab_frame()
            written += 1
    plt.close(fig)
    return written


if __name__ == "__main__":
    from nnviz3d.pipeline import prepare
    from nnviz3d.scene import default_scene_path, load_scene, parse_resolution

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--resolution", default="1280x720")
    parser.add_argument("--theme", default="dark", choices=("dark", "light"))
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("/tmp/ref.mp4"))
    args = parser.parse_args()
    w, h = parse_resolution(args.resolution)
    _, tl = prepare(load_scene(default_scene_path()))
    start = time.perf_counter()
    n = render_reference(tl, args.out, w, h, range(min(args.frames, tl.n_frames)), args.theme)
    seconds = time.perf_counter() - start
    print(f"{args.out}: {n} frames at {w}x{h} in {seconds:.2f} s = {n / seconds:.2f} frames/s")
