"""AppTest: training in the background. A sidebar run installs a new model and map; Stop keeps the best
model so far; a run that fails (a refused setting, a diverging loss) reports an error and leaves the
previous model and map in place."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from aecore.samples import load_sample
from dashboard.explore_panel import map_key
from dashboard.jobs import TrainingJob
from dashboard.training_panel import ADVANCED_KEY
from tests.fixtures_ui import (
    by_label,
    fast_training,
    make_csv,
    open_view,
    texts,
    wait_for_training,
    wait_until,
    ws,
)


def click_train(at):
    at.button(key="train_button").click().run()
    assert not at.exception, at.exception
    return at


def test_sidebar_train_replaces_model_and_map(app):
    fast_training(app)
    old = ws(app)
    before_version, before_model = old.version, old.model
    click_train(app)
    job = ws(app).job
    assert job is not None and job.params["max_seconds"] == 3 and job.projection == "pca"
    wait_for_training(app)
    w = ws(app)
    assert w.version == before_version + 1
    assert w.model is not before_model
    assert w.dataset.n == 1797 and w.ready
    assert w.exploration.projection == "pca"
    assert map_key(w) in app.session_state
    assert app.success and "Map ready" in app.success[0].value


def test_stop_keeps_the_best_model_so_far(app):
    fast_training(app, seconds=300)
    # conv: slow epochs and no PCA start, so the run is still going when Stop is pressed, on any machine
    app.session_state["train_model"] = "conv"
    before = ws(app).version
    click_train(app)
    wait_until(app, lambda: ws(app).job is None or len(ws(app).job.reports) >= 2, what="two epochs")
    app.run()  # render once more: the condition was met after the last render drew the page
    job = ws(app).job
    assert job is not None and job.phase == "training", "the run ended before Stop could be pressed"
    train = app.button(key="train_button")
    assert train.disabled, "no second run while one is training"
    assert train.label == "Training on digits…", "the button names what trains, not what the next run would"
    assert "Epoch" in texts(app) or any("Epoch" in p.proto.text for p in app.get("progress"))
    stop = by_label(app.button, "Stop")
    assert not stop.disabled
    stop.click().run()
    assert job.cancel.is_set()
    wait_for_training(app, timeout=60)
    w = ws(app)
    assert w.version == before + 1, "a stopped run still installs its best model"
    assert w.model.result_.status == "cancelled"
    assert w.model.history_, "the epochs trained before Stop are kept"
    assert any("Stopped by request" in s.value for s in [*app.success, *app.warning])
    assert map_key(w) in app.session_state


def run_job(at, dataset, **params) -> None:
    """Start a TrainingJob on the session as the sidebar would, and poll it to its end."""
    base = dict(model="dense", latent_dim=4, epochs=5, max_seconds=10.0, batch_size=64, lr=1e-3, hidden=[16])
    ws(at).job = TrainingJob(dataset, {**base, **params}, projection="pca", source="test run").start()
    wait_for_training(at)


def test_refused_learning_rate_reports_and_keeps_previous_model(app):
    before = ws(app)
    version, model, exploration = before.version, before.model, before.exploration
    run_job(app, load_sample("wine"), lr=1e6)
    w = ws(app)
    assert (w.version, w.model, w.exploration) == (version, model, exploration)
    assert w.dataset.n == 1797, "the previous data stays"
    errors = [e.value for e in app.error]
    assert any("learning rate" in e for e in errors), errors
    assert map_key(w) in app.session_state


def test_diverging_run_reports_and_keeps_previous_model(app):
    before = ws(app)
    version, model = before.version, before.model
    wine = load_sample("wine")
    X = wine.X.copy()
    X[0, 0] = 3e38  # its squared error overflows float32: the very first loss is infinite
    run_job(app, replace(wine, X=X))
    w = ws(app)
    assert w.version == version and w.model is model
    errors = [e.value for e in app.error]
    assert any("diverged" in e and "previous model and map are unchanged" in e for e in errors), errors
    assert map_key(w) in app.session_state


def test_failed_job_unit():
    """The job itself: a refused parameter ends in 'failed' with a message, never an exception."""
    job = TrainingJob(load_sample("wine"), dict(lr=1e6, epochs=1), projection="pca").start()
    job.thread.join(30)
    assert job.phase == "failed" and not job.running
    assert "lr" in job.error and job.result is None
    assert job.progress() == 1.0 and job.eta() is None


def test_job_progress_runs_to_done():
    wine = load_sample("wine")
    job = TrainingJob(wine, dict(latent_dim=2, epochs=3, hidden=[8]), projection="pca").start()
    job.thread.join(60)
    assert job.phase == "done", job.error
    assert [r.epoch for r in job.reports] == [1, 2, 3]
    assert job.result.exploration.xy.shape == (wine.n, 2)
    assert np.isfinite(job.result.exploration.errors).all()
    assert job.progress() == 1.0


def test_advanced_settings_are_drawn_only_while_open_and_keep_their_values(app):
    assert "train_seconds" not in [w.key for w in app.number_input], "closed by default"
    app.session_state[ADVANCED_KEY] = True
    app.run()
    app.number_input(key="train_seconds").set_value(4).run()
    app.session_state[ADVANCED_KEY] = False
    app.run()
    assert "train_seconds" not in [w.key for w in app.number_input], "closed: not on the page"
    assert app.session_state["train_seconds"] == 4, "closed: the value is kept"
    app.session_state[ADVANCED_KEY] = True
    app.run()
    assert app.number_input(key="train_seconds").value == 4


def test_changed_settings_apply_to_a_csv_run(app):
    app.session_state[ADVANCED_KEY] = True
    app.run()
    app.number_input(key="train_seconds").set_value(4)
    app.radio(key="train_projection").set_value("pca")
    app.segmented_control(key="source_kind").set_value("Table").run()
    # 12 rows: whatever the projection setting, the map falls back to PCA (< 16 rows), so no UMAP compile here
    app.file_uploader(key="csv_upload").set_value(("tiny.csv", make_csv(12), "text/csv")).run()
    app.button(key="table_train").click().run()
    job = ws(app).job
    assert job is not None
    job.cancel.set()
    wait_for_training(app)
    assert (job.params["max_seconds"], job.projection) == (4, "pca")


class Occupant:
    """Something already holding every slot of the shared pool (another session's long run)."""

    def __init__(self):
        import threading

        self.cancel = threading.Event()
        self.session_id = None

    def abandon(self):
        self.cancel.set()


def test_a_queued_run_shows_its_place_and_stop_leaves_the_line(app):
    from dashboard.pool import shared_pool

    pool = shared_pool()
    occupants = [Occupant() for _ in range(pool.workers)]
    for o in occupants:
        assert pool.acquire(o)
    try:
        fast_training(app)
        before = ws(app).version
        click_train(app)
        job = ws(app).job
        assert job.phase == "queued" and job.queue_position() == 1
        progress = " ".join(p.proto.text for p in app.get("progress"))
        assert "Waiting for a free trainer: you are 1st in line" in progress
        by_label(app.button, "Stop").click().run()
        wait_until(app, lambda: ws(app).job is None, what="the queued run to leave")
        assert ws(app).version == before, "nothing installed"
        assert any("Stopped while waiting for a free trainer" in w.value for w in app.warning)
        wait_until(app, lambda: pool.waiting == 0, timeout=5, what="the line to empty")
    finally:
        for o in occupants:
            pool.release(o)


def test_stop_while_the_map_is_drawn_keeps_the_previous_model(app, monkeypatch):
    """UMAP cannot be interrupted: Stop during the map drops the run at once, whatever UMAP still does."""
    import threading

    import dashboard.jobs as jobs

    release = threading.Event()
    real_explore = jobs.explore

    def slow_explore(*args, **kw):
        release.wait(30)
        return real_explore(*args, **kw)

    monkeypatch.setattr(jobs, "explore", slow_explore)
    fast_training(app, seconds=1)
    before = ws(app).version
    click_train(app)
    wait_until(app, lambda: ws(app).job is None or ws(app).job.phase == "mapping", what="the map phase")
    job = ws(app).job
    assert job is not None and job.phase == "mapping"
    by_label(app.button, "Stop").click().run()
    assert job.phase == "stopped", "Stop takes effect at once, not after the map"
    wait_until(app, lambda: ws(app).job is None, what="the stopped run to clear")
    assert ws(app).version == before and any("previous model and map are unchanged" in w.value for w in app.warning)
    release.set()
    job.thread.join(30)
    assert job.result is None, "the map finished after Stop is dropped"


def test_the_mapping_stage_says_how_the_map_is_made():
    """A model with a 2-number code has no projection to wait for: its codes are the map."""
    from types import SimpleNamespace

    from dashboard.jobs import JobPhase
    from dashboard.training_panel import progress_text

    job = SimpleNamespace(phase=JobPhase.MAPPING, reports=[], projection="umap", latent_dim=8, elapsed=4.2)
    assert progress_text(job) == "Training done; drawing the map (UMAP)… 4 s"
    job.latent_dim = 2
    assert progress_text(job) == "Training done; drawing the map (its 2-number codes are the map)… 4 s"


def test_two_epochs_get_a_sentence_not_a_chart_of_two_dots(app):
    fast_training(app)
    app.session_state["train_epochs"] = 2
    click_train(app)
    wait_for_training(app)
    assert len(ws(app).model.history_) == 2
    open_view(app, "Training")
    assert "2 epoch(s) trained: too few for a loss curve." in texts(app)
    assert not any(c.proto.id and "loss_" in c.proto.id for c in app.get("plotly_chart"))
