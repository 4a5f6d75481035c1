"""Malformed scene files: one line naming the key, exit status 2, nothing written.

A catalogue of faults tests/test_scene.py does not already cover (it has the unknown key,
layers given as a string, the layer/activation count mismatch, the targets of the wrong
shape and width, NaN in the inputs, the training epochs 0, the shown epochs beyond those
trained or unreadable, fps = 0 or a boolean, the odd resolution), some of them through the
command line; then hypothesis mutates the shipped scenes and asserts that each mutant is
either refused with a clear one-line error or loads, trains and lays out its frames.
"""

import copy
import datetime
import math
import re
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnviz3d import recorder
from nnviz3d.cli import main
from nnviz3d.errors import SceneError, UserError
from nnviz3d.frames import frame_state
from nnviz3d.pipeline import check_size, prepare
from nnviz3d.scene import load_scene

ROOT = Path(__file__).resolve().parent.parent
FUZZED = ("iamtrask", "handcalc_322", "fit_square", "xor_butterfly")
TEXTS = {name: (ROOT / "scenes" / f"{name}.toml").read_text() for name in FUZZED}
PARSED = {name: tomllib.loads(text) for name, text in TEXTS.items()}
# training may raise Diverged (older recorder) or carry on with NaN (newer): either is fine
EXPECTED: tuple[type[BaseException], ...] = (UserError,) + (
    (recorder.Diverged,) if hasattr(recorder, "Diverged") else ()
)


def _edit(name: str, old: str, new: str) -> str:
    text = TEXTS[name]
    assert old in text, old
    return text.replace(old, new, 1)


def _one_line(message: str) -> None:
    assert message.strip(), "empty error message"
    assert len(message.splitlines()) == 1 and "\n" not in message, repr(message)


# ---------------------------------------------------------------------------------------------
# The catalogue: (scene, text to replace, replacement, what the one-line error must say)

