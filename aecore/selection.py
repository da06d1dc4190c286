"""What sets a selected group of rows apart from the rest: per feature, the selection's mean beside the
rest's, ranked by the difference in standard deviations (tables, in original units for a person), and
the mean image of the selection beside the rest's (images).

A click pays only for the selected rows (or the unselected ones, when fewer): the rest's mean is the
total minus the selection. The totals and standard deviations of all rows are `ColumnMoments`; pass
`moments=column_moments(X)`, computed once per dataset, and nothing per click reads every row."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .dataset import Dataset, TablePreprocessor
from .errors import ConfigError

DEFAULT_TOP = 10
CHUNK_ROWS = 8192  # rows gathered per step when summing a selection: bounds the copy at 200,000 images
# A standard deviation this small relative to the feature's size (|mean| + 1) is float rounding of a
# constant feature, not spread: its difference is reported as 0 instead of a huge ratio of noise.
CONSTANT_STD = 1e-6
COLUMNS = ["feature", "selected", "rest", "difference (sd)"]


@dataclass(frozen=True)
class ColumnMoments:
    """Per-feature totals over every row: computed once per dataset, reused by every selection."""
    n: int
    total: np.ndarray  # (d,) float64: sum of each feature (images: of each pixel, flattened)
    std: np.ndarray    # (d,) float64: population standard deviation of each feature; 0 for a constant one


def _flat(X: np.ndarray) -> np.ndarray:
    """(n, ...) -> (n, d) without copying a contiguous array."""
    X = np.asarray(X)
    if X.ndim < 2 or len(X) == 0:
        raise ConfigError(f"A selection needs data of shape (n, d) or (n, C, H, W) with n >= 1; got {X.shape}.")
    return X.reshape(len(X), -1)


def column_moments(X: np.ndarray) -> ColumnMoments:
    """Totals and standard deviations of every feature of X (n, d) or (n, C, H, W), in float64."""
    flat = _flat(X)
    n = len(flat)
    total = flat.sum(0, dtype=np.float64)
    squares = np.einsum("ij,ij->j", flat, flat, dtype=np.float64)
    mean = total / n
    var = np.maximum(squares / n - mean**2, 0.0)
    std = np.sqrt(var)
    std[std <= CONSTANT_STD * (np.abs(mean) + 1.0)] = 0.0
    return ColumnMoments(n, total, std)


def _mask(rows, n: int) -> np.ndarray:
    """Row ids (duplicates allowed) or a boolean mask of length n -> boolean mask of length n."""
    rows = np.asarray(rows)
    if rows.dtype == bool:
        if rows.shape != (n,):
            raise ConfigError(f"A boolean selection must have one value per row ({n}); got {rows.shape}.")
        mask = rows.copy()
    else:
        rows = rows.ravel()
        mask = np.zeros(n, dtype=bool)
        if rows.size:
            if not np.issubdtype(rows.dtype, np.integer) or rows.min() < 0 or rows.max() >= n:
                raise ConfigError(f"Selected rows must be row ids from 0 to {n - 1}.")
            mask[rows] = True
    if not mask.any():
        raise ConfigError("Select at least one row to compare with the rest.")
    return mask


def _sum_rows(flat: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Sum of the given rows, (d,) float64, gathering CHUNK_ROWS rows at a time."""
    out = np.zeros(flat.shape[1], dtype=np.float64)
    for start in range(0, len(rows), CHUNK_ROWS):
        out += flat[rows[start : start + CHUNK_ROWS]].sum(0, dtype=np.float64)
    return out


def _means(X: np.ndarray, rows, moments: ColumnMoments | None) -> tuple[np.ndarray, np.ndarray, bool, ColumnMoments]:
    """(selected mean (d,), rest mean (d,), whether every row is selected, moments). The rest's mean is
    NaN when every row is selected. Only the smaller side is read: the other is the total minus it."""
    flat = _flat(X)
    n = len(flat)
    mask = _mask(rows, n)
    if moments is None:
        moments = column_moments(flat)
    elif moments.n != n or moments.total.shape != (flat.shape[1],):
        raise ConfigError("These moments were computed for other data: compute column_moments(X) for this X.")
    m = int(mask.sum())
    if m <= n - m:
        selected_sum = _sum_rows(flat, np.flatnonzero(mask))
        rest_sum = moments.total - selected_sum
    else:
        rest_sum = _sum_rows(flat, np.flatnonzero(~mask))
        selected_sum = moments.total - rest_sum
    rest = rest_sum / (n - m) if n > m else np.full(flat.shape[1], np.nan)
    return selected_sum / m, rest, m == n, moments


