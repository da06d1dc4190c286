"""Plotly figures: the latent map (with its highlight overlay), the loss curve, the error histogram and
the compression curve. The map is built once per model version and colour (cached in the Workspace)
because serialising it is the expensive part of a rerun; a highlight adds one small trace to it."""
from __future__ import annotations

import html
from dataclasses import dataclass

import colorcet
import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go

from aecore.dataset import DAY_SECONDS, MISSING, category_values, numeric_values
from aecore.describe import fmt
from aecore.tables import looks_like_dates

from . import big_map

GRID = 61            # invisible grid points per side: any click on empty space lands on one
# Plotly gives a click to the nearest point of any trace, by centre: a node near a drawn point would take
# the clicks on part of that point's marker. Nodes within this many grid cells (on each axis, counted
# from the point's nearest node) of a drawn point are left out, so a click on a point picks the point.
GRID_CLEAR = 1
GRID_ID = -1         # customdata of grid points (data points carry their row id >= 0)
# A numeric column with at most this many distinct values is coloured as categories (digit labels 0-9,
# a 1-5 rating); above it, with a colour scale.
NUMERIC_AS_CATEGORIES = 30
MAX_COLOURS = 100
# A colour lighter than this relative luminance is hard to see as a small marker on the white page.
MAX_LUMINANCE = 0.5
NEAR_RGB = 40  # colours closer than this (Euclidean, 0-255 per channel) read as one


