"""The playground's run (appkit.runstate.Run), without Streamlit: one test per cell of the state table in
runstate.py's docstring, then the properties the table's footnotes promise (Train N more and Step are
exact, a learning rate is scheduled only once it ran, the run equals a plain Trainer), divergence,
snapshots for replay, and controls changed from another thread."""

import math
import random
import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from appkit import runstate
from appkit.build import build_data
from appkit.runstate import DIVERGED, DONE, PAUSED, READY, RUNNING, STATES, Run
from appkit.session import Session
from appkit.settings import Settings
from twolayer import Trainer, fit

SMALL = Settings(samples=200, hidden_size=4, iterations=500)  # fast, and not the defaults
TOO_HIGH = Settings(learning_rate=10.0)  # the default data and network: diverges at iteration 3
# Done at its 200 iterations; continued, it diverges at iteration 239 (found by search, checked below).
LATE = replace(SMALL, activation="relu", init="small", learning_rate=5.0, iterations=200)
PARAM_NAMES = ("W1", "b1", "W2", "b2")


def start(settings: Settings = SMALL) -> Run:
    return Run.start(settings, build_data(settings), probe=False)


def plain_trainer(settings: Settings, schedule, iteration: int, edits=()) -> Trainer:
    """The same run with a bare Trainer: one train() call per learning rate of `schedule`, the weights of `edits`
    ((iteration, name, index, value)) set where they were (at most one edit per learning rate's chunk here)."""
    X, Y, X_test, Y_test = build_data(settings)
    trainer = Trainer(
        X,
        Y,
        settings.hidden_size,
        schedule[0][1],
        activation=settings.activation,
        init=settings.init,
        l1=settings.l1,
        l2=settings.l2,
        random_state=settings.init_seed,
        X_test=X_test,
        Y_test=Y_test,
        batch_size=settings.batch_size or None,
        features=settings.features,
    )
    stops = sorted({begin for begin, _ in schedule} | {at for at, *_ in edits} | {iteration})
    rates = dict(schedule)
    for begin, end in zip(stops, stops[1:] + [None], strict=True):
        trainer.learning_rate = rates.get(begin, trainer.learning_rate)
        for at, name, index, value in edits:
            if at == begin:
                trainer.set_weight(name, index, value)
        if end is not None:
            trainer.train(end - begin)
    return trainer


def assert_same_params(a: dict, b: dict) -> None:
    assert set(a) == set(b) == set(PARAM_NAMES)
    for name in PARAM_NAMES:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def assert_same_run(run: Run, reference: Trainer) -> None:
    """Bit-identical: every history record and every parameter."""
    assert run.iteration == reference.iteration
    assert run.trainer.history.keys() == reference.history.keys()
    for key, values in reference.history.items():
        np.testing.assert_array_equal(run.trainer.history[key], values, err_msg=key)
    assert_same_params(run.trainer.params, reference.params)


def assert_consistent(run: Run) -> None:
    """What every reader of a run may rely on, whatever happened to it."""
    n = run.iteration
    assert run.status in STATES
    assert all(len(values) == n for values in run.trainer.history.values())
    starts = [i for i, _ in run.snapshots]
    assert starts[0] == 0 and all(a < b for a, b in zip(starts, starts[1:], strict=False))
    assert starts[-1] == n and len(run.snapshots) <= runstate.MAX_SNAPSHOTS
    assert_same_params(run.snapshots[-1][1], run.trainer.params)
    lr_starts = [i for i, _ in run.lr_schedule]
    assert lr_starts[0] == 0 and all(a < b for a, b in zip(lr_starts, lr_starts[1:], strict=False))
    assert all(begin < n for begin in lr_starts[1:])  # a rate is scheduled only once a step ran with it
    assert run.trainer.learning_rate == run.settings.learning_rate
    assert n <= run.target or run.status == DONE  # iterations lowered below the current one end the run
    assert run.status != READY or n == 0
    assert run.status != DONE or run.remaining == 0
    assert run.status not in (RUNNING, PAUSED) or run.remaining > 0


