"""Finding fonts with Japanese glyphs (VTK's bundled fonts have none).

The font of all text is looked for in this order: a path the user gave (scene ``[render]
font`` or ``--font``), fontconfig's list of fonts that cover Japanese (Noto Sans CJK first),
then a few well-known file locations. Nothing found is an error that says what to install.
Code and tables want a monospaced face as well (Noto Sans Mono CJK JP):
:func:`find_japanese_mono_font`.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Callable
from functools import lru_cache
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

#: the English text's font, shipped: Noto Sans CJK JP's Latin (its l has a tail, its I, 1 and
#: | differ), cut to what the English messages and formulas write (tests/fixtures/
#: make_font_subsets.py makes it; SIL Open Font License, typefaces/LICENSE.txt). VTK's own
#: sans drew l, I, 1 and | alike: five lecturer reviews read "l1" as "I1" or "11".
LATIN_FONT = str(Path(__file__).parent / "typefaces" / "NotoSansCJKjp-Latin-Regular.otf")
LATIN_BOLD_FONT = str(Path(__file__).parent / "typefaces" / "NotoSansCJKjp-Latin-Bold.otf")
#: English code and tables' font, shipped likewise: Noto Sans Mono CJK JP's Latin, 0.5 em a
#: character (in VTK's Courier, "l1_error" read as "11_error": review 52a)
LATIN_MONO_FONT = str(Path(__file__).parent / "typefaces" / "NotoSansMonoCJKjp-Latin-Regular.otf")
LATIN_MONO_BOLD_FONT = str(Path(__file__).parent / "typefaces" / "NotoSansMonoCJKjp-Latin-Bold.otf")

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


# -- a monospaced face for code and tables ----------------------------------------------
#: the face wanted for code and tables: ASCII half an em wide, kana and kanji a full em
MONO_FAMILY = "Noto Sans Mono CJK JP"


def find_bold_face(font: str | None) -> str | None:
    """The bold file of ``font``'s family beside it (Debian's NotoSansCJK-Bold.ttc beside
    NotoSansCJK-Regular.ttc), or None. VTK does not embolden a font file, so without it a
    Japanese caption is in the regular weight: thinner, from the back of a hall, than the
    English captions' bold."""
    if not font:
        return None
    path = Path(font)
    for regular in ("Regular", "regular", "-R."):
        if regular in path.name:
            bold = path.with_name(path.name.replace(regular, {"-R.": "-B."}.get(regular, "Bold")))
            if bold.is_file() and bold != path:
                return str(bold)
    return None


def find_bold_mono_face(source: str | None) -> str | None:
    """The bold of the monospaced face found in ``source`` (the caption font, or the mono
    font the user gave): the monospaced face of the bold file beside it (Debian's
    NotoSansCJK-Bold.ttc holds Noto Sans Mono CJK JP Bold), or None. The executing code
    line is bold; in the regular face, Japanese code was thin from the back of a hall
    (review 47a)."""
    bold = find_bold_face(source)
    if bold is None:
        return None
    index = _mono_face(Path(bold), japanese=False)
    return face_file(Path(bold), index) if index is not None else None


def find_japanese_mono_font(font: str | None, explicit: str | None = None) -> str | None:
    """A monospaced font file with Japanese glyphs for code and tables, or None.

    Looked for in this order: a file the user gave (``--mono-font``, ``[render] mono_font``),
    a monospaced Japanese face inside ``font`` itself (Debian's NotoSansCJK-Regular.ttc holds
    Noto Sans Mono CJK JP as its sixth face), fontconfig's Japanese fonts whose family says
    Mono or whose spacing is mono/dual. None when there is none: the caller then draws code
    and tables in ``font`` (a proportional font: whole lines, no syntax colours).

    VTK's ``SetFontFile`` always opens a collection's first face, so a face further inside
    a collection is copied out once into a cached single-face file (see :func:`face_file`).
    """
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise UserError(f"font file {str(explicit)!r} not found (--mono-font or [render] mono_font)")
        index = _mono_face(path, japanese=False)
        if index is None:
            where = "--mono-font or [render] mono_font"
            raise UserError(f"font file {str(explicit)!r} is not monospaced ({where})")
        return face_file(path, index)
    if font and Path(font).is_file():
        index = _mono_face(Path(font))
        if index is not None:
            return face_file(Path(font), index)
    for file, index in _fontconfig_japanese_mono():
        try:
            if _is_monospaced(_Face(Path(file).read_bytes(), index)):
                return face_file(Path(file), index)
        except (OSError, ValueError, struct.error):
            continue
    return None


