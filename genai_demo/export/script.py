"""Assemble the exported script: this run's settings, the model classes from the package's real source, the data
loading, the training loop and sampling (``standalone.py``), and a ``main()``.

    script_for(kind="vae", data="mnist5k", config={...}, hyper={...}, steps=3000, seed=0, origin="run r3")

The result is one Python file that needs only torch and numpy; ``python file.py`` trains the model from scratch with
the run's exact hyper-parameters and seed and writes a grid of samples. No gradio here.
"""
from __future__ import annotations

import inspect
import json
import pprint
import sys
from pathlib import Path

from ..data import datasets, text
from ..models import MODELS, family
from ..models import base as base_module
from ..models.base import GenerativeModel, Hyper
from . import source, standalone

IMAGE_DATA = ("mnist5k", "fashion", "mnist")  # what the exported image loader reads
HELPERS = {  # standalone.py's functions each kind of script needs, in the order they are written
    "image": ("read_idx", "load_images", "draw_batch", "train", "make_grid", "write_png", "sample_images",
              "prepare_images", "show_images", "main"),
    "text": ("load_text", "train", "prepare_text", "show_text", "main"),
}
SUFFIX = {"image": "images", "text": "text"}  # prepare_images / show_images, prepare_text / show_text
HELD_OUT = ("MNIST5K_SEED", "MNIST5K_HELD_OUT_PER_CLASS")  # the held-out split's constants (data/datasets.py)
TEXT_CONSTANTS = ("HELD_OUT_EVERY", "SHUFFLE_SEED", "BLOCK_SIZE", "IGNORE")  # data/text.py


class ExportError(ValueError):
    """Why a model cannot be shown as code (a catalogue key for the visitor's language, i18n/*/zoo.json)."""

    def __init__(self, sentence: str, key: str = "zoo_code_unsupported", **values):
        super().__init__(sentence)
        self.key, self.values = key, values


def exportable(kind: str, data: str) -> bool:
    """Image families on the built-in image sets, the tiny GPT on the shipped corpora (not the classifier)."""
    if kind not in MODELS or not issubclass(MODELS[kind], GenerativeModel) or not MODELS[kind].family.views:
        return False
    return data in (IMAGE_DATA if MODELS[kind].output == "image" else text.corpus_names())


def _model_modules(cls: type) -> list:
    """The modules holding cls and its ancestors up to GenerativeModel, base first (e.g. base, gan, dcgan)."""
    mods = [base_module]
    for c in reversed(cls.__mro__):
        if issubclass(c, GenerativeModel) and c is not GenerativeModel:
            m = sys.modules[c.__module__]
            if m not in mods:
                mods.append(m)
    return mods


def default_data_path(data: str) -> str:
    """Where this installation keeps the data set the script reads."""
    if data in text.CORPORA:
        return str(text.ASSETS / text.CORPORA[data].file)
    return str(datasets.MNIST5K_PATH if data == "mnist5k" else datasets.FASHION_DIR if data == "fashion"
               else datasets.mnist_cache_dir())