def state_of(run: Run) -> dict:
    """Everything an ignored event must leave as it was."""
    return {
        "status": run.status,
        "iteration": run.iteration,
        "target": run.target,
        "params": run.trainer.params,
        "history": {key: values.copy() for key, values in run.trainer.history.items()},
        "lr_schedule": list(run.lr_schedule),
        "learning_rate": run.trainer.learning_rate,
        "settings": run.settings,
        "snapshots": [i for i, _ in run.snapshots],
        "error": run.error,
    }


def assert_unchanged(run: Run, before: dict) -> None:
    after = state_of(run)
    for key in ("status", "iteration", "target", "lr_schedule", "learning_rate", "settings", "snapshots", "error"):
        assert after[key] == before[key], key
    assert_same_params(after["params"], before["params"])
    for key, values in before["history"].items():
        np.testing.assert_array_equal(after["history"][key], values, err_msg=key)


# --- the state table ----------------------------------------------------------------------------

EVENTS = ("train", "pause", "step(n)", "tick", "more(n)", "learning rate", "edit", "reset")
IGNORED, NEW, REFUSED = "·", "new", "refused"
TABLE = {  # the docstring's table, as this module tests it
    READY: ("running", IGNORED, "paused/done/div.", IGNORED, IGNORED, "ready", "ready", NEW),
    RUNNING: (IGNORED, "paused", IGNORED, "running/done/div.", IGNORED, "running", "paused", NEW),
    PAUSED: ("running", IGNORED, "paused/done/div.", IGNORED, IGNORED, "paused", "paused", NEW),
    DONE: (IGNORED, IGNORED, "done/div.", IGNORED, "running", NEW, "done", NEW),
    DIVERGED: (IGNORED, IGNORED, IGNORED, IGNORED, IGNORED, NEW, REFUSED, NEW),
}
EDIT = ("W1", (1, 0), -0.75)  # the weight from x1 to the second hidden unit, set by hand
OUTCOMES = {"div.": DIVERGED, "running": RUNNING, "paused": PAUSED, "done": DONE, "ready": READY}


def docstring_table() -> dict[str, tuple[str, ...]]:
    lines = runstate.__doc__.splitlines()
    header = next(line for line in lines if line.strip().startswith("state \\ event"))
    columns = tuple(cell.strip() for cell in header.split("|")[1:])
    rows = {}
    for line in lines:
        name, *cells = line.split("|")
        if name.strip() in STATES and cells:
            rows[name.strip()] = tuple(cell.strip() for cell in cells)
    return {"columns": columns, **rows}


def test_the_docstring_table_is_the_one_tested():
    table = docstring_table()
    assert table.pop("columns") == EVENTS
    assert table == TABLE


def session_in(state: str, settings: Settings = SMALL) -> tuple[Session, Run]:
    """A fresh run of `settings` brought into `state` the way the page brings it there: running and paused
    runs stand at iteration 2, a done run at its budget. A diverged run needs TOO_HIGH (iteration 3)."""
    session = Session(settings, probe=False)
    run = session.current_run()
    if state in (RUNNING, PAUSED):
        session.train()
        run.tick(2)
        if state == PAUSED:
            session.pause()
    elif state == DONE:
        run.step(run.remaining)
    elif state == DIVERGED:
        run.step(10)
    assert run.status == state and session.run is run
    assert_consistent(run)
    return session, run


def send(session: Session, run: Run, event: str, n: int = 10):
    """The event, as the page sends it."""
    if event == "train":
        session.train()
    elif event == "pause":
        session.pause()
    elif event == "step(n)":
        session.step(n)
    elif event == "tick":
        run.tick(n)
    elif event == "more(n)":
        session.more(n)
    elif event == "learning rate":
        return run.set_learning_rate(1.0)
    elif event == "edit":
        return session.edit_weight(*EDIT)
    elif event == "reset":
        session.reset()