def luminance(colour: str) -> float:
    """Relative luminance (WCAG) of a '#rrggbb' colour: 0 black, 1 white."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
              for c in (v / 255 for v in plotly.colors.hex_to_rgb(colour))]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def legible_palette(*palettes: list[str], size: int = MAX_COLOURS) -> list[str]:
    """The colours of the palettes in order, less those too light for a white page and those too near one
    already taken, up to `size`."""
    taken: list[str] = []
    for colour in (c for p in palettes for c in p):
        rgb = np.array(plotly.colors.hex_to_rgb(colour), dtype=float)
        near = any(np.linalg.norm(rgb - np.array(plotly.colors.hex_to_rgb(t))) < NEAR_RGB for t in taken)
        if luminance(colour) <= MAX_LUMINANCE and not near:
            taken.append(colour)
        if len(taken) == size:
            break
    return taken


# Distinct colours for categories: Glasbey's palettes (colorcet), built for telling many categories apart,
# starting with the ten familiar category10 colours, topped up from the dark Glasbey palette for the pale
# ones left out (62 glyph classes showed E, L and O in near-white). Above MAX_COLOURS categories the most
# common MAX_COLOURS - 1 keep a colour and the rest share OTHER_COLOUR.
PALETTE = legible_palette(colorcet.palette["glasbey_category10"], colorcet.palette["glasbey_dark"])
OTHER_COLOUR = "#c7c7c7"
MISSING_COLOUR = "#8c8c8c"
# Colour scales span the 1st to 99th percentile, so a few outliers cannot paint the map one colour.
SCALE_PERCENTILES = (1.0, 99.0)
# Marker size by point count: big enough to click when few, small enough not to blot each other out.
POINT_SIZES = ((2_000, 7), (20_000, 5), (float("inf"), 3))
# Selected points grow by this much: a clicked point stands out among the dimmed rest, and the hundreds a box
# selects do not merge into one blot (at 9, 456 selected digits covered the box and the map under it).
SELECTED_GROWTH = 4
HIGHLIGHT_COLOUR = "#e41a1c"
RING_COLOUR = "#111111"  # no category's colour (a red ring read as category 4's red points)
VIRIDIS = plotly.colors.sequential.Viridis  # the traces' colour scale, for the density image too
ERROR_COLUMN = "reconstruction error"


@dataclass(frozen=True)
class Colouring:
    """How a column colours the map: as categories (labels as text, most common first when capped) or
    as numbers on a scale."""
    kind: str                      # "category" | "number" | "none"
    values: np.ndarray | None      # str labels (n,) or float (n,)
    categories: list[str]          # the categories that get their own colour, in legend order
    note: str = ""                 # what a person should know (capped categories, clipped scale)
    dates: bool = False            # numbers that are dates (seconds since 1970): the scale and hover read dates


def category_order(values: np.ndarray) -> list[str]:
    """Numbers in numeric order, else text in alphabetical order; the missing category last."""
    cats = [c for c in pd.unique(values) if c != MISSING]
    try:
        cats = sorted(cats, key=float)
    except ValueError:
        cats = sorted(cats)
    return cats + ([MISSING] if (values == MISSING).any() else [])


def colouring(meta: pd.DataFrame, errors: np.ndarray, colour_by: str) -> Colouring:
    if colour_by == ERROR_COLUMN:
        return Colouring("number", np.asarray(errors, dtype=np.float64), [])
    if colour_by not in meta.columns:
        return Colouring("none", None, [])
    col = meta[colour_by]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col) \
            and col.nunique() > NUMERIC_AS_CATEGORIES:
        return Colouring("number", col.to_numpy(dtype=np.float64, na_value=np.nan), [])
    if col.nunique() > NUMERIC_AS_CATEGORIES and is_dates(col):  # a time line, not hundreds of categories
        return Colouring("number", numeric_values(col, "datetime"), [], dates=True)
    values = category_values(col)
    cats = category_order(values)
    if len(cats) <= MAX_COLOURS:
        return Colouring("category", values, cats)
    counts = pd.Series(values).value_counts()
    kept = set(counts.index[: MAX_COLOURS - 1])
    note = (f"'{colour_by}' has {len(cats):,} values: the {MAX_COLOURS - 1} most common have their own colour, "
            "the rest are grey. Find one with the search box above the map.")
    return Colouring("category", values, [c for c in cats if c in kept], note)


def is_dates(col: pd.Series) -> bool:
    """Dates or times: a datetime column, or text the loader would read as dates (tables.looks_like_dates)."""
    if pd.api.types.is_datetime64_any_dtype(col):
        return True
    present = col.dropna()
    return (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)) and len(present) > 0 \
        and looks_like_dates(present.astype(str).str.strip())


def as_dates(seconds) -> list[str]:
    """Seconds since 1970 as the dates a person reads (describe.fmt: a day, or a day and a time)."""
    return [fmt(t) for t in pd.to_datetime(np.asarray(seconds, dtype=np.float64), unit="s", utc=True)]


DATE_TICKS = 5  # labelled dates on a date colour bar


def point_size(n: int) -> int:
    return next(size for limit, size in POINT_SIZES if n < limit)


def grid_nodes(xy: np.ndarray, drawn: np.ndarray) -> np.ndarray:
    """(k, 2) nodes of a GRID x GRID lattice over the map of `xy` (5% margin), less those within GRID_CLEAR
    cells of a `drawn` point: what is left is the empty space."""
    lo, hi = big_map.extent(xy)
    cell = (hi - lo) / (GRID - 1)
    near = np.clip(np.rint((np.asarray(drawn, dtype=np.float64) - lo) / cell), 0, GRID - 1).astype(np.intp)
    taken = np.zeros((GRID + 2 * GRID_CLEAR, GRID + 2 * GRID_CLEAR), dtype=bool)  # [y, x], padded
    for dy in range(2 * GRID_CLEAR + 1):
        for dx in range(2 * GRID_CLEAR + 1):
            taken[near[:, 1] + dy, near[:, 0] + dx] = True
    gy, gx = np.nonzero(~taken[GRID_CLEAR : GRID_CLEAR + GRID, GRID_CLEAR : GRID_CLEAR + GRID])
    return np.column_stack([lo[0] + gx * cell[0], lo[1] + gy * cell[1]]).astype(np.float32)


def grid_trace(xy: np.ndarray, drawn: np.ndarray) -> go.Scattergl:
    """An invisible lattice over the empty space of the map (grid_nodes): clicking there selects its
    nearest node, which the selection style then shows as a cross."""
    nodes = grid_nodes(xy, drawn)
    return go.Scattergl(
        x=nodes[:, 0], y=nodes[:, 1], mode="markers", name="decode here", showlegend=False,
        customdata=np.full(len(nodes), GRID_ID, dtype=np.int32),
        marker=dict(size=7, opacity=0.0, color="#111", symbol="x-thin", line=dict(width=1.5, color="#111")),
        # A clicked node shows as a thin cross. A box or lasso selects every node inside it too: thin, faint
        # crosses on a coarse grid shade that area lightly instead of blacking it out.
        selected=dict(marker=dict(opacity=0.4, size=7)), unselected=dict(marker=dict(opacity=0.0)),
        hovertemplate="decode (%{x:.2f}, %{y:.2f})<extra></extra>")


KEY_CATEGORIES = 12  # a colour key names this many categories, then counts the rest


def colour_key(meta: pd.DataFrame, errors: np.ndarray, colour_by: str) -> str:
    """One line of HTML that says what the colours of maps drawn without a legend mean (the Compare view's
    small maps): a dot of each category's colour before its name, or the scale's ends."""
    c = colouring(meta, errors, colour_by)
    if c.kind == "number":
        return f"Colour: <b>{html.escape(colour_by)}</b>, from dark purple (low) to yellow (high)."
    if c.kind != "category":
        return ""
    colours, other = category_colours(c)
    dots = [f"<span style='color:{colour}'>●</span>&nbsp;{html.escape(str(cat))}"
            for cat, colour in list(colours.items())[:KEY_CATEGORIES]]
    rest = len(colours) - KEY_CATEGORIES + (1 if other else 0)
    more = f" and {rest:,} more" if rest > 0 else ""
    return f"Colour: <b>{html.escape(colour_by)}</b> · " + " &nbsp; ".join(dots) + more


def category_colours(c: Colouring) -> tuple[dict[str, str], str | None]:
    """Each kept category's colour, in legend order, and the name of the grey 'other' group (None when
    every category has a colour)."""
    colours = {cat: PALETTE[i % len(PALETTE)] if cat != MISSING else MISSING_COLOUR
               for i, cat in enumerate(c.categories)}
    shown = set(c.categories)
    if len(shown) >= len(set(c.values)):
        return colours, None
    rest = len(set(c.values[~np.isin(c.values, list(shown))]))
    return colours, f"other ({rest:,} values)"


def category_traces(xy, ids, c: Colouring, colour_by: str, size: int, sel, unsel,
                    names: np.ndarray | None = None) -> list[go.Scattergl]:
    """One trace per category over the rows `ids` (every row, or a big map's sample); `names`: each row's
    name for the hover."""
    traces = []
    colours, other = category_colours(c)
    values = c.values[ids]
    groups = [(cat, values == cat, colour) for cat, colour in colours.items()]
    if other is not None:
        groups.append((other, ~np.isin(values, list(colours)), OTHER_COLOUR))
    for name, mask, colour in groups:
        rows = ids[mask]
        named = None if names is None else names[rows]
        if name.startswith("other"):  # many values in one trace: each point says its own
            text, tail = joined(c.values[rows], named), "%{text}"
        else:
            text, tail = named, name + ("" if named is None else "<br>%{text}")
        traces.append(go.Scattergl(
            x=xy[rows, 0], y=xy[rows, 1], mode="markers", name=str(name), customdata=rows, text=text,
            marker=dict(size=size, color=colour, opacity=0.8), selected=sel, unselected=unsel,
            hovertemplate=f"row %{{customdata}}<br>{colour_by}: {tail}<extra></extra>"))
    return traces


def joined(first: np.ndarray | None, second: np.ndarray | None) -> np.ndarray | None:
    """Two hover lines per point, either may be absent."""
    if first is None or second is None:
        return first if second is None else second
    return np.asarray([f"{a}<br>{b}" for a, b in zip(first, second, strict=True)], dtype=object)


def scale_span(values: np.ndarray) -> tuple[float, float]:
    """The colour scale's span: the 1st to 99th percentile of the finite values (of every row)."""
    finite = np.isfinite(values)
    lo, hi = np.percentile(values[finite], SCALE_PERCENTILES) if finite.any() else (0.0, 1.0)
    if hi <= lo:
        lo, hi = float(np.min(values[finite], initial=0.0)), float(np.max(values[finite], initial=1.0))
    return float(lo), float(hi)


def cut_text(text: str, chars: int) -> str:
    """Text of at most `chars` characters, an ellipsis ending what was cut."""
    return text if len(text) <= chars else text[: chars - 1] + "…"


COLOURBAR_CHARS = 12  # a colour bar's title, cut beyond this (longer ran off the plot: "reconstruction err")


def short(name: str) -> str:
    """A column's name as a colour bar's title."""
    if name == ERROR_COLUMN:
        return "error"
    return cut_text(name, COLOURBAR_CHARS)


def number_trace(xy, ids, c: Colouring, colour_by: str, size: int, sel, unsel, hover_label) -> list[go.Scattergl]:
    """One trace on a colour scale over the rows `ids` (missing values grey); the scale spans every row."""
    lo, hi = scale_span(c.values)
    values = c.values[ids]
    finite = np.isfinite(values)
    hover_label = None if hover_label is None else hover_label[ids]
    # Ticks as plain numbers: Plotly's default SI prefixes wrote an error of 3.5e-8 as "35n".
    colorbar = dict(title=dict(text=f"{short(colour_by)}<br><sub>1st–99th pct</sub>"), thickness=12, tickformat=".3~g")
    text = None if hover_label is None else hover_label[finite]
    shown = f"<br>{colour_by}: %{{marker.color:.4g}}"
    if c.dates:  # the scale and the hover in dates, not seconds since 1970
        ticks = np.linspace(lo, hi, DATE_TICKS)
        every = c.values[np.isfinite(c.values)]
        if (every % DAY_SECONDS == 0).all():  # a column of days: ticks on days, read without a time
            ticks = np.round(ticks / DAY_SECONDS) * DAY_SECONDS
        colorbar.update(tickvals=ticks, ticktext=as_dates(ticks))
        dates = [f"{colour_by}: {d}" for d in as_dates(values[finite])]
        text = np.asarray(dates if text is None else [f"{t}<br>{d}" for t, d in zip(text, dates, strict=True)])
        shown = ""
    template = "row %{customdata}" + ("" if text is None else "<br>%{text}") + shown
    traces = [go.Scattergl(
        x=xy[ids[finite], 0], y=xy[ids[finite], 1], mode="markers", name="rows", customdata=ids[finite],
        text=text, selected=sel, unselected=unsel, showlegend=False,
        marker=dict(size=size, opacity=0.8, color=values[finite].astype(np.float64 if c.dates else np.float32),
                    colorscale="Viridis", cmin=float(lo), cmax=float(hi), showscale=True, colorbar=colorbar),
        hovertemplate=template + "<extra></extra>")]
    if not finite.all():
        traces.append(go.Scattergl(
            x=xy[ids[~finite], 0], y=xy[ids[~finite], 1], mode="markers", name=MISSING, customdata=ids[~finite],
            marker=dict(size=size, color=MISSING_COLOUR, opacity=0.8), selected=sel, unselected=unsel,
            hovertemplate=f"row %{{customdata}}<br>{colour_by}: {MISSING}<extra></extra>"))
    return traces


NAME_HOVER_CHARS = 40  # a row's name in the map's hover, cut beyond this


def drawn_text(meta: pd.DataFrame, column: str | None, ids: np.ndarray, n: int,
               cut: int | None = None) -> np.ndarray | None:
    """A column's values as text for the drawn rows `ids` only (a big map draws a sample of a million), in
    an array over all n rows; cut beyond `cut` characters."""
    if not column or column not in meta:
        return None
    out = np.empty(n, dtype=object)
    values = category_values(meta[column].iloc[ids])
    out[ids] = values if cut is None else [cut_text(v, cut) for v in values]
    return out


def map_figure(xy: np.ndarray, errors: np.ndarray, meta: pd.DataFrame, colour_by: str, label: str | None,
               height: int = 560, name_column: str | None = None) -> go.Figure:
    """One Scattergl per category (legend), or one with a colour scale; row ids ride in customdata, and the
    hover names the row (`name_column`, Dataset.name_column) and its label.
    Above big_map.SAMPLE_ABOVE rows the traces hold a seeded sample (big_map.sample_rows) over a
    Datashader image of every row, coloured the same way; `drawn_rows(fig)` says which rows are drawn."""
    xy = np.asarray(xy, dtype=np.float32)
    n = len(xy)
    ids = big_map.sample_rows(errors) if big_map.sampled(n) else np.arange(n)
    ids = ids.astype(np.int32)
    size = point_size(len(ids))
    hover_label = drawn_text(meta, label, ids, n)
    names = drawn_text(meta, name_column, ids, n, cut=NAME_HOVER_CHARS)
    if hover_label is not None and names is not None:
        hover_label[ids] = joined(hover_label[ids], names[ids])
    elif names is not None:
        hover_label = names
    c = colouring(meta, errors, colour_by)
    sel = dict(marker=dict(size=size + SELECTED_GROWTH, opacity=1.0))
    unsel = dict(marker=dict(opacity=0.35))
    if c.kind == "category":
        traces = category_traces(xy, ids, c, colour_by, size, sel, unsel, names)
    elif c.kind == "number":
        traces = number_trace(xy, ids, c, colour_by, size, sel, unsel, hover_label)
    else:
        traces = [go.Scattergl(
            x=xy[ids, 0], y=xy[ids, 1], mode="markers", name="rows", customdata=ids,
            text=None if hover_label is None else hover_label[ids],
            marker=dict(size=size, opacity=0.8, color=PALETTE[0]), selected=sel, unselected=unsel, showlegend=False,
            hovertemplate="row %{customdata}" + ("" if hover_label is None else "<br>%{text}") + "<extra></extra>")]
    fig = go.Figure([grid_trace(xy, xy[ids]), *traces])
    # The view is the decode grid's extent and one cell, not Plotly's autorange (which pads further): every
    # empty spot in view is within a cell of a node, so a click there decodes it (Plotly keeps the plot's
    # bottom few pixels for itself: a node there could not be clicked). A double-click returns here.
    lo, hi = big_map.extent(xy)
    lo, hi = lo - (hi - lo) / (GRID - 1), hi + (hi - lo) / (GRID - 1)
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=34, b=10), dragmode="pan", clickmode="event+select",
        hovermode="closest",
        legend=legend_layout(c, colour_by),
        xaxis=dict(showgrid=False, zeroline=False, showticklabels=False, title=None, range=[lo[0], hi[0]]),
        yaxis=dict(showgrid=False, zeroline=False, showticklabels=False, title=None, range=[lo[1], hi[1]]),
        meta=dict(rows=n, drawn=len(ids)))
    if len(ids) < n:
        fig.add_layout_image(density(xy, c).layout_image())
    return fig


