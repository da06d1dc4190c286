"""Training over several processes (`torchrun`): the context read from torchrun's environment, the
process group, and the few collectives the trainer needs. Nothing here runs without torchrun: a plain
`python -m aecore train` gets no context (None) and trains exactly as it always has.

How the work is split: every rank holds the whole data (on the CPU) and draws the same seeded row order
each epoch, so every global batch of `batch_size` rows is the same on all ranks; each rank trains on its
own contiguous part of it (`shard`), DistributedDataParallel averages the gradients, and each rank's
loss is weighted by its share of the batch, so the update is the one a single process makes on the whole
batch (up to the order of floating-point sums). The parts of an epoch's batches are disjoint and cover
the training rows, like torch's DistributedSampler with set_epoch, but split per batch: batch size,
learning rate, steps per epoch and early stopping mean the same with 1 process or 8."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

ENV_WORLD_SIZE, ENV_RANK, ENV_LOCAL_RANK = "WORLD_SIZE", "RANK", "LOCAL_RANK"  # set by torchrun
MAIN_RANK = 0  # the rank that prints, decides, maps and writes the bundle
# A rank that waits longer than this for the others (one crashed, one much slower) fails instead of
# hanging: torchrun then stops the rest. Well above one epoch of any data we load.
COLLECTIVE_TIMEOUT = timedelta(minutes=30)
# A test hook, off unless set: a folder where each rank writes the rows it trained on in epoch 1
# (rank<R>.json), so a test can check that the ranks' rows are disjoint and cover the training rows.
TEST_SHARD_LOG_ENV = "AECORE_TEST_SHARD_LOG"


@dataclass(frozen=True)
class Context:
    """One process of a distributed run."""
    rank: int            # 0 .. world_size - 1, over all nodes
    world_size: int      # processes in all
    local_rank: int      # this process's index on its node: its GPU is cuda:<local_rank>
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == MAIN_RANK


def from_env(environ: Mapping[str, str] | None = None) -> Context | None:
    """The context torchrun describes in the environment, or None when this is not a distributed run
    (no WORLD_SIZE, or a world of one process: that trains exactly as without torchrun)."""
    env = os.environ if environ is None else environ
    if ENV_WORLD_SIZE not in env:
        return None
    try:
        world, rank = int(env[ENV_WORLD_SIZE]), int(env.get(ENV_RANK, "0"))
        local = int(env.get(ENV_LOCAL_RANK, str(rank)))
    except ValueError:
        from .errors import ConfigError
        raise ConfigError(f"The torchrun variables {ENV_WORLD_SIZE}, {ENV_RANK} and {ENV_LOCAL_RANK} must be "
                          "whole numbers; start the run with torchrun (python -m torch.distributed.run).") from None
    if world <= 1:
        return None
    if not 0 <= rank < world or local < 0:
        from .errors import ConfigError
        raise ConfigError(f"{ENV_RANK}={rank} does not fit {ENV_WORLD_SIZE}={world}; start the run with torchrun.")
    return Context(rank, world, local)


def start(device: torch.device, environ: Mapping[str, str] | None = None) -> Context | None:
    """Join the process group torchrun set up (gloo on the CPU, nccl on GPUs, each rank on
    cuda:<LOCAL_RANK>) and return this process's context; None, and nothing done, outside torchrun."""
    ctx = from_env(environ)
    if ctx is None:
        return None
    if device.type == "cuda":
        if ctx.local_rank >= torch.cuda.device_count():
            from .errors import ConfigError
            raise ConfigError(f"Process {ctx.local_rank} on this machine needs GPU cuda:{ctx.local_rank}, but it has "
                              f"{torch.cuda.device_count()}: start at most that many processes per machine "
                              "(torchrun --nproc_per_node).")
        device = torch.device("cuda", ctx.local_rank)
        torch.cuda.set_device(device)
    ctx = Context(ctx.rank, ctx.world_size, ctx.local_rank, device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", timeout=COLLECTIVE_TIMEOUT)
    return ctx


def stop() -> None:
    """Leave the process group (at the end of the run, on every rank)."""
    if dist.is_initialized():
        dist.destroy_process_group()


def is_main(ctx: Context | None) -> bool:
    """True for the process that prints and writes: rank 0, or the only process."""
    return ctx is None or ctx.is_main


def all_reduce_sum(ctx: Context, values: Sequence[float]) -> list[float]:
    """The sums of `values` over all ranks (float64), the same on every rank."""
    t = torch.tensor(list(values), dtype=torch.float64, device=ctx.device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()


def all_reduce_mean(ctx: Context, values: Sequence[float]) -> list[float]:
    """The means of `values` over all ranks."""
    return [v / ctx.world_size for v in all_reduce_sum(ctx, values)]


def from_main(ctx: Context, values: Sequence[float]) -> list[float]:
    """Rank 0's `values` on every rank: every rank then takes the same decisions from the same numbers."""
    t = torch.tensor(list(values), dtype=torch.float64, device=ctx.device)
    dist.broadcast(t, src=MAIN_RANK)
    return t.tolist()


def rank_seed(seed: int, ctx: Context | None) -> int:
    """The seed of this rank's noise (denoising corruption, VAE sampling): `seed` itself outside a
    distributed run; a distinct, seed-derived stream per rank inside one, so that two ranks never draw
    the same noise for their different rows."""
    if ctx is None:
        return seed
    return int(np.random.SeedSequence([seed, ctx.rank]).generate_state(1)[0])


def shard(rows: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """This rank's contiguous part of `rows`: the parts of all ranks are disjoint, cover `rows`, and
    differ in length by at most one (a part is empty when there are fewer rows than ranks)."""
    return torch.tensor_split(rows, world_size)[rank]


def shard_range(n: int, rank: int, world_size: int) -> slice:
    """This rank's contiguous part of range(n), as a slice (the validation rows)."""
    base, extra = divmod(n, world_size)
    start = rank * base + min(rank, extra)
    return slice(start, start + base + (rank < extra))


def log_shard(ctx: Context, rows: list[torch.Tensor], n_rows: int) -> None:
    """The test hook (TEST_SHARD_LOG_ENV): write the rows this rank trained on, when the variable is set."""
    folder = os.environ.get(TEST_SHARD_LOG_ENV)
    if not folder:
        return
    trained = torch.cat(rows).tolist() if rows else []
    record = {"rank": ctx.rank, "world_size": ctx.world_size, "n_rows": n_rows, "rows": trained}
    Path(folder, f"rank{ctx.rank}.json").write_text(json.dumps(record))
