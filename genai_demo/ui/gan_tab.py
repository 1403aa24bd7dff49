"""GAN studio: sample grids for a seed, one row per class, latent walks (lerp vs slerp), VAE vs GAN, and
"Judge these samples" (a classifier's scores and the memorisation check, from genai_demo/quality/scores.py).

Layout and wiring only; the handlers are gan_actions.py, sampling and walking genai_demo/explore/latent.py. A
seed names the noise, so the same seed gives the same grid every time (and in gradio_client calls: api_names
"sample", "judge").
"""
from __future__ import annotations

import gradio as gr
import numpy as np

from ..models import kinds
from .common import FAST, INLINE_MATH, glossary_box, refresh_choices
from .context import UIContext
from .gan_actions import CLASS_CHOICES, DEFAULT_MODEL, JUDGE_N, MAX_SEED, N_MAX, N_MIN, ROWS, GanActions  # noqa: F401
from .lang import L
from .outputs import Outputs

COMPARE_NOTE = "gan_compare_note"  # catalogue key
SHOW_JUDGEMENT = "() => document.getElementById('gan-judge-box')?.scrollIntoView({behavior: 'smooth', block: 'start'})"
MEMO_NOTE = "gan_memo_note"  # catalogue key
# JUDGE_N is re-exported from gan_actions: the judge box's heading (gan_judge_head) says it and a test checks they agree


# ---------------------------------------------------------------------------------------------------
# layout


