"""The exports (appkit.exports): parameters JSON and history CSV read back exactly; the generated script,
run on its own, prints the very numbers of the same run trained by the app; every bad argument is refused."""

import ast
import io
import json
import math
import os
import runpy
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path
from subprocess import PIPE

import numpy as np
import pytest

from appkit.build import Upload, build_data
from appkit.exports import history_csv, load_params_json, params_json, reproduce_script
from appkit.runstate import Run
from appkit.settings import Settings
from twolayer import Trainer, compute_cost
from twolayer.data import make_dataset, to_csv
from twolayer.features import expand

REPO_ROOT = Path(__file__).resolve().parents[1]
SMALL = Settings(samples=200, hidden_size=4)  # fast, and not the defaults


def train_in_process(settings, schedule, iteration, upload=None, edits=()) -> Trainer:
    """The app's run: its Run, with the learning rate set, weights edited and Step pressed as the schedule and
    the edits ((iteration, name, index, value)) say."""
    settings = replace(settings, learning_rate=schedule[0][1])
    run = Run.start(settings, build_data(settings, upload), probe=False)
    rates = dict(schedule)
    stops = sorted(set(rates) | {at for at, *_ in edits} | {iteration})
    for start, end in zip(stops, stops[1:] + [stops[-1]], strict=True):
        assert run.iteration == start
        if start in rates:
            assert run.set_learning_rate(rates[start])
        for at, name, index, value in edits:
            if at == start:
                run.edit_weight(name, index, value)
        run.step(end - start)  # a rate set at the run's last iteration has not run yet: step(0) does nothing
    assert run.iteration == iteration and run.error is None and run.edits == list(edits)
    return run.trainer


def printed(stdout: str) -> dict[str, str]:
    """The script's 'name: value' lines as a dict."""
    return dict(line.split(": ", 1) for line in stdout.splitlines())


def expected_output(trainer) -> dict[str, str]:
    h = trainer.history
    out = {"iterations": str(trainer.iteration)}
    names = {
        "cost": "train cost",
        "accuracy": "train accuracy",
        "test_cost": "test cost",
        "test_accuracy": "test accuracy",
    }
    out.update({names[key]: repr(float(values[-1])) for key, values in h.items()})
    return out


def imported_modules(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module)
    return modules


# ---------------------------------------------------------------------------------------------
# Parameters JSON


def test_params_json_round_trip_is_exact():
    settings = replace(SMALL, test_share=0.3, l2=0.01)
    trainer = train_in_process(settings, [(0, 0.3), (10, 2.0)], 25)
    text = params_json(settings, trainer.params, 25, [(0, 0.3), (10, 2.0)])
    doc = json.loads(text)
    assert doc["format"] == "twolayer-params/1" and doc["iteration"] == 25
    assert doc["settings"] == asdict(settings) | {"features": ["x1", "x2"]}  # a JSON list
    assert doc["learning_rate_schedule"] == [[0, 0.3], [10, 2.0]]
    loaded = load_params_json(text)
    for name, value in trainer.params.items():
        assert loaded[name].dtype == np.float64 and loaded[name].tobytes() == value.tobytes()
    assert '"W1": [\n      [' in text  # pretty: one matrix row per line


