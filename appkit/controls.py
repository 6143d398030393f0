"""The playground's sidebar: one widget per setting, drawn from the settings table (settings.FIELDS)."""

import streamlit as st

from .session import PRESENT_KEY, Session, bind_widgets, widget_key
from .settings import BY_NAME, DEFAULTS, FIELDS, UPLOAD, Field, Settings, batch_sizes

GROUPS = ("Data", "Network", "Advanced")


def _widget(f: Field, disabled: bool = False, choices: tuple | None = None, show=None):
    key, label, tip, show = widget_key(f.name), f.label, f.help, show or f.show
    if f.widget == "toggle":
        return st.toggle(label, key=key, help=tip, disabled=disabled)
    if f.widget == "pills":  # a subset, in the table's order
        shown = lambda c: f.names.get(c, c)  # noqa: E731  (x1², not x1^2)
        chosen = st.pills(
            label, f.choices, selection_mode="multi", format_func=shown, key=key, help=tip, disabled=disabled
        )
        return tuple(c for c in f.choices if c in chosen)
    if f.widget == "select":
        return st.selectbox(label, choices or f.choices, key=key, format_func=show, help=tip, disabled=disabled)
    if f.widget == "radio":
        return st.radio(label, f.choices, key=key, format_func=show, help=tip, disabled=disabled)
    if f.widget == "stops":
        return st.select_slider(label, f.choices, key=key, format_func=show, help=tip, disabled=disabled)
    low, high, step = f.kind(f.low), f.kind(f.high), f.kind(f.step)
    if f.widget == "number":
        return st.number_input(label, low, high, step=step, key=key, help=tip, disabled=disabled)
    return st.slider(label, low, high, step=step, key=key, help=tip, disabled=disabled)


def _dataset(upload_name: str | None) -> str:
    """The dataset box: the user's upload is one of the choices once there is one."""
    f = BY_NAME["dataset"]
    choices = tuple(d for d in f.choices if d != UPLOAD or upload_name)
    return _widget(f, choices=choices, show=lambda v: f"Your data ({upload_name})" if v == UPLOAD else f.show(v))


def _batch_size(session: Session, samples: int) -> int:
    """Batch sizes up to the sample count (the upload's rows with uploaded data), and full."""
    f, key = BY_NAME["batch_size"], widget_key("batch_size")
    choices = batch_sizes(session.upload.rows if samples == 0 and session.upload else samples or DEFAULTS.samples)
    if st.session_state.get(key) not in choices:  # fewer samples than the batch: the largest batch that fits
        st.session_state[key] = choices[-1]
    return _widget(f, choices=choices)


def _features(session: Session) -> tuple:
    """The feature pills; with none chosen the features in force stay (a network needs an input)."""
    chosen = _widget(BY_NAME["features"])
    if not chosen:
        session.error = "The network needs at least one input feature: the features in force stay."
        session.widgets_stale = True
        return session.settings.features
    return chosen


def sidebar(session: Session) -> tuple[Settings, bool]:
    """Draws the controls; returns the settings they show and whether presenter mode is on."""
    bind_widgets(session)
    values = {}
    with st.sidebar:
        present = st.toggle(
            "Presenter mode",
            key=PRESENT_KEY,
            help="Bigger text and lines for a projector, named scenes, less explanation. Also the URL flag ?present=1.",
        )
        for group in GROUPS:
            box = st.expander(group) if group == "Advanced" else st.container()
            if group != "Advanced":
                box.subheader(group)
            with box:
                for f in (f for f in FIELDS if f.group == group):
                    if f.name == "dataset":
                        values[f.name] = _dataset(session.upload.name if session.upload else None)
                    elif f.name == "batch_size":
                        values[f.name] = _batch_size(session, 0 if values["dataset"] == UPLOAD else values["samples"])
                    elif f.name == "features":
                        values[f.name] = _features(session)
                    else:  # noise and samples shape generated data only
                        uploaded = f.name in ("noise", "samples") and values["dataset"] == UPLOAD
                        values[f.name] = _widget(f, disabled=uploaded)
    return Settings(**values), present
