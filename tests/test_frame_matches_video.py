"""For every shipped scene, ``nnviz3d frame --frame K`` is frame K of what ``nnviz3d render``
wrote, and ``nnviz3d steps`` counts the video's frames (the split screen of a [compare]
scene included).

The video is H.264 (yuv420p, CRF 20), so a decoded frame is not the rendered one bit for
bit: the same frame differs by a mean of 1.9-2.9 (of 255) over the RGB channels, mostly
from the chroma subsampling of small coloured text on a dark background. The title card
differs from the frames compared by 7.9 or more; one run's frame against the split screen
(what `frame` drew for xor_butterfly before it followed `render`) by 28 at 640x360."""

import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from nnviz3d.cli import main
from tests.test_datasets import make_mnist
from tests.test_render_encode import decode

SCENES = Path(__file__).resolve().parent.parent / "scenes"
#: mean |difference| (of 255) under which a decoded frame counts as the rendered one
SAME = 4.0

#: scene -> (options that keep its video short, frame size). A [compare] scene has no
#: --epochs; its split screen is drawn at 640x360 so that each tile is 320x180 like the
#: other scenes (at 320x180 its 160x90 tiles of small text lose 3.7-3.9 to the codec).
CASES = {
    "iamtrask": (["--fps", "3", "--epochs", "1"], "320x180"),  # node by node
    "handcalc_322": (["--fps", "3", "--epochs", "1"], "320x180"),
    "fit_square": (["--fps", "3", "--epochs", "2"], "320x180"),  # compact, with the curve inset
    "fit_linear": (["--fps", "3", "--epochs", "2"], "320x180"),
    "fit_cubic": (["--fps", "3", "--epochs", "2"], "320x180"),
    "xor_butterfly": (["--fps", "3"], "640x360"),  # the 2x2 split screen of four runs
    "digits": (["--fps", "3", "--epochs", "1"], "320x180"),
    "mnist": (["--fps", "1", "--epochs", "1"], "320x180"),  # 784 inputs: time goes on drawn frames
}


def mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.float64) - b.astype(np.float64))))


@pytest.mark.parametrize("name", list(CASES))
def test_frame_is_the_videos_frame(name, tmp_path, capsys):
    timing, size = CASES[name]  # steps takes no picture options such as --resolution
    timing = [str(SCENES / f"{name}.toml"), *timing]
    if name == "mnist":
        make_mnist(tmp_path, gz=True, n_train=250)  # 3 mini-batches of 100
        timing += ["--data-dir", str(tmp_path)]
    options = [*timing, "--resolution", size]
    video = tmp_path / "v.mp4"
    assert main(["render", *options, "--out", str(video), "--quiet"]) == 0
    _, _, _, frames = decode(video)
    n = len(frames)
    for k in (n // 2, (7 * n) // 10):
        png = tmp_path / f"{k}.png"
        assert main(["frame", *options, "--frame", str(k), "--out", str(png)]) == 0
        picture = iio.imread(png)[..., :3]
        assert picture.shape == frames[k].shape
        same = mad(frames[k], picture)
        # a clearly different frame (the title card, the first quarter's or the last) is told
        # apart: the test can fail
        other = max(mad(frames[j], picture) for j in (0, n // 4, n - 1))
        assert same < SAME, f"{name}: frame {k} differs from the video's by {same:.2f}/255"
        assert other > 1.5 * SAME, f"{name}: other frames differ from frame {k} by only {other:.2f}"
    capsys.readouterr()
    assert main(["steps", *timing, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[-1]["first_frame"] + rows[-1]["frame_count"] == n
