"""Plotly figures of a run: the decision boundary over the data, and the cost curves.

Figures are plain dicts in Plotly's JSON schema (`st.plotly_chart`, `plotly.io.show` and
`go.Figure(...)` all take them). Building `go.Figure` objects validates every property and cost
two thirds of a live update (16 ms of 24 ms per tick, measured), so the live charts skip it.
Arrays go out as float32 base64 typed arrays, as plotly.py would send them: a 100x100 boundary is
~55 kB per update. No Streamlit here.
"""

import base64

import numpy as np

from .features import DEFAULT_FEATURES, expand
from .network import Params, predict_proba

CLASS_COLOURS = ("#e8710a", "#1a73e8")  # class 0 orange, class 1 blue, as TensorFlow Playground
# Orange through white to blue, centred on p = 0.5: the colour says which class and how sure.
PROBABILITY_SCALE = [[0.0, "#f5a35c"], [0.5, "#f7f7f7"], [1.0, "#6aa5f0"]]
MAX_CURVE_POINTS = 2000  # longer histories are thinned for the chart (the CSV download has them all)
GHOST_POINTS = 150  # a faded earlier run's curve: its shape, in few bytes
MAX_SHOWN_POINTS = 1500  # more data points are drawn as an even subsample: the browser redraws them every update
Figure = dict


def typed(values) -> dict:
    """A float32 array as Plotly's typed-array spec {dtype, bdata, shape}: what plotly.js decodes."""
    a = np.ascontiguousarray(values, dtype=np.float32)
    spec = {"dtype": "f4", "bdata": base64.b64encode(a.tobytes()).decode("ascii")}
    if a.ndim > 1:
        spec["shape"] = ", ".join(map(str, a.shape))
    return spec


def plot_range(X: np.ndarray, margin: float = 0.25) -> tuple[tuple[float, float], tuple[float, float]]:
    """Fixed axes for data X (m, 2): its bounding box, padded, so the picture does not jump.

    Points that all share one place (or differ only in their last few digits) have no extent to pad:
    the axes then reach 1 beyond them on each side (1e-6 of their distance from the origin if that is
    larger), a width that a grid of floats and a chart's scale can divide.
    """
    low, high = X.min(axis=0), X.max(axis=0)
    extent = float((high - low).max())
    size = max(1.0, float(np.abs(X).max()))
    pad = margin * extent if extent > 1e-9 * size else max(1.0, 1e-6 * size)
    return (float(low[0] - pad), float(high[0] + pad)), (float(low[1] - pad), float(high[1] + pad))


def probability_grid(
    params: Params, activation: str, x_range, y_range, resolution: int = 100, features=DEFAULT_FEATURES
):
    """P(class 1) on a resolution x resolution grid: returns (xs, ys, P (len(ys), len(xs))). The network's
    inputs are the `features` of each point (W1 is (h, len(features)))."""
    xs = np.linspace(*x_range, resolution)
    ys = np.linspace(*y_range, resolution)
    gx, gy = np.meshgrid(xs, ys)
    P = predict_proba(expand(np.vstack([gx.ravel(), gy.ravel()]), features), params, activation).reshape(gy.shape)
    return xs, ys, P


def _layout(height: int | None, big: bool, revision: str, **axes) -> dict:
    """Common layout; `height` None lets the chart fill its container. Colours are left to the page's theme
    (light or dark), except where the figure sets them."""
    for axis in axes.values():
        axis.setdefault("automargin", True)  # tick labels and titles stay inside the chart
    layout = dict(
        margin=dict(l=10, r=10, t=36, b=10),
        uirevision=revision,
        showlegend=True,
        font=dict(size=20 if big else 13),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, font=dict(size=18 if big else 11)),
        **axes,
    )
    if height is not None:
        layout["height"] = height
    return layout


