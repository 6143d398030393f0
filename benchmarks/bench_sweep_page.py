"""The Sweep page in a real browser: click on Run sweep (the defaults) -> heat map, boundaries and loss chart
all drawn on screen; and, in this process, where the server's part of that time goes.

    python benchmarks/bench_sweep_page.py [--runs 5] [--repeats 3] [--port N]

Starts `streamlit run app.py` (headless, 127.0.0.1, BLAS pinned to one thread as app.py pins it) and drives
Debian's Chromium at 1280x800. Each run is three fresh browser contexts (new sessions) with a warm server: on
/sweep?dseed=k the first sweep of that data (the page's default grid on moons of data seed k, a data set no
sweep of this server has used), clicked once the page is drawn (its preview of the default grid): the page
started training that grid as it opened (appkit.sweep.warm_up), so the click waits for the rest of it; then the
same sweep again (a second visitor: the server kept it, appkit.sweep.finished); then on /sweep?dseed=k+100 a
visitor who reads the form for READ_SECONDS before the click. The page times, with its own clock
(performance.now):
- click: the Run sweep button's click (a capture-phase listener);
- first / last message: the websocket messages the click brings, the last one before the charts are drawn
  (an init script wraps WebSocket); "bytes" is everything received between click and drawn;
- first heat map: the first animation frame with a heat map drawn (the partial one, filled in as each hidden
  size finishes training, or the final one);
- drawn: the first animation frame in which all three charts (.st-key-sweep_heatmap, _boundaries, _curves)
  have every trace in the DOM: an <image> per heatmap, a layer per scatter trace, the WebGL canvas for
  scattergl traces, every layout image; the frame paints right after.
The page's caption gives the server's training time of the same click.

Then, in this process, the page's default sweep `--repeats` times: training (`run_sweep` with the page's
`sweep_threads()`: 2 workers when no session trains), building the three
figures as the page builds them, and serialising them as `st.plotly_chart` does (plotly's
`return_figure_from_figure_or_data(validate_figure=True)` then `plotly.io.to_json`), with each figure's JSON size.
Prints each run, the medians, and the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.servers import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402

KEYS = ("sweep_heatmap", "sweep_boundaries", "sweep_curves")

# Before any page script: every websocket message's arrival time and size.
WS_LOG = """(() => { window.__ws = []; const Native = window.WebSocket;
  window.WebSocket = function (...args) { const ws = new Native(...args);
    ws.addEventListener('message', (e) => window.__ws.push([performance.now(),
      e.data.byteLength ?? e.data.size ?? e.data.length]));
    return ws; };
  window.WebSocket.prototype = Native.prototype; Object.assign(window.WebSocket, Native); })();"""

# Armed just before the click: records the click, then checks every animation frame for the three charts.
ARM = """(keys) => { window.__click = null; window.__drawn = null;
  document.addEventListener('click', (e) => { if (window.__click === null && e.target.closest('button')
      && e.target.closest('button').innerText.includes('Run sweep')) window.__click = performance.now(); }, true);
  const drawn = (gd) => { if (!gd || !gd._fullData || !gd._fullLayout || !gd._fullData.length) return false;
    const types = gd._fullData.filter((t) => t.visible !== false).map((t) => t.type);
    const count = (type) => types.filter((t) => t === type).length;
    if (gd.querySelectorAll('.hm image').length < count('heatmap')) return false;
    if (gd.querySelectorAll('.scatterlayer .trace').length < count('scatter')) return false;
    if (count('scattergl') && !gd.querySelector('canvas.gl-canvas-context')) return false;
    const images = (gd._fullLayout.images || []).filter((i) => i.visible !== false).length;
    return gd.querySelectorAll('.imagelayer image').length >= images; };
  window.__first = null;
  const tick = (now) => { if (window.__click !== null && window.__first === null && [...document.querySelectorAll(
      "[class*='st-key-sweep_partial'] .js-plotly-plot, .st-key-sweep_heatmap .js-plotly-plot")].some(drawn))
      window.__first = now;
    if (window.__click !== null && keys.every((k) =>
      drawn(document.querySelector(`.st-key-${k} .js-plotly-plot`)))) { window.__drawn = now; return; }
    requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""


READ_SECONDS = 8.0  # a visitor who reads the form before pressing Run sweep


def one_run(browser, url: str, read_seconds: float = 0.3) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(WS_LOG)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    button = page.get_by_role("button", name="Run sweep")
    button.wait_for(timeout=60_000)
    page.locator(".st-key-sweep_preview .main-svg").first.wait_for(timeout=60_000)  # drawn, as a user sees it
    page.wait_for_timeout(read_seconds * 1000)
    page.evaluate(ARM, list(KEYS))
    button.click()
    page.wait_for_function("() => window.__drawn !== null", timeout=120_000, polling="raf")
    click, first, drawn, messages = page.evaluate("() => [window.__click, window.__first, window.__drawn, window.__ws]")
    after = [(t, n) for t, n in messages if click <= t <= drawn]
    caption = page.get_by_text(re.compile(r"networks × .* iterations in")).inner_text()
    train_s = float(re.search(r"in ([\d.]+) s", caption).group(1))
    context.close()
    return {
        "first_s": (first - click) / 1000,
        # the first message of a heat map's size (~10 kB; progress updates are ~0.1 kB)
        "first_sent_s": next(((t - click) / 1000 for t, n in after if n > 5000), float("nan")),
        "drawn_s": (drawn - click) / 1000,
        "first_msg_s": (after[0][0] - click) / 1000 if after else float("nan"),
        "last_msg_s": (after[-1][0] - click) / 1000 if after else float("nan"),
        "browser_s": (drawn - after[-1][0]) / 1000 if after else float("nan"),
        "bytes": sum(n for _, n in after),
        "largest": max((n for _, n in after), default=0),
        "messages": len(after),
        "train_s": train_s,
        "errors": errors,
    }


def screenshots(browser, url: str, sizes=((1280, 800), (1920, 1080))) -> list[Path]:
    """After a default sweep at each size: the results scrolled to the top of the window, and the rest below."""
    saved = []
    for width, height in sizes:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto(url)
        button = page.get_by_role("button", name="Run sweep")
        button.wait_for(timeout=60_000)
        page.evaluate(ARM, list(KEYS))
        button.click()
        page.wait_for_function("() => window.__drawn !== null", timeout=120_000, polling="raf")
        page.mouse.move(1, 1)
        page.locator(".st-key-sweep_heatmap").scroll_into_view_if_needed()
        page.evaluate("() => document.querySelector('.st-key-sweep_heatmap').scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
        for part, path in (("", f"sweep-{width}x{height}.png"), ("below", f"sweep-{width}x{height}-below.png")):
            if part == "below":
                page.evaluate("() => document.querySelector('.st-key-sweep_curves').scrollIntoView({block: 'end'})")
                page.wait_for_timeout(300)
            (ROOT / "screenshots").mkdir(exist_ok=True)
            page.screenshot(path=str(ROOT / "screenshots" / path))
            saved.append(ROOT / "screenshots" / path)
        context.close()
    return saved


def server_split(repeats: int) -> list[dict]:
    """The page's default sweep in this process: train, build, serialise as st.plotly_chart does."""
    import plotly.io
    import plotly.tools
    from threadpoolctl import threadpool_limits

    from appkit.build import build_data
    from appkit.settings import Settings
    from appkit.sweep import (
        DEFAULT_HIDDEN,
        DEFAULT_ITERATIONS,
        DEFAULT_RATES,
        boundaries_figure,
        curves_figure,
        heatmap_figure,
        run_sweep,
        sweep_threads,
    )
    from twolayer.figures import plot_range

    settings = Settings()
    data = build_data(settings)
    rows, threads = [], sweep_threads()
    with threadpool_limits(1):
        for _ in range(repeats):
            t0 = time.perf_counter()
            sweep = run_sweep(
                data, DEFAULT_RATES, DEFAULT_HIDDEN, [0], DEFAULT_ITERATIONS, activation=settings.activation,
                threads=threads,
            )  # fmt: skip
            t1 = time.perf_counter()
            figures = {
                "heatmap": heatmap_figure(sweep, "train cost", (settings.learning_rate, settings.hidden_size)),
                "boundaries": boundaries_figure(sweep, data, settings.activation, plot_range(data[0].T), seed=0),
                "curves": curves_figure(sweep, seed=0),
            }
            t2 = time.perf_counter()
            sizes = {}
            for name, figure in figures.items():
                fig = plotly.tools.return_figure_from_figure_or_data(figure, validate_figure=True)
                sizes[name] = len(plotly.io.to_json(fig, validate=False))
            t3 = time.perf_counter()
            rows.append({"threads": threads, "train_s": t1 - t0, "build_s": t2 - t1, "serialise_s": t3 - t2, **sizes})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--screenshots", action="store_true", help="only save screenshots/sweep-<w>x<h>.png")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results, repeats = [], []
    with streamlit_server("app.py") as base, sync_playwright() as pw:
        url = f"{base}/sweep"
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        if args.screenshots:
            print("\n".join(map(str, screenshots(browser, url))))
            return
        one_run(browser, url)  # warm-up: the server's first sweep imports and compiles what it needs
        readers = []
        for k in range(args.runs):
            r = one_run(browser, f"{url}?dseed={k + 1}")
            again = one_run(browser, f"{url}?dseed={k + 1}")
            reader = one_run(browser, f"{url}?dseed={k + 101}", READ_SECONDS)
            results.append(r)
            repeats.append(again)
            readers.append(reader)
            print(
                f"run {k + 1}: click -> first heat map {r['first_s']:.2f} s (received at {r['first_sent_s']:.2f} s), "
                f"all drawn {r['drawn_s']:.2f} s "
                f"(training {r['train_s']:.1f} s by the caption; first message {r['first_msg_s']:.2f} s, "
                f"last {r['last_msg_s']:.2f} s, then "
                f"{r['browser_s']:.2f} s drawing in the browser); {r['messages']} messages, "
                f"{r['bytes'] / 1000:.0f} kB, largest {r['largest'] / 1000:.0f} kB"
                + (f", page errors {r['errors']}" if r["errors"] else ""),
                flush=True,
            )
            print(
                f"run {k + 1}, clicked after {READ_SECONDS:g} s on the page (its default grid trained ahead): all "
                f"drawn {reader['drawn_s']:.2f} s after the click",
                flush=True,
            )
            print(
                f"run {k + 1}, the same sweep again: all drawn {again['drawn_s']:.2f} s after the click "
                f"(caption {again['train_s']:.1f} s; last message {again['last_msg_s']:.2f} s, then "
                f"{again['browser_s']:.2f} s drawing in the browser)"
                + (f", page errors {again['errors']}" if again["errors"] else ""),
                flush=True,
            )
        browser.close()

    def med(rows, name):
        return statistics.median(r[name] for r in rows)

    print(
        f"medians of {len(results)} runs: click -> first heat map {med(results, 'first_s'):.2f} s, all drawn "
        f"{med(results, 'drawn_s'):.2f} s, training (caption) "
        f"{med(results, 'train_s'):.1f} s, last message {med(results, 'last_msg_s'):.2f} s, drawing in the "
        f"browser {med(results, 'browser_s'):.2f} s, {med(results, 'bytes') / 1000:.0f} kB received"
    )
    print(f"the same sweep again (kept by the server): all drawn {med(repeats, 'drawn_s'):.2f} s after the click")
    print(f"clicked after {READ_SECONDS:g} s on the page: all drawn {med(readers, 'drawn_s'):.2f} s after the click")
    print(f"load average after the browser runs: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    split = server_split(args.repeats)
    for k, r in enumerate(split):
        print(
            f"server {k + 1}: train {r['train_s']:.2f} s ({r['threads']} threads), build figures {r['build_s']:.3f} s, "
            f"serialise "
            f"{r['serialise_s']:.3f} s; JSON heatmap {r['heatmap'] / 1000:.0f} kB, boundaries "
            f"{r['boundaries'] / 1000:.0f} kB, curves {r['curves'] / 1000:.0f} kB"
        )
    print(
        f"server medians of {len(split)}: train {med(split, 'train_s'):.2f} s, build figures "
        f"{med(split, 'build_s'):.3f} s, serialise {med(split, 'serialise_s'):.3f} s"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
