"""Latent codes -> a 2-D map (UMAP or PCA), UMAP's one-off compile warm-up, and `MapInverse`, which
turns any point of the map back into a latent code fast enough for a click.

umap-learn's own inverse_transform rebuilds a Delaunay triangulation per call (seconds at 10k points)
and fails outside the convex hull; a KD-tree blend of the nearest codes answers in about a millisecond."""
from __future__ import annotations

import contextlib
import threading
import time

import numpy as np
from scipy.spatial import cKDTree

from .errors import ConfigError

PROJECTIONS = ("umap", "pca")
UMAP_MIN_ROWS = 16   # UMAP needs more rows than neighbours; below this the map is PCA
SPACING_SAMPLE = 2000  # rows whose nearest-neighbour distance sets a blend's typical spacing
# A decoded spot this many typical neighbour spacings from the nearest point is far from any data.
FAR_FROM_DATA = 3.0
ON_POINT = 1e-12  # a query this close to a known point is that point (and 1/d stays finite)
WARMUP_ROWS = 4096  # rows of random data the warm-up fit projects: enough to run every compiled step
_warm_lock = threading.Lock()
_warm_seconds: float | None = None


def pca_2d(Z: np.ndarray) -> np.ndarray:
    Zc = Z - Z.mean(0)
    # SVD on the (d x d) covariance: cheap for any n, deterministic up to sign; fix the sign for stability.
    _, _, vt = np.linalg.svd(Zc, full_matrices=False)
    vt = vt[:2]
    vt *= np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(1)])[:, None]
    out = Zc @ vt.T
    return out if out.shape[1] == 2 else np.column_stack([out, np.zeros(len(out))])


def project(Z, method: str = "umap", n_neighbors: int = 15, min_dist: float = 0.1,
            random_state: int | None = None) -> np.ndarray:
    """(n, latent) -> (n, 2) float32. A 2-D code is its own map; a 1-D code gets a zero y.

    UMAP falls back to PCA below UMAP_MIN_ROWS rows (it needs more rows than neighbours). random_state makes UMAP
    repeatable but single-threaded (slower); None lets it use every core."""
    if method not in PROJECTIONS:
        raise ConfigError(f"Unknown projection '{method}'. Choose one of: {', '.join(PROJECTIONS)}.")
    Z = np.asarray(Z, dtype=np.float32)
    if Z.ndim != 2 or len(Z) == 0:
        raise ConfigError(f"project() needs codes of shape (n, latent) with n >= 1; got {Z.shape}.")
    if Z.shape[1] == 2:
        return Z.copy()
    if Z.shape[1] == 1:
        return np.column_stack([Z[:, 0], np.zeros(len(Z), np.float32)])
    if method == "pca" or len(Z) < UMAP_MIN_ROWS:
        return pca_2d(Z.astype(np.float64)).astype(np.float32)
    import umap  # ~10 s the first time in a process: imported only when a UMAP map is asked for

    # NN-descent at every size: below 4,096 rows umap-learn would otherwise take an exact-distance path
    # that compiles code of its own and, warm, runs 3-4x slower (1,797 rows: 3.2 s against 0.9 s here).
    reducer = umap.UMAP(n_components=2, n_neighbors=min(n_neighbors, len(Z) - 1), min_dist=min_dist,
                        random_state=random_state, n_jobs=1 if random_state is not None else -1,
                        force_approximation_algorithm=True)
    with openmp_threads_kept():
        return reducer.fit_transform(Z).astype(np.float32)


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


def warm_up() -> float:
    """Compile UMAP's numba code once per process with a fit on WARMUP_ROWS random rows. Returns the
    seconds it took (0.0 when already warm). Thread-safe: call it from a background thread at start-up."""
    global _warm_seconds
    with _warm_lock:
        if _warm_seconds is not None:
            return 0.0
        start = time.perf_counter()
        rng = np.random.default_rng(0)
        project(rng.standard_normal((WARMUP_ROWS, 8)).astype(np.float32), "umap")
        _warm_seconds = time.perf_counter() - start
        return _warm_seconds


def is_warm() -> bool:
    return _warm_seconds is not None


class NeighbourBlend:
    """Any point of one space -> a point of another, as the inverse-distance-weighted blend of the k
    nearest known pairs. `distance` is how far the query lies from the known points, in units of
    their typical neighbour spacing, so the UI can say when an answer is an extrapolation."""

    def __init__(self, source: np.ndarray, target: np.ndarray, k: int = 8, power: float = 2.0):
        source, target = np.asarray(source, dtype=np.float64), np.asarray(target, dtype=np.float32)
        if len(source) != len(target) or source.ndim != 2 or len(source) == 0:
            raise ConfigError("A neighbour blend needs n source points (n, a) and n targets (n, b), n >= 1.")
        self.tree = cKDTree(source)
        self.target = target
        self.k = min(k, len(target))
        self.power = power
        d, _ = self.tree.query(source[:SPACING_SAMPLE], k=min(2, len(source)))
        spacing = d[:, -1] if d.ndim == 2 else d
        self.spacing = float(np.median(spacing)) or 1.0

    def __call__(self, point) -> tuple[np.ndarray, float]:
        """One point -> (blended target, distance to the nearest known point in neighbour spacings)."""
        d, idx = self.tree.query(np.asarray(point, dtype=np.float64), k=self.k)
        d, idx = np.atleast_1d(d), np.atleast_1d(idx)
        if d[0] < ON_POINT:
            return self.target[idx[0]].copy(), 0.0
        w = 1.0 / d ** self.power
        return ((w[:, None] * self.target[idx]).sum(0) / w.sum()).astype(np.float32), float(d[0] / self.spacing)

    def many(self, points) -> np.ndarray:
        """(m, a) points -> (m, b) blended targets, vectorised."""
        d, idx = self.tree.query(np.asarray(points, dtype=np.float64), k=self.k)
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


def place_on_map(codes_known: np.ndarray, xy_known: np.ndarray, codes_new: np.ndarray, k: int = 8) -> np.ndarray:
    """Put new codes on an existing map by their nearest known codes (UMAP has no cheap, stable
    out-of-sample transform; this keeps the map the user already knows)."""
    return NeighbourBlend(codes_known, xy_known, k).many(codes_new)
