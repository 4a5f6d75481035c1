"""How fast nnviz3d renders on this machine, against the encoder alone and matplotlib.

    python benchmarks/render_bench.py                # everything, medians of 3 (about an hour
                                                     # on a 2-core laptop without a GPU)
    python benchmarks/render_bench.py --quick        # a smoke run: small sizes, 1 repeat
    python benchmarks/render_bench.py --only default_720p,first_frame

Every end-to-end figure runs the real command line in a fresh process (interpreter start,
training, timeline, rendering, encoding, the final join), so it is what a user waits for;
its peak memory comes from the kernel's accounting of that process (``wait4``). The
sample figures (anti-aliasing modes, encoder presets, the encoder-only ceiling, the
matplotlib reference) use the same frames of the default video in this process, so they
compare like with like. Results are printed as a table and written as JSON.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python benchmarks/render_bench.py` from anywhere

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

from nnviz3d.encode import Mp4Writer  # noqa: E402
from nnviz3d.pipeline import FrameSource, encode_frames, prepare  # noqa: E402
from nnviz3d.scene import Scene, load_scene  # noqa: E402

#: targets on a 2-core machine without a GPU: issue 5's, raised by issue 12's
TARGETS = {
    "rtf_720p": 2.0,
    "rtf_1080p": 0.5,
    "vs_matplotlib": 8.0,
    "vs_matplotlib_per_drawn_frame": 4.0,
    "of_encoder_ceiling": 0.5,
    "draft_speedup": 5.0,
    "first_frame_s": 1.0,
    "big_network_fps": 5.0,
    "peak_rss_mb": 400.0,
}


#: a small process between us and the command: a child forked from this (large) process
#: would count our pages in its peak RSS until it execs, so the reaper, small itself, forks
#: the command and reports that child's own peak (wait4) in the file named by argv[1]
_REAPER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(args: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of one `nnviz3d` command in a fresh process;
    the peak RSS is the command's own."""
    with tempfile.TemporaryDirectory() as tmp:
        rss_file = Path(tmp) / "rss"
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", _REAPER, str(rss_file), sys.executable, "-m", "nnviz3d", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"nnviz3d {' '.join(args)} failed: {proc.stderr.strip()}")
        return wall, int(rss_file.read_text()) / 1024, proc.stdout


def median_of(repeats: int, once: Callable[[], dict]) -> dict:
    """Run ``once`` ``repeats`` times; every numeric field becomes its median, runs kept."""
    runs = [once() for _ in range(repeats)]
    first = runs[0]
    result = {
        k: statistics.median([r[k] for r in runs]) if isinstance(v, int | float) else v
        for k, v in first.items()
    }
    result["runs"] = runs
    return result


def default_video(
    width: int, height: int, repeats: int, folder: Path, jobs: int | str = "auto", extra=()
) -> dict:
    """The default scene end to end through the CLI (``--jobs auto`` is its default)."""
    _, timeline = prepare(_scene_as_cli(extra))  # the frame count the command will render
    frames = timeline.n_frames
    fps = timeline.fps

    def once() -> dict:
        out = folder / f"default_{width}x{height}.mp4"
        args = ["render", "--resolution", f"{width}x{height}", "--out", str(out), "--quiet"]
        wall, rss, _ = run_measured([*args, "--jobs", str(jobs), *extra])
        return {
            "frames": frames,
            "jobs": jobs,
            "video_seconds": frames / fps,
            "wall_seconds": wall,
            "fps": frames / wall,
            "real_time_factor": frames / fps / wall,
            "peak_rss_mb": rss,
            "bytes": out.stat().st_size,
        }

    return median_of(repeats, once)


def _scene_as_cli(extra) -> Scene:
    """The default scene as `nnviz3d render` changes it with ``extra`` (--epochs, --fps)."""
    from nnviz3d.cli import _parser, _scene

    return _scene(_parser().parse_args(["render", *extra]))


