"""AppTest: bringing data in through the sidebar. A CSV upload with its column choice, an image ZIP, a
saved model bundle; and every kind of bad upload, which must show st.error and keep what the user had."""
from __future__ import annotations

import io

import pytest

from aecore.bundle import save_bundle
from aecore.samples import DATA_DIR
from dashboard.explore_panel import map_key
from dashboard.state import VIEW_KEY
from tests.fixtures_ui import (
    by_label,
    choose_source,
    data_point,
    fast_training,
    image_captions,
    make_csv,
    make_image_zip,
    make_text_zip,
    open_sample,
    open_view,
    plotly_state,
    select,
    texts,
    upload_csv,
    wait_for_training,
    ws,
)


def snapshot(at) -> tuple:
    w = ws(at)
    return w.version, w.dataset, w.model, w.exploration, w.source


def assert_unchanged(at, before: tuple) -> None:
    w = ws(at)
    now = (w.version, w.dataset, w.model, w.exploration, w.source)
    assert all(a is b or a == b for a, b in zip(before, now, strict=True)), "a failed upload changed the workspace"
    assert w.job is None, "a failed upload started training"
    assert map_key(w) in at.session_state, "the old map is gone"


def test_the_feature_chooser_offers_what_the_column_table_uses(app):
    """An id column is not offered as a chosen feature that the table beside it says is not one."""
    upload_csv(app, make_csv(60, id_column=True), name="ids.csv")
    assert by_label(app.multiselect, "Feature columns").value == ["sepal", "petal", "stem", "leaf"]
    plan = next(d.value for d in app.dataframe if "becomes" in d.value.columns).set_index("column")
    assert plan.loc["sample_id", "becomes"] == "kept, not a feature"


def test_csv_upload_choose_columns_and_train(app):
    fast_training(app)
    before = ws(app).version
    upload_csv(app, make_csv(300))
    w = ws(app)
    assert w.pending_table is not None and w.pending_table.name == "plants.csv"
    assert "New table: plants.csv" in texts(app)
    assert "'plants.csv' is read" in texts(app)
    label = by_label(app.selectbox, "Label / colour column")
    assert label.value == "species", "the label column should be guessed from its name"
    features = by_label(app.multiselect, "Feature columns")
    assert features.value == ["sepal", "petal", "stem", "leaf"]
    features.set_value(["sepal", "petal", "stem"])
    app.button(key="table_train").click().run()
    assert not app.exception, app.exception
    assert ws(app).job is not None, "submitting the form should start training"
    assert ws(app).pending_table is None
    wait_for_training(app)
    w = ws(app)
    assert w.version == before + 1
    assert w.source == "csv: plants.csv"
    assert w.dataset.kind == "table" and w.dataset.n == 300 and w.dataset.label == "species"
    assert w.dataset.X.shape[1] == 3, "only the chosen feature columns are learned from"
    assert w.model.config_.latent_dim == 1, "auto latent size: below the 3 features"
    assert w.exploration.projection == "latent"  # a 1-D code is its own map
    assert map_key(w) in app.session_state
    assert "csv: plants.csv" in app.markdown[0].value
    assert app.success, "a finished run reports itself"
    # the new map answers clicks: a table row beside its reconstruction
    select(app, plotly_state([data_point(app, 10)]))
    assert "Row 10 · species kind1" in texts(app)
    assert app.dataframe, "a table row is inspected as a table"


def test_after_a_csv_upload_the_sidebar_train_trains_it_with_the_chosen_columns(app):
    """The obvious button trains the upload, never the previous data silently."""
    fast_training(app)
    upload_csv(app, make_csv(120))
    train = app.button(key="train_button")
    assert train.label == "Train on plants.csv"
    by_label(app.multiselect, "Feature columns").set_value(["sepal", "leaf"])
    app.button(key="train_button").click().run()
    assert not app.exception, app.exception
    wait_for_training(app)
    w = ws(app)
    assert w.source == "csv: plants.csv" and w.dataset.n == 120 and w.dataset.X.shape[1] == 2
    assert w.pending_table is None and app.button(key="train_button").label == "Train on plants.csv"


