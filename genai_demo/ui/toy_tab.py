"""The "2-D GAN" tab: GAN Lab's game (Kahng et al., VIS 2018) played live on this app's engine.

Each visitor gets one game (explore/toy_sessions.py → explore/toy_run.py), created lazily by the first poll or
button. The page draws everything itself (toy.js, in a <canvas>): a gr.Timer(POLL_S) tick asks `poll` for the
latest frame, sending back which game, step and frame the page already has, so an unchanged game costs a
skipped event and a changed one about 9 KB of numbers; a js= step then paints it. The tab holds no torch maths.

Lesson links: ``?tab=toy&preset=NAME`` opens this tab with that preset loaded (``lesson_link`` in app.py's demo.load).
Every visible word comes from the catalogues (genai_demo/i18n/<lang>/toy.json): labels as L(key), translated in the
browser; what Python writes (intro, the canvas panel, the poll's sentences, errors) in the visitor's language, re-sent
by the EN | 中文 switch; toy.js reads its own words from the panel's data-texts.
"""
from __future__ import annotations

from pathlib import Path

import gradio as gr

from ..explore.toy_data import DISTRIBUTIONS
from ..explore.toy_gan import ToyConfig
from ..explore.toy_presets import DEFAULT_PRESET, PRESETS
from ..explore.toy_sessions import MAX_STEPS
from ..i18n import t
from .common import INLINE_MATH, glossary_box, paced
from .context import UIContext
from .lang import L
from .learn_tab import learn_link
from .toy_actions import LIVE, SETTINGS, ToyActions, _points, _v
from .toy_view import view_html

__all__ = ["SETTINGS", "ToyActions", "ToyTab", "build", "forget"]

# the page asks 8 times a second while its picture changes (a game publishes 8 frames/s, so every frame is painted),
# once a second on a still game (paused, finished): each event costs the page time (ui/app.py spare_the_page)
POLL_S, STILL_POLL_S = 0.125, 1.0
JS_FILE = Path(__file__).with_name("toy.js")  # read when the tab is built, not at import
KEY_JS = """(...a) => { const S = window.__genaiToy; a[0] = JSON.stringify(S ? {game: S.game, since: S.since, key: S.key} : {});
  return a; }"""
POINTS_JS = """(...a) => { const S = window.__genaiToy; a[0] = JSON.stringify(S ? S.drawn : []);
  if (S && S.setDraw && a[2] === 'custom' && S.drawn.length >= 3) S.setDraw(false); return a; }"""
DRAW_MODE_JS = "(d) => { const S = window.__genaiToy; if (S && S.setDraw) S.setDraw(d === 'custom'); return []; }"


def forget(ctx: UIContext, session: str) -> None:
    """The visitor left: stop and free their game."""
    ctx.toys.forget(session)


class ToyTab:
    """What build() made that app.py wires further: the timer (on only while the tab shows) and the preset picker."""

    def __init__(self, actions: ToyActions, timer: gr.Timer, preset: gr.Dropdown):
        self.actions, self.timer, self.preset = actions, timer, preset


def intro_md(lang: str) -> str:
    return f"{t('toy_intro', lang)} {learn_link('toy', lang)}"


