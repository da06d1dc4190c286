"""Latent codes -> a 2-D map (UMAP or PCA), UMAP's one-off compile warm-up, and `MapInverse`, which
turns any point of the map back into a latent code fast enough for a click.

At scale (`project_map` -> `MapResult`): identical codes are projected once and share a spot; above
SAMPLE_LIMIT distinct codes UMAP is fitted on a seeded sample of them and the rest are placed by the blend
of their nearest sampled codes' positions (`place_on_map`); UMAP starts from PCA, never from its spectral
layout, which can stall for minutes on near-duplicate codes. bench/scale.py measures each choice.

umap-learn's own inverse_transform rebuilds a Delaunay triangulation per call (seconds at 10k points)
and fails outside the convex hull; a KD-tree blend of the nearest codes answers in about a millisecond."""
from __future__ import annotations

import contextlib
import threading
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from .errors import ConfigError, check_choice

PROJECTIONS = ("umap", "pca")
UMAP_MIN_ROWS = 16   # UMAP needs more rows than neighbours; below this the map is PCA
MAP_DIMS = 2  # codes of this many dimensions or fewer are their own map: nothing is projected
SPACING_SAMPLE = 2000  # rows whose nearest-neighbour distance sets a blend's typical spacing
SPACING_NEIGHBOURS = 16  # neighbours looked through for the nearest that is not a copy of the row
# A decoded spot this many typical neighbour spacings from the nearest point is far from any data.
FAR_FROM_DATA = 3.0
# The typical spacing is never taken below this share of the points' span: on a map of many near-duplicate
# rows (UMAP packs them a hair apart) the median spacing is far below what a person can see, and a spot
# 14 px from a cluster on the page read as "52.8 neighbour spacings" from the data.
MIN_SPACING_SHARE = 0.01
ON_POINT = 1e-12  # a query this close to a known point is that point (and 1/d stays finite)
WARMUP_ROWS = 4096  # rows of random data the warm-up fit projects: enough to run every compiled step
# Distinct codes UMAP is fitted on; above it, a seeded sample of this many and the rest placed. bench/scale.py, 2
# cores: the fit on 50k takes ~14 s (NN-descent; ~18 s with exact neighbours, as the app now fits), a full UMAP of
# 87k distinct codes 23-25 s (and grows faster than n); the sampled map scored 0.94 trustworthiness against the
# full one's 0.78 (10-NN agreement with it 0.69), and 1M rows map in ~32 s with ~140 MiB above the process. Lower
# limits save little: the blend, not the fit, grows with the rows.
SAMPLE_LIMIT = 50_000
# With RAPIDS cuML on a GPU, UMAP fits a million rows in seconds (cuML's published benchmarks; unmeasured here,
# no GPU on the project's machines), so it fits up to this many distinct codes before sampling.
GPU_SAMPLE_LIMIT = 1_000_000
SAMPLE_SEED = 0  # the sample is seeded even when UMAP is not, so the same data keeps the same sample
# UMAP's start: "pca" (a PCA of the fitted codes, scaled). umap-learn's default "spectral" start solves an
# eigenproblem that stalls on near-duplicate codes: 301 s for a 100k-row map; on 50k distinct codes 49.6 s against
# 14.2 s for the whole fit from PCA (bench/scale.py), and past 170 s under load against 37 s.
UMAP_INIT = "pca"
# Up to this many distinct codes UMAP's neighbours are exact (scikit-learn), above it NN-descent (pynndescent):
# every map fitted on at most SAMPLE_LIMIT codes (the app's, the CLI's) is exact. bench/neighbours.py (BENCHMARKS
# 7b), 2 cores: the first map of a fresh process waits 10.8 s on the exact path against 57.5 s with NN-descent
# (pynndescent's code is compiled anew in every process, server or CLI run, and the compile holds the interpreter
# through any training beside it); both compiled, exact is at most 16% slower up to 20,000 codes and 29% slower at
# 50,000 (17.4 s against 13.5 s), trustworthiness 0.912 against 0.916 there.
EXACT_KNN_ROWS = SAMPLE_LIMIT
PLACE_K = 8          # sampled neighbours whose map positions a placed code blends (as MapInverse)
PLACE_CHUNK = 200_000  # codes placed per KD-tree query: bounds the (chunk, k) distance and index arrays
_warm_lock = threading.Lock()
_warm_seconds: dict[bool, float] = {}  # exact? -> the seconds its compile took (warm_up)


def pca_2d(Z: np.ndarray) -> np.ndarray:
    Zc = Z - Z.mean(0)
    # SVD on the (d x d) covariance: cheap for any n, deterministic up to sign; fix the sign for stability.
    _, _, vt = np.linalg.svd(Zc, full_matrices=False)
    vt = vt[:2]
    vt *= np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(1)])[:, None]
    out = Zc @ vt.T
    return out if out.shape[1] == 2 else np.column_stack([out, np.zeros(len(out))])


