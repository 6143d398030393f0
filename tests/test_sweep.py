"""The Sweep page's engine (`appkit.sweep`) and the How it works page's numbers (`appkit.explain`),
without Streamlit: a sweep must give exactly, bit for bit, the playground's run of each configuration
(a cell opens that run), and its figures must map back to the configurations they show."""

import contextlib
import itertools
import threading
import time
from dataclasses import replace

import numpy as np
import pytest

import appkit.sweep
from appkit.build import build_data, build_trainer
from appkit.explain import forward_one, hidden_units_figure
from appkit.settings import Settings
from appkit.sweep import (
    CHECK_SECONDS,
    CURVE_KEEP,
    CURVE_POINTS,
    MARGIN,
    MAX_STACK_FLOATS,
    METRICS,
    FinishedSweeps,
    Speed,
    Sweep,
    SweepBusy,
    SweepStopped,
    boundaries_figure,
    cell_size,
    curves_figure,
    estimate_seconds,
    heatmap_figure,
    measured_speed,
    one_at_a_time,
    panel_grid,
    panel_origin,
    plan_stacks,
    run_sweep,
    subsample,
    sweep_key,
    text_colour,
    warm_up,
    what_to_reduce,
)
from twolayer import Config, Trainer, TrainingDiverged, fit, train_many
from twolayer.features import DEFAULT_FEATURES
from twolayer.figures import CLASS_COLOURS, plot_range
from twolayer.network import compute_cost, predict_proba

RATES = [0.3, 10.0]  # 10 diverges with 5 hidden units on these moons (within 10 steps), not with 2
HIDDEN = [2, 5]
SEEDS = [0, 1, 2]
ITERATIONS = 300


SETTINGS = Settings(samples=200, test_share=0.25)


@pytest.fixture(scope="module")
def data():
    return build_data(SETTINGS)


@pytest.fixture(scope="module")
def sweep(data) -> Sweep:
    return run_sweep(data, RATES, HIDDEN, SEEDS, ITERATIONS)


def alone(data, lr: float, hidden: int, seed: int, iterations: int = ITERATIONS, **kwargs) -> Trainer:
    """One configuration trained on its own, stopping where it diverges."""
    X, Y, X_test, Y_test = data
    trainer = Trainer(X, Y, hidden, lr, random_state=seed, X_test=X_test, Y_test=Y_test, **kwargs)
    with contextlib.suppress(TrainingDiverged):
        trainer.train(iterations)
    return trainer


def assert_curve_is(sweep: Sweep, key: tuple, costs: np.ndarray) -> None:
    """The sweep kept the run's costs at the cost chart's steps, bit for bit: every step of a run of up to
    CURVE_POINTS, else CURVE_POINTS of them, the first and the last (the cell's train cost) included."""
    x, y = sweep.curve(*key)
    assert len(x) == min(len(costs), CURVE_POINTS) and x[0] == 0 and x[-1] == len(costs) - 1
    np.testing.assert_array_equal(y, costs[x])


def accuracy(X, Y, params, activation="tanh") -> float:
    return float(np.mean((predict_proba(X, params, activation) > 0.5) == (Y > 0.5)))


# --- run_sweep --------------------------------------------------------------------------------


def test_every_configuration_is_trained(sweep):
    assert set(sweep.results) == set(itertools.product(RATES, HIDDEN, SEEDS))
    assert (sweep.learning_rates, sweep.hidden_sizes, sweep.seeds, sweep.iterations) == (
        RATES,
        HIDDEN,
        SEEDS,
        ITERATIONS,
    )


@pytest.mark.parametrize("lr, hidden, seed", list(itertools.product(RATES, HIDDEN, SEEDS)))
def test_results_equal_training_alone(sweep, data, lr, hidden, seed):
    result = sweep.results[(lr, hidden, seed)]
    trainer = alone(data, lr, hidden, seed)
    X, Y, X_test, Y_test = data
    assert result.config.learning_rate == lr and result.config.hidden_size == hidden
    assert result.config.random_state == seed
    assert (result.diverged is None) == (trainer.diverged is None)
    if trainer.diverged is not None:
        assert str(result.diverged) == str(trainer.diverged)
    assert_curve_is(sweep, (lr, hidden, seed), trainer.history["cost"])  # bit for bit, up to its last step
    for name, value in trainer.params.items():
        np.testing.assert_array_equal(result.params[name], value, err_msg=name)
    # Accuracies and the test cost are those of the final parameters.
    assert result.accuracy == pytest.approx(accuracy(X, Y, trainer.params), abs=1e-12)
    assert result.test_accuracy == pytest.approx(accuracy(X_test, Y_test, trainer.params), abs=1e-12)
    assert result.test_cost == pytest.approx(compute_cost(X_test, Y_test, trainer.params), abs=1e-9)


@pytest.mark.parametrize("lr, hidden, seed", [(0.3, 5, 0), (0.3, 2, 2), (10.0, 5, 1)])
def test_a_cell_is_exactly_the_playgrounds_run_of_it(sweep, data, lr, hidden, seed):
    """The playground builds its trainer with build_trainer and trains it in ticks; a cell opens that run."""
    trainer = build_trainer(replace(SETTINGS, learning_rate=lr, hidden_size=hidden, init_seed=seed), data)
    with contextlib.suppress(TrainingDiverged):
        while trainer.iteration < ITERATIONS:
            trainer.train(min(7, ITERATIONS - trainer.iteration))
    result = sweep.results[(lr, hidden, seed)]
    assert (result.diverged is None) == (trainer.diverged is None) == (lr < 10)
    assert_curve_is(sweep, (lr, hidden, seed), trainer.history["cost"])
    for name, value in trainer.params.items():
        np.testing.assert_array_equal(result.params[name], value, err_msg=name)


def test_a_cell_is_the_playgrounds_run_with_l1_mini_batches_and_features():
    settings = replace(SETTINGS, l1=0.01, batch_size=32, features=("x1", "x2", "x1*x2", "sin(x1)"), init_seed=1)
    data = build_data(settings)
    sweep = run_sweep(data, [0.3, 1.0], [3], [1], 120, l1=0.01, batch_size=32, features=settings.features)
    for lr in (0.3, 1.0):
        trainer = build_trainer(replace(settings, learning_rate=lr, hidden_size=3), data)
        trainer.train(120)
        np.testing.assert_array_equal(sweep.results[(lr, 3, 1)].costs, trainer.history["cost"])
        np.testing.assert_array_equal(sweep.results[(lr, 3, 1)].params["W1"], trainer.params["W1"])


@pytest.mark.parametrize("hidden, seed", [(2, 0), (5, 1), (5, 2)])
def test_results_equal_the_tutorials_fit(hidden, seed):
    """Without a test set, a converging configuration is exactly `twolayer.fit`."""
    X, Y, _, _ = data = build_data(Settings(samples=200))
    sweep = run_sweep(data, [0.3], [hidden], [seed], ITERATIONS)
    params, costs = fit(X, Y, 0.3, hidden, ITERATIONS, random_state=seed)
    result = sweep.results[(0.3, hidden, seed)]
    assert_curve_is(sweep, (0.3, hidden, seed), np.asarray(costs))
    for name, value in params.items():
        np.testing.assert_array_equal(result.params[name], value, err_msg=name)
    assert np.isnan(result.test_cost) and np.isnan(result.test_accuracy)


