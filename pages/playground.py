"""Playground: train the network live; the cost falls on the left while the boundary bends on the right."""

import numpy as np
import streamlit as st

from appkit import controls, downloads
from appkit.live_chart import live_chart
from appkit.runstate import DIVERGED, DONE, PAUSED, READY, RUNNING, Run
from appkit.settings import Settings, describe_change, from_query, to_query
from twolayer.figures import boundary_figure, cost_figure, plot_range

TICK_SECONDS = 0.12  # one chart update per tick while training
# Less empty space above the title, so charts and metrics fit a 1280x800 laptop screen.
COMPACT_CSS = "<style>[data-testid='stMainBlockContainer'] {padding-top: 2.5rem; padding-bottom: 1rem}</style>"
CHART_HEIGHT = 440
MAX_GHOSTS = 6


@st.cache_data(max_entries=16, show_spinner=False)
def load_data(settings: Settings) -> tuple:
    return downloads.build_data(settings)


def start_session() -> None:
    """First run of a session: settings from the URL, with a warning for every bad value."""
    if st.session_state.get("started"):
        return
    settings, warnings = from_query(st.query_params.to_dict())
    controls.set_widgets(settings)
    st.session_state.url_warnings = warnings
    st.session_state.ghosts = []
    st.session_state.started = True


def sync_url(settings: Settings) -> None:
    wanted = to_query(settings)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def keep_ghost(run: Run, new: Settings) -> None:
    """Keeps a finished or stopped run's cost curve, faded, labelled with what differs from the next."""
    if run.iteration < 2:
        return
    change = describe_change(new, run.settings)
    label = f"#{len(st.session_state.ghosts) + 1} " + (change.replace(" → ", " was ") if change else "same settings")
    ghosts = st.session_state.ghosts + [(label, run.trainer.history["cost"].copy())]
    st.session_state.ghosts = ghosts[-MAX_GHOSTS:]


def sync_run(settings: Settings) -> Run:
    """The current run, continued or started afresh to match the settings."""
    run: Run | None = st.session_state.get("run")
    if run is None:
        run = st.session_state.run = Run.start(settings, load_data(settings))
        return run
    if run.settings.data_key() != settings.data_key() or run.settings.model_key() != settings.model_key():
        what = "New data" if run.settings.data_key() != settings.data_key() else "New network"
        st.session_state.note = f"{what} ({describe_change(run.settings, settings)}): the run starts afresh."
        keep_ghost(run, settings)
        run.pause()
        run = st.session_state.run = Run.start(settings, load_data(settings))
        return run
    note = run.update_settings(settings)
    if note:
        st.session_state.note = note
    return run


# --- button callbacks: they run before the script, on the run in session state -------------------


def on_play() -> None:
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
    st.session_state.run = Run.start(run.settings, run.data)


def on_clear_ghosts() -> None:
    st.session_state.ghosts = []


def run_controls(run: Run) -> None:
    play, step, reset, clear, status = st.columns([1, 1, 1, 1.3, 4], vertical_alignment="center")
    if run.status == RUNNING:
        play.button("⏸ Pause", key="pause", on_click=on_pause, use_container_width=True)
    elif run.status == PAUSED:
        play.button("▶ Resume", key="resume", on_click=on_play, type="primary", use_container_width=True)
    else:
        play.button(
            "▶ Train",
            key="train",
            on_click=on_play,
            type="primary",
            use_container_width=True,
            disabled=run.status != READY,
        )
    step.button(
        "Step",
        key="step",
        on_click=on_step,
        disabled=run.status not in (READY, PAUSED),
        help=f"Advance {run.settings.steps_per_update():,} steps",
        use_container_width=True,
    )
    reset.button(
        "↺ Reset",
        key="reset",
        on_click=on_reset,
        disabled=run.iteration == 0,
        help="Start again with the same seeds",
        use_container_width=True,
    )
    clear.button(
        "Clear ghosts",
        key="clear_ghosts",
        on_click=on_clear_ghosts,
        disabled=not st.session_state.ghosts,
        use_container_width=True,
        help="Remove the faded cost curves of earlier runs",
    )
    status.caption(status_text(run))


def status_text(run: Run) -> str:
    lr = "learning rate " + " → ".join(f"{lr:g}" for _, lr in run.lr_schedule)
    return {
        READY: "Ready: press Train. Changing the learning rate later continues the run; other settings restart it.",
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


def charts(run: Run, iteration: int, params: dict) -> None:
    X, Y, X_test, Y_test = run.data
    history = {key: values[:iteration] for key, values in run.trainer.history.items()}
    X_rows, y = X.T, Y[0].astype(int)
    X_test_rows = None if X_test is None else X_test.T
    y_test = None if Y_test is None else Y_test[0].astype(int)
    axes = plot_range(X_rows if X_test is None else np.vstack([X_rows, X_test_rows]))
    revision = "-".join(map(str, run.settings.data_key()))  # new data resets the zoom, updates keep it
    marker = iteration if iteration < run.iteration else None
    left, right = st.columns(2)
    with left:
        live_chart(
            cost_figure(
                history,
                iterations=run.settings.iterations,
                ghosts=st.session_state.ghosts,
                marker=marker,
                height=CHART_HEIGHT,
                revision=revision,
            ),
            key="cost_chart",
            height=CHART_HEIGHT,
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
                height=CHART_HEIGHT,
                revision=revision,
            ),
            key="boundary_chart",
            height=CHART_HEIGHT,
        )


def live_view(run_every: float | None) -> None:
    """The part that redraws on every tick. Its elements keep their places in every state, so the
    charts are never remounted (a remount would blank them and lose the user's zoom)."""

    @st.fragment(run_every=run_every)
    def view() -> None:
        run: Run = st.session_state.run
        if run.status == RUNNING:
            run.advance(run.settings.steps_per_update())
            if run.status != RUNNING:
                st.rerun()  # finished or diverged: redraw the buttons and stop the timer
        alerts = st.container()
        if run.status == DIVERGED:
            alerts.error(run.error, icon="⚠️")
        metrics = st.container()
        charts_place = st.container()
        iteration, params = run.iteration, run.snapshots[-1][1]
        if run.status != RUNNING and len(run.snapshots) > 1:
            stops = [i for i, _ in run.snapshots]
            chosen = st.select_slider(
                "Replay",
                stops,
                value=stops[-1],
                key=f"replay-{id(run)}-{len(stops)}",
                format_func=lambda i: f"iteration {i:,}",
                help="Scrub through the stored snapshots of this run.",
            )
            iteration, params = run.snapshot_at(chosen)
        with metrics:
            metrics_row(run, iteration)
        with charts_place:
            charts(run, iteration, params)

    view()


def download_row(run: Run) -> None:
    if run.iteration == 0 or run.status == RUNNING:
        return
    history, params = run.trainer.history, run.trainer.params
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
        downloads.reproduce_script(run.settings, run.lr_schedule, run.iteration),
        "twolayer_run.py",
        "text/x-python",
        on_click="ignore",
    )


def main() -> None:
    start_session()
    settings = controls.sidebar()
    sync_url(settings)
    run = sync_run(settings)
    st.html(COMPACT_CSS)
    st.markdown("#### Watch a two-layer network learn")
    with st.container():  # one element whatever it holds, so everything below keeps its place
        for warning in st.session_state.url_warnings:
            st.warning(warning, icon="🔗")
        if note := st.session_state.pop("note", None):
            st.info(note, icon="ℹ️")
    run_controls(run)
    live_view(TICK_SECONDS if run.status == RUNNING else None)
    download_row(run)


main()
