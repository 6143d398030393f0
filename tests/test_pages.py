"""The Sweep, Compare runs, How it works and Your data pages, and the playground's presenter mode, through
Streamlit's AppTest (multipage: `switch_page`).

A fragment runs once per `.run()` in AppTest, so each `.run()` of a running Playground is one training
tick; tests that count ticks open the app with a fixed Animation speed. Scenes set the auto speed (a scene
is a complete set of settings), so scene tests tick until a status and never count steps per tick.
"""

import csv
import io
import re
import threading

import numpy as np
import pytest

import appkit.sweep
from appkit.build import build_data
from appkit.explain import forward_one
from appkit.runstate import DIVERGED, DONE, PAUSED, READY, RUNNING
from appkit.scenes import SCENES
from appkit.settings import BY_NAME, DEFAULTS, UPLOAD, Settings, to_query
from appkit.sweep import HIDDEN_CHOICES, FinishedSweeps
from appkit.tick_share import UPDATES_PER_TICK
from tests.support.apptest import (
    COMPARE,
    HOW,
    PLAYGROUND,
    SWEEP,
    YOUR_DATA,
    array,
    button,
    by_label,
    click,
    click_chart_point,
    go,
    landed,
    ok,
    open_app,
    plotly_charts,
    run_of,
    session_of,
    sidebar_widget,
    status,
    texts,
    tick_until,
)
from twolayer.data import load_csv, make_dataset, to_csv
from twolayer.network import predict_proba

# --- Sweep --------------------------------------------------------------------------------------


def run_sweep(at, rates, hidden, iterations: int = 200, seeds: int = 1):
    by_label(at.multiselect, "Learning rates").set_value(rates)
    by_label(at.multiselect, "Hidden units").set_value(hidden)
    by_label(at.select_slider, "Iterations").set_value(iterations)
    by_label(at.number_input, "Seeds per cell").set_value(seeds)
    return click(at, label="Run sweep")


def test_the_sweep_page_trains_its_default_grid_ahead_and_the_click_gets_it(monkeypatch):
    """appkit.sweep.warm_up: opening the page starts the default grid of the playground's settings on a thread of
    its own; Run sweep with the form's defaults then gets that sweep, not trained again. (Small data: quick.)"""
    monkeypatch.setattr(appkit.sweep, "WARM_UP", True)
    monkeypatch.setattr(appkit.sweep, "finished", FinishedSweeps())
    # (pages/sweep.py imports `finished` from appkit.sweep at each run of the page: it gets this one)
    at = open_app({"n": "100", "dseed": "3"}, page=SWEEP)
    (thread,) = [t for t in threading.enumerate() if t.name == "sweep-warm-up"]
    thread.join(60)
    assert len(appkit.sweep.finished) == 1
    calls = []
    original = appkit.sweep.train_many
    monkeypatch.setattr(appkit.sweep, "train_many", lambda *a, **k: calls.append(1) or original(*a, **k))
    builders = {name: getattr(appkit.sweep, name) for name in ("heatmap_figure", "boundaries_figure", "curves_figure")}
    for name in builders:  # the warm-up's thread built the charts too
        monkeypatch.setattr(appkit.sweep, name, lambda *a, name=name, **k: calls.append(name))
    click(at, label="Run sweep")
    for name, builder in builders.items():
        monkeypatch.setattr(appkit.sweep, name, builder)
    assert calls == [] and session_of(at).sweep[0].reused
    assert "The same sweep ran before on this server: its results were kept, not trained again." in texts(at.caption)
    again = open_app({"n": "100", "dseed": "3"}, page=SWEEP)  # kept: no second warm-up
    assert not [t for t in threading.enumerate() if t.name == "sweep-warm-up"] and not again.exception


def heatmap_cells(at) -> dict[tuple[float, int], str]:
    """Cell (lr, hidden) -> its text, over the heatmap's traces of cells (coloured, and grey if diverged)."""
    cells = {}
    for trace in plotly_charts(at)["sweep_heatmap"]["data"]:
        for (lr, hidden), text in zip(trace.get("customdata", []), trace.get("text", []), strict=True):
            cells[(lr, hidden)] = text
    return cells


def click_cell(at, lr: float, hidden: int):
    """A click on the heatmap's cell (lr, hidden); then the app has switched to the Playground."""
    traces = plotly_charts(at)["sweep_heatmap"]["data"]
    curve = next(n for n, t in enumerate(traces) if [lr, hidden] in t.get("customdata", []))
    click_chart_point(at, "sweep_heatmap", curve, traces[curve]["customdata"].index([lr, hidden]))
    assert button(at, "reset") is not None  # the Playground is shown
    return landed(at, PLAYGROUND)


