"""What the Train tab shows, as plain functions: run settings checked, status text, loss tables, grids.

No gradio and no model maths here, so every piece is testable without a server: the tab file wires
these to components. Messages raised as ValueError are meant for the visitor (one clear sentence).
"""
from __future__ import annotations

import dataclasses
import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.images import make_grid, upscale
from ..data.text import NOVELTY_WORDS, corpus_names, novelty
from ..models.base import Hyper
from ..training.trainer import RunConfig

MODELS = {"vae": "VAE", "cvae": "CVAE", "gan": "GAN", "cgan": "CGAN", "dcgan": "DCGAN",
          "charlm": "Tiny GPT (next character)"}
TEXT_MODELS = ("charlm",)  # learn from a text corpus (data/text.py), not from images
DATASETS = {"mnist5k": "MNIST-5k (embedded digits)", "fashion": "Fashion-MNIST", "mnist": "MNIST (60k, cached)",
            "names": "First names (5,163, text)"}
DEFAULT_LR = {"vae": 1e-3, "cvae": 1e-3, "gan": 2e-4, "cgan": 2e-4, "dcgan": 2e-4, "charlm": 1e-3}  # as the CLI
# charlm: its held-out loss bottoms out around 1,000-1,300 steps (assets/CORPUS.md), later it memorises names
DEFAULT_STEPS = {"vae": 3000, "cvae": 3000, "gan": 3000, "cgan": 3000, "dcgan": 1500, "charlm": 1200}
DEFAULT_BATCH = 64  # images (or windows of 32 characters) per step, for every model
DCGAN_LIGHT = {"ngf": 16, "ndf": 16}  # DCGANConfig.light(): the width that trains at a usable pace on 2 CPU cores
LIMITS = {  # name: (label, low, high) — the UI's sliders use the same bounds
    "lr": ("learning rate", 1e-6, 0.1),
    "batch_size": ("batch size", 1, 1024),
    "beta": ("β", 0.0, 20.0),
    "d_steps": ("D:G ratio", 1, 10),
    "seed": ("seed", 0, 2**31 - 1),
}
PLOT_POINTS = 300  # points per curve sent to the browser: a 2 Hz poll must stay small
GRID_SCALE = 2  # 10×10 grid of 28 px digits = 302 px → 604 px, nearest-neighbour so pixels stay crisp


def family(kind: str) -> str:
    return "vae" if kind in ("vae", "cvae") else "gan" if kind in ("gan", "cgan", "dcgan") else kind


def is_text(kind: str) -> bool:
    return kind in TEXT_MODELS


def datasets_for(kind: str, datasets: list[str]) -> list[str]:
    """The data sets a model can learn from: text corpora for the tiny GPT, image data sets for the others."""
    corpora = set(corpus_names())
    return [d for d in datasets if (d in corpora) == is_text(kind)]


def available_datasets(fashion_dir: Path, mnist_dir: Path) -> list[str]:
    """Embedded MNIST-5k always; Fashion-MNIST / full MNIST only where their files are already on disk."""
    names = ["mnist5k"]
    for name, d in (("fashion", fashion_dir), ("mnist", mnist_dir)):
        if any((d / f).is_file() for f in ("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte")):
            names.append(name)
    return names


# ---- settings ------------------------------------------------------------------------------------
def _number(name: str, value: Any, whole: bool = False) -> float | int:
    label, lo, hi = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{label} must be a number, got {value!r}")
    if not math.isfinite(value) or not lo <= value <= hi:
        raise ValueError(f"{label} must be between {lo:g} and {hi:g}, got {value:g}")
    if whole:
        if value != int(value):
            raise ValueError(f"{label} must be a whole number, got {value:g}")
        return int(value)
    return float(value)


def check_hyper(name: str, value: Any) -> float | int:
    """One hyper-parameter changed mid-run, validated (ValueError with a readable message)."""
    return _number(name, value, whole=name in ("batch_size", "d_steps", "seed"))


