"""Latent traversals: start from one code, vary one latent dimension at a time across its observed range
and decode every step, to see what each dimension controls. Also which dimensions are worth varying
(a VAE's KL per dimension, otherwise the spread of the codes), and for tables which features each
dimension moves.

Per click the work is one batched decode of len(dims) x steps codes; the ranges and the order are
computed once per model."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .dataset import Dataset, TablePreprocessor
from .errors import ConfigError
from .estimator import Autoencoder

# The observed range of a dimension is between these percentiles of its codes, so one outlying row
# does not stretch the traversal into space no data occupies.
LOW_PCT, HIGH_PCT = 1.0, 99.0
# A VAE dimension whose mean KL from the prior is below this many nats carries almost no information
# about the input: the encoder leaves it at the prior, and the decoder learns to ignore it.
UNUSED_KL = 0.01
KL_SAMPLE_ROWS = 5000  # rows enough to average the KL per dimension; larger samples are subsampled (seeded)
DEFAULT_STEPS = 7      # odd, so the middle step is the centre of the range


def dim_name(d: int) -> str:
    """A latent dimension's name, as in the exported codes (z0..zN)."""
    return f"z{d}"


def latent_ranges(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension (lo, hi), each (latent,) float64: the LOW_PCT and HIGH_PCT percentiles of the codes."""
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or len(codes) == 0:
        raise ConfigError(f"Latent ranges need codes of shape (n, latent) with n >= 1; got {codes.shape}.")
    lo, hi = np.percentile(codes, [LOW_PCT, HIGH_PCT], axis=0)
    return lo, hi


@dataclass(frozen=True)
class DimensionOrder:
    """Latent dimensions from most to least informative."""
    order: np.ndarray   # (latent,) int64: dimension ids, most informative first
    score: np.ndarray   # (latent,) float64: each dimension's score, in the original dimension order
    kind: str           # what score is: "KL (nats)" for a VAE, "code std" otherwise
    unused: np.ndarray  # (latent,) bool: a VAE dimension with KL below UNUSED_KL; all False otherwise


def dimension_order(model: Autoencoder, X_sample, codes: np.ndarray) -> DimensionOrder:
    """Rank the latent dimensions. A VAE: by mean KL from the prior over X_sample (a Dataset or array;
    more than KL_SAMPLE_ROWS rows are subsampled), which is how much each dimension tells about the input.
    Other models have no prior to compare with: by the standard deviation of each dimension of `codes`."""
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2:
        raise ConfigError(f"Codes must have shape (n, latent); got {codes.shape}.")
    if model.is_variational:
        X = X_sample.X if isinstance(X_sample, Dataset) else np.asarray(X_sample)
        if len(X) > KL_SAMPLE_ROWS:
            X = X[np.sort(np.random.default_rng(0).choice(len(X), KL_SAMPLE_ROWS, replace=False))]
        score = np.asarray(model.kl_per_dim(X), dtype=np.float64)
        kind, unused = "KL (nats)", score < UNUSED_KL
    else:
        score = codes.std(0)
        kind, unused = "code std", np.zeros(len(score), dtype=bool)
    order = np.argsort(-score, kind="stable").astype(np.int64)
    return DimensionOrder(order, score, kind, unused)


@dataclass(frozen=True)
class Traversal:
    """Decoded steps along each traversed dimension, every other dimension held at the start code."""
    dims: list[int]       # the traversed dimensions, in the order asked
    values: np.ndarray    # (len(dims), steps) float32: the value each step gives its dimension
    decoded: np.ndarray   # (len(dims), steps, *shape): decoded rows, in the model's feature space

    @property
    def steps(self) -> int:
        return self.values.shape[1]


def traverse(model: Autoencoder, code: np.ndarray, dims: list[int], lo: np.ndarray, hi: np.ndarray,
             steps: int = DEFAULT_STEPS) -> Traversal:
    """For each dimension d in dims, `steps` evenly spaced values from lo[d] to hi[d] with every other
    dimension kept at `code`'s value; all len(dims) x steps codes decode in one batched call."""
    code = np.asarray(code, dtype=np.float32).ravel()  # the model checks its width when decoding
    latent = len(code)
    lo, hi = np.asarray(lo, dtype=np.float64).ravel(), np.asarray(hi, dtype=np.float64).ravel()
    if lo.shape != (latent,) or hi.shape != (latent,):
        raise ConfigError(f"A traversal needs a code and its lo and hi ranges with one value per latent "
                          f"dimension; got {latent}, {lo.shape[0]} and {hi.shape[0]} values.")
    dims = [int(d) for d in dims]
    if not dims:
        raise ConfigError("Choose at least one latent dimension to vary.")
    bad = [d for d in dims if not 0 <= d < latent]
    if bad:
        raise ConfigError(f"Latent dimension(s) {', '.join(map(str, bad))} do not exist: this model's are "
                          f"0 to {latent - 1}.")
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 2:
        raise ConfigError(f"A traversal needs a whole number of at least 2 steps; got {steps!r}.")
    values = np.linspace(lo[dims], hi[dims], steps, axis=1).astype(np.float32)  # (len(dims), steps)
    Z = np.broadcast_to(code, (len(dims), steps, latent)).copy()               # (len(dims), steps, latent)
    Z[np.arange(len(dims)), :, dims] = values
    decoded = model.inverse_transform(Z.reshape(-1, latent))                    # (len(dims) * steps, *shape)
    return Traversal(dims, values, decoded.reshape(len(dims), steps, *decoded.shape[1:]))


def _table(preprocessor) -> TablePreprocessor:
    if not isinstance(preprocessor, TablePreprocessor):
        raise ConfigError("Feature responses are for tables: for images, look at the decoded images themselves.")
    return preprocessor


def feature_response(traversal: Traversal, dim_index: int, preprocessor) -> pd.DataFrame:
    """One row per step of traversal.dims[dim_index]: the value given to that dimension (column "z<d>"),
    then each numeric feature decoded to original units and each categorical feature as its decoded
    category (the columns are the table's own names)."""
    pre = _table(preprocessor)
    if not 0 <= dim_index < len(traversal.dims):
        raise ConfigError(f"This traversal has {len(traversal.dims)} dimension(s); dim_index {dim_index} is "
                          "not one of them (it counts positions in traversal.dims).")
    decoded = pre.inverse_transform(traversal.decoded[dim_index])  # (steps, columns + one "(p)" per category)
    out = decoded[pre.columns].copy()
    out.insert(0, dim_name(traversal.dims[dim_index]), traversal.values[dim_index].astype(np.float64))
    return out


def sensitivity(traversal: Traversal, preprocessor) -> pd.DataFrame:
    """Which dimension moves which feature: rows "z<d>" (the traversed dimensions), columns the numeric
    features, each cell the range (max - min) of the decoded standardised feature over the steps. A
    range of 1.0 is one standard deviation of that feature in the data."""
    pre = _table(preprocessor)
    numeric = traversal.decoded[:, :, : len(pre.numeric)].astype(np.float64)  # (dims, steps, numeric)
    spread = numeric.max(axis=1) - numeric.min(axis=1)                         # (dims, numeric)
    index = pd.Index([dim_name(d) for d in traversal.dims], name="dimension")
    return pd.DataFrame(spread, index=index, columns=[c.name for c in pre.numeric])