def sample_frames(timeline, width, height, antialias: str, frames: range) -> tuple[list, float]:
    """The pixels of ``frames`` (held frames share one array) and the render-only seconds."""
    source = FrameSource(timeline, width, height, "dark", antialias)
    start = time.perf_counter()
    pixels = []
    try:
        for f in frames:
            pixels.append(source.pixels(f))  # a held frame is the same array again
    finally:
        source.close()
    return pixels, time.perf_counter() - start


def pipeline_on(timeline, width, height, antialias, frames: range, folder: Path, preset="veryfast") -> dict:
    """Render and encode ``frames`` exactly as a render does (one process)."""
    source = FrameSource(timeline, width, height, "dark", antialias)
    start = time.perf_counter()
    try:
        encode_frames(source, frames, folder / "sample.mp4", preset=preset)
    finally:
        source.close()
    wall = time.perf_counter() - start
    return {"frames": len(frames), "drawn": source.drawn, "wall_seconds": wall, "fps": len(frames) / wall}


def encoder_only(pixels: list, width, height, fps, folder: Path, preset="veryfast") -> dict:
    """The same frames, already in memory, through the same encoder settings: the ceiling.
    A held frame is the same array again, and is skipped as a render skips it."""
    start = time.perf_counter()
    repeats = [i > 0 and image is pixels[i - 1] for i, image in enumerate(pixels)]
    with Mp4Writer(folder / "encoder_only.mp4", width, height, fps, preset=preset, repeats=repeats) as writer:
        for image in pixels:
            writer.write(image)
    wall = time.perf_counter() - start
    size = (folder / "encoder_only.mp4").stat().st_size
    return {"frames": len(pixels), "wall_seconds": wall, "fps": len(pixels) / wall, "bytes": size}


def matplotlib_reference(timeline, width, height, frames: range, folder: Path) -> dict:
    from benchmarks.mpl_reference import render_reference

    start = time.perf_counter()
    n = render_reference(timeline, folder / "matplotlib.mp4", width, height, frames)
    wall = time.perf_counter() - start
    return {"frames": n, "wall_seconds": wall, "fps": n / wall}


def _write_idx(path: Path, array: np.ndarray) -> None:
    codes = {np.dtype(np.uint8): 0x08}
    header = bytes([0, 0, codes[array.dtype], array.ndim])
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + dims + array.tobytes())


def big_network(width, height, repeats: int, folder: Path, n_frames: int) -> dict:
    """The seed-001 shape (784-50-100-10) on random 28x28 images, the shipped drawing."""
    rng = np.random.default_rng(0)
    data = folder / "mnist"
    data.mkdir(exist_ok=True)
    _write_idx(data / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (1000, 28, 28), dtype=np.uint8))
    _write_idx(data / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, 1000).astype(np.uint8))
    _write_idx(data / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (100, 28, 28), dtype=np.uint8))
    _write_idx(data / "t10k-labels-idx1-ubyte.gz", rng.integers(0, 10, 100).astype(np.uint8))
    scene = load_scene(ROOT / "scenes" / "mnist.toml", str(data))
    _, timeline = prepare(scene)
    frames = range(min(n_frames, timeline.n_frames))

    def once() -> dict:
        r = pipeline_on(timeline, width, height, scene.render.antialias, frames, folder)
        r["drawn_per_second"] = r["drawn"] / r["wall_seconds"]
        return r

    result = median_of(repeats, once)
    layers = scene.network.layers
    result["weights"] = int(sum(a * b for a, b in itertools.pairwise(layers)))
    return result


