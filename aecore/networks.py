"""The networks: a backbone (dense or conv) maps x -> code and code -> x_hat; an objective (a subclass
of `Network`) decides what the code is (a point, or a Gaussian for the VAE) and what is minimised.
Which names exist, what they are for and which data they fit is the registry's business (models.py).

Shapes: tables are (n, d), images (n, C, H, W); codes are (n, latent_dim)."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from itertools import pairwise

import torch
from torch import nn
from torch.nn import functional as F

from .errors import ConfigError, check_choice

OUTPUTS = ("linear", "clip", "sigmoid")
PIXEL_OUTPUTS = ("clip", "sigmoid")  # outputs for data in [0, 1]
LINEAR_OUTPUTS = ("linear", "clip")  # outputs PCA's linear reconstruction can be expressed in
RECONS = ("mse", "bce")
NOISES = ("gaussian", "masking")
# A VAE's log-variance is kept within +-LOGVAR_LIMIT: exp(12) ~ 1.6e5, so the variance and the KL term
# stay finite in float32 even when an early batch sends the encoder's output far out.
LOGVAR_LIMIT = 12.0


@dataclass
class ModelConfig:
    """Everything needed to rebuild a network: plain JSON types only (saved in bundles)."""
    backbone: str            # a registered backbone: "dense" | "conv"
    objective: str           # a registered objective: "plain" | "denoising" | "sparse" | "vae"
    input_shape: list[int]   # (d,) for tables, (C, H, W) for images
    latent_dim: int
    hidden: list[int] = field(default_factory=lambda: [512, 256])  # dense widths, or conv channels
    output: str = "linear"   # "linear" (tables) | "clip" (pixels: linear, clipped to [0, 1] when decoding)
    #                          | "sigmoid" (pixels, through a sigmoid)
    recon: str = "mse"       # reconstruction loss: "mse" | "bce" (sigmoid output only)
    noise: str = "gaussian"  # denoising: "gaussian" | "masking"
    noise_level: float = 0.2
    sparsity: float = 1e-3   # sparse: weight of the L1 penalty on the code
    beta: float = 1.0        # vae: weight of the KL term
    linear_skip: bool = True  # a linear path beside the MLP or conv stack in the encoder and decoder

    def __post_init__(self):
        """Backbone and objective are checked against the registries by build_network; the rest here."""
        check_choice("output", self.output, OUTPUTS)
        check_choice("recon", self.recon, RECONS)
        check_choice("noise", self.noise, NOISES)
        if self.recon == "bce" and self.output != "sigmoid":
            raise ConfigError("recon 'bce' needs the sigmoid output.")

    def to_json(self) -> dict:
        return asdict(self)


# The PCA start is fitted on at most PCA_START_ROWS training rows (a seeded sample), or PCA_START_SIDE rows
# when a row has more values than PCA_START_SIDE: either way the matrix it eigendecomposes is at most
# PCA_START_SIDE square, and the start costs about a second and a few hundred MB whatever the data's size
# (a full SVD of 400,000 MNIST rows took 90 s and 11 GB; BENCHMARKS.md section 2c).
PCA_START_ROWS = 20_000
PCA_START_SIDE = 1_024
PCA_START_SEED = 0
EIGEN_RTOL = 1e-10  # eigenvalues below this share of the largest give no component (zero rows instead)


def pca_start_rows(n: int, d: int) -> int:
    """How many of n rows of d values the PCA start is fitted on."""
    return min(n, PCA_START_ROWS if d <= PCA_START_SIDE else PCA_START_SIDE)


def pca_basis(X: torch.Tensor, k: int, rows: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """PCA of X's rows (flattened; `rows`: which of them, default all), in float64: (k, d) components, zero
    rows past the data's rank, and the mean. Exact for the rows it sees: every row up to pca_start_rows,
    else a seeded sample of them. Computed from the eigenvectors of the smaller Gram matrix (rows x rows or
    values x values), not a full SVD: the same components for a fraction of the time and memory."""
    n, d = (len(X) if rows is None else len(rows)), math.prod(X.shape[1:])
    take = pca_start_rows(n, d)
    pick = rows
    if take < n:
        sample = torch.randperm(n, generator=torch.Generator().manual_seed(PCA_START_SEED))[:take].sort().values
        pick = sample if rows is None else rows[sample]
    if pick is not None:
        X = X[pick]
    x = X.reshape(take, d).to(torch.float64, copy=True)
    mean = x.mean(0)
    x -= mean
    gram = take <= d  # x x^T (its eigenvectors: the left singular vectors), else x^T x (the components)
    eigval, vec = torch.linalg.eigh(x @ x.T if gram else x.T @ x)
    eigval, vec = eigval.flip(0)[:k], vec.flip(1)[:, :k]  # largest first
    kept = eigval > eigval[:1].clamp_min(0).sum() * EIGEN_RTOL  # below: the data's null space
    vec = (x.T @ vec[:, kept]) / eigval[kept].sqrt() if gram else vec[:, kept]
    comps = torch.zeros(k, d, dtype=torch.float64)
    comps[: int(kept.sum())] = vec.T
    return comps, mean


class DenseBackbone(nn.Module):
    """MLP d -> hidden... -> code_dim, mirrored for the decoder. Input (n, *shape), flattened inside.

    With linear_skip, a bias-free linear map runs beside each MLP (code = Lx + mlp(x), x_hat = Mz +
    mlp(z)): the network can express PCA's solution exactly and learns the nonlinear rest on top,
    which is what makes it beat PCA on small tables where a plain MLP overfits (BENCHMARKS.md)."""

    @staticmethod
    def default_hidden(n_features: int) -> list[int]:
        """4x then 2x the input width, capped at 512 and 256 (784 MNIST pixels -> [512, 256]; 64 digit
        pixels -> [256, 128]; 13 wine measurements -> [64, 32]): wide enough to beat PCA, small enough
        to train in seconds."""
        return [min(512, max(64, 4 * n_features)), min(256, max(32, 2 * n_features))]

    def __init__(self, cfg: ModelConfig, code_dim: int):
        super().__init__()
        self.shape = tuple(cfg.input_shape)
        d = math.prod(self.shape)
        widths = [d, *cfg.hidden]
        enc = []
        for a, b in pairwise(widths):
            enc += [nn.Linear(a, b), nn.ReLU()]
        self.encoder = nn.Sequential(*enc, nn.Linear(widths[-1], code_dim))
        dec, back = [], [cfg.latent_dim, *reversed(cfg.hidden)]
        for a, b in pairwise(back):
            dec += [nn.Linear(a, b), nn.ReLU()]
        self.decoder = nn.Sequential(*dec, nn.Linear(back[-1], d))
        self.skip_in = nn.Linear(d, code_dim, bias=False) if cfg.linear_skip else None
        self.skip_out = nn.Linear(cfg.latent_dim, d, bias=False) if cfg.linear_skip else None

    @torch.no_grad()
    def start_at_pca(self, X: torch.Tensor, k: int, rows: torch.Tensor | None = None) -> None:
        """Set the linear paths to PCA-k of X (of its `rows`: pca_basis) and zero the MLPs' last layers: the
        network starts as PCA exactly (codes = PCA scores) and training can only move it where validation
        improves."""
        comps, mean = pca_basis(X, k, rows)
        enc_last, dec_last = self.encoder[-1], self.decoder[-1]
        self.skip_in.weight.copy_(comps)
        enc_last.weight.zero_()
        enc_last.bias.copy_(-(comps @ mean))
        self.skip_out.weight.copy_(comps.T)
        dec_last.weight.zero_()
        dec_last.bias.copy_(mean)

    def encode(self, x):  # (n, *shape) -> (n, code_dim)
        x = x.reshape(len(x), -1)
        h = self.encoder(x)
        return h if self.skip_in is None else h + self.skip_in(x)

    def decode(self, z):  # (n, latent) -> (n, *shape), before the output activation
        y = self.decoder(z)
        if self.skip_out is not None:
            y = y + self.skip_out(z)
        return y.reshape(len(z), *self.shape)


class ConvBackbone(nn.Module):
    """Strided 3x3 convolutions halve H and W per stage; the decoder mirrors with transposed convs and
    crops to the input size (so odd sizes such as 28 -> 14 -> 7 -> 4 -> 8 -> 16 -> 32 -> 28 work).

    With linear_skip, linear paths run beside them as in the dense backbone (pixels -> code, and code
    -> pixels with a per-pixel bias), so a conv model too can start at PCA and learn the rest."""

    @staticmethod
    def default_hidden(n_features: int) -> list[int]:
        """Channels per stage, whatever the image size."""
        return [32, 64, 128]

    def __init__(self, cfg: ModelConfig, code_dim: int):
        super().__init__()
        if len(cfg.input_shape) != 3:
            raise ConfigError("A convolutional model needs images (channels, height, width); use 'dense' for tables.")
        c, h, w = cfg.input_shape
        self.shape = (c, h, w)
        chans = [c, *cfg.hidden]
        enc = []
        for a, b in pairwise(chans):
            enc += [nn.Conv2d(a, b, 3, stride=2, padding=1), nn.ReLU()]
        self.features = nn.Sequential(*enc)
        with torch.no_grad():
            fh, fw = self.features(torch.zeros(1, c, h, w)).shape[2:]
        self.grid = (chans[-1], fh, fw)
        flat = chans[-1] * fh * fw
        self.to_code = nn.Linear(flat, code_dim)
        self.from_code = nn.Sequential(nn.Linear(cfg.latent_dim, flat), nn.ReLU())
        dec, back = [], list(reversed(chans))
        for i, (a, b) in enumerate(pairwise(back)):
            dec.append(nn.ConvTranspose2d(a, b, 4, stride=2, padding=1))
            if i < len(back) - 2:
                dec.append(nn.ReLU())
        self.deconv = nn.Sequential(*dec)
        d = c * h * w
        self.skip_in = nn.Linear(d, code_dim, bias=False) if cfg.linear_skip else None
        self.skip_out = nn.Linear(cfg.latent_dim, d) if cfg.linear_skip else None

    @torch.no_grad()
    def start_at_pca(self, X: torch.Tensor, k: int, rows: torch.Tensor | None = None) -> None:
        """As DenseBackbone.start_at_pca: linear paths set to PCA-k, the conv stacks' last layers zeroed."""
        comps, mean = pca_basis(X, k, rows)
        last = self.deconv[-1]
        self.skip_in.weight.copy_(comps)
        self.to_code.weight.zero_()
        self.to_code.bias.copy_(-(comps @ mean))
        self.skip_out.weight.copy_(comps.T)
        self.skip_out.bias.copy_(mean)
        last.weight.zero_()
        last.bias.zero_()

    def encode(self, x):  # (n, C, H, W) -> (n, code_dim)
        h = self.to_code(self.features(x).flatten(1))
        return h if self.skip_in is None else h + self.skip_in(x.flatten(1))

    def decode(self, z):  # (n, latent) -> (n, C, H, W)
        y = self.deconv(self.from_code(z).reshape(len(z), *self.grid))
        y = y[:, :, : self.shape[1], : self.shape[2]]
        return y if self.skip_out is None else y + self.skip_out(z).reshape(y.shape)


