"""dashboard.views.common: small images travel inside the reply as PNG data URIs (inline), larger ones are
left to Streamlit's media files; names from the data are shown as written (escape_markdown)."""
from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from dashboard.render import to_pil
from dashboard.views.common import INLINE_MAX_BYTES, escape_markdown, inline


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
