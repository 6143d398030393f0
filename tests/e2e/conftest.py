"""Fixtures for the browser tests: the app's URL (a server of our own, or CI's) and Debian's Chromium.

`TWOLAYER_URL` set (CI's `.ci/run` starts `streamlit run app.py` itself): the tests use that server.
Otherwise one `streamlit run app.py` is started per session on a free port and stopped afterwards.

Playwright's own browser download cannot work here, so the tests drive Debian's Chromium
(`apt-get install -y chromium`). Without it or without the playwright package the tests are skipped,
except under CI (env var `CI` set), where they fail: a green CI must mean the browser tests ran.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # running as root
    "--disable-gpu",
    "--disable-background-networking",  # the network here refuses Google's hosts
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen | None, log: Path | None, timeout: float = STARTUP_SECONDS) -> None:
    """Polls `url/_stcore/health` until it answers "ok"; raises RuntimeError with the log otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text() if log else ''}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} not healthy after {timeout:.0f} s:\n{log.read_text() if log else ''}")
        time.sleep(0.2)


@contextmanager
def streamlit_server(script: str = "app.py", log: Path | None = None, port: int | None = None) -> Iterator[str]:
    """`streamlit run script` from the repo root, as Streamlit's own e2e suite starts it; yields its URL."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true", "--server.port", str(port)]
    cmd += ["--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    out = log.open("w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()


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
        with streamlit_server("app.py", log) as url:
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
