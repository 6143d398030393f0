"""How busy this server process is, so that each session's update rate can make room for the others.

One Streamlit process runs every session's ticks on one interpreter: past ~1 core of Python work (about 4
sessions at 5 ticks a second, each two chart updates' worth, benchmarks/bench_load.py) updates stop reaching the
browsers at all. Slowing every session's updates as more train keeps them all smooth instead. Bulk work
(a sweep's training) runs at a low CPU priority (`background`), so the ticks come first.
"""

import contextlib
import os
import sys
import threading
import time
import weakref
from collections.abc import Iterator

FULL_RATE_SESSIONS = 4  # sessions that train at the full update rate together (measured, README)
RECENT_SECONDS = 1.0  # a run counts as training if it ticked this recently (a closed tab stops ticking)
# The CPU priority of bulk work (a sweep's training). Until session 6 the lowest, 19: two busy processes at nice 0
# (`stress --cpu 2`) then starved a default sweep for minutes. At 10 a ticking session still gets ~90 % of a
# contended core against a sweep thread, and bench_fairness's slowest gaps were the same (0.45 s at 19 and at 10).
BACKGROUND_NICE = 10

_lock = threading.Lock()
_ticks: dict[int, tuple[weakref.ref, float]] = {}  # id(run) -> (the run, when it last trained)


def ticked(run: object) -> None:
    """Records that `run` trained just now."""
    with _lock:
        _ticks[id(run)] = (weakref.ref(run), time.monotonic())


def stopped(run: object) -> None:
    with _lock:
        _ticks.pop(id(run), None)


def training_sessions(besides: object | None = None) -> int:
    """Runs in this process, other than `besides`, that trained in the last RECENT_SECONDS."""
    now = time.monotonic()
    with _lock:
        for key, (ref, last) in list(_ticks.items()):
            if ref() is None or now - last > 10 * RECENT_SECONDS:
                del _ticks[key]  # its session is gone, or has long stopped ticking
        return sum(now - last <= RECENT_SECONDS and ref() is not besides for ref, last in _ticks.values())


def tick_seconds(base: float, run: object) -> float:
    """The interval between `run`'s chart updates: `base` while up to FULL_RATE_SESSIONS sessions train at
    once, then longer in proportion, so the process's total work stays about the same."""
    sessions = training_sessions(besides=run) + 1
    return base * max(1.0, sessions / FULL_RATE_SESSIONS)


@contextlib.contextmanager
def background() -> Iterator[None]:
    """Runs the block at a low CPU priority (nice BACKGROUND_NICE), for bulk work such as a sweep's
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
