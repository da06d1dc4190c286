"""dashboard.views.common: small images travel inside the reply as PNG data URIs (inline), larger ones are
left to Streamlit's media files; names from the data are shown as written (escape_markdown); small numbers
in tables keep their digits (number_column)."""
from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from aecore import table_dataset
from dashboard.render import to_pil
from dashboard.views.common import (
    INLINE_MAX_BYTES,
    SIGNIFICANT,
    escape_markdown,
    inline,
    number_column,
    row_title,
)


def decoded(uri: str) -> np.ndarray:
    head, data = uri.split(",", 1)
    assert head == "data:image/png;base64"
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))


def test_a_small_image_becomes_a_lossless_data_uri():
    image = to_pil(np.random.default_rng(0).random((1, 8, 8)).astype(np.float32))
    uri = inline(image)
    assert isinstance(uri, str)
    assert np.array_equal(decoded(uri), np.asarray(image))


def test_a_colour_image_keeps_its_colours():
    image = Image.fromarray(np.random.default_rng(1).integers(0, 256, (20, 30, 3), dtype=np.uint8), "RGB")
    assert np.array_equal(decoded(inline(image)), np.asarray(image))


def test_a_large_image_is_left_to_streamlits_media_files():
    noise = np.random.default_rng(2).integers(0, 256, (300, 300, 3), dtype=np.uint8)  # PNG cannot shrink noise
    image = Image.fromarray(noise, "RGB")
    assert noise.nbytes > INLINE_MAX_BYTES
    assert inline(image) is image


def test_names_from_the_data_are_not_markdown():
    assert escape_markdown("$1000 a Touchdown") == r"\$1000 a Touchdown"  # one $ more and it was LaTeX
    assert escape_markdown("*Batteries* [not] included_2.png") == r"\*Batteries\* \[not\] included\_2.png"
    assert escape_markdown("Row 12 · label (missing)") == "Row 12 · label (missing)"


@pytest.mark.parametrize("values,smallest", [
    ([1.234e-5, 3e-5], "1.234e-05"),      # errors of a near-perfect model: Streamlit's default read 0.0000
    ([0.01234, 0.5], "0.01234"),
    ([12.34, 150.0], "12.34"),
    ([0.0, 0.0], "0"),
    ([2.5e6, 3.0], "3.000e+00"),          # a wide range: scientific, every value to 4 digits
    ([np.nan, 0.5, 1.5], "0.5000"),
])
def test_a_table_column_shows_its_smallest_value_to_four_digits(values, smallest):
    fmt = number_column(np.array(values))["type_config"]["format"]
    finite = [v for v in values if np.isfinite(v)]
    assert fmt % min(finite) == smallest
    assert SIGNIFICANT == 4


def test_a_row_s_title_gives_the_file_s_own_row_name():
    """R writes row names 1, 2, 3... under a blank header; the app counts rows from 0. The title says both."""
    n = 30
    exported = pd.DataFrame({"Unnamed: 0": np.arange(2_020_311, 2_020_311 + n), "v": np.sin(np.arange(n)),
                             "w": np.cos(np.arange(n))})
    ds = table_dataset(exported)
    assert ds.file_row_column == "Unnamed: 0"
    assert row_title(ds, 3) == "Row 3 (row 2,020,314 in the file)"
    plain = table_dataset(exported.drop(columns="Unnamed: 0"))
    assert plain.file_row_column is None and row_title(plain, 3) == "Row 3"
    measured = exported.assign(**{"Unnamed: 0": np.arange(n) % 7})  # no row number: a feature
    assert table_dataset(measured).file_row_column is None


def test_difference_heatmap_shows_a_colour_shift_and_small_errors():
    from dashboard.render import diff_heatmap
    orig = np.zeros((3, 4, 4), np.float32)
    shifted = orig.copy()
    shifted[0] += 0.6  # red up by what blue goes down: the signed mean over channels is 0
    orig[2] += 0.6
    pixels = np.asarray(diff_heatmap(orig, shifted, px=4))
    assert (pixels[..., 1] < 200).all(), "a colour shift must not read as no difference (white)"
    grey = np.zeros((1, 4, 4), np.float32)
    faint = np.asarray(diff_heatmap(grey, grey + 0.05, px=4))
    assert (faint[..., 0] == 255).all() and (faint[..., 2] < 210).all(), "a 0.05 brightening is visibly red"
    assert (np.asarray(diff_heatmap(grey, grey, px=4)) == 255).all(), "no difference is white"
