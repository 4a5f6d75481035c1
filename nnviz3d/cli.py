"""``nnviz3d render | frame | steps | inspect | train``: the command line (a stable contract).

Bad input ends with one line on stderr naming what is wrong and exit status 2; Ctrl-C
ends with 130 and SIGTERM with 143, each leaving nothing half-written behind.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnviz3d.errors import UserError
from nnviz3d.offscreen import ensure_offscreen
from nnviz3d.outputs import PNG_COMPRESSION, PRESETS
from nnviz3d.recorder import Trace, UpdateRecord, train
from nnviz3d.scene import ANTIALIAS, SCREEN_LAYOUTS, Scene, configured, load_scene
from nnviz3d.text import LANGUAGES

if TYPE_CHECKING:
    from nnviz3d.pipeline import Video

EXIT_USAGE = 2
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


class Terminated(BaseException):
    """SIGTERM arrived; unwinds like KeyboardInterrupt so every cleanup runs."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        print(f"nnviz3d: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="nnviz3d", description="Render the training of a small neural network in 3D.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, help_text: str, trace: bool = True) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_text)
        c.add_argument("scene", nargs="?", help="scene file (TOML); default: the built-in iamtrask scene")
        c.add_argument("--data-dir", help="folder of the MNIST idx files (overrides [data] dir)")
        if trace:
            c.add_argument(
                "--trace",
                help="a recorded training run (.npz, from 'nnviz3d train' or a recorder) instead of a scene",
            )
        return c

    def video_options(c: argparse.ArgumentParser, picture: bool = True) -> None:
        """What shapes the video; ``picture`` adds what only changes its pixels."""
        c.add_argument(
            "--epochs", help="exactly these epochs, e.g. 1-3,1998-2000, no epilogue (default: the scene's)"
        )
        c.add_argument(
            "--epilogue",
            action="store_true",
            help="end with log-spaced iterations up to the last and a summary, even with --epochs",
        )
        c.add_argument("--fps", type=int, help="frames per second (default: the scene's, 30)")
        c.add_argument("--lang", choices=LANGUAGES, help="caption language (default: the scene's, en)")
        c.add_argument("--yes", action="store_true", help="go ahead even beyond 30 minutes of video")
        c.add_argument(
            "--layout",
            choices=SCREEN_LAYOUTS,
            help="hall: the network and its numbers; lecture (default): and a few panels; study: every panel",
        )
        c.add_argument(
            "-q",
            "--quality",
            choices=tuple(PRESETS),
            help="draft (640x360, 15 fps, no anti-aliasing), low (854x480), high (1920x1080) or 4k "
            "(3840x2160); --resolution, --fps and --antialias still win",
        )
        if picture:
            c.add_argument("--resolution", help="WIDTHxHEIGHT, even sides (default: the scene's)")
            c.add_argument("--theme", choices=("dark", "light"), help="colour theme")
            c.add_argument("--font", help="font file for all text (Japanese needs CJK glyphs)")
            c.add_argument("--mono-font", help="monospaced font file for code and tables (with CJK glyphs)")
            c.add_argument(
                "--antialias", choices=ANTIALIAS, help="anti-aliasing (default: the scene's, fxaa)"
            )

    r = command("render", "render the animation to an MP4 (or WebM, GIF, a folder of PNGs)")
    video_options(r)
    r.add_argument(
        "--out", help="output .mp4, .webm or .gif, or a folder for --format png (default: the scene's)"
    )
    r.add_argument("--format", help="mp4, webm, gif or png (default: what --out's extension names)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument(
        "--jobs",
        type=_jobs,
        default="auto",
        help="render processes, or auto: one per CPU, at most 8 (the video is the same for any number)",
    )
    r.add_argument(
        "--dask",
        help="render on a Dask cluster: local[:N] (N worker processes here) or tcp://HOST:PORT (a scheduler)",
    )
    clip = r.add_mutually_exclusive_group()
    clip.add_argument("--steps", help="only these steps, e.g. 34-41 (indices as 'steps' lists them)")
    clip.add_argument("--chapter", help="only this chapter, e.g. 1-backward ('chapters' lists them)")
    r.add_argument(
        "--subtitles",
        nargs="?",
        const="",
        help="write .srt and .vtt beside the video (and a subtitle track into an MP4): in --lang, "
        "or 'all' for every language",
    )
    r.add_argument("--script", action="store_true", help="write a Markdown narration script beside it")
    r.add_argument("--gif-width", type=int, default=640, help="a GIF's largest width (default 640)")

    f = command("frame", "render one frame of the video to a PNG, exactly as 'render' draws it")
    video_options(f)
    which = f.add_mutually_exclusive_group(required=True)
    which.add_argument("--frame", type=int, help="frame index (from 0), as in the video")
    which.add_argument(
        "--step",
        type=int,
        help="step index (see 'steps'): its last frame. In a [compare] scene's split screen every "
        "run has the same steps on the same frames, so a step is the same moment in every tile",
    )
    f.add_argument("--out", required=True, help="output .png")

    rm = sub.add_parser("render-many", help="render several scenes in several languages, one training each")
    rm.add_argument("scenes", nargs="+", help="scene files (TOML)")
    rm.add_argument("--lang", default="en", help="languages, comma-separated: en,ja (default en)")
    rm.add_argument("--out-dir", default="renders", help="the videos' folder (default renders)")
    rm.add_argument("--format", default="mp4", choices=("mp4", "webm", "gif"), help="default mp4")
    rm.add_argument("-q", "--quality", choices=tuple(PRESETS), help="as for render")
    rm.add_argument("--layout", choices=SCREEN_LAYOUTS, help="as for render")
    rm.add_argument("--dask", help="local[:N] or tcp://HOST:PORT: one cluster renders every video")
    rm.add_argument("--jobs", type=_jobs, default="auto", help="render processes (or auto), without --dask")
    rm.add_argument("--quiet", action="store_true", help="no progress bars")
    rm.add_argument("--data-dir", help="folder of the MNIST idx files")
    rm.add_argument("--yes", action="store_true", help="go ahead even beyond 30 minutes of video")

    sl = command("slides", "a folder with index.html: the video paused at each step, for a clicker")
    video_options(sl)
    sl.add_argument("--out", required=True, help="output folder (made whole, or an earlier one replaced)")
    sl.add_argument("--quiet", action="store_true", help="no progress bar")
    sl.add_argument("--jobs", type=_jobs, default="auto", help="render processes, or auto")

    sh = command("sheet", "a contact sheet: each step's last frame with its caption (.pdf or .png)")
    video_options(sh)
    sh.add_argument("--out", required=True, help="output .pdf (A4 pages) or .png (one long page)")

    ch = command("chapters", "list the video's chapters (the names --chapter takes)")
    video_options(ch, picture=False)
    ch.add_argument("--json", action="store_true", help="JSON instead of a table")

    s = command("steps", "list the video's steps (and, for a [compare] scene, the tiled runs)")
    video_options(s, picture=False)
    s.add_argument("--json", action="store_true", help="JSON instead of a table")

    t = command("train", "train a scene's network and save the trace that render --trace reads", trace=False)
    t.add_argument("--out", required=True, help="output trace (.npz)")
    t.add_argument(
        "--epochs",
        help="keep exactly these epochs whole, e.g. 1-3,1998-2000, no epilogue (default: the scene's)",
    )
    t.add_argument(
        "--epilogue", action="store_true", help="keep the epilogue's epochs whole too, even with --epochs"
    )

    c = command("compare", "train the [compare] runs side by side and summarise them", trace=False)
    c.add_argument("--json", action="store_true", help="JSON instead of a table")

    i = command("inspect", "every number of one update, as JSON")
    i.add_argument("--epoch", type=int, required=True, help="epoch (from 1, as in the seed)")
    i.add_argument(
        "--run",
        type=int,
        default=1,
        help="[compare] scenes: which run of the split screen, from 1 in the order 'steps' lists "
        "them (default 1: the scene's own weights, 'as given')",
    )
    i.add_argument("--batch", type=int, default=1, help="batch within the epoch (from 1)")
    i.add_argument("--json", action="store_true", help="JSON (the default output is a summary)")
    i.add_argument(
        "--gradcheck", action="store_true", help="compare every gradient with a central difference"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        try:
            args = _parser().parse_args(argv)
        except SystemExit as exc:  # --help, or a usage error already printed
            return int(exc.code or 0)
        return {
            "render": cmd_render,
            "frame": cmd_frame,
            "steps": cmd_steps,
            "inspect": cmd_inspect,
            "compare": cmd_compare,
            "train": cmd_train,
            "chapters": cmd_chapters,
            "slides": cmd_slides,
            "sheet": cmd_sheet,
            "render-many": cmd_render_many,
        }[args.command](args)
    except UserError as exc:
        print(f"nnviz3d: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `nnviz3d steps | head`: the reader left, that is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("nnviz3d: interrupted; nothing was written", file=sys.stderr)
        return EXIT_SIGINT
    except Terminated:
        print("nnviz3d: terminated; nothing was written", file=sys.stderr)
        return EXIT_SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def _scene(args: argparse.Namespace) -> Scene:
    if getattr(args, "trace", None):
        from nnviz3d.scene import scene_from_trace
        from nnviz3d.tracefile import load_trace

        if args.scene:
            raise UserError(f"give a scene file or --trace, not both ({args.scene}, --trace {args.trace})")
        scene = scene_from_trace(*load_trace(args.trace), args.trace)
    else:
        scene = load_scene(args.scene, getattr(args, "data_dir", None))
    given = {key: getattr(args, key, None) for key in ("fps", "resolution", "theme", "lang", "antialias",
                                                        "layout", "font", "mono_font", "epochs")}  # fmt: skip
    preset = PRESETS.get(getattr(args, "quality", None) or "")
    if preset is not None:  # what is given explicitly wins over the preset
        given["resolution"] = given["resolution"] or preset.resolution
        given["fps"] = given["fps"] or preset.fps
        given["antialias"] = given["antialias"] or preset.antialias
    return configured(scene, "--", **given, epilogue=bool(getattr(args, "epilogue", False)))


def _warn_if_diverged(trace: Trace, run: str | None = None) -> None:
    """One line, then carry on: a blow-up is rendered, not refused."""
    if trace.diverged_at is not None:
        which = f" (run {run!r})" if run else ""
        print(
            f"nnviz3d: warning: training{which} diverged at epoch {trace.diverged_at} (values became NaN or "
            "infinite); they are shown as nan/inf and drawn at their size limits. "
            "Lower [network] learning_rate to avoid it",
            file=sys.stderr,
        )


def cmd_render(args: argparse.Namespace) -> int:
    from nnviz3d import chapters as story
    from nnviz3d.outputs import check_target, output_format, side_file
    from nnviz3d.pipeline import Output, check_size

    ensure_offscreen()  # before any work: no EGL would otherwise end in a segfault
    scene = _scene(args)
    if args.out:
        out = Path(args.out)
    else:  # the scene's output, named for the format asked for
        out = Path(scene.render.output)
        if args.format:
            out = out.with_suffix("" if args.format == "png" else f".{args.format}")
    fmt = output_format(out, args.format)
    check_target(out, fmt, create_parent=args.out is None)
    if args.subtitles not in (None, "", "all"):
        raise UserError(f"--subtitles: give no value (the --lang) or 'all', got {args.subtitles!r}")
    if not 16 <= args.gif_width <= 3840:
        raise UserError(f"--gif-width: must be between 16 and 3840, got {args.gif_width}")
    if args.dask is not None:
        from nnviz3d.farm import parse_address

        parse_address(args.dask)
        if fmt == "png":
            raise UserError("--dask: renders mp4, webm or gif, not a folder of frames")
    check_size(scene, args.yes)
    video = _video(scene)
    tl = video.timeline
    frames = None
    if args.steps:
        a, b = story.parse_step_range(args.steps, tl)
        frames = range(tl.steps[a].first_frame, tl.steps[b].first_frame + tl.steps[b].n_frames)
    elif args.chapter:
        c = story.find_chapter(tl, args.chapter)
        frames = range(c.start_frame, c.end_frame)
    langs = [] if args.subtitles is None else _subtitle_langs(scene, args.subtitles)
    trained = {scene.path: video.traces[0]}  # another language's captions: the same trace
    timelines = {tl.lang: tl}
    for lang in langs:
        if lang not in timelines:
            in_lang = replace(scene, render=replace(scene.render, lang=lang))
            timelines[lang] = _timelines_in(in_lang, trained)[0]
    subtitles = tuple((lang, story.srt(timelines[lang], frames)) for lang in langs)
    chapters = story.ffmetadata(tl, frames) if fmt in ("mp4", "webm") else None
    stats = _render(list(video.timelines), scene, out, args, dask=args.dask,
                    output=Output(fmt, frames, chapters, subtitles, args.gif_width))  # fmt: skip
    written = []
    for lang in langs:
        for suffix, text in (
            (".srt", story.srt(timelines[lang], frames)),
            (".vtt", story.vtt(timelines[lang], frames)),
        ):
            written.append(_write_text(side_file(out, f".{lang}{suffix}"), text))
    if args.script:
        written.append(_write_text(side_file(out, f".{tl.lang}.md"), story.script(tl, frames)))
    print(stats.summary(out))
    for path in written:
        print(f"{path}: written")
    return 0


def _jobs(value: str) -> int | str:
    """--jobs: 1 to 64 processes, or ``auto`` (resolved by ``render_video``); checked as
    the command line is read, before any output folder is made."""
    if value == "auto":
        return value
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number or auto, got {value!r}") from None
    if not 1 <= jobs <= 64:
        raise argparse.ArgumentTypeError(f"must be between 1 and 64, or auto, got {jobs}")
    return jobs


def _render(timelines: list, scene: Scene, out: Path, args: argparse.Namespace, **options):
    """``render_video`` with the scene's picture settings and the command's --jobs and
    --quiet: one timeline, or a split screen's several."""
    from nnviz3d.pipeline import render_video

    st = scene.render
    return render_video(
        timelines if len(timelines) > 1 else timelines[0], out, st.width, st.height, st.theme,
        st.antialias, progress=False if args.quiet else None, jobs=args.jobs, **options,
    )  # fmt: skip


def _subtitle_langs(scene: Scene, value: str) -> list[str]:
    return list(LANGUAGES) if value == "all" else [scene.render.lang]


def _write_text(path: Path, text: str) -> Path:
    """A text file that appears whole or not at all."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def cmd_render_many(args: argparse.Namespace) -> int:
    """Every scene trained once; each language's video built from that one trace; all
    rendered on one cluster (or one machine)."""
    from nnviz3d.chapters import ffmetadata
    from nnviz3d.farm import dask_client, parse_address
    from nnviz3d.outputs import check_target
    from nnviz3d.pipeline import Output, check_size

    ensure_offscreen()
    langs = [x.strip() for x in args.lang.split(",") if x.strip()]
    bad = [x for x in langs if x not in LANGUAGES]
    if bad or not langs:
        raise UserError(f"--lang: {', '.join(bad) or 'nothing'} is not one of {', '.join(LANGUAGES)}")
    if args.dask is not None:
        parse_address(args.dask)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plans = []
    for path in args.scenes:  # every scene and output checked before anything renders
        given = {**vars(args), "scene": path, "lang": None, "epochs": None, "epilogue": False}
        base = _scene(argparse.Namespace(**given))
        check_size(base, args.yes)
        for lang in langs:
            out = out_dir / f"{Path(path).stem}.{lang}.{args.format}"
            check_target(out, args.format)
            plans.append((base, lang, out))
    client = dask_client(args.dask) if args.dask else contextlib.nullcontext()
    with client as connected:
        trained: dict[str, tuple] = {}
        for base, lang, out in plans:
            scene = replace(base, render=replace(base.render, lang=lang))
            timelines = _timelines_in(scene, trained)
            chapters = ffmetadata(timelines[0]) if args.format != "gif" else None
            stats = _render(timelines, scene, out, args, dask=connected,
                            output=Output(args.format, chapters=chapters))  # fmt: skip
            print(stats.summary(out))
    return 0


def _timelines_in(scene: Scene, trained: dict) -> list:
    """The scene's timelines in its language, from one training per scene (a [compare]
    scene's runs are trained again for each language)."""
    from nnviz3d.pipeline import prepare_video, resolve_fonts
    from nnviz3d.timeline import build_timeline

    if scene.compare_round:
        return list(prepare_video(scene).timelines)
    key = scene.path
    if key not in trained:
        video = prepare_video(scene)
        trained[key] = video.traces[0]
        return [video.timeline]
    return [replace(build_timeline(scene, trained[key]), **resolve_fonts(scene))]


def cmd_slides(args: argparse.Namespace) -> int:
    import shutil
    import tempfile

    from nnviz3d.chapters import ffmetadata
    from nnviz3d.encode import place_folder
    from nnviz3d.pipeline import Output, check_size
    from nnviz3d.slides import check_slides_folder, slides_data, write_page

    ensure_offscreen()  # before any work: no EGL would otherwise end in a segfault
    scene = _scene(args)
    out = Path(args.out)
    check_slides_folder(out)
    check_size(scene, args.yes)
    video = _video(scene)
    tl = video.timeline
    try:
        folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent))
    except OSError as exc:
        raise UserError(f"cannot write beside {out}: {exc.strerror}") from None
    try:
        stats = _render(list(video.timelines), scene, folder / "video.mp4", args,
                        output=Output("mp4", chapters=ffmetadata(tl)))  # fmt: skip
        shown = {(s.epoch, s.batch or 1) for s in tl.steps if s.epoch is not None}
        inspect = {
            f"{e}.{b}": _finite(inspect_dict(u))
            for (e, b), u in video.traces[0].updates.items()
            if (e, b) in shown and u.inputs.size * max(w.size for w in u.weights_before) < 200_000
        }
        write_page(folder, slides_data(tl, step_rows(video), inspect), "video.mp4")
        place_folder(folder, out)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(stats.summary(out / "video.mp4"))
    print(f"{out / 'index.html'}: open it in a browser (arrow keys, space or a clicker step through)")
    return 0


