"""Browser test of appkit.live_chart: one mount per chart, no blank frame, real updates, zoom kept.

Runs tests/support/live_chart_demo.py in a real `streamlit run` and watches it from inside Chromium with
requestAnimationFrame sampling and a MutationObserver. Needs Debian's Chromium at /usr/bin/chromium.
"""

import statistics
from pathlib import Path

import pytest

from appkit.assets import PLOTLY_FILE
from tests.support.servers import CHROMIUM_ARGS, streamlit_server

N_UPDATES = 30

# Installed once both charts are drawn. Samples every animation frame until window.__lc.stop is set.
MONITOR_JS = """
() => {
  const plots = [...document.querySelectorAll(".js-plotly-plot")];
  const m = (window.__lc = { plots, frames: 0, blank: 0, mounts: plots.length, removed: 0,
    titles: plots.map(() => new Set()), images: new Set(), reactMs: [], longTaskMs: 0, stop: false });
  new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (n.nodeType === 1 && (n.matches(".js-plotly-plot") || n.querySelector(".js-plotly-plot"))) m.mounts++;
      }
      for (const n of r.removedNodes) if (n.nodeType === 1 && plots.some((p) => n.contains(p))) m.removed++;
    }
  }).observe(document.body, { childList: true, subtree: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) m.longTaskMs += e.duration;
  }).observe({ type: "longtask" });

  const react = Plotly.react;
  Plotly.react = function (...args) {
    const t0 = performance.now();
    const done = react.apply(this, args);
    Promise.resolve(done).then(() => m.reactMs.push(performance.now() - t0));
    return done;
  };

  // Blank: detached, collapsed, or fewer drawn trace groups (.trace) than traces.
  const drawn = (p) => p.querySelectorAll(".main-svg .trace").length;
  // What the second chart draws: where its moving line starts (the path of its first trace).
  const line = (p) => p.querySelector(".main-svg .trace .js-line")?.getAttribute("d")?.slice(0, 40) ?? "";
  const blank = (p) => !p.isConnected || p.getBoundingClientRect().height < 50 || drawn(p) < p.data.length;
  const frame = () => {
    if (m.stop) return;
    requestAnimationFrame(frame);
    m.frames++;
    if (plots.some(blank)) m.blank++;
    plots.forEach((p, i) => m.titles[i].add(p.querySelector(".gtitle")?.textContent));
    m.images.add(line(plots[1]));
  };
  requestAnimationFrame(frame);
}
"""

RESULTS_JS = """
() => {
  const m = window.__lc;
  m.stop = true;
  const now = [...document.querySelectorAll(".js-plotly-plot")];
  return { frames: m.frames, blank: m.blank, mounts: m.mounts, removed: m.removed,
    sameNodes: now.length === m.plots.length && now.every((p, i) => p === m.plots[i]),
    titles: m.titles.map((s) => [...s]), images: m.images.size, reactMs: m.reactMs, longTaskMs: m.longTaskMs,
    ranges: m.plots.map((p) => p._fullLayout.xaxis.range) };
}
"""


@pytest.fixture(scope="module")
def server(chromium_path: Path, tmp_path_factory: pytest.TempPathFactory):
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    try:
        with streamlit_server("tests/support/live_chart_demo.py", log=log) as url:
            yield url
    except RuntimeError as error:
        pytest.fail(f"streamlit did not start: {error}")


@pytest.mark.e2e
def test_live_chart_updates_in_place(chromium_path: Path, server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1100})
            plotly_js, ws_frames, errors = [], [], []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda r: plotly_js.append(r.url) if PLOTLY_FILE in r.url else None)
            page.on("websocket", lambda ws: ws.on("framereceived", lambda data: ws_frames.append(len(data))))

            page.goto(f"{server}/?updates={N_UPDATES}")
            page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']")
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2", timeout=30_000)
            page.evaluate(MONITOR_JS)

            # Zoom both charts a few updates in, as a box zoom with the mouse would.
            page.wait_for_function("+document.body.innerText.match(/Update (\\d+) of/)?.[1] >= 8", timeout=30_000)
            zoomed = page.evaluate("""async () => {
                const [loss, moving] = window.__lc.plots;
                await Plotly.relayout(loss, {"xaxis.range": [2, 5]});
                await Plotly.relayout(moving, {"xaxis.range": [-0.5, 0.5], "yaxis.range": [-0.5, 0.5]});
                return [loss, moving].map((p) => [p._fullLayout.xaxis.range, p.querySelector(".gtitle").textContent]);
            }""")
            page.get_by_text(f"Update {N_UPDATES} of {N_UPDATES} (done)").wait_for(timeout=90_000)
            page.wait_for_function(  # the last figures are drawn ...
                """(n) => window.__lc.plots.map((p) => p.querySelector(".gtitle")?.textContent).join("|")
                    === `Loss, update ${n}|Output, update ${n}`""",
                arg=N_UPDATES,
            )
            # ... and sampled by the monitor's next animation frame.
            page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
            r = page.evaluate(RESULTS_JS)
        finally:
            browser.close()

    updates = len(r["titles"][0])
    print(
        f"\nframes={r['frames']} blank={r['blank']} mounts={r['mounts']} removed={r['removed']} "
        f"distinct titles={updates} line paths={r['images']} "
        f"Plotly.react median={statistics.median(r['reactMs']):.0f} ms over {len(r['reactMs'])} calls, "
        f"long tasks {r['longTaskMs'] / max(updates, 1):.0f} ms/update; "
        f"websocket {sum(ws_frames) / 1024:.0f} KiB in {len(ws_frames)} frames, max {max(ws_frames) / 1024:.0f} KiB"
    )
    assert r["mounts"] == 2 and r["removed"] == 0 and r["sameNodes"], "a chart was remounted"
    assert r["frames"] > 50 and r["blank"] == 0, f"{r['blank']} of {r['frames']} frames showed a blank chart"
    assert updates >= 5 and r["images"] >= 5, "the charts did not change between updates"
    assert r["titles"][0][-1] == f"Loss, update {N_UPDATES}"
    for (range_at_zoom, title_at_zoom), range_now in zip(zoomed, r["ranges"], strict=True):
        assert range_now == range_at_zoom, "an update reset the user's zoom"
        assert title_at_zoom not in {f"Loss, update {N_UPDATES}", f"Output, update {N_UPDATES}"}
    assert errors == [], f"page errors: {errors}"
    assert len(plotly_js) == 1, f"plotly.js was requested {len(plotly_js)} times"
    assert max(ws_frames) < 512 * 1024, "a websocket message was large enough to carry plotly.js"
