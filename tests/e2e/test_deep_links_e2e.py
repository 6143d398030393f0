"""Deep links on a brand-new server and across a restart, in a real browser (Debian's Chromium).

Streamlit runs a file of `pages/` in its older multipage mode until some session has run `app.py`'s
`st.navigation`, so the first visitor of a fresh (or restarted) server is the one a deep link can fail:
it used to land on the defaults with the URL rewritten to `/`, and `/your-data` showed a false "Page not
found" dialog first (issue 10). Every test here starts its own server, so its first visitor is the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import free_port, running, streamlit_command

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # the `browser` fixture skips the tests (or fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 90_000  # a fresh server's first run imports NumPy, scikit-learn and Plotly on 2 shared cores
CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
DEEP_LINK = "/playground?iters=50000&hidden=8"
# Streamlit's "Page not found" is a modal in the page, not a JS dialog, and it may close again: record
# every one that ever appears, from the first paint on.
RECORD_NOT_FOUND_JS = """
window.__notFound = [];
new MutationObserver(() => {
    for (const dialog of document.querySelectorAll("[role='dialog']")) {
        const text = dialog.innerText || "";
        if (/page not found/i.test(text) && !window.__notFound.includes(text)) window.__notFound.push(text);
    }
}).observe(document, {childList: true, subtree: true, characterData: true});
"""


@pytest.fixture(autouse=True)
def patient_expect(browser: Browser) -> Iterator[None]:
    expect.set_options(timeout=TIMEOUT_MS)
    yield
    expect.set_options(timeout=5_000)


class Server:
    """`streamlit run app.py` on one port, started and stopped on demand (a restart keeps the port)."""

    def __init__(self, log_dir: Path) -> None:
        self.port, self.log_dir, self.starts = free_port(), log_dir, 0

    def run(self):
        self.starts += 1
        log = self.log_dir / f"server-{self.starts}.log"
        return running(streamlit_command("app.py", self.port), self.port, log=log, timeout=60)


def open_link(browser: Browser, url: str) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(RECORD_NOT_FOUND_JS)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("dialog", lambda dialog: (page.errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.goto(url)
    page.wait_for_selector(CONNECTED)
    return page


def expect_deep_link_settings(page: Page) -> None:
    """The playground with 8 hidden units and 50,000 iterations, and the address bar still saying so (the
    Playground is the default page: Streamlit writes its address as `/`)."""
    expect(page.locator("[data-testid='appkit-metric-label']").first).to_have_text("Iteration (of 50,000)")
    expect(page.get_by_role("slider", name="Hidden units")).to_have_value("8")
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/(playground)?\?(.*&)?iters=50000(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]hidden=8(&|$)"))


def expect_your_data(page: Page) -> None:
    expect(page.get_by_text("Your own data")).to_be_visible()
    expect(page.get_by_test_id("stFileUploader")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/your-data$"))


def assert_clean(page: Page) -> None:
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    assert page.evaluate("window.__notFound") == []
    assert page.errors == []


def test_the_first_visitor_of_a_new_server_keeps_a_deep_links_settings(browser: Browser, tmp_path: Path) -> None:
    with Server(tmp_path).run() as url:
        page = open_link(browser, url + DEEP_LINK)
        try:
            expect_deep_link_settings(page)
            assert_clean(page)
        finally:
            page.context.close()


def test_the_first_visitor_of_a_new_server_opens_another_page_with_its_settings(
    browser: Browser, tmp_path: Path
) -> None:
    with Server(tmp_path).run() as url:
        page = open_link(browser, url + "/how-it-works?hidden=8")
        try:
            expect(page.get_by_text("How it works", exact=True).last).to_be_visible()
            expect(page.get_by_text(re.compile(r"^Everything below uses .*\(8 hidden units, tanh\)"))).to_be_visible()
            expect(page).to_have_url(re.compile(r"/how-it-works\?hidden=8$"))
            assert_clean(page)
        finally:
            page.context.close()


def test_deep_links_survive_a_restart(browser: Browser, tmp_path: Path) -> None:
    """A tab left open on a deep link reconnects to a restarted server with its settings, and the restarted
    server's first new visitor of a deep link to another page sees that page."""
    server = Server(tmp_path)
    with server.run() as url:
        kept = open_link(browser, url + DEEP_LINK)
        expect_deep_link_settings(kept)
    try:
        kept.wait_for_function(
            "() => document.querySelector(\"[data-testid='stApp']\").dataset.testConnectionState !== 'CONNECTED'"
        )
        with server.run() as url:
            newcomer = open_link(browser, url + "/your-data")
            try:
                expect_your_data(newcomer)
                assert_clean(newcomer)
            finally:
                newcomer.context.close()
            kept.wait_for_selector(CONNECTED)
            expect_deep_link_settings(kept)
            assert_clean(kept)
    finally:
        kept.context.close()
