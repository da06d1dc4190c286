"""New data on an existing map: prepare it exactly as a model's training data was prepared, then encode it,
score it and place it on the map the user already knows.

`prepare_like` never fits anything: a table goes through the training data's own fitted preprocessing
(its means, standard deviations, medians and categories), images are read at the training images' size and
colour mode. What differs from the training data is said in the report, in words. `place` puts the prepared
rows on the map by their nearest training codes and compares their reconstruction errors with the training
rows', so a person learns whether this data is like what the model learned."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from .anomaly import threshold as percentile_threshold
from .dataset import Dataset, ImagePreprocessor, TablePreprocessor, category_values, numeric_values
from .errors import ConfigError, DataError
from .images import is_named_bytes, load_images
from .projection import place_on_map
from .tables import read_table

NAMES_SHOWN = 8        # column names or categories listed in one message before "and N more"
# A flagged share further than this many standard deviations from the expected share is a real difference, not
# chance. The deviation counts both samples: the new rows, and the training rows the threshold was taken from
# (1,000 new rows against 400 training rows at 5%: within about 1.1% to 8.9% is chance).
SIGNIFICANT_SDS = 3.0
# Training rows score a little better than unseen rows of the same data (the model fitted them): measured at
# 6-8% above their 95th percentile for fresh rows of the tests' table. Below this factor a difference is called
# "about" the expected share, so data like the training data is never said to differ.
MORE = 1.5
FAR_MORE = 2.0         # at least twice the expected share (and beyond chance) is "far more"


def listing(names, limit: int = NAMES_SHOWN) -> str:
    """'a, b, c' or 'a, b, c and 4 more': names in a sentence, bounded."""
    names = [str(n) for n in names]
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit:,} more"


def source_name(source, default: str) -> str:
    """A short name for new data: a file's or folder's stem, an upload's name, else `default`."""
    if isinstance(source, (str, os.PathLike)):
        return Path(source).stem or default
    if is_named_bytes(source):
        return PurePosixPath(str(source[0])).stem or default
    name = getattr(source, "name", None)
    return PurePosixPath(str(name)).stem if name else default


# -- preparing -----------------------------------------------------------------------------------
def prepare_like(dataset: Dataset, source, name: str | None = None) -> Dataset:
    """New data prepared exactly as `dataset` (a model's training data) was.

    Tables: a CSV (path, bytes or an uploaded file), or a Dataset whose `meta` holds the raw columns; every
    column the model learned from must be present, and the same fitted preprocessing encodes them. Images: a
    path (image, folder or ZIP), bytes, an upload, (name, bytes) pairs or a list of these, or a Dataset of
    images of the same shape; read at the training images' size and colour mode.

    The result's meta holds the new rows as they were read, its label is the training label's column when the
    new data has it, and its report says what was read and what differs from the training data."""
    pre = dataset.preprocessor
    if isinstance(pre, TablePreprocessor):
        if isinstance(source, Dataset):
            df, read_name, report = source.meta, source.name, [f"{len(source.meta):,} rows from '{source.name}'."]
        else:
            df, read_name, report = read_table(source)
        return table_like(dataset, df, name or read_name, report)
    if isinstance(pre, ImagePreprocessor):
        return images_like(dataset, source, name)
    raise ConfigError(f"Cannot prepare data like '{dataset.name}': its preprocessing ({type(pre).__name__}) is "
                      "neither a table's nor images'.")


