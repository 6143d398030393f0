"""Hostile input, without a browser: URL parameters (`appkit.settings.from_query`, then the whole app
through AppTest), uploaded files (`twolayer.data.load_csv`, then the Your data page), and controls
changed from other threads while a training update runs, with exceptions raised inside training.

Property-based where the input space is large (hypothesis); each property says what must hold for
*every* input: a valid result or a ValueError with a short, one-line message, never anything else.
"""

import contextlib
import math
import random
import threading
import time
from dataclasses import fields, replace
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from appkit import runstate
from appkit.downloads import build_data
from appkit.runstate import DIVERGED, DONE, PAUSED, READY, RUNNING, Run
from appkit.scenes import SCENES
from appkit.settings import (
    CHOICES,
    DEFAULTS,
    IGNORED_URL_NAMES,
    ITERATIONS,
    NUMERIC_RANGES,
    UPLOAD,
    URL_NAMES,
    Settings,
    from_query,
    to_query,
)
from twolayer.data import MAX_ABS, MAX_ROWS, MIN_ROWS, load_csv

APP = str(Path(__file__).resolve().parents[1] / "app.py")
MAX_WARNING = 250  # characters: a warning is one short sentence
MAX_ERROR = 500  # characters: an upload error names the line, the column and a cut-short value

# --- URL parameters ------------------------------------------------------------------------------

ODD_TEXT = [
    "", " ", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e-400", "0x10", "0b1", "1_000",
    "٥٠٠", "５", " 0.3 ", "0.30000000000000004", "+5", "-0", "5.", ".5", "5e0", "\x00", "None", "True", "[]",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](https://example.com)", ":red[x]", "'; --",
    "%00", "\u202etxt.exe", "\n", "\r\n5", "9" * 400, "1" + "0" * 400, "upload", "tanh\x00", "moons ",
]  # fmt: skip
VALID_TEXT = sorted(
    {str(c) for cs in CHOICES.values() for c in cs}
    | {f"{c:g}" for c in (*CHOICES["learning_rate"], *CHOICES["l2"], *CHOICES["iterations"], *CHOICES["speed"])}
    | {"0", "50", "64", "0.9", "0.45", "5000", "2147483647", "1234567"}
)
url_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(ODD_TEXT),
    st.sampled_from(VALID_TEXT),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**500), max_value=10**500).map(str),
)
url_names = st.one_of(
    st.sampled_from(sorted(URL_NAMES)),
    st.sampled_from(sorted(IGNORED_URL_NAMES)),
    st.text(max_size=20),
)
queries = st.dictionaries(url_names, url_values | st.lists(url_values, max_size=3), max_size=8)


def assert_valid_settings(s: Settings) -> None:
    """Every field has the type and a value its control can show."""
    for field in fields(Settings):
        value, default = getattr(s, field.name), getattr(DEFAULTS, field.name)
        assert type(value) is type(default), (field.name, value)
        if field.name in CHOICES:
            assert value in CHOICES[field.name], (field.name, value)
        else:
            low, high, step = NUMERIC_RANGES[field.name]
            assert math.isfinite(value) and low <= value <= high, (field.name, value)
            if isinstance(value, float):  # snapped to the slider's step
                assert abs(value / step - round(value / step)) < 1e-9, (field.name, value)


def assert_short_warning(warning) -> None:
    assert isinstance(warning, str) and 0 < len(warning) <= MAX_WARNING, warning
    assert warning.isprintable(), f"control characters in {warning!r}"  # repr() escaped the user's text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries)
