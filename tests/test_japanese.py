"""Japanese frames: code and tables in a monospaced CJK font, and the lecturer's terms.

The fonts are the subsets in tests/fixtures (made by make_font_subsets.py), so none of
this needs a CJK font on the machine."""

import math
import re
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from nnviz3d import fonts
from nnviz3d.errors import UserError
from nnviz3d.fonts import find_japanese_mono_font, mono_advance_em
from nnviz3d.frames import frame_state
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import THEMES
from nnviz3d.render_vtk import VtkFrameRenderer
from nnviz3d.scene import load_scene
from nnviz3d.text import MESSAGES, columns, pad_columns
from tests.helpers import study

FIXTURES = Path(__file__).parent / "fixtures"
SANS = FIXTURES / "NotoSansCJKjp-subset.otf"
MONO = FIXTURES / "NotoSansMonoCJKjp-subset.otf"
W, H = 1280, 720


@pytest.fixture(scope="module")
def ja():
    scene = study(load_scene())
    render = replace(scene.render, lang="ja", font=str(SANS), mono_font=str(MONO))
    return prepare(replace(scene, render=render), epochs=(1,))[1]


@pytest.fixture(scope="module")
def frames(ja):
    """The syn1 update with the mono font, and as it was drawn before (no mono font)."""
    step = next(s for s in ja.steps if s.kind == "update" and s.layer == 1)
    frame = ja.frames_of(step.index)[-1]
    new = frame_state(ja, frame, W, H)
    old = frame_state(replace(ja, mono_font=None), frame, W, H)
    renderer = VtkFrameRenderer(W, H)
    try:
        return new, renderer.render(new), old, renderer.render(old)
    finally:
        renderer.close()


def _box(rect) -> tuple[slice, slice]:
    """Pixel rows and columns of a screen rectangle (0..1, from the bottom left)."""
    rows = slice(round((1 - rect.y1) * H), round((1 - rect.y0) * H))
    return rows, slice(round(rect.x0 * W), round(rect.x1 * W))


def _near(pixels: np.ndarray, color, tol: int = 40) -> np.ndarray:
    return np.abs(pixels.astype(int) - np.array(color) * 255).max(axis=-1) < tol


def _code_panel(fs):
    return next(r for r in fs.rects if r.x0 < 0.01 and r.y0 < 0.01)


def test_the_mono_font_is_half_an_em_wide(ja):
    assert ja.font == str(SANS) and ja.mono_font == str(MONO)
    assert ja.mono_em == mono_advance_em(str(MONO)) == 0.5
    assert mono_advance_em(str(SANS)) != 0.5  # the proportional face: digits 0.555 em
    # FreeType rounds the advance to whole pixels, as VTK draws it
    assert [ja.mono_advance_px(s) for s in (13, 14, 15, 17)] == [7, 7, 8, 9]
    assert replace(ja, mono_font=None).mono_advance_px(10) == 6.0  # Courier, as before


def test_japanese_code_keeps_its_syntax_colours(frames):
    new, pixels, old, old_pixels = frames
    keyword = new.theme.keyword
    assert {t.text for t in new.texts if t.mono and t.color == keyword} >= {"for", "in", "print"}
    rows, cols = _box(_code_panel(new))
    assert _near(pixels[rows, cols], keyword).sum() > 50  # violet keywords in the code panel
    # before: a proportional font drew whole lines in one colour
    assert not any(t.color == keyword for t in old.texts)
    rows, cols = _box(_code_panel(old))
    assert _near(old_pixels[rows, cols], keyword).sum() == 0


def test_the_highlight_bar_ends_just_after_the_executing_line(ja, frames):
    fs, pixels, *_ = frames
    bar = max(
        (r for r in fs.rects if r.color == fs.theme.accent), key=lambda r: r.x1 - r.x0
    )  # not the row mark
    marker = next(t for t in fs.texts if t.text == ">" and t.mono)
    adv = math.floor(0.5 * marker.size + 0.5)  # Noto Sans Mono CJK's half em, as FreeType rounds it
    line = next(c for c in ja.code if c.strip().startswith("syn1 +="))
    tokens = [t for t in fs.texts if t.mono and t.y == marker.y and t.text != ">"]
    assert "".join(t.text for t in tokens).replace(" ", "") == line.replace(" ", "")
    assert (bar.x1 - 0.006) * W == pytest.approx((len(line) + 3) * adv)  # the line and 1.5 columns
    rows, _ = _box(bar)
    ink = np.flatnonzero(_near(pixels[rows, : round(bar.x1 * W) + 40], fs.theme.accent, 60).any(axis=0))
    assert abs(ink.max() - (0.01 * W + (len(line) + 2) * adv)) < 3  # the drawn line ends there
    assert 0 < bar.x1 * W - ink.max() < 2 * adv  # the text fills the bar, and stays on it


