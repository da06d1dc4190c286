"""load_table / table_dataset: every loader path, every column rule, the inverse transform, and each
bad input raising DataError with a message a person can act on."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from aecore import DataError, Limits, load_table, table_dataset
from aecore.dataset import MISSING, OTHER, TablePreprocessor
from aecore.describe import compare_table_row
from aecore.tables import guess_label, plan_table

ROWS = ["a,b,c"] + [f"{i + 5},{i * 2.5},x{i % 3}" for i in range(12)]
CSV = "\n".join(ROWS) + "\n"


def report_text(ds) -> str:
    return "\n".join(ds.report)


# -- delimiters and encodings -----------------------------------------------------------------------
@pytest.mark.parametrize("delimiter,shown", [(",", ","), (";", ";"), ("\t", "tab"), ("|", "|")])
def test_delimiters_are_sniffed(delimiter, shown):
    ds = load_table(CSV.replace(",", delimiter).encode())
    assert ds.preprocessor.feature_names == ["a", "b", "c=x0", "c=x1", "c=x2"]
    assert ds.X.shape == (12, 5)
    assert ds.X.dtype == np.float32
    assert f"separated by '{shown}'" in ds.report[0]


def test_utf8_with_and_without_bom():
    plain = load_table(CSV.replace("x", "é").encode("utf-8"))
    bom = load_table(b"\xef\xbb\xbf" + CSV.replace("x", "é").encode("utf-8"))
    assert list(bom.meta.columns) == ["a", "b", "c"]  # no BOM glued to the first column name
    assert np.array_equal(plain.X, bom.X)
    assert "c=é0" in bom.preprocessor.feature_names
    assert "utf-8" in bom.report[0]


def test_latin1_falls_back():
    text = "nom,v\n" + "\n".join(f"caf\xe9{i % 2},{i}" for i in range(6)) + "\n"
    ds = load_table(text.encode("latin-1"))
    assert "latin-1" in ds.report[0]
    assert set(ds.meta["nom"]) == {"café0", "café1"}
    assert "nom=café1" in ds.preprocessor.feature_names


def test_sources_path_bytes_and_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(CSV)
    from_path = load_table(path)
    assert from_path.name == "t.csv"
    assert np.array_equal(from_path.X, load_table(str(path)).X)
    assert np.array_equal(from_path.X, load_table(CSV.encode()).X)
    assert np.array_equal(from_path.X, load_table(io.BytesIO(CSV.encode())).X)
    assert np.array_equal(from_path.X, load_table(io.StringIO(CSV)).X)
    assert load_table(path, name="mine").name == "mine"


# -- column rules -----------------------------------------------------------------------------------
def test_numeric_columns_are_standardised():
    ds = load_table(CSV.encode())
    num = ds.X[:, :2]
    assert np.allclose(num.mean(0), 0.0, atol=1e-6)
    assert np.allclose(num.std(0), 1.0, atol=1e-5)
    col = ds.preprocessor.numeric[1]
    assert (col.name, col.kind) == ("b", "number")
    assert col.mean == pytest.approx(np.mean([i * 2.5 for i in range(12)]))


def test_categorical_one_hot():
    ds = load_table(CSV.encode())
    block = ds.X[:, 2:]
    assert set(np.unique(block)) == {0.0, 1.0}
    assert np.array_equal(block.sum(1), np.ones(12))
    assert np.array_equal(block.argmax(1), np.arange(12) % 3)


def test_high_cardinality_text_becomes_metadata_not_a_feature():
    n = 40
    df = pd.DataFrame({"name": [f"person {i}" for i in range(n)], "id": [f"id-{i:04d}x" for i in range(n)],
                       "colour": [["red", "green", "blue"][i % 3] for i in range(n)], "v": np.arange(n) * 1.5})
    ds = load_table(df.to_csv(index=False).encode(), limits=Limits(max_categories=30))
    assert ds.preprocessor.columns == ["v", "colour"]
    assert not any(f.startswith(("name", "id")) for f in ds.preprocessor.feature_names)
    assert list(ds.meta["name"]) == list(df["name"])  # still there for hover and colour
    assert "'name', 'id': every value is different (names or ids)" in report_text(ds)  # one line for both
    # a repeated value is no longer an id: then the category limit decides
    df.loc[1, "name"] = df.loc[0, "name"]
    capped = load_table(df.to_csv(index=False).encode(), limits=Limits(max_categories=30))
    assert "'name': 39 distinct text values (more than 30)" in report_text(capped)
    loose = load_table(df.to_csv(index=False).encode(), limits=Limits(max_categories=50))
    assert "name" in loose.preprocessor.columns


def test_identifier_columns_are_never_features():
    n = 25
    df = pd.DataFrame({"Unnamed: 0": np.arange(1, n + 1), "who": [f"p{i}" for i in range(n)],
                       "year": np.arange(1990, 1990 + n), "v": np.sin(np.arange(n))})
    ds = table_dataset(df)
    assert ds.preprocessor.columns == ["year", "v"]  # a run of years is data; 1, 2, 3... is a row number
    assert "'Unnamed: 0': a row number" in report_text(ds) and "'who': every value is different" in report_text(ds)
    gaps = np.delete(np.arange(1, 32), [7, 20])  # 1..31 with two rows dropped before the export
    exported = pd.DataFrame({"": gaps, "v": np.sin(gaps), "w": np.cos(gaps)})
    assert table_dataset(exported).preprocessor.columns == ["v", "w"]
    rows = b"".join(f"{2020311 + i},{np.sin(i):.4f},{i % 5}\n".encode() for i in range(30))
    blank = load_table(b",v,w\n" + rows)
    assert blank.preprocessor.columns == ["v", "w"], "R's row names under a blank header count from anywhere"
    assert "'row name': a row number (counting up by 1 from 2,020,311)" in report_text(blank)
    subset = np.delete(np.arange(6823, 6863), [3, 17])  # Rdatasets' MplsStops: a subset's row names
    r_export = table_dataset(pd.DataFrame({"rownames": subset, "v": np.sin(subset), "w": np.cos(subset)}))
    assert r_export.preprocessor.columns == ["v", "w"], "a row-names header counts from anywhere too"
    assert r_export.file_row_column == "rownames"
    named = pd.DataFrame({"serial": 2020311 + np.arange(30), "v": np.sin(np.arange(30))})
    assert table_dataset(named).preprocessor.columns == ["serial", "v"], "a named count from elsewhere stays data"
    spaced = np.arange(1, 60, 2)  # counts by 2: a measurement, not a row number
    assert "n" in table_dataset(pd.DataFrame({"n": spaced, "v": np.sin(spaced)})).preprocessor.columns
    genotypes = pd.DataFrame({"apoe": ["3/4", "2/2", "3/3", "4/4"] * 6, "v": np.arange(24) * 0.5})
    assert table_dataset(genotypes).preprocessor.categorical[0].name == "apoe"  # '3/4' is not a date


def test_a_mostly_missing_number_column_is_left_out():
    """gap's hr1420.csv: 'colour' is missing in 99.8% of rows; filled with its median it taught the model
    that value, and the few real values ranked as the top anomalies."""
    n = 200
    v = np.where(np.arange(n) % 50 == 0, 3.0, np.nan)  # 98% missing
    kept = np.where(np.arange(n) % 2 == 0, np.arange(n) % 4, np.nan)  # 50% missing: still a feature
    df = pd.DataFrame({"colour": v, "half": kept, "p": np.sin(np.arange(n)), "q": np.cos(np.arange(n)),
                       "gene": np.where(np.arange(n) % 50 == 0, "BRCA", None)})
    ds = table_dataset(df)
    assert "colour" not in ds.preprocessor.columns and "half" in ds.preprocessor.columns
    assert "'colour': 98.0% of its values are missing" in report_text(ds)
    assert "gene" in ds.preprocessor.columns, "a mostly missing category keeps '(missing)' as a value"


def test_whole_numbers_named_as_ids_are_no_feature():
    """lme4's VerbAgg: 'id' repeats each subject's number over 24 rows; Ecdat's PatentsHGH: 'cusip' is a
    firm's code. Both were learned as amounts."""
    n = 48
    df = pd.DataFrame({"id": np.repeat(np.arange(1, 13), 4), "cusip": np.repeat([800.0, 1155.0, 2021.0, 7100.0], 12),
                       "PatientID": np.tile([5, 9, 3, 7], 12), "sample.ids": np.tile([2, 1], 24),
                       "paid": np.arange(n) % 7, "valid": np.arange(n) % 2 + 3, "id_score": np.linspace(0, 1, n),
                       "v": np.sin(np.arange(n))})
    ds = table_dataset(df)
    assert ds.preprocessor.columns == ["paid", "valid", "id_score", "v"]
    plans = {p.name: p for p in plan_table(df, None, list(df.columns))}
    assert plans["id"].role == "metadata" and plans["id"].note.startswith("an identifier (its name says so)")
    assert all(plans[c].role == "metadata" for c in ("cusip", "PatientID", "sample.ids"))


