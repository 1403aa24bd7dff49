"""What a visitor may read in an error: one short sentence, never a server path, an exception class name or their
own input echoed back at length (the detail goes to the server log).

Handlers already raise ``gr.Error`` with a readable sentence; this is the net under them. Gradio sends the text of
every failed event through one function, ``gradio.utils.error_payload`` (queued events, ``/run/predict`` and the
``/call`` API alike), and has no hook for it, so ``install()`` wraps that function: the sentence is scrubbed, and
an exception that is not a ``gr.Error`` (Gradio's own "Could not preprocess …" with the raw ``TypeError`` inside,
a bug) is logged whole and replaced by a plain sentence, in the visitor's language: ``install()`` also notes which
session each queued event belongs to (a context variable set around Gradio's ``Queue.process_events``), and the
UIContexts registered with ``listen()`` know each session's language (API callers: English).

A toast's title ("Error", "Warning", "Info") is in the visitor's language too: the net sets it on every error
payload, ``warn`` / ``inform`` pass it to gr.Warning / gr.Info. Gradio 6.31's page ignores that title (it shows the
toast's type capitalised, in English), so ``lang.page_words_head`` puts the catalogue's word there in the page.
"""
from __future__ import annotations

import logging
import re
import weakref
from contextvars import ContextVar

from ..i18n import t

log = logging.getLogger(__name__)

MAX_CHARS = 300  # longer messages are cut: nothing a handler says needs more
MAX_QUOTED = 40  # a quoted value ('…' / "…") longer than this is shown cut: it is the visitor's input coming back
# /tmp/genai_demo_saves/ab12/x.safetensors → x.safetensors (not after "http:" or a word: URLs and "1/2" stay)
_PATH = re.compile(r"(?<![\w:/.])(?:/[\w.+@-]+)+/([\w.+@-]*)")
# RuntimeError: … / (OSError) / safetensors_rust.SafetensorError → gone; "gr.Error" never appears in our messages
_NAME = r"\b(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit|Interrupt)\b"
_EXC = re.compile(rf"\s?\({_NAME}\)|{_NAME}:?\s?")
_QUOTED = re.compile(rf"""(['"])([^'"\n]{{{MAX_QUOTED + 1},}})\1""")
_LONG_WORD = re.compile(rf"\S{{{MAX_QUOTED + 21},}}")  # no word of ours is 60 characters long: an echo
INTERNAL = "err_internal"  # catalogue keys (i18n/<lang>/server.json)
BAD_VALUE = "err_bad_value"
NOT_A_CHOICE = "err_not_a_choice"
INPUT_COUNT = "err_input_count"
TITLES = {"error": "toast_error", "warning": "toast_warning", "info": "toast_info", "success": "toast_success"}
# Gradio's own refusals a script provokes, in English with Python's type names: a Radio / Dropdown / CheckboxGroup
# value outside its choices (a gr.Error from the component's preprocess: "Value: 'x' (type: <class 'str'>) is not in
# the list of choices: [...]"), and too few input values for an event (a ValueError from Blocks.validate_inputs)
_CHOICE = re.compile(r"Value: (.*?)(?: \(type: <class '[\w.]+'>\))? is not in the list of choices: ", re.S)
_COUNT = re.compile(r"didn't receive enough input values \(needed: (\d+), got: (\d+)\)")
# and a gr.Number's bounds (its preprocess: "Value 6000 is greater than maximum value 5000.")
_RANGE = re.compile(r"Value (\S{1,40}) is (greater than maximum|less than minimum) value (\S{1,40})\.$")
_session: ContextVar[str | None] = ContextVar("genai_demo_event_session", default=None)  # the queued event's visitor
_contexts: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # id → a UIContext listen() registered


def listen(ctx) -> None:
    """Let the net say its sentences in the languages `ctx` keeps for its visitors (ctx.langs: session → language)."""
    _contexts[id(ctx)] = ctx


def language() -> str:
    """The language of the visitor whose queued event is being answered; English when unknown (an API caller)."""
    sid = _session.get()
    for ctx in list(_contexts.values()):
        lang = ctx.langs.get(sid) if sid else None
        if lang:
            return lang
    return "en"


