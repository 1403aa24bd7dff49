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
from .context import UIContext
from .diagrams import Box, chain_svg
from .glossary import section_html
from .learn_toy import toy_svg

SECTIONS = {"gan": "GAN", "dcgan": "DCGAN", "vae": "VAE", "cvae": "CVAE", "cgan": "CGAN", "text": "Next token",
            "toy": "the 2-D GAN game"}
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
GAN_G_HIDDEN = GANConfig().g_widths  # the articles' widths, which How it works draws (the class preset narrows them)
GAN_D_HIDDEN = GANConfig().d_widths
N_CLASSES = 10


def learn_link(section: str, lang: str = "en") -> str:
    """Markdown for other tabs, e.g. learn_link("gan") → "[How it works → GAN](#learn-gan)"."""
    if section not in SECTIONS:
        raise ValueError(f"unknown How-it-works section {section!r}; choose from {', '.join(SECTIONS)}")
    name = t("tab_text", lang) if section == "text" else t("learn_toy_toc", lang) if section == "toy" \
        else SECTIONS[section]  # the others are model names
    return f"[{t('tab_learn', lang)} → {name}](#learn-{section})"


# ---- diagrams ---------------------------------------------------------------------------------------
def _img(caption: str = "x, 28×28") -> Box:
    return Box("784", caption, "data", 784)


def _y() -> Box:
    return Box(f"y\none-hot {N_CLASSES}", "", "cond", 4)


def vae_svg(conditional: bool = False, lang: str = "en") -> str:
    c = VAEConfig()
    y = _y() if conditional else None
    return chain_svg([
        (t("d_encoder", lang) + " q(z | x" + (", y)" if conditional else ")"), [
            Box("784" + (f" + {N_CLASSES}" if conditional else ""), "x" + (" ⊕ y" if conditional else ""), "data", 784, y),
            Box(str(c.hidden1), "Linear + ReLU", "hidden", c.hidden1),
            Box(str(c.hidden2), "Linear + ReLU", "hidden", c.hidden2),
            Box(f"μ  {c.latent_dim}\nlog σ²  {c.latent_dim}", t("d_two_heads", lang), "latent", 2 * c.latent_dim),
            Box(f"z  {c.latent_dim}", "z = μ + σ ⊙ ε", "latent", c.latent_dim, Box("ε", "", "latent", 1)),
        ]),
        (t("d_decoder", lang) + " p(x | z" + (", y)" if conditional else ")"), [
            Box(f"{c.latent_dim}" + (f" + {N_CLASSES}" if conditional else ""), "z" + (" ⊕ y" if conditional else ""),
                "latent", c.latent_dim, y),
            Box(str(c.hidden2), "Linear + ReLU", "hidden", c.hidden2),
            Box(str(c.hidden1), "Linear + ReLU", "hidden", c.hidden1),
            Box("784", "Linear + sigmoid\nx̂, 28×28", "out", 784),
        ]),
    ], t("d_arch", lang, model="VAE"))


def gan_svg(conditional: bool = False, lang: str = "en") -> str:
    z = GANConfig().z_dim
    y = _y() if conditional else None
    k = f" + {N_CLASSES}" if conditional else ""
    g = [Box(f"{z}{k}", "z ~ 𝒩(0, I)" + (" ⊕ y" if conditional else ""), "latent", z, y)]
    g += [Box(str(h), "Linear + BN\n+ LeakyReLU 0.2", "hidden", h) for h in GAN_G_HIDDEN]
    g += [Box("784", "Linear + tanh\nG(z), 28×28", "out", 784)]
    d = [Box(f"784{k}", t("d_x_or_gz", lang) + (" ⊕ y" if conditional else ""), "data", 784, y)]
    d += [Box(str(h), "Linear +\nLeakyReLU 0.2", "hidden", h) for h in GAN_D_HIDDEN]
    d += [Box("1", "logit → σ\n" + t("d_p_real", lang), "score", 1)]
    return chain_svg([(t("d_generator", lang), g), (t("d_discriminator", lang), d)], t("d_arch", lang, model="GAN"))


def dcgan_svg(light: bool = True, lang: str = "en") -> str:
    c = DCGANConfig.light() if light else DCGANConfig.paper()
    g4, g2, d1, d2 = 4 * c.ngf, 2 * c.ngf, c.ndf, 2 * c.ndf
    return chain_svg([
        (f"{t('d_generator', lang)} ({t('d_light' if light else 'd_paper', lang)}: ngf = {c.ngf})", [
            Box(str(c.z_dim), "z ~ 𝒩(0, I)\n" + t("d_as_image", lang), "latent", c.z_dim),
            Box(f"{g4}×7×7", "ConvT 7×7\n+ BN + ReLU", "hidden", g4 * 49),
            Box(f"{g2}×14×14", "ConvT 4×4, s2\n+ BN + ReLU", "hidden", g2 * 196),
            Box("1×28×28", "ConvT 4×4, s2\n+ tanh", "out", 784),
        ]),
        (f"{t('d_discriminator', lang)} (ndf = {c.ndf})", [
            Box("1×28×28", t("d_x_or_gz", lang), "data", 784),
            Box(f"{d1}×14×14", "Conv 4×4, s2\n+ LeakyReLU", "hidden", d1 * 196),
            Box(f"{d2}×7×7", "Conv 4×4, s2\n+ BN + LeakyReLU", "hidden", d2 * 49),
            Box("1", "Conv 7×7 → logit\nD(x)", "score", 1),
        ]),
    ], t("d_arch", lang, model="DCGAN"))


