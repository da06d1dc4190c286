"""Table loading (CSV or Parquet): sniff, decode, parse, then turn each column into features or metadata, with a report.

Rules, in order, for every column but the label:
  all missing -> dropped; numbers (or text that is >= 95% numbers) -> standardised, missing and
  unparsable values (and a missing-value code such as -999, see MISSING_CODES) imputed with the median;
  true/false -> 0/1; dates -> seconds, standardised; text with <= max_categories distinct values (or a
  few common ones, the rest lumped as OTHER) ->
  one-hot; other text (names, ids), row numbers and whole numbers named as ids (ID_WORDS) -> metadata
  only; a column with one value after imputation -> dropped (it carries no information)."""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import (
    BLANK_HEADER,
    DAY_SECONDS,
    MISSING,
    OTHER,
    ROW_NAMES,
    CategoricalColumn,
    Dataset,
    NumericColumn,
    TablePreprocessor,
    category_values,
    is_row_names,
    numeric_values,
)
from .errors import DataError
from .limits import DEFAULT_LIMITS, Limits
from .sources import read_bytes

DELIMITERS = [",", ";", "\t", "|"]
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
TABLE_SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES  # what the CLI and the uploader take as a table
PARQUET_MAGIC = b"PAR1"
SNIFF_BYTES = 1 << 16   # the head of a CSV that the delimiter and the header are read from
SNIFF_LINES = 50        # lines of that head the delimiter is sniffed on
BINARY_PROBE = 1 << 16  # bytes searched for a NUL (a binary file, not text)
ENCODING_CHUNK = 1 << 24  # bytes checked as UTF-8 at a time: a 1 GB file is never a 4 GB string
# pandas' words for a quoted value still open at the end of the file; its row 0 is the header
QUOTE_TO_THE_END = re.compile(r"EOF inside string starting at row (\d+)")
LABEL_MAX_MISSING = 0.5  # a guessed label is missing in at most this share of rows
PARSE_SHARE = 0.95  # share of non-missing values that must parse for a text column to count as numbers/dates
OTHER_MIN_ROWS = 5      # lumped: each kept value of a many-valued text column is in this many rows or more
OTHER_MIN_SHARE = 0.5   # lumped: the kept values hold at least this share of the rows
BOOL_WORDS = {"true", "false", "yes", "no"}
# From this many rows, a column whose values are all different (text) or count 1, 2, 3... (numbers) is an
# identifier, kept as metadata: one-hot encoding names or learning row numbers would only add noise.
MIN_ROWS_FOR_IDS = 10
# A row number may have gaps (rows dropped before the export: Ecdat's VietNamI counts 1 to 27,766 over 27,765 rows):
# at least this share of its steps are +1, and none goes down or repeats.
ROW_NUMBER_STEP_SHARE = 0.9
# Under a blank header (dataset.BLANK_HEADER), where R and pandas write row names, counting up by 1 is a row
# number from any start (gap's hr1420.csv counts from 2,020,311).
# A column of whole numbers named as an identifier (a word of its name, compared lower-case: "id",
# "PatientID", "user_id") numbers things, it does not measure them: a subject id repeated over the rows of
# long data (lme4's VerbAgg: 'id'), a firm's code (Ecdat's PatentsHGH: 'cusip'). Kept, not a feature.
ID_WORDS = frozenset({"id", "ids", "uid", "uuid", "guid", "cusip", "isin", "zip", "zipcode", "postcode", "fips"})
ID_REASON = ("an identifier (its name says so): whole numbers that name things, not amounts; kept for hover and "
             "search, not a feature")
