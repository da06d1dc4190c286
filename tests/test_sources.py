"""read_bytes: paths, bytes and file-like objects, with the size checked before the whole is read."""
from __future__ import annotations

import io

import pytest

from aecore import DataError
from aecore.sources import read_bytes


class CountingReader(io.BytesIO):
    """A file-like object that records how much was asked of it."""

    name = "upload.csv"
    asked: list

    def read(self, size=-1):
        self.asked = getattr(self, "asked", []) + [size]
        return super().read(size)


def test_bytes_path_and_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"hello")
    assert read_bytes(b"hello", 10, "thing") == (b"hello", "thing")
    assert read_bytes(bytearray(b"hello"), 10) == (b"hello", "file")
    assert read_bytes(memoryview(b"hello"), 10) == (b"hello", "file")
    assert read_bytes(path, 10) == (b"hello", "a.txt")
    assert read_bytes(str(path), 10) == (b"hello", "a.txt")
    assert read_bytes(io.StringIO("héllo"), 10) == ("héllo".encode(), "file")


def test_file_like_is_read_at_most_limit_plus_one_and_rewound():
    upload = CountingReader(b"x" * 100)
    with pytest.raises(DataError, match="'upload.csv' is larger than"):
        read_bytes(upload, 10, "CSV file")
    assert upload.asked == [11]
    assert upload.tell() == 0
    small = CountingReader(b"abc")
    assert read_bytes(small, 10) == (b"abc", "upload.csv")
    assert small.tell() == 0  # rewound, so the caller can read it again


def test_size_limit_and_missing(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 100)
    with pytest.raises(DataError, match="'big.bin' is 0.0 MB; the limit for a CSV file"):
        read_bytes(path, 10, "CSV file")
    with pytest.raises(DataError, match="larger than"):
        read_bytes(b"x" * 11, 10)
    with pytest.raises(DataError, match="Cannot find the file"):
        read_bytes(tmp_path / "missing", 10)
    with pytest.raises(DataError, match="Cannot find"):
        read_bytes(tmp_path, 10)  # a folder is not a file


def test_unsupported_type():
    with pytest.raises(DataError, match="Cannot read a CSV file from a int"):
        read_bytes(42, 10, "CSV file")
