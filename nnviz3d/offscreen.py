"""Can this machine draw offscreen? Asked of EGL through ctypes before VTK is touched.

Without Mesa's EGL, VTK prints three warnings and the process dies with a segmentation
fault at the first render (exit 139). A fresh server or a farm worker may well lack it,
so every command that draws asks first (a few milliseconds, no window made): EGL with
at least one device, else OSMesa if its library is there (with a one-line note), else
one line that says what to install.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys

from nnviz3d.errors import UserError

EGL_WINDOW = "vtkEGLRenderWindow"
OSMESA_WINDOW = "vtkOSOpenGLRenderWindow"
INSTALL = "on Debian/Ubuntu: apt-get install libegl1 libgl1-mesa-dri"


class NoOffscreenGL(UserError):
    """Neither EGL nor OSMesa can draw here."""


def egl_devices() -> int:
    """How many devices EGL offers (llvmpipe counts as one); 0 if libEGL is missing or no
    vendor library (Mesa's) is installed."""
    try:
        egl = ctypes.CDLL("libEGL.so.1")
    except OSError:
        return 0
    egl.eglGetProcAddress.restype = ctypes.c_void_p
    egl.eglGetProcAddress.argtypes = [ctypes.c_char_p]
    address = egl.eglGetProcAddress(b"eglQueryDevicesEXT")
    if not address:
        return 0
    signature = ctypes.CFUNCTYPE(ctypes.c_uint, ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int))
    query = signature(address)
    count = ctypes.c_int(0)
    if not query(0, None, ctypes.byref(count)):
        return 0
    return count.value


def osmesa_available() -> bool:
    return ctypes.util.find_library("OSMesa") is not None


@functools.cache
def ensure_offscreen(where: str = "") -> str:
    """The window class VTK will use, checked; raises :class:`NoOffscreenGL` in one line
    if none can draw. ``where`` names the machine (a Dask worker) in the message.

    A window class chosen by the user other than EGL is trusted as it is."""
    chosen = os.environ.get("VTK_DEFAULT_OPENGL_WINDOW", EGL_WINDOW)
    if chosen != EGL_WINDOW:
        return chosen
    if egl_devices() > 0:
        return EGL_WINDOW
    if osmesa_available():
        os.environ["VTK_DEFAULT_OPENGL_WINDOW"] = OSMESA_WINDOW
        print("nnviz3d: note: no EGL device here; rendering through OSMesa instead", file=sys.stderr)
        return OSMESA_WINDOW
    at = f" on {where}" if where else ""
    raise NoOffscreenGL(
        f"no offscreen OpenGL{at}: Mesa's EGL (or OSMesa) is not installed or offers no device; "
        f"install it ({INSTALL})"
    )