def test_a_many_valued_text_column_keeps_its_common_values_and_lumps_the_rest():
    """Seattle's pet breeds (336 values), Minneapolis' neighbourhoods (87): left out for having more than 30
    values, they left a table of one feature. The 29 most common are categories, the rest '(other)'."""
    rng = np.random.default_rng(0)
    n = 600
    common = [f"breed {i}" for i in range(40)]
    rare = [f"rare {i}" for i in range(60)]
    breeds = list(rng.choice(common, n - 60)) + rare  # 100 values; 60 of them once
    df = pd.DataFrame({"breed": breeds, "v": rng.normal(size=n), "w": rng.normal(size=n)})
    ds = table_dataset(df)
    col = ds.preprocessor.categorical[0]
    assert col.name == "breed" and len(col.categories) == 30 and OTHER in col.categories
    assert "'breed': 100 values: the 29 most common one-hot encoded, the other 71 (" in report_text(ds)
    assert "rows) as the category '(other)'" in report_text(ds)
    back = ds.decode_rows(ds.X)["breed"]
    assert set(back[n - 60:]) == {OTHER}  # each rare breed is '(other)'
    assert (back[: n - 60][np.isin(df["breed"][: n - 60], col.categories)] == df["breed"][: n - 60][
        np.isin(df["breed"][: n - 60], col.categories)]).all()
    unseen = ds.preprocessor.transform(pd.DataFrame({"breed": ["never seen"], "v": [0.0], "w": [0.0]}))
    assert ds.preprocessor.inverse_transform(unseen)["breed"].iloc[0] == OTHER, "new data's new value is '(other)'"
    names = pd.DataFrame({"name": [f"pet {i}" for i in range(n - 100)] + ["Lucy"] * 100, "v": rng.normal(size=n),
                          "w": rng.normal(size=n)})
    assert "name" not in table_dataset(names).preprocessor.columns, "names that each name a row stay names"


