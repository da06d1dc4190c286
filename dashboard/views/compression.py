"""Compression: what the picked row's code costs against its input (bytes at float32 and at 8-bit
quantisation, the ratio) and what it loses (error, and PSNR for images), with error against latent size
for this data: PCA at once, and small autoencoders from a quick sweep that runs in the background."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from aecore.baseline import pca_errors
from aecore.compression import Quantizer, code_cost, default_latents, row_loss

from ..figures import compression_figure
from ..jobs import SweepJob
from ..state import Workspace, get_ws

SWEEP_SECONDS = 3.0  # training time per latent size in the sweep: a curve in about 15-20 s


def quantizer(ws: Workspace) -> Quantizer:
    return ws.cached("quantizer", lambda: Quantizer.fit(ws.exploration.codes))


def pca_curve(ws: Workspace) -> list[tuple[int, float]]:
    """PCA's test error at each latent size, on the model's own split (the rows its figure uses)."""
    m, X = ws.model, ws.dataset.X
    ks = default_latents(int(np.prod(ws.dataset.sample_shape)))
    test = m.split_["test"] if len(m.split_["test"]) else m.split_["train"]

    def build():
        return list(zip(ks, pca_errors(X[m.split_["train"]], X[test], ks, m.seed), strict=True))
    return ws.cached("pca_curve", build)


def render(ws: Workspace, row: int) -> None:
    ds, m = ws.dataset, ws.model
    k = m.config_.latent_dim
    cost = code_cost(ds.sample_shape, k, ds.kind)
    loss = row_loss(m, ds.X[row : row + 1], quantizer(ws), ds.kind)
    unit = "8-bit pixels" if ds.kind == "image" else "float32 features"
    st.markdown(f"**Row {row}: {cost.input_bytes:,} bytes ({unit}) → a code of {k} numbers**")
    rows = {"bytes": [f"{cost.float32_bytes:,}", f"{cost.uint8_bytes:,}"],
            "compression": [f"{cost.ratio_float32:.1f}×", f"{cost.ratio_uint8:.1f}×"],
            "error (MSE)": [f"{loss.mse_float32:.4g}", f"{loss.mse_uint8:.4g}"]}
    if loss.psnr_float32 is not None:
        rows["PSNR"] = [f"{loss.psnr_float32:.1f} dB", f"{loss.psnr_uint8:.1f} dB"]
    table = pd.DataFrame(rows, index=["float32 code", "8-bit code"]).T
    st.dataframe(table)
    st.caption(f"8-bit codes need {quantizer(ws).overhead_bytes} bytes once per dataset (each dimension's range).")
    sweep_panel()


def sweep_panel() -> None:
    """The error-vs-latent-size chart, with the quick sweep's button, or its live progress while it runs."""
    ws = get_ws()
    job = ws.sweeps.get(fingerprint(ws))
    if job is not None and job.running:
        sweep_progress()
        return
    draw_curve(ws, job)
    latents = default_latents(int(np.prod(ws.dataset.sample_shape)))
    if job is None:
        st.caption("PCA's curve is computed at once. Add small autoencoders (one per latent size, "
                   f"{SWEEP_SECONDS:g} s each) to see where this model's kind of network beats it.")
        if st.button(f"Run the quick sweep ({len(latents)} sizes, about {len(latents) * SWEEP_SECONDS:.0f} s)",
                     key="sweep_start", disabled=ws.training):
            job = SweepJob(ws.dataset.X, latents, SWEEP_SECONDS, {"model": ws.model.model})
            ws.sweeps[fingerprint(ws)] = job.start()
            st.rerun(scope="app")
    elif job.error:
        st.error(job.error)
    else:
        st.caption("Sweep models: the same kind of network as this one, trained for "
                   f"{SWEEP_SECONDS:g} s each and measured on their own held-out 20%. Cached for this data.")


def fingerprint(ws: Workspace) -> str:
    return ws.dataset.fingerprint


def draw_curve(ws: Workspace, job: SweepJob | None) -> None:
    m = ws.model
    current = (m.config_.latent_dim, ws.comparison.ae_mse) if ws.comparison else None
    st.markdown("**Error against latent size** for this data")
    st.plotly_chart(compression_figure(job.points if job else [], current, pca_curve(ws)),
                    key="compression_curve", config={"displayModeBar": False})


@st.fragment(run_every=1.0)
def sweep_progress() -> None:
    """Polls the running sweep: the curve grows as each latent size finishes; one full rerun at the end."""
    ws = get_ws()
    job = ws.sweeps.get(fingerprint(ws))
    if job is None or not job.running:
        st.rerun(scope="app")
    draw_curve(ws, job)
    latents = len(job.latents)
    st.caption(f"Sweeping in the background: {len(job.points)} of {latents} sizes done…")
