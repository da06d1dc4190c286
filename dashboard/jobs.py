"""Background work for one session, run in the server's shared pool (pool.py) so the page stays live:
clicks and reruns do not abort it, and at most a few jobs compete for the CPU at once.

`TrainingJob`: fit, PCA comparison and map. The UI's progress fragment (run_every) reads its `phase`,
`reports`, `progress()`, `eta()` and `queue_position()`, and installs `result` when the phase is DONE.
Stop during training sets `cancel`, which the trainer checks every batch, and the best model so far is
kept and mapped; Stop while waiting or while drawing the map drops the run at once (STOPPED) and the
previous model stays. `SweepJob`: the compression view's latent-size sweep."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum

from aecore import Autoencoder, Dataset, EpochReport, PcaComparison, TrainStatus, compare_with_pca
from aecore.compression import SweepPoint, sweep
from aecore.dataset import category_values
from aecore.errors import AecoreError
from aecore.explore import Exploration, explore
from aecore.watch import Watcher, sample_for_watching

from . import timing
from .pool import WorkPool, shared_pool

MAPPING_SHARE = 0.05  # of the progress bar: the PCA comparison and the map after the last epoch
UNCHANGED = "Your previous model and map are unchanged."


class JobPhase(StrEnum):
    QUEUED = "queued"      # waiting for a free slot in the shared pool
    STARTING = "starting"
    TRAINING = "training"
    MAPPING = "mapping"    # training is over: PCA comparison, codes, errors and the map
    DONE = "done"          # `result` is ready to install
    FAILED = "failed"      # `error` says why; nothing is installed
    STOPPED = "stopped"    # stopped before there was a model to keep; nothing is installed

    @property
    def running(self) -> bool:
        return self in (JobPhase.QUEUED, JobPhase.STARTING, JobPhase.TRAINING, JobPhase.MAPPING)


STOPPED_IN = {JobPhase.QUEUED: "Stopped while waiting for a free trainer.",
              JobPhase.STARTING: "Stopped before training began.",
              JobPhase.TRAINING: "Stopped during training.",
              JobPhase.MAPPING: "Stopped while the map was drawn."}


def current_session() -> str | None:
    """The browser session whose script is running (None outside a script run, as in a plain thread)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


@dataclass
class JobResult:
    model: Autoencoder
    exploration: Exploration
    comparison: PcaComparison


