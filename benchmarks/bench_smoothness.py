"""How smooth is the Playground's default run in a real browser? Blank frames, remounts, zoom, latency, backlog.

    python benchmarks/bench_smoothness.py [--runs 5] [--width 1280 --height 800] [--json out.json]

Starts its own `streamlit run app.py` (headless, free port, no file watcher), drives Debian's Chromium
(/usr/bin/chromium) with Playwright, and stops the server at the end. Every run is a fresh browser
context, so a fresh Streamlit session, on the default settings (the tutorial's 5,000 steps, 20 updates).

Measured per run, inside the page:
  (a) blank frames: a requestAnimationFrame sampler checks, every frame from the click on Train until 1 s
      after the final state, that both chart containers hold a `.js-plotly-plot` of sensible height with
      a `.main-svg`, every trace drawn (as live_chart's own test counts them) and, for the boundary, a
      painted heatmap image. Mounts: each distinct graph div seen for a chart, by a MutationObserver
      installed before the app loads and by the sampler; 1 per chart per page load means never remounted.
  (b) zoom survival: before training, `Plotly.relayout` zooms the boundary (x and y ranges); the ranges
      in effect are compared after the run, and every frame (frames with another range are counted).
  (c) click -> final frame: performance.now() at the click event on Train, to the first animation frame
      where the metric "Iteration" shows 5,000 and the cost chart's last x is 4,999.
  (d) distinct frames: distinct last x of the train-cost trace seen by the sampler (its length stops
      growing at 2,000 points, where twolayer.figures thins the curve, so lengths alone undercount), and
      distinct heatmap images.
  (e) backlog: the server is started through a small wrapper that logs, with the wall clock, when each
      `Run.advance` (one tick's training) returns; the last one that ends the run is "server finished".
      Backlog = final frame (page wall clock, performance.timeOrigin + now) - server finished.
      Also reported: final frame - the status caption first showing "Done:" (a proxy that needs no
      server log), and how late the browser showed each tick (frame showing iteration i - tick i logged).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support, without an install
from tests.support.servers import CHROMIUM, CHROMIUM_ARGS, ROOT, free_port, running, streamlit_command  # noqa: E402

SCREENSHOTS = ROOT / "screenshots"
STUCK_SECONDS = 60  # a run that has not shown its final state by then counts as stuck
ITERATIONS = 5000  # the default run
ZOOM = {"xaxis.range": [-1.0, 1.5], "yaxis.range": [-0.8, 1.2]}  # inside the moons, both axes
TARGETS = {"blank": 0, "backlog_s": 0.5, "click_to_final_s": 4.0, "distinct_frames": 10}

# Installed before the app's own scripts: counts graph divs as they are added, from the first load on.
INIT_JS = """
(() => {
  const b = (window.__bench = { divs: { cost_chart: [], boundary_chart: [] }, removed: 0 });
  const keyOf = (el) => [...(el.closest("[class*='st-key-']")?.classList ?? [])]
      .find((c) => c.startsWith("st-key-"))?.slice(7);
  b.mountAt = [];
  b.see = (div) => {
    const key = keyOf(div), list = b.divs[key];
    if (list && !list.includes(div)) {
      list.push(div);
      b.mountAt.push([key, performance.now()]);
    }
  };
  const charts = (n) => (n.nodeType !== 1 ? [] :
      [...(n.matches(".appkit-live-chart, .js-plotly-plot") ? [n] : []),
       ...n.querySelectorAll(".appkit-live-chart, .js-plotly-plot")]);
  new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) charts(n).forEach(b.see);
      for (const n of r.removedNodes) b.removed += charts(n).length;
    }
  }).observe(document, { childList: true, subtree: true });
})();
"""

# Zooms the boundary chart and starts the sampler; the sampler's clock starts at the click on Train.
START_JS = """
async ({ zoom, zoomMethod, iterations }) => {
  const b = window.__bench;
  const plot = (key) => document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const boundary = plot("boundary_chart");
  if (zoomMethod === "gui") {
    // What a box zoom with the mouse calls (Plotly's internal _guiRelayout): a relayout flagged as a
    // user edit, which uirevision then keeps. A plain API relayout is not kept, by Plotly's design.
    boundary._fullLayout._guiEditing = true;
    const done = Plotly.relayout(boundary, zoom);
    boundary._fullLayout._guiEditing = false;
    await done;
  } else if (zoomMethod === "api") {
    await Plotly.relayout(boundary, zoom);
  }
  const rangeNow = () => {  // the boundary chart shown now (a remount replaces the div)
    const layout = plot("boundary_chart")?._fullLayout;
    return layout ? JSON.stringify([layout.xaxis.range, layout.yaxis.range]) : "no chart";
  };
  Object.assign(b, { zoomed: rangeNow(), frames: 0, blank: 0, blankWhy: {}, zoomLostFrames: 0,
    lastXs: new Map(), images: new Set(), blankAt: [], errors: [],
    tClick: null, tFinal: null, tDone: null, stop: false });

  document.addEventListener("click", (e) => {
    if (b.tClick === null && e.target.closest(".st-key-train")) b.tClick = performance.now();
  }, true);

  const finalLabel = iterations.toLocaleString("en-US");
  const iterationMetric = () => [...document.querySelectorAll("[data-testid='appkit-metric']")]
    .find((m) => m.innerText.startsWith("Iteration"))
    ?.querySelector("[data-testid='appkit-metric-value']")?.innerText.trim();
  const statusDone = () => [...document.querySelectorAll("[data-testid='stCaptionContainer']")]
    .some((c) => c.innerText.startsWith("Done:"));
  const heatmapHref = (p) => p?.querySelector(".main-svg .hm image")?.getAttribute("href") ?? "";
  const blankWhy = (key) => {
    const container = document.querySelector(`.st-key-${key}`);
    if (!container) return "no container";
    const p = container.querySelector(".js-plotly-plot");
    if (!p) return "no graph div";
    b.see(p);
    if (!p.isConnected || p.getBoundingClientRect().height < 100) return "collapsed";
    if (!p.querySelector(".main-svg")) return "no svg";
    const count = (type) => (p._fullData ?? []).filter((t) => t.type === type && t.visible === true).length;
    if (p.querySelectorAll(".scatterlayer .trace").length < count("scatter")) return "scatter not drawn";
    if (p.querySelectorAll(".contourlayer .contour").length < count("contour")) return "contour not drawn";
    if (key === "boundary_chart" && !heatmapHref(p)) return "no heatmap image";
    return null;
  };

  const frame = (now) => {
    if (b.stop) return;
    requestAnimationFrame(frame);
    if (b.tClick === null) return;
    b.frames++;
    try { sample(now); } catch (error) { b.errors.push(`${Math.round(now - b.tClick)} ms: ${error}`); }
  };
  const sample = (now) => {
    let blank = false;
    for (const key of ["cost_chart", "boundary_chart"]) {
      const why = blankWhy(key);
      if (why) {
        blank = true;
        b.blankWhy[`${key}: ${why}`] = (b.blankWhy[`${key}: ${why}`] ?? 0) + 1;
        if (b.blankAt.length < 20) b.blankAt.push([Math.round(now - b.tClick), key, why]);
      }
    }
    if (blank) b.blank++;
    if (rangeNow() !== b.zoomed) b.zoomLostFrames++;
    const cost = plot("cost_chart")?._fullData?.find((t) => t.name === "train cost");
    const lastX = cost && cost.x.length ? Number(cost.x[cost.x.length - 1]) : -1;
    if (!b.lastXs.has(lastX)) b.lastXs.set(lastX, { t: now, n: cost ? cost.x.length : 0 });
    const href = heatmapHref(plot("boundary_chart"));
    b.images.add(href.length + ":" + href.slice(href.length / 2, href.length / 2 + 200));
    if (b.tDone === null && statusDone()) b.tDone = now;
    if (b.tFinal === null && lastX === iterations - 1 && iterationMetric() === finalLabel) b.tFinal = now;
  };
  requestAnimationFrame(frame);
  return b.zoomed;
}
"""

# What the page shows, for a run that never reached its final state.
STATE_JS = """
() => {
  const cost = document.querySelector(".st-key-cost_chart .js-plotly-plot")?._fullData
    ?.find((t) => t.name === "train cost");
  return {
    status: [...document.querySelectorAll("[data-testid='stCaptionContainer']")].map((c) => c.innerText),
    metrics: [...document.querySelectorAll("[data-testid='appkit-metric']")]
      .map((m) => m.innerText.replace(/\\n+/g, " ")),
    costLastX: cost && cost.x.length ? Number(cost.x[cost.x.length - 1]) : null,
    buttons: [...document.querySelectorAll("[data-testid='stButton'] button")].filter((b) => b.offsetParent)
      .map((b) => b.innerText + (b.disabled ? " (disabled)" : "")),
    scriptState: document.querySelector("[data-testid='stApp']")?.getAttribute("data-test-script-state"),
    connection: document.querySelector("[data-testid='stApp']")?.getAttribute("data-test-connection-state"),
    exceptions: [...document.querySelectorAll("[data-testid='stException']")].map((e) => e.innerText.slice(0, 500)),
    sampler: { frames: window.__bench.frames, tClick: window.__bench.tClick, tDone: window.__bench.tDone,
      lastXs: [...window.__bench.lastXs.keys()] },
  };
}
"""

RESULTS_JS = """
() => {
  const b = window.__bench;
  b.stop = true;
  const plot = (key) => document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const boundary = plot("boundary_chart");
  return {
    frames: b.frames, errors: b.errors.slice(0, 5), blank: b.blank, blankWhy: b.blankWhy, blankAt: b.blankAt,
    mountAt: b.mountAt, removed: b.removed,
    mounts: { cost_chart: b.divs.cost_chart.length, boundary_chart: b.divs.boundary_chart.length },
    zoomed: b.zoomed, zoomLostFrames: b.zoomLostFrames,
    rangeAfter: JSON.stringify([boundary._fullLayout.xaxis.range, boundary._fullLayout.yaxis.range]),
    lastXs: [...b.lastXs].map(([x, v]) => [x, v.t, v.n]), images: b.images.size,
    tClick: b.tClick, tFinal: b.tFinal, tDone: b.tDone, timeOrigin: performance.timeOrigin,
  };
}
"""

# Runs in the server process before Streamlit: logs when each tick's training returns. Only logging.
SERVER_WRAPPER = """
import json, sys, threading, time
events_path = sys.argv[1]
import appkit.runstate as runstate
lock = threading.Lock()
original = runstate.Run.tick
def tick(self, steps):
    before = self.status
    original(self, steps)
    event = {"t": time.time(), "run": id(self), "iteration": self.iteration, "before": before, "status": self.status}
    with lock, open(events_path, "a") as out:
        out.write(json.dumps(event) + "\\n")
