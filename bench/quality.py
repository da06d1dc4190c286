"""2. Reconstruction quality against PCA at the same latent size, on held-out rows.

Each row: an Autoencoder fitted on the train rows only (its own 10% validation / 10% test split is
carved out of those, as in the product), then the mean squared error per element of its
reconstructions of the held-out rows, beside PCA fitted on all the train rows (which it is, so PCA
sees 25% more rows than the network trains on). Both in the model's feature space: pixels in [0, 1]
for images, standardised columns for the table. Lower is better; the ratio is ours / PCA."""
from __future__ import annotations

import numpy as np

from .common import Config, missing_mnist, mnist, note

TARGET_RATIO_32 = 0.7     # MNIST latent 32: at most 0.7x PCA's test MSE ...
TARGET_SECONDS_32 = 60.0  # ... within 60 s of training on this machine
QUICK_CAP = 20.0          # quick mode: seconds of training for MNIST latent 2 and 8


def compare(dataset: str, X_train, X_test, latent: int, settings: str = "defaults", **params) -> dict:
    """Fit an Autoencoder(latent_dim=latent, **params) on X_train, score X_test; PCA beside it."""
    from aecore import Autoencoder
    from aecore.baseline import pca_test_mse

    model = Autoencoder(latent_dim=latent, **params).fit(X_train)
    ours = float(model.reconstruction_error(X_test).mean())
    pca = pca_test_mse(X_train, X_test, latent)
    r = model.result_
    return {"dataset": dataset, "model": model.config_.backbone if model.config_.objective == "plain"
            else f"{model.config_.backbone}-{model.config_.objective}", "latent": latent, "settings": settings,
            "ours MSE": f"{ours:.4f}", "PCA MSE": f"{pca:.4f}", "ratio": f"{ours / pca:.2f}",
            "train s": f"{r.seconds:.1f}", "epochs": f"{r.epochs_run} ({r.status}, kept {r.best_epoch})",
            "_ours": ours, "_pca": pca, "_seconds": r.seconds,
            "_figure": f"{dataset}, {settings}, latent {latent}: MSE {ours:.4f} vs PCA {pca:.4f} ({ours / pca:.2f}x), "
                       f"{r.seconds:.0f} s training"}


def below_pca(row: dict) -> dict:
    row.update(target="below PCA", status="PASS" if row["_ours"] < row["_pca"] else "MISS")
    return row


def fixed_split(n: int, test_share: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng(seed).permutation(n)
    n_test = int(round(test_share * n))
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def run(cfg: Config) -> list[dict]:
    from aecore import samples

    rows: list[dict] = []
    notes: list[dict] = []
    smoke = dict(epochs=2, hidden=[16]) if cfg.smoke else {}

    split = mnist(cfg)
    if split is None:
        notes.append(missing_mnist(cfg))
    else:
        name = "MNIST" if not cfg.smoke else "stand-in"
        # Quick mode caps the latent 2 and 8 runs at 30 s of training each (the trainer's own time
        # limit, which re-plans the epochs and LR schedule to fit); full mode runs the defaults.
        cap = cfg.pick({}, {"max_seconds": QUICK_CAP}, {})
        for k in (2, 8):
            rows.append(below_pca(compare(name, split.X_train, split.X_test, k,
                                          "defaults" + (f", max_seconds={QUICK_CAP:g}" if cap else ""),
                                          **cap, **smoke)))
        if not cfg.quick:
            rows.append(below_pca(compare(name, split.X_train, split.X_test, 32, "defaults", **smoke)))
        # The 60 s target: the defaults with the trainer's 60 s time limit, so the figure is what a user
        # gets from 60 s of training on this machine, however loaded it is.
        budget = dict(max_seconds=TARGET_SECONDS_32) if not cfg.smoke else {}
        row = compare(name, split.X_train, split.X_test, 32, "defaults, max_seconds=60", **budget, **smoke)
        ok = row["_ours"] <= TARGET_RATIO_32 * row["_pca"] and row["_seconds"] <= TARGET_SECONDS_32 * 1.02
        row.update(target=f"<= {TARGET_RATIO_32}x PCA in <= {TARGET_SECONDS_32:g} s", status="PASS" if ok else "MISS")
        rows.append(row)
        if cfg.mode == "full":
            rows.append(compare(name, split.X_train, split.X_test, 32, "model=conv, max_seconds=60", model="conv",
                                **budget, **smoke))
            rows[-1].update(target="(info)", status="")
            rows.append(compare(name, split.X_train, split.X_test, 32, "recon='bce', max_seconds=60", recon="bce",
                                **budget, **smoke))
            rows[-1].update(target="(info)", status="")
        notes.append(note(f"{name}: {split.source}. 'defaults' = Autoencoder(latent_dim=k) and nothing else "
                          "(for MNIST: dense [512, 256] with the linear paths beside the MLPs, started at PCA "
                          "(pca_init), a linear output learned with MSE and clipped to [0, 1] when decoding, batch "
                          "128, Adam 1e-3 with cosine decay, 80 epochs for 6,400 training rows, early stopping on "
                          "the 10% validation rows)."))
        if cfg.quick:
            notes.append(note(f"Quick mode: MNIST latent 2 and 8 capped at {QUICK_CAP:g} s of training each (the "
                              "trainer's time limit, which re-plans the epochs and the LR schedule to fit), and the "
                              "latent 32 defaults-without-limit and conv rows left out."))

    digits = samples.digits()
    tr, te = fixed_split(digits.n)
    for k in (2, 8, 16, 32):
        rows.append(below_pca(compare("digits 8x8", digits.X[tr], digits.X[te], k, **smoke)))
    if cfg.mode == "full":
        # The previous default for pixels (a sigmoid output with cross-entropy), for comparison.
        for k in (8, 32):
            row = compare("digits 8x8", digits.X[tr], digits.X[te], k, "recon='bce'", recon="bce", **smoke)
            rows.append(dict(row, target="(info)", status=""))
    table = samples.breast_cancer()
    tr, te = fixed_split(table.n)
    for k in (2, 8, 16):
        rows.append(below_pca(compare("breast cancer (30 columns)", table.X[tr], table.X[te], k, **smoke)))
    notes.append(note("The (info) rows with recon='bce' train a sigmoid output with binary cross-entropy, the "
                      "default for pixels until it lost to PCA on digits at latent 32 (1.35x, where PCA keeps half "
                      "of the 64 pixels' dimensions and is close to exact). Starting at PCA with a clipped linear "
                      "output keeps the default below PCA there; it trades some of cross-entropy's lead on MNIST at "
                      "latent 32 for that."))
    notes.append(note(f"digits: {digits.n:,} images, breast cancer: {table.n} rows; each split 80/20 by a seeded "
                      "permutation (seed 0). Breast cancer columns are standardised (by load_table, over all rows, "
                      "for both methods); latent sizes 2, 8 and 16 because it has 30 columns."))
    if cfg.smoke:
        notes.append(note("Smoke mode: 2 epochs, hidden [16], stand-in data: the figures mean nothing."))
    return rows + notes
