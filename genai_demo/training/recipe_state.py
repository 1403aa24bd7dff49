"""Stop and go on: a recipe run's whole training state in one file, so a long CPU run (the paper-size DCGAN at 256
images per step takes ~5 h on one core) can be stopped at any moment and continued later, exactly where it was.

``python -m genai_demo.training.recipe ... --state run.pt`` writes the file after every evaluation and, when it is
already there, continues from it: the live weights, the averaged G, both Adam optimisers' moments, the batch and
augmentation generators, the best state kept so far and its record. A continued run is the run that was never
stopped (tests/test_recipe_state.py checks the weights are bit-identical on the CPU), unlike ``--init``, which starts
a *new* stage with fresh Adam moments and a fresh learning-rate schedule.

The file is the recipe's own scratch (torch.save of tensors, numbers and strings; read back with
``weights_only=True``, so it cannot run code); the app never reads it. It is refused when its settings differ from
the command's (another recipe would be silently continued), and deleted once the final checkpoint is saved.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import torch
from torch import nn

VERSION = 1


class StateError(ValueError):
    """The state file cannot be continued: unreadable, or another recipe's (continuing it would mix two runs)."""


def save(path: str | os.PathLike, recipe, step: int, model: nn.Module, ema: nn.Module | None, opts: dict,
         gens: list[torch.Generator], best: nn.Module | None, record: dict, seconds: float,
         curves: dict | None = None) -> None:
    """Write the state after `step` atomically (a stop while writing leaves the previous file whole). `curves`: the
    run's CurveLog state (lists of numbers); a file without it continues with the curves from that point only."""
    path = Path(path)
    state = {"version": VERSION, "settings": dataclasses.asdict(recipe), "step": step, "seconds": seconds,
             "model": model.state_dict(), "ema": ema.state_dict() if ema is not None else None,
             "opts": {name: opt.state_dict() for name, opt in opts.items()},
             "gens": [g.get_state() for g in gens], "record": record,
             "best": best.state_dict() if best is not None else None, "curves": curves}
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load(path: str | os.PathLike, recipe) -> dict | None:
    """The saved state for this very recipe, or None when there is no file yet."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated, not a torch file, or holding something weights_only refuses to build
        raise StateError(f"{path}: not a readable recipe state ({type(e).__name__}); delete it to start again") from e
    if not isinstance(state, dict) or state.get("version") != VERSION:
        raise StateError(f"{path}: written by another version of the recipe (delete it to start again)")
    ours, theirs = dataclasses.asdict(recipe), state["settings"]
    differ = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
    if differ:
        raise StateError(f"{path}: another recipe's state (it differs in {', '.join(differ)}); "
                            "delete it or give another --state")
    return state


def restore(state: dict, model: nn.Module, ema: nn.Module | None, opts: dict, gens: list[torch.Generator]) -> None:
    """Put the saved weights, moments and generator states back in place (the objects the loop already holds)."""
    model.load_state_dict(state["model"])
    if ema is not None:
        ema.load_state_dict(state["ema"])
    for name, opt in opts.items():
        opt.load_state_dict(state["opts"][name])
    for g, s in zip(gens, state["gens"], strict=True):
        g.set_state(s)
