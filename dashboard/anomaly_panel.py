"""Anomalies: the reconstruction-error histogram with a percentile threshold, the most anomalous rows,
AUROC when a label marks the anomalies, and the scores as CSV. A fragment: its sliders rerun only it."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from aecore.anomaly import anomaly_mask, auroc, threshold, top_k
from aecore.dataset import category_value, category_values
from aecore.describe import readable
from aecore.export import to_csv_bytes

from .figures import category_order, error_histogram
from .guard import guarded_fragment
from .render import diff_heatmap, to_pil
from .state import Workspace, get_ws
from .views.common import number_column, table_height

GALLERY_COLS = 3  # cards a row, and CARD_PX a side for each card's three images: on one line on a 1280 px page
CARD_PX = 72      # (four cards a row of 64 px images put the third on a line of its own)


def scores_frame(ws: Workspace, cut: float) -> pd.DataFrame:
    ds, errors = ws.dataset, ws.exploration.errors
    frame = pd.DataFrame({"id": np.arange(ds.n), "reconstruction_error": errors, "anomaly": errors > cut})
    if ds.label:
        frame.insert(1, "label", ds.meta[ds.label].to_numpy())
    if "file" in ds.meta.columns:
        frame.insert(1, "file", ds.meta["file"].to_numpy())
    return frame


@st.fragment(key="anomalies")
@guarded_fragment("Anomalies")
def anomaly_panel() -> None:
    ws = get_ws()
    ds, errors = ws.dataset, ws.exploration.errors
    left, right = st.columns([3, 2], gap="medium")
    with right:
        pct = st.slider("Threshold percentile", 50.0, 99.9, 95.0, 0.1, key=f"anom_pct_{ws.version}",
                        persist_state="page",
                        help="Rows with a reconstruction error above this percentile are flagged.")
        cut = threshold(errors, pct)
        flagged = int((errors > cut).sum())
        st.metric("Flagged rows", f"{flagged:,} of {ds.n:,}", help=f"error > {cut:.4g}")
        if ds.label:
            values = category_order(category_values(ds.meta[ds.label]))
            chosen = st.multiselect(f"Which '{ds.label}' values are anomalies?", values,
                                    key=f"anom_labels_{ws.version}", persist_state="page",
                                    help="With known anomalies, the AUROC says how well the error ranks them first.")
            if chosen:
                score = auroc(errors, anomaly_mask(ds.meta[ds.label], chosen))
                st.metric("AUROC", "n/a (one class only)" if score is None else f"{score:.3f}",
                          help="1.0: every anomaly scores above every normal row; 0.5: chance.")
        st.download_button("Download scores (CSV)", lambda: to_csv_bytes(scores_frame(ws, cut)), file_name="scores.csv",
                           mime="text/csv", on_click="ignore", key="dl_scores")
    with left:
        st.plotly_chart(error_histogram(errors, cut), key=f"anom_hist_{ws.version}", config={"displayModeBar": False})
    k = st.slider("Most anomalous rows to show", 4, 48, 12, 4, key=f"anom_k_{ws.version}", persist_state="page")
    rows = top_k(errors, k)
    if ds.kind == "image":
        recon = ws.model.reconstruct(ds.X[rows])
        cols = st.columns(GALLERY_COLS)
        for i, row in enumerate(rows):
            with cols[i % GALLERY_COLS].container(border=True):
                label = f" · {category_value(ds.meta[ds.label].iat[row])}" if ds.label else ""
                st.caption(f"#{i + 1} · row {row}{label} · error {errors[row]:.4g}")
                st.image([to_pil(ds.X[row], CARD_PX), to_pil(recon[i], CARD_PX),
                          diff_heatmap(ds.X[row], recon[i], CARD_PX)], width=CARD_PX, output_format="PNG")
    else:
        table = readable(ds.meta.iloc[rows])  # yes/no as text, not checkboxes
        table.insert(0, "reconstruction_error", errors[rows])
        table.insert(0, "row", rows)
        st.dataframe(table, hide_index=True, height=table_height(len(table)),
                     column_config={"reconstruction_error": number_column(errors[rows])})
