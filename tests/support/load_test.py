"""Concurrent browser sessions against one URL, each training its own configuration.

Each session is a Playwright context (its own cookies, so behind nginx its own backend) with one
page that opens the playground with its settings in the URL, presses Train, and records every
chart update (the live chart's `_revision` counter) with the page's clock. At the end it downloads
the parameters JSON and compares them, exactly, with the engine trained headless on the same
settings: any cross-talk between sessions would show there.
"""

import asyncio
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import async_playwright

from appkit.assets import PLOTLY_FILE
from appkit.build import build_data, build_trainer
from appkit.settings import BY_NAME, Settings, to_query
from tests.support.servers import CHROMIUM, CHROMIUM_ARGS

ITERATIONS = BY_NAME["iterations"].choices

LEARNING_RATES = (0.1, 0.2, 0.3, 0.5, 1.0, 2.0)
HIDDEN = (3, 4, 5, 6, 8)
# The page is at rest: no script run (full or fragment) for 300 ms straight.
REST_JS = """() => { const app = document.querySelector("[data-testid='stApp']");
  const now = performance.now(), running = app?.getAttribute('data-test-script-state') === 'running';
  if (running || window.__restSince === undefined) window.__restSince = now;
  return !running && now - window.__restSince >= 300; }"""
# Served instead of the vendored plotly.js to users who do not draw: the live chart awaits `react`, and counts
# its own revisions, which the sampler below reads.
PLOTLY_STAND_IN = "window.Plotly = {react: async (div) => div, purge() {}, Plots: {resize() {}}};"