def test_params_json_names_the_edits_and_the_features_and_reads_back_exactly():
    settings, schedule, iteration, edits = EDITED
    trainer = train_in_process(settings, schedule, iteration, edits=edits)
    text = params_json(settings, trainer.params, iteration, schedule, edits)
    doc = json.loads(text)
    assert doc["edits"] == [[at, name, list(index), value] for at, name, index, value in edits]
    assert doc["settings"]["features"] == list(settings.features) and doc["settings"]["batch_size"] == 32
    loaded = load_params_json(text)
    assert loaded["W1"].shape == (3, 4)
    for name, value in trainer.params.items():
        assert loaded[name].tobytes() == value.tobytes()


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ([(5, "W1", (0, 0), 1.0)], "edits\\[0\\] is at iteration 5; it must be from the previous edit's to 4"),
        ([(2, "W1", (0, 0), 1.0), (1, "b1", (0, 0), 1.0)], "edits\\[1\\] is at iteration 1"),
        ([(0, "W3", (0, 0), 1.0)], "edits\\[0\\] names 'W3'; it must be one of W1, b1, W2, b2"),
        ([(0, "W1", (0, 4), 1.0)], "edits\\[0\\] has index \\(0, 4\\); W1 has shape \\(3, 4\\)"),
        ([(0, "b2", (0,), 1.0)], "has index"),
        ([(0, "b2", (0, 0), math.nan)], "edits\\[0\\] has value nan; it must be a finite number"),
        ([(0, "b2", (0, 0), "1")], "must be a finite number"),
        ([("0", "b2", (0, 0), 1.0)], "is at iteration '0'"),
        ([(0, "b2", (0, 0))], "must be \\(iteration, name, \\(row, column\\), value\\)"),
        ("W1", "edits must be a list"),
    ],
)
def test_bad_edits_are_refused(edits, message):
    settings = EDITED[0]
    params = train_in_process(settings, [(0, 0.3)], 0).params
    with pytest.raises(ValueError, match=message):
        params_json(settings, params, 4, [(0, 0.3)], edits)
    with pytest.raises(ValueError, match=message):
        reproduce_script(settings, [(0, 0.3)], 4, None, edits)


def test_params_json_keeps_awkward_floats():
    values = [0.1, -0.0, 5e-324, 1.7976931348623157e308, -1e-300, 1 / 3, 2.0**-30, 123456789.123]
    params = {
        "W1": np.array(values).reshape(4, 2),
        "b1": np.array([[1e22], [-2.5e-10], [0.0], [7.0]]),
        "W2": np.array([[1e-7, -1e16, 3.0, 0.2]]),
        "b2": np.array([[-1.5e300]]),
    }
    loaded = load_params_json(params_json(SMALL, params, 0, [(0, 0.3)]))
    for name, value in params.items():
        assert loaded[name].tobytes() == value.tobytes()  # bitwise: -0.0 and subnormals included


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"W1": np.zeros((4, 2)), "b1": np.zeros((4, 1)), "W2": np.zeros((1, 4))}, "exactly the keys"),
        ({"W1": np.zeros((5, 2)), "b1": np.zeros((5, 1)), "W2": np.zeros((1, 5)), "b2": np.zeros((1, 1))}, "shape"),
        (
            {"W1": np.zeros((4, 2)), "b1": np.zeros((4, 1)), "W2": np.zeros((1, 4)), "b2": np.full((1, 1), np.nan)},
            "NaN",
        ),
        ({"W1": np.zeros((4, 2)), "b1": np.zeros((4, 1)), "W2": np.zeros((1, 4)), "b2": [["x"]]}, "numbers"),
        ("W1", "dict"),
    ],
)
def test_params_json_refuses_bad_params(params, message):
    with pytest.raises(ValueError, match=message):
        params_json(SMALL, params, 0, [(0, 0.3)])


GOOD_JSON = params_json(SMALL, train_in_process(SMALL, [(0, 0.3)], 2).params, 2, [(0, 0.3)])


