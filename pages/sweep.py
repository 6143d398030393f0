"""Sweep: train learning rates x hidden sizes (or x batch sizes at the playground's hidden size) at once and see
which work; click a cell to open it.

A sweep has a budget and an owner: its training time is estimated from the engine's measured speed before
it starts (refused above MAX_SECONDS, asked for above CONFIRM_SECONDS); one runs per session at a time; and
it ends within a fraction of a second when its tab closes, a new run of the page replaces it, or Cancel is
pressed. The last three need no code of their own: every update of the progress bar (at least every
CHECK_SECONDS, between training steps) is a Streamlit call, where Streamlit 1.67 raises StopException or
RerunException into this script's thread once the session asked for it.
"""

import math
import time
from dataclasses import replace

import numpy as np
import streamlit as st

from appkit import session
from appkit.build import batch_size, build_data
from appkit.settings import BY_NAME, Settings, batch_sizes, describe_change
from appkit.sweep import (
    CONFIRM_SECONDS,
    DEFAULT_BATCHES,
    DEFAULT_HIDDEN,
    DEFAULT_ITERATIONS,
    DEFAULT_RATES,
    HIDDEN_CHOICES,
    MAX_SECONDS,
    METRICS,
    WARM_UP_SECONDS,
    Sweep,
    SweepBusy,
    boundaries_figure,
    curves_figure,
    estimate_seconds,
    finished,
    heatmap_figure,
    measured_speed,
    one_at_a_time,
    plan_stacks,
    run_sweep,
    sweep_threads,
    warm_up,
    what_to_reduce,
)
from twolayer.figures import plot_range

AXES = {"Hidden units": "hidden_size", "Batch size": "batch_size"}  # the form's choice -> the setting across


def open_in_playground(
    s: session.Session, settings: Settings, lr: float, column: int, iterations: int, across: str = "hidden_size"
) -> None:
    """The cell's configuration in the Playground, trained at once; the note says what changed. `column` is the
    value of the setting `across` (hidden_size, or batch_size with 0 the full batch)."""
    cell = replace(settings, learning_rate=lr, init_seed=0, iterations=iterations, **{across: column})
    change = describe_change(s.settings, cell)
    s.open(cell, note=f"From the sweep: {change or 'the same settings'}.")
    st.switch_page("pages/playground.py")


def across(sweep: Sweep) -> str:
    """The setting a sweep's columns are: hidden_size or batch_size."""
    return "hidden_size" if sweep.batch_sizes is None else "batch_size"


def clicked_cell(points, sweep) -> tuple[float, int] | None:
    """The (learning rate, hidden or batch size) of the heat-map cell a click selected, or None when the selection
    names no cell of `sweep`: a client can send any selection for the chart's key, such as customdata [0.3, "x"]."""
    point = points[0] if isinstance(points, list) and points else None
    data = point.get("customdata") if isinstance(point, dict) else None
    if not isinstance(data, list) or len(data) != 2:
        return None
    try:
        lr, column = BY_NAME["learning_rate"].check(data[0]), BY_NAME[across(sweep)].check(data[1])
    except ValueError:
        return None
    rates = [r for r in sweep.learning_rates if math.isclose(r, lr, rel_tol=1e-9)]
    return (rates[0], column) if rates and column in sweep.columns else None


def duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def cancelled(had_results: bool) -> None:
    """Cancel's click: its rerun has already stopped the sweep (see the module's docstring)."""
    kept = ": the previous results stay." if had_results else "."
    st.toast(f"Sweep cancelled{kept}", icon=":material/cancel:")


def metric_names(data) -> list[str]:
    """The metrics the heat map can show for a sweep on `data`: the test ones only with a test set."""
    return [m for m in METRICS if data[2] is not None or not m.startswith("test")]


def charts(sweep: Sweep, data, used: Settings, metric: str) -> tuple:
    """The heat map of `metric`, the decision boundaries and the loss curves of a sweep trained on `data` with the
    playground's settings `used`. Built once per kept sweep (finished.figure): a repeated sweep, or one trained
    ahead as the page opened (whose thread builds them too), is drawn at once."""
    current = (used.learning_rate, getattr(used, across(sweep)))
    X_all = data[0].T if data[2] is None else np.vstack([data[0].T, data[2].T])
    boundaries = lambda: boundaries_figure(  # noqa: E731
        sweep, data, used.activation, plot_range(X_all), seed=0, features=used.features
    )
    return (
        finished.figure(sweep, ("heatmap", metric, current), lambda: heatmap_figure(sweep, metric, current)),
        finished.figure(sweep, ("boundaries", used.activation, tuple(used.features)), boundaries),
        finished.figure(sweep, ("curves", 0), lambda: curves_figure(sweep, seed=0)),
    )


def engine_options(settings: Settings, m: int, batches=None) -> dict:
    """run_sweep's options for the playground's `settings` on m training points (batches: the columns' batch
    sizes, or None for hidden sizes), so that each cell is the Playground's run."""
    return dict(
        activation=settings.activation,
        init=settings.init,
        l2=settings.l2,
        l1=settings.l1,
        batch_size=batch_size(settings.batch_size, m),  # None: the full batch
        batch_sizes=batches,
        features=settings.features,
    )


