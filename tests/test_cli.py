"""The command line contracts: render, frame, steps, inspect, and clean failures."""

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nnviz3d.cli import main
from nnviz3d.pipeline import auto_jobs
from tests.test_render_encode import decode, packets

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--resolution", "256x144", "--fps", "4"]


def run(*args, cwd=None, **kw):
    return subprocess.run(
        [sys.executable, "-m", "nnviz3d", *args], capture_output=True, text=True, cwd=cwd, **kw
    )


def test_inspect_json_matches_seed_000(capsys):
    assert main(["inspect", "--epoch", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["epoch"] == 1 and data["batch"] == 1
    assert data["biases_before"] is None
    np.testing.assert_allclose(
        data["activations"][0][0], [0.44856632, 0.51939863, 0.45968497, 0.59156505], atol=1e-8
    )
    l2_delta = -np.array(data["deltas"][1]).ravel()
    np.testing.assert_allclose(l2_delta, [-0.11810546, 0.12769844, 0.11316304, -0.13508831], atol=1e-8)
    np.testing.assert_allclose(
        np.ravel(data["weights_after"][1]), [-0.59560936, 0.74954163, -0.95199413, 0.33638369], atol=1e-8
    )
    assert data["mean_abs_error"] == pytest.approx(0.4964100319, abs=1e-10)
    assert np.array(data["weights_before"][0]).shape == (3, 4)
    for key in (
        "inputs",
        "targets",
        "preactivations",
        "loss",
        "weight_gradients",
        "bias_gradients",
        "biases_after",
    ):
        assert key in data


def test_inspect_late_epoch(capsys):
    assert main(["inspect", "--epoch", "2000", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["mean_abs_error"] == pytest.approx(0.0241308819, abs=1e-9)


def test_steps_json_lists_the_timeline(capsys):
    assert main(["steps", "--epochs", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["kind"] == "title" and rows[1]["caption"].startswith("Initialise syn0")
    node = next(row for row in rows if row["kind"] == "node")
    assert (node["epoch"], node["record"], node["layer"], node["node"]) == (1, 1, 1, 1)
    assert node["code"] == ["l1 = nonlin(np.dot(l0,syn0))"]
    for a, b in itertools.pairwise(rows):
        assert b["first_frame"] == a["first_frame"] + a["frame_count"]


def test_compare_scene_commands_describe_the_split_screen(tmp_path, capsys):
    """steps, frame --step and inspect --run of xor_butterfly speak of the 2x2 video."""
    from nnviz3d.compare import comparison_timelines
    from nnviz3d.scene import load_scene

    scene = str(ROOT / "scenes" / "xor_butterfly.toml")
    timelines = comparison_timelines(load_scene(scene))
    assert main(["steps", scene]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "split screen of 4 runs, 2x2: 1 as given (top left), 2 rounded to 7 decimals (top right), "
        "3 rounded to 4 decimals (bottom left), 4 rounded to 3 decimals (bottom right)"
    )
    assert out[-1] == f"32 steps, {timelines[0].n_frames} frames, 18.5 s at 30 fps, 4 runs tiled"
    assert any(line.strip().startswith("rounded to 7 decimals: iteration 500, loss 0.8334") for line in out)
    assert main(["steps", scene, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len(timelines[0].steps) == 32
    last = rows[-1]
    labels = ["as given"] + [f"rounded to {d} decimals" for d in (7, 4, 3)]
    assert [r["label"] for r in last["runs"]] == labels
    assert [r["tile"] for r in last["runs"]] == ["top left", "top right", "bottom left", "bottom right"]
    assert [r["caption"] for r in last["runs"]] == [t.steps[-1].caption for t in timelines]
    assert last["caption"] == last["runs"][0]["caption"]
    assert last["runs"][1]["values"]["loss"] == pytest.approx(0.833443, abs=1e-6)
    # --step N is the last frame of step N, the same in every tile
    png = tmp_path / "s.png"
    assert main(["frame", scene, "--resolution", "320x180", "--step", "31", "--out", str(png)]) == 0
    assert f"frame {timelines[0].n_frames - 1} (step 31; 4 runs tiled" in capsys.readouterr().out
    assert main(["frame", scene, "--step", "32", "--out", str(png)]) == 2
    assert "--step: 32 is outside 0..31" in capsys.readouterr().err
    # the split screen has no --epochs: it would silently mean nothing
    assert main(["steps", scene, "--epochs", "1-3"]) == 2
    assert "--epochs: a [compare] scene" in capsys.readouterr().err
    # inspect: run 1 (as given) by default, --run N for the others
    assert main(["inspect", scene, "--epoch", "1", "--json"]) == 0
    given = json.loads(capsys.readouterr().out)
    assert (given["run"], given["label"]) == (1, "as given")
    assert main(["inspect", scene, "--epoch", "1", "--run", "4", "--json"]) == 0
    third = json.loads(capsys.readouterr().out)
    assert third["label"] == "rounded to 3 decimals"
    np.testing.assert_array_equal(third["weights_before"][0], np.round(given["weights_before"][0], 3))
    assert main(["inspect", scene, "--epoch", "1", "--run", "5"]) == 2
    assert "--run: 5 is outside 1..4 (1 as given, 2 rounded to 7 decimals" in capsys.readouterr().err
    assert main(["inspect", "--epoch", "1", "--run", "2"]) == 2
    assert "has one run" in capsys.readouterr().err


def test_steps_table(capsys):
    assert main(["steps", "scenes/handcalc_322.toml"]) == 0
    out = capsys.readouterr().out
    assert "Initialise syn0 (3x2)" in out and out.strip().splitlines()[-1].endswith("fps")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["render", "--epochs", "0-2"], "--epochs"),
        (["render", "--epochs", "59999-60001"], "beyond the 60000 epochs"),
        (["render", "--resolution", "641x480"], "odd side"),
        (["render", "--fps", "0"], "--fps"),
        (["render", "--out", "/no/such/folder/v.mp4"], "does not exist"),
        (["render", "missing.toml"], "scene file not found"),
        (["frame", "--step", "99999", "--out", "x.png"], "--step"),
        (["inspect", "--epoch", "0"], "--epoch"),
        (["render", "--bogus"], "unrecognized arguments"),
        (["render", "--jobs", "many"], "argument --jobs: a number or auto, got 'many'"),
        (["render", "--jobs", "0"], "argument --jobs: must be between 1 and 64, or auto, got 0"),
        (["slides", "--jobs", "99", "--out", "s"], "argument --jobs: must be between 1 and 64"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
    assert list(tmp_path.iterdir()) == []


def test_malformed_scene_file_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        (ROOT / "scenes" / "iamtrask.toml").read_text().replace("layers = [3, 4, 1]", "layers = [3, 4]")
    )
    assert main(["render", str(bad), "--out", str(tmp_path / "v.mp4")]) == 2
    err = capsys.readouterr().err
    assert "[network] activations" in err and "Traceback" not in err
    assert not (tmp_path / "v.mp4").exists()


def test_render_end_to_end_from_any_directory(tmp_path):
    """The default scene ships in the package; the default output is renders/iamtrask.mp4."""
    r = run("render", "--epochs", "1", *SMALL, "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "renders" / "iamtrask.mp4"
    w, h, stream, frames = decode(out)
    assert (w, h) == (256, 144) and "h264" in stream and "yuv420p" in stream
    steps = run("steps", "--epochs", "1", "--fps", "4", "--json", cwd=tmp_path)
    rows = json.loads(steps.stdout)
    assert len(frames) == rows[-1]["first_frame"] + rows[-1]["frame_count"]
    assert f"{len(frames)} frames" in r.stdout and "frames/s" in r.stdout
    assert sorted(p.name for p in out.parent.iterdir()) == ["iamtrask.mp4"]


def test_frame_png_equals_the_video_frame(tmp_path, capsys):
    """`nnviz3d frame --frame K` is frame K of the video `nnviz3d render` writes with the
    same settings: equal up to H.264's loss, and much closer than the frame before K or a
    frame of another step (so a shifted or wrongly drawn video fails)."""
    import imageio.v3 as iio

    settings = ["--epochs", "1", "--resolution", "320x180", "--fps", "4"]
    video = tmp_path / "v.mp4"
    r = run("render", *settings, "--out", str(video), "--quiet")
    assert r.returncode == 0, r.stderr
    _, _, _, frames = decode(video)
    assert main(["steps", "--epochs", "1", "--fps", "4", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(frames) == rows[-1]["first_frame"] + rows[-1]["frame_count"]
    # K: the first frame of record 2's hidden node 1 (its tween starts: K-1 differs from it;
    # record 1's nodes move slowly, the first example, so their first frames differ little)
    node = next(row for row in rows if row["kind"] == "node" and row["record"] == 2)
    k = node["first_frame"]
    png = tmp_path / "f.png"
    r = run("frame", *settings, "--frame", str(k), "--out", str(png))
    assert r.returncode == 0, r.stderr
    a = iio.imread(png).astype(float)
    assert a.shape == (180, 320, 3)

    mad = np.abs(frames.astype(float) - a).mean(axis=(1, 2, 3))  # to every video frame, 0..255
    # measured here: 2.27 at K (at most 2.9 for any frame against its own PNG); 6.6 at K-1
    # (the previous step's held frame); 2.8 next best (record 1's hidden node 1); 21.9 at
    # frame 0 (the title card)
    assert mad[k] < 3.0
    assert np.argmin(mad) == k
    assert mad[k - 1] > 2 * mad[k]
    assert rows[0]["kind"] == "title" and mad[0] > 4 * mad[k]


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_leaves_nothing(tmp_path, sig, code, jobs):
    out = tmp_path / "v.mp4"
    out.write_bytes(b"old")
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nnviz3d",
            "render",
            "--epochs",
            "1-3",
            "--resolution",
            "320x180",
            "--out",
            str(out),
            "--jobs",
            jobs,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".v.mp4.*/.segment*")):  # encoding
        time.sleep(0.1)
    time.sleep(1.0)
    if sig == signal.SIGINT:  # Ctrl-C: the terminal signals the whole process group
        os.killpg(p.pid, sig)
    else:
        p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == code, err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 1, err
    assert out.read_bytes() == b"old"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["v.mp4"]
    ps = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True)
    assert ps.stdout.strip() == ""  # no stray ffmpeg


def test_jobs_do_not_change_the_video(tmp_path):
    """Fixed segments joined without re-encoding: the same bytes from 1 or 2 processes,
    and from the default, ``--jobs auto`` (one process per CPU)."""
    videos = []
    for jobs in ("1", "2", "auto"):
        out = tmp_path / f"jobs{jobs}.mp4"
        r = run("render", *SMALL, "--out", str(out), "--quiet", "--jobs", jobs)
        assert r.returncode == 0, r.stderr
        videos.append(out.read_bytes())
        by = {"1": "", "2": " by 2 processes", "auto": f" by {auto_jobs()} processes" * (auto_jobs() > 1)}
        assert f" s{by[jobs]} = " in r.stdout, r.stdout
    assert videos[0] == videos[1] == videos[2]
    w, h, _, frames = decode(tmp_path / "jobs2.mp4")
    assert (w, h) == (256, 144) and len(frames) > 2 * 300  # three segments or more
    assert packets(tmp_path / "jobs2.mp4") < 0.7 * len(frames)  # holds are not encoded again
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jobs1.mp4", "jobs2.mp4", "jobsauto.mp4"]


def _render_with_encoder(tmp_path, exe):
    out = tmp_path / "v.mp4"
    out.write_bytes(b"old")
    env = {**os.environ, "IMAGEIO_FFMPEG_EXE": str(exe)}
    r = run("render", "--epochs", "1", *SMALL, "--out", str(out), "--quiet", env=env)
    assert out.read_bytes() == b"old"  # the previous video is untouched
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "ffmpeg") == ["v.mp4"]
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    return lines[0]


def test_missing_encoder_says_what_to_install(tmp_path):
    line = _render_with_encoder(tmp_path, tmp_path / "nowhere" / "ffmpeg")
    assert line.startswith("nnviz3d: error: cannot start the ffmpeg encoder")
    assert "pip install --force-reinstall imageio-ffmpeg" in line


def test_crashing_encoder_is_named(tmp_path):
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\nhead -c 200000 > /dev/null\nkill -SEGV $$\n")
    fake.chmod(0o755)
    line = _render_with_encoder(tmp_path, fake)
    assert "ffmpeg was ended by SIGSEGV (the encoder crashed" in line
    assert "pip install --force-reinstall imageio-ffmpeg" in line


def test_encoder_package_missing(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # import fails
    out = tmp_path / "v.mp4"
    assert main(["render", "--epochs", "1", *SMALL, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install imageio-ffmpeg" in err[0]
    assert not list(tmp_path.iterdir())


def _unwritable_folder(tmp_path) -> Path:
    """A folder we may not write to: a read-only one, or, for root (who may write
    anywhere on a normal filesystem), sysfs, where nobody may create files."""
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
        return folder
    return Path("/sys")


@pytest.mark.parametrize("command", ["render", "frame"])
def test_unwritable_output_folder(tmp_path, capsys, command):
    folder = _unwritable_folder(tmp_path)
    out = folder / ("v.mp4" if command == "render" else "v.png")
    args = ["--step", "1"] if command == "frame" else ["--quiet"]
    assert main([command, "--epochs", "1", *SMALL, "--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"output folder {folder} is not writable" in err[0]
    assert not out.exists()


def test_output_folder_that_is_a_file(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["render", "--out", str(blocker / "v.mp4")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert blocker.read_text() == "x"


# mnist.toml needs the MNIST files: tests/test_datasets.py checks it on tiny idx files
@pytest.mark.parametrize(
    "scene", sorted(str(p) for p in (ROOT / "scenes").glob("*.toml") if p.stem != "mnist")
)
def test_gradcheck_on_every_shipped_scene(scene, capsys):
    assert main(["inspect", scene, "--epoch", "2", "--gradcheck"]) == 0
    out = capsys.readouterr().out
    rel = float(out.split("largest relative difference ")[1].split(" ")[0])
    assert rel < 1e-5


def test_gradcheck_catches_a_wrong_gradient():
    from dataclasses import replace

    from nnviz3d.gradcheck import gradient_check
    from nnviz3d.recorder import train
    from nnviz3d.scene import load_scene

    scene = load_scene()
    u = train(scene.network, [1]).updates[(1, 1)]
    bad = [g.copy() for g in u.weight_gradients]
    bad[0][1, 2] *= 1.01
    check = gradient_check(scene.network, replace(u, weight_gradients=bad))
    assert check.worst == "syn0[1,2]" and check.max_relative > 5e-3


def test_hours_long_request_is_refused_before_any_work(tmp_path, capsys):
    out = tmp_path / "v.mp4"
    for command in (
        ["render", "--out", str(out)],
        ["steps"],
        ["frame", "--frame", "0", "--out", str(tmp_path / "f.png")],
    ):
        assert main([*command, "--epochs", "1-60000"]) == 2
        err = capsys.readouterr().err
        assert "frames" in err and "--yes" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["iamtrask", "handcalc_322", "fit_square", "digits", "xor_butterfly"])
def test_length_estimate_matches_the_timeline(name):
    from nnviz3d.pipeline import estimate_seconds, prepare_video
    from nnviz3d.scene import load_scene

    scene = load_scene(ROOT / "scenes" / f"{name}.toml")
    video = prepare_video(scene)  # the split screen, for xor_butterfly
    assert estimate_seconds(scene) == pytest.approx(video.timeline.duration, rel=0.02)


def test_disk_full_mid_render_leaves_the_old_file(tmp_path):
    """A file-size limit (as a full disk would) kills ffmpeg mid-render: one clear line,
    exit 2, the previous video untouched, no temporary file."""
    out = tmp_path / "v.mp4"
    out.write_bytes(b"previous video")
    render = f"{sys.executable} -m nnviz3d render --epochs 1 {' '.join(SMALL)} --out {out} --quiet"
    script = f"ulimit -f 50; exec {render}"  # 50 KiB: the video needs several times that
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2, r.stderr
    assert "file size limit or disk full" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert out.read_bytes() == b"previous video"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.mp4"]


@pytest.mark.parametrize(("cpus", "jobs"), [(1, 1), (2, 2), (6, 6), (32, 8)])
def test_jobs_auto_is_one_process_per_usable_cpu_at_most_8(cpus, jobs, monkeypatch):
    import nnviz3d.pipeline as pipeline

    monkeypatch.setattr(pipeline.os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    assert pipeline.auto_jobs() == jobs
