"""One browser session of the app: its settings, upload, current run, ghost curves and run records, and
the verbs the pages call (apply settings, start a scene, open a configuration, train, pause, step, go
on, regenerate the data, edit a weight, reset). Pages read a `Session` and call it; this module is the
only one that touches `st.session_state`, under the keys declared here:

    SESSION_KEY        the Session object
    widget_key(name)   one per settings widget ("w_<name>"), so a scene or a link can set them
    PRESENT_KEY        the presenter-mode toggle
    NAVIGATION_KEY     set by app.py: its st.navigation is in place
    DEEP_LINK_KEY      a page opened by a link before app.py ran (see ensure_app)

`Session` itself uses no Streamlit, so every verb can be tested on its own; the functions at the end
bind it to Streamlit.
"""

from collections.abc import Mapping
from dataclasses import replace

import streamlit as st

from . import records
from .build import Upload, build_data, data_id
from .runstate import DIVERGED, Run
from .scenes import SCENES
from .settings import (
    DEFAULTS,
    FIELDS,
    MAX_SEED,
    UPLOAD,
    Settings,
    describe_change,
    from_query,
    markdown_code,
    short_label,
)
from .settings import to_query as settings_query

SESSION_KEY = "twolayer_session"
PRESENT_KEY = "w_present"
NAVIGATION_KEY = "navigation_ready"
DEEP_LINK_KEY = "deep_link"
MAX_GHOSTS = 6  # faded cost curves of earlier runs on the cost chart


def widget_key(name: str) -> str:
    return f"w_{name}"


def next_seed(seed: int) -> int:
    """The data seed Regenerate moves to: the next one, wrapping at the largest."""
    return 0 if seed >= MAX_SEED else seed + 1