@dataclass
class MapResult:
    """A map and how it was made: `description` is the sentence the page shows under the map."""
    xy: np.ndarray           # (n, 2) float32, one row per input row
    method: str              # "umap" | "pca" | "latent" (2-D codes as they are)
    description: str
    rows: int                # input rows
    distinct: int            # distinct codes among them (0 when not counted: PCA and 2-D codes)
    fitted: int              # distinct codes the projection was fitted on (= distinct unless sampled)
    backend: str = ""        # "umap-learn" | "cuml" for UMAP maps
    timings: dict = field(default_factory=dict)  # seconds: dedupe, fit, place

    @property
    def sampled(self) -> bool:
        return 0 < self.fitted < self.distinct


def project(Z, method: str = "umap", n_neighbors: int = 15, min_dist: float = 0.1,
            random_state: int | None = None) -> np.ndarray:
    """(n, latent) -> (n, 2) float32: `project_map(...).xy`. A 2-D code is its own map; a 1-D code gets a zero y."""
    return project_map(Z, method, n_neighbors, min_dist, random_state).xy


def project_map(Z, method: str = "umap", n_neighbors: int = 15, min_dist: float = 0.1,
                random_state: int | None = None, sample_limit: int | None = None) -> MapResult:
    """(n, latent) codes -> MapResult. UMAP: identical codes are projected once and share a spot; above
    `sample_limit` distinct codes (SAMPLE_LIMIT, GPU_SAMPLE_LIMIT with cuML) UMAP is fitted on a seeded sample
    of them and the others are placed by their nearest sampled codes. Below UMAP_MIN_ROWS distinct codes the
    map is PCA (UMAP needs more points than neighbours). random_state makes UMAP repeatable but
    single-threaded (slower); None lets it use every core. PCA is exact and cheap at any size: all rows."""
    check_choice("projection", method, PROJECTIONS)
    Z = np.asarray(Z, dtype=np.float32)
    if Z.ndim != 2 or len(Z) == 0:
        raise ConfigError(f"project() needs codes of shape (n, latent) with n >= 1; got {Z.shape}.")
    n = len(Z)
    if Z.shape[1] <= MAP_DIMS:
        xy = Z.copy() if Z.shape[1] == 2 else np.column_stack([Z[:, 0], np.zeros(n, np.float32)])
        where = "the map itself" if Z.shape[1] == 2 else "the map's x axis"
        return MapResult(xy, "latent", f"The {Z.shape[1]}-D codes of all {n:,} rows are {where} (no projection).",
                         n, 0, 0)
    if method == "pca":
        return _pca_result(Z, f"PCA of all {n:,} rows.")
    timings = {}
    start = time.perf_counter()
    distinct, inverse = distinct_rows(Z)
    timings["dedupe"] = time.perf_counter() - start
    m = len(distinct)
    if m < UMAP_MIN_ROWS:
        result = _pca_result(Z, f"PCA of all {n:,} rows: UMAP needs at least {UMAP_MIN_ROWS} distinct codes "
                                f"and these have {m:,}.")
        result.timings = timings
        return result
    backend = umap_backend()
    limit = sample_limit if sample_limit is not None else (GPU_SAMPLE_LIMIT if backend == "cuml" else SAMPLE_LIMIT)
    if limit < UMAP_MIN_ROWS:
        raise ConfigError(f"sample_limit must be at least {UMAP_MIN_ROWS} (UMAP needs that many codes); "
                          f"got {limit}.")
    sample = sample_rows(m, limit)
    start = time.perf_counter()
    fitted = fit_umap(distinct[sample], n_neighbors, min_dist, random_state, backend)
    timings["fit"] = time.perf_counter() - start
    start = time.perf_counter()
    if len(sample) < m:
        placed = np.empty((m, 2), np.float32)
        placed[sample] = fitted
        rest = np.ones(m, bool)
        rest[sample] = False
        placed[rest] = place_on_map(distinct[sample], fitted, distinct[rest], PLACE_K)
    else:
        placed = fitted
    xy = placed[inverse]
    timings["place"] = time.perf_counter() - start
    gpu = " (on the GPU, RAPIDS cuML)" if backend == "cuml" else ""
    dup = f" ({m:,} distinct)" if m < n else ""
    if len(sample) < m:
        text = (f"UMAP{gpu} on {len(sample):,} of {n:,} rows{dup}; the rest placed by the blend of their "
                f"{PLACE_K} nearest fitted codes' positions.")
    else:
        text = f"UMAP{gpu} on all {n:,} rows{dup}."
    if m < n:
        text += " Identical codes share one spot."
    return MapResult(xy, "umap", text, n, m, len(sample), backend, timings)


