"""Property tests (Hypothesis): (1) whatever bytes arrive as a CSV or an image (alone or inside a ZIP),
the loaders give a Dataset or the project's own AecoreError, never another exception; (2) a table's
preprocessing inverts: decoding the features gives back the original numbers, booleans and categories,
missing values as the column's fill value or '(missing)'; (3) the string checks on ZIP member names agree
with pathlib's.

Profiles: "ci" (the default: a few dozen examples each, fast and stable on a slow shared machine) and
"fuzz" (thousands: `AECORE_HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_properties.py`). Neither
writes an example database, and Hypothesis' other files go to a temporary folder, not the repository."""
from __future__ import annotations

import io
import os
import tempfile
import zipfile
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from PIL import Image

from aecore import AecoreError, DataError, Dataset, load_images, table_dataset
from aecore.dataset import MISSING
from aecore.tables import read_table

STORAGE = tempfile.TemporaryDirectory(prefix="aecore-hypothesis-")  # removed when the test process ends
set_hypothesis_home_dir(STORAGE.name)
COMMON = dict(database=None, deadline=timedelta(seconds=10), print_blob=True,
              suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=80, **COMMON)
settings.register_profile("fuzz", max_examples=3_000, **COMMON)
settings.load_profile(os.environ.get("AECORE_HYPOTHESIS_PROFILE", "ci"))


# -- (1) any bytes: a Dataset or the project's own error ---------------------------------------------
# Bytes that look like a CSV reach further into the parser than uniform random bytes do.
CSV_PIECES = ["0", "1", "7", "-", "+", ".", ",", ";", "\t", "|", '"', "\n", "\r", "\r\n", " ", "e", "E", "inf",
              "nan", "NA", "true", "no", "x", "é", "2021-03-04", "12:30", "3/4", "1,5", "1.234,5", "\ufeff", "\x00"]
csv_like = st.lists(st.sampled_from(CSV_PIECES), max_size=120).map("".join).flatmap(
    lambda text: st.sampled_from(["utf-8", "latin-1", "utf-16"]).map(lambda enc: text.encode(enc, "replace")))


def table_from_bytes(data: bytes):
    df, name, report = read_table(data)
    return table_dataset(df, name=name, report=report)


@given(st.one_of(st.binary(max_size=400), csv_like))
def test_any_bytes_as_a_csv_load_or_raise_the_projects_error(data):
    try:
        ds = table_from_bytes(data)
    except AecoreError:
        return
    assert isinstance(ds, Dataset) and ds.X.dtype == np.float32 and np.isfinite(ds.X).all()


def encoded(fmt: str, mode: str = "L", **save) -> bytes:
    im = Image.fromarray((np.add.outer(np.arange(8), np.arange(8)) * 16).astype(np.uint8)).convert(mode)
    buf = io.BytesIO()
    im.save(buf, fmt, **save)
    return buf.getvalue()


# Real files of every readable format, to be damaged: a flipped byte deep inside a valid file reaches
# decoders that random bytes never get past the signature of.
SEEDS = [encoded("PNG"), encoded("PNG", "RGBA"), encoded("PNG", "P"), encoded("PNG", "I;16"), encoded("JPEG"),
         encoded("GIF"), encoded("BMP"), encoded("TIFF"), encoded("WEBP"), encoded("PPM")]
NAMES = ["a.png", "b.jpg", "c.gif", "d.bmp", "e.tif", "f.webp", "g.pgm", "notes.txt", "h.zip"]


@st.composite
def damaged_images(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 4))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


SIGNATURES = [b"\x89PNG\r\n\x1a\n", b"GIF89a", b"\xff\xd8\xff", b"BM", b"PK\x03\x04", b"II*\x00",
              b"RIFF\x00\x00\x00\x00WEBP", b"P5\n"]
image_like = st.one_of(st.binary(max_size=300), damaged_images(),
                       st.tuples(st.sampled_from(SIGNATURES), st.binary(max_size=200)).map(b"".join))


