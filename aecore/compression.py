"""What does the code cost, and what does it lose? The latent code seen as compression.

`code_cost`: bytes of one input row as stored beside bytes of its code (float32, or 8-bit quantised).
`Quantizer`: 8-bit per-dimension quantisation of codes. `row_loss`: one row's reconstruction error
through float32 and through 8-bit codes (with PSNR for images). `sweep`: held-out reconstruction error
against latent size, the autoencoder beside PCA, for the curve the app draws as points arrive."""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .baseline import pca_test_mse
from .errors import ConfigError, DataError, check_choice
from .estimator import Autoencoder, as_array, is_whole
from .models import DATA_KINDS

PIXEL_BYTES = 1        # an image as stored: 8-bit pixels, one byte per channel value
FEATURE_BYTES = 4      # a table row as the model reads it: float32 features (after one-hot encoding)
FLOAT32_BYTES = 4      # a code value as the model gives it
UINT8_BYTES = 1        # a code value after Quantizer.encode
LEVELS = 255           # the largest uint8: codes map onto 0..255

SWEEP_LATENTS = (2, 4, 8, 16, 32, 64)  # doubling sizes: the curve's shape shows on a log axis in few fits
SWEEP_TEST_SHARE = 0.2   # rows the sweep holds out to measure on
SWEEP_VALIDATION = 0.1   # of the training rows, for early stopping (as the estimator's default)
MIN_ROWS_TO_SPLIT = 10   # below this the sweep measures on its training rows: 1 held-out row measures nothing
# The keyword arguments sweep() sets itself; base_params may not override them.
SWEEP_OWN_PARAMS = ("latent_dim", "max_seconds", "seed", "validation", "test")


# -- what the code costs ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CodeCost:
    """Bytes per row: the input as stored beside its code as float32 and as 8-bit values."""
    input_bytes: int
    float32_bytes: int
    uint8_bytes: int

    @property
    def ratio_float32(self) -> float:
        """How many times smaller the float32 code is than the input."""
        return self.input_bytes / self.float32_bytes

    @property
    def ratio_uint8(self) -> float:
        return self.input_bytes / self.uint8_bytes


def code_cost(input_shape: tuple[int, ...], latent_dim: int, kind: str) -> CodeCost:
    """Bytes of one row of `input_shape` ((C, H, W) for images, (d,) for tables) and of its code.

    Images count as stored on disk, 1 byte per pixel value (8-bit; C*H*W bytes), not as the float32
    the model reads: comparing with float32 pixels would flatter the code 4x. Tables count 4 bytes per
    feature, the float32 the model reads (a one-hot category counts as its block of features)."""
    check_choice("data kind", kind, DATA_KINDS)
    if not input_shape or not all(is_whole(s) for s in input_shape):
        raise ConfigError(f"The input shape must be positive whole numbers; got {tuple(input_shape)!r}.")
    if not is_whole(latent_dim):
        raise ConfigError(f"The latent size must be a positive whole number; got {latent_dim!r}.")
    per_value = PIXEL_BYTES if kind == "image" else FEATURE_BYTES
    return CodeCost(per_value * math.prod(input_shape), FLOAT32_BYTES * latent_dim, UINT8_BYTES * latent_dim)


