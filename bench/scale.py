"""10. The map at scale: aecore.projection.project_map (duplicates projected once; above SAMPLE_LIMIT distinct
codes UMAP fitted on a seeded sample, the rest placed by the KD-tree blend; PCA start) and the MapInverse on
top of it, at 100k, 300k and 1M rows: time by stage, peak memory, map quality; at 100k, the placement chosen
against the alternatives and a full UMAP; and UMAP's spectral start against the PCA start on near-duplicates.

Codes: PCA-8 of the 10,000 MNIST images (a stand-in for an encoder's codes, as in benchmark 7), tiled with
5% jitter to the size (near-duplicates of 10k images, the kind of codes augmented data gives), then 15% of
the rows replaced by exact copies of other rows (real tables hold duplicate rows). Random 10-cluster codes if
MNIST is missing.

Each size runs in a fresh subprocess (`python -m bench.scale --child ...`, which prints JSON), so its peak
resident set (VmHWM, bench.memory.peak_mib) is its own; UMAP's numba compile is timed apart in each child.
Quality: scikit-learn's trustworthiness (10 neighbours) of a seeded 5,000-row sample of the distinct codes
against their map positions, and, at 100k, the share of each sampled row's 10 nearest map neighbours that
are also its 10 nearest in a full UMAP of all distinct codes (a second full UMAP run gives the noise floor)."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np

from .common import ROOT, Config, heading, note

DUPLICATE_SHARE = 0.15  # rows replaced by exact copies of other rows
EVAL_ROWS = 5_000       # distinct codes scored (trustworthiness is O(n^2) in memory and time)
SMOKE_EVAL_ROWS = 300
EVAL_SEED = 1  # mixed with cfg.seed: a stream apart from aecore.projection.SAMPLE_SEED's
SMOKE_SAMPLE_LIMIT = 500
EVAL_NEIGHBOURS = 10    # neighbours compared by trustworthiness and map agreement
CHILD_TIMEOUT_S = 2_700  # the one child: compile, three sizes, the placements, the starts (~14 min at load 7)
SPECTRAL_ROWS = 50_000  # distinct near-duplicate codes for the start comparison: what a fit at SAMPLE_LIMIT faces
SPECTRAL_LIMIT_S = 150  # the spectral start gets this long (after the compile) before it counts as stalled
MLP_EPOCHS = 30         # candidate (b): a code -> position network trained on the fitted sample
MLP_HIDDEN = 128
TRANSFORM_CHUNK = 50_000  # candidate (a): umap-learn's transform, this many codes per call


def scale_codes(cfg: Config, n: int) -> tuple[np.ndarray, str]:
    from .projection import codes

    Z, source = codes(cfg, n)
    rng = np.random.default_rng(cfg.seed + 1)
    copies = rng.choice(n, int(DUPLICATE_SHARE * n), replace=False)
    Z[copies] = Z[rng.integers(0, n, len(copies))]
    return Z, f"{source}, {DUPLICATE_SHARE:.0%} of rows exact copies of others"


def trust(Z: np.ndarray, xy: np.ndarray, rows: np.ndarray) -> float:
    from sklearn.manifold import trustworthiness

    return float(trustworthiness(Z[rows], xy[rows], n_neighbors=EVAL_NEIGHBOURS))


def agreement(xy: np.ndarray, reference: np.ndarray, rows: np.ndarray) -> float:
    """Mean share of each row's EVAL_NEIGHBOURS nearest map neighbours (among all points) that are also its
    nearest in the reference map."""
    from scipy.spatial import cKDTree

    k = EVAL_NEIGHBOURS + 1
    _, a = cKDTree(xy).query(xy[rows], k=k)
    _, b = cKDTree(reference).query(reference[rows], k=k)
    return float(np.mean([len(set(x[1:]) & set(y[1:])) / EVAL_NEIGHBOURS for x, y in zip(a, b, strict=True)]))


def mlp_place(known: np.ndarray, xy: np.ndarray, new: np.ndarray, seed: int, epochs: int) -> np.ndarray:
    """Candidate (b): a small network trained from code to map position on the fitted sample."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    mu, sd = known.mean(0), known.std(0) + 1e-6
    cx, cs = xy.mean(0), xy.std(0)
    X = torch.from_numpy((known - mu) / sd).float()
    Y = torch.from_numpy((xy - cx) / cs).float()
    net = torch.nn.Sequential(torch.nn.Linear(known.shape[1], MLP_HIDDEN), torch.nn.ReLU(),
                              torch.nn.Linear(MLP_HIDDEN, MLP_HIDDEN), torch.nn.ReLU(), torch.nn.Linear(MLP_HIDDEN, 2))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(epochs):
        for idx in torch.randperm(len(X), generator=gen).split(512):
            opt.zero_grad()
            torch.nn.functional.mse_loss(net(X[idx]), Y[idx]).backward()
            opt.step()
    with torch.no_grad():
        out = net(torch.from_numpy((new - mu) / sd).float()).numpy()
    return (out * cs + cx).astype(np.float32)


