"""The Playground page through Streamlit's AppTest: every control (from the settings table), Train / Pause /
Resume / Step / +1 / Reset, a run to Done and "Train N more", learning rates that ran, run numbers, URLs
(hostile ones too), divergence, downloads, the two live charts and the server's config.

A fragment runs once per `.run()` (AppTest does not simulate its timer), so each `.run()` of a running app
is one training tick. Every test that counts steps opens the app with a fixed Animation speed: the auto
speed sizes ticks from the wall clock.
"""

import contextlib
import io
import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from appkit.build import build_data
from appkit.exports import load_params_json
from appkit.run_view import LIVE_CURVE_POINTS
from appkit.runstate import DIVERGED, DONE, PAUSED, READY, RUNNING
from appkit.settings import DEFAULTS, FIELDS, UPLOAD, Field, Settings, describe_change, short_label, url_text
from appkit.stage import flat_params
from appkit.tick_share import UPDATES_PER_TICK
from tests.support.apptest import (
    APP,
    COMPARE,
    array,
    button,
    click,
    enabled,
    go,
    live_charts,
    metric,
    metrics,
    ok,
    open_app,
    run_of,
    session_of,
    sidebar_widget,
    stages,
    status,
    texts,
    tick_until,
    traces,
)
from twolayer import Trainer

SPEED = 200  # steps per chart update (and per Step) in the tests that count them (an Animation speed choice)
TICK = UPDATES_PER_TICK * SPEED  # steps per training tick: a tick trains UPDATES_PER_TICK updates' worth
FIXED = {"speed": str(SPEED)}
METRICS = ["Iteration (of 5,000)", "Train cost", "Test cost", "Train accuracy", "Test accuracy", "Steps / s"]


def uninterrupted(settings: Settings, steps: int) -> Trainer:
    """The run the playground should have made: a Trainer on the same data, trained `steps` in one call."""
    X, Y, X_test, Y_test = build_data(settings)
    s = settings
    trainer = Trainer(
        X, Y, s.hidden_size, s.learning_rate, activation=s.activation, init=s.init, l2=s.l2,
        random_state=s.init_seed, X_test=X_test, Y_test=Y_test,
    )  # fmt: skip
    trainer.train(steps)
    return trainer


def assert_same_training(run, trainer) -> None:
    assert run.iteration == trainer.iteration
    for name, value in trainer.params.items():
        np.testing.assert_array_equal(run.trainer.params[name], value, err_msg=name)
    assert run.trainer.history.keys() == trainer.history.keys()
    for key, values in trainer.history.items():
        np.testing.assert_array_equal(run.trainer.history[key], values, err_msg=key)


# --- first load ---------------------------------------------------------------------------------


def test_first_load_shows_the_tutorials_run_ready_to_train():
    at = open_app()
    labels = [w.label for w in at.sidebar if getattr(w, "label", None) not in (None, "Presenter mode", "Advanced")]
    assert labels == [f.label for f in FIELDS]  # one widget per field of the settings table, in its order
    for f in FIELDS:
        assert setting_shown(at, f) == f.default, f.label
    (advanced,) = [e for e in at.get("expander") if e.label == "Advanced"]
    inside = {getattr(w, "label", None) for w in advanced.children.values()}
    assert inside == {f.label for f in FIELDS if f.group == "Advanced"}
    run = run_of(at)
    assert run.settings == DEFAULTS and run.status == READY and run.serial == 1
    assert at.query_params == {}  # the defaults are not written into the URL
    labels = {b.key: b.label for b in at.button}
    assert labels == {
        "train": "Train",
        "step": "Step",
        "step_one": "+1",
        "reset": "Reset",
        "regenerate": "Regenerate",
        "clear_ghosts": "Clear ghosts",
    }
    assert enabled(at) == {"train": True, "step": True, "step_one": True, "reset": False}
    assert button(at, "clear_ghosts").disabled
    assert metrics(at) == list(zip(METRICS, ["0", "—", "—", "—", "—", "—"], strict=True))
    assert status(at).startswith("Ready: press Train")
    assert not at.warning and not at.error and not at.info
    assert not at.get("download_button")


# --- every control ------------------------------------------------------------------------------

START = replace(DEFAULTS, speed=SPEED)  # the settings every control test starts from


def setting_shown(at, f: Field):
    """The value of `f`'s sidebar widget as a setting (the feature pills hold a list)."""
    value = sidebar_widget(at, f.label).value
    return tuple(value) if f.kind is tuple else value


