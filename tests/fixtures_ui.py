"""Shared helpers for the dashboard's AppTest tests (tests/test_app_*.py): the app under test, generated
uploads (CSV, image ZIP), widget lookup by label, and waiting for the background training thread.

Uploads are generated here rather than shipped, so the tests need nothing outside the repository."""
from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.elements.plotly_chart import PlotlyState
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
TIMEOUT = 60  # seconds per script run; AppTest's default of 3 s is too short for a first import of torch


def new_app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT)


def fast_training(at: AppTest, seconds: int = 3) -> None:
    """Short runs and a PCA map (no UMAP compile): the settings a user sets under 'Advanced settings'."""
    at.session_state["train_seconds"] = seconds
    at.session_state["train_projection"] = "pca"


def ws(at: AppTest):
    """The session's Workspace (dashboard.state): the live object, not a copy."""
    return at.session_state["ws"]


def by_label(widgets, label: str):
    """The widget with this label (widgets without a key are found by what the user reads)."""
    for w in widgets:
        if w.label == label:
            return w
    raise AssertionError(f"no widget labelled {label!r}; found {[w.label for w in widgets]}")


def choose_source(at: AppTest, kind: str) -> AppTest:
    at.segmented_control(key="source_kind").set_value(kind).run()
    assert not at.exception, at.exception
    return at


def upload_csv(at: AppTest, data: bytes, name: str = "plants.csv") -> AppTest:
    choose_source(at, "Table")
    at.file_uploader(key="csv_upload").set_value((name, data, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def open_sample(at: AppTest, key: str) -> AppTest:
    """Open a built-in sample from the sidebar (its pre-trained bundle)."""
    choose_source(at, "Sample")
    at.selectbox(key="sample_key").set_value(key).run()
    by_label(at.sidebar.button, "Open sample").click().run()
    assert not at.exception, at.exception
    return wait_for_training(at)


def map_traces(at: AppTest) -> list[dict]:
    """The map's Plotly traces as the browser receives them (trace 0 is the decode grid)."""
    import json

    from dashboard.explore_panel import map_key

    charts = [c for c in at.get("plotly_chart") if c.proto.id and map_key(ws(at)) in c.proto.id]
    assert charts, "no map on the page"
    return [{k: typed_array(v) for k, v in trace.items()} for trace in json.loads(charts[0].proto.spec)["data"]]


def typed_array(value):
    """Plotly sends numpy arrays as {"dtype": "i4", "bdata": base64}; anything else is returned as it is."""
    import base64

    if isinstance(value, dict) and set(value) == {"dtype", "bdata"}:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return value


def show_view(at: AppTest, name: str) -> AppTest:
    """Open one of the picked point's views (Reconstruction, Neighbours, Traversal, Denoise, Compression).
    Written to session state and run in full: the control's own callback reruns the inspector fragment
    alone, and AppTest then holds only that fragment's elements."""
    from dashboard.explore_panel import POINT_VIEW_KEY

    at.session_state[POINT_VIEW_KEY] = name
    at.run()
    assert not at.exception, at.exception
    return at


def open_view(at: AppTest, name: str) -> AppTest:
    """Show one of the page's views (Explore, Compare, Anomalies, Training, Data, Export), as a user picks
    it in the bar above them."""
    from dashboard.state import VIEW_KEY

    at.segmented_control(key=VIEW_KEY).set_value(name).run()
    assert not at.exception, at.exception
    return at


def wait_for_training(at: AppTest, timeout: float = 90.0) -> AppTest:
    """Rerun the app (as the progress fragment's run_every would) until the background job is gone."""
    deadline = time.monotonic() + timeout
    while ws(at).job is not None:
        assert time.monotonic() < deadline, f"training did not finish in {timeout} s (phase {ws(at).job.phase})"
        time.sleep(0.25)
        at.run()
        assert not at.exception, at.exception
    return at


def wait_until(at: AppTest, condition, timeout: float = 60.0, what: str = "condition") -> AppTest:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} not reached in {timeout} s"
        time.sleep(0.25)
        at.run()
    return at


def texts(at: AppTest) -> str:
    """Everything the page says in markdown, captions and alerts, joined: for 'the page shows X' checks."""
    parts = []
    for group in (at.markdown, at.caption, at.success, at.warning, at.error, at.info, at.subheader):
        parts += [str(e.value) for e in group]
    return "\n".join(parts)


def image_captions(at: AppTest) -> list[str]:
    return [c for img in at.image for c in img.captions]


def plotly_state(points: list[dict], box: bool = False) -> PlotlyState:
    """A chart selection as st.plotly_chart returns it (points, plus a box when dragged)."""
    box_list = [{"xref": "x", "yref": "y", "x": [-100.0, 100.0], "y": [-100.0, 100.0]}] if box else []
    return PlotlyState(selection={"points": points, "point_indices": [p.get("point_index", 0) for p in points],
                                  "box": box_list, "lasso": []})


def data_point(at, row: int) -> dict:
    """A click on data row `row`, as Plotly reports it (trace 0 is the decode grid, data traces follow)."""
    x, y = (float(v) for v in ws(at).exploration.xy[row])
    return {"curve_number": 1, "point_number": 0, "point_index": 0, "x": x, "y": y, "customdata": row}


def select(at, state: PlotlyState):
    """Simulate a map selection: the chart returns `state` on the next run, as after a click."""
    from dashboard.explore_panel import map_key

    at.session_state[map_key(ws(at))] = state
    at.run()
    assert not at.exception, at.exception
    return at


def make_csv(n: int = 300, seed: int = 0, id_column: bool = False) -> bytes:
    """Three well-separated clusters in four numeric columns plus a 'species' label (and, optionally,
    a free-text id column with one value per row, which the loader keeps as metadata only)."""
    rng = np.random.default_rng(seed)
    header = ["sepal", "petal", "stem", "leaf", "species"] + (["sample_id"] if id_column else [])
    lines = [",".join(header)]
    for i in range(n):
        k = i % 3
        values = rng.normal(3.0 * k, 1.0, 4)
        row = [f"{v:.3f}" for v in values] + [f"kind{k}"] + ([f"S-{i:05d}"] if id_column else [])
        lines.append(",".join(row))
    return ("\n".join(lines) + "\n").encode()


def png_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr.astype(np.uint8), "L").save(buf, format="PNG")
    return buf.getvalue()


def make_image_zip(per_class: int = 20, size: int = 8, seed: int = 0) -> bytes:
    """A ZIP of small grayscale PNGs in two folders (the folder names become labels): horizontal and
    vertical bars at random positions, with a little noise."""
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for cls in ("horizontal", "vertical"):
            for i in range(per_class):
                img = rng.integers(0, 40, (size, size))
                pos = rng.integers(1, size - 2)
                if cls == "horizontal":
                    img[pos : pos + 2, :] = 255
                else:
                    img[:, pos : pos + 2] = 255
                zf.writestr(f"bars/{cls}/{i:03d}.png", png_bytes(img))
    return buf.getvalue()


def make_text_zip() -> bytes:
    """A well-formed ZIP that holds no image at all."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("notes/readme.txt", "no pictures here\n")
        zf.writestr("notes/data.csv", "a,b\n1,2\n")
    return buf.getvalue()