# How each outcome of a cell is reached from its state: {outcome: (settings the run has, n)}. Cells not
# listed have one outcome, reached from a SMALL run with n = 10.
VARIANTS = {
    (READY, "step(n)"): {PAUSED: (SMALL, 10), DONE: (SMALL, SMALL.iterations), DIVERGED: (TOO_HIGH, 10)},
    (PAUSED, "step(n)"): {PAUSED: (SMALL, 10), DONE: (SMALL, SMALL.iterations - 2), DIVERGED: (TOO_HIGH, 10)},
    (RUNNING, "tick"): {RUNNING: (SMALL, 10), DONE: (SMALL, SMALL.iterations - 2), DIVERGED: (TOO_HIGH, 10)},
    (DONE, "step(n)"): {DONE: (SMALL, 10), DIVERGED: (LATE, 100)},
}
CELLS = [(state, event) for state in STATES for event in EVENTS]


@pytest.mark.parametrize(("state", "event"), CELLS, ids=[f"{s}-{e}" for s, e in CELLS])
def test_state_table_cell(state, event):
    cell = TABLE[state][EVENTS.index(event)]
    settings = TOO_HIGH if state == DIVERGED else SMALL
    if cell == IGNORED:  # its button is disabled; sent anyway, it changes nothing
        session, run = session_in(state, settings)
        before = state_of(run)
        send(session, run, event)
        assert session.run is run
        assert_unchanged(run, before)
    elif cell == NEW and event == "learning rate":  # the run cannot go on with it: the session replaces it
        session, run = session_in(state, settings)
        before = state_of(run)
        assert send(session, run, event) is False
        assert_unchanged(run, before)
        assert run.set_learning_rate(run.settings.learning_rate) is True  # the rate it has: nothing to do
    elif cell == NEW:  # reset: a fresh run of the same settings, ready; the old one stops where it was
        session, old = session_in(state, settings)
        iteration = old.iteration
        send(session, old, event)
        new = session.run
        assert new is not old and new.serial == old.serial + (1 if old.iteration else 0)  # no steps: number reused
        assert new.status == READY and new.iteration == 0 and new.settings == old.settings
        assert_same_params(new.trainer.params, plain_trainer(settings, [(0, settings.learning_rate)], 0).params)
        assert old.iteration == iteration and old.status != RUNNING
    elif cell == REFUSED:  # a diverged run: nothing changes, and the page says why
        session, run = session_in(state, settings)
        before = state_of(run)
        assert send(session, run, event) is False
        assert_unchanged(run, before)
        assert run.edits == [] and "diverged" in session.error
    elif event == "edit":  # the weight is set where the run stands; the next steps start from it
        session, run = session_in(state)
        before = state_of(run)
        assert send(session, run, event) is True
        assert run.status == OUTCOMES[cell] and session.error is None
        assert run.iteration == before["iteration"] and run.frames == []
        assert run.edits == [(run.iteration, *EDIT)]
        expected = {name: values.copy() for name, values in before["params"].items()}
        expected["W1"][EDIT[1]] = EDIT[2]
        assert_same_params(run.trainer.params, expected)
        assert [i for i, _ in run.snapshots] == before["snapshots"]  # the last one shows the edited weights
        assert_consistent(run)
    elif event == "learning rate":  # the run goes on with the new rate
        session, run = session_in(state)
        schedule = list(run.lr_schedule)
        assert send(session, run, event) is True
        assert run.status == OUTCOMES[cell] == state
        assert run.trainer.learning_rate == run.settings.learning_rate == 1.0
        assert run.lr_schedule == ([(0, 1.0)] if state == READY else schedule)  # iteration 0: the rate it starts at
        assert_consistent(run)
    else:
        variants = VARIANTS[state, event] if "/" in cell else {OUTCOMES[cell]: (SMALL, 10)}
        assert sorted(variants) == sorted(OUTCOMES[name] for name in cell.split("/"))  # every outcome is reached
        for outcome, (settings, n) in variants.items():
            session, run = session_in(state, settings)
            iteration = run.iteration
            send(session, run, event, n)
            assert session.run is run
            assert run.status == outcome, (outcome, settings, n)
            if outcome == DIVERGED:
                assert run.error and iteration < run.iteration < iteration + n
            elif event in ("step(n)", "tick"):
                assert run.iteration == iteration + n  # exactly n steps
            else:
                assert run.iteration == iteration  # train and more(n): the next tick trains
            assert_consistent(run)


