"""The 2D layer around the network: a table of regions per layout, one function per panel.

A layout names the panels it shows and the box (x0, y0, x1, y1 in 0..1 of the frame,
from the bottom left) each one gets; a panel draws its texts, rectangles and lines in
that box and nowhere else. Adding a panel is one function here and one row in the
layouts that show it.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from nnviz3d.charts import (
    Axes,
    ChartStyle,
    error_chart,
    fit_chart,
    last_update_shown,
    lines_chart,
    run_chart,
    title_fit,
    trajectory_chart,
)
from nnviz3d.fonts import LATIN_BOLD_FONT, LATIN_FONT, advance_em
from nnviz3d.layout import scene_shape
from nnviz3d.primitives import (
    Polyline2D,
    Rect2D,
    Text2D,
    Theme,
    disc,
    fit_size,
    line_breaks,
    ring,
    text_width_em,
)
from nnviz3d.text import columns, message
from nnviz3d.timeline import Step, Timeline, fmt, fmt_input, fmt_sig, fmt_signed
from nnviz3d.timeline.model import (
    NUDGE,
    TIMES,
    RecordBars,
    closing_digits,
    glimpse_at,
    matrix_decimals,
    nudge_at,
    rate_times,
)

Box = tuple[float, float, float, float]

MIN_CODE_PX = 8  # the smallest type of the code panel (study)
#: type sizes of hall and lecture as fractions of the frame height; VTK's capitals are
#: 0.73 of the size, so lecture's capitals are 20 and 24 px at 720p (31 and 37 at 1080p),
#: the hall's 26 and 34
MIN_TEXT = {"lecture": 0.039, "hall": 0.05}
BIG_TEXT = {"lecture": 0.047, "hall": 0.064}
PANEL_HEIGHT = 0.30  # the values panel's share of the frame height (the network starts above)


@dataclass(frozen=True)
class Hud:
    """What every panel may read: the step on screen, the whole timeline, the frame size."""

    timeline: Timeline
    step: Step
    theme: Theme
    width: int
    height: int
    #: how many of the caption's parts (split at each "=") are written so far: the
    #: formula builds up while the step's picture moves (None: all of it)
    shown: int | None = None
    #: how far the step's tween has gone, for a panel that moves (the descent's point
    #: rolling down its curve), or the part reached of a panel built in parts (the chain
    #: rule's, chain_appear); None: the step's end
    progress: float | None = None

    @property
    def lang(self) -> str:
        return self.timeline.lang

    def t(self, key: str, **values: object) -> str:
        return message(self.timeline.lang, key, **values)

    @property
    def min_size(self) -> int:
        """The smallest type this layout allows: a capital of about 16 px at 720p in hall
        and lecture (read from the back of a room); study is read on a laptop."""
        return 8 if self.timeline.screen == "study" else round(self.height * MIN_TEXT[self.timeline.screen])

    @property
    def big_size(self) -> int:
        """The caption's type: a capital of about 24 px at 720p (more in a hall)."""
        return round(self.height * BIG_TEXT.get(self.timeline.screen, BIG_TEXT["lecture"]))


@dataclass
class Overlay:
    """The primitives the panels have drawn so far, in drawing order."""

    texts: list[Text2D] = field(default_factory=list)
    rects: list[Rect2D] = field(default_factory=list)
    lines: list[Polyline2D] = field(default_factory=list)


Panel = Callable[[Hud, Box, Overlay], None]
PANELS: dict[str, Panel] = {}


def panel(name: str) -> Callable[[Panel], Panel]:
    def register(draw: Panel) -> Panel:
        PANELS[name] = draw
        return draw

    return register


def overlay(
    timeline: Timeline,
    step: Step,
    theme: Theme,
    width: int,
    height: int,
    shown: int | None = None,
    progress: float | None = None,
) -> tuple[tuple[Text2D, ...], tuple[Rect2D, ...], tuple[Polyline2D, ...]]:
    """The 2D layer of one frame: every panel of the timeline's screen layout in its region
    (``shown``: the caption's parts written so far, see :func:`caption_parts_shown`;
    ``progress``: the tween's, for a step whose panel moves, see MOVING_KINDS)."""
    hud = Hud(timeline, step, theme, width, height, shown, progress)
    out = Overlay()
    for name, box in LAYOUTS[timeline.screen](hud):
        drawn = (len(out.texts), len(out.rects), len(out.lines))
        PANELS[name](hud, box, out)
        if _aside(hud, name):
            _faint(out, drawn, theme)
    return tuple(out.texts), tuple(out.rects), tuple(out.lines)


#: how far a panel the step leaves aside fades towards the background
ASIDE_FADE = 0.6


def _aside(hud: Hud, name: str) -> bool:
    """Whether a panel is beside the point of the step, drawn faint so that the network is
    what the eye finds: the records' outputs and the record note while the hidden errors
    are sent back (review 30b: "dim or hide panels not in use"; the outputs are the
    forward pass's and the output error's subject, not the hidden errors')."""
    return (
        hud.timeline.screen in ("hall", "lecture")
        and hud.step.kind == "error"
        and name in ("outputs", "values")
    )


def _faint(out: Overlay, since: tuple[int, int, int], theme: Theme) -> None:
    """Fade what a panel drew (everything after ``since``) towards the background."""
    bg = theme.background_top

    def fade(colour):
        return (
            None
            if colour is None
            else tuple(c + (b - c) * ASIDE_FADE for c, b in zip(colour, bg, strict=True))
        )

    t, r, ln = since
    out.texts[t:] = [
        replace(x, color=fade(x.color), spans=tuple((a, b, fade(c), *rest) for a, b, c, *rest in x.spans))
        for x in out.texts[t:]
    ]
    out.rects[r:] = [replace(x, color=fade(x.color)) if x.color != theme.panel else x for x in out.rects[r:]]
    out.lines[ln:] = [replace(x, color=fade(x.color)) for x in out.lines[ln:]]


# -- the layouts -------------------------------------------------------------------------
def _records_rows(hud: Hud) -> tuple[int, float]:
    n_rows = len(hud.step.records)
    return n_rows, (min(0.045, 0.36 / (n_rows + 1)) if n_rows else 0.0)


def _code_floor(hud: Hud) -> float:
    """Where the code panel at its smallest type reaches up to."""
    return 0.07 + len(hud.timeline.code) * MIN_CODE_PX * 1.3 / hud.height


def study_regions(hud: Hud) -> list[tuple[str, Box]]:
    """Every panel, as in a study video on a laptop: records, legend and code down the
    left, the values bottom right, two charts bottom centre."""
    if hud.step.kind == "features":  # the maps are the picture, in every layout
        return [("header", (0.015, 0.82, 0.985, 0.985)), ("caption", (0.015, 0.84, 0.985, 0.89)),
                ("gallery", GALLERY_BOX)]  # fmt: skip
    n_rows, row_h = _records_rows(hud)
    legend_top = min(0.58, 0.80 - (n_rows + 1) * row_h - 0.01)
    legend_bottom = _legend_bottom(hud, legend_top, _code_floor(hud))
    return [
        ("header", (0.015, 0.82, 0.985, 0.985)),
        ("caption", (0.015, 0.84, 0.985, 0.89)),
        ("outputs", (0.015, 0.80 - (n_rows + 1) * row_h, 0.30, 0.80)),
        ("legend", (0.015, _code_floor(hud), 0.275, legend_top)),
        ("code", (0.006, 0.008, 0.306, legend_bottom - 0.04)),
        ("values", (0.70, 0.008, 0.993, 0.02 + PANEL_HEIGHT)),
        ("progress_chart", (0.325, 0.05, 0.495, 0.22)),
        ("detail_chart", (0.525, 0.05, 0.695, 0.22)),
        ("card", (0.0, 0.40, 1.0, 0.66)),
        ("epilogue_chart", (0.31, 0.0, 0.99, 0.28)),
    ]


STATUS_BOX = (0.015, 0.925, 0.985, 0.985)  # the top line: key, mean |error|, iteration
CAPTION_BOX = (0.015, 0.76, 0.985, 0.925)  # three lines of the caption's type at its size
CARD_BOX = (0.0, 0.0, 1.0, 1.0)  # a card is a clean slide
RIGHT_TOP = (0.70, 0.40, 0.985, 0.76)  # beside the network: outputs, or the slope
RIGHT_MIDDLE = (0.70, 0.14, 0.993, 0.39)  # the step's numbers, or the change matrix
BARS_BOX = (RIGHT_TOP[0], RIGHT_MIDDLE[1], RIGHT_TOP[2], RIGHT_TOP[3])  # the whole column
#: an update's column (and the worked change's) reaches further left: a 4x3 grid of
#: changes at the lecture's type (the network's right end, the output node, stands left)
UPDATE_LEFT = 0.655
WORKED_BARS_BOTTOM = 0.04  # the worked change's bars: five rows and a title of two lines
#: the hall's panel beside the network starts under its caption's third line
HALL_RIGHT = (RIGHT_TOP[0], 0.36, RIGHT_TOP[2], 0.715)


#: more records than this stay one network (the outputs panel lists them)
MAX_SHEETS = 4


def sheets_shown(timeline: Timeline, step: Step | None) -> bool:
    """Whether ``step`` shows the batch's records as sheets, a whole network each: a step
    that computes all records at once, in lecture (the hall's big numbers need the one
    network's room), for a network drawn as nodes with 2 to MAX_SHEETS records."""
    lay = timeline.layout
    return (
        step is not None
        and step.all_records
        and timeline.screen == "lecture"
        and 2 <= lay.n_records <= MAX_SHEETS
        and scene_shape("lecture", lay.layers, lay.n_records, timeline.fit_curve is not None) == "network"
    )


def _beside(hud: Hud) -> str:
    """The top right shows the slope of the activation while deltas are made, else the
    outputs against the targets."""
    return "slope" if hud.step.kind == "delta" and _slope_points(hud) else "outputs"


#: the steps at a glance (fast forwards, the epilogue, the summary): the whole run on one
#: chart under the network
EPILOGUE_KINDS = ("timelapse", "epilogue", "summary")
EPILOGUE_CHART = (0.015, 0.015, 0.985, 0.34)
SUMMARY_VALUES = (0.455, 0.342, 0.993, 0.76)  # which code line did what: wide lines, 8 rows


def _scene_regions(hud: Hud, screen: str) -> list[tuple[str, Box]] | None:
    """The panel sets of the epilogue, and of the digits, fit and hand-calculation scenes
    (hud_scenes.py, which registers their panels); None for the 3D network's own."""
    if hud.step.kind in EPILOGUE_KINDS:
        return _epilogue_regions(hud)
    if hud.step.kind == "features":  # the maps are the picture
        caption = HALL_CAPTION if screen == "hall" else CAPTION_BOX
        return [("status", STATUS_BOX), ("caption", caption), ("gallery", GALLERY_BOX)]
    from nnviz3d import hud_scenes

    return hud_scenes.regions(hud, screen)


def _epilogue_regions(hud: Hud) -> list[tuple[str, Box]]:
    """The run at a glance: the network above (layout.EPILOGUE_REGION), the outputs beside
    it (the summary: which code line did what), the error of every iteration below."""
    summary = (
        (("values", SUMMARY_VALUES),)
        if hud.step.kind == "summary"
        else (("outputs", (0.70, 0.38, 0.985, 0.76)),)
    )
    return [
        ("status", STATUS_BOX),
        ("caption", CAPTION_BOX),
        *summary,
        ("epilogue_chart", EPILOGUE_CHART),
    ]


HALL_CAPTION = (0.015, 0.725, 0.985, 0.925)  # three lines of the hall's type
#: what the trained nodes compute, big: the hidden maps and the output's across the frame
GALLERY_BOX = (0.015, 0.03, 0.985, 0.71)
#: steps whose 2D layer moves with the tween (drawn again each frame, not once per step)
MOVING_KINDS = ("descent", "landscape", "nudge")
#: shots of their own, one big panel each: the chain rule's across the frame, the
#: descent's beside a small network (layout.DESCENT_REGION)
SHOT_KINDS = ("chain", "descent", "landscape")
#: gradient descent, big: the loss curve beside a small network (layout.DESCENT_REGION)
DESCENT_CURVE_BOX = (0.37, 0.14, 0.985, 0.74)


def _descent_regions(hud: Hud, caption: Box) -> list[tuple[str, Box]]:
    """The shots of their own: the chain rule's chain, the descent's loss curve."""
    return [
        ("status", STATUS_BOX),
        ("caption", caption),
        {"chain": ("chain", CHAIN_BOX), "landscape": ("loss_map", DESCENT_CURVE_BOX)}.get(
            hud.step.kind, ("loss_curve", DESCENT_CURVE_BOX)
        ),
        ("code_line", (0.015, 0.015, 0.69, 0.13)),
        ("card", CARD_BOX),
    ]


#: the nudge's meters beside the network, one row a name of the chain
NUDGE_BOX = (RIGHT_TOP[0], RIGHT_MIDDLE[1], RIGHT_TOP[2], RIGHT_TOP[3])


def _nudge_regions(hud: Hud, caption: Box, beside: Box) -> list[tuple[str, Box]]:
    """The nudge: the network with its chain lit, and beside it what moves with the weight."""
    return [
        ("status", STATUS_BOX),
        ("caption", caption),
        ("nudge", beside),
        ("code_line", (0.015, 0.015, 0.69, 0.13)),
    ]


def hall_regions(hud: Hud) -> list[tuple[str, Box]]:
    """A 200-seat hall: the caption, the network with its numbers (network region in
    layout.NETWORK_REGIONS), the executing code line and the outputs against the targets."""
    if (other := _scene_regions(hud, "hall")) is not None:
        return other
    if hud.step.kind in SHOT_KINDS:
        return _descent_regions(hud, HALL_CAPTION)
    if hud.step.kind == "nudge":
        # (down beside the code line, which ends short of it: the hall's type needs the rows)
        return _nudge_regions(
            hud, HALL_CAPTION, (NUDGE_BOX[0], WORKED_BARS_BOTTOM, NUDGE_BOX[2], HALL_RIGHT[3])
        )
    if hud.step.kind == "worked" and hud.step.bars:
        beside = [("bars", (BARS_BOX[0], BARS_BOX[1], BARS_BOX[2], HALL_RIGHT[3]))]
    else:
        beside = [(_beside(hud), HALL_RIGHT)]
    return [
        ("status", STATUS_BOX),
        ("caption", HALL_CAPTION),
        *beside,
        ("code_line", (0.015, 0.015, 0.985, 0.13)),
        ("card", CARD_BOX),
    ]


def lecture_regions(hud: Hud) -> list[tuple[str, Box]]:
    """A lecture: the hall's panels, the step's numbers (an update: its change matrix and
    how big its changes are against the video's first) and a short key."""
    if (other := _scene_regions(hud, "lecture")) is not None:
        return other
    if hud.step.kind in SHOT_KINDS:
        return _descent_regions(hud, CAPTION_BOX)
    if hud.step.kind == "nudge":
        return _nudge_regions(hud, CAPTION_BOX, NUDGE_BOX)
    step = hud.step
    if step.kind == "worked":  # the change as the records' sum, alone: the loss curve above it
        # repeated the descent's two shots later (review 41a: "overloaded"); one idea a shot
        right = [("bars" if step.bars else "values", (UPDATE_LEFT, *BARS_BOX[1:]))]
    elif step.kind == "update" and step.change is not None and len(_updates_so_far(hud)) > 1:
        right = [  # against the earlier ones, then each
            ("change_history", (UPDATE_LEFT, *RIGHT_TOP[1:])),
            # (down beside the code line, as the worked change's bars: its rows have names)
            ("changes", (UPDATE_LEFT, WORKED_BARS_BOTTOM, *RIGHT_MIDDLE[2:])),
        ]
    elif step.kind == "update" and step.change is not None:  # the first: no earlier one to compare
        tall = RIGHT_MIDDLE[3] - WORKED_BARS_BOTTOM  # as tall as beside the history, at its top
        right = [("changes", (UPDATE_LEFT, RIGHT_TOP[3] - tall, RIGHT_MIDDLE[2], RIGHT_TOP[3]))]
    elif sheets_shown(hud.timeline, step):  # the records' sheets, each with its output: the whole width
        right = []
    elif step.bars:  # a node's z, its terms and their sum: down beside the code line, as the worked change's
        right = [
            (_beside(hud), RIGHT_TOP),
            ("bars", (RIGHT_MIDDLE[0], WORKED_BARS_BOTTOM, *RIGHT_MIDDLE[2:])),
        ]
    else:
        right = [(_beside(hud), RIGHT_TOP), ("values", RIGHT_MIDDLE)]
    return [
        ("status", STATUS_BOX),
        ("caption", CAPTION_BOX),
        *right,
        ("code_line", (0.015, 0.015, 0.69, 0.13)),
        ("card", CARD_BOX),
    ]


LAYOUTS: dict[str, Callable[[Hud], list[tuple[str, Box]]]] = {
    "hall": hall_regions,
    "lecture": lecture_regions,
    "study": study_regions,
    "tile": lambda hud: [],  # one run of a split screen (split.py draws the words around it)
}


