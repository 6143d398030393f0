"""The playground's sidebar: one widget per setting, with the labels users see.

Widgets read and write `st.session_state["w_<field>"]`, so the URL (or a scene) can set them before
they are drawn.
"""

import streamlit as st

from .settings import CHOICES, DEFAULTS, NUMERIC_RANGES, UPLOAD, Settings

DATASET_NAMES = {"moons": "Moons", "circles": "Circles", "xor": "XOR", "gaussian": "Gaussian", "spiral": "Spiral"}
ACTIVATION_NAMES = {"tanh": "tanh (the tutorial's)", "relu": "ReLU", "sigmoid": "sigmoid"}
INIT_NAMES = {"he": "He: randn·√(2/fan_in)", "small": "small: randn·0.01"}


def key(field: str) -> str:
    return f"w_{field}"


def set_widgets(settings: Settings) -> None:
    """Puts settings into the widgets' state (before the widgets are drawn in this run)."""
    for field, value in settings.__dict__.items():
        st.session_state[key(field)] = value


def _slider(label: str, field: str, tip: str, fmt: str | None = None, disabled: bool = False):
    low, high, step = NUMERIC_RANGES[field]
    return st.slider(label, low, high, step=step, key=key(field), help=tip, format=fmt, disabled=disabled)


def _choice(label: str, field: str, tip: str, fmt=lambda v: f"{v:g}"):
    return st.select_slider(label, CHOICES[field], key=key(field), help=tip, format_func=fmt)


def sidebar(upload_name: str | None = None) -> Settings:
    """Draws the controls; returns the settings they show. With `upload_name`, the user's CSV is
    one of the datasets."""
    # Streamlit forgets a widget's state on pages that do not draw it: restore it from the last settings.
    last = st.session_state.get("settings", DEFAULTS)
    for field, value in last.__dict__.items():
        st.session_state.setdefault(key(field), value)
    datasets = [d for d in CHOICES["dataset"] if d != UPLOAD or upload_name]
    if st.session_state[key("dataset")] not in datasets:
        st.session_state[key("dataset")] = DEFAULTS.dataset
    names = DATASET_NAMES | {UPLOAD: f"Your data ({upload_name})"}
    st.session_state.setdefault("present", st.session_state.get("presenter", False))
    with st.sidebar:
        st.toggle(
            "Presenter mode",
            key="present",
            help="Bigger text and lines for a projector, named scenes, less explanation. Also the URL flag ?present=1.",
        )
        st.subheader("Data")
        st.selectbox(
            "Dataset",
            datasets,
            key=key("dataset"),
            format_func=names.get,
            help="make_moons is the tutorial's; the others are TensorFlow Playground's. "
            "Upload your own on the Your data page.",
        )
        generated = st.session_state[key("dataset")] != UPLOAD
        _slider("Noise", "noise", "Standard deviation of the noise added to the points.", disabled=not generated)
        _slider("Samples", "samples", "Number of points (train and test together).", disabled=not generated)
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
    settings = Settings(**{field: st.session_state[key(field)] for field in DEFAULTS.__dict__})
    st.session_state.settings = settings
    st.session_state.presenter = st.session_state.present  # survives pages without the toggle
    return settings