def other_value(f: Field, settings: Settings):
    """A value of field `f` other than the one in `settings`: the next choice, or one step up."""
    current = getattr(settings, f.name)
    if f.kind is tuple:  # the feature pills: one more feature
        added = next(c for c in f.choices if c not in current)
        return tuple(c for c in f.choices if c in current or c == added)
    if f.choices:
        choices = [c for c in f.choices if c != UPLOAD]  # uploaded data needs an upload: see test_pages
        return choices[(choices.index(current) + 1) % len(choices)]
    return f.kind(round(current + f.step, 10))


def effect(f: Field) -> str:
    """What changing `f` on a paused run with steps does, from what the settings say a run depends on."""
    changed = replace(START, **{f.name: other_value(f, START)})
    if changed.data_key() != START.data_key():
        return "New data"
    if changed.model_key() != START.model_key():
        return "New network"
    return "continues"


@pytest.mark.parametrize("f", FIELDS, ids=[f.name for f in FIELDS])
def test_every_control_changes_the_run_and_the_url(f):
    at = click(open_app(FIXED), "step")  # the old run has steps: a fresh one keeps its curve as a ghost
    before = run_of(at)
    assert before.status == PAUSED and before.iteration == SPEED
    value = other_value(f, START)
    shown = list(value) if f.kind is tuple else value  # pills hold a list
    ok(sidebar_widget(at, f.label).set_value(shown).run())
    new = replace(START, **{f.name: value})
    run = run_of(at)
    assert sidebar_widget(at, f.label).value == shown
    assert session_of(at).settings == new
    assert at.query_params == {"speed": str(SPEED)} | {f.url: url_text(value)}
    notes = texts(at.info)
    if effect(f) != "continues":
        assert run is not before and run.status == READY and run.iteration == 0 and run.settings == new
        assert run.serial == 2 and session_of(at).records[1]["iteration"] == SPEED
        assert notes == [f"{effect(f)} ({describe_change(START, new)}): the run starts afresh."]
        ((label, curve),) = session_of(at).ghosts
        assert label == f"#1 · {short_label(START, new)}"
        np.testing.assert_array_equal(curve, before.trainer.history["cost"])
        assert label in traces(live_charts(at)["cost_chart"]["figure"])
        assert not button(at, "clear_ghosts").disabled
    else:
        assert run is before and run.status == PAUSED and run.iteration == SPEED
        assert session_of(at).ghosts == []
    if f.name == "learning_rate":  # the new rate trains from the next step on; only then is it listed
        assert notes == [f"Learning rate {value:g} from iteration {SPEED} on."]
        assert run.lr_schedule == [(0, 0.3)] and run.trainer.learning_rate == value
        assert status(at) == f"Paused at iteration {SPEED} (learning rate 0.3)."
        click(at, "step_one")
        assert run.lr_schedule == [(0, 0.3), (SPEED, value)]
        assert status(at) == f"Paused at iteration {SPEED + 1} (learning rate 0.3 → {value:g})."
    elif f.name == "iterations":  # a new budget for the same run
        assert notes == [] and metrics(at)[0][0] == f"Iteration (of {value:,})" and run.target == value
    elif f.name == "speed":  # the steps of one update, and of Step
        assert notes == [] and button(at, "step").help == f"Train {value:,} steps: one chart update's worth"
        click(at, "step")
        assert run_of(at).iteration == SPEED + value
    elif f.name == "test_share":  # a test set: test cost curve, test points, test metrics
        assert "test cost" in traces(live_charts(at)["cost_chart"]["figure"])
        _, points = stages(at)["boundary"]  # the test points are sent with the new data
        assert len(points["tey"]) == run.data[3].shape[1] and len(points["te"]) == 2 * run.data[3].shape[1]
        click(at, "step")
        assert metric(at, "Test cost") != "—" and metric(at, "Test accuracy").endswith("%")
    query = dict(at.query_params)
    ok(at.run())  # the note stays until the next change, and so do the settings
    assert texts(at.info) == notes and session_of(at).settings == new and at.query_params == query


def test_a_url_with_every_setting_restores_them_all():
    changed = {f.name: other_value(f, START) for f in FIELDS}
    expected = Settings(**changed)
    query = {f.url: url_text(changed[f.name]) for f in FIELDS}
    at = open_app(query)
    assert not at.warning and run_of(at).settings == expected
    for f in FIELDS:
        assert setting_shown(at, f) == changed[f.name], f.label
    assert at.query_params == query


# --- Train, Pause, Resume, Step, +1, Reset ------------------------------------------------------


