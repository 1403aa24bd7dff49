"""The Train tab's "Your weights and code" panel: load a saved ``.safetensors`` back as one of your runs (or open a
shipped model as one, to train it further from its curves), and show any run or shipped model as one standalone
PyTorch script (with a download).

Layout, wiring and handlers only: the checks live in training/resume.py, the script in export/script.py. Three public
API endpoints (docs/api.md): ``load_weights`` (a file → the new run's status), ``open_pretrained`` (a shipped model's
key → the new run's status) and ``export_code`` (a model key → the script's text). Every refusal is one sentence in
the visitor's language (i18n/*/zoo.json), never a path or a class.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import time
from pathlib import Path

import gradio as gr

from ..data.datasets import DataError
from ..export.script import ExportError, exportable, script_for
from ..i18n import t
from ..models import kinds
from ..training import resume
from ..training.runs import RunError
from ..training.settings import SettingError
from ..training.zoo import checkpoint_dir, pretrained, resolve, short_name
from .common import fresh_choices
from .context import UIContext
from .lang import L
from .train_actions import TrainActions, said

CODE_ROOT = Path(tempfile.gettempdir()) / "genai_demo_code"  # one folder per session, the latest script only
CODE_KEEP_S = 3600  # a script not re-shown for an hour goes (the visitor's leaving removes it at once: forget_code)
log = logging.getLogger(__name__)


def code_dir(session: str) -> Path:
    return CODE_ROOT / hashlib.sha256(session.encode()).hexdigest()[:24]  # hashed: a session id must not name a path


def forget_code(session: str) -> None:
    shutil.rmtree(code_dir(session), ignore_errors=True)


def _sweep(now: float) -> None:
    """Drop other visitors' scripts older than CODE_KEEP_S (tabs closed without an unload reaching us)."""
    for d in CODE_ROOT.iterdir() if CODE_ROOT.is_dir() else []:
        try:
            if now - d.stat().st_mtime > CODE_KEEP_S:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass


def _size(key: str) -> float:
    """A shipped model's file size in bytes (inf when it has gone since it was listed)."""
    try:
        return (checkpoint_dir() / f"{key.split(':', 1)[1]}.safetensors").stat().st_size
    except OSError:
        return float("inf")


