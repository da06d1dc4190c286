"""Image loading: files, folders, uploads and ZIPs -> one Dataset of equal-sized images in [0, 1].

Nothing from an upload touches the file system: ZIP members are read in memory, so a member name is
only a label. Every size is checked before the step it guards: ZIP totals and compression ratio
before any member is inflated, pixel count from the image header before any pixel is decoded."""
from __future__ import annotations

import io
import os
import posixpath
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError

from .dataset import Dataset, ImagePreprocessor
from .errors import DataError
from .limits import DEFAULT_LIMITS, Limits
from .sources import read_bytes

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".pgm", ".ppm", ".pbm", ".pnm", ".webp", ".tif", ".tiff"}
UPLOAD_SUFFIXES = (*sorted(IMAGE_SUFFIXES), ".zip")  # what an image upload takes: images or one ZIP of them
ARCHIVE_SUFFIXES = {".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".jar"}
READABLE = "PNG, JPEG, BMP, GIF, PGM or WebP"  # the formats named to a person (the upload's help says the same)
ZIP_RATIO_MIN_BYTES = 1024 * 1024  # members smaller than this may compress well legitimately (blank BMPs)
DEFAULT_MAX_SIDE = 64  # images larger than this are scaled down for training unless a size is given
Image.MAX_IMAGE_PIXELS = DEFAULT_LIMITS.max_image_pixels  # Pillow's own bomb guard, made as strict as ours


@dataclass
class Entry:
    """One image-to-be: its relative name (a label source, never a path we open) and a byte reader."""
    name: str
    read: Callable[[], bytes]


# Member names are checked with string operations, not pathlib: a ZIP can hold a million members, and
# PurePosixPath made checking them take half a minute. Both agree with PurePosixPath (a property test).
def name_parts(name: str) -> list[str]:
    """A '/'-separated name's parts, as PurePosixPath(name).parts gives them, less the root."""
    return [p for p in name.split("/") if p not in ("", ".")]


def suffix_of(name: str, parts: list[str] | None = None) -> str:
    """The lower-cased suffix of the name's last part, as PurePosixPath(name).suffix.lower() gives it."""
    parts = name_parts(name) if parts is None else parts
    last = parts[-1] if parts else ""
    dot = last.rfind(".")
    return last[dot:].lower() if 0 < dot < len(last) - 1 else ""


def is_image_name(name: str) -> bool:
    return suffix_of(name) in IMAGE_SUFFIXES


def is_hidden(name: str, parts: list[str] | None = None) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" for p in (name_parts(name) if parts is None else parts))


def zip_entries(data: bytes, zip_name: str, limits: Limits) -> tuple[list[Entry], list[str]]:
    """Members of a ZIP as entries, after checking it is safe to inflate. Returns (entries, report)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise DataError(f"'{zip_name}' is not a readable ZIP file ({exc}). "
                        "Re-create the archive and upload it again.") from None
    report, images = ([] if infos else [f"'{zip_name}' holds no files."]), []
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = name_parts(name)
        if name.startswith("/") or ".." in parts or (len(name) > 1 and name[1] == ":"):
            raise DataError(f"'{zip_name}' contains a member with an unsafe path ('{info.filename}'). "
                            "Archives whose names point outside the archive are refused; re-create it from a folder.")
        suffix = suffix_of(name, parts)
        if suffix in ARCHIVE_SUFFIXES:
            raise DataError(f"'{zip_name}' contains another archive ('{info.filename}'). Nested archives are not "
                            "read: unpack it and put the images in one ZIP.")
        if info.file_size > ZIP_RATIO_MIN_BYTES and info.file_size > limits.max_zip_ratio * max(info.compress_size, 1):
            raise DataError(f"'{zip_name}' looks like a ZIP bomb: '{info.filename}' inflates "
                            f"{info.file_size / max(info.compress_size, 1):,.0f}x "
                            f"(the limit is {limits.max_zip_ratio:g}x).")
        if suffix in IMAGE_SUFFIXES and not is_hidden(name, parts):
            images.append(info)
    total = sum(i.file_size for i in infos)
    if total > limits.max_zip_bytes:
        raise DataError(f"'{zip_name}' would inflate to {total / 2**20:,.0f} MB; the limit is "
                        f"{limits.max_zip_bytes / 2**20:,.0f} MB. Split it into smaller archives or use fewer images.")
    skipped = len(infos) - len(images)
    if skipped:
        report.append(f"Skipped {skipped:,} member(s) of '{zip_name}' that are not images or are hidden files.")

    def reader(info: zipfile.ZipInfo) -> Callable[[], bytes]:
        def read() -> bytes:
            if info.file_size > limits.max_image_bytes:
                raise DataError(f"{info.file_size / 2**20:.1f} MB is over the "
                                f"{limits.max_image_bytes / 2**20:.0f} MB limit per image")
            with zf.open(info) as fh:  # read at most the limit, whatever the header claims
                content = fh.read(limits.max_image_bytes + 1)
            if len(content) > limits.max_image_bytes:
                raise DataError(f"over the {limits.max_image_bytes / 2**20:.0f} MB limit per image")
            return content
        return read

    return [Entry(i.filename.replace("\\", "/"), reader(i)) for i in images], report


def file_reader(path: Path, limits: Limits) -> Callable[[], bytes]:
    """A reader for an image file in a folder, with the same per-image size message as uploads and ZIPs."""
    def read() -> bytes:
        try:
            size = path.stat().st_size
            if size > limits.max_image_bytes:
                raise DataError(f"{size / 2**20:.1f} MB is over the "
                                f"{limits.max_image_bytes / 2**20:.0f} MB limit per image")
            return path.read_bytes()
        except OSError as exc:
            raise DataError(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    return read


UNUSABLE = "Could not use"  # how the report's line on images that could not be read starts (the app warns of it)
ZIP_STARTS = (b"PK\x03\x04", b"PK\x05\x06")  # a ZIP's first member; an empty ZIP's end record


def is_zip(data: bytes, name: str) -> bool:
    """A ZIP by its first bytes or its name (a damaged one is then called a damaged ZIP, not an odd image)."""
    return bytes(data[:4]) in ZIP_STARTS or name.lower().endswith(".zip")


def is_named_bytes(src) -> bool:
    """A (name, bytes) pair, as opposed to a tuple of paths."""
    return isinstance(src, tuple) and len(src) == 2 and isinstance(src[1], (bytes, bytearray))


def gather(sources, limits: Limits) -> tuple[list[Entry], list[str]]:
    """Flatten paths, folders, ZIPs, uploads and (name, bytes) pairs into entries."""
    if isinstance(sources, (str, os.PathLike, bytes)) or hasattr(sources, "read") or is_named_bytes(sources):
        sources = [sources]
    entries, report = [], []
    for src in sources:
        if is_named_bytes(src):
            name, data = src
            name = str(name)
            if is_zip(data, name):
                e, r = zip_entries(bytes(data), name, limits)
                entries += e
                report += r
            else:
                entries.append(Entry(name, lambda d=bytes(data): d))
        elif isinstance(src, (str, os.PathLike)) and Path(src).is_dir():
            root = Path(src)
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                rel = path.relative_to(root).as_posix()
                if path.suffix.lower() in ARCHIVE_SUFFIXES:
                    raise DataError(f"The folder holds an archive ('{rel}'). Unpack it first; "
                                    "archives inside a folder are not read.")
                if is_image_name(rel) and not is_hidden(rel):
                    entries.append(Entry(rel, file_reader(path, limits)))
        else:
            data, name = read_bytes(src, max(limits.max_zip_bytes, limits.max_image_bytes), "file")
            if is_zip(data, name):
                e, r = zip_entries(data, name, limits)
                entries += e
                report += r
            else:
                entries.append(Entry(name.replace("\\", "/"), lambda d=data: d))
    if len(entries) > limits.max_files:
        raise DataError(f"{len(entries):,} images is over the limit of {limits.max_files:,}. Use a subset.")
    return entries, report


def decode(entry: Entry, limits: Limits) -> Image.Image:
    """Bytes -> a loaded Pillow image (first frame), after the header's pixel count is checked."""
    data = entry.read()
    if len(data) > limits.max_image_bytes:
        raise DataError(f"{len(data) / 2**20:.1f} MB is over the "
                        f"{limits.max_image_bytes / 2**20:.0f} MB limit per image")
    if not data:
        raise DataError("an empty file (0 bytes)")
    try:
        im = Image.open(io.BytesIO(data))
        w, h = im.size
        if w * h > limits.max_image_pixels:
            raise DataError(f"{w}x{h} pixels is over the limit of {limits.max_image_pixels:,} pixels per image")
        im.seek(0)  # GIF/WebP animations: the first frame
        im.load()
    except DataError:
        raise
    except Image.DecompressionBombError:
        raise DataError(f"over the limit of {limits.max_image_pixels:,} pixels per image") from None
    except UnidentifiedImageError:
        raise DataError(f"not a readable image (not in a format this app reads: {READABLE})") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise DataError("not a readable image (it is truncated or damaged; export it again)") from None
    return im


def to_array(im: Image.Image, size: tuple[int, int], rgb: bool) -> np.ndarray:
    """A Pillow image -> (C, H, W) float32 in [0, 1] at `size` = (width, height)."""
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        arr = np.asarray(im, dtype=np.float32)
        peak = 65535.0 if arr.max() > 255 else 255.0
        im = Image.fromarray(np.clip(arr / peak * 255.0, 0, 255).astype(np.uint8), "L")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, rgba)
    im = im.convert("RGB" if rgb else "L")
    if im.size != size:
        im = im.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    arr = np.asarray(im, dtype=np.float32) / 255.0
    return arr.transpose(2, 0, 1) if rgb else arr[None]


