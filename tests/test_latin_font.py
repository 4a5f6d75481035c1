"""English text is drawn in the Latin face nnviz3d ships (Noto Sans CJK JP's Latin), whose
l, I and | differ: VTK's own sans drew them alike, and lecturers read "l1" as "I1" and
"|error|" as "l error l"."""

from pathlib import Path

import numpy as np
import pytest
import vtkmodules.vtkRenderingFreeType  # noqa: F401  (the text renderer)
from PIL import ImageFont
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkCommonDataModel import vtkImageData
from vtkmodules.vtkRenderingCore import vtkTextProperty, vtkTextRenderer

from nnviz3d.fonts import (
    LATIN_BOLD_FONT,
    LATIN_FONT,
    LATIN_MONO_BOLD_FONT,
    LATIN_MONO_FONT,
    advance_em,
    mono_advance_em,
)
from nnviz3d.render_vtk import _set_font
from nnviz3d.text import MESSAGES


def _ink(prop: vtkTextProperty, text: str) -> tuple[int, int]:
    """Width and height in pixels of what ``text`` inks."""
    image, dims = vtkImageData(), [0, 0]
    assert vtkTextRenderer.GetInstance().RenderString(prop, text, image, dims, 72)
    nx, ny, _ = image.GetDimensions()
    alpha = vtk_to_numpy(image.GetPointData().GetScalars()).reshape(ny, nx, -1)[..., -1]
    ys, xs = np.nonzero(alpha > 128)
    return int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def test_english_text_is_drawn_in_the_shipped_face_where_l_I_and_bar_differ():
    for bold in (False, True):
        prop = vtkTextProperty()
        _set_font(prop, 60, False, bold, None, None)  # no font file: English
        assert prop.GetFontFile() == (LATIN_BOLD_FONT if bold else LATIN_FONT)
        inks = {c: _ink(prop, c) for c in "lI|1"}
        assert len(set(inks.values())) == 4, inks  # four different shapes
        assert inks["l"][0] > inks["I"][0]  # the l's tail


def test_english_code_is_drawn_in_the_shipped_mono_face_where_l_and_1_differ():
    """In VTK's Courier, "l1_error" read as "11_error" (review 52a)."""
    for bold in (False, True):
        code = vtkTextProperty()
        _set_font(code, 60, True, bold, None, None)  # no font file: English
        assert code.GetFontFile() == (LATIN_MONO_BOLD_FONT if bold else LATIN_MONO_FONT)
        inks = {c: _ink(code, c) for c in "l1I"}
        assert len(set(inks.values())) == 3, inks
        assert mono_advance_em(code.GetFontFile()) == 0.5  # every character as wide


def test_the_shipped_face_covers_every_english_message():
    from fontTools.ttLib import TTFont

    for path in (LATIN_FONT, LATIN_BOLD_FONT, LATIN_MONO_FONT, LATIN_MONO_BOLD_FONT):
        assert Path(path).is_file() and (Path(path).parent / "LICENSE.txt").is_file()
        cmap = TTFont(path).getBestCmap()
        text = {c for message in MESSAGES["en"].values() for c in message} | set("×·")
        assert not {c for c in text if ord(c) not in cmap}


def test_a_numbers_width_is_read_from_the_face_not_estimated():
    """advance_em sums the shipped face's own advances: "-0.118 × -0.591" at 36 px is the
    257 px Pillow measures (0.56 em a character said 302), and a digit is wider than a
    point or a space."""
    text = "-0.118 × -0.591"
    assert advance_em(text) * 36 == pytest.approx(ImageFont.truetype(LATIN_FONT, 36).getlength(text), abs=0.5)
    assert advance_em("0") > advance_em(".") and advance_em("0") > advance_em(" ")
    assert advance_em(text) < 0.56 * len(text) * 0.9
