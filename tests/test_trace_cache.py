"""Issue 12: a trained trace is kept and loaded again, exactly, and only for the same run."""

from dataclasses import replace

import numpy as np
import pytest

import nnviz3d.trace_cache as cache
from nnviz3d.scene import load_scene
from nnviz3d.timeline import recorded_epochs


@pytest.fixture
def spec_and_epochs(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("NNVIZ3D_NO_CACHE", raising=False)
    scene = load_scene()
    return scene.network, recorded_epochs(scene, scene.render.epochs), scene.render.batches


def test_the_second_run_loads_the_very_trace_the_first_trained(spec_and_epochs, monkeypatch):
    spec, needed, batches = spec_and_epochs
    first = cache.cached_train(spec, needed, batches)
    assert len(list(cache.cache_folder().glob("*.npz"))) == 1

    def no_training(*a, **k):
        raise AssertionError("trained again")

    monkeypatch.setattr(cache, "train", no_training)
    again = cache.cached_train(spec, needed, batches)
    assert again.updates.keys() == first.updates.keys()
    for key, u in first.updates.items():
        v = again.updates[key]
        for a, b in zip(u.weights_after, v.weights_after, strict=True):
            assert np.array_equal(a, b)
        assert np.array_equal(u.deltas[0], v.deltas[0]) and u.loss == v.loss
    assert np.array_equal(first.summaries.mean_abs_error, again.summaries.mean_abs_error)


def test_another_run_or_a_damaged_entry_trains_and_the_switch_turns_it_off(spec_and_epochs, monkeypatch):
    spec, needed, batches = spec_and_epochs
    cache.cached_train(spec, needed, batches)
    other = replace(spec, learning_rate=0.5)
    assert cache.trace_key(other, needed, batches) != cache.trace_key(spec, needed, batches)
    assert cache.trace_key(spec, [*needed, 7], batches) != cache.trace_key(spec, needed, batches)
    (entry,) = cache.cache_folder().glob("*.npz")
    entry.write_bytes(b"not an archive")
    calls = []
    real = cache.train
    monkeypatch.setattr(cache, "train", lambda *a: calls.append(1) or real(*a))
    cache.cached_train(spec, needed, batches)  # damaged: trained, and written again whole
    assert calls == [1] and entry.read_bytes()[:2] == b"PK"
    monkeypatch.setenv("NNVIZ3D_NO_CACHE", "1")
    cache.cached_train(spec, needed, batches)
    assert calls == [1, 1]


def test_a_scene_whose_data_is_a_function_is_trained_every_time(tmp_path, monkeypatch):
    from pathlib import Path

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    scene = load_scene(Path(__file__).parents[1] / "scenes" / "fit_square.toml")
    assert cache.trace_key(scene.network, [1], None) is None  # fresh inputs each epoch: no key
    trace = cache.cached_train(replace(scene.network, epochs=3), [1], None)
    assert (1, 1) in trace.updates and not cache.cache_folder().exists()
