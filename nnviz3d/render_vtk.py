"""The only module that touches VTK: a :class:`FrameState` in, RGB pixels out.

Nodes, record beads, weights and halos are each *one* actor drawn by a
``vtkGlyph3DMapper`` (instancing), so a network with tens of thousands of weights is
still a handful of draw calls. Text actors come from pools and are re-used between
frames. Rendering is offscreen through EGL (no display, no GPU needed with Mesa).
"""

from __future__ import annotations

import itertools
import math
import os
import re
from dataclasses import replace

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import numpy as np
import vtkmodules.vtkRenderingFreeType
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401  (the OpenGL backend)
from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray, vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkPoints, vtkUnsignedCharArray
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkCommonTransforms import vtkTransform
from vtkmodules.vtkFiltersCore import vtkPolyDataNormals
from vtkmodules.vtkFiltersGeneral import vtkTransformFilter
from vtkmodules.vtkFiltersSources import (
    vtkCylinderSource,
    vtkSphereSource,
)
from vtkmodules.vtkRenderingCore import (
    vtkActor,
    vtkActor2D,
    vtkCoordinate,
    vtkGlyph3DMapper,
    vtkPolyDataMapper2D,
    vtkRenderer,
    vtkRenderWindow,
    vtkTextActor,
    vtkTextProperty,
    vtkTextRenderer,
)

from nnviz3d.fonts import LATIN_BOLD_FONT, LATIN_FONT, LATIN_MONO_BOLD_FONT, LATIN_MONO_FONT
from nnviz3d.offscreen import ensure_offscreen
from nnviz3d.primitives import FrameState, Label3D, Polyline2D, Rect2D, Text2D

VTK_FONT_FILE = 4  # vtkTextProperty's "File" family: the font comes from SetFontFile
COARSE_ABOVE = 150  # spheres in a frame above which each is drawn with fewer triangles
#: how much a number's backdrop hides what is under it (0.7 let the weights strike through
#: level numbers; slanted ones had 0.92 already)
LABEL_BACKDROP = 0.92
#: (up to this many rows, a sphere's (theta, phi) resolution, a weight's sides)
DETAIL = ((720, (24, 16), 12), (1080, (32, 20), 16), (None, (40, 28), 20))


def detail(rows: int) -> tuple[tuple[int, int], int]:
    """A sphere's resolution and a weight's sides in a frame of ``rows``."""
    return next((sphere, sides) for most, sphere, sides in DETAIL if most is None or rows <= most)


class _Glyphs:
    """One instanced actor: a source shape placed, scaled, oriented and coloured per point."""

    def __init__(self, renderer: vtkRenderer, source, vector_scale: bool = False, oriented: bool = False):
        self.poly = vtkPolyData()
        self.mapper = vtkGlyph3DMapper()
        self.mapper.SetInputData(self.poly)
        self.mapper.SetSourceConnection(source.GetOutputPort())
        self.mapper.SetScaleArray("scale")
        if vector_scale:
            self.mapper.SetScaleModeToScaleByVectorComponents()
        else:
            self.mapper.SetScaleModeToScaleByMagnitude()
        if oriented:
            self.mapper.SetOrientationArray("direction")
            self.mapper.SetOrientationModeToDirection()
        else:
            self.mapper.OrientOff()
        self.mapper.SetScalarModeToUsePointFieldData()
        self.mapper.SelectColorArray("colors")
        self.mapper.SetColorModeToDirectScalars()
        self.mapper.ScalarVisibilityOn()
        self.actor = vtkActor()
        self.actor.SetMapper(self.mapper)
        prop = self.actor.GetProperty()
        prop.SetSpecular(0.35)
        prop.SetSpecularPower(30)
        prop.SetDiffuse(0.8)
        prop.SetAmbient(0.18)
        renderer.AddActor(self.actor)

    def update(self, centers: np.ndarray, scale: np.ndarray, colors: np.ndarray, directions=None) -> None:
        pts = vtkPoints()
        pts.SetData(numpy_to_vtk(np.ascontiguousarray(centers, dtype=np.float64), deep=True))
        self.poly.SetPoints(pts)
        pd = self.poly.GetPointData()
        s = numpy_to_vtk(np.ascontiguousarray(scale, dtype=np.float64), deep=True)
        s.SetName("scale")
        pd.AddArray(s)
        c = numpy_to_vtk(np.ascontiguousarray(np.clip(colors * 255 + 0.5, 0, 255), dtype=np.uint8), deep=True)
        c.SetName("colors")
        pd.AddArray(c)
        if directions is not None:
            d = numpy_to_vtk(np.ascontiguousarray(directions, dtype=np.float64), deep=True)
            d.SetName("direction")
            pd.AddArray(d)
        self.poly.Modified()
        self.actor.SetVisibility(len(centers) > 0)


