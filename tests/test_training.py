"""The training loop: progress callbacks, cancellation (between and within epochs), divergence that
keeps the last good weights, early stopping, the time limit, and the learning-rate schedule."""
from __future__ import annotations

import math
import threading

import numpy as np
import pytest
import torch

from aecore import Autoencoder, EpochReport
from aecore.models import ModelConfig, build_network
from aecore.training import TrainSettings, batched, cosine, evaluate, fit_in_time, train


def snapshot(model) -> dict:
    return {k: v.detach().clone() for k, v in model.network_.state_dict().items()}


def snapshot_net(net) -> dict:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def tiny_net(seed: int = 0):
    torch.manual_seed(seed)
    return build_network(ModelConfig("dense", "plain", [6], 2, [16]))


def test_callback_hears_every_epoch(table_X, fast):
    reports = []
    model = Autoencoder(**dict(fast, epochs=3)).fit(table_X, callback=reports.append)
    assert [r.epoch for r in reports] == [1, 2, 3]
    assert all(isinstance(r, EpochReport) and r.epochs == 3 for r in reports)
    assert all(r.val_loss is not None and r.val_mse is not None and r.samples_per_s > 0 for r in reports)
    assert [r.elapsed for r in reports] == sorted(r.elapsed for r in reports)
    assert model.history_ == [r.to_json() for r in reports]
    assert model.result_.status == "completed" and model.result_.epochs_run == 3
    assert model.result_.message.startswith("Trained 3 epochs")
    assert set(model.result_.to_json()) == {"status", "message", "best_epoch", "epochs_run", "seconds"}


def test_best_weights_are_kept(table_X, fast):
    states = {}

    def keep(report):
        states[report.epoch] = snapshot(model)

    model = Autoencoder(**dict(fast, epochs=5, pca_init=False))  # a random start: the epochs beat it
    model.fit(table_X, callback=keep)
    best = min(model.history_, key=lambda h: h["val_loss"])["epoch"]
    assert model.result_.best_epoch == best
    assert same_weights(snapshot(model), states[best])


def test_a_run_that_never_beats_its_pca_start_keeps_it(table_X, fast):
    """Five epochs at a high learning rate never beat PCA's solution on these rows: the model stays PCA's
    (its validation loss is the start's), and the message says why."""
    model = Autoencoder(**dict(fast, epochs=5)).fit(table_X)
    assert model.result_.best_epoch == 0 and len(model.history_) == 5
    assert all(h["val_loss"] > 0 for h in model.history_)
    assert model.result_.message == ("Trained 5 epochs; kept the starting weights (PCA's solution): no epoch "
                                     "improved on them on the validation rows.")
    cancelled = threading.Event()
    cancelled.set()  # stopped before its first batch: the starting weights, PCA's solution
    start = Autoencoder(**dict(fast, epochs=5)).fit(table_X, cancel=cancelled)
    assert start.result_.epochs_run == 0
    np.testing.assert_array_equal(model.transform(table_X), start.transform(table_X))


def test_a_short_time_limit_says_a_longer_one_would_help(table_X, fast):
    model = Autoencoder(**dict(fast, epochs=1000, max_seconds=1e-6)).fit(table_X)
    assert model.result_.status == "time_limit"
    assert model.result_.message.endswith("A longer time limit would let it learn more.")


def test_cancel_after_epoch_2(table_X, fast):
    cancel, states = threading.Event(), {}

    def listener(report):
        states[report.epoch] = snapshot(model)
        if report.epoch == 2:
            cancel.set()

    model = Autoencoder(**dict(fast, epochs=50, pca_init=False))  # a random start: the epochs beat it
    assert model.fit(table_X, callback=listener, cancel=cancel) is model
    result = model.result_
    assert result.status == "cancelled"
    assert result.epochs_run == 2 and len(model.history_) == 2
    assert "Stopped by request after 2 epochs." in result.message
    assert result.best_epoch in (1, 2)
    assert same_weights(snapshot(model), states[result.best_epoch])  # the best so far, not the last
    codes = model.transform(table_X)  # still usable
    assert codes.shape == (len(table_X), 2) and np.isfinite(codes).all()


