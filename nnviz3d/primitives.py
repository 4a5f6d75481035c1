"""What a frame is made of: colours, screen text, labels, rectangles, lines, the camera.

Plain frozen dataclasses shared by the frame builder (``frames``), its overlay panels
(``hud``, ``charts``) and the renderer, plus the text metrics that size type to fit.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import budoux
import numpy as np


@dataclass(frozen=True)
class Theme:
    """Colours (RGB 0..1). Weights: blue positive, orange negative (colour-blind safe)."""

    name: str
    background_top: tuple[float, float, float]
    background_bottom: tuple[float, float, float]
    text: tuple[float, float, float]
    muted: tuple[float, float, float]
    accent: tuple[float, float, float]
    positive: tuple[float, float, float]
    negative: tuple[float, float, float]
    node: tuple[float, float, float]
    ghost: tuple[float, float, float]
    target: tuple[float, float, float]
    backward: tuple[float, float, float]  # deltas travelling back
    panel: tuple[float, float, float]  # backdrop of text panels
    code: tuple[float, float, float]
    keyword: tuple[float, float, float]
    number: tuple[float, float, float]
    invalid: tuple[float, float, float] = (0.95, 0.12, 0.12)  # NaN/inf of a diverged run: red
    #: an activation's slope (the sigmoid's tangents): a colour of its own
    slope: tuple[float, float, float] = (1.0, 0.93, 0.45)
    #: the loss's slope along a weight (dloss/dw, the loss curve's tangent): not the
    #: sigmoid's yellow, which two reviewers read as the same derivative
    gradient: tuple[float, float, float] = (0.55, 0.95, 0.40)
    #: the least a weight outside the step keeps of its colour (blended towards the
    #: background): enough for a 3:1 contrast against the background (tested)
    edge_dim: float = 0.66


THEMES = {
    "dark": Theme(
        "dark",
        background_top=(0.10, 0.12, 0.17),
        background_bottom=(0.03, 0.04, 0.06),
        text=(0.93, 0.94, 0.96),
        muted=(0.76, 0.79, 0.85),  # grey words still read from the back rows
        accent=(1.0, 0.35, 0.85),  # magenta: neither a weight's blue nor its orange
        positive=(0.30, 0.62, 1.0),
        negative=(1.0, 0.55, 0.15),
        node=(0.90, 0.91, 0.93),
        ghost=(0.30, 0.33, 0.40),
        target=(0.36, 0.85, 0.74),
        backward=(0.78, 0.55, 1.0),
        panel=(0.0, 0.0, 0.0),
        code=(0.78, 0.82, 0.88),
        # code in greys: purple and orange mean a delta and a negative number on screen
        keyword=(0.97, 0.97, 1.0),
        number=(0.93, 0.94, 0.96),
    ),
    "light": Theme(
        "light",
        background_top=(0.99, 0.99, 1.0),
        background_bottom=(0.90, 0.92, 0.95),
        text=(0.08, 0.09, 0.12),
        muted=(0.38, 0.42, 0.50),
        accent=(0.72, 0.05, 0.55),
        positive=(0.04, 0.30, 0.72),  # dark enough that a dimmed weight keeps 3:1 contrast
        negative=(0.62, 0.22, 0.0),
        node=(0.35, 0.38, 0.45),
        ghost=(0.78, 0.80, 0.84),
        target=(0.05, 0.55, 0.45),
        backward=(0.50, 0.20, 0.75),
        panel=(1.0, 1.0, 1.0),
        code=(0.15, 0.17, 0.22),
        keyword=(0.0, 0.0, 0.0),
        number=(0.08, 0.09, 0.12),
        slope=(0.52, 0.42, 0.0),
        gradient=(0.15, 0.48, 0.08),
        edge_dim=0.70,  # greyed out of focus as well: a little less towards the background
    ),
}


@dataclass(frozen=True)
class Text2D:
    """Screen text: ``x``, ``y`` in 0..1 from the bottom-left; ``size`` in pixels."""

    text: str
    x: float
    y: float
    size: int
    color: tuple[float, float, float]
    mono: bool = False
    bold: bool = False
    align: str = "left"  # left | right | center
    valign: str = "top"  # top | bottom | center
    #: (start, end, colour[, flight]): characters of ``text`` in a colour of their own -- a
    #: formula's terms coloured as the picture colours the same numbers; None: not drawn
    #: (yet), its place kept (top aligned only). ``flight`` (x, y, t, slot colour): drawn t
    #: of the way from (x, y) to its place, which shows it in the slot colour meanwhile
    spans: tuple[tuple[int, int, tuple[float, float, float] | None], ...] = ()


@dataclass(frozen=True)
class Label3D:
    """Text anchored at a world point (value labels beside nodes and squares)."""

    text: str
    position: tuple[float, float, float]
    size: int
    color: tuple[float, float, float]
    backdrop: tuple[float, float, float] | None = None  # a panel behind it, over busy geometry
    align: str = "left"  # left | center | right: where the anchor sits on the text's baseline
    valign: str = "bottom"  # bottom | center: the anchor on the baseline, or level with the middle
    #: (start, end, colour): characters in a colour of their own, as ``Text2D.spans`` (one line)
    spans: tuple[tuple[int, int, tuple[float, float, float]], ...] = ()
    #: degrees, counter-clockwise on screen, about the anchor: a number written along its
    #: weight, whose slant says which weight it is where weights cross (one colour: no spans)
    angle: float = 0.0


@dataclass(frozen=True)
class Rect2D:
    """A filled screen rectangle (panel backdrops, the executing code line, cards)."""

    x0: float
    y0: float
    x1: float
    y1: float
    color: tuple[float, float, float]
    opacity: float


def disc(
    cx: float, cy: float, radius_px: float, width: int, height: int, color: tuple[float, float, float]
) -> list[Rect2D]:
    """A filled circle of rectangles one pixel row tall each: every renderer (VTK's 2D
    layer, the matplotlib reference) already fills rectangles, and a ball of 26 px needs
    26 of them."""
    rows = max(1, round(2 * radius_px))
    out = []
    for n in range(rows):
        y = (n + 0.5) / rows * 2 - 1  # -1..1 across the disc, at the row's middle
        half = radius_px * (1 - y * y) ** 0.5 / width
        y0, y1 = cy + (y - 1 / rows) * radius_px / height, cy + (y + 1 / rows) * radius_px / height
        out.append(Rect2D(cx - half, y0, cx + half, y1, color, 1.0))
    return out


@dataclass(frozen=True)
class Polyline2D:
    """A screen polyline in 0..1 coordinates (inset plots)."""

    points: tuple[tuple[float, float], ...]
    color: tuple[float, float, float]
    width: float


def ring(
    cx: float, cy: float, radius_px: float, width: int, height: int, color: tuple[float, float, float]
) -> Polyline2D:
    """A circle's outline, 3 px wide, of 32 sides (round at any size a frame draws one:
    the ring of a node whose value is 0, the landscape's lowest point)."""
    rx, ry = radius_px / width, radius_px / height
    points = tuple(
        (float(cx + rx * math.cos(a)), float(cy + ry * math.sin(a))) for a in np.linspace(0, 2 * math.pi, 33)
    )
    return Polyline2D(points, color, 3.0)


