"""The playground's run state machine (appkit.runstate.Run), without Streamlit: status transitions,
the learning-rate schedule, divergence, snapshots for replay, and results identical to a plain
Trainer run, also while another thread pauses, resumes and changes the learning rate."""

import math
import random
import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from appkit import runstate
from appkit.downloads import build_data
from appkit.runstate import DIVERGED, DONE, PAUSED, READY, RUNNING, Run
from appkit.settings import Settings
from twolayer import Trainer

SMALL = Settings(samples=200, hidden_size=4, iterations=500)  # fast, and not the defaults
PARAM_NAMES = ("W1", "b1", "W2", "b2")


def start(settings: Settings = SMALL) -> Run:
    return Run.start(settings, build_data(settings))


def plain_trainer(settings: Settings, schedule, iteration: int) -> Trainer:
    """The same run with a bare Trainer: one train() call per learning rate of `schedule`."""
    X, Y, X_test, Y_test = build_data(settings)
    trainer = Trainer(
        X,
        Y,
        settings.hidden_size,
        schedule[0][1],
        activation=settings.activation,
        init=settings.init,
        l2=settings.l2,
        random_state=settings.init_seed,
        X_test=X_test,
        Y_test=Y_test,
    )
    ends = [begin for begin, _ in schedule[1:]] + [iteration]
    for (begin, rate), end in zip(schedule, ends, strict=True):
        trainer.learning_rate = rate
        if end > begin:
            trainer.train(end - begin)
    return trainer


def assert_same_params(a: dict, b: dict) -> None:
    assert set(a) == set(b) == set(PARAM_NAMES)
    for name in PARAM_NAMES:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def assert_same_run(run: Run, reference: Trainer) -> None:
    assert run.iteration == reference.iteration
    assert run.trainer.history.keys() == reference.history.keys()
    for key, values in reference.history.items():
        np.testing.assert_array_equal(run.trainer.history[key], values, err_msg=key)
    assert_same_params(run.trainer.params, reference.params)


def assert_consistent(run: Run) -> None:
    """What every reader of a run may rely on, whatever happened to it."""
    n = run.trainer.iteration
    assert all(len(values) == n for values in run.trainer.history.values())
    starts = [i for i, _ in run.snapshots]
    assert starts[0] == 0 and all(a < b for a, b in zip(starts, starts[1:], strict=False))
    assert starts[-1] == n and len(run.snapshots) <= runstate.MAX_SNAPSHOTS
    assert_same_params(run.snapshots[-1][1], run.trainer.params)
    lr_starts = [i for i, _ in run.lr_schedule]
    assert lr_starts[0] == 0 and all(a < b for a, b in zip(lr_starts, lr_starts[1:], strict=False))
    assert lr_starts[-1] <= n
    assert run.lr_schedule[-1][1] == run.trainer.learning_rate == run.settings.learning_rate
    assert n <= run.settings.iterations or run.status == DONE


# --- start ----------------------------------------------------------------------------------------


def test_a_new_run_is_ready_at_iteration_zero():
    run = start()
    assert run.status == READY and run.iteration == 0 and run.remaining == SMALL.iterations
    assert run.lr_schedule == [(0, SMALL.learning_rate)] and run.error is None
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
    assert run.trainer.params["W1"].shape == (settings.hidden_size, 2)
    assert (run.trainer.activation, run.trainer.init, run.trainer.l2) == ("relu", "small", 0.01)
    assert_same_params(run.trainer.params, plain_trainer(settings, [(0, 0.3)], 0).params)


# --- status transitions -------------------------------------------------------------------------


def test_train_pause_resume_finish():
    run = start()
    run.play()
    assert run.status == RUNNING
    run.advance(100)
    assert run.status == RUNNING and run.iteration == 100 and run.rate > 0
    run.pause()
    assert run.status == PAUSED
    seconds = run.seconds
    assert seconds > 0
    run.play()
    assert run.status == RUNNING
    run.advance(300)
    assert run.status == RUNNING and run.iteration == 400
    run.advance(100)
    assert run.status == DONE and run.iteration == SMALL.iterations and run.remaining == 0
    assert run.seconds >= seconds
    assert_consistent(run)


