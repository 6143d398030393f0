"""How busy this server process is, so that each session's update rate makes room for the others and for
its own ticks.

One Streamlit process runs every session's ticks on one interpreter: past ~1 core of Python work
(about 4 sessions at 10 chart updates a second, benchmarks/bench_load.py) updates stop reaching the
browsers at all. Slowing every session's updates as more train keeps them all smooth instead.

A tick must also end well before the browser asks for the next one. The browser asks every interval
(a `setInterval`); a request that comes while a tick runs waits, and the next tick starts the moment this
one ends. Streamlit then drops whatever of the finished tick its event loop has not sent yet (a new run of
a fragment clears the fragment's queued messages: `AppSession._clear_queue` on SCRIPT_STARTED), and that
loop needs the GIL and a core to send. Measured (benchmarks/bench_fairness.py, the server's ticks and sends
logged): when the next tick started within 5 ms, 13 of 25 chart updates were lost; 20 ms or more apart,
131 of 132 arrived. A slower machine or a sweep beside it makes ticks longer than the interval, so the
interval also stretches to STRETCH x the time a tick takes here (its pace, measured below).
"""

import contextlib
import os
import statistics
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

FULL_RATE_SESSIONS = 4  # sessions that train at the full update rate together (measured, README)
RECENT_SECONDS = 1.0  # a run counts as training if it ticked this recently (a closed tab stops ticking)
STRETCH = 1.5  # the interval is at least this many times a tick's time: a third of it is left for sending
BEHIND = 1.25  # ticks this much further apart than the interval ran back to back: one took that long
LONGEST = 1.0  # seconds: the interval never stretches further; ticks 2 x further apart are a pause, not a pace
SAMPLES = 3  # a tick's time is the median of the last few that ran back to back (at least two of them)
MEMORY = 30.0  # seconds a back-to-back tick is remembered: a slow spell does not slow a run for good
FASTER = 0.5  # ... nor once ticks train this much faster than when they ran back to back
BACKGROUND_NICE = 19  # the CPU priority of bulk work (a sweep's training): the lowest

_lock = threading.Lock()
_ticks: dict[int, tuple[weakref.ref, float]] = {}  # id(run) -> (the run, when it last trained)


@dataclass
class Pace:
    """What one run's ticks take. Each tick trains (`ticked`) and then asks for its interval (`tick_seconds`):
    the time between two asks is a tick's period, from its first chunk to the ask the part that trains. A
    period that overshoots the interval in force is the tick's own time (the next one started at once, the
    browser's request waiting). At least two are needed: one alone may be a pause of the whole process, such
    as a garbage collection. They are forgotten once the training part is twice as fast again as when they
    were measured (the spell that slowed the ticks, an upload being read beside them, has passed)."""

    run: weakref.ref
    current: float | None = None  # the interval in force: what the last full rerun (an ask without training) got
    asked: float | None = None  # when the previous tick asked, if it trained (so the period is one tick's)
    started: float | None = None  # when this tick began training (its first chunk), None before it trains
    training: deque = field(default_factory=lambda: deque(maxlen=SAMPLES))  # the training parts of recent ticks
    overshoots: deque = field(default_factory=lambda: deque(maxlen=SAMPLES))  # (when, period, training) back to back

    def tick_time(self, now: float) -> float:
        """Seconds a tick takes now, as far as measured (0 without two recent back-to-back ticks)."""
        recent = [(period, training) for when, period, training in self.overshoots if now - when <= MEMORY]
        if len(recent) < 2:
            return 0.0
        if statistics.median(self.training) < FASTER * min(training for _, training in recent):
            self.overshoots.clear()
            return 0.0
        return statistics.median(period for period, _ in recent)


_paces: dict[int, Pace] = {}  # id(run) -> its pace


def ticked(run: object) -> None:
    """Records that `run` trained just now."""
    now = time.monotonic()
    with _lock:
        _ticks[id(run)] = (weakref.ref(run), now)
        pace = _paces.setdefault(id(run), Pace(weakref.ref(run)))
        if pace.started is None:
            pace.started = now


def stopped(run: object) -> None:
    with _lock:
        _ticks.pop(id(run), None)
        pace = _paces.get(id(run))
        if pace is not None:
            pace.asked = pace.started = None  # the time until it trains again is not a tick's


def training_sessions(besides: object | None = None) -> int:
    """Runs in this process, other than `besides`, that trained in the last RECENT_SECONDS."""
    now = time.monotonic()
    with _lock:
        for key, (ref, last) in list(_ticks.items()):
            if ref() is None or now - last > 10 * RECENT_SECONDS:
                del _ticks[key]  # its session is gone, or has long stopped ticking
        for key, pace in list(_paces.items()):
            if pace.run() is None:
                del _paces[key]
        return sum(now - last <= RECENT_SECONDS and ref() is not besides for ref, last in _ticks.values())


def tick_seconds(base: float, run: object) -> float:
    """The interval between `run`'s chart updates: `base` while up to FULL_RATE_SESSIONS sessions train at
    once, then longer in proportion, so the process's total work stays about the same; and at least
    STRETCH x the time one of its ticks takes here (see the module's docstring). Called once per tick, after
    its training; a call without training since the previous one is a full rerun's, whose answer the page
    sets its tick timer to."""
    sessions = training_sessions(besides=run) + 1
    interval = base * max(1.0, sessions / FULL_RATE_SESSIONS)
    now = time.monotonic()
    with _lock:
        pace = _paces.setdefault(id(run), Pace(weakref.ref(run)))
        if pace.started is not None and pace.asked is not None and pace.current:
            period, training = now - pace.asked, now - pace.started
            pace.training.append(training)
            if BEHIND * pace.current < period <= 2 * LONGEST:  # back to back: the period is the tick's own
                pace.overshoots.append((now, period, training))
        interval = min(LONGEST, max(interval, STRETCH * pace.tick_time(now)))
        if pace.started is not None:
            pace.asked, pace.started = now, None
        else:
            pace.asked, pace.current = None, interval  # a full rerun: it sets the tick timer to this
        return interval


@contextlib.contextmanager
def background() -> Iterator[None]:
    """Runs the block at the lowest CPU priority (nice BACKGROUND_NICE), for bulk work such as a sweep's
    training: when the cores are busy, the sessions' ticks and the event loop that sends their updates run
    first. Linux schedules each thread on its own, so only the calling thread is lowered, and only on Linux
    (elsewhere a thread id is no process id). Its priority is put back afterwards; a process that may not raise
    a priority (not root) leaves that thread low until it ends (Streamlit runs scripts on threads of their own)."""
    thread = threading.get_native_id()
    before = None
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            before = os.getpriority(os.PRIO_PROCESS, thread)
            os.setpriority(os.PRIO_PROCESS, thread, BACKGROUND_NICE)
    try:
        yield
    finally:
        if before is not None:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, thread, before)
