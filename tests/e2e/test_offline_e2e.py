"""The app works offline, as on a speaker's laptop with no network: in a network namespace that has only the
loopback interface (`unshare --net`, then `ip link set lo up`), `streamlit run app.py` and Debian's Chromium
both run (tests/e2e/offline_visit.py), and every page loads (the presenter's tutorial scene trains to its
end; Sweep, Compare runs, How it works and Your data show their headings) with no request leaving 127.0.0.1,
no uncaught page error and no exception drawn.

Needs root or unprivileged user namespaces for `unshare`; without them the test is skipped with the reason,
except under CI (`CI` set), where that fails, as a missing Chromium does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from offline_visit import PAGES as HEADINGS

from tests.support.servers import ROOT, environment, stop

pytestmark = pytest.mark.e2e

VISIT = Path(__file__).with_name("offline_visit.py")


def unshare_prefix() -> list[str]:
    """`unshare --net` (as root) or with a user namespace; skips (fails under CI) if neither works here."""
    prefix = ["unshare", "--net"] if os.geteuid() == 0 else ["unshare", "--user", "--map-root-user", "--net"]
    problem = None
    if not shutil.which("unshare") or not shutil.which("ip"):
        problem = "unshare (util-linux) and ip (iproute2) are needed"
    else:
        done = subprocess.run([*prefix, "true"], capture_output=True, text=True)  # noqa: S603 - fixed argv
        if done.returncode != 0:
            problem = f"cannot make a network namespace here: {done.stderr.strip()[:200]}"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"{problem}; CI is set, so the offline check must run")
        pytest.skip(problem)
    return prefix


@pytest.fixture(scope="module")
def offline(chromium_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """offline_visit.py's result, run inside a namespace with only loopback."""
    folder = tmp_path_factory.mktemp("offline")
    out, log = folder / "result.json", folder / "server.log"
    inner = f'ip link set lo up && exec "$0" {VISIT} {out} {log}'
    proc = subprocess.Popen(  # noqa: S603 - our own fixed command line
        [*unshare_prefix(), "sh", "-c", inner, sys.executable],
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the server and Chromium are its children: stopped with it as a group
    )
    try:
        output, _ = proc.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        stop(proc, group=True)
        pytest.fail("the offline visit did not finish in 15 minutes")
    assert proc.returncode == 0 and out.exists(), f"the offline visit failed ({proc.returncode}):\n{output[-3000:]}"
    result = json.loads(out.read_text())
    assert "failed" not in result, f"{result['failed']}\nserver log:\n{log.read_text()[-3000:] if log.exists() else ''}"
    return result


def test_the_namespace_has_only_loopback(offline):
    """So the rest means something: nothing outside 127.0.0.1 could have answered."""
    assert offline["network"]["interfaces"] == ["lo"]
    assert offline["network"]["outside"] == "ENETUNREACH"
    assert offline["url"].startswith("http://127.0.0.1:")


def test_every_page_loads_offline(offline):
    pages = offline["pages"]
    assert pages["?present=1&scene=tutorial"].startswith("Done"), pages
    assert pages["/"].startswith("Ready"), pages
    assert {title: pages.get(title) for title in HEADINGS} == HEADINGS


def test_no_request_leaves_127_0_0_1_and_nothing_breaks(offline):
    assert offline["outside"] == []
    assert offline["errors"] == []
    assert offline["exceptions"] == 0
