"""The benchmark suite: `python -m bench [--quick] [--only NAME ...]` runs the benchmarks and writes
BENCHMARKS.md (see bench/report.py). Not part of the test suite (tests/test_bench_smoke.py only checks
that the harness still runs, on tiny data).

A benchmark is a module with `run(cfg: bench.common.Config) -> list[dict]` (rows of its table; see
bench/common.py for the row conventions) registered in REGISTRY below. To add one: write
bench/<name>.py with TITLE and run(cfg), and add a `Benchmark` line here. Modules written to the older
`run(quick: bool)` signature (the browser ones) are called with quick=cfg.quick."""
from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Benchmark:
    name: str        # what --only takes
    module: str      # bench.<module>, imported only when run (keeps `--only` cheap)
    title: str
    default: bool = True   # run without --only; off for those that need a browser and a server
    smoke: bool = True     # runs in --smoke mode (the tests)

    def function(self) -> Callable:
        return importlib.import_module(f"bench.{self.module}").run

    def run(self, cfg) -> list[dict]:
        fn = self.function()
        if "cfg" in inspect.signature(fn).parameters:
            return fn(cfg)
        return fn(quick=cfg.mode != "full")


REGISTRY: dict[str, Benchmark] = {b.name: b for b in [
    Benchmark("throughput", "throughput", "1. Training throughput: our trainer vs a hand-written PyTorch loop"),
    Benchmark("quality", "quality", "2. Reconstruction quality vs PCA at the same latent size (held-out rows)"),
    Benchmark("variants", "variants", "2b. Every model variant on digits and MNIST vs PCA (latent 8)"),
    Benchmark("pca_start", "pca_start", "2c. The PCA start: exact on a bounded sample vs a full SVD, by size"),
    Benchmark("fit_scale", "fit_scale", "2d. fit at 100k and 1M rows under the app's 15 s time limit"),
    Benchmark("oneclass", "oneclass", "3. One-class anomaly detection on MNIST (AUROC), vs PCA"),
    Benchmark("memory", "memory", "6. Peak memory of the MNIST 10k engine workflow"),
    Benchmark("projection", "projection", "7. Projection cost: UMAP vs PCA from 1k to 100k rows"),
    # Compiles UMAP twice in fresh processes (over a minute): opt-in with --only, never in --smoke.
    Benchmark("neighbours", "neighbours", "7b. UMAP's neighbours: exact vs NN-descent, first map and by size",
              default=False, smoke=False),
    Benchmark("scale", "scale", "10. The map at scale: 100k, 300k and 1M rows by stage, sampled UMAP vs full"),
    Benchmark("watch", "watch", "9. Watching training: the live map's cost (with vs without, one run)"),
    Benchmark("distributed", "distributed", "11. Training under torchrun: 2 processes vs 1 on the CPU"),
    # Browser benchmarks (headless Chromium against `streamlit run app.py`): opt-in with --only.
    Benchmark("first_map", "first_map", "4. Time to first map in the dashboard", default=False, smoke=False),
    Benchmark("click", "click", "5. Click latency in the dashboard", default=False, smoke=False),
    Benchmark("big_map", "big_map", "12. Big maps: clicks vs a bare app, payload", default=False, smoke=False),
    Benchmark("load", "load", "8. Eight sessions at once: upload, train, click", default=False, smoke=False),
]}