class ZooActions:
    def __init__(self, ctx: UIContext, train: TrainActions):
        self.ctx, self.train = ctx, train

    def _refused(self, e: Exception, lang: str) -> gr.Error:
        """One sentence in the visitor's language: the file's problem, a bad setting in its header, or the server's."""
        key = getattr(e, "key", None)
        if isinstance(e, (resume.ResumeError, ExportError)) and key:
            return gr.Error(t(key, lang, **dict(getattr(e, "values", {}) or {})))
        if isinstance(e, SettingError):
            return gr.Error(t("zoo_err_settings", lang, error=said(e, lang)))
        return gr.Error(said(e, lang))  # RunError (server full, …), DataError: their own sentences

    # ---- load weights back ----------------------------------------------------------------------
    def load(self, file, steps=None, request: gr.Request = None) -> dict:
        """A saved .safetensors → the caller's newest run, paused at its saved step; returns that run's status."""
        path = getattr(file, "path", None) or (file.get("path") if isinstance(file, dict) else file)
        if not isinstance(path, str | Path) or not Path(path).is_file():
            raise gr.Error(t("zoo_err_no_file", self.ctx.lang(request)))
        return self._adopt(path, steps, request)

    def shipped(self, request: gr.Request = None) -> list[tuple[str, str]]:
        """The shipped models a visitor can open as a run: the Train tab's families, on data this server has, in files
        no bigger than an upload (what a visitor saves of the run must load back: not the 22 MB Fashion GAN)."""
        found = pretrained(kinds(view="train"), self.ctx.lang(request))
        return [(s.label, s.key) for s in found if s.data in self.train.datasets and _size(s.key) <= resume.MAX_UPLOAD_BYTES]

    def open_pretrained(self, model: str, steps=None, request: gr.Request = None) -> dict:
        """A shipped model (e.g. "pretrained:gan_mnist5k") → the caller's newest run, paused at the file's step with its
        curves; returns that run's status. Only the listed keys: a key never names a path."""
        if not isinstance(model, str) or model not in {key for _, key in self.shipped(request)}:
            raise gr.Error(t("zoo_open_pick", self.ctx.lang(request)))
        return self._adopt(checkpoint_dir() / f"{model.split(':', 1)[1]}.safetensors", steps, request)

    def _adopt(self, path, steps, request) -> dict:
        sid, lang = self.ctx.session(request), self.ctx.lang(request)
        try:
            self.ctx.registry.room_for(sid, self.ctx.client(request))  # a refusal reads no file
            loaded = resume.read(path, kinds(view="train"), self.train.datasets,
                                 steps, self.ctx.registry.max_steps)
            run = self.ctx.registry.adopt(sid, lambda **budget: resume.trainer(loaded, **budget), client=self.ctx.client(request))
        except (resume.ResumeError, ValueError, RunError, DataError) as e:
            log.info("load_weights refused: %s", e)
            raise self._refused(e, lang) from None
        return self.train._status(run)

    def on_upload(self, file, steps, request: gr.Request):
        """The upload box: load, then point the Train tab's form at the run (Start resumes it) and say what it is."""
        return *self._said(self.load(file, steps, request), request), gr.File(value=None)

    def on_open(self, model, steps, request: gr.Request):
        """The shipped-model picker's button: as an upload of that file."""
        return self._said(self.open_pretrained(model, steps, request), request)

    def _said(self, d: dict, request) -> tuple:
        """The status line and the Train tab's form (model, data, seed, full size) for the run just adopted."""
        lang = self.ctx.lang(request)
        run = self.ctx.registry.get(self.ctx.session(request), d["run_id"])
        line = t("zoo_loaded", lang, model=short_name(run.cfg.kind, lang), data=run.cfg.data, step=f"{d['step']:,}",
                 total=f"{d['total']:,}", run=run.id)
        return line, run.cfg.kind, run.cfg.data, run.cfg.seed, False

    # ---- show as code ---------------------------------------------------------------------------
    def choices(self, request: gr.Request = None) -> list[tuple[str, str]]:
        """The visitor's runs and the shipped models a script can be written for."""
        sid = getattr(request, "session_hash", None)
        found = [(label, key) for label, key in self.ctx.model_choices(request, kinds(view="train"))]
        keep = []
        for label, key in found:
            try:
                _, src = resolve(key, sid, self.ctx.registry)
            except (ValueError, RunError):
                continue
            if exportable(src.kind, src.data):
                keep.append((label, key))
        return keep

    def code(self, model: str, request: gr.Request = None) -> str:
        """The standalone PyTorch script (torch + numpy only) that trains `model` (a run or a shipped one) as it was."""
        return self._script(model, request)[0]

    def _script(self, model, request) -> tuple[str, str]:
        """(the script, its file name)."""
        lang = self.ctx.lang(request)
        sid = getattr(request, "session_hash", None)
        if not isinstance(model, str) or len(model) > 200:
            raise gr.Error(t("zoo_code_pick", lang))
        try:
            m, src = resolve(model, sid, self.ctx.registry)
        except (ValueError, RunError):
            raise gr.Error(t("zoo_code_pick", lang)) from None
        if model.startswith("run:"):
            run = self.ctx.registry.get(sid, model.split(":", 1)[1])
            snap = run.trainer.snapshot()
            args = dict(hyper=vars(snap.hp), steps=run.cfg.steps, seed=run.cfg.seed, origin=f"run {run.id}")
        else:
            from ..training.zoo import load_pretrained
            meta = load_pretrained(model.split(":", 1)[1])[1]["meta"]
            hyper = meta.get("hyper") if isinstance(meta.get("hyper"), dict) else {}
            args = dict(hyper=hyper, steps=int(meta.get("steps", 1000)), seed=int(meta.get("seed", 0)),
                        origin=f"the shipped checkpoint {model.split(':', 1)[1]}", recipe="recipe" in meta)
        try:
            return script_for(src.kind, src.data, m.config_dict(), **args), f"{src.kind}_{src.data}.py"
        except (ExportError, ValueError, TypeError) as e:
            raise self._refused(e if isinstance(e, ExportError) else ExportError(str(e)), lang) from None

    def on_show(self, model, request: gr.Request):
        text, name = self._script(model, request)
        _sweep(time.time())
        folder = code_dir(self.ctx.session(request))
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink(missing_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
        return gr.Code(value=text, visible=True), gr.File(value=str(folder / name), visible=True)


def build(ctx: UIContext, train: TrainActions, form: dict) -> ZooActions:
    """The panel, inside the Train tab; `form` holds the tab's model / data / seed / full-size / steps components."""
    z = ZooActions(ctx, train)
    gr.set_static_paths([CODE_ROOT])
    CODE_ROOT.mkdir(parents=True, exist_ok=True)
    with gr.Accordion(L("zoo_title"), open=False, elem_id="zoo-panel") as panel:
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=300):
                limit = resume.MAX_UPLOAD_BYTES >> 20
                ctx.translated(gr.Markdown(t("zoo_load_intro", "en", limit=limit), elem_id="zoo-load-intro"),
                               lambda lang: t("zoo_load_intro", lang, limit=limit))
                upload = gr.File(label=L("zoo_load"), file_types=[".safetensors"], elem_id="zoo-upload", height=110)
                with gr.Row(equal_height=True):
                    ship = gr.Dropdown(z.shipped(), label=L("zoo_open_model"), elem_id="zoo-open-model", scale=3)
                    open_btn = gr.Button(L("zoo_open_btn"), elem_id="zoo-open", scale=1)
                loaded = gr.Markdown("", elem_id="zoo-load-status")
            with gr.Column(scale=3, min_width=340):
                ctx.translated(gr.Markdown(t("zoo_code_intro", "en"), elem_id="zoo-code-intro"),
                               lambda lang: t("zoo_code_intro", lang))
                with gr.Row(equal_height=True):
                    pick = gr.Dropdown(z.choices(), label=L("zoo_code_model"), elem_id="zoo-code-model", scale=3)
                    show = gr.Button(L("zoo_code_btn"), variant="primary", elem_id="zoo-code-show", scale=1)
                download = gr.File(label=L("zoo_code_file"), visible=False, interactive=False, elem_id="zoo-code-file",
                                   height=84)  # the label badge and one file row, its bottom edge included
        code = gr.Code(language="python", visible=False, interactive=False, max_lines=30, label=L("zoo_code_label"),
                       elem_id="zoo-code")
    # the API twin of the upload box: a file in, the run's status out (no form to update)
    api_file, api_out = gr.File(visible=False), gr.JSON(visible=False)

    def refresh(current, shipped, request: gr.Request):  # the runs come and go; the labels follow the language
        return fresh_choices(z.choices(request), current), fresh_choices(z.shipped(request), shipped)

    def newest(current, request: gr.Request):  # after an upload: the loaded run, listed first
        found = z.choices(request)
        return gr.Dropdown(choices=found, value=found[0][1] if found else None)

    def on_upload(file, steps, request: gr.Request):
        return z.on_upload(file, steps, request)

    def on_show(model, request: gr.Request):
        return z.on_show(model, request)

    def on_open(model, steps, request: gr.Request):
        return z.on_open(model, steps, request)

    def load_weights(file, request: gr.Request):
        return z.load(file, None, request)

    def open_pretrained(model: str, request: gr.Request) -> dict:
        """A shipped model's key, e.g. "pretrained:gan_mnist5k" → your new run's status (paused at the file's step)."""
        return z.open_pretrained(model, None, request)

    private = {"api_visibility": "private"}
    upload.upload(on_upload, [upload, form["steps"]], [loaded, form["model"], form["data"], form["seed"],
                                                        form["full_size"], upload], concurrency_limit=2, **private)
    open_btn.click(on_open, [ship, form["steps"]], [loaded, form["model"], form["data"], form["seed"], form["full_size"]],
                   concurrency_limit=2, **private)
    panel.expand(refresh, [pick, ship], [pick, ship], concurrency_limit=None, show_progress="hidden", **private)
    loaded.change(newest, pick, pick, concurrency_limit=None, show_progress="hidden", **private)
    show.click(on_show, pick, [code, download], concurrency_limit=4, **private)
    api_file.upload(load_weights, api_file, api_out, api_name="load_weights", concurrency_limit=2)
    gr.api(open_pretrained, api_name="open_pretrained", concurrency_limit=2)
    gr.api(z.code, api_name="export_code", concurrency_limit=4)
    return z