def test_activation_init_and_l2_reach_every_network(data):
    sweep = run_sweep(data, [0.1, 1.0], [3], [4], 200, activation="relu", init="small", l2=0.03)
    for lr in (0.1, 1.0):
        trainer = alone(data, lr, 3, 4, 200, activation="relu", init="small", l2=0.03)
        result = sweep.results[(lr, 3, 4)]
        assert result.config.init == "small" and result.config.l2 == 0.03
        np.testing.assert_array_equal(result.costs, trainer.history["cost"])
        for name, value in trainer.params.items():
            np.testing.assert_array_equal(result.params[name], value, err_msg=name)


def test_value_is_the_median_over_seeds(sweep):
    for metric, (attribute, _) in METRICS.items():
        for hidden in HIDDEN:
            results = [sweep.results[(0.3, hidden, seed)] for seed in SEEDS]
            values = [r.costs[-1] if attribute == "final_cost" else getattr(r, attribute) for r in results]
            assert sweep.value(metric, 0.3, hidden) == pytest.approx(float(np.median(values)), abs=1e-12)
            if "cost" in metric:  # accuracies of 150 points may tie
                assert len(set(values)) == len(values), "the seeds should differ, or the median test proves little"
    # train cost is the last recorded cost, the one before the final update
    assert sweep.value("train cost", 0.3, 5) == pytest.approx(
        float(np.median([sweep.results[(0.3, 5, s)].costs[-1] for s in SEEDS]))
    )


def test_value_is_nan_for_diverged_cells_only(sweep):
    assert all(sweep.results[(10.0, 5, seed)].diverged is not None for seed in SEEDS)
    assert all(len(sweep.results[(10.0, 5, seed)].costs) < ITERATIONS for seed in SEEDS)
    for metric in METRICS:
        assert np.isnan(sweep.value(metric, 10.0, 5)), metric
        for lr, hidden in [(0.3, 2), (0.3, 5), (10.0, 2)]:
            assert np.isfinite(sweep.value(metric, lr, hidden)), (metric, lr, hidden)


def test_one_diverged_seed_makes_the_cell_nan(data):
    sweep = run_sweep(data, [10.0], [2, 5], [0], 50)
    sweep.seeds = [0, 1]  # seed 1 of hidden 2 fine, of hidden 5 diverged: borrow it
    other = run_sweep(data, [10.0], [2, 5], [1], 50)
    sweep.results |= other.results
    assert np.isfinite(sweep.value("test cost", 10.0, 2))
    sweep.results[(10.0, 2, 1)] = other.results[(10.0, 5, 1)]  # a diverged result in a fine cell
    assert np.isnan(sweep.value("test cost", 10.0, 2))


def same_results(one: Sweep, other: Sweep) -> None:
    """Bit for bit, in the same order: every cost and every final parameter."""
    assert list(one.results) == list(other.results)
    for key, result in one.results.items():
        np.testing.assert_array_equal(other.results[key].costs, result.costs, err_msg=str(key))
        for name, value in result.params.items():
            np.testing.assert_array_equal(other.results[key].params[name], value, err_msg=f"{key} {name}")
        assert (other.results[key].diverged is None) == (result.diverged is None)


def test_two_threads_train_stacks_at_once_with_the_same_numbers(data, monkeypatch):
    """threads=2: two worker threads, neither the caller's, train the stacks; every callback (should_stop,
    progress, partial) comes from the caller's thread (the page's Streamlit calls must), and the numbers,
    diverged networks included, are those of one thread."""
    caller, trained_on, called_on = threading.get_ident(), set(), set()
    original = appkit.sweep.train_many

    lane_of = {}

    def spy(X, Y, configs, *args, **kwargs):
        trained_on.add(threading.get_ident())
        lane_of[configs[0].hidden_size] = threading.get_ident()
        assert "threads" not in kwargs  # each stack on one thread
        return original(X, Y, configs, *args, **kwargs)

    monkeypatch.setattr(appkit.sweep, "train_many", spy)
    seen = []
    mark = lambda *_: called_on.add(threading.get_ident())  # noqa: E731
    options = dict(progress=mark, should_stop=lambda: mark() or False, partial=lambda s: seen.append(set(s.results)))
    two = run_sweep(data, RATES, [1, 2, 5], SEEDS, 100, threads=2, **options)
    assert len(trained_on) == 2 and caller not in trained_on and called_on == {caller}
    # Dealt by the hidden layers' floats (6 units a network against 2 + 3): 5 hidden units alone, 1 and 2 together.
    assert lane_of[1] == lane_of[2] != lane_of[5]
    assert len(seen) == 3 and seen[-1] == set(two.results)
    for results in seen:  # partial results hold whole columns only
        assert {
            (lr, h, s) for lr, h, s in itertools.product(RATES, [1, 2, 5], SEEDS) if h in {k[1] for k in results}
        } == results
    assert any(r.diverged is not None for r in two.results.values())  # the redo alone runs on a worker too
    same_results(run_sweep(data, RATES, [1, 2, 5], SEEDS, 100), two)
    assert not [t for t in threading.enumerate() if t.name.startswith("sweep-")]  # the workers have ended


def test_lanes_end_together_and_start_small():
    """The default sweep's stacks (5 networks of 1, 2, 5, 10, 20 hidden units: k (h + 1) m floats a step) on two
    lanes: 20 hidden units alone, the rest on the other, smallest first so its first column comes early."""
    weights = [5 * (h + 1) * 500 for h in (1, 2, 5, 10, 20)]
    assert appkit.sweep.lanes(weights, 2) == [[4], [0, 1, 2, 3]]
    assert appkit.sweep.lanes(weights, 1) == [[0, 1, 2, 3, 4]]
    assert sorted(map(len, appkit.sweep.lanes(weights[:1], 2))) == [1]  # never an empty lane


def test_a_one_column_sweep_is_cut_for_two_threads(data):
    stacks = plan_stacks(RATES, [5], SEEDS, data[0].shape[1])
    assert len(stacks) == 1
    cut = appkit.sweep.split_for_threads(stacks, 2)
    assert len(cut) == 2 and [p for s in cut for p in s.pairs] == list(stacks[0].pairs)
    assert appkit.sweep.split_for_threads(plan_stacks([0.3], [5], [0], 150), 2) == plan_stacks([0.3], [5], [0], 150)
    same_results(run_sweep(data, RATES, [5], SEEDS, 60), run_sweep(data, RATES, [5], SEEDS, 60, threads=2))


