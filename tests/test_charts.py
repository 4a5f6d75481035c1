"""The inset charts of the default video: plain titles, labelled axes, nothing drawn before
it exists, and every text inside its chart without touching another. Pure data: the
charts' texts and lines as the overlay draws them, no rendering."""

import itertools
from dataclasses import replace
from pathlib import Path

import pytest

from nnviz3d.compare import comparison_timelines
from nnviz3d.frames import frame_state
from nnviz3d.hud import LAYOUTS, PANELS, Hud, Overlay
from nnviz3d.pipeline import prepare
from nnviz3d.primitives import THEMES, text_width_em
from nnviz3d.scene import load_scene
from nnviz3d.text import message
from tests.helpers import study

SCENES = Path(__file__).resolve().parent.parent / "scenes"
SUBSET_FONT = Path(__file__).parent / "fixtures" / "NotoSansCJKjp-subset.otf"
CHARTS = ("progress_chart", "detail_chart")
LINE = 1.25  # a line of text is at most this many times its size tall


def scene(name="iamtrask", lang="en"):
    loaded = study(load_scene(SCENES / f"{name}.toml"))  # the study layout shows the charts
    if lang == "ja":  # the subset font that ships with the tests: no system font needed
        return replace(loaded, render=replace(loaded.render, lang="ja", font=str(SUBSET_FONT)))
    return loaded


@pytest.fixture(scope="module")
def tl():
    return prepare(scene())[1]


def chart(tl, step, name, w=1280, h=720, theme="dark"):
    """What panel ``name`` draws at ``step``, and the panel it draws on (its first rect)."""
    hud = Hud(tl, step, THEMES[theme], w, h)
    box = dict(LAYOUTS["study"](hud))[name]
    out = Overlay()
    PANELS[name](hud, box, out)
    return out


def bounds(t, w, h):
    """The box a text covers at most: its estimated width, LINE times its size tall."""
    width = text_width_em(t.text, t.mono) * t.size / w
    height = (t.text.count("\n") + 1) * t.size * LINE / h
    left = t.x - width * {"left": 0.0, "center": 0.5, "right": 1.0}[t.align]
    top = t.y + height * {"top": 0.0, "center": 0.5, "bottom": 1.0}[t.valign]
    return left, top - height, left + width, top


def texts(out):
    return [t.text for t in out.texts]


def y_labels(out):
    return [t.text for t in out.texts if t.align == "right" and t.valign == "center"]


def x_labels(out):
    return [t.text for t in out.texts if t.align == "center"]


def step_of(tl, kind, epoch, layer=None):
    return next(
        s for s in tl.steps if s.kind == kind and s.epoch == epoch and (layer is None or s.layer == layer)
    )


def test_titles_and_axis_names_are_plain_words(tl):
    assert message("en", "plot_error") == "mean |error| per iteration"
    assert message("en", "plot_update") == "largest weight change per iteration"
    assert message("ja", "plot_error") == "繰り返しごとの平均絶対誤差"
    assert message("ja", "plot_update") == "繰り返しごとの重みの最大変化"
    end = step_of(tl, "end", 1998)
    error, update = (chart(tl, end, name) for name in CHARTS)
    # the long title is set in two lines at this size rather than in smaller type
    assert texts(error)[:1] == ["mean |error| per iteration"]
    assert texts(update)[:2] == ["largest weight change", "per iteration"]
    for out, y_name in ((error, "mean |error|"), (update, "largest change")):
        assert {y_name, "iteration", "| iterations shown"} <= set(texts(out))
    assert not any("display error" in t or "ticks" in t for t in texts(error) + texts(update))
    ja = prepare(scene(lang="ja"), epochs=(1,))[1]
    s = step_of(ja, "end", 1)
    assert {"繰り返しごとの平均絶対誤差", "平均絶対誤差", "繰り返し回数", "| 表示した回"} <= set(
        texts(chart(ja, s, "progress_chart"))
    )
    assert {"繰り返しごとの重みの最大変化", "最大変化量"} <= set(texts(chart(ja, s, "detail_chart")))
    assert not any("表示用誤差" in t for t in texts(chart(ja, s, "progress_chart")))


def test_axes_carry_their_ticks_at_iteration_1998(tl):
    end = step_of(tl, "end", 1998)
    error, update = (chart(tl, end, name) for name in CHARTS)
    assert y_labels(error) == ["0", "0.25", "0.5"]
    assert y_labels(update) == ["1e-5", "1e-4", "1e-3", "1e-2"]  # log axis: powers of ten
    # the x axis runs to the end of the run; the curve stops at the cursor (no spoilers)
    for out in (error, update):
        assert x_labels(out) == ["1", "10", "100", "1k", "10k", "60k"]
    assert "0.02415" in texts(error) and f"{tl.update_sizes[1997]:.2e}" in texts(update)
    curve = max((p for p in error.lines if p.color == THEMES["dark"].text), key=lambda p: len(p.points))
    x_end = max(x for x, _ in curve.points)
    cursor = next(p for p in error.lines if p.color == THEMES["dark"].accent and len(p.points) == 2
                  and p.points[1][1] - p.points[0][1] > 0.05)  # fmt: skip
    axis = error.lines[0].points  # the L of the axes: top left, origin, bottom right
    assert x_end == pytest.approx(cursor.points[0][0]) and x_end < axis[2][0] - 0.02