NAME_WORDS = re.compile(r"[A-Z]{2,}s(?![a-z])|[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")  # "userIDs" -> user, IDs
# A number, yes/no or date column missing in at least this share of rows is dropped: the model would learn
# the median it is filled with, and the few real values would read as anomalies (gap's hr1420.csv: 99.8%).
MOSTLY_MISSING = 0.9
# Values that files use for "missing" in a number column (surveys, registries, older statistics packages).
# One counts as missing where it stands apart from the column's other values: a negative code in a column
# otherwise never below 0 (Ecdat's PatentsHGH: 'ardsic' is 1 to 21, and -999 in 50 rows), a positive one in
# at least 2 rows and at least MISSING_CODE_GAP times the largest other value (HistData's Quarrels: 999 in
# 'prevConflictYrs', otherwise 0 to 139). Filled like any missing value; learned as a number, -999 would
# stretch the column's scale and make those rows the top anomalies.
MISSING_CODES = (-99999.0, -9999.0, -999.0, -99.0, -9.0, 99.0, 999.0, 9999.0, 99999.0)
MISSING_CODE_GAP = 4.0
MIN_FEATURES = 2  # one feature has nothing to compress: its only code is itself
# Column names that usually hold a class label (compared lower-case); guess_label prefers them.
LABEL_NAMES = ("label", "labels", "class", "target", "y", "category", "diagnosis", "species", "cultivar", "outcome",
               "income", "survived", "dead", "died", "death", "alive", "status", "disease", "default", "fraud",
               "churn", "variety", "type", "kind", "grade", "quality", "sex", "gender")


