"""Issue 11: the slides page, driven in a real browser (Debian's chromium through
Playwright, headless: its H.264 playback works; no browser is downloaded)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnviz3d.cli import main

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the [test] extra)")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

#: as the machine's notes advise: no background networking in a closed sandbox
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip


@pytest.fixture(scope="module")
def slides(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides") / "talk"
    assert main(["slides", "-q", "draft", "--epochs", "1", "--out", str(out), "--quiet"]) == 0
    steps = json.loads(
        subprocess.run(
            [sys.executable, "-m", "nnviz3d", "steps", "-q", "draft", "--epochs", "1", "--json"],
            capture_output=True, check=True, text=True,
        ).stdout
    )  # fmt: skip
    return out, steps


@pytest.fixture(scope="module")
def page(slides):
    out, _ = slides
    requests, errors = [], []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        pg = browser.new_page(viewport={"width": 1600, "height": 900})
        pg.on("request", lambda r: requests.append(r.url))
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.goto((out / "index.html").as_uri())
        pg.wait_for_function("window.slides && window.slides.current() === 0")
        pg.evaluate("document.getElementById('video').playbackRate = 4")  # the test, not the lecture
        yield pg, requests, errors
        browser.close()


def _state(pg):
    return pg.evaluate(
        """() => { const v = document.getElementById('video');
        return {step: window.slides.current(), paused: v.paused, t: v.currentTime,
                caption: document.getElementById('caption').textContent,
                playing: window.slides.playing()}; }"""
    )


def _settle(pg):
    pg.wait_for_function("!window.slides.playing()", timeout=30_000)
    pg.wait_for_function("!document.getElementById('video').seeking")
    return _state(pg)


def _at_end_of(state, step, fps):
    """Within a frame of the step's end: on the step's last frame."""
    last = step["first_frame"] + step["frame_count"] - 1
    return abs(state["t"] * fps - (last + 0.5)) <= 1.0


def test_the_folder_holds_the_page_the_video_and_the_step_data(slides):
    out, steps = slides
    assert {p.name for p in out.iterdir()} == {"index.html", "steps.js", "video.mp4"}
    text = (out / "steps.js").read_text(encoding="utf-8")
    data = json.loads(text.removeprefix("window.NNVIZ = ").rstrip().rstrip(";"))
    assert data["steps"] == steps  # the same rows as 'steps --json'
    assert data["fps"] == 15 and data["chapters"][0]["name"] == "title"
    inspect = json.loads(
        subprocess.run(
            [sys.executable, "-m", "nnviz3d", "inspect", "--epoch", "1", "--json"],
            capture_output=True, check=True, text=True,
        ).stdout
    )  # fmt: skip
    assert data["inspect"]["1.1"] == inspect
    assert not list(out.parent.glob(".*"))  # no temporary folder left beside it


def test_keys_step_through_and_the_video_pauses_at_each_steps_end(page, slides):
    pg, _, _ = page
    _, steps = slides
    fps = 15
    s = _settle(pg)
    assert s["step"] == 0 and s["paused"] and _at_end_of(s, steps[0], fps)
    assert s["caption"] == steps[0]["caption"]
    for key, want in (("ArrowRight", 1), ("PageDown", 2), (" ", 3)):
        pg.keyboard.press(key)
        s = _settle(pg)
        assert s["step"] == want and s["paused"], (key, s)
        assert _at_end_of(s, steps[want], fps), (key, s, steps[want])
        assert s["caption"] == steps[want]["caption"]
    pg.keyboard.press("ArrowLeft")
    s = _settle(pg)
    assert s["step"] == 2 and s["paused"] and _at_end_of(s, steps[2], fps)
    pg.keyboard.press("PageUp")
    s = _settle(pg)
    assert s["step"] == 1 and _at_end_of(s, steps[1], fps)
    pg.keyboard.press("End")
    s = _settle(pg)
    assert s["step"] == len(steps) - 1 and _at_end_of(s, steps[-1], fps)
    assert s["caption"] == steps[-1]["caption"]
    pg.keyboard.press("Home")
    s = _settle(pg)
    assert s["step"] == 0 and _at_end_of(s, steps[0], fps)


def test_the_list_jumps_to_any_step_and_the_numbers_panel_toggles(page, slides):
    pg, _, _ = page
    _, steps = slides
    pg.click("#list li[data-step='35']")
    s = _settle(pg)
    assert s["step"] == 35 and _at_end_of(s, steps[35], 15) and s["caption"] == steps[35]["caption"]
    assert pg.is_hidden("#numbers")
    pg.keyboard.press("n")
    assert pg.is_visible("#numbers")
    panel = pg.inner_text("#numbers")
    for name, value in list(steps[35]["values"].items())[:4]:
        assert name in panel and str(value) in panel
    assert "inspect --epoch 1" in panel
    pg.keyboard.press("n")
    assert pg.is_hidden("#numbers")
    chapters = pg.locator("#list h2").all_text_contents()
    assert chapters[:3] == ["Title", "Initialisation", "Iteration 1: forward pass"]


def test_nothing_leaves_the_machine_and_the_page_raises_no_error(page, tmp_path):
    pg, requests, errors = page
    pg.keyboard.press("f")  # full screen (headless may refuse: that must not be an error)
    pg.keyboard.press("f")
    pg.screenshot(path=str(tmp_path / "slides.png"))
    assert requests and all(url.startswith("file://") for url in requests), requests
    assert not errors, errors


def test_slides_refuse_a_file_or_a_foreign_folder(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["slides", "--out", str(tmp_path / "notes.txt")]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["slides", "--out", str(tmp_path)]) == 2
    assert "other files than slides" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"
