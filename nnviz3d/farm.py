"""Rendering on a Dask cluster: the same fixed segments as ``--jobs``, rendered by
workers and sent back as bytes (no shared disk), joined here without re-encoding.

Dask does the hard parts of a farm: it places the tasks, retries a segment elsewhere if
its worker dies, and cancels what is left when we stop. A segment depends only on its
frames, so the file is byte-identical to ``--jobs 1`` wherever it was rendered -- as long
as every worker draws and encodes alike, which each segment proves by carrying its VTK,
OpenGL and ffmpeg versions: a mismatch is an error that names the worker.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import socket
import tempfile
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from nnviz3d.errors import UserError
from nnviz3d.offscreen import ensure_offscreen

if TYPE_CHECKING:
    from nnviz3d.pipeline import FrameSource, _Job


@dataclass(frozen=True)
class Segment:
    """One rendered segment, as it comes back from a worker."""

    index: int
    data: bytes
    versions: tuple[tuple[str, str], ...]
    worker: str
    frames: int
    drawn: int


def parse_address(text: str) -> tuple[str, int | None]:
    """``local`` / ``local:N`` (a LocalCluster of N worker processes, default 2), or a
    scheduler's ``tcp://HOST:PORT``."""
    m = re.fullmatch(r"local(?::(\d+))?", text)
    if m:
        n = int(m.group(1) or 2)
        if not 1 <= n <= 64:
            raise UserError(f"--dask: local:N wants 1 to 64 workers, got {n}")
        return "local", n
    if re.fullmatch(r"(tcp|tls)://[^\s:/]+:\d+", text):
        return text, None
    raise UserError(f"--dask: {text!r} is neither local[:N] nor a scheduler address like tcp://HOST:8786")


@contextlib.contextmanager
def dask_client(address: str):
    """A connected client (and the LocalCluster it started, closed after)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UserError("--dask needs Dask: pip install 'nnviz3d[dask]'") from None
    where, n = parse_address(address)
    cluster = None
    try:
        if where == "local":
            cluster = LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=logging.ERROR,
            )  # fmt: skip
            client = Client(cluster)
        else:
            client = Client(where, timeout="5s")
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise UserError(f"--dask: cannot reach the scheduler at {where} ({type(exc).__name__})") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def render_segments(
    client, job: _Job, spans: list[tuple[int, int]], folder: Path, on_done=lambda frames: None
) -> int:
    """Render ``spans`` on the cluster into ``folder`` (as ``--jobs`` names them);
    returns the frames drawn. Any failure or interruption cancels every future."""
    from distributed import as_completed

    from nnviz3d.encode import SEGMENT_CODECS

    key = uuid.uuid4().hex  # workers keep one frame source per job
    ext = SEGMENT_CODECS[job.codec][1]
    shipped = client.scatter(replace(job, folder=Path(".")), broadcast=True)
    futures = [
        client.submit(render_one_segment, shipped, key, i, span, pure=False, key=f"nnviz3d-{key}-{i}")
        for i, span in enumerate(spans)
    ]
    drawn = 0
    reference: Segment | None = None
    try:
        for future in as_completed(futures):
            seg: Segment = future.result()
            reference = reference or seg
            check_versions(reference, seg)
            (folder / f"segment{seg.index:05d}.{ext}").write_bytes(seg.data)
            drawn += seg.drawn
            on_done(seg.frames)
    except BaseException:
        client.cancel(futures)
        raise
    return drawn


def check_versions(reference: Segment, seg: Segment) -> None:
    """Segments join into one file, byte for byte as ``--jobs 1`` makes it, only if every
    worker draws and encodes alike: a difference names both workers."""
    if seg.versions != reference.versions:
        theirs = ", ".join(f"{k} {v}" for k, v in seg.versions)
        ours = ", ".join(f"{k} {v}" for k, v in reference.versions)
        raise UserError(
            f"--dask: worker {seg.worker} renders with {theirs}, but worker {reference.worker} "
            f"with {ours}: install the same versions on every worker"
        )


# -- on the worker ----------------------------------------------------------------------
_sources: dict[str, FrameSource] = {}


def render_one_segment(job: _Job, key: str, index: int, span: tuple[int, int]) -> Segment:
    """Runs on a worker: render and encode one segment in a private temporary folder, and
    return its bytes with the versions that made them."""
    from nnviz3d.pipeline import FrameSource, _render_segment

    where = _worker_name()
    ensure_offscreen(where)
    if key not in _sources:  # a new job: the previous one's renderer goes
        for old in _sources.values():
            old.close()
        _sources.clear()
        _sources[key] = FrameSource(job.timelines, job.width, job.height, job.theme, job.antialias)
    source = _sources[key]
    _maybe_die_for_a_test(index)
    folder = Path(tempfile.mkdtemp(prefix="nnviz3d-segment-"))
    try:
        frames, drawn = _render_segment(source, replace(job, folder=folder), index, span)
        path = next(folder.glob(f"segment{index:05d}.*"))
        data = path.read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Segment(index, data, _versions(source), where, frames, drawn)


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return socket.gethostname()


def _versions(source: FrameSource) -> tuple[tuple[str, str], ...]:
    import imageio_ffmpeg
    from vtkmodules.vtkCommonCore import vtkVersion

    return (
        ("VTK", vtkVersion.GetVTKVersion()),
        ("OpenGL", source.renderer.gl_info()),
        ("ffmpeg", imageio_ffmpeg.get_ffmpeg_version()),
    )


def _maybe_die_for_a_test(index: int) -> None:
    """The test of a worker dying mid-render: ``NNVIZ3D_TEST_DIE_AT=INDEX:MARKER`` ends
    this worker's process abruptly at segment INDEX, once (the marker file says it did)."""
    spec = os.environ.get("NNVIZ3D_TEST_DIE_AT")
    if not spec:
        return
    at, marker = spec.split(":", 1)
    if int(at) == index and not os.path.exists(marker):
        Path(marker).write_text(_worker_name())
        os._exit(9)
