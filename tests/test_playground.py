"""The Playground page through Streamlit's AppTest: every control, training ticks, URLs (hostile ones
too), divergence, downloads and the two live charts.

A fragment runs once per `.run()` (AppTest does not simulate its timer), so each `.run()` of a
running app is one training tick.
"""

import base64
import contextlib
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from appkit.downloads import load_params_json
from appkit.runstate import DIVERGED, DONE, PAUSED, READY, RUNNING, Run
from appkit.settings import Settings

APP = str(Path(__file__).resolve().parents[1] / "app.py")  # AppTest resolves relative paths against this file
DEFAULTS = Settings()
TICK = DEFAULTS.steps_per_update()  # 250: the auto speed makes a 5,000-step run in 20 updates

SIDEBAR = {  # label -> (Settings field, the tutorial's value)
    "Dataset": ("dataset", "moons"),
    "Noise": ("noise", 0.2),
    "Samples": ("samples", 500),
    "Learning rate": ("learning_rate", 0.3),
    "Hidden units": ("hidden_size", 5),
    "Iterations": ("iterations", 5000),
}
ADVANCED = {
    "Test share": ("test_share", 0.0),
    "Hidden activation": ("activation", "tanh"),
    "Initialisation": ("init", "he"),
    "L2 rate": ("l2", 0.0),
    "Data seed": ("data_seed", 0),
    "Initialisation seed": ("init_seed", 0),
    "Animation speed": ("speed", 0),
}
LABELS = SIDEBAR | ADVANCED
METRICS = ["Iteration (of 5,000)", "Train cost", "Test cost", "Train accuracy", "Test accuracy", "Steps / s"]


# --- helpers ------------------------------------------------------------------------------------