def test_train_pause_resume_step_and_reset():
    at = click(open_app(FIXED), "train")
    run = run_of(at)
    assert run.status == RUNNING and run.iteration == TICK  # Train's own script run is the first tick
    assert enabled(at) == {"pause": True, "step": False, "step_one": False, "reset": True}
    assert status(at) == "Training… (learning rate 0.3)"
    assert not at.get("download_button")  # no downloads of a moving target
    assert all(s.label != "Replay" for s in at.get("select_slider"))
    for tick in (2, 3):
        ok(at.run())
        assert run.iteration == tick * TICK and metric(at, "Iteration") == f"{tick * TICK:,}"
    assert run.rate > 0 and metric(at, "Steps / s") != "—"
    assert float(metric(at, "Train cost")) < 0.6 and metric(at, "Train accuracy").endswith("%")

    click(at, "pause")
    assert run.status == PAUSED and run.iteration == 3 * TICK
    assert enabled(at) == {"train": True, "step": True, "step_one": True, "reset": True}
    assert button(at, "train").label == "Resume"
    assert status(at) == f"Paused at iteration {3 * TICK:,} (learning rate 0.3)."
    ok(at.run())
    assert run.iteration == 3 * TICK  # paused: a rerun does not train

    click(at, "step")  # one update's worth
    assert run.status == PAUSED and run.iteration == 3 * TICK + SPEED
    click(at, "step_one")  # exactly one step
    assert run.status == PAUSED and run.iteration == 3 * TICK + SPEED + 1

    click(at, "train")  # Resume: its script run is a tick
    end = 4 * TICK + SPEED + 1
    assert run_of(at) is run and run.status == RUNNING and run.iteration == end
    assert_same_training(run, uninterrupted(START, end))  # ticks and steps, exactly one run

    click(at, "reset")
    new = run_of(at)
    assert new is not run and new.status == READY and new.iteration == 0 and new.settings == START
    assert new.serial == 2 and run.status == PAUSED  # the old run stopped with the reset
    assert enabled(at) == {"train": True, "step": True, "step_one": True, "reset": False}
    ((label, curve),) = session_of(at).ghosts
    assert label == "#1 · same settings" and len(curve) == end
    assert set(traces(live_charts(at)["cost_chart"]["figure"])) == {label, "train cost"}

    click(at, "clear_ghosts")
    assert session_of(at).ghosts == [] and set(traces(live_charts(at)["cost_chart"]["figure"])) == {"train cost"}
    assert button(at, "clear_ghosts").disabled


def test_step_before_train_leaves_the_run_paused():
    at = click(open_app(FIXED), "step_one")
    assert run_of(at).status == PAUSED and run_of(at).iteration == 1
    assert button(at, "train").label == "Resume"
    ok(at.run())
    assert run_of(at).iteration == 1


# --- Done, and Train N more ---------------------------------------------------------------------

SHORT = {"iters": "200", "speed": "50"}  # two ticks of 100 steps (two updates each)


def test_a_short_run_finishes_and_stops_ticking():
    at = click(open_app(SHORT), "train")
    assert run_of(at).status == RUNNING and run_of(at).iteration == 100
    ok(at.run())
    run = run_of(at)
    assert run.status == DONE and run.iteration == 200
    assert status(at).startswith("Done: 200 iterations in ") and status(at).endswith(" s (learning rate 0.3).")
    assert enabled(at) == {"more": True, "step": True, "step_one": True, "reset": True}
    assert button(at, "more").label == "Train 200 more"
    assert [b.label for b in at.get("download_button")] == ["Parameters (JSON)", "Cost history (CSV)", "Python script"]
    assert session_of(at).records[1]["status"] == DONE  # a run that stops by itself is recorded
    ok(at.run())
    assert run.status == DONE and run.iteration == 200 and metric(at, "Iteration") == "200"  # no more ticks


def test_train_n_more_after_done_continues_exactly():
    at = tick_until(click(open_app(SHORT), "train"), DONE)
    run = run_of(at)
    click(at, "more")
    assert run_of(at) is run and run.status == RUNNING and run.iteration == 300 and run.target == 400
    ok(at.run())
    assert run.status == DONE and run.iteration == 400
    assert metrics(at)[0][0] == "Iteration (of 400)" and status(at).startswith("Done: 400 iterations")
    assert button(at, "more").label == "Train 200 more"
    settings = Settings(iterations=200, speed=50)
    assert_same_training(run, uninterrupted(settings, 400))  # the same as one run of 400 steps
    click(at, "step_one")  # after Done, one more step
    assert run.status == DONE and run.iteration == 401
    assert_same_training(run, uninterrupted(settings, 401))


