"""Issue 11, hardening II: what one hostile visitor can hold — training slots, steps, time, places, memory, queue share.

Each attack is made against the real launched app the way a script would make it: Gradio's queue protocol by hand
(tests/attack.py), fresh session hashes, its own client address (X-Forwarded-For from loopback, which uvicorn
trusts as a proxy). Each asserts what the issue asks: refused or bounded, with a one-line reason, within 1 s;
server RSS growth < 100 MB; and a normal visitor (another address) polling /status meanwhile gets its answer
quickly (assert_probe: a median of 0.1-0.2 s unloaded, bounded at 1 s so a loaded 2-core CI machine passes).
"""
from __future__ import annotations

import os
import statistics
import threading
import time

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from genai_demo.training.runs import RunRegistry  # noqa: E402
from genai_demo.ui.context import UIContext  # noqa: E402
from tests.helpers import serve_app, wait_until
from tests.helpers.attack import Probe, call, fn_indices, new_session, rss_mib

# 100.64.0.0/10 (shared address space): public in the per-address limits' sense (private addresses have none), and
# no real visitor's
ATTACKER, VISITOR = "100.64.0.9", "100.64.1.20"
# /train: model, data, steps, lr, batch, beta, D:G, seed, full size, preset, nickname
VAE = ["vae", "mnist5k", 20_000, None, 16, 1.0, 1, 0, False, None, None]


def one_line(msg) -> bool:
    text = str(msg)
    return bool(text) and "\n" not in text and "Traceback" not in text and "Error:" not in text and "/" not in text


def ahead_of_the_jobs(refused, replies) -> bool:
    """Every refusal came back before the first accepted job of the same burst ended: refused at the queue's door,
    not after waiting behind the work (an order, not a wall time, so a loaded machine does not fail it)."""
    done = [r.ended for r in replies if r.ok]
    return bool(refused) and bool(done) and max(r.ended for r in refused) < min(done)


def p90(xs: list[float]) -> float:
    return sorted(xs)[int(0.9 * (len(xs) - 1))]


def assert_quick(replies, probe: Probe) -> None:
    """Refused within 1 s — nine in ten of them at least, and none over 5 s — or, on a machine so loaded that the
    normal visitor's own /status calls over the same time were slower, within twice those: a refusal costs what a
    status poll costs (on a shared 2-core machine any single HTTP round trip stalls now and then, the probe's too —
    seconds, once — and a stall both saw is not a bound that failed). The times are in the message."""
    times, seen = [r.seconds for r in replies], list(probe.latencies)
    assert times and seen, (times, seen)
    bound, worst = max(1.0, 2 * p90(seen)), max(5.0, 2 * max(seen))
    assert p90(times) < bound and max(times) < worst, (sorted(round(t, 2) for t in times), bound, worst)


def served(**limits):
    reg = RunRegistry(max_running=1, max_active=1, max_steps=20_000, **limits)  # one place: the queue's rules
    return serve_app(ctx=UIContext(registry=reg))


def warm_up(url: str, fn: dict, ctx) -> None:
    """One short run first (then gone): one-time costs (the data set, torch's lazy imports) are not the attack's RSS."""
    me = new_session()
    assert call(url, fn["train"], ["vae", "mnist5k", 5, None, 16, 1.0, 1, 0, False, None, None], me, "100.64.9.200").ok
    assert wait_until(lambda: call(url, fn["status"], [], me, "100.64.9.200").output["state"] == "finished", 60)
    ctx.registry.release(me)


def assert_probe(probe: Probe) -> None:
    """The visitor is answered in well under a second while the attack runs (the median; the worst is in the
    message). Unloaded, medians are 0.1-0.2 s (the issue's < 300 ms); on a shared 2-core CI machine they are not:
    the attacker's calls, the server and this client share one process, beside two other test workers (the suite
    runs three) and whatever else the machine runs — with a busy loop on one core medians reached 0.51 s. So the
    bound is 1 s, or 4 × a lone call measured just before the attack on a machine slower still: a starved visitor
    (behind the attack's jobs in the queue) waits seconds."""
    assert probe.latencies and not probe.errors, probe.errors[:3]
    bound = max(1.0, 4 * probe.alone)
    assert statistics.median(probe.latencies) < bound, (statistics.median(probe.latencies), probe.alone, probe.worst)


