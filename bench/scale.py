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
EVAL_NEIGHBOURS = 10    # neighbours compared by trustworthiness and map agreement
CHILD_TIMEOUT_S = 900   # one size's child: a warm-up, a fit, a placement (1M rows ~3 min here)
SPECTRAL_ROWS = 5_000   # near-duplicate codes for the start comparison: small, and still it stalls
SPECTRAL_TIMEOUT_S = 180  # the spectral start gets this long (warm-up included) before it counts as stalled
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


def child(mode: str, mnist_dir: str, n: int, limit: int, compare: bool) -> dict:
    """One size: codes, warm-up, project_map by stage, MapInverse, quality; with compare, the placements."""
    from aecore import projection as P

    from .memory import peak_mib

    cfg = Config(mode=mode, mnist_dir=mnist_dir if mnist_dir != "-" else None)
    out = {"rows": n}
    Z, out["source"] = scale_codes(cfg, n)
    out["MiB codes"] = round(peak_mib(), 1)
    if cfg.smoke:  # UMAP's compile outlasts a smoke test: a PCA stands in for the fit, the rest runs as is
        def pca_fit(Z, *args, return_reducer=False, **kwargs):
            xy = P.pca_2d(Z).astype(np.float32)
            return (xy, None) if return_reducer else xy

        P.fit_umap = pca_fit
        out["warm-up s"] = 0.0
    else:
        out["warm-up s"] = round(P.warm_up(), 1)
    out["MiB warm"] = round(peak_mib(), 1)
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
    rows = np.sort(rng.choice(len(distinct), min(cfg.pick(EVAL_ROWS, EVAL_ROWS, SMOKE_EVAL_ROWS), len(distinct)),
                              replace=False))
    first = np.unique(inv, return_index=True)[1]  # a row of each distinct code: its map position
    out["trust"] = trust(distinct, result.xy[first], rows)
    if compare:
        out["placements"] = compare_placements(cfg, distinct, rows, limit)
    return out


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