def test_zip_codes_are_codes_not_amounts():
    """Seattle's pet licences: zip_code held 98117 and a few ZIP+4 codes (98126-2920), read as text that holds
    numbers, learned as an amount and its ZIP+4 codes replaced by the median."""
    n = 40
    zips = [str(98101 + i % 9) for i in range(n - 2)] + ["98126-2920", "98103-1234"]
    df = pd.DataFrame({"zip_code": zips, "ZIP": 98101 + np.arange(n) % 9, "v": np.sin(np.arange(n)),
                       "w": np.cos(np.arange(n))})
    plans = {p.name: p for p in plan_table(df, None, list(df.columns))}
    assert plans["zip_code"].role == "metadata" and plans["zip_code"].note.startswith("an identifier")
    assert plans["ZIP"].role == "metadata"
    assert table_dataset(df).preprocessor.columns == ["v", "w"]


def test_the_report_names_the_columns_not_chosen():
    """After training the Data view listed what each feature became, but not the row number and names the
    chooser had left out."""
    df = pd.DataFrame({"Unnamed: 0": np.arange(1, 31), "name": [f"n{i}" for i in range(30)],
                       "v": np.sin(np.arange(30)), "w": np.cos(np.arange(30)), "k": ["a", "b"] * 15})
    ds = table_dataset(df, label="k", features=["v", "w"])
    assert report_text(ds).endswith("Not features (kept for hover, search and colour): 'Unnamed: 0', 'name'.")
    assert "Not features" not in report_text(table_dataset(df[["v", "w", "k"]], label="k"))


def test_a_missing_value_code_is_missing():
    """Ecdat's PatentsHGH: 'ardsic' is 1 to 21 and -999 in 50 rows; HistData's Quarrels: 999 in
    'prevConflictYrs', otherwise 0 to 139. Learned as numbers, the codes stretched the scale and ranked
    their rows as the top anomalies."""
    n = 60
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"sic": np.where(np.arange(n) % 10 == 0, -999, rng.integers(1, 22, n)),
                       "years": np.where(np.arange(n) % 20 == 0, 999, rng.integers(0, 140, n)),
                       "v": rng.normal(size=n)})
    ds = table_dataset(df)
    cols = {c.name: c for c in ds.preprocessor.numeric}
    assert cols["sic"].missing_code == -999 and cols["years"].missing_code == 999
    assert cols["v"].missing_code is None
    real = df["sic"][df["sic"] > 0]
    assert cols["sic"].fill == np.median(real) and cols["sic"].mean == pytest.approx(
        np.where(df["sic"] > 0, df["sic"], np.median(real)).mean())
    rep = report_text(ds)
    assert f"'sic': 6 value(s) of -999, a code for missing (every other value is 0 or more), set to the median " \
           f"{np.median(real):g}" in rep
    assert "'years': 3 value(s) of 999, a code for missing (every other value is at most" in rep
    assert np.abs(ds.X).max() < 5, "no row stands out for its code"