def test_a_stop_ends_every_worker_at_its_next_step(data, monkeypatch):
    """should_stop True at its second call (the first wait, after CHECK_SECONDS): SweepStopped is raised once
    both workers have stopped, long before their stacks' 20,000 steps."""
    steps, calls = [], []
    original = appkit.sweep.train_many

    def counting(*args, on_step, **kwargs):
        return original(*args, on_step=lambda: (steps.append(1), on_step()), **kwargs)

    monkeypatch.setattr(appkit.sweep, "train_many", counting)
    with pytest.raises(SweepStopped):
        run_sweep(
            data, [0.1, 0.3], [2, 3], [0], 20_000, threads=2, should_stop=lambda: calls.append(1) or len(calls) == 2
        )
    assert len(calls) == 2 and 0 < len(steps) < 20_000
    assert not [t for t in threading.enumerate() if t.name.startswith("sweep-")]
    done = len(steps)
    time.sleep(0.2)
    assert len(steps) == done  # nothing trains on


def test_a_workers_error_reaches_the_caller(data, monkeypatch):
    original = appkit.sweep.train_many

    def failing(X, Y, configs, *args, **kwargs):
        if configs[0].hidden_size == 3:
            raise MemoryError("no room for the stack")
        return original(X, Y, configs, *args, **kwargs)

    monkeypatch.setattr(appkit.sweep, "train_many", failing)
    with pytest.raises(MemoryError, match="no room"):
        run_sweep(data, [0.1, 0.3], [2, 3, 4], [0], 300, threads=2)
    assert not [t for t in threading.enumerate() if t.name.startswith("sweep-")]


def test_sweep_threads_take_the_idle_core_only(monkeypatch):
    from appkit import server_load

    monkeypatch.setattr(appkit.sweep.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(server_load, "training_sessions", lambda besides=None: 0)
    assert appkit.sweep.sweep_threads() == 2
    monkeypatch.setattr(server_load, "training_sessions", lambda besides=None: 1)  # another session trains
    assert appkit.sweep.sweep_threads() == 1
    monkeypatch.setattr(server_load, "training_sessions", lambda besides=None: 0)
    monkeypatch.setattr(appkit.sweep.os, "cpu_count", lambda: 1)
    assert appkit.sweep.sweep_threads() == 1


# --- finished sweeps kept --------------------------------------------------------------------------


def test_a_repeated_sweep_comes_from_the_cache_without_training(data, monkeypatch):
    cache = FinishedSweeps()
    calls = []
    original = appkit.sweep.train_many
    monkeypatch.setattr(appkit.sweep, "train_many", lambda *a, **k: calls.append(1) or original(*a, **k))
    first = run_sweep(data, [0.1, 10.0], [2, 5], [0], 60, cache=cache)
    trained = len(calls)
    again = run_sweep(data, [0.1, 10.0], [2, 5], [0], 60, cache=cache, threads=2)  # threads do not matter
    assert len(calls) == trained and again.reused and not first.reused
    same_results(first, again)
    assert again is not first and again.results is not first.results
    again.results.clear()  # a caller's changes stay its own
    assert len(run_sweep(data, [0.1, 10.0], [2, 5], [0], 60, cache=cache).results) == 4 and len(calls) == trained
    with pytest.raises(ValueError, match="read-only"):
        first.results[(0.1, 2, 0)].costs[0] = 0.0


@pytest.mark.parametrize(
    "change",
    [
        dict(iterations=61),
        dict(learning_rates=[0.1, 10.0, 0.3]),
        dict(hidden_sizes=[2]),
        dict(seeds=[1]),
        dict(activation="relu"),
        dict(init="small"),
        dict(l2=0.01),
        dict(l1=0.01),
        dict(batch_size=32),
        dict(batch_sizes=[0, 32], hidden_sizes=[2]),
        dict(features=("x1", "x2", "x1*x2")),
        dict(data="other"),
    ],
)
def test_any_change_of_the_configuration_trains_again(data, change):
    cache = FinishedSweeps()
    sweep = dict(data=data, learning_rates=[0.1, 10.0], hidden_sizes=[2, 5], seeds=[0], iterations=60)
    first = run_sweep(**sweep, cache=cache)
    if change.get("data") == "other":  # the same shapes, one point moved
        X = data[0].copy()
        X[0, 0] += 1e-9
        change = dict(data=(X, *data[1:]))
    if "features" in change:
        change["data"] = build_data(replace(SETTINGS, features=change["features"]))
    changed = run_sweep(**(sweep | change), cache=cache)
    assert not changed.reused and not first.reused and len(cache) == 2


def test_the_cache_keeps_the_last_sweeps_within_its_bounds(data):
    cache = FinishedSweeps(sweeps=2)
    for iterations in (10, 11, 12):
        run_sweep(data, [0.1], [2], [0], iterations, cache=cache)
    assert len(cache) == 2
    assert not run_sweep(data, [0.1], [2], [0], 10, cache=cache).reused  # the oldest went first
    assert run_sweep(data, [0.1], [2], [0], 12, cache=cache).reused
    small = FinishedSweeps(max_bytes=200)  # a network of 2 hidden units: 10 costs + 9 parameters, 152 bytes
    run_sweep(data, [0.1], [2], [0], 10, cache=small)
    assert len(small) == 1
    run_sweep(data, [0.1, 0.3], [2], [0], 10, cache=small)  # too big for it: not kept
    assert len(small) == 1 and run_sweep(data, [0.1], [2], [0], 10, cache=small).reused


def test_a_kept_sweeps_figures_are_built_once_and_go_with_it(data):
    cache = FinishedSweeps(sweeps=1)
    built = []

    def figure(sweep, what):
        return cache.figure(sweep, what, lambda: built.append(what) or heatmap_figure(sweep, "train cost", None))

    first = run_sweep(data, [0.1], [2], [0], 10, cache=cache)
    shown = figure(first, ("heatmap", "train cost"))
    again = run_sweep(data, [0.1], [2], [0], 10, cache=cache)  # another request: its own Sweep, the same key
    assert again.reused and figure(again, ("heatmap", "train cost")) is shown
    assert figure(again, ("heatmap", "test cost")) is not shown  # another figure of it: built
    assert built == [("heatmap", "train cost"), ("heatmap", "test cost")]
    unkept = run_sweep(data, [0.1], [2], [0], 10)  # trained without the cache: nothing kept for it
    figure(unkept, ("heatmap", "train cost"))
    figure(unkept, ("heatmap", "train cost"))
    assert len(built) == 4
    run_sweep(data, [0.1], [2], [0], 11, cache=cache)  # pushes the first sweep out, and its figures with it
    assert figure(first, ("heatmap", "train cost")) is not shown and len(built) == 5


def counting_training(monkeypatch) -> list:
    calls = []
    original = appkit.sweep.train_many
    monkeypatch.setattr(appkit.sweep, "train_many", lambda *a, **k: calls.append(1) or original(*a, **k))
    return calls


def test_a_sweep_another_thread_trains_is_waited_for_not_trained_twice(data, monkeypatch):
    cache, grid = FinishedSweeps(), (data, [0.1, 0.3], [2], [0], 40)
    key = sweep_key(*grid, activation="tanh", init="he", l2=0.0, l1=0.0, features=DEFAULT_FEATURES, batch_size=None)
    assert cache.claim(key) and not cache.claim(key)  # this test's thread trains it now
    calls, seen, got = counting_training(monkeypatch), [], []
    waiter = threading.Thread(target=lambda: got.append(run_sweep(*grid, cache=cache, progress=seen.append)))
    waiter.start()
    cache.report(key, 0.5)
    time.sleep(3 * appkit.sweep.CHECK_SECONDS)
    assert waiter.is_alive() and calls == [] and 0.5 in seen  # waiting, with the trainer's progress
    trained = run_sweep(*grid)
    trained.key = key
    cache.put(key, trained)
    cache.release(key)
    waiter.join(5)
    (result,) = got
    assert calls == [1] and not result.reused  # only this thread trained; the waiter got it, trained for it
    same_results(result, trained)


def test_a_waiter_trains_a_sweep_that_stopped_unfinished_and_can_stop_waiting(data, monkeypatch):
    cache, grid = FinishedSweeps(), (data, [0.1], [2], [0], 30)
    key = sweep_key(*grid, activation="tanh", init="he", l2=0.0, l1=0.0, features=DEFAULT_FEATURES, batch_size=None)
    assert cache.claim(key)
    with pytest.raises(SweepStopped):  # a closed tab or Cancel while waiting
        run_sweep(*grid, cache=cache, should_stop=lambda: True)
    calls = counting_training(monkeypatch)
    threading.Timer(0.3, cache.release, args=(key,)).start()  # the trainer stopped without a result
    result = run_sweep(*grid, cache=cache)
    assert calls == [1] and not result.reused and len(cache) == 1 and not cache.training(key)


def test_the_warm_up_trains_a_sweep_ahead_once(data, monkeypatch):
    monkeypatch.setattr(appkit.sweep, "WARM_UP", True)
    cache, grid = FinishedSweeps(), (data, [0.1, 0.3], [2, 3], [0], 50)
    options = dict(activation="tanh", init="he", l2=0.0, l1=0.0, batch_size=None, features=DEFAULT_FEATURES)
    thread = warm_up(*grid, cache, **options)
    assert thread is not None and warm_up(*grid, cache, **options) is None  # trained now: not twice
    assert warm_up(data, [0.1], [2], [0], 52, cache, **options) is None  # nor another one at the same time
    thread.join(30)
    calls = counting_training(monkeypatch)
    kept = run_sweep(*grid, cache=cache, **options)
    assert kept.reused and calls == [] and warm_up(*grid, cache, **options) is None  # kept: nothing to do
    same_results(kept, run_sweep(*grid, **options))  # the same numbers as a sweep of its own
    monkeypatch.setattr(appkit.sweep, "WARM_UP", False)
    assert warm_up(data, [0.1], [2], [0], 51, cache, **options) is None


def test_progress_reports_increasing_fractions_ending_at_one(data, monkeypatch):
    monkeypatch.setattr(appkit.sweep, "CHECK_SECONDS", float("inf"))  # only the checks at the start and per size
    seen = []
    run_sweep(data, [0.1, 0.3], [1, 2, 3, 4], [0], 50, progress=seen.append)
    assert seen == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])  # without a speed, each stack's steps count alike
    seen.clear()
    run_sweep(data, [0.1, 0.3], [1, 2, 3, 4], [0], 50, progress=seen.append, speed=Speed(0.0, 1.0))
    assert seen[-1] == 1.0 and all(a < b for a, b in itertools.pairwise(seen))
    assert seen[1] == pytest.approx(2 / (2 + 3 + 4 + 5))  # weighted by the hidden layer's size


