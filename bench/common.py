"""What every benchmark shares: the run configuration, the data (MNIST split, or a stand-in), the
machine description, and the statistics (medians, never a lone time).

A benchmark is a function `run(cfg: Config) -> list[dict]`. Each dict is one row of its table;
the columns `target` and `status` ("PASS" / "MISS" / "") mark a row that carries a claim (`_figure`, if
given, is its one-line description in the report's summary; other keys starting with "_" are not
shown), a row with only a `note` key is printed as a note under the table (skips, what was timed,
caveats), and a row with only a `table` key starts a new table with that heading."""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MNIST = ROOT.parent / "shared" / "data" / "mnist"
N_TRAIN, N_TEST = 8000, 2000  # first 8,000 of the MNIST test set train, last 2,000 test


@dataclass
class Config:
    mode: str = "full"                 # "full" | "quick" | "smoke" (tiny synthetic data, seconds, for the tests)
    mnist_dir: Path | None = DEFAULT_MNIST
    out: Path = ROOT / "BENCHMARKS.md"
    seed: int = 0
    extra: dict = field(default_factory=dict)  # free-form per-run knobs (tests use it to shrink things further)

    @property
    def quick(self) -> bool:
        return self.mode == "quick"

    @property
    def smoke(self) -> bool:
        return self.mode == "smoke"

    def pick(self, full, quick, smoke):
        """The value for this mode."""
        return {"full": full, "quick": quick, "smoke": smoke}[self.mode]


@dataclass
class Split:
    """Image data split for the MNIST protocol: (n, 28, 28) float32 in [0, 1] and int labels."""
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    source: str


CHILD_TIMEOUT_S = 1_800  # a benchmark's child process, at most


def run_child(module: str, cfg: Config, *args) -> object:
    """Run `python -m bench.<module> --child <mode> <mnist dir> *args` in a fresh process (nothing this one
    holds or has compiled counts there) and return the JSON its last line of output prints."""
    command = [sys.executable, "-m", f"bench.{module}", "--child", cfg.mode, str(cfg.mnist_dir), *map(str, args)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_config(mode: str, mnist_dir: str) -> Config:
    """The Config of a child that run_child started, from its first two arguments."""
    return Config(mode=mode, mnist_dir=Path(mnist_dir), out=ROOT / "BENCHMARKS.md")


def note(text: str) -> dict:
    return {"note": text}


def heading(text: str) -> dict:
    return {"table": text}


def mnist(cfg: Config) -> Split | None:
    """The MNIST split, or None when the folder is missing. Smoke mode uses a tiny stand-in
    (scikit-learn's 8x8 digits) so the code paths run without the MNIST files."""
    if cfg.smoke:
        from sklearn.datasets import load_digits

        d = load_digits()
        X = (d.images / 16.0).astype(np.float32)
        return Split(X[:240], d.target[:240], X[240:320], d.target[240:320], "stand-in: scikit-learn digits (smoke)")
    folder = cfg.mnist_dir
    if folder is None or not (Path(folder) / "t10k-images-idx3-ubyte.gz").exists():
        return None
    from aecore.idx import load_mnist

    X, y = load_mnist(folder)
    return Split(X[:N_TRAIN], y[:N_TRAIN], X[-N_TEST:], y[-N_TEST:],
                 f"MNIST test set: first {N_TRAIN:,} train, last {N_TEST:,} test")


def missing_mnist(cfg: Config) -> dict:
    return note(f"MNIST not found at {cfg.mnist_dir}: its rows are skipped. Put t10k-images-idx3-ubyte.gz and "
                "t10k-labels-idx1-ubyte.gz there (or pass --mnist DIR) to run them.")


def median(values) -> float:
    return float(statistics.median(values))


def spread(values) -> str:
    """'min-max' of a few figures, so a reader sees the noise beside the median."""
    return f"{min(values):.3g}-{max(values):.3g}"


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def threads() -> int:
    import torch

    return torch.get_num_threads()


def machine() -> dict:
    """What the figures were measured on."""
    import torch

    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cpu count": os.cpu_count(), "torch": torch.__version__,
            "torch threads": f"{os.cpu_count()} (set_threads' default: the cpu count)",
            "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "unset"),
            "numpy": np.__version__, "python": platform.python_version(),
            "load average at start": " / ".join(f"{x:.2f}" if isinstance(x, float) else str(x) for x in load)}
