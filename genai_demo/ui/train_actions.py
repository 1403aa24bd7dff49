"""The Train tab's handlers as plain methods: start / pause / step / reset / save / status, per visitor.

Every method takes the caller's ``request`` (anything with a ``session_hash``) and goes through the run
registry with that session, so a visitor only ever reaches their own runs. Problems reach the visitor
as ``gr.Error`` with one readable sentence (a toast in the browser, an exception in gradio_client),
never a stack trace. The same methods back the buttons and the public API endpoints.
"""
from __future__ import annotations

import functools
import logging
import math
import threading
import time

import gradio as gr

from ..data import own_store
from ..data.datasets import FASHION_DIR, DataError, mnist_cache_dir
from ..data.text import corpus_names
from ..i18n import t
from ..models import family, kinds
from ..models.family import KNOBS
from ..training import curves_io, factory
from ..training.checkpoints import CheckpointError
from ..training.classroom import clean_nickname
from ..training.runs import Run, RunError
from ..training.settings import LIMITS, SettingError, check, checked
from . import saves
from . import train_view as V
from .context import UIContext
from .messages import inform, shown, warn
from .train_form import OpeningSeeds

REAP_EVERY_S = 30.0  # the status poll frees idle sessions at most this often
log = logging.getLogger(__name__)
ENDED = ("finished", "stopped", "failed")
CONFIRM_S = 8.0  # Reset's second press must come this soon after the first


def resumes(cfg, form: dict) -> bool:
    """Whether Start with this form resumes the paused run of config `cfg`: same model, data and seed (and size).
    A form value that is None (not known to the caller) does not count as a change."""
    def same(name, have):
        return form.get(name) is None or form.get(name) == have
    return same("model", cfg.kind) and same("data", cfg.data) and same("seed", cfg.seed) and (
        family(cfg.kind).light is None or form.get("full_size") is None
        or (cfg.model_config is None) == bool(form.get("full_size")))


def said(e: Exception, lang: str) -> str:
    """A settings or run error in the visitor's language (English: the sentence as the lower layer wrote it)."""
    if lang == "en" or not getattr(e, "key", None):
        return str(e)
    values = dict(e.values)
    if isinstance(e, SettingError) and "name" in values:  # the setting's name as the Train tab labels it
        values["name"] = t(HYPER_KEYS.get(values["name"], f"train_{values['name']}"), lang)
    return t(e.key, lang, **values)


HYPER_KEYS = {"lr": "train_lr", "batch_size": "train_batch", "beta": "train_beta", "d_steps": "train_dsteps"}  # names


