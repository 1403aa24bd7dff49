"""How it works: each model's architecture (inline SVG) and its loss, one sentence per term.

Layer sizes come from the models' config dataclasses (the MLP widths from gan.py, checked by a test), so
the pictures stay true to the code. Other tabs point here with ``learn_link("vae")``: a Markdown link that
the app's small head script turns into "open this tab and scroll to the section".
"""
from __future__ import annotations

import gradio as gr

from ..i18n import t
from ..models.dcgan import DCGANConfig
from ..models.gan import GANConfig
from ..models.vae import VAEConfig
from .diagrams import Box, chain_svg

SECTIONS = {"gan": "GAN", "dcgan": "DCGAN", "vae": "VAE", "cvae": "CVAE", "cgan": "CGAN", "text": "Next token"}
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
GAN_G_HIDDEN = (256, 512, 1024)  # gan.MLPGenerator's widths
GAN_D_HIDDEN = (512, 256)  # gan.MLPDiscriminator's widths
N_CLASSES = 10


def learn_link(section: str, lang: str = "en") -> str:
    """Markdown for other tabs, e.g. learn_link("gan") → "[How it works → GAN](#learn-gan)"."""
    if section not in SECTIONS:
        raise ValueError(f"unknown How-it-works section {section!r}; choose from {', '.join(SECTIONS)}")
    name = t("tab_text", lang) if section == "text" else SECTIONS[section]  # the others are model names
    return f"[{t('tab_learn', lang)} → {name}](#learn-{section})"


# ---- diagrams ---------------------------------------------------------------------------------------
def _img(caption: str = "x, 28×28") -> Box:
    return Box("784", caption, "data", 784)


def _y() -> Box:
    return Box(f"y\none-hot {N_CLASSES}", "", "cond", 4)


def vae_svg(conditional: bool = False) -> str:
    c = VAEConfig()
    y = _y() if conditional else None
    return chain_svg([
        ("Encoder q(z | x" + (", y)" if conditional else ")"), [
            Box("784" + (f" + {N_CLASSES}" if conditional else ""), "x" + (" ⊕ y" if conditional else ""), "data", 784, y),
            Box(str(c.hidden1), "Linear + ReLU", "hidden", c.hidden1),
            Box(str(c.hidden2), "Linear + ReLU", "hidden", c.hidden2),
            Box(f"μ  {c.latent_dim}\nlog σ²  {c.latent_dim}", "two Linear heads", "latent", 2 * c.latent_dim),
            Box(f"z  {c.latent_dim}", "z = μ + σ ⊙ ε", "latent", c.latent_dim, Box("ε", "", "latent", 1)),
        ]),
        ("Decoder p(x | z" + (", y)" if conditional else ")"), [
            Box(f"{c.latent_dim}" + (f" + {N_CLASSES}" if conditional else ""), "z" + (" ⊕ y" if conditional else ""),
                "latent", c.latent_dim, y),
            Box(str(c.hidden2), "Linear + ReLU", "hidden", c.hidden2),
            Box(str(c.hidden1), "Linear + ReLU", "hidden", c.hidden1),
            Box("784", "Linear + sigmoid\nx̂, 28×28", "out", 784),
        ]),
    ], "VAE architecture")


def gan_svg(conditional: bool = False) -> str:
    z = GANConfig().z_dim
    y = _y() if conditional else None
    k = f" + {N_CLASSES}" if conditional else ""
    g = [Box(f"{z}{k}", "z ~ 𝒩(0, I)" + (" ⊕ y" if conditional else ""), "latent", z, y)]
    g += [Box(str(h), "Linear + BN\n+ LeakyReLU 0.2", "hidden", h) for h in GAN_G_HIDDEN]
    g += [Box("784", "Linear + tanh\nG(z), 28×28", "out", 784)]
    d = [Box(f"784{k}", "x or G(z)" + (" ⊕ y" if conditional else ""), "data", 784, y)]
    d += [Box(str(h), "Linear +\nLeakyReLU 0.2", "hidden", h) for h in GAN_D_HIDDEN]
    d += [Box("1", "logit → σ\nD(x) = P(real)", "score", 1)]
    return chain_svg([("Generator G", g), ("Discriminator D", d)], "GAN architecture")