def test_should_stop_is_checked_before_each_stack(data, monkeypatch):
    calls, trained = [], []

    def spy(X, Y, configs, *args, **kwargs):
        trained.append(configs[0].hidden_size)
        return train_many(X, Y, configs, *args, **kwargs)

    monkeypatch.setattr(appkit.sweep, "train_many", spy)
    monkeypatch.setattr(appkit.sweep, "CHECK_SECONDS", float("inf"))
    with pytest.raises(SweepStopped):  # True at the third call: two stacks trained, the third not started
        run_sweep(data, [0.1, 0.3], [1, 2, 3], [0], 50, should_stop=lambda: calls.append(1) or len(calls) >= 3)
    assert len(calls) == 3 and trained == [1, 2]
    trained.clear()
    with pytest.raises(SweepStopped):
        run_sweep(data, [0.1], [1], [0], 50, should_stop=lambda: True)
    assert trained == []
    assert len(run_sweep(data, [0.1, 0.3], [1, 2], [0], 50, should_stop=lambda: False).results) == 4


def test_should_stop_and_progress_are_called_between_steps_every_check_seconds(data, monkeypatch):
    """A fake clock that advances 0.03 s per reading: with checks due every CHECK_SECONDS (0.1 s), one comes
    every fourth step, inside a stack; a True ends training there, steps before its end."""
    now = [0.0]

    def clock() -> float:
        now[0] += 0.03
        return now[0]

    monkeypatch.setattr(appkit.sweep, "clock", clock)
    steps, checks = [], []
    original = appkit.sweep.train_many

    def counting(*args, on_step, **kwargs):
        return original(*args, on_step=lambda: (steps.append(1), on_step()), **kwargs)

    monkeypatch.setattr(appkit.sweep, "train_many", counting)
    stop_at = 6

    def should_stop() -> bool:
        checks.append(len(steps))
        return len(checks) == stop_at

    with pytest.raises(SweepStopped):
        run_sweep(data, [0.1, 0.3], [2], [0], 500, should_stop=should_stop)
    assert CHECK_SECONDS <= 0.25  # the brief: a stop flag checked at least every 0.25 s
    assert checks[0] == 0 and len(checks) == stop_at  # one before training, then one every 4 readings
    assert [b - a for a, b in itertools.pairwise(checks)] == [4] * (stop_at - 1)
    assert len(steps) == checks[-1] < 500  # training ended at the check that said stop


def test_a_diverged_network_retrained_alone_is_stoppable_too(data, monkeypatch):
    """train_many redoes a diverged network alone (to find its exact step): on_step reaches that loop as well,
    every ALONE_STEPS steps (here 1) until the divergence."""
    from twolayer import batch

    monkeypatch.setattr(batch, "ALONE_STEPS", 1)
    X, Y = data[0], data[1]
    calls = []
    (result,) = train_many(X, Y, [Config(10.0, 5, 0)], 300, on_step=lambda: calls.append(1))
    diverged_at = len(result.costs)  # the steps before the one that diverged
    assert 2 <= diverged_at < 300 and len(calls) == 300 + diverged_at  # the stack's steps, then the redo's

    def stop_in_the_redo():
        calls.append(1)
        if len(calls) == 302:
            raise SweepStopped

    calls.clear()
    with pytest.raises(SweepStopped):
        train_many(X, Y, [Config(10.0, 5, 0)], 300, on_step=stop_in_the_redo)
    assert len(calls) == 302


def test_big_stacks_are_cut_so_a_step_stays_short():
    stacks = plan_stacks([0.1, 0.3, 1.0], [2, 64], [0, 1, 2, 3, 4], 5000)
    assert [s.hidden for s in stacks][:1] == [2] and sum(s.hidden == 2 for s in stacks) == 1
    big = [s for s in stacks if s.hidden == 64]
    assert len(big) > 1 and all(s.floats(5000) <= MAX_STACK_FLOATS for s in big)
    pairs = [p for s in big for p in s.pairs]  # every (lr, seed) once, in order
    assert pairs == list(itertools.product([0.1, 0.3, 1.0], [0, 1, 2, 3, 4]))
    assert plan_stacks([0.1], [64], [0], 10**6)[0].pairs == ((0.1, 0),)  # one network is never cut


