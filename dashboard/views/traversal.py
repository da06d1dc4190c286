"""Latent traversal from the picked point: vary one latent dimension at a time over its observed range
and decode. Images: a grid, one row per dimension. Tables: how each feature responds to a dimension,
and which dimension moves which feature. VAE dimensions are ordered by KL, unused ones marked."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from aecore.describe import readable
from aecore.traversal import DimensionOrder, dimension_order, feature_response, latent_ranges, sensitivity, traverse

from ..render import to_pil
from ..state import Workspace

ORDER_SAMPLE = 2000  # rows a VAE's KL per dimension is averaged over
THUMB_PX = 56
LINES = 10  # features drawn in the response chart: the ones the dimension moves most (80 lines were a tangle)


def order(ws: Workspace) -> DimensionOrder:
    ex, ds = ws.exploration, ws.dataset
    return ws.cached("dimension_order", lambda: dimension_order(ws.model, ds.X[:ORDER_SAMPLE], ex.codes))


def ranges(ws: Workspace) -> tuple[np.ndarray, np.ndarray]:
    return ws.cached("latent_ranges", lambda: latent_ranges(ws.exploration.codes))


def dim_label(o: DimensionOrder, d: int) -> str:
    unused = " · unused" if o.unused[d] else ""
    return f"z{d} · {o.kind} {o.score[d]:.3g}{unused}"


def render(ws: Workspace, row: int) -> None:
    o = order(ws)
    latent = len(o.score)
    c1, c2 = st.columns(2)
    shown = (c1.slider("Dimensions", 1, latent, min(8, latent), key="traverse_dims", persist_state="page")
             if latent > 1 else 1)
    steps = c2.slider("Steps", 3, 11, 7, 2, key="traverse_steps", persist_state="page")
    dims = [int(d) for d in o.order[:shown]]
    lo, hi = ranges(ws)
    tr = traverse(ws.model, ws.exploration.codes[row], dims, lo, hi, steps)
    st.caption(f"Each dimension from its 1st to its 99th percentile over the data, the others kept at row {row}'s "
               f"code; ordered by {o.kind}, largest first." + (" A VAE dimension with almost no KL carries almost "
                                                                "nothing: marked unused." if o.unused.any() else ""))
    if ws.dataset.kind == "image":
        image_grid(tr, o, steps)
    else:
        table_response(ws, tr, o)


def image_grid(tr, o: DimensionOrder, steps: int) -> None:
    for i, d in enumerate(tr.dims):
        st.markdown(f"**{dim_label(o, d)}**")
        st.image([to_pil(img, THUMB_PX) for img in tr.decoded[i]],
                 caption=[f"{v:.2f}" for v in tr.values[i]], output_format="PNG")


def table_response(ws: Workspace, tr, o: DimensionOrder) -> None:
    pre = ws.dataset.preprocessor
    pick = st.selectbox("Dimension", list(range(len(tr.dims))), format_func=lambda i: dim_label(o, tr.dims[i]),
                        key="traverse_table_dim", persist_state="page")
    frame = feature_response(tr, pick, pre)
    z = frame.columns[0]
    numeric = [c.name for c in pre.numeric]
    # The decoder's own standardised output, so features in different units (dates, yes/no, numbers) share
    # one axis: 1 = one standard deviation.
    scaled = pd.DataFrame(tr.decoded[pick][:, : len(numeric)], columns=numeric)
    moved = (scaled.max() - scaled.min()).sort_values(ascending=False, kind="stable")
    drawn = list(moved.index[:LINES])
    if len(numeric) > LINES:
        st.caption(f"The {LINES} of {len(numeric)} number features this dimension moves most; the table below has "
                   "them all.")
    fig = go.Figure([go.Scatter(x=frame[z], y=scaled[name], mode="lines+markers", name=name) for name in drawn])
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=10, b=10), xaxis_title=z,
                      yaxis_title="feature (standard deviations)", legend=dict(font=dict(size=10)))
    st.plotly_chart(fig, key="traverse_response", config={"displayModeBar": False})
    st.dataframe(readable(frame, ws.dataset.meta), hide_index=True, height=220)
    sens = sensitivity(tr, pre)
    if not sens.empty:
        st.markdown("**Which dimension moves which feature** (range of the decoded feature over the traversal, "
                    "in standard deviations)")
        heat = go.Figure(go.Heatmap(z=sens.to_numpy(), x=list(sens.columns), y=list(sens.index), colorscale="Blues"))
        # room for the feature names under the rows (one row when the code has one dimension)
        heat.update_layout(height=120 + 24 * len(sens), margin=dict(l=10, r=10, t=10, b=10),
                           xaxis=dict(automargin=True), yaxis=dict(automargin=True))
        st.plotly_chart(heat, key="traverse_heat", config={"displayModeBar": False})
