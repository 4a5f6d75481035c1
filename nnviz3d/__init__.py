"""nnviz3d: see backpropagation happen, as a 3D animation rendered offscreen with VTK."""

__version__ = "0.1.0"
