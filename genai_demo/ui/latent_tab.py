"""Latent explorer: walk the 2-D latent plane of a VAE/CVAE with two sliders, click on it, draw into it.

Layout and callbacks only; the maths is in genai_demo/explore/latent.py, the map picture in genai_demo/explore/plots.py.
The digit under the sliders is decoded *in the page* (decoder.js, weights from genai_demo/explore/webdecoder.py,
fetched once per model), which also moves the map's cross-hair: a slider move costs no server round trip, so
it stays instant while runs train and when a whole class drags at once. On release the server sends a live
run's newer weights (and its new map), if any. Scripts decode through the /decode API.
Per-visitor state is one small gr.State dict of points (A, B, the encoded drawing).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import gradio as gr
import numpy as np

from ..data import images
from ..data.datasets import DataError
from ..data.user_image import load_user_image
from ..explore import latent as explore
from ..explore import plots, webdecoder
from ..i18n import fonts, t
from ..models import kinds
from .common import FAST, INLINE_MATH, glossary_box, refresh_choices, resolve_model, whole, write_gif
from .context import UIContext
from .lang import L
from .messages import shown
from .outputs import Outputs
from .sketchpad import guard

DEFAULT_MODEL = "pretrained:vae_mnist5k"
ZOOM = 8  # the decoded digit is shown 8x: 224 px, nearest-neighbour so pixels stay crisp
DECODER_JS = Path(__file__).with_name("decoder.js")  # read when the tab is built, not at import
# The page's decoder draws into this canvas (28×28, scaled up by CSS with crisp pixels)
DECODED_HTML = ('<div class="decoder-wrap"><canvas width="28" height="28" role="img" aria-label="The decoded digit"></canvas>'
                '<div class="decoder-note">…</div></div>')  # decoder.js writes the note, in the page's language
EMPTY = {"a": None, "b": None, "drawn": None}
START = {"a": [-2.0, -2.0], "b": [2.0, 2.0], "drawn": None}  # a first A → B walk across the plane
# The sketchpad opens with no tool chosen; pick its brush so a visitor can draw straight away.
PICK_BRUSH = """() => { const pick = (n) => {
  const b = document.querySelector('#latent-sketch button[aria-label="Brush"]');
  if (b) { if (!b.classList.contains('highlight')) b.click(); } else if (n > 0) setTimeout(() => pick(n - 1), 200); };
  setTimeout(() => pick(20), 100); }"""


def _label(model, digit, lang: str = "en"):
    """The CVAE's class (0..9) from the digit dropdown; None for the plain VAE."""
    if not model.conditional:
        return None
    try:
        c = int(digit)
    except (TypeError, ValueError, OverflowError):
        raise gr.Error(t("latent_err_digit", lang)) from None
    if not 0 <= c < model.config.num_classes:
        raise gr.Error(t("latent_err_digit_range", lang, hi=model.config.num_classes - 1, got=shown(digit)))
    return c


def _z(v, lang: str = "en") -> float:
    try:
        z = float(v)
    except (TypeError, ValueError):
        raise gr.Error(t("latent_err_z_number", lang, got=shown(v))) from None
    if not np.isfinite(z) or abs(z) > 4:
        raise gr.Error(t("latent_err_z_range", lang, got=shown(v)))
    return z


# ---------------------------------------------------------------------------------------------------
# handlers: plain methods, testable without a browser (pass any object with a session_hash as request)