runstate.Run.tick = tick
from streamlit.web import cli
sys.argv = ["streamlit", "run", *sys.argv[2:]]
sys.exit(cli.main())
"""


@contextmanager
def server(events: Path, log: Path):
    """`streamlit run app.py` with the test options (tests/support/servers.py), through the logging wrapper."""
    port = free_port()
    command = streamlit_command("app.py", port, runner=["-c", SERVER_WRAPPER, str(events)])
    try:
        with running(command, port, log=log) as url:
            yield url
    except RuntimeError as error:
        raise SystemExit(f"streamlit did not start: {error}") from None


def read_events(events: Path, offset: int) -> tuple[list[dict], int]:
    text = events.read_text() if events.exists() else ""
    return [json.loads(line) for line in text[offset:].splitlines() if line.strip()], len(text)


def stuck(page, events: Path, offset: int) -> dict:
    """The final state never showed: keep what the page and the server show, for the report."""
    SCREENSHOTS.mkdir(exist_ok=True)
    shot = SCREENSHOTS / f"bench-stuck-{time.strftime('%H%M%S')}.png"
    page.screenshot(path=shot)
    state = page.evaluate(STATE_JS)
    ticks, _ = read_events(events, offset)
    return {"stuck": True, "screenshot": str(shot), "page": state, "server_ticks": ticks[-3:]}


def one_run(browser, url: str, width: int, height: int, events: Path, zoom_method: str = "gui") -> dict:
    _, offset = read_events(events, 0)
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(INIT_JS)
    page = context.new_page()
    try:
        page.set_default_timeout(30_000)
        page.goto(url)
        page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']")
        train = page.locator(".st-key-train").get_by_role("button")
        train.wait_for()
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2")
        page.wait_for_timeout(500)  # let the first draw settle before zooming
        if zoom_method == "mouse":  # a box zoom over the middle of the boundary plot
            x, y, w, h = page.locator(".st-key-boundary_chart .nsewdrag").bounding_box().values()
            page.mouse.move(x + 0.3 * w, y + 0.3 * h)
            page.mouse.down()
            page.mouse.move(x + 0.7 * w, y + 0.7 * h, steps=8)
            page.mouse.up()
            page.wait_for_timeout(300)
        page.evaluate(START_JS, {"zoom": ZOOM, "zoomMethod": zoom_method, "iterations": ITERATIONS})
        train.click()
        try:
            page.wait_for_function("window.__bench.tFinal !== null", timeout=STUCK_SECONDS * 1000)
        except PlaywrightTimeout:
            return stuck(page, events, offset)
        page.wait_for_timeout(1000)  # keep sampling: a late remount or blank would show here
        r = page.evaluate(RESULTS_JS)
    finally:
        context.close()

    ticks, _ = read_events(events, offset)
    ticks = [e for e in ticks if e.get("before") == "running"]
    finished = next((e for e in ticks if e["status"] != "running"), None)
    wall = lambda t: (r["timeOrigin"] + t) / 1000  # noqa: E731  page time -> epoch seconds
    final_wall = wall(r["tFinal"])
    shown = {int(x) + 1: wall(t) for x, t, _ in r["lastXs"] if x >= 0}  # iteration -> first frame showing it
    lags = [shown[e["iteration"]] - e["t"] for e in ticks if e["iteration"] in shown]
    return {
        "blank": r["blank"],
        "frames": r["frames"],
        "blank_why": r["blankWhy"],
        "sampler_errors": r["errors"],
        "blank_at_ms": r["blankAt"],  # [ms after the click, chart, why], the first 20
        "mounts_at_ms": [[key, round(t - r["tClick"])] for key, t in r["mountAt"]],  # < 0: before the click
        "mounts": r["mounts"],
        "zoom_kept": r["rangeAfter"] == r["zoomed"],
        "zoom_lost_frames": r["zoomLostFrames"],
        "click_to_final_s": (r["tFinal"] - r["tClick"]) / 1000,
        "distinct_frames": sum(1 for x, _, _ in r["lastXs"] if x >= 0),
        "distinct_lengths": len({n for x, _, n in r["lastXs"] if x >= 0}),
        "distinct_images": r["images"],
        "ticks": len(ticks),
        "ticks_not_shown": sum(1 for e in ticks if e["iteration"] not in shown),
        "backlog_s": final_wall - finished["t"] if finished else float("nan"),
        "done_caption_to_final_s": (r["tFinal"] - r["tDone"]) / 1000 if r["tDone"] is not None else float("nan"),
        "tick_lag_median_s": statistics.median(lags) if lags else float("nan"),
        "tick_lag_max_s": max(lags) if lags else float("nan"),
        "click_wall": wall(r["tClick"]),
        "click_to_server_done_s": finished["t"] - wall(r["tClick"]) if finished else float("nan"),
    }


ROWS = [  # (key, label, format, target text)
    ("blank", "blank frames (any chart missing/empty)", "{:.0f}", "0"),
    ("frames", "frames sampled (click → final + 1 s)", "{:.0f}", ""),
    ("mounts_cost", "graph divs mounted, cost chart", "{:.0f}", "1"),
    ("mounts_boundary", "graph divs mounted, boundary chart", "{:.0f}", "1"),
    ("zoom_kept", "zoom kept after the run (runs)", "{}", "all"),
    ("zoom_lost_frames", "frames with the zoom lost", "{:.0f}", "0"),
    ("click_to_final_s", "click → final frame (s)", "{:.2f}", "≤ 4"),
    ("distinct_frames", "distinct frames (cost-trace last x)", "{:.0f}", "≥ 10"),
    ("distinct_lengths", "distinct cost-trace lengths (capped by thinning)", "{:.0f}", ""),
    ("distinct_images", "distinct heatmap images", "{:.0f}", ""),
    ("ticks", "server ticks (training updates)", "{:.0f}", ""),
    ("ticks_not_shown", "ticks never shown as a frame", "{:.0f}", ""),
    ("click_to_server_done_s", "click → server finished (s)", "{:.2f}", ""),
    ("backlog_s", "backlog: server finished → final frame (s)", "{:.2f}", "≤ 0.5"),
    ("done_caption_to_final_s", "'Done:' caption → final frame (s)", "{:.2f}", ""),
    ("tick_lag_median_s", "per tick: logged → shown, median (s)", "{:.2f}", ""),
    ("tick_lag_max_s", "per tick: logged → shown, max (s)", "{:.2f}", ""),
]


def table(results: list[dict]) -> str:
    for r in results:
        r["mounts_cost"], r["mounts_boundary"] = r["mounts"]["cost_chart"], r["mounts"]["boundary_chart"]
    lines = [
        f"| measure | median of {len(results)} | min | max | target |",
        "|---|---:|---:|---:|---|",
    ]
    for key, label, fmt, target in ROWS:
        values = [r[key] for r in results]
        if key == "zoom_kept":
            kept = sum(values)
            lines.append(f"| {label} | {kept}/{len(values)} | | | {target} |")
            continue
        cells = [fmt.format(v) for v in (statistics.median(values), min(values), max(values))]
        lines.append(f"| {label} | {' | '.join(cells)} | {target} |")
    return "\n".join(lines)


def verdict(results: list[dict]) -> list[str]:
    med = lambda key: statistics.median(r[key] for r in results)  # noqa: E731
    return [
        f"0 blank frames: {'yes' if max(r['blank'] for r in results) == 0 else 'NO'}",
        f"1 mount per chart: {'yes' if all(r['mounts_cost'] == r['mounts_boundary'] == 1 for r in results) else 'NO'}",
        f"zoom survives: {'yes' if all(r['zoom_kept'] for r in results) else 'NO'}",
        f"no backlog (≤ {TARGETS['backlog_s']} s, median): "
        f"{'yes' if med('backlog_s') <= TARGETS['backlog_s'] else 'NO'}",
        f"click → final ≤ {TARGETS['click_to_final_s']} s (median): "
        f"{'yes' if med('click_to_final_s') <= TARGETS['click_to_final_s'] else 'NO'}",
        f"≥ {TARGETS['distinct_frames']} distinct frames (median): "
        f"{'yes' if med('distinct_frames') >= TARGETS['distinct_frames'] else 'NO'}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument(
        "--zoom",
        choices=["gui", "api", "mouse"],
        default="gui",
        help="how to zoom the boundary before training: gui = Plotly.relayout flagged as a user edit, as a "
        "box zoom does (default); api = plain Plotly.relayout (Plotly resets it on the next react, by design); "
        "mouse = a real box-zoom drag",
    )
    parser.add_argument("--json", type=Path, help="also write the per-run results here")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as tmp:
        events, log = Path(tmp) / "ticks.jsonl", Path(tmp) / "server.log"
        with server(events, log) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                results, stuck_runs = [], []
                for i in range(args.runs):
                    r = one_run(browser, url, args.width, args.height, events, args.zoom)
                    if r.get("stuck"):
                        stuck_runs.append(r)
                        print(f"run {i + 1}: STUCK, no final state in {STUCK_SECONDS} s: {json.dumps(r)}", flush=True)
                        continue
                    results.append(r)
                    print(
                        f"run {i + 1}: blank {r['blank']}/{r['frames']} {r['blank_why'] or ''} mounts {r['mounts']} "
                        f"zoom kept {r['zoom_kept']} click→final {r['click_to_final_s']:.2f} s, "
                        f"{r['distinct_frames']} frames of {r['ticks']} ticks, backlog {r['backlog_s']:.2f} s",
                        flush=True,
                    )
                    if r["blank"] or max(r["mounts"].values()) > 1 or r["sampler_errors"]:
                        print(f"  blank at (ms after click): {r['blank_at_ms']}\n  mounts at: {r['mounts_at_ms']}")
                        print(f"  sampler errors: {r['sampler_errors']}")
            finally:
                browser.close()
    print(
        f"\nDefault run ({ITERATIONS:,} steps), headless Chromium {args.width}x{args.height}, "
        f"{os.cpu_count()} CPUs, zoom by {args.zoom}\n"
    )
    if results:
        print(table(results))
        print()
        print("\n".join(verdict(results)))
    print(f"runs that never showed the final state (within {STUCK_SECONDS} s): {len(stuck_runs)} of {args.runs}")
    if args.json:
        args.json.write_text(json.dumps({"runs": results, "stuck": stuck_runs}, indent=1))
    if stuck_runs or not results:
        sys.exit(1)


if __name__ == "__main__":
    main()
