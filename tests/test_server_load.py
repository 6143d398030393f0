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


# --- the interval stretches to a tick's own time -----------------------------------------------------


def full_rerun(run) -> float:
    """The playground's full run: it asks for the interval without training and sets the tick timer to it."""
    return server_load.tick_seconds(0.1, run)


def tick(run, clock, training: float, drawing: float, period: float | None = None) -> float:
    """One tick as the playground's fragment runs it: train (chunks call ticked), ask for the interval,
    draw. The next tick starts right after (back to back) or `period` after this one started."""
    start = clock.now
    server_load.ticked(run)
    clock.now += training
    server_load.ticked(run)  # a later chunk: the tick began at the first
    interval = server_load.tick_seconds(0.1, run)
    clock.now += drawing
    if period is not None:
        clock.now = max(clock.now, start + period)
    return interval


def test_ticks_that_run_back_to_back_stretch_the_interval_to_one_and_a_half_ticks(clock):
    run = FakeRun()
    assert full_rerun(run) == 0.1
    got = [tick(run, clock, training=0.02, drawing=0.23) for _ in range(5)]  # 0.25 s a tick, asked every 0.1 s
    # the first has no period yet, the second is one back-to-back tick (maybe a pause), then two are enough
    assert got[:2] == [0.1, 0.1]
    assert got[2:] == pytest.approx([server_load.STRETCH * 0.25] * 3)


def test_ticks_shorter_than_the_interval_keep_it(clock):
    run = FakeRun()
    full_rerun(run)
    assert {tick(run, clock, training=0.02, drawing=0.06, period=0.1) for _ in range(20)} == {0.1}


def test_one_slow_tick_alone_does_not_stretch_it(clock):
    """A pause of the whole process (a garbage collection, the machine busy) makes one tick long."""
    run = FakeRun()
    full_rerun(run)
    got = [tick(run, clock, training=0.02, drawing=0.06, period=0.1) for _ in range(5)]
    got.append(tick(run, clock, training=0.02, drawing=0.6))
    got += [tick(run, clock, training=0.02, drawing=0.06, period=0.1) for _ in range(5)]
    clock.now += server_load.MEMORY  # another one, long after
    got += [tick(run, clock, training=0.02, drawing=0.6) for _ in range(2)]
    assert set(got) == {0.1}


def test_the_stretch_holds_while_ticks_keep_pace_and_is_forgotten_after_a_while(clock):
    run = FakeRun()
    full_rerun(run)
    for _ in range(3):
        tick(run, clock, training=0.04, drawing=0.36)  # 0.4 s a tick, back to back
    assert full_rerun(run) == pytest.approx(0.6)  # the page sets its timer to 0.6 s: ticks no longer overlap
    got = [tick(run, clock, training=0.03, drawing=0.17, period=0.6) for _ in range(5)]
    assert got == pytest.approx([0.6] * 5)  # 0.2 s now, but ticks that overlapped are recent, and train about as fast
    clock.now += server_load.MEMORY
    assert tick(run, clock, training=0.03, drawing=0.17, period=0.6) == 0.1  # measured too long ago


def test_the_stretch_is_forgotten_once_ticks_train_twice_as_fast_again(clock):
    """An upload read beside the ticks held the GIL: a few ticks trained slowly and ran back to back."""
    run = FakeRun()
    full_rerun(run)
    for _ in range(3):
        tick(run, clock, training=0.3, drawing=0.2)  # 0.5 s a tick, back to back
    assert full_rerun(run) == pytest.approx(0.75)
    got = [tick(run, clock, training=0.02, drawing=0.05, period=0.75) for _ in range(4)]
    assert got[:2] == pytest.approx([0.75, 0.75])  # the recent training parts: still the slow ones in the median
    assert got[2:] == [0.1, 0.1]


def test_a_pause_between_ticks_is_not_a_tick(clock):
    run = FakeRun()
    full_rerun(run)
    got = []
    for _ in range(4):
        got.append(tick(run, clock, training=0.02, drawing=0.06))
        server_load.stopped(run)  # Pause (or done)
        clock.now += 0.5
        got.append(full_rerun(run))  # Resume: a full run, then ticks
    assert set(got) == {0.1}


def test_the_interval_stretches_at_most_to_the_longest(clock):
    run = FakeRun()
    full_rerun(run)
    got = [tick(run, clock, training=0.1, drawing=1.2) for _ in range(4)]  # 1.3 s a tick
    assert got[-1] == server_load.LONGEST


def test_more_sessions_and_slow_ticks_take_the_longer_of_the_two_intervals(clock):
    me, others = FakeRun(), [FakeRun() for _ in range(7)]

    def ticks(drawing: float) -> float:
        for _ in range(4):
            for other in others:
                server_load.ticked(other)
            interval = tick(me, clock, training=0.02, drawing=drawing)
        return interval

    for other in others:
        server_load.ticked(other)
    assert full_rerun(me) == pytest.approx(0.2)  # 8 sessions: half the full rate
    assert ticks(drawing=0.08) == pytest.approx(0.2)  # 0.1 s ticks, within 0.2 s
    assert full_rerun(me) == pytest.approx(0.2)
    assert ticks(drawing=0.28) == pytest.approx(server_load.STRETCH * 0.3)  # 0.3 s ticks: 0.45 s


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
