"""Training under torchrun (aecore.distributed): the helpers one by one, then `python -m aecore train`
under `torchrun --standalone --nproc_per_node=2` on the CPU (gloo) in a subprocess, against the same
training in one process. Nothing here asserts on a timing; no GPU and no network (torchrun's standalone
rendezvous listens on localhost only)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from aecore import ConfigError
from aecore.bundle import load_bundle
from aecore.cli import main
from aecore.distributed import (
    TEST_SHARD_LOG_ENV,
    Context,
    all_reduce_mean,
    all_reduce_sum,
    from_env,
    from_main,
    is_main,
    log_shard,
    rank_seed,
    shard,
    shard_range,
    start,
    stop,
)

ROOT = Path(__file__).resolve().parent.parent
RANKS = 2
# digits has 1,797 rows; the seeded split trains on 1,437 of them (1,437 = 4 x 359 + 1). A batch of 359
# rows splits unevenly between 2 ranks (180 + 179, so the loss weights are not all 1) and the epoch's
# last batch is a single row, which leaves rank 1 with none (it joins the all-reduce with weight 0).
BATCH = 359
EPOCHS = 3
# The two processes take the step one process takes (the same global batch; DDP averages the parts'
# gradients, each weighted by its share), so they differ only in the order of float32 sums: measured
# 3e-7 relative after 3 epochs. 1% leaves room for that to grow over the epochs and still fails on a
# real difference (a rank training on other rows, a lost or doubled part of a batch).
RELATIVE_TOLERANCE = 0.01


# -- the helpers ---------------------------------------------------------------------------------
def test_context_from_torchrun_env():
    assert from_env({}) is None
    assert from_env({"WORLD_SIZE": "1", "RANK": "0", "LOCAL_RANK": "0"}) is None  # one process: not distributed
    ctx = from_env({"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1"})
    assert ctx == Context(rank=3, world_size=4, local_rank=1) and not ctx.is_main
    assert from_env({"WORLD_SIZE": "2", "RANK": "0"}).local_rank == 0 and from_env({"WORLD_SIZE": "2"}).is_main
    assert is_main(None) and is_main(Context(0, 2, 0)) and not is_main(Context(1, 2, 1))


@pytest.mark.parametrize("env", [{"WORLD_SIZE": "two"}, {"WORLD_SIZE": "2", "RANK": "2"},
                                 {"WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "-1"}])
def test_a_broken_torchrun_env_is_a_config_error(env):
    with pytest.raises(ConfigError, match="torchrun"):
        from_env(env)


def test_start_outside_torchrun_does_nothing():
    assert start(torch.device("cpu"), environ={}) is None
    assert not torch.distributed.is_initialized()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_more_gpu_processes_than_gpus_is_a_config_error():
    with pytest.raises(ConfigError, match="--nproc_per_node"):
        start(torch.device("cuda"), environ={"WORLD_SIZE": "2", "RANK": "1", "LOCAL_RANK": "1"})
    assert not torch.distributed.is_initialized()


@pytest.mark.parametrize("n", [0, 1, 2, 7, 128, 359])
@pytest.mark.parametrize("world", [1, 2, 3, 8])
def test_shards_are_disjoint_cover_everything_and_differ_by_at_most_one(n, world):
    rows = torch.randperm(n, generator=torch.Generator().manual_seed(n))
    parts = [shard(rows, r, world) for r in range(world)]
    assert torch.equal(torch.cat(parts), rows)  # contiguous, in order: disjoint and covering
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    ranges = [shard_range(n, r, world) for r in range(world)]
    assert [len(range(n)[s]) for s in ranges] == list(map(len, parts))
    assert sum((list(range(n)[s]) for s in ranges), []) == list(range(n))


def test_rank_seed_is_the_seed_alone_and_distinct_per_rank():
    assert rank_seed(7, None) == 7
    seeds = [rank_seed(7, Context(r, 4, r)) for r in range(4)]
    assert len(set(seeds)) == 4 and seeds == [rank_seed(7, Context(r, 4, r)) for r in range(4)]


def test_collectives_in_a_group_of_one(tmp_path):
    """The collectives' plumbing in a real gloo group of one process (a file store: no network)."""
    torch.distributed.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        ctx = Context(0, 1, 0)
        assert all_reduce_sum(ctx, [1.5, 2.0]) == [1.5, 2.0]
        assert all_reduce_mean(ctx, [3.0]) == [3.0]
        assert from_main(ctx, [0.25, float("nan")])[0] == 0.25
    finally:
        stop()
    assert not torch.distributed.is_initialized()