def table_like(dataset: Dataset, df: pd.DataFrame, name: str, report: list[str] | None = None) -> Dataset:
    """Raw rows (a DataFrame with the source columns) -> a Dataset encoded by dataset's fitted preprocessing."""
    pre: TablePreprocessor = dataset.preprocessor
    report = list(report or [])
    df = df.copy()
    df.columns = [str(c).strip() for c in df.columns]  # as read_table and the training data name them
    needed = pre.columns
    missing = [c for c in needed if c not in df.columns]
    unknown = [c for c in df.columns if c not in set(needed) and c not in set(map(str, dataset.meta.columns))]
    if missing:
        extra = f" Its columns the model does not know ({listing(unknown)}) would be ignored." if unknown else ""
        raise DataError(f"'{name}' lacks {len(missing)} column(s) the model was trained on: {listing(missing)}. "
                        f"Every column the model learned from must be present ({listing(needed)}), named as in "
                        f"the training data.{extra}")
    if unknown:
        report.append(f"{len(unknown)} column(s) the model does not know were ignored: {listing(unknown)}.")
    report += fill_lines(pre, df) + unseen_lines(pre, df)
    label = dataset.label if dataset.label in df.columns else None
    if dataset.label and label is None:
        report.append(f"There is no '{dataset.label}' column: the new rows have no label.")
    X = pre.transform(df)
    report.append(f"Encoded {len(df):,} row(s) into the model's {pre.n_features} feature(s), with the training "
                  "data's scaling and categories.")
    return Dataset(X, df.reset_index(drop=True), pre, name=name, label=label, report=report)


def fill_lines(pre: TablePreprocessor, df: pd.DataFrame) -> list[str]:
    """One line per numeric column with values that are missing or not numbers: they take the training median."""
    lines = []
    for col in pre.numeric:
        bad = int(col.missing(numeric_values(df[col.name], col.kind)).sum())
        if bad:
            lines.append(f"'{col.name}': {bad:,} missing or unreadable value(s) set to the training median "
                         f"{col.fill:g}.")
    return lines


def unseen_lines(pre: TablePreprocessor, df: pd.DataFrame) -> list[str]:
    """One line per categorical column holding categories the training data never had, and the rows in all."""
    lines, any_unseen = [], np.zeros(len(df), dtype=bool)
    for col in pre.categorical:
        values = category_values(df[col.name])
        unseen = ~np.isin(values, col.categories)
        if unseen.any():
            any_unseen |= unseen
            new_values = sorted(set(values[unseen]))
            lines.append(f"'{col.name}': {int(unseen.sum()):,} row(s) hold categories never seen in training "
                         f"({listing(new_values)}); they encode as all zeros in that column's block, none of the "
                         "known categories.")
    if len(lines) > 1:
        lines.append(f"{int(any_unseen.sum()):,} row(s) in all hold a category never seen in training.")
    return lines


def images_like(dataset: Dataset, source, name: str | None = None) -> Dataset:
    """Images read at the training images' size and colour mode, whatever their own."""
    pre: ImagePreprocessor = dataset.preprocessor
    colour = "RGB" if pre.channels == 3 else "grayscale"
    if isinstance(source, Dataset):
        if tuple(source.X.shape[1:]) != pre.shape:
            raise DataError(f"'{source.name}' holds images of shape {tuple(source.X.shape[1:])}; the model was trained "
                            f"on {pre.shape} (channels, height, width). Give the image files instead: they are "
                            "resized and converted to match.")
        new = Dataset(source.X, source.meta.reset_index(drop=True), pre, name or source.name, source.label,
                      list(source.report))
    else:
        new = load_images(source, size=(pre.width, pre.height), mode=pre.mode,
                          name=name or source_name(source, f"new {dataset.name}"))
        new.preprocessor = pre  # the training data's own (equal in every field): one object for both
    new.report.append(f"Read as the model's training images were: {pre.width}x{pre.height} pixels, {colour}"
                      + (" (any colour converted to grey)." if pre.channels == 1 else "."))
    if pre.channels == 3:
        grey = int(np.all(new.X[:, :1] == new.X[:, 1:], axis=(1, 2, 3)).sum())
        if grey:
            new.report.append(f"{grey:,} image(s) have no colour: their grey is used for all three channels.")
    return new


# -- placing ---------------------------------------------------------------------------------------
def ordinal(value: float) -> str:
    """95 -> '95th', 1 -> '1st', 97.5 -> '97.5th'."""
    if value != int(value):
        return f"{value:g}th"
    v = int(value)
    suffix = "th" if 10 <= v % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(v % 10, "th")
    return f"{v}{suffix}"


