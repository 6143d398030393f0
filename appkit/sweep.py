"""A hyperparameter sweep: learning rates x hidden sizes (x seeds), or learning rates x batch sizes at one
hidden size, trained together with `twolayer.train_many`, and the figures that show it. No Streamlit here.

A sweep cell opens the same run in the playground, so each result is bit for bit the playground's
run of that configuration (train_many stacks the networks of one hidden size and keeps each one's
arithmetic that of training it alone; tests/test_sweep.py holds it to that).
"""

import contextlib
import functools
import hashlib
import itertools
import os
import queue
import threading
import time
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb, sample_colorscale
from plotly.subplots import make_subplots

from appkit import server_load
from twolayer import Config, Result, train_many
from twolayer.features import DEFAULT_FEATURES, expand
from twolayer.figures import CLASS_COLOURS, PROBABILITY_SCALE
from twolayer.network import predict_proba

DEFAULT_RATES = [0.01, 0.1, 0.3, 1.0, 3.0]
HIDDEN_CHOICES = [1, 2, 3, 4, 5, 8, 10, 16, 20, 32, 50, 64]
DEFAULT_HIDDEN = [1, 2, 5, 10, 20]
DEFAULT_ITERATIONS = 2000
DEFAULT_BATCHES = [0, 64, 16, 4]  # batch sizes as the settings hold them: 0 = the full batch


class SweepStopped(Exception):
    """Raised by run_sweep when `should_stop()` returned True: the sweep was abandoned part-way."""


class SweepBusy(Exception):
    """Raised by `one_at_a_time` when its owner already runs a sweep."""


METRICS = {  # name -> (Result attribute, lower is better)
    "test cost": ("test_cost", True),
    "test accuracy": ("test_accuracy", False),
    "train cost": ("final_cost", True),
    "train accuracy": ("accuracy", False),
}

CHECK_SECONDS = 0.1  # while training, should_stop and progress are called at least this often
MAX_STACK_FLOATS = 1 << 21  # a stack's hidden layer k x (hidden+1) x m at most: ~16 MB an array, ~50 ms a step
clock = time.monotonic  # when the checks are due (tests replace it)
CURVE_POINTS = 200  # per curve on the chart (and kept), evenly spaced, the first and last iteration included
CURVE_KEEP = 2000  # a long curve is thinned to this many evenly spaced steps, then to the chart's CURVE_POINTS


