"""Visits every page of the app with the network limited to loopback; run by tests/e2e/test_offline_e2e.py
inside a network namespace of its own (`unshare --net`), where it starts both the server and Chromium.

    python tests/e2e/offline_visit.py RESULT.json [SERVER.log]

Writes RESULT.json: the namespace's network interfaces and what connecting outside gave, each page's
heading (or the error that stopped it), every request that left 127.0.0.1, every uncaught page error and
every exception box Streamlit drew. The test asserts on it; this script asserts nothing.
"""

from __future__ import annotations

import errno
import json
import socket
import sys
from pathlib import Path

from playground_page import Guard, status, wait_for_final_frame

from tests.support.servers import CHROMIUM, CHROMIUM_ARGS, streamlit_server

TIMEOUT_MS = 120_000  # a 2-core machine shared with other test runs; no fixed sleeps
CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
# The pages, reached as a visitor reaches them (the sidebar's links), and the heading each one draws.
PAGES = {
    "Sweep": "Sweep learning rates and hidden sizes or batch sizes",
    "Compare runs": "Compare runs",
    "How it works": "How it works",
    "Your data": "Your own data",
    "Playground": "Watch a two-layer network learn",
}
SCENE_ITERATIONS = 5000  # ?scene=tutorial: the tutorial's 5,000 steps, trained at once


def network() -> dict:
    """The interfaces of this process's network namespace (not /sys/class/net, which shows the namespace
    sysfs was mounted in), and what connecting to an outside address gives."""
    try:
        socket.create_connection(("1.1.1.1", 80), timeout=3).close()
        outside = "connected"
    except OSError as error:
        outside = errno.errorcode.get(error.errno, str(error)) if error.errno else str(error)
    return {"interfaces": sorted(name for _, name in socket.if_nameindex()), "outside": outside}


def visit(url: str) -> dict:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    result = {"pages": {}, "outside": [], "errors": [], "exceptions": 0}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            guard = Guard(page)

            def record(name: str, check) -> None:
                try:
                    result["pages"][name] = check()
                except Exception as error:  # noqa: BLE001 - recorded for the test to report
                    result["pages"][name] = f"FAILED: {type(error).__name__}: {str(error)[:500]}"
                result["exceptions"] += page.locator("[data-testid='stException']").count()

            def presenter_scene() -> str:  # a talk's first link: presenter mode, the tutorial's scene trained
                page.goto(f"{url}/?present=1&scene=tutorial")
                page.wait_for_selector(CONNECTED)
                wait_for_final_frame(page, SCENE_ITERATIONS)
                return status(page).inner_text()

            def normal_playground() -> str:  # the sidebar shown, for the links to the other pages
                page.goto(f"{url}/")
                page.wait_for_selector(CONNECTED)
                expect(status(page)).to_contain_text("Ready")
                return status(page).inner_text()

            record("?present=1&scene=tutorial", presenter_scene)
            record("/", normal_playground)
            for title, heading in PAGES.items():

                def other_page(title=title, heading=heading) -> str:
                    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
                    shown = page.get_by_test_id("stHeadingWithActionElements").get_by_text(heading, exact=True)
                    expect(shown).to_be_visible()
                    page.wait_for_load_state("networkidle")  # fonts, icons and scripts the page asked for
                    return shown.inner_text()

                record(title, other_page)
            page.wait_for_load_state("networkidle")
            result["outside"], result["errors"] = guard.outside, guard.errors
        finally:
            browser.close()
    return result


def main(out: Path, log: Path | None) -> None:
    result = {"network": network()}
    try:
        with streamlit_server("app.py", log=log, timeout=120) as url:
            result["url"] = url
            result |= visit(url)
    except Exception as error:  # noqa: BLE001 - recorded for the test to report
        result["failed"] = f"{type(error).__name__}: {str(error)[:2000]}"
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
