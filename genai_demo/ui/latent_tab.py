"""Latent explorer: walk the 2-D latent plane of a VAE/CVAE with two sliders, click on it, draw into it.

Layout and wiring only; the handlers are latent_actions.py, the maths genai_demo/explore/latent.py, the map picture
genai_demo/explore/plots.py.
The digit under the sliders is decoded *in the page* (decoder.js, weights from genai_demo/explore/webdecoder.py,
fetched once per model), which also moves the map's cross-hair: a slider move costs no server round trip, so
it stays instant while runs train and when a whole class drags at once. On release the server sends a live
run's newer weights (and its new map), if any, and so does a slow poll (FOLLOW_S), which also keeps the model
list's step / state labels fresh. Scripts decode through the /decode API.
Per-visitor state is one small gr.State dict of points (A, B, the encoded drawing).
"""
from __future__ import annotations

from pathlib import Path

import gradio as gr

from ..models import kinds
from .common import FAST, INLINE_MATH, glossary_box, paced, refresh_choices, resolve_model, whole, write_gif  # noqa: F401 — write_gif: tests reach it here
from .context import UIContext
from .lang import L
from .latent_actions import EMPTY, ZOOM, LatentActions  # noqa: F401 — the tab's handlers, re-exported
from .outputs import Outputs
from .sketchpad import guard

DEFAULT_MODEL = "pretrained:vae_mnist5k"
DECODER_JS = Path(__file__).with_name("decoder.js")  # read when the tab is built, not at import
# The page's decoder draws into this canvas (28×28, scaled up by CSS with crisp pixels)
DECODED_HTML = ('<div class="decoder-wrap"><canvas width="28" height="28" role="img" aria-label="The decoded digit"></canvas>'
                '<div class="decoder-note">…</div></div>')  # decoder.js writes the note, in the page's language
FOLLOW_S = 3.0  # the tab's slow poll: a live run's new weights and the model list's step / state labels
FOLLOW_IDLE_S = 9.0  # … and slower while nothing changes (each event costs the page time: train_poll.FAST_S)
START = {"a": [-2.0, -2.0], "b": [2.0, 2.0], "drawn": None}  # a first A → B walk across the plane
# The sketchpad opens with no tool chosen; pick its brush so a visitor can draw straight away.
PICK_BRUSH = """() => { const pick = (n) => {
  const b = document.querySelector('#latent-sketch button[aria-label="Brush"]');
  if (b) { if (!b.classList.contains('highlight')) b.click(); } else if (n > 0) setTimeout(() => pick(n - 1), 200); };
  setTimeout(() => pick(20), 100); }"""


# ---------------------------------------------------------------------------------------------------
# layout