class _TextPool:
    """Re-used text actors; VTK re-rasterises a string only when it changes."""

    def __init__(self, renderer: vtkRenderer, world: bool) -> None:
        self.renderer, self.world = renderer, world
        self.actors: list[vtkTextActor] = []
        self.anchors: list[vtkCoordinate] = []  # world: the point a label is placed from

    def _get(self, i: int) -> vtkTextActor:
        while len(self.actors) <= i:
            a = vtkTextActor()
            coord = a.GetPositionCoordinate()
            if self.world:  # a world point, then an offset in pixels (a piece of a coloured label)
                anchor = vtkCoordinate()
                anchor.SetCoordinateSystemToWorld()
                coord.SetReferenceCoordinate(anchor)
                coord.SetCoordinateSystemToDisplay()
                self.anchors.append(anchor)
            else:
                coord.SetCoordinateSystemToNormalizedViewport()
            self.renderer.AddActor(a)
            self.actors.append(a)
        return self.actors[i]

    def update(
        self,
        items: list[tuple],
        font_file: str | None,
        mono_font_file: str | None = None,
        bold_font_file: str | None = None,
        mono_bold_font_file: str | None = None,
    ) -> bool:
        """Show ``items`` (text, position, size, colour, mono, bold, align, valign, backdrop,
        offset in pixels, angle in degrees); True when the pool had to grow (the caller
        re-stacks actors).

        Monospaced items (code, tables) use ``mono_font_file`` when there is one (bold
        ones its bold face, ``mono_bold_font_file``, if there is one), bold ones
        ``bold_font_file``."""
        grew = len(items) > len(self.actors)
        for i, (text, pos, size, color, mono, bold, align, valign, backdrop, offset, angle) in enumerate(
            items
        ):
            a = self._get(i)
            if a.GetInput() != text:
                a.SetInput(text)
            if self.world:
                self.anchors[i].SetValue(*pos)
                a.GetPositionCoordinate().SetValue(*offset, 0.0)
            else:
                a.GetPositionCoordinate().SetValue(*pos)
            p = a.GetTextProperty()
            _set_font(p, size, mono, bold, font_file, mono_font_file, bold_font_file, mono_bold_font_file)
            p.SetOpacity(0.0 if color is None else 1.0)  # None: a backdrop without its glyphs
            if p.GetOrientation() != angle:
                p.SetOrientation(angle)
            if color is not None:
                p.SetColor(*color)
            if backdrop is not None:
                p.SetBackgroundColor(*backdrop)
                # a number lies on weights: the weights under it would cross its digits (review
                # 57a: the edges converging on out struck through the hidden errors' notes)
                p.SetBackgroundOpacity(LABEL_BACKDROP)
            else:
                p.SetBackgroundOpacity(0.0)
            {
                "left": p.SetJustificationToLeft,
                "right": p.SetJustificationToRight,
                "center": p.SetJustificationToCentered,
            }[align]()
            {
                "top": p.SetVerticalJustificationToTop,
                "bottom": p.SetVerticalJustificationToBottom,
                "center": p.SetVerticalJustificationToCentered,
            }[valign]()
            a.SetVisibility(True)
        for a in self.actors[len(items) :]:
            a.SetVisibility(False)
        return grew