def edit(path, value):
    doc = json.loads(GOOD_JSON)
    *parents, last = path
    target = doc
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not valid JSON"),
        ("{'format': 1}", "not valid JSON"),
        (GOOD_JSON.replace("0.", "NaN, 0.", 1), "NaN"),
        ("[1, 2]", "not a twolayer parameters file"),
        (edit(["format"], "twolayer-params/2"), "not a twolayer parameters file"),
        (edit(["params"], KeyError), "lacks params"),
        (edit(["iteration"], -1), "iteration"),
        (edit(["iteration"], 1.5), "iteration"),
        (edit(["learning_rate_schedule"], []), "empty"),
        (edit(["learning_rate_schedule"], [[1, 0.3]]), "start at iteration 0"),
        (edit(["settings"], "moons"), "settings"),
        (edit(["params", "b2"], [[True]]), "finite numbers"),
        (edit(["params", "b2"], [["0.5"]]), "finite numbers"),
        (edit(["params", "b2"], 0.5), "finite numbers"),
        (edit(["params", "W1"], [[1.0, 2.0], [3.0]] + [[0.0, 0.0]] * 2), "rectangular"),
        (edit(["params", "W1"], [[1.0, 2.0, 3.0]] * 4), "shape"),
        (edit(["params", "W2"], [[0.0] * 3]), "shape"),
        (edit(["params", "extra"], [[0.0]]), "exactly the keys"),
        ("[" * 100_000 + "]" * 100_000, "JSON"),
        (b"\xff\xfe{}", "UTF-8"),
        (None, "str or bytes"),
        (" " * 1_000_001, "too large"),
    ],
)
def test_load_params_json_refuses_malformed_input(text, message):
    with pytest.raises(ValueError, match=message):
        load_params_json(text)


def test_load_params_json_takes_bytes():
    assert load_params_json(GOOD_JSON.encode())["W1"].shape == (4, 2)


# ---------------------------------------------------------------------------------------------
# History CSV


@pytest.mark.parametrize("test_share", [0.0, 0.3])
def test_history_csv_reads_back_exactly(test_share):
    trainer = train_in_process(replace(SMALL, test_share=test_share), [(0, 0.3), (50, 1.0)], 120)
    text = history_csv(trainer.history)
    header, *rows = text.splitlines()
    keys = ["cost", "accuracy"] + (["test_cost", "test_accuracy"] if test_share else [])
    assert header == ",".join(["iteration", *keys]) and len(rows) == 120
    table = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1)
    assert np.array_equal(table[:, 0], np.arange(120))
    for column, key in enumerate(keys, start=1):
        assert table[:, column].tobytes() == trainer.history[key].tobytes()


def test_history_csv_keeps_the_canonical_order_and_handles_no_steps():
    history = {"test_accuracy": np.array([0.5]), "cost": np.array([0.7]), "test_cost": np.array([0.6])}
    assert history_csv(history) == "iteration,cost,test_cost,test_accuracy\n0,0.7,0.6,0.5\n"
    assert history_csv({"cost": np.empty(0), "accuracy": np.empty(0)}) == "iteration,cost,accuracy\n"


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([0.5], "dict"),
        ({"accuracy": np.ones(3)}, "'cost'"),
        ({"cost": np.ones(3), "loss": np.ones(3)}, "unknown keys"),
        ({"cost": np.ones(3), "accuracy": np.ones(2)}, "has 2 entries"),
        ({"cost": np.ones((3, 1))}, "1-D"),
        ({"cost": np.array(["a", "b"])}, "numbers"),
    ],
)
def test_history_csv_refuses_bad_input(history, message):
    with pytest.raises(ValueError, match=message):
        history_csv(history)


# ---------------------------------------------------------------------------------------------
# The reproduce script

UPLOADED_CSV = to_csv(*make_dataset("spiral", 150, 0.1, random_state=3))  # what a user uploads
UPLOAD_SETTINGS = Settings(
    dataset="upload", hidden_size=4, test_share=0.2, activation="relu", l2=0.03, data_seed=9, init_seed=4
)

