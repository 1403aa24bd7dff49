"""How a visitor's own data is described (HTML / Markdown strings; no gradio, no maths): its label in the data
list, the limits, the upload summaries and the Train tab's measurement card for a run on own images."""
from __future__ import annotations

import html

from ..data import own_archive, own_images, own_store, own_text
from ..i18n import t
from .quality_view import CARD, CELL, SUBDUED, _row


def data_label(name: str, lang: str = "en") -> str:
    """"Your images (24)" / "Your text (1,234 lines)"; a handle whose data is gone says so."""
    e = own_store.STORE.get(name)
    if e is None:
        return t("own_data_gone", lang)
    return t("own_data_images" if e.kind == "images" else "own_data_text", lang, n=f"{e.count:,}")


def image_limits(lang: str = "en") -> str:
    return t("own_limits", lang, min=own_archive.MIN_IMAGES, max=f"{own_archive.MAX_IMAGES:,}",
             file_mb=own_archive.MAX_FILE_BYTES >> 20, total_mb=own_archive.MAX_TOTAL_BYTES >> 20,
             mpx=own_images.MAX_PIXELS // 1_000_000, side=own_images.MAX_SIDE)


def text_limits(lang: str = "en") -> str:
    return t("own_text_limits", lang, kb=f"{own_text.MAX_BYTES // 1000:,}", line=own_text.MAX_LINE,
             lines=f"{own_text.MAX_LINES:,}", vocab=f"{own_text.MAX_VOCAB:,}", every=own_text.HELD_OUT_EVERY)


def images_summary(e, fits: bool, lang: str = "en") -> str:
    """What the status line says after a conversion; `fits`: the chosen model can learn from images."""
    head = t("own_images_ok", lang, n=f"{e.count:,}", train=f"{len(e.train):,}", held=f"{len(e.test):,}",
             data=data_label(e.name, lang))
    return head + ("" if fits else " " + t("own_images_pick_model", lang))


def text_summary(e, fits: bool, lang: str = "en") -> str:
    out = t("own_text_ok", lang, n=f"{e.count:,}", train=f"{e.train.lines:,}", held=f"{e.test.lines:,}",
            vocab=f"{len(e.vocab) - 1:,}", data=data_label(e.name, lang))
    if e.info.get("cut"):
        out += " " + t("own_text_cut", lang, n=f"{e.info['cut']:,}")
    if e.info.get("replaced"):
        out += " " + t("own_text_replaced", lang, n=f"{e.info['replaced']:,}", unknown=own_text.UNKNOWN)
    return out + ("" if fits else " " + t("own_text_pick_model", lang))


def text_sample(e, k: int = 8) -> str:
    """The first k lines as the model will read them, in a monospace box."""
    lines = "".join(f"<div>{html.escape(line)}</div>" for line in e.lines[:k])
    return f'<div class="own-text-sample" style="font-family:var(--font-mono);{SUBDUED}">{lines}</div>'


def readout_html(s: dict, step: int, lang: str = "en") -> str:
    """The Train tab's card for quality.own.readout() output `s`, measured on the snapshot of `step`."""
    rows = [_row(t("own_q_nn", lang), f"{s['nn_dist']:.2f}", f"{s['nn_dist_real']:.2f}", t("own_q_nn_tip", lang))]
    if "neg_elbo" in s:
        rows.append(_row(t("q_elbo", lang), f"{s['neg_elbo']:.1f} nats", "",
                         t("q_elbo_tip", lang, recon=f"{s['recon_nats']:.1f}", kl=f"{s['kl']:.1f}")))
    # the rule for "no copying": samples at least 0.8x as far from the training set as held-out images are;
    # far beyond them (1.25x) the samples do not look like the images yet
    ratio = s["nn_dist"] / max(s["nn_dist_real"], 1e-6)
    copying = ratio < 0.8
    verdict = t("own_q_copying" if copying else "own_q_far" if ratio > 1.25 else "own_q_new", lang)
    head = (f'<div style="display:flex;flex-wrap:wrap;justify-content:space-between;align-items:baseline;column-gap:8px">'
            f'<b>{t("own_q_title", lang)}</b><span style="{SUBDUED};font-size:.85rem">'
            f'{t("q_measured_at", lang, step=f"<b class=quality-step>{step:,}</b>")}</span></div>')
    table = (f'<table style="width:100%;border:none;border-collapse:collapse;margin:4px 0 0;font-variant-numeric:tabular-nums">'
             f'<tr style="border:none;background:none;font-size:.75rem;{SUBDUED}"><td style="{CELL}"></td>'
             f'<td style="{CELL}">{t("q_samples", lang)}</td><td style="{CELL}">{t("own_q_held", lang)}</td></tr>'
             f'{"".join(rows)}</table>')
    note = (f'<div style="font-size:.78rem;{SUBDUED};margin-top:4px">'
            f'{verdict} {t("own_q_note", lang, n=s["n"], train=s["train"], held=s["held"])}</div>')
    return (f'<div class="quality-card own-quality" data-step="{step}" data-kind="{s.get("kind", "")}" '
            f'data-copying="{int(copying)}" style="{CARD}">{head}{table}{note}</div>')