def dcgan_svg(light: bool = True) -> str:
    c = DCGANConfig.light() if light else DCGANConfig.paper()
    g4, g2, d1, d2 = 4 * c.ngf, 2 * c.ngf, c.ndf, 2 * c.ndf
    return chain_svg([
        (f"Generator G ({'light preset' if light else 'the articles’ size'}: ngf = {c.ngf})", [
            Box(str(c.z_dim), "z ~ 𝒩(0, I)\nas 1×1 image", "latent", c.z_dim),
            Box(f"{g4}×7×7", "ConvT 7×7\n+ BN + ReLU", "hidden", g4 * 49),
            Box(f"{g2}×14×14", "ConvT 4×4, s2\n+ BN + ReLU", "hidden", g2 * 196),
            Box("1×28×28", "ConvT 4×4, s2\n+ tanh", "out", 784),
        ]),
        (f"Discriminator D (ndf = {c.ndf})", [
            Box("1×28×28", "x or G(z)", "data", 784),
            Box(f"{d1}×14×14", "Conv 4×4, s2\n+ LeakyReLU", "hidden", d1 * 196),
            Box(f"{d2}×7×7", "Conv 4×4, s2\n+ BN + LeakyReLU", "hidden", d2 * 49),
            Box("1", "Conv 7×7 → logit\nD(x)", "score", 1),
        ]),
    ], "DCGAN architecture")


def text_svg() -> str:
    try:  # the tiny GPT is still being built: draw it from its config once it exists
        from ..models.charlm import CharLMConfig

        c = CharLMConfig()
        n_layer, n_embd, n_head, block, vocab = c.n_layer, c.n_embd, c.n_head, c.block_size, len(c.vocab)
    except ImportError:
        n_layer, n_embd, n_head, block, vocab = 3, 96, 4, 32, 53
    return chain_svg([("Tiny GPT: predicts character t+1 from characters 1…t", [
        Box(f"T ≤ {block}", "characters\nx₁ … x_t", "data", block),
        Box(f"{n_embd}", "token + position\nembedding", "hidden", n_embd),
        Box(f"{n_layer} × block", f"LN → causal attn ({n_head} heads)\nLN → MLP {4 * n_embd}", "hidden", 4 * n_embd),
        Box(f"{n_embd}", "LayerNorm", "hidden", n_embd),
        Box(f"{vocab}", "Linear → softmax\np(x_t+1 | x≤t)", "out", vocab),
    ])], "tiny GPT architecture")


# ---- text ---------------------------------------------------------------------------------------------
GAN_MD = r"""
Two networks play a game [Goodfellow et al. 2014]. The **generator** G turns noise $z$ into an image; the
**discriminator** D outputs the probability that its input is a real training image.

$$\min_G \max_D \; \mathbb E_{x \sim p_\text{data}}\big[\log D(x)\big]
 + \mathbb E_{z \sim \mathcal N(0, I)}\big[\log\big(1 - D(G(z))\big)\big]$$

$$L_D = -\big[\log D(x) + \log\big(1 - D(G(z))\big)\big]$$
- $-\log D(x)$: D is punished when it doubts a **real** image.
- $-\log(1 - D(G(z)))$: D is punished when it believes a **fake**.

$$L_G = -\log D(G(z))$$
- The *non-saturating* generator loss: G is rewarded when D believes its fakes. Minimising
  $\log(1 - D(G(z)))$ instead would give G almost no gradient early on, when D rejects every fake easily.

**D accuracy** is the share of real and fake images D classifies correctly. At the game's equilibrium
G's images are indistinguishable, $D = \tfrac12$ everywhere, and the accuracy hovers around 0.5.
The *D:G ratio* on the Train tab is how many D updates run per G update; both use Adam with
lr = 2·10⁻⁴ and β₁ = 0.5, as in the articles.
"""

DCGAN_MD = r"""
The same game and the same two losses as the GAN, with **convolutional** players [Radford et al. 2016]:

- G *upsamples* with transposed convolutions (7×7 → 14×14 → 28×28), D *downsamples* with strided
  convolutions — no pooling, no fully connected hidden layers.
- **BatchNorm** in both players (not on G's output or D's input) keeps the training signal well scaled.
- ReLU in G with a **tanh** output (pixels in [−1, 1]); **LeakyReLU(0.2)** in D so gradients also flow for
  negative inputs; weights start from $\mathcal N(0, 0.02)$.

$$L_D = -\big[\log D(x) + \log\big(1 - D(G(z))\big)\big] \qquad L_G = -\log D(G(z))$$

The articles use 64 filters (the checkbox on the Train tab); the default *light* preset uses 16 so it
trains at a usable pace on two CPU cores.
"""