def app(query: dict[str, str] | None = None) -> AppTest:
    """The app after its first run, opened with `query` in the URL."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(query or {})
    return ok(at.run())


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def run_of(at: AppTest) -> Run:
    return at.session_state.run


def widget(at: AppTest, label: str):
    found = [w for w in at.sidebar if getattr(w, "label", None) == label]
    assert len(found) == 1, f"one sidebar widget labelled {label!r}, found {len(found)}"
    return found[0]


def button(at: AppTest, key: str):
    found = [b for b in at.button if b.key == key]
    return found[0] if found else None


def click(at: AppTest, key: str) -> AppTest:
    b = button(at, key)
    assert b is not None and not b.disabled, f"button {key!r} is missing or disabled"
    return ok(b.click().run())


def enabled(at: AppTest) -> dict[str, bool]:
    return {b.key: not b.disabled for b in at.button if b.key in ("train", "pause", "resume", "step", "reset")}


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def metric(at: AppTest, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def charts(at: AppTest) -> dict[str, dict]:
    """The live_chart payloads by chart: {"cost": ..., "boundary": ...}, each {"figure", "height", ...}."""
    out = {}
    for element in at.get("bidi_component"):
        assert element.proto.component_name == "appkit.live_chart"
        payload = json.loads(element.proto.bytes)
        types = {trace["type"] for trace in payload["figure"]["data"]}
        out["boundary" if "heatmap" in types else "cost"] = payload
    assert len(at.get("bidi_component")) == 2 and set(out) == {"cost", "boundary"}
    return out


def traces(payload: dict) -> dict[str, dict]:
    return {trace.get("name") or trace["type"]: trace for trace in payload["figure"]["data"]}


def array(value) -> np.ndarray:
    """A Plotly array from the JSON: a list, or a base64 typed array {"dtype", "bdata"[, "shape"]}."""
    if isinstance(value, list):
        return np.array(value)
    out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return out.reshape([int(n) for n in str(value["shape"]).split(",")]) if "shape" in value else out


def run_until(at: AppTest, statuses: tuple[str, ...], ticks: int = 30) -> AppTest:
    for _ in range(ticks):
        if run_of(at).status in statuses:
            return at
        ok(at.run())
    raise AssertionError(f"status {run_of(at).status!r} after {ticks} ticks, wanted one of {statuses}")


# --- first load ---------------------------------------------------------------------------------


def test_first_load_shows_the_tutorials_run_ready_to_train():
    at = app()
    for label, (field, value) in LABELS.items():
        assert widget(at, label).value == value, label
        assert getattr(DEFAULTS, field) == value
    advanced = [e for e in at.get("expander") if e.label == "Advanced"]
    assert len(advanced) == 1
    assert {getattr(w, "label", None) for w in advanced[0].children.values()} >= set(ADVANCED)
    assert run_of(at).settings == DEFAULTS and run_of(at).status == READY
    assert at.query_params == {}  # defaults are not written into the URL
    labels = {b.key: b.label for b in at.button}
    assert "Train" in labels["train"] and labels["step"] == "Step" and "Reset" in labels["reset"]
    assert labels["clear_ghosts"] == "Clear ghosts"
    assert enabled(at) == {"train": True, "step": True, "reset": False}
    assert button(at, "clear_ghosts").disabled
    assert [m.label for m in at.metric] == METRICS
    assert [m.value for m in at.metric] == ["0", "—", "—", "—", "—", "—"]
    assert texts(at.caption)[0].startswith("Ready")
    assert not at.warning and not at.error and not at.info
    assert len(at.get("download_button")) == 0


# --- every control ------------------------------------------------------------------------------

NEW_DATA, NEW_NETWORK, NEW_RATE, CONTINUES = "New data", "New network", "Learning rate changed", None
CONTROLS = [  # label, new value, URL name and value, what happens to a run with steps, change as described
    ("Dataset", "circles", "data", "circles", NEW_DATA, "data moons → circles"),
    ("Noise", 0.35, "noise", "0.35", NEW_DATA, "noise 0.2 → 0.35"),
    ("Samples", 200, "n", "200", NEW_DATA, "n 500 → 200"),
    ("Learning rate", 1.0, "lr", "1", NEW_RATE, None),
    ("Hidden units", 8, "hidden", "8", NEW_NETWORK, "hidden 5 → 8"),
    ("Iterations", 1000, "iters", "1000", CONTINUES, None),
    ("Test share", 0.25, "test", "0.25", NEW_DATA, "test 0 → 0.25"),
    ("Hidden activation", "relu", "act", "relu", NEW_NETWORK, "act tanh → relu"),
    ("Initialisation", "small", "init", "small", NEW_NETWORK, "init he → small"),
    ("L2 rate", 0.01, "l2", "0.01", NEW_NETWORK, "l2 0 → 0.01"),
    ("Data seed", 7, "dseed", "7", NEW_DATA, "dseed 0 → 7"),
    ("Initialisation seed", 7, "iseed", "7", NEW_NETWORK, "iseed 0 → 7"),
    ("Animation speed", 50, "speed", "50", CONTINUES, None),
]


def test_every_control_is_covered():
    assert {c[0] for c in CONTROLS} == set(LABELS)


@pytest.mark.parametrize("label, value, url_name, url_value, effect, change", CONTROLS, ids=[c[0] for c in CONTROLS])
def test_every_control_changes_the_run_and_the_url(label, value, url_name, url_value, effect, change):
    at = click(app(), "step")  # the old run has steps: a restart keeps its curve as a ghost
    before = run_of(at)
    assert before.iteration == TICK and before.status == PAUSED
    ok(widget(at, label).set_value(value).run())
    run, field = run_of(at), LABELS[label][0]
    assert widget(at, label).value == value
    assert getattr(run.settings, field) == value
    assert run.settings == Settings(**(DEFAULTS.__dict__ | {field: value}))
    assert at.query_params == {url_name: url_value}
    notes = texts(at.info)
    if effect in (NEW_DATA, NEW_NETWORK):
        assert run is not before and run.status == READY and run.iteration == 0
        assert notes == [f"{effect} ({change}): the run starts afresh."]
        ghosts = at.session_state.ghosts
        name, old, new = change.replace(" → ", " ").split(" ")
        assert len(ghosts) == 1 and ghosts[0][0].endswith(f" {name} {new} was {old}")  # "hidden 8 was 5"
        np.testing.assert_array_equal(ghosts[0][1], before.trainer.history["cost"])
        assert ghosts[0][0] in traces(charts(at)["cost"])
        assert not button(at, "clear_ghosts").disabled
    elif effect == NEW_RATE:
        assert run is before and run.status == PAUSED and run.iteration == TICK  # the run continues
        assert notes == [f"Learning rate changed to {value:g}: the run continues from iteration {TICK}."]
        assert run.lr_schedule == [(0, 0.3), (TICK, value)] and run.trainer.learning_rate == value
        assert "learning rate 0.3 → 1" in texts(at.caption)[0]
        assert at.session_state.ghosts == []
    else:
        assert run is before and run.status == PAUSED and run.iteration == TICK
        assert notes == [] and at.session_state.ghosts == []
    if field == "iterations":
        assert metric(at, "Iteration (of") == f"{TICK}" and at.metric[0].label == "Iteration (of 1,000)"
    if field == "speed":
        assert button(at, "step").help == "Advance 50 steps"
        ok(button(at, "step").click().run())
        assert run_of(at).iteration == TICK + 50
    if field == "test_share":  # a test set: test cost curve, test points, test metrics
        assert "test cost" in traces(charts(at)["cost"])
        assert {"class 0 (test)", "class 1 (test)"} <= set(traces(charts(at)["boundary"]))
        ok(button(at, "step").click().run())
        assert metric(at, "Test cost") != "—" and metric(at, "Test accuracy").endswith("%")
    ok(at.run())  # the note is shown once; the settings stay
    assert texts(at.info) == [] and run_of(at) is run and at.query_params == {url_name: url_value}


def test_a_restart_before_any_step_keeps_no_ghost():
    at = ok(widget(app(), "Hidden units").set_value(3).run())
    assert texts(at.info) == ["New network (hidden 5 → 3): the run starts afresh."]
    assert at.session_state.ghosts == [] and button(at, "clear_ghosts").disabled


def test_a_learning_rate_change_before_any_step_just_sets_the_rate():
    at = ok(widget(app(), "Learning rate").set_value(2.0).run())
    run = run_of(at)
    assert run.status == READY and run.lr_schedule == [(0, 2.0)] and texts(at.info) == []


# --- training ticks -----------------------------------------------------------------------------


def test_train_ticks_pause_resume_step_reset():
    at = click(app(), "train")
    run = run_of(at)
    assert run.status == RUNNING and run.iteration == TICK  # Train's own run is the first tick
    assert enabled(at)["pause"] and not enabled(at)["step"]
    assert texts(at.caption)[0].startswith("Training")
    assert len(at.get("download_button")) == 0  # no downloads of a moving target
    assert not at.get("select_slider") or all(s.label != "Replay" for s in at.get("select_slider"))
    for tick in (2, 3):
        ok(at.run())
        assert run_of(at).iteration == tick * TICK and metric(at, "Iteration") == f"{tick * TICK:,}"
    assert run_of(at).rate > 0 and metric(at, "Steps / s") != "—"
    assert enabled(at) == {"pause": True, "step": False, "reset": True}
    assert float(metric(at, "Train cost")) < 0.6 and metric(at, "Train accuracy").endswith("%")

    click(at, "pause")
    assert run_of(at).status == PAUSED and run_of(at).iteration == 3 * TICK
    assert enabled(at) == {"resume": True, "step": True, "reset": True}
    assert texts(at.caption)[0] == f"Paused at iteration {3 * TICK:,} (learning rate 0.3)."
    ok(at.run())
    assert run_of(at).iteration == 3 * TICK  # paused: a rerun does not train

    click(at, "step")
    assert run_of(at).status == PAUSED and run_of(at).iteration == 4 * TICK

    click(at, "resume")
    assert run_of(at).status == RUNNING and run_of(at).iteration == 5 * TICK
    assert run_of(at) is run

    click(at, "reset")
    new = run_of(at)
    assert new is not run and new.status == READY and new.iteration == 0 and new.settings == DEFAULTS
    assert run.status == PAUSED  # the old run stopped with the reset
    assert enabled(at) == {"train": True, "step": True, "reset": False}
    ghosts = at.session_state.ghosts
    assert len(ghosts) == 1 and ghosts[0][0].endswith("same settings") and len(ghosts[0][1]) == 5 * TICK
    assert set(traces(charts(at)["cost"])) == {ghosts[0][0], "train cost"}

    click(at, "clear_ghosts")
    assert at.session_state.ghosts == [] and set(traces(charts(at)["cost"])) == {"train cost"}
    assert button(at, "clear_ghosts").disabled


def test_reset_is_enabled_as_soon_as_training_starts():
    """In the browser only the fragment reruns while training: the buttons keep the state of Train's run."""
    at = click(app(), "train")
    assert run_of(at).status == RUNNING
    assert enabled(at) == {"pause": True, "step": False, "reset": True}


