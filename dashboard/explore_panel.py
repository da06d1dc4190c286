"""The heart of the app: the latent map (fragment "map", with colour and search) and the inspector
beside it (fragment "inspector": the views of what was picked, in dashboard/views/, under the point-view
bar, fragment "point_view_bar"). A click on the map runs `on_map_select`, which records the pick and
reruns only the inspector: the map is not rebuilt or re-sent, so the clicked point stays highlighted by
Plotly's own selection styling. A search or "ring the neighbours" changes the figure (one small trace on
top of the cached map)."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import streamlit as st

from aecore.errors import AecoreError
from aecore.explore import STORED_NOTE
from aecore.projection import NeighbourBlend
from aecore.search import find_rows

from . import big_map, timing
from .figures import ERROR_COLUMN, GRID_ID, Overlay, colouring, drawn_rows, map_figure, with_overlays, with_pick
from .guard import guarded, guarded_fragment
from .state import Highlight, Pick, Workspace, get_ws
from .views import compression, denoise, neighbours, new_data, reconstruction, selection, traversal, walk

MAP_KEY = "latent_map"
COLOURABLE = 1_000  # text columns with more distinct values (names, ids) are not offered as colours
FIND_PREFIX = "matches for"
LISTED = 500        # search matches ringed and listed (the total is always said)


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
    shapes = big_map.geometry(selection)
    if multi and shapes and ws.exploration is not None and big_map.sampled(ws.dataset.n):
        # The browser holds a sample: the box or lasso selects from every row, here.
        ws.selection = rows_inside(ws, shapes)
        return True
    if multi:  # training rows only: new data placed on the map is not part of the data's selection
        rows = [r for r in rows if ws.dataset is None or r < ws.dataset.n]
        ws.selection = np.unique(np.asarray(rows, dtype=np.int64)) if rows else None
        return True
    ws.selection = None
    if rows:
        ws.pick = Pick(row=rows[0])
    else:
        ws.pick = Pick(x=float(points[0]["x"]), y=float(points[0]["y"]))
    return True


def rows_inside(ws: Workspace, shapes: list) -> np.ndarray | None:
    """Every row inside the selection's shapes (None when none is), computed once per shape: a fragment
    rerun hands the same selection back."""
    xy = ws.exploration.xy
    order = ws.cached("y order", lambda: big_map.y_order(xy))
    rows = ws.cached(("rows inside", repr(shapes)), lambda: big_map.rows_in(xy, shapes, order))
    return rows if len(rows) else None


def map_key(ws: Workspace) -> str:
    """One chart state per model version, so a new map never inherits the old map's selection."""
    return f"{MAP_KEY}_{ws.version}"


def on_map_select() -> None:
    """Every selection event reruns the inspector alone, never the map. A click is drawn by Plotly's own
    selection styling; an emptied selection (Plotly's double-click, which also resets the zoom) changes
    nothing to draw. Left to Streamlit's default, the event would rerun the map's fragment: the figure
    re-sent, and the chart and its WebGL contexts re-created in the browser (ARCHITECTURE.md, "What a
    click costs")."""
    ws = get_ws()
    started = time.perf_counter()
    if apply_selection(ws, st.session_state.get(map_key(ws))):
        ws.click_started = started
    st.rerun("inspector")


def colour_options(ws: Workspace) -> list[str]:
    """The label first, then the error, then every column that can colour: numbers, and text with up to
    COLOURABLE distinct values and some repeated (beyond that a column is names or ids: colour says nothing),
    less columns of one value (the width of images all one size). Worked out once per model."""
    def options() -> list[str]:
        meta = ws.dataset.meta
        opts = [ws.dataset.label] if ws.dataset.label else []
        opts.append(ERROR_COLUMN)
        for col in meta.columns:
            if col in opts or col == "file":
                continue
            distinct = meta[col].nunique()
            if pd.api.types.is_numeric_dtype(meta[col]):
                colours = distinct > 1
            else:  # text: some values shared, and not too many (111 car names, one per row, are names)
                colours = 1 < distinct <= COLOURABLE and distinct < meta[col].count()
            if colours:
                opts.append(col)
        return opts

    return ws.cached("colour options", options)


