"""A walk between two points picked on the map: its codes on the straight path from one to the other
(spherical for a VAE, whose prior makes straight lines cross its empty centre), decoded step by step,
and drawn on the map where each step's code falls."""
from __future__ import annotations

import numpy as np
import streamlit as st

from aecore.describe import readable
from aecore.estimator import interpolate

from ..render import to_pil
from ..state import Generated, Workspace
from .common import row_title


def start_here(row: int) -> None:
    from ..state import get_ws

    get_ws().walk_from = row


def render(ws: Workspace, row: int) -> None:
    start = ws.walk_from
    if start is None or start == row or start >= ws.dataset.n:
        st.caption("A walk decodes the codes on the path between two points: what the model puts between them.")
        st.button("Start a walk here", key="walk_start", on_click=start_here, args=(row,), type="primary")
        if start == row:
            st.caption(f"The walk starts at row {row}: now click another point on the map.")
        return
    ds, ex, m = ws.dataset, ws.exploration, ws.model
    st.markdown(f"**From** {row_title(ds, start)} **to** {row_title(ds, row)}")
    steps = st.slider("Steps", 3, 12, 8, key="walk_steps", persist_state="page")
    codes = interpolate(ex.codes[start], ex.codes[row], steps, spherical=m.is_variational)
    path = m.inverse_transform(codes)
    if ds.kind == "image":
        st.image([to_pil(x, 72) for x in path], caption=[f"{i / (steps - 1):.2f}" for i in range(steps)],
                 output_format="PNG")
    else:
        frame = ds.preprocessor.inverse_transform(path)
        frame.insert(0, "t", np.linspace(0.0, 1.0, steps).round(2))
        st.dataframe(readable(frame, ds.meta), hide_index=True)
    c1, c2 = st.columns(2)
    if c1.button("Draw it on the map", key="walk_draw", help="The walk's steps, drawn on the map where their codes "
                                                                "fall, joined by a line."):
        name = f"walk {start} → {row}"
        ws.generated = [g for g in ws.generated if not g.name.startswith("walk ")]
        ws.generated.append(Generated(name, codes, "path"))
        st.rerun(scope="app")
    c2.button("New walk from here", key="walk_restart", on_click=start_here, args=(row,))
