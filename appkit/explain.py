"""Numbers and figures for the How it works page: a forward pass for one point, each hidden unit's
map and line. No Streamlit here."""

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from twolayer.activations import ACTIVATIONS
from twolayer.features import DEFAULT_FEATURES, check_features, expand
from twolayer.figures import CLASS_COLOURS, PROBABILITY_SCALE
from twolayer.network import Params, forward


def forward_one(x: np.ndarray, params: Params, activation: str) -> dict[str, np.ndarray]:
    """Z1, A1, Z2 and A2 for one point's inputs x (k,): the tutorial's forward pass with real numbers (x is the
    point (x1, x2) itself with the tutorial's inputs, else its features, twolayer.features.expand)."""
    _, cache = forward(np.asarray(x, dtype=float).reshape(-1, 1), params, activation)
    return {name: cache[name][:, 0] for name in ("Z1", "A1", "Z2", "A2")}


def hidden_units_figure(
    params: Params,
    activation: str,
    X: np.ndarray,
    y: np.ndarray,
    axes,
    columns: int = 4,
    max_units: int = 16,
    resolution: int = 50,
    features=DEFAULT_FEATURES,
) -> go.Figure:
    """One panel per hidden unit j: its activation g(w_j . x + b_j) over the plane, and its line
    w_j . x + b_j = 0, drawn thicker for a larger |W2_j| and coloured by the sign of W2_j (blue: it
    pushes towards class 1). With other input features than x1, x2 the "line" is the curve w_j . F(x) + b_j = 0
    of the point's features F(x)."""
    g, _ = ACTIVATIONS[activation]
    features = check_features(features)
    W1, b1, W2 = params["W1"], params["b1"][:, 0], params["W2"][0]
    units = np.argsort(-np.abs(W2))[:max_units]  # the most influential first
    rows = int(np.ceil(len(units) / columns))
    fig = make_subplots(
        rows,
        columns,
        horizontal_spacing=0.02,
        vertical_spacing=0.06,
        subplot_titles=[f"unit {j + 1}: W2 = {W2[j]:+.2f}" for j in units],
    )
    xs, ys = np.linspace(*axes[0], resolution), np.linspace(*axes[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    biggest = np.abs(W2).max() or 1.0
    low = -1.0 if activation == "tanh" else 0.0
    for n, j in enumerate(units):
        row, col = n // columns + 1, n % columns + 1
        if features == DEFAULT_FEATURES:
            Z = W1[j, 0] * gx + W1[j, 1] * gy + b1[j]
        else:
            Z = (W1[j] @ expand(np.vstack([gx.ravel(), gy.ravel()]), features)).reshape(gx.shape) + b1[j]
        A = g(Z)
        fig.add_trace(
            go.Heatmap(
                x=xs,
                y=ys,
                z=A.astype(np.float32),
                colorscale=PROBABILITY_SCALE,  # the playground's: orange low, white middle, blue high
                zmin=low,
                zmid=0 if low else None,
                zmax=1.0,
                showscale=n == 0,
                hovertemplate="g = %{z:.2f}<extra></extra>",
            ),
            row,
            col,
        )
        fig.add_trace(
            go.Scatter(
                x=X[:, 0],
                y=X[:, 1],
                mode="markers",
                hoverinfo="skip",
                # Class colours with a dark rim, so the points stand out on the orange/blue map.
                marker=dict(size=4, color=[CLASS_COLOURS[c] for c in y], line=dict(color="#202124", width=0.5)),
            ),
            row,
            col,
        )
        width = 1 + 5 * abs(W2[j]) / biggest
        if features != DEFAULT_FEATURES:  # a curve: the level 0 of Z
            fig.add_trace(
                go.Contour(
                    x=xs, y=ys, z=Z, showscale=False, hoverinfo="skip", contours=dict(start=0, end=0, coloring="none"),
                    line=dict(color=CLASS_COLOURS[int(W2[j] > 0)], width=width),
                ),
                row,
                col,
            )  # fmt: skip
        line = _line(W1[j], b1[j], axes) if features == DEFAULT_FEATURES else None
        if line is not None:
            fig.add_trace(
                go.Scatter(
                    x=line[0],
                    y=line[1],
                    mode="lines",
                    hoverinfo="skip",
                    line=dict(color=CLASS_COLOURS[int(W2[j] > 0)], width=1 + 5 * abs(W2[j]) / biggest),  # blue: class 1
                ),
                row,
                col,
            )
    fig.update_xaxes(showticklabels=False, range=list(axes[0]))
    fig.update_yaxes(showticklabels=False, range=list(axes[1]))
    fig.update_layout(height=230 * rows + 40, margin=dict(l=10, r=10, t=40, b=10), showlegend=False)
    return fig


def _line(w: np.ndarray, b: float, axes):
    """Two end points of w . x + b = 0 across the plot box, or None if w is zero."""
    (x0, x1), (y0, y1) = axes
    if abs(w[1]) > abs(w[0]):
        xs = np.array([x0, x1])
        return xs, -(w[0] * xs + b) / w[1]
    if w[0] == 0:
        return None
    ys = np.array([y0, y1])
    return -(w[1] * ys + b) / w[0], ys
