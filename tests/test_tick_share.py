"""Training per chart update under load (appkit/tick_share.py): an even share of TRAINING_CORES per session."""

import pytest

from appkit import server_load, tick_share
from appkit.build import build_data
from appkit.runstate import Run
from appkit.settings import Settings


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def registry(monkeypatch):
    """The process-wide registry on a fake clock, empty before and after."""
    monkeypatch.setattr(server_load.time, "monotonic", Clock())
    server_load._ticks.clear()
    yield
    server_load._ticks.clear()


class Other:
    """Another session's run, as the registry sees it."""


def fast_run() -> Run:
    """A run whose steps take 1 us (set, not timed): the share, not the floor, limits its ticks."""
    settings = Settings(samples=5000, hidden_size=64, iterations=50_000)
    run = Run.start(settings, build_data(settings), probe=False)
    run.step_seconds = 1e-6
    return run


def test_alone_a_run_keeps_its_budget_and_with_others_gets_an_even_share():
    me, others = fast_run(), [Other() for _ in range(19)]
    assert tick_share.training_seconds(0.25, me) == 0.25  # alone: the playground's TICK_BUDGET, unchanged
    for count, run in enumerate(others, start=2):
        server_load.ticked(run)
        interval = tick_share.TICK_SECONDS * max(1, count / server_load.FULL_RATE_SESSIONS)
        want = min(0.25, tick_share.TRAINING_CORES * interval / count)
        assert tick_share.training_seconds(0.25, me) == pytest.approx(want)
        # All sessions' training per second together stays within TRAINING_CORES of a core.
        assert count * tick_share.training_seconds(0.25, me) / interval <= tick_share.TRAINING_CORES + 1e-12
    # 20 sessions: ticks every 0.2 s x 20 / 4 = 1 s, each 0.5 core x 1 s / 20 = 25 ms of training
    assert tick_share.training_seconds(0.25, me) == pytest.approx(0.5 * (0.2 * 20 / 4) / 20)
    assert tick_share.training_seconds(0.005, me) == 0.005  # never more than the budget asked for
    me.step_seconds = 0.0002  # slow steps (or a busy machine): at least FLOOR of the auto speed's 3,125 steps
    assert tick_share.training_seconds(0.25, me) == pytest.approx(tick_share.FLOOR * 3125 * 0.0002)
    assert tick_share.training_seconds(0.5, me, 2) == pytest.approx(tick_share.FLOOR * 2 * 3125 * 0.0002)  # 2 updates


def test_the_auto_speed_trains_fewer_steps_per_tick_under_load_and_a_chosen_speed_is_kept():
    run = fast_run()
    run.step_seconds = 0.00001  # as a probe or the last chunk would measure it
    alone = run.tick_steps(0.25)
    assert alone == 3125  # the auto speed's steps (50,000 / 16) fit in 0.25 s
    assert run.tick_steps(0.5, updates=2) == 2 * 3125  # a tick of two updates' worth, as the Playground's
    others = [Other() for _ in range(7)]
    for other in others:
        server_load.ticked(other)
    share = tick_share.training_seconds(0.25, run)  # 8 sessions: ticks every 0.4 s, 0.5 core x 0.4 s / 8 = 25 ms
    assert run.tick_steps(0.25) == int(share / run.step_seconds) == 2500
    chosen = Run.start(Settings(samples=5000, hidden_size=64, iterations=50_000, speed=500), run.data, probe=False)
    chosen.step_seconds = 0.00001
    assert chosen.tick_steps(0.25) == 500  # a speed the user chose is kept, whatever the load
    for other in others:
        server_load.stopped(other)
    assert run.tick_steps(0.25) == alone  # the others stopped: the whole budget again
