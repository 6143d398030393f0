"""A session's memory stays bounded: RSS of this process after 1, 50 and 200 runs played through
`appkit.session.Session`'s verbs (no browser), and after the largest sweep the Sweep page allows.

    python benchmarks/bench_memory.py [--steps 5000] [--iterations 50000]

Runs: one Session on moons (500 samples, test share 0.3, 5 hidden units) with a budget of `--iterations`
steps a run; each run trains `--steps` steps and is then reset (Reset records it and starts the next, as the
Playground's button does). Besides RSS (from /proc/self/status, after gc.collect()) it prints the bytes the
session holds in arrays — its records, ghosts and current run's history — counted from the arrays
themselves, so the two can be compared.

The sweep: every learning rate (15) x every hidden size (12) x 5 seeds, on the fewest points the Playground
offers (50: most networks, longest curves), at the most iterations within the page's budget (MAX_SECONDS,
by this machine's measured speed). It prints RSS after it, the peak RSS while it trained, and the bytes its
result holds. Load average before and after.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from appkit.build import build_data  # noqa: E402
from appkit.session import Session  # noqa: E402
from appkit.settings import BY_NAME, Settings  # noqa: E402
from appkit.sweep import (  # noqa: E402
    HIDDEN_CHOICES,
    MAX_SECONDS,
    estimate_seconds,
    measured_speed,
    plan_stacks,
    run_sweep,
)

MB = 1 << 20


def rss_mb() -> float:
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def array_bytes(value, seen: set[int]) -> int:
    """Bytes of the numpy arrays reachable through dicts, lists, tuples and dataclass-like objects, each
    buffer counted once (a view counts the buffer it keeps alive)."""
    if isinstance(value, np.ndarray):
        base = value
        while isinstance(base.base, np.ndarray):
            base = base.base
        if id(base) in seen:
            return 0
        seen.add(id(base))
        return base.nbytes
    if isinstance(value, dict):
        return sum(array_bytes(v, seen) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(array_bytes(v, seen) for v in value)
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return sum(array_bytes(v, seen) for v in vars(value).values())
    return 0


def session_bytes(s: Session) -> int:
    seen: set[int] = set()
    held = array_bytes(s.records, seen) + array_bytes(s.ghosts, seen)
    return held + array_bytes(dict(s.current_run().trainer.history), seen)


def play_runs(counts: list[int], steps: int, iterations: int) -> None:
    settings = Settings(samples=500, test_share=0.3, hidden_size=5, iterations=iterations)
    s = Session(settings, probe=False)
    start, done = time.perf_counter(), 0
    for target in counts:
        while done < target:
            s.current_run().step(steps)
            s.reset()
            done += 1
        print(
            f"after {done:>3} runs: RSS {rss_mb():6.1f} MB; the session's arrays {session_bytes(s) / MB:5.1f} MB "
            f"({len(s.records)} records, {len(s.ghosts)} ghosts); {time.perf_counter() - start:.0f} s so far",
            flush=True,
        )


def largest_sweep() -> None:
    settings = Settings(samples=50)
    data = build_data(settings)
    m = data[0].shape[1]
    rates, hidden, seeds = list(BY_NAME["learning_rate"].choices), list(HIDDEN_CHOICES), [0, 1, 2, 3, 4]
    speed = measured_speed(settings.activation)
    stacks = plan_stacks(rates, hidden, seeds, m)
    allowed = [n for n in BY_NAME["iterations"].choices if estimate_seconds(stacks, m, n, speed) <= MAX_SECONDS]
    iterations = max(allowed)
    estimate = estimate_seconds(stacks, m, iterations, speed)
    before, cpu, wall = rss_mb(), time.thread_time(), time.perf_counter()
    sweep = run_sweep(data, rates, hidden, seeds, iterations, activation=settings.activation, speed=speed)
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    held = array_bytes(sweep.results, set()) + array_bytes(sweep.kept, set())
    print(
        f"largest allowed sweep: {len(sweep.results)} networks x {iterations:,} iterations on {m} points "
        f"(estimated {estimate:.0f} s of CPU, spent {cpu:.0f} s, {wall:.0f} s wall): RSS {before:.1f} -> "
        f"{rss_mb():.1f} MB, peak {peak_mb():.1f} MB; the result's arrays {held / MB:.1f} MB"
    )
    del sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000, help="steps trained in each run")
    parser.add_argument("--iterations", type=int, default=50_000, help="each run's budget (its buffers grow to it)")
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--no-runs", action="store_true")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    threadpool_limits(1)  # as app.py
    print(f"RSS at start (imports done): {rss_mb():.1f} MB")
    if not args.no_runs:
        play_runs([1, 50, 200], args.steps, args.iterations)
    if not args.no_sweep:
        largest_sweep()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