def test_the_late_divergence_used_above_is_real():
    """LATE finishes its 200 iterations and only diverges when it goes on (the done → div. outcome)."""
    run = start(LATE)
    run.step(LATE.iterations)
    assert run.status == DONE and run.error is None
    run.more(1000)
    run.tick(1000)
    assert run.status == DIVERGED and run.iteration == 239 and "diverged at iteration 239" in run.error


# --- start ----------------------------------------------------------------------------------------


def test_a_new_run_is_ready_at_iteration_zero():
    run = start()
    assert run.status == READY and run.iteration == 0 and run.target == run.remaining == SMALL.iterations
    assert run.lr_schedule == [(0, SMALL.learning_rate)] and run.error is None and run.step_seconds == 0
    assert [i for i, _ in run.snapshots] == [0]
    assert_same_params(run.snapshots[0][1], run.trainer.params)
    assert_consistent(run)
    summary = run.summary()
    assert summary["iteration"] == 0 and summary["status"] == READY and summary["seconds"] == 0
    assert all(math.isnan(summary[key]) for key in ("train cost", "test cost", "train accuracy", "test accuracy"))


def test_the_run_uses_the_settings_data_and_network():
    settings = replace(SMALL, test_share=0.25, activation="relu", init="small", l2=0.01, init_seed=3)
    run = start(settings)
    X, Y, X_test, Y_test = build_data(settings)
    np.testing.assert_array_equal(run.data[0], X)
    np.testing.assert_array_equal(run.data[3], Y_test)
    assert (run.trainer.activation, run.trainer.init, run.trainer.l2) == ("relu", "small", 0.01)
    assert_same_params(run.trainer.params, plain_trainer(settings, [(0, 0.3)], 0).params)


# --- Train N more and Step are exact ------------------------------------------------------------


def test_more_after_done_equals_one_uninterrupted_run():
    settings = replace(SMALL, test_share=0.3)
    run = start(settings)
    run.train()
    while run.status == RUNNING:
        run.tick(37)
    assert run.status == DONE and run.iteration == 500
    run.more(500)
    assert run.status == RUNNING and run.target == 1000 and run.iteration == 500
    while run.status == RUNNING:
        run.tick(64)
    assert run.status == DONE and run.iteration == 1000
    run.more(1)  # and once more, a single step
    run.tick(50)
    assert run.status == DONE and run.iteration == run.target == 1001
    reference = plain_trainer(settings, [(0, 0.3)], 0)
    reference.train(1001)  # one call: the uninterrupted run
    assert_same_run(run, reference)
    assert run.lr_schedule == [(0, 0.3)]
    assert_consistent(run)


def test_more_ignores_a_count_below_one():
    run = start()
    run.step(run.remaining)
    before = state_of(run)
    run.more(0)
    run.more(-5)
    assert_unchanged(run, before)


@pytest.mark.parametrize("state", [READY, PAUSED, DONE])
def test_step_1_trains_exactly_one_step(state):
    _, run = session_in(state)
    iteration, snapshots = run.iteration, len(run.snapshots)
    run.step(1)
    assert run.iteration == iteration + 1 and len(run.trainer.history["cost"]) == iteration + 1
    assert run.snapshots[-1][0] == iteration + 1 and len(run.snapshots) == snapshots + 1
    assert run.status == (DONE if state == DONE else PAUSED)
    assert_same_run(run, plain_trainer(SMALL, [(0, 0.3)], iteration + 1))


@pytest.mark.parametrize("n", [1, 7, 300])
def test_step_n_on_a_done_run_raises_the_budget_by_n(n):
    run = start()
    run.step(SMALL.iterations)
    run.step(n)
    assert run.status == DONE and run.iteration == run.target == SMALL.iterations + n
    assert run.seconds == 0 and run.rate == 0  # a Step is not time spent running
    assert_same_run(run, plain_trainer(SMALL, [(0, 0.3)], SMALL.iterations + n))


