"""The tiny GPT, its corpus and its CLI: causality, the loss by hand, sampling rules, checkpoints, training."""
from __future__ import annotations

import math

import pytest
import torch

from genai_demo import evaluate_text, train
from genai_demo.data.datasets import ImageData, load_dataset
from genai_demo.data.text import CorpusError, TextData, corpus_vocab, load_corpus, load_text_dataset, novelty
from genai_demo.models import build
from genai_demo.models.base import Hyper
from genai_demo.models.charlm import adjust_probs, draw, top_tokens, unigram_bpc
from genai_demo.training.checkpoints import load_checkpoint, save_checkpoint
from genai_demo.training.trainer import RunConfig, Trainer

TINY = {"n_layer": 2, "n_head": 2, "n_embd": 16, "block_size": 16}


def tiny(vocab: str | None = None, seed: int = 0, **kw):
    torch.manual_seed(seed)
    cfg = {**TINY, **kw}
    if vocab is not None:
        cfg["vocab"] = vocab
    return build("charlm", cfg).eval()


# ---- the model -------------------------------------------------------------------------------------
def test_causal_mask_blocks_the_future():
    model = tiny()
    V = len(model.vocab)
    idx = torch.randint(V, (3, 16), generator=torch.Generator().manual_seed(1))
    for t in (0, 5, 14):
        changed = idx.clone()
        changed[:, t + 1:] = (changed[:, t + 1:] + 7) % V  # rewrite everything after position t
        a, b = model(idx), model(changed)  # (B, T, V)
        assert torch.allclose(a[:, : t + 1], b[:, : t + 1], atol=1e-6), f"position ≤ {t} saw the future"
        assert not torch.allclose(a[:, t + 1:], b[:, t + 1:])  # and the later positions did change


def test_forward_shapes_and_context_limit():
    model = tiny()
    assert model(torch.zeros(2, 16, dtype=torch.long)).shape == (2, 16, len(model.vocab))
    with pytest.raises(ValueError, match="longer than the context"):
        model(torch.zeros(1, 17, dtype=torch.long))


def test_loss_of_uniform_logits_is_log_v():
    """Zero head weights → every character gets 1/V → NLL = ln V nats, log2 V bits, whatever the data."""
    model = tiny().train()
    with torch.no_grad():
        model.head.weight.zero_()
    V = len(model.vocab)
    x = torch.randint(V, (4, 16), generator=torch.Generator().manual_seed(0))
    y = torch.randint(V, (4, 16), generator=torch.Generator().manual_seed(1))
    out = model.train_step(x, y, model.make_optimizers(Hyper(lr=1e-3)), Hyper(lr=1e-3), torch.Generator())
    assert out["loss"] == pytest.approx(math.log(V), abs=1e-5)
    assert out["bpc"] == pytest.approx(math.log2(V), abs=1e-5)


def test_loss_by_hand_on_two_positions():
    """-1/T Σ log softmax(z_t)[y_t] written out for a 3-character vocabulary."""
    model = tiny(vocab="\nab", n_layer=1)
    x, y = torch.tensor([[1, 2]]), torch.tensor([[2, 0]])
    with torch.no_grad():
        z, nll = model(x)[0], float(model.nll(x, y))  # (T, V) logits
    by_hand = -(torch.log(torch.exp(z[0, 2]) / torch.exp(z[0]).sum()) + torch.log(torch.exp(z[1, 0]) / torch.exp(z[1]).sum())) / 2
    assert nll == pytest.approx(float(by_hand), abs=1e-5)


def test_unigram_baseline_by_hand():
    train_tokens, test_tokens = torch.tensor([0, 0, 1]), torch.tensor([0, 1])
    # add-one counts [3, 2] → p = [0.6, 0.4]
    assert unigram_bpc(train_tokens, test_tokens, 2) == pytest.approx(-(math.log2(0.6) + math.log2(0.4)) / 2)


# ---- sampling ---------------------------------------------------------------------------------------
def test_temperature_and_top_k_maths():
    z = torch.tensor([2.0, 1.0, 0.0, -1.0])
    assert torch.allclose(adjust_probs(z, 0.5), torch.softmax(z / 0.5, -1))
    p = adjust_probs(z, 1.0, top_k=2)
    assert torch.allclose(p[2:], torch.zeros(2)) and p.sum() == pytest.approx(1.0)
    assert p[0] / p[1] == pytest.approx(math.e, rel=1e-5)  # renormalised, odds unchanged
    assert torch.equal(adjust_probs(z, 0.0), torch.tensor([1.0, 0, 0, 0]))  # τ → 0: one-hot argmax
    assert draw(adjust_probs(z, 0.0)) == 0
    assert top_tokens(p, "abcd", 3) == [("a", pytest.approx(float(p[0]))), ("b", pytest.approx(float(p[1])))]


def _greedy(model, ids, n):
    ids = list(ids)
    for _ in range(n):
        ids.append(int(model.next_token_logits(ids).argmax()))
    return ids


def test_sampling_is_deterministic_with_a_seed():
    model = tiny(seed=3)
    prompt = model.encode("\nMa")
    a = model.generate(prompt, 20, 1.0, None, torch.Generator().manual_seed(5))
    b = model.generate(prompt, 20, 1.0, None, torch.Generator().manual_seed(5))
    c = model.generate(prompt, 20, 1.0, None, torch.Generator().manual_seed(6))
    assert a == b and a != c and a[:3] == prompt
    assert model.sample(5, torch.Generator().manual_seed(1)) == model.sample(5, torch.Generator().manual_seed(1))


