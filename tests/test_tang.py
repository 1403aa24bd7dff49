"""The Tang-poem tiny GPT: its corpus (provenance, split), the shipped checkpoint, the form check, the Next-token tab."""
from __future__ import annotations

import hashlib
import importlib.util
import math
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from genai_demo import evaluate_text
from genai_demo.data.text import (
    CORPORA,
    IGNORE,
    corpus_vocab,
    load_corpus,
    load_text_dataset,
    novelty,
    verse_novelty,
    verses,
)
from genai_demo.explore import textgen
from genai_demo.models import build
from genai_demo.models.charlm import unigram_bpc
from genai_demo.training.zoo import checkpoint_dir, load_pretrained
from genai_demo.ui import text_view
from genai_demo.ui.context import UIContext
from genai_demo.ui.lang import in_language
from genai_demo.ui.text_tab import DEFAULT_MODEL, TANG_MODEL, TextActions, default_model

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path("/usr/share/games/fortunes/tang300")  # Debian's fortunes-zh (scripts/test.sh installs it)
HAN = re.compile(r"[\u4e00-\u9fff]")


def make_corpus_script():
    spec = importlib.util.spec_from_file_location("make_tang_corpus", ROOT / "scripts" / "make_tang_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def tang():
    path = checkpoint_dir() / "charlm_tang.safetensors"
    if not path.is_file():
        pytest.fail(f"{path} is missing — genai_demo/assets/CORPUS.md says how to train it", pytrace=False)
    return load_pretrained("charlm_tang")


# ---- the corpus ----------------------------------------------------------------------------------------------------
def test_corpus_split_is_fixed():
    lines, train, test = load_corpus("tang", "all"), load_corpus("tang", "train"), load_corpus("tang", "test")
    assert (len(lines), len(train), len(test)) == (1556, 1401, 155)
    assert test == lines[9::10]  # every 10th line, as for the names
    assert test[0] == "冠盖满京华，斯人独憔悴。" and test[-1] == "借问汉宫谁得似，可怜飞燕倚新妆。"
    assert hashlib.sha256("\n".join(test).encode()).hexdigest()[:16] == "d091da8303f3c1d5"
    assert len(corpus_vocab("tang")) == 2449 and corpus_vocab("tang")[0] == "\n"
    assert CORPORA["tang"].verse and not CORPORA["names"].verse


def test_corpus_holds_verse_only():
    text = (ROOT / "genai_demo" / "assets" / CORPORA["tang"].file).read_text(encoding="utf-8")
    assert "\x1b" not in text and "%" not in text  # no colour codes, no fortune separators
    assert "作者" not in text and "《" not in text and "》" not in text  # no author lines, no titles
    assert "元和十年" not in text and "余禁所禁垣西" not in text  # the prose prefaces (琵琶行, 在狱咏蝉) are gone
    assert "浔阳江头夜送客，枫叶荻花秋瑟瑟。" in text and "床前明月光，疑是地上霜。" in text  # their verse is kept
    for line in load_corpus("tang", "all"):
        assert line == line.strip() and HAN.search(line) and not re.search(r"[A-Za-z0-9]", line)


def test_the_script_strips_a_fortune_file():
    mod = make_corpus_script()
    src = ("\x1b[32m《静夜思》\x1b[m\n\x1b[33m作者：李白\x1b[m\n床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n%\n"
           "\x1b[32m《某诗・并序》\x1b[m\n\x1b[33m作者：某人\x1b[m\n序文一句，序文二句。\n\n山高月小，水落石出。\n%\n")
    found = mod.poems(src)
    assert found == [["床前明月光，疑是地上霜。", "举头望明月，低头思故乡。"], ["山高月小，水落石出。"]]
    assert mod.render(found) == "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n\n山高月小，水落石出。\n"


def test_the_asset_is_what_the_script_makes_of_the_debian_file():
    if not SOURCE.is_file():
        pytest.fail(f"{SOURCE} is missing: apt-get install fortunes-zh (scripts/test.sh does it)", pytrace=False)
    mod = make_corpus_script()
    made = mod.render(mod.poems(SOURCE.read_text(encoding="utf-8")))
    assert made == (ROOT / "genai_demo" / "assets" / "tang.txt").read_text(encoding="utf-8")


def test_verses_and_their_novelty():
    assert verses("床前明月光，疑是地上霜。") == ["床前明月光", "疑是地上霜"]
    assert verses("君不见，") == ["君不见"] and verses("") == [] and verses("，。") == []
    train, test = load_corpus("tang", "train"), load_corpus("tang", "test")
    assert novelty(train[0], "tang") == "memorised" and novelty(test[0], "tang") == "held-out"
    assert novelty("床前明月光，疑是地上雪。", "tang") == "new"
    assert verse_novelty("床前明月光", "tang") == "memorised" and verse_novelty("床前明月雪", "tang") == "new"
    unseen = next(v for line in test for v in verses(line) if all(v not in verses(t) for t in train))
    assert verse_novelty(unseen, "tang") == "held-out"


# ---- windows from line starts -------------------------------------------------------------------------------------
def test_verse_windows_start_at_line_starts_and_score_every_character_once():
    data = load_text_dataset("tang", "test")
    assert data.aligned and not load_text_dataset("names", "test").aligned
    x, y = data.windows()
    assert (x[:, 0] == 0).all()  # every window starts with "\n": the start of a line
    scored = y[y != IGNORE]
    assert torch.equal(scored, data.tokens[1:])  # each character once, in order: the exact held-out loss
    assert ((y == IGNORE) <= (x == 0)).all()  # padding is "\n" in x, never scored in y
    bx, by = data.batch(16, torch.Generator().manual_seed(0))
    assert (bx[:, 0] == 0).all() and torch.equal(bx[:, 1:], by[:, :-1])


def test_a_verse_model_reads_from_a_line_start():
    torch.manual_seed(0)
    model = build("charlm", {"vocab": corpus_vocab("tang"), "n_layer": 1, "n_embd": 16, "n_head": 2, "block_size": 16})
    ids = model.encode("\n床前明月光，疑是地上霜。\n举头望明月，")  # 20 ids, context 16
    assert textgen.window(model, ids) == ids[-16:]
    assert textgen.window(model, ids, line_start=True) == model.encode("\n举头望明月，")  # the half line before is dropped
    assert textgen.window(model, ids[:10], line_start=True) == ids[:10]  # short texts are read whole
    assert textgen.aligned("tang") and not textgen.aligned("names") and not textgen.aligned(None)


# ---- the form check ------------------------------------------------------------------------------------------------
def test_form_check_on_hand_made_lines():
    good = ["床前明月光，疑是地上霜。", "浔阳江头夜送客，枫叶荻花秋瑟瑟。", "红豆生南国？"]
    bad = ["床前明月，疑是地上霜。",  # 4 + 5
           "床前明月光，枫叶荻花秋瑟瑟。",  # 5 + 7: a couplet keeps one length
           "床前明月光，疑是地上霜",  # unfinished: no closing mark
           "床前明月光，，疑是地上霜。",  # an empty verse
           "", "君不见，"]
    assert all(textgen.classical(x) for x in good) and not any(textgen.classical(x) for x in bad)
    assert textgen.form_share(good + bad) == pytest.approx(3 / 9)
    assert textgen.form_share([]) == 0.0
    share = textgen.form_share(load_corpus("tang", "test"))  # the poets themselves: most lines, not all
    assert 0.9 < share < 1.0


def test_copying_counts_lines_and_verses():
    train = load_corpus("tang", "train")
    a, b = verses(train[0])
    c = textgen.copying([train[0], f"{a}，床前明月雪。", "山山山山山，水水水水水。"], "tang")
    assert c.lines == pytest.approx({"new": 2 / 3, "memorised": 1 / 3, "held-out": 0.0})
    assert c.verses == pytest.approx({"new": 3 / 6, "memorised": 3 / 6, "held-out": 0.0})


# ---- the shipped checkpoint ----------------------------------------------------------------------------------------
def test_checkpoint_is_small_and_knows_the_corpus(tang):
    model, header = tang
    assert header["meta"]["data"] == "tang" and model.vocab == corpus_vocab("tang")
    assert (checkpoint_dir() / "charlm_tang.safetensors").stat().st_size < 10 * 2**20


def test_held_out_bits_per_char_beat_the_unigram_baseline(tang):
    model, _ = tang
    train, test = load_text_dataset("tang", "train"), load_text_dataset("tang", "test")
    val = model.evaluate(test, torch.Generator())["val_bpc"]
    base = unigram_bpc(train.tokens, test.tokens, len(model.vocab))
    assert val < base - 1.0 < math.log2(len(model.vocab))  # at least a bit per character better than frequencies


def test_it_writes_chinese_and_the_form_check_runs(tang):
    model, _ = tang
    lines = model.sample_lines(40, torch.Generator().manual_seed(0), temperature=textgen.FORM_TEMPERATURE)
    assert sum(bool(HAN.search(line)) for line in lines) >= 35
    share = textgen.form_share(lines)
    assert 0.0 <= share <= 1.0 and share >= 0.5  # the shipped model's share is in CORPUS.md; 40 lines are noisy


def test_evaluate_text_reports_the_form_check(tang, capsys):
    path = checkpoint_dir() / "charlm_tang.safetensors"
    assert evaluate_text.main([str(path), "--samples", "3", "--count", "30"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"form check \(temperature 0\.8, 30 lines\): \d+\.\d% have the classical shape", out)
    assert "copied, whole lines:" in out and "copied, verses:" in out and "unigram" in out


# ---- the Next-token tab --------------------------------------------------------------------------------------------
@pytest.fixture
def actions():
    return TextActions(UIContext(), delay=0)


def test_the_tab_generates_with_the_tang_model(tang, actions):
    req = SimpleNamespace(session_hash="tang-visitor")
    frames = list(actions.generate(TANG_MODEL, "床前明月光", 0.8, 0, 3, 30, request=req))
    last = frames[-1]
    text = last["state"]["text"]
    assert text.startswith("床前明月光") and len(text) == 5 + 30
    assert len(HAN.findall(text[5:])) >= 15  # the model writes Chinese characters
    assert any(HAN.fullmatch(label) for label in last["chart"])  # the bars are labelled with characters
    assert "chip" in last["lines"] and re.search("new|memorised|real line, unseen", last["lines"])
    info = actions.info(TANG_MODEL, request=req)
    assert "trained on *tang*" in info and "bits/char" in info


def test_the_prompt_box_follows_the_model(tang, actions):
    req = SimpleNamespace(session_hash="tang-hints")
    hint = actions.hints(TANG_MODEL, "", request=req)
    assert in_language(hint["prompt"].placeholder) == "e.g. 床前明月光" and "Tang verse" in in_language(hint["prompt"].label)
    assert in_language(hint["prompt"].placeholder, "zh-CN") == "例如 床前明月光"  # translated in the browser
    legend = in_language(hint["legend"].value)
    assert "training lines" in legend and "real line, unseen" in legend
    assert "value" not in hint["prompt"].constructor_args  # an empty prompt fits every model: left alone
    cleared = actions.hints(TANG_MODEL, "Ma", request=req)  # a Latin prompt the poem model cannot read is cleared
    assert "value" in cleared["prompt"].constructor_args and cleared["prompt"].value == ""
    kept = actions.hints(TANG_MODEL, "床前", request=req)
    assert "value" not in kept["prompt"].constructor_args  # a prompt it can read stays as typed
    names = actions.hints(DEFAULT_MODEL, "Ma", request=req)
    assert in_language(names["prompt"].placeholder) == "e.g. Ma" and "training names" in in_language(names["legend"].value)


def test_default_model_by_language():
    assert default_model() == default_model("en") == DEFAULT_MODEL == "pretrained:charlm_names"
    assert default_model("zh") == default_model("zh-CN") == TANG_MODEL == "pretrained:charlm_tang"


def test_finished_couplets_are_tagged_in_the_corpus_words():
    train, test = load_corpus("tang", "train"), load_corpus("tang", "test")
    html = text_view.render_lines(f"{train[3]}\n{test[3]}\n山山山山山，水水水水水。\n床前", "tang")
    assert html.count('class="chip memorised"') == 1 and html.count('class="chip held-out"') == 1
    assert html.count('class="chip new"') == 1 and "real line, unseen" in html and "real name" not in html


# ---- the Train tab -------------------------------------------------------------------------------------------------
def test_the_train_tab_offers_the_poems_and_trains_them_live():
    from genai_demo.training.runs import RunRegistry
    from genai_demo.ui import train_view
    from genai_demo.ui.train_actions import TrainActions
    from genai_demo.ui.train_form import model_changed
    from genai_demo.ui.train_tab import tick
    from tests.helpers import wait_until

    ctx = UIContext(registry=RunRegistry(max_running=1, max_steps=5000, idle_s=600))
    a = TrainActions(ctx, datasets=["mnist5k"])
    try:
        assert "tang" in a.datasets  # the registry's corpora are offered with no extra wiring
        *_, data, _ = model_changed("charlm", "mnist5k", a.datasets)
        assert [k for _, k in data.choices] == ["names", "tang"]
        assert [in_language(label, "zh-CN") for label, _ in data.choices][1] == "唐诗（1,556 句，文本）"
        assert train_view.DATASETS["tang"] == in_language(data.choices[1][0])  # the English label, in one place
        who = SimpleNamespace(session_hash="poet")
        s = a.train("charlm", "tang", 20, None, 32, 1.0, 1, 0, False, request=who)
        assert s["data"] == "tang"
        wait_until(lambda: a.status(who)["state"] == "finished", timeout=120)
        st = a.status(who)
        assert set(st["held_out"]) == {"val_loss", "val_bpc"}  # the held-out curve of the poems
        out = tick(a, {}, who, "charlm")
        assert "Sampled lines" in out["caption"] and out["text"].count("<li ") == 12
        assert "copied from the training lines" in out["text"] and "real name" not in out["text"]
        assert f"run:{st['run_id']}" in [k for _, k in ctx.model_choices(who, ("charlm",))]  # offered in Next token
    finally:
        ctx.registry.shutdown()
