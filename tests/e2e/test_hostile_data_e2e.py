"""Hostile data in a real browser (Debian's Chromium through Playwright; fixtures `app_url` and `browser` from
conftest.py): an upload whose points all share one place has no extent, which once gave the boundary axes of
zero width and replaced the chart with a JavaScript error box (issue 10)."""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import Browser, expect
except ImportError:  # the `browser` fixture skips the tests (or fails them under CI) and says why
    expect = None

from playground_page import STAGE_AT_REST_JS, button
from test_pages_e2e import TIMEOUT_MS, assert_clean, go_to, open_playground, patient_expect, upload  # noqa: F401

pytestmark = pytest.mark.e2e

# patient_expect: an autouse fixture, so `expect` waits TIMEOUT_MS here too
SAME_PLACE = b"x1,x2,label\n" + b"1.5,-2,0\n" * 6 + b"1.5,-2,1\n" * 6  # valid: two classes, one place


def test_points_that_all_share_one_place_are_drawn_without_an_error(browser: Browser, app_url: str) -> None:
    page = open_playground(browser, app_url, "?speed=10")
    go_to(page, "Your data")
    upload(page, "same.csv", SAME_PLACE)
    expect(page.get_by_text("Loaded 12 points.")).to_be_visible()
    page.get_by_role("button", name="Train on it in the playground").click()
    expect(button(page, "step")).to_be_enabled()
    button(page, "step").click()
    page.wait_for_function(STAGE_AT_REST_JS, arg=["boundary", 10], timeout=TIMEOUT_MS)  # drawn at full resolution
    x_range, y_range = page.evaluate(
        """() => {
          const layout = window.__appkitStages.get("boundary").root.querySelector(".js-plotly-plot")._fullLayout;
          return [layout.xaxis.range, layout.yaxis.range];
        }"""
    )
    assert x_range[0] < 1.5 < x_range[1] and y_range[0] < -2 < y_range[1], (x_range, y_range)
    assert_clean(page)
    page.context.close()
