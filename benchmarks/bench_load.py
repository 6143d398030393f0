"""Load test: how many people can train at once, smoothly, on one process (or several behind nginx).

    python benchmarks/bench_load.py                      # one `streamlit run app.py` process
    python benchmarks/bench_load.py --processes 2        # deploy/run_cluster.sh: 2 processes + nginx
    python benchmarks/bench_load.py --users browser      # Playwright pages (not drawing) instead
    python benchmarks/bench_load.py --users browser --draw   # ... that render the charts too
    python benchmarks/bench_load.py --url http://host:port --sessions 1,2,4

For each session count it opens that many sessions at once, each training a different configuration
(see tests/support/load_test.py), checks every result against the engine run headless, and prints
updates per second per session, the slowest tick, and the server's CPU: its share of one core and
its milliseconds per chart update. It starts and stops its own servers and ends by itself.

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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # appkit and tests.support, without an install

from tests.support.load_test import run_sessions, summary  # noqa: E402
from tests.support.protocol_user import run_protocol_sessions  # noqa: E402
from tests.support.servers import cluster, streamlit_cpu_seconds, streamlit_server  # noqa: E402

SMOOTH_UPDATES_PER_SECOND = 4.0  # the tick asks for 10 (every 0.1 s); under 4 the cost curve visibly stutters
SLOWEST_TICK = 1.0
TABLE_HEADER = (
    "| sessions | all exact | median updates/s | lowest updates/s | slowest tick (s) | median run (s) "
    "| server CPU (cores) | server ms per update | smooth |\n|---|---|---|---|---|---|---|---|---|"
)


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
    args = parser.parse_args()
    if args.url:
        servers = contextlib.nullcontext(args.url)
    else:
        servers = cluster(args.processes) if args.processes > 1 else streamlit_server(timeout=120)
    backends = [f"backend{i + 1}" for i in range(args.processes)] if args.processes > 1 and not args.url else None
    held = 0
    with servers as url:
        print(
            f"{args.processes} process(es) at {url}; {args.iters} iterations per session, {args.speed or 'auto'} "
            f"steps per update; {args.users} users{' drawing' if args.draw else ''}; load {os.getloadavg()}"
        )
        print(TABLE_HEADER)
        for n in [int(s) for s in args.sessions.split(",")]:
            rows = []
            for _ in range(args.repeat):
                cpu, started = streamlit_cpu_seconds(), time.perf_counter()
                if args.users == "protocol":
                    sessions = run_protocol_sessions(url, n, args.iters, backends=backends, speed=args.speed)
                else:
                    sessions = run_sessions(url, n, args.iters, backends=backends, speed=args.speed, draw=args.draw)
                results = asyncio.run(sessions)
                cpu, wall = streamlit_cpu_seconds() - cpu, time.perf_counter() - started
                row = summary(results)
                row["cores"] = cpu / wall  # includes page loads and downloads around the training
                row["ms per update"] = 1000 * cpu / max(1, sum(r.updates for r in results))
                rows.append(row)
            row = {key: statistics.median(r[key] for r in rows) for key in rows[0] if key != "all exact"}
            row["all exact"] = all(r["all exact"] for r in rows)
            smooth = row["lowest updates/s"] >= SMOOTH_UPDATES_PER_SECOND and row["slowest tick (s)"] <= SLOWEST_TICK
            held = n if smooth and row["all exact"] else held
            print(
                f"| {n} | {row['all exact']} | {row['median updates/s per session']:.1f} | "
                f"{row['lowest updates/s']:.1f} | {row['slowest tick (s)']:.2f} | {row['median run time (s)']:.1f} | "
                f"{row['cores']:.2f} | {row['ms per update']:.0f} | {'yes' if smooth else 'no'} |",
                flush=True,
            )
    print(f"\nsessions held smoothly: {held}")


if __name__ == "__main__":
    main()
