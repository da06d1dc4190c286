"""Model bundles: one ZIP file holding JSON (configs, preprocessing, history) and safetensors (weights,
data, codes, map). Nothing in a bundle is ever executed: no pickle, no torch.load; every member is
parsed as JSON, safetensors or Parquet and checked against the config before use.

Members: manifest.json, model.json, weights.safetensors, and optionally dataset.json + meta.parquet +
arrays.safetensors (X, codes, xy, errors)."""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import torch
from safetensors import SafetensorError
from safetensors.numpy import load as np_load
from safetensors.numpy import save as np_save
from safetensors.torch import load as torch_load
from safetensors.torch import save as torch_save

from .baseline import PcaComparison
from .dataset import Dataset, preprocessor_from_json
from .errors import BundleError
from .estimator import Autoencoder, pick_device
from .limits import DEFAULT_LIMITS, Limits
from .models import ModelConfig, build_network
from .training import TrainResult

FORMAT, VERSION = "aecore-bundle", 1
SUFFIX = ".aebundle"
KNOWN_MEMBERS = {"manifest.json", "model.json", "weights.safetensors", "dataset.json", "meta.parquet",
                 "arrays.safetensors"}
ARRAY_NAMES = ("X", "codes", "xy", "errors")
SPLIT_NAMES = {"train", "val", "test"}  # Autoencoder._split's rows, stored in model.json


@dataclass
class Bundle:
    """What load_bundle returns. Arrays are None when the bundle was saved without them."""
    model: Autoencoder
    dataset: Dataset | None = None
    codes: np.ndarray | None = None
    xy: np.ndarray | None = None
    errors: np.ndarray | None = None
    comparison: PcaComparison | None = None
    info: dict = field(default_factory=dict)  # the manifest: format, version, created, extra

    @property
    def map_note(self) -> str | None:
        """How the stored map was made (explore's MapResult.description), when the bundle says."""
        note = self.info.get("extra", {}).get("map_note")
        return note if isinstance(note, str) else None


def save_bundle(path_or_file, model: Autoencoder, dataset: Dataset | None = None, codes=None, xy=None, errors=None,
                comparison: PcaComparison | None = None, extra: dict | None = None,
                map_note: str | None = None) -> bytes | None:
    """Write a bundle to a path or a binary file; with path_or_file=None return the bytes. map_note: how the
    map (xy) was made, the sentence the app shows under it."""
    if not hasattr(model, "network_"):
        raise BundleError("Only a trained model can be saved: call fit() first.")
    buf = io.BytesIO()
    state = {k: v.detach().cpu().contiguous() for k, v in model.network_.state_dict().items()}
    model_json = {
        "params": model.get_params(),
        "config": model.config_.to_json(),
        "input_shape": list(model.input_shape_),
        "history": model.history_,
        "result": model.result_.to_json(),
        "split": {k: v.tolist() for k, v in model.split_.items()},
    }
    manifest = {"format": FORMAT, "version": VERSION, "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "extra": {**(extra or {}), **({"pca": comparison.to_json()} if comparison else {}),
                          **({"map_note": map_note} if map_note and xy is not None else {})}}
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("model.json", json.dumps(model_json))
        zf.writestr("weights.safetensors", torch_save(state))
        arrays = {}
        if dataset is not None:
            zf.writestr("dataset.json", json.dumps({"name": dataset.name, "label": dataset.label,
                                                    "report": dataset.report,
                                                    "preprocessing": dataset.preprocessor.to_json()}))
            meta = io.BytesIO()
            dataset.meta.to_parquet(meta, index=False)
            zf.writestr("meta.parquet", meta.getvalue())
            arrays["X"] = np.ascontiguousarray(dataset.X, dtype=np.float32)
        for key, value in (("codes", codes), ("xy", xy), ("errors", errors)):
            if value is not None:
                arrays[key] = np.ascontiguousarray(value, dtype=np.float32)
        if arrays:
            zf.writestr("arrays.safetensors", np_save(arrays))
    data = buf.getvalue()
    if path_or_file is None:
        return data
    if hasattr(path_or_file, "write"):
        path_or_file.write(data)
    else:
        with open(path_or_file, "wb") as fh:
            fh.write(data)
    return None


def _fail(why: str) -> BundleError:
    return BundleError(f"This is not a usable model bundle: {why}. Load a .aebundle file saved by this app "
                       "(Download model) or by `python -m aecore train`.")


