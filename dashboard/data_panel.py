"""Sidebar: choose the data (a sample, a CSV, images, or a saved model bundle), and the main-area
column chooser for a freshly uploaded CSV. Every failure is an st.error and leaves the workspace as it was."""
from __future__ import annotations

import hashlib

import streamlit as st

from aecore import DataError, load_images, table_dataset
from aecore.bundle import load_bundle
from aecore.errors import AecoreError
from aecore.explore import explore
from aecore.samples import SAMPLES, bundle_path, load_sample
from aecore.tables import read_csv

from .state import PendingTable, Workspace
from .training_panel import start_training

SOURCES = ["Sample", "CSV", "Images", "Saved model"]
IMAGE_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "pgm", "ppm", "webp", "tif", "tiff", "zip"]
LABEL_GUESSES = ("label", "labels", "class", "target", "y", "category", "diagnosis", "species", "cultivar")


def digest_of(files) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.getvalue())
    return h.hexdigest()


def open_bundle(ws: Workspace, source, title: str) -> None:
    """Install a bundle's model, data and map. Raises AecoreError; the workspace changes only on success."""
    b = load_bundle(source)
    if b.dataset is None:
        raise DataError("This model bundle holds no data to map. Save bundles from this app, or with "
                        "`python -m aecore train`, which include the data.")
    exploration = explore(b.model, b.dataset, codes=b.codes, xy=b.xy, errors=b.errors)
    ws.install(b.dataset, b.model, exploration, b.comparison, title)


def open_sample(ws: Workspace, key: str) -> None:
    """A sample with its pre-trained model and map (well under a second); trains if the bundle is missing."""
    try:
        open_bundle(ws, bundle_path(key), f"sample: {key} (pre-trained)")
    except (AecoreError, OSError):
        data = load_sample(key)
        if ws.dataset is None:
            ws.dataset, ws.source = data, f"sample: {key}"
        start_training(ws, data, f"sample: {key}")


def open_default(ws: Workspace) -> None:
    """The first screen: digits, ready to click."""
    open_sample(ws, "digits")


def data_sidebar(ws: Workspace) -> None:
    st.sidebar.header("1 · Data")
    kind = st.sidebar.segmented_control("Source", SOURCES, key="source_kind", default="Sample", required=True,
                                        label_visibility="collapsed")  # required: a second click keeps it
    busy = ws.training
    if kind == "Sample":
        key = st.sidebar.selectbox("Sample", list(SAMPLES), format_func=lambda k: SAMPLES[k].title, key="sample_key")
        st.sidebar.caption(SAMPLES[key].about)
        if st.sidebar.button("Open sample", disabled=busy, width="stretch",
                             help="Opens with a model trained on it; press Train below to train your own."):
            ws.pending_table = None
            open_sample(ws, key)
            st.rerun()
    elif kind == "CSV":
        up = st.sidebar.file_uploader("CSV file", type=["csv", "tsv", "txt"], key="csv_upload",
                                      help="Comma, semicolon, tab or | separated, with a header row.")
        if up is not None:
            digest = digest_of([up])
            pending = ws.pending_table.digest if ws.pending_table is not None else None
            if digest not in (pending, ws.loaded_digest):
                try:
                    df, name, report = read_csv(up)
                except AecoreError as exc:
                    st.sidebar.error(str(exc))
                else:
                    ws.pending_table = PendingTable(df, name, report, digest)
        if ws.pending_table is not None:
            st.sidebar.caption(f"'{ws.pending_table.name}' is read: choose its columns on the right.")
    elif kind == "Images":
        folder = st.sidebar.toggle("Upload a whole folder", key="img_folder",
                                   help="Sub-folder names become labels.")
        files = st.sidebar.file_uploader(
            "Images or a ZIP", type=IMAGE_TYPES, key="img_folder_up" if folder else "img_upload",
            accept_multiple_files="directory" if folder else True,
            help="PNG, JPEG, BMP, GIF, PGM or WebP; or one ZIP. Sub-folders become labels.")
        with st.sidebar.expander("Image options"):
            size = st.selectbox("Size", ["auto", 8, 16, 28, 32, 48, 64], key="img_size",
                                help="Images are resized to this square size; "
                                     "auto keeps the most common size (max 64).")
            mode = st.selectbox("Colour", ["auto", "grayscale", "RGB"], key="img_mode")
        if st.sidebar.button("Load images and train", disabled=busy or not files, width="stretch"):
            try:
                with st.spinner("Reading images…"):
                    data = load_images([(f.name, f.getvalue()) for f in files],
                                       size=None if size == "auto" else int(size),
                                       mode={"auto": None, "grayscale": "L", "RGB": "RGB"}[mode],
                                       name=files[0].name if len(files) == 1 else f"{len(files)} files")
            except AecoreError as exc:
                st.sidebar.error(str(exc))
            else:
                ws.pending_table = None
                start_training(ws, data, f"images: {data.name}")
                st.rerun()
    else:
        up = st.sidebar.file_uploader("Model bundle (.aebundle)", type=["aebundle", "zip"], key="bundle_upload",
                                      help="A file saved with 'Download model' or `python -m aecore train`.")
        if up is not None:
            digest = digest_of([up])
            if digest != ws.loaded_digest:
                try:
                    with st.spinner("Loading the model…"):
                        open_bundle(ws, up, f"model: {up.name}")
                except AecoreError as exc:
                    st.sidebar.error(str(exc))
                else:
                    ws.loaded_digest = digest
                    ws.notice = ("success", f"Loaded '{up.name}': its model, data and map are restored.")
                    st.rerun()


def table_setup(ws: Workspace) -> None:
    """Preview of the uploaded CSV, its report, and the feature/label choice; applying starts training."""
    p = ws.pending_table
    with st.container(border=True):
        st.subheader(f"New table: {p.name}")
        st.caption(" ".join(p.report))
        st.dataframe(p.df.head(50), height=220)
        columns = list(p.df.columns)
        guess = next((c for c in columns if str(c).strip().lower() in LABEL_GUESSES), None)
        with st.form("table_form", border=False):
            c1, c2 = st.columns([1, 2])
            label = c1.selectbox("Label / colour column", ["(none)", *columns],
                                 index=0 if guess is None else columns.index(guess) + 1,
                                 help="Kept for colour, hover and AUROC; never a feature.")
            features = c2.multiselect("Feature columns", columns, default=[c for c in columns if c != guess],
                                      help="Numbers, dates and categories are encoded; "
                                           "long text (names, ids) stays metadata.")
            go = st.form_submit_button("Use these columns and train", type="primary", disabled=ws.training)
        if go:
            try:
                data = table_dataset(p.df, label=None if label == "(none)" else label, features=features,
                                     name=p.name, report=p.report)
            except AecoreError as exc:
                st.error(str(exc))
                return
            ws.pending_table, ws.loaded_digest = None, p.digest
            start_training(ws, data, f"csv: {p.name}")
            st.rerun()
        if st.button("Cancel", key="table_cancel"):
            ws.pending_table, ws.loaded_digest = None, p.digest
            st.rerun()