def _set_font(
    p: vtkTextProperty,
    size: int,
    mono: bool,
    bold: bool,
    font_file: str | None,
    mono_font_file: str | None,
    bold_font_file: str | None = None,
    mono_bold_font_file: str | None = None,
) -> None:
    p.SetFontSize(size)
    if mono and mono_font_file:  # columns line up and Japanese is drawn
        p.SetFontFamily(VTK_FONT_FILE)
        # (bold code in its bold face: the regular one was thin from the back of a hall)
        p.SetFontFile(mono_bold_font_file if bold and mono_bold_font_file else mono_font_file)
    elif bold and font_file and bold_font_file:  # VTK does not embolden a font file
        p.SetFontFamily(VTK_FONT_FILE)
        p.SetFontFile(bold_font_file)
    elif font_file:  # every element through the chosen font (Japanese needs it)
        p.SetFontFamily(VTK_FONT_FILE)
        p.SetFontFile(font_file)
    elif mono:  # the shipped Latin mono face (Courier drew l and 1 alike)
        p.SetFontFamily(VTK_FONT_FILE)
        p.SetFontFile(LATIN_MONO_BOLD_FONT if bold else LATIN_MONO_FONT)
        bold = False
    else:  # the shipped Latin face (VTK's own sans drew l, I, 1 and | alike)
        p.SetFontFamily(VTK_FONT_FILE)
        p.SetFontFile(LATIN_BOLD_FONT if bold else LATIN_FONT)
        bold = False  # the bold face is bold: no emboldening on top
    p.SetBold(bold)


class _SpanLayout:
    """Splits a text with coloured spans into one actor per line and colour run, each
    where FreeType puts those characters in the whole line: measured, so the pieces are,
    pixel for pixel, the text drawn in one piece (tested)."""

    def __init__(self, dpi: int) -> None:
        self.dpi = dpi
        self.prop = vtkTextProperty()
        self._boxes: dict[tuple, tuple[int, int, int, int]] = {}

    def _box(self, text: str, key: tuple) -> tuple[int, int, int, int]:
        """``text``'s bounding box in pixels (x0, x1, y0, y1), drawn from 0."""
        if (text, key) not in self._boxes:
            _set_font(self.prop, *key)
            box = [0, 0, 0, 0]
            vtkTextRenderer.GetInstance().GetBoundingBox(self.prop, text, box, self.dpi)
            self._boxes[(text, key)] = tuple(box)
        return self._boxes[(text, key)]

    def pieces(
        self, text, spans, color, key, align: str
    ) -> list[tuple[str, float, float, tuple, tuple | None]]:
        """(piece, x, y offset in pixels from the anchor, colour, flight) of each line's runs
        of one colour and span. A backdrop runs on under its spaces, so those stay (``align``
        is of the whole line); ``flight`` is the span's (x, y, t, slot colour) when it has one."""
        two, one = self._box("A\nA", key), self._box("A", key)
        pitch = (two[3] - two[2]) - (one[3] - one[2])  # VTK's own line spacing
        runs: list[tuple[tuple | None, int]] = [(color, -1)] * len(text)  # (colour, span)
        for i, (s, e, colour, *_) in enumerate(spans):
            runs[s:e] = [(colour, i)] * len(runs[s:e])
        out, start = [], 0
        for n, line in enumerate(text.split("\n")):
            width = self._box(line, key)[1]
            shift = {"left": 0.0, "center": width / 2, "right": width}[align]
            for (colour, i), run in itertools.groupby(range(len(line)), key=lambda c: runs[start + c]):
                cols = list(run)
                piece = line[cols[0] : cols[-1] + 1]
                # placed by its right end in the line up to it
                right = self._box(line[: cols[-1] + 1], key)[1] - self._box(piece, key)[1]
                flight = spans[i][3] if i >= 0 and len(spans[i]) > 3 else None
                out.append((piece, right - shift, -n * pitch, colour, flight))
            start += len(line) + 1
        return out

    def text_items(self, t: Text2D, fonts: tuple[str | None, ...], size: tuple[int, int]):
        """``fonts``: the frame's font, mono, bold and bold mono files."""
        if not t.spans or t.valign != "top":
            return [_text_item(t)]
        key = (t.size, t.mono, t.bold, *fonts)
        items = []
        for piece, dx, dy, colour, flight in self.pieces(t.text, t.spans, t.color, key, t.align):
            if not piece.strip() or colour is None:  # None: not written yet
                continue
            x, y = t.x + dx / size[0], t.y + dy / size[1]
            if flight is not None and flight[2] < 1:  # on its way from the picture to its slot
                items.append(_text_item(replace(t, text=piece, x=x, y=y, color=flight[3], align="left")))
                x, y = (a + (b - a) * flight[2] for a, b in zip(flight[:2], (x, y), strict=True))
            items.append(_text_item(replace(t, text=piece, x=x, y=y, color=colour, align="left")))
        return items

    def label_items(self, lb: Label3D, font_file: str | None):
        if not lb.spans or "\n" in lb.text or lb.angle:
            return [_label_item(lb)]
        key = (lb.size, False, False, font_file, None)
        pieces = self.pieces(lb.text, lb.spans, lb.color, key, lb.align)
        # one backdrop under the whole label (the pieces' own would overlap, darker, at
        # their seams): the label itself, its glyphs unseen, then the pieces without one
        under = [_label_item(replace(lb, color=None))] if lb.backdrop is not None else []
        return under + [
            _label_item(replace(lb, text=piece, color=colour, align="left", backdrop=None), (dx, dy))
            for piece, dx, dy, colour, _ in pieces
            if piece.strip()
        ]


