"""The Sweep, Compare runs, How it works and Your data pages, and the playground's presenter mode,
through Streamlit's AppTest (multipage: `switch_page`).

AppTest has no accessor for Plotly charts: they are read from `at.get("plotly_chart")`, their figure
from `proto.spec` and their key from the end of `proto.id`. A click on a sweep cell is sent as the
widget state the browser would send (see `click_cell`).
"""

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.testing.v1 import AppTest

from appkit.downloads import build_data
from appkit.explain import forward_one
from appkit.runstate import DIVERGED, DONE, PAUSED, RUNNING
from appkit.scenes import SCENES
from appkit.settings import DEFAULTS, UPLOAD, Settings, to_query
from twolayer.data import load_csv, make_dataset, to_csv

APP = str(Path(__file__).resolve().parents[1] / "app.py")  # AppTest resolves relative paths against this file
SWEEP, COMPARE, HOW, YOUR_DATA, PLAYGROUND = (
    f"pages/{name}.py" for name in ("sweep", "compare", "how_it_works", "your_data", "playground")
)


# --- helpers ------------------------------------------------------------------------------------


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def app(query: dict[str, str] | None = None) -> AppTest:
    """The app after its first run (the playground), opened with `query` in the URL."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query or {})
    return ok(at.run())


def page(at: AppTest, path: str) -> AppTest:
    return ok(at.switch_page(path).run())


def landed_on_playground(at: AppTest) -> AppTest:
    """After the app's own st.switch_page to the playground: check it is shown, and keep it for later runs.

    AppTest asks every later `.run()` for the page last given to `at.switch_page`, not for the one the
    app switched to, so without this the next run would draw the previous page again."""
    assert button(at, "train") is not None and at.sidebar.toggle(key="present") is not None
    at.switch_page(PLAYGROUND)
    return at


def button(at: AppTest, key: str | None = None, label: str | None = None):
    found = [b for b in at.button if (key is None or b.key == key) and (label is None or b.label == label)]
    assert len(found) == 1, f"one button {key or label!r}, found {len(found)}"
    return found[0]


def click(at: AppTest, key: str | None = None, label: str | None = None) -> AppTest:
    b = button(at, key, label)
    assert not b.disabled, f"button {key or label!r} is disabled"
    return ok(b.click().run())


def by_label(elements, label: str):
    found = [e for e in elements if e.label == label]
    assert len(found) == 1, f"one element labelled {label!r}, found {len(found)}"
    return found[0]


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def plotly_charts(at: AppTest) -> dict[str, dict]:
    """Plotly figures by chart key ("$$ID-<hash>-<key>" is the element id of a keyed chart)."""
    charts = {}
    for element in at.get("plotly_chart"):
        key = element.proto.id.split("-", 2)[-1]
        charts[key] = json.loads(element.proto.spec)
    assert len(charts) == len(at.get("plotly_chart"))
    return charts


def chart_ids(at: AppTest) -> dict[str, str]:
    return {e.proto.id.split("-", 2)[-1]: e.proto.id for e in at.get("plotly_chart")}


def download(at: AppTest, media: dict, label: str) -> tuple[str, str, str]:
    """(content, mimetype, file name) of the download button labelled `label`."""
    b = by_label(at.get("download_button"), label)
    data, mimetype, filename = media[Path(b.proto.url).stem]
    return (data.decode() if isinstance(data, bytes) else data), mimetype, filename


# --- Sweep --------------------------------------------------------------------------------------


def sweep_page(query: dict[str, str] | None = None) -> AppTest:
    return page(app(query), SWEEP)


def run_sweep(at: AppTest, rates, hidden, iterations: int = 200, seeds: int = 1) -> AppTest:
    by_label(at.multiselect, "Learning rates").set_value(rates)
    by_label(at.multiselect, "Hidden units").set_value(hidden)
    by_label(at.select_slider, "Iterations").set_value(iterations)
    by_label(at.number_input, "Seeds per cell").set_value(seeds)
    return click(at, label="Run sweep")


def heatmap_cells(at: AppTest) -> dict[tuple[float, int], str]:
    """Cell (lr, hidden) -> its text, over the heatmap's traces of cells (coloured, and grey if diverged)."""
    cells = {}
    for trace in plotly_charts(at)["sweep_heatmap"]["data"]:
        for (lr, hidden), text in zip(trace.get("customdata", []), trace.get("text", []), strict=True):
            cells[(lr, hidden)] = text
    return cells


