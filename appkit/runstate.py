"""One training run of the playground: data, trainer, status, learning-rate schedule, snapshots for replay.

The run is a state machine. Rows are its states, columns the events the page sends; a cell is the
state after the event, "·" means the event is ignored (its button is disabled), and "new" means the
session replaces the run with a fresh one (`Session`, in session.py, does that):

    state \\ event | train   | pause  | step(n)          | tick             | more(n) | learning rate | edit    | reset
    --------------+---------+--------+------------------+------------------+---------+---------------+---------+------
    ready         | running | ·      | paused/done/div. | ·                | ·       | ready         | ready   | new
    running       | ·       | paused | ·                | running/done/div.| ·       | running       | paused  | new
    paused        | running | ·      | paused/done/div. | ·                | ·       | paused        | paused  | new
    done          | ·       | ·      | done/div.        | ·                | running | new           | done    | new
    diverged      | ·       | ·      | ·                | ·                | ·       | new           | refused | new

- step(n) trains exactly n steps (fewer only at the run's budget, `target`); on a done run it first
  raises the budget by n, so a learner can go on one step at a time.
- more(n) raises the budget by n and trains: the result equals one uninterrupted run of the total length.
- A new learning rate takes effect at the next step. It enters `lr_schedule` only once a step ran with it,
  so the schedule, the status, the records and the downloads never name a rate that did not train.
- edit sets one weight or bias (Trainer.set_weight, recorded in the trainer's `edits`) where the run
  stands; the next steps start from it. A running run pauses first, so the edit lands between two steps
  and the learner sees its effect before pressing Resume. A diverged run's parameters are not worth
  editing: it is refused (ValueError), as are a bad name, index or value.
- Settings that change the data or the network also mean "new" in every state.

No Streamlit here. Every change of state happens inside one method holding the run's lock and ends with
plain assignments, so a control changed while a training update runs (another script thread, with
Streamlit's fast reruns) never sees a half-updated run.
"""

import contextlib
import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np

from twolayer import Trainer, TrainingDiverged

from . import server_load, tick_share
from .build import Data, build_trainer
from .settings import Settings

PROBE_STEPS = 3  # steps timed when a run starts, to size the first tick of the auto speed
CHUNK_SECONDS = 0.05  # the longest a training update holds the run's lock at a time
MAX_SNAPSHOTS = 400  # replay keeps at most this many parameter snapshots (thinned evenly)
FRAMES_PER_TICK = 8  # states a live tick keeps for the stage to play between chart updates
MAX_FRAMES = 32  # frames not yet drawn (a slow browser): only the newest are kept

READY, RUNNING, PAUSED, DONE, DIVERGED = "ready", "running", "paused", "done", "diverged"
STATES = (READY, RUNNING, PAUSED, DONE, DIVERGED)


