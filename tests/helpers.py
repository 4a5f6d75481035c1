"""Small helpers shared by the tests."""

from dataclasses import replace

from nnviz3d.scene import Scene


def study(scene: Scene) -> Scene:
    """``scene`` in the study layout: every panel, as a laptop shows it (the tests of the
    records table, the legend, the code listing and the inset charts look at those)."""
    return replace(scene, render=replace(scene.render, layout="study"))