# A mini-batch run on four features with L1 and weights set by hand: before the first step, mid-epoch, at a
# learning-rate change, twice at one iteration, and after the last step.
EDITED = (
    Settings(
        dataset="circles", samples=300, hidden_size=3, test_share=0.2, batch_size=32, l1=0.003, l2=0.01,
        features=("x1", "x2^2", "x1*x2", "sin(x1)"), data_seed=3, init_seed=11,
    ),
    [(0, 0.5), (40, 2.0)],
    90,
    [
        (0, "b2", (0, 0), -0.5), (13, "W1", (2, 3), 1.25), (40, "W2", (0, 1), -3.0), (40, "W1", (0, 0), 0.0),
        (90, "b1", (1, 0), 0.125),
    ],
)  # fmt: skip
CASES = {  # name: (settings, lr_schedule, iteration, uploaded CSV name)
    "defaults": (Settings(), [(0, 0.3)], 300, None),
    "test set, rate change": (replace(Settings(), test_share=0.3), [(0, 0.3), (100, 1.0)], 300, None),
    "uploaded": (UPLOAD_SETTINGS, [(0, 1.0), (40, 0.5), (90, 2.0), (150, 0.1)], 150, "my-points_1.csv"),
}


@pytest.fixture(scope="module")
def script_outputs(tmp_path_factory) -> dict[str, dict[str, str]]:
    """Runs each case's script as a user would, in a folder of its own with the CSV next to it, all at
    once (Python plus scikit-learn take a second or two to start); returns each one's printed lines."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    running = {}
    for name, (settings, schedule, iteration, csv_name) in CASES.items():
        folder = tmp_path_factory.mktemp("script")
        if csv_name:
            (folder / csv_name).write_text(UPLOADED_CSV)
        (folder / "reproduce.py").write_text(reproduce_script(settings, schedule, iteration, csv_name))
        running[name] = subprocess.Popen(
            [sys.executable, "reproduce.py"], cwd=folder, env=env, stdout=PIPE, stderr=PIPE, text=True
        )
    outputs = {}
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, f"{name}: {stderr}"
        outputs[name] = printed(stdout)
    return outputs


@pytest.mark.parametrize("case", CASES)
def test_script_prints_the_apps_numbers_to_the_last_digit(case, script_outputs):
    settings, schedule, iteration, csv_name = CASES[case]
    upload = Upload.read(UPLOADED_CSV.encode(), csv_name) if csv_name else None
    expected = expected_output(train_in_process(settings, schedule, iteration, upload))
    assert script_outputs[case] == expected  # reprs: the very same floats
    test_keys = {"test cost", "test accuracy"} if settings.test_share else set()
    assert set(expected) == {"iterations", "train cost", "train accuracy"} | test_keys


def test_the_script_reproduces_a_mini_batch_run_with_edited_weights_bit_for_bit(tmp_path, capsys):
    settings, schedule, iteration, edits = EDITED
    app = train_in_process(settings, schedule, iteration, edits=edits)
    (tmp_path / "reproduce.py").write_text(reproduce_script(settings, schedule, iteration, None, edits))
    script = runpy.run_path(str(tmp_path / "reproduce.py"), run_name="__main__")  # in-process: the same code
    for name, value in app.params.items():
        assert script["trainer"].params[name].tobytes() == value.tobytes(), name
    assert script["trainer"].edits == app.edits and printed(capsys.readouterr().out) == expected_output(app)
    assert app.params["b1"][1, 0] == 0.125 and app.steps_per_epoch == 8  # 240 points, batches of 32
    # Each part matters: without the edits, with full batches or with x1, x2 only the run ends elsewhere.
    for other in (
        train_in_process(settings, schedule, iteration),
        train_in_process(replace(settings, batch_size=0), schedule, iteration, edits=edits),
        train_in_process(replace(settings, l1=0.0), schedule, iteration, edits=edits),
    ):
        assert other.params["W1"].tobytes() != app.params["W1"].tobytes()


def test_a_script_of_an_edited_run_before_its_first_step_prints_the_edited_costs(tmp_path, capsys):
    settings, _, _, edits = EDITED
    (tmp_path / "reproduce.py").write_text(reproduce_script(settings, [(0, 0.3)], 0, None, edits[:1]))
    runpy.run_path(str(tmp_path / "reproduce.py"), run_name="__main__")
    X, Y, Xt, Yt = build_data(settings)
    trainer = train_in_process(settings, [(0, 0.3)], 0, edits=edits[:1])
    params, features = trainer.params, settings.features
    assert printed(capsys.readouterr().out) == {
        "train cost": repr(compute_cost(expand(X, features), Y, params, "tanh", 0.01, 0.003)),
        "test cost": repr(compute_cost(expand(Xt, features), Yt, params, "tanh")),
    }


def test_the_rate_change_matters():
    """So the script's schedule is really tested: a constant rate ends elsewhere."""
    settings, schedule, iteration, _ = CASES["test set, rate change"]
    changed = train_in_process(settings, schedule, iteration)
    constant = train_in_process(settings, schedule[:1], iteration)
    assert changed.history["cost"][-1] != constant.history["cost"][-1]