def test_sweep_page_before_running():
    at = open_app(page=SWEEP)
    assert texts(at.info) == ["Choose the values and press Run sweep."]
    assert texts(at.caption)[0].startswith("On the playground's data (moons, noise 0.2, 500 samples, test share 0)")
    assert by_label(at.multiselect, "Learning rates").value == [0.01, 0.1, 0.3, 1.0, 3.0]
    assert by_label(at.multiselect, "Hidden units").value == [1, 2, 5, 10, 20]
    assert by_label(at.select_slider, "Iterations").value == 2000
    (preview,) = plotly_charts(at).values()  # the default grid, every cell to come
    assert set(plotly_charts(at)) == {"sweep_preview"}
    trained, pending = preview["data"]
    assert trained["x"] == [] and pending["text"] == ["…"] * 25 and "customdata" not in pending
    assert sorted(zip(pending["x"], pending["y"], strict=True)) == sorted(
        (str(h), f"{lr:g}") for h in [1, 2, 5, 10, 20] for lr in [0.01, 0.1, 0.3, 1.0, 3.0]
    )


def test_a_link_to_the_sweep_uses_its_query_on_the_first_visit():
    at = open_app({"data": "circles"}, page=SWEEP)  # the session's first page is the sweep
    assert session_of(at).settings == Settings(dataset="circles")
    assert texts(at.caption)[0].startswith("On the playground's data (circles, noise 0.2, 500 samples")
    run_sweep(at, [0.3], [5], 100)
    _, data, used, _ = session_of(at).sweep
    assert used.dataset == "circles"
    np.testing.assert_array_equal(data[0], build_data(Settings(dataset="circles"))[0])


def test_a_small_sweep_shows_its_grid_and_the_metric_switches():
    at = run_sweep(open_app(page=SWEEP), [1.0, 0.1], [8, 2], 200)  # unsorted on purpose
    caption = next(c for c in texts(at.caption) if "networks" in c)
    assert re.fullmatch(r"4 networks × 200 iterations in \d+\.\d s\.", caption), caption
    assert set(plotly_charts(at)) == {"sweep_heatmap", "sweep_boundaries", "sweep_curves"}
    sweep, _, used, seconds = session_of(at).sweep
    assert (sweep.learning_rates, sweep.hidden_sizes, sweep.iterations) == ([0.1, 1.0], [2, 8], 200)
    assert used == DEFAULTS and seconds >= 0
    cells = heatmap_cells(at)
    assert cells == {key: f"{sweep.value('train cost', *key):.3f}" for key in [(0.1, 2), (0.1, 8), (1.0, 2), (1.0, 8)]}
    heatmap = plotly_charts(at)["sweep_heatmap"]
    assert len(heatmap["data"]) == 1  # the playground's (0.3, 5) is not in the grid: no outlined square
    assert heatmap["data"][0]["marker"]["colorbar"]["title"]["text"] == "train cost"
    boundaries = plotly_charts(at)["sweep_boundaries"]
    assert len([t for t in boundaries["data"] if t["type"] == "heatmap"]) == 4
    assert len(plotly_charts(at)["sweep_curves"]["data"]) == 4

    metric = at.radio(key="sweep_metric")  # without a test set only the train metrics are offered
    assert metric.options == ["train cost", "train accuracy"] and metric.value == "train cost"
    ok(metric.set_value("train accuracy").run())
    heatmap = plotly_charts(at)["sweep_heatmap"]
    assert heatmap["data"][0]["marker"]["colorbar"]["title"]["text"] == "train accuracy"
    assert all(text.endswith("%") for text in heatmap["data"][0]["text"])
    assert heatmap_cells(at)[(1.0, 8)] == f"{sweep.value('train accuracy', 1.0, 8):.0%}"
    assert session_of(at).sweep[0] is sweep  # switching the metric does not train again


def test_sweep_on_the_playgrounds_data_marks_its_setting():
    at = run_sweep(open_app({"test": "0.3", "noise": "0.3"}, page=SWEEP), [0.3, 1.0], [5], 200, seeds=2)
    assert texts(at.caption)[0].startswith("On the playground's data (moons, noise 0.3, 500 samples, test share 0.3)")
    assert any(c.startswith("4 networks × 200 iterations") for c in texts(at.caption))  # 2 cells x 2 seeds
    _, data, used, _ = session_of(at).sweep
    assert used == Settings(test_share=0.3, noise=0.3)
    assert data[2].shape[1] == 150  # the test set: 30 % of 500
    assert at.radio(key="sweep_metric").options == ["test cost", "test accuracy", "train cost", "train accuracy"]
    heatmap = plotly_charts(at)["sweep_heatmap"]
    assert len(heatmap["data"]) == 2  # the outlined square on the playground's (0.3, 5)
    assert (heatmap["data"][1]["x"], heatmap["data"][1]["y"]) == (["5"], ["0.3"])


def test_sweep_needs_a_rate_and_a_hidden_size():
    at = run_sweep(open_app(page=SWEEP), [], [2])
    assert texts(at.error) == ["Pick at least one learning rate and one hidden size."]
    assert session_of(at).sweep is None and set(plotly_charts(at)) == {"sweep_preview"}


