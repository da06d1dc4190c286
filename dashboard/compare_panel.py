"""The models of this data side by side: one table (held-out error beside PCA's at each model's latent
size, anomaly AUROC for the label values the user names, training time, how faithful each map is to its
codes, how much each model agrees with the first on who is near whom) and their maps next to each other
with linked selection: a point, box or lasso picked on one is ringed on all. Also the bar above the views
that lists the kept models, switches between them without retraining, and removes them."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from aecore.anomaly import anomaly_mask, auroc
from aecore.compare import map_trustworthiness, neighbour_agreement
from aecore.dataset import category_values

from .figures import ERROR_COLUMN, GRID_ID, category_order, map_figure, with_highlight
from .state import MAX_MODELS, ModelEntry, Workspace, get_ws

SHOWN_MAPS = 3      # maps drawn side by side at most (the table takes every chosen model)
MAP_HEIGHT = 360


# -- the bar above the views ------------------------------------------------------------------------------
def on_pick_model() -> None:
    ws = get_ws()
    ws.switch(st.session_state[f"model_pick_{ws.version}"])


def on_remove_model() -> None:
    ws = get_ws()
    ws.remove(ws.active)


def models_bar(ws: Workspace) -> None:
    """Which kept model is on the map; switching re-uses its map, nothing is retrained."""
    if len(ws.entries) < 2:
        return
    c1, c2, c3 = st.columns([4, 1, 3], vertical_alignment="bottom")
    c1.selectbox("Model on the map", range(len(ws.entries)), index=ws.active, key=f"model_pick_{ws.version}",
                 format_func=lambda i: ws.entries[i].name, on_change=on_pick_model)
    c2.button("Remove", on_click=on_remove_model, key="model_remove", width="stretch",
              help="Forget this model (the others stay)")
    c3.caption(f"{len(ws.entries)} models of this data kept (at most {MAX_MODELS}; the oldest goes first). "
               "Compare them in the Compare view.")


# -- the Compare view --------------------------------------------------------------------------------------
def derived(entry: ModelEntry, key, build):
    """A per-model figure, computed once for the model's life in the session (switching keeps it)."""
    if key not in entry.derived:
        entry.derived[key] = build()
    return entry.derived[key]


def metrics(ws: Workspace, chosen: list[int], anomalous: list[str]) -> pd.DataFrame:
    ds = ws.dataset
    ref = ws.entries[chosen[0]]
    mask = anomaly_mask(ds.meta[ds.label], anomalous) if anomalous and ds.label else None
    rows = []
    for i in chosen:
        e = ws.entries[i]
        c, ex = e.comparison, e.exploration
        row = {"model": e.name, "latent": e.model.config_.latent_dim,
               "test error": c.ae_mse if c else np.nan, "PCA at its latent size": c.pca_mse if c else np.nan,
               "vs PCA": f"{c.ratio:.2f}×" if c and c.ratio is not None else ("exact" if c else ""),
               "training s": round(e.model.result_.seconds, 1),
               "map trustworthiness": derived(e, "trust", lambda ex=ex: map_trustworthiness(ex.codes, ex.xy))}
        if mask is not None:
            score = auroc(ex.errors, mask)
            row["AUROC"] = np.nan if score is None else score
        row[f"agrees with #{chosen[0] + 1} on neighbours"] = 1.0 if e is ref else derived(
            e, ("agree", id(ref)), lambda ex=ex: neighbour_agreement(ref.exploration.codes, ex.codes))
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.insert(0, "#", [i + 1 for i in chosen])
    return frame


def point_ids(points: list[dict]) -> list[int]:
    from .explore_panel import point_id

    return [i for i in (point_id(p) for p in points) if i is not None and i != GRID_ID]


def on_compare_select(key: str) -> None:
    ws = get_ws()
    selection = (st.session_state.get(key) or {}).get("selection") or {}
    rows = point_ids(selection.get("points") or [])
    if rows:
        ws.cache[(ws.version, "compare rows")] = np.unique(np.asarray(rows, dtype=np.int64))


def small_map(e: ModelEntry, colour: str):
    ds = get_ws().dataset
    ex = e.exploration
    fig = map_figure(ex.xy, ex.errors, ds.meta, colour, ds.label, height=MAP_HEIGHT)
    fig.update_layout(showlegend=False, title=dict(text=e.name, font=dict(size=13)))
    return fig


def picked_rows(ws: Workspace, keys: list[str]) -> np.ndarray | None:
    """The rows picked on any of the maps: what the last selection callback stored, else a selection the
    maps hold (a page drawn from the charts' state, as under AppTest)."""
    rows = ws.cache.get((ws.version, "compare rows"))
    if rows is not None:
        return rows
    for key in keys:
        picked = point_ids(((st.session_state.get(key) or {}).get("selection") or {}).get("points") or [])
        if picked:
            return np.unique(np.asarray(picked, dtype=np.int64))
    return None


def compare_maps(ws: Workspace, chosen: list[int]) -> None:
    ds = ws.dataset
    rows = picked_rows(ws, [f"cmp_map_{i}_{ws.version}" for i in chosen])
    colour = ds.label or ERROR_COLUMN
    cols = st.columns(len(chosen))
    for col, i in zip(cols, chosen, strict=True):
        e = ws.entries[i]
        ex = e.exploration
        fig = derived(e, ("map", colour), lambda e=e: small_map(e, colour))
        if rows is not None:
            fig = with_highlight(fig, ex.xy, rows, f"{len(rows)} picked")
        key = f"cmp_map_{i}_{ws.version}"
        col.plotly_chart(fig, key=key, on_select=lambda key=key: on_compare_select(key),
                         selection_mode=("points", "box", "lasso"), config={"displaylogo": False})


@st.fragment(key="compare")
def compare_panel() -> None:
    ws = get_ws()
    if len(ws.entries) < 2:
        st.info("Train a second model of this data (another model or latent size, then Train) and the models "
                "appear here side by side. Every model trained in this session is kept, up to "
                f"{MAX_MODELS}.")
        return
    ds = ws.dataset
    options = list(range(len(ws.entries)))
    c1, c2 = st.columns([3, 2])
    chosen = c1.multiselect("Models to compare", options, default=options[-SHOWN_MAPS:], key=f"cmp_{ws.version}",
                            persist_state="page",
                            format_func=lambda i: f"#{i + 1} {ws.entries[i].name}")
    anomalous = []
    if ds.label:
        values = category_order(category_values(ds.meta[ds.label]))
        anomalous = c2.multiselect(f"Which '{ds.label}' values are anomalies?", values, key=f"cmp_anom_{ws.version}",
                                   persist_state="page",
                                   help="With known anomalies, each model's AUROC says how well its error finds them.")
    if len(chosen) < 2:
        st.caption("Choose two or more models.")
        return
    st.dataframe(metrics(ws, chosen, anomalous), hide_index=True)
    st.caption("Test error: reconstruction MSE on each model's held-out rows, beside PCA's at the same latent "
               "size. Map trustworthiness (scikit-learn, 2,000 rows, 10 neighbours): 1 means every neighbourhood "
               "on the map exists in the codes. Agreement: the share of each row's 10 nearest rows in latent "
               "space that the first model also puts among its 10 nearest (1,000 rows).")
    st.markdown("**Their maps** · pick a point, a box or a lasso on one: the same rows are ringed on all")
    compare_maps(ws, chosen[:SHOWN_MAPS])
    if len(chosen) > SHOWN_MAPS:
        st.caption(f"The maps of the first {SHOWN_MAPS} chosen models.")
