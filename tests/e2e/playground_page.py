"""Finding things on the Playground page in a browser: shared by the e2e test modules.

Imports without playwright installed, so that the test modules still load and their `browser` fixture can
skip them (or fail them under CI) with the reason.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page


def button(page: Page, key: str):
    """The button with this key. (A button with `help` is in the DOM twice, once hidden: by role finds the
    shown one.)"""
    return page.locator(f".st-key-{key}").get_by_role("button")


def status(page: Page):
    """The caption that says what the run is doing."""
    return page.locator("[data-testid='stCaptionContainer']").filter(
        has_text=re.compile(r"^(Ready|Training|Paused|Done|Stopped)")
    )


def metric(page: Page, label: str) -> str:
    """The value shown under the metric whose label starts with `label`."""
    from playwright.sync_api import expect

    box = page.locator("[data-testid='stMetric']").filter(
        has=page.locator("[data-testid='stMetricLabel']", has_text=re.compile("^" + re.escape(label)))
    )
    expect(box).to_have_count(1)
    return box.locator("[data-testid='stMetricValue']").inner_text().strip()
