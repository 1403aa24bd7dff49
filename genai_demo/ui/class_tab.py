"""Class tab: the teacher's view of every student's run, present only when the operator set a teacher code.

Without env GENAI_DEMO_TEACHER_CODE the tab is not built at all (ui/app.py asks ``enabled()``). With it, the tab
shows a code field; the rest stays hidden, and every handler — the refresh, pause all, resume all, stop one —
refuses a session that has not given the code (ui/teacher_gate.py: constant-time compare, wrong guesses
rate-limited per client address). All its events are private (not in the API page), and they are still checked,
because a script can call any event through the queue protocol. The refresh only reads published snapshots
(ui/class_view.py): it never runs a model.
"""
from __future__ import annotations

import gradio as gr

from ..i18n import t
from . import class_view as CV
from .context import UIContext
from .lang import L
from .teacher_gate import TeacherGate, teacher_code

REFRESH_S = 2.0  # the tiles' refresh: a class of 30 changes slowly, and each refresh sends every tile's picture


def enabled() -> bool:
    return bool(teacher_code())


def _address(request) -> str:
    """The raw client address (private ones too: a classroom's NAT address still gets one allowance of guesses)."""
    return str(getattr(getattr(request, "client", None), "host", "") or "")


class ClassActions:
    """The Class tab's handlers as plain methods (tests call them with a stand-in request)."""

    def __init__(self, ctx: UIContext, gate: TeacherGate):
        self.ctx, self.gate = ctx, gate

    def _check(self, request) -> str:
        """The caller's language, or gr.Error when this session has not given the code."""
        lang = self.ctx.lang(request)
        if not self.gate.unlocked(getattr(request, "session_hash", None)):
            raise gr.Error(t("class_locked", lang))
        return lang

    def unlock(self, code, request) -> str:
        lang = self.ctx.lang(request)
        outcome = self.gate.try_code(self.ctx.session(request), _address(request), code)
        if outcome == "blocked":
            minutes = max(1, round(self.gate.wait_s(_address(request)) / 60))
            raise gr.Error(t("class_too_many", lang, minutes=minutes))
        if outcome != "ok":
            raise gr.Error(t("class_wrong", lang))
        return t("class_unlocked", lang)

    def view(self, request) -> dict:
        """{"summary", "tiles", "choices"}: the class as the teacher sees it now."""
        lang = self._check(request)
        reg = self.ctx.registry
        runs = reg.all_runs()
        statuses = [s if s != "idle" else "queued" for s in (reg.status(r) for r in runs)]
        choices = [(f"{CV.name_of(r, i, lang)} · {r.id}", r.id) for i, (r, s) in enumerate(zip(runs, statuses, strict=True))
                   if s not in CV.ENDED]
        return {"summary": CV.summary(statuses, lang), "tiles": CV.class_html(runs, statuses, lang), "choices": choices}

    def pause_all(self, request) -> str:
        lang = self._check(request)
        return t("class_paused_n", lang, n=self.ctx.registry.pause_all())

    def resume_all(self, request) -> str:
        lang = self._check(request)
        return t("class_resumed_n", lang, n=self.ctx.registry.resume_all())

    def stop(self, run_id, request) -> str:
        lang = self._check(request)
        runs = self.ctx.registry.all_runs()
        index = next((i for i, r in enumerate(runs) if r.id == run_id), None) if isinstance(run_id, str) else None
        if index is None or self.ctx.registry.stop_any(run_id) is None:
            raise gr.Error(t("class_stop_missing", lang))
        return t("class_stopped", lang, name=CV.name_of(runs[index], index, lang))

    def forget(self, session: str) -> None:
        self.gate.forget(session)


def build(ctx: UIContext) -> ClassActions:
    """Lay out the tab inside the current gr.Tab and wire it (call only when enabled())."""
    a = ClassActions(ctx, TeacherGate(teacher_code()))
    ctx.translated(gr.Markdown(t("class_intro"), elem_id="class-intro"), lambda lang: t("class_intro", lang))
    with gr.Row(equal_height=True):
        code = gr.Textbox("", type="password", label=L("class_code"), max_length=200, max_lines=1, elem_id="class-code",
                          scale=3)
        unlock = gr.Button(L("class_unlock"), variant="primary", elem_id="class-unlock", scale=1)
    note = gr.Markdown("", elem_id="class-note")
    with gr.Column(visible=False, elem_id="class-panel") as panel:
        with gr.Row(equal_height=True):
            pause_all = gr.Button(L("class_pause_all"), elem_id="class-pause-all")
            resume_all = gr.Button(L("class_resume_all"), elem_id="class-resume-all")
            # custom values allowed: the handler checks the id itself (the choices change with every refresh)
            pick = gr.Dropdown([], label=L("class_stop_pick"), elem_id="class-pick", scale=2, allow_custom_value=True)
            stop = gr.Button(L("class_stop"), variant="stop", elem_id="class-stop")
        summary = gr.Markdown("", elem_id="class-summary")
        tiles = gr.HTML("", elem_id="class-tiles")
    timer = gr.Timer(REFRESH_S, active=False)
    shown = gr.State({})  # per teacher page: what it shows, so an unchanged class sends nothing
    private = {"api_visibility": "private", "show_progress": "hidden"}

    def on_unlock(value, request: gr.Request):
        return a.unlock(value, request), "", gr.update(visible=True), gr.Timer(active=True)

    def on_refresh(before, request: gr.Request):
        now = a.view(request)
        before = before or {}
        out = [gr.skip() if now[k] == before.get(k) else v for k, v in (("summary", now["summary"]),
               ("tiles", now["tiles"]), ("choices", gr.Dropdown(choices=now["choices"])))]
        return *out, now

    def on_pause_all(request: gr.Request):
        return a.pause_all(request)

    def on_resume_all(request: gr.Request):
        return a.resume_all(request)

    def on_stop(run_id, request: gr.Request):
        return a.stop(run_id, request)

    # the code check is one at a time for everyone: guessing cannot be parallelised; the rest is cheap and read-only
    unlock.click(on_unlock, code, [note, code, panel, timer], concurrency_limit=1, **private).then(
        on_refresh, shown, [summary, tiles, pick, shown], concurrency_limit=None, **private)
    code.submit(on_unlock, code, [note, code, panel, timer], concurrency_limit=1, **private)
    timer.tick(on_refresh, shown, [summary, tiles, pick, shown], concurrency_limit=None, **private)
    for button, fn in ((pause_all, on_pause_all), (resume_all, on_resume_all)):
        button.click(fn, None, note, concurrency_limit=2, **private)
    stop.click(on_stop, pick, note, concurrency_limit=2, **private)
    return a