VAE_MD = r"""
The encoder does not output a point but a Gaussian $q(z \mid x) = \mathcal N(\mu, \sigma^2)$ over a
**2-D latent space**; the decoder turns a point $z$ back into an image [Kingma & Welling 2014].

$$\mathcal L = \underbrace{\mathrm{BCE}(x, \hat x)}_{\text{reconstruction}}
 + \beta\,\underbrace{\mathrm{KL}\big(q(z \mid x)\,\|\,\mathcal N(0, I)\big)}_{\text{regulariser}}$$
- $\mathrm{BCE}(x, \hat x) = -\sum_{i=1}^{784} \big[x_i \log \hat x_i + (1 - x_i)\log(1 - \hat x_i)\big]$: how badly the
  decoder redraws the 784 pixels of $x$ from its code.
- $\mathrm{KL}$: how far each code's Gaussian strays from the prior $\mathcal N(0, I)$ — it keeps the codes
  packed around the origin, so every point of the plane decodes to something digit-like.
- $\beta$ weighs the two (1 = the plain evidence lower bound, ELBO; larger = smoother map, blurrier digits).

**Reparameterisation trick**
$$z = \mu + \sigma \odot \varepsilon, \qquad \varepsilon \sim \mathcal N(0, I)$$
Sampling is not differentiable, so the randomness is moved into $\varepsilon$, an input from outside:
gradients then flow through $\mu$ and $\sigma$ into the encoder.

**The KL term in closed form**
$$\mathrm{KL} = -\tfrac12 \sum_{j=1}^{2}\big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big)$$
- $\mu_j^2$ pulls the codes towards the origin; $\sigma_j^2 - \log\sigma_j^2 - 1$ (zero at $\sigma_j = 1$)
  stops each code from shrinking to a single point.
"""

COND_MD = r"""
Both families can be told **which class** to produce [Sohn et al. 2015; Mirza & Osindero 2014]: a one-hot
label $y$ (10 numbers) is concatenated to the inputs — to $x$ and to $z$ in the CVAE, to $z$ and to D's
input in the CGAN.

$$\mathcal L_\text{CVAE} = \mathrm{BCE}(x, \hat x) + \beta\,\mathrm{KL}\big(q(z \mid x, y)\,\|\,\mathcal N(0, I)\big)$$
- The decoder already knows the digit from $y$, so $z$ is free to encode only the **style** (slant,
  thickness): fix $y$ and move $z$ to restyle one digit.

$$\min_G \max_D \; \mathbb E\big[\log D(x \mid y)\big] + \mathbb E\big[\log\big(1 - D(G(z \mid y) \mid y)\big)\big]$$
- D judges an image *together with its label*, so G must draw the requested class to fool it.
"""

TEXT_MD = r"""
*(This section grows with the Next-token tab.)* A language model writes one character at a time; each
prediction sees only the characters before it (causal attention):

$$p_\theta(x_1, \dots, x_T) = \prod_{t=1}^{T} p_\theta(x_t \mid x_{<t})$$

$$\mathcal L = -\sum_{t=1}^{T} \log p_\theta(x_t \mid x_{<t})$$
- The **negative log-likelihood**: the model is punished by how unlikely it found the character that
  really came next; divided by $T \ln 2$ it is the *bits per character*.
"""


def _section(key: str, title: str, svg: str, text: str, extra_anchor: str | None = None, svg_right: str = "") -> None:
    """Heading, the diagram on the left, the formulas on the right (and optionally a second diagram under them)."""
    anchor = f'<span id="learn-{extra_anchor}"></span>' if extra_anchor else ""
    with gr.Column(elem_classes="learn-section"):
        gr.HTML(f'<h2 id="learn-{key}" class="learn-h">{title}</h2>{anchor}')
        with gr.Row(equal_height=False):
            with gr.Column(scale=6, min_width=420):
                gr.HTML(f'<div class="arch">{svg}</div>', elem_id=f"learn-{key}-diagram")
            with gr.Column(scale=5, min_width=360):
                gr.Markdown(text, latex_delimiters=LATEX, elem_id=f"learn-{key}-text", elem_classes="learn-text")
                if svg_right:
                    gr.HTML(f'<div class="arch">{svg_right}</div>', elem_id=f"learn-{key}-diagram-2")


def build(ctx=None) -> None:
    """Lay out the How-it-works tab (static content; ctx is unused but kept for the common signature)."""
    toc = " · ".join(f"[{t}](#learn-{k})" for k, t in (("gan", "GAN"), ("dcgan", "DCGAN"), ("vae", "VAE"),
                                                      ("cvae", "Conditioning: CVAE & CGAN"), ("text", "Next token")))
    gr.Markdown(f"**Jump to:** {toc}", elem_classes="learn-toc")
    _section("gan", "GAN — a minimax game", gan_svg(), GAN_MD)
    _section("dcgan", "DCGAN — the game with convolutions", dcgan_svg(light=True), DCGAN_MD)
    _section("vae", "VAE — a 2-D latent space, the reparameterisation trick and the KL term", vae_svg(), VAE_MD)
    _section("cvae", "Conditioning — CVAE and CGAN", vae_svg(conditional=True), COND_MD, extra_anchor="cgan",
             svg_right=gan_svg(conditional=True))
    _section("text", "Next token — an autoregressive model", text_svg(), TEXT_MD)
