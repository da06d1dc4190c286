"""Sidebar: choose the data (a sample, a CSV, images, or a saved model bundle), and the main-area
column chooser for a freshly uploaded CSV. An upload becomes pending data (state.py) that the Train
button trains. Every failure is an st.error and leaves the workspace as it was."""
from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

from aecore import DataError, load_images
from aecore.bundle import load_bundle
from aecore.errors import AecoreError
from aecore.explore import explore
from aecore.images import UNUSABLE, UPLOAD_SUFFIXES
from aecore.limits import DEFAULT_LIMITS, Limits
from aecore.samples import SAMPLES, bundle_path, load_sample
from aecore.tables import TABLE_SUFFIXES, feature_columns, guess_label, plan_table, read_table

from .pending import FEATURES_KEY, LABEL_KEY, NO_LABEL, table_choice
from .state import PRETRAINED, PendingImages, PendingTable, Workspace, get_ws
from .training_panel import start_training, train_pending
from .views.common import table_height

PLAN_ROWS = 12  # rows of the column chooser's 'What each column becomes' shown before it scrolls

SOURCES = ["Sample", "Table", "Images", "Saved model"]
IMAGE_TYPES = [s.lstrip(".") for s in UPLOAD_SUFFIXES]
TABLE_TYPES = [s.lstrip(".") for s in TABLE_SUFFIXES]
# A folder on the server whose bundles the Saved model source lists (off unless set): how bundles trained
# on a cluster, too large for a browser upload, are opened.
BUNDLES_ENV = "LATENT_EXPLORER_BUNDLES"
BUNDLE_SUFFIX = ".aebundle"


def digest_of(files) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.getvalue())
    return h.hexdigest()


def open_bundle(ws: Workspace, source, title: str, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """Install a bundle's model, data and map; returns the install's notice (Workspace.install). Raises
    AecoreError; the workspace changes only on success."""
    b = load_bundle(source, limits=limits)
    if b.dataset is None:
        raise DataError("This model bundle holds no data to map. Save bundles from this app, or with "
                        "`python -m aecore train`, which include the data.")
    exploration = explore(b.model, b.dataset, codes=b.codes, xy=b.xy, errors=b.errors, map_note=b.map_note)
    return ws.install(b.dataset, b.model, exploration, b.comparison, title)


def open_sample(ws: Workspace, key: str) -> None:
    """A sample with its pre-trained model and map (well under a second); trains if the bundle is missing."""
    try:
        open_bundle(ws, bundle_path(key), f"sample: {key}{PRETRAINED}")
    except (AecoreError, OSError):
        data = load_sample(key)
        if ws.dataset is None:
            ws.dataset, ws.data_source = data, f"sample: {key}"
        start_training(ws, data, f"sample: {key}")


def open_default(ws: Workspace) -> None:
    """The first screen: digits, ready to click."""
    open_sample(ws, "digits")


def data_sidebar(ws: Workspace) -> None:
    st.sidebar.header("1 · Data")
    kind = st.sidebar.segmented_control("Source", SOURCES, key="source_kind", default="Sample", required=True,
                                        label_visibility="collapsed")  # required: a second click keeps it
    if kind != "Table":
        ws.pending_table = None  # pending data follows the source on show: its uploader is gone
    if kind != "Images":
        ws.pending_images = None
    if kind == "Sample":
        sample_source(ws)
    elif kind == "Table":
        csv_source(ws)
    elif kind == "Images":
        image_source(ws)
    else:
        bundle_source(ws)


def sample_source(ws: Workspace) -> None:
    key = st.sidebar.selectbox("Sample", list(SAMPLES), format_func=lambda k: SAMPLES[k].title, key="sample_key")
    st.sidebar.caption(SAMPLES[key].about)
    if st.sidebar.button("Open sample", disabled=ws.training, width="stretch",
                         help="Opens with a model trained on it; press Train below to train your own."):
        open_sample(ws, key)
        st.rerun()


def csv_source(ws: Workspace) -> None:
    up = st.sidebar.file_uploader("CSV or Parquet file", type=TABLE_TYPES,
                                  key="csv_upload",
                                  help="A CSV (comma, semicolon, tab or | separated, with a header row) or a "
                                       "Parquet file.")
    if up is not None:
        digest = digest_of([up])
        pending = ws.pending_table.digest if ws.pending_table is not None else None
        if digest not in (pending, ws.loaded_digest):
            try:
                df, name, report = read_table(up)
            except AecoreError as exc:
                st.sidebar.error(str(exc))
            else:
                for key in (LABEL_KEY, FEATURES_KEY):  # a new table starts from its own guesses
                    st.session_state.pop(key, None)
                features = feature_columns(df)
                guess = guess_label(df, features=features)
                # None usable: every column offered, so Train says why each cannot be a feature.
                offered = [c for c in features or df.columns if c != guess]
                ws.pending_table = PendingTable(df, name, report, digest, guess, offered)
    if ws.pending_table is not None:
        st.sidebar.caption(f"'{ws.pending_table.name}' is read: check its columns on the right, then press Train.")


def upload_name(names: list[str]) -> str:
    """What an image upload is called: the file's name; the folder's when every file lies in one (a folder
    upload sends "photos/cat/1.png", ...); else how many files."""
    if len(names) == 1:
        return names[0]
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) == 1 and all("/" in name for name in names):
        return tops.pop()
    return f"{len(names):,} files"


