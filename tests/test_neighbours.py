"""LatentIndex: a row's nearest other rows in latent space, and how many the map keeps nearby."""
from __future__ import annotations

import numpy as np
import pytest

from aecore.errors import ConfigError
from aecore.neighbours import KD_TREE_MAX_DIM, LatentIndex


def brute_force(codes: np.ndarray, row: int) -> np.ndarray:
    """Sorted distances from `row` to every other row, computed the slow obvious way."""
    d = np.sqrt(((codes.astype(np.float64) - codes[row].astype(np.float64)) ** 2).sum(1))
    return np.sort(np.delete(d, row))


@pytest.mark.parametrize("dim", [3, KD_TREE_MAX_DIM + 8])  # the KD-tree, and the exhaustive product
def test_duplicates_are_neighbours_but_never_the_row_itself(dim):
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((300, dim)).astype(np.float32)
    codes[10:25] = codes[10]  # 15 identical codes: more than k + 1 of them sit at distance 0
    index = LatentIndex(codes, codes[:, :2])
    nb = index.neighbours(10, k=5)
    assert 10 not in nb.rows
    assert set(nb.rows) <= set(range(11, 25)) and len(set(nb.rows)) == 5
    assert np.array_equal(nb.distances, np.zeros(5))
    for row in (0, 10, 24, 299):
        nb = index.neighbours(row, k=8)
        assert row not in nb.rows and len(nb.rows) == 8
        assert nb.rows.dtype == np.int64 and nb.distances.dtype == np.float64
        assert np.all(np.diff(nb.distances) >= 0)  # nearest first
        assert np.allclose(nb.distances, brute_force(codes, row)[:8])
        assert np.allclose(nb.distances, np.linalg.norm(codes[nb.rows] - codes[row], axis=1), atol=1e-6)


def test_exhaustive_search_is_exact_far_from_the_origin():
    """Codes far from the origin and close together: float32 |a|^2 - 2ab alone would misorder them."""
    rng = np.random.default_rng(1)
    codes = (1000.0 + 1e-3 * rng.standard_normal((500, KD_TREE_MAX_DIM + 4))).astype(np.float32)
    index = LatentIndex(codes, rng.standard_normal((500, 2)))
    for row in (0, 123, 499):
        nb = index.neighbours(row, k=6)
        expected = np.linalg.norm(codes.astype(np.float64) - codes[row].astype(np.float64), axis=1)
        expected[row] = np.inf
        assert np.array_equal(nb.rows, np.argsort(expected, kind="stable")[:6])


def test_k_is_capped_at_the_other_rows():
    codes = np.arange(8, dtype=np.float32).reshape(4, 2)
    nb = LatentIndex(codes, codes).neighbours(0, k=10)
    assert len(nb.rows) == 3 and sorted(nb.rows) == [1, 2, 3]
    assert nb.rows.tolist() == [1, 2, 3]  # on a line: nearest first
    assert nb.shared == 3 and nb.faithfulness == 1.0


def test_shared_when_the_map_is_the_code():
    rng = np.random.default_rng(2)
    codes = rng.standard_normal((200, 2)).astype(np.float32)
    index = LatentIndex(codes, codes.copy())
    for row in (0, 50, 199):
        nb = index.neighbours(row, k=10)
        assert nb.shared == 10 and nb.faithfulness == 1.0
        assert np.array_equal(nb.rows, nb.map_rows)
        assert nb.summary().startswith("10 of its 10 nearest neighbours") and "faithful" in nb.summary()


def test_shared_counted_by_hand():
    # latent: a line 0, 1, 2, 10. map: row 0's nearest are rows 2 then 3, so of its latent neighbours {1, 2}
    # only row 2 is also near it on the map.
    codes = np.array([[0.0], [1.0], [2.0], [10.0]], dtype=np.float32)
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    nb = LatentIndex(codes, xy).neighbours(0, k=2)
    assert nb.rows.tolist() == [1, 2] and nb.distances.tolist() == [1.0, 2.0]
    assert nb.map_rows.tolist() == [2, 3]
    assert nb.shared == 1 and nb.faithfulness == 0.5
    assert nb.summary() == ("1 of its 2 nearest neighbours in latent space are also among its 2 nearest on the map: "
                            "the map is faithful around this point.")
    low = LatentIndex(codes, xy).neighbours(1, k=1)  # latent: row 0 (or 2); map: row 3
    assert low.shared == 0 and "only a guide" in low.summary()
    assert low.summary().startswith("Its nearest neighbour in latent space is not its nearest on the map")


def test_bad_input_is_refused():
    codes = np.zeros((5, 3), np.float32)
    with pytest.raises(ConfigError, match="same rows"):
        LatentIndex(codes, np.zeros((4, 2)))
    index = LatentIndex(codes, np.zeros((5, 2)))
    with pytest.raises(ConfigError, match="0 to 4"):
        index.neighbours(5)
    with pytest.raises(ConfigError, match="at least 1"):
        index.neighbours(0, k=0)