def test_step_from_ready_pauses():
    at = click(app(), "step")
    assert run_of(at).status == PAUSED and run_of(at).iteration == TICK
    assert enabled(at) == {"resume": True, "step": True, "reset": True}
    ok(at.run())
    assert run_of(at).iteration == TICK


def test_a_short_run_finishes_and_stops_ticking():
    at = app({"iters": "100", "speed": "50"})
    assert run_of(at).settings.iterations == 100 and run_of(at).settings.steps_per_update() == 50
    click(at, "train")
    assert run_of(at).status == RUNNING and run_of(at).iteration == 50
    ok(at.run())
    assert run_of(at).status == DONE and run_of(at).iteration == 100
    assert texts(at.caption)[0].startswith("Done: 100 iterations in ")
    assert enabled(at) == {"train": False, "step": False, "reset": True}
    assert [b.label for b in at.get("download_button")] == ["Parameters (JSON)", "Cost history (CSV)", "Python script"]
    ok(at.run())
    assert run_of(at).status == DONE and run_of(at).iteration == 100  # done: no more ticks
    assert metric(at, "Iteration") == "100"


def test_more_iterations_after_done_let_the_run_continue():
    at = click(app({"iters": "100", "speed": "50"}), "train")
    run_until(at, (DONE,))
    ok(widget(at, "Iterations").set_value(200).run())
    assert run_of(at).status == PAUSED and run_of(at).iteration == 100 and texts(at.info) == []
    click(at, "resume")
    run_until(at, (DONE,))
    assert run_of(at).iteration == 200


