"""The scikit-learn contract of `Autoencoder`, its validation messages, VAE extras and interpolate()."""
from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
import torch

from aecore import Autoencoder, ConfigError, DataError, images_from_array, interpolate, model_names, table_dataset
from aecore.estimator import default_epochs, default_latent
from aecore.models import BACKBONES


# -- __init__, get_params, set_params ---------------------------------------------------------------
def test_init_only_stores_params():
    model = Autoencoder(model="no-such-model", latent_dim=-3, lr="fast")  # validated at fit, not here
    assert model.model == "no-such-model" and model.latent_dim == -3 and model.lr == "fast"
    assert not [k for k in vars(model) if k.endswith("_")]


def test_get_params_set_params_round_trip():
    model = Autoencoder(model="vae", latent_dim=5, hidden=[32, 8], beta=0.5)
    params = model.get_params()
    assert set(params) == set(inspect.signature(Autoencoder).parameters)
    assert params["model"] == "vae" and params["hidden"] == [32, 8] and params["beta"] == 0.5
    assert Autoencoder(**params).get_params() == params
    other = Autoencoder()
    assert other.set_params(**params) is other
    assert other.get_params() == params


def test_sklearn_clone():
    from sklearn.base import clone

    model = Autoencoder(model="sparse", latent_dim=4, sparsity=0.01)
    twin = clone(model)
    assert twin is not model and twin.get_params() == model.get_params()


def test_unknown_param():
    with pytest.raises(ValueError, match="Invalid parameter 'latent'.*latent_dim"):
        Autoencoder().set_params(latent=3)


def test_a_real_scikit_learn_estimator():
    from sklearn.base import BaseEstimator, clone

    model = Autoencoder(latent_dim=4)
    assert isinstance(model, BaseEstimator)
    assert repr(model) == "Autoencoder(latent_dim=4)"  # scikit-learn's repr: the parameters that differ
    twin = clone(model)
    assert twin is not model and twin.get_params(deep=True) == model.get_params(deep=True)
    assert repr(Autoencoder(model="vae", hidden=[32, 8])) == "Autoencoder(hidden=[32, 8], model='vae')"


# -- fit, learned state, transform ------------------------------------------------------------------
def test_fit_returns_self_and_learned_attributes_end_in_underscore(table_X, fast):
    model = Autoencoder(**fast)
    assert model.fit(table_X) is model
    learned = {k for k in vars(model) if k.endswith("_")}
    assert {"network_", "config_", "split_", "input_shape_", "history_", "result_", "device_"} <= learned
    assert set(vars(model)) - learned == set(inspect.signature(Autoencoder).parameters)  # nothing else added
    assert model.input_shape_ == (6,)
    assert model.get_params() == Autoencoder(**fast).get_params()  # fit does not change parameters


def test_transform_inverse_transform_and_errors(fitted, table_X):
    codes = fitted.transform(table_X)
    assert codes.shape == (len(table_X), 2) and codes.dtype == np.float32
    assert np.array_equal(fitted.transform(table_X), codes)  # encoding is deterministic (VAE: the mean)
    decoded = fitted.inverse_transform(codes)
    assert decoded.shape == table_X.shape
    assert fitted.inverse_transform(codes[0]).shape == (1, 6)  # a single code is one row
    errors = fitted.reconstruction_error(table_X)
    assert errors.shape == (len(table_X),) and errors.dtype == np.float64
    expected = ((fitted.reconstruct(table_X) - table_X) ** 2).mean(1)
    assert np.allclose(errors, expected, rtol=1e-5)
    assert np.allclose(fitted.reconstruct(table_X), decoded, atol=1e-6)


def test_transform_accepts_dataset_and_lists(fitted, table_X, fast):
    assert np.array_equal(fitted.transform(table_X[:3].tolist()), fitted.transform(table_X[:3]))
    ds = table_dataset(pd.DataFrame(table_X))
    assert Autoencoder(**fast).fit(ds).transform(ds).shape == (len(table_X), 2)


def test_fit_transform(table_X, fast):
    a = Autoencoder(**fast).fit_transform(table_X)
    b = Autoencoder(**fast).fit(table_X).transform(table_X)
    assert np.array_equal(a, b)


def test_fit_is_reproducible_with_the_same_seed(table_X, fast):
    a = Autoencoder(**fast).fit(table_X)
    b = Autoencoder(**fast).fit(table_X)
    assert np.array_equal(a.transform(table_X), b.transform(table_X))
    losses = lambda m: [(h["train_loss"], h["val_loss"], h["val_mse"]) for h in m.history_]  # noqa: E731
    assert losses(a) == losses(b)
    c = Autoencoder(**dict(fast, seed=1)).fit(table_X)
    assert not np.array_equal(a.transform(table_X), c.transform(table_X))


