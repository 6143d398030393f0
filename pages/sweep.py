"""Sweep: train learning rates x hidden sizes at once and see which work; click a cell to open it."""

import time
from dataclasses import replace

import numpy as np
import streamlit as st

from appkit import controls, downloads
from appkit.navigation import ensure_app
from appkit.settings import DEFAULTS, ITERATIONS, LEARNING_RATES, UPLOAD
from appkit.sweep import METRICS, boundaries_figure, curves_figure, heatmap_figure, run_sweep
from twolayer.figures import plot_range

DEFAULT_RATES = [0.01, 0.1, 0.3, 1.0, 3.0]
HIDDEN_CHOICES = [1, 2, 3, 4, 5, 8, 10, 16, 20, 32, 50, 64]
DEFAULT_HIDDEN = [1, 2, 5, 10, 20]


def open_in_playground(lr: float, hidden: int, seed: int, iterations: int) -> None:
    settings = replace(
        st.session_state.get("settings", DEFAULTS),
        learning_rate=lr,
        hidden_size=hidden,
        init_seed=seed,
        iterations=iterations,
    )
    controls.set_widgets(settings)
    st.session_state.settings = settings
    st.switch_page("pages/playground.py")


def main() -> None:
    ensure_app("pages/sweep.py")
    settings = st.session_state.get("settings", DEFAULTS)
    up = st.session_state.get("upload")
    if settings.dataset == UPLOAD and not up:
        settings = replace(settings, dataset=DEFAULTS.dataset)
    st.markdown("#### Sweep learning rates and hidden sizes")
    st.caption(
        f"On the playground's data ({settings.dataset}, noise {settings.noise:g}, {settings.samples:,} "
        f"samples, test share {settings.test_share:g}) and network ({settings.activation}, "
        f"{settings.init} initialisation, L2 {settings.l2:g}). All configurations train together."
    )
    with st.form("sweep_form"):
        left, middle, right = st.columns([2, 2, 1])
        rates = left.multiselect(
            "Learning rates", LEARNING_RATES, default=DEFAULT_RATES, format_func=lambda v: f"{v:g}"
        )
        hidden = middle.multiselect("Hidden units", HIDDEN_CHOICES, default=DEFAULT_HIDDEN)
        iterations = right.select_slider("Iterations", ITERATIONS, value=2000, format_func=lambda v: f"{v:,}")
        seeds = right.number_input("Seeds per cell", 1, 5, 1, help="Initialisation seeds 0..n-1; cells show the median")
        submitted = st.form_submit_button("Run sweep", type="primary")
    if submitted:
        if not rates or not hidden:
            st.error("Pick at least one learning rate and one hidden size.")
        else:
            data = downloads.build_data(settings, (up["X"], up["y"]) if settings.dataset == UPLOAD else None)
            bar = st.progress(0.0, text="Training…")
            start = time.perf_counter()
            sweep = run_sweep(
                data,
                sorted(rates),
                sorted(hidden),
                list(range(int(seeds))),
                iterations,
                activation=settings.activation,
                init=settings.init,
                l2=settings.l2,
                progress=lambda f: bar.progress(f, text=f"Training… {f:.0%}"),
            )
            bar.empty()
            st.session_state.sweep_result = (sweep, data, settings, time.perf_counter() - start)
    if "sweep_result" not in st.session_state:
        st.info("Choose the values and press Run sweep.")
        return
    sweep, data, used, seconds = st.session_state.sweep_result
    n = len(sweep.results)
    st.caption(f"{n} networks × {sweep.iterations:,} iterations in {seconds:.1f} s.")
    has_test = data[2] is not None
    names = [m for m in METRICS if has_test or not m.startswith("test")]
    metric = st.radio("Show", names, horizontal=True, key="sweep_metric")
    current = (used.learning_rate, used.hidden_size)
    event = st.plotly_chart(
        heatmap_figure(sweep, metric, current), key="sweep_heatmap", on_select="rerun", selection_mode="points"
    )
    st.caption(
        "Click a cell to open that configuration in the playground. The outlined square is the playground's "
        "setting. Grey cells diverged."
    )
    points = event.selection.points if event and event.selection else []
    if points:
        lr, hidden_size = points[0]["customdata"]
        open_in_playground(float(lr), int(hidden_size), 0, sweep.iterations)
    X_all = data[0].T if data[2] is None else np.vstack([data[0].T, data[2].T])
    left, right = st.columns(2)
    with left:
        st.plotly_chart(
            boundaries_figure(sweep, data, used.activation, plot_range(X_all), seed=0), key="sweep_boundaries"
        )
    with right:
        st.plotly_chart(curves_figure(sweep, seed=0), key="sweep_curves")


main()