def _drawn(out):
    """The update chart's curve and cursor: text-coloured lines, tall accent lines."""
    theme = THEMES["dark"]
    curve = [p for p in out.lines if p.color == theme.text and len(p.points) > 1]
    cursor = [p for p in out.lines if p.color == theme.accent and p.points[-1][1] - p.points[0][1] > 0.05]
    values = [t for t in out.texts if t.color == theme.accent and not t.text.startswith("|")]
    return curve, cursor, values


def test_the_update_chart_is_empty_until_the_first_update_has_played(tl):
    first = step_of(tl, "update", 1, layer=0)  # syn0, the end of iteration 1's backward pass
    assert [s.index for s in tl.steps if s.kind == "update"][:2] == [38, first.index]
    early = [chart(tl, step, "detail_chart") for step in tl.steps[: first.index]]
    assert [i for i, out in enumerate(early) if _drawn(out) != ([], [], [])] == []
    assert all(y_labels(out) and "iteration" in texts(out) for out in early)  # the axes, empty
    curve, cursor, values = _drawn(chart(tl, first, "detail_chart"))
    assert (
        len(curve) == 1 and len(cursor) == 1 and [t.text for t in values] == ["1.03e-02"]
    )  # the caption's |-0.0103|
    assert "largest change -0.0103" in first.caption  # signed: syn0[2,3] moves down
    # the same through the frame builder, on the update's last frame and the one before it
    theme = THEMES["dark"]
    for step, n in ((tl.steps[first.index - 1], 0), (first, 1)):
        fs = frame_state(tl, tl.frames_of(step.index)[-1], 1280, 720)
        cursors = [
            p for p in fs.polylines if p.color == theme.accent and p.points[-1][1] - p.points[0][1] > 0.05
        ]
        assert sum(p.points[0][0] > 0.5 for p in cursors) == n  # the update chart is the right one
        assert ("1.03e-02" in [t.text for t in fs.texts]) == bool(n)


def test_last_update_shown_follows_the_backward_pass(tl):
    from nnviz3d.charts import last_update_shown

    def at(kind, epoch, layer=None):
        return last_update_shown(tl, step_of(tl, kind, epoch, layer))

    assert last_update_shown(tl, tl.steps[0]) == 0
    assert at("display_error", 1) == 0 and at("update", 1, 1) == 0 and at("update", 1, 0) == 1
    assert at("end", 1) == 1 and at("card", 2) == 1 and at("node", 2) == 1
    assert at("skip", 1998) == 1997  # the skipped iterations were all updated
    assert at("update", 2000, 1) == 1999 and at("end", 2000) == 2000


CASES = [
    ("iamtrask", (1280, 720), "en"),
    ("iamtrask", (1920, 1080), "en"),
    ("iamtrask", (1280, 720), "ja"),
    ("handcalc_322", (1280, 720), "en"),
    ("fit_square", (1280, 720), "en"),
    ("digits", (1280, 720), "en"),
    ("iamtrask", (640, 360), "en"),
    ("xor_butterfly+compare", (640, 360), "en"),  # a quarter of the split screen
]


@pytest.mark.parametrize(("name", "size", "lang"), CASES)
def test_chart_texts_stay_in_their_panel_apart_and_readable(name, size, lang):
    w, h = size
    if name.endswith("+compare"):
        t = comparison_timelines(scene(name.removesuffix("+compare")))[0]
    else:
        t = prepare(scene(name, lang), epochs=(1, 1998) if name == "iamtrask" else None)[1]
    tick = round(h * 0.016)
    steps = [t.steps[0], *(s for s in t.steps if s.kind in ("display_error", "update", "end"))]
    for step, name in itertools.product(steps, CHARTS):
        out = chart(t, step, name, w, h)
        panel = out.rects[0]
        if not (name == "progress_chart" and t.trajectory is not None):  # projections: no axes
            assert len(y_labels(out)) >= 2 and len(x_labels(out)) >= 2  # the labels that must fit
        boxes = [bounds(x, w, h) for x in out.texts]
        for x, (x0, y0, x1, y1) in zip(out.texts, boxes, strict=True):
            assert panel.x0 <= x0 and x1 <= panel.x1 and panel.y0 <= y0 and y1 <= panel.y1, (step.index, x)
            assert x0 >= 0 and x1 <= 1 and y0 >= 0 and y1 <= 1
            assert x.size >= tick, (x.text, x.size)  # 0.016 of the height at least
        for (a, ba), (b, bb) in itertools.combinations(zip(out.texts, boxes, strict=True), 2):
            apart = ba[2] <= bb[0] or bb[2] <= ba[0] or ba[3] <= bb[1] or bb[3] <= ba[1]
            assert apart, (step.index, a.text, b.text)


def test_the_loss_is_explained_where_its_gradient_is_shown(tl):
    caption = step_of(tl, "display_error", 1).caption
    assert caption == (
        "mean |error| = mean(abs(l2_error)) over the batch = 0.49641: what the code prints. "
        "Training lowers another number, the loss (1/2 sum of squared errors): 0.49519"
    )  # two measures, near in value: which one the descent plot draws (three reviews)
    assert step_of(tl, "display_error", 1).values["loss"] == pytest.approx(0.4951865, abs=1e-6)
    hand = prepare(scene("handcalc_322"))[1]
    assert step_of(hand, "display_error", 1).caption.endswith(
        "(loss E = 1/2 sum of squared errors = 10.42644)"
    )
    assert step_of(hand, "update", 1, 1).panel[0] == "gradient dE/dsyn1 ="  # where E is used
