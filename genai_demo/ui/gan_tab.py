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
from ..models import kinds
from ..quality import live as live_quality
from ..quality.report import format_markdown, markdown_table
from .common import FAST, INLINE_MATH, refresh_choices, resolve_model, whole, write_gif
from .context import UIContext
from .learn_tab import learn_link
from .outputs import Outputs
from .quality_view import histogram_html

DEFAULT_MODEL = "pretrained:gan_mnist5k"
N_MIN, N_MAX = 16, 100
MAX_SEED = 2**31 - 1
JUDGE_N, JUDGE_MIN, JUDGE_MAX = 500, 100, 2000  # samples judged (the Fréchet distance needs > 48; 500 take ~2 s)
RANDOM, ROWS = "random", "rows"  # class choices besides a single class number
COMPARE_NOTE = ("**Same n, same seed, two families.** The VAE's digits are *blurrier*: its decoder outputs the "
                "average image of everything its $z$ could stand for, and averaging (under the pixel-wise BCE loss) "
                "smears uncertain strokes into grey. The GAN's are *sharp*, because its discriminator rejects anything "
                "that doesn't look real, but a GAN may cover fewer styles than the data holds (mode dropping): look "
                "for missing digits or near-duplicates.")
SHOW_JUDGEMENT = "() => document.getElementById('gan-judge-box')?.scrollIntoView({behavior: 'smooth', block: 'start'})"
MEMO_NOTE = ("**Memorisation check.** Top: the 10 samples closest to a training image; bottom: that training image. "
             "Exact copies would mean the generator memorised its data; the table's *nearest training image* row "
             "compares the distance with new real images'. (Pixel distance favours thin strokes: 1s come up first.)")


def _n(n) -> int:
    try:
        v = int(n)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf)
        raise gr.Error(f"n must be a whole number between {N_MIN} and {N_MAX}, got {n!r}.") from None
    if v != n or not N_MIN <= v <= N_MAX:
        raise gr.Error(f"n must be a whole number between {N_MIN} and {N_MAX}, got {n!r}.")
    return v


def _seed(s) -> int:
    try:
        v = int(s)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf)
        raise gr.Error(f"The seed must be a whole number between 0 and {MAX_SEED}, got {s!r}.") from None
    if v != s or not 0 <= v <= MAX_SEED:
        raise gr.Error(f"The seed must be a whole number between 0 and {MAX_SEED}, got {s!r}.")
    return v