def test_step_from_ready_leaves_the_run_paused():
    run = start()
    run.advance(25)
    assert run.status == PAUSED and run.iteration == 25
    assert run.seconds == 0 and run.rate == 0  # a Step is not time spent running
    run.advance(25)  # Step again while paused
    assert run.status == PAUSED and run.iteration == 50
    assert [i for i, _ in run.snapshots] == [0, 25, 50]


@pytest.mark.parametrize("steps", [1, 7, 64, 499, 500, 501, 10_000])
def test_advance_never_goes_past_the_iteration_budget(steps):
    run = start()
    run.play()
    for _ in range(SMALL.iterations + 1):
        if run.status == DONE:
            break
        run.advance(steps)
        assert run.iteration <= SMALL.iterations
    assert run.status == DONE and run.iteration == SMALL.iterations
    run.advance(steps)  # a finished run does not move
    assert run.iteration == SMALL.iterations and run.status == DONE
    assert_consistent(run)


def test_buttons_in_the_wrong_state_do_nothing():
    run = start()
    run.pause()  # Pause before Train
    assert run.status == READY
    run.advance(SMALL.iterations)  # a Step that finishes the run
    assert run.status == DONE
    run.play()  # Train on a finished run
    assert run.status == DONE
    run.pause()
    assert run.status == DONE
    snapshots = list(run.snapshots)
    run.advance(10)
    assert run.iteration == SMALL.iterations and run.snapshots == snapshots


def test_raising_the_iterations_after_done_pauses_the_run():
    run = start()
    run.play()
    run.advance(SMALL.iterations)
    assert run.status == DONE
    assert run.update_settings(replace(SMALL, iterations=1000)) is None  # no note: nothing to explain
    assert run.status == PAUSED and run.remaining == 500
    run.play()
    run.advance(10_000)
    assert run.status == DONE and run.iteration == 1000
    assert_same_run(run, plain_trainer(SMALL, [(0, 0.3)], 1000))


@pytest.mark.parametrize("status", [RUNNING, PAUSED])
def test_lowering_the_iterations_below_the_current_one_finishes_the_run(status):
    run = start()
    run.play()
    run.advance(300)
    if status == PAUSED:
        run.pause()
    assert run.status == status
    run.update_settings(replace(SMALL, iterations=200))
    assert run.status == DONE and run.iteration == 300 and run.remaining == 0  # the steps taken stay
    run.advance(50)
    run.play()
    assert run.status == DONE and run.iteration == 300
    assert len(run.trainer.history["cost"]) == 300


def test_lowering_the_iterations_to_the_current_one_finishes_the_run():
    run = start()
    run.advance(200)
    run.update_settings(replace(SMALL, iterations=200))
    assert run.status == DONE


def test_changing_the_iterations_before_any_step_keeps_the_run_ready():
    run = start()
    run.update_settings(replace(SMALL, iterations=100))
    assert run.status == READY and run.remaining == 100
    run.update_settings(replace(SMALL, speed=50))
    assert run.status == READY and run.settings.speed == 50


# --- learning-rate schedule ---------------------------------------------------------------------


def test_a_learning_rate_change_before_the_first_step_replaces_the_schedule():
    run = start()
    assert run.update_settings(replace(SMALL, learning_rate=1.0)) is None  # nothing ran yet: no note
    assert run.lr_schedule == [(0, 1.0)] and run.trainer.learning_rate == 1.0
    run.update_settings(replace(SMALL, learning_rate=0.5))
    assert run.lr_schedule == [(0, 0.5)]


