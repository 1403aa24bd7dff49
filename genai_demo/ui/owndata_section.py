"""The Train tab's "Train on your own images or text" section: upload, convert, preview, then pick it as the data.

Layout, wiring and handlers; the checks and the conversion are gradio-free (data/own_archive.py, own_images.py,
own_text.py), the per-visitor store is data/own_store.py, what is written is ui/owndata_view.py. A successful
upload adds "Your images (N)" / "Your text (N lines)" to this visitor's data list (only theirs: the choices of a
gr.Radio update per session) and selects it when the chosen model can learn from it.
Converting up to 2,000 images costs seconds of CPU: one conversion at a time for the whole app (concurrency 1).
"""
from __future__ import annotations

import gradio as gr

from ..data import images as pics
from ..data import own_store
from ..data.datasets import DataError
from ..data.own_images import INVERT, Options, from_uploads
from ..data.own_text import decode
from ..i18n import t
from ..models import kinds
from ..training.settings import datasets_for
from . import owndata_view as W
from .context import UIContext
from .lang import L
from .messages import visitor_message
from .outputs import Outputs
from .train_actions import TrainActions
from .train_form import data_label  # the Train tab's labels

PREVIEW_MAX = 100  # images in the preview grid (10 x 10, scaled 2x): the first ones, exactly as converted
MAX_UPLOADS = 2001  # list entries read from a request at most (a script may send any list)


def _as_paths(files) -> list:
    """gr.File values (paths, or dicts / objects with .path from a script) → a list of paths, bounded."""
    if files is None:
        return []
    files = files if isinstance(files, list) else [files]
    out = []
    for f in files[:MAX_UPLOADS]:
        path = f.get("path") if isinstance(f, dict) else getattr(f, "path", f)
        if not isinstance(path, str):
            raise DataError("not a file: upload PNG or JPEG images or one zip", "own_err_not_file")
        out.append(path)
    return out


def said(e: DataError, lang: str) -> str:
    """A data error in the visitor's language: its catalogue sentence (own_err_* keys), else its own first line."""
    return t(e.key, lang, **e.values) if getattr(e, "key", None) else visitor_message(str(e))


class OwnDataActions:
    """The section's handlers, per visitor (plain methods: the tests call them without a page)."""

    def __init__(self, ctx: UIContext, train: TrainActions):
        self.ctx, self.train = ctx, train

    def _data_radio(self, sid: str, kind, chosen: str, lang: str):
        """The Train tab's data list for this visitor and model, with `chosen` selected when the model fits it."""
        fits = datasets_for(kind, self.train.datasets_of(sid)) if kind in kinds(view="train") else []
        if chosen not in fits:
            return gr.skip(), False
        return gr.Radio(choices=[(data_label(n, lang), n) for n in fits], value=chosen), True

    def images(self, files, crop, invert, threshold, kind, request: gr.Request = None) -> dict:
        """Uploaded images / zip → converted, stored for this visitor, previewed; {"preview", "status", "data"}."""
        sid, lang = self.ctx.session(request), self.ctx.lang(request)
        try:
            paths = _as_paths(files)
            if not paths:
                raise DataError("choose some images (or one zip) first", "own_err_nothing")
            x = from_uploads(paths, Options(crop=crop, invert=invert, threshold=threshold))  # (N, 28, 28) uint8
            entry = own_store.STORE.put_images(sid, x)
        except DataError as e:
            raise gr.Error(said(e, lang)) from None
        radio, fits = self._data_radio(sid, kind, entry.name, lang)
        grid = pics.upscale(pics.make_grid(x[:PREVIEW_MAX], nrow=10), 2)
        return {"preview": grid, "status": W.images_summary(entry, fits, lang), "data": radio}

    def text(self, pasted, file, kind, request: gr.Request = None) -> dict:
        """Pasted text or an uploaded .txt → this visitor's corpus; {"status", "sample", "data"}."""
        sid, lang = self.ctx.session(request), self.ctx.lang(request)
        try:
            paths = _as_paths(file)
            if paths:
                with open(paths[0], "rb") as f:
                    raw = f.read(W.own_text.MAX_BYTES + 1)
            elif isinstance(pasted, str) and pasted.strip():
                raw = pasted
            else:
                raise DataError("paste some text or upload a UTF-8 .txt file", "own_err_text_missing")
            entry = own_store.STORE.put_text(sid, decode(raw))
        except OSError:
            raise gr.Error(t("own_err_unreadable_upload", lang)) from None
        except DataError as e:
            raise gr.Error(said(e, lang)) from None
        radio, fits = self._data_radio(sid, kind, entry.name, lang)
        return {"status": W.text_summary(entry, fits, lang), "sample": W.text_sample(entry), "data": radio}