def test_a_sweep_trains_with_the_playgrounds_l1_batch_size_and_features():
    from dataclasses import replace

    from appkit.build import build_trainer

    at = run_sweep(open_app({"l1": "0.01", "batch": "32", "feat": "x1,x2,x1*x2"}, page=SWEEP), [0.3], [3], 100)
    sweep, data, used, _ = session_of(at).sweep
    assert (used.l1, used.batch_size, used.features) == (0.01, 32, ("x1", "x2", "x1*x2"))
    assert "L1 0.01, batches of 32, inputs x1, x2, x1*x2)" in texts(at.caption)[0]
    trainer = build_trainer(replace(used, learning_rate=0.3, hidden_size=3, init_seed=0), data)
    trainer.train(100)
    np.testing.assert_array_equal(sweep.results[(0.3, 3, 0)].costs, trainer.history["cost"])


def test_a_sweep_over_the_budget_is_refused_saying_what_to_reduce_and_keeps_the_results(monkeypatch):
    import appkit.sweep

    monkeypatch.setattr(appkit.sweep, "measured_speed", lambda activation: appkit.sweep.Speed(1e-4, 3e-8))
    at = run_sweep(open_app({"n": "5000"}, page=SWEEP), [0.3], [2], 100)
    before = session_of(at).sweep
    everything = list(BY_NAME["learning_rate"].choices)
    at = run_sweep(at, everything, list(HIDDEN_CHOICES), 50_000, seeds=5)
    (message,) = texts(at.error)
    assert re.match(r"This sweep needs about [\d.]+ min of computing, more than the 2\.0 min a sweep may", message)
    assert "To fit, try" in message and "50 and 64 hidden units" in message and "1 seed (not 5)" in message
    assert session_of(at).sweep is before and "sweep_heatmap" in plotly_charts(at)  # nothing lost


def test_a_long_sweep_asks_first_and_runs_once_allowed(monkeypatch):
    import appkit.sweep

    slow = appkit.sweep.Speed(0.06, 0.0)  # 60 ms a step: 2 stacks x 200 steps "need" 24 s
    monkeypatch.setattr(appkit.sweep, "measured_speed", lambda activation: slow)
    at = run_sweep(open_app(page=SWEEP), [0.3, 1.0], [2, 3], 200)
    (message,) = texts(at.warning)
    assert message.startswith("This sweep needs about 24 s of computing") and "Allow a long sweep" in message
    assert session_of(at).sweep is None
    by_label(at.checkbox, "Allow a long sweep (up to 2.0 min)").check()
    at = click(at, label="Run sweep")
    assert not at.warning and session_of(at).sweep[0].iterations == 200
    assert set(plotly_charts(at)) == {"sweep_heatmap", "sweep_boundaries", "sweep_curves"}  # no partial maps left


def test_the_default_sweep_never_asks():
    """The limit keeps the default sweep instant: its estimate by this machine's measured speed is far below."""
    from appkit.sweep import CONFIRM_SECONDS, estimate_seconds, measured_speed, plan_stacks

    m = build_data(DEFAULTS)[0].shape[1]
    stacks = plan_stacks([0.01, 0.1, 0.3, 1.0, 3.0], [1, 2, 5, 10, 20], [0], m)
    assert estimate_seconds(stacks, m, 2000, measured_speed("tanh")) < CONFIRM_SECONDS / 2


def test_a_sweep_cell_opens_the_playground_trains_it_and_says_what_changed():
    at = run_sweep(open_app({"speed": "50"}, page=SWEEP), [0.1, 1.0], [2, 8], 200)
    sweep = session_of(at).sweep[0]
    click_cell(at, 1.0, 8)
    cell = Settings(learning_rate=1.0, hidden_size=8, iterations=200, speed=50)
    run = run_of(at)
    assert session_of(at).settings == run.settings == cell
    assert run.status == RUNNING and run.iteration == UPDATES_PER_TICK * 50  # trained at once: a Playground tick
    assert texts(at.info) == ["From the sweep: lr 0.3 → 1, hidden 5 → 8, iters 5000 → 200."]
    assert sidebar_widget(at, "Learning rate").value == 1.0 and sidebar_widget(at, "Hidden units").value == 8
    assert sidebar_widget(at, "Iterations").value == 200
    assert at.query_params == {"lr": "1", "hidden": "8", "iters": "200", "speed": "50"}
    tick_until(at, DONE)
    assert run.iteration == 200
    assert texts(at.info) == ["From the sweep: lr 0.3 → 1, hidden 5 → 8, iters 5000 → 200."]  # until a change
    np.testing.assert_array_equal(run.trainer.history["cost"], sweep.results[(1.0, 8, 0)].costs)  # the same run


def test_a_diverging_cell_is_grey_and_opens_a_run_that_diverges():
    at = run_sweep(open_app({"speed": "50"}, page=SWEEP), [0.3, 10.0], [2, 5], 200)
    cells = heatmap_cells(at)
    assert cells[(10.0, 5)] == "diverged" and cells[(0.3, 5)] != "diverged"
    assert "Grey cells diverged" in texts(at.caption)[-1]
    click_cell(at, 10.0, 5)
    assert session_of(at).settings == Settings(learning_rate=10.0, iterations=200, speed=50)
    tick_until(at, DIVERGED)
    assert "diverged" in texts(at.error)[0] and status(at).startswith("Stopped at iteration")


