"""Playground: train the network live; the cost falls on the left while the boundary bends on the right."""

import time

import numpy as np
import streamlit as st

from appkit import controls, downloads, records, server_load
from appkit.live_chart import live_chart
from appkit.navigation import ensure_app
from appkit.runstate import DIVERGED, DONE, PAUSED, READY, RUNNING, Run
from appkit.scenes import SCENES
from appkit.settings import UPLOAD, URL_NAMES, Settings, describe_change, from_query, markdown_code, to_query
from twolayer.figures import boundary_figure, cost_figure, plot_range

TICK_SECONDS = 0.1  # one chart update per tick while training, when few sessions train at once
RETIME_SECONDS = 0.5  # a running session re-times its ticks (a full rerun) at most this often
TICK_BUDGET = 0.15  # with the auto speed, at most this much training per tick (50,000 x 5,000 x 64 stays smooth)
CHART_HEIGHT, BIG_CHART_HEIGHT = 440, 520
MAX_GHOSTS = 6
# Less empty space above the title, so charts and metrics fit a 1280x800 laptop screen.
COMPACT_CSS = "<style>[data-testid='stMainBlockContainer'] {padding-top: 2.5rem; padding-bottom: 1rem}</style>"
# Presenter mode: larger metrics and buttons for the back of the room.
BIG_CSS = """<style>
[data-testid='stMetricValue'] {font-size: clamp(1.6rem, 2.4vw, 3rem)}
[data-testid='stMetricLabel'] p {font-size: clamp(1rem, 1.1vw, 1.3rem); white-space: normal}
[data-testid='stMainBlockContainer'] button p {font-size: clamp(0.95rem, 1.05vw, 1.25rem); white-space: normal}
[data-testid='stCaptionContainer'] p {font-size: clamp(1rem, 1.1vw, 1.25rem)}
</style>"""


@st.cache_data(max_entries=16, show_spinner=False)
def load_data(settings: Settings, upload_digest: str | None, _uploaded) -> tuple:
    """The run's data; `_uploaded` (X, y) is not hashed, its digest stands for it."""
    return downloads.build_data(settings, _uploaded if settings.dataset == UPLOAD else None)


def upload() -> dict | None:
    return st.session_state.get("upload")


def data_id(settings: Settings) -> tuple:
    up = upload()
    return settings.data_key() + ((up["digest"],) if settings.dataset == UPLOAD and up else ())


def new_run(settings: Settings) -> Run:
    up = upload()
    uploaded = (up["X"], up["y"]) if up else None
    data = load_data(settings, up["digest"] if up else None, uploaded)
    return Run.start(settings, data, serial=records.new_serial(), data_id=data_id(settings))


def start_session() -> None:
    """First run of a session: settings from the URL (or a scene), a warning for every bad value."""
    if st.session_state.get("started"):
        return
    query = st.query_params.to_dict()
    settings, warnings = from_query(query)
    if "settings" in st.session_state and not query.keys() & (set(URL_NAMES) | {"scene"}):
        settings = st.session_state.settings  # chosen on another page (a sweep cell, an upload)
    scene = query.get("scene")
    if scene is not None:
        if scene in SCENES:
            settings = SCENES[scene].settings
        else:
            warnings.append(f"Unknown scene {markdown_code(repr(scene[:40]))}; scenes are {', '.join(SCENES)}.")
    if settings.dataset == UPLOAD and not upload():
        warnings.append("The link uses uploaded data, which is not in this browser session: using moons.")
        settings = Settings(**(settings.__dict__ | {"dataset": "moons"}))
    controls.set_widgets(settings)
    st.session_state.settings = settings
    st.session_state.presenter = query.get("present") in ("1", "true", "yes")
    st.session_state.url_warnings = warnings
    st.session_state.ghosts = []
    st.session_state.records = {}
    st.session_state.started = True


def sync_url(settings: Settings) -> None:
    wanted = to_query(settings) | ({"present": "1"} if st.session_state.get("present") else {})
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def remember(run: Run) -> None:
    """Logs the run for the Compare page (once it has steps) and keeps its curve as a ghost."""
    if run.iteration:
        st.session_state.records = st.session_state.records | {run.serial: records.record(run)}


def keep_ghost(run: Run, new: Settings) -> None:
    """Keeps a stopped run's cost curve, faded, labelled with what differs from the next run."""
    remember(run)
    if run.iteration < 2:
        return
    change = describe_change(new, run.settings)
    label = f"#{run.serial} " + (change.replace(" → ", " was ") if change else "same settings")
    ghosts = st.session_state.ghosts + [(label, run.trainer.history["cost"].copy())]
    st.session_state.ghosts = ghosts[-MAX_GHOSTS:]


