"""How it works: the tutorial's equations beside the code that computes them, on the live network."""

import inspect

import streamlit as st

from appkit import session
from appkit.explain import forward_one, hidden_units_figure
from twolayer import gradient_check
from twolayer.features import DEFAULT_FEATURES, expand
from twolayer.figures import plot_range
from twolayer.network import backward, cross_entropy, forward, update

EQUATIONS = [
    (
        "Forward pass",
        r"""\begin{aligned}
        Z^{[1]} &= W^{[1]} X + b^{[1]} & A^{[1]} &= \tanh(Z^{[1]}) \\
        Z^{[2]} &= W^{[2]} A^{[1]} + b^{[2]} & A^{[2]} &= \sigma(Z^{[2]})
        \end{aligned}""",
        forward,
    ),
    (
        "Cost (cross-entropy, computed from the logits)",
        r"""\begin{aligned}
        J &= -\frac{1}{m}\sum_{i=1}^{m}\left(y_i \log a_i + (1-y_i)\log(1-a_i)\right) \\
          &= \frac{1}{m}\sum_{i=1}^{m}\left(\log(1 + e^{z_i}) - y_i z_i\right)
        \end{aligned}""",
        cross_entropy,
    ),
    (
        "Backward pass",
        r"""\begin{aligned}
        dZ^{[2]} &= A^{[2]} - Y \\
        dW^{[2]} &= \tfrac{1}{m}\, dZ^{[2]} A^{[1]T} & db^{[2]} &= \tfrac{1}{m} \textstyle\sum dZ^{[2]} \\
        dZ^{[1]} &= W^{[2]T} dZ^{[2]} \odot \left(1 - (A^{[1]})^2\right) \\
        dW^{[1]} &= \tfrac{1}{m}\, dZ^{[1]} X^{T} & db^{[1]} &= \tfrac{1}{m} \textstyle\sum dZ^{[1]}
        \end{aligned}""",
        backward,
    ),
    (
        "Update",
        r"""\theta := \theta - \alpha\, \frac{\partial J}{\partial \theta}
        \quad\text{for } \theta \in \{W^{[1]}, b^{[1]}, W^{[2]}, b^{[2]}\}""",
        update,
    ),
]


GRADIENT_CHECK_FLOATS = 2_000_000  # parameters x hidden units x points: ~0.1 s of one core for the whole check


def gradient_check_points(params, m: int) -> int:
    """How many training points the gradient check uses: all up to 500, fewer for big networks, so the check
    (two costs per parameter, each over hidden units x points) stays ~0.1 s and cannot hold the server: it
    is one uninterruptible call, and Streamlit can stop a run only between calls."""
    n_params = sum(p.size for p in params.values())
    return int(min(m, 500, max(20, GRADIENT_CHECK_FLOATS // (n_params * params["W1"].shape[0]))))


def current_network():
    """The playground's network now (a fresh run of the session's settings if it has none yet)."""
    run = session.current().current_run()
    return run.trainer.params, run.settings.activation, run.data, run.iteration, run.settings.features


def main() -> None:
    session.ensure_app("pages/how_it_works.py")
    st.markdown("#### How it works")
    params, activation, data, iteration, features = current_network()
    X, Y = data[0], data[1]
    F = expand(X, features)  # the network's inputs: x1, x2 themselves with the tutorial's features
    st.caption(
        f"Everything below uses the playground's network at iteration {iteration:,} "
        f"({params['W1'].shape[0]} hidden units, {activation})."
    )
    for title, latex, function in EQUATIONS:
        st.markdown(f"**{title}**")
        left, right = st.columns([1, 1.3])
        left.latex(latex)
        right.code(inspect.getsource(function), language="python", wrap_lines=True)

    st.markdown("**A point through the network**")
    left, right = st.columns([1, 2])
    index = left.number_input("Training point", 0, X.shape[1] - 1, 0, key="point_index")
    x = X[:, int(index)]
    values = forward_one(F[:, int(index)], params, activation)
    left.write(f"x = ({x[0]:.3f}, {x[1]:.3f}), label {int(Y[0, int(index)])}")
    if features != DEFAULT_FEATURES:
        inputs = zip(features, F[:, int(index)], strict=True)
        left.caption("Inputs: " + ", ".join(f"{name} = {v:.3f}" for name, v in inputs))
    right.dataframe(
        [
            {"unit": j + 1, "Z1": values["Z1"][j], "A1": values["A1"][j], "W2": params["W2"][0, j]}
            for j in range(len(values["Z1"]))
        ],
        hide_index=True,
        height=min(300, 38 + 35 * len(values["Z1"])),
    )
    right.latex(
        rf"Z^{{[2]}} = W^{{[2]}} A^{{[1]}} + b^{{[2]}} = {values['Z2'][0]:.4f}, \quad "
        rf"A^{{[2]}} = \sigma(Z^{{[2]}}) = {values['A2'][0]:.4f}"
    )

    st.markdown("**Gradient check on this network**")
    st.caption(
        "The backward pass against central differences (J(θ+ε) − J(θ−ε)) / 2ε; "
        "below 1e-7 means the gradients are right."
    )
    if st.button("Run the gradient check", key="gradcheck"):
        m = gradient_check_points(params, X.shape[1])
        errors = gradient_check(F[:, :m], Y[:, :m], params, activation=activation)
        st.caption(f"On the first {m:,} training points.")
        st.dataframe(
            [{"parameter": k, "relative error": f"{e:.2e}", "ok": e < 1e-7} for k, e in errors.items()], hide_index=True
        )

    st.markdown("**What each hidden unit computes**")
    st.caption(
        "Each panel: the unit's activation over the plane and its line w·x + b = 0; the line is thicker "
        "for a larger outgoing weight |W2|, blue when the unit pushes towards class 1, orange otherwise."
    )
    X_rows, y = X.T, Y[0].astype(int)
    figure = hidden_units_figure(params, activation, X_rows, y, plot_range(X_rows), features=features)
    st.plotly_chart(figure, key="units")


main()
