"""What ``render`` writes and where: the format, the quality preset, and the checks on
``--out`` that run before any rendering (a wrong path should cost a second, not a render).
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from nnviz3d.encode import check_output_path
from nnviz3d.errors import UserError

#: what --format takes; png is a folder of numbered frames
FORMATS = ("mp4", "webm", "gif", "png")
_BY_SUFFIX = {".mp4": "mp4", ".webm": "webm", ".gif": "gif"}
#: zlib's level for a frame written as PNG (`frame`, a notebook's image): level 6 took
#: 210 ms of a 1.3 s first frame at 720p, level 1 takes 50 ms for a file 30% larger
PNG_COMPRESSION = 1


@dataclass(frozen=True)
class Preset:
    """manim's -q: a resolution, and the fps and anti-aliasing where it sets them."""

    resolution: str
    fps: int | None = None
    antialias: str | None = None


PRESETS = {
    "draft": Preset("640x360", 15, "none"),
    "low": Preset("854x480"),
    "high": Preset("1920x1080"),
    "4k": Preset("3840x2160"),
}


def output_format(out: Path, fmt: str | None) -> str:
    """The format ``--format`` names, else the one ``--out``'s extension names; the two
    must agree, and a name without a known extension needs ``--format``."""
    if fmt is not None and fmt not in FORMATS:
        raise UserError(f"--format: unknown format {fmt!r} (choose {', '.join(FORMATS)})")
    by_name = _BY_SUFFIX.get(out.suffix.lower())
    if fmt is None:
        if out.is_symlink() or out.exists():  # what is there already says more than its name
            refuse_special(out, "mp4")
        if by_name is None:
            what = f"its extension {out.suffix!r}" if out.suffix else "it has no extension, which"
            raise UserError(
                f"--out {out}: {what} names no format; end it in .mp4, .webm or .gif, "
                "or give --format png for a folder of frames"
            )
        return by_name
    if fmt == "png" and out.suffix.lower() in (*_BY_SUFFIX, ".png"):
        raise UserError(f"--out {out}: --format png writes a folder of frames; give a folder name")
    if fmt != "png" and by_name != fmt:
        raise UserError(f"--out {out}: --format {fmt} needs a name ending in .{fmt}")
    return fmt


def check_target(out: Path, fmt: str, create_parent: bool = False, folder: bool | None = None) -> None:
    """Fail before rendering if ``out`` cannot take the result: a file format needs a
    regular file or nothing there (never a device: ``/dev/full`` would be replaced), a
    folder of frames (``folder``, by default for png) needs a folder or nothing."""
    folder = fmt == "png" if folder is None else folder
    if out.is_symlink() or out.exists():
        refuse_special(out, fmt, folder)
    # a folder is made beside it and renamed into place: its parent must take a new entry
    check_output_path(out.with_name(out.name + ".new") if folder else out, create_parent=create_parent)


def side_file(out: Path, suffix: str) -> Path:
    """A file beside the output with the same stem: ``talk.mp4`` -> ``talk.en.srt``."""
    base = out if out.suffix.lower() not in _BY_SUFFIX else out.with_suffix("")
    return base.with_name(base.name + suffix)


def refuse_special(out: Path, fmt: str, folder: bool | None = None) -> None:
    """What is at ``out`` must be what the format replaces: a regular file, or a folder of
    frames (``folder``, by default for png). A device (``/dev/full``), a pipe or a link is
    never renamed over."""
    mode = out.lstat().st_mode
    if fmt == "png" if folder is None else folder:
        if stat.S_ISDIR(mode):
            if any(p.suffix != ".png" for p in out.iterdir()):
                raise UserError(f"--out {out}: the folder holds other files than frames; give a new folder")
            return
        raise UserError(f"--out {out}: is a file; --format png writes a folder of frames")
    if stat.S_ISDIR(mode):
        raise UserError(f"--out {out}: is a folder; give a file name like {out}/video.{fmt}")
    if not stat.S_ISREG(mode):
        raise UserError(
            f"--out {out}: exists and is not a regular file (a device, pipe or link); nothing was written"
        )