T, H, F, X = FUZZED  # iamtrask, handcalc_322, fit_square, xor_butterfly
CATALOGUE = [
    # wrong types
    (T, 'activations = ["sigmoid", "sigmoid"]', 'activations = "sigmoid"',
     r"\[network\] activations: expected a list, got str"),
    (T, 'activations = ["sigmoid", "sigmoid"]', 'activations = [["sigmoid"], "sigmoid"]',
     r"\[network\] activations: unknown activation \['sigmoid'\]"),
    (T, "bias = false", "bias = 0", r"\[network\] bias: expected true or false, got int"),
    (T, "learning_rate = 1.0", 'learning_rate = "fast"',
     r"\[network\] learning_rate: expected an integer or a number, got str"),
    (T, "epochs = 60000", 'epochs = "60000"', r"\[training\] epochs: expected an integer, got str"),
    (T, 'epochs = "1-3,1998-2000"', "epochs = 3", r"\[render\] epochs: expected a string, got int"),
    (T, "seed = 1\n", "seed = 1979-05-27\n", r"\[network.init\] seed: expected an integer, got date"),
    (T, "inputs = [[0, 0, 1],", 'inputs = [["0", 0, 1],', r"\[data\] inputs: must be a matrix of numbers"),
    (T, "inputs = [[0, 0, 1],", "inputs = [[0, 0, 1, [1]],", r"\[data\] inputs: must be a matrix"),
    (T, "inputs = [[0, 0, 1],", "inputs = [[true, 0, 1],", r"\[data\] inputs: must be a matrix of numbers"),
    # unknown keys, tables and step kinds (a quoted key stays on one line)
    (T, "[render]", "[rendering]\nfps = 30\n[render]", "rendering: unknown key"),
    (T, "fps = 30", "fps = 30\n[render.durations]\nnodes = 1.0",
     r"\[render.durations\] nodes: unknown step kind"),
    (T, "bias = false", 'bias = false\n"two\\nlines" = 1', r"\[network\] 'two\\nlines': unknown key"),
    # wrong matrix shapes
    (T, "targets = [[0], [1], [1], [0]]", "targets = [0, 1, 1, 0]",
     r"\[data\] targets: must be a non-empty matrix"),
    (T, "inputs = [[0, 0, 1],", "inputs = [[0, 0],", r"\[data\] inputs: must be a matrix"),
    (H, "[[1.0, 3.0], [2.0, 4.0]],", "[[1.0, 3.0]],", r"weights\[1\]: has shape 1x2, expected 2x2"),
    (H, "[[1.0, 3.0], [2.0, 4.0]],\n]", "]", r"\[network.init\] weights: needs 2 matrices"),
    (X, "biases = [[0.0, 0.0, 0.0], [0.0, 0.0]]", "biases = [[0.0, 0.0], [0.0, 0.0]]",
     r"biases\[0\]: has shape 1x2, expected 1x3"),
    # layer/activation count mismatch, layer sizes
    (T, "layers = [3, 4, 1]", "layers = [3, 4, 4, 1]",
     r"\[network\] activations: needs one activation per weight layer \(3\), got 2"),
    (T, "layers = [3, 4, 1]", "layers = [3, 0, 1]", r"\[network\] layers: must list at least two"),
    (T, "layers = [3, 4, 1]", "layers = [3, 1000000000000, 1]",
     r"\[network\] layers: a layer of 1000000000000 nodes is more than"),
    # empty data
    (T, "inputs = [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]]", "inputs = []",
     r"\[data\] inputs: must be a non-empty matrix"),
    (T, "inputs = [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]]", "inputs = [[], [], [], []]",
     r"\[data\] inputs: must be a non-empty matrix"),
    (T, "targets = [[0], [1], [1], [0]]", "targets = []", r"\[data\] targets: must be a non-empty"),
    (T, "targets = [[0], [1], [1], [0]]\n", "", r"\[data\] targets: is required"),
    # targets of the wrong width
    (H, "targets = [[0, 1]]", "targets = [[0]]", r"\[data\] targets: has shape 1x1, expected 1x2"),
    # NaN and infinity in the data and the weights
    (T, "targets = [[0], [1], [1], [0]]", "targets = [[0], [nan], [1], [0]]",
     r"\[data\] targets: contains NaN or infinity"),
    (T, "inputs = [[0, 0, 1],", "inputs = [[0, -inf, 1],", r"\[data\] inputs: contains NaN or infinity"),
    (H, "[[1.0, 3.0], [2.0, 4.0]]", "[[1.0, nan], [2.0, 4.0]]",
     r"weights\[1\]: contains NaN or infinity"),
    (F, "interval = [0, 3]", "interval = [0, inf]", r"\[data\] interval: must be \[low, high\]"),
    # numbers too large for a float, or for the random generators
    (T, "learning_rate = 1.0", "learning_rate = 1" + "0" * 400, r"\[network\] learning_rate: is too large"),
    (T, "inputs = [[0, 0, 1],", "inputs = [[0, 1" + "0" * 400 + ", 1],",
     r"\[data\] inputs: must be a matrix"),
    (F, "interval = [0, 3]", "interval = [0, 1" + "0" * 400 + "]", r"\[data\] interval: must be"),
    (T, "epochs = 60000", "epochs = 6" + "0" * 5000, "not valid TOML .*4300 digits"),
    (T, "seed = 1\n", "seed = 4294967296\n", r"\[network.init\] seed: must be between 0 and 4294967295"),
    (F, "seed = 0\n", "seed = -1\n", r"\[data\] seed: must be between 0 and 4294967295, got -1"),
    (T, "epochs = 60000", "epochs = 60000\nseed = -1", r"\[training\] seed: must be between 0 and"),
    (F, "scale = 0.5", "scale = 1e308", r"\[network.init\] scale: must be between 0 and 1e\+06"),
    (F, "scale = 0.5", "scale = -0.5", r"\[network.init\] scale: must be between 0 and 1e\+06"),
    # epochs out of range or unparseable
    (T, "epochs = 60000", "epochs = -5", r"\[training\] epochs: must be >= 1, got -5"),
    (T, "epochs = 60000", "epochs = 9223372036854775807",
     r"\[training\] epochs: must be at most 1000000, got 9223372036854775807"),
    (T, 'epochs = "1-3,1998-2000"', 'epochs = ""', r"\[render\] epochs: expected a range list"),
    (T, 'epochs = "1-3,1998-2000"', 'epochs = "3-1"', r"\[render\] epochs: '3-1' is not a range"),
    (T, 'epochs = "1-3,1998-2000"', 'epochs = "1-' + "9" * 4400 + '"',
     r"\[render\] epochs: cannot read '1-999"),
    (T, 'resolution = "1280x720"', 'resolution = "' + "9" * 4400 + 'x720"',
     r"\[render\] resolution: expected WIDTH"),
    (T, 'full = "1-3"', 'full = "1-3,60001"', r"\[render\] full: epoch 60001 is beyond"),
    (T, 'full = "1-3"', 'full = "1-3"\nbatches = "2"',
     r"\[render\] batches: batch 2 is beyond the 1 batches in an epoch"),
    # zero or negative fps or size, odd sizes
    (T, "fps = 30", "fps = -30", r"\[render\] fps: must be between 1 and 240, got -30"),
    (T, "fps = 30", "fps = 30.0", r"\[render\] fps: expected an integer, got float"),
    (T, 'resolution = "1280x720"', 'resolution = "0x720"', r"\[render\] resolution: 0x720 is out of range"),
    (T, 'resolution = "1280x720"', 'resolution = "-1280x720"', r"\[render\] resolution: expected WIDTHxH"),
    (T, 'resolution = "1280x720"', 'resolution = "1280x721"', r"\[render\] resolution: .*odd side"),
    (T, 'resolution = "1280x720"', "resolution = [1280, 720]", r"\[render\] resolution: expected a str"),
    (T, "fps = 30", "fps = 30\nspeed = 0", r"\[render\] speed: must be between 0.05 and 20"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "old", "new", "message"), CATALOGUE)
