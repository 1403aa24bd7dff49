"""What a page draws of the 2-D GAN game, as a compact JSON-able dict: one `frame` per refresh.

A frame is built from fixed samples (chosen once per run from its seed), so successive frames differ
only because G or D changed: the same noise z for the fake points and the manifold, the same real
points. Coordinates are rounded to 0.01 (a pixel is 0.008 of the plane on a 500 px canvas), D's
probabilities to 1/255, gradients to 0.01: a frame is a few kilobytes (tests/test_toy.py
measures it), small enough to send 5+ times a second to every visitor.

Frame layout (all lists flat, x then y for points):
    step, d_updates, g_updates     counters (a step = one round, or one D-only / G-only update)
    extent                         the plane is [-extent, extent]²
    heat   {"n": n, "b64": str}    D's probability "real" × 255 as n·n bytes (row-major, row 0 at the top),
                                   base64: 3 KB instead of 7 KB as a list; the page decodes it with atob()
    fake   [2k floats]             G(z) for the k display noises
    arrows [2k floats]             -∂ℓ_G/∂x at each fake point (toy_gan.ToyGAN.arrows): where G pushes it
    grad   float                   mean arrow length, unrounded (so a vanishing gradient still reads > 0)
    manifold {"rows": r, "cols": c, "xy": [2·r·c floats]}   G over a grid in z-space (lines join neighbours)
    modes_covered, modes, on_data, js      coverage of the eval fakes (toy_metrics.py) and binned JS in bits
scene() carries what does not change during a run: the real points, the modes, the JS floor and the
colours and arrow scale every view uses.
"""
from __future__ import annotations

import base64

import torch

from .toy_data import EXTENT, ToyData, ToyDiverged
from .toy_gan import ToyGAN
from .toy_metrics import Coverage, coverage, js_divergence, js_floor

SHOW = 200  # fake and real points drawn on the plane
EVAL = 2000  # points behind the coverage and JS figures (more than shown: steadier numbers)
HEAT_N = 48  # D's heat-map resolution (cells per side)
MANIFOLD_N = 11  # grid lines per side in z-space
# one look for the tab, the PNG renderer and the docs: real points green, fake points purple (GAN Lab's pair)
REAL_RGB, FAKE_RGB = (22, 150, 80), (140, 60, 200)
ARROW_GAIN, ARROW_MAX = 0.15, 0.4  # an arrow is drawn 0.15 plane units per unit of gradient, at most 0.4 long


def heat_probs(frame: dict) -> list[float]:
    """A frame's heat-map back to probabilities (n·n floats, row-major), as the page decodes it."""
    return [b / 255 for b in base64.b64decode(frame["heat"]["b64"])]


def _flat(x: torch.Tensor, nd: int = 2) -> list[float]:
    """(…, 2) tensor → flat list rounded to `nd` decimals ("-0.0" becomes 0.0)."""
    return [round(v, nd) + 0.0 for v in x.reshape(-1).tolist()]


class ToyViews:
    """Fixed view samples for one run (from its seed) and the frame / metric computations over them."""

    def __init__(self, data: ToyData, noise_dim: int, seed: int):
        self.data = data
        g = torch.Generator().manual_seed(seed + 2)  # apart from the weights' (seed) and batches' (seed + 1)
        self.z_eval = torch.rand(EVAL, noise_dim, generator=g) * 2 - 1  # (EVAL, nz), same law as ToyGAN.noise
        self.z_show = self.z_eval[:SHOW]  # (SHOW, nz): the drawn points are a subset of the measured ones
        self.real_eval = data.sample(EVAL, g)  # (EVAL, 2)
        self.js_floor = js_floor(data, EVAL, seed + 3)

    def measure(self, gan: ToyGAN) -> tuple[Coverage, float]:
        """Coverage and binned JS of G's fakes for the fixed eval noise."""
        fake = gan.fakes(self.z_eval)  # (EVAL, 2)
        return coverage(fake, self.data), js_divergence(self.real_eval, fake)

    def scene(self) -> dict:
        """The run's constant part: real points, mode centres and radii, the JS a perfect G would score."""
        return {"dist": self.data.name, "extent": EXTENT, "real": _flat(self.real_eval[:SHOW]),
                "modes": _flat(self.data.centres), "mode_radius": _flat(self.data.radius, 3),
                "js_floor": round(self.js_floor, 4),
                "style": {"real": "#" + bytes(REAL_RGB).hex(), "fake": "#" + bytes(FAKE_RGB).hex(),
                          "arrow_gain": ARROW_GAIN, "arrow_max": ARROW_MAX}}

    def frame(self, gan: ToyGAN, step: int, cov: Coverage, js: float) -> dict:
        """The views for the current weights (a few ms: see bench/toy.py)."""
        fake = gan.fakes(self.z_show)  # (SHOW, 2)
        arrows = gan.arrows(fake)  # (SHOW, 2)
        if not (torch.isfinite(fake).all() and torch.isfinite(arrows).all()):
            raise ToyDiverged("The generator's points flew off to infinity: lower the learning rates and reset.", "toy_err_inf")
        heat = gan.heat(HEAT_N)  # (HEAT_N, HEAT_N)
        man = gan.manifold(MANIFOLD_N)  # (r, c, 2)
        return {
            "step": step, "d_updates": gan.d_updates, "g_updates": gan.g_updates, "extent": EXTENT,
            "heat": {"n": HEAT_N, "b64": base64.b64encode((heat * 255).round().to(torch.uint8).numpy().tobytes()).decode()},
            "fake": _flat(fake), "arrows": _flat(arrows), "grad": float(arrows.norm(dim=1).mean()),
            "manifold": {"rows": man.shape[0], "cols": man.shape[1], "xy": _flat(man)},
            "modes_covered": cov.covered, "modes": cov.modes, "on_data": round(cov.on_data, 3), "js": round(js, 4),
        }
