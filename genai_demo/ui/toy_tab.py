"""The "2-D GAN" tab: GAN Lab's game (Kahng et al., VIS 2018) played live on this app's engine.

Each visitor gets one game (explore/toy_sessions.py → explore/toy_run.py), created lazily by the first poll or
button. The page draws everything itself (toy.js, in a <canvas>): a gr.Timer(POLL_S) tick asks `poll` for the
latest frame, sending back which game, step and frame the page already has, so an unchanged game costs a
skipped event and a changed one about 9 KB of numbers; a js= step then paints it. The tab holds no torch maths.

Lesson links: ``?tab=toy&preset=NAME`` opens this tab with that preset loaded (``lesson_link`` in app.py's demo.load).
Every visible English word of the tab is in TEXTS (and toy.js reads its own through a data attribute).
"""
from __future__ import annotations

import json
from pathlib import Path

import gradio as gr

from ..explore.toy_data import DISTRIBUTIONS, make_data
from ..explore.toy_gan import ToyConfig
from ..explore.toy_presets import DEFAULT_PRESET, PRESETS, preset
from ..explore.toy_sessions import MAX_STEPS
from .common import INLINE_MATH, glossary_box, whole
from .context import UIContext
from .learn_tab import learn_link
from .messages import visitor_message
from .toy_view import TEXTS, view_html

POLL_S = 0.125  # the page asks 8 times a second: a game publishes 8 frames/s, so every frame is painted
TAB_LABEL = "2-D GAN"  # app.py finds the tab by it (the HEAD script and the timer switch)
JS_FILE = Path(__file__).with_name("toy.js")  # read when the tab is built, not at import
KEY_JS = """(...a) => { const S = window.__genaiToy; a[0] = JSON.stringify(S ? {game: S.game, since: S.since, key: S.key} : {});
  return a; }"""
POINTS_JS = """(...a) => { const S = window.__genaiToy; a[0] = JSON.stringify(S ? S.drawn : []);
  if (S && S.setDraw && a[2] === 'custom' && S.drawn.length >= 3) S.setDraw(false); return a; }"""
DRAW_MODE_JS = "(d) => { const S = window.__genaiToy; if (S && S.setDraw) S.setDraw(d === 'custom'); return []; }"
SETTINGS = ("preset", "dist", "seed", "steps", "lr_d", "lr_g", "optimizer", "loss", "d_steps", "g_steps", "noise_dim")


def _v(*values) -> dict:
    """The controls' values, in SETTINGS order, as a dict."""
    return dict(zip(SETTINGS, values, strict=True))


def _points(text) -> list | None:
    """The page's drawing (a JSON list of [x, y]) → a list; toy_data.check_points judges its contents."""
    try:
        pts = json.loads(text) if isinstance(text, str) and len(text) < 100_000 else None
    except ValueError:
        pts = None
    if pts is not None and not isinstance(pts, list):
        raise gr.Error(TEXTS["bad_points"])
    return pts


LIVE = ("lr_d", "lr_g", "optimizer", "loss", "d_steps", "g_steps")  # what configure() may change during a game


