"""The PCA baseline at the same latent size."""
from __future__ import annotations

import numpy as np
import pytest

from aecore.baseline import compare_with_pca, pca_test_mse


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
    assert set(cmp) == {"ae_mse", "pca_mse", "ratio", "n_test"}
    assert cmp["n_test"] == len(fitted.split_["test"]) == 12
    test_rows = table_X[fitted.split_["test"]]
    assert cmp["ae_mse"] == pytest.approx(float(fitted.reconstruction_error(test_rows).mean()))
    assert cmp["ratio"] == pytest.approx(cmp["ae_mse"] / cmp["pca_mse"])
