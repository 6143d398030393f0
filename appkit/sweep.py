"""A hyperparameter sweep: learning rates x hidden sizes (x seeds), trained together with
`twolayer.train_many`, and the figures that show it. No Streamlit here.

A sweep cell opens the same run in the playground, so each result is bit for bit the playground's
run of that configuration (train_many stacks the networks of one hidden size and keeps each one's
arithmetic that of training it alone; tests/test_sweep.py holds it to that).
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb, sample_colorscale
from plotly.subplots import make_subplots

from twolayer import Config, Result, train_many
from twolayer.figures import CLASS_COLOURS, PROBABILITY_SCALE
from twolayer.network import predict_proba

DEFAULT_RATES = [0.01, 0.1, 0.3, 1.0, 3.0]
HIDDEN_CHOICES = [1, 2, 3, 4, 5, 8, 10, 16, 20, 32, 50, 64]
DEFAULT_HIDDEN = [1, 2, 5, 10, 20]
DEFAULT_ITERATIONS = 2000


class SweepStopped(Exception):
    """Raised by run_sweep when `should_stop()` returned True: the sweep was abandoned part-way."""


METRICS = {  # name -> (Result attribute, lower is better)
    "test cost": ("test_cost", True),
    "test accuracy": ("test_accuracy", False),
    "train cost": ("final_cost", True),
    "train accuracy": ("accuracy", False),
}


@dataclass
class Sweep:
    learning_rates: list
    hidden_sizes: list
    seeds: list
    iterations: int
    results: dict  # (lr, hidden, seed) -> Result

    def value(self, metric: str, lr: float, hidden: int) -> float:
        """The metric for one cell, the median over seeds; NaN if any seed diverged."""
        attribute, _ = METRICS[metric]
        values = []
        for seed in self.seeds:
            result = self.results[(lr, hidden, seed)]
            if result.diverged is not None:
                return float("nan")
            values.append(result.costs[-1] if attribute == "final_cost" else getattr(result, attribute))
        return float(np.median(values))


def run_sweep(
    data,
    learning_rates,
    hidden_sizes,
    seeds,
    iterations,
    *,
    activation="tanh",
    init="he",
    l2=0.0,
    progress=None,
    threads: int = 1,
    should_stop: Callable[[], bool] | None = None,
) -> Sweep:
    """Trains every combination; `progress(fraction)` is called after each hidden size's stack.
    `threads` > 1 splits each stack across threads (train_many): faster for one user, but the app
    keeps 1 so that a room of users shares the cores fairly. `should_stop()` is called before each
    hidden size's stack: when it returns True, no further stack starts and SweepStopped is raised.
    Both callbacks are called from the calling thread."""
    X, Y, X_test, Y_test = data
    results = {}
    for n, hidden in enumerate(hidden_sizes):
        if should_stop is not None and should_stop():
            raise SweepStopped
        configs = [Config(lr, hidden, seed, init, l2) for lr, seed in itertools.product(learning_rates, seeds)]
        trained = train_many(
            X, Y, configs, iterations, activation=activation, X_test=X_test, Y_test=Y_test, threads=threads
        )
        for config, result in zip(configs, trained, strict=True):
            results[(config.learning_rate, hidden, config.random_state)] = result
        if progress:
            progress((n + 1) / len(hidden_sizes))
    return Sweep(list(learning_rates), list(hidden_sizes), list(seeds), iterations, results)


def stack_cost(hidden: int) -> float:
    """A hidden size's stack's share of a sweep's training time, roughly: measured 0.34, 0.57, 0.83, 1.29 and
    2.45 s for 1, 2, 5, 10 and 20 units (5 rates, 2,000 steps, 500 points), about 2.5 + hidden."""
    return 2.5 + hidden


def progress_fractions(hidden_sizes) -> list[float]:
    """The fraction of a sweep done after each hidden size's stack, weighted by `stack_cost`."""
    costs = np.cumsum([stack_cost(h) for h in hidden_sizes])
    return [float(c / costs[-1]) for c in costs]


# --- the heat map ---------------------------------------------------------------------------------

METRIC_SCALE = "Viridis"
MARGIN = dict(l=78, r=104, t=8, b=52)  # fixed, so the plot area and its square cells are known in pixels


