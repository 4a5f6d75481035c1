"""examples/torch_notebook.ipynb runs headless: its code cells, in order, as Jupyter would."""

import ast
import json
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the notebook records a PyTorch model (pip install torch==2.13.0)")

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "torch_notebook.ipynb"


def test_the_notebook_records_a_torch_model_and_shows_its_video(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "renders").mkdir()
    cells = [c for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]
    namespace: dict = {}
    shown = []
    for cell in cells:  # as Jupyter runs a cell: its last expression is what it shows
        tree = ast.parse("".join(cell["source"]))
        last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        body = ast.Module(tree.body[:-1] if last else tree.body, type_ignores=[])
        exec(compile(body, "cell", "exec"), namespace)
        shown.append(eval(compile(ast.Expression(last.value), "cell", "eval"), namespace) if last else None)
    video, frame = shown[-2], shown[-1]
    html = video._repr_html_()
    assert html.startswith('<video controls width="320" src="data:video/mp4;base64,')
    assert video.path.stat().st_size > 10_000 and video.frames > 100
    assert frame._repr_png_().startswith(b"\x89PNG") and frame.pixels.shape == (360, 640, 3)
    assert "Hidden node h1" in frame.caption or "node" in frame.caption
    assert (tmp_path / "renders" / "notebook.npz").is_file()
