"""The timeline as a lecturer navigates it: chapters, subtitles and a narration script.

Everything here is made from the :class:`~nnviz3d.timeline.Timeline` alone (no pixels),
so the slides page, the MP4's chapter list, the subtitle files and ``--chapter`` clips
all agree with ``steps`` on where each step starts and ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from nnviz3d.errors import UserError
from nnviz3d.text import message
from nnviz3d.timeline import Timeline

#: a step's phase -> the part of an iteration it belongs to
_PART = {
    "init": "init",
    "loop": "init",
    "forward": "forward",
    "error": "backward",
    "backward": "backward",
    "update": "update",
    "end": "update",
    "timelapse": "timelapse",
    "epilogue": "epilogue",
    "summary": "summary",
}


@dataclass(frozen=True)
class Chapter:
    """Consecutive steps that make one part of the story: the title, the
    initialisation, each iteration's forward pass, backward pass and update, the
    epilogue and the summary. ``name`` is what ``--chapter`` takes (``1-forward``)."""

    name: str
    title: str
    first_step: int
    last_step: int
    start_frame: int
    end_frame: int  # exclusive


def chapters(timeline: Timeline) -> list[Chapter]:
    """The video's chapters in play order. A card belongs to the chapter it introduces;
    the opening card is the title's own chapter."""
    keys: list[tuple[str, int | None, int | None]] = []
    for s in timeline.steps:
        part = _PART.get(s.phase)
        if s.phase == "loop" and s.epoch is not None:  # "... iterations later": that iteration's
            part = "forward"
        if part in ("init", "timelapse", "epilogue", "summary"):
            keys.append((part, None, None))
        elif part is not None:
            keys.append((part, s.epoch, s.batch))
        else:  # a card (or a phase of its own): the next step's chapter, filled in below
            keys.append(("", None, None))
    for i in range(len(keys) - 1, -1, -1):
        if not keys[i][0]:
            keys[i] = keys[i + 1] if i + 1 < len(keys) and i > 0 else ("title", None, None)
    out: list[Chapter] = []
    for i, key in enumerate(keys):
        if out and keys[i - 1] == key:
            last = out[-1]
            s = timeline.steps[i]
            out[-1] = Chapter(last.name, last.title, last.first_step, i, last.start_frame,
                              s.first_frame + s.n_frames)  # fmt: skip
            continue
        s = timeline.steps[i]
        name, title = _name(timeline, *key)
        if repeats := sum(c.name.split("~")[0] == name for c in out):  # a second fast forward
            name = f"{name}~{repeats + 1}"
        out.append(Chapter(name, title, i, i, s.first_frame, s.first_frame + s.n_frames))
    return out


def _name(timeline: Timeline, part: str, epoch: int | None, batch: int | None) -> tuple[str, str]:
    lang = timeline.lang
    if epoch is None:
        return part, message(lang, f"chapter_{part}")
    it = f"{epoch}.{batch}" if timeline.n_batches > 1 and batch is not None else f"{epoch}"
    key = {"forward": "card_forward", "backward": "card_backward", "update": "chapter_update"}[part]
    return f"{it}-{part}", message(lang, key, epoch=it)


def chapter_rows(timeline: Timeline) -> list[dict]:
    """The chapters as plain dicts (``chapters --json``, the slides page): the name
    ``--chapter`` takes, the title, the steps, and start and end in seconds."""
    fps = timeline.fps
    return [
        {"name": c.name, "title": c.title, "first_step": c.first_step, "last_step": c.last_step,
         "start": c.start_frame / fps, "end": c.end_frame / fps}
        for c in chapters(timeline)
    ]  # fmt: skip


def find_chapter(timeline: Timeline, name: str) -> Chapter:
    """The chapter ``--chapter NAME`` names; the error lists the names there are."""
    found = [c for c in chapters(timeline) if c.name == name]
    if not found:
        names = [c.name for c in chapters(timeline)]
        shown = ", ".join(names[:12]) + (f", ... ({len(names)} in all)" if len(names) > 12 else "")
        raise UserError(f"--chapter: no chapter {name!r}; the chapters are {shown}")
    return found[0]


def parse_step_range(text: str, timeline: Timeline) -> tuple[int, int]:
    """``--steps A-B`` (or ``A``): step indices as ``steps`` lists them, both included."""
    m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+))?\s*", text)
    if not m:
        raise UserError(f"--steps: {text!r} is not a step range like 34-41")
    a = int(m.group(1))
    b = int(m.group(2)) if m.group(2) is not None else a
    last = len(timeline.steps) - 1
    if a > b:
        raise UserError(f"--steps: {text!r} runs backwards (write the smaller index first)")
    if b > last:
        raise UserError(f"--steps: {text!r} is outside the video's steps 0..{last}")
    return a, b