def test_temperature_zero_and_top_k_one_are_greedy():
    model = tiny(seed=4)
    prompt = model.encode("\nJo")
    greedy = _greedy(model, prompt, 15)
    for t in (0.0, 1e-5):
        assert model.generate(prompt, 15, t, None, torch.Generator().manual_seed(9)) == greedy
    for seed in (1, 2):  # top-k = 1 leaves one candidate: the seed cannot matter
        assert model.generate(prompt, 15, 1.5, 1, torch.Generator().manual_seed(seed)) == greedy


def test_encode_refuses_unknown_characters():
    model = tiny(vocab="\nab")
    assert model.decode(model.encode("ab\n")) == "ab\n"
    with pytest.raises(ValueError, match="'z'"):
        model.encode("abz")


def test_checkpoint_round_trip_keeps_the_vocabulary(tmp_path):
    vocab = corpus_vocab("names")
    model = tiny(vocab=vocab)
    path = save_checkpoint(tmp_path / "lm.safetensors", model, {"data": "names"})
    loaded, header = load_checkpoint(path, expected_kind="charlm")
    assert loaded.vocab == vocab and header["config"]["vocab"] == vocab
    ids = torch.tensor([loaded.encode("\nAnna")])
    assert torch.equal(model(ids), loaded(ids))
    assert loaded.sample(3, torch.Generator().manual_seed(0)) == model.sample(3, torch.Generator().manual_seed(0))


def test_preview_is_a_few_text_lines():
    text = tiny().preview(100, torch.Generator().manual_seed(0))
    assert isinstance(text, str) and len(text.split("\n")) == 12


# ---- corpus and TextData ----------------------------------------------------------------------------
def test_split_is_fixed_disjoint_and_complete():
    train_lines, test_lines = load_corpus("names", "train"), load_corpus("names", "test")
    assert (len(train_lines), len(test_lines)) == (4647, 516)
    assert not set(train_lines) & set(test_lines)
    assert sorted(train_lines + test_lines) == load_corpus("names", "all")
    assert novelty(train_lines[0], "names") == "memorised" and novelty(test_lines[0], "names") == "held-out"
    assert novelty("Zzyzxqa", "names") == "new"
    with pytest.raises(CorpusError):
        load_corpus("klingon")


def test_text_data_batches():
    data = load_dataset("names", "train")
    assert isinstance(data, TextData) and data.modality == "text" and data.lines == 4647
    x, y = data.batch(8, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (8, data.block_size) and x.dtype == torch.int64
    assert torch.equal(x[:, 1:], y[:, :-1])  # y is x shifted by one character
    x2, _ = data.batch(8, torch.Generator().manual_seed(0))
    assert torch.equal(x, x2)
    text = "".join(data.vocab[i] for i in x[0].tolist())
    assert all(line in set(load_corpus("names", "train")) for line in text.split("\n")[1:-1])  # whole names inside
    wx, wy = data.windows()
    assert wx.shape[1] == data.block_size and torch.equal(wx.reshape(-1)[1:], wy.reshape(-1)[:-1])
    assert load_text_dataset("names", "test").vocab == data.vocab  # one vocabulary for both splits


def test_trainer_takes_the_vocabulary_from_the_data_and_lowers_the_loss():
    data, test = load_dataset("names", "train"), load_dataset("names", "test")
    cfg = RunConfig(kind="charlm", data="names", steps=80, seed=0, hp=Hyper(lr=3e-3, batch_size=32),
                    model_config={"n_layer": 1, "n_embd": 32, "n_head": 2}, publish_every=10, snapshot_every=40)
    t = Trainer(cfg, data, test_data=test)
    assert t.model.vocab == data.vocab
    t.start()
    assert t.join(60)
    s = t.snapshot()
    assert s.state == "finished", s.error
    assert s.history["loss"][-1] < s.history["loss"][0] - 0.5
    assert s.evals["val_bpc"][-1] < s.evals["val_bpc"][0]
    assert isinstance(s.previews[-1][1], str)


def test_text_model_refuses_image_data_and_vice_versa():
    images = ImageData("x", torch.zeros(4, 28, 28, dtype=torch.uint8), torch.zeros(4, dtype=torch.long), ["0"])
    with pytest.raises(ValueError, match="needs text data"):
        Trainer(RunConfig(kind="charlm"), images)
    with pytest.raises(ValueError, match="needs image data"):
        Trainer(RunConfig(kind="vae"), load_dataset("names", "train"))


def test_train_and_evaluate_cli(tmp_path, capsys):
    out = tmp_path / "charlm_names.safetensors"
    assert train.main(["--model", "charlm", "--data", "names", "--steps", "20", "--config", '{"n_layer": 1, "n_embd": 16}',
                       "--out", str(out)]) == 0
    assert "val_bpc=" in capsys.readouterr().out
    assert evaluate_text.main([str(out), "--samples", "3", "--count", "20"]) == 0
    text = capsys.readouterr().out
    assert "held-out  NLL" in text and "unigram" in text and "of 20 sampled lines" in text
    assert evaluate_text.main([str(tmp_path / "missing.safetensors")]) == 2
