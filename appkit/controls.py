"""The playground's sidebar: one widget per setting, drawn from the settings table (settings.FIELDS)."""

import streamlit as st

from .session import PRESENT_KEY, Session, bind_widgets, widget_key
from .settings import BY_NAME, FIELDS, UPLOAD, Field, Settings

GROUPS = ("Data", "Network", "Advanced")


def _widget(f: Field, disabled: bool = False, choices: tuple | None = None, show=None):
    key, label, tip, show = widget_key(f.name), f.label, f.help, show or f.show
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
                    else:  # noise and samples shape generated data only
                        uploaded = f.name in ("noise", "samples") and values["dataset"] == UPLOAD
                        values[f.name] = _widget(f, disabled=uploaded)
    return Settings(**values), present
