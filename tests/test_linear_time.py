"""Every parser of outside input takes time linear in its input: CSV cells and rows, URL values, the
parameters JSON, file names. One ambiguous expression once let a 24 KB upload hold the whole server for
37 s (32,000 digits + "x" took 24 s in twolayer.data's number expression).

Each test times a parser on hostile inputs of 1x, 10x and 100x a base size and fails if the time grows
faster than linearly. The three sizes are timed in one run, interleaved, with the CPU time of this thread
(time.thread_time: another process on the core does not count, so `stress --cpu 2` leaves the ratios
alone), the fastest of REPEATS kept. A size is called 100/k times per measurement, so a linear parser
takes the same time at every size and the measurements are alike in length. Linear time gives ratios
near 10 and 100 (less where a fixed cost dominates the smallest size); quadratic time gives 100 and
10,000. SLACK allows 5x more than linear, which a quadratic parser exceeds 20-fold at 100x: see the
controls at the end, which hold the check to the old expression and to a plainly quadratic function.
"""

import json
import math
import re
import time

import pytest

from appkit.build import Upload
from appkit.exports import load_params_json
from appkit.session import Session
from appkit.settings import from_query
from twolayer.data import _NUMBER, load_csv

SIZES = (1, 10, 100)
REPEATS = 5
SLACK = 5.0


