"""``nnviz3d slides``: a folder a lecturer opens in a browser and steps through with a
clicker. The video plays to the end of a step and pauses there; the page holds the
steps' captions and numbers (the same as ``steps --json`` and ``inspect --json``), so it
works from ``file://`` with nothing fetched from anywhere.

The step data goes in as a script (``steps.js``), not a JSON file: a page opened from
``file://`` may not ``fetch`` a file beside it, but it may load a script.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from nnviz3d.chapters import chapter_rows
from nnviz3d.errors import UserError
from nnviz3d.timeline import Timeline


def check_slides_folder(out: Path) -> None:
    """``--out`` must be a new folder or an earlier slides folder (which is replaced whole)."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UserError(f"--out {out}: is a file; slides are written to a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "index.html").is_file():
        raise UserError(f"--out {out}: the folder holds other files than slides; give a new folder")
    if not out.parent.is_dir():
        raise UserError(f"output folder {out.parent} does not exist")


def slides_data(timeline: Timeline, rows: list[dict], inspect: dict[str, Any]) -> dict[str, Any]:
    """What the page knows: fps, every step (as ``steps --json``), the chapters, and the
    numbers of each shown update (as ``inspect --json``, keyed ``epoch.batch``)."""
    return {
        "title": timeline.title,
        "fps": timeline.fps,
        "frames": timeline.n_frames,
        "lang": timeline.lang,
        "steps": rows,
        "chapters": chapter_rows(timeline),
        "inspect": inspect,
    }


def write_page(folder: Path, data: dict[str, Any], video_name: str) -> None:
    """``index.html`` and ``steps.js`` into ``folder`` (beside the video)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    (folder / "steps.js").write_text(f"window.NNVIZ = {text};\n", encoding="utf-8")
    page = PAGE.replace("{{title}}", html.escape(data["title"])).replace("{{video}}", html.escape(video_name))
    page = page.replace("{{lang}}", html.escape(data["lang"]))
    (folder / "index.html").write_text(page, encoding="utf-8")


PAGE = """<!doctype html>
<html lang="{{lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}}</title>
<style>
  :root { color-scheme: dark; }
  html, body { margin: 0; height: 100%; background: #0b0d12; color: #eef0f4;
               font-family: system-ui, "Noto Sans CJK JP", sans-serif; }
  body { display: grid; grid-template-columns: 17rem 1fr auto; grid-template-rows: 1fr auto;
         grid-template-areas: "list stage numbers" "list caption numbers"; }
  body.nolist { grid-template-columns: 0 1fr auto; }
  body.nolist #list { display: none; }
  #list { grid-area: list; overflow-y: auto; font-size: 0.95rem; border-right: 1px solid #262a33;
          padding: 0.5rem 0; }
  #list h2 { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.05em; color: #8a93a3;
             margin: 0.8rem 0.8rem 0.2rem; cursor: pointer; }
  #list ol { list-style: none; margin: 0; padding: 0; }
  #list li { padding: 0.15rem 0.8rem; cursor: pointer; white-space: nowrap; overflow: hidden;
             text-overflow: ellipsis; color: #c4cad6; }
  #list li.current { background: #3a1f35; color: #fff; border-left: 3px solid #ff59d9; }
  #stage { grid-area: stage; display: flex; align-items: center; justify-content: center;
           min-height: 0; }
  video { width: 100%; height: 100%; object-fit: contain; background: #000; }
  #caption { grid-area: caption; font-size: clamp(1.2rem, 2.4vw, 2.6rem); line-height: 1.3;
             padding: 0.6rem 1.2rem 0.9rem; min-height: 3.9em; font-weight: 600; }
  #numbers { grid-area: numbers; width: 24rem; overflow-y: auto; border-left: 1px solid #262a33;
             padding: 0.6rem 0.8rem; font: 0.85rem/1.35 ui-monospace, "Noto Sans Mono CJK JP", monospace; }
  #numbers[hidden] { display: none; }
  #numbers table { border-collapse: collapse; width: 100%; }
  #numbers td { padding: 0.05rem 0.3rem; vertical-align: top; }
  #numbers td.v { text-align: right; }
  #numbers pre { white-space: pre-wrap; word-break: break-all; font-size: 0.75rem; color: #aab2c0; }
  #help { position: fixed; right: 0.6rem; bottom: 0.3rem; font-size: 0.8rem; color: #6d7585; }
