"""Scene files: TOML in, a validated :class:`Scene` out.

A scene file is the whole description of a video: the network, its data, how it trains
and which epochs are shown. Validation is strict (unknown keys and wrong shapes are
errors) because a typo that silently falls back to a default makes a wrong lecture
video; every error names the file and the key.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from nnviz3d.errors import SceneError, UserError
from nnviz3d.functions import FunctionError, Sampler
from nnviz3d.mlp import ACTIVATIONS, ARITHMETICS, INIT_SCHEMES, LOSSES, REDUCTIONS, initial_parameters
from nnviz3d.recorder import NetworkSpec, Trace
from nnviz3d.text import LANGUAGES

DEFAULT_SCENE = "iamtrask"
MAX_SIDE = 7680
#: bounds that keep a typo from asking for terabytes of weights or years of training
MAX_LAYER_SIZE = 4096
MAX_EPOCHS = 1_000_000
MAX_SEED = 2**32 - 1  # np.random.seed's limit (the iamtrask scheme)
MAX_SCALE = 1e6
#: screen layouts: the network alone with its numbers (a hall), with a few panels (a
#: lecture), with every panel (study on a laptop)
SCREEN_LAYOUTS = ("hall", "lecture", "study")
#: anti-aliasing modes of the renderer; the README's benchmark table says why fxaa is the default
ANTIALIAS = ("fxaa", "msaa", "none")


@dataclass(frozen=True)
class RenderSettings:
    """How the video is cut and encoded."""

    epochs: tuple[int, ...]
    full: frozenset[int]
    width: int = 1280
    height: int = 720
    fps: int = 30
    output: str = "renders/out.mp4"
    speed: float = 1.0
    theme: str = "dark"
    lang: str = "en"
    font: str | None = None
    mono_font: str | None = None  # code and tables; None: found like font (see pipeline)
    durations: tuple[tuple[str, float], ...] = ()
    batches: tuple[int, ...] | None = None  # which batches of a shown epoch are shown
    antialias: str = "fxaa"  # fxaa | msaa | none: FXAA looks alike and renders 1.4x faster on llvmpipe
    layout: str = "lecture"  # hall | lecture | study: how much surrounds the network (see hud.LAYOUTS)
    epilogue: bool = False  # after the shown epochs: log-spaced ones up to the last, then a summary


@dataclass(frozen=True)
class Scene:
    """A validated scene: what to train and how to show it."""

    path: str
    title: str
    network: NetworkSpec
    render: RenderSettings
    init_scheme: str
    compare_round: tuple[int, ...] = ()  # decimals of the comparison runs ([compare] round)
    #: a recorded training run (``--trace``): shown as it is instead of training the network
    recorded: Trace | None = field(default=None, repr=False, compare=False)


def default_scene_path() -> Path:
    """The iamtrask scene shipped inside the package (works from any directory)."""
    return Path(str(resources.files("nnviz3d") / "scenes" / f"{DEFAULT_SCENE}.toml"))


def parse_epoch_spec(text: str, n_epochs: int, what: str = "epochs", unit: str = "epoch") -> tuple[int, ...]:
    """``"1-3,1998-2000"`` -> (1, 2, 3, 1998, 1999, 2000), checked against 1..n_epochs."""
    if not isinstance(text, str) or not text.strip():
        raise UserError(f"{what}: expected a range list like '1-3,1998-2000', got {text!r}")
    units = "batches" if unit == "batch" else f"{unit}s"
    result: set[int] = set()
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d{1,18})\s*(?:-\s*(\d{1,18})\s*)?", part)  # int() reads 4300 digits at most
        if not m:
            raise UserError(f"{what}: cannot read {part.strip()!r} (use e.g. '1-3,1998-2000')")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if lo < 1 or hi < lo:
            raise UserError(f"{what}: {part.strip()!r} is not a range of {units} counted from 1")
        if hi > n_epochs:
            there = "trained" if unit == "epoch" else "in an epoch"
            raise UserError(f"{what}: {unit} {hi} is beyond the {n_epochs} {units} {there}")
        result.update(range(lo, hi + 1))
    return tuple(sorted(result))


def parse_resolution(text: str, what: str = "resolution") -> tuple[int, int]:
    """``"1280x720"`` -> (1280, 720); both sides even (yuv420p needs it) and positive."""
    m = re.fullmatch(r"\s*(\d{1,18})\s*[xX]\s*(\d{1,18})\s*", str(text))
    if not m:
        raise UserError(f"{what}: expected WIDTHxHEIGHT like 1280x720, got {text!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if not (16 <= w <= MAX_SIDE and 16 <= h <= MAX_SIDE):
        raise UserError(f"{what}: {w}x{h} is out of range (each side 16..{MAX_SIDE})")
    if w % 2 or h % 2:
        raise UserError(f"{what}: {w}x{h} has an odd side; H.264 yuv420p needs even sizes")
    return w, h


class _Table:
    """A TOML table being read: typed getters that name the key, and no leftovers."""

    def __init__(self, file: str, name: str, data: Any) -> None:
        self.file, self.name = file, name
        if not isinstance(data, dict):
            self.fail("", f"must be a table, got {type(data).__name__}")
        self.data: dict[str, Any] = data
        self.used: set[str] = set()

    def key(self, key: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_\-\[\]]*", key):  # a quoted TOML key: repr keeps it one line
            key = repr(key)
        if not key:
            return f"[{self.name}]" if self.name else "(top level)"
        return f"[{self.name}] {key}" if self.name else key

    def fail(self, key: str, problem: str) -> None:
        raise SceneError(f"{self.file}: {self.key(key)}: {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is ...:
                self.fail(key, "is required")
            return default
        value = self.data[key]
        if isinstance(value, bool) and kind is not bool and bool not in _as_tuple(kind):
            self.fail(key, f"expected {_kind_name(kind)}, got a boolean")
        if not isinstance(value, kind):
            self.fail(key, f"expected {_kind_name(kind)}, got {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(key, f"must be a finite number, got {value}")
        if isinstance(value, int) and not -1e300 < value < 1e300:  # float() of it would overflow
            self.fail(key, "is too large")
        return value

    def seed(self, key: str, default: int) -> int:
        value = self.get(key, int, default)
        if not 0 <= value <= MAX_SEED:
            self.fail(key, f"must be between 0 and {MAX_SEED}, got {value}")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: Any = ...) -> str:
        value = self.get(key, str, default)
        if value not in options:
            self.fail(key, f"must be one of {', '.join(options)}; got {value!r}")
        return value

    def table(self, key: str, required: bool = True) -> _Table:
        self.used.add(key)
        if key not in self.data:
            if required:
                self.fail(key, "table is required")
            return _Table(self.file, f"{self.name}.{key}" if self.name else key, {})
        return _Table(self.file, f"{self.name}.{key}" if self.name else key, self.data[key])

    def matrix(self, key: str, rows: int | None, cols: int | None) -> np.ndarray:
        value = self.get(key, list)
        if not _numbers_only(value):  # numpy would read "1" as 1.0 and true as 1.0
            self.fail(key, "must be a matrix of numbers (a list of equal-length rows)")
        try:
            arr = np.array(value, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            self.fail(key, "must be a matrix of numbers (a list of equal-length rows)")
        if arr.ndim != 2 or arr.size == 0:
            self.fail(key, "must be a non-empty matrix (a list of equal-length rows)")
        if not np.all(np.isfinite(arr)):
            self.fail(key, "contains NaN or infinity")
        if (rows is not None and arr.shape[0] != rows) or (cols is not None and arr.shape[1] != cols):
            want = f"{rows if rows is not None else 'N'}x{cols if cols is not None else 'M'}"
            self.fail(key, f"has shape {arr.shape[0]}x{arr.shape[1]}, expected {want}")
        return arr

    def done(self) -> None:
        extra = sorted(set(self.data) - self.used)
        if extra:
            self.fail(extra[0], "unknown key")


def _numbers_only(value: Any) -> bool:
    """Whether nested lists hold only integers and floats (no strings, booleans, dates)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, bool) or not isinstance(v, int | float):
            return False
    return True


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    names[list] = "a list"
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kind))


