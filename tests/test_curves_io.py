"""A run's curves travel in its saved file (training/curves_io.py): Save writes a thinned copy, loading it back draws
it before the run's own points, and a hand-edited header cannot break the plots (its curves are dropped, the weights
still load)."""
from __future__ import annotations

import math

import pytest

from genai_demo.models import kinds
from genai_demo.training import curves_io, resume
from genai_demo.training.checkpoints import read_metadata, save_checkpoint
from genai_demo.training.factory import make_trainer
from genai_demo.training.runs import RunRegistry
from genai_demo.training.settings import checked
from tests.helpers import wait_until


def _series(n: int, start: float = 10.0, every: float = 10.0, names=("loss", "kl")) -> dict:
    steps = [start + every * i for i in range(n)]
    return {"step": steps, **{k: [100.0 / (i + 1) + j for i in range(n)] for j, k in enumerate(names)}}


def test_pack_thins_to_the_bound_keeps_the_last_point_and_stops_at_the_saved_step():
    history = _series(1000)  # steps 10 … 10,000
    packed = curves_io.pack(history, {"step": []}, upto=9000)
    h = packed["history"]
    assert len(h["step"]) <= curves_io.SAVED_POINTS and h["step"][0] == 10 and h["step"][-1] == 9000
    assert all(len(v) == len(h["step"]) for v in h.values())
    assert packed["evals"] == {}
    assert h["loss"][-1] == pytest.approx(100 / 900, rel=1e-3)  # 4 significant digits, the point at step 9000


def test_unpack_round_trips_and_reads_a_gap_as_nan():
    packed = curves_io.pack({**_series(5), "loss": [1.0, float("nan"), 3.0, float("inf"), 5.0]}, _series(2, names=("val_loss",)), 50)
    assert packed["history"]["loss"] == [1.0, None, 3.0, None, 5.0]  # JSON has no NaN
    history, evals = curves_io.unpack(packed, last_step=50)
    assert history["step"] == [10, 20, 30, 40, 50] and math.isnan(history["loss"][1]) and history["loss"][2] == 3.0
    assert evals["val_loss"] == pytest.approx([100.0, 50.0])


GOOD = {"history": {"step": [10, 20], "loss": [2.0, 1.0]}, "evals": {"step": [20], "val_loss": [1.5]}}


@pytest.mark.parametrize("bad", [
    "not a dict", ["history"], {"history": "x"},
    {"history": {"loss": [1.0]}},  # no step
    {"history": {"step": [10, 20], "loss": [1.0]}},  # lengths differ
    {"history": {"step": [20, 10], "loss": [1.0, 2.0]}},  # steps go back
    {"history": {"step": [10, 60], "loss": [1.0, 2.0]}},  # past the file's own step (50)
    {"history": {"step": [-1], "loss": [1.0]}},
    {"history": {"step": [None], "loss": [1.0]}},  # a step must be a number
    {"history": {"step": [10], "loss": ["1.0"]}},
    {"history": {"step": [10], "loss": [True]}},
    {"history": {"step": [10], "Loss<script>": [1.0]}},  # names are short lower-case identifiers
    {"history": {"step": [10], "x" * 40: [1.0]}},
    {"history": {"step": [10], **{f"m{i}": [1.0] for i in range(curves_io.MAX_SERIES + 1)}}},
    {"history": {"step": list(range(curves_io.SAVED_POINTS + 1)), "loss": [1.0] * (curves_io.SAVED_POINTS + 1)}},
    {"history": {"step": [10], "loss": [[1.0]]}},
    {**GOOD, "evals": {"step": [10], "val_loss": [1.0, 2.0]}},  # a bad table spoils the file's curves
    {"history": {}, "evals": {}},  # nothing to draw
])
def test_unpack_refuses_what_a_hand_edited_header_could_hold(bad):
    assert curves_io.unpack(bad, last_step=50) is None