# -- the panels --------------------------------------------------------------------------
@panel("header")
def header(hud: Hud, box: Box, out: Overlay) -> None:
    """The scene's title (left), the iteration and the display error (right)."""
    step, timeline, theme, h, lang = hud.step, hud.timeline, hud.theme, hud.height, hud.lang
    x0, y0, x1, y1 = box
    out.texts.append(
        Text2D(timeline.title, x0, y1, fit_size(timeline.title, round(h * 0.03), hud.width * 0.55),
               theme.muted, bold=True)
    )  # fmt: skip
    if step.epoch and timeline.n_batches > 1:
        it = message(lang, "epoch_batch", e=step.epoch, n=timeline.total_epochs, b=step.batch,
                     nb=timeline.n_batches)  # fmt: skip
    elif step.epoch:
        it = message(lang, "iteration", e=step.epoch, n=timeline.total_epochs)
    else:
        it = message(lang, "before_training")
    out.texts.append(Text2D(it, x1, y1, round(h * 0.032), theme.text, bold=True, align="right"))
    de = message(lang, "display_error_none")
    if step.display_error is not None and timeline.n_batches > 1:  # one batch's error, not the epoch's
        de = message(
            lang, "batch_error_hud", e=step.display_error_epoch, b=step.batch, v=fmt(step.display_error, 5)
        )
    elif step.display_error is not None:
        de = message(lang, "display_error_hud", e=step.display_error_epoch, v=fmt(step.display_error, 5))
    out.texts.append(Text2D(de, x1, y1 - 0.05, round(h * 0.028), theme.accent, align="right"))
    if step.visual.diverged:  # under the caption, right: the legend column is full already
        warn = message(lang, "legend_invalid")
        out.texts.append(Text2D(warn, x1, y0, round(h * 0.026), theme.invalid, align="right"))


@panel("caption")
def caption(hud: Hud, box: Box, out: Overlay) -> None:
    """What this step does, with its numbers plugged in (cards say it in the middle)."""
    step = hud.step
    if step.card is not None:
        return
    x0, y0, x1, y1 = box
    if hud.timeline.screen == "study":  # one line if it fits well, else two
        size = fit_size(step.caption, round(hud.height * 0.034), hud.width * (x1 - x0))
        text = step.caption
        if size < round(hud.height * 0.024):
            size = round(hud.height * 0.024)
            while size > 8 and wrap(text, size, hud.width * (x1 - x0)).count("\n") > 1:
                size -= 1
            text = wrap(text, size, hud.width * (x1 - x0))
        spans = spans_of(hud.theme, hud.step.terms, text)
        out.texts.append(Text2D(text, x0, y1, size, hud.theme.text, bold=True, spans=spans))
        return
    # the formula in big type on as many lines as the box holds (it breaks after its "="
    # sum, before the activation), its gloss under it smaller and quieter; both smaller
    # only if they must
    room = (y1 - y0) * hud.height
    width = hud.width * (x1 - x0)
    sentence = step.headline
    arriving = glance_morph(hud) is not None
    if arriving:  # where it goes; its numbers when it is there (review 75a: "iteration 500"'s
        # error and outputs over maps still at 200)
        sentence = re.split("[:\uff1a]", sentence, maxsplit=1)[0]
    if text_width_em(sentence) * hud.big_size > width:
        sentence = re.sub(r";\s+", "\n", sentence)
    note = _hall_record_note(hud)  # the hall writes it under its records table instead
    gloss = step.gloss.replace(note, "") if note else step.gloss
    gloss = gloss.strip().lstrip(":\uff1a,;\u3001").strip()  # its own line: no joining punctuation
    if arriving:
        gloss = ""
    if not re.match(r"[a-z]+\d", gloss):  # a sentence's first letter, not a node's name ("x3 is 1")
        gloss = gloss[:1].upper() + gloss[1:]
    inline = False  # the gloss after the formula's last line, where it has no room under it
    for size in range(hud.big_size, hud.min_size - 1, -1):
        text = formula_lines(sentence, size, width) or wrap(sentence, size, width)
        height = (text.count("\n") + 1) * size * LINE
        small = max(hud.min_size, round(size * GLOSS))
        notes = wrap(gloss, small, width) if gloss else ""
        if height + (notes.count("\n") + 1.2) * small * LINE * bool(gloss) <= room:
            break
        # the hall keeps the formula big; the lecture keeps it at 24 px capitals at least
        if height <= room and (hud.timeline.screen == "hall" or size <= hud.height * CAPTION_FLOOR):
            # beside the last line if it fits there (reviews 49 and 50: "record 1 shown"
            # was dropped where the formula took two lines), else not at all
            last = text.split("\n")[-1]
            inline = bool(gloss) and _gloss_beside(hud, last, size, gloss, small) <= width
            gloss = gloss if inline else ""
            break
    spans = spans_of(hud.theme, hud.step.terms, text)
    hidden = _unwritten(text, hud.shown)
    if hidden < len(text):  # written so far: the rest keeps its place, unseen
        spans += ((hidden, len(text), None),)
        gloss = ""
    out.texts.append(Text2D(text, x0, y1, size, hud.theme.text, bold=True, spans=spans))
    if gloss and inline:  # its baseline on the formula's
        x = x0 + (_gloss_beside(hud, text.split("\n")[-1], size, "", small)) / hud.width
        y = y1 - (height - size * LINE + BASELINE * (size - small)) / hud.height
        out.texts.append(Text2D(gloss, x, y, small, hud.theme.muted))
    elif gloss:
        y = y1 - (height + 0.2 * small) / hud.height
        out.texts.append(Text2D(notes, x0, y, small, hud.theme.muted))


def _gloss_beside(hud: Hud, last: str, size: int, gloss: str, small: int) -> float:
    """How wide (pixels) the formula's last line is with ``gloss`` after it, in the faces
    they are drawn in (an estimate of 0.56 em a character overstated it by a fifth)."""
    return (_width_em(hud, last, bold=True) + INLINE_GAP) * size + _width_em(hud, gloss) * small


EQUALS = re.compile(r"[=\uff1d~\u2248]\s*")  # "=", and "~" (about equal: rounded terms)


def caption_parts(step: Step) -> int:
    """The caption's parts: its formula split at each "=" (the definition, the numbers
    plugged in, the result), each "=" with the part it introduces."""
    return len(EQUALS.findall(step.headline)) + 1


def caption_parts_shown(step: Step, progress: float) -> int:
    """How many parts are written at ``progress`` of the step's tween: the first at once,
    the last when the picture has arrived."""
    n = caption_parts(step)
    return min(n, 1 + int(progress * (n - 1) + 1e-9))


def _unwritten(text: str, shown: int | None) -> int:
    """Where the unwritten part of ``text`` starts (its length: all written)."""
    if shown is None:
        return len(text)
    # each "=" comes with what follows it (a line broken before an "=" has no lone "=")
    ends = [m.start() for m in EQUALS.finditer(text)]
    return ends[shown - 1] if shown - 1 < len(ends) else len(text)


def term_colour(theme: Theme, role: str, term: str) -> tuple[float, float, float] | None:
    """The colour the picture gives a caption's term: a signed number (a weight, an error,
    a change, a z) its sign's (the weights' blue and orange, the want arrows'), a delta the
    backward pass's purple, a slope the tangents' yellow (dloss/dw: the loss curve's green),
    a node's new value the accent (the active node's)."""
    if role in ("weight", "error", "change", "signed"):
        try:
            value = float(term)
        except ValueError:  # a name, not a number: no sign to show
            return None
        return theme.positive if value > 0 else theme.negative if value < 0 else None
    named = {"delta": theme.backward, "slope": theme.slope, "value": theme.accent, "target": theme.target,
             "input": theme.text, "gradient": theme.gradient}  # fmt: skip
    return named[role]


def spans_of(
    theme: Theme, terms: tuple[tuple, ...], text: str
) -> tuple[tuple[int, int, tuple[float, float, float]], ...]:
    """Where ``terms`` stand in ``text`` as drawn (wrapped), in order, each a whole token
    (the 1 of ``l1`` is not the target 1), with its colour; a term not there is passed."""
    spans = []
    for i, start, end in found_terms(terms, text):
        term, role = terms[i][:2]
        colour = term_colour(theme, role, term)
        if colour is not None:
            spans.append((start, end, colour))
    return tuple(spans)


def found_terms(terms: tuple[tuple, ...], text: str) -> list[tuple[int, int, int]]:
    """(index in ``terms``, start, end) of each term found in ``text``, in order."""
    found, at = [], 0
    for i, (term, *_) in enumerate(terms):
        match = re.compile(rf"(?<![\w.]){re.escape(term)}(?![\w.])").search(text, at)
        if match is not None:
            at = match.end()
            found.append((i, match.start(), match.end()))
    return found


_NUMBER = re.compile(r"(?<![\w.])[+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w.])")


def sign_spans(theme: Theme, text: str) -> tuple[tuple[int, int, tuple[float, float, float]], ...]:
    """Every number in ``text`` in its sign's colour (0 keeps the text's)."""
    spans = ((m.start(), m.end(), term_colour(theme, "signed", m.group())) for m in _NUMBER.finditer(text))
    return tuple(span for span in spans if span[2] is not None)


#: the gloss's type against the formula's; a gloss after the formula's last line is this
#: many of the formula's ems from it, and this much of the sizes' difference lower (so that
#: the baselines meet)
GLOSS, INLINE_GAP, BASELINE = 0.72, 0.5, 0.45
#: the caption's formula is no smaller than this (of the frame's height: 24 px capitals at
#: 720p); its gloss gives way first
CAPTION_FLOOR = 0.046


def formula_lines(text: str, size: int, max_px: float) -> str | None:
    """A formula too wide for one line, broken only before its "=" signs, in as few and
    as even lines as fit (``l2_delta = l2_error x the slope l2*(1-l2)`` over ``= -0.474 x
    0.249 = -0.118``), or its "≈" (a rounded product's: review 44's hall broke ``-0.118 ×``
    from its ``-0.945``): a break inside a side reads as a false equation. None when it
    has no "=", already has lines, or one side alone is too wide."""
    if "\n" in text or not RELATION.search(text):
        return None
    sides = RELATION.split(text)  # side, sign, side, sign, ...
    parts = [sides[0], *(f"{sign} {side}" for sign, side in zip(sides[1::2], sides[2::2], strict=True))]
    if any(text_width_em(p) * size > max_px for p in parts):
        return None
    n = len(parts)
    for n_lines in range(1, n + 1):
        best: tuple[float, list[str]] | None = None
        for cuts in itertools.combinations(range(1, n), n_lines - 1):
            bounds = (0, *cuts, n)
            lines = [" ".join(parts[a:b]) for a, b in itertools.pairwise(bounds)]
            widest = max(text_width_em(line) for line in lines) * size
            if widest <= max_px and (best is None or widest < best[0]):
                best = (widest, lines)
        if best is not None:
            return "\n".join(best[1])
    return None


#: where a formula may break: before its "=" or "≈", each with the side it introduces
RELATION = re.compile(" ([=\u2248]) ")
LINE = 1.2  # a line of wrapped text is this many times its size tall


@lru_cache(maxsize=1024)
def wrap(text: str, size: int, max_px: float, mono: bool = False) -> str:
    """``text`` broken at spaces into lines no wider than ``max_px`` at ``size``, as even
    as the same number of lines allows (no word left alone on the last line)."""
    out = []
    for paragraph in text.split("\n"):
        lines = _greedy(paragraph, size, max_px, mono)
        narrow = max_px
        pieces = len(_greedy(paragraph, size, 0.0, mono))  # a line each: no narrower measure breaks more
        while 1 < len(lines) < pieces:  # narrow the measure while the line count stays the same
            tighter = _greedy(paragraph, size, narrow * 0.97, mono)
            if len(tighter) != len(lines):
                break
            lines, narrow = tighter, narrow * 0.97
        out += lines
    return "\n".join(out)


def _greedy(paragraph: str, size: int, max_px: float, mono: bool) -> list[str]:
    """Lines as full as they go, broken where ``line_breaks`` allows (spaces, and between
    Japanese characters)."""
    lines: list[str] = []
    start = 0
    breaks = line_breaks(paragraph)
    for a, b in itertools.pairwise(breaks):
        if start < a and text_width_em(paragraph[start:b].strip(), mono) * size > max_px:
            lines.append(paragraph[start:a].strip())
            start = a
    return [*lines, paragraph[start:].strip()]


def glance_morph(hud: Hud) -> float | None:
    """How far (0..1) a glance is on its way from the iteration shown before it (its maps
    morphing, its weights tweening: frames.morphing hands it as the hud's progress); None
    where it stands."""
    step = hud.step
    if step.kind in ("timelapse", "epilogue") and hud.progress is not None and step.index:
        return hud.progress
    return None


@panel("status")
def status(hud: Hud, box: Box, out: Overlay) -> None:
    """One line, top right: which iteration, and the mean |error| so far."""
    step, timeline, theme = hud.step, hud.timeline, hud.theme
    if step.card is not None:  # a clean slide
        return
    x0, _, x1, y1 = box
    size = hud.min_size
    morph = glance_morph(hud)
    glimpse = glimpse_at(step, morph)
    if step.epoch and timeline.n_batches > 1:
        it = hud.t("epoch_batch", e=step.epoch, n=timeline.total_epochs, b=step.batch, nb=timeline.n_batches)
    elif step.epoch and glimpse is not None:
        it = hud.t("iteration", e=glimpse.epoch, n=timeline.total_epochs)  # on its way: live
    elif step.epoch and morph is not None:
        # its maps still morphing from the iteration before's (frames.morphing): from which to which
        was = timeline.steps[step.index - 1].epoch
        it = hud.t("iteration", e=f"{was} \u2192 {step.epoch}", n=timeline.total_epochs)
    elif step.epoch:
        it = hud.t("iteration", e=step.epoch, n=timeline.total_epochs)
    else:
        it = hud.t("before_training")
    error = ""
    # (not beside the loss as one weight varies: two error measures side by side read as one;
    # nor where the caption states it, the fast forward's, whose key needs the room, and the
    # end of an iteration's, before and after the update: the one before alone beside them
    # read as the error after)
    states = step.kind == "epilogue" or (step.kind == "end" and "display_error_after" in step.values)
    # only this iteration's own error (review 55d: "mean |error| at iteration 1997" through
    # iteration 1998's forward pass read as this one's): until it is computed, as in
    # iteration 1, there is none
    states = states or step.display_error_epoch not in (None, step.epoch)
    states = states or (morph is not None and glimpse is None)  # a glance's own when there
    if step.display_error is not None and step.loss_curve is None and step.loss_map is None and not states:
        error = hud.t("status_error", v=fmt(step.display_error, 5))
        if glimpse is not None:  # on its way: the iteration's own
            error = hud.t("status_error", v=fmt(glimpse.mean_abs_error, 5))
    items = _key_items(hud)
    if timeline.screen in ("hall", "lecture"):  # said once, not on every frame (reviews 76a,
        # 77a, 77b: the top line's legend on every frame, small, one more text to read): an
        # item where it is new, or again after KEY_AGAIN seconds without it
        # (what the numbers on the picture are, and the maps' shades, stays with them: review
        # 78a met s010's products on the weights unkeyed, read as weights)
        kept = {step.feature_key, hud.t("key_forward"), hud.t("key_worked")}
        said = [item[0] in kept or _key_said_now(hud, item[0]) for item in items]
        for i in range(1, len(items)):  # blue + and orange - go together ("weight: blue +" is
            if items[i - 1][1] == theme.positive and items[i][1] == theme.negative:  # new in an
                said[i] = said[i - 1] = said[i] or said[i - 1]  # update, orange - not: both)
        items = [item for item, new in zip(items, said, strict=True) if new]
    width_px = hud.width * (x1 - x0)
    shown = _key_fits(hud, items, width_px, (it, error) if error else (it,), size)
    without = _key_fits(hud, items, width_px, (it,), size) if error and shown < len(items) else shown
    if without > shown == 0:  # what the picture means first wins over the error; the rest of
        error, shown = "", without  # the key gives way to it (review 47b: the error vanished)
    if items and shown == 0 and step.epoch and timeline.n_batches == 1:  # and over a long word
        short = hud.t("iteration_short", e=step.epoch, n=timeline.total_epochs)
        if fits := _key_fits(hud, items, width_px, (short, error) if error else (short,), size):
            it, shown = short, fits
        elif fits := _key_fits(hud, items, width_px, (short,), size):  # the key still wins
            it, shown, error = short, fits, ""
    out.texts.append(Text2D(it, x1, y1, size, theme.text, bold=True, align="right"))
    if error:
        shift = (_width_em(hud, it, bold=True) + KEY_GAP[1]) * size / hud.width
        out.texts.append(Text2D(error, x1 - shift, y1, size, theme.text, align="right"))
    # top left: what the picture's colours and numbers mean in this step
    x = x0
    for text, colour in items[:shown]:
        # white, to be read from the back; the colours named in bold (blue +, violet: ...)
        out.texts.append(Text2D(text, x, y1, size, colour, bold=colour != theme.text))
        x += (_width_em(hud, text, colour != theme.text) + KEY_GAP[0]) * size / hud.width


#: seconds of video after which a key's item is said again
KEY_AGAIN = 60.0