def legend_layout(c: Colouring, colour_by: str) -> dict:
    """Outside the plot area, so the legend never covers points (a click there would toggle a trace): at the
    right beside categories, under the plot when a colour bar holds the right (overlays such as a search's
    rings, and the missing values' grey, went over the colour bar)."""
    title = dict(text=f"{colour_by} ({len(c.categories)})" if c.categories else "")
    if c.kind == "number":
        return dict(itemsizing="constant", orientation="h", x=0.0, xanchor="left", y=0.0, yanchor="top", title=title)
    return dict(itemsizing="constant", y=1.0, yanchor="top", x=1.01, xanchor="left", title=title)


def density(xy: np.ndarray, c: Colouring) -> big_map.DensityImage:
    """Every row as a Datashader image, coloured as the traces are: by category, by the mean value on the
    same scale, or a plain density."""
    if c.kind == "category":
        colours, other = category_colours(c)
        values = c.values
        if other is not None:
            values = np.where(np.isin(values, list(colours)), values, other)
            colours = {**colours, other: OTHER_COLOUR}
        return big_map.density_image(xy, "category", values, colours)
    if c.kind == "number":
        return big_map.density_image(xy, "number", c.values, span=scale_span(c.values), cmap=VIRIDIS)
    return big_map.density_image(xy, "none", colour=PALETTE[0])


