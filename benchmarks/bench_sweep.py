"""The Sweep page's default sweep: 5 learning rates x 5 hidden sizes, 2,000 iterations, default data.

    python benchmarks/bench_sweep.py [--repeats 5]

Times `appkit.sweep.run_sweep` (what the page runs: one stacked `train_many` per hidden size)
against training the same 25 configurations one after another with `twolayer.fit`'s Trainer,
interleaved, and reports medians. Checks the results agree to 1e-9.
"""

import argparse
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from appkit.build import build_data  # noqa: E402
from appkit.settings import DEFAULTS  # noqa: E402
from appkit.sweep import run_sweep  # noqa: E402
from twolayer import Trainer, TrainingDiverged  # noqa: E402

RATES = [0.01, 0.1, 0.3, 1.0, 3.0]  # the page's defaults
HIDDEN = [1, 2, 5, 10, 20]
ITERATIONS = 2000


def one_by_one(data):
    X, Y, _, _ = data
    costs = {}
    for lr in RATES:
        for hidden in HIDDEN:
            trainer = Trainer(X, Y, hidden, lr, random_state=0, track_accuracy=False)
            with contextlib.suppress(TrainingDiverged):
                trainer.train(ITERATIONS)
            costs[(lr, hidden, 0)] = trainer.history["cost"]
    return costs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    data = build_data(DEFAULTS)
    sweep_times, sweep2_times, alone_times = [], [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        sweep = run_sweep(data, RATES, HIDDEN, [0], ITERATIONS)
        sweep_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        run_sweep(data, RATES, HIDDEN, [0], ITERATIONS, threads=2)
        sweep2_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        alone = one_by_one(data)
        alone_times.append(time.perf_counter() - start)
    worst = max(np.abs(sweep.results[k].costs - alone[k]).max() for k in alone)
    s, a = statistics.median(sweep_times), statistics.median(alone_times)
    print(f"load average {os.getloadavg()}; {args.repeats} interleaved repeats; max cost difference {worst:.1e}")
    print("| 25 configurations x 2,000 iterations | median s | min s |")
    print("|---|---|---|")
    print(f"| Sweep page (`run_sweep`, stacked per hidden size) | {s:.2f} | {min(sweep_times):.2f} |")
    s2 = statistics.median(sweep2_times)
    print(f"| the same on 2 threads (`threads=2`) | {s2:.2f} | {min(sweep2_times):.2f} |")
    print(f"| one after another (`Trainer`) | {a:.2f} | {min(alone_times):.2f} |")
    print(f"\none after another / sweep = {a / s:.2f}; with 2 threads {a / s2:.2f}")


if __name__ == "__main__":
    main()
