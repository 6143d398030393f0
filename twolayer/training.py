"""Training that can be driven a step at a time: `Trainer`, and the tutorial's `fit`."""

import math
import numbers
from dataclasses import dataclass

import numpy as np

from . import validation as v
from .features import DEFAULT_FEATURES
from .kernels import Network
from .minibatch import shuffle_seed
from .network import Params, init_params, predict_proba

# A cost this many times the untrained network's means the steps overshoot instead of descending.
# On make_moons (500 points, 5 tanh units) learning rates up to 5 stay below 2.5x; 10 reaches 5.5-15x.
DIVERGENCE_RATIO = 5.0

HISTORY_KEYS = ("cost", "accuracy", "test_cost", "test_accuracy")


class TrainingDiverged(ArithmeticError):
    """Raised when the cost or the parameters blow up; says where and what to try instead."""

    def __init__(self, iteration: int, learning_rate: float, reason: str, cost: float | None = None):
        # `cost` is the finite cost that tripped the check, at the parameters after `iteration` updates
        # (the history stops before it); None when the cost or the parameters became non-finite.
        self.iteration, self.learning_rate, self.reason, self.cost = iteration, learning_rate, reason, cost
        super().__init__(
            f"Training diverged at iteration {iteration} with learning rate {learning_rate:g}: {reason}. "
            f"Try a lower learning rate, such as {learning_rate / 10:g}."
        )


@dataclass(frozen=True)
class Snapshot:
    """The state after `iteration` updates: parameters and the history of every step before."""

    iteration: int
    params: Params
    history: dict[str, np.ndarray]  # read-only arrays of length `iteration`
    learning_rate: float