def run_config(model: Any, data: Any, steps: Any, lr: Any, batch_size: Any, beta: Any, d_steps: Any, seed: Any,
               full_size: Any, datasets: list[str], max_steps: int) -> RunConfig:
    """The visitor's form → a RunConfig, or a ValueError that says which field is wrong and why."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}: choose one of {', '.join(MODELS)}")
    if data not in datasets:
        raise ValueError(f"data set {data!r} is not available here: choose one of {', '.join(datasets)}")
    fits = datasets_for(model, datasets)
    if data not in fits:
        what = "text (it predicts the next character)" if is_text(model) else "images"
        raise ValueError(f"{MODELS[model]} learns from {what}, and {data!r} is not such a data set: "
                         f"choose {' or '.join(repr(d) for d in fits)}")
    if isinstance(steps, bool) or not isinstance(steps, int | float) or not math.isfinite(steps) or steps != int(steps) \
            or not 1 <= steps <= max_steps:
        raise ValueError(f"steps must be a whole number between 1 and {max_steps:,}, got {steps!r}")
    steps = int(steps)
    hp = Hyper(lr=_number("lr", lr), batch_size=_number("batch_size", batch_size, True), beta=_number("beta", beta),
               d_steps=_number("d_steps", d_steps, True))
    seed = _number("seed", seed, True)
    config = dict(DCGAN_LIGHT) if model == "dcgan" and not full_size else None
    # ~40 preview snapshots per run (the timeline), never more often than every 10 steps
    snap = int(min(200, max(10, round(steps / 40 / 10) * 10)))
    return RunConfig(kind=model, data=data, steps=steps, seed=seed, hp=hp, model_config=config,
                     publish_every=10, snapshot_every=snap)


# ---- status ---------------------------------------------------------------------------------------
def status_dict(run=None, snap=None, queue_position: int | None = None) -> dict:
    """The small JSON the "status" endpoint returns (also what the status line is drawn from)."""
    if run is None or snap is None:
        return {"state": "none", "message": "no training run yet — press Start first", "run_id": None, "step": 0,
                "total": 0, "metrics": {}, "held_out": {}, "steps_per_s": 0.0, "eta_s": None, "device": None, "queue_position": None,
                "error": None}
    return {
        "state": "queued" if queue_position else snap.state,
        "run_id": run.id, "model": run.cfg.kind, "data": run.cfg.data, "seed": run.cfg.seed,
        "step": snap.step, "total": snap.total,
        "metrics": {k: round(v, 5) for k, v in snap.last.items() if k != "step"},
        # the latest held-out evaluation (e.g. val_loss, val_bpc), measured at each snapshot
        "held_out": {k: round(v[-1], 5) for k, v in snap.evals.items() if k != "step" and v},
        "steps_per_s": round(snap.steps_per_s, 2),
        "eta_s": None if snap.eta_s is None else round(snap.eta_s, 1),
        "device": snap.device, "queue_position": queue_position, "error": snap.error,
        "hyper": dataclasses.asdict(snap.hp),
    }


def fmt_duration(s: float | None) -> str:
    if s is None:
        return "–"
    s = int(round(s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _dot(state: str) -> str:
    # a CSS-coloured dot, not an emoji: emoji fonts are missing on many servers and in headless browsers
    return f'<span class="dot dot-{state}"></span>'


def status_markdown(d: dict) -> str:
    """One line for people: state, progress, speed, ETA, device, hyper-parameters; the queue or the error."""
    state = d["state"]
    if state == "none":
        return (f"{_dot('none')}**No run yet** — pick a model, set the steps and press **Start**. "
                "The other tabs already work from pretrained weights.")
    head = f"{_dot(state)}**{MODELS.get(d['model'], d['model'])}** on {d['data']} · **{state}**"
    if state == "queued":
        return f"{head} — waiting for a free training slot — position {d['queue_position']} in queue"
    if state == "failed":
        return f"{head} at step {d['step']:,} — {d['error']}"
    hp = d.get("hyper") or {}
    parts = [head, f"step {d['step']:,} / {d['total']:,}"]
    if state == "running":
        parts += [f"{d['steps_per_s']:.1f} steps/s", f"ETA {fmt_duration(d['eta_s'])}"]
    if state == "stopped" and d.get("error"):
        parts.append(d["error"])  # the server stopped it: its time or work budget was used
    parts.append(f"`{d['device']}`")
    if hp:
        fam = family(d["model"])
        extra = f", β {hp['beta']:g}" if fam == "vae" else f", D:G {hp['d_steps']}:1" if fam == "gan" else ""
        parts.append(f"lr {hp['lr']:g}, batch {hp['batch_size']}{extra}")
    return " · ".join(parts)


def progress_html(step: int, total: int, state: str) -> str:
    """The big step counter (data-step lets tests and scripts read it without parsing text)."""
    pct = 100.0 * step / total if total else 0.0
    return (f'<div class="step-counter" data-step="{step}" data-total="{total}" data-state="{state}">'
            f'<span class="step-label">step</span> <span class="step-n">{step:,}</span>'
            f'<span class="step-total"> / {total:,}</span>'
            f'<div class="step-bar"><div style="width:{pct:.1f}%"></div></div></div>')


# ---- curves ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plot:
    title: str
    series: dict[str, str]  # metric key → legend name
    tex: str  # the formula shown beside the curve (Markdown with $$…$$)

    @property
    def markdown(self) -> str:
        return f"**{self.title}**\n{self.tex}"


PLOTS: dict[str, tuple[Plot, Plot]] = {
    "vae": (
        Plot("Loss per image (nats)", {"loss": "loss (−ELBO)", "recon": "reconstruction", "val_loss": "held-out loss"},
             r"$$\mathcal{L} = \underbrace{\mathrm{BCE}(x, \hat x)}_{\text{reconstruction}}"
             r" + \beta\,\mathrm{KL}\big(q(z|x)\,\|\,\mathcal N(0, I)\big)$$"
             "\nReconstruction: how many nats the decoder needs to redraw *x*; it falls as the digits sharpen."),
        Plot("KL term (nats)", {"kl": "KL"},
             r"$$\mathrm{KL} = -\tfrac12 \sum_{j=1}^{2} \left(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\right)$$"
             "\nHow far each code *q(z|x)* sits from the prior 𝒩(0, I); β trades it against reconstruction."),
    ),
    "gan": (
        Plot("Discriminator and generator loss", {"d_loss": "D loss", "g_loss": "G loss"},
             r"$$L_D = -\big[\log D(x) + \log\big(1 - D(G(z))\big)\big]$$"
             r"$$L_G = -\log D(G(z))$$"
             "\nA game, not a descent: the two losses push against each other and need not fall."),
        Plot("How sure is D?", {"d_acc": "D accuracy", "d_real": "mean D(x)", "d_fake": "mean D(G(z))"},
             r"$$\mathrm{acc} = \tfrac12\big(\mathbf 1[D(x) > \tfrac12] + \mathbf 1[D(G(z)) \le \tfrac12]\big)$$"
             "\nNear 0.5 the discriminator can no longer tell real from fake; stuck at 1.0, G has lost."),
    ),
    "charlm": (
        Plot("Negative log-likelihood (nats per character)", {"loss": "train NLL", "val_loss": "held-out NLL"},
             r"$$\mathcal{L} = -\frac{1}{T}\sum_t \log p_\theta(x_t \mid x_{<t})$$"
             "\n$x_{<t}$: the characters before position $t$, the model's only context. "
             "$p_\\theta(x_t \\mid x_{<t})$: the probability it gave the true next character. "
             "$-\\frac{1}{T}\\sum_t \\log$: the surprise, averaged over a window's $T$ positions."),
        Plot("Bits per character", {"bpc": "train bpc", "val_bpc": "held-out bpc"},
             r"$$\mathrm{bpc} = \mathcal{L} / \ln 2$$"
             "\nThe same loss in bits; guessing blindly among 53 characters costs log₂ 53 ≈ 5.7. "
             "Held-out rising while train falls: it is memorising names."),
    ),
}
COLORS = {"loss (−ELBO)": "#4f46e5", "reconstruction": "#0ea5e9", "held-out loss": "#f59e0b", "KL": "#db2777",
          "D loss": "#dc2626", "G loss": "#2563eb", "D accuracy": "#059669", "mean D(x)": "#7c3aed",
          "mean D(G(z))": "#f97316", "train NLL": "#4f46e5", "held-out NLL": "#f59e0b", "train bpc": "#059669",
          "held-out bpc": "#db2777"}


def _thin(n: int, max_points: int) -> np.ndarray:
    """Indices of at most max_points evenly spread points, always keeping the newest."""
    if n <= max_points:
        return np.arange(n)
    idx = np.linspace(0, n - 1, max_points).round().astype(int)
    return np.unique(idx)


def curve_frame(plot: Plot, history: dict[str, list[float]], evals: dict[str, list[float]] | None = None,
                max_points: int = PLOT_POINTS) -> pd.DataFrame | None:
    """Long-format table (step, value, series) for a gr.LinePlot, one series per metric the plot shows;
    None while there is nothing to draw."""
    parts = []
    for source in (history, evals or {}):
        steps = source.get("step") or []
        keep = _thin(len(steps), max_points)
        for key, name in plot.series.items():
            values = source.get(key)
            if values and len(values) == len(steps):
                parts.append(pd.DataFrame({"step": np.asarray(steps)[keep], "value": np.asarray(values)[keep],
                                           "series": name}))
    return pd.concat(parts, ignore_index=True) if parts else None


TEXT_BOX = ("list-style:none;margin:0;padding:10px 14px;columns:2;column-gap:28px;line-height:1.75;"
            "font-family:var(--font-mono,monospace);font-size:1.05rem;background:var(--block-background-fill);"
            "border:1px solid var(--block-border-color);border-radius:8px")
TEXT_NUM = "display:inline-block;width:2.2em;color:var(--body-text-color-subdued);font-size:.85em"


# a sampled line's relation to the corpus (data.text.novelty): the Next-token tab's words and badge colours
NOVEL = {"new": ("#dcfce7", "#14532d"), "memorised": ("#ffedd5", "#7c2d12"), "held-out": ("#e0f2fe", "#0c4a6e")}
TAG = "margin-left:.5em;padding:0 .4em;border-radius:4px;font-size:.72em;font-family:var(--font);background:{};color:{}"


def text_html(preview, corpus: str | None = None) -> str | None:
    """A text preview (generated lines) → a numbered monospace box in two columns (None for image previews).

    With the run's corpus, each name is tagged new / copied from the training names / a real name the model
    never saw, and a line below counts them: memorising shows up as copies, next to the held-out curve.
    """
    if not isinstance(preview, str):
        return None
    known = corpus in corpus_names()
    items, counts = [], dict.fromkeys(NOVEL, 0)
    for i, line in enumerate(preview.split("\n"), 1):
        tag = ""
        if line.strip() and known:
            kind = novelty(line, corpus)
            counts[kind] += 1
            tag = f'<span class="novelty-{kind}" style="{TAG.format(*NOVEL[kind])}">{NOVELTY_WORDS[kind]}</span>'
        text = html.escape(line) if line.strip() else "<i>(empty)</i>"
        items.append(f'<li><span style="white-space:nowrap"><span style="{TEXT_NUM}">{i}</span>{text}{tag}</span></li>')
    box = f'<ol class="train-text" data-lines="{len(items)}" style="{TEXT_BOX}">{"".join(items)}</ol>'
    if not known:
        return box
    summary = (f"{counts['new']} new · {counts['memorised']} copied from the training names · "
               f"{counts['held-out']} real name{'' if counts['held-out'] == 1 else 's'} it never trained on")
    return box + f'<div class="train-text-summary" style="margin-top:6px;font-size:.9rem">{summary}</div>'


def grid_picture(preview) -> np.ndarray | None:
    """A (n, 28, 28) uint8 preview → one crisp 10-per-row grid picture (None for text previews)."""
    if preview is None or isinstance(preview, str):
        return None
    return upscale(make_grid(preview, nrow=10), GRID_SCALE)
