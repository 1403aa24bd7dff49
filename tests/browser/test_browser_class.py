"""A lesson in a real browser: the Space runs the class preset and has a teacher code; a student picks a name and
trains a GAN; the teacher unlocks the Class tab, sees the tile, pauses all, resumes all and stops that run. The
default app (no code) shows no Class tab at all."""
from __future__ import annotations

import contextlib

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from genai_demo.models import family
from genai_demo.training.runs import RunRegistry
from genai_demo.ui.context import UIContext
from tests.helpers import serve_app

CODE = "Teach-42"
TILE = "#class-tiles .class-tile"


def test_the_default_app_has_no_class_tab(page):
    expect(page.get_by_role("tab", name="Train")).to_be_visible()
    expect(page.locator("#tab-class-button")).to_have_count(0)
    expect(page.get_by_role("tab", name="Class")).to_have_count(0)


@pytest.fixture(scope="module")
def class_app():
    """The app as a teacher would run it: GENAI_DEMO_PRESET=class and a teacher code (set only while it is built)."""
    with contextlib.ExitStack() as stack:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("GENAI_DEMO_PRESET", "class")
            env.setenv("GENAI_DEMO_TEACHER_CODE", CODE)
            # the server's default step bound (the Train tab caps a preset's steps at a smaller one)
            url, ctx = stack.enter_context(serve_app(ctx=UIContext(registry=RunRegistry(max_running=1, max_steps=20_000))))
        yield url, ctx


def test_a_student_trains_the_class_preset_and_the_teacher_pauses_resumes_and_stops_it(open_page, class_app,
                                                                                         screenshot_dir):
    url, ctx = class_app
    fast = family("gan").class_preset
    student, teacher = open_page(url), open_page(url)  # two visitors: two contexts, closed by the fixture
    # the student: the Space's preset is already chosen; choosing the GAN fills its fast settings and says so
    expect(student.locator("#train-preset input[value=class]")).to_be_checked()
    student.locator("#train-model").get_by_text("GAN", exact=True).click()
    expect(student.locator("#train-lr input")).to_have_value(f"{fast['lr']:g}")
    expect(student.locator("#train-preset-note")).to_contain_text("differs from the articles")
    student.locator("#train-nickname textarea, #train-nickname input").first.fill("Ada")
    # the server's bound, not the preset's 5,000 (~15 s): on a loaded machine the run must still be going when the
    # teacher gets to Pause all (the teacher's Stop ends it, so the test takes no longer)
    student.locator("#train-steps input").fill("20000")
    student.locator("#train-start").click()
    expect(student.locator("#train-status")).to_contain_text("running")

    # the teacher: nothing before the code, an error for a wrong one
    teacher.get_by_role("tab", name="Class").click()
    expect(teacher.locator("#class-code")).to_be_visible()
    expect(teacher.locator("#class-panel")).to_be_hidden()
    teacher.locator("#class-code input").fill("wrong")
    teacher.locator("#class-unlock").click()
    expect(teacher.get_by_text("That code is not right.")).to_be_visible()
    expect(teacher.locator("#class-panel")).to_be_hidden()
    teacher.locator("#class-code input").fill(CODE)
    teacher.locator("#class-unlock").click()
    tile = teacher.locator(TILE).filter(has_text="Ada")
    expect(tile).to_contain_text("GAN")
    expect(tile).to_have_attribute("data-state", "running")
    expect(tile.locator("img")).to_be_visible(timeout=60_000)  # the live fixed-noise grid
    teacher.wait_for_function(f"() => Number(document.querySelector('{TILE}')?.dataset.step) > 0")
    teacher.screenshot(path=str(screenshot_dir / "class.png"))

    teacher.locator("#class-pause-all").click()
    expect(tile).to_have_attribute("data-state", "paused")
    expect(student.locator("#train-status")).to_contain_text("paused")
    teacher.locator("#class-resume-all").click()
    expect(tile).to_have_attribute("data-state", "running")
    option = teacher.get_by_role("option", name="Ada", exact=False)
    for _ in range(3):  # the 2 s refresh may redraw the dropdown while its list opens (a loaded CI machine): reopen
        teacher.locator("#class-pick input").click()
        try:
            option.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            teacher.keyboard.press("Escape")
    option.click()
    teacher.locator("#class-stop").click()
    expect(tile).to_have_attribute("data-state", "stopped")
    expect(student.locator("#train-status")).to_contain_text("stopped")
