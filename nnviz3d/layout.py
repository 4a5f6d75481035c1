"""Where things sit in the 3D scene: node centres, edge ends, record satellites.

Pure geometry from layer sizes, so the frame states and their tests need no VTK. The
network lies in the x-y plane, inputs on the left (x = 0) and outputs on the right; the
camera looks at it slightly from the side so spheres read as spheres.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

LAYER_GAP = 3.2
NODE_GAP = 1.6
BEAD_GAP = 0.34  # between the record beads under a node
BEAD_DROP = 0.8  # how far under the node centre the beads sit
#: records with their own satellite bead around each node; bigger batches show none
MAX_SATELLITES = 8
GRID_ABOVE = 16  # layers with more nodes are drawn as a square grid
GRID_SIZE = 7.0  # world size of such a grid
BOX_PAD = 0.5  # room around the outermost node centres for the biggest sphere
LABEL_LIFT = 0.4  # room above the top node for its value

#: where the network sits on screen in each screen layout (x0, y0, x1, y1 in 0..1 of the
#: frame, from the bottom left); hall and lecture keep the right column for the outputs,
#: study its left column for the records, the legend and the code
NETWORK_REGIONS = {
    "study": (0.31, 0.235, 0.985, 0.865),
    "lecture": (0.03, 0.17, 0.66, 0.76),  # above the code line, with room for the nodes' names
    "hall": (0.03, 0.17, 0.66, 0.725),
    "tile": (0.04, 0.05, 0.96, 0.95),  # one run of a split screen: its network, nothing else
}


#: the network during the epilogue (hall and lecture): above the chart of the whole run,
#: at the left, the output's map (the learned rule) right of it up to EPILOGUE_MAP_END;
#: the summary leaves the right half to the code it links to what was seen
EPILOGUE_REGION = (0.03, 0.37, 0.52, 0.76)
EPILOGUE_MAP_END = 0.67
SUMMARY_REGION = (0.05, 0.37, 0.43, 0.76)  # (the inputs' values left of their nodes: in the frame)
#: gradient descent's shot: the network small at the left, the loss curve big beside it
DESCENT_REGION = (0.03, 0.18, 0.34, 0.68)


#: hall and lecture when the panel beside the network needs a third of the frame: the fit
#: plot of a function-fitting scene, the hand calculation's numbers at caption size
NARROW_NETWORK_REGION = (0.015, 0.17, 0.585, 0.76)


def scene_shape(screen: str, layers: tuple[int, ...], n_records: int, fit: bool) -> str:
    """Which set of panels hall and lecture give a network (study shows every panel of
    every scene: always "network"):

    - "grids": a layer too big to draw as nodes (more than GRID_ABOVE): no 3D network;
      the input as an image, each layer's values as a heatmap, the outputs as bars;
    - "fit": a function-fitting scene: the fit plot, big, beside the network;
    - "hand": one record (a calculation by hand): its numbers at caption size;
    - "network": the 3D network with the outputs table (iamtrask)."""
    if screen not in ("hall", "lecture"):
        return "network"
    if max(layers) > GRID_ABOVE:
        return "grids"
    if fit:
        return "fit"
    return "hand" if n_records == 1 else "network"


def network_region(screen: str, shape: str = "network") -> tuple[float, float, float, float]:
    """Where the network sits on screen for a screen layout and a scene shape."""
    if shape in ("fit", "hand"):
        return NARROW_NETWORK_REGION
    return NETWORK_REGIONS[screen]


def region_aspect(screen: str, frame_aspect: float = 16 / 9, shape: str = "network") -> float | None:
    """Width / height of the network's screen region (None: a screen without one)."""
    if screen not in NETWORK_REGIONS:
        return None
    x0, y0, x1, y1 = network_region(screen, shape)
    return (x1 - x0) * frame_aspect / (y1 - y0)