def compare_placements(cfg: Config, distinct: np.ndarray, rows: np.ndarray, limit: int) -> list[dict]:
    """At one size: full UMAP (twice: the run-to-run noise floor) against sample + each placement."""
    from aecore import projection as P

    m = len(distinct)
    found = []

    def record(name, fit_s, place_s, xy):
        found.append({"method": name, "fit s": fit_s, "place s": place_s, "xy": xy})

    full_runs = cfg.pick(2, 1, 1)
    for i in range(full_runs):
        start = time.perf_counter()
        xy = P.fit_umap(distinct)
        record("full UMAP" + (" (2nd run)" if i else ""), time.perf_counter() - start, 0.0, xy)
    for size in sorted({limit, *cfg.pick([limit // 2], [], [])}):
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
    reference = found[0]["xy"]
    return [{"method": f["method"], "fit s": round(f["fit s"], 1), "place s": round(f["place s"], 1),
             "trust": round(trust(distinct, f["xy"], rows), 4),
             "agreement": round(agreement(f["xy"], reference, rows), 3)} for f in found]


def spectral_child(mode: str, mnist_dir: str, init: str) -> None:
    """The start comparison: warm up, then UMAP with this init on SPECTRAL_ROWS near-duplicate codes."""
    import umap

    from aecore.projection import warm_up

    cfg = Config(mode=mode, mnist_dir=mnist_dir if mnist_dir != "-" else None)
    Z, _ = scale_codes(cfg, SPECTRAL_ROWS * 10)
    Z = Z[:SPECTRAL_ROWS]
    print(json.dumps({"warm-up s": warm_up()}), flush=True)
    start = time.perf_counter()
    umap.UMAP(init=init, force_approximation_algorithm=True).fit_transform(Z)
    print(json.dumps({"fit s": time.perf_counter() - start}), flush=True)


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
    limit = cfg.pick(SAMPLE_LIMIT, SAMPLE_LIMIT, 500)
    mnist_dir = str(cfg.mnist_dir) if cfg.mnist_dir is not None else "-"
    results = []
    for n in sizes:
        if cfg.smoke:  # in-process: seconds, and the PCA stand-in must not leak into the caller's projection module
            import aecore.projection as P

            kept = P.fit_umap
            try:
                results.append(child(cfg.mode, mnist_dir, n, limit, n == sizes[0]))
            finally:
                P.fit_umap = kept
        else:
            lines, _ = spawn(["--child", cfg.mode, mnist_dir, str(n), str(limit), str(int(n == sizes[0]))],
                             CHILD_TIMEOUT_S)
            results.append(lines[-1])
    rows = [heading(f"Time to map by stage (seconds), peak memory and quality; SAMPLE_LIMIT {limit:,} distinct codes")]
    for r in results:
        rows.append({"rows": f"{r['rows']:,}", "distinct": f"{r['distinct']:,}", "UMAP fitted on": f"{r['fitted']:,}",
                     "dedupe": f"{r.get('dedupe s', 0):.1f}", "fit": f"{r.get('fit s', 0):.1f}",
                     "place": f"{r.get('place s', 0):.1f}", "map total": f"{r['map s']:.1f}",
                     "MapInverse build": f"{r['inverse s']:.2f}", "decode ms": f"{r['decode ms']:.2f}",
                     "UMAP compile (apart)": f"{r['warm-up s']:.0f}", "peak RSS MiB": f"{r['MiB peak']:,.0f}",
                     "RSS after codes + compile MiB": f"{r['MiB warm']:,.0f}",
                     f"trustworthiness ({EVAL_NEIGHBOURS}-NN, {scored:,} rows)": f"{r['trust']:.4f}"})
    rows.append(note(f"Map sentence at {results[-1]['rows']:,} rows: \"{results[-1]['description']}\""))
    compared = results[0].get("placements", [])
    if compared:
        rows.append(heading(f"Placement at {results[0]['rows']:,} rows ({results[0]['distinct']:,} distinct): "
                            "fitted on a sample, the rest placed, against a full UMAP"))
        for c in compared:
            rows.append({"method": c["method"], "fit s": f"{c['fit s']:.1f}", "place s": f"{c['place s']:.1f}",
                         "total s": f"{c['fit s'] + c['place s']:.1f}",
                         f"trustworthiness ({scored:,} rows)": f"{c['trust']:.4f}",
                         f"{EVAL_NEIGHBOURS}-NN agreement with the full UMAP": f"{c['agreement']:.3f}"})
    if not cfg.smoke:
        rows.append(heading(f"UMAP's start on {SPECTRAL_ROWS:,} near-duplicate codes "
                            f"(after the compile; stopped after {SPECTRAL_TIMEOUT_S} s)"))
        for init in ("spectral", UMAP_INIT):
            lines, finished = spawn(["--spectral", cfg.mode, mnist_dir, init], SPECTRAL_TIMEOUT_S)
            fit = next((x["fit s"] for x in lines if "fit s" in x), None)
            warm = next((x["warm-up s"] for x in lines if "warm-up s" in x), None)
            rows.append({"init": init + (" (chosen)" if init == UMAP_INIT else ""),
                         "fit s": f"{fit:.1f}" if finished and fit is not None else
                         f"did not finish in {SPECTRAL_TIMEOUT_S - (warm or 0):.0f} s",
                         "compile s (apart)": f"{warm:.0f}" if warm is not None else "did not finish"})
    rows.append(note(f"Codes: {results[0]['source']}. Peak RSS: VmHWM of a fresh subprocess per size (codes, "
                     "UMAP's compile, map, MapInverse, 200 decodes), not tracemalloc. The compile is timed apart "
                     "(once per server process, at start-up). UMAP: all cores, random_state None, as the app "
                     "runs it without a seed."))
    rows.append(note("A full UMAP is compared at 100,000 rows only: on these 2 cores it takes about 30 s per 100k "
                     "distinct codes and grows faster than linearly, so at 300k and 1M it would run many minutes "
                     "per size; the placed maps there are scored by trustworthiness only."))
    if cfg.smoke:
        rows.append(note("Smoke mode: 3,000 rows, a sample of 500, and a PCA in place of UMAP (its compile outlasts "
                         "a smoke test): the harness only, no figure to read."))
    return rows


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        mode_, dir_, n_, limit_, compare_ = sys.argv[2:7]
        print(json.dumps(child(mode_, dir_, int(n_), int(limit_), compare_ == "1")), flush=True)
    elif sys.argv[1] == "--spectral":
        spectral_child(*sys.argv[2:5])