def warm_up_default(s: session.Session, settings: Settings) -> None:
    """The default grid (what Run sweep trains unless the form changes) starts training in the background as the
    page opens, if it is quick (appkit.sweep.warm_up): a visitor reading the form for a few seconds then gets it
    at once. Data the playground cannot use is left for the click to explain."""
    try:
        data = build_data(settings, s.upload)
    except ValueError:
        return
    m, rates, hidden = data[0].shape[1], sorted(DEFAULT_RATES), sorted(DEFAULT_HIDDEN)
    stacks = plan_stacks(rates, hidden, [0], m, [settings.batch_size])
    if estimate_seconds(stacks, m, DEFAULT_ITERATIONS, measured_speed(settings.activation)) <= WARM_UP_SECONDS:
        after = lambda sweep: charts(sweep, data, settings, metric_names(data)[0])  # noqa: E731 - the first shown
        warm_up(data, rates, hidden, [0], DEFAULT_ITERATIONS, finished, after, **engine_options(settings, m))


def train(
    s: session.Session, settings: Settings, rates, hidden, iterations: int, seeds: int, long_ok: bool, batches=None
) -> None:
    """Checks the request and its budget, then trains with progress, a Cancel button and the heat map filling
    in as each column finishes; the result goes to the session. Says why when it does not train. `batches`
    (0 = full) makes the batch sizes the columns, at the playground's hidden size (`hidden` is then unused)."""
    if not rates or not (hidden if batches is None else batches):
        st.error(f"Pick at least one learning rate and one {'hidden size' if batches is None else 'batch size'}.")
        return
    try:
        data = build_data(settings, s.upload)
    except ValueError as error:
        st.error(f"The playground's data cannot be used for a sweep: {error}.")
        return
    m = data[0].shape[1]
    if batches is not None:
        too_big = [b for b in batches if b > m]
        if too_big:
            st.error(
                f"Batches of {', '.join(map(str, sorted(too_big)))} are more than the {m:,} training points: "
                "leave them out (full is every point)."
            )
            return
        batches = sorted(batches, key=lambda b: b or m + 1)  # full last: it has the most points
        hidden = [settings.hidden_size]
    rates, hidden, seeds = sorted(rates), sorted(hidden), list(range(int(seeds)))
    columns = [settings.batch_size] if batches is None else batches
    speed = measured_speed(settings.activation)
    seconds = estimate_seconds(plan_stacks(rates, hidden, seeds, m, columns), m, iterations, speed)
    choices = BY_NAME["iterations"].choices
    budget = dict(iteration_choices=choices, batch_sizes=columns, across_batches=batches is not None)
    if seconds > MAX_SECONDS:
        advice = what_to_reduce(rates, hidden, seeds, m, iterations, speed, MAX_SECONDS, **budget)
        st.error(
            f"This sweep needs about {duration(seconds)} of computing, more than the {duration(MAX_SECONDS)} a "
            f"sweep may take on this shared server. To fit, try {advice}."
        )
        return
    if seconds > CONFIRM_SECONDS and not long_ok:
        advice = what_to_reduce(rates, hidden, seeds, m, iterations, speed, CONFIRM_SECONDS, **budget)
        st.warning(
            f"This sweep needs about {duration(seconds)} of computing (longer while the server is busy). Tick "
            f"*Allow a long sweep* and press Run sweep again, or for a quick one try {advice}."
        )
        return
    n = len(rates) * len(hidden) * len(columns) * len(seeds)
    try:
        with one_at_a_time(s):
            live = st.empty()  # the progress bar and Cancel, gone once the sweep is done
            left, right = live.container().columns([5, 1], vertical_alignment="bottom")
            bar = left.progress(0.0, text=f"Training {n} networks…")
            right.button("Cancel", key="sweep_cancel", on_click=cancelled, args=(s.sweep is not None,))
            slot = st.empty()
            start = time.perf_counter()
            metric = next(iter(METRICS)) if data[2] is not None else "train cost"
            current = (settings.learning_rate, settings.hidden_size if batches is None else settings.batch_size)
            drawn = []

            def report(fraction: float) -> None:
                elapsed = time.perf_counter() - start
                left_s = f", about {duration(elapsed / fraction * (1 - fraction))} left" if fraction > 0.05 else ""
                bar.progress(fraction, text=f"Training {n} networks: {fraction:.0%}{left_s}")

            def partial(sweep) -> None:  # the heat map so far, not yet clickable
                drawn.append(1)
                figure = heatmap_figure(sweep, metric, current)
                slot.plotly_chart(
                    figure, key=f"sweep_partial_{len(drawn)}", width="content", config={"displayModeBar": False}
                )

            sweep = run_sweep(
                data,
                rates,
                hidden,
                seeds,
                iterations,
                **engine_options(settings, m, batches),
                progress=report,
                partial=partial,
                speed=speed,
                threads=sweep_threads(),
                cache=finished,  # the same sweep again (a second click, another visitor) comes back at once
            )
            s.sweep = (sweep, data, settings, time.perf_counter() - start)
            live.empty()
            slot.empty()
    except SweepBusy:
        st.warning("A sweep is already running in this session: wait for it, or cancel it.")