# -- subtitles and the narration script -------------------------------------------------
def _clock(frame: int, fps: int, sep: str) -> str:
    ms = round(frame * 1000 / fps)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _cues(timeline: Timeline, first_frame: int = 0) -> list[tuple[int, int, str]]:
    """(start, end, text) per step, in frames from ``first_frame`` (a clip's start); a
    card says its title and subtitle."""
    cues = []
    for s in timeline.steps:
        end = s.first_frame + s.n_frames
        if end <= first_frame:
            continue
        text = " - ".join(t for t in s.card if t) if s.card else s.caption
        cues.append((max(s.first_frame, first_frame) - first_frame, end - first_frame, text))
    return cues


def srt(timeline: Timeline, frames: range | None = None) -> str:
    """SubRip subtitles: one cue per step, its caption."""
    blocks = []
    for n, (a, b, text) in enumerate(_clip(timeline, frames), start=1):
        blocks.append(f"{n}\n{_clock(a, timeline.fps, ',')} --> {_clock(b, timeline.fps, ',')}\n{text}\n")
    return "\n".join(blocks)


def vtt(timeline: Timeline, frames: range | None = None) -> str:
    """WebVTT subtitles (what browsers' <track> reads): the same cues as :func:`srt`."""
    blocks = ["WEBVTT\n"]
    for a, b, text in _clip(timeline, frames):
        # "-->" inside a cue would end it early in some players
        blocks.append(f"{_clock(a, timeline.fps, '.')} --> {_clock(b, timeline.fps, '.')}\n"
                      f"{text.replace('-->', '->')}\n")  # fmt: skip
    return "\n".join(blocks)


def _clip(timeline: Timeline, frames: range | None) -> list[tuple[int, int, str]]:
    """The cues inside ``frames`` (the whole video when None), timed from its start."""
    if frames is None:
        return _cues(timeline)
    out = []
    for a, b, text in _cues(timeline, frames.start):
        b = min(b, frames.stop - frames.start)
        if a < b:
            out.append((a, b, text))
    return out


def ffmetadata(timeline: Timeline, frames: range | None = None) -> str:
    """The chapters in ffmpeg's metadata format (times in ms): the MP4's chapter list,
    which VLC, QuickTime and browsers show."""
    lines = [";FFMETADATA1", f"title={_escape(timeline.title)}"]
    lo, hi = (0, timeline.n_frames) if frames is None else (frames.start, frames.stop)
    for c in chapters(timeline):
        a, b = max(c.start_frame, lo), min(c.end_frame, hi)
        if a >= b:
            continue
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={round((a - lo) * 1000 / timeline.fps)}",
            f"END={round((b - lo) * 1000 / timeline.fps)}",
            f"title={_escape(c.title)}",
        ]
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    """ffmetadata escapes '=', ';', '#', '\\' and newlines with a backslash."""
    return re.sub(r"([=;#\\\n])", r"\\\1", text)


def script(timeline: Timeline, frames: range | None = None, values: bool = True) -> str:
    """A Markdown narration script: each step's time code, caption and numbers, grouped
    by chapter, for reading from or recording a voice-over against (a clip's steps only,
    timed from its start)."""
    out = [f"# {timeline.title}", ""]
    fps = timeline.fps
    lo, hi = (0, timeline.n_frames) if frames is None else (frames.start, frames.stop)
    for c in chapters(timeline):
        shown = [s for s in timeline.steps[c.first_step : c.last_step + 1]
                 if s.first_frame < hi and s.first_frame + s.n_frames > lo]  # fmt: skip
        if not shown:
            continue
        out += [f"## {c.title}", ""]
        for s in shown:
            start = _clock(max(s.first_frame, lo) - lo, fps, ".")
            text = " - ".join(t for t in s.card if t) if s.card else s.caption
            out.append(f"- **{start}** (step {s.index}, {s.n_frames / fps:.1f} s): {text}")
            numbers = [f"`{k} = {_number(v)}`" for k, v in s.values.items()] if values else []
            if numbers:
                out.append("  " + ", ".join(numbers[:24]) + (" ..." if len(numbers) > 24 else ""))
        out.append("")
    return "\n".join(out)


def _number(v: float) -> str:
    return "null" if not np.isfinite(v) else f"{v:.10g}"
