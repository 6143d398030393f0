"""Guard for deep links on a fresh server.

Streamlit runs a file of `pages/` on its own (its older multipage mode) until some session has run
`app.py`, whose `st.navigation` switches the server over. A page opened by a link before that
hands over to `app.py`, which then switches to that page under `st.navigation`.
"""

import streamlit as st


def ensure_app(page: str) -> None:
    """Call first in every page file, with its own path: without app.py's navigation, restart
    through app.py, which then opens `page`."""
    if not st.session_state.get("navigation_ready"):
        st.session_state.deep_link = page
        st.switch_page("app.py")
