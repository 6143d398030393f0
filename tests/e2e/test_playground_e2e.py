"""The Playground in a real browser: keyboard on the sliders, a full training run, shared and hostile
URLs, divergence and recovery, and screenshots of the finished run at two screen sizes.

Each test opens its own browser context, so it gets its own Streamlit session. Elements are found by
their keys (`.st-key-<key>`) and accessible names, not by position.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playground_page import button, metric, status

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # the `browser` fixture skips the tests (or fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
RUN_TIMEOUT_MS = 60_000  # a default run takes ~4 s alone here, 10+ s with other browsers on the 2 cores
WAIT_MS = 30_000  # any other wait (page load, a rerun after a click) on a busy machine

# Both charts, from the Plotly state of their graph divs (`_fullData`: what is drawn).
CHARTS_JS = """
() => {
  const plot = (key) => document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const size = (a) => (a ? a.length : 0);
  const traces = (p) => (p?._fullData ?? []).map((t) => ({
    type: t.type, name: t.name, visible: t.visible, n: size(t.x),
    lastX: size(t.x) ? Number(t.x[t.x.length - 1]) : null,
    lastY: size(t.y) && t.type === "scatter" ? Number(t.y[t.y.length - 1]) : null,
    zRows: size(t.z), zCols: size(t.z?.[0]),
    zMin: t.z ? Math.min(...[...t.z].map((r) => Math.min(...r))) : null,
    zMax: t.z ? Math.max(...[...t.z].map((r) => Math.max(...r))) : null,
  }));
  const [cost, boundary] = [plot("cost_chart"), plot("boundary_chart")];
  return {
    cost: traces(cost), boundary: traces(boundary),
    drawn: [cost, boundary].map((p) => !!p?.querySelector(".main-svg") && p.getBoundingClientRect().height > 100),
    heatmapImage: !!boundary?.querySelector(".hm image")?.getAttribute("href"),
  };
}
"""
# True once both charts show the end of a run of `n` steps: the cost's last x is n - 1 and the boundary
# is painted. (Waiting for both also rides out Streamlit's occasional remount at the end of a run.)
FINAL_FRAME_JS = """
(n) => {
  const plot = (key) => document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const t = plot("cost_chart")?._fullData?.find((d) => d.name === "train cost");
  const heatmap = plot("boundary_chart")?.querySelector(".hm image")?.getAttribute("href");
  return !!t && t.x.length > 0 && Number(t.x[t.x.length - 1]) === n - 1 && !!heatmap;
}
"""


@pytest.fixture(autouse=True)
def patient_expect():
    """`expect` waits up to WAIT_MS here (Playwright's 5 s default is short on a busy 2-core machine)."""
    expect.set_options(timeout=WAIT_MS)
    yield
    expect.set_options(timeout=5_000)


def open_app(browser: Browser, app_url: str, query: str = "", width: int = 1280, height: int = 800) -> Page:
    """A fresh session (own browser context) on the Playground, ready for input."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{app_url}/{query}")
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']")
    expect(train_button(page)).to_be_visible(timeout=2 * WAIT_MS)  # a fresh server's first run imports a lot
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2")
    return page


def train_button(page: Page):
    return button(page, "train")


def number(text: str) -> float:
    return float(text.replace(",", "").replace("%", "").strip())


def train_to_the_end(page: Page, iterations: int) -> None:
    train_button(page).click()
    expect(status(page)).to_contain_text("Done:", timeout=RUN_TIMEOUT_MS)
    page.wait_for_function(FINAL_FRAME_JS, arg=iterations)  # the last frame is drawn
    # A timer tick queued during the final full rerun still runs once afterwards (and now and then
    # remounts the charts, see below): let it pass, then read the settled page.
    page.wait_for_timeout(1000)
    page.wait_for_function(FINAL_FRAME_JS, arg=iterations)


def assert_no_traceback(page: Page) -> None:
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def test_keyboard_then_default_run_then_screenshots(browser: Browser, app_url: str) -> None:
    page = open_app(browser, app_url)
    assert "?" not in page.url, "the defaults should leave the URL bare"

    # Sliders by keyboard, as a user without a mouse would: 5 -> 6 puts it in the URL ...
    hidden = page.get_by_role("slider", name="Hidden units")
    expect(hidden).to_have_value("5")
    hidden.focus()
    page.keyboard.press("ArrowRight")
    expect(hidden).to_have_value("6")
    page.wait_for_url(re.compile(r"[?&]hidden=6(&|$)"))
    # ... and back to the default drops it again (defaults stay out of shared links).
    hidden.focus()
    page.keyboard.press("ArrowLeft")
    expect(hidden).to_have_value("5")
    page.wait_for_url(re.compile(r"^[^?]*$"))
    expect(status(page)).to_contain_text("Ready: press Train")

    # Remember the graph divs, to see whether the run updated them in place.
    page.evaluate("""() => { window.__plots = ["cost_chart", "boundary_chart"].map(
        (k) => document.querySelector(`.st-key-${k} .js-plotly-plot`)); }""")
    train_to_the_end(page, 5000)
    assert_no_traceback(page)

    assert metric(page, "Iteration (of 5,000)") == "5,000"
    train_cost, train_accuracy = number(metric(page, "Train cost")), number(metric(page, "Train accuracy"))
    assert train_cost < 0.2, f"train cost {train_cost}"
    assert train_accuracy > 90, f"train accuracy {train_accuracy} %"
    assert metric(page, "Test cost") == "—", "the default run holds no test set"
    expect(status(page)).to_contain_text(re.compile(r"Done: 5,000 iterations in [\d.]+ s \(learning rate 0\.3\)"))

    charts = page.evaluate(CHARTS_JS)
    assert charts["drawn"] == [True, True], charts["drawn"]
    cost = {t["name"]: t for t in charts["cost"]}
    assert cost["train cost"]["lastX"] == 4999, cost["train cost"]
    assert cost["train cost"]["n"] >= 1000, "the curve should keep enough points to look smooth"
    assert abs(cost["train cost"]["lastY"] - train_cost) < 1e-3, "the chart and the metric disagree"
    assert "test cost" not in cost
    kinds = [t["type"] for t in charts["boundary"]]
    assert kinds.count("heatmap") == 1 and kinds.count("contour") == 1, kinds
    heatmap = next(t for t in charts["boundary"] if t["type"] == "heatmap")
    assert (heatmap["zRows"], heatmap["zCols"]) == (100, 100)
    assert 0 <= heatmap["zMin"] < 0.05 and 0.95 < heatmap["zMax"] <= 1, "a trained boundary separates the classes"
    assert charts["heatmapImage"], "the heatmap was not painted"
    # Remounts are not asserted here: one run cannot tell a rare race from none. In Streamlit 1.67 about
    # 1 run in 12 remounts the charts once, at the start or the end (a full run followed at once by a
    # queued run_every fragment run); benchmarks/bench_smoothness.py counts them over many runs.
    same = page.evaluate("""() => ["cost_chart", "boundary_chart"].map(
        (k, i) => document.querySelector(`.st-key-${k} .js-plotly-plot`) === window.__plots[i])""")
    if same != [True, True]:
        print(f"note: a chart was remounted during this run (same graph div: {same})")

    # Screenshots of the finished run at a laptop and a desktop size (screenshots/ is git-ignored).
    SCREENSHOTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)  # no hover label in the picture
    # The keyboard focus on the slider scrolled the sidebar: show it from the top, as a user arrives.
    page.evaluate("""() => { document.activeElement?.blur();
        document.querySelector("[data-testid='stSidebarContent']")?.scrollTo(0, 0); }""")
    page.screenshot(path=SCREENSHOTS / "playground-done-1280x800.png")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.wait_for_function(  # the charts follow their containers (ResizeObserver -> Plotly resize)
        """() => [...document.querySelectorAll('.js-plotly-plot')].every(
            (p) => Math.abs(p._fullLayout.width - p.getBoundingClientRect().width) < 2)"""
    )
    page.wait_for_timeout(300)
    page.screenshot(path=SCREENSHOTS / "playground-done-1920x1080.png")
    page.context.close()


def test_shared_url_restores_the_scene(browser: Browser, app_url: str) -> None:
    query = "?data=circles&lr=1&hidden=8&iters=1000&test=0.3"
    page = open_app(browser, app_url, query)
    assert page.url.endswith(query), f"the app rewrote a valid shared URL: {page.url}"
    sidebar = page.locator("[data-testid='stSidebar']")
    expect(sidebar.get_by_role("combobox", name="Dataset")).to_have_value("Circles")
    expect(sidebar.get_by_role("slider", name="Hidden units")).to_have_value("8")
    expect(sidebar.get_by_role("slider", name="Learning rate")).to_have_attribute("aria-valuetext", "1")
    expect(sidebar.get_by_role("slider", name="Iterations")).to_have_attribute("aria-valuetext", "1,000")
    expect(page.locator("[data-testid='stAlert']")).to_have_count(0)  # nothing to warn about
    assert metric(page, "Iteration (of 1,000)") == "0"

    train_to_the_end(page, 1000)
    assert_no_traceback(page)
    assert metric(page, "Iteration (of 1,000)") == "1,000"
    test_cost, test_accuracy = metric(page, "Test cost"), metric(page, "Test accuracy")
    assert test_cost != "—" and test_accuracy != "—", "a 30 % test share must give test metrics"
    assert number(test_accuracy) > 80, test_accuracy
    cost = {t["name"]: t for t in page.evaluate(CHARTS_JS)["cost"]}
    assert {"train cost", "test cost"} <= set(cost), list(cost)
    assert cost["test cost"]["lastX"] == 999
    boundary_names = [t["name"] for t in page.evaluate(CHARTS_JS)["boundary"]]
    assert "class 0 (test)" in boundary_names and "class 1 (test)" in boundary_names, boundary_names
    page.context.close()


def test_hostile_url_warns_without_running_it(browser: Browser, app_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{app_url}/?lr=banana&data=%3Cscript%3Ealert(1)%3C/script%3E")
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']")
    expect(train_button(page)).to_be_visible(timeout=2 * WAIT_MS)

    warnings = page.locator("[data-testid='stAlertContentWarning']")
    expect(warnings.filter(has_text="lr='banana' is not a number")).to_be_visible()
    # The script tag is shown as text (escaped), not inserted into the page.
    expect(warnings.filter(has_text="data='<script>alert(1)</script>' must be one of")).to_be_visible()
    assert page.evaluate("[...document.scripts].filter((s) => s.textContent.includes('alert(1)')).length") == 0
    assert_no_traceback(page)
    page.wait_for_timeout(500)  # time for a dialog to open, if anything ran the script
    assert dialogs == [], f"a dialog opened: {dialogs}"
    # The bad values fell back to the defaults, and the URL now says so.
    expect(page.get_by_role("combobox", name="Dataset")).to_have_value("Moons")
    expect(page.get_by_role("slider", name="Learning rate")).to_have_attribute("aria-valuetext", "0.3")
    assert "banana" not in page.url and "script" not in page.url, page.url
    context.close()


def test_divergence_is_reported_and_reset_recovers(browser: Browser, app_url: str) -> None:
    page = open_app(browser, app_url, "?lr=10")
    train_button(page).click()
    error = page.locator("[data-testid='stAlertContentError']")
    expect(error).to_contain_text(re.compile(r"diverged at iteration \d+"), timeout=RUN_TIMEOUT_MS)
    expect(status(page)).to_contain_text("training diverged")
    expect(train_button(page)).to_be_disabled()
    assert_no_traceback(page)

    button(page, "reset").click()
    expect(status(page)).to_contain_text("Ready: press Train")
    expect(error).to_have_count(0)
    assert metric(page, "Iteration (of 5,000)") == "0"
    expect(train_button(page)).to_be_enabled()

    # Still usable: a sensible learning rate (10 -> 5 -> 3 -> 2 -> 1 by keyboard) trains to the end.
    rate = page.get_by_role("slider", name="Learning rate")
    rate.focus()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    expect(rate).to_have_attribute("aria-valuetext", "1")
    page.wait_for_url(re.compile(r"[?&]lr=1(&|$)"))
    train_to_the_end(page, 5000)
    assert_no_traceback(page)
    assert number(metric(page, "Train cost")) < 0.2
    page.context.close()
