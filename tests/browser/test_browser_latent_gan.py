"""Latent explorer and GAN studio in a real browser: sliders decode live, drawings are encoded, GIFs download.

Uses the harness in conftest.py (app_url, page, shoot) and the shipped checkpoints in checkpoints/.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from genai_demo.training.zoo import checkpoint_dir
from tests.browser.test_browser_i18n import settled_texts

NEEDED = ("vae_mnist5k", "cvae_mnist5k", "gan_mnist5k")
HAS_SRC = re.compile(r"\S")


@pytest.fixture(autouse=True)
def shipped_checkpoints():
    missing = [s for s in NEEDED if not (checkpoint_dir() / f"{s}.safetensors").is_file()]
    if missing:
        pytest.fail(f"shipped checkpoints missing in {checkpoint_dir()}: {', '.join(missing)} — train them with "
                    "scripts/train_checkpoints.sh (or python -m genai_demo.train)", pytrace=False)


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def src(page, selector: str) -> str:
    img = page.locator(f"{selector} img").first
    # a tab's first pictures: with both cores over-busy (two test workers and a busy loop) one took > 20 s once
    expect(img).to_have_attribute("src", HAS_SRC, timeout=60_000)
    return img.get_attribute("src")


def draws(page) -> int:
    """How many digits the page's decoder (genai_demo/ui/decoder.js) has drawn so far."""
    return page.evaluate("() => window.__genaiDecoder ? window.__genaiDecoder.draws : 0")


def wait_drawn(page, after: int) -> None:
    page.wait_for_function("n => window.__genaiDecoder && window.__genaiDecoder.draws > n", arg=after, timeout=15_000)


def wait_drawn_at_sliders(page) -> dict:
    """Wait until the page's last drawn digit is the one at the sliders' current z (a draw queued by an earlier
    event, e.g. the tab opening, can land after a move); returns {z1, z2, digit, …} of that draw."""
    page.wait_for_function("""() => { const S = window.__genaiDecoder, v = (id) => Number(document.querySelector(
        `#${id} input[type=number]`).value); return S && S.last && S.last.z1 === v('latent-z1') && S.last.z2 === v('latent-z2'); }""",
                           timeout=15_000)
    return page.evaluate("() => window.__genaiDecoder.last")


def digit(page) -> list[int]:
    """The page-decoded digit read back from its canvas: 784 grey levels, row by row."""
    return page.evaluate("""() => { const d = document.querySelector('#latent-decoded canvas').getContext('2d')
        .getImageData(0, 0, 28, 28).data; return Array.from({length: 784}, (_, i) => d[4 * i]); }""")


def cursor_centre(page) -> tuple[float, float]:
    mark = page.locator("#latent-map .latent-cursor")
    expect(mark).to_be_visible()
    box = mark.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag_slider(page, elem_id: str, to: float) -> None:
    """Press on the slider's thumb and drag it to fraction `to` of its track, in small moves (many input events)."""
    track = page.locator(f"#{elem_id} input[type=range]")
    box = track.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(box["x"] + box["width"] * (0.5 + (to - 0.5) * k / 10), y)
    page.mouse.up()


def draw_seven(page) -> None:
    """Draw a "7" on the sketchpad with the mouse (its brush is pre-selected when the tab opens)."""
    canvas = page.locator("#latent-sketch canvas").first
    expect(page.locator('#latent-sketch button[aria-label="Brush"]')).to_have_class(re.compile("highlight"))
    box = canvas.bounding_box()
    cx, cy, s = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, min(box["width"], box["height"]) / 3
    points = [(-0.6, -0.8), (0.6, -0.8), (0.1, 0.1), (-0.2, 0.9)]
    page.mouse.move(cx + points[0][0] * s, cy + points[0][1] * s)
    page.mouse.down()
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        for k in range(1, 3):  # the editor joins the points with a stroke; each move costs ~0.3 s of page time here
            page.mouse.move(cx + (x0 + (x1 - x0) * k / 2) * s, cy + (y0 + (y1 - y0) * k / 2) * s)
    page.mouse.up()


# ---------------------------------------------------------------------------------------------------
# Latent explorer