def test_column_chooser_says_what_each_column_becomes(app):
    data = b"a,b,c,kind\n" + b"".join(f"1.5,{i * 2},x{i % 3},k{i % 2}\n".encode() for i in range(30))
    upload_csv(app, data, name="mixed.csv")
    plan = next(d.value for d in app.dataframe if "becomes" in d.value.columns)
    becomes = dict(zip(plan["column"], plan["becomes"], strict=True))
    why = dict(zip(plan["column"], plan["why"], strict=True))
    assert becomes == {"a": "dropped", "b": "number", "c": "category", "kind": "label"}
    assert why["a"] == "every value is the same (1.5)"


def test_a_refused_column_choice_says_why_and_keeps_cancel(app):
    data = b"a,b,kind\n" + b"".join(f"1.5,7,k{i % 2}\n".encode() for i in range(30))
    upload_csv(app, data, name="flat.csv")
    app.button(key="table_train").click().run()
    assert not app.exception, app.exception
    errors = " ".join(e.value for e in app.error)
    assert "'a': every value is the same (1.5)" in errors and "'b': every value is the same (7)" in errors
    assert app.button(key="table_cancel"), "Cancel stays after an error"
    app.button(key="table_cancel").click().run()
    assert ws(app).pending_table is None


def test_csv_with_an_id_column_maps_and_names_its_rows(app):
    fast_training(app)
    upload_csv(app, make_csv(120, id_column=True), name="with_ids.csv")
    by_label(app.multiselect, "Feature columns").set_value(["sepal", "petal", "stem", "leaf"])
    app.button(key="table_train").click().run()
    wait_for_training(app)  # asserts no exception on every rerun
    assert ws(app).source == "csv: with_ids.csv"
    select(app, plotly_state([data_point(app, 10)]))
    assert "Row 10 · species kind1 · S-00010" in texts(app), "the id column names the picked row"


def test_csv_cancel_keeps_the_old_model(app):
    before = snapshot(app)
    upload_csv(app, make_csv(50))
    assert ws(app).pending_table is not None
    app.button(key="table_cancel").click().run()
    assert not app.exception, app.exception
    assert ws(app).pending_table is None
    assert "New table" not in texts(app)
    assert_unchanged(app, before)


def test_csv_with_no_feature_column_is_refused(app):
    before = snapshot(app)
    upload_csv(app, make_csv(50))
    by_label(app.multiselect, "Feature columns").set_value([])
    app.button(key="table_train").click().run()
    assert not app.exception, app.exception
    assert any("No feature columns" in e.value for e in app.error)
    assert ws(app).pending_table is not None, "the user can fix the choice and submit again"
    assert_unchanged(app, before)


@pytest.mark.parametrize("name, data, message", [
    ("binary.csv", b"\x00\x01\x02PK\x00\xff" * 200, "binary"),
    ("ragged.csv", b"a,b,c\n1,2,3\n4,5\n6,7,8,9,10\n1,2,3\n", "well-formed"),
    ("empty.csv", b"", "empty"),
    ("one_row.csv", b"a,b\n1,2\n", "at least 2"),
])
def test_bad_csv_shows_an_error_and_keeps_the_model(app, name, data, message):
    before = snapshot(app)
    upload_csv(app, data, name=name)
    errors = [e.value for e in app.error]
    assert errors, f"no st.error for {name}"
    assert any(message in e for e in errors), errors
    assert ws(app).pending_table is None
    assert_unchanged(app, before)
    assert app.segmented_control(key=VIEW_KEY).value == "Explore", "the page still shows the map"