def _key_said_now(hud: Hud, text: str) -> bool:
    """Whether the key's item ``text`` is said in this step: where it is new (the step
    before, or a card, had it not), and again each KEY_AGAIN seconds while it stays."""
    steps, i = hud.timeline.steps, hud.step.index
    first = i
    while first > 0 and steps[first - 1].card is None and text in _key_texts(hud, steps[first - 1]):
        first -= 1
    if first == i:
        return True
    fps = hud.timeline.fps
    since, before = (
        (steps[i].first_frame - steps[first].first_frame) / fps,
        (steps[i - 1].first_frame - steps[first].first_frame) / fps,
    )
    return int(since // KEY_AGAIN) > int(before // KEY_AGAIN)


def _key_texts(hud: Hud, step: Step) -> set[str]:
    """The key's items of ``step`` (as its own frames would have them)."""
    return {text for text, _ in _key_items(replace(hud, step=step, shown=None, progress=None))}


#: ems after each of the key's items; after each of the top line's texts on the right
KEY_GAP = (0.6, 1.0)


def _key_fits(
    hud: Hud, items: list[tuple[str, tuple]], width_px: float, right: tuple[str, ...], size: int
) -> int:
    """How many of the key's items fit left of the texts ``right`` (the iteration, bold, and
    the mean |error|) on a top line ``width_px`` wide, measured in the faces they are drawn
    in; blue + and orange - go together or not at all."""
    room = width_px - sum(_width_em(hud, t, i == 0) + KEY_GAP[1] for i, t in enumerate(right)) * size
    n = 0
    for text, colour in items:
        width = (_width_em(hud, text, colour != hud.theme.text) + KEY_GAP[0]) * size
        if width > room:
            break
        room -= width
        n += 1
    if n and items[n - 1][1] == hud.theme.positive and n < len(items):  # a sign without its pair
        n -= 1
    return n


def _width_em(hud: Hud, text: str, bold: bool = False) -> float:
    """The width in ems of one line of ``text`` in the face it is drawn in."""
    if bold:
        return advance_em(text, hud.timeline.bold_font or hud.timeline.font or LATIN_BOLD_FONT)
    return advance_em(text, hud.timeline.font or LATIN_FONT)


def _key_items(hud: Hud) -> list[tuple[str, tuple[float, float, float]]]:
    """The meaning of what this step draws, most important first."""
    step, theme = hud.step, hud.theme
    signs = [(hud.t("key_positive"), theme.positive), (hud.t("key_negative"), theme.negative)]
    # the want arrows (frames.want_arrows) are drawn where the network is: not in study
    arrows = step.wants and hud.timeline.screen != "study"
    wants = [(hud.t("key_wants"), theme.text)] if arrows else []
    # the weights' colours are keyed wherever they are drawn and the key has room (review
    # 52a: "a permanent blue/orange key"); the arrows and the purple first
    if step.kind == "error":  # the tubes, in the backward pass's colour
        return [*wants, *signs, (hud.t("key_backward"), theme.backward)]
    if step.kind == "delta":
        wants = [(hud.t("key_wants_delta"), theme.backward)] if wants else []
        return [*wants, (hud.t("key_delta"), theme.backward), *signs]  # the deltas' purple, as drawn
    if step.kind == "output_error" and wants:
        return [*wants, *signs]
    if step.kind == "update":  # (no sleeves where the layers are drawn as panels)
        grids = scene_shape(hud.timeline.screen, hud.timeline.layout.layers, hud.timeline.layout.n_records,
                            hud.timeline.fit_curve is not None) == "grids"  # fmt: skip
        # the signs are the weights' (43a, 43b read blue beside "size of change" as "increased")
        weights = [(hud.t("key_positive_weight"), theme.positive), signs[1]]
        return [] if grids else [(hud.t("key_update"), theme.text), *weights]
    if step.kind == "node":
        return [(hud.t("key_forward"), theme.text), *signs]  # the hall: what the numbers are, first
    if step.kind == "worked":  # the lit weight's number is its change, the others are dimmed lines
        # (reviews 56a and 56b: "thickness = |weight|" over a frame whose weights are all thin)
        return [*signs, (hud.t("key_worked"), theme.text)]
    if step.feature_maps is not None:
        return [(step.feature_key, theme.text)] if step.feature_key else []
    if step.kind == "end":  # every weight greyed, every sphere a dot: nothing to key (review
        return []  # 41a: "the legend promises thickness and sphere size, but nothing shows")
    if step.kind in ("chain", "nudge", "descent", "landscape"):  # signs; no weight is drawn
        # thick nor sphere big there (review 62a: "thickness, sphere" keyed over the chain
        # alone; 79b over the descent's small network: "irrelevant")
        return signs
    return [*signs, (hud.t("key_thickness"), theme.text)]


@panel("outputs")
def outputs(hud: Hud, box: Box, out: Overlay) -> None:
    """Every record: its inputs, the network's output and the target, as numbers and as
    squares whose area is the value; the record being computed is marked."""
    step, timeline, theme, h, w = hud.step, hud.timeline, hud.theme, hud.height, hud.width
    if not step.records or step.card is not None:
        return
    x0, y0, x1, y1 = box
    n_out = timeline.layout.layers[-1]
    outs = step.visual.outputs
    unwritten = step.index and hud.shown is not None and hud.shown < caption_parts(step)
    if (glimpse := glimpse_at(step, glance_morph(hud))) is not None:  # a glance on its way:
        outs = glimpse.outputs  # the iteration it passes through
    elif unwritten or glance_morph(hud) is not None:
        # an output this step computes is written when the caption writes its result; at a
        # glance, when its maps have morphed into its iteration's
        outs = timeline.steps[step.index - 1].visual.outputs
    rows = len(step.records)
    size = max(hud.min_size, round(h * 0.024))
    keyed = _squares_keyed(hud)  # a last row saying which square is which
    row_h = min(size * 1.9 / h, (y1 - y0) / (rows + 1 + keyed))
    size = min(size, int(row_h * h / 1.5)) if row_h * h < size * 1.5 else size
    width_x = max(len(x) for x, _ in step.records)
    char = 0.6 * size / w
    side_max = min(row_h * h * 0.8, 1.3 * size)  # pixels: a square of value 1 (the largest shown)
    vmax = timeline.target_scale
    col_x = x0 + (width_x + 1) * char  # the output numbers
    num_w = 8 * char  # "0.00261" and a little air
    sq_x = col_x + n_out * num_w  # the squares
    sq_w = n_out * 2 * (side_max + 4) / w
    squares = sq_x + sq_w + 2 * char <= x1  # the hall's big type leaves them no room: numbers only
    sq_w = sq_w if squares else 0.0
    keyed = keyed and squares
    tgt_x = sq_x + sq_w + char
    bottom = y1 - (rows + 1.15 + keyed) * row_h
    out.rects.append(Rect2D(x0 - 0.006, bottom, x1, y1 + 0.008, theme.panel, 0.45))
    last = len(timeline.layout.layers) - 1
    heads = _table_heads(hud, (x0, x1, col_x, sq_x), (char, side_max / w), squares and n_out == 1, last)
    for x, text, colour, align in heads:
        out.texts.append(Text2D(text, x, y1, size, colour, mono=True, align=align))
    for i, (x_text, t_text) in enumerate(step.records):
        y = y1 - (i + 1) * row_h - row_h * 0.1
        current = step.visual.current_record == i
        colour = theme.accent if current else theme.text
        out.texts.append(Text2D(x_text, x0, y, size, colour, mono=True, bold=current))
        out.texts.append(Text2D(t_text, tgt_x, y, size, theme.target, mono=True))
        yc = y - row_h * 0.4  # the row's vertical centre
        for o in range(n_out):
            value = float(outs[i, o]) if i < len(outs) else float("nan")
            computed = not np.isnan(value) or step.visual.diverged
            cell = fmt_sig(value) if computed else "?"
            out.texts.append(Text2D(cell, col_x + o * num_w, y, size, colour, mono=True, bold=current))
            if not squares:
                continue
            target = float(step.visual.targets[i, o]) if i < len(step.visual.targets) else 0.0
            for j, (v, c) in enumerate(((value if computed else 0.0, theme.node), (target, theme.target))):
                # the area is the value: a side of the value made 0.47 look a quarter full
                side = side_max * np.sqrt(min(abs(np.nan_to_num(v, nan=vmax)), vmax) / vmax)
                cx = sq_x + ((2 * o + j) * (side_max + 4) + side_max / 2) / w
                half_w, half_h = side_max / 2 / w, side_max / 2 / h  # the frame of a value of 1
                frame = ((cx - half_w, yc - half_h), (cx + half_w, yc - half_h), (cx + half_w, yc + half_h),
                         (cx - half_w, yc + half_h), (cx - half_w, yc - half_h))  # fmt: skip
                out.lines.append(Polyline2D(frame, theme.muted, 1.0))
                if side > 0.5:
                    out.rects.append(Rect2D(cx - side / 2 / w, yc - side / 2 / h, cx + side / 2 / w,
                                            yc + side / 2 / h, c, 1.0))  # fmt: skip
        if current:
            out.rects.append(
                Rect2D(x0 - 0.006, yc - row_h / 2, x0 - 0.002, yc + row_h / 2, theme.accent, 1.0)
            )
    if keyed:  # which square is which, in the table's last row (reviews 71-73: explained only
        # in the study layout's legend): a grey one, "output", a green one, "target"
        y = y1 - (rows + 1) * row_h - row_h * 0.1
        yc, side = y - row_h * 0.4, 0.7 * size
        x, words = x0, (hud.t("table_key_output"), hud.t("table_key_target"))
        for colour, word in zip((theme.node, theme.target), words, strict=True):
            out.rects.append(Rect2D(x, yc - side / 2 / h, x + side / w, yc + side / 2 / h, colour, 1.0))
            x += side / w + 0.4 * char
            out.texts.append(Text2D(word, x, yc, size, theme.muted, valign="center"))
            x += _width_em(hud, word) * size / w + 1.5 * char
    if _hall_record_note(hud):
        # the hall's caption has no room for "(record 1 shown, the update sums all 4)" where
        # its formula takes three lines (reviews 55d, 56a, 56b: the hall was never told the
        # numbers are one record's): always here, under the table whose first row is marked
        top = bottom - 0.25 * size / h
        text = hud.t("record_note_table") + "\n" + hud.t("record_note_table_update", n=len(step.records))
        out.texts.append(Text2D(text, x0, top, size, theme.muted))


def _squares_keyed(hud: Hud) -> bool:
    """Whether the outputs table says which of its squares is which: in the lecture layout,
    where it draws them (the study layout's legend says it; the hall's type leaves the
    squares no room, and a row more would make its type smaller)."""
    return hud.timeline.screen == "lecture"


def _hall_record_note(hud: Hud) -> str:
    """The step's "(record 1 shown, the update sums all n)" note where the hall or the
    lecture writes it under its records table (that table is on screen and the step's
    gloss has the note): a grey sub-caption less (reviews 56a, 56b: "cut the text")."""
    note = hud.t("record_note", n=len(hud.step.records))
    regions = {"hall": hall_regions, "lecture": lecture_regions}.get(hud.timeline.screen)
    if regions is None or not hud.step.records or note not in hud.step.gloss:
        return ""
    return note if any(name == "outputs" for name, _ in regions(hud)) else ""


def _table_heads(
    hud: Hud, xs: tuple[float, float, float, float], widths: tuple[float, float], paired: bool, last: int
) -> list[tuple[float, str, tuple[float, float, float], str]]:
    """The outputs table's column names, in words where they fit ("input X", "output l2",
    "target y", as the Japanese table has them: two reviews found the English "X l2 y" and
    its squares unexplained), else shorter ("target"), else the code's names alone (the
    hall's type). ``paired``: each name once, centred over its number and its square
    together (three reviews read a name over the number and again over the square as two
    columns); else over the numbers and right-aligned over the targets."""
    theme = hud.theme
    (x0, x1, col_x, sq_x), (char, side) = xs, widths
    out_end, y_start = sq_x + side, sq_x + side + 4 / hud.width
    tries = [("records_x", "table_output", "records_y"), ("records_x_short", "table_output", "records_y"),
             ("records_x_short", "table_output", "records_y_mid"),
             ("records_x_short", "table_output_short", "records_y_short")]  # fmt: skip
    for keys in tries:
        x_head, out_head, y_head = (hud.t(key, k=last) for key in keys)
        x_end = x0 + columns(x_head) * char
        if paired:
            out_half, y_w = columns(out_head) * char / 2, columns(y_head) * char
            y_at = min((y_start + x1) / 2, x1 - y_w / 2)  # centred over its pair, within the table
            # centred over its pair, or as near as the target's name leaves room for
            out_at = min((col_x + out_end) / 2, y_at - y_w / 2 - char - out_half)
            if out_at - out_half >= x_end + char:
                return [(x0, x_head, theme.muted, "left"), (out_at, out_head, theme.node, "center"),
                        (y_at, y_head, theme.target, "center")]  # fmt: skip
        elif x_end + char <= col_x and col_x + (columns(out_head) + columns(y_head) + 1) * char <= x1:
            break
    return [(x0, x_head, theme.muted, "left"), (col_x, out_head, theme.node, "left"),
            (x1 - 0.004, y_head, theme.target, "right")]  # fmt: skip


@panel("code_line")
def code_line(hud: Hud, box: Box, out: Overlay) -> None:
    """The executing line of code, large and syntax coloured, on its highlight bar."""
    step, theme, timeline = hud.step, hud.theme, hud.timeline
    if not step.code_lines or step.card is not None:
        return
    x0, y0, x1, y1 = box
    lines = [timeline.code[i].strip() for i in step.code_lines]
    longest = max(lines, key=len)
    size = max(
        hud.min_size, min(round(hud.height * 0.04), int(hud.width * (x1 - x0) / (0.6 * (len(longest) + 2))))
    )
    size = min(size, int((y1 - y0) * hud.height / (1.3 * len(lines))))
    char_w = timeline.mono_advance_px(size) / hud.width
    line_h = size * 1.3 / hud.height
    colors = {"comment": theme.muted, "keyword": theme.keyword, "number": theme.number,
              "punct": theme.text, "name": theme.code}  # fmt: skip
    top = y0 + line_h * len(lines) + 0.01
    out.rects.append(Rect2D(x0 - 0.006, y0, x0 + (len(longest) + 2) * char_w, top + 0.008, theme.panel, 0.7))
    out.rects.append(Rect2D(x0 - 0.006, y0, x0 - 0.002, top + 0.008, theme.accent, 1.0))
    for i, line in enumerate(lines):
        y = top - i * line_h
        # (a proportional font cannot place tokens by column: one run; the mono one can)
        runs = [(0, line, "name")] if timeline.font and not timeline.mono_font else code_runs(line)
        for col, text, kind in runs:
            if kind == "punct" and not text.strip():
                continue
            out.texts.append(
                Text2D(text, x0 + (col + 1) * char_w, y, size, colors[kind], mono=True, bold=True)
            )


def _legend_lines(hud: Hud) -> list[tuple[str, tuple[float, float, float]]]:
    step, theme, lang = hud.step, hud.theme, hud.lang
    legend = [
        (message(lang, "legend_positive"), theme.positive),
        (message(lang, "legend_negative"), theme.negative),
        (message(lang, "legend_thickness"), theme.muted),
        (message(lang, "legend_size"), theme.muted),
    ]
    if hud.timeline.layout.n_records:
        legend.append((message(lang, "legend_squares"), theme.muted))
    if step.visual.satellite_signed or not np.all(np.isnan(step.visual.halos)):
        legend.append((message(lang, "legend_signs"), theme.muted))
    if step.visual.satellite_signed:
        legend.append((message(lang, "legend_beads_log"), theme.muted))
    elif not np.all(np.isnan(step.visual.satellites)):
        legend.append((message(lang, "legend_beads"), theme.muted))
    return legend


def _legend_step(hud: Hud) -> float:
    return round(hud.height * 0.02) * 1.35 / hud.height


def _legend_rows(hud: Hud, top: float, floor: float) -> list[tuple[str, tuple[float, float, float], float]]:
    """The legend's lines with their heights; in a small frame (a quarter of the split
    screen) the lines under ``floor`` give way from the last grey one, colours stay."""
    rows = []
    y = top
    for text, color in _legend_lines(hud):
        if y < floor and color == hud.theme.muted:
            break
        rows.append((text, color, y))
        y -= _legend_step(hud)
    return rows


def _legend_bottom(hud: Hud, top: float, floor: float) -> float:
    y = top
    for _ in _legend_rows(hud, top, floor):
        y -= _legend_step(hud)
    return y


@panel("legend")
def legend(hud: Hud, box: Box, out: Overlay) -> None:
    """What colour, thickness and size mean."""
    x0, y0, x1, y1 = box
    size = round(hud.height * 0.02)
    for text, color, y in _legend_rows(hud, y1, y0):
        out.texts.append(Text2D(text, x0, y, fit_size(text, size, hud.width * (x1 - x0)), color))


_TOKEN = re.compile(r"(#.*$)|(\b(?:for|in|range|print|def|return)\b)|(\b\d+(?:\.\d+)?\b)|([^#\w]+)|(\w+)")


def code_runs(line: str) -> list[tuple[int, str, str]]:
    """(column, text, kind) runs of one code line: comment, keyword, number, punct, name."""
    runs = []
    for m in _TOKEN.finditer(line):
        kind = ("comment", "keyword", "number", "punct", "name")[m.lastindex - 1]
        runs.append((m.start(), m.group(0), kind))
    return runs


@panel("code")
def code(hud: Hud, box: Box, out: Overlay) -> None:
    """The iamtrask-style code, syntax coloured, the executing line on a highlight bar."""
    step, theme, timeline, width, h = hud.step, hud.theme, hud.timeline, hud.width, hud.height
    x0, y0, x1, y1 = box
    listing = timeline.code
    if width * (x1 - x0) / text_width_em(max(listing, key=len) + "  ", timeline.mono_em) < MIN_CODE_PX:
        # too narrow for the whole listing at the smallest type: the comments go
        listing = tuple(re.sub(r"\s+#.*$", "", line) for line in listing)
    size = fit_size(max(listing, key=len) + "  ", round(h * 0.021), width * (x1 - x0), mono=timeline.mono_em)
    size = max(MIN_CODE_PX, min(size, int(y1 / len(listing) * h / 1.3)))
    line_h = size * 1.3 / h
    top = 0.02 + line_h * len(listing)
    code_w = (len(max(listing, key=len)) + 3) * timeline.mono_advance_px(size) / width
    out.rects.append(Rect2D(x0, y0, x0 + code_w, top + 0.01, theme.panel, 0.55))
    char_w = timeline.mono_advance_px(size) / width  # Noto Mono CJK 0.5 em
    colors = {"comment": theme.muted, "keyword": theme.keyword, "number": theme.number,
              "punct": theme.muted, "name": theme.code}  # fmt: skip
    for i, line in enumerate(listing):
        y = top - i * line_h
        active = i in step.code_lines
        if active:
            out.rects.append(Rect2D(x0, y - line_h * 0.98, x0 + (len(line) + 3) * char_w, y + 0.002,
                                    theme.accent, 0.22))  # fmt: skip
            out.texts.append(Text2D(">", x0 + 0.004, y, size, theme.accent, mono=True, bold=True))
        # a proportional font (a CJK font file) cannot place tokens by column: whole lines
        runs = [(0, line, "name")] if timeline.font and not timeline.mono_font else code_runs(line)
        for col, text, kind in runs:
            if kind == "punct" and not text.strip():
                continue
            color = theme.accent if active else colors[kind]
            out.texts.append(
                Text2D(text, x0 + 0.004 + (col + 2) * char_w, y, size, color, mono=True, bold=active)
            )


@panel("values")
def values(hud: Hud, box: Box, out: Overlay) -> None:
    """The step's matrices and checks, right-aligned in a monospaced block."""
    step, theme, width, h = hud.step, hud.theme, hud.width, hud.height
    if not step.panel:
        return
    x0, y0, x1, y1 = box
    right = x1 - 0.008
    mono = hud.timeline.mono_em
    lines = step.panel
    if hud.timeline.screen == "study":
        longest = max(lines, key=lambda s: text_width_em(s, mono))
        size = fit_size(longest, round(h * 0.022), width * (x1 - x0 - 0.013), mono=mono)
        # and it must stay under the network: at most the box's height
        size = max(8, min(size, int((y1 - 0.02) / len(lines) * h / 1.3)))
    else:  # readable type; rows that do not fit are cut (and say so), a block too wide
        # is left to the picture's own numbers (and to ``inspect``)
        size = hud.min_size
        fits = max(2, int((y1 - y0 - 0.012) * h / (size * 1.3)))
        lines = lines if len(lines) <= fits else (*lines[: fits - 1], "...")
        longest = max(lines, key=lambda s: text_width_em(s, mono))
        if text_width_em(longest, mono) * size > width * (x1 - x0):
            return
    ph = size * 1.3 / h
    top = y0 + 0.012 + ph * len(lines)
    pw = text_width_em(longest, mono) * size / width
    out.rects.append(Rect2D(right - pw - 0.01, y0, x1, top + 0.01, theme.panel, 0.55))
    for i, line in enumerate(lines):
        # the title in the panels' grey: magenta means what happens now (the node, the record)
        out.texts.append(Text2D(line, right, top - i * ph, size, theme.text if i else theme.muted,
                                mono=True, align="right"))  # fmt: skip


def _chart_titles(hud: Hud) -> tuple[str, str]:
    timeline, per = hud.timeline, "_epoch" if hud.timeline.n_batches > 1 else ""
    if timeline.accuracy is not None:
        first = hud.t("plot_accuracy")
    elif timeline.trajectory is not None:
        first = hud.t("plot_path")
    else:
        first = hud.t(f"plot_error{per}")
    if timeline.fit_curve is not None:
        second = hud.t("plot_fit")
    elif timeline.accuracy is not None:
        second = hud.t("plot_weights", k=0)
    elif timeline.bias_path is not None:
        second = hud.t("plot_bias")
    else:
        second = hud.t(f"plot_update{per}")
    return first, second


def _chart_style(hud: Hud, box: Box) -> ChartStyle:
    """One title size and line count for both charts, so that their plots line up."""
    size, lines = title_fit(_chart_titles(hud), box, hud.width, hud.height)
    return ChartStyle(hud.theme, hud.width, hud.height, size, lines)


def _axes(hud: Hud, y: str, x: str | None = None) -> Axes:
    """The chart's axis names; per iteration (or per epoch), with the shown ones ticked."""
    per = "epoch" if hud.timeline.n_batches > 1 else "iteration"
    return Axes(x or hud.t(f"axis_{per}"), hud.t(y), hud.t(f"axis_shown_{per}s"))


def _add(out: Overlay, drawn: tuple[list, list, list]) -> None:
    texts, rects, lines = drawn
    out.texts += texts
    out.rects += rects
    out.lines += lines


@panel("progress_chart")
def progress_chart(hud: Hud, box: Box, out: Overlay) -> None:
    """Training so far: the display error, the accuracies, or the weights' path (XOR)."""
    step, timeline, theme = hud.step, hud.timeline, hud.theme
    style, title = _chart_style(hud, box), _chart_titles(hud)[0]
    if timeline.accuracy is not None:
        train_acc, test_acc = timeline.accuracy
        series = [(train_acc, theme.text), (test_acc, theme.target)]
        drawn = lines_chart(box, series, step.display_error_epoch, title, _axes(hud, "axis_accuracy"), style)
    elif timeline.trajectory is not None:
        drawn = trajectory_chart(box, timeline.trajectory, step.epoch, title, style)
    else:
        epoch = step.display_error_epoch  # the last iteration whose error is on screen
        axes = _axes(hud, "axis_error")
        drawn = error_chart(box, timeline.display_errors, timeline, epoch, title, axes, style, False)
    _add(out, drawn)


@panel("detail_chart")
def detail_chart(hud: Hud, box: Box, out: Overlay) -> None:
    """The fit (function scenes), the current layer's weight statistics (digits), the
    output biases' path (XOR), or the largest weight change per iteration."""
    step, timeline, theme = hud.step, hud.timeline, hud.theme
    style, title = _chart_style(hud, box), _chart_titles(hud)[1]
    epoch = step.display_error_epoch
    if timeline.fit_curve is not None:
        axes = Axes(hud.t("axis_input"), hud.t("axis_output"))
        drawn = fit_chart(box, timeline.fit_curve, step.epoch, title, axes, style)
    elif timeline.accuracy is not None:
        # the weights that feed the step's layer (an update step names its matrix itself)
        if step.layer is None:
            k = 0
        elif step.kind in ("update", "init"):
            k = step.layer
        else:
            k = max(0, step.layer - 1)
        colours = (theme.negative, theme.text, theme.positive, theme.target)
        series = [(timeline.weight_stats[:, k, i], c) for i, c in enumerate(colours)]
        if timeline.bias_stats is not None:
            series += [(timeline.bias_stats[:, k, i], c) for i, c in enumerate(colours)]
        axes = _axes(hud, "axis_value")
        drawn = lines_chart(box, series, epoch, hud.t("plot_weights", k=k), axes, style)
    elif timeline.bias_path is not None:
        epochs = sorted(timeline.bias_path)
        b = np.array([timeline.bias_path[e] for e in epochs])
        at = sum(1 for e in epochs if step.epoch is not None and e <= step.epoch)
        colours = [theme.positive, theme.negative, theme.target, theme.accent]
        series = [(b[:, j], colours[j % len(colours)]) for j in range(b.shape[1])]
        axes = _axes(hud, "axis_value", hud.t("axis_iteration"))
        drawn = lines_chart(box, series, at, title, axes, style, last=str(epochs[-1]))
    else:  # nothing before it has happened: up to the last update on screen
        axes, epoch = _axes(hud, "axis_update"), last_update_shown(timeline, step)
        drawn = error_chart(box, timeline.update_sizes, timeline, epoch, title, axes, style, True)
    _add(out, drawn)


@panel("card")
def card(hud: Hud, box: Box, out: Overlay) -> None:
    """A big title in a band (study) or on a clean slide (hall, lecture)."""
    if hud.step.card is None:
        return
    title, subtitle = hud.step.card
    theme, width, h = hud.theme, hud.width, hud.height
    x0, y0, x1, y1 = box
    if hud.timeline.screen != "study":  # the whole frame: nothing half-drawn shows through
        out.rects.append(Rect2D(x0, y0, x1, y1, theme.background_bottom, 1.0))
        x0, y0, x1, y1 = 0.0, 0.40, 1.0, 0.66
    else:
        out.rects.append(Rect2D(x0, y0, x1, y1, theme.panel, 0.95))
    out.texts.append(Text2D(title, 0.5, y1 - 0.06, fit_size(title, round(h * 0.06), width * 0.92), theme.text,
                            bold=True, align="center"))  # fmt: skip
    if subtitle:
        if hud.timeline.screen == "study":
            size, text = fit_size(subtitle, round(h * 0.03), width * 0.92), subtitle
        else:  # never under the smallest type: a long subtitle takes two lines
            size = max(round(h * 0.03), hud.min_size)
            text = wrap(subtitle, size, width * 0.92)
        out.texts.append(Text2D(text, 0.5, y0 + 0.09, size, theme.muted, align="center", valign="center"))


# -- the backward pass and the update, seen ------------------------------------------------
def _slope_points(hud: Hud) -> list[tuple[float, int]]:
    """(activation, node) of every value of the delta step's layer whose slope the
    caption names: the sigmoid layers only."""
    step = hud.step
    if step.layer is None or step.kind != "delta":
        return []
    prefix = f"l{step.layer}[0,"  # the first record's: the picture's numbers are its
    return [
        (float(v), int(key.split(",")[1].rstrip("]")))
        for key, v in step.values.items()
        if key.startswith(prefix)
    ]


#: the sigmoid's z axis is marked here (0 is where its vertical axis stands)
SLOPE_TICKS = (-4.0, 4.0)
#: where the sigmoid is this far from its middle (|z|), its slope's number leaves the tangent
SATURATED_Z = 1.5


@panel("slope")
def slope(hud: Hud, box: Box, out: Overlay) -> None:
    """The sigmoid and its tangent at each value of the layer: the slope a*(1-a) is the
    factor the error is multiplied by, 0.25 at 0.5 and near 0 where the sigmoid is flat."""
    theme, w, h = hud.theme, hud.width, hud.height
    points = _slope_points(hud)
    if not points:
        return
    x0, y0, x1, y1 = box
    size = hud.min_size
    out.rects.append(Rect2D(x0 - 0.006, y0, x1, y1 + 0.008, theme.panel, 0.45))
    title = wrap(hud.t("slope_title"), size, (x1 - x0) * w)  # the hall's type needs two lines
    out.texts.append(Text2D(title, x0, y1, size, theme.muted))
    lines = title.count("\n") + 1
    if len(points) > 1:  # tangents too close to tell apart: their range, under the title
        slopes = [min(max(a, 0.0), 1.0) * (1 - min(max(a, 0.0), 1.0)) for a, _ in points]
        text = hud.t("slope_range", a=fmt_sig(min(slopes)), b=fmt_sig(max(slopes)))
        out.texts.append(Text2D(text, x0, y1 - lines * size * 1.2 / h, size, theme.slope))
        lines += 1
    gx0, gx1 = x0 + 0.02, x1 - 0.015
    gy0, gy1 = y0 + 0.05, y1 - size * (0.4 + 1.2 * lines) / h
    zmax = 6.0

    def at(z: float, a: float) -> tuple[float, float]:
        return gx0 + (gx1 - gx0) * (z + zmax) / (2 * zmax), gy0 + (gy1 - gy0) * a

    zs = np.linspace(-zmax, zmax, 61)
    out.lines.append(Polyline2D((at(-zmax, 0), at(zmax, 0)), theme.muted, 1.0))
    out.lines.append(Polyline2D((at(0, 0), at(0, 1)), theme.muted, 1.0))
    out.lines.append(
        Polyline2D(tuple(at(float(z), float(1 / (1 + np.exp(-z)))) for z in zs), theme.text, 2.0)
    )
    out.texts.append(Text2D("1", gx0 - 0.004, at(0, 1)[1], size, theme.muted, align="right", valign="center"))
    out.texts.append(Text2D("0", gx0 - 0.004, gy0, size, theme.muted, align="right", valign="center"))
    for a, _ in points:
        a = min(max(a, 1e-6), 1 - 1e-6)
        z = float(np.log(a / (1 - a)))
        if abs(z) > zmax:
            z = float(np.sign(z) * zmax)
        s = a * (1 - a)
        px, py = at(z, a)
        # the tangent over +-1.4 in z; +-0.7 where a layer's several share the curve (their
        # ends crossed each other as hooks: review 47a)
        dz = 1.4 if len(points) == 1 else 0.7
        ends = (at(z - dz, a - s * dz), at(z + dz, a + s * dz))
        out.lines.append(Polyline2D(ends, theme.slope, 4.0))  # over the curve, where flat too
        out.rects.append(Rect2D(px - 4 / w, py - 4 / h, px + 4 / w, py + 4 / h, theme.slope, 1.0))
        # the number belongs to the tangent, not to the point (whose height is the value):
        # written beyond the tangent's upper end, and named; where the sigmoid is flat there
        # (a saturated value) the number would lie on the curve: in the corner the curve
        # leaves empty, over its low half or under its high half
        tx, ty = ends[1]
        if len(points) == 1 and abs(z) > SATURATED_Z:
            text = hud.t("slope_label", s=fmt_sig(s))
            x, align = (gx0 + 0.01, "left") if z < 0 else (gx1, "right")
            y = at(0, 0.8 if z < 0 else 0.2)[1]
            out.texts.append(Text2D(text, x, y, size, theme.slope, align=align, valign="center"))
            # and a leader down (up) to its point: a review read the number, over the
            # sigmoid's steep middle, as the slope there; dotted, so that it is not read as
            # a tangent (review 49b read a solid one as a vertical, infinitely steep, one)
            half = (0.6 * size / h + LEADER_GAP / h) * (-1 if z < 0 else 1)
            start = (min(max(px, gx0 + 0.02), gx1 - 0.02), y + half)
            out.lines += _dotted(start, (px, py - np.sign(half) * 8 / h), LEADER_DOT / h, theme.slope)
        elif len(points) == 1:
            text = hud.t("slope_label", s=fmt_sig(s))
            right = tx + text_width_em(text) * size / w < gx1 + 0.01
            x = tx + 0.006 if right else tx - 0.012
            out.texts.append(Text2D(text, x, ty + (0.006 if right else 0.0), size, theme.slope,
                                    align="left" if right else "right",
                                    valign="bottom" if right else "center"))  # fmt: skip
    out.texts.append(Text2D(hud.t("slope_axis"), gx1, gy0 - 0.008, size, theme.muted, align="right"))
    for z in SLOPE_TICKS:  # the z axis's scale (a review: no ticks, the slope's angle unexplained)
        x, _ = at(z, 0.0)
        out.lines.append(Polyline2D(((x, gy0 - 0.008), (x, gy0)), theme.muted, 1.0))
        out.texts.append(Text2D(f"{z:g}", x, gy0 - 0.008, size, theme.muted, align="center"))


LEADER_GAP = 4.0  # pixels between a slope's number and the leader to its point
LEADER_DOT = 4.0  # pixels: the leader's dashes, and the gaps between them


def _dotted(a: tuple[float, float], b: tuple[float, float], dash: float, colour) -> list[Polyline2D]:
    """A vertical dotted line from ``a`` to ``b`` (screen 0..1): dashes ``dash`` long, as far
    apart, the last ending at ``b``."""
    (x, y0), (_, y1) = a, b
    n = max(1, int(abs(y1 - y0) / (2 * dash)))
    step = (y1 - y0) / n
    return [Polyline2D(((x, y1 - (i + 0.5) * step), (x, y1 - i * step)), colour, 2.0) for i in range(n)]


@panel("changes")
def changes(hud: Hud, box: Box, out: Overlay) -> None:
    """The update's change matrix, laid out like the weights (rows: from, columns: to),
    each cell as light as the change is large, on one scale for the whole video, its sign
    written: grey, not blue and orange, which on the weights beside it are the weights'
    signs (reviews 41b, 42a, 42b: the x3 -> h1 weight orange beside its change's blue cell)."""
    step, theme, w, h = hud.step, hud.theme, hud.width, hud.height
    change = step.change
    if change is None:
        return
    x0, y0, x1, y1 = box
    size = hud.min_size
    k = step.layer
    m = np.asarray(change)

    names = change_names(hud)

    def grid(m: np.ndarray, key: str, rows_named: list[str]) -> tuple[str, float, float, float, float, bool]:
        """The title, where the cells start (below the column names, right of the row
        names), their size, and whether numbers fit in them."""
        rows, cols = m.shape
        title = wrap(hud.t(key, k=k), size, w * (x1 - x0))  # two lines if need be
        top = y1 - size * (title.count("\n") * LINE + 1.5 + LINE) / h
        left = x0 + names_width(rows_named, size, w)
        cell_w = (x1 - left - 0.004) / cols
        cell_h = min((top - y0 - 0.01) / rows, size * 1.5 / h)
        widest = max(len(cell(float(v))) for v in m.ravel()) + 0.5
        fits = cell_w * w >= widest * 0.6 * size and cell_h * h >= size * 1.15
        return title, top, left, cell_w, cell_h, fits

    # fixed decimals, as the values panel's change matrix: sizes compare down a column
    decimals = matrix_decimals(m)

    def cell(v: float) -> str:
        return fmt(v, decimals, sign=True)

    title, top, left, cell_w, cell_h, numbers = grid(m, "changes_title", names[0])
    if not numbers and grid(m.T, "changes_title_t", names[1])[5]:  # 3x4 lies as 4x3: room for every number
        m, names = m.T, names[::-1]
        title, top, left, cell_w, cell_h, numbers = grid(m, "changes_title_t", names[0])
    rows, cols = m.shape
    out.rects.append(Rect2D(x0 - 0.006, y0, x1, y1 + 0.008, theme.panel, 0.45))
    out.texts.append(Text2D(title, x0, y1, size, theme.muted))
    name_cells(hud, names, (x0, left, top), (cell_w, cell_h), size, out)
    scale = step.change_scale or float(np.max(np.abs(m))) or 1.0
    bg = np.array(theme.panel)
    ink = bg + (np.array(theme.muted) - bg) * CELL_INK  # (its numbers in the text colour over it)
    for i in range(rows):
        for j in range(cols):
            v = float(m[i, j])
            strength = min(1.0, abs(v) / scale) if np.isfinite(v) else 1.0
            # a floor at which a small change still reads as a cell, not as an empty one
            colour = tuple(bg + (ink - bg) * (CELL_FLOOR + (1 - CELL_FLOOR) * strength))
            cx0, cy1 = left + j * cell_w, top - i * cell_h
            out.rects.append(
                Rect2D(cx0 + 0.002, cy1 - cell_h + 0.003, cx0 + cell_w - 0.002, cy1, colour, 1.0)
            )
            if numbers:
                text = cell(v)
                out.texts.append(Text2D(text, cx0 + cell_w / 2, cy1 - cell_h / 2, size, theme.text,
                                        mono=True, align="center", valign="center"))  # fmt: skip


#: a change grid's weakest cell (a share of the way from the panel to its ink), the strongest
#: being 1; its ink, a share of the way from the panel to the muted grey: the numbers, in the
#: text colour, keep 4.5:1 over the lightest cell
CELL_FLOOR, CELL_INK = 0.32, 0.5


def change_names(hud: Hud) -> tuple[list[str], list[str]]:
    """The names of a change matrix's rows (the weights' starts) and columns (their ends),
    as the spheres are named: "row = l1" asked a lecturer to count."""
    lay, k = hud.timeline.layout, hud.step.layer
    return [lay.node_name(k, i) for i in range(lay.layers[k])], [
        lay.node_name(k + 1, j) for j in range(lay.layers[k + 1])
    ]


def name_cells(
    hud: Hud,
    names: tuple[list[str], list[str]],
    at: tuple[float, float, float],
    cell: tuple[float, float],
    size: int,
    out: Overlay,
) -> None:
    """Row names from ``x0`` left of the cells (which start at ``left``), column names over
    them (the cells' top at ``top``)."""
    x0, left, top = at
    muted = hud.theme.muted
    for j, name in enumerate(names[1]):
        out.texts.append(
            Text2D(
                name, left + (j + 0.5) * cell[0], top + 0.004, size, muted, align="center", valign="bottom"
            )
        )
    for i, name in enumerate(names[0]):
        out.texts.append(Text2D(name, x0, top - (i + 0.5) * cell[1], size, muted, valign="center"))


def names_width(names: list[str], size: int, width: int) -> float:
    """The room, in frame widths, that row names take left of their cells."""
    return max(text_width_em(n) for n in names) * size / width + 0.012


@panel("bars")
def bars(hud: Hud, box: Box, out: Overlay) -> None:
    """One number per record as a signed bar from a zero line (right and blue for +, left
    and orange for -) and, under a rule, the row they make together on the same scale: the
    worked change's nudges that add up (records that pull against each other cancel), the
    errors whose sizes average into the display error. A tall box stacks each row's words
    over its bar; a short one puts them on one line."""
    if hud.step.bars is not None:
        _draw_bars(hud, box, out, hud.step.bars)


@panel("change_history")
def change_history(hud: Hud, box: Box, out: Overlay) -> None:
    """During an update: the largest change of this weight matrix at every shown iteration
    so far, on one linear scale -- iteration 2000's is a sliver beside iteration 1's, the
    shrinking seen without reading a number. A row comes with its iteration (two reviews
    read the later iterations' rows, named and empty, as iterations already run)."""
    step = hud.step
    updates = _updates(hud)
    if not updates or len(updates) > MAX_HISTORY:
        return
    done = _updates_so_far(hud)
    values = tuple(float(np.max(np.abs(s.change))) for s in done)
    # a gap in the iterations shown is marked: "... 1998" after 3
    names = tuple(
        ("... " if i and s.epoch is not None and s.epoch > (done[i - 1].epoch or 0) + 1 else "")
        + str(s.epoch)
        for i, s in enumerate(done)
    )
    chart = RecordBars(hud.t("bars_history", k=step.layer), names, values, total=False)
    _draw_bars(hud, box, out, chart)


#: more shown updates than this: no history (too many rows for the column; the change
#: matrix and the caption still give this update's size)
MAX_HISTORY = 8


def _updates(hud: Hud) -> list[Step]:
    """The video's updates of ``hud.step``'s weight matrix (and batch)."""
    step = hud.step
    return [
        s
        for s in hud.timeline.steps
        if s.kind == "update" and s.layer == step.layer and s.change is not None and s.batch == step.batch
    ]


def _updates_so_far(hud: Hud) -> list[Step]:
    """Those played by ``hud.step``: a history of one bar says nothing (two reviews), so the
    first update's change matrix takes the whole column."""
    return [s for s in _updates(hud) if s.index <= hud.step.index]


def _draw_bars(hud: Hud, box: Box, out: Overlay, chart: RecordBars) -> None:
    """Signed bars from a zero line (in the middle; at the left when none is negative)."""
    theme, w, h = hud.theme, hud.width, hud.height
    x0, y0, x1, y1 = box
    size = hud.min_size
    text_h = size * LINE / h
    out.rects.append(Rect2D(x0 - 0.006, y0, x1 + 0.006, y1 + 0.008, theme.panel, 0.45))
    n = len(chart.values)
    zeros = chart.zero_note and any(v == 0 for v in chart.values[: n - 1 if chart.total else n])
    title = wrap(chart.title + (chart.zero_note if zeros else ""), size, w * (x1 - x0))  # why a 0
    out.texts.append(Text2D(title, x0, y1, size, theme.muted))
    top = y1 - (title.count("\n") + 1) * text_h - 0.01
    known = chart.values
    scale = chart.scale or max((abs(v) for v in known if np.isfinite(v)), default=0.0) or 1.0
    signed = min(known) < 0  # all positive: no "+" to read, the zero line at the left
    number = fmt_signed if signed else fmt_sig
    digits = 3
    if chart.total and not chart.size_total:  # a sum a student can check
        digits, _ = closing_digits(list(known[:-1]), number, sum, number(known[-1]), number)
    numbers_w = max(text_width_em(fmt_signed(v, digits)) for v in known) * size / w + 0.01

    def bar_room(names: tuple[str, ...]) -> float:  # left for the bars on a one-line row
        return x1 - x0 - numbers_w - (max(text_width_em(t) for t in names) * size / w + 0.01)

    names = chart.names
    if chart.short and bar_room(names) <= 0.10:  # "1".."4" under a title that says records
        names = chart.short
    names_w = x1 - x0 - numbers_w - bar_room(names)
    # one line (name | bar | number) where the box is too short to stack and wide enough
    stacked = (top - y0 - 0.01) / (n + 0.3) >= text_h * 2.0 or bar_room(names) <= 0.05
    if stacked:
        row = min((top - y0 - 0.01) / (n + 0.3), text_h * 2.2)
        bar_h = max(0.012, min(row - text_h * 1.2, text_h * 0.8))  # clear of the next row's words
        left, right = x0, x1
    else:
        row = min((top - y0 - 0.01) / (n + 0.3), text_h * 1.25)
        bar_h = row * 0.6
        left, right = x0 + names_w, x1 - numbers_w
    if signed:
        centre, half = (left + right) / 2, (right - left) / 2 - 0.004
    else:  # the whole width from the left
        centre, half = left + 0.004, right - left - 0.008
    bottom = top
    for r, (name, v) in enumerate(zip(names, chart.values, strict=True)):
        last = r == n - 1 and chart.total
        y = top - (r + (0.3 if last else 0.0)) * row  # the top of the row
        colour = theme.text if last else theme.muted
        size_only = last and chart.size_total  # a mean of sizes: no sign to write or colour
        shown = fmt_sig(v) if size_only else number(v, 3 if last else digits)
        if stacked:
            out.texts.append(Text2D(name, x0, y, size, colour, bold=last))
            number_at = (y, "top")
            bar_mid = y - text_h - bar_h / 2
        else:
            bar_mid = y - row / 2
            out.texts.append(Text2D(name, x0, bar_mid, size, colour, bold=last, valign="center"))
            number_at = (bar_mid, "center")
        # its name at once, its bar and number with the caption's part that says them
        written = hud.shown is None or hud.shown >= chart.appear[1 if last else 0]
        if written:
            out.texts.append(Text2D(shown, x1, number_at[0], size, theme.text, bold=last, align="right",
                                    valign=number_at[1]))  # fmt: skip
        length = half * min(1.0, abs(v) / scale) if np.isfinite(v) else half
        a, b = (centre, centre + length) if v >= 0 else (centre - length, centre)
        # blue and orange say a sign; sizes that have none (a largest |change|) are neutral
        fill = theme.muted if not signed or size_only else theme.positive if v >= 0 else theme.negative
        if v != 0 and written:  # a 0 (an input of 0) has no bar: a sliver would read as a sign
            lo, hi = bar_mid - bar_h / 2, bar_mid + bar_h / 2
            out.rects.append(Rect2D(a, lo, max(b, a + 0.002), hi, fill, 1.0))
        bottom = bar_mid - bar_h / 2
        if r == n - 2 and chart.total:  # the rule above the row they make together
            rule = (bottom + top - (r + 1.3) * row) / 2 if not stacked else bottom - 0.15 * row
            out.lines.append(Polyline2D(((x0, rule), (x1, rule)), theme.muted, 1.5))
    # the zero line through every bar
    upper = top - (text_h if stacked else 0) + 0.005
    out.lines.append(Polyline2D(((centre, bottom - 0.005), (centre, upper)), theme.text, 1.5))


@panel("loss_curve")
def loss_curve(hud: Hud, box: Box, out: Overlay) -> None:
    """The loss as the worked weight varies (the others held), the point where it is, the
    tangent there (its slope is the gradient) and its step downhill: the update moves the
    weight by -rate x slope, the way the loss falls (magnified as every change is drawn)."""
    curve, theme, w, h = hud.step.loss_curve, hud.theme, hud.width, hud.height
    if curve is None or not np.all(np.isfinite(curve.loss)):
        return
    x0, y0, x1, y1 = box
    size = hud.min_size
    big = hud.step.kind == "descent"  # the shot of its own: its caption says the two numbers
    out.rects.append(Rect2D(x0 - 0.006, y0, x1 + 0.006, y1 + 0.008, theme.panel, 0.45))
    # the shot of its own says the others are held (two reviews: nothing said this was one
    # weight's slice); the small plot beside the worked sum keeps its room for the curve
    key = "curve_title_held" if big else "curve_title"
    title = wrap(hud.t(key, name=curve.name, loss=curve.loss_name), size, w * (x1 - x0))
    out.texts.append(Text2D(title, x0, y1, size, theme.muted))
    way = 1.0 if curve.change > 0 else -1.0
    colour = theme.positive if curve.change > 0 else theme.negative
    step_y = y1 - title.count("\n") * size * LINE / h
    if not big:  # under the title, the two numbers: the tangent's slope and the step downhill
        line_y = step_y - size * LINE / h
        slope_text = hud.t("curve_slope", s=fmt_signed(curve.slope))
        out.texts.append(Text2D(slope_text, x0, line_y, size, theme.gradient))
        step_y = line_y - size * LINE / h
        # change = -gradient (a rate of 1 unwritten, as the descent's caption: the panel's
        # width held "-1 x slope" but not "-1 x gradient"), change = -0.5 x gradient
        step_text = hud.t("curve_step", r=rate_times(curve.rate), c=fmt_signed(curve.change))
        out.texts.append(Text2D(step_text, x0, step_y, size, colour))
    gx0, gx1 = x0 + 0.01, x1 - 0.01
    if big:  # room left of the plot for its loss axis's numbers
        gx0 += text_width_em(fmt(curve.loss0, 4)) * size / w + 0.015
    gy0, gy1 = y0 + size * 1.5 / h, step_y - size * LINE / h - 0.01
    seen = np.ones(len(curve.w), bool)
    if big:  # from beyond the bowl's bottom to a little past the weight: the step shows, and the fall
        bottom = float(curve.w[int(np.argmin(curve.loss))])
        reach = max(abs(curve.w0 - bottom), abs(curve.change * curve.magnify)) * 0.6
        seen = (curve.w >= min(bottom, curve.w0) - reach) & (curve.w <= max(bottom, curve.w0) + reach)
    lo, hi = float(curve.loss[seen].min()), float(curve.loss[seen].max())
    pad = (hi - lo) * 0.12 or 0.1
    lo, hi = lo - pad, hi + pad
    wl, wh = float(curve.w[seen][0]), float(curve.w[seen][-1])

    def at(wv: float, e: float) -> tuple[float, float]:
        return gx0 + (gx1 - gx0) * (wv - wl) / (wh - wl), gy0 + (gy1 - gy0) * (e - lo) / (hi - lo)

    stroke = 2.0 if big else 1.0  # the shot of its own: lines for the back rows
    out.lines.append(Polyline2D((at(wl, lo), at(wh, lo)), theme.muted, stroke))
    points = tuple(at(float(a), float(e)) for a, e in zip(curve.w[seen], curve.loss[seen], strict=True))
    out.lines.append(Polyline2D(points, theme.text, 2.0 * stroke))
    px, py = at(curve.w0, curve.loss0)
    dw = (wh - wl) * 0.18  # the tangent over +-18% of the span
    ends = tuple(at(curve.w0 + t, curve.loss0 + curve.slope * t) for t in (-dw, dw))
    out.lines.append(Polyline2D(ends, theme.gradient, 3.0 * stroke))
    # downhill: the weight's step on the curve, to scale (drawn as the video draws every
    # change, magnified), from where it is (grey) to where the update puts it (the change's
    # colour); the descent rolls it there during its tween
    after = min(max(curve.w0 + curve.change * curve.magnify, wl), wh)
    rolled = 1.0 if hud.progress is None else min(1.0, max(0.0, hud.progress))
    now = curve.w0 + (after - curve.w0) * rolled
    qx, qy = at(now, float(np.interp(now, curve.w, curve.loss)))
    if big and now != curve.w0:  # the way travelled, along the curve
        path = np.linspace(curve.w0, now, 24)
        trail = tuple(at(float(a), float(np.interp(a, curve.w, curve.loss))) for a in path)
        out.lines.append(Polyline2D(trail, colour, 8.0))
    if big:  # a ball rolling down the curve from where the weight was (a grey one stays there)
        out.rects += disc(px, py, 7.0 * h / 720, w, h, theme.muted)
        out.rects += disc(qx, qy, 15.0 * h / 720, w, h, colour)
        # the tangent's slope named where it leaves the point, over the bowl's open side
        # (the caption's number: the gradient is this slope)
        tangent = hud.t("curve_tangent", s=fmt_signed(curve.slope))
        wide = text_width_em(tangent) * size / w
        left = px - 0.012 - wide if curve.slope > 0 else px + 0.012
        left = min(max(left, gx0 + 0.01), x1 - 0.005 - wide)  # clear of the loss axis, in the panel
        out.texts.append(Text2D(tangent, left, py + 0.07, size, theme.gradient, valign="bottom"))
    else:
        dot = 6 * stroke
        out.rects.append(Rect2D(px - 5 / w, py - 5 / h, px + 5 / w, py + 5 / h, theme.muted, 1.0))
        out.rects.append(Rect2D(qx - dot / w, qy - dot / h, qx + dot / w, qy + dot / h, colour, 1.0))
    ay = min(py, qy) - size * 0.8 / h
    if not big:  # the small plot: the step as an arrow under the curve (the big one rolls along it)
        head = 0.008 * stroke
        ax1 = qx if abs(qx - px) > 2 * head else px + way * 2 * head  # a head's room at least
        out.lines.append(Polyline2D(((px, ay), (ax1, ay)), colour, 4.0 * stroke))
        hx, hy = ax1 - way * head, head * w / h
        out.lines.append(Polyline2D(((hx, ay + hy), (ax1, ay), (hx, ay - hy)), colour, 4.0 * stroke))
    else:  # the ball is where the step lands: the way travelled needs no head
        ax1 = qx
    # "change x20" by the step, as the update's caption says it (a bare "20x" read as a third
    # magnification beside the changes' and the arrows', review 72a); the big plot's once its
    # ball has rolled (before, it stood under the gradient's name)
    label = hud.t("curve_magnified", m=f"{curve.magnify:g}")
    if curve.magnify != 1 and not big:
        out.texts.append(Text2D(label, (px + ax1) / 2, ay - 0.012, size, colour, align="center"))
    elif curve.magnify != 1 and abs(qx - px) >= 0.01:  # over the ball, on the bowl's side away
        # from its tangent and its way (under it, the words ran into the weight axis's)
        align, tx = ("right", qx - 0.004) if curve.change < 0 else ("left", qx + 0.004)
        out.texts.append(Text2D(label, tx, qy + 0.012, size, colour, align=align, valign="bottom"))
    if big:  # a loss axis with the loss where the weight is and at the bowl's bottom: a dip
        # of 0.0009 drawn across the plot's height is not a deep bowl, and says so; and a
        # weight axis with the weight where it is and at the bottom
        bottom_w, bottom_loss = curve.bottom
        bottom = (bottom_w, bottom_loss) if wl <= bottom_w <= wh else (float("nan"), float("nan"))
        out.lines.append(Polyline2D((at(wl, lo), at(wl, hi)), theme.muted, stroke))
        # the axis does not start at 0: a break across it, and said in words (a dip of
        # 0.0009 read as a deep bowl, two reviews)
        bx, by = at(wl, lo)
        cut, rise = 0.008, 0.008 * w / h
        for dy in (0.012, 0.024):
            out.lines.append(Polyline2D(((bx - cut, by + dy - rise / 2), (bx + cut, by + dy + rise / 2)),
                                        theme.muted, stroke))  # fmt: skip
        tx, ty = at(wl, hi)
        out.texts.append(Text2D(hud.t("curve_zoomed"), tx + 0.01, ty, size, theme.muted, valign="top"))
        for value, loss in ((curve.w0, curve.loss0), bottom):
            if not np.isfinite(value):
                continue
            x, y = at(value, loss)
            out.lines.append(Polyline2D(((gx0 - 0.006, y), (gx0, y)), theme.muted, stroke))
            out.texts.append(
                Text2D(fmt(loss, 4), gx0 - 0.01, y, size, theme.muted, align="right", valign="center")
            )
            out.lines.append(Polyline2D(((x, gy0), (x, gy0 - 0.008)), theme.muted, stroke))
            out.texts.append(Text2D(fmt_sig(value), x, gy0 - 0.01, size, theme.muted, align="center"))
    # the axis's name at its right end: over it where the weight axis has numbers under it
    axis_y = gy0 + size * 1.1 / h if big else gy0 - 0.006
    out.texts.append(Text2D(hud.t("curve_axis"), gx1, axis_y, size, theme.muted, align="right"))


#: the landscape's bands: as many, each holding as much of the map (quantiles: the valley's
#: gentle floor gets lines too, not only the steep walls)
MAP_BANDS = 9
#: the bands' shades, from the lowest loss to the highest: a mix of the background and the
#: muted text colour, so the map reads in either theme (its key says which end is low)
MAP_SHADES = (0.10, 0.62)


#: the least room, in lines, the landscape's key of shades keeps under the words beside it
MAP_KEY_LINES = 1.4


def _band_edges(loss: np.ndarray) -> np.ndarray:
    """The loss map's bands' edges, its lowest and highest values among them: quantiles."""
    return np.quantile(loss[np.isfinite(loss)], np.linspace(0, 1, MAP_BANDS + 1))


def map_levels(loss: np.ndarray, through: float) -> np.ndarray:
    """The contour levels of a loss map: the bands' inner edges, and the loss at the point,
    whose contour the gradient stands at right angles to (drawn dashed). A band's edge
    within CONTOUR_CLEAR of the point's band's width from the point's loss is left out: its
    solid line ran along the dashed one, which then read as solid (reviews 76a, 77a, 77b)."""
    edges = _band_edges(loss)[1:-1]
    i = int(np.searchsorted(edges, through))
    if 0 < i < len(edges):  # the band the point lies in: its width, in loss
        spacing = float(edges[i] - edges[i - 1])
        edges = edges[np.abs(edges - through) > CONTOUR_CLEAR * spacing]
    return np.unique(np.append(edges, through))


#: the contour lines' width and the dashed one's, pixels (1.5 px were lost on a projector
#: from the back of a hall, reviews 41a and 41b)
CONTOUR_STROKE, DASHED_STROKE = 2.5, 4.0
#: how close (a share of the point's band's width in loss) a band's edge may come to the
#: point's own contour and still be drawn
CONTOUR_CLEAR = 0.5


def _map_shade(theme: Theme, t: np.ndarray) -> np.ndarray:
    """A band's colour, ``t`` from 0 (lowest loss) to 1."""
    low, high = MAP_SHADES
    mix = (low + (high - low) * np.asarray(t, float))[..., None]
    return (1 - mix) * np.array(theme.background_bottom) + mix * np.array(theme.muted)


def _map_points(m, square: Box, points) -> np.ndarray:
    """Where weights (rows of the two, across and up) stand on the landscape's square
    (screen 0..1): its samples at its cells' middles, one scale both ways."""
    x0, y0, x1, y1 = square
    n = len(m.wx)
    p = np.asarray(points, dtype=float).reshape(-1, 2)
    fx = (p[:, 0] - m.wx[0]) / (m.wx[-1] - m.wx[0])
    fy = (p[:, 1] - m.wy[0]) / (m.wy[-1] - m.wy[0])
    return np.stack(
        [x0 + (x1 - x0) * (0.5 + fx * (n - 1)) / n, y0 + (y1 - y0) * (0.5 + fy * (n - 1)) / n], axis=1
    )


def _map_cells(hud: Hud, square: Box) -> tuple[list[Rect2D], list[Polyline2D]]:
    """The landscape's still part: its bands as cells and its contour lines (once per shot
    and frame size, not per frame: the path walks over it), kept on the timeline as its
    overlays are (frames._step_overlay)."""
    m, theme = hud.step.loss_map, hud.theme
    cache = hud.timeline.__dict__.setdefault("_map_cells", {})
    key = (hud.step.index, theme.name, hud.width, hud.height, square)
    if key in cache:
        return cache[key]
    import contourpy

    rects = _band_rects(m, square, theme, (square[2] - square[0]) * hud.width)

    place = _lowest_place(hud, square)
    keep_off = None if place is None else place[2]

    def at(piece: np.ndarray) -> list[tuple[tuple[float, float], ...]]:
        """A contour on screen, in the runs of it outside the lowest point's name."""
        points = _map_points(m, square, piece)
        if keep_off is None:
            return [tuple(map(tuple, points.tolist()))]
        bx0, by0, bx1, by1 = keep_off
        inside = (points[:, 0] > bx0) & (points[:, 0] < bx1) & (points[:, 1] > by0) & (points[:, 1] < by1)
        runs = np.split(np.arange(len(points)), np.flatnonzero(np.diff(inside.astype(int))) + 1)
        return [tuple(map(tuple, points[run].tolist())) for run in runs if not inside[run[0]]]

    contours = contourpy.contour_generator(m.wx, m.wy, m.loss)
    lines = []
    for level in map_levels(m.loss, m.loss0):
        for whole in contours.lines(float(level)):
            for piece in at(whole) if len(whole) > 1 else []:
                if len(piece) < 2:
                    continue
                if level == m.loss0:  # the point's own contour: thicker, dashed (solid, it read as
                    lines += _dashed(piece, theme.muted, DASHED_STROKE, hud.width, hud.height)  # a path, 69a)
                else:
                    lines.append(Polyline2D(piece, theme.muted, CONTOUR_STROKE))
    if len(cache) > 4:
        cache.clear()
    cache[key] = (rects, lines)
    return rects, lines


def _band_rects(m, square: Box, theme: Theme, side_px: float) -> list[Rect2D]:
    """The landscape's bands on its square, in cells of at most MAP_CELL_PX (the loss
    between its samples as it runs, bilinear: at a sample a cell, 6 px at 720p, the bands'
    edges were stairs that read as the contours' own, review 34), each row's run of one band
    one rectangle (a few thousand, not a cell each: they are drawn at every frame)."""
    x0, y0, x1, y1 = square
    n = len(m.wx)
    fine = max(n, math.ceil(side_px / MAP_CELL_PX))
    # the fine cells' middles, in samples (a sample stands at its cell's middle)
    loss = _bilinear(np.asarray(m.loss, float), np.clip((np.arange(fine) + 0.5) / fine * n - 0.5, 0, n - 1))
    band = np.clip(np.searchsorted(_band_edges(m.loss), loss, side="right") - 1, 0, MAP_BANDS - 1)
    shades = [tuple(c) for c in _map_shade(theme, np.arange(MAP_BANDS) / (MAP_BANDS - 1)).tolist()]
    cx, cy = (x1 - x0) / fine, (y1 - y0) / fine
    iy, a, b, first = _runs(band)  # band[iy, ix]: a row's runs along it
    return list(
        map(
            Rect2D,
            (x0 + a * cx).tolist(),
            (y0 + iy * cy).tolist(),
            (x0 + b * cx).tolist(),
            (y0 + (iy + 1) * cy).tolist(),
            [shades[k] for k in band.ravel()[first].tolist()],
            itertools.repeat(1.0),
        )
    )


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each line of a grid of ``keys`` (its first axis; a key may be a row of values, a
    colour) cut into its runs of one key along its second axis: each run's line, start,
    end, and its first cell's index in the grid flattened over those two axes. A map drawn
    a run a rectangle has the pixels of a cell a rectangle, in a fraction of them."""
    lines, cells = keys.shape[:2]
    same = keys[:, 1:] == keys[:, :-1]
    starts = np.ones((lines, cells), bool)
    starts[:, 1:] = ~(same.all(axis=2) if same.ndim == 3 else same)
    first = np.flatnonzero(starts)
    after = np.append(first[1:], lines * cells)  # (each line starts a run: a run ends in its line)
    line, start = np.divmod(first, cells)
    return line, start, start + (after - first), first


def _bilinear(m: np.ndarray, at: np.ndarray) -> np.ndarray:
    """A square map of samples read between them (bilinear) at ``at`` along both of its
    axes, in samples (0 the first, ``len(m) - 1`` the last)."""
    was = np.arange(len(m))
    rows = np.array([np.interp(at, was, row) for row in m])
    return np.array([np.interp(at, was, col) for col in rows.T]).T


def _dashed(points, colour, stroke: float, w: int, h: int, dash: float = 9.0) -> list[Polyline2D]:
    """A polyline (screen 0..1) as dashes ``dash`` pixels long, as far apart."""
    pixels = np.asarray(points) * (w, h)
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pixels, axis=0).T))])
    out = []
    for start in np.arange(0.0, along[-1], 2 * dash):
        marks = np.linspace(start, min(start + dash, along[-1]), 4)
        xs = np.interp(marks, along, pixels[:, 0]) / w
        ys = np.interp(marks, along, pixels[:, 1]) / h
        out.append(Polyline2D(tuple(zip(xs.tolist(), ys.tolist(), strict=True)), colour, stroke))
    return out


def map_ticks(values: np.ndarray, point: float) -> list[float]:
    """A landscape axis's numbers: the point's own value, and the multiples of a round step
    (0.5 on a span of 1.5, ...) inside the map that stand clear of it."""
    lo, hi = float(values[0]), float(values[-1])
    step = 10 ** math.floor(math.log10((hi - lo) / 2))
    step *= next(k for k in (1, 2, 5, 10) if (hi - lo) / (step * k) <= 4)
    round_ones = np.arange(math.ceil(lo / step), math.floor(hi / step) + 1) * step
    clear = [float(v) + 0.0 for v in round_ones if abs(v - point) > 0.12 * (hi - lo)]
    return sorted([*clear, point])


def _tick(value: float, point: float) -> str:
    """A landscape axis's number: the point's to three significant digits, as the network
    writes the weight; a round one as it is (0.5, not 0.500)."""
    return fmt_sig(value) if value == point else f"{value:g}"


@panel("loss_map")
def loss_map(hud: Hud, box: Box, out: Overlay) -> None:
    """The loss over two weights as a landscape: bands and contour lines, the point where
    the weights are, the gradient's direction (green, uphill) at right angles to the
    contour through it, and the way the two weights alone would go step by step, walked
    during the shot. One weight scale across and up, so the right angles are seen true."""
    m, theme, w, h = hud.step.loss_map, hud.theme, hud.width, hud.height
    if m is None or not np.all(np.isfinite(m.loss)):
        return
    x0, y0, x1, y1 = box
    size = hud.min_size
    line = size * LINE / h
    out.rects.append(Rect2D(x0 - 0.006, y0, x1 + 0.006, y1 + 0.008, theme.panel, 0.45))
    # the square: left, clear of the up axis's numbers, under that axis's name and over the
    # across axis's numbers, one pixel scale both ways; the words and the key right of it
    across, up = map_ticks(m.wx, m.w0[0]), map_ticks(m.wy, m.w0[1])
    left = x0 + max(text_width_em(_tick(t, m.w0[1])) for t in up) * size / w + 0.02
    bottom = y0 + line + 0.012
    top = y1 - line - 0.01
    side = min((top - bottom) * h, (x1 - left) * w * 0.6)
    square = (left, bottom, left + side / w, bottom + side / h)
    sx0, sy0, sx1, sy1 = square
    rects, lines = _map_cells(hud, square)
    out.rects += rects
    out.lines += lines

    def at(a: float, b: float) -> tuple[float, float]:
        x, y = _map_points(m, square, (a, b))[0]
        return float(x), float(y)

    # the axes: each weight's value at the point, and round values (review 68b: the map's
    # ends, -0.0238 and 1.54, were noise) whose numbers stand clear of the point's (the
    # hall's -0.945 and -0.5 ran together, review 34), each axis named at its end
    def clear(ticks: list[float], point: float, across: bool) -> list[float]:
        def px(v: float) -> float:
            return at(v, v)[0] * w if across else at(v, v)[1] * h

        def half(v: float) -> float:  # half a number's extent along its axis, in pixels
            return _width_em(hud, _tick(v, point)) * size / 2 if across else size * 0.55

        return [
            v for v in ticks if v == point or abs(px(v) - px(point)) >= half(v) + half(point) + size * 0.4
        ]

    across, up = clear(across, m.w0[0], True), clear(up, m.w0[1], False)
    for value in across:
        x, _ = at(value, m.wy[0])
        out.lines.append(Polyline2D(((x, sy0), (x, sy0 - 0.008)), theme.muted, 2.0))
        out.texts.append(Text2D(_tick(value, m.w0[0]), x, sy0 - 0.01, size, theme.muted, align="center"))
    for value in up:
        _, y = at(m.wx[0], value)
        out.lines.append(Polyline2D(((sx0 - 0.006, y), (sx0, y)), theme.muted, 2.0))
        out.texts.append(
            Text2D(_tick(value, m.w0[1]), sx0 - 0.008, y, size, theme.muted, align="right", valign="center")
        )
    out.texts.append(Text2D(f"{m.names[1]} \u2191", sx0, sy1 + 0.008, size, theme.text, valign="bottom"))
    last_x, _ = at(max(across), m.wy[0])
    end = max(sx1, last_x + text_width_em(_tick(max(across), m.w0[0])) * size / w / 2)  # past the last number
    out.texts.append(Text2D(f"{m.names[0]} \u2192", end + 0.012, sy0 - 0.01, size, theme.text))
    # right of the square: what the map is, what the arrows are, which end of the shades is low
    kx = sx1 + 0.025
    room = w * (x1 - kx)
    title = wrap(hud.t("map_title"), size, room)
    # what the path is, with its steps so far; what the green arrow is; the dashed line
    # (reviews 70b: never explained; 71a, 72b: their names on the map covered its lines)
    walked = 1.0 if hud.progress is None else min(1.0, max(0.0, hud.progress))
    reached, points = _path_reached(m, square, walked, (w, h))

    def path_key(long: bool) -> list:
        """The key's items, its path's words saying it is not the run's where ``long``
        (review 76b: "tie the landscape to the real run, or state that it isn't")."""
        name = "" if long else "_short"
        steps = hud.t(f"map_path_steps{name}", n=reached) if reached else hud.t(f"map_path{name}")
        # (fitted to their longest, the count, so they keep their lines as it runs)
        widest = wrap(hud.t(f"map_path_steps{name}", n=len(m.path) - 1), size, room)
        return [
            *([(wrap(steps, size, room), theme.text, widest.count("\n") + 1)] if len(m.path) > 1 else []),
            (wrap(hud.t("map_gradient_key"), size, room), theme.gradient, None),
            (wrap(hud.t("map_dashed"), size, room), theme.muted, None),
        ]

    key, short = path_key(True), path_key(False)

    # all of them where they fit over the shades' key, else without the title (the shades
    # say "loss"), then the dashed line's, then "not the run", then the arrow's: never the
    # path's (the hall's narrow column dropped it, and its path read as the real training's,
    # review 71b)
    def tall(items: list) -> float:  # (each item's lines and the half line over it)
        return sum(((rows or words.count("\n") + 1) + 0.5) * line for words, _, rows in items)

    titled = [(title, theme.muted, None), *key]
    floor = sy0 + (MAP_KEY_LINES + 1) * line
    tries = (titled, key, key[:2], short[:2])
    shown = next((items for items in tries if y1 - tall(items) >= floor), short[:1])
    top = y1 + 0.5 * line  # (the first without the gap the others keep over them)
    for words, colour, rows in shown:
        out.texts.append(Text2D(words, kx, top - 0.5 * line, size, colour))
        top -= 0.5 * line + (rows or words.count("\n") + 1) * line
    # the shades' key in one row level with the square's foot, low loss to high (standing,
    # it took the room of two of the words above it, review 72b)
    low, high = hud.t("map_low"), hud.t("map_high")
    low_w, high_w = (_width_em(hud, t) * size / w for t in (low, high))
    if low_w + high_w + 0.04 > x1 - kx:  # (the hall's Japanese: "low", the shades say of what)
        low = hud.t("map_low_short")
        low_w = _width_em(hud, low) * size / w
    cells = max(0.02, min(0.1, x1 - kx - low_w - high_w - 0.02))
    row_y, cell_h = sy0 + 0.3 * size / h, 0.7 * size / h
    out.texts.append(Text2D(low, kx, row_y + cell_h / 2, size, theme.muted, valign="center"))
    c0 = kx + low_w + 0.008
    for i in range(MAP_BANDS):
        shade = tuple(_map_shade(theme, np.array(i / (MAP_BANDS - 1))))
        a = c0 + cells * i / MAP_BANDS
        out.rects.append(Rect2D(a, row_y, a + cells / MAP_BANDS, row_y + cell_h, shade, 1.0))
    out.texts.append(Text2D(high, c0 + cells + 0.008, row_y + cell_h / 2, size, theme.muted, valign="center"))
    # the point and the gradient's direction from it (uphill: only its direction is the
    # point here, drawn a seventh of the map long); then the path the two weights take alone,
    # step after step of -gradient, drawn as the shot goes, a ball at its head with its count
    px, py = at(*m.w0)
    gx, gy = m.gradient  # (its direction in pixels too: one weight scale both ways)
    reach = (sx1 - sx0) * w / 7 / (math.hypot(gx, gy) or 1.0)
    grad_end = (px + gx * reach / w, py + gy * reach / h)
    out.lines += _arrow((px, py), grad_end, theme.gradient, 4.0, w, h)
    out.rects += disc(px, py, 7.0 * h / 720, w, h, theme.muted)
    if len(m.path) < 2:
        return
    _lowest_mark(hud, square, out)
    shown = points[: reached + 1]
    if len(shown) > 1:  # (at most a point every two pixels of the way: a polyline of thousands is slow)
        pixels = points[: reached + 1] * (w, h)
        along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pixels, axis=0).T))])
        keep = np.unique(np.searchsorted(along, np.arange(0, along[-1], 2.0)))
        trail = [tuple(q) for q in shown[keep].tolist()] + [tuple(shown[-1])]
        out.lines.append(Polyline2D(tuple(trail), theme.text, 4.0))
        # its way shown on it: a head at a quarter, half and three quarters of the whole path
        # walked (review 76b read the ball at its end as its start)
        whole = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points * (w, h), axis=0).T))])
        for share in PATH_HEADS:
            i = int(np.searchsorted(whole, share * whole[-1]))
            behind = int(np.searchsorted(whole, whole[min(i, len(whole) - 1)] - 28.0))
            if 0 < i <= reached and whole[i] - whole[behind] > 20.0:  # (a head on its shaft's line)
                out.lines += _arrow(tuple(points[behind]), tuple(points[i]), theme.text, 4.0, w, h)[1:]
    head = tuple(shown[-1])
    out.rects += disc(head[0], head[1], 11.0 * h / 720, w, h, theme.text)


#: where on the landscape's path (shares of its length on screen) a head shows its way
PATH_HEADS = (0.25, 0.5, 0.75)
#: the ring round the valley's lowest point (the path's end), pixels at 720p: the ball, 11,
#: comes to rest inside it
LOWEST_RING_PX = 17.0


def _lowest_place(hud: Hud, square: Box) -> tuple[tuple[float, float], float, Box] | None:
    """Where the landscape's path ends on ``square`` (the lowest loss of the two weights
    alone), its ring's radius in pixels, and the box its name stands in, over the ring."""
    m, w, h = hud.step.loss_map, hud.width, hud.height
    if len(m.path) < 2:
        return None
    at = tuple(float(v) for v in _map_points(m, square, m.path[-1:])[0])
    r = LOWEST_RING_PX * h / 720
    half = (_width_em(hud, hud.t("map_lowest")) * hud.min_size + 8) / w / 2
    y0 = at[1] + (r + 4) / h
    return at, r, (at[0] - half, y0, at[0] + half, y0 + hud.min_size * 1.2 / h)