def test_a_cut_stack_gives_the_same_numbers(data, monkeypatch):
    whole = run_sweep(data, [0.1, 0.3, 1.0], [3], [0, 1], 100)
    monkeypatch.setattr(appkit.sweep, "MAX_STACK_FLOATS", 4 * data[0].shape[1] * 2)  # 2 networks a stack
    assert len(plan_stacks([0.1, 0.3, 1.0], [3], [0, 1], data[0].shape[1])) == 3
    cut = run_sweep(data, [0.1, 0.3, 1.0], [3], [0, 1], 100)
    for key, result in whole.results.items():
        np.testing.assert_array_equal(cut.results[key].costs, result.costs)
        np.testing.assert_array_equal(cut.results[key].params["W1"], result.params["W1"])


def test_partial_results_come_after_each_hidden_size(data):
    seen = []
    sweep = run_sweep(data, [0.1, 0.3], [1, 3], [0, 1], 50, partial=lambda s: seen.append(dict(s.results)))
    assert [sorted({h for _, h, _ in r}) for r in seen] == [[1], [1, 3]]
    assert seen[-1] == sweep.results
    early = Sweep([0.1, 0.3], [1, 3], [0, 1], 50, seen[0])
    assert early.done(0.3, 1) and not early.done(0.3, 3)
    fig = heatmap_figure(early, "train cost", None)
    pending = fig.data[-1]
    assert list(pending.x) == ["3", "3"] and list(pending.text) == ["…", "…"] and pending.customdata is None
    assert sorted(fig.data[0].customdata, key=tuple) == [[0.1, 1], [0.3, 1]]


def test_long_curves_are_thinned_to_exact_values_with_the_last_kept(data):
    iterations = 5000
    sweep = run_sweep(data, [0.1, 0.3, 10.0], [2], [0], iterations)
    trainer = alone(data, 0.3, 2, 0, iterations)
    x, y = sweep.curve(0.3, 2, 0)
    # The steps the chart drew when a sweep kept CURVE_KEEP of them: CURVE_POINTS evenly spaced among those.
    kept = np.unique(np.rint(np.linspace(0, iterations - 1, CURVE_KEEP)).astype(int))
    np.testing.assert_array_equal(x, kept[np.unique(np.rint(np.linspace(0, CURVE_KEEP - 1, CURVE_POINTS)).astype(int))])
    assert len(y) == CURVE_POINTS and x[0] == 0 and x[-1] == iterations - 1
    np.testing.assert_array_equal(y, trainer.history["cost"][x])  # exact, float64
    assert sweep.value("train cost", 0.3, 2) == trainer.history["cost"][-1]
    assert sweep.kept[(0.1, 2, 0)] is sweep.kept[(0.3, 2, 0)]  # one array of kept iterations per length
    diverged = sweep.results[(10.0, 2, 0)]
    if diverged.diverged is not None:
        assert diverged.diverged.__traceback__ is None  # it held the trainer and its data
    curve = next(t for t in curves_figure(sweep, seed=0).data if t.hovertemplate.startswith("α 0.3, 2 hidden"))
    np.testing.assert_array_equal(curve.x, x)
    np.testing.assert_allclose(curve.y, trainer.history["cost"][np.asarray(curve.x)], rtol=1e-6)


def test_the_estimate_follows_the_engines_measured_speed(data):
    """Estimated and spent CPU seconds of this thread, in one run: within a factor of two."""
    speed = measured_speed("tanh")
    assert speed is measured_speed("tanh") and speed.per_float > 0  # measured once per process
    rates, hidden, seeds, iterations = [0.1, 0.3, 1.0], [2, 16], [0, 1], 400
    m = data[0].shape[1]
    estimate = estimate_seconds(plan_stacks(rates, hidden, seeds, m), m, iterations, speed)
    start = time.thread_time()
    run_sweep(data, rates, hidden, seeds, iterations)
    spent = time.thread_time() - start
    assert 0.5 < spent / estimate < 2, f"estimated {estimate:.2f} s, spent {spent:.2f} s"


def test_what_to_reduce_names_iterations_that_fit():
    speed = Speed(1e-4, 2e-8)
    rates, hidden, seeds, m = [0.1, 0.3, 1.0, 3.0], [5, 32, 64], [0, 1], 4000
    advice = what_to_reduce(rates, hidden, seeds, m, 50_000, speed, 30.0, (100, 500, 1000, 5000))
    fits = int(advice.split(" iterations")[0].replace(",", ""))
    seconds = lambda n: estimate_seconds(plan_stacks(rates, hidden, seeds, m), m, n, speed)  # noqa: E731
    assert seconds(fits) <= 30.0 < seconds(500)  # the most of the allowed numbers that fits
    assert "32 and 64 hidden" in advice and "1 seed (not 2)" in advice and "4,000 training points" in advice


def test_one_sweep_at_a_time_per_owner():
    class Owner:
        pass

    first, second = Owner(), Owner()
    with one_at_a_time(first):
        with pytest.raises(SweepBusy), one_at_a_time(first):
            pass
        with one_at_a_time(second):  # another session is not held up
            pass
    with one_at_a_time(first):  # released at the end, also after an exception
        pass
    with pytest.raises(SweepStopped), one_at_a_time(first):
        raise SweepStopped
    with one_at_a_time(first):
        pass


# --- figures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fine(data) -> Sweep:
    """A sweep where nothing diverges; 3 x 2, so rows and columns cannot be mixed up."""
    sweep = run_sweep(data, [0.1, 0.3, 3.0], [2, 5], [0, 1], 300)
    assert all(r.diverged is None for r in sweep.results.values())
    return sweep


def test_heatmap_has_one_clickable_cell_per_configuration(fine):
    fig = heatmap_figure(fine, "test cost", current=(0.3, 5))
    cells = fig.data[0]
    assert len(cells.x) == 6
    seen = set()
    colours = dict(zip(map(tuple, cells.customdata), cells.marker.color, strict=True))
    for x, y, custom, text in zip(cells.x, cells.y, cells.customdata, cells.text, strict=True):
        lr, hidden = custom
        assert (float(y), int(x)) == (lr, hidden)  # the axis labels are the cell's own values
        assert lr in fine.learning_rates and hidden in fine.hidden_sizes
        value = fine.value("test cost", lr, hidden)
        assert text == f"{value:.3f}"
        assert colours[(lr, hidden)] == pytest.approx(value)
        seen.add((lr, hidden))
    assert seen == set(itertools.product(fine.learning_rates, fine.hidden_sizes))
    assert cells.marker.reversescale is True  # lower cost is better
    assert (cells.marker.cmin, cells.marker.cmax) == (min(colours.values()), max(colours.values()))
    assert fig.layout.yaxis.categoryarray == ("0.1", "0.3", "3")
    assert fig.layout.xaxis.type == "category" and fig.layout.yaxis.type == "category"


