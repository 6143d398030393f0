"""The tutorial's default run timed three ways: the plain tutorial code, `twolayer.fit`, scikit-learn.

make_moons(500, noise=0.2), 5 tanh units, learning rate 0.3, 5000 full-batch steps, He init, seed 0.
The implementations run interleaved, in rotating order, so that load from other processes hits
them alike; ratios are of medians from the same run. Also checks that twolayer's costs equal the
plain code's. Run from the repository root: `python benchmarks/bench_engine.py [repeats]`.
The helpers here (`moons`, `environment`, `interleaved`) are shared by the other bench_*.py scripts.
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
sys.path[:0] = [ROOT, os.path.join(ROOT, "benchmarks")]

import numpy as np  # noqa: E402
import plain_tutorial as plain  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import make_moons  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402

import twolayer  # noqa: E402

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
    blas = [f"{i['internal_api']} {i['version']} ({i['architecture']}), {i['num_threads']} threads"
            for i in threadpool_info() if i["user_api"] == "blas" and "numpy" in i["filepath"]]
    return "\n".join([
        f"python {sys.version.split()[0]}, numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
        f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"SIMD: {' '.join(simd.group(1).split()) if simd else 'unknown'}",
        f"NumPy's BLAS: {'; '.join(blas) or 'unknown'}",
    ])


def interleaved(runs: dict, repeats: int) -> dict:
    """Calls each of `runs` (name -> function) once per repetition, rotating the order; name -> [seconds]."""
    names, times = list(runs), {name: [] for name in runs}
    for r in range(repeats):
        for name in names[r % len(names):] + names[: r % len(names)]:
            start = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - start)
    return times


def sklearn_fit(X, Y):
    model = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,), activation="tanh", solver="sgd", momentum=0, nesterovs_momentum=False,
        learning_rate="constant", learning_rate_init=LEARNING_RATE, batch_size=X.shape[1], alpha=0, tol=0,
        n_iter_no_change=10**9, shuffle=False, max_iter=STEPS, random_state=SEED,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X.T, Y[0]).loss_curve_


def main(repeats: int = 7) -> None:
    X, Y = moons()
    plain_costs = plain.fit(X, Y, LEARNING_RATE, HIDDEN, STEPS, random_state=SEED)[1]
    costs = twolayer.fit(X, Y, LEARNING_RATE, HIDDEN, STEPS, random_state=SEED)[1]
    diff = float(np.max(np.abs(np.array(costs) - np.array(plain_costs))))
    assert diff <= 1e-9, f"twolayer's costs differ from the plain code's by {diff:.3g}"
    last = {"plain tutorial code": plain_costs[-1], "twolayer.fit": costs[-1], "scikit-learn MLPClassifier":
            sklearn_fit(X, Y)[-1], "twolayer.Trainer(track_accuracy=True)": costs[-1]}
    runs = {
        "plain tutorial code": lambda: plain.fit(X, Y, LEARNING_RATE, HIDDEN, STEPS, random_state=SEED),
        "twolayer.fit": lambda: twolayer.fit(X, Y, LEARNING_RATE, HIDDEN, STEPS, random_state=SEED),
        "scikit-learn MLPClassifier": lambda: sklearn_fit(X, Y),
        "twolayer.Trainer(track_accuracy=True)": lambda: twolayer.Trainer(
            X, Y, HIDDEN, LEARNING_RATE, random_state=SEED, track_accuracy=True).train(STEPS),
    }
    times = interleaved(runs, repeats)
    base = statistics.median(times["twolayer.fit"])
    print(environment())
    print(f"\n{STEPS} steps, make_moons(500, noise=0.2), {HIDDEN} tanh units, learning rate {LEARNING_RATE}; "
          f"{repeats} interleaved repetitions\n")
    print("| implementation | median s | min s | µs/step | time / twolayer.fit | last cost |")
    print("|---|---|---|---|---|---|")
    for name, ts in times.items():
        median = statistics.median(ts)
        print(f"| {name} | {median:.3f} | {min(ts):.3f} | {1e6 * median / STEPS:.1f} | {median / base:.2f} "
              f"| {last[name]:.4f} |")
    print(f"\ntwolayer.fit costs vs plain code: max abs diff {diff:.1e} (≤ 1e-9: OK); "
          "scikit-learn's last cost differs: its initialisation is Glorot-uniform, not He.")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:2]))
