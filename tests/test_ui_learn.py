"""How it works: the diagrams show the real models' sizes, and other tabs can link to each section."""
from __future__ import annotations

import pytest
from torch import nn

from genai_demo.models import build
from genai_demo.ui import learn_tab as L


def linear_widths(module: nn.Module) -> list[int]:
    return [m.out_features for m in module.modules() if isinstance(m, nn.Linear)]


def test_gan_diagram_widths_are_the_models():
    gan = build("gan")
    assert linear_widths(gan.G)[:-1] == list(L.GAN_G_HIDDEN) and linear_widths(gan.G)[-1] == 784
    assert linear_widths(gan.D) == [*L.GAN_D_HIDDEN, 1]
    svg = L.gan_svg()
    assert svg.startswith("<svg") and all(f">{w}<" in svg for w in (*L.GAN_G_HIDDEN, 100, 784))


def test_vae_and_dcgan_diagrams_follow_their_configs():
    vae = build("vae")
    assert linear_widths(vae.encoder) == [512, 256] and ">512<" in L.vae_svg() and ">256<" in L.vae_svg()
    assert "784 + 10" in L.vae_svg(conditional=True) and "100 + 10" in L.gan_svg(conditional=True)
    light, paper = L.dcgan_svg(light=True), L.dcgan_svg(light=False)
    assert "64×7×7" in light and "256×7×7" in paper and "128×14×14" in paper  # 4·ngf at 7×7, 2·ngf at 14×14


def test_learn_link_names_a_section():
    assert L.learn_link("vae") == "[How it works → VAE](#learn-vae)"
    assert "#learn-cgan" in L.learn_link("cgan")
    with pytest.raises(ValueError, match="unknown How-it-works section"):
        L.learn_link("diffusion")
