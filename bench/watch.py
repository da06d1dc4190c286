"""The cost of watching the latent space form: the same fit (same data, seed and epochs) with and without
the app's Watcher (a frame of 1,000 rows, PCA and Procrustes, within a 10% time budget), in alternating
pairs in one run, so the machine's load falls on both. Digits in every mode, MNIST's 8,000 training rows
in full mode when the files are there."""
from __future__ import annotations

import time

import numpy as np

from aecore import Autoencoder
from aecore.watch import Watcher, sample_for_watching

from .common import Config, median, mnist, note, spread

TITLE = "Watching training: the live map's cost"
TARGET = 1.10  # the bound: watching may not slow training by more than 10%


def fit_seconds(X: np.ndarray, epochs: int, watch: bool, seed: int) -> tuple[float, int]:
    """Seconds of training (the trainer's own clock) and frames taken."""
    model = Autoencoder(epochs=epochs, seed=seed, patience=10**6, validation=0.0, test=0.0)
    watcher = Watcher(X[sample_for_watching(len(X))], model=model) if watch else None
    model.fit(X, callback=watcher)
    return model.result_.seconds, len(watcher.frames) if watcher else 0


def pairs(X: np.ndarray, epochs: int, repeats: int, seed: int) -> tuple[list[float], list[float], list[int]]:
    plain, watched, frames = [], [], []
    fit_seconds(X, 1, True, seed)  # one-off start-up costs, paid before anything is measured
    for i in range(repeats):
        order = (False, True) if i % 2 == 0 else (True, False)  # neither always runs on a fresher machine
        for watch in order:
            seconds, n = fit_seconds(X, epochs, watch, seed)
            (watched if watch else plain).append(seconds)
            frames += [n] if watch else []
    return plain, watched, frames


def row(data: str, epochs: int, plain: list[float], watched: list[float], frames: list[int]) -> dict:
    ratio = median(watched) / median(plain)
    return {"data": data, "epochs": epochs, "pairs": len(plain),
            "without (s, median)": f"{median(plain):.2f}", "with (s, median)": f"{median(watched):.2f}",
            "range without / with": f"{spread(plain)} / {spread(watched)}", "frames": int(np.median(frames)),
            "with / without": f"{ratio:.3f}", "target": f"<= {TARGET:.2f}",
            "status": "PASS" if ratio <= TARGET else "MISS"}


def run(cfg: Config) -> list[dict]:
    from aecore.samples import digits

    start = time.perf_counter()
    X = digits().X
    if cfg.smoke:
        X = X[:300]
    epochs, repeats = cfg.pick(40, 20, 2), cfg.pick(7, 5, 1)
    rows = [row("digits (1,797, 8x8)", epochs, *pairs(X, epochs, repeats, cfg.seed))]
    split = mnist(cfg) if not cfg.quick else None
    if split is not None and not cfg.smoke:
        rows.append(row("MNIST (8,000, 28x28)", 5, *pairs(split.X_train, 5, cfg.pick(5, 3, 1), cfg.seed)))
    rows.append(note("Each pair: Autoencoder(epochs=E, seed, no validation or test split, no early stopping)"
                     " fitted twice on the same rows, once with the Watcher as its epoch callback (as the app"
                     " trains), in alternating order; the time is the trainer's own (EpochReport.elapsed at the"
                     f" end). {time.perf_counter() - start:.0f} s in all."))
    return rows