def cmd_sheet(args: argparse.Namespace) -> int:
    from nnviz3d.outputs import check_target
    from nnviz3d.pipeline import check_size, resolve_font
    from nnviz3d.sheet import make_sheet, sheet_format

    ensure_offscreen()  # before any work: no EGL would otherwise end in a segfault
    scene = _scene(args)
    out = Path(args.out)
    check_target(out, sheet_format(out), folder=False)  # a .png sheet is one file
    check_size(scene, args.yes)
    video = _video(scene)
    source = video.source(scene)
    try:
        pages = make_sheet(video.timeline, source.pixels, out, resolve_font(scene))
    finally:
        source.close()
    print(f"{out}: {len(video.timeline.steps)} steps on {pages} page{'s' if pages > 1 else ''}")
    return 0


def _finite(value):
    """JSON has no NaN or infinity: null for a value not computed (a diverged run)."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def _print_json(rows) -> int:
    json.dump(rows, sys.stdout, indent=1)
    print()
    return 0


def cmd_chapters(args: argparse.Namespace) -> int:
    from nnviz3d.chapters import chapter_rows
    from nnviz3d.pipeline import check_size

    scene = _scene(args)
    check_size(scene, args.yes)
    rows = chapter_rows(_video(scene).timeline)
    if args.json:
        return _print_json(rows)
    print(f"{'name':<16} {'steps':>9} {'start':>8} {'end':>8}  title")
    for r in rows:
        steps = f"{r['first_step']}-{r['last_step']}"
        print(f"{r['name']:<16} {steps:>9} {r['start']:>8.2f} {r['end']:>8.2f}  {r['title']}")
    return 0


def _video(scene: Scene) -> Video:
    """What ``render`` draws (see :class:`nnviz3d.pipeline.Video`), divergence reported."""
    from nnviz3d.pipeline import prepare_video

    video = prepare_video(scene)
    for k, trace in enumerate(video.traces):
        _warn_if_diverged(trace, video.labels[k] if video.tiled else None)
    return video


def cmd_frame(args: argparse.Namespace) -> int:
    from PIL import Image  # (not imageio: its plugin search cost 55 ms of the first frame)

    from nnviz3d.encode import check_output_path
    from nnviz3d.pipeline import check_size

    ensure_offscreen()  # before any work: no EGL would otherwise end in a segfault
    scene = _scene(args)
    out = Path(args.out)
    check_output_path(out)
    check_size(scene, args.yes)
    video = _video(scene)
    frame = video.frame_of(frame=args.frame, step=args.step)
    source = video.source(scene)
    try:
        pixels = source.pixels(frame)
    finally:
        source.close()
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        Image.fromarray(pixels).save(tmp, format="PNG", compress_level=PNG_COMPRESSION)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    step = video.timeline.step_at(frame)
    tiled = f"; {len(video.timelines)} runs tiled, run 1's caption" if video.tiled else ""
    print(f"{out}: frame {frame} (step {step.index}{tiled}: {step.caption})")
    return 0


def step_rows(video: Video) -> list[dict]:
    """The video's steps as plain dicts (record and node count from 1, layer 0 = input).

    A split screen's steps are its first run's; each row then has ``runs``: every tiled
    run's label, tile, caption and values at that step (the same step of every run)."""
    timeline = video.timeline
    rows = []
    for s in timeline.steps:
        rows.append(
            {
                "index": s.index,
                "epoch": s.epoch,
                "batch": s.batch,
                "phase": s.phase,
                "kind": s.kind,
                "record": None if s.record is None else s.record + 1,
                "layer": s.layer,
                "node": None if s.node is None else s.node + 1,
                "caption": s.caption,
                "code": [timeline.code[i].strip() for i in s.code_lines],
                "first_frame": s.first_frame,
                "frame_count": s.n_frames,
                # JSON has no NaN: a value not computed (a diverged run, a loss not recorded) is null
                "values": {k: (v if np.isfinite(v) else None) for k, v in s.values.items()},
            }
        )
        if video.tiled:
            rows[-1]["runs"] = video.runs_at(s.index)
    return rows


