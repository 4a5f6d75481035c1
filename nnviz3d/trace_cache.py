"""Training is deterministic, so its trace can be kept: the second ``frame``, ``steps``
or ``render`` of the same scene loads it instead of training 60000 iterations again
(about 0.7 s of the 1.9 s that ``nnviz3d frame`` took).

The key is a hash of everything the trace depends on -- the network spec with its data
and initial weights, the epochs kept whole, and the source of the modules that compute
and store it -- so a change to any of them trains afresh. ``NNVIZ3D_NO_CACHE=1`` turns
the cache off. A damaged or unreadable entry is removed and the network trained again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from nnviz3d.errors import UserError
from nnviz3d.recorder import Trace, train

_SOURCES = ("mlp.py", "recorder.py", "tracefile.py", "functions.py")


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nnviz3d" / "traces"


def trace_key(spec, needed, batches) -> str | None:
    """The run's hash; None where the spec cannot be hashed (a scene whose data is made
    by a function each epoch): such a run is not cached."""
    try:
        digest = hashlib.sha256(pickle.dumps((spec, tuple(sorted(needed)), batches), protocol=5))
    except (pickle.PicklingError, AttributeError, TypeError):
        return None
    here = Path(__file__).parent
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:32]


def cached_train(spec, needed, batches) -> Trace:
    """``train(spec, needed, batches)``, from the cache when it holds that very run."""
    if os.environ.get("NNVIZ3D_NO_CACHE") == "1":
        return train(spec, needed, batches)
    from nnviz3d.tracefile import load_trace, save_trace

    key = trace_key(spec, needed, batches)
    if key is None:
        return train(spec, needed, batches)
    path = cache_folder() / f"{key}.npz"
    if path.is_file():
        try:
            return load_trace(path)[0]
        except (UserError, OSError, ValueError, KeyError):
            path.unlink(missing_ok=True)
    trace = train(spec, needed, batches)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_trace(trace, path)  # atomic: parallel renders never read half an entry
    except (UserError, OSError):
        pass  # a read-only home: no cache, no harm
    return trace