def _lowest_mark(hud: Hud, square: Box, out: Overlay) -> None:
    """Where the path ends, the lowest loss of the two weights alone, marked from the start
    of the shot and named over it (review 34: the valley's floor is one flat shade, and
    nothing said where its bottom is); the contour lines stop short of the name
    (:func:`_map_cells`)."""
    place = _lowest_place(hud, square)
    if place is None:
        return
    (x, y), r, (_, wy0, _, _) = place
    out.lines.append(ring(x, y, r, hud.width, hud.height, hud.theme.text))
    out.texts.append(
        Text2D(hud.t("map_lowest"), x, wy0, hud.min_size, hud.theme.text, align="center", valign="bottom")
    )


def _path_reached(m, square: Box, walked: float, frame: tuple[int, int]) -> tuple[int, np.ndarray]:
    """How many steps of the landscape's path the ball has walked when ``walked`` (0..1) of
    its length on screen is behind it (it moves at one pace in pixels, not in steps: the
    valley's floor takes hundreds of short ones), and the path's points on the square."""
    points = _map_points(m, square, m.path)
    if len(points) < 2:
        return 0, points
    pixels = points * frame
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pixels, axis=0).T))])
    return int(np.searchsorted(along, walked * along[-1], side="right")) - 1, points


def _arrow(
    a: tuple[float, float], b: tuple[float, float], colour, stroke: float, w: int, h: int
) -> list[Polyline2D]:
    """A straight arrow from ``a`` to ``b`` (screen 0..1) with its head at ``b``."""
    (ax, ay), (bx, by) = a, b
    dx, dy = (bx - ax) * w, (by - ay) * h  # in pixels, where angles are true
    length = math.hypot(dx, dy)
    if length < 1:
        return []
    head = min(14.0 * h / 720, length * 0.5)
    ux, uy = dx / length, dy / length
    wing = [
        (bx + (-ux * head + sx * uy * head * 0.6) / w, by + (-uy * head - sx * ux * head * 0.6) / h)
        for sx in (1, -1)
    ]
    shaft = Polyline2D(((ax, ay), (bx, by)), colour, stroke)
    return [shaft, Polyline2D((wing[0], (bx, by), wing[1]), colour, stroke)]


