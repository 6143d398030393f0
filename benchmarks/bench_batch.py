"""Batch training: `twolayer.train_many` (stacked networks) against the same networks one after another.

16 configurations (learning rates 0.1, 0.3, 1, 3 x seeds 0, 1 x hidden sizes 5, 8), 5000 steps each,
on make_moons(500, noise=0.2): `train_many(..., threads=1)` and `threads=2` against 16 calls of
`twolayer.fit`, interleaved; every batched result must equal the sequential one to 1e-9. Then the
speedup against the number k of stacked networks (hidden size 5, fewer steps). Run from the
repository root: `python benchmarks/bench_batch.py [repeats]`.
"""

import statistics
import sys

import numpy as np
from bench_engine import environment, interleaved, moons  # puts the repository root on sys.path

import twolayer

STEPS, K_STEPS = 5000, 1000
RATES = (0.1, 0.3, 1.0, 3.0)


def runs(X, Y, configs, steps):
    """name -> function returning [(costs, params)] in the order of configs."""

    def sequential():
        fits = [twolayer.fit(X, Y, c.learning_rate, c.hidden_size, steps, random_state=c.random_state) for c in configs]
        return [(np.array(costs), params) for params, costs in fits]

    def batched(threads):
        return lambda: [(r.costs, r.params) for r in twolayer.train_many(X, Y, configs, steps, threads=threads)]

    return {"one after another (twolayer.fit)": sequential, "train_many threads=1": batched(1),
            "train_many threads=2": batched(2)}  # fmt: skip


def largest_difference(results: dict) -> float:
    """Max abs difference of any batched cost or parameter from the sequential run's."""
    first, *others = results.values()
    return max(
        float(np.max(np.abs(a - b)))
        for other in others
        for (costs, params), (costs2, params2) in zip(first, other, strict=True)
        for a, b in [(costs, costs2), *((params[name], params2[name]) for name in params)]
    )


def check(results: dict) -> float:
    diff = largest_difference(results)
    if diff > 1e-9:  # a check, not an assert: it must hold under python -O too
        raise SystemExit(f"batched results differ from sequential ones by {diff:.3g}")
    return diff


def main(repeats: int = 5) -> None:
    X, Y = moons()
    configs = [twolayer.Config(lr, h, seed) for lr in RATES for seed in (0, 1) for h in (5, 8)]
    times, cpu, results = interleaved(runs(X, Y, configs, STEPS), repeats)
    diff = check(results)
    base = statistics.median(times["one after another (twolayer.fit)"])
    print(environment())
    print(f"\n{len(configs)} networks (hidden 5 and 8), {STEPS} steps each; {repeats} interleaved repetitions\n")
    print("| how | median s | min s | µs per network-step | speedup vs one after another | median CPU s |")
    print("|---|---|---|---|---|---|")
    for name, ts in times.items():
        median = statistics.median(ts)
        per = 1e6 * median / (STEPS * len(configs))
        print(f"| {name} | {median:.3f} | {min(ts):.3f} | {per:.1f} | {base / median:.2f} "
              f"| {statistics.median(cpu[name]):.3f} |")  # fmt: skip
    print(f"\nLargest difference of a batched cost or parameter from the sequential one: {diff:.1e} (≤ 1e-9: OK)")

    print(f"\nSpeedup against k stacked networks (hidden 5), {K_STEPS} steps, {repeats} repetitions, medians\n")
    print("| k | one after another, µs per network-step | threads=1 | threads=2 | speedup threads=1 | threads=2 |")
    print("|---|---|---|---|---|---|")
    for k in (1, 2, 4, 8, 16, 32):
        configs = [twolayer.Config(RATES[j % 4], 5, j // 4) for j in range(k)]
        times, _, results = interleaved(runs(X, Y, configs, K_STEPS), repeats)
        check(results)
        seq, one, two = (1e6 * statistics.median(ts) / (K_STEPS * k) for ts in times.values())
        print(f"| {k} | {seq:.1f} | {one:.1f} | {two:.1f} | {seq / one:.2f} | {seq / two:.2f} |")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:2]))