class Trainer:
    """Gradient descent on one network, N steps at a time: full-batch, or mini-batch with `batch_size`.

    X is the raw inputs (2, m) and Y (1, m), the tutorial's shapes; X_test/Y_test likewise,
    optional. The network's inputs are the chosen `features` of X (`features.expand`), so W1 is
    (n_h, len(features)); with the default features ("x1", "x2") X is used as given and may have
    any number of rows (n_features, m).

    `train(n)` continues where the last call stopped: any split of the same total number of steps
    gives bit-identical results. A step is one update: on every sample (batch_size None or m), or
    on one mini-batch, the epoch's samples being shuffled from `shuffle_seed` (`minibatch.py`).
    The history records, for each step, the cost (with the L2 and L1 penalties) and the accuracy
    on the whole training set *before* that step's update, as the tutorial records its costs; with
    a test set also the test cost (cross-entropy only) and accuracy. `set_weight` changes one
    parameter between steps and records it in `edits`.
    """

    def __init__(
        self,
        X,
        Y,
        hidden_size: int = 5,
        learning_rate: float = 0.3,
        *,
        activation: str = "tanh",
        init: str = "he",
        l2: float = 0.0,
        l1: float = 0.0,
        batch_size: int | None = None,
        features=DEFAULT_FEATURES,
        random_state=None,
        X_test=None,
        Y_test=None,
        params: Params | None = None,
        track_accuracy: bool = True,
        divergence_ratio: float | None = DIVERGENCE_RATIO,
    ):
        self.features = v.check_feature_names(features)  # in FEATURES' order
        X = v.check_features("X", X)
        self.n_inputs = X.shape[0]  # rows of the raw X
        X = v.check_inputs("X", X, self.features)
        Y = v.check_labels("Y", Y, X.shape[1])
        hidden_size = v.check_int("hidden_size", hidden_size, low=1)
        self.learning_rate = learning_rate
        self.activation = v.check_activation(activation)
        self.l2 = v.check_l2(l2)
        self.l1 = v.check_l1(l1)
        self.batch_size = v.check_batch_size(batch_size, X.shape[1])
        self.init = v.check_init(init)
        random_state = v.check_random_state(random_state)
        if (X_test is None) != (Y_test is None):
            raise ValueError("X_test and Y_test must be given together")
        if X_test is not None:
            X_test = v.check_inputs("X_test", X_test, self.features, n_rows=self.n_inputs)
            Y_test = v.check_labels("Y_test", Y_test, X_test.shape[1])
        rng = np.random.default_rng(random_state)
        if params is None:
            params = init_params(X.shape[0], hidden_size, init, rng)
        else:
            params = _check_params(params, X.shape[0], hidden_size)
        # The seed of the epochs' shuffled orders: random_state when it is an integer (None at full batch).
        self.shuffle_seed = None
        if self.batch_size is not None and self.batch_size < X.shape[1]:
            self.shuffle_seed = shuffle_seed(random_state, rng)
        self.divergence_ratio = divergence_ratio
        self.track_accuracy = track_accuracy
        self.net = Network(
            X, Y, params, activation, l2, X_test, Y_test, l1=l1, batch_size=self.batch_size, seed=self.shuffle_seed
        )
        self.has_test = X_test is not None
        self.iteration = 0
        self.edits: list[tuple[int, str, tuple[int, int], float]] = []  # (iteration, name, index, value)
        self._start_cost: float | None = None  # the first recorded cost: the divergence yardstick
        self.diverged: TrainingDiverged | None = None
        self._buffers = {key: np.empty(1024) for key in self._keys()}

    def _keys(self):
        keys = ["cost"] + (["accuracy"] if self.track_accuracy else [])
        return keys + (["test_cost", "test_accuracy"] if self.has_test else [])

    @property
    def learning_rate(self) -> float:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        """May change between calls to `train`: the run continues from where it is."""
        self._learning_rate = v.check_learning_rate(value)

    @property
    def params(self) -> Params:
        """A copy of the current parameters: W1 (n_h, n_x), b1 (n_h, 1), W2 (1, n_h), b2 (1, 1)."""
        return self.net.params()

    @property
    def steps_per_epoch(self) -> int:
        """Updates per pass over the training set: ceil(m / batch_size); 1 at full batch."""
        return 1 if self.net.schedule is None else self.net.schedule.steps_per_epoch

    @property
    def epoch(self) -> int:
        """Passes over the training set completed: iteration // steps_per_epoch (the iteration at full batch)."""
        return self.iteration // self.steps_per_epoch

    def set_weight(self, name: str, index, value) -> None:
        """Sets one parameter, params[name][index] = value, before the next step, and records it in
        `edits` as (iteration, name, index, value): training k steps, setting the same weight and
        training on replays the run exactly. name is W1, b1, W2 or b2; index a (row, column) pair."""
        shapes = {key: array.shape for key, array in self.params.items()}
        v.check_choice("name", name, tuple(shapes))
        index = _check_index(index, shapes[name], name)
        value = v.check_number("value", value, low=-math.inf)
        params = self.params
        params[name][index] = value
        self.net.set_params(params)
        self.edits.append((self.iteration, name, index, value))

    @property
    def history(self) -> dict[str, np.ndarray]:
        """Per-step records so far, read-only views (cheap; they never change afterwards)."""
        out = {}
        for key, buffer in self._buffers.items():
            view = buffer[: self.iteration]
            view.flags.writeable = False
            out[key] = view
        return out

    def snapshot(self) -> Snapshot:
        return Snapshot(self.iteration, self.params, self.history, self.learning_rate)

    def train(self, steps: int) -> Snapshot:
        """Runs `steps` more updates; raises TrainingDiverged (keeping the good steps) on blow-up.

        All or nothing: if anything interrupts it, the trainer is left as it was before the call.
        """
        steps = v.check_int("steps", steps, low=1)
        if self.diverged is not None:
            raise self.diverged
        self._bad_cost = None
        start = self.net.theta.copy()
        try:
            records = self.net.run(
                steps,
                self.learning_rate,
                accuracy=self.track_accuracy,
                check=self._first_bad_cost,
                start=self.iteration,
            )
        except BaseException:  # interrupted (a KeyboardInterrupt, a UI thread stopped): as if never called
            self.net.theta[...] = start
            raise
        done = len(records["cost"])
        self._append(records, done)
        if done < steps:  # step number `self.iteration` (counting from 0) was the bad one
            if self._bad_cost is None:
                reason = "its update made the parameters infinite or NaN"
            elif not math.isfinite(self._bad_cost):
                reason = "the cost became infinite or NaN"
            else:
                reason = (
                    f"the cost rose to {self._bad_cost:.4f}, more than {self.divergence_ratio:g} times "
                    f"its starting value {self._start_cost:.3g}"
                )
            cost = self._bad_cost if self._bad_cost is not None and math.isfinite(self._bad_cost) else None
            self.diverged = TrainingDiverged(self.iteration, self.learning_rate, reason, cost)
            raise self.diverged
        return self.snapshot()

    def _first_bad_cost(self, costs: np.ndarray) -> int | None:
        """Index of the first cost that is non-finite or above the divergence ratio, or None."""
        bad = ~np.isfinite(costs)
        if self._start_cost is None:
            self._start_cost = float(costs[0])
        if self.divergence_ratio is not None:
            bad |= costs > self.divergence_ratio * self._start_cost
        if not bad.any():
            return None
        first = int(np.argmax(bad))
        self._bad_cost = float(costs[first])
        return first

    def _append(self, records: dict[str, np.ndarray], n: int) -> None:
        end = self.iteration + n
        for key, values in records.items():
            buffer = self._buffers[key]
            if end > len(buffer):
                bigger = np.empty(max(end, 2 * len(buffer)))
                bigger[: self.iteration] = buffer[: self.iteration]
                buffer = self._buffers[key] = bigger
            buffer[self.iteration : end] = values
        self.iteration = end

    def predict_proba(self, X) -> np.ndarray:
        """Probability of class 1 for each column of raw X (2, m) (its features are computed here)
        under the current parameters: (m,)."""
        X = v.check_inputs("X", X, self.features, n_rows=self.n_inputs)
        return predict_proba(X, self.params, self.activation)