def first_frame(repeats: int, folder: Path) -> dict:
    """``nnviz3d frame --step 5`` in a fresh process: cold (an empty trace cache, so the
    60000 iterations are trained) and warm (the trace loaded, as on every later run).

    Bytecode is compiled first, as ``pip install`` does and as any run writes it: where
    PYTHONDONTWRITEBYTECODE is set (stop 27's machine sets it), an editable install was
    compiled again on every run, 0.2-0.3 s of a 1.3 s first frame no user waits for."""
    import compileall

    compileall.compile_dir(str(ROOT / "nnviz3d"), quiet=1)
    cache = folder / "cache"

    def once(fresh: bool) -> dict:
        if fresh and cache.exists():
            import shutil

            shutil.rmtree(cache)
        os.environ["XDG_CACHE_HOME"] = str(cache)
        try:
            wall, rss, _ = run_measured(["frame", "--step", "5", "--out", str(folder / "first.png")])
        finally:
            del os.environ["XDG_CACHE_HOME"]
        return {"wall_seconds": wall, "peak_rss_mb": rss}

    cold = median_of(repeats, lambda: once(True))
    warm = median_of(repeats, lambda: once(False))
    return {**warm, "cold_wall_seconds": cold["wall_seconds"]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="small sizes and 1 repeat (a smoke run)")
    p.add_argument("--only", help="comma-separated section names")
    p.add_argument("--json", default=str(ROOT / "benchmarks" / "results.json"), help="where to write")
    args = p.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    hd, fhd = ((320, 180), (480, 270)) if args.quick else ((1280, 720), (1920, 1080))
    sample = range(120) if args.quick else range(900)
    only = set(args.only.split(",")) if args.only else None
    results: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu": _cpu_name(),
        },
        "repeats": repeats,
        "targets": TARGETS,
    }

    def want(name: str) -> bool:
        return only is None or name in only

    with tempfile.TemporaryDirectory(prefix="nnviz3d-bench-") as tmp:
        folder = Path(tmp)
        _, timeline = prepare(load_scene())
        sections: list[tuple[str, Callable[[], dict]]] = [
            ("default_720p", lambda: default_video(*hd, repeats, folder)),
            ("default_1080p", lambda: default_video(*fhd, repeats, folder)),
            ("default_720p_jobs1", lambda: default_video(*hd, repeats, folder, jobs=1)),
        ]
        for aa in ("fxaa", "msaa", "none"):
            once = lambda aa=aa: pipeline_on(timeline, *hd, aa, sample, folder)  # noqa: E731
            sections.append((f"sample_720p_{aa}", _repeat(repeats, once)))
        sections.append(("sample_720p_encoder_only", lambda: _ceiling(timeline, hd, sample, folder, repeats)))
        sections.append(
            ("sample_720p_matplotlib",
             _repeat(repeats, lambda: matplotlib_reference(timeline, *hd, sample, folder)))
        )  # fmt: skip
        sections.append(("big_network_720p", lambda: big_network(*hd, repeats, folder, len(sample))))
        longer = ("--epochs", "1-3,1998-2000", "--fps", "5")
        ten_x = ("--epochs", "1-45,1956-2000", "--fps", "5", "--yes")  # 10.1x the frames, 39 min
        small = (320, 180)
        draft = ("-q", "draft")  # 640x360, 15 fps, no anti-aliasing
        sections.append(("default_draft", lambda: default_video(640, 360, repeats, folder, extra=draft)))
        sections.append(("memory_1x_small", lambda: default_video(*small, 1, folder, extra=longer)))
        sections.append(("memory_10x_small", lambda: default_video(*small, 1, folder, extra=ten_x)))
        sections.append(("first_frame", lambda: first_frame(repeats, folder)))
        for name, measure in sections:
            if not want(name):
                continue
            print(f"... {name}", file=sys.stderr, flush=True)
            results[name] = measure()
            print(f"    {_brief(results[name])}", file=sys.stderr, flush=True)
            _save(results, Path(args.json))  # an hour of work is not lost to a late failure

    results = _save(results, Path(args.json))
    print(table(results))
    print(f"\nwritten to {args.json}")
    return 0


def _save(results: dict, path: Path) -> dict:
    """Write ``results`` merged over what ``path`` holds (so ``--only`` re-measures a part)."""
    merged = json.loads(path.read_text()) if path.exists() else {}
    merged.update(results)
    merged["summary"] = summarise(merged)
    path.write_text(json.dumps(merged, indent=1) + "\n")
    return merged


def _repeat(repeats: int, once: Callable[[], dict]) -> Callable[[], dict]:
    return lambda: median_of(repeats, once)