@example({"n": "51", "hidden": "64", "iters": "50000", "dseed": "2147483647"})
@example({"lr": ["0.3", "nan"], "noise": "0.2000000001", "": "", "data": "upload"})
@example({name: "1e400" for name in URL_NAMES})
def test_from_query_never_raises_and_every_field_is_valid(query):
    parsed, warnings = from_query(query)
    assert_valid_settings(parsed)
    for warning in warnings:
        assert_short_warning(warning)
    unknown = [name for name in query if name not in URL_NAMES and name not in IGNORED_URL_NAMES]
    rejected = [
        name for name in query if name in URL_NAMES and any(w.startswith(f"URL parameter {name}=") for w in warnings)
    ]
    assert len(warnings) == len(unknown) + len(rejected)
    for name in rejected:  # an unusable value falls back to the default
        field = URL_NAMES[name]
        assert getattr(parsed, field) == getattr(DEFAULTS, field), name
        assert "using the default" in next(w for w in warnings if w.startswith(f"URL parameter {name}="))
    for name in set(query) & set(URL_NAMES) - set(rejected):  # an accepted value is the one in the URL
        raw = (query[name] or [""])[-1] if isinstance(query[name], list) else query[name]
        field = URL_NAMES[name]
        value = getattr(parsed, field)
        if isinstance(value, str):
            assert raw.strip() == value
        else:  # sliders with a float step snap to it
            snap = NUMERIC_RANGES[field][2] / 2 if isinstance(value, float) and field in NUMERIC_RANGES else 0
            assert math.isclose(float(raw), value, rel_tol=1e-9, abs_tol=snap + 1e-9), (name, raw, value)


def ids(query: dict) -> str:
    return "&".join(f"{k}={v}" for k, v in query.items())


valid_settings = st.builds(
    Settings,
    dataset=st.sampled_from([d for d in CHOICES["dataset"] if d != UPLOAD]),
    noise=st.integers(0, 10).map(lambda k: round(k * 0.05, 10)),
    samples=st.integers(*NUMERIC_RANGES["samples"][:2]),
    learning_rate=st.sampled_from(CHOICES["learning_rate"]),
    hidden_size=st.integers(*NUMERIC_RANGES["hidden_size"][:2]),
    iterations=st.sampled_from(CHOICES["iterations"]),
    test_share=st.integers(0, 18).map(lambda k: round(k * 0.05, 10)),
    activation=st.sampled_from(CHOICES["activation"]),
    init=st.sampled_from(CHOICES["init"]),
    l2=st.sampled_from(CHOICES["l2"]),
    data_seed=st.integers(*NUMERIC_RANGES["data_seed"][:2]),
    init_seed=st.integers(*NUMERIC_RANGES["init_seed"][:2]),
    speed=st.sampled_from(CHOICES["speed"]),
)


@settings(max_examples=200, deadline=None)
@given(valid_settings)
@example(Settings(data_seed=1_234_567, init_seed=2**31 - 1))
def test_every_valid_setting_survives_the_url_the_app_writes(chosen):
    """What the app puts in the address bar (to_query) reads back (from_query) unchanged, without warnings.
    (to_query wrote integers with :g until a seed of 1234567 became '1.23457e+06', then 1234570.)"""
    assert from_query(to_query(chosen)) == (chosen, [])


# --- URL parameters through the whole app (AppTest) ----------------------------------------------

app_names = url_names.filter(lambda name: name not in ("embed", "embed_options"))  # Streamlit keeps these


def app_with(query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(query)
    return at.run()


def what_the_app_sees(query: dict) -> dict[str, str]:
    """st.query_params.to_dict() for `query`: URL-encoded, decoded, last value of a repeated name."""
    parsed = parse_qs(urlencode(query, doseq=True), keep_blank_values=True)
    return {name: values[-1] for name, values in parsed.items()}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(app_names, url_values | st.lists(url_values, max_size=2), max_size=5))