class LatentActions:
    def __init__(self, ctx: UIContext):
        self.ctx = ctx

    def _model(self, key, request):
        model, src = resolve_model(self.ctx, key, request, kinds(view="latent"))
        if explore.z_dim(model) != 2:
            raise gr.Error(t("latent_err_2d", self.ctx.lang(request)))
        return model, src

    def decode(self, key, z1, z2, digit=0, request: gr.Request = None):
        """The digit at (z1, z2), 224 px. API: "decode"."""
        model, _ = self._model(key, request)
        lang = self.ctx.lang(request)
        img = explore.decode(model, [[_z(z1, lang), _z(z2, lang)]], _label(model, digit, lang))  # (1, 1, 28, 28)
        return images.upscale(images.to_uint8(img[0, 0]), ZOOM)

    def _base(self, model, src, digit, show_points, lang: str = "en"):
        """(cached map picture without markers, its MapGeometry) for this model, digit and dot setting."""
        try:
            data = explore.held_out(src.data)
        except DataError as e:
            raise gr.Error(t("latent_err_held_out", lang, data=src.data, error=e)) from None
        return explore.map_picture(model, data, _label(model, digit, lang), bool(show_points), classes=plots.class_names(data, lang))

    def map_image(self, key, z1, z2, digit, show_points, pts, request: gr.Request = None):
        """The latent map with the A / B / drawing markers. The z cross-hair is the page's overlay (decoder.js),
        so a slider drag never waits for this picture; z is still checked, as every handler does."""
        model, src = self._model(key, request)
        lang = self.ctx.lang(request)
        _z(z1, lang), _z(z2, lang)
        base, geo = self._base(model, src, digit, show_points, lang)
        pts = pts or EMPTY
        return plots.with_markers(base, geo, a=pts["a"], b=pts["b"], drawn=pts["drawn"])

    @staticmethod
    def _decoder(model, lang: str = "en") -> str:
        """Path of the model's decoder file for the page (genai_demo/explore/webdecoder.py), current weights."""
        try:
            return webdecoder.decoder_file(model)
        except (ValueError, OSError) as e:
            raise gr.Error(t("latent_err_decoder", lang, error=e)) from None

    def show(self, key, z1, z2, digit, show_points, pts, request: gr.Request = None) -> dict:
        """Redraw everything for a (new) model or digit: digit picker, decoder file, map and its geometry."""
        model, src = self._model(key, request)
        lang = self.ctx.lang(request)
        if lang != "en" and not fonts.has_cjk():
            gr.Warning(t("no_cjk_font", lang))  # the map's legend falls back to English
        classes = explore.held_out(src.data).classes if model.conditional else [str(i) for i in range(10)]
        digit = digit if digit in range(len(classes)) else 0
        pick = gr.Dropdown(choices=[(f"{i} · {c}" if c != str(i) else c, i) for i, c in enumerate(classes)],
                           value=digit, visible=model.conditional)
        base, geo = self._base(model, src, digit, show_points, lang)
        where = {**dataclasses.asdict(geo), "width": base.width, "height": base.height}  # for the page's cross-hair
        return {"digit": pick, "decoder": self._decoder(model), "map": self.map_image(key, z1, z2, digit, show_points, pts, request),
                "geometry": where}

    def settle(self, key, z1, z2, digit, show_points, pts, have, request: gr.Request = None):
        """A slider was let go: if the weights changed since the page got its decoder (a live run publishes new
        ones every few hundred steps), the new decoder file and the map they draw; otherwise nothing."""
        model, _ = self._model(key, request)
        path = self._decoder(model)
        if have and Path(str(have)).name == Path(path).name:  # files are named by content hash
            return gr.skip(), gr.skip()
        return self.map_image(key, z1, z2, digit, show_points, pts, request), path

    def jump(self, key, digit, show_points, pts, evt: gr.SelectData, request: gr.Request = None):
        """A click on the map: the sliders (and so the page's decoded digit) move there."""
        model, src = self._model(key, request)
        _, geo = self._base(model, src, digit, show_points)
        z1, z2 = (round(v, 2) for v in geo.px_to_z(*evt.index[:2]))
        return z1, z2, self.map_image(key, z1, z2, digit, show_points, pts, request)

    def encode(self, key, digit, image, show_points, pts, request: gr.Request = None, quiet: bool = False) -> dict:
        """A drawing or upload → its point on the map (sliders set there) and its reconstruction with MSE / SSIM."""
        model, _ = self._model(key, request)
        if image is None:
            if quiet:
                return {}
            raise gr.Error(t("latent_err_draw_first", self.ctx.lang(request)))
        try:
            x = load_user_image(image)  # (1, 28, 28) in [0, 1], centred like MNIST
        except DataError as e:
            if quiet:  # the canvas was cleared: nothing to encode, nothing to complain about
                return {}
            lang = self.ctx.lang(request)
            raise gr.Error(t(e.key, lang, **e.values) if e.key and lang != "en" else str(e)) from None
        lang = self.ctx.lang(request)
        label = _label(model, digit, lang)
        mu = explore.encode_image(model, x, label)
        z1, z2 = (round(float(v), 2) for v in mu.clamp(-4, 4))
        recon, err, sim = explore.reconstruct(model, x, label)
        pair = images.upscale(images.strip(np.stack([images.to_uint8(x), images.to_uint8(recon)]), pad=1), 5)
        note = t("latent_recon_note", lang, mse=f"{err:.4f}", ssim=f"{sim:.3f}", z=f"({float(mu[0]):.2f}, {float(mu[1]):.2f})")
        pts = {**(pts or EMPTY), "drawn": [float(mu[0]), float(mu[1])]}
        return {"z1": z1, "z2": z2, "map": self.map_image(key, z1, z2, digit, show_points, pts, request),
                "recon": pair, "note": note, "points": pts}

    def set_point(self, which: str, key, z1, z2, digit, show_points, pts, request: gr.Request = None):
        lang = self.ctx.lang(request)
        pts = {**(pts or EMPTY), which: [_z(z1, lang), _z(z2, lang)]}
        return pts, self.map_image(key, z1, z2, digit, show_points, pts, request)

    def interpolate(self, key, digit, steps, pts, request: gr.Request = None):
        """Decode the straight path A → B: a strip and a looping GIF (there and back)."""
        model, _ = self._model(key, request)
        pts = pts or EMPTY
        if pts["a"] is None or pts["b"] is None:
            raise gr.Error(t("latent_err_set_ab", self.ctx.lang(request)))
        lang = self.ctx.lang(request)
        z = explore.interpolate(pts["a"], pts["b"], whole(steps, t("latent_steps", lang), 2, 64, lang), "lerp")  # (steps, 2)
        imgs = explore.decode(model, z, _label(model, digit, lang))  # (steps, 1, 28, 28)
        frames = list(imgs) + list(imgs.flip(0))[1:-1]  # ping-pong so the GIF loops smoothly
        gif = write_gif(frames, "latent_walk_")
        return images.upscale(images.strip(imgs), 3), gr.DownloadButton(value=gif, visible=True)


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
                             elem_classes="crisp")
            gif = gr.DownloadButton(L("latent_download_gif"), visible=False, size="sm", elem_id="latent-gif")
        with gr.Column(scale=3, min_width=300):
            sketch = guard(gr.Sketchpad(label=L("latent_sketch"), type="numpy", canvas_size=(280, 280),  # ui/sketchpad.py
                                        brush=gr.Brush(default_size=14, colors=["#000000"], color_mode="fixed"),
                                        layers=False, height=330, elem_id="latent-sketch"))
            with gr.Row():
                encode_btn = gr.Button(L("latent_encode"), variant="primary", size="sm", min_width=100, elem_id="latent-encode")
                upload = gr.UploadButton(L("latent_upload"), file_types=["image"], size="sm", min_width=100,
                                         elem_id="latent-upload")
            recon = gr.Image(label=L("latent_recon"), format="png", interactive=False, height=160,
                             elem_id="latent-recon", elem_classes="crisp")
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
    encode_btn.click(encoded.wrap(a.encode), [model, digit, sketch, show_points, pts], encoded.blocks,
                     api_visibility="private", concurrency_limit=None).then(**draw)
    upload.upload(encoded.wrap(a.encode), [model, digit, upload, show_points, pts], encoded.blocks,
                  api_visibility="private", concurrency_limit=4).then(**draw)

    def set_a_here(key, x, y, d, show, p, request: gr.Request):
        return a.set_point("a", key, x, y, d, show, p, request)

    def set_b_here(key, x, y, d, show, p, request: gr.Request):
        return a.set_point("b", key, x, y, d, show, p, request)

    for btn, fn in ((set_a, set_a_here), (set_b, set_b_here)):
        btn.click(fn, view, [pts, latent_map], api_visibility="private", concurrency_limit=None)
    interp.click(a.interpolate, [model, digit, steps, pts], [strip, gif], api_visibility="private", concurrency_limit=4)
    return a
