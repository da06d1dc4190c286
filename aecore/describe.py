"""Per-row comparisons a person reads: a table row's original vs reconstructed values in original
units and categories, sorted by error; selection summaries."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .dataset import Dataset, TablePreprocessor, category_values


def compare_table_row(pre: TablePreprocessor, x: np.ndarray, x_hat: np.ndarray) -> pd.DataFrame:
    """One row: feature | original | reconstructed | error, worst first.

    error is in standardised units: the squared difference for a number (1.0 = one standard deviation
    squared), and the squared distance between one-hot blocks for a category (0 when it matches)."""
    x, x_hat = np.asarray(x, dtype=np.float64).ravel(), np.asarray(x_hat, dtype=np.float64).ravel()
    orig = pre.inverse_transform(x[None]).iloc[0]
    rec = pre.inverse_transform(x_hat[None]).iloc[0]
    rows = []
    for j, col in enumerate(pre.numeric):
        rows.append((col.name, fmt(orig[col.name]), fmt(rec[col.name]), float((x[j] - x_hat[j]) ** 2)))
    j = len(pre.numeric)
    for col in pre.categorical:
        k = len(col.categories)
        err = float(((x[j : j + k] - x_hat[j : j + k]) ** 2).sum())
        rows.append((col.name, str(orig[col.name]), f"{rec[col.name]} (p={rec[col.name + ' (p)']:.2f})", err))
        j += k
    df = pd.DataFrame(rows, columns=["feature", "original", "reconstructed", "error"])
    return df.sort_values("error", ascending=False, kind="stable").reset_index(drop=True)


def fmt(value) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def decoded_table_row(pre: TablePreprocessor, x_hat: np.ndarray) -> pd.DataFrame:
    """A decoded feature vector as feature | value, in original units."""
    rec = pre.inverse_transform(np.asarray(x_hat, dtype=np.float64).reshape(1, -1)).iloc[0]
    rows = [(c.name, fmt(rec[c.name])) for c in pre.numeric]
    rows += [(c.name, f"{rec[c.name]} (p={rec[c.name + ' (p)']:.2f})") for c in pre.categorical]
    return pd.DataFrame(rows, columns=["feature", "decoded"])


def label_mix(dataset: Dataset, rows: np.ndarray, column: str | None = None) -> pd.DataFrame:
    """Counts of each label value among rows (empty frame without a label)."""
    column = column or dataset.label
    if column is None or column not in dataset.meta:
        return pd.DataFrame(columns=["value", "rows"])
    counts = pd.Series(category_values(dataset.meta[column].iloc[rows])).value_counts()
    return pd.DataFrame({"value": counts.index, "rows": counts.to_numpy()})
