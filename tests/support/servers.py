"""Starting and stopping a `streamlit run` for the browser tests and the benchmarks, in one place.

Started as Streamlit's own e2e suite starts it (headless, no file watcher, no usage stats), from the
repository root with the root on PYTHONPATH, listening on loopback only; ready once `/_stcore/health`
answers "ok".
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # running as root
    "--disable-gpu",
    "--disable-background-networking",  # the network here refuses Google's hosts
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_command(script: str, port: int, runner: list[str] | None = None) -> list[str]:
    """`python -m streamlit run script` with the test options; `runner` replaces `-m streamlit run`
    (a wrapper script that takes the same arguments). Bound to 127.0.0.1 on the command line as well as in
    .streamlit/config.toml: a test server is never reachable from the network, whatever config is read."""
    options = [script, "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port)]
    options += ["--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    return [sys.executable, *(runner or ["-m", "streamlit", "run"]), *options]


def environment(**extra: str) -> dict[str, str]:
    """This process's environment with the repo root first on PYTHONPATH."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:  # noqa: S310 - our server's http URL
            return response.read() == b"ok"
    except OSError:
        return False


def wait_healthy(url: str, proc: subprocess.Popen | None = None, log: Path | None = None, timeout: float = 30) -> None:
    """Polls until `url` answers; raises RuntimeError (with the log's end) if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while not healthy(url):
        tail = log.read_text()[-3000:] if log and log.exists() else ""
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} not healthy after {timeout:.0f} s:\n{tail}")
        time.sleep(0.2)


def stop(proc: subprocess.Popen, group: bool = False) -> None:
    """SIGTERM (to the whole process group with `group`), then SIGKILL after 10 s."""
    if proc.poll() is not None:
        return
    send = (lambda sig: os.killpg(proc.pid, sig)) if group else proc.send_signal
    send(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        proc.wait()


@contextmanager
def started(
    command: list[str],
    port: int,
    *,
    log: Path | None = None,
    env: dict | None = None,
    timeout: float = 30,
    group: bool = False,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Runs `command` (serving on `port`) until the block ends; yields (URL, process). `group` runs it in its
    own process group and stops the whole group (for scripts that start servers of their own)."""
    out = log.open("w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(  # noqa: S603 - a command line built here (streamlit or run_cluster.sh), no shell
        command, cwd=ROOT, env=env or environment(), stdout=out, stderr=subprocess.STDOUT, start_new_session=group
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc, log, timeout)
        yield url, proc
    finally:
        stop(proc, group)
        if log:
            out.close()


@contextmanager
def running(command: list[str], port: int, **options) -> Iterator[str]:
    """`started`, yielding only the URL."""
    with started(command, port, **options) as (url, _):
        yield url


@contextmanager
def streamlit_server(script: str = "app.py", *, log: Path | None = None, timeout: float = 30) -> Iterator[str]:
    """`streamlit run script` on a free port until the block ends; yields its URL."""
    port = free_port()
    with running(streamlit_command(script, port), port, log=log, timeout=timeout) as url:
        yield url


@contextmanager
def streamlit_process(
    script: str = "app.py", *, port: int | None = None, log: Path | None = None, timeout: float = 60
) -> Iterator[tuple[str, int]]:
    """`streamlit run script` until the block ends; yields (URL, pid), for measuring the server's own CPU time
    (`cpu_seconds`)."""
    port = port or free_port()
    with started(streamlit_command(script, port), port, log=log, timeout=timeout) as (url, proc):
        yield url, proc.pid


@contextmanager
def cluster(processes: int, *, timeout: float = 180) -> Iterator[str]:
    """`deploy/run_cluster.sh`: `processes` Streamlit processes behind nginx; yields nginx's URL."""
    port = free_port()
    env = environment(PYTHON=sys.executable, BACKEND_PORT=str(free_port()))
    command = ["bash", "deploy/run_cluster.sh", str(processes), str(port)]
    with running(command, port, env=env, timeout=timeout, group=True) as url:
        yield url


def _cpu_ticks(stat: str) -> int:
    """User + system CPU time in clock ticks, from the text of /proc/<pid>/stat (fields 14 and 15 of proc(5),
    counted after the command name, which may hold spaces and parentheses)."""
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (every thread), from /proc/<pid>/stat."""
    return _cpu_ticks(Path(f"/proc/{pid}/stat").read_text()) / os.sysconf("SC_CLK_TCK")


def streamlit_cpu_seconds() -> float:
    """CPU time (user + system) used so far by every running `streamlit run` process on this machine,
    read from /proc: the benchmarks start their own servers, so these are theirs."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            cmdline = (stat.parent / "cmdline").read_bytes().split(b"\0")
            if b"streamlit" not in b" ".join(cmdline) or b"run" not in cmdline:
                continue
            total += _cpu_ticks(stat.read_text())
        except OSError:  # the process ended meanwhile
            continue
    return total / os.sysconf("SC_CLK_TCK")
