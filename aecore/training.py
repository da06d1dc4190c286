"""The training loop: in-memory batches, validation with early stopping, progress callbacks, a cancel
Event checked every batch, and divergence detection that keeps the last good weights.

It reports through a callback and never prints. A DataLoader was measured ~1.2x slower than slicing
a tensor that already holds the data, so batches are index slices of one tensor. The data stays on the
CPU: on the CPU a batch is that index slice, as always; for a GPU only the rows in use move, a batch at a
time, through a pinned buffer (`rows_on`). Under torchrun (`dist`, aecore.distributed) each rank trains
on its part of every global batch inside DistributedDataParallel; without it nothing of that runs."""
from __future__ import annotations

import copy
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum

import torch
from torch import nn

from .distributed import (
    TEST_SHARD_LOG_ENV,
    Context,
    all_reduce_sum,
    from_main,
    log_shard,
    rank_seed,
    shard,
    shard_range,
)
from .errors import ConfigError
from .networks import Network

EVAL_BATCH = 4096        # rows per forward pass outside training: bounded memory at any data size
MIN_IMPROVEMENT = 1e-4   # a validation loss must beat the best by this share to count as better
EVAL_SEED = 0            # the validation pass's noise (VAE sampling, denoising corruption), the same each epoch
# fp32: every step in float32, as always. bf16 / fp16: mixed precision (the forward pass under
# torch.autocast; fp16 with a GradScaler), CUDA only. fp32 is the default: these networks are small, so
# a GPU step is bound by kernel launches more than by arithmetic, and the figures (validation loss, the
# PCA comparison) stay the same on any device. Evaluation, transform and decoding are always float32.
PRECISIONS = ("fp32", "bf16", "fp16")
AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


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
    precision: str = "fp32"     # one of PRECISIONS
    start: str = ""             # what the starting weights are ("PCA's solution"), for when no epoch beats them


def check_precision(precision: str, device: torch.device) -> None:
    """Mixed precision is for GPUs: asked for on the CPU it is an error, not silently ignored."""
    if precision != "fp32" and device.type != "cuda":
        raise ConfigError(f"precision '{precision}' (mixed precision) needs a CUDA GPU; this model trains on the "
                          f"{device.type.upper()}. Use precision 'fp32', or device 'cuda' on a machine with a GPU.")
    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        raise ConfigError("precision 'bf16' needs a GPU with bfloat16 support (NVIDIA Ampere or newer); "
                          "use 'fp16' or 'fp32' on this one.")


def device_of(net: nn.Module) -> torch.device:
    return next(net.parameters()).device


class PinnedRows:
    """Rows of a CPU tensor copied to a GPU through one pinned (page-locked) buffer of max_rows rows:
    gathered there, then copied asynchronously, so the copy can overlap the GPU's work on the batch
    before. The buffer is refilled only once the previous copy has finished (a CUDA event)."""

    def __init__(self, X: torch.Tensor, device: torch.device, max_rows: int):
        self.X, self.device = X, device
        self.buffer = torch.empty((max(1, min(max_rows, len(X))), *X.shape[1:]), dtype=X.dtype, pin_memory=True)
        self.copied: torch.cuda.Event | None = None

    def __call__(self, rows: torch.Tensor | slice) -> torch.Tensor:
        if self.copied is not None:
            self.copied.synchronize()
        if isinstance(rows, slice):
            source = self.X[rows]
            staged = self.buffer[: len(source)]
            staged.copy_(source)
        else:
            staged = self.buffer[: len(rows)]
            torch.index_select(self.X, 0, rows, out=staged)
        xb = staged.to(self.device, non_blocking=True)
        self.copied = torch.cuda.Event()
        self.copied.record()
        return xb


def rows_on(X: torch.Tensor, device: torch.device, max_rows: int) -> Callable[[torch.Tensor | slice], torch.Tensor]:
    """rows -> X[rows] on `device` (rows: indices or a slice of at most max_rows). X stays where it is and
    only the rows in use move. Where X already is on `device` (training on the CPU), this is X's own
    indexing: the index slices of one tensor the loop has always used, nothing added."""
    if X.device == device:
        return X.__getitem__
    if device.type == "cuda":
        return PinnedRows(X, device, max_rows)
    return lambda rows: X[rows].to(device)


