"""Every model variant: trains on tiny data with a falling loss, encodes and decodes with the right
shapes, and survives a bundle round trip bit for bit. Plus the registries behind the names."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from aecore import Autoencoder, ConfigError, images_from_array, table_dataset
from aecore.bundle import load_bundle, save_bundle
from aecore.models import (
    BACKBONES,
    OBJECTIVES,
    ModelConfig,
    Network,
    Variational,
    build_network,
    model_names,
    resolve_model,
)

LATENT = 3


def dataset_for(name, table_X, digit_images):
    if name.startswith("conv"):
        return images_from_array(digit_images, labels=np.arange(len(digit_images)) % 10, name="digits")
    df = pd.DataFrame(table_X, columns=[f"f{j}" for j in range(table_X.shape[1])])
    return table_dataset(df, name="table")


@pytest.mark.parametrize("name", model_names())
def test_every_model_trains_encodes_decodes_and_round_trips(name, table_X, digit_images):
    data = dataset_for(name, table_X, digit_images)
    hidden = [8, 16] if name.startswith("conv") else [16]
    model = Autoencoder(model=name, latent_dim=LATENT, epochs=6, hidden=hidden, batch_size=32, lr=1e-2,
                        seed=0)
    assert model.fit(data) is model
    history = model.history_
    assert len(history) == 6 and model.result_.status == "completed"
    assert history[-1]["train_loss"] < history[0]["train_loss"], history

    n = data.n
    codes = model.transform(data)
    assert codes.shape == (n, LATENT) and codes.dtype == np.float32
    decoded = model.inverse_transform(codes)
    assert decoded.shape == (n, *data.sample_shape)
    assert model.reconstruct(data).shape == decoded.shape
    errors = model.reconstruction_error(data)
    assert errors.shape == (n,) and np.all(errors >= 0)
    if name.startswith("conv"):
        assert model.config_.backbone == "conv"
        assert model.config_.output == ("sigmoid" if name.endswith("vae") else "clip")
        assert decoded.min() >= 0.0 and decoded.max() <= 1.0
    else:
        assert model.config_.backbone == "dense"
    assert model.is_variational == name.endswith("vae")

    blob = save_bundle(None, model, data, codes=codes, errors=errors)
    loaded = load_bundle(blob, device="cpu").model
    assert np.array_equal(loaded.transform(data), codes)
    assert np.array_equal(loaded.inverse_transform(codes), decoded)
    assert np.array_equal(loaded.reconstruction_error(data), errors)
    before, after = model.network_.state_dict(), loaded.network_.state_dict()
    assert before.keys() == after.keys()
    for key in before:
        assert torch.equal(before[key], after[key]), key
    assert loaded.config_ == model.config_
    assert loaded.get_params() == model.get_params()
    assert loaded.history_ == model.history_ and loaded.result_ == model.result_
    for part in ("train", "val", "test"):
        assert np.array_equal(loaded.split_[part], model.split_[part])


@pytest.mark.parametrize("name,kind,expected", [
    ("dense", "table", ("dense", "plain")), ("conv", "image", ("conv", "plain")),
    ("vae", "table", ("dense", "vae")), ("vae", "image", ("dense", "vae")),
    ("denoising", "image", ("dense", "denoising")), ("sparse", "table", ("dense", "sparse")),
    ("conv-vae", "image", ("conv", "vae")), ("dense-sparse", "table", ("dense", "sparse")),
])
def test_resolve_model(name, kind, expected):
    assert resolve_model(name, kind) == expected


def test_every_name_resolves_to_registered_parts():
    for name in model_names():
        backbone, objective = resolve_model(name, "image")
        assert backbone in BACKBONES and objective in OBJECTIVES


def test_unknown_model_lists_valid_names():
    with pytest.raises(ConfigError) as info:
        resolve_model("transformer", "table")
    for name in model_names():
        assert name in str(info.value)


def test_conv_needs_images():
    with pytest.raises(ConfigError, match="needs images"):
        resolve_model("conv-vae", "table")
    with pytest.raises(ConfigError, match="needs images"):
        build_network(ModelConfig("conv", "plain", [10], 2, [8]))


def test_build_network_rejects_unknown_parts():
    with pytest.raises(ConfigError, match="Unknown backbone 'rnn'"):
        build_network(ModelConfig("rnn", "plain", [10], 2))
    with pytest.raises(ConfigError, match="Unknown objective 'gan'.*plain"):
        build_network(ModelConfig("dense", "gan", [10], 2))
    with pytest.raises(ConfigError, match="Unknown output 'tanh'.*clip"):
        ModelConfig("dense", "plain", [10], 2, output="tanh")
    with pytest.raises(ConfigError, match="bce.*sigmoid"):
        ModelConfig("dense", "plain", [10], 2, output="clip", recon="bce")


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 7, 9), (1, 8, 8), (2, 5, 5)])
def test_conv_backbone_handles_odd_sizes(shape):
    torch.manual_seed(0)
    net = build_network(ModelConfig("conv", "plain", list(shape), 4, [4, 8, 8], output="sigmoid", recon="bce"))
    x = torch.rand(3, *shape)
    z = net.encode(x)
    assert z.shape == (3, 4)
    assert net.decode(z).shape == (3, *shape)


@pytest.mark.parametrize("objective,keys", [("plain", {"loss", "recon"}), ("denoising", {"loss", "recon"}),
                                            ("sparse", {"loss", "recon", "l1"}), ("vae", {"loss", "recon", "kl"})])
def test_loss_terms(objective, keys):
    torch.manual_seed(0)
    net = build_network(ModelConfig("dense", objective, [6], 2, [8]))
    with torch.no_grad():
        out = net.loss(torch.randn(5, 6))
    assert set(out) == keys
    assert all(v.ndim == 0 and torch.isfinite(v) for v in out.values())
    if objective == "sparse":
        assert float(out["loss"]) == pytest.approx(float(out["recon"] + net.cfg.sparsity * out["l1"]))
    if objective == "vae":
        assert out["kl"] >= 0
        assert float(out["loss"]) == pytest.approx(float(out["recon"] + net.cfg.beta * out["kl"]))


def test_vae_encoder_emits_mean_and_log_variance():
    torch.manual_seed(0)
    net = build_network(ModelConfig("dense", "vae", [6], 3, [8]))
    assert isinstance(net, Variational) and isinstance(net, Network)
    x = torch.randn(4, 6)
    mu, logvar = net.posterior(x)
    assert mu.shape == logvar.shape == (4, 3)
    assert torch.equal(net.encode(x), mu)
    assert net.kl_per_dim(x).shape == (4, 3)


def test_masking_noise_zeroes_inputs():
    torch.manual_seed(0)
    net = build_network(ModelConfig("dense", "denoising", [1000], 2, [8], noise="masking", noise_level=0.5))
    corrupted = net.corrupt(torch.ones(1, 1000))
    assert set(corrupted.unique().tolist()) == {0.0, 1.0}
    assert 0.4 < float((corrupted == 0).float().mean()) < 0.6


def test_config_is_plain_json():
    import json

    cfg = ModelConfig("conv", "vae", [1, 8, 8], 2, [8, 16], "sigmoid", "bce")
    assert ModelConfig(**json.loads(json.dumps(cfg.to_json()))) == cfg


def test_dense_start_at_pca_reconstructs_like_pca():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    X = (rng.standard_normal((200, 3)) @ rng.standard_normal((3, 10)) + rng.standard_normal((200, 10)) * 0.1)
    X = X.astype(np.float32)
    cfg = ModelConfig("dense", "plain", [10], 3, [16, 8])
    net = build_network(cfg)
    assert net.start_at_pca(torch.from_numpy(X))
    with torch.no_grad():
        ours = net.decode(net.encode(torch.from_numpy(X))).numpy()
    pca = PCA(3).fit(X)
    np.testing.assert_allclose(ours, pca.inverse_transform(pca.transform(X)), atol=1e-4)


@pytest.mark.parametrize("backbone, hidden", [("dense", [8]), ("conv", [4, 8])])
def test_clip_output_starts_at_pca_clipped_to_pixel_range(backbone, hidden):
    from sklearn.decomposition import PCA

    X = np.random.default_rng(1).random((100, 1, 5, 5)).astype(np.float32)
    torch.manual_seed(0)
    net = build_network(ModelConfig(backbone, "plain", [1, 5, 5], 3, hidden, output="clip"))
    assert net.start_at_pca(torch.from_numpy(X))
    flat = X.reshape(100, 25)
    pca = PCA(3).fit(flat)
    with torch.no_grad():
        codes = net.encode(torch.from_numpy(X)).numpy()
        ours = net.decode(torch.from_numpy(codes)).numpy().reshape(100, 25)
    np.testing.assert_allclose(np.abs(codes), np.abs(pca.transform(flat)), atol=1e-4)  # PCA scores, up to sign
    np.testing.assert_allclose(ours, np.clip(pca.inverse_transform(pca.transform(flat)), 0, 1), atol=1e-4)


def same_subspace(a: np.ndarray, b: np.ndarray, atol: float = 1e-8) -> None:
    """Rows of a and b are the same orthonormal components, up to sign."""
    np.testing.assert_allclose(np.abs(np.sum(a * b, axis=1)), 1.0, atol=atol)


@pytest.mark.parametrize("rows, values", [(30, 50), (200, 12)])  # x x^T, then x^T x
def test_pca_basis_is_pca_from_either_gram_matrix(rows, values):
    from sklearn.decomposition import PCA

    from aecore.networks import pca_basis

    X = np.random.default_rng(2).standard_normal((rows, values)) * np.linspace(3, 0.5, values)
    comps, mean = pca_basis(torch.from_numpy(X.astype(np.float32)), 4)
    pca = PCA(4).fit(X.astype(np.float32).astype(np.float64))
    same_subspace(comps.numpy(), pca.components_, atol=1e-6)
    np.testing.assert_allclose(mean.numpy(), pca.mean_, atol=1e-6)


def test_pca_basis_leaves_the_null_space_out():
    from aecore.networks import pca_basis

    X = np.random.default_rng(3).standard_normal((40, 2)) @ np.random.default_rng(4).standard_normal((2, 9))
    comps, _ = pca_basis(torch.from_numpy(X), 4)  # rank 2: two components, then zero rows
    assert np.allclose(comps[2:].numpy(), 0)
    np.testing.assert_allclose(comps[:2].numpy() @ comps[:2].numpy().T, np.eye(2), atol=1e-8)


def test_pca_basis_fits_a_seeded_sample_of_many_rows_and_leaves_the_data_alone(monkeypatch):
    from aecore import networks

    monkeypatch.setattr(networks, "PCA_START_ROWS", 50)
    X = torch.from_numpy(np.random.default_rng(5).standard_normal((300, 6)) * np.arange(6, 0, -1))
    kept = X.clone()
    comps, mean = networks.pca_basis(X, 3)
    assert torch.equal(X, kept)
    assert torch.equal(networks.pca_basis(X, 3)[0], comps)  # the same sample every time
    pick = torch.randperm(300, generator=torch.Generator().manual_seed(networks.PCA_START_SEED))[:50].sort().values
    exact, exact_mean = networks.pca_basis(X[pick], 3)  # 50 rows: all of them
    same_subspace(comps.numpy(), exact.numpy())
    np.testing.assert_allclose(mean.numpy(), exact_mean.numpy())


def test_pca_basis_of_some_rows_is_the_pca_of_those_rows(monkeypatch):
    from aecore import networks

    X = torch.from_numpy(np.random.default_rng(6).standard_normal((300, 5)) * np.arange(5, 0, -1))
    rows = torch.arange(1, 300, 3)
    for limit in (10_000, 40):  # every one of the rows, then a sample of them
        monkeypatch.setattr(networks, "PCA_START_ROWS", limit)
        ours, ours_mean = networks.pca_basis(X, 3, rows)
        copied, copied_mean = networks.pca_basis(X[rows], 3)
        assert torch.equal(ours, copied) and torch.equal(ours_mean, copied_mean)


def test_pca_start_rows_stay_bounded():
    from aecore.networks import PCA_START_ROWS, PCA_START_SIDE, pca_start_rows

    assert pca_start_rows(500, 784) == 500
    assert pca_start_rows(1_000_000, 784) == PCA_START_ROWS
    assert pca_start_rows(1_000_000, 12_288) == PCA_START_SIDE
    assert pca_start_rows(300, 12_288) == 300


def test_start_at_pca_only_where_it_is_exact():
    images = ModelConfig("dense", "plain", [1, 4, 4], 2, [8], output="sigmoid", recon="bce")
    vae = ModelConfig("dense", "vae", [6], 2, [8])
    no_skip = ModelConfig("dense", "plain", [6], 2, [8], linear_skip=False)
    conv_vae = ModelConfig("conv", "vae", [1, 4, 4], 2, [4])
    conv_no_skip = ModelConfig("conv", "plain", [1, 4, 4], 2, [4], output="clip", linear_skip=False)
    for cfg in (images, vae, no_skip, conv_vae, conv_no_skip):
        net = build_network(cfg)
        x = torch.rand(20, *cfg.input_shape)
        before = {k: v.clone() for k, v in net.state_dict().items()}
        assert not net.start_at_pca(x)
        assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
