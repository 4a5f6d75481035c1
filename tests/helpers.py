"""Small helpers shared by the tests."""

import itertools
from dataclasses import replace

import pytest

from nnviz3d.scene import Scene


def study(scene: Scene) -> Scene:
    """``scene`` in the study layout: every panel, as a laptop shows it (the tests of the
    records table, the legend, the code listing and the inset charts look at those)."""
    return replace(scene, render=replace(scene.render, layout="study"))


def runs_tiling(cells: list, along_x: bool, lo: float, hi: float) -> dict[float, list]:
    """A map's rectangles by line, rows where ``along_x`` (keyed by their y0), else columns
    (by their x0), each sorted along it; asserts each line's runs tile ``lo`` to ``hi``
    without gaps or overlaps, neighbours of different colours: a run of one colour is one
    rectangle."""
    start, end = ("x0", "x1") if along_x else ("y0", "y1")
    lines: dict[float, list] = {}
    for r in cells:
        lines.setdefault(round(r.y0 if along_x else r.x0, 9), []).append(r)
    for line in lines.values():
        line.sort(key=lambda r: getattr(r, start))
        assert getattr(line[0], start) == pytest.approx(lo) and getattr(line[-1], end) == pytest.approx(hi)
        for a, b in itertools.pairwise(line):
            assert getattr(a, end) == pytest.approx(getattr(b, start), abs=1e-12) and a.color != b.color
    return lines