def init_weights(net: nn.Module, generator: torch.Generator) -> nn.Module:
    """PyTorch's default initialisation of every Linear and (transposed) convolution, drawn from
    `generator`: a seeded run gets the same starting weights whatever else runs in the process."""
    for module in net.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
            if module.bias is not None:
                fan_in, _ = nn.init._calculate_fan_in_and_fan_out(module.weight)
                bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
                nn.init.uniform_(module.bias, -bound, bound, generator=generator)
    return net


def can_start_at_pca(cfg: ModelConfig, point_code: bool) -> bool:
    """Whether a network can start exactly at PCA: a backbone with its linear paths, an output that PCA's
    linear reconstruction can be written in, and a point code (a distribution's sampling is not PCA)."""
    return cfg.linear_skip and cfg.output in LINEAR_OUTPUTS and point_code


class Network(nn.Module):
    """A backbone with an objective: `encode`, `decode`, `loss(x) -> dict`. Subclasses are objectives.

    The plain autoencoder is this class itself: reconstruct x from its code."""

    code_factor = 1     # the encoder emits code_factor * latent_dim numbers (2 for mean and log-variance)
    point_code = True   # the code is a point (PCA can be its starting point); False for a distribution

    def __init__(self, cfg: ModelConfig, backbone: type[nn.Module]):
        super().__init__()
        self.cfg = cfg
        self.backbone = backbone(cfg, self.code_factor * cfg.latent_dim)
        # Where the stochastic objectives draw their noise: the run's own generator (set by the trainer),
        # never PyTorch's process-wide one, so concurrent runs in one process cannot change each other.
        self.generator: torch.Generator | None = None

    def noise(self, like: torch.Tensor, draw=torch.randn) -> torch.Tensor:
        """Random numbers shaped like `like` from this network's generator (draw: torch.randn or torch.rand)."""
        return draw(like.shape, generator=self.generator, device=like.device, dtype=like.dtype)

    def start_at_pca(self, X: torch.Tensor, rows: torch.Tensor | None = None) -> bool:
        """Start from PCA of X (of its `rows`, default all) where that is exact (see can_start_at_pca and the
        backbones' start_at_pca). Returns whether it did; otherwise the weights are left as they were."""
        if not can_start_at_pca(self.cfg, self.point_code):
            return False
        self.backbone.start_at_pca(X, self.cfg.latent_dim, rows)
        return True

    def encode(self, x):
        """x -> the code (the mean, for a VAE)."""
        return self.backbone.encode(x)

    def decode(self, z):
        y = self.backbone.decode(z)
        if self.cfg.output == "sigmoid":
            return torch.sigmoid(y)
        return y.clamp(0.0, 1.0) if self.cfg.output == "clip" else y

    def recon_loss(self, x_hat_logits, x):
        """Mean over elements, so figures compare across shapes; bce takes pre-sigmoid outputs. A clip
        output learns unclipped (so its gradient never vanishes); clipping only ever lowers the error."""
        if self.cfg.recon == "bce":
            return F.binary_cross_entropy_with_logits(x_hat_logits, x)
        x_hat = torch.sigmoid(x_hat_logits) if self.cfg.output == "sigmoid" else x_hat_logits
        return F.mse_loss(x_hat, x)

    def loss(self, x) -> dict:
        rec = self.recon_loss(self.backbone.decode(self.encode(x)), x)
        return {"loss": rec, "recon": rec}


