"""2d. `fit` at scale under the app's time limit: seconds and peak memory of the default Autoencoder on
100,000 and 1,000,000 MNIST-sized rows with the app's 15 s limit.

Each size in a fresh subprocess (`python -m bench.fit_scale --child ...`), which builds the rows (MNIST
training images tiled with pixel jitter, as in benchmark 2c), resets its peak resident memory, then fits.
What it shows: the PCA start (2c), the epoch cut short at the time limit (an epoch of 880,000 rows alone
takes several times the limit here) and the capped validation rows keep `fit` near the limit at any size,
and batches gathered from the data itself (no copy of the training rows) keep its memory near the data's."""
from __future__ import annotations

import json
import sys
import time

from .common import Config, child_config, heading, note, run_child
from .pca_start import images


def child_run(cfg: Config, n: int, max_seconds: float) -> dict:
    from aecore import Autoencoder

    from .memory import peak_mib, reset_peak

    X, _, source = images(cfg, n, big=False)
    X = X.reshape(n, 1, 28, 28) if X.shape[1] == 784 else X
    reset_peak()
    before = peak_mib()  # the resident set now: the peak was just reset to it
    start = time.perf_counter()
    model = Autoencoder(max_seconds=max_seconds).fit(X)
    return {"rows": n, "s": time.perf_counter() - start, "message": model.result_.message,
            "data MiB": X.nbytes / 2**20, "extra MiB": peak_mib() - before, "source": source}


def run(cfg: Config) -> list[dict]:
    from dashboard.training_panel import APP_TIME_LIMIT_S

    sizes = cfg.pick([100_000, 1_000_000], [100_000], [600])
    limit = cfg.pick(APP_TIME_LIMIT_S, APP_TIME_LIMIT_S, 0.5)
    rows = [heading(f"The default model's fit with a {limit:g} s time limit")]
    source = ""
    for n in sizes:
        r = run_child("fit_scale", cfg, n, limit)
        source = r["source"]
        rows.append({"rows": f"{n:,}", "data MiB": round(r["data MiB"]), "fit s": round(r["s"], 1),
                     "fit s / limit": f"{r['s'] / limit:.2f}", "peak above the data's build MiB": round(r["extra MiB"]),
                     "how training ended": r["message"]})
    rows.append(note(f"Data: {source}, tiled with jitter. One run per size, each in its own subprocess. Peak: VmHWM "
                     "reset once the data was built, minus the resident memory then. `fit` includes checking the "
                     "data, the PCA start, the epochs, and scoring the validation rows "
                     "after the last one. Before the PCA start was bounded and epochs could be cut short, `fit` on "
                     "400,000 such rows with a 3 s limit took 98 s with an 11 GB peak (the whole process); before "
                     "batches were gathered from the data itself, 1,000,000 rows peaked 2,958 MiB above it."))
    return rows


def main(argv: list[str]) -> None:
    mode, mnist_dir, n, max_seconds = argv
    print(json.dumps(child_run(child_config(mode, mnist_dir), int(n), float(max_seconds))))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        main(sys.argv[2:])