def text_encoding(data: bytes) -> str:
    """The text's encoding: UTF-8 (with or without BOM: 'utf-8-sig' reads both), else Latin-1. Checked in
    chunks, so a large file is never held twice as a Python string. NUL bytes mean binary."""
    if b"\x00" in data[:BINARY_PROBE]:
        raise DataError("This file looks binary, not like a CSV text file. Export it as CSV (comma- or "
                        "semicolon-separated text) or Parquet and upload that.")
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for i in range(0, len(view), ENCODING_CHUNK):
            decoder.decode(view[i : i + ENCODING_CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8-sig"


def sniff_delimiter(text: str) -> str:
    """The delimiter among , ; tab | that splits the first lines into the most, and most equal, fields."""
    sample = "\n".join(text.splitlines()[:SNIFF_LINES])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        pass
    best, best_score = ",", 0.0
    lines = [ln for ln in sample.splitlines() if ln.strip()]
    for d in DELIMITERS:
        counts = [len(next(csv.reader([ln], delimiter=d))) for ln in lines]
        if not counts or max(counts) < 2:
            continue
        score = np.mean(counts) / (1.0 + np.std(counts))
        if score > best_score:
            best, best_score = d, score
    return best


def is_parquet(data: bytes, name: str) -> bool:
    return data[:4] == PARQUET_MAGIC or Path(name).suffix.lower() in PARQUET_SUFFIXES


def read_table(source, limits: Limits = DEFAULT_LIMITS) -> tuple[pd.DataFrame, str, list[str]]:
    """Read a CSV or a Parquet file (path, bytes or file-like) into a DataFrame of raw columns.
    Returns (df, name, report lines). Parquet is told by its magic bytes or its name."""
    data, name = read_bytes(source, limits.max_table_bytes, "table file")
    if is_parquet(data, name):
        df, report = parquet_frame(data, name, limits)
    else:
        df, report = csv_frame(data, name, limits)
    if len(df) > limits.max_rows:
        raise DataError(f"'{name}' has more than {limits.max_rows:,} rows, the limit. Upload a sample of the rows.")
    if len(df) < 2:
        raise DataError(f"'{name}' has {len(df)} data row(s); an autoencoder needs at least 2 (ideally hundreds).")
    if df.size > limits.max_cells:
        raise DataError(f"'{name}' has {df.size:,} cells; the limit is {limits.max_cells:,}. "
                        "Use fewer rows or columns.")
    df.columns = [str(c).strip() for c in df.columns]
    if df.columns[0] == f"{BLANK_HEADER}0" and ROW_NAMES not in df.columns:  # R's row names, not "Unnamed: 0"
        df = df.rename(columns={df.columns[0]: ROW_NAMES})
    return df, name, report


def csv_frame(data: bytes, name: str, limits: Limits) -> tuple[pd.DataFrame, list[str]]:
    """CSV bytes -> (df, report). The bytes are parsed where they lie (no decoded copy of the whole text):
    the delimiter is sniffed on the first lines, the fields are counted and pandas parses from a stream."""
    encoding = text_encoding(data)
    if re.search(rb"\S", data) is None:
        raise DataError(f"'{name}' is empty. Upload a CSV with a header row and at least two data rows.")
    head = data[:SNIFF_BYTES].decode(encoding, errors="ignore")
    try:
        delimiter = sniff_delimiter(head)
        header = next(csv.reader(text_stream(data, encoding), delimiter=delimiter), [])
        if len(header) > limits.max_columns:
            raise DataError(f"'{name}' has {len(header):,} columns; the limit is {limits.max_columns:,}. "
                            "Keep the columns you need and upload again.")
        check_fields(text_stream(data, encoding), delimiter, len(header), name, limits.max_rows + 1)
    except csv.Error:  # with lines split by csv_lines, the one error left: a value over the field size limit
        raise DataError(f"'{name}' is not a well-formed CSV: a value is longer than {csv.field_size_limit():,} "
                        "characters, which usually means a quote (\") that is never closed. Close the quote or "
                        "shorten the value, and upload again.") from None
    try:
        df = parse(data, encoding, delimiter, limits.max_rows + 1)
        decimal = decimal_comma(df, delimiter)
        if decimal:  # '1,5' is one and a half here, not text: read the numbers again as numbers
            df = parse(data, encoding, delimiter, limits.max_rows + 1, **decimal)
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1]
        unclosed = QUOTE_TO_THE_END.search(detail)
        if unclosed:
            raise DataError(f"'{name}' is not a well-formed CSV: a quote (\") in data row {unclosed[1]} is never "
                            "closed, so the rest of the file reads as one value. Close or remove that quote and "
                            "upload again.") from None
        raise DataError(f"'{name}' is not a well-formed CSV ({detail}). Every row needs the same number of "
                        f"fields as the header, separated by '{printable(delimiter)}'.") from None
    except (pd.errors.EmptyDataError, ValueError) as exc:
        raise DataError(f"'{name}' could not be read as a CSV ({exc}). Check that it is comma- or "
                        "semicolon-separated text with a header row.") from None
    shown = "utf-8" if encoding == "utf-8-sig" else encoding
    report = [f"Read {len(df):,} rows x {df.shape[1]} columns ({shown}, separated by '{printable(delimiter)}'"
              + (", decimal commas" if decimal else "") + ")."]
    return df, report


def parquet_frame(data: bytes, name: str, limits: Limits) -> tuple[pd.DataFrame, list[str]]:
    """Parquet bytes -> (df, report). The row and column counts are read from the file's footer and checked
    before any column is decoded; nested and binary columns are left out (they are not table values)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
        rows, schema = pf.metadata.num_rows, pf.schema_arrow
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"'{name}' is not a readable Parquet file ({first_line(exc)}). Export it again, or "
                        "upload it as a CSV.") from None
    if len(schema) > limits.max_columns:
        raise DataError(f"'{name}' has {len(schema):,} columns; the limit is {limits.max_columns:,}. "
                        "Keep the columns you need and upload again.")
    if rows > limits.max_rows:
        raise DataError(f"'{name}' has more than {limits.max_rows:,} rows, the limit. Upload a sample of the rows.")
    if rows * len(schema) > limits.max_cells:
        raise DataError(f"'{name}' has {rows * len(schema):,} cells; the limit is {limits.max_cells:,}. "
                        "Use fewer rows or columns.")
    kept = [f.name for f in schema if not unreadable_type(f.type)]
    left_out = [f.name for f in schema if unreadable_type(f.type)]
    try:
        df = pf.read(columns=kept).to_pandas()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"'{name}' is not a readable Parquet file ({first_line(exc)}). Export it again, or "
                        "upload it as a CSV.") from None
    for col in df.columns:  # time zones are kept as UTC instants; categorical columns as their values
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype(object).where(df[col].notna(), None)
    report = [f"Read {len(df):,} rows x {len(schema)} columns (Parquet)."]
    if left_out:
        report.append(f"Left out {len(left_out)} column(s) of lists, structures or raw bytes: "
                      f"{', '.join(left_out[:10])}{' ...' if len(left_out) > 10 else ''}.")
    return df, report


def unreadable_type(t) -> bool:
    """Parquet column types that are not one value per cell (lists, structs, maps) or not text (raw bytes)."""
    import pyarrow as pa

    return pa.types.is_nested(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t) or \
        pa.types.is_fixed_size_binary(t)


def first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def parse(data: bytes, encoding: str, delimiter: str, nrows: int, **number_format) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding=encoding, sep=delimiter, nrows=nrows, skipinitialspace=True,
                       on_bad_lines="error", engine="c", low_memory=False, **number_format)


def csv_lines(text: str) -> io.StringIO:
    """The text as the csv module should read it: lines end at \\n, \\r\\n or a lone \\r (old Mac exports),
    as they do for pandas' parser."""
    return io.StringIO(text, newline="")


def text_stream(data: bytes, encoding: str) -> io.TextIOWrapper:
    """The bytes as a text stream read line by line (lines end as in csv_lines), without decoding them all."""
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="replace", newline="")