def batched(fn: Callable, X: torch.Tensor, batch: int = EVAL_BATCH,
            device: torch.device | str | None = None) -> torch.Tensor:
    """Apply fn to X in chunks without gradients (bounded memory at 100k rows). Each chunk moves to
    `device` (default: where X is) as it is used, and the result comes back on the CPU: a GPU holds one
    chunk at a time, never the whole data."""
    device = X.device if device is None else torch.device(device)
    rows = rows_on(X, device, batch)
    with torch.no_grad():
        if not len(X):
            return fn(rows(slice(0, 0))).cpu()
        return torch.cat([fn(rows(slice(i, i + batch))).cpu() for i in range(0, len(X), batch)])


def evaluate_sums(net: Network, X: torch.Tensor, batch: int = EVAL_BATCH) -> tuple[float, float]:
    """(objective, reconstruction MSE per element), each summed over X's rows: see evaluate."""
    net.eval()
    loss_sum, mse_sum = 0.0, 0.0
    training_generator = net.generator
    device = device_of(net)
    net.generator = torch.Generator(device=device).manual_seed(EVAL_SEED)
    rows = rows_on(X, device, batch)
    with torch.no_grad():
        for i in range(0, len(X), batch):
            xb = rows(slice(i, i + batch))
            loss_sum += float(net.loss(xb)["loss"]) * len(xb)
            mse_sum += float(((net.decode(net.encode(xb)) - xb) ** 2).mean()) * len(xb)
    net.generator = training_generator
    net.train()
    return loss_sum, mse_sum


def evaluate(net: Network, X: torch.Tensor, batch: int = EVAL_BATCH) -> tuple[float, float]:
    """(mean objective, mean reconstruction MSE per element) over X, in eval mode with the same noise
    every time (a generator of its own, seeded EVAL_SEED), so the stochastic objectives (VAE, denoising)
    give a repeatable figure; the training run's generator is put back afterwards. X may stay on the
    CPU: it moves to the network's device a chunk at a time."""
    loss_sum, mse_sum = evaluate_sums(net, X, batch)
    return loss_sum / len(X), mse_sum / len(X)


def evaluate_shared(net: Network, X: torch.Tensor, ctx: Context) -> tuple[float, float]:
    """evaluate over all ranks: each takes its contiguous part of X, the sums are all-reduced."""
    loss_sum, mse_sum = evaluate_sums(net, X[shard_range(len(X), ctx.rank, ctx.world_size)])
    loss_sum, mse_sum = all_reduce_sum(ctx, [loss_sum, mse_sum])
    return loss_sum / len(X), mse_sum / len(X)


def cosine(step: int, total: int) -> float:
    """Learning-rate factor: 1 at step 0, 0.05 at `total` and after."""
    total = max(total, 1)
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(step, total) / total))


# An epoch still running this share past the time limit stops there: the last planned epoch, which only has to
# start within the limit (fit_in_time), and an epoch of a million rows, which alone can take several times the
# limit and must not hold the user up.
TIME_LIMIT_GRACE = 0.05


def fit_in_time(epochs: int, done: int, seconds: float, max_seconds: float) -> int:
    """Epochs that start within max_seconds at the pace so far (at least those done, at most `epochs`): the
    last may not fit whole, and is cut at the limit (TIME_LIMIT_GRACE), so the time is used. A 159,312-row
    table whose first epoch ended 9.1 s into a 15 s limit stopped there when only whole epochs were planned.
    Re-planned every epoch, so a slow first epoch (one-off start-up costs) is soon outweighed."""
    return max(done, min(epochs, math.ceil(max_seconds * done / max(seconds, 1e-9))))


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