def test_fewer_iterations_while_running_finish_the_run():
    at = click(app(), "train")
    ok(at.run())
    ok(widget(at, "Iterations").set_value(200).run())
    run = run_of(at)
    assert run.status == DONE and run.iteration == 2 * TICK  # the steps already taken stay
    assert enabled(at)["train"] is False
    ok(at.run())
    assert run_of(at).iteration == 2 * TICK


def test_replay_shows_an_earlier_snapshot():
    at = click(app(), "train")
    ok(at.run())
    click(at, "pause")
    replay = [s for s in at.get("select_slider") if s.label == "Replay"]
    assert len(replay) == 1
    assert replay[0].options == ["iteration 0", f"iteration {TICK}", f"iteration {2 * TICK}"]
    final = array(traces(charts(at)["boundary"])["heatmap"]["z"])
    ok(replay[0].set_value(TICK).run())
    assert metric(at, "Iteration") == f"{TICK}"
    cost = charts(at)["cost"]
    assert len(array(traces(cost)["train cost"]["y"])) == TICK
    assert any(shape.get("x0") == TICK for shape in cost["figure"]["layout"].get("shapes", []))  # the marker
    assert not np.array_equal(array(traces(charts(at)["boundary"])["heatmap"]["z"]), final)
    assert run_of(at).iteration == 2 * TICK  # replay does not touch the run


# --- URLs ---------------------------------------------------------------------------------------


