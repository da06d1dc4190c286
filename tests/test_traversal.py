"""Latent traversals: observed ranges, dimension order, one batched decode, and what each dimension moves."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aecore import Autoencoder, table_dataset
from aecore.errors import ConfigError
from aecore.images import images_from_array
from aecore.traversal import (
    UNUSED_KL,
    DimensionOrder,
    Traversal,
    dimension_order,
    feature_response,
    latent_ranges,
    sensitivity,
    traverse,
)
from tests.conftest import FAST


@pytest.fixture(scope="module")
def people():
    """A small table with two numbers and a category, and a tiny model trained on it."""
    rng = np.random.default_rng(0)
    height = rng.normal(170.0, 10.0, 80)
    df = pd.DataFrame({"height": height, "weight": 0.9 * height - 80 + rng.normal(0, 3, 80),
                       "colour": rng.choice(["red", "green", "blue"], 80)})
    ds = table_dataset(df)
    return ds, Autoencoder(**FAST).fit(ds)


@pytest.fixture(scope="module")
def image_model(digit_images):
    ds = images_from_array(digit_images[:60])
    return ds, Autoencoder(**FAST).fit(ds)


def test_ranges_ignore_an_outlier():
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((1000, 3))
    codes[0, 1] = 1e6
    lo, hi = latent_ranges(codes)
    assert lo.shape == hi.shape == (3,)
    assert np.all(lo < 0) and np.all(hi > 0) and hi[1] < 10
    assert np.allclose(lo, np.percentile(codes, 1.0, axis=0))


def test_image_traversal_shapes(image_model):
    ds, model = image_model
    codes = model.transform(ds)
    lo, hi = latent_ranges(codes)
    tr = traverse(model, codes[3], [1, 0], lo, hi, steps=5)
    assert isinstance(tr, Traversal) and tr.dims == [1, 0] and tr.steps == 5
    assert tr.values.shape == (2, 5) and tr.decoded.shape == (2, 5, 1, 8, 8)
    assert np.allclose(tr.values[0, [0, -1]], [lo[1], hi[1]]) and np.allclose(tr.values[1, [0, -1]], [lo[0], hi[0]])
    # the first step along dim 1 holds dim 0 at the start code's value
    expected = model.inverse_transform(np.array([codes[3, 0], lo[1]], np.float32))
    assert np.allclose(tr.decoded[0, 0], expected[0], atol=1e-5)


def test_middle_step_decodes_the_middle_of_the_range(fitted, table_X):
    codes = fitted.transform(table_X)
    lo, hi = latent_ranges(codes)
    tr = traverse(fitted, codes[5], [0, 1], lo, hi, steps=7)
    assert tr.decoded.shape == (2, 7, 6)
    for i, d in enumerate(tr.dims):
        code = codes[5].copy()
        code[d] = (lo[d] + hi[d]) / 2
        assert np.allclose(tr.decoded[i, 3], fitted.inverse_transform(code)[0], atol=1e-5)


def test_traverse_refuses_bad_requests(fitted, table_X):
    codes = fitted.transform(table_X[:10])
    lo, hi = latent_ranges(codes)
    with pytest.raises(ConfigError, match="at least one"):
        traverse(fitted, codes[0], [], lo, hi)
    with pytest.raises(ConfigError, match="do not exist"):
        traverse(fitted, codes[0], [2], lo, hi)
    with pytest.raises(ConfigError, match="at least 2 steps"):
        traverse(fitted, codes[0], [0], lo, hi, steps=1)


def test_vae_dimensions_ordered_by_kl(table_X):
    model = Autoencoder(**dict(FAST, model="vae", latent_dim=4)).fit(table_X)
    codes = model.transform(table_X)
    order = dimension_order(model, table_X, codes)
    assert isinstance(order, DimensionOrder) and order.kind == "KL (nats)"
    assert order.score.shape == (4,) and order.unused.shape == (4,) and order.unused.dtype == bool
    assert sorted(order.order.tolist()) == [0, 1, 2, 3]
    assert np.all(np.diff(order.score[order.order]) <= 0)  # most informative first
    assert np.array_equal(order.unused, order.score < UNUSED_KL)
    assert np.allclose(order.score, model.kl_per_dim(table_X))


def test_point_codes_ordered_by_spread(fitted, table_X):
    codes = fitted.transform(table_X)
    order = dimension_order(fitted, table_X, codes)
    assert order.kind == "code std" and not order.unused.any()
    assert np.allclose(order.score, codes.std(0))
    assert order.order.tolist() == np.argsort(-codes.std(0)).tolist()


def test_feature_response_in_original_units(people):
    ds, model = people
    codes = model.transform(ds)
    lo, hi = latent_ranges(codes)
    tr = traverse(model, codes[0], [1, 0], lo, hi, steps=5)
    response = feature_response(tr, 0, ds.preprocessor)  # the first traversed dim: z1
    assert list(response.columns) == ["z1", "height", "weight", "colour"] and len(response) == 5
    assert np.allclose(response["z1"], tr.values[0])
    assert set(response["colour"]) <= {"red", "green", "blue"}
    expected = ds.preprocessor.inverse_transform(tr.decoded[0])
    assert np.allclose(response["height"], expected["height"]) and response["height"].mean() > 100  # centimetres
    with pytest.raises(ConfigError, match="dim_index"):
        feature_response(tr, 2, ds.preprocessor)


def test_sensitivity_is_the_range_of_each_numeric_feature(people):
    ds, model = people
    codes = model.transform(ds)
    lo, hi = latent_ranges(codes)
    tr = traverse(model, codes[0], [0, 1], lo, hi)
    table = sensitivity(tr, ds.preprocessor)
    assert table.index.tolist() == ["z0", "z1"] and table.columns.tolist() == ["height", "weight"]
    numeric = tr.decoded[:, :, :2].astype(np.float64)
    assert np.allclose(table.to_numpy(), numeric.max(1) - numeric.min(1))
    assert (table.to_numpy() >= 0).all()


def test_table_helpers_refuse_images(image_model):
    ds, model = image_model
    codes = model.transform(ds)
    tr = traverse(model, codes[0], [0], *latent_ranges(codes), steps=3)
    with pytest.raises(ConfigError, match="tables"):
        feature_response(tr, 0, ds.preprocessor)
    with pytest.raises(ConfigError, match="tables"):
        sensitivity(tr, ds.preprocessor)
