"""The 2-D GAN tab's handlers (ui/toy_tab.py lays the tab out and wires them): plain methods taking the controls'
values, so tests call them without a page. Every sentence they give a visitor is in the visitor's language: the
catalogue's toy_* keys (genai_demo/i18n/<lang>/toy.json); explore/'s refusals carry their key (ToyError)."""
from __future__ import annotations

import json

import gradio as gr

from ..explore.toy_data import DISTRIBUTIONS, make_data
from ..explore.toy_gan import ToyConfig
from ..explore.toy_metrics import collapse_message
from ..explore.toy_presets import DEFAULT_PRESET, PRESETS, preset
from ..explore.toy_sessions import MAX_STEPS
from ..i18n import t
from .common import whole
from .context import UIContext
from .messages import told, visitor_message

SETTINGS = ("preset", "dist", "seed", "steps", "lr_d", "lr_g", "optimizer", "loss", "d_steps", "g_steps", "noise_dim")


def _v(*values) -> dict:
    """The controls' values, in SETTINGS order, as a dict."""
    return dict(zip(SETTINGS, values, strict=True))


def said(e: Exception, lang: str) -> str:
    """A game's refusal in `lang`: explore's ToyError / ToyDiverged carry a catalogue key; anything else is shown
    as its one scrubbed sentence."""
    return told(e, lang) if getattr(e, "key", None) else visitor_message(e)


def _points(text, lang: str = "en") -> list | None:
    """The page's drawing (a JSON list of [x, y]) → a list; toy_data.check_points judges its contents."""
    try:
        pts = json.loads(text) if isinstance(text, str) and len(text) < 100_000 else None
    except ValueError:
        pts = None
    if pts is not None and not isinstance(pts, list):
        raise gr.Error(t("toy_err_bad_points", lang))
    return pts


LIVE = ("lr_d", "lr_g", "optimizer", "loss", "d_steps", "g_steps")  # what configure() may change during a game


class ToyActions:
    """The tab's handlers: plain methods taking the controls' values (tests call them without a page)."""

    def __init__(self, ctx: UIContext):
        self.ctx = ctx

    # ---- games ---------------------------------------------------------------------------------------------
    def _config(self, v: dict, lang: str) -> tuple[ToyConfig, int]:
        seed = whole(v["seed"], t("toy_what_seed", lang), 0, 2**31 - 1, lang)
        steps = whole(v["steps"], t("toy_what_steps", lang), 1, MAX_STEPS, lang)
        try:
            return ToyConfig(seed=seed, **{k: v[k] for k in (*LIVE, "noise_dim")}), steps
        except ValueError as e:
            raise gr.Error(said(e, lang)) from None

    def reset(self, points, v: dict, request: gr.Request = None, if_absent: bool = False):
        """A new game from the controls `v` (SETTINGS → value); the data may be the visitor's drawing (JSON pairs)."""
        lang = self.ctx.lang(request)
        cfg, steps = self._config(v, lang)
        dist = v["dist"]
        if not isinstance(dist, str) or dist not in (*DISTRIBUTIONS, "custom"):
            raise gr.Error(t("toy_err_bad_data", lang))
        pts = _points(points, lang) if dist == "custom" else None
        if dist == "custom" and not pts:
            raise gr.Error(t("toy_err_no_points", lang))
        try:
            data = make_data(dist, pts)
        except ValueError as e:
            raise gr.Error(said(e, lang)) from None
        named = v["preset"] if str(v["preset"]) in PRESETS and dist == PRESETS[v["preset"]].dist else None
        self._new(request, cfg, data, steps, named, if_absent)

    def _new(self, request, cfg, data, steps, name=None, if_absent=False):
        try:
            return self.ctx.toys.new(self.ctx.session(request), cfg, data, steps, name, if_absent)
        except ValueError as e:
            raise gr.Error(said(e, self.ctx.lang(request))) from None

    def load_preset(self, name, seed=None, request: gr.Request = None, if_absent: bool = False):
        """A preset's game (with its own seed unless `seed` is given), and the controls set to its values."""
        lang = self.ctx.lang(request)
        try:
            cfg, data, steps = preset(str(name), None if seed in (None, "") else
                                      whole(seed, t("toy_what_seed", lang), 0, 2**31 - 1, lang))
        except ValueError as e:
            raise gr.Error(said(e, lang)) from None
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

    def hold(self, request: gr.Request = None) -> None:
        """Pause the visitor's game while they draw, if they have one (never makes one)."""
        g = self.ctx.toys.get(self.ctx.session(request))
        if g is not None:
            g.run.pause()

    def step(self, kind: str, v: dict | None = None, request: gr.Request = None):
        g = self.game(request, v)
        g.viewing = None
        try:
            g.run.step(kind)
        except ValueError as e:
            raise gr.Error(said(e, self.ctx.lang(request))) from None
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
            raise gr.Error(said(e, self.ctx.lang(request))) from None

    def scrub(self, percent, request: gr.Request = None):
        """Show a kept frame: 0 = the first, 100 = the latest (pauses the game)."""
        g = self.ctx.toys.get(self.ctx.session(request))
        if g is None or not g.run.timeline():
            raise gr.Error(t("toy_err_nothing", self.ctx.lang(request)))
        if isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 <= percent <= 100:
            raise gr.Error(t("toy_err_replay_range", self.ctx.lang(request)))
        g.run.pause()
        n = len(g.run.timeline())
        g.viewing = round(percent / 100 * (n - 1))

    # ---- the page's poll ---------------------------------------------------------------------------------
    def playing(self, request: gr.Request = None) -> bool:
        """Whether the visitor's game plays now (its poll stays fast between two frames)."""
        g = self.ctx.toys.get(self.ctx.session(request))
        return g is not None and g.run.state == "playing"

    def poll(self, have, v: dict | None = None, request: gr.Request = None):
        """The payload toy.js draws, or gr.skip() when the page already shows this exact frame. Never raises:
        a problem becomes the payload's one-sentence message. Its sentences are in the visitor's language, which is
        part of the frame's key: after an EN | 中文 switch the next tick re-sends them."""
        lang = self.ctx.lang(request)
        try:
            g = self.game(request, v)
        except gr.Error as e:
            return json.dumps({"message": visitor_message(e.message)})
        except (TypeError, ValueError, KeyError):  # values no page sends (a hand-made call): say so once per tick
            return json.dumps({"message": t("toy_err_bad_values", lang)})
        try:
            have = json.loads(have) if isinstance(have, str) and len(have) < 1000 else {}
            have = have if isinstance(have, dict) else {}
        except ValueError:
            have = {}
        same_game = have.get("game") == g.number
        f = g.run.frame(since=have.get("since") if same_game else None)
        key = f"{g.number}:{f['step']}:{f['state']}:{f['d_updates']}:{f['g_updates']}:{g.viewing}:{f['grad']:.6g}:{f['error']}:{lang}"
        if same_game and have.get("key") == key:
            return gr.skip()
        f["collapse"] = collapse_message(f["events"], lang)
        f["error"] = t(f["error_key"], lang) if f.get("error_key") else f["error"]
        out = {"game": g.number, "key": key, "frame": f, "scene": None if same_game else g.run.scene(),
               "shows": PRESETS[g.preset].shows(lang) if g.preset else ""}
        if g.viewing is not None:
            steps = g.run.timeline()
            i = min(g.viewing, len(steps) - 1)
            out["view"], out["replay"] = g.run.replay(i), {"i": i, "n": len(steps), "step": steps[i]}
        return json.dumps(out, separators=(",", ":"))
