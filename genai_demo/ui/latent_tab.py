"""Latent explorer: walk the 2-D latent plane of a VAE/CVAE with two sliders, click on it, draw into it.

Layout and callbacks only; the maths is in genai_demo/explore.py, the map picture in genai_demo/plots.py.
Slider drags decode on every input event (trigger_mode="always_last", no concurrency limit): a decode is
a ~0.2 ms forward pass and the expensive parts (held-out means, manifold) are cached per model.
Per-visitor state is one small gr.State dict of points (A, B, the encoded drawing).
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

import gradio as gr
import numpy as np

from .. import explore, images, plots
from ..checkpoints import CheckpointError
from ..data import DataError, load_user_image
from ..runs import RunError
from ..zoo import resolve
from .context import UIContext
from .learn_tab import learn_link

VAE_KINDS = ("vae", "cvae")
DEFAULT_MODEL = "pretrained:vae_mnist5k"
ZOOM = 8  # the decoded digit is shown 8x: 224 px, nearest-neighbour so pixels stay crisp
FAST = dict(trigger_mode="always_last", concurrency_limit=None, show_progress="hidden")
GIF_DIR = Path(tempfile.gettempdir()) / "genai_demo_gifs"
EMPTY = {"a": None, "b": None, "drawn": None}
START = {"a": [-2.0, -2.0], "b": [2.0, 2.0], "drawn": None}  # a first A → B walk across the plane
# The sketchpad opens with no tool chosen; pick its brush so a visitor can draw straight away.
PICK_BRUSH = """() => { const pick = (n) => {
  const b = document.querySelector('#latent-sketch button[aria-label="Brush"]');
  if (b) { if (!b.classList.contains('highlight')) b.click(); } else if (n > 0) setTimeout(() => pick(n - 1), 200); };
  setTimeout(() => pick(20), 100); }"""


# ---------------------------------------------------------------------------------------------------
# helpers shared with the GAN studio


def resolve_model(ctx: UIContext, key, request: gr.Request | None, kinds: tuple[str, ...]):
    """(model, Source) for a dropdown key, or a gr.Error a visitor can act on."""
    if not key or not isinstance(key, str):
        raise gr.Error("Choose a model first.")
    sid = getattr(request, "session_hash", None)
    try:
        model, src = resolve(key, sid, ctx.registry)
    except (CheckpointError, RunError) as e:
        raise gr.Error(f"Cannot use model {key!r}: {e}") from None
    if src.kind not in kinds:
        raise gr.Error(f"{key!r} is a {src.kind.upper()}; this needs one of: {', '.join(k.upper() for k in kinds)}.")
    return model, src


def refresh_choices(ctx: UIContext, current, request: gr.Request | None, kinds: tuple[str, ...], default: str):
    """The dropdown with fresh choices (the visitor's runs appear once they have weights); keeps a valid pick."""
    choices = ctx.model_choices(request, kinds)
    keys = [k for _, k in choices]
    value = current if current in keys else default if default in keys else (keys[0] if keys else None)
    return gr.Dropdown(choices=choices, value=value)


def write_gif(frames, prefix: str, factor: int = 4, duration_ms: int = 120) -> str:
    """Frames → a GIF in a temp folder Gradio then copies into its cache; our copies older than 10 min go."""
    GIF_DIR.mkdir(exist_ok=True)
    now = time.time()
    for old in GIF_DIR.glob("*.gif"):
        with contextlib.suppress(FileNotFoundError):  # a concurrent walk may have removed it already
            if now - old.stat().st_mtime > 600:
                old.unlink(missing_ok=True)
    fd, path = tempfile.mkstemp(prefix=prefix, suffix=".gif", dir=GIF_DIR)
    os.close(fd)
    return str(images.save_gif(frames, path, duration_ms=duration_ms, factor=factor))


def whole(v, what: str, lo: int, hi: int) -> int:
    """A whole number in [lo, hi] from a slider / API value, or a gr.Error (never int(nan)'s ValueError)."""
    if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v) or v != int(v) or not lo <= v <= hi:
        raise gr.Error(f"{what} must be a whole number between {lo} and {hi}, got {v!r}.")
    return int(v)