@dataclass(frozen=True)
class Camera:
    position: tuple[float, float, float]
    focal_point: tuple[float, float, float]
    view_up: tuple[float, float, float]
    view_angle: float
    window_center: tuple[float, float]


@dataclass(frozen=True)
class FrameState:
    """Everything one frame shows. Arrays are float64 (colours 0..1)."""

    key: tuple[int, int]
    width: int
    height: int
    theme: Theme
    sphere_centers: np.ndarray
    sphere_radii: np.ndarray
    sphere_colors: np.ndarray
    halo_centers: np.ndarray  # translucent shells: node deltas, circled weights
    halo_radii: np.ndarray
    halo_colors: np.ndarray
    cylinder_centers: np.ndarray
    cylinder_directions: np.ndarray
    cylinder_lengths: np.ndarray
    cylinder_radii: np.ndarray
    cylinder_colors: np.ndarray
    labels: tuple[Label3D, ...]
    texts: tuple[Text2D, ...]
    rects: tuple[Rect2D, ...]
    polylines: tuple[Polyline2D, ...]
    camera: Camera
    #: translucent cylinders: the old weights around the new ones during an update
    ghost_centers: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    ghost_directions: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    ghost_lengths: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ghost_radii: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ghost_colors: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    font_file: str | None = None
    mono_font_file: str | None = None  # code and tables (None: font_file, or the shipped mono)
    bold_font_file: str | None = None  # font_file's bold face (None: bold texts use font_file)
    mono_bold_font_file: str | None = None  # mono_font_file's bold face (None: bold code uses it)


