"""Driving the app through Streamlit's AppTest: shared by tests/test_playground.py and tests/test_pages.py.

AppTest runs the app in this process, one script run per `.run()`. The Playground's live view is a
fragment with a timer, which AppTest does not simulate: the fragment runs once per `.run()`, so each
`.run()` of a running app is one training tick. Open the app with a fixed `speed` (a choice of the
Animation speed field) wherever a test counts steps per tick: the auto speed sizes its ticks from the
wall clock.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from appkit.live_chart import unpack
from appkit.runstate import Run
from appkit.session import SESSION_KEY, Session
from appkit.stage import decode

APP = str(Path(__file__).resolve().parents[2] / "app.py")  # AppTest resolves relative paths against its caller
PLAYGROUND, SWEEP, COMPARE, HOW, YOUR_DATA = (
    f"pages/{name}.py" for name in ("playground", "sweep", "compare", "how_it_works", "your_data")
)
TIMEOUT = 60  # seconds for one script run: generous, for a loaded machine


def ok(at: AppTest) -> AppTest:
    """`at`, after checking its last run raised nothing."""
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_app(query: dict[str, str] | None = None, page: str | None = None) -> AppTest:
    """A new browser session after its first run: the Playground, or `page` (a path under pages/) opened by
    a link, with `query` in the URL."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query or {})
    if page is None:
        return ok(at.run())
    # Before its first run AppTest can name a page only by its file, which runs it on its own, as a link
    # does on a fresh server (session.ensure_app hands it over to app.py). Later runs must ask for the page
    # that app.py's st.navigation registered, or each would run the file on its own again.
    ok(at.switch_page(page).run())
    return landed(at, page)


def go(at: AppTest, page: str) -> AppTest:
    """Another page of the same session, as from the sidebar's navigation."""
    return ok(at.switch_page(page).run())


def landed(at: AppTest, page: str) -> AppTest:
    """After the app's own `st.switch_page` to `page`: keeps it for later runs. AppTest asks every later
    `.run()` for the page last given to `at.switch_page`, not for the one the app switched to."""
    at.switch_page(page)
    return at


def session_of(at: AppTest) -> Session:
    return at.session_state[SESSION_KEY]


def run_of(at: AppTest) -> Run:
    return session_of(at).run


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def button(at: AppTest, key: str | None = None, label: str | None = None):
    """The one button with this key (or label); None if there is none."""
    found = [b for b in at.button if (key is None or b.key == key) and (label is None or b.label == label)]
    assert len(found) <= 1, f"{len(found)} buttons {key or label!r}"
    return found[0] if found else None


def click(at: AppTest, key: str | None = None, label: str | None = None) -> AppTest:
    """Clicks the button with this key (or label), which must be there and enabled, and runs the app."""
    b = button(at, key, label)
    assert b is not None, f"no button {key or label!r}; buttons: {[x.key for x in at.button]}"
    assert not b.disabled, f"button {key or label!r} is disabled"
    return ok(b.click().run())


def enabled(at: AppTest) -> dict[str, bool]:
    """The run controls shown, by key: whether each is enabled."""
    keys = ("train", "pause", "more", "step", "step_one", "reset")
    return {b.key: not b.disabled for b in at.button if b.key in keys}


def sidebar_widget(at: AppTest, label: str):
    """The one sidebar widget labelled `label` (a settings field's label)."""
    found = [w for w in at.sidebar if getattr(w, "label", None) == label]
    assert len(found) == 1, f"one sidebar widget labelled {label!r}, found {len(found)}"
    return found[0]


def by_label(elements, label: str):
    found = [e for e in elements if e.label == label]
    assert len(found) == 1, f"one element labelled {label!r}, found {len(found)}"
    return found[0]


def metrics(at: AppTest) -> list[tuple[str, str]]:
    """The Playground's metrics as (label, value): the labels from the strip (appkit.metrics), the values the
    boundary stage's last update carries for the state it rests on (what the browser shows at rest)."""
    labels = [
        decode(e.proto.bytes)[0]["l"] for e in at.get("bidi_component") if e.proto.component_name == "appkit.metrics"
    ]
    assert len(labels) == 1, f"one metrics strip expected, found {len(labels)}"
    values = stages(at)["boundary"][0]["mv"][-1]
    assert len(values) == len(labels[0])
    return list(zip(labels[0], values, strict=True))


def metric(at: AppTest, label_start: str) -> str:
    return next(value for label, value in metrics(at) if label.startswith(label_start))


def status(at: AppTest) -> str:
    """The caption that says what the run is doing."""
    found = [c for c in texts(at.caption) if c.startswith(("Ready", "Training", "Paused", "Done", "Stopped"))]
    assert len(found) == 1, texts(at.caption)
    return found[0]


def tick_until(at: AppTest, *statuses: str, ticks: int = 400) -> AppTest:
    """Runs the app (one training tick each) until the run's status is one of `statuses`."""
    for _ in range(ticks):
        if run_of(at).status in statuses:
            return at
        ok(at.run())
    raise AssertionError(f"status {run_of(at).status!r} after {ticks} ticks, wanted one of {statuses}")


# --- charts -----------------------------------------------------------------------------------------