class Session:
    """What one visitor has done. `run` is None until the Playground first draws."""

    def __init__(self, settings: Settings = DEFAULTS, *, presenter: bool = False, probe: bool = True):
        self.settings = settings
        self.presenter = presenter
        self.upload: Upload | None = None
        self.run: Run | None = None
        self.ghosts: list[tuple[str, object]] = []  # (legend label, cost curve), oldest first
        self.records: dict[int, dict] = {}  # run number -> records.record(...), the last MAX_RECORDS
        self.warnings: list[str] = []  # about the URL the session started from; shown until Train
        self.note: str | None = None  # says once what a change did ("the run starts afresh")
        self.error: str | None = None  # a change that could not be made, and why
        self.widgets_stale = True  # the settings changed outside the sidebar: the widgets must show them
        self.page_stale = False  # changed from inside the live view (a weight set on the stage, the end of a run)
        self.sweep = None  # the Sweep page's last result
        self.timed_at = 0.0  # when the Playground last set its tick timer (time.monotonic)
        self.probe = probe  # time a few steps when a run starts, for the auto speed (tests turn it off)
        self._serial = 0
        self._train_on_start = False

    @classmethod
    def from_url(cls, query: Mapping[str, str | list[str]], probe: bool = True) -> "Session":
        """A session started from a link: its settings (or a scene, which trains at once), presenter mode,
        and a warning for everything in the link that could not be used."""
        settings, warnings = from_query(query)
        scene = query.get("scene")
        scene = scene[-1] if isinstance(scene, list) and scene else scene
        present = query.get("present")
        present = present[-1] if isinstance(present, list) and present else present
        session = cls(settings, presenter=present in ("1", "true", "yes"), probe=probe)
        if scene is not None:
            if scene in SCENES:
                session.settings, session._train_on_start = SCENES[scene].settings, True
            else:
                shown = markdown_code(repr(str(scene)[:40]))
                warnings.append(f"Unknown scene {shown}; scenes are {', '.join(SCENES)}.")
        if session.settings.dataset == UPLOAD:
            warnings.append("The link uses uploaded data, which is not in this browser session: using moons.")
            session.settings = replace(session.settings, dataset=DEFAULTS.dataset)
        session.warnings = warnings
        return session

    # --- the run ----------------------------------------------------------------------------------

    def current_run(self) -> Run:
        """The run, started from the settings on first use (and trained at once if a scene link asked)."""
        if self.run is None:
            self.run = self._new_run(self.settings)
            if self.run is None:  # the settings cannot be built (`error` says why): the defaults, widgets too
                self.settings, self.widgets_stale = DEFAULTS, True
                self.run = self._new_run(DEFAULTS)
            if self._train_on_start:
                self._train_on_start = False
                self.train()
        return self.run

    def apply(self, settings: Settings) -> Run:
        """Settings from the sidebar. Data or network changes start a fresh run; a learning rate continues
        a run that can go on and starts afresh after Done or a divergence; the rest changes the budget."""
        run = self.current_run()
        if settings == self.settings and settings == run.settings and data_id(settings, self.upload) == run.data_id:
            return run  # (the data_id: a new upload, with the dataset already "upload", is new data)
        old = run.settings
        self.error = self.note = None
        if data_id(settings, self.upload) != run.data_id or settings.model_key() != old.model_key():
            what = "New data" if data_id(settings, self.upload) != run.data_id else "New network"
            change = describe_change(old, settings) or "a new upload"
            self._replace(settings, f"{what} ({change}): the run starts afresh.")
            return self.run
        if settings.learning_rate != old.learning_rate and not run.set_learning_rate(settings.learning_rate):
            state = "diverged" if run.status == DIVERGED else "is done"
            self._replace(
                settings,
                f"Learning rate {old.learning_rate:g} → {settings.learning_rate:g}: the last run {state}, "
                "so a new run starts with it.",
            )
            return self.run
        if settings.learning_rate != old.learning_rate and run.iteration:
            self.note = f"Learning rate {settings.learning_rate:g} from iteration {run.iteration:,} on."
        run.set_budget(settings)
        self.settings = settings
        return run

    def start_scene(self, name: str) -> None:
        """A scene button: the scene's settings, a fresh run, and training starts (whatever ran before)."""
        self.open(SCENES[name].settings, note=None)

    def open(self, settings: Settings, note: str | None) -> None:
        """Opens `settings` in a fresh run and trains it (a scene, or a cell of the Sweep)."""
        self.widgets_stale = True
        if self._replace(settings, note):
            self.warnings = []
            self.run.train()

    def train(self) -> None:
        self.warnings, self.note = [], None  # read by now
        self.current_run().train()

    def pause(self) -> None:
        self.current_run().pause()

    def step(self, n: int) -> None:
        self.current_run().step(n)

    def more(self, n: int) -> None:
        self.current_run().more(n)

    def regenerate(self) -> None:
        """New points: the next data seed (shown under Advanced and in the URL), and a fresh run."""
        self.widgets_stale = True
        self.apply(replace(self.settings, data_seed=next_seed(self.settings.data_seed)))

    def edit_weight(self, name: str, index, value) -> bool:
        """Sets one weight of the current run (a link or bias clicked on the stage): see Run.edit_weight. A run
        that is training pauses first. False, with `error` saying why, when the edit cannot be made."""
        run = self.current_run()
        self.note = self.error = None
        self.page_stale = True  # the note or the error, and the buttons of a paused run
        try:
            run.edit_weight(name, index, value)
        except ValueError as error:
            self.error = f"The weight could not be set: {error}."
            return False
        self.note = f"{name}{list(index)} = {float(value):g} from iteration {run.iteration:,} on."
        return True

    def reset(self) -> None:
        """The same settings and seeds, from the start."""
        self._replace(self.settings, None)

    def clear_ghosts(self) -> None:
        self.ghosts = []

    def finished(self, run: Run) -> None:
        """Called when a run stops by itself (done or diverged): it goes into the records."""
        self._record(run)

    def set_presenter(self, on: bool) -> None:
        self.presenter = bool(on)

    # --- uploads ------------------------------------------------------------------------------------

    def set_upload(self, upload: Upload) -> None:
        """A new file for the Your data page. While the playground uses uploaded data its settings must work
        with the new file too (a test share needs two rows of each class): ValueError saying why otherwise,
        and the upload in use stays. So the session's settings and upload can always be built."""
        if self.settings.dataset == UPLOAD:
            try:
                build_data(self.settings, upload)
            except ValueError as error:
                raise ValueError(
                    f"The playground trains on your data with these settings, and they cannot use this file: {error}."
                ) from None
        self.upload = upload

    def use_upload(self) -> None:
        """Train on the upload: the playground's dataset becomes it."""
        if self.upload is not None:
            self.widgets_stale = True
            self.apply(replace(self.settings, dataset=UPLOAD))

    def forget_upload(self) -> None:
        self.upload = None
        if self.settings.dataset == UPLOAD:
            self.widgets_stale = True
            self.apply(replace(self.settings, dataset=DEFAULTS.dataset))

    # --- reading --------------------------------------------------------------------------------------

    def all_records(self) -> list[dict]:
        """Every recorded run, and the current one if it has steps (with its latest numbers), by number."""
        logged = dict(self.records)
        if self.run is not None and self.run.iteration:
            logged[self.run.serial] = records.record(self.run, self.run.upload)
        return [logged[k] for k in sorted(logged)]

    def describe_data(self) -> str:
        """'moons, noise 0.2, 500 samples', or 'your data: points.csv (300 rows)'."""
        s = self.settings
        if s.dataset == UPLOAD and self.upload is not None:
            return f"your data: {self.upload.describe()}"
        return f"{s.dataset}, noise {s.noise:g}, {s.samples:,} samples"

    def url_query(self) -> dict[str, str]:
        """The URL that restores this session's scene: settings that differ from the defaults."""
        return settings_query(self.settings) | ({"present": "1"} if self.presenter else {})

    # --- inside -------------------------------------------------------------------------------------

    def _new_run(self, settings: Settings) -> Run | None:
        """A ready run of `settings`, or None with `error` set when its data cannot be built."""
        wanted = data_id(settings, self.upload)
        try:
            data = self.run.data if self.run is not None and self.run.data_id == wanted else None
            data = data or build_data(settings, self.upload)
        except ValueError as error:
            self.error = f"These settings cannot be used: {error}. The previous settings stay."
            return None
        if self.run is None or self.run.iteration:  # a run that never stepped is not shown: its number is reused
            self._serial += 1
        run = Run.start(settings, data, serial=self._serial, data_id=wanted, probe=self.probe)
        run.upload = self.upload if settings.dataset == UPLOAD else None
        return run

    def _replace(self, settings: Settings, note: str | None) -> bool:
        """Retires the current run (recorded, kept as a ghost) and starts a fresh one of `settings`.
        If that cannot be built, nothing changes and the widgets go back to the settings in force."""
        old = self.run
        run = self._new_run(settings)
        if run is None:
            self.widgets_stale = True
            return False
        if old is not None:
            old.pause()
            self._record(old)
            if old.iteration >= 2:
                label = f"#{old.serial} · {short_label(old.settings, settings)}"
                self.ghosts = [*self.ghosts, (label, old.trainer.history["cost"].copy())][-MAX_GHOSTS:]
        self.run, self.settings, self.note, self.error = run, settings, note, None
        return True

    def _record(self, run: Run) -> None:
        if run.iteration:
            logged = self.records | {run.serial: records.record(run, run.upload)}
            self.records = {k: logged[k] for k in sorted(logged)[-records.MAX_RECORDS :]}