def _dataset(data: _Table, layers: list[int]) -> tuple[np.ndarray, ...]:
    """``dataset = "digits"`` (scikit-learn's 8x8) or ``"mnist"`` (idx files in ``dir``)."""
    from nnviz3d.datasets import load_digits, load_mnist

    name = data.choice("dataset", ("digits", "mnist"))
    limit = data.get("limit", int, None)
    if limit is not None and limit < 1:
        data.fail("limit", f"must be >= 1, got {limit}")
    if name == "mnist":
        folder = data.get("dir", str, "data/mnist")
        arrays = load_mnist(folder, limit)
    else:
        arrays = load_digits(limit)
    n_in, n_out = arrays[0].shape[1], arrays[1].shape[1]
    if (layers[0], layers[-1]) != (n_in, n_out):
        data.fail("dataset", f"{name} has {n_in} inputs and {n_out} classes; [network] layers must start "
                             f"with {n_in} and end with {n_out}")  # fmt: skip
    return arrays


def _csv(data: _Table, layers: list[int], base: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """``csv = "file.csv"``: a header row naming the columns, then one record per row.
    ``inputs`` and ``targets`` name the columns (default: all but the last, and the last)."""
    name = data.get("csv", str)
    path = Path(name) if Path(name).is_absolute() or base is None else base / name
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM, as Windows editors write it, is fine
    except FileNotFoundError:
        data.fail("csv", f"file not found: {path}")
    except (OSError, UnicodeDecodeError) as exc:
        data.fail("csv", f"cannot read {path} ({exc})")
    rows = [r for r in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in r)]
    if not rows:
        data.fail("csv", f"{path} is empty")
    header = [h.strip() for h in rows[0]]
    if len(rows) < 2:
        data.fail("csv", f"{path} has a header row and no records")
    columns = {}
    for key, default in (("inputs", header[:-1]), ("targets", header[-1:])):
        names = data.get(key, list, default)
        if not names or not all(isinstance(n, str) for n in names):
            data.fail(key, 'with csv: a list of column names, e.g. ["x1", "x2"]')
        missing = [n for n in names if n not in header]
        if missing:
            data.fail(key, f"no column {missing[0]!r} in {path} (its columns: {', '.join(header)})")
        columns[key] = [header.index(n) for n in names]
    want = {"inputs": layers[0], "targets": layers[-1]}
    for key, index in columns.items():
        if len(index) != want[key]:
            data.fail(key, f"names {len(index)} columns, [network] layers need {want[key]}")
    out = {key: np.empty((len(rows) - 1, len(index))) for key, index in columns.items()}
    for i, row in enumerate(rows[1:]):
        for key, index in columns.items():
            for j, c in enumerate(index):
                cell = row[c].strip() if c < len(row) else ""
                try:
                    value = float(cell)
                except ValueError:
                    data.fail("csv", f"{path} line {i + 2}, column {header[c]!r}: {cell!r} is not a number")
                if not math.isfinite(value):
                    data.fail("csv", f"{path} line {i + 2}, column {header[c]!r}: {cell} is not finite")
                out[key][i, j] = value
    return out["inputs"], out["targets"]