def _read_zip(source, limits: Limits) -> dict[str, bytes]:
    from .errors import DataError
    from .sources import read_bytes
    try:
        data, _ = read_bytes(source, limits.max_bundle_bytes, "model bundle")
    except DataError as exc:
        raise BundleError(str(exc)) from None
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise _fail("the file is not a ZIP archive") from None
    names = {i.filename for i in infos}
    if "manifest.json" not in names:
        raise _fail("it has no manifest.json")
    unknown = names - KNOWN_MEMBERS
    if unknown:
        raise _fail(f"it contains unexpected members ({', '.join(sorted(unknown)[:3])})")
    if sum(i.file_size for i in infos) > limits.max_bundle_bytes:
        raise _fail(f"it would inflate past the {limits.max_bundle_bytes / 2**20:,.0f} MB limit")
    members = {}
    try:
        for info in infos:
            with zf.open(info) as fh:
                content = fh.read(limits.max_bundle_bytes + 1)
            if len(content) > limits.max_bundle_bytes:
                raise _fail("a member is larger than its header says")
            members[info.filename] = content
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _fail(f"the archive is damaged ({exc})") from None
    return members


def _json(members: dict, name: str) -> dict:
    try:
        value = json.loads(members[name].decode("utf-8"))
    except KeyError:
        raise _fail(f"{name} is missing") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _fail(f"{name} is not valid JSON") from None
    except RecursionError:  # JSON nested thousands of levels deep: Python's parser gives up
        raise _fail(f"{name} is nested too deeply to be a bundle's JSON") from None
    if not isinstance(value, dict):
        raise _fail(f"{name} is not a JSON object")
    return value


def _weights_mismatch(found: dict, expected: dict) -> str | None:
    """How the tensors in a weights file differ from those the config implies (name -> shape), or None."""
    missing, extra = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
    if missing:
        return f"tensor '{missing[0]}' is missing"
    if extra:
        return f"unexpected tensor '{extra[0]}'"
    for name in sorted(found):
        if found[name] != expected[name]:
            return f"tensor '{name}' has shape {list(found[name])}; the config implies {list(expected[name])}"
    return None


def _conv_without_linear_paths(config: ModelConfig, state: dict) -> bool:
    """A conv bundle saved before conv models had linear paths beside them: its config says
    linear_skip (the field's default, which then applied to dense models only) but it has no such
    tensors. It loads as the network it was."""
    return (config.backbone == "conv" and config.linear_skip
            and not any(name.startswith("backbone.skip_") for name in state))


def _expected_shapes(config: ModelConfig) -> dict[str, tuple]:
    """The tensor shapes a config implies, built on the meta device: nothing is allocated, so a config
    that declares a huge network costs nothing until its weights (bounded by the file size) match."""
    with torch.device("meta"):
        return {k: tuple(v.shape) for k, v in build_network(config).state_dict().items()}


def _check_manifest(members: dict) -> dict:
    manifest = _json(members, "manifest.json")
    if manifest.get("format") != FORMAT:
        raise _fail("its manifest does not name the aecore bundle format")
    if manifest.get("version") != VERSION:
        raise _fail(f"it is format version {manifest.get('version')!r}; this app reads version {VERSION}")
    if not isinstance(manifest.get("extra", {}), dict):
        raise _fail("its manifest's 'extra' is not a JSON object")
    return manifest


def _read_model(members: dict) -> Autoencoder:
    """model.json -> an Autoencoder with its parameters and learned state, but no network yet."""
    spec = _json(members, "model.json")
    try:
        known = Autoencoder._get_param_names()
        model = Autoencoder(**{k: v for k, v in spec["params"].items() if k in known})
        model.config_ = ModelConfig(**spec["config"])
        model.input_shape_ = tuple(int(s) for s in spec["input_shape"])
        model.history_ = list(spec.get("history", []))
        model.result_ = TrainResult(**spec["result"])
        model.split_ = {k: np.asarray(v, dtype=np.int64) for k, v in spec["split"].items()}
        if set(model.split_) != SPLIT_NAMES or any(v.ndim != 1 for v in model.split_.values()):
            raise ValueError("the split must list train, val and test rows")
        if not len(model.split_["train"]):
            raise ValueError("the split has no training rows")
        if tuple(model.config_.input_shape) != model.input_shape_:
            raise ValueError("input shapes disagree")
        if model.latent_dim is not None and model.latent_dim != model.config_.latent_dim:
            raise ValueError("the latent size in params and config disagree")
        if not all(isinstance(h, dict) for h in model.history_):
            raise ValueError("history entries must be objects")
        _expected_shapes(model.config_)  # the config must describe a network that can be built
    except Exception as exc:  # any malformed field: wrong keys, types or values
        raise _fail(f"model.json is malformed ({type(exc).__name__}: {exc})") from None
    return model


