"""How sample-quality scores are drawn: the Train tab's readout card and the class histogram (HTML strings).

No gradio and no maths: plain functions of the dicts genai_demo.quality.live returns, so tests can read them.
Inline styles with the theme's CSS variables (as train_view.text_html does) keep this file self-contained.
"""
from __future__ import annotations

import html

from ..i18n import t
from ..quality.scores import CLASS_SHARE

CARD = ("padding:10px 12px;border:1px solid var(--block-border-color);border-radius:8px;"
        "background:var(--block-background-fill);font-size:.92rem;line-height:1.35")
SUBDUED = "color:var(--body-text-color-subdued)"
COVERED, MISSED = "#6366f1", "#f87171"  # indigo as the theme; red for a class under the coverage share
BAR_PX, COUNT_PX, LABEL_PX = 64, 14, 16  # bar heights, the count above a bar, the name below


def _short(name: str, width: int = 6) -> str:
    return name if len(name) <= width else name[:width - 1] + "…"


def histogram_html(hist: list[int], class_names: list[str] | None = None, share: float = CLASS_SHARE,
                   bar_px: int = BAR_PX) -> str:
    """Bars of how many samples the classifier puts in each class; classes under `share` of them are red and a
    dashed line marks that share — a few tall bars and many red ones is mode collapse at a glance."""
    n, top = sum(hist), max(max(hist), 1)
    names = class_names or [str(i) for i in range(len(hist))]
    line = min(1.0, share * n / top) * bar_px
    cols = []
    for name, c in zip(names, hist, strict=True):
        colour = COVERED if c >= share * n else MISSED
        h = max(1.0, bar_px * c / top)
        cols.append(
            f'<div title="{html.escape(name)}: {c} of {n}" style="flex:1;min-width:0;text-align:center">'
            f'<div style="height:{bar_px + COUNT_PX}px;display:flex;flex-direction:column;justify-content:flex-end">'
            f'<div style="font-size:.68rem;line-height:{COUNT_PX}px;{SUBDUED}">{c}</div>'
            f'<div style="height:{h:.0f}px;background:{colour};border-radius:3px 3px 0 0"></div></div>'
            f'<div style="font-size:.72rem;height:{LABEL_PX}px;line-height:{LABEL_PX}px;white-space:nowrap;overflow:hidden">'
            f'{html.escape(_short(name))}</div></div>')
    guide = (f'<div style="position:absolute;left:0;right:0;bottom:{LABEL_PX + line:.0f}px;border-top:1px dashed '
             f'{MISSED};opacity:.8" title="{share:.0%} of the samples"></div>')
    return (f'<div class="quality-hist" data-hist="{",".join(map(str, hist))}" style="position:relative;display:flex;'
            f'gap:3px;margin-top:8px">{guide}{"".join(cols)}</div>')


CELL = "border:none;background:none;padding:1px 0 1px 10px;text-align:right"  # inline: beats the theme's table borders


def _row(name: str, sample: str, real: str, hint: str = "") -> str:
    tip = f' title="{html.escape(hint)}"' if hint else ""
    return (f'<tr{tip} style="border:none;background:none"><td style="{CELL};text-align:left;padding-left:0">{name}</td>'
            f'<td style="{CELL};font-weight:600">{sample}</td><td style="{CELL};{SUBDUED}">{real}</td></tr>')


def readout_html(s: dict, step: int, lang: str = "en") -> str:
    """The Train tab's card for live_quality.readout() output `s`, measured on the snapshot of `step`."""
    k, share = len(s["histogram"]), f"{CLASS_SHARE:.0%}"
    rows = [_row(t("q_confidence", lang), f"{s['confidence']:.3f}", f"{s['real_confidence']:.3f}", t("q_confidence_tip", lang)),
            _row(t("q_covered", lang), f"{s['classes_covered']}/{k}", f"{s['real_classes_covered']}/{k}",
                 t("q_covered_tip", lang, share=share))]
    if "frechet" in s:
        # the sample size is part of the name: the distance shrinks with more images, real ones too (the Judge uses more)
        rows.append(_row(t("walk_q_frechet_n", lang, n=s["n"]), f"{s['frechet']:.1f}", f"{s['frechet_real']:.1f}",
                         t("q_frechet_tip", lang, n=s["n"])))
    if "label_acc" in s:
        rows.append(_row(t("q_label_acc", lang), f"{s['label_acc']:.3f}", "", t("q_label_acc_tip", lang)))
    if "neg_elbo" in s:
        rows.append(_row(t("q_elbo", lang), f"{s['neg_elbo']:.1f} nats", "",
                         t("q_elbo_tip", lang, recon=f"{s['recon_nats']:.1f}", kl=f"{s['kl']:.1f}")))
    head = (f'<div style="display:flex;flex-wrap:wrap;justify-content:space-between;align-items:baseline;column-gap:8px">'
            f'<b>{t("q_title", lang)}</b><span style="{SUBDUED};font-size:.85rem">'
            f'{t("q_measured_at", lang, step=f"<b class=quality-step>{step:,}</b>")}</span></div>')
    table = (f'<table style="width:100%;border:none;border-collapse:collapse;margin:4px 0 0;font-variant-numeric:tabular-nums">'
             f'<tr style="border:none;background:none;font-size:.75rem;{SUBDUED}"><td style="{CELL}"></td>'
             f'<td style="{CELL}">{t("q_samples", lang)}</td><td style="{CELL}">{t("q_real", lang)}</td></tr>{"".join(rows)}</table>')
    note = (f'<div style="font-size:.78rem;{SUBDUED};margin-top:4px">'
            f'{t("q_note", lang, data=html.escape(s["data"]), n=s["n"], share=share)}</div>')
    return (f'<div class="quality-card" data-step="{step}" data-kind="{s.get("kind", "")}" style="{CARD}">'
            f'{head}{table}{histogram_html(s["histogram"], s.get("class_names"))}{note}</div>')


def note_html(text: str, state: str = "idle", lang: str = "en") -> str:
    """The card while there is nothing measured to show (no run yet, no classifier for the data set, …)."""
    return (f'<div class="quality-card" data-state="{state}" style="{CARD}"><b>{t("q_title", lang)}</b>'
            f'<div style="{SUBDUED};margin-top:2px">{html.escape(text)}</div></div>')