@pytest.mark.parametrize("values,why", [
    ([-999, -5] + list(range(10)), "another value is below 0"),
    ([99, 1, 2, 30] + list(range(10)), "99 is less than 4 times the largest other value (30)"),
    ([999] + list(range(20)), "a positive code counts from 2 rows"),
    ([-99] + [1] * 5, "fewer than 10 other values"),
])
def test_a_value_like_a_code_that_belongs_to_its_column_is_a_value(values, why):
    df = pd.DataFrame({"a": values, "v": np.sin(np.arange(len(values)))})
    assert table_dataset(df).preprocessor.numeric[0].missing_code is None, why


def test_a_column_mostly_of_its_missing_code_is_left_out():
    df = pd.DataFrame({"a": [-999] * 100 + list(range(1, 11)), "v": np.sin(np.arange(110)),
                       "w": np.cos(np.arange(110))})
    ds = table_dataset(df)
    assert "a" not in ds.preprocessor.columns
    assert "'a': 100 of its values are -999, a code for missing" in report_text(ds)


def test_new_rows_with_the_code_are_filled_like_the_training_rows():
    df = pd.DataFrame({"a": [-999] * 3 + list(range(1, 20)), "v": np.sin(np.arange(22))})
    ds = table_dataset(df)
    col = ds.preprocessor.numeric[0]
    new = ds.preprocessor.transform(pd.DataFrame({"a": [-999, col.fill, "-999"], "v": [0.0, 0.0, 0.0]}))
    assert new[0, 0] == new[1, 0] == new[2, 0]
    back = TablePreprocessor.from_json(ds.preprocessor.to_json())
    assert back.numeric[0].missing_code == -999


def test_the_inspector_says_a_coded_value_is_missing():
    df = pd.DataFrame({"a": [-999] * 3 + list(range(1, 20)), "v": np.sin(np.arange(22))})
    ds = table_dataset(df)
    table = compare_table_row(ds.preprocessor, ds.X[0], ds.X[0] * 0.5, ds.meta.iloc[0]).set_index("feature")
    assert table.loc["a", "original"] == "(missing: -999)" and np.isnan(table.loc["a", "error"])
    assert table.index[-1] == "a", "no error: listed last"


def test_a_text_column_of_distinct_values_names_the_rows():
    n = 40
    df = pd.DataFrame({"Unnamed: 0": np.arange(1, n + 1), "kind": [["a", "b"][i % 2] for i in range(n)],
                       "title": [f"Film {i}" if i % 7 else None for i in range(n)], "v": np.arange(n) * 1.5})
    assert table_dataset(df).name_column == "title"  # not the row number, not a feature; gaps allowed
    assert table_dataset(df, label="title").name_column is None  # the label is already in the title
    df["title"] = [f"Film {i % 4}" for i in range(n)]  # a few values repeated: a category, not names
    assert table_dataset(df).name_column is None
    series = pd.DataFrame({"date": pd.date_range("1967-07-31", periods=n, freq="ME").strftime("%Y-%m-%d"),
                           "pce": np.arange(n) * 2.5, "pop": np.sin(np.arange(n))})
    ds = table_dataset(series)
    assert ds.name_column == "date" and "date" in ds.preprocessor.columns, "a day of a time series, learned too"
    panel = series.assign(date=np.repeat(series["date"][:8].to_numpy(), 5))  # repeated days name no row
    assert table_dataset(panel).name_column is None


def test_datetimes_become_seconds():
    dates = pd.date_range("2020-01-01", periods=10, freq="D")
    text = "x,when\n" + "\n".join(f"{i * 0.5},{d:%Y-%m-%d}" for i, d in enumerate(dates)) + "\n"
    ds = load_table(text.encode())
    col = ds.preprocessor.numeric[1]
    assert (col.name, col.kind) == ("when", "datetime")
    assert col.mean == pytest.approx(pd.Timestamp("2020-01-01", tz="UTC").timestamp() + 4.5 * 86400)
    assert "dates converted to seconds" in report_text(ds)
    back = ds.decode_rows(ds.X)
    assert back["when"].dt.tz_convert(None).tolist() == dates.tolist()  # whole seconds, no float32 noise


