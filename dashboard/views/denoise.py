"""Denoising: corrupt the picked row (Gaussian noise or masking, at a chosen strength) and show the clean
input, the noisy copy and the model's output for it, each with its error; then the same over a sample
of rows, beside PCA at the same latent size. Works with any model; a denoising model should win."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from aecore.denoise import DEFAULT_SAMPLE, NOISE_KINDS, denoise, fit_pca, sample_rows
from aecore.describe import fmt_like

from ..render import to_pil
from ..state import Workspace
from .common import show_images


def pca(ws: Workspace):
    """PCA at the model's latent size, fitted on the model's training rows (once per model)."""
    m, X = ws.model, ws.dataset.X
    return ws.cached("denoise_pca", lambda: fit_pca(X[m.split_["train"]], m.config_.latent_dim, m.seed))


def render(ws: Workspace, row: int) -> None:
    ds, m = ws.dataset, ws.model
    trained = m.config_.objective == "denoising"
    # One above the other: side by side in the inspector's width, the noise's second option was cut off.
    kind = st.segmented_control("Noise", NOISE_KINDS, key="denoise_kind", persist_state="page", required=True,
                                default=m.config_.noise if trained else NOISE_KINDS[0])
    level = st.slider("Strength", 0.05, 0.9, float(m.config_.noise_level) if trained else 0.3, 0.05,
                      key="denoise_level", persist_state="page",
                      help="Gaussian: the noise's standard deviation. Masking: the share of values set to 0.")
    one = denoise(m, ds.X[row : row + 1], kind, level, seed=row, pca=pca(ws))
    if ds.kind == "image":  # short captions under images a third of the inspector wide; the errors below them
        show_images([("clean", to_pil(one.clean[0])), ("noisy", to_pil(one.noisy[0])),
                     ("model output", to_pil(one.denoised[0]))])
        st.caption(f"Error against the clean image: noisy {one.noisy_mse[0]:.4g}, model output "
                   f"{one.denoised_mse[0]:.4g}.")
    else:
        pre = ds.preprocessor
        frames = [pre.inverse_transform(a) for a in (one.clean, one.noisy, one.denoised)]
        names, raw = pre.columns, ds.meta.iloc[row]  # yes/no spelled as the file has them
        st.dataframe(pd.DataFrame({"feature": names,
                                   "clean": [fmt_like(frames[0][n].iloc[0], raw[n]) for n in names],
                                   "noisy": [fmt_like(frames[1][n].iloc[0], raw[n]) for n in names],
                                   "model output": [fmt_like(frames[2][n].iloc[0], raw[n]) for n in names]}),
                     hide_index=True, height=260)
        st.caption(f"Error against the clean row (standardised units): noisy {one.noisy_mse[0]:.4g}, model output "
                   f"{one.denoised_mse[0]:.4g}.")
    rows = sample_rows(ds.n, DEFAULT_SAMPLE)
    many = ws.cached(("denoise", kind, round(level, 3)), lambda: denoise(m, ds.X[rows], kind, level, seed=0,
                                                                         pca=pca(ws)))
    st.markdown(many.summary())
    if not trained:
        st.caption(f"This model was trained as '{m.model}'. A denoising model (Train with model 'denoising', "
                   "the same noise) learns to undo it.")
    st.caption(f"Mean error over the {len(rows):,} rows: noisy {np.mean(many.noisy_mse):.4g} · model output "
               f"{np.mean(many.denoised_mse):.4g}" + (f" · PCA {np.mean(many.pca_mse):.4g}"
                                                     if many.pca_mse is not None else ""))