def test_heatmap_marks_the_playgrounds_setting(fine):
    fig = heatmap_figure(fine, "test accuracy", current=(3.0, 2))
    assert len(fig.data) == 2
    marker = fig.data[1]
    assert (tuple(marker.x), tuple(marker.y)) == (("2",), ("3",))
    assert marker.marker.symbol == "square-open"
    assert fig.data[0].marker.reversescale is False  # higher accuracy is better
    assert all(text.endswith("%") for text in fig.data[0].text)
    # A setting outside the sweep, or none, is not marked.
    assert len(heatmap_figure(fine, "test cost", current=(1.0, 5)).data) == 1
    assert len(heatmap_figure(fine, "test cost", current=(0.3, 64)).data) == 1
    assert len(heatmap_figure(fine, "test cost", current=None).data) == 1


def test_heatmap_shows_diverged_cells_grey_and_clickable(sweep):
    fig = heatmap_figure(sweep, "test cost", current=(10.0, 5))
    assert [t.marker.symbol for t in fig.data] == ["square", "square", "square-open"]
    cells, diverged, current = fig.data
    assert [tuple(c) for c in diverged.customdata] == [(10.0, 5)]
    assert tuple(diverged.text) == ("diverged",) and diverged.marker.color == "#dadce0"
    assert (tuple(diverged.x), tuple(diverged.y)) == (("5",), ("10",))
    coloured = dict(zip(map(tuple, cells.customdata), cells.marker.color, strict=True))
    assert set(coloured) == {(0.3, 2), (0.3, 5), (10.0, 2)}
    assert all(np.isfinite(v) for v in coloured.values())
    assert (cells.marker.cmin, cells.marker.cmax) == (min(coloured.values()), max(coloured.values()))
    assert (tuple(current.x), tuple(current.y)) == (("5",), ("10",))
    assert current.hoverinfo == "skip"  # clicks go to the cell under it


def test_heatmap_of_a_sweep_that_all_diverged(data):
    sweep = run_sweep(data, [10.0], [5, 8], [0], 50)
    fig = heatmap_figure(sweep, "train accuracy", current=None)
    assert len(fig.data[0].x) == 0 and (fig.data[0].marker.cmin, fig.data[0].marker.cmax) == (0, 1)
    assert [tuple(c) for c in fig.data[1].customdata] == [(10.0, 5), (10.0, 8)]


def category_order(fig, axis: str) -> list[str]:
    """The order Plotly draws a category axis in: its categoryarray, or first appearance over the traces."""
    layout = fig.layout[f"{axis}axis"]
    if layout.categoryorder == "array":
        return list(layout.categoryarray)
    seen = []
    for trace in fig.data:
        for value in trace[axis]:
            if value not in seen:
                seen.append(value)
    return seen


def test_heatmap_columns_and_rows_follow_the_sweep(fine):
    fig = heatmap_figure(fine, "test cost", current=(0.3, 5))
    assert category_order(fig, "x") == ["2", "5"]
    assert category_order(fig, "y") == ["0.1", "0.3", "3"]


def test_heatmap_columns_stay_in_order_when_a_column_diverged(data):
    sweep = run_sweep(data, [5.0, 10.0], [20, 32], [0], 300)
    assert sweep.results[(5.0, 20, 0)].diverged and sweep.results[(10.0, 20, 0)].diverged
    fig = heatmap_figure(sweep, "train cost", current=None)
    assert category_order(fig, "x") == ["20", "32"]


def test_heatmap_customdata_survives_awkward_rates(data):
    rates = [0.001, 0.002, 0.005, 0.02]
    sweep = run_sweep(data, rates, [1], [0], 10)
    fig = heatmap_figure(sweep, "train cost", current=None)
    assert sorted(lr for lr, _ in fig.data[0].customdata) == rates


def test_heatmap_cells_are_square_and_fill_the_plot_area(fine):
    """Markers are sized in pixels: the figure's fixed size leaves exactly columns x rows cells of `cell` px."""
    fig = heatmap_figure(fine, "test cost", current=(0.3, 5))
    cell = cell_size(2, 3)
    assert fig.layout.width - MARGIN["l"] - MARGIN["r"] == 2 * cell
    assert fig.layout.height - MARGIN["t"] - MARGIN["b"] == 3 * cell
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    assert fig.layout.xaxis.range == (-0.5, 1.5) and fig.layout.yaxis.range == (-0.5, 2.5)
    assert fig.data[0].marker.size == cell - 3 and fig.data[1].marker.size < cell
    assert cell_size(5, 5) == 60 and cell_size(12, 5) == 34 and cell_size(12, 12) == 34


def test_text_colour_contrasts_with_its_cell():
    assert text_colour("#440154") == "white"  # Viridis' dark purple
    assert text_colour("#fde725") == "black"  # and its yellow
    assert text_colour("rgb(33, 145, 140)") == "black" and text_colour("rgb(59, 82, 139)") == "white"
    assert text_colour("#dadce0") == "black"


@pytest.mark.parametrize("metric", ["test cost", "test accuracy"])
def test_heatmap_text_is_white_on_dark_cells_black_on_light(fine, metric):
    cells = heatmap_figure(fine, metric, current=None).data[0]
    values = np.array(cells.marker.color)
    colours = dict(zip(values, cells.textfont.color, strict=True))
    best, worst = (values.min(), values.max()) if METRICS[metric][1] else (values.max(), values.min())
    assert colours[best] == "black"  # the best cell is Viridis' yellow end
    assert colours[worst] == "white"  # the worst its dark purple end


def test_boundaries_has_a_heatmap_per_configuration(sweep, data):
    axes = plot_range(np.vstack([data[0].T, data[2].T]))
    fig = boundaries_figure(sweep, data, "tanh", axes, seed=1)
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert len(heatmaps) == len(RATES) * len(HIDDEN)
    assert {(t.xaxis or "x", t.yaxis or "y") for t in fig.data} == {("x", "y")}  # one pair of axes, no subplots
    xs, ys, dx, dy = panel_grid(axes)
    (x0, x1), (y0, y1) = axes
    boxes = []
    for n, ((i, lr), (j, hidden)) in enumerate(itertools.product(enumerate(RATES), enumerate(HIDDEN))):
        heatmap = heatmaps[n]
        assert heatmap.name.startswith(f"α {lr:g}, {hidden} hidden")
        assert heatmap.name.endswith("(diverged)") == (sweep.results[(lr, hidden, 1)].diverged is not None)
        ox, oy = panel_origin(i, j, axes)  # column j = hidden size, row i = learning rate from the bottom
        assert heatmap.x0 == pytest.approx(xs[0] + ox) and heatmap.dx == pytest.approx(dx)
        assert heatmap.y0 == pytest.approx(ys[0] + oy) and heatmap.dy == pytest.approx(dy)
        assert dx == pytest.approx(dy, rel=0.05)  # square cells
        assert xs[0] - dx / 2 == pytest.approx(x0) and xs[-1] + dx / 2 == pytest.approx(x1)
        assert ys[0] - dy / 2 == pytest.approx(y0) and ys[-1] + dy / 2 == pytest.approx(y1)
        gx, gy = np.meshgrid(xs, ys)  # the map is this configuration's P(class 1) at its cell centres
        P = predict_proba(np.vstack([gx.ravel(), gy.ravel()]), sweep.results[(lr, hidden, 1)].params, "tanh")
        z = np.asarray(heatmap.z)
        assert z.dtype == np.uint8 and (heatmap.zmin, heatmap.zmax) == (0, 255)
        np.testing.assert_allclose(z / 255, P.reshape(gy.shape), atol=0.5 / 255 + 1e-12)
        boxes.append((ox + x0, ox + x1, oy + y0, oy + y1))
    for a, b in itertools.combinations(boxes, 2):  # panels do not overlap
        assert a[1] < b[0] or b[1] < a[0] or a[3] < b[2] or b[3] < a[2]
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["2 hidden", "5 hidden", "α 0.3", "α 10"]
    assert fig.layout.yaxis.scaleanchor == "x"  # panels keep the data's aspect