def _glyph_centres(pixels: np.ndarray, t, adv: float) -> list[float]:
    """x of each glyph of a one-line text, from its ink (digits never touch)."""
    top = round((1 - t.y) * H)
    band = pixels[
        top : top + round(t.size * 1.2), round(t.x * W) : round(t.x * W + (len(t.text) + 0.5) * adv)
    ]
    ink = np.flatnonzero(band.max(axis=2).max(axis=0) > 110)
    runs = np.split(ink, np.flatnonzero(np.diff(ink) > 1) + 1)
    return [round(t.x * W) + (r[0] + r[-1]) / 2 for r in runs if len(r)]


def _aligned(fs, pixels, adv: float) -> bool:
    """Every glyph of every records row sits in its column: the columns of two rows
    match, and each glyph is (its character index) × (the font's advance) along."""
    rows = [t for t in fs.texts if t.mono and re.fullmatch(r"[01] [01] [01]", t.text)]
    assert len(rows) == 4
    ok = True
    for t in rows:
        centres = _glyph_centres(pixels, t, adv)
        index = [i for i, c in enumerate(t.text) if c != " "]
        assert len(centres) == len(index), t.text
        expected = [(i - index[0]) * adv for i in index]
        ok &= bool(np.allclose(np.array(centres) - centres[0], expected, atol=1.5))
    firsts = [_glyph_centres(pixels, t, adv) for t in rows[:2]]
    return ok and bool(np.allclose(firsts[0], firsts[1], atol=1.0))


def test_the_records_table_columns_align(ja, frames):
    new, pixels, old, old_pixels = frames
    size = next(t.size for t in new.texts if t.mono and t.text == "入力 X")
    assert _aligned(new, pixels, ja.mono_advance_px(size))
    assert not _aligned(old, old_pixels, ja.mono_advance_px(size))  # "1 001 0"


def test_japanese_table_headers_are_words(frames):
    fs = frames[0]
    texts = [t.text for t in fs.texts]
    assert {"入力 X", "出力 l2", "正解 y"} <= set(texts)
    en = MESSAGES["en"]
    assert (en["records_x"], en["table_output"], en["records_y"]) == ("input X", "output l{k}", "target y")
    assert columns("入力 X") == 6 and pad_columns("No", 4) == "  No" and pad_columns("番号", 3) == "番号"


def test_the_japanese_error_is_the_mean_absolute_error():
    ja = MESSAGES["ja"]
    assert not [key for key, text in ja.items() if "表示用誤差" in text]
    for key in ("display_error", "end", "display_error_hud", "display_error_none", "plot_error"):
        assert "平均絶対誤差" in ja[key], key


def test_only_a_proportional_font_keeps_whole_code_lines(monkeypatch):
    monkeypatch.setattr(fonts, "_fontconfig_japanese_mono", list)
    scene = study(load_scene())
    _, tl = prepare(replace(scene, render=replace(scene.render, lang="ja", font=str(SANS))), epochs=(1,))
    assert tl.font == str(SANS) and tl.mono_font is None and tl.mono_em == 0.6
    fs = frame_state(tl, tl.frames_of(10)[-1], W, H)
    code = [t.text for t in fs.texts if t.mono and t.text in tl.code]
    assert code == list(tl.code)  # one text per line, uncoloured
    with pytest.raises(UserError, match="is not monospaced"):
        find_japanese_mono_font(None, str(SANS))
    with pytest.raises(UserError, match=r"font file '/no/mono\.otf' not found"):
        find_japanese_mono_font(None, "/no/mono.otf")