def click_cell(at: AppTest, lr: float, hidden: int) -> AppTest:
    """A click on the heatmap's cell (lr, hidden), sent as the browser sends it: the chart's selection
    as a JSON string in the widget state of its element id. AppTest has no public way to do this."""
    traces = plotly_charts(at)["sweep_heatmap"]["data"]
    curve = next(n for n, t in enumerate(traces) if [lr, hidden] in t.get("customdata", []))
    cells = traces[curve]
    index = cells["customdata"].index([lr, hidden])
    point = {
        "curve_number": curve,
        "point_number": index,
        "point_index": index,
        "x": cells["x"][index],
        "y": cells["y"][index],
        "customdata": cells["customdata"][index],
    }
    states = WidgetStates()
    states.CopyFrom(at._tree.get_widget_states())
    state = states.widgets.add()
    state.id = chart_ids(at)["sweep_heatmap"]
    state.string_value = json.dumps(
        {"selection": {"points": [point], "point_indices": [index], "box": [], "lasso": []}}
    )
    return ok(at._run(states))


def test_sweep_page_before_running():
    at = sweep_page()
    assert texts(at.info) == ["Choose the values and press Run sweep."]
    assert texts(at.caption)[0].startswith("On the playground's data (moons, noise 0.2, 500 samples, test share 0)")
    assert by_label(at.multiselect, "Learning rates").value == [0.01, 0.1, 0.3, 1.0, 3.0]
    assert by_label(at.multiselect, "Hidden units").value == [1, 2, 5, 10, 20]
    assert by_label(at.select_slider, "Iterations").value == 2000
    assert not at.get("plotly_chart")


def test_a_small_sweep_shows_its_grid_and_the_metric_switches():
    at = run_sweep(sweep_page(), [1.0, 0.1], [8, 2], 200)  # unsorted on purpose
    caption = next(c for c in texts(at.caption) if "networks" in c)
    assert re.fullmatch(r"4 networks × 200 iterations in \d+\.\d s\.", caption), caption
    assert set(plotly_charts(at)) == {"sweep_heatmap", "sweep_boundaries", "sweep_curves"}
    sweep, _, used, seconds = at.session_state.sweep_result
    assert (sweep.learning_rates, sweep.hidden_sizes, sweep.iterations) == ([0.1, 1.0], [2, 8], 200)
    assert used == DEFAULTS and seconds >= 0
    cells = heatmap_cells(at)
    assert cells == {key: f"{sweep.value('train cost', *key):.3f}" for key in [(0.1, 2), (0.1, 8), (1.0, 2), (1.0, 8)]}
    heatmap = plotly_charts(at)["sweep_heatmap"]
    assert len(heatmap["data"]) == 1  # the playground's (0.3, 5) is not in the grid: no red square
    assert heatmap["data"][0]["marker"]["colorbar"]["title"]["text"] == "train cost"
    boundaries = plotly_charts(at)["sweep_boundaries"]
    assert len([t for t in boundaries["data"] if t["type"] == "heatmap"]) == 4
    assert len(plotly_charts(at)["sweep_curves"]["data"]) == 4

    # Without a test set only the train metrics are offered.
    metric = at.radio(key="sweep_metric")
    assert metric.options == ["train cost", "train accuracy"] and metric.value == "train cost"
    ok(metric.set_value("train accuracy").run())
    heatmap = plotly_charts(at)["sweep_heatmap"]
    assert heatmap["data"][0]["marker"]["colorbar"]["title"]["text"] == "train accuracy"
    assert all(text.endswith("%") for text in heatmap["data"][0]["text"])
    assert heatmap_cells(at)[(1.0, 8)] == f"{sweep.value('train accuracy', 1.0, 8):.0%}"
    assert at.session_state.sweep_result[0] is sweep  # switching the metric does not train again


