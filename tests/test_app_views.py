"""AppTest: the views of a picked point (neighbours, traversal, denoise, compression), a box selection as a
linked view, and finding rows, on images (the digits sample) and on a table (the wine sample)."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from tests.fixtures_ui import (
    data_point,
    fast_training,
    image_captions,
    map_traces,
    open_sample,
    plotly_state,
    select,
    show_view,
    texts,
    upload_csv,
    wait_for_training,
    ws,
)


@pytest.fixture
def wine(app):
    return open_sample(app, "wine")


def pick(at, row: int):
    return select(at, plotly_state([data_point(at, row)]))


# -- images ------------------------------------------------------------------------------------------
def test_neighbours_gallery_and_ring_on_the_map(app):
    pick(app, 5)
    show_view(app, "Neighbours")
    page = texts(app)
    assert "nearest neighbours in latent space are also among its 10 nearest on the map" in page
    captions = [c for c in image_captions(app) if c.startswith("row\u00a0")]  # wraps between parts only
    assert len(captions) == 10 and all(" · d\u00a0" in c for c in captions)
    traces = len(map_traces(app))
    app.button(key="neighbours_ring").click().run()
    assert not app.exception, app.exception
    assert len(map_traces(app)) == traces + 1 and map_traces(app)[-1]["name"] == "10 neighbours of row 5"
    ringed = set(map_traces(app)[-1]["customdata"].tolist())
    assert 5 not in ringed and len(ringed) == 10
    assert "Ringed on the map: 10 neighbours of row 5" in texts(app)
    app.button(key="highlight_clear").click().run()
    assert len(map_traces(app)) == traces


def test_traversal_grid_orders_dimensions(app):
    pick(app, 5)
    show_view(app, "Traversal")
    page = texts(app)
    assert "code std" in page and "1st to its 99th percentile" in page
    grids = [img for img in app.image if len(img.captions) == 7]
    assert len(grids) == 8, "8 dimensions (the latent size) x 7 steps"


def test_denoise_view_compares_with_pca(app):
    pick(app, 5)
    show_view(app, "Denoise")
    captions = image_captions(app)
    assert {"clean", "noisy", "model output"} <= set(captions)
    page = texts(app)
    assert "Error against the clean image: noisy " in page
    assert "On 256 images with gaussian noise 0.30" in page and "PCA-8 removes" in page
    assert "A denoising model" in page  # this one was trained as plain 'dense': the view says what would win


def test_compression_view_and_the_background_sweep(app, monkeypatch):
    import dashboard.views.compression as view

    monkeypatch.setattr(view, "SWEEP_SECONDS", 0.3)
    pick(app, 5)
    show_view(app, "Compression")
    page = texts(app)
    assert "Row 5: 64 bytes (8-bit pixels) → a code of 8 numbers" in page
    table = next(d.value for d in app.dataframe if "float32 code" in d.value.columns)
    assert list(table.index) == ["bytes", "compression", "error (MSE)", "PSNR"]
    assert table.loc["bytes", "8-bit code"] == "8"
    app.button(key="sweep_start").click().run()
    assert not app.exception, app.exception
    job = next(iter(ws(app).sweeps.values()))
    deadline = time.monotonic() + 60
    while job.running:
        assert time.monotonic() < deadline, "the sweep did not finish"
        time.sleep(0.2)
    app.run()
    assert not app.exception, app.exception
    assert [p.latent_dim for p in job.points] == [2, 4, 8, 16, 32] and job.error is None
    assert "Cached for this data" in texts(app)


def test_a_box_selection_is_a_linked_view(app):
    rows = [3, 7, 11, 13, 21]
    select(app, plotly_state([data_point(app, r) for r in rows], box=True))
    page = texts(app)
    assert "5 rows selected" in page and "The selection on average" in page
    captions = image_captions(app)
    assert sum(c.startswith("row\u00a0") for c in captions) == 5
    assert {"mean image", "mean reconstruction", "selection - rest"} <= set(captions)


def test_find_rows_rings_and_lists_matches(app):
    app.text_input(key=f"find_{ws(app).version}").set_value("digit_00").run()
    assert not app.exception, app.exception
    assert "100 row(s) match 'digit_00'" in texts(app)
    ring = map_traces(app)[-1]
    assert ring["name"].startswith("matches for 'digit_00'") and len(ring["customdata"]) == 100
    listed = next(d.value for d in app.dataframe if "row" in d.value.columns)
    assert len(listed) == 100
    app.text_input(key=f"find_{ws(app).version}").set_value("label:7").run()
    assert "match 'label:7'" in texts(app) and ws(app).highlight.rows.size == 179
    app.text_input(key=f"find_{ws(app).version}").set_value("nosuchname").run()
    assert "No row matches 'nosuchname'" in texts(app) and ws(app).highlight is None


def test_a_search_with_one_match_shows_that_row(app):
    """With one match the row looked for is found: no list to pick it from first."""
    app.text_input(key=f"find_{ws(app).version}").set_value("digit_0042").run()
    assert not app.exception, app.exception
    page = texts(app)
    assert "1 row matches 'digit_0042'" in page and "it is in the inspector" in page
    assert ws(app).pick.row == 42 and "Row 42" in page
    pick(app, 7)  # a click afterwards wins; the same search does not pick its match again
    app.run()
    assert ws(app).pick.row == 7 and "Row 7" in texts(app)


# -- a table ----------------------------------------------------------------------------------------------
def test_table_views(wine):
    pick(wine, 10)
    for name, expected in [("Neighbours", "nearest neighbours in latent space"),
                           ("Traversal", "Which dimension moves which feature"),
                           ("Denoise", "On 178 rows with gaussian noise 0.30"),
                           ("Compression", "52 bytes (float32 features)")]:
        show_view(wine, name)
        assert expected in texts(wine), name
    table = next(d.value for d in wine.dataframe if "float32 code" in d.value.columns)
    assert "PSNR" not in table.index  # a table has no peak value to measure PSNR against


def test_the_traversal_chart_draws_the_features_a_dimension_moves_most(wine):
    """Quarrels' 80 features were 80 tangled lines; the wine sample's 13 are drawn as its 10 that move most."""
    import json

    pick(wine, 10)
    show_view(wine, "Traversal")
    chart = next(c for c in wine.get("plotly_chart") if "traverse_response" in c.proto.id)
    assert len(json.loads(chart.proto.spec)["data"]) == 10
    assert "The 10 of 13 number features this dimension moves most" in texts(wine)


def test_a_table_of_dates_yes_no_and_gaps_in_every_point_view(app):
    """Dates, yes/no and missing values (pscl's AustralianElectionPolling, vcd's Lifeboats, Ecdat's Schooling):
    every point view draws, and the row reads as the file has it."""
    rng = np.random.default_rng(0)
    n = 120
    df = pd.DataFrame({"a": rng.normal(size=n).round(3), "b": rng.normal(5, 2, size=n).round(2),
                       "when": pd.date_range("2005-01-01", periods=n, freq="3D").strftime("%Y-%m-%d"),
                       "ok": rng.choice(["yes", "no"], n), "kind": rng.choice(["x", "y", "z"], n)})
    df.loc[::7, "b"] = np.nan
    upload_csv(app, df.to_csv(index=False).encode(), "mixed.csv")
    fast_training(app)
    app.button(key="train_button").click().run()
    wait_for_training(app)
    pick(app, 7)
    row = next(d.value for d in app.dataframe if "reconstructed" in d.value.columns).set_index("feature")
    assert row.loc["b", "original"] == "(missing)" and row.loc["when", "original"] == df["when"][7]
    assert row.loc["ok", "original"] == df["ok"][7] and row.loc["ok", "reconstructed"].split(" (p=")[0] in ("yes", "no")
    for name in ["Neighbours", "Traversal", "Walk", "Denoise", "Compression", "Reconstruction"]:
        show_view(app, name)
        assert not app.error, (name, [e.value for e in app.error])


def test_a_failing_point_view_says_so_in_the_inspector(app, monkeypatch):
    """A point view's bug is said in the inspector (a fragment, outside the page's guard), never as
    Streamlit's redacted error."""
    from dashboard import explore_panel

    def broken(ws, row):
        raise ValueError("broken view")

    monkeypatch.setitem(explore_panel.POINT_VIEWS, "Neighbours", broken)
    pick(app, 5)
    show_view(app, "Neighbours")
    assert "The Neighbours view failed (ValueError: broken view)" in texts(app)
    assert "Row 5" in texts(app), "the row's title stays above the message"