def _label(model, digit):
    """The CVAE's class (0..9) from the digit dropdown; None for the plain VAE."""
    if not model.conditional:
        return None
    try:
        c = int(digit)
    except (TypeError, ValueError, OverflowError):
        raise gr.Error("Choose which digit the CVAE should draw.") from None
    if not 0 <= c < model.config.num_classes:
        raise gr.Error(f"The digit must be between 0 and {model.config.num_classes - 1}, got {digit!r}.")
    return c


def _z(v) -> float:
    try:
        z = float(v)
    except (TypeError, ValueError):
        raise gr.Error(f"z must be a number, got {v!r}.") from None
    if not np.isfinite(z) or abs(z) > 4:
        raise gr.Error(f"z must be between -4 and 4, got {v!r}.")
    return z


# ---------------------------------------------------------------------------------------------------
# handlers: plain methods, testable without a browser (pass any object with a session_hash as request)


class LatentActions:
    def __init__(self, ctx: UIContext):
        self.ctx = ctx

    def _model(self, key, request):
        model, src = resolve_model(self.ctx, key, request, VAE_KINDS)
        if explore.z_dim(model) != 2:
            raise gr.Error("The Latent explorer needs a VAE with a 2-D latent space.")
        return model, src

    def decode(self, key, z1, z2, digit=0, request: gr.Request = None):
        """The digit at (z1, z2), 224 px. API: "decode"."""
        model, _ = self._model(key, request)
        img = explore.decode(model, [[_z(z1), _z(z2)]], _label(model, digit))  # (1, 1, 28, 28)
        return images.upscale(images.to_uint8(img[0, 0]), ZOOM)

    def map_image(self, key, z1, z2, digit, show_points, pts, request: gr.Request = None):
        """The latent map with the slider cross-hair and the A / B / drawing markers."""
        model, src = self._model(key, request)
        try:
            data = explore.held_out(src.data)
        except DataError as e:
            raise gr.Error(f"Cannot load the held-out {src.data} images: {e}") from None
        base, geo = explore.map_picture(model, data, _label(model, digit), bool(show_points))
        pts = pts or EMPTY
        return plots.with_markers(base, geo, cursor=(_z(z1), _z(z2)), a=pts["a"], b=pts["b"], drawn=pts["drawn"])

    def show(self, key, z1, z2, digit, show_points, pts, request: gr.Request = None):
        """Redraw everything for a (new) model or digit: digit picker, decoded digit, map."""
        model, src = self._model(key, request)
        classes = explore.held_out(src.data).classes if model.conditional else [str(i) for i in range(10)]
        digit = digit if digit in range(len(classes)) else 0
        pick = gr.Dropdown(choices=[(f"{i} · {c}" if c != str(i) else c, i) for i, c in enumerate(classes)],
                           value=digit, visible=model.conditional)
        return pick, self.decode(key, z1, z2, digit, request), self.map_image(key, z1, z2, digit, show_points, pts, request)

    def jump(self, key, digit, show_points, pts, evt: gr.SelectData, request: gr.Request = None):
        """A click on the map: the sliders (and everything else) move there."""
        model, src = self._model(key, request)
        _, geo = explore.map_picture(model, explore.held_out(src.data), _label(model, digit), bool(show_points))
        z1, z2 = (round(v, 2) for v in geo.px_to_z(*evt.index[:2]))
        return z1, z2, self.decode(key, z1, z2, digit, request), self.map_image(key, z1, z2, digit, show_points, pts, request)

    def encode(self, key, digit, image, show_points, pts, request: gr.Request = None, quiet: bool = False):
        """A drawing or upload → its point on the map (sliders set there) and its reconstruction with MSE / SSIM."""
        model, _ = self._model(key, request)
        if image is None:
            if quiet:
                return (gr.skip(),) * 7
            raise gr.Error("Draw a digit (or upload an image) first.")
        try:
            x = load_user_image(image)  # (1, 28, 28) in [0, 1], centred like MNIST
        except DataError as e:
            if quiet:  # the canvas was cleared: nothing to encode, nothing to complain about
                return (gr.skip(),) * 7
            raise gr.Error(str(e)) from None
        label = _label(model, digit)
        mu = explore.encode_image(model, x, label)
        z1, z2 = (round(float(v), 2) for v in mu.clamp(-4, 4))
        recon, err, sim = explore.reconstruct(model, x, label)
        pair = images.upscale(images.strip(np.stack([images.to_uint8(x), images.to_uint8(recon)]), pad=1), 5)
        note = (f"**MSE** {err:.4f} · **SSIM** {sim:.3f} — encoded to z = ({float(mu[0]):.2f}, {float(mu[1]):.2f}). "
                "Left: your digit as the model sees it (28×28); right: decoded from z.")
        pts = {**(pts or EMPTY), "drawn": [float(mu[0]), float(mu[1])]}
        return (z1, z2, self.decode(key, z1, z2, digit, request), self.map_image(key, z1, z2, digit, show_points, pts, request),
                pair, note, pts)

    def set_point(self, which: str, key, z1, z2, digit, show_points, pts, request: gr.Request = None):
        pts = {**(pts or EMPTY), which: [_z(z1), _z(z2)]}
        return pts, self.map_image(key, z1, z2, digit, show_points, pts, request)

    def interpolate(self, key, digit, steps, pts, request: gr.Request = None):
        """Decode the straight path A → B: a strip and a looping GIF (there and back)."""
        model, _ = self._model(key, request)
        pts = pts or EMPTY
        if pts["a"] is None or pts["b"] is None:
            raise gr.Error("Set point A and point B first (move the sliders, then press “Set A here” / “Set B here”).")
        z = explore.interpolate(pts["a"], pts["b"], whole(steps, "Interpolation steps", 2, 64), "lerp")  # (steps, 2)
        imgs = explore.decode(model, z, _label(model, digit))  # (steps, 1, 28, 28)
        frames = list(imgs) + list(imgs.flip(0))[1:-1]  # ping-pong so the GIF loops smoothly
        gif = write_gif(frames, "latent_walk_")
        return images.upscale(images.strip(imgs), 3), gr.DownloadButton(value=gif, visible=True)


