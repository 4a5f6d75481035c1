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
import math
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
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


#: what a segment is encoded as: ffmpeg's output arguments and the segment's extension.
#: H.264 without B-frames: with them, x264 gives frames of unequal durations (repeats not
#: sent, see Mp4Writer) decode times that add up to less than the segment, whose last
#: frames are then cut (tested); the default video is 31% larger (20.6 MB against 15.8).
#: VP9 at the realtime deadline: the quality of its CRF at a speed near x264's veryfast
SEGMENT_CODECS = {
    "h264": (
        ["-c:v", "libx264", "-tune", "animation", "-bf", "0", "-pix_fmt", "yuv420p", "-f", "mp4"],
        "mp4",
    ),
    "vp9": (
        ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1",
         "-crf", "33", "-b:v", "0", "-pix_fmt", "yuv420p", "-f", "webm"],
        "webm",
    ),
    "png": (["-c:v", "png", "-f", "image2"], "png"),
}  # fmt: skip


class Mp4Writer:
    """Write RGB frames to an MP4 (H.264, yuv420p) that appears only when complete.

    Use as a context manager: leaving the block normally commits the file, leaving it
    with an exception (KeyboardInterrupt included) discards everything.

    ``codec="vp9"`` writes a WebM segment the same way; ``codec="png"`` writes numbered
    PNGs (``path`` is then a pattern like ``folder/frame%06d.png`` in a folder that is
    itself temporary, numbered from ``start_number``).

    ``repeats[i]`` says frame ``i`` shows frame ``i - 1`` again. Such a frame is not sent
    to the encoder at all: the frame before it lasts longer (each frame of an MP4 has its
    own duration). Half the frames of a lecture are holds, and x264 spends about as long
    on a repeated 720p frame (the RGB to YUV conversion, its analysis) as on a new one.
    The first and last frames are always sent, so the segment lasts exactly its frames.
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
        codec: str = "h264",
        start_number: int = 0,
        repeats: Sequence[bool] = (),
    ) -> None:
        if width % 2 or height % 2:
            raise UserError(f"frame size {width}x{height} must be even for yuv420p")
        self.path = Path(path)
        self.width, self.height, self.fps = width, height, fps
        self.frames = 0
        exe = ffmpeg_exe()  # before any file exists: a missing encoder leaves nothing behind
        self.tmp: Path | None = None if codec == "png" else _temp_beside(self.path)
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  (lives as long as ffmpeg)
        args = list(SEGMENT_CODECS[codec][0])
        if codec == "h264":
            args[2:2] = ["-preset", preset, "-crf", str(crf)]
            if faststart:
                args[-2:-2] = ["-movflags", "+faststart"]
        if codec == "png":
            args += ["-start_number", str(start_number)]
        if codec != "h264":  # a PNG per frame; WebM's timestamps are whole milliseconds
            repeats = ()
        # the first frame has nothing to repeat; the last is sent so that the segment
        # lasts all its frames (the one before it lasts until it)
        self._skip = [0 < i < len(repeats) - 1 and bool(r) for i, r in enumerate(repeats)]
        if any(self._skip):
            args[0:0] = ["-vf", _setpts(self._skip), "-fps_mode", "vfr"]
        cmd = [
            exe,
            "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps),
            "-i", "-", "-an", *args, str(self.tmp or self.path),
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
        if self.frames < len(self._skip) and self._skip[self.frames]:
            self.frames += 1
            return
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
        if self._skip and self.frames != len(self._skip):
            self.abort()
            raise ValueError(f"{self.frames} frames written, {len(self._skip)} announced")
        if code != 0 or self.frames == 0:
            reason = self._reason() if self.frames else "no frames were written"
            self.abort()
            raise EncoderError(f"ffmpeg failed writing {self.path}: {reason}")
        if self.tmp is not None:
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
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)
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


def _setpts(skip: list[bool]) -> str:
    """The filter that puts each sent frame at its place in the whole segment: the N-th
    frame sent is frame N plus the frames skipped before it (a sum of steps, one per run
    of skipped frames). The sum is nested in halves: ffmpeg refuses an expression of more
    than about 100 terms in a row, and a segment may have 150 runs."""
    terms, skipped, run = [], 0, 0
    for i, s in enumerate([*skip, False]):
        if s:
            run += 1
        elif run:
            terms.append(f"{run}*gte(N,{i - skipped - run})")
            skipped, run = skipped + run, 0
    return f"setpts='(N+{_balanced_sum(terms)})/(FRAME_RATE*TB)'"


def _balanced_sum(terms: list[str]) -> str:
    if len(terms) <= 4:
        return "+".join(terms) or "0"
    half = len(terms) // 2
    return f"({_balanced_sum(terms[:half])})+({_balanced_sum(terms[half:])})"


#: ISO 639-2 codes of the caption languages, for the MP4's subtitle tracks
LANGUAGE_CODES = {"en": "eng", "ja": "jpn"}


def concat_segments(
    segments: list[Path],
    path: Path,
    *,
    fmt: str = "mp4",
    chapters: str | None = None,
    subtitles: tuple[tuple[str, str], ...] = (),
) -> None:
    """Join encoded segments of equal settings into ``path`` without re-encoding, with
    the chapters (ffmetadata text) and subtitle tracks (``(lang, srt text)``: mov_text
    in an MP4) muxed in the same pass.

    The joined file is written beside ``path`` and renamed into place only when ffmpeg
    succeeded, like :class:`Mp4Writer`; segment boundaries fall on keyframes, so the
    stream copy is exact."""
    tmp = _temp_beside(path)
    listing = tmp.with_suffix(".txt")
    extra: list[Path] = []
    try:
        listing.write_text("".join(f"file '{p.resolve()}'\n" for p in segments))
        inputs = ["-f", "concat", "-safe", "0", "-i", str(listing)]
        maps = ["-map", "0:v"]
        if chapters is not None:
            meta = tmp.with_suffix(".ffmeta")
            meta.write_text(chapters, encoding="utf-8")
            extra.append(meta)
            inputs += ["-f", "ffmetadata", "-i", str(meta)]
            maps += ["-map_metadata", "1", "-map_chapters", "1"]
        for k, (lang, text) in enumerate(subtitles if fmt == "mp4" else ()):
            srt = tmp.with_suffix(f".{lang}.srt")
            srt.write_text(text, encoding="utf-8")
            extra.append(srt)
            n = 1 + (chapters is not None) + k
            inputs += ["-f", "srt", "-i", str(srt)]
            maps += ["-map", f"{n}:s", f"-metadata:s:s:{k}", f"language={LANGUAGE_CODES.get(lang, lang)}"]
        out_args = ["-movflags", "+faststart", "-f", "mp4"] if fmt == "mp4" else ["-f", fmt]
        codecs = ["-c:v", "copy", *(["-c:s", "mov_text"] if subtitles and fmt == "mp4" else [])]
        _run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *inputs, *maps,
              *codecs, *out_args, str(tmp)], f"joining the segments of {path}")  # fmt: skip
        _move_into_place(tmp, path)
    finally:
        for p in (tmp, listing, *extra):
            p.unlink(missing_ok=True)


def gif_fps(fps: int) -> float:
    """The GIF's frame rate: a GIF's delays are whole hundredths of a second, so the
    fastest rate that is no more than ``fps`` (30 -> 25, 15 -> 14.3)."""
    return 100 / math.ceil(100 / fps)


def write_gif(video: Path, path: Path, fps: int, width: int) -> None:
    """A GIF of ``video`` at no more than ``fps`` and ``width``, with a palette made for
    it (ffmpeg's palettegen/paletteuse), written beside ``path`` and renamed into place."""
    tmp = _temp_beside(path)
    try:
        graph = (
            f"fps={gif_fps(fps):.6g},scale='min({width},iw)':-2:flags=lanczos,split[a][b];"
            "[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=4"
        )
        _run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(video),
              "-filter_complex", graph, "-loop", "0", "-f", "gif", str(tmp)], f"writing {path}")  # fmt: skip
        _move_into_place(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def place_folder(folder: Path, path: Path) -> None:
    """Move a finished folder (PNG frames, a slides page) to ``path`` in one rename; an
    earlier folder there is moved aside first and removed only once the new one is in
    place, so ``path`` is always the old folder or the new one, whole."""
    os.chmod(folder, 0o777 & ~_umask())
    old = None
    if path.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
        os.replace(path, old / "previous")
    try:
        os.replace(folder, path)
    except OSError:
        if old is not None:
            os.replace(old / "previous", path)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _run(cmd: list[str], what: str) -> None:
    """Run ffmpeg to the end; its last error line (or how it died) in one line if not 0."""
    proc = subprocess.run(cmd, capture_output=True, start_new_session=True, check=False)
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        reason = lines[-1] if lines else _how_it_ended(proc.returncode)
        raise EncoderError(f"ffmpeg failed {what}: {reason}")


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _temp_beside(path: Path) -> Path:
    """A hidden temporary file in ``path``'s folder: the same filesystem, so the final
    ``os.replace`` is atomic."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    return Path(name)


def _move_into_place(tmp: Path, path: Path) -> None:
    """The finished file takes the user's permissions (mkstemp made it private) and its name."""
    os.chmod(tmp, 0o666 & ~_umask())
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