def plotly_charts(at: AppTest) -> dict[str, dict]:
    """The `st.plotly_chart` figures by chart key. AppTest has no accessor for them: the figure is the
    element's `proto.spec`, and a keyed chart's element id is "$$ID-<hash>-<key>"."""
    charts = {e.proto.id.split("-", 2)[-1]: json.loads(e.proto.spec) for e in at.get("plotly_chart")}
    assert len(charts) == len(at.get("plotly_chart"))
    return charts


def live_charts(at: AppTest) -> dict[str, dict]:
    """The Playground's live Plotly charts (appkit.live_chart; the cost curve) by key: each payload holds
    "figure", "height", "plotly_url" and "config"."""
    charts = {}
    for element in at.get("bidi_component"):
        if element.proto.component_name == "appkit.live_chart":
            payload = unpack(element.proto.bytes, _LIVE_CHART_STATICS)
            charts[payload["key"]] = payload
    return charts


_LIVE_CHART_STATICS: dict[str, dict] = {}  # what a browser would hold: static parts (layout, ghosts) by revision


def stages(at: AppTest) -> dict[str, tuple[dict, dict[str, np.ndarray]]]:
    """The Playground's stages (appkit.stage: the network view and the boundary, drawn in the browser) by key:
    each update's header and arrays, decoded as stage.js decodes them. "p" holds the parameters shown
    (appkit.stage.flat_params), "it" their iteration, "its" and "q" the states played on the way; the points
    ("tr", "try", and "te", "tey" with a test set) and "s" (views, axes) come only when they changed."""
    out = {}
    for element in at.get("bidi_component"):
        if element.proto.component_name == "appkit.stage":
            head, arrays = decode(element.proto.bytes)
            out[head["k"]] = (head, arrays)
    return out


def traces(figure: dict) -> dict[str, dict]:
    """A figure's traces by name (or by type, for unnamed ones)."""
    return {trace.get("name") or trace["type"]: trace for trace in figure["data"]}


def array(value) -> np.ndarray:
    """A Plotly array: a NumPy array (a live chart's, unpacked), a list, or a base64 typed array
    {"dtype", "bdata"[, "shape"]}."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, list):
        return np.array(value)
    out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return out.reshape([int(n) for n in str(value["shape"]).split(",")]) if "shape" in value else out


def click_chart_point(at: AppTest, key: str, curve: int, index: int) -> AppTest:
    """A click on point `index` of trace `curve` of the plotly chart `key` (with on_select="rerun"), sent as
    the browser sends it: the selection as JSON in the widget state of the chart's element id. AppTest has
    no public way to do this."""
    (element,) = [e for e in at.get("plotly_chart") if e.proto.id.split("-", 2)[-1] == key]
    trace = json.loads(element.proto.spec)["data"][curve]
    point = {"curve_number": curve, "point_number": index, "point_index": index}
    point |= {name: trace[name][index] for name in ("x", "y", "customdata") if name in trace}
    states = WidgetStates()
    states.CopyFrom(at._tree.get_widget_states())
    state = states.widgets.add()
    state.id = element.proto.id
    state.string_value = json.dumps(
        {"selection": {"points": [point], "point_indices": [index], "box": [], "lasso": []}}
    )
    return ok(at._run(states))


# --- downloads ----------------------------------------------------------------------------------------


class Downloads:
    """What the app's download buttons give, captured from Streamlit's media file manager.

    A button with data (eager) stores the file when it is drawn; one with a callable (deferred) registers it,
    and Streamlit calls it when the button is clicked. AppTest gives each run a new manager and no way to
    click a download, so `fetch` does what the server does on a click: `execute_deferred` on the manager of
    the run that drew the button.
    """

    def __init__(self, monkeypatch) -> None:
        self.files: dict[str, tuple[bytes | str, str, str | None]] = {}  # file id -> (data, mimetype, name)
        self.managers: dict[str, MediaFileManager] = {}  # deferred file id -> the manager that holds it
        load, add_deferred = MemoryMediaFileStorage.load_and_get_id, MediaFileManager.add_deferred
        files, managers = self.files, self.managers

        def load_and_get_id(storage, path_or_data, mimetype, kind, filename=None):
            file_id = load(storage, path_or_data, mimetype, kind, filename)
            files[file_id] = (path_or_data, mimetype, filename)
            return file_id

        def add_deferred_and_keep(manager, *args, **kwargs):
            file_id = add_deferred(manager, *args, **kwargs)
            managers[file_id] = manager
            return file_id

        monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", load_and_get_id)
        monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred_and_keep)

    def fetch(self, at: AppTest, key: str | None = None, label: str | None = None) -> tuple[str, str, str]:
        """(content as text, mimetype, file name) of the download button with this key (or label)."""
        found = [
            b
            for b in at.get("download_button")
            if (key is None or b.key == key) and (label is None or b.label == label)
        ]
        assert len(found) == 1, f"one download button {key or label!r}, found {len(found)}"
        proto = found[0].proto
        if proto.deferred_file_id:
            url = self.managers[proto.deferred_file_id].execute_deferred(proto.deferred_file_id)
        else:
            url = proto.url
        data, mimetype, filename = self.files[Path(url).stem]
        return (data.decode() if isinstance(data, bytes) else data), mimetype, filename