@example({"data": "<img src=x onerror=alert(1)>", "n": "5000", "hidden": "64", "iters": "50000"})
@example({"lr": "nan", "noise": "inf", "dseed": "-1", "scene": "<script>", "present": "\x00", "act": ["relu", "x"]})
@example({"data": "upload", "speed": "1e400", "test": "0.95", "bogus": "[x](javascript:alert(1))"})
def test_hostile_urls_open_the_playground_with_defaults_and_warnings(query):
    at = app_with(query)
    assert not at.exception, [e.message for e in at.exception]
    seen = what_the_app_sees(query)
    expected, warnings = from_query(seen)
    scene = seen.get("scene")
    if scene in SCENES:
        expected = SCENES[scene].settings
    if expected.dataset == UPLOAD:  # no upload in a fresh session
        expected = replace(expected, dataset="moons")
    assert at.session_state.settings == expected
    assert at.session_state.run.settings == expected and at.session_state.run.status == READY
    shown = [w.value for w in at.warning]
    assert all(w in shown for w in warnings)
    if scene is not None and scene not in SCENES:
        assert sum(w.startswith("Unknown scene ") for w in shown) == 1, shown
    for warning in shown:
        assert_short_warning(warning)
    for name, raw in seen.items():  # an unusable value: the control shows the default
        if name in URL_NAMES and any(w.startswith(f"URL parameter {name}=") for w in shown):
            field = URL_NAMES[name]
            assert at.session_state[f"w_{field}"] == getattr(DEFAULTS, field), (name, raw)
    assert [b.key for b in at.button if b.key == "train"] == ["train"]


def test_a_reloaded_page_keeps_a_large_seed():
    """The app rewrites the address bar (sync_url); opening that address again gives the same settings."""
    first = app_with({"dseed": "2147483647", "iseed": "1234567"})
    assert not first.exception and first.session_state.settings.data_seed == 2147483647
    reloaded = app_with(dict(first.query_params))
    assert not reloaded.exception and not reloaded.warning
    assert reloaded.session_state.settings == first.session_state.settings


# --- uploaded files: load_csv --------------------------------------------------------------------


def assert_valid_upload(X, y) -> None:
    assert isinstance(X, np.ndarray) and X.dtype == np.float64 and X.ndim == 2 and X.shape[1] == 2
    assert isinstance(y, np.ndarray) and y.dtype == np.int64 and y.shape == (X.shape[0],)
    assert MIN_ROWS <= len(y) <= MAX_ROWS
    assert np.isfinite(X).all() and np.abs(X).max() <= MAX_ABS
    assert set(np.unique(y).tolist()) == {0, 1}


def load_or_error(source) -> tuple | str:
    """load_csv's (X, y), checked, or its error message, checked; any other exception fails the test."""
    try:
        X, y = load_csv(source)
    except ValueError as error:
        message = str(error)
        assert 0 < len(message) <= MAX_ERROR, message
        assert "\n" not in message and "\r" not in message, message
        return message
    assert_valid_upload(X, y)
    return X, y


HOSTILE_CELLS = [
    "", " ", "nan", "NaN", "inf", "-Infinity", "1e400", "-1e308", "1e6", "1000001", "1_000", "0x1p3", "١", "５",
    "1,5", '"', '""', "'", ";", "\t", "\r", "\n", "\x00", "é", "\ufeff", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "=cmd|' /C calc'!A0", "\u202e", "9" * 300, "0.1" * 50, "--1", "1e", ".", "-",
]  # fmt: skip
number_cells = st.one_of(
    st.floats(min_value=-MAX_ABS, max_value=MAX_ABS).map(repr),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
)
cells = st.one_of(number_cells, st.sampled_from(HOSTILE_CELLS), st.text(max_size=8))
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "cp1252"]
HEADERS = [None, "x1,x2,label", " X1 , x2 ,LABEL", "<script>alert(1)</script>,x2,label", "x1,x2,<b>label</b>", "a;b;c"]


