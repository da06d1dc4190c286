"""All per-session state, in one place: the `Workspace` in st.session_state["ws"].

What a user has (dataset, model, map) changes only through `install`, which bumps `version`, so
anything derived from it (figures, indexes, galleries) can be cached against that number. A failed
upload or a diverged training run never calls `install`: what the user had stays.

Uploaded data waits as `pending` until it is trained: the one Train button trains the pending data
when there is some, else the data on the map."""
from __future__ import annotations

import time
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
    feature_guess: list[str] = field(default_factory=list)  # the features beside label_guess, by their values


@dataclass
class PendingImages:
    """Uploaded images, read and ready to train."""
    dataset: Dataset
    digest: str  # of the files and the image options they were read with


@dataclass
class Generated:
    """Codes the model made or was asked about, drawn on its map where they fall: VAE samples, a walk's
    steps, a decoded spot's code."""
    name: str
    codes: np.ndarray   # (m, latent) in the active model's latent space
    style: str          # how figures.Overlay draws them: "generated" | "path"


@dataclass
class NewData:
    """Data the model has not seen, prepared as its training data was, to place on the map."""
    name: str
    dataset: Dataset
    digest: str


@dataclass
class Highlight:
    """Rows ringed on the map: a search's matches or a point's neighbours."""
    rows: np.ndarray
    name: str     # legend entry, e.g. "3 matches" or "neighbours of row 12"


VIEW_KEY = "view"  # the page's chosen view (Explore, Compare, ...): a widget key, so a callback can switch it
MAP_VIEW = "Explore"  # the view with the map: the page opens on it
MAX_MODELS = 6  # models kept per session (all of one dataset); the oldest goes first, with a notice
PRETRAINED = " (pre-trained)"  # how a sample's shipped model is named; a model trained here is not


@dataclass(eq=False)
class ModelEntry:
    """One trained (or loaded) model of the session's dataset, with everything derived from it."""
    model: Autoencoder
    exploration: Exploration
    comparison: PcaComparison | None
    source: str
    created: float = field(default_factory=time.time)
    frames: list = field(default_factory=list)  # aecore.watch.Frame: the map as it formed during training
    derived: dict = field(default_factory=dict)  # figures computed for this model once (compare view)

    @property
    def name(self) -> str:
        when = time.strftime("%H:%M:%S", time.localtime(self.created))
        return f"{self.model.model} · latent {self.model.config_.latent_dim} · {when}"


@dataclass
class Workspace:
    dataset: Dataset | None = None
    entries: list[ModelEntry] = field(default_factory=list)  # the models of `dataset`, oldest first
    active: int = -1                        # which entry is on the map
    data_source: str = ""                   # where the data came from, before any model exists
    version: int = 0                        # bumped by install()/switch(): cache key for derived views
    pick: Pick = field(default_factory=Pick)
    selection: np.ndarray | None = None     # rows chosen by box/lasso
    highlight: Highlight | None = None
    generated: list[Generated] = field(default_factory=list)  # drawn on the active model's map
    walk_from: int | None = None            # the row a walk starts at; the next picked row ends it
    new_data: NewData | None = None         # unseen data placed on every model's map of this dataset
    pending_table: PendingTable | None = None
    pending_images: PendingImages | None = None
    loaded_digest: str | None = None        # sha256 of the last upload applied (no double loads)
    job: TrainingJob | None = None          # the background training run, while one exists
    sweeps: dict[str, SweepJob] = field(default_factory=dict)  # latent-size sweeps by dataset fingerprint
    notice: tuple[str, str] | None = None   # ("error"|"warning"|"success", text) shown once
    cache: dict = field(default_factory=dict)  # version-keyed derived views (figures, indexes)
    click_started: float | None = None      # perf_counter of the last map click (timing log only)

    # -- the active model ------------------------------------------------------------------------------
    @property
    def entry(self) -> ModelEntry | None:
        return self.entries[self.active] if 0 <= self.active < len(self.entries) else None

    @property
    def model(self) -> Autoencoder | None:
        return self.entry.model if self.entry else None

    @property
    def exploration(self) -> Exploration | None:
        return self.entry.exploration if self.entry else None

    @property
    def comparison(self) -> PcaComparison | None:
        return self.entry.comparison if self.entry else None

    @property
    def source(self) -> str:
        return self.entry.source if self.entry else self.data_source

    # -- changes ---------------------------------------------------------------------------------------
    def install(self, dataset: Dataset, model: Autoencoder, exploration: Exploration,
                comparison: PcaComparison | None, source: str, frames: list | None = None) -> str | None:
        """A new model on the map. Of the same data as the models kept, it joins them (the oldest beyond
        MAX_MODELS goes), unless it is one of them (then that one is put on the map); of other data, it
        replaces them. Returns a notice when a model was dropped or was kept already."""
        entry = ModelEntry(model, exploration, comparison, source, frames=list(frames or []))
        dropped = None
        if self.dataset is not None and self.entries and dataset.fingerprint == self.dataset.fingerprint:
            kept = next((i for i, e in enumerate(self.entries) if e.model.same_model(model)), None)
            if kept is not None:  # a bundle of a model already kept: the same model, not a second copy
                self.active = kept
                self._changed()
                return f"This model is already kept ('{self.entries[kept].name}'): it is on the map, not kept twice."
            self.entries.append(entry)
            if len(self.entries) > MAX_MODELS:
                dropped = f"Kept the {MAX_MODELS} newest models of this data; removed '{self.entries[0].name}'."
                self.entries.pop(0)
        else:
            self.dataset, self.entries = dataset, [entry]
            self.sweeps, self.new_data = {}, None
        self.active = len(self.entries) - 1
        self._changed()
        return dropped

    def switch(self, index: int) -> None:
        """Put another kept model on the map: nothing is retrained or re-projected."""
        if 0 <= index < len(self.entries) and index != self.active:
            self.active = index
            self._changed()

    def remove(self, index: int) -> None:
        if 0 <= index < len(self.entries) and len(self.entries) > 1:
            self.entries.pop(index)
            if self.active > index:  # the model on the map moved down one place
                self.active -= 1
            self.active = min(self.active, len(self.entries) - 1)
            self._changed()

    def _changed(self) -> None:
        self.version += 1
        self.pick, self.selection, self.highlight, self.cache = Pick(), None, None, {}
        self.generated, self.walk_from = [], None  # codes of the previous model's latent space

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
        return self.entry is not None

    @property
    def training(self) -> bool:
        return self.job is not None and self.job.running


def get_ws() -> Workspace:
    if "ws" not in st.session_state:
        st.session_state["ws"] = Workspace()
    return st.session_state["ws"]
