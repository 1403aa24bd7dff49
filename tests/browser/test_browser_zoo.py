"""Your weights and code, in a real browser: upload a saved file → a paused run appears and trains on from its step;
Show as code → the script is shown and downloads."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from genai_demo.training import curves_io
from genai_demo.training.checkpoints import load_checkpoint, save_checkpoint
from genai_demo.training.zoo import checkpoint_dir

COUNTER = "#train-step-count .step-counter"


def a_save(tmp_path, step=40):
    """A file as the Save button writes it (the shipped VAE's weights stand in for a visitor's run; its curves are
    made up: 10 points up to the saved step)."""
    model, _ = load_checkpoint(checkpoint_dir() / "vae_mnist5k.safetensors")
    path = tmp_path / f"vae_mnist5k_step{step}.safetensors"
    steps = [step * (i + 1) / 10 for i in range(10)]
    history = {"step": steps, "loss": [300 - 10 * i for i in range(10)], "recon": [280 - 10 * i for i in range(10)],
               "kl": [5 + i for i in range(10)]}
    save_checkpoint(path, model, {"data": "mnist5k", "steps": step, "seed": 7,
                                  "hyper": {"lr": 0.0005, "batch_size": 32, "beta": 1.0, "d_steps": 1},
                                  "curves": curves_io.pack(history, {"step": []}, step)})
    return path


def open_panel(page):
    page.locator("#zoo-panel").get_by_text("Your weights and code").click()
    expect(page.locator("#zoo-upload")).to_be_visible()


def has_point_at(page, plot: str, step: int, timeout: int = 20_000) -> None:
    """Wait until the plot draws a point at `step` (a point's label: "<x title>: 40; nats / image: …; series: …")."""
    page.wait_for_function("""([plot, step]) => [...document.querySelectorAll(plot + ' [aria-roledescription="point"]')]
        .some(p => (p.getAttribute('aria-label') || '').split(';')[0].endsWith(': ' + step))""", arg=[plot, step],
                           timeout=timeout)


def test_upload_a_saved_file_then_train_it_further(page, tmp_path, ui_ctx, shoot):
    open_panel(page)
    page.locator("#zoo-upload input[type=file]").set_input_files(str(a_save(tmp_path)))
    expect(page.locator("#zoo-load-status")).to_contain_text("paused at step 40", timeout=30_000)
    expect(page.locator(COUNTER)).to_have_attribute("data-step", "40")
    expect(page.locator(COUNTER)).to_have_attribute("data-state", "paused")
    expect(page.locator("#train-start")).to_have_text(re.compile("Resume"))  # the form now points at this run
    expect(page.locator("#train-seed input")).to_have_value("7")
    for plot in ("#train-loss-plot", "#train-aux-plot"):  # the file's curves are drawn before any new step
        has_point_at(page, plot, 4)
        has_point_at(page, plot, 40)
    page.locator("#train-loss-plot").scroll_into_view_if_needed()
    shoot("zoo_loaded_curves")
    page.locator("#train-step-n").click()
    page.get_by_role("option", name=re.compile("10")).first.click()
    page.locator("#train-step").click()
    expect(page.locator(COUNTER)).to_have_attribute("data-step", "50", timeout=60_000)
    has_point_at(page, "#train-loss-plot", 50)  # the run's own points follow the file's
    has_point_at(page, "#train-loss-plot", 4)
    # the other tabs list it as the visitor's run
    page.get_by_role("tab", name="GAN studio").click()
    page.locator("#gan-model input").click()
    expect(page.get_by_role("option", name=re.compile(r"^VAE · mnist5k · your run r\d+ \(step 50")).first).to_be_visible()


def test_a_pickle_gets_one_line(page, tmp_path):
    open_panel(page)
    bad = tmp_path / "model.safetensors"
    bad.write_bytes(b"\x80\x04\x95" + b"\0" * 64)
    page.locator("#zoo-upload input[type=file]").set_input_files(str(bad))
    expect(page.get_by_text(re.compile("looks like a PyTorch pickle")).first).to_be_visible(timeout=30_000)


def test_show_a_shipped_model_as_code_and_download_it(page, shoot):
    open_panel(page)
    page.locator("#zoo-code-model input").click()
    page.get_by_role("option", name=re.compile(r"^DCGAN · mnist5k · pretrained")).click()
    page.locator("#zoo-code-show").click()
    code = page.locator("#zoo-code")
    # CodeMirror draws only the lines in view: the top of the file (the rest is checked in the download)
    expect(code).to_contain_text("DCGAN on mnist5k: a standalone PyTorch script", timeout=30_000)
    expect(code).to_contain_text("the shipped checkpoint dcgan_mnist5k")
    page.locator("#zoo-code").scroll_into_view_if_needed()
    shoot("zoo_code")
    link = page.locator("#zoo-code-file a").first
    expect(link).to_be_visible()
    with page.expect_download() as dl:
        link.click()
    text = open(dl.value.path(), encoding="utf-8").read()
    assert text.startswith("#!/usr/bin/env python3") and "MODEL_CLASS = DCGAN" in text and "[Rad16 §3]" in text
    compile(text, "dcgan.py", "exec")


@pytest.mark.link("?lang=zh")
def test_the_panel_in_chinese(page, tmp_path, shoot):
    page.locator("#zoo-panel").get_by_text(re.compile("^你的权重与代码")).click()
    expect(page.locator("#zoo-load-intro")).to_contain_text("拖入")
    page.locator("#zoo-open-model input").click()  # the shipped models, named in Chinese
    expect(page.get_by_role("option", name=re.compile(r"^GAN · mnist5k · 预训练"))).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#zoo-open-model input")).to_have_value(re.compile("预训练"))
    page.locator("#zoo-upload input[type=file]").set_input_files(str(a_save(tmp_path, step=30)))
    expect(page.locator("#zoo-load-status")).to_contain_text("暂停在第 30", timeout=30_000)
    expect(page.locator("#zoo-code-model input")).to_have_value(re.compile(r"^VAE · mnist5k · 你的训练 r\d+"))
    page.locator("#zoo-panel").scroll_into_view_if_needed()
    expect(page.locator("#zoo-open-model input")).to_have_value(re.compile("预训练"))
    shoot("zoo_zh")


def test_open_a_shipped_model_as_a_run_with_its_curves(page, shoot):
    """The shipped CVAE's file keeps its training curves: opened as a run, its 4,000 steps are drawn at once."""
    open_panel(page)
    page.locator("#zoo-open-model input").click()
    page.get_by_role("option", name=re.compile(r"^CVAE · mnist5k · pretrained")).click()
    page.locator("#zoo-open").click()
    expect(page.locator("#zoo-load-status")).to_contain_text("paused at step 4,000", timeout=30_000)
    expect(page.locator(COUNTER)).to_have_attribute("data-step", "4000")
    expect(page.locator("#train-model input[value='cvae']")).to_be_checked()
    for plot in ("#train-loss-plot", "#train-aux-plot"):
        has_point_at(page, plot, 4000)
        has_point_at(page, plot, 20)  # the first window of its recipe's curves
    gap = page.locator("#zoo-open-model").evaluate("""e => { const i = e.querySelector('input');
        const arrow = e.querySelector('svg path') || e.querySelector('svg');  // the drawn ▾, not its square box
        return arrow.getBoundingClientRect().left - i.getBoundingClientRect().right; }""")
    assert gap >= 0, gap  # the model's name ends in "…" before the ▾, not under it
    page.locator("#zoo-load-status").scroll_into_view_if_needed()
    shoot("zoo_open_shipped")
    page.locator("#train-loss-plot").scroll_into_view_if_needed()
    shoot("zoo_open_shipped_curves")