class Mixed:
    """Mixed precision on a GPU: the loss computed under torch.autocast (bf16 or fp16), and for fp16 a
    GradScaler, whose scaling keeps small gradients from underflowing fp16's narrow range (bf16 has
    float32's range and needs none). fp32 runs use no Mixed at all (None), so their step is unchanged."""

    def __init__(self, precision: str, device: torch.device):
        self.dtype, self.device_type = AMP_DTYPES[precision], device.type
        self.scaler = torch.amp.GradScaler(device.type) if precision == "fp16" else None

    def loss(self, objective: Callable, xb: torch.Tensor) -> torch.Tensor:
        with torch.autocast(self.device_type, dtype=self.dtype):
            return objective(xb)["loss"].float()

    def update(self, loss: torch.Tensor, opt) -> None:
        if self.scaler is None:
            loss.backward()
            opt.step()
        else:
            self.scaler.scale(loss).backward()
            self.scaler.step(opt)
            self.scaler.update()


def run_epoch(net: Network, rows: Callable, n: int, order: torch.Tensor, batch_size: int, opt, sched,
              cancel: threading.Event | None, mixed: Mixed | None = None,
              deadline: float | None = None) -> EpochOutcome:
    """One pass over the n rows in the given order (rows: indices -> a batch on the network's device);
    stops at a cancel request, a non-finite loss, or (after at least one batch) once time.perf_counter()
    passes `deadline`: an epoch of a million rows can take longer than the whole time limit."""
    out = EpochOutcome()
    for i in range(0, n, batch_size):
        if cancel is not None and cancel.is_set():
            out.status = TrainStatus.CANCELLED
            return out
        xb = rows(order[i : i + batch_size])
        loss = net.loss(xb)["loss"] if mixed is None else mixed.loss(net.loss, xb)
        value = loss.item()
        if not math.isfinite(value):
            out.status = TrainStatus.DIVERGED
            return out
        opt.zero_grad(set_to_none=True)
        if mixed is None:
            loss.backward()
            opt.step()
        else:
            mixed.update(loss, opt)
        sched.step()
        out.loss_sum += value * len(xb)
        out.seen += len(xb)
        if deadline is not None and out.seen < n and time.perf_counter() >= deadline:
            out.status = TrainStatus.TIME_LIMIT
            return out
    return out


class LossOf(nn.Module):
    """A network's objective as a module's forward, for DistributedDataParallel, which averages the
    gradients of what its forward computed."""

    def __init__(self, net: Network):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> dict:
        return self.net.loss(x)


def run_epoch_shared(model: nn.Module, rows: Callable, n: int, order: torch.Tensor, batch_size: int, opt, sched,
                     cancel: threading.Event | None, mixed: Mixed | None, ctx: Context,
                     log: list | None = None, deadline: float | None = None) -> EpochOutcome:
    """run_epoch on one rank of a distributed run (model: LossOf(net) inside DistributedDataParallel).
    Every global batch (the same rows on every rank: the same seeded order) is split into the ranks'
    parts; this rank's loss is weighted by its share of the batch, so DDP's average of the gradients is
    the gradient of the whole batch's mean loss, the step a single process takes. The batch's loss
    (summed over the ranks), any cancel request and any rank's clock past `deadline` are all-reduced
    before the update, so every rank stops at the same batch (a cancel before it, the time limit after it)
    and the epoch's loss is the whole batch's. `log` collects this rank's rows."""
    out = EpochOutcome()
    for i in range(0, n, batch_size):
        batch = order[i : i + batch_size]
        part = shard(batch, ctx.rank, ctx.world_size)
        weight = len(part) * ctx.world_size / len(batch)
        if len(part) == 0:  # fewer rows than ranks: one row at weight 0 keeps this rank in the all-reduce
            part, weight = batch[:1], 0.0
        elif log is not None:
            log.append(part)
        xb = rows(part)
        loss = model(xb)["loss"] if mixed is None else mixed.loss(model, xb)
        cancelled = cancel is not None and cancel.is_set()
        late = deadline is not None and time.perf_counter() >= deadline
        total, stop, time_up = all_reduce_sum(ctx, [loss.item() * len(part) * (weight > 0), float(cancelled),
                                                    float(late)])
        if stop:
            out.status = TrainStatus.CANCELLED
            return out
        if not math.isfinite(total):
            out.status = TrainStatus.DIVERGED
            return out
        opt.zero_grad(set_to_none=True)
        if mixed is None:
            (loss * weight).backward()
            opt.step()
        else:
            mixed.update(loss * weight, opt)
        sched.step()
        out.loss_sum += total
        out.seen += len(batch)
        if time_up and out.seen < n:
            out.status = TrainStatus.TIME_LIMIT
            return out
    return out


