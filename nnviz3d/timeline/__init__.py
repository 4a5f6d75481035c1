"""The story of the video: a training trace turned into an ordered list of steps.

``model`` holds the data (Step, Visual, Timeline), ``kinds`` one function per kind of
step, ``story`` the order of the lecture and the builder that plays it, ``code`` the
iamtrask-style listing. Names follow iamtrask for every network: layer ``l{k}``, weights
``syn{k}``, ``l{k}_error``, ``l{k}_delta``.
"""

from nnviz3d.timeline.code import code_listing
from nnviz3d.timeline.kinds import DURATIONS, KINDS, Beat, StepKind, step_kind
from nnviz3d.timeline.model import (
    DIM,
    FitCurve,
    Glimpse,
    Signal,
    Step,
    Timeline,
    Visual,
    fmt,
    fmt_input,
    fmt_sig,
    fmt_signed,
    magnification,
)
from nnviz3d.timeline.story import (
    build_evolution_timeline,
    build_timeline,
    epilogue_epochs,
    needed_epochs,
    recorded_epochs,
    showing,
    story,
    story_seconds,
)

__all__ = [
    "DIM",
    "DURATIONS",
    "KINDS",
    "Beat",
    "FitCurve",
    "Glimpse",
    "Signal",
    "Step",
    "StepKind",
    "Timeline",
    "Visual",
    "build_evolution_timeline",
    "build_timeline",
    "code_listing",
    "epilogue_epochs",
    "fmt",
    "fmt_input",
    "fmt_sig",
    "fmt_signed",
    "magnification",
    "needed_epochs",
    "recorded_epochs",
    "showing",
    "step_kind",
    "story",
    "story_seconds",
]