def test_dates_and_booleans_with_gaps():
    """Yes/no written as words keeps its gaps as a category of their own (filled with the more common answer,
    MplsStops' 63% empty citationIssued read as 63% NO); 0/1 with gaps is filled and says with what."""
    ds = load_table(b"x,b,d\n1,yes,2020-01-01\n2,,2020-01-05\n3,no,\n4,yes,2020-02-01\n")
    assert [(c.name, c.kind) for c in ds.preprocessor.numeric] == [("x", "number"), ("d", "datetime")]
    assert [(c.name, c.categories) for c in ds.preprocessor.categorical] == [("b", [MISSING, "no", "yes"])]
    rep = report_text(ds)
    assert f"'b': 3 categories, one-hot encoded; 1 missing value(s) kept as the category '{MISSING}'" in rep
    assert "'d': dates converted to seconds since 1970; 1 missing value(s)" in rep
    flags = table_dataset(pd.DataFrame({"f": [1.0, np.nan] + [1.0, 0.0, 1.0] * 10, "v": np.arange(32.0)}))
    assert flags.preprocessor.numeric[0].kind == "bool"
    assert "'f': its values are 0 and 1; 1 missing value(s) set to 1, the more common value" in report_text(flags)
    back = ds.decode_rows(ds.X)
    assert back["b"].tolist() == ["yes", MISSING, "no", "yes"]
    assert back["d"].dt.strftime("%Y-%m-%d").tolist() == ["2020-01-01", "2020-01-05", "2020-01-05", "2020-02-01"]


def test_missing_values_imputed_with_count_reported():
    text = "x,y\n1,\n2,3\n3,\n4,5\n5,7\n"
    ds = load_table(text.encode())
    assert np.isfinite(ds.X).all()
    assert "'y': 2 missing value(s) set to the median 5" in report_text(ds)
    back = ds.decode_rows(ds.X)
    assert np.allclose(back["y"], [5, 3, 5, 5, 7])


def test_infinite_values_imputed_with_a_message():
    text = "x,y\n1,inf\n2,-inf\n3,4\n4,5\n"
    ds = load_table(text.encode())
    assert np.isfinite(ds.X).all()
    assert "'y': 2 infinite value(s) set to the median 4.5" in report_text(ds)


def test_constant_and_empty_columns_dropped():
    text = "x,y,k,e,c\n1,3,5,,same\n2,1,5,,same\n3,2,5,,same\n"
    ds = load_table(text.encode())
    assert ds.preprocessor.columns == ["x", "y"]
    rep = report_text(ds)
    assert "Dropped 'k': every value is the same (5)" in rep
    assert "Dropped 'e': every value is missing" in rep
    assert "Dropped 'c': it has a single value ('same')" in rep


def test_text_with_numbers_counts_as_numbers():
    values = ["abc"] + [str(i) for i in range(1, 40)]
    text = "x,t\n" + "\n".join(f"{i * 0.5},{v}" for i, v in enumerate(values)) + "\n"
    ds = load_table(text.encode())
    assert ds.preprocessor.numeric[1].name == "t"
    assert "'t': text that holds numbers; 1 value(s) that are not numbers set to the median 20" in report_text(ds)


@pytest.mark.parametrize("words", [("True", "False"), ("yes", "no"), ("TRUE", "false")])
def test_booleans(words):
    vals = [words[i % 2] for i in range(6)]
    text = "x,b\n" + "\n".join(f"{i},{v}" for i, v in enumerate(vals)) + "\n"
    ds = load_table(text.encode())
    col = ds.preprocessor.numeric[1]
    assert (col.name, col.kind) == ("b", "bool")
    back = ds.decode_rows(ds.X)
    assert back["b"].tolist() == [i % 2 == 0 for i in range(6)]


def test_label_column_excluded_from_features():
    ds = load_table(CSV.encode(), label="c")
    assert ds.label == "c"
    assert ds.preprocessor.columns == ["a", "b"]
    assert ds.labels.tolist() == [f"x{i % 3}" for i in range(12)]
    # even when listed among the features explicitly
    ds = load_table(CSV.encode(), label="a", features=["a", "b", "c"])
    assert ds.preprocessor.columns == ["b", "c"]


def test_features_choose_columns():
    ds = load_table(CSV.encode(), features=["b", "c"])
    assert ds.preprocessor.columns == ["b", "c"]
    assert list(ds.meta.columns) == ["a", "b", "c"]  # metadata keeps every column
    with pytest.raises(DataError, match="give 1 feature \\('b'\\).*at least 2 feature columns"):
        load_table(CSV.encode(), features=["b"])  # one feature: nothing to compress


def test_numbers_come_back_without_float32_noise():
    """Seen as a user: a 0 in the file came back as '-1.1e-06' beside its reconstruction."""
    df = pd.DataFrame({"hours": [0.0, 40.0, 17.0, 50.0, 0.0, 12.5], "w": [0.001, 0.002, 0.0015, 0.003, 0.0, 0.0025]})
    ds = table_dataset(df)
    back = ds.decode_rows(ds.X)
    assert back["hours"].tolist() == df["hours"].tolist()
    assert np.allclose(back["w"], df["w"], rtol=0, atol=1e-9)
    assert compare_table_row(ds.preprocessor, ds.X[0], ds.X[0]).set_index("feature").loc["hours", "original"] == "0"


