"""Watching the latent space form while a model trains: a small 2-D map of a fixed sample of rows, taken
every few epochs within a time budget, each frame turned to line up with the one before so points move
instead of jumping. The app shows the latest frame beside the loss curve and replays them afterwards.

    model = Autoencoder(...)
    watcher = Watcher(data.X[sample_for_watching(data.n)], model=model)
    model.fit(data, callback=watcher)          # or a callback that calls watcher(report) among other things
    watcher.frames                             # [Frame(epoch, xy (m, 2), seconds), ...]

The watcher reads `model.network_` at each epoch's report (fit builds it before the first), so it can be made
before `fit`. Watching never changes the trained model: it encodes under torch.no_grad, in eval mode put
back as it was, and draws no random numbers (a test compares the weights of runs with and without it)."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import torch
from scipy.linalg import orthogonal_procrustes
from torch import nn

from .errors import ConfigError, DataError
from .estimator import as_array
from .projection import project
from .training import EVAL_BATCH, EpochReport

DEFAULT_BUDGET = 0.1     # frames may cost at most this share of the training time (the app's "no more than 10%")
DEFAULT_FRAMES = 200     # enough for a smooth replay; past it the frames are thinned, not dropped from the end
WATCH_SAMPLE = 1000      # rows on the live map: enough to see clusters form, ~ms to encode and project
FLAT = 1e-12             # a frame whose points (nearly) coincide has no shape to align or scale


@dataclass(frozen=True)
class Frame:
    """One picture of the latent space during training."""
    epoch: int            # the epoch after which it was taken (1-based)
    xy: np.ndarray        # (m, 2) float32: the sample's map positions, aligned with the frame before
    seconds: float        # training time elapsed at the frame (the report's `elapsed`: the loss curve's clock)
    kept: bool = False    # the model as training left it: the weights kept (Watcher.finish), the map's model


def sample_for_watching(n: int, size: int = WATCH_SAMPLE, seed: int = 0) -> np.ndarray:
    """Sorted row ids of the rows to watch: all n rows when n <= size, else a seeded sample of `size`."""
    if n <= size:
        return np.arange(n, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False)).astype(np.int64)


def align(xy: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """xy (m, 2) turned, mirrored, scaled and shifted to lie as close as possible to reference (m, 2), the
    same rows' previous positions (least squares: an orthogonal Procrustes rotation or reflection, then the
    best scale and translation). A projection's axes and signs are arbitrary from frame to frame; this
    keeps only what changed in the codes. Returns float32."""
    xy, reference = np.asarray(xy, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    if xy.shape != reference.shape:
        raise ConfigError(f"Frames to align must hold the same rows; got {xy.shape} and {reference.shape}.")
    centre, ref_centre = xy.mean(0), reference.mean(0)
    a, b = xy - centre, reference - ref_centre
    norm = float((a * a).sum())
    if norm < FLAT or float((b * b).sum()) < FLAT:  # one of them is a single point: only the shift is defined
        return (a + ref_centre).astype(np.float32)
    rotation, singular_sum = orthogonal_procrustes(a, b)  # minimises |a R - b|; singular_sum = trace(a R b^T)
    scale = singular_sum / norm                          # the least-squares scale once rotated
    return (scale * (a @ rotation) + ref_centre).astype(np.float32)


class Watcher:
    """An EpochReport callback that takes frames of the latent space within a time budget.

    X_sample: rows prepared like the training data, (m, d) or (m, C, H, W) (see sample_for_watching).
    budget: the largest share of training time frames may take, in (0, 1]; 1 takes a frame every epoch.
    max_frames: when full, every other frame is dropped (the first and the newest are kept) and frames are
    taken half as often in epochs, so a replay always spans the whole run.
    model: an Autoencoder (its `network_` is read at each report, so the watcher can be made before fit), or
    a network itself; `bind(model)` sets or changes it later.

    One writer, many readers: the training thread calls the watcher; a page may poll `latest`, `frames` and
    `overhead_seconds` from another thread at any time. Frames are immutable; the list is only appended to
    or replaced whole (both atomic under the GIL), and `frames` returns a snapshot."""

    def __init__(self, X_sample, budget: float = DEFAULT_BUDGET, max_frames: int = DEFAULT_FRAMES, *, model=None):
        if not (isinstance(budget, (int, float)) and 0 < budget <= 1):
            raise ConfigError(f"The watching budget is a share of training time in (0, 1]; got {budget!r}.")
        if not isinstance(max_frames, (int, np.integer)) or isinstance(max_frames, bool) or max_frames < 2:
            raise ConfigError(f"max_frames must be a whole number of at least 2; got {max_frames!r}.")
        self.X = as_array(X_sample)
        if len(self.X) == 0:
            raise DataError("There are no rows to watch: give at least one row of the training data.")
        self.budget = float(budget)
        self.max_frames = int(max_frames)
        self.model = model
        self.overhead_seconds = 0.0   # time spent taking frames, all of them
        self._frames: list[Frame] = []
        self._wait = (1.0 - self.budget) / self.budget  # training time per second of frame, at least
        self._every = 1               # epochs between frames at least (doubles each time the frames are thinned)
        self._last_cost = 0.0         # seconds the last frame took
        self._last_end = 0.0          # perf_counter() when the last frame was finished
        self._tensor: torch.Tensor | None = None  # the sample on the network's device, made once
        self._lock = threading.Lock()  # one frame at a time, should two threads ever report

    def bind(self, model) -> Watcher:
        """Watch this model (an Autoencoder or a network). Returns the watcher."""
        self.model = model
        return self

    # -- what a reader polls -------------------------------------------------------------------------
    @property
    def frames(self) -> list[Frame]:
        """The frames so far, oldest first (a snapshot: it does not change under the reader)."""
        return list(self._frames)

    @property
    def latest(self) -> Frame | None:
        frames = self._frames  # one read: the writer may replace the list in between
        return frames[-1] if frames else None

    # -- the callback --------------------------------------------------------------------------------
    def __call__(self, report: EpochReport) -> None:
        with self._lock:
            if self._due(report.epoch):
                self._take(report.epoch, report.elapsed)

    def _due(self, epoch: int) -> bool:
        """Always the first frame; then once training since the last frame has taken at least
        (1 - budget) / budget times what that frame cost, so frames stay within `budget` of the time."""
        last = self._frames[-1] if self._frames else None
        if last is None or epoch < last.epoch:  # the first frame, or a new fit with the same watcher
            return True
        if epoch - last.epoch < self._every:
            return False
        return time.perf_counter() - self._last_end >= self._wait * self._last_cost

    def _network(self) -> nn.Module:
        model = self.model
        if model is None:
            raise ConfigError("The watcher has no model: pass model=... or call bind(model) before training.")
        net = model if isinstance(model, nn.Module) else getattr(model, "network_", None)
        if net is None:
            raise ConfigError("The model has no network yet: the watcher is called after each epoch of fit().")
        return net

    def codes(self) -> np.ndarray:
        """(m, latent) float32: the sample encoded by the network as it is now, in eval mode, without gradients,
        in batches; the network's mode is put back afterwards (training continues as it would have)."""
        net = self._network()
        device = next(net.parameters()).device
        if self._tensor is None or self._tensor.device != device:
            self._tensor = torch.from_numpy(self.X).to(device)
        X = self._tensor
        was_training = net.training
        net.eval()
        try:
            with torch.no_grad():
                parts = [net.encode(X[i : i + EVAL_BATCH]) for i in range(0, len(X), EVAL_BATCH)]
        finally:
            net.train(was_training)
        return torch.cat(parts).float().cpu().numpy()

    def finish(self, kept_epoch: int, seconds: float) -> None:
        """After fit: one last frame of the weights training kept (an earlier epoch's, with early stopping or
        a time limit), so the replay ends on the model the map is drawn from, whatever the budget skipped."""
        with self._lock:
            self._take(kept_epoch, seconds, kept=True)

    def _take(self, epoch: int, seconds: float, kept: bool = False) -> None:
        start = time.perf_counter()
        xy = project(self.codes(), "pca")  # (m, 2) float32: PCA of wider codes, 2-D as they are, 1-D with y = 0
        previous = self.latest
        if previous is not None and len(previous.xy) == len(xy):
            xy = align(xy, previous.xy)
        frame = Frame(int(epoch), xy, float(seconds), kept)
        if len(self._frames) >= self.max_frames:
            # Thin before adding, so the newest frame is never the one dropped and `latest` never steps back.
            self._frames = [*self._frames[::2], frame]
            self._every *= 2
        else:
            self._frames.append(frame)
        self._last_end = time.perf_counter()
        self._last_cost = self._last_end - start
        self.overhead_seconds += self._last_cost