def main() -> None:
    session.ensure_app("pages/sweep.py")
    s = session.current()
    settings = s.settings
    for warning in s.warnings:
        st.warning(warning, icon=":material/link:")
    st.markdown("#### Sweep learning rates and hidden sizes or batch sizes")
    st.caption(
        f"On the playground's data ({s.describe_data()}, test share {settings.test_share:g}) and network "
        f"({settings.activation}, {settings.init} initialisation, L2 {settings.l2:g}, L1 {settings.l1:g}, "
        f"{f'batches of {settings.batch_size}' if settings.batch_size else 'full batch'}, "
        f"inputs {', '.join(settings.features)}). "
        "All configurations train together."
    )
    with st.form("sweep_form"):
        left, middle, right = st.columns([2, 2, 1])
        rates = left.multiselect(
            "Learning rates", BY_NAME["learning_rate"].choices, default=DEFAULT_RATES, format_func=lambda v: f"{v:g}"
        )
        axis = left.radio("Across", list(AXES), horizontal=True, key="sweep_axis", help="What the grid's columns are.")
        hidden = middle.multiselect(
            "Hidden units", HIDDEN_CHOICES, default=DEFAULT_HIDDEN, help="Swept when Across is Hidden units."
        )
        offered = batch_sizes(settings.samples)
        batches = middle.multiselect(
            "Batch sizes",
            offered,
            default=[b for b in DEFAULT_BATCHES if b in offered],
            format_func=lambda b: "full" if b == 0 else str(b),
            help=f"Swept when Across is Batch size, at the playground's {settings.hidden_size} hidden units.",
        )
        iterations = right.select_slider(
            "Iterations", BY_NAME["iterations"].choices, value=DEFAULT_ITERATIONS, format_func="{:,}".format
        )
        seeds = right.number_input("Seeds per cell", 1, 5, 1, help="Initialisation seeds 0..n-1; cells show the median")
        long_ok = st.checkbox(
            f"Allow a long sweep (up to {duration(MAX_SECONDS)})",
            key="sweep_long",
            help=f"Sweeps estimated to need more than {duration(CONFIRM_SECONDS)} of computing ask first.",
        )
        submitted = st.form_submit_button("Run sweep", type="primary")
    if submitted:
        train(s, settings, rates, hidden, iterations, seeds, long_ok, batches if AXES[axis] == "batch_size" else None)
    if s.sweep is None:
        warm_up_default(s, settings)
        st.info("Choose the values and press Run sweep.")
        preview = Sweep(DEFAULT_RATES, DEFAULT_HIDDEN, [0], DEFAULT_ITERATIONS, {})
        st.plotly_chart(
            heatmap_figure(preview, "train cost", None),
            key="sweep_preview",
            width="content",
            config={"displayModeBar": False, "staticPlot": True},
        )
        # Drawn before any sweep so that the browser loads and compiles its Plotly code now: on the first result
        # that took longer than training the first column (bench_sweep_page.py).
        st.caption("The default grid: its cells fill in as each hidden size trains.")
        return
    sweep, data, used, seconds = s.sweep
    n = len(sweep.results)
    at_hidden = "" if sweep.batch_sizes is None else f" of {sweep.hidden_sizes[0]} hidden units"
    st.caption(f"{n} networks{at_hidden} × {sweep.iterations:,} iterations in {seconds:.1f} s.")
    if sweep.reused:
        st.caption("The same sweep ran before on this server: its results were kept, not trained again.")
    metric = st.radio("Show", metric_names(data), horizontal=True, key="sweep_metric")
    heatmap, boundaries, curves = charts(sweep, data, used, metric)
    event = st.plotly_chart(
        heatmap,
        key="sweep_heatmap",
        on_select="rerun",
        selection_mode="points",
        width="content",
        config={"displayModeBar": False},
    )
    st.caption(
        "Click a cell to open that configuration in the playground. The outlined square is the playground's "
        "setting. Grey cells diverged."
    )
    points = event.selection.points if event and event.selection else []
    if points:
        cell = clicked_cell(points, sweep)
        if cell is None:
            st.warning("Ignored a selection that names no cell of this sweep.", icon=":material/warning:")
        else:
            open_in_playground(s, used, *cell, sweep.iterations, across(sweep))
    seed_note = " (seed 0)" if len(sweep.seeds) > 1 else ""
    st.markdown(f"###### Decision boundaries{seed_note}: {sweep.axis} across, learning rates up, as in the grid")
    st.plotly_chart(
        boundaries,
        key="sweep_boundaries",
        config={"displayModeBar": False, "scrollZoom": False},
    )
    size = "hidden size" if sweep.batch_sizes is None else "batch size"
    st.markdown(f"###### Training cost{seed_note}: one panel per {size}, a colour per learning rate")
    st.plotly_chart(curves, key="sweep_curves", config={"displaylogo": False})


main()
