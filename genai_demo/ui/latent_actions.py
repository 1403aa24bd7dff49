"""Latent explorer's handlers: plain methods, testable without a browser (pass any object with a session_hash as
request). The tab's layout and wiring are latent_tab.py; the maths genai_demo/explore/latent.py.
"""
from __future__ import annotations

import dataclasses
import hashlib
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
from .common import resolve_model, whole, write_gif
from .context import UIContext
from .messages import shown, warn

ZOOM = 8  # the decoded digit is shown 8x: 224 px, nearest-neighbour so pixels stay crisp
EMPTY = {"a": None, "b": None, "drawn": None}


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


def _digest(key, digit, image) -> str:
    """What was encoded: the model, the class and the drawing's pixels (or the upload's path)."""
    h = hashlib.sha1(f"{key}|{digit}".encode())
    pixels = image.get("composite") if isinstance(image, dict) else image
    h.update(pixels.tobytes() if isinstance(pixels, np.ndarray) else repr(pixels).encode())
    return h.hexdigest()


def _z(v, lang: str = "en") -> float:
    try:
        z = float(v)
    except (TypeError, ValueError):
        raise gr.Error(t("latent_err_z_number", lang, got=shown(v))) from None
    if not np.isfinite(z) or abs(z) > 4:
        raise gr.Error(t("latent_err_z_range", lang, got=shown(v)))
    return z


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
            warn(t("no_cjk_font", lang), lang)  # the map's legend falls back to English
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
        seen = _digest(key, digit, image)
        if not quiet and (pts or {}).get("drawn_of") == seen:
            return {}  # "Encode drawing" after the automatic encode: that drawing is on the map already
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
        pts = {**(pts or EMPTY), "drawn": [float(mu[0]), float(mu[1])], "drawn_of": seen}
        return {"z1": z1, "z2": z2, "map": self.map_image(key, z1, z2, digit, show_points, pts, request),
                "recon": pair, "note": note, "points": pts}

    def follow(self, key, z1, z2, digit, show_points, pts, have, listed, request: gr.Request = None) -> dict:
        """The tab's slow poll: the model list's fresh labels (a run's step and state) when they changed, and for the
        visitor's own run its newer weights (decoder file and map), as a slider release would fetch. Never an error:
        a run that went away is simply left as it is shown."""
        out = {}
        choices = [list(c) for c in self.ctx.model_choices(request, kinds(view="latent"))]
        if choices != listed:
            out.update(model=gr.Dropdown(choices=[tuple(c) for c in choices]), listed=choices)
        if isinstance(key, str) and key.startswith("run:"):
            try:
                new_map, path = self.settle(key, z1, z2, digit, show_points, pts, have, request)
            except gr.Error:
                return out
            if not isinstance(path, type(gr.skip())):
                out.update(map=new_map, decoder=path)
        return out

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
