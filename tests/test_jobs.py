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
    last = job.watcher_frames()[-1]  # the replay ends on the model kept, the one the map shows
    assert last.kept and last.epoch == job.result.model.result_.best_epoch


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