def test_a_folder_upload_is_named_after_the_folder_and_labelled_by_its_sub_folders(app):
    import zipfile

    with zipfile.ZipFile(io.BytesIO(make_image_zip())) as zf:  # "bars/horizontal/000.png", ...
        files = [(name, zf.read(name), "image/png") for name in zf.namelist()]
    choose_source(app, "Images")
    app.toggle(key="img_folder").set_value(True).run()
    app.file_uploader(key="img_folder_up").set_value(files).run()
    assert not app.exception, app.exception
    pending = ws(app).pending_images
    assert pending is not None and pending.dataset.n == 40
    assert set(pending.dataset.meta["label"]) == {"horizontal", "vertical"}
    assert app.button(key="train_button").label == "Train on bars"


def test_an_upload_is_named_by_its_file_its_folder_or_its_count():
    from dashboard.data_panel import upload_name

    assert upload_name(["set.zip"]) == "set.zip"
    assert upload_name(["photos/cat/1.png", "photos/dog/2.png"]) == "photos"
    assert upload_name(["a.png", "b.png"]) == "2 files"
    assert upload_name(["photos/1.png", "more/2.png"]) == "2 files"
    assert upload_name(["photos/1.png", "2.png"]) == "2 files"


def test_image_zip_upload_trains_and_inspects(app):
    fast_training(app)
    before = ws(app).version
    choose_source(app, "Images")
    assert app.button(key="train_button").label == "Train on digits", "before an upload, Train trains the map's data"
    app.file_uploader(key="img_upload").set_value(("bars.zip", make_image_zip(), "application/zip")).run()
    assert ws(app).pending_images is not None and "Press Train" in texts(app)
    assert app.button(key="train_button").label == "Train on bars.zip", "the one Train now trains the upload"
    app.button(key="train_button").click().run()
    assert not app.exception, app.exception
    assert ws(app).job is not None
    wait_for_training(app)
    w = ws(app)
    assert w.version == before + 1
    assert w.source == "images: bars.zip"
    assert w.dataset.kind == "image" and w.dataset.n == 40 and w.dataset.label == "label"
    assert set(w.dataset.meta["label"]) == {"horizontal", "vertical"}
    assert map_key(w) in app.session_state
    select(app, plotly_state([data_point(app, 0)]))
    assert "original" in image_captions(app) and "reconstruction" in image_captions(app)


@pytest.mark.parametrize("name, data, message", [
    ("notes.zip", make_text_zip(), "No images found"),
    ("broken.png", b"\x89PNG\r\n\x1a\n but not really", "could be read as an image"),
])
def test_bad_images_show_an_error_and_keep_the_model(app, name, data, message):
    before = snapshot(app)
    choose_source(app, "Images")
    app.file_uploader(key="img_upload").set_value((name, data, "application/octet-stream")).run()
    assert not app.exception, app.exception
    assert ws(app).pending_images is None
    errors = [e.value for e in app.error]
    assert any(message in e for e in errors), errors
    assert_unchanged(app, before)


@pytest.mark.parametrize("name, data", [
    ("model.aebundle", b"this is not a zip file at all"),
    ("images.zip", make_image_zip(per_class=2)),
])
def test_bad_bundle_shows_an_error_and_keeps_the_model(app, name, data):
    before = snapshot(app)
    choose_source(app, "Saved model")
    app.file_uploader(key="bundle_upload").set_value((name, data, "application/zip")).run()
    assert not app.exception, app.exception
    assert app.error, "a file that is not a model bundle must say so"
    assert_unchanged(app, before)


def test_saved_bundle_round_trips_through_the_upload(app):
    """What 'Download model bundle' writes, 'Saved model' reads back: same model, data and map."""
    w = ws(app)
    ex = w.exploration
    data = save_bundle(None, w.model, w.dataset, codes=ex.codes, xy=ex.xy, errors=ex.errors,
                       comparison=w.comparison)
    open_sample(app, "wine")  # other data on the map: the bundle is not the model already kept
    before = ws(app).version
    choose_source(app, "Saved model")
    app.file_uploader(key="bundle_upload").set_value(("mine.aebundle", data, "application/zip")).run()
    assert not app.exception, app.exception
    w = ws(app)
    assert w.version == before + 1
    assert w.source == "model: mine.aebundle"
    assert w.dataset.n == 1797
    assert (w.exploration.xy == ex.xy).all()
    assert any("Loaded 'mine.aebundle'" in s.value for s in app.success)
    app.run()  # the same file on the next rerun is not loaded twice
    assert ws(app).version == before + 1


