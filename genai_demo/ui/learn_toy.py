"""How it works → the 2-D GAN game: what each view of the 2-D GAN tab shows and why D's gradient moves G's points.

Kept beside learn_tab.py (which only lays it out) so that file stays small; the maths matches
explore/toy_gan.py (ToyGAN.arrows) and the views match explore/toy_views.py."""
from __future__ import annotations

from ..explore.toy_views import FAKE_RGB, REAL_RGB
from ..i18n import t

REAL, FAKE = "#" + bytes(REAL_RGB).hex(), "#" + bytes(FAKE_RGB).hex()

# The section's text is the catalogue's learn_toy_md (genai_demo/i18n/<lang>/*.json), like every How-it-works section.


def toy_svg(lang: str = "en") -> str:
    """A sketch of the game: D's map from purple to green, real points on the right, a fake point pushed uphill."""
    real = "".join(f'<circle cx="{x}" cy="{y}" r="5" fill="{REAL}"/>' for x, y in
                   ((300, 90), (318, 110), (290, 120), (312, 80), (326, 96), (298, 104)))
    fake = "".join(f'<circle cx="{x}" cy="{y}" r="6" fill="{FAKE}" stroke="#fff" stroke-width="1.5"/>'
                   for x, y in ((90, 150), (120, 110), (80, 95)))
    arrows = "".join(f'<line x1="{x}" y1="{y}" x2="{x + 60}" y2="{y - 12}" stroke="#3c145a" stroke-width="2.5" '
                     'marker-end="url(#toy-head)"/>' for x, y in ((90, 150), (120, 110), (80, 95)))
    return f"""<svg viewBox="0 0 400 230" xmlns="http://www.w3.org/2000/svg" role="img" style="max-width: 440px"
 aria-label="D's map with real and fake points and G's arrows">
 <defs><linearGradient id="toy-map" x1="0" x2="1"><stop offset="0" stop-color="{FAKE}" stop-opacity=".45"/>
  <stop offset=".5" stop-color="#fff"/><stop offset="1" stop-color="{REAL}" stop-opacity=".45"/></linearGradient>
  <marker id="toy-head" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" markerHeight="6" orient="auto">
  <path d="M0 0 L10 5 L0 10 z" fill="#3c145a"/></marker></defs>
 <rect x="20" y="20" width="360" height="170" rx="10" fill="url(#toy-map)" stroke="#cbd5e1"/>
 {real}{fake}{arrows}
 <text x="30" y="212" font-size="13" fill="#475569">{t("learn_toy_svg_fake", lang)}</text>
 <text x="370" y="212" font-size="13" fill="#475569" text-anchor="end">{t("learn_toy_svg_real", lang)}</text>
 <text x="200" y="212" font-size="13" fill="#3c145a" text-anchor="middle">{t("learn_toy_svg_arrows", lang)}</text>
</svg>"""
