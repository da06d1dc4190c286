"""project() (PCA and one UMAP run), MapInverse (map point -> latent code) and place_on_map."""
from __future__ import annotations

import numpy as np
import pytest

from aecore import ConfigError
from aecore.projection import PROJECTIONS, MapInverse, NeighbourBlend, pca_2d, place_on_map, project


def blobs(n: int = 300, d: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    Z = rng.standard_normal((n, d)).astype(np.float32) + labels[:, None] * 6.0
    return Z, labels


def neighbour_purity(xy: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    from scipy.spatial import cKDTree

    _, idx = cKDTree(xy).query(xy, k=k + 1)
    return float((labels[idx[:, 1:]] == labels[:, None]).mean())


# -- project ---------------------------------------------------------------------------------------
def test_pca_shape_and_determinism():
    Z, labels = blobs(100)
    xy = project(Z, "pca")
    assert xy.shape == (100, 2) and xy.dtype == np.float32
    assert np.allclose(xy.mean(0), 0, atol=1e-4)
    assert np.array_equal(xy, project(Z, "pca"))
    assert neighbour_purity(xy, labels) > 0.95
    assert xy[:, 0].var() >= xy[:, 1].var()  # first axis carries the most variance


def test_pca_sign_is_stable_under_row_order():
    Z, _ = blobs(60)
    perm = np.random.default_rng(1).permutation(60)
    assert np.allclose(project(Z, "pca")[perm], project(Z[perm], "pca"), atol=1e-4)


def test_pca_of_rank_one_codes_pads_with_zeros():
    Z = np.outer(np.arange(5.0), [1.0, 2.0, 3.0])
    out = pca_2d(Z)
    assert out.shape == (5, 2)
    Z2 = np.random.default_rng(0).standard_normal((1, 4))  # one row: SVD gives one component
    assert pca_2d(Z2).shape == (1, 2)


@pytest.mark.slow
def test_umap_shape_and_structure():
    Z, labels = blobs(300)
    xy = project(Z, "umap", random_state=0)
    assert xy.shape == (300, 2) and xy.dtype == np.float32 and np.isfinite(xy).all()
    assert neighbour_purity(xy, labels) > 0.95


@pytest.mark.parametrize("n", [16, 40])
def test_umap_on_few_rows(n):
    """The smallest sizes UMAP takes (NN-descent with fewer rows than its default neighbours)."""
    Z, _ = blobs(n)
    xy = project(Z, "umap", random_state=0)
    assert xy.shape == (n, 2) and np.isfinite(xy).all() and (xy.std(0) > 0).all()


def test_umap_falls_back_to_pca_for_tiny_data():
    Z, _ = blobs(10)
    assert np.array_equal(project(Z, "umap"), project(Z, "pca"))


@pytest.mark.parametrize("method", PROJECTIONS)
def test_two_d_latent_is_its_own_map(method):
    Z = np.random.default_rng(0).standard_normal((50, 2)).astype(np.float32)
    xy = project(Z, method)
    assert np.array_equal(xy, Z)
    xy[0, 0] = 99.0
    assert Z[0, 0] != 99.0  # a copy, not a view


def test_one_d_latent_gets_a_zero_y():
    Z = np.arange(5, dtype=np.float32)[:, None]
    assert np.array_equal(project(Z, "pca"), np.column_stack([np.arange(5), np.zeros(5)]).astype(np.float32))


def test_unknown_method_and_bad_shapes():
    with pytest.raises(ConfigError, match="Unknown projection 'tsne'. Choose one of: umap, pca"):
        project(np.zeros((5, 3)), "tsne")
    with pytest.raises(ConfigError, match="codes of shape \\(n, latent\\)"):
        project(np.zeros(5), "pca")
    with pytest.raises(ConfigError, match="n >= 1"):
        project(np.zeros((0, 3)), "pca")


# -- MapInverse ------------------------------------------------------------------------------------
@pytest.fixture
def grid_map():
    xy = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [5, 5]], dtype=np.float32)
    Z = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [9, 9, 9]], dtype=np.float32)
    return xy, Z


def test_data_point_gives_its_own_code_exactly(grid_map):
    xy, Z = grid_map
    inverse = MapInverse(xy, Z)
    for i in range(len(xy)):
        code, distance = inverse.decode_point(*xy[i])
        assert np.array_equal(code, Z[i]) and distance == 0.0
    code, _ = inverse(xy[2])
    code[0] = 42.0
    assert Z[2, 0] == 0.0  # the answer is a copy


def test_between_points_is_a_blend(grid_map):
    xy, Z = grid_map
    code, distance = MapInverse(xy, Z, k=2).decode_point(0.5, 0.0)
    assert np.allclose(code, [0.5, 0, 0])  # equidistant from two points: their mean
    assert distance == pytest.approx(0.5)
    code, _ = MapInverse(xy, Z).decode_point(0.3, 0.6)  # all neighbours: inside the codes' range
    assert np.all(code >= Z.min(0)) and np.all(code <= Z.max(0))
    assert code.dtype == np.float32 and code.shape == (3,)


def test_distance_grows_far_away(grid_map):
    xy, Z = grid_map
    inverse = MapInverse(xy, Z)
    distances = [inverse.decode_point(1.0 + t, 0.0)[1] for t in (0.1, 1.0, 10.0, 100.0)]
    assert distances == sorted(distances) and distances[0] < 1 < distances[-1]
    assert np.all(np.isfinite(inverse.decode_point(1e6, -1e6)[0]))


def test_many_matches_single_queries(grid_map):
    xy, Z = grid_map
    inverse = MapInverse(xy, Z, k=3)
    points = np.array([[0.2, 0.1], [3.0, 3.0], [0.9, 0.8]])
    assert np.allclose(inverse.many(points), np.stack([inverse(p)[0] for p in points]), atol=1e-6)


def test_neighbour_blend_needs_matching_inputs():
    with pytest.raises(ConfigError, match="neighbour blend needs"):
        NeighbourBlend(np.zeros((3, 2)), np.zeros((4, 2)))
    with pytest.raises(ConfigError):
        NeighbourBlend(np.zeros((0, 2)), np.zeros((0, 2)))
    single = MapInverse(np.zeros((1, 2)), np.ones((1, 3)))  # one point: k shrinks to 1
    assert np.array_equal(single.decode_point(2.0, 2.0)[0], np.ones(3))


def test_place_on_map(grid_map):
    xy, Z = grid_map
    placed = place_on_map(Z, xy, Z[:4])
    assert placed.shape == (4, 2)
    assert np.allclose(placed, xy[:4], atol=1e-6)  # known codes land on their own points
    between = place_on_map(Z, xy, np.array([[0.5, 0.5, 0.0]], np.float32), k=4)
    assert np.allclose(between, [[0.5, 0.5]], atol=1e-3)


def test_umap_leaves_pytorch_threads_as_they_were():
    """numba's OpenMP layer shares the thread count with PyTorch; a seeded UMAP (one thread) once left
    every later fit in the calling thread on one thread."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        project(np.random.default_rng(0).standard_normal((300, 5)).astype(np.float32), "umap", random_state=0)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
