"""The training loop: in-memory batches, validation with early stopping, progress callbacks, a cancel
Event checked every batch, and divergence detection that keeps the last good weights.

It reports through a callback and never prints. A DataLoader was measured ~1.2x slower than slicing
a tensor that already holds the data, so batches are index slices of one tensor."""
from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum

import torch

from .networks import Network

EVAL_BATCH = 4096        # rows per forward pass outside training: bounded memory at any data size
MIN_IMPROVEMENT = 1e-4   # a validation loss must beat the best by this share to count as better
EVAL_SEED = 0            # the validation pass's noise (VAE sampling, denoising corruption), the same each epoch


class TrainStatus(StrEnum):
    """How a training run ended. A str, so it is JSON as it is."""
    COMPLETED = "completed"
    EARLY_STOPPED = "early_stopped"
    TIME_LIMIT = "time_limit"
    CANCELLED = "cancelled"
    DIVERGED = "diverged"

    @property
    def ok(self) -> bool:
        """Ended as planned (all epochs, early stopping or the time limit), not stopped or diverged."""
        return self in (TrainStatus.COMPLETED, TrainStatus.EARLY_STOPPED, TrainStatus.TIME_LIMIT)


@dataclass
class EpochReport:
    """What a listener hears after each epoch."""
    epoch: int               # 1-based
    epochs: int              # planned
    train_loss: float        # mean objective over the epoch's batches
    val_loss: float | None   # objective on the validation rows (None without validation)
    val_mse: float | None    # reconstruction MSE per element on the validation rows
    elapsed: float           # seconds since training started
    samples_per_s: float

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class TrainResult:
    status: TrainStatus
    message: str       # one sentence for a person
    best_epoch: int    # the epoch whose weights were kept (0: the initial weights)
    epochs_run: int
    seconds: float

    def __post_init__(self):
        self.status = TrainStatus(self.status)  # from JSON, a plain string

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class TrainSettings:
    epochs: int
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int = 20          # epochs without validation improvement before stopping
    max_seconds: float | None = None
    seed: int = 0


def batched(fn: Callable, X: torch.Tensor, batch: int = EVAL_BATCH) -> torch.Tensor:
    """Apply fn to X in chunks without gradients (bounded memory at 100k rows)."""
    with torch.no_grad():
        return torch.cat([fn(X[i : i + batch]) for i in range(0, len(X), batch)]) if len(X) else fn(X)


def evaluate(net: Network, X: torch.Tensor, batch: int = EVAL_BATCH) -> tuple[float, float]:
    """(mean objective, mean reconstruction MSE per element) over X, in eval mode with the same noise
    every time (a generator of its own, seeded EVAL_SEED), so the stochastic objectives (VAE, denoising)
    give a repeatable figure; the training run's generator is put back afterwards."""
    net.eval()
    loss_sum, mse_sum = 0.0, 0.0
    training_generator = net.generator
    net.generator = torch.Generator(device=X.device).manual_seed(EVAL_SEED)
    with torch.no_grad():
        for i in range(0, len(X), batch):
            xb = X[i : i + batch]
            loss_sum += float(net.loss(xb)["loss"]) * len(xb)
            mse_sum += float(((net.decode(net.encode(xb)) - xb) ** 2).mean()) * len(xb)
    net.generator = training_generator
    net.train()
    return loss_sum / len(X), mse_sum / len(X)


def cosine(step: int, total: int) -> float:
    """Learning-rate factor: 1 at step 0, 0.05 at `total` and after."""
    total = max(total, 1)
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(step, total) / total))


def fit_in_time(epochs: int, done: int, seconds: float, max_seconds: float) -> int:
    """Epochs that fit in max_seconds at the pace so far (at least those done, at most `epochs`).
    Re-planned every epoch, so a slow first epoch (one-off start-up costs) is soon outweighed."""
    return max(done, min(epochs, int(max_seconds * done / max(seconds, 1e-9))))


@dataclass
class BestWeights:
    """The best weights seen so far, by a score where lower is better (validation loss, else training
    loss), and how many epochs have passed without beating it."""
    state: dict
    score: float = math.inf
    epoch: int = 0
    stale: int = 0

    def offer(self, net: Network, score: float, epoch: int) -> None:
        if score < self.score * (1 - MIN_IMPROVEMENT):
            self.state, self.score, self.epoch, self.stale = copy.deepcopy(net.state_dict()), score, epoch, 0
        else:
            self.stale += 1


@dataclass
class EpochOutcome:
    loss_sum: float = 0.0
    seen: int = 0
    status: TrainStatus | None = None  # CANCELLED or DIVERGED when the epoch ended early


def run_epoch(net: Network, X: torch.Tensor, order: torch.Tensor, batch_size: int, opt, sched,
              cancel: threading.Event | None) -> EpochOutcome:
    """One pass over X in the given row order; stops at a cancel request or a non-finite loss."""
    out = EpochOutcome()
    for i in range(0, len(X), batch_size):
        if cancel is not None and cancel.is_set():
            out.status = TrainStatus.CANCELLED
            return out
        xb = X[order[i : i + batch_size]]
        loss = net.loss(xb)["loss"]
        value = loss.item()
        if not math.isfinite(value):
            out.status = TrainStatus.DIVERGED
            return out
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        out.loss_sum += value * len(xb)
        out.seen += len(xb)
    return out