@dataclass
class Run:
    settings: Settings  # the settings in force: the learning rate, iterations and speed may change
    data: Data
    trainer: Trainer
    target: int  # the run's budget of steps: settings.iterations, raised by more(n) and step(n) after done
    status: str = READY
    lr_schedule: list = field(default_factory=list)  # [(first iteration, learning rate)] of rates that ran
    snapshots: list = field(default_factory=list)  # [(iteration, params)], iteration ascending
    frames: list = field(default_factory=list)  # [(iteration, params)] trained live since last drawn
    error: str | None = None
    diverged_cost: float | None = None  # the cost that stopped a diverged run, after its last step
    rate: float = 0.0  # steps per second while running, wall clock
    step_seconds: float = 0.0  # compute time of one step, as last measured
    seconds: float = 0.0  # time spent running
    serial: int = 0  # the run's number in its session (#1, #2, ...)
    data_id: tuple = ()  # what the data was built from (settings, and the upload's digest)
    upload: object = None  # the build.Upload the data came from, if any: records name it, whatever is uploaded later
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _since: tuple | None = field(default=None, repr=False)  # (time, iteration) when running resumed
    _stride: int = field(default=0, repr=False)  # smallest gap kept between snapshots after thinning

    @classmethod
    def start(cls, settings: Settings, data: Data, serial: int = 0, data_id: tuple = (), probe: bool = True) -> "Run":
        """A ready run. With `probe`, a few steps on a copy time one step, to size the auto speed's first tick."""
        trainer = build_trainer(settings, data)
        step_seconds = 0.0
        if probe and settings.speed == 0:
            copy = build_trainer(settings, data)
            started = time.perf_counter()
            with contextlib.suppress(TrainingDiverged):
                copy.train(PROBE_STEPS)
            step_seconds = (time.perf_counter() - started) / PROBE_STEPS
        run = cls(settings, data, trainer, target=settings.iterations, serial=serial, data_id=data_id)
        run.lr_schedule = [(0, settings.learning_rate)]
        run.step_seconds = step_seconds
        run.snapshots.append((0, trainer.params))
        return run

    @property
    def iteration(self) -> int:
        return self.trainer.iteration

    @property
    def remaining(self) -> int:
        return max(0, self.target - self.trainer.iteration)

    @property
    def learning_rates(self) -> str:
        """'0.3 → 1': the rates that ran, in order."""
        return " → ".join(f"{lr:g}" for _, lr in self.lr_schedule)

    # --- events ---------------------------------------------------------------------------------

    def train(self) -> None:
        """Train / Resume."""
        with self.lock:
            if self.status in (READY, PAUSED) and self.remaining:
                self.status = RUNNING
                self._since = (time.perf_counter(), self.iteration)

    def pause(self) -> None:
        with self.lock:
            if self.status == RUNNING:
                self._account()
                self.status = PAUSED
        server_load.stopped(self)

    def step(self, n: int) -> None:
        """Exactly `n` steps (fewer only at the budget); on a done run the budget first grows by `n`."""
        with self.lock:
            if self.status == DONE:
                self.target = self.iteration + n
            elif self.status not in (READY, PAUSED):
                return
        self._advance(n, live=False)

    def tick(self, steps: int, updates: int = 1) -> None:
        """One tick's training while running: `steps` in `updates` even parts, each ending in a snapshot (what
        the replay slider can show) and each giving the stage FRAMES_PER_TICK states to play."""
        for part in range(updates):
            if self.status != RUNNING:
                return
            n = -(-steps // (updates - part))  # the parts differ by one step at most
            self._advance(n, live=True)
            steps -= n

    def more(self, n: int) -> None:
        """After Done: `n` more steps, trained live."""
        with self.lock:
            if self.status != DONE or n < 1:
                return
            self.target = self.iteration + n
            self.status = RUNNING
            self._since = (time.perf_counter(), self.iteration)

    def edit_weight(self, name: str, index, value: float) -> None:
        """Sets `name`[`index`] (e.g. "W1", (0, 1)) to `value` from the current iteration on; a running run
        pauses first. ValueError (nothing changed) for a diverged run or a bad name, index or value."""
        with self.lock:
            if self.status == DIVERGED:
                raise ValueError("the run diverged: press Reset or change a setting first")
            self.trainer.set_weight(name, index, value)  # checks its arguments before it changes anything
            if self.status == RUNNING:
                self._account()
                self.status = PAUSED
            self.frames = []  # states before the edit: the stage jumps to the edited ones
            kept = self.snapshots[:-1] if self.snapshots[-1][0] == self.iteration else self.snapshots
            self.snapshots = [*kept, (self.iteration, self.trainer.params)]  # replay shows the edited state
        server_load.stopped(self)

    @property
    def edits(self) -> list:
        """[(iteration, name, index, value)] of the weights set by hand, oldest first."""
        return list(self.trainer.edits)

    def set_learning_rate(self, learning_rate: float) -> bool:
        """Takes a new learning rate for the next steps; False when the run cannot continue with it (done or
        diverged: the session starts a fresh run)."""
        with self.lock:
            if self.status in (DONE, DIVERGED):
                return learning_rate == self.settings.learning_rate
            self.trainer.learning_rate = learning_rate
            if self.iteration == 0:
                self.lr_schedule = [(0, learning_rate)]
            self.settings = replace(self.settings, learning_rate=learning_rate)
            return True

    def set_budget(self, settings: Settings) -> None:
        """Takes settings that change neither the data, the network nor the learning rate (iterations, speed).
        A new iteration count is the budget of a run that is not done; lowered to where the run is, it ends it.
        An unchanged count leaves the budget alone: it may have been raised by more(n)."""
        with self.lock:
            if self.status in (READY, RUNNING, PAUSED) and settings.iterations != self.settings.iterations:
                self.target = settings.iterations
                if not self.remaining and self.iteration:
                    self._account()
                    self.status = DONE
            self.settings = replace(settings, learning_rate=self.settings.learning_rate)

    # --- training -------------------------------------------------------------------------------

    def _advance(self, steps: int, live: bool) -> None:
        """Up to `steps` more updates (never past the budget): a tick's while running (`live`), or a Step's.

        Trains in chunks of about CHUNK_SECONDS and releases the lock between them, so Pause, Reset and
        settings changes wait one chunk, not a whole tick; stops early when another thread changed the
        status. The bookkeeping (snapshot, rate, status) runs in `finally`, so even an interrupted update
        leaves the run consistent with its trainer (which is itself all-or-nothing). One snapshot per
        call: each chunk replaces the one the previous chunk stored.
        """
        chunk, status = 8, None
        frame = -(-steps // FRAMES_PER_TICK) if live else steps  # a live tick keeps FRAMES_PER_TICK states to play
        while steps > 0:
            with self.lock:
                allowed = (RUNNING,) if live else (READY, PAUSED, DONE)
                if self.status not in allowed or status not in (None, self.status) or not self.remaining:
                    return  # finished, diverged, or paused / resumed by another thread since the last chunk
                n, first = min(chunk, frame, steps, self.remaining), self.iteration
                started = time.perf_counter()
                try:
                    self.trainer.train(n)
                except TrainingDiverged as diverged:
                    self._account()
                    self.error, self.diverged_cost, self.status = str(diverged), diverged.cost, DIVERGED
                finally:
                    self._schedule_rate(first)
                    self._settle(replace_last=status is not None)
                    if live and self.iteration > first:
                        self.frames = [*self.frames[-MAX_FRAMES + 1 :], (self.iteration, self.trainer.params)]
                status, elapsed = self.status, time.perf_counter() - started
                (server_load.ticked if status == RUNNING else server_load.stopped)(self)
            steps -= n
            self.step_seconds = elapsed / n
            chunk = max(1, min(4 * n, int(n * CHUNK_SECONDS / max(elapsed, 1e-9))))

    def take_frames(self) -> list[tuple[int, dict]]:
        """The states the live ticks trained through since the last call, oldest first: the stage plays them."""
        with self.lock:
            frames, self.frames = self.frames, []
        return frames

    def _schedule_rate(self, first: int) -> None:
        """Enters the trainer's learning rate in the schedule at `first` once steps from there ran with it
        (not before: an update interrupted before its first step must not leave a rate that never ran)."""
        rate = self.trainer.learning_rate
        if self.iteration > first and self.lr_schedule[-1][1] != rate:
            self.lr_schedule = [*self.lr_schedule, (first, rate)]

    def _settle(self, replace_last: bool = False) -> None:
        """Brings snapshot, rate and status in line with the trainer after an update."""
        self._snapshot(replace_last)
        if self.status == RUNNING and self._since is not None:
            start, first = self._since
            elapsed = time.perf_counter() - start
            self.rate = (self.iteration - first) / elapsed if elapsed > 0 else 0.0
        if self.status != DIVERGED and not self.remaining:
            self._account()
            self.status = DONE
        elif self.status == READY and self.iteration:
            self.status = PAUSED  # a Step before Train leaves the run paused

    def tick_steps(self, budget_seconds: float, updates: int = 1) -> int:
        """Steps for a tick of `updates` chart updates: the setting's steps per update, or with the auto speed
        no more than fit in `budget_seconds` a tick, so that big networks on big data still update smoothly (the
        run then takes more updates). With other sessions training in this process, the budget is this run's
        even share (appkit/tick_share.py)."""
        steps = updates * self.settings.steps_per_update()
        if self.settings.speed == 0 and self.step_seconds > 0:
            budget_seconds = tick_share.training_seconds(budget_seconds, self, updates)
            steps = min(steps, max(1, int(budget_seconds / self.step_seconds)))
        return steps

    def _account(self) -> None:
        if self._since is not None:
            self.seconds += time.perf_counter() - self._since[0]
            self._since = None

    def _snapshot(self, replace_last: bool = False) -> None:
        """Keeps snapshots evenly spread: once thinned to every other one, new ones are kept only
        `_stride` iterations apart, so a long run of small steps still reaches back to its start."""
        if self.snapshots and self.snapshots[-1][0] == self.iteration:
            return
        snapshots = self.snapshots
        if replace_last and len(snapshots) >= 2:
            snapshots = snapshots[:-1]  # the one the previous chunk of this update stored
        elif len(snapshots) >= 2 and snapshots[-1][0] - snapshots[-2][0] < self._stride:
            snapshots = snapshots[:-1]  # the previous last one was only kept as the latest
        snapshots = snapshots + [(self.iteration, self.trainer.params)]
        if len(snapshots) > MAX_SNAPSHOTS:  # keep the first, the last, and every other one between
            snapshots = snapshots[:-1:2] + snapshots[-1:]
            self._stride = snapshots[1][0] - snapshots[0][0]
        self.snapshots = snapshots

    # --- reading --------------------------------------------------------------------------------

    def costs(self, upto: int) -> np.ndarray:
        """The train cost before each of the first `upto` steps, and, when the run diverged and `upto` is its
        end, the cost that stopped it: what the chart draws and the metric shows."""
        costs = self.trainer.history["cost"][:upto]
        if self.diverged_cost is not None and upto == self.iteration:
            costs = np.append(costs, self.diverged_cost)
        return costs

    def snapshot_at(self, iteration: int) -> tuple[int, dict]:
        """The stored snapshot closest to `iteration`."""
        iterations = np.array([i for i, _ in self.snapshots])
        return self.snapshots[int(np.argmin(np.abs(iterations - iteration)))]

    def summary(self) -> dict:
        """Final numbers of the run, for the Compare page and the metrics row."""
        history = self.trainer.history
        last = lambda key: float(history[key][-1]) if key in history and len(history[key]) else float("nan")  # noqa: E731
        return {
            "iteration": self.iteration,
            "train cost": last("cost"),
            "test cost": last("test_cost"),
            "train accuracy": last("accuracy"),
            "test accuracy": last("test_accuracy"),
            "seconds": self.seconds,
            "status": self.status,
        }