def check_fields(lines, delimiter: str, expected: int, name: str, max_lines: int) -> None:
    """Every row of `lines` (a text stream) has as many fields as the header: one too many and one too few are
    refused alike (a parser would reject the first and silently pad the second with missing values)."""
    reader = csv.reader(lines, delimiter=delimiter)
    next(reader, None)
    for _ in range(max_lines):
        start = reader.line_num + 1  # a quoted value may run over several lines: name the row's first
        row = next(reader, None)
        if row is None:
            return
        if row and len(row) != expected:
            runs = (f" (this row runs on to line {reader.line_num}: is a quote (\") never closed?)"
                    if reader.line_num > start else "")
            raise DataError(f"'{name}' is not a well-formed CSV: line {start} has {len(row)} field(s) where the "
                            f"header has {expected}{runs}. Every row needs the same number of fields as the "
                            f"header, separated by '{printable(delimiter)}'.")


# European exports: ';' between fields and ',' in numbers ("1,5"; "1.234,5" with thousands dots).
DECIMAL_COMMA = r"[-+]?(\d+|\d{1,3}(\.\d{3})+),\d+"
WHOLE = r"[-+]?(\d+|\d{1,3}(\.\d{3})+)"
THOUSANDS_DOT = r"\d\.\d{3}(?:,|$)"


def decimal_comma(df: pd.DataFrame, delimiter: str) -> dict:
    """The read_csv number format when the text columns hold decimal-comma numbers, else {}. Only when
    fields are not separated by commas (then a comma inside a number is unambiguous)."""
    if delimiter == ",":
        return {}
    text_columns = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    found = False
    for col in text_columns:
        values = df[col].dropna().astype(str).str.strip()
        if values.empty:
            continue
        commas = values.str.fullmatch(DECIMAL_COMMA)
        if commas.any() and (commas | values.str.fullmatch(WHOLE)).mean() >= PARSE_SHARE:
            found = True
    if not found:
        return {}
    thousands = any(df[c].dropna().astype(str).str.contains(THOUSANDS_DOT, regex=True).any() for c in text_columns)
    return {"decimal": ",", **({"thousands": "."} if thousands else {})}


def printable(delimiter: str) -> str:
    return {"\t": "tab"}.get(delimiter, delimiter)


def classify_column(series: pd.Series, limits: Limits) -> tuple[str, str]:
    """-> (role, reason). role: 'number' | 'bool' | 'datetime' | 'category' | 'metadata' | 'drop'."""
    role, reason = value_role(series, limits)
    missing = float(series.isna().mean())
    if role in ("number", "bool", "datetime") and missing >= MOSTLY_MISSING:
        return "drop", (f"{missing:.1%} of its values are missing (from {MOSTLY_MISSING:.0%} a column is left out: "
                        "the model would learn the value they are filled with)")
    if role == "bool" and missing and not pd.api.types.is_numeric_dtype(series):
        # Yes/no written as words, with gaps: filled with the more common answer, MplsStops' citationIssued
        # (63% empty) read as 63% "NO". Its answers and '(missing)' are categories, as text columns' are.
        return "category", ""
    return role, reason


