"""New data on an existing map: prepared exactly as the training data, scored and placed by the training codes."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from aecore import Autoencoder, images_from_array, load_table
from aecore.errors import DataError
from aecore.newdata import Placement, ordinal, place, prepare_like
from aecore.projection import project

NUMBERS = ["a", "b", "c", "d", "e", "f"]


def table(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """Rows with 2 informative dimensions behind 6 numeric columns, a category that follows them, a label
    and an id: the same distribution for every seed."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((n, 2))
    mix = np.random.default_rng(0).standard_normal((2, 6))  # the same columns for every seed
    values = base @ mix + 0.1 * rng.standard_normal((n, 6)) + shift
    df = pd.DataFrame(values.round(4), columns=NUMBERS)
    df.insert(0, "id", [f"r{seed}-{i}" for i in range(n)])
    df["colour"] = np.where(base[:, 0] > 0.5, "red", np.where(base[:, 0] < -0.5, "blue", "green"))
    df["kind"] = np.where(base[:, 1] > 0, "up", "down")
    return df


def csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode()


@pytest.fixture(scope="module")
def trained():
    """(training Dataset, model, codes, map, errors): a tiny seeded model of table(400, seed=0)."""
    data = load_table(csv(table(400, seed=0)), label="kind", name="train")
    model = Autoencoder(latent_dim=2, hidden=[16], epochs=15, batch_size=32, lr=1e-2, seed=0).fit(data)
    codes = model.transform(data)
    return data, model, codes, project(codes, "pca"), model.reconstruction_error(data)


def test_the_training_csv_is_prepared_exactly_as_before(trained):
    data = trained[0]
    again = prepare_like(data, csv(table(400, seed=0)))
    assert np.array_equal(again.X, data.X)
    assert again.preprocessor is data.preprocessor and again.label == "kind"
    assert list(again.meta.columns) == list(data.meta.columns)
    same = prepare_like(data, data)  # a Dataset: its raw rows, re-encoded
    assert np.array_equal(same.X, data.X)


def test_new_rows_like_the_training_rows_are_flagged_about_as_expected(trained):
    data, model, codes, xy, errors = trained
    new = prepare_like(data, csv(table(1000, seed=1)), name="more")
    assert new.name == "more" and new.X.shape == (1000, data.X.shape[1])
    placed = place(model, new, codes, xy, errors)
    assert placed.codes.shape == (1000, 2) and placed.xy.shape == (1000, 2) and placed.errors.shape == (1000,)
    assert placed.expected_share == pytest.approx(0.05)
    assert 0.02 <= placed.share <= 0.10, placed.summary()
    assert placed.reference_rows == 400 and placed.verdict() == "about", placed.summary()
    assert placed.threshold == pytest.approx(np.percentile(errors, 95))


def test_shifted_rows_are_mostly_flagged(trained):
    data, model, codes, xy, errors = trained
    placed = place(model, prepare_like(data, csv(table(300, seed=2, shift=5.0))), codes, xy, errors)
    assert placed.share > 0.9
    assert placed.verdict() == "far_more" and "this data differs from what the model learned" in placed.summary()


def test_the_training_rows_land_on_their_own_map_points(trained):
    data, model, codes, xy, errors = trained
    placed = place(model, data, codes, xy, errors)
    assert np.allclose(placed.xy, xy, atol=1e-4)
    assert np.array_equal(placed.codes, codes)
    assert placed.flagged == int((errors > np.percentile(errors, 95)).sum()) and placed.verdict() == "about"


def test_a_missing_column_is_named(trained):
    data = trained[0]
    df = table(50, seed=3).drop(columns=["c"]).assign(extra=1.0)
    with pytest.raises(DataError, match=r"lacks 1 column\(s\).*: c\..*\(extra\) would be ignored"):
        prepare_like(data, csv(df))


