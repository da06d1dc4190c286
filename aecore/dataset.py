"""The `Dataset` every loader returns, and the fitted preprocessing that maps rows to features and back.

A Dataset holds model-ready float32 features, the original rows as metadata (for colouring, hover and
export), and a report of what the loader dropped or changed and why. Preprocessors are plain data:
they serialise to JSON (for bundles) and invert a decoded feature vector into original units."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class NumericColumn:
    name: str
    mean: float
    std: float
    fill: float  # replaces missing, unparsable and infinite values (the training median)
    kind: str = "number"  # "number" | "bool" | "datetime" (seconds since 1970, UTC)
    missing_code: float | None = None  # a value that stands for "missing" in this column (-999, say)
    days: bool = False  # a date column whose every value is a day (midnight): decoded values are days too
    low: float | None = None   # the smallest and largest value the column was fitted on: decoded values are
    high: float | None = None  # kept within them (a traversal read an age of -1.8); None in older bundles

    def missing(self, values: np.ndarray) -> np.ndarray:
        """Which of the column's values (numeric_values) the fill replaces: NaN (missing or unparsable),
        infinite, or the missing-value code."""
        bad = ~np.isfinite(values)
        return bad | (values == self.missing_code) if self.missing_code is not None else bad

    def values(self, series: pd.Series) -> np.ndarray:
        """The column as float64, every missing value replaced by the fill."""
        values = numeric_values(series, self.kind)
        values[self.missing(values)] = self.fill
        return values

    def is_missing_code(self, value) -> bool:
        """A raw value (a number, or text holding one) equal to the missing-value code."""
        if self.missing_code is None or isinstance(value, (bool, np.bool_)):
            return False
        try:
            return float(value) == self.missing_code
        except (TypeError, ValueError):
            return False


@dataclass
class CategoricalColumn:
    name: str
    categories: list[str]


def float32_noise_off(values: np.ndarray, std: float) -> np.ndarray:
    """Numbers back from float32 standardised features, rounded to a power of ten between a millionth and
    a hundred-thousandth of the column's standard deviation: float32 carries about seven digits of the
    standardised value, so a 0 came back as -1.1e-06, 17 as 17.0000012, and a 0 3.7 deviations below its
    column's mean (std 0.86) as 1e-07 when the rounding was finer than a millionth."""
    decimals = -int(np.floor(np.log10(max(float(std), 1e-300) * 1e-5)))
    return np.round(values, decimals) + 0.0  # + 0.0: no "-0"


class TablePreprocessor:
    """Standardise numeric columns, one-hot encode categorical ones; invert both.

    Feature layout: numeric columns first (one feature each, in `numeric` order), then one block of
    len(categories) features per categorical column."""

    kind = "table"

    def __init__(self, numeric: list[NumericColumn], categorical: list[CategoricalColumn]):
        self.numeric = numeric
        self.categorical = categorical

    @property
    def n_features(self) -> int:
        return len(self.numeric) + sum(len(c.categories) for c in self.categorical)

    @property
    def feature_names(self) -> list[str]:
        names = [c.name for c in self.numeric]
        for c in self.categorical:
            names += [f"{c.name}={v}" for v in c.categories]
        return names

    @property
    def columns(self) -> list[str]:
        """The original columns the features come from, in feature order."""
        return [c.name for c in self.numeric] + [c.name for c in self.categorical]

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """Encode raw rows holding the source columns. Missing, unparsable or infinite numbers (and a
        column's missing-value code) take the column's fill value; a category not seen in training
        encodes as OTHER where the column has it, else as an all-zero block."""
        n = len(df)
        out = np.zeros((n, self.n_features), dtype=np.float32)
        for j, col in enumerate(self.numeric):
            out[:, j] = (col.values(df[col.name]) - col.mean) / col.std
        j = len(self.numeric)
        for col in self.categorical:
            values = category_values(df[col.name])
            for k, cat in enumerate(col.categories):
                out[:, j + k] = values == cat
            if OTHER in col.categories:
                out[~np.isin(values, col.categories), j + col.categories.index(OTHER)] = 1.0
            j += len(col.categories)
        return out

    def inverse_transform(self, X: np.ndarray) -> pd.DataFrame:
        """Decoded features (n, n_features) -> DataFrame in original units and categories, numbers within
        the range each column was fitted on.

        A categorical column's value is the argmax of its block; `<col> (p)` holds that category's
        share of the block's (clipped, normalised) mass, a rough confidence in [0, 1]."""
        X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        data: dict[str, Any] = {}
        for j, col in enumerate(self.numeric):
            values = X[:, j] * col.std + col.mean
            if col.low is not None and col.high is not None:
                values = np.clip(values, col.low, col.high)
            if col.kind == "bool":
                data[col.name] = values >= 0.5
            elif col.kind == "datetime":  # whole seconds (or days): float32 features leave sub-second noise
                step = DAY_SECONDS if col.days else 1.0
                data[col.name] = pd.to_datetime(np.round(values / step) * step, unit="s", utc=True)
            else:
                data[col.name] = float32_noise_off(values, col.std)
        j = len(self.numeric)
        for col in self.categorical:
            block = np.clip(X[:, j : j + len(col.categories)], 0.0, None)
            best = block.argmax(axis=1)
            total = block.sum(axis=1)
            share = np.where(total > 0, block[np.arange(len(X)), best] / np.where(total > 0, total, 1), 0.0)
            data[col.name] = np.asarray(col.categories, dtype=object)[best]
            data[f"{col.name} (p)"] = share
            j += len(col.categories)
        return pd.DataFrame(data)

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "numeric": [vars(c) for c in self.numeric],
            "categorical": [vars(c) for c in self.categorical],
        }

    @classmethod
    def from_json(cls, d: dict) -> TablePreprocessor:
        return cls([NumericColumn(**c) for c in d["numeric"]], [CategoricalColumn(**c) for c in d["categorical"]])