def drawn_rows(fig: go.Figure) -> tuple[int, int]:
    """(rows on the map, rows drawn as points): equal unless the map is a sample over a density image."""
    meta = fig.layout.meta or {}
    return int(meta.get("rows", 0)), int(meta.get("drawn", 0))


@dataclass(frozen=True)
class Overlay:
    """Points drawn over the map: rows ringed, new data placed on it, generated or decoded codes where
    they fall, a walk's path. ids ride in customdata: row ids (clickable as rows; new rows are numbered
    after the training rows), or GRID_ID for generated points (a click there decodes that spot)."""
    name: str
    xy: np.ndarray            # (m, 2)
    ids: np.ndarray           # (m,) int
    style: str = "ring"       # "ring" | "new" | "generated" | "path"


OVERLAY_STYLES = {
    "ring": lambda size: dict(mode="markers", marker=dict(size=size + 8, color="rgba(0,0,0,0)",
                                                            line=dict(color=RING_COLOUR, width=1.5))),
    "new": lambda size: dict(mode="markers", marker=dict(size=size + 3, symbol="diamond", color="#111111",
                                                           opacity=0.75, line=dict(color="white", width=0.5))),
    "generated": lambda size: dict(mode="markers", marker=dict(size=size + 7, symbol="star", color="#ff7f0e",
                                                                 line=dict(color="#111111", width=1))),
    "path": lambda size: dict(mode="lines+markers", line=dict(color="#111111", width=2),
                              marker=dict(size=size + 3, color="#111111", symbol="circle-open")),
}


