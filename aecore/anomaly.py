"""Anomaly scoring by reconstruction error: thresholds, rankings, AUROC."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from .dataset import category_values


def threshold(scores: np.ndarray, percentile: float) -> float:
    """The score above which the top (100 - percentile)% of rows lie."""
    return float(np.percentile(scores, percentile))


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Row indices of the k highest scores, highest first (ties broken by row order)."""
    k = max(0, min(k, len(scores)))
    order = np.argsort(-np.asarray(scores), kind="stable")
    return order[:k]


def auroc(scores: np.ndarray, is_anomaly) -> float | None:
    """Area under the ROC curve of scores against a boolean anomaly mask; None if only one class."""
    y = np.asarray(is_anomaly, dtype=bool)
    if y.all() or not y.any():
        return None
    return float(roc_auc_score(y, scores))


def anomaly_mask(labels: pd.Series, anomalous_values) -> np.ndarray:
    """Rows whose label is one of anomalous_values (compared as text)."""
    wanted = {str(v) for v in anomalous_values}
    return np.isin(category_values(labels), list(wanted))