def test_a_learning_rate_change_after_done_starts_a_new_run_and_only_rates_that_ran_are_listed():
    at = tick_until(click(open_app(SHORT), "train"), DONE)
    ok(sidebar_widget(at, "Learning rate").set_value(1.0).run())
    run = run_of(at)
    assert run.serial == 2 and run.status == READY and run.iteration == 0 and run.lr_schedule == [(0, 1.0)]
    assert texts(at.info) == ["Learning rate 0.3 → 1: the last run is done, so a new run starts with it."]
    assert session_of(at).records[1]["learning rates"] == "0.3"  # run 1 never trained at 1
    tick_until(click(at, "train"), DONE)
    assert status(at).startswith("Done: 200 iterations") and status(at).endswith("(learning rate 1).")
    go(at, COMPARE)
    table = at.dataframe[0].value
    assert list(table["run"]) == [1, 2] and list(table["learning rates"]) == ["0.3", "1"]
    assert list(table["iteration"]) == [200, 200]


def test_run_numbers_are_per_session():
    at = open_app(FIXED)
    ok(sidebar_widget(at, "Hidden units").set_value(3).run())  # a new network before any step
    assert run_of(at).serial == 1 and session_of(at).ghosts == []  # a run without steps takes no number
    click(click(at, "step"), "reset")
    click(at, "step")
    assert run_of(at).serial == 2
    other = click(open_app(FIXED), "step")  # another visitor, at the same time
    assert run_of(other).serial == 1
    go(other, COMPARE)
    assert list(other.dataframe[0].value["run"]) == [1]
    go(at, COMPARE)
    assert list(at.dataframe[0].value["run"]) == [1, 2]


# --- replay -------------------------------------------------------------------------------------


def test_replay_shows_an_earlier_snapshot():
    at = click(ok(click(open_app(FIXED), "train").run()), "pause")
    assert run_of(at).iteration == 2 * TICK
    (replay,) = [s for s in at.get("select_slider") if s.label == "Replay"]
    assert replay.options == [f"iteration {i * SPEED}" for i in range(2 * UPDATES_PER_TICK + 1)]  # one per update
    _, shown = stages(at)["boundary"]
    np.testing.assert_array_equal(shown["p"], flat_params(run_of(at).trainer.params))
    ok(replay.set_value(SPEED).run())
    assert metric(at, "Iteration") == f"{SPEED}"
    cost = live_charts(at)["cost_chart"]["figure"]
    assert len(array(traces(cost)["train cost"]["y"])) == SPEED
    assert any(shape.get("x0") == SPEED for shape in cost["layout"].get("shapes", []))  # the marker
    head, shown = stages(at)["boundary"]  # the boundary at the snapshot, and the network that follows it
    assert head["it"] == SPEED and "q" not in shown and stages(at)["network"][0]["f"] == "boundary"
    np.testing.assert_array_equal(shown["p"], flat_params(run_of(at).snapshot_at(SPEED)[1]))
    assert run_of(at).iteration == 2 * TICK  # replay does not touch the run


# --- URLs ---------------------------------------------------------------------------------------


def test_a_hostile_url_warns_and_keeps_the_defaults():
    query = {
        "lr": "banana",
        "hidden": "0",
        "data": "<script>alert(1)</script>",
        "unknown": "1",
        "x" * 500: "1",
        "iters": "1e999",
    }
    at = open_app(query)
    warnings = texts(at.warning)
    assert warnings == [
        "URL parameter lr=`'banana'` is not a number; using the default 0.3.",
        "URL parameter hidden=`'0'` must be between 1 and 64; using the default 5.",
        "URL parameter data=`'<script>alert(1)</script>'` must be one of moons, circles, xor, gaussian, spiral, "
        "upload; using the default Moons.",
        "Ignored the unknown URL parameter `'unknown'`.",
        "… and 2 more URL parameters that could not be used.",
    ]
    assert run_of(at).settings == DEFAULTS
    assert all(setting_shown(at, f) == f.default for f in FIELDS)
    assert at.query_params == {}  # the bad values are gone from the address bar
    ok(at.run())
    assert texts(at.warning) == warnings  # still there to read
    click(at, "train")
    assert not at.warning  # read by now


# --- divergence ---------------------------------------------------------------------------------


