"""The Sweep's work has an owner, in a real browser: a big sweep stops when its tab closes (the server's CPU
falls to idle and `active_sessions` to 0 within seconds) and when Cancel is pressed.

A server of this module's own (the tests watch its process's CPU time). The sweep is the default grid on
5,000 points: about ten times the default's work (~60 s of one core here), so it would still be training
long after the checks below, and it asks for confirmation first (Allow a long sweep).
"""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import cpu_seconds, streamlit_process

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # the `browser` fixture skips the tests (or fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e

CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
IDLE_CORES = 0.05  # CPU time per wall second of a Streamlit process with nothing to do (measured: ~0.01)
WAIT = 60_000  # ms: 2 cores shared with other browser tests


@pytest.fixture(scope="module")
def server(chromium_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """(URL, pid) of a `streamlit run app.py` of this module's own."""
    with streamlit_process(log=tmp_path_factory.mktemp("sweep-server") / "server.log") as (url, pid):
        yield url, pid


def cores_used(pid: int, seconds: float) -> float:
    """CPU time per wall-clock second of `pid` over the next `seconds`."""
    cpu, wall = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - cpu) / (time.monotonic() - wall)


def active_sessions(url: str) -> int:
    """Streamlit's own gauge, from its OpenMetrics endpoint."""
    with urllib.request.urlopen(f"{url}/_stcore/metrics?families=active_sessions", timeout=10) as response:  # noqa: S310 - our server
        text = response.read().decode()
    return int(re.search(r"^active_sessions (\d+)", text, re.M).group(1))


def until_idle(pid: int, limit: float) -> tuple[float, float]:
    """Seconds until the process's CPU use over 0.5 s falls to idle (or `limit` passes), and that use."""
    start = time.monotonic()
    while (window := cores_used(pid, 0.5)) > IDLE_CORES and time.monotonic() - start < limit:
        pass
    return time.monotonic() - start, window


def start_big_sweep(browser: Browser, url: str) -> Page:
    """A new session on the Sweep with 5,000 points, running the default grid (allowed as a long sweep)."""
    warm = browser.new_page()  # the server's first session runs app.py: later links keep their settings
    warm.goto(url)
    expect(warm.get_by_text("Compare runs")).to_be_visible(timeout=WAIT)  # app.py's navigation is in place
    warm.context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(WAIT)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    page.goto(f"{url}/sweep?n=5000")
    page.wait_for_selector(CONNECTED)
    expect(page.get_by_text(re.compile(r"5,000 samples"))).to_be_visible()
    page.get_by_text("Allow a long sweep").click()
    page.get_by_role("button", name="Run sweep").click()
    # A percentage in the bar's text: training has started and reported at least once.
    expect(page.get_by_text(re.compile(r"Training 25 networks: \d+%"))).to_be_visible()
    return page


def test_closing_the_tab_mid_sweep_stops_its_training(browser: Browser, server: tuple[str, int]) -> None:
    url, pid = server
    page = start_big_sweep(browser, url)
    training = cores_used(pid, 1.5)
    expect(page.get_by_text(re.compile(r"Training 25 networks: \d+%"))).to_be_visible()  # still training
    assert not page.errors, page.errors
    sessions = active_sessions(url)
    page.context.close()
    drop, window = until_idle(pid, 6)
    after = cores_used(pid, 1.5)
    left = active_sessions(url)
    print(f"\nserver CPU: {training:.2f} cores sweeping, {after:.3f} cores from {drop:.1f} s after the tab closed")
    assert training > 2 * IDLE_CORES, f"the sweep used only {training:.2f} cores: nothing to compare with"
    assert sessions == 1 and left == 0, f"active sessions {sessions} while sweeping, {left} after the tab closed"
    assert window <= IDLE_CORES and drop <= 3.0, f"still {window:.2f} cores {drop:.1f} s after the tab closed"
    assert after <= IDLE_CORES, f"{after:.3f} cores over 1.5 s once the tab was closed"


def test_cancel_stops_the_sweep_and_says_so(browser: Browser, server: tuple[str, int]) -> None:
    url, pid = server
    page = start_big_sweep(browser, url)
    training = cores_used(pid, 1.0)
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text("Sweep cancelled.")).to_be_visible()  # there were no results before
    drop, window = until_idle(pid, 6)
    print(f"\nserver CPU: {training:.2f} cores sweeping; idle {drop:.1f} s after Cancel")
    assert training > 2 * IDLE_CORES and window <= IDLE_CORES and drop <= 3.0, (training, window, drop)
    expect(page.get_by_text(re.compile(r"Training 25 networks"))).to_have_count(0)
    expect(page.get_by_text("Choose the values and press Run sweep.")).to_be_visible()  # no results before
    assert active_sessions(url) == 1 and not page.errors, page.errors
    page.context.close()


def test_the_same_sweep_again_is_drawn_without_training(browser: Browser, server: tuple[str, int]) -> None:
    """Two visitors run the default grid on the same data: the first trains it, the second gets the results the
    server kept (appkit.sweep.finished) with a note saying so, for a small share of the first one's CPU."""
    url, pid = server
    spent, captions = [], []
    for visit in (1, 2):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.set_default_timeout(WAIT)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))  # noqa: B023 - used before the next visit
        page.goto(f"{url}/sweep?dseed=7")  # data no other test of this server sweeps
        page.wait_for_selector(CONNECTED)
        page.locator(".st-key-sweep_preview .main-svg").first.wait_for()
        cpu = cpu_seconds(pid)
        page.get_by_role("button", name="Run sweep").click()
        page.locator(".st-key-sweep_curves .main-svg").first.wait_for(timeout=3 * WAIT)  # the last chart drawn
        spent.append(cpu_seconds(pid) - cpu)
        captions.append(page.get_by_text(re.compile(r"^25 networks × 2,000 iterations in")).inner_text())
        kept = page.get_by_text(re.compile(r"^The same sweep ran before on this server: its results were kept"))
        expect(kept).to_have_count(0 if visit == 1 else 1)
        assert not errors, errors
        context.close()
    print(f"\nserver CPU: {spent[0]:.2f} s for the first sweep, {spent[1]:.2f} s for the same again; {captions}")
    assert captions[1] == "25 networks × 2,000 iterations in 0.0 s."
    assert spent[1] < spent[0] / 4, f"the repeat cost {spent[1]:.2f} s of CPU, the first sweep {spent[0]:.2f} s"
