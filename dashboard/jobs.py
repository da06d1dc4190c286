"""Training in a background thread, one per session, so the page stays live: clicks and reruns do not
abort it. The UI's progress fragment (run_every) reads the job's `phase`, `reports`, `progress()` and
`eta()`, and installs `result` when the phase is DONE. Stop sets `cancel`, an Event the trainer checks
every batch; the best model so far is kept."""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from aecore import Autoencoder, Dataset, EpochReport, PcaComparison, TrainStatus, compare_with_pca
from aecore.compression import SweepPoint, sweep
from aecore.errors import AecoreError
from aecore.explore import Exploration, explore

from . import timing

MAPPING_SHARE = 0.05  # of the progress bar: the PCA comparison and the map after the last epoch


class JobPhase(StrEnum):
    STARTING = "starting"
    TRAINING = "training"
    MAPPING = "mapping"    # training is over: PCA comparison, codes, errors and the map
    DONE = "done"          # `result` is ready to install
    FAILED = "failed"      # `error` says why; nothing is installed

    @property
    def running(self) -> bool:
        return self in (JobPhase.STARTING, JobPhase.TRAINING, JobPhase.MAPPING)


@dataclass
class JobResult:
    model: Autoencoder
    exploration: Exploration
    comparison: PcaComparison


@dataclass
class TrainingJob:
    dataset: Dataset
    params: dict
    projection: str = "umap"
    source: str = ""
    reports: list[EpochReport] = field(default_factory=list)
    phase: JobPhase = JobPhase.STARTING
    result: JobResult | None = None
    error: str | None = None
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> TrainingJob:
        self.thread = threading.Thread(target=self._run, name="aecore-train", daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            model = Autoencoder(**self.params)
            self.phase = JobPhase.TRAINING
            model.fit(self.dataset, callback=self.reports.append, cancel=self.cancel)
            if model.result_.status == TrainStatus.DIVERGED:
                self.error = model.result_.message + " Your previous model and map are unchanged."
                self.phase = JobPhase.FAILED
                return
            self.phase = JobPhase.MAPPING
            comparison = compare_with_pca(model, self.dataset)
            exploration = explore(model, self.dataset, self.projection)
            self.result = JobResult(model, exploration, comparison)
            timing.record("job", rows=self.dataset.n, train_s=model.result_.seconds, total_s=self.elapsed,
                          **{f"{k}_s": v for k, v in exploration.timings.items()})
            self.phase = JobPhase.DONE
        except AecoreError as exc:
            self.error, self.phase = str(exc), JobPhase.FAILED
        except Exception as exc:  # a bug must not leave the page spinning forever
            self.error = f"Training failed unexpectedly: {type(exc).__name__}: {exc}"
            self.phase = JobPhase.FAILED
        finally:
            self.finished = time.perf_counter()

    @property
    def running(self) -> bool:
        return self.phase.running

    @property
    def elapsed(self) -> float:
        return (self.finished or time.perf_counter()) - self.started

    def progress(self) -> float:
        """0..1: epochs done over epochs planned (mapping is the last MAPPING_SHARE)."""
        if not self.phase.running:
            return 1.0
        if not self.reports:
            return 0.0
        last = self.reports[-1]
        frac = last.epoch / last.epochs
        if self.params.get("max_seconds"):
            frac = max(frac, min(1.0, last.elapsed / self.params["max_seconds"]))
        done = MAPPING_SHARE if self.phase == JobPhase.MAPPING else 0.0
        return (1 - MAPPING_SHARE) * min(frac, 1.0) + done

    def eta(self) -> float | None:
        """Seconds left in training, from the pace so far (None before the first epoch)."""
        if not self.reports or self.phase != JobPhase.TRAINING:
            return None
        last = self.reports[-1]
        left = (last.epochs - last.epoch) * last.elapsed / last.epoch
        if self.params.get("max_seconds"):
            left = min(left, max(0.0, self.params["max_seconds"] - last.elapsed))
        return left


def dataset_fingerprint(X) -> str:
    """What a sweep is cached under: the data's bytes and shape (the same data uploaded twice shares it)."""
    h = hashlib.sha1(str(X.shape).encode())
    h.update(memoryview(np.ascontiguousarray(X)).cast("B"))
    return h.hexdigest()


@dataclass
class SweepJob:
    """The compression view's latent-size sweep (aecore.compression.sweep) in a background thread: small
    models, one per latent size, whose points the chart draws as they arrive."""
    X: object
    latents: list[int]
    seconds_each: float
    base_params: dict
    points: list[SweepPoint] = field(default_factory=list)
    error: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> SweepJob:
        self.thread = threading.Thread(target=self._run, name="aecore-sweep", daemon=True)
        self.thread.start()
        return self

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
