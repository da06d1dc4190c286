"""Nearest neighbours of a row in latent space, and how faithful the 2-D map is around it: of a row's k
nearest codes, how many are also among its k nearest points on the map.

`LatentIndex` is built once per model (codes and map); a click asks `neighbours(row)`, which answers in
milliseconds at 200,000 rows. The map is searched with a KD-tree. Latent space is too, up to
KD_TREE_MAX_DIM dimensions; wider codes are searched by one matrix-vector product instead, because a
KD-tree degrades towards a slow exhaustive search as the dimension grows (200,000 Gaussian codes, one
query: 0.4 ms at 8-D, 11 ms at 16-D, 54 ms at 64-D; the product takes 3-8 ms at any width)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .errors import ConfigError

DEFAULT_K = 10
KD_TREE_MAX_DIM = 12  # above this many latent dims the exhaustive product beats the tree on Gaussian-like codes
FAITHFUL_SHARE = 0.5  # below this share of shared neighbours the map's distances are only a guide
# float32 rounding bound of one squared distance computed as |a|^2 - 2 a.b, per unit of (|a|^2 + |b|^2)
# and per latent dim (a dot product of D terms errs by at most about D units in the last place), doubled.
_ROUNDING = 2.0 * float(np.finfo(np.float32).eps)


@dataclass(frozen=True)
class Neighbours:
    """A row's k nearest other rows in latent space (nearest first) and, for comparison, on the map."""
    row: int
    rows: np.ndarray       # (k,) int64: nearest other rows in latent space, nearest first
    distances: np.ndarray  # (k,) float64: their Euclidean distances in latent space
    map_rows: np.ndarray   # (k,) int64: nearest other rows on the 2-D map, nearest first
    shared: int            # how many of `rows` are also in `map_rows`

    @property
    def k(self) -> int:
        return len(self.rows)

    @property
    def faithfulness(self) -> float:
        """shared / k in [0, 1]: 1 means the map keeps this row's latent neighbourhood intact."""
        return self.shared / self.k if self.k else 1.0

    def summary(self) -> str:
        """One sentence for a person: how far to trust distances on the map around this row."""
        if self.k == 0:
            return "There are no other rows to compare this one with."
        if self.k == 1:
            found = "is also" if self.shared else "is not"
            head = f"Its nearest neighbour in latent space {found} its nearest on the map"
        else:
            head = (f"{self.shared} of its {self.k} nearest neighbours in latent space are also among its "
                    f"{self.k} nearest on the map")
        if self.faithfulness >= FAITHFUL_SHARE:
            return f"{head}: the map is faithful around this point."
        return f"{head}: the map places some of them elsewhere, so distances on the map are only a guide here."


class _Exhaustive:
    """Exact k nearest rows by one float32 matrix-vector product, refined in float64.

    Squared distances come as |a|^2 - 2 a.b (the |b|^2 term is the same for every row). In float32 that
    difference can lose the small distances between close codes, so it only chooses candidates: every
    row whose distance could, within the rounding bound, be among the k smallest. Their exact distances
    (float64, from the codes) decide the answer, so the result is exact, ties broken by row id."""

    def __init__(self, codes: np.ndarray):
        self.codes = np.ascontiguousarray(codes, dtype=np.float32)
        squares = (self.codes.astype(np.float64) ** 2).sum(1)
        self.squares = squares.astype(np.float32)
        self.rounding = _ROUNDING * (self.codes.shape[1] + 4)
        self.slack = (self.rounding * squares).astype(np.float32)  # the per-row part of the bound

    def query(self, row: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        b = self.codes[row]
        approx = self.squares - 2.0 * (self.codes @ b)            # (n,) float32, off by at most `slack`
        slack = self.slack + np.float32(self.rounding * float(b.astype(np.float64) @ b))
        upper, lower = approx + slack, approx - slack
        upper[row] = lower[row] = np.inf                          # never the row itself, even at distance 0
        kth = np.partition(upper, k - 1)[k - 1]                   # the k-th smallest distance is at most this
        candidates = np.flatnonzero(lower <= kth)
        exact = ((self.codes[candidates].astype(np.float64) - b.astype(np.float64)) ** 2).sum(1)
        best = np.lexsort((candidates, exact))[:k]
        return candidates[best].astype(np.int64), np.sqrt(exact[best])


def _nearest_others(tree: cKDTree, row: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest rows other than `row`, by index: ask for k + 1 and drop `row`. When `row` is not among
    them, k + 1 duplicates sit at its distance 0 and any k of them are its nearest others."""
    distances, rows = tree.query(tree.data[row], k=k + 1)
    distances, rows = np.atleast_1d(distances), np.atleast_1d(rows).astype(np.int64)
    keep = rows != row
    if keep.all():
        keep[-1] = False
    return rows[keep], distances[keep]


class LatentIndex:
    """Built once per model from codes (n, latent) and the map xy (n, 2); `neighbours(row)` per click."""

    def __init__(self, codes: np.ndarray, xy: np.ndarray):
        codes = np.asarray(codes, dtype=np.float32)
        xy = np.asarray(xy, dtype=np.float64)
        if codes.ndim != 2 or xy.ndim != 2 or xy.shape[1] != 2 or len(codes) != len(xy):
            raise ConfigError(f"A latent index needs codes of shape (n, latent) and a map of shape (n, 2) for the "
                              f"same rows; got {codes.shape} and {xy.shape}.")
        if len(codes) < 2:
            raise ConfigError("Neighbours need at least 2 rows.")
        self.n = len(codes)
        self.latent_dim = codes.shape[1]
        if self.latent_dim <= KD_TREE_MAX_DIM:
            self._latent: cKDTree | _Exhaustive = cKDTree(codes.astype(np.float64))
        else:
            self._latent = _Exhaustive(codes)
        self._map = cKDTree(xy)

    def neighbours(self, row: int, k: int = DEFAULT_K) -> Neighbours:
        """The k nearest other rows to `row` in latent space (k capped at n - 1), nearest first, and how
        many of them are also among its k nearest other rows on the map."""
        if not isinstance(row, (int, np.integer)) or not 0 <= row < self.n:
            raise ConfigError(f"Row {row!r} does not exist: rows are numbered 0 to {self.n - 1}.")
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise ConfigError(f"The number of neighbours must be a whole number of at least 1; got {k!r}.")
        row, k = int(row), int(min(k, self.n - 1))
        if isinstance(self._latent, cKDTree):
            rows, distances = _nearest_others(self._latent, row, k)
        else:
            rows, distances = self._latent.query(row, k)
        map_rows, _ = _nearest_others(self._map, row, k)
        shared = int(np.isin(rows, map_rows).sum())
        return Neighbours(row, rows, distances.astype(np.float64), map_rows, shared)