def run_batch_sweep(at, rates, batches, iterations: int = 200):
    by_label(at.radio, "Across").set_value("Batch size")
    by_label(at.multiselect, "Batch sizes").set_value(batches)
    by_label(at.multiselect, "Learning rates").set_value(rates)
    by_label(at.select_slider, "Iterations").set_value(iterations)
    return click(at, label="Run sweep")


def test_the_sweep_is_across_hidden_units_unless_batch_size_is_chosen():
    at = open_app(page=SWEEP)
    assert by_label(at.radio, "Across").value == "Hidden units"
    batches = by_label(at.multiselect, "Batch sizes")
    assert batches.options == ["full", "1", "2", "4", "8", "16", "32", "64", "128", "256"]  # 500 samples
    at = run_sweep(at, [0.3], [2, 5], 100)  # the batch sizes chosen are not used
    sweep = session_of(at).sweep[0]
    assert sweep.batch_sizes is None and sweep.columns == [2, 5] and set(sweep.results) == {(0.3, 2, 0), (0.3, 5, 0)}
    assert plotly_charts(at)["sweep_heatmap"]["layout"]["xaxis"]["title"]["text"] == "hidden units"


def test_a_batch_size_sweep_shows_batch_columns_and_a_cell_opens_its_batch_size():
    at = run_batch_sweep(open_app({"speed": "50", "hidden": "3"}, page=SWEEP), [1.0, 0.3], [0, 16, 4], 200)
    sweep, data, used, _ = session_of(at).sweep
    assert (sweep.learning_rates, sweep.hidden_sizes, sweep.columns) == ([0.3, 1.0], [3], [4, 16, 0])  # full last
    heatmap = plotly_charts(at)["sweep_heatmap"]["layout"]["xaxis"]
    assert heatmap["title"]["text"] == "batch size" and heatmap["categoryarray"] == ["4", "16", "full"]
    assert set(heatmap_cells(at)) == {(lr, b) for lr in (0.3, 1.0) for b in (4, 16, 0)}
    assert any(
        re.fullmatch(r"6 networks of 3 hidden units × 200 iterations in \d+\.\d s\.", c) for c in texts(at.caption)
    )
    assert any("batch size across" in t for t in texts(at.markdown))
    assert any("one panel per batch size" in t for t in texts(at.markdown))
    click_cell(at, 1.0, 16)
    cell = Settings(learning_rate=1.0, hidden_size=3, batch_size=16, iterations=200, speed=50)
    run = run_of(at)
    assert session_of(at).settings == run.settings == cell
    note = texts(at.info)[0]
    assert note.startswith("From the sweep: ") and "batch full → 16" in note and "hidden" not in note
    assert sidebar_widget(at, "Batch size").value == 16
    tick_until(at, DONE)
    np.testing.assert_array_equal(run.trainer.history["cost"], sweep.results[(1.0, 16, 0)].costs)  # the same run


def test_a_batch_size_sweep_refuses_batches_above_the_training_points():
    at = run_batch_sweep(open_app({"n": "100", "test": "0.5"}, page=SWEEP), [0.3], [0, 32, 64], 100)
    assert texts(at.error) == [
        "Batches of 64 are more than the 50 training points: leave them out (full is every point)."
    ]
    assert session_of(at).sweep is None
    at = run_batch_sweep(at, [0.3], [], 100)
    assert texts(at.error) == ["Pick at least one learning rate and one batch size."]
    at = run_batch_sweep(at, [0.3], [0, 32], 100)
    assert not at.error and session_of(at).sweep[0].columns == [32, 0]


# --- Compare runs -------------------------------------------------------------------------------


def two_runs(query: dict[str, str]):
    """Step, Reset, Step: run 1 is recorded, run 2 is the current one."""
    at = click(open_app(query), "step")
    first = run_of(at)
    assert first.status == PAUSED and first.iteration > 0
    click(click(at, "reset"), "step")
    assert run_of(at).serial == 2 and run_of(at).iteration == first.iteration
    return at


def test_compare_without_runs():
    at = open_app(page=COMPARE)
    assert texts(at.info) == ["No runs yet: train something in the Playground and come back."]
    assert not at.get("plotly_chart") and not at.dataframe