def cmd_steps(args: argparse.Namespace) -> int:
    from nnviz3d.pipeline import check_size

    scene = _scene(args)
    check_size(scene, args.yes)
    video = _video(scene)
    timeline = video.timeline
    rows = step_rows(video)
    if args.json:
        return _print_json(rows)
    if video.tiled:
        print(video.describe_tiling())
    print(
        f"{'step':>5} {'epoch':>6} {'phase':<9} {'rec':>3} {'lay':>3} {'node':>4} "
        f"{'frame':>6} {'n':>4}  caption"
    )
    for r in rows:
        cells = [("" if r[k] is None else str(r[k])) for k in ("epoch", "record", "layer", "node")]
        print(
            f"{r['index']:>5} {cells[0]:>6} {r['phase']:<9} {cells[1]:>3} {cells[2]:>3} {cells[3]:>4} "
            f"{r['first_frame']:>6} {r['frame_count']:>4}  {r['caption']}"
        )
        for run in r.get("runs", [])[1:]:  # the other tiles, where their caption differs
            if run["caption"] != r["caption"]:
                print(f"{'':>42}{run['caption']}")
    tiled = f", {len(video.timelines)} runs tiled" if video.tiled else ""
    print(
        f"{len(rows)} steps, {timeline.n_frames} frames, {timeline.duration:.1f} s at {timeline.fps} fps"
        f"{tiled}"
    )
    return 0