def test_the_mono_face_is_copied_out_of_a_collection(tmp_path, monkeypatch):
    """Debian's NotoSansCJK-Regular.ttc holds the mono face sixth; VTK reads only the first
    face of a file, so the mono face is written to a cached file of its own."""
    ttlib = pytest.importorskip("fontTools.ttLib")
    from vtkmodules.vtkRenderingCore import vtkTextProperty, vtkTextRenderer

    collection = ttlib.TTCollection()
    collection.fonts = [ttlib.TTFont(SANS), ttlib.TTFont(MONO)]
    ttc = tmp_path / "NotoSansCJK-test.ttc"
    collection.save(ttc)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(fonts, "_fontconfig_japanese_mono", list)
    assert fonts._mono_face(ttc) == 1
    mono = Path(find_japanese_mono_font(str(ttc)))  # derived from the caption font
    assert mono.parent == tmp_path / "cache" / "nnviz3d" / "fonts"
    assert ttlib.TTFont(mono).getBestCmap() == ttlib.TTFont(MONO).getBestCmap()
    stamp = mono.stat().st_mtime_ns
    assert find_japanese_mono_font(str(SANS), str(ttc)) == str(mono) and mono.stat().st_mtime_ns == stamp
    assert mono_advance_em(str(mono)) == 0.5
    prop = vtkTextProperty()  # and VTK draws it: ten digits at 14 px are 70 px
    prop.SetFontSize(14)
    prop.SetFontFamily(4)
    prop.SetFontFile(str(mono))
    box = [0, 0, 0, 0]
    assert vtkTextRenderer().GetBoundingBox(prop, "0" * 10, box, 72)
    assert box[1] - box[0] + 1 == 70
    assert struct.unpack(">I", mono.read_bytes()[:4])[0] == 0x4F54544F  # "OTTO": one face


