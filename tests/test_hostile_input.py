"""Hostile input, without a browser: URLs through the whole app (AppTest), uploaded files
(`twolayer.data.load_csv`, then the Your data page), and controls changed from other threads while a
training update runs, with exceptions raised inside training. (`appkit.settings.from_query` on its own:
test_settings.py; load_csv's messages: test_data.py.)

Property-based where the input space is large (hypothesis); each property says what must hold for
*every* input: a valid result or a ValueError with a short, one-line message, never anything else.
"""

import contextlib
import random
import threading
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from appkit import runstate
from appkit.build import Upload, build_data
from appkit.runstate import DIVERGED, DONE, PAUSED, READY, RUNNING, STATES, Run
from appkit.scenes import SCENES
from appkit.session import SESSION_KEY, Session, widget_key
from appkit.settings import BY_NAME, BY_URL, DEFAULTS, OTHER_URL_NAMES
from tests.test_settings import assert_short_warning, url_values
from twolayer.data import MAX_ABS, MAX_ROWS, MIN_ROWS, load_csv

APP = str(Path(__file__).resolve().parents[1] / "app.py")
MAX_ERROR = 500  # characters: an upload error names the line, the column and a cut-short value

# --- URL parameters through the whole app (AppTest) ----------------------------------------------

url_names = st.one_of(st.sampled_from(sorted(BY_URL)), st.sampled_from(sorted(OTHER_URL_NAMES)), st.text(max_size=20))
app_names = url_names.filter(lambda name: name not in ("embed", "embed_options"))  # Streamlit keeps these


def app_with(query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
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
@example({"scene": "too-high", "present": "1", "lr": "banana"})
def test_hostile_urls_open_the_playground_with_what_the_session_makes_of_them(query):
    """Whatever the link, the page draws without an exception, with the settings, warnings and state that
    Session.from_url gives for it (test_session.py says what that is), and the sidebar shows them."""
    at = app_with(query)
    assert not at.exception, [e.message for e in at.exception]
    seen = what_the_app_sees(query)
    expected = Session.from_url(seen, probe=False)
    session = at.session_state[SESSION_KEY]
    assert session.settings == session.run.settings == expected.settings
    assert session.presenter == expected.presenter
    assert (session.run.status == READY) == (seen.get("scene") not in SCENES)  # a scene trains at once
    shown = [w.value for w in at.warning]
    if session.run.status == READY:
        assert shown == expected.warnings
    for warning in shown:
        assert_short_warning(warning)
    for name in set(seen) & set(BY_URL):  # every control shows the setting in force
        f = BY_URL[name]
        assert at.session_state[widget_key(f.name)] == getattr(expected.settings, f.name), (name, seen[name])
    assert len([b for b in at.button if b.key in ("train", "pause", "more")]) == 1


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


# --- the Your data page (AppTest's file_uploader) ------------------------------------------------

GOOD_CSV = ("x1,x2,label\n" + "".join(f"{i / 10!r},{-i / 10!r},{i % 2}\n" for i in range(30))).encode()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(hostile_csv(), st.binary(max_size=200)))
def test_the_your_data_page_survives_hostile_files(content):
    """A file that load_csv refuses leaves the data uploaded before in use and shows load_csv's message as
    plain text; one it reads becomes the upload. (Examples of both: test_pages.py.)"""
    at = AppTest.from_file(APP, default_timeout=60).run()
    session = at.session_state[SESSION_KEY]
    previous = Upload.read(GOOD_CSV, "mine.csv")
    session.set_upload(previous)
    at.switch_page("pages/your_data.py").run()
    at.file_uploader(key="uploader").set_value(("hostile.csv", content, "text/csv")).run()
    assert not at.exception, [e.message for e in at.exception]
    result = load_or_error(content)
    if isinstance(result, str):
        assert session.upload is previous
        assert [t.value for t in at.text] == [result]
    else:
        np.testing.assert_array_equal(session.upload.X, result[0])
        np.testing.assert_array_equal(session.upload.y, result[1])


# --- controls changed in the middle of a training update, and interrupted training ----------------
#
# Streamlit runs a fragment tick and a button callback on different threads (fast reruns), and stops a
# script with a BaseException. Run promises that no reader ever sees it half-updated. Below, one thread
# trains in ticks, two others press Pause/Resume/Train N more and change the learning rate and the
# iteration budget, and an exception (a BaseException, like Streamlit's StopException) is raised inside
# training. (That the result equals a plain Trainer with the recorded schedule: test_runstate.py.)


class Interrupted(BaseException):
    """Stands for Streamlit's StopException/RerunException, which derive from BaseException."""


LEARNING_RATES = (0.05, 0.1, 0.3, 1.0, 3.0)
BUDGETS = (100, 200, 500, 1000, 2000)
ACTIONS = 300  # button presses per control thread


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
    ran = all(begin < n for begin in lr_starts[1:])
    if lr_starts[0] != 0 or any(a >= b for a, b in zip(lr_starts, lr_starts[1:], strict=False)) or not ran:
        out.append(f"learning-rate schedule {run.lr_schedule} at iteration {n}")  # a rate enters once it ran
    if run.trainer.learning_rate != run.settings.learning_rate:
        out.append(f"learning rates {run.trainer.learning_rate} (trainer), {run.settings.learning_rate} (settings)")
    if run.status == READY and n:
        out.append(f"ready at iteration {n}")
    if run.status in (RUNNING, PAUSED) and not run.remaining:
        out.append(f"{run.status} with no iterations left ({n} of {run.target})")
    if run.status == DONE and run.remaining:
        out.append(f"done with {run.remaining} iterations left")
    if run.status == DIVERGED and not (run.error and run.trainer.diverged):
        out.append("diverged without an error")
    if (run.status == RUNNING) != (run._since is not None):  # training updates unpack _since while running
        out.append(f"status {run.status} with _since={run._since}")
    return out


