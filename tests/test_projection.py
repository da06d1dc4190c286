"""project() (PCA and one UMAP run), project_map at scale (duplicates once, the sample above a limit, the
sentence the page shows, the cuML fallback), MapInverse (map point -> latent code) and place_on_map."""
from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from aecore import ConfigError
from aecore import projection as P
from aecore.projection import (
    PROJECTIONS,
    MapInverse,
    NeighbourBlend,
    distinct_rows,
    pca_2d,
    place_on_map,
    project,
    project_map,
    sample_rows,
    umap_backend,
)


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


def test_exact_neighbours_are_the_nearest_codes_self_first():
    Z, _ = blobs(200)
    indices, distances = P.exact_neighbours(Z, 15)
    full = np.linalg.norm(Z[:, None] - Z[None], axis=-1)
    assert indices.dtype == np.int32 and distances.dtype == np.float32 and indices.shape == (200, 15)
    assert (indices[:, 0] == np.arange(200)).all() and np.allclose(distances[:, 0], 0)
    assert np.allclose(distances, np.sort(full, axis=1)[:, :15], atol=1e-4)


@pytest.mark.parametrize("exact", [True, False])
def test_umap_with_exact_or_nn_descent_neighbours(exact):
    """Both ways of finding UMAP's neighbours give the same kind of map; only NN-descent can transform."""
    Z, labels = blobs(300)
    xy, reducer = P.fit_umap(Z, random_state=0, exact=exact, return_reducer=True)
    assert xy.shape == (300, 2) and np.isfinite(xy).all() and neighbour_purity(xy, labels) > 0.95
    if not exact:
        assert np.isfinite(reducer.transform(Z[:5])).all()


def test_small_maps_use_exact_neighbours_large_ones_nn_descent(monkeypatch):
    seen = []
    real = P.exact_neighbours
    monkeypatch.setattr(P, "exact_neighbours", lambda Z, k: seen.append(len(Z)) or real(Z, k))
    monkeypatch.setattr(P, "EXACT_KNN_ROWS", 100)
    Z, _ = blobs(300)
    P.fit_umap(Z[:100], random_state=0)
    P.fit_umap(Z, random_state=0)
    P.fit_umap(Z[:100], random_state=0, return_reducer=True)  # a reducer kept to transform: NN-descent
    assert seen == [100]


@pytest.mark.parametrize("n", [16, 40])
def test_umap_on_few_rows(n):
    """The smallest sizes UMAP takes (fewer rows than its default neighbours)."""
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


# -- project_map: duplicates, the sample, the sentence, the GPU ------------------------------------
def test_identical_codes_are_projected_once_and_share_a_spot():
    Z, labels = blobs(200)
    tiled = np.concatenate([Z, Z[:50], Z[:50]])  # 100 duplicate rows
    result = project_map(tiled, "umap", random_state=0)
    assert result.xy.shape == (300, 2) and (result.rows, result.distinct, result.fitted) == (300, 200, 200)
    assert np.array_equal(result.xy[200:250], result.xy[:50]) and np.array_equal(result.xy[250:], result.xy[:50])
    assert not result.sampled and set(result.timings) == {"dedupe", "fit", "place"}
    assert result.description == "UMAP on all 300 rows (200 distinct). Identical codes share one spot."
    assert neighbour_purity(result.xy[:200], labels) > 0.95


def test_distinct_rows_and_sample():
    Z = np.array([[1, 2], [0, 0], [1, 2], [0, 0], [3, 3]], np.float32)
    distinct, inverse = distinct_rows(Z)
    assert len(distinct) == 3 and np.array_equal(distinct[inverse], Z)
    assert np.array_equal(sample_rows(10, 20), np.arange(10))
    picked = sample_rows(1000, 100)
    assert len(np.unique(picked)) == 100 and np.array_equal(picked, np.sort(picked))
    assert np.array_equal(picked, sample_rows(1000, 100))  # seeded


def test_above_the_limit_umap_fits_a_sample_and_places_the_rest():
    Z, labels = blobs(400)
    result = project_map(np.concatenate([Z, Z[:40]]), "umap", random_state=0, sample_limit=100)
    assert result.sampled and (result.rows, result.distinct, result.fitted) == (440, 400, 100)
    assert result.description == ("UMAP on 100 of 440 rows (400 distinct); the rest placed by the blend of their "
                                  f"{P.PLACE_K} nearest fitted codes' positions. Identical codes share one spot.")
    assert np.isfinite(result.xy).all() and np.array_equal(result.xy[400:], result.xy[:40])
    assert neighbour_purity(result.xy[:400], labels) > 0.95  # placed codes land in their own cluster
    again = project_map(np.concatenate([Z, Z[:40]]), "umap", random_state=0, sample_limit=100)
    assert np.array_equal(result.xy, again.xy)  # deterministic with a seed, sample included


def test_without_duplicates_the_sentence_says_all_rows():
    Z, _ = blobs(120)
    result = project_map(Z, "umap", random_state=0)
    assert result.description == "UMAP on all 120 rows." and result.backend == "umap-learn"
    assert project_map(Z, "pca").description == "PCA of all 120 rows."
    own = "The 2-D codes of all 120 rows are the map itself (no projection)."
    assert project_map(Z[:, :2], "umap").description == own
    with pytest.raises(ConfigError, match="sample_limit must be at least 16"):
        project_map(Z, "umap", sample_limit=5)


