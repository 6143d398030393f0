"""Your data: upload a CSV of x1, x2, label and train on it in the playground."""

import streamlit as st

from appkit import session
from appkit.build import Upload
from twolayer.data import MAX_ROWS, MIN_ROWS, make_dataset, to_csv
from twolayer.figures import boundary_figure


@st.cache_data(show_spinner=False)
def example_csv() -> str:
    X, y = make_dataset("moons", 200, 0.2, random_state=0)
    return to_csv(X, y)


def main() -> None:
    session.ensure_app("pages/your_data.py")
    s = session.current()
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
        if s.upload is None or s.upload.digest != Upload.digest_of(content):
            try:
                s.set_upload(Upload.read(content, file.name))
            except ValueError as error:
                st.error("This file cannot be used; the data you had stays in use.", icon=":material/warning:")
                st.text(str(error))  # plain text: nothing from the file is rendered as Markdown or HTML
            else:
                st.success(f"Loaded {s.upload.rows:,} points.")
    if s.upload is None:
        st.info("No data uploaded yet: the playground uses its generated datasets.")
        return
    X, y = s.upload.X, s.upload.y
    st.caption(
        f"In use: {s.upload.name}: {len(y):,} points, {int((y == 0).sum()):,} of class 0 and "
        f"{int((y == 1).sum()):,} of class 1."
    )
    left, right, _ = st.columns([1.3, 1, 3])
    if left.button("Train on it in the playground", type="primary", on_click=s.use_upload):
        st.switch_page("pages/playground.py")
    right.button("Forget this data", on_click=s.forget_upload)
    st.plotly_chart(boundary_figure(None, "tanh", X, y, height=420), key="preview")


main()