def value_role(series: pd.Series, limits: Limits) -> tuple[str, str]:
    """What a column's values make it, missing values aside (classify_column)."""
    present = series.dropna()
    if present.empty:
        return "drop", "every value is missing"
    if pd.api.types.is_bool_dtype(series):
        return "bool", ""
    if pd.api.types.is_numeric_dtype(series):
        if is_row_number(present, blank_header=is_row_names(series.name)):
            return "metadata", f"a row number (counting up by 1 from {present.iloc[0]:,}): kept, not a feature"
        if is_id(series.name, present):
            return "metadata", ID_REASON
        if len(present) >= MIN_ROWS_FOR_IDS and set(np.unique(present.to_numpy())) == {0, 1}:
            return "bool", "its values are 0 and 1"
        return "number", ""
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime", ""
    text = present.astype(str).str.strip()
    if set(text.str.lower().unique()) <= BOOL_WORDS:
        return "bool", ""
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().mean() >= PARSE_SHARE:
        # Seattle's zip_code: 98117 beside a few ZIP+4 codes (98126-2920) is still codes, not amounts.
        if is_id(series.name, numbers.dropna()):
            return "metadata", ID_REASON
        return "number", "text that holds numbers"
    if looks_like_dates(text):
        return "datetime", "dates converted to seconds since 1970"
    distinct = text.nunique()
    if distinct == len(series) >= MIN_ROWS_FOR_IDS:
        return "metadata", "every value is different (names or ids): kept for hover and search, not a feature"
    if distinct <= limits.max_categories or lumped(text, limits.max_categories):
        return "category", ""
    return "metadata", (f"{distinct:,} distinct text values (more than {limits.max_categories}): kept for hover "
                        "and colour, not used as a feature")


def lumped(text: pd.Series, max_categories: int) -> bool:
    """Too many values to one-hot encode them all, but a few common ones: its max_categories - 1 most common
    values each in OTHER_MIN_ROWS rows or more, and in at least OTHER_MIN_SHARE of the rows together (a
    dog's breed, a city's neighbourhood), not names that each name a row or two."""
    counts = text.value_counts()
    kept = counts.iloc[: max_categories - 1]
    return bool(len(kept) and kept.iloc[-1] >= OTHER_MIN_ROWS and kept.sum() >= OTHER_MIN_SHARE * len(text))


def is_row_number(values: pd.Series, blank_header: bool = False) -> bool:
    """0, 1, 2, ... or 1, 2, 3, ... in order, perhaps with a few gaps (ROW_NUMBER_STEP_SHARE): an exported
    index, not a measurement (a run of years such as 1990, 1991, ... starts elsewhere and stays a feature).
    Under a blank header (BLANK_HEADER) the count may start anywhere."""
    if len(values) < MIN_ROWS_FOR_IDS or not pd.api.types.is_integer_dtype(values):
        return False
    v = values.to_numpy()
    steps = np.diff(v)
    return bool((blank_header or v[0] in (0, 1)) and (steps >= 1).all()
                and (steps == 1).mean() >= ROW_NUMBER_STEP_SHARE)


def is_id(name, values: pd.Series) -> bool:
    """Whole numbers under a name with a word of ID_WORDS."""
    words = {w.lower() for w in NAME_WORDS.findall(str(name))}
    if not words & ID_WORDS:
        return False
    return bool(pd.api.types.is_integer_dtype(values)
                or (pd.api.types.is_float_dtype(values) and (values == np.round(values)).all()))


def looks_like_dates(text: pd.Series) -> bool:
    """Most values parse as dates and carry a 4-digit year or a time: '3/4' (a genotype, a score) does not."""
    head = text.head(200)
    if not head.str.contains(r"\d", regex=True).all() or not head.str.contains(r"[-/:]", regex=True).all():
        return False
    if head.str.contains(r"\d{4}|\d:\d\d", regex=True).mean() < PARSE_SHARE:
        return False
    parsed = pd.to_datetime(head, errors="coerce", utc=True, format="mixed")
    return parsed.notna().mean() >= PARSE_SHARE


