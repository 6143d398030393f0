"""Time per step as the problem grows: samples (500 to 20,000 at 5 hidden units) and hidden units
(5 to 100 at 500 samples), `twolayer.fit` against the plain tutorial code.

make_moons(noise=0.2), learning rate 0.3, He init, seed 0. Each size runs enough steps for
twolayer to take about 0.3 s (calibrated on a short run), both implementations interleaved.
Run from the repository root: `python benchmarks/bench_scaling.py [repeats]`.
"""

import statistics
import sys
import time

import numpy as np
from bench_engine import environment, interleaved, moons  # puts the repository root on sys.path

import twolayer
from tests.support import plain_tutorial as plain

TARGET_SECONDS, LEARNING_RATE = 0.3, 0.3
SIZES = [(500, 5), (2000, 5), (5000, 5), (20000, 5), (500, 20), (500, 50), (500, 100)]  # (samples, hidden)


def steps_for(X, Y, hidden: int) -> int:
    """Steps that take twolayer.fit about TARGET_SECONDS, from a 100-step trial; between 200 and 5000."""
    start = time.perf_counter()
    twolayer.fit(X, Y, LEARNING_RATE, hidden, 100, random_state=0)
    per_step = (time.perf_counter() - start) / 100
    return int(min(5000, max(200, round(TARGET_SECONDS / per_step, -2))))


def main(repeats: int = 5) -> None:
    print(environment())
    print(f"\nmake_moons(noise=0.2), learning rate {LEARNING_RATE}; medians of {repeats} interleaved repetitions\n")
    print("| samples | hidden | steps | plain µs/step | twolayer µs/step | plain / twolayer | twolayer ns per hidden "
          "value | max abs cost diff |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for m, h in SIZES:
        X, Y = moons(m)
        steps = steps_for(X, Y, h)
        runs = {
            "plain": lambda X=X, Y=Y, h=h, n=steps: plain.fit(X, Y, LEARNING_RATE, h, n, random_state=0)[1],
            "twolayer": lambda X=X, Y=Y, h=h, n=steps: twolayer.fit(X, Y, LEARNING_RATE, h, n, random_state=0)[1],
        }
        times, _, costs = interleaved(runs, repeats)
        diff = float(np.max(np.abs(np.subtract(costs["plain"], costs["twolayer"]))))
        slow, fast = (1e6 * statistics.median(times[name]) / steps for name in runs)
        print(f"| {m} | {h} | {steps} | {slow:.1f} | {fast:.1f} | {slow / fast:.2f} | {1e3 * fast / (m * h):.2f} "
              f"| {diff:.1e} |")  # fmt: skip


if __name__ == "__main__":
    main(*map(int, sys.argv[1:2]))
