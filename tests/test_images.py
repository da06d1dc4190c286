"""load_images: formats, files, folders, ZIPs and uploads; resizing and colour mode; and every guard
(corrupt files, decompression and ZIP bombs, unsafe member names, nested archives, size limits)."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from aecore import DataError, Limits, images_from_array, load_images
from aecore.dataset import ImagePreprocessor
from tests.corpus import png_claiming

GREY = np.full((8, 8), 100, np.uint8)
V = 100 / 255


def gradient(w=8, h=8) -> np.ndarray:
    return (np.add.outer(np.arange(h), np.arange(w)) * 255 // (w + h - 2)).astype(np.uint8)


# -- formats ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt,suffix,save,tol", [
    ("PNG", "png", {}, 0.0),
    ("JPEG", "jpg", {"quality": 95}, 0.03),
    ("BMP", "bmp", {}, 0.0),
    ("GIF", "gif", {}, 0.0),
    ("PPM", "pgm", {}, 0.0),  # Pillow writes mode L as binary PGM (P5)
    ("WEBP", "webp", {"lossless": True}, 0.0),
])
def test_formats(fmt, suffix, save, tol, image_bytes, tmp_path):
    data = image_bytes(GREY, fmt, **save)
    if fmt == "PPM":
        assert data[:2] == b"P5"
    ds = load_images([(f"a.{suffix}", data)])
    assert ds.X.shape == (1, 1, 8, 8) and ds.X.dtype == np.float32
    assert np.allclose(ds.X, V, atol=tol + 1e-6)
    path = tmp_path / f"a.{suffix}"
    path.write_bytes(data)
    assert np.array_equal(load_images(path).X, ds.X)


def test_gif_first_frame(tmp_path):
    frames = [Image.new("L", (8, 8), 0), Image.new("L", (8, 8), 255)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(path).n_frames == 2
    ds = load_images(path)
    assert ds.X.shape == (1, 1, 8, 8)
    assert np.allclose(ds.X, 0.0)


def test_values_in_unit_range_and_exact(image_bytes):
    g = gradient()
    ds = load_images([("g.png", image_bytes(g))])
    assert ds.X.min() == 0.0 and ds.X.max() == 1.0
    assert np.allclose(ds.X[0, 0], g / 255.0)


def test_sixteen_bit_png_scaled_to_unit_range(tmp_path):
    arr = np.linspace(0, 65535, 64).reshape(8, 8).astype(np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(arr).save(path)
    ds = load_images(path)
    assert ds.X.min() >= 0.0 and ds.X.max() <= 1.0
    assert ds.X.max() > 0.9


# -- sources -----------------------------------------------------------------------------------------
def test_several_files(tmp_path, image_bytes):
    paths = []
    for i in range(3):
        p = tmp_path / f"img{i}.png"
        p.write_bytes(image_bytes(np.full((8, 8), i * 50, np.uint8)))
        paths.append(p)
    ds = load_images(paths)
    assert ds.n == 3
    assert ds.meta["file"].tolist() == ["img0.png", "img1.png", "img2.png"]
    assert np.allclose(ds.X.reshape(3, -1).mean(1), [0, 50 / 255, 100 / 255])
    assert ds.label is None
    assert isinstance(ds.preprocessor, ImagePreprocessor) and ds.preprocessor.shape == (1, 8, 8)


def test_tuple_of_paths_is_several_files(tmp_path, image_bytes):
    for i in range(2):
        (tmp_path / f"{i}.png").write_bytes(image_bytes(GREY))
    ds = load_images((str(tmp_path / "0.png"), tmp_path / "1.png"))  # not mistaken for a (name, bytes) pair
    assert ds.meta["file"].tolist() == ["0.png", "1.png"]
    with pytest.raises(DataError, match="Cannot read a file from a tuple"):
        load_images([("name.png", 42)])


def test_folder_with_subfolders_gives_labels(tmp_path, image_bytes):
    for cls, value in (("cats", 0), ("dogs", 255)):
        (tmp_path / cls).mkdir()
        for i in range(2):
            (tmp_path / cls / f"{i}.png").write_bytes(image_bytes(np.full((8, 8), value, np.uint8)))
    (tmp_path / "cats" / "notes.txt").write_text("not an image")
    (tmp_path / "cats" / ".hidden.png").write_bytes(image_bytes(GREY))
    ds = load_images(tmp_path)
    assert ds.n == 4
    assert ds.label == "label"
    assert ds.labels.tolist() == ["cats", "cats", "dogs", "dogs"]
    assert ds.meta["file"].tolist() == ["cats/0.png", "cats/1.png", "dogs/0.png", "dogs/1.png"]
    assert np.allclose(ds.X[ds.labels == "dogs"], 1.0)
    assert "labelled by folder (2 folders)" in ds.report[-1]


def test_one_folder_is_not_a_label(tmp_path, image_bytes):
    (tmp_path / "only").mkdir()
    for i in range(2):
        (tmp_path / "only" / f"{i}.png").write_bytes(image_bytes(GREY))
    assert load_images(tmp_path).label is None


def test_zip_as_bytes_path_tuple_and_upload(tmp_path, image_bytes, zip_bytes):
    members = [("a/0.png", image_bytes(GREY)), ("b/1.png", image_bytes(gradient())),
               ("b/readme.txt", b"hello"), ("__MACOSX/a/._0.png", b"junk")]
    data = zip_bytes(members)
    path = tmp_path / "set.zip"
    path.write_bytes(data)
    upload = io.BytesIO(data)
    upload.name = "set.zip"  # what Streamlit's UploadedFile looks like to the loader
    results = [load_images(data), load_images(path), load_images(str(path)), load_images(("set.zip", data)),
               load_images([("set.zip", data)]), load_images(upload)]
    for ds in results:
        assert ds.n == 2
        assert ds.meta["file"].tolist() == ["a/0.png", "b/1.png"]
        assert ds.labels.tolist() == ["a", "b"]
        assert np.array_equal(ds.X, results[0].X)
    assert any("Skipped 2 member(s)" in line for line in results[0].report)


def test_tuple_of_name_and_image_bytes(image_bytes):
    ds = load_images([("x.png", image_bytes(GREY)), ("y.png", bytearray(image_bytes(GREY)))])
    assert ds.n == 2 and ds.meta["file"].tolist() == ["x.png", "y.png"]


def test_mixed_sizes_resized_to_most_common(image_bytes):
    sources = [("a.png", image_bytes(np.zeros((8, 8), np.uint8))), ("b.png", image_bytes(np.zeros((8, 8), np.uint8))),
               ("c.png", image_bytes(np.zeros((20, 12), np.uint8)))]
    ds = load_images(sources)
    assert ds.X.shape == (3, 1, 8, 8)
    assert ds.meta[["width", "height"]].values.tolist() == [[8, 8], [8, 8], [12, 20]]
    assert any("Resized 1 image(s) to 8x8" in line for line in ds.report)


def test_many_sizes_none_most_resized_to_the_median(image_bytes):
    """Glyphs of 24 to 64 pixels: 64 is the most common size (2 of 5) but not most images' size."""
    sides = [24, 32, 40, 64, 64]
    ds = load_images([(f"{i}.png", image_bytes(np.zeros((s, s), np.uint8))) for i, s in enumerate(sides)])
    assert ds.X.shape == (5, 1, 40, 40)


