"""What the Playground shows of a run: its status, metrics, charts, replay slider and downloads."""

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import streamlit as st

from twolayer.figures import MAX_CURVE_POINTS, cost_figure, plot_range

from . import exports
from .live_chart import live_chart
from .metric_strip import metric_strip
from .runstate import DIVERGED, DONE, PAUSED, READY, RUNNING, Run
from .settings import UPLOAD
from .stage import stage

# Chart heights follow the viewport (CSS): what is left below the controls and metrics, within bounds. The
# boundary takes the whole height on the right; the network and the cost curve share it on the left.
FULL_HEIGHT = "max(340px, min(1400px, calc(100vh - 320px)))"
HALF_HEIGHT = "max(160px, min(690px, calc(50vh - 168px)))"
LIVE_CURVE_POINTS = 300  # the cost curve's points while training (a few KB an update; 2,000 at rest)
LONG_RUN_SECONDS = 5  # a run expected to take longer shows its progress and the time left


def status_text(run: Run, present: bool) -> str:
    lr = "learning rate " + run.learning_rates
    if run.settings.batch_size:  # mini-batches: the epoch too
        lr = f"batch {run.settings.batch_size:,}, epoch {run.trainer.epoch:,}, {lr}"
    if run.edits:
        lr += f"; {len(run.edits)} weight{'s' if len(run.edits) > 1 else ''} set by hand"
    ready = "Ready." if present else "Ready: press Train. A new learning rate continues a run; others restart it."
    return {
        READY: ready,
        RUNNING: f"Training… ({lr})",
        PAUSED: f"Paused at iteration {run.iteration:,} ({lr}).",
        DONE: f"Done: {run.iteration:,} iterations in {run.seconds:.1f} s ({lr}).",
        DIVERGED: f"Stopped at iteration {run.iteration:,}: training diverged.",
    }[run.status]


def time_left(run: Run) -> str | None:
    """'40 % · about 2 min left' while a run that takes more than a few seconds trains, else None."""
    if run.status != RUNNING or not run.rate or run.target / run.rate < LONG_RUN_SECONDS:
        return None
    seconds = run.remaining / run.rate
    left = f"about {seconds / 60:.0f} min" if seconds >= 90 else f"about {max(1, round(seconds)):.0f} s"
    return f"{100 * run.iteration / run.target:.0f} % · {left} left"


def metric_labels(run: Run) -> list[str]:
    stopped = run.diverged_cost is not None  # the metric shows the cost that stopped the run, as the alert says
    train = "Cost at the stop" if stopped else "Train cost"  # short: a label on two lines would shift the charts
    return [f"Iteration (of {run.target:,})", train, "Test cost", "Train accuracy", "Test accuracy", "Steps / s"]


def metric_values(run: Run, upto: int) -> list[str]:
    """The metrics of the run's state after `upto` steps, as the page shows them (metric_labels' order)."""
    history = run.trainer.history
    last = lambda key: f"{history[key][upto - 1]:.4f}" if key in history and upto else "—"  # noqa: E731
    percent = lambda key: f"{100 * history[key][upto - 1]:.1f} %" if key in history and upto else "—"  # noqa: E731
    costs = run.costs(upto)
    return [
        f"{upto:,}",
        f"{costs[-1]:.4f}" if len(costs) else "—",
        last("test_cost"),
        percent("accuracy"),
        percent("test_accuracy"),
        f"{run.rate:,.0f}" if run.rate else "—",
    ]


def metrics_row(run: Run, big: bool) -> None:
    """The labels of the metrics above the charts; their numbers travel with the boundary stage's updates, so
    each frame shows the numbers of the state it draws (appkit/metric_strip.py)."""
    metric_strip("metrics", metric_labels(run), follow="boundary", big=big)


def replay(run: Run) -> tuple[int, dict]:
    """The iteration and parameters to show: the latest, or a stored snapshot chosen on the replay slider."""
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
    return iteration, params


