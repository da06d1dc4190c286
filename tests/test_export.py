"""Exports: formula neutralisation of every text cell and column name, and the codes table's layout."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from aecore.export import codes_frame, neutralise, safe_frame, to_csv_bytes


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","y")'])
def test_formula_starts_are_quoted(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("value", ["plain", "1=1", "a-b", "", " =x", 3, -1.5, None, np.nan])
def test_other_values_untouched(value):
    out = neutralise(value)
    assert out is value or (isinstance(value, float) and np.isnan(out))


def test_safe_frame_neutralises_cells_and_column_names():
    df = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "ok", "-2+3", None], "=bad": ["+x", "y", "@z", "w"],
                       "value": [-1.0, 2.0, 3.0, 4.0]})
    out = safe_frame(df)
    assert list(out.columns) == ["name", "'=bad", "value"]
    assert out["name"].tolist()[:3] == ["'=cmd|' /C calc'!A0", "ok", "'-2+3"]
    assert pd.isna(out["name"].iloc[3])
    assert out["'=bad"].tolist() == ["'+x", "y", "'@z", "w"]
    assert out["value"].tolist() == [-1.0, 2.0, 3.0, 4.0]  # numbers stay numbers
    assert df["name"].iloc[0].startswith("=")  # the input is not modified


def test_csv_bytes_cannot_start_a_cell_with_a_formula():
    df = pd.DataFrame({"label": ["=1+1", "@x", "fine"], "z0": [0.5, -0.25, 1.0]})
    text = to_csv_bytes(df).decode("utf-8")
    back = pd.read_csv(io.StringIO(text))
    assert back["label"].tolist() == ["'=1+1", "'@x", "fine"]
    assert back["z0"].tolist() == [0.5, -0.25, 1.0]
    for line in text.splitlines():
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "@")), line


def test_codes_frame_columns():
    codes = np.arange(12, dtype=np.float32).reshape(4, 3)
    full = codes_frame(codes, xy=np.ones((4, 2)), errors=np.full(4, 0.5), labels=pd.Series(list("abab")))
    assert list(full.columns) == ["id", "label", "z0", "z1", "z2", "x", "y", "reconstruction_error"]
    assert full["id"].tolist() == [0, 1, 2, 3]
    assert np.array_equal(full[["z0", "z1", "z2"]].to_numpy(), codes)
    assert full["label"].tolist() == list("abab")
    bare = codes_frame(codes)
    assert list(bare.columns) == ["id", "z0", "z1", "z2"]
    assert codes_frame(codes, ids=[10, 11, 12, 13])["id"].tolist() == [10, 11, 12, 13]
    keys = pd.DataFrame({"row name": [5, 6, 7, 8], "id": list("wxyz")})  # the file's own keys join it back
    keyed = codes_frame(codes, labels=pd.Series(list("abab")), keys=keys)
    assert list(keyed.columns[:4]) == ["id", "row name", "id (file)", "label"]
    assert keyed["id (file)"].tolist() == list("wxyz") and keyed["id"].tolist() == [0, 1, 2, 3]


def test_a_dataset_names_the_columns_that_key_its_rows():
    from aecore import table_dataset
    n = 30
    df = pd.DataFrame({"Unnamed: 0": np.arange(1, n + 1), "title": [f"film {i}" for i in range(n)],
                       "kind": ["a", "b", "c"] * 10, "v": np.sin(np.arange(n)), "w": np.cos(np.arange(n))})
    data = table_dataset(df, label="kind", features=["v", "w"])
    assert data.key_columns == ["Unnamed: 0", "title"]