def test_stochastic_objectives_are_reproducible(digit_images, fast):
    kw = dict(fast, model="conv-vae", hidden=[4, 8], epochs=2)
    a = Autoencoder(**kw).fit(digit_images[:40])
    b = Autoencoder(**kw).fit(digit_images[:40])
    assert np.array_equal(a.transform(digit_images[:40]), b.transform(digit_images[:40]))


def test_split_is_seeded_and_disjoint(fitted, table_X, fast):
    split = fitted.split_
    rows = np.concatenate([split["train"], split["val"], split["test"]])
    assert sorted(rows.tolist()) == list(range(len(table_X)))
    assert len(split["test"]) == 12 and len(split["val"]) == 12
    small = Autoencoder(**fast).fit(table_X[:10])
    assert len(small.split_["train"]) == 10  # under 20 rows everything trains


def test_defaults():
    assert BACKBONES["conv"].module.default_hidden(64) == [32, 64, 128]
    assert BACKBONES["dense"].module.default_hidden(784) == [512, 256]
    assert BACKBONES["dense"].module.default_hidden(13) == [64, 32]
    assert default_epochs(100, 128) == 400
    assert default_epochs(100_000, 128) == 20


@pytest.mark.parametrize("features, latent",
                         [(2, 1), (3, 1), (4, 2), (8, 2), (9, 2), (13, 3), (30, 7), (64, 8), (784, 8)])
def test_default_latent_is_well_below_the_features(features, latent):
    assert default_latent(features) == latent


def test_latent_none_adapts_to_the_data(fast):
    X = np.random.default_rng(0).standard_normal((60, 9)).astype(np.float32)  # a 9-feature table
    model = Autoencoder(**dict(fast, latent_dim=None)).fit(X)
    assert model.config_.latent_dim == 2 and model.latent_dim is None  # the parameter stays as given
    assert model.transform(X).shape == (60, 2)


def test_image_arrays_get_a_channel_axis(digit_images, fast):
    model = Autoencoder(**dict(fast, epochs=1)).fit(digit_images[:20, 0])  # (n, H, W)
    assert model.input_shape_ == (1, 8, 8)
    assert model.inverse_transform(np.zeros((2, 2))).shape == (2, 1, 8, 8)


@pytest.mark.parametrize("params, output, recon", [
    ({}, "clip", "mse"),                          # dense: starts at PCA, learns with MSE, clips when decoding
    ({"model": "sparse"}, "clip", "mse"),
    ({"model": "denoising"}, "clip", "mse"),
    ({"model": "conv"}, "clip", "mse"),
    ({"model": "vae"}, "sigmoid", "bce"),         # cannot start at PCA: sigmoid with cross-entropy
    ({"model": "conv-vae"}, "sigmoid", "bce"),
    ({"pca_init": False}, "sigmoid", "bce"),
    ({"recon": "bce"}, "sigmoid", "bce"),         # asked for
    ({"model": "vae", "recon": "mse"}, "sigmoid", "mse"),
])
def test_pixel_output_and_loss(digit_images, fast, params, output, recon):
    model = Autoencoder(**dict(fast, epochs=1, **params)).fit(digit_images[:40])
    assert (model.config_.output, model.config_.recon) == (output, recon)
    decoded = model.inverse_transform(np.random.default_rng(0).normal(0, 50, (20, 2)))
    assert decoded.min() >= 0.0 and decoded.max() <= 1.0  # far-off codes still decode to valid pixels


def test_tables_are_linear_with_mse(table_X, fast):
    model = Autoencoder(**dict(fast, epochs=1)).fit(table_X)
    assert (model.config_.output, model.config_.recon) == ("linear", "mse")


# -- validation --------------------------------------------------------------------------------------
def test_unknown_model_lists_valid_ones(table_X):
    with pytest.raises(ConfigError) as info:
        Autoencoder(model="resnet").fit(table_X)
    message = str(info.value)
    assert "Unknown model 'resnet'" in message
    assert all(name in message for name in model_names())


def test_conv_on_a_table(table_X, fast):
    with pytest.raises(ConfigError, match="'conv' needs images; for tables choose one of: dense"):
        Autoencoder(**dict(fast, model="conv")).fit(table_X)


