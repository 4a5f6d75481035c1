"""Issue 12: rendering on a Dask cluster -- a LocalCluster, and a scheduler with workers
as separate processes on 127.0.0.1 -- gives the very bytes of ``--jobs 1``, survives a
worker dying mid-render, and fails in one line where it cannot work."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nnviz3d.errors import UserError
from nnviz3d.farm import Segment, check_versions, parse_address

pytest.importorskip("distributed", reason="pip install 'nnviz3d[dask]' (the [test] extra has it)")

DASK = str(Path(sys.executable).parent / "dask")
ARGS = ["render", "-q", "draft", "--epochs", "1", "--quiet"]  # 978 frames: 4 segments
NO_EGL = {"__EGL_VENDOR_LIBRARY_FILENAMES": "/nonexistent.json", "__EGL_VENDOR_LIBRARY_DIRS": "/nonexistent"}


def _nnviz3d(*args, cwd, env=None, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "nnviz3d", *args], capture_output=True, text=True, cwd=cwd, timeout=timeout,
        env={**os.environ, "VTK_DEFAULT_OPENGL_WINDOW": "vtkEGLRenderWindow", **(env or {})},
    )  # fmt: skip


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The video as ``--jobs 1`` makes it."""
    folder = tmp_path_factory.mktemp("reference")
    proc = _nnviz3d(*ARGS, "--out", "v.mp4", cwd=folder)
    assert proc.returncode == 0, proc.stderr
    return (folder / "v.mp4").read_bytes()


class Farm:
    """``dask scheduler`` and ``dask worker`` processes on 127.0.0.1."""

    def __init__(self, folder: Path, workers: int = 2, env: dict | None = None):
        self.folder, self.procs = folder, []
        self.file = folder / "scheduler.json"
        common = {"cwd": folder, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.procs.append(subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(self.file)], **common,
        ))  # fmt: skip
        try:
            self.address = self._address(time.monotonic() + 60)
            for _ in range(workers):
                self.add_worker(env)
            self.wait_for(workers)
        except BaseException:
            self.close()  # no scheduler left running (its ResourceWarning fails a later test)
            raise

    def _address(self, deadline: float) -> str:
        """The scheduler's address, once its file is written whole: the file can exist,
        empty, before dask writes it (seen once in CI as a JSONDecodeError)."""
        while True:
            try:
                return json.loads(self.file.read_text())["address"]
            except (FileNotFoundError, json.JSONDecodeError, KeyError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def add_worker(self, env: dict | None = None):
        self.procs.append(subprocess.Popen(
            [DASK, "worker", "--scheduler-file", str(self.file), "--nthreads", "1", "--nworkers", "1",
             "--no-dashboard", "--host", "127.0.0.1", "--local-directory", str(self.folder / "scratch")],
            cwd=self.folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "VTK_DEFAULT_OPENGL_WINDOW": "vtkEGLRenderWindow", **(env or {})},
        ))  # fmt: skip

    def wait_for(self, n: int):
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(n, timeout=60)

    def close(self):
        for p in reversed(self.procs):
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_addresses():
    assert parse_address("local") == ("local", 2)
    assert parse_address("local:3") == ("local", 3)
    assert parse_address("tcp://127.0.0.1:8786") == ("tcp://127.0.0.1:8786", None)
    for bad in ("local:0", "127.0.0.1:8786", "tcp://host", "elsewhere"):
        with pytest.raises(UserError, match="--dask"):
            parse_address(bad)


def test_a_local_cluster_makes_the_bytes_of_jobs_1(tmp_path, reference):
    proc = _nnviz3d(*ARGS, "--out", "v.mp4", "--dask", "local:2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "v.mp4").read_bytes() == reference
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("dask")) == ["v.mp4"]


