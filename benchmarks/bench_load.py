"""Load test: how many people can train at once, smoothly, on one process (or several behind nginx).

    python benchmarks/bench_load.py                      # one `streamlit run app.py` process
    python benchmarks/bench_load.py --processes 2        # deploy/run_cluster.sh: 2 processes + nginx
    python benchmarks/bench_load.py --users browser      # Playwright pages (not drawing) instead
    python benchmarks/bench_load.py --users browser --draw   # ... that render the charts too
    python benchmarks/bench_load.py --url http://host:port --sessions 1,2,4

For each session count it opens that many sessions at once, each training a different configuration
(see tests/support/load_test.py), checks every result against the engine run headless, and prints
updates per second per session, the slowest tick, and the server's CPU: its share of one core and
its milliseconds per chart update. It starts and stops its own servers and ends by itself; the CPU is read
from /proc for its own server processes only (the machine is shared: other people's servers are not counted),
and the machine's load average is printed with every row.

Smooth means at least SMOOTH_UPDATES_PER_SECOND chart updates per second in every session and no
tick slower than SLOWEST_TICK seconds. The simulated users share the 2 cores with the server(s), so
by default they are protocol users (tests/support/protocol_user.py: Streamlit's websocket protocol, no browser,
a few ms of CPU per update); Playwright pages cost Chromium tens of ms per update even without
drawing, and use up the machine long before the server does.
"""

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # appkit and tests.support, without an install

from tests.support.load_test import run_sessions, summary  # noqa: E402
from tests.support.protocol_user import run_protocol_sessions  # noqa: E402
from tests.support.servers import cpu_seconds, environment, started, streamlit_process  # noqa: E402

SMOOTH_UPDATES_PER_SECOND = 4.0  # the tick asks for 10 (every 0.1 s); under 4 the cost curve visibly stutters
SLOWEST_TICK = 1.0
TABLE_HEADER = (
    "| sessions | all exact | median updates/s | lowest updates/s | slowest tick (s) | median run (s) "
    "| server CPU (cores) | server ms per update | longest interval asked (s) | smooth | load |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|"
)
PORT = 8632  # the single server's; a cluster's nginx listens on PORT + 1 and its backends from PORT + 2


@contextlib.contextmanager
def cluster(processes: int) -> Iterator[tuple[str, list[int]]]:
    """deploy/run_cluster.sh: `processes` Streamlit processes behind nginx; yields (nginx's URL, the backends' pids).
    The script runs in its own session, so its backends are the streamlit processes of that session."""
    env = environment(PYTHON=sys.executable, BACKEND_PORT=str(PORT + 2))
    command = ["bash", "deploy/run_cluster.sh", str(processes), str(PORT + 1)]
    with started(command, PORT + 1, env=env, timeout=180, group=True) as (url, proc):
        deadline = time.monotonic() + 60
        while len(pids := session_streamlit_pids(proc.pid)) < processes and time.monotonic() < deadline:
            time.sleep(0.5)
        yield url, pids


def session_streamlit_pids(session: int) -> list[int]:
    """The `streamlit run` processes in session `session` (field 6 of /proc/<pid>/stat)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[3]) == session and b"streamlit\0run" in command:
            pids.append(int(stat.parent.name))
    return pids


@contextlib.contextmanager
def one_process() -> Iterator[tuple[str, list[int]]]:
    with streamlit_process(port=PORT, timeout=120) as (url, pid):
        yield url, [pid]


def servers_cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--sessions", default="1,2,4,6,8,12")
    parser.add_argument("--iters", type=int, default=5000)
    parser.add_argument("--speed", type=int, default=100, help="steps per update (0: the app's auto speed)")
    parser.add_argument("--users", choices=("protocol", "browser"), default="protocol")
    parser.add_argument("--draw", action="store_true", help="browser users render the charts")
    parser.add_argument("--repeat", type=int, default=1, help="runs per session count; medians reported")
    parser.add_argument("--url", help="use a running server instead of starting one")
    parser.add_argument("--pids", default="", help="with --url: the server processes' pids, for their CPU")
    args = parser.parse_args()
    if args.url:
        servers = contextlib.nullcontext((args.url, [int(p) for p in args.pids.split(",") if p]))
    else:
        servers = cluster(args.processes) if args.processes > 1 else one_process()
    backends = [f"backend{i + 1}" for i in range(args.processes)] if args.processes > 1 and not args.url else None
    held = 0
    with servers as (url, pids):
        print(
            f"{args.processes} process(es) at {url} (pids {pids}); {args.iters} iterations per session, "
            f"{args.speed or 'auto'} steps per update; {args.users} users{' drawing' if args.draw else ''}; "
            f"load {os.getloadavg()}"
        )
        if args.users == "protocol":  # warm up: a fresh server's first page run imports and builds the app
            asyncio.run(run_protocol_sessions(url, 1, 100, backends=backends, speed=args.speed))
        print(TABLE_HEADER)
        for n in [int(s) for s in args.sessions.split(",")]:
            rows = []
            for _ in range(args.repeat):
                cpu, started = servers_cpu(pids), time.perf_counter()
                if args.users == "protocol":
                    sessions = run_protocol_sessions(url, n, args.iters, backends=backends, speed=args.speed)
                else:
                    sessions = run_sessions(url, n, args.iters, backends=backends, speed=args.speed, draw=args.draw)
                results = asyncio.run(sessions)
                cpu, wall = servers_cpu(pids) - cpu, time.perf_counter() - started
                row = summary(results)
                row["cores"] = cpu / wall  # includes page loads and downloads around the training
                row["ms per update"] = 1000 * cpu / max(1, sum(r.updates for r in results))
                # The tick interval the server set (protocol users record it; appkit/server_load.py stretches it).
                row["interval"] = max((max(r.tick_intervals, default=0.0) for r in results), default=0.0)
                rows.append(row)
            row = {key: statistics.median(r[key] for r in rows) for key in rows[0] if key != "all exact"}
            row["all exact"] = all(r["all exact"] for r in rows)
            smooth = row["lowest updates/s"] >= SMOOTH_UPDATES_PER_SECOND and row["slowest tick (s)"] <= SLOWEST_TICK
            held = n if smooth and row["all exact"] else held
            print(
                f"| {n} | {row['all exact']} | {row['median updates/s per session']:.1f} | "
                f"{row['lowest updates/s']:.1f} | {row['slowest tick (s)']:.2f} | {row['median run time (s)']:.1f} | "
                f"{row['cores']:.2f} | {row['ms per update']:.0f} | {row['interval']:.2f} | "
                f"{'yes' if smooth else 'no'} | {os.getloadavg()[0]:.1f} |",
                flush=True,
            )
    print(f"\nsessions held smoothly: {held}")


if __name__ == "__main__":
    main()
