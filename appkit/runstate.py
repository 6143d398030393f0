"""One training run of the playground: data, trainer, status, snapshots for replay.

No Streamlit here. Every change of state happens inside one method holding the run's lock and
ends with plain assignments, so a control changed while a training update runs (another script
thread, with Streamlit's fast reruns) never sees a half-updated run.
"""

import contextlib
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from twolayer import Trainer, TrainingDiverged

from . import server_load
from .downloads import build_trainer
from .settings import Settings

PROBE_STEPS = 3  # steps timed when a run starts, to size the first tick
CHUNK_SECONDS = 0.05  # the longest a training update holds the run's lock at a time
MAX_SNAPSHOTS = 400  # replay keeps at most this many parameter snapshots (thinned evenly)

READY, RUNNING, PAUSED, DONE, DIVERGED = "ready", "running", "paused", "done", "diverged"


@dataclass
class Run:
    settings: Settings
    data: tuple  # (X_train (2, m), Y_train (1, m), X_test or None, Y_test or None): the tutorial's shapes
    trainer: Trainer
    status: str = READY
    lr_schedule: list = field(default_factory=list)  # [(first iteration, learning rate)]
    snapshots: list = field(default_factory=list)  # [(iteration, params)], iteration ascending
    error: str | None = None
    rate: float = 0.0  # steps per second while running, wall clock
    step_seconds: float = 0.0  # compute time of one step, as last measured
    seconds: float = 0.0  # time spent running
    serial: int = 0  # the run's number in the session, for the Compare page
    data_id: tuple = ()  # what the data was built from (settings, and the upload's digest)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _since: tuple | None = field(default=None, repr=False)  # (time, iteration) when running resumed
    _stride: int = field(default=0, repr=False)  # smallest gap kept between snapshots after thinning

    @classmethod
    def start(cls, settings: Settings, data: tuple, serial: int = 0, data_id: tuple = ()) -> "Run":
        trainer = build_trainer(settings, data, settings.learning_rate)
        probe = build_trainer(settings, data, settings.learning_rate)  # times a step before the first tick
        started = time.perf_counter()
        with contextlib.suppress(TrainingDiverged):
            probe.train(PROBE_STEPS)
        step_seconds = (time.perf_counter() - started) / PROBE_STEPS
        run = cls(
            settings,
            data,
            trainer,
            lr_schedule=[(0, settings.learning_rate)],
            serial=serial,
            data_id=data_id,
            step_seconds=step_seconds,
        )
        run.snapshots.append((0, trainer.params))
        return run

    @property
    def iteration(self) -> int:
        return self.trainer.iteration

    @property
    def remaining(self) -> int:
        return max(0, self.settings.iterations - self.trainer.iteration)

    def play(self) -> None:
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

    def advance(self, steps: int) -> None:
        """Up to `steps` more updates (never past the iteration budget); for ticks and Step.

        Trains in chunks of about CHUNK_SECONDS and releases the lock between them, so Pause, Reset and
        settings changes wait one chunk, not a whole tick; stops early when another thread changed the
        status. The bookkeeping (snapshot, rate, status) runs in `finally`, so even an interrupted update
        leaves the run consistent with its trainer (which is itself all-or-nothing). One snapshot per
        call: each chunk replaces the one the previous chunk stored.
        """
        chunk, status = 8, None
        while steps > 0:
            with self.lock:
                if self.status not in (READY, RUNNING, PAUSED) or status not in (None, self.status):
                    return  # finished, diverged, or paused / resumed by another thread since the last chunk
                n = min(chunk, steps)
                started = time.perf_counter()
                try:
                    if self.remaining:
                        self.trainer.train(min(n, self.remaining))
                except TrainingDiverged as diverged:
                    self._account()
                    self.error, self.status = str(diverged), DIVERGED
                finally:
                    self._settle(replace_last=status is not None)
                status, elapsed = self.status, time.perf_counter() - started
                (server_load.ticked if status == RUNNING else server_load.stopped)(self)
                if not self.remaining:
                    return
            steps -= n
            self.step_seconds = elapsed / n
            chunk = max(1, min(4 * n, int(n * CHUNK_SECONDS / max(elapsed, 1e-9))))

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

    def tick_steps(self, budget_seconds: float) -> int:
        """Steps for one chart update: the setting's, or with the auto speed no more than fit in
        `budget_seconds`, so that big networks on big data still update smoothly (the run then takes
        more updates)."""
        steps = self.settings.steps_per_update()
        if self.settings.speed == 0 and self.step_seconds > 0:
            steps = min(steps, max(1, int(budget_seconds / self.step_seconds)))
        return steps

    def update_settings(self, settings: Settings) -> str | None:
        """Takes settings that keep the data and the network (learning rate, iterations, speed).

        Returns a note for the user when something changed how the run continues.
        """
        with self.lock:
            old, note = self.settings, None
            if settings.learning_rate != old.learning_rate:
                self.trainer.learning_rate = settings.learning_rate
                if self.status == DIVERGED:
                    note = f"Learning rate set to {settings.learning_rate:g}: press Reset to train with it."
                elif self.iteration == 0:
                    self.lr_schedule = [(0, settings.learning_rate)]
                else:
                    earlier = self.lr_schedule[:-1] if self.lr_schedule[-1][0] == self.iteration else self.lr_schedule
                    self.lr_schedule = [*earlier, (self.iteration, settings.learning_rate)]
                    note = (
                        f"Learning rate changed to {settings.learning_rate:g}: the run continues from "
                        f"iteration {self.iteration}."
                    )
            self.settings = settings
            if self.status in (READY, RUNNING, PAUSED) and not self.remaining and self.iteration:
                self._account()
                self.status = DONE
            elif self.status == DONE and self.remaining:
                self.status = PAUSED
            return note

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