def script_for(kind: str, data: str, config: dict, hyper: dict, steps: int, seed: int, origin: str,
               recipe: bool = False) -> str:
    """The standalone training script for a model of `kind` with this config, trained on `data` like the run was.
    recipe: the model came from the offline recipe (training/recipe.py), whose additions the script leaves out."""
    if not exportable(kind, data):
        raise ExportError(f"{kind} on {data} cannot be exported as a script yet", kind=kind, data=data)
    cls = MODELS[kind]
    cls.Config(**config)  # a config the package would refuse is not written into a script
    hp = {k: hyper.get(k, getattr(Hyper(), k)) for k in Hyper.__dataclass_fields__}
    modules = _model_modules(cls)
    words = "text" if cls.output == "text" else "image"
    data_modules = (text,) if words == "text" else ()
    lines = [i for m in (*modules, *data_modules, standalone) for i in source.imports(m)]
    run = {"kind": kind, "data": data, "steps": steps, "seed": seed, "hyper": hp, "config": config}
    if words == "text":
        run["verse"] = text.CORPORA[data].verse
        data_code = ["\n".join(f"{c} = {getattr(text, c)!r}" for c in TEXT_CONSTANTS) + "\n\n",
                     "class CorpusError(ValueError):\n    pass\n\n",  # what TextData raises for a too-short corpus
                     inspect.getsource(text.TextData) + "\n"]
    else:
        data_code = ["\n".join(f"{c} = {getattr(datasets, c)!r}" for c in HELD_OUT) + "\n\n",
                     inspect.getsource(datasets.mnist5k_held_out) + "\n"]
    name = family(kind).name
    parts = [
        _header(name, kind, data, steps, seed, origin, words, recipe),
        None,  # the imports, once the rest is known (only those it uses)
        *[source.standalone(m, f"genai_demo/models/{Path(m.__file__).name}") for m in modules],
        _section("data, training loop and sampling: genai_demo/export/standalone.py and genai_demo/data/"),
        *data_code,
        *[inspect.getsource(getattr(standalone, f)) + "\n" for f in HELPERS[words]],
        _section("this run"),
        f"RUN = {pprint.pformat(run, width=110, sort_dicts=False)}\n",
        f"MODEL_CLASS = {cls.__name__}\nCONFIG_CLASS = {cls.Config.__name__}\n"
        f"prepare, show = prepare_{SUFFIX[words]}, show_{SUFFIX[words]}\n",
        f"DEFAULT_DATA = {json.dumps(default_data_path(data), ensure_ascii=False)}  # pass --data to read it from elsewhere\n\n",
        'if __name__ == "__main__":\n    main()\n',
    ]
    body = "\n".join(p.rstrip("\n") + "\n" for p in parts[2:])
    parts[1] = "from __future__ import annotations\n\n" + source.merged_imports(lines, used_in=body)
    return "\n".join(p.rstrip("\n") + "\n" for p in parts)


RECIPE_NOTE = """

The shipped checkpoint itself was trained with the offline recipe (genai_demo/training/recipe.py): an average of G's
weights for sampling, DiffAugment, the R1 penalty, a decaying learning rate, the best of several evaluations, and for
some models more than one stage. This script is the app's plain loop with the checkpoint's last settings and none of those
additions, so its samples will look rougher than the checkpoint's."""


def _section(title: str) -> str:
    return f"\n# {'=' * 100}\n# {title}\n# {'=' * 100}\n"


def _header(name: str, kind: str, data: str, steps: int, seed: int, origin: str, words: str, recipe: bool = False) -> str:
    samples = "it prints 12 generated lines and writes them to samples.txt" if words == "text" else \
        "it writes a 10 x 10 grid of samples as a PNG"
    out = "samples.txt" if words == "text" else "samples.png"
    return f'''#!/usr/bin/env python3
"""{name} on {data}: a standalone PyTorch script exported from genai-demo ({origin}).

Only torch and numpy. It holds the model classes exactly as the app runs them (copied from genai_demo/models/ when this
file was written, with their comments and paper references), the data loading, the app's training loop with this run's
hyper-parameters and seed ({steps:,} steps, seed {seed}), and sampling: {samples}.

    python {kind}_{data}.py                      # train as the run did, write {out}
    python {kind}_{data}.py --steps 200 --log-every 10
    python {kind}_{data}.py --data /path/to/data # the data file or folder, if not where the app keeps it

Same seed and same data give the same batches, noise and initial weights as the app's run, so the losses match it (up
to floating-point differences between machines and thread counts). What the script does not do: the app's mid-run
changes of lr / batch size (it uses the values at export), held-out curves, and a loaded run's earlier training (a run
continued from a file starts here from scratch).{RECIPE_NOTE if recipe else ""}
"""
'''