class _Overlay2D:
    """Rectangles and polylines in normalised screen coordinates, one actor per kind."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self.renderer = renderer
        self.rects = self._actor()
        self.lines: dict[float, tuple[vtkPolyData, vtkActor2D]] = {}

    def _actor(self, width: float = 1.0) -> tuple[vtkPolyData, vtkActor2D]:
        poly, actor = _screen_actor(self.renderer, per_point=False)
        actor.GetProperty().SetLineWidth(width)
        return poly, actor

    @staticmethod
    def _fill_lines(poly: vtkPolyData, shapes: list[tuple[np.ndarray, tuple, float]]) -> None:
        pts = vtkPoints()
        cells = vtkCellArray()
        colors = vtkUnsignedCharArray()
        colors.SetNumberOfComponents(4)
        for xy, color, opacity in shapes:
            ids = [pts.InsertNextPoint(float(x), float(y), 0.0) for x, y in xy]
            cells.InsertNextCell(len(ids), ids)
            colors.InsertNextTuple4(*(round(255 * c) for c in color), round(255 * opacity))
        poly.SetPoints(pts)
        poly.SetLines(cells)
        poly.GetCellData().SetScalars(colors)
        poly.Modified()

    @staticmethod
    def _fill_rects(poly: vtkPolyData, rects: tuple[Rect2D, ...]) -> None:
        """The rectangles as quads, built in numpy: a feature map is hundreds of cells, and
        a point at a time cost 10 us each. The same points (single precision, as
        vtkPoints keeps them) and colours (rounded half to even) as :meth:`_fill_lines` makes a
        line's."""
        n = len(rects)
        box = np.array([(r.x0, r.y0, r.x1, r.y1) for r in rects], dtype=np.float64).reshape(n, 4)
        corners = np.zeros((n, 4, 3), dtype=np.float32)  # (x0 y0) (x1 y0) (x1 y1) (x0 y1)
        corners[:, :, 0] = box[:, [0, 2, 2, 0]]
        corners[:, :, 1] = box[:, [1, 1, 3, 3]]
        pts = vtkPoints()
        pts.SetData(numpy_to_vtk(corners.reshape(-1, 3), deep=True))
        cells = vtkCellArray()
        offsets = np.arange(0, 4 * n + 1, 4, dtype=np.int64)
        cells.SetData(numpy_to_vtkIdTypeArray(offsets, deep=True),
                      numpy_to_vtkIdTypeArray(np.arange(4 * n, dtype=np.int64), deep=True))  # fmt: skip
        rgba = np.array([(*r.color, r.opacity) for r in rects], dtype=np.float64).reshape(n, 4)
        poly.SetPoints(pts)
        poly.SetPolys(cells)
        poly.GetCellData().SetScalars(numpy_to_vtk(np.round(255 * rgba).astype(np.uint8), deep=True))
        poly.Modified()

    def actors(self) -> list[vtkActor2D]:
        """Back to front: rectangles, then lines from thin to thick."""
        return [self.rects[1], *(self.lines[w][1] for w in sorted(self.lines))]

    def update(self, rects: tuple[Rect2D, ...], polylines: tuple[Polyline2D, ...]) -> bool:
        """Show the shapes; True when a new line width needed an actor (re-stack)."""
        poly, actor = self.rects
        self._fill_rects(poly, rects)
        actor.SetVisibility(bool(rects))
        by_width: dict[float, list] = {}
        for line in polylines:
            by_width.setdefault(line.width, []).append((np.array(line.points), line.color, 1.0))
        new_widths = by_width.keys() - self.lines.keys()
        for width in new_widths:
            self.lines[width] = self._actor(width)
        for width, (poly, actor) in self.lines.items():
            self._fill_lines(poly, by_width.get(width, []))
            actor.SetVisibility(width in by_width)
        return bool(new_widths)