@pytest.mark.parametrize("params,fragment", [
    ({"latent_dim": 0}, "latent_dim must be a whole number"),
    ({"latent_dim": 2.5}, "latent_dim must be a whole number"),
    ({"epochs": 0}, "epochs must be a positive whole number"),
    ({"batch_size": 0}, "batch_size must be a positive"),
    ({"lr": 0}, "lr \\(learning rate\\)"),
    ({"lr": 100.0}, "lr \\(learning rate\\)"),
    ({"validation": 0.6}, "validation is the share of rows"),
    ({"test": -0.1}, "test is the share of rows"),
    ({"noise": "salt"}, "Unknown noise 'salt'. Choose one of: gaussian, masking"),
    ({"recon": "l1"}, "Unknown recon 'l1'. Choose one of: auto, mse, bce"),
    ({"recon": "bce"}, "recon='bce' needs images"),
    ({"device": "tpu"}, "Unknown device 'tpu'. Choose one of: auto, cpu, cuda"),
    ({"precision": "fp8"}, "Unknown precision 'fp8'. Choose one of: fp32, bf16, fp16"),
    ({"precision": "bf16", "device": "cpu"}, "precision 'bf16' \\(mixed precision\\) needs a CUDA GPU"),
])
def test_bad_params(params, fragment, table_X, fast):
    with pytest.raises(ConfigError, match=fragment):
        Autoencoder(**dict(fast, **params)).fit(table_X)


@pytest.mark.parametrize("X,fragment", [
    (np.array([[1.0, np.nan], [2.0, 3.0]]), "NaN or infinite"),
    (np.array([[1.0, np.inf], [2.0, 3.0]]), "NaN or infinite"),
    (np.array([[1.0, np.inf], [-np.inf, 3.0]]), "NaN or infinite"),  # inf - inf: a NaN sum, still refused
    (np.array([[3e38, 3e38], [3e38, 3e38]]), None),  # finite, summing past float32's range: accepted
    (np.zeros((1, 3)), "at least 2 rows"),
    (np.zeros(5), "got shape \\(5,\\)"),
    (np.array([["a", "b"], ["c", "d"]]), "must be numbers"),
])
def test_bad_data(X, fragment, fast):
    if fragment is None:
        assert Autoencoder(**dict(fast, epochs=1)).fit(X).input_shape_ == (2,)  # trained, not refused
        return
    with pytest.raises(DataError, match=fragment):
        Autoencoder(**fast).fit(X)


def test_validation_rows_are_capped_and_the_rest_train(monkeypatch):
    from aecore import estimator

    monkeypatch.setattr(estimator, "MAX_VALIDATION_ROWS", 30)
    split = Autoencoder()._split(1_000)
    assert len(split["val"]) == 30 and len(split["test"]) == 100 and len(split["train"]) == 870
    assert len(np.unique(np.concatenate(list(split.values())))) == 1_000


def test_wrong_shape_at_transform(fitted):
    with pytest.raises(DataError, match="expects rows of shape \\(6,\\); got \\(5,\\)"):
        fitted.transform(np.zeros((3, 5), np.float32))


@pytest.mark.parametrize("Z", [np.zeros((2, 4)), np.zeros((3, 3)), np.zeros((1, 2, 2)), np.zeros(4), [["a", "b"]]])
def test_wrong_codes_at_inverse_transform(fitted, Z):
    # (2, 4) used to be reshaped silently into 4 codes of width 2
    with pytest.raises(DataError, match="Codes must"):
        fitted.inverse_transform(Z)


def test_not_fitted():
    model = Autoencoder()
    for call in (lambda: model.transform(np.zeros((2, 3))), lambda: model.inverse_transform(np.zeros((2, 8))),
                 lambda: model.reconstruction_error(np.zeros((2, 3))), lambda: model.sample(2),
                 lambda: model.is_variational):
        with pytest.raises(ConfigError, match="not trained yet: call fit"):
            call()


# -- VAE extras ----------------------------------------------------------------------------------------
def test_vae_sample_and_kl(table_X, digit_images, fast):
    vae = Autoencoder(**dict(fast, model="vae", latent_dim=3)).fit(table_X)
    assert vae.is_variational
    samples = vae.sample(7, seed=1)
    assert samples.shape == (7, 6) and np.isfinite(samples).all()
    assert np.array_equal(samples, vae.sample(7, seed=1))
    kl = vae.kl_per_dim(table_X)
    assert kl.shape == (3,) and np.all(kl >= 0)
    images = Autoencoder(**dict(fast, model="conv-vae", hidden=[4, 8], epochs=1)).fit(digit_images[:30])
    drawn = images.sample(4, seed=0)
    assert drawn.shape == (4, 1, 8, 8) and drawn.min() >= 0 and drawn.max() <= 1


