"""The speaker's demo, as given in front of a room: presenter mode at 1920x1080, the tutorial's run, then
"learning rate too high" (it diverges), the tutorial's run again, "Train N more", and a learning-rate
change after Done. Every step must do what the speaker expects, with the engine's numbers on screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # the `browser` fixture skips the tests (or fails them under CI) and says why
    expect = None

from playground_page import button, metric_value, settle, status, wait_for_final_frame

from twolayer import Trainer
from twolayer.data import make_dataset

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
TIMEOUT_MS = 60_000


def engine_cost(iterations: int) -> str:
    """The tutorial run's train cost after `iterations` steps, as the engine computes it headless."""
    X, y = make_dataset("moons", 500, 0.2, random_state=0)
    trainer = Trainer(X.T, y.reshape(1, -1).astype(float), 5, 0.3, random_state=0)
    trainer.train(iterations)
    return f"{trainer.history['cost'][-1]:.4f}"


def scene(page: Page, title: str) -> None:
    page.locator("[class*='st-key-scene-']").get_by_role("button", name=title).click()


def shot(page: Page, name: str) -> None:
    page.mouse.move(1, 1)  # no hovered tooltip in the picture
    settle(page)  # the network and the boundary show the run's last state
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def test_the_speakers_demo_in_presenter_mode(browser: Browser, app_url: str) -> None:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        page.goto(f"{app_url}/?present=1")
        page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']")
        expect(status(page)).to_contain_text("Ready")

        scene(page, "The tutorial's run")
        expect(status(page)).to_contain_text("Done: 5,000 iterations")
        wait_for_final_frame(page, 5000)
        expect(metric_value(page, "Train cost")).to_have_text(engine_cost(5000))
        shot(page, "speaker-1-tutorial-done-1920x1080.png")

        scene(page, "Learning rate too high")  # from Done: it must start afresh and train
        expect(status(page)).to_contain_text("training diverged")
        expect(page.get_by_test_id("stAlertContentError")).to_contain_text("diverged")
        shot(page, "speaker-2-too-high-diverged-1920x1080.png")

        scene(page, "The tutorial's run")  # from a divergence: again afresh
        expect(status(page)).to_contain_text("Done: 5,000 iterations")
        wait_for_final_frame(page, 5000)
        expect(metric_value(page, "Train cost")).to_have_text(engine_cost(5000))

        button(page, "more").click()  # "Train 5,000 more": one run of 10,000 steps
        expect(status(page)).to_contain_text("Done: 10,000 iterations")
        wait_for_final_frame(page, 10_000)
        expect(metric_value(page, "Iteration (of 10,000)")).to_have_text("10,000")
        expect(metric_value(page, "Train cost")).to_have_text(engine_cost(10_000))
        shot(page, "speaker-3-train-more-1920x1080.png")

        # A new learning rate after Done: a new run starts with it, and says so.
        rate = page.get_by_role("slider", name="Learning rate")
        rate.focus()
        rate.press("ArrowRight")  # 0.3 -> 0.5
        expect(rate).to_have_attribute("aria-valuetext", "0.5")
        expect(page.get_by_test_id("stAlertContentInfo")).to_contain_text("a new run starts with it")
        expect(status(page)).to_contain_text("Ready")
        expect(page).to_have_url(re.compile(r"[?&]lr=0\.5(&|$)"))
        button(page, "train").click()
        expect(status(page)).to_contain_text(re.compile(r"Done: 5,000 iterations .*\(learning rate 0\.5\)"))
        shot(page, "speaker-4-new-rate-1920x1080.png")
        assert errors == []
    finally:
        expect.set_options(timeout=5_000)
        context.close()