# Records (time, revision) whenever the cost chart's revision changes, from the first frame on.
SAMPLER = """() => {
  window.__updates = [];
  let last = -1;
  const tick = (t) => {
    const div = document.querySelector('.st-key-cost_chart .appkit-live-chart');
    const revision = div ? (div._revision || 0) : -1;
    if (revision !== last) { window.__updates.push([t, revision]); last = revision; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def session_settings(index: int, iterations: int, speed: int = 0) -> Settings:
    """A different configuration for each session (learning rate, hidden size, seeds); `speed` steps per
    update (0: the app's auto speed, a run in ~16 updates)."""
    if iterations not in ITERATIONS:
        raise ValueError(f"iterations must be one of the app's choices {ITERATIONS}, got {iterations!r}")
    return Settings(
        learning_rate=LEARNING_RATES[index % len(LEARNING_RATES)],
        hidden_size=HIDDEN[index % len(HIDDEN)],
        iterations=iterations,
        data_seed=index,
        init_seed=index,
        speed=speed,
    )


@dataclass
class SessionResult:
    index: int
    settings: Settings
    backend: str | None  # nginx's X-Twolayer-Backend header, when there is one
    updates: int  # chart updates seen while training
    seconds: float  # from the click on Train to the last update
    slowest_tick: float  # longest gap between two chart updates while training, seconds
    exact: bool  # the downloaded parameters equal the headless engine's, bit for bit
    tick_intervals: tuple = ()  # protocol users: every tick interval (s) the server set for the session

    @property
    def updates_per_second(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0


def headless_params(settings: Settings) -> dict:
    trainer = build_trainer(settings, build_data(settings))
    trainer.train(settings.iterations)
    return {name: value.tolist() for name, value in trainer.params.items()}


async def one_session(
    browser,
    url: str,
    index: int,
    iterations: int,
    start: asyncio.Barrier,
    timeout: float,
    backend_cookie: str | None = None,
    speed: int = 0,
    draw: bool = True,
) -> SessionResult:
    settings = session_settings(index, iterations, speed)
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    if not draw:
        await context.route(
            f"**/{PLOTLY_FILE}*",
            lambda route: route.fulfill(body=PLOTLY_STAND_IN, content_type="text/javascript"),
        )
    if backend_cookie:
        await context.add_cookies([{"name": "twolayer_backend", "value": backend_cookie, "url": url}])
    page = await context.new_page()
    query = "&".join(f"{k}={v}" for k, v in to_query(settings).items())
    response = await page.goto(f"{url}/?{query}")
    backend = response.headers.get("x-twolayer-backend") if response else None
    await page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout * 1000
    )
    await page.get_by_role("button", name="Train").wait_for(timeout=timeout * 1000)
    await page.wait_for_selector(".st-key-cost_chart .appkit-live-chart", timeout=timeout * 1000)
    await page.evaluate(SAMPLER)
    await page.wait_for_function(REST_JS, timeout=timeout * 1000, polling=50)  # the first visit's runs are over
    await asyncio.wait_for(start.wait(), timeout)  # every session presses Train together
    clicked = await page.evaluate("() => performance.now()")
    await page.get_by_role("button", name="Train").click()
    try:
        await page.get_by_text("Done:").wait_for(timeout=timeout * 1000)
    except PlaywrightTimeout as error:  # say what the page shows instead
        shown = await page.locator("[data-testid='stCaptionContainer']").all_inner_texts()
        raise AssertionError(f"session {index} did not finish; its captions: {shown}") from error
    updates = [(t, r) for t, r in await page.evaluate("() => window.__updates") if t >= clicked]
    times = [clicked] + [t for t, _ in updates]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    params = json.loads(await download_at_rest(page, "Parameters (JSON)", timeout))["params"]
    exact = params == headless_params(settings)
    await context.close()
    return SessionResult(
        index, settings, backend, len(updates), (times[-1] - clicked) / 1000, max(gaps) / 1000 if gaps else 0.0, exact
    )


async def download_at_rest(page, button: str, timeout: float) -> str:
    """The text a download button gives, clicked once the page's runs have ended. A click during a run (the
    final rerun after "Done:", or a tick the browser's timer had already asked for) may use the button's file
    id of the run before, which that run has just replaced: the browser's download is then cancelled (seen in CI
    with 3 browsers and 4 protocol users on 2 cores). A person clicks again; so does this, once."""
    for attempt in range(2):
        await page.wait_for_function(REST_JS, timeout=timeout * 1000, polling=50)
        async with page.expect_download() as download_info:
            await page.get_by_role("button", name=button).click()
        download = await download_info.value
        if await download.failure() is None or attempt:
            return Path(await download.path()).read_text()
    raise AssertionError("unreachable")


async def run_sessions(
    url: str,
    sessions: int,
    iterations: int,
    timeout: float = 120.0,
    backends: list[str] | None = None,
    speed: int = 0,
    draw: bool = True,
) -> list[SessionResult]:
    """Opens `sessions` pages at once, starts them together, waits for all to finish. `backends`
    (nginx cookie values) pins session i to backends[i % len(backends)]; `speed` and `draw` as in
    `session_settings` and the module's docstring."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            return await gather_sessions(
                lambda i, start, cookie: one_session(browser, url, i, iterations, start, timeout, cookie, speed, draw),
                sessions,
                backends,
            )
        finally:
            await browser.close()


async def gather_sessions(one, sessions: int, backends: list[str] | None) -> list[SessionResult]:
    """Runs `one(index, start barrier, backend cookie)` for every session at once; session i is pinned to
    backends[i % len(backends)] when there are backends."""
    start = asyncio.Barrier(sessions)
    cookies = [backends[i % len(backends)] if backends else None for i in range(sessions)]
    return list(await asyncio.gather(*[one(i, start, cookies[i]) for i in range(sessions)]))


def summary(results: list[SessionResult]) -> dict:
    return {
        "sessions": len(results),
        "all exact": all(r.exact for r in results),
        "median updates/s per session": statistics.median(r.updates_per_second for r in results),
        "lowest updates/s": min(r.updates_per_second for r in results),
        "slowest tick (s)": max(r.slowest_tick for r in results),
        "median run time (s)": statistics.median(r.seconds for r in results),
    }
