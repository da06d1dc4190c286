"""Watching the latent space form: frames within a time budget, aligned between frames, and a trained model
that is exactly the one it would have been without a watcher."""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from aecore import Autoencoder
from aecore.errors import ConfigError
from aecore.training import EpochReport
from aecore.watch import Frame, Watcher, align, sample_for_watching


def report(epoch: int, elapsed: float = 0.0) -> EpochReport:
    return EpochReport(epoch, 10, 1.0, None, None, elapsed, 100.0)


def rotation(angle: float) -> np.ndarray:
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


@pytest.mark.parametrize("reflect", [False, True])
def test_align_undoes_rotation_reflection_scale_and_shift(reflect):
    rng = np.random.default_rng(0)
    previous = rng.standard_normal((60, 2))
    turn = rotation(1.1) @ (np.diag([1.0, -1.0]) if reflect else np.eye(2))
    moved = 2.5 * previous @ turn + [3.0, -4.0]  # the same points, turned, mirrored, scaled and shifted
    aligned = align(moved, previous)
    assert aligned.dtype == np.float32 and aligned.shape == (60, 2)
    assert np.allclose(aligned, previous, atol=1e-5)


def test_align_of_a_single_point_does_not_divide_by_zero():
    previous = np.random.default_rng(1).standard_normal((5, 2))
    aligned = align(np.ones((5, 2)), previous)
    assert np.isfinite(aligned).all() and np.allclose(aligned, previous.mean(0))
    with pytest.raises(ConfigError, match="same rows"):
        align(np.zeros((4, 2)), previous)


def test_sample_for_watching():
    assert np.array_equal(sample_for_watching(50), np.arange(50))
    rows = sample_for_watching(10_000, size=1000, seed=3)
    assert len(rows) == 1000 and len(set(rows)) == 1000 and np.all(np.diff(rows) > 0)
    assert np.array_equal(rows, sample_for_watching(10_000, size=1000, seed=3))


def test_frames_during_fit(table_X, fast):
    model = Autoencoder(**{**fast, "epochs": 6})
    watcher = Watcher(table_X[sample_for_watching(len(table_X), size=80)], budget=1.0, model=model)
    assert watcher.latest is None and watcher.frames == []
    model.fit(table_X, callback=watcher)
    frames = watcher.frames
    assert [f.epoch for f in frames] == [1, 2, 3, 4, 5, 6]  # budget 1: every epoch
    assert all(isinstance(f, Frame) and f.xy.shape == (80, 2) and f.xy.dtype == np.float32 for f in frames)
    assert all(np.isfinite(f.xy).all() for f in frames)
    assert np.all(np.diff([f.seconds for f in frames]) >= 0)
    assert watcher.latest is frames[-1] and watcher.overhead_seconds > 0


def test_the_last_frame_is_the_model_training_kept(table_X, fast):
    """With a frame budget, the replay stopped short of the end (epoch 24 of 25) and never showed the weights
    kept (epoch 5): the model the map is drawn from."""
    model = Autoencoder(**{**fast, "epochs": 8})
    watcher = Watcher(table_X[:80], budget=0.001, model=model)
    model.fit(table_X, callback=watcher)
    taken = [f.epoch for f in watcher.frames]
    kept = model.result_.best_epoch
    watcher.finish(kept, model.result_.seconds)
    last = watcher.latest
    assert [f.epoch for f in watcher.frames[:-1]] == taken and not any(f.kept for f in watcher.frames[:-1])
    assert last.kept and last.epoch == kept
    expected = watcher.codes()  # the network as fit left it: the kept weights
    assert np.allclose(model.transform(table_X[:80]), expected, atol=1e-5)


def test_the_first_epoch_always_gets_a_frame(table_X, fast):
    model = Autoencoder(**{**fast, "epochs": 3})
    watcher = Watcher(table_X, budget=0.001, model=model)
    model.fit(table_X, callback=watcher)
    assert watcher.frames[0].epoch == 1


def test_two_dimensional_codes_are_shown_as_they_are(fitted, table_X):
    """A 2-D code is its own map (first frame: nothing to align to); watching leaves the network's mode alone."""
    net = fitted.network_
    mode = net.training
    watcher = Watcher(table_X[:30], budget=1.0).bind(net)
    watcher(report(1))
    assert np.allclose(watcher.latest.xy, fitted.transform(table_X[:30]), atol=1e-6)
    assert net.training == mode
    watcher(report(2))  # the same network again: aligned to itself, unchanged
    assert np.allclose(watcher.frames[1].xy, watcher.frames[0].xy, atol=1e-5)


def test_one_dimensional_codes_lie_on_a_line(table_X, fast):
    model = Autoencoder(**{**fast, "latent_dim": 1, "epochs": 4})
    watcher = Watcher(table_X, budget=1.0, model=model)
    model.fit(table_X, callback=watcher)
    assert len(watcher.frames) == 4
    assert all(np.allclose(f.xy[:, 1], 0.0, atol=1e-6) for f in watcher.frames)


def test_frames_are_thinned_not_dropped_from_the_end(table_X, fast):
    model = Autoencoder(**{**fast, "epochs": 12})
    watcher = Watcher(table_X[:40], budget=1.0, max_frames=4, model=model)
    model.fit(table_X, callback=watcher)
    epochs = [f.epoch for f in watcher.frames]
    assert len(epochs) <= 4 and epochs[0] == 1 and np.all(np.diff(epochs) > 0)
    assert epochs == [1, 5, 9]  # full at 1-4; thinned to 1, 3 (+5); full at 7; thinned to 1, 5 (+9), every 4th


@pytest.mark.parametrize("name", ["dense", "vae"])  # the VAE draws noise from the run's generator
def test_watching_does_not_change_the_trained_model(table_X, fast, name):
    plain = Autoencoder(**{**fast, "model": name, "epochs": 5}).fit(table_X)
    watched = Autoencoder(**{**fast, "model": name, "epochs": 5})
    watcher = Watcher(table_X, budget=1.0, model=watched)  # a frame every epoch: the most it can interfere
    watched.fit(table_X, callback=watcher)
    assert len(watcher.frames) == 5
    a, b = plain.network_.state_dict(), watched.network_.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[key], b[key]) for key in a)
    assert plain.history_ == [{**h, "elapsed": p["elapsed"], "samples_per_s": p["samples_per_s"]}
                              for h, p in zip(watched.history_, plain.history_, strict=True)]


def test_overhead_stays_within_the_budget(table_X, fast):
    model = Autoencoder(**{**fast, "epochs": 40, "patience": 100})
    watcher = Watcher(table_X, budget=0.1, model=model)
    start = time.perf_counter()
    model.fit(table_X, callback=watcher)
    seconds = time.perf_counter() - start
    assert watcher.frames and watcher.frames[0].epoch == 1
    assert watcher.overhead_seconds <= 0.1 * seconds + 0.05  # the constant: the first frame is always taken


def test_bad_settings_are_refused(table_X):
    for budget in (0, -0.1, 1.5, "x"):
        with pytest.raises(ConfigError, match="budget"):
            Watcher(table_X, budget=budget)
    with pytest.raises(ConfigError, match="max_frames"):
        Watcher(table_X, max_frames=1)
    with pytest.raises(ConfigError, match="no model"):
        Watcher(table_X)(report(1))
    with pytest.raises(ConfigError, match="no network"):
        Watcher(table_X, model=Autoencoder())(report(1))
