"""What the classroom walkthrough found (issue 13, item 6), checked on the handlers: each test failed before its fix.

Runs are short VAE / GAN runs on the embedded MNIST-5k with a one-run registry, as in test_ui_train.py.
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
from genai_demo.training.runs import RunRegistry  # noqa: E402
from genai_demo.ui import train_view as V  # noqa: E402
from genai_demo.ui.context import UIContext  # noqa: E402
from genai_demo.ui.lang import in_language  # noqa: E402
from genai_demo.ui.train_actions import TrainActions  # noqa: E402
from genai_demo.ui.train_form import OpeningSeeds, fresh_seed, model_changed  # noqa: E402
from genai_demo.ui.train_tab import scrub, tick  # noqa: E402
from tests.helpers import wait_until  # noqa: E402


def req(session: str, **query):
    return SimpleNamespace(session_hash=session, query_params=query)


ALICE = req("alice")
FORM = {"model": "vae", "data": "mnist5k", "steps": 3000, "lr": None, "batch_size": 32, "beta": 1.0, "d_steps": 1,
        "seed": 7, "full_size": False}


@pytest.fixture
def actions():
    ctx = UIContext(registry=RunRegistry(max_running=1, max_steps=5000, idle_s=600))
    yield TrainActions(ctx, datasets=["mnist5k"])
    ctx.registry.shutdown()


def paused_vae(a: TrainActions) -> str:
    """A VAE run paused after a few steps; returns its id."""
    a.start_or_resume(dict(FORM), ALICE)
    wait_until(lambda: a.status(ALICE)["step"] >= 5)
    a.pause(ALICE)
    wait_until(lambda: a.status(ALICE)["state"] == "paused")
    return a.status(ALICE)["run_id"]


# ---- 1. a paused run, another model, "Resume" ---------------------------------------------------------
def test_start_with_another_model_says_a_new_run_begins_and_the_button_says_so_first(actions):
    a = actions
    old = paused_vae(a)
    view = tick(a, {}, ALICE, "vae", "mnist5k", 7)["view"]
    assert view["label"] == "train_btn_resume"  # same model, data, seed: Start resumes
    out = tick(a, view, ALICE, "cvae", "mnist5k", 7)  # the visitor picked the CVAE: the button no longer says Resume
    assert in_language(out["start"].value) == t("walk_btn_start_new")
    with pytest.warns(UserWarning, match="new CVAE run starts at step 0"):
        a.start_or_resume({**FORM, "model": "cvae"}, ALICE)
    new = a.status(ALICE)
    assert new["run_id"] != old and new["model"] == "cvae"
    assert any(r.id == old for r in a.ctx.registry.runs("alice"))  # the paused run is kept, as the message says


def test_resuming_with_the_same_settings_says_nothing(actions):
    a = actions
    old = paused_vae(a)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a gr.Warning here would fail the test
        a.start_or_resume(dict(FORM), ALICE)
    assert a.status(ALICE)["run_id"] == old


def test_typed_steps_and_learning_rate_survive_a_model_change():
    _, _, _, lr, steps, *_ = model_changed("cvae", "mnist5k", ["mnist5k"], steps=1500, lr=0.003, previous="vae")
    assert (steps, lr) == (1500, 0.003)  # the walkthrough's 1500 (also the DCGAN's default) is kept
    # untouched fields (some family's default) take the new family's defaults
    _, _, _, lr, steps, *_ = model_changed("gan", "mnist5k", ["mnist5k"], steps=family("vae").steps, lr=family("vae").lr,
                                           previous="vae")
    assert (steps, lr) == (family("gan").steps, family("gan").lr)
    _, _, _, lr, steps, *_ = model_changed("vae", "mnist5k", ["mnist5k"], steps=1500, lr=2e-4, previous="dcgan")
    assert (steps, lr) == (family("vae").steps, family("vae").lr)


# ---- 2, 10. the timeline counts steps, keyboard moves go to the next snapshot -----------------------------
def test_the_timeline_is_in_steps_and_an_arrow_key_reaches_the_next_snapshot(actions):
    a = actions
    a.train("vae", "mnist5k", 200, None, 32, 1.0, 1, 3, False, request=ALICE)
    wait_until(lambda: a.status(ALICE)["state"] == "finished")
    snaps = [s for s, _ in a.ctx.registry.current("alice").trainer.snapshot().previews]
    assert len(snaps) >= 3 and snaps[0] == 0
    out = tick(a, {}, ALICE)
    assert out["timeline"].maximum == snaps[-1] and out["timeline"].value == snaps[-1]  # a step, not an index
    home = scrub(a, 0, ALICE)  # Home
    assert home["timeline"] == gr.skip() and "step **0**" in home["caption"]  # at a snapshot: the slider is left alone
    right = scrub(a, 1, ALICE)  # → moves the slider by one step: the next snapshot
    assert right["timeline"].value == snaps[1] and f"step **{snaps[1]:,}**" in right["caption"]
    left = scrub(a, snaps[1] - 1, ALICE)  # ← goes back
    assert left["timeline"].value == 0  # between snapshots: the slider snaps onto one
    end = scrub(a, snaps[-1], ALICE)  # End: live again
    assert t("train_caption_live") in end["caption"] and a.ctx.pins.get("alice", out["view"]["run"])[0] is None


def test_snapshot_at_picks_the_nearest_or_the_next_in_the_moves_direction():
    steps = [0, 50, 100, 200]
    assert V.snapshot_at(steps, 120) == 2 and V.snapshot_at(steps, 180) == 3 and V.snapshot_at(steps, 1e9) == 3
    assert V.snapshot_at(steps, 101, shown=100) == 3 and V.snapshot_at(steps, 99, shown=100) == 1
    assert V.snapshot_at(steps, float("nan")) == 0


# ---- 5. Reset asks first ---------------------------------------------------------------------------------
def test_reset_needs_a_second_press_and_the_button_asks(actions):
    a = actions
    run = paused_vae(a)
    assert a.reset_click(ALICE) is False  # first press: nothing discarded yet
    assert a.status(ALICE)["run_id"] == run
    out = tick(a, {}, ALICE)
    assert in_language(out["reset"].value) == t("walk_reset_confirm")
    assert in_language(out["reset"].value, "zh-CN") == t("walk_reset_confirm", "zh-CN")
    assert a.reset_click(ALICE) is True  # second press
    assert a.status(ALICE)["state"] == "none"
    out = tick(a, out["view"], ALICE)
    assert in_language(out["reset"].value) == t("train_btn_reset")  # back to a plain Reset


def test_a_late_second_press_only_asks_again(actions, monkeypatch):
    from genai_demo.ui import train_actions

    a = actions
    paused_vae(a)
    assert a.reset_click(ALICE) is False
    monkeypatch.setattr(train_actions, "CONFIRM_S", 0.0)  # the question has expired
    assert a.reset_click(ALICE) is False and a.status(ALICE)["state"] == "paused"


def test_reset_redraws_the_quality_card_at_once():
    """The card's own timer comes every few seconds (or never, when turned off): Reset chains a redraw itself."""
    from genai_demo.ui.train_tab import build

    ctx = UIContext(registry=RunRegistry(max_running=1, max_steps=5000))
    try:
        with gr.Blocks() as demo:
            build(ctx)
        ids = {b.elem_id: i for i, b in demo.blocks.items() if getattr(b, "elem_id", None)}
        fns = list(demo.fns.values())
        click = next(f for f in fns if (ids["train-reset"], "click") in f.targets)
        after = [f for f in fns if f.trigger_after == click._id]
        assert any(ids["train-quality"] in [o._id for o in f.outputs] for f in after)
    finally:
        ctx.registry.shutdown()