def counting_steps(monkeypatch) -> dict:
    """Count VAE train_step calls in flight at once (an independent check of the cap: no registry bookkeeping)."""
    from genai_demo.models.vae import VAE as Model

    seen, lock, original = {"now": 0, "peak": 0, "calls": 0}, threading.Lock(), Model.train_step

    def counted(self, *a, **k):
        with lock:
            seen["now"] += 1
            seen["calls"] += 1
            seen["peak"] = max(seen["peak"], seen["now"])
        try:
            return original(self, *a, **k)
        finally:
            with lock:
                seen["now"] -= 1

    monkeypatch.setattr(Model, "train_step", counted)
    return seen


# ---- item 2: stepping went around the training cap ------------------------------------------------------
def test_stepping_waits_for_the_cap_and_waiting_steps_are_bounded(monkeypatch):
    seen = counting_steps(monkeypatch)
    with served() as (url, ctx):
        fn = fn_indices(url)
        warm_up(url, fn, ctx)
        rss0 = rss_mib()
        with Probe(url, fn["status"]) as probe:
            bots = [new_session() for _ in range(4)]  # the attack: four runs from one visitor
            for s in bots[:3]:
                assert call(url, fn["train"], VAE, s, ATTACKER).ok
            fourth = call(url, fn["train"], VAE, bots[3], ATTACKER)  # three places per address (item 3)
            assert not fourth.ok and one_line(fourth.output), fourth
            refusals, bots = [fourth], bots[:3]
            for s in bots[1:]:  # the attack: pause the queued runs, then step them — a step used to skip the cap
                assert call(url, fn["pause"], [], s, ATTACKER).ok
                assert call(url, fn["step"], [1000], s, ATTACKER).output["state"] == "queued"
                again = call(url, fn["step"], [1000], s, ATTACKER)  # _pending_steps += n used to add up without end
                assert not again.ok and one_line(again.output) and "1,000 steps can wait" in again.output, again
                refusals.append(again)
            assert wait_until(lambda: seen["calls"] > 50)
            assert call(url, fn["pause"], [], bots[0], ATTACKER).ok  # the slot frees: queued steps take it, one run at a time
            assert wait_until(lambda: ctx.registry.current(bots[1]).trainer.snapshot().step > 0, 60)
            time.sleep(1.0)
            grown = rss_mib() - rss0  # what the attack holds: three VAE runs, one of them computing
            me = new_session()
            mine = call(url, fn["train"], VAE, me, VISITOR).output
            assert mine["state"] == "queued" and mine["queue_position"] <= 2  # behind one bot run at most, not two
            assert call(url, fn["resume"], [], bots[0], ATTACKER).output["state"] == "queued"  # no slot to resume into
            time.sleep(1.0)
        assert seen["peak"] == 1, seen  # never two runs computing at once
        assert_quick(refusals, probe)
        assert grown < 100, grown
        assert_probe(probe)