@dataclass(eq=False)  # a job is itself: equality by identity, never by comparing its data
class TrainingJob:
    dataset: Dataset
    params: dict
    projection: str = "umap"
    source: str = ""
    reports: list[EpochReport] = field(default_factory=list)
    phase: JobPhase = JobPhase.QUEUED
    result: JobResult | None = None
    error: str | None = None
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    session_id: str | None = field(default_factory=current_session)
    pool: WorkPool | None = None
    abandoned: bool = False
    queued_s: float = 0.0  # seconds spent waiting for a slot in the pool
    training_since: float | None = None  # when fit began (perf_counter): the clock the progress bar reads
    watcher: Watcher | None = None  # frames of the latent space as it forms (the live map, then the replay)
    latent_dim: int | None = None  # the trained model's, once fit is done (a 2-number code is the map itself)
    thread: threading.Thread | None = None

    def __post_init__(self):
        self.watch_rows = sample_for_watching(self.dataset.n)
        label = self.dataset.label
        self.watch_labels = category_values(self.dataset.meta[label].iloc[self.watch_rows]) if label else None

    def on_epoch(self, report: EpochReport) -> None:
        self.reports.append(report)
        if self.watcher is not None:
            self.watcher(report)

    def watcher_frames(self) -> list:
        return self.watcher.frames if self.watcher is not None else []

    def start(self) -> TrainingJob:
        self.pool = self.pool or shared_pool()
        self.thread = self.pool.run(self, self._run, self._stopped_waiting, name="aecore-train")
        return self

    def stop(self) -> None:
        """The Stop button: during training, finish the epoch's batch and keep the best model so far;
        while waiting or drawing the map, drop the run now (the map's computation is discarded)."""
        if self.phase in (JobPhase.QUEUED, JobPhase.STARTING, JobPhase.MAPPING):
            self.abandon()
        else:
            self.cancel.set()

    def abandon(self) -> None:
        self.abandoned = True
        self.cancel.set()
        self._end(JobPhase.STOPPED, STOPPED_IN.get(self.phase, "Stopped.") + " " + UNCHANGED)

    def _end(self, phase: JobPhase, error: str | None = None) -> None:
        """The run's one ending: the first to end it (the run itself, Stop, the pool) says how."""
        if self.phase.running:
            self.error, self.phase = error, phase
            self.finished = time.perf_counter()

    def _stopped_waiting(self) -> None:
        self._end(JobPhase.STOPPED, STOPPED_IN[JobPhase.QUEUED] + " " + UNCHANGED)

    def _run(self) -> None:
        self.queued_s = time.perf_counter() - self.started
        try:
            if self.abandoned:
                return
            self.phase = JobPhase.STARTING
            model = Autoencoder(**self.params)
            self.watcher = Watcher(self.dataset.X[self.watch_rows], model=model)
            self.phase, self.training_since = JobPhase.TRAINING, time.perf_counter()
            model.fit(self.dataset, callback=self.on_epoch, cancel=self.cancel)
            if model.result_.status == TrainStatus.DIVERGED:
                self._end(JobPhase.FAILED, model.result_.message + " " + UNCHANGED)
                return
            if self.abandoned:
                return
            self.watcher.finish(model.result_.best_epoch, model.result_.seconds)
            self.latent_dim = model.config_.latent_dim
            self.phase = JobPhase.MAPPING
            comparison = compare_with_pca(model, self.dataset)
            exploration = explore(model, self.dataset, self.projection, seed=model.seed)
            if self.abandoned:  # stopped while the map was drawn: its result is dropped
                return
            self.result = JobResult(model, exploration, comparison)
            timing.record("job", rows=self.dataset.n, queued_s=self.queued_s, train_s=model.result_.seconds,
                          total_s=self.elapsed,
                          **{f"{k}_s": v for k, v in exploration.timings.items()})
            self._end(JobPhase.DONE)
        except AecoreError as exc:
            self._end(JobPhase.FAILED, str(exc))
        except Exception as exc:  # a bug must not leave the page spinning forever
            self._end(JobPhase.FAILED, f"Training failed unexpectedly: {type(exc).__name__}: {exc}")

    @property
    def running(self) -> bool:
        return self.phase.running

    @property
    def elapsed(self) -> float:
        return (self.finished or time.perf_counter()) - self.started

    def queue_position(self) -> int | None:
        return self.pool.position(self) if self.pool is not None and self.phase == JobPhase.QUEUED else None

    @property
    def training_seconds(self) -> float:
        """Seconds since fit began (0 before)."""
        return 0.0 if self.training_since is None else time.perf_counter() - self.training_since

    def progress(self) -> float:
        """0..1: epochs done over epochs planned, or under a time limit the share of it used when that is
        more (a first epoch of a million rows runs the whole limit); mapping is the last MAPPING_SHARE."""
        if not self.phase.running:
            return 1.0
        last = self.reports[-1] if self.reports else None
        frac = last.epoch / last.epochs if last else 0.0
        if self.params.get("max_seconds"):
            frac = max(frac, self.training_seconds / self.params["max_seconds"])
        done = MAPPING_SHARE if self.phase == JobPhase.MAPPING else 0.0
        return (1 - MAPPING_SHARE) * min(frac, 1.0) + done

    def eta(self) -> float | None:
        """Seconds left in training, from the pace so far, or what is left of the time limit (None before
        the first epoch without a limit)."""
        if self.phase != JobPhase.TRAINING:
            return None
        limit = self.params.get("max_seconds")
        left_in_limit = max(0.0, limit - self.training_seconds) if limit else None
        if not self.reports:
            return left_in_limit
        last = self.reports[-1]
        left = (last.epochs - last.epoch) * last.elapsed / last.epoch
        return left if left_in_limit is None else min(left, left_in_limit)


@dataclass(eq=False)
class SweepJob:
    """The compression view's latent-size sweep (aecore.compression.sweep), in the shared pool: small
    models, one per latent size, whose points the chart draws as they arrive."""
    X: object
    latents: list[int]
    seconds_each: float
    base_params: dict
    points: list[SweepPoint] = field(default_factory=list)
    error: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    session_id: str | None = field(default_factory=current_session)
    pool: WorkPool | None = None
    thread: threading.Thread | None = None

    def start(self) -> SweepJob:
        self.pool = self.pool or shared_pool()
        self.thread = self.pool.run(self, self._run, lambda: None, name="aecore-sweep")
        return self

    def abandon(self) -> None:
        self.cancel.set()

    def _run(self) -> None:
        try:
            sweep(self.X, self.latents, self.seconds_each, cancel=self.cancel, on_point=self.points.append,
                  base_params=self.base_params)
        except AecoreError as exc:
            self.error = str(exc)
        except Exception as exc:  # a bug must not leave the chart waiting forever
            self.error = f"The sweep failed unexpectedly: {type(exc).__name__}: {exc}"

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()
