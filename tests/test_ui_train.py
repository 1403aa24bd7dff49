"""Train tab: its handlers as plain functions (fake requests); its poll and timeline: test_train_poll.py; its public
API: test_api_train.py.

Runs are short VAE runs on the embedded MNIST-5k (about 100 steps/s on 2 cores) and a few dozen steps of
the tiny GPT on the names corpus (about 10 steps/s).
"""
from __future__ import annotations

import os
import warnings
from types import SimpleNamespace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import pytest  # noqa: E402

from genai_demo.i18n import t  # noqa: E402
from genai_demo.models import family  # noqa: E402
from genai_demo.training.checkpoints import load_checkpoint  # noqa: E402
from genai_demo.training.factory import run_config  # noqa: E402
from genai_demo.training.runs import RunRegistry  # noqa: E402
from genai_demo.training.settings import checked  # noqa: E402
from genai_demo.ui import train_view as V  # noqa: E402
from genai_demo.ui.context import UIContext  # noqa: E402
from genai_demo.ui.lang import in_language  # noqa: E402
from genai_demo.ui.saves import save_dir  # noqa: E402
from genai_demo.ui.train_actions import TrainActions  # noqa: E402
from genai_demo.ui.train_form import model_changed  # noqa: E402
from genai_demo.ui.train_tab import scrub, tick  # noqa: E402
from tests.helpers import settled, wait_until  # noqa: E402


def req(session: str):
    return SimpleNamespace(session_hash=session)


@pytest.fixture
def actions():  # one place for a training run: the queue's rules (time-sliced sharing: tests/test_slicing.py)
    ctx = UIContext(registry=RunRegistry(max_running=1, max_active=1, max_steps=5000, idle_s=600))
    yield TrainActions(ctx, datasets=["mnist5k"])
    ctx.registry.shutdown()


# ---- handlers as plain functions -----------------------------------------------------------------
def test_lifecycle_start_pause_step_resume_stop(actions):
    a, alice = actions, req("alice")
    assert a.status(alice)["state"] == "none"
    s = a.train("vae", "mnist5k", 3000, None, 32, 1.0, 1, 0, False, request=alice)
    assert s["run_id"] and s["total"] == 3000 and s["model"] == "vae"
    assert s["hyper"]["lr"] == family("vae").lr  # lr None → the family's default
    wait_until(lambda: a.status(alice)["step"] > 20)
    paused = a.pause(alice)
    wait_until(lambda: a.status(alice)["state"] == "paused")
    at = settled(lambda: a.status(alice)["step"])  # paused means paused (after the step in flight)
    assert paused["step"] <= at <= paused["step"] + 1
    a.step(1, alice)
    wait_until(lambda: a.status(alice)["step"] == at + 1)
    a.step(10, alice)
    wait_until(lambda: a.status(alice)["step"] == at + 11)
    a.resume(alice)
    wait_until(lambda: a.status(alice)["step"] > at + 11)
    st = a.stop(alice)
    assert st["state"] == "stopped"
    assert st["metrics"]["loss"] > 0 and set(st["metrics"]) >= {"loss", "recon", "kl"}
    with pytest.raises(gr.Error, match="stopped"):
        a.resume(alice)  # an ended run says so instead of silently doing nothing


def test_sessions_are_isolated(actions):
    a = actions
    a.train("vae", "mnist5k", 3000, 1e-3, 32, 1.0, 1, 0, False, request=req("alice"))
    assert a.status(req("bob"))["state"] == "none"
    for act in (a.pause, a.resume, a.stop):
        with pytest.raises(gr.Error, match="no training run yet"):
            act(req("bob"))
    with pytest.raises(gr.Error, match="no training run yet"):
        a.step(1, req("bob"))
    assert a.status(req("alice"))["state"] in ("running", "queued")
    # bob's own run waits for the single training slot, with its place shown
    b = a.train("vae", "mnist5k", 100, 1e-3, 32, 1.0, 1, 0, False, request=req("bob"))
    assert b["state"] == "queued" and b["queue_position"] == 1
    assert "position 1 in queue" in V.status_markdown(b)
    a.stop(req("alice"))
    wait_until(lambda: a.status(req("bob"))["state"] in ("running", "finished"))


