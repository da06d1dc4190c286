"""The picked point's nearest neighbours in latent space (not on the map): a gallery or a table with
their distances, how many of them the map also puts nearby, and a button to ring them on the map."""
from __future__ import annotations

import streamlit as st

from aecore.dataset import category_values
from aecore.neighbours import LatentIndex

from ..state import Highlight, Workspace
from .common import caption_of, gallery, number_column


def index(ws: Workspace) -> LatentIndex:
    """Built once per model: KD-trees over the codes and the map."""
    ex = ws.exploration
    return ws.cached("latent_index", lambda: LatentIndex(ex.codes, ex.xy))


def render(ws: Workspace, row: int) -> None:
    ds = ws.dataset
    k = st.slider("Neighbours", 3, 30, 10, key="neighbours_k", persist_state="page")
    nb = index(ws).neighbours(row, k)
    st.caption(nb.summary())
    if ds.kind == "image":
        labels = category_values(ds.meta[ds.label]) if ds.label else None
        gallery(ds, nb.rows, [caption_of(f"row {r}", f"d {d:.3g}", *([labels[r]] if labels is not None else []))
                              for r, d in zip(nb.rows, nb.distances, strict=True)])
    else:
        table = ds.meta.iloc[nb.rows].copy()
        table.insert(0, "distance", nb.distances)
        table.insert(0, "row", nb.rows)
        table.insert(2, "also near on the map", [r in set(nb.map_rows) for r in nb.rows])
        st.dataframe(table, hide_index=True, height=300, column_config={"distance": number_column(nb.distances)})
    if st.button("Ring them on the map", key="neighbours_ring"):
        ws.highlight = Highlight(nb.rows, f"{len(nb.rows)} neighbours of row {row}")
        st.rerun(scope="app")
