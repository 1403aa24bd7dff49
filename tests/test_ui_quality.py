"""Sample quality in the app: the Train tab's live readout and the GAN studio's "Judge these samples".

Handlers as plain functions with fake requests (anything with a session_hash), short runs on the embedded
MNIST-5k and the shipped checkpoints (gan_mnist5k, the classifiers); then the "judge" endpoint through
gradio_client.
"""
from __future__ import annotations

import os
import time
from types import SimpleNamespace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from genai_demo.models import build  # noqa: E402
from genai_demo.quality import live as live_quality  # noqa: E402
from genai_demo.training.checkpoints import save_checkpoint  # noqa: E402
from genai_demo.training.runs import RunRegistry  # noqa: E402
from genai_demo.training.zoo import checkpoint_dir  # noqa: E402
from genai_demo.ui import train_quality  # noqa: E402
from genai_demo.ui.context import UIContext  # noqa: E402
from genai_demo.ui.gan_tab import GanActions  # noqa: E402
from genai_demo.ui.quality_view import histogram_html  # noqa: E402
from genai_demo.ui.train_actions import TrainActions  # noqa: E402
from genai_demo.ui.train_quality import QualityReadout  # noqa: E402
from genai_demo.ui.train_tab import tick  # noqa: E402
from tests.helpers import serve_app, wait_until  # noqa: E402

ALICE = SimpleNamespace(session_hash="alice")




def skipped(value) -> bool:
    return isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1


@pytest.fixture
def train():
    ctx = UIContext(registry=RunRegistry(max_running=1, max_steps=5000, idle_s=600))
    yield TrainActions(ctx, datasets=["mnist5k"]), QualityReadout(ctx)
    ctx.registry.shutdown()


def finished_run(a: TrainActions, model: str, steps: int = 40) -> dict:
    a.train(model, None, steps, None, 32, 1.0, 1, 0, False, request=ALICE)
    wait_until(lambda: a.status(ALICE)["state"] == "finished")
    return a.status(ALICE)


# ---- Train tab: the live readout -------------------------------------------------------------------
def test_readout_for_a_vae_run_has_its_fields_and_is_cached_per_step(train):
    a, q = train
    card, view = q.measure({}, ALICE)
    assert "Start an image run" in card and q.measured == 0  # no run yet: a hint, nothing computed
    assert not q.busy(view, ALICE)  # nothing can change the card but an event: its timer slows down
    finished_run(a, "vae")
    assert q.busy(view, ALICE)  # the finished run's last snapshot is not on the card yet
    card, view = q.measure(view, ALICE)
    for field in ("classifier confidence", "classes covered", "Fréchet distance", "held-out −ELBO", "nats",
                  'data-step="40"', 'data-kind="vae"', "quality-hist", "measured at step"):
        assert field in card, field
    assert view["shown"].endswith("@40") and q.measured == 1
    assert not q.busy(view, ALICE)  # on the card now: slow again
    again, view = q.measure(view, ALICE)  # same snapshot, same page: nothing sent, nothing computed
    assert skipped(again) and q.measured == 1
    other_page, _ = q.measure({}, ALICE)  # a second tab of the same visitor: drawn from the cache
    assert other_page == card and q.measured == 1


def test_a_reset_while_measuring_does_not_leave_the_old_runs_scores_on_the_card(train, monkeypatch):
    a, q = train
    finished_run(a, "vae")
    measure = q.scores

    def reset_meanwhile(session, run, snap):  # the visitor presses Reset while the classifier works
        s = measure(session, run, snap)
        a.reset(ALICE)
        return s

    monkeypatch.setattr(q, "scores", reset_meanwhile)
    card, view = q.measure({}, ALICE, force=True)
    assert "Start an image run" in card and "measured at step" not in card and view["shown"] == "idle"


def test_readout_measures_again_only_when_the_snapshot_step_changes(train):
    a, q = train
    a.train("gan", None, 2000, None, 32, 1.0, 1, 0, False, request=ALICE)
    a.pause(ALICE)
    trainer = a.ctx.registry.get("alice").trainer

    def settled():  # paused, the step in flight done, and its frozen copy published (it lags the step counter)
        before = trainer.snapshot()
        time.sleep(0.3)
        after = trainer.snapshot()
        return after.state == "paused" and after.model_step == after.step == before.step

    wait_until(settled)
    assert q.busy({}, ALICE)  # a paused run can be stepped: the card keeps its pace
    card, view = q.measure({}, ALICE)
    assert "classifier confidence" in card and "−ELBO" not in card and 'data-kind="gan"' in card
    assert q.measured == 1
    with pytest.MonkeyPatch.context() as mp:  # the button on an unchanged snapshot says so (no silent no-op)
        said = []
        mp.setattr(gr, "Info", lambda message, title=None: said.append(message))
        again, view = q.measure(view, ALICE, force=True)
    assert skipped(again) and q.measured == 1 and "no newer snapshot" in said[0]
    step = trainer.snapshot().step
    a.step(1, ALICE)  # a single step publishes a new frozen copy
    wait_until(lambda: trainer.snapshot().model_step == step + 1)
    card, view = q.measure(view, ALICE)
    assert f'data-step="{step + 1}"' in card and q.measured == 2


