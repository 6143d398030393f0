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
from plotly.subplots import make_subplots

from twolayer import Config, Result, train_many
from twolayer.figures import PROBABILITY_SCALE, probability_grid


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


def heatmap_figure(sweep: Sweep, metric: str, current: tuple[float, int] | None, height: int = 420) -> go.Figure:
    """One square per (learning rate, hidden size), coloured by the metric; clickable points.

    Drawn as a scatter of square markers rather than a heatmap so a click selects a cell.
    """
    _, lower_better = METRICS[metric]
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
    fig = go.Figure(
        go.Scatter(
            x=pick(xs, True),
            y=pick(ys, True),
            mode="markers+text",
            text=pick(texts, True),
            textfont=dict(size=13, color="black"),
            customdata=pick(customdata, True),
            marker=dict(
                symbol="square",
                size=58,
                color=finite,
                colorscale="Viridis",
                reversescale=lower_better,
                cmin=min(finite) if finite else 0,
                cmax=max(finite) if finite else 1,
                colorbar=dict(title=dict(text=metric)),
                line=dict(color="white", width=1),
            ),
            hovertemplate="learning rate %{y}, hidden %{x}: %{text}<extra>click to open</extra>",
        )
    )
    if not all(ok):  # diverged cells: grey, still clickable (the playground shows the divergence)
        fig.add_trace(
            go.Scatter(
                x=pick(xs, False),
                y=pick(ys, False),
                mode="markers+text",
                text=pick(texts, False),
                textfont=dict(size=12, color="#3c4043"),
                customdata=pick(customdata, False),
                marker=dict(symbol="square", size=58, color="#dadce0", line=dict(color="white", width=1)),
                hovertemplate="learning rate %{y}, hidden %{x}: diverged<extra>click to open</extra>",
            )
        )
    if current is not None and f"{current[0]:g}" in ys and str(current[1]) in xs:
        fig.add_trace(
            go.Scatter(
                x=[str(current[1])],
                y=[f"{current[0]:g}"],
                mode="markers",
                hoverinfo="skip",
                marker=dict(symbol="square-open", size=66, color="#d93025", line=dict(color="#d93025", width=4)),
                name="playground's setting",
            )
        )
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        showlegend=False,
        plot_bgcolor="white",
        xaxis=dict(
            title="hidden units",
            type="category",
            categoryorder="array",
            categoryarray=[str(h) for h in sweep.hidden_sizes],
        ),
        yaxis=dict(
            title="learning rate",
            type="category",
            categoryorder="array",
            categoryarray=[f"{lr:g}" for lr in sweep.learning_rates],
        ),
    )
    return fig


def boundaries_figure(sweep: Sweep, data, activation: str, axes, seed: int, height: int = 600) -> go.Figure:
    """Small multiples: the decision boundary of every (learning rate, hidden size), one seed."""
    rows, cols = len(sweep.learning_rates), len(sweep.hidden_sizes)
    fig = make_subplots(
        rows,
        cols,
        shared_xaxes=True,
        shared_yaxes=True,
        horizontal_spacing=0.01,
        vertical_spacing=0.01,
        column_titles=[f"{h} hidden" for h in sweep.hidden_sizes],
        row_titles=[f"α {lr:g}" for lr in sweep.learning_rates],
    )
    X, Y = data[0], data[1]
    for (i, lr), (j, hidden) in itertools.product(enumerate(sweep.learning_rates), enumerate(sweep.hidden_sizes)):
        result: Result = sweep.results[(lr, hidden, seed)]
        xs, ys, P = probability_grid(result.params, activation, *axes, resolution=40)
        fig.add_trace(
            go.Heatmap(
                x=xs,
                y=ys,
                z=P.astype(np.float32),
                zmin=0,
                zmax=1,
                showscale=False,
                colorscale=PROBABILITY_SCALE,
                hoverinfo="skip",
            ),
            i + 1,
            j + 1,
        )
        fig.add_trace(
            go.Scattergl(
                x=X[0],
                y=X[1],
                mode="markers",
                hoverinfo="skip",
                marker=dict(size=2.5, color=np.where(Y[0] > 0.5, "#1a73e8", "#e8710a")),
            ),
            i + 1,
            j + 1,
        )
    fig.update_xaxes(showticklabels=False, range=axes[0])
    fig.update_yaxes(showticklabels=False, range=axes[1])
    fig.update_layout(height=height, margin=dict(l=10, r=30, t=30, b=10), showlegend=False)
    return fig


def curves_figure(sweep: Sweep, seed: int, height: int = 420) -> go.Figure:
    """Every configuration's cost curve, coloured by learning rate, one line style per hidden size."""
    palette = ["#1a73e8", "#e8710a", "#188038", "#d93025", "#9334e6", "#12b5cb", "#f9ab00", "#5f6368"]
    dashes = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
    fig = go.Figure()
    for (i, lr), (j, hidden) in itertools.product(enumerate(sweep.learning_rates), enumerate(sweep.hidden_sizes)):
        costs = sweep.results[(lr, hidden, seed)].costs
        step = max(1, len(costs) // 500)
        fig.add_trace(
            go.Scatter(
                x=np.arange(0, len(costs), step),
                y=costs[::step].astype(np.float32),
                mode="lines",
                name=f"α {lr:g}, {hidden} hidden",
                line=dict(color=palette[i % len(palette)], dash=dashes[j % len(dashes)], width=1.6),
            )
        )
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        plot_bgcolor="white",
        xaxis=dict(title="iteration", range=[0, sweep.iterations], gridcolor="#eee"),
        yaxis=dict(title="train cost", rangemode="tozero", gridcolor="#eee"),
    )
    return fig
