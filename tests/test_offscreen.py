"""Issue 12: a machine without offscreen OpenGL gets one line, not a segfault."""

import os
import subprocess
import sys

from nnviz3d.offscreen import egl_devices, ensure_offscreen

NO_EGL = {"__EGL_VENDOR_LIBRARY_FILENAMES": "/nonexistent.json", "__EGL_VENDOR_LIBRARY_DIRS": "/nonexistent"}


def _run(tmp_path, *args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "nnviz3d", *args],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "VTK_DEFAULT_OPENGL_WINDOW": "vtkEGLRenderWindow", **(env or {})},
    )  # fmt: skip


def test_this_machine_has_an_egl_device():
    assert egl_devices() >= 1
    assert ensure_offscreen() == "vtkEGLRenderWindow"


def test_without_egl_the_cli_says_what_to_install_in_one_line_before_any_work(tmp_path):
    for args in (["frame", "--step", "5", "--out", "f.png"], ["render", "--out", "v.mp4"],
                 ["slides", "--out", "talk"], ["sheet", "--out", "s.pdf"]):  # fmt: skip
        proc = _run(tmp_path, *args, env=NO_EGL)
        assert proc.returncode == 2, (args, proc.returncode, proc.stderr[-300:])
        assert proc.stderr.count("\n") == 1 and "no offscreen OpenGL" in proc.stderr
        assert "apt-get install libegl1 libgl1-mesa-dri" in proc.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temporary file
    # the commands that draw nothing still work there
    proc = _run(tmp_path, "steps", "--epochs", "1", env=NO_EGL)
    assert proc.returncode == 0 and "Iteration 1: forward pass" in proc.stdout