def with_overlays(fig: go.Figure, overlays: list[Overlay], n: int) -> go.Figure:
    """The map with overlays on top. The cached base figure is not touched: a copy gets a few small traces."""
    size = point_size(n)
    out = go.Figure(fig)
    for o in overlays:
        ids = np.asarray(o.ids, dtype=np.int32)
        out.add_trace(go.Scattergl(x=o.xy[:, 0], y=o.xy[:, 1], name=o.name, customdata=ids,
                                   hovertemplate="%{customdata}<extra>" + o.name + "</extra>"
                                   if o.style in ("ring", "new") else o.name + "<extra></extra>",
                                   **OVERLAY_STYLES[o.style](size)))
    return out


def with_pick(fig: go.Figure, row: int) -> go.Figure:
    """The map with `row` selected as a click on it selects it (the other points dimmed), so a map drawn anew
    (the Explore view shown again, another colour) still marks the pick the inspector shows. The map as it
    is when the row is not drawn (a big map draws a sample). The cached base figure is not touched."""
    ids = [np.asarray(t.customdata if t.customdata is not None else []).ravel() for t in fig.data]
    data = [i for i, d in enumerate(ids) if len(d) and not (d == GRID_ID).all()]  # not the decode grid
    for i in data:
        where = np.flatnonzero(ids[i] == row)
        if where.size:
            out = go.Figure(fig)
            for j in data:
                out.data[j].selectedpoints = [int(where[0])] if j == i else []
            return out
    return fig


