"""twolayer: watch a two-layer network learn. Run with `streamlit run app.py`."""

import streamlit as st

st.set_page_config(page_title="twolayer playground", page_icon="🧠", layout="wide")

pages = [
    st.Page("pages/playground.py", title="Playground", icon="🎛️", default=True, url_path="playground"),
]
st.navigation(pages).run()