def test_a_distributed_epoch_past_the_time_limit_stops_on_every_rank_at_once(tmp_path, monkeypatch):
    """The time limit travels in the per-step all-reduce (here a gloo group of one): the epoch stops
    at the batch where a rank's clock passed the limit, after that batch's update."""
    import itertools

    import numpy as np

    from aecore import training
    from aecore.models import ModelConfig, build_network

    clock = itertools.count(step=1.0)  # every reading of the clock a second later: no real timing
    monkeypatch.setattr(training.time, "perf_counter", lambda: next(clock))
    X = torch.from_numpy(np.random.default_rng(0).standard_normal((96, 6)).astype(np.float32))
    torch.distributed.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        net = build_network(ModelConfig("dense", "plain", [6], 2, [8]))
        settings = training.TrainSettings(epochs=5, batch_size=4, max_seconds=3)
        _, result = training.train(net, X, None, settings, dist=Context(0, 1, 0))
    finally:
        stop()
    assert result.status == "time_limit" and result.epochs_run == 1
    assert "rows into epoch 1." in result.message


def test_the_shard_log_is_written_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.delenv(TEST_SHARD_LOG_ENV, raising=False)
    log_shard(Context(1, 2, 1), [torch.tensor([3, 1])], 4)
    assert not list(tmp_path.iterdir())
    monkeypatch.setenv(TEST_SHARD_LOG_ENV, str(tmp_path))
    log_shard(Context(1, 2, 1), [torch.tensor([3, 1]), torch.tensor([0])], 4)
    assert json.loads((tmp_path / "rank1.json").read_text()) == {"rank": 1, "world_size": 2, "n_rows": 4,
                                                                 "rows": [3, 1, 0]}


# -- python -m aecore train under torchrun ----------------------------------------------------------
def train_args(out: Path) -> list[str]:
    return ["train", "sample:digits", "--epochs", str(EPOCHS), "--batch-size", str(BATCH), "--device", "cpu",
            "--seed", "0", "--projection", "pca", "--out", str(out)]


def test_torchrun_two_processes_train_like_one(tmp_path):
    log = tmp_path / "shards"
    log.mkdir()
    out = tmp_path / "ddp" / "model.aebundle"
    out.parent.mkdir()
    env = {**os.environ, TEST_SHARD_LOG_ENV: str(log), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           f"--nproc_per_node={RANKS}", "-m", "aecore", *train_args(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert list(out.parent.iterdir()) == [out]  # one bundle, by rank 0
    assert proc.stderr.count(f"epoch {EPOCHS}/{EPOCHS}") == 1 and proc.stdout.count("Saved") == 1  # rank 0 speaks
    ddp = load_bundle(out)

    # the ranks trained on disjoint rows that cover the training rows (epoch 1)
    records = [json.loads((log / f"rank{r}.json").read_text()) for r in range(RANKS)]
    n_train = len(ddp.model.split_["train"])
    assert all(rec["n_rows"] == n_train and rec["world_size"] == RANKS for rec in records)
    seen = [set(rec["rows"]) for rec in records]
    assert len(records[0]["rows"]) == len(seen[0]) and len(records[1]["rows"]) == len(seen[1])
    assert not seen[0] & seen[1] and seen[0] | seen[1] == set(range(n_train))
    assert len(seen[0]) == len(seen[1]) + 1 + n_train // BATCH  # 180 + 179 per full batch; the lone last row

    # the same training in one process
    single = tmp_path / "single.aebundle"
    assert main(train_args(single)) == 0
    one = load_bundle(single)
    assert ddp.model.result_.epochs_run == one.model.result_.epochs_run == EPOCHS
    assert ddp.comparison.held_out and ddp.comparison.n_rows == one.comparison.n_rows
    assert ddp.comparison.ae_mse == pytest.approx(one.comparison.ae_mse, rel=RELATIVE_TOLERANCE)
    for a, b in zip(ddp.model.history_, one.model.history_, strict=True):
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=RELATIVE_TOLERANCE)
