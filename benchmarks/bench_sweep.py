"""The Sweep page's default sweep, trained four ways: does stacking (`twolayer.train_many`) pay?

    python benchmarks/bench_sweep.py [--repeats 7]

5 learning rates (0.01, 0.1, 0.3, 1, 3) x 5 hidden sizes (1, 2, 5, 10, 20), 1 seed, 2,000 iterations on
the app's default data (make_moons, 500 points, noise 0.2; tanh, He initialisation). Four ways:

- `run_sweep` as the page runs it: one stacked `train_many` per hidden size (threads=1), and the same
  with threads=2 (each stack cut in two, trained on two threads);
- one plain `twolayer.Trainer` per configuration, on a ThreadPoolExecutor(2), the largest first;
- the same Trainers one after another.

BLAS is pinned to one thread (threadpoolctl), as the app pins it. The ways run interleaved, in a
rotating order, and the script prints medians, the process's CPU time and the load average. Every
way must give bit-identical costs and final parameters for every configuration.
"""

import argparse
import contextlib
import statistics
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from bench_engine import environment, interleaved  # puts the repository root on sys.path
from threadpoolctl import threadpool_limits

from appkit.build import build_data
from appkit.settings import DEFAULTS
from appkit.sweep import run_sweep
from twolayer import Trainer, TrainingDiverged

RATES = [0.01, 0.1, 0.3, 1.0, 3.0]  # the page's defaults
HIDDEN = [1, 2, 5, 10, 20]
ITERATIONS = 2000
CONFIGS = [(lr, hidden) for hidden in reversed(HIDDEN) for lr in RATES]  # largest networks first


def stacked(data, threads: int) -> dict:
    """(lr, hidden) -> (costs, params), from the page's run_sweep (train_many per hidden size)."""
    sweep = run_sweep(data, RATES, HIDDEN, [0], ITERATIONS, threads=threads)
    return {(lr, hidden): (r.costs, r.params) for (lr, hidden, _), r in sweep.results.items()}


def train_one(data, lr: float, hidden: int):
    """One configuration as the playground builds it (appkit.build.build_trainer), without per-step extras."""
    X, Y, _, _ = data
    trainer = Trainer(
        X, Y, hidden, lr, activation=DEFAULTS.activation, init=DEFAULTS.init, l2=DEFAULTS.l2,
        random_state=0, track_accuracy=False,
    )  # fmt: skip
    with contextlib.suppress(TrainingDiverged):
        trainer.train(ITERATIONS)
    return trainer.history["cost"].copy(), trainer.params


def trainers(data, threads: int) -> dict:
    """(lr, hidden) -> (costs, params), one Trainer per configuration, on `threads` threads."""
    if threads == 1:
        return {(lr, h): train_one(data, lr, h) for lr, h in CONFIGS}
    with ThreadPoolExecutor(threads) as pool:
        trained = pool.map(lambda config: train_one(data, *config), CONFIGS)
        return dict(zip(CONFIGS, trained, strict=True))


def identical(results: dict) -> bool:
    """Every way gave bit-identical costs and final parameters for every configuration."""
    first, *others = results.values()
    return all(
        np.array_equal(first[key][0], other[key][0])
        and all(np.array_equal(first[key][1][name], other[key][1][name]) for name in first[key][1])
        for other in others
        for key in CONFIGS
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    data = build_data(DEFAULTS)
    runs = {
        "stacked, `run_sweep` threads=1 (the page)": lambda: stacked(data, 1),
        "stacked, `run_sweep` threads=2": lambda: stacked(data, 2),
        "Trainers on 2 threads": lambda: trainers(data, 2),
        "Trainers one after another": lambda: trainers(data, 1),
    }
    with threadpool_limits(1, user_api="blas"):
        print(environment())
        times, cpu, results = interleaved(runs, args.repeats)
    if not identical(results):
        raise SystemExit("the ways disagree: some cost or final parameter is not bit-identical")
    diverged = sum(len(costs) < ITERATIONS for costs, _ in results["Trainers on 2 threads"].values())
    base = statistics.median(times["Trainers on 2 threads"])
    print(f"\n25 configurations x {ITERATIONS:,} iterations ({diverged} diverged); BLAS pinned to 1 thread; "
          f"{args.repeats} interleaved repetitions")  # fmt: skip
    print("Costs and final parameters bit-identical across the four ways.\n")
    print("| how | median s | min s | median CPU s | time / Trainers on 2 threads |")
    print("|---|---|---|---|---|")
    for name, ts in times.items():
        median = statistics.median(ts)
        print(f"| {name} | {median:.3f} | {min(ts):.3f} | {statistics.median(cpu[name]):.3f} | {median / base:.2f} |")
    print(f"\nload average after: {environment().splitlines()[0].split('load average ')[1]}")


if __name__ == "__main__":
    sys.exit(main())