def sync_run(settings: Settings) -> Run:
    """The current run, continued or started afresh to match the settings."""
    run: Run | None = st.session_state.get("run")
    if run is None:
        run = st.session_state.run = new_run(settings)
        return run
    if run.data_id != data_id(settings) or run.settings.model_key() != settings.model_key():
        what = "New data" if run.data_id != data_id(settings) else "New network"
        change = describe_change(run.settings, settings) or "a new upload"
        st.session_state.note = f"{what} ({change}): the run starts afresh."
        run.pause()
        keep_ghost(run, settings)
        run = st.session_state.run = new_run(settings)
        return run
    note = run.update_settings(settings)
    if note:
        st.session_state.note = note
    return run


# --- button callbacks: they run before the script, on the run in session state -------------------


def on_play() -> None:
    st.session_state.url_warnings = []  # read by now
    st.session_state.run.play()


def on_pause() -> None:
    st.session_state.run.pause()


def on_step() -> None:
    run = st.session_state.run
    run.advance(run.settings.steps_per_update())


def on_reset() -> None:
    run = st.session_state.run
    run.pause()
    keep_ghost(run, run.settings)
    st.session_state.run = Run.start(run.settings, run.data, serial=records.new_serial(), data_id=run.data_id)


def on_clear_ghosts() -> None:
    st.session_state.ghosts = []


def on_scene(name: str) -> None:
    """One click: the scene's settings, a fresh run, and training starts."""
    settings = SCENES[name].settings
    controls.set_widgets(settings)
    st.session_state.settings = settings
    st.session_state.play_scene = name


def scene_row() -> None:
    cells = st.columns(len(SCENES))
    for cell, (name, scene) in zip(cells, SCENES.items(), strict=True):
        cell.button(
            scene.title,
            key=f"scene-{name}",
            on_click=on_scene,
            args=(name,),
            help=scene.caption,
            width="stretch",
        )


def run_controls(run: Run, present: bool) -> None:
    play, step, reset, clear, status = st.columns([1, 1, 1, 1.3, 4], vertical_alignment="center")
    if run.status == RUNNING:
        play.button("Pause", key="pause", icon=":material/pause:", on_click=on_pause, width="stretch")
    elif run.status == PAUSED:
        play.button(
            "Resume", key="resume", icon=":material/play_arrow:", on_click=on_play, type="primary", width="stretch"
        )
    else:
        play.button(
            "Train",
            key="train",
            icon=":material/play_arrow:",
            on_click=on_play,
            type="primary",
            width="stretch",
            disabled=run.status != READY,
        )
    step.button(
        "Step",
        key="step",
        icon=":material/skip_next:",
        on_click=on_step,
        disabled=run.status not in (READY, PAUSED),
        help=f"Advance {run.settings.steps_per_update():,} steps",
        width="stretch",
    )
    reset.button(
        "Reset",
        key="reset",
        icon=":material/restart_alt:",
        on_click=on_reset,
        disabled=run.iteration == 0 and run.status != RUNNING,  # drawn before the first tick of a run
        help="Start again with the same seeds",
        width="stretch",
    )
    clear.button(
        "Clear ghosts",
        key="clear_ghosts",
        on_click=on_clear_ghosts,
        disabled=not st.session_state.ghosts,
        width="stretch",
        help="Remove the faded cost curves of earlier runs",
    )
    status.caption(status_text(run, present))


def status_text(run: Run, present: bool) -> str:
    lr = "learning rate " + " → ".join(f"{lr:g}" for _, lr in run.lr_schedule)
    ready = (
        "Ready."
        if present
        else ("Ready: press Train. Changing the learning rate later continues the run; other settings restart it.")
    )
    return {
        READY: ready,
        RUNNING: f"Training… ({lr})",
        PAUSED: f"Paused at iteration {run.iteration:,} ({lr}).",
        DONE: f"Done: {run.iteration:,} iterations in {run.seconds:.1f} s ({lr}).",
        DIVERGED: f"Stopped at iteration {run.iteration:,}: training diverged.",
    }[run.status]


def metrics_row(run: Run, upto: int) -> None:
    history = run.trainer.history
    last = lambda key: f"{history[key][upto - 1]:.4f}" if key in history and upto else "—"  # noqa: E731
    percent = lambda key: f"{100 * history[key][upto - 1]:.1f} %" if key in history and upto else "—"  # noqa: E731
    cells = st.columns(6)
    cells[0].metric(f"Iteration (of {run.settings.iterations:,})", f"{upto:,}")
    cells[1].metric("Train cost", last("cost"))
    cells[2].metric("Test cost", last("test_cost"))
    cells[3].metric("Train accuracy", percent("accuracy"))
    cells[4].metric("Test accuracy", percent("test_accuracy"))
    cells[5].metric("Steps / s", f"{run.rate:,.0f}" if run.rate else "—")