def test_compare_lists_both_runs_and_overlays_them(downloads):
    at = go(two_runs({"test": "0.2", "iters": "1000", "speed": "100"}), COMPARE)
    table = at.dataframe[0].value
    assert list(table["run"]) == [1, 2]
    assert list(table["iteration"]) == [100, 100] and list(table["status"]) == ["paused", "paused"]
    assert set(table["test_share"]) == {0.2} and list(table["learning rates"]) == ["0.3", "0.3"]

    content, mimetype, filename = downloads.fetch(at, label="Table (CSV)")
    assert (mimetype, filename) == ("text/csv", "twolayer-runs.csv")
    rows = list(csv.reader(io.StringIO(content)))
    assert len(rows) == 3 and rows[0][:3] == ["run", "dataset", "noise"]
    assert [r[0] for r in rows[1:]] == ["1", "2"]
    column = rows[0].index("train cost")
    assert [float(r[column]) for r in rows[1:]] == pytest.approx(list(table["train cost"]))

    chosen = at.multiselect[0]
    assert len(chosen.value) == 2 and len(chosen.options) == 2
    charts = plotly_charts(at)
    assert set(charts) == {"compare_curves", "compare_boundary_1", "compare_boundary_2"}
    names = [t["name"] for t in charts["compare_curves"]["data"]]
    assert names == ["#1 train", "#1 test", "#2 train", "#2 test"]
    for n in (1, 2):
        boundary = charts[f"compare_boundary_{n}"]
        assert boundary["layout"]["title"]["text"] == f"#{n}"
        assert any(t["type"] == "heatmap" for t in boundary["data"])

    ok(chosen.set_value(chosen.value[:1]).run())
    assert "Pick at least two runs." in texts(at.caption) and not plotly_charts(at)


def test_compare_draws_runs_on_other_input_features():
    """A run on x1, x2², x1·x2 and mini-batches: its boundary is P over the plane of its own three features."""
    at = go(two_runs({"feat": "x1,x2^2,x1*x2", "batch": "64", "speed": "100"}), COMPARE)
    table = at.dataframe[0].value
    assert list(table["features"]) == ["x1, x2^2, x1*x2"] * 2 and list(table["batch_size"]) == ["64", "64"]
    (heatmap,) = [t for t in plotly_charts(at)["compare_boundary_2"]["data"] if t["type"] == "heatmap"]
    gx, gy = np.meshgrid(array(heatmap["x"]), array(heatmap["y"]))
    X = np.vstack([gx.ravel(), gy.ravel()])
    F = np.vstack([X[0], X[1] ** 2, X[0] * X[1]])  # the three features, written out
    expected = predict_proba(F, run_of(at).trainer.params).reshape(gx.shape)
    np.testing.assert_allclose(array(heatmap["z"]).reshape(gx.shape), expected, rtol=0, atol=1e-6)  # float32


def test_compare_picks_any_two_of_three_runs():
    at = two_runs({"speed": "100"})
    ok(sidebar_widget(at, "Hidden units").set_value(3).run())  # a new network: run 2 is recorded
    click(at, "step")
    go(at, COMPARE)
    assert list(at.dataframe[0].value["run"]) == [1, 2, 3]
    chosen = at.multiselect[0]
    assert len(chosen.options) == 3 and chosen.value == chosen.options[1:]  # the last two by default
    assert chosen.value[-1].startswith("#3: moons, α 0.3, 3 hidden")
    ok(chosen.set_value([chosen.options[0], chosen.options[2]]).run())
    assert set(plotly_charts(at)) == {"compare_curves", "compare_boundary_1", "compare_boundary_3"}


def test_a_record_keeps_thinned_exact_curves_not_the_trainers_buffers():
    from appkit import records
    from appkit.session import Session

    s = Session(Settings(samples=100, test_share=0.3, iterations=5000), probe=False)
    run = s.current_run()
    run.step(4999)
    (record,) = s.all_records()
    history = run.trainer.history
    for name in ("cost", "test_cost"):
        values, steps = record[f"{name}s"], record[f"{name}_iterations"]
        assert len(values) == records.MAX_CURVE_POINTS and steps[0] == 0 and steps[-1] == 4998  # the last kept
        np.testing.assert_array_equal(values, history[name][steps])  # exact at the points kept
        assert not np.shares_memory(values, history[name])  # a view would keep the whole buffer alive
    assert record["data"] is run.data  # the run's own arrays, not a copy


def test_compare_draws_a_records_thinned_curves_at_their_iterations():
    at = go(two_runs({"test": "0.2", "iters": "1000", "speed": "100"}), COMPARE)
    first = session_of(at).all_records()[0]
    train = plotly_charts(at)["compare_curves"]["data"][0]
    assert train["name"] == "#1 train"
    np.testing.assert_array_equal(array(train["x"]), first["cost_iterations"])
    np.testing.assert_array_equal(array(train["y"]), first["costs"])


# --- How it works -------------------------------------------------------------------------------


def how_it_works(query: dict[str, str] | None = None):
    return go(click(open_app({"speed": "100", **(query or {})}), "step"), HOW)


def test_how_it_works_shows_four_equations_beside_their_code():
    at = how_it_works()
    assert texts(at.caption)[0] == (
        "Everything below uses the playground's network at iteration 100 (5 hidden units, tanh)."
    )
    latex = texts(at.latex)
    assert len(latex) == 5  # the four equations, then the point's output
    for block, symbol in zip(latex[:4], [r"\tanh", r"\log", "dZ^{[2]}", r"\theta :="], strict=True):
        assert symbol in block
    code = texts(at.code)
    assert len(code) == 4
    for block, name in zip(code, ["forward", "cross_entropy", "backward", "update"], strict=True):
        assert block.startswith(f"def {name}(")
    assert all(c.language == "python" for c in at.code)


