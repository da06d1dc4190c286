"""From a trained model and its data to what the map needs: codes, 2-D positions, reconstruction
errors and the map inverse. Computed once per model (never on a click); the UI and benchmarks share it."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .dataset import Dataset
from .estimator import Autoencoder
from .projection import MapInverse, project_map

STORED_NOTE = "The map saved with the model."


@dataclass
class Exploration:
    codes: np.ndarray        # (n, latent) float32
    xy: np.ndarray           # (n, 2) float32 map positions
    errors: np.ndarray       # (n,) reconstruction MSE per row
    inverse: MapInverse      # map point -> latent code
    projection: str          # "umap" | "pca" | "latent" (2-D codes shown as they are) | "stored"
    # Seconds per stage, for the benchmarks: encode, errors, then the map's dedupe, fit (on the sample above
    # projection.SAMPLE_LIMIT distinct codes), place (the rest, and duplicates copied), project (the map's
    # three together), inverse. A stage that did not run is absent.
    timings: dict = field(default_factory=dict)
    map_note: str = ""       # how the map was made, one sentence for the page (MapResult.description)


def explore(model: Autoencoder, dataset: Dataset, projection: str = "umap", codes=None, xy=None,
            errors=None, seed: int | None = None, sample_limit: int | None = None,
            map_note: str | None = None) -> Exploration:
    """Encode, score and project `dataset`; pass stored codes/xy/errors (from a bundle) to skip steps.
    With a seed the map is reproducible (UMAP then runs on one thread); None lets UMAP use every core.
    sample_limit: distinct codes UMAP is fitted on before sampling (None: projection.SAMPLE_LIMIT).
    map_note: how a stored xy was made (a bundle's Bundle.map_note); without it, STORED_NOTE."""
    t = {}
    start = time.perf_counter()
    codes = model.transform(dataset) if codes is None else np.asarray(codes, dtype=np.float32)
    t["encode"] = time.perf_counter() - start
    start = time.perf_counter()
    errors = model.reconstruction_error(dataset) if errors is None else np.asarray(errors, dtype=np.float64)
    t["errors"] = time.perf_counter() - start
    start = time.perf_counter()
    if xy is not None:
        note = map_note or STORED_NOTE
        used, xy = "stored", np.asarray(xy, dtype=np.float32)
    else:
        result = project_map(codes, projection, random_state=seed, sample_limit=sample_limit)
        used, note, xy = result.method, result.description, result.xy
        t.update(result.timings)
    t["project"] = time.perf_counter() - start
    start = time.perf_counter()
    inverse = MapInverse(xy, codes)
    t["inverse"] = time.perf_counter() - start
    return Exploration(codes, xy, errors, inverse, used, t, note)
