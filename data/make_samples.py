"""Write the sample files in data/ from scikit-learn's bundled datasets, and train the digits bundle
the dashboard opens on. Run from the project root: `python data/make_samples.py`."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def write_tables() -> None:
    from sklearn.datasets import load_breast_cancer, load_wine

    bc = load_breast_cancer(as_frame=True)
    df = bc.frame.drop(columns="target")
    df.insert(0, "diagnosis", bc.target.map({0: "malignant", 1: "benign"}))
    df.to_csv(ROOT / "data" / "breast_cancer.csv", index=False, float_format="%.6g")
    wine = load_wine(as_frame=True)
    df = wine.frame.drop(columns="target")
    df.insert(0, "cultivar", wine.target.map(lambda t: f"cultivar_{t + 1}"))
    df.to_csv(ROOT / "data" / "wine.csv", index=False, float_format="%.6g")


def write_bundles() -> None:
    """Pre-train each sample with the default settings (seeded) so opening it shows a map at once."""
    from aecore import Autoencoder
    from aecore.baseline import compare_with_pca
    from aecore.bundle import save_bundle
    from aecore.projection import project
    from aecore.samples import SAMPLES, bundle_path

    for key, sample in SAMPLES.items():
        data = sample.load()
        model = Autoencoder(seed=0).fit(data)  # the app's defaults, the latent size among them
        codes = model.transform(data)
        xy = project(codes, "umap", random_state=0)
        comparison = compare_with_pca(model, data)
        save_bundle(bundle_path(key), model, data, codes=codes, xy=xy, errors=model.reconstruction_error(data),
                    comparison=comparison)
        print(key, model.result_.message, comparison)


if __name__ == "__main__":
    write_tables()
    write_bundles()
