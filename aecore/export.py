"""Tables people download: latent codes with map coordinates and errors, anomaly scores, selections.

Every text cell that a spreadsheet would read as a formula (starting with = + - @, or a tab or
carriage return) is prefixed with a quote, so an exported CSV cannot run anything when opened."""
from __future__ import annotations

import numpy as np
import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and column names cannot be read as spreadsheet formulas."""
    out = df.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    return safe_frame(df).to_csv(index=False).encode("utf-8")


def codes_frame(codes: np.ndarray, xy: np.ndarray | None = None, errors: np.ndarray | None = None,
                labels: pd.Series | None = None, ids=None, keys: pd.DataFrame | None = None) -> pd.DataFrame:
    """id, the row's keys (if any: the file's row names, an image's file), label (if any), z0..zN, x, y,
    reconstruction_error: one row per sample."""
    n = len(codes)
    df = pd.DataFrame({"id": np.arange(n) if ids is None else np.asarray(ids)})
    taken = {"id", "label", "x", "y", "reconstruction_error", *(f"z{j}" for j in range(codes.shape[1]))}
    for name in keys.columns if keys is not None else []:
        df[f"{name} (file)" if str(name) in taken else name] = keys[name].to_numpy()  # the file's own 'id' too
    if labels is not None:
        df["label"] = labels.to_numpy()
    for j in range(codes.shape[1]):
        df[f"z{j}"] = codes[:, j]
    if xy is not None:
        df["x"], df["y"] = xy[:, 0], xy[:, 1]
    if errors is not None:
        df["reconstruction_error"] = errors
    return df