def test_inverse_transform_gives_original_units_and_categories():
    df = pd.DataFrame({"size": [1.5, 2.0, 3.25, 10.0, 7.0, 4.0],
                       "colour": ["red", "blue", "red", "green", "blue", "red"]})
    ds = table_dataset(df)
    back = ds.decode_rows(ds.X)
    assert np.allclose(back["size"], df["size"])
    assert back["colour"].tolist() == df["colour"].tolist()
    assert np.allclose(back["colour (p)"], 1.0)
    # a decoded (soft) block: the argmax category, with its share of the block's positive mass
    pre = ds.preprocessor
    x = np.zeros((1, pre.n_features))
    names = pre.feature_names
    x[0, names.index("colour=green")] = 0.6
    x[0, names.index("colour=red")] = 0.2
    x[0, names.index("colour=blue")] = -0.5  # negative outputs are clipped, not counted
    row = pre.inverse_transform(x).iloc[0]
    assert row["colour"] == "green"
    assert row["colour (p)"] == pytest.approx(0.75)
    assert row["size"] == pytest.approx(pre.numeric[0].mean)


def test_decoded_numbers_stay_within_the_range_the_column_was_fitted_on():
    """A traversal far along a dimension decoded an age of -1.8 where the data's youngest was 1."""
    df = pd.DataFrame({"age": [1.0, 5.0, 9.0, 30.0], "day": pd.to_datetime(["2020-01-01", "2020-02-01",
                                                                          "2020-03-01", "2020-04-01"])})
    pre = table_dataset(df).preprocessor
    age = pre.numeric[0]
    assert (age.low, age.high) == (1.0, 30.0)
    back = pre.inverse_transform(np.array([[-9.0, -9.0], [9.0, 9.0]]))
    assert back["age"].tolist() == [1.0, 30.0]
    assert back["day"].dt.strftime("%Y-%m-%d").tolist() == ["2020-01-01", "2020-04-01"]
    old = TablePreprocessor.from_json({**pre.to_json(), "numeric": [{k: v for k, v in vars(c).items()
                                                                      if k not in ("low", "high")}
                                                                     for c in pre.numeric]})
    assert old.inverse_transform(np.array([[-9.0, 0.0]]))["age"].iloc[0] < 1.0, "an older bundle decodes as it did"


def test_preprocessor_json_round_trip_and_unseen_values():
    df = pd.DataFrame({"v": [1.0, 2.0, 4.0, np.nan], "c": ["a", "b", None, "a"]})
    ds = table_dataset(df)
    pre = TablePreprocessor.from_json(ds.preprocessor.to_json())
    assert pre.to_json() == ds.preprocessor.to_json()
    assert np.array_equal(pre.transform(df), ds.X)
    assert MISSING in pre.categorical[0].categories
    new = pre.transform(pd.DataFrame({"v": ["oops"], "c": ["never seen"]}))
    assert new[0, 0] == pytest.approx((pre.numeric[0].fill - pre.numeric[0].mean) / pre.numeric[0].std)
    assert not new[0, 1:].any()  # an unseen category encodes as an all-zero block


# -- bad inputs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("data,fragment", [
    (b"", "is empty"),
    (b"   \n\n", "is empty"),
    (b"a,b\n1,2\x00\n3,4\n", "looks binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks binary"),
    (b"a,b\n1,2\n3,4,5\n6,7\n", "not a well-formed CSV"),
    (b"a,b\n1,2\n", "at least 2"),
])
def test_bad_files(data, fragment):
    with pytest.raises(DataError, match=fragment):
        load_table(data)


def test_ragged_message_names_the_line_and_delimiter():
    with pytest.raises(DataError) as info:
        load_table(b"a;b\n1;2\n3;4;5\n6;7\n")
    msg = str(info.value)
    assert "line 3" in msg and "separated by ';'" in msg


@pytest.mark.parametrize("limits,fragment", [
    (Limits(max_rows=3), "more than 3 rows"),
    (Limits(max_columns=2), "has 3 columns; the limit is 2"),
    (Limits(max_cells=20), "cells; the limit is 20"),
    (Limits(max_table_bytes=20), "limit for a table file"),
])
def test_limits(limits, fragment, tmp_path):
    with pytest.raises(DataError, match=fragment):
        load_table(CSV.encode(), limits=limits)
    path = tmp_path / "t.csv"
    path.write_text(CSV)
    with pytest.raises(DataError, match=fragment):
        load_table(path, limits=limits)


