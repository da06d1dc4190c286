"""Built-in sample datasets. Digits come from scikit-learn at run time (it ships them); the tables are
CSV files in data/, written by data/make_samples.py from scikit-learn's copies (origin in data/README.md)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .dataset import Dataset
from .errors import DataError
from .images import images_from_array
from .tables import load_table

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def bundle_path(key: str) -> Path:
    """The pre-trained bundle of a sample (model, data, codes and map), written by data/make_samples.py."""
    return DATA_DIR / f"{key}.aebundle"


DIGITS_BUNDLE = bundle_path("digits")  # the first screen


def digits() -> Dataset:
    """scikit-learn's 1,797 handwritten digits, 8x8 grayscale, 17 grey levels scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    d = load_digits()
    ds = images_from_array(d.images / 16.0, labels=d.target, name="digits",
                           files=[f"digit_{i:04d}" for i in range(len(d.target))])
    ds.report = ["1,797 handwritten digits (0-9), 8x8 pixels, from scikit-learn (UCI ML hand-written digits)."]
    return ds


def breast_cancer() -> Dataset:
    return load_table(DATA_DIR / "breast_cancer.csv", label="diagnosis", name="breast cancer")


def wine() -> Dataset:
    return load_table(DATA_DIR / "wine.csv", label="cultivar", name="wine")


@dataclass(frozen=True)
class Sample:
    key: str
    title: str
    load: Callable[[], Dataset]
    about: str


SAMPLES = {s.key: s for s in [
    Sample("digits", "Digits (1,797 images, 8x8)", digits, "Handwritten digits 0-9; label = the digit."),
    Sample("breast_cancer", "Breast cancer (569 rows, 30 measurements)", breast_cancer,
           "Cell-nucleus measurements; label = malignant/benign. Try 'malignant' as the anomaly class."),
    Sample("wine", "Wine (178 rows, 13 measurements)", wine, "Chemical analysis of wines; label = cultivar."),
]}


def load_sample(key: str) -> Dataset:
    if key not in SAMPLES:
        raise DataError(f"Unknown sample '{key}'. Choose one of: {', '.join(SAMPLES)}.")
    return SAMPLES[key].load()
