"""Sweep: train learning rates x hidden sizes at once and see which work; click a cell to open it."""

import time
from dataclasses import replace

import numpy as np
import streamlit as st

from appkit import session
from appkit.build import build_data
from appkit.settings import BY_NAME, Settings, describe_change
from appkit.sweep import (
    DEFAULT_HIDDEN,
    DEFAULT_ITERATIONS,
    DEFAULT_RATES,
    HIDDEN_CHOICES,
    METRICS,
    boundaries_figure,
    curves_figure,
    heatmap_figure,
    progress_fractions,
    run_sweep,
)
from twolayer.figures import plot_range


def open_in_playground(s: session.Session, settings: Settings, lr: float, hidden: int, iterations: int) -> None:
    """The cell's configuration in the Playground, trained at once; the note says what changed."""
    cell = replace(settings, learning_rate=lr, hidden_size=hidden, init_seed=0, iterations=iterations)
    change = describe_change(s.settings, cell)
    s.open(cell, note=f"From the sweep: {change or 'the same settings'}.")
    st.switch_page("pages/playground.py")


def main() -> None:
    session.ensure_app("pages/sweep.py")
    s = session.current()
    settings = s.settings
    for warning in s.warnings:
        st.warning(warning, icon=":material/link:")
    st.markdown("#### Sweep learning rates and hidden sizes")
    st.caption(
        f"On the playground's data ({s.describe_data()}, test share {settings.test_share:g}) and network "
        f"({settings.activation}, {settings.init} initialisation, L2 {settings.l2:g}). "
        "All configurations train together."
    )
    with st.form("sweep_form"):
        left, middle, right = st.columns([2, 2, 1])
        rates = left.multiselect(
            "Learning rates", BY_NAME["learning_rate"].choices, default=DEFAULT_RATES, format_func=lambda v: f"{v:g}"
        )
        hidden = middle.multiselect("Hidden units", HIDDEN_CHOICES, default=DEFAULT_HIDDEN)
        iterations = right.select_slider(
            "Iterations", BY_NAME["iterations"].choices, value=DEFAULT_ITERATIONS, format_func="{:,}".format
        )
        seeds = right.number_input("Seeds per cell", 1, 5, 1, help="Initialisation seeds 0..n-1; cells show the median")
        submitted = st.form_submit_button("Run sweep", type="primary")
    if submitted:
        if not rates or not hidden:
            st.error("Pick at least one learning rate and one hidden size.")
        else:
            data = build_data(settings, s.upload)
            rates, hidden = sorted(rates), sorted(hidden)
            n = len(rates) * len(hidden) * int(seeds)
            bar = st.progress(0.0, text=f"Training {n} networks: {hidden[0]} hidden units…")
            fractions = iter(progress_fractions(hidden))  # weighted: a stack of 20 units takes ~6x one of 1
            upcoming = iter(hidden[1:] + [None])

            def report(_: float) -> None:
                done, following = next(fractions), next(upcoming)
                doing = f"{following} hidden units…" if following is not None else "drawing…"
                bar.progress(done, text=f"Training {n} networks: {done:.0%}, {doing}")

            start = time.perf_counter()
            sweep = run_sweep(
                data,
                rates,
                hidden,
                list(range(int(seeds))),
                iterations,
                activation=settings.activation,
                init=settings.init,
                l2=settings.l2,
                progress=report,
            )
            bar.empty()
            s.sweep = (sweep, data, settings, time.perf_counter() - start)
    if s.sweep is None:
        st.info("Choose the values and press Run sweep.")
        return
    sweep, data, used, seconds = s.sweep
    n = len(sweep.results)
    st.caption(f"{n} networks × {sweep.iterations:,} iterations in {seconds:.1f} s.")
    has_test = data[2] is not None
    names = [m for m in METRICS if has_test or not m.startswith("test")]
    metric = st.radio("Show", names, horizontal=True, key="sweep_metric")
    current = (used.learning_rate, used.hidden_size)
    event = st.plotly_chart(
        heatmap_figure(sweep, metric, current),
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
        lr, hidden_size = points[0]["customdata"]
        open_in_playground(s, used, float(lr), int(hidden_size), sweep.iterations)
    X_all = data[0].T if data[2] is None else np.vstack([data[0].T, data[2].T])
    seed_note = " (seed 0)" if len(sweep.seeds) > 1 else ""
    st.markdown(f"###### Decision boundaries{seed_note}: hidden units across, learning rates up, as in the grid")
    st.plotly_chart(
        boundaries_figure(sweep, data, used.activation, plot_range(X_all), seed=0),
        key="sweep_boundaries",
        config={"displayModeBar": False, "scrollZoom": False},
    )
    st.markdown(f"###### Training cost{seed_note}: one panel per hidden size, a colour per learning rate")
    st.plotly_chart(curves_figure(sweep, seed=0), key="sweep_curves", config={"displaylogo": False})


main()