#: the largest cell a map is drawn in, pixels: a bigger map is drawn from its samples
#: interpolated (two reviews found the 61 samples of the features step's 400-px map blocky)
MAP_CELL_PX = 3.0


def activation_cells(m: np.ndarray, box: Box, theme: Theme, side_px: float = 0.0) -> list[Rect2D]:
    """A node's map as cells (``box``: x0, y0, x1, y1 on screen): input 1 across, input 2
    up, dark 0 to bright 1 (the node's colour over the background); where ``side_px`` (its
    side on screen) leaves a sample more than MAP_CELL_PX, between the samples as the map
    runs (bilinear: each node's output is smooth over the inputs).

    The colours are the renderer's own (whole 255ths), and a column's run of one colour is
    one rectangle: the same pixels, in a fraction of the rectangles (a fast-forward frame's
    200-px map of out is drawn anew at each frame as it morphs; a cell each cost 20 ms)."""
    x0, y0, x1, y1 = box
    n = m.shape[0]
    if side_px / n > MAP_CELL_PX:  # (the first and last samples at the map's edges)
        fine = math.ceil(side_px / MAP_CELL_PX)
        m = _bilinear(np.nan_to_num(m), np.linspace(0.0, n - 1, fine))
        n = fine
    cw, ch = (x1 - x0) / n, (y1 - y0) / n
    bg, ink = np.array(theme.background_bottom), np.array(theme.node)
    levels = np.round(255 * (bg + (ink - bg) * np.clip(np.nan_to_num(m), 0, 1)[..., None]))
    i, j0, j1, first = _runs(levels)  # m[i, j]: input 1's i-th value across, input 2's j-th up
    colours = [tuple(c) for c in (levels.reshape(-1, 3)[first] / 255).tolist()]
    return list(
        map(
            Rect2D,
            (x0 + i * cw).tolist(),
            (y0 + j0 * ch).tolist(),
            (x0 + (i + 1) * cw).tolist(),
            (y0 + j1 * ch).tolist(),
            colours,
            itertools.repeat(1.0),
        )
    )


