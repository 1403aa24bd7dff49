"""Each model family declares its facts once (models/family.py); everything else reads them from the registry.

A seventh family, registered for one test with one registry line, shows up in the CLI and the Train tab and
trains through the factory, without a single other file knowing about it.
"""
from __future__ import annotations

import dataclasses
import os
from types import SimpleNamespace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from genai_demo import models, train  # noqa: E402
from genai_demo.explore import latent as explore  # noqa: E402
from genai_demo.models import Family, GenerativeModel, family, kinds  # noqa: E402
from genai_demo.training import factory  # noqa: E402
from genai_demo.training.checkpoints import load_checkpoint, read_metadata  # noqa: E402
from genai_demo.training.runs import RunRegistry  # noqa: E402
from genai_demo.training.settings import checked  # noqa: E402
from genai_demo.ui.context import UIContext  # noqa: E402
from genai_demo.ui.train_actions import TrainActions  # noqa: E402
from genai_demo.ui.train_form import model_changed  # noqa: E402
from genai_demo.ui.train_tab import tick  # noqa: E402
from tests.helpers import wait_until

ALICE = SimpleNamespace(session_hash="alice")


# ---- a seventh family: its own file would hold exactly this ----------------------------------------
@dataclasses.dataclass
class MeanConfig:
    pixels: int = 28 * 28  # one learnt grey value per pixel


class MeanImage(GenerativeModel):
    """The smallest image "generator": it learns the data set's mean image and draws it (plus nothing)."""

    kind = "meanimage"
    Config = MeanConfig
    family = Family("Mean image", group="mean", data="mnist5k", lr=0.05, steps=40, batch_size=16,
                    metrics=("loss",), views=("train",))

    def __init__(self, config: MeanConfig | None = None):
        super().__init__(config if config is not None else MeanConfig())
        self.logits = nn.Parameter(torch.zeros(self.config.pixels))  # (784,)

    def make_optimizers(self, hp):
        return {"model": torch.optim.Adam(self.parameters(), lr=hp.lr)}

    def train_step(self, x, y, opts, hp, generator):
        loss = ((torch.sigmoid(self.logits) - x.flatten(1)) ** 2).mean()  # (B, 784) vs (784,)
        opts["model"].zero_grad(set_to_none=True)
        loss.backward()
        opts["model"].step()
        return {"loss": float(loss.detach())}

    @torch.no_grad()
    def sample(self, n, generator=None, labels=None):
        return torch.sigmoid(self.logits).view(1, 1, 28, 28).expand(n, 1, 28, 28).clone()


@pytest.fixture
def seventh(monkeypatch):
    monkeypatch.setitem(models.MODELS, "meanimage", MeanImage)  # the one registry line
    return "meanimage"


@pytest.fixture
def actions():
    ctx = UIContext(registry=RunRegistry(max_running=1, max_steps=5000, idle_s=600))
    yield TrainActions(ctx, datasets=["mnist5k", "names"])
    ctx.registry.shutdown()


def test_a_seventh_family_is_offered_by_the_cli(seventh, tmp_path, capsys):
    with pytest.raises(SystemExit):
        train.parse_args(["--help"])
    assert seventh in capsys.readouterr().out  # in --model's choices
    out = tmp_path / "mean.safetensors"
    assert train.main(["--model", seventh, "--steps", "30", "--out", str(out)]) == 0
    assert "loss=" in capsys.readouterr().out  # the bar's and the summary's metrics come from its spec
    header = read_metadata(out)  # the checkpoint loader knows it through the registry
    assert header["kind"] == seventh and header["meta"]["data"] == "mnist5k" and header["meta"]["hyper"]["lr"] == 0.05
    assert header["meta"]["curves"]["history"]["step"][-1] == 30 and "loss" in header["meta"]["curves"]["history"]
    model, _ = load_checkpoint(out, expected_kind=seventh)
    assert isinstance(model, MeanImage)


def test_a_seventh_family_is_offered_by_the_train_tab_and_trains_through_the_factory(seventh, actions):
    from genai_demo.ui.train_tab import build

    with gr.Blocks() as demo:
        build(actions.ctx)
    radio = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "train-model")
    assert ("Mean image", seventh) in radio.choices
    beta, dsteps, full, lr, steps, learn, data, batch = model_changed(seventh, "names", actions.datasets)
    assert (lr, steps, batch.value, data.value) == (0.05, 40, 16, "mnist5k")  # its defaults, its kind of data
    assert beta.visible is False and dsteps.visible is False and full.visible is False and learn == ""
    s = actions.train(seventh, None, 40, None, 16, 1.0, 1, 0, False, request=ALICE)  # the API's call
    assert s["model"] == seventh and s["data"] == "mnist5k" and s["hyper"]["lr"] == 0.05
    wait_until(lambda: actions.status(ALICE)["state"] == "finished")
    st = actions.status(ALICE)
    assert set(st["metrics"]) == {"loss"} and st["step"] == 40
    out = tick(actions, {}, ALICE)  # drawn with the plain loss curve: the UI has no texts for its group
    assert "Mean image" in out["status"] and set(out["plot_a"]["value"]["series"]) == {"loss"}
    assert out["formula_a"].startswith("**Loss**")
    t = factory.make_trainer(checked({"model": seventh, "steps": 5}), live=False)  # what the CLI calls
    t.start()
    assert t.join(30) and t.snapshot().state == "finished" and isinstance(t.model, MeanImage)
    assert seventh not in kinds(view="latent") + kinds(view="studio") + kinds(view="text") + kinds(quality=True)


def test_every_registered_family_declares_a_spec():
    for kind, cls in models.MODELS.items():
        spec = family(kind)
        assert isinstance(spec, Family) and spec is cls.family and spec.name and spec.lr > 0, kind
        assert checked({"model": kind}).data == spec.data  # its default data set fits its kind of data
    assert kinds(view="train") == ("vae", "cvae", "gan", "cgan", "dcgan", "charlm")  # the classifier: CLI only
    assert kinds(view="latent") == kinds(group="vae") == ("vae", "cvae")
    assert kinds(view="studio", group="gan") == ("gan", "cgan", "dcgan") and kinds(view="text") == ("charlm",)
    assert kinds(quality=True) == ("vae", "cvae", "gan", "cgan", "dcgan")
    with pytest.raises(ValueError, match="unknown model kind 'diffusion'"):
        family("diffusion")


def test_a_misspelt_view_or_knob_is_refused_when_the_family_is_declared():
    with pytest.raises(ValueError, match="unknown views"):
        Family("X", group="gan", data="mnist5k", lr=1e-3, views=("studo",))
    with pytest.raises(ValueError, match="unknown knobs"):
        Family("X", group="vae", data="mnist5k", lr=1e-3, knobs=("bta",))
    spec = Family("X", group="gan", data="mnist5k", lr=1e-3, light={"ngf": 8})
    with pytest.raises(TypeError):
        spec.light["ngf"] = 64  # a spec cannot be changed behind the registry's back


def test_the_tiny_gpt_is_not_a_vae():
    """explore.is_vae used to guess from method names, and CharLM has encode() / decode() for characters."""
    gpt = models.build("charlm", {"vocab": "ab\n", "n_layer": 1, "n_embd": 8, "n_head": 2})
    assert hasattr(gpt, "encode") and hasattr(gpt, "decode") and not explore.is_vae(gpt)
    assert explore.is_vae(models.build("cvae")) and not explore.is_vae(models.build("gan"))
    with pytest.raises(ValueError, match="needs a VAE or CVAE"):
        explore.require_2d_vae(gpt)