def test_readout_is_hidden_and_never_computed_for_the_tiny_gpt(train, monkeypatch):
    a, q = train
    monkeypatch.setattr(live_quality, "readout", lambda *a, **k: pytest.fail("a text run was measured"))
    finished_run(a, "charlm", steps=20)
    out, _ = q.measure({}, ALICE)
    assert skipped(out) and q.measured == 0
    shown = tick(a, {}, ALICE)
    assert shown["quality_box"]["visible"] is False and shown["text_box"]["visible"] is True  # the quality box goes with the grid


def test_tick_shows_the_quality_box_for_image_runs(train):
    a, _ = train
    finished_run(a, "gan", steps=20)
    out = tick(a, {"text": True}, ALICE)  # the page showed a text run before
    assert out["quality_box"]["visible"] is True and out["grid_box"]["visible"] is True


def test_histogram_marks_classes_under_the_coverage_share():
    collapsed = histogram_html([190, 10, 0, 0, 0, 0, 0, 0, 0, 0])
    assert collapsed.count("#f87171") == 1 + 8  # the 5 % guide line + eight missing classes in red
    assert 'data-hist="190,10,0,0,0,0,0,0,0,0"' in collapsed


def test_readout_every_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("GENAI_DEMO_QUALITY_EVERY", "0")
    assert train_quality.quality_every_s() == 0
    monkeypatch.setenv("GENAI_DEMO_QUALITY_EVERY", "soon")
    assert train_quality.quality_every_s() == train_quality.DEFAULT_EVERY_S


def test_the_cards_terms_line_links_what_either_card_shows():
    # the digits card (confidence, classes, Fréchet, −ELBO of VAEs) and the own-images card (nearest training image,
    # held-out −ELBO): each measure it names has its ⓘ in the line under the card, in both languages
    ctx = UIContext(registry=RunRegistry(max_running=1))
    try:
        with gr.Blocks() as demo:
            train_quality.build_panel(ctx)
        html = " ".join(str(b.value) for b in demo.blocks.values()
                        if isinstance(b, gr.HTML) and "gloss-terms" in str(b.value))
    finally:
        ctx.registry.shutdown()
    for term in ("confidence", "classes_covered", "frechet", "elbo", "own_nearest", "held_out"):
        assert f'href="#gloss-{term}"' in html, term


# ---- GAN studio: "Judge these samples" ---------------------------------------------------------------
@pytest.fixture(scope="module")
def shipped():
    if not (checkpoint_dir() / "gan_mnist5k.safetensors").is_file():
        pytest.fail(f"shipped checkpoint gan_mnist5k missing in {checkpoint_dir()}", pytrace=False)


def test_judge_gan_mnist5k_shows_the_table_histogram_and_nearest_images(shipped):
    out = GanActions(UIContext()).judge("pretrained:gan_mnist5k", 3, ALICE)
    box, table, hist, pic = out["box"], out["table"], out["histogram"], out["nearest"]
    assert box["visible"] is True
    assert "GAN on mnist5k · 500 samples (seed 3)" in table
    for row in ("classifier confidence", "classes covered", "Fréchet distance (500 samples)", "nearest training image"):
        assert f"| {row} |" in table
    assert "Class histogram" not in table and "quality-hist" in hist  # drawn as bars instead
    counts = [int(c) for c in hist.split('data-hist="')[1].split('"')[0].split(",")]
    assert sum(counts) == 500 and len(counts) == 10
    assert pic.dtype == np.uint8 and pic.ndim == 2 and pic.shape[1] > 2 * pic.shape[0]  # two rows of ten


def test_judge_api_returns_markdown_and_checks_its_arguments(shipped):
    a = GanActions(UIContext())
    md = a.judge_api("pretrained:gan_mnist5k", 100, 0, ALICE)
    assert "100 samples (seed 0)" in md and "| classifier confidence |" in md and "| classes covered |" in md
    with pytest.raises(gr.Error, match="n must be"):
        a.judge_api("pretrained:gan_mnist5k", 10, 0, ALICE)
    with pytest.raises(gr.Error, match="Choose a model"):
        a.judge_api("", 100, 0, ALICE)


def test_judge_a_data_set_without_classifier_says_so(tmp_path, monkeypatch):
    torch.manual_seed(0)
    save_checkpoint(tmp_path / "odd_gan.safetensors", build("gan", {"z_dim": 8}).eval(), {"data": "letters", "steps": 0})
    monkeypatch.setenv("GENAI_DEMO_CHECKPOINTS", str(tmp_path))
    a = GanActions(UIContext())
    with pytest.warns(UserWarning, match="classifier .* MNIST-5k, MNIST, Fashion-MNIST, not for data set 'letters'"):
        out = a.judge("pretrained:odd_gan", 0, ALICE)
    assert out["box"]["visible"] is True and "cannot be judged" in out["table"] and out["nearest"] is None
    with pytest.raises(gr.Error, match="not for data set 'letters'"):
        a.judge_api("pretrained:odd_gan", 100, 0, ALICE)


# ---- through the server ----------------------------------------------------------------------------
def test_api_judge_through_gradio_client(shipped):
    from gradio_client import Client
    with serve_app() as (url, _):
        c = Client(url, verbose=False, analytics_enabled=False)
        md = c.predict("pretrained:gan_mnist5k", 200, 7, api_name="/judge")
        assert "200 samples (seed 7)" in md and "| classes covered |" in md