def image_source(ws: Workspace) -> None:
    folder = st.sidebar.toggle("Upload a whole folder", key="img_folder",
                               help="Sub-folder names become labels. The browser sends a folder's files one by one: "
                                    "a ZIP of it arrives much faster (1,050 small photos: about a minute as a folder, "
                                    "3 s as a ZIP).")
    files = st.sidebar.file_uploader(
        "Images or a ZIP", type=IMAGE_TYPES, key="img_folder_up" if folder else "img_upload",
        accept_multiple_files="directory" if folder else True,
        help="PNG, JPEG, BMP, GIF, PGM or WebP; or one ZIP. Sub-folders become labels.")
    with st.sidebar.expander("Image options"):
        size = st.selectbox("Size", ["auto", 8, 16, 28, 32, 48, 64], key="img_size",
                            help="Images are resized to this square size; auto keeps the size most of them have "
                                 "(the median size when no one size is most of them), at most 64 pixels a side.")
        mode = st.selectbox("Colour", ["auto", "grayscale", "RGB"], key="img_mode")
    if not files:
        ws.pending_images = None
        return
    digest = digest_of(files) + f"|{size}|{mode}"
    pending = ws.pending_images.digest if ws.pending_images is not None else None
    if digest not in (pending, ws.loaded_digest):
        try:
            with st.spinner("Reading images…"):
                data = load_images([(f.name, f.getvalue()) for f in files],
                                   size=None if size == "auto" else int(size),
                                   mode={"auto": None, "grayscale": "L", "RGB": "RGB"}[mode],
                                   name=upload_name([f.name for f in files]))
        except AecoreError as exc:
            ws.pending_images = None
            st.sidebar.error(str(exc))
            return
        ws.pending_images = PendingImages(data, digest)
    if ws.pending_images is not None:
        report = ws.pending_images.dataset.report
        skipped = [line for line in report if line.startswith(UNUSABLE)]
        if skipped:
            st.sidebar.warning(" ".join(skipped))
        together = (f"The {len(files)} uploads are read as one set of images; remove one with its × to leave it "
                    "out. ") if len(files) > 1 and any(f.name.lower().endswith(".zip") for f in files) else ""
        rest = [line for line in report if not line.startswith(UNUSABLE)]
        st.sidebar.caption(together + " ".join(rest[-2:]) + " Press Train to learn from them.")


def server_bundles() -> list[Path]:
    """The bundles in the server's bundle folder (BUNDLES_ENV), newest first; [] when it is not set. Only
    the folder's own *.aebundle files: a user picks from this list and never types a path."""
    folder = os.environ.get(BUNDLES_ENV)
    if not folder or not Path(folder).is_dir():
        return []
    files = [p for p in Path(folder).glob(f"*{BUNDLE_SUFFIX}") if p.is_file()]
    return sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)


