"""The 2-D GAN game's data: a few classic point clouds on the plane, a visitor's own points, and their modes.

Every distribution lives in the square [-EXTENT, EXTENT]² (the plane the views draw) and knows its
*modes*: centres with a "near" radius and a weight (the share of the data around each). Mode coverage
(toy_metrics.py) counts a mode as covered when enough fake points land within its radius, so the radius
is tied to the data's own spread:
  - Gaussian mixtures (ring8, grid25): radius = 3 σ, which holds 98.9 % of a 2-D Gaussian's mass (the
    "high quality sample" rule of the Unrolled GAN / VEEGAN / PacGAN mode-counting benchmarks).
  - curves (moons, spiral, line): K centres at equal arc length; radius = half their spacing + 3 σ, so
    the near-discs tile the whole curve and every real point is near one centre.
  - custom points: leader clustering of the visitor's points (radius CUSTOM_CLUSTER); radius = cluster
    radius + 3 σ, weight = share of the points in the cluster.
The ring of 8 and the 5 × 5 grid are the mode-collapse benchmarks of Metz et al. 2017 (Unrolled GANs) and
Lin et al. 2018 (PacGAN), scaled to this plane; moons, spiral and line follow GAN Lab (Kahng et al., VIS 2018).
Sampling draws from a caller's torch.Generator only, so a seed fixes every batch.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

EXTENT = 2.0  # the plane is [-EXTENT, EXTENT]² in every view
MAX_CUSTOM_POINTS = 1000  # a drawing longer than this is refused (the page thins strokes long before)
MIN_CUSTOM_POINTS = 3
CUSTOM_SIGMA = 0.05  # jitter around each drawn point: a drawing becomes a smooth density, not 40 spikes
CUSTOM_CLUSTER = 0.3  # drawn points within this of a cluster's first point share its mode


class ToyError(ValueError):
    """A reason a game was refused, in one English sentence, plus a catalogue key and its values (genai_demo/i18n,
    ``toy_err_*`` keys in toy.json) so the page can say it in the visitor's language; explore/ stays gradio-free."""

    def __init__(self, sentence: str, key: str, **values):
        super().__init__(sentence)
        self.key, self.values = key, values


class ToyDiverged(FloatingPointError):
    """The game's numbers blew up (NaN / inf): the sentence, plus its catalogue key, as ToyError."""

    def __init__(self, sentence: str, key: str):
        super().__init__(sentence)
        self.key, self.values = key, {}


@dataclass(frozen=True)
class ToyData:
    """A 2-D distribution: a sampler plus its modes (centres, near radii, weights)."""

    name: str
    sampler: Callable[[int, torch.Generator], torch.Tensor]  # (n, gen) → (n, 2) float32
    centres: torch.Tensor  # (M, 2) mode centres
    radius: torch.Tensor  # (M,) a point within this distance of a centre is "near" that mode
    weights: torch.Tensor  # (M,) share of the data around each mode, sums to 1

    @property
    def modes(self) -> int:
        return int(self.centres.shape[0])

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        return self.sampler(n, gen)  # (n, 2)


# ---------------------------------------------------------------------------------------------------
# mixtures of Gaussians


def _mixture(name: str, centres: torch.Tensor, sigma: float, weights: torch.Tensor | None = None) -> ToyData:
    """Equal-σ Gaussians at `centres` (M, 2); pick a centre by weight, add N(0, σ² I)."""
    M = centres.shape[0]
    w = torch.full((M,), 1.0 / M) if weights is None else weights / weights.sum()

    def sample(n: int, gen: torch.Generator) -> torch.Tensor:
        k = torch.multinomial(w, n, replacement=True, generator=gen)  # (n,) which mode
        return centres[k] + sigma * torch.randn(n, 2, generator=gen)  # (n, 2)

    return ToyData(name, sample, centres, torch.full((M,), 3 * sigma), w)


def ring8(radius: float = 1.5, sigma: float = 0.08) -> ToyData:
    a = torch.arange(8) * (2 * math.pi / 8)
    return _mixture("ring8", radius * torch.stack([a.cos(), a.sin()], 1), sigma)  # (8, 2)


def grid25(spacing: float = 0.75, sigma: float = 0.05) -> ToyData:
    c = (torch.arange(5) - 2) * spacing  # -1.5 … 1.5
    return _mixture("grid25", torch.cartesian_prod(c, c), sigma)  # (25, 2)


# ---------------------------------------------------------------------------------------------------
# curves: polylines sampled uniformly by arc length, plus N(0, σ² I) noise


def _curve(name: str, pieces: list[torch.Tensor], sigma: float, modes: int) -> ToyData:
    """`pieces`: polylines (V_i, 2), sampled uniformly along their total length; `modes` centres along it."""
    seg = torch.cat([torch.stack([p[:-1], p[1:]], 1) for p in pieces])  # (S, 2, 2) start and end points
    length = (seg[:, 1] - seg[:, 0]).norm(dim=1)  # (S,)
    cum = torch.cumsum(length, 0)  # (S,) arc length at each segment's end
    total = float(cum[-1])

    def at(s: torch.Tensor) -> torch.Tensor:
        """Arc lengths (n,) → points (n, 2) on the curve."""
        i = torch.searchsorted(cum, s).clamp_max(len(seg) - 1)  # segment holding each s
        t = ((s - (cum[i] - length[i])) / length[i]).clamp(0, 1).unsqueeze(1)  # (n, 1) position within it
        return seg[i, 0] + t * (seg[i, 1] - seg[i, 0])

    def sample(n: int, gen: torch.Generator) -> torch.Tensor:
        s = torch.rand(n, generator=gen) * total
        return at(s) + sigma * torch.randn(n, 2, generator=gen)

    centres = at((torch.arange(modes) + 0.5) * (total / modes))  # (K, 2) equal arc-length spacing
    return ToyData(name, sample, centres, torch.full((modes,), total / modes / 2 + 3 * sigma), torch.full((modes,), 1.0 / modes))