@dataclass(frozen=True)
class Layout:
    """Positions for one network shape (world units)."""

    layers: tuple[int, ...]
    nodes: np.ndarray  # (n_nodes, 3)
    node_layer: np.ndarray  # (n_nodes,) layer index of each node
    layer_offsets: tuple[int, ...]  # first node id of each layer
    edge_from: np.ndarray  # (n_edges,) node ids
    edge_to: np.ndarray
    edge_offsets: tuple[int, ...]  # first edge id of each weight layer
    n_records: int  # records shown as satellites and in the outputs panel (0: none)
    satellites: np.ndarray  # (n_nodes, n_records, 3)
    node_scale: np.ndarray  # (n_nodes,) grid layers draw smaller spheres
    azimuth: float  # degrees the camera turns: more when grids need to be seen at an angle
    edge_scale: float  # thinner cylinders when there are many

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_edges(self) -> int:
        return len(self.edge_from)

    def node_id(self, layer: int, node: int) -> int:
        return self.layer_offsets[layer] + node

    def edge_id(self, weight_layer: int, i: int, j: int) -> int:
        return self.edge_offsets[weight_layer] + i * self.layers[weight_layer + 1] + j

    def node_name(self, layer: int, node: int) -> str:
        """What the captions and the picture call a node, counted from 1 as a lecturer counts:
        ``x1`` an input, ``h3`` a hidden node (``h2_3`` where there are several hidden
        layers), ``out`` the output (``out2`` of several). Python's ``l1[:, 2]`` is ``h3``."""
        last = len(self.layers) - 1
        if layer == 0:
            return f"x{node + 1}"
        if layer == last:
            return "out" if self.layers[last] == 1 else f"out{node + 1}"
        return f"h{node + 1}" if last == 2 else f"h{layer}_{node + 1}"

    def name_of(self, node: int) -> str:
        """:meth:`node_name` of a node id."""
        return self.node_name(*self.position_of(node))

    def position_of(self, node: int) -> tuple[int, int]:
        """A node id's layer and its index in that layer (``node_id`` undone)."""
        layer = int(self.node_layer[node])
        return layer, node - self.layer_offsets[layer]

    def layer_nodes(self, layer: int) -> range:
        return range(self.layer_offsets[layer], self.layer_offsets[layer] + self.layers[layer])

    def layer_edges(self, weight_layer: int) -> range:
        n = self.layers[weight_layer] * self.layers[weight_layer + 1]
        return range(self.edge_offsets[weight_layer], self.edge_offsets[weight_layer] + n)

    def bounds(self, beads: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned box around everything drawn, with room for the biggest spheres;
        ``beads``: the record beads under the nodes too (the study layout draws them)."""
        pts = [self.nodes]
        if beads:
            pts.append(self.satellites.reshape(-1, 3))
        allp = np.concatenate([p for p in pts if len(p)])
        hi = allp.max(axis=0) + BOX_PAD
        hi[1] += LABEL_LIFT  # the value label above the top node
        return allp.min(axis=0) - BOX_PAD, hi


def make_layout(
    layers: tuple[int, ...], n_records: int, aspect: float | None = None, beads: bool = False
) -> Layout:
    """Centre every layer vertically; a row of record beads under each node.

    ``aspect``: the width / height the network's box should have (the layers move apart
    until it does), so that it fills a wide screen region; None keeps the compact shape;
    ``beads``: the record beads under the nodes count towards the height."""
    columns = [n <= GRID_ABOVE for n in layers]
    tallest = max([n for n, col in zip(layers, columns, strict=True) if col], default=1)
    node_gap = NODE_GAP if tallest <= 12 else NODE_GAP * 12 / tallest
    # tall layers get wider gaps between layers, so the network keeps a lecture-slide shape
    layer_gap = max(LAYER_GAP, 0.45 * (min(max(layers), 12) - 1) * node_gap)
    if aspect is not None and len(layers) > 1:
        rows = [n if col else GRID_SIZE / node_gap for n, col in zip(layers, columns, strict=True)]
        # the box bounds() will give: nodes, padding, the top label, the beads' row
        spread = (min(n_records, MAX_SATELLITES) - 1) * BEAD_GAP if beads and n_records else 0.0
        height = (max(rows) - 1) * node_gap + 2 * BOX_PAD + LABEL_LIFT + (BEAD_DROP if beads else 0.0)
        layer_gap = max(layer_gap, (aspect * height - 2 * BOX_PAD - spread) / (len(layers) - 1))
    positions, layer_of, offsets, scales = [], [], [], []
    for k, n in enumerate(layers):
        offsets.append(len(positions))
        if columns[k]:
            for j in range(n):
                positions.append((k * layer_gap, ((n - 1) / 2 - j) * node_gap, 0.0))
                scales.append(1.0)
        else:  # a big layer is a square grid across the flow (784 inputs: the 28x28 image)
            cols = math.ceil(math.sqrt(n))
            rows = math.ceil(n / cols)
            gap = GRID_SIZE / max(rows, cols)
            for j in range(n):
                r, c = divmod(j, cols)
                positions.append((k * layer_gap, ((rows - 1) / 2 - r) * gap, ((cols - 1) / 2 - c) * gap))
                scales.append(gap / NODE_GAP * 1.3)
        layer_of.extend([k] * n)
    nodes = np.array(positions, dtype=float)
    total = sum(a * b for a, b in itertools.pairwise(layers))
    e_from = np.concatenate(
        [np.repeat(np.arange(a) + offsets[k], b) for k, (a, b) in enumerate(itertools.pairwise(layers))]
    )
    e_to = np.concatenate(
        [np.tile(np.arange(b) + offsets[k + 1], a) for k, (a, b) in enumerate(itertools.pairwise(layers))]
    )
    e_offsets = list(np.cumsum([0] + [a * b for a, b in itertools.pairwise(layers)])[:-1])
    assert len(e_from) == total
    r = n_records if n_records <= MAX_SATELLITES else 0
    # a row under each node, record 1 on the left, lifted towards the camera so the
    # cylinders pass behind it
    scale = min(1.0, node_gap / NODE_GAP)
    row = np.stack([(np.arange(r) - (r - 1) / 2) * BEAD_GAP, np.full(r, -BEAD_DROP), np.full(r, 0.3)], axis=1)
    satellites = nodes[:, None, :] + row[None, :, :] * scale
    return Layout(
        layers=tuple(layers),
        nodes=nodes,
        node_layer=np.array(layer_of),
        layer_offsets=tuple(offsets),
        edge_from=e_from.astype(int),
        edge_to=e_to.astype(int),
        edge_offsets=tuple(int(o) for o in e_offsets),
        node_scale=np.array(scales),
        azimuth=18.0 if all(columns) else 48.0,
        edge_scale=1.0 if total <= 600 else 0.45,
        n_records=r,
        satellites=satellites,
    )


def strongest_inputs(magnitudes: np.ndarray, k: int) -> np.ndarray:
    """Row indices ``(k, n_out)`` of the ``k`` largest entries of each column: a big
    layer's strongest incoming weights (drawn) or flows (beads) per node."""
    top = min(k, magnitudes.shape[0])
    return np.argpartition(-magnitudes, top - 1, axis=0)[:top]