class CancelAfter(threading.Event):
    """An Event that reads as set from its (k+1)-th check on: a cancel landing inside an epoch."""

    def __init__(self, k: int):
        super().__init__()
        self.k, self.checks = k, 0

    def is_set(self) -> bool:
        self.checks += 1
        return self.checks > self.k


def test_cancel_within_an_epoch_stops_at_the_next_batch(table_X, fast):
    # 96 training rows in batches of 32: 3 checks in epoch 1, then one batch of epoch 2 runs.
    cancel = CancelAfter(4)
    model = Autoencoder(**dict(fast, epochs=50)).fit(table_X, cancel=cancel)
    assert model.result_.status == "cancelled"
    assert cancel.checks == 5  # no batch ran after the cancel was seen
    assert model.result_.epochs_run == 2  # the partial epoch is reported
    assert np.isfinite(model.transform(table_X)).all()


def test_cancel_before_start_keeps_initial_weights(table_X, fast):
    cancel = threading.Event()
    cancel.set()
    model = Autoencoder(**dict(fast, epochs=5)).fit(table_X, cancel=cancel)
    assert model.result_.status == "cancelled"
    assert model.result_.epochs_run == 0 and model.result_.best_epoch == 0 and model.history_ == []
    torch.manual_seed(fast["seed"])
    initial = build_network(model.config_)
    initial.start_at_pca(torch.from_numpy(np.asarray(table_X, np.float32)[model.split_["train"]]))  # pca_init
    assert same_weights(snapshot(model), initial.state_dict())
    assert model.transform(table_X).shape == (len(table_X), 2)


def test_divergence_on_huge_data(fast):
    X = np.random.default_rng(0).standard_normal((40, 4)).astype(np.float32) * 1e30  # finite, but MSE overflows
    assert np.isfinite(X).all()
    model = Autoencoder(**dict(fast, epochs=5)).fit(X)
    result = model.result_
    assert result.status == "diverged"
    assert "diverged" in result.message and "lower learning rate" in result.message
    assert result.best_epoch == 0
    assert all(torch.isfinite(p).all() for p in model.network_.parameters())
    assert np.isfinite(model.transform(X / 1e30)).all()


def test_divergence_mid_training_keeps_the_last_good_weights(table_X):
    net = tiny_net()
    real_loss, calls = net.loss, {"n": 0}

    def loss(x):  # fine for two epochs (3 batches each), NaN from the first batch of epoch 3
        calls["n"] += 1
        out = real_loss(x)
        return dict(out, loss=out["loss"] * math.nan) if calls["n"] > 6 else out

    net.loss = loss
    states = {}
    X = torch.from_numpy(table_X[:96])
    history, result = train(net, X, None, TrainSettings(epochs=10, batch_size=32, lr=1e-2),
                            callback=lambda r: states.update({r.epoch: {k: v.clone()
                                                                        for k, v in net.state_dict().items()}}))
    assert result.status == "diverged" and len(history) == 2
    assert result.best_epoch == min(history, key=lambda h: h["train_loss"])["epoch"]
    assert ("diverged in epoch 3" in result.message
            and f"Kept the weights of epoch {result.best_epoch}" in result.message)
    assert same_weights(net.state_dict(), states[result.best_epoch])
    assert all(torch.isfinite(p).all() for p in net.parameters())


def test_divergence_on_validation(table_X):
    net = tiny_net()
    X_val = torch.full((8, 6), 1e30)
    history, result = train(net, torch.from_numpy(table_X), X_val, TrainSettings(epochs=5, batch_size=32))
    assert result.status == "diverged" and "validation loss" in result.message
    assert result.best_epoch == 0 and history == []


