"""Image helpers: grid shape and padding, strips, nearest upscaling, PIL conversion, animated GIFs, MNIST centring."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from genai_demo.data.images import centre_digit, ink_map, make_grid, save_gif, strip, to_pil, to_uint8, upscale


def constant_batch(n, h=28, w=28):
    """(n, 1, h, w) float tensor where image i is filled with (i + 1) / 100."""
    return torch.arange(1, n + 1, dtype=torch.float32).div(100).view(n, 1, 1, 1).expand(n, 1, h, w)


def test_make_grid_shape_math_and_cell_placement():
    grid = make_grid(constant_batch(10), nrow=4, pad=2, pad_value=0.5)
    assert grid.dtype == np.uint8 and grid.shape == (3 * 30 + 2, 4 * 30 + 2)  # rows = ceil(10 / 4)
    for i in range(10):
        r, c = divmod(i, 4)
        cell = grid[2 + r * 30: 2 + r * 30 + 28, 2 + c * 30: 2 + c * 30 + 28]
        assert (cell == round((i + 1) / 100 * 255)).all()
    assert (grid[:2] == 128).all() and (grid[:, :2] == 128).all() and (grid[30:32] == 128).all()  # padding
    assert (grid[62:, 62:] == 128).all()  # the two empty cells of the last row keep the padding colour


def test_make_grid_variants():
    assert make_grid(constant_batch(3), nrow=8, pad=0).shape == (28, 84)  # nrow > N: one row of N
    assert make_grid(np.zeros((6, 5, 7), np.uint8), nrow=3, pad=1, pad_value=1.0).shape == (2 * 6 + 1, 3 * 8 + 1)
    assert make_grid(np.full((4, 1, 2, 2), 2.0), nrow=2, pad=0).max() == 255  # floats are clipped to [0, 1]
    with pytest.raises(ValueError):
        make_grid(np.zeros((0, 1, 28, 28)))
    with pytest.raises(ValueError):
        make_grid(np.zeros((2, 3, 28, 28)))  # colour batches are not what this app draws


def test_strip_upscale_to_pil_and_to_uint8():
    assert strip(constant_batch(5), pad=2).shape == (32, 5 * 30 + 2)
    a = np.array([[0, 255], [128, 7]], np.uint8)
    up = upscale(a, 3)
    assert up.shape == (6, 6) and (up[:3, 3:] == 255).all() and (up[3:, :3] == 128).all()
    assert upscale(np.zeros((2, 1, 4, 5)), 2).shape == (2, 1, 8, 10)
    with pytest.raises(ValueError):
        upscale(a, 0)
    pic = to_pil(torch.rand(1, 1, 28, 28), factor=4)
    assert pic.mode == "L" and pic.size == (112, 112)
    assert to_pil(constant_batch(16)).size == (8 * 30 + 2, 2 * 30 + 2)  # a batch is tiled (8 per row)
    assert to_uint8(torch.tensor([0.0, 0.5, 1.0, 1.5, -1.0])).tolist() == [0, 128, 255, 255, 0]


def test_save_gif_writes_a_readable_animation(tmp_path):
    frames = [np.full((1, 1, 28, 28), 0.2 * (i + 1)) for i in range(4)]  # 4 distinct grey frames
    path = save_gif(frames, tmp_path / "walk.gif", duration_ms=80, factor=2)
    assert [p.name for p in tmp_path.iterdir()] == ["walk.gif"]  # no temp file left behind
    with Image.open(path) as im:
        assert im.format == "GIF" and im.n_frames == 4 and im.size == (56, 56)
        assert im.info["duration"] == 80
        values = []
        for i in range(4):
            im.seek(i)
            values.append(int(np.asarray(im.convert("L"))[0, 0]))
    assert values == sorted(values) and len(set(values)) == 4
    with pytest.raises(ValueError, match="same size"):
        save_gif([np.zeros((28, 28)), np.zeros((20, 20))], tmp_path / "bad.gif")
    with pytest.raises(ValueError):
        save_gif([], tmp_path / "none.gif")


def test_centre_digit_keeps_aspect_and_centres_mass():
    ink = np.zeros((100, 300), np.float32)
    ink[10:40, 200:290] = 1.0  # a wide bar near a corner: 30 x 90 -> 7 x 20 after scaling
    out = centre_digit(ink)
    assert out.shape == (28, 28) and out.dtype == np.float32 and out.max() == pytest.approx(1.0)
    rows, cols = np.nonzero(out > 0.5)
    assert cols.max() - cols.min() + 1 == 20 and 6 <= rows.max() - rows.min() + 1 <= 8
    ys, xs = np.indices(out.shape)
    assert abs((ys * out).sum() / out.sum() - 13.5) <= 0.5 and abs((xs * out).sum() / out.sum() - 13.5) <= 0.5


def test_centre_digit_thickens_a_fine_pen_but_not_mnist_strokes():
    ink = np.zeros((400, 400), np.float32)
    ink[50:350, 200] = 1.0  # a 1 px line on a big canvas would vanish to a faint hair at 20 px
    out = centre_digit(ink)
    assert (out > 0.5).sum(axis=1).max() >= 2  # at least MNIST's ~2-3 px stroke
    bold = np.zeros((400, 400), np.float32)
    bold[50:350, 150:250] = 1.0  # already wider than MNIST: only scaled, never thinned or fattened
    assert (centre_digit(bold) > 0.5).sum(axis=1).max() == 7  # 100 / 300 * 20


def test_ink_map_polarity_alpha_and_paper():
    paper = np.full((10, 10), 200, np.uint8)  # grey paper, dark ink
    paper[3:7, 4] = 20
    ink = ink_map(paper)
    assert ink[0, 0] == 0 and ink[5, 4] == pytest.approx(180 / 200)  # paper -> 0, ink scaled by the contrast
    rgba = np.zeros((10, 10, 4), np.float32)
    rgba[2:8, 5, 3] = 1.0  # black paint on a transparent layer: alpha is the ink
    assert ink_map(rgba)[5, 5] == 1.0 and ink_map(rgba).sum() == 6
    with pytest.raises(ValueError):
        ink_map(np.full((4, 4), np.inf))