def in_a_zip(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"folder/{name}", data)
    return buf.getvalue()


# damaged files make Pillow warn (corrupt EXIF, TIFF tags past the end) before it refuses or reads them
@pytest.mark.filterwarnings("ignore::UserWarning:PIL.*", "ignore::PIL.Image.DecompressionBombWarning")
@given(st.sampled_from(NAMES), image_like)
def test_any_bytes_as_an_image_load_or_raise_the_projects_error(name, data):
    for source in ((name, data), ("upload.zip", in_a_zip(name, data))):
        try:
            ds = load_images(source)
        except AecoreError:
            continue
        assert ds.X.dtype == np.float32 and ds.X.ndim == 4 and ds.X.min() >= 0.0 and ds.X.max() <= 1.0


# -- (2) the table preprocessing round trip ----------------------------------------------------------
CATEGORIES = ["red", "green", "blue", "dark grey", "Ünïcode"]  # nothing that reads as a number, a bool or a date


def not_underflowing(x: float) -> float:
    """Values below 1e-100 beside zeros have a variance that underflows to 0 (the loader then calls the
    column constant, rightly enough): no table holds them, so they are zeros here."""
    return x if abs(x) > 1e-100 else 0.0


@st.composite
def tables(draw) -> tuple[pd.DataFrame, dict[str, str]]:
    """A table of 2-40 rows and 2-5 columns, each of numbers (floats or whole), booleans or a few
    categories, some with missing values. Returns the frame and each column's kind."""
    n = draw(st.integers(2, 40))
    columns, kinds = {}, {}
    for j in range(draw(st.integers(2, 5))):
        kind = draw(st.sampled_from(["float", "int", "bool", "category"]))
        values = {"float": st.floats(-1e9, 1e9, allow_nan=False).map(not_underflowing),
                  "int": st.integers(-1_000, 1_000), "bool": st.booleans(),
                  "category": st.sampled_from(CATEGORIES[: draw(st.integers(1, len(CATEGORIES)))])}[kind]
        if draw(st.booleans()):
            values = st.one_of(st.none(), values)
        columns[f"{kind}{j}"] = draw(st.lists(values, min_size=n, max_size=n))
        kinds[f"{kind}{j}"] = kind
    return pd.DataFrame(columns), kinds


def with_missing(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), MISSING)


def code_for_missing(series: pd.Series) -> float | None:
    """The README's rule, as a person would apply it: a negative 9, 99, ... 99999 beside values never below
    0, or a positive one in 2 rows or more at 4 times every other value at least, with 10 other values
    or more; the most frequent when several qualify."""
    present = series.dropna().astype(float)
    candidates = []
    for digits in range(1, 6):
        for code in (-(10.0**digits - 1), 10.0**digits - 1):
            if code == 9.0:
                continue  # 9 itself is no code
            count = int((present == code).sum())
            rest = present[present != code]
            if count == 0 or len(rest) < 10:
                continue
            if (code < 0 and rest.min() >= 0) or (code > 0 and count >= 2 and code >= 4 * rest.abs().max()):
                candidates.append((count, code))
    return max(candidates)[1] if candidates else None


def zero_one(series: pd.Series, kind: str) -> bool:
    """Numbers that are only 0 and 1, in 10 rows or more: a yes/no column."""
    present = series.dropna()
    return kind in ("int", "float") and len(present) >= 10 and set(present.astype(float)) == {0.0, 1.0}


