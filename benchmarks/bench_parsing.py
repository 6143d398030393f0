"""The hostile uploads of issue 10 timed against `twolayer.data.load_csv`, and the number expression before
and after it was made unambiguous.

Issue 10 measured the old expression, `[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?` with fullmatch: 2,000
digits + "x" took 0.12 s, 8,000 1.75 s, 32,000 24 s, and a 24 KB file held the server for 37 s. This script
times, by CPU time of this thread (medians of `repeats`, default 5): the old and the new expression on
n digits + "x" (the old one only up to 8,000 digits: 32,000 would take ~25 s a call), and load_csv on
the worst files within the upload limits (one 24 KB cell; 20,000 rows, the most allowed, of 99-character
cells, the longest the reader matches; 5 MB, the upload limit, of 1,000-digit cells, refused by their
length). Prints the load average before and after.
Run from the repository root: `python benchmarks/bench_parsing.py [repeats]`.
"""

import contextlib
import os
import re
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from twolayer.data import _NUMBER, load_csv  # noqa: E402

OLD_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
HEADER = "x1,x2,label\n"


def cpu_median(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.thread_time()
        with contextlib.suppress(ValueError):  # a refusal is an outcome to time too
            call()
        times.append(time.thread_time() - start)
    return statistics.median(times)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {repeats} repeats, CPU s")
    print("\nnumber expression, fullmatch of n digits + 'x':")
    print(f"{'n':>8} {'old':>10} {'new':>10}")
    for n in (2_000, 8_000, 32_000, 5_000_000):
        text = "1" * n + "x"
        old = cpu_median(lambda t=text: OLD_NUMBER.fullmatch(t), repeats) if n <= 8_000 else float("nan")
        new = cpu_median(lambda t=text: _NUMBER.fullmatch(t), repeats)
        print(f"{n:>8,} {old:>10.4f} {new:>10.6f}")

    cell99 = "0." + "1" * 97
    files = {
        "24 KB: one cell of 24,000 digits + x": HEADER + "1" * 24_000 + "x,0,0\n",
        "20,000 rows of 99-character cells": HEADER + "-2.5,1,0\n" + f"{cell99},{cell99},1\n" * 19_999,
        "5 MB of 1,000-digit cells": HEADER + ("1" * 1_000 + "x,0,0\n") * 4_990,
    }
    print("\nload_csv:")
    for name, text in files.items():
        seconds = cpu_median(lambda t=text: load_csv(t), repeats)
        try:
            load_csv(text)
            outcome = "read"
        except ValueError as error:
            outcome = f"refused: {str(error)[:70]}"
        print(f"  {name:<40} {len(text) / 1e6:5.2f} MB {seconds:8.4f} s  {outcome}")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