# -- 8-bit codes -----------------------------------------------------------------------------------
class Quantizer:
    """8-bit quantisation of codes, each dimension on its own range: the dimension's min..max over the
    codes it was fitted on, in LEVELS equal steps. Codes outside that range are clipped to it.

    Per-dataset overhead: the decoder needs each dimension's min and max, 2 float32 per dimension
    (8 * latent bytes) stored once for the whole dataset, not per row; `overhead_bytes` says how many."""

    def __init__(self, low: np.ndarray, high: np.ndarray):
        self.low = np.asarray(low, dtype=np.float32)    # (latent,)
        self.high = np.asarray(high, dtype=np.float32)  # (latent,)

    @classmethod
    def fit(cls, codes: np.ndarray) -> Quantizer:
        """Per-dimension min and max of codes (n, latent)."""
        codes = cls._as_codes(codes)
        if len(codes) == 0:
            raise DataError("The quantiser needs at least one code to learn each dimension's range.")
        return cls(codes.min(0), codes.max(0))

    @staticmethod
    def _as_codes(codes) -> np.ndarray:
        codes = np.asarray(codes, dtype=np.float32)
        if codes.ndim != 2:
            raise DataError(f"Codes must have shape (n, latent); got {codes.shape}.")
        if not np.isfinite(codes).all():
            raise DataError("The codes contain NaN or infinite values; the model that made them has diverged.")
        return codes

    @property
    def step(self) -> np.ndarray:
        """(latent,) float64: one quantisation step per dimension; 0 for a constant dimension."""
        return (self.high.astype(np.float64) - self.low) / LEVELS

    @property
    def overhead_bytes(self) -> int:
        return 2 * FLOAT32_BYTES * len(self.low)

    def _checked(self, codes) -> np.ndarray:
        codes = self._as_codes(codes)
        if codes.shape[1] != len(self.low):
            raise DataError(f"This quantiser was fitted on codes of {len(self.low)} dimensions; got {codes.shape[1]}.")
        return codes

    def encode(self, codes: np.ndarray) -> np.ndarray:
        """Codes (n, latent) -> uint8 (n, latent), each value the nearest of the dimension's steps."""
        codes = self._checked(codes).astype(np.float64)
        step = self.step
        safe = np.where(step > 0, step, 1.0)  # a constant dimension: every value is its min, level 0
        q = np.rint((np.clip(codes, self.low, self.high) - self.low) / safe)
        return np.clip(q, 0, LEVELS).astype(np.uint8)

    def decode(self, q: np.ndarray) -> np.ndarray:
        """uint8 (n, latent) -> float32 codes (n, latent); within half a step of the encoded codes."""
        q = np.asarray(q)
        if q.ndim != 2 or q.shape[1] != len(self.low):
            raise DataError(f"Quantised codes must have shape (n, {len(self.low)}); got {q.shape}.")
        return (self.low + q.astype(np.float64) * self.step).astype(np.float32)


def psnr(mse: float | np.ndarray, peak: float = 1.0) -> float | np.ndarray:
    """Peak signal-to-noise ratio in dB for images with values in [0, peak]: 10 log10(peak^2 / mse).
    inf for a perfect reconstruction (mse 0). Higher is better; about 20 dB is a visibly rough copy."""
    mse = np.asarray(mse, dtype=np.float64)
    with np.errstate(divide="ignore"):
        db = np.where(mse > 0, 10.0 * np.log10(peak**2 / np.where(mse > 0, mse, 1.0)), np.inf)
    return float(db) if db.ndim == 0 else db


# -- what one row loses ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RowLoss:
    """One row's reconstruction error (MSE per value) through its float32 code and its 8-bit code;
    PSNR in dB for images, None for tables (their features have no peak value)."""
    mse_float32: float
    mse_uint8: float
    psnr_float32: float | None = None
    psnr_uint8: float | None = None


def row_loss(model, x: np.ndarray, quantizer: Quantizer, kind: str) -> RowLoss:
    """Reconstruct one row x (1, *shape) through its float32 code and through its code quantised to
    8 bits by `quantizer` (fitted on the dataset's codes), and measure both against x."""
    check_choice("data kind", kind, DATA_KINDS)
    x = as_array(x)
    if len(x) != 1:
        raise DataError(f"row_loss measures one row, of shape (1, ...); got {len(x)} rows.")
    codes = model.transform(x)                                        # (1, latent) float32
    exact = model.inverse_transform(codes)                            # (1, *shape)
    coarse = model.inverse_transform(quantizer.decode(quantizer.encode(codes)))
    mse_f = float(((exact.astype(np.float64) - x) ** 2).mean())
    mse_q = float(((coarse.astype(np.float64) - x) ** 2).mean())
    if kind == "image":
        return RowLoss(mse_f, mse_q, psnr(mse_f), psnr(mse_q))
    return RowLoss(mse_f, mse_q)


