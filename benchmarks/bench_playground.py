"""The Playground as a viewer sees it (issue 9's numbers): frames painted per second while the default run
trains, blank frames, websocket bytes per update, cold load, plot-area sizes at four screen sizes, and the
training speed of a long run against the engine alone.

    python benchmarks/bench_playground.py [--runs 5] [--port N] [--skip-speed]

Starts `streamlit run app.py` (headless, 127.0.0.1) and drives Debian's Chromium:
- cold load: a fresh browser context (empty cache, warm server) from navigation to the cost chart and both
  stages (network and boundary) drawn;
- frames per second: Chrome DevTools Protocol `Page.startScreencast` events (one per frame the compositor
  paints) from the first update of the run to its last. The probes have costs of their own on the same 2 cores:
  Chromium encodes every frame as a JPEG, which the probe receives and acknowledges before the next is sent, and
  the blank-frame sampler reads a pixel back from the canvas every frame. So the runs take turns: frames captured
  at the viewport's size (1280x800, "full"), frames captured at most SMALL_CAPTURE = 320 px wide (the same frames,
  a sixteenth of the pixels to encode, "small"), and no screencast but the blank-frame sampler ("blank"). Every
  run also prints the stage's own count of the pictures it drew (`stats.frames` of the boundary);
- blank frames: requestAnimationFrame samples during training (the "blank" runs) in which the boundary's map
  canvas or the cost chart is missing, or the map's centre pixel is transparent;
- bytes per update: websocket frames received during training (`Network.webSocketFrameReceived`): the median
  bytes of a tick (a script run that sends the stages and no button; a tick carries UPDATES_PER_TICK updates'
  worth, see appkit/tick_share.py), and all bytes from the click to the end (the full runs' too) per update's worth
  and per second;
- plot areas: Plotly's `.nsewdrag` rectangles of the boundary and the cost chart, after the default run, at
  1024x768, 1280x800, 1920x1080 and 3840x2160, normal and presenter mode;
- speed: 50,000 iterations on 5,000 points with 64 hidden units, the app's steps per second (its metric, over
  20 s) against `Trainer.train` alone in this process, measured right before.
Prints each run, the medians, and the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from appkit.tick_share import UPDATES_PER_TICK  # noqa: E402
from benchmarks.cdp_probes import record_paints, record_websocket, script_runs  # noqa: E402
from tests.support.servers import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402

DRAWN = """() => { const st = window.__appkitStages; const b = st && st.get('boundary'), n = st && st.get('network');
  const cost = document.querySelector('.st-key-cost_chart .js-plotly-plot .nsewdrag');
  return !!(b && n && b.plotted && b.stats.frames > 0 && n.stats.frames > 0 && cost); }"""

SAMPLER = """() => { window.__blank = 0; window.__samples = 0; window.__sampling = true;
  const probe = document.createElement('canvas'); probe.width = probe.height = 1;
  const pctx = probe.getContext('2d', { willReadFrequently: true });
  const tick = () => { if (!window.__sampling) return;
    const s = window.__appkitStages.get('boundary'); window.__samples += 1;
    const cost = document.querySelector('.st-key-cost_chart .js-plotly-plot .nsewdrag');
    if (!s || !s.root.isConnected || !s.mapCanvas.isConnected || !cost) window.__blank += 1;
    else { const c = s.mapCanvas; pctx.clearRect(0, 0, 1, 1);
      pctx.drawImage(c, c.width / 2, c.height / 2, 1, 1, 0, 0, 1, 1);
      if (pctx.getImageData(0, 0, 1, 1).data[3] === 0) window.__blank += 1; }
    requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""

AREAS = """() => { const box = (sel) => { const r = document.querySelector(sel)?.getBoundingClientRect();
  return r ? [Math.round(r.width), Math.round(r.height), Math.round(r.bottom)] : null; };
  return { boundary: box('.st-key-boundary .nsewdrag'), cost: box('.st-key-cost_chart .nsewdrag') }; }"""

STAGE_FRAMES = "() => window.__appkitStages.get('boundary').stats.frames"
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "blob:http://127.0.0.1", "data:")
VIEWPORTS = ((1024, 768), (1280, 800), (1920, 1080), (3840, 2160))


def connected(page) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=60_000)


