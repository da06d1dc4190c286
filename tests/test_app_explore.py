"""AppTest: the first screen and the Explore view. A click on the map is simulated as Streamlit's
AppTest allows: a PlotlyState written into session_state under the chart's key (dashboard.explore_panel.map_key),
which st.plotly_chart then returns to map_panel, which applies it (apply_selection)."""
from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from streamlit.elements.plotly_chart import PlotlyState

from dashboard.explore_panel import apply_selection, map_key, point_id
from dashboard.figures import GRID_ID
from dashboard.main import PAGE_TOP
from dashboard.render import to_pil
from dashboard.state import VIEW_KEY, Pick, Workspace
from tests.fixtures_ui import data_point, image_captions, plotly_state, select, texts, ws


def test_default_load_opens_pretrained_digits(app):
    w = ws(app)
    assert w.ready
    assert w.job is None, "the default sample is pre-trained: nothing should train on first load"
    assert w.dataset.kind == "image" and w.dataset.n == 1797
    assert w.source.startswith("sample: digits")
    assert app.title[0].value == "Latent explorer"
    assert any(el.proto.body == PAGE_TOP for el in app.get("html")), "the page starts higher than Streamlit's 6rem"
    views = app.segmented_control(key=VIEW_KEY)
    assert views.options == ["Explore", "Compare", "Anomalies", "Training", "Data", "Export"]
    assert views.value == "Explore", "the page opens on the map"
    # the map: a plotly chart registered under the versioned key; only the chosen view is drawn
    assert map_key(w) in app.session_state
    assert any(map_key(w) in el.proto.id for el in app.get("plotly_chart")), "no map in the Explore view"
    assert "Click a point on the map" in texts(app)
    assert not app.error


def test_point_click_shows_reconstruction(app):
    select(app, plotly_state([data_point(app, 5)]))
    w = ws(app)
    assert w.pick == Pick(row=5)
    assert w.selection is None
    page = texts(app)
    assert "Row 5" in page and "label 5" in page
    assert "Reconstruction error" in page
    captions = image_captions(app)
    assert "original" in captions and "reconstruction" in captions
    assert any(c.startswith("difference") for c in captions)


def test_the_picked_rows_name_and_error_are_one_element(app):
    """Every element a click adds costs the page a render: the row's name, its error and the error's rank
    travel as one markdown element. The rank is 1 for the row the model reconstructs worst."""
    errors = ws(app).exploration.errors
    worst = int(np.argmax(errors))
    select(app, plotly_state([data_point(app, worst)]))
    header = [m.value for m in app.markdown if m.value.startswith(f"**Row {worst} ")]
    assert len(header) == 1, [m.value for m in app.markdown]
    assert f"Reconstruction error {errors[worst]:.4g} · rank 1 of 1,797" in header[0]
    assert not [c.value for c in app.caption if "Reconstruction error" in c.value], "the error is said once"


def test_a_clicks_images_arrive_with_the_reply(app):
    """The reconstruction travels inline (a PNG data URI), so the page needs no second request to show it,
    and it is the model's reconstruction of the clicked row."""
    select(app, plotly_state([data_point(app, 5)]))
    image = next(img for img in app.image if "reconstruction" in img.captions)
    url = image.proto.imgs[list(image.captions).index("reconstruction")].url
    assert url.startswith("data:image/png;base64,")
    shown = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))
    w = ws(app)
    expected = np.asarray(to_pil(w.model.reconstruct(w.dataset.X[5:6])[0]))
    assert np.array_equal(shown[:, : expected.shape[1]], expected), "the image is the row's reconstruction"


def test_another_point_replaces_the_pick(app):
    select(app, plotly_state([data_point(app, 5)]))
    # Under AppTest a click reruns the whole page, and the map marks the pick (with_pick) from the next run on:
    # a new figure, so a new chart element, whose selection a click in that same run would not reach. In the
    # browser a click reruns the inspector alone, and the next click reaches the map the page holds; this run
    # puts the page where the browser's is (the map drawn with its pick) before the second click.
    app.run()
    select(app, plotly_state([data_point(app, 42)]))
    assert ws(app).pick.row == 42
    assert "Row 42" in texts(app)


