"""A corpus of bad and awkward real-world inputs, generated here (nothing binary is committed), for
tests/test_corpus.py, which feeds each one to the engine API, the CLI and the app.

Every case either must load (expect=None; `check` then looks at the Dataset it gives) or must end in
one clear message from the project (`DataError` for CSVs and images, `BundleError` for bundles) that
contains `expect`. Builders are cheap except the ZIP of 100,001 files, which is built once per test
session (`functools.cache`) with a hand-written stored-ZIP writer (~10x faster than `zipfile` for
tiny members)."""
from __future__ import annotations

import functools
import io
import json
import pickle
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from PIL import Image

from aecore import Autoencoder, Dataset, Limits, table_dataset
from aecore.limits import DEFAULT_LIMITS


@dataclass(frozen=True)
class Case:
    name: str
    kind: str                          # "csv" | "images" | "bundle"
    filename: str                      # what the upload or the file on disk is called
    make: Callable[[], bytes]
    expect: str | None                 # a fragment of the one message; None: the input must load
    check: Callable[[Dataset], None] | None = None  # for inputs that load: what must be true of the data
    # Limits shrunk for a refusal too costly to reach at the real ones: such a case runs through the API only.
    limits: Limits | None = None

    def __str__(self) -> str:
        return self.name


# -- byte builders ---------------------------------------------------------------------------------
def csv_bytes(header: list[str], rows, sep: str = ",", newline: str = "\n", encoding: str = "utf-8") -> bytes:
    lines = [sep.join(header)] + [sep.join(str(v) for v in row) for row in rows]
    return (newline.join(lines) + newline).encode(encoding)


def image_bytes(arr, fmt: str = "PNG", mode: str | None = None, **save) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.asarray(arr), mode).save(buf, fmt, **save)
    return buf.getvalue()


def gradient(size: int = 8, step: int = 4) -> np.ndarray:
    return (np.add.outer(np.arange(size), np.arange(size)) * step).astype(np.uint8)


def zip_bytes(members, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


def stored_zip(members) -> bytes:
    """A ZIP without compression written directly: local headers, central directory, and the ZIP64 end
    records that more than 65,535 members need. For 100,001 tiny members ~0.3 s, where zipfile takes ~3 s."""
    local, central, offset, count = [], [], 0, 0
    for name, data in members:
        raw, crc = name.encode(), zlib.crc32(data)
        head = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, crc, len(data), len(data), len(raw), 0)
        local += [head, raw, data]
        central += [struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0x21, crc, len(data), len(data),
                                len(raw), 0, 0, 0, 0, 0, offset), raw]
        offset += len(head) + len(raw) + len(data)
        count += 1
    directory = b"".join(central)
    end = b""
    if count > 0xFFFF:  # ZIP64: the counts live in a ZIP64 end record, found through its locator
        end = (struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, len(directory), offset)
               + struct.pack("<IIQI", 0x07064B50, 0, offset + len(directory), 1))
    short = min(count, 0xFFFF)
    end += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, short, short, len(directory), offset, 0)
    return b"".join(local) + directory + end


def png_claiming(width: int, height: int) -> bytes:
    """A ~70-byte PNG whose header declares width x height pixels: it would inflate to gigabytes."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


# -- CSVs ------------------------------------------------------------------------------------------
def measurements(n: int, seed: int = 0) -> list[list[str]]:
    """n rows of three correlated measurements, formatted as a spreadsheet would."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, 2))
    values = np.column_stack([base, base @ [0.6, 0.8]]) * [2.0, 10.0, 5.0] + [20.0, 70.0, 40.0]
    return [[f"{v:.2f}" for v in row] for row in values]


def latin1_csv() -> bytes:
    """A European spreadsheet export: Latin-1 accents in a category column (not valid UTF-8)."""
    cities = ["Montréal", "Zürich", "São Paulo", "Besançon"]
    rows = [[cities[i % 4], *m] for i, m in enumerate(measurements(40))]
    return csv_bytes(["ville", "température", "humidité", "pression"], rows, encoding="latin-1")


