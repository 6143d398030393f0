"""One visitor's session (appkit.session.Session) in plain Python, without AppTest: run numbers, what a
settings change does to the run and says about it, scenes and sweep cells, uploads and data errors, the
run records and ghost curves, and sessions started from a link. Ticks are sent with a fixed size and the
start-up probe is off, so nothing here depends on the wall clock."""

from dataclasses import replace

import numpy as np
import pytest

from appkit import records
from appkit.build import Upload, build_data
from appkit.runstate import DIVERGED, DONE, PAUSED, READY, RUNNING
from appkit.scenes import SCENES
from appkit.session import MAX_GHOSTS, Session
from appkit.settings import DEFAULTS, UPLOAD, Settings, from_query

SMALL = Settings(samples=200, hidden_size=4, iterations=500)  # fast, and not the defaults


def session(settings: Settings = SMALL) -> Session:
    return Session(settings, probe=False)


def train_to_end(s: Session, tick: int = 1000):
    """What the playground's fragment does while the run trains: ticks, then the record when it stops."""
    run = s.current_run()
    while run.status == RUNNING:
        run.tick(tick)
    s.finished(run)
    return run


def csv_bytes(labels) -> bytes:
    return (
        "x1,x2,label\n" + "".join(f"{i / 7!r},{(i % 5) / 3!r},{label}\n" for i, label in enumerate(labels))
    ).encode()


BALANCED = csv_bytes([i % 2 for i in range(40)])


# --- run numbers ---------------------------------------------------------------------------------


def test_run_numbers_start_at_one_in_every_session_and_are_not_shared():
    first, second = session(), session()
    assert first.current_run().serial == 1
    for expected in (2, 3, 4):
        first.step(1)
        first.reset()
        assert first.run.serial == expected
    assert second.current_run().serial == 1  # another visitor's runs do not count
    second.step(1)
    second.reset()
    assert second.run.serial == 2 and first.run.serial == 4


def test_a_run_that_never_stepped_gives_its_number_to_the_next():
    s = session()
    s.apply(replace(SMALL, hidden_size=8))
    s.start_scene("tutorial")
    assert s.run.serial == 1 and s.all_records() == [] and s.ghosts == []


# --- settings changes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "note"),
    [
        ({"samples": 300}, "New data (n 200 → 300): the run starts afresh."),
        ({"dataset": "xor", "noise": 0.1}, "New data (data moons → xor, noise 0.2 → 0.1): the run starts afresh."),
        ({"test_share": 0.25}, "New data (test 0 → 0.25): the run starts afresh."),
        ({"hidden_size": 8}, "New network (hidden 4 → 8): the run starts afresh."),
        ({"activation": "relu"}, "New network (act tanh → relu): the run starts afresh."),
        ({"init_seed": 7}, "New network (iseed 0 → 7): the run starts afresh."),
        ({"batch_size": 32}, "New network (batch full → 32): the run starts afresh."),
        ({"features": ("x1^2", "x2^2")}, "New network (feat x1,x2 → x1^2,x2^2): the run starts afresh."),
        ({"l1": 0.01, "activation": "linear"}, "New network (act tanh → linear, l1 0 → 0.01): the run starts afresh."),
    ],
)
def test_data_or_network_changes_start_afresh_with_a_note(change, note):
    s = session()
    old = s.current_run()
    s.train()
    old.tick(100)
    run = s.apply(replace(SMALL, **change))
    assert run is s.run and run is not old and s.note == note
    assert run.status == READY and run.iteration == 0 and run.settings == s.settings == replace(SMALL, **change)
    assert old.status == PAUSED and old.iteration == 100  # the old run stops ticking and keeps its steps
    assert [r["run"] for r in s.all_records()] == [1]  # recorded, and the new run has no steps yet


def test_discretize_and_show_test_data_change_only_how_the_run_is_shown():
    s = session(replace(SMALL, test_share=0.3))
    run = s.current_run()
    run.step(10)
    shown = replace(s.settings, discretize=True, show_test=False)
    assert s.apply(shown) is run and run.settings == s.settings == shown and s.note is None
    assert run.iteration == 10 and s.url_query() == {"n": "200", "hidden": "4", "iters": "500", "test": "0.3"} | {
        "disc": "1", "showtest": "0",
    }  # fmt: skip


def test_regenerate_draws_new_points_from_the_next_data_seed():
    s = session()
    old = s.current_run()
    old.step(10)
    s.widgets_stale = False
    s.regenerate()
    assert s.settings == s.run.settings == replace(SMALL, data_seed=1) and s.widgets_stale  # the seed box shows it
    assert s.run is not old and s.run.status == READY and s.note == "New data (dseed 0 → 1): the run starts afresh."
    assert s.url_query()["dseed"] == "1"
    assert not np.array_equal(s.run.data[0], old.data[0])
    np.testing.assert_array_equal(s.run.data[0], build_data(replace(SMALL, data_seed=1))[0])
    s.apply(replace(SMALL, data_seed=2**32 - 1))
    s.regenerate()
    assert s.settings.data_seed == 0  # past the largest seed: back to 0