def test_what_differs_is_reported(trained):
    data = trained[0]
    df = table(60, seed=4).drop(columns=["kind"]).assign(note="x", weight=2.0)
    df.loc[:4, "colour"] = "purple"
    df.loc[5, "colour"] = "teal"
    df["a"] = df["a"].astype(object)
    df.loc[:2, "a"] = "n/a"
    new = prepare_like(data, io.BytesIO(csv(df)))
    text = "\n".join(new.report)
    assert "2 column(s) the model does not know were ignored: note, weight" in text
    assert "'colour': 6 row(s) hold categories never seen in training (purple, teal)" in text
    assert "all zeros" in text
    assert "'a': 3 missing or unreadable value(s) set to the training median" in text
    assert "no 'kind' column" in text and new.label is None
    block = [i for i, f in enumerate(data.preprocessor.feature_names) if f.startswith("colour=")]
    assert np.all(new.X[:6][:, block] == 0) and np.all(new.X[6:][:, block].sum(1) == 1)


def test_images_are_resized_and_converted_to_the_models_kind(digit_images, image_bytes, zip_bytes):
    data = images_from_array(digit_images, name="digits")  # (n, 1, 8, 8) grayscale
    rng = np.random.default_rng(5)
    colour = [(f"c{i}.png", image_bytes(rng.integers(0, 256, (16, 20, 3)))) for i in range(3)]
    new = prepare_like(data, colour)
    assert new.X.shape == (3, 1, 8, 8) and new.X.dtype == np.float32
    assert new.preprocessor is data.preprocessor
    assert any("8x8 pixels, grayscale" in line for line in new.report)
    assert any("Resized 3 image(s)" in line for line in new.report)
    zipped = prepare_like(data, zip_bytes(colour), name="zipped")
    assert zipped.X.shape == (3, 1, 8, 8) and zipped.name == "zipped"


def test_grey_images_for_a_colour_model(image_bytes):
    rng = np.random.default_rng(6)
    data = images_from_array(rng.random((10, 3, 6, 6)).astype(np.float32), name="colour")
    grey = [("g.png", image_bytes(rng.integers(0, 256, (12, 12)))),
            ("c.png", image_bytes(rng.integers(0, 256, (6, 6, 3))))]
    new = prepare_like(data, grey)
    assert new.X.shape == (2, 3, 6, 6)
    assert np.array_equal(new.X[0, 0], new.X[0, 2])
    assert any("1 image(s) have no colour" in line for line in new.report)
    with pytest.raises(DataError, match="shape"):
        prepare_like(data, images_from_array(np.zeros((2, 1, 6, 6), np.float32)))


def test_summary_sentences():
    errors = np.zeros(300)
    about = Placement(np.zeros((300, 2)), np.zeros((300, 2)), errors, 0.0123, 12, 0.05)
    assert about.summary() == ("12 of 300 new rows (4.0%) score above the training rows' 95th percentile (0.0123): "
                               "about the 5% expected of data like the training data.")
    far = Placement(np.zeros((300, 2)), np.zeros((300, 2)), errors, 0.0123, 123, 0.05)
    assert far.summary().startswith("123 of 300 new rows (41.0%)")
    assert far.summary().endswith("far more than the 5% expected: this data differs from what the model learned.")
    assert Placement(np.zeros((300, 2)), np.zeros((300, 2)), errors, 0.1, 27, 0.05).verdict() == "more"
    assert Placement(np.zeros((300, 2)), np.zeros((300, 2)), errors, 0.1, 0, 0.05).verdict() == "fewer"
    # 9% of 300 against a threshold from only 100 training rows: within the two samples' chance
    assert Placement(np.zeros((300, 2)), np.zeros((300, 2)), errors, 0.1, 27, 0.05, 100).verdict() == "about"
    # 7% of 10,000: beyond chance, but within what training rows' own slight advantage explains
    many = np.zeros(10_000)
    assert Placement(np.zeros((10_000, 2)), np.zeros((10_000, 2)), many, 0.1, 700, 0.05, 10_000).verdict() == "about"
    assert [ordinal(v) for v in (1, 2, 3, 11, 12, 95, 99, 97.5)] == ["1st", "2nd", "3rd", "11th", "12th", "95th",
                                                                     "99th", "97.5th"]
