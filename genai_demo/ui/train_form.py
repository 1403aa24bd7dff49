"""The Train tab's form: what the controls open with and how they follow the chosen model, and Reset's face.

Plain functions returning component updates (no torch, no run state): the tab file wires them.
"""
from __future__ import annotations

import random
import threading
from collections import OrderedDict

import gradio as gr

from ..data import own_store
from ..i18n import t
from ..models import family, kinds, modality
from ..training.settings import LIMITS, datasets_for
from . import owndata_view
from . import train_view as V
from .lang import L, L_or
from .learn_tab import learn_link


def learn_md(kind: str, lang: str = "en") -> str:
    section = family(kind).learn
    return t("train_learn", lang, link=learn_link(section, lang)) if section else ""


def data_label(name: str, lang: str = "en"):
    if own_store.is_own(name):  # "your images (24)": the count, in the visitor's language
        return owndata_view.data_label(name, lang)
    return L_or(f"data_{name}", V.DATASETS.get(name, name))  # translated in the browser once the catalogue has it


def fresh_seed(request: gr.Request = None) -> int:
    """The Seed a page opens with: a lesson link's valid ?seed=, else a fresh one, so a student's first run is their
    own and not a copy of the shipped model (trained with seed 0); shown and editable, so any run can be repeated."""
    params = dict(getattr(request, "query_params", None) or {})
    try:
        asked = int(str(params.get("seed", "")).strip())
        if LIMITS["seed"].low <= asked <= LIMITS["seed"].high:
            return asked
    except ValueError:
        pass
    return random.randint(1, SEED_DRAW_HIGH)


SEED_DRAW_HIGH = 9999  # a fresh seed is short enough to read out to a class


class OpeningSeeds:
    """The Seed a page opens with, agreed with a Start pressed before the page had it.

    The page shows `build_seed` (drawn once, when the app was built) until its load event brings the visitor's own
    fresh_seed(). A Start pressed in between sends build_seed, and the two answers can reach the page in either order:
    the field then showed one seed and the run had another ("Start new run" instead of "Resume"). So whichever comes
    first for a session decides its opening seed: the load's fresh seed (a Start still showing build_seed then uses
    it: that is the number the page is about to show), or the Start's own seed (the load then hands out that one)."""

    MAX_SESSIONS = 4096  # a script opening sessions by the million keeps only the newest (the rest: plain fresh seeds)

    def __init__(self, registry):
        self.registry, self.build_seed = registry, None
        self._lock = threading.Lock()
        self._seeds: OrderedDict[str, list] = OrderedDict()  # session → [opening seed, used by a Start yet]

    def _claim(self, sid: str, seed: int) -> list:
        """The session's entry, made with `seed` if it has none (call under the lock)."""
        entry = self._seeds.setdefault(sid, [seed, False])
        self._seeds.move_to_end(sid)
        while len(self._seeds) > self.MAX_SESSIONS:
            self._seeds.popitem(last=False)
        return entry

    def hand_out(self, request: gr.Request = None) -> int:
        """The load event's value (and the app's build-time value, with no request)."""
        sid = getattr(request, "session_hash", None)
        if not isinstance(sid, str) or not sid:
            return fresh_seed(request)
        run = self.registry.current(sid)
        if run is not None:  # a run from before this entry (or one whose entry was crowded out): its own seed
            return run.cfg.seed
        with self._lock:
            return self._claim(sid, fresh_seed(request))[0]

    def for_start(self, sid: str, seed):
        """The seed a Start should use: `seed` as the form sent it, unless it is the build-time value and the page's
        opening seed was already handed out (the first Start only: later ones take the form as it is)."""
        if isinstance(seed, bool) or not isinstance(seed, int | float):  # a script's odd value: Start refuses it
            return seed
        with self._lock:
            entry = self._claim(sid, seed)
            first, entry[1] = not entry[1], True
            return entry[0] if first and seed == self.build_seed else seed

    def forget(self, sid: str) -> None:
        with self._lock:
            self._seeds.pop(sid, None)


BATCH_INFO = {False: "train_batch_info_images", True: "train_batch_info_text"}  # catalogue keys


def reset_button(armed: bool):
    """Reset's face: a plain Reset, or the question its second press answers."""
    return gr.Button(value=L("walk_reset_confirm" if armed else "train_btn_reset"))


def kept(value, defaults: set, default):
    """A field the visitor typed keeps its value when the model changes; one still at some family's default takes
    the new family's default."""
    return default if value is None or value in defaults else value


def model_changed(kind: str, data: str | None, datasets: list[str], lang: str = "en", steps=None, lr=None,
                  previous: str | None = None, keep: dict | None = None):
    """Show the controls of the chosen family with its defaults (learning rate, steps, batch) and only the
    data sets it can learn from: text corpora for the tiny GPT, image data sets for the others. Steps and learning
    rate the visitor typed (not the previous family's default; any family's when that is unknown) are kept.
    keep: values that win over both (a lesson link's data / lr / steps / batch_size for the model it names)."""
    spec, text = family(kind), modality(kind) == "text"
    keep = keep or {}
    data = keep.get("data", data)
    fits = datasets_for(kind, datasets)
    data = data if data in fits else spec.data if spec.data in fits else fits[0] if fits else None
    every = [family(previous)] if previous in kinds(view="train") else [family(k) for k in kinds(view="train")]
    steps = keep.get("steps", kept(steps, {f.steps for f in every}, spec.steps))
    lr = keep.get("lr", kept(lr, {f.lr for f in every}, spec.lr))
    return (gr.Slider(visible="beta" in spec.knobs), gr.Slider(visible="d_steps" in spec.knobs),
            gr.Checkbox(visible=spec.light is not None), lr, steps, learn_md(kind, lang),
            gr.Radio(choices=[(data_label(n, lang), n) for n in fits], value=data),
            gr.Slider(value=keep.get("batch_size", spec.batch_size), info=L(BATCH_INFO[text])))


def model_answer(kind: str, data: str | None, datasets_now, lang: str = "en", **kw):
    """model_changed() with the visitor's data list as it is when the answer leaves: `datasets_now()` is asked again
    after the answer is made, and an upload that landed meanwhile is listed and chosen, as its own answer did. (That
    answer, made later, can reach the page first: the model's older list then dropped "Your text" from the page.)"""
    datasets = datasets_now()
    for _ in range(5):  # each turn only an upload finishing in between can cause: a few are plenty
        out = model_changed(kind, data, datasets, lang, **kw)
        now = datasets_now()
        if now == datasets:
            break
        fresh = [n for n in now if n not in datasets]  # the upload's new name (a new upload of a kind replaces the old)
        data, datasets = (fresh[-1] if fresh else data), now
    return out