def checked(run: Run, where: str, found: list[str]) -> None:
    with run.lock:
        found.extend(f"{where}: {p}" for p in problems(run))


def hammer(seed: int, fault: str | None) -> tuple[Run, list[str], int]:
    """Trains `run` in ticks while two threads press buttons; `fault` says where training is interrupted:
    "before" (before any step), "after" (after the steps, before Run's bookkeeping), "inside" (between
    two blocks of steps). Returns the run, the inconsistencies seen (checked under the lock after every
    action) and the number of interruptions."""
    base = replace(DEFAULTS, samples=60, hidden_size=3, iterations=1000, learning_rate=0.3)
    run = Run.start(base, build_data(base), probe=False)
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
                    run.tick(chooser.randint(1, 60))
                checked(run, "after a tick", found)
                time.sleep(0)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    def controls(seed: int) -> None:
        own = random.Random(seed)
        try:
            for _ in range(ACTIONS):
                action = own.random()
                if action < 0.2:
                    run.pause()
                elif action < 0.45:
                    run.train()
                elif action < 0.55:
                    run.more(own.choice(BUDGETS))
                elif action < 0.8:
                    run.set_learning_rate(own.choice(LEARNING_RATES))  # False once done: the session starts afresh
                else:
                    run.set_budget(replace(run.settings, iterations=own.choice(BUDGETS)))
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
        thread.join(timeout=120)
    stop.set()
    threads[0].join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == [], errors
    run.trainer.train, run.trainer._first_bad_cost = train, check
    return run, found, interruptions[0]


def finish(run: Run) -> None:
    """With no more interruptions, a run that can continue must reach the end of its budget."""
    run.set_learning_rate(0.3)
    run.train()
    for _ in range(200):
        if run.status in (DONE, DIVERGED):
            break
        run.tick(50)
    assert run.status in (DONE, DIVERGED), f"stuck {run.status} at {run.iteration} of {run.target}"
    assert problems(run) == []
    if run.status == DONE:
        assert run.iteration >= run.target


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("fault", [None, "before", "after", "inside"])
def test_controls_and_interruptions_never_leave_the_run_half_updated(seed, fault):
    """Checked under the lock after every tick and every button press. ("after" and "inside" left the run
    half-updated until training settled in `finally` and Trainer.train became all-or-nothing.)"""
    run, found, interruptions = hammer(seed, fault)
    assert found == [], found[:5]
    assert problems(run) == []
    assert run.iteration > 0
    assert fault is None or interruptions > 0
    finish(run)


def test_a_run_interrupted_after_its_last_steps_still_finishes():
    """Once, it stayed 'running' with no iterations left, and the fragment ticked forever."""
    base = replace(DEFAULTS, samples=60, hidden_size=3, iterations=100)
    run = Run.start(base, build_data(base), probe=False)
    run.train()
    train = run.trainer.train

    def interrupted_after_the_last_steps(steps):
        train(steps)
        if run.trainer.iteration == run.target:
            raise Interrupted

    run.trainer.train = interrupted_after_the_last_steps
    with pytest.raises(Interrupted):
        for _ in range(100):
            run.tick(100)
    run.trainer.train = train
    run.tick(10)  # the next tick
    assert run.status == DONE and problems(run) == []


def test_a_rate_whose_first_steps_were_interrupted_is_not_scheduled():
    """The schedule names a rate only once a step ran with it, even when the first try was interrupted."""
    base = replace(DEFAULTS, samples=60, hidden_size=3, iterations=1000)
    run = Run.start(base, build_data(base), probe=False)
    run.step(10)
    run.set_learning_rate(1.0)
    train = run.trainer.train

    def interrupted(steps):
        raise Interrupted

    run.trainer.train = interrupted
    with pytest.raises(Interrupted):
        run.step(5)
    run.trainer.train = train
    assert run.lr_schedule == [(0, 0.3)] and problems(run) == []
    run.set_learning_rate(2.0)
    run.step(5)
    assert run.lr_schedule == [(0, 0.3), (10, 2.0)] and problems(run) == []


def test_changes_sent_during_a_tick_wait_for_it_and_apply_whole():
    """A callback that runs while a tick holds the lock waits for it; then its change applies entirely."""
    base = replace(DEFAULTS, samples=60, hidden_size=3, iterations=BY_NAME["iterations"].choices[-1])
    run = Run.start(base, build_data(base), probe=False)
    run.train()
    in_tick, release = threading.Event(), threading.Event()
    train = run.trainer.train

    def slow_train(steps):
        in_tick.set()
        release.wait(10)
        return train(steps)

    def callback():  # what Session.apply does with a new learning rate and iteration count
        run.set_learning_rate(1.0)
        run.set_budget(replace(base, learning_rate=1.0, iterations=100))

    run.trainer.train = slow_train
    tick = threading.Thread(target=run.tick, args=(1,))  # one step: one chunk of training, holding the lock
    tick.start()
    assert in_tick.wait(10)
    change = threading.Thread(target=callback)
    change.start()
    change.join(0.05)
    assert change.is_alive()  # waits for the tick's lock
    assert run.settings == base and run.iteration == 0  # nothing applied half-way
    release.set()
    tick.join(10)
    change.join(10)
    assert run.iteration == 1 and run.settings == replace(base, learning_rate=1.0, iterations=100)
    run.trainer.train = train
    run.tick(200)  # the next tick
    assert run.status == DONE and run.iteration == 100 and problems(run) == []
    assert run.lr_schedule == [(0, 0.3), (1, 1.0)]  # the new rate took effect at one iteration, as a whole
