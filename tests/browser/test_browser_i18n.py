"""The page in Chinese: ?lang=zh turns every translated tab Chinese (no stray English outside a short allow-list of
model names, data-set names, units and symbols), EN | 中文 switches in place without touching a running training,
and a gradio_client caller still gets English."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser_train import COUNTER, wait_for_step
from tests.helpers import wait_until

# what stays English on purpose: model, data-set and layer names (as in PyTorch), units, symbols, file types, API values
ALLOWED = {"VAE", "GAN", "DCGAN", "CGAN", "CVAE", "GPT", "MNIST", "Fashion", "ELBO", "KL", "Adam", "BCE", "NLL", "bpc",
           "lr", "batch", "ms", "safetensors", "cpu", "cuda", "mnist5k", "fashion", "names", "tang", "API", "Gradio", "GIF",
           "lerp", "slerp", "Top", "top", "logits",  # methods and terms named as the API and the papers name them
           "Linear", "ReLU", "LeakyReLU", "BN", "tanh", "sigmoid", "softmax", "logit", "ConvT", "Conv", "LN", "LayerNorm",
           "MLP", "causal", "attn", "heads", "block", "ngf", "ndf", "s2", "one", "hot", "BatchNorm", "log", "CPU",
           "genai", "demo",  # layer names and maths in the diagrams; the app's name
           "EN", "Language",  # the switch names each language in its own words
           "Jensen", "Shannon", "SGD", "Lab",  # a divergence, an optimiser and GAN Lab, as their authors name them
           "MSE", "SSIM", "EMA", "JS",  # metrics' usual acronyms, beside their Chinese names in the glossary
           "Fréchet", "ZeroGPU",  # a mathematician's name; Hugging Face's name for its shared-GPU hardware
           "tab", "toy", "preset", "healthy", "collapse", "oscillation", "minimax",  # a lesson link's URL and its values
           "PNG", "JPEG", "zip", "txt", "UTF", "KB", "MB"}  # file types, an encoding and units (own-data section)
CITATION = re.compile(r"\[[^\]]*\d{4}\]")  # [Goodfellow et al. 2014]: authors' names stay as published
# tab id → its Chinese name
TABS = {"train": "训练", "latent": "潜空间探索", "gan": "GAN 工作室", "text": "下一个词元", "toy": "二维 GAN", "learn": "原理讲解"}
PLANE = "#toy-view canvas.toy-plane"

# every visible text node of the page (KaTeX formulas, inputs' own values, icons' text excluded), one string each
VISIBLE_TEXTS = """() => {
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const el = n.parentElement;
    // .sr-only: Gradio's screen-reader announcements ("In queue: 1 of 1"), never drawn on screen. A toast's title is
    // checked too: Gradio 6.31 writes its type in English, the page's head script translates it (ui/lang.py)
    if (!n.textContent.trim() || !el || el.closest('.katex, script, style, [aria-hidden="true"], .sr-only')) continue;
    if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
    out.push(n.textContent.trim());
  }
  return out;
}"""


# Gradio 6.31's status tracker writes "processing |" and "queue: 1/2 |" while an event runs, hard-coded in English (not
# in its i18n): the words are checked on the page at rest, once no event is running
BUSY = re.compile(r"^(processing|queue: [\d/]+) \|")


def settled_texts(page, quiet: float = 1.0) -> list[str]:
    """A snapshot of the visible texts once no event has shown Gradio's (English) progress timer for `quiet` s, and
    that very snapshot: a tab's chained events (e.g. the GAN tab's list refresh, then its redraw) leave a gap between
    them, so one quiet look was not enough (the CI run that met the redraw's "processing |")."""
    since = [time.monotonic()]

    def snapshot():
        texts = page.evaluate(VISIBLE_TEXTS)
        if any(BUSY.match(x) for x in texts):
            since[0] = time.monotonic()
            return None
        return texts if time.monotonic() - since[0] >= quiet else None
    return wait_until(snapshot, timeout=60, what="events done")


def english_words(texts: list[str]) -> list[str]:
    """Words of two or more Latin letters not on the allow-list, with the text they came from."""
    found = []
    for text in texts:
        for word in re.findall(r"[A-Za-zÀ-ÿ]{2,}", CITATION.sub("", text)):  # "Fréchet" is one word
            if word not in ALLOWED:
                found.append(f"{word!r} in {text[:80]!r}")
    return found


@pytest.mark.link("?lang=zh")
def test_lang_zh_shows_every_converted_tab_in_chinese(page, shoot):
    expect(page.locator("#app-header")).to_contain_text("生成模型")
    expect(page.locator("#lang-switch input[value='zh-CN']")).to_be_checked()
    for tab, name in TABS.items():
        page.get_by_role("tab", name=name).click()
        expect(page.locator(f"#tab-{tab}")).to_be_visible()
        if tab == "train":
            expect(page.locator("#train-status")).to_contain_text("还没有训练")
            expect(page.locator("#train-quality")).to_contain_text("样本质量")  # its own timer (every 6 s)
            expect(page.locator("#train-formula-a")).to_contain_text("每张图像的损失")
            # the own-data section too: its upload areas' "Drop File Here - or - Click to Upload" are Gradio's words
            page.locator("#own-data").get_by_text("用你自己的图片或文字训练").click()
            expect(page.locator("#own-text-file [data-testid=upload-text]")).to_contain_text("点击上传")
        if tab in ("latent", "gan", "text"):  # the model list is filled (in the visitor's language) when the tab opens
            expect(page.locator(f"#{tab}-model input")).to_have_value(re.compile("预训练"))
        if tab == "latent":  # the page's own decoder (decoder.js) writes its note in the page's language
            expect(page.locator("#latent-decoded .decoder-note")).to_contain_text("在你的浏览器中解码")
        if tab == "gan":
            expect(page.locator("#gan-grid img")).to_be_visible()
        if tab == "text":
            expect(page.locator("#text-model-info")).to_contain_text("参数")
        if tab == "learn":
            expect(page.locator("#learn-vae-text")).to_contain_text("重参数化")
        if tab == "toy":  # the game plays a little, so its state, rate, notes and chart are all on show
            expect(page.locator(PLANE)).to_have_attribute("data-step", "0")
            expect(page.locator("#toy-view .toy-state")).to_contain_text("就绪")
            expect(page.locator("#toy-view .toy-note")).to_contain_text("健康的博弈")  # the preset's note (poll)
            # dispatch_event: a click that does not wait for navigations (on 2 busy cores that wait outlasted 20 s)
            page.locator("#toy-play").dispatch_event("click")
            page.wait_for_function(f"() => Number(document.querySelector('{PLANE}').dataset.step) >= 300", timeout=60_000)
            expect(page.locator("#toy-view .toy-rate")).to_contain_text("步/秒")
            page.locator("#toy-panel").scroll_into_view_if_needed()
        leftover = english_words(settled_texts(page))
        assert not leftover, f"untranslated on the {tab} tab: {leftover[:40]}"
        shoot(f"zh-{tab}")
        if tab == "toy":
            page.locator("#toy-pause").dispatch_event("click")  # the preset's 2,000 steps may be over: paused or finished
            expect(page.locator(PLANE)).to_have_attribute("data-state", re.compile("paused|finished"))
            expect(page.locator("#toy-view .toy-state")).to_have_text(re.compile("已暂停|已完成"))
            # an error provoked in Chinese comes back Chinese: "Draw your own", then Reset before drawing anything
            page.locator("#toy-data input").click()
            page.get_by_role("option", name="✏ 自己画").click()
            expect(page.locator("#toy-view")).to_have_class(re.compile("toy-drawing"))
            page.locator("#toy-reset").dispatch_event("click")
            expect(page.get_by_text("请先在平面上至少画 3 个点").first).to_be_visible()
            expect(page.locator(".toast-title.error").first).to_have_text(re.compile(r"^\s*错误"))  # not Gradio's "Error"
            assert not english_words(settled_texts(page))
            page.locator(".toast-close").first.click()  # closed: the next tab's picture shows that tab, not this toast
            expect(page.locator(".toast-title.error")).to_have_count(0)


def test_switching_language_mid_run_keeps_the_run(page, ui_ctx, shoot):
    page.locator("#train-model").get_by_text("VAE", exact=True).click()
    page.locator("#train-steps input").fill("4000")
    page.locator("#train-start").click()
    wait_for_step(page, 5)
    expect(page.locator("#train-status")).to_contain_text("running")
    before = int(page.locator(COUNTER).get_attribute("data-step"))

    page.locator("#lang-switch").get_by_text("中文").click()
    expect(page.locator("#train-status")).to_contain_text("训练中")  # Python-written text, re-sent by the tick
    expect(page.get_by_role("tab", name="训练")).to_be_visible()  # Gradio's component texts, switched in place
    expect(page.locator("#train-pause")).to_contain_text("暂停")
    wait_for_step(page, before + 20)  # the same run kept counting: no reload, no new run
    expect(page.locator("#train-grid-caption")).to_contain_text("固定噪声样本")
    expect(page.locator("#train-quality")).to_contain_text("样本质量")  # the card is redrawn right after the switch
    expect(page.locator("#train-quality")).not_to_contain_text("Start an image run")
    runs = ui_ctx.registry.runs(page.evaluate("window.__gradio_session_hash__"))
    assert len(runs) == 1
    shoot("zh-train-running")

    page.locator("#lang-switch").get_by_text("EN", exact=True).click()
    expect(page.locator("#train-status")).to_contain_text("running")
    expect(page.get_by_role("tab", name="Train")).to_be_visible()
    page.locator("#train-reset").click()  # Reset asks first: "Really discard? Press again"
    expect(page.locator("#train-reset")).to_contain_text("Really discard")
    page.locator("#train-reset").click()
    expect(page.locator(COUNTER)).to_have_attribute("data-state", "none")


@pytest.mark.link("?lang=zh")  # a visitor in Chinese at the same time
def test_an_api_caller_gets_english_while_a_page_is_in_chinese(page, app_url):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    expect(page.locator("#app-header")).to_contain_text("生成模型")
    c = Client(app_url, verbose=False, analytics_enabled=False)
    with pytest.raises(AppError, match="Cannot use model 'pretrained:nope'"):
        c.predict("pretrained:nope", 64, 0, "random", api_name="/sample")
    with pytest.raises(AppError, match="steps must be between"):
        c.predict(model="vae", data="mnist5k", steps=10**9, api_name="/train")


def test_the_browsers_language_decides_unless_the_url_says_otherwise(browser, app_url):
    from tests.browser.conftest import VIEWPORT

    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")  # Accept-Language: zh-CN
    try:
        page = context.new_page()
        page.goto(app_url)
        expect(page.locator("#train-status")).to_contain_text("还没有训练")
        expect(page.get_by_role("tab", name="训练")).to_be_visible()
        page.goto(app_url + "?lang=en")  # the link's choice wins over the browser
        expect(page.locator("#train-status")).to_contain_text("No run yet")
        expect(page.get_by_role("tab", name="Train")).to_be_visible()
        expect(page.locator("#train-pause")).to_contain_text("Pause")
    finally:
        context.close()


def test_the_2d_gan_tab_switches_language_in_place_keeping_the_game(page):
    page.get_by_role("tab", name="2-D GAN").click()
    expect(page.locator(PLANE)).to_have_attribute("data-step", "0")
    page.locator("#toy-step-both").dispatch_event("click")
    expect(page.locator(PLANE)).to_have_attribute("data-step", "1")
    expect(page.locator("#toy-view .toy-state")).to_contain_text("paused")
    page.locator("#lang-switch").get_by_text("中文").click()
    expect(page.locator("#toy-intro")).to_contain_text("二维平面上的 GAN 博弈")  # Python-written, re-sent by the switch
    expect(page.locator("#toy-view .toy-legend")).to_contain_text("真")  # the canvas panel, redrawn in Chinese
    expect(page.locator("#toy-view .toy-state")).to_contain_text("已暂停")  # toy.js's own words, from the new panel
    expect(page.locator("#toy-view .toy-note")).to_contain_text("健康的博弈")  # the poll's note, re-sent
    expect(page.locator("#toy-step-d")).to_contain_text("D 走一步")  # a component text, switched by Gradio
    expect(page.locator(PLANE)).to_have_attribute("data-step", "1")  # the same game: nothing was reset
    page.locator("#lang-switch").get_by_text("EN", exact=True).click()
    expect(page.locator("#toy-view .toy-state")).to_contain_text("paused")
    expect(page.locator("#toy-intro")).to_contain_text("The GAN game in two dimensions")


def test_the_quality_card_follows_the_switch_at_once(browser, monkeypatch):
    """With automatic measurements off (GENAI_DEMO_QUALITY_EVERY=0) no timer redraws the sample-quality card: only the
    EN | 中文 switch itself can turn it Chinese."""
    from tests.browser.conftest import VIEWPORT
    from tests.helpers import serve_app

    monkeypatch.setenv("GENAI_DEMO_QUALITY_EVERY", "0")
    with serve_app() as (url, _):
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            page.goto(url + "?lang=zh")  # opened in Chinese: drawn in Chinese at once, too
            expect(page.locator("#train-quality")).to_contain_text("样本质量")
            page.locator("#lang-switch").get_by_text("EN", exact=True).click()
            expect(page.locator("#train-quality")).to_contain_text("Sample quality")
            page.locator("#lang-switch").get_by_text("中文").click()
            expect(page.locator("#train-quality")).to_contain_text("样本质量")
            page.locator("#lang-switch").get_by_text("EN", exact=True).click()
            expect(page.locator("#train-quality")).to_contain_text("Sample quality")
        finally:
            context.close()
