"""What an open, idle page costs the visitor's machine: Chromium's CPU (all its processes) while the app just sits there.

    python bench/idle_page.py [--seconds 12]

Every Gradio event costs the page time in proportion to the app (after each event its frontend looks up again, by a
search of the whole component tree, every component that was ever an event's progress target and re-reads its state,
a layout block's with all its descendants), so the polls and the progress targets decide what an idle page costs.
Measured on the Train tab with no run:
1. the app as it is (the Train tab's poll slows to train_poll.IDLE_S, the latent follow to latent_tab.FOLLOW_IDLE_S);
2. the polls kept fast (every tick leaves the interval as it was: what the page did before), for the ratio;
3. the polls kept fast and every event's outputs its progress targets (app.spare_the_page off: Gradio's default),
   for the per-event cost the pass saves;
4. no polls at all (every gr.Timer inactive): Gradio's and the page's own floor.
Then the 2-D GAN tab with its game not playing: as shipped (toy_tab.STILL_POLL_S) and polled 8 times a second
throughout (as before).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.helpers import serve_app  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]


def chromium_cpu_s() -> float:
    """CPU seconds (user + system) of every chromium process so far."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if "chromium" in Path(f"/proc/{pid}/cmdline").read_text():
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def measure(seconds: float, tab: str | None = None) -> float:
    from playwright.sync_api import sync_playwright
    with serve_app() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + (f"?tab={tab}" if tab else ""))  # a lesson link opens that tab
        page.locator("#main-tabs").wait_for(state="visible")
        time.sleep(8)  # the first polls draw the empty view, then slow down
        c0, t0 = chromium_cpu_s(), time.monotonic()
        time.sleep(seconds)
        used = (chromium_cpu_s() - c0) / (time.monotonic() - t0)
        browser.close()
    return used


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=12.0)
    a = ap.parse_args()
    import gradio as gr

    from genai_demo.ui import app, latent_tab, train_poll
    paced = measure(a.seconds)
    slow = (train_poll.IDLE_S, latent_tab.FOLLOW_IDLE_S)
    train_poll.IDLE_S, latent_tab.FOLLOW_IDLE_S = train_poll.FAST_S, latent_tab.FOLLOW_S  # as before: never slower
    fast = measure(a.seconds)
    spare, app.spare_the_page = app.spare_the_page, lambda demo: None
    try:
        unspared = measure(a.seconds)
    finally:
        app.spare_the_page = spare
    train_poll.IDLE_S, latent_tab.FOLLOW_IDLE_S = slow
    made = gr.Timer.__init__

    def inactive(self, value=1.0, *args, active=True, **kwargs):
        made(self, value, *args, active=False, **kwargs)
    gr.Timer.__init__ = inactive
    try:
        floor = measure(a.seconds)
    finally:
        gr.Timer.__init__ = made
    from genai_demo.ui import toy_tab
    toy_still = measure(a.seconds, "toy")
    still, toy_tab.STILL_POLL_S = toy_tab.STILL_POLL_S, toy_tab.POLL_S
    try:
        toy_fast = measure(a.seconds, "toy")
    finally:
        toy_tab.STILL_POLL_S = still
    print(f"2-D GAN tab, game not playing, chromium CPU: poll slowed {toy_still:.2f} core, 8 Hz throughout {toy_fast:.2f} "
          f"core ({toy_fast / max(toy_still, 1e-9):.1f}× more)")
    print(f"idle page, Train tab, chromium CPU: polls paced {paced:.2f} core, polls always fast {fast:.2f} core "
          f"({fast / max(paced, 1e-9):.1f}× more), always fast with every output a progress target {unspared:.2f} core "
          f"({unspared / max(fast, 1e-9):.1f}× the fast polls'), no polls {floor:.2f} core")


if __name__ == "__main__":
    main()