def build(ctx: UIContext, tab: gr.Tab | None = None) -> GanActions:
    """Lay out the tab (inside `tab`, whose selection refreshes the model lists; None: only the ↻ button does)."""
    a = GanActions(ctx)
    gr.Markdown(L("gan_intro"), latex_delimiters=INLINE_MATH)  # the catalogue holds its LaTeX and link too
    glossary_box(ctx, ["generator", "discriminator", "latent", "lerp", "slerp", "mode_collapse", "confidence",
                       "classes_covered", "frechet"])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=340):
            with gr.Row():
                model = gr.Dropdown([], label=L("latent_model"), allow_custom_value=True, elem_id="gan-model", scale=5)
                refresh = gr.Button("↻", size="sm", scale=0, min_width=44, elem_id="gan-refresh")
            cls = gr.Dropdown(CLASS_CHOICES, value=ROWS, label=L("gan_class"),
                              allow_custom_value=True, visible=False, elem_id="gan-class")
            n = gr.Slider(N_MIN, N_MAX, value=64, step=1, label=L("gan_n"), elem_id="gan-n")
            with gr.Row():
                seed = gr.Number(0, label=L("train_seed"), precision=0, minimum=0, maximum=MAX_SEED, elem_id="gan-seed", scale=3,
                                 min_width=100)
                dice = gr.Button(L("gan_new_seed"), size="sm", scale=2, min_width=90, elem_id="gan-dice")
            with gr.Row():
                sample_btn = gr.Button(L("gan_sample"), variant="primary", elem_id="gan-sample", min_width=100)
                judge_btn = gr.Button(L("gan_judge"), elem_id="gan-judge", min_width=100)
            gr.Markdown(L("gan_walk_head"))
            with gr.Row():
                seed_a = gr.Number(1, label=L("gan_from_seed"), precision=0, minimum=0, maximum=MAX_SEED, min_width=90,
                                   elem_id="gan-seed-a")
                seed_b = gr.Number(2, label=L("gan_to_seed"), precision=0, minimum=0, maximum=MAX_SEED, min_width=90,
                                   elem_id="gan-seed-b")
            steps = gr.Slider(4, 16, value=10, step=1, label=L("gan_steps"), elem_id="gan-steps")
            mode = gr.Radio([(L("gan_lerp"), "lerp"), (L("gan_slerp"), "slerp")], value="slerp",
                            label=L("gan_path"), elem_id="gan-mode")
            walk_btn = gr.Button(L("gan_walk"), variant="primary", elem_id="gan-walk-btn")
        with gr.Column(scale=5, min_width=420):
            grid = gr.Image(label=L("gan_samples"), format="png", interactive=False, height=500, elem_id="gan-grid",
                            elem_classes="crisp", buttons=["download", "fullscreen"])
            # the label above the picture, not over it: it wraps instead of being cut, and covers no row
            gr.Markdown(L("gan_walk_label"), elem_id="gan-walk-label", elem_classes="walk-label")
            strip = gr.Image(label=L("gan_walk_label"), show_label=False, format="png",
                             interactive=False, elem_id="gan-walk", elem_classes="crisp",
                             buttons=["download", "fullscreen"])
            gif = gr.DownloadButton(L("latent_download_gif"), visible=False, size="sm", elem_id="gan-gif")
    with gr.Column(visible=False, elem_id="gan-judge-box") as judge_box:  # shown by the first judgement
        gr.Markdown(L("gan_judge_head"))  # says JUDGE_N (500): a test checks the catalogue agrees
        judge_md = gr.Markdown(elem_id="gan-judge-table")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=340):
                gr.Markdown(L("gan_hist_head"))
                judge_hist = gr.HTML(elem_id="gan-judge-hist")
            with gr.Column(scale=1, min_width=340):
                pairs = gr.Image(label=L("gan_nearest"), format="png", interactive=False, show_label=False,
                                 elem_id="gan-judge-pairs", elem_classes="crisp", buttons=["download"])
                gr.Markdown(L(MEMO_NOTE))
    with gr.Accordion(L("gan_side_by_side"), open=True, elem_id="gan-compare-box"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=340):
                vae_model = gr.Dropdown([], label="VAE", allow_custom_value=True, elem_id="gan-vae-model")
                gan_model = gr.Dropdown([], label="GAN", allow_custom_value=True, elem_id="gan-gan-model")
                compare_btn = gr.Button(L("gan_compare"), elem_id="gan-compare")
                gr.Markdown(L(COMPARE_NOTE), latex_delimiters=INLINE_MATH)
            vae_img = gr.Image(label=L("gan_vae_samples"), format="png", interactive=False, height=340, elem_id="gan-vae-img",
                               elem_classes="crisp", scale=2, buttons=["download", "fullscreen"])
            gan_img = gr.Image(label=L("gan_gan_samples"), format="png", interactive=False, height=340, elem_id="gan-gan-img",
                               elem_classes="crisp", scale=2, buttons=["download", "fullscreen"])

    # ---- wiring ------------------------------------------------------------------------------------
    # The public API first: private events named after the same function would otherwise take "sample".
    sample_btn.click(a.sample, [model, n, seed, cls], grid, api_name="sample", concurrency_limit=4)
    private = dict(api_visibility="private")

    # A tab visit refreshes the lists (a run's label carries its step) and redraws only when the lists or a setting
    # changed since the last full drawing: the same seed and weights would draw the same pictures again (a flash).
    lists, last_drawn = gr.State(None), gr.State(None)

    def choices(cur, cur_vae, cur_gan, request: gr.Request):
        dropdowns = (refresh_choices(ctx, cur, request, kinds(view="studio"), DEFAULT_MODEL),
                     refresh_choices(ctx, cur_vae, request, kinds(view="studio", group="vae"), "pretrained:vae_mnist5k"),
                     refresh_choices(ctx, cur_gan, request, kinds(view="studio", group="gan"), DEFAULT_MODEL))
        return *dropdowns, repr([d.choices for d in dropdowns])

    def initial(request: gr.Request):
        return choices(None, None, None, request)

    drawn = Outputs(cls=cls, grid=grid, strip=strip, gif=gif, vae=vae_img, gan=gan_img, last=last_drawn)

    def walk_shown(key, sa, sb, st, md, c, request: gr.Request):  # its own name: ui/fair.py counts it as a walk
        return a.walk(key, sa, sb, st, md, c, request)

    walked = dict(fn=walk_shown, inputs=[model, seed_a, seed_b, steps, mode, cls], outputs=[strip, gif], concurrency_limit=4)

    def everything(key, c, n_, s, sa, sb, st, md, vk, gk, listed, last, request: gr.Request):
        drawing = repr((listed, key, c, n_, s, sa, sb, st, md, vk, gk))
        if drawing == last:
            return {}  # nothing to send: the pictures on screen are these settings' pictures
        options, c, visible = a.class_options(key, c, request)
        grid_ = a.sample(key, n_, s, c, request)
        walk_strip, walk_gif = walk_shown(key, sa, sb, st, md, c, request)
        vae, gan = a.compare(vk, gk, n_, s, request)
        return {"cls": gr.Dropdown(choices=options, value=c, visible=visible), "grid": grid_, "strip": walk_strip,
                "gif": walk_gif, "vae": vae, "gan": gan, "last": drawing}

    inputs = [model, cls, n, seed, seed_a, seed_b, steps, mode, vae_model, gan_model, lists, last_drawn]
    redraw = dict(fn=drawn.wrap(everything), inputs=inputs, outputs=drawn.blocks, concurrency_limit=4)
    pickers = [model, vae_model, gan_model]
    gr.on(None, initial, None, [*pickers, lists], **private).then(**redraw, **private)
    gr.on([refresh.click] + ([tab.select] if tab is not None else []), choices, pickers, [*pickers, lists],
          **private).then(**redraw, **private)
    model.input(a.class_picker, [model, cls], cls, **private, concurrency_limit=None).then(
        a.sample, [model, n, seed, cls], grid, **private, **FAST).then(**walked, **private)  # no other model's walk stays

    gr.on([n.release, seed.submit, cls.input], a.sample, [model, n, seed, cls], grid, **private, **FAST)
    dice.click(lambda: int(np.random.randint(0, 100_000)), None, seed, **private).then(
        a.sample, [model, n, seed, cls], grid, **private, **FAST)
    gr.on([walk_btn.click, mode.input, cls.input], **walked, **private)
    judged = dict(concurrency_limit=2, concurrency_id="judge")  # ~2 s of CPU each: two at a time for everyone
    gr.api(a.judge_api, api_name="judge", **judged)  # before the button's private event, which would take "judge"
    judgement = Outputs(box=judge_box, table=judge_md, histogram=judge_hist, nearest=pairs)
    judge_btn.click(judgement.wrap(a.judge), [model, seed], judgement.blocks, **private, **judged).then(
        None, js=SHOW_JUDGEMENT, **private)
    gr.on([compare_btn.click, vae_model.input, gan_model.input], a.compare, [vae_model, gan_model, n, seed],
          [vae_img, gan_img], **private, concurrency_limit=4)
    return a