def test_an_edited_weight_is_noted_recorded_and_in_the_downloads():
    s = session()
    run = s.current_run()
    run.step(10)
    s.page_stale = False
    assert s.edit_weight("W2", (0, 1), 2.5) is True
    assert s.note == "W2[0, 1] = 2.5 from iteration 10 on." and run.trainer.params["W2"][0, 1] == 2.5
    assert s.page_stale  # the edit arrives in the live view: the page redraws its note and buttons
    (record,) = s.all_records()
    assert record["edited weights"] == 1 and record["edits"] == [(10, "W2", (0, 1), 2.5)]
    assert records.table_rows([record])[0]["edited weights"] == 1


def test_the_iterations_and_speed_change_the_budget_not_the_run():
    s = session()
    run = s.current_run()
    run.step(100)
    assert s.apply(replace(SMALL, iterations=1000, speed=50)) is run
    assert run.target == 1000 and run.settings.speed == 50 and s.note is None
    run.step(run.remaining)
    assert s.apply(replace(SMALL, iterations=2000, speed=50)) is run
    assert run.status == DONE and run.iteration == 1000  # iterations do not reopen a done run: Train N more does


def test_a_learning_rate_change_while_paused_continues_and_is_recorded_once_it_ran():
    s = session()
    run = s.current_run()
    run.step(100)
    assert s.apply(replace(SMALL, learning_rate=1.0)) is run
    assert run.status == PAUSED and s.note == "Learning rate 1 from iteration 100 on."
    assert s.all_records()[0]["learning rates"] == "0.3"  # not run yet
    s.step(10)
    assert s.all_records()[0]["learning rates"] == "0.3 → 1"


def test_a_learning_rate_change_before_any_step_just_sets_the_rate():
    s = session()
    run = s.current_run()
    assert s.apply(replace(SMALL, learning_rate=1.0)) is run
    assert run.lr_schedule == [(0, 1.0)] and s.note is None and run.status == READY


def test_a_learning_rate_change_during_train_n_more_goes_on():
    s = session()
    s.train()
    run = train_to_end(s)
    s.more(500)
    run.tick(100)
    assert s.apply(replace(SMALL, learning_rate=1.0)) is run
    assert run.status == RUNNING and run.target == 1000
    train_to_end(s)
    assert run.iteration == 1000 and run.lr_schedule == [(0, 0.3), (600, 1.0)]


@pytest.mark.parametrize("state", [DONE, DIVERGED])
def test_a_learning_rate_change_after_the_run_stopped_starts_afresh_and_says_so(state):
    start = SMALL if state == DONE else Settings(learning_rate=10.0)
    s = session(start)
    s.train()
    old = train_to_end(s)
    assert old.status == state
    new_rate = 1.0 if state == DONE else 0.3
    run = s.apply(replace(start, learning_rate=new_rate))
    assert run is not old and run.status == READY and run.lr_schedule == [(0, new_rate)]
    said = "is done" if state == DONE else "diverged"
    rates = f"{start.learning_rate:g} → {new_rate:g}"
    assert s.note == f"Learning rate {rates}: the last run {said}, so a new run starts with it."
    (record,) = s.all_records()  # the old run; the new one has no steps yet
    assert record["run"] == 1 and record["learning rates"] == f"{start.learning_rate:g}"  # only the rate that ran
    assert record["status"] == state and old.lr_schedule == [(0, start.learning_rate)]


# --- scenes and sweep cells ---------------------------------------------------------------------


def test_a_scene_starts_a_fresh_run_and_trains_whatever_ran_before():
    """The speaker's demo: the tutorial's run, then "too high" (it diverges), then the tutorial again."""
    s = session(DEFAULTS)
    s.start_scene("tutorial")
    first = s.run
    assert first.status == RUNNING and first.settings == SCENES["tutorial"].settings and s.widgets_stale
    assert train_to_end(s).status == DONE
    s.start_scene("too-high")
    second = s.run
    assert second is not first and second.status == RUNNING and second.settings.learning_rate == 10.0
    assert train_to_end(s).status == DIVERGED
    s.start_scene("tutorial")
    third = s.run
    assert third is not second and third.status == RUNNING and third.iteration == 0
    assert train_to_end(s).status == DONE
    np.testing.assert_array_equal(third.trainer.history["cost"], first.trainer.history["cost"])
    assert [r["run"] for r in s.all_records()] == [1, 2, 3] and s.note is None