class ToyActions:
    """The tab's handlers: plain methods taking the controls' values (tests call them without a page)."""

    def __init__(self, ctx: UIContext):
        self.ctx = ctx

    # ---- games ---------------------------------------------------------------------------------------------
    def _config(self, v: dict) -> tuple[ToyConfig, int]:
        seed = whole(v["seed"], "The seed", 0, 2**31 - 1)
        steps = whole(v["steps"], "The last step", 1, MAX_STEPS)
        try:
            return ToyConfig(seed=seed, **{k: v[k] for k in (*LIVE, "noise_dim")}), steps
        except ValueError as e:
            raise gr.Error(visitor_message(e)) from None

    def reset(self, points, v: dict, request: gr.Request = None, if_absent: bool = False):
        """A new game from the controls `v` (SETTINGS → value); the data may be the visitor's drawing (JSON pairs)."""
        cfg, steps = self._config(v)
        dist = v["dist"]
        if not isinstance(dist, str) or dist not in (*DISTRIBUTIONS, "custom"):
            raise gr.Error(TEXTS["bad_data"])
        pts = _points(points) if dist == "custom" else None
        if dist == "custom" and not pts:
            raise gr.Error(TEXTS["no_points"])
        try:
            data = make_data(dist, pts)
        except ValueError as e:
            raise gr.Error(visitor_message(e)) from None
        named = v["preset"] if str(v["preset"]) in PRESETS and dist == PRESETS[v["preset"]].dist else None
        self._new(request, cfg, data, steps, named, if_absent)

    def _new(self, request, cfg, data, steps, name=None, if_absent=False):
        try:
            return self.ctx.toys.new(self.ctx.session(request), cfg, data, steps, name, if_absent)
        except ValueError as e:
            raise gr.Error(visitor_message(e)) from None

    def load_preset(self, name, seed=None, request: gr.Request = None, if_absent: bool = False):
        """A preset's game (with its own seed unless `seed` is given), and the controls set to its values."""
        try:
            cfg, data, steps = preset(str(name), None if seed in (None, "") else whole(seed, "The seed", 0, 2**31 - 1))
        except ValueError as e:
            raise gr.Error(visitor_message(e)) from None
        self._new(request, cfg, data, steps, name, if_absent)
        return [data.name, cfg.seed, steps, cfg.lr_d, cfg.lr_g, cfg.optimizer, cfg.loss, cfg.d_steps, cfg.g_steps, cfg.noise_dim]

    def game(self, request, v: dict | None = None):
        """The visitor's game; created from the controls `v` (or the default preset) when there is none."""
        g = self.ctx.toys.get(self.ctx.session(request))
        if g is None:
            if not v or v.get("dist") == "custom":
                self.load_preset(DEFAULT_PRESET, request=request, if_absent=True)
            else:
                self.reset("[]", v, request=request, if_absent=True)  # a button's game made meanwhile wins
            g = self.ctx.toys.get(self.ctx.session(request))
        return g

    # ---- time ----------------------------------------------------------------------------------------------
    def play(self, v: dict | None = None, request: gr.Request = None):
        g = self.game(request, v)
        g.viewing = None
        g.run.play()
        return 100

    def pause(self, v: dict | None = None, request: gr.Request = None):
        self.game(request, v).run.pause()

    def step(self, kind: str, v: dict | None = None, request: gr.Request = None):
        g = self.game(request, v)
        g.viewing = None
        try:
            g.run.step(kind)
        except ValueError as e:
            raise gr.Error(visitor_message(e)) from None
        return 100

    def configure(self, v: dict, request: gr.Request = None):
        """A player's setting changed (`v`: the LIVE settings): applied to the live game between steps."""
        v = {k: v[k] for k in LIVE}
        g = self.ctx.toys.get(self.ctx.session(request))
        try:
            ToyConfig(**v)  # the same one-sentence checks as a reset
            if g is not None:
                g.run.configure(**v)
        except (ValueError, TypeError) as e:
            raise gr.Error(visitor_message(e)) from None

    def scrub(self, percent, request: gr.Request = None):
        """Show a kept frame: 0 = the first, 100 = the latest (pauses the game)."""
        g = self.ctx.toys.get(self.ctx.session(request))
        if g is None or not g.run.timeline():
            raise gr.Error(TEXTS["nothing"])
        if isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 <= percent <= 100:
            raise gr.Error(TEXTS["replay_range"])
        g.run.pause()
        n = len(g.run.timeline())
        g.viewing = round(percent / 100 * (n - 1))

    # ---- the page's poll ---------------------------------------------------------------------------------
    def poll(self, have, v: dict | None = None, request: gr.Request = None):
        """The payload toy.js draws, or gr.skip() when the page already shows this exact frame. Never raises:
        a problem becomes the payload's one-sentence message."""
        try:
            g = self.game(request, v)
        except gr.Error as e:
            return json.dumps({"message": visitor_message(e.message)})
        except (TypeError, ValueError, KeyError):  # values no page sends (a hand-made call): say so once per tick
            return json.dumps({"message": TEXTS["bad_values"]})
        try:
            have = json.loads(have) if isinstance(have, str) and len(have) < 1000 else {}
            have = have if isinstance(have, dict) else {}
        except ValueError:
            have = {}
        same_game = have.get("game") == g.number
        f = g.run.frame(since=have.get("since") if same_game else None)
        key = f"{g.number}:{f['step']}:{f['state']}:{f['d_updates']}:{f['g_updates']}:{g.viewing}:{f['grad']:.6g}:{f['error']}"
        if same_game and have.get("key") == key:
            return gr.skip()
        out = {"game": g.number, "key": key, "frame": f, "scene": None if same_game else g.run.scene(),
               "shows": PRESETS[g.preset].shows if g.preset else ""}
        if g.viewing is not None:
            steps = g.run.timeline()
            i = min(g.viewing, len(steps) - 1)
            out["view"], out["replay"] = g.run.replay(i), {"i": i, "n": len(steps), "step": steps[i]}
        return json.dumps(out, separators=(",", ":"))


