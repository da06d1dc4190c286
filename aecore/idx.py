"""Reading the IDX format (MNIST's), gzipped or not: used for benchmarks and manual checks."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from .errors import DataError

IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path) -> np.ndarray:
    """An IDX file -> ndarray with the shape its header declares."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise DataError(f"'{path}' is not an IDX file.")
    ndim = raw[3]
    dims = np.frombuffer(raw, ">u4", count=ndim, offset=4).astype(int)
    dtype = np.dtype(IDX_TYPES[raw[2]])
    expected = int(np.prod(dims)) * dtype.itemsize
    body = raw[4 + 4 * ndim:]
    if len(body) != expected:
        raise DataError(f"'{path}' is truncated: expected {expected} data bytes, found {len(body)}.")
    return np.frombuffer(body, dtype).reshape(dims)


def load_mnist(folder, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(images (n, 28, 28) float32 in [0, 1], labels (n,) int) from t10k-* files in folder."""
    folder = Path(folder)
    images = read_idx(folder / "t10k-images-idx3-ubyte.gz")[:limit]
    labels = read_idx(folder / "t10k-labels-idx1-ubyte.gz")[:limit]
    return images.astype(np.float32) / 255.0, labels.astype(int)
