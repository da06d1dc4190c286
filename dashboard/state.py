"""All per-session state, in one place: the `Workspace` in st.session_state["ws"].

What a user has (dataset, model, map) changes only through `install`, which bumps `version`, so
anything derived from it (figures, indexes, galleries) can be cached against that number. A failed
upload or a diverged training run never calls `install`: what the user had stays.

Uploaded data waits as `pending` until it is trained: the one Train button trains the pending data
when there is some, else the data on the map."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from aecore import Autoencoder, Dataset, PcaComparison
from aecore.explore import Exploration

if TYPE_CHECKING:  # jobs imports aecore's training stack; the Workspace only holds a reference
    from .jobs import SweepJob, TrainingJob


@dataclass
class Pick:
    """What the user clicked: a data row, or a map location (decode anywhere)."""
    row: int | None = None
    x: float | None = None
    y: float | None = None


@dataclass
class PendingTable:
    """A parsed CSV waiting for its column choice (the column chooser's widgets hold the choice)."""
    df: pd.DataFrame
    name: str
    report: list[str]
    digest: str
    label_guess: str | None = None


@dataclass
class PendingImages:
    """Uploaded images, read and ready to train."""
    dataset: Dataset
    digest: str  # of the files and the image options they were read with


@dataclass
class Highlight:
    """Rows ringed on the map: a search's matches or a point's neighbours."""
    rows: np.ndarray
    name: str     # legend entry, e.g. "3 matches" or "neighbours of row 12"


@dataclass
class Workspace:
    dataset: Dataset | None = None
    model: Autoencoder | None = None
    exploration: Exploration | None = None
    comparison: PcaComparison | None = None  # reconstruction error beside PCA's (aecore.compare_with_pca)
    source: str = ""                        # where the data came from, for the header
    version: int = 0                        # bumped by install(): cache key for derived views
    pick: Pick = field(default_factory=Pick)
    selection: np.ndarray | None = None     # rows chosen by box/lasso
    highlight: Highlight | None = None
    pending_table: PendingTable | None = None
    pending_images: PendingImages | None = None
    loaded_digest: str | None = None        # sha256 of the last upload applied (no double loads)
    job: TrainingJob | None = None          # the background training run, while one exists
    sweeps: dict[str, SweepJob] = field(default_factory=dict)  # latent-size sweeps by dataset fingerprint
    notice: tuple[str, str] | None = None   # ("error"|"warning"|"success", text) shown once
    cache: dict = field(default_factory=dict)  # version-keyed derived views (figures, indexes)
    click_started: float | None = None      # perf_counter of the last map click (timing log only)

    def install(self, dataset: Dataset, model: Autoencoder | None, exploration: Exploration | None,
                comparison: PcaComparison | None, source: str) -> None:
        self.dataset, self.model, self.exploration = dataset, model, exploration
        self.comparison, self.source = comparison, source
        self.version += 1
        self.pick, self.selection, self.highlight, self.cache = Pick(), None, None, {}

    def cached(self, key, build: Callable[[], Any]) -> Any:
        """A view derived from the current version, built once."""
        full = (self.version, key)
        if full not in self.cache:
            self.cache[full] = build()
        return self.cache[full]

    @property
    def pending(self) -> PendingTable | PendingImages | None:
        return self.pending_table or self.pending_images

    def clear_pending(self) -> None:
        self.pending_table = self.pending_images = None

    @property
    def ready(self) -> bool:
        return self.exploration is not None and self.model is not None

    @property
    def training(self) -> bool:
        return self.job is not None and self.job.running


def get_ws() -> Workspace:
    if "ws" not in st.session_state:
        st.session_state["ws"] = Workspace()
    return st.session_state["ws"]
