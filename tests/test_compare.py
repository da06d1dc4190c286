"""Comparing models of the same data: map trustworthiness and neighbour agreement between two latent spaces."""
from __future__ import annotations

import numpy as np
import pytest

from aecore.compare import map_trustworthiness, nearest_others, neighbour_agreement
from aecore.errors import ConfigError
from aecore.projection import pca_2d


def gaussian(n: int, d: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)


def test_identical_codes_agree_completely():
    codes = gaussian(400, 6)
    assert neighbour_agreement(codes, codes.copy()) == 1.0


def test_permuted_scaled_and_shifted_dims_agree_completely():
    rng = np.random.default_rng(1)
    codes = gaussian(400, 8)
    other = codes[:, rng.permutation(8)] * 3.0 + 7.0  # the same geometry in another basis, unit and place
    assert neighbour_agreement(codes, other, sample=200) == 1.0


def test_different_latent_sizes():
    """A rotation into a wider space keeps every distance: the 5-D and 9-D codes agree; other codes do not."""
    rng = np.random.default_rng(2)
    codes = gaussian(300, 5)
    q, _ = np.linalg.qr(rng.standard_normal((9, 5)))  # (9, 5) with orthonormal columns
    wider = codes @ q.T                               # (300, 9)
    assert neighbour_agreement(codes, wider) == pytest.approx(1.0)
    assert neighbour_agreement(codes, gaussian(300, 2, seed=3)) < 0.3


def test_unrelated_codes_agree_little():
    value = neighbour_agreement(gaussian(500, 8, seed=4), gaussian(500, 8, seed=5), k=10)
    assert 0.0 <= value < 0.3  # chance is about k / n = 0.02


def test_agreement_is_seeded_and_bounded():
    a, b = gaussian(3000, 4, seed=6), gaussian(3000, 4, seed=6) + 0.3 * gaussian(3000, 4, seed=7)
    first = neighbour_agreement(a, b, sample=300, seed=1)
    assert first == neighbour_agreement(a, b, sample=300, seed=1)
    assert 0.0 < first < 1.0


def test_nearest_others_are_exact_and_never_the_row_itself():
    codes = gaussian(500, 3, seed=8).astype(np.float64)
    codes[20:35] = codes[20]  # 15 identical codes: more than k + 1 of them sit at distance 0
    rows = np.array([0, 20, 27, 34, 499])
    found = nearest_others(codes, rows, 5)
    assert found.shape == (5, 5) and found.dtype == np.int64
    for row, near in zip(rows, found, strict=True):
        assert row not in near and len(set(near)) == 5
        d = np.linalg.norm(codes - codes[row], axis=1)
        d[row] = np.inf
        assert np.allclose(np.sort(d[near]), np.sort(d)[:5])
    assert set(found[1]) <= set(range(21, 35))  # a duplicate's nearest others are its copies


def test_small_data_does_not_raise():
    for n in (1, 2, 3, 12):
        codes = gaussian(n, 3, seed=n)
        assert 0.0 <= neighbour_agreement(codes, codes[:, :2]) <= 1.0
        assert 0.0 <= map_trustworthiness(codes, codes[:, :2]) <= 1.0
    assert neighbour_agreement(gaussian(1, 3), gaussian(1, 2)) == 1.0
    assert map_trustworthiness(gaussian(2, 3), gaussian(2, 2)) == 1.0


def test_trustworthiness_of_truly_2d_codes_is_near_one():
    rng = np.random.default_rng(9)
    plane = rng.standard_normal((800, 2)) * [3.0, 1.0]
    codes = plane @ rng.standard_normal((2, 8)) + 1e-3 * rng.standard_normal((800, 8))  # a plane in 8-D
    xy = pca_2d(codes)
    value = map_trustworthiness(codes, xy)
    assert isinstance(value, float) and value > 0.95


def test_trustworthiness_of_a_random_map_is_low():
    codes = gaussian(600, 6, seed=10)
    assert map_trustworthiness(codes, gaussian(600, 2, seed=11)) < 0.7  # about 0.5 by chance
    assert map_trustworthiness(codes, gaussian(600, 2, seed=11), sample=200) < 0.7  # sampled


@pytest.mark.parametrize("call", [neighbour_agreement, map_trustworthiness])
def test_rows_must_match(call):
    with pytest.raises(ConfigError, match="same rows"):
        call(gaussian(10, 3), gaussian(11, 2))
    with pytest.raises(ConfigError, match="NaN"):
        call(np.full((10, 3), np.nan), gaussian(10, 2))
