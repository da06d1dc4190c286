"""`Autoencoder`: the scikit-learn estimator the UI, CLI and benchmarks use.

__init__ only stores parameters (scikit-learn's BaseEstimator reads them from its signature for
get_params, set_params, clone and repr); `fit` validates once, builds the network, splits the rows
into train / validation (early stopping) / test (the honest figure), and trains; learned state ends in `_`."""
from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin

from .dataset import Dataset
from .distributed import Context
from .errors import ConfigError, DataError, check_choice
from .models import (
    BACKBONES,
    ModelConfig,
    Network,
    Variational,
    build_network,
    parse_model,
    resolve_model,
    starts_at_pca,
)
from .networks import RECONS, init_weights
from .training import PRECISIONS, EpochReport, TrainSettings, batched, check_precision, train

DEFAULT_STEPS = 4000     # optimizer steps the default epoch count aims at (see default_epochs)
MIN_EPOCHS, MAX_EPOCHS = 20, 400
MAX_LATENT = 1024        # a code wider than this is no longer a compression of anything we load
MAX_DEFAULT_LATENT = 8   # the automatic latent size's ceiling: enough to beat PCA-8 on MNIST, small enough to map
MAX_LR = 10.0            # beyond this Adam only diverges; the UI offers 1e-4 to 1e-2
MIN_ROWS_TO_HOLD_OUT = 20  # below this every row trains: a held-out row or two measures nothing
# Validation rows (early stopping's, scored after every epoch) at most: enough to rank epochs; at a million
# rows the 10% share would cost about 5 s an epoch (the rest of the share trains)
MAX_VALIDATION_ROWS = 20_000
RECON_CHOICES = ("auto", *RECONS)
PARALLEL_ANGLE = 1e-6  # radians: codes this close in direction are walked in a straight line (slerp's 0/0)
DEVICES = ("auto", "cpu", "cuda")  # the device choices (CLI, app): auto is the GPU when PyTorch sees one