def test_boundaries_show_every_panel_the_same_training_points(sweep, data):
    axes = plot_range(np.vstack([data[0].T, data[2].T]))
    fig = boundaries_figure(sweep, data, "tanh", axes, seed=0)
    points = [t for t in fig.data if t.type == "scatter"]
    assert [t.marker.color for t in points] == list(CLASS_COLOURS)
    X, Y = data[0], data[1]
    keep = subsample(X.shape[1])
    assert len(keep) == min(150, X.shape[1]) and len(set(keep)) == len(keep)
    panels = [panel_origin(i, j, axes) for i in range(len(RATES)) for j in range(len(HIDDEN))]
    for label, trace in enumerate(points):
        Xc = X[:, keep][:, Y[0, keep] == label]
        x = np.asarray(trace.x).reshape(len(panels), -1)
        y = np.asarray(trace.y).reshape(len(panels), -1)
        for (ox, oy), px, py in zip(panels, x, y, strict=True):
            np.testing.assert_allclose(px - ox, Xc[0], atol=1e-5)
            np.testing.assert_allclose(py - oy, Xc[1], atol=1e-5)


def test_curves_has_a_line_per_configuration(sweep):
    fig = curves_figure(sweep, seed=0)
    assert len(fig.data) == len(RATES) * len(HIDDEN)
    configs = {t.hovertemplate.split("<br>")[0] for t in fig.data}
    assert configs == {f"α {lr:g}, {h} hidden" for lr, h in itertools.product(RATES, HIDDEN)}
    panels = {}
    for trace in fig.data:
        lr, hidden = trace.hovertemplate.split("<br>")[0].removeprefix("α ").split(" hidden")[0].split(", ")
        panels.setdefault(hidden, set()).add(trace.xaxis)
        assert trace.name == f"α {lr}" and trace.legendgroup == lr  # one legend entry per learning rate
    assert all(len(axes) == 1 for axes in panels.values()) and len({a for v in panels.values() for a in v}) == 2
    assert sum(bool(t.showlegend) for t in fig.data) == len(RATES)
    colours = {t.name: set() for t in fig.data}
    for t in fig.data:
        colours[t.name].add(t.line.color)
    assert all(len(c) == 1 for c in colours.values()) and len({next(iter(c)) for c in colours.values()}) == 2
    diverged = next(t for t in fig.data if t.hovertemplate.startswith("α 10, 5 hidden"))
    steps, costs = sweep.curve(10.0, 5, 0)
    assert "diverged" in diverged.hovertemplate
    assert diverged.x[-1] == steps[-1] < ITERATIONS - 1 and diverged.y[-1] == pytest.approx(costs[-1], rel=1e-6)
    fine_curve = next(t for t in fig.data if t.hovertemplate.startswith("α 0.3, 2 hidden"))
    steps, costs = sweep.curve(0.3, 2, 0)
    assert len(fine_curve.x) == CURVE_POINTS and fine_curve.x[0] == 0 and fine_curve.x[-1] == ITERATIONS - 1
    np.testing.assert_array_equal(fine_curve.x, steps)
    np.testing.assert_allclose(fine_curve.y, costs, rtol=1e-6)


# --- batch sizes as the columns -----------------------------------------------------------------

BATCHES = [4, 32, 0, 256]  # as the settings hold them: 0 = full; 256 is more than the 150 training points


@pytest.fixture(scope="module")
def batch_sweep(data) -> Sweep:
    return run_sweep(data, [0.3, 1.0], [3], [0, 1], 120, batch_sizes=BATCHES)


def test_a_batch_sweep_is_the_playgrounds_run_of_every_cell(batch_sweep, data):
    """Each cell is build_trainer's run with that batch size (256 on 150 points trains on all 150, as there)."""
    assert batch_sweep.columns == BATCHES and batch_sweep.hidden_sizes == [3] and batch_sweep.axis == "batch size"
    assert set(batch_sweep.results) == set(itertools.product([0.3, 1.0], BATCHES, [0, 1]))
    for lr, batch, seed in batch_sweep.results:
        settings = replace(SETTINGS, learning_rate=lr, hidden_size=3, batch_size=batch, init_seed=seed)
        trainer = build_trainer(settings, data)
        trainer.train(120)
        result = batch_sweep.results[(lr, batch, seed)]
        np.testing.assert_array_equal(result.costs, trainer.history["cost"], err_msg=f"{lr} {batch} {seed}")
        np.testing.assert_array_equal(result.params["W1"], trainer.params["W1"])
    # The columns differ: mini-batches are not the full batch (a sweep that ignored them would match here).
    assert not np.array_equal(batch_sweep.results[(0.3, 4, 0)].costs, batch_sweep.results[(0.3, 0, 0)].costs)


def test_a_batch_sweep_trains_one_hidden_size():
    with pytest.raises(ValueError, match="one hidden size, not 2"):
        run_sweep(build_data(SETTINGS), [0.3], [2, 3], [0], 10, batch_sizes=[0, 4])


def test_partial_results_come_after_each_batch_size(data):
    seen = []
    run_sweep(data, [0.3], [3], [0], 20, batch_sizes=[8, 0], partial=lambda s: seen.append(sorted(s.results)))
    assert seen == [[(0.3, 8, 0)], [(0.3, 0, 0), (0.3, 8, 0)]]


def test_the_estimate_counts_each_batch_columns_points():
    """With a speed of 1 s per float, a step of k networks of h hidden units on b points costs k (h + 1) b."""
    speed, m = Speed(0.0, 1.0), 150
    stacks = plan_stacks([0.1, 0.3], [5], [0, 1, 2], m, [4, 0, 256])
    assert [(s.hidden, s.batch) for s in stacks] == [(5, 4), (5, 0), (5, 256)]
    assert estimate_seconds(stacks, m, 10, speed) == 10 * 6 * 6 * (4 + 150 + 150)