# ---- 11. a student's first run is their own ----------------------------------------------------------------
def test_the_seed_is_fresh_per_page_unless_a_lesson_link_names_one():
    seeds = {fresh_seed(req(f"s{i}")) for i in range(20)}
    assert len(seeds) > 1 and 0 not in seeds  # not the shipped model's seed 0, and not one seed for everyone
    assert fresh_seed(req("a", seed="5")) == 5  # ?seed=5 reproduces a lesson's run
    assert fresh_seed(req("a", seed="0")) == 0
    assert fresh_seed(req("a", seed="-3")) != -3 and fresh_seed(req("a", seed="x")) >= 1  # a bad value: a fresh one


class NoRuns:
    """A registry with no runs yet: the Start in these tests has not made its run when the load event asks."""

    def current(self, sid):
        return None


def test_a_start_before_the_opening_seed_arrived_uses_the_seed_the_page_is_about_to_show():
    """A CI run under load: Start pressed while the page still showed the build-time seed, its answer and the load's
    reaching the page in either order, left the form and the run with different seeds ("Start new run")."""
    seeds = OpeningSeeds(NoRuns())
    seeds.build_seed = 4321
    handed = seeds.hand_out(req("alice"))  # the load event was answered, its answer not yet on the page
    assert handed != 4321 and seeds.hand_out(req("alice")) == handed
    assert seeds.for_start("alice", 4321) == handed  # the early Start runs with the seed the page will show
    assert seeds.for_start("alice", 4321) == 4321  # a later Start takes the form as it is (the visitor typed it)
    # the other order: the Start first (build-time seed, or one typed before the load), then the load hands that out
    assert seeds.for_start("bob", 4321) == 4321 and seeds.hand_out(req("bob")) == 4321
    assert seeds.for_start("carol", 77) == 77 and seeds.hand_out(req("carol")) == 77
    # a seed the visitor typed is never replaced, even on the first Start
    seeds.hand_out(req("dave"))
    assert seeds.for_start("dave", 12) == 12
    # a lesson link's ?seed=5: the early Start gets the lesson's seed
    assert seeds.hand_out(req("erin", seed="5")) == 5 and seeds.for_start("erin", 4321) == 5
    assert seeds.for_start("fay", "x") == "x" and seeds.hand_out(req("fay")) != "x"  # a script's odd seed: not kept
    seeds.forget("alice")
    assert seeds.for_start("alice", 4321) == 4321  # gone with the visitor: nothing held for them