@dataclass(frozen=True)
class ColumnPlan:
    """What one column becomes, and why: what the app shows before training and the report after."""
    name: str
    role: str   # number | bool | datetime | category | metadata | drop | label
    note: str   # "" or why, in words for a person

    @property
    def used(self) -> bool:
        return self.role in FEATURE_ROLES

    def line(self) -> str:
        """The report line ("" when there is nothing to say)."""
        if self.role == "drop":
            return f"Dropped '{self.name}': {self.note}."
        return f"'{self.name}': {self.note}." if self.note else ""


FEATURE_ROLES = ("number", "bool", "datetime", "category")


def plan_lines(plans: list[ColumnPlan]) -> list[str]:
    """The report's lines on the columns, one per note: columns that share one are named together (ten
    0/1 flags made ten lines of "its values are 0 and 1")."""
    groups: dict[tuple[bool, str], list[ColumnPlan]] = {}
    for p in plans:
        if p.line():
            groups.setdefault((p.role == "drop", p.note), []).append(p)
    lines = []
    for (dropped, note), same in groups.items():
        if len(same) == 1:
            lines.append(same[0].line())
            continue
        names = ", ".join(f"'{p.name}'" for p in same)
        lines.append(f"Dropped {names}: {note}." if dropped else f"{names}: {note}.")
    return lines


def plan_category(name: str, series: pd.Series, max_categories: int) -> tuple[ColumnPlan, CategoricalColumn | None]:
    values = pd.Series(category_values(series))
    present = values[values != MISSING]
    cats = sorted(set(values))
    if len(cats) < 2:
        return ColumnPlan(name, "drop", f"it has a single value ('{cats[0]}')"), None
    missing = int(series.isna().sum())
    note = f"{len(cats)} categories, one-hot encoded"
    if present.nunique() > max_categories:  # lumped: the most common values, the rest as OTHER
        counts = present.value_counts()
        kept = list(counts.index[: max_categories - 1])
        cats = sorted(kept + [OTHER] + ([MISSING] if missing else []))
        rest = counts.iloc[max_categories - 1 :]
        note = (f"{len(counts):,} values: the {len(kept)} most common one-hot encoded, the other {len(rest):,} "
                f"({int(rest.sum()):,} rows) as the category '{OTHER}'")
    if missing:
        note += f"; {missing:,} missing value(s) kept as the category '{MISSING}'"
    return ColumnPlan(name, "category", note), CategoricalColumn(name, cats)


def missing_code(values: np.ndarray) -> tuple[float, str] | None:
    """(code, why) when one of MISSING_CODES stands for "missing" in these values (see MISSING_CODES); the
    most frequent such code when several do."""
    found = []
    for code in MISSING_CODES:
        hits = values == code
        count = int(hits.sum())
        if not count:
            continue
        others = values[~hits & np.isfinite(values)]
        if len(others) < MIN_ROWS_FOR_IDS:
            continue
        if code < 0 and others.min() >= 0:
            found.append((count, code, "every other value is 0 or more"))
        elif code > 0 and count >= 2 and code >= MISSING_CODE_GAP * np.abs(others).max():
            found.append((count, code, f"every other value is at most {np.abs(others).max():g}"))
    if not found:
        return None
    _, code, why = max(found)
    return code, why


