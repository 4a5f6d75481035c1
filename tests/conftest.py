import os

# Offscreen VTK through EGL; set before any render window exists.
os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
