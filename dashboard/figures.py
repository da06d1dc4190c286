"""Plotly figures: the latent map, the loss curve, the error histogram. Built once per model version
(the map is cached in the Workspace) because serialising them is the expensive part of a rerun."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

GRID = 81            # invisible grid points per side: any click on empty space lands on one
MAX_CATEGORIES = 30  # colour by a column as categories up to this many distinct values
# Marker size by point count: big enough to click when few, small enough not to blot each other out.
POINT_SIZES = ((2_000, 7), (20_000, 5), (float("inf"), 3))
GRID_ID = -1         # customdata of grid points (data points carry their row id >= 0)
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#393b79", "#ad494a", "#8ca252", "#bd9e39", "#7b4173", "#3182bd", "#e6550d", "#31a354",
           "#756bb1", "#636363"]


def grid_trace(xy: np.ndarray) -> go.Scattergl:
    """An invisible lattice over the map (5% margin): clicking empty space selects its nearest node,
    which the selection style then shows as a cross."""
    lo, hi = xy.min(0), xy.max(0)
    pad = (hi - lo) * 0.05 + 1e-6
    gx = np.linspace(lo[0] - pad[0], hi[0] + pad[0], GRID, dtype=np.float32)
    gy = np.linspace(lo[1] - pad[1], hi[1] + pad[1], GRID, dtype=np.float32)
    X, Y = np.meshgrid(gx, gy)
    return go.Scattergl(
        x=X.ravel(), y=Y.ravel(), mode="markers", name="decode here", showlegend=False,
        customdata=np.full(X.size, GRID_ID, dtype=np.int32),
        marker=dict(size=7, opacity=0.0, color="#111", symbol="x"),
        selected=dict(marker=dict(opacity=0.9, size=12)), unselected=dict(marker=dict(opacity=0.0)),
        hovertemplate="decode (%{x:.2f}, %{y:.2f})<extra></extra>")


def colour_values(meta: pd.DataFrame, errors: np.ndarray, colour_by: str):
    """-> ('category', labels as str) | ('number', floats) | ('none', None)."""
    if colour_by == "reconstruction error":
        return "number", np.asarray(errors, dtype=np.float32)
    if colour_by not in meta.columns:
        return "none", None
    col = meta[colour_by]
    if pd.api.types.is_numeric_dtype(col) and col.nunique() > MAX_CATEGORIES:
        return "number", col.to_numpy(dtype=np.float32, na_value=np.nan)
    if col.nunique() <= MAX_CATEGORIES:
        return "category", col.astype(str).to_numpy()
    return "none", None


def map_figure(xy: np.ndarray, errors: np.ndarray, meta: pd.DataFrame, colour_by: str, label: str | None,
               height: int = 560) -> go.Figure:
    """One Scattergl per category (legend), or one with a colour scale; row ids ride in customdata."""
    xy = np.asarray(xy, dtype=np.float32)
    n = len(xy)
    point_size = next(size for limit, size in POINT_SIZES if n < limit)
    ids = np.arange(n, dtype=np.int32)
    hover_label = meta[label].astype(str).to_numpy() if label and label in meta else None
    kind, values = colour_values(meta, errors, colour_by)
    sel = dict(marker=dict(size=point_size + 9, opacity=1.0))
    unsel = dict(marker=dict(opacity=0.35))
    traces = []
    if kind == "category":
        cats = pd.unique(values)
        try:
            cats = sorted(cats, key=lambda c: float(c))
        except ValueError:
            cats = sorted(cats)
        for i, cat in enumerate(cats):
            rows = ids[values == cat]
            traces.append(go.Scattergl(
                x=xy[rows, 0], y=xy[rows, 1], mode="markers", name=str(cat), customdata=rows,
                marker=dict(size=point_size, color=PALETTE[i % len(PALETTE)], opacity=0.8),
                selected=sel, unselected=unsel,
                hovertemplate=f"row %{{customdata}}<br>{colour_by}: {cat}<extra></extra>"))
    else:
        marker = dict(size=point_size, opacity=0.8, color="#1f77b4")
        template = "row %{customdata}" + ("" if hover_label is None else "<br>%{text}")
        if kind == "number":
            marker.update(color=values, colorscale="Viridis", showscale=True,
                          colorbar=dict(title=dict(text=colour_by[:18]), thickness=12))
            template += f"<br>{colour_by}: %{{marker.color:.4g}}"
        traces.append(go.Scattergl(
            x=xy[:, 0], y=xy[:, 1], mode="markers", name="rows", customdata=ids, marker=marker,
            text=hover_label, selected=sel, unselected=unsel, showlegend=False,
            hovertemplate=template + "<extra></extra>"))
    fig = go.Figure([grid_trace(xy), *traces])
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=34, b=10), dragmode="pan", clickmode="event+select",
        hovermode="closest", legend=dict(itemsizing="constant", y=1.0, yanchor="top"),
        xaxis=dict(showgrid=False, zeroline=False, showticklabels=False, title=None),
        yaxis=dict(showgrid=False, zeroline=False, showticklabels=False, title=None))
    return fig


def loss_figure(history: list[dict], height: int = 260) -> go.Figure:
    epochs = [h["epoch"] for h in history]
    fig = go.Figure()
    fig.add_scatter(x=epochs, y=[h["train_loss"] for h in history], name="train", mode="lines")
    if history and history[0].get("val_loss") is not None:
        fig.add_scatter(x=epochs, y=[h["val_loss"] for h in history], name="validation", mode="lines")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10),
                      title=dict(text="Loss per epoch", font=dict(size=14)),
                      xaxis_title="epoch", yaxis_title="loss", yaxis_type="log",
                      legend=dict(orientation="h", y=1.12, x=1, xanchor="right"))
    return fig


def error_histogram(errors: np.ndarray, cut: float, height: int = 260) -> go.Figure:
    fig = go.Figure(go.Histogram(x=errors, nbinsx=60, marker_color="#1f77b4", name="rows"))
    fig.add_vline(x=cut, line_color="#d62728", line_dash="dash",
                  annotation_text="threshold", annotation_position="top right")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=20, b=10), xaxis_title="reconstruction error (MSE)",
                      yaxis_title="rows", bargap=0.02)
    return fig
