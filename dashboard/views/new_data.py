"""New data on an existing map: a second file the model has not seen (the same columns, or images of the
same kind), prepared exactly as the training data was, encoded, scored and placed on the map as its own
trace, with how many rows the current threshold would flag. How a user checks new data for drift or
anomalies. Its rows are picked on the map like any other (their ids follow the training rows')."""
from __future__ import annotations

import streamlit as st

from aecore.errors import AecoreError
from aecore.newdata import Placement, place, prepare_like

from ..data_panel import IMAGE_TYPES, TABLE_TYPES, digest_of
from ..state import NewData, Workspace
from .common import show_beside, show_table_beside, small

DEFAULT_PERCENTILE = 95.0  # the Anomalies view's default threshold, used until the user moves it


def percentile(ws: Workspace) -> float:
    """The threshold the Anomalies view shows (its slider), so both views flag the same rows."""
    return float(st.session_state.get(f"anom_pct_{ws.version}", DEFAULT_PERCENTILE))


def placement(ws: Workspace) -> Placement | None:
    if ws.new_data is None or not ws.ready:
        return None
    e, ex, pct = ws.entry, ws.exploration, percentile(ws)
    key = ("placement", ws.new_data.digest, pct)
    if key not in e.derived:
        e.derived[key] = place(ws.model, ws.new_data.dataset, ex.codes, ex.xy, ex.errors, pct)
    return e.derived[key]


def load(ws: Workspace, files) -> None:
    digest = digest_of(files)
    if ws.new_data is not None and ws.new_data.digest == digest:
        return
    name = files[0].name if len(files) == 1 else f"{len(files)} files"
    try:
        with st.spinner("Preparing the new data as the training data was…"):
            source = files[0] if ws.dataset.kind == "table" else [(f.name, f.getvalue()) for f in files]
            new = prepare_like(ws.dataset, source, name=name)
    except AecoreError as exc:
        st.error(str(exc))
        return
    ws.new_data = NewData(name, new, digest)
    st.rerun()


def remove() -> None:
    from ..state import get_ws

    get_ws().new_data = None


def panel(ws: Workspace) -> None:
    with st.expander("New data on this map", expanded=ws.new_data is not None):
        table = ws.dataset.kind == "table"
        files = st.file_uploader(
            "A CSV or Parquet file with the same columns" if table else "Images of the same kind, or a ZIP",
            type=TABLE_TYPES if table else IMAGE_TYPES,
            accept_multiple_files=not table, key=f"new_data_{ws.version}",
            help="Prepared exactly as the training data was, encoded and scored by this model, and drawn on "
                 "its map (black diamonds). Nothing is retrained.")
        files = [files] if table and files is not None else (files or [])
        if files:
            load(ws, files)
        placed = placement(ws)
        if placed is None:
            st.caption("Check data the model has not seen for drift or anomalies: where it lands, and how much "
                       "of it scores above the training rows' threshold.")
            return
        st.markdown(f"**{ws.new_data.name}** · {placed.summary()}")
        for line in ws.new_data.dataset.report[-2:]:
            st.caption(line)
        st.button("Remove the new data", key="new_data_remove", on_click=remove)


def render_row(ws: Workspace, i: int) -> None:
    """A new row picked on the map: beside its reconstruction, its error against the threshold."""
    new, placed = ws.new_data.dataset, placement(ws)
    if not 0 <= i < new.n:
        return
    x = new.X[i : i + 1]
    x_hat = ws.model.reconstruct(x)
    error = float(placed.errors[i])
    side = "above" if error > placed.threshold else "below"
    name = f"**New row {i}** · {ws.new_data.name}" + (f" · {new.meta['file'].iloc[i]}" if "file" in new.meta.columns
                                                      else "")
    st.markdown(f"{name}  \n" + small(f"Reconstruction error {error:.4g}, {side} the training rows' threshold "
                                      f"{placed.threshold:.4g}."))
    if new.kind == "image":
        show_beside(x[0], x_hat[0])
    else:
        show_table_beside(new.preprocessor, x[0], x_hat[0], new.meta.iloc[i])