def test_slider_drag_and_keys_decode_live_in_the_page(page):
    open_tab(page, "Latent explorer")
    wait_drawn(page, 0)
    n, before, (x0, y0) = draws(page), digit(page), cursor_centre(page)
    drag_slider(page, "latent-z1", 0.9)
    wait_drawn(page, n)
    z1 = wait_drawn_at_sliders(page)["z1"]
    assert z1 > 2
    expect(page.locator("#latent-decoded canvas")).to_have_attribute("aria-label", re.compile(rf"z = \({z1}, 0\)"))
    after = digit(page)
    assert after != before
    x1, y1 = cursor_centre(page)  # the map's cross-hair moved right, not up or down
    assert x1 > x0 + 50 and abs(y1 - y0) < 2
    # the keyboard moves it too: End jumps z2 to +4 (the cross-hair goes up)
    n = draws(page)
    page.locator("#latent-z2 input[type=range]").focus()
    page.keyboard.press("End")
    expect(page.locator("#latent-z2 input[type=number]")).to_have_value("4")
    wait_drawn(page, n)
    assert wait_drawn_at_sliders(page)["z2"] == 4
    assert digit(page) != after and cursor_centre(page)[1] < y1 - 50


def test_the_page_draws_what_the_server_decodes(page, app_url):
    import numpy as np
    from gradio_client import Client
    from PIL import Image

    open_tab(page, "Latent explorer")
    wait_drawn(page, 0)
    n = draws(page)
    drag_slider(page, "latent-z1", 0.2)
    wait_drawn(page, n)
    last = wait_drawn_at_sliders(page)
    served = Client(app_url, verbose=False).predict("pretrained:vae_mnist5k", last["z1"], last["z2"], 0, api_name="/decode")
    server = np.asarray(Image.open(served).convert("L"))[::8, ::8].astype(int)  # 224 px → the 28×28 pixels
    page_px = np.array(digit(page)).reshape(28, 28)
    assert np.abs(server - page_px).max() <= 1, "float16 weights in the page: at most one grey level off"
    assert server.std() > 20  # a real digit, not a blank


def test_click_on_the_map_jumps_there(page):
    open_tab(page, "Latent explorer")
    wait_drawn(page, 0)
    n, before = draws(page), digit(page)
    img = page.locator("#latent-map img")
    box = img.bounding_box()
    at = (box["width"] * 0.25, box["height"] * 0.3)
    img.click(position={"x": at[0], "y": at[1]})  # upper left: z1 < 0, z2 > 0
    wait_drawn(page, n)
    expect(page.locator("#latent-z1 input[type=number]")).not_to_have_value("0")
    last = wait_drawn_at_sliders(page)
    assert last["z1"] < -0.5 and last["z2"] > 0.5
    assert digit(page) != before
    # the server turned the click into z, the page turned z back into a place for the cross-hair: same spot
    x, y = cursor_centre(page)
    assert abs(x - (box["x"] + at[0])) < 3 and abs(y - (box["y"] + at[1])) < 3


def test_draw_a_digit_sets_the_sliders_and_shows_its_reconstruction(page, shoot):
    open_tab(page, "Latent explorer")
    map_before = src(page, "#latent-map")
    draw_seven(page)
    # the drawing travels as a blob upload, then the encode: a CI run with both cores busy once took > 20 s for both
    expect(page.locator("#latent-recon-note")).to_contain_text("SSIM", timeout=60_000)
    expect(page.locator("#latent-recon img")).to_have_attribute("src", HAS_SRC)
    expect(page.locator("#latent-map img")).not_to_have_attribute("src", map_before)  # the ◆ is on the map
    z = [float(page.locator(f"#latent-z{i} input[type=number]").input_value()) for i in (1, 2)]
    assert z != [0.0, 0.0]
    page.mouse.move(5, 5)  # no hover highlight in the screenshot
    page.wait_for_timeout(300)
    shoot("latent")


