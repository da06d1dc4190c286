"""Background jobs in the shared pool: a closed tab's run is stopped and nothing keeps its data alive;
Stop while waiting or while the map is drawn ends the run at once."""
from __future__ import annotations

import gc
import threading
import time
import weakref

import numpy as np

from aecore import images_from_array
from dashboard.jobs import JobPhase, TrainingJob
from dashboard.pool import SESSION_GRACE_S, WorkPool


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def slow_params() -> dict:
    # conv without a PCA start: epochs slow enough that the run is still training when the tab closes
    return dict(model="conv", latent_dim=2, epochs=400, hidden=[8, 16], pca_init=False, seed=0)


def test_a_closed_tabs_run_stops_and_frees_its_data(digit_images):
    alive = {"tab": True}
    pool = WorkPool(1, alive=lambda sid: alive.get(sid, True))
    job = TrainingJob(images_from_array(digit_images), slow_params(), projection="pca", session_id="tab", pool=pool)
    job.start()
    wait_until(lambda: len(job.reports) >= 1)
    alive["tab"] = False  # the browser tab is closed
    assert pool.check_sessions(time.monotonic()) == []  # a blip is not a close
    assert pool.check_sessions(time.monotonic() + SESSION_GRACE_S) == [job]
    assert job.phase == JobPhase.STOPPED
    job.thread.join(30)
    assert not job.thread.is_alive() and job.result is None and pool.running == 0
    data = weakref.ref(job.dataset)
    job = None  # what the session's state held, gone with the session
    gc.collect()
    assert data() is None, "nothing (the pool, a thread) keeps a closed session's data alive"


def test_stop_while_waiting_ends_at_once(digit_images):
    pool = WorkPool(1)
    blocker = threading.Event()

    class Holder:
        cancel, session_id = threading.Event(), None

        def abandon(self):
            self.cancel.set()

    holder = Holder()
    pool.run(holder, lambda: blocker.wait(30), lambda: None)
    wait_until(lambda: pool.running == 1)
    job = TrainingJob(images_from_array(digit_images), slow_params(), session_id=None, pool=pool).start()
    wait_until(lambda: job.queue_position() == 1)
    started = time.monotonic()
    job.stop()
    assert job.phase == JobPhase.STOPPED and time.monotonic() - started < 2.0
    assert "waiting for a free trainer" in job.error
    blocker.set()
    job.thread.join(30)
    assert job.result is None and job.reports == []


def test_stop_during_training_keeps_the_best_model(digit_images):
    job = TrainingJob(images_from_array(digit_images), slow_params(), projection="pca", session_id=None,
                      pool=WorkPool(1)).start()
    wait_until(lambda: len(job.reports) >= 2)
    started = time.monotonic()
    job.stop()
    wait_until(lambda: job.phase in (JobPhase.DONE, JobPhase.FAILED, JobPhase.STOPPED), timeout=30)
    assert job.phase == JobPhase.DONE and job.result.model.result_.status == "cancelled"
    assert np.isfinite(job.result.exploration.xy).all()
    assert time.monotonic() - started < 10  # the epoch's batch, the PCA comparison and a PCA map


def test_nn_descent_is_compiled_only_for_data_that_may_need_it(monkeypatch):
    from aecore import projection
    from dashboard import jobs

    compiled = []
    monkeypatch.setattr(projection, "_warm_seconds", {})
    monkeypatch.setattr(jobs, "warm_up", lambda exact: compiled.append(exact) or 1.0)
    assert jobs.warm_up_for(projection.EXACT_KNN_ROWS, 8) is None  # a map this size finds neighbours exactly
    assert jobs.warm_up_for(1_000_000, 2) is None  # 2-D codes are the map: no UMAP at all
    thread = jobs.warm_up_for(projection.EXACT_KNN_ROWS + 1, 8)
    thread.join(5)
    assert compiled == [False]
    monkeypatch.setattr(projection, "_warm_seconds", {False: 40.0})
    assert jobs.warm_up_for(1_000_000, 8) is None  # compiled already


def test_a_job_whose_codes_are_the_map_compiles_nothing(monkeypatch):
    """Six table features get 2-D codes by default: drawn as they are, so no NN-descent compile competes
    with the training."""
    import pandas as pd

    from aecore import Autoencoder, table_dataset
    from dashboard import jobs

    asked = []
    monkeypatch.setattr(jobs, "warm_up_for", lambda rows, latent: asked.append((rows, latent)))
    table = pd.DataFrame(np.random.default_rng(0).standard_normal((50, 6)), columns=list("abcdef"))
    data = table_dataset(table)
    job = jobs.TrainingJob(data, {"epochs": 1}, session_id=None).start()
    job.thread.join(60)
    assert asked == [(50, 2)] and Autoencoder().latent_size(6) == 2 and Autoencoder(latent_dim=5).latent_size(6) == 5


def test_a_long_first_epoch_moves_the_progress_bar_by_the_time_limit(digit_images):
    from dashboard.jobs import MAPPING_SHARE
    from dashboard.training_panel import progress_text

    job = TrainingJob(images_from_array(digit_images), {"max_seconds": 10}, projection="pca", session_id=None)
    job.phase, job.training_since = JobPhase.TRAINING, time.perf_counter() - 4  # 4 s in, no epoch reported yet
    assert abs(job.progress() - (1 - MAPPING_SHARE) * 0.4) < 0.02
    assert 5.5 < job.eta() <= 6.0
    assert progress_text(job).startswith(f"Epoch 1 on {len(digit_images):,} rows") and "s left" in progress_text(job)
    job.params = {}  # no limit: nothing to say before the first epoch ends
    assert job.progress() == 0.0 and job.eta() is None
    assert progress_text(job).startswith("Starting training")
