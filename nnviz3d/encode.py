"""Streaming H.264 encoding with an all-or-nothing output file.

Frames go straight down a pipe to the ffmpeg binary that imageio-ffmpeg ships, so memory
stays flat however long the video. ffmpeg writes to a hidden temporary file beside the
target; only a clean exit of ffmpeg renames it into place (an atomic ``os.replace`` on
the same filesystem). Any failure or interruption kills ffmpeg and deletes the temporary
file, so the output path holds either the previous file or a complete new video.

We drive the binary with ``subprocess`` rather than ``imageio_ffmpeg.write_frames``
because that generator does not report ffmpeg's exit status (a full disk at the final
``moov`` write would go unnoticed) and we need ffmpeg in its own process group so that a
Ctrl-C reaches us, not the encoder, and we decide how it ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

import numpy as np

from nnviz3d.errors import UserError

#: how to get a working encoder back (IMAGEIO_FFMPEG_EXE, if set, overrides the bundled one)
REINSTALL = "pip install --force-reinstall imageio-ffmpeg (and unset IMAGEIO_FFMPEG_EXE if set)"


class EncoderError(UserError):
    """ffmpeg is missing or failed; the message says why."""


def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as exc:
        raise EncoderError(
            f"no ffmpeg encoder found ({exc}); install it with: pip install imageio-ffmpeg"
        ) from None


def check_output_path(path: Path, create_parent: bool = False) -> None:
    """Fail early, before any rendering, if ``path`` cannot receive the video."""
    parent = path.parent
    if path.is_dir():
        raise UserError(f"output path {path} is a directory; give a file name like {path}/video.mp4")
    if not parent.exists():
        if create_parent:
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UserError(f"cannot create output folder {parent}: {exc.strerror}") from None
        else:
            raise UserError(f"output folder {parent} does not exist")
    if not parent.is_dir():
        raise UserError(f"output folder {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"output folder {parent} is not writable")
    try:  # root passes access() everywhere; a read-only filesystem says no only when we try
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UserError(f"output folder {parent} is not writable: {exc.strerror}") from None


class Mp4Writer:
    """Write RGB frames to an MP4 (H.264, yuv420p) that appears only when complete.

    Use as a context manager: leaving the block normally commits the file, leaving it
    with an exception (KeyboardInterrupt included) discards everything.
    """

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        fps: int,
        *,
        crf: int = 20,
        preset: str = "veryfast",
        faststart: bool = True,
    ) -> None:
        if width % 2 or height % 2:
            raise UserError(f"frame size {width}x{height} must be even for yuv420p")
        self.path = Path(path)
        self.width, self.height, self.fps = width, height, fps
        self.frames = 0
        exe = ffmpeg_exe()  # before any file exists: a missing encoder leaves nothing behind
        self.tmp = _temp_beside(self.path)
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  (lives as long as ffmpeg)
        cmd = [
            exe,
            "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps),
            "-i", "-",
            "-an", "-c:v", "libx264", "-preset", preset, "-tune", "animation", "-crf", str(crf),
            "-pix_fmt", "yuv420p", *(["-movflags", "+faststart"] if faststart else []),
            "-f", "mp4", str(self.tmp),
        ]  # fmt: skip
        try:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
                start_new_session=True,
            )
        except OSError as exc:
            self._cleanup()
            raise EncoderError(
                f"cannot start the ffmpeg encoder {cmd[0]} ({exc.strerror or exc}); "
                f"install it with: {REINSTALL}"
            ) from None

    def write(self, frame: np.ndarray) -> None:
        """Append one ``(height, width, 3)`` uint8 frame."""
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise ValueError(
                f"frame has shape {frame.shape} {frame.dtype}, "
                f"expected ({self.height}, {self.width}, 3) uint8"
            )
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write(memoryview(np.ascontiguousarray(frame)).cast("B"))
        except (BrokenPipeError, OSError):
            self._proc.wait()
            reason = self._reason()
            self.abort()
            raise EncoderError(f"ffmpeg stopped while encoding {self.path}: {reason}") from None
        self.frames += 1

    def commit(self) -> None:
        """Finish encoding and move the complete file into place."""
        assert self._proc.stdin is not None
        with contextlib.suppress(OSError):
            self._proc.stdin.close()
        code = self._proc.wait()
        if code != 0 or self.frames == 0:
            reason = self._reason() if self.frames else "no frames were written"
            self.abort()
            raise EncoderError(f"ffmpeg failed writing {self.path}: {reason}")
        _move_into_place(self.tmp, self.path)
        self._log.close()

    def abort(self) -> None:
        """Stop ffmpeg at once and delete the temporary file; the target is untouched."""
        if self._proc.poll() is None:
            self._proc.kill()
        with contextlib.suppress(OSError):
            if self._proc.stdin:
                self._proc.stdin.close()
        self._proc.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()
        self._log.close()

    def _reason(self) -> str:
        """ffmpeg's last error line, else how it ended (a signal says e.g. the disk is full)."""
        text = self._stderr()
        if text:
            return text
        return _how_it_ended(self._proc.returncode)

    def _stderr(self) -> str:
        try:
            self._log.seek(0)
            lines = self._log.read().decode(errors="replace").strip().splitlines()
        except (OSError, ValueError):
            return ""
        return lines[-1] if lines else ""

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.abort()


def concat_segments(segments: list[Path], path: Path) -> None:
    """Join H.264 segments of equal settings into ``path`` without re-encoding.

    The joined file is written beside ``path`` and renamed into place only when ffmpeg
    succeeded, like :class:`Mp4Writer`; segment boundaries fall on keyframes, so the
    stream copy is exact."""
    tmp = _temp_beside(path)
    listing = tmp.with_suffix(".txt")
    try:
        listing.write_text("".join(f"file '{p.resolve()}'\n" for p in segments))
        cmd = [
            ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "concat", "-safe", "0", "-i", str(listing),
            "-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(tmp),
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, start_new_session=True, check=False)
        if proc.returncode != 0:
            lines = proc.stderr.decode(errors="replace").strip().splitlines()
            reason = lines[-1] if lines else _how_it_ended(proc.returncode)
            raise EncoderError(f"ffmpeg failed joining the segments of {path}: {reason}")
        _move_into_place(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        listing.unlink(missing_ok=True)


def _temp_beside(path: Path) -> Path:
    """A hidden temporary file in ``path``'s folder: the same filesystem, so the final
    ``os.replace`` is atomic."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    return Path(name)


def _move_into_place(tmp: Path, path: Path) -> None:
    """The finished file takes the user's permissions (mkstemp made it private) and its name."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


def _how_it_ended(code: int | None) -> str:
    """ffmpeg's exit in words; a signal can say why (SIGXFSZ: the disk or quota is full)."""
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        if name == "SIGXFSZ":
            hint = " (file size limit or disk full)"
        elif name in ("SIGSEGV", "SIGBUS", "SIGILL", "SIGABRT", "SIGFPE"):
            hint = f" (the encoder crashed; reinstall it: {REINSTALL})"
        else:
            hint = ""
        return f"ffmpeg was ended by {name}{hint}"
    return f"ffmpeg exited with status {code}"