def test_a_scheduler_and_two_worker_processes_make_the_same_bytes_even_when_one_dies(tmp_path, reference):
    marker = tmp_path / "died"
    farm = Farm(tmp_path, env={"NNVIZ3D_TEST_DIE_AT": f"1:{marker}"})
    try:
        out = tmp_path / "out"
        out.mkdir()
        proc = _nnviz3d(*ARGS, "--out", "v.mp4", "--dask", farm.address, cwd=out)
        assert proc.returncode == 0, proc.stderr
        assert marker.exists()  # a worker did die at segment 1 (its nanny restarts it)
        assert (out / "v.mp4").read_bytes() == reference
        assert [p.name for p in out.iterdir()] == ["v.mp4"]
    finally:
        farm.close()


def test_a_worker_without_egl_fails_in_one_line_that_names_it(tmp_path):
    farm = Farm(tmp_path, workers=1, env=NO_EGL)
    try:
        out = tmp_path / "out"
        out.mkdir()
        proc = _nnviz3d(*ARGS, "--out", "v.mp4", "--dask", farm.address, cwd=out)
        assert proc.returncode == 2, proc.stderr[-500:]
        line = proc.stderr.strip().splitlines()[-1]
        assert "no offscreen OpenGL on tcp://127.0.0.1:" in line and "apt-get install libegl1" in line
        assert list(out.iterdir()) == []
    finally:
        farm.close()


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path):
    proc = _nnviz3d(*ARGS, "--out", "v.mp4", "--dask", "tcp://127.0.0.1:9", cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "cannot reach the scheduler at tcp://127.0.0.1:9" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_cancels_the_cluster_and_leaves_nothing(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "nnviz3d", "render", "-q", "draft", "--quiet", "--out", "v.mp4",
         "--dask", "local:2"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "VTK_DEFAULT_OPENGL_WINDOW": "vtkEGLRenderWindow"},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".v.mp4.*segments")) and time.monotonic() < deadline:
        time.sleep(0.2)  # rendering has begun: its segment folder exists
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-500:]
    assert "interrupted; nothing was written" in err
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("dask")] == []


def test_segments_from_workers_that_differ_are_refused_by_name():
    a = Segment(
        0,
        b"",
        (("VTK", "9.5.0"), ("OpenGL", "llvmpipe; Mesa 22.3.6"), ("ffmpeg", "7.1")),
        "tcp://a:1",
        300,
        100,
    )
    b = Segment(
        1,
        b"",
        (("VTK", "9.5.0"), ("OpenGL", "llvmpipe; Mesa 24.0.1"), ("ffmpeg", "7.1")),
        "tcp://b:1",
        300,
        100,
    )
    check_versions(a, a)
    with pytest.raises(
        UserError, match=r"worker tcp://b:1 renders with .*Mesa 24\.0\.1.*but worker tcp://a:1"
    ):
        check_versions(a, b)


def test_render_many_trains_each_scene_once_and_makes_what_render_makes(tmp_path):
    scene = str(Path(__file__).parents[1] / "scenes" / "handcalc_322.toml")
    proc = _nnviz3d("render-many", scene, "--lang", "en,ja", "-q", "draft", "--out-dir", "many",
                    "--dask", "local:2", "--quiet", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    made = sorted(p.name for p in (tmp_path / "many").iterdir())
    assert made == ["handcalc_322.en.mp4", "handcalc_322.ja.mp4"]
    single = _nnviz3d("render", scene, "--lang", "ja", "-q", "draft", "--out", "one.mp4", "--quiet",
                      cwd=tmp_path)  # fmt: skip
    assert single.returncode == 0, single.stderr
    assert (tmp_path / "many" / "handcalc_322.ja.mp4").read_bytes() == (tmp_path / "one.mp4").read_bytes()
    bad = _nnviz3d("render-many", scene, "--lang", "en,fr", "--out-dir", "more", cwd=tmp_path)
    assert bad.returncode == 2 and "--lang: fr" in bad.stderr and not (tmp_path / "more").exists()