def _pca_result(Z: np.ndarray, text: str) -> MapResult:
    start = time.perf_counter()
    xy = pca_2d(Z.astype(np.float64)).astype(np.float32)
    return MapResult(xy, "pca", text, len(Z), 0, 0, timings={"fit": time.perf_counter() - start})


def distinct_rows(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, d) -> (distinct rows (m, d), inverse (n,)) with distinct[inverse] == Z: identical codes once."""
    distinct, inverse = np.unique(Z, axis=0, return_inverse=True)
    return distinct, inverse.reshape(-1)


def sample_rows(m: int, limit: int, seed: int = SAMPLE_SEED) -> np.ndarray:
    """Indices of the rows to fit: all m when m <= limit, else `limit` of them drawn without replacement
    (seeded), sorted so the fitted rows keep their order."""
    if m <= limit:
        return np.arange(m)
    return np.sort(np.random.default_rng(seed).choice(m, limit, replace=False))


def umap_backend() -> str:
    """"cuml" when RAPIDS cuML imports and a CUDA device is present, else "umap-learn"."""
    try:
        import cuml.manifold  # noqa: F401
        import cupy

        return "cuml" if cupy.cuda.runtime.getDeviceCount() > 0 else "umap-learn"
    except Exception:  # not installed, no driver, no device: all mean the CPU path
        return "umap-learn"


def exact_neighbours(Z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct code's k nearest codes, itself first: (indices int32, distances float32), as UMAP takes
    them in precomputed_knn."""
    from sklearn.neighbors import NearestNeighbors

    distances, indices = NearestNeighbors(n_neighbors=k).fit(Z).kneighbors(Z)
    return indices.astype(np.int32), distances.astype(np.float32)


def fit_umap(Z: np.ndarray, n_neighbors: int = 15, min_dist: float = 0.1, random_state: int | None = None,
             backend: str = "umap-learn", return_reducer: bool = False, exact: bool | None = None):
    """UMAP of (m, d) distinct codes -> (m, 2) float32 (and the fitted reducer, with return_reducer).

    exact: the neighbours found exactly (scikit-learn) or by NN-descent; None chooses by size (EXACT_KNN_ROWS).
    A reducer that is returned (to transform new codes) needs NN-descent's search index."""
    neighbours = min(n_neighbors, len(Z) - 1)
    if backend == "cuml":
        from cuml.manifold import UMAP

        # cuML starts from its own spectral layout on the GPU (it has no PCA start).
        reducer = UMAP(n_components=2, n_neighbors=neighbours, min_dist=min_dist, random_state=random_state,
                       output_type="numpy")
        xy = np.asarray(reducer.fit_transform(Z), dtype=np.float32)
        return (xy, reducer) if return_reducer else xy
    import umap  # ~10 s the first time in a process: imported only when a UMAP map is asked for

    exact = (not needs_nn_descent(len(Z)) and not return_reducer) if exact is None else exact
    # Never umap-learn's own exact path below 4,096 rows: it compiles code of its own and, warm, runs 3-4x
    # slower (1,797 rows: 3.2 s against 0.9 s). Ours hands UMAP neighbours found by scikit-learn.
    knn = exact_neighbours(Z, neighbours) if exact else (None, None, None)  # UMAP counts a code among its own
    reducer = umap.UMAP(n_components=2, n_neighbors=neighbours, min_dist=min_dist, init=UMAP_INIT,
                        random_state=random_state, n_jobs=1 if random_state is not None else -1,
                        force_approximation_algorithm=True, precomputed_knn=knn)
    with openmp_threads_kept(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="precomputed_knn")  # no search index: we never transform
        xy = reducer.fit_transform(Z).astype(np.float32)
    return (xy, reducer) if return_reducer else xy


@contextlib.contextmanager
def openmp_threads_kept():
    """UMAP sets numba's thread count (n_jobs), which with numba's OpenMP layer is the calling thread's
    OpenMP thread count, the one PyTorch uses too: put PyTorch's back, or every later fit and decode in
    this thread would run on UMAP's count (one thread after a seeded map)."""
    import torch

    threads = torch.get_num_threads()
    try:
        yield
    finally:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


def warm_up(exact: bool = True) -> float:
    """Compile UMAP's numba code for one way of finding neighbours, once per process, with a fit on
    WARMUP_ROWS random rows: exact (what maps of up to EXACT_KNN_ROWS codes use, every default map; about
    11 s) or NN-descent (above that; about a minute). Returns the seconds it took (0.0 when already
    compiled). Thread-safe: for background threads (the app compiles the exact way at start-up; compiling
    holds the interpreter and slows any training beside it)."""
    with _warm_lock:
        if exact in _warm_seconds:
            return 0.0
        start = time.perf_counter()
        fit_umap(np.random.default_rng(0).standard_normal((WARMUP_ROWS, 8)).astype(np.float32), exact=exact)
        _warm_seconds[exact] = time.perf_counter() - start
        return _warm_seconds[exact]