def with_highlight(fig: go.Figure, xy: np.ndarray, rows: np.ndarray, name: str) -> go.Figure:
    """The map with `rows` ringed on top (a search's matches, a point's neighbours)."""
    rows = np.asarray(rows, dtype=np.int64)
    return with_overlays(fig, [Overlay(name, xy[rows], rows)], len(xy))


LOSS_MARKERS_UP_TO = 30  # epochs: fewer are marked one by one (a single epoch is a point, not a line)


def loss_figure(history: list[dict], height: int = 260) -> go.Figure:
    """Training and validation loss per epoch. A run of a few epochs (a million rows under the time limit
    may run one, cut short) shows each epoch as a marked point on whole-epoch ticks."""
    epochs = [h["epoch"] for h in history]
    few = len(epochs) <= LOSS_MARKERS_UP_TO
    mode = "lines+markers" if few else "lines"
    fig = go.Figure()
    fig.add_scatter(x=epochs, y=[h["train_loss"] for h in history], name="train", mode=mode)
    if history and history[0].get("val_loss") is not None:
        fig.add_scatter(x=epochs, y=[h["val_loss"] for h in history], name="validation", mode=mode)
    if few:
        fig.update_xaxes(dtick=1 if len(epochs) <= 10 else 5, tick0=0)
    losses = [v for h in history for v in (h["train_loss"], h.get("val_loss")) if v is not None and v > 0]
    if losses:  # every tick labelled with its value: Plotly's minor labels read "2, 3" for 0.2, 0.3
        ticks, labels = log_ticks(min(losses), max(losses))
        if len(ticks) >= 2:
            fig.update_yaxes(tickvals=ticks, ticktext=labels)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10),
                      title=dict(text="Loss per epoch", font=dict(size=14)), xaxis_title="epoch", yaxis_title="loss",
                      yaxis_type="log", legend=dict(orientation="h", y=1.12, x=1, xanchor="right"))
    return fig


