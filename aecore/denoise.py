"""How well does a model undo noise? Corrupt clean rows, reconstruct the noisy copies, and measure each
against the clean rows, beside PCA at the same latent size.

Works with any fitted Autoencoder: a denoising one was trained for exactly this and should visibly win,
a plain one shows how much denoising it gets for free. The noise is the same kinds the denoising
objective trains with (aecore.networks.NOISES), drawn from a seeded numpy Generator so that the app
shows the same noisy copy on every rerun."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA

from .errors import ConfigError, DataError, check_choice
from .estimator import as_array
from .networks import NOISES, PIXEL_OUTPUTS

NOISE_KINDS = NOISES       # "gaussian" | "masking": one list, the one the denoising objective trains with
DEFAULT_SAMPLE = 256       # rows the dataset-level figure measures: enough for a stable mean, quick on a click


def _check_level(level) -> float:
    ok = isinstance(level, (int, float, np.integer, np.floating)) and not isinstance(level, bool)
    if not ok or not 0.0 <= float(level) <= 1.0:
        raise ConfigError(f"The noise level must be a number from 0 (no noise) to 1; got {level!r}.")
    return float(level)


def corrupt(X: np.ndarray, kind: str, level: float, seed: int = 0, pixels: bool = False) -> np.ndarray:
    """A noisy float32 copy of X (any shape (n, ...)); X itself is never changed.

    gaussian: X + level * N(0, 1), clipped to [0, 1] when `pixels` (images stay images). masking: each
    value independently set to 0 with probability `level`. The same seed gives the same noise."""
    check_choice("noise", kind, NOISES)
    level = _check_level(level)
    clean = np.asarray(X, dtype=np.float32)
    rng = np.random.default_rng(seed)
    if kind == "masking":
        keep = rng.random(clean.shape) >= level  # as the denoising objective masks: zero with probability level
        return np.where(keep, clean, np.float32(0.0)).astype(np.float32)
    noisy = clean + np.float32(level) * rng.standard_normal(clean.shape, dtype=np.float32)
    return np.clip(noisy, 0.0, 1.0).astype(np.float32, copy=False) if pixels else noisy


def fit_pca(X_train: np.ndarray, k: int, seed: int = 0) -> PCA:
    """PCA-k fitted on X_train's rows, flattened: the baseline at the model's latent size. k is capped
    by the rows and columns, as aecore.baseline.pca_test_mse caps it. Slow-ish on big data: cache it."""
    a = np.asarray(X_train, dtype=np.float32).reshape(len(X_train), -1)
    k = max(1, min(int(k), a.shape[0], a.shape[1]))
    return PCA(n_components=k, random_state=seed).fit(a)


def _row_mse(a: np.ndarray, clean: np.ndarray) -> np.ndarray:
    """Per-row mean squared error over every value of a row, in float64: (n, ...) -> (n,)."""
    diff = a.astype(np.float64) - clean.astype(np.float64)
    return (diff**2).reshape(len(clean), -1).mean(1)


def _gain(noisy_mse: np.ndarray, out_mse: np.ndarray) -> float:
    """Share of the noise's error removed: 1 = back to clean, 0 = no better than the noisy input, < 0 worse."""
    noise = float(np.mean(noisy_mse))
    return 0.0 if noise == 0.0 else 1.0 - float(np.mean(out_mse)) / noise


def _removes(gain: float, short: bool = False) -> str:
    """'removes 62% of the noise's error', or 'adds 10% to the noise's error' when the output is further
    from clean than the noisy input; short: 'removes 62%' / 'adds 10%' (for PCA, beside the model's)."""
    said = f"removes {gain:.0%}" if gain >= 0 else f"adds {-gain:.0%}"
    if short:
        return said
    return said + (" of the noise's error" if gain >= 0 else " to the noise's error")