@dataclass
class Sweep:
    learning_rates: list
    hidden_sizes: list
    seeds: list
    iterations: int
    results: dict  # (lr, hidden, seed) -> Result, its costs those of the curve's steps (curve_steps)
    kept: dict = field(default_factory=dict)  # (lr, hidden, seed) -> iterations of a thinned curve's points
    # With batch sizes (0 = full) the columns are those at the one hidden size hidden_sizes[0], and the keys
    # of results and kept are (lr, batch, seed).
    batch_sizes: list | None = None
    reused: bool = False  # returned by a FinishedSweeps: trained before for the same configuration
    key: tuple | None = None  # its sweep_key, when it was trained with a FinishedSweeps (which keeps it by that)

    @property
    def columns(self) -> list:
        """The heat map's columns: the hidden sizes, or the batch sizes of a batch-size sweep."""
        return self.hidden_sizes if self.batch_sizes is None else self.batch_sizes

    @property
    def axis(self) -> str:
        return "hidden units" if self.batch_sizes is None else "batch size"

    def tick(self, column: int) -> str:
        """A column's label on the heat map's axis: '8', or '32' / 'full' for batch sizes."""
        return "full" if self.batch_sizes is not None and column == 0 else str(column)

    def label(self, column: int) -> str:
        """A column in words: '8 hidden', or 'batch 32' / 'full batch'."""
        if self.batch_sizes is None:
            return f"{column} hidden"
        return "full batch" if column == 0 else f"batch {column}"

    def config(self, lr: float, column: int) -> str:
        """A cell's configuration in words: 'α 0.3, 8 hidden' or 'α 0.3, batch 32, 5 hidden'."""
        hidden = "" if self.batch_sizes is None else f", {self.hidden_sizes[0]} hidden"
        return f"α {lr:g}, {self.label(column)}{hidden}"

    def done(self, lr: float, hidden: int) -> bool:
        """Whether every seed of the cell has trained (a sweep still running has cells to come)."""
        return all((lr, hidden, seed) in self.results for seed in self.seeds)

    def value(self, metric: str, lr: float, hidden: int) -> float:
        """The metric for one cell, the median over seeds; NaN if any seed diverged."""
        attribute, _ = METRICS[metric]
        values = []
        for seed in self.seeds:
            result = self.results[(lr, hidden, seed)]
            if result.diverged is not None:
                return float("nan")
            values.append(result.costs[-1] if attribute == "final_cost" else getattr(result, attribute))
        return float(np.median(values))

    def curve(self, lr: float, hidden: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(iterations, costs) of one network: every step, or the points kept of a long run."""
        costs = self.results[(lr, hidden, seed)].costs
        return self.kept.get((lr, hidden, seed), np.arange(len(costs))), costs


@functools.lru_cache(maxsize=64)
def keep_points(n: int, points: int = CURVE_KEEP) -> np.ndarray:
    """Indices of up to `points` evenly spaced steps of n, the first and the last included. One read-only
    array per (n, points), shared by every curve of that length (900 curves kept 14 MB of copies)."""
    index = np.unique(np.rint(np.linspace(0, n - 1, min(n, points))).astype(np.int64))
    index.flags.writeable = False
    return index


@functools.lru_cache(maxsize=64)
def curve_steps(n: int) -> np.ndarray:
    """The steps of an n-step run whose costs a sweep keeps: the CURVE_POINTS its cost chart draws (evenly
    spaced within CURVE_KEEP evenly spaced steps, as the chart always drew them), the first and the last
    included. Only these costs are computed (train_many's record). One read-only array per n."""
    kept = keep_points(n, CURVE_KEEP)
    index = kept[keep_points(len(kept), CURVE_POINTS)]
    index.flags.writeable = False
    return index


def slimmed(result: Result) -> tuple[Result, np.ndarray | None]:
    """The result with its cost curve at curve_steps only (and those steps, None if they are all of them),
    and its divergence without the traceback, which held the trainer and its data alive. A result of
    train_many(record=curve_steps(n)) has them already; one retrained alone (it diverged) has every step."""
    diverged = result.diverged.with_traceback(None) if result.diverged is not None else None
    if result.steps is not None:
        return replace(result, diverged=diverged), result.steps
    if len(result.costs) <= CURVE_POINTS:
        return replace(result, costs=result.costs.copy(), diverged=diverged), None
    index = curve_steps(len(result.costs))
    return replace(result, costs=result.costs[index], diverged=diverged), index


# --- the plan and its budget ------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """Networks trained together: one hidden size and batch size, some (learning rate, seed) pairs."""

    hidden: int
    pairs: tuple  # ((lr, seed), ...)
    batch: int = 0  # points per step as the settings say it: 0 = the full batch

    def points(self, m: int) -> int:
        """Training points in one step on m points (a batch above m is all of them, as in the playground)."""
        return min(self.batch, m) if self.batch else m

    def floats(self, m: int) -> int:
        """The size of its hidden layer's arrays: k x (hidden + 1) x m."""
        return len(self.pairs) * (self.hidden + 1) * m


def plan_stacks(learning_rates, hidden_sizes, seeds, m: int, batch_sizes=(0,)) -> list[Group]:
    """The stacks a sweep trains, in the order of hidden sizes then batch sizes (0 = full): one per pair, cut
    into parts of at most MAX_STACK_FLOATS so that one step stays short (the stop flag is checked between
    steps) and memory bounded."""
    stacks = []
    for hidden, batch in itertools.product(hidden_sizes, batch_sizes):
        pairs = list(itertools.product(learning_rates, seeds))
        per = max(1, MAX_STACK_FLOATS // ((hidden + 1) * m))
        stacks += [Group(hidden, tuple(pairs[i : i + per]), batch) for i in range(0, len(pairs), per)]
    return stacks


@dataclass(frozen=True)
class Speed:
    """The engine's measured cost of one step of a stack: overhead + per_float x k x (hidden+1) x m,
    in CPU seconds of the thread that trains it."""

    overhead: float
    per_float: float

    def step(self, stack: Group, m: int) -> float:
        """Seconds of one step of `stack` on m training points (its mini-batch's points if it has one)."""
        return self.overhead + self.per_float * stack.floats(stack.points(m))


_speeds: dict[str, Speed] = {}
_speeds_lock = threading.Lock()


def _step_seconds(hidden: int, k: int, m: int, activation: str, steps: int) -> float:
    """CPU seconds per step of a k x hidden stack on m random points, timed over the last `steps`
    of 2 x steps (the first ones warm the caches)."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(2, m)), (rng.random((1, m)) > 0.5).astype(float)
    marks = []
    train_many(X, Y, [Config(0.1, hidden, j) for j in range(k)], 2 * steps, activation=activation,
               on_step=lambda: marks.append(time.thread_time()))  # fmt: skip
    return (marks[-1] - marks[steps - 1]) / steps


def measured_speed(activation: str = "tanh") -> Speed:
    """The engine's speed on this machine, measured once per process and activation (~0.2 s): a tiny stack
    gives the per-step overhead, a big one the cost per float of the hidden layer."""
    with _speeds_lock:
        if activation not in _speeds:
            small = (1, 1, 50)
            big = (31, 4, 1000)
            t_small = _step_seconds(*small, activation, 200)
            t_big = _step_seconds(*big, activation, 25)
            floats = lambda h, k, m: k * (h + 1) * m  # noqa: E731
            per_float = max(0.0, (t_big - t_small) / (floats(*big) - floats(*small)))
            _speeds[activation] = Speed(max(t_small - per_float * floats(*small), 0.0), per_float)
        return _speeds[activation]


def estimate_seconds(stacks: list[Group], m: int, iterations: int, speed: Speed) -> float:
    """CPU seconds the sweep's training needs, by the measured speed (a loaded machine takes longer)."""
    return iterations * sum(speed.step(stack, m) for stack in stacks)


CONFIRM_SECONDS = 20.0  # a longer sweep asks first; the default one needs ~6 s here, so it never asks
MAX_SECONDS = 120.0  # a longer one is refused: it would hold one of the 2 cores from the others for minutes


def what_to_reduce(learning_rates, hidden_sizes, seeds, m: int, iterations: int, speed: Speed, limit: float,
                   iteration_choices=(), batch_sizes=(0,), across_batches: bool = False) -> str:  # fmt: skip
    """A sentence naming what would bring the sweep within `limit` seconds: fewer iterations if some
    allowed number fits, and the hidden sizes (or batch sizes, when they are the columns), seeds or rates
    that cost the most."""
    stacks = plan_stacks(learning_rates, hidden_sizes, seeds, m, batch_sizes)
    per_iteration = estimate_seconds(stacks, m, 1, speed)
    fits = [n for n in iteration_choices if n * per_iteration <= limit]
    parts = []
    if fits:
        parts.append(f"{max(fits):,} iterations (not {iterations:,})")
    if across_batches:
        biggest = sorted(batch_sizes, key=lambda b: min(b, m) if b else m)[-2:] if len(batch_sizes) > 1 else []
        if biggest:
            named = ["the full batch" if b == 0 else f"batches of {b}" for b in biggest]
            parts.append(f"leave out {' and '.join(named)}")
    elif len(hidden_sizes) > 1:
        biggest = sorted(hidden_sizes)[-2:]
        parts.append(f"leave out {' and '.join(map(str, biggest))} hidden units")
    if len(seeds) > 1:
        parts.append(f"1 seed (not {len(seeds)})")
    if len(learning_rates) > 3:
        parts.append(f"fewer learning rates ({len(learning_rates)} now)")
    if m > 500:
        parts.append(f"fewer samples on the Playground ({m:,} training points now)")
    return "; or ".join(parts) if parts else "fewer iterations"


_running: "weakref.WeakSet" = weakref.WeakSet()
_running_lock = threading.Lock()


@contextmanager
def one_at_a_time(owner: object) -> Iterator[None]:
    """Holds `owner`'s (a session's) one sweep slot for the block; SweepBusy if it is taken."""
    with _running_lock:
        if owner in _running:
            raise SweepBusy
        _running.add(owner)
    try:
        yield
    finally:
        with _running_lock:
            _running.discard(owner)


def sweep_threads() -> int:
    """Worker threads for a sweep started now: 2 when the machine has 2 cores or more and no other session of
    this process is training (a lone visitor, a talk: the sweep gets the idle core), else 1, so that a room of
    users shares the cores fairly (appkit.server_load)."""
    if (os.cpu_count() or 1) < 2 or server_load.training_sessions() > 0:
        return 1
    return 2


# --- finished sweeps, kept for the next request of the same sweep ---------------------------------------

CACHE_SWEEPS = 8  # the last sweeps finished in this process, by their full configuration
CACHE_BYTES = 64 << 20  # and at most this much of their arrays (the largest sweep's are ~16 MB)


class FinishedSweeps:
    """The last CACHE_SWEEPS finished sweeps, within CACHE_BYTES: a repeated sweep (a talk's second click, a
    second visitor) is returned at once instead of trained again. Keyed by everything that sets its numbers
    (`sweep_key`); its arrays are made read-only, and each request gets its own Sweep around them."""

    def __init__(self, sweeps: int = CACHE_SWEEPS, max_bytes: int = CACHE_BYTES):
        self.sweeps, self.max_bytes = sweeps, max_bytes
        self._kept: OrderedDict[tuple, tuple[Sweep, int]] = OrderedDict()
        self._figures: dict[tuple, dict[tuple, go.Figure]] = {}  # sweep key -> {what was drawn: the figure}
        self._training: dict[tuple, list] = {}  # sweep key -> [an Event set when it ends, its fraction done]
        self._lock = threading.Lock()

    def claim(self, key: tuple) -> bool:
        """Whether the caller is to train the sweep `key`: False when it is kept, or another thread trains it
        now (then `wait` for it). A claim ends with `release`."""
        with self._lock:
            if key in self._kept or key in self._training:
                return False
            self._training[key] = [threading.Event(), 0.0]
            return True

    def report(self, key: tuple, fraction: float) -> None:
        """The share of a claimed sweep's work done, for those who wait for it."""
        with self._lock:
            if key in self._training:
                self._training[key][1] = fraction

    def release(self, key: tuple) -> None:
        """Ends a claim (after `put`, when the sweep finished): those waiting for it go on."""
        with self._lock:
            entry = self._training.pop(key, None)
        if entry is not None:
            entry[0].set()

    def training(self, key: tuple) -> bool:
        with self._lock:
            return key in self._training

    def wait(self, key: tuple, check: Callable[[float], None]) -> Sweep | None:
        """Waits for the sweep `key` that another thread trains, calling check(its fraction done) at least
        every CHECK_SECONDS (it may raise, to stop waiting); then `get(key)`: None if it stopped unfinished."""
        while True:
            with self._lock:
                entry = self._training.get(key)
            if entry is None:
                return self.get(key)
            check(entry[1])
            entry[0].wait(CHECK_SECONDS)

    def figure(self, sweep: Sweep, what: tuple, build: Callable[[], go.Figure]) -> go.Figure:
        """`build()`, kept with a kept sweep under `what` (the figure's name and every argument it is built
        from besides the sweep), so that the same chart of the same sweep is built once: plotly.py's building
        was ~0.45 s of a repeated default sweep's 1.6 s (benchmarks/bench_sweep_page.py). The figure is shared:
        its readers must not change it (st.plotly_chart copies it)."""
        with self._lock:
            figures = self._figures.get(sweep.key) if sweep.key in self._kept else None
            if figures is not None and what in figures:
                return figures[what]
        figure = build()
        with self._lock:
            if sweep.key in self._kept:
                self._figures.setdefault(sweep.key, {})[what] = figure
        return figure

    def get(self, key: tuple) -> Sweep | None:
        with self._lock:
            if key not in self._kept:
                return None
            self._kept.move_to_end(key)
            return replace(_shallow_copy(self._kept[key][0]), reused=True)

    def put(self, key: tuple, sweep: Sweep) -> None:
        kept = _shallow_copy(sweep)
        size = 0
        for result in kept.results.values():
            for array in (result.costs, *result.params.values()):
                array.flags.writeable = False
                size += array.nbytes
        size += sum(index.nbytes for index in {id(i): i for i in kept.kept.values()}.values())
        with self._lock:
            self._kept.pop(key, None)
            self._figures.pop(key, None)
            if size > self.max_bytes:
                return
            self._kept[key] = (kept, size)
            while len(self._kept) > self.sweeps or sum(s for _, s in self._kept.values()) > self.max_bytes:
                self._figures.pop(self._kept.popitem(last=False)[0], None)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._figures.clear()

    def __len__(self) -> int:
        return len(self._kept)


finished = FinishedSweeps()


def _shallow_copy(sweep: Sweep) -> Sweep:
    """A Sweep of its own around the same (read-only) results."""
    return replace(
        sweep,
        learning_rates=list(sweep.learning_rates),
        hidden_sizes=list(sweep.hidden_sizes),
        seeds=list(sweep.seeds),
        results=dict(sweep.results),
        kept=dict(sweep.kept),
        batch_sizes=None if sweep.batch_sizes is None else list(sweep.batch_sizes),
    )


def _fingerprint(array) -> tuple | None:
    if array is None:
        return None
    array = np.ascontiguousarray(array)
    return (array.dtype.str, array.shape, hashlib.blake2b(array.tobytes(), digest_size=16).hexdigest())


def _cache_key(data, learning_rates, hidden_sizes, seeds, iterations, *, batch_sizes, batch_size, features, **options):
    """run_sweep's sweep_key: batch_size counts only without batch_sizes (the columns are then the batch sizes)."""
    options |= dict(features=tuple(features))
    options |= dict(batch_size=batch_size) if batch_sizes is None else dict(batch_sizes=tuple(batch_sizes))
    return sweep_key(data, learning_rates, hidden_sizes, seeds, iterations, **options)


def sweep_key(data, learning_rates, hidden_sizes, seeds, iterations, **options) -> tuple:
    """Everything that sets a sweep's numbers: the data's bytes (a digest), the grid, the iterations and every
    engine option (activation, init, l2, l1, batch_size, batch_sizes, features)."""
    grid = (tuple(map(float, learning_rates)), tuple(map(int, hidden_sizes)), tuple(map(int, seeds)), int(iterations))
    named = tuple(sorted((name, repr(value)) for name, value in options.items()))
    return tuple(_fingerprint(part) for part in data), grid, named


# --- training ---------------------------------------------------------------------------------------


def run_sweep(
    data,
    learning_rates,
    hidden_sizes,
    seeds,
    iterations,
    *,
    activation="tanh",
    init="he",
    l2=0.0,
    l1=0.0,
    batch_size: int | None = None,
    batch_sizes=None,
    features=DEFAULT_FEATURES,
    progress: Callable[[float], None] | None = None,
    threads: int = 1,
    should_stop: Callable[[], bool] | None = None,
    partial: Callable[[Sweep], None] | None = None,
    speed: Speed | None = None,
    cache: FinishedSweeps | None = None,
) -> Sweep:
    """Trains every combination. While training, at least every CHECK_SECONDS (between steps):
    `should_stop()`, and when it returns True training ends with SweepStopped; `progress(fraction)` with
    the share of the estimated work done (it may raise, too: the Sweep page's updates of its progress
    bar are where Streamlit ends a run whose tab closed or that a rerun replaces). After each hidden size:
    `partial(sweep)` with the results so far, and progress. activation, init, l1, l2, batch_size and
    features are the playground's (train_many's meaning), so a cell is its run. Results keep the costs of
    the cost chart's steps only (curve_steps; Sweep.curve gives their iterations), and only those are computed.

    `threads` > 1 trains that many stacks at once on worker threads (NumPy releases the GIL in its loops),
    the largest first; the caller's thread then only waits, and makes every call of should_stop, progress
    and partial (the page's Streamlit calls must come from its own thread). The numbers do not change.

    `cache` (a FinishedSweeps): a sweep finished before with the same data and options is returned from it
    at once, and a new one is added to it. One that another thread is training (another visitor, or the Sweep
    page's `warm_up`) is waited for, with its progress reported here, rather than trained twice.

    `batch_sizes` (as the settings hold them: 0 = the full batch, one above m is m) makes the batch sizes the
    columns in place of the hidden sizes: hidden_sizes must then hold the one size they all train at, and
    batch_size is not used. Partial results then come after each batch size."""
    X, Y, X_test, Y_test = data
    m = X.shape[1]
    if batch_sizes is not None and len(hidden_sizes) != 1:
        raise ValueError(f"a sweep over batch sizes trains one hidden size, not {len(hidden_sizes)}")
    if cache is not None:
        options = dict(activation=activation, init=init, l2=l2, l1=l1, batch_size=batch_size, features=features)
        key = _cache_key(data, learning_rates, hidden_sizes, seeds, iterations, batch_sizes=batch_sizes, **options)

        def waiting(fraction: float) -> None:
            if should_stop is not None and should_stop():
                raise SweepStopped
            if progress is not None:
                progress(min(fraction, 1.0))

        while not cache.claim(key):  # kept, or trained by another thread now
            hit = cache.get(key)
            if hit is None and (hit := cache.wait(key, waiting)) is not None:
                hit.reused = False  # it finished while this request waited: trained for it
            if hit is not None:
                return hit

        def reporting(fraction: float) -> None:
            cache.report(key, fraction)
            if progress is not None:
                progress(fraction)

        try:
            sweep = run_sweep(
                data, learning_rates, hidden_sizes, seeds, iterations, batch_sizes=batch_sizes, progress=reporting,
                threads=threads, should_stop=should_stop, partial=partial, speed=speed, **options,
            )  # fmt: skip
            sweep.key = key
            cache.put(key, sweep)
            return sweep
        finally:
            cache.release(key)
    columns = list(batch_sizes) if batch_sizes is not None else [batch_size or 0]
    stacks = plan_stacks(learning_rates, hidden_sizes, seeds, m, columns)
    if threads > 1:
        stacks = split_for_threads(stacks, threads)
    # The lanes are dealt by the work estimated with `speed`, or without one by the hidden layers' floats; without a
    # measured speed progress counts steps of stacks.
    cost = [(speed or Speed(0.0, 1.0)).step(stack, m) for stack in stacks]
    speed = speed or Speed(1.0, 0.0)
    weights = [iterations * speed.step(stack, m) for stack in stacks]
    sweep = Sweep(list(learning_rates), list(hidden_sizes), list(seeds), iterations, {})
    sweep.batch_sizes = columns if batch_sizes is not None else None

    def train_stack(stack: Group, on_step: Callable[[], None]) -> list:
        """[(key, result, kept iterations or None)] of the stack's networks, in its order."""
        configs = [Config(lr, stack.hidden, seed, init, l2) for lr, seed in stack.pairs]
        batch = stack.points(m) if stack.batch else None  # the engine's batch_size
        options = dict(activation=activation, l1=l1, batch_size=batch, features=features)
        record = curve_steps(iterations) if iterations > CURVE_POINTS else None
        with server_load.background():  # nice 10: the sessions' ticks come first when the cores are busy
            trained = train_many(X, Y, configs, iterations, X_test=X_test, Y_test=Y_test, on_step=on_step,
                                 record=record, **options)  # fmt: skip
        column = stack.hidden if sweep.batch_sizes is None else stack.batch
        return [((c.learning_rate, column, c.random_state), *slimmed(r)) for c, r in zip(configs, trained, strict=True)]

    def keep(entries: list) -> None:  # on the caller's thread only, so partial() sees whole stacks
        for key, result, index in entries:
            sweep.results[key] = result
            if index is not None:
                sweep.kept[key] = index

    def check(fraction: float) -> None:
        if should_stop is not None and should_stop():
            raise SweepStopped
        if progress is not None:
            progress(min(fraction, 1.0))

    def show() -> None:
        if partial is not None:
            partial(sweep)

    if threads > 1:
        _train_on_threads(stacks, weights, lanes(cost, threads), iterations, train_stack, keep, check, show)
        order = [(lr, stack.hidden if sweep.batch_sizes is None else stack.batch, seed)
                 for stack in stacks for lr, seed in stack.pairs]  # fmt: skip
        sweep.results = {key: sweep.results[key] for key in order}  # in the plan's order, as with one thread
        sweep.kept = {key: sweep.kept[key] for key in order if key in sweep.kept}
    else:
        _train_in_turn(stacks, weights, iterations, train_stack, keep, check, show)
    return sweep


WARM_UP = True  # the Sweep page trains its default grid ahead when it opens (tests that count training turn it off)
WARM_UP_SECONDS = 10.0  # ... when that is estimated to need at most this much computing
_warm_up_slot = threading.Semaphore()  # one warm-up at a time in a process: visitors' clicks come first


def warm_up(data, learning_rates, hidden_sizes, seeds, iterations, cache: FinishedSweeps, after=None, **options):
    """Starts training a sweep into `cache` on a thread of its own (at nice 10, as every sweep), unless it is kept
    or being trained: the Sweep page does this for its default grid as it opens, so that a visitor who presses
    Run sweep a few seconds later gets it at once, or waits only for the rest of it (run_sweep waits for a sweep
    being trained). One at a time in a process. `after(sweep)`, when given, runs on that thread once the sweep is
    kept (the page builds its charts there). Returns the thread, or None. Its errors are dropped: the click would
    train it anew."""
    if not WARM_UP:
        return None
    options.setdefault("batch_sizes", None)
    key = _cache_key(data, learning_rates, hidden_sizes, seeds, iterations, **options)
    if cache.get(key) is not None or cache.training(key) or not _warm_up_slot.acquire(blocking=False):
        return None

    def work() -> None:
        try:
            with contextlib.suppress(Exception):
                sweep = run_sweep(data, learning_rates, hidden_sizes, seeds, iterations, cache=cache,
                                  threads=sweep_threads(), **options)  # fmt: skip
                if after is not None:
                    after(sweep)
        finally:
            _warm_up_slot.release()

    thread = threading.Thread(target=work, name="sweep-warm-up", daemon=True)
    thread.start()
    return thread


def _train_in_turn(stacks, weights, iterations, train_stack, keep, check, partial) -> None:
    """One stack after another on this thread; the checks come from its steps, at least every CHECK_SECONDS."""
    total, done = sum(weights), 0.0  # the estimated work of the stacks finished
    state = {"steps": 0, "checked": clock()}

    def checked(fraction: float) -> None:
        state["checked"] = clock()
        check(fraction)

    checked(0.0)
    for n, (stack, weight) in enumerate(zip(stacks, weights, strict=True)):
        state["steps"] = 0

        def on_step(share=weight / total / iterations, start=done / total) -> None:
            state["steps"] += 1
            if clock() - state["checked"] >= CHECK_SECONDS:
                checked(start + share * state["steps"])

        keep(train_stack(stack, on_step))
        done += weight
        next_stack = stacks[n + 1] if n + 1 < len(stacks) else None
        if next_stack is None or (next_stack.hidden, next_stack.batch) != (stack.hidden, stack.batch):
            partial()
            checked(done / total)


def _train_on_threads(stacks, weights, dealt, iterations, train_stack, keep, check, partial) -> None:
    """The stacks on one worker thread per lane of `dealt` (`lanes`); this thread waits for them, keeps each
    finished stack's results, calls check at least every CHECK_SECONDS and partial when a column's last stack is
    in. A check that raises (a stop) or a worker's error makes every worker stop at its next step, and is raised
    once they have."""
    total, done = sum(weights), 0.0
    steps = [0] * len(stacks)  # each stack's steps so far (written by its worker only)
    stop = threading.Event()
    finished: queue.Queue = queue.Queue()  # (stack index, its entries or None, an error or None)

    def work(lane: list[int]) -> None:
        for n in lane:

            def on_step(n=n) -> None:
                if stop.is_set():
                    raise SweepStopped
                steps[n] += 1

            try:
                finished.put((n, train_stack(stacks[n], on_step), None))
            except BaseException as error:  # handed to the caller's thread
                finished.put((n, None, error))
                return

    workers = [threading.Thread(target=work, args=(lane,), name=f"sweep-{i}", daemon=True)
               for i, lane in enumerate(dealt)]  # fmt: skip
    left = Counter((stack.hidden, stack.batch) for stack in stacks)  # stacks still to finish, per column
    check(0.0)
    for worker in workers:
        worker.start()
    try:
        for _ in stacks:
            while True:
                try:
                    n, entries, error = finished.get(timeout=CHECK_SECONDS)
                    break
                except queue.Empty:
                    check((done + sum(w * s / iterations for w, s in zip(weights, steps, strict=True))) / total)
            if error is not None:
                raise error
            keep(entries)
            steps[n], done = 0, done + weights[n]
            left[stacks[n].hidden, stacks[n].batch] -= 1
            if not left[stacks[n].hidden, stacks[n].batch]:
                partial()
            check(done / total)
    finally:
        stop.set()
        for worker in workers:
            worker.join()


def lanes(weights: list[float], threads: int) -> list[list[int]]:
    """The stacks' indices dealt to `threads` lanes, each stack (the costliest first) to the lane with the least
    work so far, so that the lanes end together; each lane then runs its smallest stacks first, so that the
    first results come early."""
    dealt: list[list[int]] = [[] for _ in range(min(threads, len(weights)))]
    for n in sorted(range(len(weights)), key=lambda n: -weights[n]):
        min(dealt, key=lambda lane: sum(weights[i] for i in lane)).append(n)
    return [sorted(lane, key=lambda n: weights[n]) for lane in dealt]


def split_for_threads(stacks: list[Group], threads: int) -> list[Group]:
    """The stacks, the largest cut in two (same numbers: test_a_cut_stack_gives_the_same_numbers) until there
    are at least `threads` of them, so that a sweep of one column uses every thread too."""
    stacks = list(stacks)
    while len(stacks) < threads:
        n = max(range(len(stacks)), key=lambda i: len(stacks[i].pairs) * (stacks[i].hidden + 1))
        stack = stacks[n]
        if len(stack.pairs) < 2:
            break
        half = (len(stack.pairs) + 1) // 2
        stacks[n : n + 1] = [replace(stack, pairs=stack.pairs[:half]), replace(stack, pairs=stack.pairs[half:])]
    return stacks


# --- the heat map ---------------------------------------------------------------------------------

METRIC_SCALE = "Viridis"
CLICK_HINT = "click to open in the playground"
MARGIN = dict(l=78, r=104, t=8, b=52)  # fixed, so the plot area and its square cells are known in pixels


def cell_size(columns: int, rows: int) -> int:
    """Pixels per heat-map cell: 60 for the default 5 x 5, smaller for big sweeps (the figure stays about
    330 px square, within a 1280 px window's page), never below 34 (a value's 5 characters still fit)."""
    return int(np.clip(min(330 // max(columns, 1), 330 // max(rows, 1)), 34, 60))


def text_colour(fill: str) -> str:
    """Black or white, whichever contrasts more with `fill` ('#rrggbb' or 'rgb(r, g, b)'), by WCAG luminance."""
    if fill.startswith("#"):
        rgb = hex_to_rgb(fill)
    else:
        rgb = [float(v) for v in fill[fill.index("(") + 1 : fill.index(")")].split(",")[:3]]
    linear = [(c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "black" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "white"


def heatmap_figure(sweep: Sweep, metric: str, current: tuple[float, int] | None) -> go.Figure:
    """One square cell per (learning rate, hidden size), coloured by the metric, its value written on it in
    black or white (whichever reads on that colour); the cells are clickable points.

    Drawn as a scatter of square markers rather than a heatmap so a click selects a cell (customdata
    [lr, hidden]). Markers are sized in pixels, so the figure has a fixed size and fixed margins: the plot
    area is exactly columns x rows cells, square at any window width (and the y axis is anchored to the x
    axis's scale as well). The axes are categorical: x the hidden size as a string, y the learning rate.
    """
    _, lower_better = METRICS[metric]
    cols, rows = len(sweep.columns), len(sweep.learning_rates)
    cell = cell_size(cols, rows)
    xs, ys, values, texts, pending, customdata = [], [], [], [], [], []
    for lr, column in itertools.product(sweep.learning_rates, sweep.columns):
        if not sweep.done(lr, column):  # a sweep still training: its cell comes later
            pending.append((sweep.tick(column), f"{lr:g}"))
            continue
        value = sweep.value(metric, lr, column)
        xs.append(sweep.tick(column))
        ys.append(f"{lr:g}")
        customdata.append([float(lr), int(column)])
        values.append(value)
        texts.append("diverged" if np.isnan(value) else (f"{value:.0%}" if "accuracy" in metric else f"{value:.3f}"))
    ok = [not np.isnan(v) for v in values]
    finite = [v for v, good in zip(values, ok, strict=True) if good]
    pick = lambda items, keep: [item for item, good in zip(items, ok, strict=True) if good == keep]  # noqa: E731
    cmin, cmax = (min(finite), max(finite)) if finite else (0, 1)
    span = (cmax - cmin) or 1.0
    where = [(v - cmin) / span for v in finite]
    fills = sample_colorscale(METRIC_SCALE, [1 - w if lower_better else w for w in where]) if finite else []
    font = 13 if cell >= 52 else 11
    where_x = "%{x} hidden" if sweep.batch_sizes is None else "batch size %{x}"
    hover = f"learning rate %{{y}}, {where_x}<br>{metric}: %{{text}}<extra>{CLICK_HINT}</extra>"
    fig = go.Figure(
        go.Scatter(
            x=pick(xs, True),
            y=pick(ys, True),
            mode="markers+text",
            text=pick(texts, True),
            textfont=dict(size=font, color=[text_colour(f) for f in fills]),
            customdata=pick(customdata, True),
            marker=dict(
                symbol="square",
                size=cell - 3,  # a 3 px gap between cells
                color=finite,
                colorscale=METRIC_SCALE,
                reversescale=lower_better,
                cmin=cmin,
                cmax=cmax,
                colorbar=dict(
                    title=dict(text=metric, side="right", font=dict(size=13)),
                    thickness=14,
                    len=1,
                    lenmode="fraction",
                    tickfont=dict(size=12),
                    outlinewidth=0,
                ),
                line=dict(width=0),
                opacity=1,
            ),
            hovertemplate=hover,
        )
    )
    if not all(ok):  # diverged cells: grey, still clickable (the playground shows the divergence)
        fig.add_trace(
            go.Scatter(
                x=pick(xs, False),
                y=pick(ys, False),
                mode="markers+text",
                text=pick(texts, False),
                textfont=dict(size=font - 1 if cell >= 52 else 9, color="#3c4043"),
                customdata=pick(customdata, False),
                marker=dict(symbol="square", size=cell - 3, color="#dadce0", line=dict(width=0)),
                hovertemplate=f"learning rate %{{y}}, {where_x}: diverged<extra>{CLICK_HINT}</extra>",
            )
        )
    if pending:
        fig.add_trace(
            go.Scatter(
                x=[x for x, _ in pending],
                y=[y for _, y in pending],
                mode="markers+text",
                text=["…"] * len(pending),
                textfont=dict(size=font, color="#5f6368"),
                marker=dict(symbol="square", size=cell - 3, color="#f1f3f4", line=dict(width=0)),
                hovertemplate=f"learning rate %{{y}}, {where_x}: training…<extra></extra>",
            )
        )
    if current is not None and f"{current[0]:g}" in ys and sweep.tick(current[1]) in xs:
        fig.add_trace(
            go.Scatter(
                x=[sweep.tick(current[1])],
                y=[f"{current[0]:g}"],
                mode="markers",
                hoverinfo="skip",
                marker=dict(symbol="square-open", size=cell - 5, color="#d93025", line=dict(color="#d93025", width=3)),
                name="playground's setting",
            )
        )
    axis = dict(type="category", categoryorder="array", showgrid=False, zeroline=False, automargin=False)
    fig.update_layout(
        width=MARGIN["l"] + MARGIN["r"] + cols * cell,
        height=MARGIN["t"] + MARGIN["b"] + rows * cell,
        margin=MARGIN,
        showlegend=False,
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis=dict(
            axis,
            title=dict(text=sweep.axis, font=dict(size=14)),
            categoryarray=[sweep.tick(c) for c in sweep.columns],
            range=[-0.5, cols - 0.5],
            tickfont=dict(size=13),
            constrain="domain",
        ),
        yaxis=dict(
            axis,
            title=dict(text="learning rate α", font=dict(size=14)),
            categoryarray=[f"{lr:g}" for lr in sweep.learning_rates],
            range=[-0.5, rows - 0.5],
            tickfont=dict(size=13),
            scaleanchor="x",
            scaleratio=1,
            constrain="domain",
        ),
    )
    return fig


# --- the decision boundaries ------------------------------------------------------------------------

BOUNDARY_RESOLUTION = 40  # cells across each panel; its height in cells follows the data's aspect
POINTS_PER_PANEL = 150  # an even subsample of the training points in each panel
GAP = 0.08  # between panels, as a fraction of a panel's width


def panel_origin(i: int, j: int, axes) -> tuple[float, float]:
    """Where panel (row i = learning rate index from the bottom, column j = the heat map's column) starts, in the
    figure's one pair of axes: the panels are copies of the data plane laid side by side with gaps."""
    (x0, x1), (y0, y1) = axes
    gap = GAP * (x1 - x0)
    return j * (x1 - x0 + gap), i * (y1 - y0 + gap)


def panel_grid(axes, resolution: int = BOUNDARY_RESOLUTION):
    """The cell centres of a panel's probability map in data coordinates: (xs, ys, dx). Square cells."""
    (x0, x1), (y0, y1) = axes
    dx = (x1 - x0) / resolution
    ny = max(2, round((y1 - y0) / dx))
    dy = (y1 - y0) / ny
    return x0 + dx * (np.arange(resolution) + 0.5), y0 + dy * (np.arange(ny) + 0.5), dx, dy


def panel_probabilities(
    params, activation: str, axes, resolution: int = BOUNDARY_RESOLUTION, features=DEFAULT_FEATURES
) -> np.ndarray:
    """P(class 1) at a panel's cell centres, (len(ys), len(xs)), as the uint8 0..255 the figure sends; the
    network's inputs are `features` of the points."""
    xs, ys, _, _ = panel_grid(axes, resolution)
    gx, gy = np.meshgrid(xs, ys)
    P = predict_proba(expand(np.vstack([gx.ravel(), gy.ravel()]), features), params, activation).reshape(gy.shape)
    return np.rint(P * 255).astype(np.uint8)


def subsample(m: int, k: int = POINTS_PER_PANEL) -> np.ndarray:
    """Indices of an even subsample of k of m points (all of them when m <= k), the same every time."""
    return np.arange(m) if m <= k else np.sort(np.random.default_rng(0).choice(m, k, replace=False))


def boundaries_figure(
    sweep: Sweep, data, activation: str, axes, seed: int, height: int | None = None, features=DEFAULT_FEATURES
) -> go.Figure:
    """Small multiples: the decision boundary of every cell (learning rate, hidden or batch size), one seed,
    laid out as the heat map is (its columns across, learning rates up). One pair of axes for all the panels (25
    subplots cost the browser ~1 s to lay out): a heatmap per configuration, uint8 probabilities, placed
    with x0/dx; two scatter traces for a subsample of the training points in every panel, one per class."""
    rows, cols = len(sweep.learning_rates), len(sweep.columns)
    (x0, x1), (y0, y1) = axes
    xs, ys, dx, dy = panel_grid(axes)
    fig = go.Figure()
    for (i, lr), (j, column) in itertools.product(enumerate(sweep.learning_rates), enumerate(sweep.columns)):
        result: Result = sweep.results[(lr, column, seed)]
        ox, oy = panel_origin(i, j, axes)
        label = sweep.config(lr, column) + (" (diverged)" if result.diverged is not None else "")
        fig.add_trace(
            go.Heatmap(
                z=panel_probabilities(result.params, activation, axes, features=features),
                x0=xs[0] + ox,
                dx=dx,
                y0=ys[0] + oy,
                dy=dy,
                zmin=0,
                zmax=255,
                zsmooth="best",
                showscale=False,
                colorscale=PROBABILITY_SCALE,
                name=label,
                hovertemplate=f"{label}<extra></extra>",
            )
        )
    X, Y = data[0], data[1]
    keep = subsample(X.shape[1])
    X, y = X[:, keep], Y[0, keep] > 0.5
    origins = np.array([panel_origin(i, j, axes) for i in range(rows) for j in range(cols)])  # (panels, 2)
    for label in (0, 1):
        Xc = X[:, y == label]
        fig.add_trace(
            go.Scatter(
                x=(Xc[0][None, :] + origins[:, :1]).ravel().astype(np.float32),
                y=(Xc[1][None, :] + origins[:, 1:]).ravel().astype(np.float32),
                mode="markers",
                hoverinfo="skip",
                name=f"class {label}",
                marker=dict(size=3.5, color=CLASS_COLOURS[label], line=dict(width=0.4, color="white")),
            )
        )
    right, top = panel_origin(rows - 1, cols - 1, axes)
    annotations = [
        dict(x=panel_origin(0, j, axes)[0] + (x0 + x1) / 2, y=top + y1, text=sweep.label(c), yanchor="bottom",
             showarrow=False, font=dict(size=13))
        for j, c in enumerate(sweep.columns)
    ] + [
        dict(x=x0, y=panel_origin(i, 0, axes)[1] + (y0 + y1) / 2, text=f"α {lr:g}", xanchor="right", xshift=-4,
             showarrow=False, font=dict(size=13))
        for i, lr in enumerate(sweep.learning_rates)
    ]  # fmt: skip
    hidden_axis = dict(visible=False, showgrid=False, zeroline=False, constrain="domain")
    fig.update_layout(
        height=height or int(min(640, 40 + rows * 112)),
        margin=dict(l=56, r=8, t=26, b=4),
        showlegend=False,
        plot_bgcolor="rgba(0,0,0,0)",
        annotations=annotations,
        xaxis=dict(hidden_axis, range=[x0, right + x1], constraintoward="left"),  # under the heat map
        yaxis=dict(hidden_axis, range=[y0, top + y1], scaleanchor="x", scaleratio=1),
        dragmode=False,
    )
    return fig


# --- the cost curves ----------------------------------------------------------------------------------

RATE_RAMP = ["#9334e6", "#1a73e8", "#12b5cb", "#188038", "#f9ab00", "#e8710a", "#d93025"]  # cool = slow -> warm


def rate_colours(learning_rates) -> dict:
    """A colour per learning rate along a cool-to-warm ramp, in the rates' order (any number of rates)."""
    ordered = sorted(learning_rates)
    if len(ordered) == 1:
        return {ordered[0]: RATE_RAMP[1]}
    scale = [[k / (len(RATE_RAMP) - 1), c] for k, c in enumerate(RATE_RAMP)]
    picked = sample_colorscale(scale, list(np.linspace(0, 1, len(ordered))))
    return dict(zip(ordered, picked, strict=True))


def curves_figure(sweep: Sweep, seed: int, height: int | None = None) -> go.Figure:
    """Cost curves as small multiples, one panel per column of the heat map (hidden or batch size), a colour
    per learning rate with one legend entry per rate; hovering a curve names its configuration. Curves are
    thinned to CURVE_POINTS."""
    n = len(sweep.columns)
    cols = min(n, 6)
    rows = -(-n // cols)
    fig = make_subplots(
        rows,
        cols,
        shared_yaxes="all",
        shared_xaxes="all",
        horizontal_spacing=0.03,
        vertical_spacing=0.12 if rows > 1 else 0.0,
        subplot_titles=[sweep.label(c) for c in sweep.columns],
    )
    colours = rate_colours(sweep.learning_rates)
    for (j, column), lr in itertools.product(enumerate(sweep.columns), sweep.learning_rates):
        result = sweep.results[(lr, column, seed)]
        iterations, costs = sweep.curve(lr, column, seed)
        shown = keep_points(len(costs), CURVE_POINTS)
        x, y = iterations[shown], costs[shown].astype(np.float32)
        config = sweep.config(lr, column)
        end = "diverged" if result.diverged is not None else f"final cost {result.costs[-1]:.4f}"
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                name=f"α {lr:g}",
                legendgroup=f"{lr:g}",
                showlegend=j == 0,
                line=dict(color=colours[lr], width=1.8),
                hovertemplate=f"{config}<br>iteration %{{x:,}}: cost %{{y:.4f}}<br>{end}<extra></extra>",
            ),
            j // cols + 1,
            j % cols + 1,
        )
    legend_title = (
        "learning rate" if sweep.batch_sizes is None else f"learning rate<br>({sweep.hidden_sizes[0]} hidden)"
    )
    # Spikes and divergences are cut at 1.15 x the highest starting cost, so every curve's shape reads;
    # hovering shows the true values (and says "diverged").
    top = 1.15 * max(float(r.costs[0]) for r in sweep.results.values() if len(r.costs))
    fig.update_xaxes(range=[0, sweep.iterations], showgrid=False, tickfont=dict(size=11), nticks=3, tickformat="~s")
    fig.update_yaxes(range=[0, top], gridcolor="rgba(128,128,128,0.2)", tickfont=dict(size=12))
    fig.update_yaxes(title=dict(text="train cost", font=dict(size=13)), col=1)
    fig.update_xaxes(title=dict(text="iteration", font=dict(size=13)), row=rows, col=1)
    fig.update_annotations(font=dict(size=13))
    fig.update_layout(
        height=height or 40 + 270 * rows,
        margin=dict(l=10, r=10, t=30, b=10),
        legend=dict(title=dict(text=legend_title), font=dict(size=13), x=1.01, y=1, yanchor="top"),
        hovermode="closest",
    )
    return fig