def growth(parse, make, base: int) -> tuple[float, float]:
    """Time per call at 10x and 100x the base size, over the time at 1x: (t10 / t1, t100 / t1)."""
    inputs = [make(base * k) for k in SIZES]
    calls = [SIZES[-1] // k for k in SIZES]  # 100, 10, 1: equal work for a linear parser
    best = [math.inf] * len(SIZES)
    for _ in range(REPEATS):
        for i, (text, n) in enumerate(zip(inputs, calls, strict=True)):
            start = time.thread_time()
            for _ in range(n):
                outcome(parse, text)
            best[i] = min(best[i], (time.thread_time() - start) / n)
    return best[1] / best[0], best[2] / best[0]


def outcome(parse, text) -> str:
    try:
        parse(text)
    except ValueError as error:
        return str(error)
    return "ok"


def assert_linear(parse, make, base: int) -> None:
    ratio10, ratio100 = growth(parse, make, base)
    assert ratio10 <= 10 * SLACK and ratio100 <= 100 * SLACK, (
        f"time grew {ratio10:.0f}x at 10x the size and {ratio100:.0f}x at 100x (linear: <= 10 and 100)"
    )


# --- CSV: cells and rows ---------------------------------------------------------------------------

HEADER = "x1,x2,label\n"
GOOD_ROW = "0.123456789,-1.5e-3,1\n"
OTHER_ROW = "-2.5,1e-2,0\n"


def one_cell(run: str):
    """A file whose first data cell is `run` repeated to n characters, then a character that ends the match."""
    return lambda n: HEADER + (run * n)[:n] + "x,0,0\n" + GOOD_ROW * 10


CELLS = {
    "digits": one_cell("1"),  # the 24-second case: a long digit run and a non-digit
    "digits-dot-digits": one_cell("12.34"),
    "signs": one_cell("+-"),
    "dots": one_cell("."),
    "exponents": one_cell("1e"),
    "exponent-digits": one_cell("1e+1"),
    "mixed": one_cell("9.9e-9+"),
}


@pytest.mark.parametrize("name", CELLS)
def test_a_long_csv_cell_is_read_in_linear_time(name):
    make = CELLS[name]
    assert outcome(load_csv, make(1_000)).endswith("is 1,001 characters long; a number has at most 100.")
    assert_linear(load_csv, make, 1_000)


def test_the_number_expression_itself_is_linear_on_a_long_digit_run():
    """The length limit comes first; the expression must not need it."""
    assert_linear(_NUMBER.fullmatch, lambda n: "1" * n + "x", 1_000)
    assert_linear(_NUMBER.fullmatch, lambda n: "1." + "1" * n + "e+" + "1" * n + "x", 1_000)


def test_many_csv_rows_are_read_in_linear_time():
    make = lambda n: HEADER + OTHER_ROW + GOOD_ROW * (n - 1)  # noqa: E731
    assert outcome(load_csv, make(20_000)) == "ok"  # 100x is the row limit itself
    assert_linear(load_csv, make, 100)


@pytest.mark.parametrize("row", ["1,", "x,", "1e,", '"1",'], ids=["numbers", "words", "bad-numbers", "quoted"])
def test_a_wide_csv_row_is_read_in_linear_time(row):
    make = lambda n: (row * n)[:-1] + "\n" + GOOD_ROW * 10  # noqa: E731
    assert_linear(load_csv, make, 300)


def test_many_long_lines_are_read_in_linear_time():
    """A cell just under the limit on every row: each is matched by the expression."""
    cell = "0." + "1" * 97
    make = lambda n: HEADER + OTHER_ROW + f"{cell},{cell},1\n" * (n - 1)  # noqa: E731
    assert outcome(load_csv, make(10)) == "ok"
    assert_linear(load_csv, make, 50)


# --- URL values ----------------------------------------------------------------------------------


@pytest.mark.parametrize("run", ["1", "1e", "+-", ".", "x"])
def test_a_long_url_value_is_read_in_linear_time(run):
    make = lambda n: {"lr": (run * n)[:n] + "x", "scene": run * n}  # noqa: E731
    assert "is too long" in from_query(make(1_000))[1][0]
    assert_linear(from_query, make, 1_000)
    assert_linear(lambda q: Session.from_url(q, probe=False), make, 1_000)


def test_many_url_parameters_are_read_in_linear_time():
    make = lambda n: {f"k{i}": "1" * 10 for i in range(n)} | {"n": ["7"] * n}  # noqa: E731
    assert len(from_query(make(1_000))[1]) == 5  # the warnings are capped
    assert_linear(from_query, make, 100)


def test_a_long_url_name_is_read_in_linear_time():
    assert_linear(from_query, lambda n: {"`" * n: "1", "1" * n: "`" * n}, 1_000)


# --- the parameters JSON ---------------------------------------------------------------------------

PARAMS = {"format": "twolayer-params/1", "iteration": 0, "settings": {}, "learning_rate_schedule": []}


def with_params(text: str) -> str:
    """A parameters file whose "params" value is `text`."""
    return json.dumps(PARAMS | {"params": "#"}).replace('"#"', text)


JSON_CASES = {  # (make, base): 100x the base stays under the 1,000,000-character limit
    "integer": (lambda n: with_params("1" * n), 3_000),
    "fraction": (lambda n: with_params("0." + "1" * n), 3_000),
    "exponent": (lambda n: with_params("1e" + "1" * n), 3_000),
    "many-numbers": (lambda n: with_params(json.dumps({"W1": [[0.5] * n]})), 1_000),
    "string": (lambda n: with_params('"' + "a" * n + '"'), 3_000),
    "nesting": (lambda n: with_params("[" * n + "]" * n), 3_000),
}


@pytest.mark.parametrize("name", JSON_CASES)
def test_the_parameters_json_is_read_in_linear_time(name):
    make, base = JSON_CASES[name]
    assert len(make(100 * base)) < 1_000_000
    assert outcome(load_params_json, make(base)) != "ok"
    assert_linear(load_params_json, make, base)


def test_a_long_number_in_the_parameters_json_is_refused_by_its_length():
    text = with_params("1" * 5_000)
    assert outcome(load_params_json, text) == "a number is 5,000 characters long; at most 100 are allowed"


# --- file names ----------------------------------------------------------------------------------

CSV = (HEADER + GOOD_ROW * 5 + "1,2,0\n" * 5).encode()


@pytest.mark.parametrize("run", ["a", "é", "/..", "<>"])
def test_an_uploads_file_name_is_read_in_linear_time(run):
    read = lambda name: Upload.read(CSV, name)  # noqa: E731
    assert len(read(run * 10_000).name) <= 40
    assert_linear(lambda name: read(name).name, lambda n: run * n + ".csv", 10_000)


# --- controls: the check catches superlinear time --------------------------------------------------

OLD_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")  # twolayer.data's before the fix


def test_the_check_catches_the_old_ambiguous_expression():
    ratio10, ratio100 = growth(OLD_NUMBER.fullmatch, lambda n: "1" * n + "x", 15)
    assert ratio100 > 100 * SLACK, ratio100


def test_the_check_catches_a_quadratic_parser():
    quadratic = lambda text: sum(a == b for a in text for b in text)  # noqa: E731
    ratio10, ratio100 = growth(quadratic, lambda n: "1" * n, 20)
    assert ratio100 > 100 * SLACK, ratio100