def test_the_train_tab_knows_the_seed_every_page_shows_before_its_own_arrives():
    from genai_demo.ui import train_tab

    ctx = UIContext(registry=RunRegistry(max_running=1, max_steps=5000, idle_s=600))
    try:
        with gr.Blocks() as demo:
            a = train_tab.build(ctx)
        field = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "train-seed")
        assert isinstance(a.seeds.build_seed, int) and a.seeds.build_seed == field.value
    finally:
        ctx.registry.shutdown()


def test_opening_seeds_stay_bounded_for_a_script_opening_sessions():
    seeds = OpeningSeeds(NoRuns())
    seeds.build_seed = 1
    for i in range(OpeningSeeds.MAX_SESSIONS + 50):
        seeds.hand_out(req(f"s{i}"))
    assert len(seeds._seeds) == OpeningSeeds.MAX_SESSIONS
    assert seeds.hand_out(req(None)) >= 1 and seeds.hand_out(None) >= 1  # no session: a plain fresh seed


# ---- 4. the GAN studio's conditional walk ---------------------------------------------------------------------
def _wiring(build_tab, ctx):
    """(blocks by elem_id, {component id: component}, event functions) of one tab built alone."""
    with gr.Blocks() as demo:
        with gr.Tab("x") as tab:
            build_tab(ctx, tab)
    ids = {b.elem_id: i for i, b in demo.blocks.items() if getattr(b, "elem_id", None)}
    return ids, list(demo.fns.values())


def _chain(fns, first):
    """The event functions run after `first` (its .then chain), first included."""
    chain, ids = [first], {first._id}
    for f in fns:
        if f.trigger_after in ids:
            chain.append(f)
            ids.add(f._id)
    return chain


@pytest.fixture(scope="module")
def tiny_ckpts(tmp_path_factory):
    from tests.helpers import write_tiny_checkpoints

    d = tmp_path_factory.mktemp("ckpts")
    write_tiny_checkpoints(d, "tiny")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENAI_DEMO_CHECKPOINTS", str(d))
        yield d


def test_switching_to_the_cgan_shows_one_row_per_class_in_its_walk(tiny_ckpts):
    from genai_demo.ui.gan_tab import ROWS, GanActions

    a = GanActions(UIContext())
    _, value, visible = a.class_options("pretrained:tiny_gan", None, ALICE)  # the page opens on a plain GAN
    assert visible is False
    _, value, visible = a.class_options("pretrained:tiny_cgan", value, ALICE)  # the hidden value carries over
    assert (value, visible) == (ROWS, True)
    strip, _ = a.walk("pretrained:tiny_cgan", 1, 2, 10, "slerp", ROWS, ALICE)  # ten classes × ten steps
    one, _ = a.walk("pretrained:tiny_gan", 1, 2, 10, "slerp", ROWS, ALICE)  # the plain GAN: one row
    # square cells: ten rows make a square picture, one row a strip (the page sizes it by its aspect: app.py's CSS)
    assert strip.shape[0] == pytest.approx(strip.shape[1], rel=0.05) and one.shape[1] / one.shape[0] > 8