@pytest.mark.parametrize("steps", [1, 7, 64, 499, 500, 501, 10_000])
def test_ticks_never_go_past_the_budget(steps):
    run = start()
    run.train()
    for _ in range(SMALL.iterations + 1):
        if run.status == DONE:
            break
        run.tick(steps)
        assert run.iteration <= SMALL.iterations
    assert run.status == DONE and run.iteration == SMALL.iterations
    assert_consistent(run)


@pytest.mark.parametrize("steps, updates, ends", [(10, 2, [5, 10]), (7, 2, [4, 7]), (9, 3, [3, 6, 9]), (1, 2, [1])])
def test_a_tick_of_several_updates_trains_them_in_even_parts_each_a_snapshot(steps, updates, ends):
    """The Playground's tick (appkit/tick_share.py UPDATES_PER_TICK): the same training as one tick of all the
    steps, with a snapshot after each part (the replay slider's stops) and FRAMES_PER_TICK states each to play."""
    run = start()
    run.train()
    run.tick(steps, updates)
    assert [i for i, _ in run.snapshots] == [0, *ends]
    frames = [i for i, _ in run.take_frames()]
    assert frames == sorted(set(frames)) and frames[-1] == ends[-1] and set(ends) <= set(frames)
    assert len(frames) <= len(ends) * runstate.FRAMES_PER_TICK
    assert_consistent(run)
    assert_same_run(run, plain_trainer(SMALL, [(0, 0.3)], steps))


def test_running_time_counts_only_while_running():
    run = start()
    run.step(25)
    assert run.seconds == 0 and run.rate == 0
    run.train()
    run.tick(100)
    run.pause()
    assert run.seconds > 0 and run.rate > 0
    seconds = run.seconds
    run.step(25)
    assert run.seconds == seconds


# --- iterations: the budget ---------------------------------------------------------------------


@pytest.mark.parametrize("state", [RUNNING, PAUSED])
def test_lowering_the_iterations_below_the_current_one_finishes_the_run(state):
    run = start()
    run.train()
    run.tick(300)
    if state == PAUSED:
        run.pause()
    run.set_budget(replace(SMALL, iterations=200))
    assert run.status == DONE and run.iteration == 300 and run.remaining == 0  # the steps taken stay
    assert len(run.trainer.history["cost"]) == 300
    assert_consistent(run)


def test_iterations_change_the_budget_of_a_ready_run_and_speed_only_the_setting():
    run = start()
    run.set_budget(replace(SMALL, iterations=100))
    assert run.status == READY and run.target == 100
    run.set_budget(replace(SMALL, iterations=100, speed=50))
    assert run.status == READY and run.settings.speed == 50 and run.target == 100


def test_iterations_do_not_reopen_a_done_run_train_n_more_does():
    run = start()
    run.step(SMALL.iterations)
    run.set_budget(replace(SMALL, iterations=1000))
    assert run.status == DONE and run.target == SMALL.iterations and run.settings.iterations == 1000
    run.more(run.settings.iterations)  # the button: "Train 1,000 more"
    assert run.status == RUNNING and run.target == 1500


@pytest.mark.parametrize("change", [{"learning_rate": 1.0}, {"speed": 100}, {}])
def test_settings_that_keep_the_iterations_keep_the_budget_of_train_n_more(change):
    """A learning rate or speed change during "Train N more" once reset the budget to the iterations
    setting, which the run had passed: it stopped as done at once."""
    run = start()
    run.step(SMALL.iterations)
    run.more(500)
    run.tick(100)
    settings = replace(run.settings, **change)
    if "learning_rate" in change:
        assert run.set_learning_rate(settings.learning_rate)
    run.set_budget(settings)
    assert run.status == RUNNING and run.target == 1000 and run.iteration == 600
    run.pause()
    run.set_budget(settings)
    assert run.status == PAUSED and run.target == 1000


# --- learning-rate schedule ---------------------------------------------------------------------


def test_a_learning_rate_change_before_the_first_step_replaces_the_schedule():
    run = start()
    assert run.set_learning_rate(1.0)
    assert run.lr_schedule == [(0, 1.0)] and run.trainer.learning_rate == 1.0
    run.set_learning_rate(0.5)
    assert run.lr_schedule == [(0, 0.5)] and run.learning_rates == "0.5"


