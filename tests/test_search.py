"""find_rows: row ids, text anywhere, column:value, numbers, missing values, limits and unknown columns."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aecore.errors import ConfigError
from aecore.search import SearchResult, find_rows


@pytest.fixture
def meta():
    return pd.DataFrame({
        "file": ["cats/Tabby.png", "dogs/rex.png", "cats/tom.png", None, "dogs/7.png", np.nan],
        "label": pd.Categorical(["cat", "dog", "cat", "cat", "dog", None]),
        "age": [3, 7, 2, 5, 7, 1],
        "weight": [4.5, 30.25, 3.0, np.nan, 12.0, 0.5],
        "note": pd.Series(["ok", None, "Seven", "OK", 7, None], dtype=object),  # mixed, with missing values
    })


def test_blank_query_matches_nothing(meta):
    for query in ("", "   ", None):
        result = find_rows(meta, query)
        assert isinstance(result, SearchResult) and result.total == 0 and len(result.rows) == 0


def test_whole_number_is_a_row_id_and_equal_numbers(meta):
    result = find_rows(meta, "2")
    assert result.rows.tolist() == [2] and result.rows.dtype == np.int64 and result.how == "row id; 'age' = 2"
    seven = find_rows(meta, "7")  # no row 7; age 7 in rows 1 and 4, note '7' in row 4; never part of a text
    assert seven.rows.tolist() == [1, 4] and seven.how == "'note' is '7'; 'age' = 7"  # ("dogs/7.png" is not)
    assert find_rows(meta, "99").total == 0 and "no match" in find_rows(meta, "99").how


def test_whole_number_finds_a_folder_label_beside_the_row_id():
    """Images from class folders 0-9: '7' is row 7 and every image labelled 7."""
    images = pd.DataFrame({"file": [f"{d}/img{i}.png" for i, d in enumerate("7137")],
                           "label": pd.Categorical(list("7137"))})
    found = find_rows(images, "3")
    assert found.rows.tolist() == [2, 3] and found.how == "row id; 'label' is '3'"


def test_text_anywhere_ignoring_case(meta):
    result = find_rows(meta, "TABBY")
    assert result.rows.tolist() == [0] and result.how == "text in 'file'"
    cats = find_rows(meta, "cat")  # 'file' rows 0, 2 and 'label' rows 0, 2, 3
    assert cats.rows.tolist() == [0, 2, 3] and cats.how == "text in 'file' and 'label'"
    assert find_rows(meta, "seven").rows.tolist() == [2]  # the object column's text; its number 7 is skipped


def test_missing_values_never_match(meta):
    for query in ("none", "nan", "<NA>", "None"):
        assert find_rows(meta, query).total == 0, query
    assert find_rows(meta, "file:None").total == 0
    assert find_rows(meta, "weight:nan").total == 0


def test_float_query_matches_equal_numbers(meta):
    assert find_rows(meta, "30.25").rows.tolist() == [1]
    assert find_rows(meta, "0.5").rows.tolist() == [5]  # not row 0, nor text containing "0.5"
    assert find_rows(meta, "4.5").how == "'weight' = 4.5"


def test_column_value_is_exact_in_one_column(meta):
    result = find_rows(meta, "label:Cat")
    assert result.rows.tolist() == [0, 2, 3] and result.how == "'label' is 'Cat'"
    assert find_rows(meta, "file:cats/tom.png").rows.tolist() == [2]
    assert find_rows(meta, "file:tom").total == 0  # exact, not a substring
    assert find_rows(meta, "AGE: 7").rows.tolist() == [1, 4]  # column names ignore case too
    assert find_rows(meta, "note:ok").rows.tolist() == [0]  # as written, when some row has it so
    assert find_rows(meta, "note:Ok").rows.tolist() == [0, 3]  # else ignoring case
    assert "not one" in find_rows(meta, "age:old").how


def test_colons_that_are_not_column_syntax(meta):
    with_time = pd.DataFrame({"when": ["12:30", "13:45"], "url": ["http://a.org/x", "http://b.org"]})
    assert find_rows(with_time, "12:30").rows.tolist() == [0]
    assert find_rows(with_time, "http://b").rows.tolist() == [1]


def test_column_value_on_yes_no_dates_and_numbers_held_as_objects():
    other = pd.DataFrame({"ok": [True, False, True], "day": pd.to_datetime(["2021-01-01", "2022-02-02", None]),
                          "code": pd.Series([1, 22, None], dtype=object)})
    assert find_rows(other, "ok:TRUE").rows.tolist() == [0, 2]
    assert find_rows(other, "day:2021-01-01").rows.tolist() == [0]
    assert find_rows(other, "code:22").rows.tolist() == [1]
    assert find_rows(other, "code:None").total == 0 and find_rows(other, "2x").total == 0
    found = find_rows(other, "22")  # no row 22, but a code written 22
    assert found.rows.tolist() == [1] and found.how == "'code' is '22'"


def test_limit_keeps_the_first_rows_and_counts_all():
    big = pd.DataFrame({"file": [f"img_{i}.png" for i in range(1000)]})
    result = find_rows(big, "img", limit=10)
    assert result.rows.tolist() == list(range(10)) and result.total == 1000 and result.truncated
    assert find_rows(big, "img", limit=0).total == 1000


def test_unknown_column_lists_the_columns():
    wide = pd.DataFrame({f"col{i}": [i] for i in range(25)})
    with pytest.raises(ConfigError, match="no column 'colour'") as err:
        find_rows(wide, "colour:red")
    message = str(err.value)
    assert "col0, col1" in message and "col19" in message and "col20" not in message and "5 more" in message


def test_string_dtypes_and_large_tables():
    rng = np.random.default_rng(0)
    n = 200_000
    meta = pd.DataFrame({"file": pd.Series([f"f{i}.png" for i in range(n)], dtype="string"),
                         "kind": pd.Series(rng.choice(["a", "b"], n)).astype("category"),
                         "x": rng.standard_normal(n)})
    meta.loc[5, "file"] = pd.NA
    result = find_rows(meta, "F12345.")
    assert result.rows.tolist() == [12345] and result.total == 1
    assert find_rows(meta, "kind:B").total == int((meta["kind"] == "b").sum())
