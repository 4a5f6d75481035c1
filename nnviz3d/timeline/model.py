"""What a timeline is made of: the values on screen, the steps, the whole video.

Pure data: a :class:`Step` is one beat of the lecture (initialise syn0, hidden node 3 of
record 2, l1_delta, the syn0 update, ...) with its caption, code lines, highlights, the
numbers it shows and a :class:`Visual` -- the values the scene holds once it has played.
Frames tween from one step's visual to the next, so nothing here knows how things look.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from nnviz3d.fonts import LATIN_MONO_FONT, mono_advance_em
from nnviz3d.layout import Layout

DIM = 0.3  # brightness of the weights that are not part of the current step
#: and of the nodes: less dimmed, so a sphere's brightness does not read as its value
NODE_DIM = 0.6
MAX_PANEL_ROWS = 6
MAX_PANEL_COLS = 6


def fmt(value: float, digits: int = 4, sign: bool = False) -> str:
    """The one way numbers are written on screen (rounded from the recorded float)."""
    if not np.isfinite(value):
        return "nan" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    text = f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"
    return "0." + "0" * digits if text in ("-0." + "0" * digits,) else text


def change_decimals(biggest: float) -> int:
    """Decimals for a matrix of weight changes, fixed so sizes compare down a column: 4, or
    more where its largest change needs them for 3 significant digits, as the caption and
    the change history write it (a review found "-0.0046" in the grid beside "-0.00455")."""
    if not np.isfinite(biggest) or biggest <= 0:
        return 4
    return max(4, 2 - math.floor(math.log10(biggest)))


def matrix_decimals(m: np.ndarray) -> int:
    """:func:`change_decimals` of a matrix's largest |value| (NaN left out; 4 where it has
    none, or where one is infinite)."""
    return change_decimals(float(np.nanmax(np.abs(m), initial=0.0)))


def fmt_sig(value: float, digits: int = 3) -> str:
    """A number on the picture: ``digits`` significant digits (``inspect`` keeps them all)."""
    if not np.isfinite(value):
        return "nan" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    if value == 0:
        return "0"
    text = f"{value:#.{digits}g}".rstrip(".")  # 0.0270, not 0.027: every number to the same digits
    if "e" in text:  # 0.000123 reads better than 1.23e-04 up to a few zeros
        exponent = int(text.split("e")[1])
        if -5 <= exponent < 0:  # (large values keep their exponent: 2.15e+09)
            text = f"{value:.{digits - 1 - exponent}f}"
    return text


def fmt_signed(value: float, digits: int = 3) -> str:
    """A number on the picture with its sign written out (+0.0698, -0.0893): where colour
    already says something else (a weight's sign), the text carries the value's own."""
    return ("+" if value > 0 else "") + fmt_sig(value, digits)


#: the multiplication sign of every formula the picture writes (an "x" read as the inputs'
#: x1..x3, and "*" beside it as code)
TIMES = "×"


def rate_times(rate: float) -> str:
    """The learning rate as a caption writes it before what it scales: nothing for 1
    (``change = -gradient``), else ``0.5 × `` (``change = -0.5 × gradient``)."""
    return "" if rate == 1 else f"{rate:g} {TIMES} "


def fmt_input(value: float, digits: int = 3) -> str:
    """An input as a table writes it: 1, 0, or to ``digits`` decimals."""
    return str(int(value)) if float(value).is_integer() else fmt(value, digits)


def equals(result: str, from_written: float, written_as: Callable[[float], str], approx: str) -> str:
    """ "=" where the numbers as written give ``result`` as written, else ``approx`` (~): the
    result is the recorded one, so a sum or product of rounded numbers can miss its last
    digit, and a student who checks it with a calculator is told so."""
    return "=" if written_as(from_written) == result else approx


def closing_digits(
    operands: list[float],
    write: Callable[[float, int], str],
    combine: Callable[[list[float]], float],
    result: str,
    written_as: Callable[[float], str],
    tries: tuple[int, ...] = (3, 4),
) -> tuple[int, bool]:
    """The fewest digits (of ``tries``) at which ``operands``, each written by
    ``write(value, digits)``, give ``result`` as written through ``combine``; and whether
    they do at all (else the first precision, and the caller writes "~"). A reviewer with a
    calculator found "0.0698 x 0.247 = +0.0173" wrong: one more digit on the operands
    (0.06981 x 0.2474) makes the formula a student checks come out as written."""
    for digits in tries:
        if written_as(combine([float(write(v, digits)) for v in operands])) == result:
            return digits, True
    return tries[0], False


def decimal_tries(result: str) -> tuple[int, int]:
    """Decimals for the operands of a sum written as ``result``: as many as it has (at
    least 3, as the tables write), then one more."""
    places = max(3, len(result.split(".")[1]) if "." in result else 0)
    return places, places + 1


@dataclass(frozen=True)
class Visual:
    """The values on screen once a step has played (NaN = not computed / not shown)."""

    node_values: np.ndarray  # (n_nodes,)
    satellites: np.ndarray  # (n_nodes, n_records)
    satellite_signed: bool  # deltas/errors (coloured by sign) rather than activations
    weights: np.ndarray  # (n_edges,)
    node_focus: np.ndarray  # (n_nodes,) brightness, 1 = in focus
    edge_focus: np.ndarray  # (n_edges,)
    outputs: np.ndarray  # (n_records, n_out) shown outputs, NaN until computed
    current_record: int | None  # 0-based row of the batch being processed
    halos: np.ndarray  # (n_nodes,) a node's delta summed over the batch, NaN = no halo
    targets: np.ndarray  # (n_records, n_out) the targets of the records on screen
    diverged: bool = False  # training has blown up: NaN here is a value, not "not computed"
    #: a batch too big for a bead per record: the target of the one example whose values
    #: the nodes show (its row is the batch's first)
    example_target: np.ndarray | None = None


@dataclass(frozen=True)
class Signal:
    """A bead that travels along one weight during a step: forward input x weight, or a
    delta flowing back through a weight. ``value`` sets its size and sign its colour."""

    edge: int
    forward: bool
    value: float


#: node spacings the longest want arrow takes: beside a lone node (the output) the height
#: is free; in a layer of several nodes an arrow stays clear of its neighbours' (the hidden
#: layer's 0.112 was 35 px beside out's 0.474 at 150, too small to see sent back)
WANT_ROOM, WANT_ROOM_CROWD = 3.0, 0.9


@dataclass(frozen=True)
class RecordBars:
    """Signed bars on one scale: ``names``/``values`` per record, then the row they make
    together (``values[-1]``: a sum, or a mean of sizes)."""

    title: str
    names: tuple[str, ...]
    values: tuple[float, ...]
    total: bool = True  # the last row is what the others make together (under a rule)
    short: tuple[str, ...] = ()  # the names where the full ones leave no room for the bars
    #: the last row is a size (a mean of |errors|): written without a sign, a neutral bar
    size_total: bool = False
    #: said after the title where a record adds exactly 0 (its input is 0): why
    zero_note: str = ""
    #: the caption parts with which the rows' bars and numbers are drawn, the terms' and
    #: then the total's: a sum's result comes with the caption's (a review found a node's
    #: z in the panel while its caption still built the formula)
    appear: tuple[int, int] = (1, 1)
    #: the size drawn at the bars' full length: one for the whole video where the same
    #: measure comes back (the errors: iteration 2000's 0.03 drew longer than iteration 1's
    #: 0.5 on a scale of its own, review 60a); 0 for the chart's own largest
    scale: float = 0.0


@dataclass(frozen=True)
class LossCurve:
    """The loss as one weight varies, the others held: why the update moves it the way it
    does. ``slope`` is dLoss/dw at ``w0`` (the recorded gradient); the update moves the
    weight by ``change`` = -rate x slope, downhill."""

    name: str  # the weight, as the caption names it
    loss_name: str  # what the loss is ("1/2 sum of squared errors"), in the video's language
    w: np.ndarray  # the weight's values across the plot
    loss: np.ndarray  # the batch's loss at each
    w0: float
    loss0: float
    slope: float
    change: float
    rate: float = 1.0  # the learning rate
    #: the step is drawn this many times its size (the video's magnification of changes)
    magnify: float = 1.0
    #: the bowl's bottom (the weight and its loss), found to 1e-6 of the weight: the plot's
    #: axes write them (NaN where the plot's span holds no bottom)
    bottom: tuple[float, float] = (float("nan"), float("nan"))


@dataclass(frozen=True)
class LossMap:
    """The loss over two weights at once, every other weight held: the landscape that
    gradient descent walks down. The weights share one scale across and up (a square of
    weight is a square on screen), so the gradient stands at right angles to the contour
    line through the point, and the step, -rate x gradient, crosses the contours straight
    downhill. ``loss[iy, ix]`` is the loss at (``wx[ix]``, ``wy[iy]``)."""

    names: tuple[str, str]  # the weight across, the weight up, as the caption names them
    loss_name: str
    wx: np.ndarray
    wy: np.ndarray
    loss: np.ndarray
    w0: tuple[float, float]
    loss0: float
    gradient: tuple[float, float]  # dLoss/dw of each weight there (the recorded gradients)
    change: tuple[float, float]  # the update's change of each: -rate x gradient
    #: (n, 2): the two weights after each step of gradient descent on this very map (the two
    #: alone learning, every other weight held), from ``w0``: its first step is ``change``;
    #: it goes on until its steps are too small to see. Empty where it cannot be made
    path: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))


@dataclass(frozen=True)
class ChainRule:
    """3Blue1Brown's chain for one record: a nudge to the weight moves its end node's z (at
    the rate of the weight's start value), z moves the node's output (the activation's
    slope), the output moves the next z (the weight between), ... and the network's output
    moves the loss (output - target). The rates multiply into the record's share of
    dLoss/dw; the records' shares add up to the gradient the update uses. The links from a
    node's slope to the loss multiply into that node's delta, turned over (the code's
    ``l2_delta``, ``l1_delta``): backpropagation keeps those products and reuses them."""

    start: str  # the weight's ends, as under their spheres ("h3", "out")
    end: str
    record: int  # 0-based, of the batch: the record the chain is told for
    names: tuple[str, ...]  # the chain's nodes, "w" to the loss (one more than the links)
    rates: tuple[float, ...]  # each link's rate: the start's value, slopes, weights, out - y
    #: what each rate is ("value", "slope", "weight", "error": its colour) and its words
    kinds: tuple[str, ...]
    meanings: tuple[str, ...]
    #: (first link, last link, the code's name, value): links whose product is a delta turned
    #: over (-l2_delta = out(1-out) x (out - y))
    deltas: tuple[tuple[int, int, str, float], ...]
    share: float  # the record's dLoss/dw: the rates' product
    shares: tuple[float, ...]  # every record's, in order
    gradient: float  # their sum: dLoss/dw, the update's
    change: float  # what the update does to the weight: -rate x gradient
    rate: float = 1.0  # the learning rate
    #: where each link stands on the network, for the shot's first part, where the rates
    #: are told on the picture: ("input", node) the weight's start, ("node", node) a node's
    #: slope, ("edge", edge) a weight between, ("beyond", node) the output's error
    anchors: tuple[tuple[str, int], ...] = ()
    #: each name's value as recorded (the weight, z, the node's output, ..., the record's
    #: loss 1/2 (out - y)^2): what a nudge starts from (:meth:`nudged`)
    values: tuple[float, ...] = ()

    def nudged(self, dw: float) -> tuple[float, ...]:
        """Each name's value with the weight moved by ``dw`` and the record run forward
        again along the chain (the other nodes do not move: the chain is their one path),
        exactly, not by the rates: the nudge the rates then explain."""
        now = [self.values[0] + dw]
        for m, (kind, rate) in enumerate(zip(self.kinds, self.rates, strict=True)):
            was, moved = self.values[m + 1], now[m] - self.values[m]
            if kind == "slope":  # the node's sigmoid of its moved z
                now.append(1.0 / (1.0 + math.exp(-now[m])))
            elif kind == "error":  # the record's loss, 1/2 (out - y)^2, y = out - (out - y)
                now.append(0.5 * (now[m] - (self.values[m] - rate)) ** 2)
            else:  # z moves by the start's value, or the weight between, x what moved
                now.append(was + rate * moved)
        return tuple(now)


#: how far the nudge moves the weight (3Blue1Brown's "a tiny nudge": small against weights
#: of about 1, big enough that the loss's move has three digits)
NUDGE = 0.1
NUDGE_TURNS = 1.25  # up, down and up again: it ends nudged, as the chain's rates then tell


def nudge_at(progress: float) -> float:
    """How far the nudge has moved the weight at ``progress`` (0..1) of its swing's time."""
    return NUDGE * math.sin(2 * math.pi * NUDGE_TURNS * progress)


#: how many real iterations a glance shows at most on its way from the one shown before it
#: (the last its own)
MONTAGE_STATES = 12


def montage_epochs(before: int, epoch: int, n: int = MONTAGE_STATES) -> tuple[int, ...]:
    """The iterations strictly between two shown ones that a glance passes through,
    log-spaced (n - 1 at most: the n-th is its own)."""
    if epoch - before < 2 or before < 1:
        return ()
    spaced = np.unique(np.round(np.geomspace(before, epoch, n + 1)).astype(int))
    return tuple(int(e) for e in spaced if before < e < epoch)


@dataclass(frozen=True)
class Glimpse:
    """One real iteration on a glance's way from the iteration shown before it: the run
    seen learning frame by frame, every number on screen the run's own (reviews: "a
    continuous training montage", "the decision map evolving")."""

    epoch: int
    weights: np.ndarray = field(repr=False)  # flat, in the layout's edge order
    outputs: np.ndarray = field(repr=False)  # (records, outputs)
    mean_abs_error: float
    feature_maps: np.ndarray | None = field(default=None, repr=False)


def glimpse_at(step: Step, progress: float | None) -> Glimpse | None:
    """The iteration a glance shows at ``progress`` (0..1) of its way; None once it stands
    at its own (or where it has no way)."""
    if not step.montage or progress is None or progress >= 1.0:
        return None
    return step.montage[min(len(step.montage) - 1, int(max(0.0, progress) * len(step.montage)))]


@dataclass(frozen=True)
class Step:
    """One beat of the animation; ``first_frame``/``n_frames`` place it in the video."""

    index: int
    kind: str
    phase: str
    epoch: int | None
    batch: int | None
    record: int | None  # 0-based record of the batch
    layer: int | None
    node: int | None
    caption: str
    code_lines: tuple[int, ...]
    panel: tuple[str, ...]
    node_labels: tuple[str, ...]
    values: dict[str, float]
    visual: Visual
    display_error: float | None
    display_error_epoch: int | None
    duration: float
    first_frame: int = 0
    n_frames: int = 0
    highlighted_nodes: tuple[int, ...] = ()
    highlighted_edges: tuple[int, ...] = field(default=(), repr=False)
    card: tuple[str, str] | None = None  # a big centred title and subtitle
    signals: tuple[Signal, ...] = ()
    marked_edges: tuple[int, ...] = ()  # weights circled because they visibly change
    edge_labels: tuple[tuple[int, str], ...] = ()
    magnify: float = 1.0  # weight changes drawn this many times their size
    records: tuple[tuple[str, str], ...] = ()  # (inputs, targets) text of the records on screen
    edge_values: tuple[tuple[int, str], ...] = ()  # numbers written along weights (input x weight)
    node_notes: tuple[tuple[int, str], ...] = ()  # a second number under a node (its z)
    change: np.ndarray | None = field(default=None, repr=False)  # an update's weight change (n_in, n_out)
    change_scale: float = 0.0  # the largest change of the video's first update: one scale for all
    #: the step computes every record of the batch at once (one matrix product): hall and
    #: lecture stand the records as parallel sheets in depth
    all_records: bool = False
    #: (n_nodes, n, n): each node's activation over a grid of the two inputs that vary (the
    #: others held at their one value), NaN for the input layer; None where it does not apply
    feature_maps: np.ndarray | None = field(default=None, repr=False)
    #: a glance's way from the iteration shown before it, in real iterations (Glimpse)
    montage: tuple[Glimpse, ...] = field(default=(), repr=False)
    #: the training records on the output's map: (input across, input up, target), 0..1
    feature_records: tuple[tuple[float, float, float], ...] = ()
    #: what the squares are drawn over: the key's sentence (the inputs held fixed named)
    feature_key: str = ""
    #: the output's map's axes, written under and over it ("input 1: 0 -> 1")
    feature_axes: tuple[str, ...] = ()
    #: 3Blue1Brown's "wants": (node, value) for the record on the spheres -- how much, and
    #: which way, the node's value (its error) or its input (its delta) should move; drawn
    #: as an arrow up or down beside the node, one length scale per kind for the whole video
    wants: tuple[tuple[int, float], ...] = ()
    #: a delta step's errors, (node, value) as ``wants``: each delta's arrow starts as its
    #: error's and shrinks by the slope into the delta's, the chain rule seen as motion
    want_from: tuple[tuple[int, float], ...] = ()
    #: an error step's senders, (node, delta, error) for the record on the spheres: their
    #: arrows stay as their delta step left them (error NaN: the delta's arrow alone), and
    #: a copy of each delta travels back along each weight, scaled by it -- shrinking,
    #: growing, turning over where the weight is negative -- to land as the error's arrow
    #: of the node at the weight's other end (3Blue1Brown's wants, sent back)
    senders: tuple[tuple[int, float, float], ...] = ()
    #: an error step's weights as what they multiply a delta sent back by, (edge, "x -0.945"):
    #: written on each weight, where the delta travelling back is scaled and turned over
    multipliers: tuple[tuple[int, str], ...] = ()
    #: an error step's deltas sent back as numbers, (edge, delta, delta x weight) as the
    #: notes write them: a token that carries the delta to its weight's "x w", goes through
    #: it and comes out as the product, which lands in the hidden node's note
    sent_values: tuple[tuple[int, str, str], ...] = ()
    #: one number per record and what they make together, as signed bars (3Blue1Brown's
    #: columns of nudges, one per example): the worked change's input x delta per record and
    #: their sum; the display error's y - output per record and the mean of their sizes
    bars: RecordBars | None = None
    #: the worked weight's loss curve, tangent and step downhill (the worked change)
    loss_curve: LossCurve | None = field(default=None, repr=False)
    #: the landscape's shot: the loss over the worked weight and a second one
    loss_map: LossMap | None = field(default=None, repr=False)
    #: the chain rule's shot: the worked weight's rates for one record, multiplied
    chain: ChainRule | None = None
    #: the caption's closing explanation (its last characters): in a hall and a lecture it
    #: goes on its own line in smaller, quieter type, so the formula reads first
    gloss: str = ""
    #: the caption's numbers and names that the picture shows too, in the caption's order:
    #: (text, what it is ["weight", "error", "change", "signed", "delta", "slope", "value",
    #: "target", "input"], and where it is in the picture, a world point, if it flies from
    #: there into the formula). Hall and lecture colour each as the picture colours it
    #: (3Blue1Brown's colour per term), and fly it in as its part of the formula is written
    terms: tuple[tuple, ...] = ()

    @property
    def headline(self) -> str:
        """The caption without its gloss: the formula with its numbers."""
        return self.caption[: len(self.caption) - len(self.gloss)] if self.gloss else self.caption


@dataclass(frozen=True)
class FitCurve:
    """The network's output over the input interval at each shown epoch, and the truth."""

    x: np.ndarray
    truth: np.ndarray
    predictions: dict[int, np.ndarray]  # epoch -> outputs on x, with that epoch's weights


def errors_drawn(step: Step) -> dict[int, float]:
    """The errors ``step`` draws as hollow arrows, by node: its own (the output error, the
    hidden errors), those its deltas stand in, or its senders' (the hidden errors keep
    out's)."""
    drawn = dict(step.want_from) if step.kind == "delta" else {}
    drawn |= {node: e for node, _, e in step.senders}
    if step.kind != "delta":
        drawn |= dict(step.wants)
    return {n: float(e) for n, e in drawn.items() if np.isfinite(e) and e}


@dataclass(frozen=True)
class Timeline:
    """All steps of a video and the frame <-> step mapping."""

    steps: tuple[Step, ...]
    initial_visual: Visual  # the screen before the first step: nothing computed, no weights
    fps: int
    code: tuple[str, ...]
    layout: Layout
    title: str
    total_epochs: int
    target_scale: float  # the largest |target| shown (squares are sized against it)
    n_batches: int  # updates per epoch
    fit_curve: FitCurve | None  # function-fitting scenes: the learned curve per epoch
    lang: str
    font: str | None  # font file for every text element (None: VTK's own fonts)
    screen: str  # hall | lecture | study: the screen layout (panels, camera, type sizes)
    display_errors: np.ndarray  # mean |error| of every epoch (the inset plot)
    update_sizes: np.ndarray  # max |weight change| of every epoch
    shown_epochs: tuple[int, ...]
    #: seed 001's view: train and held-out accuracy per epoch (None without held-out data)
    accuracy: tuple[np.ndarray, np.ndarray] | None = None
    #: seed 003's view: the rows of the first weight matrix at each shown epoch
    trajectory: dict[int, np.ndarray] | None = None
    #: and the output layer's biases at each shown epoch
    bias_path: dict[int, np.ndarray] | None = None
    #: (min, mean, max, std) of each weight matrix and bias vector at the end of every epoch
    weight_stats: np.ndarray | None = None
    bias_stats: np.ndarray | None = None
    #: a monospaced font file for code and tables (Noto Sans Mono CJK JP); None: they use
    #: ``font`` (a proportional font: whole code lines, no syntax colours) or, without one,
    #: the shipped Latin mono face (fonts.LATIN_MONO_FONT)
    mono_font: str | None = None
    #: ``font``'s bold face, for the bold texts (captions, the summing rows), if there is one
    bold_font: str | None = None
    #: ``mono_font``'s bold face, for the executing code line, if there is one
    mono_bold_font: str | None = None
    #: the loss of every epoch (the split screen's chart of the [compare] runs)
    losses: np.ndarray | None = None
    #: a [compare] run: its label and the largest change rounding made to its initial weights
    comparison: tuple[str, float] | None = None

    @cached_property
    def want_scales(self) -> dict[int | None, float]:
        """The largest |want| of each layer in the whole video, its errors and deltas
        together; the largest of them is the one scale of every arrow (``want_unit``)."""
        scales: dict[int | None, float] = {}
        for s in self.steps:
            for _, v in s.wants:
                if np.isfinite(v):
                    scales[s.layer] = max(scales.get(s.layer, 0.0), abs(float(v)))
        return scales

    @cached_property
    def first_errors(self) -> tuple[int | None, dict[int, float]]:
        """The first iteration that draws an error arrow, and each node's first error drawn
        in it (:func:`errors_drawn`): what a late iteration's errors are drawn inside
        (frames._first_arrows), found once, not at each frame that draws them."""
        first = next((s.epoch for s in self.steps if s.epoch is not None and errors_drawn(s)), None)
        was: dict[int, float] = {}
        for s in self.steps:
            if first is not None and s.epoch == first:
                was = errors_drawn(s) | was  # (each node's first)
        return first, was

    @cached_property
    def want_unit(self) -> float:
        """The |want| drawn at full length (WANT_ROOM node spacings): as large as every
        layer's room allows -- a lone node's arrow (the output's) up to WANT_ROOM spacings, a
        layer of several nodes' short of its neighbours' (WANT_ROOM_CROWD). One scale for
        every arrow of the video: three reviews read arrows on scales of their own (a hidden
        layer's, magnified x4; a late iteration's, x10) as wants to compare, out's 0.474
        beside h3's 0.112, iteration 1998's beside iteration 1's. Nor is a late iteration
        magnified: its errors, a fiftieth of iteration 1's, are drawn as long as they are,
        inside grey outlines of iteration 1's (frames._first_arrows). Magnified by x20
        (x1 -> x20 as it played), every review of a round read it beside the weight changes'
        x20 of the whole video as a second scale ("one magnification", rounds 74-79);
        seed 000's author wanted the shrinking seen."""
        layers = self.layout.layers

        def room(layer: int | None) -> float:
            lone = layer is not None and 0 <= layer < len(layers) and layers[layer] == 1
            return WANT_ROOM if lone else WANT_ROOM_CROWD

        units = [scale * WANT_ROOM / room(layer) for layer, scale in self.want_scales.items()]
        return max(units, default=0.0) or 1.0

    @property
    def mono_em(self) -> float:
        """Advance of an ASCII character of the code and tables' font, in ems: the mono
        font's own, or the shipped Latin mono face's (0.5 for Noto Sans Mono CJK, kanji one
        em); 0.6 for code in a proportional ``font`` (no monospaced face with Japanese)."""
        if self.font and not self.mono_font:
            return 0.6
        return mono_advance_em(self.mono_font or LATIN_MONO_FONT)

    def mono_advance_px(self, size: int) -> float:
        """Pixels from one column of code to the next at font size ``size``: FreeType
        rounds the mono font's advance to whole pixels (Noto's 0.5 em is 7 px at 13 px)."""
        if self.font and not self.mono_font:
            return 0.6 * size
        return math.floor(self.mono_em * size + 0.5)

    @cached_property
    def _starts(self) -> list[int]:
        return [s.first_frame for s in self.steps]

    @property
    def n_frames(self) -> int:
        last = self.steps[-1]
        return last.first_frame + last.n_frames

    @property
    def duration(self) -> float:
        return self.n_frames / self.fps

    def step_at(self, frame: int) -> Step:
        """The step that frame ``frame`` belongs to."""
        if not 0 <= frame < self.n_frames:
            raise IndexError(f"frame {frame} is outside 0..{self.n_frames - 1}")
        return self.steps[bisect.bisect_right(self._starts, frame) - 1]

    def frames_of(self, step_index: int) -> range:
        """The frames that show step ``step_index``."""
        s = self.steps[step_index]
        return range(s.first_frame, s.first_frame + s.n_frames)


def magnification(change: np.ndarray) -> float:
    """The power of ten that makes the largest weight change visible (at least 0.05)."""
    biggest = float(np.max(np.abs(change))) if change.size else 0.0
    if biggest <= 0 or not np.isfinite(biggest) or biggest >= 0.02:
        return 1.0
    return float(10 ** math.ceil(math.log10(0.05 / biggest)))