def test_a_map_drawn_anew_still_marks_the_pick(app):
    """Plotly marks a clicked point itself; once the map is drawn again (another view and back, another
    colour) the figure carries the pick: its point selected, every other data point dimmed."""
    import json

    from tests.fixtures_ui import show_view, typed_array

    select(app, plotly_state([data_point(app, 5)]))
    show_view(app, "Anomalies")
    show_view(app, "Explore")
    assert not app.exception, app.exception
    traces = json.loads(next(c for c in app.get("plotly_chart") if map_key(ws(app)) in c.proto.id).proto.spec)["data"]
    data = [t for t in traces if t.get("name") != "decode here"]
    picked = [t for t in data if t.get("selectedpoints")]
    assert len(picked) == 1 and typed_array(picked[0]["customdata"])[picked[0]["selectedpoints"][0]] == 5
    assert all(t.get("selectedpoints") == [] for t in data if t is not picked[0])
    assert "selectedpoints" not in next(t for t in traces if t.get("name") == "decode here")
    assert "Row 5" in texts(app), "the inspector still shows the pick"


def test_grid_click_decodes_the_spot(app):
    x, y = (float(v) for v in ws(app).exploration.xy.mean(0))
    select(app, plotly_state([{"curve_number": 0, "point_index": 3200, "x": x, "y": y, "customdata": GRID_ID}]))
    w = ws(app)
    assert w.pick.row is None and w.pick.x == pytest.approx(x) and w.pick.y == pytest.approx(y)
    assert "Decoded at" in texts(app)
    assert "decoded" in image_captions(app)


def test_far_grid_click_says_what_the_decode_really_is(app):
    """A blend of the nearest codes cannot leave their hull: the page says so instead of 'extrapolated'."""
    xy = ws(app).exploration.xy
    far = xy.max(0) + (xy.max(0) - xy.min(0))  # well outside the cloud
    select(app, plotly_state([{"curve_number": 0, "point_index": 0, "x": float(far[0]), "y": float(far[1]),
                               "customdata": GRID_ID}]))
    text = texts(app)
    assert "Decoded at" in text and "neighbour spacings from the nearest point" in text
    assert "not an extrapolation" in text and "extrapolated" not in text
    nearest = ws(app).exploration.inverse.nearest_rows(*far, 3)
    assert f"rows {', '.join(map(str, nearest))}" in text


def test_box_selection_summarises_rows(app):
    points = [data_point(app, r) for r in (3, 7, 11, 7)]  # a duplicate is counted once
    points.append({"curve_number": 0, "point_index": 0, "x": 0.0, "y": 0.0, "customdata": GRID_ID})  # grid: ignored
    select(app, plotly_state(points, box=True))
    w = ws(app)
    assert w.selection is not None and list(w.selection) == [3, 7, 11]
    assert "3 rows selected" in texts(app)
    assert any(b.label == "Download selected rows (CSV)" for b in app.get("download_button"))


def test_colour_by_reconstruction_error_keeps_the_map(app):
    w = ws(app)
    box = app.selectbox(key=f"colour_by_{w.version}")
    assert "reconstruction error" in box.options
    box.set_value("reconstruction error").run()
    assert not app.exception, app.exception
    assert map_key(w) in app.session_state
    assert w.version == 1


def test_colour_options_leave_out_columns_of_one_value():
    """MNIST's width and height are 28 in every row: colouring by them says nothing."""
    from types import SimpleNamespace

    from dashboard.explore_panel import colour_options
    meta = pd.DataFrame({"file": [f"{i}.png" for i in range(6)], "label": list("ababab"), "width": [28] * 6,
                         "height": [28, 28, 28, 28, 28, 30], "note": ["x"] * 6, "car": list("uvwxyz"),
                         "kind": list("ppqqrr")})
    space = SimpleNamespace(dataset=SimpleNamespace(meta=meta, label="label"), cached=lambda key, build: build())
    assert colour_options(space) == ["label", "reconstruction error", "height", "kind"], "no names (car) either"


# -- apply_selection: every shape of event Plotly/Streamlit can hand back ---------------------------

@pytest.mark.parametrize("customdata, row", [(12, 12), ([12], 12), ({"0": 12}, 12), ("12", 12), (None, None),
                                             ([], None), ("x", None)])
def test_point_id_reads_every_customdata_shape(customdata, row):
    assert point_id({"customdata": customdata}) == row


def test_apply_selection_rules():
    w = Workspace()
    assert apply_selection(w, None) is False
    assert apply_selection(w, {"selection": {"points": []}}) is False, "an emptied selection keeps the pick"
    assert apply_selection(w, {"selection": {"points": [{"x": 1, "y": 2, "customdata": {"0": 9}}]}})
    assert w.pick == Pick(row=9)
    assert apply_selection(w, {"selection": {"points": []}}) is False
    assert w.pick == Pick(row=9)
    assert apply_selection(w, {"selection": {"points": [{"x": 1.5, "y": -2.0, "customdata": GRID_ID}]}})
    assert w.pick == Pick(x=1.5, y=-2.0)
    lasso = {"selection": {"points": [{"x": 0, "y": 0, "customdata": 4}], "lasso": [{"x": [0], "y": [0]}]}}
    assert apply_selection(w, lasso)
    assert isinstance(w.selection, np.ndarray) and list(w.selection) == [4]
    only_grid = {"selection": {"points": [{"x": 0, "y": 0, "customdata": GRID_ID}] * 2, "box": [{}]}}
    assert apply_selection(w, only_grid)
    assert w.selection is None