def visitor_message(text: object) -> str:
    """``text`` as a visitor may see it: its first line, without paths or exception names, long quotes cut."""
    lines = [s.strip() for s in str(text)[:100_000].splitlines() if s.strip()]  # the gist is at the start
    if not lines:
        return ""
    s = _QUOTED.sub(lambda m: f"{m[1]}{m[2][:MAX_QUOTED]}…{m[1]}", lines[0])
    s = _LONG_WORD.sub(lambda m: m[0][:MAX_QUOTED] + "…", _PATH.sub(r"\1", s))
    s = _EXC.sub("", s[: MAX_CHARS * 4]).strip(" :")  # cut first: the class-name pattern backtracks per word
    return s if len(s) <= MAX_CHARS else s[: MAX_CHARS - 1].rstrip() + "…"


def told(e: Exception, lang: str) -> str:
    """A lower layer's refusal in `lang`: RunError, SettingError, DataError and ToyError carry a catalogue key and its
    values; an exception without one keeps its own (English) sentence."""
    key = getattr(e, "key", None)
    return t(key, lang, **getattr(e, "values", {})) if key else str(e)


def shown(value: object) -> str:
    """A visitor's value quoted in a message: its repr, cut to MAX_QUOTED characters (a 5 MB string is not echoed)."""
    r = repr(value) if not isinstance(value, str) or len(value) <= MAX_QUOTED else repr(value[:MAX_QUOTED]) + "…"
    return r if len(r) <= MAX_QUOTED + 3 else r[:MAX_QUOTED] + "…"


def warn(message: str, lang: str = "en") -> None:
    """gr.Warning(message) titled in the visitor's language."""
    import gradio as gr

    gr.Warning(message, title=t(TITLES["warning"], lang))


def inform(message: str, lang: str = "en") -> None:
    """gr.Info(message) titled in the visitor's language."""
    import gradio as gr

    gr.Info(message, title=t(TITLES["info"], lang))


def _cut(text: str) -> str:
    return text if len(text) <= MAX_QUOTED else text[:MAX_QUOTED] + "…"


def _component(text: str, lang: str = "en") -> str:
    """ "Could not preprocess input component at index 2 (a `Number` component) …" → "input 3 (a Number)"."""
    m = re.search(r"(input|output) component at index (\d+) \(a `(\w+)` component\)", text)
    return t(f"err_bad_value_{m[1]}", lang, n=int(m[2]) + 1, kind=m[3]) if m else t("err_bad_value_some", lang)


def scrub_payload(error: BaseException | None, content: dict) -> dict:
    """Gradio's error payload for ``error``, with a message a visitor may read; the original goes to the log."""
    from gradio.exceptions import ComponentProcessingError, Error

    if error is None:
        return content
    lang = language()
    content["title"] = t(TITLES["error"], lang)
    if isinstance(error, Error):
        choice, bound = _CHOICE.match(str(error.message)), _RANGE.match(str(error.message))
        if choice:
            content["error"] = t(NOT_A_CHOICE, lang, got=visitor_message(_cut(choice[1])))
        elif bound:
            key = "err_above_max" if bound[2].startswith("greater") else "err_below_min"
            content["error"] = t(key, lang, got=bound[1], bound=bound[3])
        else:
            content["error"] = visitor_message(error.message)
        return content
    count = _COUNT.search(str(error)) if isinstance(error, ValueError) else None
    if count:  # a script's malformed call, not a bug: one line in the log, no traceback
        log.info("event refused: %s", str(error).splitlines()[0])
        content["error"] = t(INPUT_COUNT, lang, needed=count[1], got=count[2])
        content["visible"] = True
        return content
    log.warning("event failed: %s", error, exc_info=error)
    if isinstance(error, ComponentProcessingError):  # Gradio's own input conversion (a list sent for a number, …)
        content["error"] = t(BAD_VALUE, lang, what=_component(str(error), lang))
    else:
        content["error"] = t(INTERNAL, lang)
    content["visible"] = True
    return content


def install() -> None:
    """Route every error Gradio sends to a visitor through ``scrub_payload`` (idempotent)."""
    import gradio.queueing
    import gradio.utils

    original = gradio.utils.error_payload
    if getattr(original, "_scrubbed", False):
        return

    def error_payload(error, show_error):
        return scrub_payload(error, original(error, True))

    error_payload._scrubbed = True
    gradio.utils.error_payload = error_payload  # routes.py (/run/predict, /call) looks it up here
    gradio.queueing.error_payload = error_payload  # queueing.py imported the name itself

    process_events = gradio.queueing.Queue.process_events  # one task per batch of queued events: note whose they are

    async def noted(self, events, *args, **kwargs):
        _session.set(events[0].session_hash if events else None)  # this task's own context: no other event sees it
        return await process_events(self, events, *args, **kwargs)

    gradio.queueing.Queue.process_events = noted
