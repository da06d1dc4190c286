"""2c. The PCA start: what aecore.networks.pca_basis costs, against the full SVD of every training row it
replaced, by size.

A model with linear paths starts at PCA of its training rows (Network.start_at_pca). pca_basis fits it on at
most PCA_START_ROWS rows (PCA_START_SIDE when a row has more values than that), exactly, from the smaller
Gram matrix; before, a full SVD of every training row ran in float64, which at 400,000 MNIST rows took 90 s
and 11 GB inside `fit`. Each (way, rows, values) runs in a fresh subprocess (`python -m bench.pca_start
--child ...`) that builds its data, then times the start and reads how far its peak resident memory rose
above the data's own (VmHWM, Linux). Quality: the mean squared error of the PCA-8 reconstruction of 2,000
held-out images with the components found: the sampled start against the full SVD where both ran.

Data: MNIST training images (784 values), tiled with pixel jitter past 8,000 rows; the large-image rows are
the same digits scaled 2x and padded to 64x64, in 3 channels scaled differently (12,288 values). Without
MNIST (or in smoke mode), scikit-learn's 8x8 digits stand in."""
from __future__ import annotations

import json
import sys
import time

import numpy as np

from .common import Config, child_config, heading, mnist, note, run_child

K = 8
JITTER = 0.02


def images(cfg: Config, n: int, big: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """n training rows and the held-out rows, flattened, float32; the data's description."""
    split = mnist(cfg)
    if split is None:
        from sklearn.datasets import load_digits

        d = (load_digits().images / 16.0).astype(np.float32)
        train, test, source = d[:1_500], d[1_500:], "scikit-learn digits (MNIST missing)"
    else:
        train, test, source = split.X_train, split.X_test, split.source
    rng = np.random.default_rng(cfg.seed)
    idx = rng.integers(0, len(train), n) if n > len(train) else np.arange(n)
    X = train[idx]
    if n > len(train):
        X = np.clip(X + rng.normal(0, JITTER, X.shape).astype(np.float32), 0, 1)
    if big:
        X, test = large(X), large(test)
        source += ", scaled to 3x64x64"
    return X.reshape(n, -1), test.reshape(len(test), -1), source


def large(X: np.ndarray) -> np.ndarray:
    """(n, h, w) -> (n, 3, 64, 64): each image scaled 2x (nearest), padded, in 3 channels scaled differently."""
    up = X.repeat(2, axis=1).repeat(2, axis=2)[:, :64, :64]
    pad = np.zeros((len(X), 64, 64), np.float32)
    pad[:, : up.shape[1], : up.shape[2]] = up
    return np.stack([pad, 0.8 * pad, 0.5 * pad], axis=1)


def full_svd(X, k: int):
    """The start as it was: a full SVD of every row, in float64."""
    import torch

    x = X.reshape(len(X), -1).double()
    mean = x.mean(0)
    _, _, vt = torch.linalg.svd(x - mean, full_matrices=False)
    comps = torch.zeros(k, x.shape[1], dtype=torch.float64)
    comps[: min(k, len(vt))] = vt[:k]
    return comps, mean


def heldout_mse(comps, mean, test: np.ndarray) -> float:
    c, m = comps.numpy(), mean.numpy()
    z = (test - m) @ c.T
    return float(np.mean((z @ c + m - test) ** 2))


def child_run(cfg: Config, way: str, n: int, big: bool) -> dict:
    import torch

    from aecore.networks import pca_basis, pca_start_rows

    from .memory import peak_mib, reset_peak

    X, test, source = images(cfg, n, big)
    t = torch.from_numpy(X)
    reset_peak()
    before = peak_mib()  # the resident set now: the peak was just reset to it
    start = time.perf_counter()
    comps, mean = (pca_basis if way == "sampled" else full_svd)(t, K)
    seconds = time.perf_counter() - start
    return {"way": way, "rows": n, "values": X.shape[1], "fitted on": pca_start_rows(n, X.shape[1]) if way == "sampled"
            else n, "s": seconds, "extra MiB": peak_mib() - before, "data MiB": X.nbytes / 2**20,
            "mse": heldout_mse(comps, mean, test), "source": source}


def run(cfg: Config) -> list[dict]:
    # (rows, large images, whether the full SVD runs too: at 1M MNIST rows it would need ~19 GB beyond the data)
    cases = cfg.pick([(10_000, False, True), (100_000, False, True), (400_000, False, False),
                      (1_000_000, False, False), (1_000, True, True), (5_000, True, True)],
                     [(10_000, False, True), (100_000, False, True), (1_000, True, True)],
                     [(300, False, True), (1_200, False, True)])
    rows = [heading("Time and memory of the PCA start, and its held-out PCA-8 error")]
    sources = []
    for n, big, both in cases:
        ways = ("sampled", "full SVD") if both else ("sampled",)
        got = {way: run_child("pca_start", cfg, way, n, int(big)) for way in ways}
        s, f = got["sampled"], got.get("full SVD")
        sources += [s["source"]] if s["source"] not in sources else []
        rows.append({"rows": f"{n:,}", "values per row": f"{s['values']:,}", "data MiB": round(s["data MiB"]),
                     "sampled: fitted on": f"{s['fitted on']:,}", "sampled s": round(s["s"], 2),
                     "sampled extra MiB": round(s["extra MiB"]),
                     "full SVD s": round(f["s"], 2) if f else "not run",
                     "full SVD extra MiB": round(f["extra MiB"]) if f else "not run",
                     "time full / sampled": f"{f['s'] / s['s']:.1f}x" if f else "",
                     "held-out MSE sampled": f"{s['mse']:.5f}",
                     "held-out MSE full SVD": f"{f['mse']:.5f}" if f else "",
                     "MSE sampled / full": f"{s['mse'] / f['mse']:.4f}" if f else ""})
    rows.append(note(f"Data: {'; '.join(sources)}. Each figure from its own subprocess, one run each, one after "
                     "the other. Extra MiB: the peak resident memory (VmHWM, reset once the data was built) above "
                     "the resident memory then. The full SVD is not run where its float64 copies (three of the "
                     "data's size, twice as wide) would not fit this machine: at 400,000 MNIST rows it took 90 s and "
                     "11 GB inside `fit` before this change. Held-out MSE: PCA-8 reconstruction of the held-out "
                     "images with the components found."))
    return rows


def main(argv: list[str]) -> None:
    mode, mnist_dir, way, n, big = argv
    print(json.dumps(child_run(child_config(mode, mnist_dir), way, int(n), big == "1")))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        main(sys.argv[2:])
