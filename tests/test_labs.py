"""Labs engine: each detector on synthetic histories (fires / stays quiet, cites the step and the number), the labs'
definitions, and real short seeded runs of the presets until their detectors fire (bench/labs.py runs the full
presets and prints the step and wall time; tests/data/labs_*.json are traces recorded from it)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from genai_demo.explore import labs_detect as D
from genai_demo.explore.labs import LABS, LabDesk, lab
from genai_demo.explore.labs_detect import Trace
from genai_demo.explore.labs_run import run_lab, settings
from genai_demo.i18n import LANGS, catalogue, t

DATA = Path(__file__).parent / "data"


def measured(steps, **cols):
    return Trace(measured={"step": [float(s) for s in steps], **{k: [float(v) for v in vs] for k, vs in cols.items()}})


# ---- detectors on synthetic histories --------------------------------------------------------------------------------
def test_digits_appear_fires_at_the_first_confident_varied_grid():
    tr = measured([0, 100, 200, 300], confidence=[0.1, 0.8, 0.72, 0.9], classes=[1, 2, 7, 9])
    d = D.digits_appear([tr])
    assert d.step == 200  # step 100 is confident but only 2 classes: a collapsed G does not count
    assert d.values == {"step": "200", "confidence": "0.72", "classes": 7}
    assert "200" in t(d.key, "en", **d.values) and "0.72" in t(d.key, "en", **d.values)
    assert D.digits_appear([measured([0, 100], confidence=[0.1, 0.5], classes=[1, 9])]) is None


def test_mode_collapse_ignores_the_noise_grid_and_needs_digit_like_samples():
    quiet = measured([0, 50, 100, 200], confidence=[0.1, 0.9, 0.3, 0.8], classes=[1, 1, 2, 8])
    assert D.mode_collapse([quiet]) is None  # step 0/50: before COLLAPSE_AFTER; step 100: noise (confidence 0.3)
    d = D.mode_collapse([measured([0, 100, 800], confidence=[0.1, 0.5, 0.85], classes=[1, 2, 2])])
    assert (d.step, d.values["classes"]) == (800, 2)
    assert t(d.key, "en", **d.values).startswith("Classes covered fell to 2/10 at step 800:")


def test_d_wins_needs_high_accuracy_and_a_high_g_loss():
    steps = list(range(10, 210, 10))
    acc = [0.7] * 10 + [0.99] * 10
    high = [1.0] * 10 + [3.0] * 10
    tr = Trace(history={"step": steps, "d_acc": acc, "g_loss": high}, measured={"step": [0, 100], "confidence": [0.1, 0.2]})
    d = D.d_wins([tr])
    assert d is not None and d.step == 150  # the 5-point window is all 0.99 and 3.0 at step 150
    assert d.values == {"step": "150", "acc": "99%", "g_loss": "3.00", "confidence": "0.20"}
    low = [1.0] * 20  # D accurate, but G's loss near balance: not "D wins"
    assert D.d_wins([Trace(history={"step": steps, "d_acc": acc, "g_loss": low})]) is None
    assert D.d_wins([Trace(history={"step": steps, "d_acc": [0.7] * 20, "g_loss": high})]) is None


def test_beta_map_compares_both_runs_at_the_same_step():
    free = Trace(evals={"step": [0, 100, 200, 300], "val_kl": [0.1, 5, 9, 12], "val_loss": [540, 200, 180, 170]}, beta=0.0)
    tight = Trace(evals={"step": [0, 100, 200, 300], "val_kl": [0.1, 3, 5, 3.6], "val_loss": [540, 210, 200, 195]}, beta=4.0)
    d = D.beta_map([tight, free])  # order does not matter: told apart by β
    assert d.step == 300 and d.values["kl0"] == "12.0" and d.values["kl4"] == "3.6"
    assert d.values["elbo0"] == "170.0" and d.values["elbo4"] == "195.0"
    assert D.beta_map([free]) is None
    same = Trace(evals=tight.evals, beta=0.0)
    assert D.beta_map([same, tight]) is None


def test_memorise_fires_at_forty_percent():
    assert D.memorise([measured([100, 200], memorised=[0.1, 0.39])]) is None
    d = D.memorise([measured([100, 200, 300], memorised=[0.1, 0.41, 0.6])])
    assert d.step == 200 and d.values["share"] == "41%"


# ---- the labs' definitions -------------------------------------------------------------------------------------------
def test_every_lab_is_complete_in_both_languages():
    assert len(LABS) >= 5 and {"gan-learns", "mode-collapse", "d-wins", "beta-map", "memorise"} <= set(LABS)
    for lang in LANGS:
        cat = catalogue(lang)
        for lb in LABS.values():
            for part in ("title", "goal", "question", "watch", "explain", "fired"):
                assert f"lab_{lb.key}_{part}" in cat, (lang, lb.id, part)
            assert 3 <= lb.choices <= 4
            assert all(f"lab_{lb.key}_choice_{i}" in cat for i in range(lb.choices))
            assert settings(lb)  # the presets pass the same checks as the Train tab's form
            assert all("seed" in form for form in lb.runs)  # reproducible
        glossary = [k for k in cat if k.startswith("gloss_labs_") and k.endswith("_term")]
        assert len(glossary) >= 5 and all(k.replace("_term", "_text") in cat for k in glossary)


def test_the_right_answer_follows_what_the_detector_saw():
    hit = D.Detection(300, "lab_gan_learns_fired", {})
    assert LABS["gan-learns"].right(hit) == 0
    assert LABS["gan-learns"].right(D.Detection(900, "", {})) == 1
    assert LABS["gan-learns"].right(None) == 2
    assert LABS["mode-collapse"].right(hit) == 1 and LABS["mode-collapse"].right(None) == 0
    assert lab("no-such-lab") is None and lab(["mode-collapse"]) is None and lab(None) is None


def test_desk_keeps_one_lab_per_visitor():
    desk = LabDesk()
    desk.begin("a", "d-wins", 1, "r1")
    desk.begin("b", "memorise", 0, "r2")
    assert desk.get("a").runs == ["r1"] and desk.get("a").started_all
    assert desk.forget("a").lab == "d-wins" and desk.get("a") is None and desk.get("b").lab == "memorise"
    desk.MAX_SESSIONS = 3  # bounded: the oldest visitors' labs go first
    for i in range(5):
        desk.begin(f"s{i}", "memorise", 0, f"r{i}")
    assert desk.get("b") is None and desk.get("s1") is None and desk.get("s4").runs == ["r4"]


# ---- real short runs ------------------------------------------------------------------------------------------------
def test_mode_collapse_preset_collapses_on_a_real_run():
    r = run_lab(LABS["mode-collapse"], steps=300, timeout_s=60)
    assert r.detection is not None, r.meter.series("run0")
    assert r.detection.values["classes"] <= D.COLLAPSE_CLASSES and r.detection.step <= 300


def test_beta_map_detector_on_two_real_short_runs():
    r = run_lab(LABS["beta-map"], steps=210, timeout_s=90)
    assert r.detection is not None, [s.evals for s in r.snaps]
    kl0, kl4 = float(r.detection.values["kl0"]), float(r.detection.values["kl4"])
    assert kl0 >= D.BETA_KL_RATIO * kl4


@pytest.mark.parametrize("name", [p.stem[5:] for p in sorted(DATA.glob("labs_*.json"))])
def test_detectors_on_recorded_full_preset_runs(name):
    """Traces recorded by bench/labs.py --record from the full presets (their runs take a minute or more)."""
    rec = json.loads((DATA / f"labs_{name}.json").read_text())
    traces = [Trace(history=r["history"], evals=r["evals"], measured=r["measured"], beta=r["beta"]) for r in rec["runs"]]
    d = LABS[rec["lab"]].detect(traces)
    assert d is not None and d.step == rec["fired_step"]
    cut = [Trace(history={k: v[:1] for k, v in tr.history.items()}, evals={k: v[:1] for k, v in tr.evals.items()},
                 measured={k: v[:1] for k, v in tr.measured.items()}, beta=tr.beta) for tr in traces]
    assert LABS[rec["lab"]].detect(cut) is None  # at step 0 nothing has happened yet


# ---- the detectors that need long runs, on real models: the shipped checkpoints (trained for 1,200+ steps) -------
def test_digits_appear_on_real_previews_untrained_then_shipped():
    """The gan-learns measurement and detector on real grids: an untrained G's preview (step 0) and the shipped
    GAN's preview of the same noise (standing in for a later snapshot of the same run)."""
    import torch

    from genai_demo.explore.labs_measure import preview_scores
    from genai_demo.models import build
    from genai_demo.training.zoo import load_pretrained

    g = torch.Generator().manual_seed(1)
    untrained = build("gan").eval().preview(100, g)
    shipped = load_pretrained("gan_mnist5k")[0].eval().preview(100, torch.Generator().manual_seed(1))
    early, late = preview_scores(untrained, "mnist5k"), preview_scores(shipped, "mnist5k")
    tr = measured([0, 5000], confidence=[early["confidence"], late["confidence"]], classes=[early["classes"], late["classes"]])
    d = D.digits_appear([tr])
    assert d is not None and d.step == 5000 and early["confidence"] < D.DIGITS_CONFIDENCE


