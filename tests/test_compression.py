"""The code as compression: its cost in bytes, 8-bit codes, what a row loses, and error vs latent size."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from aecore import Autoencoder, ConfigError
from aecore.compression import (
    CodeCost,
    Quantizer,
    RowLoss,
    SweepPoint,
    code_cost,
    default_latents,
    psnr,
    row_loss,
    sweep,
)

# Tiny fits for the sweep: its own parameters (latent, time limit, seed, splits) come from sweep().
TINY = dict(epochs=4, hidden=[16], batch_size=32, lr=1e-2)


def test_code_cost_of_an_image():
    cost = code_cost((1, 28, 28), 8, "image")
    assert cost == CodeCost(784, 32, 8)  # 8-bit pixels vs 8 float32 values vs 8 bytes
    assert cost.ratio_float32 == pytest.approx(24.5) and cost.ratio_uint8 == pytest.approx(98.0)


def test_code_cost_of_a_table_row():
    cost = code_cost((13,), 3, "table")
    assert (cost.input_bytes, cost.float32_bytes, cost.uint8_bytes) == (52, 12, 3)
    assert cost.ratio_float32 == pytest.approx(52 / 12) and cost.ratio_uint8 == pytest.approx(52 / 3)


@pytest.mark.parametrize(("shape", "latent", "kind"), [((13,), 3, "text"), ((), 3, "table"), ((13,), 0, "table"),
                                                       ((0, 4), 2, "image")])
def test_code_cost_refuses_nonsense(shape, latent, kind):
    with pytest.raises(ConfigError):
        code_cost(shape, latent, kind)


def test_quantizer_round_trip_is_within_half_a_step():
    rng = np.random.default_rng(0)
    codes = (rng.standard_normal((500, 6)) * [1, 10, 0.01, 100, 1, 1]).astype(np.float32)
    codes[:, 4] = 3.5  # a constant dimension: no range, no division by zero
    quant = Quantizer.fit(codes)
    q = quant.encode(codes)
    assert q.dtype == np.uint8 and q.shape == codes.shape
    back = quant.decode(q)
    assert back.dtype == np.float32 and back.shape == codes.shape
    step = (codes.max(0).astype(np.float64) - codes.min(0)) / 255
    assert np.all(np.abs(back - codes) <= step / 2 + 1e-6 * np.abs(codes).max(0))
    assert np.all(back[:, 4] == 3.5) and np.all(q[:, 4] == 0)
    assert q.min() == 0 and q.max() == 255  # the range's ends are used
    assert quant.overhead_bytes == 2 * 4 * 6


def test_quantizer_clips_codes_outside_its_range():
    quant = Quantizer.fit(np.array([[0.0, -1.0], [1.0, 1.0]], np.float32))
    q = quant.encode(np.array([[-5.0, 0.0], [5.0, 9.0]], np.float32))
    assert q.tolist() == [[0, 128], [255, 255]]
    assert quant.decode(q)[1].tolist() == [1.0, 1.0]


def test_quantizer_refuses_wrong_codes():
    quant = Quantizer.fit(np.zeros((3, 4), np.float32))
    for bad in (np.zeros((3, 5)), np.zeros(4), np.full((2, 4), np.nan)):
        with pytest.raises(ValueError):
            quant.encode(bad)
    with pytest.raises(ValueError):
        Quantizer.fit(np.zeros((0, 4)))


def test_psnr():
    assert psnr(0.0) == float("inf")
    assert psnr(0.01) == pytest.approx(20.0)
    assert psnr(0.0001, peak=1.0) == pytest.approx(40.0)
    assert psnr(4.0, peak=2.0) == pytest.approx(0.0)
    many = psnr(np.array([0.0, 0.1]))
    assert many[0] == np.inf and many[1] == pytest.approx(10.0)


def test_row_loss_of_an_image(digit_images, fast):
    model = Autoencoder(**dict(fast, latent_dim=4)).fit(digit_images)
    quant = Quantizer.fit(model.transform(digit_images))
    loss = row_loss(model, digit_images[:1], quant, "image")
    assert isinstance(loss, RowLoss)
    assert loss.mse_float32 == pytest.approx(float(model.reconstruction_error(digit_images[:1])[0]), rel=1e-4)
    assert loss.mse_uint8 == pytest.approx(loss.mse_float32, rel=0.05, abs=1e-4)  # 8 bits lose little
    assert loss.psnr_float32 == pytest.approx(psnr(loss.mse_float32)) and loss.psnr_uint8 > 10


def test_row_loss_of_a_table_row(fitted, table_X):
    loss = row_loss(fitted, table_X[5:6], Quantizer.fit(fitted.transform(table_X)), "table")
    assert loss.psnr_float32 is None and loss.psnr_uint8 is None and np.isfinite(loss.mse_uint8)
    with pytest.raises(ValueError, match="one row"):
        row_loss(fitted, table_X[:2], Quantizer.fit(fitted.transform(table_X)), "table")


def test_sweep_on_digits(digit_images):
    heard = []
    points = sweep(digit_images, [2, 4], seconds_each=1, seed=0, on_point=heard.append, base_params=TINY)
    assert [p.latent_dim for p in points] == [2, 4] and heard == points
    assert all(isinstance(p, SweepPoint) and np.isfinite(p.ae_mse) and np.isfinite(p.pca_mse) for p in points)
    assert points[1].pca_mse < points[0].pca_mse
    assert all(0 < p.seconds < 5 for p in points)
    again = sweep(digit_images, [2], seconds_each=1, seed=0, base_params=TINY)
    assert again[0].pca_mse == points[0].pca_mse  # the same seed holds out the same rows


def test_sweep_cancelled_beforehand_returns_nothing(digit_images):
    cancel = threading.Event()
    cancel.set()
    assert sweep(digit_images, [2, 4], seconds_each=1, cancel=cancel, base_params=TINY) == []


def test_sweep_stops_when_cancelled_between_points(digit_images):
    cancel = threading.Event()
    points = sweep(digit_images, [2, 4, 8], seconds_each=1, cancel=cancel, on_point=lambda p: cancel.set(),
                   base_params=TINY)
    assert [p.latent_dim for p in points] == [2]


def test_sweep_skips_latents_as_wide_as_the_features(table_X):
    points = sweep(table_X, [2, 6, 8], seconds_each=1, base_params=TINY)  # table_X has 6 features
    assert [p.ae_mse is None for p in points] == [False, True, True]
    assert points[1].pca_mse == pytest.approx(0.0, abs=1e-8)


def test_sweep_on_tiny_data_uses_every_row(table_X):
    points = sweep(table_X[:6], [1, 2], seconds_each=1, base_params=TINY)
    assert len(points) == 2 and all(np.isfinite(p.ae_mse) for p in points)


def test_sweep_refuses_its_own_parameters_in_base_params(table_X):
    with pytest.raises(ConfigError, match="latent_dim"):
        sweep(table_X, [2], base_params=dict(latent_dim=3))
    with pytest.raises(ConfigError):
        sweep(table_X, [0])


def test_default_latents():
    assert default_latents(784) == [2, 4, 8, 16, 32, 64]
    assert default_latents(13) == [2, 4, 8]
    assert default_latents(4) == [2]
    assert default_latents(2) == default_latents(1) == [1]