def build(ctx: UIContext, tab: gr.Tab | None = None) -> ToyTab:
    a = ToyActions(ctx)
    ctx.translated(gr.Markdown(intro_md("en"), latex_delimiters=INLINE_MATH, elem_id="toy-intro"), intro_md)
    glossary_box(ctx, ["generator", "discriminator", "minimax", "non_saturating", "js", "mode_coverage", "mode_collapse", "ema"])
    with gr.Row(equal_height=True, elem_id="toy-buttons"):
        play = gr.Button(L("toy_play"), variant="primary", elem_id="toy-play", min_width=80)
        pause = gr.Button(L("toy_pause"), elem_id="toy-pause", min_width=80)
        step_d = gr.Button(L("toy_step_d"), elem_id="toy-step-d", min_width=80)
        step_g = gr.Button(L("toy_step_g"), elem_id="toy-step-g", min_width=80)
        step_both = gr.Button(L("toy_step_both"), elem_id="toy-step-both", min_width=80)
        reset = gr.Button(L("toy_reset"), elem_id="toy-reset", min_width=80)
    with gr.Row():
        preset_dd = gr.Dropdown([(L(f"toy_preset_{k}"), k) for k in PRESETS], value=DEFAULT_PRESET, label=L("toy_preset"),
                                elem_id="toy-preset")
        dist = gr.Dropdown([(L(f"toy_dist_{k}"), k) for k in DISTRIBUTIONS] + [(L("toy_custom"), "custom")], value="ring8",
                           label=L("toy_data"), elem_id="toy-data")
        seed = gr.Number(0, label=L("toy_seed"), precision=0, minimum=0, elem_id="toy-seed", min_width=80)
        steps = gr.Number(PRESETS[DEFAULT_PRESET].steps, label=L("toy_steps"), precision=0, minimum=1, maximum=MAX_STEPS,
                          elem_id="toy-steps", min_width=80)
    ctx.translated(gr.HTML(view_html("en"), elem_id="toy-panel", padding=False), view_html)
    replay = gr.Slider(0, 100, value=100, step=1, label=L("toy_replay"), elem_id="toy-replay")
    cfg = ToyConfig()
    with gr.Accordion(L("toy_settings"), open=True):
        with gr.Row():
            lr_d = gr.Number(cfg.lr_d, label=L("toy_lr_d"), minimum=0, maximum=1, elem_id="toy-lr-d", min_width=90)
            lr_g = gr.Number(cfg.lr_g, label=L("toy_lr_g"), minimum=0, maximum=1, elem_id="toy-lr-g", min_width=90)
            # optimisers keep the names PyTorch and the papers give them
            opt = gr.Dropdown([("Adam", "adam"), ("SGD", "sgd")], value=cfg.optimizer, label=L("toy_optimizer"),
                              elem_id="toy-optimizer", min_width=90)
            loss = gr.Dropdown([(L("toy_loss_nonsat"), "nonsat"), (L("toy_loss_minimax"), "minimax")], value=cfg.loss,
                               label=L("toy_loss"), elem_id="toy-loss", min_width=160)
        with gr.Row():
            d_steps = gr.Slider(1, 10, value=cfg.d_steps, step=1, label=L("toy_d_steps"), elem_id="toy-d-steps")
            g_steps = gr.Slider(1, 10, value=cfg.g_steps, step=1, label=L("toy_g_steps"), elem_id="toy-g-steps")
            noise = gr.Slider(1, 8, value=cfg.noise_dim, step=1, label=L("toy_noise_dim"), elem_id="toy-noise-dim")
    points = gr.Textbox(visible=False)  # the page's drawing, filled in by POINTS_JS on reset
    have = gr.Textbox(visible=False)  # what the page already shows, filled in by KEY_JS on each tick
    frame = gr.Textbox(visible=False)  # the poll's payload for toy.js
    controls = [preset_dd, dist, seed, steps, lr_d, lr_g, opt, loss, d_steps, g_steps, noise]
    live = [lr_d, lr_g, opt, loss, d_steps, g_steps]

    quick = {"show_progress": "hidden", "api_visibility": "private"}
    paint = dict(fn=None, inputs=[frame], outputs=None, js=JS_FILE.read_text(), queue=False, **quick)
    timer = gr.Timer(POLL_S, active=tab is None)
    # the tick: only reads a published frame (or skips); no concurrency limit, no queue round trip

    # Gradio hands gr.Request only to a parameter annotated so, never through *args: hence the spelled-out defs
    def on_tick(have, pr, di, se, st, ld, lg, op, lo, ds, gs, nz, pace, request: gr.Request):
        out = a.poll(have, _v(pr, di, se, st, ld, lg, op, lo, ds, gs, nz), request)
        # fast while the game plays (a tick between two of its frames finds nothing new: not a reason to slow down)
        # or the picture changed (a str: a new frame)
        return paced({frame: out}, isinstance(out, str) or a.playing(request), pace, POLL_S, STILL_POLL_S, timer=timer)

    def quick_poll(value=None):
        """A button's answer plus the poll back at full speed: what it changed shows at once."""
        return value, gr.Timer(value=POLL_S)

    def on_play(pr, di, se, st, ld, lg, op, lo, ds, gs, nz, request: gr.Request):
        return quick_poll(a.play(_v(pr, di, se, st, ld, lg, op, lo, ds, gs, nz), request))

    def on_pause(pr, di, se, st, ld, lg, op, lo, ds, gs, nz, request: gr.Request):
        a.pause(_v(pr, di, se, st, ld, lg, op, lo, ds, gs, nz), request)

    def stepper(kind):
        def on_step(pr, di, se, st, ld, lg, op, lo, ds, gs, nz, request: gr.Request):
            return quick_poll(a.step(kind, _v(pr, di, se, st, ld, lg, op, lo, ds, gs, nz), request))
        return on_step

    def on_reset(p, pr, di, se, st, ld, lg, op, lo, ds, gs, nz, request: gr.Request):
        a.reset(p, _v(pr, di, se, st, ld, lg, op, lo, ds, gs, nz), request)
        return quick_poll(100)

    def on_data(p, pr, di, se, st, ld, lg, op, lo, ds, gs, nz, request: gr.Request):
        """New data: a new game, except "Draw your own" before any drawing, which pauses the game while the visitor draws."""
        if di == "custom" and len(_points(p, ctx.lang(request)) or []) < 3:
            a.hold(request)
            return quick_poll(100)
        return on_reset(p, pr, di, se, st, ld, lg, op, lo, ds, gs, nz, request)

    def on_preset(name, request: gr.Request):
        return a.load_preset(name, request=request)

    def on_configure(ld, lg, op, lo, ds, gs, request: gr.Request):
        a.configure(dict(zip(LIVE, (ld, lg, op, lo, ds, gs), strict=True)), request)

    def on_scrub(p, request: gr.Request):
        a.scrub(p, request=request)
        return quick_poll()[1]

    timer.tick(on_tick, [have, *controls, timer], [frame, timer], js=KEY_JS, concurrency_limit=None, queue=False,
               **quick).then(**paint)
    if tab is not None:
        tab.select(**paint)  # the canvas gets its size once shown
    busy = {"concurrency_limit": 8, **quick}  # a button creates at most one small game: cheap
    play.click(on_play, controls, [replay, timer], **busy)
    pause.click(on_pause, controls, None, **busy)
    for btn, kind in ((step_d, "d"), (step_g, "g"), (step_both, "both")):
        btn.click(stepper(kind), controls, [replay, timer], **busy)
    reset.click(on_reset, [points, *controls], [replay, timer], js=POINTS_JS, **busy)
    preset_dd.change(on_preset, preset_dd, [dist, seed, steps, lr_d, lr_g, opt, loss, d_steps, g_steps, noise], **busy).then(
        None, js="() => { window.__genaiToy?.setDraw?.(false); return []; }", queue=False, **quick)  # a preset ends drawing
    dist.input(None, dist, None, js=DRAW_MODE_JS, queue=False, **quick)
    dist.input(on_data, [points, *controls], [replay, timer], js=POINTS_JS, **busy)
    noise.release(on_reset, [points, *controls], [replay, timer], js=POINTS_JS, **busy)
    gr.on([c.input for c in (opt, loss)] + [c.release for c in (d_steps, g_steps)] + [c.submit for c in (lr_d, lr_g)],
          on_configure, live, None, trigger_mode="always_last", **busy)
    gr.on([lr_d.blur, lr_g.blur], on_configure, live, None, trigger_mode="always_last", **busy)
    replay.release(on_scrub, replay, timer, **busy)
    return ToyTab(a, timer, preset_dd)
