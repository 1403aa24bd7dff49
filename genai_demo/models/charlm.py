"""A tiny GPT: a character-level causal transformer that predicts the next character.

    p_θ(x_1 … x_T) = Π_t p_θ(x_t | x_<t)          (autoregressive factorisation)
    L = -1/T Σ_t log p_θ(x_t | x_<t)              (negative log-likelihood, nats per character)
    bpc = L / ln 2                                 (the same in bits per character)

Architecture after GPT-2 (Radford et al. 2019) as written in Karpathy's nanoGPT: token + position embeddings,
pre-LayerNorm blocks of causal multi-head self-attention ("Attention Is All You Need", Vaswani et al. 2017)
and an MLP, a final LayerNorm and a linear head to vocabulary logits. No dropout, so a seeded run is exactly
reproducible. The vocabulary (a string, index = token id) lives in the config, hence in the checkpoint header:
a checkpoint alone can encode prompts and decode samples.

Sampling maths (softmax with temperature, top-k truncation, greedy as temperature → 0) is in the functions
below the model so the UI only calls them.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .base import GenerativeModel, Hyper
from .family import Family

DEFAULT_VOCAB = "\n" + "".join(chr(c) for c in range(ord("A"), ord("Z") + 1)) + "".join(chr(c) for c in range(ord("a"), ord("z") + 1))
GREEDY_BELOW = 1e-4  # temperatures at or below this mean argmax (dividing by ~0 would overflow)


@dataclass
class CharLMConfig:
    vocab: str = DEFAULT_VOCAB  # the characters, vocab[i] = token i; "\n" ends a line. Set from the corpus by TextData
    block_size: int = 32  # context length T: the model sees at most this many previous characters
    n_layer: int = 3  # transformer blocks
    n_head: int = 4  # attention heads per block (n_embd must divide evenly)
    n_embd: int = 96  # channels C of the residual stream
    weight_decay: float = 0.1  # AdamW decoupled weight decay on matrices (not biases / LayerNorm gains): 5k names overfit fast

    def __post_init__(self):
        if len(self.vocab) < 2 or len(set(self.vocab)) != len(self.vocab):
            raise ValueError("vocab must hold at least 2 distinct characters, each once")
        if not 1 <= self.block_size <= 1024:
            raise ValueError("block_size must be between 1 and 1024")
        if not (1 <= self.n_layer <= 24 and 1 <= self.n_head <= 32 and 1 <= self.n_embd <= 2048):
            raise ValueError("n_layer must be 1-24, n_head 1-32, n_embd 1-2048")
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})")
        if not 0 <= self.weight_decay < 1:
            raise ValueError("weight_decay must be in [0, 1)")


# ---------------------------------------------------------------------------------------------------------------------
class CausalSelfAttention(nn.Module):
    """Multi-head attention where position t only attends to positions ≤ t (the future is masked)."""

    def __init__(self, c: CharLMConfig):
        super().__init__()
        self.n_head = c.n_head
        self.qkv = nn.Linear(c.n_embd, 3 * c.n_embd)  # query, key, value for all heads in one matmul
        self.proj = nn.Linear(c.n_embd, c.n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)  # 3 × (B, T, C)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)
        # softmax(q kᵀ / √hs + M) v with M = -∞ above the diagonal: no peeking at later characters
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, nh, T, hs)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))  # (B, T, C)


class Block(nn.Module):
    """Pre-LN transformer block: x + attn(LN(x)), then x + mlp(LN(x))."""

    def __init__(self, c: CharLMConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(c.n_embd)
        self.attn = CausalSelfAttention(c)
        self.ln2 = nn.LayerNorm(c.n_embd)
        self.mlp = nn.Sequential(nn.Linear(c.n_embd, 4 * c.n_embd), nn.GELU(), nn.Linear(4 * c.n_embd, c.n_embd))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))  # (B, T, C)
        return x + self.mlp(self.ln2(x))  # (B, T, C)


class CharLM(GenerativeModel):
    kind = "charlm"
    Config = CharLMConfig
    output = "text"
    # 1,200 steps: its held-out loss bottoms out around 1,000-1,300 (assets/CORPUS.md), later it memorises names
    family = Family("Tiny GPT", label="Tiny GPT (next character)", group="text", data="names", lr=1e-3, steps=1200,
                    metrics=("loss", "bpc"), views=("train", "text"), learn="text")

    def __init__(self, config: CharLMConfig):
        super().__init__(config)
        c = config
        V = len(c.vocab)
        self.wte = nn.Embedding(V, c.n_embd)  # token embedding
        self.wpe = nn.Embedding(c.block_size, c.n_embd)  # learned position embedding
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.n_layer))
        self.ln_f = nn.LayerNorm(c.n_embd)
        self.head = nn.Linear(c.n_embd, V, bias=False)  # residual stream → logits over the vocabulary
        self.stoi = {ch: i for i, ch in enumerate(c.vocab)}
        # GPT-2 init: N(0, 0.02), residual projections scaled by 1/√(2·n_layer) so the stream's variance stays put
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                std = 0.02 / math.sqrt(2 * c.n_layer) if name.endswith(("proj.weight", "mlp.2.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    @property
    def vocab(self) -> str:
        return self.config.vocab

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """idx (B, T) int64 with T ≤ block_size → logits (B, T, V): row t scores the character after idx[:, :t+1]."""
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"sequence of {T} tokens is longer than the context ({self.config.block_size})")
        pos = torch.arange(T, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)  # (B, T, C)
        for block in self.blocks:
            x = block(x)  # (B, T, C)
        return self.head(self.ln_f(x))  # (B, T, V)

    def nll(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean -log p_θ(y_t | x_≤t) over every position, in nats."""
        T = min(x.shape[1], self.config.block_size)  # windows longer than the context train on their last T tokens
        logits = self(x[:, -T:])  # (B, T, V)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[:, -T:].reshape(-1))

    # ---- training ----------------------------------------------------------------------------
    def make_optimizers(self, hp: Hyper) -> dict[str, torch.optim.Optimizer]:
        decay = [p for p in self.parameters() if p.dim() >= 2]  # matrices and embeddings
        rest = [p for p in self.parameters() if p.dim() < 2]  # biases, LayerNorm gains
        groups = [{"params": decay, "weight_decay": self.config.weight_decay}, {"params": rest, "weight_decay": 0.0}]
        return {"model": torch.optim.AdamW(groups, lr=hp.lr, betas=(0.9, 0.99))}

    def train_step(self, x, y, opts, hp, generator) -> dict[str, float]:
        """x (B, T) int64 characters, y (B, T) the characters that follow; one AdamW step on the NLL."""
        loss = self.nll(x, y)
        opt = opts["model"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.parameters(), 1.0)  # a rare bad batch must not blow the weights up
        opt.step()
        nats = loss.item()
        return {"loss": nats, "bpc": nats / math.log(2)}

    @torch.no_grad()
    def evaluate(self, data, generator: torch.Generator, max_windows: int = 512) -> dict[str, float]:
        """Held-out NLL over the same non-overlapping windows every time (no sampling noise between snapshots)."""
        if data is None or getattr(data, "modality", None) != "text":
            return {}
        dev = next(self.parameters()).device
        x, y = data.windows(max_windows)
        nats = float(self.nll(x.to(dev), y.to(dev)))
        return {"val_loss": nats, "val_bpc": nats / math.log(2)}

    # ---- text in, text out -------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        bad = sorted({ch for ch in text if ch not in self.stoi})
        if bad:
            raise ValueError(f"the model does not know the character(s) {', '.join(map(repr, bad[:8]))}; "
                             f"it knows only {self.vocab.strip()!r}")
        return [self.stoi[ch] for ch in text]

    def decode(self, ids) -> str:
        return "".join(self.vocab[int(i)] for i in ids)

    # ---- generation --------------------------------------------------------------------------
    @torch.no_grad()
    def next_token_logits(self, ids) -> torch.Tensor:
        """Logits (V,) of the character after `ids` (a list or 1-D tensor; only the last block_size count)."""
        ids = torch.as_tensor(list(ids)[-self.config.block_size:] or [self.stoi.get("\n", 0)], dtype=torch.int64)
        return self(ids[None].to(next(self.parameters()).device))[0, -1].float().cpu()  # (V,)

    def next_token_probs(self, ids, temperature: float = 1.0, top_k: int | None = None) -> torch.Tensor:
        """The distribution (V,) the next character is drawn from: softmax(logits / temperature), top-k kept."""
        return adjust_probs(self.next_token_logits(ids), temperature, top_k)

    def stream(self, ids, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
               generator: torch.Generator | None = None) -> Iterator[tuple[int, torch.Tensor]]:
        """Yield (token, probs it was drawn from (V,)) one step at a time; the UI renders each step."""
        ids = list(ids)
        for _ in range(max_new_tokens):
            probs = self.next_token_probs(ids, temperature, top_k)
            tok = draw(probs, generator)
            ids.append(tok)
            yield tok, probs

    def generate(self, prompt_ids, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
                 generator: torch.Generator | None = None) -> list[int]:
        """prompt + max_new_tokens sampled ids (temperature ≤ 1e-4 or top_k = 1 → greedy)."""
        return list(prompt_ids) + [t for t, _ in self.stream(prompt_ids, max_new_tokens, temperature, top_k, generator)]

    @torch.no_grad()
    def sample_lines(self, n: int, generator: torch.Generator | None = None, temperature: float = 1.0,
                     max_len: int | None = None) -> list[str]:
        """n lines (e.g. names), each drawn from a fresh "\\n" start until the next "\\n"; batched for speed."""
        nl = self.stoi.get("\n", 0)
        max_len = max_len or self.config.block_size - 1
        dev = next(self.parameters()).device
        ids = torch.full((n, 1), nl, dtype=torch.int64, device=dev)  # (n, 1)
        for _ in range(max_len):
            logits = self(ids[:, -self.config.block_size:])[:, -1].float().cpu()  # (n, V)
            probs = adjust_probs(logits, temperature, None)
            nxt = torch.multinomial(probs, 1, generator=generator) if temperature > GREEDY_BELOW else probs.argmax(-1, keepdim=True)
            ids = torch.cat([ids, nxt.to(dev)], dim=1)  # (n, t + 1)
            if bool((ids[:, 1:] == nl).any(dim=1).all()):
                break
        return [self.decode(row[1:].tolist()).split("\n")[0] for row in ids]

    def sample(self, n: int, generator: torch.Generator | None = None, labels=None) -> list[str]:
        """n generated lines (text models return strings, not images)."""
        return self.sample_lines(n, generator)

    @torch.no_grad()
    def preview(self, n: int, generator: torch.Generator, lines: int = 12) -> str:
        """The Trainer's snapshot: a dozen lines drawn with the same seed at every snapshot, so you watch them improve."""
        return "\n".join(self.sample_lines(min(n, lines), generator))