def record_marks(
    records: tuple[tuple[float, float, float], ...],
    box: Box,
    theme: Theme,
    frame: tuple[int, int],
    r_px: float,
) -> list[Rect2D]:
    """The training records on an output's map: a square in the target's colour, filled
    for a target of 1, hollow for 0, ``r_px`` pixels from its middle to its side."""
    x0, y0, x1, y1 = box
    w, h = frame
    out = []
    for u, v, t in records:
        cx, cy = x0 + u * (x1 - x0), y0 + v * (y1 - y0)
        fill = tuple(theme.target) if t >= 0.5 else tuple(theme.panel)
        for r, colour in ((r_px, theme.target), (r_px * 0.625, fill)):
            out.append(Rect2D(cx - r / w, cy - r / h, cx + r / w, cy + r / h, colour, 1.0))
    return out


def square_frame(box: Box, colour, stroke: float) -> Polyline2D:
    """A map's frame: the outline of ``box`` (x0, y0, x1, y1 on screen), closed."""
    x0, y0, x1, y1 = box
    return Polyline2D(((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)), colour, stroke)


@panel("gallery")
def gallery(hud: Hud, box: Box, out: Overlay) -> None:
    """What the trained nodes compute, big (the payoff the fast forward and the epilogue
    show 58 px beside their nodes): the hidden nodes' maps in a grid on the left, each named
    over it, an arrow, and the output's map on the right, as large as the room allows, its
    axes named and the training records on it."""
    step, theme, w, h = hud.step, hud.theme, hud.width, hud.height
    maps = step.feature_maps
    if maps is None:
        return
    lay = hud.timeline.layout
    hidden = [node for node in lay.layer_nodes(1) if not np.all(np.isnan(maps[node]))]
    output = next(iter(lay.layer_nodes(len(lay.layers) - 1)))
    x0, y0, x1, y1 = box
    size = max(hud.min_size, round(h * 0.024))  # (the study layout's least, 8 px, is for its tables)
    line = size * LINE / h
    cols = math.ceil(math.sqrt(len(hidden)))
    rows = math.ceil(len(hidden) / cols)
    # the output's map: the room's height under its title, over its axis's numbers
    out_side = (y1 - y0 - 2.7 * line) * h  # pixels (the records' marks stand out of its corners)
    gap = 0.02
    # the hidden maps: as tall as the room under the title holds, a name over each
    cell = min((y1 - y0 - 2 * line - rows * line - (rows - 1) * gap) / rows * h, out_side * 0.48)
    grid_w = cols * cell / w + (cols - 1) * gap
    arrow_w = 0.07
    total = grid_w + arrow_w + out_side / w + 0.13  # (and right of the output: its up axis, its marks' key)
    left = x0 + max(0.0, (x1 - x0 - total) / 2)
    out.texts.append(Text2D(hud.t("features_hidden"), left, y1, size, theme.muted))
    top = y1 - line
    for k, node in enumerate(hidden):
        r, c = divmod(k, cols)
        mx = left + c * (cell / w + gap)
        my = top - r * (cell / h + line + gap) - line - cell / h
        square = (mx, my, mx + cell / w, my + cell / h)
        out.rects.extend(activation_cells(maps[node], square, theme, cell))
        out.lines.append(square_frame(square, theme.muted, 1.5))
        out.texts.append(Text2D(lay.name_of(node), mx + cell / w / 2, my + cell / h + line * 0.95, size,
                                theme.text, bold=True, align="center"))  # fmt: skip
    if len(step.feature_axes) == 2 and hidden:  # the hidden maps' axes too, once, by the grid's corner
        across, up = step.feature_axes
        bottom = top - rows * (cell / h + line + gap) + gap
        out.texts.append(Text2D(f"{across} \u2192", left, bottom - 0.006, size, theme.muted))
        out.texts.append(Text2D(f"{up} \u2191", left - 0.008, bottom + cell / h / 2, size, theme.muted,
                                align="right", valign="center"))  # fmt: skip
    # the arrow: the hidden maps go into the output's
    ax0, ax1 = left + grid_w + 0.015, left + grid_w + arrow_w - 0.015
    ay = (y0 + y1) / 2
    out.lines.append(Polyline2D(((ax0, ay), (ax1, ay)), theme.muted, 4.0))
    out.lines.append(
        Polyline2D(((ax1 - 0.012, ay + 0.02), (ax1, ay), (ax1 - 0.012, ay - 0.02)), theme.muted, 4.0)
    )
    ox = left + grid_w + arrow_w
    oy = y0 + 1.2 * line
    square = (ox, oy, ox + out_side / w, oy + out_side / h)
    out.texts.append(Text2D(hud.t("features_output"), ox, y1, size, theme.muted))
    out.rects.extend(activation_cells(maps[output], square, theme, out_side))
    out.lines.append(square_frame(square, theme.muted, 1.5))
    out.rects.extend(record_marks(step.feature_records, square, theme, (w, h), 12.0 * h / 720))
    if len(step.feature_axes) == 2:  # what runs across and up, each from 0 to 1
        across, up = step.feature_axes
        out.texts.append(Text2D(f"{across} \u2192", (square[0] + square[2]) / 2, oy - 0.008, size, theme.text,
                                align="center"))  # fmt: skip
        out.texts.append(Text2D("0", square[0], oy - 0.008, size, theme.muted, align="center"))
        out.texts.append(Text2D("1", square[2], oy - 0.008, size, theme.muted, align="center"))
        out.texts.append(Text2D(f"{up} \u2191", square[2] + 0.01, (oy + square[3]) / 2, size, theme.text,
                                valign="center"))  # fmt: skip
    if step.feature_records:  # what the marks at its corners are (review 75a: unexplained here)
        kx, r_px = square[2] + 0.012 + 12.0 / w, 12.0 * h / 720
        for n, target in enumerate((0.0, 1.0)):  # (target 1 over target 0)
            ky = oy + (0.5 + n * 1.2) * line
            out.rects.extend(record_marks(((0.0, 0.0, target),), (kx, ky, kx, ky), theme, (w, h), r_px))
            word = hud.t("features_record", t=f"{target:g}")
            out.texts.append(Text2D(word, kx + 2 * r_px / w, ky, size, theme.muted, valign="center"))


