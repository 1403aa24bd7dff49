"""A recipe run stopped after an evaluation and started again with ``--state`` is the run that was never stopped
(training/recipe_state.py): same weights bit for bit, same kept state and record, and a state file is never used
for another recipe."""
from __future__ import annotations

import itertools

import pytest
import torch

from genai_demo.training import recipe, recipe_state
from genai_demo.training.checkpoints import load_checkpoint

# the paper-size recipe's moving parts, on a small budget: EMA, DiffAugment (its own generator), lazy R1, lr decay
ARGS = ["--model", "gan", "--steps", "6", "--eval-every", "2", "--eval-n", "200", "--ema", "0.9", "--diffaug", "2",
        "--r1", "1", "--r1-every", "2", "--decay-from", "0.3"]


class Stop(Exception):
    pass


def later_is_better(monkeypatch):
    """Every evaluation beats the one before, so the kept state is the last one: the state the continuation made."""
    real_score, calls = recipe.score, itertools.count(1)

    def score(*a, **k):
        key, s = real_score(*a, **k)
        return key - 1e9 * next(calls), s

    monkeypatch.setattr(recipe, "score", score)


def test_a_stopped_run_continues_bit_for_bit(tmp_path, monkeypatch, capsys):
    whole = tmp_path / "whole.safetensors"
    later_is_better(monkeypatch)
    recipe.main(ARGS + ["--out", str(whole)])
    later_is_better(monkeypatch)  # counting again from the first evaluation

    state, part = tmp_path / "run.pt", tmp_path / "part.safetensors"
    real_save, saves = recipe_state.save, []

    def save_then_stop(*a, **k):  # the machine goes away right after the second evaluation's state is written
        real_save(*a, **k)
        saves.append(a[2])
        if len(saves) == 2:
            raise Stop

    monkeypatch.setattr(recipe_state, "save", save_then_stop)
    with pytest.raises(Stop):
        recipe.main(ARGS + ["--state", str(state), "--out", str(part)])
    assert saves == [2, 4] and state.exists() and not part.exists()
    monkeypatch.setattr(recipe_state, "save", real_save)

    capsys.readouterr()
    recipe.main(ARGS + ["--state", str(state), "--out", str(part)])
    logged = capsys.readouterr().out.splitlines()
    assert any(line.startswith("continuing from step 4") for line in logged), logged
    assert sum(line.startswith("step") for line in logged) == 1  # only step 6 was trained and evaluated again
    a, meta_a = load_checkpoint(whole)
    b, meta_b = load_checkpoint(part)
    for name, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[name]), name
    assert meta_a["meta"]["steps"] == meta_b["meta"]["steps"] == 6
    assert meta_a["meta"]["selected_by"] == meta_b["meta"]["selected_by"]
    assert meta_a["meta"]["curves"] == meta_b["meta"]["curves"] and meta_a["meta"]["curves"]["history"]["step"]
    assert not state.exists()  # finished: the scratch file is gone


def test_a_state_file_is_refused_for_another_recipe(tmp_path, capsys):
    state = tmp_path / "run.pt"
    r = recipe.Recipe(model="gan", data="mnist5k", steps=2, lr=2e-4, eval_every=2, eval_n=200)
    recipe.train(r, log=lambda s: None, state=str(state))
    assert state.exists()
    with pytest.raises(SystemExit):  # a changed setting: one clear line, not a silent mix of two runs
        recipe.main(["--model", "gan", "--steps", "2", "--lr", "1e-4", "--eval-every", "2", "--eval-n", "200",
                     "--state", str(state), "--out", str(tmp_path / "x.safetensors")])
    assert "another recipe's state (it differs in lr)" in capsys.readouterr().err
    with pytest.raises(recipe_state.StateError, match="differs in steps"):
        recipe.train(recipe.Recipe(model="gan", data="mnist5k", steps=4, lr=2e-4, eval_every=2, eval_n=200),
                     log=lambda s: None, state=str(state))


@pytest.mark.parametrize("content", [b"", b"not a torch file", b"PK\x03\x04 half a zip"])
def test_an_unreadable_state_file_is_one_clear_line(tmp_path, capsys, content):
    state = tmp_path / "run.pt"
    state.write_bytes(content)  # e.g. the disk filled up while an older version wrote it non-atomically
    with pytest.raises(SystemExit):
        recipe.main(["--model", "gan", "--steps", "2", "--state", str(state), "--out", str(tmp_path / "x.safetensors")])
    assert "not a readable recipe state" in capsys.readouterr().err
    assert state.read_bytes() == content  # left as it was for the user to look at


def test_a_state_file_that_would_build_objects_is_refused(tmp_path, capsys):
    state = tmp_path / "run.pt"
    torch.save({"version": 1, "settings": {}, "x": Stop()}, state)  # a pickled class: weights_only will not build it
    with pytest.raises(SystemExit):
        recipe.main(["--model", "gan", "--steps", "2", "--state", str(state), "--out", str(tmp_path / "x.safetensors")])
    assert "not a readable recipe state (UnpicklingError)" in capsys.readouterr().err


def test_a_state_in_a_missing_folder_is_refused_before_training(tmp_path, capsys):
    with pytest.raises(SystemExit):
        recipe.main(["--model", "gan", "--steps", "2", "--state", str(tmp_path / "nope" / "run.pt"),
                     "--out", str(tmp_path / "x.safetensors")])
    assert "no such folder" in capsys.readouterr().err
