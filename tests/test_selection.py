"""What sets a selection apart: feature contrasts (standardised and in original units) and mean images."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aecore import table_dataset
from aecore.errors import ConfigError
from aecore.selection import column_moments, contrast, contrast_in_units, mean_images

# 4 rows, 3 features: a moves with the selection, b a little, c is constant.
X = np.array([[2.0, 1.0, 5.0],
              [2.0, 0.0, 5.0],
              [0.0, 1.0, 5.0],
              [0.0, 0.0, 5.0]], dtype=np.float32)
NAMES = ["a", "b", "c"]


def test_contrast_by_hand():
    table = contrast(X, np.array([0, 1]), NAMES)
    assert list(table.columns) == ["feature", "selected", "rest", "difference (sd)"]
    # a: selected mean 2, rest 0, std over all rows 1 -> 2 sd. b: 0.5 vs 0.5 -> 0. c: constant -> 0.
    assert table["feature"].tolist() == ["a", "b", "c"]
    assert table["selected"].tolist() == pytest.approx([2.0, 0.5, 5.0])
    assert table["rest"].tolist() == pytest.approx([0.0, 0.5, 5.0])
    assert table["difference (sd)"].tolist() == pytest.approx([2.0, 0.0, 0.0])


def test_contrast_sorts_by_size_and_keeps_the_top():
    table = contrast(X, np.array([0, 2]), NAMES, top=2)  # b: 1 vs 0 with std 0.5 -> 2 sd; a: 1 vs 1 -> 0
    assert table["feature"].tolist() == ["b", "a"]
    assert table["difference (sd)"].tolist() == pytest.approx([2.0, 0.0])
    negative = contrast(X, np.array([2, 3]), NAMES, top=1)  # a: 0 vs 2 -> -2 sd, ranked by its size
    assert negative["feature"].tolist() == ["a"] and negative["difference (sd)"].iloc[0] == pytest.approx(-2.0)


def test_contrast_accepts_a_mask_duplicates_and_precomputed_moments():
    moments = column_moments(X)
    expected = contrast(X, np.array([0, 1]), NAMES)
    for rows in (np.array([True, True, False, False]), np.array([1, 0, 1])):
        pd.testing.assert_frame_equal(contrast(X, rows, NAMES, moments=moments), expected)
    # the larger side is summed when it is cheaper: selecting 3 of 4 rows gives the same numbers
    three = contrast(X, np.array([0, 1, 2]), NAMES)
    assert three.set_index("feature").loc["a", "selected"] == pytest.approx(4 / 3)
    assert three.set_index("feature").loc["a", "rest"] == pytest.approx(0.0)


def test_contrast_of_every_row_has_no_rest():
    table = contrast(X, np.arange(4), NAMES)
    assert table["rest"].isna().all()
    assert (table["difference (sd)"] == 0).all()
    assert table["selected"].tolist() == pytest.approx([1.0, 0.5, 5.0])


def test_contrast_refuses_empty_and_wrong_selections():
    with pytest.raises(ConfigError, match="at least one row"):
        contrast(X, np.array([], dtype=np.int64), NAMES)
    with pytest.raises(ConfigError, match="0 to 3"):
        contrast(X, np.array([4]), NAMES)
    with pytest.raises(ConfigError, match="feature names"):
        contrast(X, np.array([0]), NAMES[:2])
    with pytest.raises(ConfigError, match="other data"):
        contrast(X, np.array([0]), NAMES, moments=column_moments(X[:3]))


def test_contrast_in_original_units():
    df = pd.DataFrame({"height": [150.0, 160.0, 170.0, 180.0], "colour": ["red", "red", "blue", "blue"]})
    ds = table_dataset(df)
    table = contrast_in_units(ds, np.array([2, 3]))
    assert list(table.columns) == ["feature", "selected", "rest", "difference (sd)", "measure"]
    rows = table.set_index("feature")
    assert rows.loc["height", "selected"] == pytest.approx(175.0) and rows.loc["height", "rest"] == pytest.approx(155.0)
    assert rows.loc["height", "measure"] == "mean"
    assert rows.loc["colour=blue", "selected"] == pytest.approx(1.0) and rows.loc["colour=blue", "rest"] == 0.0
    assert rows.loc["colour=red", "measure"] == "share of rows"
    # ranked exactly as contrast() ranks the standardised features
    same = contrast(ds.X, np.array([2, 3]), ds.preprocessor.feature_names)
    assert table["feature"].tolist() == same["feature"].tolist()
    assert table["difference (sd)"].tolist() == pytest.approx(same["difference (sd)"].tolist())
    # height: 175 vs 155 with std sqrt(125) over all four rows
    assert rows.loc["height", "difference (sd)"] == pytest.approx(20 / np.sqrt(125))


def test_contrast_in_units_refuses_images(digit_images):
    from aecore.images import images_from_array

    with pytest.raises(ConfigError, match="mean_images"):
        contrast_in_units(images_from_array(digit_images[:4]), np.array([0]))


def test_mean_images_by_hand():
    images = np.zeros((4, 1, 2, 2), dtype=np.float32)
    images[0, 0, 0, 0] = 1.0
    images[1, 0, 0, 0] = 0.5
    images[2, 0, 1, 1] = 1.0
    selected, rest, diff = mean_images(images, np.array([0, 1]))
    assert selected.shape == rest.shape == diff.shape == (1, 2, 2) and selected.dtype == np.float32
    assert selected[0].tolist() == [[0.75, 0.0], [0.0, 0.0]]
    assert rest[0].tolist() == [[0.0, 0.0], [0.0, 0.5]]
    assert diff[0].tolist() == [[0.75, 0.0], [0.0, -0.5]]
    everything, nothing, no_diff = mean_images(images, np.arange(4))
    assert everything[0].tolist() == [[0.375, 0.0], [0.0, 0.25]]
    assert not nothing.any() and not no_diff.any()
