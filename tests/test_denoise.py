"""Denoising: seeded corruption, the model's output for noisy rows measured against the clean rows,
beside PCA at the same latent size."""
from __future__ import annotations

import numpy as np
import pytest

from aecore import Autoencoder, ConfigError
from aecore.denoise import (
    DEFAULT_SAMPLE,
    NOISE_KINDS,
    DenoiseResult,
    corrupt,
    denoise,
    fit_pca,
    sample_rows,
)
from aecore.networks import NOISES


@pytest.fixture(scope="module")
def denoiser(digit_images):
    """A denoising model on digits: conftest's FAST settings, but latent 8 and 20 epochs so that it
    cleans noise visibly (well under 1 s). Shared: tests must not refit or mutate it."""
    return Autoencoder(model="denoising", noise_level=0.3, latent_dim=8, epochs=20, hidden=[16], batch_size=32,
                       lr=1e-2, seed=0).fit(digit_images)


def test_noise_kinds_are_the_networks():
    assert NOISE_KINDS is NOISES


def test_corrupt_is_seeded_and_leaves_the_input_alone(digit_images):
    X = digit_images.copy()
    for kind in NOISE_KINDS:
        a, b = corrupt(X, kind, 0.3, seed=1), corrupt(X, kind, 0.3, seed=1)
        assert a.dtype == np.float32 and a.shape == X.shape
        assert np.array_equal(a, b) and not np.array_equal(a, corrupt(X, kind, 0.3, seed=2))
    assert np.array_equal(X, digit_images)


def test_masking_zeroes_about_level_of_the_values():
    X = np.random.default_rng(0).uniform(0.5, 1.0, (200, 50)).astype(np.float32)  # no zeros of its own
    for level in (0.0, 0.3, 1.0):
        noisy = corrupt(X, "masking", level, seed=0)
        assert (noisy == 0).mean() == pytest.approx(level, abs=0.01)
        kept = noisy != 0
        assert np.array_equal(noisy[kept], X[kept])  # the rest untouched


def test_gaussian_noise(digit_images, table_X):
    assert np.array_equal(corrupt(table_X, "gaussian", 0.0), table_X)  # level 0 is the identity
    noisy = corrupt(table_X, "gaussian", 0.5, seed=0)
    assert np.std(noisy - table_X) == pytest.approx(0.5, rel=0.05)
    assert noisy.min() < 0 or noisy.max() > 1  # tables are not clipped
    pixels = corrupt(digit_images, "gaussian", 0.5, seed=0, pixels=True)
    assert pixels.min() == 0.0 and pixels.max() == 1.0  # pixels are clipped to [0, 1]
    assert np.array_equal(corrupt(digit_images, "gaussian", 0.0, pixels=True), digit_images)


@pytest.mark.parametrize(("kind", "level"), [("salt", 0.2), ("gaussian", -0.1), ("masking", 1.5),
                                             ("gaussian", "0.2"), ("gaussian", float("nan")), ("masking", True)])
def test_bad_kind_or_level_is_refused(table_X, kind, level):
    with pytest.raises(ConfigError, match="noise"):
        corrupt(table_X, kind, level)


def test_unknown_kind_lists_the_valid_ones(table_X):
    with pytest.raises(ConfigError, match="gaussian, masking"):
        corrupt(table_X, "salt", 0.2)


def test_a_denoising_model_removes_noise(denoiser, digit_images):
    pca = fit_pca(digit_images[denoiser.split_["train"]], denoiser.config_.latent_dim)
    for kind in NOISE_KINDS:
        result = denoise(denoiser, digit_images, kind, 0.3, seed=0, pca=pca)
        assert isinstance(result, DenoiseResult)
        assert result.gain > 0.2, result.summary()
        assert result.pca_gain is not None and result.pca_mse.shape == (120,)