# ---------------------------------------------------------------------------------------------------
# layout


def build(ctx: UIContext) -> LatentActions:
    a = LatentActions(ctx)
    tab = gr.context.Context.block  # the gr.Tab we are built in (app.py calls build inside it)
    pts = gr.State(dict(START))
    gr.Markdown("**A 2-D VAE squeezes every digit into two numbers.** The encoder outputs a Gaussian per image "
                "and training samples $z = \\mu + \\sigma \\odot \\varepsilon$, $\\varepsilon \\sim \\mathcal N(0, I)$; "
                f"here you move $z$ yourself and watch the decoder draw. {learn_link('vae')}",
                latex_delimiters=[{"left": "$", "right": "$", "display": False}])
    with gr.Row(equal_height=False):
        with gr.Column(scale=5, min_width=420):
            with gr.Row():
                model = gr.Dropdown([], label="Model", allow_custom_value=True, elem_id="latent-model", scale=4)
                digit = gr.Dropdown([(str(i), i) for i in range(10)], value=0, label="Digit (CVAE: sliders = style)",
                                    visible=False, elem_id="latent-digit", scale=2)
                refresh = gr.Button("↻", size="sm", scale=0, min_width=44, elem_id="latent-refresh")
            # JPEG: ~4 ms to encode on every slider step where PNG takes ~120 ms for this busy picture
            latent_map = gr.Image(label="Latent plane · click to jump", format="jpeg",
                                  interactive=False, buttons=["download", "fullscreen"], elem_id="latent-map", height=600)
            show_points = gr.Checkbox(True, label="Show the held-out images' means (coloured by class)", elem_id="latent-points")
        with gr.Column(scale=3, min_width=300):
            decoded = gr.Image(label="Decoder output at z", format="png", interactive=False, height=250,
                               elem_id="latent-decoded", elem_classes="crisp")
            z1 = gr.Slider(-4, 4, value=0.0, step=0.01, label="z1", elem_id="latent-z1")
            z2 = gr.Slider(-4, 4, value=0.0, step=0.01, label="z2", elem_id="latent-z2")
            with gr.Row():
                set_a = gr.Button("Set A here", size="sm", min_width=90, elem_id="latent-set-a")
                set_b = gr.Button("Set B here", size="sm", min_width=90, elem_id="latent-set-b")
            gr.Markdown("<small>Put z where you like (sliders, a click on the map or a drawing), then set A; "
                        "move on and set B.</small>", elem_classes="latent-hint")
            with gr.Row():
                steps = gr.Slider(4, 16, value=10, step=1, label="Steps A → B", scale=3, min_width=140, elem_id="latent-steps")
                interp = gr.Button("Interpolate", variant="primary", scale=2, min_width=100, elem_id="latent-interpolate")
            strip = gr.Image(label="A → B", format="png", interactive=False, height=110, elem_id="latent-strip",
                             elem_classes="crisp")
            gif = gr.DownloadButton("⬇ Download GIF", visible=False, size="sm", elem_id="latent-gif")
        with gr.Column(scale=3, min_width=300):
            sketch = gr.Sketchpad(label="Draw a digit", type="numpy", canvas_size=(280, 280),
                                  brush=gr.Brush(default_size=14, colors=["#000000"], color_mode="fixed"),
                                  layers=False, height=330, elem_id="latent-sketch")
            with gr.Row():
                encode_btn = gr.Button("Encode drawing", variant="primary", size="sm", min_width=100, elem_id="latent-encode")
                upload = gr.UploadButton("Upload an image", file_types=["image"], size="sm", min_width=100,
                                         elem_id="latent-upload")
            recon = gr.Image(label="Your digit → reconstruction", format="png", interactive=False, height=160,
                             elem_id="latent-recon", elem_classes="crisp")
            recon_note = gr.Markdown("*Draw a digit: it is encoded as you draw, and a white ◆ marks its z on the map.*",
                                     elem_id="latent-recon-note")

    # ---- wiring ------------------------------------------------------------------------------------
    # The public API first, so no private event named after the same function takes "decode".
    z1.input(a.decode, [model, z1, z2, digit], decoded, api_name="decode", **FAST)
    view = [model, z1, z2, digit, show_points, pts]

    def choices(current, request: gr.Request):
        return refresh_choices(ctx, current, request, VAE_KINDS, DEFAULT_MODEL)

    def initial(request: gr.Request):
        return choices(None, request)

    redraw = dict(fn=a.show, inputs=view, outputs=[digit, decoded, latent_map], **FAST)
    triggers = [refresh.click] + ([tab.select] if isinstance(tab, gr.Tab) else [])
    gr.on(None, initial, None, model, api_visibility="private").then(**redraw, api_visibility="private").then(
        a.interpolate, [model, digit, steps, pts], [strip, gif], api_visibility="private", concurrency_limit=4)
    gr.on(triggers, choices, model, model, api_visibility="private").then(**redraw, api_visibility="private")
    gr.on([tab.select] if isinstance(tab, gr.Tab) else [refresh.click], None, js=PICK_BRUSH, api_visibility="private")
    gr.on([model.input, digit.input, show_points.input], **redraw, api_visibility="private")

    z2.input(a.decode, [model, z1, z2, digit], decoded, api_visibility="private", **FAST)
    gr.on([z1.input, z2.input], a.map_image, view, latent_map, api_visibility="private", **FAST)
    latent_map.select(a.jump, [model, digit, show_points, pts], [z1, z2, decoded, latent_map],
                      api_visibility="private", **FAST)

    enc_out = [z1, z2, decoded, latent_map, recon, recon_note, pts]

    def encode_quiet(key, d, img, show, p, request: gr.Request):
        return a.encode(key, d, img, show, p, request, quiet=True)

    sketch.change(encode_quiet, [model, digit, sketch, show_points, pts], enc_out, api_visibility="private", **FAST)
    encode_btn.click(a.encode, [model, digit, sketch, show_points, pts], enc_out, api_visibility="private",
                     concurrency_limit=None)
    upload.upload(a.encode, [model, digit, upload, show_points, pts], enc_out, api_visibility="private",
                  concurrency_limit=4)
    def set_a_here(key, x, y, d, show, p, request: gr.Request):
        return a.set_point("a", key, x, y, d, show, p, request)

    def set_b_here(key, x, y, d, show, p, request: gr.Request):
        return a.set_point("b", key, x, y, d, show, p, request)

    for btn, fn in ((set_a, set_a_here), (set_b, set_b_here)):
        btn.click(fn, view, [pts, latent_map], api_visibility="private", concurrency_limit=None)
    interp.click(a.interpolate, [model, digit, steps, pts], [strip, gif], api_visibility="private", concurrency_limit=4)
    return a