def test_learning_rate_changes_append_or_replace_schedule_entries():
    run = start()
    run.advance(100)
    note = run.update_settings(replace(SMALL, learning_rate=1.0))
    assert run.lr_schedule == [(0, 0.3), (100, 1.0)]
    assert note is not None and "1" in note and "iteration 100" in note
    note = run.update_settings(replace(SMALL, learning_rate=2.0))  # again at the same iteration: replace
    assert run.lr_schedule == [(0, 0.3), (100, 2.0)] and "iteration 100" in note
    assert run.update_settings(replace(SMALL, learning_rate=2.0, speed=20)) is None  # same rate: no change
    assert run.lr_schedule == [(0, 0.3), (100, 2.0)]
    run.advance(50)
    run.update_settings(replace(SMALL, learning_rate=0.1))
    assert run.lr_schedule == [(0, 0.3), (100, 2.0), (150, 0.1)]
    assert run.trainer.learning_rate == 0.1 and run.status == PAUSED and run.iteration == 150
    assert_consistent(run)


def test_the_run_equals_a_plain_trainer_with_the_same_schedule():
    settings = replace(SMALL, test_share=0.3, l2=0.003, activation="sigmoid", iterations=1000)
    run = start(settings)
    run.play()
    rates = {0: 0.5, 130: 2.0, 131: 1.0, 400: 0.05}
    i = 0
    for chunk in (1, 129, 1, 100, 169, 250, 1000):
        if i in rates:
            run.update_settings(replace(settings, learning_rate=rates[i]))
        run.advance(chunk)
        i = run.iteration
    assert run.status == DONE and run.iteration == 1000
    assert run.lr_schedule == [(0, 0.5), (130, 2.0), (131, 1.0), (400, 0.05)]
    reference = plain_trainer(settings, run.lr_schedule, 1000)
    assert_same_run(run, reference)
    assert set(run.trainer.history) == {"cost", "accuracy", "test_cost", "test_accuracy"}
    summary = run.summary()
    assert summary["train cost"] == reference.history["cost"][-1]
    assert summary["test accuracy"] == reference.history["test_accuracy"][-1]
    assert summary["iteration"] == 1000 and summary["status"] == DONE and summary["seconds"] > 0


def test_the_default_run_equals_the_tutorials_fit():
    """Settings() is the tutorial's run: fit(X, Y, 0.3, 5, 5000) on make_moons(500, noise=.2)."""
    from twolayer import fit

    run = start(Settings())
    run.play()
    while run.status == RUNNING:
        run.advance(Settings().steps_per_update())
    X, Y, _, _ = build_data(Settings())
    params, costs = fit(X, Y, 0.3, 5, 5000, random_state=0)
    assert run.status == DONE and run.iteration == 5000
    np.testing.assert_array_equal(run.trainer.history["cost"], costs)
    assert_same_params(run.trainer.params, params)


# --- divergence ---------------------------------------------------------------------------------


def test_learning_rate_10_diverges_with_a_clear_message():
    settings = Settings(learning_rate=10.0)  # the default data and network, as the slider's tip suggests
    run = start(settings)
    run.play()
    run.advance(settings.steps_per_update())
    assert run.status == DIVERGED
    assert 0 < run.iteration < settings.iterations
    assert f"diverged at iteration {run.iteration}" in run.error
    assert "lower learning rate" in run.error and "10" in run.error
    assert_consistent(run)
    assert all(np.isfinite(v).all() for v in run.trainer.params.values())  # the good steps are kept
    assert run.summary()["status"] == DIVERGED and math.isfinite(run.summary()["train cost"])
    seconds, snapshots, iteration = run.seconds, list(run.snapshots), run.iteration
    run.advance(100)  # a further tick or Step is a no-op, and does not raise
    run.play()
    run.pause()
    assert run.status == DIVERGED and run.iteration == iteration and run.snapshots == snapshots
    assert run.seconds == seconds