def test_a_new_model_in_the_gan_studio_redraws_its_walk(tiny_ckpts):
    from genai_demo.ui import gan_tab

    ctx = UIContext()
    ids, fns = _wiring(gan_tab.build, ctx)
    picked = next(f for f in fns if (ids["gan-model"], "input") in f.targets)
    outputs = {o._id for f in _chain(fns, picked) for o in f.outputs}
    assert ids["gan-walk"] in outputs  # the previous model's walk does not stay on screen
    walk = next(f for f in fns if ids["gan-walk"] in [o._id for o in f.outputs] and (ids["gan-walk-btn"], "click") in f.targets)
    assert walk is not None


# ---- 7, 8. the Latent explorer follows a live run; a second encode of the same drawing is skipped -----------------
def test_the_latent_explorer_follows_a_live_run_by_itself(actions):
    from genai_demo.ui.latent_actions import LatentActions

    a = actions
    a.train("vae", "mnist5k", 60, None, 32, 1.0, 1, 3, False, request=ALICE)
    wait_until(lambda: a.status(ALICE)["state"] == "finished")
    lat = LatentActions(a.ctx)
    key = f"run:{a.status(ALICE)['run_id']}"
    out = lat.follow(key, 0.0, 0.0, 0, True, None, None, [], ALICE)
    labels = [label for label, k in out["listed"] if k == key]
    assert labels and "step 60" in labels[0] and out["decoder"] and out["map"] is not None
    again = lat.follow(key, 0.0, 0.0, 0, True, None, out["decoder"], out["listed"], ALICE)
    assert again == {}  # nothing new: nothing is sent
    a.reset(ALICE)
    assert "listed" in lat.follow(key, 0.0, 0.0, 0, True, None, out["decoder"], out["listed"], ALICE)  # never an error


def test_encode_drawing_after_the_automatic_encode_does_nothing_and_shows_no_overlay(tiny_ckpts):
    import numpy as np

    from genai_demo.ui import latent_tab
    from genai_demo.ui.latent_actions import LatentActions

    lat = LatentActions(UIContext())
    canvas = np.full((280, 280, 4), 255, np.uint8)
    canvas[60:220, 130:150, :3] = 0  # a drawn "1"
    first = lat.encode("pretrained:tiny_vae", 0, {"composite": canvas}, True, None, ALICE, quiet=True)
    assert first["recon"] is not None
    assert lat.encode("pretrained:tiny_vae", 0, {"composite": canvas}, True, first["points"], ALICE) == {}
    canvas[60:220, 100:110, :3] = 0  # drawn on: encoded again
    assert lat.encode("pretrained:tiny_vae", 0, {"composite": canvas}, True, first["points"], ALICE)["recon"] is not None
    ids, fns = _wiring(latent_tab.build, UIContext())
    button = next(f for f in fns if (ids["latent-encode"], "click") in f.targets)
    assert button.show_progress != "full"  # no grey overlay over the map, sliders and reconstruction


# ---- 10. the two "real" Fréchet numbers: each names its sample size ------------------------------------------------
def test_the_frechet_rows_say_how_many_samples_their_real_baseline_used():
    import torch

    from genai_demo.quality import scores
    from genai_demo.quality.report import Report
    from genai_demo.ui.quality_view import readout_html

    ref = scores.reference("mnist5k")
    card_n, judge_n = 200, 500  # train_quality.SAMPLES and gan_tab.JUDGE_N
    # why the walkthrough saw 20.4 and 13.2: the distance of real images to real images shrinks with more of them
    assert scores.real_baseline(ref, card_n) > scores.real_baseline(ref, judge_n)
    real = ref.held_x[:judge_n].float().div(255).view(-1, 1, 28, 28) if ref.held_x.dtype == torch.uint8 else \
        ref.held_x[:judge_n].view(-1, 1, 28, 28)
    for n in (card_n, judge_n):
        s = {"kind": "gan", "seed": 0, **scores.score_images(real[:n], "mnist5k", nearest=False)}
        for lang in ("en", "zh-CN"):
            card, table = readout_html(s, 100, lang), Report.of(s, lang)
            named = t("walk_q_frechet_n", lang, n=n)
            assert named in card and f"{s['frechet_real']:.1f}" in card
            row = next(r for r in table.rows if r.metric == t("walk_r_frechet_n", lang, n=n))
            assert row.real == f"{scores.real_baseline(ref, n):.2f}"
