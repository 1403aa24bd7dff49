"""What the Train tab shows, as plain functions: status text, loss tables, grids.

No gradio and no model maths here, so every piece is testable without a server: the tab file wires
these to components. What each model family is (name, defaults, knobs) comes from its spec (models/family.py),
the settings' limits from training/settings.py; only the texts drawn for a family's group live here.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.images import make_grid, upscale
from ..data.text import corpus_info
from ..i18n import catalogue, t
from ..models import MODELS, family
from ..training.zoo import data_name, family_name
from .glossary import term
from .text_preview import text_html  # noqa: F401 — the tabs and tests reach it as V.text_html

DATASETS = {"mnist5k": "MNIST-5k (embedded digits)", "fashion": "Fashion-MNIST", "mnist": "MNIST (60k, cached)",
            "names": "First names (5,163, text)", "tang": "Tang poems (1,556 lines, text)"}
PLOT_POINTS = 300  # points per curve sent to the browser: a 2 Hz poll must stay small
GRID_SCALE = 2  # 10×10 grid of 28 px digits = 302 px → 604 px, nearest-neighbour so pixels stay crisp


def available_datasets(fashion_dir: Path, mnist_dir: Path) -> list[str]:
    """Embedded MNIST-5k always; Fashion-MNIST / full MNIST only where their files are already on disk."""
    names = ["mnist5k"]
    for name, d in (("fashion", fashion_dir), ("mnist", mnist_dir)):
        if any((d / f).is_file() for f in ("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte")):
            names.append(name)
    return names


# ---- status ---------------------------------------------------------------------------------------
def status_dict(run=None, snap=None, queue_position: int | None = None, pace: dict | None = None) -> dict:
    """The small JSON the "status" endpoint returns (also what the status line is drawn from). pace: the registry's
    estimate while the run shares the device or waits (RunRegistry.pace: active runs, share, eta_s, wait_s)."""
    if run is None or snap is None:
        return {"state": "none", "message": "no training run yet — press Start first", "run_id": None, "step": 0,
                "total": 0, "metrics": {}, "held_out": {}, "steps_per_s": 0.0, "eta_s": None, "device": None, "queue_position": None,
                "error": None, "pace": None}
    eta = snap.eta_s if not pace or snap.state != "running" else pace["eta_s"]  # shared: the schedule's estimate
    return {
        "state": "queued" if queue_position else snap.state,
        "run_id": run.id, "model": run.cfg.kind, "data": run.cfg.data, "seed": run.cfg.seed,
        "step": snap.step, "total": snap.total,
        "metrics": {k: round(v, 5) for k, v in snap.last.items() if k != "step"},
        # the latest held-out evaluation (e.g. val_loss, val_bpc), measured at each snapshot
        "held_out": {k: round(v[-1], 5) for k, v in snap.evals.items() if k != "step" and v},
        "steps_per_s": round(snap.steps_per_s, 2),
        "eta_s": None if eta is None else round(eta, 1),
        "device": snap.device, "queue_position": queue_position, "error": snap.error, "notice": snap.notice,
        "pace": None if not pace else {"active": pace["active"], "share": round(pace["share"], 3),
                                       "wait_s": None if pace["wait_s"] is None else round(pace["wait_s"], 1),
                                       "together": pace.get("together", 1)},
        "hyper": dataclasses.asdict(snap.hp),
    }


def fmt_duration(s: float | None) -> str:
    if s is None:
        return "–"
    s = int(round(s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def about(s: float, lang: str) -> str:
    """A rough duration for an estimate: "≈ 40 s", "≈ 3 min" (an estimate shown to the second would promise too much)."""
    return t("sched_about_s", lang, n=max(1, round(s / 5) * 5 if s >= 10 else round(s))) if s < 90 \
        else t("sched_about_min", lang, n=round(s / 60))


def _others(n: int, lang: str) -> str:
    return t("sched_others_1", lang) if n == 1 else t("sched_others_n", lang, n=n)


def _pace_line(d: dict, lang: str) -> str | None:
    """While the run shares the device with others: the pace and when it reaches its last step (else None)."""
    p = d.get("pace")
    if not p or p["share"] >= 1:
        return None
    fraction, others = f"{1 / p['share']:.1f}".removesuffix(".0"), _others(p["active"] - 1, lang)
    if d["eta_s"] is None:
        return t("sched_sharing_unknown", lang, others=others, fraction=fraction)
    return t("sched_sharing", lang, others=others, fraction=fraction, eta=about(d["eta_s"], lang), total=f"{d['total']:,}")


def _dot(state: str) -> str:
    # a CSS-coloured dot, not an emoji: emoji fonts are missing on many servers and in headless browsers
    return f'<span class="dot dot-{state}"></span>'


def model_name(kind: str, lang: str = "en") -> str:
    """A family's title in the visitor's language (training.zoo.family_name: one place for both kinds of name)."""
    return family_name(kind, lang)


def status_markdown(d: dict, lang: str = "en") -> str:
    """One line for people: state, progress, speed, ETA, device, hyper-parameters; the queue or the error."""
    state = d["state"]
    if state == "none":
        return f"{_dot('none')}{t('status_none', lang)}"
    head = t("status_head", lang, dot=_dot(state), model=model_name(d["model"], lang), data=data_name(d["data"], lang),
             state=t(f"state_{state}", lang) if f"state_{state}" in catalogue("en") else state)
    if state == "queued":
        wait = (d.get("pace") or {}).get("wait_s", "none")
        tail = "" if wait == "none" else t("sched_wait_unknown", lang) if wait is None \
            else t("sched_wait", lang, wait=about(wait, lang))
        return t("status_queued", lang, head=head, position=d["queue_position"]) + tail
    if state == "failed":
        return t("status_failed", lang, head=head, step=f"{d['step']:,}", error=d["error"])
    hp = d.get("hyper") or {}
    parts = [head, t("status_step", lang, step=f"{d['step']:,}", total=f"{d['total']:,}")]
    if state == "running" and (shared := _pace_line(d, lang)):
        parts.append(shared)
    elif state == "running":
        parts += [t("status_speed", lang, speed=f"{d['steps_per_s']:.1f}"), t("status_eta", lang, eta=fmt_duration(d["eta_s"]))]
    if state == "running" and (g := (d.get("pace") or {}).get("together", 1)) > 1:  # one batched ensemble (cotrain.py)
        parts.append(t("sched_together", lang, others=_others(g - 1, lang)))
    if d.get("notice"):
        parts.append(t(d["notice"], lang))  # e.g. ZeroGPU said no: the run goes on on the CPU
    if state == "stopped" and d.get("error"):
        parts.append(d["error"])  # the server stopped it: its time or work budget was used
    parts.append(f"`{d['device']}`")
    if hp:
        knobs = family(d["model"]).knobs if d["model"] in MODELS else ()
        extra = (f", β {hp['beta']:g}" if "beta" in knobs else "") + (f", D:G {hp['d_steps']}:1" if "d_steps" in knobs else "")
        parts.append(f"lr {hp['lr']:g}, batch {hp['batch_size']}{extra}")
    return " · ".join(parts)


def progress_html(step: int, total: int, state: str, lang: str = "en") -> str:
    """The big step counter (data-step lets tests and scripts read it without parsing text)."""
    pct = 100.0 * step / total if total else 0.0
    return (f'<div class="step-counter" data-step="{step}" data-total="{total}" data-state="{state}">'
            f'<span class="step-label">{t("counter_step", lang)}</span> <span class="step-n">{step:,}</span>'
            f'<span class="step-total"> / {total:,}</span>'
            f'<div class="step-bar"><div style="width:{pct:.1f}%"></div></div></div>')


# ---- captions ------------------------------------------------------------------------------------
def note(text: bool, lang: str = "en") -> str:
    return t("train_text_note" if text else "train_grid_note", lang)


def caption(step: int, live: bool, text: bool = False, lang: str = "en", corpus: str | None = None) -> str:
    where = t("train_caption_live" if live else "train_caption_past", lang)
    info = corpus_info(corpus)  # a shipped corpus or a visitor's own text
    key = ("train_caption_lines" if info is not None and info.unit == "line" else "train_caption_text") if text \
        else "train_caption_images"  # "Sampled lines" for the poems, "Sampled names" for the names
    return t(key, lang, step=f"{step:,}", where=where)


def snapshot_at(steps: list[int], at: float, shown: int | None = None) -> int:
    """Index of the snapshot to show for timeline value `at` (a step): the nearest one; when that is the one already
    shown and the value moved, the neighbour in the direction it moved (an arrow key moves the slider by one step)."""
    if not steps:
        raise ValueError("no snapshots")
    at = min(max(at, steps[0]), steps[-1]) if at == at else steps[0]  # NaN → the first
    i = min(range(len(steps)), key=lambda k: (abs(steps[k] - at), k))
    if shown is not None and steps[i] == shown and at != shown:
        i = min(max(i + (1 if at > shown else -1), 0), len(steps) - 1)
    return i


# ---- curves ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plot:
    title: str
    series: dict[str, str]  # metric key → legend name
    tex: str  # the formula shown beside the curve (Markdown with $$…$$)

    key: str = ""  # catalogue keys plot_{key}_title / plot_{key}_note translate the title and the sentence
    note: str = ""  # the sentence under the formula (English; {names} are filled from `terms`, LaTeX kept out of it)
    terms: tuple[tuple[str, str], ...] = ()  # placeholder → LaTeX fragment, the same in every language
    gloss: tuple[str, ...] = ()  # glossary ids of the terms the plot shows: an ⓘ each beside the title (ui/glossary.py)

    @property
    def markdown(self) -> str:
        return self.markdown_in("en")

    def markdown_in(self, lang: str) -> str:
        title = t(f"plot_{self.key}_title", lang) if self.key else self.title
        note = t(f"plot_{self.key}_note", lang, **dict(self.terms)) if self.key else self.note
        terms = " · ".join(term(g, lang, short=True) for g in self.gloss)
        return f"**{title}**" + (f' <span class="gloss-terms">{terms}</span>' if terms else "") + \
            f"\n{self.tex}" + (f"\n{note}" if note else "")


PLOTS: dict[str, tuple[Plot, Plot]] = {  # keyed by a family's group (models/family.py); texts: the catalogues
    "vae": (
        Plot("Loss per image (nats)", {"loss": "loss (−ELBO)", "recon": "reconstruction", "val_loss": "held-out loss"},
             r"$$\mathcal{L} = \underbrace{\mathrm{BCE}(x, \hat x)}_{\text{reconstruction}}"
             r" + \beta\,\mathrm{KL}\big(q(z|x)\,\|\,\mathcal N(0, I)\big)$$", key="vae_loss",
             gloss=("nats", "elbo", "bce", "beta", "held_out")),
        Plot("KL term (nats)", {"kl": "KL"},
             r"$$\mathrm{KL} = -\tfrac12 \sum_{j=1}^{2} \left(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\right)$$", key="vae_kl",
             gloss=("kl", "prior")),
    ),
    "gan": (
        Plot("Discriminator and generator loss", {"d_loss": "D loss", "g_loss": "G loss"},
             r"$$L_D = -\big[\log D(x) + \log\big(1 - D(G(z))\big)\big]$$"
             r"$$L_G = -\log D(G(z))$$", key="gan_loss", gloss=("discriminator", "generator", "non_saturating")),
        Plot("How sure is D?", {"d_acc": "D accuracy", "d_real": "mean D(x)", "d_fake": "mean D(G(z))"},
             r"$$\mathrm{acc} = \tfrac12\big(\mathbf 1[D(x) > \tfrac12] + \mathbf 1[D(G(z)) \le \tfrac12]\big)$$",
             key="gan_acc", gloss=("d_acc", "dgz")),
    ),
    "text": (
        Plot("Negative log-likelihood (nats per character)", {"loss": "train NLL", "val_loss": "held-out NLL"},
             r"$$\mathcal{L} = -\frac{1}{T}\sum_t \log p_\theta(x_t \mid x_{<t})$$", key="text_nll",
             terms=(("ctx", "$x_{<t}$"), ("t", "$t$"), ("p", "$p_\\theta(x_t \\mid x_{<t})$"),
                    ("avg", "$-\\frac{1}{T}\\sum_t \\log$"), ("T", "$T$")), gloss=("nll", "nats", "held_out")),
        Plot("Bits per character", {"bpc": "train bpc", "val_bpc": "held-out bpc"},
             r"$$\mathrm{bpc} = \mathcal{L} / \ln 2$$", key="text_bpc", gloss=("bpc",)),
    ),
}
# a group with no texts of its own (a new family): its loss and held-out loss; the second plot stays empty
LOSS_ONLY = (Plot("Loss", {"loss": "loss", "val_loss": "held-out loss"}, "", key="loss_only"), Plot("", {}, ""))


def plots(kind: str) -> tuple[Plot, Plot]:
    """The Train tab's two curves (and their formulas) for a model family."""
    return PLOTS.get(family(kind).group, LOSS_ONLY)


