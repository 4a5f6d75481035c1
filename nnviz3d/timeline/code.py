"""The iamtrask-style code listing shown beside the network, generated for its shape."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nnviz3d.scene import Scene


def code_listing(scene: Scene) -> tuple[list[str], dict[str, int]]:
    """iamtrask-style code for this network, and where each part of the loop is."""
    spec = scene.network
    n_w = len(spec.layers) - 1
    out = n_w
    lines: list[str] = []
    where: dict[str, int] = {}

    def add(key: str, text: str) -> None:
        where[key] = len(lines)
        lines.append(text)

    for k in range(n_w):
        shape = f"({spec.layers[k]},{spec.layers[k + 1]})"
        if scene.init_scheme == "iamtrask":
            add(f"init{k}", f"syn{k} = 2*np.random.random({shape}) - 1")
        elif scene.init_scheme == "explicit":
            add(f"init{k}", f"syn{k} = np.array(...)  # given {shape}")
        else:
            add(f"init{k}", f"syn{k} = {scene.init_scheme} random {shape}")
    add("loop", f"for j in range({spec.epochs}):")
    add("input", "  l0 = X")
    for k in range(1, n_w + 1):
        f = _fname(spec.activations[k - 1])
        b = f" + b{k - 1}" if spec.biases is not None else ""
        add(f"layer{k}", f"  l{k} = {f}(np.dot(l{k - 1},syn{k - 1}){b})")
    add("error", f"  l{out}_error = y - l{out}")
    add("display", f"  print(np.mean(np.abs(l{out}_error)))")
    for k in range(n_w, 0, -1):
        if k < n_w:
            add(f"error{k}", f"  l{k}_error = l{k + 1}_delta.dot(syn{k}.T)")
        add(f"delta{k}", f"  l{k}_delta = {_delta_expr(scene, k)}")
    lr = spec.learning_rate
    lr_text = "" if lr == 1 else f"{lr:g} * "
    for k in range(n_w - 1, -1, -1):
        add(f"update{k}", f"  syn{k} += {lr_text}l{k}.T.dot(l{k + 1}_delta)")
        if spec.biases is not None:
            add(f"bias{k}", f"  b{k} += {lr_text}l{k + 1}_delta.sum(0)")
    return lines, where


def _fname(activation: str) -> str:
    return "nonlin" if activation == "sigmoid" else activation


def _delta_expr(scene: Scene, k: int) -> str:
    spec = scene.network
    act = spec.activations[k - 1]
    err = f"l{k}_error"
    if k == len(spec.layers) - 1 and spec.reduction == "mean":
        err = f"({err} / len(X))"
    if k == len(spec.layers) - 1 and spec.loss == "cross_entropy":
        return f"{err}  # {act} + cross-entropy"
    if act == "sigmoid":
        return f"{err} * nonlin(l{k},deriv=True)"
    if act == "identity":
        return err
    return f"{err} * {act}'(l{k})"
