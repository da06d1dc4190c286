"""Small drawing helpers the views share: rows of captioned images, and a gallery of rows."""
from __future__ import annotations

import base64
import io
import re

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image, ImageOps

from aecore import Dataset
from aecore.dataset import TablePreprocessor, category_value
from aecore.describe import compare_table_row

from ..figures import cut_text
from ..render import DISPLAY_PX, diff_heatmap, to_pil

GALLERY_COLS = 6
THUMB_PX = 64
GAP_PX = 12
SIDE_BY_SIDE_PX = 270  # the inspector's inner width on a 1280 px wide page, less the gaps: three images on one row
INLINE_MAX_BYTES = 48_000  # PNGs up to this size travel inside the reply (base64: a third larger)


def small(text: str) -> str:
    """Markdown for a caption's look (small, grey) inside another markdown element."""
    return f":gray[:small[{text}]]"


DIFFERENCE_NOTE = "Difference: red where the reconstruction is brighter than the original, blue where it is darker."


def show_beside(x: np.ndarray, x_hat: np.ndarray) -> None:
    """An image, its reconstruction and their difference on one row, and what the difference's colours
    mean (under them: a caption wider than its image would push the next image to a new row)."""
    show_images([("original", to_pil(x)), ("reconstruction", to_pil(x_hat)), ("difference", diff_heatmap(x, x_hat))])
    st.caption(DIFFERENCE_NOTE)


# The table inspector's columns at their narrowest (each fits its header); they widen to their longest text
# (CHAR_PX a character and CELL_PAD_PX of padding) within TABLE_PX, the inspector's width on a 1280 px page
# (half the page beside the map), the longest giving way first; on a wider page they share the rest.
TABLE_ROW_WIDTHS = {"feature": 80, "original": 62, "reconstructed": 82, "error": 56}
CHAR_PX, CELL_PAD_PX, TABLE_PX = 6.5, 18, 352


def text_widths(table: pd.DataFrame, total: int = TABLE_PX) -> dict[str, int]:
    """Each column's width in px: the error bar its own; the text columns enough for their longest value
    from their TABLE_ROW_WIDTHS floor, and when that is more than `total` allows, a
    common cap on the widest (water-filling) so that the row still fits."""
    needs = {name: max(px, round(CHAR_PX * max([0, *(len(str(v)) for v in table[name])])) + CELL_PAD_PX)
             for name, px in TABLE_ROW_WIDTHS.items() if name != "error"}  # the floors fit the headers
    room = total - TABLE_ROW_WIDTHS["error"]
    cap = max(needs.values())
    while sum(min(need, cap) for need in needs.values()) > room and cap > min(TABLE_ROW_WIDTHS.values()):
        cap -= 1
    widths = {name: max(TABLE_ROW_WIDTHS[name], min(need, cap)) for name, need in needs.items()}
    return {**widths, "error": TABLE_ROW_WIDTHS["error"]}


# What the inspector's per-feature error is (a price 548 read as 831.8 showed 0.005: it is in the column's
# spread, not its units).
ERROR_HELP = ("In the column's spread, not its units, so features compare: for a number, the squared difference "
              "in standard deviations (1 = one deviation off); for a category, the squared distance between its "
              "one-hot code and the reconstruction's probabilities (0 when they match). What the model minimises.")


ROW_PX = 35        # Streamlit's default table row (and header) height
CONTENT_ROWS = 40  # a table shows up to this many rows whole; more scroll


def table_height(rows: int, most: int = CONTENT_ROWS) -> int | str:
    """A table's height: every row up to `most` ("content": Streamlit's "auto" shows ten and cut an eleventh,
    so the inspector hid a table's last features and Anomalies showed 10 of the 12 rows asked for), else
    `most` rows and a scroll bar."""
    return "content" if rows <= most else (most + 1) * ROW_PX + 3


def show_table_beside(pre: TablePreprocessor, x: np.ndarray, x_hat: np.ndarray, raw: pd.Series) -> None:
    """A table row (its values as the file has them: `raw`) beside its reconstruction, feature by feature
    in original units, worst first, the error as a bar (a full bar: one standard deviation squared, or the
    worst error when larger)."""
    table = compare_table_row(pre, x, x_hat, raw)
    top = max(1.0, float(table["error"].max())) if len(table) else 1.0
    widths = text_widths(table)
    config = {name: st.column_config.Column(width=px) for name, px in widths.items()}
    config["error"] = st.column_config.ProgressColumn(
        "error", format="%.3f", min_value=0.0, max_value=top, width=widths["error"],
        help=ERROR_HELP)
    st.dataframe(table, hide_index=True, height=table_height(len(table)), column_config=config)


