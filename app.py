"""twolayer: watch a two-layer network learn. Run with `streamlit run app.py`."""

import streamlit as st

st.set_page_config(page_title="twolayer playground", page_icon="🧠", layout="wide")

pages = [
    st.Page("pages/playground.py", title="Playground", icon="🎛️", default=True, url_path="playground"),
    st.Page("pages/sweep.py", title="Sweep", icon="🧮", url_path="sweep"),
    st.Page("pages/compare.py", title="Compare runs", icon="📊", url_path="compare"),
    st.Page("pages/how_it_works.py", title="How it works", icon="🔍", url_path="how-it-works"),
    st.Page("pages/your_data.py", title="Your data", icon="📄", url_path="your-data"),
]
st.navigation(pages).run()