def test_interpolate_and_download_the_gif(page):
    open_tab(page, "Latent explorer")
    strip_before = src(page, "#latent-strip")  # the first walk, drawn when the page opens
    z1 = page.locator("#latent-z1 input[type=range]")
    z1.focus()
    page.keyboard.press("Home")
    expect(page.locator("#latent-z1 input[type=number]")).to_have_value("-4")
    page.locator("#latent-set-a").click()
    z1.focus()
    page.keyboard.press("End")
    expect(page.locator("#latent-z1 input[type=number]")).to_have_value("4")
    page.locator("#latent-set-b").click()
    page.locator("#latent-interpolate").click()
    expect(page.locator("#latent-strip img")).not_to_have_attribute("src", strip_before)
    expect(page.locator("#latent-gif")).to_be_visible()
    with page.expect_download() as info:
        page.locator("#latent-gif").click()
    with open(info.value.path(), "rb") as f:
        assert f.read(6) in (b"GIF89a", b"GIF87a")
    assert info.value.suggested_filename.endswith(".gif")


# ---------------------------------------------------------------------------------------------------
# GAN studio


def test_gan_seed_changes_the_grid_and_walk_downloads(page, shoot):
    open_tab(page, "GAN studio")
    first = src(page, "#gan-grid")
    seed = page.locator("#gan-seed input")
    seed.fill("7")
    seed.press("Enter")
    expect(page.locator("#gan-grid img")).not_to_have_attribute("src", first)
    second = src(page, "#gan-grid")
    page.locator("#gan-dice").click()
    expect(page.locator("#gan-grid img")).not_to_have_attribute("src", second)
    expect(page.locator("#gan-vae-img img")).to_have_attribute("src", HAS_SRC)
    expect(page.locator("#gan-gan-img img")).to_have_attribute("src", HAS_SRC)
    walk = src(page, "#gan-walk")
    page.locator("#gan-mode").get_by_text("lerp (straight line)").click()
    expect(page.locator("#gan-walk img")).not_to_have_attribute("src", walk)
    with page.expect_download() as info:
        page.locator("#gan-gif").click()
    with open(info.value.path(), "rb") as f:
        assert f.read(6) in (b"GIF89a", b"GIF87a")
    page.mouse.move(5, 5)
    page.wait_for_timeout(300)
    shoot("gan")


def test_cvae_digit_picker_moves_style_of_the_chosen_digit(page):
    open_tab(page, "Latent explorer")
    expect(page.locator("#latent-digit")).to_be_hidden()  # the plain VAE has no classes to choose
    wait_drawn(page, 0)
    vae_url = page.evaluate("() => window.__genaiDecoder.last.url")
    page.locator("#latent-model input").click()
    page.get_by_role("option", name=re.compile(r"^CVAE · mnist5k · pretrained")).click()
    expect(page.locator("#latent-digit")).to_be_visible()
    page.wait_for_function("u => window.__genaiDecoder.last.url !== u", arg=vae_url)  # the CVAE's weights, drawn
    n, before = draws(page), digit(page)
    page.locator("#latent-digit input").click()
    page.get_by_role("option", name="3", exact=True).click()
    wait_drawn(page, n)
    page.wait_for_function("() => window.__genaiDecoder.last.digit === 3")
    assert digit(page) != before


def test_gan_tab_visit_redraws_only_what_changed(page):
    # The walk's GIF gets a fresh random file name each time it is drawn, so its download name tells a redraw apart
    # from none (the grid and strip PNGs are cached by content: their URLs cannot).
    def gif_name() -> str:
        with page.expect_download() as info:
            page.locator("#gan-gif").click()
        return info.value.suggested_filename

    def round_trip() -> None:
        open_tab(page, "Train")
        open_tab(page, "GAN studio")
        settled_texts(page)  # the visit's list refresh and (re)draw have run

    open_tab(page, "GAN studio")
    src(page, "#gan-walk")
    # the page load's draw and the tab visit's may both be on their way (neither has seen the other's "drawn" state
    # yet when a fast visitor opens the tab): the GIF on screen is final only once both are done
    settled_texts(page)
    first = gif_name()
    round_trip()
    assert gif_name() == first  # same lists, same settings: the same pictures stay, nothing is re-sampled
    page.locator("#gan-seed-a input").fill("11")  # a setting the walk uses, changed without pressing Walk
    page.locator("#gan-seed-a input").press("Tab")
    round_trip()
    assert gif_name() != first  # the visit drew the walk for seed A = 11