def test_table_selection_says_what_sets_it_apart(wine):
    labels = ws(wine).dataset.meta["cultivar"].to_numpy()
    rows = np.flatnonzero(labels == "cultivar_1")[:12]
    select(wine, plotly_state([data_point(wine, int(r)) for r in rows], box=True))
    assert "What sets it apart" in texts(wine)
    apart = next(d.value for d in wine.dataframe if "difference (sd)" in d.value.columns)
    assert len(apart) == 10 and apart["difference (sd)"].abs().is_monotonic_decreasing


def test_table_row_beside_its_reconstruction_fits_the_inspector(wine):
    """Every column, the error bar included, fits the inspector's narrowest width; the feature names
    widen their column (wine's od280/od315_of_diluted_wines was cut to 'od280/od315_')."""
    import json

    from dashboard.views.common import TABLE_PX, TABLE_ROW_WIDTHS

    pick(wine, 10)
    shown = next(d for d in wine.dataframe if "reconstructed" in d.value.columns)
    assert list(shown.value.columns) == list(TABLE_ROW_WIDTHS)
    assert shown.value["error"].is_monotonic_decreasing and len(shown.value) == 13  # wine's 13 features
    config = json.loads(shown.proto.columns)
    widths = {name: config[name]["width"] for name in TABLE_ROW_WIDTHS}
    assert all(widths[name] >= px for name, px in TABLE_ROW_WIDTHS.items()) and sum(widths.values()) <= TABLE_PX
    assert widths["feature"] > TABLE_ROW_WIDTHS["feature"] and widths["error"] == TABLE_ROW_WIDTHS["error"]
    assert config["error"]["type_config"]["type"] == "progress"