def test_heavily_duplicated_codes_do_not_stall():
    """20,000 rows of 50 distinct codes (in 5 clusters): UMAP sees 50 points, and every copy shares its spot."""
    rng = np.random.default_rng(0)
    cluster = np.arange(50) % 5
    base = (rng.standard_normal((50, 8)) + cluster[:, None] * 8.0).astype(np.float32)
    pick = rng.integers(0, 50, 20_000)
    result = project_map(base[pick], "umap", random_state=0)
    assert (result.distinct, result.fitted) == (50, 50) and np.isfinite(result.xy).all()
    assert len(np.unique(result.xy, axis=0)) == 50
    assert neighbour_purity(result.xy[np.unique(pick, return_index=True)[1]], cluster[np.unique(pick)], k=4) > 0.9
    few = project_map(base[np.arange(1000) % 10], "umap")  # 10 distinct codes: too few for UMAP
    assert few.method == "pca" and "at least 16 distinct codes and these have 10" in few.description


def test_cuml_missing_or_without_a_device_falls_back(monkeypatch):
    monkeypatch.setitem(sys.modules, "cuml", None)  # import fails
    assert umap_backend() == "umap-learn"
    fake_cuml, fake_cupy = fake_gpu(monkeypatch, devices=0)
    assert umap_backend() == "umap-learn"
    fake_cupy.cuda.runtime.getDeviceCount = lambda: (_ for _ in ()).throw(RuntimeError("no CUDA driver"))
    assert umap_backend() == "umap-learn"


def test_cuml_with_a_device_fits_the_map(monkeypatch):
    fake_cuml, _ = fake_gpu(monkeypatch, devices=1)
    Z, _ = blobs(200)
    result = project_map(np.concatenate([Z, Z[:10]]), "umap", random_state=3)
    assert result.backend == "cuml" and fake_cuml.calls == [(200, 3)] and result.fitted == 200
    assert result.description.startswith("UMAP (on the GPU, RAPIDS cuML) on all 210 rows (200 distinct).")


def fake_gpu(monkeypatch, devices: int):
    """Stand-ins for cupy and cuml.manifold: a device count, and a UMAP that records its fits (PCA inside)."""
    calls = []

    class UMAP:
        def __init__(self, n_components, n_neighbors, min_dist, random_state, output_type):
            self.random_state = random_state

        def fit_transform(self, Z):
            calls.append((len(Z), self.random_state))
            return pca_2d(Z)

    cuml = types.ModuleType("cuml")
    cuml.calls = calls
    cuml.manifold = types.ModuleType("cuml.manifold")
    cuml.manifold.UMAP = UMAP
    cupy = types.ModuleType("cupy")
    cupy.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: devices))
    monkeypatch.setitem(sys.modules, "cuml", cuml)
    monkeypatch.setitem(sys.modules, "cuml.manifold", cuml.manifold)
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    return cuml, cupy


def test_spacing_ignores_duplicate_points():
    xy = np.repeat(np.array([[0, 0], [1, 0], [3, 0]], np.float32), 5, axis=0)  # every point five times
    blend = NeighbourBlend(xy, np.zeros((15, 1)))
    assert blend.spacing in (1.0, 2.0)  # a real gap between points, not the 0 between copies


def test_a_spot_beside_a_dense_cluster_is_near_the_data():
    """Near-duplicate rows packed a hair apart (as UMAP places them) must not make a spot that a person sees
    beside the cluster read as far from the data: the spacing is at least MIN_SPACING_SHARE of the span."""
    rng = np.random.default_rng(0)
    xy = np.vstack([rng.normal(0, 1e-4, (500, 2)), rng.normal(10, 1e-4, (500, 2))])  # two tight clumps
    blend = NeighbourBlend(xy, np.zeros((len(xy), 1)))
    assert blend.spacing == pytest.approx(P.MIN_SPACING_SHARE * np.ptp(xy, axis=0).max())
    _, beside = blend(np.array([0.2, 0.0]))  # 1.4% of the span from the first clump
    _, far = blend(np.array([5.0, 0.0]))     # halfway between the clumps
    assert beside < P.FAR_FROM_DATA < far


def test_place_on_map_in_chunks(monkeypatch):
    Z, _ = blobs(60)
    xy = pca_2d(Z).astype(np.float32)
    whole = place_on_map(Z, xy, Z + 0.01)
    monkeypatch.setattr(P, "PLACE_CHUNK", 7)
    assert np.allclose(place_on_map(Z, xy, Z + 0.01), whole)


def test_warm_up_compiles_each_way_once(monkeypatch):
    calls = []
    monkeypatch.setattr(P, "_warm_seconds", {})
    monkeypatch.setattr(P, "fit_umap", lambda Z, exact: calls.append(exact))
    assert P.warm_up() >= 0.0 and calls == [True] and True in P._warm_seconds and False not in P._warm_seconds
    assert P.warm_up() == 0.0 and calls == [True]
    P.warm_up(exact=False)
    assert calls == [True, False] and False in P._warm_seconds
    assert P.needs_nn_descent(P.EXACT_KNN_ROWS + 1) and not P.needs_nn_descent(P.EXACT_KNN_ROWS)
    # every map fitted on at most SAMPLE_LIMIT codes (the app's, the CLI's) is exact: no NN-descent compile
    assert not P.needs_nn_descent(P.SAMPLE_LIMIT)
