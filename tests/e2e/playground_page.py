"""Finding things on the Playground page in a browser: shared by the e2e test modules.

Imports without playwright installed, so that the test modules still load and their `browser` fixture can
skip them (or fail them under CI) with the reason.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

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


def metric_value(page: Page, label: str):
    """The value element of the metric whose label starts with `label` (for `expect(...).to_have_text`)."""
    box = page.locator("[data-testid='appkit-metric']").filter(
        has=page.locator("[data-testid='appkit-metric-label']", has_text=re.compile("^" + re.escape(label)))
    )
    return box.locator("[data-testid='appkit-metric-value']")


def metric(page: Page, label: str) -> str:
    """The value shown now under the metric whose label starts with `label`: the numbers of the state the
    boundary stage shows in this frame. (Right after a status change the picture, and so the metrics, may still
    be playing the last update: wait with `wait_for_final_frame` or `expect(metric_value(...))`.)"""
    from playwright.sync_api import expect

    value = metric_value(page, label)
    expect(value).to_have_count(1)
    return value.inner_text().strip()


def stage_js(key: str) -> str:
    """A JS expression for the stage with this key (appkit/stage/stage.js keeps them by key)."""
    return f"window.__appkitStages?.get({key!r})"


# True once the stage `key` rests on a run's state at iteration `n`: playback over, the parameters of
# iteration n on screen and drawn at full resolution. (A page whose stage rests drew exactly its last
# update's parameters: stage.js ends every update's playback on them.)
STAGE_AT_REST_JS = """
([key, n]) => {
  const s = window.__appkitStages?.get(key);
  return !!s && !!s.plotted && !!s.shown && s.shownIter === n && s.keys.length <= 1 && s.drawn.full
    && s.drawn.params === s.paramsVersion && s.drawn.view === s.viewVersion;
}
"""

# The last iteration on the cost chart's "train cost" curve (-1 before the first).
COST_LAST_X_JS = """
() => {
  const gd = document.querySelector(".st-key-cost_chart .js-plotly-plot");
  const t = gd?._fullData?.find((d) => d.name === "train cost");
  return t && t.x.length ? Number(t.x[t.x.length - 1]) : -1;
}
"""

# True once the metrics strip shows the numbers of the state the boundary stage shows (it writes them in the
# animation frame after the stage's).
METRICS_DRAWN_JS = """
() => {
  const strip = window.__appkitStrips?.get("metrics"), boundary = window.__appkitStages?.get("boundary");
  return !!strip && !!boundary && !!boundary.shownVals && strip.shown === boundary.shownVals;
}
"""

# True once the page shows the end of a run of `n` steps: the cost curve's last x is n - 1, both stages
# rest on iteration n at full resolution and the metrics show that state's numbers. (Waiting for all of them
# also rides out Streamlit's occasional remount at the end of a run, and the timer tick queued during the
# final rerun.)
FINAL_FRAME_JS = f"""
(n) => {{
  const atRest = {STAGE_AT_REST_JS.strip()};
  const costLastX = {COST_LAST_X_JS.strip()};
  const metricsDrawn = {METRICS_DRAWN_JS.strip()};
  return costLastX() === n - 1 && atRest(["boundary", n]) && atRest(["network", n]) && metricsDrawn();
}}
"""


def wait_for_final_frame(page: Page, iterations: int) -> None:
    """Waits until the page shows the end of a run of `iterations` steps (FINAL_FRAME_JS)."""
    page.wait_for_function(FINAL_FRAME_JS, arg=iterations)


def shown_params(flat) -> dict:
    """The parameters a stage shows (`stage.shown`: W1 row-major, b1, W2, b2; appkit.stage.flat_params) as
    the network's dict."""
    flat = np.asarray(flat, dtype=np.float64)
    h = (len(flat) - 1) // 4
    return {
        "W1": flat[: 2 * h].reshape(h, 2),
        "b1": flat[2 * h : 3 * h].reshape(h, 1),
        "W2": flat[3 * h : 4 * h].reshape(1, h),
        "b2": flat[4 * h :].reshape(1, 1),
    }


def map_colour(p: float):
    """stage.js's colour for P(class 1): orange #f5a35c, #f7f7f7 at 0.5, blue #6aa5f0, in 256 steps."""
    k = min(255, max(0, int(p * 255 + 0.5)))
    u = k / 255
    stops = np.array([[0xF5, 0xA3, 0x5C], [0xF7, 0xF7, 0xF7], [0x6A, 0xA5, 0xF0]], dtype=float)
    a, b, t = (stops[0], stops[1], u / 0.5) if u < 0.5 else (stops[1], stops[2], (u - 0.5) / 0.5)
    return np.round(a + (b - a) * t)


LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "blob:http://127.0.0.1", "data:")


class Guard:
    """Records a page's uncaught errors and the requests it makes that leave 127.0.0.1."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("request", lambda r: None if r.url.startswith(LOCAL) else self.outside.append(r.url))

    def check(self) -> None:
        assert not self.errors, f"page errors: {self.errors}"
        assert not self.outside, f"requests leaving 127.0.0.1: {self.outside}"


# Every stage on the page rests: playback over and its picture drawn at full resolution.
STAGES_REST_JS = """
() => [...(window.__appkitStages?.values() ?? [])].every((s) => !s.root.isConnected || (s.keys.length <= 1
    && s.drawn.full && s.drawn.params === s.paramsVersion && s.drawn.view === s.viewVersion))
"""


def settle(page: Page) -> None:
    """Waits until the stages rest and the page has painted twice since (for a screenshot)."""
    page.wait_for_function(STAGES_REST_JS)
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
