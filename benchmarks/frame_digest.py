"""Digest of every Nth frame of a video, to show that a refactor keeps the pixels.

    python benchmarks/frame_digest.py --every 50 --out before.json   # on the old commit
    python benchmarks/frame_digest.py --every 50 --compare before.json  # on the new one

Each frame is drawn fresh (no held-frame reuse) by the same renderer the video uses, and
its SHA-256 is stored; ``--compare`` lists every frame whose digest differs and exits 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

from nnviz3d.cli import _parser, _scene
from nnviz3d.frames import frame_state
from nnviz3d.pipeline import prepare
from nnviz3d.render_vtk import VtkFrameRenderer


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("scene", nargs="?", default=None)
    ap.add_argument("--every", type=int, default=50)
    ap.add_argument("--out")
    ap.add_argument("--compare")
    args, rest = ap.parse_known_args(argv)
    scene_arg = [args.scene] if args.scene else []
    cli = _parser().parse_args(["frame", *scene_arg, "--frame", "0", "--out", "-", *rest])
    scene = _scene(cli)
    _, timeline = prepare(scene)
    w, h = scene.render.width, scene.render.height
    renderer = VtkFrameRenderer(w, h, scene.render.antialias)
    digests: dict[str, str] = {}
    for frame in range(0, timeline.n_frames, args.every):
        pixels = renderer.render(frame_state(timeline, frame, w, h, scene.render.theme))
        digests[str(frame)] = hashlib.sha256(pixels.tobytes()).hexdigest()
    renderer.close()
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"n_frames": timeline.n_frames, "digests": digests}, f, indent=0)
    if args.compare:
        with open(args.compare) as f:
            old = json.load(f)
        differ = [k for k, v in old["digests"].items() if digests.get(k) != v]
        print(
            f"{len(old['digests'])} frames compared, {len(differ)} differ; "
            f"frames {old['n_frames']} -> {timeline.n_frames}"
        )
        if differ:
            print("differing frames:", " ".join(differ))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