def test_size_parameter_and_default_cap(image_bytes):
    wide = [("w.png", image_bytes(np.zeros((50, 100), np.uint8)))]
    assert load_images(wide).X.shape == (1, 1, 32, 64)  # longer side scaled to 64 by default
    assert load_images(wide, size=16).X.shape == (1, 1, 16, 16)
    assert load_images(wide, size=(20, 10)).X.shape == (1, 1, 10, 20)  # (width, height)
    assert load_images(wide, limits=Limits(max_image_side=40)).X.shape == (1, 1, 20, 40)
    with pytest.raises(DataError, match="outside 4..128"):
        load_images(wide, size=2)
    with pytest.raises(DataError, match="outside 4..128"):
        load_images(wide, size=200)


def test_grayscale_or_rgb_from_the_data(image_bytes):
    grey_rgb = np.repeat(GREY[..., None], 3, axis=2)  # an RGB file holding grey pixels
    assert load_images([("g.png", image_bytes(grey_rgb))]).X.shape == (1, 1, 8, 8)
    colour = np.zeros((8, 8, 3), np.uint8)
    colour[..., 0] = 255
    ds = load_images([("g.png", image_bytes(GREY)), ("r.png", image_bytes(colour))])
    assert ds.X.shape == (2, 3, 8, 8)  # one colour image makes the set RGB
    assert ds.preprocessor.mode == "RGB"
    assert np.allclose(ds.X[1, :, 0, 0], [1, 0, 0])
    assert np.allclose(ds.X[0], V)