def _ranked(X, rows, n_features: int, top: int, moments) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(feature ids, selected means, rest means, differences in sd), the top `top` by |difference|."""
    if not isinstance(top, (int, np.integer)) or isinstance(top, bool) or top < 1:
        raise ConfigError(f"top must be a whole number of at least 1; got {top!r}.")
    flat = _flat(X)
    if flat.shape[1] != n_features:
        raise ConfigError(f"There are {n_features} feature names for {flat.shape[1]} features.")
    selected, rest, everything, moments = _means(flat, rows, moments)
    spread = moments.std > 0
    diff = np.zeros(len(selected))
    if not everything:  # every row selected: nothing to differ from, every difference stays 0
        diff[spread] = (selected[spread] - rest[spread]) / moments.std[spread]
    order = np.argsort(-np.abs(diff), kind="stable")[:top]
    return order, selected[order], rest[order], diff[order]


def contrast(X: np.ndarray, rows, feature_names: list[str], top: int = DEFAULT_TOP,
             moments: ColumnMoments | None = None) -> pd.DataFrame:
    """Per feature of X (n, d) (a table's standardised features): the selected rows' mean, the rest's
    mean, and their difference in units of the feature's standard deviation over all rows (0 for a
    constant feature). The `top` features by |difference|, largest first; columns: feature, selected,
    rest, difference (sd). rows: row ids or a boolean mask. When every row is selected there is no rest:
    rest is NaN and every difference 0."""
    order, selected, rest, diff = _ranked(X, rows, len(feature_names), top, moments)
    names = [str(feature_names[j]) for j in order]
    return pd.DataFrame(dict(zip(COLUMNS, [names, selected, rest, diff], strict=True)))


def contrast_in_units(dataset: Dataset, rows, top: int = DEFAULT_TOP,
                      moments: ColumnMoments | None = None) -> pd.DataFrame:
    """contrast() for a table Dataset, ranked the same way, with selected and rest in original units.

    A number shows its mean (a date: seconds since 1970, UTC; a yes/no column: the share of rows that
    are true); a category's one-hot feature ("colour=red") shows the share of rows in that category.
    The extra column `measure` says which."""
    pre = dataset.preprocessor
    if not isinstance(pre, TablePreprocessor):
        raise ConfigError("Feature contrasts are for tables: for images, compare mean_images() instead.")
    order, selected, rest, diff = _ranked(dataset.X, rows, pre.n_features, top, moments)
    names = pre.feature_names
    measures = {"number": "mean", "bool": "share true", "datetime": "mean (seconds since 1970, UTC)"}
    shown_selected, shown_rest, measure = selected.copy(), rest.copy(), []
    for i, j in enumerate(order):
        if j < len(pre.numeric):  # standardised: original = feature * std + mean, and means map the same way
            col = pre.numeric[j]
            shown_selected[i] = selected[i] * col.std + col.mean
            shown_rest[i] = rest[i] * col.std + col.mean
            measure.append(measures.get(col.kind, "mean"))
        else:                     # one-hot 0/1: the mean is the share of rows in the category
            measure.append("share of rows")
    frame = pd.DataFrame(dict(zip(COLUMNS, [[names[j] for j in order], shown_selected, shown_rest, diff],
                                  strict=True)))
    frame["measure"] = measure
    return frame


def mean_images(X: np.ndarray, rows, moments: ColumnMoments | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images X (n, C, H, W) -> (mean of the selection, mean of the rest, selection - rest), each
    (C, H, W) float32. When every row is selected there is no rest: the rest and the difference are all
    zeros (a difference from nothing would only repeat the selection's mean)."""
    X = np.asarray(X)
    selected, rest, everything, _ = _means(X, rows, moments)
    if everything:
        rest = diff = np.zeros_like(selected)
    else:
        diff = selected - rest
    shape = X.shape[1:]
    return tuple(a.reshape(shape).astype(np.float32) for a in (selected, rest, diff))