def _points(X, y, *, test: bool, size: float) -> list[dict]:
    traces = []
    for label in (0, 1):
        Xc = X[y == label]
        traces.append(
            dict(
                type="scatter",
                x=typed(Xc[:, 0]),
                y=typed(Xc[:, 1]),
                mode="markers",
                name=f"class {label} ({'test' if test else 'train'})",
                marker=dict(
                    color="white" if test else CLASS_COLOURS[label],
                    symbol="diamond" if test else "circle",
                    size=size * (1.15 if test else 1.0),
                    line=dict(color=CLASS_COLOURS[label] if test else "white", width=2.2 if test else 0.8),
                ),
                hovertemplate="x1 %{x:.2f}, x2 %{y:.2f}<extra>%{fullData.name}</extra>",
            )
        )
    return traces


def boundary_figure(
    params: Params | None,
    activation: str,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    *,
    axes=None,
    resolution: int = 100,
    height: int = 460,
    big: bool = False,
    revision: str = "boundary",
    legend: bool = True,
    colorbar: bool = True,
    features=DEFAULT_FEATURES,
) -> Figure:
    """The predicted probability shaded over the plane, its 0.5 line, and the points.

    X_* are (m, 2), y_* (m,) with 0/1 (scikit-learn shapes). Misclassified points get a black
    cross. Without params (no network yet) only the points are drawn.
    """
    x_range, y_range = axes or plot_range(X_train if X_test is None else np.vstack([X_train, X_test]))
    size = 11 if big else 7
    total = len(X_train) + (0 if X_test is None else len(X_test))
    step = int(np.ceil(total / MAX_SHOWN_POINTS))  # 1 up to 1,500 points
    traces = []
    if params is not None:
        xs, ys, P = probability_grid(params, activation, x_range, y_range, resolution, features)
        xs, ys, P = typed(xs), typed(ys), typed(P)
        traces.append(
            dict(
                type="heatmap",
                x=xs,
                y=ys,
                z=P,
                zmin=0.0,
                zmax=1.0,
                zsmooth="best",
                colorscale=PROBABILITY_SCALE,
                showscale=colorbar,
                colorbar=dict(title=dict(text="P(class 1)"), thickness=12, len=0.8, tickvals=[0, 0.5, 1]),
                hovertemplate="x1 %{x:.2f}, x2 %{y:.2f}<br>P(class 1) = %{z:.3f}<extra></extra>",
            )
        )
        traces.append(
            dict(
                type="contour",
                x=xs,
                y=ys,
                z=P,
                showscale=False,
                hoverinfo="skip",
                name="P = 0.5",
                contours=dict(start=0.5, end=0.5, size=1.0, coloring="lines"),
                colorscale=[[0, "#202124"], [1, "#202124"]],
                line=dict(width=4 if big else 2.5),
            )
        )
    traces += _points(X_train[::step], y_train[::step], test=False, size=size)
    if X_test is not None and len(X_test):
        traces += _points(X_test[::step], y_test[::step], test=True, size=size)
    if params is not None:
        X_all = X_train if X_test is None else np.vstack([X_train, X_test])
        y_all = y_train if y_test is None else np.concatenate([y_train, y_test])
        X_all, y_all = X_all[::step], y_all[::step]
        wrong = (predict_proba(expand(X_all.T, features), params, activation) > 0.5) != (y_all == 1)
        traces.append(
            dict(
                type="scatter",
                x=typed(X_all[wrong, 0]),
                y=typed(X_all[wrong, 1]),
                mode="markers",
                name="misclassified",
                hoverinfo="skip",
                marker=dict(symbol="x-thin", size=size * 1.3, line=dict(color="#202124", width=2.5 if big else 1.8)),
            )
        )
    layout = _layout(
        height,
        big,
        revision,
        xaxis=dict(range=list(x_range), title=dict(text="x1"), constrain="domain", showgrid=False, zeroline=False),
        yaxis=dict(
            range=list(y_range),
            title=dict(text="x2"),
            scaleanchor="x",
            constrain="domain",
            showgrid=False,
            zeroline=False,
        ),
    )
    layout["showlegend"] = legend
    if step > 1:
        layout["title"] = dict(text=f"every {step}th point shown", font=dict(size=11), x=0.99, xanchor="right")
    return {"data": traces, "layout": layout}


