"""The Playground in a real browser: keyboard on the sliders, a full training run, shared and hostile
URLs, divergence and recovery, and screenshots of the finished run at two screen sizes.

Each test opens its own browser context, so it gets its own Streamlit session. Elements are found by
their keys (`.st-key-<key>`) and accessible names, not by position. The cost curve is a Plotly chart
(appkit/live_chart.py, key "cost_chart"); the network and the decision boundary are stages
(appkit/stage.py, keys "network" and "boundary"), read through `window.__appkitStages`: the parameters
they show, the iteration, the painted probability map. Every test fails on an uncaught page error.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest
from playground_page import (
    FINAL_FRAME_JS,
    Guard,
    button,
    map_colour,
    metric,
    metric_value,
    shown_params,
    status,
)

from appkit.build import build_data, build_trainer
from appkit.settings import from_query
from twolayer.network import predict_proba

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # the `browser` fixture skips the tests (or fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
RUN_TIMEOUT_MS = 60_000  # a default run takes ~4 s alone here, 10+ s with other browsers on the 2 cores
WAIT_MS = 30_000  # any other wait (page load, a rerun after a click) on a busy machine

# The cost chart from the Plotly state of its graph div (`_fullData`: what is drawn); the boundary stage
# from its own state: its chart's traces (the points), the parameters and iteration it shows, and its
# probability map (a canvas under the chart's plot area: its size, and every pixel's colour).
CHARTS_JS = """
() => {
  const size = (a) => (a ? a.length : 0);
  const traces = (p) => (p?._fullData ?? []).map((t) => ({
    type: t.type, name: t.name, visible: t.visible, n: size(t.x),
    lastX: size(t.x) ? Number(t.x[t.x.length - 1]) : null,
    lastY: size(t.y) && t.type === "scatter" ? Number(t.y[t.y.length - 1]) : null,
  }));
  const cost = document.querySelector(".st-key-cost_chart .js-plotly-plot");
  const stage = window.__appkitStages?.get("boundary");
  const network = window.__appkitStages?.get("network");
  const gd = stage?.gd;
  const drawn = (p) => !!p?.querySelector(".main-svg") && p.getBoundingClientRect().height > 100;
  const area = stage?.plotArea();
  const c = stage?.mapCanvas;
  const map = c && c.width ? { w: c.width, h: c.height,
    px: Array.from(c.getContext("2d").getImageData(0, 0, c.width, c.height).data) } : null;
  return {
    cost: traces(cost), boundary: traces(gd),
    drawn: [drawn(cost), drawn(gd), !!gd && document.querySelector(".st-key-boundary")?.contains(gd)],
    shown: stage?.shown ? Array.from(stage.shown) : null, shownIter: stage?.shownIter ?? null,
    networkShown: network?.shown ? Array.from(network.shown) : null, networkIter: network?.shownIter ?? null,
    networkUnits: network?.layoutNet?.hidden.length ?? null,
    atRest: !!stage && stage.keys.length <= 1 && stage.drawn.full && stage.drawn.params === stage.paramsVersion,
    area, dpr: window.devicePixelRatio, map,
  };
}
"""
# Both charts' widths follow the viewport (ResizeObserver -> Plotly resize) and the map is redrawn at full
# resolution for the new plot area.
RESIZED_JS = """
() => {
  const plots = [...document.querySelectorAll(".js-plotly-plot")];
  const s = window.__appkitStages?.get("boundary");
  const a = s?.plotArea();
  return plots.length >= 2 && plots.every((p) => Math.abs(p._fullLayout.width - p.getBoundingClientRect().width) < 2)
    && !!a && s.mapCanvas.width === Math.round(a.w * devicePixelRatio) && s.drawn.full
    && s.drawn.params === s.paramsVersion && s.drawn.view === s.viewVersion;
}
"""


@pytest.fixture(autouse=True)
def patient_expect():
    """`expect` waits up to WAIT_MS here (Playwright's 5 s default is short on a busy 2-core machine)."""
    expect.set_options(timeout=WAIT_MS)
    yield
    expect.set_options(timeout=5_000)


def open_app(browser: Browser, app_url: str, query: str = "", width: int = 1280, height: int = 800) -> Page:
    """A fresh session (own browser context) on the Playground, ready for input; `page.guard` records its
    page errors (and any request leaving 127.0.0.1)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.guard = Guard(page)
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{app_url}/{query}")
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']")
    expect(train_button(page)).to_be_visible(timeout=2 * WAIT_MS)  # a fresh server's first run imports a lot
    page.wait_for_function(  # the cost chart and the boundary's chart are drawn
        """() => !!document.querySelector('.st-key-cost_chart .js-plotly-plot .main-svg')
            && !!window.__appkitStages?.get('boundary')?.gd.querySelector('.main-svg')"""
    )
    return page


def train_button(page: Page):
    return button(page, "train")


def number(text: str) -> float:
    return float(text.replace(",", "").replace("%", "").strip())


def run_params(query: dict[str, str], iterations: int) -> np.ndarray:
    """The parameters of the app's run for `query` after `iterations` steps, trained headless (the app's
    Trainer in any split of steps is bit-identical: tests/test_training.py), flat as the stage holds them."""
    settings, warnings = from_query(query)
    assert not warnings, warnings
    trainer = build_trainer(settings, build_data(settings))
    trainer.train(iterations)
    p = trainer.params
    return np.concatenate([np.ravel(p[name]) for name in ("W1", "b1", "W2", "b2")])


def charts_at(page: Page, iterations: int) -> dict:
    """CHARTS_JS, read in the same moment as FINAL_FRAME_JS(iterations) was seen to hold (a late timer tick or
    a remount cannot come between the check and the reading)."""
    handle = page.wait_for_function(f"(n) => ({FINAL_FRAME_JS.strip()})(n) && ({CHARTS_JS.strip()})()", arg=iterations)
    return handle.json_value()


def train_to_the_end(page: Page, iterations: int) -> dict:
    """Trains to Done; returns the charts at the final frame (charts_at)."""
    train_button(page).click()
    expect(status(page)).to_contain_text("Done:", timeout=RUN_TIMEOUT_MS)
    return charts_at(page, iterations)


def assert_no_traceback(page: Page) -> None:
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def assert_map_is_the_runs(charts: dict, params: np.ndarray, trained: bool = True) -> None:
    """The boundary's map is painted at full resolution (one value per device pixel) over the chart's plot
    area, in the colour of `predict_proba` of `params` at each pixel's centre, with the 0.5 line drawn;
    if `trained`, the boundary separates the classes (P below 0.05 and above 0.95 on the map)."""
    area, m, dpr = charts["area"], charts["map"], charts["dpr"]
    assert m is not None and (m["w"], m["h"]) == (round(area["w"] * dpr), round(area["h"] * dpr)), (m and m["w"], area)
    w, h = m["w"], m["h"]
    pixels = np.array(m["px"], dtype=float).reshape(h, w, 4)
    assert (pixels[:, :, 3] == 255).all(), "the map is not painted everywhere"
    (x0, x1), (y0, y1) = area["xr"], area["yr"]
    xs = x0 + (np.arange(w) + 0.5) * ((x1 - x0) / w)  # pixel centres, as stage.js computes them
    ys = y1 - (np.arange(h) + 0.5) * ((y1 - y0) / h)
    gx, gy = np.meshgrid(xs, ys)
    P = predict_proba(np.vstack([gx.ravel(), gy.ravel()]), shown_params(params)).reshape(h, w)
    if trained:
        assert P.min() < 0.05 and P.max() > 0.95, f"P from {P.min():.3f} to {P.max():.3f}: a trained boundary separates"
    # Every pixel further than 3 px from the 0.5 line (drawn over the map there) has P's colour.
    side = P > 0.5
    near = np.zeros_like(side)
    for dy in range(-3, 4):
        for dx in range(-3, 4):
            near |= side != np.roll(side, (dy, dx), axis=(0, 1))
    lut = np.array([map_colour(k / 255) for k in range(256)])
    colours = lut[np.clip((P[~near] * 255 + 0.5).astype(int), 0, 255)]
    wrong = np.abs(pixels[:, :, :3][~near] - colours).max(axis=1) > 1.5
    assert (~near).sum() > 0.8 * w * h and not wrong.any(), f"{wrong.sum()} of {(~near).sum()} pixels off P's colour"
    line = (np.abs(pixels[:, :, :3] - [0x20, 0x21, 0x24]).max(axis=2) <= 8).sum()
    assert line >= min(w, h), f"only {line} pixels of the 0.5 line"


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

    # Remember the cost chart's graph div and the stages' elements, to see whether the run updated them in place.
    page.evaluate("""() => { window.__plots = [document.querySelector(".st-key-cost_chart .js-plotly-plot"),
        ...["network", "boundary"].map((k) => window.__appkitStages.get(k)?.root)]; }""")
    charts = train_to_the_end(page, 5000)
    assert_no_traceback(page)

    assert metric(page, "Iteration (of 5,000)") == "5,000"
    train_cost, train_accuracy = number(metric(page, "Train cost")), number(metric(page, "Train accuracy"))
    assert train_cost < 0.2, f"train cost {train_cost}"
    assert train_accuracy > 90, f"train accuracy {train_accuracy} %"
    assert metric(page, "Test cost") == "—", "the default run holds no test set"
    expect(status(page)).to_contain_text(re.compile(r"Done: 5,000 iterations in [\d.]+ s \(learning rate 0\.3\)"))

    assert charts["drawn"] == [True, True, True], charts["drawn"]
    cost = {t["name"]: t for t in charts["cost"]}
    assert cost["train cost"]["lastX"] == 4999, cost["train cost"]
    assert cost["train cost"]["n"] >= 1000, "the curve should keep enough points to look smooth"
    assert abs(cost["train cost"]["lastY"] - train_cost) < 1e-3, "the chart and the metric disagree"
    assert "test cost" not in cost
    # The boundary chart holds the points (500, of both classes); the map under it is the run's own.
    points = {t["name"]: t["n"] for t in charts["boundary"]}
    assert set(points) == {"class 0 (train)", "class 1 (train)"} and sum(points.values()) == 500, points
    assert all(t["type"] == "scatter" for t in charts["boundary"])
    final = run_params({}, 5000)
    assert charts["shownIter"] == 5000 and charts["atRest"]
    assert np.array_equal(np.array(charts["shown"]), final), "the boundary does not show the run's parameters"
    assert charts["networkIter"] == 5000 and np.array_equal(np.array(charts["networkShown"]), final)
    assert charts["networkUnits"] == 5
    assert_map_is_the_runs(charts, final)
    # Remounts are not asserted here: one run cannot tell a rare race from none. In Streamlit 1.67 about
    # 1 run in 12 remounts the elements once, at the start or the end (a full run followed at once by a
    # queued run_every fragment run); benchmarks/bench_smoothness.py counts them over many runs.
    same = page.evaluate("""() => [document.querySelector(".st-key-cost_chart .js-plotly-plot"),
        ...["network", "boundary"].map((k) => window.__appkitStages.get(k)?.root)]
        .map((e, i) => e === window.__plots[i])""")
    if same != [True, True, True]:
        print(f"note: a chart was remounted during this run (same cost chart, network, boundary: {same})")

    # Screenshots of the finished run at a laptop and a desktop size (screenshots/ is git-ignored).
    SCREENSHOTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)  # no hover label in the picture
    # The keyboard focus on the slider scrolled the sidebar: show it from the top, as a user arrives.
    page.evaluate("""() => { document.activeElement?.blur();
        document.querySelector("[data-testid='stSidebarContent']")?.scrollTo(0, 0); }""")
    page.screenshot(path=SCREENSHOTS / "playground-done-1280x800.png")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.wait_for_function(RESIZED_JS)  # the charts follow their containers; the map is redrawn for its new size
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")  # painted
    page.screenshot(path=SCREENSHOTS / "playground-done-1920x1080.png")
    page.guard.check()
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

    charts = train_to_the_end(page, 1000)
    assert_no_traceback(page)
    assert metric(page, "Iteration (of 1,000)") == "1,000"
    test_cost, test_accuracy = metric(page, "Test cost"), metric(page, "Test accuracy")
    assert test_cost != "—" and test_accuracy != "—", "a 30 % test share must give test metrics"
    assert number(test_accuracy) > 80, test_accuracy
    cost = {t["name"]: t for t in charts["cost"]}
    assert {"train cost", "test cost"} <= set(cost), list(cost)
    assert cost["test cost"]["lastX"] == 999
    points = {t["name"]: t["n"] for t in charts["boundary"]}
    assert "class 0 (test)" in points and "class 1 (test)" in points, points
    assert points["class 0 (test)"] + points["class 1 (test)"] == 150 and sum(points.values()) == 500, points
    final = run_params({"data": "circles", "lr": "1", "hidden": "8", "iters": "1000", "test": "0.3"}, 1000)
    assert np.array_equal(np.array(charts["shown"]), final), "the boundary does not show the run's parameters"
    assert np.array_equal(np.array(charts["networkShown"]), final) and charts["networkUnits"] == 8
    assert_map_is_the_runs(charts, final)
    page.guard.check()
    page.context.close()


def test_hostile_url_warns_without_running_it(browser: Browser, app_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    guard = Guard(page)
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
    guard.check()
    context.close()


CHART_TOPS_JS = """() => ['boundary', 'cost_chart', 'network'].map(
    (key) => Math.round(document.querySelector(`.st-key-${key}`).getBoundingClientRect().top))"""


def test_divergence_is_reported_and_reset_recovers(browser: Browser, app_url: str) -> None:
    page = open_app(browser, app_url, "?lr=10")
    tops = page.evaluate(CHART_TOPS_JS)
    train_button(page).click()
    error = page.locator("[data-testid='stAlertContentError']")
    expect(error).to_contain_text(re.compile(r"diverged at iteration \d+"), timeout=RUN_TIMEOUT_MS)
    expect(status(page)).to_contain_text("training diverged")
    expect(train_button(page)).to_be_disabled()
    assert_no_traceback(page)
    # Notes never shift the charts: the message floats over the page's corner (pages/playground.py COMPACT_CSS).
    assert page.evaluate(CHART_TOPS_JS) == tops
    assert error.evaluate("(e) => getComputedStyle(e.closest('.st-key-notes')).position") == "fixed"

    button(page, "reset").click()
    expect(status(page)).to_contain_text("Ready: press Train")
    expect(error).to_have_count(0)
    expect(metric_value(page, "Iteration (of 5,000)")).to_have_text("0")
    expect(train_button(page)).to_be_enabled()

    # Still usable: a sensible learning rate (10 -> 5 -> 3 -> 2 -> 1 by keyboard) trains to the end.
    rate = page.get_by_role("slider", name="Learning rate")
    rate.focus()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    expect(rate).to_have_attribute("aria-valuetext", "1")
    page.wait_for_url(re.compile(r"[?&]lr=1(&|$)"))
    assert page.evaluate(CHART_TOPS_JS) == tops
    train_to_the_end(page, 5000)
    assert_no_traceback(page)
    assert number(metric(page, "Train cost")) < 0.2
    rate.focus()
    page.keyboard.press("ArrowRight")  # after Done a new rate starts a new run, and a note says so
    note = page.locator(".st-key-notes [data-testid='stAlertContentInfo']")
    expect(note).to_contain_text("a new run starts with it")
    assert page.evaluate(CHART_TOPS_JS) == tops
    page.guard.check()
    page.context.close()


def test_step_and_plus_one_show_exactly_their_parameters(browser: Browser, app_url: str) -> None:
    """Step (one chart update's worth) and +1 (one step) jump the stages to the new parameters without
    playback; at rest each shows exactly the run's parameters, painted at full resolution."""
    page = open_app(browser, app_url)
    steps = from_query({})[0].steps_per_update()
    for key, iteration in (("step", steps), ("step_one", steps + 1)):
        expect(button(page, key)).to_be_enabled()
        button(page, key).click()
        expect(status(page)).to_contain_text(f"Paused at iteration {iteration:,}")
        charts = charts_at(page, iteration)
        assert metric(page, "Iteration (of 5,000)") == f"{iteration:,}"
        params = run_params({}, iteration)
        assert np.array_equal(np.array(charts["shown"]), params), f"the boundary after {key} is not the run's"
        assert np.array_equal(np.array(charts["networkShown"]), params), f"the network after {key} is not the run's"
        assert_map_is_the_runs(charts, params, trained=False)
    assert_no_traceback(page)
    page.guard.check()
    page.context.close()


# After every painted frame (a task queued from requestAnimationFrame runs once the frame is drawn): the
# iteration the boundary stage drew and the numbers the metrics row shows.
SAMPLE_FRAMES_JS = """
() => {
  window.__frameSamples = [];
  const text = (label) => [...document.querySelectorAll("[data-testid='appkit-metric']")]
    .find((m) => m.querySelector("[data-testid='appkit-metric-label']").innerText.startsWith(label))
    ?.querySelector("[data-testid='appkit-metric-value']").innerText;
  const sample = () => {
    const boundary = window.__appkitStages?.get("boundary");
    // Only when the picture on screen is of the state the stage holds (a jump received since the last frame is
    // drawn in the next one, with its numbers).
    const drawn = boundary?.shown && boundary.drawn.params === boundary.paramsVersion;
    if (drawn) window.__frameSamples.push([boundary.shownIter, text("Iteration"), text("Train cost")]);
    if (window.__frameSamples.length < 5000) requestAnimationFrame(() => setTimeout(sample, 0));
  };
  requestAnimationFrame(() => setTimeout(sample, 0));
}
"""


def test_the_metrics_show_the_state_the_picture_shows_in_every_frame(browser: Browser, app_url: str) -> None:
    """While the stage plays each update's states, the metrics row shows the numbers of the state drawn in that
    frame: the same iteration, and the engine's train cost at it (before, the metrics ran an update ahead). The
    numbers travel with the boundary's updates: the ticks send nothing else for them."""
    page = open_app(browser, app_url)
    page.evaluate(SAMPLE_FRAMES_JS)
    # Which websocket messages carry the strip, a stage, or the status line (drawn by full runs of the page only).
    cdp, messages = page.context.new_cdp_session(page), []
    cdp.send("Network.enable")
    marks = (b"appkit.metrics", b"appkit.stage", b"(learning rate 0.3")
    cdp.on(
        "Network.webSocketFrameReceived",
        lambda e: messages.append([m in base64.b64decode(e["response"]["payloadData"]) for m in marks]),
    )
    train_to_the_end(page, 5000)
    samples = page.evaluate("window.__frameSamples")
    strip, stages, full_runs = (sum(column) for column in zip(*messages, strict=True))
    # the labels go out with the full runs (the click's, a re-timing's, the end's), not with the ticks' updates
    # (the default run: 8 ticks, each carrying the two stages)
    assert stages > 10 and 1 <= strip <= full_runs, f"strip {strip}, stages {stages}, full runs {full_runs}"
    settings, _ = from_query({})
    trainer = build_trainer(settings, build_data(settings))
    trainer.train(5000)
    cost = trainer.history["cost"]
    trained = [(i, shown, c) for i, shown, c in samples if i]
    iterations = {i for i, _, _ in trained}
    assert len(iterations) > 20, f"too few states drawn to judge: {sorted(iterations)}"
    for i, shown, c in trained:
        assert shown == f"{i:,}", f"the picture shows iteration {i:,}, the metrics {shown}"
        assert c == f"{cost[i - 1]:.4f}", f"iteration {i:,}: the metrics show cost {c}, the engine {cost[i - 1]:.4f}"
    assert max(iterations) == 5000
    page.guard.check()
    page.context.close()
