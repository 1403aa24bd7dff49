"""How it works → the 2-D GAN game: what each view of the 2-D GAN tab shows and why D's gradient moves G's points.

Kept beside learn_tab.py (which only lays it out) so that file stays small; the maths matches
explore/toy_gan.py (ToyGAN.arrows) and the views match explore/toy_views.py."""
from __future__ import annotations

from ..explore.toy_views import FAKE_RGB, REAL_RGB

REAL, FAKE = "#" + bytes(REAL_RGB).hex(), "#" + bytes(FAKE_RGB).hex()

TOY_MD = r"""
**The views** (the tab *2-D GAN*; open a preset with a link such as `?tab=toy&preset=collapse`):
- **green points**: real samples $x \sim p_\text{data}$; **purple points**: fakes $x = G(z)$ for 200 *fixed* noises $z$,
  so one frame differs from the last only because G or D changed.
- **background**: D's opinion $D(x) = \sigma(l(x))$ over the plane: green = "real", purple = "fake", white = ½. Against a
  perfect G the best D is ½ everywhere [Goo14, Prop. 1]: the map fades as G wins.
- **arrows**: $-\partial \ell_G / \partial x$ at each fake point, where G's next update pushes it.
- **mesh**: G applied to a grid of $z$: how G folds and stretches the noise plane onto the modes (a collapsed G shrinks it to a blob).
- **charts**: both losses; modes covered (a mode counts when enough fakes land within 3σ of its centre); a binned
  Jensen–Shannon divergence in bits (0: same histogram, 1: disjoint).

**Why D's gradient moves G's points.** G's loss reaches its weights $\theta$ only through its points $x_i = G(z_i)$:
$$\frac{\partial L_G}{\partial \theta} = \sum_i \Big(\frac{\partial x_i}{\partial \theta}\Big)^{\!\top}
\frac{\partial \ell_G}{\partial x_i}, \qquad -\frac{\partial \ell_G}{\partial x} = \begin{cases}
(1 - D(x))\,\nabla_x l(x) & \text{non-saturating } {-\log D(G(z))} \\
D(x)\,\nabla_x l(x) & \text{minimax } \log(1 - D(G(z))) \end{cases}$$
The only thing telling G *where* to move is $\nabla_x l$, the slope of D's map: each arrow points uphill towards "real".
An update of $\theta$ moves every point along a mix of the arrows (the points share G's weights, so neighbours move
together). Hence GAN Lab's slow motion: **Step D** changes the map and the arrows while the points stay; **Step G**
moves the points while the map stays. With the minimax loss an arrow is scaled by $D(x)$, which is ≈ 0 exactly where
D is sure a point is fake: the arrows vanish and G stalls (preset *minimax*); the non-saturating loss scales by
$1 - D(x)$, strongest there.

**Presets**: *healthy* (all 8 ring modes), *collapse* (G 10× faster than D: all points hop from mode to mode),
*oscillation* (plain SGD with big steps circles and never settles), *minimax* (the stall above).
"""


def toy_svg() -> str:
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
 <text x="30" y="212" font-size="13" fill="#475569">D(x) ≈ 0: "fake"</text>
 <text x="370" y="212" font-size="13" fill="#475569" text-anchor="end">D(x) ≈ 1: "real"</text>
 <text x="200" y="212" font-size="13" fill="#3c145a" text-anchor="middle">arrows: −∂ℓ_G/∂x</text>
</svg>"""