def check_latin1(ds: Dataset) -> None:
    assert "latin-1" in ds.report[0]
    assert set(ds.meta["ville"]) == {"Montréal", "Zürich", "São Paulo", "Besançon"}
    assert "ville" in ds.preprocessor.columns and "température" in ds.preprocessor.columns
    assert ds.X.shape == (40, 3 + 4)


def bom_csv() -> bytes:
    """Excel's 'CSV UTF-8': a byte-order mark before the first header."""
    return b"\xef\xbb\xbf" + csv_bytes(["height", "width", "depth"], measurements(30))


def check_bom(ds: Dataset) -> None:
    assert list(ds.meta.columns) == ["height", "width", "depth"], "the BOM must not stick to the first name"
    assert "utf-8" in ds.report[0] and ds.preprocessor.columns == ["height", "width", "depth"]


def decimal_comma_csv() -> bytes:
    """A German/French export: ';' between fields, ',' in numbers, '.' for thousands."""
    rows = [[f"{1.5 + i % 5:.1f}".replace(".", ","), f"{1234.5 + 10 * i:,.1f}".replace(",", " ").replace(
        ".", ",").replace(" ", "."), ["rot", "grün"][i % 2]] for i in range(30)]
    return csv_bytes(["gewicht", "preis", "farbe"], rows, sep=";")


def check_decimal_comma(ds: Dataset) -> None:
    assert "decimal commas" in ds.report[0]
    numeric = {c.name for c in ds.preprocessor.numeric}
    assert numeric == {"gewicht", "preis"}, "'1,5' is a number, not a category"
    decoded = ds.decode_rows(ds.X)
    assert np.allclose(decoded["gewicht"][:2], [1.5, 2.5], atol=1e-4)
    assert np.allclose(decoded["preis"][:2], [1234.5, 1244.5], atol=1e-2)


def duplicate_rows_csv() -> bytes:
    """The same three rows a thousand times each (a join gone wrong, a sensor stuck)."""
    rows = [["1.5", "2", "a"], ["3.0", "7", "b"], ["4.5", "1", "a"]] * 1000
    return csv_bytes(["x", "y", "kind"], rows)


def trains(ds: Dataset) -> None:
    """A tiny model learns from it: finite losses, a code per row."""
    model = Autoencoder(latent_dim=2, epochs=2, hidden=[16], batch_size=64, lr=1e-2, seed=0).fit(ds)
    assert np.isfinite(model.history_[-1]["train_loss"])
    assert model.transform(ds).shape == (ds.n, 2)


def check_duplicates(ds: Dataset) -> None:
    assert ds.n == 3000 and len(np.unique(ds.X, axis=0)) == 3
    trains(ds)


def mac_csv() -> bytes:
    """Excel for Mac's 'CSV (Macintosh)': lines end in a lone carriage return."""
    return csv_bytes(["a", "b", "c"], measurements(40), newline="\r")


def check_mac(ds: Dataset) -> None:
    assert ds.n == 40 and ds.X.shape == (40, 3)


def infinities_csv() -> bytes:
    rows = measurements(30)
    rows[3][0], rows[7][0], rows[9][2] = "inf", "-inf", "-Infinity"
    return csv_bytes(["a", "b", "c"], rows)


def check_infinities(ds: Dataset) -> None:
    assert np.isfinite(ds.X).all()
    assert any("'a': 2 infinite value(s) set to the median" in line for line in ds.report), ds.report
    assert any("'c': 1 infinite value(s) set to the median" in line for line in ds.report), ds.report


def huge_numbers_csv() -> bytes:
    """A column near the float limit: its variance overflows float64."""
    rows = [[f"{(-1) ** i * 1e200 * (1 + i % 3):.3e}", *m] for i, m in enumerate(measurements(30))]
    return csv_bytes(["flux", "b", "c", "d"], rows)


def check_huge_numbers(ds: Dataset) -> None:
    assert "flux" not in ds.preprocessor.columns and np.isfinite(ds.X).all()
    assert any("Dropped 'flux': its values are too large to standardise" in line for line in ds.report), ds.report


