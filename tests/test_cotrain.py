"""Issue 16 item 3, wired in: GAN runs of one shape in the real RunRegistry step together as one batched ensemble
(training/cotrain.py), forced on for the CPU with GENAI_DEMO_ENSEMBLE=1. Each run's history, timeline and weights
match the same run trained alone (float tolerance), Adam state carries over into a group, a member that pauses,
stops, changes its lr or diverges disturbs nobody, runs of another shape or batch size are never grouped, and CGANs
group with CGANs only.

Deterministic although threads are involved: one training seat (max_running=1), so at most one chunk computes at a
time, and the test holds that seat ("the blocker") while it starts or changes runs; which runs a chunk groups may
then vary only in ways that cannot change a run's results (the point of the design), and the counts asserted are
those that one seat fixes."""
from __future__ import annotations

import contextlib
import dataclasses

import pytest
import torch

from genai_demo.models.base import Hyper
from genai_demo.training import cotrain
from genai_demo.training.runs import RunRegistry
from genai_demo.training.trainer import RunConfig, Trainer
from tests.helpers import Tiny, TinyData, wait_until
from tests.helpers.cogroup import (
    STEPS,
    assert_same,
    cfg,
    finished,
    make,
    reference,
    registry,
    start_together,
    together,
)

pytestmark = pytest.mark.usefixtures("one_thread")  # one intra-op thread (tests/conftest.py)


@pytest.fixture(autouse=True)
def forced_on(monkeypatch):
    monkeypatch.setenv(cotrain.ENV, "1")
    monkeypatch.setenv("GENAI_DEMO_SLICE_S", "0.01")  # ~1-step chunks: many turns, so there is time to step in


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU (bench/gpu_check.sh)")


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=CUDA)])
def test_three_runs_step_together_with_the_results_each_gets_alone(monkeypatch, device):
    monkeypatch.setenv("GENAI_DEMO_SLICE_S", "1")  # chunks of ~1 s: the snapshots at steps 10 and 20 fall inside them
    reg = registry()
    runs = start_together(reg, [cfg(s, device=device) for s in (0, 1, 2)])
    finished(*runs)
    assert [r.trainer.state for r in runs] == ["finished"] * 3
    assert [together(r) for r in runs] == [STEPS] * 3  # one seat: every chunk was a group of all three
    assert reg.cotrain.group_chunks >= 2
    for r, s in zip(runs, (0, 1, 2), strict=True):
        assert_same(r.trainer, reference(cfg(s, device=device)))
    assert runs[0].trainer.snapshot().history["d_loss"] != runs[1].trainer.snapshot().history["d_loss"]  # differ


def tiny_trainer(c: RunConfig) -> Trainer:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(c.seed)  # its weights from its seed, as a Trainer's own model build does
        return Trainer(c, TinyData(), model=Tiny())


def test_several_seats_several_leaders_the_same_results():
    """Three seats (a GPU has 8): three leaders' turns at once contend for the same runs — a turn that finds its group
    computing waits with its seat given back (TimeSlicer.aside) —; each chunk still holds a run at most once, nothing
    deadlocks, a run of another family computes alongside, and every run ends as it would alone."""
    reg = RunRegistry(max_running=3, max_active=8, run_seconds=0, run_examples=0)
    other = RunConfig(kind="tiny", steps=300, seed=0, hp=Hyper(lr=1e-2, batch_size=8), device="cpu")
    with contextlib.ExitStack() as seats:
        for i in range(3):
            seats.enter_context(reg.slicer.turn(f"blocker{i}"))
        runs = [reg.start(f"s{i}", cfg(i), make) for i in range(4)]
        tiny = reg.start("tiny", other, tiny_trainer)
        wait_until(lambda: reg.slicer.waiting() == 5, what="five runs waiting for a turn")
    finished(*runs, tiny)
    assert reg.cotrain.group_chunks >= 1  # the first leader found at least the run still waiting for a seat
    for r, s in zip(runs, range(4), strict=True):
        assert_same(r.trainer, reference(cfg(s)))
    alone = tiny_trainer(other)
    alone.advance(other.steps)
    assert tiny.trainer.snapshot().history == alone.snapshot().history  # bitwise: it never joined anything


