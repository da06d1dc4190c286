"""Maps too big for one WebGL scatter: above SAMPLE_ABOVE rows the map draws a Datashader density image
of every row under a small clickable, seeded sample of them, and box/lasso selections are applied to
every row on the server, from the selection's geometry (the browser only knows the sample).

Why: a click on a Plotly map selects the point, and Plotly then restyles and redraws every point of
every scatter trace before the click reaches Streamlit. Measured in a headless browser on this project's
machines (BENCHMARKS.md, "Big maps"), that costs about 10 ms per 1,000 points drawn: a click on a
100,000-point map takes ~5x as long as on the 1,797-point digits map, whatever the server does. A layout
image costs nothing on a click and the same at any N (one PNG of the plot's size); the sample keeps
something to click everywhere there is data (a click lands on the nearest drawn row within Plotly's
20-pixel hover distance) and the rows a person looks for (the highest errors).
Measured in BENCHMARKS.md ("Big maps": `python -m bench --only big_map`)."""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np

# Above this many rows the map is a sample over a density image. Up to it, every row is drawn and a
# click costs at most ~1.5x the digits map's (20,000 points: ~10 ms per 1,000 points, see above).
SAMPLE_ABOVE = 20_000
# Rows drawn as clickable points on a big map: with the decode grid's 3,721 nodes, about as many points
# as the digits map (1,797 + the grid), so a click costs what it costs there; spread as the data is,
# ~10 pixels apart on a map of the page's size, so a click anywhere on the data lands on one.
MAP_SAMPLE = 3_000
# The highest-error rows are always in the sample (the anomalies a person looks for), up to this share
# of it.
TOP_ERRORS_SHARE = 0.10
SAMPLE_SEED = 0
# The density image's pixels: ~1.5x the map's size on the page (about 800 x 560), so a first zoom
# stays sharp; it is rendered once per (model, colour), for the whole map.
DENSITY_WIDTH, DENSITY_HEIGHT = 1200, 840
# Datashader shading: histogram-equalised, so a few crowded pixels do not wash out the sparse ones; the
# faintest pixel keeps this alpha (of 255) so single rows stay visible. (No tf.spread: its numba compile
# costs ~10 s on a server's first big map, and the sample's points already mark sparse rows.)
DENSITY_MIN_ALPHA = 60
# The PNG is a 256-colour palette image: ~3x smaller than RGBA at 1M rows (1.1 MB -> 0.33 MB) and, at
# these colours' spacing, the same to the eye; Pillow's fast octree quantizer keeps alpha (~70 ms).
DENSITY_COLOURS = 256
FAST_OCTREE = 2         # PIL.Image.Quantize.FASTOCTREE
MARGIN = 0.05           # the map's padding on each side, shared with the decode grid


def sampled(n: int) -> bool:
    return n > SAMPLE_ABOVE


def extent(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The map's bounds with MARGIN padding: the decode grid and the density image both span them."""
    lo, hi = xy.min(0), xy.max(0)
    pad = (hi - lo) * MARGIN + 1e-6
    return lo - pad, hi + pad


def sample_rows(errors: np.ndarray, size: int | None = None, seed: int = SAMPLE_SEED) -> np.ndarray:
    """Row ids to draw (sorted): the highest-error rows (up to TOP_ERRORS_SHARE of `size`, default
    MAP_SAMPLE) and a seeded uniform sample of the rest. Every row when there are at most `size`."""
    size = MAP_SAMPLE if size is None else size
    n = len(errors)
    if n <= size:
        return np.arange(n)
    top_k = int(size * TOP_ERRORS_SHARE)
    top = np.argpartition(-np.asarray(errors), top_k)[:top_k] if top_k else np.array([], dtype=np.int64)
    rest = np.ones(n, dtype=bool)
    rest[top] = False
    rng = np.random.default_rng(seed)
    others = rng.choice(np.flatnonzero(rest), size - top_k, replace=False)
    return np.sort(np.concatenate([top, others])).astype(np.int64)


def describe(n: int, shown: int) -> str:
    """What the map draws, for the page."""
    top = int(shown * TOP_ERRORS_SHARE)
    return (f"Showing a {shown:,}-row sample (the {top:,} highest-error rows, the rest at random) over a density "
            f"image of all {n:,} rows; box and lasso (toolbar) select from all of them.")


# -- the density image ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DensityImage:
    source: str                 # data:image/png;base64,...
    x0: float
    y0: float
    x1: float
    y1: float
    png_bytes: int

    def layout_image(self) -> dict:
        """A Plotly layout image stretched over the map's data coordinates, under the traces."""
        return dict(source=self.source, xref="x", yref="y", x=self.x0, y=self.y1, sizex=self.x1 - self.x0,
                    sizey=self.y1 - self.y0, sizing="stretch", xanchor="left", yanchor="top", layer="below")


def density_image(xy: np.ndarray, kind: str, values=None, colours: dict | None = None, colour: str = "#1f77b4",
                  span: tuple[float, float] | None = None, cmap=None) -> DensityImage:
    """Every row binned into the plot's pixels by Datashader. kind "category": one colour per category,
    mixed by count (`values` are the rows' category names, `colours` maps each to a colour); "number":
    each pixel the mean of `values` on `cmap` over `span`; else a density ramp of `colour`."""
    import datashader as ds
    import datashader.transfer_functions as tf
    import pandas as pd

    lo, hi = extent(xy)
    canvas = ds.Canvas(plot_width=DENSITY_WIDTH, plot_height=DENSITY_HEIGHT,
                       x_range=(float(lo[0]), float(hi[0])), y_range=(float(lo[1]), float(hi[1])))
    frame = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]})
    if kind == "category":
        names = list(colours)
        frame["c"] = pd.Categorical(values, categories=names)
        agg = canvas.points(frame, "x", "y", ds.count_cat("c"))
        img = tf.shade(agg, color_key=[colours[c] for c in names], how="eq_hist", min_alpha=DENSITY_MIN_ALPHA)
    elif kind == "number":
        frame["v"] = np.asarray(values, dtype=np.float64)
        agg = canvas.points(frame, "x", "y", ds.mean("v"))
        img = tf.shade(agg, cmap=cmap, how="linear", span=span)
    else:
        agg = canvas.points(frame, "x", "y")
        img = tf.shade(agg, cmap=["#ffffff", colour], how="eq_hist", min_alpha=DENSITY_MIN_ALPHA)
    buf = io.BytesIO()
    img.to_pil().quantize(DENSITY_COLOURS, method=FAST_OCTREE).save(buf, format="PNG")
    png = buf.getvalue()
    return DensityImage("data:image/png;base64," + base64.b64encode(png).decode("ascii"),
                        float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]), len(png))