# -- error against latent size ---------------------------------------------------------------------
@dataclass(frozen=True)
class SweepPoint:
    """Held-out reconstruction MSE per value at one latent size. ae_mse is None where the latent size
    is at least the number of features (PCA is exact there: nothing to compress, nothing to train)."""
    latent_dim: int
    ae_mse: float | None
    pca_mse: float
    seconds: float   # wall time for this point: training and both measurements


def default_latents(n_features: int) -> list[int]:
    """The sweep's latent sizes for data of n_features: SWEEP_LATENTS below n_features, at least [1]."""
    return [k for k in SWEEP_LATENTS if k < n_features] or [1]


def _sweep_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded (train, test) row indices, SWEEP_TEST_SHARE held out (at least 1 row). Below
    MIN_ROWS_TO_SPLIT rows both are every row."""
    if n < MIN_ROWS_TO_SPLIT:
        rows = np.arange(n)
        return rows, rows
    perm = np.random.default_rng(seed).permutation(n)
    n_test = max(1, int(round(SWEEP_TEST_SHARE * n)))
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def sweep(X: np.ndarray, latents: list[int], seconds_each: float = 3.0, seed: int = 0,
          cancel: threading.Event | None = None, on_point: Callable[[SweepPoint], None] | None = None,
          base_params: dict | None = None) -> list[SweepPoint]:
    """Reconstruction error against latent size: for each k in `latents` (in the order given), train an
    Autoencoder(latent_dim=k, max_seconds=seconds_each, seed=seed, validation=0.1, test=0.0,
    **base_params) on the training rows and measure its mean MSE per value on the test rows, beside
    PCA-k's on the same rows.

    The test rows are a seeded SWEEP_TEST_SHARE (20%, at least 1 row) of X (a Dataset or an array).
    With fewer than MIN_ROWS_TO_SPLIT (10) rows, nothing is held out: both are measured on the rows they
    were fitted on, which flatters the autoencoder more than PCA. Latent sizes of at least the number
    of features are not trained (PCA is exact there): ae_mse is None, pca_mse as measured.

    `on_point` hears each point as it is made (the app runs this in a thread and draws the curve as
    points arrive). Setting `cancel` stops within one batch; the point being trained is dropped
    (it was not trained for its time) and the points so far are returned."""
    arr = as_array(X)
    if len(arr) < 2:
        raise DataError(f"The sweep needs at least 2 rows to train on; got {len(arr)}.")
    if not latents or not all(is_whole(k) for k in latents):
        raise ConfigError(f"Latent sizes must be a list of positive whole numbers; got {latents!r}.")
    if not (isinstance(seconds_each, (int, float)) and seconds_each > 0):
        raise ConfigError(f"seconds_each must be a positive number of seconds; got {seconds_each!r}.")
    params = dict(base_params or {})
    clash = sorted(set(params) & set(SWEEP_OWN_PARAMS))
    if clash:
        raise ConfigError(f"The sweep sets {', '.join(clash)} itself; leave them out of base_params.")
    train_rows, test_rows = _sweep_split(len(arr), seed)
    X_train, X_test = arr[train_rows], arr[test_rows]
    n_features = math.prod(arr.shape[1:])
    points: list[SweepPoint] = []
    for k in latents:
        if cancel is not None and cancel.is_set():
            break
        start = time.perf_counter()
        ae_mse = None
        if k < n_features:
            model = Autoencoder(latent_dim=int(k), max_seconds=seconds_each, seed=seed, validation=SWEEP_VALIDATION,
                                test=0.0, **params).fit(X_train, cancel=cancel)
            if cancel is not None and cancel.is_set():
                break
            ae_mse = float(model.reconstruction_error(X_test).mean())
        pca_mse = pca_test_mse(X_train, X_test, int(k), seed)
        point = SweepPoint(int(k), ae_mse, pca_mse, time.perf_counter() - start)
        points.append(point)
        if on_point is not None:
            on_point(point)
    return points
