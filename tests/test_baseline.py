"""The PCA baseline at the same latent size."""
from __future__ import annotations

import json

import numpy as np
import pytest

from aecore import Autoencoder
from aecore.baseline import PcaComparison, compare_with_pca, pca_errors, pca_test_mse, ratio_text


def test_pca_mse_exact_for_low_rank_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 2)) @ rng.standard_normal((2, 6))
    assert pca_test_mse(X[:40], X[40:], 2) == pytest.approx(0.0, abs=1e-10)
    assert pca_test_mse(X[:40], X[40:], 1) > 1e-3
    assert pca_test_mse(X[:3], X[40:], 10) >= 0  # k is capped by the rows and columns


def test_pca_mse_flattens_images():
    X = np.random.default_rng(0).random((20, 1, 4, 4))
    assert pca_test_mse(X[:15], X[15:], 3) > 0


def test_compare_with_pca(fitted, table_X):
    cmp = compare_with_pca(fitted, table_X)
    assert isinstance(cmp, PcaComparison)
    test_rows = table_X[fitted.split_["test"]]
    assert cmp.n_rows == len(fitted.split_["test"]) == 12 and cmp.held_out and cmp.exact is None
    assert cmp.ae_mse == pytest.approx(float(fitted.reconstruction_error(test_rows).mean()))
    assert cmp.ratio == pytest.approx(cmp.ae_mse / cmp.pca_mse)
    assert "on 12 held-out rows" in cmp.summary() and f"{cmp.ratio:.2f}×" in cmp.summary()
    assert PcaComparison.from_json(json.loads(json.dumps(cmp.to_json())), 2) == cmp


def test_old_bundle_comparisons_read_as_held_out():
    old = {"ae_mse": 0.5, "pca_mse": 1.0, "ratio": 0.5, "n_test": 18}
    cmp = PcaComparison.from_json(old, latent_dim=8)
    assert (cmp.n_rows, cmp.held_out, cmp.latent_dim, cmp.ratio) == (18, True, 8, 0.5)


def test_latent_as_wide_as_the_features_says_pca_is_exact(table_X, fast):
    model = Autoencoder(**dict(fast, latent_dim=6)).fit(table_X)  # 6 features
    cmp = compare_with_pca(model, table_X)
    assert cmp.exact == "features" and cmp.ratio is None and not cmp.beats_pca
    text = cmp.summary()
    assert "reconstructs this data exactly" in text and "Choose a smaller latent size" in text and "×" not in text


def test_low_rank_data_is_exact_too(fast):
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((100, 2)) @ rng.standard_normal((2, 8))).astype(np.float32)  # rank 2
    cmp = compare_with_pca(Autoencoder(**dict(fast, latent_dim=3)).fit(X), X)
    assert cmp.exact == "features" and "×" not in cmp.summary()


def test_tiny_tables_are_measured_on_their_training_rows(fast):
    X = np.random.default_rng(0).standard_normal((12, 10)).astype(np.float32)  # < 20 rows: nothing held out
    cmp = compare_with_pca(Autoencoder(**dict(fast, latent_dim=3)).fit(X), X)
    assert not cmp.held_out and cmp.n_rows == 12
    assert "held-out" not in cmp.summary() and "training rows" in cmp.summary()
    cmp = compare_with_pca(Autoencoder(**dict(fast, latent_dim=8)).fit(X[:6]), X[:6])  # 6 rows, latent 8 < 10
    assert cmp.exact == "rows" and "no more rows than latent dimensions" in cmp.summary()


def test_pca_errors_is_a_curve_from_one_fit():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, 10)) @ rng.standard_normal((10, 10))
    curve = pca_errors(X[:60], X[60:], [1, 3, 5, 10])
    for k, err in zip([1, 3, 5, 10], curve, strict=True):
        assert err == pytest.approx(pca_test_mse(X[:60], X[60:], k), rel=1e-4, abs=1e-9)
    assert curve == sorted(curve, reverse=True) and curve[-1] < 1e-8


@pytest.mark.parametrize("ratio, text", [(0.41, "0.41×"), (1.0, "1.00×"), (0.0098, "0.0098×"),
                                         (0.00098467, "0.00098×")])
def test_a_ratio_to_pca_never_reads_zero(ratio, text):
    """lme4's VerbAgg: 2.053e-05 against PCA's 0.02085 read '0.00×, better than PCA'."""
    assert ratio_text(ratio) == text