def point_values(at) -> dict:
    table = at.dataframe[0].value
    return {"Z1": table["Z1"].to_numpy(), "A1": table["A1"].to_numpy(), "W2": table["W2"].to_numpy()}


def test_point_inspector_follows_the_chosen_point():
    at = how_it_works()
    run = run_of(at)
    X, Y = run.data[0], run.data[1]
    params = run.trainer.params
    index = at.number_input(key="point_index")
    assert index.value == 0 and index.max == X.shape[1] - 1
    before = point_values(at)
    np.testing.assert_allclose(before["Z1"], forward_one(X[:, 0], params, "tanh")["Z1"])

    ok(index.set_value(7).run())
    x, values = X[:, 7], forward_one(X[:, 7], params, "tanh")
    assert f"x = ({x[0]:.3f}, {x[1]:.3f}), label {int(Y[0, 7])}" in texts(at.markdown)
    after = point_values(at)
    assert not np.allclose(after["Z1"], before["Z1"])
    np.testing.assert_allclose(after["Z1"], values["Z1"], rtol=1e-12)
    np.testing.assert_allclose(after["A1"], values["A1"], rtol=1e-12)
    np.testing.assert_allclose(after["W2"], params["W2"][0])
    assert f"= {values['Z2'][0]:.4f}" in at.latex[4].value and f"= {values['A2'][0]:.4f}" in at.latex[4].value


def test_gradient_check_on_the_live_network():
    at = how_it_works()
    assert len(at.dataframe) == 1
    click(at, "gradcheck")
    table = at.dataframe[1].value
    assert list(table["parameter"]) == ["W1", "b1", "W2", "b2"]
    errors = [float(e) for e in table["relative error"]]
    assert all(0 <= e < 1e-7 for e in errors), errors
    assert list(table["ok"]) == [True] * 4


def test_how_it_works_follows_the_playgrounds_input_features():
    """Three features: the point goes in as (x1, x2², x1·x2), the gradient check runs on them, each unit's
    panel shows its curve."""
    at = how_it_works({"feat": "x1,x2^2,x1*x2"})
    params, (X, _, _, _) = run_of(at).trainer.params, run_of(at).data
    x1, x2 = X[:, 0]
    assert f"Inputs: x1 = {x1:.3f}, x2^2 = {x2 * x2:.3f}, x1*x2 = {x1 * x2:.3f}" in texts(at.caption)
    Z1 = params["W1"] @ np.array([x1, x2 * x2, x1 * x2]) + params["b1"][:, 0]  # the features written out
    np.testing.assert_allclose(at.dataframe[0].value["Z1"], Z1, rtol=1e-12)
    click(at, "gradcheck")
    errors = [float(e) for e in at.dataframe[1].value["relative error"]]
    assert len(errors) == 4 and all(0 <= e < 1e-7 for e in errors), errors
    units = plotly_charts(at)["units"]["data"]
    assert [t["type"] for t in units].count("contour") == 5  # one curve per hidden unit


def test_the_gradient_check_of_a_big_network_uses_fewer_points_and_still_passes():
    """64 hidden units: 257 parameters x 64 units x 500 points took 0.4 s of a core, one call Streamlit cannot
    stop; the check keeps parameters x units x points near 2M (~0.1 s) with fewer points."""
    at = how_it_works({"hidden": "64"})
    click(at, "gradcheck")
    assert "On the first 121 training points." in texts(at.caption)  # 2,000,000 // (257 x 64)
    errors = [float(e) for e in at.dataframe[1].value["relative error"]]
    assert all(0 <= e < 1e-7 for e in errors), errors


def test_how_it_works_as_the_first_page_uses_a_fresh_network():
    at = open_app(page=HOW)
    assert "at iteration 0 (5 hidden units, tanh)" in texts(at.caption)[0]
    assert run_of(at).status == READY and run_of(at).serial == 1
    units = plotly_charts(at)["units"]
    assert len([t for t in units["data"] if t["type"] == "heatmap"]) == 5


# --- Your data ----------------------------------------------------------------------------------

GOOD = to_csv(*make_dataset("moons", 120, 0.2, random_state=3)).encode()
SCRIPT_LABEL = b"x1,x2,label\n" + b"0.1,0.2,0\n" * 5 + b"0.3,0.4,<script>alert(1)</script>\n" + b"0.5,0.6,1\n" * 5
JUNK = bytes(range(256)) * 4
ONE_OF_A_CLASS = b"x1,x2,label\n" + b"".join(f"{i / 10},{i / 7},0\n".encode() for i in range(11)) + b"0.5,0.5,1\n"


def your_data(query: dict[str, str] | None = None):
    """A new session on the Your data page, from the Playground. Since the deep-link change AppTest draws the
    page blank on the switch right after a session's first run (see test_hostile_input); a second switch draws it."""
    at = go(open_app(query), YOUR_DATA)
    return at if at.get("file_uploader") else go(at, YOUR_DATA)


