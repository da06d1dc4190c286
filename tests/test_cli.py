"""`python -m aecore train|encode|info`, in-process through cli.main and once as a real subprocess.
Errors must be one line on stderr, exit code 2, no traceback."""
from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aecore import DataError
from aecore.bundle import load_bundle
from aecore.cli import load_data, main

ROOT = Path(__file__).resolve().parent.parent
WINE = ROOT / "data" / "wine.csv"


def run(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(code: int, out: str, err: str, fragment: str, after_progress: bool = False) -> None:
    """Exit code 2, nothing on stdout, the error as one line on stderr (the last line, after any
    progress lines when after_progress), and no traceback."""
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    if not after_progress:
        assert len(lines) == 1, err
    assert lines[-1].startswith("error: ") and fragment in lines[-1]
    assert sum(line.startswith("error:") for line in lines) == 1
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def wine_bundle(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "wine.aebundle"
    result = run("train", WINE, "--label", "cultivar", "--projection", "pca", "--epochs", "3", "--latent", "3",
                 "--out", path)
    return path, result


def test_train(wine_bundle):
    path, (code, out, err) = wine_bundle
    assert code == 0
    assert out.strip().endswith(f"Saved {path}") and "vs PCA-3" in out
    assert "epoch 1/3 train" in err and "epoch 3/3 train" in err
    assert "Read 178 rows x 14 columns" in err  # the loader's report goes to stderr
    bundle = load_bundle(path)
    assert bundle.dataset.n == 178 and bundle.dataset.label == "cultivar"
    assert "cultivar" not in bundle.dataset.preprocessor.columns
    assert bundle.codes.shape == (178, 3) and bundle.xy.shape == (178, 2) and bundle.errors.shape == (178,)
    assert bundle.model.result_.epochs_run == 3
    assert bundle.comparison.held_out and bundle.comparison.n_rows == 18 and bundle.comparison.latent_dim == 3


def test_encode(wine_bundle, tmp_path):
    path, _ = wine_bundle
    out_csv = tmp_path / "codes.csv"
    code, out, err = run("encode", path, WINE, "--out", out_csv)
    assert code == 0 and "wrote 178 rows" in out
    frame = pd.read_csv(out_csv)
    assert list(frame.columns) == ["id", "label", "z0", "z1", "z2", "x", "y", "reconstruction_error"]
    assert len(frame) == 178 and frame["label"].str.startswith("cultivar_").all()
    bundle = load_bundle(path)
    assert np.allclose(frame[["z0", "z1", "z2"]].to_numpy(), bundle.codes, atol=1e-5)
    assert np.allclose(frame[["x", "y"]].to_numpy(), bundle.xy, atol=1e-3)  # known rows land on their points
    assert np.allclose(frame["reconstruction_error"], bundle.errors, rtol=1e-4)


def test_info(wine_bundle):
    path, _ = wine_bundle
    code, out, err = run("info", path)
    assert code == 0
    info = json.loads(out)
    assert info["model"] == "dense" and info["latent_dim"] == 3 and info["input_shape"] == [13]
    assert info["data"] == {"name": "wine.csv", "kind": "table", "rows": 178, "label": "cultivar"}
    assert info["has_codes"] and info["has_map"] and info["epochs_run"] == 3
    assert info["pca_comparison"]["n_rows"] > 0 and "held-out rows" in info["pca_comparison"]["summary"]


def test_images_zip_train_and_encode(tmp_path, image_bytes, zip_bytes, digit_images):
    members = [(f"{'ab'[i % 2]}/{i}.png", image_bytes((digit_images[i, 0] * 255).round())) for i in range(24)]
    archive = tmp_path / "digits.zip"
    archive.write_bytes(zip_bytes(members))
    bundle_path = tmp_path / "img.aebundle"
    code, out, err = run("train", archive, "--model", "conv", "--epochs", "1", "--latent", "2", "--projection", "none",
                         "--out", bundle_path)
    assert code == 0, err
    bundle = load_bundle(bundle_path)
    assert bundle.dataset.X.shape == (24, 1, 8, 8) and bundle.xy is None
    code, out, err = run("encode", bundle_path, archive, "--out", tmp_path / "codes.csv")
    assert code == 0, err
    frame = pd.read_csv(tmp_path / "codes.csv")
    assert list(frame.columns) == ["id", "file", "label", "z0", "z1", "reconstruction_error"]  # file: joins back
    assert frame["label"].tolist() == ["a", "b"] * 12  # the folders inside the ZIP, in member order


def test_error_bad_path(tmp_path):
    assert_one_line_error(*run("train", tmp_path / "missing.csv", "--out", tmp_path / "m.aebundle"), "Cannot find")
    assert_one_line_error(*run("info", tmp_path / "missing.aebundle"), "Cannot find")


def test_error_not_a_bundle(tmp_path):
    fake = tmp_path / "fake.aebundle"
    fake.write_text("just text")
    assert_one_line_error(*run("info", fake), "not a usable model bundle")
    assert_one_line_error(*run("encode", WINE, WINE, "--out", tmp_path / "x.csv"), "not a usable model bundle")


def test_error_encode_data_without_the_columns(wine_bundle, tmp_path):
    path, _ = wine_bundle
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n3,4\n")
    assert_one_line_error(*run("encode", path, other, "--out", tmp_path / "x.csv"), "lacks 13 column(s) the model")


def test_error_unwritable_output(wine_bundle, tmp_path):
    path, _ = wine_bundle
    assert_one_line_error(*run("encode", path, WINE, "--out", tmp_path / "no" / "such" / "dir.csv"),
                          "No such file or directory")


def test_error_conv_on_a_table(tmp_path):
    assert_one_line_error(*run("train", WINE, "--model", "conv", "--epochs", "1", "--out", tmp_path / "m.aebundle"),
                          "needs images", after_progress=True)  # the loader's report comes first


def test_error_unsupported_file(tmp_path):
    odd = tmp_path / "data.json"
    odd.write_text("{}")
    assert_one_line_error(*run("train", odd, "--out", tmp_path / "m.aebundle"),
                          "neither a table (.csv, .tsv, .txt, .parquet, .pq)")


def test_argparse_rejects_unknown_model(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", str(WINE), "--model", "gan", "--out", "x"])
    assert info.value.code == 2
    assert "invalid choice: 'gan'" in capsys.readouterr().err


def test_load_data_samples_and_errors():
    assert load_data("sample:wine").n == 178
    with pytest.raises(DataError, match="Unknown sample 'nope'"):
        load_data("sample:nope")
    with pytest.raises(DataError, match="sample:NAME \\(digits, breast_cancer, wine\\)"):
        load_data("/no/such/file.csv")


def test_subprocess_error_is_one_line(tmp_path):
    fake = tmp_path / "fake.aebundle"
    fake.write_bytes(b"PK\x03\x04 not really a zip")
    proc = subprocess.run([sys.executable, "-m", "aecore", "info", str(fake)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith("error: This is not a usable model bundle")
    assert "Traceback" not in proc.stderr


def test_train_and_encode_a_parquet_table(wine_bundle, tmp_path):
    table = tmp_path / "wine.parquet"
    pd.read_csv(WINE).to_parquet(table, index=False)
    code, out, err = run("train", table, "--label", "cultivar", "--projection", "pca", "--epochs", "1",
                         "--out", tmp_path / "p.aebundle")
    assert code == 0, err
    assert "(Parquet)" in err and load_bundle(tmp_path / "p.aebundle").dataset.n == 178
    path, _ = wine_bundle  # a model trained on the CSV encodes the same rows given as Parquet
    code, out, err = run("encode", path, table, "--out", tmp_path / "codes.csv")
    assert code == 0, err
    assert len(pd.read_csv(tmp_path / "codes.csv")) == 178


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="needs a machine without a GPU")
def test_error_cuda_without_a_gpu(tmp_path):
    assert_one_line_error(*run("train", WINE, "--device", "cuda", "--out", tmp_path / "m.aebundle"),
                          "device 'cuda' was asked for, but PyTorch sees no GPU")
    assert not (tmp_path / "m.aebundle").exists()


def test_error_mixed_precision_on_the_cpu(tmp_path):
    assert_one_line_error(*run("train", WINE, "--device", "cpu", "--precision", "bf16", "--epochs", "1",
                               "--out", tmp_path / "m.aebundle"), "needs a CUDA GPU", after_progress=True)


def test_device_choices_come_from_the_estimator(capsys):
    from aecore.estimator import DEVICES

    assert DEVICES == ("auto", "cpu", "cuda")
    with pytest.raises(SystemExit):
        main(["train", str(WINE), "--device", "tpu", "--out", "x"])
    assert "invalid choice: 'tpu'" in capsys.readouterr().err


def test_train_on_the_cpu_with_a_batch_size(tmp_path):
    path = tmp_path / "m.aebundle"
    code, out, err = run("train", WINE, "--device", "cpu", "--batch-size", "50", "--epochs", "2",
                         "--projection", "none", "--out", path)
    assert code == 0, err
    model = load_bundle(path).model
    assert model.batch_size == 50 and model.device == "cpu" and model.precision == "fp32"
