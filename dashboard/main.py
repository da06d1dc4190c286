"""Page wiring: sidebar (data, training), the header, the live training panel, and the views (Explore,
Compare, Anomalies, Training, Data, Export), one shown at a time."""
from __future__ import annotations

import gc
import threading
import time

import streamlit as st

from aecore.estimator import warm_up as warm_up_torch
from aecore.projection import warm_up as warm_up_umap

from . import big_map, timing
from .anomaly_panel import anomaly_panel
from .compare_panel import compare_panel, models_bar
from .data_panel import data_sidebar, open_default, table_setup
from .explore_panel import explore_view
from .guard import guarded
from .info_panels import data_view, export_view, training_view
from .pool import shared_pool
from .state import MAP_VIEW, VIEW_KEY, Workspace, get_ws
from .training_panel import train_sidebar, training_progress


def warm_up() -> None:
    """Pay PyTorch's start-up costs and compile UMAP (its exact-neighbour way, what every map the app
    fits uses: projection.EXACT_KNN_ROWS) and Datashader, then move every object alive by then (the
    libraries' ~700,000) out of the garbage collector's reach with gc.freeze(): a full collection walked
    them all, holding every session's clicks and training for about half a second now and then."""
    started = time.perf_counter()
    warm_up_torch()
    warm_up_umap(exact=True)
    big_map.warm_up()  # Datashader's compile: the first map over 20,000 rows does not wait for it
    gc.freeze()
    timing.record("warm_up", seconds=time.perf_counter() - started)


@st.cache_resource(show_spinner=False)
def start_warm_up() -> threading.Thread:
    """warm_up, once per server process, in the background, before anyone trains or needs a new map."""
    thread = threading.Thread(target=warm_up, name="warm-up", daemon=True)
    thread.start()
    return thread


# Streamlit's wide layout starts the page 6rem down: on a 768 px high laptop screen the map began below the
# fold. A style element takes no room on the page.
PAGE_TOP = "<style>[data-testid='stMainBlockContainer'] { padding-top: 2.5rem; }</style>"


def header(ws: Workspace) -> None:
    st.html(PAGE_TOP)
    st.title("Latent explorer")
    if ws.ready:
        ds, m = ws.dataset, ws.model
        st.markdown(f"**{ws.source}** · {ds.n:,} rows · **{m.model}** autoencoder, latent size "
                    f"{m.config_.latent_dim}" + (f" · {ws.comparison.summary()}" if ws.comparison else ""))
    st.caption("Click any point to see it beside its reconstruction, or empty space to decode that spot. "
               "Bring your own data in the sidebar: it trains in seconds.")


def show_notice(ws: Workspace) -> None:
    if ws.notice:
        kind, text = ws.notice
        {"error": st.error, "warning": st.warning, "success": st.success}[kind](text)
        ws.notice = None


def main() -> None:
    shared_pool()  # the process's training slots and PyTorch threads, set once
    start_warm_up()
    ws = get_ws()
    if ws.dataset is None and ws.job is None:
        open_default(ws)
    data_sidebar(ws)
    train_sidebar(ws)
    header(ws)
    show_notice(ws)
    if ws.job is not None:
        training_progress()
    if ws.pending_table is not None:
        table_setup()
    if not ws.ready:
        st.info("Training the first model… the map appears here when it is ready.")
        return
    models_bar(ws)
    views = {MAP_VIEW: lambda: explore_view(ws), "Compare": compare_panel, "Anomalies": anomaly_panel,
             "Training": lambda: training_view(ws), "Data": lambda: data_view(ws), "Export": lambda: export_view(ws)}
    # One view at a time, picked above it, not st.tabs: tabs re-render and walk the DOM inside them on every
    # change within them, which about doubled the time from a click on the map to the inspector showing
    # the row (ARCHITECTURE.md, "What a click costs"). Only the chosen view runs.
    name = st.segmented_control("View", list(views), key=VIEW_KEY, default=MAP_VIEW, required=True,
                                label_visibility="collapsed", persist_state="page")
    guarded(name, views[name])

