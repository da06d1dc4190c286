"""Shared fixtures for the aecore unit tests: small generated data, image/ZIP byte builders and a
tiny trained model. Everything is generated here or read from data/ and scikit-learn's bundled
datasets: the suite needs no network and nothing outside the project."""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from aecore import set_threads

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"

# One PyTorch thread for the whole test process, set once (a process-wide setting): the test machine has
# 2 cores and is often shared, and oversubscribed threads make tiny fits many times slower.
set_threads(1)
os.environ.setdefault("LATENT_EXPLORER_THREADS", "1")  # and the app under AppTest, when it makes its pool

# Tiny, fast training settings.
FAST = dict(latent_dim=2, epochs=4, hidden=[16], batch_size=32, lr=1e-2, seed=0)


@pytest.fixture
def fast() -> dict:
    """Autoencoder keyword arguments for a tiny, quick fit (a fresh dict: tests may extend it)."""
    return dict(FAST)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def table_X() -> np.ndarray:
    """(120, 6) float32 with 3 informative dimensions: something an autoencoder can learn quickly."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal((120, 3))
    X = np.hstack([base, base @ rng.standard_normal((3, 3))])
    return ((X - X.mean(0)) / X.std(0)).astype(np.float32)


@pytest.fixture(scope="session")
def digit_images() -> np.ndarray:
    """(120, 1, 8, 8) float32 in [0, 1]: scikit-learn's bundled digits."""
    from sklearn.datasets import load_digits

    return (load_digits().images[:120, None] / 16.0).astype(np.float32)


@pytest.fixture(scope="session")
def fitted(table_X):
    """A small dense model trained on table_X. Shared: tests must not refit or mutate it."""
    from aecore import Autoencoder

    return Autoencoder(**FAST).fit(table_X)


def _image_bytes(arr, fmt: str = "PNG", mode: str | None = None, **save) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(arr, dtype=np.uint8), mode).save(buf, fmt, **save)
    return buf.getvalue()


def _zip_bytes(members, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(scope="session")
def image_bytes():
    """image_bytes(array, fmt="PNG", mode=None, **save_kwargs) -> encoded image bytes (Pillow)."""
    return _image_bytes


@pytest.fixture(scope="session")
def zip_bytes():
    """zip_bytes([(member name, bytes), ...]) -> a ZIP archive's bytes, built in memory."""
    return _zip_bytes


# -- the app under Streamlit's AppTest (helpers in tests/fixtures_ui.py) ----------------------------
@pytest.fixture
def no_umap_warm_up(monkeypatch):
    """The app warms PyTorch and compiles UMAP (~30 s of numba JIT) in a background thread started once
    per process (dashboard.main.start_warm_up). Under AppTest that process is pytest's, and every test
    here maps with PCA: skip the warm-up so it does not compete with the tests for the CPU, or run on in
    the background into other tests. Restored after each test."""
    import dashboard.main

    monkeypatch.setattr(dashboard.main, "start_warm_up", lambda: None, raising=False)


@pytest.fixture
def app(no_umap_warm_up):
    """The app after its first run: the pre-trained digits sample, ready to click."""
    from tests.fixtures_ui import new_app

    at = new_app().run()
    assert not at.exception, at.exception
    return at