def start_score(net: Network, X_val: torch.Tensor, dist: Context | None) -> float:
    """The starting weights' validation loss (rank 0's on every rank), or infinity when it is not finite."""
    if dist is None:
        score = evaluate(net, X_val)[0]
    else:
        score = from_main(dist, [evaluate_shared(net, X_val, dist)[0]])[0]
    return score if math.isfinite(score) else math.inf


def distributed_model(net: Network, ctx: Context) -> nn.Module:
    from torch.nn.parallel import DistributedDataParallel

    device = device_of(net)
    return DistributedDataParallel(LossOf(net), device_ids=[device.index] if device.type == "cuda" else None)


@dataclass
class Run:
    """The state of one training run that the end-of-run message reads."""
    settings: TrainSettings
    planned: int
    history: list[dict] = field(default_factory=list)
    status: TrainStatus = TrainStatus.COMPLETED
    diverged_in: str = ""  # "" or what became non-finite: "the loss" | "the validation loss"
    epoch: int = 0
    seen: int = 0          # rows the last epoch trained on (fewer than all: it was cut short)
    rows: int = 0          # rows in an epoch


def epochs_text(n: int) -> str:
    return f"{n:,} epoch" + ("" if n == 1 else "s")


# Fewer epochs than this under a time limit: the message says a longer limit would let the model learn more.
FEW_EPOCHS = 5


def kept_weights(best_epoch: int, start: str) -> str:
    """Which weights were kept: "epoch 12", or the starting weights when no epoch beat them on validation."""
    if best_epoch:
        return f"epoch {best_epoch}"
    return "the starting weights" + (f" ({start})" if start else "")


def result_message(run: Run, best_epoch: int) -> str:
    """One sentence for a person on how the run ended and which weights were kept."""
    s, n = run.settings, len(run.history)
    epochs, kept = epochs_text(n), kept_weights(best_epoch, s.start)
    if run.status == TrainStatus.DIVERGED:
        weights = f"the weights of {kept}" if best_epoch else kept
        return (f"Training diverged in epoch {run.epoch} ({run.diverged_in} became NaN or infinite). Kept "
                f"{weights}. Try a lower learning rate.")
    if run.status == TrainStatus.CANCELLED:
        return f"Stopped by request after {epochs}. Kept the best model so far ({kept})."
    if not best_epoch and n:
        kept += ": no epoch improved on them on the validation rows"
    if run.status == TrainStatus.EARLY_STOPPED:
        return (f"Stopped early after {epochs}: validation loss had not improved for {epochs_text(s.patience)}. "
                f"Kept {kept}.")
    if run.status == TrainStatus.TIME_LIMIT:
        more = " A longer time limit would let it learn more." if n < FEW_EPOCHS else ""
        if run.seen < run.rows:
            return (f"Reached the {s.max_seconds:g} s time limit {run.seen:,} of {run.rows:,} rows into epoch "
                    f"{run.epoch}. Kept {kept}.{more}")
        return f"Reached the {s.max_seconds:g} s time limit after {epochs}. Kept {kept}.{more}"
    fitted = f" (as many as fit the {s.max_seconds:g} s time limit)" if run.planned < s.epochs else ""
    return f"Trained {epochs}{fitted}; kept {kept}."


