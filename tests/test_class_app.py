"""The teacher's Class tab in the served app: absent without a code; with one, its private events refuse any session
that has not given the code — spoken to through Gradio's queue protocol as a script would — and wrong guesses are
rate-limited per client address, whatever session they come from."""
from __future__ import annotations

import pytest

from genai_demo.training.runs import RunRegistry
from genai_demo.ui.context import UIContext
from tests.helpers import serve_app
from tests.helpers.attack import call, fn_indices, new_session

CLASS_EVENTS = ("on_unlock", "on_refresh", "on_pause_all", "on_resume_all", "on_stop")


def test_without_a_teacher_code_there_is_no_class_tab_and_no_class_event(monkeypatch):
    monkeypatch.delenv("GENAI_DEMO_TEACHER_CODE", raising=False)
    from genai_demo.ui.app import build_demo

    config = build_demo(UIContext(registry=RunRegistry(max_running=1))).config
    ids = {c.get("props", {}).get("elem_id") for c in config["components"]}
    assert "tab-class" not in ids and "class-tiles" not in ids and "class-code" not in ids
    names = {d.get("api_name") for d in config["dependencies"]}
    assert not names & set(CLASS_EVENTS)


@pytest.fixture
def served(monkeypatch):
    monkeypatch.setenv("GENAI_DEMO_TEACHER_CODE", "s3cret-Code")
    with serve_app(max_running=1) as (url, ctx):
        yield url, fn_indices(url), ctx


def test_class_events_are_private_and_refuse_a_session_without_the_code(served):
    url, fn, ctx = served
    assert set(CLASS_EVENTS) <= set(fn)
    import httpx

    info = httpx.get(f"{url}gradio_api/info", timeout=30).json()
    public = set(info.get("named_endpoints", {}))
    assert not {f"/{n}" for n in CLASS_EVENTS} & public  # not on the API page, not for gradio_client
    student = new_session()
    for name, data in (("on_refresh", [{}]), ("on_pause_all", []), ("on_resume_all", []), ("on_stop", ["r1"])):
        r = call(url, fn[name], data, session=student, client="100.64.3.3")
        assert not r.ok and "teacher's code" in str(r.output), (name, r.output)


def test_wrong_guesses_are_limited_per_address_and_the_right_code_unlocks_only_its_session(served):
    url, fn, ctx = served
    for _ in range(8):  # TeacherGate's default allowance, each from a fresh session
        r = call(url, fn["on_unlock"], ["guess"], session=new_session(), client="100.64.7.7")
        assert not r.ok and "not right" in str(r.output)
    r = call(url, fn["on_unlock"], ["s3cret-Code"], session=new_session(), client="100.64.7.7")
    assert not r.ok and "Too many wrong codes" in str(r.output)  # even the right code waits now
    teacher = new_session()
    r = call(url, fn["on_unlock"], ["s3cret-Code"], session=teacher, client="100.64.8.8")
    assert r.ok and "Unlocked" in str(r.output[0])
    r = call(url, fn["on_refresh"], [{}], session=teacher, client="100.64.8.8")
    assert r.ok and "No student has started" in str(r.output)
    r = call(url, fn["on_refresh"], [{}], session=new_session(), client="100.64.8.8")  # same address, other session
    assert not r.ok and "teacher's code" in str(r.output)