def forget(ctx: UIContext, session: str) -> None:
    """The visitor left: stop and free their game."""
    ctx.toys.forget(session)


class ToyTab:
    """What build() made that app.py wires further: the timer (on only while the tab shows) and the preset picker."""

    def __init__(self, actions: ToyActions, timer: gr.Timer, preset: gr.Dropdown):
        self.actions, self.timer, self.preset = actions, timer, preset


def build(ctx: UIContext, tab: gr.Tab | None = None) -> ToyTab:
    a, t = ToyActions(ctx), TEXTS
    gr.Markdown(f"{t['intro']} {learn_link('toy')}", latex_delimiters=INLINE_MATH)
    glossary_box(ctx, ["generator", "discriminator", "minimax", "non_saturating", "js", "mode_coverage", "mode_collapse", "ema"])
    with gr.Row(equal_height=True, elem_id="toy-buttons"):
        play = gr.Button(t["play"], variant="primary", elem_id="toy-play", min_width=80)
        pause = gr.Button(t["pause"], elem_id="toy-pause", min_width=80)
        step_d = gr.Button(t["step_d"], elem_id="toy-step-d", min_width=80)
        step_g = gr.Button(t["step_g"], elem_id="toy-step-g", min_width=80)
        step_both = gr.Button(t["step_both"], elem_id="toy-step-both", min_width=80)
        reset = gr.Button(t["reset"], elem_id="toy-reset", min_width=80)
    with gr.Row():
        preset_dd = gr.Dropdown([(t["presets"][k], k) for k in PRESETS], value=DEFAULT_PRESET, label=t["preset"],
                                elem_id="toy-preset")
        dist = gr.Dropdown([(t["dists"][k], k) for k in DISTRIBUTIONS] + [(t["custom"], "custom")], value="ring8",
                           label=t["data"], elem_id="toy-data")
        seed = gr.Number(0, label=t["seed"], precision=0, minimum=0, elem_id="toy-seed", min_width=80)
        steps = gr.Number(PRESETS[DEFAULT_PRESET].steps, label=t["steps"], precision=0, minimum=1, maximum=MAX_STEPS,
                          elem_id="toy-steps", min_width=80)
    gr.HTML(view_html(), elem_id="toy-panel", padding=False)
    replay = gr.Slider(0, 100, value=100, step=1, label=t["replay"], elem_id="toy-replay")
    cfg = ToyConfig()
    with gr.Accordion(t["settings"], open=True):
        with gr.Row():
            lr_d = gr.Number(cfg.lr_d, label=t["lr_d"], minimum=0, maximum=1, elem_id="toy-lr-d", min_width=90)
            lr_g = gr.Number(cfg.lr_g, label=t["lr_g"], minimum=0, maximum=1, elem_id="toy-lr-g", min_width=90)
            opt = gr.Dropdown([(t["adam"], "adam"), (t["sgd"], "sgd")], value=cfg.optimizer, label=t["optimizer"],
                              elem_id="toy-optimizer", min_width=90)
            loss = gr.Dropdown([(t["loss_nonsat"], "nonsat"), (t["loss_minimax"], "minimax")], value=cfg.loss,
                               label=t["loss"], elem_id="toy-loss", min_width=160)
        with gr.Row():
            d_steps = gr.Slider(1, 10, value=cfg.d_steps, step=1, label=t["d_steps"], elem_id="toy-d-steps")
            g_steps = gr.Slider(1, 10, value=cfg.g_steps, step=1, label=t["g_steps"], elem_id="toy-g-steps")
            noise = gr.Slider(1, 8, value=cfg.noise_dim, step=1, label=t["noise_dim"], elem_id="toy-noise-dim")
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
    def on_tick(have, pr, di, se, st, ld, lg, op, lo, ds, gs, nz, request: gr.Request):
        return a.poll(have, _v(pr, di, se, st, ld, lg, op, lo, ds, gs, nz), request)

    def on_play(pr, di, se, st, ld, lg, op, lo, ds, gs, nz, request: gr.Request):
        return a.play(_v(pr, di, se, st, ld, lg, op, lo, ds, gs, nz), request)

    def on_pause(pr, di, se, st, ld, lg, op, lo, ds, gs, nz, request: gr.Request):
        a.pause(_v(pr, di, se, st, ld, lg, op, lo, ds, gs, nz), request)

    def stepper(kind):
        def on_step(pr, di, se, st, ld, lg, op, lo, ds, gs, nz, request: gr.Request):
            return a.step(kind, _v(pr, di, se, st, ld, lg, op, lo, ds, gs, nz), request)
        return on_step

    def on_reset(p, pr, di, se, st, ld, lg, op, lo, ds, gs, nz, request: gr.Request):
        a.reset(p, _v(pr, di, se, st, ld, lg, op, lo, ds, gs, nz), request)
        return 100

    def on_data(p, pr, di, se, st, ld, lg, op, lo, ds, gs, nz, request: gr.Request):
        """New data: a new game, except "Draw your own" before any drawing, which pauses the game while the visitor draws."""
        if di == "custom" and len(_points(p) or []) < 3:
            g = ctx.toys.get(ctx.session(request))
            if g is not None:
                g.run.pause()
            return 100
        return on_reset(p, pr, di, se, st, ld, lg, op, lo, ds, gs, nz, request)

    def on_preset(name, request: gr.Request):
        return a.load_preset(name, request=request)

    def on_configure(ld, lg, op, lo, ds, gs, request: gr.Request):
        a.configure(dict(zip(LIVE, (ld, lg, op, lo, ds, gs), strict=True)), request)

    def on_scrub(p, request: gr.Request):
        a.scrub(p, request=request)

    timer.tick(on_tick, [have, *controls], frame, js=KEY_JS, concurrency_limit=None, queue=False, **quick).then(**paint)
    if tab is not None:
        tab.select(**paint)  # the canvas gets its size once shown
    busy = {"concurrency_limit": 8, **quick}  # a button creates at most one small game: cheap
    play.click(on_play, controls, replay, **busy)
    pause.click(on_pause, controls, None, **busy)
    for btn, kind in ((step_d, "d"), (step_g, "g"), (step_both, "both")):
        btn.click(stepper(kind), controls, replay, **busy)
    reset.click(on_reset, [points, *controls], replay, js=POINTS_JS, **busy)
    preset_dd.change(on_preset, preset_dd, [dist, seed, steps, lr_d, lr_g, opt, loss, d_steps, g_steps, noise], **busy).then(
        None, js="() => { window.__genaiToy?.setDraw?.(false); return []; }", queue=False, **quick)  # a preset ends drawing
    dist.input(None, dist, None, js=DRAW_MODE_JS, queue=False, **quick)
    dist.input(on_data, [points, *controls], replay, js=POINTS_JS, **busy)
    noise.release(on_reset, [points, *controls], replay, js=POINTS_JS, **busy)
    gr.on([c.input for c in (opt, loss)] + [c.release for c in (d_steps, g_steps)] + [c.submit for c in (lr_d, lr_g)],
          on_configure, live, None, trigger_mode="always_last", **busy)
    gr.on([lr_d.blur, lr_g.blur], on_configure, live, None, trigger_mode="always_last", **busy)
    replay.release(on_scrub, replay, None, **busy)
    return ToyTab(a, timer, preset_dd)
