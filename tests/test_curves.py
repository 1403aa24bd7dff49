"""Readable curves (ui/curves.py): y titles in both languages, a marker line at the step a hyper-parameter changed
(recorded by the Trainer itself), an early spike that does not set the y range, held-out points drawn as marks."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from genai_demo.training import factory
from genai_demo.training.settings import checked
from genai_demo.ui.curves import MARKER, change_label, changes_note, curve_view, y_range
from genai_demo.ui.train_view import LOSS_ONLY, PLOTS
from tests.helpers import wait_until


def vae_history(n: int = 200, spike: float = 500.0) -> dict:
    steps = list(range(1, n + 1))
    loss = [spike if s <= 3 else 160 - 20 * np.log(s) for s in steps]  # a huge first value, then a slow fall
    return {"step": steps, "loss": loss, "recon": [v - 5 for v in loss], "kl": [5.0] * n}


def test_every_plot_has_a_y_title_in_both_languages():
    for pair in PLOTS.values():
        for plot in pair:
            for lang, word in (("en", r"[a-z]"), ("zh-CN", r"[\u4e00-\u9fff]")):
                _, opts = curve_view(plot, {"step": [1, 2], **dict.fromkeys(plot.series, [1.0, 2.0])}, lang=lang)
                assert opts["y_title"].strip() and re.search(word, opts["y_title"]), (plot.key, lang)


def test_an_early_spike_does_not_set_the_range_and_is_said_to_be_cut():
    frame, opts = curve_view(PLOTS["vae"][0], vae_history(), lang="en")
    lo, hi = opts["y_lim"]
    later = vae_history()["loss"][10:]
    assert hi < 200 < 500 and lo <= min(later) - 5 and hi >= max(later)  # the spike (500) is off the top
    assert "clipped" in opts["x_title"] and "截断" in curve_view(PLOTS["vae"][0], vae_history(), lang="zh-CN")[1]["x_title"]
    assert opts["y_title"] == "nats / image"  # the unit alone: a long y title was cut off in the 190 px plot
    assert frame["value"].max() == 500  # the data is all there: the plot clips it, nothing is invented


def test_curves_that_fit_get_a_range_that_holds_them_all():
    history = vae_history(spike=150.0)
    _, opts = curve_view(PLOTS["vae"][0], history)
    values = [v for key in PLOTS["vae"][0].series for v in history.get(key, [])]
    lo, hi = opts["y_lim"]  # explicit, never None: the page's plot would keep an earlier, clipped range
    assert lo < min(values) and hi > max(values) and hi - lo < 1.2 * (max(values) - min(values))
    assert opts["x_title"] == "step"
    assert y_range(pd.DataFrame({"step": [1, 2], "value": [1.0, 2.0], "series": "a"})) is None


def test_a_short_run_is_never_cut_down_to_its_last_points():
    """A 60-step tiny GPT run logs 6 points per curve: the first 3 counted as "early", and the range the last 3 set
    left half the curve (all of it, mid-run) above the plot (seen in a screenshot of own-text training)."""
    bpc = [3.22, 2.41, 1.94, 1.53, 1.29, 1.14]
    frame = pd.DataFrame({"step": [10.0, 20, 30, 40, 50, 60], "value": bpc, "series": "train bpc"})
    assert y_range(frame) is None
    long = pd.DataFrame({"step": np.arange(1.0, 101), "value": [9.0, 6.0] + [1.0 + 0.01 * i for i in range(98)],
                         "series": "train bpc"})
    lo, hi = y_range(long)  # a long run's spike: 2 of 100 points, cut off
    assert hi < 6.0 and lo < 1.0


def test_held_out_points_are_drawn_as_separate_marks():
    history = vae_history()
    evals = {"step": [50, 100, 150, 200], "val_loss": [90.0, 85.0, 83.0, 82.0]}
    frame, _ = curve_view(PLOTS["vae"][0], history, evals)
    held = frame[frame["series"] == "held-out loss"]
    assert len(held) == 3 * 4 and held["value"].isna().sum() == 4  # a dash per point, each broken off by a gap
    dashes = held.dropna()
    for s, v in zip(evals["step"], evals["val_loss"], strict=True):
        dash = dashes[np.isclose(dashes["value"], v)]
        assert len(dash) == 2 and dash["step"].min() <= s <= dash["step"].max() and dash["step"].min() < dash["step"].max()
    assert dashes["step"].min() >= 1 and dashes["step"].max() <= 200  # the dashes stay within the steps drawn
    assert frame["step"].dtype.kind == "f" and frame["value"].dtype.kind == "f"  # numbers: the plot's x axis is numeric
    assert not frame[frame["series"] == "loss (−ELBO)"]["value"].isna().any()  # the training curve stays a line


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_change_is_drawn_as_a_labelled_vertical_line_at_its_step(lang):
    changes = ((120, "lr", 0.001, 0.005), (150, "beta", 1.0, 4.0), (900, "lr", 0.005, 0.001))  # the last: not yet drawn
    frame, opts = curve_view(PLOTS["vae"][0], vae_history(), changes=changes, lang=lang)
    label = change_label(120, "lr", 0.001, 0.005)
    assert label == "lr→0.005 @120"
    line = frame[frame["series"] == label]
    assert list(line["step"]) == [120, 120] and sorted(line["value"]) == opts["y_lim"]  # top to bottom of the plot
    assert opts["color_map"][label] == MARKER and "β→4 @150" in set(frame["series"])
    assert not any("@900" in s for s in frame["series"])
    # the legend lists the data's own series only (Vega draws it on one line and cut a 4th entry off) ...
    assert opts["colors_in_legend"] and not any("@" in s for s in opts["colors_in_legend"])
    assert set(opts["colors_in_legend"]) == set(frame["series"]) - {label, "β→4 @150"}
    # ... and the note under the plots names the grey lines drawn so far, in the page's language
    note = changes_note(changes, frame["step"].max(), lang)
    assert "lr→0.005 @120 · β→4 @150" in note and "@900" not in note and ("改了设置" in note) == (lang == "zh-CN")
    assert changes_note(changes[:1], 100, lang) == "" and changes_note((), 200, lang) == ""  # nothing drawn yet: no note


def test_the_trainer_records_a_mid_run_change_with_its_step():
    trainer = factory.make_trainer(checked({"model": "vae", "steps": 6, "batch_size": 8}), live=False)
    trainer.set_hyper(lr=0.002)  # before the first step: the run's setting, not a change
    trainer.step(3)
    wait_until(lambda: trainer.snapshot().step == 3, 60)
    trainer.set_hyper(lr=0.004, beta=2.0)
    trainer.step(1)
    wait_until(lambda: trainer.snapshot().step == 4, 60)
    trainer.stop()
    assert trainer.snapshot().changes == ((3, "lr", 0.002, 0.004), (3, "beta", 1.0, 2.0))


def test_the_plain_loss_plot_of_a_new_family_gets_a_title_too():
    _, opts = curve_view(LOSS_ONLY[0], {"step": [1, 2, 3], "loss": [3.0, 2.0, 1.0]})
    assert opts["y_title"] == "loss"
