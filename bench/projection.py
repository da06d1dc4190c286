"""7. Projection cost: aecore.projection.project with UMAP (the map the product shows by default) against
PCA on the same latent-8 codes, from 1k to 100k rows, after UMAP's one-off warm-up (timed separately:
`import umap`, then aecore.projection.warm_up() for each way: two fits on 4,096 rows,
one per way of finding neighbours; benchmark 7b compares the two ways).

Codes: PCA-8 of the 10,000 MNIST images (a stand-in for an encoder's codes with the same shape and a
real cluster structure), tiled with small jitter past 10k rows; random 10-cluster codes if MNIST is
missing. UMAP runs as the product runs it: random_state None, every core."""
from __future__ import annotations

import math
import sys
import time

import numpy as np

from .common import Config, heading, median, mnist, note, spread

LATENT = 8
QUICK_REPEATS = {1_000: 3, 3_000: 3, 10_000: 2}


def codes(cfg: Config, n: int) -> tuple[np.ndarray, str]:
    rng = np.random.default_rng(cfg.seed)
    split = mnist(cfg)
    if split is not None:
        from sklearn.decomposition import PCA

        X = np.concatenate([split.X_train, split.X_test]).reshape(-1, int(np.prod(split.X_train.shape[1:])))
        base = PCA(LATENT, random_state=0).fit_transform(X).astype(np.float32)
        source = f"PCA-{LATENT} codes of {len(base):,} images ({split.source.split(':')[0]})"
    else:
        centres = rng.normal(0, 3, (10, LATENT))
        base = (centres[rng.integers(0, 10, 10_000)] + rng.normal(0, 1, (10_000, LATENT))).astype(np.float32)
        source = "random 10-cluster codes (MNIST missing)"
    if n <= len(base):
        return base[rng.permutation(len(base))[:n]], source
    idx = rng.integers(0, len(base), n)
    jitter = rng.normal(0, 0.05, (n, LATENT)).astype(np.float32) * base.std(0)
    return base[idx] + jitter, source + ", tiled with 5% jitter"


def timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def run(cfg: Config) -> list[dict]:
    from aecore.projection import project, warm_up

    sizes = cfg.pick([1_000, 3_000, 10_000, 30_000, 100_000], [1_000, 3_000, 10_000], [300, 1_000])
    umap_repeats = {1_000: 3, 3_000: 3, 10_000: 3, 30_000: 2, 100_000: 1}
    rows = []
    use_umap = not cfg.smoke  # the numba compile alone outlasts a smoke test
    if use_umap:
        already = "umap" in sys.modules
        start = time.perf_counter()
        import umap  # noqa: F401

        imported = time.perf_counter() - start
        compile_s = warm_up(exact=True) + warm_up(exact=False)
        rows += [heading("One-off warm-up (UMAP's numba compile), timed apart"),
                 {"step": "import umap", "seconds": f"{imported:.1f}" + (" (already imported)" if already else "")},
                 {"step": "aecore.projection.warm_up(), both ways: UMAP on 4,096 random rows, exact neighbours "
                          "then NN-descent",
                  "seconds":
                  f"{compile_s:.1f}" + (" (already warm)" if compile_s == 0 else "")},
                 heading("Projection time by rows, after the warm-up")]
    previous = None
    source = ""
    for n in sizes:
        Z, source = codes(cfg, n)
        pca = timed(lambda Z=Z: project(Z, "pca"), 5)
        row = {"rows": f"{n:,}", "PCA ms (median)": f"{1000 * median(pca):.1f}",
               "PCA range ms": spread([1000 * t for t in pca])}
        if use_umap:
            u = timed(lambda Z=Z: project(Z, "umap"), cfg.pick(umap_repeats, QUICK_REPEATS, {}).get(n, 1))
            row.update({"UMAP s (median)": f"{median(u):.2f}", "UMAP runs": len(u), "UMAP range s": spread(u),
                        "UMAP / PCA": f"{median(u) / median(pca):,.0f}x"})
            if previous is not None:
                exponent = math.log(median(u) / previous[1]) / math.log(n / previous[0])
                row["UMAP growth"] = f"t ~ n^{exponent:.2f} since {previous[0]:,}"
            previous = (n, median(u))
        rows.append(row)
    rows.append(note(f"Codes: {source}, latent {LATENT}. PCA: 5 runs per size. UMAP: n_neighbors 15, min_dist 0.1, "
                     "all cores; the runs at each size are few because each is seconds to minutes: the range shows "
                     "the noise. No target was set for this benchmark: it measures what the 'UMAP or PCA' choice "
                     "costs."))
    if cfg.quick:
        rows.append(note("Quick mode stops at 10,000 rows (2 UMAP runs there); the full run goes to 100,000."))
    if not use_umap:
        rows.append(note("Smoke mode: PCA only (UMAP's compile takes longer than the smoke test may)."))
    return rows