def test_script_imports_only_twolayer_and_mirrors_build_data():
    source = reproduce_script(*CASES["defaults"])
    assert imported_modules(source) == {"twolayer", "twolayer.data"}
    assert "make_dataset('moons', 500, 0.2, random_state=0)" in source
    assert "train_test_split(X, y, 0.0, random_state=0)" in source
    source = reproduce_script(*CASES["uploaded"])
    assert imported_modules(source) == {"pathlib", "twolayer", "twolayer.data"}
    assert "make_dataset" not in source and "load_csv(Path(__file__).with_name('my-points_1.csv'))" in source
    assert "schedule = [(0, 1.0), (40, 0.5), (90, 2.0)]" in source  # the rate set at the last iteration never ran


def test_script_without_its_csv_names_the_missing_file(tmp_path, monkeypatch):
    (tmp_path / "reproduce.py").write_text(reproduce_script(*CASES["uploaded"]))
    with pytest.raises(FileNotFoundError, match="my-points_1.csv"):
        runpy.run_path(str(tmp_path / "reproduce.py"), run_name="__main__")


def test_script_before_any_training_prints_the_initial_costs(tmp_path, capsys):
    settings = replace(SMALL, test_share=0.25, l2=0.1)
    (tmp_path / "reproduce.py").write_text(reproduce_script(settings, [(0, 0.3)], 0))
    runpy.run_path(str(tmp_path / "reproduce.py"), run_name="__main__")  # in-process: the same code, faster
    X, Y, Xt, Yt = build_data(settings)
    params = Trainer(X, Y, 4, 0.3, l2=0.1, random_state=0).params
    assert printed(capsys.readouterr().out) == {
        "train cost": repr(compute_cost(X, Y, params, "tanh", 0.1)),
        "test cost": repr(compute_cost(Xt, Yt, params, "tanh")),
    }


def test_script_writes_numpy_scalars_as_plain_literals():
    settings = replace(SMALL, samples=np.int64(300), noise=np.float64(0.1), hidden_size=np.int32(3))
    source = reproduce_script(settings, [(np.int64(0), np.float64(0.5))], np.int64(10))
    assert "np." not in source and "make_dataset('moons', 300, 0.1, random_state=0)" in source
    assert "schedule = [(0, 0.5)]" in source and "iterations = 10" in source
    compile(source, "reproduce.py", "exec")


# ---------------------------------------------------------------------------------------------
# Bad arguments


class Sneaky(str):
    def __repr__(self):
        return "'moons'); import os; os.system('echo pwned'); ('"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"dataset": "moons'); import os; ('"}, "dataset must be one of"),
        ({"dataset": Sneaky("moons")}, "dataset must be one of"),  # its repr would escape the string literal
        ({"activation": "tanh'), exec('1"}, "activation must be one of"),
        ({"noise": "0.2"}, "noise must be a number"),
        ({"hidden_size": True}, "hidden_size must be a whole number"),
        ({"learning_rate": math.nan}, "learning_rate must be one of"),
    ],
)
def test_only_checked_settings_reach_a_script_or_a_file(changes, message):
    """What the exports write comes through settings.check (its bounds: test_settings.py)."""
    settings = replace(Settings(), **changes)
    with pytest.raises(ValueError, match=message):
        params_json(settings, {}, 0, [(0, 0.3)])
    with pytest.raises(ValueError, match=message):
        reproduce_script(settings, [(0, 0.3)], 10)