def test_mode_forces_channels(image_bytes):
    colour = np.zeros((8, 8, 3), np.uint8)
    colour[..., 1] = 255
    assert load_images([("c.png", image_bytes(colour))], mode="L").X.shape == (1, 1, 8, 8)
    forced = load_images([("g.png", image_bytes(GREY))], mode="RGB")
    assert forced.X.shape == (1, 3, 8, 8) and np.allclose(forced.X, V)
    with pytest.raises(DataError, match="Unknown colour mode 'CMYK'"):
        load_images([("g.png", image_bytes(GREY))], mode="CMYK")


def test_rgba_composited_on_white(image_bytes):
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[:, :4] = (255, 0, 0, 255)   # opaque red on the left
    rgba[:, 4:] = (0, 0, 255, 0)     # fully transparent blue on the right
    ds = load_images([("a.png", image_bytes(rgba, mode="RGBA"))])
    assert ds.X.shape == (1, 3, 8, 8)
    assert np.allclose(ds.X[0, :, 0, 0], [1, 0, 0])
    assert np.allclose(ds.X[0, :, 0, 7], [1, 1, 1])


def test_images_from_array():
    X = np.random.default_rng(0).random((5, 6, 7)).astype(np.float32)
    ds = images_from_array(X, labels=[0, 1, 0, 1, 2])
    assert ds.X.shape == (5, 1, 6, 7)
    assert ds.preprocessor.shape == (1, 6, 7)
    assert ds.labels.tolist() == ["0", "1", "0", "1", "2"]
    assert np.array_equal(ds.decode_rows(ds.X.reshape(5, -1)), ds.X)
    assert images_from_array(X).label is None


# -- bad inputs ------------------------------------------------------------------------------------
def test_corrupt_image_skipped_with_report(image_bytes):
    ds = load_images([("good.png", image_bytes(GREY)), ("bad.png", b"\x89PNG\r\n\x1a\nnot really"),
                      ("trunc.png", image_bytes(gradient(32, 32))[:60])])
    assert ds.n == 1 and ds.meta["file"].tolist() == ["good.png"]
    skipped = [line for line in ds.report if line.startswith("Could not use 2 file(s)")]
    assert skipped and "bad.png: not a readable image" in skipped[0] and "trunc.png" in skipped[0]


def test_nothing_readable_is_an_error():
    with pytest.raises(DataError, match="None of the files could be read as an image. bad.png: not a readable image"):
        load_images([("bad.png", b"garbage"), ("worse.jpg", b"\xff\xd8\xff garbage")])


def test_no_images_found(tmp_path, zip_bytes):
    with pytest.raises(DataError, match="No images found"):
        load_images(tmp_path)
    with pytest.raises(DataError, match=r"No images found. Skipped 1 member\(s\) of 'docs.zip' that are not images"):
        load_images([("docs.zip", zip_bytes([("readme.txt", b"hi")]))])


def test_a_damaged_or_empty_zip_is_called_so(image_bytes, zip_bytes):
    """Not blamed on the image format: a .zip that is no ZIP, an empty ZIP, and an empty file."""
    with pytest.raises(DataError, match=r"'fake.zip' is not a readable ZIP file"):
        load_images([("fake.zip", b"this is no archive")])
    empty = zip_bytes([])
    assert empty[:4] == b"PK\x05\x06"
    with pytest.raises(DataError, match=r"No images found. 'empty.zip' holds no files."):
        load_images([("empty.zip", empty)])
    ds = load_images([("ok.png", image_bytes(GREY)), ("blank.png", b"")])
    assert any(line.startswith("Could not use 1 file(s): blank.png: an empty file (0 bytes)") for line in ds.report)


def test_decompression_bomb_header_is_refused_before_decoding(image_bytes):
    bomb = png_claiming(50_000, 50_000)  # 2.5 gigapixels declared in 70 bytes
    assert len(bomb) < 100
    ds = load_images([("ok.png", image_bytes(GREY)), ("bomb.png", bomb)])
    assert ds.n == 1
    assert any("bomb.png: over the limit of" in line for line in ds.report)
    with pytest.raises(DataError, match="pixels per image"):
        load_images([("bomb.png", bomb)])


