"""Your data: upload a CSV of x1, x2, label and train on it in the playground."""

import hashlib
from dataclasses import replace

import streamlit as st

from appkit import controls
from appkit.navigation import ensure_app
from appkit.settings import DEFAULTS, UPLOAD
from twolayer.data import MAX_ROWS, MIN_ROWS, load_csv, make_dataset, to_csv
from twolayer.figures import boundary_figure


@st.cache_data(show_spinner=False)
def example_csv() -> str:
    X, y = make_dataset("moons", 200, 0.2, random_state=0)
    return to_csv(X, y)


def use_upload() -> None:
    settings = replace(st.session_state.get("settings", DEFAULTS), dataset=UPLOAD)
    controls.set_widgets(settings)
    st.session_state.settings = settings


def forget_upload() -> None:
    st.session_state.pop("upload", None)
    settings = st.session_state.get("settings", DEFAULTS)
    if settings.dataset == UPLOAD:
        settings = replace(settings, dataset=DEFAULTS.dataset)
        controls.set_widgets(settings)
        st.session_state.settings = settings


def main() -> None:
    ensure_app("pages/your_data.py")
    st.markdown("#### Your own data")
    st.write(
        f"A CSV file with three columns, `x1, x2, label` (a header row is optional), {MIN_ROWS:,} to "
        f"{MAX_ROWS:,} rows, and exactly two label values (0/1, or any two numbers: the smaller becomes 0)."
    )
    st.download_button(
        "Example file (200 points of moons)", example_csv(), "example-moons.csv", "text/csv", on_click="ignore"
    )
    file = st.file_uploader("CSV file", type=["csv", "txt"], key="uploader")
    if file is not None:
        content = file.getvalue()
        digest = hashlib.sha256(content).hexdigest()[:16]
        current = st.session_state.get("upload")
        if current is None or current["digest"] != digest:
            try:
                X, y = load_csv(content)
            except ValueError as error:
                st.error("This file cannot be used; the data you had stays in use.", icon=":material/warning:")
                st.text(str(error))  # plain text: nothing from the file is rendered as Markdown or HTML
            else:
                # A safe display name: the file name is user text, keep letters, digits and . _ -
                name = "".join(c for c in file.name if c.isalnum() or c in "._-")[:40] or "upload.csv"
                st.session_state.upload = {"X": X, "y": y, "name": name, "digest": digest}
                st.success(f"Loaded {len(y):,} points.")
    current = st.session_state.get("upload")
    if current is None:
        st.info("No data uploaded yet: the playground uses its generated datasets.")
        return
    X, y = current["X"], current["y"]
    st.caption(
        f"In use: {current['name']}: {len(y):,} points, {int((y == 0).sum()):,} of class 0 and "
        f"{int((y == 1).sum()):,} of class 1."
    )
    left, right, _ = st.columns([1.3, 1, 3])
    if left.button("Train on it in the playground", type="primary", on_click=use_upload):
        st.switch_page("pages/playground.py")
    right.button("Forget this data", on_click=forget_upload)
    st.plotly_chart(boundary_figure(None, "tanh", X, y, height=420), key="preview")


main()