def charts(run: Run, iteration: int, params: dict, big: bool) -> None:
    X, Y, X_test, Y_test = run.data
    history = {key: values[:iteration] for key, values in run.trainer.history.items()}
    X_rows, y = X.T, Y[0].astype(int)
    X_test_rows = None if X_test is None else X_test.T
    y_test = None if Y_test is None else Y_test[0].astype(int)
    axes = plot_range(X_rows if X_test is None else np.vstack([X_rows, X_test_rows]))
    revision = "-".join(map(str, run.data_id))  # new data resets the zoom, updates keep it
    marker = iteration if iteration < run.iteration else None
    height = BIG_CHART_HEIGHT if big else CHART_HEIGHT
    left, right = st.columns(2)
    with left:
        live_chart(
            cost_figure(
                history,
                iterations=run.settings.iterations,
                ghosts=st.session_state.ghosts,
                marker=marker,
                height=height,
                big=big,
                revision=revision,
            ),
            key="cost_chart",
            height=height,
        )
    with right:
        live_chart(
            boundary_figure(
                params,
                run.settings.activation,
                X_rows,
                y,
                X_test_rows,
                y_test,
                axes=axes,
                height=height,
                big=big,
                revision=revision,
            ),
            key="boundary_chart",
            height=height,
        )


def live_view(run_every: float | None, big: bool) -> None:
    """The part that redraws on every tick. Its elements keep their places in every state, so the
    charts are never remounted (a remount would blank them and lose the user's zoom)."""

    @st.fragment(run_every=run_every)
    def view() -> None:
        run: Run = st.session_state.run
        if run.status == RUNNING:
            run.advance(run.tick_steps(TICK_BUDGET))
            if run.status != RUNNING:
                remember(run)
                st.rerun()  # finished or diverged: redraw the buttons and stop the timer
            if run_every and retime_due(run_every, server_load.tick_seconds(TICK_SECONDS, run)):
                st.rerun()  # other sessions started or stopped training: a new timer for this one
        alerts = st.container()
        if run.status == DIVERGED:
            alerts.error(run.error, icon=":material/warning:")
        metrics = st.container()
        charts_place = st.container()
        iteration, params = run.iteration, run.snapshots[-1][1]
        if run.status != RUNNING and len(run.snapshots) > 1:
            stops = [i for i, _ in run.snapshots]
            chosen = st.select_slider(
                "Replay",
                stops,
                value=stops[-1],
                key=f"replay-{run.serial}-{len(stops)}",
                format_func=lambda i: f"iteration {i:,}",
                help="Scrub through the stored snapshots of this run.",
            )
            iteration, params = run.snapshot_at(chosen)
        with metrics:
            metrics_row(run, iteration)
        with charts_place:
            charts(run, iteration, params, big)
        download_row(run)  # in the fragment: a tick that follows the final rerun draws it again

    view()


def retime_due(current: float, wanted: float) -> bool:
    """Whether this session's tick timer is far enough off the server's load to be set again (a full
    rerun), and was not just set."""
    if max(current, wanted) / min(current, wanted) < 1.5:
        return False
    now = time.monotonic()
    if now - st.session_state.get("timed_at", 0.0) < RETIME_SECONDS:
        return False
    st.session_state.timed_at = now
    return True


def download_row(run: Run) -> None:
    if run.iteration == 0 or run.status == RUNNING:
        return
    history, params = run.trainer.history, run.trainer.params
    csv_name = "data.csv" if run.settings.dataset == UPLOAD else None
    left, middle, right, _ = st.columns([1, 1, 1, 2])
    left.download_button(
        "Parameters (JSON)",
        downloads.params_json(run.settings, params, run.iteration, run.lr_schedule),
        "twolayer-params.json",
        "application/json",
        on_click="ignore",
    )
    middle.download_button(
        "Cost history (CSV)", downloads.history_csv(history), "twolayer-history.csv", "text/csv", on_click="ignore"
    )
    right.download_button(
        "Python script",
        downloads.reproduce_script(run.settings, run.lr_schedule, run.iteration, csv_name),
        "twolayer_run.py",
        "text/x-python",
        on_click="ignore",
    )


def main() -> None:
    ensure_app("pages/playground.py")
    start_session()
    up = upload()
    settings = controls.sidebar(up["name"] if up else None)
    present = st.session_state.present
    sync_url(settings)
    run = sync_run(settings)
    if st.session_state.pop("play_scene", None):
        run.play()
    st.html(COMPACT_CSS + (BIG_CSS if present else ""))
    if present:
        scene_row()
    else:
        st.markdown("#### Watch a two-layer network learn")
    with st.container():  # one element whatever it holds, so everything below keeps its place
        for warning in st.session_state.url_warnings:
            st.warning(warning, icon=":material/link:")
        if note := st.session_state.pop("note", None):
            st.info(note, icon=":material/info:")
    run_controls(run, present)
    run_every = None
    if run.status == RUNNING:  # the tick timer, set afresh by every full run
        st.session_state.timed_at = time.monotonic()
        run_every = server_load.tick_seconds(TICK_SECONDS, run)
    live_view(run_every, big=present)


main()
