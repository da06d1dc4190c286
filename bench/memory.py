"""6. Peak memory (resident set) of the engine workflow on MNIST 10k: load the images, train the default
Autoencoder, explore (encode, reconstruction errors, UMAP map, map inverse: aecore.explore.explore),
save a bundle with data, codes and map.

It runs in a fresh subprocess (`python -m bench.memory --child ...`) so nothing this process already
holds counts; the child reads its own peak after each step and prints them as JSON. The peak is a
high-water mark: each step's figure is the peak so far, including that step.

The peak is VmHWM from /proc/self/status (Linux); ru_maxrss is shown beside it, but on Linux it is
inherited across fork + exec, so in a child of this (by then large) process it can start at the
parent's size."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import ROOT, Config, mnist, note

TARGET_GIB = 2.0


def peak_mib() -> float:
    """This process's peak resident set in MiB: VmHWM from /proc/self/status where there is one (the
    high-water mark of this program's own memory), else getrusage's ru_maxrss. On Linux ru_maxrss
    survives exec, so a child started from a big parent reports at least the parent's size at the
    fork: it over-counts here (the parent has trained models by the time this runs)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20  # macOS reports bytes


def reset_peak() -> bool:
    """Reset this process's VmHWM to its current resident set (Linux: write 5 to /proc/self/clear_refs), so
    peak_mib() reads the peak from here on (right after, the resident set itself). False where it cannot:
    the peaks are then high-water marks so far."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def rusage_mib() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def child(mode: str, mnist_dir: str, out_dir: str, epochs: int | None, projection: str) -> dict:
    """The workflow, step by step, with the peak after each."""
    steps = {}
    start = time.perf_counter()

    def mark(step: str) -> None:
        steps[step] = {"peak MiB": round(peak_mib(), 1), "ru_maxrss MiB": round(rusage_mib(), 1),
                       "s": round(time.perf_counter() - start, 1)}

    import numpy as np
    import torch  # noqa: F401

    from aecore import Autoencoder, images_from_array
    from aecore.bundle import save_bundle
    from aecore.explore import explore

    mark("imports (torch, aecore)")
    cfg = Config(mode=mode, mnist_dir=Path(mnist_dir) if mnist_dir else None)
    split = mnist(cfg)
    if split is not None:
        X = np.concatenate([split.X_train, split.X_test])
        y = np.concatenate([split.y_train, split.y_test])
        source = split.source.split(":")[0] + f" ({len(X):,} images)"
    else:  # same shape and size: memory depends on those, not on the pixels
        rng = np.random.default_rng(0)
        X, y = rng.random((10_000, 28, 28), dtype=np.float32), rng.integers(0, 10, 10_000)
        source = "random 10,000 x 28x28 (MNIST missing)"
    data = images_from_array(X, labels=y, name="mnist")
    mark("load")
    params = {"epochs": epochs} if epochs else {}
    if mode == "smoke":
        params.update(hidden=[16])
    model = Autoencoder(**params).fit(data)
    mark(f"train ({model.result_.epochs_run} epochs)")
    ex = explore(model, data, projection=projection)
    mark(f"explore ({ex.projection} map)")
    path = Path(out_dir) / "mnist.aebundle"
    save_bundle(path, model, data, codes=ex.codes, xy=ex.xy, errors=ex.errors)
    mark(f"save bundle ({path.stat().st_size / 2**20:.1f} MiB file)")
    return {"steps": steps, "source": source}


def run(cfg: Config) -> list[dict]:
    epochs = cfg.pick(None, 3, 1)
    projection = "pca" if cfg.smoke else "umap"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "bench.memory", "--child", cfg.mode, str(cfg.mnist_dir or ""), tmp,
               str(epochs or 0), projection]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3600,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if proc.returncode != 0:
        raise RuntimeError(f"the workflow subprocess failed: {proc.stderr.strip().splitlines()[-1:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    rows = [{"step": step, "peak RSS so far (MiB)": v["peak MiB"], "ru_maxrss (MiB)": v["ru_maxrss MiB"],
             "elapsed s": v["s"]} for step, v in result["steps"].items()]
    peak = max(v["peak MiB"] for v in result["steps"].values())
    rows.append({"step": "whole workflow", "peak RSS so far (MiB)": peak, "ru_maxrss (MiB)": "", "elapsed s": "",
                 "figure": f"peak RSS {peak / 1024:.2f} GiB", "target": f"< {TARGET_GIB:g} GiB",
                 "status": "PASS" if peak < TARGET_GIB * 1024 else "MISS"})
    rows.append(note(f"Data: {result['source']}. Autoencoder defaults" + (f" except epochs={epochs}" if epochs else "")
                     + f"; explore(projection='{projection}'); save_bundle with data, codes, map and errors."
                     + (" Quick mode trains 3 epochs: the peak depends on the data and the network's size, "
                        "not on how long it trains." if cfg.quick else "")))
    return rows


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--child":
    mode, mnist_dir, out_dir, epochs, projection = sys.argv[2:7]
    print(json.dumps(child(mode, mnist_dir, out_dir, int(epochs) or None, projection)))