def test_divergence_is_reported_and_the_app_keeps_working():
    at = tick_until(click(open_app({"lr": "10", "speed": "50"}), "train"), DIVERGED)
    run = run_of(at)
    (error,) = texts(at.error)
    assert f"diverged at iteration {run.iteration}" in error and "lower learning rate" in error
    assert status(at) == f"Stopped at iteration {run.iteration}: training diverged."
    assert enabled(at) == {"train": False, "step": False, "step_one": False, "reset": True}
    assert len(at.get("download_button")) == 3  # the good steps can still be taken away
    assert session_of(at).records[1]["status"] == DIVERGED
    ok(at.run())
    assert run.iteration == run_of(at).iteration and run_of(at).status == DIVERGED  # no further ticks

    ok(sidebar_widget(at, "Learning rate").set_value(0.3).run())
    fresh = run_of(at)
    assert texts(at.info) == ["Learning rate 10 → 0.3: the last run diverged, so a new run starts with it."]
    assert fresh is not run and fresh.status == READY and fresh.lr_schedule == [(0, 0.3)] and fresh.serial == 2
    assert not at.error and at.query_params == {"speed": "50"}
    click(at, "train")
    assert fresh.status == RUNNING and fresh.iteration == UPDATES_PER_TICK * 50


# --- downloads ----------------------------------------------------------------------------------


def test_downloads_hold_the_runs_parameters_history_and_script(downloads):
    at = click(click(open_app({"iters": "500", "test": "0.2", "speed": "50"}), "train"), "pause")  # a tick: 100
    ok(sidebar_widget(at, "Learning rate").set_value(1.0).run())  # a second rate, from iteration 100
    click(click(at, "step"), "step")
    run = run_of(at)
    assert run.iteration == 200 and run.lr_schedule == [(0, 0.3), (100, 1.0)]
    buttons = at.get("download_button")
    assert [b.key for b in buttons] == ["download_params", "download_history", "download_script"]
    assert all(b.proto.ignore_rerun and b.proto.deferred_file_id for b in buttons)  # built when clicked, no rerun
    files = {}
    for b in buttons:
        content, mimetype, filename = downloads.fetch(at, b.key)
        files[filename] = content
        assert mimetype == {"download_params": "application/json", "download_history": "text/csv"}.get(
            b.key, "text/x-python"
        )
    assert set(files) == {"twolayer-params.json", "twolayer-history.csv", "twolayer_run.py"}

    doc = json.loads(files["twolayer-params.json"])
    assert doc["iteration"] == 200 and doc["learning_rate_schedule"] == [[0, 0.3], [100, 1.0]]
    assert doc["settings"]["test_share"] == 0.2 and doc["settings"]["iterations"] == 500
    params = load_params_json(files["twolayer-params.json"])
    for name, value in run.trainer.params.items():
        np.testing.assert_array_equal(params[name], value)

    lines = files["twolayer-history.csv"].splitlines()
    assert lines[0] == "iteration,cost,accuracy,test_cost,test_accuracy" and len(lines) == 201
    table = np.array([[float(x) for x in line.split(",")] for line in lines[1:]])
    np.testing.assert_array_equal(table[:, 0], np.arange(200))
    for column, key in enumerate(("cost", "accuracy", "test_cost", "test_accuracy"), start=1):
        np.testing.assert_array_equal(table[:, column], run.trainer.history[key])

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(files["twolayer_run.py"], "twolayer_run.py", "exec"), {"__name__": "__main__"})
    printed = dict(line.split(": ", 1) for line in out.getvalue().splitlines())
    assert int(printed["iterations"]) == 200
    for label, key in [("train cost", "cost"), ("train accuracy", "accuracy"), ("test cost", "test_cost")]:
        assert float(printed[label]) == run.trainer.history[key][-1], label


# --- the charts ---------------------------------------------------------------------------------