@st.composite
def hostile_csv(draw) -> bytes:
    """Rows of mostly numbers with hostile cells, headers and separators, in some encoding."""
    header = draw(st.sampled_from(HEADERS))
    n = draw(st.sampled_from([0, 1, 9, 10, 11, 25]))
    labels = draw(st.sampled_from([("0", "1"), ("-1", "1"), ("1", "1"), ("0", "1", "2"), ("<script>", "1")]))
    rows = [[repr(random.Random(i).uniform(-3, 3)), repr(float(i)), labels[i % len(labels)]] for i in range(n)]
    for _ in range(draw(st.integers(0, 3))):  # corrupt some cells, add or drop some
        if rows:
            row = rows[draw(st.integers(0, len(rows) - 1))]
            action = draw(st.sampled_from(["cell", "append", "drop"]))
            if action == "cell" and row:
                row[draw(st.integers(0, len(row) - 1))] = draw(cells)
            elif action == "append":
                row.append(draw(cells))
            elif row:
                row.pop()
    separator = draw(st.sampled_from([",", ",", ",", ";", "\t", ", "]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = ([header] if header else []) + [separator.join(row) for row in rows]
    text = newline.join(lines) + draw(st.sampled_from(["", newline, newline * 3]))
    encoding = draw(st.sampled_from(ENCODINGS))
    return text.encode(encoding, errors="replace")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
@example(b"")
@example(b"\xff\xfe" + "x1,x2,label\n".encode("utf-16-le"))
@example(b"\xef\xbb\xbf")
@example(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
@example(b"PK\x03\x04\x14\x00\x06\x00")  # an .xlsx is a zip
@example(b"\xef\xbb\xbf\xef\xbb\xbfx1,x2,label\n")  # two BOMs
def test_load_csv_on_arbitrary_bytes_returns_valid_data_or_a_short_value_error(data):
    load_or_error(data)
    load_or_error(data.decode("latin-1"))  # the same bytes as text: a str source is always CSV text


@settings(max_examples=400, deadline=None)
@given(hostile_csv())
def test_load_csv_on_hostile_csv_returns_valid_data_or_a_short_value_error(data):
    result = load_or_error(data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        assert isinstance(result, str)  # UTF-16 (with or without BOM) is refused, not misread


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-MAX_ABS, MAX_ABS), st.floats(-MAX_ABS, MAX_ABS)), min_size=MIN_ROWS, max_size=60
    ).flatmap(
        lambda points: st.tuples(st.just(points), st.lists(st.booleans(), min_size=len(points), max_size=len(points)))
    ),
    st.sampled_from([(0, 1), (-1, 1), (1, 2), (0.5, -3.25)]),
    st.sampled_from(["utf-8", "utf-8-sig"]),
    st.booleans(),
)
def test_load_csv_reads_every_valid_file_exactly(points_and_classes, labels, encoding, header):
    points, classes = points_and_classes
    if len(set(classes)) < 2:
        classes = [i % 2 == 0 for i in range(len(points))]
    text = ("x1,x2,label\n" if header else "") + "".join(
        f"{a!r},{b!r},{labels[c]}\n" for (a, b), c in zip(points, classes, strict=True)
    )
    result = load_or_error(text.encode(encoding))
    assert not isinstance(result, str), result
    X, y = result
    np.testing.assert_array_equal(X, np.array(points, dtype=np.float64))
    larger = max(labels)
    np.testing.assert_array_equal(y, [int(labels[c] == larger) for c in classes])


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ("x1,x2,label\n" + "0.5,0.5,0\n0.25,0.75,1\n" * (MAX_ROWS // 2) + "1,1,0\n", "more than 20,000 data rows"),
        (b"1,2,0\n" + b" " * 10_000_000, "larger than 10 MB"),
        ("x1,x2,label\n" + "0.5,0.5,1\n" * 50, "Every row has label 1"),
        ("x1,x2,label\n" + "nan,0.5,1\n" + "0.5,0.5,0\n" * 50, "NaN"),
        ("x1,x2,label\n" + "1e300,0.5,1\n" + "0.5,0.5,0\n" * 50, "too large"),
        ("x1,x2,label\n" + "0.5,0.5,0\n0.5,0.5,<script>alert(1)</script>\n" * 10, "<script>alert(1)</script>"),
        ("x1,x2,label\n".encode("utf-16") + "0,0,0\n".encode("utf-16-le") * 20, "UTF-16"),
        ("x1,x2,label\n" + "0,0,0\n" * 20, None),  # too few classes: one label only
        ("x1,x2,lab\u00e9l\n" + "0,0,0\n0,0,1\n" * 10, "not UTF-8"),
    ],
    ids=["too many rows", "over 10 MB", "one class", "NaN", "huge", "script label", "UTF-16 body", "0s", "latin-1"],
)
def test_load_csv_limits_and_odd_files(data, match):
    if isinstance(data, str) and "lab\u00e9l" in data:
        data = data.encode("latin-1")
    result = load_or_error(data)
    assert isinstance(result, str)
    assert match is None or match in result, result