def test_adam_state_carries_over_when_a_run_joins_a_group():
    """A run that trained alone (its Adam at step 7) joins two fresh runs and continues as it would alone."""
    reg = registry()
    with reg.slicer.turn("blocker"):  # a computes nothing before the pause lands (with both cores busy it once did 1)
        a = reg.start("a", cfg(0), make)
        reg.step("a", 7)  # 7 single steps, alone (paused afterwards)
    wait_until(lambda: a.trainer.step_count == 7 and not a.trainer.busy, what="7 single steps")
    assert together(a) == 0
    with reg.slicer.turn("blocker"):
        b, c = reg.start("b", cfg(1), make), reg.start("c", cfg(2), make)
        reg.resume("a")
        wait_until(lambda: reg.slicer.waiting() == 3, what="three runs waiting for a turn")
    finished(a, b, c)
    assert together(a) == STEPS - 7 and together(b) == together(c) == STEPS
    ref = make(cfg(0))
    ref.step(7)
    wait_until(lambda: ref.step_count == 7 and not ref.busy)
    ref.resume()
    assert ref.join(120)
    assert_same(a.trainer, ref)  # a fresh Adam at the join would have gone elsewhere (test_ensemble checks that)
    assert_same(b.trainer, reference(cfg(1)))


def test_pause_stop_and_lr_change_of_members_disturb_nobody():
    reg = registry()
    a, b, c, d = start_together(reg, [cfg(s) for s in (0, 1, 2, 3)])
    with reg.slicer.turn("blocker"):  # after the first round of turns, with nothing computing
        assert 0 < a.trainer.step_count < STEPS
        pace = reg.pace(a)
        assert pace["together"] == 4 and pace["share"] == 1.0  # every turn steps all four
        reg.pause("s1")
        reg.step("s1", 3)  # three single steps while the others run: it takes them alone, publishing each
        reg.stop("s3")  # its thread ends while the test holds the seat: nothing can compute for it
        c.trainer.set_hyper(lr=5e-4)  # applied when its next chunk claims its steps
        paused_at, stopped_at, b_together = b.trainer.step_count, d.trainer.step_count, together(b)
    finished(a, c)
    wait_until(lambda: b.trainer.step_count == paused_at + 3 and not b.trainer.busy, what="b's three single steps")
    assert b.trainer.state == "paused" and together(b) == b_together  # not dragged along by the group
    assert b.trainer.snapshot().history["step"][-3:] == [paused_at + 1, paused_at + 2, paused_at + 3]
    assert d.trainer.state == "stopped" and d.trainer.step_count == stopped_at
    assert together(a) == together(c) == STEPS  # a and c (lrs now differ) still stepped together: one Adam lr each
    (changed_at, name, old, new), = c.trainer.snapshot().changes
    assert (name, old, new) == ("lr", 2e-4, 5e-4) and changed_at == paused_at  # one seat: all in step
    assert_same(a.trainer, reference(cfg(0)))
    assert_same(c.trainer, reference(cfg(2), plan=[(changed_at, 5e-4)]))
    assert_same(d.trainer, reference(cfg(3, steps=stopped_at)), upto=stopped_at)  # its final publish: the last step's
    reg.resume("s1")  # the paused one goes on, alone now, and ends where it would have alone
    finished(b)
    ref_b = make(cfg(1))
    ref_b.publish()
    ref_b.advance(paused_at)  # as in the group
    ref_b.step(3)  # then three single steps (its thread starts paused)
    wait_until(lambda: ref_b.step_count == paused_at + 3 and not ref_b.busy)
    ref_b.resume()
    assert ref_b.join(120)
    assert_same(b.trainer, ref_b)


def test_a_work_budget_stops_a_member_at_the_step_it_stops_alone(monkeypatch):
    """b may draw 13 steps' examples (batch 16, D:G 1: 32 a step): the group's chunks stop it exactly there, with the
    budget's reason, while a and c go on to the end. Turns of 10 s: a chunk's steps are what its turn holds at the
    measured rate, and with 1 s turns a loaded CI machine once fitted fewer than the 8 after the first chunk's 5, so
    b's last step came in a chunk of its own (together 12)."""
    monkeypatch.setenv("GENAI_DEMO_SLICE_S", "10")
    reg = registry()
    a, b, c = start_together(reg, [cfg(0), cfg(1, max_examples=13 * 32), cfg(2)])
    finished(a, b, c)
    assert (b.trainer.state, b.trainer.step_count) == ("stopped", 13) and "work budget" in b.trainer.snapshot().error
    assert together(b) == 13 and together(a) == together(c) == STEPS
    ref = make(cfg(1, max_examples=13 * 32))
    ref.start()
    assert ref.join(60) and ref.step_count == 13
    assert_same(b.trainer, ref, upto=13)
    assert_same(a.trainer, reference(cfg(0)))


