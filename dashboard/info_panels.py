"""The Training, Data and Export views: what the model is and how well it does, what the data is, and
downloads. Downloads build their bytes only when clicked (callable data), never on a rerun."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from aecore.bundle import save_bundle
from aecore.dataset import category_values
from aecore.describe import readable
from aecore.explore import STORED_NOTE
from aecore.export import codes_frame, to_csv_bytes

from .figures import frame_figure, loss_figure
from .guard import guarded_fragment
from .render import to_pil
from .state import MAP_VIEW, VIEW_KEY, Generated, Workspace

THUMBS = 32
CURVE_EPOCHS = 3  # fewer epochs than this get a sentence, not a loss chart
KL_SAMPLE = 2000  # rows the KL per dimension is averaged over: a stable mean, in well under a second


def training_view(ws: Workspace) -> None:
    m = ws.model
    cfg = m.config_
    st.markdown(f"**{m.model}** autoencoder · latent {cfg.latent_dim} · {cfg.backbone} backbone {cfg.hidden} · "
                f"{cfg.objective} objective · {cfg.recon.upper()} reconstruction loss")
    st.caption(m.result_.message + f" {m.result_.seconds:.1f} s of training.")
    if ws.comparison:
        st.markdown(ws.comparison.summary())
    if 0 < len(m.history_) < CURVE_EPOCHS:  # a million rows in 15 s: a chart of two lone dots said nothing
        longer = " A longer time limit (Advanced settings) trains more." if m.result_.status == "time_limit" else ""
        st.caption(f"{len(m.history_)} epoch(s) trained: too few for a loss curve.{longer}")
    elif m.history_:
        st.plotly_chart(loss_figure(m.history_), key=f"loss_{ws.version}", config={"displayModeBar": False})
        if ws.comparison and ws.comparison.held_out and len(m.split_["test"]) and len(m.split_["val"]):
            st.caption(f"The loss is what training minimises (with a sparse or variational model, its penalty "
                       f"too), on the training rows and on the {len(m.split_['val']):,} validation rows early "
                       f"stopping watches. The error beside PCA's is on {len(m.split_['test']):,} other rows, "
                       "the test rows, which training never uses: the two can differ, most when a few rows hold "
                       "extreme values.")
    replay(ws)
    if m.is_variational:
        kl = m.kl_per_dim(ws.dataset.X[:KL_SAMPLE])
        st.markdown("**KL per latent dimension** (near 0: a dimension the model does not use)")
        st.bar_chart(pd.DataFrame({"KL (nats)": kl}, index=[f"z{i}" for i in range(len(kl))]), height=200)
        vae_samples(ws)


SAMPLES_KEY = "vae samples"
N_SAMPLES = 8


def vae_samples(ws: Workspace) -> None:
    """New rows from the prior N(0, I), decoded; and where their codes fall on the map."""
    m = ws.model
    if st.button(f"Sample {N_SAMPLES} new {'images' if ws.dataset.kind == 'image' else 'rows'} from the prior",
                 key="vae_sample"):
        rng = np.random.default_rng()
        ws.cache[(ws.version, SAMPLES_KEY)] = rng.standard_normal((N_SAMPLES, m.config_.latent_dim)).astype(np.float32)
    codes = ws.cache.get((ws.version, SAMPLES_KEY))
    if codes is None:
        return
    decoded = m.inverse_transform(codes)
    if ws.dataset.kind == "image":
        st.image([to_pil(s, 96) for s in decoded], output_format="PNG")
    else:
        st.dataframe(readable(ws.dataset.preprocessor.inverse_transform(decoded), ws.dataset.meta), hide_index=True)
    st.button("Show where they fall on the map", key="vae_sample_map", on_click=show_on_map, args=(ws, codes))


def show_on_map(ws: Workspace, codes: np.ndarray) -> None:
    """Draw the samples on the map where their codes fall, and show the map."""
    ws.generated = [g for g in ws.generated if g.name != "VAE samples"]
    ws.generated.append(Generated("VAE samples", codes, "generated"))
    st.session_state[VIEW_KEY] = MAP_VIEW


@st.fragment(key="replay")
@guarded_fragment("Training replay")
def replay(ws: Workspace) -> None:
    """The map as it formed during training: the frames taken while it trained, one per slider step."""
    frames = ws.entry.frames if ws.entry else []
    if len(frames) < 2:
        return
    st.markdown("**The latent space as it formed** (a fixed sample of rows, PCA of their codes, each frame "
                "aligned to the one before; the last is the model kept, the one the map shows)")
    i = st.select_slider("Epoch", list(range(len(frames))), value=len(frames) - 1, key=f"replay_{ws.version}",
                         format_func=lambda k: f"{frames[k].epoch}" + (" (kept)" if frames[k].kept else ""))
    st.plotly_chart(frame_figure(frames[i], ws.entry.derived.get("frame_labels")), key=f"replay_fig_{ws.version}",
                    config={"displayModeBar": False})


def data_view(ws: Workspace) -> None:
    ds = ws.dataset
    shape = "×".join(map(str, ds.sample_shape))
    st.markdown(f"**{ds.name}** · {ds.n:,} rows · features per row {shape}"
                + (f" · label column '{ds.label}'" if ds.label else ""))
    for line in ds.report:
        st.caption(line)
    labels = category_values(ds.labels) if ds.label else None
    if ds.kind == "image":
        c, h, w = ds.sample_shape
        rows = spread_rows(labels, THUMBS) if labels is not None else np.arange(min(THUMBS, ds.n))
        which = "from every label in turn" if labels is not None else "the first"
        st.caption(f"Common size {w}×{h}, {'RGB' if c == 3 else 'grayscale'}. {len(rows)} images, {which}:")
        st.image([to_pil(ds.X[i], 56) for i in rows], caption=None if labels is None else list(labels[rows]),
                 output_format="PNG")
    else:
        st.dataframe(ds.meta.head(500), height=300)
    if labels is not None:
        counts = pd.Series(labels).value_counts().sort_index()
        st.markdown(f"**Rows per {ds.label}** ({len(counts):,} values)")
        st.bar_chart(counts.rename("rows"), height=220, x_label=ds.label, y_label="rows")


def spread_rows(labels: np.ndarray, k: int) -> np.ndarray:
    """Up to k rows taken from each label in turn (labels in order of first appearance, each label's rows in
    order), so a sample of a folder-per-class set shows its classes, not the first class's first images."""
    label = pd.factorize(labels)[0]  # 0, 1, ... in order of first appearance
    turn = pd.Series(label).groupby(label).cumcount().to_numpy()  # a row's place among its label's rows
    order = np.lexsort((label, turn))  # round by round, labels in order within a round
    return order[:k]


