"""The Playground's layout at the screen sizes it is shown on (a projector's 1024x768, a laptop's 1280x800,
1920x1080 and a 4K screen), in normal and presenter mode, after the default run is Done:

- the decision boundary's plot area is at least as large (width x height) as the cost chart's;
- the charts fit the viewport's height (the boundary's bottom edge is on screen without scrolling);
- no button's label and no metric is cut (scrollWidth <= clientWidth, for it and everything in it);
- no chart offers Plotly's "Share chart..." (it posts the chart's data to cloud.plotly.com);
- in presenter mode the sidebar starts collapsed and the scene buttons are not under Streamlit's header;
- no request leaves 127.0.0.1 and no uncaught error is thrown.

A screenshot of each is saved as screenshots/layout-<mode>-<w>x<h>.png (git-ignored), and the measured
plot areas are printed (run with -s to see them).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playground_page import Guard, button, settle, status, wait_for_final_frame

try:
    from playwright.sync_api import Browser, expect
except ImportError:  # the `browser` fixture skips the tests (or fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
VIEWPORTS = [(1024, 768), (1280, 800), (1920, 1080), (3840, 2160)]
MODES = {"normal": "", "presenter": "?present=1"}
TIMEOUT_MS = 120_000  # a 4K page paints ~8 million pixels per frame in software, on 2 shared cores

LAYOUT_JS = """
() => {
  const rect = (e) => { if (!e) return null; const r = e.getBoundingClientRect();
    return { left: r.left, top: r.top, width: r.width, height: r.height, bottom: r.bottom, right: r.right }; };
  const main = document.querySelector("[data-testid='stMainBlockContainer']");
  const cut = (box) => [box, ...box.querySelectorAll("*")].filter((e) => e.scrollWidth > e.clientWidth)
    .map((e) => `${e.tagName} ${e.scrollWidth} > ${e.clientWidth}`);
  const shown = (e) => e.offsetParent !== null;
  const buttons = [...main.querySelectorAll("button:not(.modebar-btn)")].filter(shown).map((b) => {
    const label = b.querySelector("p") ?? b;
    const style = getComputedStyle(label);
    const lineHeight = parseFloat(style.lineHeight) || 1.6 * parseFloat(style.fontSize);
    return {
      text: b.innerText.replace(/^[a-z_]+\\n+/, "").trim(),
      cut: cut(b),
      lines: Math.round(label.getBoundingClientRect().height / lineHeight),
      fontPx: parseFloat(style.fontSize),
    };
  });
  const sidebar = document.querySelector("[data-testid='stSidebar']");
  return {
    viewport: [innerWidth, innerHeight], scrollY,
    boundaryArea: rect(document.querySelector(".st-key-boundary .nsewdrag")),
    costArea: rect(document.querySelector(".st-key-cost_chart .nsewdrag")),
    boundary: rect(document.querySelector(".st-key-boundary")),
    cost: rect(document.querySelector(".st-key-cost_chart")),
    network: rect(document.querySelector(".st-key-network")),
    buttons,
    metrics: [...main.querySelectorAll("[data-testid='appkit-metric']")].filter(shown)
      .map((m) => ({ text: m.innerText.replace(/\\s+/g, " "), cut: cut(m) })),
    share: [...document.querySelectorAll(".modebar-btn")].map((b) => b.dataset.title).filter((t) => /share/i.test(t)),
    header: rect(document.querySelector("[data-testid='stHeader']")),
    firstScene: rect([...document.querySelectorAll("[class*='st-key-scene-'] button")].find((b) => b.offsetParent)),
    sidebar: sidebar && { collapsed: sidebar.dataset.collapsed, width: sidebar.getBoundingClientRect().width },
  };
}
"""


def area(box: dict) -> float:
    return box["width"] * box["height"]


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("size", VIEWPORTS, ids=[f"{w}x{h}" for w, h in VIEWPORTS])
def test_the_playground_fits_the_screen(browser: Browser, app_url: str, size: tuple[int, int], mode: str) -> None:
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    guard = Guard(page)  # from the first request on
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        page.goto(f"{app_url}/{MODES[mode]}")
        page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']")
        expect(button(page, "train")).to_be_enabled()
        button(page, "train").click()
        expect(status(page)).to_contain_text("Done: 5,000 iterations")
        wait_for_final_frame(page, 5000)
        page.mouse.move(1, 1)  # no hovered tooltip in the picture
        expect(page.get_by_test_id("stTooltipContent")).to_have_count(0)
        settle(page)
        layout = page.evaluate(LAYOUT_JS)
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"layout-{mode}-{width}x{height}.png"))
    finally:
        expect.set_options(timeout=5_000)
        context.close()

    boundary, cost = layout["boundaryArea"], layout["costArea"]
    print(
        f"\n{mode} {width}x{height}: boundary plot area {boundary['width']:.0f}x{boundary['height']:.0f}, "
        f"cost plot area {cost['width']:.0f}x{cost['height']:.0f}; boundary chart bottom at "
        f"{layout['boundary']['bottom']:.0f} of {height}; button label lines "
        + ", ".join(f"{b['text']}: {b['lines']}" for b in layout["buttons"])
    )
    assert layout["viewport"] == [width, height] and layout["scrollY"] == 0, layout["viewport"]
    assert area(boundary) >= area(cost), f"boundary plot area {boundary} smaller than the cost chart's {cost}"
    assert layout["boundary"]["bottom"] <= height, (
        f"the boundary ends at {layout['boundary']['bottom']}, below {height}"
    )
    assert layout["cost"]["bottom"] <= height, f"the cost chart ends at {layout['cost']['bottom']}, below {height}"
    cut = {b["text"]: b["cut"] for b in layout["buttons"] if b["cut"]}
    assert not cut, f"button labels cut: {cut}"
    cut = {m["text"]: m["cut"] for m in layout["metrics"] if m["cut"]}
    assert not cut and len(layout["metrics"]) == 6, f"metrics cut: {cut}"
    assert layout["share"] == [], "a chart offers to send its data to a Plotly server"
    assert {"Train 5,000 more", "Step", "+1", "Reset", "Clear ghosts"} <= {b["text"] for b in layout["buttons"]}
    if mode == "presenter":
        assert layout["sidebar"] == {"collapsed": "true", "width": 0}, layout["sidebar"]
        assert layout["firstScene"] is not None, "no scene buttons"
        assert layout["header"]["bottom"] <= layout["firstScene"]["top"], (layout["header"], layout["firstScene"])
    guard.check()