# -- text -------------------------------------------------------------------------------
@lru_cache(maxsize=65536)
def text_width_em(text: str, mono: bool | float = False) -> float:
    """Estimated width of the longest line in ems (CJK characters are a full em); ``mono``:
    True for 0.6 em a character (code in a proportional font), or the mono font's ASCII
    advance in ems. Kept for the strings met again (the layout measures the same words
    frame after frame: 11% of a frame state's time)."""
    per_char = (0.6 if mono is True else float(mono)) if mono else 0.56
    wide = "WFA" if mono else "WF"  # (a monospaced CJK face draws × and ≈ an em wide too)
    widths = [
        sum(1.0 if unicodedata.east_asian_width(c) in wide else per_char for c in line)
        for line in text.split("\n")
    ]
    return max(widths, default=0.0)


#: closing marks, which never start a line (the full-width ones written as escapes for ruff)
_NO_LINE_START = set("\uff09\u300d\u300f\u3001\u3002\uff0c\uff0e\uff1a\uff1b\uff01\uff1f\u30fc]),.:;!?")


def line_breaks(text: str) -> list[int]:
    """Where ``text`` may be broken, first (0) and last (len) included: after a space, and
    in Japanese, which has no spaces, between its phrases (BudouX's: 動かす stays whole,
    where any two wide characters were a break and a caption read 動 / かす), never
    before a closing mark."""
    return list(_line_breaks(text))


@lru_cache(maxsize=8192)
def _line_breaks(text: str) -> tuple[int, ...]:
    phrases = _phrase_ends(text)
    breaks = [0]
    for i in range(1, len(text)):
        wide = any(unicodedata.east_asian_width(c) in "WF" for c in text[i - 1 : i + 1])
        between = i in phrases if phrases is not None else wide
        if (text[i - 1] == " " or (wide and between)) and text[i] not in _NO_LINE_START:
            breaks.append(i)
    breaks.append(len(text))
    return tuple(breaks)


def _phrase_ends(text: str) -> frozenset[int] | None:
    """Where each of the Japanese ``text``'s phrases ends, by BudouX (a model made for line
    breaking, not a dictionary); None for text with no wide character, or where the parser
    does not give the text back whole (every wide pair is a break then)."""
    if not any(unicodedata.east_asian_width(c) in "WF" for c in text):
        return None
    chunks = _japanese_parser().parse(text)
    if "".join(chunks) != text:
        return None
    ends, at = set(), 0
    for chunk in chunks:
        at += len(chunk)
        ends.add(at)
    return frozenset(ends)


@lru_cache(maxsize=1)
def _japanese_parser() -> budoux.Parser:
    return budoux.load_default_japanese_parser()


def fit_size(text: str, base: int, max_width_px: float, mono: bool | float = False) -> int:
    """Largest font size <= base at which ``text`` fits ``max_width_px``."""
    em = text_width_em(text, mono) or 1.0
    return max(8, min(base, int(max_width_px / em)))
