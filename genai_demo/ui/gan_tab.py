"""GAN studio: sample grids for a seed, one row per class, latent walks (lerp vs slerp), VAE vs GAN, and
"Judge these samples" (a classifier's scores and the memorisation check, from genai_demo/quality/scores.py).

Layout and callbacks only; sampling and walking are genai_demo/explore/latent.py. A seed names the noise, so
the same seed gives the same grid every time (and in gradio_client calls: api_names "sample", "judge").
"""
from __future__ import annotations

import math

import gradio as gr
import numpy as np

from ..data import images
from ..explore import latent as explore
from ..i18n import t
from ..models import kinds
from ..quality import live as live_quality
from ..quality.report import format_markdown, markdown_table
from .common import FAST, INLINE_MATH, glossary_box, refresh_choices, resolve_model, whole, write_gif
from .context import UIContext
from .lang import L
from .messages import shown
from .outputs import Outputs
from .quality_view import histogram_html

DEFAULT_MODEL = "pretrained:gan_mnist5k"
N_MIN, N_MAX = 16, 100
MAX_SEED = 2**31 - 1
JUDGE_N, JUDGE_MIN, JUDGE_MAX = 500, 100, 2000  # samples judged (the Fréchet distance needs > 48; 500 take ~2 s)
RANDOM, ROWS = "random", "rows"  # class choices besides a single class number
WALK_ROW_PX, WALK_CLASS_ROW_PX, WALK_MAX_PX = 140, 60, 640  # the walk picture's height: one row, per class row, at most
COMPARE_NOTE = "gan_compare_note"  # catalogue key
SHOW_JUDGEMENT = "() => document.getElementById('gan-judge-box')?.scrollIntoView({behavior: 'smooth', block: 'start'})"
MEMO_NOTE = "gan_memo_note"  # catalogue key
CLASS_CHOICES = [(L("gan_random_classes"), RANDOM), (L("gan_rows"), ROWS)]


def _n(n, lang: str = "en") -> int:
    try:
        v = int(n)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf)
        raise gr.Error(t("err_whole", lang, what="n", lo=N_MIN, hi=N_MAX, got=shown(n))) from None
    if v != n or not N_MIN <= v <= N_MAX:
        raise gr.Error(t("err_whole", lang, what="n", lo=N_MIN, hi=N_MAX, got=shown(n)))
    return v


def _seed(s, lang: str = "en") -> int:
    try:
        v = int(s)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf)
        raise gr.Error(t("gan_err_seed", lang, hi=MAX_SEED, got=shown(s))) from None
    if v != s or not 0 <= v <= MAX_SEED:
        raise gr.Error(t("gan_err_seed", lang, hi=MAX_SEED, got=shown(s)))
    return v


def _class(model, choice, lang: str = "en") -> int | str | None:
    """A class number, ROWS, or None (random classes / unconditional model, which ignores the choice)."""
    if not model.conditional or choice in (None, "", RANDOM):
        return None
    if choice == ROWS:
        return ROWS
    try:
        c = int(choice)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf)
        raise gr.Error(t("gan_err_class", lang, random=RANDOM, rows=ROWS, got=shown(choice))) from None
    if not 0 <= c < model.config.num_classes:
        raise gr.Error(t("gan_err_class_range", lang, hi=model.config.num_classes - 1, got=shown(choice)))
    return c


def walk_image(strip: np.ndarray, steps: int) -> gr.Image:
    """The walk strip at a height that fits its rows: one row of `steps` digits, or one row per class for a
    conditional model (ten rows squeezed into one row's 140 px were unreadable). Digits are square cells."""
    rows = max(1, round(strip.shape[0] * steps / strip.shape[1]))
    return gr.Image(value=strip, height=WALK_ROW_PX if rows == 1 else min(WALK_MAX_PX, WALK_CLASS_ROW_PX * rows))


def _picture(imgs, nrow: int, target: int = 640) -> np.ndarray:
    """A crisp grid about `target` px wide (whole-number nearest-neighbour zoom)."""
    grid = images.make_grid(imgs, nrow=nrow)
    return images.upscale(grid, max(1, round(target / grid.shape[1])))


# ---------------------------------------------------------------------------------------------------
# handlers: plain methods, testable without a browser


