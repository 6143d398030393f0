"""The process-wide count of training sessions, and the tick interval it sets (appkit/server_load.py).
The registry's clock is a fake one that moves only when a test moves it: a loaded machine cannot make a
session stale."""

import gc
import os
import sys
import threading

import pytest

from appkit import server_load
from appkit.build import build_data
from appkit.runstate import DONE, RUNNING, Run
from appkit.settings import Settings


class FakeRun:
    pass


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Clock:
    """An empty registry, on a clock of its own."""
    fake = Clock()
    monkeypatch.setattr(server_load.time, "monotonic", fake)
    server_load._ticks.clear()
    yield fake
    server_load._ticks.clear()


def test_full_rate_up_to_the_measured_number_of_sessions_then_proportionally_slower():
    runs = [FakeRun() for _ in range(12)]
    me = runs[0]
    assert server_load.tick_seconds(0.1, me) == 0.1  # alone
    for count, run in enumerate(runs[1:], start=2):
        server_load.ticked(run)
        want = 0.1 * max(1, count / server_load.FULL_RATE_SESSIONS)
        assert server_load.tick_seconds(0.1, me) == pytest.approx(want)
    assert server_load.tick_seconds(0.1, me) == pytest.approx(0.3)  # 12 sessions: 3.3 updates/s each


def test_the_asking_run_counts_once_whether_or_not_it_has_ticked():
    me, other = FakeRun(), FakeRun()
    server_load.ticked(other)
    before = server_load.tick_seconds(1.0, me)
    server_load.ticked(me)
    assert server_load.tick_seconds(1.0, me) == before
    assert server_load.training_sessions() == 2


def test_stopped_and_stale_and_vanished_runs_do_not_count(clock):
    a, b, c = FakeRun(), FakeRun(), FakeRun()
    server_load.ticked(a)
    server_load.ticked(b)
    server_load.ticked(c)
    server_load.stopped(a)
    assert server_load.training_sessions() == 2
    del c  # its session ended
    gc.collect()
    assert server_load.training_sessions() == 1
    clock.now += 2 * server_load.RECENT_SECONDS
    assert server_load.training_sessions() == 0  # b's tab was closed: it stopped ticking


def test_a_run_registers_while_it_trains_and_leaves_when_paused_or_done():
    settings = Settings(iterations=100, speed=10)
    run = Run.start(settings, build_data(settings), probe=False)
    run.train()
    run.tick(10)
    assert run.status == RUNNING and server_load.training_sessions() == 1
    run.pause()
    assert server_load.training_sessions() == 0
    run.train()
    run.tick(100)
    assert run.status == DONE and server_load.training_sessions() == 0
    run.more(100)
    run.tick(10)
    assert server_load.training_sessions() == 1  # Train N more trains again
    run.step(5)  # ignored while running
    run.pause()
    run.step(5)  # a Step is not a training session
    assert server_load.training_sessions() == 0


# --- bulk work runs at the lowest priority -----------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priorities are Linux's")
def test_background_lowers_only_its_own_thread_and_puts_it_back():
    seen = {}

    def work():
        me = threading.get_native_id()
        seen["before"] = os.getpriority(os.PRIO_PROCESS, me)
        with server_load.background():
            seen["inside"] = os.getpriority(os.PRIO_PROCESS, me)
            seen["main thread"] = os.getpriority(os.PRIO_PROCESS, main)
        seen["after"] = os.getpriority(os.PRIO_PROCESS, me)

    main = threading.get_native_id()
    ours = os.getpriority(os.PRIO_PROCESS, main)
    thread = threading.Thread(target=work)  # a thread of its own: if it could not be raised again, it ends
    thread.start()
    thread.join()
    assert seen["inside"] == server_load.BACKGROUND_NICE
    assert seen["main thread"] == ours
    if os.geteuid() == 0:  # only root may raise a priority again
        assert seen["after"] == seen["before"]