def test_catalogue_of_bad_scene_files(tmp_path, name, old, new, message):
    path = tmp_path / "s.toml"
    path.write_text(_edit(name, old, new))
    with pytest.raises(SceneError) as info:
        load_scene(path)
    assert re.search(message, str(info.value)), str(info.value)
    assert str(info.value).startswith(f"{path}: ")
    _one_line(str(info.value))


@pytest.mark.parametrize(
    ("name", "old", "new", "key"),
    [
        ("iamtrask", "bias = false", "bias = false\ndropout = 0.5", "[network] dropout"),
        ("iamtrask", "fps = 30", "fps = 0", "[render] fps"),
        ("iamtrask", 'resolution = "1280x720"', 'resolution = "1280x-720"', "[render] resolution"),
        ("iamtrask", 'resolution = "1280x720"', 'resolution = "1279x720"', "[render] resolution"),
        ("iamtrask", "inputs = [[0, 0, 1],", "inputs = [[0, nan, 1],", "[data] inputs"),
        ("iamtrask", "inputs = [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]]", "inputs = []", "[data] inputs"),
        ("handcalc_322", "targets = [[0, 1]]", "targets = [[0, 1, 1]]", "[data] targets"),
        ("handcalc_322", "[[1.0, 3.0], [2.0, 4.0]]", "[[1.0, 3.0]]", "[network.init] weights[1]"),
        ("iamtrask", 'epochs = "1-3,1998-2000"', 'epochs = "1-3,1998-"', "[render] epochs"),
        ("iamtrask", "epochs = 60000", "epochs = 0", "[training] epochs"),
        ("iamtrask", "layers = [3, 4, 1]", "layers = [3, 4, 2, 1]", "[network] activations"),
        ("iamtrask", "learning_rate = 1.0", "learning_rate = true", "[network] learning_rate"),
    ],
)
def test_bad_scene_file_through_the_cli(tmp_path, capsys, name, old, new, key):
    scene = tmp_path / "bad.toml"
    scene.write_text(_edit(name, old, new))
    assert main(["render", str(scene), "--out", str(tmp_path / "v.mp4"), "--quiet"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and captured.err.endswith("\n"), captured.err
    assert lines[0].startswith(f"nnviz3d: error: {scene}: {key}: "), lines[0]
    assert [p.name for p in tmp_path.iterdir()] == ["bad.toml"]


def test_a_table_given_as_a_value(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("render = 3\n" + _edit("iamtrask", "[render]", "[renderx]"))
    with pytest.raises(SceneError, match=r"s.toml: \[render\]: must be a table, got int$"):
        load_scene(path)


def test_scene_file_that_is_not_utf8(tmp_path, capsys):
    scene = tmp_path / "bad.toml"
    scene.write_bytes(TEXTS["iamtrask"].encode() + b'\ntitle = "\xff"\n')
    assert main(["steps", str(scene)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"nnviz3d: error: {scene}: cannot read scene file") and len(err.splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# A tiny TOML writer, enough for what tomllib reads back (no comments, no arrays of tables)

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _string(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _key(k: str) -> str:
    return k if _BARE_KEY.fullmatch(k) else _string(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else repr(v)  # repr: 1e+300, inf, -inf, -0.0 are TOML
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def dump_toml(doc: dict[str, Any], prefix: tuple[str, ...] = ()) -> str:
    lines = [f"{_key(k)} = {_value(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    text = "\n".join(lines) + ("\n" if lines else "")
    for k, v in doc.items():
        if isinstance(v, dict):
            header = ".".join(_key(p) for p in (*prefix, k))
            text += f"\n[{header}]\n" + dump_toml(v, (*prefix, k))
    return text


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("name", FUZZED)
def test_the_toml_writer_round_trips_the_shipped_scenes(name, tmp_path):
    doc = copy.deepcopy(PARSED[name])
    doc["network"]["odd key\n"] = [[1e300, float("nan"), -float("inf")], [], {"a b": 'x"\\\x7f\x01'}]
    doc["date"] = datetime.date(1979, 5, 27)
    assert _same(tomllib.loads(dump_toml(doc)), doc)
    path = tmp_path / "s.toml"
    path.write_text(dump_toml(PARSED[name]))
    written, shipped = load_scene(path), load_scene(ROOT / "scenes" / f"{name}.toml")
    assert written.render == shipped.render and written.network.layers == shipped.network.layers


# ---------------------------------------------------------------------------------------------
# Mutations

_HUGE = [0, -1, -(2**31), 2**31, 2**32, 2**63 - 1, 10**30, 10**400]
_SCALARS = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=8),
    st.sampled_from(["", "1-3", "1", "0-2", "sigmoid", "softmax", "1280x720", "dark", "explicit", "x^2"]),
    st.integers(-3, 70),
    st.sampled_from(_HUGE),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e308, -1e-308, 0.0, -0.5, 0.5]),
    st.booleans(),
    st.just(datetime.date(1979, 5, 27)),
)
_VALUES = st.one_of(
    _SCALARS,
    st.lists(_SCALARS, max_size=4),
    st.lists(st.lists(st.one_of(st.integers(-2, 3), st.floats(-2, 2), _SCALARS), max_size=4), max_size=5),
    st.dictionaries(st.sampled_from(["a", "epochs", "x y", "seed", "fps"]), _SCALARS, max_size=2),
)
_NEW_KEYS = st.one_of(
    st.sampled_from(
        ["layerz", "epoch", "fps ", "title", "seed", "dropout", "dataset", "function", "batches"]
    ),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=6),
)
_SNIPPETS = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=6),
    st.sampled_from(["=", "[", "]", "[[", '"', "'", ",", "\n", "\r", "\t", "#", ".", "nan", "-", "0", "1e999",
                     "\n[render]\n", "\nx = 1\n", "9" * 4400, "\\u0000", "{", "}", "true"]),
)  # fmt: skip


def _nodes(node: Any, path: tuple = ()) -> list[tuple]:
    """Paths of every value under ``node`` (table keys and list items)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    found = []
    for k, v in items:
        found.append((*path, k))
        found.extend(_nodes(v, (*path, k)))
    return found


def _at(doc: Any, path: tuple) -> Any:
    for k in path:
        doc = doc[k]
    return doc


def _mutate_tree(draw: st.DrawFn, doc: dict) -> None:
    op = draw(st.sampled_from(["delete", "add", "replace", "replace", "matrix", "nudge"]))
    paths = _nodes(doc)
    if op == "nudge":  # a near value of the same type: often still valid, so it trains and renders
        numbers = [p for p in paths if type(_at(doc, p)) in (int, float)]
        if not numbers:
            return
        path = draw(st.sampled_from(numbers))
        value = _at(doc, path)
        new = value + draw(st.sampled_from([1, -1, 2, 3])) if isinstance(value, int) else value * 1.5
        _at(doc, path[:-1])[path[-1]] = new
        return
    if not paths:  # everything deleted already
        op = "add"
    if op == "delete":
        keys = [p for p in paths if isinstance(_at(doc, p[:-1]), dict)]
        path = draw(st.sampled_from(keys))
        del _at(doc, path[:-1])[path[-1]]
    elif op == "add":
        tables = [(), *(p for p in paths if isinstance(_at(doc, p), dict))]
        table = _at(doc, draw(st.sampled_from(tables)))
        table[draw(_NEW_KEYS)] = draw(_VALUES)
    elif op == "replace":
        path = draw(st.sampled_from(paths))
        _at(doc, path[:-1])[path[-1]] = draw(_VALUES)
    else:  # drop or add a row or a column of a matrix
        matrices = [
            p
            for p in paths
            if isinstance(v := _at(doc, p), list) and v and all(isinstance(r, list) for r in v)
        ]
        if not matrices:
            return
        m = _at(doc, draw(st.sampled_from(matrices)))
        how = draw(st.sampled_from(["drop row", "add row", "drop column", "add column"]))
        if how == "drop row":
            m.pop(draw(st.integers(0, len(m) - 1)))
        elif how == "add row":
            m.append(copy.deepcopy(m[draw(st.integers(0, len(m) - 1))]))
        else:
            for row in m:
                if how == "drop column" and row:
                    row.pop()
                elif how == "add column":
                    row.append(copy.deepcopy(row[-1]) if row else 0.5)


@st.composite
def mutated_scenes(draw: st.DrawFn, names: tuple[str, ...] = FUZZED, base: dict | None = None) -> bytes:
    name = draw(st.sampled_from(names))
    if draw(st.integers(0, 3)) == 0:  # mutate the text itself: truncate it, insert or drop characters
        text = TEXTS[name] if base is None else dump_toml(base[name])
        for _ in range(draw(st.integers(1, 2))):
            at = draw(st.integers(0, len(text)))
            how = draw(st.sampled_from(["truncate", "insert", "insert", "drop"]))
            if how == "truncate":
                text = text[:at]
            elif how == "insert":
                text = text[:at] + draw(_SNIPPETS) + text[at:]
            else:
                text = text[:at] + text[at + draw(st.integers(1, 8)) :]
        data = text.encode()
        if draw(st.sampled_from([False] * 9 + [True])):  # an invalid UTF-8 byte
            at = draw(st.integers(0, len(data)))
            data = data[:at] + b"\xff" + data[at:]
        return data
    doc = copy.deepcopy((base or PARSED)[name])
    for _ in range(draw(st.integers(1, 3))):
        _mutate_tree(draw, doc)
    return dump_toml(doc).encode()


def _quick(scene):
    """The scene trained only up to its first shown epoch, and only that epoch shown."""
    first = scene.render.epochs[0]
    network = replace(scene.network, epochs=first)
    full = frozenset(e for e in scene.render.full if e == first)
    return replace(scene, network=network, render=replace(scene.render, epochs=(first,), full=full))


FUZZ = settings(
    max_examples=2000,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(data=mutated_scenes())
def test_a_mutated_scene_is_refused_in_one_line_or_renders(tmp_path, data):
    path = tmp_path / "s.toml"
    path.write_bytes(data)
    try:
        scene = load_scene(path)
        check_size(scene, yes=False)
        st_ = scene.render
        _, timeline = prepare(_quick(scene))
        for frame in (0, timeline.n_frames - 1):
            frame_state(timeline, frame, st_.width, st_.height, st_.theme)
    except EXPECTED as exc:
        _one_line(str(exc))


# iamtrask trains 60000 epochs (1.5 s): the command-line property starts from 3 of them
CLI_BASE = copy.deepcopy(PARSED)
CLI_BASE["iamtrask"]["training"]["epochs"] = 3
CLI_BASE["iamtrask"]["render"].update(epochs="1-3", full="1")


@settings(FUZZ, max_examples=15)
@given(data=mutated_scenes(base=CLI_BASE))
def test_steps_on_a_mutated_scene_exits_0_or_2_with_one_line(tmp_path, capsys, data):
    path = tmp_path / "s.toml"
    path.write_bytes(data)
    status = main(["steps", str(path)])
    err = capsys.readouterr().err
    assert status in (0, 2), err
    if status == 2:
        assert err.startswith("nnviz3d: error: ") and len(err.splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_interval_of_a_huge_integer_loads(tmp_path):
    """Found by the property above: an integer beyond int64 made numpy's linspace fail."""
    text = (ROOT / "scenes" / "fit_square.toml").read_text()
    path = tmp_path / "huge.toml"
    path.write_text(text.replace("interval = [0, 3]", "interval = [0, " + "1" + "0" * 30 + "]"))
    scene = load_scene(path)
    assert scene.network.sampler.hi == 1e30