#: when each part of the chain rule's shot is drawn, as a share of its length: first on
#: the network, the links' rates one after another at their places on it (CHAIN_NET
#: shared between them), then the chain drawn whole across the frame (CHAIN_DIAGRAM), the
#: deltas its links make, the record's product, and the records' sum with the change
CHAIN_NET = (0.05, 0.36)
#: the rates fly from their places on the network to theirs in the chain (drawn each frame)
CHAIN_FLIGHT = (0.42, 0.50)
CHAIN_DIAGRAM = CHAIN_FLIGHT[1]
CHAIN_AFTER = (0.60, 0.71, 0.82)
#: the chain rule's shot: its chain across the frame, alone (the caption names the weight)
CHAIN_BOX = (0.015, 0.14, 0.985, 0.74)
BRACKET_ROW = 1.05  # a delta's bracket and its name under the links: lines of the panel's type
MAX_SHARES_WRITTEN = 6  # records whose shares the chain's sum writes out one by one


def chain_appear(links: int) -> tuple[float, ...]:
    """When each part of a chain of ``links`` links is drawn: each link on the network, the
    diagram, then CHAIN_AFTER's three."""
    start, end = CHAIN_NET
    step = (end - start) / max(1, links - 1)
    return (*(start + n * step for n in range(links)), CHAIN_DIAGRAM, *CHAIN_AFTER)


def rate_number(kind: str, value: float) -> str:
    """A chain link's rate as the chain writes it: an input of 0 or 1 as the table does."""
    return fmt_input(value) if kind == "input" else fmt_sig(value)


def rate_colour(theme: Theme, kind: str, value: float) -> tuple[float, float, float]:
    """A chain link's rate's colour, as the picture colours the same number: a value white,
    a slope the sigmoid's yellow, a weight or an error by its sign."""
    by_kind = {"input": theme.text, "value": theme.text, "slope": theme.slope}
    return by_kind.get(kind, theme.positive if value > 0 else theme.negative)


