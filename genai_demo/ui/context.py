"""What every tab shares: the run registry and how to name the caller's session.

Tabs are built by ``build(ctx)`` functions (one file per tab) so a test can build a fresh demo with its
own registry. Handlers take ``request: gr.Request`` and call ``ctx.session(request)``: Gradio's
``session_hash`` for browsers and gradio_client callers alike (``demo.load`` does not fire for API
callers, so nothing per-visitor is created there; the registry creates entries lazily).
"""
from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass, field

import gradio as gr

from ..explore.toy_sessions import ToySessions
from ..i18n import DEFAULT, normalise, t
from ..training.runs import RunRegistry
from ..training.zoo import Source, sources


def client_address(request) -> str:
    """The caller's address as uvicorn saw it, for the per-address limits; "" when unknown or private.

    Behind a proxy, uvicorn takes X-Forwarded-For only from the addresses in env FORWARDED_ALLOW_IPS (default
    loopback), so a visitor cannot forge it (docs/limits.md). A private address (loopback, a LAN, or a proxy's
    inside address when FORWARDED_ALLOW_IPS is not set for it) may stand for many visitors at once — the
    classroom on a school server, everyone behind an unconfigured proxy — so only the global limits apply to it."""
    host = str(getattr(getattr(request, "client", None), "host", "") or "")
    try:
        return "" if ipaddress.ip_address(host).is_private else host
    except ValueError:  # not an address (a test client's name): keep it as given
        return host


class Pins:
    """Where each visitor's Train-tab timeline stands, kept here rather than in the page's `view` State.

    The 2 Hz tick and a scrub both used to write it into that State; a tick that began before a scrub finished after
    it and wrote its stale copy back (scrub to the end, yet stay pinned at step 0). Now only a scrub writes it; each
    write bumps a counter, so a tick that overlapped a scrub can tell, and leaves the snapshot box to the scrub."""

    KEEP = 10_000  # sessions remembered at most (~2 MB)

    def __init__(self):
        self._lock = threading.Lock()
        self._at: dict[str, tuple[str | None, int | None, int]] = {}  # session → (run id, pinned step | None, writes)

    def get(self, sid: str, run_id: str | None) -> tuple[int | None, int]:
        """(the step the timeline is pinned at — None when it follows the run live —, the write counter)."""
        with self._lock:
            run, at, n = self._at.get(sid, (None, None, 0))
        return (at if run == run_id else None), n

    def set(self, sid: str, run_id: str | None, at: int | None) -> None:
        with self._lock:
            n = self._at.pop(sid, (None, None, 0))[2] + 1  # popped, so the dict keeps the newest writes last
            self._at[sid] = (run_id, at, n)
            while len(self._at) > self.KEEP:  # API callers never unload: the oldest pins go (they read as "live")
                del self._at[next(iter(self._at))]

    def forget(self, sid: str) -> None:
        with self._lock:
            self._at.pop(sid, None)


@dataclass
class UIContext:
    registry: RunRegistry = field(default_factory=RunRegistry)
    toys: ToySessions = field(default_factory=ToySessions)  # every visitor's 2-D GAN game (ui/toy_tab.py)
    langs: dict[str, str] = field(default_factory=dict)  # session → "en" | "zh-CN", the visitor's choice
    pins: Pins = field(default_factory=Pins)  # each visitor's Train-tab timeline position (ui/train_poll.py)
    # (component, render(lang) → its value): static Python-written texts the app re-sends on load and on a switch
    lang_texts: list = field(default_factory=list)
    # (fn, inputs, outputs, event kwargs): per-visitor texts (built from a visitor's run) redrawn after a switch
    lang_events: list = field(default_factory=list)

    def translated(self, component, render):
        """Register a component whose text Python writes in the visitor's language (see ui/app.py)."""
        self.lang_texts.append((component, render))
        return component

    def on_language(self, fn, inputs, outputs, **kwargs) -> None:
        """Run `fn` (a handler taking gr.Request) right after the EN | 中文 switch, for a text that depends on the visitor's
        own state, not only on the language (e.g. the sample-quality card); app.py chains it to the switch."""
        self.lang_events.append((fn, inputs, outputs, kwargs))

    def lang(self, request: gr.Request | None) -> str:
        """The caller's language: the page's choice (set on load and by the switch); English for API callers."""
        sid = getattr(request, "session_hash", None) if request is not None else None
        return self.langs.get(sid, DEFAULT) if sid else DEFAULT

    def set_lang(self, sid: str | None, lang) -> str:
        lang = normalise(lang) or DEFAULT
        if sid:
            self.langs[sid] = lang
        return lang

    @staticmethod
    def session(request: gr.Request | None) -> str:
        sid = getattr(request, "session_hash", None) if request is not None else None
        if not sid:
            raise gr.Error(t("err_no_session"))
        return sid

    @staticmethod
    def client(request: gr.Request | None) -> str:
        return client_address(request)

    def model_choices(self, request: gr.Request | None, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
        """(label, key) pairs for a gr.Dropdown: the visitor's runs first, then the shipped checkpoints."""
        sid = getattr(request, "session_hash", None) if request is not None else None
        found: list[Source] = sources(sid, self.registry, kinds, self.lang(request))
        return [(s.label, s.key) for s in found]