</style>
</head>
<body>
<nav id="list" aria-label="steps"></nav>
<main id="stage"><video id="video" src="{{video}}" preload="auto" muted playsinline></video></main>
<div id="caption" aria-live="polite"></div>
<aside id="numbers" hidden></aside>
<div id="help">&rarr; / space / PageDown: next step &nbsp; &larr; / PageUp: back &nbsp;
Home / End &nbsp; N: numbers &nbsp; L: list &nbsp; F: full screen</div>
<script src="steps.js"></script>
<script>
"use strict";
(() => {
  const D = window.NNVIZ;
  const video = document.getElementById("video");
  const caption = document.getElementById("caption");
  const numbers = document.getElementById("numbers");
  const list = document.getElementById("list");
  const last = D.steps.length - 1;
  const items = [];
  let current = -1;   // the step whose end the video rests on (-1: not started)
  let target = null;  // the step being played to

  // the last frame of step i, and the time that shows it (the middle of that frame)
  const lastFrame = (i) => D.steps[i].first_frame + D.steps[i].frame_count - 1;
  const restTime = (i) => (lastFrame(i) + 0.5) / D.fps;
  const stepAt = (t) => {
    const f = Math.floor(t * D.fps + 1e-6);
    let i = 0;
    while (i < last && D.steps[i + 1].first_frame <= f) i++;
    return i;
  };

  for (const ch of D.chapters) {
    const h = document.createElement("h2");
    h.textContent = ch.title;
    h.addEventListener("click", () => rest(ch.first_step));
    const ol = document.createElement("ol");
    for (let i = ch.first_step; i <= ch.last_step; i++) {
      const li = document.createElement("li");
      li.textContent = i + "  " + D.steps[i].caption;
      li.title = D.steps[i].caption;
      li.dataset.step = i;
      li.addEventListener("click", () => rest(i));
      ol.appendChild(li);
      items[i] = li;
    }
    list.append(h, ol);
  }

  function show(i) {
    const s = D.steps[i];
    caption.textContent = s.caption;
    items.forEach((li, k) => li.classList.toggle("current", k === i));
    items[i].scrollIntoView({ block: "nearest" });
    document.body.dataset.step = i;
    numbers.replaceChildren();
    const head = document.createElement("div");
    head.textContent = "step " + i + " (" + s.kind + (s.epoch ? ", iteration " + s.epoch : "") + ")";
    numbers.appendChild(head);
    const table = document.createElement("table");
    for (const [k, v] of Object.entries(s.values)) {
      const tr = table.insertRow();
      tr.insertCell().textContent = k;
      const td = tr.insertCell();
      td.className = "v";
      td.textContent = v === null ? "null" : String(v);
    }
    numbers.appendChild(table);
    const key = s.epoch + "." + (s.batch || 1);
    if (D.inspect[key]) {
      const pre = document.createElement("pre");
      const json = JSON.stringify(D.inspect[key], null, 1)  // a row of numbers on one line
        .replace(/\\[\\s*([-+\\d.eE,\\s]*?)\\s*\\]/g, (m, a) => "[" + a.split(/,\\s*/).join(", ") + "]");
      pre.textContent = "inspect --epoch " + s.epoch + "\\n" + json;
      numbers.appendChild(pre);
    }
  }

  function rest(i) {  // go to the end of step i, paused
    i = Math.max(0, Math.min(last, i));
    target = null;
    video.pause();
    video.currentTime = restTime(i);
    current = i;
    show(i);
  }

  function playTo(i) {  // play from where we are to the end of step i, then pause
    i = Math.max(0, Math.min(last, i));
    if (i <= current) return rest(i);
    target = i;
    if (video.currentTime >= restTime(i)) return rest(i);
    video.play().catch(() => rest(i));
    watch();
  }

  function watch() {
    video.requestVideoFrameCallback((now, meta) => {
      if (target === null) return;
      const f = Math.round(meta.mediaTime * D.fps);
      const k = stepAt(meta.mediaTime);
      if (f >= lastFrame(target) || video.ended) {
        rest(target);  // pause, and sit exactly on the step's last frame
      } else {
        if (k !== current) { current = k; show(k); }
        watch();
      }
    });
  }

  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const next = target === null ? current + 1 : target + 1;
    switch (e.key) {
      case "ArrowRight": case "PageDown": case " ": playTo(next); break;
      case "ArrowLeft": case "PageUp": rest((target === null ? current : target) - 1); break;
      case "Home": rest(0); break;
      case "End": rest(last); break;
      case "n": case "N": numbers.hidden = !numbers.hidden; break;
      case "l": case "L": document.body.classList.toggle("nolist"); break;
      case "f": case "F":
        if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
        else document.documentElement.requestFullscreen().catch(() => {});
        break;
      default: return;
    }
    e.preventDefault();
  });

  window.slides = {  // for the tests, and for a curious lecturer in the console
    current: () => current,
    playing: () => target !== null,
    restTime, rest, playTo,
  };
  const start = () => rest(0);
  if (video.readyState >= 1) start(); else video.addEventListener("loadedmetadata", start, { once: true });
})();
</script>
</body>
</html>
"""