def measure_size(cfg: Config, n: int, limit: int) -> dict:
    """One size: codes, project_map by stage, MapInverse with 200 decodes, peak memory, quality."""
    from aecore import projection as P

    from .memory import peak_mib, reset_peak

    out = {"rows": n, "peak reset": reset_peak(), "MiB start": round(peak_mib(), 1)}
    Z, out["source"] = scale_codes(cfg, n)
    start = time.perf_counter()
    result = P.project_map(Z, "umap", sample_limit=limit)
    out["map s"] = time.perf_counter() - start
    out.update({f"{k} s": v for k, v in result.timings.items()})
    out.update(distinct=result.distinct, fitted=result.fitted, description=result.description)
    start = time.perf_counter()
    inverse = P.MapInverse(result.xy, Z)
    out["inverse s"] = time.perf_counter() - start
    rng = np.random.default_rng(cfg.seed)
    clicks = result.xy[rng.integers(0, n, 200)] + rng.normal(0, 0.05, (200, 2)).astype(np.float32)
    start = time.perf_counter()
    for x, y in clicks:
        inverse.decode_point(x, y)
    out["decode ms"] = 1000 * (time.perf_counter() - start) / len(clicks)
    out["MiB peak"] = round(peak_mib(), 1)
    distinct, inv = P.distinct_rows(Z)
    first = np.unique(inv, return_index=True)[1]  # a row of each distinct code: its map position
    out["trust"] = trust(distinct, result.xy[first], eval_rows(cfg, len(distinct)))
    return out


def eval_rows(cfg: Config, m: int) -> np.ndarray:
    """The scored codes, drawn apart from the fit's sample (the same seed would draw a prefix of that sample, and
    score fitted codes only): about half of them are placed ones above SAMPLE_LIMIT."""
    count = min(cfg.pick(EVAL_ROWS, EVAL_ROWS, SMOKE_EVAL_ROWS), m)
    return np.sort(np.random.default_rng([cfg.seed, EVAL_SEED]).choice(m, count, replace=False))


def measure(cfg: Config, sizes: list[int], limit: int, emit) -> None:
    """Everything in one process (UMAP compiles once): the warm-up, each size, the placements at the first
    size; each result goes to emit(dict) as soon as it is known."""
    from aecore import projection as P

    if cfg.smoke:  # UMAP's compile outlasts a smoke test: a PCA stands in for the fit, the rest runs as is
        def pca_fit(Z, *args, return_reducer=False, **kwargs):
            xy = P.pca_2d(Z).astype(np.float32)
            return (xy, None) if return_reducer else xy

        P.fit_umap = pca_fit
        emit({"warm-up s": 0.0})
    else:
        emit({"warm-up s": P.warm_up(exact=True) + P.warm_up(exact=False)})
    for n in sizes:
        emit({"size": measure_size(cfg, n, limit)})
    Z, _ = scale_codes(cfg, sizes[0])
    distinct, _ = P.distinct_rows(Z)
    compare_placements(cfg, distinct, eval_rows(cfg, len(distinct)), limit, emit)


def measure_start(cfg: Config, emit) -> None:
    """UMAP's start on SPECTRAL_ROWS near-duplicate codes: the chosen one, then the spectral one in a thread
    given SPECTRAL_LIMIT_S (it cannot be interrupted: the child exits with it still running)."""
    import threading

    import umap

    from aecore.projection import UMAP_INIT, distinct_rows, sample_rows

    Z, _ = scale_codes(cfg, 2 * SPECTRAL_ROWS)
    Z = distinct_rows(Z)[0]
    Z = Z[sample_rows(len(Z), SPECTRAL_ROWS)]  # distinct rows come sorted: a seeded sample, as the fit takes
    for init in (UMAP_INIT, "spectral"):
        took = []

        def fit(init=init, took=took):
            start = time.perf_counter()
            umap.UMAP(init=init, force_approximation_algorithm=True).fit_transform(Z)
            took.append(time.perf_counter() - start)

        worker = threading.Thread(target=fit, daemon=True)
        worker.start()
        worker.join(SPECTRAL_LIMIT_S)
        emit({"start": {"init": init, "fit s": took[0] if took else None}})