def test_sample_needs_a_vae(fitted):
    assert not fitted.is_variational
    with pytest.raises(ConfigError, match="need a variational model"):
        fitted.sample(3)
    with pytest.raises(ConfigError, match="need a variational model"):
        fitted.kl_per_dim(np.zeros((2, 6), np.float32))


# -- interpolate ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("spherical", [False, True])
def test_interpolate_endpoints(spherical):
    a, b = np.array([1.0, 0.0, 2.0]), np.array([-1.0, 3.0, 0.5])
    path = interpolate(a, b, steps=5, spherical=spherical)
    assert path.shape == (5, 3) and path.dtype == np.float32
    assert np.allclose(path[0], a, atol=1e-6) and np.allclose(path[-1], b, atol=1e-6)


def test_interpolate_linear_is_a_straight_line():
    path = interpolate([0.0, 0.0], [2.0, 4.0], steps=3)
    assert np.allclose(path, [[0, 0], [1, 2], [2, 4]])


def test_interpolate_spherical_follows_the_arc():
    path = interpolate([1.0, 0.0], [0.0, 1.0], steps=3, spherical=True)
    assert np.allclose(np.linalg.norm(path, axis=1), 1.0, atol=1e-6)  # a straight line would dip to 0.71
    assert np.allclose(path[1], [np.sqrt(0.5), np.sqrt(0.5)], atol=1e-6)
    # degenerate cases fall back to the straight line: a zero code, or parallel codes
    assert np.allclose(interpolate([0.0, 0.0], [2.0, 2.0], steps=3, spherical=True)[1], [1, 1])
    assert np.allclose(interpolate([1.0, 1.0], [2.0, 2.0], steps=3, spherical=True)[1], [1.5, 1.5])


def test_interpolated_codes_decode(fitted):
    codes = fitted.transform(np.zeros((2, 6), np.float32) + [[1], [-1]])
    path = interpolate(codes[0], codes[1], steps=4)
    assert fitted.inverse_transform(path).shape == (4, 6)


def test_images_from_dataset_round_trip(digit_images, fast):
    ds = images_from_array(digit_images[:30])
    model = Autoencoder(**dict(fast, model="conv", hidden=[4, 8], epochs=1)).fit(ds)
    decoded = ds.decode_rows(model.inverse_transform(model.transform(ds)))
    assert decoded.shape == (30, 1, 8, 8) and decoded.min() >= 0 and decoded.max() <= 1


# -- devices --------------------------------------------------------------------------------------------
@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_cuda_without_a_gpu_is_one_clear_config_error(table_X, fast):
    with pytest.raises(ConfigError) as info:
        Autoencoder(**dict(fast, device="cuda")).fit(table_X)
    assert "device 'cuda' was asked for, but PyTorch sees no GPU" in str(info.value)
    assert "\n" not in str(info.value)


def test_device_and_precision_round_trip_through_params_clone_and_bundle(table_X, fast):
    from sklearn.base import clone

    from aecore.bundle import load_bundle, save_bundle

    model = Autoencoder(**dict(fast, device="cpu", precision="fp32"))
    assert clone(model.set_params(device="cuda", precision="bf16")).get_params()["device"] == "cuda"
    model.set_params(device="cpu", precision="fp32").fit(table_X)
    assert model.device_ == torch.device("cpu")
    loaded = load_bundle(save_bundle(None, model)).model
    assert loaded.get_params()["device"] == "cpu" and loaded.get_params()["precision"] == "fp32"
    assert np.array_equal(loaded.transform(table_X), model.transform(table_X))


def test_results_come_back_on_the_cpu_chunk_by_chunk(fitted, table_X, monkeypatch):
    """transform, reconstruct, reconstruction_error and inverse_transform hand the network one chunk at
    a time on the model's device (here a spy device: the CPU) and return NumPy arrays."""
    from aecore import estimator

    chunks = []
    real = estimator.batched

    def spy(fn, X, batch=estimator.batched.__defaults__[0], device=None):
        chunks.append((len(X), batch, device))
        return real(fn, X, batch=3, device=device)

    monkeypatch.setattr(estimator, "batched", spy)
    codes = fitted.transform(table_X)
    assert np.allclose(codes, real(fitted.network_.encode, torch.from_numpy(table_X)).numpy(), atol=1e-6)
    fitted.reconstruct(table_X[:5])
    fitted.reconstruction_error(table_X[:5])
    fitted.inverse_transform(codes[:5])
    assert [c[2] for c in chunks] == [fitted.device_] * 4  # always told the device: the data stays on the CPU
