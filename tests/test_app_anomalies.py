"""AppTest: opening a sample from the sidebar, the Anomalies view (threshold slider, AUROC for a chosen
anomaly class) on the breast cancer sample, and the Export, Data and Training views."""
from __future__ import annotations

import numpy as np
import pytest

from tests.fixtures_ui import by_label, fast_training, open_view, texts, wait_for_training, ws


@pytest.fixture
def cancer(app):
    """The breast cancer sample, opened from the sidebar (pre-trained bundle, or a short run without one)."""
    fast_training(app)
    app.selectbox(key="sample_key").set_value("breast_cancer").run()
    assert "malignant" in texts(app), "the sample's description suggests its anomaly class"
    by_label(app.sidebar.button, "Open sample").click().run()
    assert not app.exception, app.exception
    wait_for_training(app)
    w = ws(app)
    assert w.source.startswith("sample: breast_cancer"), w.source
    assert w.dataset.n == 569 and w.dataset.label == "diagnosis"
    return open_view(app, "Anomalies")


def metric(at, label: str) -> str:
    return by_label(at.metric, label).value


def test_threshold_slider_changes_flagged_rows(cancer):
    w = ws(cancer)
    slider = cancer.slider(key=f"anom_pct_{w.version}")
    assert slider.value == 95.0
    default = metric(cancer, "Flagged rows")
    assert default.endswith("of 569")
    expected = int((w.exploration.errors > np.percentile(w.exploration.errors, 99.0)).sum())
    slider.set_value(99.0).run()
    assert not cancer.exception, cancer.exception
    assert metric(cancer, "Flagged rows") == f"{expected:,} of 569"
    assert metric(cancer, "Flagged rows") != default


def test_auroc_for_the_malignant_class(cancer):
    w = ws(cancer)
    choose = cancer.multiselect(key=f"anom_labels_{w.version}")
    assert choose.options == ["benign", "malignant"]
    assert not any(m.label == "AUROC" for m in cancer.metric), "no AUROC before a class is chosen"
    choose.set_value(["malignant"]).run()
    assert not cancer.exception, cancer.exception
    score = float(metric(cancer, "AUROC"))
    assert 0.5 < score <= 1.0, "malignant cells should reconstruct worse than benign ones"
    choose.set_value(["benign", "malignant"]).run()
    assert metric(cancer, "AUROC").startswith("n/a")


def test_most_anomalous_rows_table_follows_the_slider(cancer):
    w = ws(cancer)
    assert cancer.slider(key=f"anom_k_{w.version}").value == 12
    tables = cancer.dataframe  # only the chosen view is drawn: Anomalies
    assert len(tables) == 1, "the most anomalous rows are listed in a table for tabular data"
    assert len(tables[0].value) == 12
    assert list(tables[0].value["row"]) == list(np.argsort(-w.exploration.errors, kind="stable")[:12])
    cancer.slider(key=f"anom_k_{w.version}").set_value(20).run()
    assert not cancer.exception, cancer.exception
    assert len(cancer.dataframe[0].value) == 20


def downloads(at) -> dict[str, str]:
    return {b.key: b.label for b in at.get("download_button")}


def test_export_and_scores_downloads_exist(cancer):
    assert downloads(cancer) == {"dl_scores": "Download scores (CSV)"}, "the Anomalies view alone is drawn"
    open_view(cancer, "Export")
    shown = downloads(cancer)
    assert {"dl_bundle": "Download model bundle", "dl_codes": "Download codes, map and errors (CSV)"}.items() \
        <= shown.items(), shown
    assert "dl_scores" not in shown
    # The caption names the CSV's columns as the download writes them (a 1-D model said "z0…z0").
    latent = ws(cancer).model.config_.latent_dim
    assert f"The CSV has id, label, z0…z{latent - 1}, x, y and reconstruction_error per row" in texts(cancer)


def test_the_codes_csv_caption_names_a_one_number_code_and_the_files_row_names():
    """Seattle's pets trained a 1-D model: the caption said "z0…z0"; mtcars' said "label" with no label."""
    from types import SimpleNamespace

    import pandas as pd

    from dashboard.info_panels import csv_columns

    n = 4
    dataset = SimpleNamespace(labels=None, meta=pd.DataFrame({"rownames": np.arange(1, n + 1)}),
                              key_columns=["rownames"])
    exploration = SimpleNamespace(codes=np.zeros((n, 1)), xy=np.zeros((n, 2)), errors=np.zeros(n))
    assert csv_columns(SimpleNamespace(dataset=dataset, exploration=exploration)) == \
        "id, rownames, z0, x, y and reconstruction_error"


def test_a_view_keeps_its_settings_while_another_is_shown(cancer):
    """Only the chosen view runs; its widgets keep their values while the user looks elsewhere."""
    w = ws(cancer)
    cancer.slider(key=f"anom_pct_{w.version}").set_value(99.0).run()
    cancer.multiselect(key=f"anom_labels_{w.version}").set_value(["malignant"]).run()
    open_view(cancer, "Explore")
    assert not cancer.get("download_button") and not any(m.label == "AUROC" for m in cancer.metric)
    # new data placed on the map is flagged at the threshold the Anomalies view shows (views/new_data.py)
    assert cancer.session_state[f"anom_pct_{w.version}"] == 99.0
    open_view(cancer, "Anomalies")
    assert cancer.slider(key=f"anom_pct_{w.version}").value == 99.0
    assert cancer.multiselect(key=f"anom_labels_{w.version}").value == ["malignant"]
    assert any(m.label == "AUROC" for m in cancer.metric)


def test_data_and_training_views_describe_the_model(cancer):
    open_view(cancer, "Data")
    assert "breast cancer" in texts(cancer) and "label column 'diagnosis'" in texts(cancer)
    assert "Rows per diagnosis" in texts(cancer) and "(2 values)" in texts(cancer)
    open_view(cancer, "Training")
    page = texts(cancer)
    assert "autoencoder · latent" in page
    split = ws(cancer).model.split_  # the loss's validation rows are not the test rows the error is measured on
    assert f"on the {len(split['val']):,} validation rows early stopping watches" in page
    assert f"The error beside PCA's is on {len(split['test']):,} other rows" in page
