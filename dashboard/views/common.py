"""Small drawing helpers the views share: rows of captioned images, and a gallery of rows."""
from __future__ import annotations

import numpy as np
import streamlit as st

from aecore import Dataset
from aecore.dataset import category_values

from ..render import to_pil

GALLERY_COLS = 6
THUMB_PX = 64


def show_images(pairs: list[tuple[str, object]]) -> None:
    """Images side by side, each with its caption."""
    cols = st.columns(len(pairs))
    for col, (caption, image) in zip(cols, pairs, strict=True):
        col.image(image, caption=caption)


def row_title(ds: Dataset, row: int) -> str:
    """"Row 12 · label 7 · digit_0012" (missing labels read "(missing)")."""
    title = f"Row {row}"
    if ds.label:
        title += f" · {ds.label} {category_values(ds.meta[ds.label].iloc[[row]])[0]}"
    if "file" in ds.meta.columns:
        title += f" · {ds.meta['file'].iloc[row]}"
    return title


def gallery(ds: Dataset, rows: np.ndarray, captions: list[str], images: np.ndarray | None = None,
            cols: int = GALLERY_COLS) -> None:
    """Images of `rows` (or the given images, one per row) in a grid, each with its caption."""
    images = ds.X[rows] if images is None else images
    grid = st.columns(cols)
    for i, (img, caption) in enumerate(zip(images, captions, strict=True)):
        grid[i % cols].image(to_pil(img, THUMB_PX), caption=caption)