# ---------------------------------------------------------------------------------------------------------------------
def adjust_probs(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None) -> torch.Tensor:
    """softmax(logits / τ) restricted to the k most likely tokens (renormalised). τ → 0 gives a one-hot argmax.

    τ < 1 sharpens the distribution (safer, more repetitive text), τ > 1 flattens it (more surprising text).
    Works on (V,) or (..., V).
    """
    logits = logits.float()
    if temperature <= GREEDY_BELOW:
        return F.one_hot(logits.argmax(-1), logits.shape[-1]).float()
    logits = logits / temperature
    if top_k is not None and 0 < top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]  # the k-th largest logit
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.softmax(logits, dim=-1)


def draw(probs: torch.Tensor, generator: torch.Generator | None = None) -> int:
    """One token from probs (V,): a categorical draw with the caller's generator (a one-hot always gives its token)."""
    if float(probs.max()) >= 1.0:
        return int(probs.argmax())
    return int(torch.multinomial(probs, 1, generator=generator))


def top_tokens(probs: torch.Tensor, vocab: str, k: int = 10) -> list[tuple[str, float]]:
    """The k most likely (character, probability) pairs, most likely first, zero-probability ones dropped."""
    p, i = torch.topk(probs, min(k, len(vocab)))
    return [(vocab[int(j)], float(q)) for q, j in zip(p, i, strict=True) if q > 0]


def unigram_bpc(train_tokens: torch.Tensor, test_tokens: torch.Tensor, vocab_size: int) -> float:
    """Baseline: bits per character of a model that ignores context (character frequencies of the training text,
    add-one smoothed), measured on the held-out text. A language model must beat this to have learned anything."""
    counts = torch.bincount(train_tokens, minlength=vocab_size).double() + 1
    logp = (counts / counts.sum()).log2()
    return float(-logp[test_tokens].mean())