def plan_numeric(name: str, series: pd.Series, role: str, reason: str) -> tuple[ColumnPlan, NumericColumn | None]:
    values = numeric_values(series, role)
    code, why = (missing_code(values) if role == "number" else None) or (None, "")
    coded = int((values == code).sum()) if code is not None else 0
    if coded:
        values[values == code] = np.nan
        if (coded + int(series.isna().sum())) / len(values) >= MOSTLY_MISSING:
            return ColumnPlan(name, "drop", f"{coded:,} of its values are {code:g}, a code for missing ({why}), and "
                                            f"with its empty cells that is {MOSTLY_MISSING:.0%} or more"), None
    infinite = int(np.isinf(values).sum())
    absent = int(series.isna().sum())
    unparsable = int(np.isnan(values).sum()) - absent - coded
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return ColumnPlan(name, "drop", "no value could be read as a number"), None
    fill = float(np.median(finite))
    values[~np.isfinite(values)] = fill
    with np.errstate(over="ignore", invalid="ignore"):  # squares of values beyond ~1e154 overflow float64
        mean, std = float(values.mean()), float(values.std())
    if std == 0.0 or (values == values[0]).all():  # compared too: 0.1 thirty times has a std of 3e-17
        return ColumnPlan(name, "drop", f"every value is the same ({fill:g})"), None
    if not (np.isfinite(mean) and np.isfinite(std)):
        return ColumnPlan(name, "drop", f"its values are too large to standardise (up to {np.abs(finite).max():g}); "
                                        "rescale the column (e.g. to thousands) to use it"), None
    notes = [reason] if reason else []
    if absent:
        notes.append(f"{absent:,} missing value(s) set to {fill:g}, the more common value" if role == "bool"
                     and fill in (0.0, 1.0) else f"{absent:,} missing value(s) set to the median {fill:g}")
    if coded:
        notes.append(f"{coded:,} value(s) of {code:g}, a code for missing ({why}), set to the median {fill:g}")
    if unparsable > 0:
        notes.append(f"{unparsable:,} value(s) that are not numbers set to the median {fill:g}")
    if infinite:
        notes.append(f"{infinite:,} infinite value(s) set to the median {fill:g}")
    days = role == "datetime" and bool((finite % DAY_SECONDS == 0).all())
    return ColumnPlan(name, role, "; ".join(notes)), NumericColumn(name, mean, std, fill, role, code, days,
                                                                   float(finite.min()), float(finite.max()))


def fit_table(df: pd.DataFrame, features: list[str], limits: Limits) -> tuple[TablePreprocessor, list[ColumnPlan]]:
    """Decide what each feature column becomes: the fitted preprocessing and one plan per column."""
    numeric, categorical, plans = [], [], []
    for name in features:
        series = df[name]
        role, reason = classify_column(series, limits)
        if role in ("drop", "metadata"):
            plans.append(ColumnPlan(name, role, reason))
            continue
        if role == "category":
            plan, column = plan_category(name, series, limits.max_categories)
            categorical += [column] if column else []
        else:
            plan, column = plan_numeric(name, series, role, reason)
            numeric += [column] if column else []
        plans.append(plan)
    return TablePreprocessor(numeric, categorical), plans


def plan_table(df: pd.DataFrame, label: str | None, features: list[str],
               limits: Limits = DEFAULT_LIMITS) -> list[ColumnPlan]:
    """What every column of df would become with this label and these features (for the column chooser)."""
    _, plans = fit_table(df, [c for c in features if c != label and c in df.columns], limits)
    by_name = {p.name: p for p in plans}
    out = []
    for name in df.columns:
        if name == label:
            out.append(ColumnPlan(name, "label", "colour, hover and AUROC; never a feature"))
        elif name in by_name:
            out.append(by_name[name])
        else:  # not chosen: the reason its values give when they are no feature (a row number, names)
            role, reason = classify_column(df[name], limits)
            why = reason if role not in FEATURE_ROLES and reason else "not chosen as a feature"
            out.append(ColumnPlan(name, "drop" if role == "drop" else "metadata", why))
    return out