def test_sweep_on_the_playgrounds_data_marks_its_setting():
    at = run_sweep(sweep_page({"test": "0.3", "noise": "0.3"}), [0.3, 1.0], [5], 200, seeds=2)
    assert texts(at.caption)[0].startswith("On the playground's data (moons, noise 0.3, 500 samples, test share 0.3)")
    assert any(c.startswith("4 networks × 200 iterations") for c in texts(at.caption))  # 2 cells x 2 seeds
    _, data, used, _ = at.session_state.sweep_result
    assert used == Settings(test_share=0.3, noise=0.3)
    assert data[2].shape[1] == 150  # the test set: 30 % of 500
    assert at.radio(key="sweep_metric").options == ["test cost", "test accuracy", "train cost", "train accuracy"]
    heatmap = plotly_charts(at)["sweep_heatmap"]
    assert len(heatmap["data"]) == 2  # the red square on the playground's (0.3, 5)
    assert (heatmap["data"][1]["x"], heatmap["data"][1]["y"]) == (["5"], ["0.3"])


def test_sweep_needs_a_rate_and_a_hidden_size():
    at = run_sweep(sweep_page(), [], [2])
    assert texts(at.error) == ["Pick at least one learning rate and one hidden size."]
    assert "sweep_result" not in at.session_state
    assert not at.get("plotly_chart")


def test_clicking_a_cell_opens_it_in_the_playground():
    at = run_sweep(sweep_page(), [0.1, 1.0], [2, 8], 200)
    landed_on_playground(click_cell(at, 1.0, 8))
    settings = at.session_state.settings
    assert settings == Settings(learning_rate=1.0, hidden_size=8, iterations=200)
    assert by_label(at.sidebar.select_slider, "Learning rate").value == 1.0
    assert by_label(at.sidebar.slider, "Hidden units").value == 8
    assert by_label(at.sidebar.select_slider, "Iterations").value == 200
    assert at.query_params == {"lr": "1", "hidden": "8", "iters": "200"}
    run = at.session_state.run
    assert run.settings == settings and run.iteration == 0
    assert [m.label for m in at.metric][0] == "Iteration (of 200)"
    click(at, "train")
    assert at.session_state.run.status == RUNNING
    for _ in range(25):  # 10 steps a tick
        ok(at.run())
        if at.session_state.run.status != RUNNING:
            break
    assert at.session_state.run.status == DONE and at.session_state.run.iteration == 200


def test_a_sweep_with_a_diverging_rate_shows_grey_cells_that_open():
    at = run_sweep(sweep_page(), [0.3, 10.0], [2, 5], 200)
    cells = heatmap_cells(at)
    assert cells[(10.0, 5)] == "diverged" and cells[(0.3, 5)] != "diverged"
    assert "Grey cells diverged" in texts(at.caption)[-1]
    landed_on_playground(click_cell(at, 10.0, 5))  # opens, and the playground shows the divergence itself
    assert at.session_state.settings == Settings(learning_rate=10.0, iterations=200)
    click(at, "train")
    for _ in range(25):  # 10 steps a tick
        if at.session_state.run.status == DIVERGED:
            break
        ok(at.run())
    assert at.session_state.run.status == DIVERGED and "diverged" in texts(at.error)[0]


# --- Compare runs -------------------------------------------------------------------------------


def two_runs(query: dict[str, str] | None = None) -> AppTest:
    """Step, Reset, Step: run one is logged, run two is the current one."""
    at = click(app(query), "step")
    first = at.session_state.run
    assert first.status == PAUSED and first.iteration > 0
    click(at, "reset")
    click(at, "step")
    second = at.session_state.run
    assert second is not first and second.iteration == first.iteration
    return at


def test_compare_without_runs():
    at = page(app(), COMPARE)
    assert texts(at.info) == ["No runs yet: train something in the Playground and come back."]
    assert not at.get("plotly_chart") and not at.dataframe