def _fontconfig_japanese_mono() -> list[tuple[str, int]]:
    """(file, face index) of fontconfig's Japanese fonts that may be monospaced, best first.

    Noto Sans Mono CJK declares no spacing (its kanji are twice as wide as its letters), so
    the family name counts as much as ``spacing``; every candidate is checked afterwards."""
    exe = shutil.which("fc-list")
    if exe is None:
        return []
    fmt = "%{file}\t%{index}\t%{family[0]}\t%{style[0]}\t%{spacing}\n"
    try:
        out = subprocess.run([exe, ":lang=ja", "-f", fmt], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = set()
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) != 5 or not parts[0] or not parts[1].isdigit():
            continue
        file, index, family, style, spacing = parts
        if "mono" in family.lower() or spacing in ("90", "100"):  # FC_DUAL, FC_MONO
            found.add((file, int(index), family, style))

    def rank(item: tuple[str, int, str, str]) -> tuple[int, int, str, int]:
        file, index, family, style = item
        preferred = 0 if family == MONO_FAMILY else 1 if "mono" in family.lower() else 2
        regular = 0 if style.lower() in ("regular", "book", "") else 1
        return (preferred, regular, file, index)

    return [(f, i) for f, i, _, _ in sorted(found, key=rank)]


def face_file(path: Path, index: int) -> str:
    """A file whose first face is face ``index`` of ``path``: ``path`` itself for the first
    face, else a copy of that face alone, made once and kept in the user's cache folder."""
    if index == 0:
        return str(path)
    stat = path.stat()
    key = hashlib.sha1(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{index}".encode()).hexdigest()
    name = f"{path.stem}-face{index}-{key[:12]}.otf"
    for folder in _cache_folders():
        target = folder / name
        if target.is_file():
            return str(target)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{name}.{os.getpid()}.tmp"
            tmp.write_bytes(_Face(path.read_bytes(), index).extract())
            os.replace(tmp, target)  # atomic: parallel renders never see half a font
            return str(target)
        except OSError:
            continue
    raise UserError(f"could not write a copy of face {index} of {path} to a cache folder")


def _cache_folders() -> list[Path]:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return [Path(base) / "nnviz3d" / "fonts", Path(tempfile.gettempdir()) / "nnviz3d-fonts"]


@lru_cache(maxsize=16)
def mono_advance_em(path: str) -> float:
    """Advance of the digit 0 in ems in the font file ``path`` (first face): 0.5 for Noto
    Sans Mono CJK, whose kana and kanji are then one em (two columns)."""
    face = _Face(Path(path).read_bytes())
    return face.advance("0") / face.units_per_em


def advance_em(text: str, path: str | None = None) -> float:
    """The width in ems of ``text`` (one line) set in the font file ``path`` (first face;
    None: the shipped Latin face English is drawn in): where a layout must know whether a
    number fits, not estimate it (0.56 em a character overstated "-0.118 × -0.591" by a fifth)."""
    return _advances(path or LATIN_FONT)(text)


@lru_cache(maxsize=8)
def _advances(path: str) -> Callable[[str], float]:
    """A face's width of a line of text in ems, read once per font file."""
    face = _Face(Path(path).read_bytes())
    per_em, fallback = face.units_per_em, face.advance("0")

    @lru_cache(maxsize=4096)
    def width(text: str) -> float:
        return sum(face.advance(c) if face.glyph(c) else fallback for c in text) / per_em

    return width


def _mono_face(path: Path, japanese: bool = True) -> int | None:
    """Index of the best monospaced face in ``path`` (a font or a collection): with Japanese
    glyphs (only those if ``japanese``), named ... JP, first; None when there is none."""
    try:
        faces = [f for f in _Face.all(path.read_bytes()) if _is_monospaced(f)]
        ranked = sorted((not f.has_japanese(), not f.family().endswith(" JP"), f.index) for f in faces)
    except (OSError, ValueError, struct.error):
        return None
    ranked = [r for r in ranked if not (japanese and r[0])]
    return ranked[0][2] if ranked else None


def _is_monospaced(face: _Face) -> bool:
    """Every printable ASCII character the face maps has one advance."""
    advances = {face.advance(chr(c)) for c in range(0x21, 0x7F) if face.glyph(chr(c))}
    return len(advances) == 1


class _Groups:
    """A format-12 cmap as its groups (first code, last code, first glyph), looked up by
    bisection: a CJK face maps some 65,000 code points, and writing them all out cost 70
    ms a face, 0.3-0.5 s for a collection's ten faces on every Japanese run."""

    def __init__(self, groups: list[tuple[int, int, int]]) -> None:
        self.groups = sorted(groups)
        self.starts = [start for start, _, _ in self.groups]

    def get(self, code: int, default: int = 0) -> int:
        i = bisect.bisect_right(self.starts, code) - 1
        if i >= 0 and code <= self.groups[i][1]:
            start, _, gid = self.groups[i]
            return gid + code - start
        return default

    def maps_any(self, lo: int, hi: int) -> bool:
        """Whether some code point from ``lo`` to ``hi`` is mapped."""
        return any(start <= hi and end >= lo for start, end, _ in self.groups)


class _Face:
    """Just enough of one face of an OpenType/TrueType font (or collection) to copy it out
    and to read its characters' advances, without fontTools."""

    def __init__(self, data: bytes, index: int = 0) -> None:
        self.data, self.index = data, index
        if data[:4] == b"ttcf":
            n = struct.unpack(">I", data[8:12])[0]
            if not 0 <= index < n:
                raise ValueError(f"the collection has {n} faces, not {index + 1}")
            self.offset = struct.unpack(">I", data[12 + 4 * index : 16 + 4 * index])[0]
        elif index:
            raise ValueError("a single font has one face")
        else:
            self.offset = 0
        n_tables = struct.unpack(">H", self.data[self.offset + 4 : self.offset + 6])[0]
        self.tables: dict[bytes, tuple[int, int, int]] = {}
        for i in range(n_tables):
            rec = self.offset + 12 + 16 * i
            tag = self.data[rec : rec + 4]
            self.tables[tag] = struct.unpack(">III", self.data[rec + 4 : rec + 16])  # sum, offset, length
        self._cmap: dict[int, int] | _Groups | None = None

    @staticmethod
    def all(data: bytes) -> list[_Face]:
        n = struct.unpack(">I", data[8:12])[0] if data[:4] == b"ttcf" else 1
        return [_Face(data, i) for i in range(n)]

    def table(self, tag: bytes) -> int:
        if tag not in self.tables:
            raise ValueError(f"no {tag.decode()} table")
        return self.tables[tag][1]

    def u16(self, at: int) -> int:
        return struct.unpack(">H", self.data[at : at + 2])[0]

    @property
    def units_per_em(self) -> int:
        return self.u16(self.table(b"head") + 18)

    def family(self) -> str:
        """The (typographic, else plain) family name from the Windows Unicode names."""
        base = self.table(b"name")
        count, strings = self.u16(base + 2), base + self.u16(base + 4)
        names = {}
        for i in range(count):
            platform, encoding, _, name_id, length, offset = struct.unpack(
                ">6H", self.data[base + 6 + 12 * i : base + 18 + 12 * i]
            )
            if platform == 3 and encoding in (1, 10) and name_id in (1, 16):
                raw = self.data[strings + offset : strings + offset + length]
                names.setdefault(name_id, raw.decode("utf-16-be", "replace"))
        return names.get(16, names.get(1, ""))

    def glyph(self, char: str) -> int:
        """Glyph id of ``char`` (0: not in the font)."""
        if self._cmap is None:
            self._cmap = self._read_cmap()
        return self._cmap.get(ord(char), 0)

    def has_japanese(self) -> bool:
        """The face maps kana or kanji."""
        if self._cmap is None:
            self._cmap = self._read_cmap()
        if isinstance(self._cmap, _Groups):
            return self._cmap.maps_any(0x3041, 0x30FF) or self._cmap.maps_any(0x4E00, 0x9FFF)
        return any(0x3041 <= c <= 0x30FF or 0x4E00 <= c <= 0x9FFF for c in self._cmap)

    def advance(self, char: str) -> int:
        """Advance width of ``char`` in font units."""
        gid = self.glyph(char)
        n_metrics = self.u16(self.table(b"hhea") + 34)
        return self.u16(self.table(b"hmtx") + 4 * min(gid, n_metrics - 1))

    def _read_cmap(self) -> dict[int, int] | _Groups:
        """The Unicode cmap (formats 12 and 4) as code point -> glyph id."""
        base = self.table(b"cmap")
        subtables = {}
        for i in range(self.u16(base + 2)):
            record = base + 4 + 8 * i
            platform, encoding, offset = struct.unpack(">HHI", self.data[record : record + 8])
            subtables[(platform, encoding)] = base + offset
        for key in ((3, 10), (0, 4), (0, 6), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0)):
            if key in subtables and self.u16(subtables[key]) in (4, 12):
                return self._cmap_subtable(subtables[key])
        raise ValueError("no Unicode cmap of format 4 or 12")

    def _cmap_subtable(self, sub: int) -> dict[int, int] | _Groups:
        d, out = self.data, {}
        if self.u16(sub) == 12:
            n = struct.unpack(">I", d[sub + 12 : sub + 16])[0]
            return _Groups(list(struct.iter_unpack(">III", d[sub + 16 : sub + 16 + 12 * n])))
        segs = self.u16(sub + 6) // 2
        ends, starts = sub + 14, sub + 16 + 2 * segs
        deltas, ranges = starts + 2 * segs, starts + 4 * segs
        for s in range(segs):
            start, end = self.u16(starts + 2 * s), self.u16(ends + 2 * s)
            delta = struct.unpack(">h", d[deltas + 2 * s : deltas + 2 * s + 2])[0]
            range_offset = self.u16(ranges + 2 * s)
            for c in range(start, min(end, 0xFFFE) + 1):
                if range_offset:
                    gid = self.u16(ranges + 2 * s + range_offset + 2 * (c - start))
                    gid = (gid + delta) & 0xFFFF if gid else 0
                else:
                    gid = (c + delta) & 0xFFFF
                if gid:
                    out[c] = gid
        return out

    def extract(self) -> bytes:
        """This face as a stand-alone font file (tables copied unchanged, 4-byte aligned)."""
        tags = sorted(self.tables)
        records, body = [], []
        at = 12 + 16 * len(tags)
        for tag in tags:
            checksum, offset, length = self.tables[tag]
            records.append(tag + struct.pack(">III", checksum, at, length))
            body.append(self.data[offset : offset + length] + b"\0" * (-length % 4))
            at += length + (-length % 4)
        return b"".join([self.data[self.offset : self.offset + 12], *records, *body])