def test_fontconfig_mono_candidates_are_ranked(monkeypatch):
    listing = "\n".join(
        [
            "/f/NotoSansCJK-Regular.ttc\t0\tNoto Sans CJK JP\tRegular\t",
            "/f/NotoSansCJK-Bold.ttc\t5\tNoto Sans Mono CJK JP\tBold\t",
            "/f/NotoSansCJK-Regular.ttc\t6\tNoto Sans Mono CJK KR\tRegular\t",
            "/f/NotoSansCJK-Regular.ttc\t5\tNoto Sans Mono CJK JP\tRegular\t",
            "/f/ipag.ttf\t0\tIPAGothic\tRegular\t100",
            "/f/ipagp.ttf\t0\tIPAPGothic\tRegular\t",
        ]
    )

    class Done:
        stdout = listing

    monkeypatch.setattr(fonts.shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(fonts.subprocess, "run", lambda *a, **k: Done())
    assert fonts._fontconfig_japanese_mono() == [
        ("/f/NotoSansCJK-Regular.ttc", 5),
        ("/f/NotoSansCJK-Bold.ttc", 5),
        ("/f/NotoSansCJK-Regular.ttc", 6),
        ("/f/ipag.ttf", 0),
    ]


def test_bold_text_is_drawn_in_the_fonts_bold_face(tmp_path):
    """VTK does not embolden a font file: a Japanese caption in bold needs the family's bold
    file, found beside the regular one (Debian's NotoSansCJK-Bold.ttc)."""
    from vtkmodules.vtkRenderingCore import vtkTextProperty

    from nnviz3d.fonts import find_bold_face
    from nnviz3d.render_vtk import _set_font

    regular, bold = tmp_path / "NotoSansCJK-Regular.otf", tmp_path / "NotoSansCJK-Bold.otf"
    regular.write_bytes(SANS.read_bytes())
    assert find_bold_face(str(regular)) is None  # no bold file beside it
    bold.write_bytes(SANS.read_bytes())
    assert find_bold_face(str(regular)) == str(bold)
    assert find_bold_face(str(SANS)) is None and find_bold_face(None) is None
    p = vtkTextProperty()
    for is_bold, mono, expected in ((True, False, "B"), (False, False, "R"), (True, True, "M")):
        _set_font(p, 20, mono, is_bold, "R", "M", "B")
        assert p.GetFontFile() == expected


@pytest.fixture(scope="module")
def ja_lecture():
    """The default layout in Japanese, with the fixtures' fonts."""
    scene = load_scene()
    render = replace(scene.render, lang="ja", font=str(SANS), mono_font=str(MONO), layout="lecture")
    return prepare(replace(scene, render=render), epochs=(1,))[1]


def test_the_japanese_code_line_keeps_its_syntax_colours(ja_lecture):
    """Hall and lecture show the executing line alone; in Japanese it was one white run (the
    rule for a proportional font), though the mono font places its tokens by column."""
    step = next(s for s in ja_lecture.steps if s.kind == "loop")  # for j in range(60000):
    fs = frame_state(ja_lecture, ja_lecture.frames_of(step.index)[-1], W, H)
    theme = THEMES["dark"]  # the scene's
    code = {t.text: t.color for t in fs.texts if t.mono and t.bold}
    assert code["for"] == code["in"] == theme.keyword and code["60000"] == theme.number
    assert len(set(code.values())) >= 3  # names, keywords, numbers


SYSTEM_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


@pytest.mark.skipif(
    not SYSTEM_CJK.with_name("NotoSansCJK-Bold.ttc").is_file(), reason="needs fonts-noto-cjk (apt-get)"
)
def test_japanese_code_is_drawn_in_the_bold_mono_face(ja_lecture):
    """The executing code line is bold: in Japanese it is drawn in Noto Sans Mono CJK JP
    Bold, the mono face of the bold collection beside the caption font (review 47a: the
    regular face was thin from the back of a hall), with more ink than the regular."""
    from nnviz3d.fonts import _Face, find_bold_mono_face
    from nnviz3d.pipeline import resolve_fonts

    bold = find_bold_mono_face(str(SYSTEM_CJK))
    face = _Face(Path(bold).read_bytes())
    assert face.family() == "Noto Sans Mono CJK JP" and "Bold" in Path(bold).name
    scene = load_scene()
    fonts = resolve_fonts(replace(scene, render=replace(scene.render, lang="ja", font=str(SYSTEM_CJK))))
    assert fonts["mono_bold_font"] == bold
    assert find_bold_mono_face(str(MONO)) is None  # no bold file beside it: the regular face
    step = next(s for s in ja_lecture.steps if s.kind == "error" and s.layer == 1)
    frame = ja_lecture.frames_of(step.index)[-1]
    renderer = VtkFrameRenderer(W, H)
    try:
        inks = []
        for mono_bold in (None, bold):
            fs = frame_state(replace(ja_lecture, mono_bold_font=mono_bold), frame, W, H)
            assert fs.mono_bold_font_file == mono_bold
            rows, cols = slice(round(0.87 * H), H), slice(0, round(0.69 * W))  # the code line's box
            inks.append(int((renderer.render(fs)[rows, cols].max(axis=2) > 128).sum()))
    finally:
        renderer.close()
    assert inks[1] > 1.25 * inks[0], inks


def test_a_format_12_cmap_is_looked_up_by_its_groups():
    """A CJK face's cmap is read as its groups and looked up by bisection (written out, its
    65,000 code points cost 0.3-0.5 s a collection on every Japanese run): every code point
    maps as the groups say, the unmapped ones to 0, in any order the groups come."""
    groups = [(0x3042, 0x3093, 500), (0x41, 0x5A, 10), (0x20, 0x20, 3)]
    expanded = {c: gid + c - start for start, end, gid in groups for c in range(start, end + 1)}
    cmap = fonts._Groups(groups)
    assert all(cmap.get(c, 0) == expanded.get(c, 0) for c in range(0x4000))
    assert cmap.maps_any(0x3041, 0x30FF) and cmap.maps_any(0x5A, 0x60) and not cmap.maps_any(0x5B, 0x3041)


def test_japanese_breaks_between_phrases_not_inside_a_word():
    """Japanese has no spaces: any two wide characters were a break, and the chain's caption
    read 動 / かす across its lines (review 62a). Breaks now fall between BudouX's phrases."""
    from nnviz3d.hud import wrap
    from nnviz3d.primitives import line_breaks

    caption = "連鎖律、レコード 2\uff1ax2 → h3 を少し動かすと、各段が次を動かし損失まで届く"
    breaks = line_breaks(caption)
    word = caption.index("動かすと")
    assert not {word + 1, word + 2, word + 3} & set(breaks)  # 動|か|す|と: none inside
    assert word in breaks and caption.index("各段") in breaks  # before a phrase, and after 、
    assert line_breaks("mean |error| 0.5") == [0, 5, 13, 16]  # Latin: after spaces, as before
    for measure in (500, 600, 700, 900):  # each word whole on a line, at any measure
        lines = wrap(caption, 40, measure).split("\n")
        assert len(lines) >= 2
        for word in ("連鎖律", "少し", "動かすと", "各段が", "動かし", "損失まで", "届く"):
            assert any(word in line for line in lines), (word, lines)
    first, second = wrap(caption, 40, 900).split("\n")
    assert first.endswith("h3 を少し") and second == "動かすと、各段が次を動かし損失まで届く"