def test_missing_file():
    with pytest.raises(DataError, match="Cannot find"):
        load_table("/nonexistent/file.csv")


def test_unknown_label_and_feature_columns():
    with pytest.raises(DataError, match="no column 'zz'.*a, b, c"):
        load_table(CSV.encode(), label="zz")
    with pytest.raises(DataError, match="Unknown column"):
        load_table(CSV.encode(), features=["a", "nope"])
    with pytest.raises(DataError, match="No feature columns"):
        load_table(CSV.encode(), label="a", features=["a"])


def test_no_usable_features():
    with pytest.raises(DataError, match="None of the chosen columns can be used"):
        load_table(b"a,b\nx,1\nx,1\nx,1\n")
    names = "name\n" + "\n".join(f"person {i}" for i in range(50)) + "\n"
    with pytest.raises(DataError, match="None of the chosen columns"):
        load_table(names.encode())


# -- the label guess and the column plan ------------------------------------------------------------
def diamonds_like(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "carat": rng.random(n) * 2, "cut": rng.choice(["Fair", "Good", "Very Good", "Premium", "Ideal"], n),
        "color": rng.choice(list("DEFGHIJ"), n), "clarity": rng.choice(["I1", "SI2", "SI1", "VS2", "VS1", "VVS2",
                                                                         "VVS1", "IF"], n),
        "price": rng.integers(300, 18000, n), "x": rng.random(n) * 9, "y": rng.random(n) * 9, "z": rng.random(n) * 5})


def test_label_guess_prefers_categorical_columns():
    assert guess_label(diamonds_like()) == "cut"  # not the numeric measurement 'y'
    penguins = pd.DataFrame({"species": ["Adelie", "Gentoo"] * 20, "bill": np.arange(40.0), "y": np.arange(40.0)})
    assert guess_label(penguins) == "species"
    census = pd.DataFrame({"age": np.arange(40), "sex": ["m", "f"] * 20, "income": ["<=50K", ">50K"] * 20})
    assert guess_label(census) == "income"
    assert guess_label(pd.DataFrame({"quality": [3, 4, 5, 6] * 10, "acid": np.linspace(0, 1, 40)})) == "quality"
    assert guess_label(pd.DataFrame({"a": np.linspace(0, 1, 40), "b": np.arange(40.0)})) is None
    only = pd.DataFrame({"Unnamed: 0": np.arange(1, 16), "y": [1, 2, 3] * 5})  # 'y' is the only feature
    assert guess_label(only) is None
    rated = ["PG", None, None, None, "R", None, None, None, None, None] * 4  # movies' mpaa: 80% missing here
    movies = pd.DataFrame({"mpaa": rated, "genre": ["drama", "comedy", "action"] * 13 + ["drama"],
                           "length": np.arange(40.0), "votes": np.arange(40.0) ** 2})
    assert guess_label(movies) == "genre", "a label names most rows"
    crashes = pd.DataFrame({"dead": ["alive", "dead"] * 20, "sex": ["m", "f", "f", "m"] * 10,
                            "speed": np.arange(40.0), "weight": np.arange(40.0) ** 0.5})
    assert guess_label(crashes) == "dead", "DAAG's nassCDS: the outcome, not the driver's sex"


def test_plan_table_says_what_every_column_becomes():
    df = diamonds_like(60).assign(const=1.5, name=[f"stone {i}" for i in range(60)])
    plans = {p.name: p for p in plan_table(df, "cut", [c for c in df.columns if c != "cut"])}
    assert plans["cut"].role == "label"
    assert plans["color"].role == "category" and "7 categories" in plans["color"].note
    assert plans["const"].role == "drop" and plans["const"].note == "every value is the same (1.5)"
    assert plans["name"].role == "metadata" and plans["carat"].role == "number" and plans["carat"].used


def test_a_column_left_out_of_the_features_says_why_its_values_are_no_feature():
    """The chooser leaves a row number out by default: the plan says why, not only 'not chosen'."""
    df = pd.DataFrame({"Unnamed: 0": np.arange(1, 41), "v": np.sin(np.arange(40)), "w": np.cos(np.arange(40))})
    plans = {p.name: p for p in plan_table(df, None, ["w"])}
    assert plans["Unnamed: 0"].role == "metadata" and plans["Unnamed: 0"].note.startswith("a row number")
    assert plans["v"].note == "not chosen as a feature"