def bundle_source(ws: Workspace) -> None:
    on_server = server_bundles()
    if on_server:
        names = [p.name for p in on_server]
        pick = st.sidebar.selectbox("Bundles on this server", names, key="server_bundle",
                                    help="Bundles written to the server's bundle folder (for example by "
                                         "`torchrun ... -m aecore train`); no upload, no size limit of the "
                                         "browser.")
        if st.sidebar.button("Open bundle", key="server_bundle_open", width="stretch", disabled=ws.training):
            server = replace(DEFAULT_LIMITS, max_bundle_bytes=DEFAULT_LIMITS.max_server_bundle_bytes)
            load_bundle_into(ws, on_server[names.index(pick)], pick, None, server)
    up = st.sidebar.file_uploader("Model bundle (.aebundle)", type=["aebundle", "zip"], key="bundle_upload",
                                  help="A file saved with 'Download model' or `python -m aecore train`.")
    if up is None:
        return
    digest = digest_of([up])
    if digest != ws.loaded_digest:
        load_bundle_into(ws, up, up.name, digest)


def load_bundle_into(ws: Workspace, source, name: str, digest: str | None, limits: Limits = DEFAULT_LIMITS) -> None:
    """Open a bundle (an upload or a server file) as the data and model; on failure, say why and keep all."""
    try:
        with st.spinner("Loading the model…"):
            note = open_bundle(ws, source, f"model: {name}", limits)
    except AecoreError as exc:
        st.sidebar.error(str(exc))
    else:
        ws.loaded_digest = digest
        restored = f"Loaded '{name}': its model, data and map are restored."
        ws.notice = ("success", f"{restored} {note}" if note else restored)
        st.rerun()


ROLE_WORDS = {"number": "number", "bool": "yes/no", "datetime": "date", "category": "category",
              "metadata": "kept, not a feature", "drop": "dropped", "label": "label"}


@st.fragment
def table_setup() -> None:
    """The column chooser for a freshly uploaded CSV: a preview, what each column becomes and why, and
    the label/feature choice. A fragment: changing a column reruns only this panel."""
    ws = get_ws()
    p = ws.pending_table
    if p is None:
        return
    with st.container(border=True):
        st.subheader(f"New table: {p.name}")
        st.caption(" ".join(p.report))
        st.dataframe(p.df.head(50), height=220)
        columns = list(p.df.columns)
        guess = p.label_guess  # the widgets' defaults: stable for this table, whatever is chosen since
        c1, c2 = st.columns([1, 2])
        c1.selectbox("Label / colour column", [NO_LABEL, *columns], key=LABEL_KEY,
                     index=0 if guess is None else columns.index(guess) + 1,
                     help="Kept for colour, hover and AUROC; never a feature.")
        c2.multiselect("Feature columns", columns, default=p.feature_guess, key=FEATURES_KEY,
                       help="Numbers, dates and categories are encoded; long text (names, ids) stays metadata.")
        label, features = table_choice(p)
        plans = plan_table(p.df, label, features)
        used = sum(plan.used for plan in plans)
        st.markdown(f"**What each column becomes** · {used} of {len(plans)} column(s) used as features")
        st.dataframe(pd.DataFrame({"column": [plan.name for plan in plans],
                                   "becomes": [ROLE_WORDS[plan.role] for plan in plans],
                                   "why": [plan.note for plan in plans]}), hide_index=True,
                     height=table_height(len(plans), most=PLAN_ROWS))
        b1, b2 = st.columns([3, 1])
        if b1.button(f"Train on {p.name}", type="primary", disabled=ws.training, key="table_train", width="stretch"):
            error = train_pending(ws)
            if error:
                st.error(error)
            else:
                st.rerun(scope="app")
        if b2.button("Cancel", key="table_cancel", width="stretch"):
            ws.pending_table, ws.loaded_digest = None, p.digest
            st.rerun(scope="app")
