"""nnviz3d: see backpropagation happen, as a 3D animation rendered offscreen with VTK.

Three ways in: a scene file (``nnviz3d render``), your own numpy loop
(:class:`nnviz3d.Recorder`), a PyTorch model (``nnviz3d.torch.Recorder``). Each gives a
trace that ``nnviz3d render --trace`` or :func:`nnviz3d.render` shows. The Python API
(:mod:`nnviz3d.api`) raises :class:`UserError` and never exits.
"""

from nnviz3d.api import Frame, Video, frame, load_scene, render, train
from nnviz3d.errors import UserError
from nnviz3d.record import ChainRuleError, Recorder

__version__ = "0.1.0"
__all__ = [
    "ChainRuleError", "Frame", "Recorder", "UserError", "Video", "__version__", "frame", "load_scene",
    "render", "train",
]  # fmt: skip