def moons(sigma: float = 0.05) -> ToyData:
    """Two interleaved half circles (scikit-learn's make_moons), scaled to the plane: 4 modes per moon."""
    t = torch.linspace(0, math.pi, 65)
    upper = torch.stack([t.cos(), t.sin()], 1)  # (65, 2) centred at (0, 0)
    lower = torch.stack([1 - t.cos(), 0.5 - t.sin()], 1)  # centred at (1, 0.5)
    shift, scale = torch.tensor([0.5, 0.25]), 1.1  # centre the pair on (0, 0), span ≈ ±1.65
    return _curve("moons", [(upper - shift) * scale, (lower - shift) * scale], sigma, 8)


def spiral(sigma: float = 0.04) -> ToyData:
    """An Archimedean spiral r = 1.6 θ / (3π), 1.5 turns from the centre: 10 modes along it."""
    th = torch.linspace(0.3, 3 * math.pi, 257)
    r = 1.6 * th / (3 * math.pi)
    return _curve("spiral", [torch.stack([r * th.cos(), r * th.sin()], 1)], sigma, 10)


def line(sigma: float = 0.04) -> ToyData:
    """A straight segment from (-1.5, -1) to (1.5, 1): the simplest target, 6 modes along it."""
    return _curve("line", [torch.tensor([[-1.5, -1.0], [1.5, 1.0]])], sigma, 6)


# ---------------------------------------------------------------------------------------------------
# a visitor's own points


def check_points(points) -> torch.Tensor:
    """Validate drawn points → (n, 2) float32; one-sentence ValueError for anything unusable."""
    if isinstance(points, (str, bytes)) or points is None:
        raise ToyError("Points must be a list of (x, y) pairs.", "toy_err_bad_points")
    if hasattr(points, "__len__") and len(points) > MAX_CUSTOM_POINTS:  # before copying a huge list
        raise ToyError(f"Draw at most {MAX_CUSTOM_POINTS} points (got {len(points)}).", "toy_err_too_many",
                       most=MAX_CUSTOM_POINTS, got=len(points))
    try:
        pts = torch.as_tensor(points if isinstance(points, torch.Tensor) else list(points), dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError, OverflowError):
        raise ToyError("Points must be a list of (x, y) pairs of numbers.", "toy_err_not_numbers") from None
    if pts.numel() == 0:
        raise ToyError(f"Draw at least {MIN_CUSTOM_POINTS} points.", "toy_err_too_few", least=MIN_CUSTOM_POINTS)
    if pts.dim() != 2 or pts.shape[1] != 2:
        raise ToyError("Points must be a list of (x, y) pairs.", "toy_err_bad_points")
    n = pts.shape[0]
    if n < MIN_CUSTOM_POINTS:
        raise ToyError(f"Draw at least {MIN_CUSTOM_POINTS} points (got {n}).", "toy_err_too_few_got", least=MIN_CUSTOM_POINTS, got=n)
    if n > MAX_CUSTOM_POINTS:
        raise ToyError(f"Draw at most {MAX_CUSTOM_POINTS} points (got {n}).", "toy_err_too_many", most=MAX_CUSTOM_POINTS, got=n)
    if not torch.isfinite(pts).all():
        raise ToyError("Every point needs two finite coordinates.", "toy_err_not_finite")
    if pts.abs().max() > EXTENT:
        raise ToyError(f"Every point must lie inside the plane, between -{EXTENT:g} and {EXTENT:g} on both axes.",
                       "toy_err_outside", extent=f"{EXTENT:g}")
    return pts


def _leaders(pts: torch.Tensor, radius: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Leader clustering in drawing order: (L, 2) leaders and (n,) the cluster of each point (deterministic)."""
    leaders: list[torch.Tensor] = []
    owner = torch.empty(len(pts), dtype=torch.long)
    for i, p in enumerate(pts):
        if leaders:
            d = (torch.stack(leaders) - p).norm(dim=1)
            j = int(d.argmin())
            if float(d[j]) <= radius:
                owner[i] = j
                continue
        owner[i] = len(leaders)
        leaders.append(p)
    return torch.stack(leaders), owner


def custom(points: Sequence | torch.Tensor) -> ToyData:
    """A density drawn by the visitor: each point a small Gaussian (σ = CUSTOM_SIGMA); modes = clusters."""
    pts = check_points(points)  # (n, 2)
    leaders, owner = _leaders(pts, CUSTOM_CLUSTER)
    weights = torch.bincount(owner, minlength=len(leaders)).float() / len(pts)  # (L,)

    def sample(n: int, gen: torch.Generator) -> torch.Tensor:
        k = torch.randint(len(pts), (n,), generator=gen)
        return pts[k] + CUSTOM_SIGMA * torch.randn(n, 2, generator=gen)

    return ToyData("custom", sample, leaders, torch.full((len(leaders),), CUSTOM_CLUSTER + 3 * CUSTOM_SIGMA), weights)


DISTRIBUTIONS: dict[str, Callable[[], ToyData]] = {"ring8": ring8, "grid25": grid25, "moons": moons, "spiral": spiral, "line": line}


def make_data(name: str, points=None) -> ToyData:
    """A distribution by name; "custom" takes the visitor's `points`."""
    if name == "custom":
        return custom(points)
    if name not in DISTRIBUTIONS:
        raise ToyError(f"Unknown distribution {str(name)[:40]!r}: choose one of {', '.join(DISTRIBUTIONS)} or custom.",
                       "toy_err_bad_data")
    return DISTRIBUTIONS[name]()
