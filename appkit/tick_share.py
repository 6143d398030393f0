"""How much training one chart update of a run may do when several sessions train in this process.

A process runs every session's Python on one core. Each chart update costs its training plus a fixed
overhead (Streamlit's script run, the page's elements, sending them: benchmarks/bench_update_cost.py), so
the updates a process can deliver each second shrink as ticks train more. Under load, each session therefore
trains less per update instead of updating less often: all training sessions together get TRAINING_CORES of
the core, shared evenly, at the update rate they are asked for (appkit/server_load.py). A run then takes more
updates but every session keeps moving smoothly; the numbers it computes are the same (training in smaller
ticks is the same run). Alone, a session keeps the whole tick budget it had.

Only the auto speed is shared out: a speed the user chose (steps per update) is kept.
"""

from . import server_load

TRAINING_CORES = 0.5  # all sessions' training together, in cores: the rest is left for the updates themselves
# A tick trains at least this share of the auto speed's steps (a run in at most 4 x AUTO_UPDATES updates): the
# step time is wall time, which on a busy machine counts the wait for a core too, and without a floor the ticks
# of 6 sessions shrank to an eighth and their runs took 40 x as long as alone (benchmarks/bench_load.py, load 5-14).
FLOOR = 0.25
# While training, the Playground (pages/playground.py) ticks every TICK_SECONDS when few sessions train at once;
# a tick trains UPDATES_PER_TICK chart updates' worth (Step's size each, a snapshot each) and sends them
# together, for the stage to play over the next TICK_SECONDS. The pace (steps a second) is that of one update
# every 0.1 s, but half the Streamlit runs (each ~0.1 s of the browser's main thread: React, Plotly's cost chart,
# layout) leave the browser time to paint twice the frames (benchmarks/bench_playground.py) and halve the
# server's work per session.
TICK_SECONDS = 0.2
UPDATES_PER_TICK = 2


def training_seconds(budget: float, run: object, updates: int = 1) -> float:
    """Seconds of training for one tick of `run` (a runstate.Run), a tick of `updates` chart updates: `budget`
    alone; with others training, an even share of TRAINING_CORES at the tick rate the sessions are asked for, if
    that is less, but no less than FLOOR of the auto speed's steps."""
    sessions = server_load.training_sessions(besides=run) + 1
    if sessions == 1:
        return budget
    interval = TICK_SECONDS * max(1.0, sessions / server_load.FULL_RATE_SESSIONS)
    floor = FLOOR * updates * run.settings.steps_per_update() * run.step_seconds
    return min(budget, max(TRAINING_CORES * interval / sessions, floor))