def features_of(series: pd.Series, kind: str) -> int:
    """How many features a column should give, by the loader's rules: none when it carries nothing
    (one value once missing values are filled, or a row number 0, 1, 2, ..., gaps in at most a tenth of its
    steps, or 90% or more missing counting its missing-value code); a category column, or a yes/no column
    with gaps, one per value, '(missing)' included; any other column one."""
    missing = series.isna().mean()
    if kind == "category" or (kind == "bool" and 0 < missing < 0.9):  # yes/no with gaps: the gaps a category
        values = with_missing(series).nunique()
        return values if values >= 2 else 0
    code = code_for_missing(series) if kind in ("int", "float") else None
    if (series.isna().sum() + (0 if code is None else (series == code).sum())) >= 0.9 * len(series):
        return 0
    if code is not None:
        series = series.where(series != code)
    present = series.dropna()
    steps = present.diff().iloc[1:]
    row_number = (kind == "int" and len(present) == len(series) >= 10 and present.iloc[0] in (0, 1)
                  and steps.ge(1).all() and steps.eq(1).mean() >= 0.9)
    return 0 if present.nunique() <= 1 or row_number else 1


@given(tables())
def test_decoding_the_features_gives_the_table_back(table):
    df, kinds = table
    expected_features = {name: features_of(df[name], kind) for name, kind in kinds.items()}
    if sum(expected_features.values()) < 2:  # nothing to compress: refused, and said so
        try:
            table_dataset(df)
        except DataError as exc:
            assert "feature" in str(exc), exc
            return
        raise AssertionError("a table with fewer than 2 features was accepted")
    ds = table_dataset(df)
    pre = ds.preprocessor
    assert {n for n, k in expected_features.items() if k} == set(pre.columns), "every varying column is a feature"
    assert pre.n_features == sum(expected_features.values())
    decoded = ds.decode_rows(ds.X)
    for col in pre.numeric:
        original = df[col.name]
        if kinds[col.name] == "bool" or zero_one(original, kinds[col.name]):
            assert col.kind == "bool"
            as_numbers = original.map({True: 1.0, False: 0.0}) if kinds[col.name] == "bool" else original
            expected = as_numbers.astype(float).fillna(col.fill).to_numpy() >= 0.5
            assert np.array_equal(decoded[col.name].to_numpy(), expected), col.name
            continue
        assert kinds[col.name] in ("float", "int") and col.kind == "number"
        code = code_for_missing(original)
        assert col.missing_code == code
        if code is not None:
            original = original.where(original != code)
        assert col.fill == np.median(original.dropna().astype(float)), "missing numbers are set to the median"
        expected = original.astype(float).fillna(col.fill).to_numpy()
        scale = max(np.abs(expected).max(), col.std)  # float32 features keep ~7 significant digits of the range
        rounding = 5e-6 * col.std  # float32_noise_off: half a unit of at most a 100,000th of a deviation
        assert np.allclose(decoded[col.name].to_numpy(), expected, rtol=0, atol=1e-6 * scale + rounding), col.name
    for col in pre.categorical:
        assert kinds[col.name] in ("category", "bool")
        assert decoded[col.name].tolist() == with_missing(df[col.name]).astype(str).tolist(), col.name
        assert np.allclose(decoded[f"{col.name} (p)"], 1.0), "a one-hot block decodes with full confidence"


# Names built from the characters that matter to a path: separators, dots, a hidden-file dot, a suffix.
member_names = st.lists(st.sampled_from(["/", ".", "a", "B", "png", "PNG", "__MACOSX", " ", ".."]), max_size=12).map(
    "".join) | st.lists(st.sampled_from(["", ".", "..", "a", ".h", "x.png", "y.tar.gz", "z.", "__MACOSX", "d.d"]),
                        max_size=5).map("/".join)


@given(member_names)
def test_member_name_checks_agree_with_pathlib(name):
    from pathlib import PurePosixPath

    from aecore.images import is_hidden, name_parts, suffix_of

    path = PurePosixPath(name)
    parts = list(path.parts[1:] if path.anchor else path.parts)  # less the root ('/', or '//' on POSIX)
    assert suffix_of(name) == path.suffix.lower()
    assert name_parts(name) == parts
    assert is_hidden(name) == any(p.startswith(".") or p == "__MACOSX" for p in parts)
