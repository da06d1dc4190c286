"""Every limit the engine enforces, in one place so the README can name them and tests can shrink them.

Limits guard the server: one upload must not exhaust memory or disk. Each is checked before the
expensive step it protects (reading a ZIP member, decoding an image, parsing a CSV)."""
from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_rows: int = 2_000_000         # rows in a table
    max_columns: int = 2_000          # columns in a table
    max_cells: int = 50_000_000       # rows x columns of a table (a 2M-row table of 25 columns)
    max_table_bytes: int = 1024 * MB  # a CSV or Parquet file's size
    max_files: int = 1_000_000        # images in a set (files, folder or ZIP members)
    max_image_bytes: int = 20 * MB    # one image file's size
    max_image_pixels: int = 4_096 * 4_096  # one image's width x height, before any decoding
    max_total_pixels: int = 1_000_000_000  # values over the set, after resizing: 4 GB as float32 (1M MNIST: 0.78e9)
    max_zip_bytes: int = 1024 * MB    # total uncompressed size of a ZIP's members
    max_zip_ratio: float = 100.0      # uncompressed / compressed, per member (a ZIP bomb is ~1000x)
    max_categories: int = 30          # distinct values for a text column to be one-hot encoded
    max_bundle_bytes: int = 1024 * MB  # a model bundle's total uncompressed size
    # ... and one from the server's own bundle folder (the app's LATENT_EXPLORER_BUNDLES), which only the
    # server's operator fills: a cluster's bundle of 1M 28x28 images with codes and map is 3.2 GB
    max_server_bundle_bytes: int = 8192 * MB
    max_image_side: int = 128         # the largest side images are resized to for training


DEFAULT_LIMITS = Limits()