def _sampler(data: _Table, layers: list[int]) -> Sampler:
    """``function``, ``interval``, ``samples``, ``seed``: fresh random inputs every epoch."""
    if layers[0] != 1 or layers[-1] != 1:
        data.fail("function", "function fitting needs one input and one output ([network] layers)")
    for key in ("inputs", "targets"):
        if key in data.data:
            data.fail(key, "not allowed together with function (the inputs are drawn at random)")
    expression = data.get("function", str)
    interval = data.get("interval", list, [0.0, 1.0])
    if (
        len(interval) != 2
        or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and -1e300 < v < 1e300 for v in interval
        )
        or not interval[0] < interval[1]
    ):
        data.fail("interval", f"must be [low, high] with low < high, got {interval}")
    samples = data.get("samples", int, 10)
    if not 1 <= samples <= 100_000:
        data.fail("samples", f"must be between 1 and 100000, got {samples}")
    seed = data.seed("seed", 0)
    try:
        sampler = Sampler(expression, float(interval[0]), float(interval[1]), samples, seed)
        with np.errstate(all="ignore"):
            probe = sampler.function(np.linspace(sampler.lo, sampler.hi, 101)[:, None])
    except FunctionError as exc:
        data.fail("function", str(exc))
    if not np.all(np.isfinite(probe)):
        data.fail("function", f"{expression!r} is not finite everywhere on {interval}")
    return sampler