def test_early_stopping(table_X, fast):
    # A learning rate so small that the validation loss cannot improve on the start's by the 0.01% that counts.
    model = Autoencoder(**dict(fast, epochs=100, lr=1e-9, patience=1)).fit(table_X)
    result = model.result_
    assert result.status == "early_stopped"
    assert result.epochs_run == 1 and result.best_epoch == 0
    assert "Stopped early after 1 epoch" in result.message and "not improved for 1 epoch." in result.message


def test_no_validation_uses_training_loss(table_X, fast):
    model = Autoencoder(**dict(fast, epochs=3, validation=0.0, test=0.0)).fit(table_X)
    assert len(model.split_["train"]) == len(table_X)
    assert all(h["val_loss"] is None for h in model.history_)
    assert model.result_.best_epoch == min(model.history_, key=lambda h: h["train_loss"])["epoch"]


def test_max_seconds(table_X, fast):
    reports = []
    # patience as long as the run, so a fast machine cannot stop early before the clock does
    model = Autoencoder(**dict(fast, epochs=100_000, max_seconds=0.5, patience=100_000)).fit(
        table_X, callback=reports.append)
    result = model.result_
    assert result.status in ("time_limit", "completed")
    assert result.epochs_run < 100_000
    assert "0.5 s time limit" in result.message
    assert result.seconds < 10  # the limit, plus at most an epoch and a slow machine's slack
    assert reports[-1].epochs < 100_000  # the plan was fitted to the time limit


def test_an_epoch_longer_than_the_time_limit_is_cut_short(table_X, fast, monkeypatch):
    import itertools

    from aecore import training

    clock = itertools.count(step=1.0)  # every reading of the clock is a second later: no real timing
    monkeypatch.setattr(training.time, "perf_counter", lambda: next(clock))
    model = Autoencoder(**dict(fast, epochs=5, batch_size=4, max_seconds=3)).fit(table_X)  # 24 batches an epoch
    result = model.result_
    assert result.status == "time_limit"
    assert result.epochs_run == 1
    assert "rows into epoch 1." in result.message
    seen = int(result.message.split(" time limit ")[1].split(" of ")[0])
    assert 0 < seen < 96 and seen % 4 == 0  # whole batches, fewer than the epoch's rows
    assert np.isfinite(model.transform(table_X)).all()


def test_the_planned_epochs_finish_within_the_grace(table_X, fast, monkeypatch):
    from aecore import training

    monkeypatch.setattr(training, "TIME_LIMIT_GRACE", 1e9)  # no epoch is ever cut
    model = Autoencoder(**dict(fast, epochs=3, max_seconds=0.001)).fit(table_X)
    assert "rows into epoch" not in model.result_.message


def test_cosine_schedule_and_time_plan():
    assert cosine(0, 100) == pytest.approx(1.0)
    assert cosine(50, 100) == pytest.approx(0.525)
    assert cosine(100, 100) == pytest.approx(0.05)
    assert cosine(500, 100) == pytest.approx(0.05)
    assert fit_in_time(100, 1, 0.5, 10.0) == 20
    assert fit_in_time(100, 1, 8.5, 15.0) == 2  # the second epoch starts within the limit: cut there
    assert fit_in_time(100, 1, 0.01, 10.0) == 100
    assert fit_in_time(100, 5, 20.0, 10.0) == 5  # never fewer than done


def test_evaluate_is_repeatable_for_stochastic_objectives():
    torch.manual_seed(0)
    net = build_network(ModelConfig("dense", "vae", [6], 2, [8]))
    X = torch.randn(20, 6)
    assert evaluate(net, X) == evaluate(net, X)
    assert net.training  # evaluate restores train mode


def test_batched():
    X = torch.arange(10.0).reshape(10, 1)
    assert torch.equal(batched(lambda x: x * 2, X, batch=3), X * 2)
    assert batched(lambda x: x * 2, X[:0]).shape == (0, 1)