SMALL_CAPTURE = 320  # px: the screencast's largest side in the runs with the lighter probe


PROBES = {"full": 0, "small": SMALL_CAPTURE, "blank": None}  # a run's probe -> the screencast's size (0: full)


def one_run(browser, url: str, probe: str) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors, outside = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(LOCAL) else outside.append(r.url))
    cdp = context.new_cdp_session(page)
    ws: list[tuple[float, int, bool]] = []  # (time, bytes, carries a stage update)
    raw: list[bytes] = []
    record_websocket(cdp, ws, raw=raw)
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_function(DRAWN, timeout=60_000, polling=20)
    cold = time.perf_counter() - t0
    page.wait_for_timeout(500)
    frames: list[float] = []
    capture = PROBES[probe]
    if capture is not None:
        record_paints(cdp, frames, capture or None)
    page.wait_for_timeout(300)
    if probe == "blank":
        page.evaluate(SAMPLER)
    drawn = page.evaluate(STAGE_FRAMES)
    ws.clear()
    raw.clear()
    click = time.perf_counter()
    page.locator(".st-key-train").get_by_role("button").click()
    page.get_by_text("Done: 5,000 iterations").wait_for(timeout=120_000)
    done = time.perf_counter()
    drawn = page.evaluate(STAGE_FRAMES) - drawn  # a few may be drawn after "Done:" shows: counted in this rate
    page.wait_for_timeout(1000)
    if capture is not None:
        cdp.send("Page.stopScreencast")
    blank, samples = page.evaluate("() => { window.__sampling = false; return [window.__blank, window.__samples]; }")
    during = [(t, n, stage) for t, n, stage in ws if click < t <= done]
    stage_times = [t for t, _, stage in during if stage]
    ticks = max(1, len(stage_times) // 2)  # each tick carries two stages (network and boundary)
    start = stage_times[0] if stage_times else click
    painted = [t for t in frames if start <= t <= done]
    # A tick: a script run that sends the boundary and no button (a full run of the page sends the buttons too).
    runs = script_runs(raw[: len([1 for t, _, _ in ws if t <= done])])
    tick_bytes = [
        n
        for n, kinds in runs
        if "delta:new_element:bidi_component" in kinds
        and not {"delta:new_element:button", "delta:new_element:download_button"} & kinds
    ]
    context.close()
    return {
        "cold_s": cold,
        "fps": len(painted) / max(1e-9, done - start),
        "drawn_fps": drawn / max(1e-9, done - start),
        "probe": probe,
        "train_s": done - start,
        "blank": blank,
        "samples": samples,
        "bytes_per_tick": statistics.median(tick_bytes) if tick_bytes else 0,
        "bytes_per_update": sum(n for _, n, _ in during) / (ticks * UPDATES_PER_TICK),  # everything sent
        "bytes_per_s": sum(n for _, n, _ in during) / max(1e-9, done - start),
        "ticks": ticks,
        "errors": errors,
        "outside": outside,
    }


def plot_areas(browser, url: str) -> list[str]:
    lines = []
    for present in (False, True):
        for width, height in VIEWPORTS:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(url + ("/?present=1&scene=tutorial" if present else "/?scene=tutorial"))
            connected(page)
            page.get_by_text("Done: 5,000 iterations").wait_for(timeout=120_000)
            page.wait_for_timeout(1500)
            a = page.evaluate(AREAS)
            b, c = a["boundary"], a["cost"]
            fits = b is not None and b[2] <= height
            lines.append(
                f"{'presenter' if present else 'normal   '} {width}x{height}: boundary {b[0]}x{b[1]} px, "
                f"cost {c[0]}x{c[1]} px, boundary/cost area {b[0] * b[1] / (c[0] * c[1]):.2f}, "
                f"boundary inside the viewport: {fits}"
            )
            page.close()
    return lines


def speed(browser, url: str) -> str:
    from threadpoolctl import threadpool_limits

    from twolayer import Trainer
    from twolayer.data import make_dataset

    threadpool_limits(1)
    X, y = make_dataset("moons", 5000, 0.2, random_state=0)
    trainer = Trainer(X.T, y.reshape(1, -1).astype(float), 64, 0.3, random_state=0)
    trainer.train(10)

    def engine_rate() -> float:  # the median of three 100-step timings
        times = []
        for _ in range(3):
            started = time.perf_counter()
            trainer.train(100)
            times.append(time.perf_counter() - started)
        return 100 / statistics.median(times)

    before = engine_rate()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(url + "/?n=5000&hidden=64&iters=50000")
    connected(page)
    page.locator(".st-key-train").get_by_role("button").click()
    page.wait_for_timeout(20_000)
    app = float(page.locator("[data-testid='appkit-metric-value']").last.inner_text().replace(",", ""))
    left = page.locator("[data-testid='appkit-metric-note']").first.inner_text()
    page.close()
    after = engine_rate()
    engine = (before + after) / 2
    return (
        f"engine alone {engine:.0f} steps/s ({before:.0f} before, {after:.0f} after), in the app {app:.0f} steps/s: "
        f"{app / engine:.0%}; shown: {left!r}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-areas", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"load average before: {os.getloadavg()}")
    with streamlit_server("app.py") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        warm = browser.new_page()  # the server's first run imports everything: not part of a cold load
        warm.goto(url)
        warm.wait_for_function(DRAWN, timeout=60_000)
        warm.close()
        results = []
        for k in range(args.runs):
            for probe in PROBES:
                r = one_run(browser, url, probe)
                results.append(r)
                blank = f"blank {r['blank']}/{r['samples']}"
                painted = f"{r['fps']:.1f} frames/s painted" if probe != "blank" else blank
                print(
                    f"run {k + 1} {probe:5s}: cold {r['cold_s']:.2f} s, {painted}, "
                    f"{r['drawn_fps']:.1f} pictures/s drawn by the stage, over {r['train_s']:.2f} s, "
                    f"{r['ticks']} ticks, {r['bytes_per_tick']:.0f} B per tick "
                    f"(all sent: {r['bytes_per_update']:.0f} B per update's worth, {r['bytes_per_s'] / 1000:.1f} KB/s)"
                    + (f", page errors {r['errors']}" if r["errors"] else "")
                    + (f", requests leaving 127.0.0.1 {r['outside']}" if r["outside"] else "")
                )

        def med(name, probe=None):
            return statistics.median(r[name] for r in results if probe in (None, r["probe"]))

        print(
            f"medians of {args.runs} runs of each: frames/s painted while training {med('fps', 'full'):.1f} (full-size "
            f"capture), {med('fps', 'small'):.1f} ({SMALL_CAPTURE} px capture); pictures/s drawn by the stage "
            f"{med('drawn_fps', 'full'):.1f} / {med('drawn_fps', 'small'):.1f} / {med('drawn_fps', 'blank'):.1f} "
            f"(full / small / blank runs); blank {med('blank', 'blank'):.0f} (of ~{med('samples', 'blank'):.0f} "
            f"sampled); {med('bytes_per_tick'):.0f} B per tick; all sent {med('bytes_per_update'):.0f} B per update's "
            f"worth, {med('bytes_per_s') / 1000:.1f} KB/s; cold load {med('cold_s'):.2f} s"
        )
        for line in [] if args.skip_areas else plot_areas(browser, url):
            print(line)
        if not args.skip_speed:
            print(speed(browser, url))
        browser.close()
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