def test_unpack_takes_good_curves_and_a_file_without_held_out_data():
    assert curves_io.unpack(GOOD, 50)[1]["val_loss"] == [1.5]
    assert curves_io.unpack({"history": GOOD["history"]}, 50)[1] == {}


def test_merged_draws_the_file_first_then_only_the_runs_own_metrics():
    past = {"step": [10.0, 20.0], "loss": [2.0, 1.0], "made_up": [0.0, 0.0]}
    assert curves_io.merged(past, {"step": []}) == past  # before the run's first point: the file as it is
    live = {"step": [30.0], "loss": [0.5], "kl": [0.1]}
    out = curves_io.merged(past, live)
    assert out["step"] == [10, 20, 30] and out["loss"] == [2, 1, 0.5] and "made_up" not in out
    assert all(math.isnan(v) for v in out["kl"][:2]) and out["kl"][2] == 0.1  # a metric the file lacks: a gap
    # the run's first held-out evaluation is of the file's own weights at the file's last step: drawn once
    evals = curves_io.merged({"step": [10.0, 20.0], "v": [3.0, 2.0]}, {"step": [20.0, 30.0], "v": [2.0, 1.5]})
    assert evals == {"step": [10, 20, 30], "v": [3, 2, 1.5]}


@pytest.fixture(scope="module")
def trained():
    t = make_trainer(checked({"model": "vae", "steps": 40, "seed": 2, "batch_size": 16}))
    t.start()
    assert t.join(60)
    return t.snapshot()


def _save(snap, path, curves) -> str:
    meta = {"data": "mnist5k", "steps": snap.model_step, "seed": 2, "hyper": {"batch_size": 16}}
    if curves is not None:
        meta["curves"] = curves
    save_checkpoint(path, snap.model, meta)
    return path


def test_a_loaded_run_shows_the_curves_it_was_saved_with_and_goes_on_from_them(trained, tmp_path, one_thread):
    path = _save(trained, tmp_path / "v.safetensors", curves_io.pack(trained.history, trained.evals, trained.model_step))
    assert len(read_metadata(path)["meta"]["curves"]["history"]["step"]) == len(trained.history["step"])
    loaded = resume.read(path, kinds(view="train"), ["mnist5k"], more_steps=20)
    reg = RunRegistry(max_running=1)
    run = reg.adopt("s1", lambda **budget: resume.trainer(loaded, **budget))
    snap = run.trainer.snapshot()
    assert snap.state == "paused" and snap.history["step"] == trained.history["step"]  # not empty plots
    assert snap.history["loss"] == pytest.approx(trained.history["loss"], rel=1e-3)
    assert snap.evals["step"] == trained.evals["step"]  # the held-out point at the saved step is not doubled
    reg.step("s1", 20, run.id)
    wait_until(lambda: run.trainer.snapshot().state == "finished", timeout=60)
    after = run.trainer.snapshot()
    steps = after.history["step"]
    assert steps[:len(trained.history["step"])] == trained.history["step"] and steps[-1] == 60
    assert steps == sorted(steps) and all(len(v) == len(steps) for v in after.history.values())
    assert after.evals["step"][-1] == 60 and len(set(after.evals["step"])) == len(after.evals["step"])
    reg.shutdown()


def test_bad_curves_in_a_header_still_load_the_weights_with_empty_plots(trained, tmp_path):
    path = _save(trained, tmp_path / "v.safetensors", {"history": {"step": [10, 10_000], "loss": [1.0, 2.0]}})
    loaded = resume.read(path, kinds(view="train"), ["mnist5k"], more_steps=20)
    assert loaded.curves is None and loaded.step == 40
    snap = resume.trainer(loaded).snapshot()
    assert snap.history["step"] == [] and snap.model is not None
    old = resume.read(_save(trained, tmp_path / "old.safetensors", None), kinds(view="train"), ["mnist5k"], 5)
    assert old.curves is None  # a file saved before curves were kept loads as before