class Unjudgeable(Exception):
    """The model's data set has no quality classifier (the message says which ones do)."""


class GanActions:
    def __init__(self, ctx: UIContext):
        self.ctx = ctx

    def sample(self, key, n, seed, label=RANDOM, request: gr.Request = None):
        """A grid of n samples for a seed. label: 'random', 'rows' (one row per class) or a class. API: "sample"."""
        lang = self.ctx.lang(request)
        n, seed = _n(n, lang), _seed(seed, lang)
        model, _ = resolve_model(self.ctx, key, request, kinds(view="studio"))
        c = _class(model, label, lang)
        if c == ROWS:
            k = model.config.num_classes
            per = max(3, math.ceil(n / k))  # one row per class: k rows of `per` samples
            return _picture(explore.samples(model, k * per, seed, explore.class_rows(per, k)), nrow=per)
        return _picture(explore.samples(model, n, seed, c), nrow=math.ceil(math.sqrt(n)))

    def walk(self, key, seed_a, seed_b, steps, mode, label=RANDOM, request: gr.Request = None):
        """The path between the noise of two seeds: a strip (one per class for a conditional model) and a GIF."""
        lang = self.ctx.lang(request)
        seed_a, seed_b = _seed(seed_a, lang), _seed(seed_b, lang)
        model, _ = resolve_model(self.ctx, key, request, kinds(view="studio"))
        if mode not in ("lerp", "slerp"):
            raise gr.Error(t("gan_err_mode", lang, got=shown(mode)))
        steps, c = whole(steps, t("gan_steps", lang), 2, 32, lang), _class(model, label, lang)
        labels = list(range(model.config.num_classes)) if model.conditional and not isinstance(c, int) else [c]
        walks = [explore.latent_walk(model, seed_a, seed_b, steps, mode, y) for y in labels]  # each (steps, 1, 28, 28)
        strip = _picture(np.concatenate([w.numpy() for w in walks]), nrow=steps, target=900)
        if len(walks) == 1:
            frames = list(walks[0]) + list(walks[0].flip(0))[1:-1]  # there and back, so the GIF loops smoothly
            gif = write_gif(frames, f"{mode}_walk_", factor=4)
        else:  # one frame per step, all classes in a 2 x 5 grid
            per_step = [images.make_grid(np.stack([w[i].numpy() for w in walks]), nrow=5) for i in range(steps)]
            gif = write_gif(per_step + per_step[::-1][1:-1], f"{mode}_walk_", factor=3)
        return strip, gr.DownloadButton(value=gif, visible=True)

    def compare(self, vae_key, gan_key, n, seed, request: gr.Request = None):
        """VAE and GAN samples side by side, same n and seed."""
        lang = self.ctx.lang(request)
        n, seed = _n(n, lang), _seed(seed, lang)
        out = []
        for key, group in ((vae_key, "vae"), (gan_key, "gan")):
            model, _ = resolve_model(self.ctx, key, request, kinds(view="studio", group=group))
            out.append(_picture(explore.samples(model, n, seed), nrow=math.ceil(math.sqrt(n)), target=420))
        return tuple(out)

    def _judged(self, key, n, seed, request) -> live_quality.Judgement:
        """The judgement of the model's n samples for a seed, or Unjudgeable."""
        lang = self.ctx.lang(request)
        n, seed = whole(n, "n", JUDGE_MIN, JUDGE_MAX, lang), _seed(seed, lang)
        model, src = resolve_model(self.ctx, key, request, kinds(view="studio"))
        problem = live_quality.unsupported(src.data, lang)
        if problem:
            raise Unjudgeable(problem)
        return live_quality.judge(model, src.data, n, seed, lang=lang)

    def judge(self, key, seed, request: gr.Request = None, n=JUDGE_N) -> dict:
        """The button: the box shown, the scores as a table, the class histogram as bars, the memorisation
        picture; a warning when the model's data set has no classifier."""
        try:
            j = self._judged(key, n, seed, request)
        except Unjudgeable as e:
            gr.Warning(str(e))
            return {"box": gr.Column(visible=True), "table": t("gan_unjudgeable", self.ctx.lang(request), why=e), "histogram": "",
                    "nearest": None}
        r = j.report
        return {"box": gr.Column(visible=True), "table": markdown_table(r, self.ctx.lang(request)),
                "histogram": histogram_html(r.histogram, r.class_names, bar_px=90),
                "nearest": images.upscale(j.nearest, max(1, round(560 / j.nearest.shape[1])))}

    def judge_api(self, model: str = DEFAULT_MODEL, n: int = JUDGE_N, seed: int = 0, request: gr.Request = None) -> str:
        """Score n samples of a model (a key from the model list) for a seed: a Markdown table. API: "judge"."""
        try:
            return format_markdown(self._judged(model, n, seed, request).report)
        except Unjudgeable as e:
            raise gr.Error(str(e)) from None

    def class_options(self, key, current, request: gr.Request = None) -> tuple[list, str, bool]:
        """(choices, value, visible) of the class dropdown: shown only for a CGAN / CVAE."""
        model, src = resolve_model(self.ctx, key, request, kinds(view="studio"))
        if not model.conditional:  # hidden and ignored; a CGAN picked next opens with one row per class
            return CLASS_CHOICES, ROWS, False
        classes = explore.held_out(src.data).classes
        choices = list(CLASS_CHOICES)
        choices += [(c if c == str(i) else f"{i} · {c}", str(i)) for i, c in enumerate(classes)]
        return choices, current if current in [v for _, v in choices] else ROWS, True

    def class_picker(self, key, current, request: gr.Request = None):
        choices, value, visible = self.class_options(key, current, request)
        return gr.Dropdown(choices=choices, value=value, visible=visible)


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
                             interactive=False, height=WALK_ROW_PX, elem_id="gan-walk", elem_classes="crisp")
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
                               elem_classes="crisp", scale=2)
            gan_img = gr.Image(label=L("gan_gan_samples"), format="png", interactive=False, height=340, elem_id="gan-gan-img",
                               elem_classes="crisp", scale=2)

    # ---- wiring ------------------------------------------------------------------------------------
    # The public API first: private events named after the same function would otherwise take "sample".
    sample_btn.click(a.sample, [model, n, seed, cls], grid, api_name="sample", concurrency_limit=4)
    private = dict(api_visibility="private")

    def choices(cur, cur_vae, cur_gan, request: gr.Request):
        return (refresh_choices(ctx, cur, request, kinds(view="studio"), DEFAULT_MODEL),
                refresh_choices(ctx, cur_vae, request, kinds(view="studio", group="vae"), "pretrained:vae_mnist5k"),
                refresh_choices(ctx, cur_gan, request, kinds(view="studio", group="gan"), DEFAULT_MODEL))

    def initial(request: gr.Request):
        return choices(None, None, None, request)

    drawn = Outputs(cls=cls, grid=grid, strip=strip, gif=gif, vae=vae_img, gan=gan_img)

    def walk_shown(key, sa, sb, st, md, c, request: gr.Request):
        walk_strip, walk_gif = a.walk(key, sa, sb, st, md, c, request)
        return walk_image(walk_strip, st), walk_gif

    walked = dict(fn=walk_shown, inputs=[model, seed_a, seed_b, steps, mode, cls], outputs=[strip, gif], concurrency_limit=4)

    def everything(key, c, n_, s, sa, sb, st, md, vk, gk, request: gr.Request):
        options, c, visible = a.class_options(key, c, request)
        grid_ = a.sample(key, n_, s, c, request)
        walk_strip, walk_gif = walk_shown(key, sa, sb, st, md, c, request)
        vae, gan = a.compare(vk, gk, n_, s, request)
        return {"cls": gr.Dropdown(choices=options, value=c, visible=visible), "grid": grid_, "strip": walk_strip,
                "gif": walk_gif, "vae": vae, "gan": gan}

    inputs = [model, cls, n, seed, seed_a, seed_b, steps, mode, vae_model, gan_model]
    redraw = dict(fn=drawn.wrap(everything), inputs=inputs, outputs=drawn.blocks, concurrency_limit=4)
    pickers = [model, vae_model, gan_model]
    gr.on(None, initial, None, pickers, **private).then(**redraw, **private)
    gr.on([refresh.click] + ([tab.select] if tab is not None else []), choices, pickers, pickers,
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