def text_svg(lang: str = "en") -> str:
    try:  # the tiny GPT is still being built: draw it from its config once it exists
        from ..models.charlm import CharLMConfig

        c = CharLMConfig()
        n_layer, n_embd, n_head, block, vocab = c.n_layer, c.n_embd, c.n_head, c.block_size, len(c.vocab)
    except ImportError:
        n_layer, n_embd, n_head, block, vocab = 3, 96, 4, 32, 53
    return chain_svg([(t("d_gpt_title", lang), [
        Box(f"T ≤ {block}", t("d_characters", lang) + "\nx₁ … x_t", "data", block),
        Box(f"{n_embd}", t("d_embedding", lang), "hidden", n_embd),
        Box(f"{n_layer} × block", f"LN → causal attn ({n_head} heads)\nLN → MLP {4 * n_embd}", "hidden", 4 * n_embd),
        Box(f"{n_embd}", "LayerNorm", "hidden", n_embd),
        Box(f"{vocab}", "Linear → softmax\np(x_t+1 | x≤t)", "out", vocab),
    ])], t("d_arch", lang, model="tiny GPT"))


# ---- text -----------------------------------------------------------------------------------------------
# Each section's title and Markdown (formulas with one sentence per term) are catalogue messages: learn_{key}_title,
# learn_{key}_md (genai_demo/i18n/<lang>/*.json). They hold LaTeX, so they are written by Python in the visitor's language
# (gr.I18n would read their braces as ICU placeholders).

def toc_md(lang: str = "en") -> str:
    names = {"gan": "GAN", "dcgan": "DCGAN", "vae": "VAE", "cvae": t("learn_toc_cond", lang), "text": t("tab_text", lang),
             "toy": t("learn_toy_toc", lang), "glossary": t("glossary_title", lang)}
    return f"{t('learn_jump', lang)} " + " · ".join(f"[{name}](#learn-{k})" for k, name in names.items())


def _title_html(key: str, lang: str, extra_anchor: str | None = None) -> str:
    anchor = f'<span id="learn-{extra_anchor}"></span>' if extra_anchor else ""
    return f'<h2 id="learn-{key}" class="learn-h">{t(f"learn_{key}_title", lang)}</h2>{anchor}'


def _section(ctx, key: str, svg, extra_anchor: str | None = None, svg_right=None) -> None:
    """Heading, the diagram on the left, the formulas on the right (and optionally a second diagram under them);
    the heading, the diagrams (svg(lang) functions) and the text follow the visitor's language (registered with ctx)."""
    with gr.Column(elem_classes="learn-section"):
        title = gr.HTML(_title_html(key, "en", extra_anchor))
        with gr.Row(equal_height=False):
            with gr.Column(scale=6, min_width=420):
                pic = gr.HTML(f'<div class="arch">{svg("en")}</div>', elem_id=f"learn-{key}-diagram")
            with gr.Column(scale=5, min_width=360):
                text = gr.Markdown(t(f"learn_{key}_md"), latex_delimiters=LATEX, elem_id=f"learn-{key}-text",
                                   elem_classes="learn-text")
                if svg_right:
                    pic2 = gr.HTML(f'<div class="arch">{svg_right("en")}</div>', elem_id=f"learn-{key}-diagram-2")
                    ctx.translated(pic2, lambda lang: f'<div class="arch">{svg_right(lang)}</div>')
    ctx.translated(title, lambda lang: _title_html(key, lang, extra_anchor))
    ctx.translated(pic, lambda lang: f'<div class="arch">{svg(lang)}</div>')
    ctx.translated(text, lambda lang: t(f"learn_{key}_md", lang))


def build(ctx=None) -> None:
    """Lay out the How-it-works tab (static content; its texts are re-sent in the visitor's language through ctx)."""
    ctx = ctx if ctx is not None else UIContext()
    ctx.translated(gr.Markdown(toc_md(), elem_classes="learn-toc"), toc_md)
    _section(ctx, "gan", lambda lang: gan_svg(lang=lang))
    _section(ctx, "toy", toy_svg)
    _section(ctx, "dcgan", lambda lang: dcgan_svg(light=True, lang=lang))
    _section(ctx, "vae", lambda lang: vae_svg(lang=lang))
    _section(ctx, "cvae", lambda lang: vae_svg(True, lang), extra_anchor="cgan", svg_right=lambda lang: gan_svg(True, lang))
    _section(ctx, "text", text_svg)
    with gr.Column(elem_classes="learn-section", elem_id="learn-glossary-box"):  # every gloss_* pair of the catalogues
        ctx.translated(gr.HTML(section_html(), elem_id="glossary"), section_html)
