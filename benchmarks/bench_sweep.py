"""The Sweep page's default sweep, trained six ways: does stacking (`twolayer.train_many`) pay, do two
threads, and where is the floor?

    python benchmarks/bench_sweep.py [--repeats 7]

5 learning rates (0.01, 0.1, 0.3, 1, 3) x 5 hidden sizes (1, 2, 5, 10, 20), 1 seed, 2,000 iterations on
the app's default data (make_moons, 500 points, noise 0.2; tanh, He initialisation). Six ways:

- `run_sweep` with threads=1: one stacked `train_many` per hidden size, one after another (the page
  while other sessions train);
- `run_sweep` with threads=2: the stacks on two worker threads, dealt so that both end together (the
  page when no other session trains: `sweep_threads()`);
- the stacks with threads=1 computing every step's cost (`train_many` without `record`), as before the
  sweep kept only its chart's 200;
- one plain `twolayer.Trainer` per configuration, on a ThreadPoolExecutor(2), the largest first;
- the same Trainers one after another;
- the floor: only the sweep's `np.tanh` calls (hidden layers and output, every step, the same shapes and
  values near the trained ones), which no change that keeps every number can remove.

Then the same sweep again through a `FinishedSweeps` cache (the page's `finished`): a repeated sweep.
BLAS is pinned to one thread (threadpoolctl), as the app pins it. The ways run interleaved, in a
rotating order, and the script prints medians, the process's CPU time and the load average. Every
way must give bit-identical costs and final parameters for every configuration.
"""

import argparse
import contextlib
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from bench_engine import environment, interleaved  # puts the repository root on sys.path
from threadpoolctl import threadpool_limits

from appkit.build import build_data
from appkit.settings import DEFAULTS
from appkit.sweep import FinishedSweeps, run_sweep
from twolayer import Config, Trainer, TrainingDiverged, train_many

RATES = [0.01, 0.1, 0.3, 1.0, 3.0]  # the page's defaults
HIDDEN = [1, 2, 5, 10, 20]
ITERATIONS = 2000
CONFIGS = [(lr, hidden) for hidden in reversed(HIDDEN) for lr in RATES]  # largest networks first


def stacked(data, threads: int) -> dict:
    """(lr, hidden) -> (steps, costs, params), from the page's run_sweep (the costs of the chart's steps)."""
    sweep = run_sweep(data, RATES, HIDDEN, [0], ITERATIONS, threads=threads)
    return {(lr, hidden): (*sweep.curve(lr, hidden, 0), r.params) for (lr, hidden, _), r in sweep.results.items()}


def every_cost(data) -> dict:
    """As stacked(data, 1), but computing every step's cost, as the sweep did before it kept the chart's only."""
    X, Y, _, _ = data
    out = {}
    for hidden in HIDDEN:
        results = train_many(X, Y, [Config(lr, hidden, 0) for lr in RATES], ITERATIONS)
        out |= {
            (lr, hidden): (np.arange(len(r.costs)), r.costs, r.params) for lr, r in zip(RATES, results, strict=True)
        }
    return out


def lanes_cpu(data) -> list[float]:
    """CPU seconds of each worker thread of run_sweep(threads=2), from its train_many calls: on two idle cores
    the sweep cannot take less than the larger (this machine is rarely idle enough to time that directly)."""
    import threading

    import appkit.sweep

    spent: dict[int, float] = {}
    original = appkit.sweep.train_many

    def timed(*args, **kwargs):
        start = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            ident = threading.get_ident()
            spent[ident] = spent.get(ident, 0.0) + time.thread_time() - start

    appkit.sweep.train_many = timed
    try:
        run_sweep(data, RATES, HIDDEN, [0], ITERATIONS, threads=2)
    finally:
        appkit.sweep.train_many = original
    return sorted(spent.values())


def tanh_floor(data) -> None:
    """The np.tanh calls of the sweep alone: per step and hidden size, tanh of (5, hidden, m) and of (5, 1, m)."""
    m = data[0].shape[1]
    rng = np.random.default_rng(0)
    arrays = [rng.normal(scale=2.0, size=(len(RATES), h, m)) for h in HIDDEN]
    outputs = [rng.normal(scale=2.0, size=(len(RATES), 1, m)) for _ in HIDDEN]
    spare = [np.empty_like(a) for a in arrays + outputs]
    for _ in range(ITERATIONS):
        for a, out in zip(arrays + outputs, spare, strict=True):
            np.tanh(a, out=out)