def show_images(pairs: list[tuple[str, Image.Image]]) -> None:
    """Images side by side, each with its caption: one element (a click pays for one, not one per image),
    its images inline in the message when small (see inline)."""
    width = min(SIDE_BY_SIDE_PX // len(pairs), DISPLAY_PX)  # all on one row of the inspector
    # Streamlit sets a list's images edge to edge: a white margin keeps them apart.
    spaced = [inline(ImageOps.expand(image, border=(0, 0, GAP_PX, 0), fill="white")) for _, image in pairs]
    st.image(spaced, caption=[caption for caption, _ in pairs], width=width, output_format="PNG")


def inline(image: Image.Image) -> Image.Image | str:
    """A small image as a PNG data URI, which st.image passes to the page as it is: the image arrives with
    the click's reply instead of being fetched from the server afterwards (one request less per click).
    Larger images go to Streamlit's media files as usual."""
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    if buf.tell() > INLINE_MAX_BYTES:
        return image
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


SIGNIFICANT = 4  # digits a table's small numbers (errors, distances) keep


def number_column(values: np.ndarray, label: str | None = None) -> st.column_config.NumberColumn:
    """A table column that shows its smallest value to SIGNIFICANT digits: Streamlit's default (4 decimals at
    most) showed reconstruction errors near 1e-5 as 0.0000. Numbers below a thousandth, or above a million,
    read in scientific notation."""
    v = np.abs(np.asarray(values, dtype=np.float64))
    v = v[np.isfinite(v) & (v > 0)]
    if not len(v) or (v.min() >= 1e-3 and v.max() < 1e6):
        decimals = 0 if not len(v) else int(np.clip(SIGNIFICANT - 1 - np.floor(np.log10(v.min())), 0, SIGNIFICANT + 2))
        return st.column_config.NumberColumn(label, format=f"%.{decimals}f")
    return st.column_config.NumberColumn(label, format=f"%.{SIGNIFICANT - 1}e")


NAME_CHARS = 60  # a row's name in its title, cut beyond this
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>$~|])")  # what can change text inside a line; "(missing)" stays as it is


def escape_markdown(text: str) -> str:
    """Text shown as it is inside markdown: a movie called "$1000 a Touchdown" is not LaTeX."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def row_title(ds: Dataset, row: int) -> str:
    """Markdown for "Row 12 · label 7 · digit_0012": the label, and the row's name when a column names
    rows (a file, a title; see Dataset.name_column). Missing values read "(missing)". With the file's own
    row names (an R export's blank-header column of 1, 2, 3...), "Row 12 (row 13 in the file)"."""
    parts = [f"Row {row}" if ds.file_row_column is None
             else f"Row {row} (row {ds.meta[ds.file_row_column].iat[row]:,} in the file)"]
    if ds.label:
        parts.append(f"{ds.label} {category_value(ds.meta[ds.label].iat[row])}")
    if ds.name_column is not None:
        name = category_value(ds.meta[ds.name_column].iat[row])
        parts.append(cut_text(name, NAME_CHARS))
    return " · ".join(escape_markdown(part) for part in parts)


def caption_of(*parts: str) -> str:
    """A thumbnail's caption: its parts joined by " · ", each kept on one line (no-break spaces inside), so
    a narrow column wraps "row 8 · 0.012" between the parts, never inside one."""
    return " · ".join(str(part).replace(" ", "\u00a0") for part in parts)


def gallery(ds: Dataset, rows: np.ndarray, captions: list[str], images: np.ndarray | None = None,
            cols: int = GALLERY_COLS) -> None:
    """Images of `rows` (or the given images, one per row) in a grid, each with its caption."""
    images = ds.X[rows] if images is None else images
    grid = st.columns(cols)
    for i, (img, caption) in enumerate(zip(images, captions, strict=True)):
        grid[i % cols].image(to_pil(img, THUMB_PX), caption=caption, output_format="PNG")