def test_batched_moves_one_chunk_at_a_time_and_returns_cpu_results():
    """Chunks go to the device as they are used (the meta device stands in for a GPU: it records
    shapes, holds no data), and what fn returns comes back on the CPU."""
    X = torch.arange(10.0).reshape(10, 1)
    seen = []

    def fn(x):
        seen.append((x.device.type, len(x)))
        return torch.zeros(len(x), 2)  # a CPU result, as a GPU's would be before .cpu()

    out = batched(fn, X, batch=4, device="meta")
    assert seen == [("meta", 4), ("meta", 4), ("meta", 2)] and X.device.type == "cpu"
    assert out.shape == (10, 2) and out.device.type == "cpu"
    assert batched(fn, X[:0], device="meta").shape == (0, 2)


def test_rows_on_the_data_s_own_device_is_plain_indexing():
    """On the CPU a batch is an index slice of the one tensor, as before: nothing is copied or moved."""
    from aecore.training import rows_on

    X = torch.arange(12.0).reshape(6, 2)
    rows = rows_on(X, torch.device("cpu"), 4)
    assert rows == X.__getitem__
    idx = torch.tensor([4, 0])
    assert torch.equal(rows(idx), X[idx]) and rows(slice(2, 4)).data_ptr() == X[2:4].data_ptr()
    moved = rows_on(X, torch.device("meta"), 4)(idx)
    assert moved.device.type == "meta" and moved.shape == (2, 2)


def test_training_keeps_the_data_where_it_is(table_X):
    """The trainer moves batches, never the data: X_train and X_val are the tensors passed in."""
    net = build_network(ModelConfig("dense", "plain", [6], 2, [16]))
    X = torch.from_numpy(table_X)
    X_train, X_val = X[:100], X[100:]
    ptrs = (X_train.data_ptr(), X_val.data_ptr())
    train(net, X_train, X_val, TrainSettings(epochs=2, batch_size=32))
    assert (X_train.data_ptr(), X_val.data_ptr()) == ptrs and X_train.device.type == "cpu"


def test_mixed_precision_is_refused_on_the_cpu():
    from aecore import ConfigError

    net = build_network(ModelConfig("dense", "plain", [6], 2, [16]))
    X = torch.randn(20, 6)
    with pytest.raises(ConfigError, match="needs a CUDA GPU"):
        train(net, X, None, TrainSettings(epochs=1, precision="fp16"))


def test_pinned_rows_gather_into_one_buffer_and_wait_for_the_last_copy(monkeypatch):
    """The GPU path's staging logic on the CPU: the pinned buffer is an ordinary tensor here, the copy
    goes to the meta device and the CUDA event is a stand-in that records the waits."""
    from aecore import training

    events = []

    class Event:
        def record(self):
            events.append("record")

        def synchronize(self):
            events.append("wait")

    monkeypatch.setattr(training.torch.cuda, "Event", Event)
    real_empty = torch.empty
    monkeypatch.setattr(training.torch, "empty", lambda *a, pin_memory=False, **k: real_empty(*a, **k))
    X = torch.arange(20.0).reshape(10, 2)
    rows = training.PinnedRows(X, torch.device("meta"), 4)
    assert rows.buffer.shape == (4, 2)
    first = rows(torch.tensor([7, 1, 3]))
    assert first.device.type == "meta" and first.shape == (3, 2)
    assert torch.equal(rows.buffer[:3], X[[7, 1, 3]])
    rows(slice(8, 10))
    assert torch.equal(rows.buffer[:2], X[8:10])
    assert events == ["record", "wait", "record"]  # the buffer is refilled only after the last copy


def test_training_rows_of_the_whole_data_train_as_their_copy_would(table_X):
    X = torch.from_numpy(np.asarray(table_X, np.float32))
    rows = torch.arange(0, len(X), 2)  # every other row
    settings = TrainSettings(epochs=2, batch_size=8)
    on_copy, on_rows = tiny_net(), tiny_net()
    train(on_copy, X[rows], None, settings)
    history, result = train(on_rows, X, None, settings, train_rows=rows)
    assert same_weights(snapshot_net(on_copy), snapshot_net(on_rows))  # the same batches in the same order
    assert result.epochs_run == 2 and history[-1]["samples_per_s"] > 0
