"""Server CPU per chart update, training excluded (issue 9, "Measure").

    python benchmarks/bench_update_cost.py [--sessions 1,4] [--repeat 3] [--speed 100] [--profile] [--port 8631]

Starts its own `streamlit run app.py` and, for each session count, runs protocol users
(tests/support/protocol_user.py) through a short and a long run of the same settings (1,000 and 5,000
iterations at `--speed` steps per update). The server's CPU time (its own process, from /proc) grows with
the run's length by (training + overhead) per update; page loads, Train and the final rerun cost the same in
both and drop out of the difference:

    server CPU per update = (CPU(long) - CPU(short)) / (updates(long) - updates(short))

Training is then measured in this process on the same settings and ticks, CPU time (`time.process_time`),
two ways: the engine alone (`Trainer.train(steps)`) and a live tick as the server runs it (`Run.tick`, with
its snapshots and frames). What is left is what the app and Streamlit cost per update. Medians of `--repeat`
runs; the machine's load is printed (CPU time, unlike wall time, hardly depends on it).

`--profile` samples the server with py-spy (`--gil`: only the thread holding the GIL, i.e. Python's own
work) during the long runs and prints where that work goes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the server (app.py pins BLAS to one thread)
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from appkit.build import build_data, build_trainer  # noqa: E402
from appkit.runstate import Run  # noqa: E402
from tests.support.load_test import session_settings  # noqa: E402
from tests.support.protocol_user import run_protocol_sessions  # noqa: E402
from tests.support.servers import cpu_seconds, streamlit_process  # noqa: E402

SHORT, LONG = 1000, 5000  # iterations of the two runs (both are choices of the app's Iterations setting)
PY_SPY = Path(sys.executable).with_name("py-spy")
# Where the server's Python work goes: a sample counts for every one of these its stack passes through.
PLACES = {
    "training (Run.tick)": "Run.tick (",
    "run_view.charts": "charts (",
    "  stage (network view + boundary)": "stage (",
    "  live_chart (cost curve)": "live_chart (",
    "    live_chart.payload": "payload (",
    "  cost_figure": "cost_figure (",
    "run_view.metrics_row": "metrics_row (",
    "st.container / columns (blocks)": "DeltaGenerator._block (",
    "custom components (_mount_component)": "_mount_component (",
    "Streamlit enqueue (per element)": "enqueue_message (",
    "full page runs (playground main)": "main (playground.py",
    "event loop (websocket, messages)": "_run_server_loop (",
}


def engine_seconds(sessions: int, iterations: int, speed: int) -> tuple[float, float]:
    """CPU seconds to train every session's run in ticks of `speed` steps: (Trainer.train alone, Run.tick)."""
    engine = ticks = 0.0
    for index in range(sessions):
        settings = session_settings(index, iterations, speed)
        data = build_data(settings)
        trainer = build_trainer(settings, data)
        started = time.process_time()
        while trainer.iteration < iterations:
            trainer.train(min(speed, iterations - trainer.iteration))
        engine += time.process_time() - started
        run = Run.start(settings, data, probe=False)
        run.train()
        started = time.process_time()
        while run.remaining:
            run.tick(speed)
            run.take_frames()
        ticks += time.process_time() - started
    return engine, ticks


def serve_runs(url: str, pid: int, sessions: int, iterations: int, speed: int) -> tuple[float, int]:
    """(server CPU seconds, chart updates) of `sessions` protocol users each training `iterations`."""
    before = cpu_seconds(pid)
    results = asyncio.run(run_protocol_sessions(url, sessions, iterations, speed=speed))
    if not all(r.exact for r in results):
        raise RuntimeError("a session did not end with the engine's parameters")
    return cpu_seconds(pid) - before, sum(r.updates for r in results)


def profile_summary(raw: Path) -> str:
    """Shares of the sampled stacks (py-spy's raw format: 'frame;frame;... count') through each of PLACES."""
    total, hits = 0, Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        total += int(count)
        for name, frame in PLACES.items():
            hits[name] += int(count) * (frame in stack)
    rows = [f"  {100 * hits[name] / max(1, total):5.1f} %  {name}" for name in PLACES]
    return f"py-spy --gil, {total} samples of the server holding the GIL:\n" + "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="1,4")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--speed", type=int, default=100, help="steps per update")
    parser.add_argument("--port", type=int, default=8631)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with streamlit_process(port=args.port) as (url, pid):
        print(f"server pid {pid} at {url}; {args.speed} steps per update; load {os.getloadavg()}")
        serve_runs(url, pid, 1, SHORT, args.speed)  # warm up: the first page load imports and builds the app
        print(
            "| sessions | server ms per update | training ms per update (engine / Run.tick) "
            "| server ms per update excluding Run.tick |\n|---|---|---|---|"
        )
        for n in [int(s) for s in args.sessions.split(",")]:
            rows = []
            for _ in range(args.repeat):
                cpu_short, updates_short = serve_runs(url, pid, n, SHORT, args.speed)
                spy = None
                if args.profile:
                    raw = Path(tempfile.mkstemp(suffix=".txt")[1])
                    command = [str(PY_SPY), "record", "-p", str(pid), "--gil", "-r", "200", "--format", "raw"]
                    spy = subprocess.Popen(  # noqa: S603 - py-spy from this venv, on our own server
                        [*command, "-o", str(raw), "-d", "600"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                    )
                    time.sleep(1.0)  # py-spy attaches
                cpu_long, updates_long = serve_runs(url, pid, n, LONG, args.speed)
                if spy is not None:
                    spy.send_signal(subprocess.signal.SIGINT)  # py-spy writes its samples on Ctrl-C
                    spy.wait(timeout=60)
                    print(profile_summary(raw))
                    raw.unlink()
                per_update = (cpu_long - cpu_short) / (updates_long - updates_short)
                engine_short, tick_short = engine_seconds(n, SHORT, args.speed)
                engine_long, tick_long = engine_seconds(n, LONG, args.speed)
                engine = (engine_long - engine_short) / (updates_long - updates_short)
                tick = (tick_long - tick_short) / (updates_long - updates_short)
                rows.append((per_update, engine, tick, per_update - tick))
            server, engine, tick, rest = (1000 * statistics.median(r[i] for r in rows) for i in range(4))
            print(f"| {n} | {server:.1f} | {engine:.1f} / {tick:.1f} | {rest:.1f} |", flush=True)
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
