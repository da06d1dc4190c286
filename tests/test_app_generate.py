"""AppTest: what the model makes, on its map. The walk between two points picked by clicking (images and a
table), VAE samples and a decoded spot drawn where their codes fall."""
from __future__ import annotations

import numpy as np

from aecore.estimator import interpolate
from dashboard.state import VIEW_KEY
from tests.fixtures_ui import (
    by_label,
    data_point,
    fast_training,
    image_captions,
    map_traces,
    open_sample,
    open_view,
    plotly_state,
    select,
    show_view,
    texts,
    wait_for_training,
    ws,
)


def pick(at, row: int):
    return select(at, plotly_state([data_point(at, row)]))


def test_walk_between_two_clicked_digits_decodes_each_step(app):
    pick(app, 0)
    show_view(app, "Walk")
    app.button(key="walk_start").click().run()
    assert ws(app).walk_from == 0 and "now click another point" in texts(app)
    pick(app, 5)
    app.slider(key="walk_steps").set_value(6).run()
    assert not app.exception, app.exception
    captions = image_captions(app)
    assert [c for c in captions if c in ("0.00", "0.20", "0.40", "0.60", "0.80", "1.00")] == \
        ["0.00", "0.20", "0.40", "0.60", "0.80", "1.00"]
    w = ws(app)
    ends = w.model.inverse_transform(interpolate(w.exploration.codes[0], w.exploration.codes[5], 6)[[0, -1]])
    np.testing.assert_allclose(ends, w.model.inverse_transform(w.exploration.codes[[0, 5]]), atol=1e-5)
    traces = len(map_traces(app))
    app.button(key="walk_draw").click().run()
    assert not app.exception, app.exception
    path = map_traces(app)[-1]
    assert len(map_traces(app)) == traces + 1 and path["name"] == "walk 0 → 5" and len(path["x"]) == 6
    xy = ws(app).exploration.xy
    np.testing.assert_allclose([path["x"][0], path["y"][0]], xy[0], atol=1e-4)  # the walk starts on row 0's point


def test_walk_between_two_table_rows_is_a_table(app):
    open_sample(app, "wine")
    pick(app, 3)
    show_view(app, "Walk")
    app.button(key="walk_start").click().run()
    pick(app, 40)
    app.slider(key="walk_steps").set_value(4).run()
    assert not app.exception, app.exception
    walks = [d.value for d in app.dataframe if "t" in d.value.columns]
    assert walks and list(walks[0]["t"]) == [0.0, 0.33, 0.67, 1.0]
    assert "cultivar" not in walks[0].columns  # the label is not a feature: it is not decoded


def test_vae_samples_are_drawn_where_their_codes_fall(app):
    fast_training(app, seconds=2)
    app.session_state["train_model"] = "vae"
    app.button(key="train_button").click().run()
    wait_for_training(app)
    assert ws(app).model.is_variational
    open_view(app, "Training")
    by_label(app.button, "Sample 8 new images from the prior").click().run()
    assert not app.exception, app.exception
    app.button(key="vae_sample_map").click().run()
    assert app.segmented_control(key=VIEW_KEY).value == "Explore", "the button shows the map"
    stars = map_traces(app)[-1]
    assert stars["name"] == "VAE samples" and len(stars["x"]) == 8
    assert all(c == -1 for c in stars["customdata"]), "a generated point decodes its spot when clicked"


def test_a_decoded_spot_is_drawn_where_its_code_falls(app):
    xy = ws(app).exploration.xy
    far = xy.max(0) + (xy.max(0) - xy.min(0))
    select(app, plotly_state([{"curve_number": 0, "point_index": 0, "x": float(far[0]), "y": float(far[1]),
                               "customdata": -1}]))
    app.button(key="decoded_show").click().run()
    assert not app.exception, app.exception
    spot = map_traces(app)[-1]
    assert spot["name"] == "decoded spots" and len(spot["x"]) == 1
    # its code blends the nearest points' codes: it falls among the data, not out where it was clicked
    assert np.hypot(spot["x"][0] - far[0], spot["y"][0] - far[1]) > 0.5 * np.ptp(xy[:, 0])