def default_latent(n_features: int) -> int:
    """The latent size when none is given: about a quarter of the features, at least 2 (a 2-D map of the
    codes themselves; 1 for 3 features or fewer) and at most 8, so the code is always below the input and
    the first map is a real compression (iris' 4 features get 2, a 9-feature table 2, wine's 13 get 3,
    64-pixel digits and 784-pixel MNIST get 8)."""
    return int(min(MAX_DEFAULT_LATENT, max(2 if n_features >= 4 else 1, n_features // 4)))


def default_epochs(n_train: int, batch_size: int) -> int:
    """Enough epochs for about DEFAULT_STEPS optimizer steps, within [MIN_EPOCHS, MAX_EPOCHS]:
    small data gets many cheap epochs, large data fewer; early stopping ends either when it stalls."""
    steps_per_epoch = max(1, math.ceil(n_train / batch_size))
    return int(min(MAX_EPOCHS, max(MIN_EPOCHS, math.ceil(DEFAULT_STEPS / steps_per_epoch))))


def as_array(X) -> np.ndarray:
    """Dataset or array -> float32 array (n, d) or (n, C, H, W). Validated once, here."""
    arr = X.X if isinstance(X, Dataset) else X
    try:
        arr = np.asarray(arr, dtype=np.float32)
    except (TypeError, ValueError):
        raise DataError("The data must be numbers: a Dataset, or an array of shape (n, d), (n, H, W) or "
                        "(n, C, H, W).") from None
    if arr.ndim == 3:
        arr = arr[:, None]
    if arr.ndim not in (2, 4):
        raise DataError(f"Expected an array of shape (n, d), (n, H, W) or (n, C, H, W); got shape {arr.shape}.")
    with np.errstate(invalid="ignore"):  # inf - inf: a NaN sum, which is the answer wanted here
        finite = np.isfinite(np.sum(arr, dtype=np.float64))  # iff every value is: float32s cannot overflow it
    if not finite:
        raise DataError("The data contains NaN or infinite values. Load it through load_table/load_images, "
                        "which impute them, or clean them first.")
    return arr


def set_threads(n: int | None = None) -> int:
    """PyTorch's intra-op threads for the whole process (all cores by default). A process-wide setting:
    call it once at start-up (the CLI, the app, a script), never per fit, or concurrent fits would change
    each other's. Returns the number set."""
    n = int(n or os.cpu_count() or 1)
    if n < 1:
        raise ConfigError(f"threads must be at least 1; got {n}.")
    torch.set_num_threads(n)
    return n


def pick_device(device: str) -> torch.device:
    """A DEVICES choice -> the torch device. 'cuda' without a GPU PyTorch can use is a ConfigError."""
    check_choice("device", device, DEVICES)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        build = ("built without CUDA" if torch.version.cuda is None
                 else f"built for CUDA {torch.version.cuda}, but no GPU or driver was found")
        raise ConfigError(f"device 'cuda' was asked for, but PyTorch sees no GPU here (torch {torch.__version__}, "
                          f"{build}). Use device 'auto' or 'cpu'.")
    return torch.device(device)


def is_whole(value, low: int = 1) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= low


class Autoencoder(TransformerMixin, BaseEstimator):
    """An autoencoder as a transformer: fit, transform (encode), inverse_transform (decode).

    model: a name from aecore.models.model_names() ("dense", "conv", "denoising", "sparse", "vae",
    "conv-vae", ...). latent_dim: None picks default_latent() for the data width. epochs: None picks
    default_epochs() for the data size. hidden: dense widths or conv channels (None: the backbone's
    default_hidden). recon: "auto" uses MSE, except for images
    (pixels in [0, 1]) on a model that cannot start at PCA (a VAE, or pca_init=False), which get a
    sigmoid output with binary cross-entropy; "bce" asks for that on any image model. pca_init: every
    model with a point code starts as PCA (its linear paths set to PCA's components), so training
    refines PCA instead of racing it. device: one of DEVICES ("auto": the GPU when PyTorch sees one).
    precision: "fp32" (default) or mixed precision on a GPU, "bf16" or "fp16" (aecore.training.PRECISIONS)."""

    def __init__(self, model: str = "dense", latent_dim: int | None = None, epochs: int | None = None,
                 batch_size: int = 128, lr: float = 1e-3, hidden: list[int] | None = None,
                 validation: float = 0.1, test: float = 0.1, patience: int = 20, seed: int = 0,
                 noise: str = "gaussian", noise_level: float = 0.2, sparsity: float = 1e-3, beta: float = 1.0,
                 recon: str = "auto", weight_decay: float = 0.0, max_seconds: float | None = None,
                 pca_init: bool = True, device: str = "auto", precision: str = "fp32"):
        self.model = model
        self.latent_dim = latent_dim
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.hidden = hidden
        self.validation = validation
        self.test = test
        self.patience = patience
        self.seed = seed
        self.noise = noise
        self.noise_level = noise_level
        self.sparsity = sparsity
        self.beta = beta
        self.recon = recon
        self.weight_decay = weight_decay
        self.max_seconds = max_seconds
        self.pca_init = pca_init
        self.device = device
        self.precision = precision

    # -- validation: every parameter rule, once ------------------------------------------------------
    def _check_params(self) -> None:
        """The parameters' own rules. Choices that belong to the network (noise, output) are checked
        where the network's config is made (ModelConfig), model names by the registry (parse_model)."""
        parse_model(self.model)
        if self.latent_dim is not None and (not is_whole(self.latent_dim) or self.latent_dim > MAX_LATENT):
            raise ConfigError(f"latent_dim must be a whole number from 1 to {MAX_LATENT} (or None for the default); "
                              f"got {self.latent_dim!r}.")
        if self.epochs is not None and not is_whole(self.epochs):
            raise ConfigError(f"epochs must be a positive whole number (or None for the default); got {self.epochs!r}.")
        if not is_whole(self.batch_size):
            raise ConfigError(f"batch_size must be a positive whole number; got {self.batch_size!r}.")
        if not (isinstance(self.lr, (int, float)) and 0 < self.lr < MAX_LR):
            raise ConfigError(f"lr (learning rate) must be a number between 0 and {MAX_LR:g}; got {self.lr!r}.")
        for name in ("validation", "test"):
            if not 0 <= getattr(self, name) < 0.5:
                raise ConfigError(f"{name} is the share of rows held out; it must be in [0, 0.5). "
                                  f"Got {getattr(self, name)!r}.")
        check_choice("recon", self.recon, RECON_CHOICES)
        check_choice("device", self.device, DEVICES)
        check_choice("precision", self.precision, PRECISIONS)

    def _config(self, X: np.ndarray) -> ModelConfig:
        is_image = X.ndim == 4
        backbone, objective = resolve_model(self.model, "image" if is_image else "table")
        pixels = is_image and bool(X.min() >= 0.0 and X.max() <= 1.0)
        if self.recon == "bce" and not pixels:
            raise ConfigError("recon='bce' needs images with pixel values in [0, 1]; use 'mse' for tables.")
        output, recon = self._output(pixels, backbone, objective)
        n_features = int(np.prod(X.shape[1:]))
        latent = default_latent(n_features) if self.latent_dim is None else int(self.latent_dim)
        hidden = list(self.hidden) if self.hidden else BACKBONES[backbone].module.default_hidden(n_features)
        return ModelConfig(backbone, objective, list(X.shape[1:]), latent, hidden, output, recon,
                           self.noise, float(self.noise_level), float(self.sparsity), float(self.beta))

    def _output(self, pixels: bool, backbone: str, objective: str) -> tuple[str, str]:
        """(output, recon). Tables: linear with MSE. Pixels: a model that starts at PCA keeps PCA's
        linear output, learned with MSE and clipped to [0, 1] when decoding (on digits and MNIST it
        beats the sigmoid with BCE at most latent sizes and stops in a fraction of the epochs:
        BENCHMARKS.md); VAEs, which cannot start at PCA, use the sigmoid with BCE."""
        if not pixels:
            return "linear", "mse"
        clip = ModelConfig(backbone, objective, [1], 1, output="clip")
        if self.recon != "bce" and self.pca_init and starts_at_pca(clip):
            return "clip", "mse"
        return "sigmoid", ("mse" if self.recon == "mse" else "bce")

    def _split(self, n: int) -> dict:
        """Seeded train / validation / test rows: `test` and `validation` shares of the rows (validation at
        most MAX_VALIDATION_ROWS). Small data (< MIN_ROWS_TO_HOLD_OUT rows) trains on all."""
        rng = np.random.default_rng(self.seed)
        perm = rng.permutation(n)
        hold_out = n >= MIN_ROWS_TO_HOLD_OUT
        n_test = int(round(self.test * n)) if hold_out else 0
        n_val = min(int(round(self.validation * n)), MAX_VALIDATION_ROWS) if hold_out else 0
        return {"test": np.sort(perm[:n_test]), "val": np.sort(perm[n_test:n_test + n_val]),
                "train": np.sort(perm[n_test + n_val:])}

    # -- fit / transform -------------------------------------------------------------------------
    def fit(self, X, y=None, callback: Callable[[EpochReport], None] | None = None,
            cancel: threading.Event | None = None, dist: Context | None = None) -> Autoencoder:
        """Train on X (a Dataset or array). callback(EpochReport) hears every epoch; setting `cancel`
        stops within one batch and keeps the best weights so far. Divergence keeps the last good weights
        and is reported in result_ (status 'diverged'), not raised. The data stays on the CPU; batches
        move to the device as they are used.

        dist: this process's part of a torchrun run (aecore.distributed.start), whose device it trains
        on; every rank fits the same data with the same parameters and ends with the same model."""
        self._check_params()
        arr = as_array(X)
        if len(arr) < 2:
            raise DataError(f"An autoencoder needs at least 2 rows to train; got {len(arr)}.")
        self.device_ = pick_device(self.device) if dist is None else dist.device
        check_precision(self.precision, self.device_)
        self.config_ = self._config(arr)
        self.network_ = self._new_network()
        self.split_ = self._split(len(arr))
        self.input_shape_ = tuple(arr.shape[1:])
        X_all = torch.from_numpy(arr)
        train_rows = torch.from_numpy(self.split_["train"])  # batches gather from X_all: no copy of the rows
        X_val = X_all[torch.from_numpy(self.split_["val"])] if len(self.split_["val"]) else None
        at_pca = self.pca_init and self.network_.start_at_pca(X_all, train_rows)
        epochs = self.epochs or default_epochs(len(train_rows), self.batch_size)
        settings = TrainSettings(epochs, self.batch_size, float(self.lr), float(self.weight_decay), self.patience,
                                 self.max_seconds, self.seed, self.precision, "PCA's solution" if at_pca else "")
        self.history_, self.result_ = train(self.network_, X_all, X_val, settings, callback, cancel, dist,
                                            train_rows=train_rows)
        return self

    def _new_network(self) -> Network:
        """The network, its starting weights drawn from a generator seeded with `seed` (nothing
        process-wide): built without memory on the meta device, then given real, seeded weights."""
        with torch.device("meta"):
            net = build_network(self.config_)
        net = init_weights(net.to_empty(device="cpu"), torch.Generator().manual_seed(self.seed))
        return net.to(self.device_)

    def _check_fitted(self) -> Network:
        if not hasattr(self, "network_"):
            raise ConfigError("This Autoencoder is not trained yet: call fit(X) first (or load a bundle).")
        return self.network_

    def _tensor(self, X) -> torch.Tensor:
        arr = as_array(X)
        if tuple(arr.shape[1:]) != tuple(self.input_shape_):
            raise DataError(f"The model expects rows of shape {tuple(self.input_shape_)}; got {tuple(arr.shape[1:])}. "
                            "Use data prepared the same way as the training data.")
        return torch.from_numpy(arr)  # stays on the CPU: batched moves it a chunk at a time

    def transform(self, X) -> np.ndarray:
        """Encode: (n, *shape) -> (n, latent_dim). A VAE gives the posterior mean."""
        net = self._check_fitted()
        return batched(net.encode, self._tensor(X), device=self.device_).numpy()

    def inverse_transform(self, Z) -> np.ndarray:
        """Decode: (n, latent_dim) -> (n, *shape), in the model's feature space. One code of shape
        (latent_dim,) decodes as one row."""
        net = self._check_fitted()
        latent = self.config_.latent_dim
        try:
            Z = np.asarray(Z, dtype=np.float32)
        except (TypeError, ValueError):
            raise DataError(f"Codes must be numbers of shape (n, {latent}).") from None
        if Z.ndim not in (1, 2) or Z.shape[-1] != latent:  # never reshape a wrong width into more rows
            raise DataError(f"Codes must have shape (n, {latent}) or ({latent},) for this model; got {Z.shape}.")
        Z = Z.reshape(-1, latent)
        return batched(net.decode, torch.from_numpy(Z), device=self.device_).numpy()

    def reconstruct(self, X) -> np.ndarray:
        net = self._check_fitted()
        return batched(lambda x: net.decode(net.encode(x)), self._tensor(X), device=self.device_).numpy()

    def reconstruction_error(self, X) -> np.ndarray:
        """Mean squared error per row, over all features: the anomaly score."""
        net = self._check_fitted()
        err = batched(lambda x: ((net.decode(net.encode(x)) - x) ** 2).flatten(1).mean(1), self._tensor(X),
                      device=self.device_)
        return err.numpy().astype(np.float64)

    # -- VAE extras ------------------------------------------------------------------------------
    def _vae(self) -> Variational:
        net = self._check_fitted()
        if not isinstance(net, Variational):
            raise ConfigError(f"Sampling and KL need a variational model; this one is '{self.model}'.")
        return net

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """Decode n codes drawn from the prior N(0, I): (n, *shape)."""
        self._vae()
        rng = np.random.default_rng(seed)
        return self.inverse_transform(rng.standard_normal((n, self.config_.latent_dim)).astype(np.float32))

    def kl_per_dim(self, X) -> np.ndarray:
        """Mean KL divergence of each latent dimension over X (nats): near 0 means an unused dimension."""
        net = self._vae()
        return batched(net.kl_per_dim, self._tensor(X), device=self.device_).mean(0).numpy().astype(np.float64)

    @property
    def is_variational(self) -> bool:
        return isinstance(self._check_fitted(), Variational)

    def same_model(self, other: Autoencoder) -> bool:
        """Whether `other` is this very model: the same configuration and the same weights (a bundle of a
        model loaded back beside it)."""
        if self.config_ != other.config_:
            return False
        mine, theirs = self._check_fitted().state_dict(), other._check_fitted().state_dict()
        return mine.keys() == theirs.keys() and all(torch.equal(mine[k].cpu(), theirs[k].cpu()) for k in mine)


def warm_up() -> None:
    """Pay PyTorch's one-off costs (the optimizer imports torch._dynamo, ~3 s; first backward pass) with
    a tiny fit, so the first real training run's pace is its own."""
    Autoencoder(latent_dim=2, hidden=[4], epochs=1, validation=0.0, test=0.0).fit(np.zeros((8, 4), np.float32))


def interpolate(z_a, z_b, steps: int = 8, spherical: bool = False) -> np.ndarray:
    """Codes from z_a to z_b inclusive: (steps, latent). Spherical (slerp) suits a VAE's Gaussian prior,
    where straight lines pass through the low-density centre."""
    a, b = np.asarray(z_a, dtype=np.float64).ravel(), np.asarray(z_b, dtype=np.float64).ravel()
    t = np.linspace(0.0, 1.0, steps)[:, None]
    if spherical:
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        if na > 0 and nb > 0:
            omega = np.arccos(np.clip(a @ b / (na * nb), -1.0, 1.0))
            if omega > PARALLEL_ANGLE:
                so = np.sin(omega)
                return (np.sin((1 - t) * omega) / so * a + np.sin(t * omega) / so * b).astype(np.float32)
    return ((1 - t) * a + t * b).astype(np.float32)