PLACEMENT_NAMES = {"blend": "blend of {k} nearest (chosen)", "mlp": f"MLP {MLP_HIDDEN}x2, {MLP_EPOCHS} epochs",
                   "transform": "umap-learn transform"}


def place_by(kind: str, known: np.ndarray, xy_known: np.ndarray, new: np.ndarray, reducer, cfg: Config) -> np.ndarray:
    """The three candidates for placing the codes UMAP was not fitted on."""
    from aecore.projection import place_on_map

    if kind == "blend":
        return place_on_map(known, xy_known, new)
    if kind == "mlp":
        return mlp_place(known, xy_known, new, cfg.seed, cfg.pick(MLP_EPOCHS, MLP_EPOCHS, 1))
    return np.concatenate([reducer.transform(new[i:i + TRANSFORM_CHUNK])
                           for i in range(0, len(new), TRANSFORM_CHUNK)]).astype(np.float32)


def compare_placements(cfg: Config, distinct: np.ndarray, rows: np.ndarray, limit: int, emit) -> None:
    """At one size: a full UMAP of every distinct code against UMAP on the sample + each placement."""
    from aecore import projection as P

    m = len(distinct)
    start = time.perf_counter()
    reference = P.fit_umap(distinct)

    def record(name, fit_s, place_s, xy):
        emit({"placement": {"method": name, "fit s": fit_s, "place s": place_s, "trust": trust(distinct, xy, rows),
                            "agreement": agreement(xy, reference, rows)}})

    record("full UMAP (the reference)", time.perf_counter() - start, 0.0, reference)
    for size in [limit]:
        sample = P.sample_rows(m, size)
        rest = np.ones(m, bool)
        rest[sample] = False
        start = time.perf_counter()
        xy_s, reducer = P.fit_umap(distinct[sample], return_reducer=True)
        fit_s = time.perf_counter() - start
        kinds = ["blend", "mlp"] + (["transform"] if reducer is not None and size == limit else [])
        for kind in kinds:
            start = time.perf_counter()
            placed = place_by(kind, distinct[sample], xy_s, distinct[rest], reducer, cfg)
            xy = np.empty((m, 2), np.float32)
            xy[sample], xy[rest] = xy_s, placed
            name = PLACEMENT_NAMES[kind].format(k=P.PLACE_K)
            record(f"UMAP on {size:,}, rest by {name}", fit_s, time.perf_counter() - start, xy)


def spawn(args: list[str], timeout: float) -> tuple[list[dict], bool]:
    """Run a child; its JSON lines, and whether it finished in time."""
    cmd = [sys.executable, "-m", "bench.scale", *args]
    try:
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=True)
        text, finished = done.stdout, True
    except subprocess.TimeoutExpired as exc:
        text, finished = exc.stdout or "", False
        text = text.decode() if isinstance(text, bytes) else text
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"bench.scale child {args} failed: {exc.stderr[-2000:]}") from exc
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")], finished