def csv_columns(ws: Workspace) -> str:
    """The codes CSV's header as the download writes it (its first row built the same way), the codes' run of
    columns shortened: "id, rownames, z0…z7, x, y and reconstruction_error"."""
    ds, ex = ws.dataset, ws.exploration
    labels = None if ds.labels is None else ds.labels.iloc[:1]
    names = list(codes_frame(ex.codes[:1], ex.xy[:1], ex.errors[:1], labels, keys=ds.meta[ds.key_columns].iloc[:1]))
    codes = [c for c in names if c.startswith("z") and c[1:].isdigit()]
    shown = [c for c in names if c not in codes[1:]]
    if len(codes) > 1:
        shown[shown.index(codes[0])] = f"{codes[0]}…{codes[-1]}"
    return ", ".join(shown[:-1]) + f" and {shown[-1]}"


def export_view(ws: Workspace) -> None:
    ds, ex, m = ws.dataset, ws.exploration, ws.model
    st.markdown("**Keep your work.** The model bundle holds the model, the data preparation, the data, the codes "
                "and the map: load it back from *Saved model* in the sidebar, or use it with `python -m aecore`.")
    slug = "".join(ch if ch.isalnum() else "_" for ch in ds.name)[:40] or "model"

    def bundle_bytes() -> bytes:
        return save_bundle(None, m, ds, codes=ex.codes, xy=ex.xy, errors=ex.errors, comparison=ws.comparison,
                           map_note=None if ex.map_note == STORED_NOTE else ex.map_note)

    def codes_bytes() -> bytes:
        return to_csv_bytes(codes_frame(ex.codes, ex.xy, ex.errors, ds.labels, keys=ds.meta[ds.key_columns]))

    c1, c2 = st.columns(2)
    c1.download_button("Download model bundle", bundle_bytes, file_name=f"{slug}.aebundle",
                       mime="application/zip", on_click="ignore", type="primary", key="dl_bundle", width="stretch")
    c2.download_button("Download codes, map and errors (CSV)", codes_bytes, file_name=f"{slug}_codes.csv",
                       mime="text/csv", on_click="ignore", key="dl_codes", width="stretch")
    st.caption(f"The CSV has {csv_columns(ws)} per row. Text cells that a spreadsheet could run as a formula are "
               "prefixed with a quote.")
