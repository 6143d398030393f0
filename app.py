"""twolayer: watch a two-layer network learn. Run with `streamlit run app.py`."""

import streamlit as st
from threadpoolctl import threadpool_limits

from appkit import heap, session
from appkit.assets import FAVICON


@st.cache_resource(show_spinner=False)
def one_blas_thread() -> None:
    """Every session trains tiny matrices on a shared 2-core machine: BLAS threads only add overhead and
    oversubscribe the cores when several people train at once (measured in ../shared/notes/baselines.md).
    Once per process: finding the BLAS libraries costs ~1 ms, too much for every rerun."""
    threadpool_limits(1)


one_blas_thread()

# Presenter mode (?present=1) opens with the sidebar folded away: the room sees the stage, not the controls.
presenting = st.query_params.get("present") in ("1", "true", "yes")
st.set_page_config(
    page_title="twolayer playground",
    page_icon=str(FAVICON),  # served by this server: a talk's laptop may be offline
    layout="wide",
    initial_sidebar_state="collapsed" if presenting else "auto",
)

pages = [
    st.Page("pages/playground.py", title="Playground", icon=":material/tune:", default=True, url_path="playground"),
    st.Page("pages/sweep.py", title="Sweep", icon=":material/grid_view:", url_path="sweep"),
    st.Page("pages/compare.py", title="Compare runs", icon=":material/compare_arrows:", url_path="compare"),
    st.Page("pages/how_it_works.py", title="How it works", icon=":material/functions:", url_path="how-it-works"),
    st.Page("pages/your_data.py", title="Your data", icon=":material/upload_file:", url_path="your-data"),
]
deep_link = session.navigation_ready()  # pages/*.py check it (session.ensure_app)
page = st.navigation(pages)
if deep_link:  # a link opened before navigation existed; the switches dropped its query: give the scene back
    st.switch_page(deep_link, query_params=session.current().url_query())
page.run()
heap.freeze_once()  # after a whole page has run: modules and Plotly's tables are loaded (appkit/heap.py)
