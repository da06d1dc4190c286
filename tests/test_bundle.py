"""Bundles: a full round trip with data, codes and map; and every way a file can be wrong raising
BundleError, without ever unpickling or executing anything."""
from __future__ import annotations

import io
import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import save as torch_save

from aecore import Autoencoder, BundleError, Limits, PcaComparison, images_from_array, table_dataset
from aecore.bundle import KNOWN_MEMBERS, load_bundle, save_bundle
from aecore.projection import project


@pytest.fixture(scope="module")
def table_data():
    rng = np.random.default_rng(0)
    n = 60
    df = pd.DataFrame({"kind": np.where(np.arange(n) % 3 == 0, "odd", "even"),
                       "size": rng.normal(10, 2, n), "weight": rng.normal(70, 5, n),
                       "colour": [["red", "green", "blue"][i % 3] for i in range(n)],
                       "name": [f"item {i}" for i in range(n)]})
    return table_dataset(df, label="kind", name="things")


@pytest.fixture(scope="module")
def trained(table_data):
    model = Autoencoder(latent_dim=3, epochs=3, hidden=[16], batch_size=16, seed=0).fit(table_data)
    codes = model.transform(table_data)
    return model, codes, project(codes, "pca"), model.reconstruction_error(table_data)


@pytest.fixture(scope="module")
def blob(trained, table_data) -> bytes:
    model, codes, xy, errors = trained
    return save_bundle(None, model, table_data, codes=codes, xy=xy, errors=errors,
                       comparison=PcaComparison(0.5, 1.0, 12, True, 3), extra={"note": "kept"})


