"""A simulated user that speaks Streamlit's websocket protocol instead of running a browser.

It does what the browser does for a training run, and nothing else: opens `/_stcore/stream`, asks for
the playground with its settings in the query string, presses `Train` (a trigger widget state),
requests the fragment's reruns at the interval the server asks for (`auto_rerun`) on a fixed timer, as the
frontend's `setInterval` does, and records the training states the boundary stage is sent. It costs a few milliseconds
of CPU per update where Chromium costs tens, so many of them can load one server on the same 2 cores
and the numbers measure the server. A real browser user alongside them (load_test.py) shows what a
person would see.
"""

import asyncio
import time
import urllib.request

import numpy as np
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from appkit.settings import to_query
from appkit.stage import decode, flat_params
from tests.support.load_test import SessionResult, gather_sessions, headless_params, session_settings

FRAGMENT_DONE = ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY


class ProtocolUser:
    """One session: the server's messages in, the browser's requests out."""

    def __init__(self, url: str, query: str, backend_cookie: str | None) -> None:
        self.url, self.query = url, query
        self.headers = {"Cookie": f"twolayer_backend={backend_cookie}"} if backend_cookie else {}
        self.buttons: dict[str, str] = {}  # label -> widget id
        self.downloads: dict[str, str] = {}  # label -> media URL (empty for a download built on a click)
        self.shown = None  # the parameters in the last update of the boundary's stage, and their iteration
        self.shown_iteration = None
        self.updates: list[tuple[float, int]] = []  # (perf_counter, iteration) of each new state the stage is sent
        self.captions: list[str] = []
        self.timers: dict[str, tuple[asyncio.Task, float]] = {}  # fragment id -> (its auto-rerun loop, interval)
        self.intervals: list[float] = []  # every auto-rerun interval the server asked for, in order
        self.fragment_runs: list[float] = []  # perf_counter() of each finished fragment run
        self.full_runs = 0
        self.backend: str | None = None
        self.ws = None

    async def send_rerun(self, *, trigger: str | None = None, fragment_id: str = "") -> None:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        if trigger:
            widget = state.widget_states.widgets.add()
            widget.id, widget.trigger_value = trigger, True
        if fragment_id:
            state.fragment_id, state.is_auto_rerun = fragment_id, True
        await self.ws.send(msg.SerializeToString())

    async def auto_rerun(self, fragment_id: str, interval: float) -> None:
        """As the browser does (Streamlit 1.67's App.handleAutoRerun: `setInterval(sendUpdateWidgetsMessage, ...)`): a
        rerun request every `interval`, whether or not the previous run has finished. The server does not cut a
        running fragment short for it: it queues one rerun of the fragment behind it and merges repeats, so a tick
        slower than the interval is followed at once by the next (an interval after the previous one finished
        would add a whole interval to every slow tick, which no browser does)."""
        loop = asyncio.get_running_loop()
        due = loop.time() + interval
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            await self.send_rerun(fragment_id=fragment_id)
            due = max(due + interval, loop.time())  # a late timer fires once, not once per missed interval

    def stop_timers(self) -> None:
        for task, _ in self.timers.values():
            task.cancel()
        self.timers.clear()

    def handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session" and not msg.metadata.run.fragment_ids:
            self.stop_timers()  # a full run starts: the frontend drops the old fragment timers
        elif kind == "auto_rerun":
            fragment_id = msg.auto_rerun.fragment_id
            self.intervals.append(round(msg.auto_rerun.interval, 6))
            interval = msg.auto_rerun.interval
            if fragment_id in self.timers and self.timers[fragment_id][1] == interval:
                return  # the browser keeps a timer that already has this interval
            if fragment_id in self.timers:
                self.timers.pop(fragment_id)[0].cancel()
            self.timers[fragment_id] = (asyncio.create_task(self.auto_rerun(fragment_id, interval)), interval)
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                if timer := self.timers.pop(fragment_id, None):
                    timer[0].cancel()
        elif kind == "script_finished":
            if msg.script_finished == FRAGMENT_DONE:
                self.fragment_runs.append(time.perf_counter())
            else:
                self.full_runs += 1
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            which = element.WhichOneof("type")
            if which == "button":
                self.buttons[element.button.label] = element.button.id
            elif which == "download_button":
                self.downloads[element.download_button.label] = element.download_button.url
            elif which == "markdown":
                self.captions.append(element.markdown.body)
            elif which == "bidi_component" and element.bidi_component.component_name == "appkit.stage":
                head, arrays = decode(element.bidi_component.bytes)
                if head.get("k") == "boundary" and "p" in arrays:
                    self.shown = arrays["p"]  # the parameters the browser would draw, float64 as sent
                    self.shown_iteration = head.get("it")
                    if not self.updates or self.updates[-1][1] != self.shown_iteration:
                        self.updates.append((time.perf_counter(), self.shown_iteration))

    async def listen(self) -> None:
        async for data in self.ws:
            msg = ForwardMsg()
            msg.ParseFromString(data)
            self.handle(msg)

    async def wait_for(self, predicate, timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while not predicate():
            if time.perf_counter() > deadline:
                raise TimeoutError(f"protocol user: timed out; last captions {self.captions[-3:]}")
            await asyncio.sleep(0.02)

    def fetch(self, path: str) -> bytes:
        # The server under test's http:// URL, which the load test itself started or was given.
        request = urllib.request.Request(self.url + path, headers=self.headers)  # noqa: S310 - http only
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - http only
            return response.read()


async def protocol_session(
    url: str,
    index: int,
    iterations: int,
    start: asyncio.Barrier,
    timeout: float,
    backend_cookie: str | None = None,
    speed: int = 0,
) -> SessionResult:
    """Session `index` of a load test, as `load_test.one_session` but without a browser."""
    settings = session_settings(index, iterations, speed)
    user = ProtocolUser(url, "&".join(f"{k}={v}" for k, v in to_query(settings).items()), backend_cookie)
    stream = url.replace("http://", "ws://", 1) + "/_stcore/stream"
    async with websockets.connect(
        stream, subprotocols=["streamlit"], additional_headers=user.headers, max_size=None
    ) as ws:
        user.ws = ws
        user.backend = ws.response.headers.get("x-twolayer-backend")
        listener = asyncio.create_task(user.listen())
        try:
            await user.send_rerun()
            await user.wait_for(lambda: "Train" in user.buttons and user.full_runs, timeout)
            await asyncio.wait_for(start.wait(), timeout)  # every session presses Train together
            clicked = time.perf_counter()
            await user.send_rerun(trigger=user.buttons["Train"])
            done = lambda: any(c.startswith(("Done:", "Stopped")) for c in user.captions)  # noqa: E731
            await user.wait_for(lambda: done() and "Parameters (JSON)" in user.downloads, timeout)
            stopped = lambda: any(c.startswith("Stopped") for c in user.captions)  # noqa: E731
            ended = lambda: user.shown_iteration == settings.iterations or stopped()  # noqa: E731
            await user.wait_for(ended, timeout)  # the stage has been sent the end state
        except TimeoutError as error:
            if not user.fragment_runs:  # never got going: the server is not answering at all
                raise
            print(f"session {index}: {error}", flush=True)  # counted as not held: no updates, not exact
            return SessionResult(index, settings, user.backend, 0, timeout, timeout, False)
        finally:
            user.stop_timers()
            listener.cancel()
    # An update is a new training state reaching the page (the boundary stage's iteration), whichever run sent it:
    # the first tick runs inside the full rerun after Train, and the last ends in the rerun that redraws the buttons.
    times = [clicked] + [t for t, iteration in user.updates if t > clicked and iteration]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # The parameters the page shows at the end (downloads are built on a click now, so they are not at a URL).
    expected = flat_params({name: np.asarray(value) for name, value in headless_params(settings).items()})
    exact = user.shown is not None and np.array_equal(user.shown, expected)
    return SessionResult(
        index,
        settings,
        user.backend,
        len(times) - 1,
        times[-1] - clicked,
        max(gaps) if gaps else 0.0,
        exact,
        tuple(user.intervals),
    )


async def run_protocol_sessions(
    url: str,
    sessions: int,
    iterations: int,
    timeout: float = 120.0,
    backends: list[str] | None = None,
    speed: int = 0,
) -> list[SessionResult]:
    """As `load_test.run_sessions`, with protocol users."""
    return await gather_sessions(
        lambda i, start, cookie: protocol_session(url, i, iterations, start, timeout, cookie, speed),
        sessions,
        backends,
    )