MISSING = "(missing)"
# A text column with more values than one-hot encodes keeps its most common ones as categories and the rest
# as this one (tables.plan_category); new data's values unseen in training go there too.
OTHER = "(other)"
DAY_SECONDS = 86_400.0
# A column with no name in the file's header (pandas calls it "Unnamed: 0") is where R and pandas write row
# names (tables.is_row_number counts it as a row number from any start). A first column so named is read as
# ROW_NAMES (tables.read_table); bundles saved before keep pandas' name.
BLANK_HEADER = "Unnamed: "
ROW_NAMES = "row name"
# Headers R and its exports give row names (Rdatasets' CSVs say "rownames"): read like a blank header, so a
# subset of a table, whose row names start at 6823, still has them named, not learned as an amount.
ROW_NAME_HEADERS = frozenset({"rownames", "rowname", "row.names", "row_names", "row names"})

NAME_DISTINCT = 0.9    # a text column naming rows: at least this share of its values distinct
NAME_SCAN_ROWS = 10_000  # read to decide, so a 2M-row table decides as fast as a small one


def is_row_names(name) -> bool:
    """A column under a blank header or a row-names header (ROW_NAME_HEADERS): the file's own row names."""
    text = str(name)
    return text == ROW_NAMES or text.startswith(BLANK_HEADER) or text.strip().lower() in ROW_NAME_HEADERS


def numeric_values(series: pd.Series, kind: str) -> np.ndarray:
    """A column as float64 (a fresh array): datetimes in seconds since 1970 (UTC), booleans as 0/1,
    anything unparsable as NaN. The copy matters: pandas' copy-on-write hands out read-only views, and
    callers impute in place."""
    if kind == "datetime":
        ts = pd.to_datetime(series, errors="coerce", utc=True, format="mixed")
        epoch = pd.Timestamp(0, tz="UTC").as_unit(ts.dt.unit)  # the column's own resolution: year 1 fits in 's'
        return (ts - epoch).dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan).copy()
    if kind == "bool":
        lowered = series.astype(str).str.strip().str.lower()
        mapped = lowered.map({"true": 1.0, "false": 0.0, "1": 1.0, "0": 0.0, "1.0": 1.0, "0.0": 0.0,
                              "yes": 1.0, "no": 0.0})
        return mapped.to_numpy(dtype=np.float64, na_value=np.nan).copy()
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan).copy()


def category_value(value) -> str:
    """One cell as category_values would show it (a click's title needs one cell, not a column pass)."""
    return MISSING if pd.isna(value) else str(value).strip()


def category_values(series: pd.Series) -> np.ndarray:
    """A column as strings, missing values as MISSING."""
    return series.astype(object).where(series.notna(), MISSING).astype(str).str.strip().to_numpy()