def upload(at, name: str, content: bytes):
    return ok(at.file_uploader(key="uploader").set_value((name, content, "text/csv")).run())


def train_on_upload(at):
    """Your data's "Train on it in the playground": the app switches to the Playground."""
    click(at, label="Train on it in the playground")
    assert button(at, "reset") is not None  # the Playground is shown
    return landed(at, PLAYGROUND)


def test_your_data_before_an_upload(downloads):
    at = open_app(page=YOUR_DATA)
    assert texts(at.info) == ["No data uploaded yet: the playground uses its generated datasets."]
    assert at.file_uploader(key="uploader").allowed_type == [".csv", ".txt"]
    content, mimetype, filename = downloads.fetch(at, label="Example file (200 points of moons)")
    assert (mimetype, filename) == ("text/csv", "example-moons.csv")
    X, y = load_csv(content)
    assert X.shape == (200, 2) and set(y) == {0, 1}


def test_upload_then_train_on_it_and_compare_names_the_file():
    at = upload(your_data({"speed": "10"}), "my moons (1).csv", GOOD)
    assert texts(at.success) == ["Loaded 120 points."]
    assert texts(at.caption) == ["In use: mymoons1.csv: 120 points, 60 of class 0 and 60 of class 1."]
    X, y = load_csv(GOOD)
    stored = session_of(at).upload
    np.testing.assert_array_equal(stored.X, X)
    np.testing.assert_array_equal(stored.y, y)
    assert set(plotly_charts(at)) == {"preview"}

    train_on_upload(at)
    assert session_of(at).settings.dataset == UPLOAD
    dataset = sidebar_widget(at, "Dataset")
    assert dataset.value == UPLOAD and "Your data (mymoons1.csv)" in dataset.options
    assert sidebar_widget(at, "Noise").disabled and sidebar_widget(at, "Samples").disabled
    assert at.query_params == {"data": "upload", "speed": "10"}
    run = run_of(at)
    np.testing.assert_array_equal(run.data[0], build_data(Settings(dataset=UPLOAD), stored)[0])
    assert run.data[0].shape == (2, 120)
    click(at, "step")
    assert run_of(at).iteration == 10

    go(at, COMPARE)
    (row,) = at.dataframe[0].value.to_dict("records")
    assert row["dataset"] == "upload: mymoons1.csv" and row["samples"] == 120
    assert row["noise"] is None or np.isnan(row["noise"])  # no noise: the points are the file's


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("evil.csv", SCRIPT_LABEL, "Line 7, column label: '<script>alert(1)</script>' is not a number"),
        ("junk.csv", JUNK, "The file is not UTF-8 text (byte 0x80 at position 128)"),
        ("nul.csv", b"x1,x2,label\n" + bytes(range(128)) * 4, "The file contains NUL bytes"),
        ("short.csv", b"1,2,0\n3,4,1\n", "The file has 2 data row(s); at least 10 are needed."),
        ("latin.csv", "x1,x2,label\n1,2,é\n".encode("latin-1"), "The file is not UTF-8 text"),
    ],
    ids=["script-label", "binary", "nul-bytes", "too-short", "latin-1"],
)
def test_a_broken_upload_keeps_the_data_in_use(name, content, message):
    at = upload(your_data(), "good.csv", GOOD)
    good = session_of(at).upload
    upload(at, name, content)
    assert texts(at.error) == ["This file cannot be used; the data you had stays in use."]
    (shown,) = texts(at.text)
    assert shown.startswith(message), shown
    assert not any("<script" in m for m in texts(at.markdown))  # the file's text is never Markdown/HTML
    assert session_of(at).upload is good
    assert texts(at.caption) == ["In use: good.csv: 120 points, 60 of class 0 and 60 of class 1."]
    assert not at.success


def test_a_broken_first_upload_leaves_no_data():
    at = upload(your_data(), "junk.csv", JUNK)
    assert texts(at.error) == ["This file cannot be used; the data you had stays in use."]
    assert session_of(at).upload is None
    assert texts(at.info) == ["No data uploaded yet: the playground uses its generated datasets."]


def test_an_upload_that_cannot_be_split_says_so_and_keeps_the_run():
    """One class has a single row, and the test share is above 0: the file loads, but no train/test split
    can hold that class on both sides."""
    at = click(open_app({"test": "0.2", "speed": "10"}), "step")
    before = run_of(at)
    upload(go(at, YOUR_DATA), "one.csv", ONE_OF_A_CLASS)
    assert texts(at.success) == ["Loaded 12 points."]
    train_on_upload(at)
    (error,) = texts(at.error)
    assert error.startswith("These settings cannot be used: ") and "class 1 has 1" in error
    assert error.endswith("The previous settings stay.")
    assert run_of(at) is before and before.iteration == 10 and session_of(at).settings.dataset == "moons"
    assert sidebar_widget(at, "Dataset").value == "moons" and at.query_params == {"test": "0.2", "speed": "10"}
    click(at, "step")  # and the app keeps working
    assert before.iteration == 20