def test_a_hostile_url_gives_clear_warnings_and_the_defaults():
    at = app({"lr": "banana", "hidden": "0", "data": "<script>alert(1)</script>", "unknown": "1"})
    warnings = texts(at.warning)
    assert len(warnings) == 4
    assert "lr=`'banana'` is not a number; using the default 0.3" in warnings[0]
    assert "hidden=`'0'` must be between 1 and 64; using the default 5" in warnings[1]
    assert "data=`'<script>alert(1)</script>'` must be one of moons" in warnings[2]
    assert "unknown URL parameter `'unknown'`" in warnings[3]
    assert run_of(at).settings == DEFAULTS
    assert all(widget(at, label).value == value for label, (_, value) in LABELS.items())
    assert at.query_params == {}  # the bad values are gone from the address bar
    ok(at.run())
    assert len(at.warning) == 4  # still there to read
    click(at, "train")
    assert len(at.warning) == 0  # read by now


@pytest.mark.parametrize(
    "query",
    [
        {"lr": "1e999"},
        {"n": "-5"},
        {"iters": "7"},
        {"dseed": "1.5"},
        {"act": ""},
        {"data": "x" * 500},
        {"x" * 500: "1"},
    ],
    ids=["inf", "negative", "not-a-stop", "fraction", "empty", "long-value", "long-name"],
)
def test_more_bad_urls_warn_without_failing(query):
    at = app(query)
    assert len(at.warning) >= 1 and all(len(w) < 300 for w in texts(at.warning))
    assert run_of(at).settings == DEFAULTS


def test_a_good_url_restores_the_scene():
    query = {
        "data": "spiral",
        "noise": "0.35",
        "n": "300",
        "lr": "3",
        "hidden": "17",
        "iters": "20000",
        "test": "0.25",
        "act": "relu",
        "init": "small",
        "l2": "0.03",
        "dseed": "42",
        "iseed": "7",
        "speed": "50",
    }
    at = app(query)
    expected = Settings("spiral", 0.35, 300, 3.0, 17, 20_000, 0.25, "relu", "small", 0.03, 42, 7, 50)
    assert run_of(at).settings == expected and len(at.warning) == 0
    for label, (field, _) in LABELS.items():
        assert widget(at, label).value == getattr(expected, field), label
    assert at.query_params == query
    assert at.metric[0].label == "Iteration (of 20,000)"
    assert len(run_of(at).data[0][0]) + len(run_of(at).data[2][0]) == 300


def test_a_large_seed_survives_the_url():
    at = ok(widget(app(), "Data seed").set_value(1_234_567).run())
    assert at.query_params == {"dseed": "1234567"}
    assert run_of(app(dict(at.query_params))).settings.data_seed == 1_234_567


# --- divergence ---------------------------------------------------------------------------------


def test_divergence_is_reported_and_the_app_keeps_working():
    at = click(app({"lr": "10"}), "train")
    run_until(at, (DIVERGED,))
    run = run_of(at)
    errors = texts(at.error)
    assert len(errors) == 1
    assert f"diverged at iteration {run.iteration}" in errors[0] and "lower learning rate" in errors[0]
    assert texts(at.caption)[0] == f"Stopped at iteration {run.iteration}: training diverged."
    assert enabled(at) == {"train": False, "step": False, "reset": True}
    assert len(at.get("download_button")) == 3  # the good steps can still be taken away
    ok(at.run())
    assert run_of(at).iteration == run.iteration and run_of(at).status == DIVERGED  # no further ticks

    ok(widget(at, "Learning rate").set_value(0.3).run())
    assert any("0.3" in note for note in texts(at.info))  # the change is acknowledged
    assert at.query_params == {}

    click(at, "reset")
    fresh = run_of(at)
    assert fresh.status == READY and fresh.iteration == 0 and fresh.lr_schedule == [(0, 0.3)]
    assert len(at.error) == 0 and enabled(at)["train"]
    click(at, "train")
    assert run_of(at).status == RUNNING and run_of(at).iteration == TICK


# --- downloads ----------------------------------------------------------------------------------


