"""explore(): codes, map, errors and the map inverse in one step; stored arrays skip the work."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aecore import Autoencoder, table_dataset
from aecore.explore import explore
from aecore.images import images_from_array


@pytest.fixture(scope="module")
def data(digit_images):
    return images_from_array(digit_images[:60], labels=np.arange(60) % 10)


def test_explore_computes_everything(fitted, table_X):
    ds = table_dataset(pd.DataFrame(table_X))
    ex = explore(fitted, ds, "pca")
    assert ex.codes.shape == (120, 2) and ex.xy.shape == (120, 2) and ex.errors.shape == (120,)
    assert ex.projection == "latent"  # 2-D codes are their own map
    assert np.array_equal(ex.xy, ex.codes)
    assert set(ex.timings) == {"encode", "errors", "project", "inverse"}
    assert ex.map_note == "The 2-D codes of all 120 rows are the map itself (no projection)."
    code, distance = ex.inverse.decode_point(*ex.xy[7])
    assert np.array_equal(code, ex.codes[7]) and distance == 0.0


def test_explore_projects_and_reuses_stored_arrays(data, fast):
    model = Autoencoder(**dict(fast, model="dense", latent_dim=4, epochs=1)).fit(data)
    ex = explore(model, data, "pca")
    assert ex.projection == "pca" and ex.xy.shape == (60, 2)
    assert np.allclose(ex.errors, model.reconstruction_error(data))
    stored = explore(model, data, "umap", codes=ex.codes, xy=ex.xy, errors=ex.errors)
    assert stored.projection == "stored"  # nothing recomputed, UMAP never started
    assert stored.map_note == "The map saved with the model." and "fit" not in stored.timings
    assert ex.map_note == "PCA of all 60 rows."
    assert np.array_equal(stored.xy, ex.xy) and np.array_equal(stored.codes, ex.codes)


def test_explore_says_how_a_sampled_map_was_made(data, fast):
    model = Autoencoder(**dict(fast, model="dense", latent_dim=4, epochs=1)).fit(data)
    ex = explore(model, data, "umap", seed=0, sample_limit=20)
    assert ex.projection == "umap" and ex.xy.shape == (60, 2) and np.isfinite(ex.xy).all()
    assert ex.map_note.startswith("UMAP on 20 of 60 rows") and "the rest placed by" in ex.map_note
    assert {"encode", "errors", "dedupe", "fit", "place", "project", "inverse"} == set(ex.timings)
