"""Fixtures for the browser tests: the app's URL (a server of our own, or CI's) and Debian's Chromium.

`TWOLAYER_URL` set (CI's `.ci/run` starts `streamlit run app.py` itself): the tests use that server.
Otherwise one `streamlit run app.py` is started per session on a free port and stopped afterwards.

Playwright's own browser download cannot work here, so the tests drive Debian's Chromium
(`apt-get install -y chromium`). Without it or without the playwright package the tests are skipped,
except under CI (env var `CI` set), where they fail: a green CI must mean the browser tests ran.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import CHROMIUM, CHROMIUM_ARGS, cluster, streamlit_server, wait_healthy


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium, after checking it and playwright are there (skip locally, fail under CI)."""
    missing = [] if CHROMIUM.exists() else [f"{CHROMIUM} (apt-get install -y chromium)"]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install playwright)")
    if missing:
        reason = "missing " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so the browser tests must run")
        print(f"skipping the browser tests: {reason}")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def app_url(chromium_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the running app: $TWOLAYER_URL, or a `streamlit run app.py` started for this session."""
    if url := os.environ.get("TWOLAYER_URL"):
        url = url.rstrip("/")
        try:
            wait_healthy(url, None, None)
        except RuntimeError as error:
            pytest.fail(f"TWOLAYER_URL={url} is set but the app does not answer: {error}")
        yield url
        return
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    try:
        with streamlit_server("app.py", log=log) as url:
            yield url  # pytest does not throw test failures into fixtures: only startup errors land below
    except RuntimeError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="module")
def browser(chromium_path: Path):
    """One headless Chromium per test module; tests open their own contexts (sessions) in it.

    Module scope, not session: Playwright's sync API allows one running instance per thread, so a
    session-wide one would break test modules that start their own (tests/e2e/test_live_chart.py).
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def nginx_cluster(chromium_path: Path) -> Iterator[str]:
    """`deploy/run_cluster.sh 2` (two Streamlit processes behind nginx) for the module; yields nginx's URL.
    Skips without nginx, or fails under CI, which installs it."""
    if not shutil.which("nginx"):
        if os.environ.get("CI"):
            pytest.fail("nginx is missing: .ci/run installs it (apt-get install -y nginx)")
        pytest.skip("no nginx (apt-get install -y nginx)")
    try:
        with cluster(2) as url:
            yield url
    except RuntimeError as error:
        pytest.fail(f"the cluster did not start: {error}")
