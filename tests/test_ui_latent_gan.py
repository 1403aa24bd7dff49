"""Latent explorer and GAN studio: handlers as plain functions, then the public API through gradio_client.

Tiny untrained checkpoints are written into a temp folder (GENAI_DEMO_CHECKPOINTS), so these tests need
no shipped weights and run in seconds; the browser tests use the shipped ones.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from genai_demo.explore import latent as explore
from genai_demo.explore import webdecoder
from genai_demo.ui.context import UIContext
from genai_demo.ui.gan_tab import GanActions
from genai_demo.ui.latent_tab import LatentActions
from tests.helpers import write_tiny_checkpoints

REQ = SimpleNamespace(session_hash="visitor-1")
VAE, CVAE, GAN, CGAN = "pretrained:tiny_vae", "pretrained:tiny_cvae", "pretrained:tiny_gan", "pretrained:tiny_cgan"
EMPTY_PTS = {"a": None, "b": None, "drawn": None}


@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory):
    """Four small untrained checkpoints (the handlers only need shapes, not good digits)."""
    d = tmp_path_factory.mktemp("ckpts")
    write_tiny_checkpoints(d, "tiny")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENAI_DEMO_CHECKPOINTS", str(d))
        yield d


@pytest.fixture
def latent(ckpt_dir):
    return LatentActions(UIContext())


@pytest.fixture
def gan(ckpt_dir):
    return GanActions(UIContext())


def _digit_one() -> np.ndarray:
    """A drawn "1": a black bar on a white RGBA canvas, like the sketchpad's composite."""
    canvas = np.full((280, 280, 4), 255, np.uint8)
    canvas[60:220, 130:150, :3] = 0
    return canvas


# ---------------------------------------------------------------------------------------------------
# Latent explorer handlers


def test_decode_follows_the_sliders(latent):
    a = latent.decode(VAE, 0.0, 0.0, 0, REQ)
    b = latent.decode(VAE, 3.0, -3.0, 0, REQ)
    assert a.shape == (224, 224) and a.dtype == np.uint8
    assert not np.array_equal(a, b)
    assert latent.decode(CVAE, 0.0, 0.0, 2, REQ).shape == (224, 224)


@pytest.mark.parametrize("key, match", [("pretrained:nope", "Cannot use model"), ("run:r9", "not found"), ("bogus", "unknown model"),
                                        (GAN, "needs one of"), ("", "Choose a model")])
def test_bad_model_keys_give_clear_errors(latent, key, match):
    with pytest.raises(gr.Error, match=match):
        latent.decode(key, 0.0, 0.0, 0, REQ)


def test_z_out_of_range_is_refused(latent):
    with pytest.raises(gr.Error, match="between -4 and 4"):
        latent.decode(VAE, 9.0, 0.0, 0, REQ)


def test_show_redraws_and_toggles_the_digit_picker(latent):
    shown = latent.show(CVAE, 0.5, 0.5, 3, True, EMPTY_PTS, REQ)
    pick, dec, pic, geo = shown["digit"], shown["decoder"], shown["map"], shown["geometry"]
    assert pick.visible is True and pick.value == 3
    header, _ = webdecoder.parse(Path(dec).read_bytes())  # the page's decoder for this model
    assert header["num_classes"] == 10 and isinstance(pic, Image.Image)
    assert (geo["width"], geo["height"]) == pic.size and 0 < geo["size"] <= min(pic.size) and geo["extent"] == 4
    shown = latent.show(VAE, 0.5, 0.5, 3, True, EMPTY_PTS, REQ)
    pick, dec_vae = shown["digit"], shown["decoder"]
    assert pick.visible is False and dec_vae != dec


def test_release_sends_new_weights_only_when_they_changed(latent):
    dec = latent.show(VAE, 0.0, 0.0, 0, True, EMPTY_PTS, REQ)["decoder"]
    cached_copy = f"/tmp/gradio/abc123/{Path(dec).name}"  # what Gradio hands back: its cached copy of the file
    pic, same = latent.settle(VAE, 1.0, 1.0, 0, True, EMPTY_PTS, cached_copy, REQ)
    assert pic is gr.skip() or pic == gr.skip()
    pic, new = latent.settle(VAE, 1.0, 1.0, 0, True, EMPTY_PTS, "/tmp/gradio/abc123/decoder_older.bin", REQ)
    assert isinstance(pic, Image.Image) and new == dec
    with pytest.raises(gr.Error, match="between -4 and 4"):
        latent.settle(VAE, 7.0, 1.0, 0, True, EMPTY_PTS, None, REQ)