def test_a_learning_rate_changed_and_changed_back_while_paused_is_not_scheduled():
    run = start()
    run.step(100)
    run.set_learning_rate(1.0)
    assert run.lr_schedule == [(0, 0.3)] and run.learning_rates == "0.3"  # 1.0 has not run
    run.set_learning_rate(0.3)
    run.step(50)
    assert run.lr_schedule == [(0, 0.3)]
    assert_same_run(run, plain_trainer(SMALL, [(0, 0.3)], 150))


def test_a_learning_rate_enters_the_schedule_at_the_iteration_its_first_step_ran():
    run = start()
    run.step(100)
    run.set_learning_rate(1.0)
    run.set_learning_rate(2.0)  # only the last rate set before a step runs
    run.step(1)
    assert run.lr_schedule == [(0, 0.3), (100, 2.0)] and run.learning_rates == "0.3 → 2"
    run.train()
    run.set_learning_rate(0.1)  # while running: from the next tick
    assert run.lr_schedule == [(0, 0.3), (100, 2.0)]
    run.tick(49)
    assert run.lr_schedule == [(0, 0.3), (100, 2.0), (101, 0.1)]
    assert_consistent(run)
    assert_same_run(run, plain_trainer(SMALL, run.lr_schedule, 150))


def test_the_run_equals_a_plain_trainer_with_the_same_schedule():
    settings = replace(SMALL, test_share=0.3, l2=0.003, activation="sigmoid", iterations=1000)
    run = start(settings)
    run.train()
    rates = {0: 0.5, 130: 2.0, 131: 1.0, 400: 0.05}
    for chunk in (1, 129, 1, 100, 169, 250, 1000):
        if run.iteration in rates:
            run.set_learning_rate(rates[run.iteration])
        run.tick(chunk)
    assert run.status == DONE and run.iteration == 1000
    assert run.lr_schedule == [(0, 0.5), (130, 2.0), (131, 1.0), (400, 0.05)]
    reference = plain_trainer(settings, run.lr_schedule, 1000)
    assert_same_run(run, reference)
    assert set(run.trainer.history) == {"cost", "accuracy", "test_cost", "test_accuracy"}
    summary = run.summary()
    assert summary["train cost"] == reference.history["cost"][-1]
    assert summary["test accuracy"] == reference.history["test_accuracy"][-1]
    assert summary["iteration"] == 1000 and summary["status"] == DONE and summary["seconds"] > 0


CURVED = replace(SMALL, dataset="circles", batch_size=16, features=("x1", "x1^2", "x2^2", "sin(x2)"), l1=0.01)


@pytest.mark.parametrize("settings", [SMALL, CURVED], ids=["full batch", "mini-batch, features, L1"])
def test_an_edited_run_goes_on_from_the_edited_weights_exactly(settings):
    """Edits between steps, while running and after done, with a rate change: the run equals a bare Trainer
    that sets the same weights at the same iterations; without the edits it ends elsewhere."""
    run = start(settings)
    run.edit_weight("b2", (0, 0), 0.25)  # before the first step
    run.step(30)
    run.edit_weight("W1", (2, len(settings.features) - 1), 1.5)  # from the last feature to the third unit
    assert run.set_learning_rate(1.0)
    run.train()
    run.tick(45)
    run.edit_weight("W2", (0, 3), -2.0)  # while running: the run pauses at the edit
    assert run.status == PAUSED and run.iteration == 75
    run.train()
    while run.status == RUNNING:
        run.tick(100)
    run.edit_weight("b1", (1, 0), 0.5)  # after done: Train N more goes on from it
    run.more(20)
    run.tick(20)
    assert run.status == DONE and run.iteration == settings.iterations + 20
    edits = [(0, "b2", (0, 0), 0.25), (30, "W1", (2, len(settings.features) - 1), 1.5), (75, "W2", (0, 3), -2.0)]
    edits.append((settings.iterations, "b1", (1, 0), 0.5))
    assert run.edits == edits and run.lr_schedule == [(0, settings.learning_rate), (30, 1.0)]
    assert_same_run(run, plain_trainer(settings, run.lr_schedule, run.iteration, edits))
    untouched = plain_trainer(settings, run.lr_schedule, run.iteration)
    assert not np.array_equal(untouched.params["W1"], run.trainer.params["W1"])


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("W3", (0, 0), 1.0), "name"),
        (("W1", (9, 0), 1.0), "index"),
        (("W1", (0, 0), math.nan), "value"),
        (("b2", (0, 0), math.inf), "value"),
        ((None, None, None), "name"),  # what a browser could send: nothing, or the wrong types
        (("b2", None, 1.0), "index"),
        (("b2", [0, 0], "1"), "value"),
        (("b1", [0.5, 0], 1.0), "index"),
    ],
)
@pytest.mark.parametrize("state", [READY, RUNNING])
def test_a_bad_edit_changes_nothing_and_says_why(edit, message, state):
    session, run = session_in(state)
    before = state_of(run)
    session.page_stale = False
    assert session.edit_weight(*edit) is False and session.page_stale  # the page shows why
    assert_unchanged(run, before)
    assert session.error.startswith("The weight could not be set: ") and message in session.error
    assert run.edits == []