def run(cfg: Config) -> list[dict]:
    from aecore.projection import SAMPLE_LIMIT, UMAP_INIT

    sizes = cfg.pick([100_000, 300_000, 1_000_000], [100_000], [3_000])
    scored = cfg.pick(EVAL_ROWS, EVAL_ROWS, SMOKE_EVAL_ROWS)
    limit = cfg.pick(SAMPLE_LIMIT, SAMPLE_LIMIT, SMOKE_SAMPLE_LIMIT)
    if cfg.smoke:  # in-process: seconds, and the PCA stand-in must not leak into the caller's projection module
        import aecore.projection as P

        lines, kept = [], P.fit_umap
        try:
            measure(cfg, sizes, limit, lines.append)
        finally:
            P.fit_umap = kept
        finished = True
    else:
        mnist_dir = str(cfg.mnist_dir) if cfg.mnist_dir is not None else "-"
        lines, finished = spawn(["--child", cfg.mode, mnist_dir, str(limit), *map(str, sizes)], CHILD_TIMEOUT_S)
    results = [x["size"] for x in lines if "size" in x]
    warm = next((x["warm-up s"] for x in lines if "warm-up s" in x), 0.0)
    rows = [heading(f"Time to map by stage (seconds), peak memory and quality; SAMPLE_LIMIT {limit:,} distinct codes")]
    for r in results:
        rows.append({"rows": f"{r['rows']:,}", "distinct": f"{r['distinct']:,}", "UMAP fitted on": f"{r['fitted']:,}",
                     "dedupe": f"{r.get('dedupe s', 0):.1f}", "fit": f"{r.get('fit s', 0):.1f}",
                     "place": f"{r.get('place s', 0):.1f}", "map total": f"{r['map s']:.1f}",
                     "MapInverse build": f"{r['inverse s']:.2f}", "decode ms": f"{r['decode ms']:.2f}",
                     "peak RSS MiB": f"{r['MiB peak']:,.0f}", "RSS before MiB": f"{r['MiB start']:,.0f}",
                     f"trustworthiness ({EVAL_NEIGHBOURS}-NN, {scored:,} rows)": f"{r['trust']:.4f}"})
    if results:
        rows.append(note(f"Map sentence at {results[-1]['rows']:,} rows: \"{results[-1]['description']}\""))
    compared = [x["placement"] for x in lines if "placement" in x]
    if compared:
        rows.append(heading(f"Placement at {results[0]['rows']:,} rows ({results[0]['distinct']:,} distinct): "
                            "UMAP on a sample, the rest placed, against a full UMAP"))
        for c in compared:
            rows.append({"method": c["method"], "fit s": f"{c['fit s']:.1f}", "place s": f"{c['place s']:.1f}",
                         "total s": f"{c['fit s'] + c['place s']:.1f}",
                         f"trustworthiness ({scored:,} rows)": f"{c['trust']:.4f}",
                         f"{EVAL_NEIGHBOURS}-NN agreement with the full UMAP": f"{c['agreement']:.3f}"})
    starts = [x["start"] for x in lines if "start" in x]
    if starts:
        rows.append(heading(f"UMAP's start on {SPECTRAL_ROWS:,} distinct near-duplicate codes (after the compile)"))
        for st in starts:
            rows.append({"init": st["init"] + (" (chosen)" if st["init"] == UMAP_INIT else ""),
                         "fit s": f"{st['fit s']:.1f}" if st["fit s"] is not None else
                         f"did not finish in {SPECTRAL_LIMIT_S} s"})
    source = results[0]["source"] if results else ""
    rows.append(note(f"Codes: {source}. All in one subprocess (`python -m bench.scale --child`), so UMAP's numba "
                     f"compile, both ways of finding neighbours ({warm:.0f} s here; a server compiles the exact way, "
                     "the one its maps use, at start-up), is timed apart; peak RSS: VmHWM, reset before each size "
                     "(Linux /proc/self/clear_refs), so each figure is that size's "
                     "own high-water mark (codes, map, MapInverse, 200 decodes), not tracemalloc; 'RSS before' is "
                     "the process before the size (Python, PyTorch, numba). UMAP: all cores, random_state None, as "
                     "the app runs it without a seed. Trustworthiness: scikit-learn's, on a seeded sample of the "
                     "distinct codes against their map positions; agreement: the share of each sampled code's "
                     f"{EVAL_NEIGHBOURS} nearest map neighbours that are also its nearest in the full UMAP."))
    rows.append(note("A full UMAP is compared at 100,000 rows only: on these 2 cores it takes about 30 s per 100k "
                     "distinct codes unloaded and grows faster than linearly, so at 300k and 1M it would run many "
                     "minutes per size; the placed maps there are scored by trustworthiness only."))
    if not finished:
        rows.append(note(f"The child ran past {CHILD_TIMEOUT_S} s and was stopped: the rows above are what it "
                         "finished."))
    if cfg.smoke:
        rows.append(note(f"Smoke mode: 3,000 rows, a sample of {SMOKE_SAMPLE_LIMIT}, and a PCA in place of UMAP (its "
                         "compile outlasts a smoke test): the harness only, no figure to read."))
    return rows


def child_main(mode: str, mnist_dir: str, limit: str, *sizes: str) -> None:
    import os

    cfg = Config(mode=mode, mnist_dir=mnist_dir if mnist_dir != "-" else None)

    def emit(row: dict) -> None:
        print(json.dumps(row), flush=True)

    measure(cfg, [int(n) for n in sizes], int(limit), emit)
    measure_start(cfg, emit)
    sys.stdout.flush()
    os._exit(0)  # a stalled spectral start may still be running in its thread


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    child_main(*sys.argv[2:])