def test_downloads_hold_the_runs_parameters_history_and_script(media):
    at = click(app({"iters": "500", "test": "0.2"}), "train")
    ok(at.run())
    click(at, "pause")
    run = run_of(at)
    steps = 2 * run.settings.steps_per_update()  # two ticks
    assert run.iteration == steps
    buttons = at.get("download_button")
    assert [b.label for b in buttons] == ["Parameters (JSON)", "Cost history (CSV)", "Python script"]
    assert all(b.proto.ignore_rerun for b in buttons)  # a download does not cut a tick
    files = {}
    for b in buttons:
        data, mimetype, filename = media[Path(b.proto.url).stem]
        files[filename] = (data.decode() if isinstance(data, bytes) else data, mimetype)
    assert {name: mime for name, (_, mime) in files.items()} == {
        "twolayer-params.json": "application/json",
        "twolayer-history.csv": "text/csv",
        "twolayer_run.py": "text/x-python",
    }

    doc = json.loads(files["twolayer-params.json"][0])
    assert doc["iteration"] == steps and doc["learning_rate_schedule"] == [[0, 0.3]]
    assert doc["settings"]["test_share"] == 0.2 and doc["settings"]["iterations"] == 500
    params = load_params_json(files["twolayer-params.json"][0])
    for name, value in run.trainer.params.items():
        np.testing.assert_array_equal(params[name], value)

    lines = files["twolayer-history.csv"][0].splitlines()
    assert lines[0] == "iteration,cost,accuracy,test_cost,test_accuracy" and len(lines) == steps + 1
    table = np.array([[float(x) for x in line.split(",")] for line in lines[1:]])
    np.testing.assert_array_equal(table[:, 0], np.arange(steps))
    for column, key in enumerate(("cost", "accuracy", "test_cost", "test_accuracy"), start=1):
        np.testing.assert_array_equal(table[:, column], run.trainer.history[key])

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(files["twolayer_run.py"][0], "twolayer_run.py", "exec"), {"__name__": "__main__"})
    printed = dict(line.split(": ", 1) for line in out.getvalue().splitlines())
    assert int(printed["iterations"]) == steps
    assert float(printed["train cost"]) == run.trainer.history["cost"][-1]
    assert float(printed["test accuracy"]) == run.trainer.history["test_accuracy"][-1]


# --- the two live charts ------------------------------------------------------------------------


def test_the_charts_show_the_cost_curve_and_the_boundary_and_follow_the_ticks():
    at = app()
    first = charts(at)
    for payload in first.values():
        assert payload["height"] == 440 and "plotly.min.js" in payload["plotly_url"]  # served locally, no CDN
    cost, boundary = traces(first["cost"]), traces(first["boundary"])
    assert set(cost) == {"train cost"} and len(array(cost["train cost"]["y"])) == 0
    kinds = [t["type"] for t in first["boundary"]["figure"]["data"]]
    assert kinds == ["heatmap", "contour", "scatter", "scatter", "scatter"]
    assert {"P = 0.5", "class 0 (train)", "class 1 (train)", "misclassified"} <= set(boundary)
    n_points = len(array(boundary["class 0 (train)"]["x"])) + len(array(boundary["class 1 (train)"]["x"]))
    assert n_points == 500
    z0 = array(boundary["heatmap"]["z"])
    assert z0.ndim == 2 and ((z0 >= 0) & (z0 <= 1)).all()

    click(at, "train")
    lengths, zs = [], [z0]
    for _ in range(3):
        payload = charts(at)
        y = array(traces(payload["cost"])["train cost"]["y"])
        lengths.append(len(y))
        np.testing.assert_array_equal(y, run_of(at).trainer.history["cost"].astype(np.float32))
        zs.append(array(traces(payload["boundary"])["heatmap"]["z"]))
        ok(at.run())
    assert lengths == [TICK, 2 * TICK, 3 * TICK]  # the train cost curve grows one tick per run
    assert all(not np.array_equal(a, b) for a, b in zip(zs, zs[1:], strict=False))  # the boundary moves
    assert charts(at)["cost"]["figure"]["layout"]["xaxis"]["range"] == [0, 5000]  # fixed axes: no jumping


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