@pytest.mark.parametrize("field, value, message", [
    ("lr", -0.1, "learning rate must be between"),
    ("lr", "fast", "learning rate must be a number"),
    ("batch_size", 0, "batch size must be between"),
    ("batch_size", 12.5, "batch size must be a whole number"),
    ("steps", 0, "steps must be between 1 and 5,000"),
    ("steps", "many", "steps must be a whole number"),
    ("steps", float("inf"), "steps must be a whole number"),
    ("model", "diffusion", "unknown model"),
    ("data", "imagenet", "not available here"),
    ("seed", -1, "seed must be between"),
    ("beta", float("nan"), "β must be between"),
])
def test_bad_settings_are_refused_with_a_reason(actions, field, value, message):
    kw = {"model": "vae", "data": "mnist5k", "steps": 100, "lr": 1e-3, "batch_size": 32, "beta": 1.0, "d_steps": 1,
          "seed": 0, "full_size": False, field: value}
    with pytest.raises(gr.Error, match=message):
        actions.train(**kw, request=req("alice"))
    assert actions.status(req("alice"))["state"] == "none"


def test_save_writes_a_loadable_checkpoint_and_reset_discards(actions, tmp_path):
    a, alice = actions, req("alice")
    with pytest.raises(gr.Error, match="no training run yet"):
        a.save(alice)
    a.train("vae", "mnist5k", 60, 1e-3, 32, 1.0, 1, 3, False, request=alice)
    wait_until(lambda: a.status(alice)["state"] == "finished")
    path = a.save(alice)
    assert path.endswith("vae_mnist5k_step60.safetensors") and str(save_dir("alice")) in path
    model, header = load_checkpoint(path, expected_kind="vae")
    assert header["meta"]["steps"] == 60 and header["meta"]["seed"] == 3
    assert header["meta"]["curves"]["history"]["step"][-1] == 60  # the curves go with it (a loaded run draws them)
    a.reset(alice)
    assert a.status(alice)["state"] == "none"


def test_hyper_parameters_apply_mid_run(actions):
    a, alice = actions, req("alice")
    a.train("gan", "mnist5k", 2000, 2e-4, 32, 1.0, 1, 0, False, request=alice)
    a.pause(alice)
    a.set_hyper("lr", 5e-4, alice)
    a.set_hyper("d_steps", 3, alice)
    a.set_hyper("beta", 4.0, alice)  # not a GAN knob: ignored, not applied
    hp = a.status(alice)["hyper"]
    assert hp["lr"] == 5e-4 and hp["d_steps"] == 3 and hp["beta"] == 1.0
    with pytest.raises(gr.Error, match="learning rate must be between"):
        a.set_hyper("lr", 5.0, alice)


def test_run_config_sizes_the_dcgan_and_the_snapshots():
    def cfg(model, steps, lr, d_steps, full_size):  # the Train tab's settings → the Trainer's config
        form = {"model": model, "data": "mnist5k", "steps": steps, "lr": lr, "batch_size": 64, "beta": 1.0,
                "d_steps": d_steps, "seed": 0, "full_size": full_size}
        return run_config(checked(form, datasets=["mnist5k"], max_steps=5000))

    light = cfg("dcgan", 1500, 2e-4, 2, False)
    assert light.model_config == dict(family("dcgan").light) and light.hp.d_steps == 2
    assert cfg("dcgan", 1500, 2e-4, 1, True).model_config is None
    assert cfg("vae", 3000, 1e-3, 1, False).snapshot_every == 80
    assert cfg("vae", 50, 1e-3, 1, False).snapshot_every == 10