def test_a_scene_while_training_replaces_the_running_run():
    s = session(DEFAULTS)
    s.start_scene("tutorial")
    first = s.run
    first.tick(100)
    s.start_scene("tutorial")
    assert s.run is not first and s.run.status == RUNNING and first.status == PAUSED


def test_a_sweep_cell_opens_its_settings_trains_and_says_what_changed():
    s = session()
    s.current_run().step(10)
    cell = replace(SMALL, learning_rate=1.0, hidden_size=8, iterations=200)
    s.open(cell, note="From the sweep: lr 0.3 → 1, hidden 4 → 8, iters 500 → 200.")
    assert s.settings == s.run.settings == cell and s.run.status == RUNNING and s.widgets_stale
    assert s.note == "From the sweep: lr 0.3 → 1, hidden 4 → 8, iters 500 → 200."
    train_to_end(s)
    assert s.run.status == DONE and s.note.startswith("From the sweep")  # it stays until the next change
    s.apply(replace(cell, speed=50))
    assert s.note is None


# --- uploads ----------------------------------------------------------------------------------------


def test_an_upload_is_recorded_as_its_file_and_rows_without_noise():
    s = session()
    s.set_upload(Upload.read(BALANCED, "my points.csv"))
    s.use_upload()
    run = s.run
    assert s.settings.dataset == UPLOAD and run.data[0].shape == (2, 40) and s.widgets_stale
    assert s.note == "New data (data moons → upload): the run starts afresh."
    assert s.describe_data() == "your data: mypoints.csv (40 rows)"
    run.step(5)
    (record,) = s.all_records()
    assert (record["dataset"], record["noise"], record["samples"]) == ("upload: mypoints.csv", None, 40)
    s.forget_upload()
    assert s.upload is None and s.settings.dataset == "moons" and s.run.data[0].shape == (2, 200)
    assert s.all_records()[0]["dataset"] == "upload: mypoints.csv"  # the retired run keeps what it was


def test_a_new_upload_is_used_when_the_playground_trains_on_it():
    s = session()
    s.set_upload(Upload.read(BALANCED, "first.csv"))
    s.use_upload()
    first = s.run
    first.step(5)
    second_file = csv_bytes([i % 2 for i in range(30)])
    s.set_upload(Upload.read(second_file, "second.csv"))
    s.use_upload()
    assert s.run is not first and s.run.data[0].shape == (2, 30)
    assert s.note == "New data (a new upload): the run starts afresh."
    s.run.step(5)
    assert [(r["dataset"], r["samples"]) for r in s.all_records()] == [
        ("upload: first.csv", 40),
        ("upload: second.csv", 30),
    ]


def test_settings_whose_data_cannot_be_built_leave_the_run_and_settings_in_place():
    """An upload whose class 1 has a single row cannot be split into train and test."""
    s = session()
    s.set_upload(Upload.read(csv_bytes([0] * 10 + [1]), "lonely.csv"))
    s.use_upload()  # no test share: it trains
    run = s.run
    run.step(3)
    settings = s.settings
    s.widgets_stale = False
    assert s.apply(replace(settings, test_share=0.3)) is run
    assert s.run is run and s.settings == settings and run.iteration == 3
    assert s.error == (
        "These settings cannot be used: each class needs at least 2 rows for a train/test split; "
        "class 1 has 1. The previous settings stay."
    )
    assert s.widgets_stale  # the sidebar goes back to the settings in force
    s.apply(replace(settings, learning_rate=1.0))  # the next good change clears the error
    assert s.error is None


# --- records and ghosts -------------------------------------------------------------------------------


def test_records_keep_the_last_max_records_runs():
    s = session(replace(SMALL, samples=50, hidden_size=1))
    for _ in range(records.MAX_RECORDS + 5):
        s.step(1)
        s.reset()
    numbers = [r["run"] for r in s.all_records()]
    assert numbers == list(range(6, records.MAX_RECORDS + 6))  # the current run has no steps: not listed
    s.step(1)
    assert len(s.all_records()) == records.MAX_RECORDS + 1 and s.all_records()[-1]["run"] == 56


def test_a_record_holds_the_runs_numbers_curve_and_parameters():
    s = session(replace(SMALL, test_share=0.3))
    run = s.current_run()
    run.step(20)
    (record,) = s.all_records()
    assert set(records.TABLE_COLUMNS) <= set(record)
    assert record["iteration"] == 20 and record["train cost"] == run.trainer.history["cost"][-1]
    np.testing.assert_array_equal(record["costs"], run.trainer.history["cost"])
    np.testing.assert_array_equal(record["params"]["W1"], run.trainer.params["W1"])
    assert [list(row) for row in records.table_rows([record])] == [list(records.TABLE_COLUMNS)]


