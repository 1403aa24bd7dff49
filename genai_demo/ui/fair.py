"""Fair shares of the heavy endpoints per client address: judge, sample, walk, generate.

Gradio runs each event's queue first come, first served across all visitors, so one script's burst went ahead
of everyone: 12 ``/judge n=2000`` jobs from one visitor delayed the next visitor's ``/judge`` by 21.6 s.
Refusing at run time does not help (the burst still sits in the queue ahead of the newcomer), so the check is
made when a job *joins* the queue: an address that already has ``JOBS_PER_CLIENT`` jobs of the same kind waiting
or running is refused with one sentence. With that limit at most one above the kind's concurrency (judge: 2,
limit 3), one visitor's burst delays another visitor's single call by at most one job: when it joins, every
worker is busy with a job that ends within one job's time, and the burst's one waiting job takes only one of
the freed workers.

How: ``install(demo)`` wraps this demo's ``Queue.push`` (Gradio 6.31; the attack test in
tests/test_attacks_runs.py fails if that hook ever stops being called). Jobs are counted from Gradio's own
table of pending events (``event_ids_to_events``: queued and running ones, dropped when they end or are
cancelled), so nothing can leak. The address is ``context.client_address``; without one (a private address),
the session stands in for it.
"""
from __future__ import annotations

import os
from collections import Counter

import gradio as gr

from .context import client_address

# handler (its Python name, which Gradio keeps as BlockFunction.name) → kind of heavy job
HEAVY = {
    "judge": "judge", "judge_api": "judge",  # gan_tab: the button and the "judge" API
    "sample": "sample", "everything": "sample", "compare": "sample",  # gan_tab grids
    "walk": "walk", "walk_shown": "walk", "interpolate": "walk",  # gan_tab latent walk (and its picture), latent_tab interpolation
    "generate": "generate", "next_token": "generate", "force": "generate",  # text_tab streams
}
NAMES = {"judge": "judge", "sample": "sampling", "walk": "walk", "generate": "text generation"}


def jobs_per_client() -> int:
    return max(1, int(os.environ.get("GENAI_DEMO_JOBS_PER_CLIENT", 3)))


def _who(request, session: str | None) -> str:
    host = client_address(request)
    return f"addr:{host}" if host else f"session:{session}"


def install(demo: gr.Blocks, limit: int | None = None) -> None:
    """Refuse a heavy job at the door when its address already has `limit` of that kind in the queue."""
    queue = demo._queue
    push = queue.push
    joining: Counter[tuple[str, str]] = Counter()  # admitted but not yet in Gradio's table (push awaits inside)

    def kind_of(fn) -> str | None:
        return HEAVY.get(getattr(fn, "name", None) or "")

    async def fair_push(body, request, username):
        fn = demo.fns.get(body.fn_index) if body.fn_index is not None else None
        kind = kind_of(fn)
        if kind is None:
            return await push(body, request, username)
        key = (_who(request, body.session_hash), kind)
        held = joining[key] + sum(1 for e in list(queue.event_ids_to_events.values())
                                  if kind_of(e.fn) == kind and _who(e.request, e.session_hash) == key[0])
        cap = limit or jobs_per_client()
        if held >= cap:
            msg = (f"You already have {held} {NAMES[kind]} job{'s' * (held > 1)} waiting or running "
                   "— wait for them to finish, then try again.")
            if fn.api_visibility == "public":  # gradio_client shows a 422 "validation" message, not a 400's text
                return False, [{"__type__": "validate", "is_valid": False, "message": msg, "parameter_name": "busy"}], \
                    "validator_error"
            return False, msg, "error"  # HTTP 400: the page shows it as an error toast
        joining[key] += 1
        try:
            return await push(body, request, username)
        finally:
            joining[key] -= 1
            if not joining[key]:
                del joining[key]

    queue.push = fair_push