def feature_columns(df: pd.DataFrame, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """The columns whose values make them features (numbers, yes/no, dates, categories)."""
    return [c for c in df.columns if classify_column(df[c], limits)[0] in FEATURE_ROLES]


def guess_label(df: pd.DataFrame, limits: Limits = DEFAULT_LIMITS, features: list[str] | None = None) -> str | None:
    """The column most likely to be a class label, or None: a column named like one (label, class,
    species...) if it is categorical; else the categorical text column with the fewest categories
    (ties go to the later column: targets are often last). A measurement such as diamonds' numeric
    'y' is never chosen: numbers count as categories only when they are whole and few. `features`:
    feature_columns(df), when already known."""
    features = feature_columns(df, limits) if features is None else features
    # A label is never a feature: a column is a candidate only if another feature remains without it; and it
    # names most rows (movies' mpaa, missing in 92% of rows, coloured the map grey).
    candidates = [c for c in df.columns if is_categorical(df[c], limits) and set(features) - {c}
                  and df[c].isna().mean() <= LABEL_MAX_MISSING]
    named = [c for c in candidates if str(c).strip().lower() in LABEL_NAMES]
    if named:  # in LABEL_NAMES' order: 'income' before 'sex' in a census table
        return min(named, key=lambda c: LABEL_NAMES.index(str(c).strip().lower()))
    text = [c for c in candidates if not pd.api.types.is_numeric_dtype(df[c])]
    if not text:
        return None
    return min(reversed(text), key=lambda c: df[c].nunique())


def is_categorical(series: pd.Series, limits: Limits) -> bool:
    distinct = series.nunique()
    if not 2 <= distinct <= limits.max_categories:
        return False
    if pd.api.types.is_bool_dtype(series):
        return True
    if pd.api.types.is_numeric_dtype(series):
        values = series.dropna().to_numpy(dtype=np.float64)
        return bool(np.all(values == np.round(values)))
    return classify_column(series, limits)[0] in ("category", "bool")


def load_table(source, label: str | None = None, features: list[str] | None = None, name: str | None = None,
               limits: Limits = DEFAULT_LIMITS) -> Dataset:
    """Load a CSV or Parquet file (path, bytes or file-like) into a Dataset.

    label: a column kept as the label (for colour and AUROC), never a feature.
    features: the columns to encode (default: all but the label)."""
    df, src_name, report = read_table(source, limits)
    return table_dataset(df, label=label, features=features, name=name or src_name, limits=limits, report=report)


def table_dataset(df: pd.DataFrame, label: str | None = None, features: list[str] | None = None,
                  name: str = "table", limits: Limits = DEFAULT_LIMITS, report: list[str] | None = None) -> Dataset:
    """Build a Dataset from a DataFrame already in memory (the UI re-chooses columns without re-reading)."""
    report = list(report or [])
    columns = list(df.columns)
    if label is not None and label not in columns:
        raise DataError(f"There is no column '{label}'. The columns are: {', '.join(map(str, columns))}.")
    if features is None:
        features = [c for c in columns if c != label]
    unknown = [c for c in features if c not in columns]
    if unknown:
        raise DataError(f"Unknown column(s) {', '.join(map(str, unknown))}. "
                        f"The columns are: {', '.join(map(str, columns))}.")
    features = [c for c in features if c != label]
    if not features:
        raise DataError("No feature columns are selected. Choose at least one column to learn from.")
    pre, plans = fit_table(df, features, limits)
    report += plan_lines(plans)
    if pre.n_features == 0:
        reasons = "; ".join(f"'{p.name}': {p.note}" for p in plans)
        raise DataError(f"None of the chosen columns can be used as a feature ({reasons}). The data needs at least "
                        "one column of numbers, dates or categories that varies.")
    if pre.n_features < MIN_FEATURES:
        raise DataError(f"The chosen columns give {pre.n_features} feature ('{pre.feature_names[0]}'). An autoencoder "
                        f"compresses several features into fewer: choose at least {MIN_FEATURES} feature columns.")
    X = pre.transform(df)
    report.append(f"{pre.n_features} feature(s) from {len(pre.columns)} column(s).")
    unchosen = [c for c in columns if c != label and c not in features]
    if unchosen:  # left out in the column chooser (its default leaves out row numbers, names and ids)
        report.append(f"Not features (kept for hover, search and colour): {', '.join(map(repr, map(str, unchosen)))}.")
    meta = df.reset_index(drop=True)
    return Dataset(X, meta, pre, name=name, label=label, report=report)
