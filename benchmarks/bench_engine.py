"""The tutorial's default run timed three ways: the plain tutorial code, `twolayer.fit`, scikit-learn.

make_moons(500, noise=0.2), 5 tanh units, learning rate 0.3, 5000 full-batch steps, He init, seed 0.
The implementations run interleaved, in rotating order, so that load from other processes hits
them alike; ratios are of medians from the same run. Also checks that twolayer's costs equal the
plain code's. Then mini-batches: batch sizes 1, 32 and the full batch at 500 and 5,000 samples,
`twolayer.fit(batch_size=...)` against the plain code run on each batch (the cost recorded on
every sample, as twolayer records it), interleaved likewise. Run from the repository root:
`python benchmarks/bench_engine.py [repeats]`. The helpers here (`moons`, `environment`,
`interleaved`) are shared by the other bench_*.py scripts.
"""

import contextlib
import io
import os
import re
import statistics
import sys
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # twolayer and tests.support, without an install

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import make_moons  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

import twolayer  # noqa: E402
from tests.support import plain_tutorial as plain  # noqa: E402

STEPS, LEARNING_RATE, HIDDEN, SEED = 5000, 0.3, 5, 0


def moons(n_samples=500, noise=0.2, random_state=SEED):
    """X (2, m) and Y (1, m), the tutorial's shapes."""
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    return np.ascontiguousarray(X.T), y.reshape(1, -1).astype(float)


def environment() -> str:
    """Versions, NumPy's SIMD line from `numpy.show_runtime()`, BLAS and its threads, load average."""
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        np.show_runtime()
    simd = re.search(r"'simd_extensions': (\{.*?\})", text.getvalue(), re.S)
    blas = [
        f"{i['internal_api']} {i['version']} ({i['architecture']}), {i['num_threads']} threads"
        for i in threadpool_info()
        if i["user_api"] == "blas" and "numpy" in i["filepath"]
    ]
    return "\n".join(
        [
            f"python {sys.version.split()[0]}, numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
            f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
            f"SIMD: {' '.join(simd.group(1).split()) if simd else 'unknown'}",
            f"NumPy's BLAS: {'; '.join(blas) or 'unknown'}",
        ]
    )


def interleaved(runs: dict, repeats: int) -> tuple[dict, dict, dict]:
    """Calls each of `runs` (name -> function) once per repetition, rotating the order.

    Returns name -> [wall seconds], name -> [CPU seconds of this process, all threads], and
    name -> what the function returned in the last repetition. On a loaded machine CPU time
    varies less than wall time: time spent waiting for a core is not counted.
    """
    names, wall, cpu, results = list(runs), {name: [] for name in runs}, {name: [] for name in runs}, {}
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start, start_cpu = time.perf_counter(), time.process_time()
            results[name] = runs[name]()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return wall, cpu, results


def sklearn_fit(X, Y) -> list:
    """Plain full-batch gradient descent in scikit-learn: no momentum, no penalty, no early stop. Returns costs."""
    sgd = dict(solver="sgd", momentum=0, nesterovs_momentum=False, learning_rate="constant", alpha=0, tol=0)
    model = MLPClassifier(
        (HIDDEN,), activation="tanh", learning_rate_init=LEARNING_RATE, batch_size=X.shape[1], max_iter=STEPS,
        n_iter_no_change=10**9, shuffle=False, random_state=SEED, **sgd
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X.T, Y[0]).loss_curve_