# --- Streamlit -------------------------------------------------------------------------------------


def current() -> Session:
    """This browser session's Session, made from the URL the first time any page runs."""
    if SESSION_KEY not in st.session_state:
        st.session_state[SESSION_KEY] = Session.from_url(st.query_params.to_dict())
    return st.session_state[SESSION_KEY]


def bind_widgets(session: Session) -> None:
    """Before the sidebar is drawn: its widgets show the session's settings. Streamlit forgets a widget's
    value on pages that do not draw it, and a scene, a sweep cell or an upload changes the settings
    without the widgets; both are put right here.

    A client can send any value for a widget's key, not only what the widget offers: each value is checked
    as its URL parameter would be (settings.Field.from_widget). One that is not allowed is named in
    `error`, and its widget goes back to the setting in force."""
    refused = []
    for f in FIELDS:
        key = widget_key(f.name)
        setting = getattr(session.settings, f.name)
        if not session.widgets_stale and key in st.session_state:
            setting, problem = _widget_setting(f, key, setting)
            if problem is not None:
                refused.append(problem)
            elif setting is None or _widget_value(f, setting) == st.session_state[key]:
                continue  # the widget's own value stands
        st.session_state[key] = _widget_value(f, setting)  # the setting in force, or the value on its step
    if session.widgets_stale or type(st.session_state.get(PRESENT_KEY)) is not bool:
        st.session_state[PRESENT_KEY] = session.presenter
    session.widgets_stale = False
    if refused:
        more = f" And {len(refused) - 2} more." if len(refused) > 2 else ""
        session.error = " ".join(refused[:2]) + more


def _widget_value(f, setting):
    return list(setting) if f.kind is tuple else setting  # pills hold a list


def _widget_setting(f, key: str, current) -> tuple:
    """(the setting that the value of field `f`'s widget stands for, None); or (`current`, why the value cannot
    be a setting, for the user). (None, None) for pills with none chosen, which the sidebar itself refuses."""
    shown = "?"
    try:
        value = st.session_state[key]
        shown = markdown_code(repr(value)[:40])
        if f.kind is tuple and type(value) is list:  # pills hold a list, in the order clicked
            if not value:
                return None, None
            value = tuple(c for c in f.choices if c in value) if set(value) <= set(f.choices) else value
        return f.from_widget(value), None
    except ValueError as error:
        return current, f"{f.label}: the value {shown} {error}; it stays {f.show(current)}."
    except Exception:  # whatever Streamlit raises reading a forged state: the widget is reset all the same
        return current, f"{f.label}: a value of the wrong kind was sent; it stays {f.show(current)}."


def sync_url(session: Session) -> None:
    """The address bar restores the scene: settings that differ from the defaults, and presenter mode."""
    wanted = session.url_query()
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def navigation_ready() -> str | None:
    """app.py calls this before `st.navigation`; returns a page a link opened before it ran, if any."""
    st.session_state[NAVIGATION_KEY] = True
    return st.session_state.pop(DEEP_LINK_KEY, None)


def ensure_app(page: str) -> None:
    """Call first in every page file, with its own path.

    Streamlit runs a file of `pages/` on its own (its older multipage mode) until some session has run
    `app.py`, whose `st.navigation` switches the server over. A page opened by a link before that
    hands over to `app.py`, which then switches to that page under `st.navigation`. Both switches clear
    the URL's query, so the session is made from the link first.
    """
    if not st.session_state.get(NAVIGATION_KEY):
        current()  # the link's settings, scene and presenter mode, before the switches drop its query
        st.session_state[DEEP_LINK_KEY] = page
        st.switch_page("app.py")