def _class(model, choice) -> int | str | None:
    """A class number, ROWS, or None (random classes / unconditional model, which ignores the choice)."""
    if not model.conditional or choice in (None, "", RANDOM):
        return None
    if choice == ROWS:
        return ROWS
    try:
        c = int(choice)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf)
        raise gr.Error(f"Class must be '{RANDOM}', '{ROWS}' or a number 0-9, got {choice!r}.") from None
    if not 0 <= c < model.config.num_classes:
        raise gr.Error(f"Class must be between 0 and {model.config.num_classes - 1}, got {choice!r}.")
    return c


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
        n, seed = _n(n), _seed(seed)
        model, _ = resolve_model(self.ctx, key, request, kinds(view="studio"))
        c = _class(model, label)
        if c == ROWS:
            k = model.config.num_classes
            per = max(3, math.ceil(n / k))  # one row per class: k rows of `per` samples
            return _picture(explore.samples(model, k * per, seed, explore.class_rows(per, k)), nrow=per)
        return _picture(explore.samples(model, n, seed, c), nrow=math.ceil(math.sqrt(n)))

    def walk(self, key, seed_a, seed_b, steps, mode, label=RANDOM, request: gr.Request = None):
        """The path between the noise of two seeds: a strip (one per class for a conditional model) and a GIF."""
        seed_a, seed_b = _seed(seed_a), _seed(seed_b)
        model, _ = resolve_model(self.ctx, key, request, kinds(view="studio"))
        if mode not in ("lerp", "slerp"):
            raise gr.Error(f"Interpolation must be 'lerp' or 'slerp', got {mode!r}.")
        steps, c = whole(steps, "Steps", 2, 32), _class(model, label)
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
        n, seed = _n(n), _seed(seed)
        out = []
        for key, group in ((vae_key, "vae"), (gan_key, "gan")):
            model, _ = resolve_model(self.ctx, key, request, kinds(view="studio", group=group))
            out.append(_picture(explore.samples(model, n, seed), nrow=math.ceil(math.sqrt(n)), target=420))
        return tuple(out)

    def _judged(self, key, n, seed, request) -> live_quality.Judgement:
        """The judgement of the model's n samples for a seed, or Unjudgeable."""
        n, seed = whole(n, "n", JUDGE_MIN, JUDGE_MAX), _seed(seed)
        model, src = resolve_model(self.ctx, key, request, kinds(view="studio"))
        problem = live_quality.unsupported(src.data)
        if problem:
            raise Unjudgeable(problem)
        return live_quality.judge(model, src.data, n, seed)

    def judge(self, key, seed, request: gr.Request = None, n=JUDGE_N) -> dict:
        """The button: the box shown, the scores as a table, the class histogram as bars, the memorisation
        picture; a warning when the model's data set has no classifier."""
        try:
            j = self._judged(key, n, seed, request)
        except Unjudgeable as e:
            gr.Warning(str(e))
            return {"box": gr.Column(visible=True), "table": f"**This model cannot be judged.** {e}", "histogram": "",
                    "nearest": None}
        r = j.report
        return {"box": gr.Column(visible=True), "table": markdown_table(r),
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
        if not model.conditional:
            return [("random classes", RANDOM), ("one row per class", ROWS)], RANDOM, False
        classes = explore.held_out(src.data).classes
        choices = [("random classes", RANDOM), ("one row per class", ROWS)]
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
    gr.Markdown("**A generator turns noise into images.** Each seed names one draw of the noise "
                "$z \\sim \\mathcal N(0, I)$: the same seed gives the same images, a new seed new ones. "
                f"Walk from one seed's $z$ to another's and watch the digits morph. {learn_link('gan')}",
                latex_delimiters=INLINE_MATH)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=340):
            with gr.Row():
                model = gr.Dropdown([], label="Model", allow_custom_value=True, elem_id="gan-model", scale=5)
                refresh = gr.Button("↻", size="sm", scale=0, min_width=44, elem_id="gan-refresh")
            cls = gr.Dropdown([("random classes", RANDOM), ("one row per class", ROWS)], value=ROWS, label="Class (CGAN / CVAE)",
                              allow_custom_value=True, visible=False, elem_id="gan-class")
            n = gr.Slider(N_MIN, N_MAX, value=64, step=1, label="Samples n", elem_id="gan-n")
            with gr.Row():
                seed = gr.Number(0, label="Seed", precision=0, minimum=0, maximum=MAX_SEED, elem_id="gan-seed", scale=3,
                                 min_width=100)
                dice = gr.Button("New seed", size="sm", scale=2, min_width=90, elem_id="gan-dice")
            with gr.Row():
                sample_btn = gr.Button("Sample", variant="primary", elem_id="gan-sample", min_width=100)
                judge_btn = gr.Button("Judge these samples", elem_id="gan-judge", min_width=100)
            gr.Markdown("#### Latent walk")
            with gr.Row():
                seed_a = gr.Number(1, label="From seed", precision=0, minimum=0, maximum=MAX_SEED, min_width=90,
                                   elem_id="gan-seed-a")
                seed_b = gr.Number(2, label="To seed", precision=0, minimum=0, maximum=MAX_SEED, min_width=90,
                                   elem_id="gan-seed-b")
            steps = gr.Slider(4, 16, value=10, step=1, label="Steps", elem_id="gan-steps")
            mode = gr.Radio([("lerp (straight line)", "lerp"), ("slerp (great circle)", "slerp")], value="slerp",
                            label="Path", elem_id="gan-mode")
            walk_btn = gr.Button("Walk", variant="primary", elem_id="gan-walk-btn")
        with gr.Column(scale=5, min_width=420):
            grid = gr.Image(label="Samples", format="png", interactive=False, height=500, elem_id="gan-grid",
                            elem_classes="crisp", buttons=["download", "fullscreen"])
            strip = gr.Image(label="Latent walk · lerp: a straight line · slerp: an arc keeping |z| where the prior has its mass",
                             format="png",
                             interactive=False, height=140, elem_id="gan-walk", elem_classes="crisp")
            gif = gr.DownloadButton("⬇ Download GIF", visible=False, size="sm", elem_id="gan-gif")
    with gr.Column(visible=False, elem_id="gan-judge-box") as judge_box:  # shown by the first judgement
        gr.Markdown(f"#### How good are they? {JUDGE_N} samples of the model for this seed, judged by a small classifier")
        judge_md = gr.Markdown(elem_id="gan-judge-table")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=340):
                gr.Markdown("**Samples per class** — red: under 5 %, a class the generator rarely draws")
                judge_hist = gr.HTML(elem_id="gan-judge-hist")
            with gr.Column(scale=1, min_width=340):
                pairs = gr.Image(label="Nearest training images", format="png", interactive=False, show_label=False,
                                 elem_id="gan-judge-pairs", elem_classes="crisp", buttons=["download"])
                gr.Markdown(MEMO_NOTE)
    with gr.Accordion("VAE and GAN side by side", open=True, elem_id="gan-compare-box"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=340):
                vae_model = gr.Dropdown([], label="VAE", allow_custom_value=True, elem_id="gan-vae-model")
                gan_model = gr.Dropdown([], label="GAN", allow_custom_value=True, elem_id="gan-gan-model")
                compare_btn = gr.Button("Compare (uses n and seed above)", elem_id="gan-compare")
                gr.Markdown(COMPARE_NOTE, latex_delimiters=INLINE_MATH)
            vae_img = gr.Image(label="VAE samples", format="png", interactive=False, height=340, elem_id="gan-vae-img",
                               elem_classes="crisp", scale=2)
            gan_img = gr.Image(label="GAN samples", format="png", interactive=False, height=340, elem_id="gan-gan-img",
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

    def everything(key, c, n_, s, sa, sb, st, md, vk, gk, request: gr.Request):
        options, c, visible = a.class_options(key, c, request)
        grid_ = a.sample(key, n_, s, c, request)
        walk_strip, walk_gif = a.walk(key, sa, sb, st, md, c, request)
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
        a.sample, [model, n, seed, cls], grid, **private, **FAST)

    gr.on([n.release, seed.submit, cls.input], a.sample, [model, n, seed, cls], grid, **private, **FAST)
    dice.click(lambda: int(np.random.randint(0, 100_000)), None, seed, **private).then(
        a.sample, [model, n, seed, cls], grid, **private, **FAST)
    gr.on([walk_btn.click, mode.input], a.walk, [model, seed_a, seed_b, steps, mode, cls], [strip, gif], **private,
          concurrency_limit=4)
    judged = dict(concurrency_limit=2, concurrency_id="judge")  # ~2 s of CPU each: two at a time for everyone
    gr.api(a.judge_api, api_name="judge", **judged)  # before the button's private event, which would take "judge"
    judgement = Outputs(box=judge_box, table=judge_md, histogram=judge_hist, nearest=pairs)
    judge_btn.click(judgement.wrap(a.judge), [model, seed], judgement.blocks, **private, **judged).then(
        None, js=SHOW_JUDGEMENT, **private)
    gr.on([compare_btn.click, vae_model.input, gan_model.input], a.compare, [vae_model, gan_model, n, seed],
          [vae_img, gan_img], **private, concurrency_limit=4)
    return a
