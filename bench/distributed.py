"""Training under torchrun on the CPU: the same `python -m aecore train` (same data, seed, epochs and
batch size) in one process and under `torchrun --standalone --nproc_per_node=2` (gloo), each a fresh
subprocess, in rotating order in one run so the machine's load falls on all of them.

The figure is the steady training time: the trainer's own clock from the end of epoch 1 to the end of
the last epoch (EpochReport.elapsed), so process start-up, the rendezvous and PyTorch's one-off
first-step costs (paid in epoch 1) stay out of it; the whole command's wall time is shown beside it.
Two processes take the same optimizer steps as one (each trains on half of every batch and DDP averages
the gradients), so the final validation loss must agree and the ratio is the cost or gain of the split.

Threads: each rank runs 1 thread (OMP_NUM_THREADS=1, torchrun's own default), so 2 ranks use 2 cores;
one process is timed with all cores (the default) and with 1 thread."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from .common import ROOT, Config, median, mnist, note, spread

TITLE = "Training under torchrun: 2 processes vs 1 on the CPU"
RANKS = 2
CONFIGS = {  # name -> (processes, threads per process; None: PyTorch's default, all cores)
    "1 process, all cores": (1, None),
    "1 process, 1 thread": (1, 1),
    f"torchrun, {RANKS} processes x 1 thread": (RANKS, 1),
}
BASELINE = "1 process, all cores"
TIMEOUT_S = 1800  # one training command; far above any run here, so a hung rendezvous fails instead of waiting


def command(processes: int, data: str, epochs: int, batch: int, seed: int, out: Path) -> list[str]:
    train = ["-m", "aecore", "train", data, "--epochs", str(epochs), "--batch-size", str(batch), "--device", "cpu",
             "--seed", str(seed), "--projection", "none", "--out", str(out)]
    if processes == 1:
        return [sys.executable, *train]
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}", *train]


def timed(name: str, data: str, epochs: int, batch: int, seed: int, folder: Path) -> tuple[float, float, float]:
    """(steady training seconds: epochs 2..E, wall seconds of the command, final validation loss)."""
    from aecore.bundle import load_bundle

    processes, threads = CONFIGS[name]
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    out = folder / "model.aebundle"
    start = time.perf_counter()
    proc = subprocess.run(command(processes, data, epochs, batch, seed, out), cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed: {proc.stderr.strip().splitlines()[-1:]}")
    history = load_bundle(out).model.history_
    out.unlink()
    return history[-1]["elapsed"] - history[0]["elapsed"], wall, history[-1]["val_loss"]


def mnist_zip(cfg: Config, folder: Path) -> Path | None:
    """The MNIST training split as a ZIP of PNGs in class folders (a source the CLI reads), or None."""
    split = mnist(cfg)
    if split is None:
        return None
    from PIL import Image

    path = folder / "mnist.zip"
    with zipfile.ZipFile(path, "w") as z:
        for i, (image, label) in enumerate(zip(split.X_train, split.y_train, strict=True)):
            buf = io.BytesIO()
            Image.fromarray((image * 255).round().astype(np.uint8)).save(buf, format="PNG")
            z.writestr(f"{label}/{i:05d}.png", buf.getvalue())
    return path


def rows_for(label: str, data: str, epochs: int, batch: int, repeats: int, names: list[str], cfg: Config,
             folder: Path) -> list[dict]:
    times = {n: [] for n in names}
    walls = {n: [] for n in names}
    losses = {n: [] for n in names}
    for i in range(repeats):
        order = names[i % len(names):] + names[:i % len(names)]  # rotate: none always runs first or last
        for name in order:
            t, w, loss = timed(name, data, epochs, batch, cfg.seed, folder)
            times[name].append(t)
            walls[name].append(w)
            losses[name].append(loss)
    base = median(times[BASELINE])
    return [{"data": label, "epochs": epochs, "batch": batch, "run": name, "repeats": repeats,
             "training s (epochs 2..E, median)": f"{median(times[name]):.2f}", "range": spread(times[name]),
             "wall s (median)": f"{median(walls[name]):.1f}",
             f"time / {BASELINE}": f"{median(times[name]) / base:.2f}",
             "final val loss": f"{median(losses[name]):.6f}"} for name in names]


def dry_run(cfg: Config) -> list[dict]:
    """Smoke mode (the tests, seconds): the commands each run would be, none started. Every run is a fresh
    Python process that imports PyTorch (~5-10 s on a busy 2-core machine), and tests/test_distributed.py
    already runs torchrun for real."""
    shown = {name: ["python", *command(p, "sample:digits", 2, 128, cfg.seed, Path("model.aebundle"))[1:]]
             for name, (p, _) in CONFIGS.items()}
    rows = [{"run": name, "processes x threads": f"{p} x {t or 'all cores'}", "command": " ".join(shown[name])}
            for name, (p, t) in CONFIGS.items()]
    return rows + [note("Smoke mode: the commands only; nothing was started or timed.")]


def run(cfg: Config) -> list[dict]:
    if cfg.smoke:
        return dry_run(cfg)
    start = time.perf_counter()
    names = list(CONFIGS)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows += rows_for("digits (1,437 training rows, 8x8)", "sample:digits", cfg.pick(30, 10, 2), 128,
                         cfg.pick(3, 2, 1), names, cfg, folder)
        source = mnist_zip(cfg, folder) if cfg.mode == "full" else None
        if source is not None:
            rows += rows_for("MNIST (6,400 training rows, 28x28)", str(source), 4, 128, 3, names, cfg, folder)
    rows.append(note(
        f"Each run is `python -m aecore train DATA --device cpu --projection none` as a fresh subprocess, the "
        f"{RANKS}-process one under `torchrun --standalone --nproc_per_node={RANKS}` (gloo); the runs rotate "
        "order in every repeat. Training s: the trainer's clock from the end of epoch 1 to the end of the last "
        "(start-up, rendezvous and the first step's one-off costs excluded); wall s: the whole command, start-up "
        "and saving included. Under torchrun each rank trains on its half of every batch of the same seeded "
        "order, so the steps are one process's steps and the final validation losses agree; every step adds "
        "two all-reduces (the batch loss, then DDP's gradients). This machine has "
        f"{os.cpu_count()} cores, so 2 ranks x 1 thread use the same cores as one process with all of them: "
        "expect no speed-up here; the split pays off with GPUs (one per rank) or several machines. "
        f"{time.perf_counter() - start:.0f} s in all."))
    return rows