@pytest.mark.parametrize("event", [{"selection": {"points": [{"x": 1, "y": 2, "customdata": 9}]}},
                                   {"selection": {"points": [], "box": [], "lasso": []}}])
def test_a_map_event_reruns_the_inspector_alone(monkeypatch, event):
    """A click or an emptied selection (Plotly's double-click) must not rerun the map's fragment, which would
    re-send the figure and re-create the chart in the browser."""
    from dashboard import explore_panel

    w, reruns = Workspace(), []
    monkeypatch.setattr(explore_panel, "get_ws", lambda: w)
    monkeypatch.setattr(explore_panel.st, "session_state", {map_key(w): event})
    monkeypatch.setattr(explore_panel.st, "rerun", reruns.append)
    explore_panel.on_map_select()
    assert reruns == ["inspector"]
    assert w.pick == (Pick(row=9) if event["selection"]["points"] else Pick())


# -- a big map: a sample in the browser, selections over every row on the server ---------------------------

@pytest.fixture
def big_app(monkeypatch, app):
    """The digits map (1,797 rows) drawn as a big map: a 500-row sample over a density image."""
    from dashboard import big_map

    monkeypatch.setattr(big_map, "SAMPLE_ABOVE", 1_000)
    monkeypatch.setattr(big_map, "MAP_SAMPLE", 500)
    monkeypatch.setattr(big_map, "DENSITY_WIDTH", 120)
    monkeypatch.setattr(big_map, "DENSITY_HEIGHT", 84)
    w = ws(app)
    w.cache = {}  # the first run's figure drew every row
    app.run()
    return app


def with_shapes(points: list[dict], box=(), lasso=()) -> PlotlyState:
    """A selection as Streamlit hands it back after a drag: the drawn points and the shapes' geometry."""
    return PlotlyState(selection={"points": points, "point_indices": [p.get("point_index", 0) for p in points],
                                  "box": list(box), "lasso": list(lasso)})


def test_a_big_map_says_what_it_draws(big_app):
    from tests.fixtures_ui import map_traces

    assert "Showing a 500-row sample (the 50 highest-error rows, the rest at random) over a density image of all " \
           "1,797 rows" in texts(big_app)
    traces = map_traces(big_app)
    assert sum(len(t["x"]) for t in traces[1:]) == 500


def test_a_box_on_a_big_map_selects_every_row_inside_it(big_app):
    w = ws(big_app)
    xy = w.exploration.xy
    lo, hi = np.percentile(xy, 20, axis=0), np.percentile(xy, 80, axis=0)
    inside = np.flatnonzero(((xy >= lo) & (xy <= hi)).all(1))
    drawn = [data_point(big_app, int(r)) for r in inside[:3]]  # the browser reports only sampled points
    box = [{"xref": "x", "yref": "y", "x": [float(lo[0]), float(hi[0])], "y": [float(hi[1]), float(lo[1])]}]
    select(big_app, with_shapes(drawn, box=box))
    assert w.selection is not None and np.array_equal(w.selection, inside)
    assert f"{len(inside):,} rows selected" in texts(big_app)


def test_a_lasso_on_a_big_map_selects_every_row_inside_it(big_app):
    w = ws(big_app)
    xy = w.exploration.xy
    c = xy.mean(0)
    r = 0.5 * xy.std(0)
    t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    xs, ys = c[0] + r[0] * np.cos(t), c[1] + r[1] * np.sin(t)
    lasso = [{"xref": "x", "yref": "y", "x": xs.tolist(), "y": ys.tolist()}]
    select(big_app, with_shapes([data_point(big_app, 0), data_point(big_app, 1)], lasso=lasso))
    inside = np.flatnonzero(((xy - c) ** 2 / r**2).sum(1) < 0.99)  # well inside the 60-gon
    assert w.selection is not None and set(inside) <= set(w.selection)
    assert len(w.selection) < 1.1 * len(inside) + 5


def test_the_page_says_how_the_map_was_made(app):
    note = ws(app).exploration.map_note
    assert note  # the shipped sample's bundle: its stored sentence, or that the map was saved with the model
    assert any(note in c.value for c in app.caption), [c.value for c in app.caption]
