"""Live-chart demo: a `run_every=0.2` fragment redraws a line chart and a moving boundary line with 500 points.

Run from the repository root: `PYTHONPATH=. streamlit run tests/support/live_chart_demo.py`; open
`/?updates=N` to stop after N updates (default 100). Used by `tests/e2e/test_live_chart.py`.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from appkit.live_chart import live_chart


@st.cache_data
def points(n: int = 500) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.uniform(-1.5, 1.5, (n, 2)).astype(np.float32)  # (n, 2)
    y = (np.hypot(X[:, 0], X[:, 1]) < 1).astype(np.uint8)  # (n,) inside the unit circle
    return X, y


def loss_figure(t: int) -> go.Figure:
    steps = np.arange(t + 1)
    loss = 0.6 * np.exp(-steps / 20) + 0.05 + 0.02 * np.sin(steps)
    fig = go.Figure(go.Scatter(x=steps, y=loss, mode="lines", name="loss"))
    fig.update_layout(title=f"Loss, update {t}", xaxis_title="update", yaxis_title="loss")
    return fig


def boundary_figure(t: int) -> go.Figure:
    X, y = points()
    phase = 0.15 * t
    angle = np.linspace(0, 2 * np.pi, 100, dtype=np.float32)  # a unit circle whose centre moves with the updates
    circle = go.Scatter(x=np.cos(angle) + 0.3 * np.cos(phase), y=np.sin(angle), mode="lines", name="boundary")
    fig = go.Figure(circle)
    fig.add_trace(
        go.Scatter(
            x=X[:, 0], y=X[:, 1], mode="markers", marker={"color": y, "colorscale": "RdBu", "size": 5}, showlegend=False
        )
    )
    fig.update_layout(title=f"Output, update {t}", yaxis_scaleanchor="x")
    return fig


def live(n_updates: int) -> None:
    t = st.session_state.tick
    live_chart(loss_figure(t), key="loss", height=300)
    live_chart(boundary_figure(t), key="boundary", height=500)
    st.caption(f"Update {t} of {n_updates}" + (" (done)" if t >= n_updates else ""))
    if t < n_updates:
        st.session_state.tick = t + 1
        if t + 1 == n_updates:
            st.rerun()  # a full run with the timer off draws the last update


def main() -> None:
    st.title("live_chart demo")
    n_updates = int(st.query_params.get("updates", 100))
    st.session_state.setdefault("tick", 0)
    run_every = 0.2 if st.session_state.tick < n_updates else None  # None stops the timer
    st.fragment(run_every=run_every)(live)(n_updates)


main()
