"""Helpers shared by the tests and the benchmarks (which import them from here, never the other way).

- `plain_tutorial`: the tutorial's network written out plainly, the reference for speed and costs.
- `servers`: starting and stopping `streamlit run` (and the nginx cluster) for browser tests and benchmarks.
- `load_test`, `protocol_user`: concurrent sessions against a server, as browsers and as protocol users.
- `live_chart_demo.py`: a small Streamlit app that exercises `appkit.live_chart` (run by path, not imported).
- `apptest`: driving the app through Streamlit's AppTest (tests/test_playground.py, tests/test_pages.py).
- `installed_wheel`: twolayer's wheel pip-installed into a fresh venv (tests/test_packaging.py, tests/test_exports.py).
"""