def test_the_diverged_steps_equal_a_plain_trainer():
    settings = Settings(learning_rate=10.0)
    run = start(settings)
    run.advance(250)
    reference = plain_trainer(settings, [(0, 10.0)], run.iteration)
    assert_same_run(run, reference)


def test_a_learning_rate_change_after_divergence_does_not_promise_to_continue():
    run = start(Settings(learning_rate=10.0))
    run.advance(250)
    assert run.status == DIVERGED
    note = run.update_settings(Settings(learning_rate=0.3))
    run.advance(250)
    assert run.status != DIVERGED or note is None or "continues" not in note


# --- snapshots ----------------------------------------------------------------------------------


def test_snapshots_are_thinned_and_keep_first_and_last():
    settings = replace(SMALL, samples=50, hidden_size=2, iterations=1000)
    run = start(settings)
    reference = plain_trainer(settings, [(0, 0.3)], 0)
    params_at = {0: reference.params}
    for _ in range(1000):
        run.advance(1)
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
        run.advance(1)
    gaps = np.diff([i for i, _ in run.snapshots])[:-1]  # the last gap is wherever the run stopped
    assert gaps.max() <= 2 * gaps.min()


def test_snapshots_are_copies_that_later_steps_do_not_change():
    run = start()
    run.advance(10)
    kept = {name: value.copy() for name, value in run.snapshots[-1][1].items()}
    run.advance(10)
    assert_same_params(run.snapshots[1][1], kept)
    assert not np.array_equal(run.snapshots[2][1]["W1"], kept["W1"])


def test_snapshot_at_returns_the_closest_stored_snapshot():
    run = start()
    for _ in range(3):
        run.advance(10)
    assert [i for i, _ in run.snapshots] == [0, 10, 20, 30]
    for wanted, expected in [(0, 0), (4, 0), (6, 10), (14, 10), (16, 20), (30, 30), (-5, 0), (10**6, 30)]:
        iteration, params = run.snapshot_at(wanted)
        assert iteration == expected, wanted
        assert params is dict(run.snapshots)[expected]
    assert run.snapshot_at(15)[0] in (10, 20)  # a tie may go either way


# --- threads --------------------------------------------------------------------------------------


def test_controls_changed_from_another_thread_keep_the_run_consistent():
    """Streamlit runs a tick and a widget callback on different threads: Run's lock must keep every
    change whole. One thread trains in ticks; another pauses, resumes and changes the learning rate."""
    settings = replace(SMALL, samples=100, hidden_size=3, iterations=50_000)
    run = start(settings)
    run.play()
    stop = threading.Event()
    errors: list[BaseException] = []
    rates = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0)

    def ticks() -> None:
        chooser = random.Random(1)
        try:
            while not stop.is_set() and run.status != DONE:
                run.advance(chooser.randint(1, 40))
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
                    run.play()
                else:
                    run.update_settings(replace(settings, learning_rate=chooser.choice(rates)))
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
    assert run.status in (RUNNING, PAUSED, DONE) and run.iteration > 0
    assert len(run.lr_schedule) > 2  # the learning rate did change while training
    assert_consistent(run)
    # The schedule recorded each change at the very iteration it took effect.
    assert_same_run(run, plain_trainer(settings, run.lr_schedule, run.iteration))


def test_auto_speed_keeps_ticks_short_on_big_networks():
    settings = Settings(samples=5000, hidden_size=64, iterations=50_000)
    run = Run.start(settings, build_data(settings))
    assert run.step_seconds > 0 and run.tick_steps(0.15) < settings.steps_per_update() == 3125  # timed at start
    run.play()
    run.advance(50)
    assert run.step_seconds > 0
    assert run.tick_steps(0.15) == max(1, int(0.15 / run.step_seconds)) < 3125
    fixed = Run.start(replace(settings, speed=500), run.data)
    fixed.step_seconds = 1.0
    assert fixed.tick_steps(0.15) == 500  # a speed the user chose is kept
