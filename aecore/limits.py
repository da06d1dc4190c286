"""Every limit the engine enforces, in one place so the README can name them and tests can shrink them.

Limits guard the server: one upload must not exhaust memory or disk. Each is checked before the
expensive step it protects (reading a ZIP member, decoding an image, parsing a CSV)."""
from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_rows: int = 200_000           # rows in a table or images in a set
    max_columns: int = 2_000          # columns in a CSV
    max_cells: int = 20_000_000       # rows x columns of a CSV
    max_csv_bytes: int = 200 * MB     # a CSV file's size
    max_files: int = 100_000          # image files in one upload (files, folder or ZIP members)
    max_image_bytes: int = 20 * MB    # one image file's size
    max_image_pixels: int = 4_096 * 4_096  # one image's width x height, before any decoding
    max_total_pixels: int = 400_000_000    # sum over the set, after resizing (float32 memory)
    max_zip_bytes: int = 1024 * MB    # total uncompressed size of a ZIP's members
    max_zip_ratio: float = 100.0      # uncompressed / compressed, per member (a ZIP bomb is ~1000x)
    max_categories: int = 30          # distinct values for a text column to be one-hot encoded
    max_bundle_bytes: int = 1024 * MB  # a model bundle's total uncompressed size
    max_image_side: int = 128         # the largest side images are resized to for training


DEFAULT_LIMITS = Limits()