def inspect_dict(u: UpdateRecord) -> dict:
    """Every number of one update; matrices as nested lists, weights (n_in, n_out)."""

    def m(xs):
        return None if xs is None else [np.asarray(x).tolist() for x in xs]

    return {
        "epoch": u.epoch,
        "batch": u.batch,
        "records": (u.record_indices + 1).tolist(),
        "inputs": u.inputs.tolist(),
        "targets": u.targets.tolist(),
        "weights_before": m(u.weights_before),
        "biases_before": m(u.biases_before),
        "preactivations": m(u.preactivations),
        "activations": m(u.activations),
        "loss": u.loss if np.isfinite(u.loss) else None,  # NaN: the recorder was not given it
        "mean_abs_error": u.mean_abs_error,
        "output_errors": u.output_errors.tolist(),
        "deltas": m(u.deltas),
        "weight_gradients": m(u.weight_gradients),
        "bias_gradients": m(u.bias_gradients),
        "weights_after": m(u.weights_after),
        "biases_after": m(u.biases_after),
    }


def cmd_train(args: argparse.Namespace) -> int:
    """Train the scene's network and save the trace: the epochs the video shows (and its
    epilogue's) whole, a summary of every epoch, and how the scene shows them."""
    from nnviz3d.encode import check_output_path
    from nnviz3d.timeline import recorded_epochs
    from nnviz3d.tracefile import save_trace

    scene = _scene(args)
    if scene.compare_round:
        raise UserError(
            f"{scene.path}: a [compare] scene trains several runs; 'train' records one scene's run"
        )
    out = Path(args.out)
    check_output_path(out)
    st = scene.render
    trace = train(scene.network, recorded_epochs(scene, st.epochs), st.batches)
    _warn_if_diverged(trace)
    video = {
        "title": scene.title,
        "init_scheme": scene.init_scheme,
        "epochs": list(st.epochs),
        "full": sorted(st.full),
        "epilogue": st.epilogue,
        "batches": None if st.batches is None else list(st.batches),
        "scene": scene.path,
    }
    save_trace(trace, out, video)
    held = sorted({e for e, _ in trace.updates})
    kept = f"{len(trace.updates)} updates kept whole (epochs {held})"
    print(f"{out}: {scene.network.epochs} epochs trained, {kept}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from nnviz3d.compare import comparison_runs

    scene = _scene(args)
    if not scene.compare_round:
        raise UserError(f"{scene.path}: no [compare] round = [...] runs to compare")
    runs = comparison_runs(scene)
    rows = [
        {"run": r.label, "decimals": r.decimals, "final_loss": r.final_loss,
         "final_accuracy": r.final_accuracy, "final_argmax": r.final_argmax}
        for r in runs
    ]  # fmt: skip
    if args.json:
        return _print_json(rows)
    print(f"after {scene.network.epochs} iterations:")
    for r in rows:
        print(f"  {r['run']:<24} loss {r['final_loss']:.6f}  accuracy {r['final_accuracy']:.2f}  "
              f"argmax {r['final_argmax']}")  # fmt: skip
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from nnviz3d.compare import select_run

    scene = _scene(args)
    run, spec = select_run(scene, args.run)
    if not 1 <= args.epoch <= spec.epochs:
        raise UserError(f"--epoch: {args.epoch} is outside 1..{spec.epochs}")
    if not 1 <= args.batch <= spec.n_batches:
        raise UserError(f"--batch: {args.batch} is outside 1..{spec.n_batches}")
    if scene.recorded is not None:  # --trace: the numbers as recorded
        trace = scene.recorded
        if (args.epoch, args.batch) not in trace.updates:
            held = sorted({e for e, _ in trace.updates})
            raise UserError(
                f"{args.trace}: epoch {args.epoch} batch {args.batch} is not held whole (epochs {held})"
            )
    else:
        trace = train(replace(spec, epochs=args.epoch), [args.epoch])
    _warn_if_diverged(trace, run)
    update = trace.updates[(args.epoch, args.batch)]
    which = f"run {args.run} ({run}), " if run else ""
    if args.gradcheck:
        from nnviz3d.gradcheck import gradient_check

        check = gradient_check(spec, update)
        print(
            f"gradient check, {which}epoch {args.epoch} batch {args.batch}: {check.n_params} parameters, "
            f"largest relative difference {check.max_relative:.2e} ({check.worst}), "
            f"largest absolute {check.max_absolute:.2e}"
        )
        return 0 if check.max_relative < 1e-4 else 1
    data = inspect_dict(update)
    if run:  # a [compare] scene: say which run these numbers are
        data = {"run": args.run, "label": run, **data}
    if args.json:
        return _print_json(data)
    with np.printoptions(precision=8, suppress=True):
        for key, value in data.items():
            if (
                isinstance(value, list)
                and value
                and isinstance(value[0], list)
                and key not in ("inputs", "targets")
            ):
                for k, v in enumerate(value):
                    print(f"{key}[{k}] =\n{np.array(v)}")
            elif key == "loss" and value is None:
                print("loss = null (not recorded: give it as h.loss)")
            else:
                print(f"{key} = {value if not isinstance(value, list) else np.array(value)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