# --- the Your data page (AppTest's file_uploader) ------------------------------------------------

GOOD_CSV = ("x1,x2,label\n" + "".join(f"{i / 10!r},{-i / 10!r},{i % 2}\n" for i in range(30))).encode()


def your_data_page(upload: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    if upload is not None:
        at.session_state["upload"] = upload
    at.switch_page("pages/your_data.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def send(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader(key="uploader").set_value((name, content, "text/csv")).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def assert_same_upload(a: dict, b: dict) -> None:
    assert a["digest"] == b["digest"] and a["name"] == b["name"]
    np.testing.assert_array_equal(a["X"], b["X"])
    np.testing.assert_array_equal(a["y"], b["y"])


def test_a_bad_file_keeps_the_data_uploaded_before():
    X, y = load_csv(GOOD_CSV)
    previous = {"X": X, "y": y, "name": "mine.csv", "digest": "0123456789abcdef"}
    at = your_data_page(previous)
    assert any("mine.csv" in c.value for c in at.caption)
    send(at, "evil.csv", b"x1,x2,label\n" + b"0,0,<script>alert(1)</script>\n" * 20)
    assert_same_upload(at.session_state["upload"], previous)
    assert [e.value for e in at.error] == ["This file cannot be used; the data you had stays in use."]
    assert "<script>alert(1)</script>" in at.text[0].value  # shown as plain text (st.text), quoted
    assert any("mine.csv" in c.value and "30 points" in c.value for c in at.caption)


def test_a_good_upload_then_bad_ones_keep_the_good_one():
    at = your_data_page()
    send(at, "<b>data</b>.csv", GOOD_CSV)
    good = at.session_state["upload"]
    assert good["name"] == "bdatab.csv" and len(good["y"]) == 30  # the file name is user text: made safe
    for name, content in [
        ("b.csv", "x1,x2,label\n0,0,0\n".encode("utf-16")),
        ("c.csv", b"\x00\x01\x02" * 100),
        ("d.csv", b""),
        ("e.csv", b"x1,x2,label\n" + b"1e400,0,1\n" * 20),
        ("f.csv", b"x1,x2,label\n" + b"0,0,1\n" * 20),
    ]:
        send(at, name, content)
        assert_same_upload(at.session_state["upload"], good)
        assert len(at.error) == 1 and len(at.text) == 1 and len(at.text[0].value) <= MAX_ERROR


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(hostile_csv(), st.binary(max_size=200)))
def test_the_your_data_page_survives_hostile_files(content):
    X, y = load_csv(GOOD_CSV)
    previous = {"X": X, "y": y, "name": "mine.csv", "digest": "0123456789abcdef"}
    at = send(your_data_page(previous), "hostile.csv", content)
    result = load_or_error(content)
    if isinstance(result, str):
        assert_same_upload(at.session_state["upload"], previous)
        assert [t.value for t in at.text] == [result]
    else:
        np.testing.assert_array_equal(at.session_state["upload"]["X"], result[0])


# --- controls changed in the middle of a training update, and interrupted training ----------------
#
# Streamlit runs a fragment tick and a button callback on different threads (fast reruns), and stops a
# script with a BaseException. Run promises that no reader ever sees it half-updated. Below, one thread
# trains in ticks, two others press Pause/Resume and change the learning rate and the iteration budget,
# and an exception (a BaseException, like Streamlit's StopException) is raised inside training.


class Interrupted(BaseException):
    """Stands for Streamlit's StopException/RerunException, which derive from BaseException."""


STATES = (READY, RUNNING, PAUSED, DONE, DIVERGED)
LEARNING_RATES = (0.05, 0.1, 0.3, 1.0, 3.0)
BUDGETS = (100, 200, 500, 1000, 2000)


def problems(run: Run) -> list[str]:
    """What is inconsistent in `run` (call with run.lock held, or when no thread uses it)."""
    out = []
    n = run.trainer.iteration
    if run.status not in STATES:
        out.append(f"unknown status {run.status!r}")
    if any(len(values) != n for values in run.trainer.history.values()):
        out.append(f"history lengths {[len(v) for v in run.trainer.history.values()]} != iteration {n}")
    starts = [i for i, _ in run.snapshots]
    if starts[0] != 0 or any(a >= b for a, b in zip(starts, starts[1:], strict=False)):
        out.append(f"snapshot iterations not strictly increasing from 0: {starts[:3]}…{starts[-3:]}")
    if starts[-1] != n:
        out.append(f"last snapshot at iteration {starts[-1]}, trainer at {n}")
    last, params = run.snapshots[-1][1], run.trainer.params
    if any(not np.array_equal(last[k], params[k]) for k in params):
        out.append(f"last snapshot's params differ from the trainer's (iteration {n})")
    if len(run.snapshots) > runstate.MAX_SNAPSHOTS:
        out.append(f"{len(run.snapshots)} snapshots")
    lr_starts = [i for i, _ in run.lr_schedule]
    if lr_starts[0] != 0 or any(a >= b for a, b in zip(lr_starts, lr_starts[1:], strict=False)) or lr_starts[-1] > n:
        out.append(f"learning-rate schedule {run.lr_schedule} at iteration {n}")
    if run.trainer.learning_rate != run.settings.learning_rate or (
        run.status != DIVERGED and run.lr_schedule[-1][1] != run.trainer.learning_rate
    ):  # after divergence the schedule keeps what was trained
        out.append(
            f"learning rates {run.lr_schedule[-1][1]}, {run.trainer.learning_rate}, {run.settings.learning_rate}"
        )
    remaining = run.settings.iterations - n
    if run.status == READY and n:
        out.append(f"ready at iteration {n}")
    if run.status in (READY, RUNNING, PAUSED) and remaining <= 0:
        out.append(f"{run.status} with no iterations left ({n} of {run.settings.iterations})")
    if run.status == DONE and remaining > 0:
        out.append(f"done with {remaining} iterations left")
    if run.status == DIVERGED and not (run.error and run.trainer.diverged):
        out.append("diverged without an error")
    if (run.status == RUNNING) != (run._since is not None):  # advance() unpacks _since while running
        out.append(f"status {run.status} with _since={run._since}")
    return out


def checked(run: Run, where: str, found: list[str]) -> None:
    with run.lock:
        found.extend(f"{where}: {p}" for p in problems(run))


def hammer(seed: int, fault: str | None, seconds: float = 1.0) -> tuple[Run, list[str], int]:
    """Trains `run` in ticks while two threads press buttons; `fault` says where training is interrupted:
    "before" (before any step), "after" (after the steps, before Run's bookkeeping), "inside" (between
    two blocks of steps). Returns the run, the inconsistencies seen (checked under the lock after every
    action) and the number of interruptions."""
    base = replace(DEFAULTS, samples=60, hidden_size=3, iterations=1000, learning_rate=0.3)
    run = Run.start(base, build_data(base))
    run.trainer.net.block = 16  # several blocks per tick, so "inside" can strike between them
    chooser, found, interruptions = random.Random(seed), [], [0]
    train, check = run.trainer.train, run.trainer._first_bad_cost

    def faulty_train(steps):
        if fault == "before" and chooser.random() < 0.2:
            interruptions[0] += 1
            raise Interrupted
        result = train(steps)
        if fault == "after" and chooser.random() < 0.2:
            interruptions[0] += 1
            raise Interrupted
        return result

    def faulty_check(costs):
        if fault == "inside" and chooser.random() < 0.1:
            interruptions[0] += 1
            raise Interrupted
        return check(costs)

    run.trainer.train, run.trainer._first_bad_cost = faulty_train, faulty_check
    stop, errors = threading.Event(), []

    def ticks() -> None:
        try:
            while not stop.is_set():
                with contextlib.suppress(Interrupted):  # Streamlit drops the interrupted run; the next tick comes
                    run.advance(chooser.randint(1, 60))
                checked(run, "after a tick", found)
                time.sleep(0)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    def controls(seed: int) -> None:
        own = random.Random(seed)
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                action = own.random()
                if action < 0.25:
                    run.pause()
                elif action < 0.55:
                    run.play()
                elif action < 0.8:
                    run.update_settings(replace(run.settings, learning_rate=own.choice(LEARNING_RATES)))
                else:
                    run.update_settings(replace(run.settings, iterations=own.choice(BUDGETS)))
                checked(run, f"after {action:.2f}", found)
                time.sleep(own.random() * 2e-3)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=ticks)] + [
        threading.Thread(target=controls, args=(seed * 10 + k,)) for k in (1, 2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads[1:]:
        thread.join(timeout=60)
    stop.set()
    threads[0].join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == [], errors
    run.trainer.train, run.trainer._first_bad_cost = train, check
    return run, found, interruptions[0]


def finish(run: Run) -> None:
    """With no more interruptions, a run that can continue must reach the end of its budget."""
    run.update_settings(replace(run.settings, learning_rate=0.3))
    run.play()
    for _ in range(200):
        if run.status in (DONE, DIVERGED):
            break
        run.advance(50)
    assert run.status in (DONE, DIVERGED), f"stuck {run.status} at {run.iteration} of {run.settings.iterations}"
    assert problems(run) == []
    if run.status == DONE:
        assert run.iteration >= run.settings.iterations


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("fault", [None, "before", "after", "inside"])
def test_controls_and_interruptions_never_leave_the_run_half_updated(seed, fault):
    """Checked under the lock after every tick and every button press. ("after" and "inside" left the run
    half-updated until Run.advance settled in `finally` and Trainer.train became all-or-nothing.)"""
    run, found, interruptions = hammer(seed, fault)
    assert found == [], found[:5]
    assert problems(run) == []
    assert run.iteration > 0 and len(run.lr_schedule) > 1
    assert fault is None or interruptions > 0
    finish(run)


def test_a_run_interrupted_after_its_last_steps_still_finishes():
    """Once, it stayed 'running' with no iterations left, and the fragment ticked forever."""
    base = replace(DEFAULTS, samples=60, hidden_size=3, iterations=100)
    run = Run.start(base, build_data(base))
    run.play()
    train = run.trainer.train

    def interrupted_after_the_last_steps(steps):
        train(steps)
        if run.trainer.iteration == run.settings.iterations:
            raise Interrupted

    run.trainer.train = interrupted_after_the_last_steps
    with pytest.raises(Interrupted):
        for _ in range(100):
            run.advance(100)
    run.trainer.train = train
    run.advance(10)  # the next tick
    assert run.status == DONE and problems(run) == []


def test_iterations_and_learning_rate_changes_during_a_tick_take_effect_whole():
    """A callback that runs while a tick holds the lock waits for it; then its change applies entirely."""
    base = replace(DEFAULTS, samples=60, hidden_size=3, iterations=ITERATIONS[-1])
    run = Run.start(base, build_data(base))
    run.play()
    in_tick, release = threading.Event(), threading.Event()
    train = run.trainer.train

    def slow_train(steps):
        in_tick.set()
        release.wait(10)
        return train(steps)

    run.trainer.train = slow_train
    tick = threading.Thread(target=run.advance, args=(200,))
    tick.start()
    assert in_tick.wait(10)
    callback = threading.Thread(target=run.update_settings, args=(replace(base, learning_rate=1.0, iterations=100),))
    callback.start()
    time.sleep(0.05)
    assert callback.is_alive()  # waits for the tick's lock
    assert run.settings == base and run.iteration == 0  # nothing applied half-way
    release.set()
    tick.join(10)
    callback.join(10)
    assert run.status == DONE and problems(run) == []
    (_, first), (changed, second) = run.lr_schedule  # the change took effect at one iteration, as a whole
    assert (first, second) == (0.3, 1.0) and 0 < changed <= 200
    assert run.iteration == max(changed, 100)  # and with it the lowered budget (passed already, or reached)
