"""What the one Train button trains: uploaded data waiting to be trained (a CSV with its column choice,
or images already read), else the data on the map. The sidebar's Train and the column chooser's
"Train on these columns" both call `train_pending`, so they can never disagree."""
from __future__ import annotations

import streamlit as st

from aecore import Dataset, table_dataset
from aecore.tables import PARQUET_SUFFIXES

from .state import PRETRAINED, PendingImages, PendingTable, Workspace

LABEL_KEY, FEATURES_KEY = "table_label", "table_features"  # the column chooser's widgets
NO_LABEL = "(none)"


def table_choice(p: PendingTable) -> tuple[str | None, list[str]]:
    """The label and feature columns chosen for a pending table (its guesses before the chooser is drawn)."""
    label = st.session_state.get(LABEL_KEY, p.label_guess or NO_LABEL)
    label = None if label == NO_LABEL or label not in p.df.columns else label
    features = st.session_state.get(FEATURES_KEY)
    if features is None:
        features = [c for c in p.feature_guess if c != label]
    return label, [c for c in features if c in p.df.columns]


def target(ws: Workspace) -> tuple[Dataset, str, str | None]:
    """(dataset, source text, digest of the upload or None). Raises AecoreError for a bad column choice."""
    p = ws.pending
    if isinstance(p, PendingTable):
        label, features = table_choice(p)
        kind = "parquet" if p.name.lower().endswith(PARQUET_SUFFIXES) else "csv"
        return table_dataset(p.df, label=label, features=features, name=p.name, report=p.report), f"{kind}: {p.name}", \
            p.digest
    if isinstance(p, PendingImages):
        return p.dataset, f"images: {p.dataset.name}", p.digest
    return ws.dataset, ws.source.removesuffix(PRETRAINED), None


def target_name(ws: Workspace) -> str:
    p = ws.pending
    if isinstance(p, PendingTable):
        return p.name
    if isinstance(p, PendingImages):
        return p.dataset.name
    return ws.dataset.name if ws.dataset is not None else ""