def on_match_select() -> None:
    """A row picked in the search results becomes the pick, as if clicked on the map."""
    ws = get_ws()
    state = st.session_state.get(f"matches_{ws.version}")
    picked = (state or {}).get("selection", {}).get("rows") or []
    if picked and ws.highlight is not None:
        ws.pick, ws.selection = Pick(row=int(ws.highlight.rows[picked[0]])), None
        st.rerun("inspector")


def find_panel(ws: Workspace, query: str) -> None:
    """Matches of the search box, ringed on the map and listed; a search replaces the highlight."""
    if not query.strip():
        if ws.highlight is not None and ws.highlight.name.startswith(FIND_PREFIX):
            ws.highlight = None
        return
    try:
        found = find_rows(ws.dataset.meta, query, limit=LISTED)
    except AecoreError as exc:
        st.error(str(exc))
        return
    if not found.total:
        st.caption(f"No row matches '{query}'.")
        ws.highlight = None
        return
    name = f"{FIND_PREFIX} '{query}' ({found.total:,})"
    new_search = ws.highlight is None or ws.highlight.name != name
    ws.highlight = Highlight(found.rows, name)
    if new_search and found.total == 1 and ws.pick.row != int(found.rows[0]):
        # One match is the row looked for: the inspector shows it (a full run: the inspector is not in this
        # fragment; once, as the same search again is no new search).
        ws.pick, ws.selection = Pick(row=int(found.rows[0])), None
        st.rerun(scope="app")
    shown = "" if found.total == len(found.rows) else f" (the first {len(found.rows):,} are ringed and listed)"
    st.caption(f"{found.total:,} row(s) match '{query}' by {found.how}{shown}. Pick one in the list to inspect it."
               if found.total > 1 else f"1 row matches '{query}' by {found.how}: it is in the inspector.")


@st.fragment(key="map")
@guarded_fragment("map")
def map_panel() -> None:
    ws = get_ws()
    ex = ws.exploration
    top = st.columns([2, 3])
    colour_by = top[0].selectbox("Colour by", colour_options(ws), key=f"colour_by_{ws.version}", persist_state="page")
    query = top[1].text_input("Find rows", key=f"find_{ws.version}", persist_state="page",
                              placeholder="row id, file name, any value, or column:value",
                              help="Matches are ringed on the map and listed under it.")
    find_panel(ws, query)
    fig = ws.cached(("map", colour_by),
                    lambda: map_figure(ex.xy, ex.errors, ws.dataset.meta, colour_by, ws.dataset.label,
                                       name_column=ws.dataset.name_column))
    rows, drawn = drawn_rows(fig)
    # One caption: how the map was made and what it draws (each element on the page costs every click a
    # render, ARCHITECTURE.md "What a click costs").
    drawing = (f"{big_map.describe(rows, drawn)} Click a point, or empty space to decode it." if drawn < rows else
               "Click a point, or empty space to decode it; drag with box/lasso (toolbar) to select many.")
    st.caption(f"{ws.dataset.n:,} points · {ex.map_note or STORED_NOTE} {drawing}")
    note = ws.cached(("colour note", colour_by), lambda: colouring(ws.dataset.meta, ex.errors, colour_by).note)
    if note:
        st.caption(note)
    # A map drawn anew marks the pick (a click never pays for it: it reruns the inspector alone); a box or
    # lasso selection replaces the pick in the inspector, so then nothing is marked.
    if ws.pick.row is not None and ws.selection is None:
        fig = with_pick(fig, ws.pick.row)
    drawn = overlays(ws)
    if drawn:
        fig = with_overlays(fig, drawn, ws.dataset.n)
    event = st.plotly_chart(fig, key=map_key(ws), on_select=on_map_select, selection_mode=("points", "box", "lasso"),
                            config={"scrollZoom": True, "displaylogo": False})
    apply_selection(ws, event)  # AppTest and first renders: the returned state, same rule
    if ws.highlight is not None:
        highlight_list(ws)
    new_data.panel(ws)


def overlays(ws: Workspace) -> list[Overlay]:
    """What is drawn over the map: new data where it falls, generated codes where they fall, the ring."""
    ex = ws.exploration
    drawn = []
    placed = new_data.placement(ws)
    if placed is not None:
        ids = ws.dataset.n + np.arange(len(placed.xy))
        drawn.append(Overlay(f"new: {ws.new_data.name} ({len(ids):,})", placed.xy, ids, "new"))
    for g in ws.generated:
        xy = code_to_map(ws).many(g.codes)
        drawn.append(Overlay(g.name, xy, np.full(len(xy), GRID_ID), g.style))
    if ws.highlight is not None:
        rows = ws.highlight.rows
        drawn.append(Overlay(ws.highlight.name, ex.xy[rows], rows))
    return drawn


