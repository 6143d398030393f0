"""Safe defaults of a plain `streamlit run app.py` (issue 10): it listens on loopback only, and an uncaught
exception reaches the browser as Streamlit's generic message, without its text, type or traceback."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import ROOT, free_port, running, streamlit_command

LOOPBACK = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it (hex, host byte order on x86)


def listening_addresses(port: int) -> set[str]:
    """The local addresses of every socket listening on `port`, from /proc/net/tcp and tcp6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: TCP_LISTEN
                found.add(address)
    return found


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(
            lambda port: [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
            ],
            id="the-readme-command",
        ),  # fmt: skip
        pytest.param(lambda port: streamlit_command("app.py", port), id="test-and-benchmark-servers"),
    ],
)
def test_a_server_listens_on_loopback_only(command, tmp_path: Path) -> None:
    """The README's command (the project's config alone decides) and every test or benchmark server."""
    port = free_port()
    with running(command(port), port, log=tmp_path / "server.log", timeout=60):
        addresses = listening_addresses(port)
    assert addresses == {LOOPBACK}, addresses  # not 00000000 (every IPv4 interface) nor :: (every IPv6 one)


@pytest.fixture
def project_config(monkeypatch: pytest.MonkeyPatch):
    """Streamlit's config as `streamlit run app.py` reads it from the repository root; re-read afterwards."""
    from streamlit import config

    here = Path.cwd()
    monkeypatch.chdir(ROOT)
    config.get_config_options(force_reparse=True)
    yield config
    monkeypatch.chdir(here)
    config.get_config_options(force_reparse=True)


def test_the_config_binds_loopback_and_hides_error_details(project_config) -> None:
    assert project_config.get_option("server.address") == "127.0.0.1"
    # "none", not false: false is the legacy spelling of "stacktrace", which still sends the traceback
    assert project_config.get_option("client.showErrorDetails") == "none"


def test_an_uncaught_exception_reaches_the_page_without_its_details(project_config) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string('raise ValueError("/srv/secret/path.py is missing")').run()
    [shown] = at.exception
    assert "secret" not in shown.message and "redacted" in shown.message
    assert list(shown.stack_trace) == [] and shown.proto.type == ""


def test_streamlits_default_would_show_them(project_config) -> None:
    """The reference for the test above: with Streamlit's default ("full") the same page shows all three."""
    from streamlit.testing.v1 import AppTest

    project_config.set_option("client.showErrorDetails", "full")
    at = AppTest.from_string('raise ValueError("/srv/secret/path.py is missing")').run()
    [shown] = at.exception
    assert "/srv/secret/path.py" in shown.message and shown.proto.type == "ValueError" and list(shown.stack_trace)


def test_the_readme_says_how_to_open_the_app_to_a_network() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "--server.address 0.0.0.0" in readme


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["0"], {}, "processes must be a whole number from 1 to 32, got '0'"),
        (["2", "80; rm -rf /"], {}, "port must be a whole number from 1 to 65535, got '80; rm -rf /'"),
        (["2", "99999"], {}, "port must be a whole number from 1 to 65535"),
        (["2", "8080"], {"PER_IP_CONNECTIONS": "-1"}, "PER_IP_CONNECTIONS must be a whole number from 1 to 1000"),
        (["2", "8080"], {"LISTEN_ADDRESS": "0.0.0.0:80 default_server"}, "LISTEN_ADDRESS must be an IP address"),
    ],
)
def test_run_cluster_refuses_bad_arguments_with_a_message(args, env, message) -> None:
    """Checked before anything starts: a clear message and exit status 2, not a broken nginx.conf."""
    command = ["bash", str(ROOT / "deploy" / "run_cluster.sh"), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, env={**os.environ, **env})  # noqa: S603
    assert result.returncode == 2 and message in result.stderr, (result.returncode, result.stderr)


@pytest.mark.parametrize("script", [".ci/run", "deploy/run_cluster.sh"])
def test_scripts_stop_only_what_they_started(script: str) -> None:
    """By PID or process group: `pkill -f <pattern>` also killed every matching server on the machine."""
    text = (ROOT / script).read_text()
    assert not re.search(r"\b(pkill|killall)\b", text), f"{script} kills processes by name"
