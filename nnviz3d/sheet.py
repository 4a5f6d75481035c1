"""``nnviz3d sheet``: a contact sheet of the video, one thumbnail per step (its last
frame, as the video shows it) with its caption and index: a handout, or a page a
student checks homework against.

The pages are laid out with Pillow (already installed with imageio), which also writes
the multi-page PDF; the thumbnails come from the same :class:`FrameSource` as the video.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from nnviz3d.errors import UserError
from nnviz3d.primitives import line_breaks
from nnviz3d.timeline import Timeline


@dataclass(frozen=True)
class SheetLayout:
    """An A4 landscape page at 150 dpi, 3 thumbnails across, 3 down (the PNG is one long
    page of the same columns)."""

    page_w: int = 1754
    page_h: int = 1240
    columns: int = 3
    rows: int = 3
    margin: int = 60
    gap: int = 28
    caption_lines: int = 4
    caption_px: int = 17
    title_px: int = 30

    @property
    def thumb_w(self) -> int:
        return (self.page_w - 2 * self.margin - (self.columns - 1) * self.gap) // self.columns


SHEET_FORMATS = {".pdf": "pdf", ".png": "png"}


def sheet_format(out: Path) -> str:
    fmt = SHEET_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise UserError(f"--out {out}: a contact sheet is a .pdf or a .png")
    return fmt


def make_sheet(
    timeline: Timeline,
    pixels_of: Callable[[int], np.ndarray],
    out: Path,
    font_path: str | None = None,
    layout: SheetLayout = SheetLayout(),
) -> int:
    """Write the contact sheet of every step of ``timeline`` to ``out`` (.pdf: pages;
    .png: one long page); ``pixels_of(frame)`` draws a frame. Returns the page count."""
    fmt = sheet_format(out)
    font = _font(font_path, layout.caption_px)
    bold = _font(font_path, layout.title_px)
    thumbs = []
    for s in timeline.steps:
        img = Image.fromarray(pixels_of(s.first_frame + s.n_frames - 1))
        h = round(img.height * layout.thumb_w / img.width)
        thumbs.append((s, img.resize((layout.thumb_w, h), Image.LANCZOS)))
    thumb_h = thumbs[0][1].height if thumbs else 0
    cell_h = thumb_h + 8 + layout.caption_lines * round(layout.caption_px * 1.3) + layout.gap
    per_page = layout.columns * layout.rows if fmt == "pdf" else len(thumbs)
    pages = []
    for first in range(0, len(thumbs), per_page):
        chunk = thumbs[first : first + per_page]
        rows = -(-len(chunk) // layout.columns)
        height = layout.page_h if fmt == "pdf" else 2 * layout.margin + layout.title_px * 2 + rows * cell_h
        page = Image.new("RGB", (layout.page_w, height), "white")
        draw = ImageDraw.Draw(page)
        n_pages = -(-len(thumbs) // per_page)
        head = timeline.title + (f"   ({len(pages) + 1}/{n_pages})" if n_pages > 1 else "")
        draw.text((layout.margin, layout.margin // 2), head, fill=(20, 22, 28), font=bold)
        top = layout.margin // 2 + layout.title_px * 2
        for k, (s, img) in enumerate(chunk):
            x = layout.margin + (k % layout.columns) * (layout.thumb_w + layout.gap)
            y = top + (k // layout.columns) * cell_h
            page.paste(img, (x, y))
            text = f"{s.index}. " + (" - ".join(t for t in s.card if t) if s.card else s.caption)
            lines = _wrap(text, font, layout.thumb_w, draw)
            if len(lines) > layout.caption_lines:
                lines = lines[: layout.caption_lines]
                lines[-1] = lines[-1].rstrip() + " ..."
            draw.multiline_text((x, y + thumb_h + 8), "\n".join(lines), fill=(20, 22, 28), font=font,
                                spacing=round(layout.caption_px * 0.3))  # fmt: skip
        pages.append(page)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        if fmt == "pdf":
            pages[0].save(tmp, "PDF", resolution=150, save_all=True, append_images=pages[1:])
        else:
            pages[0].save(tmp, "PNG", optimize=True)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return len(pages)


def _font(path: str | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _wrap(text: str, font, width: int, draw: ImageDraw.ImageDraw) -> list[str]:
    """Lines no wider than ``width``, broken where the captions break (spaces, and between
    Japanese characters)."""
    lines, start = [], 0
    breaks = line_breaks(text)
    for a, b in itertools.pairwise(breaks):
        if start < a and draw.textlength(text[start:b].strip(), font=font) > width:
            lines.append(text[start:a].strip())
            start = a
    lines.append(text[start:].strip())
    return [line for line in lines if line]