def test_compare_lists_both_runs_and_overlays_them(media):
    at = two_runs({"test": "0.2", "iters": "1000"})
    serials = [next(iter(at.session_state.records.values()))["run"], at.session_state.run.serial]
    page(at, COMPARE)
    table = at.dataframe[0].value
    assert list(table["run"]) == serials
    step = Settings(test_share=0.2, iterations=1000).steps_per_update()  # one Step each
    assert list(table["iteration"]) == [step, step]
    assert list(table["status"]) == ["paused", "paused"]
    assert set(table["test_share"]) == {0.2}

    content, mimetype, filename = download(at, media, "Table (CSV)")
    assert (mimetype, filename) == ("text/csv", "twolayer-runs.csv")
    rows = list(csv.reader(io.StringIO(content)))
    assert len(rows) == 3 and rows[0][:3] == ["run", "dataset", "noise"]
    assert [int(r[0]) for r in rows[1:]] == serials
    header = rows[0]
    assert [float(r[header.index("train cost")]) for r in rows[1:]] == pytest.approx(list(table["train cost"]))

    chosen = at.multiselect[0]
    assert len(chosen.value) == 2 and len(chosen.options) == 2
    charts = plotly_charts(at)
    assert set(charts) == {"compare_curves"} | {f"compare_boundary_{s}" for s in serials}
    names = [t["name"] for t in charts["compare_curves"]["data"]]
    assert names == [f"#{serials[0]} train", f"#{serials[0]} test", f"#{serials[1]} train", f"#{serials[1]} test"]
    for s in serials:
        boundary = charts[f"compare_boundary_{s}"]
        assert boundary["layout"]["title"]["text"] == f"#{s}"
        assert any(t["type"] == "heatmap" for t in boundary["data"])

    ok(chosen.set_value(chosen.value[:1]).run())
    assert "Pick at least two runs." in texts(at.caption)
    assert set(plotly_charts(at)) == set()


def test_compare_picks_any_two_of_three_runs():
    at = two_runs()
    ok(by_label(at.sidebar.slider, "Hidden units").set_value(3).run())  # a new network: run two is logged
    click(at, "step")
    page(at, COMPARE)
    assert len(at.dataframe[0].value) == 3
    chosen = at.multiselect[0]
    assert len(chosen.options) == 3 and chosen.value == chosen.options[1:]  # the last two by default
    assert "3 hidden" in chosen.value[-1]
    ok(chosen.set_value([chosen.options[0], chosen.options[2]]).run())
    first, third = (int(o.split(":")[0].lstrip("#")) for o in (chosen.options[0], chosen.options[2]))
    assert set(plotly_charts(at)) == {"compare_curves", f"compare_boundary_{first}", f"compare_boundary_{third}"}


# --- How it works -------------------------------------------------------------------------------


def how_it_works(steps: bool = True) -> AppTest:
    at = app()
    if steps:
        click(at, "step")
    return page(at, HOW)