# ---- item 3: one script filled every visitor place ----------------------------------------------------------
def test_one_address_holds_a_bounded_share_of_places_and_idle_places_are_reclaimed():
    with served(max_sessions=6, reclaim_s=2.0) as (url, ctx):  # 3 places per address (the default)
        fn, reg = fn_indices(url), ctx.registry
        warm_up(url, fn, ctx)
        rss0 = rss_mib()
        with Probe(url, fn["status"]) as probe:
            bots = [new_session() for _ in range(25)]  # the script: fresh session ids, /train each
            replies = [call(url, fn["train"], VAE, s, ATTACKER) for s in bots]
            refused = [r for r in replies if not r.ok]
            assert [r.ok for r in replies[:3]] == [True] * 3 and len(refused) == 22 and reg.sessions() == 3
            assert_quick(refused, probe)
            assert all(one_line(r.output) and "from your network" in r.output for r in refused)
            grown = rss_mib() - rss0  # what the attack holds (the runs of the others below are theirs, by design)
            assert grown < 100, grown
            mine = call(url, fn["train"], VAE, new_session(), VISITOR).output  # another address still gets in …
            assert mine["state"] == "queued" and mine["queue_position"] == 2  # … behind one bot run, not two
            for i in range(2):  # the server fills up
                assert call(url, fn["train"], VAE, new_session(), f"100.64.3.{i + 1}").ok
            late = call(url, fn["train"], VAE, new_session(), "100.64.3.99")
            assert not late.ok and one_line(late.output) and "server is full" in late.output
            assert_quick(refused + [late], probe)
            # the bots stop training but keep polling: a script that never trains must not hold a place for ever
            for s in bots[:3]:
                assert call(url, fn["stop"], [], s, ATTACKER).ok
            t_stopped = time.monotonic()
            while time.monotonic() - t_stopped < 2.5:
                for s in bots[:3]:
                    assert call(url, fn["status"], [], s, ATTACKER).ok
            late = call(url, fn["train"], VAE, new_session(), "100.64.3.99")
            assert late.ok, late
            assert call(url, fn["status"], [], bots[0], ATTACKER).output["state"] == "none"  # its place went
            assert reg.sessions() == 6
        assert_probe(probe)


# ---- item 4: no time or work limit per run ------------------------------------------------------------------
def test_every_run_stops_at_its_time_or_work_budget_with_a_reason():
    with served() as (url, ctx):
        fn, reg, me = fn_indices(url), ctx.registry, new_session()
        warm_up(url, fn, ctx)
        rss0 = rss_mib()
        with Probe(url, fn["status"]) as probe:
            reg.run_seconds, reg.run_examples = None, 16 * 50  # work: 50 steps at batch 16, whatever the machine
            assert call(url, fn["train"], VAE, me, VISITOR).ok
            s = wait_until(lambda: (d := call(url, fn["status"], [], me, VISITOR).output)["state"] != "running" and d, 60)
            assert (s["state"], s["step"]) == ("stopped", 50), s
            assert one_line(s["error"]) and "work budget of 800 training examples" in s["error"]
            reg.run_seconds, reg.run_examples = 1.0, None  # time: 1 s of training
            t0 = time.monotonic()
            assert call(url, fn["train"], VAE, me, VISITOR).ok
            s = wait_until(lambda: (d := call(url, fn["status"], [], me, VISITOR).output)["state"] != "running" and d, 60)
            took = time.monotonic() - t0
            assert s["state"] == "stopped" and 0 < s["step"] < 20_000 and "1-second training budget" in s["error"], s
            assert took < 15, took  # 1 s of training + one step + start-up, with slack for a loaded machine
            assert ctx.registry.running_count() == 0
        assert rss_mib() - rss0 < 100
        assert_probe(probe)


