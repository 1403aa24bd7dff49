"""A visitor's drawing or upload as an MNIST-like digit (data/user_image.py): centred like MNIST, every input form
agreeing (RGBA canvas, PIL, dict, PNG bytes, white-on-black), empty drawings, huge and garbage inputs, large
uploads shrunk first without changing the digit."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from genai_demo.data.datasets import DataError
from genai_demo.data.user_image import load_user_image


def drawn_one(size=200, x0=40) -> np.ndarray:
    """A black "1" on white paper, off-centre: (size, size) uint8."""
    a = np.full((size, size), 255, np.uint8)
    a[20:120, x0:x0 + 12] = 0
    return a


def test_user_image_is_centred_like_mnist():
    out = load_user_image(drawn_one())
    assert out.shape == (1, 28, 28) and out.dtype == torch.float32 and 0 <= out.min() and out.max() == 1.0
    rows, cols = torch.nonzero(out[0] > 0.5, as_tuple=True)
    assert rows.max() - rows.min() + 1 == 20  # the longer side scaled to 20 px
    ys, xs = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    m = out[0].sum()
    assert abs((ys * out[0]).sum() / m - 13.5) <= 1 and abs((xs * out[0]).sum() / m - 13.5) <= 1
    assert out[0, :, :4].sum() == 0 and out[0, :4].sum() == 0  # the background is black


def test_rgba_sketchpad_and_other_inputs_agree():
    ref = load_user_image(drawn_one())
    rgba = np.zeros((200, 200, 4), np.uint8)  # white strokes on a transparent canvas
    rgba[..., :3] = 255
    rgba[..., 3] = 255 - drawn_one()
    for img in (rgba, Image.fromarray(rgba, "RGBA"), {"composite": rgba}, np.stack([drawn_one()] * 3, -1),
                drawn_one().astype(np.float32) / 255, 255 - drawn_one()):  # white-on-black works as is
        assert torch.allclose(load_user_image(img), ref, atol=1e-4)
    png = io.BytesIO()
    Image.fromarray(drawn_one()).save(png, format="PNG")
    assert torch.allclose(load_user_image(png.getvalue()), ref, atol=1e-4)


@pytest.mark.parametrize("img", [np.full((50, 50), 255, np.uint8), np.zeros((50, 50, 4), np.uint8), np.zeros((9, 9))])
def test_empty_drawing(img):
    with pytest.raises(DataError, match="the drawing is empty — draw a digit first"):
        load_user_image(img)


def test_huge_and_garbage_inputs():
    with pytest.raises(DataError, match="too large"):
        load_user_image(np.zeros((5000, 10), np.uint8))
    big = io.BytesIO()
    Image.new("L", (5000, 20)).save(big, format="PNG")
    with pytest.raises(DataError, match="too large"):
        load_user_image(big.getvalue())
    for junk in (b"\x89PNG not really an image", b"", "not-a-file.png", None, 42, np.zeros((3, 3, 7)),
                 np.array([["a"]]), np.full((5, 5), np.nan)):
        with pytest.raises(DataError) as e:
            load_user_image(junk)
        assert "\n" not in str(e.value)



def test_a_large_allowed_upload_is_shrunk_first_and_reads_the_same(monkeypatch):
    """A 38 KB PNG can claim 4,000 x 4,000 px: its pixel maths would cost ~1 s of CPU. It is shrunk to
    user_image.WORK_SIDE first (area average), which must not change the digit the model sees."""
    import genai_demo.data.user_image as user_image

    def drawing(side: int, mode: str) -> bytes:
        im = Image.new(mode, (side, side), 255 if mode == "L" else (0, 0, 0, 0))
        ink, w = (0 if mode == "L" else (0, 0, 0, 255)), max(1, side // 100)
        ImageDraw.Draw(im).line([(side * 0.3, side * 0.2), (side * 0.6, side * 0.8), (side * 0.7, side * 0.3)], fill=ink, width=w)
        buf = io.BytesIO()
        im.save(buf, "PNG")
        return buf.getvalue()

    for mode in ("L", "RGBA"):  # an upload, and a transparent canvas
        shrunk = load_user_image(drawing(4000, mode))
        with monkeypatch.context() as m:
            m.setattr(user_image, "WORK_SIDE", 10**6)
            full = load_user_image(drawing(4000, mode))
        assert torch.corrcoef(torch.stack([shrunk.flatten(), full.flatten()]))[0, 1] > 0.95