def train(net: Network, X_train: torch.Tensor, X_val: torch.Tensor | None, settings: TrainSettings,
          callback: Callable[[EpochReport], None] | None = None,
          cancel: threading.Event | None = None, dist: Context | None = None,
          train_rows: torch.Tensor | None = None) -> tuple[list[dict], TrainResult]:
    """Train net in place. Returns (history, result); net ends with the best weights seen
    (by validation loss, else by training loss), or the last good ones after a divergence.

    X_train and X_val may stay on the CPU whatever the network's device: batches move as they are used.
    train_rows: which rows of X_train train (default all): the whole data and its training rows, so the
    training rows are never gathered into a copy (2.7 GB at a million MNIST-sized rows); each batch
    gathers its own. The row order, and so the training, is the same either way.
    dist: this process's part of a torchrun run (aecore.distributed); every rank calls train with the
    same data and settings, and every rank ends with the same weights, history and result."""
    device = device_of(net)
    check_precision(settings.precision, device)
    gen = torch.Generator().manual_seed(settings.seed)  # the row order; the noise below: nothing process-wide
    net.generator = torch.Generator(device=device).manual_seed(rank_seed(settings.seed, dist))
    opt = torch.optim.Adam(net.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    n = len(X_train) if train_rows is None else len(train_rows)
    bs = min(settings.batch_size, n)
    gather = rows_on(X_train, device, bs)
    rows = gather if train_rows is None else (lambda at: gather(train_rows[at]))  # positions -> data rows
    mixed = Mixed(settings.precision, device) if settings.precision != "fp32" else None
    model = distributed_model(net, dist) if dist is not None else net
    shard_log = [] if dist is not None and os.environ.get(TEST_SHARD_LOG_ENV) else None
    steps_per_epoch = math.ceil(n / bs)
    run = Run(settings, planned=settings.epochs, rows=n)  # re-planned each epoch under a time limit
    # Cosine decay to 5% of the initial rate over the planned steps: the last epochs polish instead
    # of bouncing. The lambda reads `run.planned` late, so a re-plan reshapes the rest of the schedule.
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: cosine(s, steps_per_epoch * run.planned))
    best = BestWeights(copy.deepcopy(net.state_dict()))
    has_val = X_val is not None and len(X_val) > 0
    start = time.perf_counter()
    if has_val:  # the start competes too: a run too short to beat it (PCA's solution) keeps it
        best.score = start_score(net, X_val, dist)
    # An epoch that runs past the time limit by TIME_LIMIT_GRACE is cut short there (under torchrun, at the
    # same batch on every rank: the first rank whose clock passes it stops them all).
    deadline = start + settings.max_seconds * (1 + TIME_LIMIT_GRACE) if settings.max_seconds else None
    net.train()
    while run.epoch < run.planned:
        run.epoch += 1
        order = torch.randperm(n, generator=gen).to(X_train.device)
        if dist is None:
            outcome = run_epoch(net, rows, n, order, bs, opt, sched, cancel, mixed, deadline)
        else:
            log = shard_log if run.epoch == 1 else None
            outcome = run_epoch_shared(model, rows, n, order, bs, opt, sched, cancel, mixed, dist, log, deadline)
            if log is not None:
                log_shard(dist, log, n)
        if outcome.status == TrainStatus.DIVERGED:
            run.status, run.diverged_in = TrainStatus.DIVERGED, "the loss"
            break
        if outcome.seen == 0:  # cancelled before any batch of this epoch
            run.status = outcome.status or run.status
            break
        train_loss = outcome.loss_sum / outcome.seen
        elapsed = None
        if dist is None:
            val_loss, val_mse = evaluate(net, X_val) if has_val else (None, None)
        else:
            val_loss, val_mse = evaluate_shared(net, X_val, dist) if has_val else (math.nan, math.nan)
            # rank 0's figures and clock on every rank: early stopping, divergence and the time limit
            # are then decided from the same numbers everywhere
            train_loss, val_loss, val_mse, elapsed = from_main(
                dist, [train_loss, val_loss, val_mse, time.perf_counter() - start])
            val_loss, val_mse = (val_loss, val_mse) if has_val else (None, None)
        score = val_loss if val_loss is not None else train_loss
        if not math.isfinite(score):
            run.status, run.diverged_in = TrainStatus.DIVERGED, "the validation loss"
            break
        best.offer(net, score, run.epoch)
        if elapsed is None:
            elapsed = time.perf_counter() - start
        if settings.max_seconds:
            run.planned = fit_in_time(settings.epochs, run.epoch, elapsed, settings.max_seconds)
        run.seen = outcome.seen
        pace = ((run.epoch - 1) * n + outcome.seen) / max(elapsed, 1e-9)
        report = EpochReport(run.epoch, run.planned, train_loss, val_loss, val_mse, elapsed, pace)
        run.history.append(report.to_json())
        if callback is not None:
            callback(report)
        if outcome.status in (TrainStatus.CANCELLED, TrainStatus.TIME_LIMIT):
            run.status = outcome.status
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