def test_the_default_run_equals_the_tutorials_fit():
    """Settings() is the tutorial's run: fit(X, Y, 0.3, 5, 5000) on make_moons(500, noise=.2)."""
    run = start(Settings())
    run.train()
    while run.status == RUNNING:
        run.tick(Settings().steps_per_update())
    X, Y, _, _ = build_data(Settings())
    params, costs = fit(X, Y, 0.3, 5, 5000, random_state=0)
    assert run.status == DONE and run.iteration == 5000
    np.testing.assert_array_equal(run.trainer.history["cost"], costs)
    assert_same_params(run.trainer.params, params)


# --- divergence ---------------------------------------------------------------------------------


def test_learning_rate_10_diverges_with_a_clear_message():
    run = start(TOO_HIGH)  # the default data and network, as the slider's tip suggests
    run.train()
    run.tick(TOO_HIGH.steps_per_update())
    assert run.status == DIVERGED and run.iteration == 3
    assert run.error.startswith("Training diverged at iteration 3 with learning rate 10: the cost rose to")
    assert run.error.endswith("Try a lower learning rate, such as 1.")
    assert_consistent(run)
    assert all(np.isfinite(v).all() for v in run.trainer.params.values())  # the good steps are kept
    summary = run.summary()
    assert summary["status"] == DIVERGED and math.isfinite(summary["train cost"])
    assert_same_run(run, plain_trainer(TOO_HIGH, [(0, 10.0)], 3))
    assert run.lr_schedule == [(0, 10.0)]


# --- snapshots ----------------------------------------------------------------------------------


def test_snapshots_are_thinned_and_keep_first_and_last():
    settings = replace(SMALL, samples=50, hidden_size=2, iterations=1000)
    run = start(settings)
    reference = plain_trainer(settings, [(0, 0.3)], 0)
    params_at = {0: reference.params}
    for _ in range(1000):
        run.step(1)
        reference.train(1)
        params_at[reference.iteration] = reference.params
        assert len(run.snapshots) <= runstate.MAX_SNAPSHOTS
        assert run.snapshots[0][0] == 0 and run.snapshots[-1][0] == run.iteration
    assert run.status == DONE
    iterations = [i for i, _ in run.snapshots]
    assert len(iterations) > runstate.MAX_SNAPSHOTS // 2  # thinned, not emptied
    assert all(a < b for a, b in zip(iterations, iterations[1:], strict=False))
    for i, params in run.snapshots:
        assert_same_params(params, params_at[i])


def test_snapshots_are_spread_evenly_over_a_run_of_small_steps():
    """Replay must reach the early iterations, where the boundary moves most."""
    settings = replace(SMALL, samples=50, hidden_size=2, iterations=1000)
    run = start(settings)
    for _ in range(1000):  # speed 1 step/update, or 1000 Steps
        run.step(1)
    gaps = np.diff([i for i, _ in run.snapshots])[:-1]  # the last gap is wherever the run stopped
    assert gaps.max() <= 2 * gaps.min()