def load_scene(path: str | Path | None = None, data_dir: str | None = None) -> Scene:
    """Read and validate a scene file; ``None`` means the shipped iamtrask scene.

    ``data_dir`` replaces ``[data] dir`` (where the MNIST files are)."""
    file = Path(path) if path is not None else default_scene_path()
    label = str(path) if path is not None else f"(built-in) {DEFAULT_SCENE}.toml"
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8-sig"))  # Windows editors write a BOM
    except FileNotFoundError:
        raise UserError(f"{label}: scene file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{label}: cannot read scene file ({exc})") from None
    except ValueError as exc:  # TOMLDecodeError, or an integer of more than 4300 digits
        raise SceneError(f"{label}: not valid TOML ({exc})") from None
    if data_dir is not None and isinstance(raw.get("data"), dict):
        raw["data"]["dir"] = data_dir
    return scene_from_dict(raw, label, file.parent)


def scene_from_dict(raw: dict[str, Any], label: str = "<scene>", base: Path | None = None) -> Scene:
    """Validate the parsed TOML of a scene file; ``base``: its folder (where a ``[data] csv``
    file named relative to it is found; None: the working directory)."""
    top = _Table(label, "", raw)
    title = top.get("title", str, "nnviz3d")
    net = top.table("network")
    layers = net.get("layers", list)
    if len(layers) < 2 or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in layers):
        net.fail("layers", "must list at least two positive integer layer sizes, e.g. [3, 4, 1]")
    if max(layers) > MAX_LAYER_SIZE:
        net.fail("layers", f"a layer of {max(layers)} nodes is more than the {MAX_LAYER_SIZE} supported")
    activations = net.get("activations", list)
    if len(activations) != len(layers) - 1:
        net.fail(
            "activations",
            f"needs one activation per weight layer ({len(layers) - 1}), got {len(activations)}",
        )
    for a in activations:
        if not isinstance(a, str) or a not in ACTIVATIONS:
            net.fail("activations", f"unknown activation {a!r} (use {', '.join(ACTIVATIONS)})")
    if "softmax" in activations[:-1]:
        net.fail("activations", "softmax is only supported on the output layer")
    bias = net.get("bias", bool, False)
    loss = net.choice("loss", LOSSES, "squared")
    if loss == "cross_entropy" and activations[-1] not in ("softmax", "sigmoid"):
        net.fail("loss", "cross_entropy needs a softmax or sigmoid output layer")
    reduction = net.choice("reduction", REDUCTIONS, "sum")
    lr = float(net.get("learning_rate", (int, float), 1.0))
    if lr <= 0:
        net.fail("learning_rate", f"must be positive, got {lr}")
    arithmetic = net.choice("arithmetic", ARITHMETICS, "numpy")

    init = net.table("init", required=False)
    scheme = init.choice("scheme", INIT_SCHEMES, "iamtrask")
    seed = init.seed("seed", 1)
    scale = float(init.get("scale", (int, float), 1.0))
    if not 0 <= scale <= MAX_SCALE:
        init.fail("scale", f"must be between 0 and {MAX_SCALE:g}, got {scale}")
    shapes = list(itertools.pairwise(layers))
    given_w = given_b = None
    if scheme == "explicit" or "weights" in init.data:
        if scheme != "explicit":
            init.fail("weights", 'only allowed with scheme = "explicit"')
        raw_w = init.get("weights", list)
        if len(raw_w) != len(shapes):
            init.fail("weights", f"needs {len(shapes)} matrices (one per layer), got {len(raw_w)}")
        given_w = []
        for i, (n_in, n_out) in enumerate(shapes):
            sub = _Table(label, init.name, {f"weights[{i}]": raw_w[i]})
            given_w.append(sub.matrix(f"weights[{i}]", n_in, n_out))
    if "biases" in init.data:
        if not bias:
            init.fail("biases", "given but [network] bias = false")
        raw_b = init.get("biases", list)
        if len(raw_b) != len(shapes):
            init.fail("biases", f"needs {len(shapes)} vectors (one per layer), got {len(raw_b)}")
        given_b = []
        for i, (_, n_out) in enumerate(shapes):
            sub = _Table(label, init.name, {f"biases[{i}]": [raw_b[i]]})
            given_b.append(sub.matrix(f"biases[{i}]", 1, n_out)[0])
    init.done()
    net.done()
    weights, biases = initial_parameters(
        layers, scheme, seed=seed, scale=scale, bias=bias, weights=given_w, biases=given_b
    )

    data = top.table("data")
    sampler = None
    test_inputs = test_targets = None
    if "dataset" in data.data:
        inputs, targets, test_inputs, test_targets = _dataset(data, layers)
    elif "function" in data.data:
        sampler = _sampler(data, layers)
        inputs, targets = sampler.draw(np.random.default_rng(sampler.seed))  # epoch 1's draw
    elif "csv" in data.data:
        inputs, targets = _csv(data, layers, base)
    else:
        inputs = data.matrix("inputs", None, layers[0])
        targets = data.matrix("targets", len(inputs), layers[-1])
    data.done()

    training = top.table("training", required=False)
    epochs = training.get("epochs", int, 1)
    if epochs < 1:
        training.fail("epochs", f"must be >= 1, got {epochs}")
    if epochs > MAX_EPOCHS:  # a few zeros too many must not start hours of training
        training.fail("epochs", f"must be at most {MAX_EPOCHS}, got {epochs}")
    batch_size = training.get("batch_size", int, len(inputs))
    if batch_size < 1:
        training.fail("batch_size", f"must be >= 1, got {batch_size}")
    batch_size = min(batch_size, len(inputs))
    shuffle = training.get("shuffle", bool, False)
    shuffle_seed = training.seed("seed", 0)
    training.done()

    compare = top.table("compare", required=False)
    compare_round = compare.get("round", list, [])
    if not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 15 for d in compare_round):
        compare.fail("round", f"must list decimal counts between 0 and 15, got {compare_round}")
    compare.done()

    render = top.table("render", required=False)
    epochs_text = render.get("epochs", str, f"1-{min(3, epochs)}")
    try:
        shown = parse_epoch_spec(epochs_text, epochs, render.key("epochs"))
        full_text = render.get("full", str, epochs_text)  # "" = no epoch node by node
        full = parse_epoch_spec(full_text, epochs, render.key("full")) if full_text.strip() else ()
        width, height = parse_resolution(
            render.get("resolution", str, f"{RenderSettings.width}x{RenderSettings.height}"),
            render.key("resolution"),
        )
    except SceneError:
        raise
    except UserError as exc:
        raise SceneError(f"{label}: {exc}") from None
    fps = render.get("fps", int, RenderSettings.fps)
    if not 1 <= fps <= 240:
        render.fail("fps", f"must be between 1 and 240, got {fps}")
    output = render.get("output", str, RenderSettings.output)
    speed = float(render.get("speed", (int, float), RenderSettings.speed))
    if not 0.05 <= speed <= 20:
        render.fail("speed", f"must be between 0.05 and 20, got {speed}")
    theme = render.choice("theme", ("dark", "light"), RenderSettings.theme)
    batches_text = render.get("batches", str, None)
    batches = None
    if batches_text is not None:
        n_batches = -(-len(inputs) // min(batch_size, len(inputs)))
        try:
            batches = parse_epoch_spec(batches_text, n_batches, render.key("batches"), "batch")
        except UserError as exc:
            raise SceneError(f"{label}: {exc}") from None
    lang = render.choice("lang", LANGUAGES, "en")
    font = render.get("font", str, None)
    mono_font = render.get("mono_font", str, None)
    antialias = render.choice("antialias", ANTIALIAS, "fxaa")
    layout = render.choice("layout", SCREEN_LAYOUTS, "lecture")
    epilogue = render.get("epilogue", bool, False)
    durations = render.table("durations", required=False)
    from nnviz3d.timeline import KINDS  # the registry of step kinds (which needs no scene)

    step_seconds = []
    for kind in sorted(durations.data):
        if kind not in KINDS:
            durations.fail(kind, f"unknown step kind (use {', '.join(KINDS)})")
        seconds = float(durations.get(kind, (int, float)))
        if not 0.1 <= seconds <= 60:
            durations.fail(kind, f"must be between 0.1 and 60 seconds, got {seconds}")
        step_seconds.append((kind, seconds))
    render.done()
    top.done()

    spec = NetworkSpec(
        layers=tuple(layers),
        activations=tuple(activations),
        loss=loss,
        reduction=reduction,
        learning_rate=lr,
        weights=tuple(weights),
        biases=tuple(biases) if biases is not None else None,
        inputs=inputs,
        targets=targets,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=shuffle,
        shuffle_seed=shuffle_seed,
        sampler=sampler,
        test_inputs=test_inputs,
        test_targets=test_targets,
        arithmetic=arithmetic,
    )
    settings = RenderSettings(
        epochs=shown,
        full=frozenset(full),
        width=width,
        height=height,
        fps=fps,
        output=output,
        speed=speed,
        theme=theme,
        lang=lang,
        font=font,
        mono_font=mono_font,
        durations=tuple(step_seconds),
        batches=batches,
        antialias=antialias,
        layout=layout,
        epilogue=epilogue,
    )
    return Scene(
        path=label,
        title=title,
        network=spec,
        render=settings,
        init_scheme=scheme,
        compare_round=tuple(compare_round),
    )


def scene_from_trace(trace: Trace, video: dict[str, Any], path: str | Path) -> Scene:
    """A scene that shows a recorded trace: its network from the trace, its story (title,
    the epochs recorded whole, which of them node by node, the epilogue) from how ``train``
    or a recorder meant it to be shown, every picture setting the default (the command's
    flags change them as for a scene file)."""
    spec = trace.spec
    recorded = sorted({e for e, _ in trace.updates})
    if not recorded:
        raise UserError(f"{path}: the trace holds no whole update to show")
    shown = tuple(int(e) for e in video.get("epochs", recorded))
    missing = sorted(set(shown) - set(recorded))
    if missing:
        raise UserError(f"{path}: the trace does not hold epoch {missing[0]} whole (it holds {recorded})")
    batches = video.get("batches")
    settings = RenderSettings(
        epochs=shown,
        full=frozenset(int(e) for e in video.get("full", shown[: min(3, len(shown))])),
        output=f"renders/{Path(path).stem}.mp4",
        batches=tuple(int(b) for b in batches) if batches is not None else None,
        epilogue=bool(video.get("epilogue", False)),
    )
    return Scene(
        path=str(path),
        title=str(video.get("title", Path(path).stem)),
        network=spec,
        render=settings,
        init_scheme=str(video.get("init_scheme", "explicit")),
        recorded=trace,
    )


def configured(
    scene: Scene,
    flag: str = "",
    *,
    fps: int | None = None,
    resolution: str | None = None,
    theme: str | None = None,
    lang: str | None = None,
    antialias: str | None = None,
    layout: str | None = None,
    font: str | None = None,
    mono_font: str | None = None,
    epochs: str | None = None,
    epilogue: bool = False,
) -> Scene:
    """``scene`` with the picture and story settings the command line (``flag`` "--") or
    the Python API gives; None keeps the scene's. ``epochs`` shows exactly those, without
    the epilogue unless ``epilogue``."""
    changes: dict[str, Any] = {}
    if fps is not None:
        if not 1 <= fps <= 240:
            raise UserError(f"{flag}fps: must be between 1 and 240, got {fps}")
        changes["fps"] = fps
    if resolution:
        changes["width"], changes["height"] = parse_resolution(resolution, f"{flag}resolution")
    choices = (
        ("theme", theme, ("dark", "light")),
        ("lang", lang, LANGUAGES),
        ("antialias", antialias, ANTIALIAS),
        ("layout", layout, SCREEN_LAYOUTS),
    )
    for key, value, allowed in choices:
        if value:
            if value not in allowed:
                raise UserError(f"{flag}{key}: must be one of {', '.join(allowed)}, got {value!r}")
            changes[key] = value
    if font:
        changes["font"] = font
    if mono_font:
        changes["mono_font"] = mono_font
    if epochs:  # exactly these: the epilogue only when asked for
        if scene.compare_round:
            raise UserError(
                f"{flag}epochs: a [compare] scene shows every run at the same log-spaced iterations from 1 "
                f"to {scene.network.epochs} (see 'nnviz3d steps'); change [training] epochs instead"
            )
        changes["epochs"] = parse_epoch_spec(epochs, scene.network.epochs, f"{flag}epochs")
        changes["epilogue"] = bool(epilogue)
    elif epilogue:
        changes["epilogue"] = True
    return replace(scene, render=replace(scene.render, **changes)) if changes else scene
