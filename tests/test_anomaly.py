"""Anomaly scoring helpers: threshold, top-k ranking, AUROC and the anomaly mask."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aecore.anomaly import anomaly_mask, auroc, threshold, top_k


def test_threshold_is_a_percentile():
    scores = np.arange(101, dtype=float)
    assert threshold(scores, 95) == pytest.approx(95.0)
    assert threshold(scores, 100) == 100.0
    assert (scores > threshold(scores, 90)).sum() == 10


def test_top_k_highest_first_ties_by_row_order():
    scores = np.array([0.1, 0.9, 0.5, 0.9, 0.3])
    assert top_k(scores, 3).tolist() == [1, 3, 2]
    assert top_k(scores, 10).tolist() == [1, 3, 2, 4, 0]  # k larger than n: every row
    assert top_k(scores, 0).tolist() == [] and top_k(scores, -2).tolist() == []
    assert top_k([2.0, 1.0], 1).tolist() == [0]  # plain lists work too


def test_auroc():
    scores = np.array([0.1, 0.2, 0.8, 0.9])
    assert auroc(scores, [False, False, True, True]) == 1.0
    assert auroc(scores, [True, True, False, False]) == 0.0
    assert auroc(scores, [False, True, False, True]) == pytest.approx(0.75)
    assert auroc(scores, [False] * 4) is None
    assert auroc(scores, [True] * 4) is None


def test_anomaly_mask_compares_as_text():
    labels = pd.Series([0, 1, 2, 1, "x"])
    assert anomaly_mask(labels, [1]).tolist() == [False, True, False, True, False]
    assert anomaly_mask(labels, ["1", "x"]).tolist() == [False, True, False, True, True]
    assert not anomaly_mask(labels, []).any()


def test_reconstruction_error_finds_outliers(fitted, table_X):
    X = table_X.copy()
    X[:5] = 8.0  # far outside the training distribution
    errors = fitted.reconstruction_error(X)
    mask = np.zeros(len(X), bool)
    mask[:5] = True
    assert auroc(errors, mask) > 0.95
    assert set(top_k(errors, 5).tolist()) == set(range(5))