# -- selections over every row ------------------------------------------------------------------------------
def y_order(xy: np.ndarray) -> np.ndarray:
    """Rows sorted by y: what `in_polygon` walks (built once per map)."""
    return np.argsort(xy[:, 1], kind="stable")


def in_box(xy: np.ndarray, xs, ys) -> np.ndarray:
    x0, x1 = sorted(float(v) for v in xs[:2])
    y0, y1 = sorted(float(v) for v in ys[:2])
    return (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)


def in_polygon(xy: np.ndarray, xs, ys, order: np.ndarray | None = None) -> np.ndarray:
    """Even-odd rule (a ray to +x crosses the outline an odd number of times), vectorised per edge over
    only the rows within the edge's y-span: with rows sorted by y each edge is one slice, so a lasso of
    hundreds of vertices over a million rows costs a few passes over the rows, not one per vertex."""
    px, py = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    inside = np.zeros(len(xy), dtype=bool)
    if len(px) < 3:
        return inside
    order = y_order(xy) if order is None else order
    ys_sorted = xy[order, 1].astype(np.float64)
    for (xa, ya), (xb, yb) in zip(zip(px, py, strict=True), zip(np.roll(px, -1), np.roll(py, -1), strict=True),
                                  strict=True):
        if ya == yb:
            continue  # a horizontal edge is never crossed by a horizontal ray
        start, stop = np.searchsorted(ys_sorted, [min(ya, yb), max(ya, yb)], side="left")
        if start == stop:
            continue
        rows = order[start:stop]
        crossing = xa + (ys_sorted[start:stop] - ya) * (xb - xa) / (yb - ya)
        inside[rows[xy[rows, 0] < crossing]] ^= True
    return inside


def geometry(selection: dict) -> list[tuple[str, list, list]]:
    """The box and lasso shapes of a Plotly selection (Streamlit hands them back as data coordinates)."""
    shapes = []
    for kind in ("box", "lasso"):
        for shape in selection.get(kind) or []:
            xs, ys = (shape or {}).get("x") or [], (shape or {}).get("y") or []
            if (kind == "box" and len(xs) >= 2 and len(ys) >= 2) or (kind == "lasso" and len(xs) >= 3
                                                                      and len(xs) == len(ys)):
                shapes.append((kind, list(map(float, xs)), list(map(float, ys))))
    return shapes


def rows_in(xy: np.ndarray, shapes: list[tuple[str, list, list]], order: np.ndarray | None = None) -> np.ndarray:
    """Row ids inside any of the shapes (several when the selection was extended with shift)."""
    inside = np.zeros(len(xy), dtype=bool)
    for kind, xs, ys in shapes:
        inside |= in_box(xy, xs, ys) if kind == "box" else in_polygon(xy, xs, ys, order)
    return np.flatnonzero(inside)


def warm_up() -> None:
    """Compile Datashader's kernels (numba, ~8-12 s once per process) on a few points, so the first big map
    a person opens does not wait for them: for a server's background warm-up."""
    xy = np.random.default_rng(0).standard_normal((1_000, 2)).astype(np.float32)
    density_image(xy, "category", np.array(["a", "b"] * 500), {"a": "#1f77b4", "b": "#ff7f0e"})
    density_image(xy, "number", np.linspace(0.0, 1.0, 1_000), span=(0.0, 1.0), cmap=["#440154", "#fde725"])
    density_image(xy, "none")
