"""The map figure's colouring: many categories stay distinguishable, missing values are a category of
their own, numeric scales are set by the bulk of the data, and a highlight rings rows on top. Big maps
(dashboard.big_map, thresholds shrunk here): a seeded sample over a density image of every row, a figure
whose size does not grow with the rows, and box/lasso geometry applied to every row."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest

from aecore.dataset import MISSING
from dashboard import big_map
from dashboard.figures import (
    ERROR_COLUMN,
    GRID,
    HISTOGRAM_BINS,
    MAX_COLOURS,
    MAX_LUMINANCE,
    OTHER_COLOUR,
    PALETTE,
    colour_key,
    colouring,
    compression_figure,
    drawn_rows,
    error_histogram,
    grid_nodes,
    log_ticks,
    luminance,
    map_figure,
    with_highlight,
)


def xy(n: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((n, 2)).astype(np.float32)


def test_the_palette_tells_at_least_100_categories_apart():
    assert len(set(PALETTE[:MAX_COLOURS])) == MAX_COLOURS >= 100
    assert all(luminance(c) <= MAX_LUMINANCE for c in PALETTE), "no near-white marker on the white page"
    assert luminance("#ffffff") == 1.0 and luminance("#000000") == 0.0
    meta = pd.DataFrame({"person": [f"p{i % 40}" for i in range(400)]})  # 40 people, as in a face-photo ZIP
    fig = map_figure(xy(400), np.zeros(400), meta, "person", "person")
    colours = [t.marker.color for t in fig.data[1:]]
    assert len(colours) == 40 and len(set(colours)) == 40


def test_above_the_palette_the_rest_share_grey_and_the_page_says_so():
    values = [f"name {i}" for i in range(150)] * 2 + ["name 0"] * 10
    meta = pd.DataFrame({"name": values})
    c = colouring(meta, np.zeros(len(values)), "name")
    assert len(c.categories) == MAX_COLOURS - 1 and "name 0" in c.categories
    assert "150 values" in c.note and "search box" in c.note
    fig = map_figure(xy(len(values)), np.zeros(len(values)), meta, "name", None)
    other = fig.data[-1]
    assert other.name == "other (51 values)" and other.marker.color == OTHER_COLOUR
    assert sum(len(t.x) for t in fig.data[1:]) == len(values)  # every row is drawn once


def test_missing_values_are_a_category_of_their_own():
    """A text column with one blank cell once raised "'<' not supported between 'float' and 'str'"."""
    meta = pd.DataFrame({"kind": ["a", "b", None, "a", np.nan, "c"]})
    c = colouring(meta, np.zeros(6), "kind")
    assert c.categories == ["a", "b", "c", MISSING]
    fig = map_figure(xy(6), np.zeros(6), meta, "kind", "kind")
    assert [t.name for t in fig.data[1:]] == ["a", "b", "c", MISSING]
    numbers = pd.DataFrame({"v": [1.0, np.nan] + list(np.arange(60.0))})
    fig = map_figure(xy(62), np.zeros(62), numbers, "v", None)
    assert fig.data[-1].name == MISSING and len(fig.data[-1].x) == 1


def test_numeric_colour_scales_use_the_1st_to_99th_percentile():
    values = np.r_[np.linspace(0, 1, 198), 1e6, -1e6]  # two outliers would paint everything one colour
    meta = pd.DataFrame({"price": values})
    fig = map_figure(xy(200), np.zeros(200), meta, "price", None)
    marker = fig.data[1].marker
    assert 0 <= marker.cmin < 0.05 and 0.95 < marker.cmax <= 1.0
    assert max(marker.color) == 1e6  # the hover still shows the true value
    assert marker.colorbar.tickformat == ".3~g", "tiny errors read 3.5e-08 on the bar, not Plotly's SI '35n'"


def test_a_legend_beside_a_colour_bar_goes_under_the_plot():
    """A search's rings and the missing values' grey were listed over the colour bar, at the right."""
    meta = pd.DataFrame({"price": np.r_[np.linspace(0, 1, 99), np.nan], "k": ["a", "b"] * 50})
    scaled = with_highlight(map_figure(xy(100), np.zeros(100), meta, "price", None), xy(100), np.arange(3), "rings")
    legend = scaled.layout.legend
    assert legend.orientation == "h" and legend.y <= 0 and legend.yanchor == "top"
    assert scaled.data[1].marker.showscale and scaled.data[1].marker.colorbar.x is None  # Plotly's place: the right
    categories = map_figure(xy(100), np.zeros(100), meta, "k", None).layout.legend
    assert categories.x > 1 and categories.orientation is None


def test_a_date_column_colours_on_a_scale_of_dates():
    """ggplot2's economics: colouring by its 478 monthly dates gave 99 categories of single dates and grey."""
    n = 478
    meta = pd.DataFrame({"date": pd.date_range("1967-07-01", periods=n, freq="MS").strftime("%Y-%m-%d"),
                         "k": ["a", "b"] * (n // 2)})
    c = colouring(meta, np.zeros(n), "date")
    assert c.kind == "number" and c.dates and not c.note
    trace = map_figure(xy(n), np.zeros(n), meta, "date", "k").data[1]
    ticks = trace.marker.colorbar.ticktext
    assert len(ticks) == 5 and all(len(t) == 10 and t.startswith(("19", "20")) for t in ticks)  # days, no times
    assert trace.text[0] == "a<br>date: 1967-07-01" and "%{text}" in trace.hovertemplate
    few = pd.DataFrame({"date": ["2020-01-01", "2020-02-01"] * 50})
    assert colouring(few, np.zeros(100), "date").kind == "category", "a few dates stay categories"


def test_the_hover_names_the_row():
    """vcd's Baseball: the hover said 'row 12, league87: A', not which player; names are cut at 40 characters."""
    n = 100
    meta = pd.DataFrame({"k": ["a", "b"] * 50, "name": [f"Player {i}" for i in range(n)], "v": np.arange(n) * 1.0})
    meta.loc[3, "name"] = "x" * 60
    by_kind = map_figure(xy(n), np.zeros(n), meta, "k", "k", name_column="name").data[1]
    assert list(by_kind.text[:2]) == ["Player 0", "Player 2"] and "k: a<br>%{text}" in by_kind.hovertemplate
    by_value = map_figure(xy(n), np.zeros(n), meta, "v", "k", name_column="name").data[1]
    assert list(by_value.text[:2]) == ["a<br>Player 0", "b<br>Player 1"]
    assert by_value.text[3] == "b<br>" + "x" * 39 + "…"
    plain = map_figure(xy(n), np.zeros(n), meta, "k", "k").data[1]
    assert plain.text is None and plain.hovertemplate == "row %{customdata}<br>k: a<extra></extra>"


def test_a_highlight_rings_rows_without_touching_the_cached_figure():
    meta = pd.DataFrame({"k": ["a", "b"] * 50})
    base = map_figure(xy(100), np.zeros(100), meta, "k", None)
    ringed = with_highlight(base, xy(100), np.array([3, 5, 7]), "3 matches")
    assert len(ringed.data) == len(base.data) + 1 and list(ringed.data[-1].customdata) == [3, 5, 7]
    assert ringed.data[-1].name == "3 matches" and len(base.data) == 3


# -- big maps ---------------------------------------------------------------------------------------------
@pytest.fixture
def small_thresholds(monkeypatch):
    """Maps above 1,000 rows draw a 300-row sample over a small density image."""
    monkeypatch.setattr(big_map, "SAMPLE_ABOVE", 1_000)
    monkeypatch.setattr(big_map, "MAP_SAMPLE", 300)
    monkeypatch.setattr(big_map, "DENSITY_WIDTH", 120)
    monkeypatch.setattr(big_map, "DENSITY_HEIGHT", 84)


def drawn_ids(fig) -> np.ndarray:
    return np.sort(np.concatenate([np.asarray(t.customdata) for t in fig.data[1:]]))


def test_a_big_map_is_a_sample_over_a_density_image(small_thresholds):
    n = 5_000
    errors = np.random.default_rng(1).random(n)
    meta = pd.DataFrame({"k": [f"c{i % 7}" for i in range(n)]})
    fig = map_figure(xy(n), errors, meta, "k", "k")
    assert drawn_rows(fig) == (n, 300)
    ids = drawn_ids(fig)
    assert len(ids) == 300 and len(np.unique(ids)) == 300, "each sampled row drawn once, by its row id"
    top = np.argsort(-errors)[: int(300 * big_map.TOP_ERRORS_SHARE)]
    assert set(top) <= set(ids), "the highest-error rows are always drawn"
    assert len(fig.data) == 1 + 7, "the decode grid, then one trace per category, as on a small map"
    (image,) = fig.layout.images
    assert image.source.startswith("data:image/png;base64,") and image.layer == "below"
    lo, hi = big_map.extent(xy(n))
    assert image.x == pytest.approx(lo[0]) and image.y == pytest.approx(hi[1])
    assert image.sizex == pytest.approx(hi[0] - lo[0]) and image.sizey == pytest.approx(hi[1] - lo[1])
    again = map_figure(xy(n), errors, meta, "k", "k")
    assert np.array_equal(drawn_ids(again), ids), "the sample is seeded: the same rows every time"


def test_small_maps_draw_every_row_without_an_image(small_thresholds):
    fig = map_figure(xy(1_000), np.zeros(1_000), pd.DataFrame({"k": ["a"] * 1_000}), "k", None)
    assert drawn_rows(fig) == (1_000, 1_000) and not fig.layout.images
    assert np.array_equal(drawn_ids(fig), np.arange(1_000))


@pytest.mark.parametrize("colour_by", ["k", ERROR_COLUMN, "none"])
def test_the_figure_sent_stays_bounded_as_rows_grow(small_thresholds, colour_by):
    """The figure's JSON (what st.plotly_chart sends) is the sample, the grid and one image: 20x the rows
    adds nothing but the image's few more filled pixels."""
    sizes = {}
    for n in (2_000, 40_000):
        meta = pd.DataFrame({"k": [f"c{i % 5}" for i in range(n)]})
        fig = map_figure(xy(n), np.random.default_rng(2).random(n), meta, colour_by, None)
        assert sum(len(t.x) for t in fig.data[1:]) == 300
        sizes[n] = len(pio.to_json(fig, validate=False))
    assert sizes[40_000] < 1.5 * sizes[2_000]


def brute_in_polygon(p: np.ndarray, xs, ys) -> np.ndarray:
    inside = np.zeros(len(p), dtype=bool)
    j = len(xs) - 1
    for i in range(len(xs)):
        if ys[i] != ys[j]:
            cross = ((ys[i] > p[:, 1]) != (ys[j] > p[:, 1])) & (
                p[:, 0] < (xs[j] - xs[i]) * (p[:, 1] - ys[i]) / (ys[j] - ys[i]) + xs[i])
            inside ^= cross
        j = i
    return inside


def test_a_lasso_selects_every_row_inside_it():
    points = xy(20_000)
    t = np.linspace(0, 2 * np.pi, 200, endpoint=False)
    r = 1 + 0.4 * np.sin(5 * t)  # a star: concave, as a hand-drawn lasso is
    xs, ys = r * np.cos(t), r * np.sin(t)
    inside = big_map.in_polygon(points, xs, ys)
    assert np.array_equal(inside, brute_in_polygon(points, xs, ys))
    assert 0 < inside.sum() < len(points)
    assert np.array_equal(big_map.in_polygon(points, xs, ys, big_map.y_order(points)), inside)
    assert not big_map.in_polygon(points, [0, 1], [0, 1]).any(), "two vertices enclose nothing"


def test_selection_geometry_over_every_row():
    points = np.array([[0, 0], [1, 1], [2, 2], [5, 5], [0.5, 0.2]], dtype=np.float32)
    box = {"box": [{"xref": "x", "yref": "y", "x": [1.5, -0.5], "y": [-1, 1.5]}], "lasso": []}
    shapes = big_map.geometry(box)
    assert list(big_map.rows_in(points, shapes)) == [0, 1, 4], "corners in either order"
    lasso = {"lasso": [{"x": [4, 6, 6, 4], "y": [4, 4, 6, 6]}], "box": box["box"]}
    assert list(big_map.rows_in(points, big_map.geometry(lasso))) == [0, 1, 3, 4], "shift-extended: a union"
    assert big_map.geometry({"box": [{}], "lasso": [{"x": [0], "y": [0]}]}) == [], "degenerate shapes are ignored"


def test_the_error_histogram_sends_bars_not_rows():
    errors = np.random.default_rng(0).gamma(2.0, 0.01, 100_000)
    fig = error_histogram(errors, cut=float(np.percentile(errors, 95)))
    bar = fig.data[0]
    assert len(bar.x) == len(bar.y) == HISTOGRAM_BINS and int(np.sum(bar.y)) == len(errors)
    assert len(fig.to_json()) < 20_000  # a few KB at any row count
    assert len(error_histogram(np.array([]), cut=0.0).data[0].y) == 0


def test_an_error_histogram_with_outliers_goes_to_log_bins():
    """gap's hr1420.csv: errors from 0 to 156 around a median of 0.01: on a linear axis every row but a few
    fell in the first of 60 bars."""
    rng = np.random.default_rng(0)
    errors = np.concatenate([rng.gamma(2.0, 0.005, 10_000), [0.0, 3.0, 50.0, 156.0]])
    fig = error_histogram(errors, cut=0.05)
    bar = fig.data[0]
    assert int(np.sum(bar.y)) == len(errors) and max(bar.y) < 0.2 * len(errors), "the rows spread over the bars"
    assert "log scale" in fig.layout.xaxis.title.text and "100" in fig.layout.xaxis.ticktext
    assert fig.layout.shapes[0].x0 == pytest.approx(np.log10(0.05))
    assert bar.customdata[-1][1] == pytest.approx(156.0), "hover reads errors, not their logarithm"
    plain = error_histogram(rng.gamma(2.0, 0.01, 1_000), cut=0.05)
    assert plain.layout.xaxis.title.text == "reconstruction error (MSE)"


def test_a_colour_bar_title_fits():
    from dashboard.figures import COLOURBAR_CHARS, short

    assert short(ERROR_COLUMN) == "error" and short("age") == "age"
    assert short("a very long column name") == "a very long…" and len(short("x" * 40)) == COLOURBAR_CHARS


def test_log_ticks_label_whole_values():
    assert log_ticks(0.003, 0.2)[1] == ["0.005", "0.01", "0.02", "0.05", "0.1", "0.2"]
    assert log_ticks(1e-5, 0.13)[1] == ["1e-05", "0.0001", "0.001", "0.01", "0.1"]


def test_the_compression_chart_keeps_four_decades_and_whole_labels():
    """Ecdat's Schooling: PCA is exact (1e-11) once the latent size covers every feature, which stretched
    the axis over 12 decades with labels '2' and '5' between them."""
    pca = [(1, 0.8), (2, 0.5), (4, 0.2), (8, 0.05), (16, 0.004), (32, 1e-11)]
    fig = compression_figure([], (8, 0.03), pca)
    lo, hi = fig.layout.yaxis.range
    assert hi - lo == pytest.approx(4.0) and 10 ** hi == pytest.approx(0.8 * 1.3)
    assert all(t not in ("2", "5") for t in fig.layout.yaxis.ticktext)
    assert list(fig.layout.yaxis.ticktext) == ["0.001", "0.01", "0.1", "1"]


def test_decode_grid_leaves_clicks_on_points_to_the_points():
    """Plotly gives a click to the nearest point of any trace: no decode node may sit near a drawn point
    (it would take clicks on the point's marker), and empty space keeps its nodes."""
    points = xy(1_500) * 0.1  # a blob in the middle of the map's extent (set by the corners below)
    points = np.vstack([points, [[-1, -1], [1, 1]]]).astype(np.float32)
    nodes = grid_nodes(points, points)
    lo, hi = big_map.extent(points)
    cell = (hi - lo) / (GRID - 1)
    gap = (np.abs(nodes[:, None, :] - points[None, :, :]) / cell).max(axis=2)  # in cells, the farther axis
    assert gap.min() >= 1.5 - 1e-3
    assert GRID * GRID * 0.8 < len(nodes) < GRID * GRID, "the empty space around the blob keeps its nodes"
    fig = map_figure(points, np.zeros(len(points)), pd.DataFrame(index=range(len(points))), ERROR_COLUMN, None)
    assert len(fig.data[0].x) == len(nodes), "the map's grid trace is these nodes"


def test_a_short_run_s_loss_is_drawn_as_points_on_whole_epochs():
    from dashboard.figures import LOSS_MARKERS_UP_TO, loss_figure

    one = loss_figure([{"epoch": 1, "train_loss": 0.04, "val_loss": 0.035}])
    assert [t.mode for t in one.data] == ["lines+markers"] * 2  # one epoch: a point, which a line alone hides
    assert one.layout.xaxis.dtick == 1
    long = [{"epoch": e, "train_loss": 1 / e, "val_loss": None} for e in range(1, LOSS_MARKERS_UP_TO + 2)]
    fig = loss_figure(long)
    assert [t.mode for t in fig.data] == ["lines"] and fig.layout.xaxis.dtick is None


def test_the_loss_axis_labels_every_tick_with_its_value():
    """HistData's Quarrels: the validation loss near 0.38 sat between ticks Plotly labelled '3' and '4'."""
    from dashboard.figures import loss_figure

    history = [{"epoch": e, "train_loss": 6.0 / e, "val_loss": 0.38 + 1 / e} for e in range(1, 101)]
    axis = loss_figure(history).layout.yaxis
    assert axis.type == "log" and list(axis.ticktext) == ["0.1", "0.2", "0.5", "1", "2", "5"]


def test_colour_key_names_the_colours_of_maps_without_a_legend():
    meta = pd.DataFrame({"sex": ["female", "male"] * 10, "k": [f"c{i}" for i in range(20)]})
    key = colour_key(meta, np.zeros(20), "sex")
    assert key.startswith("Colour: <b>sex</b>") and f"color:{PALETTE[0]}'>●</span>&nbsp;female" in key
    assert "and 8 more" in colour_key(meta, np.zeros(20), "k")  # 20 categories, 12 named
    assert "dark purple (low) to yellow (high)" in colour_key(meta, np.arange(20.0), ERROR_COLUMN)
    assert colour_key(pd.DataFrame({"<b>": ["x", "y"]}), np.zeros(2), "<b>").count("&lt;b&gt;") == 1


def test_a_training_frame_names_its_colours():
    """The Training view's replay coloured its frames by label with no legend to say which colour is which."""
    from types import SimpleNamespace

    from dashboard.figures import frame_figure

    frame = SimpleNamespace(xy=np.random.default_rng(0).normal(size=(30, 2)), epoch=3)
    fig = frame_figure(frame, np.array(["cat", "dog", "pig"] * 10))
    assert fig.layout.showlegend and sorted(t.name for t in fig.data) == ["cat", "dog", "pig"]
    assert not frame_figure(frame, None).layout.showlegend
