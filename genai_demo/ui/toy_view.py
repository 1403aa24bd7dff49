"""What the 2-D GAN tab shows around its canvas: the HTML the page's toy.js draws into (its words from the catalogues,
genai_demo/i18n/<lang>/toy.json, in the visitor's language) and its CSS. The colours are toy_views.REAL_RGB /
FAKE_RGB (green / purple)."""
from __future__ import annotations

import html
import json

from ..explore.toy_views import FAKE_RGB, REAL_RGB
from ..i18n import t

STATS = ("step", "modes", "js", "grad", "ld", "lg")  # the readouts beside the plane (catalogue: toy_stat_<name>)
LAYERS = {"heat": "toy_layer_heat", "real": "toy_real", "fake": "toy_fake", "arrows": "toy_layer_arrows",
          "manifold": "toy_layer_manifold"}  # the view toggles under the plane → their catalogue keys
STATES = ("idle", "playing", "paused", "finished", "stopped", "failed")


def js_texts(lang: str) -> dict:
    """The words toy.js draws itself (canvas labels, state, rate), in `lang`: sent as the panel's data-texts."""
    return {"points": t("toy_points_drawn", lang), "draw_hint": t("toy_draw_hint", lang),
            "loss_d": t("toy_stat_ld", lang), "loss_g": t("toy_stat_lg", lang), "modes": t("toy_stat_modes", lang),
            "js": t("toy_stat_js", lang), "bits": t("toy_stat_bits", lang), "step": t("toy_stat_step", lang),
            "replaying": t("toy_replaying", lang), "steps_s": t("toy_steps_per_s", lang),
            "finished": t("toy_finished", lang), "states": {s: t(f"toy_state_{s}", lang) for s in STATES}}


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


def view_html(lang: str = "en") -> str:
    """The canvas panel toy.js draws into, its words in `lang` (toy.js reads js_texts(lang) from data-texts). The EN | 中文
    switch re-sends it (ctx.translated); toy.js then wires the new panel and repaints it on the next tick."""
    e = html.escape

    def w(key: str) -> str:
        return e(t(key, lang))

    layers = "".join(f'<label><input type="checkbox" data-layer="{k}" checked> {w(key)}</label>' for k, key in LAYERS.items())
    stat = "".join(f'<div>{w("toy_stat_" + k)} <b class="toy-{k}">–</b>{" " + w("toy_stat_bits") if k == "js" else ""}</div>'
                   for k in STATS)
    chart = ", ".join(w(f"toy_stat_{k}") for k in ("ld", "lg", "modes", "js"))
    return f"""<div id="toy-view" lang="{e(lang)}" data-texts="{e(json.dumps(js_texts(lang), ensure_ascii=False))}">
 <div class="toy-main">
  <div class="toy-planebox"><canvas class="toy-plane" role="img" aria-label="{w("toy_layer_heat")}"></canvas>
   <div class="toy-layers">{layers}<button type="button" class="toy-clear">{w("toy_clear")}</button></div></div>
  <div class="toy-side">
   <div class="toy-legend"><span class="toy-sw real"></span>{w("toy_real")} <span class="toy-sw fake"></span>{w("toy_fake")}
    <span class="toy-sw heat"></span>{w("toy_heat_legend")}</div>
   <div class="toy-stats"><div><span class="toy-dot dot"></span><b class="toy-state"></b> <span class="toy-rate"></span></div>
    {stat}</div>
   <div class="toy-collapse"></div><div class="toy-note"></div>
   <canvas class="toy-chart" role="img" aria-label="{chart}"></canvas>
  </div></div></div>"""