LOG_SPREAD = 100     # an error histogram goes to log bins when its largest error is this many medians
FLOOR_SPAN = 1e4     # the compression chart shows errors down to this many times below its largest
HISTOGRAM_BINS = 60


def error_histogram(errors: np.ndarray, cut: float, height: int = 260) -> go.Figure:
    """Counted on the server: the page gets 60 bars, not every row's error (10 MB at a million rows). When
    the largest errors are LOG_SPREAD times the median or more, the bars are log10(error), labelled in
    errors: on a linear scale every row but a few outliers fell in the first bar (gap's hr1420.csv: 0 to 156)."""
    errors = np.asarray(errors, dtype=np.float64)
    errors = errors[np.isfinite(errors)]
    positive = errors[errors > 0]
    xaxis = dict(title="reconstruction error (MSE)")
    if positive.size > 1 and positive.max() >= LOG_SPREAD * np.median(positive):
        smallest = positive.min()  # a 0 counts in the first bar
        counts, edges = np.histogram(np.log10(np.maximum(errors, smallest)), bins=HISTOGRAM_BINS)
        spans = 10 ** np.column_stack([edges[:-1], edges[1:]])
        cut_at = np.log10(max(cut, smallest))
        values, text = log_ticks(10 ** edges[0], 10 ** edges[-1])
        xaxis = dict(title="reconstruction error (MSE, log scale)", tickvals=np.log10(values), ticktext=text)
    else:
        counts, edges = np.histogram(errors, bins=HISTOGRAM_BINS) if errors.size else (np.zeros(0), np.zeros(1))
        spans, cut_at = np.column_stack([edges[:-1], edges[1:]]), cut
    fig = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges), marker_color=PALETTE[0],
                           name="rows", customdata=spans,
                           hovertemplate="%{y:,} rows, error %{customdata[0]:.3g} to %{customdata[1]:.3g}"
                                         "<extra></extra>"))
    fig.add_vline(x=cut_at, line_color="#d62728", line_dash="dash",
                  annotation_text="threshold", annotation_position="top right")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=20, b=10), xaxis=xaxis, yaxis_title="rows", bargap=0.02)
    return fig