def test_pixel_limit(image_bytes):
    small = Limits(max_image_pixels=100)
    ds = load_images([("small.png", image_bytes(GREY)), ("big.png", image_bytes(np.zeros((20, 20), np.uint8)))],
                     limits=small)
    assert ds.meta["file"].tolist() == ["small.png"]
    assert any("big.png: 20x20 pixels is over the limit of 100 pixels" in line for line in ds.report)


def test_per_image_byte_limit(tmp_path, image_bytes, zip_bytes):
    noisy = np.random.default_rng(0).integers(0, 256, (32, 32), dtype=np.uint8)
    big, small = image_bytes(noisy), image_bytes(GREY)
    limits = Limits(max_image_bytes=len(big) - 1)
    assert len(small) < len(big) - 1
    (tmp_path / "big.png").write_bytes(big)
    (tmp_path / "small.png").write_bytes(small)
    for sources in ([("big.png", big), ("small.png", small)], tmp_path,
                    [("set.zip", zip_bytes([("big.png", big), ("small.png", small)]))]):
        ds = load_images(sources, limits=limits)
        assert ds.meta["file"].tolist() == ["small.png"]
        assert any("big.png" in line and "limit per image" in line for line in ds.report)


def test_zip_total_size_limit(image_bytes, zip_bytes):
    data = zip_bytes([(f"{i}.png", image_bytes(GREY)) for i in range(5)])
    total = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    with pytest.raises(DataError, match="would inflate to .* the limit is"):
        load_images([("set.zip", data)], limits=Limits(max_zip_bytes=total - 1))
    assert load_images([("set.zip", data)], limits=Limits(max_zip_bytes=total)).n == 5


def test_zip_bomb_ratio(zip_bytes):
    bomb = zip_bytes([("bomb.png", bytes(20_000_000))])  # 20 MB of zeros deflate ~1000x
    assert len(bomb) < 100_000
    with pytest.raises(DataError, match="looks like a ZIP bomb: 'bomb.png' inflates"):
        load_images([("bomb.zip", bomb)])


@pytest.mark.parametrize("member", ["../x.png", "/abs.png", "a/../../x.png", "C:/x.png", "..\\evil.png"])
def test_path_traversal_member_names(member, image_bytes, zip_bytes):
    data = zip_bytes([("fine.png", image_bytes(GREY)), (member, image_bytes(GREY))])
    assert member in [i.filename for i in zipfile.ZipFile(io.BytesIO(data)).infolist()]
    with pytest.raises(DataError, match="unsafe path"):
        load_images([("up.zip", data)])


def test_nested_archives(tmp_path, image_bytes, zip_bytes):
    inner = zip_bytes([("a.png", image_bytes(GREY))])
    with pytest.raises(DataError, match="contains another archive \\('inner.zip'\\)"):
        load_images([("outer.zip", zip_bytes([("a.png", image_bytes(GREY)), ("inner.zip", inner)]))])
    (tmp_path / "a.png").write_bytes(image_bytes(GREY))
    (tmp_path / "more.zip").write_bytes(inner)
    with pytest.raises(DataError, match="The folder holds an archive"):
        load_images(tmp_path)


def test_too_many_files(image_bytes, zip_bytes):
    files = [(f"{i}.png", image_bytes(GREY)) for i in range(3)]
    with pytest.raises(DataError, match="3 images is over the limit of 2"):
        load_images(files, limits=Limits(max_files=2))
    with pytest.raises(DataError, match="3 images is over the limit of 2"):
        load_images([("set.zip", zip_bytes(files))], limits=Limits(max_files=2))


def test_total_pixels_limit(image_bytes):
    files = [(f"{i}.png", image_bytes(GREY)) for i in range(3)]
    with pytest.raises(DataError, match="exceed the limit of 150 values"):
        load_images(files, limits=Limits(max_total_pixels=150))


def test_not_a_zip(tmp_path):
    path = tmp_path / "fake.zip"
    path.write_bytes(b"this is not an archive")
    with pytest.raises(DataError, match="'fake.zip' is not a readable ZIP file"):
        load_images(path)
    with pytest.raises(DataError, match="is not a readable ZIP file"):
        load_images([("fake.zip", b"PK\x03\x04 but then garbage")])


def test_missing_path():
    with pytest.raises(DataError, match="Cannot find"):
        load_images("/nonexistent/images.zip")
