"""7b. UMAP's neighbours: exact (scikit-learn, handed to UMAP as precomputed_knn) against NN-descent
(pynndescent), the choice aecore.projection.EXACT_KNN_ROWS makes.

(1) The first map of a fresh process, which is what a new server's first user waits for: each way in a
subprocess of its own (`python -m bench.neighbours --child cold exact|nn-descent`), imports excluded, a fit on
COLD_ROWS codes, so numba's compile is most of what is timed. The two children run one after the other.
(2) Once both ways are compiled (one subprocess, `--child warm`): fit time and trustworthiness by size, the two
ways in turn at each size.

Codes: as benchmark 7 (PCA-8 codes of the MNIST images, tiled with jitter past 10k; random clusters if MNIST
is missing), distinct. UMAP: n_neighbors 15, random_state None, every core, as the app runs it."""
from __future__ import annotations

import json
import sys
import time

import numpy as np

from .common import Config, child_config, heading, median, note, run_child

COLD_ROWS = 400
EVAL_ROWS = 2_000  # codes scored by trustworthiness (10 neighbours)
WAYS = {"exact": True, "nn-descent": False}


def distinct_codes(cfg: Config, n: int) -> tuple[np.ndarray, str]:
    from .projection import codes

    Z, source = codes(cfg, n)
    return np.unique(Z, axis=0), source


def cold(cfg: Config, way: str) -> dict:
    from aecore import projection as P

    Z, _ = distinct_codes(cfg, COLD_ROWS)
    import umap  # noqa: F401  (imported before the clock: the import is not the compile)

    start = time.perf_counter()
    P.fit_umap(Z, exact=WAYS[way])
    return {"way": way, "s": time.perf_counter() - start}


def warm(cfg: Config, sizes: list[int], repeats: int) -> list[dict]:
    from sklearn.manifold import trustworthiness

    from aecore import projection as P

    P.warm_up(exact=True), P.warm_up(exact=False)
    rows = []
    for n in sizes:
        Z, source = distinct_codes(cfg, n)
        scored = np.sort(np.random.default_rng(cfg.seed).choice(len(Z), min(EVAL_ROWS, len(Z)), replace=False))
        times: dict[str, list[float]] = {way: [] for way in WAYS}
        trust: dict[str, list[float]] = {way: [] for way in WAYS}
        for _ in range(1 if n > P.EXACT_KNN_ROWS else repeats):
            for way, exact in WAYS.items():  # in turn: load on the machine falls on both alike
                start = time.perf_counter()
                xy = P.fit_umap(Z, exact=exact)
                times[way].append(time.perf_counter() - start)
                trust[way].append(float(trustworthiness(Z[scored], xy[scored], n_neighbors=10)))
        rows.append({"codes": len(Z), "source": source, "chosen": "exact" if len(Z) <= P.EXACT_KNN_ROWS else
                     "nn-descent", **{f"{way} s": times[way] for way in WAYS},
                     **{f"{way} trust": trust[way] for way in WAYS}})
    return rows


def run(cfg: Config) -> list[dict]:
    sizes = cfg.pick([1_000, 3_000, 10_000, 20_000, 50_000], [1_000, 10_000], [300])
    rows = [heading(f"First map of a fresh process: UMAP on {COLD_ROWS} codes, numba's compile included")]
    firsts = {way: run_child("neighbours", cfg, "cold", way)[0]["s"] for way in WAYS}
    rows += [{"neighbours": way, "first fit s": round(s, 1), "vs exact": f"{s / firsts['exact']:.1f}x"}
             for way, s in firsts.items()]
    rows.append(heading("Fit time and quality by size, both compiled (in turn at each size)"))
    for r in run_child("neighbours", cfg, "warm", ",".join(map(str, sizes)), cfg.pick(2, 1, 1)):
        e, d = median(r["exact s"]), median(r["nn-descent s"])
        rows.append({"distinct codes": f"{r['codes']:,}", "exact s": round(e, 2), "nn-descent s": round(d, 2),
                     "exact / nn-descent": f"{e / d:.2f}", "runs": len(r["exact s"]),
                     "trustworthiness exact": round(median(r["exact trust"]), 4),
                     "trustworthiness nn-descent": round(median(r["nn-descent trust"]), 4),
                     "the app uses": r["chosen"]})
        source = r["source"]
    rows.append(note(f"Codes: {source}, distinct. Cold: each way in a fresh subprocess, `import umap` before the "
                     "clock. Warm: one subprocess after aecore.projection.warm_up() of both ways; trustworthiness: "
                     "scikit-learn's, "
                     f"10 neighbours, on {EVAL_ROWS:,} seeded codes against their map positions. UMAP is unseeded, "
                     "as in the app, so two runs of one way differ by about as much as the two ways do."))
    return rows


def main(argv: list[str]) -> None:
    mode, mnist_dir, what, *rest = argv
    cfg = child_config(mode, mnist_dir)
    if what == "cold":
        out = [cold(cfg, rest[0])]
    else:
        out = warm(cfg, [int(n) for n in rest[0].split(",")], int(rest[1]))
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        main(sys.argv[2:])