def test_empty_sketch_is_a_clear_error_but_quiet_when_cleared(latent):
    with pytest.raises(gr.Error, match="Draw a digit"):
        latent.encode(VAE, 0, None, True, EMPTY_PTS, REQ)
    blank = {"background": None, "layers": [], "composite": np.zeros((280, 280, 4), np.uint8)}
    with pytest.raises(gr.Error, match="empty"):
        latent.encode(VAE, 0, blank, True, EMPTY_PTS, REQ)
    out = latent.encode(VAE, 0, blank, True, EMPTY_PTS, REQ, quiet=True)
    assert out == {}  # every output left as it is


def test_encode_sets_sliders_point_and_reconstruction(latent):
    out = latent.encode(VAE, 0, {"composite": _digit_one()}, True, EMPTY_PTS, REQ)
    z1, z2, pic, pair, note, pts = (out[k] for k in ("z1", "z2", "map", "recon", "note", "points"))
    assert -4 <= z1 <= 4 and -4 <= z2 <= 4
    assert pts["drawn"] == pytest.approx([z1, z2], abs=0.01) or max(map(abs, pts["drawn"])) > 4
    assert "MSE" in note and "SSIM" in note
    assert pair.ndim == 2 and isinstance(pic, Image.Image)


def test_an_uploaded_file_is_encoded_and_garbage_refused(latent, tmp_path):
    path = tmp_path / "seven.png"
    Image.fromarray(_digit_one()).save(path)
    out = latent.encode(VAE, 0, str(path), True, EMPTY_PTS, REQ)
    note, pts = out["note"], out["points"]
    assert "SSIM" in note and pts["drawn"] is not None
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    with pytest.raises(gr.Error, match="not a readable image"):
        latent.encode(VAE, 0, str(junk), True, EMPTY_PTS, REQ)


def test_click_on_the_map_moves_the_sliders(latent):
    model, _ = latent._model(VAE, REQ)
    _, geo = explore.map_picture(model, explore.held_out("mnist5k"), None, True)  # what the visitor sees
    x, y = geo.z_to_px(2.0, -1.0)
    evt = gr.SelectData(None, {"index": [round(x), round(y)], "value": None})
    z1, z2, _ = latent.jump(VAE, 0, True, EMPTY_PTS, evt, REQ)
    assert z1 == pytest.approx(2.0, abs=0.05) and z2 == pytest.approx(-1.0, abs=0.05)


def test_interpolation_needs_a_and_b_then_writes_a_gif(latent):
    with pytest.raises(gr.Error, match="Set point A and point B"):
        latent.interpolate(VAE, 0, 8, EMPTY_PTS, REQ)
    pts, _ = latent.set_point("a", VAE, -2.0, 1.0, 0, True, EMPTY_PTS, REQ)
    pts, _ = latent.set_point("b", VAE, 2.0, -1.0, 0, True, pts, REQ)
    strip, button = latent.interpolate(VAE, 0, 8, pts, REQ)
    assert strip.shape[1] > 5 * strip.shape[0]  # one row of 8 digits
    with open(button.value["path"], "rb") as f:
        assert f.read(6) == b"GIF89a"


def test_a_visitors_run_is_theirs_alone(ckpt_dir):
    from genai_demo.data.datasets import load_dataset
    from genai_demo.models.base import Hyper
    from genai_demo.training.trainer import RunConfig, Trainer

    ctx = UIContext()
    latent, other = LatentActions(ctx), SimpleNamespace(session_hash="visitor-2")
    cfg = RunConfig(kind="vae", steps=20, snapshot_every=10, hp=Hyper(lr=1e-3, batch_size=16), device="cpu",
                    model_config={"hidden1": 32, "hidden2": 16})
    try:
        run = ctx.registry.start(REQ.session_hash, cfg, lambda c: Trainer(c, load_dataset("mnist5k", "train")))
        assert run.trainer.join(timeout=60)
        key = f"run:{run.id}"
        assert key in [k for _, k in ctx.model_choices(REQ, ("vae", "cvae"))]
        assert key not in [k for _, k in ctx.model_choices(other, ("vae", "cvae"))]
        assert latent.decode(key, 1.0, 1.0, 0, REQ).shape == (224, 224)
        with pytest.raises(gr.Error, match="not found"):
            latent.decode(key, 1.0, 1.0, 0, other)
    finally:
        ctx.registry.shutdown()


# ---------------------------------------------------------------------------------------------------
# GAN studio handlers


def test_sample_grid_is_seeded(gan):
    a, b = gan.sample(GAN, 16, 1, "random", REQ), gan.sample(GAN, 16, 1, "random", REQ)
    assert a.dtype == np.uint8 and np.array_equal(a, b)
    assert not np.array_equal(a, gan.sample(GAN, 16, 2, "random", REQ))
    assert gan.sample(VAE, 25, 0, "random", REQ).ndim == 2  # VAEs sample too


