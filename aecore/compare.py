"""Comparing models of the same data: how faithful a model's 2-D map is to its codes, and whether two
models agree on which rows are near which.

Both figures are in [0, 1] and come from a seeded sample of rows, so they are repeatable and cost the same
at any data size (100,000 rows x 32 dims: well under a second each, measured on 2 cores)."""
from __future__ import annotations

import numpy as np
import torch
from sklearn.manifold import trustworthiness

from .errors import ConfigError

TRUST_SAMPLE = 2000    # trustworthiness builds full (m x m) distance and rank matrices: 2,000 rows is ~0.5 s
AGREEMENT_SAMPLE = 1000  # query rows; each is compared with every row, so 1,000 already gives a steady mean
DEFAULT_K = 10
# The exhaustive search works on blocks of (QUERY_BLOCK x DATA_BLOCK) float64 distances (8 MB): small enough to
# stay in cache, which makes it ~2x faster than one (queries x n) matrix (memory-bound) or scikit-learn's brute force.
QUERY_BLOCK = 128
DATA_BLOCK = 8192


def sample_rows(n: int, size: int, seed: int) -> np.ndarray:
    """Sorted row ids: all n rows when n <= size, else `size` of them drawn without replacement (seeded)."""
    if n <= size:
        return np.arange(n, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False)).astype(np.int64)


def _as_codes(codes, what: str) -> np.ndarray:
    try:
        arr = np.asarray(codes, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be numbers of shape (n, dims).") from None
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ConfigError(f"{what} must have shape (n, dims); got {arr.shape}.")
    if not np.isfinite(arr).all():
        raise ConfigError(f"{what} contain NaN or infinite values: the model that made them has diverged.")
    return arr


def _same_rows(a: np.ndarray, b: np.ndarray, what: str) -> None:
    if len(a) != len(b):
        raise ConfigError(f"{what} must describe the same rows; got {len(a):,} and {len(b):,} rows.")


def map_trustworthiness(codes, xy, sample: int = TRUST_SAMPLE, k: int = DEFAULT_K, seed: int = 0) -> float:
    """How far a 2-D map can be trusted about neighbourhoods, in [0, 1].

    1 means every row's k nearest points on the map are also near it in latent space: the groups the map
    shows exist in the codes. Lower values mean the map puts rows side by side that the codes keep apart
    (a map tearing is not measured: that is the other direction). About 0.5 is what a random map scores.

    scikit-learn's `trustworthiness` on a seeded sample of at most `sample` rows (it needs O(m^2) memory),
    so neighbours are looked for among the sampled rows. k is capped below m / 2, which trustworthiness
    requires; with fewer than 3 rows there is nothing to get wrong and the answer is 1.0."""
    codes, xy = _as_codes(codes, "The codes"), _as_codes(xy, "The map positions")
    _same_rows(codes, xy, "The codes and the map")
    rows = sample_rows(len(codes), int(sample), seed)
    m = len(rows)
    k = min(int(k), (m - 1) // 2)  # trustworthiness asks for k < m / 2
    if k < 1:
        return 1.0
    value = trustworthiness(codes[rows], xy[rows], n_neighbors=k)
    return float(np.clip(value, 0.0, 1.0))


def nearest_others(codes: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """(len(rows), k) int64: each query row's k nearest other rows among all of `codes` (n, d), nearest first.

    Exhaustive and exact up to float64 rounding. Candidates are ranked by |b|^2 - 2 a.b (the squared distance
    less |a|^2, the same for every candidate of a query) on centred codes, which keeps the terms small; block by
    block, each block's k + 1 best are kept, then the best k + 1 of those. The row itself is excluded by index:
    when k + 1 duplicates sit at its distance 0 it may not be among them, and then any k of them are its
    nearest others."""
    Z = torch.from_numpy(np.ascontiguousarray(codes - codes.mean(0)))
    squares = (Z * Z).sum(1)
    n, take = len(Z), k + 1
    out = []
    for start in range(0, len(rows), QUERY_BLOCK):
        query = torch.from_numpy(rows[start : start + QUERY_BLOCK])
        Q = Z[query]
        best_d, best_i = [], []
        for j in range(0, n, DATA_BLOCK):
            # (q, block) squared distances, without the |a|^2 term: the same for every candidate of a query
            d = torch.addmm(squares[None, j : j + DATA_BLOCK], Q, Z[j : j + DATA_BLOCK].T, alpha=-2.0)
            d, i = torch.topk(d, min(take, d.shape[1]), dim=1, largest=False)
            best_d.append(d)
            best_i.append(i + j)
        d, i = torch.cat(best_d, 1), torch.cat(best_i, 1)
        order = torch.topk(d, take, dim=1, largest=False).indices   # sorted: nearest first
        found = torch.gather(i, 1, order).numpy()                    # (q, k + 1)
        is_self = found == query.numpy()[:, None]
        drop = np.where(is_self.any(1), is_self.argmax(1), k)      # the row itself, else the farthest
        keep = np.ones_like(found, dtype=bool)
        keep[np.arange(len(found)), drop] = False
        out.append(found[keep].reshape(len(found), k))
    return np.concatenate(out).astype(np.int64) if out else np.zeros((0, k), np.int64)


def neighbour_agreement(codes_a, codes_b, sample: int = AGREEMENT_SAMPLE, k: int = DEFAULT_K, seed: int = 0) -> float:
    """How much two models of the same rows agree on who is near whom, in [0, 1].

    For a seeded sample of rows: the share of each row's k nearest other rows in A's latent space that are
    also among its k nearest in B's (|A and B| / k), averaged. 1 means the two models group the rows the
    same way (whatever their latent sizes, rotations or scales); random codes score about k / n.

    Neighbours are searched exactly among all rows, not only the sampled ones; k is capped at n - 1, and with
    fewer than 2 rows there are no neighbours to disagree on (1.0)."""
    a, b = _as_codes(codes_a, "Model A's codes"), _as_codes(codes_b, "Model B's codes")
    _same_rows(a, b, "The two models' codes")
    n = len(a)
    k = min(int(k), n - 1)
    if k < 1:
        return 1.0
    rows = sample_rows(n, int(sample), seed)
    near_a, near_b = nearest_others(a, rows, k), nearest_others(b, rows, k)
    shared = (near_a[:, :, None] == near_b[:, None, :]).any(2).sum(1)  # (m,): neighbours both lists hold
    return float(shared.mean() / k)
