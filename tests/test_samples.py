"""Built-in samples: each loads, and each pre-trained bundle in data/ loads and matches its sample."""
from __future__ import annotations

import numpy as np
import pytest

from aecore import DataError
from aecore.bundle import load_bundle
from aecore.samples import DIGITS_BUNDLE, SAMPLES, bundle_path, load_sample

EXPECTED = {"digits": ((1797, 1, 8, 8), "label", 10), "breast_cancer": ((569, 30), "diagnosis", 2),
            "wine": ((178, 13), "cultivar", 3)}


def test_every_sample_is_described():
    assert set(SAMPLES) == set(EXPECTED)
    for key, sample in SAMPLES.items():
        assert sample.key == key and sample.title and sample.about


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_sample_loads(key):
    shape, label, classes = EXPECTED[key]
    ds = load_sample(key)
    assert ds.X.shape == shape and ds.X.dtype == np.float32 and np.isfinite(ds.X).all()
    assert ds.label == label and ds.labels.nunique() == classes
    assert ds.report
    if key == "digits":
        assert ds.X.min() == 0.0 and ds.X.max() == 1.0
    else:
        assert label not in ds.preprocessor.columns
        assert np.allclose(ds.X.mean(0), 0, atol=1e-4)  # standardised


def test_unknown_sample():
    with pytest.raises(DataError, match="Unknown sample 'mnist'. Choose one of: digits, breast_cancer, wine"):
        load_sample("mnist")


def test_digits_bundle_is_the_first_screen():
    assert bundle_path("digits") == DIGITS_BUNDLE and DIGITS_BUNDLE.name == "digits.aebundle"
    bundle = load_bundle(DIGITS_BUNDLE)
    n = bundle.dataset.n
    assert n == 1797
    assert bundle.codes.shape == (n, bundle.model.config_.latent_dim)
    assert bundle.xy.shape == (n, 2) and bundle.errors.shape == (n,)
    assert np.isfinite(bundle.xy).all() and np.all(bundle.errors >= 0)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_sample_bundles_match_their_samples(key):
    """data/make_samples.py writes one bundle per sample; it must hold that sample's current data."""
    path = bundle_path(key)
    assert path.is_file(), f"{path.name} is missing: run `python data/make_samples.py`"
    bundle = load_bundle(path)
    ds = load_sample(key)
    assert np.array_equal(bundle.dataset.X, ds.X), "stale bundle: re-run data/make_samples.py"
    assert bundle.dataset.label == ds.label
    assert len(bundle.codes) == len(bundle.xy) == len(bundle.errors) == ds.n
    codes = bundle.model.transform(ds)
    assert np.allclose(codes, bundle.codes, atol=1e-4)
