"""PCA at the same latent size: the baseline an autoencoder must beat to be worth its training time."""
from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA


def pca_test_mse(X_train: np.ndarray, X_test: np.ndarray, k: int, seed: int = 0) -> float:
    """Mean squared error per element of PCA-k reconstructions of X_test, fitted on X_train."""
    a = np.asarray(X_train, dtype=np.float32).reshape(len(X_train), -1)
    b = np.asarray(X_test, dtype=np.float32).reshape(len(X_test), -1)
    k = max(1, min(k, a.shape[0], a.shape[1]))
    pca = PCA(n_components=k, random_state=seed).fit(a)
    return float(((pca.inverse_transform(pca.transform(b)) - b) ** 2).mean())


def compare_with_pca(model, X) -> dict:
    """Test-split reconstruction MSE of a fitted Autoencoder beside PCA's at the same latent size.

    Uses the rows the model held out as its test split; falls back to the validation rows, then to all."""
    from .estimator import as_array

    arr = as_array(X)
    split = model.split_
    test = split["test"] if len(split["test"]) else (split["val"] if len(split["val"]) else split["train"])
    train = split["train"]
    ae = float(model.reconstruction_error(arr[test]).mean())
    pca = pca_test_mse(arr[train], arr[test], model.config_.latent_dim, model.seed)
    return {"ae_mse": ae, "pca_mse": pca, "ratio": ae / pca if pca > 0 else float("inf"), "n_test": int(len(test))}
