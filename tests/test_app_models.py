"""AppTest: several models of one dataset (kept, switched, removed, bounded), the Compare view with linked
maps, the frames of training and their replay, and new data placed on an existing map."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from aecore.samples import DATA_DIR
from tests.fixtures_ui import (
    by_label,
    choose_source,
    data_point,
    fast_training,
    map_traces,
    open_sample,
    open_view,
    plotly_state,
    select,
    texts,
    typed_array,
    wait_for_training,
    ws,
)


def train(at, model: str = "dense", latent=2, seconds: int = 2):
    fast_training(at, seconds=seconds)
    at.session_state["train_model"] = model
    at.session_state["train_latent"] = latent
    at.button(key="train_button").click().run()
    assert not at.exception, at.exception
    return wait_for_training(at)


@pytest.fixture
def two_models(app):
    """The digits sample's pre-trained model and one more of the same data."""
    train(app, "dense", 4)
    assert len(ws(app).entries) == 2
    return app


def test_models_of_one_dataset_are_kept_switched_and_removed(two_models):
    app = two_models
    w = ws(app)
    first, second = w.entries
    assert w.model is second.model and w.active == 1
    assert second.name.startswith("dense · latent 4 · ")
    assert first.source == "sample: digits (pre-trained)" and second.source == "sample: digits", "trained here"
    version = w.version
    app.selectbox(key=f"model_pick_{version}").set_value(0).run()
    assert not app.exception, app.exception
    w = ws(app)
    assert w.model is first.model and w.exploration is first.exploration, "switching re-uses the model and map"
    assert w.job is None and w.version == version + 1
    app.button(key="model_remove").click().run()
    assert [e.model for e in ws(app).entries] == [second.model] and ws(app).model is second.model


def test_models_are_bounded_and_the_oldest_goes_with_a_notice(app, monkeypatch):
    import dashboard.state

    monkeypatch.setattr(dashboard.state, "MAX_MODELS", 2)
    oldest = ws(app).entries[0]
    train(app, "dense", 2)
    train(app, "dense", 3)
    names = [e.model.config_.latent_dim for e in ws(app).entries]
    assert names == [2, 3] and oldest not in ws(app).entries
    assert any("Kept the 2 newest models of this data" in s.value for s in app.success)


def test_a_bundle_of_a_kept_model_puts_it_back_on_the_map_once(two_models):
    app = two_models
    first = ws(app).entries[0]
    choose_source(app, "Saved model")
    data = (DATA_DIR / "digits.aebundle").read_bytes()  # the pre-trained model, kept first
    app.file_uploader(key="bundle_upload").set_value(("digits.aebundle", data, "application/zip")).run()
    assert not app.exception, app.exception
    w = ws(app)
    assert len(w.entries) == 2 and w.active == 0 and w.model is first.model
    assert any("already kept" in s.value and "not kept twice" in s.value for s in app.success)


def test_new_data_replaces_the_models(two_models):
    open_sample(two_models, "wine")
    assert len(ws(two_models).entries) == 1 and ws(two_models).dataset.name == "wine"


def test_compare_view_table_and_linked_maps(two_models):
    app = open_view(two_models, "Compare")
    table = next(d.value for d in app.dataframe if "map trustworthiness" in d.value.columns)
    assert len(table) == 2 and list(table["#"]) == [1, 2]
    assert table["agrees with #1 on neighbours"].iloc[0] == 1.0
    assert 0 <= table["agrees with #1 on neighbours"].iloc[1] <= 1
    assert ((table["map trustworthiness"] > 0.5) & (table["map trustworthiness"] <= 1)).all()
    assert list(table["latent"]) == [8, 4] and (table["test error"] > 0).all()
    by_label(app.multiselect, "Which 'label' values are anomalies?").set_value(["0"]).run()
    table = next(d.value for d in app.dataframe if "map trustworthiness" in d.value.columns)
    assert "AUROC" in table.columns and table["AUROC"].between(0, 1).all()
    # a lasso on the first map rings the same rows on both
    from streamlit.elements.plotly_chart import PlotlyState

    w = ws(app)
    rows = [3, 7, 11]
    points = [{"curve_number": 1, "point_index": 0, "x": 0.0, "y": 0.0, "customdata": r} for r in rows]
    app.session_state[f"cmp_map_0_{w.version}"] = PlotlyState(selection={"points": points, "point_indices": [0] * 3,
                                                                         "box": [], "lasso": [{"x": [0], "y": [0]}]})
    app.run()
    assert not app.exception, app.exception
    import json

    specs = [json.loads(c.proto.spec)["data"] for c in app.get("plotly_chart") if "cmp_map" in c.proto.id]
    assert len(specs) == 2
    for traces in specs:
        ring = traces[-1]
        assert ring["name"] == "3 picked" and sorted(typed_array(ring["customdata"]).tolist()) == rows


