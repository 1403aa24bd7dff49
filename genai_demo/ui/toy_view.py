"""What the 2-D GAN tab shows around its canvas: every visible word (TEXTS, one place for the translators), the
HTML the page's toy.js draws into, and its CSS. The colours are toy_views.REAL_RGB / FAKE_RGB (green / purple)."""
from __future__ import annotations

import html
import json

from ..explore.toy_views import FAKE_RGB, REAL_RGB

TEXTS = {
    "intro": "### The GAN game in two dimensions\nReal points (green) and G's fake points (purple) on a plane. "
             "The background is D's opinion of every point, **green = real, purple = fake**; each arrow shows where "
             "G's next update pushes that fake point (up D's slope towards \"real\"); the faint purple mesh is a grid "
             "of noise z as G maps it. Step **D** alone to see its map change, then **G** alone to see the points follow.",
    "play": "▶ Play", "pause": "❚❚ Pause", "step_d": "Step D", "step_g": "Step G", "step_both": "Step both",
    "reset": "↺ Reset", "preset": "Preset", "data": "Data", "seed": "Seed", "steps": "Stop at step",
    "lr_d": "D learning rate", "lr_g": "G learning rate", "optimizer": "Optimiser", "loss": "G's loss",
    "d_steps": "D steps per round", "g_steps": "G steps per round", "noise_dim": "Noise dimension (applies at reset)",
    "replay": "Replay: 0 = first kept frame, 100 = latest", "settings": "Players and time", "custom": "✏ Draw your own",
    "loss_nonsat": "non-saturating: −log D(G(z))", "loss_minimax": "minimax: log(1 − D(G(z)))",
    "adam": "Adam", "sgd": "SGD",
    "dists": {"ring8": "Ring of 8 Gaussians", "grid25": "5 × 5 grid of Gaussians", "moons": "Two moons",
              "spiral": "Spiral", "line": "Line"},
    "presets": {"healthy": "Healthy: all 8 modes", "collapse": "Mode collapse", "oscillation": "Oscillation",
                "minimax": "Minimax stalls"},
    "no_points": "Draw at least 3 points on the plane first (choose “Draw your own”, then click or drag).",
    "nothing": "There is nothing to replay yet: play or step first.",
    "bad_points": "Points must be a list of (x, y) pairs.",
    "bad_data": "Choose the data from the list: ring8, grid25, moons, spiral, line or your own drawing.",
    "bad_values": "These settings cannot make a game: reload the page.",
    "replay_range": "The replay position must be between 0 and 100.",
    # the words inside the canvas panel (HTML below) and those toy.js draws
    "legend": ("real", "fake", "D(x): fake → real"), "layers": {"heat": "D's map", "real": "real", "fake": "fake",
                                                                "arrows": "G's gradient", "manifold": "G's grid"},
    "clear": "✏ clear drawing",
    "stats": {"step": "step", "modes": "modes covered", "js": "JS divergence", "bits": "bits", "grad": "mean |arrow|",
              "ld": "D loss", "lg": "G loss"},
    "js": {"points": "points drawn", "draw_hint": "Click or drag here to draw your own data", "loss_d": "D loss",
           "loss_g": "G loss", "modes": "modes covered", "js": "JS divergence", "bits": "bits", "step": "step",
           "replaying": "replay", "steps_s": "steps/s",
           "finished": "The game reached its last step: raise “Stop at step” and press ↺ Reset to play longer.",
           "states": {"idle": "ready", "playing": "playing", "paused": "paused", "finished": "finished",
                      "stopped": "stopped", "failed": "failed"}},
}

REAL, FAKE = "#" + bytes(REAL_RGB).hex(), "#" + bytes(FAKE_RGB).hex()
CSS = f"""
#toy-view .toy-main {{ display: flex; gap: 18px; flex-wrap: wrap; }}
#toy-view .toy-planebox {{ flex: 0 0 460px; }}
#toy-view canvas.toy-plane {{ width: 460px; height: 460px; border-radius: 8px; border: 1px solid var(--border-color-primary);
  touch-action: none; display: block; }}
#toy-view.toy-drawing canvas.toy-plane {{ cursor: crosshair; }}
#toy-view .toy-layers {{ font-size: .85rem; margin-top: 6px; display: flex; gap: 10px; flex-wrap: wrap; align-items: center; }}
#toy-view .toy-layers label {{ display: inline-flex; gap: 4px; align-items: center; }}
#toy-view .toy-clear {{ display: none; border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 1px 8px; }}
#toy-view.toy-drawing .toy-clear {{ display: inline-block; }}
#toy-view .toy-side {{ flex: 1 1 320px; min-width: 300px; display: flex; flex-direction: column; gap: 8px; }}
#toy-view .toy-stats {{ display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; font-variant-numeric: tabular-nums; }}
#toy-view .toy-stats b {{ font-size: 1.15rem; }}
#toy-view .toy-legend {{ font-size: .88rem; color: var(--body-text-color-subdued); }}
#toy-view .toy-sw {{ display: inline-block; width: .8em; height: .8em; border-radius: 50%;
  margin: 0 .3em 0 .6em; vertical-align: -1px; }}
#toy-view .toy-sw.real {{ background: {REAL}; }} #toy-view .toy-sw.fake {{ background: {FAKE}; }}
#toy-view .toy-sw.heat {{ width: 3em; border-radius: 3px; background: linear-gradient(to right, {FAKE}99, #fff, {REAL}99); }}
#toy-view .toy-collapse {{ color: #b91c1c; font-weight: 600; min-height: 1.2em; }}
#toy-view .toy-note {{ color: var(--body-text-color-subdued); font-size: .9rem; min-height: 2.4em; }}
#toy-view canvas.toy-chart {{ width: 100%; height: 240px; }}
#toy-buttons button {{ white-space: nowrap; }}
"""


def view_html() -> str:
    """The canvas panel toy.js draws into; its words come from TEXTS (toy.js gets TEXTS["js"] as a data attribute)."""
    t, s, e = TEXTS, TEXTS["stats"], html.escape
    layers = "".join(f'<label><input type="checkbox" data-layer="{k}" checked> {e(v)}</label>' for k, v in t["layers"].items())
    real, fake, heat = (e(w) for w in t["legend"])
    stat = "".join(f'<div>{e(s[k])} <b class="toy-{k}">–</b>{" " + e(s["bits"]) if k == "js" else ""}</div>'
                   for k in ("step", "modes", "js", "grad", "ld", "lg"))
    return f"""<div id="toy-view" data-texts="{e(json.dumps(t["js"]))}">
 <div class="toy-main">
  <div class="toy-planebox"><canvas class="toy-plane" role="img" aria-label="{e(t["layers"]["heat"])}"></canvas>
   <div class="toy-layers">{layers}<button type="button" class="toy-clear">{e(t["clear"])}</button></div></div>
  <div class="toy-side">
   <div class="toy-legend"><span class="toy-sw real"></span>{real} <span class="toy-sw fake"></span>{fake}
    <span class="toy-sw heat"></span>{heat}</div>
   <div class="toy-stats"><div><span class="toy-dot dot"></span><b class="toy-state"></b> <span class="toy-rate"></span></div>
    {stat}</div>
   <div class="toy-collapse"></div><div class="toy-note"></div>
   <canvas class="toy-chart" role="img" aria-label="{e(s["ld"])}, {e(s["lg"])}, {e(s["modes"])}, {e(s["js"])}"></canvas>
  </div></div></div>"""