# ---- item 5: every fresh session kept ~390 KB, for up to 10,000 sessions -----------------------------------
def test_fresh_sessions_do_not_pile_up(monkeypatch):
    # uncapped, 120 fresh sessions held 161 sessions' Gradio state and 97 MB more RSS (here); capped at 20: 18 MB
    cap, n = 20, 120
    monkeypatch.setenv("GENAI_DEMO_GRADIO_SESSIONS", str(cap))  # read by launch_kwargs(): state_session_capacity
    demos = built_demos(monkeypatch)
    with served() as (url, ctx):
        fn = fn_indices(url)
        for _ in range(40):  # warm-up: Gradio's first sessions and its caches
            call(url, fn["status"], [], new_session(), ATTACKER)
        rss0 = rss_mib()
        with Probe(url, fn["status"]) as probe:
            def burst(k: int) -> None:
                for _ in range(k):
                    assert call(url, fn["status"], [], new_session(), ATTACKER).ok
            threads = [threading.Thread(target=burst, args=(n // 2,)) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(300)
        grown = rss_mib() - rss0
        held = len(demos[0].state_holder.session_data)  # Gradio's per-session state: the most recent `cap` only
        assert held <= cap, held
        assert grown < 50, grown
        assert ctx.registry.sessions() == 0 and ctx.registry._seen == {}  # sessions without runs are not recorded
        assert_probe(probe)


def built_demos(monkeypatch) -> list:
    """The gr.Blocks that serve_app() builds next (to read what Gradio itself holds)."""
    import genai_demo.ui.app as app

    demos, build = [], app.build_demo
    monkeypatch.setattr(app, "build_demo", lambda *a, **k: demos.append(build(*a, **k)) or demos[-1])
    return demos


# ---- item 7 (queue half): a burst of /judge jobs went ahead of everyone ----------------------------------------
def test_a_burst_of_judge_jobs_delays_another_visitor_by_one_job_at_most():
    with served() as (url, ctx):
        fn = fn_indices(url)
        judge = lambda seed, who, session=None: call(url, fn["judge"], ["pretrained:gan_mnist5k", 2000, seed], session, who)  # noqa: E731
        assert judge(0, VISITOR).ok  # warm-up: loads the GAN, the classifier and the reference features
        alone = judge(1, VISITOR).seconds
        rss0 = rss_mib()
        with Probe(url, fn["status"]) as probe:
            burst: list = []
            threads = [threading.Thread(target=lambda i=i: burst.append(judge(100 + i, ATTACKER))) for i in range(12)]
            for t in threads:
                t.start()
            time.sleep(0.5)  # the burst has joined the queue
            mine = judge(2, VISITOR)
            for t in threads:
                t.join(300)
        assert mine.ok
        refused = [r for r in burst if not r.ok]
        assert len(refused) == 9 and ahead_of_the_jobs(refused, burst)
        assert all(r.http == 422 and "judge job" in r.output for r in refused)
        # The visitor starts as soon as the two jobs that were running when it joined end — one job's wait — and the
        # burst's waiting job takes only the other worker: so at most two of the burst's jobs end before the visitor's
        # starts. Before, it waited for the whole burst (12 jobs, two at a time): ten or more had ended.
        done_before = sum(1 for r in burst if r.ok and r.ended < mine.started)
        assert done_before <= 2, (done_before, mine.waited, alone)
        assert rss_mib() - rss0 < 100
        assert_probe(probe)


def test_text_generation_is_shared_per_address_too():
    with served() as (url, ctx):
        fn = fn_indices(url)
        stream = ["pretrained:charlm_names", "", 1.0, 0, 0, 60]  # 60 characters, 0.05 s apart: a 3-second stream
        replies: list = []
        threads = [threading.Thread(target=lambda: replies.append(call(url, fn["generate"], stream, None, ATTACKER)))
                   for _ in range(8)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        mine = call(url, fn["generate"], stream, None, VISITOR)  # someone else is served meanwhile
        for t in threads:
            t.join(300)
        refused = [r for r in replies if not r.ok]
        assert len(refused) == 5 and ahead_of_the_jobs(refused, replies)
        assert all("text generation job" in str(r.output) for r in refused)
        assert mine.ok and mine.seconds < 3 * max(r.seconds for r in replies if r.ok), mine.seconds  # not behind all 8


def test_every_heavy_event_is_counted():
    """Each event a page or a script can start that samples, judges, walks or generates is behind the door."""
    from genai_demo.ui import fair
    from genai_demo.ui.app import build_demo

    demo = build_demo(UIContext(registry=RunRegistry(max_running=1)))
    heavy = {"judge", "sample", "walk_shown", "everything", "compare", "generate", "next_token", "force", "interpolate"}
    names = {f.api_name.rsplit("_", 1)[0] if f.api_name[-1].isdigit() else f.api_name: f for f in demo.fns.values()
             if f.api_name}
    assert heavy <= set(names)  # they exist under these names …
    kinds = {n: fair.HEAVY.get(f.name) for n, f in names.items() if n in heavy}
    assert None not in kinds.values(), kinds  # … and each is counted as a heavy kind
    for f in demo.fns.values():  # every event that runs one of those handlers, button or API
        if f.name in fair.HEAVY:
            assert f.queue, f.api_name
