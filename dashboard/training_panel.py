"""Sidebar training settings, starting a background run, and the live progress fragment."""
from __future__ import annotations

import streamlit as st

from aecore import Autoencoder, Dataset, describe_model, model_choices
from aecore.errors import AecoreError
from aecore.estimator import DEVICES
from aecore.models import adapt_model

from .jobs import JobPhase, TrainingJob
from .pending import target, target_name
from .state import Workspace, get_ws

AUTO = "auto"
LATENT_SIZES = [AUTO, 1, 2, 3, 4, 8, 16, 32, 64]
ADVANCED_KEY = "advanced_settings"  # the 'Advanced settings' expander: open or not
APP_TIME_LIMIT_S = 15  # the app's default training budget: a first model in seconds, not minutes
ESTIMATOR = Autoencoder().get_params()  # the engine's defaults: the one source of the widgets' defaults

# Widget key -> the estimator parameter it sets. Widgets show "0" for "auto" (epochs) and "" for
# "default layers", which the estimator spells None.
PARAMS = {"train_model": "model", "train_latent": "latent_dim", "train_epochs": "epochs", "train_batch": "batch_size",
          "train_lr": "lr", "train_hidden": "hidden", "train_noise": "noise", "train_noise_level": "noise_level",
          "train_sparsity": "sparsity", "train_beta": "beta", "train_seed": "seed", "train_seconds": "max_seconds",
          "train_device": "device"}
UI_DEFAULTS = {"train_latent": AUTO, "train_epochs": 0, "train_hidden": "", "train_seconds": APP_TIME_LIMIT_S}
DEFAULTS = {key: UI_DEFAULTS.get(key, ESTIMATOR[param]) for key, param in PARAMS.items()} | {"train_projection": "umap"}


def setting(key: str):
    """A training setting: the widget's value once the sidebar has been drawn, else the default."""
    return st.session_state.get(key, DEFAULTS[key])


def parse_hidden(text: str) -> list[int] | None:
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    if not parts:
        return None
    try:
        widths = [int(p) for p in parts]
    except ValueError:
        raise AecoreError("Layer sizes must be whole numbers separated by commas, like 512,256; "
                          f"got '{text}'.") from None
    if not all(1 <= w <= 4096 for w in widths):
        raise AecoreError("Each layer size must be between 1 and 4096.")
    return widths


def train_params(dataset: Dataset) -> dict:
    """The estimator parameters from the current settings; a model that does not fit the data (a conv
    model on a table) becomes the same objective on a backbone that does."""
    params = {param: setting(key) for key, param in PARAMS.items()}
    params["model"] = adapt_model(params["model"], dataset.kind)
    params["epochs"] = int(params["epochs"]) or None
    params["max_seconds"] = float(params["max_seconds"]) or None
    params["hidden"] = parse_hidden(params["hidden"])
    params["latent_dim"] = None if params["latent_dim"] == AUTO else int(params["latent_dim"])
    for name in ("batch_size", "seed"):
        params[name] = int(params[name])
    for name in ("lr", "noise_level", "sparsity", "beta"):
        params[name] = float(params[name])
    return params


def train_pending(ws: Workspace) -> str | None:
    """Train what the Train button trains (pending.target): the uploaded data waiting with its column
    choice, else the data on the map. Returns an error for a person, or None when the run started."""
    try:
        dataset, source, digest = target(ws)
    except AecoreError as exc:
        return str(exc)
    if not start_training(ws, dataset, source):
        return ws.notice[1] if ws.notice else "Training could not start."
    if digest is not None:
        ws.loaded_digest = digest
    ws.clear_pending()
    return None


def start_training(ws: Workspace, dataset: Dataset, source: str) -> bool:
    """Start a background run on dataset with the current settings. False (and a notice) if refused."""
    if ws.training:
        ws.notice = ("warning", "A model is still training. Stop it first, or wait for it to finish.")
        return False
    try:
        params = train_params(dataset)
    except AecoreError as exc:
        ws.notice = ("error", str(exc))
        return False
    ws.job = TrainingJob(dataset, params, projection=setting("train_projection"), source=source).start()
    return True


def train_sidebar(ws: Workspace) -> None:
    with st.sidebar:
        train_settings()


@st.fragment(key="train_settings")
def train_settings() -> None:
    """The settings rerun only this fragment when changed (the map is not re-sent), and take effect at
    once: the Train button here and the data panel's "... and train" buttons read the same values."""
    ws = get_ws()
    st.header("2 · Train")
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    kind = ws.dataset.kind if ws.dataset is not None else "table"
    models = model_choices(kind)
    st.session_state["train_model"] = adapt_model(st.session_state["train_model"], kind)
    st.selectbox("Model", models, key="train_model", format_func=lambda m: f"{m} · {describe_model(m)}")
    st.select_slider("Latent size", LATENT_SIZES, key="train_latent",
                     help="Numbers per row in the code. Auto: about a quarter of the features, 2 to 8, so the "
                          "code is a real compression. A 2-number code is shown directly as the map.")
    # Lazy: the settings are drawn only while open. Every element on the page costs each click's render a
    # little, and these thirteen widgets were over a third of the page's elements; closed, they keep their
    # values (persist_state).
    with st.expander("Advanced settings", key=ADVANCED_KEY, on_change="rerun") as advanced:
        if advanced.open:
            advanced_settings()
    name = target_name(ws)
    waiting = ws.pending is not None
    label = f"Training on {ws.job.dataset.name}…" if ws.training else f"Train on {name}" if name else "Train"
    if st.button(label, type="primary", key="train_button", width="stretch",
                 disabled=(ws.dataset is None and not waiting) or ws.training,
                 help="Trains the data you uploaded (with the columns chosen on the right)" if waiting else
                 "Trains a new model on the data on the map"):
        error = train_pending(ws)
        if error:
            ws.notice = ("error", error)
        st.rerun(scope="app")