def log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Ticks for a log axis from lo to hi, each labelled with its whole value (Plotly's own labels its minor
    ticks '2' and '5', which read as values): 1, 2, 3, 5, 7 per decade within one decade, 1, 2, 5 within
    two, else 10^k."""
    first, last = int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi)))
    span = np.log10(hi / lo)
    steps = (1, 2, 3, 5, 7) if span <= 1 else (1, 2, 5) if span <= 2 else (1,)
    values = [m * 10.0 ** k for k in range(first, last + 1) for m in steps if lo <= m * 10.0 ** k <= hi]
    return values, [f"{v:g}" for v in values]


def compression_figure(points: list, current: tuple[int, float] | None, pca_curve: list[tuple[int, float]],
                       height: int = 280) -> go.Figure:
    """Error against latent size: the quick sweep's small models beside PCA, and this model as a star."""
    fig = go.Figure()
    fig.add_scatter(x=[k for k, _ in pca_curve], y=[e for _, e in pca_curve], name="PCA", mode="lines+markers",
                    line=dict(color="#7f7f7f", dash="dash"))
    trained = [p for p in points if p.ae_mse is not None]
    if trained:
        fig.add_scatter(x=[p.latent_dim for p in trained], y=[p.ae_mse for p in trained], mode="lines+markers",
                        name="autoencoder (quick sweep)", line=dict(color=PALETTE[0]))
    if current is not None:
        fig.add_scatter(x=[current[0]], y=[current[1]], mode="markers", name="this model",
                        marker=dict(symbol="star", size=16, color=HIGHLIGHT_COLOUR))
    # Down to FLOOR_SPAN below the largest error: PCA reaches ~0 (1e-11) once the latent size covers every
    # feature, which stretched the axis over 12 decades; a curve below the floor leaves the chart.
    errors = [e for t in fig.data for e in t.y if e is not None and e > 0]
    yaxis = dict(title="test MSE", type="log")
    if errors:
        hi = max(errors) * 1.3
        lo = max(min(errors) / 1.3, hi / FLOOR_SPAN)
        values, text = log_ticks(lo, hi)
        yaxis.update(range=[np.log10(lo), np.log10(hi)], tickvals=values, ticktext=text)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10),
                      xaxis=dict(title="latent size", type="log", tickvals=[k for k, _ in pca_curve]),
                      yaxis=yaxis, legend=dict(orientation="h", y=1.15, x=1, xanchor="right"))
    return fig


def frame_figure(frame, labels: np.ndarray | None = None, height: int = 300) -> go.Figure:
    """One frame of the latent space as it formed (aecore.watch.Frame): a small scatter, coloured by
    the label when there is one (the colours of the main map's palette), with a legend that names them."""
    xy = frame.xy
    fig = go.Figure()
    if labels is None:
        fig.add_scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", marker=dict(size=4, color=PALETTE[0], opacity=0.7),
                        hoverinfo="skip", showlegend=False)
    else:
        for i, cat in enumerate(category_order(labels)[:MAX_COLOURS]):
            rows = labels == cat
            fig.add_scatter(x=xy[rows, 0], y=xy[rows, 1], mode="markers", name=str(cat), hoverinfo="skip",
                            marker=dict(size=4, opacity=0.7, color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), showlegend=labels is not None,
                      legend=dict(itemsizing="constant", font=dict(size=11)),
                      title=dict(text=f"epoch {frame.epoch}", font=dict(size=13)),
                      xaxis=dict(showgrid=False, zeroline=False, showticklabels=False),
                      yaxis=dict(showgrid=False, zeroline=False, showticklabels=False, scaleanchor="x"))
    return fig
