"""The model registry is the one place to extend the models: an objective registered there is found by
the estimator, the CLI's choices and the app's model list, with no other edit."""
from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
import torch

from aecore import Autoencoder, describe_model, images_from_array, model_choices, model_names
from aecore.bundle import load_bundle, save_bundle
from aecore.cli import main as cli_main
from aecore.cli import parser
from aecore.models import OBJECTIVES, Objective, adapt_model, parse_model, resolve_model
from aecore.networks import Network
from tests.fixtures_ui import by_label


class Shrink(Network):
    """A toy objective: reconstruction plus a small pull of the code towards zero."""

    def loss(self, x) -> dict:
        z = self.encode(x)
        rec = self.recon_loss(self.backbone.decode(z), x)
        pull = z.pow(2).mean()
        return {"loss": rec + 1e-3 * pull, "recon": rec, "pull": pull}


@pytest.fixture
def toy(monkeypatch):
    """'shrink' registered for this test only (the registry is restored afterwards)."""
    monkeypatch.setitem(OBJECTIVES, "shrink", Objective("shrink", Shrink, "pulls codes towards zero"))
    return "shrink"


def test_a_registered_objective_gets_every_name(toy):
    assert {"shrink", "dense-shrink", "conv-shrink"} <= set(model_names())
    assert parse_model("shrink") == ("dense", "shrink") and parse_model("conv-shrink") == ("conv", "shrink")
    assert "shrink" in model_choices("table") and "conv-shrink" not in model_choices("table")
    assert {"shrink", "conv-shrink"} <= set(model_choices("image"))
    assert describe_model("conv-shrink") == "convolutional, pulls codes towards zero"


def test_the_estimator_trains_it_and_a_bundle_keeps_it(toy, table_X, fast):
    model = Autoencoder(**dict(fast, model="shrink")).fit(table_X)
    assert isinstance(model.network_, Shrink) and "pull" in model.network_.loss(torch.from_numpy(table_X))
    loaded = load_bundle(save_bundle(None, model)).model
    assert isinstance(loaded.network_, Shrink)
    assert np.array_equal(loaded.transform(table_X), model.transform(table_X))


def test_conv_form_on_images(toy, digit_images):
    data = images_from_array(digit_images)
    model = Autoencoder(model="conv-shrink", latent_dim=2, epochs=1, hidden=[4, 8]).fit(data)
    assert model.config_.backbone == "conv" and isinstance(model.network_, Shrink)


def test_the_cli_offers_and_trains_it(toy, tmp_path):
    train = next(a for a in parser()._subparsers._group_actions[0].choices["train"]._actions if a.dest == "model")
    assert "shrink" in train.choices and "shrink: pulls codes towards zero" in train.help
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(["train", "sample:wine", "--model", "shrink", "--latent", "2", "--epochs", "2",
                         "--projection", "pca", "--out", str(tmp_path / "m.aebundle")])
    assert code == 0, err.getvalue()
    assert load_bundle(tmp_path / "m.aebundle").model.config_.objective == "shrink"


def test_the_app_lists_it(toy, app):
    """The digits sample is images: the model list offers the objective and its conv form."""
    options = by_label(app.selectbox, "Model").options
    assert "shrink · pulls codes towards zero" in options
    assert "conv-shrink · convolutional, pulls codes towards zero" in options


def test_a_model_that_does_not_fit_the_data_adapts(toy):
    assert adapt_model("conv-shrink", "table") == "shrink" and adapt_model("conv", "table") == "dense"
    assert adapt_model("conv-vae", "image") == "conv-vae"
    with pytest.raises(Exception, match="'conv-shrink' needs images; for tables choose one of: dense"):
        resolve_model("conv-shrink", "table")
