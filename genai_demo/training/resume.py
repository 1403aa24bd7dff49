"""A run from a saved file: a ``.safetensors`` written by this app's Save button or ``python -m genai_demo.train --out``,
loaded back with the strict checkpoint loader and trainable further from the step where it stopped.

What carries over and what does not:
  * the weights (checked: size, format tag, kind, every tensor's name, shape and dtype, the sha256 of the tensors);
  * the run's settings from the file's metadata (data set, seed, learning rate, batch size, β, D:G), checked by the same
    ``settings.checked`` as a new run, so a hand-edited header cannot ask for more than the Train tab may;
  * the step counter: the run goes on from the saved step;
  * the curves up to that step, if the file has them (curves_io.py: checked; a file without them starts empty plots).
  * NOT the optimiser state. A checkpoint holds the weights only (the format of the shipped models, and the Save button
    writes the frozen copy the UI reads, which never had Adam's moments). Adam starts fresh: its bias correction makes
    the first updates about lr in size, so training continues smoothly; only the moments' history is lost, so the
    curves can wobble for a few dozen steps. The batch draws restart from the seed, too: continuing is not
    bit-identical to a run that was never interrupted.
No gradio here: the UI passes a file path and shows the ResumeError's catalogue key in the visitor's language.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

from ..data.datasets import DataError, load_dataset
from ..models import family
from . import curves_io, factory
from .checkpoints import CheckpointError, load_checkpoint
from .settings import SettingError, checked
from .trainer import Trainer

MAX_UPLOAD_BYTES = 9 * 1024 * 1024  # the biggest file the app saves is an MLP GAN / CGAN: 8.1 MB (Gradio takes ≤ 10 MB)
MAX_SAVED_STEPS = 10_000_000  # a header claiming more steps than any run could have trained is not ours

# the strict loader's English sentences (checkpoints.py) → this module's catalogue keys, first match wins
_REASONS = (
    ("too big", "zoo_err_size"),
    ("looks like a PyTorch pickle", "zoo_err_pickle"),
    ("not a safetensors file", "zoo_err_not_safetensors"),
    ("not a valid safetensors file", "zoo_err_not_safetensors"),
    ("not a genai-demo checkpoint", "zoo_err_not_ours"),
    ("format version", "zoo_err_not_ours"),
    ("unknown model kind", "zoo_err_header"),
    ("damaged header", "zoo_err_header"),
    ("cannot build", "zoo_err_header"),
    ("does not match", "zoo_err_shapes"),
    ("tensor ", "zoo_err_shapes"),
    ("checksum mismatch", "zoo_err_checksum"),
)


class ResumeError(ValueError):
    """Why a file cannot become a run: the English sentence, plus a catalogue key (i18n/*/zoo.json) and its values."""

    def __init__(self, sentence: str, key: str = "zoo_err_generic", **values):
        super().__init__(sentence)
        self.key, self.values = key, values


@dataclasses.dataclass(frozen=True)
class Loaded:
    """What a file holds, checked: enough to build the run (``trainer``) and to tell the visitor what it is."""

    kind: str
    data: str
    step: int  # steps it had trained when saved
    settings: object  # RunSettings for the steps still to come (steps = how many more)
    model: object  # the GenerativeModel with the file's weights
    config: dict  # the model's config, from the header
    curves: tuple[dict, dict] | None = None  # the file's (history, evals) as saved, checked; None: start with empty plots


def _reason(e: CheckpointError) -> str:
    msg = str(e)
    return next((key for pattern, key in _REASONS if pattern in msg), "zoo_err_generic")


def read(path: str | os.PathLike, kinds: Sequence[str], datasets: Sequence[str], more_steps: int | None = None,
         max_steps: int | None = None) -> Loaded:
    """Check a saved file and everything its header asks for; ResumeError (or SettingError) with the reason."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise ResumeError("the file could not be read", "zoo_err_generic") from None
    if size > MAX_UPLOAD_BYTES:
        raise ResumeError(f"the file is {size / 2**20:.1f} MB; a checkpoint of this app is at most "
                          f"{MAX_UPLOAD_BYTES >> 20} MB", "zoo_err_size", limit=MAX_UPLOAD_BYTES >> 20)
    with open(path, "rb") as f:
        if f.read(2) == b"PK":  # a zip archive, which is also what a PyTorch .pt file is
            raise ResumeError("this is a zip archive (a PyTorch .pt file is one), not a .safetensors file", "zoo_err_zip")
    try:
        model, header = load_checkpoint(path)
    except CheckpointError as e:
        raise ResumeError(str(e).replace(str(path.parent), "").lstrip("/"), _reason(e),
                          limit=MAX_UPLOAD_BYTES >> 20) from None
    kind, meta = header["kind"], header["meta"]
    if kind not in kinds:
        raise ResumeError(f"a {kind} checkpoint cannot be trained or explored in this app", "zoo_err_kind", kind=kind)
    data, step, seed = meta.get("data"), meta.get("steps", 0), meta.get("seed", 0)
    if not isinstance(data, str) or not isinstance(step, int) or isinstance(step, bool) or not 0 <= step <= MAX_SAVED_STEPS:
        raise ResumeError("the file's header does not say which data it learnt from and for how many steps",
                          "zoo_err_header")
    if data not in datasets:
        raise ResumeError(f"it was trained on the data set {data!r}, which this server does not have (a data set a "
                          "visitor uploaded is deleted when they leave)", "zoo_err_data", data=data[:40])
    hyper = meta.get("hyper") if isinstance(meta.get("hyper"), dict) else {}
    form = {k: hyper[k] for k in ("lr", "batch_size", "beta", "d_steps") if k in hyper}
    form.update(model=kind, data=data, seed=seed, model_config=header["config"],
                steps=family(kind).steps if more_steps is None else more_steps)
    settings = checked(form, kinds=kinds, datasets=datasets, max_steps=max_steps)  # SettingError: a bad value, named
    return Loaded(kind, data, step, settings, model, dict(header["config"]), curves_io.unpack(meta.get("curves"), step))


def trainer(loaded: Loaded, max_seconds: float | None = None, max_examples: int | None = None) -> Trainer:
    """The run: the loaded model on its data set, paused at its saved step, a frozen copy published (explorable)."""
    s = loaded.settings
    cfg = dataclasses.replace(factory.run_config(s), steps=loaded.step + s.steps, max_seconds=max_seconds,
                              max_examples=max_examples)
    data = load_dataset(s.data, "train")
    base = getattr(data, "model_config", None) or {}  # text: the vocabulary the data set encodes with
    if any(loaded.config.get(k) != v for k, v in base.items()):
        raise ResumeError(f"the model's vocabulary does not match the data set {s.data!r}", "zoo_err_vocab", data=s.data)
    try:
        test = load_dataset(s.data, "test")
    except DataError:
        test = None
    t = Trainer(cfg, data, model=loaded.model, test_data=test, start_step=loaded.step, past=loaded.curves)
    t.publish()
    return t


__all__ = ["MAX_UPLOAD_BYTES", "Loaded", "ResumeError", "SettingError", "read", "trainer"]