def build(ctx: UIContext, tab: gr.Tab | None = None) -> LatentActions:
    """Lay out the tab (inside `tab`, whose selection refreshes the model list; None: only the ↻ button does)."""
    a = LatentActions(ctx)
    pts = gr.State(dict(START))
    gr.Markdown(L("latent_intro"), latex_delimiters=INLINE_MATH)  # the catalogue holds its LaTeX and link too
    glossary_box(ctx, ["latent", "prior", "reparam", "lerp", "slerp", "mse", "ssim"])
    with gr.Row(equal_height=False):
        with gr.Column(scale=5, min_width=420):
            with gr.Row():
                model = gr.Dropdown([], label=L("latent_model"), allow_custom_value=True, elem_id="latent-model", scale=4)
                digit = gr.Dropdown([(str(i), i) for i in range(10)], value=0, label=L("latent_digit"),
                                    visible=False, elem_id="latent-digit", scale=2)
                refresh = gr.Button("↻", size="sm", scale=0, min_width=44, elem_id="latent-refresh")
            # JPEG: ~4 ms to encode on every slider step where PNG takes ~120 ms for this busy picture
            latent_map = gr.Image(label=L("latent_map"), format="jpeg",
                                  interactive=False, buttons=["download", "fullscreen"], elem_id="latent-map", height=600)
            show_points = gr.Checkbox(True, label=L("latent_points"), elem_id="latent-points")
        with gr.Column(scale=3, min_width=300):
            gr.HTML(DECODED_HTML, label=L("latent_decoded"), show_label=True, container=True,
                    elem_id="latent-decoded")
            dec_file = gr.File(visible=False, elem_id="latent-decoder-file")  # the page's decoder weights
            map_geo = gr.JSON(visible=False)  # where the map's plot sits in its picture, for the page's cross-hair
            # /decode for scripts (docs/api.md): the page itself decodes locally, so this trigger stays hidden
            api_decode, api_image = gr.Button(visible=False), gr.Image(visible=False, format="png")
            z1 = gr.Slider(-4, 4, value=0.0, step=0.01, label="z1", elem_id="latent-z1")
            z2 = gr.Slider(-4, 4, value=0.0, step=0.01, label="z2", elem_id="latent-z2")
            with gr.Row():
                set_a = gr.Button(L("latent_set_a"), size="sm", min_width=90, elem_id="latent-set-a")
                set_b = gr.Button(L("latent_set_b"), size="sm", min_width=90, elem_id="latent-set-b")
            gr.Markdown(L("latent_hint"), elem_classes="latent-hint")
            with gr.Row():
                steps = gr.Slider(4, 16, value=10, step=1, label=L("latent_steps_ab"), scale=3, min_width=140, elem_id="latent-steps")
                interp = gr.Button(L("latent_interpolate"), variant="primary", scale=2, min_width=100, elem_id="latent-interpolate")
            strip = gr.Image(label="A → B", format="png", interactive=False, height=110, elem_id="latent-strip",
                             elem_classes="crisp", buttons=["download", "fullscreen"])  # no share button: as the others
            gif = gr.DownloadButton(L("latent_download_gif"), visible=False, size="sm", elem_id="latent-gif")
        with gr.Column(scale=3, min_width=300):
            sketch = guard(gr.Sketchpad(label=L("latent_sketch"), type="numpy", canvas_size=(280, 280),  # ui/sketchpad.py
                                        brush=gr.Brush(default_size=14, colors=["#000000"], color_mode="fixed"),
                                        layers=False, height=330, elem_id="latent-sketch"))
            with gr.Row():
                encode_btn = gr.Button(L("latent_encode"), variant="primary", size="sm", min_width=100, elem_id="latent-encode")
                upload = gr.UploadButton(L("latent_upload"), file_types=["image"], size="sm", min_width=100,
                                         elem_id="latent-upload")
            recon = gr.Image(label=L("latent_recon"), format="png", interactive=False, height=160, elem_id="latent-recon",
                             elem_classes="crisp", buttons=["download", "fullscreen"])  # a share button covered the label
            recon_note = gr.Markdown(L("latent_recon_hint"),
                                     elem_id="latent-recon-note")

    # ---- wiring ------------------------------------------------------------------------------------
    # The public API first, so no private event named after the same function takes "decode".
    api_decode.click(a.decode, [model, z1, z2, digit], api_image, api_name="decode", queue=False)
    view = [model, z1, z2, digit, show_points, pts]
    # the page's decoder: js only, no server call; runs after anything that moves z, the digit or the weights
    draw = dict(fn=None, inputs=[z1, z2, digit, dec_file, map_geo], outputs=None, js=DECODER_JS.read_text(), queue=False,
                show_progress="hidden", api_visibility="private")

    def choices(current, request: gr.Request):
        return refresh_choices(ctx, current, request, kinds(view="latent"), DEFAULT_MODEL)

    def initial(request: gr.Request):
        return choices(None, request)

    shown = Outputs(digit=digit, decoder=dec_file, map=latent_map, geometry=map_geo)
    redraw = dict(fn=shown.wrap(a.show), inputs=view, outputs=shown.blocks, **FAST)
    triggers = [refresh.click] + ([tab.select] if tab is not None else [])
    gr.on(None, initial, None, model, api_visibility="private").then(**redraw, api_visibility="private").then(**draw).then(
        a.interpolate, [model, digit, steps, pts], [strip, gif], api_visibility="private", concurrency_limit=4)
    gr.on(triggers, choices, model, model, api_visibility="private").then(**redraw, api_visibility="private").then(**draw)
    gr.on([tab.select] if tab is not None else [refresh.click], None, js=PICK_BRUSH, api_visibility="private")
    gr.on([model.input, digit.input, show_points.input], **redraw, api_visibility="private").then(**draw)

    # while dragging only the page works (digit + cross-hair); on release the server checks for newer weights
    gr.on([z1.input, z2.input], **draw)
    gr.on([z1.release, z2.release], a.settle, view + [dec_file], [latent_map, dec_file], api_visibility="private",
          **FAST).then(**draw)
    latent_map.select(a.jump, [model, digit, show_points, pts], [z1, z2, latent_map],
                      api_visibility="private", **FAST).then(**draw)

    encoded = Outputs(z1=z1, z2=z2, map=latent_map, recon=recon, note=recon_note, points=pts)

    def encode_quiet(key, d, img, show, p, request: gr.Request):
        return a.encode(key, d, img, show, p, request, quiet=True)

    sketch.change(encoded.wrap(encode_quiet), [model, digit, sketch, show_points, pts], encoded.blocks,
                  api_visibility="private", **FAST).then(**draw)
    # no grey overlay over the map, sliders and reconstruction: the answer is quick (and often nothing new)
    encode_btn.click(encoded.wrap(a.encode), [model, digit, sketch, show_points, pts], encoded.blocks,
                     api_visibility="private", concurrency_limit=None, show_progress="minimal").then(**draw)
    upload.upload(encoded.wrap(a.encode), [model, digit, upload, show_points, pts], encoded.blocks,
                  api_visibility="private", concurrency_limit=4).then(**draw)

    def set_a_here(key, x, y, d, show, p, request: gr.Request):
        return a.set_point("a", key, x, y, d, show, p, request)

    def set_b_here(key, x, y, d, show, p, request: gr.Request):
        return a.set_point("b", key, x, y, d, show, p, request)

    for btn, fn in ((set_a, set_a_here), (set_b, set_b_here)):
        btn.click(fn, view, [pts, latent_map], api_visibility="private", concurrency_limit=None)
    interp.click(a.interpolate, [model, digit, steps, pts], [strip, gif], api_visibility="private", concurrency_limit=4)

    listed = gr.State([])  # the model list's (label, key) pairs as the page shows them
    follow_poll = gr.Timer(FOLLOW_S)
    followed = Outputs(model=model, listed=listed, map=latent_map, decoder=dec_file, timer=follow_poll)

    def on_follow(key, z1_, z2_, digit_, show, pts_, have, shown_list, pace, request: gr.Request):
        out = a.follow(key, z1_, z2_, digit_, show, pts_, have, shown_list, request)
        # a run that trains changes its weights and its label every poll: fast while anything changes
        return followed(paced(out, bool(out), pace, FOLLOW_S, FOLLOW_IDLE_S))

    follow_poll.tick(on_follow, view + [dec_file, listed, follow_poll], followed.blocks, api_visibility="private",
                     **FAST).then(**draw)
    return a