def test_what_to_reduce_names_the_costliest_batches():
    speed = Speed(1e-4, 2e-8)
    advice = what_to_reduce([0.1, 0.3], [5], [0], 4000, 50_000, speed, 1.0, (), [0, 8, 1024], across_batches=True)
    assert "leave out batches of 1024 and the full batch" in advice and "hidden units" not in advice


def test_heatmap_of_a_batch_sweep(batch_sweep):
    fig = heatmap_figure(batch_sweep, "train cost", (1.0, 0))
    assert fig.layout.xaxis.title.text == "batch size"
    assert list(fig.layout.xaxis.categoryarray) == ["4", "32", "full", "256"]
    cells = {tuple(c): x for t in fig.data if t.customdata is not None for c, x in zip(t.customdata, t.x, strict=True)}
    assert cells == {(lr, b): ("full" if b == 0 else str(b)) for lr in (0.3, 1.0) for b in BATCHES}
    assert "batch size %{x}" in fig.data[0].hovertemplate and "hidden" not in fig.data[0].hovertemplate
    marked = fig.data[-1]
    assert marked.name == "playground's setting" and (marked.x, marked.y) == (("full",), ("1",))


def test_boundaries_and_curves_of_a_batch_sweep(batch_sweep, data):
    boundaries = boundaries_figure(batch_sweep, data, "tanh", plot_range(data[0].T), seed=0)
    columns = [a.text for a in boundaries.layout.annotations if not a.text.startswith("α")]
    assert columns == ["batch 4", "batch 32", "full batch", "batch 256"]
    assert {t.name for t in boundaries.data if t.type == "heatmap"} == {
        f"α {lr:g}, {label}, 3 hidden" for lr in (0.3, 1.0) for label in columns
    }
    curves = curves_figure(batch_sweep, seed=0)
    assert [a.text for a in curves.layout.annotations] == columns  # the panels' titles
    assert curves.layout.legend.title.text == "learning rate<br>(3 hidden)"
    assert sum(bool(t.showlegend) for t in curves.data) == 2 and {t.name for t in curves.data} == {"α 0.3", "α 1"}
    full = next(t for t in curves.data if t.hovertemplate.startswith("α 1, full batch, 3 hidden"))
    costs = batch_sweep.results[(1.0, 0, 0)].costs
    np.testing.assert_allclose(full.y, costs[np.asarray(full.x)], rtol=1e-6)


# --- explain ------------------------------------------------------------------------------------

PARAMS = {
    "W1": np.array([[0.5, -1.0], [2.0, 0.25], [-0.75, 0.1]]),
    "b1": np.array([[0.1], [-0.2], [0.3]]),
    "W2": np.array([[1.5, -0.5, 2.0]]),
    "b2": np.array([[-0.4]]),
}


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_forward_one_is_the_hand_computation(activation):
    x = np.array([0.7, -1.2])
    g = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[activation]
    z1 = [PARAMS["W1"][j, 0] * x[0] + PARAMS["W1"][j, 1] * x[1] + PARAMS["b1"][j, 0] for j in range(3)]
    a1 = [float(g(z)) for z in z1]
    z2 = sum(PARAMS["W2"][0, j] * a1[j] for j in range(3)) + PARAMS["b2"][0, 0]
    a2 = 1 / (1 + np.exp(-z2))
    values = forward_one(x, PARAMS, activation)
    assert set(values) == {"Z1", "A1", "Z2", "A2"}
    assert values["Z1"].shape == (3,) and values["Z2"].shape == (1,)
    np.testing.assert_allclose(values["Z1"], z1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(values["A1"], a1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(values["Z2"], [z2], rtol=0, atol=1e-12)
    np.testing.assert_allclose(values["A2"], [a2], rtol=0, atol=1e-12)


def test_forward_one_known_numbers():
    """Numbers worked out on paper for a tiny network: the tutorial's equations, nothing else."""
    params = {"W1": np.array([[1.0, 0.0], [0.0, 1.0]]), "b1": np.zeros((2, 1)), "W2": np.array([[1.0, 1.0]]),
              "b2": np.zeros((1, 1))}  # fmt: skip
    values = forward_one([0.0, 0.0], params, "tanh")
    np.testing.assert_allclose(values["Z1"], [0, 0])
    assert values["A2"][0] == pytest.approx(0.5)
    values = forward_one([np.log(3) / 2, 0.0], params, "tanh")  # tanh(ln3 / 2) = 0.5
    np.testing.assert_allclose(values["A1"], [0.5, 0.0], atol=1e-12)
    assert values["A2"][0] == pytest.approx(1 / (1 + np.exp(-0.5)), abs=1e-12)


def units_params(n: int, seed: int = 3) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.standard_normal((n, 2)),
        "b1": rng.standard_normal((n, 1)),
        "W2": rng.standard_normal((1, n)),
        "b2": np.zeros((1, 1)),
    }


def points(m: int = 60):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1.5, 1.5, (m, 2))
    return X, (X[:, 0] > 0).astype(int)


@pytest.mark.parametrize("n", [1, 5, 16, 20, 64])
def test_hidden_units_figure_has_one_heatmap_per_unit(n):
    params = units_params(n)
    X, y = points()
    axes = ((-2.0, 2.5), (-2.0, 2.5))
    fig = hidden_units_figure(params, "tanh", X, y, axes, resolution=30)
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert len(heatmaps) == min(n, 16)
    W2 = params["W2"][0]
    order = np.argsort(-np.abs(W2))[:16]
    titles = [a.text for a in fig.layout.annotations]
    assert titles == [f"unit {j + 1}: W2 = {W2[j]:+.2f}" for j in order]
    magnitudes = [abs(W2[j]) for j in order]
    assert magnitudes == sorted(magnitudes, reverse=True)  # the most influential first
    xs, ys = np.linspace(*axes[0], 30), np.linspace(*axes[1], 30)
    gx, gy = np.meshgrid(xs, ys)
    for heatmap, j in zip(heatmaps, order, strict=True):  # each panel is its own unit's activation
        expected = np.tanh(params["W1"][j, 0] * gx + params["W1"][j, 1] * gy + params["b1"][j, 0])
        np.testing.assert_allclose(heatmap.z, expected, atol=1e-6)
    assert [bool(h.showscale) for h in heatmaps] == [True] + [False] * (len(heatmaps) - 1)
    lines = [t for t in fig.data if t.type == "scatter" and t.mode == "lines"]
    assert len(lines) == len(heatmaps)  # random weights: every unit has a line in the box
    for line, j in zip(lines, order, strict=True):
        assert line.line.color == ("#1a73e8" if W2[j] > 0 else "#e8710a")
    widths = [line.line.width for line in lines]
    assert widths == sorted(widths, reverse=True) and widths[0] == pytest.approx(6.0)


def test_hidden_units_figure_relu_range_and_a_dead_unit():
    params = units_params(3)
    params["W1"][1] = 0.0  # no line for this unit
    X, y = points()
    fig = hidden_units_figure(params, "relu", X, y, ((-2, 2), (-2, 2)), resolution=20)
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert len(heatmaps) == 3
    assert all(h.zmin == 0.0 and h.zmax == 1.0 for h in heatmaps)
    assert len([t for t in fig.data if t.type == "scatter" and t.mode == "lines"]) == 2