def code_to_map(ws: Workspace) -> NeighbourBlend:
    """Codes -> map positions by their nearest training codes (built once per model)."""
    ex = ws.exploration
    return ws.cached("code_to_map", lambda: NeighbourBlend(ex.codes, ex.xy))


def clear_highlight() -> None:
    """Before the map reruns: no ring, and an empty search box (which would ring its matches again)."""
    ws = get_ws()
    ws.highlight = None
    st.session_state[f"find_{ws.version}"] = ""


def highlight_list(ws: Workspace) -> None:
    h = ws.highlight
    c1, c2 = st.columns([4, 1])
    c1.caption(f"Ringed on the map: {h.name}.")
    c2.button("Clear", key="highlight_clear", width="stretch", on_click=clear_highlight)
    if h.name.startswith(FIND_PREFIX):
        rows = h.rows[:LISTED]
        table = ws.dataset.meta.iloc[rows].copy()
        table.insert(0, "row", rows)
        st.dataframe(table, hide_index=True, height=200, key=f"matches_{ws.version}", on_select=on_match_select,
                     selection_mode="single-row")


POINT_VIEWS = {"Reconstruction": reconstruction.render, "Neighbours": neighbours.render,
               "Traversal": traversal.render, "Walk": walk.render, "Denoise": denoise.render,
               "Compression": compression.render}
POINT_VIEW_KEY = "point_view"
DEFAULT_POINT_VIEW = "Reconstruction"


def on_point_view() -> None:
    st.rerun("inspector")


@st.fragment(key="point_view_bar")
def point_view_bar() -> None:
    """Which question the inspector answers about a picked point. Its own fragment above the inspector: a
    click on the map reruns the inspector without redrawing this control, and a change here reruns the
    inspector alone."""
    st.segmented_control("Point view", list(POINT_VIEWS), key=POINT_VIEW_KEY, persist_state="page",
                         default=DEFAULT_POINT_VIEW, required=True, label_visibility="collapsed",
                         on_change=on_point_view,
                         help="What to ask about a picked point (a box, a lasso or a decoded spot has a view of "
                              "its own).")


def point_views(ws: Workspace, row: int) -> None:
    """The picked row under the view chosen in point_view_bar; only that view is computed."""
    st.markdown(reconstruction.header(ws, row))
    name = st.session_state.get(POINT_VIEW_KEY) or DEFAULT_POINT_VIEW
    guarded(name, lambda: POINT_VIEWS[name](ws, row))


@st.fragment(key="inspector")
@guarded_fragment("inspector")
def inspector_panel() -> None:
    ws = get_ws()
    if ws.selection is not None and len(ws.selection):
        selection.render(ws, ws.selection)
    elif ws.pick.row is not None and ws.pick.row < ws.dataset.n:
        point_views(ws, ws.pick.row)
    elif ws.pick.row is not None and new_data.placement(ws) is not None:
        new_data.render_row(ws, ws.pick.row - ws.dataset.n)
    elif ws.pick.x is not None:
        reconstruction.render_location(ws, ws.pick.x, ws.pick.y)
    else:
        st.markdown("**Click a point on the map**")
        st.caption("You will see that row beside its reconstruction, its nearest neighbours, a traversal of each "
                   "latent dimension, how it denoises and what its code costs (pick one above). Click empty space "
                   "to see what the decoder makes of that spot; use box or lasso to select a group.")
    if ws.click_started is not None:  # server-side cost of a click: callback to inspector rendered
        timing.record("click", ms=1000 * (time.perf_counter() - ws.click_started), n=ws.dataset.n,
                      row=ws.pick.row, decode=ws.pick.row is None)
        ws.click_started = None


# The map's share of the page beside the inspector's. A table's row is a table of features, names and
# values (such as "excellent (p=0.93)") that were cut off at two fifths of the page; images fit in less.
SPLIT = {"image": [3, 2], "table": [1, 1]}


def explore_view(ws: Workspace) -> None:
    left, right = st.columns(SPLIT[ws.dataset.kind], gap="medium")
    with left:
        map_panel()
    with right, st.container(border=True):
        point_view_bar()
        inspector_panel()