def advanced_settings() -> None:
    """The settings under 'Advanced settings' (read through `setting`, defaults in DEFAULTS)."""
    st.number_input("Time limit (s, 0 = none)", 0, 3600, key="train_seconds", persist_state="page",
                    help="Training fits its schedule to this limit and keeps the best epoch; an epoch still running "
                         "past it (a very large table's) stops there.")
    st.number_input("Epochs (0 = auto)", 0, 2000, key="train_epochs", persist_state="page",
                    help="Auto aims at about 4,000 optimizer steps; early stopping ends a stalled run.")
    st.text_input("Layer sizes", key="train_hidden", persist_state="page",
                  placeholder="auto: 4x, 2x the input (max 512, 256)",
                  help="Dense widths or conv channels, comma-separated.")
    st.select_slider("Batch size", [32, 64, 128, 256, 512], key="train_batch", persist_state="page")
    st.select_slider("Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], key="train_lr", persist_state="page")
    st.selectbox("Noise (denoising)", ["gaussian", "masking"], key="train_noise", persist_state="page")
    st.slider("Noise level (denoising)", 0.0, 0.9, key="train_noise_level", persist_state="page")
    st.select_slider("Sparsity weight (sparse)", [1e-4, 1e-3, 1e-2, 1e-1], key="train_sparsity", persist_state="page")
    st.select_slider("KL weight β (VAE)", [0.1, 0.25, 0.5, 1.0, 2.0, 4.0], key="train_beta", persist_state="page")
    st.number_input("Seed", 0, 2**31 - 1, key="train_seed", persist_state="page")
    st.selectbox("Device", DEVICES, key="train_device", persist_state="page",
                 help="Where training runs. auto: the GPU when PyTorch sees one, else the CPU; "
                      "cuda without a GPU stops with an error.")
    st.radio("Map", ["umap", "pca"], key="train_projection", persist_state="page", horizontal=True,
             format_func=lambda p: {"umap": "UMAP", "pca": "PCA (fast, linear)"}[p])


def stop_job() -> None:
    job = get_ws().job
    if job is not None:
        job.stop()


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def progress_text(job) -> str:
    last = job.reports[-1] if job.reports else None
    if job.phase == JobPhase.QUEUED:
        place = job.queue_position()
        where = f"you are {ordinal(place)} in line" if place else "starting"
        return (f"Waiting for a free trainer: {where} ({job.pool.running} running for other sessions). "
                "Stop leaves the line.")
    if job.phase == JobPhase.MAPPING:
        how = "its 2-number codes are the map" if job.latent_dim == 2 else job.projection.upper()
        return f"Training done; drawing the map ({how})… {job.elapsed:.0f} s"
    if job.cancel.is_set():
        return "Stopping after this batch; keeping the best model so far…"
    eta = job.eta()
    if last is None and job.phase == JobPhase.TRAINING and eta is not None:  # a long first epoch, under a limit
        return f"Epoch 1 on {job.dataset.n:,} rows · {job.elapsed:.0f} s · about {eta:.0f} s left"
    if last is None:
        return f"Starting training on {job.dataset.n:,} rows…"
    val = f" · validation {last.val_loss:.4g}" if last.val_loss is not None else ""
    return (f"Epoch {last.epoch}/{last.epochs} · train loss {last.train_loss:.4g}{val} · {job.elapsed:.0f} s"
            + (f" · about {eta:.0f} s left" if eta is not None else ""))


STOP_HELP = {JobPhase.QUEUED: "Leave the line; nothing changes",
             JobPhase.STARTING: "Stop now; nothing changes",
             JobPhase.TRAINING: "Stop now and keep the best model so far",
             JobPhase.MAPPING: "Stop now and keep your previous model and map"}


@st.fragment(run_every=0.5)
def training_progress() -> None:
    """Polls the background run; installs its result (full rerun) when it ends."""
    from .figures import frame_figure, loss_figure

    ws = get_ws()
    job = ws.job
    if job is None:
        return
    if job.phase == JobPhase.DONE:
        r = job.result
        dropped = ws.install(job.dataset, r.model, r.exploration, r.comparison, job.source, job.watcher_frames())
        ws.entry.derived["frame_labels"] = job.watch_labels
        status = "success" if r.model.result_.status.ok else "warning"
        ws.notice = (status, f"{r.model.result_.message} Map ready in {job.elapsed:.1f} s." + (f" {dropped}" if dropped
                                                                                              else ""))
        ws.job = None
        st.rerun(scope="app")
    if not job.phase.running:  # failed or stopped: nothing to install
        ws.notice = ("error" if job.phase == JobPhase.FAILED else "warning", job.error)
        ws.job = None
        st.rerun(scope="app")
    with st.container(border=True):
        cols = st.columns([5, 1])
        cols[0].progress(job.progress(), text=progress_text(job))
        cols[1].button("Stop", on_click=stop_job, disabled=job.cancel.is_set(), width="stretch",
                       help=STOP_HELP.get(job.phase))  # the phase may move on in the job's thread meanwhile
        frame = job.watcher.latest if job.watcher is not None else None
        if len(job.reports) >= 2 or frame is not None:
            left, right = st.columns([3, 2])
            if len(job.reports) >= 2:
                left.plotly_chart(loss_figure([r.to_json() for r in job.reports], height=220), key="live_loss",
                                  config={"displayModeBar": False})
            if frame is not None:
                right.plotly_chart(frame_figure(frame, job.watch_labels, height=220), key="live_frame",
                                   config={"displayModeBar": False})