def test_a_box_on_a_sampled_compare_map_picks_every_row_inside(two_models, monkeypatch):
    """Above big_map.SAMPLE_ABOVE rows a map draws a sample: a box picks every row inside it, here, and each
    map rings at most RING_MAX of them (shrunk here so the 1,797 digits count as a big map)."""
    import json

    from streamlit.elements.plotly_chart import PlotlyState

    from dashboard import big_map, compare_panel

    monkeypatch.setattr(big_map, "SAMPLE_ABOVE", 100)
    monkeypatch.setattr(compare_panel, "RING_MAX", 50)
    app = open_view(two_models, "Compare")
    w = ws(app)
    xy = w.entries[0].exploration.xy
    x0, x1 = np.percentile(xy[:, 0], [10, 90])
    y0, y1 = np.percentile(xy[:, 1], [10, 90])
    inside = np.flatnonzero((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1))
    drawn = {"curve_number": 1, "point_index": 0, "x": 0.0, "y": 0.0, "customdata": int(inside[0])}
    app.session_state[f"cmp_map_0_{w.version}"] = PlotlyState(selection={
        "points": [drawn], "point_indices": [0], "box": [{"x": [x0, x1], "y": [y0, y1]}], "lasso": []})
    app.run()
    assert not app.exception, app.exception
    specs = [json.loads(c.proto.spec)["data"] for c in app.get("plotly_chart") if "cmp_map" in c.proto.id]
    assert len(inside) > 50 and len(specs) == 2
    for traces in specs:
        ring = traces[-1]
        assert ring["name"] == f"{len(inside):,} picked (50 ringed)"
        assert set(typed_array(ring["customdata"]).tolist()) <= set(inside.tolist())
        assert len(typed_array(ring["customdata"])) == 50


def test_training_frames_are_kept_and_replayed(two_models):
    open_view(two_models, "Training")
    entry = ws(two_models).entry
    assert len(entry.frames) >= 2 and entry.frames[0].xy.shape == (1000, 2)
    assert entry.derived["frame_labels"] is not None and len(entry.derived["frame_labels"]) == 1000
    slider = two_models.select_slider(key=f"replay_{ws(two_models).version}")
    assert slider.value == len(entry.frames) - 1
    slider.set_value(0).run()
    assert not two_models.exception, two_models.exception


def wine_csv(shift: float = 0.0) -> bytes:
    df = pd.read_csv(DATA_DIR / "wine.csv").head(60)
    numbers = df.select_dtypes("number").columns
    df[numbers] = df[numbers] * (1 + shift)
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue().encode()


def test_new_data_is_placed_on_the_map_and_scored(app):
    open_sample(app, "wine")
    w = ws(app)
    app.file_uploader(key=f"new_data_{w.version}").set_value(("later.csv", wine_csv(shift=3.0), "text/csv")).run()
    assert not app.exception, app.exception
    assert ws(app).new_data is not None and ws(app).new_data.dataset.n == 60
    new = map_traces(app)[-2] if map_traces(app)[-1]["name"].startswith("ring") else map_traces(app)[-1]
    assert new["name"] == "new: later.csv (60)" and len(new["x"]) == 60
    assert list(new["customdata"][:3]) == [178, 179, 180], "new rows are numbered after the training rows"
    assert "of 60 new rows" in texts(app) and "this data differs from what the model learned" in texts(app)
    # a new point picked on the map shows that row beside its reconstruction
    select(app, plotly_state([{"curve_number": len(map_traces(app)) - 1, "point_index": 0,
                               "x": float(new["x"][0]), "y": float(new["y"][0]), "customdata": 178}]))
    assert "New row 0** · later.csv" in texts(app)
    assert "the training rows' threshold" in texts(app), "its error against the threshold, under its name"


def test_a_click_still_picks_training_rows_with_new_data_shown(app):
    open_sample(app, "wine")
    w = ws(app)
    app.file_uploader(key=f"new_data_{w.version}").set_value(("same.csv", wine_csv(), "text/csv")).run()
    select(app, plotly_state([data_point(app, 5)]))
    assert "Row 5" in texts(app) and np.isfinite(ws(app).exploration.errors[5])
