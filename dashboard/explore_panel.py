"""The heart of the app: the latent map (fragment "map") and the inspector beside it (fragment
"inspector"). A click on the map runs `on_map_select`, which records the pick and reruns only the
inspector: the map is not rebuilt or re-sent, so the clicked point stays highlighted by Plotly's
own selection styling."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import streamlit as st

from aecore.describe import compare_table_row, decoded_table_row, label_mix
from aecore.export import codes_frame, to_csv_bytes
from aecore.projection import FAR_FROM_DATA

from . import timing
from .figures import GRID_ID, MAX_CATEGORIES, map_figure
from .render import diff_heatmap, to_pil
from .state import Pick, Workspace, get_ws

MAP_KEY = "latent_map"


def point_id(point: dict) -> int | None:
    """customdata comes back as a scalar, a one-element list, or a dict {"0": id} (2-D customdata)."""
    cd = point.get("customdata")
    if isinstance(cd, dict):
        cd = next(iter(cd.values()), None)
    if isinstance(cd, (list, tuple)):
        cd = cd[0] if cd else None
    try:
        return int(cd)
    except (TypeError, ValueError):
        return None


def apply_selection(ws: Workspace, event) -> bool:
    """Turn a Plotly selection into a Pick (one point) or a row selection (box/lasso). Empty selections
    (a figure change resets them) leave the pick alone. Returns True when something changed."""
    selection = (event or {}).get("selection") or {}
    points = selection.get("points") or []
    if not points:
        return False
    rows = [i for i in (point_id(p) for p in points) if i is not None and i != GRID_ID]
    multi = bool(selection.get("box") or selection.get("lasso")) or len(points) > 1
    if multi:
        ws.selection = np.unique(np.asarray(rows, dtype=np.int64)) if rows else None
        return True
    ws.selection = None
    if rows:
        ws.pick = Pick(row=rows[0])
    else:
        ws.pick = Pick(x=float(points[0]["x"]), y=float(points[0]["y"]))
    return True


def map_key(ws: Workspace) -> str:
    """One chart state per model version, so a new map never inherits the old map's selection."""
    return f"{MAP_KEY}_{ws.version}"


def on_map_select() -> None:
    ws = get_ws()
    started = time.perf_counter()
    if apply_selection(ws, st.session_state.get(map_key(ws))):
        ws.click_started = started
        st.rerun("inspector")


def colour_options(ws: Workspace) -> list[str]:
    meta = ws.dataset.meta
    opts = [ws.dataset.label] if ws.dataset.label else []
    opts.append("reconstruction error")
    for col in meta.columns:
        if col in opts or col in ("file",):
            continue
        if meta[col].nunique() <= MAX_CATEGORIES or pd.api.types.is_numeric_dtype(meta[col]):
            opts.append(col)
    return opts


@st.fragment(key="map")
def map_panel() -> None:
    ws = get_ws()
    ex = ws.exploration
    opts = colour_options(ws)
    top = st.columns([2, 3])
    colour_by = top[0].selectbox("Colour by", opts, key=f"colour_by_{ws.version}")
    how = {"umap": "UMAP of the codes", "pca": "PCA of the codes", "latent": "the 2-D codes themselves",
           "stored": "saved map"}[ex.projection]
    top[1].caption(f"{ws.dataset.n:,} points · {how}. Click a point, or empty space to decode it; "
                   "drag with box/lasso (toolbar) to select many.")
    fig = ws.cached(("map", colour_by),
                    lambda: map_figure(ex.xy, ex.errors, ws.dataset.meta, colour_by, ws.dataset.label))
    event = st.plotly_chart(fig, key=map_key(ws), on_select=on_map_select, selection_mode=("points", "box", "lasso"),
                            config={"scrollZoom": True, "displaylogo": False})
    apply_selection(ws, event)  # AppTest and first renders: the returned state, same rule


def show_images(pairs: list[tuple[str, object]]) -> None:
    cols = st.columns(len(pairs))
    for col, (caption, image) in zip(cols, pairs, strict=True):
        col.image(image, caption=caption)


