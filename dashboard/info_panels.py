"""The Training, Data and Export tabs: what the model is and how well it does, what the data is, and
downloads. Downloads build their bytes only when clicked (callable data), never on a rerun."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from aecore.bundle import save_bundle
from aecore.estimator import interpolate
from aecore.export import codes_frame, to_csv_bytes

from .figures import loss_figure
from .render import to_pil
from .state import Workspace

THUMBS = 32
KL_SAMPLE = 2000  # rows the KL per dimension is averaged over: a stable mean, in well under a second


def training_tab(ws: Workspace) -> None:
    m = ws.model
    cfg = m.config_
    st.markdown(f"**{m.model}** autoencoder · latent {cfg.latent_dim} · {cfg.backbone} backbone {cfg.hidden} · "
                f"{cfg.objective} objective · {cfg.recon.upper()} reconstruction loss")
    st.caption(m.result_.message + f" {m.result_.seconds:.1f} s of training.")
    if ws.comparison:
        st.markdown(ws.comparison.summary())
    if m.history_:
        st.plotly_chart(loss_figure(m.history_), key=f"loss_{ws.version}", config={"displayModeBar": False})
    interpolation_panel(ws)
    if m.is_variational:
        kl = m.kl_per_dim(ws.dataset.X[:KL_SAMPLE])
        st.markdown("**KL per latent dimension** (near 0: a dimension the model does not use)")
        st.bar_chart(pd.DataFrame({"KL (nats)": kl}, index=[f"z{i}" for i in range(len(kl))]), height=200)
        if ws.dataset.kind == "image" and st.button("Sample 8 new images from the prior", key="vae_sample"):
            samples = m.sample(8, seed=int(np.random.default_rng().integers(1 << 31)))
            st.image([to_pil(s, 96) for s in samples], output_format="PNG")


@st.fragment(key="interpolate")
def interpolation_panel(ws: Workspace) -> None:
    """Decode a straight walk (spherical for a VAE) between two rows' codes: what lies between them."""
    ds, ex, m = ws.dataset, ws.exploration, ws.model
    st.markdown("**Walk between two rows** (decoded codes on the path from one to the other)")
    c1, c2, c3 = st.columns(3)
    a = c1.number_input("From row", 0, ds.n - 1, 0, key=f"interp_a_{ws.version}")
    b = c2.number_input("To row", 0, ds.n - 1, min(1, ds.n - 1), key=f"interp_b_{ws.version}")
    steps = c3.slider("Steps", 3, 12, 8, key=f"interp_steps_{ws.version}")
    path = m.inverse_transform(interpolate(ex.codes[a], ex.codes[b], steps, spherical=m.is_variational))
    if ds.kind == "image":
        st.image([to_pil(x, 72) for x in path], caption=[f"{i / (steps - 1):.2f}" for i in range(steps)],
                 output_format="PNG")
    else:
        frame = ds.preprocessor.inverse_transform(path)
        frame.insert(0, "t", np.linspace(0.0, 1.0, steps).round(2))
        st.dataframe(frame, hide_index=True)


def data_tab(ws: Workspace) -> None:
    ds = ws.dataset
    shape = "×".join(map(str, ds.sample_shape))
    st.markdown(f"**{ds.name}** · {ds.n:,} rows · features per row {shape}"
                + (f" · label column '{ds.label}'" if ds.label else ""))
    for line in ds.report:
        st.caption(line)
    if ds.kind == "image":
        c, h, w = ds.sample_shape
        st.caption(f"Common size {w}×{h}, {'RGB' if c == 3 else 'grayscale'}. The first {min(THUMBS, ds.n)} images:")
        st.image([to_pil(ds.X[i], 56) for i in range(min(THUMBS, ds.n))], output_format="PNG")
    else:
        st.dataframe(ds.meta.head(500), height=300)


def export_tab(ws: Workspace) -> None:
    ds, ex, m = ws.dataset, ws.exploration, ws.model
    st.markdown("**Keep your work.** The model bundle holds the model, the data preparation, the data, the codes "
                "and the map: load it back from *Saved model* in the sidebar, or use it with `python -m aecore`.")
    slug = "".join(ch if ch.isalnum() else "_" for ch in ds.name)[:40] or "model"

    def bundle_bytes() -> bytes:
        return save_bundle(None, m, ds, codes=ex.codes, xy=ex.xy, errors=ex.errors, comparison=ws.comparison)

    def codes_bytes() -> bytes:
        return to_csv_bytes(codes_frame(ex.codes, ex.xy, ex.errors, ds.labels))

    c1, c2 = st.columns(2)
    c1.download_button("Download model bundle", bundle_bytes, file_name=f"{slug}.aebundle",
                       mime="application/zip", on_click="ignore", type="primary", key="dl_bundle", width="stretch")
    c2.download_button("Download codes, map and errors (CSV)", codes_bytes, file_name=f"{slug}_codes.csv",
                       mime="text/csv", on_click="ignore", key="dl_codes", width="stretch")
    st.caption(f"The CSV has id, label, z0…z{m.config_.latent_dim - 1}, x, y and reconstruction_error per row. "
               "Text cells that a spreadsheet could run as a formula are prefixed with a quote.")
