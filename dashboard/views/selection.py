"""A box or lasso selection as a linked view: its images (or rows), its mean reconstruction, what sets
it apart from the rest, its label mix, and a CSV of its rows."""
from __future__ import annotations

import numpy as np
import streamlit as st

from aecore.describe import label_mix, readable
from aecore.export import codes_frame, to_csv_bytes
from aecore.selection import contrast_in_units, mean_images

from ..render import diff_heatmap, to_pil
from ..state import Workspace
from .common import caption_of, gallery, number_column, show_images

SHOWN = 24        # images in the gallery (the lowest-error first would hide the odd ones: row order)
TABLE_ROWS = 200  # rows listed for a table selection
MEAN_SAMPLE = 2000  # rows the mean reconstruction averages: enough for a stable mean, fast on a click


def render(ws: Workspace, rows: np.ndarray) -> None:
    ds, ex = ws.dataset, ws.exploration
    st.markdown(f"**{len(rows):,} rows selected** · mean error {ex.errors[rows].mean():.4g} "
                f"(all rows: {ex.errors.mean():.4g})")
    if ds.kind == "image":
        image_selection(ws, rows)
    else:
        table_selection(ws, rows)
    mix = label_mix(ds, rows)
    if len(mix):
        st.markdown(f"**Label mix** ({ds.label})")
        st.bar_chart(mix.set_index("value"), height=180, horizontal=True)

    def selected_csv() -> bytes:
        frame = ds.meta.iloc[rows].reset_index(drop=True)
        codes = codes_frame(ex.codes[rows], ex.xy[rows], ex.errors[rows], ids=rows,
                            keys=ws.dataset.meta.iloc[rows][ws.dataset.key_columns])
        return to_csv_bytes(codes.join(frame.drop(columns=[c for c in frame.columns if c in codes.columns])))

    st.download_button("Download selected rows (CSV)", selected_csv, file_name="selection.csv", mime="text/csv",
                       on_click="ignore", key="dl_selection")


def image_selection(ws: Workspace, rows: np.ndarray) -> None:
    ds, ex = ws.dataset, ws.exploration
    shown = rows[:SHOWN]
    gallery(ds, shown, [caption_of(f"row {r}", f"{ex.errors[r]:.3g}") for r in shown])
    if len(rows) > SHOWN:
        st.caption(f"The first {SHOWN} of {len(rows):,} selected rows.")
    sample = rows[:: max(1, len(rows) // MEAN_SAMPLE)]
    mean_sel, _, apart = mean_images(ds.X, rows)
    mean_rec = ws.model.reconstruct(ds.X[sample]).mean(0)
    st.markdown("**The selection on average**")
    show_images([("mean image", to_pil(mean_sel, 112)), ("mean reconstruction", to_pil(mean_rec, 112)),
                 ("selection - rest", diff_heatmap(np.zeros_like(apart), apart, 112))])
    st.caption("What sets it apart: red where the selection has more ink than the other rows, blue where less.")


def table_selection(ws: Workspace, rows: np.ndarray) -> None:
    ds, ex = ws.dataset, ws.exploration
    table = readable(ds.meta.iloc[rows[:TABLE_ROWS]])
    table.insert(0, "reconstruction_error", ex.errors[rows[:TABLE_ROWS]])
    table.insert(0, "row", rows[:TABLE_ROWS])
    st.dataframe(table, hide_index=True, height=220,
                 column_config={"reconstruction_error": number_column(table["reconstruction_error"])})
    sample = rows[:: max(1, len(rows) // MEAN_SAMPLE)]
    mean_rec = ds.preprocessor.inverse_transform(ws.model.reconstruct(ds.X[sample]).mean(0, keepdims=True))
    st.markdown("**What sets it apart** (the features that differ most from the other rows)")
    st.dataframe(contrast_in_units(ds, rows), hide_index=True)
    st.markdown("**Mean reconstruction** of the selection, in original units")
    st.dataframe(readable(mean_rec, ws.dataset.meta), hide_index=True)