@dataclass(frozen=True, eq=False)  # eq=False: arrays have no single truth value to compare by
class DenoiseResult:
    """Clean rows, their noisy copies and the model's reconstructions of the noisy copies, each measured
    against the clean rows. Arrays are (n, *shape); errors are (n,) float64, MSE per row."""
    clean: np.ndarray
    noisy: np.ndarray
    denoised: np.ndarray
    noisy_mse: np.ndarray            # the noise's own error: noisy vs clean
    denoised_mse: np.ndarray         # the model's output for the noisy rows vs clean
    pca_mse: np.ndarray | None = None  # PCA-k's reconstruction of the noisy rows vs clean; None without a PCA
    kind: str = "gaussian"
    level: float = 0.0
    pca_k: int | None = None         # PCA's number of components (the model's latent size, capped)

    @property
    def gain(self) -> float:
        """1 - mean(denoised_mse) / mean(noisy_mse): the share of the noise's error the model removes
        (negative when its output is further from clean than the noisy input); 0.0 when there is no noise."""
        return _gain(self.noisy_mse, self.denoised_mse)

    @property
    def pca_gain(self) -> float | None:
        return None if self.pca_mse is None else _gain(self.noisy_mse, self.pca_mse)

    def summary(self) -> str:
        """One sentence for a person: what was measured, how much noise the model removes, beside PCA."""
        n = len(self.clean)
        unit = ("image" if self.clean.ndim == 4 else "row") + ("" if n == 1 else "s")
        where = f"On {n:,} {unit} with {self.kind} noise {self.level:.2f}"
        if float(np.mean(self.noisy_mse)) == 0.0:
            return f"{where}: the noise changed nothing, so there is nothing to remove."
        pca = self.pca_gain
        beside = "" if pca is None else f" (PCA-{self.pca_k} {_removes(pca, short=True)})"
        if self.gain < 0:
            verdict = "its output is further from the clean input than the noisy input is"
            if pca is not None and pca > self.gain:
                verdict += ", and PCA does better"
        elif pca is None:
            verdict = "it denoises" if self.gain > 0 else "it does not denoise"
        elif self.gain > pca:
            verdict = "it denoises better than PCA"
        else:
            verdict = "it denoises no better than PCA"
        return f"{where}: the model {_removes(self.gain)}{beside}: {verdict}."


def denoise(model, X: np.ndarray, kind: str, level: float, seed: int = 0, pca: PCA | None = None) -> DenoiseResult:
    """Corrupt X (rows in the model's feature space: Dataset.X, or the Dataset), reconstruct the noisy
    copies with the fitted model, and measure both against X. With `pca` (fit_pca on the training
    rows), PCA's reconstruction of the same noisy rows is measured too.

    Pixel models (output "clip" or "sigmoid") get pixel noise: gaussian noise clipped to [0, 1], as
    their denoising objective trains with; PCA's reconstruction is clipped to [0, 1] as well, since the
    model's output is, so neither side is charged for values no image can have."""
    config = getattr(model, "config_", None)
    if config is None:
        raise ConfigError("This Autoencoder is not trained yet: call fit(X) first (or load a bundle).")
    pixels = config.output in PIXEL_OUTPUTS
    clean = as_array(X)
    noisy = corrupt(clean, kind, level, seed, pixels)
    denoised = model.reconstruct(noisy)                     # (n, *shape)
    pca_mse = pca_k = None
    if pca is not None:
        flat = noisy.reshape(len(noisy), -1)                # PCA works on flattened rows: (n, features)
        if pca.n_features_in_ != flat.shape[1]:
            raise DataError(f"The PCA was fitted on rows of {pca.n_features_in_} values; these have "
                            f"{flat.shape[1]}. Fit it on this model's training rows (fit_pca).")
        rebuilt = pca.inverse_transform(pca.transform(flat)).reshape(clean.shape)
        if pixels:
            rebuilt = np.clip(rebuilt, 0.0, 1.0)
        pca_mse, pca_k = _row_mse(rebuilt, clean), int(pca.n_components_)
    return DenoiseResult(clean, noisy, denoised, _row_mse(noisy, clean), _row_mse(denoised, clean), pca_mse,
                         kind, _check_level(level), pca_k)


def sample_rows(n: int, size: int = DEFAULT_SAMPLE, seed: int = 0) -> np.ndarray:
    """Sorted indices of `size` rows out of n, drawn without replacement; every row when n <= size."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))