def test_forget_this_data_goes_back_to_moons():
    at = train_on_upload(upload(your_data(), "good.csv", GOOD))
    go(at, YOUR_DATA)
    ok(at.file_uploader(key="uploader").clear().run())
    assert texts(at.caption)[0].startswith("In use: good.csv")  # removing the file keeps the data
    click(at, label="Forget this data")
    assert session_of(at).upload is None and session_of(at).settings.dataset == "moons"
    go(at, PLAYGROUND)
    dataset = sidebar_widget(at, "Dataset")
    assert dataset.value == "moons" and not any(o.startswith("Your data") for o in dataset.options)


# --- Presenter mode -----------------------------------------------------------------------------

SCENE_KEYS = [f"scene-{name}" for name in SCENES]


def scene_buttons(at) -> list[str]:
    return [b.key for b in at.button if b.key and b.key.startswith("scene-")]


def test_a_scene_link_opens_presenter_mode_and_trains_at_once():
    at = open_app({"present": "1", "scene": "overfit"})
    assert scene_buttons(at) == SCENE_KEYS
    assert [button(at, k).label for k in SCENE_KEYS] == [s.title for s in SCENES.values()]
    overfit = SCENES["overfit"].settings
    assert session_of(at).settings == overfit and run_of(at).settings == overfit
    assert run_of(at).status == RUNNING and run_of(at).iteration > 0 and run_of(at).serial == 1
    assert sidebar_widget(at, "Hidden units").value == 64 and sidebar_widget(at, "Samples").value == 50
    assert sidebar_widget(at, "Iterations").value == 20_000
    assert at.sidebar.toggle(key="w_present").value is True
    assert at.query_params == to_query(overfit) | {"present": "1"}  # scene= becomes the settings it stands for
    assert status(at) == "Training… (learning rate 1)"
    assert not at.warning


def test_the_speakers_demo_tutorial_too_high_and_back():
    at = open_app({"present": "1"})
    click(at, "scene-tutorial")
    assert run_of(at).status == RUNNING and run_of(at).settings == SCENES["tutorial"].settings
    tick_until(at, DONE)
    assert run_of(at).iteration == 5000 and status(at).startswith("Done: 5,000 iterations")
    tutorial = run_of(at)

    click(at, "scene-too-high")  # after Done: a fresh run of the scene, trained at once
    tick_until(at, DIVERGED)
    high = run_of(at)
    assert high is not tutorial and high.settings == SCENES["too-high"].settings and high.iteration > 0
    assert sidebar_widget(at, "Learning rate").value == 10.0
    (error,) = texts(at.error)
    assert "diverged" in error and status(at).startswith("Stopped at iteration")
    assert at.query_params == {"lr": "10", "present": "1"}

    click(at, "scene-tutorial")  # after a divergence: trains again
    again = run_of(at)
    assert again is not high and again.status == RUNNING and not at.error
    assert sidebar_widget(at, "Learning rate").value == 0.3 and at.query_params == {"present": "1"}
    tick_until(at, DONE)
    assert again.iteration == 5000
    np.testing.assert_array_equal(again.trainer.history["cost"], tutorial.trainer.history["cost"])
    assert [r["run"] for r in session_of(at).all_records()] == [1, 2, 3]
    assert [r["status"] for r in session_of(at).all_records()] == [DONE, DIVERGED, DONE]


def test_a_scene_while_training_replaces_the_run():
    at = click(open_app({"present": "1"}), "scene-underfit")
    first = run_of(at)
    assert first.status == RUNNING and first.settings.hidden_size == 1
    ok(at.run())
    click(at, "scene-noisy")
    run = run_of(at)
    assert run is not first and run.status == RUNNING and run.settings == SCENES["noisy"].settings
    assert first.status == PAUSED and session_of(at).records[first.serial]["iteration"] == first.iteration


def test_presenter_toggle_shows_and_hides_the_scenes():
    at = open_app()
    assert scene_buttons(at) == [] and "present" not in at.query_params
    assert "#### Watch a two-layer network learn" in texts(at.markdown)
    ok(at.sidebar.toggle(key="w_present").set_value(True).run())
    assert scene_buttons(at) == SCENE_KEYS and at.query_params == {"present": "1"}
    assert status(at) == "Ready."
    ok(at.sidebar.toggle(key="w_present").set_value(False).run())
    assert scene_buttons(at) == [] and "present" not in at.query_params
    assert status(at).startswith("Ready: press Train")


def test_presenter_mode_survives_other_pages():
    at = open_app({"present": "1"})
    go(at, HOW)
    go(at, PLAYGROUND)
    assert scene_buttons(at) == SCENE_KEYS
    assert at.query_params.get("present") == "1"


def test_an_unknown_scene_is_reported():
    at = open_app({"scene": "<b>nope</b>"})
    assert any("Unknown scene `'<b>nope</b>'`" in w for w in texts(at.warning))
    assert session_of(at).settings == DEFAULTS and run_of(at).status == READY