def _screen_actor(renderer: vtkRenderer, per_point: bool) -> tuple[vtkPolyData, vtkActor2D]:
    """A 2D actor of shapes in normalised screen coordinates, coloured per shape (cell) or
    per corner (point, interpolated between them)."""
    poly = vtkPolyData()
    coord = vtkCoordinate()
    coord.SetCoordinateSystemToNormalizedViewport()
    mapper = vtkPolyDataMapper2D()
    mapper.SetInputData(poly)
    mapper.SetTransformCoordinate(coord)
    mapper.SetColorModeToDirectScalars()
    mapper.ScalarVisibilityOn()
    if per_point:
        mapper.SetScalarModeToUsePointData()
    else:
        mapper.SetScalarModeToUseCellData()
    actor = vtkActor2D()
    actor.SetMapper(mapper)
    renderer.AddActor(actor)
    return poly, actor


class _Gradient:
    """The frame's vertical gradient: one quad in the background layer, coloured at its
    corners. VTK's own gradient background took 9.2 ms of an empty 720p frame on llvmpipe
    (2-core Xeon) and this quad 4.9 ms; a drawn frame of the default video costs 10% less
    CPU. The pixels are the same but for rounding."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self.poly, _ = _screen_actor(renderer, per_point=True)
        pts = vtkPoints()
        for x, y in ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)):
            pts.InsertNextPoint(x, y, 0.0)
        cells = vtkCellArray()
        cells.InsertNextCell(4, [0, 1, 2, 3])
        self.poly.SetPoints(pts)
        self.poly.SetPolys(cells)
        self.colours: tuple = ()

    def update(self, bottom: tuple[float, float, float], top: tuple[float, float, float]) -> None:
        if (bottom, top) == self.colours:
            return
        colours = vtkUnsignedCharArray()
        colours.SetNumberOfComponents(3)
        for c in (bottom, bottom, top, top):
            colours.InsertNextTuple3(*(round(255 * v) for v in c))
        self.poly.GetPointData().SetScalars(colours)
        self.poly.Modified()
        self.colours = (bottom, top)


class VtkFrameRenderer:
    """Turns frame states into ``(height, width, 3)`` uint8 arrays, offscreen."""

    def __init__(self, width: int, height: int, antialias: str = "fxaa") -> None:
        ensure_offscreen()  # without EGL, VTK's first render would end the process (SIGSEGV)
        self.width, self.height = width, height
        self.window = vtkRenderWindow()
        self.window.SetOffScreenRendering(True)
        self.window.SetSize(width, height)
        self.window.SetMultiSamples(4 if antialias == "msaa" else 0)
        # three layers: the gradient background; the 3D shapes, anti-aliased (FXAA) in the
        # smallest box that holds them -- FXAA costs per pixel of its viewport, about 25 ms
        # of a 48 ms frame at 720p on llvmpipe when it covered the whole frame; and the 2D
        # layer (text, panels, labels), which FreeType already smooths
        self.window.SetNumberOfLayers(3)
        self.background = vtkRenderer()
        self.background.SetLayer(0)
        self.gradient = _Gradient(self.background)
        self.renderer = vtkRenderer()
        self.renderer.SetLayer(1)
        # the halos are the only translucent shapes and barely overlap one another: plain
        # alpha blending looks the same as VTK's order-independent pass (its extra buffers
        # and full-screen composite cost 11 ms of a 43 ms frame at 720p on llvmpipe)
        self.renderer.SetUseOIT(False)
        self.fxaa = antialias == "fxaa"
        if self.fxaa:
            self.renderer.UseFXAAOn()
        self.flat = vtkRenderer()
        self.flat.SetLayer(2)
        for r in (self.background, self.renderer, self.flat):
            self.window.AddRenderer(r)

        # as many triangles as the picture shows: a node's outline is a polygon of
        # ``theta`` sides, within a third of a pixel of its circle (40 by 28
        # cost 9 ms of a 50 ms frame at 720p on llvmpipe, and looked the same)
        (theta, phi), sides = detail(height)
        sphere = vtkSphereSource()
        sphere.SetRadius(1.0)
        sphere.SetThetaResolution(theta)
        sphere.SetPhiResolution(phi)
        # level of detail: hundreds of small spheres need far fewer triangles each
        self.coarse_sphere = vtkSphereSource()
        self.coarse_sphere.SetRadius(1.0)
        self.coarse_sphere.SetThetaResolution(12)
        self.coarse_sphere.SetPhiResolution(8)
        self.fine_sphere = sphere
        self._sphere_source = sphere
        cylinder = vtkCylinderSource()
        cylinder.SetRadius(1.0)
        cylinder.SetHeight(1.0)
        cylinder.SetResolution(sides)
        cylinder.CappingOff()
        to_x = vtkTransform()
        to_x.RotateZ(-90)  # the cylinder's axis is y; glyph orientation aligns x
        along_x = vtkTransformFilter()
        along_x.SetTransform(to_x)
        along_x.SetInputConnection(cylinder.GetOutputPort())
        smooth = vtkPolyDataNormals()
        smooth.SetInputConnection(along_x.GetOutputPort())
        self.cylinders = _Glyphs(self.renderer, smooth, vector_scale=True, oriented=True)
        self.spheres = _Glyphs(self.renderer, sphere)
        self.halos = _Glyphs(self.renderer, sphere)
        self.halos.actor.GetProperty().SetOpacity(0.3)
        self.halos.actor.GetProperty().SetSpecular(0.0)
        self.ghosts = _Glyphs(self.renderer, smooth, vector_scale=True, oriented=True)
        self.ghosts.actor.GetProperty().SetOpacity(0.62)
        self.ghosts.actor.GetProperty().SetSpecular(0.0)
        self.overlay = _Overlay2D(self.flat)
        self.labels = _TextPool(self.flat, world=True)
        self.texts = _TextPool(self.flat, world=False)
        self.spans = _SpanLayout(self.window.GetDPI())

    def gl_info(self) -> str:
        """The OpenGL renderer and version that draw here (``llvmpipe ...; 4.5 ... Mesa
        22.3.6``): frames are the same bytes only where this is the same."""
        report = self.window.ReportCapabilities() or ""
        found = re.findall(r"OpenGL (?:renderer|version) string:\s*(.+)", report)
        return "; ".join(line.strip() for line in found) or "unknown"

    def render(self, state: FrameState) -> np.ndarray:
        """Pixels of ``state``, top row first."""
        theme = state.theme
        self.gradient.update(theme.background_bottom, theme.background_top)
        source = self.coarse_sphere if len(state.sphere_radii) > COARSE_ABOVE else self.fine_sphere
        if source is not self._sphere_source:  # switching the glyph makes VTK rebuild it
            for glyphs in (self.spheres, self.halos):
                glyphs.mapper.SetSourceConnection(source.GetOutputPort())
            self._sphere_source = source
        self.spheres.update(state.sphere_centers, state.sphere_radii, state.sphere_colors)
        cyl_scale = np.stack([state.cylinder_lengths, state.cylinder_radii, state.cylinder_radii], axis=1)
        self.cylinders.update(
            state.cylinder_centers, cyl_scale, state.cylinder_colors, state.cylinder_directions
        )
        self.halos.update(state.halo_centers, state.halo_radii, state.halo_colors)
        ghost_scale = np.stack([state.ghost_lengths, state.ghost_radii, state.ghost_radii], axis=1)
        self.ghosts.update(state.ghost_centers, ghost_scale, state.ghost_colors, state.ghost_directions)
        grew = self.overlay.update(state.rects, state.polylines)
        fonts = (state.font_file, state.mono_font_file, state.bold_font_file, state.mono_bold_font_file)
        size = (self.width, self.height)
        labels = [item for lb in state.labels for item in self.spans.label_items(lb, state.font_file)]
        grew |= self.labels.update(labels, state.font_file)
        texts = [item for t in state.texts for item in self.spans.text_items(t, fonts, size)]
        grew |= self.texts.update(texts, *fonts)
        if grew:
            self._restack()
        c = state.camera
        box = _shapes_box(state) if self.fxaa else None
        x0, y0, x1, y1 = box or (0.0, 0.0, 1.0, 1.0)
        self.renderer.SetViewport(x0, y0, x1, y1)
        # the same picture in the smaller viewport: the view angle shrinks with its height
        # and the window centre moves to its middle (NDC scale by 1/size, then shift)
        sx, sy = x1 - x0, y1 - y0
        mx, my = x0 + x1 - 1.0, y0 + y1 - 1.0
        half = math.tan(math.radians(c.view_angle / 2)) * sy
        cam = self.renderer.GetActiveCamera()
        _aim(cam, c, math.degrees(2 * math.atan(half)),
             ((c.window_center[0] + mx) / sx, (c.window_center[1] + my) / sy))  # fmt: skip
        self.renderer.ResetCameraClippingRange()
        flat = self.flat.GetActiveCamera()  # world-anchored labels are projected with it
        _aim(flat, c, c.view_angle, c.window_center)
        flat.SetClippingRange(cam.GetClippingRange())
        self.window.Render()
        buf = vtkUnsignedCharArray()
        self.window.GetPixelData(0, 0, self.width - 1, self.height - 1, 1, buf, 0)
        pixels = vtk_to_numpy(buf).reshape(self.height, self.width, 3)
        return np.ascontiguousarray(pixels[::-1])

    def _restack(self) -> None:
        """Put the 2D actors in one fixed order (VTK draws in the order of adding).

        Pools grow as frames need more actors; without this, the stacking of overlapping
        text and lines, and so the pixels of a frame, would depend on which frames came
        before it, and a segment rendered by another process (--jobs) would differ."""
        for actor in [*self.overlay.actors(), *self.labels.actors, *self.texts.actors]:
            self.flat.RemoveActor(actor)
            self.flat.AddActor(actor)

    def close(self) -> None:
        self.window.Finalize()


def _aim(cam, c, view_angle: float, window_center: tuple[float, float]) -> None:
    cam.SetPosition(*c.position)
    cam.SetFocalPoint(*c.focal_point)
    cam.SetViewUp(*c.view_up)
    cam.SetViewAngle(view_angle)
    cam.SetWindowCenter(*window_center)


#: pixels around the projected shapes that the anti-aliased box keeps (their silhouettes
#: under perspective, and FXAA's own reach)
BOX_MARGIN_PX = 8


def _shapes_box(state: FrameState) -> tuple[float, float, float, float] | None:
    """The viewport (0..1, from the bottom left, on whole pixels) that holds every 3D
    shape of ``state``: spheres, halos, weights and their sleeves, each point pushed out by
    its radius along every axis before projecting. None where it would be most of the
    frame anyway (or there is nothing to draw in 3D: a tiny box)."""
    from nnviz3d.frames import project

    parts = [(state.sphere_centers, state.sphere_radii), (state.halo_centers, state.halo_radii)]
    for centers, dirs, lengths, radii in (
        (state.cylinder_centers, state.cylinder_directions, state.cylinder_lengths, state.cylinder_radii),
        (state.ghost_centers, state.ghost_directions, state.ghost_lengths, state.ghost_radii),
    ):
        if len(centers):
            half = np.asarray(dirs) * (np.asarray(lengths) / 2)[:, None]
            parts += [(centers + half, radii), (centers - half, radii)]
    points = [np.asarray(p, float) for p, r in parts if len(p)]
    if not points:
        return (0.0, 0.0, 2 / state.width, 2 / state.height)
    radii = np.concatenate([np.broadcast_to(np.asarray(r, float), (len(p),)) for p, r in parts if len(p)])
    centres = np.concatenate(points)
    ok = np.all(np.isfinite(centres), axis=1) & np.isfinite(radii)
    if not np.all(ok):  # a diverged run's shapes at their limits: the whole frame
        return None
    offsets = np.vstack([np.zeros(3), np.eye(3), -np.eye(3)])
    spread = (centres[:, None, :] + radii[:, None, None] * offsets[None]).reshape(-1, 3)
    ndc = project(state.camera, spread, state.width / state.height)
    w, h = state.width, state.height
    x0 = max(0, math.floor((ndc[:, 0].min() + 1) / 2 * w) - BOX_MARGIN_PX)
    x1 = min(w, math.ceil((ndc[:, 0].max() + 1) / 2 * w) + BOX_MARGIN_PX)
    y0 = max(0, math.floor((ndc[:, 1].min() + 1) / 2 * h) - BOX_MARGIN_PX)
    y1 = min(h, math.ceil((ndc[:, 1].max() + 1) / 2 * h) + BOX_MARGIN_PX)
    if x1 <= x0 or y1 <= y0 or (x1 - x0) * (y1 - y0) > 0.8 * w * h:
        return None
    return (x0 / w, y0 / h, x1 / w, y1 / h)


def _label_item(lb: Label3D, offset: tuple[float, float] = (0.0, 0.0)):
    return (
        lb.text,
        lb.position,
        lb.size,
        lb.color,
        False,
        False,
        lb.align,
        lb.valign,
        lb.backdrop,
        offset,
        lb.angle,
    )


def _text_item(t: Text2D):
    return (
        t.text,
        (t.x, t.y, 0.0),
        t.size,
        t.color,
        t.mono,
        t.bold,
        t.align,
        t.valign,
        None,
        (0.0, 0.0),
        0.0,
    )
