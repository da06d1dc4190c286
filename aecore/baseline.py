"""PCA at the same latent size: the baseline an autoencoder must beat to be worth its training time.

`compare_with_pca` measures both on the rows the model held out; `PcaComparison` is the result, and
says in one sentence what was measured, on which rows, and when PCA is exact (so no comparison)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.decomposition import PCA

# PCA counts as exact when its error is below this share of the data's variance per element: float32
# round-off of a perfect reconstruction sits near 1e-12 of it, the weakest real compression far above.
EXACT_SHARE = 1e-6


def pca_test_mse(X_train: np.ndarray, X_test: np.ndarray, k: int, seed: int = 0) -> float:
    """Mean squared error per element of PCA-k reconstructions of X_test, fitted on X_train."""
    a = np.asarray(X_train, dtype=np.float32).reshape(len(X_train), -1)
    b = np.asarray(X_test, dtype=np.float32).reshape(len(X_test), -1)
    k = max(1, min(k, a.shape[0], a.shape[1]))
    pca = PCA(n_components=k, random_state=seed).fit(a)
    return float(((pca.inverse_transform(pca.transform(b)) - b) ** 2).mean())


def pca_errors(X_train: np.ndarray, X_test: np.ndarray, ks: list[int], seed: int = 0) -> list[float]:
    """PCA's test MSE per element at each latent size in ks, from one fit: PCA-k keeps the first k
    components of PCA-max(ks) (the components are nested), so a whole curve costs one SVD."""
    a = np.asarray(X_train, dtype=np.float32).reshape(len(X_train), -1)
    b = np.asarray(X_test, dtype=np.float32).reshape(len(X_test), -1)
    top = max(1, min(max(ks), a.shape[0], a.shape[1]))
    pca = PCA(n_components=top, random_state=seed).fit(a)
    scores = (b - pca.mean_) @ pca.components_.T  # (n_test, top)
    out = []
    for k in ks:
        k = max(1, min(k, top))
        recon = scores[:, :k] @ pca.components_[:k] + pca.mean_
        out.append(float(((recon - b) ** 2).mean()))
    return out


@dataclass(frozen=True)
class PcaComparison:
    """An autoencoder's reconstruction error beside PCA's at the same latent size, on the same rows."""
    ae_mse: float
    pca_mse: float
    n_rows: int          # rows both were measured on
    held_out: bool       # those rows were held out of training (else they are the training rows)
    latent_dim: int
    exact: str | None = None  # why PCA is exact here: "features" (latent >= features) or "rows" (too few rows)

    @property
    def ratio(self) -> float | None:
        """Autoencoder error / PCA error (below 1: better than PCA); None where PCA is exact."""
        return None if self.exact else self.ae_mse / self.pca_mse

    @property
    def beats_pca(self) -> bool:
        return self.ratio is not None and self.ratio < 1

    def summary(self) -> str:
        """One sentence for a person (the app's header and the CLI both print it)."""
        k = self.latent_dim
        where = f"on {self.n_rows:,} held-out rows" if self.held_out else \
            f"on the {self.n_rows:,} training rows (too few rows to hold any out)"
        if self.exact == "features":
            return (f"Reconstruction error {self.ae_mse:.4g} {where}. PCA-{k} reconstructs this data exactly: the "
                    f"latent size is at least its number of independent features, so nothing is compressed. Choose a "
                    f"smaller latent size")
        if self.exact == "rows":
            return (f"Reconstruction error {self.ae_mse:.4g} {where}. PCA-{k} reconstructs these rows exactly: "
                    f"there are no more rows than latent dimensions, so there is nothing to compare. Bring more rows")
        verdict = "better than" if self.beats_pca else "no better than"
        return (f"Reconstruction error {self.ae_mse:.4g} vs PCA-{k} {self.pca_mse:.4g} "
                f"({ratio_text(self.ratio)}, {verdict} PCA) {where}")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict, latent_dim: int) -> PcaComparison:
        """From a bundle; bundles written before this type stored n_test and measured held-out rows."""
        return cls(float(d["ae_mse"]), float(d["pca_mse"]), int(d.get("n_rows", d.get("n_test", 0))),
                   bool(d.get("held_out", True)), int(d.get("latent_dim", latent_dim)), d.get("exact"))


def compare_with_pca(model, X) -> PcaComparison:
    """Reconstruction MSE of a fitted Autoencoder beside PCA's at the same latent size.

    Measured on the model's test split; else on its validation rows (also never trained on); else,
    for data too small to hold rows out, on the training rows, and the result says so."""
    from .estimator import as_array

    arr = as_array(X)
    split = model.split_
    train = split["train"]
    rows, held_out = next(((r, True) for r in (split["test"], split["val"]) if len(r)), (train, False))
    k = model.config_.latent_dim
    ae = float(model.reconstruction_error(arr[rows]).mean())
    pca = pca_test_mse(arr[train], arr[rows], k, model.seed)
    n_features = int(np.prod(arr.shape[1:]))
    variance = float(arr[train].reshape(len(train), -1).var(0).mean()) or 1.0
    exact = None
    if k >= n_features or (pca <= EXACT_SHARE * variance and (held_out or k < len(train) - 1)):
        exact = "features"  # as many latent dimensions as features, or as independent directions in the data
    elif pca <= EXACT_SHARE * variance:
        exact = "rows"      # PCA of m training rows spans them all with m - 1 components
    return PcaComparison(ae, pca, int(len(rows)), held_out, k, exact)


def ratio_text(ratio: float) -> str:
    """An error ratio to PCA's as a person reads it: two decimals, or two significant digits below 0.01
    (a model 1,000 times better than PCA read "0.00×")."""
    return f"{ratio:.2f}×" if ratio >= 0.01 else f"{ratio:.2g}×"
