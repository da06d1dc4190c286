"""The same data, settings and seed give the same model and the same map, whatever else runs in the
process at the same time: no fit changes PyTorch's process-wide seed or thread count."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from aecore import Autoencoder, images_from_array
from aecore.explore import explore


def weights(model) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.network_.state_dict().items()}


def fit_both_at_once(a: dict, b: dict, data_a, data_b) -> tuple:
    """Fit two models in two threads started together; returns them (a, b)."""
    models, errors = {}, []
    barrier = threading.Barrier(2)

    def run(name, params, data):
        try:
            barrier.wait()
            models[name] = Autoencoder(**params).fit(data)
        except Exception as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=("a", a, data_a)), threading.Thread(target=run, args=("b", b, data_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return models["a"], models["b"]


@pytest.mark.parametrize("name", ["dense", "denoising", "vae", "conv-vae"])
def test_two_fits_at_once_match_a_fit_alone(name, digit_images, fast):
    data = images_from_array(digit_images)
    params = dict(fast, model=name, epochs=3, hidden=[8, 16] if name.startswith("conv") else [16])
    alone = Autoencoder(**params).fit(data)
    other = dict(params, seed=7, model="denoising")  # a stochastic neighbour drawing noise all the time
    torch.manual_seed(12345)  # whatever the process-wide generator holds must not matter either
    together, _ = fit_both_at_once(params, other, data, images_from_array(digit_images[::-1].copy()))
    for key, value in weights(alone).items():
        assert torch.equal(value, weights(together)[key]), key
    losses = ("train_loss", "val_loss", "val_mse")  # timings differ, every loss must not
    assert [[h[k] for k in losses] for h in alone.history_] == [[h[k] for k in losses] for h in together.history_]
    np.testing.assert_array_equal(alone.transform(data), together.transform(data))


def test_a_fit_leaves_the_process_settings_alone(table_X, fast):
    torch.manual_seed(99)
    before = torch.random.get_rng_state()
    threads = torch.get_num_threads()
    Autoencoder(**dict(fast, model="vae")).fit(table_X)
    assert torch.equal(torch.random.get_rng_state(), before) and torch.get_num_threads() == threads


def test_same_seed_same_map_while_another_map_is_made(table_X, fast):
    """UMAP with a seed is deterministic; the app passes the model's seed."""
    import pandas as pd

    from aecore import table_dataset

    data = table_dataset(pd.DataFrame(np.tile(table_X, (3, 1)) + 0.01 * np.arange(360)[:, None]))
    model = Autoencoder(**dict(fast, latent_dim=3)).fit(data)
    alone = explore(model, data, "umap", seed=0).xy
    maps = {}
    workers = [threading.Thread(target=lambda k=k: maps.__setitem__(k, explore(model, data, "umap", seed=k).xy))
               for k in (0, 5)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(300)
    np.testing.assert_array_equal(maps[0], alone)
    assert not np.array_equal(maps[5], alone)
