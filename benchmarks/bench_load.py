"""Load test: how many people can train at once, smoothly, on one process (or several behind nginx).

    python benchmarks/bench_load.py                      # one `streamlit run app.py` process
    python benchmarks/bench_load.py --processes 2        # deploy/run_cluster.sh: 2 processes + nginx
    python benchmarks/bench_load.py --url http://host:port --sessions 1,2,4

For each session count it opens that many Playwright contexts at once, each training a different
configuration (see load_test.py), checks every result against the engine run headless, and prints
updates per second per session and the slowest tick. It starts and stops its own servers and ends
by itself. Smooth means at least SMOOTH_UPDATES_PER_SECOND chart updates per second in every
session and no tick slower than SLOWEST_TICK seconds. The browser that simulates the users runs
on the same 2 cores as the server(s), so the numbers are a lower bound for real users on their
own machines.
"""

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from load_test import run_sessions, summary  # noqa: E402

SMOOTH_UPDATES_PER_SECOND = 4.0  # the tick asks for 8.3 (every 0.12 s)
SLOWEST_TICK = 1.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"no server at {url}")


def start_servers(processes: int) -> tuple[str, subprocess.Popen]:
    port = free_port()
    env = os.environ | {"OPENBLAS_NUM_THREADS": "1"}
    if processes == 1:
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ]
    else:
        command = ["bash", "deploy/run_cluster.sh", str(processes), str(port)]
        env |= {"PYTHON": sys.executable, "BACKEND_PORT": str(free_port())}
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url)
    return url, server


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--sessions", default="1,2,4,6,8")
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--url", help="use a running server instead of starting one")
    args = parser.parse_args()
    url, server = (args.url, None) if args.url else start_servers(args.processes)
    backends = [f"backend{i + 1}" for i in range(args.processes)] if args.processes > 1 and not args.url else None
    print(f"{args.processes} process(es) at {url}; {args.iters} iterations per session; load {os.getloadavg()}")
    print("| sessions | all exact | median updates/s | lowest updates/s | slowest tick (s) | median run (s) | smooth |")
    print("|---|---|---|---|---|---|---|")
    held = 0
    try:
        for n in [int(s) for s in args.sessions.split(",")]:
            row = summary(asyncio.run(run_sessions(url, n, args.iters, backends=backends)))
            smooth = row["lowest updates/s"] >= SMOOTH_UPDATES_PER_SECOND and row["slowest tick (s)"] <= SLOWEST_TICK
            held = n if smooth and row["all exact"] else held
            print(
                f"| {n} | {row['all exact']} | {row['median updates/s per session']:.1f} | "
                f"{row['lowest updates/s']:.1f} | {row['slowest tick (s)']:.2f} | {row['median run time (s)']:.1f} | "
                f"{'yes' if smooth else 'no'} |",
                flush=True,
            )
    finally:
        if server is not None:
            stop(server)
    print(f"\nsessions held smoothly: {held}")


if __name__ == "__main__":
    main()