def is_colour(im: Image.Image) -> bool:
    if im.mode in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"):
        return False
    small = np.asarray(im.convert("RGB").resize((16, 16)), dtype=np.int16)
    return bool(np.abs(small[..., 0] - small[..., 1]).max() > 8 or np.abs(small[..., 1] - small[..., 2]).max() > 8)


def choose_size(sizes: list[tuple[int, int]], max_side: int) -> tuple[int, int]:
    """The size most images have (width, height), scaled down so its longer side is at most max_side: the
    most common size when at least half the images have it, else the median width and height (images of
    24 to 64 pixels are not all blown up to 64 because 64 was the most common of many sizes)."""
    (w, h), count = Counter(sizes).most_common(1)[0]
    if count * 2 < len(sizes):
        w, h = (int(np.median([size[i] for size in sizes])) for i in (0, 1))
    scale = min(1.0, max_side / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def load_images(sources, size: int | tuple[int, int] | None = None, mode: str | None = None, name: str | None = None,
                limits: Limits = DEFAULT_LIMITS) -> Dataset:
    """Load images into a Dataset of shape (n, C, H, W) in [0, 1].

    sources: a path (image, folder or ZIP), bytes, an uploaded file, a (name, bytes) pair, or a list of these.
    size: side length or (width, height); default the size most images have (choose_size), its longer side
    at most 64 pixels.
    mode: "L" (grayscale) or "RGB"; default RGB if any image has colour.
    Sub-folder names become the 'label' column when there are at least two of them."""
    if mode not in (None, "L", "RGB"):
        raise DataError(f"Unknown colour mode '{mode}'. Use 'L' (grayscale) or 'RGB'.")
    entries, report = gather(sources, limits)
    if not entries:
        raise DataError(" ".join(["No images found.", *report,
                                  "Upload PNG, JPEG, BMP, GIF, PGM or WebP files, a folder of them, or a ZIP."]))
    decoded, failed = [], []
    for entry in entries:
        try:
            decoded.append((entry.name, decode(entry, limits)))
        except DataError as exc:
            failed.append(f"{entry.name}: {exc}")
    if failed:
        shown = "; ".join(failed[:5]) + (f"; and {len(failed) - 5:,} more" if len(failed) > 5 else "")
        report.append(f"{UNUSABLE} {len(failed):,} file(s): {shown}.")
    if not decoded:
        raise DataError("None of the files could be read as an image. " + (failed[0] if failed else "") + ".")
    if isinstance(size, int):
        size = (size, size)
    sizes = [im.size for _, im in decoded]
    target = tuple(size) if size else choose_size(sizes, min(DEFAULT_MAX_SIDE, limits.max_image_side))
    if max(target) > limits.max_image_side or min(target) < 4:
        raise DataError(f"Image size {target[0]}x{target[1]} is outside 4..{limits.max_image_side} pixels per side.")
    rgb = (mode == "RGB") if mode else any(is_colour(im) for _, im in decoded)
    channels = 3 if rgb else 1
    if len(decoded) * channels * target[0] * target[1] > limits.max_total_pixels:
        raise DataError(f"{len(decoded):,} images at {target[0]}x{target[1]} exceed the limit of "
                        f"{limits.max_total_pixels:,} values in memory. Use fewer or smaller images.")
    names = [n for n, _ in decoded]
    X = np.empty((len(decoded), channels, target[1], target[0]), np.float32)  # filled in place: one copy at 1M
    for i, (_, im) in enumerate(decoded):
        X[i] = to_array(im, target, rgb)
        decoded[i] = None  # the decoded image is no longer needed: its pixels are freed as the array fills
    meta = pd.DataFrame({"file": names, "width": [s[0] for s in sizes], "height": [s[1] for s in sizes]})
    folders = [posixpath.basename(posixpath.dirname(n)) for n in names]
    label = None
    if len(set(folders)) >= 2:
        meta.insert(1, "label", folders)
        label = "label"
    if len(set(sizes)) > 1 or sizes[0] != target:
        report.append(f"Resized {sum(s != target for s in sizes):,} image(s) to {target[0]}x{target[1]}.")
    report.append(f"Loaded {len(decoded):,} image(s) at {target[0]}x{target[1]}, "
                  f"{'RGB' if rgb else 'grayscale'}"
                  + (f", labelled by folder ({len(set(folders))} folders)." if label else "."))
    return Dataset(X, meta, ImagePreprocessor(target[1], target[0], channels), name=name or "images", label=label,
                   report=report)


def images_from_array(X: np.ndarray, labels=None, name: str = "images", files=None) -> Dataset:
    """Wrap an in-memory image array (n, H, W) or (n, C, H, W) in [0, 1] as a Dataset."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 3:
        X = X[:, None]
    n, c, h, w = X.shape
    meta = pd.DataFrame({"file": files if files is not None else [f"{name}_{i}" for i in range(n)]})
    if labels is not None:
        meta["label"] = pd.Series(labels).astype(str).to_numpy()
    return Dataset(X, meta, ImagePreprocessor(h, w, c), name=name, label="label" if labels is not None else None,
                   report=[f"{n:,} image(s) at {w}x{h}, {'RGB' if c == 3 else 'grayscale'}."])