COLORS = {"loss (−ELBO)": "#4f46e5", "reconstruction": "#0ea5e9", "held-out loss": "#f59e0b", "KL": "#db2777",
          "D loss": "#dc2626", "G loss": "#2563eb", "D accuracy": "#059669", "mean D(x)": "#7c3aed",
          "mean D(G(z))": "#f97316", "train NLL": "#4f46e5", "held-out NLL": "#f59e0b", "train bpc": "#059669",
          "held-out bpc": "#db2777"}


def curve_update(view: dict, key: str, frame):
    """The value for a LinePlot, working around two Gradio 6.31 front-end quirks (checked in a browser):
    a plot never redraws lines after an empty table, and it keeps the colour legend of the first table
    it drew. So the caller sends nothing while there is no data (frame None), and this clears the plot (None)
    for one tick whenever the set of series changes (a new model family, a held-out curve appearing); the
    next tick draws it."""
    names = sorted(set(frame["series"]))
    shown = view.get(key)
    if shown is not None and shown != names:
        view[key] = None
        view["curves"] = None  # redraw on the next tick
        return None
    view[key] = names
    return frame


# legend name → catalogue key: the curves' legend in the visitor's language, each colour the same in both
SERIES_KEYS = {"loss (−ELBO)": "series_elbo", "reconstruction": "series_recon", "held-out loss": "series_val_loss",
               "D loss": "series_d_loss", "G loss": "series_g_loss", "D accuracy": "series_d_acc", "mean D(x)": "series_d_real",
               "mean D(G(z))": "series_d_fake", "train NLL": "series_nll", "held-out NLL": "series_val_nll",
               "train bpc": "series_bpc", "held-out bpc": "series_val_bpc", "loss": "series_loss"}


def series_name(name: str, lang: str = "en") -> str:
    return t(SERIES_KEYS[name], lang) if name in SERIES_KEYS and lang != "en" else name


def colors() -> dict[str, str]:
    """COLORS plus the same colours under each translated legend name (the plots' color_map)."""
    return {**COLORS, **{series_name(n, "zh-CN"): c for n, c in COLORS.items()}}


def _thin(n: int, max_points: int) -> np.ndarray:
    """Indices of at most max_points evenly spread points, always keeping the newest."""
    if n <= max_points:
        return np.arange(n)
    idx = np.linspace(0, n - 1, max_points).round().astype(int)
    return np.unique(idx)


def curve_frame(plot: Plot, history: dict[str, list[float]], evals: dict[str, list[float]] | None = None,
                max_points: int = PLOT_POINTS, lang: str = "en") -> pd.DataFrame | None:
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
                                           "series": series_name(name, lang)}))
    return pd.concat(parts, ignore_index=True) if parts else None


def grid_picture(preview) -> np.ndarray | None:
    """A (n, 28, 28) uint8 preview → one crisp 10-per-row grid picture (None for text previews)."""
    if preview is None or isinstance(preview, str):
        return None
    return upscale(make_grid(preview, nrow=10), GRID_SCALE)
