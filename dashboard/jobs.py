"""Training in a background thread, one per session, so the page stays live: clicks and reruns do not
abort it. The UI polls `snapshot()` from a fragment with run_every and installs the result when done.
Stop sets an Event the trainer checks every batch; the best model so far is kept."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from aecore import Autoencoder, Dataset, EpochReport
from aecore.baseline import compare_with_pca
from aecore.errors import AecoreError
from aecore.explore import Exploration, explore

from . import timing


@dataclass
class JobResult:
    model: Autoencoder
    exploration: Exploration
    comparison: dict


@dataclass
class TrainingJob:
    dataset: Dataset
    params: dict
    projection: str = "umap"
    source: str = ""
    reports: list[EpochReport] = field(default_factory=list)
    phase: str = "starting"        # starting | training | mapping | done | failed
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
            self.phase = "training"
            model.fit(self.dataset, callback=self.reports.append, cancel=self.cancel)
            if model.result_.status == "diverged":
                self.error = model.result_.message + " Your previous model and map are unchanged."
                self.phase = "failed"
                return
            self.phase = "mapping"
            comparison = compare_with_pca(model, self.dataset)
            exploration = explore(model, self.dataset, self.projection)
            self.result = JobResult(model, exploration, comparison)
            timing.record("job", rows=self.dataset.n, train_s=model.result_.seconds, total_s=self.elapsed,
                          **{f"{k}_s": v for k, v in exploration.timings.items()})
            self.phase = "done"
        except AecoreError as exc:
            self.error, self.phase = str(exc), "failed"
        except Exception as exc:  # a bug must not leave the page spinning forever
            self.error, self.phase = f"Training failed unexpectedly: {type(exc).__name__}: {exc}", "failed"
        finally:
            self.finished = time.perf_counter()

    @property
    def running(self) -> bool:
        return self.phase in ("starting", "training", "mapping")

    @property
    def elapsed(self) -> float:
        return (self.finished or time.perf_counter()) - self.started

    def progress(self) -> float:
        """0..1: epochs done over epochs planned (mapping counts as the last 5%)."""
        if self.phase in ("done", "failed"):
            return 1.0
        if not self.reports:
            return 0.0
        last = self.reports[-1]
        frac = last.epoch / last.epochs
        if self.params.get("max_seconds"):
            frac = max(frac, min(1.0, last.elapsed / self.params["max_seconds"]))
        return 0.95 * min(frac, 1.0) + (0.05 if self.phase == "mapping" else 0.0)

    def eta(self) -> float | None:
        """Seconds left in training, from the pace so far (None before the first epoch)."""
        if not self.reports or self.phase != "training":
            return None
        last = self.reports[-1]
        left = (last.epochs - last.epoch) * last.elapsed / last.epoch
        if self.params.get("max_seconds"):
            left = min(left, max(0.0, self.params["max_seconds"] - last.elapsed))
        return left