def test_memorised_share_is_measured_on_real_names():
    """The memorise measurement on the shipped names model (1,200 steps): CORPUS.md reports 26 % copies at
    temperature 1 and 43 % at 0.7 (500 samples); 100 seeded samples land near those, and a low temperature copies more."""
    from genai_demo.explore.labs_measure import memorised_share
    from genai_demo.training.zoo import load_pretrained

    model = load_pretrained("charlm_names")[0].eval()
    warm, cool = memorised_share(model, "names", 0, 1.0), memorised_share(model, "names", 0, 0.5)
    assert 0.1 <= warm <= 0.45 and cool > warm
    d = D.memorise([measured([1200, 1300], memorised=[warm, cool])])  # as if a later snapshot copied like T = 0.5 does
    assert (d is not None) == (cool >= D.MEMORISED_SHARE)


def test_meter_keeps_one_point_per_step_in_order():
    from genai_demo.explore.labs_measure import LabMeter

    m = LabMeter()
    for step, v in ((200, 0.2), (100, 0.1), (200, 0.9), (300, 0.3)):
        m._add("r1", step, {"memorised": v})
    assert m.series("r1") == {"step": [100.0, 200.0, 300.0], "memorised": [0.1, 0.2, 0.3]}
    m.forget(["r1"])
    assert m.series("r1") == {"step": []}
