"""A short load test for CI: concurrent sessions on one server, and two processes behind nginx.

The full-size runs are `benchmarks/bench_load.py`; here a few sessions check that every one
finishes with exactly the engine's result (no cross-talk) and that nginx keeps each on its backend.
"""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from load_test import run_sessions  # noqa: E402

needs_browser = pytest.mark.skipif(
    not os.environ.get("CI") and not Path("/usr/bin/chromium").exists(),
    reason="no Chromium at /usr/bin/chromium (apt-get install -y chromium)",
)


@needs_browser
def test_concurrent_sessions_each_get_their_own_exact_result(app_url):
    results = asyncio.run(run_sessions(app_url, sessions=3, iterations=500, timeout=180))
    assert [r.exact for r in results] == [True, True, True]
    assert all(r.updates >= 2 for r in results)
    assert len({r.settings for r in results}) == 3


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster():
    if not shutil.which("nginx"):
        if os.environ.get("CI"):
            pytest.fail("nginx is missing: .ci/run installs it (apt-get install -y nginx)")
        pytest.skip("no nginx (apt-get install -y nginx)")
    port = free_port()
    env = os.environ | {"PYTHON": sys.executable, "BACKEND_PORT": str(free_port())}
    server = subprocess.Popen(
        ["bash", "deploy/run_cluster.sh", "2", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                os.killpg(server.pid, signal.SIGTERM)
                pytest.fail("the cluster did not start")
            time.sleep(0.5)
    yield url
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


@needs_browser
def test_two_processes_behind_nginx_keep_each_session_on_its_backend(cluster):
    results = asyncio.run(
        run_sessions(cluster, sessions=2, iterations=500, timeout=180, backends=["backend1", "backend2"])
    )
    assert sorted(r.backend for r in results) == ["backend1", "backend2"]
    assert all(r.exact for r in results)