def thin(values: np.ndarray, max_points: int = MAX_CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """(iterations, values) with at most max_points points, always keeping the first and last: every
    k-th iteration from 0, then the last one (an even stride, so the browser can rebuild the iterations
    from three numbers, see appkit/live_chart.py)."""
    n = len(values)
    k = max(1, -(-(n - 1) // max(1, max_points - 1)))  # ceil((n - 1) / (max_points - 1))
    index = np.unique(np.append(np.arange(0, n, k), n - 1)) if n else np.arange(0)
    return index.astype(np.float32), np.asarray(values)[index].astype(np.float32)


def cost_figure(
    history: dict[str, np.ndarray],
    *,
    iterations: int,
    ghosts: list[tuple[str, np.ndarray]] = (),
    marker: int | None = None,
    y_max: float | None = None,
    height: int | None = 460,
    big: bool = False,
    revision: str = "cost",
    max_points: int = MAX_CURVE_POINTS,
) -> Figure:
    """Train (and test) cost per iteration on fixed axes, over faded earlier runs ("ghosts").

    `history` holds "cost" and optionally "test_cost", one value per step. `marker` draws a
    vertical line at a replayed iteration. Each curve is thinned evenly to `max_points` (a ghost to at most
    GHOST_POINTS): the live chart sends fewer while training, when the figure goes out several times a second.
    """
    width = 4 if big else 2.5
    traces = []
    for label, costs in ghosts:
        x, y = thin(costs, min(max_points, GHOST_POINTS))
        traces.append(
            dict(
                type="scatter",
                x=typed(x),
                y=typed(y),
                mode="lines",
                name=label,
                opacity=0.45,
                line=dict(color="#9aa0a6", width=width * 0.7),
                hovertemplate="%{y:.4f} at %{x}<extra>%{fullData.name}</extra>",
            )
        )
    for key, name, colour, dash in (
        ("cost", "train cost", "#1a73e8", "solid"),
        ("test_cost", "test cost", "#e8710a", "dash"),
    ):
        if key in history:
            x, y = thin(history[key], max_points)
            traces.append(
                dict(
                    type="scatter",
                    x=typed(x),
                    y=typed(y),
                    mode="lines",
                    name=name,
                    line=dict(color=colour, width=width, dash=dash),
                    hovertemplate="%{y:.4f} at iteration %{x}<extra>" + name + "</extra>",
                )
            )
    costs = [c for c in [history.get("cost"), history.get("test_cost"), *(g for _, g in ghosts)] if c is not None]
    if y_max is None:  # fixed at the starting costs; raised when this run's cost climbs past them (divergence)
        firsts = [float(c[0]) for c in costs if len(c)]
        y_max = 1.1 * max(firsts) if firsts else 1.0
        for key in ("cost", "test_cost"):
            finite = np.asarray(history.get(key, ()), dtype=float)
            finite = finite[np.isfinite(finite)]
            if len(finite):
                y_max = max(y_max, 1.05 * float(finite.max()))
    layout = _layout(
        height,
        big,
        revision,
        # The x labels a little lower, so the two axes' "0" labels do not run into each other at the corner.
        xaxis=dict(
            range=[0, iterations], title=dict(text="iteration"), zeroline=False, ticklabelstandoff=8 if big else 5
        ),
        yaxis=dict(range=[0, y_max], title=dict(text="cost"), zeroline=False),
    )
    if marker is not None:
        layout["shapes"] = [
            dict(
                type="line",
                xref="x",
                yref="paper",
                x0=marker,
                x1=marker,
                y0=0,
                y1=1,
                line=dict(color="#5f6368", width=2, dash="dot"),
            )
        ]
    return {"data": traces, "layout": layout}