def _ceiling(timeline, size, sample, folder, repeats) -> dict:
    pixels, render_seconds = sample_frames(timeline, *size, "fxaa", sample)
    result = {}
    for preset in ("veryfast", "ultrafast", "medium"):
        result[preset] = median_of(repeats, lambda p=preset: encoder_only(pixels, *size, 30, folder, p))
    result["render_only_fps"] = len(pixels) / render_seconds
    return result


def summarise(r: dict) -> dict:
    """The figures the targets are about, each with its target and whether it is met."""
    s: dict = {}

    def put(key: str, value: float | None, target: float, higher_is_better: bool = True) -> None:
        if value is None:
            return
        met = value >= target if higher_is_better else value <= target
        s[key] = {"value": round(value, 3), "target": target, "met": met}

    get = lambda *keys: _dig(r, keys)  # noqa: E731
    put("rtf_720p", get("default_720p", "real_time_factor"), TARGETS["rtf_720p"])
    put("rtf_720p_one_process", get("default_720p_jobs1", "real_time_factor"), TARGETS["rtf_720p"])
    put("rtf_1080p", get("default_1080p", "real_time_factor"), TARGETS["rtf_1080p"])
    ours, mpl = get("sample_720p_fxaa", "fps"), get("sample_720p_matplotlib", "fps")
    if ours and mpl:
        put("vs_matplotlib", ours / mpl, TARGETS["vs_matplotlib"])
        drawn, frames = get("sample_720p_fxaa", "drawn"), get("sample_720p_fxaa", "frames")
        if drawn and frames:  # the reference redraws every frame; we draw only the changing ones
            put("vs_matplotlib_per_drawn_frame", ours * drawn / frames / mpl,
                TARGETS["vs_matplotlib_per_drawn_frame"])  # fmt: skip
    full, draft = get("default_720p", "wall_seconds"), get("default_draft", "wall_seconds")
    if full and draft:
        put("draft_speedup", full / draft, TARGETS["draft_speedup"])
    put("first_frame_s", get("first_frame", "wall_seconds"), TARGETS["first_frame_s"], higher_is_better=False)
    ceiling = get("sample_720p_encoder_only", "veryfast", "fps")
    if ours and ceiling:
        put("of_encoder_ceiling", ours / ceiling, TARGETS["of_encoder_ceiling"])
    put("big_network_fps", get("big_network_720p", "fps"), TARGETS["big_network_fps"])
    put("peak_rss_mb", get("default_720p", "peak_rss_mb"), TARGETS["peak_rss_mb"], higher_is_better=False)
    one, ten = get("memory_1x_small", "peak_rss_mb"), get("memory_10x_small", "peak_rss_mb")
    if one and ten:
        put("rss_10x_over_1x", ten / one, 1.1, higher_is_better=False)
    return s


def _dig(d: dict, keys) -> float | None:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _brief(d: dict) -> str:
    return ", ".join(f"{k} {v:.3g}" for k, v in d.items() if isinstance(v, int | float))


def table(r: dict) -> str:
    rows = [("measurement", "frames", "wall s", "frames/s", "x real time", "peak RSS MB")]
    for name, v in r.items():
        if not isinstance(v, dict) or "wall_seconds" not in v:
            continue
        rows.append(
            (
                name,
                str(v.get("frames", "")),
                f"{v['wall_seconds']:.1f}",
                f"{v['fps']:.1f}" if "fps" in v else "",
                f"{v['real_time_factor']:.2f}" if "real_time_factor" in v else "",
                f"{v['peak_rss_mb']:.0f}" if "peak_rss_mb" in v else "",
            )
        )
    ceiling = r.get("sample_720p_encoder_only")
    if ceiling:
        for preset in ("veryfast", "ultrafast", "medium"):
            c = ceiling[preset]
            rows.append((f"encoder only ({preset})", str(c["frames"]), f"{c['wall_seconds']:.1f}",
                         f"{c['fps']:.1f}", "", ""))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.append("")
    for key, v in r.get("summary", {}).items():
        lines.append(f"{key}: {v['value']} (target {v['target']}): {'met' if v['met'] else 'NOT met'}")
    return "\n".join(lines)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    sys.exit(main())
