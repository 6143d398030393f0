"""The stage in a real browser: frames painted per second while the default run trains, blank frames,
bytes per websocket update, and cold load time to the stage drawn.

    python benchmarks/bench_stage.py [--runs 5] [--units 5] [--port N]

Starts `streamlit run benchmarks/stage_demo.py` (headless, 127.0.0.1) and drives Debian's Chromium:
- cold load: a fresh browser context (empty cache) from navigation to the stage's first drawn frame
  with the Plotly chart up (the server is warm: the demo is loaded once before the runs);
- frames per second: Chrome DevTools Protocol `Page.startScreencast` counts frames the compositor
  paints, from the first update of the run to the last update's arrival (the server's training time);
- blank frames: requestAnimationFrame samples of the boundary canvas during training, counted blank if
  its centre pixel is transparent or the stage element is missing;
- bytes per update: binary websocket frames received during training (`Network.webSocketFrameReceived`),
  which carry the fragment's deltas; and the stage's own payload as `stage()` reports it.
Prints each run and the medians, and the load average before and after.
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
from benchmarks.cdp_probes import record_paints, record_websocket  # noqa: E402
from tests.support.servers import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402

DRAWN = """() => { const s = window.__appkitStages && window.__appkitStages.get('stage');
  return !!(s && s.plotted && s.stats.frames > 0 && s.mapCanvas.isConnected); }"""

# Samples the boundary canvas on every animation frame while training: a frame is blank if the stage
# is gone or the map's centre pixel is transparent.
SAMPLER = """() => { window.__blank = 0; window.__samples = 0; window.__sampling = true;
  const probe = document.createElement('canvas'); probe.width = probe.height = 1;
  const pctx = probe.getContext('2d', { willReadFrequently: true });
  const tick = () => { if (!window.__sampling) return;
    const s = window.__appkitStages.get('stage'); window.__samples += 1;
    if (!s || !s.root.isConnected || !s.mapCanvas.isConnected) window.__blank += 1;
    else { const c = s.mapCanvas; pctx.clearRect(0, 0, 1, 1);
      pctx.drawImage(c, c.width / 2, c.height / 2, 1, 1, 0, 0, 1, 1);
      if (pctx.getImageData(0, 0, 1, 1).data[3] === 0) window.__blank += 1; }
    requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""


def one_run(browser, url: str) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors, outside = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    local = ("http://127.0.0.1", "ws://127.0.0.1", "blob:http://127.0.0.1", "data:")
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    cdp = context.new_cdp_session(page)
    ws_frames: list[tuple[float, int, bool]] = []  # (time, bytes, carries a stage update)
    record_websocket(cdp, ws_frames)
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_function(DRAWN, timeout=60_000, polling=20)
    cold = time.perf_counter() - t0
    page.wait_for_timeout(500)

    frames: list[float] = []
    record_paints(cdp, frames)
    page.wait_for_timeout(300)
    page.evaluate(SAMPLER)
    ws_frames.clear()
    click = time.perf_counter()
    page.get_by_role("button", name="Train").click()
    page.get_by_text("Done at iteration 5000").wait_for(timeout=120_000)
    done = time.perf_counter()
    page.wait_for_timeout(1000)  # playback of the last update, and the full-resolution picture
    cdp.send("Page.stopScreencast")
    blank, samples = page.evaluate("() => { window.__sampling = false; return [window.__blank, window.__samples]; }")
    stats = page.evaluate("() => window.__appkitStages.get('stage').stats")
    during = [(t, n, is_stage) for t, n, is_stage in ws_frames if click < t <= done]
    updates = [n for _, n, is_stage in during if is_stage]
    start = next((t for t, _, is_stage in during if is_stage), click)
    painted = [t for t in frames if start <= t <= done]
    context.close()
    return {
        "cold_s": cold,
        "fps": len(painted) / max(1e-9, done - start),
        "train_s": done - start,
        "blank": blank,
        "samples": samples,
        "ws_bytes_per_update": statistics.median(updates) if updates else 0,
        "ws_bytes_per_tick": sum(n for _, n, _ in during) / max(1, len(updates)),
        "updates": len(updates),
        "stage_bytes": statistics.median(stats["sizes"][-len(updates) :]) if updates else 0,
        "render_ms": stats["renderMs"],
        "errors": errors,
        "outside": outside,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--units", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"load average before: {os.getloadavg()}")
    results = []
    with streamlit_server("benchmarks/stage_demo.py", timeout=60) as base, sync_playwright() as pw:
        url = f"{base}/?units={args.units}"
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        warm = browser.new_page()  # the server's first run imports everything: not part of a cold load
        warm.goto(url)
        warm.wait_for_function(DRAWN, timeout=60_000)
        warm.close()
        for k in range(args.runs):
            r = one_run(browser, url)
            results.append(r)
            print(
                f"run {k + 1}: cold {r['cold_s']:.2f} s, {r['fps']:.1f} frames/s over {r['train_s']:.2f} s, "
                f"blank {r['blank']}/{r['samples']}, {r['updates']} updates: websocket message "
                f"{r['ws_bytes_per_update']:.0f} B, all websocket traffic {r['ws_bytes_per_tick']:.0f} B "
                f"per update, stage payload {r['stage_bytes']:.0f} B, "
                f"render {r['render_ms']:.1f} ms/frame"
                + (f", page errors {r['errors']}" if r["errors"] else "")
                + (f", requests leaving 127.0.0.1 {r['outside']}" if r["outside"] else "")
            )
        browser.close()

    def med(name):
        return statistics.median(r[name] for r in results)

    print(
        f"medians of {len(results)} runs, {args.units} units: {med('fps'):.1f} frames/s while training, "
        f"{med('blank'):.0f} blank frames (of ~{med('samples'):.0f} sampled), "
        f"{med('ws_bytes_per_update'):.0f} bytes per stage update on the websocket "
        f"({med('ws_bytes_per_tick'):.0f} with everything else the tick sends; stage payload "
        f"{med('stage_bytes'):.0f}), cold load {med('cold_s'):.2f} s"
    )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
