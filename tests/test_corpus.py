"""The corpus of bad and awkward inputs (tests/corpus.py), each fed to the three ways in: the engine API,
the CLI (in-process, files on disk) and the app (Streamlit AppTest uploads). An input that must load
loads everywhere and passes its check; any other ends in ONE clear message from the project, the same
everywhere: a DataError or BundleError from the API, one `error: ...` line and exit code 2 from the
CLI, one st.error in the app, which keeps what the user had."""
from __future__ import annotations

import contextlib
import io
import json
import time

import pytest

from aecore import DEFAULT_LIMITS, AecoreError, BundleError, DataError, load_images, load_table, table_dataset
from aecore.bundle import load_bundle
from aecore.cli import main
from tests.corpus import CASES, Case, cases
from tests.fixtures_ui import choose_source, upload_csv, ws

ERRORS = {"csv": DataError, "images": DataError, "bundle": BundleError}
# Whatever the machine, an input that takes longer than this to load or refuse is a hang (the slowest
# case, 100,001 ZIP members, takes ~4-7 s on a shared 2-core machine).
HANG_SECONDS = 60.0


def named(data: bytes, name: str) -> io.BytesIO:
    """Bytes with a file name, as an upload has: messages name the file."""
    f = io.BytesIO(data)
    f.name = name
    return f


def load(case: Case, data: bytes, limits=DEFAULT_LIMITS):
    """The engine API for the case's kind -> a Dataset (a bundle's data for bundles)."""
    if case.kind == "csv":
        return load_table(named(data, case.filename), limits=limits)
    if case.kind == "images":
        return load_images((case.filename, data), limits=limits)
    return load_bundle(named(data, case.filename), limits=limits).dataset


def test_the_corpus_covers_every_kind_both_ways():
    assert len({c.name for c in CASES}) == len(CASES), "case names are test ids"
    assert {c.kind for c in CASES} == set(ERRORS)
    for kind in ERRORS:
        assert cases(kind, loads=True) and cases(kind, loads=False), kind
    assert all((c.expect is None) == (c.check is not None) for c in CASES), "a check for each input that loads"


# -- the engine API ----------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=str)
def test_api(case: Case):
    data = case.make()
    start = time.perf_counter()
    if case.expect is None:
        case.check(load(case, data, case.limits or DEFAULT_LIMITS))
    else:
        with pytest.raises(AecoreError) as info:  # any other exception fails the test as it is
            load(case, data, case.limits or DEFAULT_LIMITS)
        assert type(info.value) is ERRORS[case.kind]
        message = str(info.value)
        assert case.expect in message, message
        assert "\n" not in message, "one message, one line"
    assert time.perf_counter() - start < HANG_SECONDS


# -- the command line --------------------------------------------------------------------------------
def run_cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


REAL_LIMITS = [c for c in CASES if c.limits is None]  # the CLI and the app run with the real limits


@pytest.mark.parametrize("case", REAL_LIMITS, ids=str)
def test_cli(case: Case, tmp_path):
    path = tmp_path / case.filename
    path.write_bytes(case.make())
    model_path = tmp_path / "model.aebundle"
    if case.kind == "bundle":
        argv = ["info", path]
    else:  # a tiny model and a PCA map: the data must load and train, nothing more
        argv = ["train", path, "--epochs", "1", "--projection", "pca", "--out", model_path]
    start = time.perf_counter()
    code, out, err = run_cli(*argv)
    assert time.perf_counter() - start < HANG_SECONDS
    assert "Traceback" not in err
    if case.expect is None:
        assert code == 0, err
        if case.kind == "bundle":
            assert json.loads(out)["data"]["rows"] == load_bundle(path).dataset.n
            case.check(load_bundle(path).dataset)
        else:
            assert out.strip().endswith(f"Saved {model_path}")
            case.check(load_bundle(model_path).dataset)
    else:
        assert code == 2 and out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1, f"one line on stderr, not:\n{err}"
        assert lines[0].startswith("error: ") and case.expect in lines[0], lines[0]
        assert not model_path.exists()


# -- the app -----------------------------------------------------------------------------------------
def upload(at, case: Case, data: bytes) -> None:
    """The case through its own uploader: CSV, Images (read at once) or Saved model."""
    if case.kind == "csv":
        upload_csv(at, data, name=case.filename)
        return
    source, key = {"images": ("Images", "img_upload"), "bundle": ("Saved model", "bundle_upload")}[case.kind]
    choose_source(at, source)
    at.file_uploader(key=key).set_value((case.filename, data, "application/octet-stream")).run()


def errors(at) -> list[str]:
    return [e.value for e in at.error]


@pytest.mark.parametrize("case", REAL_LIMITS, ids=str)
def test_app(case: Case, app):
    from tests.test_app_data import assert_unchanged, snapshot  # imports the dashboard: only the app tests need it

    data = case.make()
    before = snapshot(app)
    upload(app, case, data)
    assert not app.exception, app.exception
    w = ws(app)
    if case.kind == "csv" and not errors(app) and case.expect is not None:
        # Refusals that depend on the columns come when Train is pressed: the column chooser is between.
        assert w.pending_table is not None
        app.button(key="table_train").click().run()
        assert not app.exception, app.exception
        assert w.pending_table is not None, "the user can change the columns and press Train again"
    if case.expect is not None:
        shown = errors(app)
        assert len(shown) == 1, f"one st.error, not {shown}"
        assert case.expect in shown[0], shown[0]
        assert w.pending_images is None
        assert_unchanged(app, before)
    elif case.kind == "csv":
        assert not errors(app)
        p = w.pending_table
        assert p is not None and p.name == case.filename
        case.check(table_dataset(p.df, name=p.name, report=p.report))  # the rows the app read, as the API reads them
        table_dataset(p.df, label=p.label_guess, report=p.report)  # what Train would learn from, unrefused
        assert_unchanged(app, before)
    elif case.kind == "images":
        assert not errors(app)
        assert w.pending_images is not None and app.button(key="train_button").label == f"Train on {case.filename}"
        case.check(w.pending_images.dataset)
        assert_unchanged(app, before)
    else:
        assert not errors(app)
        assert w.version == before[0] + 1 and w.source == f"model: {case.filename}"
        case.check(w.dataset)
