"""Reading bytes from whatever a caller hands us: a path, raw bytes, or a file-like object
(Streamlit's UploadedFile is one). The size is checked before the whole thing is read."""
from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

from .errors import DataError


def read_bytes(source, max_bytes: int, what: str = "file") -> tuple[bytes, str]:
    """Return (content, name). Raises DataError when the source is missing or larger than max_bytes."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), what
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise DataError(f"Cannot find the {what} '{path}'. Check the path and try again.")
        if path.stat().st_size > max_bytes:
            raise DataError(f"'{path.name}' is {path.stat().st_size / 2**20:.1f} MB; the limit for a {what} is "
                            f"{max_bytes / 2**20:.0f} MB. Use a smaller file or a sample of its rows.")
        data, name = path.read_bytes(), path.name
    elif hasattr(source, "read"):
        name = getattr(source, "name", what)
        data = source.read(max_bytes + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
        if hasattr(source, "seek"):
            with contextlib.suppress(OSError, io.UnsupportedOperation):
                source.seek(0)
    else:
        raise DataError(f"Cannot read a {what} from a {type(source).__name__}; give a path, bytes or an open file.")
    if len(data) > max_bytes:
        raise DataError(f"'{name}' is larger than the {max_bytes / 2**20:.0f} MB limit for a {what}. "
                        "Use a smaller file or a sample of it.")
    return data, str(name)