class TrainActions:
    def __init__(self, ctx: UIContext, datasets: list[str] | None = None):
        self.ctx = ctx
        self.datasets = list(datasets or V.available_datasets(FASHION_DIR, mnist_cache_dir()))
        # the text corpora ship inside the package: always there, for the tiny GPT
        self.datasets += [c for c in corpus_names() if c not in self.datasets]
        self._last_reap = time.monotonic()
        self._reap_lock = threading.Lock()
        self._armed: dict[str, tuple[str, float]] = {}  # session → (run id, when Reset was first pressed)
        self.seeds = OpeningSeeds(ctx.registry)  # the Seed field's opening value, agreed with an early Start

    def forget(self, session: str) -> None:
        """The visitor left (ui/app.py's release): what this object kept for them goes."""
        self._armed.pop(session, None)
        self.seeds.forget(session)

    # ---- helpers ------------------------------------------------------------------------------
    def datasets_of(self, session: str | None) -> list[str]:
        """What this visitor may train on: the shared data sets plus their own uploads (data/own_store.py)."""
        return self.datasets + own_store.STORE.names(session)

    def _run(self, request, must_exist: bool = True) -> Run | None:
        sid = self.ctx.session(request)
        try:
            return self.ctx.registry.get(sid)
        except RunError as e:
            if must_exist:
                raise gr.Error(said(e, self.ctx.lang(request))) from None
            return None

    def _status(self, run: Run | None) -> dict:
        if run is None:
            return V.status_dict()
        reg = self.ctx.registry
        return V.status_dict(run, run.trainer.snapshot(), reg.queue_position(run), reg.pace(run))

    def _refuse_if_ended(self, run: Run, doing: str, request=None) -> None:
        state = run.trainer.state
        if state in ENDED:
            lang = self.ctx.lang(request)
            raise gr.Error(t("train_err_ended", lang, state=t(f"state_{state}", lang), doing=t(f"train_doing_{doing}", lang)))

    def maybe_reap(self) -> None:
        """Free idle sessions (and their old saves) now and then; called from the cheap status poll."""
        now = time.monotonic()
        if now - self._last_reap < REAP_EVERY_S or not self._reap_lock.acquire(blocking=False):
            return
        try:
            self._last_reap = now
            self.ctx.registry.reap()
            own_store.STORE.reap()  # own images / text of visitors gone idle
            saves.reap_saves(self.ctx.registry.idle_s)
        finally:
            self._reap_lock.release()

    # ---- actions (the API endpoints call exactly these) ---------------------------------------
    def train(self, model: str = "vae", data: str | None = None, steps: int = 500, lr: float | None = None,
              batch_size: int | None = None, beta: float | None = None, d_steps: int | None = None, seed: int = 0,
              full_size: bool = False,
              preset: str | None = None, nickname: str | None = None, request: gr.Request = None) -> dict:
        """Start a new training run for the caller (stopping their previous one); returns its status.
        data None: the model's own data set ("mnist5k" for the image models, "names" for the tiny GPT "charlm");
        lr, batch_size, beta, d_steps None: the model's own. preset "class": the family's class preset (its narrower
        layers; its settings for any left None), else the articles'. nickname: shown on the teacher's Class tab."""
        form = {"model": model, "data": data, "steps": steps, "lr": lr, "batch_size": batch_size, "beta": beta,
                "d_steps": d_steps, "seed": seed, "full_size": full_size, "preset": preset, "nickname": nickname}
        return self.start_run(form, request)

    def start_run(self, form: dict, request) -> dict:
        """A run from the settings of the Train tab's form or the API (names as in training.settings.checked)."""
        sid = self.ctx.session(request)
        data = form.get("data")
        if own_store.is_own(data) and data not in own_store.STORE.names(sid):  # freed, replaced, or someone else's
            lang = self.ctx.lang(request)
            raise gr.Error(t("train_err_start", lang, error=t("own_err_gone", lang)))
        nickname = clean_nickname(form.get("nickname"))  # for the teacher's Class tab; not a training setting
        try:
            settings = checked(form, kinds=kinds(view="train"), datasets=self.datasets_of(sid),
                               max_steps=self.ctx.registry.max_steps)
            # a visitor's own data set is found for its owner only (the factory checks the session again)
            maker = functools.partial(factory.make_own_trainer, owner=sid) if own_store.is_own(settings.data) else None
            run = self.ctx.registry.start(sid, settings, maker, client=self.ctx.client(request))
        except (ValueError, RunError, DataError) as e:
            lang = self.ctx.lang(request)
            raise gr.Error(t("train_err_start", lang, error=said(e, lang))) from None
        run.nickname = nickname
        return self._status(run)

    def status(self, request: gr.Request = None) -> dict:
        """The caller's current run: state, step, total, last metrics, steps/s, ETA, queue position, error."""
        self.maybe_reap()
        return self._status(self._run(request, must_exist=False))

    def pause(self, request: gr.Request = None) -> dict:
        """Pause the caller's run after its current step (a queued run leaves the queue, paused)."""
        run = self._run(request)
        self._refuse_if_ended(run, "pause", request)
        self.ctx.registry.pause(run.session, run.id)
        return self._status(run)

    def resume(self, request: gr.Request = None) -> dict:
        """Resume the caller's paused run (it may wait in the queue for a free training slot)."""
        run = self._run(request)
        self._refuse_if_ended(run, "resume", request)
        self.ctx.registry.resume(run.session, run.id)
        return self._status(run)

    def step(self, n: int = 1, request: gr.Request = None) -> dict:
        """Run n more steps (1–1000) and stay paused; pauses a running run first."""
        run = self._run(request)
        self._refuse_if_ended(run, "step", request)
        if isinstance(n, bool) or not isinstance(n, int | float) or not math.isfinite(n) or n != int(n):  # int(nan) raises
            raise gr.Error(t("train_err_step_count", self.ctx.lang(request), got=shown(n)))
        try:
            self.ctx.registry.step(run.session, int(n), run.id)
        except RunError as e:
            raise gr.Error(said(e, self.ctx.lang(request))) from None
        return self._status(run)

    def stop(self, request: gr.Request = None) -> dict:
        """Stop the caller's run for good; its weights stay usable in the other tabs."""
        run = self._run(request)
        self.ctx.registry.stop(run.session, run.id)
        return self._status(run)

    # ---- UI-only actions ----------------------------------------------------------------------
    def start_or_resume(self, form: dict, request) -> None:
        """The Start button: resume a paused run with the same model / data / seed (and size), otherwise a new run —
        said out loud when it replaces a paused run, so a changed model never silently restarts at step 0."""
        run = self._run(request, must_exist=False)
        if run is not None and run.trainer.state == "paused":
            if resumes(run.cfg, form):
                self.ctx.registry.resume(run.session, run.id)
                run.nickname = clean_nickname(form.get("nickname"))
                return
            self.start_run(form, request)  # refused settings raise before anything is said
            lang = self.ctx.lang(request)
            warn(t("walk_new_run", lang, old=V.model_name(run.cfg.kind, lang), step=f"{run.trainer.snapshot().step:,}",
                   new=V.model_name(form.get("model"), lang)), lang)
            return
        self.start_run(form, request)

    def reset(self, request) -> None:
        """Stop the current run and forget it (the visitor's older runs stay)."""
        run = self._run(request)
        self._armed.pop(run.session, None)
        self.ctx.registry.discard(run.session, run.id)
        inform(t("train_discarded", self.ctx.lang(request)), self.ctx.lang(request))

    def reset_click(self, request) -> bool:
        """The Reset button asks first: the first press arms it ("Really discard?"), a second press on the same run
        within CONFIRM_S discards it. Returns whether the run was discarded. Server-side, so it works the same with
        the keyboard (Enter twice), in tests and with any number of tabs."""
        run = self._run(request)
        armed = self._armed.get(run.session)
        if armed is not None and armed[0] == run.id and time.monotonic() - armed[1] < CONFIRM_S:
            self.reset(request)
            return True
        self._armed[run.session] = (run.id, time.monotonic())
        return False

    def reset_armed(self, request) -> bool:
        """Whether the visitor's Reset waits for its confirming second press (the tick shows it on the button)."""
        sid = getattr(request, "session_hash", None)
        armed = self._armed.get(sid) if sid else None
        if armed is None:
            return False
        run = self.ctx.registry.current(sid)
        if run is None or run.id != armed[0] or time.monotonic() - armed[1] >= CONFIRM_S:
            self._armed.pop(sid, None)
            return False
        return True

    def set_hyper(self, name: str, value, request) -> None:
        """Apply one edited hyper-parameter to the running / paused run, between two steps."""
        run = self._run(request, must_exist=False)
        if run is None or run.trainer.state in ENDED:
            return  # nothing is training: the new value is simply used by the next Start
        if name in KNOBS and name not in family(run.cfg.kind).knobs:
            return  # the control belongs to another family; it is hidden for this one
        try:
            value = check(name, value)
        except ValueError as e:
            raise gr.Error(said(e, self.ctx.lang(request))) from None
        if getattr(run.trainer.snapshot().hp, name) == value:
            return  # e.g. the field lost focus without an edit: nothing to announce
        run.trainer.set_hyper(**{name: value})
        lang = self.ctx.lang(request)
        label = t(HYPER_KEYS[name], lang) if name in HYPER_KEYS and lang != "en" else LIMITS[name].label
        inform(t("train_hyper_applied", lang, name=label, value=f"{value:g}"), lang)

    def save(self, request) -> str:
        """Write the run's latest frozen weights to a per-session file; returns its path. The page downloads it from
        there (SAVE_ROOT is a static path: no copy in Gradio's cache, one file per visitor on disk)."""
        run = self._run(request)
        snap = run.trainer.snapshot()
        if snap.model is None or snap.model_step == 0:
            raise gr.Error(t("train_err_nothing_to_save", self.ctx.lang(request)))
        name = f"{run.cfg.kind}_{run.cfg.data}_step{snap.model_step}.safetensors"
        meta = {"data": run.cfg.data, "steps": snap.model_step, "seed": run.cfg.seed, "hyper": V.status_dict(
            run, snap)["hyper"], "final_metrics": {k: round(v, 5) for k, v in snap.last.items() if k != "step"},
            "curves": curves_io.pack(snap.history, snap.evals, snap.model_step), "source": "genai-demo Train tab"}
        try:
            saved = saves.save_latest(run.session, name, snap.model, meta)
        except CheckpointError as e:  # disk full, …: the previous save is still there
            log.warning("save for %s failed: %s", saves.save_dir(run.session).name, e)
            lang = self.ctx.lang(request)
            reason = getattr(e.__cause__, "strerror", None) or t("train_err_write", lang)
            raise gr.Error(t("train_err_save", lang, reason=reason)) from None
        return str(saved)