def build(ctx: UIContext, train: TrainActions, model: gr.Radio, data: gr.Radio) -> OwnDataActions:
    """Lay out the section (a closed accordion under the Train tab's row) and wire it to the tab's model and data."""
    a = OwnDataActions(ctx, train)
    with gr.Accordion(L("own_title"), open=False, elem_id="own-data"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=320):
                gr.Markdown(L("own_images_head"))
                files = gr.File(file_count="multiple", file_types=[".png", ".jpg", ".jpeg", ".zip"], type="filepath",
                                label=L("own_images_files"), elem_id="own-images-files", height=120)
                limits = ctx.translated(gr.Markdown(W.image_limits(), elem_id="own-images-limits"), W.image_limits)
                with gr.Row():
                    crop = gr.Checkbox(True, label=L("own_crop"), elem_id="own-crop", info=L("own_crop_info"))
                    invert = gr.Radio([(L(f"own_invert_{k}"), k) for k in INVERT], value="auto", label=L("own_invert"),
                                      elem_id="own-invert", info=L("own_invert_info"))
                threshold = gr.Slider(0, 0.95, 0, step=0.05, label=L("own_threshold"), elem_id="own-threshold",
                                      info=L("own_threshold_info"))
                go = gr.Button(L("own_images_go"), variant="primary", elem_id="own-images-go")
                status = gr.Markdown("", elem_id="own-images-status")
                gr.Markdown(L("own_preview"))
                preview = gr.Image(type="numpy", format="png", image_mode="L", show_label=False, interactive=False,
                                   elem_id="own-images-preview", elem_classes="crisp", buttons=["fullscreen"])
            with gr.Column(scale=1, min_width=320):
                gr.Markdown(L("own_text_head"))
                pasted = gr.Textbox(lines=8, max_lines=16, label=L("own_text_paste"), elem_id="own-text-paste",
                                    placeholder=L("own_text_placeholder"))
                tfile = gr.File(file_count="single", file_types=[".txt"], type="filepath", label=L("own_text_file"),
                                elem_id="own-text-file", height=130)
                tlimits = ctx.translated(gr.Markdown(W.text_limits(), elem_id="own-text-limits"), W.text_limits)
                tgo = gr.Button(L("own_text_go"), variant="primary", elem_id="own-text-go")
                tstatus = gr.Markdown("", elem_id="own-text-status")
                sample = gr.HTML("", elem_id="own-text-sample")
    del limits, tlimits  # re-sent in the visitor's language by the app shell (ctx.translated)
    heavy = {"concurrency_limit": 1, "concurrency_id": "own-data", "api_visibility": "private"}
    img_out = Outputs(preview=preview, status=status, data=data)
    txt_out = Outputs(status=tstatus, sample=sample, data=data)

    def on_images(f, c, inv, thr, kind, request: gr.Request):
        return img_out(a.images(f, c, inv, thr, kind, request))

    def on_text(p, f, kind, request: gr.Request):
        return txt_out(a.text(p, f, kind, request))

    go.click(on_images, [files, crop, invert, threshold, model], img_out.blocks, **heavy)
    tgo.click(on_text, [pasted, tfile, model], txt_out.blocks, **heavy)
    return a