def _check_index(index, shape: tuple[int, int], name: str) -> tuple[int, int]:
    rows, columns = shape
    if (
        not isinstance(index, tuple | list)
        or len(index) != 2
        or not all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in index)
        or not (0 <= index[0] < rows and 0 <= index[1] < columns)
    ):
        raise ValueError(
            f"index must be a (row, column) pair with row in [0, {rows - 1}] and column in [0, {columns - 1}] "
            f"for {name} of shape {shape}; got {index!r:.40}"
        )
    return int(index[0]), int(index[1])


def _check_params(params, n_x: int, n_h: int) -> Params:
    shapes = {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (1, n_h), "b2": (1, 1)}
    if not isinstance(params, dict) or set(params) != set(shapes):
        raise ValueError(f"params must be a dict with keys {', '.join(shapes)}")
    out = {}
    for name, shape in shapes.items():
        value = np.asarray(params[name], dtype=float)
        if value.shape != shape:
            raise ValueError(f"params[{name!r}] must have shape {shape}, got {value.shape}")
        if not np.isfinite(value).all():
            raise ValueError(f"params[{name!r}] contains NaN or infinite values")
        out[name] = value
    return out


def fit(
    X,
    Y,
    learning_rate,
    hidden_size,
    number_of_iterations=5000,
    *,
    random_state=None,
    batch_size=None,
    l1=0.0,
    l2=0.0,
    features=DEFAULT_FEATURES,
    activation="tanh",
):
    """The tutorial's `fit`: returns (params, costs), costs[i] being the cost before update i.

    X is (n_features, m) (raw (2, m) for features other than the default), Y (1, m) with 0/1
    labels. He initialisation; the other arguments as `Trainer`'s (defaults: the tutorial's
    full-batch tanh network without penalties). The same random_state gives identical results;
    raises TrainingDiverged if the run blows up.
    """
    number_of_iterations = v.check_int("number_of_iterations", number_of_iterations, low=1)
    trainer = Trainer(
        X,
        Y,
        hidden_size,
        learning_rate,
        activation=activation,
        l2=l2,
        l1=l1,
        batch_size=batch_size,
        features=features,
        random_state=random_state,
        track_accuracy=False,
    )
    trainer.train(number_of_iterations)
    return trainer.params, trainer.history["cost"].tolist()