def ids_csv(with_numbers: bool) -> bytes:
    header = ["name", "customer_id"] + (["spend", "visits"] if with_numbers else [])
    rows = [[f"Customer {i}", f"C-{i:06d}"] + ([f"{10 + 3.7 * i % 50:.2f}", str(i * 7 % 13)] if with_numbers else [])
            for i in range(50)]
    return csv_bytes(header, rows)


def check_ids_not_features(ds: Dataset) -> None:
    assert ds.preprocessor.columns == ["spend", "visits"], "names and ids are metadata, never one-hot features"
    assert ds.X.shape == (50, 2)
    assert list(ds.meta["customer_id"][:2]) == ["C-000000", "C-000001"]


def ragged_csv(fields: int) -> bytes:
    row = ["4", "5", "6", "7"][:fields]
    return b"a,b,c\n1,2,3\n" + ",".join(row).encode() + b"\n7,8,9\n"


def wide_csv(columns: int = 10_000) -> bytes:
    header = ",".join(f"c{i}" for i in range(columns))
    row = ",".join(str(i % 10) for i in range(columns))
    return f"{header}\n{row}\n{row}\n".encode()


def over_row_limit_csv(rows: int = DEFAULT_LIMITS.max_rows + 1) -> bytes:
    """One row over the limit (two million) in ~50 ms. Its last line is ragged: a loader that parsed the whole
    file would complain about that line instead of the row limit, so the message proves it stopped early."""
    return b"x,y,z\n" + b"1.5,2,3\n" * rows + b"1,2\n"


def unclosed_quote_csv(column: int) -> bytes:
    """A quote opened in data row 2 and never closed: the rest of the file reads as one value (in the last
    column the row keeps its field count, so only the parser notices; in the first it has one field)."""
    rows = measurements(50)
    rows[1][column] = '"' + rows[1][column]
    return csv_bytes(["a", "b", "c"], rows)


def long_value_csv() -> bytes:
    """One cell of 200,000 characters (a pasted document), past the csv module's field limit."""
    rows = measurements(20)
    rows[5][2] = "x" * 200_000
    return csv_bytes(["a", "b", "notes"], rows)


def xlsx_bytes() -> bytes:
    """An Excel workbook renamed to .csv: a ZIP of XML parts."""
    return zip_bytes([("[Content_Types].xml", b"<?xml version='1.0'?><Types/>"),
                      ("xl/worksheets/sheet1.xml", b"<worksheet><sheetData/></worksheet>")])


# -- images ----------------------------------------------------------------------------------------
def mixed_modes_zip() -> bytes:
    """16-bit grayscale, palette and RGBA PNGs in one ZIP, two of each (one set in two folders)."""
    deep = (np.arange(64).reshape(8, 8) * 1000).astype(np.uint16)  # up to 63,000 of 65,535
    palette = Image.fromarray(gradient()).convert("P")
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 255, 128  # half-transparent red
    members = []
    for folder in ("a", "b"):
        members += [(f"{folder}/deep.png", image_bytes(deep)),
                    (f"{folder}/palette.png", encoded(palette, "PNG")),
                    (f"{folder}/rgba.png", image_bytes(rgba, mode="RGBA"))]
    return zip_bytes(members)


def encoded(im: Image.Image, fmt: str, **save) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **save)
    return buf.getvalue()


def check_mixed_modes(ds: Dataset) -> None:
    assert ds.X.shape == (6, 3, 8, 8), "one colour image makes the set RGB"
    assert ds.X.min() >= 0.0 and ds.X.max() <= 1.0
    modes = dict(zip(ds.meta["file"], ds.X, strict=True))
    assert np.isclose(modes["a/deep.png"].max(), 63_000 / 65_535, atol=0.01), "16-bit scaled by 65,535"
    assert np.allclose(modes["a/palette.png"][0], gradient() / 255, atol=0.02), "a palette image keeps its values"
    assert np.allclose(modes["a/rgba.png"][:, 0, 0], [1.0, 0.5, 0.5], atol=0.01), "RGBA composited on white"
    assert ds.labels.tolist() == ["a"] * 3 + ["b"] * 3