def test_a_member_that_diverges_fails_on_its_own_and_the_others_go_on():
    reg = registry()
    a, b, c = start_together(reg, [cfg(0), cfg(1, diverge_at=0.5), cfg(2)])  # b: |loss| > 0.5 counts as diverged
    finished(a, b, c)
    assert b.trainer.state == "failed" and b.trainer.snapshot().error.startswith("diverged at step 1")
    assert [a.trainer.state, c.trainer.state] == ["finished", "finished"]
    assert_same(a.trainer, reference(cfg(0)))
    assert_same(c.trainer, reference(cfg(2)))


def test_a_failing_batched_chunk_turns_cotraining_off_and_every_run_goes_on_alone(monkeypatch, caplog):
    """The batched path fails in the middle of a chunk, after a snapshot copy: no member's model, optimiser, counter
    or timeline has changed, and each goes on alone to the results it gets alone."""
    class Failing(cotrain.GANEnsemble):
        calls = 0

        def step(self, *a, **k):
            Failing.calls += 1
            if Failing.calls == 14:  # the second chunk: after its snapshot at step 10, within the chunk
                raise RuntimeError("injected: out of GPU memory")
            return super().step(*a, **k)

    monkeypatch.setattr(cotrain, "GANEnsemble", Failing)
    monkeypatch.setenv("GENAI_DEMO_SLICE_S", "10")  # the second chunk holds the 14th call even on a loaded machine
    reg = registry()
    runs = start_together(reg, [cfg(0), cfg(1)])
    finished(*runs)
    assert reg.cotrain.broken and reg.cotrain.group_chunks == 1 and Failing.calls == 14
    assert "stepping 2 runs together failed" in caplog.text
    for r, s in zip(runs, (0, 1), strict=True):
        assert r.trainer.state == "finished" and together(r) == 5  # the first chunk (5 steps), then alone
        assert_same(r.trainer, reference(cfg(s)))


def test_runs_of_another_shape_or_batch_size_are_not_grouped():
    reg = registry()
    twin_a, twin_b, narrow, small = start_together(reg, [cfg(0), cfg(1), cfg(2, z_dim=8), cfg(3, batch=8)])
    finished(twin_a, twin_b, narrow, small)
    assert together(twin_a) == together(twin_b) == STEPS  # the control: same shape and settings do group
    assert together(narrow) == together(small) == 0
    assert_same(narrow.trainer, reference(cfg(2, z_dim=8)))


def test_cgans_step_with_cgans_only():
    """Label-conditioned GANs group among themselves (each G and D sees its own batch's labels) and match alone."""
    reg = registry()
    gan_a, gan_b, cgan_a, cgan_b = start_together(reg, [cfg(0), cfg(1), cfg(2, kind="cgan"), cfg(3, kind="cgan")])
    finished(gan_a, gan_b, cgan_a, cgan_b)
    assert [together(r) for r in (gan_a, gan_b, cgan_a, cgan_b)] == [STEPS] * 4
    assert {r.trainer.chunk_runner.together for r in (gan_a, gan_b, cgan_a, cgan_b)} == {2}  # pairs, never 4
    for r, c in ((gan_a, cfg(0)), (cgan_a, cfg(2, kind="cgan")), (cgan_b, cfg(3, kind="cgan"))):
        assert_same(r.trainer, reference(c))
    dcgan = reg.start("dcgan", dataclasses.replace(cfg(4), kind="dcgan", steps=1, model_config=None), make)
    assert dcgan.trainer.chunk_runner is None  # its D has BatchNorm: it never joins an ensemble
    finished(dcgan)


# ---- the switch and the status line ----------------------------------------------------------------------------