def needs_nn_descent(rows: int) -> bool:
    """Whether UMAP fitted on this many distinct codes finds their neighbours by NN-descent (more than
    EXACT_KNN_ROWS: only when a caller raises sample_limit above SAMPLE_LIMIT)."""
    return rows > EXACT_KNN_ROWS


class NeighbourBlend:
    """Any point of one space -> a point of another, as the inverse-distance-weighted blend of the k
    nearest known pairs. `distance` is how far the query lies from the known points, in units of
    their typical neighbour spacing (at least MIN_SPACING_SHARE of their span), so the UI can say when an
    answer is an extrapolation."""

    def __init__(self, source: np.ndarray, target: np.ndarray, k: int = 8, power: float = 2.0):
        source, target = np.asarray(source, dtype=np.float64), np.asarray(target, dtype=np.float32)
        if len(source) != len(target) or source.ndim != 2 or len(source) == 0:
            raise ConfigError("A neighbour blend needs n source points (n, a) and n targets (n, b), n >= 1.")
        self.tree = cKDTree(source)
        self.target = target
        self.k = min(k, len(target))
        self.power = power
        # Spread over the rows (rows often come sorted by class); each row's nearest point that is not a copy
        # of it (distance 0) among its SPACING_NEIGHBOURS nearest sets its spacing.
        d, _ = self.tree.query(source[::max(1, len(source) // SPACING_SAMPLE)], k=min(SPACING_NEIGHBOURS, len(source)))
        d = np.where(d > ON_POINT, d, np.inf).reshape(len(d), -1).min(1)
        spacing = d[np.isfinite(d)]
        span = float(np.ptp(source, axis=0).max())
        self.spacing = max(float(np.median(spacing)) if len(spacing) else 0.0, span * MIN_SPACING_SHARE) or 1.0

    def __call__(self, point) -> tuple[np.ndarray, float]:
        """One point -> (blended target, distance to the nearest known point in neighbour spacings)."""
        d, idx = self.tree.query(np.asarray(point, dtype=np.float64), k=self.k)
        d, idx = np.atleast_1d(d), np.atleast_1d(idx)
        if d[0] < ON_POINT:
            return self.target[idx[0]].copy(), 0.0
        w = 1.0 / d ** self.power
        return ((w[:, None] * self.target[idx]).sum(0) / w.sum()).astype(np.float32), float(d[0] / self.spacing)

    def many(self, points) -> np.ndarray:
        """(m, a) points -> (m, b) blended targets, vectorised (the KD-tree query on every core)."""
        d, idx = self.tree.query(np.asarray(points, dtype=np.float64), k=self.k, workers=-1)
        d, idx = d.reshape(len(d), -1), idx.reshape(len(idx), -1)
        w = 1.0 / np.maximum(d, ON_POINT) ** self.power
        return ((w[..., None] * self.target[idx]).sum(1) / w.sum(1, keepdims=True)).astype(np.float32)


class MapInverse(NeighbourBlend):
    """Map point (x, y) -> latent code, fast enough for a click (~1 ms at 100k points)."""

    def __init__(self, xy: np.ndarray, Z: np.ndarray, k: int = 8, power: float = 2.0):
        super().__init__(xy, Z, k, power)

    def decode_point(self, x: float, y: float) -> tuple[np.ndarray, float]:
        return self((x, y))

    def nearest_rows(self, x: float, y: float, k: int = 3) -> np.ndarray:
        """The rows whose map positions are nearest to (x, y), nearest first: whose codes a decode blends."""
        _, idx = self.tree.query((x, y), k=min(k, len(self.target)))
        return np.atleast_1d(idx).astype(np.int64)


def place_on_map(codes_known: np.ndarray, xy_known: np.ndarray, codes_new: np.ndarray, k: int = PLACE_K) -> np.ndarray:
    """Put new codes on an existing map by their nearest known codes (UMAP has no cheap, stable
    out-of-sample transform; this keeps the map the user already knows). Queried PLACE_CHUNK codes at a time."""
    blend = NeighbourBlend(codes_known, xy_known, k)
    codes_new = np.asarray(codes_new)
    if len(codes_new) <= PLACE_CHUNK:
        return blend.many(codes_new)
    return np.concatenate([blend.many(codes_new[i:i + PLACE_CHUNK]) for i in range(0, len(codes_new), PLACE_CHUNK)])