def animated_gifs_zip() -> bytes:
    """Two animated GIFs: first frames black and mid-grey, later frames white."""
    members = []
    for name, first in (("black.gif", 0), ("grey.gif", 128)):
        frames = [Image.new("L", (8, 8), first), Image.new("L", (8, 8), 255), Image.new("L", (8, 8), 255)]
        members.append((name, encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)))
    return zip_bytes(members)


def check_first_frames(ds: Dataset) -> None:
    assert ds.X.shape == (2, 1, 8, 8)
    assert np.allclose(ds.X[0], 0.0) and np.allclose(ds.X[1], 128 / 255, atol=0.01), "the first frame, not the last"


def truncated_jpeg() -> bytes:
    noisy = np.random.default_rng(0).integers(0, 256, (32, 32), dtype=np.uint8)
    data = image_bytes(noisy, "JPEG", quality=90)
    return data[: len(data) // 2]


def html_named_png() -> bytes:
    """What a browser saves when an image link answers with an error page."""
    return b"<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head><body>Access denied</body></html>\n"


def zip_bomb() -> bytes:
    return zip_bytes([("ok.png", image_bytes(gradient())), ("huge.png", bytes(5_000_000))])  # ~1000x


def member_zip(name: str) -> Callable[[], bytes]:
    return lambda: zip_bytes([("fine.png", image_bytes(gradient())), (name, image_bytes(gradient()))])


def zip_in_zip() -> bytes:
    inner = zip_bytes([("a.png", image_bytes(gradient()))])
    return zip_bytes([("fine.png", image_bytes(gradient())), ("more/inner.zip", inner)])


# 100,000 real tiny PNGs load within the limits (a million images per set), but take ~20 s to decode on a
# 2-core machine: the corpus tests the refusal path instead, 100,001 tiny PNGs (73 bytes each, ZIP_STORED,
# 17 MB) against a limit shrunk to 100,000 (an API case: a ZIP over the real limit would be 170 MB), refused
# after only the ZIP's directory is read (~4 s). Built once per test session.
MANY_FILES = 100_001


@functools.cache
def many_files_zip() -> bytes:
    tiny = image_bytes(np.full((4, 4), 100, np.uint8))
    return stored_zip((f"many/{i:06d}.png", tiny) for i in range(MANY_FILES))


def truncated_zip() -> bytes:
    """An interrupted download: the first 60% of a ZIP of images."""
    data = zip_bytes([(f"{i}.png", image_bytes(gradient() + i)) for i in range(10)], zipfile.ZIP_STORED)
    return data[: len(data) * 6 // 10]


# -- bundles ---------------------------------------------------------------------------------------
BUNDLE_ROWS = 60


@functools.cache
def valid_bundle() -> bytes:
    """A small table model with its data, codes and map: what the app's Download model writes."""
    from aecore.bundle import save_bundle
    from aecore.projection import project

    rows = measurements(BUNDLE_ROWS)
    df = pd.DataFrame(rows, columns=["a", "b", "c"]).astype(float)
    df["kind"] = ["x", "y", "z"] * (BUNDLE_ROWS // 3)
    ds = table_dataset(df, label="kind", name="small.csv")
    model = Autoencoder(latent_dim=2, epochs=2, hidden=[16], batch_size=32, seed=0).fit(ds)
    codes = model.transform(ds)
    return save_bundle(None, model, ds, codes=codes, xy=project(codes, "pca"), errors=model.reconstruction_error(ds))


def check_valid_bundle(ds: Dataset) -> None:
    assert ds.n == BUNDLE_ROWS and ds.kind == "table" and ds.label == "kind"


def member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(name)


def rewrite(data: bytes, replace: dict | None = None, add: dict | None = None) -> bytes:
    """A copy of a bundle with members replaced or added."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        for name, content in add.items():
            dst.writestr(name, content)
    return out.getvalue()


def tampered(name: str, change: Callable[[bytes], bytes]) -> Callable[[], bytes]:
    """A builder for the valid bundle with one member changed."""
    return lambda: rewrite(valid_bundle(), {name: change(member(valid_bundle(), name))})


def weights() -> dict:
    from safetensors.torch import load

    return load(member(valid_bundle(), "weights.safetensors"))


def wrong_shape_weights(_: bytes) -> bytes:
    from safetensors.torch import save

    state = weights()
    first = next(k for k, v in state.items() if v.ndim == 2)
    return save({**state, first: state[first].T.contiguous()})


def pickled_weights(_: bytes) -> bytes:
    """The weights as a pickle (what torch.save and many checkpoints are): never to be unpickled."""
    return pickle.dumps({k: v.numpy() for k, v in weights().items()})


def with_json(change: Callable[[dict], dict]) -> Callable[[bytes], bytes]:
    return lambda raw: json.dumps(change(json.loads(raw))).encode()


def split_outside(spec: dict) -> dict:
    return {**spec, "split": {**spec["split"], "train": [*spec["split"]["train"], 1_000_000]}}


DEEP = 100_000


CASES: list[Case] = [
    # CSVs that must load
    Case("csv_latin1", "csv", "villes.csv", latin1_csv, None, check_latin1),
    Case("csv_utf8_bom", "csv", "excel_utf8.csv", bom_csv, None, check_bom),
    Case("csv_semicolon_decimal_comma", "csv", "preise.csv", decimal_comma_csv, None, check_decimal_comma),
    Case("csv_duplicate_rows", "csv", "stuck_sensor.csv", duplicate_rows_csv, None, check_duplicates),
    Case("csv_mac_line_endings", "csv", "mac_export.csv", mac_csv, None, check_mac),
    Case("csv_infinities", "csv", "infinite.csv", infinities_csv, None, check_infinities),
    Case("csv_huge_numbers", "csv", "astronomy.csv", huge_numbers_csv, None, check_huge_numbers),
    Case("csv_identifiers_beside_numbers", "csv", "customers.csv", lambda: ids_csv(True), None,
         check_ids_not_features),
    # CSVs that must be refused
    Case("csv_empty", "csv", "empty.csv", lambda: b"", "is empty"),
    Case("csv_header_only", "csv", "header.csv", lambda: b"a,b,c\n", "has 0 data row(s)"),
    Case("csv_one_column", "csv", "one.csv", lambda: csv_bytes(["a"], [[f"{i * 1.5 % 7}"] for i in range(30)]),
         "choose at least 2 feature columns"),
    Case("csv_identifiers_only", "csv", "people.csv", lambda: ids_csv(False),
         "None of the chosen columns can be used as a feature"),
    Case("csv_ragged_too_many_fields", "csv", "ragged_long.csv", lambda: ragged_csv(4),
         "line 3 has 4 field(s) where the header has 3"),
    Case("csv_ragged_too_few_fields", "csv", "ragged_short.csv", lambda: ragged_csv(2),
         "line 3 has 2 field(s) where the header has 3"),
    Case("csv_10000_columns", "csv", "wide.csv", wide_csv, "has 10,000 columns; the limit is 2,000"),
    Case("csv_over_row_limit", "csv", "million.csv", over_row_limit_csv, "rows, the limit. Upload a sample"),
    Case("csv_unclosed_quote", "csv", "quote.csv", lambda: unclosed_quote_csv(2),
         "a quote (\") in data row 2 is never closed"),
    Case("csv_unclosed_quote_swallows_fields", "csv", "quote_first.csv", lambda: unclosed_quote_csv(0),
         "line 3 has 1 field(s) where the header has 3 (this row runs on to line 51: is a quote (\") never closed?)"),
    Case("csv_value_over_field_limit", "csv", "notes.csv", long_value_csv, "a value is longer than 131,072 characters"),
    Case("csv_excel_workbook", "csv", "workbook.csv", xlsx_bytes, "looks binary"),
    # images that must load
    Case("images_16bit_palette_rgba_zip", "images", "modes.zip", mixed_modes_zip, None, check_mixed_modes),
    Case("images_animated_gifs", "images", "animations.zip", animated_gifs_zip, None, check_first_frames),
    # images that must be refused
    Case("image_over_pixel_limit", "images", "huge.png", lambda: png_claiming(50_000, 50_000),
         "over the limit of 16,777,216 pixels per image"),
    Case("image_truncated_jpeg", "images", "cut.jpg", truncated_jpeg, "cut.jpg: not a readable image (it is truncated"),
    Case("image_png_that_is_html", "images", "photo.png", html_named_png,
         "photo.png: not a readable image (not in a format this app reads"),
    Case("zip_bomb", "images", "bomb.zip", zip_bomb, "looks like a ZIP bomb: 'huge.png' inflates"),
    Case("zip_parent_member", "images", "escape.zip", member_zip("../../etc/cron.d/x.png"),
         "unsafe path ('../../etc/cron.d/x.png')"),
    Case("zip_absolute_member", "images", "absolute.zip", member_zip("/tmp/x.png"), "unsafe path ('/tmp/x.png')"),
    Case("zip_in_zip", "images", "outer.zip", zip_in_zip, "contains another archive ('more/inner.zip')"),
    Case("zip_100001_tiny_files", "images", "many.zip", many_files_zip,
         "100,001 images is over the limit of 100,000", limits=Limits(max_files=100_000)),
    Case("zip_truncated", "images", "partial.zip", truncated_zip, "is not a readable ZIP file"),
    # bundles
    Case("bundle_valid", "bundle", "small.aebundle", valid_bundle, None, check_valid_bundle),
    Case("bundle_malformed_json", "bundle", "malformed.aebundle", tampered("model.json", lambda raw: raw[:-7]),
         "model.json is not valid JSON"),
    Case("bundle_json_100000_deep", "bundle", "deep.aebundle",
         tampered("model.json", lambda _: b"[" * DEEP + b"]" * DEEP), "model.json is nested too deeply"),
    Case("bundle_manifest_100000_deep", "bundle", "deep_manifest.aebundle",
         tampered("manifest.json", lambda _: b'{"a":' * DEEP + b"1" + b"}" * DEEP),
         "manifest.json is nested too deeply"),
    Case("bundle_wrong_tensor_shape", "bundle", "shapes.aebundle", tampered("weights.safetensors", wrong_shape_weights),
         "weights do not fit the model it describes (tensor"),
    Case("bundle_pickle_member", "bundle", "pickle_inside.aebundle",
         lambda: rewrite(valid_bundle(), add={"model.pkl": pickle.dumps({"weights": [1, 2, 3]})}),
         "unexpected members (model.pkl)"),
    Case("bundle_pickled_weights", "bundle", "pickled.aebundle", tampered("weights.safetensors", pickled_weights),
         "weights do not fit the model it describes"),
    Case("bundle_format_version_2", "bundle", "future.aebundle",
         tampered("manifest.json", with_json(lambda m: {**m, "version": 2})),
         "it is format version 2; this app reads version 1"),
    Case("bundle_split_outside_data", "bundle", "split.aebundle", tampered("model.json", with_json(split_outside)),
         f"its train split names rows outside its {BUNDLE_ROWS} data rows"),
    Case("bundle_truncated", "bundle", "partial.aebundle", lambda: valid_bundle()[: len(valid_bundle()) // 2],
         "the file is not a ZIP archive"),
    Case("bundle_is_a_zip_of_images", "bundle", "photos.zip", mixed_modes_zip, "it has no manifest.json"),
]


def cases(kind: str | None = None, loads: bool | None = None) -> list[Case]:
    """The corpus, or the part of one kind, or only the inputs that must load (loads=True) or not."""
    return [c for c in CASES if (kind is None or c.kind == kind) and (loads is None or (c.expect is None) == loads)]
