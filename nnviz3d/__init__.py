"""nnviz3d: see backpropagation happen, as a 3D animation rendered offscreen with VTK.

Three ways in: a scene file (``nnviz3d render``), your own numpy loop
(:class:`nnviz3d.Recorder`), a PyTorch model (``nnviz3d.torch.Recorder``). Each gives a
trace file that ``nnviz3d render --trace`` shows.
"""

from nnviz3d.errors import UserError
from nnviz3d.record import ChainRuleError, Recorder

__version__ = "0.1.0"
__all__ = ["ChainRuleError", "Recorder", "UserError", "__version__"]