def _load_network(members: dict, model: Autoencoder, device: str) -> None:
    """Read the weights, migrate an older layout if it is one, check every tensor against the config,
    and give the model its network."""
    try:
        state = torch_load(members["weights.safetensors"])
        if _conv_without_linear_paths(model.config_, state):
            model.config_.linear_skip = False
        mismatch = _weights_mismatch({k: tuple(v.shape) for k, v in state.items()}, _expected_shapes(model.config_))
        if mismatch:
            raise ValueError(mismatch)
        net = build_network(model.config_)
        net.load_state_dict(state, strict=True)
    except KeyError:
        raise _fail("weights.safetensors is missing") from None
    except (SafetensorError, RuntimeError, ValueError) as exc:
        raise _fail(f"its weights do not fit the model it describes ({str(exc).splitlines()[0][:200]})") from None
    model.device_ = pick_device(device)
    model.network_ = net.to(model.device_).eval()


def _read_arrays(members: dict) -> dict[str, np.ndarray]:
    if "arrays.safetensors" not in members:
        return {}
    try:
        return dict(np_load(members["arrays.safetensors"]))
    except (SafetensorError, ValueError) as exc:
        raise _fail(f"arrays.safetensors is damaged ({exc})") from None


def _read_dataset(members: dict, arrays: dict, model: Autoencoder) -> Dataset | None:
    if "dataset.json" not in members:
        return None
    ds = _json(members, "dataset.json")
    try:
        pre = preprocessor_from_json(ds["preprocessing"])
        meta = pd.read_parquet(io.BytesIO(members["meta.parquet"]))
        X = arrays["X"]
        label, report = ds.get("label"), ds.get("report", [])
        if not (label is None or isinstance(label, str)) or not isinstance(report, list):
            raise TypeError("label must be text and report a list")
    except Exception as exc:
        raise _fail(f"its dataset is incomplete or malformed ({type(exc).__name__})") from None
    if tuple(X.shape[1:]) != model.input_shape_ or len(meta) != len(X):
        raise _fail("its data does not match the model's input shape")
    return Dataset(X, meta, pre, name=str(ds.get("name", "data")), label=label if label in meta.columns else None,
                   report=[str(r) for r in report])


def _read_comparison(manifest: dict, latent_dim: int) -> PcaComparison | None:
    """The stored PCA comparison; a missing or malformed one is only a figure the app will not show,
    never a reason to refuse the model."""
    stored = manifest.get("extra", {}).get("pca")
    try:
        return PcaComparison.from_json(stored, latent_dim) if isinstance(stored, dict) else None
    except (KeyError, TypeError, ValueError):
        return None


def _check_arrays(arrays: dict, dataset: Dataset | None, latent_dim: int) -> None:
    """Codes, map and errors, where present, have one row per data row and the right widths."""
    n = dataset.n if dataset is not None else None
    widths = {"codes": latent_dim, "xy": 2}
    for key in ("codes", "xy", "errors"):
        value = arrays.get(key)
        if value is None:
            continue
        if n is not None and len(value) != n:
            raise _fail(f"its {key} have {len(value)} rows but its data has {n}")
        if key in widths and (value.ndim != 2 or value.shape[1] != widths[key]):
            raise _fail(f"its {key} have shape {value.shape}")


def _check_split(split: dict, dataset: Dataset | None) -> None:
    """The train, validation and test rows are rows of the bundle's data: the PCA comparison and the
    denoise and compression views index the data with them."""
    if dataset is None:
        return
    for name, rows in split.items():
        if len(rows) and (rows.min() < 0 or rows.max() >= dataset.n):
            raise _fail(f"its {name} split names rows outside its {dataset.n:,} data rows")


def load_bundle(source, limits: Limits = DEFAULT_LIMITS, device: str = "auto") -> Bundle:
    """Read a bundle from a path, bytes or a binary file. Raises BundleError for anything else."""
    members = _read_zip(source, limits)
    manifest = _check_manifest(members)
    model = _read_model(members)
    _load_network(members, model, device)
    arrays = _read_arrays(members)
    dataset = _read_dataset(members, arrays, model)
    _check_split(model.split_, dataset)
    _check_arrays(arrays, dataset, model.config_.latent_dim)
    return Bundle(model, dataset, arrays.get("codes"), arrays.get("xy"), arrays.get("errors"),
                  _read_comparison(manifest, model.config_.latent_dim), manifest)
