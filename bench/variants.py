"""Every model variant on digits and on MNIST: test MSE beside PCA's at the same latent size.

Each variant trains with the estimator's defaults (the same epochs rule for all) and a time limit,
so the table compares objectives and backbones at equal cost; PCA is fitted on the same training
rows in the same run. Digits: the estimator's own seeded split (10% test). MNIST: first 8,000 train,
last 2,000 test."""
from __future__ import annotations

import numpy as np

from aecore import Autoencoder, model_names
from aecore.baseline import compare_with_pca, pca_test_mse

from .common import Config, Timer, missing_mnist, mnist

TITLE = "Every variant on digits and MNIST: test MSE vs PCA"
LATENT = 8


def row(data: str, name: str, model: Autoencoder, ae: float, pca: float, seconds: float) -> dict:
    return {"data": data, "model": name, "latent": LATENT, "test MSE": round(ae, 5), "PCA test MSE": round(pca, 5),
            "ratio": round(ae / pca, 3), "train s": round(seconds, 1), "epochs": model.result_.epochs_run,
            "target": "< 1.0 (beat PCA)", "status": "PASS" if ae < pca else "MISS"}


def run(cfg: Config) -> list[dict]:
    limit = cfg.pick(20.0, 6.0, 2.0)
    names = model_names() if not cfg.smoke else ["dense", "conv-vae"]
    rows = []
    from aecore.samples import digits

    data = digits()
    if cfg.smoke:
        data = data.subset(np.arange(300))
    for name in names:
        with Timer() as t:
            model = Autoencoder(model=name, latent_dim=LATENT, max_seconds=limit, seed=cfg.seed,
                                epochs=cfg.pick(None, None, 2)).fit(data)
        c = compare_with_pca(model, data)
        rows.append(row("digits (1,797, 8x8)", name, model, c.ae_mse, c.pca_mse, t.seconds))
    split = mnist(cfg)
    if split is None:
        rows.append(missing_mnist(cfg))
        return rows
    for name in names:
        with Timer() as t:
            model = Autoencoder(model=name, latent_dim=LATENT, max_seconds=limit, seed=cfg.seed, test=0.0,
                                epochs=cfg.pick(None, None, 2)).fit(split.X_train)
        ae = float(model.reconstruction_error(split.X_test).mean())
        pca = pca_test_mse(split.X_train, split.X_test, LATENT)
        rows.append(row(split.source.split(":")[0], name, model, ae, pca, t.seconds))
    rows.append({"note": f"Each variant: Autoencoder(model=NAME, latent_dim={LATENT}, max_seconds={limit:g}), other "
                         "settings default; 'train s' includes validation passes."})
    return rows
