"""What the Labs tab shows, as plain functions of a lab, its runs' snapshots and the detector's result: the lab's
texts, the status line, the result (detection, right or wrong, explanation), the live curve and the picture.

No gradio and no model maths: labs_tab.py wires these to components, tests call them directly.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..explore.labs import LABS, Lab, LabSession
from ..explore.labs_detect import Detection
from ..explore.labs_measure import ENDED
from ..i18n import t
from ..training.zoo import short_name
from . import train_view as V

SHOWN_SETTINGS = ("steps", "lr", "batch_size", "beta", "d_steps", "seed")  # a preset's settings, in this order
# how a preset's settings are named (catalogue keys; lr, β and D:G read the same in every language)
SETTING_WORDS = {"steps": "compare_set_steps", "batch_size": "compare_set_batch_size", "seed": "compare_set_seed"}
SYMBOLS = {"lr": "lr", "beta": "β", "d_steps": "D:G"}


def _word(name: str, lang: str) -> str:
    return SYMBOLS.get(name) or t(SETTING_WORDS[name], lang)
CURVE_POINTS = 200  # points per series sent by a tick


def lab_choices(lang: str = "en") -> list[tuple[str, str]]:
    """(title, id) for the lab picker, in the visitor's language."""
    return [(t(f"lab_{lab.key}_title", lang), lab.id) for lab in LABS.values()]


def prediction_choices(lab: Lab, lang: str = "en") -> list[tuple[str, int]]:
    return [(t(f"lab_{lab.key}_choice_{i}", lang), i) for i in range(lab.choices)]


def preset_words(lab: Lab, lang: str = "en") -> str:
    """"GAN (steps 1,000, lr 0.005, seed 0)" — each run of the preset, the settings it fixes."""
    parts = []
    for form in lab.runs:
        bits = [f"{_word(k, lang)} {form[k]:,}" if k == "steps" else f"{_word(k, lang)} {form[k]:g}"
                for k in SHOWN_SETTINGS if k in form]
        bits += [f"{t(f'labs_set_{k}', lang)} {v:g}" for k, v in (form.get("model_config") or {}).items()]
        parts.append(f"{short_name(form['model'], lang)} ({', '.join(bits)})")
    return " + ".join(parts)


def lab_markdown(lab: Lab, lang: str = "en") -> str:
    """The left column: goal, preset, then the question (the choices are the radio below it)."""
    return (f"### {t(f'lab_{lab.key}_title', lang)}\n\n**{t('labs_goal_h', lang)}:** {t(f'lab_{lab.key}_goal', lang)}\n\n"
            f"<small>{t('labs_settings', lang, settings=preset_words(lab, lang))}</small>\n\n"
            f"**{t(f'lab_{lab.key}_question', lang)}**")


def watch_markdown(lab: Lab, lang: str = "en") -> str:
    return f"**{t('labs_watch_h', lang)}:** {t(f'lab_{lab.key}_watch', lang)}"


def status_line(lab: Lab, runs: list, snaps: list, queue_pos: int | None, fired: Detection | None = None,
                lang: str = "en") -> str:
    """One line about the run the lab is on now: queued, training (step n of N), fired, ended, failed."""
    if not runs:
        return t("labs_idle", lang)
    run, snap = runs[-1], snaps[-1]
    step, total = f"{snap.step:,}", f"{snap.total:,}"
    if queue_pos:
        return t("labs_queued", lang, pos=queue_pos)
    if snap.state == "failed":
        return t("labs_failed", lang, error=snap.error or "")
    if fired is not None:
        key = "labs_fired_ended" if snap.state in ENDED else "labs_fired_running"
        return t(key, lang, run=run.id, step=step, total=total, at=f"{fired.step:,}")
    if snap.state in ENDED and (len(runs) == len(lab.runs) or snap.state != "finished"):
        return t("labs_ended", lang, run=run.id, step=step)
    if len(lab.runs) > 1:
        return t("labs_watching_two", lang, n=len(runs), run=run.id, step=step, total=total)
    return t("labs_watching", lang, run=run.id, step=step, total=total)


def result_markdown(lab: Lab, session: LabSession | None, ended: bool, last_step: int, run_id: str = "",
                    extra: dict | None = None, lang: str = "en") -> str:
    """The detector's sentence, whether the prediction was right, and the explanation — once it fired or the lab's
    runs all ended without it (then the detector's silence is the result). Empty while it is still watching."""
    if session is None or session.lab != lab.id:
        return ""
    d: Detection | None = session.detection
    if d is None and not ended:
        return ""
    seen = t(d.key, lang, **d.values) if d else t("labs_missed", lang, run=run_id, step=f"{last_step:,}")
    right = lab.right(d)
    choice = lambda i: t(f"lab_{lab.key}_choice_{i}", lang)  # noqa: E731
    verdict = (t("labs_right", lang, choice=choice(right)) if session.choice == right
               else t("labs_wrong", lang, chosen=choice(session.choice), right=choice(right)))
    out = (f"#### {t('labs_result_h', lang)}\n\n{seen}\n\n{verdict}\n\n"
           f"**{t('labs_explain_h', lang)}:** {t(f'lab_{lab.key}_explain', lang)}")
    if lab.id == "memorise" and extra:  # the follow-up: copying at two temperatures, measured on the final model
        out += (f"\n\n**{t('lab_memorise_followup', lang)}** "
                + t("lab_memorise_temps", lang, t05=f"{extra.get('t0.5', 0):.0%}", t15=f"{extra.get('t1.5', 0):.0%}"))
    return out


def _series(trace_parts: dict, name: str):
    """(steps, values) of a metric from whichever of history / evals / measured has it."""
    for source in trace_parts.values():
        if name in source and len(source[name]) == len(source.get("step", [])) and source["step"]:
            return source["step"], source[name]
    return None


def curve_frame(lab: Lab, traces: list, lang: str = "en") -> pd.DataFrame | None:
    """Long table (step, value, series) of the lab's curve metrics; with two runs, one series per run (by β)."""
    parts = []
    for tr in traces:
        sources = {"history": tr.history, "evals": tr.evals, "measured": tr.measured}
        for name in lab.curve:
            found = _series(sources, name)
            if not found:
                continue
            steps, values = found
            keep = V._thin(len(steps), CURVE_POINTS)
            label = t(f"labs_metric_{name}", lang) + (f" (β = {tr.beta:g})" if len(lab.runs) > 1 else "")
            parts.append(pd.DataFrame({"step": np.asarray(steps)[keep], "value": np.asarray(values, dtype=float)[keep],
                                       "series": label}))
    return pd.concat(parts, ignore_index=True) if parts else None


def picture(snap, corpus: str, lang: str = "en"):
    """("grid", image) or ("text", html) of a snapshot's newest preview; (None, None) before the first."""
    if snap is None or not snap.previews:
        return None, None
    step, pic = snap.previews[-1]
    if isinstance(pic, str):
        return "text", V.text_html(pic, corpus, lang)
    return "grid", V.grid_picture(pic)