def test_shipped_sample_bundle_loads_as_saved_model(app):
    data = (DATA_DIR / "digits.aebundle").read_bytes()
    choose_source(app, "Saved model")
    app.file_uploader(key="bundle_upload").set_value(("digits.aebundle", data, "application/zip")).run()
    assert not app.exception, app.exception
    assert not app.error
    # the app opened on this very model: it is not kept twice
    assert len(ws(app).entries) == 1 and ws(app).source == "sample: digits (pre-trained)"
    assert any("This model is already kept" in s.value for s in app.success)


def test_a_label_with_a_blank_cell_maps_and_scores(app):
    """Once: "TypeError: '<' not supported between instances of 'float' and 'str'", the map replaced and
    the other views blank. A missing label is the category '(missing)' everywhere."""
    fast_training(app)
    lines = make_csv(120).decode().splitlines()
    lines[5] = ",".join(lines[5].split(",")[:-1] + [""])  # one blank species
    upload_csv(app, ("\n".join(lines) + "\n").encode(), name="gap.csv")
    app.button(key="table_train").click().run()
    wait_for_training(app)
    assert ws(app).source == "csv: gap.csv" and not app.error
    from tests.fixtures_ui import map_traces

    assert "(missing)" in [t["name"] for t in map_traces(app)]
    open_view(app, "Anomalies")
    chooser = by_label(app.multiselect, "Which 'species' values are anomalies?")
    assert "(missing)" in chooser.options
    chooser.set_value(["(missing)"]).run()
    assert not app.exception, app.exception
    assert by_label(app.metric, "AUROC").value != ""
    open_view(app, "Explore")
    select(app, plotly_state([data_point(app, 4)]))
    assert "Row 4 · species (missing)" in texts(app)


def test_bundles_in_the_server_folder_open_without_an_upload(app, tmp_path, monkeypatch):
    """A bundle written on a cluster to the server's bundle folder opens from a list, codes and map as stored."""
    w = ws(app)
    ex = w.exploration
    save_bundle(tmp_path / "cluster.aebundle", w.model, w.dataset, codes=ex.codes, xy=ex.xy, errors=ex.errors)
    (tmp_path / "notes.txt").write_text("not a bundle: never listed")
    monkeypatch.setenv("LATENT_EXPLORER_BUNDLES", str(tmp_path))
    open_sample(app, "wine")  # other data on the map: the bundle is not the model already kept
    choose_source(app, "Saved model")
    assert app.selectbox(key="server_bundle").options == ["cluster.aebundle"]
    app.button(key="server_bundle_open").click().run()
    assert not app.exception, app.exception
    assert ws(app).source == "model: cluster.aebundle"
    assert (ws(app).exploration.xy == ex.xy).all()


def test_without_a_server_folder_only_the_upload_is_offered(app, monkeypatch):
    monkeypatch.delenv("LATENT_EXPLORER_BUNDLES", raising=False)
    choose_source(app, "Saved model")
    assert not [s for s in app.selectbox if s.key == "server_bundle"]


def test_a_parquet_table_uploads_and_trains(app):
    import io

    import pandas as pd

    buf = io.BytesIO()
    pd.read_csv(io.BytesIO(make_csv(150))).to_parquet(buf, index=False)
    fast_training(app)
    upload_csv(app, buf.getvalue(), name="plants.parquet")
    assert ws(app).pending_table is not None and "(Parquet)" in ws(app).pending_table.report[0]
    app.button(key="table_train").click().run()
    wait_for_training(app)
    assert ws(app).source == "parquet: plants.parquet" and ws(app).dataset.n == 150