# ---- the tiny GPT (text) in the same Trainer -------------------------------------------------------------
def test_tiny_gpt_trains_on_names_with_held_out_curves_and_text_snapshots(actions):
    a, alice = actions, req("alice")
    s = a.train("charlm", None, 30, None, 32, 1.0, 1, 0, False, request=alice)  # data None → the text corpus
    assert s["model"] == "charlm" and s["data"] == "names" and s["hyper"]["lr"] == family("charlm").lr == 1e-3
    wait_until(lambda: a.status(alice)["state"] == "finished", timeout=60)
    st = a.status(alice)
    assert set(st["metrics"]) == {"loss", "bpc"} and st["metrics"]["bpc"] > st["metrics"]["loss"] > 0
    assert set(st["held_out"]) == {"val_loss", "val_bpc"}
    md = V.status_markdown(st)
    assert "Tiny GPT" in md and "names" in md and "β" not in md and "D:G" not in md
    out = tick(a, {}, alice, "vae")  # the box follows the run shown, not the radio
    plot_a, plot_b, tex_a, tex_b = out["plot_a"], out["plot_b"], out["formula_a"], out["formula_b"]
    plot_a, plot_b = plot_a["value"], plot_b["value"]
    assert set(plot_a["series"]) == {"train NLL", "held-out NLL"} and set(plot_b["series"]) == {"train bpc", "held-out bpc"}
    assert r"\log p_\theta(x_t \mid x_{<t})" in tex_a and r"\ln 2" in tex_b
    assert out["grid_box"]["visible"] is False and out["text_box"]["visible"] is True  # grid hidden, text box shown
    assert "grid" not in out and "Sampled names" in out["caption"] and "(live)" in out["caption"]
    assert 'data-lines="12"' in out["text"] and out["text"].count("<li ") == 12
    shown = scrub(a, 0, alice)  # the timeline scrubs text snapshots too
    text, caption = shown["text"], shown["caption"]
    assert "grid" not in shown and "<li " in text and "step **0**" in caption
    assert a.ctx.pins.get("alice", st["run_id"])[0] == 0
    # a run with weights is offered in the Next token tab's model list
    assert f"run:{st['run_id']}" in [k for _, k in a.ctx.model_choices(alice, ("charlm",))]


@pytest.mark.parametrize("model, data, message", [
    ("charlm", "mnist5k", "Tiny GPT .* learns from text .* choose 'names'"),
    ("vae", "names", "VAE learns from images, and 'names' is not such a data set: choose 'mnist5k'"),
    ("gan", "names", "GAN learns from images"),
])
def test_model_and_data_must_match(actions, model, data, message):
    with pytest.raises(gr.Error, match=message):
        actions.train(model, data, 10, None, 32, 1.0, 1, 0, False, request=req("alice"))
    assert actions.status(req("alice"))["state"] == "none"


def test_choosing_the_tiny_gpt_offers_only_text_corpora():
    datasets = ["mnist5k", "fashion", "names"]
    beta, dsteps, full, lr, steps, learn, data, batch = model_changed("charlm", "mnist5k", datasets)
    assert [(in_language(label), key) for label, key in data.choices] == [(V.DATASETS["names"], "names")]
    assert data.value == "names"
    assert beta.visible is False and dsteps.visible is False and full.visible is False
    assert lr == 1e-3 and steps == family("charlm").steps and batch.value == 64 and "#learn-text" in learn
    *_, data, _ = model_changed("gan", "names", datasets)
    assert [k for _, k in data.choices] == ["mnist5k", "fashion"] and data.value == "mnist5k"
    *_, data, _ = model_changed("vae", "fashion", datasets)
    assert data.value == "fashion"  # an image data set already chosen stays chosen