def test_ghosts_are_the_last_runs_with_short_labels():
    s = session()
    for lr in (1.0, 10.0, 0.3):  # each change after Done starts a new run
        s.train()
        train_to_end(s)
        s.apply(replace(s.settings, learning_rate=lr))
    assert [label for label, _ in s.ghosts] == ["#1 · lr 0.3", "#2 · lr 1", "#3 · lr 10"]
    assert len(s.ghosts[2][1]) == s.records[3]["iteration"]  # the diverged run's curve, up to where it stopped
    for _ in range(MAX_GHOSTS + 2):
        s.step(2)
        s.reset()
    assert len(s.ghosts) == MAX_GHOSTS and s.ghosts[-1][0] == f"#{s.run.serial - 1} · same settings"
    s.step(1)
    s.reset()  # a run of one step leaves no curve to draw
    assert len(s.ghosts) == MAX_GHOSTS and s.ghosts[-1][0] == f"#{s.run.serial - 2} · same settings"
    s.clear_ghosts()
    assert s.ghosts == []


# --- sessions from a link -------------------------------------------------------------------------


def test_a_scene_link_in_presenter_mode_trains_at_once():
    s = Session.from_url({"scene": "overfit", "present": "1", "lr": "3"}, probe=False)
    assert s.presenter and s.warnings == [] and s.settings == SCENES["overfit"].settings  # the scene wins
    assert s.current_run().status == RUNNING and s.run.settings == SCENES["overfit"].settings
    assert s.url_query() == {"n": "50", "noise": "0.35", "hidden": "64", "lr": "1", "iters": "20000", "test": "0.5"} | {
        "present": "1"
    }


def test_a_link_with_every_new_setting_restores_them():
    query = {
        "data": "circles", "n": "300", "test": "0.2", "batch": "16", "feat": "x1^2,x2^2,x1*x2", "act": "linear",
        "l1": "0.003", "disc": "1", "showtest": "0",
    }  # fmt: skip
    s = Session.from_url(query, probe=False)
    assert s.warnings == [] and s.url_query() == query
    assert s.settings == Settings(
        dataset="circles", samples=300, test_share=0.2, batch_size=16, features=("x1^2", "x2^2", "x1*x2"),
        activation="linear", l1=0.003, discretize=True, show_test=False,
    )  # fmt: skip
    run = s.current_run()
    assert run.trainer.params["W1"].shape == (5, 3)
    run.step(14)
    assert run.trainer.epoch == 0  # 240 training points in batches of 16: 15 steps an epoch
    run.step(1)
    assert run.trainer.epoch == 1


def test_the_features_scene_link_trains_one_hidden_unit_on_squares():
    s = Session.from_url({"scene": "features"}, probe=False)
    scene = SCENES["features"].settings
    assert s.settings == scene and (scene.dataset, scene.features, scene.hidden_size) == (
        "circles", ("x1^2", "x2^2"), 1,
    )  # fmt: skip
    assert s.current_run().status == RUNNING and s.run.trainer.params["W1"].shape == (1, 2)


def test_a_settings_link_restores_them_ready_to_train():
    query = {"data": "circles", "hidden": "8", "lr": "1", "dseed": "4294967295"}
    s = Session.from_url(query, probe=False)
    assert s.settings == Settings(dataset="circles", hidden_size=8, learning_rate=1.0, data_seed=2**32 - 1)
    assert not s.presenter and s.warnings == [] and s.url_query() == query
    assert s.current_run().status == READY


@pytest.mark.parametrize(
    ("present", "on"),
    [("1", True), ("true", True), (["0", "yes"], True), ("0", False), ("", False), ("on", False), (["1", "0"], False)],
)
def test_presenter_mode_is_on_for_1_true_or_yes(present, on):
    assert Session.from_url({"present": present}, probe=False).presenter is on


def test_a_link_with_bad_values_an_unknown_scene_and_an_upload_warns_and_uses_the_defaults():
    query = {"lr": "banana", "scene": "<b>nope</b>", "data": "upload", "hidden": "8"}
    s = Session.from_url(query, probe=False)
    assert s.settings == replace(DEFAULTS, hidden_size=8)
    assert s.warnings == [
        *from_query(query)[1],
        "Unknown scene `'<b>nope</b>'`; scenes are tutorial, too-high, underfit, overfit, noisy, features.",
        "The link uses uploaded data, which is not in this browser session: using moons.",
    ]
    assert s.current_run().status == READY and s.run.settings == s.settings
    s.train()
    assert s.warnings == []  # read by now


def test_a_sessions_data_is_the_one_build_data_makes():
    s = session(replace(SMALL, dataset="spiral", test_share=0.2, data_seed=5))
    for ours, built in zip(s.current_run().data, build_data(s.settings), strict=True):
        np.testing.assert_array_equal(ours, built)
