"""`/your-data` on a server no session has opened yet (a fresh start or a restart): until `app.py`'s
`st.navigation` has run once, Streamlit serves the files of `pages/` by file name, and `pages/your_data.py`
would be `/your_data`, so the link showed a false "Page not found". This file carries the page's real
address (`url_path` in `app.py`) to `ensure_app`, which hands the link to `app.py`; `st.navigation` then
opens Your data itself. Not one of the app's pages: `app.py` never lists it."""

from appkit import session

session.ensure_app("pages/your_data.py")
