"""The kinds of step, one small function each, with its duration and phase beside it.

A kind turns one :class:`Beat` of the story (say "node 2 of layer 1, record 3, iteration
1") into a :class:`~nnviz3d.timeline.model.Step`: it reads the recorded numbers, writes
the caption and the panel, and says what the scene holds afterwards. Adding a kind of
step means adding one function here and yielding its beat in ``story.py``; its duration
is what the length estimate and ``[render.durations]`` use, so nothing repeats it.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from nnviz3d.layout import strongest_inputs
from nnviz3d.mlp import ACTIVATIONS, forward, loss_value, output_delta, overflow_allowed, per_record_loss
from nnviz3d.text import columns, pad_columns
from nnviz3d.timeline.model import (
    DIM,
    NUDGE,
    TIMES,
    ChainRule,
    Glimpse,
    LossCurve,
    LossMap,
    RecordBars,
    Signal,
    change_decimals,
    closing_digits,
    decimal_tries,
    equals,
    fmt,
    fmt_input,
    fmt_sig,
    fmt_signed,
    montage_epochs,
    rate_times,
)

if TYPE_CHECKING:
    from nnviz3d.timeline.story import Builder


@dataclass(frozen=True)
class Beat:
    """One step of the story before any number is known: its kind and where it plays.

    ``batch`` counts from 1; ``record`` is the 0-based row of the batch; ``layer`` is the
    layer (or, for init and update, the weight matrix) the step is about."""

    kind: str
    epoch: int | None = None
    batch: int | None = None
    record: int | None = None
    layer: int | None = None
    node: int | None = None
    text: str = ""  # the message of a card
    #: a skip's last iteration shown before it, where that was a fast-forward's (else the
    #: shown epoch before it)
    after: int | None = None
    #: its duration as a multiple of its kind's: the first example's nodes play slowly
    #: (3Blue1Brown's one example first), the later ones at the kind's pace
    slow: float = 1.0


@dataclass(frozen=True)
class StepKind:
    name: str
    seconds: float  # at speed 1: long enough for a lecturer to read every caption
    phase: str
    build: Callable[[Builder, Beat], None]


KINDS: dict[str, StepKind] = {}


def step_kind(name: str, seconds: float, phase: str) -> Callable:
    """Register the decorated function as the builder of steps of kind ``name``."""

    def register(build: Callable[[Builder, Beat], None]) -> Callable[[Builder, Beat], None]:
        KINDS[name] = StepKind(name, seconds, phase, build)
        return build

    return register


# -- before training -----------------------------------------------------------------
@step_kind("title", seconds=4.0, phase="card")
def title(b: Builder, beat: Beat) -> None:
    spec = b.spec
    subtitle = beat.text or b.t("title_sub", layers="-".join(map(str, spec.layers)), epochs=spec.epochs)
    b.add(b.scene.title, extras={"card": (b.scene.title, subtitle)}, nodes=[], edges=[])


@step_kind("card", seconds=1.6, phase="card")
def card(b: Builder, beat: Beat) -> None:
    text = b.t(beat.text, epoch=beat.epoch, last=b.spec.epochs)
    b.add(text, extras={"card": (text, "")}, nodes=[], edges=[])


@step_kind("init", seconds=2.6, phase="init")
def init(b: Builder, beat: Beat) -> None:
    k, lay = beat.layer, b.layout
    w = b.spec.weights[k]
    shown = b.visual.weights.copy() if k else np.zeros(lay.n_edges)
    shown[list(lay.layer_edges(k))] = w.ravel()
    how = "2*random - 1" if b.scene.init_scheme == "iamtrask" else b.scene.init_scheme
    b.add(
        b.t("init", k=k, k1=k + 1, rows=w.shape[0], cols=w.shape[1], how=how),
        code=(f"init{k}",),
        panel=b.matrix_panel(b.t("panel_matrix", name=f"syn{k}"), w),
        values={f"syn{k}[{i},{j}]": float(w[i, j]) for i, j in np.ndindex(*w.shape)},
        layer=k,
        nodes=[*lay.layer_nodes(k), *lay.layer_nodes(k + 1)],
        edges=list(lay.layer_edges(k)),
        weights=shown,
    )


@step_kind("loop", seconds=2.2, phase="loop")
def loop(b: Builder, beat: Beat) -> None:
    n = len(b.spec.inputs)
    records = b.t("records_all", n=n) if n > 1 else b.t("records_one")
    b.add(b.t("loop", epochs=b.spec.epochs, records=records), code=("loop",))


def _card_lines(text: str) -> tuple[str, str]:
    """A card's title and subtitle: ``text`` parted at its first colon (either script's)."""
    parts = re.split(r"(?<=[:\uff1a]) ?", text, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (text, "")


@step_kind("skip", seconds=3.0, phase="loop")
def skip(b: Builder, beat: Beat) -> None:
    """The jump over unshown iterations: the error of the last skipped one is shown."""
    previous = beat.after or b.epoch_before(beat.epoch)
    gap = beat.epoch - previous - 1
    u = b.trace.epoch_updates(beat.epoch)[0]
    b.clear_values()
    if previous:
        b.display_error = float(b.trace.summaries.mean_abs_error[beat.epoch - 2])
        b.display_error_epoch = beat.epoch - 1
    # counted from the fast-forward's last iteration where one came before (reviews 56a and
    # 56b: "1994 iterations later" right after "iteration 1000" was an unexplained jump)
    text = (
        b.t("skip_after", gap=gap, after=beat.after, epoch=beat.epoch)
        if beat.after
        else b.t("skip", gap=gap, epoch=beat.epoch)
    )
    b.add(
        text,
        code=("loop",),
        values={"skipped_iterations": float(gap)},
        nodes=[],
        edges=[],
        # in two lines where it says two things (in one, the card's type shrank to fit)
        extras={"card": _card_lines(text) if beat.after else (text, "")},
        weights=b.flat_weights(u.weights_before),
    )


# -- the forward pass, one record and one node at a time ------------------------------
@step_kind("input", seconds=1.1, phase="forward")
def input_layer(b: Builder, beat: Beat) -> None:
    lay, u, r = b.layout, b.update, beat.record
    if r == 0:
        b.clear_values()
    x = u.inputs[r]
    b.values = np.full(lay.n_nodes, np.nan)
    b.values[list(lay.layer_nodes(0))] = x
    b.labels = [""] * lay.n_nodes
    for j, v in enumerate(x):
        b.labels[lay.node_id(0, j)] = fmt_input(v)
    b.add(
        b.t(
            "input",
            row=int(u.record_indices[r]) + 1,
            n=len(b.spec.inputs),
            x=", ".join(fmt_input(v) for v in x),
            t=", ".join(fmt_input(v) for v in u.targets[r]),
        ),
        gloss=_bias_note(b) if r == 0 else "",
        code=("input",),
        values={f"l0[{j}]": float(v) for j, v in enumerate(x)},
        record=r,
        layer=0,
        nodes=list(lay.layer_nodes(0)),
        edges=[],
        node_values=b.values.copy(),
        current_record=r if r < lay.n_records else None,
    )


@step_kind("node", seconds=0.85, phase="forward")
def node(b: Builder, beat: Beat) -> None:
    """One neuron: its inputs times its weights, summed, through the activation."""
    lay, u, r, k, j = b.layout, b.update, beat.record, beat.layer, beat.node
    prev = u.activations[k - 2][r] if k > 1 else u.inputs[r]
    w = u.weights_before[k - 1]
    act = b.spec.activations[k - 1]
    z = float(u.preactivations[k - 1][r, j])
    a = float(u.activations[k - 1][r, j])
    b.values[lay.node_id(k, j)] = a
    b.labels[lay.node_id(k, j)] = fmt_sig(a)
    z_w, a_w = fmt_sig(z), fmt_sig(a)
    n_in = len(prev)
    bias = [float(u.biases_before[k - 1][j])] if u.biases_before is not None else []
    digits, closes = 3, True  # more than 4 inputs: the caption says "the sum of n"
    if n_in <= 4:  # the inputs and weights to as many decimals as make their sum come out as z is written
        digits, closes = closing_digits(
            [*prev, *w[:, j], *bias],
            fmt_input,
            lambda v: float(np.dot(v[:n_in], v[n_in : 2 * n_in])) + sum(v[2 * n_in :]),
            z_w,
            fmt_sig,
            decimal_tries(z_w),
        )
    written = [(fmt_input(p, digits), fmt(wi, digits)) for p, wi in zip(prev, w[:, j], strict=True)]
    terms = " + ".join(f"{p}{TIMES}({wi})" for p, wi in written) + "".join(
        f" + ({fmt(v, digits)})" for v in bias
    )
    if n_in > 4:
        terms = b.t("sum_of", n=n_in)
    eq = "=" if closes else b.t("approx")
    node_name = lay.node_name(k, j)  # as the picture names it, under its sphere
    name = b.t("output" if k == b.n_w else "hidden_of" if b.n_w > 2 else "hidden", name=node_name, k=k)
    incoming = [lay.edge_id(k - 1, i, j) for i in range(b.spec.layers[k - 1])]
    products = [float(p * wij) for p, wij in zip(prev, w[:, j], strict=True)]  # each input x its weight
    outputs = b.visual.outputs
    if k == b.n_w and r < lay.n_records:  # the outputs table fills as the output node lights
        outputs = outputs.copy()
        outputs[r, j] = a
    b.add(
        b.t("node", name=name, terms=terms, eq=eq, z=z_w, act=act, a=a_w),
        # the first record's hidden nodes say where their bias is (its term is the last)
        gloss=_bias_note(b) if k == 1 and r == 0 else "",
        code=(f"layer{k}",),
        values={f"l{k}[{j}]": a, f"z{k}[{j}]": z},
        record=r,
        layer=k,
        node=j,
        nodes=[*lay.layer_nodes(k - 1), lay.node_id(k, j)],
        edges=incoming,
        extras={
            "signals": tuple(Signal(e, True, p) for e, p in zip(incoming, products, strict=True)),
            "edge_values": tuple((e, fmt_sig(p)) for e, p in zip(incoming, products, strict=True)),
            "node_notes": ((lay.node_id(k, j), f"z = {fmt_sig(z)}"),),
            # the sum as bars for the first example only, which plays slowly so its sum can be
            # built: at a node's pace (0.85 s) they were the sum a third time beside the
            # caption and the weights' numbers (reviews 42a, 42b: clutter)
            "bars": _z_bars(b, k, products, bias, z) if beat.slow > 1 else None,
            # each input from its node and each weight from its edge, into the formula
            "terms": (
                (node_name, "value"),  # as its name under its sphere, in the colour of now
                *(
                    term
                    for i, (p, wi) in enumerate(written)
                    for term in (
                        (p, "input", _node_at(lay, lay.node_id(k - 1, i))),
                        (wi, "weight", _edge_at(lay, incoming[i])),
                    )
                ),
                (z_w, "signed", _node_at(lay, lay.node_id(k, j))),
                (a_w, "value"),
            ),
        },
        node_values=b.values.copy(),
        outputs=outputs,
    )


# -- the forward pass, a layer for the whole batch at a time ---------------------------
@step_kind("layer", seconds=2.2, phase="forward")
def layer(b: Builder, beat: Beat) -> None:
    lay, u, k = b.layout, b.update, beat.layer
    if k == 0:
        b.clear_values()
    r, n = lay.n_records, len(u.inputs)
    sats = b.visual.satellites.copy()
    example = b.visual.node_values.copy()  # too many records for beads: one flows through
    m = u.inputs if k == 0 else u.activations[k - 1]
    if r:
        sats[list(lay.layer_nodes(k))] = m[:r].T
    else:
        example[list(lay.layer_nodes(k))] = m[0]
    signals: tuple[Signal, ...] = ()
    if k:
        prev = u.inputs if k == 1 else u.activations[k - 2]
        flow = prev.mean(axis=0)[:, None] * u.weights_before[k - 1]
        signals = tuple(
            Signal(lay.edge_id(k - 1, i, j), True, float(flow[i, j])) for i, j in _strongest(flow)
        )
    outputs = b.visual.outputs
    if k == b.n_w:  # the outputs table fills as the output layer is computed
        outputs = outputs.copy()
        outputs[:] = u.outputs[: lay.n_records]
    caption = b.t("compact_input", n=n) if k == 0 else b.t("compact_layer", k=k, n=n)
    if not r:
        # no spheres in hall and lecture when the layers are drawn as panels
        caption += b.t(
            "example_panels" if b.shape == "grids" else "example", row=int(u.record_indices[0]) + 1
        )
    b.add(
        caption,
        code=("input",) if k == 0 else (f"layer{k}",),
        panel=b.matrix_panel(b.t("panel_rows", name=f"l{k}"), m, sign=False),
        values=_matrix_values(f"l{k}", m),
        layer=k,
        nodes=list(lay.layer_nodes(k)) + (list(lay.layer_nodes(k - 1)) if k else []),
        edges=list(lay.layer_edges(k - 1)) if k else [],
        extras={"signals": signals, "all_records": True},
        satellites=sats,
        satellite_signed=False,
        node_values=example if not r else b.visual.node_values,
        outputs=outputs,
    )


def _bracketed(number: str) -> str:
    """A number subtracted or multiplied, in brackets where it is negative."""
    return f"({number})" if number.startswith("-") else number


@step_kind("output_error", seconds=1.4, phase="forward")
def output_error(b: Builder, beat: Beat) -> None:
    """y - output: one record's (node by node) or the whole batch's (compact)."""
    lay, u, n_w, r = b.layout, b.update, b.n_w, beat.record
    outputs = b.visual.outputs.copy()
    common = {
        "code": ("error",),
        "layer": n_w,
        "nodes": list(lay.layer_nodes(n_w)),
        "edges": [],
    }
    if r is None:
        outputs[:] = u.outputs[: lay.n_records]
        b.add(
            b.t("compact_error", k=n_w, n=len(u.inputs)),
            panel=b.matrix_panel(b.t("panel_matrix", name=f"l{n_w}_error"), u.output_errors),
            values=_matrix_values(f"l{n_w}_error", u.output_errors),
            outputs=outputs,
            extras={"all_records": True},
            **common,
        )
        return
    if r < lay.n_records:
        outputs[r] = u.outputs[r]
    err = u.output_errors[r]
    approx = b.t("approx")
    terms = ", ".join(  # as the picture writes them (3 digits), "~" where those do not close;
        # a negative output in brackets ("0.655 - (-0.236)": "- -0.236" was read as a typo)
        f"{fmt_input(t)} - {_bracketed(fmt_sig(o))} "
        f"{equals(fmt_signed(e), t - float(fmt_sig(o)), fmt_signed, approx)} {fmt_signed(e)}"
        for t, o, e in zip(u.targets[r], u.outputs[r], err, strict=True)
    )
    b.add(
        b.t("output_error", k=n_w, terms=terms),
        values={f"l{n_w}_error[{o}]": float(e) for o, e in enumerate(err)},
        record=r,
        outputs=outputs,
        extras={
            "wants": _wants(lay, n_w, err),
            "terms": tuple(
                term
                for node, t, o, e in zip(lay.layer_nodes(n_w), u.targets[r], u.outputs[r], err, strict=True)
                for term in (
                    (fmt_input(t), "target"),
                    (fmt_sig(o), "input", _node_at(lay, node)),  # white, as the output node's number
                    (fmt_signed(e), "error"),
                )
            ),
        },
        **common,
    )


# -- the error and the backward pass --------------------------------------------------
@step_kind("display_error", seconds=2.6, phase="error")
def display_error(b: Builder, beat: Beat) -> None:
    lay, u, n_w = b.layout, b.update, b.n_w
    b.display_error = float(u.mean_abs_error)
    b.display_error_epoch = u.epoch
    b.labels = [""] * lay.n_nodes  # the spheres go back to record 1; the panel has the errors
    caption = b.t("display_error", k=n_w, e=fmt(u.mean_abs_error, 5))
    loss_is = b.t(f"loss_{b.spec.loss}_{b.spec.reduction}")
    loss = fmt(u.loss, 5) if np.isfinite(u.loss) else b.t("loss_not_recorded")  # NaN: not given
    gloss = ""
    if b.spec.learning_rate != 1:  # the updates show the gradient dE/dsyn: say what E is
        caption = b.t("display_error_loss", k=n_w, e=fmt(u.mean_abs_error, 5), loss_is=loss_is, loss=loss)
    elif np.isfinite(u.loss):  # two measures, near in value: which one the training lowers
        # (three reviews read the mean |error| and the descent plot's loss as one measure)
        gloss = b.t("display_error_gloss", loss_is=loss_is, loss=loss)
    b.add(
        caption,
        gloss=gloss,
        code=("display",),
        panel=b.matrix_panel(b.t("panel_matrix", name=f"l{n_w}_error"), u.output_errors),
        values={"display_error": float(u.mean_abs_error), "loss": float(u.loss)},
        extras={"bars": _error_bars(b, u, n_w)},
        nodes=list(lay.layer_nodes(n_w)),
        edges=[],
        # the backward pass is drawn for the batch's first record (the code does the whole
        # batch at once, and the update adds the records up): its values on the spheres
        current_record=0 if lay.n_records else None,
        node_values=_record_values(b, u, 0),
    )


@step_kind("error", seconds=3.2, phase="backward")
def error(b: Builder, beat: Beat) -> None:
    """A hidden layer's error: the next layer's deltas sent back through the weights."""
    lay, u, k = b.layout, b.update, beat.layer
    err = _errors(b, k)
    sats = b.visual.satellites.copy()
    if lay.n_records:
        sats[list(lay.layer_nodes(k))] = err[: lay.n_records].T
    w = u.weights_before[k]
    sent = (-u.deltas[k])[0][None, :] * w  # what each weight carries back, for the first record
    caption = b.t("error_hidden", k=k, k1=k + 1)
    terms: tuple[tuple, ...] = ((f"l{k + 1}_delta", "delta"),)
    d0 = float(-u.deltas[k][0, 0])
    if w.shape[1] == 1:  # one node sends back: one hidden error worked out, a sign flip if any
        flips = [i for i in range(w.shape[0]) if w[i, 0] < 0 and sent[i, 0] != 0]
        i = max(flips or range(w.shape[0]), key=lambda n: abs(sent[n, 0]))
        e_w = fmt_signed(float(sent[i, 0]))
        pair = [d0, float(w[i, 0])]
        # to 3 digits, as its note beside the node writes it (iteration 2000's caption took 4
        # to close, "-0.0003846 × -8.826", beside the note's "-0.000385 × -8.83": review 55
        # found decimals that differ between the caption and the picture)
        d_w, w_w = (fmt_sig(v) for v in pair)
        # each hidden node's delta × weight as its note writes it, with the notes' one sign
        worked = [_delta_terms(b, d0, float(w[n, 0])) for n in range(w.shape[0])]
        eq = _rounded(b)
        caption = b.t("error_hidden_one", k=k, k1=k + 1, name=lay.node_name(k, i), d=d_w, w=w_w, e=e_w, eq=eq)
        terms += ((lay.node_name(k, i), "value"),  # its name under its sphere, lit as well
                  (d_w, "delta", _node_at(lay, lay.node_id(k + 1, 0))),
                  (w_w, "weight", _edge_at(lay, lay.edge_id(k, i, 0))),
                  (e_w, "error"))  # fmt: skip
    if w.shape[1] == 1 and w[i, 0] < 0:  # the step's point: in the formula's type, not the gloss
        caption += b.t("sign_flip")
    signals = [Signal(lay.edge_id(k, i, j), False, float(sent[i, j])) for i, j in _strongest(sent)]
    senders = _senders(b, k + 1) if _wants(lay, k, err[0]) else ()
    multipliers: tuple[tuple[int, str], ...] = ()
    sent_values: tuple[tuple[int, str, str], ...] = ()
    notes = tuple((lay.node_id(k, n), fmt_signed(float(sent[n, 0]))) for n in range(w.shape[0]))
    if senders and w.shape[1] == 1:
        # first the caption's example (a flip), alone, then the one its weight shrinks most,
        # alone too (review 54a: "h4's ×0.341 shrink never happens as motion"), then the
        # others together, top to bottom (reviews 49a and 49b: sent first, h4's read as out
        # of order beside the caption's h3, lit all the while)
        shrinks = min((n for n in range(w.shape[0]) if n != i), key=lambda n: abs(w[n, 0]), default=i)
        signals.sort(
            key=lambda s: (s.edge != lay.edge_id(k, i, 0), s.edge != lay.edge_id(k, shrinks, 0), s.edge)
        )
        multipliers = tuple(
            (lay.edge_id(k, n, 0), f"{TIMES} {fmt_sig(float(w[n, 0]))}") for n in range(w.shape[0])
        )
        sent_values = tuple(
            (lay.edge_id(k, n, 0), fmt_sig(d0), fmt_signed(float(sent[n, 0]))) for n in range(w.shape[0])
        )
        # each hidden node's error worked out beside it, delta x weight (three reviews: only
        # the caption's example could be checked)
        notes = tuple(
            (lay.node_id(k, n), f"{delta} {TIMES} {weight} {eq} {product}")
            for n, ((_, delta, product), (_, _, weight)) in enumerate(zip(sent_values, worked, strict=True))
        )
        known = {term[0] for term in terms}
        for _, note in notes:  # coloured as the caption's example: the notes' terms
            for text, kind in zip(note.split()[::2], ("delta", "weight", "error"), strict=True):
                if text not in known:
                    terms, known = (*terms, (text, kind)), known | {text}
    b.add(
        caption,
        gloss=_record_note(b, u),
        code=(f"error{k}",),
        panel=b.matrix_panel(b.t("panel_rows", name=f"l{k}_error"), err),
        values=_matrix_values(f"l{k}_error", err),
        layer=k,
        nodes=[*lay.layer_nodes(k), *lay.layer_nodes(k + 1)],
        edges=list(lay.layer_edges(k)),
        extras={
            "signals": tuple(signals),
            # one node sends back: each hidden node's error is what its one weight carries,
            # written beside the node (where its delta's notes follow), not on the weight
            "edge_values": _signed_values(list(lay.layer_edges(k)), sent)
            if sent.size <= MAX_EDGE_VALUES and w.shape[1] > 1
            else (),
            "node_notes": notes if w.shape[1] == 1 and w.shape[0] <= MAX_EDGE_VALUES else (),
            "wants": _wants(lay, k, err[0]),
            "senders": senders,
            "multipliers": multipliers,
            "sent_values": sent_values,
            "terms": terms,
        },
        satellites=sats,
        satellite_signed=True,
    )


def _slope_key(b: Builder, k: int) -> str:
    """Which slope layer ``k``'s delta multiplies its error by (the caption's words for it)."""
    if k == b.n_w and b.spec.loss == "cross_entropy":  # softmax/sigmoid with cross-entropy: no slope
        return "slope_cross_entropy"
    act = b.spec.activations[k - 1]
    return {"sigmoid": "slope_sigmoid", "identity": "slope_identity"}.get(act, "slope_other")


def _errors(b: Builder, k: int) -> np.ndarray:
    """Layer ``k``'s error per record, y - output for the output layer (the delta's other factor)."""
    return b.update.output_errors if k == b.n_w else -b.update.activation_grads[k - 1]


def _senders(b: Builder, k: int) -> tuple[tuple[int, float, float], ...]:
    """Layer ``k``'s deltas as its delta step left their arrows, for the error step that
    sends them back: (node, delta, its error, NaN where the delta step drew no error)."""
    deltas = _wants(b.layout, k, -b.update.deltas[k - 1][0])
    errors = _errors(b, k)[0] if _slope_key(b, k) == "slope_sigmoid" else np.full(len(deltas), np.nan)
    return tuple((node, d, float(e)) for (node, d), e in zip(deltas, errors, strict=False))


def _rounded(b: Builder) -> str:
    """The one sign the backward pass's worked products use: "≈" for all, as each is of
    numbers rounded to 3 digits, whether or not those digits happen to give the result
    (two reviews of one frame read h3's "= +0.112" beside its neighbours' "≈" as h3 exact
    and the others not; reviews 56a and 56b read iteration 1998's "=" beside iteration 1's
    "≈" as a different kind of step)."""
    return b.t("approx")


@step_kind("delta", seconds=2.5, phase="backward")
def delta(b: Builder, beat: Beat) -> None:
    """error x the activation's slope: how much each node's input should move."""
    lay, u, k = b.layout, b.update, beat.layer
    first = k == b.n_w  # the backward pass starts here: the forward pass's beads go
    sats = np.full_like(b.visual.satellites, np.nan) if first else b.visual.satellites.copy()
    halos = np.full(lay.n_nodes, np.nan) if first else b.visual.halos.copy()
    d = -u.deltas[k - 1]
    if lay.n_records:
        sats[list(lay.layer_nodes(k))] = d[: lay.n_records].T
    halos[list(lay.layer_nodes(k))] = d.sum(axis=0)
    act = b.spec.activations[k - 1]
    slope_key = _slope_key(b, k)
    err = _errors(b, k)
    # a loss averaged over the batch divides the output's delta by its size (the hidden
    # layers' errors come from that delta, so they carry it already)
    n = len(u.inputs) if first and b.spec.reduction == "mean" else 1
    per = f" / {n}" if n > 1 else ""
    b.labels = [""] * lay.n_nodes  # this layer's deltas only: its notes need the room beside it
    for j, v in enumerate(d[0]):  # the first record's delta (the panel has them all, and the sum)
        b.labels[lay.node_id(k, j)] = fmt_signed(float(v))
    if n > 1:
        ce = slope_key == "slope_cross_entropy"
        slope_text = (
            b.t("slope_cross_entropy_mean", n=n)
            if ce
            else b.t(slope_key, k=k, act=act) + b.t("per_batch", n=n)
        )
    else:
        slope_text = b.t(slope_key, k=k, act=act)
    caption = b.t("delta", k=k, slope=slope_text)
    gloss = b.t("delta_each_gloss")
    notes: tuple[tuple[int, str], ...] = ()
    terms: tuple[tuple, ...] = ((f"l{k}_delta", "delta"), (f"l{k}*(1-l{k})", "slope"))
    if slope_key == "slope_sigmoid":  # the chain rule with its numbers: error x slope = delta
        a = u.activations[k - 1]
        slope = a[0] * (1 - a[0])
        if d.shape[1] == 1:  # one node: the numbers go into the caption
            eq, e_w, s_w = _delta_terms(b, err[0, 0], slope[0], fmt_sig)
            d_w = fmt_sig(float(d[0, 0]))
            caption = b.t("delta_one_mean" if n > 1 else "delta_one", k=k, e=e_w, s=s_w, d=d_w, n=n, eq=eq)
            gloss = b.t("delta_mean_gloss" if n > 1 else "delta_gloss", n=n)
            terms += ((e_w, "error", _node_at(lay, lay.node_id(k, 0))), (s_w, "slope"), (d_w, "delta"))
            if slope[0] < SATURATED:  # the lesson of late iterations: a flat sigmoid learns slowly
                gloss += b.t("saturated")
        else:
            caption = b.t("delta_nodes", k=k) + (b.t("per_batch", n=n) if n > 1 else "")
            gloss = b.t("delta_nodes_gloss")
            flattest = int(np.argmin(slope))
            if slope[flattest] < SATURATED:  # (review 71a: iteration 1998's h4, 0.0108, unsaid)
                name = lay.node_name(k, flattest)
                value = float(a[0, flattest])  # (which end it is near: review 73b read "1 or 0" as vague)
                end = "1" if value > 0.5 else "0"
                gloss = b.t(
                    "saturated_node", node=name, s=fmt_sig(float(slope[flattest])), v=fmt_sig(value), end=end
                )
        written = [_delta_terms(b, err[0, j], slope[j]) for j in range(d.shape[1])]
        nodes = [lay.node_id(k, j) for j in range(d.shape[1])]
        if len(nodes) > 1:
            # error x slope ~ delta, read left to right beside each node (four lecturer
            # reviews read "delta [node] ~ error x slope", the delta left of its node, as
            # backwards): the note carries the delta, and the node's label gives way
            results = [fmt_signed(float(v)) for v in d[0]]  # as the labels were written
            eq = _rounded(b)
            notes = tuple(
                (node, f"{e} {TIMES} {s}{per} {eq} {r}")
                for node, (_, e, s), r in zip(nodes, written, results, strict=True)
            )
            for node in nodes:
                b.labels[node] = ""
            terms += tuple(  # the notes' numbers, after the caption's
                term
                for (_, e, s), r in zip(written, results, strict=True)
                for term in ((e, "error"), (s, "slope"), (r, "delta"))
            )
        else:  # under the one node, whose delta is written over it
            (eq, e, s), node = written[0], nodes[0]
            notes = ((node, f"{eq} {e} {TIMES} {s}{per}"),)
            terms += ((e, "error"), (s, "slope"))
    b.add(
        caption,
        gloss=gloss + _record_note(b, u),
        code=(f"delta{k}",),
        panel=b.delta_panel(k, err, d, u),
        values={
            **_matrix_values(f"l{k}_delta", d),
            **_matrix_values(f"l{k}_error", err),
            # the activations whose slope the delta uses (the slope panel draws them)
            **(_matrix_values(f"l{k}", u.activations[k - 1]) if slope_key == "slope_sigmoid" else {}),
        },
        layer=k,
        nodes=list(lay.layer_nodes(k)),
        edges=[],
        extras={
            "node_notes": notes,
            "wants": _wants(lay, k, d[0]),
            "want_from": _wants(lay, k, err[0]) if slope_key == "slope_sigmoid" else (),
            "terms": terms,
        },
        satellites=sats,
        satellite_signed=True,
        halos=halos,
    )


@step_kind("update", seconds=2.6, phase="update")
def update(b: Builder, beat: Beat) -> None:
    """syn{k} += l{k}.T . l{k+1}_delta: every weight of one matrix moves at once.

    The change is drawn magnified by one power of ten for the whole video, so the updates
    of late iterations look as small as they are next to the first ones."""
    lay, u, k = b.layout, b.update, beat.layer
    weights = b.flat_weights(u.weights_before) if k == b.n_w - 1 else b.visual.weights.copy()
    change = u.weights_after[k] - u.weights_before[k]
    edges = list(lay.layer_edges(k))
    m, scale = b.change_scale()
    b.labels = [""] * lay.n_nodes  # the changes carry the numbers now
    weights[edges] = (u.weights_before[k] + m * change).ravel()
    biggest = float(np.max(np.abs(change)))
    by_size = np.argsort(-np.abs(change).ravel(), kind="stable")  # the largest change first (argmax's)
    order = by_size[: min(3, change.size)]
    before, after, flat = u.weights_before[k].ravel(), u.weights_after[k].ravel(), change.ravel()
    labelled = by_size[: 4 if change.size <= 4 else 3]
    digits = change_decimals(biggest)
    shown = [fmt(float(c), digits, sign=True) for c in flat[labelled]]  # as the grid beside writes them
    # weights that meet at one node: before -> after beside the nodes at their other ends;
    # where they cross (the grid beside has every change), the few largest changes alone,
    # short enough to lie along their weights
    fanned = lay.layers[k] == 1 or lay.layers[k + 1] == 1
    values = _before_after(before[labelled], after[labelled], shown) if fanned else shown
    lr = b.spec.learning_rate
    signed = float(flat[by_size[0]])  # the largest, with its sign
    # 3 significant digits, as the change history and the worked sum write it
    caption = b.t("update", k=k, k1=k + 1, lr="" if lr == 1 else f"{lr:g} * ", big=fmt_signed(signed))
    gloss = b.t("magnified", m=f"{m:g}") if m != 1 else ""
    gradient = (
        b.matrix_panel(b.t("panel_gradient", k=k), u.weight_gradients[k], digits=digits) if lr != 1 else ()
    )
    b.add(
        caption,
        gloss=gloss,
        code=(f"update{k}",) + ((f"bias{k}",) if b.spec.biases is not None else ()),
        panel=gradient
        + b.matrix_panel(b.t("panel_change", k=k), change, digits=digits)
        + b.matrix_panel(b.t("panel_new", k=k), u.weights_after[k]),
        values={
            **_matrix_values(f"dE/dsyn{k}", u.weight_gradients[k]),
            **_matrix_values(f"syn{k}_change", change),
            **_matrix_values(f"syn{k}", u.weights_after[k]),
            "magnify": m,
        },
        layer=k,
        nodes=[*lay.layer_nodes(k), *lay.layer_nodes(k + 1)],
        edges=edges,
        extras={
            "marked_edges": tuple(edges[i] for i in order),
            "edge_labels": tuple((edges[i], fmt(float(flat[i]), digits, sign=True)) for i in order),
            "edge_values": tuple(zip([edges[i] for i in labelled], values, strict=True))
            if change.size <= MAX_EDGE_VALUES
            else (),
            "magnify": m,
            "change": change,
            "change_scale": scale,
            "terms": ((f"l{k + 1}_delta", "delta"), (fmt_signed(signed), "change")),
        },
        weights=weights,
        # the update adds every record's input x delta: one record's values on the spheres
        # (an input of 0 under a weight that changes) would mislead; the spheres go neutral
        node_values=np.full(lay.n_nodes, np.nan),
        current_record=None,
    )


def _largest(change: np.ndarray) -> tuple[int, int]:
    """Where a matrix's largest change is (the first, on a tie): the weight the worked
    change and the descent are about."""
    i, j = np.unravel_index(int(np.argmax(np.abs(change))), change.shape)
    return int(i), int(j)


def _sig_input(value: float, digits: int) -> str:
    """An input of 0 or 1 as the table writes it, any other number to ``digits``
    significant digits."""
    return str(int(value)) if float(value).is_integer() else fmt_sig(float(value), digits)


def _delta_terms(
    b: Builder, error: float, slope: float, result_as: Callable[..., str] = fmt_signed
) -> tuple[str, str, str]:
    """error x slope (/ n) ~ delta: its sign (:func:`_rounded`), the error (written as the
    delta is) and the slope, each to 3 significant digits as every other number of the
    picture: two lecturer reviews read the 4 digits that made a product close (+0.1116
    beside the +0.112 of the step before) as a precision that drifts; "~" says the rounding
    instead."""
    return _rounded(b), result_as(float(error)), fmt_sig(float(slope))


@step_kind("worked", seconds=3.0, phase="update")
def worked(b: Builder, beat: Beat) -> None:
    """The update's largest change worked out: for each record, the input at the weight's
    start times the delta at its end; their sum (times the learning rate) is the change."""
    lay, u, k = b.layout, b.update, beat.layer
    change = u.weights_after[k] - u.weights_before[k]
    i, j = _largest(change)
    a = u.inputs if k == 0 else u.activations[k - 1]
    d = -u.deltas[k]
    lr, value, n = b.spec.learning_rate, float(change[i, j]), len(a)
    # inputs and deltas to as many digits as make the sum come out as the change is written
    digits, closes = closing_digits(
        [*a[:, i], *d[:, j]],
        _sig_input,
        lambda v: lr * sum(x * y for x, y in zip(v[:n], v[n:], strict=True)),
        fmt_sig(value),
        fmt_sig,
        (3, 4, 5),  # a sum of four products: two digits more than the result may be needed
    )
    written = [(_sig_input(a[r, i], digits), _sig_input(d[r, j], digits)) for r in range(n)]
    terms = " + ".join(f"{x}{TIMES}({y})" for x, y in written)
    if lr != 1:
        terms = f"{lr:g} * ({terms})"
    eq = "=" if closes else b.t("approx")
    edge = lay.edge_id(k, i, j)
    start, end = lay.node_name(k, i), lay.node_name(k + 1, j)  # as under their spheres
    factors = [fmt_input(a[r, i]) if k == 0 else fmt(a[r, i], 4) for r in range(len(a))]
    products = [  # to 5 decimals, of factors to 4: a calculator agrees; the sum is of the unrounded
        f"{x} {TIMES} {fmt(d[r, j], 4)} = {fmt(float(a[r, i] * d[r, j]), 5, True)}"
        for r, x in enumerate(factors)
    ]
    b.add(
        b.t("worked", a=start, b=end, terms=terms, eq=eq, v=fmt_sig(value)),
        gloss=b.t("worked_gloss"),
        code=(f"update{k}",),
        panel=(
            b.t("worked_panel", k=k, k1=k + 1, i=i + 1, j=j + 1),
            *products,
            b.t("worked_sum", v=fmt(value, 5, True)),
        ),
        values={f"syn{k}_change[{i},{j}]": value},
        layer=k,
        nodes=[lay.node_id(k, i), lay.node_id(k + 1, j)],
        edges=[edge],
        extras={
            "edge_values": ((edge, fmt_signed(value)),),
            "bars": _record_bars(
                b,
                "bars_pushes",
                [float(lr * a[r, i] * d[r, j]) for r in range(len(a))],
                "bars_change",
                value,
                zero_note=b.t("bars_input_zero") if k == 0 else "",
                appear=(1, 2),  # the records' products with the sum written out, the change with its "="
            ),
            "loss_curve": _loss_curve(b, u, k, i, j, f"{start} -> {end}"),
            "terms": (
                (start, "value"),  # the weight's ends, lit in the picture too
                (end, "value"),
                *((y, "delta") for _, y in written),
                (fmt_sig(value), "change"),
            ),
        },
    )


def chains(spec, k: int) -> bool:
    """Whether the chain rule's shot can be told for a weight of matrix ``k``: every layer
    after its end is one node (one path from the weight to the loss, so the chain is the
    whole derivative), the activations from there on sigmoids (their slopes out(1-out), as
    the sigmoid panel draws them) under 1/2 sum of squared errors (dLoss/dout = out - y)."""
    one_path = all(n == 1 for n in spec.layers[k + 2 :])
    sigmoids = all(a == "sigmoid" for a in spec.activations[k:])
    return one_path and sigmoids and spec.loss == "squared" and spec.reduction == "sum"


def _chain_rule(b: Builder, beat: Beat) -> tuple[ChainRule, list[int], list[int]]:
    """The chain rule for the worked weight and one record (:class:`ChainRule`), and its way
    through the network (nodes, weights) to light: what the chain and the nudge tell. Told
    for the first record whose input at the weight is not 0 (an input of 0 makes every link
    after it count for nothing). Every rate and value is the recorded one."""
    lay, u, k = b.layout, b.update, beat.layer
    n_w = b.n_w
    change = u.weights_after[k] - u.weights_before[k]
    i, j = _largest(change)
    start, end = lay.node_name(k, i), lay.node_name(k + 1, j)
    a = u.inputs if k == 0 else u.activations[k - 1]
    r = next((r for r in range(len(a)) if a[r, i] != 0), 0)
    # each z named by its node (a chain through two layers has two: review 60b)
    names, rates = ["w", f"z({end})"], [float(a[r, i])]
    values = [float(u.weights_before[k][i, j]), float(u.preactivations[k][r, j])]
    kinds, meanings = ["input" if k == 0 else "value"], [b.t("chain_value", a=start)]
    anchors = [("input", lay.node_id(k, i))]
    path_nodes, path_edges = [lay.node_id(k, i)], [lay.edge_id(k, i, j)]
    slope_links: list[tuple[int, int]] = []  # (matrix, link of its end's slope)
    node = j
    for m in range(k, n_w):
        here = lay.node_name(m + 1, node)
        act = float(u.activations[m][r, node])
        slope_links.append((m, len(rates)))
        rates.append(act * (1 - act))
        values.append(act)
        kinds.append("slope")
        meanings.append(b.t("chain_slope", b=here))
        names.append(here)
        anchors.append(("node", lay.node_id(m + 1, node)))
        path_nodes.append(lay.node_id(m + 1, node))
        if m + 1 < n_w:  # on through the weight to the next layer's one node
            rates.append(float(u.weights_before[m + 1][node, 0]))
            kinds.append("weight")
            meanings.append(b.t("chain_weight", a=here, b=lay.node_name(m + 2, 0)))  # the weight, named
            anchors.append(("edge", lay.edge_id(m + 1, node, 0)))
            path_edges.append(lay.edge_id(m + 1, node, 0))
            node = 0
            names.append(f"z({lay.node_name(m + 2, node)})")
            values.append(float(u.preactivations[m + 1][r, node]))
    out, y = float(u.activations[-1][r, node]), float(u.targets[r, node])
    rates.append(out - y)
    kinds.append("error")
    # the code's own error is y - out (l2_error): this link is it turned over (reviews 63-66
    # met "out - y" here beside the code's "y - l2"), said in the first chain, whose three
    # links have the room (a longer chain's five, in the hall's type, ran out of the panel)
    said = "chain_error_code" if len(rates) <= 3 else "chain_error"
    meanings.append(b.t(said, b=lay.node_name(n_w, node), e=f"l{n_w}_error"))
    names.append(b.t("chain_loss"))
    values.append(0.5 * (out - y) ** 2)
    anchors.append(("beyond", lay.node_id(n_w, node)))
    last = len(rates) - 1
    deltas = tuple(  # the code's deltas, turned over: from the slope on (the innermost first)
        (first, last, f"l{m + 1}_delta", math.prod(rates[first:])) for m, first in reversed(slope_links)
    )
    rule = ChainRule(
        start,
        end,
        r,
        tuple(names),
        tuple(rates),
        tuple(kinds),
        tuple(meanings),
        deltas,
        math.prod(rates),
        tuple(float(v) for v in a[:, i] * u.deltas[k][:, j]),  # each record's input x dLoss/dz
        float(u.weight_gradients[k][i, j]),
        float(change[i, j]),
        b.spec.learning_rate,
        tuple(anchors),
        tuple(values),
    )
    return rule, path_nodes, path_edges


@step_kind("chain", seconds=9.0, phase="update")
def chain(b: Builder, beat: Beat) -> None:
    """The chain rule for the worked weight and one record: w moves z, z moves the node's
    output, that moves the next z (by the weight between), ... the output moves the loss;
    the rates multiply (3Blue1Brown's chain of nudges), and the links from a node's slope to
    the loss are its delta turned over -- the product the backward pass computed once and
    reuses. The records' products add up to the gradient the worked change summed."""
    c, path_nodes, path_edges = _chain_rule(b, beat)
    k, r = beat.layer, c.record
    i, j = _largest(b.update.weights_after[k] - b.update.weights_before[k])
    b.add(
        b.t("chain", a=c.start, b=c.end, r=r + 1),
        code=(f"update{k}",),
        values={
            **{f"record {r + 1} link {n + 1}": v for n, v in enumerate(c.rates)},
            f"record {r + 1} dE/dsyn{k}[{i},{j}]": c.share,
            f"dE/dsyn{k}[{i},{j}]": c.gradient,
        },
        layer=k,
        nodes=path_nodes,  # the chain's way through the network, lit
        edges=path_edges,
        extras={"chain": c, "terms": ((c.start, "value"), (c.end, "value"))},
    )


@step_kind("nudge", seconds=8.0, phase="update")
def nudge(b: Builder, beat: Beat) -> None:
    """Before the chain rule, its experiment: the worked weight is moved a little, back and
    forth, and the record run forward again, so z, the node's output, ... and the loss are
    seen moving with it, each by its own amount (the values exact, not the rates' estimate):
    the chain's rates then say how much each link passes on."""
    c, path_nodes, path_edges = _chain_rule(b, beat)
    k, r = beat.layer, c.record
    moved = c.nudged(NUDGE)
    *others, last = c.names[1:]  # "z(out), out and loss"
    names = b.t("nudge_and").join([b.t("list_comma").join(others), last]) if others else last
    b.add(
        b.t("nudge", a=c.start, b=c.end, r=r + 1, names=names),
        code=(f"update{k}",),
        values={
            **{f"record {r + 1} {n} now": v for n, v in zip(c.names, c.values, strict=True)},
            **{f"record {r + 1} {n} nudged by {NUDGE}": v for n, v in zip(c.names, moved, strict=True)},
        },
        layer=k,
        nodes=path_nodes,
        edges=path_edges,
        extras={"chain": c, "terms": ((c.start, "value"), (c.end, "value"))},
    )


@step_kind("descent", seconds=4.0, phase="update")
def descent(b: Builder, beat: Beat) -> None:
    """Gradient descent, once, big: the loss as the worked weight varies (the others held),
    the weight's point rolling down the curve by -rate x slope -- 3Blue1Brown's picture of
    why the change goes the way it does, the network small beside it."""
    lay, u, k = b.layout, b.update, beat.layer
    change = u.weights_after[k] - u.weights_before[k]
    i, j = _largest(change)
    start, end = lay.node_name(k, i), lay.node_name(k + 1, j)
    # it follows the worked change of its weight (and the nudge and the chain rule between)
    worked = next((s for s in reversed(b.steps[-3:]) if s.loss_curve is not None), None)
    name = f"{start} -> {end}"
    same = worked is not None and worked.loss_curve is not None and worked.loss_curve.name == name
    curve = worked.loss_curve if same else _loss_curve(b, u, k, i, j, name)
    edge = lay.edge_id(k, i, j)
    value = float(change[i, j])
    lr = b.spec.learning_rate
    slope = float(u.weight_gradients[k][i, j])
    b.add(
        b.t(
            "descent",
            a=start,
            b=end,
            s=fmt_signed(slope),
            r=rate_times(lr),
            c=fmt_signed(value),
        ),
        gloss=b.t("descent_gloss", lr=f"{lr:g}", m=f"{b.change_scale()[0]:g}"),
        code=(f"update{k}",),
        values={f"dE/dsyn{k}[{i},{j}]": slope, f"syn{k}_change[{i},{j}]": value},
        layer=k,
        nodes=[lay.node_id(k, i), lay.node_id(k + 1, j)],
        edges=[edge],
        extras={
            "loss_curve": curve,
            "terms": (
                (start, "value"),
                (end, "value"),
                (fmt_signed(slope), "gradient"),
                (fmt_signed(value), "change"),
            ),
        },
    )


@step_kind("landscape", seconds=10.0, phase="update")
def landscape(b: Builder, beat: Beat) -> None:
    """The descent in two dimensions, once: the loss over the worked weight and the one
    beside it with the next largest change (same end node), as a map with its contour
    lines. The gradient stands at right angles to the contour through the point, and the
    two weights alone, stepping by -gradient, walk a path that crosses every contour so and
    bends along the valley: every weight at once, seen for two (3Blue1Brown's landscape;
    reviews 62-67 asked for it and for a path down it)."""
    lay, u, k = b.layout, b.update, beat.layer
    change = u.weights_after[k] - u.weights_before[k]
    first = _largest(change)
    second = _second_weight(change, first)
    names = tuple(f"{lay.node_name(k, i)} -> {lay.node_name(k + 1, j)}" for i, j in (first, second))
    found = _loss_map(b, u, k, (first, second), names)
    gradients = [float(u.weight_gradients[k][ij]) for ij in (first, second)]
    changes = [float(change[ij]) for ij in (first, second)]
    b.add(
        b.t("landscape"),
        gloss=b.t("landscape_gloss", a=names[0], b=names[1]),
        code=(f"update{k}",),
        values={
            **{f"dE/dsyn{k}[{i},{j}]": g for (i, j), g in zip((first, second), gradients, strict=True)},
            **{f"syn{k}_change[{i},{j}]": c for (i, j), c in zip((first, second), changes, strict=True)},
        },
        layer=k,
        nodes=sorted(
            {lay.node_id(k, i) for i, _ in (first, second)}
            | {lay.node_id(k + 1, j) for _, j in (first, second)}
        ),
        edges=[lay.edge_id(k, *first), lay.edge_id(k, *second)],
        extras={"loss_map": found, "terms": tuple((n, "value") for n in names)},
    )


def _second_weight(change: np.ndarray, first: tuple[int, int]) -> tuple[int, int]:
    """The landscape's second weight: into the same node as the first, with the largest
    change of the others there (the whole matrix's next largest where the node has one
    weight in)."""
    i, j = first
    size = np.abs(change).astype(float)
    size[i, j] = -1.0
    if change.shape[0] > 1:
        column = size[:, j]
        return int(np.argmax(column)), j
    return _largest(size)


@step_kind("end", seconds=2.0, phase="end")
def end(b: Builder, beat: Beat) -> None:
    """The iteration is over: the weights settle to their true (unmagnified) values, and
    record 1 run through the new weights shows what the update did to its output."""
    last = b.trace.epoch_updates(beat.epoch)[-1]
    with np.errstate(all="ignore"):
        after_all = forward(b.spec.activations, last.weights_after, last.biases_after, last.inputs)
    after = after_all[0]
    before, target = last.outputs[0], last.targets[0]
    step = float(np.max(np.abs(after - before))) if np.all(np.isfinite(after - before)) else 0.0
    digits = 4 if not step else min(8, max(4, 1 - math.floor(math.log10(step))))  # the move shows
    moved = (
        b.t(
            "end_after",
            after=" ".join(fmt(float(v), digits) for v in after),
            before=" ".join(fmt(float(v), digits) for v in before),
            target=" ".join(fmt_input(float(v)) for v in target),
        )
        if len(after) <= 3
        else ""
    )  # ten outputs would not fit a caption
    # the whole batch through the new weights: the mean |error| after the update beside the
    # one before (two reviews: the table showed the new outputs under the old error alone)
    whole = len(b.trace.epoch_updates(beat.epoch)) == 1 and after_all.shape == last.targets.shape
    error_after = float(np.mean(np.abs(last.targets - after_all))) if whole else np.nan
    after_text = b.t("end_error_after", e=fmt(error_after, 5)) if np.isfinite(error_after) else ""
    b.labels = [""] * b.layout.n_nodes
    # the table shows what the new weights give every record, as the caption does record 1
    table = after_all if after_all.shape == b.visual.outputs.shape else b.visual.outputs
    b.visual = replace(
        b.visual,
        satellites=np.full_like(b.visual.satellites, np.nan),
        satellite_signed=False,
        halos=np.full(b.layout.n_nodes, np.nan),
        outputs=table,
    )
    b.add(
        b.t("end", epoch=beat.epoch, e=fmt(b.display_error or 0.0, 5)) + after_text + moved,
        code=("loop",),
        values={
            "display_error": float(b.display_error or 0.0),
            **({"display_error_after": error_after} if np.isfinite(error_after) else {}),
            **{f"record1_after[{o}]": float(v) for o, v in enumerate(after)},
            **(
                {f"outputs_after[{r},{o}]": float(table[r, o]) for r, o in np.ndindex(*table.shape)}
                if table is after_all and table.size <= 16
                else {}
            ),
        },
        weights=b.flat_weights(last.weights_after),
        # nothing of the network in play: every weight lit at once read as a jump in them
        nodes=[],
        edges=[],
    )


# -- the epilogue: the rest of the run at a glance, then what it learned ----------------
@step_kind("epilogue", seconds=2.0, phase="epilogue")
def epilogue(b: Builder, beat: Beat) -> None:
    """One later iteration in one step: its outputs against the targets, its weights, its
    mean |error| (the big chart draws the run up to here)."""
    at_a_glance(b, beat, "epilogue" if b.spec.n_batches == 1 else "epilogue_epoch")


@step_kind("timelapse", seconds=3.0, phase="timelapse")
def timelapse(b: Builder, beat: Beat) -> None:
    """An iteration on the way to the next shown one, at a glance as in the epilogue, so a
    cut from iteration 3 to 1998 is seen as learning rather than as a jump."""
    at_a_glance(b, beat, "timelapse" if b.spec.n_batches == 1 else "timelapse_epoch")


def at_a_glance(b: Builder, beat: Beat, key: str) -> None:
    """The step of an epilogue or a fast forward: the iteration's outputs, weights and error."""
    lay, u, r = b.layout, b.update, b.layout.n_records
    summaries = b.trace.summaries
    error = float(summaries.mean_abs_error[beat.epoch - 1])
    sats = np.full_like(b.visual.satellites, np.nan)
    for k in range(b.n_w + 1):
        if r:
            sats[list(lay.layer_nodes(k))] = (u.inputs if k == 0 else u.activations[k - 1])[:r].T
    b.display_error = error
    b.display_error_epoch = beat.epoch
    b.labels = [""] * lay.n_nodes
    shown = slice(0, max(r, min(4, len(u.inputs))))
    b.add(
        b.t(
            key,
            epoch=beat.epoch,
            e=fmt(error, 5),
            # three significant digits, as the outputs table beside writes them (three
            # reviews: the caption's 0.035 beside the table's 0.0351)
            outputs=_few(u.outputs[shown], fmt_sig),
            targets=_few(u.targets[shown], fmt_input),
        ),
        code=("display",),
        values={
            "mean_abs_error": error,
            "loss": float(summaries.loss[beat.epoch - 1]),
            **_matrix_values(f"l{b.n_w}", u.outputs[shown]),
        },
        extras={
            "feature_maps": feature_maps(b, u.weights_before, u.biases_before),
            "montage": _montage(b, beat),
            "feature_records": _on_map(b),
            "feature_key": _feature_key(b),
            "feature_axes": _feature_axes(b),
        },
        weights=b.flat_weights(u.weights_before),
        node_values=np.full(lay.n_nodes, np.nan),
        satellites=sats,
        satellite_signed=False,
        halos=np.full(lay.n_nodes, np.nan),
        outputs=u.outputs[:r].copy(),
        targets=u.targets[:r].copy(),
        current_record=None,
    )


def _montage(b: Builder, beat: Beat) -> tuple[Glimpse, ...]:
    """The real iterations a glance passes through from the iteration the step before
    showed (as the trace holds them whole: a full batch's), each with its weights, outputs,
    mean |error| and maps; none after a card, or where the step before shows no iteration."""
    before = b.steps[-1] if b.steps else None
    if before is None or before.card is not None or not before.epoch or b.spec.n_batches != 1:
        return ()
    r = b.layout.n_records
    out = []
    for epoch in montage_epochs(before.epoch, beat.epoch):
        held = b.trace.epoch_updates(epoch)
        if not held:
            continue
        u = held[0]
        out.append(
            Glimpse(
                epoch,
                b.flat_weights(u.weights_before),
                u.outputs[:r].copy(),
                float(b.trace.summaries.mean_abs_error[epoch - 1]),
                feature_maps(b, u.weights_before, u.biases_before),
            )
        )
    return tuple(out)


@step_kind("features", seconds=5.0, phase="summary")
def features(b: Builder, beat: Beat) -> None:
    """What the trained nodes compute, big: each hidden node's output over the two varying
    inputs as a map of its own, and the output's, which combines them into the rule (the
    fast forward and the epilogue draw them 58 px beside their nodes; reviews 73a, 73b asked
    for them as the payoff, full size). After the epilogue, before the summary."""
    lay, trace = b.layout, b.trace
    # (finer than the small maps' 31 cells: 13-px blocks read as blocky at this size, 74b)
    maps = feature_maps(b, list(trace.final_weights), trace.final_biases, grid=FEATURE_GRID_BIG)
    b.labels = [""] * lay.n_nodes
    b.add(
        b.t("features", n=lay.layers[1]),
        gloss=b.t("features_gloss"),
        values={"mean_abs_error": float(trace.summaries.mean_abs_error[-1])},
        extras={
            "feature_maps": maps,
            "feature_records": _on_map(b),
            "feature_key": _feature_key(b),
            "feature_axes": _feature_axes(b),
        },
        weights=b.flat_weights(list(trace.final_weights)),
        node_values=np.full(lay.n_nodes, np.nan),
        satellites=np.full_like(b.visual.satellites, np.nan),
        halos=np.full(lay.n_nodes, np.nan),
        current_record=None,
    )


def has_feature_maps(spec, layers: tuple[int, ...]) -> bool:
    """Whether feature_maps draws this network: two varying inputs in 0..1, sigmoid layers
    of at most FEATURE_MAX_NODES nodes."""
    sigmoids = set(spec.activations) == {"sigmoid"}
    return feature_varying(spec) is not None and max(layers) <= FEATURE_MAX_NODES and sigmoids


@step_kind("summary", seconds=8.0, phase="summary")
def summary(b: Builder, beat: Beat) -> None:
    """What the trained network does: the rule its rounded outputs follow, its answer to an
    input it never saw (on the nodes), and which code lines made what the video showed."""
    spec, lay, trace = b.spec, b.layout, b.trace
    weights, biases = list(trace.final_weights), trace.final_biases
    x, described = unseen_input(b)
    layers = [x] + [forward(spec.activations[:k], weights, biases, x[None])[0] for k in range(1, b.n_w + 1)]
    y = layers[-1]
    values = np.full(lay.n_nodes, np.nan)
    b.labels = [""] * lay.n_nodes
    for k, a in enumerate(layers):
        values[list(lay.layer_nodes(k))] = a
        if lay.n_nodes <= 32:
            for j, v in enumerate(a):
                b.labels[lay.node_id(k, j)] = fmt_input(v) if k == 0 else fmt_sig(v)
    rule, predicted = learned_rule(b, weights, biases, x)
    if len(y) == 1:
        answer = fmt(float(y[0]), 3)
    elif _binary(spec.targets) and np.all(spec.targets.sum(axis=1) == 1):  # one-hot: a class
        answer = b.t("answer_class", c=int(np.argmax(y)), p=fmt(float(np.max(y)), 3))
    else:
        answer = _few(y[None], lambda v: fmt(v, 3))
    b.add(
        b.t("summary", rule=rule, x=described, y=answer, verdict=_verdict(b, x, y, predicted)),
        # the backpropagation's lines lit (the panel beside names the forward pass's too)
        code=tuple(key for keys, _ in _training_lines(b) for key in keys if not key.startswith("layer")),
        panel=_code_map(b),  # (the maps stay with the epilogue's last step: here the unseen
        values={  # input's values need the room beside the nodes)
            **{f"unseen_l0[{j}]": float(v) for j, v in enumerate(x[:64])},
            **{f"unseen_l{b.n_w}[{j}]": float(v) for j, v in enumerate(y)},
            "mean_abs_error": float(trace.summaries.mean_abs_error[-1]),
        },
        weights=b.flat_weights(weights),
        node_values=values,
        satellites=np.full_like(b.visual.satellites, np.nan),
        halos=np.full(lay.n_nodes, np.nan),
        current_record=None,
        # a weight out of an input of 0 carries nothing to the answer: dimmed (review 60b
        # saw x2's and x3's weights as strong as x1's under the input [1, 0, 0])
        edge_focus=np.where(values[lay.edge_from] == 0, DIM, 1.0),
    )


#: a sigmoid slope below this is called flat in the caption (0.25 at most, at 0.5)
SATURATED = 0.05
#: cells along each side of a feature map: fine enough that the output's (about 200 px a
#: side at 720p) reads as a smooth surface (11 was a blocky 10 x 10 to two reviews)
FEATURE_GRID = 31
FEATURE_GRID_BIG = 61  # the features step's big maps
#: feature maps are drawn for networks no bigger than this (a node's map needs room beside it)
FEATURE_MAX_NODES = 8


def feature_varying(spec) -> tuple[int, int] | None:
    """The two inputs that vary across the records, when all others are one constant and
    every input lies in 0..1 (iamtrask: inputs 1 and 2, input 3 always 1); else None."""
    x = spec.inputs
    if spec.sampler is not None or x.ndim != 2 or np.any(x < 0) or np.any(x > 1):
        return None
    varying = [i for i in range(x.shape[1]) if np.ptp(x[:, i]) > 0]
    return (varying[0], varying[1]) if len(varying) == 2 else None


def _feature_key(b: Builder) -> str:
    """The squares' key: which inputs run across and up, and the others' fixed values (the
    summary's unseen input may differ from them: the key says what the squares assume)."""
    pair = feature_varying(b.spec)
    if pair is None:
        return ""
    x = b.spec.inputs[0]
    held = [b.t("key_fixed_item", i=i + 1, v=fmt_input(float(x[i]))) for i in range(len(x)) if i not in pair]
    fixed = b.t("key_fixed", items=", ".join(held)) if held else ""
    return b.t("key_features", a=pair[0] + 1, b=pair[1] + 1, fixed=fixed)


def _feature_axes(b: Builder) -> tuple[str, ...]:
    """The output map's axis names: the input across and the input up, each 0 to 1."""
    pair = feature_varying(b.spec)
    return (b.t("map_across", a=pair[0] + 1), b.t("map_up", b=pair[1] + 1)) if pair else ()


def _on_map(b: Builder) -> tuple[tuple[float, float, float], ...]:
    """Where each training record sits on the output's map, and its target (one output)."""
    pair = feature_varying(b.spec)
    if pair is None or b.spec.targets.shape[1] != 1:
        return ()
    x, t = b.spec.inputs, b.spec.targets
    return tuple((float(x[r, pair[0]]), float(x[r, pair[1]]), float(t[r, 0])) for r in range(len(x)))


def feature_maps(b: Builder, weights, biases, grid: int = FEATURE_GRID) -> np.ndarray | None:
    """What each node computes, as a picture: its activation over the square of the two
    varying inputs (0..1 each, ``grid`` cells a side), the other inputs at their value.
    Sigmoid networks of at most FEATURE_MAX_NODES nodes a layer only (values in 0..1)."""
    spec, lay = b.spec, b.layout
    if not has_feature_maps(spec, lay.layers):
        return None
    pair = feature_varying(spec)
    g = np.linspace(0.0, 1.0, grid)
    first, second = np.meshgrid(g, g, indexing="ij")  # [i, j]: input 1 = g[i], input 2 = g[j]
    x = np.tile(spec.inputs[0], (grid**2, 1)).astype(float)
    x[:, pair[0]], x[:, pair[1]] = first.ravel(), second.ravel()
    maps = np.full((lay.n_nodes, grid, grid), np.nan)
    for k in range(1, b.n_w + 1):
        a = forward(spec.activations[:k], weights[:k], None if biases is None else biases[:k], x)
        for j in range(lay.layers[k]):
            maps[lay.node_id(k, j)] = a[:, j].reshape(grid, grid)
    return maps


def _few(m: np.ndarray, show: Callable[[float], str], most: int = 8) -> str:
    """The first ``most`` numbers of ``m`` (records in order), as the caption writes them."""
    flat = np.asarray(m, dtype=float).ravel()
    text = " ".join(show(float(v)) for v in flat[:most])
    return text + (" ..." if flat.size > most else "")


def _binary(m: np.ndarray) -> bool:
    return bool(np.all((m == 0) | (m == 1)))


def unseen_input(b: Builder) -> tuple[np.ndarray, str]:
    """An input the training never showed, and how the caption names it: a held-out record;
    for 0/1 inputs the first unseen one with the fewest 1s, the 1s leftmost ([1, 0, 0] for
    iamtrask); a point past the end of a function's interval; else the records' average
    (or half of it, where that is a record)."""
    spec = b.spec
    x = spec.inputs
    if spec.test_inputs is not None:
        return spec.test_inputs[0].astype(float), b.t("unseen_test", row=1)
    n_in = x.shape[1]
    if spec.sampler is None and _binary(x) and n_in <= 12:
        seen = {tuple(int(v) for v in row) for row in x}
        fresh = [v for v in itertools.product((0, 1), repeat=n_in) if any(v) and v not in seen]
        if fresh:
            v = np.array(min(fresh, key=lambda v: (sum(v), [-c for c in v])), dtype=float)
            return v, "[" + ", ".join(fmt_input(c) for c in v) + "]"
    if spec.sampler is not None:
        s = spec.sampler
        v = np.array([s.hi + (s.hi - s.lo) / 2])
    else:
        v = x.mean(axis=0)
        if any(np.array_equal(v, row) for row in x):  # one record (or all alike): half of it
            v = v / 2
    if n_in > 6:
        return v, b.t("unseen_mean")
    return v, "[" + ", ".join(fmt_input(c) for c in v) + "]"


#: simple rules a 0/1 output may follow, with how each reads (pairs of inputs)
_PAIR_RULES = {
    "rule_xor": np.logical_xor,
    "rule_and": np.logical_and,
    "rule_or": np.logical_or,
}


def learned_rule(b: Builder, weights: list, biases, unseen: np.ndarray) -> tuple[str, float | None]:
    """What the final network's rounded outputs follow, said as the data shows it, and what
    that rule says for ``unseen`` (None without a rule). One 0/1 output of 0/1 inputs: the
    first input it equals (or opposes), else the first pair it is the XOR, AND or OR of;
    otherwise how many records it gets right, or how far its error fell."""
    spec = b.spec
    x, t = spec.inputs, spec.targets
    out = forward(spec.activations, weights, biases, x)
    rounded = np.round(out)
    if spec.sampler is None and out.shape[1] == 1 and _binary(x) and _binary(t):
        o = rounded[:, 0]
        for i in range(x.shape[1]):
            if np.all(x[:, i] == x[0, i]):
                continue  # a constant input (a bias in disguise) explains nothing
            if np.array_equal(o, x[:, i]):
                return b.t("rule_follows", i=i + 1), float(unseen[i])
            if np.array_equal(o, 1 - x[:, i]):
                return b.t("rule_opposes", i=i + 1), 1.0 - float(unseen[i])
        for i, j in itertools.combinations(range(x.shape[1]), 2):
            for key, op in _PAIR_RULES.items():
                if np.array_equal(o, op(x[:, i], x[:, j])):
                    return b.t(key, i=i + 1, j=j + 1), float(op(unseen[i], unseen[j]))
    if _binary(t) and spec.sampler is None:
        if t.shape[1] == 1:
            right = int(np.sum(rounded[:, 0] == t[:, 0]))
            return b.t("rule_targets", k=right, n=len(t)), None
        right = int(np.sum(out.argmax(axis=1) == t.argmax(axis=1)))
        return b.t("rule_classes", k=right, n=len(t)), None
    errors = b.trace.summaries.mean_abs_error
    return b.t("rule_error", first=fmt(float(errors[0]), 5), last=fmt(float(errors[-1]), 5)), None


def _verdict(b: Builder, x: np.ndarray, y: np.ndarray, predicted: float | None) -> str:
    """What the unseen input's answer should be set beside: the held-out record's label, the
    function's value, or the rule (as it says; unsure near 0.5, naming an input that never
    changed in training and differs here; or against it)."""
    spec = b.spec
    if not np.all(np.isfinite(y)):
        return ""
    if spec.test_inputs is not None and np.array_equal(x, spec.test_inputs[0]):
        t = spec.test_targets[0]
        if len(t) > 1:
            return b.t("verdict_label", c=int(np.argmax(t)))
        return b.t("verdict_target", t=_few(t[None], fmt_input))
    if spec.sampler is not None:
        truth = spec.sampler.function(x[None])[0]
        return b.t("verdict_function", f=spec.sampler.expression, t=_few(truth[None], lambda v: fmt(v, 3)))
    if predicted is None or len(y) != 1:
        return ""
    if abs(float(y[0]) - predicted) < 0.25:
        return b.t("verdict_agrees")
    if 0.3 < float(y[0]) < 0.7:
        inputs = spec.inputs
        for i in range(inputs.shape[1]):
            if np.all(inputs[:, i] == inputs[0, i]) and x[i] != inputs[0, i]:
                return b.t("verdict_unsure_because", i=i + 1, v=fmt_input(float(inputs[0, i])))
        return b.t("verdict_unsure")
    return b.t("verdict_against", p=fmt_input(predicted))


def _training_lines(b: Builder) -> list[tuple[tuple[str, ...], str]]:
    """The listing's lines of one training iteration (keys of ``code_listing``; lines that
    do one thing share a row) with what each is in the video: the layers' values, the
    error, the output's delta, the delta sent back, the weights' update (four reviews found
    the forward pass missing and "the update" twice, syn1's and syn0's alike)."""
    n_w = b.n_w
    lines: list[tuple[tuple[str, ...], str]] = [
        ((f"layer{k}",), "map_hidden" if k < n_w else "map_output") for k in range(1, n_w + 1)
    ]
    lines += [(("error",), "map_error"), ((f"delta{n_w}",), "map_output_delta")]
    for k in range(n_w - 1, 0, -1):
        lines += [((f"error{k}",), "map_sent_back"), ((f"delta{k}",), "map_hidden_delta")]
    updates = [f"update{k}" for k in range(n_w - 1, -1, -1)]
    if b.spec.biases is not None:
        updates += [f"bias{k}" for k in range(n_w - 1, -1, -1)]
    updates = [key for key in updates if key in b.where]
    # one row where their names fit the code column ("syn1, syn0 += ..."), else a row each
    together = len(", ".join(_assignment(b.code[b.where[key]])[0] for key in updates)) <= 10
    lines += [(tuple(updates), "map_update")] if together else [((key,), "map_update") for key in updates]
    return [
        (tuple(k for k in keys if k in b.where), meaning)
        for keys, meaning in lines
        if set(keys) & set(b.where)
    ]


def _assignment(line: str) -> tuple[str, str]:
    """A code line's left-hand side and its operator (``syn1 += ...``: "syn1", "+=")."""
    lhs, op, _ = line.strip().partition("+=" if "+=" in line else "=")
    return lhs.strip(), op


def _code_map(b: Builder) -> tuple[str, ...]:
    """``l2_error =  -> the error`` and so on, from the scene's own listing: the line's
    left-hand side, which names it, so that the block stays narrow enough for the
    lecture's readable type beside the network."""
    rows = []
    for keys, meaning in _training_lines(b):
        lines = [b.code[b.where[key]].strip() for key in keys]
        sides = [_assignment(line) for line in lines]
        # a short line whole, else its left-hand side (syn1, syn0 += ...: theirs, one operator)
        short = len(lines) == 1 and len(lines[0]) <= 17
        code = lines[0] if short else f"{', '.join(lhs for lhs, _ in sides)} {sides[0][1]} ..."
        rows.append((code, b.t(meaning)))
    width = max(len(c) for c, _ in rows)
    size = max(columns(m) for _, m in rows)
    # the panel aligns its lines on the right: the words, padded, end each line in English;
    # in Japanese they start it (kanji are not two ASCII columns wide to the pixel), so
    # that the code, all ASCII and padded to one width, lines up
    words_first = b.t("code_map_row", code="", meaning="?").startswith("?")
    return (
        b.t("panel_code_map"),
        *(
            b.t("code_map_row", code=f"{c:<{width}}", meaning=pad_columns(m, size, right=words_first))
            for c, m in rows
        ),
    )


# -- training at a glance (the butterfly-effect comparison) ----------------------------
@step_kind("evolve", seconds=0.45, phase="forward")
def evolve(b: Builder, beat: Beat) -> None:
    """One shown epoch in one short step: every layer for every record at once, with the
    run's name and score in the caption."""
    lay, u, r = b.layout, b.update, b.layout.n_records
    sats = np.full_like(b.visual.satellites, np.nan)
    for k in range(b.n_w + 1):
        m = u.inputs if k == 0 else u.activations[k - 1]
        if r:
            sats[list(lay.layer_nodes(k))] = m[:r].T
    b.display_error = float(u.mean_abs_error)
    b.display_error_epoch = beat.epoch
    accuracy = float(np.mean(u.outputs.argmax(axis=1) == u.targets.argmax(axis=1)))
    b.add(
        b.t(
            "evolve",
            label=beat.text,
            epoch=beat.epoch,
            loss=fmt(u.loss, 4),
            acc=f"{accuracy:.0%}",
            argmax=u.outputs.argmax(axis=1).tolist(),
        ),
        code=("loop",),
        values={"loss": float(u.loss), "accuracy": accuracy},
        weights=b.flat_weights(u.weights_before),
        satellites=sats,
        outputs=u.outputs[:r].copy(),
        targets=u.targets[:r].copy(),
    )


#: seconds each kind of step lasts at speed 1
DURATIONS: dict[str, float] = {name: kind.seconds for name, kind in KINDS.items()}

MAX_SIGNALS_PER_NODE = 6
MAX_EDGE_VALUES = 16  # a weight matrix with more entries has no number along each weight


def _strongest(flow: np.ndarray) -> list[tuple[int, int]]:
    """(i, j) of the weights that carry a signal bead: all in a small layer, else the
    largest |flow| into each node."""
    n_in, n_out = flow.shape
    if n_in * n_out <= 64:
        return [(i, j) for i in range(n_in) for j in range(n_out)]
    rows = strongest_inputs(np.abs(flow), MAX_SIGNALS_PER_NODE)
    return [(int(i), j) for j in range(n_out) for i in rows[:, j]]


def _record_values(b: Builder, u, r: int) -> np.ndarray:
    """Every node's value for record ``r`` of the update: the spheres of its backward pass."""
    values = np.full(b.layout.n_nodes, np.nan)
    for k, m in enumerate([u.inputs, *u.activations]):
        values[list(b.layout.layer_nodes(k))] = m[r]
    return values


def _bias_note(b: Builder) -> str:
    """The inputs that are 1 in every record, named the biases they are (review 55d: "x3 is
    never called the bias"; iamtrask's third column is its only bias), or nothing."""
    inputs = np.asarray(b.spec.inputs, dtype=float)
    if len(b.layout.layers) < 3 or inputs.ndim != 2 or len(inputs) < 2:
        return ""
    ones = [b.layout.node_name(0, j) for j in np.flatnonzero(np.all(inputs == 1.0, axis=0))]
    if not ones:
        return ""
    return b.t("bias_input" if len(ones) == 1 else "bias_inputs", names=", ".join(ones))


def _record_note(b: Builder, u) -> str:
    """Which record the picture's numbers are, when the batch has several."""
    return b.t("record_note", n=len(u.inputs)) if len(u.inputs) > 1 else ""


#: more records than this: no bars (a bar each would be slivers; the values panel has them)
MAX_BARS = 8


def _node_at(lay, node: int) -> tuple[float, float, float]:
    """Where a caption's term is in the picture: its node (the formula's numbers fly from
    there into their place, see ``frames.term_flights``)."""
    return tuple(float(v) for v in lay.nodes[node])


def _edge_at(lay, edge: int) -> tuple[float, float, float]:
    """Where a weight's term is in the picture: its weight's middle."""
    return tuple(float(v) for v in (lay.nodes[lay.edge_from[edge]] + lay.nodes[lay.edge_to[edge]]) / 2)


def _record_bars(
    b: Builder,
    title: str,
    values: list[float],
    total_name: str,
    total: float,
    zero_note: str = "",
    appear: tuple[int, int] = (1, 1),
    **words,
):
    """Each record's number and the one they make together (see :class:`RecordBars`)."""
    if len(values) > MAX_BARS:
        return None
    names = (*(b.t("bars_record", r=r + 1) for r in range(len(values))), b.t(total_name))
    short = (*(str(r + 1) for r in range(len(values))), b.t(total_name + "_short"))
    return RecordBars(
        b.t(title, **words), names, (*values, total), short=short, zero_note=zero_note, appear=appear
    )


def _z_bars(b: Builder, k: int, products: list[float], bias: list[float], z: float):
    """A node's z as its terms, each from its input's node, and their sum: the equation of
    the caption drawn (four reviews asked for the sum on the picture, the terms of one sign
    pulling against the other's)."""
    values = [*products, *bias]
    if len(values) > MAX_BARS:
        return None
    names = (
        *(b.layout.node_name(k - 1, i) for i in range(len(products))),
        *(b.t("bars_bias") for _ in bias),
        "z",
    )
    zero = b.t("bars_input_zero") if k == 1 else ""
    # "z" at once, "= the terms" (their bars), "= z" (its bar), then the activation
    return RecordBars(b.t("bars_z"), names, (*values, z), zero_note=zero, appear=(2, 3))


#: the landscape spans each weight's value +- at most this, at least LOSS_MAP_MIN, the
#: bottom of the valley in view where it is that near; LOSS_MAP_CELLS samples a side
LOSS_MAP_SPAN = 2.0
LOSS_MAP_MIN = 0.3
LOSS_MAP_CELLS = 61
#: the share of the window's side kept between its edge and the point, or the valley's lowest
MAP_EDGE_ROOM = 0.15


def _loss_map(b: Builder, u, k: int, weights: tuple[tuple[int, int], ...], names) -> LossMap | None:
    """The batch's loss over a square of two weights of matrix ``k`` (the same span across
    and up), every other weight and bias as the update found them."""
    spec = b.spec
    (ia, ja), (ib, jb) = weights
    before = u.weights_before
    w0 = (float(before[k][ia, ja]), float(before[k][ib, jb]))
    grads = (float(u.weight_gradients[k][ia, ja]), float(u.weight_gradients[k][ib, jb]))
    if not np.all(np.isfinite(w0 + grads)):
        return None
    # the layer the two weights feed from, as the update found it (they change nothing before it)
    biases = u.biases_before

    def bias(m: int):
        return 0.0 if biases is None else biases[m]

    below = forward(spec.activations[:k], before[:k], None if biases is None else biases[:k], u.inputs)
    base = np.dot(below, before[k]) + bias(k)

    def losses(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
        """The loss at w0 + (dx, dy), for arrays of offsets of one shape."""
        shape = np.shape(dx)
        z = _moved_inputs(base, below, weights, np.ravel(dx)[:, None], np.ravel(dy)[:, None])
        with overflow_allowed():
            a = ACTIVATIONS[spec.activations[k]].forward(z)
            for m in range(k + 1, len(spec.activations)):
                z = np.dot(a, before[m]) + bias(m)
                a = ACTIVATIONS[spec.activations[m]].forward(z)
            per = per_record_loss(spec.loss, spec.activations[-1], a, u.targets).sum(axis=-1)
        total = per / len(u.targets) if spec.reduction == "mean" else per
        return total.reshape(shape)

    # the span holds the lowest loss of a coarse look within LOSS_MAP_SPAN, with room round it
    coarse = np.linspace(-LOSS_MAP_SPAN, LOSS_MAP_SPAN, 21)
    cx, cy = np.meshgrid(coarse, coarse)
    found = np.nan_to_num(losses(cx, cy), nan=np.inf)
    lowest = np.unravel_index(int(np.argmin(found)), found.shape)
    reach = max(abs(cx[lowest]), abs(cy[lowest])) * 1.3
    span = min(LOSS_MAP_SPAN, max(LOSS_MAP_MIN, float(reach)))
    change = (float(u.weights_after[k][ia, ja] - w0[0]), float(u.weights_after[k][ib, jb] - w0[1]))
    last = k == len(spec.activations) - 1  # (the path's gradient is the output layer's)
    path = _map_descent(spec, below, base, weights, u.targets, span) if last else np.zeros((0, 2))
    # the window: centred between the point and where the valley is lowest (the path's end, or
    # the coarse look's lowest), both well inside it (centred on the point, the lowest stood at
    # the map's edge and the closed contour's far tip read as the bowl's bottom: reviews 78b, 33b)
    end = path[-1] if len(path) else np.array([cx[lowest], cy[lowest]])
    middle = end / 2
    half = min(LOSS_MAP_SPAN, max(LOSS_MAP_MIN, float(np.max(np.abs(end))) / 2 / (0.5 - MAP_EDGE_ROOM)))
    steps = np.linspace(-half, half, LOSS_MAP_CELLS)
    gx, gy = np.meshgrid(middle[0] + steps, middle[1] + steps)
    return LossMap(
        names=tuple(names),
        loss_name=b.t(f"loss_{spec.loss}_{spec.reduction}"),
        wx=w0[0] + middle[0] + steps,
        wy=w0[1] + middle[1] + steps,
        loss=losses(gx, gy),
        w0=w0,
        loss0=float(losses(np.zeros(1), np.zeros(1))[0]),
        gradient=grads,
        change=change,
        path=np.array(w0) + path,
    )


def _moved_inputs(base: np.ndarray, below: np.ndarray, weights, dx, dy) -> np.ndarray:
    """The next layer's inputs z (records x nodes) with the two weights moved by ``dx`` and
    ``dy`` (numbers, or columns of them: then a z per row): each adds its move times the
    value it carries to its end node's z."""
    (ia, ja), (ib, jb) = weights
    lead = np.shape(dx)[:-1]
    z = np.broadcast_to(base, (*lead, *base.shape)).copy()
    z[..., ja] += dx * below[:, ia]
    z[..., jb] += dy * below[:, ib]
    return z


#: the landscape's path: at most this many steps, fewer once a step is shorter than
#: PATH_STILL of the map's half-width (the rest would not move on screen)
PATH_STEPS = 6000
PATH_STILL = 1e-5


def _map_descent(
    spec, below: np.ndarray, base: np.ndarray, weights, targets: np.ndarray, span: float
) -> np.ndarray:
    """Plain gradient descent on the landscape itself, from its point: only the map's two
    weights learn (of the output layer's matrix), at the scene's learning rate, every other
    weight held, so each step crosses the map's contour lines at right angles and the path
    bends along the valley instead of heading for its lowest point. Offsets from the point;
    the first step is the update's own change of the two."""
    (ia, ja), (ib, jb) = weights
    act = ACTIVATIONS[spec.activations[-1]]
    scale = 1.0 / len(targets) if spec.reduction == "mean" else 1.0
    point, out = np.zeros(2), [np.zeros(2)]
    with overflow_allowed():
        for _ in range(PATH_STEPS):
            z = _moved_inputs(base, below, weights, point[0], point[1])
            _, dz = output_delta(spec.loss, act, z, act.forward(z), targets, scale)
            step = -spec.learning_rate * np.array([below[:, ia] @ dz[:, ja], below[:, ib] @ dz[:, jb]])
            if not np.all(np.isfinite(step)):
                break
            point = point + step
            out.append(point)
            if math.hypot(*step) < PATH_STILL * span:
                break
    return np.array(out)


#: the loss curve spans the weight's value +- at most this, at least LOSS_CURVE_MIN
LOSS_CURVE_SPAN = 2.0
LOSS_CURVE_MIN = 0.3


def _loss_curve(b: Builder, u, k: int, i: int, j: int, name: str) -> LossCurve | None:
    """The batch's loss as weight (i, j) of matrix k varies, every other weight and bias as
    the update found them: the recorded gradient is this curve's slope at the weight."""
    spec = b.spec
    w0 = float(u.weights_before[k][i, j])
    if not np.isfinite(w0) or not np.isfinite(u.weight_gradients[k][i, j]):
        return None
    weights = [m.copy() for m in u.weights_before]

    def losses(ws: np.ndarray) -> np.ndarray:
        out = []
        for w in ws:
            weights[k][i, j] = w
            acts = forward(spec.activations, weights, u.biases_before, u.inputs)
            out.append(loss_value(spec.loss, spec.activations[-1], acts, u.targets, spec.reduction))
        return np.array(out)

    # the span shows the bowl: twice the way to the lowest loss within LOSS_CURVE_SPAN (the
    # weight's dot then on its side, the step downhill towards the bottom), at least LOSS_CURVE_MIN
    coarse = w0 + np.linspace(-LOSS_CURVE_SPAN, LOSS_CURVE_SPAN, 41)
    lowest = coarse[int(np.argmin(np.nan_to_num(losses(coarse), nan=np.inf)))]
    span = min(LOSS_CURVE_SPAN, max(LOSS_CURVE_MIN, 2 * abs(float(lowest) - w0)))
    ws = w0 + np.linspace(-span, span, 81)
    curve = losses(np.append(ws, w0))
    change = float(u.weights_after[k][i, j] - u.weights_before[k][i, j])
    slope = float(u.weight_gradients[k][i, j])
    loss_name = b.t(f"loss_{spec.loss}_{spec.reduction}")
    rate = b.spec.learning_rate
    drawn = b.change_scale()[0]  # the video's one magnification of changes
    return LossCurve(
        name,
        loss_name,
        ws,
        curve[:-1],
        w0,
        float(curve[-1]),
        slope,
        change,
        rate,
        drawn,
        _bottom(ws, curve[:-1], losses),
    )


def _bottom(
    ws: np.ndarray, curve: np.ndarray, losses: Callable[[np.ndarray], np.ndarray]
) -> tuple[float, float]:
    """The lowest loss between the plot's samples and its weight, to 1e-6 of the weight
    (the plot's axes write the bottom; its 81 samples are 1.5% of the span apart); NaN
    where the lowest sample is an end of the span (no bowl in sight)."""
    m = int(np.argmin(np.nan_to_num(curve, nan=np.inf)))
    if m in (0, len(ws) - 1):
        return float("nan"), float("nan")
    lo, hi = float(ws[m - 1]), float(ws[m + 1])
    while hi - lo > 1e-6:  # a fine grid around the lowest point, and again around its lowest
        fine = np.linspace(lo, hi, 21)
        f = int(np.argmin(np.nan_to_num(losses(fine), nan=np.inf)))
        lo, hi = float(fine[max(f - 1, 0)]), float(fine[min(f + 1, 20)])
    w = (lo + hi) / 2
    return w, float(losses(np.array([w]))[0])


def _error_bars(b: Builder, u, n_w: int) -> RecordBars | None:
    """A one-output network's errors, record by record, and the mean of their sizes."""
    if u.output_errors.shape[1] != 1:
        return None
    errors = [float(e) for e in u.output_errors[:, 0]]
    bars = _record_bars(b, "bars_errors", errors, "bars_mean", float(u.mean_abs_error), k=n_w)
    return replace(bars, size_total=True, scale=b.error_scale()) if bars is not None else None


#: a layer with more nodes than this gets no arrows (a column of 10 would be a thicket)
MAX_WANTS = 6


def _wants(lay, k: int, values: np.ndarray) -> tuple[tuple[int, float], ...]:
    """Layer ``k``'s nudges for the record on the spheres, as (node, value)."""
    values = np.asarray(values, dtype=float).ravel()
    if len(values) > MAX_WANTS:
        return ()
    return tuple((lay.node_id(k, j), float(v)) for j, v in enumerate(values))


def _signed_values(edges: list[int], m: np.ndarray) -> tuple[tuple[int, str], ...]:
    """A number along each weight, with its sign written out."""
    return tuple((e, fmt_signed(float(c))) for e, c in zip(edges, m.ravel(), strict=True))


def _before_after(befores: np.ndarray, afters: np.ndarray, changes: list[str]) -> list[str]:
    """Weights' changes as the picture writes them along the weights: "-0.945 → -0.952",
    to 3 significant digits, or to the change's first digit where that is finer (iteration
    2000's -4.9912 -> -4.9916 would read -4.99 -> -4.99: no change at all); one decimal
    more where before + change (as the table beside writes it, ``changes``) would not give
    after as written (0.756 - 0.0067 is not 0.750; 0.7562 - 0.0067 is 0.7495). All to one
    precision."""
    pairs = [(float(b), float(a)) for b, a in zip(befores, afters, strict=True)]
    if not all(np.isfinite(pair).all() for pair in pairs):
        return [f"{fmt_signed(b)} \u2192 {fmt_signed(a)}" for b, a in pairs]
    places = 0
    for before, after in pairs:
        biggest = max(abs(before), abs(after))
        need = 2 - math.floor(math.log10(biggest)) if biggest else 3
        if difference := abs(after - before):
            need = max(need, -math.floor(math.log10(difference)))
        places = max(places, min(max(need, 0), 6))

    def closes(places: int) -> bool:
        return all(
            f"{float(f'{before:.{places}f}') + float(change):+.{places}f}" == f"{after:+.{places}f}"
            for (before, after), change in zip(pairs, changes, strict=True)
        )

    # (where neither closes every sum, the one decimal more misses by a unit of the last
    # digit at most: the change as written is itself rounded)
    places = next((p for p in (places, places + 1) if closes(p)), places + 1)
    return [f"{before:+.{places}f} \u2192 {after:+.{places}f}" for before, after in pairs]


def _matrix_values(name: str, m: np.ndarray) -> dict[str, float]:
    if m.size > 64:
        return {}
    return {f"{name}[{i},{j}]": float(m[i, j]) for i, j in np.ndindex(*m.shape)}
