"""read_idx on small IDX files written here (plain and gzipped), and load_mnist on a fake folder."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from aecore import DataError
from aecore.idx import load_mnist, read_idx


def idx_bytes(arr: np.ndarray, code: int) -> bytes:
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.tobytes()


@pytest.mark.parametrize("gz", [False, True])
def test_read_uint8_images(tmp_path, gz):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    data = idx_bytes(arr, 0x08)
    path = tmp_path / ("x.idx.gz" if gz else "x.idx")
    path.write_bytes(gzip.compress(data) if gz else data)
    out = read_idx(path)
    assert out.dtype == np.uint8 and np.array_equal(out, arr)


@pytest.mark.parametrize("code,dtype", [(0x09, np.int8), (0x0B, ">i2"), (0x0C, ">i4"), (0x0D, ">f4"), (0x0E, ">f8")])
def test_other_types(tmp_path, code, dtype):
    arr = (np.arange(6) - 3).astype(dtype).reshape(3, 2)
    path = tmp_path / "x.idx"
    path.write_bytes(idx_bytes(arr, code))
    assert np.array_equal(read_idx(path), arr)


def test_labels_one_dimensional(tmp_path):
    labels = np.array([7, 2, 1, 0], np.uint8)
    (tmp_path / "l.idx").write_bytes(idx_bytes(labels, 0x08))
    assert read_idx(tmp_path / "l.idx").tolist() == [7, 2, 1, 0]


def test_truncated_file(tmp_path):
    arr = np.zeros((4, 5, 5), np.uint8)
    path = tmp_path / "t.idx"
    path.write_bytes(idx_bytes(arr, 0x08)[:-7])
    with pytest.raises(DataError, match="is truncated: expected 100 data bytes, found 93"):
        read_idx(path)
    path.write_bytes(gzip.compress(idx_bytes(arr, 0x08) + b"extra"))
    with pytest.raises(DataError, match="expected 100 data bytes, found 105"):
        read_idx(path)


@pytest.mark.parametrize("data", [b"", b"\x00", b"PK\x03\x04rest", b"\x00\x00\x42\x01\x00\x00\x00\x01x"])
def test_not_idx(tmp_path, data):
    path = tmp_path / "bad.idx"
    path.write_bytes(data)
    with pytest.raises(DataError, match="is not an IDX file"):
        read_idx(path)


def test_load_mnist(tmp_path):
    images = np.full((3, 28, 28), 255, np.uint8)
    images[1] = 0
    labels = np.array([5, 0, 4], np.uint8)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images, 0x08)))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels, 0x08)))
    X, y = load_mnist(tmp_path)
    assert X.shape == (3, 28, 28) and X.dtype == np.float32 and X.max() == 1.0 and X[1].max() == 0.0
    assert y.tolist() == [5, 0, 4]
    X2, y2 = load_mnist(tmp_path, limit=2)
    assert len(X2) == len(y2) == 2