def charts(run: Run, ghosts: list, big: bool, interval: float = 0.1, on_edit=None) -> None:
    """The cost curve on the left; on the right the stage: the network and the decision boundary, drawn in
    the browser from the parameters (and, while training, from the states the tick trained through); below
    them the replay slider, when the run rests. With `on_edit`, a weight typed into the network view calls
    on_edit(name, index, value) (appkit.stage). No container of their own: each is one more block a tick sends."""
    left, right = st.columns([2, 3])  # filled below, after the slider that chooses what they show
    iteration, params = replay(run)
    X, Y, X_test, Y_test = run.data
    history = {key: values[:iteration] for key, values in run.trainer.history.items()}
    history["cost"] = run.costs(iteration)  # with the cost that stopped a diverged run
    X_rows, y = X.T, Y[0].astype(int)
    X_test_rows = None if X_test is None else X_test.T
    y_test = None if Y_test is None else Y_test[0].astype(int)
    axes = plot_range(X_rows if X_test is None else np.vstack([X_rows, X_test_rows]))
    revision = "-".join(map(str, run.data_id))  # new data resets the zoom, updates keep it
    marker = iteration if iteration < run.iteration else None
    frames = run.take_frames() if iteration == run.iteration else []
    played = [SimpleNamespace(iteration=i, params=p) for i, p in frames if i < iteration]
    s = run.settings
    shown = (X_test_rows, y_test) if s.show_test else (None, None)  # the axes still hold the test points
    args = (params, s.activation, X_rows, y, *shown, axes)
    live = dict(snapshots=played, iteration=iteration, big=big, interval=interval, features=s.features)
    with left:
        stage("network", *args, **live, height=HALF_HEIGHT, views=("network",), follow="boundary", on_edit=on_edit)
        figure = cost_figure(
            history, iterations=run.target, ghosts=ghosts, marker=marker, height=None, big=big, revision=revision,
            max_points=LIVE_CURVE_POINTS if run.status == RUNNING else MAX_CURVE_POINTS,
        )  # fmt: skip
        live_chart(figure, key="cost_chart", height=HALF_HEIGHT, static_traces=len(ghosts))  # ghosts sent once
    with right:
        metrics = {"values": [metric_values(run, i) for i in (*[p.iteration for p in played], iteration)]}
        metrics["note"] = time_left(run)
        stage(
            "boundary", *args, **live, height=FULL_HEIGHT, views=("boundary",), discretize=s.discretize,
            metrics=metrics,
        )  # fmt: skip


def downloads(run: Run) -> None:
    """Parameters, cost history and a reproducing script of the run as it is now, each built when clicked."""
    if run.iteration == 0 or run.status == RUNNING:
        return
    # The settings the run started with: a learning rate set since, that no step has run with yet, is not in them
    # (the schedule lists every rate that ran).
    schedule, iteration, edits = list(run.lr_schedule), run.iteration, run.edits
    settings = replace(run.settings, learning_rate=schedule[0][1])
    params, history = run.trainer.params, run.trainer.history
    csv_name = "data.csv" if settings.dataset == UPLOAD else None
    row = st.container(horizontal=True, key="downloads")  # buttons at their own width: no label is cut
    row.download_button(
        "Parameters (JSON)",
        lambda: exports.params_json(settings, params, iteration, schedule, edits),
        "twolayer-params.json",
        "application/json",
        on_click="ignore",
        key="download_params",
    )
    row.download_button(
        "Cost history (CSV)",
        lambda: exports.history_csv(history),
        "twolayer-history.csv",
        "text/csv",
        on_click="ignore",
        key="download_history",
    )
    row.download_button(
        "Python script",
        lambda: exports.reproduce_script(settings, schedule, iteration, csv_name, edits),
        "twolayer_run.py",
        "text/x-python",
        on_click="ignore",
        key="download_script",
    )