def test_tables_show_every_row_up_to_a_limit():
    """Streamlit's "auto" height showed ten rows and cut the eleventh: the inspector hid a row's last
    features, and Anomalies showed 10 of the 12 rows asked for."""
    from dashboard.views.common import CONTENT_ROWS, ROW_PX, table_height

    assert table_height(12) == "content" and table_height(CONTENT_ROWS) == "content"
    assert table_height(CONTENT_ROWS + 1) == (CONTENT_ROWS + 1) * ROW_PX + 3
    assert table_height(25, most=12) == 13 * ROW_PX + 3


def test_text_widths_give_way_longest_first():
    import pandas as pd

    from dashboard.views.common import TABLE_PX, TABLE_ROW_WIDTHS, text_widths
    short = pd.DataFrame({"feature": ["a"], "original": ["1"], "reconstructed": ["2"], "error": [0.1]})
    assert text_widths(short) == TABLE_ROW_WIDTHS
    long = pd.DataFrame({"feature": ["x" * 40], "original": ["1.5"], "reconstructed": ["excellent (p=0.93)"],
                         "error": [0.1]})
    widths = text_widths(long)
    assert sum(widths.values()) <= TABLE_PX and widths["original"] == TABLE_ROW_WIDTHS["original"]
    assert widths["reconstructed"] >= 6.5 * len("excellent (p=0.93)"), "the shorter text fits whole"


def test_the_data_view_samples_every_label_in_turn():
    """A folder-per-class set sorted by class: the sample shows the classes, not 32 images of the first."""
    from dashboard.info_panels import spread_rows
    labels = np.array(["a"] * 40 + ["b"] * 3 + ["c"] * 40)
    rows = spread_rows(labels, 8)
    assert rows.tolist() == [0, 40, 43, 1, 41, 44, 2, 42]
    assert len(spread_rows(labels[:5], 32)) == 5
