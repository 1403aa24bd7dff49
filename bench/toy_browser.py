"""The 2-D GAN tab in Chromium: frames per second the page paints while a game plays, and what a visitor costs the server.

    python bench/toy_browser.py [--seconds 10] [--pages 5]

The app (build_demo + app.py's launch settings) runs in this process, so this process's CPU time is the server's:
the toy games' threads plus Gradio's handling of every poll. Chromium runs in other processes and is not counted.
1. baseline: one page open on the Train tab (the 2-D GAN view does not poll there), `--seconds`.
2. one visitor playing: the 2-D GAN tab open, ▶ Play; the page's paints per second (toy.js counts a paint per new
   payload; gaps between paints p50 / p95), the steps/s it saw, and the server's CPU per second.
3. the same visitor paused: the page still polls 5 times a second, the server answers "unchanged" (a skipped event).
4. `--pages` visitors playing at once (each its own browser context, i.e. its own session): paints per second per
   page and the server's CPU per second; the shared ToyBudget (1 core) splits the rounds, never the frame rate.
   Chromium here runs without background throttling, as if each page were in front on its own machine; all the pages
   still share this machine's 2 cores with the server, so their paint rate is a floor of what separate machines get.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.helpers import serve_app  # noqa: E402

PLANE = "#toy-view canvas.toy-plane"
STAMPS = "() => (window.__genaiToy ? window.__genaiToy.stamps : [])"
WATCH = "() => { window.__genaiToy.stamps = []; }"  # toy.js then stamps every paint: [time ms, step]


def open_toy(browser, url):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    page.goto(url)
    page.locator("#main-tabs").wait_for()
    page.get_by_role("tab", name="2-D GAN").click()
    page.wait_for_function(f"() => document.querySelector('{PLANE}')?.dataset.step === '0'", timeout=30_000)
    page.evaluate(WATCH)
    return ctx, page


def cpu_per_s(seconds: float) -> float:
    c0, t0 = time.process_time(), time.monotonic()
    time.sleep(seconds)
    return (time.process_time() - c0) / (time.monotonic() - t0)


def paints(page) -> tuple[float, float, float, float]:
    """(paints/s, gap p50 ms, gap p95 ms, steps/s) from the stamps recorded since WATCH/reset."""
    st = page.evaluate(STAMPS)
    if len(st) < 3:
        return 0.0, float("nan"), float("nan"), 0.0
    gaps = sorted(b[0] - a[0] for a, b in zip(st, st[1:], strict=False))
    span = (st[-1][0] - st[0][0]) / 1000
    return (len(st) - 1) / span, statistics.median(gaps), gaps[int(0.95 * (len(gaps) - 1))], (st[-1][1] - st[0][1]) / span


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--pages", type=int, default=5)
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with serve_app() as (url, ctx), sync_playwright() as p:
        # each visitor of a class has their page in front: no background-tab timer throttling (1 tick/s) for ours
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows"])
        c0 = b.new_context()
        pg = c0.new_page()
        pg.goto(url)
        pg.locator("#main-tabs").wait_for()
        time.sleep(2)
        base = cpu_per_s(a.seconds)
        c0.close()
        print(f"1. baseline, one page on the Train tab: server CPU {base:.3f} core")

        cx, page = open_toy(b, url)
        ctx.toys.get(next(iter(ctx.toys._games))).run.max_steps = 10**5  # play the whole measurement (>2,000 steps)
        page.click("#toy-play")
        time.sleep(1.5)
        page.evaluate(WATCH)
        cpu = cpu_per_s(a.seconds)
        fps, p50, p95, sps = paints(page)
        print(f"2. one visitor playing: {fps:.1f} paints/s (gap p50 {p50:.0f} ms, p95 {p95:.0f} ms), {sps:.0f} steps/s, "
              f"server CPU {cpu:.3f} core ({cpu - base:+.3f} over baseline)")
        page.click("#toy-pause")
        time.sleep(1.0)
        cpu = cpu_per_s(a.seconds)
        print(f"3. the same visitor paused (page polling, server skips): server CPU {cpu:.3f} core ({cpu - base:+.3f})")
        cx.close()
        time.sleep(1)

        pages = [open_toy(b, url) for _ in range(a.pages)]
        for _, pg in pages:
            pg.click("#toy-play")
        time.sleep(2)
        for _, pg in pages:
            pg.evaluate(WATCH)
        cpu = cpu_per_s(a.seconds)
        per = [paints(pg) for _, pg in pages]
        print(f"4. {a.pages} visitors playing: paints/s per page {min(x[0] for x in per):.1f}-{max(x[0] for x in per):.1f} "
              f"(gap p95 up to {max(x[2] for x in per):.0f} ms), steps/s per page {min(x[3] for x in per):.0f}-"
              f"{max(x[3] for x in per):.0f}, server CPU {cpu:.3f} core ({(cpu - base) / a.pages:.3f} per visitor)")
        for cx, _ in pages:
            cx.close()
        b.close()


if __name__ == "__main__":
    main()