@dataclass
class Run:
    """The state of one training run that the end-of-run message reads."""
    settings: TrainSettings
    planned: int
    history: list[dict] = field(default_factory=list)
    status: TrainStatus = TrainStatus.COMPLETED
    diverged_in: str = ""  # "" or what became non-finite: "the loss" | "the validation loss"
    epoch: int = 0


def result_message(run: Run, best_epoch: int) -> str:
    """One sentence for a person on how the run ended and which weights were kept."""
    s, n = run.settings, len(run.history)
    if run.status == TrainStatus.DIVERGED:
        return (f"Training diverged in epoch {run.epoch} ({run.diverged_in} became NaN or infinite). Kept the "
                f"weights of epoch {best_epoch}. Try a lower learning rate.")
    if run.status == TrainStatus.CANCELLED:
        return f"Stopped by request after {n} epoch(s). Kept the best model so far (epoch {best_epoch})."
    if run.status == TrainStatus.EARLY_STOPPED:
        return (f"Stopped early after {n} epochs: validation loss had not improved for {s.patience} epochs. "
                f"Kept epoch {best_epoch}.")
    if run.status == TrainStatus.TIME_LIMIT:
        return f"Reached the {s.max_seconds:g} s time limit after {n} epochs. Kept epoch {best_epoch}."
    fitted = f" (as many as fit the {s.max_seconds:g} s time limit)" if run.planned < s.epochs else ""
    return f"Trained {n} epochs{fitted}; kept epoch {best_epoch}."


def train(net: Network, X_train: torch.Tensor, X_val: torch.Tensor | None, settings: TrainSettings,
          callback: Callable[[EpochReport], None] | None = None,
          cancel: threading.Event | None = None) -> tuple[list[dict], TrainResult]:
    """Train net in place. Returns (history, result); net ends with the best weights seen
    (by validation loss, else by training loss), or the last good ones after a divergence."""
    gen = torch.Generator().manual_seed(settings.seed)  # the row order; the noise below: nothing process-wide
    net.generator = torch.Generator(device=X_train.device).manual_seed(settings.seed)
    opt = torch.optim.Adam(net.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    n, bs = len(X_train), min(settings.batch_size, len(X_train))
    steps_per_epoch = math.ceil(n / bs)
    run = Run(settings, planned=settings.epochs)  # re-planned each epoch under a time limit
    # Cosine decay to 5% of the initial rate over the planned steps: the last epochs polish instead
    # of bouncing. The lambda reads `run.planned` late, so a re-plan reshapes the rest of the schedule.
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: cosine(s, steps_per_epoch * run.planned))
    best = BestWeights(copy.deepcopy(net.state_dict()))
    has_val = X_val is not None and len(X_val) > 0
    start = time.perf_counter()
    net.train()
    while run.epoch < run.planned:
        run.epoch += 1
        order = torch.randperm(n, generator=gen).to(X_train.device)
        outcome = run_epoch(net, X_train, order, bs, opt, sched, cancel)
        if outcome.status == TrainStatus.DIVERGED:
            run.status, run.diverged_in = TrainStatus.DIVERGED, "the loss"
            break
        if outcome.seen == 0:  # cancelled before any batch of this epoch
            run.status = outcome.status or run.status
            break
        train_loss = outcome.loss_sum / outcome.seen
        val_loss, val_mse = evaluate(net, X_val) if has_val else (None, None)
        score = val_loss if val_loss is not None else train_loss
        if not math.isfinite(score):
            run.status, run.diverged_in = TrainStatus.DIVERGED, "the validation loss"
            break
        best.offer(net, score, run.epoch)
        elapsed = time.perf_counter() - start
        if settings.max_seconds:
            run.planned = fit_in_time(settings.epochs, run.epoch, elapsed, settings.max_seconds)
        pace = run.epoch * n / elapsed if outcome.status is None else outcome.seen / max(elapsed, 1e-9)
        report = EpochReport(run.epoch, run.planned, train_loss, val_loss, val_mse, elapsed, pace)
        run.history.append(report.to_json())
        if callback is not None:
            callback(report)
        if outcome.status == TrainStatus.CANCELLED:
            run.status = TrainStatus.CANCELLED
            break
        if best.stale >= settings.patience:
            run.status = TrainStatus.EARLY_STOPPED
            break
        if settings.max_seconds is not None and elapsed >= settings.max_seconds and run.epoch < run.planned:
            run.status = TrainStatus.TIME_LIMIT
            break
    net.load_state_dict(best.state)
    net.eval()
    return run.history, TrainResult(run.status, result_message(run, best.epoch), best.epoch, len(run.history),
                                    time.perf_counter() - start)
