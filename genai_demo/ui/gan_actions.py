"""GAN studio's handlers: plain methods, testable without a browser (pass any object with a session_hash as
request), and the validation of their settings. The tab's layout and wiring are gan_tab.py; sampling and walking
genai_demo/explore/latent.py, the judging genai_demo/quality/.
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
from .common import resolve_model, whole, write_gif
from .context import UIContext
from .lang import L
from .messages import shown, warn
from .quality_view import histogram_html

DEFAULT_MODEL = "pretrained:gan_mnist5k"
N_MIN, N_MAX = 16, 100
MAX_SEED = 2**31 - 1
JUDGE_N, JUDGE_MIN, JUDGE_MAX = 500, 100, 2000  # samples judged (the Fréchet distance needs > 48; 500 take ~2 s)
RANDOM, ROWS = "random", "rows"  # class choices besides a single class number
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
            warn(str(e), self.ctx.lang(request))
            return {"box": gr.update(visible=True), "table": t("gan_unjudgeable", self.ctx.lang(request), why=e), "histogram": "",
                    "nearest": None}
        r = j.report
        return {"box": gr.update(visible=True), "table": markdown_table(r, self.ctx.lang(request)),
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
