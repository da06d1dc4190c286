"""Per-row comparisons in original units, decoded rows, and label mixes of a selection."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aecore import table_dataset
from aecore.describe import compare_table_row, decoded_table_row, fmt, label_mix, readable, spelled_like


@pytest.fixture
def ds():
    df = pd.DataFrame({"height": [150.0, 160.0, 170.0, 180.0, 190.0], "colour": ["red", "blue", "red", "green", "blue"],
                       "kind": ["a", "b", "a", "a", "b"]})
    return table_dataset(df, label="kind")


def test_compare_row_worst_first(ds):
    x = ds.X[0]
    x_hat = x.copy()
    x_hat[0] += 2.0  # two standard deviations off in height; colour reconstructed exactly
    table = compare_table_row(ds.preprocessor, x, x_hat)
    assert list(table.columns) == ["feature", "original", "reconstructed", "error"]
    assert table["feature"].tolist() == ["height", "colour"]
    assert table["error"].tolist() == pytest.approx([4.0, 0.0])
    assert table["original"].tolist() == ["150", "red"]
    assert table["reconstructed"].iloc[0] == f"{150 + 2 * ds.preprocessor.numeric[0].std:.4g}"
    assert table["reconstructed"].iloc[1] == "red (p=1.00)"


def test_the_original_is_the_row_as_the_file_has_it():
    """A missing value reads "(missing)", not the median the model was given; yes/no, days and large
    numbers read as in the file (Ecdat's Schooling, pscl's AustralianElectionPolling, Ecdat's BudgetFood)."""
    df = pd.DataFrame({"iq": [103.0, np.nan, 90.0, 120.0, 101.0], "ok": ["yes", "no", "no", "yes", "yes"],
                       "when": ["2005-10-20", "2005-10-26", "2005-11-01", "2005-11-09", "2005-11-20"],
                       "spent": [1_900_497.0, 52_000.0, 61_000.0, 250_000.0, 75_500.0]})
    data = table_dataset(df)
    for row in range(len(df)):
        table = compare_table_row(data.preprocessor, data.X[row], data.X[row], data.meta.iloc[row])
        shown = dict(zip(table["feature"], zip(table["original"], table["reconstructed"], strict=True), strict=True))
        assert shown["ok"] == (df["ok"][row], f"{df['ok'][row]} (p=1.00)"), "the file's spelling, and how sure"
        assert shown["when"] == (df["when"][row], df["when"][row]), "a day, without a time of day"
        assert shown["spent"][0] == f"{df['spent'][row]:,.0f}"
    missing = compare_table_row(data.preprocessor, data.X[1], data.X[1], data.meta.iloc[1])
    assert missing.set_index("feature").loc["iq", "original"] == "(missing)"
    assert missing["feature"].iloc[-1] == "iq" and np.isnan(missing["error"].iloc[-1]), "no error against the fill"
    no_raw = compare_table_row(data.preprocessor, data.X[1], data.X[1])
    assert no_raw.set_index("feature").loc["iq", "original"] == fmt(np.median([103.0, 90.0, 120.0, 101.0]))


@pytest.mark.parametrize("value, text", [(0.123456, "0.1235"), (1_900_497.0, "1,900,497"),
                                         (-33_291_234.4, "-33,291,234"), (9_999.4, "9999"), (np.nan, "(missing)"),
                                         (None, "(missing)"),
                                         (np.True_, "True"), (pd.Timestamp("2005-10-20", tz="UTC"), "2005-10-20"),
                                         (pd.Timestamp("2005-10-26 09:50:31", tz="UTC"), "2005-10-26 09:50"),
                                         ("dodge", "dodge"), (3, "3")])
def test_fmt(value, text):
    assert fmt(value) == text


@pytest.mark.parametrize("value, like, text", [(True, "yes", "yes"), (False, "yes", "no"), (False, "Yes", "No"),
                                               (True, "NO", "YES"), (False, "true", "false"), (True, "1", "True"),
                                               (False, np.nan, "False")])
def test_a_decoded_yes_no_is_spelled_like_the_file(value, like, text):
    assert spelled_like(value, like) == text


def test_originals_come_back_without_float32_noise():
    """A genotype count column (gap's crohn.csv): mean 3.19, std 0.86; its 0s are 3.7 deviations out and
    came back as 1e-07 through float32 features."""
    values = np.array([0, 3, 3, 4, 4, 3, 2, 4, 3, 4] * 5, dtype=float)
    data = table_dataset(pd.DataFrame({"g": values, "h": np.arange(50.0) ** 1.5 + 0.25}))
    back = data.preprocessor.inverse_transform(data.X)
    assert (back["g"].to_numpy() == values).all()
    h = np.arange(50.0) ** 1.5 + 0.25
    assert np.allclose(back["h"], h, rtol=0, atol=1e-5 * h.std())  # kept to a 100,000th of a deviation
    row = compare_table_row(data.preprocessor, data.X[0], data.X[0])
    assert row.set_index("feature").loc["g", "original"] == "0"


def test_decoded_row(ds):
    out = decoded_table_row(ds.preprocessor, ds.X[3])
    assert out.to_dict("list") == {"feature": ["height", "colour"], "decoded": ["180", "green (p=1.00)"]}


def test_a_decoded_yes_no_reads_as_a_rows_reconstruction_does():
    """nassCDS: a decoded spot read 'False' where the same column's reconstruction read '1 (p=1.00)'."""
    n = 30
    df = pd.DataFrame({"frontal": [1, 0, 1] * 10, "airbag": ["Yes", "No"] * 15, "v": np.sin(np.arange(n))})
    data = table_dataset(df)
    out = decoded_table_row(data.preprocessor, data.X[0], like=data.meta).set_index("feature")["decoded"]
    assert out["frontal"] == "1 (p=1.00)" and out["airbag"] == "Yes (p=1.00)"
    shown = compare_table_row(data.preprocessor, data.X[0], data.X[0], data.meta.iloc[0]).set_index("feature")
    assert shown.loc["frontal", "reconstructed"] == out["frontal"]


def test_a_date_written_as_text_reads_as_its_reconstruction():
    """MplsStops: the inspector showed '2017-03-27T01:50:' (the file's text, cut) beside '2017-03-24 07:26'."""
    stamps = [f"2017-03-{d:02d}T{d % 24:02d}:50:00Z" for d in range(1, 29)]
    data = table_dataset(pd.DataFrame({"date": stamps, "v": np.sin(np.arange(28.0))}))
    row = compare_table_row(data.preprocessor, data.X[1], data.X[1], data.meta.iloc[1]).set_index("feature")
    assert row.loc["date", "original"] == "2017-03-02 02:50" == row.loc["date", "reconstructed"]


def test_label_mix(ds):
    mix = label_mix(ds, np.array([0, 1, 2]))
    assert dict(zip(mix["value"], mix["rows"], strict=True)) == {"a": 2, "b": 1}
    assert dict(zip(*label_mix(ds, np.array([1, 3]), "colour").values.T, strict=True)) == {"blue": 1, "green": 1}
    assert label_mix(ds, np.array([0]), "nope").empty


def test_a_column_of_days_decodes_to_days_everywhere():
    """ggplot2's economics: the inspector read 1975-01-31, the Traversal table 2005-01-03 00:55:31+00:00 and
    the Denoise table 1976-04-04 09:19 for the same column of days."""
    days = pd.date_range("1967-07-01", periods=40, freq="MS").strftime("%Y-%m-%d")
    times = pd.date_range("2020-01-01 09:30", periods=40, freq="7h").strftime("%Y-%m-%d %H:%M")
    data = table_dataset(pd.DataFrame({"date": days, "at": times, "v": np.sin(np.arange(40))}))
    cols = {c.name: c for c in data.preprocessor.numeric}
    assert cols["date"].days and not cols["at"].days
    off = data.X[:5] + np.float32(0.013)  # a decoded row between the rows' own values
    decoded = data.preprocessor.inverse_transform(off)
    assert (decoded["date"] == decoded["date"].dt.normalize()).all(), "days stay days"
    assert not (decoded["at"] == decoded["at"].dt.normalize()).all(), "times of day stay times"
    shown = readable(decoded)
    assert shown["date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all() and shown["v"].dtype == np.float64
    assert shown["at"].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}").all()


def test_a_0_1_column_is_a_yes_no_feature_read_as_0_and_1():
    """HistData's Quarrels: a 0/1 flag learned as a number read 0 against a reconstructed -0.1338."""
    n = 40
    flags = np.tile([0, 1, 1, 0, 1], n // 5)
    data = table_dataset(pd.DataFrame({"flag": flags, "v": np.sin(np.arange(n)), "w": np.cos(np.arange(n))}))
    col = data.preprocessor.numeric[0]
    assert col.kind == "bool"
    off = data.X[0].copy()
    off[0] = np.float32((0.2 - col.mean) / col.std)  # decoded 0.2: a 0, 80% sure
    table = compare_table_row(data.preprocessor, data.X[0], off, data.meta.iloc[0]).set_index("feature")
    assert (table.loc["flag", "original"], table.loc["flag", "reconstructed"]) == ("0", "0 (p=0.80)")
    shown = readable(data.preprocessor.inverse_transform(data.X[:3]), like=data.meta)  # Traversal, Walk, ...
    assert shown["flag"].tolist() == ["0", "1", "1"], "read as the file has it: no checkbox, no True/False"
    words = table_dataset(pd.DataFrame({"ok": ["Yes", "No"] * 20, "v": np.sin(np.arange(40))}))
    assert readable(words.preprocessor.inverse_transform(words.X[:2]), like=words.meta)["ok"].tolist() == ["Yes", "No"]
    assert readable(pd.DataFrame({"b": [True, False]}))["b"].tolist() == ["True", "False"]
    counts = table_dataset(pd.DataFrame({"n": np.tile([0, 1, 2], 14), "v": np.sin(np.arange(42))}))
    assert counts.preprocessor.numeric[0].kind == "number", "0, 1 and 2 are counts"