@panel("chain")
def chain(hud: Hud, box: Box, out: Overlay) -> None:
    """The chain rule for one record, drawn as a chain across the frame: w -> z -> ... ->
    loss, each link with its rate over it and what the rate is under it; under the links
    that make a delta, a bracket with the code's name (-l2_delta: the product the backward
    pass keeps and reuses); then the rates multiplied (the record's dloss/dw), the records'
    shares summed (the gradient) and the change the update makes of it. The rates are told
    first one by one where they stand on the network (frames.chain_rates: 3Blue1Brown's
    chain of nudges, on the picture), then the chain is drawn whole here and summed."""
    c, theme, w, h = hud.step.chain, hud.theme, hud.width, hud.height
    if c is None:
        return
    x0, y0, x1, y1 = box
    size, big = hud.min_size, hud.big_size
    shown = 1.0 if hud.progress is None else hud.progress
    appear = chain_appear(len(c.rates))
    if shown < CHAIN_DIAGRAM:  # the rates are told on the network first (frames.chain_rates)
        return
    out.rects.append(Rect2D(x0 - 0.006, y0, x1 + 0.006, y1 + 0.008, theme.panel, 0.45))
    # a record after the first: why (review 77a: the switch from record 1 to 2 was said only
    # in small type two steps before)
    key, more = ("chain_title", {}) if c.record == 0 else ("chain_title_first", {"a": c.start})
    title = wrap(hud.t(key, r=c.record + 1, **more), size, w * (x1 - x0 - 0.02))
    out.texts.append(Text2D(title, x0 + 0.01, y1, size, theme.muted))
    n = len(c.rates)
    centres = [x0 + (x1 - x0) * (0.05 + 0.90 * m / n) for m in range(n + 1)]
    room = (centres[1] - centres[0]) * w * 0.92  # a link's width for its rate and its words
    numbers = [rate_number(kind, v) for kind, v in zip(c.kinds, c.rates, strict=True)]
    rates = [f"{TIMES} {v}" for v in numbers]
    widest = max(text_width_em(t) for t in rates)
    if widest * size > room:  # the chain is long: the rates without their sign of product
        rates = numbers
        widest = max(text_width_em(t) for t in rates)
    rate_size = max(size, min(big, int(room / widest)))
    rate_colours = [rate_colour(theme, kind, v) for kind, v in zip(c.kinds, c.rates, strict=True)]
    meanings = [wrap(m, size, room) for m in c.meanings]
    lines = max(m.count("\n") + 1 for m in meanings)
    top = y1 - (title.count("\n") + 1) * size * LINE / h

    total = fmt_signed(c.gradient)  # the records' sum and the change, wrapped to the panel
    # each record's share written out where they are few: record 1's +0.0543 against the
    # gradient's +0.00677 read as a contradiction until the others' cancelling is seen
    # (reviews 63a, 63b); the chain's own record's share in the product's green
    terms = [fmt_signed(v) if v else "0" for v in c.shares]
    # written as a sum, "0 + 0.0259 + 0 - 0.0157": signed numbers side by side ran together
    # into one ("0 +0.0259 0 -0.0157", review 67b)
    terms = terms[:1] + [f"{t[0]} {t[1:]}" if t[0] in "+-" else f"+ {t}" for t in terms[1:]]
    if len(terms) <= MAX_SHARES_WRITTEN:
        summed = hud.t("chain_sum_terms", n=len(c.shares), terms=" ".join(terms), v=total)
        own = summed.find(" ".join(terms)) + sum(len(t) + 1 for t in terms[: c.record])
        own_span = (own, own + len(terms[c.record]))
    else:
        summed, own_span = hud.t("chain_sum", n=len(c.shares), v=total), None
    then = len(summed)
    summed = wrap(
        summed + hud.t("curve_step", r=rate_times(c.rate), c=fmt_signed(c.change)), size, w * (x1 - x0 - 0.02)
    )

    def height(big: int, rate_size: int) -> float:  # the rates, names, words, brackets, the sums
        rows = lines + len(c.deltas) * BRACKET_ROW + summed.count("\n") + 1
        return (rate_size * LINE + big * 1.4 + big * LINE + rows * size * LINE) / h + 0.024

    if height(big, rate_size) > top - y0:  # a long chain in a hall's type: names and rates smaller
        big, rate_size = size, min(rate_size, size)
    tall = height(big, rate_size)
    # the rates' line: the chain in the room's middle, or at its top where the records'
    # waterfall takes the room left under it
    row = top - (0.0 if own_span is not None else max(0.0, (top - y0 - tall) / 2))
    name_y = row - rate_size * LINE / h - big * 0.7 / h
    for name, x in zip(c.names, centres, strict=True):
        out.texts.append(Text2D(name, x, name_y, big, theme.text, bold=True, align="center", valign="center"))
    half = [text_width_em(name) * big * 0.5 / w + 0.008 for name in c.names]
    under = name_y - big * 0.7 / h
    for m in range(n):  # the links, whole: they were told one by one on the network
        ax0, ax1 = centres[m] + half[m], centres[m + 1] - half[m + 1]
        head, rise = 0.012, 0.012 * w / h * 0.6
        out.lines.append(Polyline2D(((ax0, name_y), (ax1, name_y)), theme.muted, 3.0))
        out.lines.append(Polyline2D(((ax1 - head, name_y + rise), (ax1, name_y), (ax1 - head, name_y - rise)),
                                    theme.muted, 3.0))  # fmt: skip
        mid = (centres[m] + centres[m + 1]) / 2
        out.texts.append(Text2D(rates[m], mid, row, rate_size, rate_colours[m], align="center"))
        out.texts.append(Text2D(meanings[m], mid, under, size, theme.muted, align="center"))
    y = under - lines * size * LINE / h - 0.012
    if shown >= appear[n + 1]:  # the links that make each delta: a bracket under them, named
        for first, last, name, value in c.deltas:
            left = (centres[first] + centres[first + 1]) / 2 - room / w / 2
            right = (centres[last] + centres[last + 1]) / 2 + room / w / 2
            tick = size * 0.35 / h
            out.lines.append(Polyline2D(((left, y + tick), (left, y), (right, y), (right, y + tick)),
                                        theme.backward, 3.0))  # fmt: skip
            label = hud.t("chain_delta", name=name, v=fmt_signed(value))
            out.texts.append(
                Text2D(label, (left + right) / 2, y - 0.006, size, theme.backward, align="center")
            )
            y -= size * LINE * BRACKET_ROW / h
        y -= 0.012  # the sums apart from the brackets' names
    left_x = x0 + 0.01
    if shown >= appear[n + 2]:  # the rates multiplied: the record's share of dloss/dw
        factors = numbers
        share = fmt_signed(c.share)
        head = hud.t("chain_product")
        line = f"{head}{f' {TIMES} '.join(factors)} {hud.t('approx')} {share}"
        spans, at = [], len(head)
        for f, colour in zip(factors, rate_colours, strict=True):
            spans.append((at, at + len(f), colour))
            at += len(f) + 3
        spans.append((len(line) - len(share), len(line), theme.gradient))
        fitted = max(size, fit_size(line, big, w * (x1 - x0 - 0.02)))
        out.texts.append(Text2D(line, left_x, y, fitted, theme.text, spans=tuple(spans)))
        # where it ends (the larger of the face's width and the estimate): the waterfall's room
        product = (left_x + max(_width_em(hud, line), text_width_em(line)) * fitted / w, y)
        y -= fitted * LINE / h
    if shown >= appear[n + 3]:  # every record's share, summed: the gradient, and the change
        at = summed.rfind(total, 0, then)
        colour = theme.positive if c.change > 0 else theme.negative
        own = ((*own_span, theme.gradient),) if own_span is not None else ()
        spans = (*own, (at, at + len(total), theme.gradient), (then, len(summed), colour))
        out.texts.append(Text2D(summed, left_x, y, size, theme.text, spans=spans))
        parts = summed.split("\n")
        widest = max(max(_width_em(hud, part), text_width_em(part)) for part in parts) * size / w
        before = hud.timeline.steps[hud.step.index - 1] if hud.step.index else None
        if before is not None and before.kind == "nudge" and before.chain == c:
            # the nudge just before measured its ratio: why it is not the rates' product
            # (review 30a: "0.0550 vs 0.0543, no frame says why")
            moved = c.nudged(NUDGE)
            why = hud.t("chain_nudge", v=fmt_signed((moved[-1] - c.values[-1]) / NUDGE), d=f"{NUDGE:g}")
            below = y - (summed.count("\n") + 1) * size * LINE / h - 0.006
            # as wide as the sums (the waterfall stands right of them), where it fits above
            # the panel's foot (the hall's type leaves no room: there it is not said)
            why = wrap(why, size, widest * w)
            if below - (why.count("\n") + 1) * size * LINE / h >= y0:
                out.texts.append(Text2D(why, left_x, below, size, theme.muted))
        if own_span is not None:  # and seen adding up: each record's step from the last,
            # right of the sum it draws (under it, its rows were a few pixels each and the
            # longer chain of syn0 left it no room at all: reviews 72a, 72b)
            # (up beside the product too: right of the longer of the two)
            right = max(left_x + widest, product[0]) + 0.03
            beside = (right, y0 + 0.01, x1 - 0.01, product[1])
            key, total_name = hud.t("chain_waterfall", n=len(c.shares)), hud.t("bars_change_short")
            _waterfall(out, c.shares, c.gradient, beside, theme, (w, h), (key, size), total_name)


#: the chain's waterfall: a row a record (its share a step from where the last ended), then
#: the gradient's, this tall at most (a fraction of the frame's height), at least tall
#: enough for its name in the panel's type (else it is left out: the longer chain of syn0
#: and the hall's type leave it no room), and at least this wide (of the frame's width)
WATERFALL_ROW, WATERFALL_NAME, WATERFALL_MIN_WIDTH = 0.05, 0.85, 0.2


def _waterfall(
    out: Overlay,
    shares: tuple[float, ...],
    total: float,
    box: Box,
    theme: Theme,
    frame: tuple[int, int],
    key: tuple[str, int],
    sum_name: str,
) -> None:
    """The records' shares of dloss/dw as steps along one axis, each from where the one
    before ended, down a row each, and under them the gradient they reach, from 0 (reviews
    63a, 64a: "show the batch sum visually -- four small nudges adding up to one"):
    record 1's long step out and the others' back are the cancelling, seen. Its key over it
    says so (review 65a: unlabelled, the bars could not be decoded)."""
    x0, y0, x1, y1 = box
    w, h = frame
    words, size = key
    words = wrap(words, size, (x1 - x0) * w)
    rows = len(shares) + 1
    row = min(WATERFALL_ROW, (y1 - y0 - (words.count("\n") + 1) * size * LINE / h) / rows)
    if row * h * WATERFALL_NAME < size or x1 - x0 < WATERFALL_MIN_WIDTH:
        return
    out.texts.append(Text2D(words, x0, y1, size, theme.muted))
    y1 -= (words.count("\n") + 1) * size * LINE / h
    # each row named: its record, then the sum (review 72a: unlabelled, the bars were noise)
    names = [*(str(r + 1) for r in range(len(shares))), sum_name]
    name_size = size
    name_w = max(text_width_em(t) for t in names) * name_size / w + 0.01
    for k, name in enumerate(names):
        out.texts.append(Text2D(name, x0, y1 - (k + 0.5) * row, name_size, theme.muted, valign="center"))
    bar = row * 0.8
    reach, wing = bar * 0.8 * h / w, bar * 0.8  # each row's head at most, within its length
    x0 += name_w
    ends = np.concatenate([[0.0], np.cumsum(shares)])
    lo, hi = min(0.0, float(ends.min())), max(0.0, float(ends.max()))

    def at(v: float) -> float:
        return x0 + (x1 - x0) * (v - lo) / ((hi - lo) or 1.0)

    top = y1
    out.lines.append(Polyline2D(((at(0.0), top), (at(0.0), top - rows * row)), theme.muted, 2.0))
    # each record's from where the last ended, in the gradient's green a quarter of the way
    # to the background (its sign is its direction: blue and orange here read as the change's
    # signs of the worked change before it, reviews 67a, 67b; half-way, 31a and 31b found it
    # too dark to see from the back); then the sum's from 0, full green
    share_colour = tuple(
        float(v) for v in 0.75 * np.array(theme.gradient) + 0.25 * np.array(theme.background_bottom)
    )
    steps = [
        *((a, b, share_colour) for a, b in itertools.pairwise(ends)),
        (0.0, total, theme.gradient),
    ]
    for k, (start, end, colour) in enumerate(steps):
        y = top - (k + 0.5) * row
        # an arrow as long as its share, its head at its end: the way it goes is its sign
        # (reviews 73a, 73b: in one green the subtracting records read as adding), the head
        # within its length (past it, the sum's read twice its length, review 75b)
        tail, tip, way = at(float(start)), at(float(end)), 1.0 if end >= start else -1.0
        head = min(reach, abs(tip - tail) * 0.6)
        neck = tip - way * head
        a, b = sorted((tail, neck))
        out.rects.append(Rect2D(a, y - bar / 2, max(b, a + 1 / w), y + bar / 2, colour, 1.0))
        for i in range(HEAD_SLICES):  # (in slices: the overlay fills rectangles only)
            x_in, x_out = neck + way * head * i / HEAD_SLICES, neck + way * head * (i + 1) / HEAD_SLICES
            half = max(bar / 2, wing) * (1 - (i + 0.5) / HEAD_SLICES)
            out.rects.append(Rect2D(min(x_in, x_out), y - half, max(x_in, x_out), y + half, colour, 1.0))


#: the slices a waterfall row's head is drawn in (the overlay fills rectangles only)
HEAD_SLICES = 8


#: the gap over the nudge's ratio under its rows, in lines
NUDGE_RATIO_GAP = 0.3


@panel("nudge")
def nudge(hud: Hud, box: Box, out: Overlay) -> None:
    """What moves with the nudged weight, as it moves: a row per name of the chain (w, z,
    the node's output, ..., the loss), its move now as a bar from a zero line and as a
    number. One scale for every bar, so the moves are seen getting smaller (or turning
    over, past a negative weight) down the chain, as the chain's rates then say."""
    c, theme, w, h = hud.step.chain, hud.theme, hud.width, hud.height
    if c is None or not c.values:
        return
    x0, y0, x1, y1 = box
    size, big = hud.min_size, hud.big_size
    now = c.nudged(nudge_at(1.0 if hud.progress is None else hud.progress))
    moves = [a - b for a, b in zip(now, c.values, strict=True)]
    most = [abs(a - b) for a, b in zip(c.nudged(NUDGE), c.values, strict=True)]
    scale = max(most)
    # whose loss it is: the descent's is the four records' (reviews 65a, 65b: two "loss"es)
    title = wrap(hud.t("nudge_title", r=c.record + 1), size, w * (x1 - x0))
    out.rects.append(Rect2D(x0 - 0.006, y0, x1 + 0.006, y1 + 0.008, theme.panel, 0.45))
    out.texts.append(Text2D(title, x0, y1, size, theme.muted))
    top = y1 - (title.count("\n") + 1) * size * LINE / h - 0.01
    # under the rows, the loss's move over the weight's: the slope the chain then computes
    # (review 68b: "+0.00550 / 0.1 = 0.055 ~ 0.0543 is never said")
    ratio = None
    if abs(moves[0]) >= NUDGE * 0.05:
        ratio = wrap(
            hud.t("nudge_ratio", v=fmt_signed(moves[-1] / moves[0]), r=c.record + 1), size, w * (x1 - x0)
        )
    # (its room as it wraps in this panel's width: two lines in the lecture's, three in the hall's)
    widest = wrap(hud.t("nudge_ratio", v="+0.0000", r=c.record + 1), size, w * (x1 - x0))
    reserved = (widest.count("\n") + 1 + NUDGE_RATIO_GAP) * size * LINE / h
    pitch = (top - y0 - reserved) / len(c.names)  # a row: its name and number, its bar, a gap
    name_size = max(size, min(big, round(pitch * h * 0.42)))
    bar = max(0.012, min(0.04, pitch - name_size * LINE / h - 0.025))  # the bar's height
    mid, half = (x0 + x1) / 2, (x1 - x0) / 2 - 0.01
    for m, (name, move) in enumerate(zip(c.names, moves, strict=True)):
        y = top - m * pitch  # the row's top: its name and number, then its bar under them
        colour = theme.positive if move > 0 else theme.negative
        # three significant digits now, as everywhere (fixed decimals wrote w's +0.0998 as
        # +0.100 beside z's +0.0459: reviews 63a, 64a, 64b); 0 within a thousandth of its most
        number = fmt_signed(move) if abs(move) >= most[m] * 1e-3 else "0"
        out.texts.append(Text2D(name, x0 + 0.005, y, name_size, theme.text, bold=True))
        out.texts.append(Text2D(number, x1, y, name_size, colour, align="right"))
        bar_y = y - name_size * LINE / h - bar / 2 - 0.004
        out.lines.append(Polyline2D(((mid, bar_y - bar * 0.8), (mid, bar_y + bar * 0.8)), theme.muted, 2.0))
        end = mid + half * move / scale
        if abs(end - mid) * w >= 1:
            left, right = min(mid, end), max(mid, end)
            out.rects.append(Rect2D(left, bar_y - bar / 2, right, bar_y + bar / 2, colour, 1.0))
    if ratio is not None:  # (none while the weight stands at its own value: 0 / 0)
        out.texts.append(
            Text2D(ratio, x0 + 0.005, y0 + reserved - 0.3 * size * LINE / h, size, theme.gradient)
        )


@panel("change_size")
def change_size(hud: Hud, box: Box, out: Overlay) -> None:
    """How big this iteration's largest change is, on a log scale, beside every update
    shown before it: the updates shrink as the network learns."""
    step, timeline, theme, h = hud.step, hud.timeline, hud.theme, hud.height
    if step.epoch is None:
        return
    x0, y0, x1, y1 = box
    size = hud.min_size
    lo, hi = -6.0, 0.0  # 1e-6 .. 1

    def px(v: float) -> float:
        return x0 + 0.01 + (x1 - x0 - 0.02) * (min(max(np.log10(v), lo), hi) - lo) / (hi - lo)

    title = hud.t("change_size_title")
    out.texts.append(Text2D(title, x0, y1, size, theme.muted))
    now = float(np.max(np.abs(step.change))) if step.change is not None else float("nan")
    out.texts.append(Text2D(f"{now:.1e}", x1, y1, size, theme.accent, align="right"))
    axis_y = y0 + size * 1.25 / h + 0.012
    out.lines.append(Polyline2D(((px(10**lo), axis_y), (px(10**hi), axis_y)), theme.muted, 2.0))
    for e in (-6, -4, -2, 0):
        out.lines.append(
            Polyline2D(((px(10.0**e), axis_y - 0.008), (px(10.0**e), axis_y + 0.008)), theme.muted, 1.0)
        )
        label = "1" if e == 0 else f"1e{e}"
        out.texts.append(Text2D(label, px(10.0**e), axis_y - 0.012, size, theme.muted, align="center"))
    # this matrix's largest change now, and at every earlier update of it in the video
    history = [float(np.max(np.abs(s.change))) for s in timeline.steps[: step.index]
               if s.kind == "update" and s.layer == step.layer and s.change is not None]  # fmt: skip
    for v, current in [*((v, False) for v in history), (now, True)]:
        if not v > 0:
            continue
        x = px(v)
        colour = theme.accent if current else theme.text
        out.lines.append(Polyline2D(((x, axis_y), (x, axis_y + 0.03)), colour, 4.0 if current else 2.0))


@panel("epilogue_chart")
def epilogue_chart(hud: Hud, box: Box, out: Overlay) -> None:
    """The epilogue's big chart (epilogue and summary steps only): the mean |error| of every
    iteration, on log axes, up to the step's iteration, the epilogue's iterations dotted.

    Listed last, it takes its band: what the panels before it drew there gives way, except
    a panel reaching past the band's right end (the values panel), which keeps its place."""
    step, timeline = hud.step, hud.timeline
    if step.kind not in EPILOGUE_KINDS:
        return
    x0, y0, x1, y1 = box
    right = min((r.x0 for r in out.rects if r.x1 > x1 and x0 < r.x0 < x1 and r.y0 < y1), default=x1)

    def inside(x: float, y: float) -> bool:
        return x0 <= x <= right and y0 <= y <= y1

    out.texts[:] = [t for t in out.texts if not inside(t.x, t.y)]
    out.rects[:] = [r for r in out.rects if not (inside(r.x0, r.y0) and inside(r.x1, r.y1))]
    out.lines[:] = [p for p in out.lines if not all(inside(x, y) for x, y in p.points)]
    marks = [s.epoch for s in timeline.steps if s.kind in ("timelapse", "epilogue")]
    per_epoch = timeline.n_batches > 1
    title = hud.t("plot_epilogue_epoch" if per_epoch else "plot_epilogue")
    x_label = hud.t("axis_epoch" if per_epoch else "axis_iteration")
    area = (x0 + 0.005, y0 + 0.012, min(x1, right - 0.012), y1 - 0.008)
    # every fast forward's dot, the values of the powers of ten (the 20s and 50s between
    # them crowded the decades' values off the chart)
    decades = {m for m in marks if m == 10 ** round(math.log10(m))} | {timeline.steps[-1].epoch}
    upto = step.epoch
    if (glimpse := glimpse_at(step, glance_morph(hud))) is not None:  # on its way: up to the
        upto = glimpse.epoch  # iteration it passes through
    elif (morph := glance_morph(hud)) is not None:  # drawn on from the glance before,
        # as its maps morph: the run's own values, iteration by iteration (log-spaced)
        was = max(1, timeline.steps[step.index - 1].epoch or 1)
        upto = round(was * (step.epoch / was) ** morph)
    _add(out, run_chart(area, timeline.display_errors, upto, marks, title, x_label, hud.theme,
                        hud.width, hud.height, hud.min_size, written=decades))  # fmt: skip