def test_a_table_with_no_usable_column_says_why_for_each():
    df = pd.DataFrame({"a": [1.5] * 10, "b": [None] * 10, "c": ["x"] * 10})
    with pytest.raises(DataError) as info:
        table_dataset(df)
    message = str(info.value)
    assert "'a': every value is the same (1.5)" in message and "'b': every value is missing" in message
    assert "'c': it has a single value ('x')" in message


# -- Parquet ----------------------------------------------------------------------------------------
def parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def frame_of_csv() -> pd.DataFrame:
    return pd.read_csv(io.StringIO(CSV))


def test_parquet_loads_like_the_same_csv(tmp_path):
    path = tmp_path / "t.parquet"
    path.write_bytes(parquet_bytes(frame_of_csv()))
    for source in (path, parquet_bytes(frame_of_csv())):  # told by its name, and by its magic bytes alone
        ds = load_table(source)
        assert ds.preprocessor.feature_names == load_table(CSV.encode()).preprocessor.feature_names
        assert np.allclose(ds.X, load_table(CSV.encode()).X)
        assert "(Parquet)" in ds.report[0]


def test_parquet_types_become_the_same_features():
    n = 40
    df = pd.DataFrame({
        "x": np.linspace(0, 1, n),
        "flag": [i % 2 == 0 for i in range(n)],
        "when": pd.date_range("2024-01-01", periods=n, freq="D", tz="Europe/Paris"),
        "kind": pd.Categorical([["a", "b", "c"][i % 3] for i in range(n)]),
        "name": [f"row {i}" for i in range(n)],
        "tags": [[i, i + 1] for i in range(n)],   # a list per cell: not a table value
        "blob": [bytes([i]) for i in range(n)],     # raw bytes: not text
    })
    ds = load_table(parquet_bytes(df))
    names = ds.preprocessor.feature_names
    assert {"x", "flag", "when", "kind=a", "kind=b", "kind=c"} <= set(names)
    assert not any(n.startswith(("tags", "blob", "name")) for n in names)
    assert "Left out 2 column(s) of lists, structures or raw bytes: tags, blob." in ds.report
    assert "name" in ds.meta.columns  # all-distinct text: kept for hover and search


def test_parquet_limits_are_read_from_the_footer():
    data = parquet_bytes(frame_of_csv())
    with pytest.raises(DataError, match="more than 3 rows"):
        load_table(data, limits=Limits(max_rows=3))
    with pytest.raises(DataError, match="has 3 columns; the limit is 2"):
        load_table(data, limits=Limits(max_columns=2))


@pytest.mark.parametrize("data", [
    b"PAR1" + b"\x00" * 64,                                   # the magic, then nothing a reader can use
    parquet_bytes(pd.DataFrame({"a": range(50), "b": range(50)}))[:-40],  # cut short: the footer is lost
])
def test_damaged_parquet_is_one_clear_message(data):
    with pytest.raises(DataError, match="is not a readable Parquet file"):
        load_table(data)


def test_a_header_longer_than_the_sniffed_head_is_read_in_full():
    width = 5_200  # 13 bytes per name: a 68 KB header, beyond the 64 KB head the delimiter is sniffed on
    header = ",".join(f"column_{i:05d}" for i in range(width))
    rows = [",".join(str((i * 7 + j) % 11) for j in range(width)) for i in range(20)]
    ds = load_table(("\n".join([header, *rows]) + "\n").encode(), limits=Limits(max_columns=width))
    assert ds.meta.shape == (20, width)
    with pytest.raises(DataError, match=f"has {width:,} columns; the limit is 2,000"):
        load_table(("\n".join([header, *rows]) + "\n").encode())


def test_a_blank_first_header_reads_as_row_names():
    """R's write.csv leaves the row names' header blank: 'row name', not pandas' 'Unnamed: 0', in every list."""
    rows = "".join(f'"Car {i}",{["Japan", "Germany"][i % 2]},{100 + 7 * i}\n' for i in range(40))
    cars = load_table((",Country,HP\n" + rows).encode())
    assert list(cars.meta.columns[:1]) == ["row name"] and "row name" not in cars.preprocessor.columns
    taken = load_table(b",row name,v\n1,a,2\n2,b,3\n3,c,5\n")
    assert list(taken.meta.columns[:2]) == ["Unnamed: 0", "row name"], "a column of that name is kept"


def test_columns_with_the_same_note_share_one_report_line():
    n = 40
    df = pd.DataFrame({f"flag{i}": np.tile([0, 1, 1, 0], n // 4) for i in range(3)} | {"v": np.sin(np.arange(n))})
    lines = load_table(df.to_csv(index=False).encode()).report
    assert "'flag0', 'flag1', 'flag2': its values are 0 and 1." in lines
    assert not any(line.startswith("'flag1'") for line in lines)