def plain_minibatch_fit(X, Y, batch_size, steps) -> list:
    """The plain tutorial code on mini-batches: each step records the cost on every sample, then
    runs forward and backward on the step's batch (epoch e's order: default_rng((seed, e))). The
    full batch is the tutorial's own loop: one forward pass serves the cost and the gradients."""
    if batch_size == X.shape[1]:
        return plain.fit(X, Y, LEARNING_RATE, HIDDEN, steps, random_state=SEED)[1]
    params = plain.set_parameters(X, Y, HIDDEN, np.random.default_rng(SEED))
    m = X.shape[1]
    per_epoch = -(-m // batch_size)
    costs = []
    for t in range(steps):
        y, _ = plain.forward_propagation(X, params)
        costs.append(plain.cost(y, Y))
        epoch, b = divmod(t, per_epoch)
        if b == 0:  # a new epoch: its order, once
            order = np.random.default_rng((SEED, epoch)).permutation(m)
        batch = order[b * batch_size : (b + 1) * batch_size]
        Xb, Yb = X[:, batch], Y[:, batch]
        _, cache = plain.forward_propagation(Xb, params)
        params = plain.update_parameters(plain.back_propagation(Xb, Yb, params, cache), params, LEARNING_RATE)
    return costs


def minibatch_runs(X, Y, batch_size: int, steps: int) -> dict:
    return {
        "plain": lambda: plain_minibatch_fit(X, Y, batch_size, steps),
        "twolayer": lambda: twolayer.fit(X, Y, LEARNING_RATE, HIDDEN, steps, random_state=SEED, batch_size=batch_size)[
            1
        ],
    }


MINIBATCH_STEPS = {500: 2000, 5000: 300}  # steps timed per sample count


def minibatch_table(repeats: int) -> None:
    """Batch sizes 1, 32 and full at 500 and 5,000 samples: µs per step and per epoch, plain vs twolayer.
    BLAS runs on one thread, as app.py has it (two threads slow these small products down)."""
    with threadpool_limits(1, user_api="blas"):
        _minibatch_table(repeats)


def _minibatch_table(repeats: int) -> None:
    print(
        f"\nMini-batches: {HIDDEN} tanh units, learning rate {LEARNING_RATE}, BLAS on 1 thread (as app.py); "
        f"{repeats} interleaved repetitions"
    )
    print("(the cost is recorded on every sample at every step, so a step costs at least a forward pass over all)\n")
    print(
        "| samples | batch size | steps | plain µs/step | twolayer µs/step | plain / twolayer "
        "| same, CPU time | twolayer ms/epoch |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for m, steps in MINIBATCH_STEPS.items():
        X, Y = moons(n_samples=m)
        for batch_size in (1, 32, m):
            runs = minibatch_runs(X, Y, batch_size, steps)
            times, cpu, costs = interleaved(runs, repeats)
            diff = float(np.max(np.abs(np.subtract(costs["twolayer"], costs["plain"]))))
            if diff > 1e-9:
                raise SystemExit(
                    f"batch size {batch_size}, {m} samples: costs differ from the plain code's by {diff:.3g}"
                )
            plain_us, ours_us = (1e6 * statistics.median(times[name]) / steps for name in ("plain", "twolayer"))
            epoch_ms = ours_us * -(-m // batch_size) / 1000
            label = f"{batch_size} (full)" if batch_size == m else str(batch_size)
            ratio, cpu_ratio = plain_us / ours_us, statistics.median(cpu["plain"]) / statistics.median(cpu["twolayer"])
            print(
                f"| {m:,} | {label} | {steps} | {plain_us:.1f} | {ours_us:.1f} | {ratio:.2f} | {cpu_ratio:.2f} "
                f"| {epoch_ms:.2f} |"
            )
    print(
        f"\nEvery twolayer cost equals the plain code's to 1e-9 (checked in each row). {environment().splitlines()[0]}"
    )


def main(repeats: int = 7) -> None:
    X, Y = moons()
    args = (X, Y, LEARNING_RATE, HIDDEN, STEPS)
    app = dict(random_state=SEED, track_accuracy=True)  # what the app trains with
    runs = {  # each returns its costs
        "plain tutorial code": lambda: plain.fit(*args, random_state=SEED)[1],
        "twolayer.fit": lambda: twolayer.fit(*args, random_state=SEED)[1],
        "scikit-learn MLPClassifier": lambda: sklearn_fit(X, Y),
        "twolayer.Trainer(track_accuracy=True)": lambda: (
            twolayer.Trainer(X, Y, HIDDEN, LEARNING_RATE, **app).train(STEPS).history["cost"]
        ),
    }
    times, cpu, costs = interleaved(runs, repeats)
    diff = float(np.max(np.abs(np.subtract(costs["twolayer.fit"], costs["plain tutorial code"]))))
    if diff > 1e-9:  # a check, not an assert: it must hold under python -O too
        raise SystemExit(f"twolayer's costs differ from the plain code's by {diff:.3g}")
    base = statistics.median(times["twolayer.fit"])
    print(environment())
    print(
        f"\n{STEPS} steps, make_moons(500, noise=0.2), {HIDDEN} tanh units, learning rate {LEARNING_RATE}; "
        f"{repeats} interleaved repetitions\n"
    )
    print("| implementation | median s | min s | µs/step | time / twolayer.fit | median CPU s | last cost |")
    print("|---|---|---|---|---|---|---|")
    for name, ts in times.items():
        median = statistics.median(ts)
        print(
            f"| {name} | {median:.3f} | {min(ts):.3f} | {1e6 * median / STEPS:.1f} | {median / base:.2f} "
            f"| {statistics.median(cpu[name]):.3f} | {costs[name][-1]:.4f} |"
        )
    ratio = {name: statistics.median(ts) / base for name, ts in times.items()}
    print(
        f"\nplain / twolayer = {ratio['plain tutorial code']:.2f}, "
        f"scikit-learn / twolayer = {ratio['scikit-learn MLPClassifier']:.2f} (medians of this run)."
        f"\ntwolayer.fit costs vs plain code: max abs diff {diff:.1e} (≤ 1e-9: OK); "
        "scikit-learn's last cost differs: its initialisation is Glorot-uniform, not He."
    )
    minibatch_table(max(3, repeats // 2))


if __name__ == "__main__":
    main(*map(int, sys.argv[1:2]))