def train_one(data, lr: float, hidden: int):
    """One configuration as the playground builds it (appkit.build.build_trainer), without per-step extras."""
    X, Y, _, _ = data
    trainer = Trainer(
        X, Y, hidden, lr, activation=DEFAULTS.activation, init=DEFAULTS.init, l2=DEFAULTS.l2,
        random_state=0, track_accuracy=False,
    )  # fmt: skip
    with contextlib.suppress(TrainingDiverged):
        trainer.train(ITERATIONS)
    costs = trainer.history["cost"].copy()
    return np.arange(len(costs)), costs, trainer.params


def trainers(data, threads: int) -> dict:
    """(lr, hidden) -> (steps, costs, params), one Trainer per configuration (every step), on `threads` threads."""
    if threads == 1:
        return {(lr, h): train_one(data, lr, h) for lr, h in CONFIGS}
    with ThreadPoolExecutor(threads) as pool:
        trained = pool.map(lambda config: train_one(data, *config), CONFIGS)
        return dict(zip(CONFIGS, trained, strict=True))


def identical(results: dict) -> bool:
    """Every way gave bit-identical final parameters for every configuration, and the costs it kept are those of
    one Trainer at the same steps, up to the last."""
    reference = results["Trainers one after another"]
    return all(
        np.array_equal(costs, reference[key][1][steps])
        and steps[-1] == len(reference[key][1]) - 1
        and all(np.array_equal(params[name], reference[key][2][name]) for name in params)
        for way in results.values()
        for key, (steps, costs, params) in way.items()
    ) and all(set(way) == set(reference) for way in results.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    data = build_data(DEFAULTS)
    runs = {
        "stacked, `run_sweep` threads=1": lambda: stacked(data, 1),
        "stacked, `run_sweep` threads=2 (2 workers)": lambda: stacked(data, 2),
        "stacked, threads=1, every step's cost computed": lambda: every_cost(data),
        "Trainers on 2 threads": lambda: trainers(data, 2),
        "Trainers one after another": lambda: trainers(data, 1),
        "floor: the sweep's np.tanh calls alone": lambda: tanh_floor(data),
    }
    with threadpool_limits(1, user_api="blas"):
        print(environment())
        times, cpu, results = interleaved(runs, args.repeats)
        floor = results.pop("floor: the sweep's np.tanh calls alone")
        lanes = [lanes_cpu(data) for _ in range(args.repeats)]
        cache = FinishedSweeps()
        run_sweep(data, RATES, HIDDEN, [0], ITERATIONS, cache=cache)
        repeats = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            again = run_sweep(data, RATES, HIDDEN, [0], ITERATIONS, cache=cache)
            repeats.append(time.perf_counter() - start)
        if not again.reused or floor is not None:
            raise SystemExit("the repeated sweep was trained again")
    if not identical(results):
        raise SystemExit("the ways disagree: some cost or final parameter is not bit-identical")
    diverged = sum(len(costs) < ITERATIONS for _, costs, _ in results["Trainers on 2 threads"].values())
    base = statistics.median(times["Trainers on 2 threads"])
    print(f"\n25 configurations x {ITERATIONS:,} iterations ({diverged} diverged); BLAS pinned to 1 thread; "
          f"{args.repeats} interleaved repetitions")  # fmt: skip
    print("Final parameters bit-identical across the five training ways, and every kept cost.\n")
    print("| how | median s | min s | median CPU s | time / Trainers on 2 threads |")
    print("|---|---|---|---|---|")
    for name, ts in times.items():
        median = statistics.median(ts)
        print(f"| {name} | {median:.3f} | {min(ts):.3f} | {statistics.median(cpu[name]):.3f} | {median / base:.2f} |")
    per_run = "; ".join(" and ".join(f"{s:.2f}" for s in lane) for lane in lanes)
    print(f"\nrun_sweep threads=2, CPU seconds of each of its two workers, per run: {per_run}")
    print(f"\nThe same sweep again, from a FinishedSweeps cache: median {statistics.median(repeats) * 1000:.2f} ms")
    print(f"\nload average after: {environment().splitlines()[0].split('load average ')[1]}")


if __name__ == "__main__":
    sys.exit(main())