def test_the_charts_show_the_cost_curve_network_and_boundary_and_follow_the_ticks():
    at = open_app(FIXED)
    (cost_chart,) = live_charts(at).values()
    assert cost_chart["key"] == "cost_chart" and cost_chart["plotly_url"].startswith("/component/")  # no CDN
    assert set(traces(cost_chart["figure"])) == {"train cost"}
    assert len(array(traces(cost_chart["figure"])["train cost"]["y"])) == 0
    first = stages(at)
    assert set(first) == {"network", "boundary"}
    for key, (head, arrays) in first.items():
        assert head["s"]["views"] == [key] and head["s"]["act"] == "tanh"  # the static part, sent once
        assert len(arrays["try"]) == 500 and len(arrays["tr"]) == 2 * 500 and "te" not in arrays
    head, arrays = first["boundary"]
    assert head["h"] == 5 and head["it"] == 0 and "q" not in arrays
    np.testing.assert_array_equal(arrays["p"], flat_params(run_of(at).trainer.params))
    assert first["network"][0]["f"] == "boundary" and "p" not in first["network"][1]  # it shows what that shows

    click(at, "train")
    lengths, shown = [], [first["boundary"][1]["p"]]
    for tick in (1, 2, 3):
        run = run_of(at)
        curve = traces(live_charts(at)["cost_chart"]["figure"])["train cost"]
        x, y = array(curve["x"]), array(curve["y"])
        lengths.append(int(x[-1]) + 1)  # the curve reaches the last step, thinned evenly while training
        stride = -(-(run.iteration - 1) // (LIVE_CURVE_POINTS - 1))  # every k-th step from 0, then the last one
        assert len(y) <= LIVE_CURVE_POINTS and len(y) > LIVE_CURVE_POINTS // 2
        np.testing.assert_array_equal(x, np.unique(np.append(np.arange(0, run.iteration, stride), run.iteration - 1)))
        np.testing.assert_array_equal(y, run.trainer.history["cost"][x.astype(int)].astype(np.float32))
        network, (head, arrays) = stages(at)["network"], stages(at)["boundary"]
        assert "s" not in network[0] and network[0]["f"] == "boundary" and not network[1]  # only "follow it"
        # the boundary carries the parameters for both views
        assert "s" not in head and "tr" not in arrays  # the points are not sent again
        assert head["it"] == run.iteration == tick * TICK
        np.testing.assert_array_equal(arrays["p"], flat_params(run.trainer.params))
        played = head["its"]  # the states the tick trained through, played on the way
        assert played == sorted(played) and (tick - 1) * TICK < played[0] and played[-1] < tick * TICK
        # each state played carries its own numbers, read from the engine's history, so the metrics above the
        # charts show the iteration the picture shows (not the tick's last one ahead of it)
        cost = run.trainer.history["cost"]
        assert len(head["mv"]) == len(played) + 1
        for i, values in zip([*played, run.iteration], head["mv"], strict=True):
            assert values[0] == f"{i:,}" and values[1] == f"{cost[i - 1]:.4f}"
            assert values[3] == f"{100 * run.trainer.history['accuracy'][i - 1]:.1f} %" and values[2] == "—"
        shown.append(stages(at)["boundary"][1]["p"])
        ok(at.run())
    assert lengths == [TICK, 2 * TICK, 3 * TICK]  # the train cost curve grows one tick per run
    assert all(not np.array_equal(a, b) for a, b in zip(shown, shown[1:], strict=False))  # the network moves
    assert live_charts(at)["cost_chart"]["figure"]["layout"]["xaxis"]["range"] == [0, 5000]  # fixed axes


# --- the server's config ------------------------------------------------------------------------


@pytest.fixture
def server_config():
    """Streamlit's config as `streamlit run app.py` reads it, from the repo's .streamlit/config.toml; re-read
    from the original working directory afterwards."""
    from streamlit import config

    here = os.getcwd()
    os.chdir(Path(APP).parent)
    config.get_config_options(force_reparse=True)
    try:
        yield config
    finally:
        os.chdir(here)
        config.get_config_options(force_reparse=True)


def test_the_server_config_turns_streamlits_message_cache_off(server_config) -> None:
    """With the cache on, Reset then Train repeats the previous run's first chart message; Streamlit then
    sends only a reference to it, which the browser may have dropped ("Cached ForwardMsg MISS": the page
    stops updating). Our config makes no message cacheable; under Streamlit's default a chart message is."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.forward_msg_cache import populate_hash_if_needed

    def cacheable() -> bool:
        msg = ForwardMsg()
        msg.delta.new_element.markdown.body = "x" * 200_000  # the size of one boundary-chart update
        populate_hash_if_needed(msg)
        return msg.metadata.cacheable

    assert not cacheable()
    server_config.set_option("global.minCachedMessageSize", 10e3)  # Streamlit's default
    assert cacheable()


def test_the_server_config_skips_the_full_garbage_collection_after_each_tick(server_config) -> None:
    """Streamlit's default runs gc.collect(2) after every script run, fragment ticks included: ~150 ms of CPU
    per chart update with NumPy, scikit-learn and Plotly loaded (benchmarks/bench_load.py, README)."""
    assert server_config.get_option("runner.postScriptGC") is False