class Denoising(Network):
    """Reconstruct the clean x from a corrupted copy: Gaussian noise or random masking."""

    def corrupt(self, x):
        level = self.cfg.noise_level
        if self.cfg.noise == "masking":
            return x * (self.noise(x, torch.rand) >= level)
        noisy = x + level * self.noise(x, torch.randn)
        return noisy.clamp(0.0, 1.0) if self.cfg.output in PIXEL_OUTPUTS else noisy

    def loss(self, x) -> dict:
        rec = self.recon_loss(self.backbone.decode(self.encode(self.corrupt(x))), x)
        return {"loss": rec, "recon": rec}


class Sparse(Network):
    """Reconstruction plus an L1 penalty on the code, which pushes most code units to zero."""

    def loss(self, x) -> dict:
        z = self.encode(x)
        rec = self.recon_loss(self.backbone.decode(z), x)
        l1 = z.abs().mean()
        return {"loss": rec + self.cfg.sparsity * l1, "recon": rec, "l1": l1}


class Variational(Network):
    """VAE: the encoder gives a Gaussian q(z|x); loss = reconstruction + beta * KL(q || N(0, I)).

    Both terms are per element of x (the KL summed over latent dims, divided by the input size), so
    beta = 1 is the usual ELBO up to a constant factor and the scale matches the other objectives."""

    code_factor = 2
    point_code = False

    def posterior(self, x):
        h = self.backbone.encode(x)
        mu, logvar = h.chunk(2, dim=1)
        return mu, logvar.clamp(-LOGVAR_LIMIT, LOGVAR_LIMIT)

    def encode(self, x):
        return self.posterior(x)[0]

    @staticmethod
    def kl(mu, logvar):
        """(n, latent) KL of each latent dimension of N(mu, exp(logvar)) from the unit Gaussian prior."""
        return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)

    def kl_per_dim(self, x):
        return self.kl(*self.posterior(x))

    def loss(self, x) -> dict:
        mu, logvar = self.posterior(x)
        z = mu + self.noise(mu, torch.randn) * (0.5 * logvar).exp()
        rec = self.recon_loss(self.backbone.decode(z), x)
        kl = self.kl(mu, logvar).sum(1).mean() / x[0].numel()
        return {"loss": rec + self.cfg.beta * kl, "recon": rec, "kl": kl}