def inspect_row(ws: Workspace, row: int) -> None:
    ds, model, ex = ws.dataset, ws.model, ws.exploration
    x = ds.X[row : row + 1]
    x_hat = model.reconstruct(x)
    meta = ds.meta.iloc[row]
    who = f"Row {row}" + (f" · {ds.label} {meta[ds.label]}" if ds.label else "")
    if "file" in ds.meta.columns:
        who += f" · {meta['file']}"
    st.markdown(f"**{who}**")
    rank = int((ex.errors > ex.errors[row]).sum()) + 1
    st.caption(f"Reconstruction error {ex.errors[row]:.4g} (rank {rank:,} of {ds.n:,}, 1 = most anomalous)")
    if ds.kind == "image":
        show_images([("original", to_pil(x[0])), ("reconstruction", to_pil(x_hat[0])),
                     ("difference", diff_heatmap(x[0], x_hat[0]))])
        st.caption("Difference: red where the reconstruction adds ink, blue where it misses ink.")
    else:
        st.dataframe(compare_table_row(ds.preprocessor, x[0], x_hat[0]), hide_index=True, height=320,
                     column_config={"error": st.column_config.ProgressColumn(
                         "error", format="%.3f", min_value=0.0, max_value=max(1.0, float(((x - x_hat) ** 2).max())))})


def inspect_location(ws: Workspace, x: float, y: float) -> None:
    code, distance = ws.exploration.inverse.decode_point(x, y)
    decoded = ws.model.inverse_transform(code[None])
    st.markdown(f"**Decoded at ({x:.2f}, {y:.2f})**")
    if distance > FAR_FROM_DATA:
        st.caption(f"This spot is {distance:.1f} neighbour spacings from the nearest point: the code is extrapolated, "
                   "so expect something the model has not seen.")
    else:
        st.caption("The code is a distance-weighted blend of the nearest points' codes.")
    if ws.dataset.kind == "image":
        show_images([("decoded", to_pil(decoded[0]))])
    else:
        st.dataframe(decoded_table_row(ws.dataset.preprocessor, decoded[0]), hide_index=True, height=320)


def selection_summary(ws: Workspace, rows: np.ndarray) -> None:
    ds, ex = ws.dataset, ws.exploration
    st.markdown(f"**{len(rows):,} rows selected** · mean error {ex.errors[rows].mean():.4g}")
    mix = label_mix(ds, rows)
    if len(mix):
        st.bar_chart(mix.set_index("value"), height=180, horizontal=True)

    def selected_csv() -> bytes:
        frame = ds.meta.iloc[rows].reset_index(drop=True)
        codes = codes_frame(ex.codes[rows], ex.xy[rows], ex.errors[rows], ids=rows)
        return to_csv_bytes(codes.join(frame.drop(columns=[c for c in frame.columns if c in codes.columns])))

    st.download_button("Download selected rows (CSV)", selected_csv, file_name="selection.csv", mime="text/csv",
                       on_click="ignore", key="dl_selection")


@st.fragment(key="inspector")
def inspector_panel() -> None:
    ws = get_ws()
    with st.container(border=True):
        if ws.selection is not None and len(ws.selection):
            selection_summary(ws, ws.selection)
        elif ws.pick.row is not None and ws.pick.row < ws.dataset.n:
            inspect_row(ws, ws.pick.row)
        elif ws.pick.x is not None:
            inspect_location(ws, ws.pick.x, ws.pick.y)
        else:
            st.markdown("**Click a point on the map**")
            st.caption("You will see that row beside its reconstruction. Click empty space to see what the "
                       "decoder makes of that spot; use box or lasso to select a group.")
    if ws.click_started is not None:  # server-side cost of a click: callback to inspector rendered
        timing.record("click", ms=1000 * (time.perf_counter() - ws.click_started), n=ws.dataset.n,
                      row=ws.pick.row, decode=ws.pick.row is None)
        ws.click_started = None


def explore_tab(ws: Workspace) -> None:
    left, right = st.columns([3, 2], gap="medium")
    with left:
        map_panel()
    with right:
        inspector_panel()
