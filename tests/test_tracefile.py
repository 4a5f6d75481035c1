"""The trace file: the contract between recording and rendering (issue 10, part 1)."""

import json
import pickle
import zipfile
from dataclasses import fields, replace

import numpy as np
import pytest

from nnviz3d.cli import main
from nnviz3d.errors import UserError
from nnviz3d.recorder import EpochSummaries, UpdateRecord, train
from nnviz3d.scene import load_scene
from nnviz3d.timeline import recorded_epochs
from nnviz3d.tracefile import VERSION, load_trace, save_trace, trace_arrays


@pytest.fixture(scope="module")
def iamtrask():
    scene = load_scene()
    return scene, train(scene.network, recorded_epochs(scene, scene.render.epochs))


def _same(a, b) -> None:
    if a is None or b is None:
        assert a is None and b is None
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    else:
        x, y = np.asarray(a), np.asarray(b)
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)


def test_a_trace_survives_the_file_bit_for_bit(tmp_path, iamtrask):
    _, trace = iamtrask
    path = tmp_path / "t.npz"
    save_trace(trace, path, {"title": "x"})
    back, video = load_trace(path)
    assert video == {"title": "x"}
    assert back.updates.keys() == trace.updates.keys()
    for key, u in trace.updates.items():
        for f in fields(UpdateRecord):
            _same(getattr(u, f.name), getattr(back.updates[key], f.name))
    for f in fields(EpochSummaries):
        _same(getattr(trace.summaries, f.name), getattr(back.summaries, f.name))
    _same(list(trace.final_weights), list(back.final_weights))
    assert back.spec.layers == (3, 4, 1) and back.spec.activations == ("sigmoid", "sigmoid")
    assert back.spec.loss == "squared" and back.spec.learning_rate == 1.0 and back.spec.biases is None
    _same(list(trace.spec.weights), list(back.spec.weights))
    # seed 000's numbers, read back from the file: iteration 1's first hidden activation
    assert back.updates[(1, 1)].activations[0][0, 0] == pytest.approx(0.44856632, abs=1e-8)


def test_the_archive_needs_no_pickle_and_keeps_float32(tmp_path, iamtrask):
    _, trace = iamtrask
    u = trace.updates[(1, 1)]
    small = replace(
        trace,
        updates={
            (1, 1): replace(
                u,
                inputs=u.inputs.astype(np.float32),
                activations=[a.astype(np.float32) for a in u.activations],
            )
        },
    )
    path = tmp_path / "f32.npz"
    save_trace(small, path)
    with np.load(path, allow_pickle=False) as data:  # every entry loads without pickle
        for key in data.files:
            assert data[key].dtype != object, key
    back, _ = load_trace(path)
    assert back.updates[(1, 1)].inputs.dtype == np.float32
    assert back.updates[(1, 1)].activations[1].dtype == np.float32


def test_bad_files_get_one_line_and_exit_2(tmp_path, iamtrask, capsys):
    _, trace = iamtrask
    good = tmp_path / "good.npz"
    save_trace(trace, good)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.arange(3))
    newer = tmp_path / "newer.npz"
    arrays = trace_arrays(trace)
    arrays["version"] = np.array(VERSION + 1)
    np.savez(newer, **arrays)
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    pickled = tmp_path / "pickled.npz"
    pickled.write_bytes(pickle.dumps({"a": 1}))
    expected = {
        truncated: "not an nnviz3d trace",
        foreign: "no 'format' entry",
        newer: f"written by a newer nnviz3d (trace format {VERSION + 1}",
        text: "not an nnviz3d trace",
        pickled: "not an nnviz3d trace (not a .npz archive: it holds pickled Python objects)",
        tmp_path / "missing.npz": "no such trace file",
    }
    for path, words in expected.items():
        assert main(["steps", "--trace", str(path)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and str(path) in err and words in err, err
        assert "allow_pickle" not in err
    # a damaged archive: one entry missing
    damaged = tmp_path / "damaged.npz"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(damaged, "w") as dst:
        for item in src.infolist():
            if item.filename != "update.1.1.deltas.0.npy":
                dst.writestr(item, src.read(item.filename))
    with pytest.raises(UserError, match=r"missing 'update\.1\.1\.deltas\.0'"):
        load_trace(damaged)


def test_train_writes_what_render_trace_reads(tmp_path, capsys):
    """``train`` then ``steps --trace`` and ``inspect --trace``: the same video and numbers
    as the scene gives."""
    out = tmp_path / "t.npz"
    assert main(["train", "--out", str(out)]) == 0
    assert "updates kept whole" in capsys.readouterr().out
    assert main(["steps", "--json"]) == 0
    from_scene = json.loads(capsys.readouterr().out)
    assert main(["steps", "--json", "--trace", str(out)]) == 0
    from_trace = json.loads(capsys.readouterr().out)
    assert from_trace == from_scene
    assert main(["inspect", "--epoch", "1999", "--json"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert main(["inspect", "--epoch", "1999", "--json", "--trace", str(out)]) == 0
    b = json.loads(capsys.readouterr().out)
    assert a == b
    # (the trace holds the glances' ways whole too: 4 to 9 on the way from 3 to 10, not 2004)
    assert main(["inspect", "--epoch", "2005", "--trace", str(out)]) == 2
    assert "epoch 2005 batch 1 is not held whole" in capsys.readouterr().err
    assert main(["steps", "--epochs", "2004", "--trace", str(out)]) == 2
    err = capsys.readouterr().err
    assert "epoch 2004 is not held whole in the trace" in err
    assert "record it: 'nnviz3d train SCENE --epochs 2004', or Recorder(..., show=\"2004\")" in err
    # a range far too long to render is still first refused for what the trace lacks
    assert main(["render", "--epochs", "1-2000", "--trace", str(out), "--out", str(tmp_path / "v.mp4")]) == 2
    err = capsys.readouterr().err
    assert "epoch 21 is not held whole" in err and "--yes" not in err  # (22, 23: on 20 -> 50's way)
    assert not (tmp_path / "v.mp4").exists()


def test_render_from_a_trace_is_pixel_identical(tmp_path, capsys):
    """Every frame of the video from the trace file is the scene's, byte for byte, as
    lossless PNG frames (an MP4 comparison flaked once in CI in stop 17: x264 or the GL
    gave one segment different bytes, not reproduced in 40 isolated renders; the MP4's
    own determinism is tested across --jobs and the Dask cluster)."""
    out = tmp_path / "t.npz"
    assert main(["train", "--out", str(out), "--epochs", "2"]) == 0
    small = ["--resolution", "320x180", "--fps", "10", "--quiet", "--format", "png"]
    a, b = tmp_path / "scene", tmp_path / "trace"
    assert main(["render", "--epochs", "2", *small, "--out", str(a)]) == 0
    assert main(["render", "--trace", str(out), *small, "--out", str(b)]) == 0
    capsys.readouterr()
    names = sorted(p.name for p in a.iterdir())
    assert len(names) == 870 and names == sorted(p.name for p in b.iterdir())
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)
    assert main(["steps", "--epochs", "2", "--json"]) == 0
    from_scene = capsys.readouterr().out
    assert main(["steps", "--trace", str(out), "--json"]) == 0
    assert capsys.readouterr().out == from_scene


def test_a_failed_save_leaves_the_old_file(tmp_path, iamtrask, monkeypatch):
    _, trace = iamtrask
    path = tmp_path / "t.npz"
    path.write_bytes(b"old")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError):
        save_trace(trace, path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.npz"]