class ImagePreprocessor:
    """Images as (C, H, W) float32 in [0, 1]; the inverse clips and keeps that layout."""

    kind = "image"

    def __init__(self, height: int, width: int, channels: int):
        self.height, self.width, self.channels = int(height), int(width), int(channels)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.height, self.width)

    @property
    def n_features(self) -> int:
        return self.channels * self.height * self.width

    @property
    def mode(self) -> str:
        return "L" if self.channels == 1 else "RGB"

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(X, dtype=np.float32).reshape((-1, *self.shape)), 0.0, 1.0)

    def to_json(self) -> dict:
        return {"kind": self.kind, "height": self.height, "width": self.width, "channels": self.channels}

    @classmethod
    def from_json(cls, d: dict) -> ImagePreprocessor:
        return cls(d["height"], d["width"], d["channels"])


def preprocessor_from_json(d: dict):
    kinds = {"table": TablePreprocessor, "image": ImagePreprocessor}
    if not isinstance(d, dict) or d.get("kind") not in kinds:
        raise ValueError("unknown preprocessing kind")
    return kinds[d["kind"]].from_json(d)


@dataclass
class Dataset:
    """Model-ready data plus everything needed to explain it.

    X: float32, (n, d) for tables or (n, C, H, W) for images.
    meta: one row per sample, index 0..n-1: the original table, or file/label for images.
    label: the meta column used as label/colour by default, or None.
    report: human-readable lines on what was dropped, imputed or converted."""

    X: np.ndarray
    meta: pd.DataFrame
    preprocessor: TablePreprocessor | ImagePreprocessor
    name: str = "data"
    label: str | None = None
    report: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.preprocessor.kind

    @cached_property
    def fingerprint(self) -> str:
        """The model-ready data's identity (shape and bytes): two models of the same data compare."""
        h = hashlib.sha1(str(self.X.shape).encode())
        h.update(memoryview(np.ascontiguousarray(self.X)).cast("B"))
        return h.hexdigest()

    @property
    def n(self) -> int:
        return len(self.X)

    @cached_property
    def name_column(self) -> str | None:
        """The meta column that names a row: an image's file; in a table, the first text column that is
        neither the label nor a feature (a date feature may be one) and whose values are nearly all distinct
        (a title, a name, an id, the day of a time series), judged on its first NAME_SCAN_ROWS values. None
        when no column names rows."""
        if "file" in self.meta.columns:
            return "file"
        features = set(getattr(self.preprocessor, "columns", ()))
        # a date names a row of a time series even when it is learned from: "Row 360 · 1997-06-30"
        dates = {c.name for c in getattr(self.preprocessor, "numeric", ()) if c.kind == "datetime"}
        for col in self.meta.columns:
            series = self.meta[col]
            text = pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)
            if col == self.label or (col in features and col not in dates) or not (
                    text or (col in dates and pd.api.types.is_datetime64_any_dtype(series))):
                continue
            head = series.iloc[:NAME_SCAN_ROWS]
            present = head.dropna()
            distinct = present.nunique()
            if len(present) >= 0.5 * len(head) and distinct >= NAME_DISTINCT * len(present):
                return str(col)
        return None

    @cached_property
    def file_row_column(self) -> str | None:
        """The meta column under a blank header that holds the file's own whole-number row names (R writes
        1, 2, 3, ... there; the app counts rows from 0), when it is neither the label nor a feature."""
        features = set(getattr(self.preprocessor, "columns", ()))
        for col in self.meta.columns:
            if (is_row_names(col) and col != self.label and col not in features
                    and pd.api.types.is_integer_dtype(self.meta[col])):
                return str(col)
        return None

    @property
    def key_columns(self) -> list[str]:
        """The meta columns that say which row of the file a row is (its row names, its file or name), which
        exported codes carry beside the app's 0-based id so they join back to the data."""
        keys = [self.file_row_column, self.name_column]
        return [c for i, c in enumerate(keys) if c is not None and c != self.label and c not in keys[:i]]

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.X.shape[1:])

    @property
    def labels(self) -> pd.Series | None:
        return self.meta[self.label] if self.label else None

    def decode_rows(self, X: np.ndarray):
        """Features -> what a person reads: a DataFrame (tables) or (n, C, H, W) images."""
        return self.preprocessor.inverse_transform(X)

    def subset(self, rows: np.ndarray) -> Dataset:
        rows = np.asarray(rows)
        return Dataset(self.X[rows], self.meta.iloc[rows].reset_index(drop=True), self.preprocessor,
                       self.name, self.label, list(self.report))
