"""Who may see the teacher's Class tab: a code set by the operator (env GENAI_DEMO_TEACHER_CODE, a Space secret),
checked in constant time, unlocking one browser session; wrong guesses are rate-limited per client address.

No gradio here: ui/class_tab.py passes the session id and the client address in. The address is the one uvicorn
saw (behind a proxy: the X-Forwarded-For it trusts, see ui/context.py): a classroom behind one NAT address shares
one allowance of wrong guesses, so a script cannot try codes faster by opening new sessions.
"""
from __future__ import annotations

import hmac
import os
import threading
import time
from collections import OrderedDict

CODE_MAX = 200  # characters of a guess that are compared (a longer one is wrong anyway)


def teacher_code() -> str:
    """The code from the environment; "" = no Class tab at all."""
    return os.environ.get("GENAI_DEMO_TEACHER_CODE", "").strip()


class TeacherGate:
    def __init__(self, code: str, tries: int = 8, window_s: float = 300.0, max_sessions: int = 64,
                 max_addresses: int = 10_000):
        if not code:
            raise ValueError("a teacher code is needed")
        self._code = code.encode()
        self.tries, self.window_s = tries, window_s
        self._unlocked: OrderedDict[str, None] = OrderedDict()  # sessions that gave the code (newest last)
        self._wrong: OrderedDict[str, list[float]] = OrderedDict()  # address → times of its recent wrong guesses
        self._max_sessions, self._max_addresses = max_sessions, max_addresses
        self._lock = threading.Lock()

    def wait_s(self, address: str, now: float | None = None) -> float:
        """Seconds until this address may guess again (0: now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = [x for x in self._wrong.get(address, []) if now - x < self.window_s]
            return 0.0 if len(recent) < self.tries else self.window_s - (now - recent[0])

    def try_code(self, session: str, address: str, guess, now: float | None = None) -> str:
        """"ok" (this session is unlocked), "wrong", or "blocked" (too many wrong guesses from this address lately:
        not even compared)."""
        now = time.monotonic() if now is None else now
        if not session:
            return "wrong"
        if self.wait_s(address, now) > 0:
            return "blocked"
        given = guess[:CODE_MAX].encode("utf-8", "replace") if isinstance(guess, str) else b""
        if hmac.compare_digest(given, self._code):  # constant time: the reply's timing tells nothing of the code
            with self._lock:
                self._unlocked[session] = None
                self._unlocked.move_to_end(session)
                while len(self._unlocked) > self._max_sessions:
                    self._unlocked.popitem(last=False)
            return "ok"
        with self._lock:
            times = [x for x in self._wrong.pop(address, []) if now - x < self.window_s] + [now]
            self._wrong[address] = times[-self.tries:]
            while len(self._wrong) > self._max_addresses:
                self._wrong.popitem(last=False)
        return "wrong"

    def unlocked(self, session: str | None) -> bool:
        with self._lock:
            return bool(session) and session in self._unlocked

    def forget(self, session: str) -> None:
        with self._lock:
            self._unlocked.pop(session, None)
