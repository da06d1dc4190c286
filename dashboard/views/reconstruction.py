"""The picked row beside its reconstruction (images: original, reconstruction, difference heatmap;
tables: every feature in original units, worst first), and the decoder's output for a clicked spot."""
from __future__ import annotations

import numpy as np
import streamlit as st

from aecore.describe import decoded_table_row
from aecore.projection import FAR_FROM_DATA

from ..render import to_pil
from ..state import Generated, Workspace
from .common import row_title, show_beside, show_images, show_table_beside, small, table_height


def header(ws: Workspace, row: int) -> str:
    """The picked row's name and its reconstruction error with its rank: one element, above every point view
    (each element a click adds costs the page a render)."""
    errors = ws.exploration.errors
    rank = int((errors > errors[row]).sum()) + 1
    line = f"Reconstruction error {errors[row]:.4g} · rank {rank:,} of {ws.dataset.n:,} (1 = most anomalous)"
    return f"**{row_title(ws.dataset, row)}**  \n" + small(line)


def render(ws: Workspace, row: int) -> None:
    ds, model = ws.dataset, ws.model
    x = ds.X[row : row + 1]
    x_hat = model.reconstruct(x)
    if ds.kind == "image":
        show_beside(x[0], x_hat[0])
    else:
        show_table_beside(ds.preprocessor, x[0], x_hat[0], ds.meta.iloc[row])


def render_location(ws: Workspace, x: float, y: float) -> None:
    """A spot on the map has no code of its own: its code is a distance-weighted blend of the codes of
    the points nearest to it on the map. Say so, and how far the spot is from the data."""
    inverse = ws.exploration.inverse
    code, distance = inverse.decode_point(x, y)
    decoded = ws.model.inverse_transform(code[None])
    nearest = inverse.nearest_rows(x, y, 3)
    st.markdown(f"**Decoded at ({x:.2f}, {y:.2f})**")
    names = ", ".join(str(r) for r in nearest)
    if distance > FAR_FROM_DATA:
        st.caption(f"This spot is {distance:.1f} neighbour spacings from the nearest point. A spot has no code of "
                   f"its own: the code decoded here blends the codes of the {inverse.k} points nearest on the map "
                   f"(rows {names}, ...), weighted by closeness. So far from the data, this is what the model makes of "
                   "its nearest data, not an extrapolation beyond it.")
    else:
        st.caption(f"The code is a blend of the codes of the {inverse.k} points nearest to this spot on the map "
                   f"(rows {names}, ...), weighted by closeness: what the decoder makes of the space between them.")
    if ws.dataset.kind == "image":
        show_images([("decoded", to_pil(decoded[0]))])
    else:
        table = decoded_table_row(ws.dataset.preprocessor, decoded[0], like=ws.dataset.meta)
        st.dataframe(table, hide_index=True, height=table_height(len(table)))
    if st.button("Show where this code falls on the map", key="decoded_show",
                 help="Its code placed by the nearest training codes: a spot far from the data decodes like "
                      "the data near where its code falls."):
        ws.generated = [g for g in ws.generated if g.name != "decoded spots"] + [
            Generated("decoded spots", np.vstack([*(g.codes for g in ws.generated if g.name == "decoded spots"),
                                                  code[None]]), "generated")]
        st.rerun(scope="app")