def cell_size(columns: int, rows: int) -> int:
    """Pixels per heat-map cell: 60 for the default 5 x 5, smaller for big sweeps (the figure stays about
    330 px square, within a 1280 px window's page), never below 34 (a value's 5 characters still fit)."""
    return int(np.clip(min(330 // max(columns, 1), 330 // max(rows, 1)), 34, 60))


def text_colour(fill: str) -> str:
    """Black or white, whichever contrasts more with `fill` ('#rrggbb' or 'rgb(r, g, b)'), by WCAG luminance."""
    if fill.startswith("#"):
        rgb = hex_to_rgb(fill)
    else:
        rgb = [float(v) for v in fill[fill.index("(") + 1 : fill.index(")")].split(",")[:3]]
    linear = [(c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "black" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "white"


def heatmap_figure(sweep: Sweep, metric: str, current: tuple[float, int] | None) -> go.Figure:
    """One square cell per (learning rate, hidden size), coloured by the metric, its value written on it in
    black or white (whichever reads on that colour); the cells are clickable points.

    Drawn as a scatter of square markers rather than a heatmap so a click selects a cell (customdata
    [lr, hidden]). Markers are sized in pixels, so the figure has a fixed size and fixed margins: the plot
    area is exactly columns x rows cells, square at any window width (and the y axis is anchored to the x
    axis's scale as well). The axes are categorical: x the hidden size as a string, y the learning rate.
    """
    _, lower_better = METRICS[metric]
    cols, rows = len(sweep.hidden_sizes), len(sweep.learning_rates)
    cell = cell_size(cols, rows)
    xs, ys, values, texts = [], [], [], []
    for lr, hidden in itertools.product(sweep.learning_rates, sweep.hidden_sizes):
        value = sweep.value(metric, lr, hidden)
        xs.append(str(hidden))
        ys.append(f"{lr:g}")
        values.append(value)
        texts.append("diverged" if np.isnan(value) else (f"{value:.0%}" if "accuracy" in metric else f"{value:.3f}"))
    ok = [not np.isnan(v) for v in values]
    finite = [v for v, good in zip(values, ok, strict=True) if good]
    pick = lambda items, keep: [item for item, good in zip(items, ok, strict=True) if good == keep]  # noqa: E731
    customdata = [[float(y), int(x)] for x, y in zip(xs, ys, strict=True)]
    cmin, cmax = (min(finite), max(finite)) if finite else (0, 1)
    span = (cmax - cmin) or 1.0
    where = [(v - cmin) / span for v in finite]
    fills = sample_colorscale(METRIC_SCALE, [1 - w if lower_better else w for w in where]) if finite else []
    font = 13 if cell >= 52 else 11
    hover = f"learning rate %{{y}}, %{{x}} hidden<br>{metric}: %{{text}}<extra>click to open in the playground</extra>"
    fig = go.Figure(
        go.Scatter(
            x=pick(xs, True),
            y=pick(ys, True),
            mode="markers+text",
            text=pick(texts, True),
            textfont=dict(size=font, color=[text_colour(f) for f in fills]),
            customdata=pick(customdata, True),
            marker=dict(
                symbol="square",
                size=cell - 3,  # a 3 px gap between cells
                color=finite,
                colorscale=METRIC_SCALE,
                reversescale=lower_better,
                cmin=cmin,
                cmax=cmax,
                colorbar=dict(
                    title=dict(text=metric, side="right", font=dict(size=13)),
                    thickness=14,
                    len=1,
                    lenmode="fraction",
                    tickfont=dict(size=12),
                    outlinewidth=0,
                ),
                line=dict(width=0),
                opacity=1,
            ),
            hovertemplate=hover,
        )
    )
    if not all(ok):  # diverged cells: grey, still clickable (the playground shows the divergence)
        fig.add_trace(
            go.Scatter(
                x=pick(xs, False),
                y=pick(ys, False),
                mode="markers+text",
                text=pick(texts, False),
                textfont=dict(size=font - 1 if cell >= 52 else 9, color="#3c4043"),
                customdata=pick(customdata, False),
                marker=dict(symbol="square", size=cell - 3, color="#dadce0", line=dict(width=0)),
                hovertemplate="learning rate %{y}, %{x} hidden: diverged<extra>click to open in the playground</extra>",
            )
        )
    if current is not None and f"{current[0]:g}" in ys and str(current[1]) in xs:
        fig.add_trace(
            go.Scatter(
                x=[str(current[1])],
                y=[f"{current[0]:g}"],
                mode="markers",
                hoverinfo="skip",
                marker=dict(symbol="square-open", size=cell - 5, color="#d93025", line=dict(color="#d93025", width=3)),
                name="playground's setting",
            )
        )
    axis = dict(type="category", categoryorder="array", showgrid=False, zeroline=False, automargin=False)
    fig.update_layout(
        width=MARGIN["l"] + MARGIN["r"] + cols * cell,
        height=MARGIN["t"] + MARGIN["b"] + rows * cell,
        margin=MARGIN,
        showlegend=False,
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis=dict(
            axis,
            title=dict(text="hidden units", font=dict(size=14)),
            categoryarray=[str(h) for h in sweep.hidden_sizes],
            range=[-0.5, cols - 0.5],
            tickfont=dict(size=13),
            constrain="domain",
        ),
        yaxis=dict(
            axis,
            title=dict(text="learning rate α", font=dict(size=14)),
            categoryarray=[f"{lr:g}" for lr in sweep.learning_rates],
            range=[-0.5, rows - 0.5],
            tickfont=dict(size=13),
            scaleanchor="x",
            scaleratio=1,
            constrain="domain",
        ),
    )
    return fig


# --- the decision boundaries ------------------------------------------------------------------------

BOUNDARY_RESOLUTION = 40  # cells across each panel; its height in cells follows the data's aspect
POINTS_PER_PANEL = 150  # an even subsample of the training points in each panel
GAP = 0.08  # between panels, as a fraction of a panel's width


def panel_origin(i: int, j: int, axes) -> tuple[float, float]:
    """Where panel (row i = learning rate index from the bottom, column j = hidden size index) starts, in the
    figure's one pair of axes: the panels are copies of the data plane laid side by side with gaps."""
    (x0, x1), (y0, y1) = axes
    gap = GAP * (x1 - x0)
    return j * (x1 - x0 + gap), i * (y1 - y0 + gap)


def panel_grid(axes, resolution: int = BOUNDARY_RESOLUTION):
    """The cell centres of a panel's probability map in data coordinates: (xs, ys, dx). Square cells."""
    (x0, x1), (y0, y1) = axes
    dx = (x1 - x0) / resolution
    ny = max(2, round((y1 - y0) / dx))
    dy = (y1 - y0) / ny
    return x0 + dx * (np.arange(resolution) + 0.5), y0 + dy * (np.arange(ny) + 0.5), dx, dy


def panel_probabilities(params, activation: str, axes, resolution: int = BOUNDARY_RESOLUTION) -> np.ndarray:
    """P(class 1) at a panel's cell centres, (len(ys), len(xs)), as the uint8 0..255 the figure sends."""
    xs, ys, _, _ = panel_grid(axes, resolution)
    gx, gy = np.meshgrid(xs, ys)
    P = predict_proba(np.vstack([gx.ravel(), gy.ravel()]), params, activation).reshape(gy.shape)
    return np.rint(P * 255).astype(np.uint8)


def subsample(m: int, k: int = POINTS_PER_PANEL) -> np.ndarray:
    """Indices of an even subsample of k of m points (all of them when m <= k), the same every time."""
    return np.arange(m) if m <= k else np.sort(np.random.default_rng(0).choice(m, k, replace=False))


def boundaries_figure(sweep: Sweep, data, activation: str, axes, seed: int, height: int | None = None) -> go.Figure:
    """Small multiples: the decision boundary of every (learning rate, hidden size), one seed, laid out as
    the heat map is (hidden sizes across, learning rates up). One pair of axes for all the panels (25
    subplots cost the browser ~1 s to lay out): a heatmap per configuration, uint8 probabilities, placed
    with x0/dx; two scatter traces for a subsample of the training points in every panel, one per class."""
    rows, cols = len(sweep.learning_rates), len(sweep.hidden_sizes)
    (x0, x1), (y0, y1) = axes
    xs, ys, dx, dy = panel_grid(axes)
    fig = go.Figure()
    for (i, lr), (j, hidden) in itertools.product(enumerate(sweep.learning_rates), enumerate(sweep.hidden_sizes)):
        result: Result = sweep.results[(lr, hidden, seed)]
        ox, oy = panel_origin(i, j, axes)
        label = f"α {lr:g}, {hidden} hidden" + (" (diverged)" if result.diverged is not None else "")
        fig.add_trace(
            go.Heatmap(
                z=panel_probabilities(result.params, activation, axes),
                x0=xs[0] + ox,
                dx=dx,
                y0=ys[0] + oy,
                dy=dy,
                zmin=0,
                zmax=255,
                zsmooth="best",
                showscale=False,
                colorscale=PROBABILITY_SCALE,
                name=label,
                hovertemplate=f"{label}<extra></extra>",
            )
        )
    X, Y = data[0], data[1]
    keep = subsample(X.shape[1])
    X, y = X[:, keep], Y[0, keep] > 0.5
    origins = np.array([panel_origin(i, j, axes) for i in range(rows) for j in range(cols)])  # (panels, 2)
    for label in (0, 1):
        Xc = X[:, y == label]
        fig.add_trace(
            go.Scatter(
                x=(Xc[0][None, :] + origins[:, :1]).ravel().astype(np.float32),
                y=(Xc[1][None, :] + origins[:, 1:]).ravel().astype(np.float32),
                mode="markers",
                hoverinfo="skip",
                name=f"class {label}",
                marker=dict(size=3.5, color=CLASS_COLOURS[label], line=dict(width=0.4, color="white")),
            )
        )
    right, top = panel_origin(rows - 1, cols - 1, axes)
    annotations = [
        dict(x=panel_origin(0, j, axes)[0] + (x0 + x1) / 2, y=top + y1, text=f"{h} hidden", yanchor="bottom",
             showarrow=False, font=dict(size=13))
        for j, h in enumerate(sweep.hidden_sizes)
    ] + [
        dict(x=x0, y=panel_origin(i, 0, axes)[1] + (y0 + y1) / 2, text=f"α {lr:g}", xanchor="right", xshift=-4,
             showarrow=False, font=dict(size=13))
        for i, lr in enumerate(sweep.learning_rates)
    ]  # fmt: skip
    hidden_axis = dict(visible=False, showgrid=False, zeroline=False, constrain="domain")
    fig.update_layout(
        height=height or int(min(640, 40 + rows * 112)),
        margin=dict(l=56, r=8, t=26, b=4),
        showlegend=False,
        plot_bgcolor="rgba(0,0,0,0)",
        annotations=annotations,
        xaxis=dict(hidden_axis, range=[x0, right + x1], constraintoward="left"),  # under the heat map
        yaxis=dict(hidden_axis, range=[y0, top + y1], scaleanchor="x", scaleratio=1),
        dragmode=False,
    )
    return fig


# --- the cost curves ----------------------------------------------------------------------------------

CURVE_POINTS = 200  # per curve, evenly spaced, the first and last iteration included
RATE_RAMP = ["#9334e6", "#1a73e8", "#12b5cb", "#188038", "#f9ab00", "#e8710a", "#d93025"]  # cool = slow -> warm


def rate_colours(learning_rates) -> dict:
    """A colour per learning rate along a cool-to-warm ramp, in the rates' order (any number of rates)."""
    ordered = sorted(learning_rates)
    if len(ordered) == 1:
        return {ordered[0]: RATE_RAMP[1]}
    scale = [[k / (len(RATE_RAMP) - 1), c] for k, c in enumerate(RATE_RAMP)]
    picked = sample_colorscale(scale, list(np.linspace(0, 1, len(ordered))))
    return dict(zip(ordered, picked, strict=True))


def thinned(costs: np.ndarray, points: int = CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """(iterations, costs) at up to `points` evenly spaced iterations, the first and the last included."""
    n = len(costs)
    index = np.unique(np.rint(np.linspace(0, n - 1, min(n, points))).astype(np.int32))
    return index, costs[index].astype(np.float32)


def curves_figure(sweep: Sweep, seed: int, height: int | None = None) -> go.Figure:
    """Cost curves as small multiples, one panel per hidden size, a colour per learning rate with one
    legend entry per rate; hovering a curve names its configuration. Curves are thinned to CURVE_POINTS."""
    n = len(sweep.hidden_sizes)
    cols = min(n, 6)
    rows = -(-n // cols)
    fig = make_subplots(
        rows,
        cols,
        shared_yaxes="all",
        shared_xaxes="all",
        horizontal_spacing=0.03,
        vertical_spacing=0.12 if rows > 1 else 0.0,
        subplot_titles=[f"{h} hidden" for h in sweep.hidden_sizes],
    )
    colours = rate_colours(sweep.learning_rates)
    for (j, hidden), lr in itertools.product(enumerate(sweep.hidden_sizes), sweep.learning_rates):
        result = sweep.results[(lr, hidden, seed)]
        x, y = thinned(result.costs)
        config = f"α {lr:g}, {hidden} hidden"
        end = "diverged" if result.diverged is not None else f"final cost {result.costs[-1]:.4f}"
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                name=f"α {lr:g}",
                legendgroup=f"{lr:g}",
                showlegend=j == 0,
                line=dict(color=colours[lr], width=1.8),
                hovertemplate=f"{config}<br>iteration %{{x:,}}: cost %{{y:.4f}}<br>{end}<extra></extra>",
            ),
            j // cols + 1,
            j % cols + 1,
        )
    # Spikes and divergences are cut at 1.15 x the highest starting cost, so every curve's shape reads;
    # hovering shows the true values (and says "diverged").
    top = 1.15 * max(float(r.costs[0]) for r in sweep.results.values() if len(r.costs))
    fig.update_xaxes(range=[0, sweep.iterations], showgrid=False, tickfont=dict(size=11), nticks=3, tickformat="~s")
    fig.update_yaxes(range=[0, top], gridcolor="rgba(128,128,128,0.2)", tickfont=dict(size=12))
    fig.update_yaxes(title=dict(text="train cost", font=dict(size=13)), col=1)
    fig.update_xaxes(title=dict(text="iteration", font=dict(size=13)), row=rows, col=1)
    fig.update_annotations(font=dict(size=13))
    fig.update_layout(
        height=height or 40 + 270 * rows,
        margin=dict(l=10, r=10, t=30, b=10),
        legend=dict(title=dict(text="learning rate"), font=dict(size=13), x=1.01, y=1, yanchor="top"),
        hovermode="closest",
    )
    return fig