def test_one_update_stores_one_snapshot_however_many_chunks_it_trains():
    run = start(replace(SMALL, iterations=5000))
    run.step(3000)  # many chunks of CHUNK_SECONDS
    run.step(1000)
    assert [i for i, _ in run.snapshots] == [0, 3000, 4000]


def test_snapshots_are_copies_that_later_steps_do_not_change():
    run = start()
    run.step(10)
    kept = {name: value.copy() for name, value in run.snapshots[-1][1].items()}
    run.step(10)
    assert_same_params(run.snapshots[1][1], kept)
    assert not np.array_equal(run.snapshots[2][1]["W1"], kept["W1"])


def test_snapshot_at_returns_the_closest_stored_snapshot():
    run = start()
    for _ in range(3):
        run.step(10)
    assert [i for i, _ in run.snapshots] == [0, 10, 20, 30]
    for wanted, expected in [(0, 0), (4, 0), (6, 10), (14, 10), (16, 20), (30, 30), (-5, 0), (10**6, 30)]:
        iteration, params = run.snapshot_at(wanted)
        assert iteration == expected, wanted
        assert params is dict(run.snapshots)[expected]
    assert run.snapshot_at(15)[0] in (10, 20)  # a tie may go either way


# --- tick sizing (no wall clock: the step time is set) -------------------------------------------


def test_auto_speed_fits_a_tick_into_its_time_budget_and_a_chosen_speed_is_kept():
    settings = Settings(samples=5000, hidden_size=64, iterations=50_000)
    run = Run.start(settings, build_data(settings), probe=False)
    assert run.step_seconds == 0 and run.tick_steps(0.15) == settings.steps_per_update() == 3125  # not timed
    run.step_seconds = 0.001  # as a probe or the last chunk would measure it
    assert run.tick_steps(0.15) == 150
    run.step_seconds = 10.0
    assert run.tick_steps(0.15) == 1  # never zero
    run.step_seconds = 1e-6
    assert run.tick_steps(0.15) == 3125  # never more than the setting's share of the run
    fixed = Run.start(replace(settings, speed=500), run.data, probe=False)
    fixed.step_seconds = 1.0
    assert fixed.tick_steps(0.15) == 500  # a speed the user chose is kept


def test_the_probe_times_a_copy_and_leaves_the_run_ready():
    run = Run.start(SMALL, build_data(SMALL), probe=True)
    assert run.step_seconds > 0 and run.iteration == 0 and run.status == READY
    assert_same_params(run.trainer.params, start().trainer.params)


# --- threads --------------------------------------------------------------------------------------


def test_controls_changed_from_another_thread_keep_the_run_exact():
    """Streamlit runs a tick and a widget callback on different threads: Run's lock must keep every
    change whole. One thread trains in ticks; another pauses, resumes and changes the learning rate.
    The schedule then names each rate at the very iteration it first ran, so a plain Trainer driven by
    it gives the same run. (Consistency under interruptions: test_hostile_input.py.)"""
    settings = replace(SMALL, samples=100, hidden_size=3, iterations=50_000)
    run = start(settings)
    run.train()
    stop = threading.Event()
    errors: list[BaseException] = []
    rates = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0)

    def ticks() -> None:
        chooser = random.Random(1)
        try:
            while not stop.is_set() and run.status != DONE:
                run.tick(chooser.randint(1, 40))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    def controls() -> None:
        chooser = random.Random(2)
        try:
            for _ in range(400):
                action = chooser.random()
                if action < 0.3:
                    run.pause()
                elif action < 0.6:
                    run.train()
                else:
                    run.set_learning_rate(chooser.choice(rates))
                if chooser.random() < 0.5:
                    time.sleep(chooser.random() * 1e-4)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            stop.set()

    threads = [threading.Thread(target=ticks), threading.Thread(target=controls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert run.iteration > 0
    assert len(run.lr_schedule) > 2  # the learning rate did change while training
    assert_consistent(run)
    assert_same_run(run, plain_trainer(settings, run.lr_schedule, run.iteration))