def test_settings_must_be_settings():
    with pytest.raises(ValueError, match="Settings"):
        reproduce_script(asdict(Settings()), [(0, 0.3)], 10)


@pytest.mark.parametrize(
    ("schedule", "iteration", "message"),
    [
        ([], 10, "must not be empty"),
        ([(5, 0.3)], 10, "must start at iteration 0"),
        ([(0, 0.3), (5, 1.0), (5, 2.0)], 10, "must increase"),
        ([(0, 0.3), (20, 1.0)], 10, "after the run's iteration 10"),
        ([(0, 0.0)], 10, "learning rate"),
        ([(0, math.inf)], 10, "learning rate"),
        ([(0, "0.3")], 10, "learning rate"),
        ([(False, 0.3)], 10, "start must be an integer"),
        ([(0.0, 0.3)], 10, "start must be an integer"),
        ([(0, 0.3, 1)], 10, "pair"),
        ("0,0.3", 10, "list of"),
        (None, 10, "list of"),
        ([(0, 0.3)], -1, "iteration must be an integer >= 0"),
        ([(0, 0.3)], 2.0, "iteration must be an integer >= 0"),
        ([(0, 0.3)], True, "iteration must be an integer >= 0"),
    ],
)
def test_bad_schedules_and_iterations_are_refused(schedule, iteration, message):
    params = train_in_process(SMALL, [(0, 0.3)], 1).params
    with pytest.raises(ValueError, match=message):
        reproduce_script(SMALL, schedule, iteration)
    with pytest.raises(ValueError, match=message):
        params_json(SMALL, params, iteration, schedule)


@pytest.mark.parametrize(
    "name",
    [
        "../data.csv",
        "/tmp/data.csv",
        "data.txt",
        "my data.csv",
        "data.csv'\nimport os\n'",
        ".csv",
        "",
        "d\\x.csv",
        b"data.csv",
    ],
)
def test_unsafe_csv_names_are_refused(name):
    with pytest.raises(ValueError, match="uploaded_csv_name"):
        reproduce_script(Settings(), [(0, 0.3)], 10, uploaded_csv_name=name)


# ---------------------------------------------------------------------------------------------
# The script where a user runs it: outside the repository, with twolayer installed from its wheel


def test_a_downloaded_script_runs_wherever_twolayer_is_installed(tmp_path_factory):
    """twolayer pip-installed from its wheel into a fresh venv that has no Streamlit and no repository on its
    path (tests/support/installed_wheel.py, shared with tests/test_packaging.py); each case's script saved in
    a folder outside the repository (with its CSV) and run there as its header says: the app's numbers."""
    from tests.support.installed_wheel import installed_twolayer, outside_environment

    _, python = installed_twolayer(tmp_path_factory.getbasetemp())
    running = {}
    for name, (settings, schedule, iteration, csv_name) in CASES.items():
        folder = tmp_path_factory.mktemp("downloads")
        assert not folder.is_relative_to(REPO_ROOT)
        if csv_name:
            (folder / csv_name).write_text(UPLOADED_CSV)
        script = reproduce_script(settings, schedule, iteration, csv_name)
        assert "pip install /path/to/twolayer" in script.split('"""')[1]  # the header says how to get there
        (folder / "twolayer_run.py").write_text(script)
        running[name] = subprocess.Popen(  # noqa: S603 - the fresh venv's python running our generated script
            [python, "twolayer_run.py"], cwd=folder, env=outside_environment(), stdout=PIPE, stderr=PIPE, text=True
        )
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, f"{name}: {stderr}"
        settings, schedule, iteration, csv_name = CASES[name]
        upload = Upload.read(UPLOADED_CSV.encode(), csv_name) if csv_name else None
        assert printed(stdout) == expected_output(train_in_process(settings, schedule, iteration, upload)), name
