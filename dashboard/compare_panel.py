"""The models of this data side by side: one table (held-out error beside PCA's at each model's latent
size, anomaly AUROC for the label values the user names, training time, how faithful each map is to its
codes, how much each model agrees with the first on who is near whom) and their maps next to each other
with linked selection: a point, box or lasso picked on one is ringed on all (a box or lasso on a map that draws
a sample picks every row inside it, as on the Explore map). Also the bar above the views
that lists the kept models, switches between them without retraining, and removes them."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from aecore.anomaly import anomaly_mask, auroc
from aecore.baseline import ratio_text
from aecore.compare import map_trustworthiness, neighbour_agreement
from aecore.dataset import category_values

from . import big_map
from .figures import ERROR_COLUMN, GRID_ID, category_order, colour_key, map_figure, with_highlight
from .guard import guarded_fragment
from .state import MAX_MODELS, ModelEntry, Workspace, get_ws

SHOWN_MAPS = 3      # maps drawn side by side at most (the table takes every chosen model)
RING_MAX = big_map.MAP_SAMPLE  # picked rows ringed on each map at most (as many as a big map draws)
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
               "vs PCA": ratio_text(c.ratio) if c and c.ratio is not None else ("exact" if c else ""),
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


def selected_rows(selection: dict, xy: np.ndarray) -> np.ndarray | None:
    """The rows a selection on one map picks: its points, or, on a map that draws a sample, every row
    inside its box or lasso (as on the Explore map). None when it picks nothing."""
    shapes = big_map.geometry(selection)
    if shapes and big_map.sampled(len(xy)):
        rows = big_map.rows_in(xy, shapes)
    else:
        rows = np.asarray(point_ids(selection.get("points") or []), dtype=np.int64)
    return np.unique(rows) if len(rows) else None


def chart_selection(key: str) -> dict:
    """The selection a map's chart holds (empty when none)."""
    return (st.session_state.get(key) or {}).get("selection") or {}


def on_compare_select(key: str, xy: np.ndarray) -> None:
    ws = get_ws()
    rows = selected_rows(chart_selection(key), xy)
    if rows is not None:
        ws.cache[(ws.version, "compare rows")] = rows


def ringed(rows: np.ndarray) -> tuple[np.ndarray, str]:
    """The picked rows to ring on each map and the ring's name: at most RING_MAX of them (a seeded sample),
    so a box over a million-row map does not send a million rings."""
    if len(rows) <= RING_MAX:
        return rows, f"{len(rows):,} picked"
    shown = np.sort(np.random.default_rng(0).choice(rows, RING_MAX, replace=False))
    return shown, f"{len(rows):,} picked ({RING_MAX:,} ringed)"


def small_map(e: ModelEntry, colour: str):
    ds = get_ws().dataset
    ex = e.exploration
    fig = map_figure(ex.xy, ex.errors, ds.meta, colour, ds.label, height=MAP_HEIGHT)
    fig.update_layout(showlegend=False, title=dict(text=e.name, font=dict(size=13)))
    return fig


def picked_rows(ws: Workspace, maps: dict[str, np.ndarray]) -> np.ndarray | None:
    """The rows picked on any of the maps (chart key -> its xy): what the last selection callback stored,
    else a selection the maps hold (a page drawn from the charts' state, as under AppTest)."""
    rows = ws.cache.get((ws.version, "compare rows"))
    if rows is not None:
        return rows
    for key, xy in maps.items():
        rows = selected_rows(chart_selection(key), xy)
        if rows is not None:
            return rows
    return None


def compare_maps(ws: Workspace, chosen: list[int]) -> None:
    ds = ws.dataset
    maps = {f"cmp_map_{i}_{ws.version}": ws.entries[i].exploration.xy for i in chosen}
    rows = picked_rows(ws, maps)
    colour = ds.label or ERROR_COLUMN
    key = ws.cached(("colour key", colour), lambda: colour_key(ds.meta, ws.exploration.errors, colour))
    st.markdown(key, unsafe_allow_html=True)  # the maps' legend
    cols = st.columns(len(chosen))
    for col, i, (key, xy) in zip(cols, chosen, maps.items(), strict=True):
        e = ws.entries[i]
        fig = derived(e, ("map", colour), lambda e=e: small_map(e, colour))
        if rows is not None:
            fig = with_highlight(fig, xy, *ringed(rows))
        col.plotly_chart(fig, key=key, on_select=lambda key=key, xy=xy: on_compare_select(key, xy),
                         selection_mode=("points", "box", "lasso"), config={"displaylogo": False})


@st.fragment(key="compare")
@guarded_fragment("Compare")
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