@dataclass(frozen=True)
class Placement:
    """New rows on a model's map, scored against the training rows' reconstruction errors."""
    codes: np.ndarray      # (m, latent) float32
    xy: np.ndarray         # (m, 2) float32: placed by their nearest training codes
    errors: np.ndarray     # (m,) float64: reconstruction MSE per row
    threshold: float       # the training errors' percentile
    flagged: int           # new rows whose error is above the threshold
    expected_share: float  # the share of rows like the training rows expected above it (1 - percentile / 100)
    reference_rows: int = 0  # training errors the threshold was taken from (0: unknown, its noise is left out)

    @property
    def n(self) -> int:
        return len(self.errors)

    @property
    def share(self) -> float:
        return self.flagged / self.n if self.n else 0.0

    def verdict(self) -> str:
        """'about' | 'more' | 'far_more' | 'fewer': the flagged share against the expected one. A difference counts
        when it is beyond chance (SIGNIFICANT_SDS standard deviations of the two samples' binomial noise) and at
        least MORE times the expected share (or that much below it)."""
        p, share = self.expected_share, self.share
        inverse_rows = 1 / max(self.n, 1) + (1 / self.reference_rows if self.reference_rows else 0.0)
        chance = SIGNIFICANT_SDS * math.sqrt(p * (1 - p) * inverse_rows)
        if share - p > chance and share >= MORE * p:
            return "far_more" if share >= FAR_MORE * p else "more"
        if p - share > chance and share <= p / MORE:
            return "fewer"
        return "about"

    def summary(self) -> str:
        """One sentence for a person: how many new rows score like outliers, and what that says about the data."""
        expected = f"{100 * self.expected_share:.3g}%"
        rows = "row" if self.n == 1 else "rows"
        head = (f"{self.flagged:,} of {self.n:,} new {rows} ({100 * self.share:.1f}%) score above the training "
                f"rows' {ordinal(round(100 * (1 - self.expected_share), 6))} percentile ({self.threshold:.3g})")
        tail = {
            "about": f"about the {expected} expected of data like the training data.",
            "more": f"more than the {expected} expected: some of this data differs from what the model learned.",
            "far_more": f"far more than the {expected} expected: this data differs from what the model learned.",
            "fewer": (f"fewer than the {expected} expected: the model reconstructs these rows better than most of "
                      "its training rows."),
        }[self.verdict()]
        return f"{head}: {tail}"


def place(model, new: Dataset, train_codes, train_xy, train_errors, percentile: float = 95.0) -> Placement:
    """Encode and score `new` (prepared by prepare_like) with `model`, place it on the map by its nearest
    training codes (aecore.projection.place_on_map), and flag rows above `percentile` of the training errors.

    train_codes (n, latent), train_xy (n, 2) and train_errors (n,) are the model's map of its own data (an
    Exploration's or a bundle's codes, xy and errors); train_errors may also be any other reference rows' errors."""
    if not (isinstance(percentile, (int, float)) and 0 < percentile < 100):
        raise ConfigError(f"The percentile must be between 0 and 100 (exclusive); got {percentile!r}.")
    train_codes = np.asarray(train_codes, dtype=np.float32)
    train_xy = np.asarray(train_xy, dtype=np.float32)
    train_errors = np.asarray(train_errors, dtype=np.float64).ravel()
    if train_codes.ndim != 2 or train_xy.shape != (len(train_codes), 2) or len(train_codes) == 0:
        raise ConfigError(f"The training codes and map must be (n, latent) and (n, 2) for the same n >= 1 rows; "
                          f"got {train_codes.shape} and {train_xy.shape}.")
    if len(train_errors) == 0:
        raise ConfigError("The training rows' errors are needed to judge the new rows; got none.")
    if new.n == 0:
        raise DataError("There are no new rows to place.")
    codes = np.asarray(model.transform(new), dtype=np.float32)
    if codes.shape[1] != train_codes.shape[1]:
        raise ConfigError(f"The model's codes have {codes.shape[1]} dimension(s) but the map's training codes have "
                          f"{train_codes.shape[1]}: the map belongs to another model.")
    errors = np.asarray(model.reconstruction_error(new), dtype=np.float64)
    xy = place_on_map(train_codes, train_xy, codes)
    limit = percentile_threshold(train_errors, percentile)
    return Placement(codes, xy, errors, limit, int((errors > limit).sum()), 1.0 - percentile / 100.0, len(train_errors))
