"""The playground's sidebar: one widget per setting, with the labels users see.

Widgets read and write `st.session_state["w_<field>"]`, so the URL (or a scene) can set them before
they are drawn.
"""

import streamlit as st

from .settings import CHOICES, DEFAULTS, NUMERIC_RANGES, Settings

DATASET_NAMES = {"moons": "Moons", "circles": "Circles", "xor": "XOR", "gaussian": "Gaussian", "spiral": "Spiral"}
ACTIVATION_NAMES = {"tanh": "tanh (the tutorial's)", "relu": "ReLU", "sigmoid": "sigmoid"}
INIT_NAMES = {"he": "He: randn·√(2/fan_in)", "small": "small: randn·0.01"}


def key(field: str) -> str:
    return f"w_{field}"


def set_widgets(settings: Settings) -> None:
    """Puts settings into the widgets' state (before the widgets are drawn in this run)."""
    for field, value in settings.__dict__.items():
        st.session_state[key(field)] = value


def _slider(label: str, field: str, tip: str, fmt: str | None = None):
    low, high, step = NUMERIC_RANGES[field]
    return st.slider(label, low, high, step=step, key=key(field), help=tip, format=fmt)


def _choice(label: str, field: str, tip: str, fmt=lambda v: f"{v:g}"):
    return st.select_slider(label, CHOICES[field], key=key(field), help=tip, format_func=fmt)


def sidebar() -> Settings:
    """Draws the controls; returns the settings they show."""
    for field, value in DEFAULTS.__dict__.items():  # first visit: start from the defaults
        st.session_state.setdefault(key(field), value)
    with st.sidebar:
        st.subheader("Data")
        st.selectbox(
            "Dataset",
            CHOICES["dataset"],
            key=key("dataset"),
            format_func=DATASET_NAMES.get,
            help="make_moons is the tutorial's; the others are TensorFlow Playground's.",
        )
        _slider("Noise", "noise", "Standard deviation of the noise added to the points.")
        _slider("Samples", "samples", "Number of points (train and test together).")
        st.subheader("Network")
        _choice(
            "Learning rate",
            "learning_rate",
            "Step size α of gradient descent. Changing it lets a run continue; try 10 to see divergence.",
        )
        _slider("Hidden units", "hidden_size", "Neurons in the hidden layer (the tutorial uses 5).")
        _choice("Iterations", "iterations", "Full-batch gradient-descent steps in a run.", fmt=lambda v: f"{v:,}")
        with st.expander("Advanced"):
            _slider("Test share", "test_share", "Share of the points held out to measure generalisation.")
            st.selectbox(
                "Hidden activation", CHOICES["activation"], key=key("activation"), format_func=ACTIVATION_NAMES.get
            )
            st.radio(
                "Initialisation",
                CHOICES["init"],
                key=key("init"),
                format_func=INIT_NAMES.get,
                help="Weights start random, biases at zero. Small weights start at cost ≈ ln 2.",
            )
            _choice("L2 rate", "l2", "λ of the penalty λ/(2m)·(|W1|² + |W2|²), included in the train cost.")
            st.number_input("Data seed", *NUMERIC_RANGES["data_seed"][:2], step=1, key=key("data_seed"))
            st.number_input("Initialisation seed", *NUMERIC_RANGES["init_seed"][:2], step=1, key=key("init_seed"))
            _choice(
                "Animation speed",
                "speed",
                "Training steps between chart updates.",
                fmt=lambda v: "auto" if v == 0 else f"{v:,} steps/update",
            )
    return Settings(**{field: st.session_state[key(field)] for field in DEFAULTS.__dict__})
