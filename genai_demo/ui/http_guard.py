"""The app's front door: every HTTP request passes here before Gradio reads it.

* **Body size.** A request body is refused with HTTP 413 and a one-line reason from its Content-Length, or while it
  streams in, before anything parses it: ``MAX_BODY`` for JSON and everything else, ``MAX_UPLOAD_BODY`` for
  multipart uploads (one ≤ 10 MB file plus its form). Gradio's ``max_file_size`` alone checks only files, after a
  JSON body has been read and parsed whole (a 200 MB prompt cost +610 MB and 4.8 s).
* **Protocol fields.** ``fn_index``, ``session_hash`` and ``component_id`` in a JSON body are
  checked against the app (Gradio answers an unknown ``fn_index`` or an empty ``session_hash`` with a bare 500
  and a stack trace in the log): a wrong one gets HTTP 400 with the field named.
* **Nothing escapes.** A request that still makes a Gradio route raise gets a one-line JSON answer (400 when the
  route choked on what it was sent, else 500); the traceback goes to the server log. Gradio's 422 answers no longer
  echo the offending value back.

``app_kwargs()`` gives what ``demo.launch(app_kwargs=…)`` needs (FastAPI takes middleware and exception handlers).
"""
from __future__ import annotations

import json
import logging
import os
import re
from urllib.parse import parse_qs

from starlette.exceptions import HTTPException

from ..i18n import pick_language, t

log = logging.getLogger(__name__)

MAX_BODY = int(os.environ.get("GENAI_DEMO_MAX_BODY_KB", "1024")) * 1024  # JSON: the page sends a few KB at most
MAX_UPLOAD_BODY = int(os.environ.get("GENAI_DEMO_MAX_UPLOAD_MB", "11")) * 1024 * 1024  # one 10 MB file + its form
MAX_SESSION_HASH = 128  # the page's hashes are ~11 characters, gradio_client's 36 (a UUID)
# the JSON bodies that name a function, a component or a session (Gradio's routes under /gradio_api)
CHECKED = re.compile(r"^(/[\w-]+)*/gradio_api/(queue/join|run/|api/|call/|component_server|cancel)")


def _too_large_message(limit: int, lang: str = "en") -> str:
    return t("err_too_large", lang, mb=f"{limit / 2**20:.0f}")


class _TooLarge(HTTPException):
    """Raised by receive() mid-body; an HTTPException, so FastAPI's body parsing passes it on as it is."""

    def __init__(self, limit: int):
        super().__init__(status_code=413, detail=_too_large_message(limit))


async def _answer(send, status: int, message: str) -> None:
    """A one-line JSON answer ({"detail": message}), the shape FastAPI's own errors have."""
    body = json.dumps({"detail": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _bad_session(sh) -> str | None:
    if sh is not None and (not isinstance(sh, str) or not 0 < len(sh) <= MAX_SESSION_HASH or not sh.isprintable()):
        return f"session_hash must be a non-empty string of at most {MAX_SESSION_HASH} printable characters."
    return None


def _field_problem(body: dict, blocks) -> str | None:
    """Why a JSON body's protocol fields cannot name anything in this app, or None when they can."""
    if problem := _bad_session(body.get("session_hash")):
        return problem
    for key, known in (("fn_index", blocks.fns), ("component_id", blocks.blocks)):
        v = body.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v not in known):
            return f"{key} does not name anything in this app."
    return None


class RequestGuard:
    """ASGI middleware: body size limits, protocol field checks, one-line answers instead of bare 500s."""

    def __init__(self, app, max_body: int = MAX_BODY, max_upload_body: int = MAX_UPLOAD_BODY):
        self.app, self.max_body, self.max_upload_body = app, max_body, max_upload_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        # before Gradio, no session yet: a page's refusal follows its browser's language (scripts send none: English)
        lang = pick_language(None, headers.get(b"accept-language", b"").decode("latin-1"))
        ctype = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit = self.max_upload_body if ctype.startswith("multipart/") else self.max_body
        try:
            length = int(headers.get(b"content-length", b"0"))
        except ValueError:
            return await _answer(send, 400, "The Content-Length header is not a number.")
        if length > limit:  # refused before a byte of the body is read
            return await _answer(send, 413, _too_large_message(limit, lang))
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if "session_hash" in query and (problem := _bad_session(query["session_hash"][0])):  # e.g. the event stream
            return await _answer(send, 400, problem)
        if scope.get("method") == "POST" and ctype.startswith("application/json") and CHECKED.match(scope.get("path", "")):
            receive, problem = await self._checked_json(scope, receive, limit)
            if problem:
                big = problem == _too_large_message(limit)
                return await _answer(send, 413 if big else 400, _too_large_message(limit, lang) if big else problem)
        await self._forward(scope, self._counting(receive, limit), send, limit, lang)

    async def _checked_json(self, scope, receive, limit):
        """Read the (bounded) JSON body, check its fields; returns (a receive that replays it, problem or None)."""
        chunks, size, more = [], 0, True
        while more:
            msg = await receive()
            if msg["type"] != "http.request":  # the client went away
                return receive, "The request ended early."
            chunks.append(msg.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                return receive, _too_large_message(limit)
            more = msg.get("more_body", False)
        raw = b"".join(chunks)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None  # not JSON: FastAPI answers that itself
        problem = None
        if isinstance(body, dict):
            problem = _field_problem(body, scope["app"].get_blocks())
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()  # after the body: wait for the disconnect like any receive
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        return replay, problem

    @staticmethod
    def _counting(receive, limit):
        """receive(), refusing a body that grows past `limit` while it streams in (chunked, or a lying header)."""
        seen = 0

        async def counted():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return msg

        return counted

    async def _forward(self, scope, receive, send, limit, lang="en"):
        started = False

        async def tracked(msg):
            nonlocal started
            started = started or msg["type"] == "http.response.start"
            await send(msg)

        try:
            await self.app(scope, receive, tracked)
        except Exception as e:
            if started:
                raise
            if isinstance(e, _TooLarge) or isinstance(e.__cause__, _TooLarge):  # a route that reads the stream itself
                return await _answer(send, 413, _too_large_message(limit, lang))
            log.error("%s %s failed", scope.get("method"), scope.get("path"), exc_info=e)
            from gradio.route_utils import FnIndexInferError  # an API name this app does not have

            client_fault = isinstance(e, (KeyError, IndexError, TypeError, ValueError, FnIndexInferError))
            await _answer(send, 400 if client_fault else 500, t("err_malformed" if client_fault else "err_server", lang))


async def validation_error(request, exc):
    """FastAPI's 422 for a body of the wrong shape, naming the field but not echoing the value."""
    from fastapi.responses import JSONResponse

    first = (exc.errors() or [{}])[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "the request body"
    return JSONResponse({"detail": f"{where}: {first.get('msg', 'invalid')}"[:200]}, status_code=422)


def app_kwargs() -> dict:
    """FastAPI settings for ``demo.launch(app_kwargs=…)``: the guard and the non-echoing 422."""
    from fastapi.exceptions import RequestValidationError
    from starlette.middleware import Middleware

    return {"middleware": [Middleware(RequestGuard)], "exception_handlers": {RequestValidationError: validation_error}}