def test_how_it_works_shows_four_equations_beside_their_code():
    at = how_it_works()
    run = at.session_state.run
    assert texts(at.caption)[0] == (
        f"Everything below uses the playground's network at iteration {run.iteration:,} (5 hidden units, tanh)."
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


def point_values(at: AppTest) -> dict:
    table = at.dataframe[0].value
    return {"Z1": table["Z1"].to_numpy(), "A1": table["A1"].to_numpy(), "W2": table["W2"].to_numpy()}


def test_point_inspector_follows_the_chosen_point():
    at = how_it_works()
    run = at.session_state.run
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


def test_how_it_works_without_a_run_uses_a_fresh_network():
    at = AppTest.from_file(APP, default_timeout=60)
    ok(at.run())
    del at.session_state["run"]
    page(at, HOW)
    assert "at iteration 0 (5 hidden units, tanh)" in texts(at.caption)[0]
    units = plotly_charts(at)["units"]
    assert len([t for t in units["data"] if t["type"] == "heatmap"]) == 5


# --- Your data ----------------------------------------------------------------------------------

GOOD = to_csv(*make_dataset("moons", 120, 0.2, random_state=3)).encode()
SCRIPT_LABEL = b"x1,x2,label\n" + b"0.1,0.2,0\n" * 5 + b"0.3,0.4,<script>alert(1)</script>\n" + b"0.5,0.6,1\n" * 5
JUNK = bytes(range(256)) * 4


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    return ok(at.file_uploader(key="uploader").set_value((name, content, "text/csv")).run())


def test_your_data_before_an_upload():
    at = page(app(), YOUR_DATA)
    assert texts(at.info) == ["No data uploaded yet: the playground uses its generated datasets."]
    assert by_label(at.get("download_button"), "Example file (200 points of moons)")
    assert at.file_uploader(key="uploader").allowed_type == [".csv", ".txt"]


def test_example_file_is_a_loadable_csv(media):
    at = page(app(), YOUR_DATA)
    content, mimetype, filename = download(at, media, "Example file (200 points of moons)")
    assert (mimetype, filename) == ("text/csv", "example-moons.csv")
    X, y = load_csv(content)
    assert X.shape == (200, 2) and set(y) == {0, 1}


def test_upload_then_train_on_it_in_the_playground():
    at = upload(page(app(), YOUR_DATA), "my moons (1).csv", GOOD)
    assert texts(at.success) == ["Loaded 120 points."]
    assert texts(at.caption) == ["In use: mymoons1.csv: 120 points, 60 of class 0 and 60 of class 1."]
    X, y = load_csv(GOOD)
    stored = at.session_state.upload
    np.testing.assert_array_equal(stored["X"], X)
    np.testing.assert_array_equal(stored["y"], y)
    assert set(plotly_charts(at)) == {"preview"}

    landed_on_playground(click(at, label="Train on it in the playground"))
    assert at.session_state.settings.dataset == UPLOAD
    dataset = by_label(at.sidebar.selectbox, "Dataset")
    assert dataset.value == UPLOAD and "Your data (mymoons1.csv)" in dataset.options
    assert at.query_params == {"data": "upload"}
    run = at.session_state.run
    expected = build_data(Settings(dataset=UPLOAD), (X, y))
    np.testing.assert_array_equal(run.data[0], expected[0])
    assert run.data[0].shape == (2, 120)
    click(at, "step")
    assert at.session_state.run.iteration > 0


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
    at = upload(page(app(), YOUR_DATA), "good.csv", GOOD)
    good = at.session_state.upload
    upload(at, name, content)
    assert texts(at.error) == ["This file cannot be used; the data you had stays in use."]
    shown = texts(at.text)
    assert len(shown) == 1 and shown[0].startswith(message), shown
    assert not any("<script" in m for m in texts(at.markdown))  # the file's text is never Markdown/HTML
    assert at.session_state.upload is good
    assert texts(at.caption) == ["In use: good.csv: 120 points, 60 of class 0 and 60 of class 1."]
    assert not at.success


def test_a_broken_first_upload_leaves_no_data():
    at = upload(page(app(), YOUR_DATA), "junk.csv", JUNK)
    assert texts(at.error) == ["This file cannot be used; the data you had stays in use."]
    assert "upload" not in at.session_state
    assert texts(at.info) == ["No data uploaded yet: the playground uses its generated datasets."]


def test_forget_this_data_goes_back_to_moons():
    at = upload(page(app(), YOUR_DATA), "good.csv", GOOD)
    landed_on_playground(click(at, label="Train on it in the playground"))
    page(at, YOUR_DATA)
    ok(at.file_uploader(key="uploader").clear().run())
    assert texts(at.caption)[0].startswith("In use: good.csv")  # removing the file keeps the data
    click(at, label="Forget this data")
    assert "upload" not in at.session_state
    assert at.session_state.settings.dataset == "moons"
    page(at, PLAYGROUND)
    dataset = by_label(at.sidebar.selectbox, "Dataset")
    assert dataset.value == "moons" and not any(o.startswith("Your data") for o in dataset.options)


def test_an_upload_set_in_session_state_is_used():
    """The page logic without the uploader: data put into the session as the page stores it."""
    at = app()
    X, y = load_csv(GOOD)
    at.session_state["upload"] = {"X": X, "y": y, "name": "direct.csv", "digest": "0123456789abcdef"}
    page(at, YOUR_DATA)
    assert texts(at.caption) == ["In use: direct.csv: 120 points, 60 of class 0 and 60 of class 1."]
    landed_on_playground(click(at, label="Train on it in the playground"))
    assert at.session_state.run.data_id[-1] == "0123456789abcdef"
    assert at.session_state.run.data[0].shape == (2, 120)


# --- Presenter mode -----------------------------------------------------------------------------

SCENE_KEYS = [f"scene-{name}" for name in SCENES]


def scene_buttons(at: AppTest) -> list[str]:
    return [b.key for b in at.button if b.key and b.key.startswith("scene-")]


def test_presenter_link_opens_the_scene():
    at = app({"present": "1", "scene": "overfit"})
    assert scene_buttons(at) == SCENE_KEYS
    assert [button(at, k).label for k in SCENE_KEYS] == [s.title for s in SCENES.values()]
    overfit = SCENES["overfit"].settings
    assert at.session_state.settings == overfit and at.session_state.run.settings == overfit
    assert by_label(at.sidebar.slider, "Hidden units").value == 64
    assert by_label(at.sidebar.select_slider, "Iterations").value == 20_000
    assert by_label(at.sidebar.slider, "Samples").value == 50
    assert at.toggle(key="present").value is True
    assert at.query_params == to_query(overfit) | {"present": "1"}  # scene= becomes the settings it stands for
    assert texts(at.caption)[0] == "Ready."  # presenter mode: short status
    assert not at.warning


def test_a_scene_button_starts_training_and_too_high_diverges():
    at = app({"present": "1", "scene": "overfit"})
    click(at, "scene-too-high")
    assert at.session_state.settings == SCENES["too-high"].settings
    assert by_label(at.sidebar.select_slider, "Learning rate").value == 10.0
    run = at.session_state.run
    for _ in range(5):
        if run.status == DIVERGED:
            break
        ok(at.run())
    assert run.status == DIVERGED
    errors = texts(at.error)
    assert len(errors) == 1 and "diverged" in errors[0]
    assert texts(at.caption)[0].startswith("Stopped at iteration")
    assert at.query_params == {"lr": "10", "present": "1"}


def test_a_scene_while_training_replaces_the_run():
    at = app({"present": "1"})
    click(at, "scene-underfit")
    first = at.session_state.run
    assert first.status == RUNNING and first.settings.hidden_size == 1
    ok(at.run())
    click(at, "scene-noisy")
    run = at.session_state.run
    assert run is not first and run.status == RUNNING and run.settings == SCENES["noisy"].settings
    assert first.serial in at.session_state.records  # the replaced run is logged for Compare runs


def test_presenter_toggle_shows_and_hides_the_scenes():
    at = app()
    assert scene_buttons(at) == [] and "present" not in at.query_params
    assert "#### Watch a two-layer network learn" in texts(at.markdown)
    ok(at.toggle(key="present").set_value(True).run())
    assert scene_buttons(at) == SCENE_KEYS
    assert at.query_params == {"present": "1"}
    assert texts(at.caption)[0] == "Ready."
    ok(at.toggle(key="present").set_value(False).run())
    assert scene_buttons(at) == []
    assert "present" not in at.query_params
    assert texts(at.caption)[0].startswith("Ready: press Train")


def test_presenter_mode_survives_other_pages():
    at = app({"present": "1"})
    page(at, HOW)
    page(at, PLAYGROUND)
    assert scene_buttons(at) == SCENE_KEYS
    assert at.query_params.get("present") == "1"


def test_an_unknown_scene_is_reported():
    at = app({"scene": "<b>nope</b>"})
    assert any("Unknown scene `'<b>nope</b>'`" in w for w in texts(at.warning))
    assert at.session_state.settings == DEFAULTS
