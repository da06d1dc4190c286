"""Per-row comparisons a person reads: a table row's original vs reconstructed values in original
units and categories, sorted by error; selection summaries."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .dataset import MISSING, Dataset, NumericColumn, TablePreprocessor, category_values

WHOLE_FROM = 10_000  # numbers this large read as whole numbers with separators (1,900,497, not 1.9e+06)


def compare_table_row(pre: TablePreprocessor, x: np.ndarray, x_hat: np.ndarray,
                      raw: pd.Series | None = None) -> pd.DataFrame:
    """One row: feature | original | reconstructed | error, worst first.

    original is the row's own value as the file has it when `raw` (its row of Dataset.meta) is given, so
    a missing number reads "(missing)" ("(missing: -999)" for its column's missing-value code), not the
    median the model was given for it, and has no error (NaN, listed last); otherwise it is decoded from
    x. error is in standardised units: the squared difference for a number (1.0 = one standard deviation
    squared), and the squared distance between one-hot blocks for a category (0 when it matches)."""
    x, x_hat = np.asarray(x, dtype=np.float64).ravel(), np.asarray(x_hat, dtype=np.float64).ravel()
    orig = pre.inverse_transform(x[None]).iloc[0]
    rec = pre.inverse_transform(x_hat[None]).iloc[0]

    file_row = raw if raw is not None else pd.Series(dtype=object)

    def original(col) -> str:
        if col.name not in file_row.index:
            return fmt(orig[col.name])
        own = file_row[col.name]
        if coded(col):
            return f"{MISSING[:-1]}: {fmt(own)})"
        if isinstance(col, NumericColumn) and col.kind == "datetime" and isinstance(own, str):
            # A date the file wrote as text ("2017-03-27T01:50:00Z") reads as its reconstruction does.
            parsed = pd.to_datetime(own, errors="coerce", utc=True, format="mixed")
            return fmt(own) if pd.isna(parsed) else fmt(parsed)
        return fmt(own)

    def coded(col) -> bool:
        """The row holds its column's missing-value code (-999, say): missing, shown as the file has it."""
        return isinstance(col, NumericColumn) and col.name in file_row.index and col.is_missing_code(file_row[col.name])

    def reconstructed(col, j: int) -> str:
        return bool_reading(col, x_hat[j], file_row.get(col.name)) if col.kind == "bool" else fmt(rec[col.name])

    def missing(col) -> bool:
        return col.name in file_row.index and (is_missing(file_row[col.name]) or coded(col))

    rows = []
    for j, col in enumerate(pre.numeric):
        error = np.nan if missing(col) else float((x[j] - x_hat[j]) ** 2)
        rows.append((col.name, original(col), reconstructed(col, j), error))
    j = len(pre.numeric)
    for col in pre.categorical:
        k = len(col.categories)
        err = float(((x[j : j + k] - x_hat[j : j + k]) ** 2).sum())
        rows.append((col.name, original(col), f"{rec[col.name]} (p={rec[col.name + ' (p)']:.2f})", err))
        j += k
    df = pd.DataFrame(rows, columns=["feature", "original", "reconstructed", "error"])
    return df.sort_values("error", ascending=False, kind="stable", na_position="last").reset_index(drop=True)


def is_missing(value) -> bool:
    """None, NaN, NaT or pandas' NA (a scalar)."""
    return value is None or (np.ndim(value) == 0 and bool(pd.isna(value)))


def spelled_like(value: bool, like) -> str:
    """A decoded true/false in the spelling of the row's own value ("Yes" -> "Yes"/"No"), which the model
    was given as 1/0; True/False when that value says nothing (missing, 1/0)."""
    if isinstance(like, (int, float, np.integer, np.floating)) and not isinstance(like, (bool, np.bool_)) \
            and like in (0, 1):
        return str(int(value))  # a 0/1 column reads 0/1
    word = str(like).strip()
    pair = {"yes": ("no", "yes"), "no": ("no", "yes"), "true": ("false", "true"), "false": ("false", "true")}
    if word.lower() not in pair:
        return str(value)
    out = pair[word.lower()][int(value)]
    return out.upper() if word.isupper() and len(word) > 1 else out.capitalize() if word[:1].isupper() else out


def fmt(value) -> str:
    """A value as a person reads it: numbers to 4 significant digits, whole numbers with separators from
    WHOLE_FROM up; a date without a midnight time, a time to the minute; a missing value as "(missing)"."""
    if is_missing(value):
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d" if value == value.normalize() else "%Y-%m-%d %H:%M")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f"{value:,.0f}" if WHOLE_FROM <= abs(value) < 1e15 else f"{value:.4g}"
    return str(value)


def fmt_like(value, like) -> str:
    """fmt, but a true/false spelled like `like`, the column's value as the file has it (spelled_like)."""
    return spelled_like(value, like) if isinstance(value, (bool, np.bool_)) else fmt(value)


def readable(frame: pd.DataFrame, like: pd.DataFrame | None = None) -> pd.DataFrame:
    """A copy a table shows as a person reads it: dates as fmt writes them (a table showed a day as
    "2005-01-03 00:00:00+00:00"), and true/false as text spelled like the column's first value in `like`
    (the data as the file has it: 0/1, Yes/No), where a table showed a checkbox and the inspector "0"."""
    dates = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    flags = [c for c in frame.columns if pd.api.types.is_bool_dtype(frame[c])]
    if not dates and not flags:
        return frame
    out = frame.copy()
    for c in dates:
        out[c] = out[c].map(fmt)
    for c in flags:
        spelling = column_spelling(like, c)
        out[c] = [fmt(v) if spelling is None else fmt_like(v, spelling) for v in out[c]]
    return out


def column_spelling(like: pd.DataFrame | None, name: str):
    """The column's first value in `like` (the data as the file has it), which true/false are spelled like;
    None when `like` has no such column or no value in it."""
    known = like[name].dropna() if like is not None and name in like.columns else ()
    return known.iloc[0] if len(known) else None


def bool_reading(col: NumericColumn, z: float, like) -> str:
    """A yes/no feature's decoded value (standardised z) as the likelier answer, spelled like `like` (the
    column's value as the file has it), and how sure: "Yes (p=0.93)", "1 (p=0.80)"."""
    p = float(np.clip(z * col.std + col.mean, 0.0, 1.0))
    return f"{spelled_like(p >= 0.5, like)} (p={max(p, 1.0 - p):.2f})"


def decoded_table_row(pre: TablePreprocessor, x_hat: np.ndarray, like: pd.DataFrame | None = None) -> pd.DataFrame:
    """A decoded feature vector as feature | value, in original units; yes/no as bool_reading, spelled like
    the column's first value in `like` (the data as the file has it), as a row's reconstruction reads."""
    x_hat = np.asarray(x_hat, dtype=np.float64).ravel()
    rec = pre.inverse_transform(x_hat[None]).iloc[0]
    rows = [(c.name, bool_reading(c, x_hat[j], column_spelling(like, c.name)) if c.kind == "bool" else fmt(rec[c.name]))
            for j, c in enumerate(pre.numeric)]
    rows += [(c.name, f"{rec[c.name]} (p={rec[c.name + ' (p)']:.2f})") for c in pre.categorical]
    return pd.DataFrame(rows, columns=["feature", "decoded"])


def label_mix(dataset: Dataset, rows: np.ndarray, column: str | None = None) -> pd.DataFrame:
    """Counts of each label value among rows (empty frame without a label)."""
    column = column or dataset.label
    if column is None or column not in dataset.meta:
        return pd.DataFrame(columns=["value", "rows"])
    counts = pd.Series(category_values(dataset.meta[column].iloc[rows])).value_counts()
    return pd.DataFrame({"value": counts.index, "rows": counts.to_numpy()})
