"""Finding a font with Japanese glyphs (VTK's bundled fonts have none).

Looked for in this order: a path the user gave (scene ``[render] font`` or ``--font``),
fontconfig's list of fonts that cover Japanese (Noto Sans CJK first), then a few
well-known file locations. Nothing found is an error that says what to install.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from nnviz3d.errors import UserError

KNOWN_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/System/Library/Fonts/ヒラギノ角ゴシック W3.ttc",
    "C:/Windows/Fonts/meiryo.ttc",
    "C:/Windows/Fonts/YuGothR.ttc",
)

INSTALL_HINT = (
    "no font with Japanese glyphs found; install one (Debian/Ubuntu: apt-get install "
    "fonts-noto-cjk) or give a font file with --font PATH or [render] font"
)


def find_japanese_font(explicit: str | None = None) -> str:
    """Path of a font file that can draw Japanese text."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise UserError(f"font file {str(explicit)!r} not found (--font or [render] font)")
        return str(path)
    for candidate in _fontconfig_japanese():
        return candidate
    for known in KNOWN_PATHS:
        if Path(known).is_file():
            return known
    raise UserError(INSTALL_HINT)


def _fontconfig_japanese() -> list[str]:
    exe = shutil.which("fc-list")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, ":lang=ja", "file", "style"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = []
    for line in out.splitlines():
        file, _, style = line.partition(":")
        if file.strip() and Path(file.strip()).is_file():
            files.append((file.strip(), style))

    def rank(item: tuple[str, str]) -> tuple[int, int, str]:
        name = Path(item[0]).name.lower()
        regular = 0 if "regular" in item[1].lower() or "regular" in name else 1
        preferred = 0 if "notosanscjk" in name else 1 if "gothic" in name or "ipaex" in name else 2
        return (preferred, regular, name)

    return [f for f, _ in sorted(set(files), key=rank)]