def test_result_shapes_and_errors(denoiser, digit_images):
    X = digit_images[:10]
    result = denoise(denoiser, X, "gaussian", 0.3, seed=3)
    assert result.clean.shape == result.noisy.shape == result.denoised.shape == (10, 1, 8, 8)
    assert result.noisy_mse.shape == result.denoised_mse.shape == (10,)
    assert result.noisy_mse.dtype == np.float64 and result.pca_mse is None and result.pca_gain is None
    assert np.array_equal(result.noisy, corrupt(X, "gaussian", 0.3, seed=3, pixels=True))  # pixel model: clipped
    assert np.allclose(result.noisy_mse, ((result.noisy - X) ** 2).reshape(10, -1).mean(1))
    assert np.allclose(result.denoised, denoiser.reconstruct(result.noisy))
    gain = 1 - result.denoised_mse.mean() / result.noisy_mse.mean()
    assert result.gain == pytest.approx(gain)


def test_summary_mentions_pca_when_given(denoiser, digit_images):
    pca = fit_pca(digit_images, 8)
    text = denoise(denoiser, digit_images[:40], "gaussian", 0.3, pca=pca).summary()
    assert text.startswith("On 40 images with gaussian noise 0.30: the model removes ")
    assert "PCA-8" in text and "than PCA" in text
    alone = denoise(denoiser, digit_images[:40], "gaussian", 0.3).summary()
    assert "PCA" not in alone


def test_summary_is_honest():
    clean = np.zeros((4, 3), np.float32)
    noisy, err = np.full((4,), 1.0), np.full((4,), 2.0)
    worse = DenoiseResult(clean, clean, clean, noisy, err, np.full((4,), 0.5), "masking", 0.2, 3)
    assert worse.gain == pytest.approx(-1.0) and worse.pca_gain == pytest.approx(0.5)
    text = worse.summary()
    assert text.startswith("On 4 rows with masking noise 0.20") and "adds 100% to the noise's error" in text
    assert "further from the clean input than the noisy input" in text and "PCA does better" in text
    loses = DenoiseResult(clean, clean, clean, noisy, np.full((4,), 0.8), np.full((4,), 0.5), "masking", 0.2, 3)
    assert "removes 20%" in loses.summary() and "no better than PCA" in loses.summary()
    silent = DenoiseResult(clean, clean, clean, np.zeros(4), np.zeros(4))
    assert silent.gain == 0.0 and "nothing to remove" in silent.summary()


def test_a_plain_table_model_works_too(fitted, table_X):
    result = denoise(fitted, table_X, "gaussian", 0.5, pca=fit_pca(table_X, 2))
    assert result.denoised.shape == table_X.shape and np.isfinite(result.gain)
    assert result.noisy.min() < 0  # a table model's noise is not clipped
    assert "On 120 rows" in result.summary() and "PCA-2" in result.summary()


def test_an_unfitted_model_or_wrong_pca_is_refused(fitted, table_X, digit_images):
    with pytest.raises(ConfigError, match="not trained"):
        denoise(Autoencoder(), table_X, "gaussian", 0.1)
    with pytest.raises(ValueError, match="fit_pca"):
        denoise(fitted, table_X, "gaussian", 0.1, pca=fit_pca(digit_images, 2))


def test_fit_pca_caps_k():
    X = np.random.default_rng(0).random((5, 3, 4))
    assert fit_pca(X, 2).n_components_ == 2
    assert fit_pca(X, 50).n_components_ == 5  # rows cap it


def test_sample_rows():
    assert np.array_equal(sample_rows(10), np.arange(10))
    rows = sample_rows(1000, seed=1)
    assert len(rows) == DEFAULT_SAMPLE == len(set(rows)) and np.all(np.diff(rows) > 0) and rows.max() < 1000
    assert np.array_equal(rows, sample_rows(1000, seed=1)) and not np.array_equal(rows, sample_rows(1000, seed=2))
    assert len(sample_rows(1000, size=10)) == 10