def rewrite(data: bytes, replace: dict | None = None, drop=(), add: dict | None = None) -> bytes:
    """A copy of a bundle with members replaced, dropped or added."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        for name, content in add.items():
            dst.writestr(name, content)
    return out.getvalue()


def member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(name)


# -- round trips -------------------------------------------------------------------------------------
def test_members_are_json_safetensors_and_parquet(blob):
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        names = set(zf.namelist())
    assert names == KNOWN_MEMBERS
    manifest = json.loads(member(blob, "manifest.json"))
    assert manifest["format"] == "aecore-bundle" and manifest["version"] == 1
    assert json.loads(member(blob, "model.json"))["config"]["latent_dim"] == 3


def test_round_trip_restores_dataset_codes_map_and_errors(blob, trained, table_data):
    model, codes, xy, errors = trained
    bundle = load_bundle(blob)
    ds = bundle.dataset
    assert np.array_equal(ds.X, table_data.X) and ds.X.dtype == np.float32
    pd.testing.assert_frame_equal(ds.meta, table_data.meta, check_dtype=False)
    assert ds.label == "kind" and ds.labels.tolist() == table_data.labels.tolist()
    assert ds.name == "things" and ds.report == table_data.report
    assert ds.preprocessor.to_json() == table_data.preprocessor.to_json()
    assert np.array_equal(bundle.codes, codes)
    assert np.array_equal(bundle.xy, xy)
    assert np.array_equal(bundle.errors, errors.astype(np.float32))
    assert bundle.comparison == PcaComparison(0.5, 1.0, 12, True, 3) and bundle.comparison.ratio == 0.5
    assert bundle.info["extra"]["note"] == "kept"
    # the restored model and preprocessing give the same decoded rows in original units
    back = ds.decode_rows(bundle.model.inverse_transform(codes))
    pd.testing.assert_frame_equal(back, table_data.decode_rows(model.inverse_transform(codes)))
    assert np.array_equal(bundle.model.transform(ds), codes)


def test_paths_and_file_objects(tmp_path, trained, table_data, blob):
    model, *_ = trained
    path = tmp_path / "m.aebundle"
    assert save_bundle(path, model) is None
    buf = io.BytesIO()
    save_bundle(buf, model)
    for source in (path, str(path), buf.getvalue(), io.BytesIO(buf.getvalue())):
        loaded = load_bundle(source)
        assert loaded.dataset is None and loaded.codes is None and loaded.xy is None and loaded.errors is None
        assert np.array_equal(loaded.model.transform(table_data), model.transform(table_data))


def test_image_bundle(digit_images):
    data = images_from_array(digit_images[:30], labels=np.arange(30) % 3)
    model = Autoencoder(model="conv", latent_dim=2, epochs=1, hidden=[4]).fit(data)
    bundle = load_bundle(save_bundle(None, model, data, codes=model.transform(data)))
    assert bundle.dataset.preprocessor.shape == (1, 8, 8)
    assert bundle.dataset.label == "label" and bundle.dataset.labels.tolist() == data.labels.tolist()
    assert np.array_equal(bundle.dataset.X, data.X)
    assert bundle.xy is None


def test_conv_bundle_from_before_conv_linear_paths_loads(digit_images):
    """Such a bundle says linear_skip (the field's default) but holds no linear-path tensors."""
    data = images_from_array(digit_images[:30])
    model = Autoencoder(model="conv", latent_dim=2, epochs=1, hidden=[4], pca_init=False).fit(data)
    blob = save_bundle(None, model, data)
    state = {k: v for k, v in model.network_.state_dict().items() if ".skip_" not in k}
    model.network_.backbone.skip_in = model.network_.backbone.skip_out = None  # the network as it was
    old = load_bundle(rewrite(blob, {"weights.safetensors": torch_save(state)}))
    assert old.model.config_.linear_skip is False
    np.testing.assert_allclose(old.model.reconstruct(data), model.reconstruct(data), atol=1e-6)
    with pytest.raises(BundleError, match="skip_in.weight' is missing"):  # a dense one is not excused
        dense = Autoencoder(latent_dim=2, epochs=1, hidden=[4]).fit(data)
        dense_state = {k: v for k, v in dense.network_.state_dict().items() if ".skip_" not in k}
        load_bundle(rewrite(save_bundle(None, dense, data), {"weights.safetensors": torch_save(dense_state)}))


def test_untrained_model_cannot_be_saved():
    with pytest.raises(BundleError, match="Only a trained model"):
        save_bundle(None, Autoencoder())


# -- bad files ---------------------------------------------------------------------------------------
def test_garbage_bytes():
    with pytest.raises(BundleError, match="not a usable model bundle: the file is not a ZIP archive"):
        load_bundle(b"\x00\x01garbage" * 100)
    with pytest.raises(BundleError, match="not a ZIP"):
        load_bundle(b"")


def test_missing_file(tmp_path):
    with pytest.raises(BundleError, match="Cannot find"):
        load_bundle(tmp_path / "nope.aebundle")


def test_random_zip(zip_bytes):
    with pytest.raises(BundleError, match="no manifest.json"):
        load_bundle(zip_bytes([("photo.png", b"\x89PNG"), ("notes.txt", b"hi")]))


@pytest.mark.parametrize("manifest,fragment", [
    (b"{not json", "manifest.json is not valid JSON"),
    (b"\xff\xfe", "manifest.json is not valid JSON"),
    (b"[1, 2]", "manifest.json is not a JSON object"),
    (json.dumps({"format": "other-app", "version": 1}).encode(), "does not name the aecore bundle format"),
    (json.dumps({"format": "aecore-bundle", "version": 99}).encode(), "format version 99; this app reads version 1"),
])
def test_wrong_manifest(blob, manifest, fragment):
    with pytest.raises(BundleError, match=fragment):
        load_bundle(rewrite(blob, {"manifest.json": manifest}))


def test_malformed_model_json(blob):
    spec = json.loads(member(blob, "model.json"))
    for broken in ({**spec, "config": {**spec["config"], "latent_dim": "three"}},
                   {k: v for k, v in spec.items() if k != "split"},
                   {**spec, "input_shape": [7]},
                   {**spec, "config": {**spec["config"], "backbone": "rnn"}}):
        with pytest.raises(BundleError, match="model.json is malformed"):
            load_bundle(rewrite(blob, {"model.json": json.dumps(broken).encode()}))
    with pytest.raises(BundleError, match="model.json is missing"):
        load_bundle(rewrite(blob, drop=("model.json",)))


def test_tampered_weights(blob, trained):
    model = trained[0]
    state = {k: v.clone() for k, v in model.network_.state_dict().items()}
    first = next(iter(state))
    wrong_shape = dict(state, **{first: torch.zeros(3, 3)})
    missing_key = {k: v for k, v in state.items() if k != first}
    extra_key = dict(state, evil=torch.zeros(1))
    for weights, detail in ((torch_save(wrong_shape), f"tensor '{first}' has shape \\[3, 3\\]"),
                            (torch_save(missing_key), f"tensor '{first}' is missing"),
                            (torch_save(extra_key), "unexpected tensor 'evil'"),
                            (b"not safetensors", "")):
        with pytest.raises(BundleError, match="weights do not fit the model it describes \\(" + detail):
            load_bundle(rewrite(blob, {"weights.safetensors": weights}))
    with pytest.raises(BundleError, match="weights.safetensors is missing"):
        load_bundle(rewrite(blob, drop=("weights.safetensors",)))


def test_declared_network_size_is_checked_before_allocating(blob, monkeypatch):
    """A config that declares a huge network (here 10^9 latent units, ~16 GB of decoder weights) must
    be refused from the weights file's shapes, never by building it: that would exhaust memory."""
    import aecore.bundle as bundle_module

    devices, real_build = [], bundle_module.build_network

    def spy(cfg):
        devices.append(torch.get_default_device().type)
        if devices[-1] != "meta" and cfg.latent_dim > 10**6:
            raise AssertionError("load_bundle allocated the network a config declares before checking its weights")
        return real_build(cfg)

    monkeypatch.setattr(bundle_module, "build_network", spy)
    spec = json.loads(member(blob, "model.json"))
    huge = {**spec, "params": {**spec["params"], "latent_dim": 10**9},
            "config": {**spec["config"], "latent_dim": 10**9}}
    with pytest.raises(BundleError, match=r"weights do not fit the model it describes \(tensor '.*' has shape"):
        load_bundle(rewrite(blob, {"model.json": json.dumps(huge).encode()}))
    assert devices and set(devices) == {"meta"}
    devices.clear()
    assert load_bundle(blob).model.network_ is not None
    assert devices[-1] == "cpu" and devices.count("cpu") == 1  # a bundle whose weights fit is built for real once


def test_params_and_history_must_agree_with_config(blob):
    spec = json.loads(member(blob, "model.json"))
    for broken in ({**spec, "params": {**spec["params"], "latent_dim": 7}}, {**spec, "history": [1, 2]}):
        with pytest.raises(BundleError, match="model.json is malformed"):
            load_bundle(rewrite(blob, {"model.json": json.dumps(broken).encode()}))


def test_wrongly_typed_fields(blob):
    info = json.loads(member(blob, "dataset.json"))
    for broken in ({**info, "label": ["kind"]}, {**info, "report": 5}):
        with pytest.raises(BundleError, match="dataset is incomplete or malformed"):
            load_bundle(rewrite(blob, {"dataset.json": json.dumps(broken).encode()}))
    manifest = json.loads(member(blob, "manifest.json"))
    with pytest.raises(BundleError, match="'extra' is not a JSON object"):
        load_bundle(rewrite(blob, {"manifest.json": json.dumps({**manifest, "extra": [1]}).encode()}))


def test_unknown_members(blob):
    with pytest.raises(BundleError, match="unexpected members \\(evil.pkl\\)"):
        load_bundle(rewrite(blob, add={"evil.pkl": pickle.dumps({"a": 1})}))
    with pytest.raises(BundleError, match="unexpected members \\(../escape.json\\)"):
        load_bundle(rewrite(blob, add={"../escape.json": b"{}"}))


def test_damaged_data_members(blob):
    with pytest.raises(BundleError, match="arrays.safetensors is damaged"):
        load_bundle(rewrite(blob, {"arrays.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{garbage"}))
    with pytest.raises(BundleError, match="dataset is incomplete or malformed"):
        load_bundle(rewrite(blob, drop=("meta.parquet",)))
    with pytest.raises(BundleError, match="dataset is incomplete or malformed"):
        load_bundle(rewrite(blob, {"dataset.json": json.dumps({"preprocessing": {"kind": "audio"}}).encode()}))


def test_arrays_that_do_not_match(blob, trained, table_data):
    model, codes, xy, errors = trained
    with pytest.raises(BundleError, match="its codes have 5 rows but its data has 60"):
        load_bundle(save_bundle(None, model, table_data, codes=codes[:5]))
    with pytest.raises(BundleError, match="its xy have shape \\(60, 3\\)"):
        load_bundle(save_bundle(None, model, table_data, xy=codes))
    with pytest.raises(BundleError, match="its codes have shape \\(60, 2\\)"):
        load_bundle(save_bundle(None, model, table_data, codes=xy))


def test_oversized_bundle(blob):
    with pytest.raises(BundleError, match="limit"):
        load_bundle(blob, limits=Limits(max_bundle_bytes=len(blob) - 1))
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        inflated = sum(i.file_size for i in zf.infolist())
    assert inflated > len(blob)  # JSON and data compress: the archive is smaller than its contents
    with pytest.raises(BundleError, match="would inflate past"):
        load_bundle(blob, limits=Limits(max_bundle_bytes=len(blob)))


class Payload:
    """Unpickling this creates a file: proof that something was executed."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_nothing_is_unpickled_or_executed(blob, tmp_path, monkeypatch):
    marker = tmp_path / "executed"
    payload = pickle.dumps(Payload(marker))
    for name in ("weights.safetensors", "arrays.safetensors", "meta.parquet", "model.json"):
        with pytest.raises(BundleError):
            load_bundle(rewrite(blob, {name: payload}))
    torch_file = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, torch_file)  # a torch.save checkpoint is a pickle in a ZIP
    with pytest.raises(BundleError):
        load_bundle(rewrite(blob, {"weights.safetensors": torch_file.getvalue()}))
    assert not marker.exists()

    def refuse(*args, **kwargs):
        raise AssertionError("load_bundle must not unpickle anything")

    for target in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, target, refuse)
    monkeypatch.setattr(torch, "load", refuse)
    assert load_bundle(blob).dataset.n == 60  # a valid bundle loads without any of them


def test_a_malformed_pca_comparison_loses_only_that_figure(trained, table_data):
    model, codes, xy, errors = trained
    blob = save_bundle(None, model, table_data, codes=codes, xy=xy, errors=errors, extra={"pca": {"ratio": "x"}})
    bundle = load_bundle(blob)
    assert bundle.comparison is None and bundle.dataset.n == table_data.n


def test_the_map_note_travels_with_the_map(tmp_path):
    """How the map was made is said again when a bundle opens, and only a bundle with a map carries it."""
    from aecore.explore import STORED_NOTE, explore
    from aecore.samples import load_sample

    data = load_sample("wine")
    model = Autoencoder(epochs=1, latent_dim=2).fit(data)
    ex = explore(model, data, projection="pca")
    save_bundle(tmp_path / "a.aebundle", model, data, codes=ex.codes, xy=ex.xy, errors=ex.errors,
                map_note=ex.map_note)
    b = load_bundle(tmp_path / "a.aebundle")
    assert b.map_note == ex.map_note and ex.map_note
    assert explore(b.model, b.dataset, codes=b.codes, xy=b.xy, errors=b.errors, map_note=b.map_note).map_note == \
        ex.map_note
    save_bundle(tmp_path / "b.aebundle", model, data, map_note="a map that is not stored")
    assert load_bundle(tmp_path / "b.aebundle").map_note is None
    assert explore(model, data, xy=ex.xy).map_note == STORED_NOTE