@pytest.mark.parametrize("n, seed, match", [(5, 0, "between 16 and 100"), (101, 0, "between 16 and 100"),
                                            (20.5, 0, "whole number"), (16, -1, "seed"), (16, "x", "seed")])
def test_sample_rejects_bad_numbers(gan, n, seed, match):
    with pytest.raises(gr.Error, match=match):
        gan.sample(GAN, n, seed, "random", REQ)


def test_cgan_rows_and_single_class(gan):
    rows = gan.sample(CGAN, 20, 0, "rows", REQ)
    one = gan.sample(CGAN, 20, 0, "7", REQ)
    assert rows.shape != one.shape  # 10 rows of 3 vs a 5x4 grid
    assert gan.sample(CGAN, 20, 0, 7, REQ).shape == one.shape  # API callers may pass the class as a number
    with pytest.raises(gr.Error, match="between 0 and 9"):
        gan.sample(CGAN, 20, 0, "12", REQ)
    choices, value, visible = gan.class_options(CGAN, None, REQ)
    assert visible and value == "rows" and len(choices) == 12
    assert gan.class_options(GAN, "rows", REQ)[2] is False


def test_walk_lerp_and_slerp_strips_and_gif(gan):
    s1, g1 = gan.walk(GAN, 1, 2, 6, "lerp", "random", REQ)
    s2, _ = gan.walk(GAN, 1, 2, 6, "slerp", "random", REQ)
    assert s1.shape == s2.shape and not np.array_equal(s1, s2)
    with open(g1.value["path"], "rb") as f:
        assert f.read(6) == b"GIF89a"
    rows, _ = gan.walk(CGAN, 1, 2, 6, "slerp", "rows", REQ)
    assert rows.shape[0] > 5 * s1.shape[0]  # one strip per class
    with pytest.raises(gr.Error, match="lerp"):
        gan.walk(GAN, 1, 2, 6, "cubic", "random", REQ)


def test_compare_vae_and_gan(gan):
    v, g = gan.compare(VAE, GAN, 16, 0, REQ)
    assert v.ndim == 2 and g.ndim == 2
    with pytest.raises(gr.Error, match="needs one of"):
        gan.compare(GAN, VAE, 16, 0, REQ)


# ---------------------------------------------------------------------------------------------------
# the public API through gradio_client


@pytest.fixture(scope="module")
def client(ckpt_dir):
    from gradio_client import Client

    from genai_demo.ui import gan_tab, latent_tab

    ctx = UIContext()
    with gr.Blocks() as demo:
        with gr.Tab("Latent explorer"):
            latent_tab.build(ctx)
        with gr.Tab("GAN studio"):
            gan_tab.build(ctx)
    demo.queue()
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True)
    try:
        yield Client(url, verbose=False)
    finally:
        demo.close()


def test_api_decode_and_sample(client):
    a = client.predict(VAE, 0.5, -0.5, 0, api_name="/decode")
    b = client.predict(VAE, -2.0, 2.0, api_name="/decode")  # the label is optional
    assert np.asarray(Image.open(a)).shape[:2] == (224, 224)
    assert not np.array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b)))
    s1 = client.predict(GAN, 16, 3, api_name="/sample")
    s2 = client.predict(GAN, 16, 3, "random", api_name="/sample")
    assert np.array_equal(np.asarray(Image.open(s1)), np.asarray(Image.open(s2)))


def test_api_errors_are_readable(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="unknown model"):
        client.predict("bogus", 0.0, 0.0, api_name="/decode")
    # Gradio's own English when the error net is not installed (this bare demo), the catalogue's words when it is
    with pytest.raises((AppError, ValueError), match="(between 16 and 100|greater than maximum|more than this field allows)"):
        client.predict(GAN, 500, 0, api_name="/sample")


def test_write_gif_survives_an_old_gif_removed_by_a_concurrent_walk(monkeypatch, tmp_path):
    from pathlib import Path

    import numpy as np

    from genai_demo.ui import common, latent_tab

    monkeypatch.setattr(common, "GIF_DIR", tmp_path)
    (tmp_path / "ghost.gif").write_bytes(b"GIF89a")
    real_stat = Path.stat

    def stat(self, *a, **k):  # the other walk deleted it between glob() and stat()
        if self.name == "ghost.gif":
            raise FileNotFoundError(self)
        return real_stat(self, *a, **k)

    monkeypatch.setattr(Path, "stat", stat)
    out = latent_tab.write_gif(np.zeros((3, 1, 28, 28), dtype=np.float32), "walk")
    assert out.endswith(".gif") and Path(out).parent == tmp_path