def test_a_failed_run_is_reported_once(actions, monkeypatch):
    from genai_demo.data.datasets import load_dataset
    from genai_demo.models.vae import VAE
    from genai_demo.training import factory
    from genai_demo.training.trainer import Trainer

    class Broken(VAE):
        def train_step(self, *args):
            raise RuntimeError("the GPU caught fire")

    monkeypatch.setattr(factory, "make_trainer", lambda cfg: Trainer(cfg, load_dataset("mnist5k"), model=Broken()))
    alice = req("alice")
    actions.train("vae", "mnist5k", 100, 1e-3, 32, 1.0, 1, 0, False, request=alice)
    wait_until(lambda: actions.status(alice)["state"] == "failed")
    # the visitor reads a plain sentence; the exception (class and text) is in the trainer's trace, for the log
    error = actions.status(alice)["error"]
    assert error.startswith("an internal error stopped training at step 1") and "RuntimeError" not in error
    assert "RuntimeError: the GPU caught fire" in actions.ctx.registry.get("alice").trainer.error_trace
    with pytest.warns(UserWarning, match="Training failed: an internal error stopped training at step 1"):
        out = tick(actions, {}, alice)
    assert "failed" in out["status"] and "an internal error" in out["status"] and "the GPU caught fire" not in out["status"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second look does not warn again
        tick(actions, out["view"], alice)


def test_dcgan_trains_with_the_light_preset_by_default(actions):
    alice = req("alice")
    actions.train("dcgan", "mnist5k", 12, 2e-4, 16, 1.0, 1, 0, False, request=alice)
    wait_until(lambda: actions.status(alice)["state"] == "finished")
    run = actions.ctx.registry.current("alice")
    assert run.trainer.model.config.ngf == family("dcgan").light["ngf"]
    assert set(actions.status(alice)["metrics"]) >= {"d_loss", "g_loss", "d_acc"}


def test_sampled_names_are_tagged_new_copied_or_real_but_unseen():
    from genai_demo.data.text import _line_sets

    train, test = _line_sets("names")
    copied, unseen = sorted(train)[0], sorted(test - train)[0]
    html = V.text_html(f"{copied}\n{unseen}\nZqxwv\n", "names")
    assert 'class="novelty-memorised"' in html and 'class="novelty-held-out"' in html and 'class="novelty-new"' in html
    assert "1 new · 1 copied from the training names · 1 real name it never trained on" in html
    assert "novelty" not in V.text_html("Anna\nBob", None)  # corpus unknown: plain lines, no guesses
    assert V.text_html(None, "names") is None


def test_long_or_chinese_lines_get_one_column_and_wrap_inside_it():
    """A two-column box fits names; a longer line (a visitor's own text, an untrained model's babble) or a verse
    (Chinese characters are twice as wide) ran past the box's edge with its tag (seen in a screenshot)."""
    from genai_demo.ui.text_preview import WIDE_LINE, columns

    assert columns("Anna") == 4 and columns("床前明月光，") == 12 and columns("床前明月光，孤色白照新。") == 24
    assert "columns:2" in V.text_html("Anna\nMarittfe\nMgcasosmy", "names")
    assert "columns:1" in V.text_html("Anna\n" + "x" * (WIDE_LINE + 1), "names")
    assert "columns:1" in V.text_html("床前明月光，孤色白照新。", "tang")
    assert "nowrap" not in V.text_html("ejlta derced birove", None)  # the text may wrap (inside its own column)


def test_the_bits_note_gives_each_corpus_its_own_blind_guess():
    """The note under the bits-per-character plot was written for the names (53 characters) and shown for the poems
    and a visitor's text too: it now gives the rule and both shipped corpora's figures, which must be the real ones."""
    import math

    from genai_demo.data.text import corpus_vocab

    for lang in ("en", "zh-CN"):
        note = t("plot_text_bpc_note", lang)
        for corpus in ("names", "tang"):
            n = len(corpus_vocab(corpus))
            assert f"{n:,}" in note and f"{math.log2(n):.1f}" in note, (lang, corpus, note)
